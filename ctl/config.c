// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: reading and checking configuration files.
 */
#include <errno.h>
#include <glob.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>

#include "check.h"
#include "cmd.h"
#include "config.h"

#define MAX_WORDS 64
/* Exchange 2010 CAS widens the dynamic RPC port pool to this. */
#define RPC_DYNAMIC_FIRST 6005
#define RPC_DYNAMIC_LAST 59530
/* Windows' own dynamic range, since Windows Server 2008. */
#define WINDOWS_DYNAMIC_FIRST 49152
#define WINDOWS_DYNAMIC_LAST 65535

struct cv_note {
	int line;
	size_t seq; /* the order found, within a line */
	bool error;
	char msg[512];
};

static void __attribute__((format(printf, 4, 5)))
diag(struct cv_diag *d, int line, bool error, const char *fmt, ...)
{
	struct cv_note *n = realloc(d->notes, (d->nnotes + 1) * sizeof(*n));
	va_list ap;

	if (error)
		d->errors++;
	else
		d->warnings++;
	if (!n) {
		fprintf(stderr, "Error: %s:%d: no memory to say what is wrong\n",
			d->path, line);
		return;
	}
	d->notes = n;
	n += d->nnotes;
	n->line = line;
	n->seq = d->nnotes++;
	n->error = error;
	va_start(ap, fmt);
	vsnprintf(n->msg, sizeof(n->msg), fmt, ap);
	va_end(ap);
}

