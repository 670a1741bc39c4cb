// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: lifetime of services and real servers.
 *
 * Every function here but the lookups runs with casvip_net.lock held. The
 * packet path finds services through casvip_net.by_vip and servers through
 * casvip_service.sched_state and .by_addr under RCU. An object the packet
 * path must stop using is unlinked (and a server marked dead), then after
 * synchronize_net() its persistence entries and connections are removed and
 * it is freed: nothing can bind a client to it any more.
 */
#include <linux/jhash.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "casvip.h"

/* Services and servers alive, to catch a leak at module unload. */
atomic_t casvip_objects = ATOMIC_INIT(0);

static u32 name_hash(const char *name)
{
	return jhash(name, strlen(name), 0);
}

static u32 vip_hash(const struct casvip_match *m)
{
	return casvip_vip_hash(m->family, m->proto, &m->vip);
}

static u32 addr_hash(const union nf_inet_addr *addr)
{
	return jhash2(addr->all, ARRAY_SIZE(addr->all), 0);
}

struct casvip_service *casvip_service_find(struct casvip_net *cn,
					   const char *name)
{
	struct casvip_service *svc;

	lockdep_assert_held(&cn->lock);
	hash_for_each_possible(cn->by_name, svc, name_node, name_hash(name))
		if (!strcmp(svc->name, name))
			return svc;
	return NULL;
}

static bool ranges_overlap(const struct casvip_match *a,
			   const struct casvip_match *b)
{
	unsigned int i = 0, j = 0;

	/* Both arrays are sorted and free of overlaps: merge them. */
	while (i < a->nranges && j < b->nranges) {
		if (a->ranges[i].last < b->ranges[j].first)
			i++;
		else if (b->ranges[j].last < a->ranges[i].first)
			j++;
		else
			return true;
	}
	return false;
}

/* Another service claiming a port of @m on the same VIP and protocol? */
static bool match_conflicts(struct casvip_net *cn,
			    const struct casvip_match *m,
			    const struct casvip_service *self)
{
	struct casvip_service *svc;

	hash_for_each_possible(cn->by_vip, svc, vip_node, vip_hash(m)) {
		if (svc == self || svc->match.family != m->family ||
		    svc->match.proto != m->proto ||
		    !nf_inet_addr_cmp(&svc->match.vip, &m->vip))
			continue;
		if (ranges_overlap(&svc->match, m))
			return true;
	}
	return false;
}

static void service_apply(struct casvip_service *svc,
			  const struct casvip_service_cfg *cfg)
{
	if (cfg->has_match)
		svc->match = cfg->match;
	if (cfg->has_sched)
		svc->sched = cfg->sched;
	if (cfg->has_timeout)
		WRITE_ONCE(svc->timeout, cfg->timeout);
	if (cfg->has_netmask)
		svc->netmask = cfg->netmask;
	if (cfg->has_snat)
		WRITE_ONCE(svc->snat, cfg->snat);
	if (cfg->has_snat_addr)
		svc->snat_addr = cfg->snat_addr;
	if (cfg->has_persist_max)
		WRITE_ONCE(svc->persist_max, cfg->persist_max);
}

static int service_check(struct casvip_net *cn, struct casvip_service *self,
			 const struct casvip_service_cfg *cfg,
			 const struct casvip_match *m,
			 struct netlink_ext_ack *extack)
{
	u8 snat = cfg->has_snat ? cfg->snat : self ? self->snat : 0;
	bool has_addr = cfg->has_snat_addr ||
			(self && self->snat == CASVIP_SNAT_ADDR);

	if (self && m->family != self->match.family) {
		NL_SET_ERR_MSG(extack, "the VIP's address family cannot change");
		return -EAFNOSUPPORT;
	}
	if (cfg->has_netmask &&
	    cfg->netmask > (m->family == NFPROTO_IPV4 ? 32 : 128)) {
		NL_SET_ERR_MSG(extack,
			       "persistence netmask is longer than the VIP's address");
		return -EINVAL;
	}
	if (cfg->has_snat_addr && cfg->snat_family != m->family) {
		NL_SET_ERR_MSG(extack, "SNAT address is not of the VIP's family");
		return -EAFNOSUPPORT;
	}
	if (snat == CASVIP_SNAT_ADDR && !has_addr) {
		NL_SET_ERR_MSG(extack, "SNAT to an address needs the address");
		return -EINVAL;
	}
	if (cfg->has_match && match_conflicts(cn, m, self)) {
		NL_SET_ERR_MSG(extack,
			       "a port is already claimed by another service on this VIP and protocol");
		return -EEXIST;
	}
	return 0;
}

