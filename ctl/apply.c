// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: save, lint and apply. apply makes the running state equal to
 * a configuration with the fewest changes: a server whose weight changed
 * gets a weight change, and one that did not change is not touched, so it
 * keeps its clients and their connections.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd.h"
#include "config.h"
#include "json.h"
#include "nl.h"
#include "offload.h"

/* The running state, every service with its servers and checks. */
static int running(struct cv_nl *nl, struct cv_config *cfg)
{
	int ret = cv_dump_services(nl, &cfg->svcs, &cfg->n);
	char err[CV_ERRLEN];

	for (size_t i = 0; !ret && i < cfg->n; i++)
		ret = cv_dump_servers(nl, &cfg->svcs[i]);
	if (ret) {
		cv_report(nl, ret, "cannot read the running state of", "casvip");
		return ret;
	}
	/* Checks of another casvipctl's: apply replaces them, save says so. */
	for (size_t i = 0; i < cfg->n; i++)
		if (cv_service_checks(&cfg->svcs[i], err))
			fprintf(stderr, "Warning: %s\n", err);
	return 0;
}

static int cmd_save(struct cv_nl *nl, int argc, char **argv)
{
	char a[INET6_ADDRSTRLEN], err[CV_ERRLEN];
	struct cv_config cfg;
	int offload;

	(void)argv;
	if (argc)
		return cv_usage_error("help", "save takes no argument%s", "");
	offload = cv_offload_is_on(err);
	if (offload < 0)
		fprintf(stderr,
			"Warning: cannot read the offload table (%s): saved as off\n",
			err);
	if (running(nl, &cfg))
		return CV_EXIT_FAIL;
	if (cv_opts.json) {
		cv_print_services(cfg.svcs, cfg.n, true);
	} else {
		printf("# casvip configuration, saved by casvipctl save\n");
		if (offload > 0)
			printf("\noffload on\n");
		for (size_t i = 0; i < cfg.n; i++) {
			const struct cv_service *s = &cfg.svcs[i];

			printf("\nservice %s", s->name);
			cv_format_service(stdout, s, s->given);
			printf("\n");
			for (size_t j = 0; j < s->nsrv; j++) {
				printf("\tserver %s",
				       cv_format_addr(&s->servers[j].addr, a,
						      sizeof(a)));
				cv_format_server(stdout, &s->servers[j],
						 CV_WEIGHT | CV_ADMIN |
							 CV_BACKUP);
				printf("\n");
			}
			if (s->udata_len && !s->nchecks && !s->unchecked)
				printf("\t# its checks are left out: this casvipctl cannot read them\n");
			if (s->unchecked)
				printf("\tcheck none\n");
			for (size_t j = 0; j < s->nchecks; j++) {
				printf("\t");
				cv_format_check(stdout, &s->checks[j]);
				printf("\n");
			}
		}
	}
	cv_config_free(&cfg);
	return CV_EXIT_OK;
}

/*
 * Read and check a file, with each service's checks as the kernel is to
 * keep them; 0, or the exit status to return.
 */
static int load(const char *path, struct cv_config *cfg)
{
	struct cv_diag d = { .path = path, .f = stderr };
	char err[CV_ERRLEN];

	if (cv_config_read(&d, cfg)) {
		cv_diag_print(&d);
		return CV_EXIT_FAIL;
	}
	cv_config_lint(&d, cfg);
	cv_diag_print(&d);
	for (size_t i = 0; !d.errors && i < cfg->n; i++)
		if (cv_service_udata(&cfg->svcs[i], err)) {
			fprintf(stderr, "%s:%d: error: %s\n", path,
				cfg->svcs[i].line, err);
			d.errors++;
		}
	if (d.errors) {
		fprintf(stderr, "%s: %d error%s: nothing changed\n", path,
			d.errors, d.errors == 1 ? "" : "s");
		cv_config_free(cfg);
		return CV_EXIT_FAIL;
	}
	return CV_EXIT_OK;
}

