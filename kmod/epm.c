// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: following the RPC endpoint mapper (CASVIP_A_SERVICE_FOLLOW).
 *
 * A client asks the endpoint mapper on VIP:135 where an interface
 * listens, and connects to the port it is told, on the VIP. The
 * "casvip-epm" conntrack helper rides on the connections a following
 * service NATs to port 135 and reads their DCE/RPC PDUs (dce.c) both
 * ways: which transfer syntax each presentation context speaks (a bind
 * or alter_context, and its answer), which call is an ept_map, and the
 * towers of that call's response. For each tower of an interface the
 * service follows, it expects the client at VIP:port (the nf_conntrack_ftp
 * pattern); the NAT hook sends the connection that comes there to the
 * server whose mapper answered (casvip_epm_child()).
 *
 * An expectation lives as long as the connection to 135 that made it
 * (conntrack keeps a closed one two minutes, in TIME_WAIT: the ASA's
 * two-minute pinholes), and never more than EPM_TIMEOUT: a client that
 * still asks the mapper for the same interface gets it again. A newer
 * answer for the same client and port replaces an older one's. A port
 * below 1024, or one another service of the VIP claims, is never opened.
 *
 * A service holds at most casvip_epm_limit() expectations. It counts
 * those it makes, one less for each older one a newer answer replaces;
 * while it holds any, the namespace's GC counts those that live again
 * once a second (casvip_epm_count()), so that those that expired, or went
 * with their connection to 135, or by conntrack's hand, count no more.
 *
 * Packets are read in sequence, whole PDUs at a time; a PDU split over
 * segments, a segment out of step, or bytes that are no PDU end the
 * reading of that connection. Those, and ports that could not be opened
 * (conntrack's expectation table full), count as declined
 * (CASVIP_A_STATS_DECLINED).
 */
#include <linux/spinlock.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include "casvip.h"
#include "dce.h"

#define EPM_OPNUM_MAP 3
/* Seconds an expectation lives at most: conntrackd's resync horizon. */
#define EPM_TIMEOUT 300
/* Expectations of one connection to 135, at most: the oldest go. */
#define EPM_MAX_EXPECTED 16
/* The presentation contexts of an association kept track of. */
#define EPM_CTXS 6
/* Towers of one answer that can be followed. */
#define EPM_TOWERS 8
/* The longest segment read: a larger one is declined. */
#define EPM_BUF 4096

enum {
	EPM_SYNC_ORIG = BIT(0),		/* next_seq[ORIGINAL] is known */
	EPM_SYNC_REPLY = BIT(1),	/* next_seq[REPLY] is known */
	EPM_MAP_ASKED = BIT(2),		/* map_call is an ept_map */
	EPM_LOST = BIT(3),		/* out of step: read no more */
};

/* What the helper knows of one connection: nf_conn_help's data. */
struct epm_state {
	u32 next_seq[IP_CT_DIR_MAX];	/* where each way's next PDU starts */
	u32 map_call;			/* the ept_map call awaiting its answer */
	u16 ctx[EPM_CTXS];		/* the contexts offered so far */
	u8 nctx;
	u8 offered;			/* the first of those awaiting an answer */
	u8 accepted;			/* bit i: ctx[i] was accepted */
	u8 ndr64;			/* bit i: ... with NDR64 */
	u8 flags;
};

/* One buffer for every connection's segment, as nf_conntrack_ftp's. */
static DEFINE_SPINLOCK(epm_lock);
static u8 *epm_buf;

static const struct nf_conntrack_expect_policy epm_policy = {
	.max_expected = EPM_MAX_EXPECTED,
	.timeout = EPM_TIMEOUT,
	.name = "casvip-epm",
};

static struct nf_conntrack_helper epm_helpers[2] __read_mostly;
/* Cleared before the helpers go: nothing attaches them after. */
static bool epm_enabled __read_mostly;

static bool epm_ours(const struct nf_conntrack_helper *helper)
{
	return helper == &epm_helpers[0] || helper == &epm_helpers[1];
}

/*
 * The service @ct, a connection a service NATed to port 135, is of; not
 * one the helper was given some other way (nft's ct helper). RCU.
 */
static struct casvip_vnode *epm_vnode(const struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	if (t->dst.u.tcp.port != htons(CASVIP_EPM_PORT) ||
	    !test_bit(IPS_DST_NAT_BIT, &ct->status))
		return NULL;
	return casvip_vnode_match(casvip_pernet(nf_ct_net(ct)),
				  nf_ct_l3num(ct), IPPROTO_TCP, &t->dst.u3,
				  CASVIP_EPM_PORT);
}

/*
 * The most expectations @svc holds: as set, or the size conntrack gives
 * its own table by default (nf_conntrack_expect_init()).
 */
u32 casvip_epm_limit(const struct casvip_service *svc)
{
	return READ_ONCE(svc->follow_max) ?:
	       4 * max(READ_ONCE(nf_conntrack_htable_size) / 256, 1U);
}

static bool epm_follows(const struct casvip_vnode *v,
			const struct dce_tower *t)
{
	unsigned int i;

	for (i = 0; i < v->nfollow; i++)
		if (!memcmp(v->follow[i].uuid, t->uuid, 16) &&
		    v->follow[i].major == t->major)
			return true;
	return false;
}

/*
 * May @v open @port of its VIP? Not below 1024, nor a port another of
 * its VIP's services claims. RCU.
 */
static bool epm_may_open(const struct casvip_vnode *v, u16 port)
{
	struct casvip_vnode *other;

	if (port < CASVIP_EPM_PORT_MIN)
		return false;
	other = casvip_vnode_match(v->svc->cn, v->match.family, IPPROTO_TCP,
				   &v->match.vip, port);
	return !other || other == v;
}

/*
 * Expect @ct's client at its VIP:@port, one of @svc's. The expectation of
 * an earlier answer for the same client and port gives way first. RCU,
 * epm_lock.
 */
static bool epm_expect(struct nf_conn *ct, struct casvip_service *svc,
		       u16 port)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct nf_conntrack_expect *exp, *old;
	__be16 dport = htons(port);
	u32 n = svc->expected;
	bool full;
	int ret;

	exp = nf_ct_expect_alloc(ct);
	if (!exp)
		return false;
	nf_ct_expect_init(exp, NF_CT_EXPECT_CLASS_DEFAULT, nf_ct_l3num(ct),
			  &t->src.u3, &t->dst.u3, IPPROTO_TCP, NULL, &dport);
	/* Every connection of the client to the port, not the first only. */
	exp->flags |= NF_CT_EXPECT_PERMANENT;
	old = nf_ct_expect_find_get(nf_ct_net(ct), nf_ct_zone(ct), &exp->tuple);
	/* Ours, on the service's VIP: the service's. */
	if (old) {
		if (epm_ours(rcu_access_pointer(old->helper))) {
			nf_ct_unexpect_related(old);
			n -= !!n;
		}
		nf_ct_expect_put(old);
	}
	/* Holding all it may, @ct gives its oldest up for this one. */
	full = nfct_help(ct)->expecting[NF_CT_EXPECT_CLASS_DEFAULT] >=
	       EPM_MAX_EXPECTED;
	ret = full || n < casvip_epm_limit(svc) ?
	      nf_ct_expect_related(exp, 0) : -ENOSPC;
	nf_ct_expect_put(exp);
	WRITE_ONCE(svc->expected, n + (!ret && !full));
	return !ret;
}

