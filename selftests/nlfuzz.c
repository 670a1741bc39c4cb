// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: throw COUNT messages at the casvip family: half of them valid
 * requests of every command (servers alone or in lists, keep-conns or
 * not) with a few bytes mutated, lengths cut or stretched, the other half
 * random commands with random attributes. Answers are read and counted.
 * Prints how many messages were sent, and how many of those the kernel
 * must answer (all but the ones whose length claims more than was sent)
 * got their answer.
 *
 * usage: nlfuzz COUNT SEED
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl.h"

static uint32_t rnd(void)
{
	return (uint32_t)random();
}

static struct cv_service some_service(void)
{
	struct cv_service s = { .given = CV_VIP | CV_PORTS };

	snprintf(s.name, sizeof(s.name), "f%u", rnd() % 8);
	s.vip.family = AF_INET;
	s.vip.v4.s_addr = htonl(0x0a000000 | (rnd() % 4));
	s.nranges = 1 + rnd() % 2;
	s.ranges[0].first = 1 + rnd() % 200;
	s.ranges[0].last = s.ranges[0].first + rnd() % 3;
	s.ranges[1].first = 1000;
	s.ranges[1].last = 1000 + rnd() % 10;
	if (rnd() % 2) {
		s.sched = rnd() % 6;
		s.given |= CV_SCHED;
	}
	if (rnd() % 2) {
		s.timeout = rnd() % 5;
		s.given |= CV_PERSIST;
	}
	if (rnd() % 4 == 0) {
		s.persist_max = rnd() % 4;
		s.given |= CV_PERSIST_MAX;
	}
	return s;
}

static struct cv_server some_server(void)
{
	struct cv_server v = { .addr.family = AF_INET,
			       .given = CV_WEIGHT | CV_ADMIN | CV_HEALTH };

	v.addr.v4.s_addr = htonl(0x0a000200 | (rnd() % 4));
	v.weight = rnd() % 4;
	v.admin = rnd() % 3;
	v.health = rnd() % 2;
	return v;
}

/* A valid request of a random command. */
static struct nlmsghdr *valid(struct cv_nl *nl)
{
	static const uint8_t cmds[] = {
		CASVIP_CMD_SERVICE_NEW, CASVIP_CMD_SERVICE_SET,
		CASVIP_CMD_SERVICE_DEL, CASVIP_CMD_SERVICE_GET,
		CASVIP_CMD_SERVER_NEW,	CASVIP_CMD_SERVER_SET,
		CASVIP_CMD_SERVER_DEL,	CASVIP_CMD_SERVER_GET,
		CASVIP_CMD_PERSIST_GET, CASVIP_CMD_PERSIST_DEL,
		CASVIP_CMD_PERSIST_NEW, CASVIP_CMD_FLUSH,
	};
	uint8_t cmd = cmds[rnd() % sizeof(cmds)];
	bool dump;
	struct nlmsghdr *nlh;
	struct cv_service s = some_service();
	struct cv_server v = some_server();

	if (cmd == CASVIP_CMD_FLUSH && rnd() % 16)
		cmd = CASVIP_CMD_SERVICE_GET; /* flush, but rarely */
	dump = cmd == CASVIP_CMD_PERSIST_GET ||
		    ((cmd == CASVIP_CMD_SERVICE_GET ||
		      cmd == CASVIP_CMD_SERVER_GET) && rnd() % 2);
	nlh = cv_nl_req(nl, cmd, dump ? NLM_F_DUMP : 0);
	if (cmd == CASVIP_CMD_SERVICE_NEW || cmd == CASVIP_CMD_SERVICE_SET) {
		cv_put_service(nlh, &s);
	} else if (cmd == CASVIP_CMD_SERVICE_DEL) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, CASVIP_A_SERVICE);

		mnl_attr_put_strz(nlh, CASVIP_A_SERVICE_NAME, s.name);
		if (rnd() % 2)
			mnl_attr_put(nlh, CASVIP_A_SERVICE_KEEP_CONNS, 0, NULL);
		mnl_attr_nest_end(nlh, nest);
	} else if (cmd != CASVIP_CMD_FLUSH) {
		cv_put_service_name(nlh, s.name);
	}
	if (rnd() % 8 == 0)
		v.given |= CV_KEEP_CONNS;
	if ((cmd == CASVIP_CMD_SERVICE_NEW ||
	     (cmd >= CASVIP_CMD_SERVER_NEW && cmd <= CASVIP_CMD_SERVER_DEL)) &&
	    rnd() % 2) {
		/* A list of servers, some maybe twice. */
		struct cv_server list[4];
		size_t n = rnd() % 5;

		for (size_t i = 0; i < n; i++)
			list[i] = some_server();
		cv_put_servers(nlh, list, n);
	} else if (cmd >= CASVIP_CMD_SERVER_NEW && cmd <= CASVIP_CMD_SERVER_GET) {
		cv_put_server(nlh, &v);
	}
	if (cmd == CASVIP_CMD_PERSIST_NEW || cmd == CASVIP_CMD_PERSIST_DEL) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, CASVIP_A_PERSIST);
		uint32_t c = htonl(0x0b000000 | (rnd() % 64));

		mnl_attr_put(nlh, CASVIP_A_PERSIST_CLIENT, 4, &c);
		mnl_attr_put(nlh, CASVIP_A_PERSIST_SERVER, 4, &v.addr.v4);
		mnl_attr_nest_end(nlh, nest);
	}
	return nlh;
}

