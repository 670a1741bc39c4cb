// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: the generic netlink API, and nothing else.
 * The family is documented in include/uapi/linux/casvip.h.
 */
#include <linux/ctype.h>
#include <linux/in.h>
#include <linux/rhashtable.h>
#include <linux/sizes.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "casvip.h"

static struct genl_family casvip_family;

/*
 * Room for one object: a service with its user data and the counters of
 * every entry of a full port list fits.
 */
#define CASVIP_MSG_SIZE SZ_8K

enum casvip_mcgrp { CASVIP_MCGRP_EVENTS };

/*
 * Events tell of services and servers, which reading needs CAP_NET_ADMIN
 * for: a kernel that cannot ask it of those joining gets no group.
 */
static const struct genl_multicast_group casvip_mcgrps[] = {
#ifdef CASVIP_MCAST_CAP
	[CASVIP_MCGRP_EVENTS] = {
		.name = CASVIP_GENL_MCGRP_EVENTS,
		.flags = CASVIP_MCAST_CAP,
	},
#endif
};

/* No event once the family is on its way out (module unload). */
static DECLARE_RWSEM(notify_sem);
static bool notify_off;

static int validate_name(const struct nlattr *attr,
			 struct netlink_ext_ack *extack)
{
	const char *s = nla_data(attr);

	if (!isalnum(*s)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "service name must start with a letter or digit");
		return -EINVAL;
	}
	for (; *s; s++) {
		if (!isalnum(*s) && *s != '_' && *s != '.' && *s != '-') {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service name may hold only letters, digits, '_', '.' and '-'");
			return -EINVAL;
		}
	}
	return 0;
}

static int validate_addr(const struct nlattr *attr,
			 struct netlink_ext_ack *extack)
{
	if (nla_len(attr) != sizeof(struct in_addr) &&
	    nla_len(attr) != sizeof(struct in6_addr)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address must be 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	return 0;
}

static int validate_ports(const struct nlattr *attr,
			  struct netlink_ext_ack *extack)
{
	const struct casvip_port_range *r = nla_data(attr);
	int i, n = nla_len(attr) / sizeof(*r);

	if (nla_len(attr) % sizeof(*r) || !n || n > CASVIP_MAX_RANGES) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "port set must hold 1 to 64 ranges");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!r[i].first || r[i].first > r[i].last) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "port range must have 1 <= first <= last");
			return -EINVAL;
		}
		if (i && r[i].first <= r[i - 1].last) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "port ranges must be sorted and not overlap");
			return -EINVAL;
		}
	}
	return 0;
}

static int validate_follow(const struct nlattr *attr,
			   struct netlink_ext_ack *extack)
{
	if (nla_len(attr) % sizeof(struct casvip_iface) ||
	    nla_len(attr) > CASVIP_MAX_FOLLOW * sizeof(struct casvip_iface)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "follow must hold 0 to CASVIP_MAX_FOLLOW struct casvip_iface");
		return -EINVAL;
	}
	return 0;
}

static int validate_announced(const struct nlattr *attr,
			      struct netlink_ext_ack *extack)
{
	const u16 *port = nla_data(attr);
	int i, n = nla_len(attr) / sizeof(*port);

	if (nla_len(attr) % sizeof(*port) || n > CASVIP_MAX_ANNOUNCED) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "announced ports must be 0 to CASVIP_MAX_ANNOUNCED u16");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (port[i] < CASVIP_EPM_PORT_MIN ||
		    (i && port[i] <= port[i - 1])) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "announced ports must be rising, none below 1024");
			return -EINVAL;
		}
	}
	return 0;
}

static struct netlink_range_validation timeout_range = {
	.max = CASVIP_PERSIST_TIMEOUT_MAX,
};

static struct netlink_range_validation weight_range = {
	.max = CASVIP_WEIGHT_MAX,
};

static const struct nla_policy service_policy[CASVIP_A_SERVICE_MAX + 1] = {
	[CASVIP_A_SERVICE_NAME] = NLA_POLICY_VALIDATE_FN(NLA_NUL_STRING,
							 validate_name,
							 CASVIP_NAME_MAX - 1),
	[CASVIP_A_SERVICE_VIP] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							validate_addr),
	[CASVIP_A_SERVICE_PROTO] = NLA_POLICY_RANGE(NLA_U8, IPPROTO_TCP,
						    IPPROTO_UDP),
	[CASVIP_A_SERVICE_PORTS] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							  validate_ports),
	[CASVIP_A_SERVICE_SCHED] = NLA_POLICY_MAX(NLA_U8, CASVIP_SCHED_MAX),
	[CASVIP_A_SERVICE_PERSIST_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &timeout_range),
	[CASVIP_A_SERVICE_PERSIST_NETMASK] = NLA_POLICY_MAX(NLA_U8, 128),
	[CASVIP_A_SERVICE_SNAT] = NLA_POLICY_MAX(NLA_U8, CASVIP_SNAT_MAX),
	[CASVIP_A_SERVICE_PERSIST_MAX] = { .type = NLA_U32 },
	[CASVIP_A_SERVICE_SNAT_ADDR] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							      validate_addr),
	[CASVIP_A_SERVICE_ALLDOWN] = NLA_POLICY_MAX(NLA_U8, CASVIP_ALLDOWN_MAX),
	[CASVIP_A_SERVICE_USERDATA] = { .type = NLA_BINARY,
					.len = CASVIP_USERDATA_MAX },
	[CASVIP_A_SERVICE_FOLLOW] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							   validate_follow),
	[CASVIP_A_SERVICE_ANNOUNCED] =
		NLA_POLICY_VALIDATE_FN(NLA_BINARY, validate_announced),
	[CASVIP_A_SERVICE_FOLLOW_MAX] = { .type = NLA_U32 },
};

static const struct nla_policy service_del_policy[CASVIP_A_SERVICE_MAX + 1] = {
	[CASVIP_A_SERVICE_NAME] = NLA_POLICY_VALIDATE_FN(NLA_NUL_STRING,
							 validate_name,
							 CASVIP_NAME_MAX - 1),
	[CASVIP_A_SERVICE_KEEP_CONNS] = { .type = NLA_FLAG },
};

static const struct nla_policy service_name_policy[CASVIP_A_SERVICE_MAX + 1] = {
	[CASVIP_A_SERVICE_NAME] = NLA_POLICY_VALIDATE_FN(NLA_NUL_STRING,
							 validate_name,
							 CASVIP_NAME_MAX - 1),
};

static const struct nla_policy server_policy[CASVIP_A_SERVER_MAX + 1] = {
	[CASVIP_A_SERVER_ADDR] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							validate_addr),
	[CASVIP_A_SERVER_WEIGHT] = NLA_POLICY_FULL_RANGE(NLA_U32,
							 &weight_range),
	[CASVIP_A_SERVER_ADMIN] = NLA_POLICY_MAX(NLA_U8, CASVIP_ADMIN_MAX),
	[CASVIP_A_SERVER_BACKUP] = NLA_POLICY_MAX(NLA_U8, 1),
	[CASVIP_A_SERVER_HEALTH] = NLA_POLICY_MAX(NLA_U8, CASVIP_HEALTH_MAX),
	[CASVIP_A_SERVER_KEEP_CONNS] = { .type = NLA_FLAG },
	[CASVIP_A_SERVER_HEALTH_REASON] = { .type = NLA_NUL_STRING,
					    .len = CASVIP_REASON_MAX - 1 },
};

