// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: the datapath.
 *
 * The NAT core calls casvip_nat_fn() for the first packet of every
 * connection (as it calls nft_chain_nat's chains): for a connection to a
 * service we pick the real server and set up DNAT, and at POST_ROUTING the
 * service's SNAT, with nf_nat_setup_info(); conntrack rewrites every later
 * packet and the replies. Connections that are not ours get no binding
 * here, so other NAT users still see them.
 *
 * casvip_count_fn() counts the packets and bytes of our connections.
 */
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_masquerade.h>

#include "casvip.h"

struct casvip_service *casvip_service_match(struct casvip_net *cn, u8 family,
					    u8 proto,
					    const union nf_inet_addr *vip,
					    u16 port)
{
	struct casvip_service *svc;

	hash_for_each_possible_rcu(cn->by_vip, svc, vip_node,
				   casvip_vip_hash(family, proto, vip)) {
		const struct casvip_match *m = &svc->match;

		if (m->family == family && m->proto == proto &&
		    nf_inet_addr_cmp(&m->vip, vip) &&
		    casvip_match_port(m, port))
			return svc;
	}
	return NULL;
}

static struct casvip_service *
ct_service(struct casvip_net *cn, const struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	if (t->dst.protonum != IPPROTO_TCP && t->dst.protonum != IPPROTO_UDP)
		return NULL;
	return casvip_service_match(cn, nf_ct_l3num(ct), t->dst.protonum,
				    &t->dst.u3, ntohs(t->dst.u.all));
}

static unsigned int reject(struct casvip_service *svc, struct sk_buff *skb,
			   const struct nf_hook_state *state)
{
	casvip_stats_drop(svc->stats);
	if (svc->match.proto == IPPROTO_TCP) {
		if (state->pf == NFPROTO_IPV4)
			nf_send_reset(state->net, state->sk, skb, state->hook);
		else
			nf_send_reset6(state->net, state->sk, skb, state->hook);
	} else {
		if (state->pf == NFPROTO_IPV4)
			nf_send_unreach(skb, ICMP_PORT_UNREACH, state->hook);
		else
			nf_send_unreach6(state->net, skb, ICMPV6_PORT_UNREACH,
					 state->hook);
	}
	return NF_DROP;
}

static unsigned int dnat(struct casvip_service *svc, struct nf_conn *ct,
			 struct sk_buff *skb,
			 const struct nf_hook_state *state)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct nf_nat_range2 range = { .flags = NF_NAT_RANGE_MAP_IPS };
	struct casvip_persist *e = NULL;
	struct casvip_server *srv = NULL;
	union nf_inet_addr client;

	casvip_persist_mask(svc, &t->src.u3, &client);
	if (READ_ONCE(svc->timeout)) {
		srv = casvip_persist_lookup(svc, &client, &e);
		if (srv && !casvip_server_usable(srv))
			srv = NULL;
	}
	if (!srv) {
		srv = casvip_schedule(svc, &client);
		if (!srv)
			return reject(svc, skb, state);
		e = casvip_persist_bind(svc, &client, srv);
		/* Another CPU may have bound this client first. */
		if (e && casvip_server_usable(READ_ONCE(e->srv)))
			srv = READ_ONCE(e->srv);
	}
	if (e && !casvip_conncount_add(state->net, skb, state->pf, &e->conns))
		WRITE_ONCE(e->idle_since, 0);
	atomic_inc(&srv->active);
	casvip_stats_conn(svc->stats);
	casvip_stats_conn(srv->stats);

	range.min_addr = srv->addr;
	range.max_addr = srv->addr;
	return nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
}

static unsigned int snat(struct casvip_service *svc, struct nf_conn *ct,
			 struct sk_buff *skb,
			 const struct nf_hook_state *state)
{
	struct nf_nat_range2 range = { .flags = NF_NAT_RANGE_MAP_IPS };

	switch (READ_ONCE(svc->snat)) {
	case CASVIP_SNAT_MASQUERADE:
		if (state->pf == NFPROTO_IPV4)
			return nf_nat_masquerade_ipv4(skb, state->hook, &range,
						      state->out);
		return nf_nat_masquerade_ipv6(skb, &range, state->out);
	case CASVIP_SNAT_ADDR:
		range.min_addr = svc->snat_addr;
		range.max_addr = svc->snat_addr;
		return nf_nat_setup_info(ct, &range, NF_NAT_MANIP_SRC);
	default:
		return NF_ACCEPT;
	}
}

static unsigned int casvip_nat_fn(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct casvip_net *cn = casvip_pernet(state->net);
	enum ip_conntrack_info ctinfo;
	struct casvip_service *svc;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW)
		return NF_ACCEPT;
	svc = ct_service(cn, ct);
	if (!svc)
		return NF_ACCEPT;
	if (state->hook != NF_INET_POST_ROUTING)
		return dnat(svc, ct, skb, state);
	if (test_bit(IPS_DST_NAT_BIT, &ct->status))
		return snat(svc, ct, skb, state);
	return NF_ACCEPT;
}

