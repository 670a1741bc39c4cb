/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvip: objects shared by the control plane and the datapath.
 *
 * Writers hold casvip_net.lock; the packet path reads under RCU.
 * Objects are unlinked, then freed after a grace period (kfree_rcu).
 */
#ifndef _CASVIP_H
#define _CASVIP_H

#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_conntrack_count.h>
#include <uapi/linux/casvip.h>

#include "compat.h"

struct netlink_ext_ack;

struct casvip_stats_pcpu {
	u64_stats_t conns;
	u64_stats_t pkts_in;
	u64_stats_t pkts_out;
	u64_stats_t bytes_in;
	u64_stats_t bytes_out;
	u64_stats_t drop_noserver;
	struct u64_stats_sync syncp;
};

/* Totals of the per-CPU counters, as reported over netlink. */
struct casvip_stats {
	u64 conns;
	u64 active;
	u64 pkts_in;
	u64 pkts_out;
	u64 bytes_in;
	u64 bytes_out;
	u64 drop_noserver;
};

struct casvip_service;

/* A real server. */
struct casvip_server {
	struct list_head list; /* casvip_service.servers, RCU */
	struct hlist_node addr_node; /* casvip_service.by_addr, RCU */
	struct casvip_service *svc;
	union nf_inet_addr addr;
	u32 weight;
	u8 admin; /* enum casvip_admin */
	u8 health; /* enum casvip_health */
	bool dead; /* unlinked: the packet path must not keep it */
	char reason[CASVIP_REASON_MAX]; /* of the health state; cn->lock */
	atomic_t active; /* live connections, recounted by the GC */
	unsigned int gc_active; /* the GC's running count */
	struct casvip_stats_pcpu __percpu *stats;
	struct rcu_head rcu;
};

/*
 * The persistence key: the client's address under the service's netmask.
 * Services without persistence still track each client's connections per
 * server (for the active counts): their key names the server too.
 */
struct casvip_pkey {
	union nf_inet_addr addr;
	struct casvip_server *srv; /* NULL when the service persists */
};

/* A persistence entry: this client goes to that server. */
struct casvip_persist {
	struct rhash_head node; /* casvip_service.persist */
	struct casvip_pkey key;
	struct casvip_server *srv; /* cmpxchg()ed when rescheduled */
	unsigned long idle_since; /* jiffies when seen idle; 0 while busy */
	struct nf_conncount_list conns; /* the client's live connections */
	/*
	 * The list is walked only under persist_lock, which unlinking holds:
	 * off it, the entry's memory serves for its RCU free.
	 */
	union {
		struct list_head list; /* casvip_service.persist_list */
		struct rcu_head rcu;
	};
};

/* What the schedulers choose from; rebuilt on every change, RCU. */
struct casvip_sched_state {
	struct rcu_head rcu;
	atomic_t cursor; /* rr, wrr */
	u8 type; /* enum casvip_sched, as built */
	unsigned int n; /* eligible servers */
	unsigned int len; /* entries of table[] */
	u16 *table; /* wrr and sh: a weighted sequence; mh: the lookup table */
	struct casvip_server *srv[];
};

/* What a packet is matched against; replaced only while unhashed. */
struct casvip_match {
	u8 family; /* NFPROTO_IPV4 or NFPROTO_IPV6 */
	u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	union nf_inet_addr vip;
	unsigned int nranges;
	struct casvip_port_range ranges[CASVIP_MAX_RANGES];
};

struct casvip_net;

struct casvip_service {
	struct casvip_net *cn;
	struct list_head list; /* casvip_net.services, creation order */
	struct hlist_node name_node; /* casvip_net.by_name */
	struct hlist_node vip_node; /* casvip_net.by_vip, RCU */
	char name[CASVIP_NAME_MAX];
	struct casvip_match match;
	u8 sched; /* enum casvip_sched */
	u8 netmask; /* persistence prefix length */
	u8 snat; /* enum casvip_snat */
	union nf_inet_addr snat_addr;
	u32 timeout; /* persistence, seconds */
	struct list_head servers; /* RCU */
	unsigned int nservers;
	DECLARE_HASHTABLE(by_addr, 6); /* servers by address, RCU */
	struct casvip_sched_state __rcu *sched_state;
	struct rhashtable persist; /* casvip_persist by key */
	struct list_head persist_list; /* every entry, for the GC */
	spinlock_t persist_lock; /* persist_list; removal also needs cn->lock */
	atomic_t npersist;
	u32 persist_max; /* 0: no limit */
	u64 evicted; /* entries evicted at the limit; cn->lock */
	struct casvip_stats_pcpu __percpu *stats;
};

#define CASVIP_HASH_BITS 10

/* Per network namespace state. */
struct casvip_net {
	struct net *net;
	struct work_struct evict; /* a service reached its persist_max */
	struct mutex lock; /* serialises every change */
	bool hooked; /* NAT hooks registered: there are services */
	struct delayed_work gc; /* persistence and active counts */
	struct list_head services;
	unsigned int nservices;
	u32 generation; /* bumped when objects come or go, for dumps */
	DECLARE_HASHTABLE(by_name, CASVIP_HASH_BITS);
	DECLARE_HASHTABLE(by_vip, CASVIP_HASH_BITS); /* RCU */
};

struct casvip_net *casvip_pernet(struct net *net);

static inline u32 casvip_vip_hash(u8 family, u8 proto,
				  const union nf_inet_addr *vip)
{
	return jhash2(vip->all, ARRAY_SIZE(vip->all), family << 8 | proto);
}

