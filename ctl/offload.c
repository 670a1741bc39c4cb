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
 *   sets vips4/6    protocol . VIP . ports of every service
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
	int ret;

	if (!nft) {
		snprintf(err, CV_ERRLEN, "libnftables: %s", strerror(errno));
		return -1;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	ret = nft_run_cmd_from_buffer(nft, text);
	if (ret) {
		const char *e = nft_ctx_get_error_buffer(nft);
		size_t len = strcspn(e, "\n");

		snprintf(err, CV_ERRLEN, "%.*s", (int)len,
			 *e ? e : "nftables failed");
	} else if (out) {
		*out = strdup(nft_ctx_get_output_buffer(nft));
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
	/* devices = { eth0, eth1 }, on one line or more */
	list = strstr(out, "devices = {");
	list = list ? list + strlen("devices = {") : "}";
	list[strcspn(list, "}")] = '\0';
	devs = calloc(1, strlen(list) + 1);
	for (p = devs, w = strtok_r(list, ", \t\n\"", &save); devs && w;
	     w = strtok_r(NULL, ", \t\n\"", &save))
		p += sprintf(p, "%s%s", p == devs ? "" : " ", w);
	free(out);
	*devs_out = devs;
	if (devs)
		return 1;
	snprintf(err, CV_ERRLEN, "%s", strerror(errno));
	return -1;
}

/* What the services of @family serve, as the elements of vips4 or vips6. */
static void put_elements(FILE *f, const struct cv_service *svcs, size_t n,
			 int family)
{
	const char *sep = "";
	char a[64];

	for (size_t i = 0; i < n; i++) {
		const struct cv_service *s = &svcs[i];

		if (s->vip.family != family)
			continue;
		cv_format_addr(&s->vip, a, sizeof(a));
		for (unsigned int k = 0; k < s->nranges; k++) {
			fprintf(f, "%s%s . %s . %u", sep,
				cv_proto_name(s->proto), a,
				s->ranges[k].first);
			if (s->ranges[k].last != s->ranges[k].first)
				fprintf(f, "-%u", s->ranges[k].last);
			sep = ", ";
		}
	}
	if (*sep)
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
	for (int v6 = 0; v6 < 2; v6++) {
		const char *set = v6 ? "vips6" : "vips4";
		int family = v6 ? AF_INET6 : AF_INET;
		bool any = false;

		fprintf(f,
			"add set " TABLE " %s { type inet_proto . %s . inet_service; flags interval; }\n"
			"flush set " TABLE " %s\n",
			set, v6 ? "ipv6_addr" : "ipv4_addr", set);
		for (size_t i = 0; i < n; i++)
			any |= svcs[i].vip.family == family;
		if (any) {
			fprintf(f, "add element " TABLE " %s { ", set);
			put_elements(f, svcs, n, family);
		}
	}
	cv_free_services(svcs, n);
	return 0;
}

/* The interfaces that are up, but lo, as nft lists devices. */
static int up_devices(FILE *f, char *err)
{
	struct ifaddrs *ifas, *ifa;
	const char *sep = "";

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
		fprintf(f, "%s\"%s\"", sep, ifa->ifa_name);
		sep = ", ";
	}
	freeifaddrs(ifas);
	if (!*sep) {
		snprintf(err, CV_ERRLEN, "no interface but lo is up");
		return -1;
	}
	return 0;
}

/*
 * The table, its sets equal to the services, in one transaction; @on: the
 * flowtable too, on the interfaces up now.
 */
static int offload_run(struct cv_nl *nl, bool on, char *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret = 0;

	if (!f) {
		snprintf(err, CV_ERRLEN, "%s", strerror(errno));
		return -1;
	}
	fprintf(f, "add table " TABLE "\n");
	if (on) {
		fprintf(f, "add flowtable " TABLE
			   " ft { hook ingress priority filter; devices = { ");
		ret = up_devices(f, err);
		fprintf(f, " }; counter; }\n");
	}
	if (!ret)
		ret = put_sets(nl, f, err);
	fprintf(f,
		"add chain " TABLE " forward { type filter hook forward priority filter + 10; policy accept; }\n"
		"flush chain " TABLE " forward\n"
		"add rule " TABLE " forward ct direction original ct status dnat meta l4proto . ct original ip daddr . th dport @vips4 flow add @ft\n"
		"add rule " TABLE " forward ct direction original ct status dnat meta l4proto . ct original ip6 daddr . th dport @vips6 flow add @ft\n");
	if (fclose(f)) {
		snprintf(err, CV_ERRLEN, "%s", strerror(errno));
		ret = -1;
	}
	if (!ret)
		ret = nft_run(text, NULL, err);
	free(text);
	return ret;
}

int cv_offload_is_on(char *err)
{
	return offload_state(NULL, err);
}

int cv_offload_set(struct cv_nl *nl, bool on, char *err)
{
	int state;

	if (on)
		return offload_run(nl, true, err);
	state = offload_state(NULL, err);
	if (state <= 0)
		return state;
	return nft_run("delete table " TABLE "\n", NULL, err);
}

int cv_offload_follow(struct cv_nl *nl)
{
	char err[CV_ERRLEN];
	int state = offload_state(NULL, err);

	if (!state || (state > 0 && !offload_run(nl, false, err)))
		return CV_EXIT_OK;
	fprintf(stderr,
		"Error: the services changed, but the offload table did not follow: %s\n",
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
		jw_bool(&w, "offload", devs);
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
	struct cv_nl *nl;
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
	if (strcmp(argv[0], "on") && strcmp(argv[0], "off"))
		return cv_usage_error("offload help",
				      "offload is on or off, not \"%s\"",
				      argv[0]);
	on = !strcmp(argv[0], "on");
	/* The services, for the sets: after the usage is known good. */
	nl = cv_nl_open();
	if (!nl)
		return CV_EXIT_FAIL;
	ret = cv_offload_set(nl, on, err);
	cv_nl_close(nl);
	if (ret) {
		fprintf(stderr, "Error: cannot set offload %s: %s\n", argv[0],
			err);
		return CV_EXIT_FAIL;
	}
	cv_log_change("offload %s", argv[0]);
	return CV_EXIT_OK;
}
