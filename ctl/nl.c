// SPDX-License-Identifier: GPL-2.0
/*
 * casvipctl: the generic netlink client of the casvip family (libmnl).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl.h"

/* Dumps interrupted by concurrent changes are retried this often. */
#define DUMP_TRIES 100

struct cv_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t events; /* multicast group */
	uint32_t seq;
	uint32_t erroff; /* of the attribute the kernel blamed; 0: none */
	char errmsg[256];
	char req[CV_NL_REQ_MAX];
	char resp[65536]; /* the largest part of a dump the kernel sends */
};

struct talk {
	struct cv_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int extack_cb(const struct nlattr *attr, void *data)
{
	struct cv_nl *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(nl->errmsg, sizeof(nl->errmsg), "%s",
			 mnl_attr_get_str(attr));
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		nl->erroff = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

/* An error (or ACK) with the TLVs of the extended ACK at @off. */
static int error_status(struct cv_nl *nl, const struct nlmsghdr *nlh,
			int error, unsigned int off)
{
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, off, extack_cb, nl);
	if (!error)
		return MNL_CB_STOP;
	errno = -error;
	return MNL_CB_ERROR;
}

static int err_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk *t = data;
	unsigned int off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	return error_status(t->nl, nlh, e->error, off);
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int error = 0;

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int)))
		memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(int));
	if (error > 0)
		error = -error;
	return error_status(t->nl, nlh, error, sizeof(int)) == MNL_CB_ERROR ?
		       MNL_CB_ERROR :
		       MNL_CB_STOP;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

/* Does the buffer hold the end of a dump? */
static bool dump_ends(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int n = (int)len;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n))
		if (nlh->nlmsg_type == NLMSG_DONE ||
		    nlh->nlmsg_type == NLMSG_ERROR)
			return true;
	return false;
}

/*
 * libmnl stops at the first message flagged NLM_F_DUMP_INTR: read and drop
 * the rest of the dump, so that the socket is clean for the next request.
 */
static int drain(struct cv_nl *nl, ssize_t n)
{
	while (!dump_ends(nl->resp, n)) {
		n = mnl_socket_recvfrom(nl->sock, nl->resp, sizeof(nl->resp));
		if (n < 0)
			return -errno;
	}
	return -EINTR;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = err_cb,
	[NLMSG_DONE] = done_cb,
};

static struct nlmsghdr *genl_req(struct cv_nl *nl, uint16_t type, uint8_t cmd,
				 uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->req);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = CASVIP_GENL_VERSION;
	return nlh;
}

struct nlmsghdr *cv_nl_req(struct cv_nl *nl, uint8_t cmd, uint16_t flags)
{
	return genl_req(nl, nl->family, cmd, flags);
}

int cv_nl_talk(struct cv_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	       void *data)
{
	struct talk t = { .nl = nl, .cb = cb, .data = data };
	unsigned int portid = mnl_socket_get_portid(nl->sock);
	ssize_t n;
	int ret;

	nl->errmsg[0] = '\0';
	nl->erroff = 0;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, nl->resp, sizeof(nl->resp));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run2(nl->resp, n, nlh->nlmsg_seq, portid, data_cb,
				  &t, ctl_cbs, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	if (ret < 0 && errno == EINTR)
		return drain(nl, n);
	if (ret < 0)
		return errno ? -errno : -EIO;
	return 0;
}

const char *cv_nl_errmsg(const struct cv_nl *nl)
{
	return nl->errmsg;
}

struct mnl_socket *cv_nl_socket(const struct cv_nl *nl)
{
	return nl->sock;
}

uint16_t cv_nl_family(const struct cv_nl *nl)
{
	return nl->family;
}

uint32_t cv_nl_events(const struct cv_nl *nl)
{
	return nl->events;
}

/* The id of the multicast group of events, from its name. */
static void family_groups(const struct nlattr *groups, struct cv_nl *nl)
{
	const struct nlattr *g, *a;

	mnl_attr_for_each_nested(g, groups) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, g) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, CASVIP_GENL_MCGRP_EVENTS))
			nl->events = id;
	}
}

static int family_cb(const struct nlattr *attr, void *data)
{
	struct cv_nl *nl = data;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		nl->family = mnl_attr_get_u16(attr);
	if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS)
		family_groups(attr, nl);
	return MNL_CB_OK;
}