static int cmd_lint(struct cv_nl *nl, int argc, char **argv)
{
	struct jw w = { .f = stdout };
	struct cv_diag d = {
		.path = argc ? argv[0] : CV_CONFIG_DEFAULT,
		.f = stdout,
		.json = cv_opts.json ? &w : NULL,
	};
	struct cv_config cfg;

	(void)nl;
	if (argc > 1)
		return cv_usage_error("help", "lint takes one file: \"%s\"",
				      argv[1]);
	if (d.json)
		jw_begin(&w, NULL, '[');
	if (cv_config_read(&d, &cfg)) {
		cv_diag_print(&d);
		if (d.json)
			jw_end(&w, ']');
		return CV_EXIT_FAIL;
	}
	cv_config_lint(&d, &cfg);
	cv_diag_print(&d);
	if (d.json)
		jw_end(&w, ']');
	else
		printf("%s: %d error%s, %d warning%s\n", d.path, d.errors,
		       d.errors == 1 ? "" : "s", d.warnings,
		       d.warnings == 1 ? "" : "s");
	cv_config_free(&cfg);
	return d.errors ? CV_EXIT_FAIL : CV_EXIT_OK;
}

/* Which fields of @want differ from @have; VIP, proto and ports go together. */
static unsigned int service_diff(const struct cv_service *want,
				 const struct cv_service *have)
{
	unsigned int d = 0;

	if (!cv_addr_eq(&want->vip, &have->vip) || want->proto != have->proto ||
	    want->nranges != have->nranges ||
	    memcmp(want->ranges, have->ranges,
		   want->nranges * sizeof(want->ranges[0])))
		d |= CV_VIP | CV_PROTO | CV_PORTS;
	if (want->sched != have->sched)
		d |= CV_SCHED;
	if (want->timeout != have->timeout)
		d |= CV_PERSIST;
	if (want->netmask != have->netmask)
		d |= CV_NETMASK;
	if (want->persist_max != have->persist_max)
		d |= CV_PERSIST_MAX;
	if (want->follow_max != have->follow_max)
		d |= CV_FOLLOW_MAX;
	if (want->alldown != have->alldown)
		d |= CV_ALLDOWN;
	if (want->udata_len != have->udata_len ||
	    (want->udata_len &&
	     memcmp(want->udata, have->udata, want->udata_len)))
		d |= CV_CHECKS;
	if (want->snat != have->snat ||
	    (want->snat == CASVIP_SNAT_ADDR &&
	     !cv_addr_eq(&want->snat_addr, &have->snat_addr)))
		d |= CV_SNAT;
	if (want->nfollow != have->nfollow ||
	    memcmp(want->follow, have->follow,
		   want->nfollow * sizeof(want->follow[0])))
		d |= CV_FOLLOW;
	return d;
}

static const struct cv_service *find_service(const struct cv_config *cfg,
					     const char *name)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (!strcmp(cfg->svcs[i].name, name))
			return &cfg->svcs[i];
	return NULL;
}

static const struct cv_server *find_server(const struct cv_service *svc,
					   const struct cv_addr *addr)
{
	for (size_t i = 0; svc && i < svc->nsrv; i++)
		if (cv_addr_eq(&svc->servers[i].addr, addr))
			return &svc->servers[i];
	return NULL;
}

struct plan {
	struct cv_nl *nl;
	bool dry_run;
	struct jw w;
	int changes;
	FILE *log; /* the changes, one a line, for the log once done */
};

/*
 * One change, as the command that makes it: in JSON, or as text when
 * only planning. A plan of no writer (putting things back) is quiet.
 */
static void say_change(struct plan *p, const char *text)
{
	if (p->log)
		fprintf(p->log, "%s\n", text);
	if (cv_opts.json && p->w.f)
		jw_str(&p->w, NULL, text);
	else if (!cv_opts.json && p->dry_run)
		printf("%s\n", text);
}

/* Say one change, as the command that makes it. */
static void describe(struct plan *p, uint8_t cmd, const struct cv_service *svc,
		     unsigned int sgiven, const struct cv_server *srv,
		     unsigned int vgiven)
{
	static const char *const verbs[] = {
		[CASVIP_CMD_SERVICE_NEW] = "service add",
		[CASVIP_CMD_SERVICE_SET] = "service set",
		[CASVIP_CMD_SERVICE_DEL] = "service del",
		[CASVIP_CMD_SERVER_NEW] = "server add",
		[CASVIP_CMD_SERVER_SET] = "server set",
		[CASVIP_CMD_SERVER_DEL] = "server del",
	};
	char a[INET6_ADDRSTRLEN], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	p->changes++;
	if (!f)
		return;
	fprintf(f, "%s %s", verbs[cmd], svc->name);
	cv_format_service(f, svc, sgiven);
	if (srv) {
		fprintf(f, " %s", cv_format_addr(&srv->addr, a, sizeof(a)));
		cv_format_server(f, srv, vgiven);
	}
	fclose(f);
	say_change(p, text);
	free(text);
}

