// SPDX-License-Identifier: GPL-2.0
/*
 * The casvip generic netlink family, spoken raw: strict policies, extended
 * ACK messages, permissions, limits, big and interrupted dumps, network
 * namespace isolation. Runs in the test VM with casvip.ko available.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "kselftest_harness.h"

#include "nl.h"

static void service_cfg(struct cv_service *svc, const char *name,
			uint32_t vip, uint16_t first, uint16_t last)
{
	memset(svc, 0, sizeof(*svc));
	snprintf(svc->name, sizeof(svc->name), "%s", name);
	svc->vip.family = AF_INET;
	svc->vip.v4.s_addr = htonl(vip);
	svc->nranges = 1;
	svc->ranges[0].first = first;
	svc->ranges[0].last = last;
	svc->given = CV_VIP | CV_PORTS;
}

static int add_service(struct cv_nl *nl, const char *name, uint32_t vip)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, CASVIP_CMD_SERVICE_NEW, 0);
	struct cv_service svc;

	service_cfg(&svc, name, vip, 135, 135);
	cv_put_service(nlh, &svc);
	return cv_nl_talk(nl, nlh, NULL, NULL);
}

static int add_server(struct cv_nl *nl, const char *service, uint32_t addr)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, CASVIP_CMD_SERVER_NEW, 0);
	struct cv_server srv = { .addr.family = AF_INET };

	srv.addr.v4.s_addr = htonl(addr);
	cv_put_service_name(nlh, service);
	cv_put_server(nlh, &srv);
	return cv_nl_talk(nl, nlh, NULL, NULL);
}

static size_t count_services(struct cv_nl *nl)
{
	struct cv_service *svcs;
	size_t n;

	if (cv_dump_services(nl, &svcs, &n))
		return (size_t)-1;
	cv_free_services(svcs, n);
	return n;
}

FIXTURE(nl)
{
	struct cv_nl *nl;
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, system("modprobe casvip"));
	self->nl = cv_nl_open();
	ASSERT_NE(NULL, self->nl);
	ASSERT_EQ(0, cv_nl_talk(self->nl,
				cv_nl_req(self->nl, CASVIP_CMD_FLUSH, 0), NULL,
				NULL));
}

FIXTURE_TEARDOWN(nl)
{
	cv_nl_talk(self->nl, cv_nl_req(self->nl, CASVIP_CMD_FLUSH, 0), NULL,
		   NULL);
	cv_nl_close(self->nl);
}

/* A request with one raw attribute inside the service nest. */
static int service_with(struct cv_nl *nl, uint8_t cmd, uint16_t type,
			const void *data, size_t len)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, cmd, 0);
	struct casvip_port_range r = { 135, 135 };
	struct nlattr *nest = mnl_attr_nest_start(nlh, CASVIP_A_SERVICE);
	uint32_t vip = htonl(0x0a000001);

	mnl_attr_put_strz(nlh, CASVIP_A_SERVICE_NAME, "x");
	if (type != CASVIP_A_SERVICE_VIP)
		mnl_attr_put(nlh, CASVIP_A_SERVICE_VIP, 4, &vip);
	if (type != CASVIP_A_SERVICE_PORTS)
		mnl_attr_put(nlh, CASVIP_A_SERVICE_PORTS, sizeof(r), &r);
	mnl_attr_put(nlh, type, len, data);
	mnl_attr_nest_end(nlh, nest);
	return cv_nl_talk(nl, nlh, NULL, NULL);
}

TEST_F(nl, valid_raw_request)
{
	uint8_t sched = CASVIP_SCHED_WRR;

	ASSERT_EQ(0, service_with(self->nl, CASVIP_CMD_SERVICE_NEW,
				  CASVIP_A_SERVICE_SCHED, &sched, 1));
	ASSERT_EQ(1, count_services(self->nl));
}

