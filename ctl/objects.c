// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: the service and server commands.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netfilter/nfnetlink_compat.h>

#include "check.h"
#include "cmd.h"
#include "config.h"
#include "nl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void service_usage(FILE *f)
{
	fputs("Usage: casvipctl service add NAME vip ADDR ports PORTS [proto tcp|udp]\n"
	      "                              [sched rr|wrr|lc|wlc|sh|mh] [persist SECONDS]\n"
	      "                              [netmask PREFIXLEN] [snat off|masquerade|ADDR]\n"
	      "                              [persist-max ENTRIES|auto] [alldown open|closed]\n"
	      "                              [follow exchange|none|IFACE,...]\n"
	      "                              [follow-max N|auto]\n"
	      "       casvipctl service set NAME [the keywords of add]\n"
	      "       casvipctl service del NAME [keep-conns]\n"
	      "       casvipctl service show [NAME]\n"
	      "\n"
	      "Defaults: proto tcp, sched mh, persist 3600, netmask the whole address,\n"
	      "snat off, persist-max auto (net.netfilter.nf_conntrack_max), alldown\n"
	      "open (every server down: new clients go to the enabled ones anyway),\n"
	      "follow none. With follow, a client that asks the endpoint mapper\n"
	      "(port 135) where one of the interfaces listens reaches that port on\n"
	      "the VIP, on the server whose mapper answered: exchange is emsmdb,\n"
	      "asyncemsmdb, nspi and rfr; an IFACE is one of those or UUID:MAJOR.MINOR.\n"
	      "follow-max: the ports the answers hold open for their clients at once\n"
	      "(auto: as many as conntrack's expectation table holds by default).\n"
	      "Deleting a service ends its connections, unless keep-conns. Examples,\n"
	      "an Exchange CAS array with static RPC ports, and one without:\n"
	      "  casvipctl service add outlook vip 10.0.0.100 ports 135,60001-60002\n"
	      "  casvipctl service add outlook vip 10.0.0.100 ports 135 follow exchange\n",
	      f);
}

static void server_usage(FILE *f)
{
	fputs("Usage: casvipctl server add SERVICE ADDR [weight W] [enable|drain|disable]\n"
	      "                                         [primary|backup] [health up|down]\n"
	      "       casvipctl server set SERVICE ADDR [weight W] [enable|drain|disable]\n"
	      "                                         [primary|backup] [health up|down] [keep-conns]\n"
	      "       casvipctl server del SERVICE ADDR [keep-conns]\n"
	      "       casvipctl server show SERVICE [ADDR]\n"
	      "\n"
	      "Defaults: weight 100, enabled. A draining server (or one of weight 0)\n"
	      "keeps its clients and gets no new ones. A server disabled, marked down\n"
	      "or deleted loses its clients and, without keep-conns, its connections.\n"
	      "A server added to a service with checks starts down until they pass,\n"
	      "unless health up is given. A backup server takes new clients only\n"
	      "while no other server can.\n",
	      f);
}

static int arg_error(const char *help, const char *err)
{
	return cv_usage_error(help, "%s", err);
}

/* The name argument of a command, checked. */
static int take_name(int argc, char **argv, char *name, const char *help)
{
	char err[CV_ERRLEN];

	if (!argc)
		return cv_usage_error(help, "a service name is needed%s", "");
	if (cv_parse_name(argv[0], name, err))
		return arg_error(help, err);
	return CV_EXIT_OK;
}

/*
 * The kernel refused @svc's ports: say which port, and which service
 * claims it. False if none is found (then the kernel's words do).
 */