/* The index of context @id among those the bind offered, or -1. */
static int epm_ctx(const struct epm_state *st, u16 id)
{
	int i;

	for (i = 0; i < st->nctx; i++)
		if (st->ctx[i] == id)
			return i;
	return -1;
}

/*
 * A client's PDU: the contexts it offers (a bind starts the association
 * anew, an alter_context adds to it), the ept_map it asks.
 */
static int epm_from_client(struct epm_state *st, const u8 *pdu,
			   const struct dce_hdr *h)
{
	unsigned int n;
	u16 ctx, opnum;
	int err;

	switch (h->ptype) {
	case DCE_BIND:
	case DCE_ALTER:
		if (h->ptype == DCE_BIND) {
			st->nctx = 0;
			st->accepted = 0;
			st->ndr64 = 0;
		}
		err = dce_contexts(pdu, h->frag_len, h, st->ctx + st->nctx,
				   EPM_CTXS - st->nctx, &n);
		if (err)
			return err;
		st->offered = st->nctx;
		st->nctx += n;
		return DCE_OK;
	case DCE_REQUEST:
		err = dce_call(pdu, h->frag_len, h, &ctx, &opnum);
		if (err)
			return err;
		if (opnum == EPM_OPNUM_MAP) {
			st->map_call = h->call_id;
			st->flags |= EPM_MAP_ASKED;
		}
		return DCE_OK;
	default:
		return DCE_OK;
	}
}

