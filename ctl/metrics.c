// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl metrics [FILE]: every service's and server's state and
 * counters in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector. With FILE, written beside it and
 * renamed over it, so that a scrape never reads half a file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "json.h"
#include "nl.h"

/*
 * A label value, escaped as the format wants (\\, \" and \n), and valid
 * UTF-8, without which the whole file would be refused: U+FFFD for a byte
 * that is not.
 */
static void label(FILE *f, const char *key, const char *val)
{
	const unsigned char *s = (const unsigned char *)val;

	fprintf(f, "%s=\"", key);
	while (*s) {
		size_t n = jw_utf8_len(s);

		if (!n) {
			fputs("\xef\xbf\xbd", f);
			s++;
			continue;
		}
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
}

struct family {
	const char *name, *type, *help;
	const char *key, *val; /* one more label, if any */
};

/*
 * The HELP and TYPE of @m, unless they were the last ones written (@last):
 * the samples of one family go together, under one head.
 */
static void family_head(FILE *f, const struct family *m, const char **last)
{
	if (*last && !strcmp(*last, m->name))
		return;
	*last = m->name;
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
		m->type);
}

/* A sample of @m up to its labels of @svc, and of @srv if given. */
static void sample_begin(FILE *f, const struct family *m,
			 const struct cv_service *svc,
			 const struct cv_server *srv)
{
	char a[INET6_ADDRSTRLEN];

	fprintf(f, "%s{", m->name);
	label(f, "service", svc->name);
	fputc(',', f);
	label(f, "vip", cv_format_addr(&svc->vip, a, sizeof(a)));
	if (srv) {
		fputc(',', f);
		label(f, "server", cv_format_addr(&srv->addr, a, sizeof(a)));
	}
}

static void sample_end(FILE *f, const struct family *m, double v)
{
	if (m->key) {
		fputc(',', f);
		label(f, m->key, m->val);
	}
	/* Counts as integers, the age to the millisecond. */
	if (v == (double)(uint64_t)v)
		fprintf(f, "} %.0f\n", v);
	else
		fprintf(f, "} %.3f\n", v);
}

/* The counters both services and servers have, by index. */
enum {
	C_CONNS,
	C_ACTIVE,
	C_PKTS_IN,
	C_PKTS_OUT,
	C_BYTES_IN,
	C_BYTES_OUT,
	C_DROP_NAT,
	C_ENDED,
	C_WATCHED,
	C_UNREPLIED,
	NCOUNTERS
};

static double counter(const struct cv_stats *st, int i)
{
	const uint64_t v[NCOUNTERS] = {
		[C_CONNS] = st->conns,	     [C_ACTIVE] = st->active,
		[C_PKTS_IN] = st->pkts_in,   [C_PKTS_OUT] = st->pkts_out,
		[C_BYTES_IN] = st->bytes_in, [C_BYTES_OUT] = st->bytes_out,
		[C_DROP_NAT] = st->drop_nat, [C_ENDED] = st->ended,
		[C_WATCHED] = st->watched,   [C_UNREPLIED] = st->unreplied,
	};

	return (double)v[i];
}

#define F(n, t, h)                                    \
	{                                             \
		.name = (n), .type = (t), .help = (h) \
	}
#define FL(n, t, h, k, v)                                                     \
	{                                                                     \
		.name = (n), .type = (t), .help = (h), .key = (k), .val = (v) \
	}

#define COUNTERS(obj)                                                               \
	F("casvip_" obj "_connections_total", "counter",                            \
	  "Connections scheduled to a server."),                                    \
		F("casvip_" obj "_active_connections", "gauge",                     \
		  "Connections alive now (as counted up to a second ago)."),        \
		FL("casvip_" obj "_packets_total", "counter", "Packets.",           \
		   "direction", "in"),                                              \
		FL("casvip_" obj "_packets_total", "counter", "Packets.",           \
		   "direction", "out"),                                             \
		FL("casvip_" obj "_bytes_total", "counter",                         \
		   "Bytes (IP packets, headers included).", "direction",            \
		   "in"),                                                           \
		FL("casvip_" obj "_bytes_total", "counter",                         \
		   "Bytes (IP packets, headers included).", "direction",            \
		   "out"),                                                          \
		FL("casvip_" obj "_drops_total", "counter",                         \
		   "New connections dropped, by reason.", "reason", "nat"),         \
		F("casvip_" obj "_ended_connections_total", "counter",              \
		  "Live connections the balancer ended: their server was removed, " \
		  "disabled or went down, or the service no longer claims them."),  \
		F("casvip_" obj "_watched_connections_total", "counter",            \
		  "New connections watched for their first reply."),                \
		F("casvip_" obj "_unreplied_connections_total", "counter",          \
		  "Watched connections the server did not answer within 3 s.")

