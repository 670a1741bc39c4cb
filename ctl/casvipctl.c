// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: configure and inspect casvip, the VIP load balancer.
 *
 * Grammar in the style of ip(8): casvipctl [OPTIONS] OBJECT COMMAND ARGS.
 * Exit status: 0 success, 1 the request failed, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cmd.h"
#include "config.h"
#include "json.h"
#include "nl.h"
#include "offload.h"

struct cv_opts cv_opts;
int cv_argc;
char **cv_argv;

long cv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cv_usage_error(const char *help, const char *fmt, const char *arg)
{
	fputs("Error: ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see: casvipctl %s)\n", help);
	return CV_EXIT_USAGE;
}

int cv_report(struct cv_nl *nl, int ret, const char *what, const char *name)
{
	const char *msg = cv_nl_errmsg(nl);

	if (!ret)
		return CV_EXIT_OK;
	fprintf(stderr, "Error: %s \"%s\": ", what, name);
	if (ret == -EPERM)
		fprintf(stderr,
			"permission denied: casvip needs CAP_NET_ADMIN, to read it as to change it\n");
	else if (*msg)
		fprintf(stderr, "%s\n", msg);
	else
		fprintf(stderr, "%s\n", strerror(-ret));
	return CV_EXIT_FAIL;
}

/* ---- show ---- */

static const char *const stat_names[] = {
	"conns",	 "active",   "pkts_in", "pkts_out",	 "bytes_in",
	"bytes_out",	 "drop_noserver", "drop_nat", "ended", "watched",
	"unreplied", "evicted", "followed", "declined",
};

static void stats_values(const struct cv_stats *st, uint64_t *v)
{
	v[0] = st->conns;
	v[1] = st->active;
	v[2] = st->pkts_in;
	v[3] = st->pkts_out;
	v[4] = st->bytes_in;
	v[5] = st->bytes_out;
	v[6] = st->drop_noserver;
	v[7] = st->drop_nat;
	v[8] = st->ended;
	v[9] = st->watched;
	v[10] = st->unreplied;
	v[11] = st->evicted;
	v[12] = st->followed;
	v[13] = st->declined;
}

#define NSTATS (sizeof(stat_names) / sizeof(stat_names[0]))

static void json_stats(struct jw *w, const struct cv_stats *st,
		       const struct cv_rates *r)
{
	uint64_t v[NSTATS];

	stats_values(st, v);
	jw_begin(w, "stats", '{');
	for (size_t i = 0; i < NSTATS; i++)
		jw_u64(w, stat_names[i], v[i]);
	jw_end(w, '}');
	if (!r->valid)
		return;
	jw_begin(w, "rates", '{');
	jw_double(w, "conns", r->conns);
	jw_double(w, "pkts_in", r->pkts_in);
	jw_double(w, "pkts_out", r->pkts_out);
	jw_double(w, "bytes_in", r->bytes_in);
	jw_double(w, "bytes_out", r->bytes_out);
	jw_double(w, "drops", r->drops);
	jw_end(w, '}');
}

/* A service's port list, counted entry by entry. */
static void json_port_stats(struct jw *w, const struct cv_service *svc)
{
	jw_begin(w, "port_stats", '[');
	for (unsigned int i = 0; i < svc->nport_stats; i++) {
		const struct cv_port_stats *ps = &svc->port_stats[i];
		char ports[16];

		cv_format_range(ps->first, ps->last, ports, sizeof(ports));
		jw_begin(w, NULL, '{');
		jw_str(w, "ports", ports);
		jw_u64(w, "conns", ps->conns);
		jw_u64(w, "drop_noserver", ps->drop_noserver);
		jw_end(w, '}');
	}
	jw_end(w, ']');
}

static const char *admin_text(const struct cv_server *srv)
{
	return cv_server_drained(srv) ? "drained" : cv_admin_name(srv->admin);
}

/*
 * How long a health result may stand while its checker runs: two rounds
 * of the slowest check, and 2 s to spare. 0: no checks, no limit.
 */
static uint64_t stale_after_ms(const struct cv_service *svc)
{
	uint64_t most = 0;

	for (size_t i = 0; i < svc->nchecks; i++) {
		uint64_t round = (uint64_t)svc->checks[i].interval_ms +
				 svc->checks[i].timeout_ms;

		if (round > most)
			most = round;
	}
	return most ? 2 * most + 2000 : 0;
}

