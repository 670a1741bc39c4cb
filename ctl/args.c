// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: keyword arguments of services and servers.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const service_words[] = {
	"vip",	   "proto", "ports", "port", "sched", "persist", "persist-max",
	"netmask", "snat",  "alldown", "follow", "follow-max",
};

/* The admin states, as set takes them and as show prints them. */
static const char *const admin_words[] = { "enable",  "drain",	  "disable",
					   "enabled", "draining", "disabled" };
static const char *const server_words[] = { "weight", "health", "reason",
					    "keep-conns", "backup", "primary" };

/* Edits that make @a @b (Levenshtein), at most 9. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int row[33], i, j;
	size_t la = strlen(a), lb = strlen(b);

	if (la > 32 || lb > 32)
		return 9;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned int up = row[j];
			unsigned int best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb] < 9 ? row[lb] : 9;
}

/* The word of @known nearest @k, if one is near: a typo's likely intent. */
static const char *nearest(const char *k, const char *const *known, size_t n)
{
	const char *best = NULL;
	unsigned int d, best_d = 3;

	for (size_t i = 0; i < n; i++) {
		d = distance(k, known[i]);
		if (d < best_d) {
			best = known[i];
			best_d = d;
		}
	}
	return best;
}

static int unknown(const char *k, const char *const *a, size_t na,
		   const char *const *b, size_t nb, char *err)
{
	const char *guess = nearest(k, a, na);

	if (!guess)
		guess = nearest(k, b, nb);
	if (guess)
		snprintf(err, CV_ERRLEN,
			 "unknown keyword \"%s\": did you mean \"%s\"?", k,
			 guess);
	else
		snprintf(err, CV_ERRLEN, "unknown keyword \"%s\"", k);
	return -1;
}

static int need_value(int argc, char **argv, char *err)
{
	if (argc < 2) {
		snprintf(err, CV_ERRLEN, "\"%s\" needs a value", argv[0]);
		return -1;
	}
	return 0;
}

/* The limit @k: a number, or auto (0) for the kernel's choice. */
static int parse_max(const char *k, const char *s, uint32_t *max, char *err)
{
	*max = 0;
	if (!strcmp(s, "auto"))
		return 0;
	if (!isdigit((unsigned char)*s)) {
		snprintf(err, CV_ERRLEN, "%s: \"%s\" is not a number, nor auto",
			 k, s);
		return -1;
	}
	return cv_parse_u32(s, UINT32_MAX, max, err);
}

static int parse_netmask(const char *s, struct cv_service *svc, char *err)
{
	uint32_t v;

	if (cv_parse_u32(*s == '/' ? s + 1 : s, 128, &v, err)) {
		snprintf(err, CV_ERRLEN,
			 "netmask \"%s\" is not a prefix length from 0 to 128",
			 s);
		return -1;
	}
	svc->netmask = (uint8_t)v;
	svc->given |= CV_NETMASK;
	return 0;
}

/* A keyword given twice is a mistake, not a choice of the last one. */
static int twice(unsigned int *seen, unsigned int bit, const char *k,
		 char *err)
{
	if (*seen & bit) {
		snprintf(err, CV_ERRLEN, "\"%s\" is given twice", k);
		return -1;
	}
	*seen |= bit;
	return 0;
}

