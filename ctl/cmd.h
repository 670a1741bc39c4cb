/* SPDX-License-Identifier: GPL-2.0 */
/* casvipctl: commands and what they share. */
#ifndef CASVIPCTL_CMD_H
#define CASVIPCTL_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

enum { CV_EXIT_OK, CV_EXIT_FAIL, CV_EXIT_USAGE, CV_EXIT_DEGRADED };

struct cv_nl;

struct cv_opts {
	bool json;
	bool stats;
	unsigned int rate; /* show: rates over this many seconds; 0: none */
};
extern struct cv_opts cv_opts;

enum {
	CV_NL = 1 << 0, /* needs the netlink socket */
	CV_CHANGES = 1 << 1, /* changes the balancer: logged when done */
	CV_VIPS = 1 << 2, /* changes the VIPs and ports: offload follows */
	CV_RATE = 1 << 3, /* shows services' counters: takes --rate */
	CV_OBJECT = 1 << 4, /* an object, or help: its words name the command */
};

struct cv_cmd {
	const char *name;
	int (*fn)(struct cv_nl *nl, int argc, char **argv);
	unsigned int flags;
};

/* The words of the command line, after the options: for the log. */
extern int cv_argc;
extern char **cv_argv;

/*
 * Log a change this process made (printf-style, what was changed) to the
 * system log, with who made it; or the command line, once it succeeded.
 */
void cv_log_change(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cv_log_command(int argc, char **argv);

const struct cv_cmd *cv_find_cmd(const struct cv_cmd *cmds, size_t n,
				 const char *word);
int cv_run(const struct cv_cmd *cmd, int argc, char **argv);

/* CLOCK_MONOTONIC in milliseconds. */
long cv_now_ms(void);

/* Print "Error: <fmt>" for a usage error; returns CV_EXIT_USAGE. */
int cv_usage_error(const char *help, const char *fmt, const char *arg);
/* Print a failed request's reason; returns CV_EXIT_FAIL, or OK if !ret. */
int cv_report(struct cv_nl *nl, int ret, const char *what, const char *name);

int cv_show(struct cv_nl *nl, const char *name, bool servers);
/*
 * The services (@name's, or all) with their servers if @servers; one
 * deleted meanwhile is left out. An exit status; on failure, said why.
 */
int cv_read_services(struct cv_nl *nl, const char *name, bool servers,
		     struct cv_service **svcs, size_t *n);
void cv_print_services(const struct cv_service *svcs, size_t n, bool servers);
void cv_print_servers(const struct cv_service *svc);
/* Print the persistence entries of @svcs (of @client alone, if given). */
int cv_print_persist(struct cv_nl *nl, const struct cv_service *svcs,
		     size_t n, const struct cv_addr *client);

int cv_cmd_service(struct cv_nl *nl, int argc, char **argv);
int cv_cmd_server(struct cv_nl *nl, int argc, char **argv);

/*
 * Keyword arguments of a service or a server ("vip 10.0.0.1 ports 135"),
 * as on the command line. 0, or -1 with the reason in @err.
 */
int cv_parse_service_args(int argc, char **argv, struct cv_service *svc,
			  char *err);
/* @set: the keywords of "server set" (health, keep-conns) too. */
int cv_parse_server_args(int argc, char **argv, struct cv_server *srv,
			 bool set, char *err);
int cv_cmd_persist(struct cv_nl *nl, int argc, char **argv);
int cv_cmd_check(struct cv_nl *nl, int argc, char **argv);
int cv_check_server(struct cv_nl *nl, int argc, char **argv);
int cv_healthd(struct cv_nl *nl, int argc, char **argv);
int cv_monitor(struct cv_nl *nl, int argc, char **argv);
int cv_metrics(struct cv_nl *nl, int argc, char **argv);

/* save, apply and lint. */
extern const struct cv_cmd cv_config_cmds[3];

#endif