static bool stale(const struct cv_service *svc, const struct cv_server *srv)
{
	uint64_t limit = stale_after_ms(svc);

	return limit && srv->health_age_ms > limit;
}

static void json_server(struct jw *w, const struct cv_service *svc,
			const struct cv_server *srv)
{
	char a[INET6_ADDRSTRLEN];

	jw_begin(w, NULL, '{');
	jw_str(w, "address", cv_format_addr(&srv->addr, a, sizeof(a)));
	jw_u64(w, "weight", srv->weight);
	jw_str(w, "admin", cv_admin_name(srv->admin));
	jw_str(w, "health", cv_health_name(srv->health));
	jw_str(w, "health_reason", srv->reason);
	jw_u64(w, "health_age_ms", srv->health_age_ms);
	jw_bool(w, "health_stale", stale(svc, srv));
	jw_u64(w, "active", srv->stats.active);
	jw_u64(w, "clients", srv->clients);
	jw_bool(w, "backup", srv->backup);
	jw_bool(w, "drained", cv_server_drained(srv));
	json_stats(w, &srv->stats, &srv->rates);
	jw_end(w, '}');
}

static void json_service(struct jw *w, const struct cv_service *svc,
			 bool servers)
{
	char a[INET6_ADDRSTRLEN], ports[CV_PORTS_STRLEN];
	char follow[CV_FOLLOW_STRLEN];

	cv_format_ports(svc, ports, sizeof(ports));
	jw_begin(w, NULL, '{');
	jw_str(w, "name", svc->name);
	jw_str(w, "vip", cv_format_addr(&svc->vip, a, sizeof(a)));
	jw_str(w, "proto", cv_proto_name(svc->proto));
	jw_str(w, "ports", ports);
	jw_str(w, "sched", cv_sched_name(svc->sched));
	jw_u64(w, "persist", svc->timeout);
	jw_u64(w, "persist_max", svc->persist_max);
	jw_u64(w, "persist_limit", svc->persist_limit);
	jw_u64(w, "netmask", svc->netmask);
	jw_str(w, "snat", svc->snat == CASVIP_SNAT_ADDR ?
				  cv_format_addr(&svc->snat_addr, a, sizeof(a)) :
				  cv_snat_name(svc->snat));
	cv_format_follow(svc, follow, sizeof(follow));
	jw_str(w, "follow", follow);
	jw_u64(w, "follow_max", svc->follow_max);
	jw_u64(w, "follow_limit", svc->follow_limit);
	jw_u64(w, "expected", svc->nexpected);
	jw_begin(w, "announced", '[');
	for (unsigned int i = 0; i < svc->nannounced; i++)
		jw_u64(w, NULL, svc->announced[i]);
	jw_end(w, ']');
	jw_u64(w, "num_servers", svc->nservers);
	jw_u64(w, "num_eligible", svc->neligible);
	jw_str(w, "alldown", cv_alldown_name(svc->alldown));
	jw_bool(w, "failing_open", svc->failing_open);
	jw_bool(w, "on_backup", svc->on_backup);
	jw_u64(w, "persist_entries", svc->npersist);
	json_stats(w, &svc->stats, &svc->rates);
	json_port_stats(w, svc);
	jw_begin(w, "checks", '[');
	for (size_t i = 0; i < svc->nchecks; i++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (!f)
			continue;
		cv_format_check(f, &svc->checks[i]);
		fclose(f);
		jw_str(w, NULL, text + strlen("check "));
		free(text);
	}
	jw_end(w, ']');
	if (servers) {
		jw_begin(w, "servers", '[');
		for (size_t i = 0; i < svc->nsrv; i++)
			json_server(w, svc, &svc->servers[i]);
		jw_end(w, ']');
	}
	jw_end(w, '}');
}

static void text_stats_header(void)
{
	if (cv_opts.rate)
		printf("  %10s %8s %10s %10s %12s %12s %8s", "CONN/S", "ACTIVE",
		       "PKT/S_IN", "PKT/S_OUT", "BYTE/S_IN", "BYTE/S_OUT",
		       "DROP/S");
	else
		printf("  %12s %8s %12s %12s %14s %14s %8s %8s %8s", "CONNS",
		       "ACTIVE", "PKTS_IN", "PKTS_OUT", "BYTES_IN",
		       "BYTES_OUT", "DROPS", "ENDED", "NOREPLY");
}

