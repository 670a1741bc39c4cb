// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl healthd: run the checks of every service against each of the
 * service's servers, all at once on one epoll loop, and set each server's
 * health in the kernel when rise or fall consecutive results say so. A
 * server is up while all its checks are. Services, servers and checks are
 * the kernel's (apply puts a file's checks there): followed every few
 * seconds, and at once on SIGHUP; SIGTERM ends it.
 *
 * For a service that follows the endpoint mappers, the ports its epm
 * checks find (items without a port) on the servers that are up are the
 * ports it forwards beside its own (CASVIP_A_SERVICE_ANNOUNCED), told
 * when they change.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
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
	bool ran, last_ok; /* the last run's result, once there was one */
	char last_why[sizeof(((struct check_run *)0)->why)];
	bool found_any; /* epm without ports: it passed once, finding these */
	uint16_t found[CHECK_MAX_IFACES];
};

/* A list of announced ports, rising. */
struct ports {
	unsigned int n;
	uint16_t port[CASVIP_MAX_ANNOUNCED];
};

/* What a mapper may not announce: a well-known port (as the module's). */
#define ANNOUNCED_MIN 1024

/* A following service's announced ports. */
struct announced {
	char service[CASVIP_NAME_MAX];
	struct ports have; /* as the kernel has them */
	struct ports tried; /* the last list the kernel refused, and why */
	int err;
	bool checked; /* it has epm checks without ports: they say */
	/* Ports another service of its VIP and protocol claims, a bit each. */
	uint8_t taken[65536 / 8];
};

struct healthd {
	struct cv_nl *nl;
	bool rebuild; /* the kernel's servers changed: look again */
	size_t cap; /* checks under way at most: descriptors to spare */
	bool local_said; /* a check could not run here: said once */
	int epfd;
	struct server_state *servers;
	size_t nservers;
	struct target *targets;
	size_t ntargets;
	struct announced *ann;
	size_t nann;
	bool announce; /* a following check's result changed: look again */
};

static volatile sig_atomic_t reload, quit;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		quit = 1;
}

/* Is stderr journald's stream? As sd-daemon(3) says: JOURNAL_STREAM. */
static bool to_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	return js && sscanf(js, "%lu:%lu", &dev, &ino) == 2 &&
	       !fstat(STDERR_FILENO, &st) && st.st_dev == dev &&
	       st.st_ino == ino;
}

/*
 * One line on stderr. Under systemd led by its syslog priority, which
 * journald reads.
 */
