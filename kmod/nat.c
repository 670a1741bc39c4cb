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
 * Packets and bytes are counted by conntrack's accounting, which we add to
 * each of our connections while it is unconfirmed: no hook of ours sees an
 * established connection's packets, and the flowtable's counter flag counts
 * those it forwards. A casvip_conn names each connection; the GC, every
 * read of the counters and casvip's own flushes fold what they grew by
 * into the service's and the server's traffic.
 *
 * Services are found through their vnodes (casvip_net.by_vip), which are
 * replaced whole when a service changes, under RCU.
 */
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rhashtable.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_extend.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_conntrack_timeout.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_masquerade.h>

#include "casvip.h"

/*
 * A connection a service NATed, by its original tuple and zone, its
 * counters as last folded, and the persistence entry it holds while it is
 * live. No reference to the connection is held: conntrack frees it when
 * it will (its table's limit and early drop see it as they see any), and
 * the fold looks it up again. A tuple is one connection at a time: when a
 * new one of the same tuple is bound, the record counts it from zero
 * (FRESH, and the entry the new one holds), or, if the fold is just
 * removing it (GOING), the new connection's record takes its place.
 *
 * @state is CONN_LIVE, CONN_GOING, or FRESH: CONN_FRESH, or the entry
 * the new connection holds. The packet path makes it FRESH, the GC LIVE
 * or GOING, each with cmpxchg.
 */
enum conn_state { CONN_LIVE = 0, CONN_GOING, CONN_FRESH };

struct casvip_conn_key {
	struct nf_conntrack_tuple tuple;
	struct nf_conntrack_zone zone;
};

struct casvip_conn {
	struct rhash_head node; /* casvip_service.conns_hash */
	struct casvip_conn_key key;
	union {
		struct llist_node next_new; /* casvip_service.conns_new */
		struct list_head list; /* a slot of casvip_service.conns */
	};
	unsigned long born; /* jiffies, when bound */
	unsigned long due; /* jiffies: the GC folds it from then */
	bool hashed; /* in conns_hash: not if no room could be made */
	unsigned long state; /* enum conn_state, or the FRESH one's entry */
	struct casvip_persist *held; /* the entry it holds, or NULL */
	struct casvip_traffic seen; /* the connection's counters, folded */
	struct rcu_head rcu;
};

static const struct rhashtable_params conn_params = {
	.key_len = sizeof(struct casvip_conn_key),
	.key_offset = offsetof(struct casvip_conn, key),
	.head_offset = offsetof(struct casvip_conn, node),
	.automatic_shrinking = true,
};

/* A connection is confirmed as its first packet leaves: within this. */
#define CASVIP_CONN_PENDING (2 * HZ)

/*
 * The GC folds a connection every second while it carries packets; one
 * that carried nothing since the last fold (or never more than its first
 * packet), at the longest interval it may, and never later than a second
 * after conntrack would time it out: a table of idle connections
 * (TIME_WAIT, a scan's unanswered flows) costs a fraction of the
 * lookups. What an idle connection carries again is folded before
 * conntrack forgets it by timeout: the interval stays
 * CASVIP_CONN_MARGIN below the shortest timeout a packet of its protocol
 * can leave it with, in its namespace (by default TCP's CLOSE, 10 s,
 * which a reset brings; UDP's unreplied 30 s, as a UDP packet sets one of
 * its two, or what a flowtable's teardown leaves). One under a fixed
 * timeout or a timeout policy of its own is folded every second. One that
 * goes otherwise (deleted by hand, dropped early, reopened from
 * TIME_WAIT, killed by a reply that is only a reset or by masquerading's
 * interface going down) can take up to 7 s of its traffic uncounted,
 * 27 s for UDP, a second's if it was busy. A read of the counters folds
 * every connection.
 */
#define CASVIP_CONN_MARGIN (3 * HZ)

static struct kmem_cache *conn_cache __read_mostly;

