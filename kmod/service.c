// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: lifetime of services and real servers.
 *
 * Every function here but the lookups runs with casvip_net.lock held. The
 * packet path finds services through the vnodes in casvip_net.by_vip, and
 * servers through casvip_service.sched_state and persistence entries, all
 * under RCU.
 *
 * A server that stops taking new clients (disabled, down, deleted) leaves
 * the scheduler first; after a grace period no CPU can bind a client to it,
 * and its persistence entries and connections are removed. Servers that
 * leave in one request share that grace period. A deleted server is freed
 * after another one, since a packet may still hold it through an entry
 * that was just removed.
 */
#include <linux/jhash.h>
#include <linux/memcontrol.h>
#include <linux/netlink.h>
#include <linux/sched/mm.h>
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

/* A port @a announces that @b claims, as a port or announced? */
static bool announced_claimed(const struct casvip_match *a,
			      const struct casvip_match *b)
{
	unsigned int i;

	for (i = 0; i < a->nannounced; i++)
		if (casvip_match_port(b, a->announced[i]))
			return true;
	return false;
}

/* Another service claiming a port of @m on the same VIP and protocol? */
static bool match_conflicts(struct casvip_net *cn,
			    const struct casvip_match *m,
			    const struct casvip_service *self)
{
	struct casvip_vnode *v;

	hash_for_each_possible(cn->by_vip, v, node, vip_hash(m)) {
		const struct casvip_match *o = &v->match;

		if (v->svc == self || v->dying || o->family != m->family ||
		    o->proto != m->proto || !nf_inet_addr_cmp(&o->vip, &m->vip))
			continue;
		if (ranges_overlap(o, m) || announced_claimed(o, m) ||
		    announced_claimed(m, o))
			return true;
	}
	return false;
}

static int service_check(struct casvip_net *cn, struct casvip_service *self,
			 const struct casvip_service_cfg *cfg,
			 const struct casvip_match *m,
			 struct netlink_ext_ack *extack)
{
	const struct casvip_vnode *old = self ? casvip_vnode(self) : NULL;
	u8 snat = cfg->has_snat ? cfg->snat : old ? old->snat : 0;
	unsigned int nfollow;
	bool has_addr = cfg->has_snat_addr ||
			(old && old->snat == CASVIP_SNAT_ADDR);

	if (old && m->family != old->match.family) {
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
	nfollow = cfg->has_follow ? cfg->nfollow : old ? old->nfollow : 0;
	if (nfollow && (m->proto != IPPROTO_TCP ||
			casvip_port_index(m, CASVIP_EPM_PORT) < 0)) {
		NL_SET_ERR_MSG(extack,
			       "following the endpoint mapper needs TCP and port 135");
		return -EINVAL;
	}
	if (m->nannounced && !nfollow) {
		NL_SET_ERR_MSG(extack,
			       "announced ports are of a service that follows the endpoint mapper");
		return -EINVAL;
	}
	if (cfg->has_match && match_conflicts(cn, m, self)) {
		NL_SET_ERR_MSG(extack,
			       "a port is already claimed by another service on this VIP and protocol");
		return -EEXIST;
	}
	return 0;
}

/*
 * The VIP and ports an admin sets, and the ports healthd finds announced,
 * change apart: a request that gives one keeps the other as it is.
 */
void casvip_service_cfg_merge(struct casvip_service *svc,
			      struct casvip_service_cfg *cfg)
{
	const struct casvip_match *old = &casvip_vnode(svc)->match;
	struct casvip_match *m = &cfg->match;

	/* Following no more: nothing is announced. */
	if (cfg->has_follow && !cfg->nfollow && !cfg->has_announced) {
		cfg->has_announced = true;
		m->nannounced = 0;
	}
	if (cfg->has_announced && !cfg->has_match) {
		m->family = old->family;
		m->proto = old->proto;
		m->vip = old->vip;
		m->nranges = old->nranges;
		memcpy(m->ranges, old->ranges, sizeof(m->ranges));
		cfg->has_match = true;
	} else if (cfg->has_match && !cfg->has_announced) {
		m->nannounced = old->nannounced;
		memcpy(m->announced, old->announced, sizeof(m->announced));
	}
}

/*
 * Counters for the ports of @m: one per port while the ranges left can
 * still have one each, else one for the range.
 */
static struct casvip_port_stats *port_stats_new(const struct casvip_match *m)
{
	struct casvip_port_stats *ps;
	unsigned int i, n = 0;
	int cpu;