static int family_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_cb, data);
	return MNL_CB_OK;
}

struct cv_nl *cv_nl_open(void)
{
	struct cv_nl *nl = calloc(1, sizeof(*nl));
	struct nlmsghdr *nlh;
	int one = 1, ret;

	if (!nl) {
		perror("casvipctl");
		return NULL;
	}
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "Error: cannot open a netlink socket: %s\n",
			strerror(errno));
		goto err;
	}
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->seq = time(NULL);

	nlh = genl_req(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, CASVIP_GENL_NAME);
	ret = cv_nl_talk(nl, nlh, family_msg_cb, nl);
	if (ret == -ENOENT || (!ret && !nl->family)) {
		fprintf(stderr,
			"Error: the casvip kernel module is not loaded (try: modprobe casvip)\n");
		goto err;
	}
	if (ret) {
		fprintf(stderr, "Error: cannot reach the casvip module: %s\n",
			strerror(-ret));
		goto err;
	}
	return nl;
err:
	cv_nl_close(nl);
	return NULL;
}

void cv_nl_close(struct cv_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type,
		     const struct cv_addr *a)
{
	mnl_attr_put(nlh, type, a->family == AF_INET ? 4 : 16, a->bytes);
}

void cv_put_service_name(struct nlmsghdr *nlh, const char *name)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, CASVIP_A_SERVICE);

	mnl_attr_put_strz(nlh, CASVIP_A_SERVICE_NAME, name);
	mnl_attr_nest_end(nlh, nest);
}

void cv_put_service(struct nlmsghdr *nlh, const struct cv_service *svc)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, CASVIP_A_SERVICE);

	mnl_attr_put_strz(nlh, CASVIP_A_SERVICE_NAME, svc->name);
	if (svc->given & CV_VIP)
		put_addr(nlh, CASVIP_A_SERVICE_VIP, &svc->vip);
	if (svc->given & CV_PROTO)
		mnl_attr_put_u8(nlh, CASVIP_A_SERVICE_PROTO, svc->proto);
	if (svc->given & CV_PORTS)
		mnl_attr_put(nlh, CASVIP_A_SERVICE_PORTS,
			     svc->nranges * sizeof(svc->ranges[0]),
			     svc->ranges);
	if (svc->given & CV_SCHED)
		mnl_attr_put_u8(nlh, CASVIP_A_SERVICE_SCHED, svc->sched);
	if (svc->given & CV_PERSIST)
		mnl_attr_put_u32(nlh, CASVIP_A_SERVICE_PERSIST_TIMEOUT,
				 svc->timeout);
	if (svc->given & CV_NETMASK)
		mnl_attr_put_u8(nlh, CASVIP_A_SERVICE_PERSIST_NETMASK,
				svc->netmask);
	if (svc->given & CV_PERSIST_MAX)
		mnl_attr_put_u32(nlh, CASVIP_A_SERVICE_PERSIST_MAX,
				 svc->persist_max);
	if (svc->given & CV_FOLLOW_MAX)
		mnl_attr_put_u32(nlh, CASVIP_A_SERVICE_FOLLOW_MAX,
				 svc->follow_max);
	if (svc->given & CV_ALLDOWN)
		mnl_attr_put_u8(nlh, CASVIP_A_SERVICE_ALLDOWN, svc->alldown);
	if (svc->given & CV_CHECKS)
		mnl_attr_put(nlh, CASVIP_A_SERVICE_USERDATA, svc->udata_len,
			     svc->udata);
	if (svc->given & CV_FOLLOW)
		mnl_attr_put(nlh, CASVIP_A_SERVICE_FOLLOW,
			     svc->nfollow * sizeof(svc->follow[0]),
			     svc->follow);
	if (svc->given & CV_ANNOUNCED)
		mnl_attr_put(nlh, CASVIP_A_SERVICE_ANNOUNCED,
			     svc->nannounced * sizeof(svc->announced[0]),
			     svc->announced);
	if (svc->given & CV_SNAT) {
		mnl_attr_put_u8(nlh, CASVIP_A_SERVICE_SNAT, svc->snat);
		if (svc->snat == CASVIP_SNAT_ADDR)
			put_addr(nlh, CASVIP_A_SERVICE_SNAT_ADDR,
				 &svc->snat_addr);
	}
	mnl_attr_nest_end(nlh, nest);
}

