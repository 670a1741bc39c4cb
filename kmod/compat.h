/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvip: what differs between the kernels the module builds on.
 */
#ifndef _CASVIP_COMPAT_H
#define _CASVIP_COMPAT_H

#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack_count.h>

static inline const struct nlattr *const *
casvip_dump_attrs(struct netlink_callback *cb)
{
	return (const struct nlattr *const *)genl_dumpit_info(cb)->attrs;
}

static inline int casvip_conncount_add(struct net *net,
				       const struct sk_buff *skb, u16 l3num,
				       struct nf_conncount_list *list)
{
	return nf_conncount_add_skb(net, skb, l3num, list);
}

#endif /* _CASVIP_COMPAT_H */