__attribute__((format(printf, 2, 3))) static void say(int prio,
						      const char *fmt, ...)
{
	va_list ap;

	if (to_journal())
		fprintf(stderr, "<%d>", prio);
	fprintf(stderr, "casvipctl healthd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The kernel is to hear of the server's health, and why. */
static void push(struct server_state *s, bool up, const char *why)
{
	size_t len = strnlen(why, sizeof(s->want_reason) - 1);

	s->pending = true;
	s->want_up = up;
	/* The kernel keeps CASVIP_REASON_MAX - 1 bytes: whole characters. */
	while (len && ((unsigned char)why[len] & 0xc0) == 0x80)
		len--;
	memset(s->want_reason, 0, sizeof(s->want_reason));
	memcpy(s->want_reason, why, len);
}

/* After servers of @service went up or down: what its clients get now. */
static void say_service(struct healthd *h, const char *service)
{
	struct cv_service svc;

	if (cv_get_service(h->nl, service, &svc))
		return;
	if (svc.failing_open)
		say(LOG_CRIT, "%s: FAILING OPEN: every server is down; new clients go to the enabled ones",
		    service);
	else if (svc.nservers && !svc.neligible)
		say(LOG_CRIT, "%s: DOWN: no server takes new clients", service);
	else if (svc.on_backup)
		say(LOG_CRIT, "%s: ON BACKUP: only the %u backup servers take new clients",
		    service, svc.neligible);
	else
		say(LOG_NOTICE, "%s: %u of %u servers take new clients", service,
		    svc.neligible, svc.nservers);
	cv_service_clear(&svc);
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
		bool flipped = false;
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
		/*
		 * A server (or its service) deleted since we last looked:
		 * look again now, and tell the others after.
		 */
		if (ret == -ENOENT) {
			h->rebuild = true;
			continue;
		}
		for (size_t k = first; k < i; k++) {
			struct server_state *s = &h->servers[k];

			if (!s->pending)
				continue;
			s->pending = false;
			cv_format_addr(&s->addr, a, sizeof(a));
			if (ret) {
				/* Left as it was: the next result tries again. */
				say(LOG_ERR, "%s %s: cannot set its health: %s", service,
				    a,
				    *cv_nl_errmsg(h->nl) ? cv_nl_errmsg(h->nl) :
							   strerror(-ret));
				continue;
			}
			memcpy(s->reason, s->want_reason, sizeof(s->reason));
			if (s->want_up != s->up) {
				flipped = true;
				/* Its ports are announced, or no more. */
				h->announce = true;
				s->up = s->want_up;
				say(s->up ? LOG_NOTICE : LOG_WARNING,
				    "%s %s %s: %s", service, a,
				    s->up ? "up" : "down", s->reason);
			}
		}
		if (flipped)
			say_service(h, service);
	}
	free(batch);
}

/* An epm check with an item without a port: where its mapper says. */
static bool follows(const struct check *c)
{
	for (unsigned int i = 0; c->type == CHECK_EPM && i < c->nifaces; i++)
		if (!c->want[i])
			return true;
	return false;
}

/* Add @port to the rising @a, if it has room and not the port yet. */
static void port_add(struct ports *a, uint16_t port)
{
	unsigned int i = 0;

	while (i < a->n && a->port[i] < port)
		i++;
	if ((i < a->n && a->port[i] == port) || a->n == CASVIP_MAX_ANNOUNCED)
		return;
	memmove(&a->port[i + 1], &a->port[i], (a->n - i) * sizeof(a->port[0]));
	a->port[i] = port;
	a->n++;
}

static bool ports_eq(const struct ports *a, const struct ports *b)
{
	return a->n == b->n &&
	       !memcmp(a->port, b->port, a->n * sizeof(a->port[0]));
}

/*
 * The ports @a's epm checks found on its servers that are up: false
 * while one of those has not passed yet (its ports unknown). A port
 * below 1024, or another service's, is left out: the module opens
 * neither.
 */
static bool announced_now(const struct healthd *h, const struct announced *a,
			  struct ports *now)
{
	now->n = 0;
	for (size_t i = 0; i < h->ntargets; i++) {
		const struct target *t = &h->targets[i];
		const struct check *c = &t->hc.c;
		const struct server_state *s = &h->servers[t->server];

		if (strcmp(s->service, a->service) || !follows(c) || !s->up)
			continue;
		if (!t->found_any)
			return false;
		for (unsigned int k = 0; k < c->nifaces; k++) {
			uint16_t p = t->found[k];

			if (!c->want[k] && p >= ANNOUNCED_MIN &&
			    !(a->taken[p / 8] & (1u << (p % 8))))
				port_add(now, p);
		}
	}
	return true;
}

static void format_ports(const struct ports *p, char *buf, size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "none");
	for (unsigned int k = 0; k < p->n && off < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					k ? "," : "", p->port[k]);
}

/*
 * Tell the kernel the ports the following services' mappers announce,
 * once their checks say. A list the kernel refused is tried again only
 * once it changes.
 */