void cv_put_server(struct nlmsghdr *nlh, const struct cv_server *srv)
{
	cv_put_server_as(nlh, CASVIP_A_SERVER, srv);
}

void cv_put_server_as(struct nlmsghdr *nlh, uint16_t type,
		      const struct cv_server *srv)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	put_addr(nlh, CASVIP_A_SERVER_ADDR, &srv->addr);
	if (srv->given & CV_WEIGHT)
		mnl_attr_put_u32(nlh, CASVIP_A_SERVER_WEIGHT, srv->weight);
	if (srv->given & CV_ADMIN)
		mnl_attr_put_u8(nlh, CASVIP_A_SERVER_ADMIN, srv->admin);
	if (srv->given & CV_BACKUP)
		mnl_attr_put_u8(nlh, CASVIP_A_SERVER_BACKUP, srv->backup);
	if (srv->given & CV_HEALTH)
		mnl_attr_put_u8(nlh, CASVIP_A_SERVER_HEALTH, srv->health);
	if (srv->given & CV_REASON)
		mnl_attr_put_strz(nlh, CASVIP_A_SERVER_HEALTH_REASON,
				  srv->reason);
	if (srv->given & CV_KEEP_CONNS)
		mnl_attr_put(nlh, CASVIP_A_SERVER_KEEP_CONNS, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
}

/* The bytes cv_put_server_as() takes for @srv. */
static size_t server_nest_len(const struct cv_server *srv)
{
	size_t len = MNL_ATTR_HDRLEN + MNL_ALIGN(MNL_ATTR_HDRLEN +
						 (srv->addr.family == AF_INET ?
							  4 : 16));

	if (srv->given & CV_WEIGHT)
		len += MNL_ALIGN(MNL_ATTR_HDRLEN + 4);
	if (srv->given & CV_ADMIN)
		len += MNL_ALIGN(MNL_ATTR_HDRLEN + 1);
	if (srv->given & CV_BACKUP)
		len += MNL_ALIGN(MNL_ATTR_HDRLEN + 1);
	if (srv->given & CV_HEALTH)
		len += MNL_ALIGN(MNL_ATTR_HDRLEN + 1);
	if (srv->given & CV_REASON)
		len += MNL_ALIGN(MNL_ATTR_HDRLEN + strlen(srv->reason) + 1);
	if (srv->given & CV_KEEP_CONNS)
		len += MNL_ATTR_HDRLEN;
	return len;
}

size_t cv_put_servers(struct nlmsghdr *nlh, const struct cv_server *srvs,
		      size_t n)
{
	struct nlattr *nest = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = server_nest_len(&srvs[i]);

		if (nlh->nlmsg_len + len + MNL_ATTR_HDRLEN > CV_NL_REQ_MAX)
			break;
		/* An attribute's length is 16 bits: one nest holds 64 KiB. */
		if (nest && (size_t)((char *)mnl_nlmsg_get_payload_tail(nlh) -
				     (char *)nest) + len > UINT16_MAX) {
			mnl_attr_nest_end(nlh, nest);
			nest = NULL;
		}
		if (!nest)
			nest = mnl_attr_nest_start(nlh, CASVIP_A_SERVERS);
		cv_put_server_as(nlh, CASVIP_A_SERVER, &srvs[i]);
	}
	if (nest)
		mnl_attr_nest_end(nlh, nest);
	return i;
}

/* The server of @srvs whose nest in @nlh holds the byte @off, or NULL. */
static const struct cv_server *server_at(const struct nlmsghdr *nlh,
					 const struct cv_server *srvs,
					 uint32_t off)
{
	const char *base = (const char *)nlh;
	const struct nlattr *a, *e;
	size_t i = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != CASVIP_A_SERVERS)
			continue;
		mnl_attr_for_each_nested(e, a) {
			if (off >= (const char *)e - base &&
			    off < (const char *)e - base + e->nla_len)
				return &srvs[i];
			i++;
		}
	}
	return NULL;
}

