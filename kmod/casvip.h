/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvip: objects shared by the control plane and the datapath.
 *
 * Writers hold casvip_net.lock; the packet path reads under RCU. An object
 * a packet can reach is unlinked from every path that leads to it, then
 * freed after a grace period.
 */
#ifndef _CASVIP_H
#define _CASVIP_H

#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/sched/mm.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_conntrack_tuple.h>
#include <uapi/linux/casvip.h>

#include "compat.h"

struct mem_cgroup;
struct netlink_ext_ack;
struct nf_conn;

struct casvip_stats_pcpu {
	u64_stats_t conns;
	u64_stats_t drop_noserver;
	u64_stats_t drop_nat;
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
	u64 drop_nat;
};

/*
 * Packets and bytes by direction (enum ip_conntrack_dir), folded from
 * conntrack's accounting of the connections; casvip_net.lock.
 */
struct casvip_traffic {
	u64 pkts[IP_CT_DIR_MAX];
	u64 bytes[IP_CT_DIR_MAX];
};

/* What the GC and the flushes count, under casvip_net.lock. */
struct casvip_counts {
	u64 ended; /* connections ended by the balancer */
	u64 watched; /* new connections watched for a first reply */
	u64 unreplied; /* ... of which none came */
};

/* The connections of one entry of a service's port list. */
struct casvip_port_pcpu {
	u64_stats_t conns;
	u64_stats_t drop_noserver;
	struct u64_stats_sync syncp;
};

/*
 * Per-port counters: one per port of the ranges that fit in
 * CASVIP_PORT_COUNTERS, in order, and one for each range that does not.
 * Shared by the vnodes of one port list, freed with the last of them.
 */
struct casvip_port_stats {
	refcount_t ref;
	struct casvip_port_zero {
		u64 conns, drops;
	} *zero; /* [n]: the counts at the last zeroing, if any; cn->lock */
	u8 first[CASVIP_MAX_RANGES]; /* the counter of each range's first port */
	bool each[CASVIP_MAX_RANGES]; /* one counter per port of the range */
	unsigned int n;
	struct casvip_port_pcpu __percpu *pcpu; /* [n] */
};

struct casvip_service;