int casvip_conns_init(struct casvip_service *svc)
{
	int i;

	init_llist_head(&svc->conns_new);
	for (i = 0; i < CASVIP_CONN_SLOTS; i++)
		INIT_LIST_HEAD(&svc->conns[i]);
	svc->conns_next = jiffies / HZ;
	return rhashtable_init(&svc->conns_hash, &conn_params);
}

static void conn_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(conn_cache,
			container_of(head, struct casvip_conn, rcu));
}

/* The key of @t in @z: it is hashed whole, padding and all. */
static void conn_key(struct casvip_conn_key *key,
		     const struct nf_conntrack_tuple *t,
		     const struct nf_conntrack_zone *z)
{
	memset(key, 0, sizeof(*key));
	memcpy(&key->tuple, t, sizeof(key->tuple));
	memcpy(&key->zone, z, sizeof(key->zone));
}

/* @e, held by a connection that is closed or gone, if any. */
static void conn_put(struct casvip_persist *e)
{
	if (e)
		casvip_persist_put(e);
}

/*
 * A new connection of @old's tuple came, holding @e: @old counts it from
 * the GC's next look. CONN_GOING if the GC is removing @old: then it
 * changes nothing. RCU.
 */
static unsigned long conn_refresh(struct casvip_conn *old,
				  struct casvip_persist *e)
{
	unsigned long cur = READ_ONCE(old->state);

	do {
		if (cur == CONN_GOING)
			return cur;
	} while (!try_cmpxchg(&old->state, &cur,
			      e ? (unsigned long)e : CONN_FRESH));
	/* An earlier new connection of the tuple, gone already. */
	if (cur > CONN_FRESH)
		conn_put((struct casvip_persist *)cur);
	return cur;
}

/*
 * Start counting @ct in @svc, unless it is counted already: a record for
 * its tuple is made, or found. @fresh: @ct is new, and a record found for
 * its tuple was another connection's, now gone. @e, the persistence entry
 * @ct holds (or NULL), is the record's to put. RCU.
 */
static void conn_add(struct casvip_service *svc, struct nf_conn *ct,
		     bool fresh, struct casvip_persist *e)
{
	struct casvip_conn *c, *old;

	c = kmem_cache_zalloc(conn_cache, GFP_ATOMIC | __GFP_NOWARN);
	if (!c) {
		conn_put(e);
		return;
	}
	conn_key(&c->key, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple,
		 nf_ct_zone(ct));
	c->born = jiffies;
	c->due = c->born;
	c->state = CONN_LIVE;
	c->held = e;
	old = rhashtable_lookup_get_insert_fast(&svc->conns_hash, &c->node,
						conn_params);
	/* The table could not grow in time: counted all the same, unhashed. */
	if (IS_ERR(old))
		old = NULL;
	else if (!old)
		c->hashed = true;
	/* The fold is removing it: in its place. */
	if (old && fresh && conn_refresh(old, e) == CONN_GOING) {
		c->hashed = !rhashtable_replace_fast(&svc->conns_hash,
						     &old->node, &c->node,
						     conn_params);
		old = NULL;
	} else if (old && fresh) {
		/* Counted from its first second, wherever its record waits. */
		WRITE_ONCE(svc->conns_fresh, 1);
		e = NULL;
	}
	if (!old) {
		llist_add(&c->next_new, &svc->conns_new);
		return;
	}
	/* Learnt again: its record holds the entry it held. */
	conn_put(e);
	kmem_cache_free(conn_cache, c);
}

/*
 * Count @ct, NATed by @svc as @skb, its first packet, came: with
 * conntrack's accounting on it, which goes on while the connection is
 * unconfirmed. @e is the persistence entry @ct holds, or NULL. A
 * connection another engine confirmed already (tc's act_ct), or one for
 * which memory is short, goes uncounted, and holds no entry. RCU.
 */