int cv_servers_talk(struct cv_nl *nl, uint8_t cmd, const char *name,
		    const struct cv_server *srvs, size_t n)
{
	while (n) {
		struct nlmsghdr *nlh = cv_nl_req(nl, cmd, 0);
		const struct cv_server *bad;
		char a[INET6_ADDRSTRLEN], msg[sizeof(nl->errmsg)];
		size_t k;
		int ret;

		cv_put_service_name(nlh, name);
		k = cv_put_servers(nlh, srvs, n);
		ret = cv_nl_talk(nl, nlh, NULL, NULL);
		if (ret) {
			/* Name the server the kernel blamed. */
			bad = nl->erroff ? server_at(nlh, srvs, nl->erroff) :
					   NULL;
			if (bad) {
				snprintf(msg, sizeof(msg), "server %s: %.200s",
					 cv_format_addr(&bad->addr, a, sizeof(a)),
					 nl->errmsg);
				memcpy(nl->errmsg, msg, sizeof(msg));
			}
			return ret;
		}
		srvs += k;
		n -= k;
	}
	return 0;
}

/* Collect the attributes of a nest into @tb[0..max]. */
struct table {
	const struct nlattr **tb;
	unsigned int max;
};

static int table_cb(const struct nlattr *attr, void *data)
{
	const struct table *t = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static void parse_nest(const struct nlattr *nest, const struct nlattr **tb,
		       unsigned int max)
{
	struct table t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nest)
		mnl_attr_parse_nested(nest, table_cb, &t);
}

static void parse_top(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	struct table t = { tb, CASVIP_A_MAX };

	memset(tb, 0, (CASVIP_A_MAX + 1) * sizeof(*tb));
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), table_cb, &t);
}

static void get_addr(const struct nlattr *attr, struct cv_addr *a)
{
	uint16_t len = attr ? mnl_attr_get_payload_len(attr) : 0;

	memset(a, 0, sizeof(*a));
	if (len == 4 || len == 16) {
		a->family = len == 4 ? AF_INET : AF_INET6;
		memcpy(a->bytes, mnl_attr_get_payload(attr), len);
	}
}

static uint64_t u64_of(const struct nlattr *attr)
{
	return attr && mnl_attr_validate(attr, MNL_TYPE_U64) == 0 ?
		       mnl_attr_get_u64(attr) :
		       0;
}

static uint32_t u32_of(const struct nlattr *attr)
{
	return attr && mnl_attr_validate(attr, MNL_TYPE_U32) == 0 ?
		       mnl_attr_get_u32(attr) :
		       0;
}

static uint8_t u8_of(const struct nlattr *attr)
{
	return attr && mnl_attr_validate(attr, MNL_TYPE_U8) == 0 ?
		       mnl_attr_get_u8(attr) :
		       0;
}

static void get_stats(const struct nlattr *nest, struct cv_stats *st)
{
	const struct nlattr *tb[CASVIP_A_STATS_MAX + 1];

	parse_nest(nest, tb, CASVIP_A_STATS_MAX);
	st->conns = u64_of(tb[CASVIP_A_STATS_CONNS]);
	st->active = u64_of(tb[CASVIP_A_STATS_ACTIVE]);
	st->pkts_in = u64_of(tb[CASVIP_A_STATS_PKTS_IN]);
	st->pkts_out = u64_of(tb[CASVIP_A_STATS_PKTS_OUT]);
	st->bytes_in = u64_of(tb[CASVIP_A_STATS_BYTES_IN]);
	st->bytes_out = u64_of(tb[CASVIP_A_STATS_BYTES_OUT]);
	st->drop_noserver = u64_of(tb[CASVIP_A_STATS_DROP_NOSERVER]);
	st->drop_nat = u64_of(tb[CASVIP_A_STATS_DROP_NAT]);
	st->ended = u64_of(tb[CASVIP_A_STATS_ENDED]);
	st->watched = u64_of(tb[CASVIP_A_STATS_WATCHED]);
	st->unreplied = u64_of(tb[CASVIP_A_STATS_UNREPLIED]);
	st->evicted = u64_of(tb[CASVIP_A_STATS_EVICTED]);
	st->followed = u64_of(tb[CASVIP_A_STATS_FOLLOWED]);
	st->declined = u64_of(tb[CASVIP_A_STATS_DECLINED]);
}