static const struct nla_policy server_addr_policy[CASVIP_A_SERVER_MAX + 1] = {
	[CASVIP_A_SERVER_ADDR] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							validate_addr),
};

static const struct nla_policy server_del_policy[CASVIP_A_SERVER_MAX + 1] = {
	[CASVIP_A_SERVER_ADDR] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							validate_addr),
	[CASVIP_A_SERVER_KEEP_CONNS] = { .type = NLA_FLAG },
};

static const struct nla_policy persist_policy[CASVIP_A_PERSIST_MAX + 1] = {
	[CASVIP_A_PERSIST_CLIENT] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							   validate_addr),
};

static const struct nla_policy persist_new_policy[CASVIP_A_PERSIST_MAX + 1] = {
	[CASVIP_A_PERSIST_CLIENT] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							   validate_addr),
	[CASVIP_A_PERSIST_SERVER] = NLA_POLICY_VALIDATE_FN(NLA_BINARY,
							   validate_addr),
};

/* Top-level policies, one per kind of request. */
static const struct nla_policy service_cfg_req[CASVIP_A_MAX + 1] = {
	[CASVIP_A_SERVICE] = NLA_POLICY_NESTED(service_policy),
	[CASVIP_A_SERVERS] = NLA_POLICY_NESTED_ARRAY(server_policy),
};

static const struct nla_policy service_name_req[CASVIP_A_MAX + 1] = {
	[CASVIP_A_SERVICE] = NLA_POLICY_NESTED(service_name_policy),
};

static const struct nla_policy service_del_req[CASVIP_A_MAX + 1] = {
	[CASVIP_A_SERVICE] = NLA_POLICY_NESTED(service_del_policy),
};

static const struct nla_policy server_cfg_req[CASVIP_A_MAX + 1] = {
	[CASVIP_A_SERVICE] = NLA_POLICY_NESTED(service_name_policy),
	[CASVIP_A_SERVER] = NLA_POLICY_NESTED(server_policy),
	[CASVIP_A_SERVERS] = NLA_POLICY_NESTED_ARRAY(server_policy),
};

static const struct nla_policy server_addr_req[CASVIP_A_MAX + 1] = {
	[CASVIP_A_SERVICE] = NLA_POLICY_NESTED(service_name_policy),
	[CASVIP_A_SERVER] = NLA_POLICY_NESTED(server_addr_policy),
};

static const struct nla_policy server_del_req[CASVIP_A_MAX + 1] = {
	[CASVIP_A_SERVICE] = NLA_POLICY_NESTED(service_name_policy),
	[CASVIP_A_SERVER] = NLA_POLICY_NESTED(server_del_policy),
	[CASVIP_A_SERVERS] = NLA_POLICY_NESTED_ARRAY(server_del_policy),
};

static const struct nla_policy persist_req[CASVIP_A_MAX + 1] = {
	[CASVIP_A_SERVICE] = NLA_POLICY_NESTED(service_name_policy),
	[CASVIP_A_PERSIST] = NLA_POLICY_NESTED(persist_policy),
};

static const struct nla_policy persist_new_req[CASVIP_A_MAX + 1] = {
	[CASVIP_A_SERVICE] = NLA_POLICY_NESTED(service_name_policy),
	[CASVIP_A_PERSIST] = NLA_POLICY_NESTED(persist_new_policy),
};

static u8 addr_get(const struct nlattr *attr, union nf_inet_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	nla_memcpy(addr, attr, sizeof(*addr));
	return nla_len(attr) == sizeof(struct in_addr) ? NFPROTO_IPV4 :
							 NFPROTO_IPV6;
}

static int addr_put(struct sk_buff *skb, int type, u8 family,
		    const union nf_inet_addr *addr)
{
	return nla_put(skb, type,
		       family == NFPROTO_IPV4 ? sizeof(struct in_addr) :
						sizeof(struct in6_addr),
		       addr);
}

/* Parse the nest @type of @info with @policy; -EINVAL if it is missing. */
static int parse_nest(struct genl_info *info, int type, int maxtype,
		      const struct nla_policy *policy, struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, type))
		return -EINVAL;
	return nla_parse_nested(tb, maxtype, info->attrs[type], policy,
				info->extack);
}

static const char *service_name(struct genl_info *info, struct nlattr **tb)
{
	if (NL_REQ_ATTR_CHECK(info->extack, info->attrs[CASVIP_A_SERVICE], tb,
			      CASVIP_A_SERVICE_NAME))
		return NULL;
	return nla_data(tb[CASVIP_A_SERVICE_NAME]);
}

/* Find the service named in @info, its nest parsed into @tb; cn->lock. */
static struct casvip_service *lookup_service(struct casvip_net *cn,
					     struct genl_info *info,
					     const struct nla_policy *policy,
					     struct nlattr **tb)
{
	struct casvip_service *svc;
	const char *name;
	int ret;

	ret = parse_nest(info, CASVIP_A_SERVICE, CASVIP_A_SERVICE_MAX, policy,
			 tb);
	if (ret)
		return ERR_PTR(ret);
	name = service_name(info, tb);
	if (!name)
		return ERR_PTR(-EINVAL);
	svc = casvip_service_find(cn, name);
	if (!svc) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[CASVIP_A_SERVICE_NAME],
				    "no service of that name");
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

