// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl healthd: run the checks of every service of a config file
 * against each of the service's servers, all at once on one epoll loop,
 * and set each server's health in the kernel when rise or fall consecutive
 * results say so. A server is up while all its checks are. SIGHUP reads
 * the file again; SIGTERM ends it. The servers themselves are the
 * kernel's: those added or removed are followed every few seconds.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "check.h"
#include "cmd.h"
#include "config.h"
#include "nl.h"

#define REFRESH_MS 5000

struct server_state {
	char service[CASVIP_NAME_MAX];
	struct cv_addr addr;
	bool up; /* as set in the kernel */
	char reason[CASVIP_REASON_MAX]; /* as set in the kernel */
	bool pending; /* to be set: want_up, want_reason */
	bool want_up;
	char want_reason[CASVIP_REASON_MAX];
};

struct target {
	size_t server; /* index into servers */
	struct cv_hcheck hc;
	struct check_run run;
	bool running, up;
	long next_ms, deadline_ms;
	unsigned int oks, fails;
};

struct healthd {
	const char *path;
	struct cv_nl *nl;
	int epfd;
	struct server_state *servers;
	size_t nservers;
	struct target *targets;
	size_t ntargets;
};

static volatile sig_atomic_t reload, quit;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		quit = 1;
}

static void say(const char *fmt, const char *a, const char *b, const char *c)
{
	fprintf(stderr, "casvipctl healthd: ");
	fprintf(stderr, fmt, a, b, c);
	fputc('\n', stderr);
}

/* The kernel is to hear of the server's health, and why. */
static void push(struct server_state *s, bool up, const char *why)
{
	s->pending = true;
	s->want_up = up;
	/* The kernel keeps CASVIP_REASON_MAX - 1 bytes of it. */
	memset(s->want_reason, 0, sizeof(s->want_reason));
	memcpy(s->want_reason, why, strnlen(why, sizeof(s->want_reason) - 1));
}

/*
 * Tell the kernel what changed since the last time: the servers of one
 * service in one request, so that those that go down together share one
 * grace period. Servers are grouped by service (see build()).
 */
static void flush(struct healthd *h)
{
	struct cv_server *batch = calloc(h->nservers + 1, sizeof(*batch));
	char a[INET6_ADDRSTRLEN];
	size_t i = 0;

	if (!batch) {
		perror("casvipctl healthd: cannot set health");
		return;
	}
	while (i < h->nservers) {
		const char *service = h->servers[i].service;
		size_t first = i, n = 0;
		int ret;

		for (; i < h->nservers && !strcmp(h->servers[i].service, service);
		     i++) {
			struct server_state *s = &h->servers[i];

			if (!s->pending)
				continue;
			batch[n++] = (struct cv_server){
				.addr = s->addr,
				.health = s->want_up ? CASVIP_HEALTH_UP :
						       CASVIP_HEALTH_DOWN,
				.given = CV_HEALTH | CV_REASON,
			};
			memcpy(batch[n - 1].reason, s->want_reason,
			       sizeof(s->want_reason));
		}
		if (!n)
			continue;
		ret = cv_servers_talk(h->nl, CASVIP_CMD_SERVER_SET, service,
				      batch, n);
		for (size_t k = first; k < i; k++) {
			struct server_state *s = &h->servers[k];

			if (!s->pending)
				continue;
			s->pending = false;
			cv_format_addr(&s->addr, a, sizeof(a));
			if (ret) {
				/* Left as it was: the next result tries again. */
				say("%s %s: cannot set its health: %s", service,
				    a,
				    *cv_nl_errmsg(h->nl) ? cv_nl_errmsg(h->nl) :
							   strerror(-ret));
				continue;
			}
			memcpy(s->reason, s->want_reason, sizeof(s->reason));
			if (s->want_up != s->up) {
				s->up = s->want_up;
				say("%s %s %s", service, a,
				    s->up ? "up" : "down");
				say("%s %s: %s", service, a, s->reason);
			}
		}
	}
	free(batch);
}