TEST_F(nl, unknown_attribute_rejected)
{
	uint32_t v = 1;

	EXPECT_EQ(-EINVAL, service_with(self->nl, CASVIP_CMD_SERVICE_NEW,
					CASVIP_A_SERVICE_MAX + 1, &v, 4));
	/* Output-only attributes are not accepted either. */
	EXPECT_EQ(-EINVAL, service_with(self->nl, CASVIP_CMD_SERVICE_NEW,
					CASVIP_A_SERVICE_NUM_SERVERS, &v, 4));
	EXPECT_EQ(0, count_services(self->nl));
}

TEST_F(nl, unknown_top_level_attribute_rejected)
{
	struct nlmsghdr *nlh = cv_nl_req(self->nl, CASVIP_CMD_FLUSH, 0);

	mnl_attr_put_u32(nlh, CASVIP_A_MAX + 1, 1);
	EXPECT_EQ(-EINVAL, cv_nl_talk(self->nl, nlh, NULL, NULL));
}

TEST_F(nl, bad_values_named)
{
	static const struct {
		uint16_t type;
		uint8_t data[12];
		size_t len;
		const char *msg; /* NULL: the policy core's own message */
		int error;
	} cases[] = {
		{ CASVIP_A_SERVICE_VIP, { 10, 0, 0, 1, 0 }, 5,
		  "address must be 4 (IPv4) or 16 (IPv6) bytes", EINVAL },
		{ CASVIP_A_SERVICE_PORTS, { 0 }, 0,
		  "port set must hold 1 to 64 ranges", EINVAL },
		{ CASVIP_A_SERVICE_PORTS, { 135, 0, 135 }, 3,
		  "port set must hold 1 to 64 ranges", EINVAL },
		{ CASVIP_A_SERVICE_PORTS, { 0, 0, 0, 0 }, 4,
		  "port range must have 1 <= first <= last", EINVAL },
		{ CASVIP_A_SERVICE_PORTS, { 2, 0, 1, 0 }, 4,
		  "port range must have 1 <= first <= last", EINVAL },
		{ CASVIP_A_SERVICE_PORTS, { 5, 0, 9, 0, 1, 0, 2, 0 }, 8,
		  "port ranges must be sorted and not overlap", EINVAL },
		{ CASVIP_A_SERVICE_NAME, "a/b", 4,
		  "service name may hold only letters, digits, '_', '.' and '-'", EINVAL },
		{ CASVIP_A_SERVICE_PROTO, { 1 }, 1, NULL, ERANGE },
		{ CASVIP_A_SERVICE_SCHED, { CASVIP_SCHED_MAX + 1 }, 1, NULL, ERANGE },
		{ CASVIP_A_SERVICE_SNAT, { CASVIP_SNAT_MAX + 1 }, 1, NULL, ERANGE },
		{ CASVIP_A_SERVICE_PERSIST_NETMASK, { 129 }, 1, NULL, ERANGE },
		{ CASVIP_A_SERVICE_PERSIST_TIMEOUT, { 0x01, 0x8d, 0x27, 0 }, 4,
		  NULL, ERANGE },
		{ CASVIP_A_SERVICE_FOLLOW, { 0 }, 3,
		  "follow must hold 0 to CASVIP_MAX_FOLLOW struct casvip_iface", EINVAL },
		{ CASVIP_A_SERVICE_ANNOUNCED, { 0 }, 3,
		  "announced ports must be 0 to CASVIP_MAX_ANNOUNCED u16", EINVAL },
		/* Host byte order: 512; then 4096 before 2048. */
		{ CASVIP_A_SERVICE_ANNOUNCED, { 0x00, 0x02 }, 2,
		  "announced ports must be rising, none below 1024", EINVAL },
		{ CASVIP_A_SERVICE_ANNOUNCED, { 0x00, 0x10, 0x00, 0x08 }, 4,
		  "announced ports must be rising, none below 1024", EINVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = service_with(self->nl, CASVIP_CMD_SERVICE_NEW,
				       cases[i].type, cases[i].data,
				       cases[i].len);

		TH_LOG("case %zu: %s", i, cv_nl_errmsg(self->nl));
		EXPECT_EQ(-cases[i].error, ret);
		if (cases[i].msg) {
			EXPECT_STREQ(cases[i].msg, cv_nl_errmsg(self->nl));
		} else {
			EXPECT_NE(0, strlen(cv_nl_errmsg(self->nl)));
		}
	}
	EXPECT_EQ(0, count_services(self->nl));
}

TEST_F(nl, netmask_longer_than_vip)
{
	uint8_t mask = 33;

	EXPECT_EQ(-EINVAL, service_with(self->nl, CASVIP_CMD_SERVICE_NEW,
					CASVIP_A_SERVICE_PERSIST_NETMASK,
					&mask, 1));
	EXPECT_STREQ("persistence netmask is longer than the VIP's address",
		     cv_nl_errmsg(self->nl));
	EXPECT_EQ(0, count_services(self->nl));
}

TEST_F(nl, missing_attributes)
{
	struct nlmsghdr *nlh = cv_nl_req(self->nl, CASVIP_CMD_SERVICE_NEW, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, CASVIP_A_SERVICE);

	mnl_attr_put_strz(nlh, CASVIP_A_SERVICE_NAME, "novip");
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, cv_nl_talk(self->nl, nlh, NULL, NULL));
	/* No service nest at all. */
	nlh = cv_nl_req(self->nl, CASVIP_CMD_SERVICE_DEL, 0);
	EXPECT_EQ(-EINVAL, cv_nl_talk(self->nl, nlh, NULL, NULL));
	EXPECT_EQ(0, count_services(self->nl));
}