static int parse_service(struct genl_info *info, struct nlattr **tb,
			 struct casvip_service_cfg *cfg, bool create)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[CASVIP_A_SERVICE];
	struct casvip_match *m = &cfg->match;

	memset(cfg, 0, sizeof(*cfg));
	cfg->name = service_name(info, tb);
	if (!cfg->name)
		return -EINVAL;
	if (create && (NL_REQ_ATTR_CHECK(extack, nest, tb,
					 CASVIP_A_SERVICE_VIP) ||
		       NL_REQ_ATTR_CHECK(extack, nest, tb,
					 CASVIP_A_SERVICE_PORTS)))
		return -EINVAL;

	/* A change to any part of the match restates all of it. */
	if (tb[CASVIP_A_SERVICE_VIP] || tb[CASVIP_A_SERVICE_PROTO] ||
	    tb[CASVIP_A_SERVICE_PORTS]) {
		if (!tb[CASVIP_A_SERVICE_VIP] || !tb[CASVIP_A_SERVICE_PORTS]) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "VIP, protocol and ports change together: give the VIP and the ports");
			return -EINVAL;
		}
		cfg->has_match = true;
		m->family = addr_get(tb[CASVIP_A_SERVICE_VIP], &m->vip);
		m->proto = tb[CASVIP_A_SERVICE_PROTO] ?
			   nla_get_u8(tb[CASVIP_A_SERVICE_PROTO]) : IPPROTO_TCP;
		if (m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP) {
			NL_SET_ERR_MSG_ATTR(extack, tb[CASVIP_A_SERVICE_PROTO],
					    "protocol must be TCP or UDP");
			return -EINVAL;
		}
		m->nranges = nla_len(tb[CASVIP_A_SERVICE_PORTS]) /
			     sizeof(struct casvip_port_range);
		nla_memcpy(m->ranges, tb[CASVIP_A_SERVICE_PORTS],
			   sizeof(m->ranges));
	}
	if (tb[CASVIP_A_SERVICE_SCHED]) {
		cfg->has_sched = true;
		cfg->sched = nla_get_u8(tb[CASVIP_A_SERVICE_SCHED]);
	}
	if (tb[CASVIP_A_SERVICE_PERSIST_TIMEOUT]) {
		cfg->has_timeout = true;
		cfg->timeout = nla_get_u32(tb[CASVIP_A_SERVICE_PERSIST_TIMEOUT]);
	}
	if (tb[CASVIP_A_SERVICE_PERSIST_NETMASK]) {
		cfg->has_netmask = true;
		cfg->netmask = nla_get_u8(tb[CASVIP_A_SERVICE_PERSIST_NETMASK]);
	}
	if (tb[CASVIP_A_SERVICE_PERSIST_MAX]) {
		cfg->has_persist_max = true;
		cfg->persist_max = nla_get_u32(tb[CASVIP_A_SERVICE_PERSIST_MAX]);
	}
	if (tb[CASVIP_A_SERVICE_FOLLOW_MAX]) {
		cfg->has_follow_max = true;
		cfg->follow_max = nla_get_u32(tb[CASVIP_A_SERVICE_FOLLOW_MAX]);
	}
	cfg->udata = tb[CASVIP_A_SERVICE_USERDATA];
	if (tb[CASVIP_A_SERVICE_ALLDOWN]) {
		cfg->has_alldown = true;
		cfg->alldown = nla_get_u8(tb[CASVIP_A_SERVICE_ALLDOWN]);
	}
	if (tb[CASVIP_A_SERVICE_SNAT]) {
		cfg->has_snat = true;
		cfg->snat = nla_get_u8(tb[CASVIP_A_SERVICE_SNAT]);
	}
	if (tb[CASVIP_A_SERVICE_ANNOUNCED]) {
		cfg->has_announced = true;
		m->nannounced = nla_len(tb[CASVIP_A_SERVICE_ANNOUNCED]) /
				sizeof(m->announced[0]);
		nla_memcpy(m->announced, tb[CASVIP_A_SERVICE_ANNOUNCED],
			   sizeof(m->announced));
	}
	if (tb[CASVIP_A_SERVICE_FOLLOW]) {
		cfg->has_follow = true;
		cfg->nfollow = nla_len(tb[CASVIP_A_SERVICE_FOLLOW]) /
			       sizeof(struct casvip_iface);
		nla_memcpy(cfg->follow, tb[CASVIP_A_SERVICE_FOLLOW],
			   sizeof(cfg->follow));
	}
	if (tb[CASVIP_A_SERVICE_SNAT_ADDR]) {
		cfg->has_snat_addr = true;
		cfg->snat_family = addr_get(tb[CASVIP_A_SERVICE_SNAT_ADDR],
					    &cfg->snat_addr);
	}
	return 0;
}

/* One server nest of a request, parsed with @policy into @cfg. */
static int parse_server(const struct nlattr *nest,
			const struct nla_policy *policy,
			struct casvip_server_cfg *cfg,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[CASVIP_A_SERVER_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, CASVIP_A_SERVER_MAX, nest, policy, extack);
	if (ret)
		return ret;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, CASVIP_A_SERVER_ADDR))
		return -EINVAL;
	cfg->attr = nest;
	cfg->family = addr_get(tb[CASVIP_A_SERVER_ADDR], &cfg->addr);
	cfg->keep_conns = nla_get_flag(tb[CASVIP_A_SERVER_KEEP_CONNS]);
	if (tb[CASVIP_A_SERVER_WEIGHT]) {
		cfg->has_weight = true;
		cfg->weight = nla_get_u32(tb[CASVIP_A_SERVER_WEIGHT]);
	}
	if (tb[CASVIP_A_SERVER_ADMIN]) {
		cfg->has_admin = true;
		cfg->admin = nla_get_u8(tb[CASVIP_A_SERVER_ADMIN]);
	}
	if (tb[CASVIP_A_SERVER_BACKUP]) {
		cfg->has_backup = true;
		cfg->backup = nla_get_u8(tb[CASVIP_A_SERVER_BACKUP]);
	}
	if (tb[CASVIP_A_SERVER_HEALTH]) {
		cfg->has_health = true;
		cfg->health = nla_get_u8(tb[CASVIP_A_SERVER_HEALTH]);
	}
	if (tb[CASVIP_A_SERVER_HEALTH_REASON])
		cfg->reason = nla_data(tb[CASVIP_A_SERVER_HEALTH_REASON]);
	return 0;
}

/*
 * Count the server nests of every CASVIP_A_SERVERS of the request (it may
 * come more than once: a nest holds at most 64 KiB), and parse them into
 * @cfgs unless it is NULL. The core validated every attribute.
 */
static int servers_walk(struct genl_info *info, const struct nla_policy *policy,
			struct casvip_server_cfg *cfgs, unsigned int *count)
{
	const struct nlattr *a, *elem;
	int rem, erem, ret;

	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(a) != CASVIP_A_SERVERS)
			continue;
		nla_for_each_nested(elem, a, erem) {
			if (cfgs) {
				ret = parse_server(elem, policy, &cfgs[*count],
						   info->extack);
				if (ret)
					return ret;
			}
			(*count)++;
		}
	}
	return 0;
}

/*
 * The servers a request names: CASVIP_A_SERVER, or those of its
 * CASVIP_A_SERVERS. A kvcalloc()ed array of *@n, or an ERR_PTR.
 */
static struct casvip_server_cfg *parse_servers(struct genl_info *info,
					       const struct nla_policy *policy,
					       bool required, unsigned int *n)
{
	struct nlattr *one = info->attrs[CASVIP_A_SERVER];
	struct nlattr *list = info->attrs[CASVIP_A_SERVERS];
	struct netlink_ext_ack *extack = info->extack;
	struct casvip_server_cfg *cfgs;
	unsigned int count = 0;
	int ret;

	if (one && list) {
		NL_SET_ERR_MSG_ATTR(extack, list,
				    "give one server or a list of servers, not both");
		return ERR_PTR(-EINVAL);
	}
	if (one)
		count = 1;
	else
		servers_walk(info, policy, NULL, &count);
	if (!count && required) {
		NL_SET_ERR_MSG(extack, "the request names no server");
		return ERR_PTR(-EINVAL);
	}
	if (count > CASVIP_MAX_SERVERS) {
		NL_SET_ERR_MSG_ATTR(extack, list,
				    "more servers than a service may have");
		return ERR_PTR(-ENOSPC);
	}
	cfgs = kvcalloc(max(count, 1U), sizeof(*cfgs), GFP_KERNEL);
	if (!cfgs)
		return ERR_PTR(-ENOMEM);
	if (one) {
		ret = parse_server(one, policy, cfgs, extack);
	} else {
		count = 0;
		ret = servers_walk(info, policy, cfgs, &count);
	}
	if (ret) {
		kvfree(cfgs);
		return ERR_PTR(ret);
	}
	*n = count;
	return cfgs;
}

