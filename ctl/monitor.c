// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl monitor: print the kernel's events as they happen, as
 * "ip monitor" and "nft monitor" do; with -j, one JSON object a line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>

#include "cmd.h"
#include "config.h"
#include "json.h"
#include "nl.h"

/* The event names, by command. */
static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case CASVIP_CMD_SERVICE_NEW:
	case CASVIP_CMD_SERVER_NEW:
		return "add";
	case CASVIP_CMD_SERVICE_SET:
	case CASVIP_CMD_SERVER_SET:
		return "set";
	case CASVIP_CMD_SERVICE_DEL:
	case CASVIP_CMD_SERVER_DEL:
		return "del";
	case CASVIP_CMD_HEALTH:
		return "health";
	case CASVIP_CMD_DRAINED:
		return "drained";
	case CASVIP_CMD_SERVICE_STATE:
		return "state";
	case CASVIP_CMD_PERSIST_FULL:
		return "persist-full";
	case CASVIP_CMD_FLUSH:
		return "flush";
	}
	return NULL;
}

static bool of_service(uint8_t cmd)
{
	return cmd == CASVIP_CMD_SERVICE_NEW || cmd == CASVIP_CMD_SERVICE_SET ||
	       cmd == CASVIP_CMD_SERVICE_DEL ||
	       cmd == CASVIP_CMD_SERVICE_STATE ||
	       cmd == CASVIP_CMD_PERSIST_FULL;
}

/* UTC, to the millisecond: 2026-11-30T09:30:00.123Z. */
static void now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void json_service_event(struct jw *w, uint8_t cmd,
			       const struct cv_service *svc)
{
	char a[INET6_ADDRSTRLEN], ports[CV_PORTS_STRLEN];

	jw_str(w, "service", svc->name);
	if (cmd == CASVIP_CMD_SERVICE_DEL)
		return;
	if (cmd == CASVIP_CMD_SERVICE_STATE) {
		jw_str(w, "state", cv_service_state(svc));
		jw_u64(w, "num_eligible", svc->neligible);
		return;
	}
	if (cmd == CASVIP_CMD_PERSIST_FULL) {
		jw_u64(w, "persist_entries", svc->npersist);
		jw_u64(w, "persist_limit", svc->persist_limit);
		return;
	}
	cv_format_ports(svc, ports, sizeof(ports));
	jw_str(w, "vip", cv_format_addr(&svc->vip, a, sizeof(a)));
	jw_str(w, "proto", cv_proto_name(svc->proto));
	jw_str(w, "ports", ports);
	jw_str(w, "sched", cv_sched_name(svc->sched));
	jw_u64(w, "persist", svc->timeout);
}

static void json_server_event(struct jw *w, uint8_t cmd, const char *service,
			      const struct cv_server *srv)
{
	char a[INET6_ADDRSTRLEN];

	jw_str(w, "service", service);
	jw_str(w, "server", cv_format_addr(&srv->addr, a, sizeof(a)));
	if (cmd == CASVIP_CMD_SERVER_DEL || cmd == CASVIP_CMD_DRAINED)
		return;
	jw_str(w, "health", cv_health_name(srv->health));
	jw_str(w, "reason", srv->reason);
	if (cmd == CASVIP_CMD_HEALTH)
		return;
	jw_u64(w, "weight", srv->weight);
	jw_str(w, "admin", cv_admin_name(srv->admin));
	jw_bool(w, "backup", srv->backup);
}

static void text_service_event(uint8_t cmd, const struct cv_service *svc)
{
	switch (cmd) {
	case CASVIP_CMD_SERVICE_STATE:
		printf("state %s %s (%u eligible)\n", svc->name,
		       cv_service_state(svc), svc->neligible);
		return;
	case CASVIP_CMD_PERSIST_FULL:
		printf("persist-full %s %u of %u entries\n", svc->name,
		       svc->npersist, svc->persist_limit);
		return;
	case CASVIP_CMD_SERVICE_DEL:
		printf("service del %s\n", svc->name);
		return;
	}
	printf("service %s %s", event_name(cmd), svc->name);
	cv_format_service(stdout, svc, svc->given);
	printf("\n");
}