static bool port_claimed(struct cv_nl *nl, const struct cv_service *svc,
			 bool create)
{
	uint8_t proto = svc->given & CV_PROTO ? svc->proto : IPPROTO_TCP;
	char a[INET6_ADDRSTRLEN];
	struct cv_service *svcs;
	unsigned int port;
	bool found = false;
	size_t n;

	if (cv_dump_services(nl, &svcs, &n))
		return false;
	for (size_t i = 0; !found && i < n; i++) {
		const struct cv_service *o = &svcs[i];

		if (strcmp(o->name, svc->name) && o->proto == proto &&
		    cv_addr_eq(&o->vip, &svc->vip) &&
		    cv_ranges_overlap(svc, o, &port)) {
			fprintf(stderr,
				"Error: cannot %s service \"%s\": %s port %u of %s is claimed by service \"%s\"\n",
				create ? "add" : "change", svc->name,
				cv_proto_name(proto), port,
				cv_format_addr(&svc->vip, a, sizeof(a)),
				o->name);
			found = true;
		}
	}
	cv_free_services(svcs, n);
	return found;
}

static int service_change(struct cv_nl *nl, int argc, char **argv,
			  bool create)
{
	const char *help = "service help";
	struct cv_service svc = { 0 };
	char err[CV_ERRLEN];
	struct nlmsghdr *nlh;
	int ret;

	ret = take_name(argc, argv, svc.name, help);
	if (ret)
		return ret;
	if (cv_parse_service_args(argc - 1, argv + 1, &svc, err))
		return arg_error(help, err);
	if (create && (~svc.given & (CV_VIP | CV_PORTS)))
		return cv_usage_error(help,
				      "service add needs a vip and ports%s",
				      "");
	if (!create && (svc.given & (CV_VIP | CV_PROTO | CV_PORTS)) &&
	    (~svc.given & (CV_VIP | CV_PROTO | CV_PORTS))) {
		/* The kernel takes VIP, protocol and ports together. */
		struct cv_service cur;

		ret = cv_get_service(nl, svc.name, &cur);
		if (ret)
			return cv_report(nl, ret, "cannot change service",
					 svc.name);
		if (!(svc.given & CV_VIP))
			svc.vip = cur.vip;
		if (!(svc.given & CV_PROTO))
			svc.proto = cur.proto;
		if (!(svc.given & CV_PORTS)) {
			svc.nranges = cur.nranges;
			memcpy(svc.ranges, cur.ranges, sizeof(svc.ranges));
		}
		cv_service_clear(&cur);
		svc.given |= CV_VIP | CV_PROTO | CV_PORTS;
	}
	nlh = cv_nl_req(nl, create ? CASVIP_CMD_SERVICE_NEW :
				     CASVIP_CMD_SERVICE_SET,
			0);
	cv_put_service(nlh, &svc);
	ret = cv_nl_talk(nl, nlh, NULL, NULL);
	if (ret == -EEXIST && strstr(cv_nl_errmsg(nl), "claimed") &&
	    port_claimed(nl, &svc, create))
		return CV_EXIT_FAIL;
	return cv_report(nl, ret,
			 create ? "cannot add service" : "cannot change service",
			 svc.name);
}

static int service_add(struct cv_nl *nl, int argc, char **argv)
{
	return service_change(nl, argc, argv, true);
}

static int service_set(struct cv_nl *nl, int argc, char **argv)
{
	return service_change(nl, argc, argv, false);
}