TEST_F(nl, snat_needs_address)
{
	uint8_t snat = CASVIP_SNAT_ADDR;

	EXPECT_EQ(-EINVAL, service_with(self->nl, CASVIP_CMD_SERVICE_NEW,
					CASVIP_A_SERVICE_SNAT, &snat, 1));
	EXPECT_STREQ("SNAT to an address needs the address",
		     cv_nl_errmsg(self->nl));
}

TEST_F(nl, set_and_get)
{
	struct cv_service svc;
	struct nlmsghdr *nlh;

	ASSERT_EQ(0, add_service(self->nl, "svc", 0x0a000064));
	service_cfg(&svc, "svc", 0x0a000064, 60001, 60002);
	svc.sched = CASVIP_SCHED_LC;
	svc.timeout = 0;
	svc.given |= CV_SCHED | CV_PERSIST;
	nlh = cv_nl_req(self->nl, CASVIP_CMD_SERVICE_SET, 0);
	cv_put_service(nlh, &svc);
	ASSERT_EQ(0, cv_nl_talk(self->nl, nlh, NULL, NULL));
	memset(&svc, 0, sizeof(svc));
	ASSERT_EQ(0, cv_get_service(self->nl, "svc", &svc));
	EXPECT_STREQ("svc", svc.name);
	EXPECT_EQ(60001, svc.ranges[0].first);
	EXPECT_EQ(60002, svc.ranges[0].last);
	EXPECT_EQ(CASVIP_SCHED_LC, svc.sched);
	EXPECT_EQ(0, svc.timeout);
	EXPECT_EQ(-ENOENT, cv_get_service(self->nl, "nosuch", &svc));
	EXPECT_STREQ("no service of that name", cv_nl_errmsg(self->nl));
}

/*
 * Who may do what: one row per command (and per dump of a GET). Reading
 * needs CAP_NET_ADMIN as changing does: persistence lists every client.
 * Each request is valid: as root, every row succeeds.
 */
#define READ (-EPERM)
#define CHANGE (-EPERM)