static void conn_track(struct casvip_service *svc, struct nf_conn *ct,
		       const struct sk_buff *skb, struct casvip_persist *e)
{
	if (nf_ct_is_confirmed(ct))
		goto put;
	/* Accounting off: conntrack saw the first packet without it. */
	if (!nf_conn_acct_find(ct)) {
		if (!nf_ct_ext_add(ct, NF_CT_EXT_ACCT,
				   GFP_ATOMIC | __GFP_NOWARN))
			goto put;
		nf_ct_acct_update(ct, IP_CT_DIR_ORIGINAL, skb->len);
	}
	conn_add(svc, ct, true, e);
	return;
put:
	conn_put(e);
}

/* What a counter at @now added since @seen: from zero if it went back. */
static u64 conn_delta(u64 now, u64 seen)
{
	return now - (now >= seen ? seen : 0);
}

/*
 * Add what @ct, @c's connection, carried since the last fold to @svc's
 * traffic and its server's. Counters that went back were zeroed
 * (ctnetlink's get-and-zero): count them from zero. @busy: whether they
 * had moved, by more than a connection's first packet: one that never
 * carried another (a scan's, a lone datagram's) is folded as an idle one
 * is. False if @ct has no accounting: conntrack drops the extensions of
 * an entry it could not confirm.
 */
static bool conn_fold(struct casvip_service *svc, struct casvip_conn *c,
		      const struct nf_conn *ct, bool *busy)
{
	const struct nf_conn_acct *acct = nf_conn_acct_find(ct);
	struct casvip_traffic now;
	struct casvip_server *srv;
	int dir;

	if (!acct)
		return false;
	for (dir = 0; dir < IP_CT_DIR_MAX; dir++) {
		now.pkts[dir] = atomic64_read(&acct->counter[dir].packets);
		now.bytes[dir] = atomic64_read(&acct->counter[dir].bytes);
	}
	/* Idle since the last fold, as most are: nothing to add. */
	if (!memcmp(&now, &c->seen, sizeof(now)))
		return true;
	*busy = c->seen.pkts[IP_CT_DIR_ORIGINAL] ||
		now.pkts[IP_CT_DIR_ORIGINAL] > 1 || now.pkts[IP_CT_DIR_REPLY];
	srv = casvip_server_find(svc,
				 &ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3);
	for (dir = 0; dir < IP_CT_DIR_MAX; dir++) {
		u64 dp = conn_delta(now.pkts[dir], c->seen.pkts[dir]);
		u64 db = conn_delta(now.bytes[dir], c->seen.bytes[dir]);

		svc->traffic.pkts[dir] += dp;
		svc->traffic.bytes[dir] += db;
		if (srv) {
			srv->traffic.pkts[dir] += dp;
			srv->traffic.bytes[dir] += db;
		}
	}
	c->seen = now;
	return true;
}

/* Not closed, nor closing: UDP, or TCP in neither TIME_WAIT nor CLOSE. */
static bool ct_live(const struct nf_conn *ct)
{
	u8 state;

	if (nf_ct_is_dying(ct))
		return false;
	if (nf_ct_protonum(ct) != IPPROTO_TCP)
		return true;
	state = READ_ONCE(ct->proto.tcp.state);
	return state != TCP_CONNTRACK_TIME_WAIT && state != TCP_CONNTRACK_CLOSE;
}

/* @c's connection, with a reference; NULL if it is not in the table. */
static struct nf_conn *conn_find(struct net *net, const struct casvip_conn *c)
{
	const struct nf_conntrack_tuple_hash *h;

	h = nf_conntrack_find_get(net, &c->key.zone, &c->key.tuple);
	if (!h)
		return NULL;
	/* Another connection's reply that looks like it: not ours. */
	if (NF_CT_DIRECTION(h) != IP_CT_DIR_ORIGINAL) {
		nf_ct_put(nf_ct_tuplehash_to_ctrack(h));
		return NULL;
	}
	return nf_ct_tuplehash_to_ctrack(h);
}