/* Random attributes, nested at random, after a random command. */
static struct nlmsghdr *random_msg(struct cv_nl *nl)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, (uint8_t)(rnd() % 20),
					 rnd() % 4 ? 0 : NLM_F_DUMP);
	int n = rnd() % 6;

	for (int i = 0; i < n; i++) {
		uint8_t junk[64];
		size_t len = rnd() % sizeof(junk);

		for (size_t j = 0; j < len; j++)
			junk[j] = (uint8_t)rnd();
		if (rnd() % 2) {
			struct nlattr *nest =
				mnl_attr_nest_start(nlh, (uint16_t)(rnd() % 5));

			mnl_attr_put(nlh, (uint16_t)(rnd() % 18), len, junk);
			mnl_attr_nest_end(nlh, nest);
		} else {
			mnl_attr_put(nlh, (uint16_t)(rnd() % 5), len, junk);
		}
	}
	return nlh;
}

/*
 * Count the answers in @buf: acks, errors and other messages, and in
 * @answered the requests (by sequence number) that got their last answer,
 * an ack or error or the end of a dump.
 */
static void tally(const char *buf, ssize_t r, long count, long *answers,
		  uint8_t *answered)
{
	const struct nlmsghdr *a = (const void *)buf;
	int left = (int)r;

	for (; mnl_nlmsg_ok(a, left); a = mnl_nlmsg_next(a, &left)) {
		if (a->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(a);

			answers[e->error ? 1 : 0]++;
		} else {
			answers[2]++;
			if (a->nlmsg_type != NLMSG_DONE)
				continue;
		}
		if (a->nlmsg_seq < count)
			answered[a->nlmsg_seq / 8] |= 1 << a->nlmsg_seq % 8;
	}
}

int main(int argc, char **argv)
{
	long count, sent = 0, expected = 0, nanswered = 0, answers[4] = { 0 };
	uint8_t *answered, *expect;
	struct cv_nl *nl;
	char buf[65536];
	ssize_t r;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: nlfuzz COUNT SEED\n");
		return 2;
	}
	count = atol(argv[1]);
	srandom((unsigned int)atol(argv[2]));
	answered = calloc(count / 8 + 1, 1);
	expect = calloc(count / 8 + 1, 1);
	nl = cv_nl_open();
	if (!nl || !answered || !expect)
		return 1;
	fd = mnl_socket_get_fd(cv_nl_socket(nl));
	for (long i = 0; i < count; i++) {
		struct nlmsghdr *nlh = rnd() % 2 ? valid(nl) : random_msg(nl);
		size_t len = nlh->nlmsg_len;

		/* Mutate a few bytes past the generic netlink header. */
		for (int k = rnd() % 4; k > 0 && len > 20; k--)
			((uint8_t *)nlh)[20 + rnd() % (len - 20)] = (uint8_t)rnd();
		if (rnd() % 8 == 0 && len > 20) /* cut short, or claim more */
			nlh->nlmsg_len = 16 + rnd() % (len + 16);
		nlh->nlmsg_seq = (uint32_t)i;
		if (mnl_socket_sendto(cv_nl_socket(nl), nlh, len) < 0) {
			answers[3]++;
		} else {
			sent++;
			/*
			 * The kernel answers every request whose length fits
			 * what was sent (NLM_F_ACK is set), and drops in
			 * silence one that claims more than that.
			 */
			if (nlh->nlmsg_len >= sizeof(*nlh) &&
			    nlh->nlmsg_len <= len) {
				expect[i / 8] |= 1 << i % 8;
				expected++;
			}
		}
		/* Read what came back, without waiting for it. */
		while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			tally(buf, r, count, answers, answered);
	}
	/* What is still on its way: until a second passes in silence. */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0 ||
		    (r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) <= 0)
			break;
		tally(buf, r, count, answers, answered);
	}
	for (long i = 0; i < count; i++)
		nanswered += (expect[i / 8] & answered[i / 8] & 1 << i % 8) != 0;
	printf("sent %ld of %ld, answered %ld of the %ld that fit: acks %ld, errors %ld, data %ld, send failures %ld\n",
	       sent, count, nanswered, expected, answers[0], answers[1],
	       answers[2], answers[3]);
	cv_nl_close(nl);
	free(answered);
	free(expect);
	return 0;
}