/* DROPS: refused for want of a server (services), or by the NAT engine. */
static void text_stats(const struct cv_stats *st, const struct cv_rates *r)
{
	if (cv_opts.rate && !r->valid)
		printf("  %10s %8" PRIu64 " %10s %10s %12s %12s %8s", "-",
		       st->active, "-", "-", "-", "-", "-");
	else if (cv_opts.rate)
		printf("  %10.1f %8" PRIu64 " %10.1f %10.1f %12.0f %12.0f %8.1f",
		       r->conns, st->active, r->pkts_in, r->pkts_out,
		       r->bytes_in, r->bytes_out, r->drops);
	else
		printf("  %12" PRIu64 " %8" PRIu64 " %12" PRIu64 " %12" PRIu64
		       " %14" PRIu64 " %14" PRIu64 " %8" PRIu64 " %8" PRIu64
		       " %8" PRIu64,
		       st->conns, st->active, st->pkts_in, st->pkts_out,
		       st->bytes_in, st->bytes_out,
		       st->drop_noserver + st->drop_nat, st->ended,
		       st->unreplied);
}

static void text_port_stats(const struct cv_service *svc)
{
	for (unsigned int i = 0; i < svc->nport_stats; i++) {
		const struct cv_port_stats *ps = &svc->port_stats[i];
		char ports[16];

		cv_format_range(ps->first, ps->last, ports, sizeof(ports));
		printf("  port %s: %" PRIu64 " conns, %" PRIu64 " refused\n",
		       ports, ps->conns, ps->drop_noserver);
	}
}

static void text_service(const struct cv_service *svc, bool servers)
{
	char a[INET6_ADDRSTRLEN], ports[CV_PORTS_STRLEN];
	int width = 7;

	cv_format_ports(svc, ports, sizeof(ports));
	printf("service %s: %s %s ports %s\n", svc->name,
	       cv_proto_name(svc->proto),
	       cv_format_addr(&svc->vip, a, sizeof(a)), ports);
	printf("  sched %s  persist %" PRIu32 "s  netmask /%u  snat %s  servers %" PRIu32
	       " (%" PRIu32 " eligible)  clients %" PRIu32 "  active %" PRIu64,
	       cv_sched_name(svc->sched), svc->timeout, svc->netmask,
	       svc->snat == CASVIP_SNAT_ADDR ?
		       cv_format_addr(&svc->snat_addr, a, sizeof(a)) :
		       cv_snat_name(svc->snat),
	       svc->nservers, svc->neligible, svc->npersist, svc->stats.active);
	if (svc->persist_limit)
		printf("  persist-max %" PRIu32 "%s  evicted %" PRIu64,
		       svc->persist_limit, svc->persist_max ? "" : " (auto)",
		       svc->stats.evicted);
	printf("\n");
	if (svc->nfollow) {
		char follow[CV_FOLLOW_STRLEN];

		cv_format_follow(svc, follow, sizeof(follow));
		printf("  follow %s: %" PRIu64 " ports followed, %" PRIu64
		       " answers declined, %" PRIu32 " open of %" PRIu32 "%s;"
		       " announced:",
		       follow, svc->stats.followed, svc->stats.declined,
		       svc->nexpected, svc->follow_limit,
		       svc->follow_max ? "" : " (auto)");
		for (unsigned int i = 0; i < svc->nannounced; i++)
			printf("%s%u", i ? "," : " ", svc->announced[i]);
		printf("%s\n", svc->nannounced ? "" : " none");
	}
	for (size_t i = 0; i < svc->nchecks; i++) {
		printf("  ");
		cv_format_check(stdout, &svc->checks[i]);
		printf("\n");
	}
	if (svc->on_backup)
		printf("  ON BACKUP: no other server takes new clients; the backup servers do\n");
	if (svc->failing_open)
		printf("  FAILING OPEN: every server is down; new clients go to the enabled ones (alldown open)\n");
	else if (svc->nservers && !svc->neligible)
		printf("  DOWN: no server takes new clients; they are refused\n");
	if (cv_opts.stats) {
		printf(" ");
		text_stats_header();
		printf("\n ");
		text_stats(&svc->stats, &svc->rates);
		printf("\n");
		if (!cv_opts.rate)
			text_port_stats(svc);
	}
	if (!servers || !svc->nsrv)
		return;
	for (size_t i = 0; i < svc->nsrv; i++) {
		int w = (int)strlen(cv_format_addr(&svc->servers[i].addr, a,
						   sizeof(a)));

		if (w > width)
			width = w;
	}
	printf("  %-*s  %6s  %-8s  %-6s", width, "SERVER", "WEIGHT", "ADMIN",
	       "HEALTH");
	if (cv_opts.stats)
		text_stats_header();
	else
		printf("  %7s  %6s", "CLIENTS", "ACTIVE");
	printf("\n");
	for (size_t i = 0; i < svc->nsrv; i++) {
		const struct cv_server *srv = &svc->servers[i];

		printf("  %-*s  %6" PRIu32 "  %-8s  %-6s", width,
		       cv_format_addr(&srv->addr, a, sizeof(a)), srv->weight,
		       admin_text(srv), cv_health_name(srv->health));
		if (cv_opts.stats)
			text_stats(&srv->stats, &srv->rates);
		else
			printf("  %7" PRIu32 "  %6" PRIu64, srv->clients,
			       srv->stats.active);
		if (srv->backup)
			printf("  [backup]");
		if (stale(svc, srv))
			printf("  STALE: no result for %" PRIu64
			       " s, is casvip-healthd running?%s%s",
			       srv->health_age_ms / 1000,
			       srv->reason[0] ? " It said: " : "", srv->reason);
		else if (srv->reason[0])
			printf("  %s", srv->reason);
		printf("\n");
	}
}