/*
 * The line of @svc's checks that starts at offset *@off, if any: its start
 * and length; *@off moves to the next one.
 */
static const char *next_line(const struct cv_service *svc, size_t *off,
			     size_t *len)
{
	const char *p, *nl;

	if (!svc || !svc->udata || *off >= svc->udata_len)
		return NULL;
	p = svc->udata + *off;
	nl = memchr(p, '\n', svc->udata_len - *off);
	*len = nl ? (size_t)(nl - p) : svc->udata_len - *off;
	*off += *len + 1;
	return p;
}

static bool has_line(const struct cv_service *svc, const char *line,
		     size_t len)
{
	size_t off = 0, n;
	const char *p;

	while ((p = next_line(svc, &off, &n)))
		if (n == len && !memcmp(p, line, len))
			return true;
	return false;
}

/*
 * The check lines of @from that @other lacks (all of them if @other is
 * NULL), as check @verb commands. How many.
 */
static int describe_lines(struct plan *p, const char *verb,
			  const struct cv_service *from,
			  const struct cv_service *other)
{
	static const char lead[] = "check ";
	size_t off = 0, len;
	const char *line;
	int n = 0;

	while ((line = next_line(from, &off, &len))) {
		const char *rest = line;
		char *text = NULL;
		int rlen = (int)len;

		if (other && has_line(other, line, len))
			continue;
		/* "check TYPE ..." says "check VERB SERVICE TYPE ...". */
		if (len >= sizeof(lead) - 1 &&
		    !memcmp(line, lead, sizeof(lead) - 1)) {
			rest += sizeof(lead) - 1;
			rlen -= (int)sizeof(lead) - 1;
		}
		p->changes++;
		n++;
		if (asprintf(&text, "check %s %s %.*s", verb, from->name, rlen,
			     rest) < 0)
			continue;
		say_change(p, text);
		free(text);
	}
	return n;
}

/* Say how the checks of @have (none if NULL) become those of @want. */
static void describe_checks(struct plan *p, const struct cv_service *want,
			    const struct cv_service *have)
{
	int n = 0;

	if (have)
		n = describe_lines(p, "del", have, want);
	n += describe_lines(p, "add", want, have);
	/* The same lines, in another order: the order tells which reason. */
	if (!n && have) {
		describe_lines(p, "del", have, NULL);
		describe_lines(p, "add", want, NULL);
	}
}

/* Send a request made of one service; report its failure. */
static int send_service(struct plan *p, uint8_t cmd,
			const struct cv_service *svc, unsigned int given,
			const struct cv_server *srvs, size_t n)
{
	struct cv_service s = *svc;
	struct nlmsghdr *nlh;
	int ret;

	if (p->dry_run)
		return 0;
	s.given = given;
	nlh = cv_nl_req(p->nl, cmd, 0);
	cv_put_service(nlh, &s);
	if (cv_put_servers(nlh, srvs, n) < n) {
		fprintf(stderr,
			"Error: service \"%s\": too many servers for one request\n",
			svc->name);
		return -E2BIG;
	}
	ret = cv_nl_talk(p->nl, nlh, NULL, NULL);
	if (ret)
		cv_report(p->nl, ret,
			  cmd == CASVIP_CMD_SERVICE_NEW ? "cannot add service" :
			  cmd == CASVIP_CMD_SERVICE_SET ? "cannot change service" :
							  "cannot delete service",
			  svc->name);
	return ret;
}

/* The server changes of one service, of one kind, sent together. */
struct batch {
	uint8_t cmd;
	struct cv_server *srvs;
	size_t n;
};

static void batch_add(struct plan *p, struct batch *b,
		      const struct cv_service *svc, const struct cv_server *srv,
		      unsigned int given)
{
	describe(p, b->cmd, svc, 0, srv, given);
	b->srvs[b->n] = *srv;
	b->srvs[b->n].given = given;
	b->n++;
}

