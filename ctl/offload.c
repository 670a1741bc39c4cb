// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: the flowtable fast path ("offload on").
 *
 * The established connections casvip NATed to a VIP go on the kernel's
 * flowtable, which forwards their packets from the ingress hook of the
 * box's interfaces, past the rest of the stack: with the flowtable's
 * counter flag, conntrack's accounting, which casvip counts from, stays
 * exact; the conntrack entries stay too, for persistence. All of it is one
 * nftables table of casvip's own, "inet casvip", set up through libnftables
 * (what nft and firewalld use) beside the admin's tables:
 *
 *   flowtable ft    on every interface that is up (but lo)
 *   sets tcp4 ...   VIP . ports of every service, by protocol and family
 *                   (a protocol field in an interval concatenation is
 *                   refused by Debian 13's kernel)
 *   chain forward   after the filter chains: a connection DNATed to one of
 *                   them goes on ft (a packet the admin's rules dropped
 *                   never gets there). casvip maps addresses, not ports:
 *                   the packet's destination port is the VIP's.
 *
 * The table is the setting: "offload on" makes it, "off" deletes it, and
 * each change of the services (add, set, del, flush, apply) brings its
 * sets up to date when it is there.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "nl.h"
#include "offload.h"

#define TABLE "inet casvip"

/*
 * Run the nftables commands of @text in one transaction. With @out, the
 * output is copied there (malloc()ed). 0, or -1 with nft's reason in @err.
 */
static int nft_run(const char *text, char **out, char *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *e;
	int ret;

	if (!nft || nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft)) {
		snprintf(err, CV_ERRLEN, "libnftables: %s", strerror(errno));
		nft_ctx_free(nft);
		return -1;
	}
	ret = nft_run_cmd_from_buffer(nft, text);
	e = nft_ctx_get_error_buffer(nft);
	if (ret) {
		/* nft's first line: "Error: <why>" */
		if (e && !strncmp(e, "Error: ", 7))
			e += 7;
		if (!e || !*e)
			e = "nftables failed";
		snprintf(err, CV_ERRLEN, "%.*s", (int)strcspn(e, "\n"), e);
	} else if (out) {
		*out = strdup(nft_ctx_get_output_buffer(nft) ?: "");
		if (!*out) {
			snprintf(err, CV_ERRLEN, "%s", strerror(errno));
			ret = -1;
		}
	}
	nft_ctx_free(nft);
	return ret ? -1 : 0;
}

/*
 * 1 if offload is on, with the flowtable's interfaces in @devs ("eth0
 * eth1"; malloc()ed, if @devs); 0 if off; or -1 with the reason in @err.
 */
static int offload_state(char **devs_out, char *err)
{
	char *out, *list, *devs, *p, *w, *save = NULL;

	if (nft_run("list flowtable " TABLE " ft", &out, err))
		return strstr(err, "No such file or directory") ? 0 : -1;
	if (!devs_out) {
		free(out);
		return 1;
	}
	/* devices = { eth0, eth1 }, on one line or more; none if all went */
	list = strstr(out, "devices = {");
	if (list) {
		list += strlen("devices = {");
		list[strcspn(list, "}")] = '\0';
	}
	devs = calloc(1, list ? strlen(list) + 1 : 1);
	for (p = devs, w = list ? strtok_r(list, ", \t\n\"", &save) : NULL;
	     devs && w; w = strtok_r(NULL, ", \t\n\"", &save))
		p += sprintf(p, "%s%s", p == devs ? "" : " ", w);
	free(out);
	*devs_out = devs;
	if (devs)
		return 1;
	snprintf(err, CV_ERRLEN, "%s", strerror(errno));
	return -1;
}