static inline bool casvip_match_port(const struct casvip_match *m, u16 port)
{
	unsigned int i;

	for (i = 0; i < m->nranges; i++) {
		if (port < m->ranges[i].first)
			return false;
		if (port <= m->ranges[i].last)
			return true;
	}
	return false;
}

static inline void casvip_stats_conn(struct casvip_stats_pcpu __percpu *pcpu)
{
	struct casvip_stats_pcpu *s = get_cpu_ptr(pcpu);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->conns);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(pcpu);
}

static inline void casvip_stats_drop(struct casvip_stats_pcpu __percpu *pcpu)
{
	struct casvip_stats_pcpu *s = get_cpu_ptr(pcpu);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->drop_noserver);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(pcpu);
}

/* @in: client to server. */
static inline void casvip_stats_packet(struct casvip_stats_pcpu __percpu *pcpu,
				       bool in, unsigned int len)
{
	struct casvip_stats_pcpu *s = get_cpu_ptr(pcpu);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(in ? &s->pkts_in : &s->pkts_out);
	u64_stats_add(in ? &s->bytes_in : &s->bytes_out, len);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(pcpu);
}

/* service.c: object lifetime; all but the lookups need cn->lock. */
struct casvip_service_cfg {
	const char *name;
	bool has_match, has_sched, has_timeout, has_netmask, has_snat;
	struct casvip_match match;
	u8 sched;
	u32 timeout;
	u8 netmask;
	u8 snat;
	bool has_persist_max;
	u32 persist_max;
	bool has_snat_addr;
	u8 snat_family;
	union nf_inet_addr snat_addr;
};

struct casvip_server_cfg {
	u8 family;
	union nf_inet_addr addr;
	bool keep_conns; /* on removal, leave its connections alone */
	bool has_weight, has_admin, has_health;
	u32 weight;
	u8 admin;
	u8 health;
	const char *reason; /* NULL: unchanged */
};

struct casvip_service *casvip_service_find(struct casvip_net *cn,
					   const char *name);
int casvip_service_new(struct casvip_net *cn,
		       const struct casvip_service_cfg *cfg,
		       struct netlink_ext_ack *extack);
int casvip_service_set(struct casvip_net *cn, struct casvip_service *svc,
		       const struct casvip_service_cfg *cfg,
		       struct netlink_ext_ack *extack);
void casvip_service_del(struct casvip_net *cn, struct casvip_service *svc);
void casvip_flush(struct casvip_net *cn);

struct casvip_server *casvip_server_find(const struct casvip_service *svc,
					 const union nf_inet_addr *addr);
struct casvip_server *casvip_server_lookup(const struct casvip_service *svc,
					   const union nf_inet_addr *addr);
int casvip_server_new(struct casvip_net *cn, struct casvip_service *svc,
		      const struct casvip_server_cfg *cfg,
		      struct netlink_ext_ack *extack);
int casvip_server_set(struct casvip_net *cn, struct casvip_server *srv,
		      const struct casvip_server_cfg *cfg,
		      struct netlink_ext_ack *extack);
int casvip_server_del(struct casvip_net *cn, struct casvip_server *srv,
		      bool keep_conns, struct netlink_ext_ack *extack);
bool casvip_server_usable(const struct casvip_server *srv);
u64 casvip_service_active(const struct casvip_service *svc);

/* sched.c */
int casvip_sched_rebuild(struct casvip_service *svc);
struct casvip_server *casvip_schedule(const struct casvip_service *svc,
				      const union nf_inet_addr *client);
void casvip_sched_free(struct casvip_service *svc);

/* persist.c */
int casvip_persist_init(struct casvip_service *svc);
void casvip_persist_destroy(struct casvip_service *svc);
void casvip_persist_mask(const struct casvip_service *svc,
			 const union nf_inet_addr *addr,
			 union nf_inet_addr *key);
struct casvip_server *casvip_persist_lookup(struct casvip_service *svc,
					    const union nf_inet_addr *client,
					    struct casvip_persist **ep);
struct casvip_persist *casvip_persist_bind(struct casvip_service *svc,
					   const union nf_inet_addr *client,
					   struct casvip_server *srv);
int casvip_persist_pin(struct casvip_service *svc,
		       const union nf_inet_addr *client,
		       struct casvip_server *srv);
void casvip_persist_flush(struct casvip_service *svc,
			  const struct casvip_server *srv,
			  const union nf_inet_addr *client);
void casvip_persist_gc(struct net *net, struct casvip_service *svc);
void casvip_gc_work(struct work_struct *work);
void casvip_evict_work(struct work_struct *work);
int casvip_persist_cache_init(void);
void casvip_persist_cache_exit(void);

/* nat.c */
struct casvip_service *casvip_service_match(struct casvip_net *cn, u8 family,
					    u8 proto,
					    const union nf_inet_addr *vip,
					    u16 port);
int casvip_hooks_register(struct casvip_net *cn);
void casvip_hooks_unregister(struct casvip_net *cn);
void casvip_conns_flush(struct casvip_net *cn, struct casvip_server *srv);

extern atomic_t casvip_objects;

void casvip_stats_read(struct casvip_stats_pcpu __percpu *pcpu,
		       struct casvip_stats *out);

/* netlink.c */
int casvip_genl_init(void);
void casvip_genl_exit(void);

#endif /* _CASVIP_H */
