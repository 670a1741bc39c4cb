// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: source-address persistence, one table per service.
 *
 * An entry maps a client (its address under the service's netmask) to a
 * real server and lists the client's live connections with nf_conncount,
 * which checks them lazily against the conntrack table. The packet path
 * looks entries up and adds them under RCU; they are removed only with
 * casvip_net.lock held: by the GC once a client has had no connection for
 * the persistence timeout, or when a server or the service goes away.
 *
 * The same walk recounts each server's live connections, which lc and wlc
 * schedule by.
 */
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <linux/inetdevice.h>

#include "casvip.h"

#define CASVIP_GC_INTERVAL HZ
/* Entries the GC handles before it lets the packet path in again. */
#define CASVIP_GC_BATCH 256

static struct kmem_cache *persist_cache __read_mostly;

static const struct rhashtable_params persist_params = {
	.key_len = sizeof(struct casvip_pkey),
	.key_offset = offsetof(struct casvip_persist, key),
	.head_offset = offsetof(struct casvip_persist, node),
	.automatic_shrinking = true,
};

int casvip_persist_init(struct casvip_service *svc)
{
	INIT_LIST_HEAD(&svc->persist_list);
	spin_lock_init(&svc->persist_lock);
	atomic_set(&svc->npersist, 0);
	return rhashtable_init(&svc->persist, &persist_params);
}

void casvip_persist_mask(const struct casvip_service *svc,
			 const union nf_inet_addr *addr,
			 union nf_inet_addr *key)
{
	memset(key, 0, sizeof(*key));
	if (svc->match.family == NFPROTO_IPV4)
		key->ip = addr->ip & inet_make_mask(svc->netmask);
	else
		ipv6_addr_prefix(&key->in6, &addr->in6, svc->netmask);
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

static void persist_free_rcu(struct rcu_head *head)
{
	struct casvip_persist *e = container_of(head, struct casvip_persist,
						rcu);

	nf_conncount_cache_free(&e->conns);
	kmem_cache_free(persist_cache, e);
}

/*
 * The entry for @client, bound to @srv: found, rebound from a server that
 * can no longer take it, or created. NULL if memory is short. RCU.
 */
struct casvip_persist *casvip_persist_bind(struct casvip_service *svc,
					   const union nf_inet_addr *client,
					   struct casvip_server *srv)
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
	max = READ_ONCE(svc->persist_max);
	if (max && atomic_read(&svc->npersist) >= max) {
		/* Full: the GC evicts idle entries; this client goes without. */
		queue_work(system_power_efficient_wq, &svc->cn->evict);
		return NULL;
	}

	e = kmem_cache_alloc(persist_cache, GFP_ATOMIC);
	if (!e)
		return NULL;
	e->key = key;
	e->srv = srv;
	e->idle_since = 0;
	nf_conncount_list_init(&e->conns);
	old = rhashtable_lookup_get_insert_fast(&svc->persist, &e->node,
						persist_params);
	if (old) {
		/* Another CPU was first, or the table is full. */
		kmem_cache_free(persist_cache, e);
		return IS_ERR(old) ? NULL : old;
	}
	spin_lock_bh(&svc->persist_lock);
	list_add_tail(&e->list, &svc->persist_list);
	spin_unlock_bh(&svc->persist_lock);
	atomic_inc(&svc->npersist);
	return e;
}

/* Bind @client to @srv whatever it was bound to. Needs casvip_net.lock. */
int casvip_persist_pin(struct casvip_service *svc,
		       const union nf_inet_addr *client,
		       struct casvip_server *srv)
{
	struct casvip_persist *e;

	rcu_read_lock();
	e = casvip_persist_bind(svc, client, srv);
	if (e)
		WRITE_ONCE(e->srv, srv);
	rcu_read_unlock();
	return e ? 0 : -ENOMEM;
}

/* Needs casvip_net.lock and svc->persist_lock. */
static void persist_unlink(struct casvip_service *svc, struct casvip_persist *e)
{
	rhashtable_remove_fast(&svc->persist, &e->node, persist_params);
	list_del(&e->list);
	atomic_dec(&svc->npersist);
	call_rcu(&e->rcu, persist_free_rcu);
}

/*
 * Entries are walked with persist_lock held, which keeps the packet path
 * from adding any. Let it in after every batch: only holders of
 * casvip_net.lock remove entries, so the walk's cursor stays valid.
 */
static void persist_relax(struct casvip_service *svc, unsigned int *n)
{
	if (++*n % CASVIP_GC_BATCH)
		return;
	spin_unlock_bh(&svc->persist_lock);
	cond_resched();
	spin_lock_bh(&svc->persist_lock);
}

/* Remove the entries of @srv, or of @client, or all (both NULL). */
void casvip_persist_flush(struct casvip_service *svc,
			  const struct casvip_server *srv,
			  const union nf_inet_addr *client)
{
	struct casvip_persist *e, *tmp;
	unsigned int n = 0;

	spin_lock_bh(&svc->persist_lock);
	list_for_each_entry_safe(e, tmp, &svc->persist_list, list) {
		persist_relax(svc, &n);
		if (srv && e->srv != srv && e->key.srv != srv)
			continue;
		if (client && !nf_inet_addr_cmp(&e->key.addr, client))
			continue;
		persist_unlink(svc, e);
	}
	spin_unlock_bh(&svc->persist_lock);
}

void casvip_persist_destroy(struct casvip_service *svc)
{
	casvip_persist_flush(svc, NULL, NULL);
	rhashtable_destroy(&svc->persist);
}

/*
 * Drop closed connections from every entry, expire the entries idle for
 * longer than the timeout, and recount each server's live connections.
 * The GC runs it every second, and the GET commands before they report.
 */
void casvip_persist_gc(struct net *net, struct casvip_service *svc)
{
	unsigned long timeout = READ_ONCE(svc->timeout) * HZ;
	struct casvip_persist *e, *tmp;
	struct casvip_server *srv;
	unsigned int n = 0, count;

	list_for_each_entry(srv, &svc->servers, list)
		srv->gc_active = 0;

	spin_lock_bh(&svc->persist_lock);
	list_for_each_entry_safe(e, tmp, &svc->persist_list, list) {
		persist_relax(svc, &n);
		nf_conncount_gc_list(net, &e->conns);
		count = READ_ONCE(e->conns.count);
		if (count) {
			WRITE_ONCE(e->idle_since, 0);
			READ_ONCE(e->srv)->gc_active += count;
		} else if (!e->idle_since) {
			WRITE_ONCE(e->idle_since, jiffies | 1);
		} else if (time_after_eq(jiffies, e->idle_since + timeout)) {
			persist_unlink(svc, e);
		}
	}
	spin_unlock_bh(&svc->persist_lock);

	list_for_each_entry(srv, &svc->servers, list)
		atomic_set(&srv->active, srv->gc_active);
}

/*
 * Evict idle entries, oldest first, until the table is 7/8 full. Never an
 * entry with a live connection. Needs casvip_net.lock.
 */
static void persist_evict(struct net *net, struct casvip_service *svc)
{
	u32 max = READ_ONCE(svc->persist_max);
	struct casvip_persist *e, *tmp;
	unsigned int n = 0;

	if (!max || atomic_read(&svc->npersist) < max)
		return;
	spin_lock_bh(&svc->persist_lock);
	list_for_each_entry_safe(e, tmp, &svc->persist_list, list) {
		if (atomic_read(&svc->npersist) <= max - max / 8)
			break;
		persist_relax(svc, &n);
		nf_conncount_gc_list(net, &e->conns);
		if (READ_ONCE(e->conns.count))
			continue;
		persist_unlink(svc, e);
		svc->evicted++;
	}
	spin_unlock_bh(&svc->persist_lock);
}

void casvip_evict_work(struct work_struct *work)
{
	struct casvip_net *cn = container_of(work, struct casvip_net, evict);
	struct casvip_service *svc;

	mutex_lock(&cn->lock);
	list_for_each_entry(svc, &cn->services, list)
		persist_evict(cn->net, svc);
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
		cond_resched();
	}
	if (cn->hooked)
		queue_delayed_work(system_power_efficient_wq, &cn->gc,
				   CASVIP_GC_INTERVAL);
	mutex_unlock(&cn->lock);
}

int __init casvip_persist_cache_init(void)
{
	persist_cache = KMEM_CACHE(casvip_persist, 0);
	return persist_cache ? 0 : -ENOMEM;
}

void casvip_persist_cache_exit(void)
{
	kmem_cache_destroy(persist_cache);
}