static int batch_send(struct plan *p, struct batch *b, const char *name)
{
	int ret = 0;

	if (!p->dry_run && b->n)
		ret = cv_servers_talk(p->nl, b->cmd, name, b->srvs, b->n);
	if (ret)
		cv_report(p->nl, ret,
			  b->cmd == CASVIP_CMD_SERVER_NEW ? "cannot add servers to" :
			  b->cmd == CASVIP_CMD_SERVER_SET ?
							  "cannot change servers of" :
							  "cannot delete servers of",
			  name);
	return ret;
}

/*
 * The server changes that make @have's servers @want's: deletions, then
 * changes, then additions, each kind in one request (or as few as hold
 * it), so that servers leaving together share one grace period.
 */
static int servers_sync(struct plan *p, const struct cv_service *want,
			const struct cv_service *have)
{
	struct batch del = { .cmd = CASVIP_CMD_SERVER_DEL };
	struct batch set = { .cmd = CASVIP_CMD_SERVER_SET };
	struct batch add = { .cmd = CASVIP_CMD_SERVER_NEW };
	char a[INET6_ADDRSTRLEN];
	int ret;

	del.srvs = calloc(have->nsrv + 1, sizeof(*del.srvs));
	set.srvs = calloc(want->nsrv + 1, sizeof(*set.srvs));
	add.srvs = calloc(want->nsrv + 1, sizeof(*add.srvs));
	if (!del.srvs || !set.srvs || !add.srvs) {
		free(del.srvs);
		free(set.srvs);
		free(add.srvs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < have->nsrv; i++)
		if (!find_server(want, &have->servers[i].addr))
			batch_add(p, &del, have, &have->servers[i], 0);
	for (size_t i = 0; i < want->nsrv; i++) {
		const struct cv_server *w = &want->servers[i];
		const struct cv_server *h = find_server(have, &w->addr);
		unsigned int d = 0;

		if (!h) {
			struct cv_server n = *w;
			unsigned int g = CV_WEIGHT | CV_ADMIN | CV_BACKUP |
					 (w->given & CV_HEALTH);

			if (want->nchecks && !(w->given & CV_HEALTH)) {
				cv_server_starts_down(&n);
				g |= CV_HEALTH | CV_REASON;
			}
			batch_add(p, &add, want, &n, g);
			continue;
		}
		if (w->weight != h->weight)
			d |= CV_WEIGHT;
		/*
		 * A drain made at run time (for patching, say) stays, unless
		 * the file names a state: a reload must not undo it unseen.
		 */
		if (w->admin != h->admin && w->admin_default)
			fprintf(stderr,
				"note: server %s of service \"%s\" stays %s, as set at run time: its line names no state (add \"enable\" to it to undo that)\n",
				cv_format_addr(&w->addr, a, sizeof(a)), want->name,
				cv_admin_name(h->admin));
		else if (w->admin != h->admin)
			d |= CV_ADMIN;
		if (w->backup != h->backup)
			d |= CV_BACKUP;
		if (d)
			batch_add(p, &set, want, w, d);
	}
	ret = batch_send(p, &del, have->name);
	if (!ret)
		ret = batch_send(p, &set, want->name);
	if (!ret)
		ret = batch_send(p, &add, want->name);
	free(del.srvs);
	free(set.srvs);
	free(add.srvs);
	return ret;
}

/* Must @w replace @h (delete, add) rather than change it? */
static bool must_replace(const struct cv_service *w, const struct cv_service *h)
{
	/* The kernel keeps a VIP's family for good. */
	return h && w->vip.family != h->vip.family;
}

/* Would @w's ports take one that @o holds now, on the same VIP? */
static bool takes_from(const struct cv_service *w, const struct cv_service *o)
{
	unsigned int port;

	return w->proto == o->proto && cv_addr_eq(&w->vip, &o->vip) &&
	       cv_ranges_overlap(w, o, &port);
}

/*
 * The service still to change whose ports @i's change would take (@i if
 * none): @i waits for it.
 */
static size_t waits_for(const struct cv_config *want,
			const struct cv_service *const *h, const bool *done,
			size_t i)
{
	for (size_t k = 0; k < want->n; k++)
		if (k != i && !done[k] && takes_from(&want->svcs[i], h[k]))
			return k;
	return i;
}

static int add_service(struct plan *p, const struct cv_service *w)
{
	const unsigned int all = CV_VIP | CV_PROTO | CV_PORTS | CV_SCHED |
				 CV_PERSIST | CV_NETMASK | CV_SNAT |
				 CV_PERSIST_MAX | CV_ALLDOWN | CV_CHECKS |
				 CV_FOLLOW | CV_FOLLOW_MAX;
	struct cv_server *srvs = calloc(w->nsrv + 1, sizeof(*srvs));
	int ret;

	if (!srvs)
		return -ENOMEM;
	describe(p, CASVIP_CMD_SERVICE_NEW, w, all & ~CV_CHECKS, NULL, 0);
	for (size_t j = 0; j < w->nsrv; j++) {
		/* A new service's servers start up, unless said: none checked. */
		unsigned int g = CV_WEIGHT | CV_ADMIN | CV_BACKUP |
				 (w->servers[j].given & CV_HEALTH);

		describe(p, CASVIP_CMD_SERVER_NEW, w, 0, &w->servers[j], g);
		srvs[j] = w->servers[j];
		srvs[j].given = g;
	}
	describe_checks(p, w, NULL);
	ret = send_service(p, CASVIP_CMD_SERVICE_NEW, w, all, srvs, w->nsrv);
	free(srvs);
	return ret;
}

/*
 * Deletions first (and services that must be replaced), then changes,
 * then additions: a port that moves from one service to another is free
 * before it is claimed. A change that would take a port another changing
 * service still holds waits for it; two that would take each other's
 * ports have the first replaced. A new service comes with its servers in
 * one request: its first clients see them all.
 */
static int sync_all(struct plan *p, const struct cv_config *want,
		    const struct cv_config *have)
{
	const struct cv_service **h = calloc(want->n + 1, sizeof(*h));
	bool *done = calloc(want->n + 1, sizeof(*done));
	size_t left = 0;
	int ret = 0;

	if (!h || !done) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; !ret && i < have->n; i++) {
		const struct cv_service *w = find_service(want, have->svcs[i].name);

		if (w && !must_replace(w, &have->svcs[i]))
			continue;
		describe(p, CASVIP_CMD_SERVICE_DEL, &have->svcs[i], 0, NULL, 0);
		ret = send_service(p, CASVIP_CMD_SERVICE_DEL, &have->svcs[i], 0,
				   NULL, 0);
	}
	for (size_t i = 0; i < want->n; i++) {
		h[i] = find_service(have, want->svcs[i].name);
		if (must_replace(&want->svcs[i], h[i]))
			h[i] = NULL;
		done[i] = !h[i]; /* an addition: below */
		left += !done[i];
	}
	while (!ret && left) {
		size_t before = left;

		for (size_t i = 0; !ret && i < want->n; i++) {
			const struct cv_service *w = &want->svcs[i];
			unsigned int d;

			if (done[i])
				continue;
			d = service_diff(w, h[i]);
			if ((d & CV_PORTS) && waits_for(want, h, done, i) != i)
				continue;
			if (d & ~CV_CHECKS)
				describe(p, CASVIP_CMD_SERVICE_SET, w,
					 d & ~CV_CHECKS, NULL, 0);
			if (d & CV_CHECKS)
				describe_checks(p, w, h[i]);
			if (d)
				ret = send_service(p, CASVIP_CMD_SERVICE_SET, w,
						   d, NULL, 0);
			if (!ret)
				ret = servers_sync(p, w, h[i]);
			done[i] = true;
			left--;
		}
		/*
		 * Each waits for another: replace one in a cycle of them (from
		 * any, n steps along "waits for" end in one), not one that
		 * merely waits for the cycle.
		 */
		if (!ret && left == before) {
			size_t i = 0;

			while (done[i])
				i++;
			for (size_t step = 0; step < want->n; step++)
				i = waits_for(want, h, done, i);
			describe(p, CASVIP_CMD_SERVICE_DEL, h[i], 0, NULL, 0);
			ret = send_service(p, CASVIP_CMD_SERVICE_DEL, h[i], 0,
					   NULL, 0);
			h[i] = NULL;
			done[i] = true;
			left--;
		}
	}
	for (size_t i = 0; !ret && i < want->n; i++)
		if (!h[i])
			ret = add_service(p, &want->svcs[i]);
out:
	free(h);
	free(done);
	return ret;
}

