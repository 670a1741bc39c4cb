#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The lab the datapath tests run in, sourced after lib.sh:
#
#   lab_cl (clients)            lab_lb (balancer)             lab_s1..lab_s4
#   10.0.1.1-40/24   c0 ---- l0 10.0.1.254/24
#   fd00:1::1-40/64             fd00:1::fe/64
#                               br0 10.0.2.254/24 --- p1 ---- eth0 10.0.2.11/24
#   VIPs 10.0.0.100-109 and     fd00:2::fe/64     --- p2 ---- eth0 10.0.2.12/24
#   fd00::100 are routed                          --- ...     (fd00:2::1N/64)
#   to the balancer, whose
#   own addresses they are
#
# Each server runs fakecas (TCP and UDP) on $FAKECAS_PORTS (by default 135,
# 60001 and 60002), named srv1..srv4.

FAKECAS_PORTS=${FAKECAS_PORTS:-135 60001 60002}

cl() { $ip netns exec lab_cl "$@"; }
lb() { $ip netns exec lab_lb "$@"; }
c() { lb casvipctl "$@"; }
# Connections in the balancer's conntrack table answered by ADDR.
conntrack_to() { lb conntrack -L 2>/dev/null | grep -c "src=$1 "; }

# Do the counters of the service in STATS (the JSON of "-j -s show") count
# PAYLOAD bytes in direction DIR (in, out) exactly? Each IP packet (a TSO
# one too) counts with its headers: 52 bytes with TCP timestamps, 60 for a
# SYN or SYN-ACK, up to 28 more for SACK blocks (after a loss).
counted_within() { # STATS PAYLOAD DIR
	local got
	got=$(jq ".[0].stats | .bytes_$3 - 52 * .pkts_$3 - 8 * .conns" <<<"$1")
	echo "payload $2, counted $got"
	[ "$got" -ge "$2" ] &&
		[ "$got" -le $(($2 + 28 * $(jq ".[0].stats.pkts_$3" <<<"$1"))) ]
}

# Client addresses 10.0.1.FIRST .. 10.0.1.LAST (or fd00:1::N with -6).
clients() {
	local pre=10.0.1. i
	if [ "$1" = -6 ]; then
		pre=fd00:1::
		shift
	fi
	for ((i = $1; i <= $2; i++)); do
		echo "$pre$i"
	done
}

topo_up() {
	local i
	for ns in cl lb s1 s2 s3 s4; do
		$ip netns add lab_$ns
		$ip -n lab_$ns link set lo up
	done
	$ip link add c0 netns lab_cl type veth peer name l0 netns lab_lb
	{
		for i in $(seq 1 40); do
			echo "addr add 10.0.1.$i/24 dev c0"
			echo "addr add fd00:1::$i/64 dev c0 nodad"
		done
		echo "link set c0 up"
		echo "route add 10.0.0.0/24 via 10.0.1.254"
		echo "route add fd00::/64 via fd00:1::fe"
	} | $ip -n lab_cl -batch -
	lb sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	$ip -n lab_lb addr add 10.0.1.254/24 dev l0
	$ip -n lab_lb addr add fd00:1::fe/64 dev l0 nodad
	# The VIPs are the balancer's own, as on a real box.
	$ip -n lab_lb addr add 10.0.0.100/32 dev l0
	$ip -n lab_lb addr add 10.0.0.101/32 dev l0
	$ip -n lab_lb addr add fd00::100/128 dev l0 nodad
	$ip -n lab_lb link set l0 up
	$ip -n lab_lb link add br0 type bridge
	$ip -n lab_lb addr add 10.0.2.254/24 dev br0
	$ip -n lab_lb addr add fd00:2::fe/64 dev br0 nodad
	$ip -n lab_lb link set br0 up
	for i in 1 2 3 4; do
		$ip link add eth0 netns lab_s$i type veth peer name p$i netns lab_lb
		$ip -n lab_lb link set p$i master br0 up
		$ip -n lab_s$i addr add 10.0.2.1$i/24 dev eth0
		$ip -n lab_s$i addr add fd00:2::1$i/64 dev eth0 nodad
		$ip -n lab_s$i link set eth0 up
		$ip -n lab_s$i route add default via 10.0.2.254
		$ip -n lab_s$i -6 route add default via fd00:2::fe
		$ip netns exec lab_s$i /tests/fakecas srv$i $FAKECAS_PORTS &
		daemons="$daemons $!"
		$ip netns exec lab_s$i /tests/fakecas -u srv$i $FAKECAS_PORTS &
		daemons="$daemons $!"
	done
	sleep 0.5
}

topo_down() {
	kill $daemons 2>/dev/null
	wait $daemons 2>/dev/null
}