static int by_line(const void *a, const void *b)
{
	const struct cv_note *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cv_diag_print(struct cv_diag *d)
{
	qsort(d->notes, d->nnotes, sizeof(*d->notes), by_line);
	for (size_t i = 0; i < d->nnotes; i++) {
		const struct cv_note *n = &d->notes[i];

		if (!d->json) {
			fprintf(d->f, "%s:%d: %s: %s\n", d->path, n->line,
				n->error ? "error" : "warning", n->msg);
			continue;
		}
		jw_begin(d->json, NULL, '{');
		jw_str(d->json, "file", d->path);
		jw_u64(d->json, "line", (uint64_t)n->line);
		jw_str(d->json, "level", n->error ? "error" : "warning");
		jw_str(d->json, "message", n->msg);
		jw_end(d->json, '}');
	}
	free(d->notes);
	d->notes = NULL;
	d->nnotes = 0;
}

void cv_service_defaults(struct cv_service *svc)
{
	if (!(svc->given & CV_PROTO))
		svc->proto = IPPROTO_TCP;
	if (!(svc->given & CV_SCHED))
		svc->sched = CASVIP_SCHED_MH;
	if (!(svc->given & CV_PERSIST))
		svc->timeout = CASVIP_PERSIST_TIMEOUT_DEFAULT;
	if (!(svc->given & CV_NETMASK))
		svc->netmask = svc->vip.family == AF_INET ? 32 : 128;
	if (!(svc->given & CV_SNAT))
		svc->snat = CASVIP_SNAT_OFF;
	if (!(svc->given & CV_ALLDOWN))
		svc->alldown = CASVIP_ALLDOWN_OPEN;
	svc->given |= CV_VIP | CV_PROTO | CV_PORTS | CV_SCHED | CV_PERSIST |
		      CV_NETMASK | CV_SNAT | CV_PERSIST_MAX | CV_ALLDOWN |
		      CV_FOLLOW | CV_FOLLOW_MAX;
}

void cv_server_defaults(struct cv_server *srv)
{
	if (!(srv->given & CV_WEIGHT))
		srv->weight = CASVIP_WEIGHT_DEFAULT;
	srv->admin_default = !(srv->given & CV_ADMIN);
	if (srv->admin_default)
		srv->admin = CASVIP_ADMIN_ENABLED;
	srv->given |= CV_WEIGHT | CV_ADMIN | CV_BACKUP;
}

void cv_server_starts_down(struct cv_server *srv)
{
	srv->health = CASVIP_HEALTH_DOWN;
	snprintf(srv->reason, sizeof(srv->reason), "not checked yet");
	srv->given |= CV_HEALTH | CV_REASON;
}

static int split(char *line, char **words)
{
	int n = 0;

	line[strcspn(line, "#\n")] = '\0';
	for (char *w = strtok(line, " \t\r"); w; w = strtok(NULL, " \t\r")) {
		if (n == MAX_WORDS)
			return -1;
		words[n++] = w;
	}
	return n;
}

/* Room for one more item after @n. */
static void *grow(void *items, size_t n, size_t size)
{
	return realloc(items, (n + 1) * size);
}

int cv_add_check(struct cv_service *svc, int argc, char **argv, int line,
		 char *err)
{
	struct cv_hcheck *p;

	if (argc == 2 && !strcmp(argv[1], "none")) {
		svc->unchecked = true;
		return 0;
	}
	p = grow(svc->checks, svc->nchecks, sizeof(*svc->checks));
	if (!p) {
		snprintf(err, CV_ERRLEN, "%s", strerror(errno));
		return -1;
	}
	svc->checks = p;
	p[svc->nchecks].line = line;
	if (cv_hcheck_parse(argc - 1, argv + 1, &p[svc->nchecks], err))
		return -1;
	svc->nchecks++;
	return 0;
}

static int parse_line(int argc, char **argv, struct cv_config *cfg, int line,
		      char *err)
{
	struct cv_service *svc;
	struct cv_server *srv;
	void *p;

	if (!strcmp(argv[0], "service")) {
		cfg->broken = true;
		if (argc < 2) {
			snprintf(err, CV_ERRLEN, "a service line needs a name");
			return -1;
		}
		p = grow(cfg->svcs, cfg->n, sizeof(*cfg->svcs));
		if (!p)
			return -1;
		cfg->svcs = p;
		svc = &cfg->svcs[cfg->n];
		memset(svc, 0, sizeof(*svc));
		svc->line = line;
		if (cv_parse_name(argv[1], svc->name, err) ||
		    cv_parse_service_args(argc - 2, argv + 2, svc, err))
			return -1;
		if (~svc->given & (CV_VIP | CV_PORTS)) {
			snprintf(err, CV_ERRLEN,
				 "service \"%s\" needs a vip and ports",
				 svc->name);
			return -1;
		}
		cv_service_defaults(svc);
		cfg->n++;
		cfg->broken = false;
		return 0;
	}
	if (!strcmp(argv[0], "server")) {
		if (!cfg->n && !cfg->broken) {
			snprintf(err, CV_ERRLEN,
				 "a server line must follow a service line");
			return -1;
		}
		if (argc < 2) {
			snprintf(err, CV_ERRLEN, "a server line needs an address");
			return -1;
		}
		/* Under a broken service line: its own mistakes, no more. */
		if (cfg->broken) {
			struct cv_server tmp = { 0 };

			return cv_parse_addr(argv[1], &tmp.addr, err) ||
			       cv_parse_server_args(argc - 2, argv + 2, &tmp,
						    false, err) ? -1 : 0;
		}
		svc = &cfg->svcs[cfg->n - 1];
		p = grow(svc->servers, svc->nsrv, sizeof(*svc->servers));
		if (!p)
			return -1;
		svc->servers = p;
		srv = &svc->servers[svc->nsrv];
		memset(srv, 0, sizeof(*srv));
		srv->line = line;
		if (cv_parse_addr(argv[1], &srv->addr, err) ||
		    cv_parse_server_args(argc - 2, argv + 2, srv, false, err))
			return -1;
		cv_server_defaults(srv);
		svc->nsrv++;
		return 0;
	}
	if (!strcmp(argv[0], "check")) {
		if (cfg->broken) {
			struct cv_service tmp = { 0 };
			int ret = cv_add_check(&tmp, argc, argv, line, err);

			free(tmp.checks);
			return ret;
		}
		if (!cfg->n) {
			snprintf(err, CV_ERRLEN,
				 "a check line must follow a service line");
			return -1;
		}
		return cv_add_check(&cfg->svcs[cfg->n - 1], argc, argv, line, err);
	}
	if (!strcmp(argv[0], "offload")) {
		if (argc != 2) {
			snprintf(err, CV_ERRLEN,
				 "an offload line is \"offload on\" or \"offload off\"");
			return -1;
		}
		if (cfg->offload_line) {
			snprintf(err, CV_ERRLEN,
				 "offload is set on line %d already",
				 cfg->offload_line);
			return -1;
		}
		cfg->offload_line = line;
		return cv_parse_offload(argv[1], &cfg->offload, err);
	}
	snprintf(err, CV_ERRLEN,
		 "unknown keyword \"%s\" (a line starts with service, server, check or offload)",
		 argv[0]);
	return -1;
}

/* A file that cannot be read, or not whole: said, as lint says things. */
static int read_error(struct cv_diag *d)
{
	if (d->json)
		diag(d, 0, true, "cannot read %s: %s", d->path,
		     strerror(errno));
	else
		fprintf(stderr, "Error: cannot read %s: %s\n", d->path,
			strerror(errno));
	return -1;
}

int cv_config_read(struct cv_diag *d, struct cv_config *cfg)
{
	FILE *f = strcmp(d->path, "-") ? fopen(d->path, "r") : stdin;
	char *line = NULL, *words[MAX_WORDS], err[CV_ERRLEN];
	int lineno = 0, n;
	size_t cap = 0;

	ssize_t len;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (!f)
		return read_error(d);
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)len)) {
			diag(d, lineno, true, "a NUL byte in the line");
			cfg->broken |= !strncmp(line, "service", 7);
			continue;
		}
		n = split(line, words);
		if (!n)
			continue;
		if (n < 0) {
			snprintf(err, CV_ERRLEN, "more than %d words on a line",
				 MAX_WORDS);
			/* Its server lines must not join the service before. */
			cfg->broken |= !strcmp(words[0], "service");
		}
		if (n < 0 || parse_line(n, words, cfg, lineno, err))
			diag(d, lineno, true, "%s", err);
	}
	/* Half a file is no file: a read error is not its end. */
	if (ferror(f)) {
		ret = read_error(d);
		cv_config_free(cfg);
		memset(cfg, 0, sizeof(*cfg));
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

bool cv_ranges_overlap(const struct cv_service *a, const struct cv_service *b,
		       unsigned int *port)
{
	for (unsigned int i = 0; i < a->nranges; i++)
		for (unsigned int j = 0; j < b->nranges; j++)
			if (a->ranges[i].first <= b->ranges[j].last &&
			    b->ranges[j].first <= a->ranges[i].last) {
				*port = a->ranges[i].first > b->ranges[j].first ?
						a->ranges[i].first :
						b->ranges[j].first;
				return true;
			}
	return false;
}

static bool vip_is_local(const struct cv_addr *vip, struct ifaddrs *ifa)
{
	for (; ifa; ifa = ifa->ifa_next) {
		struct cv_addr a = { .family = 0 };

		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != vip->family)
			continue;
		a.family = vip->family;
		if (vip->family == AF_INET)
			a.v4 = ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
		else
			a.v6 = ((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
		if (cv_addr_eq(&a, vip))
			return true;
	}
	return false;
}

/* Addresses keepalived moves: those of its virtual_ipaddress blocks. */
struct vrrp_vips {
	struct cv_addr *addrs;
	size_t n;
};

static void keepalived_read(const char *path, struct vrrp_vips *v, int depth);

/* include PATTERN: every file it names, as keepalived reads them. */
static void keepalived_include(const char *pattern, struct vrrp_vips *v,
			       int depth)
{
	glob_t g;

	if (depth > 8 || glob(pattern, 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		keepalived_read(g.gl_pathv[i], v, depth + 1);
	globfree(&g);
}

static void keepalived_read(const char *path, struct vrrp_vips *v, int depth)
{
	FILE *f = fopen(path, "r");
	char line[512], err[CV_ERRLEN];
	bool in_block = false;

	while (f && fgets(line, sizeof(line), f)) {
		char *w = strtok(line, " \t\r\n"), *slash;
		struct cv_addr a, *p;

		if (!w || *w == '#' || *w == '!')
			continue;
		if (!in_block && !strcmp(w, "include")) {
			w = strtok(NULL, " \t\r\n");
			if (w)
				keepalived_include(w, v, depth);
		} else if (!in_block && !strncmp(w, "virtual_ipaddress", 17)) {
			/* Its "{" on this line or the next. */
			in_block = true;
		} else if (in_block && *w == '}') {
			in_block = false;
		} else if (in_block && *w != '{') {
			slash = strchr(w, '/');
			if (slash)
				*slash = '\0';
			if (cv_parse_addr(w, &a, err))
				continue;
			p = realloc(v->addrs, (v->n + 1) * sizeof(*p));
			if (!p)
				break;
			v->addrs = p;
			v->addrs[v->n++] = a;
		}
	}
	if (f)
		fclose(f);
}

static bool vip_of_keepalived(const struct cv_addr *vip,
			      const struct vrrp_vips *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (cv_addr_eq(&v->addrs[i], vip))
			return true;
	return false;
}

static bool forwards(const struct cv_service *s, unsigned int port)
{
	for (unsigned int r = 0; r < s->nranges; r++)
		if (port >= s->ranges[r].first && port <= s->ranges[r].last)
			return true;
	return false;
}

/*
 * Does @r hold a whole dynamic range (Exchange 2010's or Windows'), in a
 * service with 135 too: the simple way without static ports, every port
 * an endpoint mapper may hand out forwarded, not a static port that a
 * dynamic one can collide with?
 */
static bool whole_dynamic_range(const struct cv_service *s,
				const struct casvip_port_range *r)
{
	return forwards(s, 135) &&
	       ((r->first <= RPC_DYNAMIC_FIRST && r->last >= RPC_DYNAMIC_LAST) ||
		(r->first <= WINDOWS_DYNAMIC_FIRST &&
		 r->last == WINDOWS_DYNAMIC_LAST));
}

int cv_check_lint(const struct cv_service *s, const struct cv_hcheck *h,
		  char *err, size_t len)
{
	char text[96], ports[CV_PORTS_STRLEN];
	const struct check *c = &h->c;

	if (h->unforwarded)
		return 0;
	check_format(c, text, sizeof(text));
	cv_format_ports(s, ports, sizeof(ports));
	if (!forwards(s, c->port)) {
		snprintf(err, len,
			 "check %s of service \"%s\" connects to port %u, which the service does not forward (ports %s); add \"unforwarded\" to the check if that is meant",
			 text, s->name, c->port, ports);
		return -1;
	}
	for (unsigned int i = 0; c->type == CHECK_EPM && i < c->nifaces; i++) {
		if (!c->want[i] && !s->nfollow) {
			snprintf(err, len,
				 "check %s of service \"%s\" takes %s at whatever port the mapper says, which only a service that follows the endpoint mapper forwards; give %s=PORT, or add \"follow\" to the service",
				 text, s->name, c->iface[i].name,
				 c->iface[i].name);
			return -1;
		}
		if (c->want[i] && !forwards(s, c->want[i])) {
			snprintf(err, len,
				 "check %s of service \"%s\" wants %s at port %u, which the service does not forward (ports %s); add \"unforwarded\" to the check if that is meant",
				 text, s->name, c->iface[i].name, c->want[i],
				 ports);
			return -1;
		}
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct cv_service *x = *(const struct cv_service *const *)a;
	const struct cv_service *y = *(const struct cv_service *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Services of one name, found sorted: n log n for 100,000 of them. */
static void lint_names(struct cv_diag *d, const struct cv_config *cfg)
{
	const struct cv_service **v = malloc((cfg->n + 1) * sizeof(*v));
	size_t first = 0;

	if (!v)
		return;
	for (size_t i = 0; i < cfg->n; i++)
		v[i] = &cfg->svcs[i];
	qsort(v, cfg->n, sizeof(*v), by_name);
	for (size_t i = 1; i < cfg->n; i++) {
		if (strcmp(v[i]->name, v[first]->name))
			first = i;
		else
			diag(d, v[i]->line, true,
			     "service \"%s\" is defined again (first at line %d)",
			     v[i]->name, v[first]->line);
	}
	free(v);
}

/* A port range a service claims on its VIP and protocol. */
struct claim {
	const struct cv_service *s;
	unsigned int first, last;
};

static int by_place(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int c = (x->s->proto > y->s->proto) - (x->s->proto < y->s->proto);

	if (!c)
		c = memcmp(&x->s->vip, &y->s->vip, sizeof(x->s->vip));
	if (!c)
		c = (x->first > y->first) - (x->first < y->first);
	return c ? c : (x->s->line > y->s->line) - (x->s->line < y->s->line);
}

/*
 * Ports claimed twice on one VIP and protocol: every range sorted, then
 * swept, each against the furthest-reaching one before it. A service is
 * told once, at the later of the two lines.
 */
static void lint_ports(struct cv_diag *d, const struct cv_config *cfg)
{
	struct claim *c;
	size_t n = 0, k = 0;
	bool *said = calloc(cfg->n + 1, sizeof(*said));
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < cfg->n; i++)
		n += cfg->svcs[i].nranges;
	c = malloc((n + 1) * sizeof(*c));
	if (!c || !said)
		goto out;
	for (size_t i = 0; i < cfg->n; i++)
		for (unsigned int r = 0; r < cfg->svcs[i].nranges; r++)
			c[k++] = (struct claim){ &cfg->svcs[i],
						 cfg->svcs[i].ranges[r].first,
						 cfg->svcs[i].ranges[r].last };
	qsort(c, n, sizeof(*c), by_place);
	for (size_t i = 0, top = 0; i < n; i++) {
		const struct cv_service *s = c[i].s, *o = c[top].s, *later;

		if (i && (s->proto != o->proto ||
			  memcmp(&s->vip, &o->vip, sizeof(s->vip)))) {
			top = i; /* another VIP or protocol */
			continue;
		}
		if (i && c[i].first <= c[top].last && strcmp(s->name, o->name)) {
			later = s->line > o->line ? s : o;
			if (!said[later - cfg->svcs]) {
				said[later - cfg->svcs] = true;
				diag(d, later->line, true,
				     "service \"%s\" claims %s %s port %u, as does service \"%s\" (line %d)",
				     later->name, cv_proto_name(s->proto),
				     cv_format_addr(&s->vip, a, sizeof(a)),
				     c[i].first, (later == s ? o : s)->name,
				     (later == s ? o : s)->line);
			}
		}
		if (c[i].last > c[top].last)
			top = i;
	}
out:
	free(c);
	free(said);
}

void cv_config_lint(struct cv_diag *d, const struct cv_config *cfg)
{
	const char *kconf = getenv("CASVIP_KEEPALIVED_CONF");
	struct vrrp_vips vrrp = { 0 };
	struct ifaddrs *ifa = NULL;
	char a[INET6_ADDRSTRLEN];

	getifaddrs(&ifa);
	/* On the standby of a pair, keepalived raises the VIPs at takeover. */
	keepalived_read(kconf ? kconf : CV_KEEPALIVED_CONF, &vrrp, 0);
	lint_names(d, cfg);
	lint_ports(d, cfg);
	for (size_t i = 0; i < cfg->n; i++) {
		const struct cv_service *s = &cfg->svcs[i];

		for (size_t k = 0; k < s->nsrv; k++) {
			const struct cv_server *v = &s->servers[k];

			cv_format_addr(&v->addr, a, sizeof(a));
			if (v->addr.family != s->vip.family)
				diag(d, v->line, true,
				     "server %s is not of the family of the VIP of \"%s\"",
				     a, s->name);
			for (size_t m = 0; m < k; m++)
				if (cv_addr_eq(&v->addr, &s->servers[m].addr)) {
					diag(d, v->line, true,
					     "server %s is listed twice in service \"%s\" (first at line %d)",
					     a, s->name, s->servers[m].line);
					break;
				}
		}
		struct cv_service copy = *s;
		char err[CV_ERRLEN], why[1024];

		for (size_t k = 0; k < s->nchecks; k++)
			if (cv_check_lint(s, &s->checks[k], why, sizeof(why)))
				diag(d, s->checks[k].line, true, "%s", why);
		copy.udata = NULL;
		if (cv_service_udata(&copy, err))
			diag(d, s->line, true, "%s", err);
		free(copy.udata);
		if (s->unchecked && s->nchecks)
			diag(d, s->checks[0].line, true,
			     "service \"%s\" has checks and \"check none\"",
			     s->name);
		else if (s->nsrv && !s->nchecks && !s->unchecked)
			diag(d, s->line, false,
			     "service \"%s\" has servers and no check: nothing sets their health (add \"check none\" if that is meant)",
			     s->name);
		if (ifa && !vip_is_local(&s->vip, ifa) &&
		    !vip_of_keepalived(&s->vip, &vrrp))
			diag(d, s->line, false,
			     "VIP %s is not an address of this host: clients reach it only if it is routed here",
			     cv_format_addr(&s->vip, a, sizeof(a)));
		for (unsigned int r = 0; r < s->nranges; r++) {
			const struct casvip_port_range *p = &s->ranges[r];

			if (p->last < RPC_DYNAMIC_FIRST ||
			    p->first > RPC_DYNAMIC_LAST ||
			    whole_dynamic_range(s, p))
				continue;
			diag(d, s->line, false,
			     "port %u of service \"%s\" lies in the dynamic RPC range of Exchange CAS (%d-%d): a dynamic port of another service can collide with it",
			     p->first > RPC_DYNAMIC_FIRST ? p->first :
							    RPC_DYNAMIC_FIRST,
			     s->name, RPC_DYNAMIC_FIRST, RPC_DYNAMIC_LAST);
		}
	}
	if (ifa)
		freeifaddrs(ifa);
	free(vrrp.addrs);
}

/* A limit, or auto (0): a whole service leaves auto out, a change says it. */
static void format_max(FILE *f, const char *k, uint32_t max, unsigned int given)
{
	if (max)
		fprintf(f, " %s %u", k, max);
	else if (!(given & CV_VIP))
		fprintf(f, " %s auto", k);
}

void cv_format_service(FILE *f, const struct cv_service *svc,
		       unsigned int given)
{
	char a[INET6_ADDRSTRLEN], ports[CV_PORTS_STRLEN];

	if (given & CV_VIP)
		fprintf(f, " vip %s", cv_format_addr(&svc->vip, a, sizeof(a)));
	if (given & CV_PROTO)
		fprintf(f, " proto %s", cv_proto_name(svc->proto));
	if (given & CV_PORTS) {
		cv_format_ports(svc, ports, sizeof(ports));
		fprintf(f, " ports %s", ports);
	}
	if (given & CV_SCHED)
		fprintf(f, " sched %s", cv_sched_name(svc->sched));
	if (given & CV_PERSIST)
		fprintf(f, " persist %u", svc->timeout);
	if (given & CV_NETMASK)
		fprintf(f, " netmask %u", svc->netmask);
	if (given & CV_PERSIST_MAX)
		format_max(f, "persist-max", svc->persist_max, given);
	if (given & CV_SNAT)
		fprintf(f, " snat %s",
			svc->snat == CASVIP_SNAT_ADDR ?
				cv_format_addr(&svc->snat_addr, a, sizeof(a)) :
				cv_snat_name(svc->snat));
	if ((given & CV_ALLDOWN) &&
	    (svc->alldown != CASVIP_ALLDOWN_OPEN || !(given & CV_VIP)))
		fprintf(f, " alldown %s", cv_alldown_name(svc->alldown));
	if ((given & CV_FOLLOW) && (svc->nfollow || !(given & CV_VIP))) {
		char follow[CV_FOLLOW_STRLEN];

		cv_format_follow(svc, follow, sizeof(follow));
		fprintf(f, " follow %s", follow);
	}
	if (given & CV_FOLLOW_MAX)
		format_max(f, "follow-max", svc->follow_max, given);
}

void cv_format_server(FILE *f, const struct cv_server *srv,
		      unsigned int given)
{
	static const char *const admin[] = { "enable", "drain", "disable" };

	if (given & CV_WEIGHT)
		fprintf(f, " weight %u", srv->weight);
	if (given & CV_ADMIN)
		fprintf(f, " %s", srv->admin < 3 ? admin[srv->admin] : "enable");
	/* A whole server leaves "primary" out; a change says it. */
	if ((given & CV_BACKUP) && (srv->backup || !(given & CV_WEIGHT)))
		fprintf(f, " %s", srv->backup ? "backup" : "primary");
	if (given & CV_HEALTH)
		fprintf(f, " health %s", cv_health_name(srv->health));
}

void cv_format_check(FILE *f, const struct cv_hcheck *h)
{
	char text[96];

	check_format(&h->c, text, sizeof(text));
	fprintf(f, "check %s interval %u timeout %u rise %u fall %u%s", text,
		h->interval_ms / 1000, h->timeout_ms / 1000, h->rise, h->fall,
		h->unforwarded ? " unforwarded" : "");
}

int cv_service_udata(struct cv_service *svc, char *err)
{
	FILE *f;

	free(svc->udata);
	svc->udata = NULL;
	svc->udata_len = 0;
	f = open_memstream(&svc->udata, &svc->udata_len);
	if (!f) {
		snprintf(err, CV_ERRLEN, "%s", strerror(errno));
		return -1;
	}
	if (svc->unchecked)
		fprintf(f, "check none\n");
	for (size_t i = 0; i < svc->nchecks; i++) {
		cv_format_check(f, &svc->checks[i]);
		fputc('\n', f);
	}
	if (fclose(f)) {
		snprintf(err, CV_ERRLEN, "%s", strerror(errno));
		return -1;
	}
	if (svc->udata_len > CASVIP_USERDATA_MAX) {
		snprintf(err, CV_ERRLEN,
			 "the checks of service \"%s\" take %zu bytes, more than the %d the kernel keeps",
			 svc->name, svc->udata_len, CASVIP_USERDATA_MAX);
		return -1;
	}
	return 0;
}

int cv_service_checks(struct cv_service *svc, char *err)
{
	char *text = strndup(svc->udata ? svc->udata : "", svc->udata_len);
	char *words[MAX_WORDS], *line, *save = NULL;
	int ret = 0;

	free(svc->checks);
	svc->checks = NULL;
	svc->nchecks = 0;
	svc->unchecked = false;
	if (!text) {
		snprintf(err, CV_ERRLEN, "%s", strerror(errno));
		return -1;
	}
	/* A NUL would end what strtok_r() sees, unsaid. */
	if (strlen(text) != svc->udata_len) {
		snprintf(err, CV_ERRLEN,
			 "service \"%s\": the checks the kernel keeps hold a NUL byte",
			 svc->name);
		free(text);
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save)) {
		char why[CV_ERRLEN] = "not a check line", copy[33];
		int n;

		snprintf(copy, sizeof(copy), "%s", line);
		n = split(line, words);
		if (n >= 1 && !strcmp(words[0], "check") &&
		    !cv_add_check(svc, n, words, 0, why))
			continue;
		snprintf(err, CV_ERRLEN,
			 "service \"%s\": a check the kernel keeps, \"%.32s\": %.48s",
			 svc->name, copy, why);
		ret = -1;
	}
	free(text);
	return ret;
}

void cv_config_free(struct cv_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->svcs[i].servers);
		free(cfg->svcs[i].checks);
		free(cfg->svcs[i].udata);
	}
	free(cfg->svcs);
}
