/* SPDX-License-Identifier: GPL-2.0 */
/*
 * casvip: every difference between the kernels the module builds for
 * (Debian 12's 6.1 and Debian 13's 6.12, each point release), and nothing
 * else.
 *
 * Which API a kernel has is decided by probing its headers at build time
 * (probes/, see Kbuild), never by its version: distributions backport APIs
 * into old version numbers. The rest of the module calls the helpers below.
 */
#ifndef _CASVIP_COMPAT_H
#define _CASVIP_COMPAT_H

#include <net/genetlink.h>

#include "probes/have.h"

/* A dump's parsed request attributes; in genl_info_dump() since 6.6. */
static inline const struct nlattr *const *
casvip_dump_attrs(struct netlink_callback *cb)
{
#ifdef HAVE_GENL_INFO_DUMP
	return (const struct nlattr *const *)genl_info_dump(cb)->attrs;
#else
	return (const struct nlattr *const *)genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * A multicast group whose joiners need CAP_NET_ADMIN, where the kernel
 * can ask for it (a 2023 stable backport); before, anyone could join.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define CASVIP_MCAST_CAP GENL_MCAST_CAP_NET_ADMIN
#endif

#endif