static const struct perm_case {
	const char *name;
	uint8_t cmd;
	uint16_t flags;
	int unprivileged; /* what a user without CAP_NET_ADMIN gets */
} perm_cases[] = {
	{ "SERVICE_NEW", CASVIP_CMD_SERVICE_NEW, 0, CHANGE },
	{ "SERVICE_SET", CASVIP_CMD_SERVICE_SET, 0, CHANGE },
	{ "SERVICE_DEL", CASVIP_CMD_SERVICE_DEL, 0, CHANGE },
	{ "SERVICE_GET", CASVIP_CMD_SERVICE_GET, 0, READ },
	{ "SERVICE_GET dump", CASVIP_CMD_SERVICE_GET, NLM_F_DUMP, READ },
	{ "SERVER_NEW", CASVIP_CMD_SERVER_NEW, 0, CHANGE },
	{ "SERVER_SET", CASVIP_CMD_SERVER_SET, 0, CHANGE },
	{ "SERVER_DEL", CASVIP_CMD_SERVER_DEL, 0, CHANGE },
	{ "SERVER_GET", CASVIP_CMD_SERVER_GET, 0, READ },
	{ "SERVER_GET dump", CASVIP_CMD_SERVER_GET, NLM_F_DUMP, READ },
	{ "FLUSH", CASVIP_CMD_FLUSH, 0, CHANGE },
	{ "PERSIST_GET dump", CASVIP_CMD_PERSIST_GET, NLM_F_DUMP, READ },
	{ "PERSIST_DEL", CASVIP_CMD_PERSIST_DEL, 0, CHANGE },
	{ "PERSIST_NEW", CASVIP_CMD_PERSIST_NEW, 0, CHANGE },
	{ "PERSIST_LEARN", CASVIP_CMD_PERSIST_LEARN, 0, CHANGE },
	{ "ZERO", CASVIP_CMD_ZERO, 0, CHANGE },
};

/* Commands the kernel only sends, as events: no request. */
static bool is_event(unsigned int cmd)
{
	return cmd == CASVIP_CMD_HEALTH || cmd == CASVIP_CMD_DRAINED ||
	       cmd == CASVIP_CMD_PERSIST_FULL ||
	       cmd == CASVIP_CMD_SERVICE_STATE;
}
#define NPERM (sizeof(perm_cases) / sizeof(perm_cases[0]))

static bool is_get(uint8_t cmd)
{
	return cmd == CASVIP_CMD_SERVICE_GET || cmd == CASVIP_CMD_SERVER_GET ||
	       cmd == CASVIP_CMD_PERSIST_GET;
}

/* Service "mine" (10.0.0.100:135), server 10.0.2.1, client 10.0.1.1 on it. */
static int perm_setup(struct cv_nl *nl)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t client = htonl(0x0a000101), server = htonl(0x0a000201);

	if (add_service(nl, "mine", 0x0a000064) ||
	    add_server(nl, "mine", 0x0a000201))
		return -1;
	nlh = cv_nl_req(nl, CASVIP_CMD_PERSIST_NEW, 0);
	cv_put_service_name(nlh, "mine");
	nest = mnl_attr_nest_start(nlh, CASVIP_A_PERSIST);
	mnl_attr_put(nlh, CASVIP_A_PERSIST_CLIENT, 4, &client);
	mnl_attr_put(nlh, CASVIP_A_PERSIST_SERVER, 4, &server);
	mnl_attr_nest_end(nlh, nest);
	return cv_nl_talk(nl, nlh, NULL, NULL);
}

static int count_msgs(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(int *)data;
	return MNL_CB_OK;
}