static void announce(struct healthd *h)
{
	if (!h->announce)
		return;
	h->announce = false;
	for (size_t i = 0; i < h->nann; i++) {
		struct cv_service svc = { .given = CV_ANNOUNCED };
		char list[CASVIP_MAX_ANNOUNCED * 6 + 8];
		struct announced *a = &h->ann[i];
		struct nlmsghdr *nlh;
		struct ports now;
		int ret;

		if (!a->checked || !announced_now(h, a, &now) ||
		    ports_eq(&now, &a->have) ||
		    (a->err && ports_eq(&now, &a->tried)))
			continue;
		snprintf(svc.name, sizeof(svc.name), "%s", a->service);
		svc.nannounced = now.n;
		memcpy(svc.announced, now.port, sizeof(svc.announced));
		nlh = cv_nl_req(h->nl, CASVIP_CMD_SERVICE_SET, 0);
		cv_put_service(nlh, &svc);
		ret = cv_nl_talk(h->nl, nlh, NULL, NULL);
		format_ports(&now, list, sizeof(list));
		if (ret == -ENOENT) {
			h->rebuild = true;
		} else if (ret) {
			a->tried = now;
			a->err = ret;
			say(LOG_ERR, "%s: cannot forward the ports its endpoint mappers announce (%s): %s",
			    a->service, list,
			    *cv_nl_errmsg(h->nl) ? cv_nl_errmsg(h->nl) :
						   strerror(-ret));
		} else {
			a->have = now;
			a->err = 0;
			say(LOG_NOTICE, "%s: the endpoint mappers announce ports %s",
			    a->service, list);
		}
	}
}

/* What the last results of @t say, for the server's reason. */
static void target_why(const struct target *t, char *why, size_t len)
{
	char text[96];

	check_format(&t->hc.c, text, sizeof(text));
	if (!t->ran)
		snprintf(why, len, "%s: not checked yet", text);
	else if (t->last_ok)
		snprintf(why, len, "%s: passed %u of %u to come up", text,
			 t->oks, t->hc.rise);
	else if (t->up)
		snprintf(why, len, "%s: %s (failed %u of %u)", text,
			 t->last_why, t->fails, t->hc.fall);
	else
		snprintf(why, len, "%s: %s", text, t->last_why);
}

/*
 * A run finished: count it, and flip the server when rise/fall say so.
 * The server is up while every check is; its reason is that of its first
 * check, in config order, that failed or is not up yet. Every result is
 * told to the kernel, changed or not: how old it is shows that healthd
 * still runs.
 */
static void record(struct healthd *h, struct target *t)
{
	struct server_state *s = &h->servers[t->server];
	const struct target *first = NULL;
	char why[512] = "every check passes";
	bool up = true;

	t->running = false;
	t->ran = true;
	t->last_ok = t->run.ok;
	memcpy(t->last_why, t->run.why, sizeof(t->last_why));
	/* The ports it found may have changed. */
	if (t->run.ok && follows(&t->hc.c)) {
		t->found_any = true;
		memcpy(t->found, t->run.found, sizeof(t->found));
		h->announce = true;
	}
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
	for (size_t i = 0; i < h->ntargets; i++) {
		const struct target *o = &h->targets[i];

		if (o->server != t->server)
			continue;
		up &= o->up;
		if (!first && (!o->up || (o->ran && !o->last_ok)))
			first = o;
	}
	if (first)
		target_why(first, why, sizeof(why));
	push(s, up, why);
}

static const struct server_state *find_server(const struct healthd *h,
					      const struct server_state *s)
{
	for (size_t i = 0; i < h->nservers; i++)
		if (!strcmp(h->servers[i].service, s->service) &&
		    cv_addr_eq(&h->servers[i].addr, &s->addr))
			return &h->servers[i];
	return NULL;
}

static struct target *find_target(const struct healthd *h,
				  const struct server_state *s,
				  const struct check *c)
{
	for (size_t i = 0; i < h->ntargets; i++) {
		const struct server_state *o = &h->servers[h->targets[i].server];

		if (!strcmp(o->service, s->service) &&
		    cv_addr_eq(&o->addr, &s->addr) &&
		    check_same(&h->targets[i].hc.c, c))
			return &h->targets[i];
	}
	return NULL;
}

/* Say why a service's servers are not checked, if that is not meant. */
static void say_unchecked(const struct cv_service *svc, const char *err)
{
	if (err)
		say(LOG_ERR, "%s: its checks cannot be read: %s", svc->name, err);
	else if (svc->nsrv && !svc->nchecks && !svc->unchecked)
		say(LOG_WARNING, "%s: %zu servers and no check: nothing sets their health (casvipctl apply puts a file's checks in place; \"check none\" says none is meant)",
		    svc->name, svc->nsrv);
}