/* A run finished: count it, and flip the server when rise/fall say so. */
static void record(struct healthd *h, struct target *t)
{
	struct server_state *s = &h->servers[t->server];
	char text[96], why[512];
	bool up = true;

	t->running = false;
	if (t->run.ok) {
		t->oks++;
		t->fails = 0;
		if (!t->up && t->oks >= t->hc.rise)
			t->up = true;
	} else {
		t->fails++;
		t->oks = 0;
		if (t->up && t->fails >= t->hc.fall)
			t->up = false;
	}
	check_format(&t->hc.c, text, sizeof(text));
	if (t->run.ok && t->up)
		snprintf(why, sizeof(why), "every check passes");
	else if (t->run.ok)
		snprintf(why, sizeof(why), "%s: passed %u of %u to come up",
			 text, t->oks, t->hc.rise);
	else if (t->up)
		snprintf(why, sizeof(why), "%s: %s (failed %u of %u)", text,
			 t->run.why, t->fails, t->hc.fall);
	else
		snprintf(why, sizeof(why), "%s: %s", text, t->run.why);
	for (size_t i = 0; i < h->ntargets; i++)
		if (h->targets[i].server == t->server)
			up &= h->targets[i].up;
	/* A passing check does not hide another one's failure. */
	if (t->run.ok && t->up && !up)
		return;
	/* The kernel hears of every change of result, not of every result. */
	if (up != s->up || strncmp(why, s->reason, sizeof(s->reason) - 1))
		push(s, up, why);
}

static struct target *find_target(const struct healthd *h,
				  const struct server_state *s,
				  const struct check *c)
{
	for (size_t i = 0; i < h->ntargets; i++) {
		const struct server_state *o = &h->servers[h->targets[i].server];

		if (!strcmp(o->service, s->service) &&
		    cv_addr_eq(&o->addr, &s->addr) &&
		    !memcmp(&h->targets[i].hc.c, c, sizeof(*c)))
			return &h->targets[i];
	}
	return NULL;
}

/*
 * (Re)build the targets from the config and the kernel's servers, keeping
 * the state of every target that stays. 0, or -1 if nothing could be read.
 */
static int build(struct healthd *h, const struct cv_config *cfg)
{
	struct cv_config have;
	struct server_state *servers = NULL;
	struct target *targets = NULL;
	size_t ns = 0, nt = 0;

	if (cv_dump_services(h->nl, &have.svcs, &have.n))
		return -1;
	for (size_t i = 0; i < have.n; i++) {
		const struct cv_service *want = NULL;
		struct cv_service *svc = &have.svcs[i];

		for (size_t j = 0; j < cfg->n; j++)
			if (!strcmp(cfg->svcs[j].name, svc->name))
				want = &cfg->svcs[j];
		if (!want || !want->nchecks || cv_dump_servers(h->nl, svc))
			continue;
		servers = realloc(servers, (ns + svc->nsrv) * sizeof(*servers));
		targets = realloc(targets, (nt + svc->nsrv * want->nchecks) *
						   sizeof(*targets));
		if (!servers || !targets)
			break;
		for (size_t k = 0; k < svc->nsrv; k++) {
			struct server_state *s = &servers[ns];

			memset(s, 0, sizeof(*s));
			snprintf(s->service, sizeof(s->service), "%s", svc->name);
			s->addr = svc->servers[k].addr;
			s->up = svc->servers[k].health == CASVIP_HEALTH_UP;
			memcpy(s->reason, svc->servers[k].reason,
			       sizeof(s->reason));
			for (size_t c = 0; c < want->nchecks; c++) {
				struct target *old = find_target(h, s,
								 &want->checks[c].c);
				struct target *t = &targets[nt++];

				memset(t, 0, sizeof(*t));
				if (old && !old->running)
					*t = *old;
				else
					t->up = s->up;
				t->server = ns;
				t->hc = want->checks[c];
				t->running = false;
			}
			ns++;
		}
	}
	cv_free_services(have.svcs, have.n);
	for (size_t i = 0; i < h->ntargets; i++)
		if (h->targets[i].running)
			check_timeout(&h->targets[i].run); /* closes it */
	free(h->servers);
	free(h->targets);
	h->servers = servers;
	h->nservers = ns;
	h->targets = targets;
	h->ntargets = nt;
	return 0;
}