static unsigned int casvip_count_fn(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct casvip_net *cn = casvip_pernet(state->net);
	enum ip_conntrack_info ctinfo;
	struct casvip_service *svc;
	struct casvip_server *srv;
	struct nf_conn *ct;
	bool in;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || !test_bit(IPS_DST_NAT_BIT, &ct->status))
		return NF_ACCEPT;
	svc = ct_service(cn, ct);
	if (!svc)
		return NF_ACCEPT;
	srv = casvip_server_lookup(svc,
				   &ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3);
	in = CTINFO2DIR(ctinfo) == IP_CT_DIR_ORIGINAL;
	casvip_stats_packet(svc->stats, in, skb->len);
	if (srv)
		casvip_stats_packet(srv->stats, in, skb->len);
	return NF_ACCEPT;
}

#define NAT_OP(_pf, _hook, _prio) {		\
	.hook = casvip_nat_fn,			\
	.pf = _pf,				\
	.hooknum = _hook,			\
	.priority = _prio,			\
}

static const struct nf_hook_ops nat_ops4[] = {
	NAT_OP(NFPROTO_IPV4, NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST),
	NAT_OP(NFPROTO_IPV4, NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST),
	NAT_OP(NFPROTO_IPV4, NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC),
};

static const struct nf_hook_ops nat_ops6[] = {
	NAT_OP(NFPROTO_IPV6, NF_INET_PRE_ROUTING, NF_IP6_PRI_NAT_DST),
	NAT_OP(NFPROTO_IPV6, NF_INET_LOCAL_OUT, NF_IP6_PRI_NAT_DST),
	NAT_OP(NFPROTO_IPV6, NF_INET_POST_ROUTING, NF_IP6_PRI_NAT_SRC),
};

/* After DNAT, so that the first packet of a connection counts too. */
#define COUNT_OP(_pf, _hook) {			\
	.hook = casvip_count_fn,		\
	.pf = _pf,				\
	.hooknum = _hook,			\
	.priority = NF_IP_PRI_NAT_DST + 1,	\
}

static const struct nf_hook_ops count_ops[] = {
	COUNT_OP(NFPROTO_IPV4, NF_INET_PRE_ROUTING),
	COUNT_OP(NFPROTO_IPV4, NF_INET_LOCAL_OUT),
	COUNT_OP(NFPROTO_IPV6, NF_INET_PRE_ROUTING),
	COUNT_OP(NFPROTO_IPV6, NF_INET_LOCAL_OUT),
};

static void nat_unregister(struct net *net, unsigned int n4, unsigned int n6)
{
	while (n6)
		nf_nat_ipv6_unregister_fn(net, &nat_ops6[--n6]);
	while (n4)
		nf_nat_ipv4_unregister_fn(net, &nat_ops4[--n4]);
}

/*
 * Hook into a namespace when it gets its first service: a namespace
 * without services pays nothing, not even conntrack.
 */
int casvip_hooks_register(struct casvip_net *cn)
{
	struct net *net = cn->net;
	unsigned int n4 = 0, n6 = 0;
	int ret;

	lockdep_assert_held(&cn->lock);
	ret = nf_ct_netns_get(net, NFPROTO_INET);
	if (ret)
		return ret;
	for (; n4 < ARRAY_SIZE(nat_ops4); n4++) {
		ret = nf_nat_ipv4_register_fn(net, &nat_ops4[n4]);
		if (ret)
			goto err;
	}
	for (; n6 < ARRAY_SIZE(nat_ops6); n6++) {
		ret = nf_nat_ipv6_register_fn(net, &nat_ops6[n6]);
		if (ret)
			goto err;
	}
	ret = nf_register_net_hooks(net, count_ops, ARRAY_SIZE(count_ops));
	if (ret)
		goto err;
	cn->hooked = true;
	queue_delayed_work(system_power_efficient_wq, &cn->gc, HZ);
	return 0;
err:
	nat_unregister(net, n4, n6);
	nf_ct_netns_put(net, NFPROTO_INET);
	return ret;
}

void casvip_hooks_unregister(struct casvip_net *cn)
{
	lockdep_assert_held(&cn->lock);
	nf_unregister_net_hooks(cn->net, count_ops, ARRAY_SIZE(count_ops));
	nat_unregister(cn->net, ARRAY_SIZE(nat_ops4), ARRAY_SIZE(nat_ops6));
	nf_ct_netns_put(cn->net, NFPROTO_INET);
	cn->hooked = false;
}

struct flush_ctx {
	const struct casvip_service *svc;
	const struct casvip_server *srv;
};

/* A connection of this service to this real server? */
static int flush_iter(struct nf_conn *ct, void *data)
{
	const struct nf_conntrack_tuple *o =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	const struct nf_conntrack_tuple *r =
		&ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	const struct flush_ctx *f = data;
	const struct casvip_match *m = &f->svc->match;

	return nf_ct_l3num(ct) == m->family && o->dst.protonum == m->proto &&
	       nf_inet_addr_cmp(&o->dst.u3, &m->vip) &&
	       casvip_match_port(m, ntohs(o->dst.u.all)) &&
	       nf_inet_addr_cmp(&r->src.u3, &f->srv->addr);
}

/* What `conntrack -D` would do: the server's clients reconnect at once. */
void casvip_conns_flush(struct casvip_net *cn, struct casvip_server *srv)
{
	struct flush_ctx ctx = { .svc = srv->svc, .srv = srv };
	struct nf_ct_iter_data d = { .net = cn->net, .data = &ctx };

	nf_ct_iterate_cleanup_net(flush_iter, &d);
}