static void text_server_event(uint8_t cmd, const char *service,
			      const struct cv_server *srv)
{
	char a[INET6_ADDRSTRLEN];

	cv_format_addr(&srv->addr, a, sizeof(a));
	switch (cmd) {
	case CASVIP_CMD_HEALTH:
		printf("health %s %s %s", service, a,
		       cv_health_name(srv->health));
		if (srv->reason[0]) {
			printf(" ");
			cv_print_quoted(stdout, srv->reason);
		}
		printf("\n");
		return;
	case CASVIP_CMD_DRAINED:
		printf("drained %s %s\n", service, a);
		return;
	case CASVIP_CMD_SERVER_DEL:
		printf("server del %s %s\n", service, a);
		return;
	}
	printf("server %s %s %s", event_name(cmd), service, a);
	cv_format_server(stdout, srv,
			 CV_WEIGHT | CV_ADMIN | CV_BACKUP | CV_HEALTH);
	printf("\n");
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	uint16_t family = *(const uint16_t *)data;
	struct cv_service svc;
	struct cv_server srv;
	char when[40];

	if (nlh->nlmsg_type != family ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)) || !event_name(g->cmd))
		return MNL_CB_OK;
	/* Every event names its service, if it has one. */
	cv_parse_service(nlh, &svc);
	if (!of_service(g->cmd) && g->cmd != CASVIP_CMD_FLUSH)
		cv_parse_server(nlh, &srv);
	now(when, sizeof(when));
	if (cv_opts.json) {
		struct jw w = { .f = stdout };

		jw_begin(&w, NULL, '{');
		jw_str(&w, "time", when);
		jw_str(&w, "object",
		       g->cmd == CASVIP_CMD_FLUSH ? "all" :
		       of_service(g->cmd)	  ? "service" :
						    "server");
		jw_str(&w, "event", event_name(g->cmd));
		if (of_service(g->cmd))
			json_service_event(&w, g->cmd, &svc);
		else if (g->cmd != CASVIP_CMD_FLUSH)
			json_server_event(&w, g->cmd, svc.name, &srv);
		jw_end(&w, '}');
	} else {
		printf("%s ", when);
		if (g->cmd == CASVIP_CMD_FLUSH)
			printf("flush\n");
		else if (of_service(g->cmd))
			text_service_event(g->cmd, &svc);
		else
			text_server_event(g->cmd, svc.name, &srv);
	}
	cv_service_clear(&svc);
	fflush(stdout);
	return MNL_CB_OK;
}

/* Events the kernel could not queue: the reader should look again. */
static void lost(void)
{
	char when[40];

	now(when, sizeof(when));
	if (cv_opts.json) {
		struct jw w = { .f = stdout };

		jw_begin(&w, NULL, '{');
		jw_str(&w, "time", when);
		jw_str(&w, "object", "all");
		jw_str(&w, "event", "lost");
		jw_end(&w, '}');
	} else {
		printf("%s lost: events came faster than they were read; casvipctl show reads the state\n",
		       when);
	}
	fflush(stdout);
}

/* casvipctl monitor: until interrupted, or its output closes. */
int cv_monitor(struct cv_nl *nl, int argc, char **argv)
{
	struct mnl_socket *sock = cv_nl_socket(nl);
	uint16_t family = cv_nl_family(nl);
	uint32_t group = cv_nl_events(nl);
	static char buf[65536];
	int rcvbuf = 4 << 20;

	if (argc)
		return cv_usage_error(
			"help", "monitor takes no argument: \"%s\"", argv[0]);
	if (!group) {
		fprintf(stderr,
			"Error: the loaded casvip module has no \"%s\" group: it is older than this casvipctl, or the kernel cannot keep the group to CAP_NET_ADMIN\n",
			CASVIP_GENL_MCGRP_EVENTS);
		return CV_EXIT_FAIL;
	}
	if (mnl_socket_setsockopt(sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		if (errno == EPERM)
			fprintf(stderr,
				"Error: cannot watch events: permission denied: casvip needs CAP_NET_ADMIN\n");
		else
			fprintf(stderr, "Error: cannot watch events: %s\n",
				strerror(errno));
		return CV_EXIT_FAIL;
	}
	/* Room for the events of a change to thousands of servers. */
	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)))
		setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof(buf));

		if (n < 0 && errno == ENOBUFS) {
			lost();
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "Error: reading events: %s\n",
				strerror(errno));
			return CV_EXIT_FAIL;
		}
		if (mnl_cb_run(buf, n, 0, 0, event_cb, &family) < 0) {
			fprintf(stderr, "Error: a malformed event: %s\n",
				strerror(errno));
			return CV_EXIT_FAIL;
		}
		if (fflush(stdout) || ferror(stdout)) {
			fprintf(stderr, "Error: cannot write the events: %s\n",
				strerror(errno));
			return CV_EXIT_FAIL;
		}
	}
}