/* New servers take no keep_conns: it is of their removal. */
static int servers_check_new(const struct casvip_server_cfg *cfgs,
			     unsigned int n, struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (cfgs[i].keep_conns) {
			NL_SET_ERR_MSG_ATTR(extack, cfgs[i].attr,
					    "keeping connections applies to set and del");
			return -EINVAL;
		}
	}
	return 0;
}

static int put_u64(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_u64_64bit(skb, type, value, CASVIP_A_STATS_PAD);
}

/* @svc: a service's, with the counters only a service has. */
static int stats_put(struct sk_buff *skb, int type,
		     struct casvip_stats_pcpu __percpu *pcpu,
		     const struct casvip_traffic *traffic,
		     const struct casvip_stats *zero, u64 active,
		     const struct casvip_counts *counts,
		     const struct casvip_service *svc)
{
	struct casvip_stats st;
	struct nlattr *nest;

	casvip_stats_get(pcpu, traffic, zero, &st);
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (put_u64(skb, CASVIP_A_STATS_CONNS, st.conns) ||
	    put_u64(skb, CASVIP_A_STATS_ACTIVE, active) ||
	    put_u64(skb, CASVIP_A_STATS_PKTS_IN, st.pkts_in) ||
	    put_u64(skb, CASVIP_A_STATS_PKTS_OUT, st.pkts_out) ||
	    put_u64(skb, CASVIP_A_STATS_BYTES_IN, st.bytes_in) ||
	    put_u64(skb, CASVIP_A_STATS_BYTES_OUT, st.bytes_out) ||
	    put_u64(skb, CASVIP_A_STATS_DROP_NOSERVER, st.drop_noserver) ||
	    (svc && (put_u64(skb, CASVIP_A_STATS_EVICTED, svc->evicted) ||
		     put_u64(skb, CASVIP_A_STATS_FOLLOWED,
			     atomic64_read(&svc->followed)) ||
		     put_u64(skb, CASVIP_A_STATS_DECLINED,
			     atomic64_read(&svc->declined)))) ||
	    put_u64(skb, CASVIP_A_STATS_DROP_NAT, st.drop_nat) ||
	    put_u64(skb, CASVIP_A_STATS_ENDED, counts->ended) ||
	    put_u64(skb, CASVIP_A_STATS_WATCHED, counts->watched) ||
	    put_u64(skb, CASVIP_A_STATS_UNREPLIED, counts->unreplied)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Counter @k: of the ports @first to @last. */
static int port_put(struct sk_buff *skb, const struct casvip_port_stats *ps,
		    unsigned int k, u16 first, u16 last)
{
	struct nlattr *entry, *st;
	u64 conns, drops;

	casvip_port_stats_read(ps, k, &conns, &drops);
	entry = nla_nest_start(skb, CASVIP_A_PORTS_ENTRY);
	if (!entry || nla_put_u16(skb, CASVIP_A_PORT_FIRST, first) ||
	    nla_put_u16(skb, CASVIP_A_PORT_LAST, last))
		return -EMSGSIZE;
	st = nla_nest_start(skb, CASVIP_A_PORT_STATS);
	if (!st || put_u64(skb, CASVIP_A_STATS_CONNS, conns) ||
	    put_u64(skb, CASVIP_A_STATS_DROP_NOSERVER, drops))
		return -EMSGSIZE;
	nla_nest_end(skb, st);
	nla_nest_end(skb, entry);
	return 0;
}

static int ports_put(struct sk_buff *skb, const struct casvip_vnode *v)
{
	const struct casvip_port_stats *ps = v->ports;
	const struct casvip_match *m = &v->match;
	unsigned int i, p;
	struct nlattr *nest;

	nest = nla_nest_start(skb, CASVIP_A_SERVICE_PORT_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < m->nranges; i++) {
		const struct casvip_port_range *r = &m->ranges[i];

		if (!ps->each[i]) {
			if (port_put(skb, ps, ps->first[i], r->first, r->last))
				goto cancel;
			continue;
		}
		for (p = r->first; p <= r->last; p++)
			if (port_put(skb, ps, ps->first[i] + p - r->first, p, p))
				goto cancel;
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int service_fill(struct sk_buff *skb, const struct casvip_service *svc)
{
	const struct casvip_sched_state *s =
		rcu_dereference_protected(svc->sched_state,
					  lockdep_is_held(&svc->cn->lock));
	const struct casvip_vnode *v = casvip_vnode(svc);
	const struct casvip_match *m = &v->match;
	struct nlattr *nest;

	nest = nla_nest_start(skb, CASVIP_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, CASVIP_A_SERVICE_NAME, svc->name) ||
	    addr_put(skb, CASVIP_A_SERVICE_VIP, m->family, &m->vip) ||
	    nla_put_u8(skb, CASVIP_A_SERVICE_PROTO, m->proto) ||
	    nla_put(skb, CASVIP_A_SERVICE_PORTS,
		    m->nranges * sizeof(m->ranges[0]), m->ranges) ||
	    nla_put_u8(skb, CASVIP_A_SERVICE_SCHED, svc->sched) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_PERSIST_TIMEOUT, svc->timeout) ||
	    nla_put_u8(skb, CASVIP_A_SERVICE_PERSIST_NETMASK, svc->netmask) ||
	    nla_put_u8(skb, CASVIP_A_SERVICE_SNAT, v->snat) ||
	    (v->snat == CASVIP_SNAT_ADDR &&
	     addr_put(skb, CASVIP_A_SERVICE_SNAT_ADDR, m->family,
		      &v->snat_addr)) ||
	    (v->nfollow &&
	     nla_put(skb, CASVIP_A_SERVICE_FOLLOW,
		     v->nfollow * sizeof(v->follow[0]), v->follow)) ||
	    (m->nannounced &&
	     nla_put(skb, CASVIP_A_SERVICE_ANNOUNCED,
		     m->nannounced * sizeof(m->announced[0]), m->announced)) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_NUM_SERVERS, svc->nservers) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_NUM_PERSIST,
			atomic_read(&svc->npersist)) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_PERSIST_MAX, svc->persist_max) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_PERSIST_LIMIT,
			casvip_persist_limit(svc)) ||
	    nla_put_u8(skb, CASVIP_A_SERVICE_ALLDOWN, svc->alldown) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_FOLLOW_MAX, svc->follow_max) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_FOLLOW_LIMIT,
			casvip_epm_limit(svc)) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_NUM_EXPECTED,
			READ_ONCE(svc->expected)) ||
	    nla_put_u32(skb, CASVIP_A_SERVICE_NUM_ELIGIBLE, s ? s->nup : 0) ||
	    nla_put_u8(skb, CASVIP_A_SERVICE_FAILING_OPEN, svc->failing_open) ||
	    nla_put_u8(skb, CASVIP_A_SERVICE_ON_BACKUP, svc->on_backup) ||
	    (svc->udata_len &&
	     nla_put(skb, CASVIP_A_SERVICE_USERDATA, svc->udata_len,
		     svc->udata)) ||
	    stats_put(skb, CASVIP_A_SERVICE_STATS, svc->stats, &svc->traffic,
		      &svc->zero,
		      casvip_service_active(svc), &svc->counts, svc) ||
	    ports_put(skb, v))
		goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int server_fill(struct sk_buff *skb, const struct casvip_server *srv)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, CASVIP_A_SERVICE);
	if (!nest || nla_put_string(skb, CASVIP_A_SERVICE_NAME, srv->svc->name))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	nest = nla_nest_start(skb, CASVIP_A_SERVER);
	if (!nest)
		return -EMSGSIZE;
	if (addr_put(skb, CASVIP_A_SERVER_ADDR, srv->svc->family, &srv->addr) ||
	    nla_put_u32(skb, CASVIP_A_SERVER_WEIGHT, srv->weight) ||
	    nla_put_u8(skb, CASVIP_A_SERVER_ADMIN, srv->admin) ||
	    nla_put_u8(skb, CASVIP_A_SERVER_HEALTH, srv->health) ||
	    nla_put_u32(skb, CASVIP_A_SERVER_CLIENTS, srv->clients) ||
	    nla_put_u8(skb, CASVIP_A_SERVER_BACKUP, srv->backup) ||
	    nla_put_u64_64bit(skb, CASVIP_A_SERVER_HEALTH_AGE,
			      jiffies64_to_msecs(get_jiffies_64() -
						 srv->health_set),
			      CASVIP_A_SERVER_PAD) ||
	    (srv->reason[0] &&
	     nla_put_string(skb, CASVIP_A_SERVER_HEALTH_REASON, srv->reason)) ||
	    stats_put(skb, CASVIP_A_SERVER_STATS, srv->stats, &srv->traffic,
		      &srv->zero,
		      atomic_read(&srv->active), &srv->counts, NULL))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int service_fill_any(struct sk_buff *skb, const void *obj)
{
	return service_fill(skb, obj);
}