static int load(struct healthd *h, struct cv_config *cfg)
{
	struct cv_diag d = { .path = h->path, .f = stderr };

	if (cv_config_read(&d, cfg))
		return -1;
	cv_config_lint(&d, cfg);
	if (d.errors) {
		fprintf(stderr, "casvipctl healthd: %s has errors\n", h->path);
		cv_config_free(cfg);
		return -1;
	}
	return 0;
}

static long tick(struct healthd *h)
{
	long now = cv_now_ms(), wake = now + 1000;

	for (size_t i = 0; i < h->ntargets; i++) {
		struct target *t = &h->targets[i];

		if (t->running && now >= t->deadline_ms) {
			check_timeout(&t->run);
			record(h, t);
		}
		if (!t->running && now >= t->next_ms) {
			struct epoll_event ev = { .data.ptr = t };
			int fd = check_start(&t->run, &t->hc.c,
					     &h->servers[t->server].addr);

			t->next_ms = now + t->hc.interval_ms;
			t->deadline_ms = now + t->hc.timeout_ms;
			t->running = true;
			ev.events = (uint32_t)check_events(&t->run);
			if (fd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev))
				record(h, t);
		}
		if (t->running && t->deadline_ms < wake)
			wake = t->deadline_ms;
		if (!t->running && t->next_ms < wake)
			wake = t->next_ms;
	}
	return wake - now > 0 ? wake - now : 0;
}

int cv_healthd(struct cv_nl *nl, int argc, char **argv)
{
	struct healthd h = { .path = argc ? argv[0] : CV_CONFIG_DEFAULT,
			     .nl = nl };
	struct epoll_event evs[64];
	struct cv_config cfg;
	long refresh;

	if (argc > 1)
		return cv_usage_error("help", "healthd takes one file: \"%s\"",
				      argv[1]);
	if (load(&h, &cfg))
		return CV_EXIT_FAIL;
	h.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h.epfd < 0 || build(&h, &cfg)) {
		fprintf(stderr, "casvipctl healthd: cannot start: %s\n",
			strerror(errno));
		return CV_EXIT_FAIL;
	}
	signal(SIGHUP, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "casvipctl healthd: checking %zu servers\n", h.nservers);
	refresh = cv_now_ms() + REFRESH_MS;
	while (!quit) {
		int n = epoll_wait(h.epfd, evs, 64, (int)tick(&h));

		for (int i = 0; i < n; i++) {
			struct target *t = evs[i].data.ptr;
			struct epoll_event ev = { .data.ptr = t };

			if (!t->running)
				continue;
			if (check_step(&t->run)) {
				record(&h, t);
				continue;
			}
			ev.events = (uint32_t)check_events(&t->run);
			epoll_ctl(h.epfd, EPOLL_CTL_MOD, t->run.fd, &ev);
		}
		flush(&h);
		if (reload) {
			struct cv_config fresh;

			reload = 0;
			fprintf(stderr, "casvipctl healthd: reading %s again\n",
				h.path);
			if (!load(&h, &fresh)) {
				cv_config_free(&cfg);
				cfg = fresh;
				refresh = 0;
			}
		}
		if (cv_now_ms() >= refresh) {
			build(&h, &cfg);
			refresh = cv_now_ms() + REFRESH_MS;
		}
	}
	fprintf(stderr, "casvipctl healthd: stopping\n");
	for (size_t i = 0; i < h.ntargets; i++)
		if (h.targets[i].running)
			check_timeout(&h.targets[i].run);
	free(h.servers);
	free(h.targets);
	cv_config_free(&cfg);
	close(h.epfd);
	return CV_EXIT_OK;
}