/* The records made since the last fold, onto @to. */
static void conns_take_new(struct casvip_service *svc, struct list_head *to)
{
	struct llist_node *first;
	struct casvip_conn *c, *tmp;

	first = llist_reverse_order(llist_del_all(&svc->conns_new));
	llist_for_each_entry_safe(c, tmp, first, next_new)
		list_add_tail(&c->list, to);
}

/*
 * Into @svc's slot for @c->due's second; a second the GC swept already
 * would wait a whole turn of the ring: the next to sweep instead. One due
 * further than a turn away is looked at early, and put back.
 */
static void conn_slot(struct casvip_service *svc, struct casvip_conn *c)
{
	unsigned long sec = c->due / HZ;

	if ((long)(sec - svc->conns_next) < 0)
		sec = svc->conns_next;
	list_move_tail(&c->list, &svc->conns[sec % CASVIP_CONN_SLOTS]);
}

/*
 * The records the GC looks at now, onto @to: the new ones, and those of
 * every second that ended since it last looked; @all, every one.
 */
static void conns_take_due(struct casvip_service *svc, struct list_head *to,
			   bool all)
{
	unsigned long now = jiffies / HZ;
	unsigned long n = all ? CASVIP_CONN_SLOTS :
			  min_t(unsigned long, now - svc->conns_next,
				CASVIP_CONN_SLOTS);
	unsigned long i;

	conns_take_new(svc, to);
	for (i = 0; i < n; i++)
		list_splice_tail_init(&svc->conns[(svc->conns_next + i) %
						  CASVIP_CONN_SLOTS], to);
	svc->conns_next = now;
}

/* The longest the GC may leave an idle connection unfolded, in jiffies. */
struct conns_quiet {
	unsigned long tcp;
	unsigned long udp;
};

/* @least, the shortest timeout a packet can bring, less the margin. */
static unsigned long conns_quiet_most(unsigned long least)
{
	return least > CASVIP_CONN_MARGIN + HZ ? least - CASVIP_CONN_MARGIN : HZ;
}

/*
 * @net's shortest TCP and UDP timeouts (jiffies, as the sysctls set them),
 * each less CASVIP_CONN_MARGIN; a second at least. A flowtable's
 * teardown leaves a UDP entry its replied timeout less the flowtable's.
 */
static void conns_quiet_init(struct net *net, struct conns_quiet *q)
{
	const struct nf_tcp_net *tn = nf_tcp_pernet(net);
	const struct nf_udp_net *un = nf_udp_pernet(net);
	unsigned long tcp = ULONG_MAX, udp = ULONG_MAX;
	int i;

	/* MAX and IGNORE are no states: their timeouts are 0. */
	for (i = TCP_CONNTRACK_SYN_SENT; i < TCP_CONNTRACK_TIMEOUT_MAX; i++)
		if (i != TCP_CONNTRACK_MAX && i != TCP_CONNTRACK_IGNORE)
			tcp = min_t(unsigned long, tcp, tn->timeouts[i]);
	for (i = 0; i < UDP_CT_MAX; i++)
		udp = min_t(unsigned long, udp, un->timeouts[i]);
#if IS_ENABLED(CONFIG_NF_FLOW_TABLE)
	udp = min_t(unsigned long, udp,
		    un->timeouts[UDP_CT_REPLIED] > un->offload_timeout ?
		    un->timeouts[UDP_CT_REPLIED] - un->offload_timeout : 0);
#endif
	q->tcp = conns_quiet_most(tcp);
	q->udp = conns_quiet_most(udp);
}