static int server_fill_any(struct sk_buff *skb, const void *obj)
{
	return server_fill(skb, obj);
}

/*
 * Room for what @fill puts: a whole service may take CASVIP_MSG_SIZE, the
 * rest a page.
 */
static size_t msg_size(int (*fill)(struct sk_buff *, const void *))
{
	return fill == service_fill_any ? CASVIP_MSG_SIZE : NLMSG_GOODSIZE;
}

/* Reply to a GET doit with one object filled by @fill. */
static int reply_one(struct genl_info *info, u8 cmd,
		     int (*fill)(struct sk_buff *, const void *),
		     const void *obj)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(msg_size(fill), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &casvip_family, 0, cmd);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	ret = fill(msg, obj);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

/*
 * Tell the listeners of the namespace: @fill(@obj) makes the message. A
 * message lost for want of memory is an error on their sockets, so that
 * they know to read the state again. Needs casvip_net.lock.
 */
static void notify_send(struct casvip_net *cn, u8 cmd,
			int (*fill)(struct sk_buff *, const void *),
			const void *obj)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(msg_size(fill), GFP_KERNEL);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &casvip_family, 0, cmd);
	if (!hdr || fill(msg, obj)) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&casvip_family, cn->net, msg, 0,
				CASVIP_MCGRP_EVENTS, GFP_KERNEL);
	return;
lost:
	genl_set_err(&casvip_family, cn->net, 0, CASVIP_MCGRP_EVENTS,
		     -ENOBUFS);
}

static void notify(struct casvip_net *cn, u8 cmd,
		   int (*fill)(struct sk_buff *, const void *), const void *obj)
{
	lockdep_assert_held(&cn->lock);
	down_read(&notify_sem);
	if (!notify_off && ARRAY_SIZE(casvip_mcgrps) &&
	    genl_has_listeners(&casvip_family, cn->net, CASVIP_MCGRP_EVENTS))
		notify_send(cn, cmd, fill, obj);
	up_read(&notify_sem);
}

static int service_name_fill(struct sk_buff *skb, const void *obj)
{
	const struct casvip_service *svc = obj;
	struct nlattr *nest;

	nest = nla_nest_start(skb, CASVIP_A_SERVICE);
	if (!nest || nla_put_string(skb, CASVIP_A_SERVICE_NAME, svc->name))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* A server gone: its service, and its address from the request. */
struct server_gone {
	const struct casvip_service *svc;
	const union nf_inet_addr *addr;
};

static int server_gone_fill(struct sk_buff *skb, const void *obj)
{
	const struct server_gone *g = obj;
	struct nlattr *nest;

	if (service_name_fill(skb, g->svc))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, CASVIP_A_SERVER);
	if (!nest || addr_put(skb, CASVIP_A_SERVER_ADDR, g->svc->family, g->addr))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int nothing_fill(struct sk_buff *skb, const void *obj)
{
	return 0;
}

/* SERVICE_DEL carries the name alone; the others, the whole service. */
void casvip_notify_service(struct casvip_net *cn, u8 cmd,
			   const struct casvip_service *svc)
{
	notify(cn, cmd, cmd == CASVIP_CMD_SERVICE_DEL ? service_name_fill :
							service_fill_any, svc);
}

void casvip_notify_server(struct casvip_net *cn, u8 cmd,
			  const struct casvip_server *srv)
{
	notify(cn, cmd, server_fill_any, srv);
}

/* After a change to @svc: tell if it fails open, or over, or down. */
static void notify_state(struct casvip_net *cn, struct casvip_service *svc)
{
	u8 state = casvip_service_state(svc);

	if (state == svc->state_told)
		return;
	svc->state_told = state;
	casvip_notify_service(cn, CASVIP_CMD_SERVICE_STATE, svc);
}

/* A new service: it, then its first servers, then its state if not ok. */
static void notify_new(struct casvip_net *cn, struct casvip_service *svc,
		       const struct casvip_server_cfg *cfgs, unsigned int n)
{
	unsigned int i;

	casvip_notify_service(cn, CASVIP_CMD_SERVICE_NEW, svc);
	for (i = 0; i < n; i++)
		casvip_notify_server(cn, CASVIP_CMD_SERVER_NEW, cfgs[i].srv);
	notify_state(cn, svc);
}

static int service_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	struct casvip_server_cfg *servers;
	struct casvip_service_cfg cfg;
	unsigned int n;
	int ret;

	ret = parse_nest(info, CASVIP_A_SERVICE, CASVIP_A_SERVICE_MAX,
			 service_policy, tb);
	if (ret)
		return ret;
	ret = parse_service(info, tb, &cfg, true);
	if (ret)
		return ret;
	if (info->attrs[CASVIP_A_SERVER]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CASVIP_A_SERVER],
				    "a new service's servers come in a list");
		return -EINVAL;
	}
	servers = parse_servers(info, server_policy, false, &n);
	if (IS_ERR(servers))
		return PTR_ERR(servers);
	ret = servers_check_new(servers, n, info->extack);
	if (!ret) {
		mutex_lock(&cn->lock);
		ret = casvip_service_new(cn, &cfg, servers, n, info->extack);
		if (!ret)
			notify_new(cn, casvip_service_find(cn, cfg.name),
				   servers, n);
		mutex_unlock(&cn->lock);
	}
	kvfree(servers);
	return ret;
}