void cv_print_services(const struct cv_service *svcs, size_t n, bool servers)
{
	if (cv_opts.json) {
		struct jw w = { .f = stdout };

		jw_begin(&w, NULL, '[');
		for (size_t i = 0; i < n; i++)
			json_service(&w, &svcs[i], servers);
		jw_end(&w, ']');
		return;
	}
	if (!n)
		printf("no service: casvipctl service add makes one, casvipctl apply FILE a file's\n");
	for (size_t i = 0; i < n; i++) {
		if (i)
			printf("\n");
		text_service(&svcs[i], servers);
	}
}

void cv_print_servers(const struct cv_service *svc)
{
	if (cv_opts.json) {
		struct jw w = { .f = stdout };

		jw_begin(&w, NULL, '[');
		for (size_t i = 0; i < svc->nsrv; i++)
			json_server(&w, svc, &svc->servers[i]);
		jw_end(&w, ']');
		return;
	}
	text_service(svc, true);
}

static void print_entry(struct jw *w, const char *service,
			const struct cv_persist *e)
{
	char c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];

	cv_format_addr(&e->client, c, sizeof(c));
	cv_format_addr(&e->server, s, sizeof(s));
	if (w) {
		jw_begin(w, NULL, '{');
		jw_str(w, "service", service);
		jw_str(w, "client", c);
		jw_str(w, "server", s);
		jw_u64(w, "conns", e->conns);
		if (e->idle)
			jw_u64(w, "expires", e->expires);
		jw_bool(w, "proven", !e->unproven);
		jw_end(w, '}');
		return;
	}
	printf("%-16s %-39s %-39s %5" PRIu32, service, c, s, e->conns);
	if (e->idle)
		printf(" %7" PRIu32 "s", e->expires);
	else
		printf("       -");
	printf("%s\n", e->unproven ? "  unproven" : "");
}

static int cmp_client(const void *a, const void *b)
{
	const struct cv_persist *x = a, *y = b;

	return memcmp(x->client.bytes, y->client.bytes, sizeof(x->client.bytes));
}

/* Each service's entries by client address: the kernel's order is its hash's. */
int cv_print_persist(struct cv_nl *nl, const struct cv_service *svcs,
		     size_t n, const struct cv_addr *client)
{
	struct jw w = { .f = stdout };
	int ret = CV_EXIT_OK;

	if (cv_opts.json)
		jw_begin(&w, NULL, '[');
	else
		printf("%-16s %-39s %-39s %5s %8s\n", "SERVICE", "CLIENT",
		       "SERVER", "CONNS", "EXPIRES");
	for (size_t i = 0; i < n && ret == CV_EXIT_OK; i++) {
		struct cv_addr key;
		struct cv_persist *es;
		size_t ne;
		int err = cv_dump_persist(nl, svcs[i].name, &es, &ne);

		if (err) {
			ret = cv_report(nl, err, "cannot show persistence of",
					svcs[i].name);
			break;
		}
		qsort(es, ne, sizeof(*es), cmp_client);
		if (client)
			key = cv_addr_mask(client, svcs[i].netmask);
		for (size_t j = 0; j < ne; j++)
			if (!client || cv_addr_eq(&key, &es[j].client))
				print_entry(cv_opts.json ? &w : NULL,
					    svcs[i].name, &es[j]);
		free(es);
	}
	if (cv_opts.json)
		jw_end(&w, ']');
	return ret;
}

