#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the figures of FILE (bench.txt: "name value" lines) against
# their goals, as a table. Ratios are of figures measured in one boot, in
# the same round (compare.sh); "spread" is their noise, from round to round.
# usage: selftests/bench_table.sh FILE
f=$1
val() { awk -v k="$1" '$1 == k { print $2 }' "$f"; }
row() { # FIGURE VALUE OP GOAL [SPREAD]
	local met=no
	if [ -z "$2" ]; then
		met="not measured"
	elif awk -v v="$2" -v g="$4" -v op="$3" \
		'BEGIN { exit !(op == ">=" ? v >= g : v <= g) }'; then
		met=yes
	fi
	printf '| %-58s | %8s | %6s | %s %-5s | %s |\n' "$1" "${2:--}" \
		"${5:+$5 %}" "$3" "$4" "$met"
}
# A ratio of compare.sh's: ROW's arguments, the spread from its name.
ratio_row() { # FIGURE RATIO OP GOAL
	row "$1" "$(val "$2")" "$3" "$4" "$(val "spread.$2")"
}
printf '| %-58s | %8s | %6s | %-8s | %s |\n' figure value spread goal met
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" ---------- -------- ---------- -----
ratio_row "new conn/s casvip / IPVS" ratio.newconn.casvip_ipvs ">=" 1.2
ratio_row "new conn/s casvip / nft jhash DNAT" ratio.newconn.casvip_jhash ">=" 1.05
ratio_row "new flows/s, balancer only (pktgen), casvip / IPVS" ratio.newflow.casvip_ipvs ">=" 1.2
ratio_row "new flows/s, balancer only (pktgen), casvip / nft jhash" ratio.newflow.casvip_jhash ">=" 1.05
# The same goal as work: what a new connection costs in CPU (perf).
per() { awk -v a="$(val "profile.ipvs.$1")" -v b="$(val "profile.casvip.$1")" \
	'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b }'; }
row "CPU per new connection, IPVS / casvip (the whole VM)" "$(per cpu_us_per_conn)" ">=" 1.2
row "... in the balancer's modules and conntrack, NAT" "$(per modules_us_per_conn)" ">=" 1.2
for n in 1 4; do
	ratio_row "throughput, $n stream(s), casvip / static nft DNAT" \
		ratio.stream$n.casvip_static ">=" 0.98
done
ratio_row "forwarding (pktgen, UDP pkts/s), casvip / static nft DNAT" \
	ratio.fwd.casvip_static ">=" 0.98
for n in 1 4; do
	ratio_row "throughput, $n stream(s), offload / casvip without" \
		ratio.stream$n.offload_casvip ">=" 1.3
	ratio_row "throughput, $n stream(s), offload / IPVS NAT" \
		ratio.stream$n.offload_ipvs ">=" 1.3
done
ratio_row "forwarding (pktgen, UDP pkts/s), offload / casvip without" \
	ratio.fwd.offload_casvip ">=" 1.3
ratio_row "forwarding (pktgen, UDP pkts/s), offload / IPVS NAT" \
	ratio.fwd.offload_ipvs ">=" 1.3
for s in rr wrr lc wlc sh mh; do
	k=$(awk -v p="cost.newflow.$s." 'index($1, p) == 1 { print $1 }' "$f")
	ratio_row "cost of a new client (pktgen), 1,000 / 2 servers, $s" \
		"${k:-cost.newflow.$s}" "<=" 1.1
done
row "ms from a server's delete to its offloaded flows' reset" "$(val reset_ms)" "<=" 1000 \
	"$(val spread.reset_ms)"
