/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvipctl: the in-memory model of services and real servers, filled from
 * the command line or from the kernel, and the parsers and printers of its
 * fields.
 */
#ifndef CASVIPCTL_MODEL_H
#define CASVIPCTL_MODEL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/casvip.h>

struct cv_addr {
	int family; /* AF_INET or AF_INET6; 0 if unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	};
};

struct cv_stats {
	uint64_t conns, active, pkts_in, pkts_out, bytes_in, bytes_out;
	uint64_t drop_noserver, drop_nat, ended, watched, unreplied, evicted;
	uint64_t followed, declined;
};

/* Counters per second, between two reads. */
struct cv_rates {
	bool valid;
	double conns, pkts_in, pkts_out, bytes_in, bytes_out, drops;
};

/* The connections of one entry of a service's port list. */
struct cv_port_stats {
	uint16_t first, last;
	uint64_t conns, drop_noserver;
};

/* Which fields of a service or server were given. */
enum {
	CV_VIP = 1 << 0,
	CV_PROTO = 1 << 1,
	CV_PORTS = 1 << 2,
	CV_SCHED = 1 << 3,
	CV_PERSIST = 1 << 4,
	CV_NETMASK = 1 << 5,
	CV_SNAT = 1 << 6,
	CV_PERSIST_MAX = 1 << 7,
	CV_WEIGHT = 1 << 8,
	CV_ADMIN = 1 << 9,
	CV_HEALTH = 1 << 10,
	CV_KEEP_CONNS = 1 << 11,
	CV_REASON = 1 << 12,
	CV_ALLDOWN = 1 << 13,
	CV_CHECKS = 1 << 14,
	CV_BACKUP = 1 << 15,
	CV_FOLLOW = 1 << 16,
	CV_ANNOUNCED = 1 << 17, /* healthd's, never a config file's */
	CV_FOLLOW_MAX = 1 << 18,
};

struct cv_server {
	int line; /* in a config file; 0 if not from one */
	struct cv_addr addr;
	uint32_t weight;
	uint8_t admin, health;
	bool backup; /* takes new clients only when no other can */
	char reason[CASVIP_REASON_MAX]; /* of the health state */
	uint64_t health_age_ms; /* since the health was last set */
	uint32_t clients; /* bound to it by persistence */
	bool admin_default; /* a config line that names no admin state */
	unsigned int given;
	struct cv_stats stats;
	struct cv_rates rates;
};

struct cv_hcheck;

struct cv_service {
	int line; /* in a config file; 0 if not from one */
	char name[CASVIP_NAME_MAX];
	struct cv_addr vip;
	uint8_t proto;
	unsigned int nranges;
	struct casvip_port_range ranges[CASVIP_MAX_RANGES];
	uint8_t sched;
	uint32_t timeout;
	uint32_t persist_max; /* 0: follows nf_conntrack_max */
	uint32_t persist_limit; /* in effect, as the kernel reports it */
	uint8_t netmask;
	uint8_t snat;
	uint8_t alldown; /* enum casvip_alldown */
	uint32_t neligible; /* servers taking new clients, as the kernel says */
	bool failing_open; /* as the kernel says */
	bool on_backup; /* as the kernel says: the backups take new clients */
	struct cv_addr snat_addr;
	/* The interfaces whose ports the endpoint mappers give. */
	unsigned int nfollow;
	struct casvip_iface follow[CASVIP_MAX_FOLLOW];
	uint32_t follow_max; /* 0: the size of conntrack's own table */
	uint32_t follow_limit; /* in effect, as the kernel reports it */
	uint32_t nexpected; /* ports its mappers' answers hold open now */
	/* The ports those mappers announce, as healthd finds them; rising. */
	unsigned int nannounced;
	uint16_t announced[CASVIP_MAX_ANNOUNCED];
	unsigned int given;
	uint32_t nservers; /* as the kernel counts them */
	uint32_t npersist;
	struct cv_stats stats;
	struct cv_rates rates;
	struct cv_port_stats *port_stats; /* malloc()ed, from the kernel */
	unsigned int nport_stats;
	struct cv_server *servers;
	size_t nsrv;
	struct cv_hcheck *checks; /* see check.h */
	size_t nchecks;
	bool unchecked; /* "check none": no checks, and that is meant */
	/*
	 * The checks as the kernel keeps them (CASVIP_A_SERVICE_USERDATA):
	 * their config lines. malloc()ed; see cv_service_udata().
	 */
	char *udata;
	size_t udata_len;
};

/* A persistence entry. */
struct cv_persist {
	struct cv_addr client, server;
	uint32_t conns;
	bool idle;
	bool unproven; /* its first connection has not completed */
	uint32_t expires; /* seconds, when idle */
};

/*
 * Parsers: 0 on success; on failure -1 with a message in @err (of
 * CV_ERRLEN bytes) that says what is wrong with the text.
 */
#define CV_ERRLEN 160

int cv_parse_name(const char *s, char *name, char *err);
int cv_parse_addr(const char *s, struct cv_addr *a, char *err);
int cv_parse_ports(const char *s, struct cv_service *svc, char *err);
int cv_parse_u32(const char *s, uint32_t max, uint32_t *v, char *err);
int cv_parse_proto(const char *s, uint8_t *proto, char *err);
int cv_parse_sched(const char *s, uint8_t *sched, char *err);
int cv_parse_snat(const char *s, struct cv_service *svc, char *err);
int cv_parse_alldown(const char *s, uint8_t *alldown, char *err);
int cv_parse_offload(const char *s, bool *on, char *err);
/* "none", "exchange" or a comma-separated list of interfaces. */
int cv_parse_follow(const char *s, struct cv_service *svc, char *err);

/* Printers into a caller's buffer. */
#define CV_PORTS_STRLEN (CASVIP_MAX_RANGES * 12)
void cv_format_ports(const struct cv_service *svc, char *buf, size_t len);
/* The followed interfaces as cv_parse_follow() takes them; "none". */
#define CV_FOLLOW_STRLEN (CASVIP_MAX_FOLLOW * 48)
void cv_format_follow(const struct cv_service *svc, char *buf, size_t len);
/*
 * What a service does with new clients: "failing-open" (every server
 * down, health ignored), "down" (refused), "on-backup", or "ok".
 */
const char *cv_service_state(const struct cv_service *svc);
/* @s in double quotes, with \\, \" and \xNN for a control byte. */
void cv_print_quoted(FILE *f, const char *s);
/*
 * Taking no new client (draining, or of weight 0), and none left: no live
 * connection and no client bound by persistence. Safe to take out.
 */
bool cv_server_drained(const struct cv_server *srv);
/* A port ("135") or a range ("60001-60002"). */
void cv_format_range(unsigned int first, unsigned int last, char *buf,
		     size_t len);
const char *cv_format_addr(const struct cv_addr *a, char *buf, size_t len);
const char *cv_proto_name(uint8_t proto);
const char *cv_sched_name(uint8_t sched);
const char *cv_snat_name(uint8_t snat);
const char *cv_alldown_name(uint8_t alldown);
const char *cv_admin_name(uint8_t admin);
const char *cv_health_name(uint8_t health);

bool cv_addr_eq(const struct cv_addr *a, const struct cv_addr *b);
/* @a with all but the first @prefix bits cleared. */
struct cv_addr cv_addr_mask(const struct cv_addr *a, unsigned int prefix);

/* The value of the word @s in a table of names, or -1. */
int cv_lookup(const char *const *names, size_t n, const char *s);

extern const char *const cv_sched_names[__CASVIP_SCHED_MAX];
extern const char *const cv_admin_names[__CASVIP_ADMIN_MAX];
extern const char *const cv_health_names[__CASVIP_HEALTH_MAX];

#endif