	ps = kzalloc(sizeof(*ps), GFP_KERNEL_ACCOUNT);
	if (!ps)
		return NULL;
	for (i = 0; i < m->nranges; i++) {
		unsigned int ports = m->ranges[i].last - m->ranges[i].first + 1;

		ps->first[i] = n;
		ps->each[i] = n + ports + m->nranges - i - 1 <=
			      CASVIP_PORT_COUNTERS;
		n += ps->each[i] ? ports : 1;
	}
	ps->n = n;
	ps->pcpu = __alloc_percpu_gfp(n * sizeof(struct casvip_port_pcpu),
				      __alignof__(struct casvip_port_pcpu),
				      GFP_KERNEL_ACCOUNT);
	if (!ps->pcpu) {
		kfree(ps);
		return NULL;
	}
	for_each_possible_cpu(cpu)
		for (i = 0; i < n; i++)
			u64_stats_init(&per_cpu_ptr(ps->pcpu, cpu)[i].syncp);
	refcount_set(&ps->ref, 1);
	return ps;
}

static void port_stats_put(struct casvip_port_stats *ps)
{
	if (refcount_dec_and_test(&ps->ref)) {
		free_percpu(ps->pcpu);
		kfree(ps->zero);
		kfree(ps);
	}
}

void casvip_port_stats_read(const struct casvip_port_stats *ps, unsigned int k,
			    u64 *conns, u64 *drops)
{
	int cpu;

	*conns = 0;
	*drops = 0;
	for_each_possible_cpu(cpu) {
		const struct casvip_port_pcpu *s = &per_cpu_ptr(ps->pcpu, cpu)[k];
		unsigned int start;
		u64 c, d;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			c = u64_stats_read(&s->conns);
			d = u64_stats_read(&s->drop_noserver);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		*conns += c;
		*drops += d;
	}
	if (ps->zero) {
		*conns -= ps->zero[k].conns;
		*drops -= ps->zero[k].drops;
	}
}

static void vnode_free(struct casvip_vnode *v)
{
	port_stats_put(v->ports);
	kfree(v);
}

static void vnode_free_rcu(struct rcu_head *head)
{
	vnode_free(container_of(head, struct casvip_vnode, rcu));
}

/*
 * Does @to claim less than @from: another VIP or protocol, other ranges,
 * or a port announced no more? (Announced ports added lose nothing.)
 */
static bool match_lost(const struct casvip_match *from,
		       const struct casvip_match *to)
{
	unsigned int i;

	if (from->family != to->family || from->proto != to->proto ||
	    !nf_inet_addr_cmp(&from->vip, &to->vip) ||
	    from->nranges != to->nranges ||
	    memcmp(from->ranges, to->ranges,
		   from->nranges * sizeof(from->ranges[0])))
		return true;
	for (i = 0; i < from->nannounced; i++)
		if (!casvip_announced(to, from->announced[i]))
			return true;
	return false;
}

static bool same_ports(const struct casvip_match *a,
		       const struct casvip_match *b)
{
	return a->nranges == b->nranges &&
	       !memcmp(a->ranges, b->ranges, a->nranges * sizeof(a->ranges[0]));
}

/*
 * A vnode for @svc: @old (if any) with the changes of @cfg. The per-port
 * counters go on while the port list stays.
 */
static struct casvip_vnode *vnode_new(struct casvip_service *svc,
				      const struct casvip_vnode *old,
				      const struct casvip_service_cfg *cfg)
{
	struct casvip_vnode *v;

	v = old ? kmemdup(old, sizeof(*v), GFP_KERNEL_ACCOUNT) :
		  kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return NULL;
	v->svc = svc;
	if (cfg->has_match)
		v->match = cfg->match;
	if (cfg->has_snat)
		v->snat = cfg->snat;
	if (cfg->has_snat_addr)
		v->snat_addr = cfg->snat_addr;
	if (cfg->has_follow) {
		v->nfollow = cfg->nfollow;
		memcpy(v->follow, cfg->follow, sizeof(v->follow));
	}
	if (old && same_ports(&old->match, &v->match)) {
		refcount_inc(&v->ports->ref);
	} else {
		v->ports = port_stats_new(&v->match);
		if (!v->ports) {
			kfree(v);
			return NULL;
		}
	}
	return v;
}

/*
 * A copy of @cfg's user data, charged to @svc's creator: NULL if there is
 * none, or an ERR_PTR.
 */
static void *udata_dup(struct casvip_service *svc,
		       const struct casvip_service_cfg *cfg)
{
	struct mem_cgroup *memcg;
	void *data;

	if (!cfg->udata || !nla_len(cfg->udata))
		return NULL;
	memcg = casvip_charge_begin(svc);
	data = kmemdup(nla_data(cfg->udata), nla_len(cfg->udata),
		       GFP_KERNEL_ACCOUNT);
	casvip_charge_end(memcg);
	return data ?: ERR_PTR(-ENOMEM);
}

/* @data from udata_dup() replaces the user data, if @cfg has any. */
static void udata_apply(struct casvip_service *svc,
			const struct casvip_service_cfg *cfg, void *data)
{
	if (!cfg->udata)
		return;
	kfree(svc->udata);
	svc->udata = data;
	svc->udata_len = data ? nla_len(cfg->udata) : 0;
}

static void service_apply(struct casvip_service *svc,
			  const struct casvip_service_cfg *cfg)
{
	if (cfg->has_sched)
		svc->sched = cfg->sched;
	if (cfg->has_timeout)
		WRITE_ONCE(svc->timeout, cfg->timeout);
	if (cfg->has_netmask)
		WRITE_ONCE(svc->netmask, cfg->netmask);
	if (cfg->has_persist_max)
		WRITE_ONCE(svc->persist_max, cfg->persist_max);
	if (cfg->has_follow_max)
		WRITE_ONCE(svc->follow_max, cfg->follow_max);
	if (cfg->has_alldown)
		svc->alldown = cfg->alldown;
}

static void server_free_rcu(struct rcu_head *head)
{
	struct casvip_server *srv = container_of(head, struct casvip_server,
						 rcu);

	free_percpu(srv->stats);
	kfree(srv->watch);
	kfree(srv);
	atomic_dec(&casvip_objects);
}

/* Unlink servers that were linked by servers_add(); free them after RCU. */
static void servers_unlink(struct casvip_service *svc,
			   struct casvip_server_cfg *cfgs, unsigned int n)
{
	while (n--) {
		struct casvip_server *srv = cfgs[n].srv;

		list_del_rcu(&srv->list);
		hash_del(&srv->addr_node);
		svc->nservers--;
		call_rcu(&srv->rcu, server_free_rcu);
	}
}

static void server_apply(struct casvip_server *srv,
			 const struct casvip_server_cfg *cfg)
{
	/* Taking clients again, or drained anew: a new event when drained. */
	if ((cfg->has_weight && cfg->weight != srv->weight) ||
	    (cfg->has_admin && cfg->admin != srv->admin))
		srv->drained_told = false;
	if (cfg->has_weight)
		WRITE_ONCE(srv->weight, cfg->weight);
	if (cfg->has_admin)
		WRITE_ONCE(srv->admin, cfg->admin);
	if (cfg->has_backup)
		WRITE_ONCE(srv->backup, cfg->backup);
	if (cfg->has_health) {
		WRITE_ONCE(srv->health, cfg->health);
		srv->health_set = get_jiffies_64();
	}
}

/*
 * Create and link the servers of @cfgs (cfgs[i].srv), or none: on an
 * error, those linked so far are unlinked again.
 */
static int servers_add(struct casvip_service *svc,
		       struct casvip_server_cfg *cfgs, unsigned int n,
		       struct netlink_ext_ack *extack)
{
	struct mem_cgroup *old;
	unsigned int i;
	int ret = 0;