static void service_free(struct casvip_service *svc)
{
	casvip_sched_free(svc);
	free_percpu(svc->stats);
	kfree(svc);
	atomic_dec(&casvip_objects);
}

int casvip_service_new(struct casvip_net *cn,
		       const struct casvip_service_cfg *cfg,
		       struct netlink_ext_ack *extack)
{
	struct casvip_service *svc;
	int ret;

	lockdep_assert_held(&cn->lock);
	if (casvip_service_find(cn, cfg->name)) {
		NL_SET_ERR_MSG(extack, "a service of that name exists");
		return -EEXIST;
	}
	if (cn->nservices >= CASVIP_MAX_SERVICES) {
		NL_SET_ERR_MSG(extack, "too many services in this namespace");
		return -ENOSPC;
	}
	ret = service_check(cn, NULL, cfg, &cfg->match, extack);
	if (ret)
		return ret;

	svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return -ENOMEM;
	atomic_inc(&casvip_objects);
	svc->cn = cn;
	strscpy(svc->name, cfg->name, sizeof(svc->name));
	svc->sched = CASVIP_SCHED_MH;
	svc->timeout = CASVIP_PERSIST_TIMEOUT_DEFAULT;
	svc->netmask = cfg->match.family == NFPROTO_IPV4 ? 32 : 128;
	INIT_LIST_HEAD(&svc->servers);
	hash_init(svc->by_addr);
	service_apply(svc, cfg);
	svc->stats = netdev_alloc_pcpu_stats(struct casvip_stats_pcpu);
	ret = svc->stats ? casvip_sched_rebuild(svc) : -ENOMEM;
	if (ret)
		goto err_free;
	ret = casvip_persist_init(svc);
	if (ret)
		goto err_free;
	if (!cn->hooked) {
		ret = casvip_hooks_register(cn);
		if (ret) {
			NL_SET_ERR_MSG(extack,
				       "cannot hook into netfilter NAT in this namespace");
			goto err_persist;
		}
	}

	list_add_tail(&svc->list, &cn->services);
	hash_add(cn->by_name, &svc->name_node, name_hash(svc->name));
	hash_add_rcu(cn->by_vip, &svc->vip_node, vip_hash(&svc->match));
	cn->nservices++;
	cn->generation++;
	return 0;

err_persist:
	casvip_persist_destroy(svc);
err_free:
	service_free(svc);
	return ret;
}

int casvip_service_set(struct casvip_net *cn, struct casvip_service *svc,
		       const struct casvip_service_cfg *cfg,
		       struct netlink_ext_ack *extack)
{
	const struct casvip_match *m = cfg->has_match ? &cfg->match :
							&svc->match;
	/* Keys change with the netmask, and with persistence on or off. */
	bool rekey = (cfg->has_netmask && cfg->netmask != svc->netmask) ||
		     (cfg->has_timeout && !cfg->timeout != !svc->timeout);
	u8 old_sched = svc->sched;
	int ret;

	lockdep_assert_held(&cn->lock);
	ret = service_check(cn, svc, cfg, m, extack);
	if (ret)
		return ret;
	/* The one step that can fail goes first: then nothing changes. */
	if (cfg->has_sched && cfg->sched != old_sched) {
		svc->sched = cfg->sched;
		ret = casvip_sched_rebuild(svc);
		if (ret) {
			svc->sched = old_sched;
			NL_SET_ERR_MSG(extack, "no memory for the scheduler");
			return ret;
		}
	}

	if (cfg->has_match || cfg->has_snat_addr || rekey) {
		/*
		 * The packet path reads these without the lock: take the
		 * service out of its sight while they change.
		 */
		hash_del_rcu(&svc->vip_node);
		synchronize_net();
		service_apply(svc, cfg);
		if (rekey)
			casvip_persist_flush(svc, NULL, NULL);
		hash_add_rcu(cn->by_vip, &svc->vip_node, vip_hash(&svc->match));
	} else {
		service_apply(svc, cfg);
	}
	return 0;
}

