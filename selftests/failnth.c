// SPDX-License-Identifier: GPL-2.0
/*
 * failnth: every casvip command with its N-th kernel allocation failed,
 * for N = 1, 2, ... until it gets through without a failure, the way
 * syzkaller injects faults (/proc/thread-self/fail-nth). Each attempt that
 * failed must say so, and leave the running state exactly as it was
 * (casvipctl -j show and persist show, read by another process, unchanged).
 * One failure is not the command's: the socket's ENOBUFS, when the
 * acknowledgement itself could not be allocated; then the command either
 * was done (the state is as after a clean run) or not. Before each attempt
 * the state is set up again from scratch.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION and CONFIG_FAILSLAB, and
 * failslab told to fail GFP_KERNEL allocations too (test_faults.sh does).
 * Prints one line per command, "PASS ..." or "FAIL ...", with the number
 * of allocations failed; exits 1 if any failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nl.h"

#define MAX_ATTEMPTS 2000

static int fail_fd;

static void arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fail_fd, buf, len, 0) != len) {
		perror("failnth: fail-nth");
		exit(1);
	}
}

/* Disarm, and say whether the fault was injected. */
static bool injected(void)
{
	char buf[16] = "";
	bool hit;

	if (pread(fail_fd, buf, sizeof(buf) - 1, 0) < 0) {
		perror("failnth: fail-nth");
		exit(1);
	}
	hit = atoi(buf) == 0;
	arm(0);
	return hit;
}

/* What another process reads of the running state. */
static char *snapshot(void)
{
	/*
	 * What moves on by itself: seconds to expiry, the age of a health
	 * result, the clients the module recounts every second.
	 */
	FILE *p = popen("set -o pipefail; casvipctl -j show |"
			" jq -c 'del(.[].servers[]?.health_age_ms,"
			" .[].servers[]?.clients)' &&"
			" casvipctl -j persist show |"
			" jq -c 'map(del(.expires))'", "r");
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int c;

	if (!p || !out) {
		perror("failnth: snapshot");
		exit(1);
	}
	while ((c = fgetc(p)) != EOF)
		fputc(c, out);
	if (pclose(p)) {
		fprintf(stderr, "failnth: casvipctl show failed\n");
		exit(1);
	}
	fclose(out);
	return text;
}

static struct cv_addr v4(unsigned int last)
{
	struct cv_addr a = { .family = AF_INET };

	a.v4.s_addr = htonl(0x0a090000 | last);
	return a;
}

static struct cv_addr v6(unsigned int last)
{
	struct cv_addr a = { .family = AF_INET6 };

	a.v6.s6_addr[0] = 0xfd;
	a.v6.s6_addr[1] = 0x09;
	a.v6.s6_addr[15] = last;
	return a;
}

static void service(struct cv_service *s, const char *name, struct cv_addr vip)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = vip;
	s->nranges = 2;
	s->ranges[0] = (struct casvip_port_range){ 135, 135 };
	s->ranges[1] = (struct casvip_port_range){ 60001, 60002 };
	s->sched = CASVIP_SCHED_MH;
	s->given = CV_VIP | CV_PORTS | CV_SCHED;
}

static struct cv_server server(struct cv_addr addr, unsigned int given)
{
	return (struct cv_server){ .addr = addr, .weight = 50,
				   .health = CASVIP_HEALTH_DOWN,
				   .reason = "down for the test",
				   .given = given };
}

static struct nlmsghdr *req_service(struct cv_nl *nl, uint8_t cmd,
				    const struct cv_service *s,
				    const struct cv_server *srvs, size_t n)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, cmd, 0);

	cv_put_service(nlh, s);
	cv_put_servers(nlh, srvs, n);
	return nlh;
}

static struct nlmsghdr *req_servers(struct cv_nl *nl, uint8_t cmd,
				    const char *name,
				    const struct cv_server *srvs, size_t n)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, cmd, 0);

	cv_put_service_name(nlh, name);
	cv_put_servers(nlh, srvs, n);
	return nlh;
}

static struct nlmsghdr *req_persist(struct cv_nl *nl, uint8_t cmd,
				    const char *name,
				    const struct cv_addr *client,
				    const struct cv_addr *server)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, cmd, 0);
	struct nlattr *nest;

	cv_put_service_name(nlh, name);
	nest = mnl_attr_nest_start(nlh, CASVIP_A_PERSIST);
	mnl_attr_put(nlh, CASVIP_A_PERSIST_CLIENT, 4, client->bytes);
	if (server)
		mnl_attr_put(nlh, CASVIP_A_PERSIST_SERVER, 4, server->bytes);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static void must(struct cv_nl *nl, struct nlmsghdr *nlh, const char *what)
{
	int ret = cv_nl_talk(nl, nlh, NULL, NULL);

	if (ret) {
		fprintf(stderr, "failnth: setting up (%s): %s %s\n", what,
			strerror(-ret), cv_nl_errmsg(nl));
		exit(1);
	}
}

