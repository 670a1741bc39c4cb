// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: schedulers.
 *
 * Each change to a service's servers rebuilds, under casvip_net.lock, a
 * casvip_sched: the servers that may take new clients and, for wrr, sh and
 * mh, a table that makes the choice O(1). The packet path reads it under RCU.
 *
 * mh is Maglev hashing (Eisenbud et al., NSDI 2016): every server fills the
 * slots of a prime-sized table in the order of its own permutation, so the
 * table depends only on the set of servers and their weights; every balancer
 * with the same configuration makes the same choice, and adding a server
 * takes about 1/N of the slots. A server that may not take new clients
 * (down, drained, disabled) keeps its slots: a client hashed to one takes
 * the next eligible slot's server, so that only that server's clients move,
 * alike on every balancer that sees the same states.
 */
#include <linux/gcd.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "casvip.h"

/* Fixed, so that every balancer hashes alike. */
#define CASVIP_SEED_CLIENT 0x63617376
#define CASVIP_SEED_OFFSET 0x6970636c
#define CASVIP_SEED_SKIP 0x7573746d

/* Bounds of the weighted sequence: its length, and the work to build it. */
#define WRR_MAX_LEN 65536U
#define WRR_MAX_WORK BIT(24)

/* lc and wlc look at every server of a service up to this many. */
#define CASVIP_LC_SCAN 8

static const u16 mh_primes[] = { 509, 1021, 2039, 4093, 8191, 16381, 32749,
				 65521 };

/*
 * May it keep its clients? While its service fails open, health aside;
 * a backup server, only while the backups take the new clients.
 */
bool casvip_server_usable(const struct casvip_server *srv)
{
	bool up = READ_ONCE(srv->health) == CASVIP_HEALTH_UP;

	if (READ_ONCE(srv->dead) ||
	    READ_ONCE(srv->admin) == CASVIP_ADMIN_DISABLED)
		return false;
	if (READ_ONCE(srv->backup))
		return up && READ_ONCE(srv->svc->on_backup);
	return up || READ_ONCE(srv->svc->failing_open);
}

/* May it take new clients? Failing @open, whatever its health. */
static bool eligible(const struct casvip_server *srv, bool open)
{
	return !srv->dead && srv->admin == CASVIP_ADMIN_ENABLED &&
	       (open || srv->health == CASVIP_HEALTH_UP) && srv->weight;
}

/*
 * A service of CASVIP_ALLDOWN_OPEN none of whose servers is UP (but those
 * DISABLED), and some of which (not backups) would be eligible were it
 * not for their health, fails open: the checks are likelier wrong than
 * every server at once. A server UP but draining says the checks work: no.
 */
static bool fails_open(const struct casvip_service *svc)
{
	const struct casvip_server *srv;
	bool some = false;

	if (svc->alldown != CASVIP_ALLDOWN_OPEN)
		return false;
	list_for_each_entry(srv, &svc->servers, list) {
		if (srv->dead || srv->admin == CASVIP_ADMIN_DISABLED)
			continue;
		if (srv->health == CASVIP_HEALTH_UP)
			return false;
		some |= !srv->backup && eligible(srv, true);
	}
	return some;
}

/*
 * Is it the backups' turn? No other server can take a new client, and a
 * backup is UP (and not DISABLED). A backup draining then keeps its own.
 */
static bool on_backup(const struct casvip_service *svc)
{
	const struct casvip_server *srv;
	bool some = false;

	list_for_each_entry(srv, &svc->servers, list) {
		if (!srv->backup && eligible(srv, false))
			return false;
		some |= srv->backup && !srv->dead &&
			srv->admin != CASVIP_ADMIN_DISABLED &&
			srv->health == CASVIP_HEALTH_UP;
	}
	return some;
}

/*
 * In the mh table: every server configured with a weight, of the kind
 * (backup or not) that takes the new clients.
 */
static bool mh_member(const struct casvip_server *srv, bool on_backup)
{
	return !srv->dead && srv->weight && srv->backup == on_backup;
}

static u32 addr_hash(const union nf_inet_addr *a, u32 seed)
{
	return jhash2(a->all, ARRAY_SIZE(a->all), seed);
}

/* Weights divided by their gcd, then scaled down to sum about @max_total. */
static void scaled_weights(struct casvip_sched_state *s, u32 *w,
			   unsigned int max_total)
{
	unsigned int i, g = 0;
	u64 total = 0;

	for (i = 0; i < s->n; i++)
		g = gcd(g, s->srv[i]->weight);
	for (i = 0; i < s->n; i++) {
		w[i] = s->srv[i]->weight / g;
		total += w[i];
	}
	if (total > max_total)
		for (i = 0; i < s->n; i++)
			w[i] = max_t(u64, 1,
				     div64_u64((u64)w[i] * max_total, total));
}