	if (n > CASVIP_MAX_SERVERS - svc->nservers) {
		NL_SET_ERR_MSG(extack, "too many servers in this service");
		return -ENOSPC;
	}
	old = casvip_charge_begin(svc);
	for (i = 0; i < n; i++) {
		struct casvip_server_cfg *cfg = &cfgs[i];
		struct casvip_server *srv;

		ret = -EAFNOSUPPORT;
		if (cfg->family != svc->family) {
			NL_SET_ERR_MSG_ATTR(extack, cfg->attr,
					    "server address is not of the VIP's family");
			break;
		}
		ret = -EEXIST;
		if (casvip_server_find(svc, &cfg->addr)) {
			NL_SET_ERR_MSG_ATTR(extack, cfg->attr,
					    "the service has a server of that address");
			break;
		}
		ret = -ENOMEM;
		srv = kzalloc(sizeof(*srv), GFP_KERNEL_ACCOUNT);
		if (!srv)
			break;
		srv->stats = netdev_alloc_pcpu_stats(struct casvip_stats_pcpu);
		srv->watch = kzalloc(sizeof(*srv->watch), GFP_KERNEL_ACCOUNT);
		if (!srv->stats || !srv->watch) {
			free_percpu(srv->stats);
			kfree(srv->watch);
			kfree(srv);
			break;
		}
		atomic_inc(&casvip_objects);
		INIT_LIST_HEAD(&srv->retire);
		srv->svc = svc;
		srv->addr = cfg->addr;
		srv->weight = CASVIP_WEIGHT_DEFAULT;
		srv->health_set = get_jiffies_64();
		server_apply(srv, cfg);
		if (cfg->reason)
			strscpy(srv->reason, cfg->reason, sizeof(srv->reason));
		list_add_tail_rcu(&srv->list, &svc->servers);
		hash_add(svc->by_addr, &srv->addr_node, addr_hash(&srv->addr));
		svc->nservers++;
		cfg->srv = srv;
		ret = 0;
	}
	casvip_charge_end(old);
	if (ret)
		servers_unlink(svc, cfgs, i);
	return ret;
}

/*
 * @retired (linked by ->retire) take no new clients any more. After one
 * grace period for them all, no CPU can be binding a client to one of
 * them: remove their persistence entries and, unless kept, connections.
 */
static void servers_retire(struct casvip_net *cn, struct casvip_service *svc,
			   struct list_head *retired)
{
	struct casvip_server *srv, *tmp;
	bool conns = false;