static int service_del(struct cv_nl *nl, int argc, char **argv)
{
	char name[CASVIP_NAME_MAX];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	bool keep;
	int ret;

	ret = take_name(argc, argv, name, "service help");
	if (ret)
		return ret;
	keep = argc > 1 && !strcmp(argv[1], "keep-conns");
	if (argc > 1 + keep)
		return cv_usage_error("service help",
				      "unexpected argument \"%s\"",
				      argv[1 + keep]);
	nlh = cv_nl_req(nl, CASVIP_CMD_SERVICE_DEL, 0);
	nest = mnl_attr_nest_start(nlh, CASVIP_A_SERVICE);
	mnl_attr_put_strz(nlh, CASVIP_A_SERVICE_NAME, name);
	if (keep)
		mnl_attr_put(nlh, CASVIP_A_SERVICE_KEEP_CONNS, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
	return cv_report(nl, cv_nl_talk(nl, nlh, NULL, NULL),
			 "cannot delete service", name);
}

static int service_show(struct cv_nl *nl, int argc, char **argv)
{
	char name[CASVIP_NAME_MAX];
	int ret;

	if (!argc)
		return cv_show(nl, NULL, false);
	ret = take_name(argc, argv, name, "service help");
	if (ret)
		return ret;
	if (argc > 1)
		return cv_usage_error("service help",
				      "unexpected argument \"%s\"", argv[1]);
	return cv_show(nl, name, false);
}

/* Run the sub-command of @cmds named by argv[0]. */
static int dispatch(const struct cv_cmd *cmds, size_t n, int argc,
		    char **argv, const char *object, void (*usage)(FILE *))
{
	const struct cv_cmd *cmd;
	char help[32];

	snprintf(help, sizeof(help), "%s help", object);
	if (!argc) {
		usage(stderr);
		return CV_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help")) {
		usage(stdout);
		return CV_EXIT_OK;
	}
	cmd = cv_find_cmd(cmds, n, argv[0]);
	if (!cmd)
		return cv_usage_error(help, "unknown command \"%s\"", argv[0]);
	return cv_run(cmd, argc - 1, argv + 1);
}

static void check_usage(FILE *f)
{
	fputs("Usage: casvipctl check add SERVICE TYPE ARG [interval S] [timeout S]\n"
	      "                             [rise N] [fall N] [unforwarded]\n"
	      "       casvipctl check add SERVICE none\n"
	      "       casvipctl check del SERVICE TYPE ARG | none\n"
	      "\n"
	      "TYPE ARG: tcp PORT | rpc IFACE@PORT | epm IFACE=PORT[,IFACE=PORT...] |\n"
	      "          http|https PORT/PATH [status CODE] [host NAME] [verify]\n"
	      "casvip-healthd runs each check of a service against every server of\n"
	      "it; \"none\" says that a service without checks is meant so. Defaults:\n"
	      "interval 5, timeout 3, rise 2, fall 3.\n",
	      f);
}

static int check_change(struct cv_nl *nl, int argc, char **argv, bool add)
{
	struct cv_service svc = { 0 }, arg = { 0 };
	char *words[16], err[1024];
	int ret, n = 0;
	size_t i;

	ret = take_name(argc, argv, svc.name, "check help");
	if (ret)
		return ret;
	if (argc < 2 || argc > (int)ARRAY_SIZE(words))
		return cv_usage_error("check help", "%s",
				      argc < 2 ? "a check needs a type" :
						 "too many arguments");
	words[n++] = "check";
	for (int k = 1; k < argc; k++)
		words[n++] = argv[k];
	if (cv_add_check(&arg, n, words, 0, err))
		return arg_error("check help", err);
	ret = cv_get_service(nl, svc.name, &svc);
	if (ret)
		return cv_report(nl, ret, "cannot change the checks of",
				 svc.name);
	ret = cv_service_checks(&svc, err);
	for (i = 0; !ret && arg.nchecks && i < svc.nchecks; i++)
		if (check_same(&svc.checks[i].c, &arg.checks[0].c))
			break;
	if (ret) {
		fprintf(stderr, "Error: %s\n", err);
	} else if (add && (arg.unchecked ? svc.unchecked : i < svc.nchecks)) {
		fprintf(stderr, "Error: service \"%s\" has that check already\n",
			svc.name);
		ret = -1;
	} else if (!add && (arg.unchecked ? !svc.unchecked : i == svc.nchecks)) {
		fprintf(stderr, "Error: service \"%s\" has no such check\n",
			svc.name);
		ret = -1;
	} else if (add && arg.unchecked && svc.nchecks) {
		fprintf(stderr,
			"Error: service \"%s\" has checks: \"none\" would contradict them\n",
			svc.name);
		ret = -1;
	} else if (add && !arg.unchecked &&
		   cv_check_lint(&svc, &arg.checks[0], err, sizeof(err))) {
		fprintf(stderr, "Error: %s\n", err);
		ret = -1;
	} else if (arg.unchecked) {
		svc.unchecked = add;
	} else if (add) {
		/* A check, and none is meant no more. */
		svc.unchecked = false;
		ret = cv_add_check(&svc, n, words, 0, err);
	} else {
		memmove(&svc.checks[i], &svc.checks[i + 1],
			(svc.nchecks - i - 1) * sizeof(svc.checks[0]));
		svc.nchecks--;
	}
	if (!ret && cv_service_udata(&svc, err)) {
		fprintf(stderr, "Error: %s\n", err);
		ret = -1;
	}
	if (!ret) {
		struct nlmsghdr *nlh = cv_nl_req(nl, CASVIP_CMD_SERVICE_SET, 0);

		svc.given = CV_CHECKS;
		cv_put_service(nlh, &svc);
		ret = cv_report(nl, cv_nl_talk(nl, nlh, NULL, NULL),
				"cannot change the checks of", svc.name);
	} else {
		ret = CV_EXIT_FAIL;
	}
	cv_service_clear(&svc);
	cv_service_clear(&arg);
	return ret;
}

static int check_add(struct cv_nl *nl, int argc, char **argv)
{
	return check_change(nl, argc, argv, true);
}

static int check_del(struct cv_nl *nl, int argc, char **argv)
{
	return check_change(nl, argc, argv, false);
}

int cv_cmd_check(struct cv_nl *nl, int argc, char **argv)
{
	static const struct cv_cmd cmds[] = {
		{ "add", check_add, CV_NL | CV_CHANGES },
		{ "del", check_del, CV_NL | CV_CHANGES },
		{ "delete", check_del, CV_NL | CV_CHANGES },
	};

	(void)nl;
	return dispatch(cmds, ARRAY_SIZE(cmds), argc, argv, "check",
			check_usage);
}

int cv_cmd_service(struct cv_nl *nl, int argc, char **argv)
{
	static const struct cv_cmd cmds[] = {
		{ "add", service_add, CV_NL | CV_CHANGES | CV_VIPS },
		{ "set", service_set, CV_NL | CV_CHANGES | CV_VIPS },
		{ "change", service_set, CV_NL | CV_CHANGES | CV_VIPS },
		{ "del", service_del, CV_NL | CV_CHANGES | CV_VIPS },
		{ "delete", service_del, CV_NL | CV_CHANGES | CV_VIPS },
		{ "show", service_show, CV_NL | CV_RATE },
		{ "list", service_show, CV_NL | CV_RATE },
	};

	(void)nl;
	return dispatch(cmds, ARRAY_SIZE(cmds), argc, argv, "service",
			service_usage);
}

/* SERVICE ADDR at the head of a server command. */
static int take_server(int argc, char **argv, char *name,
		       struct cv_server *srv)
{
	char err[CV_ERRLEN];
	int ret;

	ret = take_name(argc, argv, name, "server help");
	if (ret)
		return ret;
	if (argc < 2)
		return cv_usage_error("server help",
				      "a server address is needed%s", "");
	if (cv_parse_addr(argv[1], &srv->addr, err))
		return arg_error("server help", err);
	return CV_EXIT_OK;
}

/* A server for a service with checks starts down: see config.h. */
static void server_unchecked(struct cv_nl *nl, const char *name,
				struct cv_server *srv)
{
	struct cv_service svc;
	char err[CV_ERRLEN];

	if (cv_get_service(nl, name, &svc))
		return;
	if (!cv_service_checks(&svc, err) && svc.nchecks)
		cv_server_starts_down(srv);
	cv_service_clear(&svc);
}

static int server_change(struct cv_nl *nl, int argc, char **argv, uint8_t cmd)
{
	char name[CASVIP_NAME_MAX], err[CV_ERRLEN];
	struct cv_server srv = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	ret = take_server(argc, argv, name, &srv);
	if (ret)
		return ret;
	if (cmd == CASVIP_CMD_SERVER_DEL) {
		if (argc > 2 && !strcmp(argv[2], "keep-conns"))
			srv.given |= CV_KEEP_CONNS;
		if (argc > 2 + !!(srv.given & CV_KEEP_CONNS))
			return cv_usage_error("server help",
					      "unexpected argument \"%s\"",
					      argv[argc - 1]);
	} else if (cv_parse_server_args(argc - 2, argv + 2, &srv,
					cmd == CASVIP_CMD_SERVER_SET, err)) {
		return arg_error("server help", err);
	}
	if (cmd == CASVIP_CMD_SERVER_NEW && !(srv.given & CV_HEALTH))
		server_unchecked(nl, name, &srv);
	nlh = cv_nl_req(nl, cmd, 0);
	cv_put_service_name(nlh, name);
	cv_put_server(nlh, &srv);
	ret = cv_nl_talk(nl, nlh, NULL, NULL);
	return cv_report(nl, ret,
			 cmd == CASVIP_CMD_SERVER_NEW ? "cannot add a server to" :
			 cmd == CASVIP_CMD_SERVER_SET ?
							"cannot change a server of" :
							"cannot delete a server of",
			 name);
}

static int server_add(struct cv_nl *nl, int argc, char **argv)
{
	return server_change(nl, argc, argv, CASVIP_CMD_SERVER_NEW);
}

static int server_set(struct cv_nl *nl, int argc, char **argv)
{
	return server_change(nl, argc, argv, CASVIP_CMD_SERVER_SET);
}

static int server_del(struct cv_nl *nl, int argc, char **argv)
{
	return server_change(nl, argc, argv, CASVIP_CMD_SERVER_DEL);
}

static int server_show(struct cv_nl *nl, int argc, char **argv)
{
	struct cv_service svc = { 0 };
	struct cv_server srv = { 0 };
	char err[CV_ERRLEN];
	int ret;

	ret = argc > 1 ? take_server(argc, argv, svc.name, &srv) :
			 take_name(argc, argv, svc.name, "server help");
	if (ret)
		return ret;
	if (argc > 2)
		return cv_usage_error("server help",
				      "unexpected argument \"%s\"", argv[2]);
	ret = cv_get_service(nl, svc.name, &svc);
	if (!ret)
		ret = cv_dump_servers(nl, &svc);
	if (ret)
		return cv_report(nl, ret, "cannot list the servers of",
				 svc.name);
	/* Their checks say how old a health result may be. */
	if (cv_service_checks(&svc, err))
		fprintf(stderr, "Warning: %s\n", err);
	if (argc > 1) {
		size_t i;

		for (i = 0; i < svc.nsrv; i++)
			if (cv_addr_eq(&svc.servers[i].addr, &srv.addr))
				break;
		if (i == svc.nsrv) {
			fprintf(stderr,
				"Error: service \"%s\" has no server %s\n",
				svc.name, argv[1]);
			cv_service_clear(&svc);
			return CV_EXIT_FAIL;
		}
		svc.servers[0] = svc.servers[i];
		svc.nsrv = 1;
	}
	cv_print_servers(&svc);
	cv_service_clear(&svc);
	return CV_EXIT_OK;
}

int cv_cmd_server(struct cv_nl *nl, int argc, char **argv)
{
	static const struct cv_cmd cmds[] = {
		{ "add", server_add, CV_NL | CV_CHANGES },
		{ "set", server_set, CV_NL | CV_CHANGES },
		{ "change", server_set, CV_NL | CV_CHANGES },
		{ "del", server_del, CV_NL | CV_CHANGES },
		{ "delete", server_del, CV_NL | CV_CHANGES },
		{ "show", server_show, CV_NL },
		{ "list", server_show, CV_NL },
	};

	(void)nl;
	return dispatch(cmds, ARRAY_SIZE(cmds), argc, argv, "server",
			server_usage);
}

static void persist_usage(FILE *f)
{
	fputs("Usage: casvipctl persist show [SERVICE] [client ADDR]\n"
	      "       casvipctl persist add SERVICE client ADDR server ADDR\n"
	      "       casvipctl persist del SERVICE [client ADDR]\n"
	      "       casvipctl persist learn [--follow]\n"
	      "\n"
	      "Persistence entries: which server each client (its address under the\n"
	      "service's netmask) goes to, its live connections, and, once it has\n"
	      "none, the seconds until the entry expires. add pins a client to a\n"
	      "server (it expires like any entry without connections). del makes the\n"
	      "client's next connection choose a server anew; connections are left\n"
	      "alone. learn binds the client of every connection in the conntrack\n"
	      "table (conntrackd's, on the standby of a pair) to its server, as if\n"
	      "it had come through here; --follow goes on learning as connections\n"
	      "come, until stopped.\n",
	      f);
}

/* [SERVICE] [client ADDR] of a persist command. */
static int persist_args(int argc, char **argv, char *name,
			struct cv_addr *client, bool need_service)
{
	char err[CV_ERRLEN];
	int ret;

	name[0] = '\0';
	client->family = 0;
	if (argc && strcmp(argv[0], "client")) {
		ret = take_name(argc, argv, name, "persist help");
		if (ret)
			return ret;
		argc--;
		argv++;
	} else if (need_service) {
		return cv_usage_error("persist help",
				      "a service name is needed%s", "");
	}
	if (!argc)
		return CV_EXIT_OK;
	if (strcmp(argv[0], "client"))
		return cv_usage_error("persist help",
				      "unexpected argument \"%s\"", argv[0]);
	if (argc < 2)
		return cv_usage_error("persist help",
				      "\"client\" needs an address%s", "");
	if (argc > 2)
		return cv_usage_error("persist help",
				      "unexpected argument \"%s\"", argv[2]);
	if (cv_parse_addr(argv[1], client, err))
		return arg_error("persist help", err);
	return CV_EXIT_OK;
}

static int persist_show(struct cv_nl *nl, int argc, char **argv)
{
	char name[CASVIP_NAME_MAX];
	struct cv_service *svcs;
	struct cv_addr client;
	size_t n;
	int ret;

	ret = persist_args(argc, argv, name, &client, false);
	if (ret)
		return ret;
	ret = cv_get_services(nl, name[0] ? name : NULL, &svcs, &n);
	if (ret)
		return cv_report(nl, ret, "cannot show persistence of",
				 name[0] ? name : "*");
	ret = cv_print_persist(nl, svcs, n, client.family ? &client : NULL);
	cv_free_services(svcs, n);
	return ret;
}

static void put_persist(struct nlmsghdr *nlh, const struct cv_addr *client,
			const struct cv_addr *server)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, CASVIP_A_PERSIST);

	if (client)
		mnl_attr_put(nlh, CASVIP_A_PERSIST_CLIENT,
			     client->family == AF_INET ? 4 : 16, client->bytes);
	if (server)
		mnl_attr_put(nlh, CASVIP_A_PERSIST_SERVER,
			     server->family == AF_INET ? 4 : 16, server->bytes);
	mnl_attr_nest_end(nlh, nest);
}