/*
 * What healthd keeps of @svc, a following service: the ports the kernel
 * has, another service's ports (not to announce), whether its checks say
 * where its interfaces are, and a refusal, kept from the last build.
 */
static void announced_of(const struct healthd *h, const struct cv_config *have,
			 const struct cv_service *svc, struct announced *a)
{
	snprintf(a->service, sizeof(a->service), "%s", svc->name);
	a->have.n = svc->nannounced;
	memcpy(a->have.port, svc->announced, sizeof(a->have.port));
	for (size_t c = 0; c < svc->nchecks; c++)
		a->checked |= follows(&svc->checks[c].c);
	for (size_t i = 0; i < have->n; i++) {
		const struct cv_service *o = &have->svcs[i];

		if (o == svc || o->proto != svc->proto ||
		    !cv_addr_eq(&o->vip, &svc->vip))
			continue;
		for (unsigned int r = 0; r < o->nranges; r++)
			for (unsigned int p = o->ranges[r].first;
			     p <= o->ranges[r].last; p++)
				a->taken[p / 8] |= (uint8_t)(1u << (p % 8));
		for (unsigned int k = 0; k < o->nannounced; k++)
			a->taken[o->announced[k] / 8] |=
				(uint8_t)(1u << (o->announced[k] % 8));
	}
	for (size_t i = 0; i < h->nann; i++)
		if (!strcmp(h->ann[i].service, svc->name)) {
			a->tried = h->ann[i].tried;
			a->err = h->ann[i].err;
		}
}

/*
 * (Re)build the targets from the kernel's services, servers and checks,
 * keeping the state of every target that stays, a check under way too.
 * With @verbose, say which services are not checked. 0; or -1, and
 * nothing changed, if the kernel's state could not be read whole.
 */
static int build(struct healthd *h, bool verbose)
{
	struct server_state *servers;
	struct target *targets;
	struct announced *ann;
	size_t ns = 0, nt = 0, na = 0, want_s = 0, want_t = 0;
	struct cv_config have;
	char err[CV_ERRLEN];

	if (cv_dump_services(h->nl, &have.svcs, &have.n))
		return -1;
	/* All of it first: a service left out would lose its checks' state. */
	for (size_t i = 0; i < have.n; i++) {
		struct cv_service *svc = &have.svcs[i];
		bool broken = cv_service_checks(svc, err);

		if (cv_dump_servers(h->nl, svc)) {
			cv_free_services(have.svcs, have.n);
			return -1;
		}
		if (verbose)
			say_unchecked(svc, broken ? err : NULL);
		if (broken)
			svc->nchecks = 0;
		want_s += svc->nchecks ? svc->nsrv : 0;
		want_t += svc->nchecks * svc->nsrv;
	}
	/* One more each: calloc() of 0 bytes may give NULL. */
	servers = calloc(want_s + 1, sizeof(*servers));
	targets = calloc(want_t + 1, sizeof(*targets));
	ann = calloc(have.n + 1, sizeof(*ann));
	if (!servers || !targets || !ann) {
		free(servers);
		free(targets);
		free(ann);
		cv_free_services(have.svcs, have.n);
		return -1;
	}
	for (size_t i = 0; i < have.n; i++)
		if (have.svcs[i].nfollow)
			announced_of(h, &have, &have.svcs[i], &ann[na++]);
	h->announce = true;
	for (size_t i = 0; i < have.n; i++) {
		const struct cv_service *svc = &have.svcs[i];

		for (size_t k = 0; svc->nchecks && k < svc->nsrv; k++) {
			struct server_state *s = &servers[ns];
			const struct server_state *old_s;

			snprintf(s->service, sizeof(s->service), "%s", svc->name);
			s->addr = svc->servers[k].addr;
			s->up = svc->servers[k].health == CASVIP_HEALTH_UP;
			memcpy(s->reason, svc->servers[k].reason,
			       sizeof(s->reason));
			/* A result not told yet is told still. */
			old_s = find_server(h, s);
			if (old_s && old_s->pending) {
				s->pending = true;
				s->want_up = old_s->want_up;
				memcpy(s->want_reason, old_s->want_reason,
				       sizeof(s->want_reason));
			}
			for (size_t c = 0; c < svc->nchecks; c++) {
				struct target *old = find_target(h, s,
								 &svc->checks[c].c);
				struct target *t = &targets[nt++];

				if (old) {
					/* Its run, if one is under way, moves. */
					*t = *old;
					old->running = false;
				} else {
					/* Thousands new at once: spread over 1 s. */
					t->up = s->up;
					t->next_ms = cv_now_ms() + (long)(nt % 50) * 20;
				}
				t->server = ns;
				t->hc = svc->checks[c];
			}
			ns++;
		}
	}
	cv_free_services(have.svcs, have.n);
	for (size_t i = 0; i < h->ntargets; i++)
		if (h->targets[i].running)
			check_timeout(&h->targets[i].run); /* closes it */
	/* The runs that moved: their check and their epoll data with them. */
	for (size_t i = 0; i < nt; i++) {
		struct target *t = &targets[i];
		struct epoll_event ev = { .data.ptr = t };

		if (!t->running)
			continue;
		t->run.check = &t->hc.c;
		ev.events = (uint32_t)check_events(&t->run);
		if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, t->run.fd, &ev))
			check_timeout(&t->run);
	}
	free(h->servers);
	free(h->targets);
	free(h->ann);
	h->servers = servers;
	h->nservers = ns;
	h->targets = targets;
	h->ntargets = nt;
	h->ann = ann;
	h->nann = na;
	return 0;
}