static int service_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	struct casvip_service_cfg cfg;
	struct casvip_service *svc;
	int ret;

	if (info->attrs[CASVIP_A_SERVERS]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CASVIP_A_SERVERS],
				    "servers are changed with the server commands");
		return -EINVAL;
	}
	ret = parse_nest(info, CASVIP_A_SERVICE, CASVIP_A_SERVICE_MAX,
			 service_policy, tb);
	if (ret)
		return ret;
	ret = parse_service(info, tb, &cfg, false);
	if (ret)
		return ret;
	mutex_lock(&cn->lock);
	svc = casvip_service_find(cn, cfg.name);
	if (svc) {
		casvip_service_cfg_merge(svc, &cfg);
		ret = casvip_service_set(cn, svc, &cfg, info->extack);
		if (!ret) {
			casvip_notify_service(cn, CASVIP_CMD_SERVICE_SET, svc);
			notify_state(cn, svc);
		}
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[CASVIP_A_SERVICE_NAME],
				    "no service of that name");
		ret = -ENOENT;
	}
	mutex_unlock(&cn->lock);
	return ret;
}

static int service_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	struct casvip_service *svc;

	mutex_lock(&cn->lock);
	svc = lookup_service(cn, info, service_del_policy, tb);
	if (!IS_ERR(svc)) {
		casvip_notify_service(cn, CASVIP_CMD_SERVICE_DEL, svc);
		casvip_service_del(cn, svc,
				   nla_get_flag(tb[CASVIP_A_SERVICE_KEEP_CONNS]));
	}
	mutex_unlock(&cn->lock);
	return PTR_ERR_OR_ZERO(svc);
}

/*
 * GETs report what the GC last counted (it runs every second), but for
 * packets and bytes, which they fold from conntrack's accounting of the
 * service's connections first: a walk over them.
 */
static int service_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	struct casvip_service *svc;
	int ret;

	mutex_lock(&cn->lock);
	svc = lookup_service(cn, info, service_name_policy, tb);
	if (!IS_ERR(svc))
		casvip_conns_fold(svc);
	ret = IS_ERR(svc) ? PTR_ERR(svc) :
			    reply_one(info, CASVIP_CMD_SERVICE_GET,
				      service_fill_any, svc);
	mutex_unlock(&cn->lock);
	return ret;
}

/*
 * Dumps of services and servers: cb->args[0] is the index of the next
 * object to send. An object that does not fit ends this part of the dump;
 * the next part starts there.
 */
static void *dump_begin(struct sk_buff *skb, struct netlink_callback *cb,
			u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &casvip_family, NLM_F_MULTI, cmd);
	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

/* Every part of the dump has room for the largest service. */
static int service_dump_start(struct netlink_callback *cb)
{
	cb->min_dump_alloc = CASVIP_MSG_SIZE;
	return 0;
}

static int service_get_dumpit(struct sk_buff *skb,
			      struct netlink_callback *cb)
{
	struct casvip_net *cn = casvip_pernet(sock_net(skb->sk));
	struct casvip_service *svc;
	long idx = 0, start = cb->args[0];
	void *hdr;

	mutex_lock(&cn->lock);
	cb->seq = cn->generation;
	list_for_each_entry(svc, &cn->services, list) {
		if (idx++ < start)
			continue;
		hdr = dump_begin(skb, cb, CASVIP_CMD_SERVICE_GET);
		if (!hdr)
			break;
		casvip_conns_fold(svc);
		if (service_fill(skb, svc)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&cn->lock);
	return skb->len;
}

static struct casvip_server *server_get(struct casvip_net *cn,
					struct genl_info *info,
					const struct nla_policy *policy,
					struct casvip_server_cfg *cfg)
{
	struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	struct casvip_service *svc;
	struct casvip_server *srv;
	int ret;

	svc = lookup_service(cn, info, service_name_policy, tb);
	if (IS_ERR(svc))
		return ERR_CAST(svc);
	if (GENL_REQ_ATTR_CHECK(info, CASVIP_A_SERVER))
		return ERR_PTR(-EINVAL);
	ret = parse_server(info->attrs[CASVIP_A_SERVER], policy, cfg,
			   info->extack);
	if (ret)
		return ERR_PTR(ret);
	srv = casvip_server_find(svc, &cfg->addr);
	if (!srv) {
		NL_SET_ERR_MSG_ATTR(info->extack, cfg->attr,
				    "the service has no server of that address");
		return ERR_PTR(-ENOENT);
	}
	return srv;
}

/* Find the server each of @cfgs names. */
static int servers_resolve(struct casvip_service *svc,
			   struct casvip_server_cfg *cfgs, unsigned int n,
			   struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		cfgs[i].srv = casvip_server_find(svc, &cfgs[i].addr);
		if (!cfgs[i].srv) {
			NL_SET_ERR_MSG_ATTR(extack, cfgs[i].attr,
					    "the service has no server of that address");
			return -ENOENT;
		}
	}
	return 0;
}

enum servers_op { SERVERS_NEW, SERVERS_SET, SERVERS_DEL };

/*
 * The events of a change to servers: one per server added or removed (a
 * SET tells of its changes itself: casvip_servers_set() knows them), then
 * the service's state.
 */
static void notify_servers(struct casvip_net *cn, struct casvip_service *svc,
			   const struct casvip_server_cfg *cfgs, unsigned int n,
			   enum servers_op op)
{
	unsigned int i;

	for (i = 0; op != SERVERS_SET && i < n; i++) {
		struct server_gone g = { .svc = svc, .addr = &cfgs[i].addr };

		if (op == SERVERS_NEW)
			casvip_notify_server(cn, CASVIP_CMD_SERVER_NEW,
					     cfgs[i].srv);
		else
			notify(cn, CASVIP_CMD_SERVER_DEL, server_gone_fill, &g);
	}
	notify_state(cn, svc);
}

/* SERVER_NEW, _SET and _DEL: one server, or a list in one go. */
static int servers_doit(struct genl_info *info, enum servers_op op)
{
	static const struct nla_policy *const policies[] = {
		[SERVERS_NEW] = server_policy,
		[SERVERS_SET] = server_policy,
		[SERVERS_DEL] = server_del_policy,
	};
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	struct casvip_server_cfg *cfgs;
	struct casvip_service *svc;
	unsigned int n;
	int ret;

	cfgs = parse_servers(info, policies[op], true, &n);
	if (IS_ERR(cfgs))
		return PTR_ERR(cfgs);
	ret = op == SERVERS_NEW ? servers_check_new(cfgs, n, info->extack) : 0;
	if (ret)
		goto out;
	mutex_lock(&cn->lock);
	svc = lookup_service(cn, info, service_name_policy, tb);
	ret = PTR_ERR_OR_ZERO(svc);
	if (!ret && op != SERVERS_NEW)
		ret = servers_resolve(svc, cfgs, n, info->extack);
	if (!ret) {
		switch (op) {
		case SERVERS_NEW:
			ret = casvip_servers_new(cn, svc, cfgs, n,
						 info->extack);
			break;
		case SERVERS_SET:
			ret = casvip_servers_set(cn, svc, cfgs, n,
						 info->extack);
			break;
		case SERVERS_DEL:
			ret = casvip_servers_del(cn, svc, cfgs, n,
						 info->extack);
			break;
		}
	}
	if (!ret)
		notify_servers(cn, svc, cfgs, n, op);
	mutex_unlock(&cn->lock);
out:
	kvfree(cfgs);
	return ret;
}

static int server_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return servers_doit(info, SERVERS_NEW);
}

static int server_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return servers_doit(info, SERVERS_SET);
}

