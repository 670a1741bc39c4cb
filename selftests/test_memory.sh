#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Nothing lost: after a flush, and after deleting a namespace that holds
# services, the module's memory is back where it started: its services and
# servers (the objects count it keeps in debugfs), its persistence entries
# (slab cache casvip_persist) and the connections it counts and holds them
# by (casvip_conn). The VM boots with slab_nomerge, so each cache counts
# only its own objects.
. /tests/lib.sh
. /tests/topo.sh

VIP=10.0.0.100
PORTS=135,60001,60002

# Objects in use in slab cache NAME, once the per-CPU slabs are flushed.
slab() {
	echo 1 >/sys/kernel/slab/$1/shrink
	cut -d ' ' -f 1 /sys/kernel/slab/$1/objects
}
usage() {
	echo "objects=$(cat /sys/kernel/debug/casvip/objects)" \
		"persist=$(slab casvip_persist)" \
		"counted=$(slab casvip_conn)"
}
# Until the usage is BASE again (frees wait for RCU and the netns cleanup).
back_to() {
	local now
	for _ in $(seq 1 50); do
		now=$(usage)
		[ "$now" = "$1" ] && break
		sleep 0.2
	done
	echo "$now"
}
configure() {
	c service add cas vip $VIP ports $PORTS
	c service add casu vip $VIP proto udp ports $PORTS sched sh
	for i in 1 2 3 4; do
		c server add cas 10.0.2.1$i
		c server add casu 10.0.2.1$i
	done
}
entries() { c -j show | jq '[.[].persist_entries] | add'; }
entries_are() { test "$(entries)" = "$1"; }
# Clients 1-40 on UDP, and on TCP holding their connections open 8 s:
# until every one has its two persistence entries.
load() {
	cl /tests/vipclient -u $VIP $PORTS $(clients 1 40) >/dev/null
	cl /tests/vipclient -w 8 $VIP $PORTS $(clients 1 40) >/dev/null &
	holder=$!
	wait_for 20 entries_are 80
}

modprobe casvip
check "debugfs has the module's objects count" test -r /sys/kernel/debug/casvip/objects
check "slab_nomerge: casvip_persist is a cache of its own" \
	test -d /sys/kernel/slab/casvip_persist -a ! -L /sys/kernel/slab/casvip_persist
topo_up
base=$(usage)
echo "# baseline: $base"

configure
load
loaded=$(usage)
echo "# loaded: $loaded"
check_eq "loaded: 2 services and 8 servers" objects=10 "${loaded%% *}"
persist=$(sed 's/.*persist=\([0-9]*\).*/\1/' <<<"$loaded")
counted=$(sed 's/.*counted=\([0-9]*\).*/\1/' <<<"$loaded")
check_eq "loaded: 40 clients in two services, 80 persistence entries" 80 "$(entries)"
check "loaded: the slab cache holds them (got $persist)" test "$persist" -ge 80
held() { test "$(c -j persist show cas | jq '[.[].conns] | add')" = 120; }
check "loaded: the TCP clients' 120 open connections hold their entries" \
	wait_for 5 held
# Every connection to the VIP in the conntrack table has its record (a
# datagram lost before the balancer makes none). The TCP clients' later
# connections may still be coming.
vip_conns() { lb conntrack -L -d $VIP 2>/dev/null | grep -cE '^(tcp|udp) '; }
all_counted() {
	local n
	n=$(vip_conns)
	echo "$n connections to the VIP, $(slab casvip_conn) counted"
	[ "$n" -ge 200 ] && [ "$(slab casvip_conn)" -ge "$n" ]
}
check "loaded: every connection's traffic is counted (had $counted)" \
	wait_for 5 all_counted
c flush
check_eq "after a flush with live connections: back to the baseline" "$base" \
	"$(back_to "$base")"
wait $holder

# Entries removed while their connections live are freed by the last of
# those once it closes (the GC finds it closed within 8 s).
# (casu's unproven UDP entries go meanwhile: the slab is compared with the
# entries left.)
configure
load
wait_for 5 held
c persist del cas
base_persist=$(sed 's/.*persist=\([0-9]*\).*/\1/' <<<"$base")
check_eq "the held entries are out of the table" 0 \
	"$(c -j show cas | jq '.[0].persist_entries')"
check "... not yet freed" test "$(slab casvip_persist)" -gt $((base_persist + $(entries)))
wait $holder
freed() { test "$(slab casvip_persist)" = $((base_persist + $(entries))); }
check "... and freed once their connections closed" wait_for 15 freed
c flush
check_eq "then a flush: back to the baseline" "$base" "$(back_to "$base")"

# Again, and this time delete the balancer's namespace instead.
configure
load
check "loaded again" test "$(usage)" != "$base"
$ip netns del lab_lb
check_eq "after deleting the namespace: back to the baseline" "$base" \
	"$(back_to "$base")"
wait $holder

# The same, many times over: no slow drift.
for round in 1 2 3 4 5; do
	$ip netns add lab_lb
	$ip netns exec lab_lb casvipctl service add cas vip $VIP ports $PORTS
	$ip netns exec lab_lb casvipctl server add cas 10.0.2.11
	$ip netns exec lab_lb casvipctl persist add cas client 10.0.1.$round server 10.0.2.11
	$ip netns del lab_lb
done
check_eq "five namespaces with services created and deleted: baseline" "$base" \
	"$(back_to "$base")"
check "the module unloads" rmmod casvip
check "and loads again" modprobe casvip
topo_down
ktap_done