static uint16_t u16_of(const struct nlattr *attr)
{
	return attr && mnl_attr_validate(attr, MNL_TYPE_U16) == 0 ?
		       mnl_attr_get_u16(attr) :
		       0;
}

static void get_port_stats(const struct nlattr *nest, struct cv_service *svc)
{
	const struct nlattr *a;

	if (!nest)
		return;
	svc->port_stats = calloc(CASVIP_PORT_COUNTERS, sizeof(*svc->port_stats));
	if (!svc->port_stats)
		return;
	mnl_attr_for_each_nested(a, nest) {
		const struct nlattr *tb[CASVIP_A_PORT_MAX + 1];
		struct cv_port_stats *ps;
		struct cv_stats st;

		if (mnl_attr_get_type(a) != CASVIP_A_PORTS_ENTRY ||
		    svc->nport_stats == CASVIP_PORT_COUNTERS)
			continue;
		ps = &svc->port_stats[svc->nport_stats++];
		parse_nest(a, tb, CASVIP_A_PORT_MAX);
		ps->first = u16_of(tb[CASVIP_A_PORT_FIRST]);
		ps->last = u16_of(tb[CASVIP_A_PORT_LAST]);
		get_stats(tb[CASVIP_A_PORT_STATS], &st);
		ps->conns = st.conns;
		ps->drop_noserver = st.drop_noserver;
	}
}

/*
 * An attribute that is an array of at most @max elements of @size bytes,
 * into @dst: how many; 0 if it is absent or longer.
 */
static unsigned int get_array(const struct nlattr *a, void *dst, size_t size,
			      size_t max)
{
	size_t n = a ? mnl_attr_get_payload_len(a) / size : 0;

	if (!n || n > max)
		return 0;
	memcpy(dst, mnl_attr_get_payload(a), n * size);
	return (unsigned int)n;
}

