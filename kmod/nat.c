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
 *
 * Services are found through their vnodes (casvip_net.by_vip), which are
 * replaced whole when a service changes, under RCU.
 */
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_masquerade.h>

#include "casvip.h"

/* The vnode of the service a connection to @vip:@port is for. RCU. */
struct casvip_vnode *casvip_vnode_match(struct casvip_net *cn, u8 family,
					u8 proto,
					const union nf_inet_addr *vip,
					u16 port)
{
	struct casvip_vnode *v;

	hash_for_each_possible_rcu(cn->by_vip, v, node,
				   casvip_vip_hash(family, proto, vip)) {
		const struct casvip_match *m = &v->match;

		if (m->family == family && m->proto == proto &&
		    !READ_ONCE(v->dying) &&
		    nf_inet_addr_cmp(&m->vip, vip) &&
		    casvip_match_port(m, port))
			return v;
	}
	return NULL;
}

static struct casvip_vnode *ct_vnode(struct casvip_net *cn,
				     const struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	if (t->dst.protonum != IPPROTO_TCP && t->dst.protonum != IPPROTO_UDP)
		return NULL;
	return casvip_vnode_match(cn, nf_ct_l3num(ct), t->dst.protonum,
				  &t->dst.u3, ntohs(t->dst.u.all));
}

