// SPDX-License-Identifier: GPL-2.0
/* Since 6.6 a dump's parsed attributes are in genl_info_dump(cb)->attrs. */
#include <net/genetlink.h>

static __maybe_unused struct nlattr **probe(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