static const struct family service_counters[NCOUNTERS] = { COUNTERS(
	"service") };
static const struct family server_counters[NCOUNTERS] = { COUNTERS("server") };

/* Service gauges and counters of its own. */
enum {
	S_INFO,
	S_NOSERVER,
	S_EVICTED,
	S_ENTRIES,
	S_LIMIT,
	S_SERVERS,
	S_ELIGIBLE,
	S_OPEN,
	S_BACKUP,
	S_DOWN,
	S_FOLLOWED,
	S_DECLINED,
	S_EXPECTED,
	S_EXPECT_LIMIT,
	NSERVICE
};

static const struct family service_own[NSERVICE] = {
	[S_INFO] =
		F("casvip_service_info", "gauge",
		  "A service: its protocol, ports and scheduler, as labels."),
	[S_NOSERVER] = FL("casvip_service_drops_total", "counter",
			  "New connections dropped, by reason.", "reason",
			  "noserver"),
	[S_EVICTED] = F("casvip_service_persist_evictions_total", "counter",
			"Persistence entries evicted at the limit."),
	[S_ENTRIES] = F("casvip_service_persist_entries", "gauge",
			"Persistence entries (clients bound to a server)."),
	[S_LIMIT] =
		F("casvip_service_persist_limit", "gauge",
		  "The most persistence entries the service keeps (0: none)."),
	[S_SERVERS] = F("casvip_service_servers", "gauge", "Real servers."),
	[S_ELIGIBLE] = F("casvip_service_eligible_servers", "gauge",
			 "Real servers that take new clients now."),
	[S_OPEN] = F(
		"casvip_service_failing_open", "gauge",
		"1 while every server is down and health is ignored (alldown open)."),
	[S_BACKUP] = F("casvip_service_on_backup", "gauge",
		       "1 while the backup servers take the new clients."),
	[S_DOWN] = F("casvip_service_down", "gauge",
		     "1 while no server takes new clients: they are refused."),
	[S_FOLLOWED] = F("casvip_service_followed_ports_total", "counter",
			 "Ports the endpoint mappers' answers opened to a client (follow)."),
	[S_DECLINED] = F("casvip_service_declined_answers_total", "counter",
			 "Endpoint mapper traffic that could not be read, or ports not opened (follow)."),
	[S_EXPECTED] = F("casvip_service_followed_open", "gauge",
			 "Ports the endpoint mappers' answers hold open to their clients now (follow)."),
	[S_EXPECT_LIMIT] = F("casvip_service_followed_open_limit", "gauge",
			     "The most the answers hold open at once (follow-max)."),
};

static double service_value(const struct cv_service *s, int i)
{
	switch (i) {
	case S_NOSERVER:
		return (double)s->stats.drop_noserver;
	case S_EVICTED:
		return (double)s->stats.evicted;
	case S_ENTRIES:
		return s->npersist;
	case S_LIMIT:
		return s->persist_limit;
	case S_SERVERS:
		return s->nservers;
	case S_ELIGIBLE:
		return s->neligible;
	case S_OPEN:
		return s->failing_open;
	case S_BACKUP:
		return s->on_backup;
	case S_DOWN:
		return !strcmp(cv_service_state(s), "down");
	case S_FOLLOWED:
		return (double)s->stats.followed;
	case S_DECLINED:
		return (double)s->stats.declined;
	case S_EXPECTED:
		return s->nexpected;
	case S_EXPECT_LIMIT:
		return s->follow_limit;
	}
	return 1;
}

