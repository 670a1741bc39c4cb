#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# casvip against IPVS (NAT, a firewall-mark service over 135, 60001 and
# 60002 with persistence, as keepalived sets it up), an nftables DNAT that
# keeps a client on a server by hashing its address (jhash: stateless, no
# health, no timeout), and a static nftables DNAT to one server (the floor
# cost of conntrack NAT): in the lab of topo.sh, one after the other, in one
# VM boot. For each: new connections per second (32 in flight, from 40
# client addresses) and throughput over 1 and 4 streams; each figure the
# median of RUNS runs of SECONDS. Prints "name value" lines: the figures,
# then the ratios of casvip to each of the others.
#
# usage: compare.sh RUNS SECONDS (sourced by the benchmark scripts, after
# lib.sh and topo.sh, with the lab up)
RUNS=$1
SECS=$2
VIP=10.0.0.100

setup_casvip() {
	c service add cas vip $VIP ports 135,60001-60002 sched mh persist 300
	for i in 1 2 3; do c server add cas 10.0.2.1$i; done
}
setup_ipvs() {
	lb nft add table ip mangle
	lb nft add chain ip mangle pre '{ type filter hook prerouting priority -150; }'
	lb nft add rule ip mangle pre ip daddr $VIP tcp dport '{ 135, 60001, 60002 }' meta mark set 1
	lb ipvsadm -A -f 1 -s rr -p 300
	for i in 1 2 3; do lb ipvsadm -a -f 1 -r 10.0.2.1$i -m; done
}
setup_jhash() {
	lb nft add table ip nat
	lb nft add chain ip nat pre '{ type nat hook prerouting priority -100; }'
	lb nft add rule ip nat pre ip daddr $VIP tcp dport '{ 135, 60001, 60002 }' \
		dnat to jhash ip saddr mod 3 map '{ 0 : 10.0.2.11, 1 : 10.0.2.12, 2 : 10.0.2.13 }'
}
setup_static() {
	lb nft add table ip nat
	lb nft add chain ip nat pre '{ type nat hook prerouting priority -100; }'
	lb nft add rule ip nat pre ip daddr $VIP tcp dport '{ 135, 60001, 60002 }' dnat to 10.0.2.11
}
teardown() {
	c flush
	lb ipvsadm -C 2>/dev/null
	lb nft flush ruleset
	lb conntrack -F 2>/dev/null
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

measure() { # MODE: its figures
	local mode=$1 r
	for what in newconn stream1 stream4; do
		for ((r = 0; r < RUNS; r++)); do
			case $what in
			newconn) cl /tests/vipload conn $SECS 32 $VIP 135 $(clients 1 40) ;;
			stream1) cl /tests/vipload stream $SECS 1 $VIP 60001 10.0.1.$((r + 1)) ;;
			stream4) cl /tests/vipload stream $SECS 4 $VIP 60001 10.0.1.$((r + 1)) ;;
			esac | awk '$1 == "conns_per_s" || $1 == "mbit_per_s" { print $2 }'
			lb conntrack -F 2>/dev/null
		done | median | sed "s/^/$what.$mode /"
	done
}

lb modprobe ip_vs 2>/dev/null
modprobe ip_vs
modprobe ip_vs_rr
modprobe nft_hash
figures=$(for mode in casvip ipvs jhash static; do
	teardown
	setup_$mode >/dev/null
	measure $mode
done
teardown)
echo "$figures"
for what in newconn stream1 stream4; do
	ours=$(awk -v k="$what.casvip" '$1 == k { print $2 }' <<<"$figures")
	for other in ipvs jhash static; do
		theirs=$(awk -v k="$what.$other" '$1 == k { print $2 }' <<<"$figures")
		awk -v a="$ours" -v b="$theirs" -v k="ratio.$what.casvip_$other" \
			'BEGIN { if (b > 0) printf "%s %.2f\n", k, a / b }'
	done
done