static void server_free(struct casvip_server *srv)
{
	free_percpu(srv->stats);
	kfree(srv);
	atomic_dec(&casvip_objects);
}

/*
 * Take @srv out of the packet path's sight, then remove its clients and
 * (unless asked to keep them) its connections. After synchronize_net() no
 * CPU can still be binding a client to it.
 */
static void server_retire(struct casvip_net *cn, struct casvip_server *srv,
			  bool keep_conns)
{
	synchronize_net();
	casvip_persist_flush(srv->svc, srv, NULL);
	if (!keep_conns)
		casvip_conns_flush(cn, srv);
}

/* Unlink the service; the caller frees it after a grace period. */
static void service_unlink(struct casvip_net *cn, struct casvip_service *svc)
{
	hash_del_rcu(&svc->vip_node);
	hash_del(&svc->name_node);
	list_del(&svc->list);
	cn->nservices--;
	cn->generation++;
}

/* After a grace period: nothing on the packet path can see it. */
static void service_destroy(struct casvip_service *svc)
{
	struct casvip_server *srv, *tmp;

	casvip_persist_destroy(svc);
	list_for_each_entry_safe(srv, tmp, &svc->servers, list)
		server_free(srv);
	service_free(svc);
}

static void hooks_put(struct casvip_net *cn)
{
	if (!cn->nservices && cn->hooked)
		casvip_hooks_unregister(cn);
}

void casvip_service_del(struct casvip_net *cn, struct casvip_service *svc)
{
	lockdep_assert_held(&cn->lock);
	service_unlink(cn, svc);
	hooks_put(cn);
	synchronize_net();
	service_destroy(svc);
}

void casvip_flush(struct casvip_net *cn)
{
	struct casvip_service *svc, *tmp;
	LIST_HEAD(dead);

	lockdep_assert_held(&cn->lock);
	list_for_each_entry_safe(svc, tmp, &cn->services, list) {
		service_unlink(cn, svc);
		list_add_tail(&svc->list, &dead);
	}
	hooks_put(cn);
	/* One grace period for them all. */
	synchronize_net();
	list_for_each_entry_safe(svc, tmp, &dead, list) {
		service_destroy(svc);
		cond_resched();
	}
}

u64 casvip_service_active(const struct casvip_service *svc)
{
	struct casvip_server *srv;
	u64 active = 0;

	list_for_each_entry(srv, &svc->servers, list)
		active += atomic_read(&srv->active);
	return active;
}

struct casvip_server *casvip_server_find(const struct casvip_service *svc,
					 const union nf_inet_addr *addr)
{
	struct casvip_server *srv;

	hash_for_each_possible(svc->by_addr, srv, addr_node, addr_hash(addr))
		if (nf_inet_addr_cmp(&srv->addr, addr))
			return srv;
	return NULL;
}

/* The packet path's lookup, under RCU. */
struct casvip_server *casvip_server_lookup(const struct casvip_service *svc,
					   const union nf_inet_addr *addr)
{
	struct casvip_server *srv;

	hash_for_each_possible_rcu(svc->by_addr, srv, addr_node,
				   addr_hash(addr))
		if (nf_inet_addr_cmp(&srv->addr, addr))
			return srv;
	return NULL;
}

static void server_apply(struct casvip_server *srv,
			 const struct casvip_server_cfg *cfg)
{
	if (cfg->has_weight)
		WRITE_ONCE(srv->weight, cfg->weight);
	if (cfg->has_admin)
		WRITE_ONCE(srv->admin, cfg->admin);
	if (cfg->has_health)
		WRITE_ONCE(srv->health, cfg->health);
	if (cfg->reason)
		strscpy(srv->reason, cfg->reason, sizeof(srv->reason));
}

int casvip_server_new(struct casvip_net *cn, struct casvip_service *svc,
		      const struct casvip_server_cfg *cfg,
		      struct netlink_ext_ack *extack)
{
	struct casvip_server *srv;
	int ret;