/*
 * Offload as @want says: on, or off (also when it says nothing); if it
 * stays on, its sets follow the services. Its failure leaves the services
 * as applied.
 */
static int offload_sync(struct plan *p, const struct cv_config *want)
{
	char err[CV_ERRLEN];
	int on = cv_offload_is_on(err);

	/* Unreadable: nftables is not usable here, and offload not on. */
	if (on < 0 && !want->offload)
		return 0;
	if (on == want->offload)
		return p->dry_run || !on ? 0 : cv_offload_follow(p->nl);
	say_change(p, want->offload ? "offload on" : "offload off");
	p->changes++;
	if (p->dry_run || !cv_offload_set(p->nl, want->offload, err))
		return 0;
	fprintf(stderr, "Error: cannot set offload %s: %s\n",
		want->offload ? "on" : "off", err);
	return -1;
}

/*
 * An apply that failed half-way: make the running state what it found
 * again (the clients and connections of what it deleted are gone).
 */
static int put_back(struct cv_nl *nl, const struct cv_config *was)
{
	struct plan q = { .nl = nl };
	struct cv_config now;
	int ret;

	if (running(nl, &now)) {
		fprintf(stderr, "Error: cannot read the running state to put it back\n");
		return -1;
	}
	ret = sync_all(&q, was, &now);
	if (ret)
		fprintf(stderr, "Error: the running state could not be put back as it was\n");
	else if (q.changes)
		fprintf(stderr, "the running state is put back as it was: nothing changed\n");
	cv_config_free(&now);
	return ret;
}