/*
 * The state every attempt starts from: service a (IPv4, three servers,
 * two clients pinned), service b (IPv6, two servers).
 */
static void base(struct cv_nl *nl)
{
	struct cv_server sa[3], sb[2];
	struct cv_addr c1 = v4(101), c2 = v4(102), s1 = v4(11), s2 = v4(12);
	struct cv_service s;

	must(nl, cv_nl_req(nl, CASVIP_CMD_FLUSH, 0), "flush");
	for (int i = 0; i < 3; i++)
		sa[i] = server(v4(11 + i), CV_WEIGHT);
	service(&s, "a", v4(1));
	must(nl, req_service(nl, CASVIP_CMD_SERVICE_NEW, &s, sa, 3), "a");
	for (int i = 0; i < 2; i++)
		sb[i] = server(v6(11 + i), CV_WEIGHT);
	service(&s, "b", v6(1));
	must(nl, req_service(nl, CASVIP_CMD_SERVICE_NEW, &s, sb, 2), "b");
	must(nl, req_persist(nl, CASVIP_CMD_PERSIST_NEW, "a", &c1, &s1), "pin");
	must(nl, req_persist(nl, CASVIP_CMD_PERSIST_NEW, "a", &c2, &s2), "pin");
}

/* One command of the test: builds its request, or runs a read. */
struct step {
	const char *name;
	struct nlmsghdr *(*req)(struct cv_nl *nl);
	int (*read)(struct cv_nl *nl);
};

static struct nlmsghdr *new_service(struct cv_nl *nl)
{
	struct cv_server srvs[3];
	struct cv_service s;

	for (int i = 0; i < 3; i++)
		srvs[i] = server(v4(21 + i), CV_WEIGHT | CV_ADMIN);
	service(&s, "c", v4(2));
	return req_service(nl, CASVIP_CMD_SERVICE_NEW, &s, srvs, 3);
}

static struct nlmsghdr *new_servers(struct cv_nl *nl)
{
	struct cv_server srvs[2] = { server(v4(14), CV_WEIGHT),
				     server(v4(15), 0) };

	return req_servers(nl, CASVIP_CMD_SERVER_NEW, "a", srvs, 2);
}

static struct nlmsghdr *servers_down(struct cv_nl *nl)
{
	struct cv_server srvs[2] = { server(v4(11), CV_HEALTH | CV_REASON),
				     server(v4(12), CV_HEALTH | CV_REASON) };

	return req_servers(nl, CASVIP_CMD_SERVER_SET, "a", srvs, 2);
}

static struct nlmsghdr *server_weight(struct cv_nl *nl)
{
	struct cv_server srv = server(v4(13), CV_WEIGHT);

	srv.weight = 7;
	return req_servers(nl, CASVIP_CMD_SERVER_SET, "a", &srv, 1);
}

static struct nlmsghdr *del_servers(struct cv_nl *nl)
{
	struct cv_server srvs[2] = { server(v4(12), 0), server(v4(13), 0) };

	return req_servers(nl, CASVIP_CMD_SERVER_DEL, "a", srvs, 2);
}

static struct nlmsghdr *set_ports(struct cv_nl *nl)
{
	struct cv_service s;

	service(&s, "a", v4(1));
	s.ranges[1].last = 60003;
	s.given = CV_VIP | CV_PORTS | CV_SNAT;
	s.snat = CASVIP_SNAT_MASQUERADE;
	return req_service(nl, CASVIP_CMD_SERVICE_SET, &s, NULL, 0);
}

static struct nlmsghdr *set_sched(struct cv_nl *nl)
{
	struct cv_service s;

	service(&s, "a", v4(1));
	s.sched = CASVIP_SCHED_WRR;
	s.given = CV_SCHED;
	return req_service(nl, CASVIP_CMD_SERVICE_SET, &s, NULL, 0);
}

static struct nlmsghdr *set_netmask(struct cv_nl *nl)
{
	struct cv_service s;

	service(&s, "a", v4(1));
	s.netmask = 24;
	s.given = CV_NETMASK;
	return req_service(nl, CASVIP_CMD_SERVICE_SET, &s, NULL, 0);
}

