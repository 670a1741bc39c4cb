/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvipctl: health checks of a real server, as non-blocking state
 * machines, so that one event loop runs any number of them at once.
 *
 *	tcp PORT			a TCP connection succeeds
 *	rpc IFACE@PORT			a DCE/RPC bind to IFACE is accepted
 *	epm IFACE=PORT[,IFACE=PORT...]	the endpoint mapper on 135 maps each
 *					IFACE to PORT
 *	http PORT/PATH, https PORT/PATH	a GET of PATH answers with the
 *					status wanted (200); https over TLS
 *					(OpenSSL), the certificate checked
 *					only if asked (CAS certificates are
 *					often an internal CA's)
 */
#ifndef CASVIPCTL_CHECK_H
#define CASVIPCTL_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "dcerpc.h"
#include "model.h"

#define CHECK_MAX_IFACES 4

#define CHECK_PATH_MAX 64
#define CHECK_HOST_MAX 64

struct check {
	enum { CHECK_TCP, CHECK_RPC, CHECK_EPM, CHECK_HTTP, CHECK_HTTPS } type;
	uint16_t port; /* where to connect */
	unsigned int nifaces;
	struct dce_iface iface[CHECK_MAX_IFACES];
	/* epm: the port each must map to; 0: wherever its mapper says */
	uint16_t want[CHECK_MAX_IFACES];
	/* http, https */
	char path[CHECK_PATH_MAX];
	char host[CHECK_HOST_MAX]; /* Host:, SNI, the name verified; or "" */
	uint16_t status; /* wanted */
	bool verify; /* the certificate, against the system's CAs */
};

/* A check of a service's servers, as a config file states it. */
struct cv_hcheck {
	struct check c;
	unsigned int interval_ms, timeout_ms, rise, fall;
	bool unforwarded; /* meant for a port the service does not forward */
	int line;
};

/* Defaults that suit an Exchange CAS array. */
#define CHECK_INTERVAL_MS 5000
#define CHECK_TIMEOUT_MS 3000
#define CHECK_RISE 2
#define CHECK_FALL 3

/*
 * "check TYPE ARG [interval S] [timeout S] [rise N] [fall N] [unforwarded]"
 * and, for http and https, [status CODE] [host NAME] [verify]
 */
int cv_hcheck_parse(int argc, char **argv, struct cv_hcheck *h, char *err);

/*
 * Parse "tcp 135", "rpc emsmdb@60001", "epm emsmdb=60001,nspi=60002"
 * ("epm emsmdb,nspi": wherever the mapper says, for a service that
 * follows it), "https 443/owa/healthcheck.htm".
 */
int check_parse(const char *type, const char *arg, struct check *c,
		char *err);
/*
 * status CODE, host NAME or verify, at @argv, for the http or https check
 * @c: the words taken (0: none of these), or -1 and the reason.
 */
int check_option(int argc, char **argv, struct check *c, char *err);
/* Back to text, as check_parse() takes it. */
void check_format(const struct check *c, char *buf, size_t len);
/* The same check, however its interfaces were written. */
bool check_same(const struct check *a, const struct check *b);

/* One run of a check against one address. */
struct check_run {
	const struct check *check;
	int fd;
	int step; /* 0 connecting; then the PDU being answered */
	short events; /* TLS: what OpenSSL waits for; 0: as step says */
	void *ssl; /* https: the TLS session (an SSL *) */
	char peer[48]; /* the address, for http's Host: */
	uint32_t call_id;
	uint16_t found[CHECK_MAX_IFACES]; /* epm: where each interface is */
	uint8_t buf[DCE_MAX_PDU];
	size_t n;
	bool done, ok;
	bool local; /* failed for want of this host's resources, not the server */
	char why[DCE_ERRLEN + 64];
};

/*
 * Start a run (connect without blocking). Returns the fd to wait on, or -1
 * if it is already done (run->done set).
 */
int check_start(struct check_run *run, const struct check *c,
		const struct cv_addr *addr);
/* The fd is ready: advance. Returns true when the run is done. */
bool check_step(struct check_run *run);
/* The events to wait for now (POLLIN or POLLOUT). */
short check_events(const struct check_run *run);
/* Give up: the timeout passed. */
void check_timeout(struct check_run *run);
/* Give up, for @why. */
void check_fail(struct check_run *run, const char *why);

#endif