/* When the GC folds @ct's record next: it just did; @busy, it had moved. */
static unsigned long conn_due(const struct nf_conn *ct, bool busy,
			      const struct conns_quiet *q)
{
	unsigned long most;

	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		most = q->tcp;
		break;
	case IPPROTO_UDP:
		most = q->udp;
		break;
	default:
		most = min(q->tcp, q->udp);
	}
	/* Timeouts not the namespace's: the interval is not known safe. */
	if (test_bit(IPS_FIXED_TIMEOUT_BIT, &ct->status) ||
	    nf_ct_timeout_find(ct))
		busy = true;
	most = min(most, nf_ct_expires(ct) + 2 * HZ);
	/*
	 * The GC sweeps a second once it ended, at its next run: up to 2 s
	 * after it began. A busy one's is the second now.
	 */
	return busy ? jiffies : jiffies - 2 * HZ + most;
}

/*
 * A new connection of @c's tuple came since the GC last looked: @c counts
 * it from zero, and holds the entry it holds instead of the old one's.
 * Needs casvip_net.lock.
 */
static bool conn_fresh(struct casvip_conn *c)
{
	unsigned long cur = READ_ONCE(c->state);

	do {
		if (cur < CONN_FRESH)
			return false;
	} while (!try_cmpxchg(&c->state, &cur, CONN_LIVE));
	conn_put(c->held);
	c->held = cur > CONN_FRESH ? (struct casvip_persist *)cur : NULL;
	memset(&c->seen, 0, sizeof(c->seen));
	c->born = jiffies;
	c->due = c->born;
	return true;
}

/*
 * Fold the counters of @svc's connections into its traffic and its
 * servers', and forget the connections that are gone; @all: every one,
 * or only those due (the GC). What a connection carried since the last
 * fold (at most a second's while it is busy, up to its protocol's
 * interval if it had been idle) is lost if it goes before the next:
 * deleted by hand, or dropped early by conntrack at its table's limit.
 * Those that close wait in TIME_WAIT or time out, and casvip folds before
 * it deletes connections itself. The GC looks only at the records of the
 * seconds that ended since its last run, as the ring holds them. Needs
 * casvip_net.lock, which keeps others from removing records.
 */
static void conns_fold(struct casvip_service *svc, bool all)
{
	struct net *net = svc->cn->net;
	struct casvip_conn *c, *tmp;
	struct conns_quiet q;
	LIST_HEAD(todo);

	lockdep_assert_held(&svc->cn->lock);
	conns_quiet_init(net, &q);
	/* A record made FRESH waits in any slot: all are looked at. */
	conns_take_due(svc, &todo, xchg(&svc->conns_fresh, 0) || all);
	list_for_each_entry_safe(c, tmp, &todo, list) {
		bool gone, busy = false;
		struct nf_conn *ct;

		if (!conn_fresh(c) && !all && time_before(jiffies, c->due)) {
			conn_slot(svc, c);
			cond_resched();
			continue;
		}
		ct = conn_find(net, c);

		if (ct)
			gone = !conn_fold(svc, c, ct, &busy) ||
			       nf_ct_is_dying(ct);
		else
			gone = time_after(jiffies,
					  c->born + CASVIP_CONN_PENDING);
		/* A new connection of the tuple found it meanwhile: stays. */
		if (gone && c->hashed)
			gone = cmpxchg(&c->state, CONN_LIVE, CONN_GOING) ==
			       CONN_LIVE;
		/* Its client may go idle once it closed. */
		if (gone || (ct && !ct_live(ct))) {
			conn_put(c->held);
			c->held = NULL;
		}
		if (gone) {
			if (c->hashed)
				rhashtable_remove_fast(&svc->conns_hash,
						       &c->node, conn_params);
			list_del(&c->list);
			call_rcu(&c->rcu, conn_free_rcu);
		} else {
			/* No @ct, not confirmed yet: again in a second. */
			c->due = ct ? conn_due(ct, busy, &q) : jiffies;
			conn_slot(svc, c);
		}
		if (ct)
			nf_ct_put(ct);
		cond_resched();
	}
}

