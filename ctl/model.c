// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: parsers and printers of the model's fields.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"
#include "model.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *const cv_sched_names[__CASVIP_SCHED_MAX] = {
	[CASVIP_SCHED_RR] = "rr",   [CASVIP_SCHED_WRR] = "wrr",
	[CASVIP_SCHED_LC] = "lc",   [CASVIP_SCHED_WLC] = "wlc",
	[CASVIP_SCHED_SH] = "sh",   [CASVIP_SCHED_MH] = "mh",
};

static const char *const snat_names[__CASVIP_SNAT_MAX] = {
	[CASVIP_SNAT_OFF] = "off",
	[CASVIP_SNAT_MASQUERADE] = "masquerade",
	[CASVIP_SNAT_ADDR] = "address",
};

static const char *const alldown_names[__CASVIP_ALLDOWN_MAX] = {
	[CASVIP_ALLDOWN_OPEN] = "open",
	[CASVIP_ALLDOWN_CLOSED] = "closed",
};

const char *const cv_admin_names[__CASVIP_ADMIN_MAX] = {
	[CASVIP_ADMIN_ENABLED] = "enabled",
	[CASVIP_ADMIN_DRAINING] = "draining",
	[CASVIP_ADMIN_DISABLED] = "disabled",
};

const char *const cv_health_names[__CASVIP_HEALTH_MAX] = {
	[CASVIP_HEALTH_UP] = "up",
	[CASVIP_HEALTH_DOWN] = "down",
};

int cv_lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

static int fail(char *err, const char *fmt, const char *arg)
{
	snprintf(err, CV_ERRLEN, fmt, arg);
	return -1;
}

int cv_parse_name(const char *s, char *name, char *err)
{
	if (!*s)
		return fail(err, "service name is empty%s", "");
	if (strlen(s) >= CASVIP_NAME_MAX)
		return fail(err, "service name \"%s\" is longer than 31 characters",
			    s);
	if (!isalnum((unsigned char)*s))
		return fail(err,
			    "service name \"%s\" must start with a letter or digit",
			    s);
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return fail(err,
				    "service name \"%s\" may hold only letters, digits, '_', '.' and '-'",
				    s);
	strcpy(name, s);
	return 0;
}

int cv_parse_addr(const char *s, struct cv_addr *a, char *err)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return fail(err, "\"%s\" is not an IPv4 or IPv6 address", s);
}

static int parse_port(const char *s, const char *end, unsigned int *port,
		      char *err)
{
	char word[16];
	unsigned long v;
	char *e;

	if (end - s <= 0 || (size_t)(end - s) >= sizeof(word) ||
	    !isdigit((unsigned char)*s))
		goto bad;
	memcpy(word, s, end - s);
	word[end - s] = '\0';
	errno = 0;
	v = strtoul(word, &e, 10);
	if (*e || errno)
		goto bad;
	if (v < 1 || v > 65535)
		return fail(err, "port %s is out of the range 1-65535", word);
	*port = v;
	return 0;
bad:
	snprintf(err, CV_ERRLEN, "\"%.*s\" is not a port number",
		 (int)(end - s), s);
	return -1;
}

static int cmp_range(const void *a, const void *b)
{
	const struct casvip_port_range *x = a, *y = b;

	return (int)x->first - (int)y->first;
}

