// SPDX-License-Identifier: GPL-2.0
/*
 * casvip: module and network namespace set-up and teardown.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_nat_masquerade.h>
#include <net/netns/generic.h>

#include "casvip.h"

static unsigned int casvip_net_id __read_mostly;
/* casvip/objects: services and servers alive in all namespaces. */
static struct dentry *casvip_debugfs;

struct casvip_net *casvip_pernet(struct net *net)
{
	return net_generic(net, casvip_net_id);
}

static int __net_init casvip_net_init(struct net *net)
{
	struct casvip_net *cn = casvip_pernet(net);

	cn->net = net;
	mutex_init(&cn->lock);
	INIT_DELAYED_WORK(&cn->gc, casvip_gc_work);
	INIT_WORK(&cn->evict, casvip_evict_work);
	INIT_LIST_HEAD(&cn->services);
	INIT_LIST_HEAD(&cn->kept);
	hash_init(cn->by_name);
	hash_init(cn->by_vip);
	return 0;
}

static void __net_exit casvip_net_exit(struct net *net)
{
	struct casvip_net *cn = casvip_pernet(net);
	bool hooked;

	/*
	 * A namespace going away takes its connections with it; on module
	 * unload a live one keeps them, and they lose their NAT: flush them,
	 * as deleting the services would, so that clients reconnect at once.
	 */
	mutex_lock(&cn->lock);
	hooked = cn->hooked;
	casvip_flush(cn, check_net(net));
	mutex_unlock(&cn->lock);
	cancel_delayed_work_sync(&cn->gc);
	cancel_work_sync(&cn->evict);
	/*
	 * Unregistering the hooks does not wait for a packet already in
	 * them, which reads @cn: freed as soon as this returns.
	 */
	if (hooked)
		synchronize_net();
}

static struct pernet_operations casvip_net_ops = {
	.init = casvip_net_init,
	.exit = casvip_net_exit,
	.id = &casvip_net_id,
	.size = sizeof(struct casvip_net),
};

static int __init casvip_init(void)
{
	int ret;

	ret = casvip_persist_cache_init();
	if (ret)
		return ret;
	ret = casvip_conn_cache_init();
	if (ret)
		goto err_cache;
	ret = nf_nat_masquerade_inet_register_notifiers();
	if (ret)
		goto err_conn;
	ret = register_pernet_subsys(&casvip_net_ops);
	if (ret)
		goto err_masq;
	ret = casvip_epm_init();
	if (ret)
		goto err_pernet;
	ret = casvip_genl_init();
	if (ret)
		goto err_epm;
	casvip_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_atomic_t("objects", 0400, casvip_debugfs,
				&casvip_objects);
	pr_info("loaded\n");
	return 0;

err_epm:
	casvip_epm_exit();
err_pernet:
	unregister_pernet_subsys(&casvip_net_ops);
err_masq:
	nf_nat_masquerade_inet_unregister_notifiers();
err_conn:
	casvip_conn_cache_exit();
err_cache:
	rcu_barrier();
	casvip_persist_cache_exit();
	return ret;
}

static void __exit casvip_exit(void)
{
	debugfs_remove(casvip_debugfs);
	casvip_genl_exit();
	/* No connection reads a namespace's state through the helper now. */
	casvip_epm_exit();
	unregister_pernet_subsys(&casvip_net_ops);
	nf_nat_masquerade_inet_unregister_notifiers();
	/* Wait for the call_rcu() frees queued by the teardown. */
	rcu_barrier();
	casvip_conn_cache_exit();
	casvip_persist_cache_exit();
	if (atomic_read(&casvip_objects))
		pr_err("%d objects leaked\n", atomic_read(&casvip_objects));
	pr_info("unloaded\n");
}

module_init(casvip_init);
module_exit(casvip_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VIP load balancer with source-IP persistence across ports");
MODULE_AUTHOR("The casvip developers");
MODULE_ALIAS_GENL_FAMILY(CASVIP_GENL_NAME);