	if (list_empty(retired))
		return;
	synchronize_net();
	casvip_persist_flush_retired(svc);
	list_for_each_entry(srv, retired, retire)
		conns |= srv->flush_conns;
	if (conns)
		casvip_conns_flush_retired(cn, svc);
	list_for_each_entry_safe(srv, tmp, retired, retire) {
		list_del_init(&srv->retire);
		srv->flush_conns = false;
	}
}

/* How new clients were placed: failing open, on the backups, or not. */
struct mode {
	bool open, backup;
};

static struct mode mode_of(const struct casvip_service *svc)
{
	return (struct mode){ svc->failing_open, svc->on_backup };
}

/*
 * A service that failed open, or sent new clients to its backups, and no
 * longer does: the servers that took them only then (DOWN ones, backups)
 * lose their clients, who come to the servers UP again. Their
 * connections stay: one server passing its checks again (it may flap)
 * must not cut off every client of the others at once. Adds them to
 * @retired.
 */
static void mode_ended(struct casvip_service *svc, struct mode was,
		       struct list_head *retired)
{
	struct casvip_server *srv;

	if ((!was.open || svc->failing_open) &&
	    (!was.backup || svc->on_backup))
		return;
	list_for_each_entry(srv, &svc->servers, list) {
		if (srv->admin == CASVIP_ADMIN_DISABLED ||
		    casvip_server_usable(srv) || !list_empty(&srv->retire))
			continue;
		srv->flush_conns = false;
		list_add_tail(&srv->retire, retired);
	}
}

static void service_free(struct casvip_service *svc)
{
	casvip_sched_free(svc);
	free_percpu(svc->stats);
	kfree(svc->udata);
	mem_cgroup_put(svc->memcg);
	kfree(svc);
	atomic_dec(&casvip_objects);
}

/* Free what service_new() built before the service was linked. */
static void service_undo(struct casvip_service *svc)
{
	struct casvip_server *srv, *tmp;

	list_for_each_entry_safe(srv, tmp, &svc->servers, list)
		call_rcu(&srv->rcu, server_free_rcu);
	vnode_free(rcu_dereference_protected(svc->vnode, true));
	service_free(svc);
}

/* The NAT hooks go with the last service and the last kept connection. */
static void hooks_put(struct casvip_net *cn)
{
	if (!cn->nservices && list_empty(&cn->kept) && cn->hooked)
		casvip_hooks_unregister(cn);
}

static void vnode_drop(struct casvip_vnode *v)
{
	hash_del_rcu(&v->node);
	call_rcu(&v->rcu, vnode_free_rcu);
}

int casvip_service_new(struct casvip_net *cn,
		       const struct casvip_service_cfg *cfg,
		       struct casvip_server_cfg *servers, unsigned int n,
		       struct netlink_ext_ack *extack)
{
	struct casvip_service *svc;
	struct casvip_vnode *v;
	void *data;
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
	svc->memcg = get_mem_cgroup_from_mm(current->mm);
	strscpy(svc->name, cfg->name, sizeof(svc->name));
	svc->sched = CASVIP_SCHED_MH;
	svc->timeout = CASVIP_PERSIST_TIMEOUT_DEFAULT;
	svc->family = cfg->match.family;
	svc->netmask = svc->family == NFPROTO_IPV4 ? 32 : 128;
	svc->full_told = jiffies - 10 * HZ;
	svc->evict_next = jiffies;
	INIT_LIST_HEAD(&svc->servers);
	hash_init(svc->by_addr);
	service_apply(svc, cfg);
	data = udata_dup(svc, cfg);
	if (!IS_ERR(data))
		udata_apply(svc, cfg, data);
	svc->stats = netdev_alloc_pcpu_stats(struct casvip_stats_pcpu);
	v = vnode_new(svc, NULL, cfg);
	if (IS_ERR(data) || !svc->stats || !v) {
		if (v)
			vnode_free(v);
		service_free(svc);
		return -ENOMEM;
	}
	RCU_INIT_POINTER(svc->vnode, v);
	/* Its first clients see all its first servers. */
	ret = servers_add(svc, servers, n, extack);
	if (!ret)
		ret = casvip_sched_rebuild(svc);
	if (!ret)
		ret = casvip_persist_init(svc);
	if (ret)
		goto err_undo;
	ret = casvip_conns_init(svc);
	if (ret)
		goto err_persist;
	if (!cn->hooked) {
		ret = casvip_hooks_register(cn);
		if (ret) {
			NL_SET_ERR_MSG(extack,
				       "cannot hook into netfilter NAT in this namespace");
			goto err_conns;
		}
	}

