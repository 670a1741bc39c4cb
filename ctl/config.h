/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvipctl: the configuration language, which is the command line's:
 *
 *	# comment
 *	service NAME KEYWORDS...	the keywords of "service add"
 *		server ADDR KEYWORDS...	the keywords of "server add"
 *		check TYPE ARG [interval S] [timeout S] [rise N] [fall N]
 *			[unforwarded]
 *		check none		no check, and that is meant
 *
 * Server and check lines belong to the service line above them; healthd
 * runs every check of a service against each of its servers.
 */
#ifndef CASVIPCTL_CONFIG_H
#define CASVIPCTL_CONFIG_H

#include <stdio.h>

#include "json.h"
#include "model.h"

#define CV_CONFIG_DEFAULT "/etc/casvip/casvip.conf"
/* Where healthd keeps its lock. */
#define CV_RUN_DIR "/run/casvip"
/* lint takes the VIPs of its virtual_ipaddress blocks for this host's. */
#define CV_KEEPALIVED_CONF "/etc/keepalived/keepalived.conf"

struct cv_config {
	struct cv_service *svcs;
	size_t n;
	bool broken; /* the last service line was wrong: skip its servers */
	bool offload; /* "offload on" */
	int offload_line; /* where it was said; 0: not said (off) */
};

/*
 * Where mistakes are reported: as "FILE:LINE: error: ..." lines on @f, or,
 * if @json is set, as JSON objects { file, line, level, message } in it.
 */
struct cv_note;

struct cv_diag {
	const char *path;
	FILE *f;
	struct jw *json;
	int errors, warnings;
	struct cv_note *notes; /* held until cv_diag_print(): line order */
	size_t nnotes;
};

/* Print the mistakes found, by line, and forget them. */
void cv_diag_print(struct cv_diag *d);

/*
 * Read a configuration (path "-" is stdin), reporting each mistake.
 * Returns 0, or -1 if the file cannot be read.
 */
int cv_config_read(struct cv_diag *d, struct cv_config *cfg);

/*
 * Check what no single line can show: names, ports and servers claimed
 * twice (errors), VIPs not on this host and RPC ports in the Exchange
 * dynamic range (warnings).
 */
void cv_config_lint(struct cv_diag *d, const struct cv_config *cfg);

/* Do @a and @b claim a port in common? The first such in *@port. */
bool cv_ranges_overlap(const struct cv_service *a, const struct cv_service *b,
		       unsigned int *port);

/* Defaults for every field that was not given, as the kernel applies them. */
void cv_service_defaults(struct cv_service *svc);
void cv_server_defaults(struct cv_server *srv);
/*
 * A server added to a service with checks starts down, until they pass
 * (unless its health is given): it has not been checked yet.
 */
void cv_server_starts_down(struct cv_server *srv);

/* The keywords of a service or server, as a config line or command. */
void cv_format_service(FILE *f, const struct cv_service *svc,
		       unsigned int given);
void cv_format_server(FILE *f, const struct cv_server *srv,
		      unsigned int given);

/* A check line of @svc, "check ..." in @argv (from line @line). */
int cv_add_check(struct cv_service *svc, int argc, char **argv, int line,
		 char *err);
/*
 * A check of a port the service does not forward tests what its clients
 * never reach: a typo (6001 for 60001) that takes every server down. -1
 * with the reason, unless the check says unforwarded.
 */
int cv_check_lint(const struct cv_service *s, const struct cv_hcheck *h,
		  char *err, size_t len);
/* A check as its config line, "check TYPE ARG interval S ...". */
void cv_format_check(FILE *f, const struct cv_hcheck *h);
/*
 * The checks of @svc as the kernel keeps them (its user data): their
 * config lines, into svc->udata. -1 with the reason in @err if they are
 * more than the kernel keeps.
 */
int cv_service_udata(struct cv_service *svc, char *err);
/* The checks of @svc from svc->udata. -1 with the reason in @err. */
int cv_service_checks(struct cv_service *svc, char *err);

void cv_config_free(struct cv_config *cfg);

#endif