void cv_parse_service(const struct nlmsghdr *nlh, struct cv_service *svc)
{
	const struct nlattr *top[CASVIP_A_MAX + 1];
	const struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	const struct nlattr *a;

	parse_top(nlh, top);
	parse_nest(top[CASVIP_A_SERVICE], tb, CASVIP_A_SERVICE_MAX);
	memset(svc, 0, sizeof(*svc));
	a = tb[CASVIP_A_SERVICE_NAME];
	if (a && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(svc->name, sizeof(svc->name), "%s",
			 mnl_attr_get_str(a));
	get_addr(tb[CASVIP_A_SERVICE_VIP], &svc->vip);
	svc->proto = u8_of(tb[CASVIP_A_SERVICE_PROTO]);
	svc->nranges = get_array(tb[CASVIP_A_SERVICE_PORTS], svc->ranges,
				 sizeof(svc->ranges[0]), CASVIP_MAX_RANGES);
	svc->sched = u8_of(tb[CASVIP_A_SERVICE_SCHED]);
	svc->timeout = u32_of(tb[CASVIP_A_SERVICE_PERSIST_TIMEOUT]);
	svc->netmask = u8_of(tb[CASVIP_A_SERVICE_PERSIST_NETMASK]);
	svc->snat = u8_of(tb[CASVIP_A_SERVICE_SNAT]);
	if (tb[CASVIP_A_SERVICE_SNAT_ADDR])
		get_addr(tb[CASVIP_A_SERVICE_SNAT_ADDR], &svc->snat_addr);
	svc->nannounced = get_array(tb[CASVIP_A_SERVICE_ANNOUNCED],
				    svc->announced, sizeof(svc->announced[0]),
				    CASVIP_MAX_ANNOUNCED);
	svc->nfollow = get_array(tb[CASVIP_A_SERVICE_FOLLOW], svc->follow,
				 sizeof(svc->follow[0]), CASVIP_MAX_FOLLOW);
	svc->nservers = u32_of(tb[CASVIP_A_SERVICE_NUM_SERVERS]);
	svc->npersist = u32_of(tb[CASVIP_A_SERVICE_NUM_PERSIST]);
	svc->persist_max = u32_of(tb[CASVIP_A_SERVICE_PERSIST_MAX]);
	svc->persist_limit = u32_of(tb[CASVIP_A_SERVICE_PERSIST_LIMIT]);
	svc->follow_max = u32_of(tb[CASVIP_A_SERVICE_FOLLOW_MAX]);
	svc->follow_limit = u32_of(tb[CASVIP_A_SERVICE_FOLLOW_LIMIT]);
	svc->nexpected = u32_of(tb[CASVIP_A_SERVICE_NUM_EXPECTED]);
	svc->alldown = u8_of(tb[CASVIP_A_SERVICE_ALLDOWN]);
	svc->neligible = u32_of(tb[CASVIP_A_SERVICE_NUM_ELIGIBLE]);
	svc->failing_open = u8_of(tb[CASVIP_A_SERVICE_FAILING_OPEN]);
	svc->on_backup = u8_of(tb[CASVIP_A_SERVICE_ON_BACKUP]);
	a = tb[CASVIP_A_SERVICE_USERDATA];
	if (a && mnl_attr_get_payload_len(a)) {
		svc->udata = malloc(mnl_attr_get_payload_len(a));
		if (svc->udata) {
			svc->udata_len = mnl_attr_get_payload_len(a);
			memcpy(svc->udata, mnl_attr_get_payload(a),
			       svc->udata_len);
		}
	}
	get_stats(tb[CASVIP_A_SERVICE_STATS], &svc->stats);
	get_port_stats(tb[CASVIP_A_SERVICE_PORT_STATS], svc);
	svc->given = CV_VIP | CV_PROTO | CV_PORTS | CV_SCHED | CV_PERSIST |
		     CV_NETMASK | CV_SNAT | CV_PERSIST_MAX | CV_ALLDOWN |
		     CV_FOLLOW | CV_FOLLOW_MAX;
}

static int service_cb(const struct nlmsghdr *nlh, void *data)
{
	cv_parse_service(nlh, data);
	return MNL_CB_OK;
}

int cv_get_service(struct cv_nl *nl, const char *name, struct cv_service *svc)
{
	struct nlmsghdr *nlh = cv_nl_req(nl, CASVIP_CMD_SERVICE_GET, 0);

	cv_put_service_name(nlh, name);
	return cv_nl_talk(nl, nlh, service_cb, svc);
}

struct vec {
	void *items;
	size_t n, cap, size;
};

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *p = realloc(v->items, cap * v->size);

		if (!p)
			return NULL;
		v->items = p;
		v->cap = cap;
	}
	return (char *)v->items + v->n++ * v->size;
}

static int services_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cv_service *svc = vec_push(data);

	if (!svc) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	cv_parse_service(nlh, svc);
	return MNL_CB_OK;
}

void cv_parse_server(const struct nlmsghdr *nlh, struct cv_server *srv)
{
	const struct nlattr *top[CASVIP_A_MAX + 1];
	const struct nlattr *tb[CASVIP_A_SERVER_MAX + 1];

	parse_top(nlh, top);
	parse_nest(top[CASVIP_A_SERVER], tb, CASVIP_A_SERVER_MAX);
	memset(srv, 0, sizeof(*srv));
	get_addr(tb[CASVIP_A_SERVER_ADDR], &srv->addr);
	srv->weight = u32_of(tb[CASVIP_A_SERVER_WEIGHT]);
	srv->admin = u8_of(tb[CASVIP_A_SERVER_ADMIN]);
	srv->health = u8_of(tb[CASVIP_A_SERVER_HEALTH]);
	if (tb[CASVIP_A_SERVER_HEALTH_REASON] &&
	    mnl_attr_validate(tb[CASVIP_A_SERVER_HEALTH_REASON],
			      MNL_TYPE_NUL_STRING) == 0)
		snprintf(srv->reason, sizeof(srv->reason), "%s",
			 mnl_attr_get_str(tb[CASVIP_A_SERVER_HEALTH_REASON]));
	srv->health_age_ms = u64_of(tb[CASVIP_A_SERVER_HEALTH_AGE]);
	srv->clients = u32_of(tb[CASVIP_A_SERVER_CLIENTS]);
	srv->backup = u8_of(tb[CASVIP_A_SERVER_BACKUP]);
	srv->given = CV_WEIGHT | CV_ADMIN | CV_HEALTH | CV_BACKUP;
	get_stats(tb[CASVIP_A_SERVER_STATS], &srv->stats);
}