void casvip_conns_fold(struct casvip_service *svc)
{
	conns_fold(svc, true);
}

void casvip_conns_fold_due(struct casvip_service *svc)
{
	conns_fold(svc, false);
}

/*
 * @e's first connection is gone from the conntrack table: its record
 * holds @e no more, although the GC may not look at it for seconds.
 * Needs casvip_net.lock.
 */
void casvip_conns_ended(struct casvip_service *svc, struct casvip_persist *e)
{
	struct casvip_conn_key key;
	struct casvip_conn *c;

	lockdep_assert_held(&svc->cn->lock);
	conn_key(&key, &e->probe->tuple, &e->probe->zone);
	rcu_read_lock();
	c = rhashtable_lookup(&svc->conns_hash, &key, conn_params);
	if (c && c->held == e) {
		casvip_persist_put(e);
		c->held = NULL;
	}
	rcu_read_unlock();
}

/*
 * Count @svc's connections no more: it is gone, and no packet reaches it.
 * Needs casvip_net.lock.
 */
void casvip_conns_release(struct casvip_service *svc)
{
	struct casvip_conn *c, *tmp;
	LIST_HEAD(all);

	lockdep_assert_held(&svc->cn->lock);
	rhashtable_destroy(&svc->conns_hash);
	conns_take_due(svc, &all, true);
	list_for_each_entry_safe(c, tmp, &all, list) {
		conn_fresh(c);
		conn_put(c->held);
		kmem_cache_free(conn_cache, c);
		cond_resched();
	}
}

int __init casvip_conn_cache_init(void)
{
	conn_cache = KMEM_CACHE(casvip_conn, 0);
	return conn_cache ? 0 : -ENOMEM;
}

void casvip_conn_cache_exit(void)
{
	kmem_cache_destroy(conn_cache);
}

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

static struct casvip_vnode *tuple_vnode(struct casvip_net *cn,
					const struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	if (t->dst.protonum != IPPROTO_TCP && t->dst.protonum != IPPROTO_UDP)
		return NULL;
	return casvip_vnode_match(cn, nf_ct_l3num(ct), t->dst.protonum,
				  &t->dst.u3, ntohs(t->dst.u.all));
}

/*
 * For a port an endpoint mapper's answer opened: the vnode of the service
 * that answer came through, if it still follows. RCU.
 */
static struct casvip_vnode *followed_vnode(struct casvip_net *cn,
					   const struct nf_conn *ct)
{
	struct casvip_vnode *v;

	if (!casvip_epm_child(ct))
		return NULL;
	v = tuple_vnode(cn, ct->master);
	return v && v->nfollow ? v : NULL;
}

/* The vnode of the service @ct is a connection of. RCU. */
static struct casvip_vnode *ct_vnode(struct casvip_net *cn,
				     const struct nf_conn *ct)
{
	return followed_vnode(cn, ct) ?: tuple_vnode(cn, ct);
}