static unsigned int reject(const struct casvip_vnode *v, int range, u16 port,
			   struct sk_buff *skb,
			   const struct nf_hook_state *state)
{
	casvip_stats_drop(v->svc->stats, false);
	casvip_stats_port(v, range, port, true);
	if (v->match.proto == IPPROTO_TCP) {
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

/* The server of @e if it can take the client, or else @srv. */
static struct casvip_server *adopt(const struct casvip_persist *e,
				   struct casvip_server *srv)
{
	struct casvip_server *cur = READ_ONCE(e->srv);

	return casvip_server_usable(cur) ? cur : srv;
}

static unsigned int dnat(const struct casvip_vnode *v, struct nf_conn *ct,
			 struct sk_buff *skb,
			 const struct nf_hook_state *state)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct nf_nat_range2 range = { .flags = NF_NAT_RANGE_MAP_IPS };
	struct casvip_service *svc = v->svc;
	struct casvip_persist *e = NULL;
	u16 port = ntohs(t->dst.u.all);
	int entry = casvip_port_index(&v->match, port);
	struct casvip_server *srv = NULL;
	union nf_inet_addr client;
	unsigned int verdict;

	casvip_persist_mask(svc, &t->src.u3, &client);
	if (READ_ONCE(svc->timeout)) {
		srv = casvip_persist_lookup(svc, &client, &e);
		if (srv && !casvip_server_usable(srv))
			srv = NULL;
	}
	if (!srv) {
		srv = casvip_schedule(svc, &client);
		if (!srv)
			return reject(v, entry, port, skb, state);
		e = casvip_persist_bind(svc, &client, srv, ct);
	}
	/* The entry went (expired) as the connection came: make it again. */
	if (e && !casvip_persist_track(e, state->net, skb, state->pf)) {
		e = casvip_persist_bind(svc, &client, srv, ct);
		if (e)
			casvip_persist_track(e, state->net, skb, state->pf);
	}
	/* Another CPU may have bound this client first. */
	if (e)
		srv = adopt(e, srv);

	range.min_addr = srv->addr;
	range.max_addr = srv->addr;
	verdict = nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
	if (verdict != NF_ACCEPT) {
		casvip_stats_drop(svc->stats, true);
		casvip_stats_drop(srv->stats, true);
		return verdict;
	}
	atomic_inc(&srv->active);
	casvip_stats_conn(svc->stats);
	casvip_stats_conn(srv->stats);
	casvip_stats_port(v, entry, port, false);
	casvip_watch(srv, ct);
	return verdict;
}

static unsigned int snat(const struct casvip_vnode *v, struct nf_conn *ct,
			 struct sk_buff *skb,
			 const struct nf_hook_state *state)
{
	struct nf_nat_range2 range = { .flags = NF_NAT_RANGE_MAP_IPS };

	switch (v->snat) {
	case CASVIP_SNAT_MASQUERADE:
		if (state->pf == NFPROTO_IPV4)
			return nf_nat_masquerade_ipv4(skb, state->hook, &range,
						      state->out);
		return nf_nat_masquerade_ipv6(skb, &range, state->out);
	case CASVIP_SNAT_ADDR:
		range.min_addr = v->snat_addr;
		range.max_addr = v->snat_addr;
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
	struct casvip_vnode *v;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW)
		return NF_ACCEPT;
	v = ct_vnode(cn, ct);
	if (!v)
		return NF_ACCEPT;
	if (state->hook != NF_INET_POST_ROUTING)
		return dnat(v, ct, skb, state);
	if (test_bit(IPS_DST_NAT_BIT, &ct->status))
		return snat(v, ct, skb, state);
	return NF_ACCEPT;
}

static unsigned int casvip_count_fn(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct casvip_net *cn = casvip_pernet(state->net);
	enum ip_conntrack_info ctinfo;
	struct casvip_server *srv;
	struct casvip_vnode *v;
	struct nf_conn *ct;
	bool in;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || !test_bit(IPS_DST_NAT_BIT, &ct->status))
		return NF_ACCEPT;
	v = ct_vnode(cn, ct);
	if (!v)
		return NF_ACCEPT;
	srv = casvip_server_lookup(v->svc,
				   &ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3);
	in = CTINFO2DIR(ctinfo) == IP_CT_DIR_ORIGINAL;
	casvip_stats_packet(v->svc->stats, in, skb->len);
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

static bool ct_matches(const struct nf_conn *ct, const struct casvip_match *m)
{
	const struct nf_conntrack_tuple *o =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	return nf_ct_l3num(ct) == m->family && o->dst.protonum == m->proto &&
	       nf_inet_addr_cmp(&o->dst.u3, &m->vip) &&
	       casvip_match_port(m, ntohs(o->dst.u.all));
}

/* Not closed, nor closing: TCP short of TIME_WAIT, or UDP. BH off. */
static bool ct_live(const struct nf_conn *ct)
{
	return !nf_ct_is_dying(ct) &&
	       (nf_ct_protonum(ct) != IPPROTO_TCP ||
		READ_ONCE(ct->proto.tcp.state) < TCP_CONNTRACK_TIME_WAIT);
}

/*
 * @ct, of @svc (and @srv, if still one of its servers), is ended by the
 * balancer: count it if it was live. The walks hold casvip_net.lock.
 */
static void count_ended(struct casvip_service *svc, struct casvip_server *srv,
			const struct nf_conn *ct)
{
	if (!ct_live(ct))
		return;
	svc->counts.ended++;
	if (srv)
		srv->counts.ended++;
}

/* A connection of @data's service to one of its retiring servers? */
static int retired_iter(struct nf_conn *ct, void *data)
{
	struct casvip_service *svc = data;
	struct casvip_server *srv;

	if (!ct_matches(ct, &casvip_vnode(svc)->match))
		return 0;
	srv = casvip_server_find(svc,
				 &ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3);
	if (!srv || !srv->flush_conns)
		return 0;
	count_ended(svc, srv, ct);
	return 1;
}

/*
 * What `conntrack -D` would do: the clients of the servers of @svc that
 * are retiring (and flush_conns) reconnect at once. One walk for them all.
 */
void casvip_conns_flush_retired(struct casvip_net *cn,
				struct casvip_service *svc)
{
	struct nf_ct_iter_data d = { .net = cn->net, .data = svc };

	lockdep_assert_held(&cn->lock);
	nf_ct_iterate_cleanup_net(retired_iter, &d);
}

/*
 * @fn(v) for each dying vnode @ct is for (of services deleted, maybe long
 * ago with keep_conns), until it says stop: then true. BH off (conntrack's
 * iteration) or RCU.
 */
static bool walk_dying(struct casvip_net *cn, const struct nf_conn *ct,
		       bool (*fn)(struct casvip_vnode *v))
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct casvip_vnode *v;

	hash_for_each_possible_rcu(cn->by_vip, v, node,
				   casvip_vip_hash(nf_ct_l3num(ct),
						   t->dst.protonum,
						   &t->dst.u3)) {
		if (v->dying && ct_matches(ct, &v->match) && !fn(v))
			return true;
	}
	return false;
}