	list_add_tail(&svc->list, &cn->services);
	hash_add(cn->by_name, &svc->name_node, name_hash(svc->name));
	hash_add_rcu(cn->by_vip, &v->node, vip_hash(&v->match));
	cn->nservices++;
	cn->generation++;
	return 0;

err_conns:
	casvip_conns_release(svc);
err_persist:
	casvip_persist_destroy(svc);
err_undo:
	service_undo(svc);
	return ret;
}

int casvip_service_set(struct casvip_net *cn, struct casvip_service *svc,
		       const struct casvip_service_cfg *cfg,
		       struct netlink_ext_ack *extack)
{
	struct casvip_vnode *old = casvip_vnode(svc), *v = NULL;
	const struct casvip_match *m = cfg->has_match ? &cfg->match :
							&old->match;
	/* Keys change with the netmask, and with persistence on or off. */
	bool rekey = (cfg->has_netmask && cfg->netmask != svc->netmask) ||
		     (cfg->has_timeout && !cfg->timeout != !svc->timeout);
	bool moved = cfg->has_match && match_lost(&old->match, &cfg->match);
	bool resched = (cfg->has_sched && cfg->sched != svc->sched) ||
		       (cfg->has_alldown && cfg->alldown != svc->alldown);
	struct mode was = mode_of(svc);
	u8 old_sched = svc->sched, old_alldown = svc->alldown;
	struct mem_cgroup *memcg;
	LIST_HEAD(retired);
	void *data;
	int ret;

	lockdep_assert_held(&cn->lock);
	ret = service_check(cn, svc, cfg, m, extack);
	if (ret)
		return ret;
	/* What can fail goes first: then nothing changes. */
	data = udata_dup(svc, cfg);
	if (IS_ERR(data))
		return PTR_ERR(data);
	if (cfg->has_match || cfg->has_snat || cfg->has_snat_addr ||
	    cfg->has_follow) {
		memcg = casvip_charge_begin(svc);
		v = vnode_new(svc, old, cfg);
		casvip_charge_end(memcg);
		if (!v) {
			kfree(data);
			return -ENOMEM;
		}
	}
	if (resched) {
		if (cfg->has_sched)
			svc->sched = cfg->sched;
		if (cfg->has_alldown)
			svc->alldown = cfg->alldown;
		ret = casvip_sched_rebuild(svc);
		if (ret) {
			svc->sched = old_sched;
			svc->alldown = old_alldown;
			if (v)
				vnode_free(v);
			kfree(data);
			NL_SET_ERR_MSG(extack, "no memory for the scheduler");
			return ret;
		}
	}

