// SPDX-License-Identifier: GPL-2.0
/*
 * persist_bench: the kernel memory a persistence entry costs, at scale.
 * Creates a service with three servers, pins N clients to them (persist
 * add, over netlink), and prints, one "name value" per line:
 *
 *	persist.entries                 N, as the kernel counts them
 *	persist.slab_object_bytes       the room one entry takes in its slab
 *	persist.kernel_bytes_per_entry  growth of slab + vmalloc memory / N
 *	persist.insert_us_per_entry     wall time of one netlink insert
 *	persist.dump_s                  wall time of a dump of all N
 *
 * With "keep", the service stays (for a lookup benchmark through it).
 *
 * usage: persist_bench N [keep]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nl.h"

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    line[strlen(key)] == ':')
			v = atol(line + strlen(key) + 1);
	if (f)
		fclose(f);
	return v;
}

/* A slab cache's figure, from sysfs: it names merged caches too. */
static long slab_attr(const char *cache, const char *attr)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", cache, attr);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long kernel_kb(void)
{
	return meminfo_kb("Slab") + meminfo_kb("VmallocUsed") +
	       meminfo_kb("KernelStack") + meminfo_kb("PageTables");
}

static int talk(struct cv_nl *nl, struct nlmsghdr *nlh, const char *what)
{
	int ret = cv_nl_talk(nl, nlh, NULL, NULL);

	if (ret)
		fprintf(stderr, "persist_bench: %s: %s %s\n", what,
			strerror(-ret), cv_nl_errmsg(nl));
	return ret;
}

int main(int argc, char **argv)
{
	struct cv_service svc = { .name = "bench" };
	struct cv_persist *es;
	struct timespec t0, t1;
	size_t ne = 0;
	struct cv_nl *nl;
	struct nlmsghdr *nlh;
	long n, before, after;
	double us;

	if (argc < 2 || argc > 3 || (n = atol(argv[1])) <= 0 ||
	    (argc == 3 && strcmp(argv[2], "keep"))) {
		fprintf(stderr, "usage: persist_bench N [keep]\n");
		return 2;
	}
	nl = cv_nl_open();
	if (!nl)
		return 1;
	svc.vip.family = AF_INET;
	svc.vip.v4.s_addr = htonl(0x0a000064);
	svc.nranges = 1;
	svc.ranges[0].first = svc.ranges[0].last = 135;
	/* Not bounded by nf_conntrack_max, which the VM's memory sets. */
	svc.persist_max = n;
	svc.given = CV_VIP | CV_PORTS | CV_PERSIST_MAX;
	nlh = cv_nl_req(nl, CASVIP_CMD_SERVICE_NEW, 0);
	cv_put_service(nlh, &svc);
	if (talk(nl, nlh, "service add"))
		return 1;
	for (int i = 1; i <= 3; i++) {
		struct cv_server srv = { .addr.family = AF_INET };

		srv.addr.v4.s_addr = htonl(0x0a00020a + i);
		nlh = cv_nl_req(nl, CASVIP_CMD_SERVER_NEW, 0);
		cv_put_service_name(nlh, "bench");
		cv_put_server(nlh, &srv);
		if (talk(nl, nlh, "server add"))
			return 1;
	}

	before = kernel_kb();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		uint32_t client = htonl(0x0b000000 + (uint32_t)i);
		uint32_t server = htonl(0x0a00020b + (uint32_t)(i % 3));
		struct nlattr *nest;

		nlh = cv_nl_req(nl, CASVIP_CMD_PERSIST_NEW, 0);
		cv_put_service_name(nlh, "bench");
		nest = mnl_attr_nest_start(nlh, CASVIP_A_PERSIST);
		mnl_attr_put(nlh, CASVIP_A_PERSIST_CLIENT, 4, &client);
		mnl_attr_put(nlh, CASVIP_A_PERSIST_SERVER, 4, &server);
		mnl_attr_nest_end(nlh, nest);
		if (talk(nl, nlh, "persist add"))
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	after = kernel_kb();
	us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	     1e3 / n;

	memset(&svc, 0, sizeof(svc));
	if (cv_get_service(nl, "bench", &svc))
		return 1;
	printf("persist.entries %u\n", svc.npersist);
	printf("persist.slab_object_bytes %ld\n",
	       slab_attr("casvip_persist", "slab_size"));
	printf("persist.kernel_bytes_per_entry %.0f\n",
	       (after - before) * 1024.0 / n);
	printf("persist.insert_us_per_entry %.1f\n", us);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cv_dump_persist(nl, "bench", &es, &ne) || ne != (size_t)n) {
		fprintf(stderr, "persist_bench: dumped %zu of %ld entries\n",
			ne, n);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(es);
	printf("persist.dump_s %.2f\n",
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (argc == 3) {
		cv_nl_close(nl);
		return svc.npersist == n ? 0 : 1;
	}
	nlh = cv_nl_req(nl, CASVIP_CMD_SERVICE_DEL, 0);
	cv_put_service_name(nlh, "bench");
	if (talk(nl, nlh, "service del"))
		return 1;
	cv_nl_close(nl);
	return svc.npersist == n ? 0 : 1;
}