/* Server gauges. */
enum {
	V_WEIGHT,
	V_ENABLED,
	V_DRAINING,
	V_DISABLED,
	V_UP,
	V_BACKUP,
	V_DRAINED,
	V_AGE,
	V_REASON,
	V_CLIENTS,
	NSERVER
};

static const struct family server_own[NSERVER] = {
	[V_WEIGHT] = F("casvip_server_weight", "gauge", "The server's weight."),
	[V_ENABLED] = FL("casvip_server_admin_state", "gauge",
			 "The admin state: 1 for the one in effect.", "state",
			 "enabled"),
	[V_DRAINING] = FL("casvip_server_admin_state", "gauge",
			  "The admin state: 1 for the one in effect.", "state",
			  "draining"),
	[V_DISABLED] = FL("casvip_server_admin_state", "gauge",
			  "The admin state: 1 for the one in effect.", "state",
			  "disabled"),
	[V_UP] = F("casvip_server_up", "gauge",
		   "1 if the health checks find the server up, 0 if down."),
	[V_BACKUP] = F("casvip_server_backup", "gauge",
		       "1 for a backup (sorry) server."),
	[V_DRAINED] = F(
		"casvip_server_drained", "gauge",
		"1 when taking no new client and none left: safe to take out."),
	[V_AGE] = F(
		"casvip_server_health_age_seconds", "gauge",
		"Seconds since the health was last set: grows if the checker stopped."),
	[V_REASON] = F("casvip_server_health_info", "gauge",
		       "The reason of the last health result, as a label."),
	[V_CLIENTS] = F("casvip_server_clients", "gauge",
			"Clients bound to the server by persistence."),
};

static double server_value(const struct cv_server *v, int i)
{
	switch (i) {
	case V_WEIGHT:
		return v->weight;
	case V_ENABLED:
		return v->admin == CASVIP_ADMIN_ENABLED;
	case V_DRAINING:
		return v->admin == CASVIP_ADMIN_DRAINING;
	case V_DISABLED:
		return v->admin == CASVIP_ADMIN_DISABLED;
	case V_UP:
		return v->health == CASVIP_HEALTH_UP;
	case V_BACKUP:
		return v->backup;
	case V_DRAINED:
		return cv_server_drained(v);
	case V_AGE:
		return (double)v->health_age_ms / 1000;
	case V_CLIENTS:
		return v->clients;
	}
	return 1;
}

static void service_metrics(FILE *f, const struct cv_service *svcs, size_t n,
			    const char **last)
{
	char ports[CV_PORTS_STRLEN];

	for (int i = 0; i < NSERVICE; i++) {
		family_head(f, &service_own[i], last);
		for (size_t k = 0; k < n; k++) {
			sample_begin(f, &service_own[i], &svcs[k], NULL);
			if (i == S_INFO) {
				cv_format_ports(&svcs[k], ports, sizeof(ports));
				fputc(',', f);
				label(f, "proto", cv_proto_name(svcs[k].proto));
				fputc(',', f);
				label(f, "ports", ports);
				fputc(',', f);
				label(f, "sched", cv_sched_name(svcs[k].sched));
			}
			sample_end(f, &service_own[i],
				   service_value(&svcs[k], i));
		}
		/* The drops by NAT follow those for want of a server. */
		if (i != S_NOSERVER)
			continue;
		for (size_t k = 0; k < n; k++) {
			sample_begin(f, &service_counters[C_DROP_NAT], &svcs[k],
				     NULL);
			sample_end(f, &service_counters[C_DROP_NAT],
				   counter(&svcs[k].stats, C_DROP_NAT));
		}
	}
	for (int i = 0; i < NCOUNTERS; i++) {
		if (i == C_DROP_NAT)
			continue;
		family_head(f, &service_counters[i], last);
		for (size_t k = 0; k < n; k++) {
			sample_begin(f, &service_counters[i], &svcs[k], NULL);
			sample_end(f, &service_counters[i],
				   counter(&svcs[k].stats, i));
		}
	}
}