/* An ept_map's answer: expect the client at each port it names. */
static int epm_answer(struct nf_conn *ct, struct epm_state *st,
		      const struct casvip_vnode *v, const u8 *pdu,
		      const struct dce_hdr *h)
{
	struct dce_tower towers[EPM_TOWERS];
	unsigned int i, n;
	u16 ctx, opnum;
	u32 status;
	int err, k;

	st->flags &= ~EPM_MAP_ASKED;
	err = dce_call(pdu, h->frag_len, h, &ctx, &opnum);
	if (err)
		return err;
	/* The syntax of its context, as the bind's answer accepted it. */
	k = epm_ctx(st, ctx);
	if (k < 0 || !(st->accepted & BIT(k)))
		return DCE_E_NDR;
	err = dce_ept_map_towers(pdu, h->frag_len, h, st->ndr64 & BIT(k),
				 towers, EPM_TOWERS, &n, &status);
	if (err)
		return err;
	/* Not registered, or any failure: nothing to follow. */
	if (status)
		return DCE_OK;
	for (i = 0; i < n; i++) {
		if (!towers[i].port || !epm_follows(v, &towers[i]) ||
		    !epm_may_open(v, towers[i].port))
			continue;
		if (epm_expect(ct, v->svc, towers[i].port))
			atomic64_inc(&v->svc->followed);
		else
			atomic64_inc(&v->svc->declined);
	}
	return DCE_OK;
}

/* A server's PDU: which contexts it accepted, the answers it gives. */
static int epm_from_server(struct nf_conn *ct, struct epm_state *st,
			   const struct casvip_vnode *v, const u8 *pdu,
			   const struct dce_hdr *h)
{
	struct dce_result res[EPM_CTXS];
	unsigned int i, n;
	int err;

	switch (h->ptype) {
	case DCE_BIND_ACK:
	case DCE_ALTER_RESP:
		err = dce_results(pdu, h->frag_len, h, res, EPM_CTXS, &n);
		if (err)
			return err;
		/* In the order of the contexts the bind or alter offered. */
		for (i = 0; i < n && st->offered + i < st->nctx; i++) {
			if (res[i].result)
				continue;
			st->accepted |= BIT(st->offered + i);
			if (res[i].syntax == DCE_SYNTAX_NDR64)
				st->ndr64 |= BIT(st->offered + i);
		}
		return DCE_OK;
	case DCE_RESPONSE:
		if (!(st->flags & EPM_MAP_ASKED) || h->call_id != st->map_call)
			return DCE_OK;
		return epm_answer(ct, st, v, pdu, h);
	default:
		return DCE_OK;
	}
}

