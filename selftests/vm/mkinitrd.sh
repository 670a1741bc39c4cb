#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs the VM tests boot: busybox, the kernel modules the
# tests load, casvip.ko, casvipctl, the test programs and the host tools
# they drive (iproute2, nftables, socat, conntrack, ipvsadm) with their
# libraries.
#
# usage: mkinitrd.sh KVER TOP OUT.cpio [MODROOT [CASVIP_KO]]
# MODROOT holds lib/modules/KVER (default /); CASVIP_KO defaults to the
# module in TOP/kmod.
set -euo pipefail

kver=$1
top=$2
out=$3
modroot=${4:-}
ko=${5:-$top/kmod/casvip.ko}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,var/run,tests,root}
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done

# A binary and every library it links, at their own paths.
add_bin() {
	local src=$1 dst=${2:-$1}
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$src" "$root$dst"
	{ ldd "$src" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
}

for b in /bin/bash /usr/sbin/ip /usr/sbin/nft /usr/bin/socat \
	/usr/sbin/conntrack /usr/sbin/ipvsadm /usr/bin/jq /usr/sbin/tc \
	/usr/bin/openssl /usr/bin/promtool /usr/bin/prometheus-node-exporter \
	/usr/sbin/keepalived /usr/sbin/conntrackd /usr/bin/ss; do
	add_bin "$b"
done
# make bench's profiles (linux-perf), when it is there.
[ -x /usr/bin/perf ] && add_bin /usr/bin/perf
rm -f "$root/bin/sh"
ln -s bash "$root/bin/sh"
# The real kmod: the kernel runs /sbin/modprobe to autoload by alias.
add_bin /bin/kmod
for t in modprobe rmmod insmod lsmod depmod modinfo; do
	rm -f "$root/bin/$t"
	ln -sf /bin/kmod "$root/sbin/$t"
done

add_bin "$top/ctl/casvipctl" /usr/sbin/casvipctl
for t in "$top"/selftests/*.sh; do
	cp "$t" "$root/tests/"
done
for t in $(find "$top/selftests/build" -maxdepth 1 -type f -perm -u+x); do
	add_bin "$t" "/tests/$(basename "$t")"
done
# impacket (Debian's python3-impacket), the independent RPC client of
# test_follow.sh: Debian's python3 and the files the client runs on.
cp "$top/selftests/eptmap.py" "$root/tests/"
if /usr/bin/python3 "$top/selftests/eptmap.py" --files >"$root/pyfiles" 2>/dev/null; then
	add_bin /usr/bin/python3.11
	ln -s python3.11 "$root/usr/bin/python3"
	while read -r f; do
		case $f in
		*.so) add_bin "$f" ;;
		*.py)
			mkdir -p "$root$(dirname "$f")/__pycache__"
			cp -L "$f" "$root$f"
			pyc=$(dirname "$f")/__pycache__/$(basename "${f%.py}").cpython-311.pyc
			[ ! -e "$pyc" ] || cp "$pyc" "$root$pyc"
			;;
		esac
	done <"$root/pyfiles"
fi
rm -f "$root/pyfiles"
# What make install staged, for test_install.sh.
[ -d "$top/build/stage" ] && cp -a "$top/build/stage" "$root/stage"
cp "$top/selftests/vm/init" "$root/init"
chmod +x "$root/init"
# Users, for those who look them up: keepalived runs its scripts as root.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
# conntrackd's filters name protocols.
cp /etc/protocols "$root/etc/protocols"

# Kernel modules: what the tests load, with their dependencies.
mods="veth bridge dummy nf_conntrack nf_nat nf_conntrack_netlink nf_tables nft_chain_nat
nft_nat nft_ct nft_hash nft_numgen nft_reject_inet nft_masq
ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh nft_hash nft_meta_bridge
nf_reject_ipv4 nf_reject_ipv6"
# Those a test does without, skipping what needs them: not in every kernel
# (the debug kernel has no flowtable: make check-debug runs no offload test).
optional="sch_netem nf_flow_table nf_flow_table_inet nft_flow_offload pktgen"
mdir=/lib/modules/$kver
for m in $mods $optional; do
	if [[ " $optional " == *" $m "* ]] &&
		! modprobe -d "$modroot/" -S "$kver" -n "$m" 2>/dev/null; then
		continue
	fi
	modprobe -d "$modroot/" -S "$kver" --show-depends "$m" |
		awk '/^insmod/ { print $2 }'
done | sort -u | while read -r dep; do
	dep=${dep#"$modroot"}
	mkdir -p "$root$(dirname "$dep")"
	cp "$modroot$dep" "$root$dep"
done
mkdir -p "$root$mdir/extra"
cp "$ko" "$root$mdir/extra/"
cp "$modroot$mdir"/modules.order "$modroot$mdir"/modules.builtin* "$root$mdir/"
depmod -b "$root" "$kver"

(cd "$root" && find . | cpio -o -H newc --quiet) >"$out"