	if (v) {
		/*
		 * The new vnode is in before the old one is out: a packet
		 * meanwhile matches either, and both lead here.
		 */
		hash_add_rcu(cn->by_vip, &v->node, vip_hash(&v->match));
		rcu_assign_pointer(svc->vnode, v);
		hash_del_rcu(&old->node);
	}
	service_apply(svc, cfg);
	udata_apply(svc, cfg, data);
	/* After a grace period no packet uses the old settings. */
	if (rekey || moved)
		synchronize_net();
	/*
	 * The ports its mappers' answers opened, by what it followed or on
	 * the VIP it had.
	 */
	if (v && old->nfollow &&
	    (v->nfollow != old->nfollow ||
	     memcmp(v->follow, old->follow, sizeof(old->follow)) ||
	     !nf_inet_addr_cmp(&v->match.vip, &old->match.vip)))
		casvip_epm_forget(svc, &old->match);
	/* Entries keyed the old way are of no use once none is made. */
	if (rekey)
		casvip_persist_flush(svc, NULL);
	/* Connections to what it no longer claims belong to no service. */
	if (moved)
		casvip_conns_flush_moved(cn, svc, &old->match, &v->match);
	if (v && moved)
		vnode_free(old);
	else if (v)
		call_rcu(&old->rcu, vnode_free_rcu);
	mode_ended(svc, was, &retired);
	servers_retire(cn, svc, &retired);
	return 0;
}

/* Out of the packet path's sight, and out of the namespace's lists. */
static void service_unlink(struct casvip_net *cn, struct casvip_service *svc,
			   bool keep_conns)
{
	struct casvip_vnode *v = casvip_vnode(svc);

	WRITE_ONCE(v->dying, true);
	v->keep_conns = keep_conns;
	hash_del(&svc->name_node);
	list_del(&svc->list);
	cn->nservices--;
	cn->generation++;
}

/*
 * Destroy the services of @dead, unlinked: after a grace period no packet
 * can reach them. Their connections go too unless @flush_conns is false
 * (the namespace is going away) or they were deleted with keep_conns: the
 * vnodes of those stay, dying, on cn->kept. So do connections kept
 * earlier, if their vnodes lost keep_conns (a flush).
 */
static void services_destroy(struct casvip_net *cn, struct list_head *dead,
			     bool flush_conns)
{
	struct casvip_service *svc, *tmp;
	struct casvip_vnode *v, *vtmp;
	bool flush = false;

	list_for_each_entry(svc, dead, list)
		flush |= !casvip_vnode(svc)->keep_conns;
	list_for_each_entry(v, &cn->kept, kept)
		flush |= !v->keep_conns;
	if (!list_empty(dead))
		synchronize_net();
	if (flush && flush_conns)
		casvip_conns_flush_dying(cn);
	list_for_each_entry_safe(v, vtmp, &cn->kept, kept) {
		if (!v->keep_conns) {
			list_del(&v->kept);
			vnode_drop(v);
		}
	}
	list_for_each_entry_safe(svc, tmp, dead, list) {
		struct casvip_server *srv, *stmp;

		v = casvip_vnode(svc);
		if (v->keep_conns)
			list_add_tail(&v->kept, &cn->kept);
		else
			vnode_drop(v);
		casvip_persist_destroy(svc);
		casvip_conns_release(svc);
		list_for_each_entry_safe(srv, stmp, &svc->servers, list)
			call_rcu(&srv->rcu, server_free_rcu);
		service_free(svc);
		cond_resched();
	}
	hooks_put(cn);
}

void casvip_service_del(struct casvip_net *cn, struct casvip_service *svc,
			bool keep_conns)
{
	LIST_HEAD(dead);

	lockdep_assert_held(&cn->lock);
	service_unlink(cn, svc, keep_conns);
	list_add(&svc->list, &dead);
	services_destroy(cn, &dead, true);
}

void casvip_flush(struct casvip_net *cn, bool flush_conns)
{
	struct casvip_service *svc, *tmp;
	struct casvip_vnode *v;
	LIST_HEAD(dead);

	lockdep_assert_held(&cn->lock);
	list_for_each_entry_safe(svc, tmp, &cn->services, list) {
		service_unlink(cn, svc, false);
		list_add_tail(&svc->list, &dead);
	}
	/* Connections kept by earlier deletions go too, and the hooks. */
	list_for_each_entry(v, &cn->kept, kept)
		v->keep_conns = false;
	/* One grace period, and one walk of the conntrack table, for all. */
	services_destroy(cn, &dead, flush_conns);
}

/*
 * Forget the kept vnodes none of whose connections are left (the GC asks
 * now and then): with the last, the NAT hooks go.
 */
void casvip_kept_reap(struct casvip_net *cn)
{
	struct casvip_vnode *v, *tmp;

	lockdep_assert_held(&cn->lock);
	if (list_empty(&cn->kept))
		return;
	casvip_conns_kept_seen(cn);
	list_for_each_entry_safe(v, tmp, &cn->kept, kept) {
		if (v->seen) {
			v->seen = false;
		} else {
			list_del(&v->kept);
			vnode_drop(v);
		}
	}
	hooks_put(cn);
}

/*
 * Taking no new client (draining, or of weight 0), and none left: no live
 * connection and no client bound by persistence. As the GC counted.
 */
bool casvip_server_drained(const struct casvip_server *srv)
{
	return (srv->admin == CASVIP_ADMIN_DRAINING ||
		(srv->admin == CASVIP_ADMIN_ENABLED && !srv->weight)) &&
	       !atomic_read(&srv->active) && !srv->clients;
}

u8 casvip_service_state(const struct casvip_service *svc)
{
	const struct casvip_sched_state *s =
		rcu_dereference_protected(svc->sched_state,
					  lockdep_is_held(&svc->cn->lock));
	u8 state = 0;

	if (svc->nservers && (!s || !s->nup))
		state |= CASVIP_STATE_DOWN;
	if (svc->failing_open)
		state |= CASVIP_STATE_OPEN;
	if (svc->on_backup)
		state |= CASVIP_STATE_BACKUP;
	return state;
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

int casvip_servers_new(struct casvip_net *cn, struct casvip_service *svc,
		       struct casvip_server_cfg *cfgs, unsigned int n,
		       struct netlink_ext_ack *extack)
{
	struct mode was = mode_of(svc);
	LIST_HEAD(retired);
	int ret;

	lockdep_assert_held(&cn->lock);
	ret = servers_add(svc, cfgs, n, extack);
	if (ret)
		return ret;
	ret = casvip_sched_rebuild(svc);
	if (ret) {
		NL_SET_ERR_MSG(extack, "no memory for the scheduler");
		servers_unlink(svc, cfgs, n);
		return ret;
	}
	cn->generation++;
	/* A server that comes UP ends failing open. */
	mode_ended(svc, was, &retired);
	servers_retire(cn, svc, &retired);
	return 0;
}

/* Undo of a change to a server's state. */
struct server_undo {
	u64 health_set;
	u32 weight;
	u8 admin, health;
	bool backup, usable;
};

int casvip_servers_set(struct casvip_net *cn, struct casvip_service *svc,
		       struct casvip_server_cfg *cfgs, unsigned int n,
		       struct netlink_ext_ack *extack)
{
	struct mode was = mode_of(svc);
	struct server_undo *undo;
	bool resched = false;
	LIST_HEAD(retired);
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&cn->lock);
	undo = kvmalloc_array(n, sizeof(*undo), GFP_KERNEL);
	if (!undo)
		return -ENOMEM;
	/* As each server was before the request, whatever it lists twice. */
	for (i = 0; i < n; i++) {
		struct casvip_server *srv = cfgs[i].srv;

		undo[i] = (struct server_undo){
			.health_set = srv->health_set,
			.weight = srv->weight, .admin = srv->admin,
			.health = srv->health, .backup = srv->backup,
			.usable = casvip_server_usable(srv),
		};
	}
	/*
	 * Should the last servers UP go down, the service fails open: it
	 * must not, in the meantime, move their clients to servers the old
	 * scheduler state still offers. The rebuild says what holds.
	 */
	if (svc->alldown == CASVIP_ALLDOWN_OPEN)
		WRITE_ONCE(svc->failing_open, true);
	/* A checker restates each result: only a change costs a rebuild. */
	for (i = 0; i < n; i++) {
		struct casvip_server *srv = cfgs[i].srv;

		server_apply(srv, &cfgs[i]);
		resched |= srv->weight != undo[i].weight ||
			   srv->admin != undo[i].admin ||
			   srv->health != undo[i].health ||
			   srv->backup != undo[i].backup;
	}
	if (resched)
		ret = casvip_sched_rebuild(svc);
	else
		WRITE_ONCE(svc->failing_open, was.open);
	if (ret) {
		for (i = n; i--;) {
			struct casvip_server *srv = cfgs[i].srv;

			WRITE_ONCE(srv->weight, undo[i].weight);
			WRITE_ONCE(srv->admin, undo[i].admin);
			WRITE_ONCE(srv->health, undo[i].health);
			WRITE_ONCE(srv->backup, undo[i].backup);
			srv->health_set = undo[i].health_set;
		}
		WRITE_ONCE(svc->failing_open, was.open);
		kvfree(undo);
		NL_SET_ERR_MSG(extack, "no memory for the scheduler");
		return ret;
	}
	/* Nothing can fail from here on. */
	for (i = 0; i < n; i++) {
		struct casvip_server *srv = cfgs[i].srv;

		if (cfgs[i].reason)
			strscpy(srv->reason, cfgs[i].reason,
				sizeof(srv->reason));
		if (undo[i].usable && !casvip_server_usable(srv) &&
		    list_empty(&srv->retire)) {
			/* Made a backup: its clients go, not its connections. */
			srv->flush_conns = !cfgs[i].keep_conns &&
					   srv->backup == undo[i].backup;
			list_add_tail(&srv->retire, &retired);
		}
	}
	/* A checker restates each result: only a change is an event. */
	for (i = 0; i < n; i++) {
		struct casvip_server *srv = cfgs[i].srv;

		if (srv->weight != undo[i].weight ||
		    srv->admin != undo[i].admin ||
		    srv->backup != undo[i].backup)
			casvip_notify_server(cn, CASVIP_CMD_SERVER_SET, srv);
		if (srv->health != undo[i].health)
			casvip_notify_server(cn, CASVIP_CMD_HEALTH, srv);
	}
	kvfree(undo);
	mode_ended(svc, was, &retired);
	servers_retire(cn, svc, &retired);
	return 0;
}

int casvip_servers_del(struct casvip_net *cn, struct casvip_service *svc,
		       struct casvip_server_cfg *cfgs, unsigned int n,
		       struct netlink_ext_ack *extack)
{
	struct mode was = mode_of(svc);
	LIST_HEAD(retired);
	unsigned int i;
	int ret;