/*
 * The services (@name's, or all) with their servers if @servers; one
 * deleted meanwhile is left out. An exit status; on failure, said why.
 */
int cv_read_services(struct cv_nl *nl, const char *name, bool servers,
		     struct cv_service **svcs, size_t *n)
{
	int ret = cv_get_services(nl, name, svcs, n);

	if (ret)
		return cv_report(nl, ret, "cannot show service",
				 name ? name : "*");
	for (size_t i = 0; servers && i < *n; i++) {
		ret = cv_dump_servers(nl, &(*svcs)[i]);
		if (ret == -ENOENT && !name) {
			cv_service_clear(&(*svcs)[i]);
			memmove(&(*svcs)[i], &(*svcs)[i + 1],
				(*n - i - 1) * sizeof(**svcs));
			(*n)--;
			i--;
		} else if (ret) {
			cv_report(nl, ret, "cannot list the servers of",
				  (*svcs)[i].name);
			cv_free_services(*svcs, *n);
			return CV_EXIT_FAIL;
		}
	}
	return CV_EXIT_OK;
}

/* Rates from two reads; none if a counter went back (zeroed, or new). */
static void rates_of(struct cv_rates *r, const struct cv_stats *was,
		     const struct cv_stats *now, double secs)
{
	if (now->conns < was->conns || now->pkts_in < was->pkts_in ||
	    now->pkts_out < was->pkts_out || now->bytes_in < was->bytes_in ||
	    now->bytes_out < was->bytes_out ||
	    now->drop_noserver + now->drop_nat <
		    was->drop_noserver + was->drop_nat)
		return;
	r->valid = true;
	r->conns = (double)(now->conns - was->conns) / secs;
	r->pkts_in = (double)(now->pkts_in - was->pkts_in) / secs;
	r->pkts_out = (double)(now->pkts_out - was->pkts_out) / secs;
	r->bytes_in = (double)(now->bytes_in - was->bytes_in) / secs;
	r->bytes_out = (double)(now->bytes_out - was->bytes_out) / secs;
	r->drops = (double)(now->drop_noserver + now->drop_nat -
			    was->drop_noserver - was->drop_nat) /
		   secs;
}

/*
 * The rates between two reads, for what both have: a service or server
 * that came or went meanwhile has none.
 */
static void rates_between(const struct cv_service *was, size_t nwas,
			  struct cv_service *now, size_t n, double secs)
{
	for (size_t i = 0; i < n; i++) {
		const struct cv_service *w = NULL;

		/* Both in creation order: the same place, mostly. */
		if (i < nwas && !strcmp(was[i].name, now[i].name))
			w = &was[i];
		for (size_t k = 0; k < nwas && !w; k++)
			if (!strcmp(was[k].name, now[i].name))
				w = &was[k];
		if (!w)
			continue;
		rates_of(&now[i].rates, &w->stats, &now[i].stats, secs);
		for (size_t j = 0; j < now[i].nsrv; j++) {
			struct cv_server *s = &now[i].servers[j];

			for (size_t k = 0; k < w->nsrv; k++)
				if (cv_addr_eq(&w->servers[k].addr, &s->addr))
					rates_of(&s->rates, &w->servers[k].stats,
						 &s->stats, secs);
		}
	}
}

int cv_show(struct cv_nl *nl, const char *name, bool servers)
{
	struct cv_service *svcs, *was;
	long start = cv_now_ms();
	size_t n, nwas;
	double secs;
	int ret;

	ret = cv_read_services(nl, name, servers, &svcs, &n);
	if (ret)
		return ret;
	if (cv_opts.rate) {
		was = svcs;
		nwas = n;
		sleep(cv_opts.rate);
		/* From the start of one read to the start of the other. */
		secs = (double)(cv_now_ms() - start) / 1000;
		ret = cv_read_services(nl, name, servers, &svcs, &n);
		if (!ret)
			rates_between(was, nwas, svcs, n, secs);
		cv_free_services(was, nwas);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < n; i++) {
		char err[CV_ERRLEN];

		if (cv_service_checks(&svcs[i], err))
			fprintf(stderr, "Warning: %s\n", err);
	}
	cv_print_services(svcs, n, servers);
	cv_free_services(svcs, n);
	return CV_EXIT_OK;
}