/* Go on while they are kept: stop at one whose connections go. */
static bool kept(struct casvip_vnode *v)
{
	return v->keep_conns;
}

/* A connection to a service being deleted, not with keep_conns? */
static int dying_iter(struct nf_conn *ct, void *data)
{
	return walk_dying(data, ct, kept);
}

/* The connections of the services being deleted: one walk for them all. */
void casvip_conns_flush_dying(struct casvip_net *cn)
{
	struct nf_ct_iter_data d = { .net = cn->net, .data = cn };

	lockdep_assert_held(&cn->lock);
	nf_ct_iterate_cleanup_net(dying_iter, &d);
}

struct moved {
	struct casvip_service *svc;
	const struct casvip_match *from, *to;
};

/* A connection @from matched and @to does not? */
static int moved_iter(struct nf_conn *ct, void *data)
{
	const struct nf_conntrack_tuple *r = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	struct moved *m = data;

	if (!ct_matches(ct, m->from) || ct_matches(ct, m->to))
		return 0;
	count_ended(m->svc, casvip_server_find(m->svc, &r->src.u3), ct);
	return 1;
}

/*
 * A service's VIP or ports changed: its connections to what it no longer
 * claims belong to no service, as those of a deleted one.
 */
void casvip_conns_flush_moved(struct casvip_net *cn,
			      struct casvip_service *svc,
			      const struct casvip_match *from,
			      const struct casvip_match *to)
{
	struct moved m = { .svc = svc, .from = from, .to = to };
	struct nf_ct_iter_data d = { .net = cn->net, .data = &m };

	lockdep_assert_held(&cn->lock);
	nf_ct_iterate_cleanup_net(moved_iter, &d);
}

static bool mark_seen(struct casvip_vnode *v)
{
	if (v->keep_conns)
		v->seen = true;
	return true;
}

static int kept_iter(struct nf_conn *ct, void *data)
{
	walk_dying(data, ct, mark_seen);
	return 0;
}

/* Mark the kept vnodes that still have a connection: seen. */
void casvip_conns_kept_seen(struct casvip_net *cn)
{
	struct nf_ct_iter_data d = { .net = cn->net, .data = cn };

	lockdep_assert_held(&cn->lock);
	nf_ct_iterate_cleanup_net(kept_iter, &d);
}

struct learn {
	struct casvip_net *cn;
	unsigned int learned;
};

/* A live connection a service NATed to one of its servers: learn it. */
static int learn_iter(struct nf_conn *ct, void *data)
{
	const struct nf_conntrack_tuple *o =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct learn *l = data;
	union nf_inet_addr client;
	struct casvip_server *srv;
	struct casvip_vnode *v;

	if (!test_bit(IPS_DST_NAT_BIT, &ct->status) || !ct_live(ct))
		return 0;
	v = ct_vnode(l->cn, ct);
	if (!v || !READ_ONCE(v->svc->timeout))
		return 0;
	srv = casvip_server_find(v->svc,
				 &ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3);
	if (!srv || !casvip_server_usable(srv))
		return 0;
	casvip_persist_mask(v->svc, &o->src.u3, &client);
	/* Bottom halves are off, which RCU honours; lockdep wants the lock. */
	rcu_read_lock();
	l->learned += casvip_persist_learn(v->svc, &client, srv);
	rcu_read_unlock();
	return 0;
}

/*
 * Persistence from the conntrack table: connections learnt. learn_iter()
 * runs under a bucket lock and takes the persistence locks: those nest a
 * connection list's lock outside them, never inside (nf_conncount takes a
 * bucket lock under it, to reap an expired connection).
 */
unsigned int casvip_conns_learn(struct casvip_net *cn)
{
	struct learn l = { .cn = cn };
	struct nf_ct_iter_data d = { .net = cn->net, .data = &l };

	lockdep_assert_held(&cn->lock);
	nf_ct_iterate_cleanup_net(learn_iter, &d);
	return l.learned;
}