static int server_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return servers_doit(info, SERVERS_DEL);
}

static int server_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct casvip_server_cfg cfg = {};
	struct casvip_server *srv;
	int ret;

	mutex_lock(&cn->lock);
	srv = server_get(cn, info, server_addr_policy, &cfg);
	if (!IS_ERR(srv))
		casvip_conns_fold(srv->svc);
	ret = IS_ERR(srv) ? PTR_ERR(srv) :
			    reply_one(info, CASVIP_CMD_SERVER_GET,
				      server_fill_any, srv);
	mutex_unlock(&cn->lock);
	return ret;
}

/* The service a dump names; needs cn->lock. */
static struct casvip_service *dump_service(struct netlink_callback *cb,
					   struct casvip_net *cn)
{
	const struct nlattr *const *attrs = casvip_dump_attrs(cb);
	struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	struct casvip_service *svc;
	int ret;

	lockdep_assert_held(&cn->lock);
	if (!attrs[CASVIP_A_SERVICE]) {
		NL_SET_ERR_MSG(cb->extack, "this dump needs a service name");
		return ERR_PTR(-EINVAL);
	}
	ret = nla_parse_nested(tb, CASVIP_A_SERVICE_MAX,
			       attrs[CASVIP_A_SERVICE], service_name_policy,
			       cb->extack);
	if (ret)
		return ERR_PTR(ret);
	if (!tb[CASVIP_A_SERVICE_NAME]) {
		NL_SET_ERR_MSG(cb->extack, "this dump needs a service name");
		return ERR_PTR(-EINVAL);
	}
	svc = casvip_service_find(cn, nla_data(tb[CASVIP_A_SERVICE_NAME]));
	if (!svc) {
		NL_SET_ERR_MSG(cb->extack, "no service of that name");
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

static int server_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct casvip_net *cn = casvip_pernet(sock_net(skb->sk));
	long idx = 0, start = cb->args[0];
	struct casvip_service *svc;
	struct casvip_server *srv;
	void *hdr;

	mutex_lock(&cn->lock);
	svc = dump_service(cb, cn);
	if (IS_ERR(svc)) {
		mutex_unlock(&cn->lock);
		return PTR_ERR(svc);
	}
	cb->seq = cn->generation;
	casvip_conns_fold(svc);
	list_for_each_entry(srv, &svc->servers, list) {
		if (idx++ < start)
			continue;
		hdr = dump_begin(skb, cb, CASVIP_CMD_SERVER_GET);
		if (!hdr)
			break;
		if (server_fill(skb, srv)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = idx;
	}
	mutex_unlock(&cn->lock);
	return skb->len;
}

static int persist_fill(struct sk_buff *skb, const struct casvip_service *svc,
			const struct casvip_persist *e, u32 now)
{
	const struct casvip_server *srv = READ_ONCE(e->srv);
	u32 idle = READ_ONCE(e->idle);
	struct nlattr *nest;

	nest = nla_nest_start(skb, CASVIP_A_SERVICE);
	if (!nest || nla_put_string(skb, CASVIP_A_SERVICE_NAME, svc->name))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	nest = nla_nest_start(skb, CASVIP_A_PERSIST);
	if (!nest ||
	    addr_put(skb, CASVIP_A_PERSIST_CLIENT, svc->family, &e->key.addr) ||
	    addr_put(skb, CASVIP_A_PERSIST_SERVER, svc->family, &srv->addr) ||
	    nla_put_u32(skb, CASVIP_A_PERSIST_CONNS,
			READ_ONCE(e->conns)) ||
	    (idle && nla_put_u32(skb, CASVIP_A_PERSIST_EXPIRES,
				 (u32)max_t(s64, (s64)idle - 1 +
						 READ_ONCE(svc->timeout) - now,
					    0))) ||
	    (e->probe && nla_put_flag(skb, CASVIP_A_PERSIST_UNPROVEN)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* cb->args[0] of a persistence dump. */
struct persist_dump {
	struct casvip_persist_dump d;
	struct casvip_net *cn;
};

static int persist_dump_start(struct netlink_callback *cb)
{
	struct casvip_net *cn = casvip_pernet(sock_net(cb->skb->sk));
	struct casvip_service *svc;
	struct persist_dump *pd;

	pd = kzalloc(sizeof(*pd), GFP_KERNEL);
	if (!pd)
		return -ENOMEM;
	pd->cn = cn;
	mutex_lock(&cn->lock);
	svc = dump_service(cb, cn);
	if (!IS_ERR(svc))
		casvip_persist_dump_begin(svc, &pd->d);
	mutex_unlock(&cn->lock);
	if (IS_ERR(svc)) {
		kfree(pd);
		return PTR_ERR(svc);
	}
	cb->args[0] = (long)pd;
	/* Changes to dump_seq mark the rest of the dump interrupted. */
	cb->seq = 1;
	return 0;
}

/*
 * One part of a persistence dump. Entries come and go with traffic: a
 * dump is a snapshot in motion. It is interrupted (NLM_F_DUMP_INTR) if the
 * table is resized, so that an entry may be seen twice, or if the service
 * is deleted; it never goes on with another service of the same name.
 */
static int persist_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct persist_dump *pd = (struct persist_dump *)cb->args[0];
	u32 now = (u32)ktime_get_seconds();
	struct casvip_service *svc;
	struct casvip_persist *e;
	bool resized = false;
	void *hdr;

	mutex_lock(&pd->cn->lock);
	if (pd->d.ended) {
		/* Interrupted, even before its first message: dump again. */
		mutex_unlock(&pd->cn->lock);
		return -EINTR;
	}
	svc = pd->d.svc;
	if (rhashtable_walk_start_check(&pd->d.iter) == -EAGAIN)
		resized = true;
	for (e = casvip_persist_dump_cur(&pd->d, &resized); e;
	     e = casvip_persist_dump_next(&pd->d, &resized)) {
		if (resized) {
			cb->seq++;
			resized = false;
		}
		hdr = dump_begin(skb, cb, CASVIP_CMD_PERSIST_GET);
		if (!hdr)
			break;
		if (persist_fill(skb, svc, e, now)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	if (resized)
		cb->seq++;
	rhashtable_walk_stop(&pd->d.iter);
	mutex_unlock(&pd->cn->lock);
	return skb->len;
}

static int persist_dump_done(struct netlink_callback *cb)
{
	struct persist_dump *pd = (struct persist_dump *)cb->args[0];

	if (!pd)
		return 0;
	mutex_lock(&pd->cn->lock);
	casvip_persist_dump_end(&pd->d);
	mutex_unlock(&pd->cn->lock);
	kfree(pd);
	return 0;
}

static int persist_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct nlattr *tb[CASVIP_A_PERSIST_MAX + 1];
	struct nlattr *stb[CASVIP_A_SERVICE_MAX + 1];
	union nf_inet_addr client, key;
	struct casvip_service *svc;
	bool one = false;
	int ret = 0;

	if (info->attrs[CASVIP_A_PERSIST]) {
		ret = nla_parse_nested(tb, CASVIP_A_PERSIST_MAX,
				       info->attrs[CASVIP_A_PERSIST],
				       persist_policy, info->extack);
		if (ret)
			return ret;
		if (tb[CASVIP_A_PERSIST_CLIENT]) {
			one = true;
			ret = addr_get(tb[CASVIP_A_PERSIST_CLIENT], &client);
		}
	}
	mutex_lock(&cn->lock);
	svc = lookup_service(cn, info, service_name_policy, stb);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
	} else if (one && ret != svc->family) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[CASVIP_A_PERSIST_CLIENT],
				    "client address is not of the VIP's family");
		ret = -EAFNOSUPPORT;
	} else {
		if (one)
			casvip_persist_mask(svc, &client, &key);
		casvip_persist_flush(svc, one ? &key : NULL);
		ret = 0;
	}
	mutex_unlock(&cn->lock);
	return ret;
}

static int persist_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct nlattr *tb[CASVIP_A_PERSIST_MAX + 1];
	struct nlattr *stb[CASVIP_A_SERVICE_MAX + 1];
	struct nlattr *nest = info->attrs[CASVIP_A_PERSIST];
	union nf_inet_addr client, key, addr;
	struct casvip_service *svc;
	struct casvip_server *srv;
	u8 cfam, sfam;
	int ret;

	ret = parse_nest(info, CASVIP_A_PERSIST, CASVIP_A_PERSIST_MAX,
			 persist_new_policy, tb);
	if (ret)
		return ret;
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, CASVIP_A_PERSIST_CLIENT) ||
	    NL_REQ_ATTR_CHECK(info->extack, nest, tb, CASVIP_A_PERSIST_SERVER))
		return -EINVAL;
	cfam = addr_get(tb[CASVIP_A_PERSIST_CLIENT], &client);
	sfam = addr_get(tb[CASVIP_A_PERSIST_SERVER], &addr);

	mutex_lock(&cn->lock);
	svc = lookup_service(cn, info, service_name_policy, stb);
	if (IS_ERR(svc)) {
		ret = PTR_ERR(svc);
		goto out;
	}
	ret = -EAFNOSUPPORT;
	if (cfam != svc->family || sfam != svc->family) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "address is not of the VIP's family");
		goto out;
	}
	ret = -ENOENT;
	srv = casvip_server_find(svc, &addr);
	if (!srv) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[CASVIP_A_PERSIST_SERVER],
				    "the service has no server of that address");
		goto out;
	}
	ret = -EINVAL;
	if (!svc->timeout) {
		NL_SET_ERR_MSG(info->extack, "the service has no persistence");
		goto out;
	}
	casvip_persist_mask(svc, &client, &key);
	ret = casvip_persist_pin(svc, &key, srv);
	if (ret)
		NL_SET_ERR_MSG(info->extack,
			       "the persistence table is full, or memory short");