	lockdep_assert_held(&cn->lock);
	if (cfg->family != svc->match.family) {
		NL_SET_ERR_MSG(extack,
			       "server address is not of the VIP's family");
		return -EAFNOSUPPORT;
	}
	if (casvip_server_find(svc, &cfg->addr)) {
		NL_SET_ERR_MSG(extack, "the service has a server of that address");
		return -EEXIST;
	}
	if (svc->nservers >= CASVIP_MAX_SERVERS) {
		NL_SET_ERR_MSG(extack, "too many servers in this service");
		return -ENOSPC;
	}
	srv = kzalloc(sizeof(*srv), GFP_KERNEL_ACCOUNT);
	if (!srv)
		return -ENOMEM;
	atomic_inc(&casvip_objects);
	srv->stats = netdev_alloc_pcpu_stats(struct casvip_stats_pcpu);
	if (!srv->stats) {
		server_free(srv);
		return -ENOMEM;
	}
	srv->svc = svc;
	srv->addr = cfg->addr;
	srv->weight = CASVIP_WEIGHT_DEFAULT;
	server_apply(srv, cfg);
	list_add_tail_rcu(&srv->list, &svc->servers);
	hash_add_rcu(svc->by_addr, &srv->addr_node, addr_hash(&srv->addr));
	svc->nservers++;
	ret = casvip_sched_rebuild(svc);
	if (ret) {
		NL_SET_ERR_MSG(extack, "no memory for the scheduler");
		list_del_rcu(&srv->list);
		hash_del_rcu(&srv->addr_node);
		svc->nservers--;
		synchronize_net();
		server_free(srv);
		return ret;
	}
	cn->generation++;
	return 0;
}

int casvip_server_set(struct casvip_net *cn, struct casvip_server *srv,
		      const struct casvip_server_cfg *cfg,
		      struct netlink_ext_ack *extack)
{
	struct casvip_server_cfg undo = {
		.has_weight = true, .weight = srv->weight,
		.has_admin = true, .admin = srv->admin,
		.has_health = true, .health = srv->health,
	};
	bool was_usable = casvip_server_usable(srv);
	int ret;

	lockdep_assert_held(&cn->lock);
	server_apply(srv, cfg);
	if (!cfg->has_weight && !cfg->has_admin && !cfg->has_health)
		return 0; /* the reason alone: nothing to reschedule */
	ret = casvip_sched_rebuild(srv->svc);
	if (ret) {
		server_apply(srv, &undo);
		NL_SET_ERR_MSG(extack, "no memory for the scheduler");
		return ret;
	}
	if (was_usable && !casvip_server_usable(srv))
		server_retire(cn, srv, cfg->keep_conns);
	return 0;
}

int casvip_server_del(struct casvip_net *cn, struct casvip_server *srv,
		      bool keep_conns, struct netlink_ext_ack *extack)
{
	struct casvip_service *svc = srv->svc;
	int ret;

	lockdep_assert_held(&cn->lock);
	/* First a scheduler state without it, or nothing changes. */
	WRITE_ONCE(srv->dead, true);
	ret = casvip_sched_rebuild(svc);
	if (ret) {
		WRITE_ONCE(srv->dead, false);
		NL_SET_ERR_MSG(extack, "no memory for the scheduler");
		return ret;
	}
	list_del_rcu(&srv->list);
	hash_del_rcu(&srv->addr_node);
	svc->nservers--;
	server_retire(cn, srv, keep_conns);
	cn->generation++;
	server_free(srv);
	return 0;
}

void casvip_stats_read(struct casvip_stats_pcpu __percpu *pcpu,
		       struct casvip_stats *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct casvip_stats_pcpu *s = per_cpu_ptr(pcpu, cpu);
		u64 conns, pi, po, bi, bo, drop;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			conns = u64_stats_read(&s->conns);
			pi = u64_stats_read(&s->pkts_in);
			po = u64_stats_read(&s->pkts_out);
			bi = u64_stats_read(&s->bytes_in);
			bo = u64_stats_read(&s->bytes_out);
			drop = u64_stats_read(&s->drop_noserver);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		out->conns += conns;
		out->pkts_in += pi;
		out->pkts_out += po;
		out->bytes_in += bi;
		out->bytes_out += bo;
		out->drop_noserver += drop;
	}
}
