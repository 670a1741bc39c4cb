#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (started by vm/init): each test named on the
# kernel command line, between markers the host runner reads.
tests=$(sed -n 's/.*casviptest=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
kmemleak=/sys/kernel/debug/kmemleak
# A debug kernel: what leaked while booting is not the tests' doing.
if [ -w $kmemleak ]; then
	echo scan >$kmemleak
	echo clear >$kmemleak
fi
# Under TCG a vCPU can run a stale translation of kernel text another vCPU
# has just patched: an int3 oops in ip_rcv on 6.12 as netfilter's
# nf_hooks_needed static keys flipped with a namespace's last hook going
# away. A chain at each IPv4 and IPv6 hook of this namespace holds those
# keys on for the whole run.
nft -f - <<'HOOKS' || echo "@@@ exit nft-hook-table 1 0"
table inet casvip_vm {
	chain hold_pre { type filter hook prerouting priority 0; }
	chain hold_in { type filter hook input priority 0; }
	chain hold_fwd { type filter hook forward priority 0; }
	chain hold_out { type filter hook output priority 0; }
	chain hold_post { type filter hook postrouting priority 0; }
}
HOOKS
printf '\n@@@ casvip begin\n'
for t in $tests; do
	echo "@@@ test $t"
	start=$(cut -d. -f1 /proc/uptime)
	case $t in
	*.sh) bash "/tests/$t" ;;
	*) "/tests/$t" ;;
	esac
	echo "@@@ exit $t $? $(($(cut -d. -f1 /proc/uptime) - start))"
done
# Unloading frees everything: the module reports any object left behind.
if grep -q '^casvip ' /proc/modules; then
	/usr/sbin/casvipctl flush
	rmmod casvip || echo "@@@ exit rmmod-casvip 1 0"
fi
# Then every object the tests left unreferenced: scan twice, as kmemleak's
# documentation advises, after its minimum age of 5 s.
if [ -w $kmemleak ]; then
	sleep 6
	echo scan >$kmemleak
	echo scan >$kmemleak
	echo "@@@ kmemleak begin"
	cat $kmemleak
	echo "@@@ kmemleak end"
fi
# Lockdep turns itself off after its first report: say whether it is on.
[ -r /proc/lockdep_stats ] &&
	echo "@@@ lockdep $(grep -o 'debug_locks: *[0-9]*' /proc/lockdep_stats)"
echo "@@@ dmesg begin"
dmesg
echo "@@@ dmesg end"
echo "@@@ casvip end"
poweroff -f