/* A real server. */
struct casvip_server {
	struct list_head list; /* casvip_service.servers, RCU */
	struct hlist_node addr_node; /* casvip_service.by_addr; cn->lock */
	struct list_head retire; /* a batch leaving service; cn->lock */
	struct casvip_service *svc;
	union nf_inet_addr addr;
	u32 weight;
	u8 admin; /* enum casvip_admin */
	u8 health; /* enum casvip_health */
	bool backup; /* takes new clients only when no other can */
	bool dead; /* being deleted: the packet path must not keep it */
	bool flush_conns; /* retiring: its connections go too; cn->lock */
	char reason[CASVIP_REASON_MAX]; /* of the health state; cn->lock */
	u64 health_set; /* get_jiffies_64(), when health was last set */
	struct casvip_watch *watch;
	struct casvip_stats_pcpu __percpu *stats;
	/*
	 * Live connections, recounted by the GC: written by every CPU that
	 * binds a connection, so away from what the packet path reads.
	 */
	atomic_t active ____cacheline_aligned_in_smp;
	unsigned int gc_active; /* the GC's running count */
	unsigned int clients; /* persistence entries bound, as the GC counted */
	unsigned int gc_clients; /* the GC's running count; cn->lock */
	bool drained_told; /* the event went out; cn->lock */
	struct casvip_counts counts; /* cn->lock */
	struct casvip_traffic traffic; /* cn->lock */
	struct casvip_stats zero; /* @stats at the last zeroing; cn->lock */
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

/*
 * What proves a new client real: its first connection, looked up in the
 * conntrack table by the GC (and by an eviction) until it is ASSURED (a
 * client behind a spoofed source never completes a handshake), or gone.
 */
struct casvip_probe {
	struct nf_conntrack_tuple tuple;
	struct nf_conntrack_zone zone;
	u32 born; /* jiffies, 32 bits */
};

/* The probe of an entry whose first connection died unproven. */
#define CASVIP_PROBE_LOST ((struct casvip_probe *)1UL)

#define CASVIP_WATCH_SLOTS 8 /* a server's connections watched at once */
#define CASVIP_UNREPLIED_SECS 3 /* no reply by then: unreplied */
/* The GC's ring of connection records, a second a slot: past 27 s. */
#define CASVIP_CONN_SLOTS 32

/*
 * New connections a server is watched on for its first reply. The packet
 * path claims a free slot (watch_busy), fills it, then marks it ready;
 * the GC looks each ready one up and frees it once it has its answer.
 */
struct casvip_watch {
	unsigned long busy;
	unsigned long ready;
	struct casvip_probe slot[CASVIP_WATCH_SLOTS];
};

/*
 * A persistence entry: this client goes to that server. It is on one of
 * its service's three lists: new (unproven: it lives only as long as its
 * connections), live (proven, with connections) or idle (proven, none
 * since @idle; expires @timeout seconds later). Only holders of
 * casvip_net.lock move or remove entries; the packet path adds new ones and
 * clears @idle when a connection comes.
 *
 * Each live connection of the client holds the entry, from its first
 * packet until the GC finds it closed or gone (see casvip_conn): @conns
 * counts them. A removed entry is freed once none holds it.
 */
struct casvip_persist {
	struct rhash_head node; /* casvip_service.persist */
	struct casvip_pkey key;
	struct casvip_server *srv; /* cmpxchg()ed when rescheduled */
	struct casvip_probe *probe; /* NULL once proven; cn->lock */
	spinlock_t lock; /* @conns and @gone; @idle set by the GC */
	unsigned int conns; /* connections that hold it */
	/*
	 * The lists are changed only under persist_lock and walked only by
	 * holders of casvip_net.lock: off them, the entry's memory serves
	 * for its RCU free.
	 */
	union {
		struct list_head list;
		struct rcu_head rcu;
	};
	u32 idle; /* 0 while busy; else ktime_get_seconds() + 1 when idle */
	bool gone; /* removed: no connection may hold it now */
};

/* What the schedulers choose from; rebuilt on every change, RCU. */
struct casvip_sched_state {
	struct rcu_head rcu;
	atomic_t cursor; /* rr, wrr */
	u8 type; /* enum casvip_sched, as built */
	unsigned int n; /* servers in srv[]: eligible ones; mh: all weighted */
	unsigned int nup; /* eligible servers */
	bool failing_open; /* eligible by weight and admin state alone */
	bool on_backup; /* the backup servers are the eligible ones */
	unsigned int len; /* entries of table[] */
	u16 *table; /* wrr and sh: a weighted sequence; mh: the lookup table */
	unsigned long *up; /* mh: the eligible ones of srv[] */
	struct casvip_server *srv[];
};

struct casvip_match {
	u8 family; /* NFPROTO_IPV4 or NFPROTO_IPV6 */
	u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	union nf_inet_addr vip;
	unsigned int nranges;
	struct casvip_port_range ranges[CASVIP_MAX_RANGES];
	/* Ports its servers' endpoint mappers announce (follow), rising. */
	unsigned int nannounced;
	u16 announced[CASVIP_MAX_ANNOUNCED];
};

/*
 * What the packet path needs of a service to match a connection and NAT
 * it: replaced whole, never changed in place, so that a change opens no
 * window in which a connection matches nothing.
 */
struct casvip_vnode {
	struct hlist_node node; /* casvip_net.by_vip, RCU */
	struct casvip_service *svc;
	struct casvip_match match;
	u8 snat; /* enum casvip_snat */
	bool dying; /* its service is deleted: match no new packet */
	bool keep_conns; /* ... and its connections stay */
	bool seen; /* kept: a connection of it was seen; cn->lock */
	union nf_inet_addr snat_addr;
	unsigned int nfollow; /* interfaces whose ports its mappers give */
	struct casvip_iface follow[CASVIP_MAX_FOLLOW];
	struct casvip_port_stats *ports;
	struct list_head kept; /* casvip_net.kept; cn->lock */
	struct rcu_head rcu;
};

struct casvip_net;

/* A persistence dump in progress: it ends when its service goes. */
struct casvip_persist_dump {
	struct list_head list; /* casvip_service.dumps */
	struct rhashtable_iter iter;
	struct casvip_service *svc; /* until it ends */
	bool ended;
};

struct casvip_service {
	struct casvip_net *cn;
	struct list_head list; /* casvip_net.services, creation order */
	struct hlist_node name_node; /* casvip_net.by_name */
	struct casvip_vnode __rcu *vnode;
	char name[CASVIP_NAME_MAX];
	u8 family; /* of the VIP: NFPROTO_IPV4 or NFPROTO_IPV6, for good */
	u8 sched; /* enum casvip_sched */
	u8 netmask; /* persistence prefix length */
	u8 alldown; /* enum casvip_alldown */
	bool failing_open; /* as the scheduler state says; see sched.c */
	bool on_backup; /* the same: backup servers take the new clients */
	u16 udata_len;
	void *udata; /* CASVIP_A_SERVICE_USERDATA, never read; cn->lock */
	u32 timeout; /* persistence, seconds */
	struct list_head servers; /* RCU */
	unsigned int nservers;
	DECLARE_HASHTABLE(by_addr, 6); /* servers by address; cn->lock */
	struct casvip_sched_state __rcu *sched_state;
	struct mem_cgroup *memcg; /* its creator's: pays for its memory */
	struct rhashtable persist; /* casvip_persist by key */
	struct list_head persist_new, persist_live, persist_idle;
	spinlock_t persist_lock; /* the three lists */
	atomic_t npersist;
	u32 persist_max; /* 0: nf_conntrack_max */
	unsigned long evict_next; /* jiffies: no eviction asked before */
	u64 evicted; /* entries evicted at the limit; cn->lock */
	unsigned long full_told; /* jiffies of the last PERSIST_FULL event */
	u8 state_told; /* CASVIP_STATE_* of the last state event; cn->lock */
	struct casvip_counts counts; /* cn->lock */
	struct casvip_traffic traffic; /* cn->lock */
	struct casvip_stats zero; /* @stats at the last zeroing; cn->lock */
	u32 follow_max; /* expectations held at most; 0: conntrack's default */
	u32 expected; /* held by its connections to 135; epm_lock */
	u32 tally; /* ... as casvip_epm_count() finds them */
	atomic64_t followed; /* ports its mappers' answers opened */
	atomic64_t declined; /* data on its port 135 that could not be read */
	struct list_head dumps; /* persistence dumps in progress; cn->lock */
	struct casvip_stats_pcpu __percpu *stats;
	struct rhashtable conns_hash; /* casvip_conn by tuple */
	struct llist_head conns_new; /* casvip_conn, made since the fold */
	/* ... and before, by the second the GC folds them in; cn->lock */
	struct list_head conns[CASVIP_CONN_SLOTS];
	unsigned long conns_next; /* the first second not swept: jiffies / HZ */
	int conns_fresh; /* a record was made FRESH since the GC's last run */
};

#define CASVIP_HASH_BITS 10

/* Per network namespace state. */
struct casvip_net {
	struct net *net;
	struct work_struct evict; /* a service reached its persistence limit */
	struct mutex lock; /* serialises every change */
	bool hooked; /* NAT hooks registered */
	struct delayed_work gc; /* persistence and active counts */
	struct list_head services;
	unsigned int nservices;
	/*
	 * Vnodes of services deleted with keep_conns: still in by_vip
	 * (dying), so that their connections can be found, and the NAT hooks
	 * stay while they have any.
	 */
	struct list_head kept;
	unsigned int gc_runs;
	u32 generation; /* bumped when objects come or go, for dumps */
	DECLARE_HASHTABLE(by_name, CASVIP_HASH_BITS);
	DECLARE_HASHTABLE(by_vip, CASVIP_HASH_BITS); /* casvip_vnode, RCU */
};

struct casvip_net *casvip_pernet(struct net *net);

static inline u32 casvip_vip_hash(u8 family, u8 proto,
				  const union nf_inet_addr *vip)
{
	return jhash2(vip->all, ARRAY_SIZE(vip->all), family << 8 | proto);
}

/* The entry of the port list that holds @port, or -1. */
static inline int casvip_port_index(const struct casvip_match *m, u16 port)
{
	unsigned int i;

	for (i = 0; i < m->nranges; i++) {
		if (port < m->ranges[i].first)
			return -1;
		if (port <= m->ranges[i].last)
			return i;
	}
	return -1;
}

/* Is @port one the servers' mappers announce? */
static inline bool casvip_announced(const struct casvip_match *m, u16 port)
{
	unsigned int lo = 0, hi = m->nannounced;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (m->announced[mid] == port)
			return true;
		if (m->announced[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static inline bool casvip_match_port(const struct casvip_match *m, u16 port)
{
	return casvip_port_index(m, port) >= 0 || casvip_announced(m, port);
}

/* The service's current vnode, for holders of casvip_net.lock. */
static inline struct casvip_vnode *
casvip_vnode(const struct casvip_service *svc)
{
	return rcu_dereference_protected(svc->vnode,
					 lockdep_is_held(&svc->cn->lock));
}

static inline void casvip_stats_conn(struct casvip_stats_pcpu __percpu *pcpu)
{
	struct casvip_stats_pcpu *s = get_cpu_ptr(pcpu);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->conns);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(pcpu);
}

/* @nat: the NAT engine failed; else no server could take it. */
static inline void casvip_stats_drop(struct casvip_stats_pcpu __percpu *pcpu,
				     bool nat)
{
	struct casvip_stats_pcpu *s = get_cpu_ptr(pcpu);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(nat ? &s->drop_nat : &s->drop_noserver);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(pcpu);
}

/* A connection to @port, in range @i: scheduled, or refused. */
static inline void casvip_stats_port(const struct casvip_vnode *v, int i,
				     u16 port, bool refused)
{
	const struct casvip_port_stats *ps = v->ports;
	unsigned int k = ps->first[i];
	struct casvip_port_pcpu *s;

	if (ps->each[i])
		k += port - v->match.ranges[i].first;
	s = get_cpu_ptr(ps->pcpu);
	u64_stats_update_begin(&s[k].syncp);
	u64_stats_inc(refused ? &s[k].drop_noserver : &s[k].conns);
	u64_stats_update_end(&s[k].syncp);
	put_cpu_ptr(ps->pcpu);
}

/*
 * Allocations for @svc (GFP_KERNEL_ACCOUNT) are charged to its creator,
 * whoever asks for them: healthd's changes, for one.
 */
static inline struct mem_cgroup *
casvip_charge_begin(const struct casvip_service *svc)
{
	return set_active_memcg(svc->memcg);
}

static inline void casvip_charge_end(struct mem_cgroup *old)
{
	set_active_memcg(old);
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
	bool has_follow_max;
	u32 follow_max;
	bool has_alldown;
	u8 alldown;
	const struct nlattr *udata; /* NULL: unchanged */
	bool has_snat_addr;
	u8 snat_family;
	union nf_inet_addr snat_addr;
	bool keep_conns; /* on deletion, leave its connections alone */
	bool has_follow;
	bool has_announced; /* into match.announced */
	unsigned int nfollow;
	struct casvip_iface follow[CASVIP_MAX_FOLLOW];
};

/* One server of a request; a request may carry many. */
struct casvip_server_cfg {
	u8 family;
	union nf_inet_addr addr;
	bool keep_conns; /* on removal, leave its connections alone */
	bool has_weight, has_admin, has_health, has_backup;
	bool backup;
	u32 weight;
	u8 admin;
	u8 health;
	const char *reason; /* NULL: unchanged */
	const struct nlattr *attr; /* where it came from, for errors */
	struct casvip_server *srv; /* set and del: the server it names */
};

struct casvip_service *casvip_service_find(struct casvip_net *cn,
					   const char *name);
int casvip_service_new(struct casvip_net *cn,
		       const struct casvip_service_cfg *cfg,
		       struct casvip_server_cfg *servers, unsigned int n,
		       struct netlink_ext_ack *extack);
int casvip_service_set(struct casvip_net *cn, struct casvip_service *svc,
		       const struct casvip_service_cfg *cfg,
		       struct netlink_ext_ack *extack);
void casvip_service_del(struct casvip_net *cn, struct casvip_service *svc,
			bool keep_conns);
void casvip_flush(struct casvip_net *cn, bool flush_conns);
void casvip_kept_reap(struct casvip_net *cn);
void casvip_service_cfg_merge(struct casvip_service *svc,
			      struct casvip_service_cfg *cfg);

struct casvip_server *casvip_server_find(const struct casvip_service *svc,
					 const union nf_inet_addr *addr);
int casvip_servers_new(struct casvip_net *cn, struct casvip_service *svc,
		       struct casvip_server_cfg *cfgs, unsigned int n,
		       struct netlink_ext_ack *extack);
int casvip_servers_set(struct casvip_net *cn, struct casvip_service *svc,
		       struct casvip_server_cfg *cfgs, unsigned int n,
		       struct netlink_ext_ack *extack);
int casvip_servers_del(struct casvip_net *cn, struct casvip_service *svc,
		       struct casvip_server_cfg *cfgs, unsigned int n,
		       struct netlink_ext_ack *extack);
bool casvip_server_usable(const struct casvip_server *srv);
u64 casvip_service_active(const struct casvip_service *svc);
bool casvip_server_drained(const struct casvip_server *srv);

/* What a CASVIP_CMD_SERVICE_STATE event reports a change of. */
#define CASVIP_STATE_DOWN BIT(0) /* no eligible server */
#define CASVIP_STATE_OPEN BIT(1) /* failing open */
#define CASVIP_STATE_BACKUP BIT(2) /* on the backup servers */
u8 casvip_service_state(const struct casvip_service *svc);
void casvip_port_stats_read(const struct casvip_port_stats *ps, unsigned int k,
			    u64 *conns, u64 *drops);

/* sched.c */
int casvip_sched_rebuild(struct casvip_service *svc);
struct casvip_server *casvip_schedule(const struct casvip_service *svc,
				      const union nf_inet_addr *client);
void casvip_sched_free(struct casvip_service *svc);

/* persist.c */
int casvip_persist_init(struct casvip_service *svc);
void casvip_persist_destroy(struct casvip_service *svc);
u32 casvip_persist_limit(const struct casvip_service *svc);
void casvip_persist_mask(const struct casvip_service *svc,
			 const union nf_inet_addr *addr,
			 union nf_inet_addr *key);
struct casvip_server *casvip_persist_lookup(struct casvip_service *svc,
					    const union nf_inet_addr *client,
					    struct casvip_persist **ep);
struct casvip_persist *casvip_persist_bind(struct casvip_service *svc,
					   const union nf_inet_addr *client,
					   struct casvip_server *srv,
					   const struct nf_conn *ct);
bool casvip_persist_hold(struct casvip_persist *e);
void casvip_persist_put(struct casvip_persist *e);
int casvip_persist_pin(struct casvip_service *svc,
		       const union nf_inet_addr *client,
		       struct casvip_server *srv);
struct casvip_persist *casvip_persist_learn(struct casvip_service *svc,
					    const union nf_inet_addr *client,
					    struct casvip_server *srv);
void casvip_persist_flush(struct casvip_service *svc,
			  const union nf_inet_addr *client);
void casvip_persist_flush_retired(struct casvip_service *svc);
void casvip_persist_gc(struct net *net, struct casvip_service *svc);
void casvip_watch(struct casvip_server *srv, const struct nf_conn *ct);
void casvip_gc_work(struct work_struct *work);
void casvip_persist_dump_begin(struct casvip_service *svc,
			       struct casvip_persist_dump *d);
void casvip_persist_dump_end(struct casvip_persist_dump *d);
struct casvip_persist *casvip_persist_dump_cur(struct casvip_persist_dump *d,
					       bool *resized);
struct casvip_persist *casvip_persist_dump_next(struct casvip_persist_dump *d,
						bool *resized);
void casvip_evict_work(struct work_struct *work);
int casvip_persist_cache_init(void);
void casvip_persist_cache_exit(void);

/* nat.c */
struct casvip_vnode *casvip_vnode_match(struct casvip_net *cn, u8 family,
					u8 proto,
					const union nf_inet_addr *vip,
					u16 port);
int casvip_hooks_register(struct casvip_net *cn);
void casvip_hooks_unregister(struct casvip_net *cn);
int casvip_conns_init(struct casvip_service *svc);
void casvip_conns_fold(struct casvip_service *svc);
void casvip_conns_ended(struct casvip_service *svc, struct casvip_persist *e);
void casvip_conns_fold_due(struct casvip_service *svc);
void casvip_conns_release(struct casvip_service *svc);
int casvip_conn_cache_init(void);
void casvip_conn_cache_exit(void);
void casvip_conns_flush_retired(struct casvip_net *cn,
				struct casvip_service *svc);
void casvip_conns_flush_dying(struct casvip_net *cn);
void casvip_conns_flush_moved(struct casvip_net *cn,
			      struct casvip_service *svc,
			      const struct casvip_match *from,
			      const struct casvip_match *to);
void casvip_conns_kept_seen(struct casvip_net *cn);
unsigned int casvip_conns_learn(struct casvip_net *cn);

extern atomic_t casvip_objects;

/* The counters of @pcpu since the last zeroing, @zero. */
void casvip_stats_get(struct casvip_stats_pcpu __percpu *pcpu,
		      const struct casvip_traffic *traffic,
		      const struct casvip_stats *zero, struct casvip_stats *out);
int casvip_service_zero_prepare(struct casvip_service *svc);
void casvip_service_zero(struct casvip_service *svc);

/* epm.c: the endpoint mapper's port, whose answers a service follows. */
#define CASVIP_EPM_PORT 135
/* The ports a mapper may open or announce: none of the well-known ones. */
#define CASVIP_EPM_PORT_MIN 1024
int casvip_epm_init(void);
void casvip_epm_exit(void);
void casvip_epm_attach(struct nf_conn *ct);
bool casvip_epm_child(const struct nf_conn *ct);
u32 casvip_epm_limit(const struct casvip_service *svc);
void casvip_epm_count(struct casvip_net *cn);
void casvip_epm_forget(struct casvip_service *svc,
		       const struct casvip_match *m);

/* netlink.c */
int casvip_genl_init(void);
void casvip_genl_exit(void);
void casvip_notify_service(struct casvip_net *cn, u8 cmd,
			   const struct casvip_service *svc);
void casvip_notify_server(struct casvip_net *cn, u8 cmd,
			  const struct casvip_server *srv);

#endif /* _CASVIP_H */