int cv_parse_ports(const char *s, struct cv_service *svc, char *err)
{
	struct casvip_port_range r[CASVIP_MAX_RANGES], o[CASVIP_MAX_RANGES];
	unsigned int n = 0, out = 0;

	for (const char *p = s;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *dash = memchr(p, '-', end - p);
		unsigned int first, last;

		if (parse_port(p, dash ? dash : end, &first, err) ||
		    (dash && parse_port(dash + 1, end, &last, err)))
			return -1;
		if (!dash)
			last = first;
		if (first > last) {
			snprintf(err, CV_ERRLEN,
				 "port range %u-%u runs backwards", first,
				 last);
			return -1;
		}
		if (n == CASVIP_MAX_RANGES)
			return fail(err, "port set has more than %s ranges",
				    "64");
		r[n].first = first;
		r[n].last = last;
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	qsort(r, n, sizeof(r[0]), cmp_range);
	for (unsigned int i = 0; i < n; i++) {
		if (out && r[i].first <= o[out - 1].last) {
			snprintf(err, CV_ERRLEN,
				 "port %u is listed twice in \"%s\"",
				 r[i].first, s);
			return -1;
		}
		/* Adjacent ranges become one: 135,136 is 135-136. */
		if (out && r[i].first == o[out - 1].last + 1)
			o[out - 1].last = r[i].last;
		else
			o[out++] = r[i];
	}
	memcpy(svc->ranges, o, out * sizeof(o[0]));
	svc->nranges = out;
	svc->given |= CV_PORTS;
	return 0;
}

int cv_parse_u32(const char *s, uint32_t max, uint32_t *v, char *err)
{
	unsigned long long x;
	char *e;

	errno = 0;
	x = strtoull(s, &e, 10);
	if (!isdigit((unsigned char)*s) || *e || errno)
		return fail(err, "\"%s\" is not a number", s);
	if (x > max) {
		snprintf(err, CV_ERRLEN, "%s is more than the maximum %u", s,
			 max);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

int cv_parse_proto(const char *s, uint8_t *proto, char *err)
{
	if (!strcmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return fail(err, "protocol \"%s\" is not tcp or udp", s);
	return 0;
}

int cv_parse_sched(const char *s, uint8_t *sched, char *err)
{
	int v = cv_lookup(cv_sched_names, ARRAY_SIZE(cv_sched_names), s);

	if (v < 0)
		return fail(err,
			    "scheduler \"%s\" is not one of rr, wrr, lc, wlc, sh, mh",
			    s);
	*sched = (uint8_t)v;
	return 0;
}

int cv_parse_offload(const char *s, bool *on, char *err)
{
	if (strcmp(s, "on") && strcmp(s, "off"))
		return fail(err, "offload is on or off, not \"%s\"", s);
	*on = !strcmp(s, "on");
	return 0;
}

/* What "follow exchange" follows: Exchange's RPC interfaces on TCP. */
static const char *const exchange_ifaces[] = { "emsmdb", "asyncemsmdb",
					       "nspi", "rfr" };

static int follow_add(struct cv_service *svc, const char *word, char *err)
{
	struct casvip_iface *f;
	struct dce_iface d;

	if (dce_iface_parse(word, &d, err))
		return fail(err,
			    "follow: \"%s\" is not exchange, none, or a list of emsmdb, asyncemsmdb, nspi, rfr or UUID:MAJOR.MINOR",
			    word);
	if (!memcmp(d.uuid, dce_epm.uuid, 16))
		return fail(err,
			    "follow: %s is the endpoint mapper itself, not an interface it maps",
			    word);
	for (unsigned int i = 0; i < svc->nfollow; i++)
		if (!memcmp(svc->follow[i].uuid, d.uuid, 16) &&
		    svc->follow[i].major == d.major)
			return fail(err, "follow names %s twice", word);
	if (svc->nfollow == CASVIP_MAX_FOLLOW)
		return fail(err, "follow names more than %s interfaces", "8");
	f = &svc->follow[svc->nfollow++];
	memcpy(f->uuid, d.uuid, 16);
	f->major = d.major;
	f->minor = d.minor;
	return 0;
}

int cv_parse_follow(const char *s, struct cv_service *svc, char *err)
{
	char list[CV_FOLLOW_STRLEN], *word, *save;

	svc->nfollow = 0;
	svc->given |= CV_FOLLOW;
	if (!strcmp(s, "none"))
		return 0;
	if (!strcmp(s, "exchange")) {
		for (size_t i = 0; i < ARRAY_SIZE(exchange_ifaces); i++)
			follow_add(svc, exchange_ifaces[i], err);
		return 0;
	}
	if (strlen(s) >= sizeof(list))
		return fail(err, "follow: the list is too long%s", "");
	if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		return fail(err, "follow \"%.100s\" has an empty interface name",
			    s);
	strcpy(list, s);
	for (word = strtok_r(list, ",", &save); word;
	     word = strtok_r(NULL, ",", &save))
		if (follow_add(svc, word, err))
			return -1;
	return 0;
}

void cv_format_follow(const struct cv_service *svc, char *buf, size_t len)
{
	struct cv_service exchange = { .nfollow = 0 };
	char err[CV_ERRLEN];
	size_t off = 0;

	snprintf(buf, len, "none");
	cv_parse_follow("exchange", &exchange, err);
	if (svc->nfollow == exchange.nfollow &&
	    !memcmp(svc->follow, exchange.follow,
		    svc->nfollow * sizeof(svc->follow[0]))) {
		snprintf(buf, len, "exchange");
		return;
	}
	for (unsigned int i = 0; i < svc->nfollow && off < len; i++) {
		struct dce_iface d = { .major = svc->follow[i].major,
				       .minor = svc->follow[i].minor };

		memcpy(d.uuid, svc->follow[i].uuid, 16);
		if (i)
			off += snprintf(buf + off, len - off, ",");
		if (off >= len)
			break;
		dce_iface_format(&d, buf + off, len - off);
		off += strlen(buf + off);
	}
}

int cv_parse_alldown(const char *s, uint8_t *alldown, char *err)
{
	int v = cv_lookup(alldown_names, ARRAY_SIZE(alldown_names), s);

	if (v < 0)
		return fail(err, "alldown \"%s\" is not one of open, closed", s);
	*alldown = (uint8_t)v;
	return 0;
}

int cv_parse_snat(const char *s, struct cv_service *svc, char *err)
{
	if (!strcmp(s, "off")) {
		svc->snat = CASVIP_SNAT_OFF;
	} else if (!strcmp(s, "masquerade")) {
		svc->snat = CASVIP_SNAT_MASQUERADE;
	} else if (cv_parse_addr(s, &svc->snat_addr, err) == 0) {
		svc->snat = CASVIP_SNAT_ADDR;
	} else {
		return fail(err,
			    "snat \"%s\" is not off, masquerade or an address",
			    s);
	}
	svc->given |= CV_SNAT;
	return 0;
}

const char *cv_service_state(const struct cv_service *svc)
{
	if (svc->failing_open)
		return "failing-open";
	if (svc->nservers && !svc->neligible)
		return "down";
	if (svc->on_backup)
		return "on-backup";
	return "ok";
}

void cv_print_quoted(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(f, "\\x%02x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

bool cv_server_drained(const struct cv_server *srv)
{
	return (srv->admin == CASVIP_ADMIN_DRAINING ||
		(srv->admin == CASVIP_ADMIN_ENABLED && !srv->weight)) &&
	       !srv->stats.active && !srv->clients;
}

void cv_format_range(unsigned int first, unsigned int last, char *buf,
		     size_t len)
{
	if (first == last)
		snprintf(buf, len, "%u", first);
	else
		snprintf(buf, len, "%u-%u", first, last);
}

void cv_format_ports(const struct cv_service *svc, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < svc->nranges && off < len; i++) {
		const struct casvip_port_range *r = &svc->ranges[i];

		if (i)
			off += snprintf(buf + off, len - off, ",");
		if (off >= len)
			break;
		cv_format_range(r->first, r->last, buf + off, len - off);
		off += strlen(buf + off);
	}
}

const char *cv_format_addr(const struct cv_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->bytes, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

const char *cv_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

const char *cv_sched_name(uint8_t sched)
{
	return name_of(cv_sched_names, ARRAY_SIZE(cv_sched_names), sched);
}

const char *cv_snat_name(uint8_t snat)
{
	return name_of(snat_names, ARRAY_SIZE(snat_names), snat);
}

const char *cv_alldown_name(uint8_t alldown)
{
	return name_of(alldown_names, ARRAY_SIZE(alldown_names), alldown);
}

const char *cv_admin_name(uint8_t admin)
{
	return name_of(cv_admin_names, ARRAY_SIZE(cv_admin_names), admin);
}

const char *cv_health_name(uint8_t health)
{
	return name_of(cv_health_names, ARRAY_SIZE(cv_health_names), health);
}

bool cv_addr_eq(const struct cv_addr *a, const struct cv_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

struct cv_addr cv_addr_mask(const struct cv_addr *a, unsigned int prefix)
{
	struct cv_addr m = *a;
	unsigned int bits = a->family == AF_INET ? 32 : 128;

	for (unsigned int i = prefix; i < bits; i++)
		m.bytes[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return m;
}