static int cmd_show(struct cv_nl *nl, int argc, char **argv)
{
	if (argc > 1)
		return cv_usage_error("help", "too many arguments to show: \"%s\"",
				      argv[1]);
	return cv_show(nl, argc ? argv[0] : NULL, true);
}

/*
 * casvipctl status [SERVICE]: whether each service sends new clients to
 * servers its checks found healthy lately. Exit status 3 if one does not:
 * failing open, down, or health results gone stale.
 */
static int cmd_status(struct cv_nl *nl, int argc, char **argv)
{
	const char *name = argc ? argv[0] : NULL;
	struct jw w = { .f = stdout };
	struct cv_service *svcs;
	int ret = CV_EXIT_OK;
	size_t n;

	if (argc > 1)
		return cv_usage_error("help",
				      "too many arguments to status: \"%s\"",
				      argv[1]);
	ret = cv_read_services(nl, name, true, &svcs, &n);
	if (ret)
		return ret;
	if (cv_opts.json)
		jw_begin(&w, NULL, '[');
	for (size_t i = 0; i < n; i++) {
		const struct cv_service *s = &svcs[i];
		char err[CV_ERRLEN];
		size_t nstale = 0;
		const char *state;

		cv_service_checks(&svcs[i], err);
		for (size_t k = 0; k < s->nsrv; k++)
			nstale += stale(s, &s->servers[k]);
		state = cv_service_state(s);
		if (!strcmp(state, "ok") && nstale)
			state = "stale";

		if (strcmp(state, "ok"))
			ret = CV_EXIT_DEGRADED;
		if (cv_opts.json) {
			jw_begin(&w, NULL, '{');
			jw_str(&w, "name", s->name);
			jw_str(&w, "state", state);
			jw_u64(&w, "num_servers", s->nservers);
			jw_u64(&w, "num_eligible", s->neligible);
			jw_u64(&w, "num_stale", nstale);
			jw_end(&w, '}');
		} else {
			printf("%s: %s, %" PRIu32 " of %" PRIu32
			       " servers take new clients",
			       s->name, state, s->neligible, s->nservers);
			if (nstale)
				printf("; %zu results older than the checks allow: is casvip-healthd running?",
				       nstale);
			printf("\n");
		}
	}
	if (cv_opts.json)
		jw_end(&w, ']');
	cv_free_services(svcs, n);
	return ret;
}

static int cmd_flush(struct cv_nl *nl, int argc, char **argv)
{
	if (argc)
		return cv_usage_error("help", "flush takes no argument: \"%s\"",
				      argv[0]);
	return cv_report(nl, cv_nl_talk(nl, cv_nl_req(nl, CASVIP_CMD_FLUSH, 0),
					 NULL, NULL),
			 "cannot flush", "all");
}

/* casvipctl zero [SERVICE]: the counters count again from zero. */
static int cmd_zero(struct cv_nl *nl, int argc, char **argv)
{
	struct nlmsghdr *nlh;

	if (argc > 1)
		return cv_usage_error("help", "too many arguments to zero: \"%s\"",
				      argv[1]);
	nlh = cv_nl_req(nl, CASVIP_CMD_ZERO, 0);
	if (argc)
		cv_put_service_name(nlh, argv[0]);
	return cv_report(nl, cv_nl_talk(nl, nlh, NULL, NULL),
			 "cannot zero the counters of", argc ? argv[0] : "*");
}