/* The whole PDUs of a segment: false if it holds anything else. */
static bool epm_read(struct nf_conn *ct, struct epm_state *st,
		     const struct casvip_vnode *v, enum ip_conntrack_dir dir,
		     const u8 *buf, unsigned int len)
{
	unsigned int off;
	struct dce_hdr h;
	int err;

	for (off = 0; off < len; off += h.frag_len) {
		err = dce_hdr(buf + off, len - off, &h);
		/* The rest of it is in the next segment: declined. */
		if (!err && h.frag_len > len - off)
			err = DCE_MORE;
		if (!err)
			err = dir == IP_CT_DIR_ORIGINAL ?
			      epm_from_client(st, buf + off, &h) :
			      epm_from_server(ct, st, v, buf + off, &h);
		if (err)
			return false;
	}
	return true;
}

static int epm_help(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	enum ip_conntrack_dir dir = CTINFO2DIR(ctinfo);
	struct epm_state *st = nfct_help_data(ct);
	u8 sync = dir == IP_CT_DIR_ORIGINAL ? EPM_SYNC_ORIG : EPM_SYNC_REPLY;
	const struct casvip_vnode *v;
	unsigned int dataoff, len;
	const struct tcphdr *th;
	struct tcphdr _th;
	const u8 *data;
	u32 seq;

	if (READ_ONCE(st->flags) & EPM_LOST)
		return NF_ACCEPT;
	th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	seq = ntohl(th->seq);
	dataoff = protoff + th->doff * 4;
	len = dataoff < skb->len ? skb->len - dataoff : 0;
	/* A bare ACK says nothing: no lookup, no lock for it. */
	if (!len && !th->syn)
		return NF_ACCEPT;
	spin_lock_bh(&epm_lock);
	/*
	 * Looked up under the lock: once casvip_epm_forget() has closed what
	 * a service's old interfaces opened, nothing opens more of them.
	 */
	v = epm_vnode(ct);
	if (!v || !v->nfollow || (st->flags & EPM_LOST))
		goto out;
	/* Each way's first PDU starts after its SYN (data on it is none). */
	if (th->syn) {
		st->next_seq[dir] = seq + 1;
		st->flags |= sync;
		if (len)
			goto lost;
		goto out;
	}
	/* Where its PDUs start is not known. */
	if (!(st->flags & sync))
		goto lost;
	/* Sent again, and read already. */
	if (seq != st->next_seq[dir] && !after(seq + len, st->next_seq[dir]))
		goto out;
	data = NULL;
	if (seq == st->next_seq[dir] && len <= EPM_BUF)
		data = skb_header_pointer(skb, dataoff, len, epm_buf);
	st->next_seq[dir] = seq + len;
	if (data && epm_read(ct, st, v, dir, data, len))
		goto out;
lost:
	WRITE_ONCE(st->flags, st->flags | EPM_LOST);
	atomic64_inc(&v->svc->declined);
out:
	spin_unlock_bh(&epm_lock);
	return NF_ACCEPT;
}

/*
 * Read @ct, a new connection a following service NATs to port 135 of a
 * server. Unconfirmed: its extensions can still grow.
 */
void casvip_epm_attach(struct nf_conn *ct)
{
	struct nf_conntrack_helper *helper;
	struct nf_conn_help *help;

	if (!READ_ONCE(epm_enabled) || nf_ct_is_confirmed(ct) ||
	    test_bit(IPS_HELPER_BIT, &ct->status))
		return;
	helper = &epm_helpers[nf_ct_l3num(ct) == NFPROTO_IPV6];
	help = nf_ct_helper_ext_add(ct, GFP_ATOMIC);
	if (!help)
		return;
	rcu_assign_pointer(help->helper, helper);
	set_bit(IPS_HELPER_BIT, &ct->status);
}

/*
 * Is @ct a connection an answer of the endpoint mapper opened? Its master
 * is ours while it has our helper (only compared, never followed).
 */
bool casvip_epm_child(const struct nf_conn *ct)
{
	const struct nf_conntrack_helper *helper;
	const struct nf_conn_help *help;

	if (!ct->master || !test_bit(IPS_EXPECTED_BIT, &ct->status))
		return false;
	help = nfct_help(ct->master);
	if (!help)
		return false;
	helper = rcu_access_pointer(help->helper);
	return epm_ours(helper);
}

