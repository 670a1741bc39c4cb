// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: source-address persistence, one table per service.
 *
 * An entry maps a client (its address under the service's netmask) to a
 * real server, and counts the client's live connections: each holds it
 * from its first packet until the GC, which folds its counters (nat.c),
 * finds it closed or gone from the conntrack table. The packet path
 * looks entries up and adds new ones under RCU; they are moved and removed
 * only with casvip_net.lock held: by the GC once a client has had no
 * connection for the persistence timeout, or when a server or the service
 * goes away.
 *
 * A new entry is unproven until its first connection is ASSURED in
 * conntrack (the handshake completed: no spoofed source gets there), and
 * until then it lives only as long as its connections. Proven entries live
 * the timeout after their last connection. At the table's limit the
 * eviction removes unproven entries, oldest first, then idle ones; never a
 * proven client with a live connection.
 *
 * The same walk recounts each server's live connections, which lc and wlc
 * schedule by.
 */
#include <linux/inetdevice.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>

#include "casvip.h"

#define CASVIP_GC_INTERVAL HZ
/* Every so many GC runs, look for kept connections that are all gone. */
#define CASVIP_KEPT_REAP_RUNS 60
/* Entries walked between two chances to reschedule. */
#define CASVIP_GC_BATCH 64

static struct kmem_cache *persist_cache __read_mostly;
static struct kmem_cache *probe_cache __read_mostly;

static const struct rhashtable_params persist_params = {
	.key_len = sizeof(struct casvip_pkey),
	.key_offset = offsetof(struct casvip_persist, key),
	.head_offset = offsetof(struct casvip_persist, node),
	.automatic_shrinking = true,
};

int casvip_persist_init(struct casvip_service *svc)
{
	INIT_LIST_HEAD(&svc->persist_new);
	INIT_LIST_HEAD(&svc->persist_live);
	INIT_LIST_HEAD(&svc->persist_idle);
	INIT_LIST_HEAD(&svc->dumps);
	spin_lock_init(&svc->persist_lock);
	atomic_set(&svc->npersist, 0);
	return rhashtable_init(&svc->persist, &persist_params);
}

/* The most entries @svc keeps: its persist-max, or nf_conntrack_max. */
u32 casvip_persist_limit(const struct casvip_service *svc)
{
	return READ_ONCE(svc->persist_max) ?: READ_ONCE(nf_conntrack_max);
}

void casvip_persist_mask(const struct casvip_service *svc,
			 const union nf_inet_addr *addr,
			 union nf_inet_addr *key)
{
	u8 netmask = READ_ONCE(svc->netmask);

	memset(key, 0, sizeof(*key));
	if (svc->family == NFPROTO_IPV4)
		key->ip = addr->ip & inet_make_mask(netmask);
	else
		ipv6_addr_prefix(&key->in6, &addr->in6, netmask);
}

struct casvip_server *casvip_persist_lookup(struct casvip_service *svc,
					    const union nf_inet_addr *client,
					    struct casvip_persist **ep)
{
	struct casvip_pkey key = { .addr = *client };
	struct casvip_persist *e;

	e = rhashtable_lookup(&svc->persist, &key, persist_params);
	*ep = e;
	return e ? READ_ONCE(e->srv) : NULL;
}

static void probe_free(struct casvip_probe *p)
{
	if (p != CASVIP_PROBE_LOST)
		kmem_cache_free(probe_cache, p);
}

static void persist_free_rcu(struct rcu_head *head)
{
	struct casvip_persist *e = container_of(head, struct casvip_persist,
						rcu);

	kmem_cache_free(persist_cache, e);
}

/* At the limit: ask for an eviction, at most ten times a second. */
static void persist_full(struct casvip_service *svc)
{
	unsigned long next = READ_ONCE(svc->evict_next);

	if (time_before(jiffies, next) ||
	    cmpxchg(&svc->evict_next, next, jiffies + HZ / 10) != next)
		return;
	queue_work(system_power_efficient_wq, &svc->cn->evict);
}

/*
 * The entry for @client, bound to @srv: found, rebound from a server that
 * can no longer take it, or created, unproven if @ct is its first
 * connection. NULL if memory is short or the table full. RCU.
 */
struct casvip_persist *casvip_persist_bind(struct casvip_service *svc,
					   const union nf_inet_addr *client,
					   struct casvip_server *srv,
					   const struct nf_conn *ct)
{
	struct casvip_pkey key = { .addr = *client };
	struct casvip_persist *e, *old;
	struct casvip_server *cur;
	u32 max;

	if (!READ_ONCE(svc->timeout))
		key.srv = srv;
	e = rhashtable_lookup(&svc->persist, &key, persist_params);
	if (e) {
		cur = READ_ONCE(e->srv);
		if (cur != srv && !casvip_server_usable(cur))
			cmpxchg(&e->srv, cur, srv);
		return e;
	}
	max = casvip_persist_limit(svc);
	if (max && atomic_read(&svc->npersist) >= max) {
		persist_full(svc);
		return NULL;
	}

	e = kmem_cache_alloc(persist_cache, GFP_ATOMIC);
	if (!e)
		return NULL;
	e->key = key;
	e->srv = srv;
	e->idle = 0;
	e->gone = false;
	e->conns = 0;
	spin_lock_init(&e->lock);
	e->probe = NULL;
	if (ct && key.srv) {
		/* Without persistence it only counts: nothing to prove. */
		e->probe = CASVIP_PROBE_LOST;
	} else if (ct) {
		/* Without a probe it cannot be proven: it dies unproven. */
		e->probe = kmem_cache_alloc(probe_cache, GFP_ATOMIC) ?:
			   CASVIP_PROBE_LOST;
		if (e->probe != CASVIP_PROBE_LOST) {
			e->probe->tuple = ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
			e->probe->zone = *nf_ct_zone(ct);
			e->probe->born = (u32)jiffies;
		}
	}
	/*
	 * In the table and on its list at once: whoever finds it can move
	 * it. The GC walks the list without the lock: publish it whole.
	 */
	spin_lock_bh(&svc->persist_lock);
	old = rhashtable_lookup_get_insert_fast(&svc->persist, &e->node,
						persist_params);
	if (!old)
		list_add_tail_rcu(&e->list, e->probe ? &svc->persist_new :
						       &svc->persist_live);
	spin_unlock_bh(&svc->persist_lock);
	if (old) {
		/* Another CPU was first, or the table is full. */
		if (e->probe)
			probe_free(e->probe);
		kmem_cache_free(persist_cache, e);
		return IS_ERR(old) ? NULL : old;
	}
	atomic_inc(&svc->npersist);
	return e;
}

/*
 * A new connection holds @e, until casvip_persist_put(). False if the
 * entry was removed meanwhile. An entry goes by itself only when none
 * holds it, and by force (its client, server or service removed, the
 * service's netmask changed, evicted unproven) with its holders: they
 * put it, their connections counted no more, and the last frees it. RCU.
 */
bool casvip_persist_hold(struct casvip_persist *e)
{
	bool held;

	spin_lock_bh(&e->lock);
	held = !e->gone;
	if (held) {
		WRITE_ONCE(e->conns, e->conns + 1);
		WRITE_ONCE(e->idle, 0);
	}
	spin_unlock_bh(&e->lock);
	return held;
}

/* A connection that held @e is closed or gone. RCU, or casvip_net.lock. */
void casvip_persist_put(struct casvip_persist *e)
{
	bool last;

	spin_lock_bh(&e->lock);
	if (WARN_ON_ONCE(!e->conns)) {
		spin_unlock_bh(&e->lock);
		return;
	}
	WRITE_ONCE(e->conns, e->conns - 1);
	last = e->gone && !e->conns;
	spin_unlock_bh(&e->lock);
	if (last)
		call_rcu(&e->rcu, persist_free_rcu);
}

static void persist_move(struct casvip_service *svc, struct casvip_persist *e,
			 struct list_head *to)
{
	spin_lock_bh(&svc->persist_lock);
	list_move_tail(&e->list, to);
	spin_unlock_bh(&svc->persist_lock);
}

/*
 * @e's first connection completed its handshake (a real client's), or
 * someone vouches for it: no longer unproven.
 */
static void persist_proven(struct casvip_service *svc, struct casvip_persist *e)
{
	persist_move(svc, e, &svc->persist_live);
	probe_free(e->probe);
	e->probe = NULL;
}

/* Bind @client to @srv whatever it was bound to. Needs casvip_net.lock. */
int casvip_persist_pin(struct casvip_service *svc,
		       const union nf_inet_addr *client,
		       struct casvip_server *srv)
{
	struct casvip_persist *e;

	rcu_read_lock();
	e = casvip_persist_bind(svc, client, srv, NULL);
	if (e) {
		WRITE_ONCE(e->srv, srv);
		/* The admin vouches for the client. */
		if (e->probe)
			persist_proven(svc, e);
	}
	rcu_read_unlock();
	return e ? 0 : -ENOMEM;
}

/*
 * Remove @e, unless it has a connection and @force is false. Needs
 * casvip_net.lock.
 */
static bool persist_unlink(struct casvip_service *svc, struct casvip_persist *e,
			   bool force)
{
	struct casvip_probe *probe;
	bool held;

	spin_lock_bh(&e->lock);
	held = e->conns;
	if (!force && held) {
		spin_unlock_bh(&e->lock);
		return false;
	}
	spin_lock(&svc->persist_lock);
	/*
	 * Out of the table before it is marked: a packet that sees the mark
	 * binds its client again, and must not find the entry.
	 */
	rhashtable_remove_fast(&svc->persist, &e->node, persist_params);
	e->gone = true;
	list_del(&e->list);
	spin_unlock(&svc->persist_lock);
	probe = e->probe;
	e->probe = NULL;
	spin_unlock_bh(&e->lock);
	/* Held, it is its last holder's to free: from now, at any time. */
	atomic_dec(&svc->npersist);
	if (probe)
		probe_free(probe);
	if (!held)
		call_rcu(&e->rcu, persist_free_rcu);
	return true;
}

/*
 * Bind @client to @srv as a new connection to it would, proven: its
 * connection is in the conntrack table (another box of a pair made it).
 * An idle entry starts its timeout again. The entry, or NULL if memory
 * is short or the table full. Needs casvip_net.lock; RCU.
 */
struct casvip_persist *casvip_persist_learn(struct casvip_service *svc,
					    const union nf_inet_addr *client,
					    struct casvip_server *srv)
{
	struct casvip_persist *e = casvip_persist_bind(svc, client, srv, NULL);
	u32 idle;

	if (!e)
		return NULL;
	if (e->probe)
		persist_proven(svc, e);
	/* A connection that comes meanwhile clears it: then leave it. */
	idle = READ_ONCE(e->idle);
	if (idle && cmpxchg(&e->idle, idle, (u32)ktime_get_seconds() + 1) == idle)
		persist_move(svc, e, &svc->persist_idle);
	return e;
}

/* Onto the idle list, if no connection came meanwhile. */
static bool persist_go_idle(struct casvip_service *svc,
			    struct casvip_persist *e, u32 now)
{
	bool idle;

	spin_lock_bh(&e->lock);
	idle = !e->conns;
	if (idle) {
		WRITE_ONCE(e->idle, now + 1);
		spin_lock(&svc->persist_lock);
		list_move_tail(&e->list, &svc->persist_idle);
		spin_unlock(&svc->persist_lock);
	}
	spin_unlock_bh(&e->lock);
	return idle;
}

/* What a walk does to each entry; false ends the walk. */
typedef bool (*persist_fn)(struct casvip_service *svc,
			   struct casvip_persist *e, void *arg);

/*
 * Call @fn for each entry on @head when the walk starts, without holding
 * persist_lock (nor bottom halves off) in between. @fn may move or remove
 * the entry it is given. Only holders of casvip_net.lock move or remove
 * entries, so the walk's cursor stays valid; the packet path appends new
 * entries under persist_lock with list_add_tail_rcu(), and those are left
 * for the next walk.
 */
static void persist_walk(struct casvip_service *svc, struct list_head *head,
			 persist_fn fn, void *arg)
{
	struct list_head *pos, *next, *last;
	unsigned int n = 0;
	bool end;

	lockdep_assert_held(&svc->cn->lock);
	spin_lock_bh(&svc->persist_lock);
	pos = head->next;
	last = head->prev;
	spin_unlock_bh(&svc->persist_lock);
	if (pos == head)
		return;
	do {
		end = pos == last;
		next = READ_ONCE(pos->next);
		if (!fn(svc, list_entry(pos, struct casvip_persist, list), arg))
			return;
		pos = next;
		if (!(++n % CASVIP_GC_BATCH))
			cond_resched();
	} while (!end);
}

static void persist_walk_all(struct casvip_service *svc, persist_fn fn,
			     void *arg)
{
	persist_walk(svc, &svc->persist_new, fn, arg);
	persist_walk(svc, &svc->persist_live, fn, arg);
	persist_walk(svc, &svc->persist_idle, fn, arg);
}

static bool flush_client(struct casvip_service *svc, struct casvip_persist *e,
			 void *client)
{
	if (!client || nf_inet_addr_cmp(&e->key.addr, client))
		persist_unlink(svc, e, true);
	return true;
}

/* Remove the entries of @client, or all (NULL). Needs casvip_net.lock. */
void casvip_persist_flush(struct casvip_service *svc,
			  const union nf_inet_addr *client)
{
	struct casvip_pkey key = {};
	struct casvip_persist *e;

	/* A persistent service has one entry a client: no walk for it. */
	if (client && svc->timeout) {
		key.addr = *client;
		rcu_read_lock();
		e = rhashtable_lookup(&svc->persist, &key, persist_params);
		rcu_read_unlock();
		if (e)
			persist_unlink(svc, e, true);
		return;
	}
	persist_walk_all(svc, flush_client, (void *)client);
}

static bool flush_retired(struct casvip_service *svc, struct casvip_persist *e,
			  void *arg)
{
	const struct casvip_server *srv = e->key.srv ?: READ_ONCE(e->srv);

	if (!list_empty(&srv->retire))
		persist_unlink(svc, e, true);
	return true;
}

/* Remove the entries of the servers that are retiring. */
void casvip_persist_flush_retired(struct casvip_service *svc)
{
	persist_walk_all(svc, flush_retired, NULL);
}

/* Persistence dumps in progress on @svc end with it. */
static void persist_dumps_end(struct casvip_service *svc)
{
	struct casvip_persist_dump *d, *tmp;

	list_for_each_entry_safe(d, tmp, &svc->dumps, list)
		casvip_persist_dump_end(d);
}

void casvip_persist_destroy(struct casvip_service *svc)
{
	persist_dumps_end(svc);
	casvip_persist_flush(svc, NULL);
	rhashtable_destroy(&svc->persist);
}

enum probe_state { PROBE_PENDING, PROBE_PROVEN, PROBE_DEAD };

/*
 * Has the connection of @p reached the conntrack status @bit: an entry's
 * first connection its handshake (ASSURED), a watched one its first
 * reply (SEEN_REPLY)?
 */
static enum probe_state probe_check(struct net *net,
				    const struct casvip_probe *p,
				    unsigned int bit)
{
	const struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;
	bool proven;

	if (p == CASVIP_PROBE_LOST)
		return PROBE_DEAD;
	/*
	 * Not found: gone, or not confirmed yet. The sender can be
	 * preempted (or its vCPU stalled) between the NAT hook and the
	 * confirmation: give it a second, one GC period.
	 */
	h = nf_conntrack_find_get(net, &p->zone, &p->tuple);
	if (!h)
		return (u32)jiffies - p->born < HZ ? PROBE_PENDING : PROBE_DEAD;
	ct = nf_ct_tuplehash_to_ctrack(h);
	proven = test_bit(bit, &ct->status);
	nf_ct_put(ct);
	return proven ? PROBE_PROVEN : PROBE_PENDING;
}

/*
 * Watch @ct, just NATed to @srv, for its first reply, if a slot is free.
 * A slot is the packet path's from its claim until it is ready. RCU.
 */
void casvip_watch(struct casvip_server *srv, const struct nf_conn *ct)
{
	struct casvip_watch *w = srv->watch;
	unsigned long busy = READ_ONCE(w->busy);
	struct casvip_probe *p;
	unsigned int i;

	if (busy == GENMASK(CASVIP_WATCH_SLOTS - 1, 0))
		return;
	i = ffz(busy);
	if (test_and_set_bit_lock(i, &w->busy))
		return;
	p = &w->slot[i];
	p->tuple = ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	p->zone = *nf_ct_zone(ct);
	p->born = (u32)jiffies;
	/* The slot filled before it is seen ready. */
	smp_mb__before_atomic();
	set_bit(i, &w->ready);
}

/*
 * Count the watched connections of @srv that have their answer, or went
 * CASVIP_UNREPLIED_SECS without: free their slots. Needs casvip_net.lock.
 */
static void watch_gc(struct net *net, struct casvip_server *srv)
{
	struct casvip_watch *w = srv->watch;
	unsigned long ready = READ_ONCE(w->ready);
	unsigned int i;

	/* Ready seen before the slot is read. */
	smp_rmb();
	for_each_set_bit(i, &ready, CASVIP_WATCH_SLOTS) {
		const struct casvip_probe *p = &w->slot[i];

		switch (probe_check(net, p, IPS_SEEN_REPLY_BIT)) {
		case PROBE_PENDING:
			if ((u32)jiffies - p->born < CASVIP_UNREPLIED_SECS * HZ)
				continue;
			srv->counts.unreplied++;
			srv->svc->counts.unreplied++;
			fallthrough;
		case PROBE_PROVEN:
			srv->counts.watched++;
			srv->svc->counts.watched++;
			break;
		case PROBE_DEAD:
			/* Gone before its time (ended here?): no verdict. */
			break;
		}
		clear_bit(i, &w->ready);
		clear_bit_unlock(i, &w->busy);
	}
}

struct gc_ctx {
	struct net *net;
	u32 now; /* ktime_get_seconds() */
	u32 timeout;
	u32 target; /* eviction: down to this many entries */
};

static void gc_count(struct casvip_persist *e, unsigned int count)
{
	READ_ONCE(e->srv)->gc_active += count;
}

/* One more client bound to its server (persistence on: no key.srv). */
static void gc_client(struct casvip_persist *e)
{
	if (!e->key.srv)
		READ_ONCE(e->srv)->gc_clients++;
}

/* Idle entries: back to live if a connection came, or expired. */
static bool gc_idle(struct casvip_service *svc, struct casvip_persist *e,
		    void *arg)
{
	struct gc_ctx *gc = arg;
	u32 idle = READ_ONCE(e->idle);

	if (!idle)
		persist_move(svc, e, &svc->persist_live); /* counted there */
	else if (gc->now + 1 - idle >= gc->timeout)
		persist_unlink(svc, e, false);
	else
		gc_client(e);
	return true;
}

/* Live entries: idle once their last connection is closed. */
static bool gc_live(struct casvip_service *svc, struct casvip_persist *e,
		    void *arg)
{
	struct gc_ctx *gc = arg;
	unsigned int count = READ_ONCE(e->conns);

	if (!count && !gc->timeout) {
		persist_unlink(svc, e, false);
		return true;
	}
	if (count)
		gc_count(e, count);
	else
		persist_go_idle(svc, e, gc->now);
	gc_client(e);
	return true;
}

/* Unproven entries: proven, or gone with their connections. */
static bool gc_new(struct casvip_service *svc, struct casvip_persist *e,
		   void *arg)
{
	struct gc_ctx *gc = arg;
	enum probe_state state;
	unsigned int count;

	state = probe_check(gc->net, e->probe, IPS_ASSURED_BIT);
	if (state == PROBE_PROVEN) {
		persist_proven(svc, e);
		return gc_live(svc, e, arg);
	}
	/* Its first connection is gone: it holds the entry no more. */
	if (state == PROBE_DEAD && e->probe != CASVIP_PROBE_LOST) {
		casvip_conns_ended(svc, e);
		probe_free(e->probe);
		e->probe = CASVIP_PROBE_LOST;
	}
	count = READ_ONCE(e->conns);
	if (count) {
		gc_count(e, count);
		gc_client(e);
	} else if (state != PROBE_PENDING) {
		/* Pending: its first connection may not hold it yet. */
		persist_unlink(svc, e, false);
	}
	return true;
}

/*
 * Prove or drop new entries, idle the ones no connection holds,
 * expire the entries idle for longer than the timeout, and recount each
 * server's live connections. The GC runs it every second.
 */
void casvip_persist_gc(struct net *net, struct casvip_service *svc)
{
	struct gc_ctx gc = {
		.net = net,
		.now = (u32)ktime_get_seconds(),
		.timeout = READ_ONCE(svc->timeout),
	};
	struct casvip_server *srv;

	list_for_each_entry(srv, &svc->servers, list) {
		srv->gc_active = 0;
		srv->gc_clients = 0;
	}
	/* In this order, an entry moved to a list already walked waits. */
	persist_walk(svc, &svc->persist_idle, gc_idle, &gc);
	persist_walk(svc, &svc->persist_live, gc_live, &gc);
	persist_walk(svc, &svc->persist_new, gc_new, &gc);
	list_for_each_entry(srv, &svc->servers, list) {
		atomic_set(&srv->active, srv->gc_active);
		srv->clients = srv->gc_clients;
		watch_gc(net, srv);
		if (!casvip_server_drained(srv)) {
			srv->drained_told = false;
		} else if (!srv->drained_told) {
			srv->drained_told = true;
			casvip_notify_server(svc->cn, CASVIP_CMD_DRAINED, srv);
		}
	}
}

static bool evict_idle(struct casvip_service *svc, struct casvip_persist *e,
		       void *arg)
{
	const struct gc_ctx *gc = arg;

	if (atomic_read(&svc->npersist) <= gc->target)
		return false;
	if (READ_ONCE(e->idle) && persist_unlink(svc, e, false))
		svc->evicted++;
	return true;
}

static void evict_new(struct casvip_service *svc, struct casvip_persist *e,
		      const struct gc_ctx *gc)
{
	/*
	 * Proven since the GC last looked (an entry on persist_new has its
	 * probe). Under a flood the list turns over about as fast as the
	 * GC comes round: a real client that just got in must not be taken
	 * for the flood.
	 */
	if (probe_check(gc->net, e->probe, IPS_ASSURED_BIT) == PROBE_PROVEN) {
		persist_proven(svc, e);
		return;
	}
	persist_unlink(svc, e, true);
	svc->evicted++;
}

/*
 * Unproven entries, oldest first, the ones the flood adds meanwhile too:
 * once below the limit, the table takes new entries as this runs, and an
 * idle client must not go while a newer unproven entry stays. Each turn
 * takes the list's first entry off it; at most @max turns. True if none
 * is left.
 */
static bool evict_unproven(struct casvip_service *svc, const struct gc_ctx *gc,
			   u32 max)
{
	struct casvip_persist *e;
	u32 n;

	for (n = 1; atomic_read(&svc->npersist) > gc->target; n++) {
		spin_lock_bh(&svc->persist_lock);
		e = list_first_entry_or_null(&svc->persist_new,
					     struct casvip_persist, list);
		spin_unlock_bh(&svc->persist_lock);
		/* Only the holder of casvip_net.lock takes it off the list. */
		if (!e)
			return true;
		evict_new(svc, e, gc);
		if (n == max)
			return false;
		if (!(n % CASVIP_GC_BATCH))
			cond_resched();
	}
	return false;
}

/*
 * Evict entries down to max - 1 - max / 8 (at least one goes): unproven
 * ones, oldest first (under a flood of spoofed sources, theirs), then,
 * when none is left, idle ones, oldest first (real clients that may come
 * back). Never a proven client's live entry, and never a walk over them.
 * Needs casvip_net.lock.
 */
static void persist_evict(struct casvip_service *svc)
{
	u32 max = casvip_persist_limit(svc);
	struct gc_ctx gc = { .net = svc->cn->net };

	if (!max || atomic_read(&svc->npersist) < max)
		return;
	gc.target = max - 1 - max / 8;
	if (time_after_eq(jiffies, svc->full_told + 10 * HZ)) {
		svc->full_told = jiffies;
		casvip_notify_service(svc->cn, CASVIP_CMD_PERSIST_FULL, svc);
	}
	if (evict_unproven(svc, &gc, max))
		persist_walk(svc, &svc->persist_idle, evict_idle, &gc);
}

void casvip_evict_work(struct work_struct *work)
{
	struct casvip_net *cn = container_of(work, struct casvip_net, evict);
	struct casvip_service *svc;

	mutex_lock(&cn->lock);
	list_for_each_entry(svc, &cn->services, list)
		persist_evict(svc);
	mutex_unlock(&cn->lock);
}

void casvip_gc_work(struct work_struct *work)
{
	struct casvip_net *cn = container_of(to_delayed_work(work),
					     struct casvip_net, gc);
	struct casvip_service *svc;

	mutex_lock(&cn->lock);
	list_for_each_entry(svc, &cn->services, list) {
		casvip_persist_gc(cn->net, svc);
		casvip_conns_fold_due(svc);
		cond_resched();
	}
	if (!(++cn->gc_runs % CASVIP_KEPT_REAP_RUNS))
		casvip_kept_reap(cn);
	casvip_epm_count(cn);
	if (cn->hooked)
		queue_delayed_work(system_power_efficient_wq, &cn->gc,
				   CASVIP_GC_INTERVAL);
	mutex_unlock(&cn->lock);
}

/*
 * Dumps of a table of any size resume where they stopped with the
 * rhashtable walker, which copes with entries coming and going and with
 * the table being resized. A walker must not outlive its table: the
 * service's destruction ends the dumps in progress.
 */
void casvip_persist_dump_begin(struct casvip_service *svc,
			       struct casvip_persist_dump *d)
{
	lockdep_assert_held(&svc->cn->lock);
	rhashtable_walk_enter(&svc->persist, &d->iter);
	d->svc = svc;
	d->ended = false;
	list_add(&d->list, &svc->dumps);
}

void casvip_persist_dump_end(struct casvip_persist_dump *d)
{
	if (d->ended)
		return;
	rhashtable_walk_exit(&d->iter);
	list_del(&d->list);
	d->ended = true;
}

/*
 * The entry the dump is at: the one that did not fit in the last part, or
 * the first. @resized says the table was resized meanwhile, and the walk
 * began again. Between rhashtable_walk_start_check() and _stop().
 */
struct casvip_persist *casvip_persist_dump_cur(struct casvip_persist_dump *d,
					       bool *resized)
{
	struct casvip_persist *e = rhashtable_walk_peek(&d->iter);

	while (IS_ERR(e) && PTR_ERR(e) == -EAGAIN) {
		*resized = true;
		e = rhashtable_walk_next(&d->iter);
	}
	return IS_ERR(e) ? NULL : e;
}

/* The entry after it, NULL at the end. */
struct casvip_persist *casvip_persist_dump_next(struct casvip_persist_dump *d,
						bool *resized)
{
	struct casvip_persist *e;

	do {
		e = rhashtable_walk_next(&d->iter);
		if (!IS_ERR(e))
			return e;
		*resized = true;
	} while (PTR_ERR(e) == -EAGAIN);
	return NULL;
}

int __init casvip_persist_cache_init(void)
{
	persist_cache = KMEM_CACHE(casvip_persist, 0);
	probe_cache = KMEM_CACHE(casvip_probe, 0);
	if (persist_cache && probe_cache)
		return 0;
	casvip_persist_cache_exit();
	return -ENOMEM;
}

void casvip_persist_cache_exit(void)
{
	kmem_cache_destroy(probe_cache);
	kmem_cache_destroy(persist_cache);
}