/*
 * wrr and sh: the smooth weighted round robin sequence, in which each server
 * stands in proportion to its weight, spread out rather than in runs.
 */
static void build_sequence(struct casvip_sched_state *s, u32 *w, s64 *cur)
{
	unsigned int i, j, best;
	s64 total = 0;

	for (i = 0; i < s->n; i++)
		total += w[i];
	for (j = 0; j < s->len; j++) {
		best = 0;
		for (i = 0; i < s->n; i++) {
			cur[i] += w[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= total;
		s->table[j] = best;
	}
}

static void build_maglev(struct casvip_sched_state *s, u32 *w, u32 *next,
			 unsigned long *filled)
{
	u32 m = s->len, done = 0, i, t;

	/* next[i] is how far server i has walked its permutation. */
	while (done < m) {
		for (i = 0; i < s->n && done < m; i++) {
			u32 offset = addr_hash(&s->srv[i]->addr,
					       CASVIP_SEED_OFFSET) % m;
			u32 skip = addr_hash(&s->srv[i]->addr,
					     CASVIP_SEED_SKIP) % (m - 1) + 1;

			for (t = 0; t < w[i] && done < m; t++) {
				u32 slot;

				do {
					slot = (offset + (u64)next[i]++ * skip) %
					       m;
				} while (test_bit(slot, filled));
				__set_bit(slot, filled);
				s->table[slot] = i;
				done++;
			}
		}
	}
}

static u32 maglev_size(unsigned int nservers)
{
	unsigned int i = order_base_2(max(nservers, 4U)) - 2;

	return mh_primes[min_t(unsigned int, i, ARRAY_SIZE(mh_primes) - 1)];
}

static int build_table(struct casvip_service *svc, struct casvip_sched_state *s)
{
	unsigned long *filled = NULL;
	s64 *cur = NULL;
	u32 *w, *next = NULL;
	int ret = -ENOMEM;

	w = kcalloc(s->n, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	if (s->type == CASVIP_SCHED_MH) {
		/* A server's turns per round follow its weight, at most 16. */
		scaled_weights(s, w, 16 * s->n);
		next = kcalloc(s->n, sizeof(*next), GFP_KERNEL);
		filled = bitmap_zalloc(s->len, GFP_KERNEL);
		if (next && filled) {
			build_maglev(s, w, next, filled);
			ret = 0;
		}
	} else {
		cur = kcalloc(s->n, sizeof(*cur), GFP_KERNEL);
		if (cur) {
			scaled_weights(s, w, s->len);
			build_sequence(s, w, cur);
			ret = 0;
		}
	}
	bitmap_free(filled);
	kfree(next);
	kfree(cur);
	kfree(w);
	return ret;
}

/*
 * Length of the table for @n eligible servers of @configured, before
 * allocation. Maglev's size follows the servers configured (those being
 * deleted gone already), as on any box with the same configuration.
 */
static unsigned int table_len(struct casvip_service *svc,
			      struct casvip_server **srv, unsigned int n,
			      unsigned int configured)
{
	unsigned int i, g = 0, cap;
	u64 total = 0;

	if (!n)
		return 0;
	switch (svc->sched) {
	case CASVIP_SCHED_MH:
		return maglev_size(configured);
	case CASVIP_SCHED_WRR:
	case CASVIP_SCHED_SH:
		for (i = 0; i < n; i++)
			g = gcd(g, srv[i]->weight);
		for (i = 0; i < n; i++)
			total += srv[i]->weight / g;
		cap = max(n, min(WRR_MAX_LEN, WRR_MAX_WORK / n));
		return total > cap ? cap : total;
	default:
		return 0;
	}
}

static int cmp_addr(const void *a, const void *b)
{
	const struct casvip_server *x = *(struct casvip_server * const *)a;
	const struct casvip_server *y = *(struct casvip_server * const *)b;

	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

static struct casvip_sched_state *sched_build(struct casvip_service *svc)
{
	bool mh = svc->sched == CASVIP_SCHED_MH, backup = on_backup(svc);
	bool open = !backup && fails_open(svc);
	unsigned int i, n = 0, configured = 0, len;
	struct casvip_server *srv, **tmp;
	struct casvip_sched_state *s;
	size_t up_size;

	tmp = kcalloc(max(svc->nservers, 1U), sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return NULL;
	list_for_each_entry(srv, &svc->servers, list) {
		/* Of the kind that takes clients: a backup moves no one. */
		configured += !srv->dead && srv->backup == backup;
		if (mh ? mh_member(srv, backup) :
			 eligible(srv, open) && srv->backup == backup)
			tmp[n++] = srv;
	}
	/* Maglev's table depends on the set of servers, not on their order. */
	if (mh)
		sort(tmp, n, sizeof(*tmp), cmp_addr, NULL);
	len = table_len(svc, tmp, n, configured);
	up_size = mh ? BITS_TO_LONGS(n) * sizeof(long) : 0;
	/* Lives with the service: charged to its creator, as the service is. */
	s = kvzalloc(struct_size(s, srv, n) + up_size + len * sizeof(u16),
		     GFP_KERNEL_ACCOUNT);
	if (!s)
		goto out;
	s->type = svc->sched;
	s->failing_open = open;
	s->on_backup = backup;
	s->n = n;
	s->len = len;
	s->up = (unsigned long *)&s->srv[n];
	s->table = (u16 *)((char *)s->up + up_size);
	memcpy(s->srv, tmp, n * sizeof(*tmp));
	for (i = 0; mh && i < n; i++)
		if (eligible(tmp[i], open))
			__set_bit(i, s->up);
	s->nup = mh ? bitmap_weight(s->up, n) : n;
	if (len && build_table(svc, s)) {
		kvfree(s);
		s = NULL;
	}
out:
	kfree(tmp);
	return s;
}

int casvip_sched_rebuild(struct casvip_service *svc)
{
	struct casvip_sched_state *s, *old;
	struct mem_cgroup *memcg;

	memcg = casvip_charge_begin(svc);
	s = sched_build(svc);
	casvip_charge_end(memcg);
	if (!s)
		return -ENOMEM;
	/*
	 * Failing open, the DOWN servers keep their clients before new ones
	 * come; no longer, they lose them after (service.c retires them).
	 */
	if (s->failing_open)
		WRITE_ONCE(svc->failing_open, true);
	if (s->on_backup)
		WRITE_ONCE(svc->on_backup, true);
	old = rcu_replace_pointer(svc->sched_state, s,
				  lockdep_is_held(&svc->cn->lock));
	if (!s->failing_open)
		WRITE_ONCE(svc->failing_open, false);
	if (!s->on_backup)
		WRITE_ONCE(svc->on_backup, false);
	if (old)
		kvfree_rcu(old, rcu);
	return 0;
}

void casvip_sched_free(struct casvip_service *svc)
{
	kvfree(rcu_dereference_protected(svc->sched_state, true));
}

/* @a has fewer live connections than @b (per unit of weight)? */
static bool fewer_conns(const struct casvip_server *a,
			const struct casvip_server *b, bool weighted)
{
	u64 aa = atomic_read(&a->active), ab = atomic_read(&b->active);

	return weighted ? aa * READ_ONCE(b->weight) < ab * READ_ONCE(a->weight) :
			  aa < ab;
}

/*
 * lc and wlc: fewest live connections (per unit of weight). Of a few
 * servers, the fewest; of more, the fewer of two picked at random (the
 * power of two choices): a pick that costs the same with a thousand, and
 * never the busiest.
 */
static struct casvip_server *least_conns(const struct casvip_sched_state *s,
					 bool weighted)
{
	struct casvip_server *best = s->srv[0];
	u32 i, k;

	if (s->n > CASVIP_LC_SCAN) {
		i = reciprocal_scale(get_random_u32(), s->n);
		k = reciprocal_scale(get_random_u32(), s->n - 1);
		k += k >= i;
		return fewer_conns(s->srv[k], s->srv[i], weighted) ?
			       s->srv[k] : s->srv[i];
	}
	for (i = 1; i < s->n; i++)
		if (fewer_conns(s->srv[i], best, weighted))
			best = s->srv[i];
	return best;
}

/* A server for a new client, or NULL if none may take one. RCU. */
struct casvip_server *casvip_schedule(const struct casvip_service *svc,
				      const union nf_inet_addr *client)
{
	struct casvip_sched_state *s = rcu_dereference(svc->sched_state);
	u32 i, k;

	if (!s || !s->nup)
		return NULL;
	switch (s->type) {
	case CASVIP_SCHED_RR:
		i = (u32)atomic_inc_return(&s->cursor) - 1;
		return s->srv[i % s->n];
	case CASVIP_SCHED_WRR:
		i = (u32)atomic_inc_return(&s->cursor) - 1;
		return s->srv[s->table[i % s->len]];
	case CASVIP_SCHED_LC:
		return least_conns(s, false);
	case CASVIP_SCHED_WLC:
		return least_conns(s, true);
	case CASVIP_SCHED_SH:
		i = addr_hash(client, CASVIP_SEED_CLIENT);
		return s->srv[s->table[i % s->len]];
	default: /* mh: each server has a slot, and one is eligible */
		i = addr_hash(client, CASVIP_SEED_CLIENT) % s->len;
		for (k = 0; k < s->len; k++, i = i + 1 < s->len ? i + 1 : 0)
			if (test_bit(s->table[i], s->up))
				return s->srv[s->table[i]];
		return NULL;
	}
}