/*
 * A run this host could not make (no descriptor, no memory, no port) is
 * no server's failure: it is tried again in a second, and said once.
 */
static void retry_local(struct healthd *h, struct target *t, long now)
{
	t->running = false;
	t->next_ms = now + 1000;
	if (!h->local_said)
		say(LOG_ERR, "cannot run a check (%s): trying again, the server's health as it was",
		    t->run.why);
	h->local_said = true;
}

/*
 * Start the checks that are due, at most h->cap at once (each holds a
 * descriptor), and end those past their timeout. The milliseconds until
 * something is due.
 */
static long tick(struct healthd *h)
{
	long now = cv_now_ms(), wake = now + 1000;
	size_t running = 0;

	for (size_t i = 0; i < h->ntargets; i++)
		running += h->targets[i].running;
	for (size_t i = 0; i < h->ntargets; i++) {
		struct target *t = &h->targets[i];

		if (t->running && now >= t->deadline_ms) {
			check_timeout(&t->run);
			record(h, t);
			running--;
		}
		if (!t->running && now >= t->next_ms && running >= h->cap) {
			wake = now + 10; /* when a descriptor is free again */
		} else if (!t->running && now >= t->next_ms) {
			struct epoll_event ev = { .data.ptr = t };
			int fd = check_start(&t->run, &t->hc.c,
					     &h->servers[t->server].addr);

			t->next_ms = now + t->hc.interval_ms;
			t->deadline_ms = now + t->hc.timeout_ms;
			t->running = true;
			ev.events = (uint32_t)check_events(&t->run);
			if (fd >= 0 &&
			    epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev)) {
				check_fail(&t->run, strerror(errno));
				t->run.local = true;
			}
			if (t->run.local)
				retry_local(h, t, now);
			else if (t->run.done)
				record(h, t);
			else
				running++;
		}
		if (t->running && t->deadline_ms < wake)
			wake = t->deadline_ms;
		if (!t->running && t->next_ms < wake)
			wake = t->next_ms;
	}
	return wake - now > 0 ? wake - now : 0;
}