static bool epm_of(struct nf_conntrack_expect *exp, void *data)
{
	const struct casvip_match *m = data;
	const struct nf_conntrack_tuple *t =
		&exp->master->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	return epm_ours(rcu_access_pointer(exp->helper)) &&
	       nf_ct_l3num(exp->master) == m->family &&
	       nf_inet_addr_cmp(&t->dst.u3, &m->vip) &&
	       t->dst.u.tcp.port == htons(CASVIP_EPM_PORT);
}

/*
 * Close the ports the answers on @m's port 135 opened: what @svc follows,
 * or its VIP, changed.
 */
void casvip_epm_forget(struct casvip_service *svc,
		       const struct casvip_match *m)
{
	spin_lock_bh(&epm_lock);
	nf_ct_expect_iterate_net(svc->cn->net, epm_of, (void *)m, 0, 0);
	WRITE_ONCE(svc->expected, 0);
	spin_unlock_bh(&epm_lock);
}

/* One more of its service's, if @exp is a live one of ours. */
static bool epm_tally(struct nf_conntrack_expect *exp, void *data)
{
	struct casvip_vnode *v;

	if (!epm_ours(rcu_access_pointer(exp->helper)) ||
	    nf_ct_exp_is_expired(exp))
		return false;
	v = epm_vnode(exp->master);
	if (v)
		v->svc->tally++;
	return false;
}

/*
 * Count again the expectations each following service of @cn holds: those
 * that expired, or went with their master or by conntrack's hand, go
 * uncounted. cn->lock.
 */
void casvip_epm_count(struct casvip_net *cn)
{
	struct casvip_service *svc;
	bool any = false;

	lockdep_assert_held(&cn->lock);
	/* Only a count above 0 can be too high: the walk is not free. */
	list_for_each_entry(svc, &cn->services, list) {
		svc->tally = 0;
		any |= casvip_vnode(svc)->nfollow && READ_ONCE(svc->expected);
	}
	if (!any)
		return;
	/* Answers meanwhile wait: what they add is not lost. */
	spin_lock_bh(&epm_lock);
	rcu_read_lock();
	nf_ct_expect_iterate_net(cn->net, epm_tally, NULL, 0, 0);
	rcu_read_unlock();
	list_for_each_entry(svc, &cn->services, list)
		WRITE_ONCE(svc->expected, svc->tally);
	spin_unlock_bh(&epm_lock);
}

int __init casvip_epm_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct epm_state) >
		     sizeof_field(struct nf_conn_help, data));
	epm_buf = kmalloc(EPM_BUF, GFP_KERNEL);
	if (!epm_buf)
		return -ENOMEM;
	nf_ct_helper_init(&epm_helpers[0], AF_INET, IPPROTO_TCP, "casvip-epm",
			  CASVIP_EPM_PORT, CASVIP_EPM_PORT, 0, &epm_policy, 0,
			  epm_help, NULL, THIS_MODULE);
	nf_ct_helper_init(&epm_helpers[1], AF_INET6, IPPROTO_TCP,
			  "casvip-epm", CASVIP_EPM_PORT, CASVIP_EPM_PORT, 0,
			  &epm_policy, 0, epm_help, NULL, THIS_MODULE);
	ret = nf_conntrack_helpers_register(epm_helpers,
					    ARRAY_SIZE(epm_helpers));
	if (ret) {
		kfree(epm_buf);
		return ret;
	}
	WRITE_ONCE(epm_enabled, true);
	return 0;
}

/*
 * Before the namespaces' state goes: no connection reads it through the
 * helper after this. The NAT hooks attach it no more, and those that
 * were attaching it are done after a grace period; unregistering takes
 * it off every connection, and ends its expectations.
 */
void casvip_epm_exit(void)
{
	WRITE_ONCE(epm_enabled, false);
	synchronize_rcu();
	nf_conntrack_helpers_unregister(epm_helpers, ARRAY_SIZE(epm_helpers));
	kfree(epm_buf);
}