	lockdep_assert_held(&cn->lock);
	for (i = 0; i < n; i++) {
		if (cfgs[i].srv->dead) {
			NL_SET_ERR_MSG_ATTR(extack, cfgs[i].attr,
					    "the request names this server twice");
			ret = -EINVAL;
			goto undo;
		}
		WRITE_ONCE(cfgs[i].srv->dead, true);
	}
	/* First a scheduler state without them, or nothing changes. */
	ret = casvip_sched_rebuild(svc);
	if (ret) {
		NL_SET_ERR_MSG(extack, "no memory for the scheduler");
		goto undo;
	}
	for (i = 0; i < n; i++) {
		struct casvip_server *srv = cfgs[i].srv;

		list_del_rcu(&srv->list);
		svc->nservers--;
		srv->flush_conns = !cfgs[i].keep_conns;
		list_add_tail(&srv->retire, &retired);
	}
	/* The last enabled servers gone, the DOWN ones lose their clients. */
	mode_ended(svc, was, &retired);
	/* by_addr still finds them: the flush of their connections does. */
	servers_retire(cn, svc, &retired);
	for (i = 0; i < n; i++) {
		hash_del(&cfgs[i].srv->addr_node);
		call_rcu(&cfgs[i].srv->rcu, server_free_rcu);
	}
	cn->generation++;
	return 0;
undo:
	while (i--)
		WRITE_ONCE(cfgs[i].srv->dead, false);
	return ret;
}

/* The per-CPU counters, and the traffic folded. Needs casvip_net.lock. */
static void stats_read(struct casvip_stats_pcpu __percpu *pcpu,
		       const struct casvip_traffic *traffic,
		       struct casvip_stats *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct casvip_stats_pcpu *s = per_cpu_ptr(pcpu, cpu);
		u64 conns, drop, nat;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			conns = u64_stats_read(&s->conns);
			drop = u64_stats_read(&s->drop_noserver);
			nat = u64_stats_read(&s->drop_nat);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		out->conns += conns;
		out->drop_noserver += drop;
		out->drop_nat += nat;
	}
	out->pkts_in = traffic->pkts[IP_CT_DIR_ORIGINAL];
	out->pkts_out = traffic->pkts[IP_CT_DIR_REPLY];
	out->bytes_in = traffic->bytes[IP_CT_DIR_ORIGINAL];
	out->bytes_out = traffic->bytes[IP_CT_DIR_REPLY];
}

