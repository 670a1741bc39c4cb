#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# For the benchmarks (compare.sh, scale.sh), sourced after lib.sh and
# topo.sh with the lab up: pktgen in the clients' namespace, sending UDP
# to VIP:60002 that the servers drop at their interface's ingress, so
# that what is measured is the balancer's own work; and the median and
# spread of a figure's rounds, and of two figures' ratios round by round.

# Lines "VALUE": their median, and the spread around it in percent.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() {
	sort -n | awk '{ v[NR] = $1 } END {
		m = v[int((NR + 1) / 2)]
		if (m > 0) printf "%.0f\n", 100 * (v[NR] - v[1]) / m }'
}
# Lines "ROUND KEY VALUE": A's value over B's in each round, as "NAME
# MEDIAN" and "spread.NAME SPREAD"; nothing if no round has both.
ratio() { # NAME A B
	local r
	r=$(awk -v a="$2" -v b="$3" '$2 == a { x[$1] = $3 } $2 == b { y[$1] = $3 }
		END { for (i in x) if (y[i] > 0) printf "%.4f\n", x[i] / y[i] }')
	[ -n "$r" ] || return
	median <<<"$r" | awk -v n="$1" '{ printf "%s %.2f\n", n, $1 }'
	echo "spread.$1 $(spread <<<"$r")"
}

# pktgen's flows: to the address pg_dst sets, port 60002, 200-byte frames,
# from addresses and ports at random in the ranges pg_flows sets.
pg() { cl sh -c "echo '$1' >/proc/net/pktgen/$2"; }
pg_setup() {
	local mac i
	modprobe pktgen || return
	mac=$(lb cat /sys/class/net/l0/address)
	pg rem_device_all kpktgend_0
	pg "add_device c0" kpktgend_0
	for i in "count 0" "clone_skb 0" "pkt_size 200" "delay 0" \
		"udp_dst_min 60002" "udp_dst_max 60002" \
		"dst_mac $mac" "flag IPSRC_RND" "flag UDPSRC_RND"; do
		pg "$i" c0
	done
	# Every datagram a flow (newflow): conntrack's table is measured,
	# not its limit.
	sysctl -qw net.netfilter.nf_conntrack_max=$((1 << 20))
	for i in 1 2 3; do
		$ip netns exec lab_s$i nft -f - <<-EOF
		table netdev sink {
			chain in {
				type filter hook ingress device eth0 priority 0
				udp dport 60002 meta length > 150 drop
			}
		}
		EOF
	done
}
# Packets the servers' interfaces have received, in all.
rx() {
	local i
	for i in 1 2 3; do
		$ip -n lab_s$i -s -j link show eth0 |
			jq '.[0].stats64.rx.packets'
	done | awk '{ n += $1 } END { print n }'
}
pg_flows() { # FIRST_ADDR LAST_ADDR FIRST_PORT LAST_PORT
	cl test -e /proc/net/pktgen/c0 || return
	pg "src_min $1" c0
	pg "src_max $2" c0
	pg "udp_src_min $3" c0
	pg "udp_src_max $4" c0
}
pg_dst() { pg "dst $1" c0; }
# The packets per second pktgen's flows reach the servers at, over SECS.
pg_rate() { # SECS
	local n0 n1 t0 t1 gen
	cl sh -c 'echo start >/proc/net/pktgen/pgctrl' &
	gen=$!
	sleep 0.5
	n0=$(rx) t0=${EPOCHREALTIME/./}
	sleep $1
	n1=$(rx) t1=${EPOCHREALTIME/./}
	pg stop pgctrl
	wait $gen
	awk -v n=$((n1 - n0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f\n", n * 1e6 / t }'
}