static const struct family port_families[2] = {
	F("casvip_port_connections_total", "counter",
	  "Connections to a port of the service (or a range of them)."),
	FL("casvip_port_drops_total", "counter",
	   "New connections to the port dropped, by reason.", "reason",
	   "noserver"),
};

static void port_metrics(FILE *f, const struct cv_service *svcs, size_t n,
			 const char **last)
{
	for (int i = 0; i < 2; i++) {
		family_head(f, &port_families[i], last);
		for (size_t k = 0; k < n; k++) {
			for (unsigned int p = 0; p < svcs[k].nport_stats; p++) {
				const struct cv_port_stats *ps =
					&svcs[k].port_stats[p];
				char ports[16];

				cv_format_range(ps->first, ps->last, ports,
						sizeof(ports));
				sample_begin(f, &port_families[i], &svcs[k],
					     NULL);
				fputc(',', f);
				label(f, "ports", ports);
				sample_end(f, &port_families[i],
					   (double)(i ? ps->drop_noserver :
							ps->conns));
			}
		}
	}
}

static void server_metrics(FILE *f, const struct cv_service *svcs, size_t n,
			   const char **last)
{
	for (int i = 0; i < NSERVER + NCOUNTERS; i++) {
		const struct family *m = i < NSERVER ?
						 &server_own[i] :
						 &server_counters[i - NSERVER];

		family_head(f, m, last);
		for (size_t k = 0; k < n; k++) {
			for (size_t j = 0; j < svcs[k].nsrv; j++) {
				const struct cv_server *v = &svcs[k].servers[j];

				sample_begin(f, m, &svcs[k], v);
				if (i == V_REASON) {
					fputc(',', f);
					label(f, "reason", v->reason);
				}
				sample_end(f, m,
					   i < NSERVER ? server_value(v, i) :
							 counter(&v->stats,
								 i - NSERVER));
			}
		}
	}
}

static int write_metrics(FILE *f, const struct cv_service *svcs, size_t n)
{
	const char *last = NULL;

	service_metrics(f, svcs, n, &last);
	port_metrics(f, svcs, n, &last);
	server_metrics(f, svcs, n, &last);
	return ferror(f) ? -1 : 0;
}

/*
 * Write @path's new content beside it, in a file of a name no one can
 * guess (the directory may be writable by others), readable by
 * node_exporter whatever the umask; then rename it over @path.
 */
static int write_file(const char *path, const struct cv_service *svcs, size_t n)
{
	char tmp[4096];
	FILE *f = NULL;
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "Error: %s: the path is too long\n", path);
		return CV_EXIT_USAGE;
	}
	fd = mkstemp(tmp);
	if (fd >= 0 && !fchmod(fd, 0644))
		f = fdopen(fd, "w");
	if (!f) {
		fprintf(stderr, "Error: cannot write %s: %s\n", path,
			strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return CV_EXIT_FAIL;
	}
	ret = write_metrics(f, svcs, n);
	if (fflush(f) || fsync(fileno(f)))
		ret = -1;
	if (fclose(f))
		ret = -1;
	if (!ret && rename(tmp, path))
		ret = -1;
	if (ret) {
		fprintf(stderr, "Error: cannot write %s: %s\n", path,
			strerror(errno));
		unlink(tmp);
		return CV_EXIT_FAIL;
	}
	return CV_EXIT_OK;
}

int cv_metrics(struct cv_nl *nl, int argc, char **argv)
{
	struct cv_service *svcs;
	size_t n;
	int ret;

	if (argc > 1)
		return cv_usage_error("help",
				      "too many arguments to metrics: \"%s\"",
				      argv[1]);
	ret = cv_read_services(nl, NULL, true, &svcs, &n);
	if (ret)
		return ret;
	if (argc) {
		ret = write_file(argv[0], svcs, n);
	} else if (write_metrics(stdout, svcs, n) || fflush(stdout)) {
		fprintf(stderr, "Error: cannot write the metrics: %s\n",
			strerror(errno));
		ret = CV_EXIT_FAIL;
	}
	cv_free_services(svcs, n);
	return ret;
}