static int persist_add(struct cv_nl *nl, int argc, char **argv)
{
	struct cv_addr server;
	char name[CASVIP_NAME_MAX], err[CV_ERRLEN];
	struct cv_addr client;
	struct nlmsghdr *nlh;
	int ret;

	if (argc != 5 || strcmp(argv[3], "server"))
		return cv_usage_error("persist help",
				      "persist add takes SERVICE client ADDR server ADDR%s",
				      "");
	ret = persist_args(3, argv, name, &client, true);
	if (ret)
		return ret;
	if (cv_parse_addr(argv[4], &server, err))
		return arg_error("persist help", err);
	nlh = cv_nl_req(nl, CASVIP_CMD_PERSIST_NEW, 0);
	cv_put_service_name(nlh, name);
	put_persist(nlh, &client, &server);
	return cv_report(nl, cv_nl_talk(nl, nlh, NULL, NULL),
			 "cannot pin a client of", name);
}

static int persist_del(struct cv_nl *nl, int argc, char **argv)
{
	char name[CASVIP_NAME_MAX];
	struct cv_addr client;
	struct nlmsghdr *nlh;
	int ret;

	ret = persist_args(argc, argv, name, &client, true);
	if (ret)
		return ret;
	nlh = cv_nl_req(nl, CASVIP_CMD_PERSIST_DEL, 0);
	cv_put_service_name(nlh, name);
	if (client.family)
		put_persist(nlh, &client, NULL);
	return cv_report(nl, cv_nl_talk(nl, nlh, NULL, NULL),
			 "cannot forget clients of", name);
}