out:
	mutex_unlock(&cn->lock);
	return ret;
}

static int persist_learn_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct sk_buff *msg;
	unsigned int learned;
	void *hdr;

	msg = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &casvip_family, 0,
				CASVIP_CMD_PERSIST_LEARN);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	mutex_lock(&cn->lock);
	learned = casvip_conns_learn(cn);
	mutex_unlock(&cn->lock);
	if (nla_put_u32(msg, CASVIP_A_LEARNED, learned)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* The service named, or every one: each ready first, then all zeroed. */
static int zero_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));
	struct nlattr *tb[CASVIP_A_SERVICE_MAX + 1];
	struct casvip_service *svc, *one = NULL;
	int ret = 0;

	mutex_lock(&cn->lock);
	if (info->attrs[CASVIP_A_SERVICE]) {
		one = lookup_service(cn, info, service_name_policy, tb);
		if (IS_ERR(one)) {
			ret = PTR_ERR(one);
			goto out;
		}
	}
	list_for_each_entry(svc, &cn->services, list) {
		if (!one || svc == one)
			ret = casvip_service_zero_prepare(svc);
		if (ret)
			goto out;
	}
	list_for_each_entry(svc, &cn->services, list)
		if (!one || svc == one)
			casvip_service_zero(svc);
out:
	mutex_unlock(&cn->lock);
	return ret;
}

static int flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct casvip_net *cn = casvip_pernet(genl_info_net(info));

	mutex_lock(&cn->lock);
	casvip_flush(cn, true);
	notify(cn, CASVIP_CMD_FLUSH, nothing_fill, NULL);
	mutex_unlock(&cn->lock);
	return 0;
}

/*
 * Every command needs CAP_NET_ADMIN, reads too: persistence lists every
 * client address on the network (IPVS does the same).
 */
#define OP(_cmd, _doit, _dumpit, _policy) {		\
	.cmd = _cmd,					\
	.doit = _doit,					\
	.dumpit = _dumpit,				\
	.policy = _policy,				\
	.maxattr = CASVIP_A_MAX,			\
	.flags = GENL_ADMIN_PERM,			\
}

static const struct genl_ops casvip_ops[] = {
	OP(CASVIP_CMD_SERVICE_NEW, service_new_doit, NULL, service_cfg_req),
	OP(CASVIP_CMD_SERVICE_SET, service_set_doit, NULL, service_cfg_req),
	OP(CASVIP_CMD_SERVICE_DEL, service_del_doit, NULL, service_del_req),
	{
		.cmd = CASVIP_CMD_SERVICE_GET,
		.start = service_dump_start,
		.doit = service_get_doit,
		.dumpit = service_get_dumpit,
		.policy = service_name_req,
		.maxattr = CASVIP_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	OP(CASVIP_CMD_SERVER_NEW, server_new_doit, NULL, server_cfg_req),
	OP(CASVIP_CMD_SERVER_SET, server_set_doit, NULL, server_cfg_req),
	OP(CASVIP_CMD_SERVER_DEL, server_del_doit, NULL, server_del_req),
	OP(CASVIP_CMD_SERVER_GET, server_get_doit, server_get_dumpit,
	   server_addr_req),
	{
		.cmd = CASVIP_CMD_PERSIST_GET,
		.start = persist_dump_start,
		.dumpit = persist_get_dumpit,
		.done = persist_dump_done,
		.policy = persist_req,
		.maxattr = CASVIP_A_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	OP(CASVIP_CMD_PERSIST_DEL, persist_del_doit, NULL, persist_req),
	OP(CASVIP_CMD_PERSIST_NEW, persist_new_doit, NULL, persist_new_req),
	OP(CASVIP_CMD_ZERO, zero_doit, NULL, service_name_req),
	{
		/* No policy: the core refuses any attribute. */
		.cmd = CASVIP_CMD_FLUSH,
		.doit = flush_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = CASVIP_CMD_PERSIST_LEARN,
		.doit = persist_learn_doit,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family casvip_family __ro_after_init = {
	.name = CASVIP_GENL_NAME,
	.version = CASVIP_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = casvip_ops,
	.n_ops = ARRAY_SIZE(casvip_ops),
	.mcgrps = ARRAY_SIZE(casvip_mcgrps) ? casvip_mcgrps : NULL,
	.n_mcgrps = ARRAY_SIZE(casvip_mcgrps),
};

int __init casvip_genl_init(void)
{
	return genl_register_family(&casvip_family);
}

void casvip_genl_exit(void)
{
	/* The GC may be telling of a drained server: let it finish. */
	down_write(&notify_sem);
	notify_off = true;
	up_write(&notify_sem);
	genl_unregister_family(&casvip_family);
}
