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
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <uapi/linux/casvip.h>

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
	struct casvip_service *svc;
	union nf_inet_addr addr;
	u32 weight;
	u8 admin; /* enum casvip_admin */
	u8 health; /* enum casvip_health */
	struct casvip_stats_pcpu __percpu *stats;
	struct rcu_head rcu;
};

/* What a packet is matched against; replaced only while unhashed. */
struct casvip_match {
	u8 family; /* NFPROTO_IPV4 or NFPROTO_IPV6 */
	u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	union nf_inet_addr vip;
	unsigned int nranges;
	struct casvip_port_range ranges[CASVIP_MAX_RANGES];
};

struct casvip_service {
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
	struct casvip_stats_pcpu __percpu *stats;
	struct rcu_head rcu;
};

#define CASVIP_HASH_BITS 10

/* Per network namespace state. */
struct casvip_net {
	struct mutex lock; /* serialises every change */
	struct list_head services;
	unsigned int nservices;
	u32 generation; /* bumped on every change, for dumps */
	DECLARE_HASHTABLE(by_name, CASVIP_HASH_BITS);
	DECLARE_HASHTABLE(by_vip, CASVIP_HASH_BITS); /* RCU */
};

struct casvip_net *casvip_pernet(struct net *net);

/* service.c: object lifetime; all but the lookups need cn->lock. */
struct casvip_service_cfg {
	const char *name;
	bool has_match, has_sched, has_timeout, has_netmask, has_snat;
	struct casvip_match match;
	u8 sched;
	u32 timeout;
	u8 netmask;
	u8 snat;
	bool has_snat_addr;
	u8 snat_family;
	union nf_inet_addr snat_addr;
};

struct casvip_server_cfg {
	u8 family;
	union nf_inet_addr addr;
	bool has_weight, has_admin, has_health;
	u32 weight;
	u8 admin;
	u8 health;
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
int casvip_server_new(struct casvip_net *cn, struct casvip_service *svc,
		      const struct casvip_server_cfg *cfg,
		      struct netlink_ext_ack *extack);
void casvip_server_set(struct casvip_net *cn, struct casvip_server *srv,
		       const struct casvip_server_cfg *cfg);
void casvip_server_del(struct casvip_net *cn, struct casvip_server *srv);

extern atomic_t casvip_objects;

void casvip_stats_read(struct casvip_stats_pcpu __percpu *pcpu,
		       struct casvip_stats *out);

/* netlink.c */
int casvip_genl_init(void);
void casvip_genl_exit(void);

#endif /* _CASVIP_H */