/* What the services of @family and @proto serve, as the elements of @set. */
static void put_elements(FILE *f, const struct cv_service *svcs, size_t n,
			 int family, uint8_t proto, const char *set)
{
	bool any = false;
	char a[64], r[16];

	for (size_t i = 0; i < n; i++) {
		const struct cv_service *s = &svcs[i];

		if (s->vip.family != family || s->proto != proto)
			continue;
		cv_format_addr(&s->vip, a, sizeof(a));
		for (unsigned int k = 0; k < s->nranges; k++) {
			cv_format_range(s->ranges[k].first, s->ranges[k].last,
					r, sizeof(r));
			if (any)
				fprintf(f, ", ");
			else
				fprintf(f, "add element " TABLE " %s { ", set);
			fprintf(f, "%s . %s", a, r);
			any = true;
		}
	}
	if (any)
		fprintf(f, " }\n");
}

/* The sets of the table, made equal to the services. */
static int put_sets(struct cv_nl *nl, FILE *f, char *err)
{
	struct cv_service *svcs;
	size_t n;
	int ret;

	ret = cv_dump_services(nl, &svcs, &n);
	if (ret) {
		snprintf(err, CV_ERRLEN, "cannot read the services: %s",
			 strerror(-ret));
		return -1;
	}
	for (int k = 0; k < 4; k++) {
		uint8_t proto = k & 1 ? IPPROTO_UDP : IPPROTO_TCP;
		bool v6 = k & 2;
		char set[16];

		snprintf(set, sizeof(set), "%s%c", cv_proto_name(proto),
			 v6 ? '6' : '4');
		fprintf(f,
			"add set " TABLE " %s { type %s . inet_service; flags interval; }\n"
			"flush set " TABLE " %s\n",
			set, v6 ? "ipv6_addr" : "ipv4_addr", set);
		put_elements(f, svcs, n, v6 ? AF_INET6 : AF_INET, proto, set);
	}
	cv_free_services(svcs, n);
	return 0;
}

/*
 * The interfaces that are up, but lo, as nft lists devices; how many.
 * Names nft could not parse are left out, and said.
 */