static unsigned int reject(const struct casvip_vnode *v, int range, u16 port,
			   struct sk_buff *skb,
			   const struct nf_hook_state *state)
{
	casvip_stats_drop(v->svc->stats, false);
	/* A port a mapper's answer opened is none of the list's. */
	if (range >= 0)
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

/*
 * @e, or else the entry that binds @client to @srv, held by @ct, its new
 * connection; NULL if there is no room for one. RCU.
 */
static struct casvip_persist *hold_bound(struct casvip_service *svc,
					 struct casvip_persist *e,
					 const union nf_inet_addr *client,
					 struct casvip_server *srv,
					 const struct nf_conn *ct)
{
	if (!e)
		e = casvip_persist_bind(svc, client, srv, ct);
	if (!e || casvip_persist_hold(e))
		return e;
	/* The entry went (expired) as the connection came: make it again. */
	e = casvip_persist_bind(svc, client, srv, ct);
	return e && casvip_persist_hold(e) ? e : NULL;
}

/*
 * The server for @ct, a connection an endpoint mapper's answer opened:
 * the one whose mapper answered, if it can take it (NULL if not). It holds
 * its client's entry (*@ep), unless the client is another server's.
 */
static struct casvip_server *follow_master(struct casvip_service *svc,
					   struct nf_conn *ct,
					   const union nf_inet_addr *client,
					   struct casvip_persist **ep)
{
	const struct nf_conn *master = ct->master;
	struct casvip_persist *e = NULL;
	struct casvip_server *srv, *cur;

	srv = casvip_server_find(svc,
				 &master->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3);
	if (!srv || !casvip_server_usable(srv))
		return NULL;
	if (READ_ONCE(svc->timeout)) {
		cur = casvip_persist_lookup(svc, client, &e);
		if (cur && cur != srv)
			return srv;
	}
	*ep = hold_bound(svc, e, client, srv, ct);
	return srv;
}

/*
 * The server for a new connection of @client: its own, or a new one. The
 * connection holds the client's entry (*@ep), if there is room for one.
 */
static struct casvip_server *choose(struct casvip_service *svc,
				    struct nf_conn *ct,
				    const union nf_inet_addr *client,
				    struct casvip_persist **ep)
{
	struct casvip_persist *e = NULL;
	struct casvip_server *srv = NULL;

	if (READ_ONCE(svc->timeout)) {
		srv = casvip_persist_lookup(svc, client, &e);
		if (srv && !casvip_server_usable(srv))
			srv = NULL;
	}
	if (!srv) {
		srv = casvip_schedule(svc, client);
		if (!srv)
			return NULL;
		e = NULL;
	}
	e = hold_bound(svc, e, client, srv, ct);
	*ep = e;
	/* Another CPU may have bound this client first. */
	return e ? adopt(e, srv) : srv;
}

/* @follow: @ct's port was opened by a mapper's answer through @v. */
static unsigned int dnat(const struct casvip_vnode *v, struct nf_conn *ct,
			 bool follow, struct sk_buff *skb,
			 const struct nf_hook_state *state)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct nf_nat_range2 range = { .flags = NF_NAT_RANGE_MAP_IPS };
	struct casvip_service *svc = v->svc;
	u16 port = ntohs(t->dst.u.all);
	int entry = casvip_port_index(&v->match, port);
	struct casvip_persist *e = NULL;
	union nf_inet_addr client;
	struct casvip_server *srv;
	unsigned int verdict;

	casvip_persist_mask(svc, &t->src.u3, &client);
	srv = follow ? follow_master(svc, ct, &client, &e) : NULL;
	/* Not followed, or its mapper's server gone: a port of the service's. */
	if (!srv && (!follow || casvip_match_port(&v->match, port)))
		srv = choose(svc, ct, &client, &e);
	if (!srv)
		return reject(v, entry, port, skb, state);
	range.min_addr = srv->addr;
	range.max_addr = srv->addr;
	verdict = nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
	if (verdict != NF_ACCEPT) {
		conn_put(e);
		casvip_stats_drop(svc->stats, true);
		casvip_stats_drop(srv->stats, true);
		return verdict;
	}
	conn_track(svc, ct, skb, e);
	atomic_inc(&srv->active);
	casvip_stats_conn(svc->stats);
	casvip_stats_conn(srv->stats);
	if (entry >= 0)
		casvip_stats_port(v, entry, port, false);
	casvip_watch(srv, ct);
	/* Read its endpoint mapper's answers (a following service is TCP). */
	if (v->nfollow && port == CASVIP_EPM_PORT)
		casvip_epm_attach(ct);
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
	struct casvip_vnode *v, *fv;
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct)
		return NF_ACCEPT;
	/* New, or expected by our helper: not another's expectation. */
	if (ctinfo != IP_CT_NEW &&
	    (ctinfo != IP_CT_RELATED || !casvip_epm_child(ct)))
		return NF_ACCEPT;
	/* SNAT is for what was DNATed: the others need no lookup. */
	if (state->hook == NF_INET_POST_ROUTING &&
	    !test_bit(IPS_DST_NAT_BIT, &ct->status))
		return NF_ACCEPT;
	fv = followed_vnode(cn, ct);
	v = fv ?: tuple_vnode(cn, ct);
	if (!v)
		return NF_ACCEPT;
	if (state->hook == NF_INET_POST_ROUTING)
		return snat(v, ct, skb, state);
	return dnat(v, ct, !!fv, skb, state);
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
	nat_unregister(cn->net, ARRAY_SIZE(nat_ops4), ARRAY_SIZE(nat_ops6));
	nf_ct_netns_put(cn->net, NFPROTO_INET);
	cn->hooked = false;
}

