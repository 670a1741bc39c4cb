#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The compat branch no current Debian kernel takes: nf_conncount_add(),
# which point releases before the nf_conncount_add_skb() backport have
# (Debian's 6.1 before 6.1.162, 6.12 before 6.12.63). A copy of this
# machine's kernel header tree gets the old prototype back, and its
# Module.symvers the old export; the probe must pick the old API, and the
# DKMS tree SRC must compile and link against it (modpost resolves
# nf_conncount_add), importing it.
# usage: host_compat.sh SRC
. "$(dirname "$0")/lib.sh"
src=$1
kdir=$(realpath "/lib/modules/$(scripts/kver.sh)/build")
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

# Debian splits a header tree: the flavour's (config, Module.symvers), and
# the common one it includes, holding the headers.
common=$(sed -n 's|^include \(/.*\)/Makefile$|\1|p' "$kdir/Makefile")
# scripts and tools are relative links to linux-kbuild: made absolute.
relink() { # COPY ORIGINAL
	local l
	for l in "$1"/*; do
		[ -L "$l" ] || continue
		ln -sfn "$(realpath "$2/${l##*/}")" "$l"
	done
}
copy_tree() {
	[ -d "$common" ] &&
		cp -a "$kdir" "$tree/obj" && cp -a "$common" "$tree/common" &&
		sed -i "s|^include .*|include $tree/common/Makefile|" "$tree/obj/Makefile" &&
		relink "$tree/obj" "$kdir" && relink "$tree/common" "$common"
}
check "copy the Debian header tree $kdir" copy_tree

# Back to the prototype before the backport, and the export.
hdr=$tree/common/include/net/netfilter/nf_conntrack_count.h
old_api() {
	perl -0pi -e 's/int nf_conncount_add_skb\(struct net \*net, const struct sk_buff \*skb,\s*u16 l3num, struct nf_conncount_list \*list\);/int nf_conncount_add(struct net *net, struct nf_conncount_list *list,\n\t\t     const struct nf_conntrack_tuple *tuple,\n\t\t     const struct nf_conntrack_zone *zone);/' "$hdr" &&
		sed -i 's/\tnf_conncount_add_skb\t/\tnf_conncount_add\t/' "$tree/obj/Module.symvers" &&
		grep -q 'int nf_conncount_add(struct net \*net' "$hdr" &&
		! grep -q nf_conncount_add_skb "$hdr" "$tree/obj/Module.symvers"
}
check "the copy declares and exports nf_conncount_add, not nf_conncount_add_skb" old_api

cp -r "$src" "$tree/casvip"
check "casvip.ko compiles and links against it (modpost resolves nf_conncount_add)" \
	make -C "$tree/obj" M="$tree/casvip" modules
have=$tree/casvip/kmod/probes/have.h
check "the probe chose nf_conncount_add" \
	sh -c "grep -q 'HAVE_NF_CONNCOUNT_ADD_SKB is not set' '$have' &&
	       ! grep -q 'define HAVE_NF_CONNCOUNT_ADD_SKB' '$have'"
check "casvip.ko imports nf_conncount_add, not nf_conncount_add_skb" \
	sh -c "nm -u '$tree/casvip/kmod/casvip.ko' | grep -qw nf_conncount_add &&
	       ! nm -u '$tree/casvip/kmod/casvip.ko' | grep -q nf_conncount_add_skb"
echo "1..$ktap_n"