static int up_devices(FILE *f, char *err)
{
	struct ifaddrs *ifas, *ifa;
	int n = 0;

	if (getifaddrs(&ifas)) {
		snprintf(err, CV_ERRLEN, "cannot list the interfaces: %s",
			 strerror(errno));
		return -1;
	}
	for (ifa = ifas; ifa; ifa = ifa->ifa_next) {
		/* One AF_PACKET entry an interface. */
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_PACKET ||
		    !(ifa->ifa_flags & IFF_UP) ||
		    (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		if (strpbrk(ifa->ifa_name, "\",{}; ")) {
			fprintf(stderr,
				"Warning: interface \"%s\" is left out of the flowtable: nftables cannot name it\n",
				ifa->ifa_name);
			continue;
		}
		fprintf(f, "%s\"%s\"", n++ ? ", " : "", ifa->ifa_name);
	}
	freeifaddrs(ifas);
	return n;
}

/*
 * The table, its sets equal to the services, in one transaction; the
 * flowtable on the interfaces up now (added to those it has). @on: it is
 * asked for, and needs one.
 */
static int offload_run(struct cv_nl *nl, bool on, char *err)
{
	char *text = NULL, *devs = NULL;
	size_t len = 0, dlen = 0;
	FILE *f = open_memstream(&text, &len);
	FILE *d = open_memstream(&devs, &dlen);
	int ret = 0, ndevs;

	if (!f || !d) {
		snprintf(err, CV_ERRLEN, "%s", strerror(errno));
		if (f)
			fclose(f);
		if (d)
			fclose(d);
		free(text);
		free(devs);
		return -1;
	}
	ndevs = up_devices(d, err);
	fclose(d);
	if (ndevs < 0 || (!ndevs && on)) {
		if (!ndevs)
			snprintf(err, CV_ERRLEN, "no interface but lo is up");
		ret = -1;
	}
	fprintf(f, "add table " TABLE "\n");
	if (ndevs > 0)
		fprintf(f, "add flowtable " TABLE
			   " ft { hook ingress priority filter; devices = { %s }; counter; }\n",
			devs);
	if (!ret)
		ret = put_sets(nl, f, err);
	fprintf(f,
		"add chain " TABLE " forward { type filter hook forward priority filter + 100; policy accept; }\n"
		"flush chain " TABLE " forward\n"
		"add rule " TABLE " forward ct direction original ct status dnat meta l4proto tcp ct original ip daddr . th dport @tcp4 flow add @ft\n"
		"add rule " TABLE " forward ct direction original ct status dnat meta l4proto udp ct original ip daddr . th dport @udp4 flow add @ft\n"
		"add rule " TABLE " forward ct direction original ct status dnat meta l4proto tcp ct original ip6 daddr . th dport @tcp6 flow add @ft\n"
		"add rule " TABLE " forward ct direction original ct status dnat meta l4proto udp ct original ip6 daddr . th dport @udp6 flow add @ft\n");
	if (fclose(f)) {
		snprintf(err, CV_ERRLEN, "%s", strerror(errno));
		ret = -1;
	}
	if (!ret)
		ret = nft_run(text, NULL, err);
	free(text);
	free(devs);
	return ret;
}

int cv_offload_is_on(char *err)
{
	return offload_state(NULL, err);
}

int cv_offload_set(struct cv_nl *nl, bool on, char *err)
{
	if (on)
		return offload_run(nl, true, err);
	/* Made if missing, then deleted: no error if it was not there. */
	return nft_run("add table " TABLE "\ndelete table " TABLE "\n", NULL,
		       err);
}

int cv_offload_follow(struct cv_nl *nl)
{
	char err[CV_ERRLEN];

	/* Off, or nftables unusable here: nothing follows. */
	if (offload_state(NULL, err) <= 0 || !offload_run(nl, false, err))
		return CV_EXIT_OK;
	fprintf(stderr,
		"Error: the services changed, but the offload table did not follow (%s): run \"casvipctl offload on\"\n",
		err);
	return CV_EXIT_FAIL;
}

static int offload_show(void)
{
	char err[CV_ERRLEN], *devs = NULL;

	if (offload_state(&devs, err) < 0) {
		fprintf(stderr, "Error: cannot read the offload table: %s\n",
			err);
		return CV_EXIT_FAIL;
	}
	if (cv_opts.json) {
		struct jw w = { .f = stdout };
		char *dev, *save = NULL;

		jw_begin(&w, NULL, '{');
		jw_bool(&w, "offload", devs != NULL);
		jw_begin(&w, "devices", '[');
		for (dev = devs ? strtok_r(devs, " ", &save) : NULL; dev;
		     dev = strtok_r(NULL, " ", &save))
			jw_str(&w, NULL, dev);
		jw_end(&w, ']');
		jw_end(&w, '}');
		printf("\n");
	} else if (devs) {
		printf("offload on: devices %s\n", devs);
	} else {
		printf("offload off\n");
	}
	free(devs);
	return CV_EXIT_OK;
}

int cv_cmd_offload(struct cv_nl *unused, int argc, char **argv)
{
	char err[CV_ERRLEN];
	struct cv_nl *nl = NULL;
	bool on;
	int ret;

	(void)unused;
	if (!argc || (argc == 1 && !strcmp(argv[0], "show")))
		return offload_show();
	if (argc > 1)
		return cv_usage_error("offload help",
				      "unexpected argument \"%s\"", argv[1]);
	if (!strcmp(argv[0], "help")) {
		printf("usage: casvipctl offload [show]\n"
		       "       casvipctl offload on|off\n"
		       "on puts the established connections of every service on the\n"
		       "kernel's flowtable, on every interface that is up (but lo);\n"
		       "off takes them off. The nftables table \"inet casvip\" holds it.\n");
		return CV_EXIT_OK;
	}
	if (cv_parse_offload(argv[0], &on, err))
		return cv_usage_error("offload help", "%s", err);
	/* The services, for the sets: after the usage is known good. */
	if (on) {
		nl = cv_nl_open();
		if (!nl)
			return CV_EXIT_FAIL;
	}
	ret = cv_offload_set(nl, on, err);
	if (nl)
		cv_nl_close(nl);
	if (ret) {
		fprintf(stderr, "Error: cannot set offload %s: %s\n", argv[0],
			err);
		return CV_EXIT_FAIL;
	}
	cv_log_change("offload %s", argv[0]);
	return CV_EXIT_OK;
}