/* The row's request, valid against perm_setup()'s state; the answers in @n. */
static int perm_request(struct cv_nl *nl, const struct perm_case *p, int *n)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, p->cmd, p->flags);
	struct cv_server srv = { .addr.family = AF_INET };
	struct cv_service svc;
	uint32_t client = htonl(0x0a000101), server = htonl(0x0a000201);
	struct nlattr *nest;

	*n = 0;
	srv.addr.v4.s_addr = server;
	switch (p->cmd) {
	case CASVIP_CMD_SERVICE_NEW:
	case CASVIP_CMD_SERVICE_SET:
		service_cfg(&svc, p->cmd == CASVIP_CMD_SERVICE_NEW ? "new" : "mine",
			    0x0a000065, 1, 2);
		cv_put_service(nlh, &svc);
		break;
	case CASVIP_CMD_SERVICE_DEL:
	case CASVIP_CMD_PERSIST_GET:
		cv_put_service_name(nlh, "mine");
		break;
	case CASVIP_CMD_SERVICE_GET:
		if (!p->flags)
			cv_put_service_name(nlh, "mine");
		break;
	case CASVIP_CMD_SERVER_NEW:
	case CASVIP_CMD_SERVER_SET:
	case CASVIP_CMD_SERVER_DEL:
	case CASVIP_CMD_SERVER_GET:
		cv_put_service_name(nlh, "mine");
		if (p->cmd == CASVIP_CMD_SERVER_NEW)
			srv.addr.v4.s_addr = htonl(0x0a000202);
		if (p->cmd == CASVIP_CMD_SERVER_SET) {
			srv.weight = 7;
			srv.given = CV_WEIGHT;
		}
		if (p->cmd != CASVIP_CMD_SERVER_GET || !p->flags)
			cv_put_server(nlh, &srv);
		break;
	case CASVIP_CMD_PERSIST_DEL:
	case CASVIP_CMD_PERSIST_NEW:
		cv_put_service_name(nlh, "mine");
		if (p->cmd == CASVIP_CMD_PERSIST_NEW)
			client = htonl(0x0a000102);
		nest = mnl_attr_nest_start(nlh, CASVIP_A_PERSIST);
		mnl_attr_put(nlh, CASVIP_A_PERSIST_CLIENT, 4, &client);
		if (p->cmd == CASVIP_CMD_PERSIST_NEW)
			mnl_attr_put(nlh, CASVIP_A_PERSIST_SERVER, 4, &server);
		mnl_attr_nest_end(nlh, nest);
		break;
	}
	return cv_nl_talk(nl, nlh, count_msgs, n);
}

/* What a user sees of the namespace: services, servers, clients. */
static void state_text(struct cv_nl *nl, char *buf, size_t len)
{
	struct cv_service *svcs;
	size_t n, off = 0;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (cv_dump_services(nl, &svcs, &n)) {
		snprintf(buf, len, "dump failed");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct cv_service *s = &svcs[i];
		struct cv_persist *e;
		size_t ne;

		off += snprintf(buf + off, len - off, "%s %s %u-%u:", s->name,
				cv_format_addr(&s->vip, a, sizeof(a)),
				s->ranges[0].first, s->ranges[0].last);
		if (!cv_dump_servers(nl, s))
			for (size_t k = 0; k < s->nsrv; k++)
				off += snprintf(buf + off, len - off, " %s/%u/%u",
						cv_format_addr(&s->servers[k].addr,
							       a, sizeof(a)),
						s->servers[k].weight,
						s->servers[k].admin);
		if (!cv_dump_persist(nl, s->name, &e, &ne)) {
			for (size_t k = 0; k < ne; k++)
				off += snprintf(buf + off, len - off, " %s>%s",
						cv_format_addr(&e[k].client, a,
							       sizeof(a)),
						cv_format_addr(&e[k].server, b,
							       sizeof(b)));
			free(e);
		}
		off += snprintf(buf + off, len - off, "\n");
	}
	cv_free_services(svcs, n);
}

TEST_F(nl, permissions_cover_every_command)
{
	for (unsigned int cmd = 1; cmd <= CASVIP_CMD_MAX; cmd++) {
		bool found = false;

		for (size_t i = 0; i < NPERM; i++)
			found |= perm_cases[i].cmd == cmd;
		EXPECT_NE(is_event(cmd), found)
		TH_LOG("command %u: a request needs a row, an event none", cmd);
	}
}

/* An event's command sent as a request: the kernel knows no such one. */
TEST_F(nl, events_are_not_requests)
{
	for (unsigned int cmd = 1; cmd <= CASVIP_CMD_MAX; cmd++) {
		if (!is_event(cmd))
			continue;
		EXPECT_EQ(-EOPNOTSUPP,
			  cv_nl_talk(self->nl, cv_nl_req(self->nl, cmd, 0),
				     NULL, NULL))
		TH_LOG("command %u", cmd);
	}
}