static struct nlmsghdr *pin(struct cv_nl *nl)
{
	struct cv_addr c = v4(103), s = v4(13);

	return req_persist(nl, CASVIP_CMD_PERSIST_NEW, "a", &c, &s);
}

static struct nlmsghdr *unpin(struct cv_nl *nl)
{
	struct cv_addr c = v4(101);

	return req_persist(nl, CASVIP_CMD_PERSIST_DEL, "a", &c, NULL);
}

static struct nlmsghdr *del_service(struct cv_nl *nl)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, CASVIP_CMD_SERVICE_DEL, 0);

	cv_put_service_name(nlh, "b");
	return nlh;
}

static struct nlmsghdr *flush(struct cv_nl *nl)
{
	return cv_nl_req(nl, CASVIP_CMD_FLUSH, 0);
}

static int dump_all(struct cv_nl *nl)
{
	struct cv_service *svcs;
	size_t n;
	int ret = cv_dump_services(nl, &svcs, &n);

	for (size_t i = 0; !ret && i < n; i++)
		ret = cv_dump_servers(nl, &svcs[i]);
	if (!ret)
		cv_free_services(svcs, n);
	return ret;
}

static int dump_persist(struct cv_nl *nl)
{
	struct cv_persist *es;
	size_t n;
	int ret = cv_dump_persist(nl, "a", &es, &n);

	if (!ret)
		free(es);
	return ret;
}

static const struct step steps[] = {
	{ "service add with its servers", new_service, NULL },
	{ "server add, two in one request", new_servers, NULL },
	{ "server set health down, two in one request", servers_down, NULL },
	{ "server set weight", server_weight, NULL },
	{ "server del, two in one request", del_servers, NULL },
	{ "service set ports and snat (a new vnode)", set_ports, NULL },
	{ "service set sched (a new scheduler table)", set_sched, NULL },
	{ "service set netmask (clients forgotten)", set_netmask, NULL },
	{ "persist add", pin, NULL },
	{ "persist del", unpin, NULL },
	{ "service del", del_service, NULL },
	{ "flush", flush, NULL },
	{ "dump services and servers", NULL, dump_all },
	{ "dump persistence", NULL, dump_persist },
};

#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

int main(void)
{
	struct cv_nl *nl = cv_nl_open();
	char *before;
	int failed = 0;

	fail_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (!nl || fail_fd < 0) {
		perror("failnth");
		return 1;
	}
	base(nl);
	before = snapshot();
	for (size_t i = 0; i < NSTEPS; i++) {
		const struct step *st = &steps[i];
		unsigned int n, faults = 0, bad = 0;
		char why[128] = "", *after;

		/* The state a clean run leaves. */
		if (st->req)
			must(nl, st->req(nl), st->name);
		after = snapshot();
		base(nl);

		for (n = 1; n <= MAX_ATTEMPTS; n++) {
			struct nlmsghdr *nlh = st->req ? st->req(nl) : NULL;
			bool hit;
			char *now;
			int ret;

			arm(n);
			ret = st->req ? cv_nl_talk(nl, nlh, NULL, NULL) :
					st->read(nl);
			hit = injected();
			if (!hit) {
				if (ret) {
					bad++;
					snprintf(why, sizeof(why),
						 "failed with no fault: %s",
						 strerror(-ret));
				}
				break;
			}
			faults++;
			if (!ret) {
				/* Got through: the failure had a fallback. */
				base(nl);
				continue;
			}
			now = snapshot();
			/* The acknowledgement lost: done or not, as it may. */
			if (ret == -ENOBUFS && !strcmp(now, after)) {
				base(nl);
			} else if (strcmp(now, before)) {
				bad++;
				snprintf(why, sizeof(why),
					 "fault %u (%s) changed the state", n,
					 strerror(-ret));
				base(nl);
			}
			free(now);
		}
		if (n > MAX_ATTEMPTS) {
			bad++;
			snprintf(why, sizeof(why), "never got through");
		}
		free(after);
		failed += !!bad;
		printf("%s %s: %u allocations failed one by one, each cleanly%s%s\n",
		       bad ? "FAIL" : "PASS", st->name, faults,
		       *why ? ": " : "", why);
		fflush(stdout);
		base(nl);
	}
	free(before);
	must(nl, cv_nl_req(nl, CASVIP_CMD_FLUSH, 0), "flush");
	cv_nl_close(nl);
	return failed ? 1 : 0;
}
