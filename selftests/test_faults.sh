#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every allocation may fail. On a kernel with fault injection (make
# check-debug's), failnth drives every netlink command with its first,
# second, ... allocation failed until it gets through: each failure says
# so and changes nothing. Then slab allocations of the packet path fail at
# random (one in ten, in the caches of casvip and conntrack)
# while clients connect and spoofed SYNs pour in: connections are dropped
# or refused, nothing crashes, and a flush gives every object back. The
# runner checks the kernel log, and on the debug kernel kmemleak.
. /tests/lib.sh
. /tests/topo.sh

fs=/sys/kernel/debug/failslab
if [ ! -e /proc/thread-self/fail-nth ] || [ ! -d $fs ]; then
	ktap_skip "fault injection" \
		"this kernel has no CONFIG_FAULT_INJECTION and CONFIG_FAILSLAB (make check-debug's has)"
	ktap_done
fi
# Failures without stack dumps; GFP_KERNEL allocations may fail too.
echo 0 >$fs/verbose
echo 0 >/sys/kernel/debug/fail_page_alloc/verbose
echo N >$fs/ignore-gfp-wait
objects() { cat /sys/kernel/debug/casvip/objects; }
slab() {
	echo 1 >/sys/kernel/slab/$1/shrink
	cut -d ' ' -f 1 /sys/kernel/slab/$1/objects
}

modprobe casvip
casvipctl flush
while read -r verdict text; do
	[ -n "$verdict" ] || continue
	case $verdict in
	PASS) ktap_result 0 "$text" ;;
	FAIL) ktap_result 1 "$text" ;;
	*) echo "# $verdict $text" ;;
	esac
done < <(/tests/failnth 2>&1)
# (Read again at each try: wait_for runs what it is given, as given.)
none_left() { test "$(objects)" = 0; }
check "after every failure: the module's objects are all given back" \
	wait_for 5 none_left

# --- the packet path, with its atomic allocations failing --------------------
echo Y >$fs/ignore-gfp-wait
topo_up
$ip -n lab_lb route add blackhole 10.64.0.0/12
base="objects=$(objects) persist=$(slab casvip_persist) probes=$(slab casvip_probe) conns=$(slab casvip_conn)"
c service add cas vip 10.0.0.100 ports 135,60001-60002 sched rr persist 60
for i in 1 2 3; do c server add cas 10.0.2.1$i; done
# The caches that may fail are marked at boot (slub_debug=A,...: run.sh
# --debug); the flag cannot be set at run time.
caches="casvip_persist casvip_probe casvip_conn nf_conntrack"
marked() {
	local s
	for s in $caches; do
		[ "$(cat /sys/kernel/slab/$s/failslab)" = 1 ] ||
			{ echo "$s: failslab is not set"; return 1; }
	done
}
check "the packet path's caches may fail (slub_debug=A on the command line)" \
	marked
# Packets conntrack dropped for want of an entry.
ct_drops() {
	lb conntrack -S |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^drop=/) n += substr($i, 6) }
		     END { print n + 0 }'
}
drops=$(ct_drops)
echo Y >$fs/cache-filter
echo 1 >$fs/interval
echo -1 >$fs/times
echo 10 >$fs/probability
cl /tests/vipload conn 10 16 10.0.0.100 135 $(clients 1 40) >/tmp/load &
load=$!
cl /tests/synflood 10.0.0.100 135 10.64.0.1 20000 2000 >/dev/null
wait $load
echo 0 >$fs/probability
echo N >$fs/cache-filter
echo "# under failing allocations: $(tr '\n' ' ' </tmp/load)"
drops=$(($(ct_drops) - drops))
echo "# conntrack dropped $drops packets for want of memory"
check "allocations did fail" test $drops -gt 0
check "clients got through while allocations failed" \
	test "$(awk '/conns_per_s/ { print $2 }' /tmp/load)" -gt 0
# All 40; the ones that were not, if any. The flood's aftermath (its
# half-open connections in conntrack and at the servers, their unproven
# entries for the GC to look up) slows a debug kernel for some seconds:
# every client must be served within them, no entry left stuck.
served() {
	local out
	out=$(cl /tests/vipclient 10.0.0.100 135 $(clients 1 40))
	grep -v ' srv[123] ' <<<"$out" | sed 's/^/# not yet: /' >>/tmp/unserved
	[ "$(grep -c ' srv[123] ' <<<"$out")" = 40 ]
}
: >/tmp/unserved
check "afterwards every client is served" wait_for 20 served
head -n 10 /tmp/unserved
c flush
back() { test "objects=$(objects) persist=$(slab casvip_persist) probes=$(slab casvip_probe) conns=$(slab casvip_conn)" = "$base"; }
check "a flush gives every object back" wait_for 10 back
echo N >$fs/ignore-gfp-wait
topo_down
check "the module unloads" rmmod casvip
ktap_done
