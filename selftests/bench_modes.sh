#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The balancers the benchmarks compare, in the lab of topo.sh (sourced
# after lib.sh and topo.sh): setup_MODE makes VIP:135,60001-60002 go to
# 10.0.2.11-13 through casvip (Maglev, persistence), casvip with offload
# on, IPVS (NAT, a firewall-mark service with persistence, as keepalived
# sets it up), an nftables DNAT that keeps a client on a server by
# hashing its address (jhash: stateless, no health, no timeout), or a
# static nftables DNAT to one server (the floor cost of conntrack NAT);
# teardown undoes any of them. UDP to VIP:60002 goes the same way (casvip:
# a service of its own), for compare.sh's forwarding figure.
VIP=10.0.0.100
setup_casvip() {
	c service add cas vip $VIP ports 135,60001-60002 sched mh persist 300
	c service add casu vip $VIP proto udp ports 60002 sched mh persist 300
	for i in 1 2 3; do
		c server add cas 10.0.2.1$i
		c server add casu 10.0.2.1$i
	done
}
setup_offload() {
	setup_casvip
	c offload on
}
setup_ipvs() {
	lb nft add table ip mangle
	lb nft add chain ip mangle pre '{ type filter hook prerouting priority -150; }'
	lb nft add rule ip mangle pre ip daddr $VIP tcp dport '{ 135, 60001, 60002 }' meta mark set 1
	lb nft add rule ip mangle pre ip daddr $VIP udp dport 60002 meta mark set 1
	lb ipvsadm -A -f 1 -s rr -p 300
	for i in 1 2 3; do lb ipvsadm -a -f 1 -r 10.0.2.1$i -m; done
}
setup_jhash() {
	lb nft add table ip nat
	lb nft add chain ip nat pre '{ type nat hook prerouting priority -100; }'
	lb nft add rule ip nat pre ip daddr $VIP tcp dport '{ 135, 60001, 60002 }' \
		dnat to jhash ip saddr mod 3 map '{ 0 : 10.0.2.11, 1 : 10.0.2.12, 2 : 10.0.2.13 }'
	lb nft add rule ip nat pre ip daddr $VIP udp dport 60002 \
		dnat to jhash ip saddr mod 3 map '{ 0 : 10.0.2.11, 1 : 10.0.2.12, 2 : 10.0.2.13 }'
}
setup_static() {
	lb nft add table ip nat
	lb nft add chain ip nat pre '{ type nat hook prerouting priority -100; }'
	lb nft add rule ip nat pre ip daddr $VIP tcp dport '{ 135, 60001, 60002 }' dnat to 10.0.2.11
	lb nft add rule ip nat pre ip daddr $VIP udp dport 60002 dnat to 10.0.2.11
}
teardown() {
	c flush
	c offload off
	lb ipvsadm -C 2>/dev/null
	# Its connections too, as conntrack -F does for the others: every
	# mode starts with empty tables.
	modprobe -r ip_vs_rr ip_vs && modprobe ip_vs_rr
	lb nft flush ruleset
	lb conntrack -F 2>/dev/null
}

modprobe ip_vs_rr
modprobe nft_hash