static void usage(FILE *f)
{
	fputs("Usage: casvipctl [-j] [-s] [--rate[=SECONDS]] OBJECT COMMAND [ARGS]\n"
	      "\n"
	      "  casvipctl service add NAME vip ADDR ports PORTS [proto tcp|udp]\n"
	      "                        [sched rr|wrr|lc|wlc|sh|mh] [persist SECONDS]\n"
	      "                        [netmask PREFIXLEN] [snat off|masquerade|ADDR]\n"
	      "                        [persist-max ENTRIES|auto] [alldown open|closed]\n"
	      "                        [follow exchange|none|IFACE,...]\n"
	      "                        [follow-max N|auto]\n"
	      "  casvipctl service set NAME [the same keywords]\n"
	      "  casvipctl service del NAME [keep-conns]\n"
	      "  casvipctl service show [NAME]\n"
	      "  casvipctl server add SERVICE ADDR [weight W] [enable|drain|disable]\n"
	      "                       [primary|backup] [health up|down]\n"
	      "  casvipctl server set SERVICE ADDR [weight W] [enable|drain|disable]\n"
	      "                       [primary|backup] [health up|down] [keep-conns]\n"
	      "  casvipctl server del SERVICE ADDR [keep-conns]\n"
	      "  casvipctl server show SERVICE [ADDR]\n"
	      "  casvipctl check add SERVICE TYPE ARG [interval S] [timeout S] [rise N]\n"
	      "                        [fall N] [unforwarded]\n"
	      "  casvipctl check del SERVICE TYPE ARG\n"
	      "  casvipctl persist show [SERVICE] [client ADDR]\n"
	      "  casvipctl persist add SERVICE client ADDR server ADDR\n"
	      "  casvipctl persist del SERVICE [client ADDR]\n"
	      "  casvipctl show [SERVICE]     services and their servers\n"
	      "  casvipctl status [SERVICE]   whether each takes clients on healthy\n"
	      "                               servers (exit 3 if one does not)\n"
	      "  casvipctl flush              delete every service\n"
	      "  casvipctl zero [SERVICE]     zero the counters\n"
	      "  casvipctl offload [on|off]   the flowtable fast path for established\n"
	      "                               connections (nftables table inet casvip)\n"
	      "  casvipctl save               print the running state as a config file\n"
	      "  casvipctl apply [--dry-run] [FILE|-]\n"
	      "                               make the running state that of FILE\n"
	      "  casvipctl lint [FILE]        check a config file\n"
	      "  casvipctl healthd            run the checks, set servers up/down\n"
	      "  casvipctl monitor            print events as they happen\n"
	      "  casvipctl metrics [FILE]     the Prometheus metrics (FILE: written whole)\n"
	      "  casvipctl check-server ADDR CHECK... [timeout SECONDS]\n"
	      "                               CHECK: tcp PORT | rpc IFACE@PORT |\n"
	      "                               epm IFACE=PORT[,IFACE=PORT...] |\n"
	      "                               http|https PORT/PATH [status CODE]\n"
	      "                               [host NAME] [verify]\n"
	      "                               IFACE: emsmdb nspi rfr asyncemsmdb UUID:MAJ.MIN\n"
	      "  casvipctl help | casvipctl OBJECT help\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json    print JSON\n"
	      "  -s, --stats   print counters\n"
	      "  --rate[=S]    with show: counters a second, over S seconds (2)\n"
	      "\n"
	      "PORTS is a list of ports and ranges: 135,60001-60002.\n"
	      "FILE is /etc/casvip/casvip.conf by default: service lines with the\n"
	      "keywords of service add, each followed by server lines with those of\n"
	      "server add (see casvip.conf(5)).\n"
	      "Exit status: 0 success, 1 the request failed, 2 usage error,\n"
	      "3 (status) a service is failing open or down.\n",
	      f);
}

static int cmd_help(struct cv_nl *nl, int argc, char **argv)
{
	(void)nl;
	(void)argc;
	(void)argv;
	usage(stdout);
	return CV_EXIT_OK;
}

static const struct cv_cmd objects[] = {
	{ "service", cv_cmd_service, CV_OBJECT },
	{ "server", cv_cmd_server, CV_OBJECT },
	{ "persist", cv_cmd_persist, CV_OBJECT },
	{ "check", cv_cmd_check, CV_OBJECT },
	{ "show", cmd_show, CV_NL | CV_RATE },
	{ "status", cmd_status, CV_NL },
	{ "list", cmd_show, CV_NL | CV_RATE },
	{ "flush", cmd_flush, CV_NL | CV_CHANGES | CV_VIPS },
	{ "offload", cv_cmd_offload, 0 },
	{ "zero", cmd_zero, CV_NL | CV_CHANGES },
	{ "check-server", cv_check_server, 0 },
	{ "healthd", cv_healthd, CV_NL },
	{ "monitor", cv_monitor, CV_NL },
	{ "metrics", cv_metrics, CV_NL },
	{ "help", cmd_help, CV_OBJECT },
};

