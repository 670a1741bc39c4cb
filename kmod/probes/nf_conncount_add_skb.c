// SPDX-License-Identifier: GPL-2.0
/*
 * nf_conncount_add_skb() replaced nf_conncount_add(), and stable kernels
 * took it in a point release (Debian: 6.1.162, 6.12.63).
 */
#include <net/netfilter/nf_conntrack_count.h>

static __maybe_unused int probe(struct net *net, const struct sk_buff *skb,
				struct nf_conncount_list *list)
{
	return nf_conncount_add_skb(net, skb, NFPROTO_IPV4, list);
}