void casvip_stats_get(struct casvip_stats_pcpu __percpu *pcpu,
		      const struct casvip_traffic *traffic,
		      const struct casvip_stats *zero, struct casvip_stats *out)
{
	stats_read(pcpu, traffic, out);
	out->conns -= zero->conns;
	out->pkts_in -= zero->pkts_in;
	out->pkts_out -= zero->pkts_out;
	out->bytes_in -= zero->bytes_in;
	out->bytes_out -= zero->bytes_out;
	out->drop_noserver -= zero->drop_noserver;
	out->drop_nat -= zero->drop_nat;
}

/* What casvip_service_zero() needs: it cannot fail then. */
int casvip_service_zero_prepare(struct casvip_service *svc)
{
	struct casvip_port_stats *ps = casvip_vnode(svc)->ports;
	struct mem_cgroup *memcg;

	if (ps->zero)
		return 0;
	memcg = casvip_charge_begin(svc);
	ps->zero = kcalloc(ps->n, sizeof(*ps->zero), GFP_KERNEL_ACCOUNT);
	casvip_charge_end(memcg);
	return ps->zero ? 0 : -ENOMEM;
}

/*
 * Count again from zero: the per-CPU counters, which the packet path
 * writes, are read as they are now; the others are the lock holder's.
 */
void casvip_service_zero(struct casvip_service *svc)
{
	struct casvip_port_stats *ps = casvip_vnode(svc)->ports;
	struct casvip_server *srv;
	unsigned int k;

	lockdep_assert_held(&svc->cn->lock);
	casvip_conns_fold(svc);
	stats_read(svc->stats, &svc->traffic, &svc->zero);
	memset(&svc->counts, 0, sizeof(svc->counts));
	svc->evicted = 0;
	atomic64_set(&svc->followed, 0);
	atomic64_set(&svc->declined, 0);
	list_for_each_entry(srv, &svc->servers, list) {
		stats_read(srv->stats, &srv->traffic, &srv->zero);
		memset(&srv->counts, 0, sizeof(srv->counts));
	}
	for (k = 0; k < ps->n; k++) {
		u64 conns, drops;

		casvip_port_stats_read(ps, k, &conns, &drops);
		ps->zero[k].conns += conns;
		ps->zero[k].drops += drops;
	}
}