/* Every request of the table is valid: as root, each one succeeds. */
TEST_F(nl, permissions_root_may_do_all)
{
	for (size_t i = 0; i < NPERM; i++) {
		const struct perm_case *p = &perm_cases[i];
		int n, ret;

		ASSERT_EQ(0, cv_nl_talk(self->nl,
					cv_nl_req(self->nl, CASVIP_CMD_FLUSH, 0),
					NULL, NULL));
		ASSERT_EQ(0, perm_setup(self->nl));
		ret = perm_request(self->nl, p, &n);
		EXPECT_EQ(0, ret) TH_LOG("%s as root: %s", p->name,
					 cv_nl_errmsg(self->nl));
		/* A GET answers with the one service, server or client. */
		if (is_get(p->cmd))
			EXPECT_EQ(1, n) TH_LOG("%s as root", p->name);
	}
}

TEST_F(nl, permissions_unprivileged)
{
	struct {
		int ret, n;
	} got[NPERM];
	char before[4096], after[4096];
	int status, fds[2];
	pid_t pid;

	ASSERT_EQ(0, perm_setup(self->nl));
	state_text(self->nl, before, sizeof(before));
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct cv_nl *nl;

		close(fds[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		nl = cv_nl_open();
		if (!nl)
			_exit(101);
		for (size_t i = 0; i < NPERM; i++)
			got[i].ret = perm_request(nl, &perm_cases[i], &got[i].n);
		if (write(fds[1], got, sizeof(got)) != sizeof(got))
			_exit(102);
		_exit(0);
	}
	close(fds[1]);
	ASSERT_EQ(sizeof(got), read(fds[0], got, sizeof(got)));
	close(fds[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	for (size_t i = 0; i < NPERM; i++) {
		const struct perm_case *p = &perm_cases[i];

		EXPECT_EQ(p->unprivileged, got[i].ret)
			TH_LOG("%s unprivileged: want %s, got %s", p->name,
			       strerror(-p->unprivileged), strerror(-got[i].ret));
		if (!got[i].ret && is_get(p->cmd))
			EXPECT_EQ(1, got[i].n) TH_LOG("%s unprivileged", p->name);
		if (got[i].ret)
			EXPECT_EQ(0, got[i].n) TH_LOG("%s unprivileged", p->name);
	}
	state_text(self->nl, after, sizeof(after));
	EXPECT_STREQ(before, after);
}

TEST_F(nl, server_limit)
{
	struct nlmsghdr *nlh = cv_nl_req(self->nl, CASVIP_CMD_SERVICE_NEW, 0);
	struct cv_service svc;
	int ret = 0;

	/* rr: each addition rebuilds the scheduler, and mh's table is big. */
	service_cfg(&svc, "big", 0x0a000064, 135, 135);
	svc.sched = CASVIP_SCHED_RR;
	svc.given |= CV_SCHED;
	cv_put_service(nlh, &svc);
	ASSERT_EQ(0, cv_nl_talk(self->nl, nlh, NULL, NULL));
	for (uint32_t i = 0; i < CASVIP_MAX_SERVERS && !ret; i++)
		ret = add_server(self->nl, "big", 0x0a010000 + i);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-ENOSPC, add_server(self->nl, "big", 0x0b000000));
	EXPECT_STREQ("too many servers in this service",
		     cv_nl_errmsg(self->nl));
}

/* 65536 services: slow on a debug kernel under TCG. */
TEST_F_TIMEOUT(nl, service_limit, 600)
{
	char name[16];
	int ret = 0;

	for (uint32_t i = 0; i < CASVIP_MAX_SERVICES && !ret; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		ret = add_service(self->nl, name, 0x0a000000 + i);
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-ENOSPC, add_service(self->nl, "onemore", 0x0b000000));
	EXPECT_STREQ("too many services in this namespace",
		     cv_nl_errmsg(self->nl));
}

/* 10000 services: slow on a debug kernel under TCG too. */
TEST_F_TIMEOUT(nl, dump_10000_services, 300)
{
	struct cv_service *svcs;
	char name[16];
	size_t n;

	for (uint32_t i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		ASSERT_EQ(0, add_service(self->nl, name, 0x0a000000 + i));
	}
	ASSERT_EQ(0, cv_dump_services(self->nl, &svcs, &n));
	ASSERT_EQ(10000, n);
	/* Each exactly once, in creation order, across every part. */
	for (uint32_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		ASSERT_STREQ(name, svcs[i].name);
		ASSERT_EQ(htonl(0x0a000000 + i), svcs[i].vip.v4.s_addr);
	}
	cv_free_services(svcs, n);
}

TEST_F(nl, dump_1000_servers)
{
	struct cv_service svc = { .name = "big" };
	struct cv_server srvs[100] = { 0 };

	/* A request of 100 at a time: each rebuilds the scheduler's table. */
	ASSERT_EQ(0, add_service(self->nl, "big", 0x0a000064));
	for (uint32_t i = 0; i < 1000; i += 100) {
		struct nlmsghdr *nlh = cv_nl_req(self->nl,
						 CASVIP_CMD_SERVER_NEW, 0);

		for (uint32_t k = 0; k < 100; k++) {
			srvs[k].addr.family = AF_INET;
			srvs[k].addr.v4.s_addr = htonl(0x0a010000 + i + k);
		}
		cv_put_service_name(nlh, "big");
		ASSERT_EQ(100, cv_put_servers(nlh, srvs, 100));
		ASSERT_EQ(0, cv_nl_talk(self->nl, nlh, NULL, NULL));
	}
	ASSERT_EQ(0, cv_dump_servers(self->nl, &svc));
	ASSERT_EQ(1000, svc.nsrv);
	for (uint32_t i = 0; i < 1000; i++)
		ASSERT_EQ(htonl(0x0a010000 + i), svc.servers[i].addr.v4.s_addr);
	free(svc.servers);
}

struct interrupter {
	struct cv_nl *other;
	int seen;
};

/* Change the table through another socket while the dump is running. */
static int interrupt_cb(const struct nlmsghdr *nlh, void *data)
{
	struct interrupter *in = data;

	(void)nlh;
	if (in->seen++ == 0)
		add_service(in->other, "intruder", 0x0b000001);
	return MNL_CB_OK;
}

TEST_F(nl, dump_interrupted_is_flagged)
{
	struct interrupter in = { 0 };
	struct nlmsghdr *nlh;
	char name[16];

	for (uint32_t i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		ASSERT_EQ(0, add_service(self->nl, name, 0x0a000000 + i));
	}
	in.other = cv_nl_open();
	ASSERT_NE(NULL, in.other);
	nlh = cv_nl_req(self->nl, CASVIP_CMD_SERVICE_GET, NLM_F_DUMP);
	EXPECT_EQ(-EINTR, cv_nl_talk(self->nl, nlh, interrupt_cb, &in));
	cv_nl_close(in.other);
	/* A dump that runs undisturbed is complete and not flagged. */
	EXPECT_EQ(2001, count_services(self->nl));
}

TEST_F(nl, namespaces_are_isolated)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, add_service(self->nl, "outer", 0x0a000064));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct cv_nl *nl;

		if (unshare(CLONE_NEWNET))
			_exit(100);
		nl = cv_nl_open();
		if (!nl)
			_exit(101);
		if (count_services(nl) != 0)
			_exit(102);
		/* The same name and VIP are free in a new namespace. */
		if (add_service(nl, "outer", 0x0a000064) ||
		    add_service(nl, "inner", 0x0a000065))
			_exit(103);
		if (count_services(nl) != 2)
			_exit(104);
		_exit(0); /* the namespace dies with its services */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, count_services(self->nl));
}

TEST_HARNESS_MAIN