const struct cv_cmd *cv_find_cmd(const struct cv_cmd *cmds, size_t n,
				 const char *word)
{

	for (size_t i = 0; i < n; i++)
		if (!strcmp(cmds[i].name, word))
			return &cmds[i];
	return NULL;
}

int cv_run(const struct cv_cmd *cmd, int argc, char **argv)
{
	struct cv_nl *nl = NULL;
	int ret;

	if (cv_opts.rate && !(cmd->flags & (CV_RATE | CV_OBJECT)))
		return cv_usage_error("help",
				      "--rate goes with show and list, not with \"%s\"",
				      cmd->name);
	if (cmd->flags & CV_NL) {
		nl = cv_nl_open();
		if (!nl)
			return CV_EXIT_FAIL;
	}
	ret = cmd->fn(nl, argc, argv);
	/* Logged once the change is made, whether offload follows or not. */
	if ((cmd->flags & CV_CHANGES) && ret == CV_EXIT_OK)
		cv_log_command(cv_argc, cv_argv);
	if ((cmd->flags & CV_VIPS) && ret == CV_EXIT_OK)
		ret = cv_offload_follow(nl);
	if (nl)
		cv_nl_close(nl);
	return ret;
}

/* --rate=SECONDS: 1 to 3600. */
static int parse_rate(const char *s)
{
	char err[CV_ERRLEN];
	uint32_t v;

	if (cv_parse_u32(s, 3600, &v, err) || !v) {
		cv_usage_error("help",
			       "--rate takes the seconds to measure over, 1 to 3600: \"%s\"",
			       s);
		return -1;
	}
	cv_opts.rate = v;
	cv_opts.stats = true;
	return 0;
}

/*
 * The options may come anywhere on the line ("casvipctl show -j", as
 * "ip" allows): take them out of the command's words, up to a "--".
 */
static int hoist_options(int argc, char **argv)
{
	static const struct {
		const char *word;
		bool json, stats;
	} opts[] = {
		{ "--rate", false, true },
		{ "-j", true, false },	  { "--json", true, false },
		{ "-s", false, true },	  { "--stats", false, true },
		{ "-js", true, true },	  { "-sj", true, true },
	};
	int n = 1, first = 1;

	/* The leading options are getopt's; the command starts after them. */
	while (first < argc && argv[first][0] == '-' &&
	       strcmp(argv[first], "--"))
		first++;
	for (int i = 1; i < argc; i++) {
		size_t k = sizeof(opts) / sizeof(opts[0]);

		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (i > first)
			for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
				if (!strcmp(argv[i], opts[k].word))
					break;
		if (i > first && !strncmp(argv[i], "--rate=", 7)) {
			if (parse_rate(argv[i] + 7))
				return -1;
			continue;
		}
		if (k == sizeof(opts) / sizeof(opts[0])) {
			argv[n++] = argv[i];
			continue;
		}
		if (!strcmp(opts[k].word, "--rate"))
			cv_opts.rate = 2;
		cv_opts.json |= opts[k].json;
		cv_opts.stats |= opts[k].stats;
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 's' },
		{ "rate", optional_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cv_cmd *cmd;
	int c;

	argc = hoist_options(argc, argv);
	if (argc < 0)
		return CV_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "+jshV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'V':
			printf("casvipctl %s\n", CV_VERSION);
			return CV_EXIT_OK;
		case 'j':
			cv_opts.json = true;
			break;
		case 's':
			cv_opts.stats = true;
			break;
		case 'r':
			if (!optarg) {
				cv_opts.rate = 2;
				cv_opts.stats = true;
			} else if (parse_rate(optarg)) {
				return CV_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CV_EXIT_OK;
		default:
			usage(stderr);
			return CV_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (!argc) {
		usage(stderr);
		return CV_EXIT_USAGE;
	}
	cv_argc = argc;
	cv_argv = argv;
	cmd = cv_find_cmd(objects, sizeof(objects) / sizeof(objects[0]),
			  argv[0]);
	if (!cmd)
		cmd = cv_find_cmd(cv_config_cmds, 3, argv[0]);
	if (!cmd)
		return cv_usage_error("help", "unknown object \"%s\"", argv[0]);
	return cv_run(cmd, argc - 1, argv + 1);
}