/* Is @ct @m's? A port a mapper's answer opened is its master's service's. */
static bool ct_matches(const struct nf_conn *ct, const struct casvip_match *m)
{
	const struct nf_conn *claimed = casvip_epm_child(ct) ? ct->master : ct;
	const struct nf_conntrack_tuple *o =
		&claimed->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	return nf_ct_l3num(ct) == m->family && o->dst.protonum == m->proto &&
	       nf_inet_addr_cmp(&o->dst.u3, &m->vip) &&
	       casvip_match_port(m, ntohs(o->dst.u.all));
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
 * are retiring (and flush_conns) reconnect at once. One walk for them all,
 * after a fold: their traffic counts to the end.
 */
void casvip_conns_flush_retired(struct casvip_net *cn,
				struct casvip_service *svc)
{
	struct nf_ct_iter_data d = { .net = cn->net, .data = svc };

	lockdep_assert_held(&cn->lock);
	casvip_conns_fold(svc);
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
	casvip_conns_fold(svc);
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

/*
 * A live connection a service NATed to one of its servers: count it, and
 * learn its client.
 */
static int learn_iter(struct nf_conn *ct, void *data)
{
	const struct nf_conntrack_tuple *o =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct casvip_persist *e = NULL;
	struct learn *l = data;
	union nf_inet_addr client;
	struct casvip_server *srv;
	struct casvip_vnode *v;

	if (!test_bit(IPS_DST_NAT_BIT, &ct->status) || !ct_live(ct))
		return 0;
	v = ct_vnode(l->cn, ct);
	if (!v)
		return 0;
	/*
	 * Another box NATed it (conntrackd copied it here): it counts, and
	 * holds its client's entry, if it carries accounting
	 * (net.netfilter.nf_conntrack_acct was on as it came); else the
	 * client's entry lives its timeout from now. If memory is short, the
	 * next learn tries again. Bottom halves are off, which RCU honours;
	 * lockdep wants the lock.
	 */
	rcu_read_lock();
	srv = casvip_server_find(v->svc,
				 &ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3);
	if (READ_ONCE(v->svc->timeout) && srv && casvip_server_usable(srv)) {
		casvip_persist_mask(v->svc, &o->src.u3, &client);
		e = casvip_persist_learn(v->svc, &client, srv);
		l->learned += !!e;
	}
	if (nf_conn_acct_find(ct))
		conn_add(v->svc, ct, false,
			 e && casvip_persist_hold(e) ? e : NULL);
	rcu_read_unlock();
	return 0;
}

/*
 * Persistence from the conntrack table: connections learnt. learn_iter()
 * runs under a bucket lock and takes the persistence locks, which nest
 * none of conntrack's.
 */
unsigned int casvip_conns_learn(struct casvip_net *cn)
{
	struct learn l = { .cn = cn };
	struct nf_ct_iter_data d = { .net = cn->net, .data = &l };

	lockdep_assert_held(&cn->lock);
	nf_ct_iterate_cleanup_net(learn_iter, &d);
	return l.learned;
}