/* Step the runs whose sockets are ready, waiting @wait_ms at most. */
static int answers(struct healthd *h, long wait_ms)
{
	struct epoll_event evs[64];
	int n = epoll_wait(h->epfd, evs, 64, (int)wait_ms);

	for (int i = 0; i < n; i++) {
		struct target *t = evs[i].data.ptr;
		struct epoll_event ev = { .data.ptr = t };

		if (!t->running)
			continue;
		if (check_step(&t->run) && t->run.local) {
			retry_local(h, t, cv_now_ms());
			continue;
		}
		if (t->run.done) {
			record(h, t);
			continue;
		}
		ev.events = (uint32_t)check_events(&t->run);
		epoll_ctl(h->epfd, EPOLL_CTL_MOD, t->run.fd, &ev);
	}
	return n;
}

/*
 * One healthd per network namespace: two would fight over each server's
 * health. The lock is a file named after the namespace, held while we
 * run; the pid in it names the holder. -1 if another holds it.
 */
static int lock_netns(void)
{
	char path[64], pid[16] = "";
	struct stat st;
	ssize_t n;
	int fd;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	mkdir(CV_RUN_DIR, 0755);
	snprintf(path, sizeof(path), CV_RUN_DIR "/healthd-%lu.lock",
		 (unsigned long)st.st_ino);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		say(LOG_WARNING, "cannot lock %s (%s): not sure no other healthd runs here",
		    path, strerror(errno));
		return 0;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		if (ftruncate(fd, 0) == 0)
			dprintf(fd, "%ld\n", (long)getpid());
		return 0; /* the descriptor holds the lock until we exit */
	}
	if (errno != EWOULDBLOCK) {
		say(LOG_WARNING, "cannot lock %s (%s): not sure no other healthd runs here",
		    path, strerror(errno));
		close(fd);
		return 0;
	}
	n = read(fd, pid, sizeof(pid) - 1);
	pid[n > 0 ? strcspn(pid, "\n") : 0] = '\0';
	say(LOG_ERR, "another healthd (pid %s) checks the servers of this network namespace",
	    *pid ? pid : "unknown");
	close(fd);
	return -1;
}

int cv_healthd(struct cv_nl *nl, int argc, char **argv)
{
	struct healthd h = { .nl = nl };
	struct rlimit rl;
	long refresh;

	if (argc)
		return cv_usage_error("help",
				      "healthd takes no file: it runs the checks of the running state, which casvipctl apply sets (\"%s\")",
				      argv[0]);
	if (lock_netns())
		return CV_EXIT_FAIL;
	/* Descriptors for checks: all but a few for netlink and stdio. */
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 1024;
	h.cap = rl.rlim_cur > 80 ? rl.rlim_cur - 64 : 16;
	h.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h.epfd < 0 || build(&h, true)) {
		say(LOG_ERR, "cannot start: %s", strerror(errno));
		return CV_EXIT_FAIL;
	}
	signal(SIGHUP, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* OpenSSL writes to a socket the server may have reset. */
	signal(SIGPIPE, SIG_IGN);
	say(LOG_INFO, "checking %zu servers", h.nservers);
	refresh = cv_now_ms() + REFRESH_MS;
	while (!quit) {
		bool verbose = false;

		/*
		 * What came first, then the clock: after a stall (a rebuild
		 * of 100,000 servers), answers already here are no timeouts.
		 */
		while (answers(&h, 0) == 64)
			;
		answers(&h, tick(&h));
		flush(&h);
		announce(&h);
		if (reload) {
			reload = 0;
			verbose = true;
			refresh = 0;
		}
		if (h.rebuild || cv_now_ms() >= refresh) {
			h.rebuild = false;
			build(&h, verbose);
			if (verbose)
				say(LOG_INFO, "reading the checks again: checking %zu servers",
				    h.nservers);
			refresh = cv_now_ms() + REFRESH_MS;
		}
	}
	say(LOG_INFO, "stopping");
	for (size_t i = 0; i < h.ntargets; i++)
		if (h.targets[i].running)
			check_timeout(&h.targets[i].run);
	free(h.servers);
	free(h.targets);
	free(h.ann);
	close(h.epfd);
	return CV_EXIT_OK;
}
