#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: one client key with 10,000 connections (a client behind a
# big NAT, or a /24 netmask). Each holds the key's entry, which counts them
# all, as the conntrack table lists them. The figures: the mean and the
# longest hold (the packet path's part; in TCG the longest takes in what
# interrupts it), and the longest GC run (wall time: it may sleep), which
# reads the count and looks each connection up only at the connection's
# own interval.
. /tests/lib.sh
. /tests/topo.sh
. /tests/trace.sh
modprobe casvip
topo_up
$ip -n lab_lb route add blackhole 10.64.0.0/12
c service add key vip 10.0.0.100 ports 135 sched rr persist 60
for i in 1 2 3 4; do c server add key 10.0.2.1$i; done
trace_on casvip_gc_work casvip_persist_hold
cl /tests/synflood -s 10.0.0.100 135 10.64.0.1 10000 4000 >/dev/null
sleep 3
# The GC's calls first: reading the entry looks every connection up.
gc=$(trace_max casvip_gc_work) hold=$(trace_max casvip_persist_hold)
mean=$(trace_durations casvip_persist_hold | awk '{ s += $1 } END { if (NR) printf "%.1f\n", s / NR }')
trace_off
listed=$(lb conntrack -L -s 10.64.0.1 2>/dev/null | grep -c dport=135)
held=$(c -j persist show key | jq '.[0].conns')
out="onekey.conns_in_conntrack $listed
onekey.conns_held $held
onekey.hold_max_us $hold
onekey.hold_mean_us $mean
onekey.gc_max_us $gc"
echo "$out"
echo "$out" | sed 's/^/bench: /' >/dev/console
check_eq "the key's entry counts every connection conntrack lists" \
	"$listed" "$held"
topo_down
ktap_done