/*
 * The record of an apply: each change it made, then the outcome; or, if
 * it failed, what it tried and whether the state is as it was.
 */
static void log_apply(const char *path, char *changes, int n, int ret,
		      int back)
{
	char *line, *save = NULL;

	for (line = strtok_r(changes, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		cv_log_change("apply %s: %s%s", path, ret ? "tried: " : "",
			      line);
	if (!ret)
		cv_log_change("apply %s: done, %d change%s", path, n,
			      n == 1 ? "" : "s");
	else
		cv_log_change("apply %s: failed after %d change%s, %s", path,
			      n, n == 1 ? "" : "s",
			      back ? "and the state could NOT be put back" :
				     "the state is put back as it was");
}

static int cmd_apply(struct cv_nl *nl, int argc, char **argv)
{
	struct plan p = { .nl = nl, .w.f = stdout };
	struct cv_config want, have;
	const char *path = NULL;
	char *changes = NULL;
	size_t len = 0;
	int ret, back = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-n"))
			p.dry_run = true;
		else if (!path)
			path = argv[i];
		else
			return cv_usage_error("help",
					      "apply takes one file: \"%s\"",
					      argv[i]);
	}
	if (!path)
		path = CV_CONFIG_DEFAULT;
	ret = load(path, &want);
	if (ret)
		return ret;
	if (running(nl, &have)) {
		cv_config_free(&want);
		return CV_EXIT_FAIL;
	}
	if (!p.dry_run)
		p.log = open_memstream(&changes, &len);
	if (cv_opts.json)
		jw_begin(&p.w, NULL, '[');
	ret = sync_all(&p, &want, &have);
	if (ret && !p.dry_run)
		back = put_back(nl, &have);
	else if (!ret)
		ret = offload_sync(&p, &want);
	if (cv_opts.json)
		jw_end(&p.w, ']');
	else if (!p.changes)
		printf("nothing to change\n");
	if (p.log) {
		fclose(p.log);
		if (p.changes)
			log_apply(path, changes, p.changes, ret, back);
		free(changes);
	}
	cv_config_free(&want);
	cv_config_free(&have);
	return ret ? CV_EXIT_FAIL : CV_EXIT_OK;
}

const struct cv_cmd cv_config_cmds[3] = {
	{ "save", cmd_save, CV_NL },
	{ "apply", cmd_apply, CV_NL },
	{ "lint", cmd_lint, 0 },
};