int cv_parse_service_args(int argc, char **argv, struct cv_service *svc,
			  char *err)
{
	unsigned int seen = 0;

	for (; argc; argc -= 2, argv += 2) {
		const char *k = argv[0], *v = argv[1];
		int w = cv_lookup(service_words, ARRAY_SIZE(service_words), k);
		int ret;

		if (w < 0)
			return unknown(k, service_words,
				       ARRAY_SIZE(service_words), NULL, 0, err);
		/* "port" is "ports". */
		if (twice(&seen, 1U << (!strcmp(k, "port") ? 2 : w), k, err))
			return -1;
		if (need_value(argc, argv, err))
			return -1;
		if (!strcmp(k, "vip")) {
			ret = cv_parse_addr(v, &svc->vip, err);
			svc->given |= CV_VIP;
		} else if (!strcmp(k, "proto")) {
			ret = cv_parse_proto(v, &svc->proto, err);
			svc->given |= CV_PROTO;
		} else if (!strcmp(k, "ports") || !strcmp(k, "port")) {
			ret = cv_parse_ports(v, svc, err);
		} else if (!strcmp(k, "sched")) {
			ret = cv_parse_sched(v, &svc->sched, err);
			svc->given |= CV_SCHED;
		} else if (!strcmp(k, "persist")) {
			ret = cv_parse_u32(v, CASVIP_PERSIST_TIMEOUT_MAX,
					   &svc->timeout, err);
			svc->given |= CV_PERSIST;
		} else if (!strcmp(k, "persist-max")) {
			/* auto: as many as the conntrack table holds. */
			ret = parse_max(k, v, &svc->persist_max, err);
			svc->given |= CV_PERSIST_MAX;
		} else if (!strcmp(k, "netmask")) {
			ret = parse_netmask(v, svc, err);
		} else if (!strcmp(k, "snat")) {
			ret = cv_parse_snat(v, svc, err);
		} else if (!strcmp(k, "alldown")) {
			ret = cv_parse_alldown(v, &svc->alldown, err);
			svc->given |= CV_ALLDOWN;
		} else if (!strcmp(k, "follow")) {
			ret = cv_parse_follow(v, svc, err);
		} else if (!strcmp(k, "follow-max")) {
			/* auto: as many as conntrack's own table holds. */
			ret = parse_max(k, v, &svc->follow_max, err);
			svc->given |= CV_FOLLOW_MAX;
		} else {
			snprintf(err, CV_ERRLEN, "unknown keyword \"%s\"", k);
			return -1;
		}
		if (ret)
			return -1;
	}
	if ((svc->given & CV_NETMASK) && svc->vip.family == AF_INET &&
	    svc->netmask > 32) {
		snprintf(err, CV_ERRLEN,
			 "netmask /%u is longer than an IPv4 address",
			 svc->netmask);
		return -1;
	}
	if ((svc->given & CV_SNAT) && svc->snat == CASVIP_SNAT_ADDR &&
	    svc->vip.family && svc->snat_addr.family != svc->vip.family) {
		snprintf(err, CV_ERRLEN,
			 "snat address and VIP are of different families");
		return -1;
	}
	return 0;
}

int cv_parse_server_args(int argc, char **argv, struct cv_server *srv,
			 bool set, char *err)
{
	unsigned int seen = 0;

	for (; argc; argc--, argv++) {
		const char *k = argv[0];
		int v = cv_lookup(admin_words, ARRAY_SIZE(admin_words), k);

		if (v >= 0 && (seen & 1)) {
			snprintf(err, CV_ERRLEN,
				 "two states: \"%s\" and \"%s\"",
				 cv_admin_name(srv->admin), k);
			return -1;
		}
		if (v >= 0) {
			seen |= 1;
			srv->admin = (uint8_t)(v % 3);
			srv->given |= CV_ADMIN;
			continue;
		}
		if (set && !strcmp(k, "keep-conns")) {
			srv->given |= CV_KEEP_CONNS;
			continue;
		}
		/* Its role: a backup (sorry) server, or one of the array. */
		if (!strcmp(k, "backup") || !strcmp(k, "primary")) {
			if (twice(&seen, 64, "backup\" or \"primary", err))
				return -1;
			srv->backup = !strcmp(k, "backup");
			srv->given |= CV_BACKUP;
			continue;
		}
		if (cv_lookup(server_words, ARRAY_SIZE(server_words), k) < 0)
			return unknown(k, admin_words, ARRAY_SIZE(admin_words),
				       server_words, ARRAY_SIZE(server_words),
				       err);
		if (!set && (!strcmp(k, "reason") || !strcmp(k, "keep-conns"))) {
			snprintf(err, CV_ERRLEN,
				 "\"%s\" is for server set, not server add", k);
			return -1;
		}
		if (twice(&seen,
			  2U << cv_lookup(server_words, ARRAY_SIZE(server_words),
					  k),
			  k, err))
			return -1;
		if (need_value(argc, argv, err))
			return -1;
		if (!strcmp(k, "weight")) {
			if (cv_parse_u32(argv[1], CASVIP_WEIGHT_MAX,
					 &srv->weight, err))
				return -1;
			srv->given |= CV_WEIGHT;
		} else if (!strcmp(k, "health")) {
			v = cv_lookup(cv_health_names, __CASVIP_HEALTH_MAX,
				      argv[1]);
			if (v < 0) {
				snprintf(err, CV_ERRLEN,
					 "health \"%s\" is not up or down",
					 argv[1]);
				return -1;
			}
			srv->health = (uint8_t)v;
			srv->given |= CV_HEALTH;
		} else if (set && !strcmp(k, "reason")) {
			if (strlen(argv[1]) >= sizeof(srv->reason)) {
				snprintf(err, CV_ERRLEN,
					 "reason is longer than %d characters",
					 CASVIP_REASON_MAX - 1);
				return -1;
			}
			strcpy(srv->reason, argv[1]);
			srv->given |= CV_REASON;
		} else {
			snprintf(err, CV_ERRLEN, "unknown keyword \"%s\"", k);
			return -1;
		}
		argc--;
		argv++;
	}
	/* Health set by hand: the checker's last reason no longer holds. */
	if (set && (srv->given & CV_HEALTH) && !(srv->given & CV_REASON)) {
		srv->reason[0] = '\0';
		srv->given |= CV_REASON;
	}
	return 0;
}