static int learned_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CASVIP_A_LEARNED &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*(uint32_t *)data = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

/* Learn from the conntrack table; 0, or a negative errno. */
static int learn(struct cv_nl *nl, uint32_t *learned)
{
	return cv_nl_talk(nl, cv_nl_req(nl, CASVIP_CMD_PERSIST_LEARN, 0),
			  learned_cb, learned);
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Learn again whenever conntrack makes a connection (conntrackd's, on a
 * standby), at most every LEARN_WAIT_MS, and every LEARN_EVERY_MS anyway.
 */
#define LEARN_WAIT_MS 200
#define LEARN_EVERY_MS 5000

static int learn_follow(struct cv_nl *nl)
{
	struct mnl_socket *ct = mnl_socket_open(NETLINK_NETFILTER);
	char buf[MNL_SOCKET_BUFFER_SIZE];
	long due = 0;

	if (!ct || mnl_socket_bind(ct, NF_NETLINK_CONNTRACK_NEW,
				   MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr,
			"Error: cannot follow conntrack's new connections: %s\n",
			strerror(errno));
		if (ct)
			mnl_socket_close(ct);
		return CV_EXIT_FAIL;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	cv_log_change("persist learn --follow: learning clients as their connections come");
	while (!stop) {
		struct pollfd p = { .fd = mnl_socket_get_fd(ct),
				    .events = POLLIN };
		long now = cv_now_ms(), wait;
		uint32_t n = 0;
		int ret;

		if (now >= due) {
			ret = learn(nl, &n);
			if (ret)
				return cv_report(nl, ret, "cannot learn clients of",
						 "*");
			due = now + LEARN_EVERY_MS;
		}
		wait = due - cv_now_ms();
		if (poll(&p, 1, wait > 0 ? (int)wait : 0) <= 0)
			continue;
		/* What came matters not, only that something did. */
		while (recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
		       errno == ENOBUFS)
			;
		if (due > cv_now_ms() + LEARN_WAIT_MS)
			due = cv_now_ms() + LEARN_WAIT_MS;
	}
	mnl_socket_close(ct);
	return CV_EXIT_OK;
}

static int persist_learn(struct cv_nl *nl, int argc, char **argv)
{
	uint32_t n = 0;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "--follow"))
		return learn_follow(nl);
	if (argc)
		return cv_usage_error("persist help",
				      "unexpected argument \"%s\"", argv[0]);
	ret = learn(nl, &n);
	if (ret)
		return cv_report(nl, ret, "cannot learn clients of", "*");
	cv_log_change("persist learn: %" PRIu32 " connection%s learned", n,
		      n == 1 ? "" : "s");
	if (cv_opts.json)
		printf("{\"learned\":%" PRIu32 "}\n", n);
	else
		printf("learned %" PRIu32 " connection%s\n", n,
		       n == 1 ? "" : "s");
	return CV_EXIT_OK;
}

int cv_cmd_persist(struct cv_nl *nl, int argc, char **argv)
{
	static const struct cv_cmd cmds[] = {
		{ "show", persist_show, CV_NL },
		{ "list", persist_show, CV_NL },
		{ "add", persist_add, CV_NL | CV_CHANGES },
		{ "del", persist_del, CV_NL | CV_CHANGES },
		{ "delete", persist_del, CV_NL | CV_CHANGES },
		{ "learn", persist_learn, CV_NL },
	};

	(void)nl;
	return dispatch(cmds, ARRAY_SIZE(cmds), argc, argv, "persist",
			persist_usage);
}
