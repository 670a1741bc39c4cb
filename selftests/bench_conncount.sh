#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: one client key with 10,000 connections (a client behind a
# big NAT, or a /24 netmask): the longest call of nf_conncount, which
# walks the key's list with bottom halves off, when a connection is added
# and when the GC drops the closed ones.
. /tests/lib.sh
. /tests/topo.sh
. /tests/trace.sh
modprobe casvip
topo_up
$ip -n lab_lb route add blackhole 10.64.0.0/12
c service add key vip 10.0.0.100 ports 135 sched rr persist 60
for i in 1 2 3 4; do c server add key 10.0.2.1$i; done
# Traced from the first: the key tracks at most 256 connections
# (CASVIP_PERSIST_CONNS_MAX), and adds no more once it has them.
trace_on nf_conncount_add_skb nf_conncount_gc_list
cl /tests/synflood -s 10.0.0.100 135 10.64.0.1 10000 4000 >/dev/null
cl /tests/synflood -s 10.0.0.100 135 10.64.0.1 200 100 >/dev/null
sleep 2
out="conncount.conns_in_conntrack $(lb conntrack -L -s 10.64.0.1 2>/dev/null | grep -c dport=135)
conncount.conns_tracked $(c -j persist show key | jq '.[0].conns')
conncount.add_max_us $(trace_max nf_conncount_add_skb)
conncount.gc_max_us $(trace_max nf_conncount_gc_list)"
trace_off
echo "$out"
echo "$out" | sed 's/^/bench: /' >/dev/console
ktap_result 0 "nf_conncount with 10000 connections on one key"
topo_down
ktap_done