static int servers_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cv_server *srv = vec_push(data);

	if (!srv) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	cv_parse_server(nlh, srv);
	return MNL_CB_OK;
}

static int persist_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *top[CASVIP_A_MAX + 1];
	const struct nlattr *tb[CASVIP_A_PERSIST_MAX + 1];
	struct cv_persist *e = vec_push(data);

	if (!e) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	parse_top(nlh, top);
	parse_nest(top[CASVIP_A_PERSIST], tb, CASVIP_A_PERSIST_MAX);
	memset(e, 0, sizeof(*e));
	get_addr(tb[CASVIP_A_PERSIST_CLIENT], &e->client);
	get_addr(tb[CASVIP_A_PERSIST_SERVER], &e->server);
	e->conns = u32_of(tb[CASVIP_A_PERSIST_CONNS]);
	e->idle = tb[CASVIP_A_PERSIST_EXPIRES] != NULL;
	e->expires = u32_of(tb[CASVIP_A_PERSIST_EXPIRES]);
	e->unproven = tb[CASVIP_A_PERSIST_UNPROVEN] != NULL;
	return MNL_CB_OK;
}

/* Run a dump into @v, again from the start while it is interrupted. */
static int dump(struct cv_nl *nl, uint8_t cmd, const char *service,
		mnl_cb_t cb, struct vec *v)
{
	int ret = -EINTR;

	for (int i = 0; i < DUMP_TRIES && ret == -EINTR; i++) {
		struct nlmsghdr *nlh = cv_nl_req(nl, cmd, NLM_F_DUMP);

		if (service)
			cv_put_service_name(nlh, service);
		v->n = 0;
		ret = cv_nl_talk(nl, nlh, cb, v);
	}
	if (ret == -EINTR)
		snprintf(nl->errmsg, sizeof(nl->errmsg),
			 "the table kept changing during %d dumps: try again",
			 DUMP_TRIES);
	return ret;
}

int cv_dump_services(struct cv_nl *nl, struct cv_service **svcs, size_t *n)
{
	struct vec v = { .size = sizeof(struct cv_service) };
	int ret = dump(nl, CASVIP_CMD_SERVICE_GET, NULL, services_cb, &v);

	if (ret) {
		free(v.items);
		return ret;
	}
	*svcs = v.items;
	*n = v.n;
	return 0;
}

int cv_dump_servers(struct cv_nl *nl, struct cv_service *svc)
{
	struct vec v = { .size = sizeof(struct cv_server) };
	int ret = dump(nl, CASVIP_CMD_SERVER_GET, svc->name, servers_cb, &v);

	if (ret) {
		free(v.items);
		return ret;
	}
	free(svc->servers);
	svc->servers = v.items;
	svc->nsrv = v.n;
	return 0;
}

void cv_service_clear(struct cv_service *svc)
{
	free(svc->servers);
	free(svc->checks);
	free(svc->udata);
	free(svc->port_stats);
	svc->servers = NULL;
	svc->checks = NULL;
	svc->udata = NULL;
	svc->port_stats = NULL;
	svc->nport_stats = 0;
	svc->nsrv = svc->nchecks = svc->udata_len = 0;
}

void cv_free_services(struct cv_service *svcs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cv_service_clear(&svcs[i]);
	free(svcs);
}

int cv_dump_persist(struct cv_nl *nl, const char *service,
		    struct cv_persist **entries, size_t *n)
{
	struct vec v = { .size = sizeof(struct cv_persist) };
	int ret = dump(nl, CASVIP_CMD_PERSIST_GET, service, persist_cb, &v);

	if (ret) {
		free(v.items);
		return ret;
	}
	*entries = v.items;
	*n = v.n;
	return 0;
}

int cv_get_services(struct cv_nl *nl, const char *name,
		    struct cv_service **svcs, size_t *n)
{
	int ret;

	if (!name)
		return cv_dump_services(nl, svcs, n);
	*svcs = calloc(1, sizeof(**svcs));
	if (!*svcs)
		return -ENOMEM;
	*n = 1;
	ret = cv_get_service(nl, name, *svcs);
	if (ret)
		free(*svcs);
	return ret;
}
