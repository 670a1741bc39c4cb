#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# casvip, casvip with offload on (the flowtable fast path), IPVS, an
# nftables jhash DNAT and a static nftables DNAT (bench_modes.sh), in the
# lab of topo.sh, in one VM boot. For each: new connections
# per second (32 in flight, from 40 client addresses), throughput over
# 1 and 4 streams, and what pktgen in the clients' namespace makes the
# balancer do, as fast as it can, the servers dropping it at their
# interface's ingress: "fwd", the UDP packets per second it forwards of
# one flow whose first datagram had its answer; "newflow", the new flows
# per second it takes, each datagram one of another flow (40 client
# addresses, random source ports). The streams' and connections' ends,
# clients' and servers' TCP, cost more than the balancer does: fwd and
# newflow are the balancer's own work, nearly alone. The rounds
# interleave: each round measures every mode once, and each mode starts
# with empty tables. Each figure is the median of RUNS rounds of SECONDS;
# "spread" is (max - min) / median, in percent: the noise. Then casvip's
# ratios to the others, and offload's to casvip without it and to IPVS:
# the median of the rounds' ratios, each of figures measured a minute
# apart (the host's speed drifts more than that between rounds), with
# their spread. And "reset_ms", the median time from a server's delete to
# the reset of an offloaded session of it. Prints "name value" lines, and
# "round R name value" for each round's figure.
#
# usage: compare.sh RUNS SECONDS (sourced by the benchmarks, after lib.sh
# and topo.sh, with the lab up)
RUNS=$1
SECS=$2
MODES="casvip offload ipvs jhash static"
. /tests/bench_modes.sh
. /tests/pktgen.sh

fwd() {
	pg_flows 10.0.1.37 10.0.1.37 40000 40000 || return
	# The first datagram's answer: conntrack sees the flow established.
	cl socat -T 2 - UDP4:$VIP:60002,bind=10.0.1.37:40000 <<<x >/dev/null
	pg_rate $SECS
}
newflow() {
	pg_flows 10.0.1.1 10.0.1.40 1024 65535 && pg_rate $SECS
}

FIGURES="newconn stream1 stream4 fwd newflow"
# One round of MODE: "WHAT.MODE VALUE" for each figure.
measure() {
	local mode=$1 what
	for what in $FIGURES; do
		case $what in
		newconn) cl /tests/vipload conn $SECS 32 $VIP 135 $(clients 1 40) ;;
		stream1) cl /tests/vipload stream $SECS 1 $VIP 60001 10.0.1.39 ;;
		stream4) cl /tests/vipload stream $SECS 4 $VIP 60001 10.0.1.39 ;;
		fwd) echo "pkts_per_s $(fwd)" ;;
		newflow) echo "pkts_per_s $(newflow)" ;;
		esac | awk -v k="$what.$mode" '$2 != "" &&
			($1 == "conns_per_s" || $1 == "mbit_per_s" || $1 == "pkts_per_s") { print k, $2 }'
		[ $what.$mode = fwd.offload ] && [ ! -e /tmp/offloaded ] &&
			lb conntrack -L -p udp 2>/dev/null | grep -c OFFLOAD >/tmp/offloaded
		lb conntrack -F 2>/dev/null
	done
}

# Milliseconds from a server's delete to the reset of its offloaded
# session (a fakecas -e on 60009 answers on every server).
reset_ms() {
	local t0 del session srv
	c service add sess vip 10.0.0.101 ports 60009 sched rr
	for i in 1 2 3; do c server add sess 10.0.2.1$i; done
	c offload on
	t0=${EPOCHREALTIME/./}
	cl /tests/vipsession -i 20 $((SECS + 3)) 10.0.0.101 60009 10.0.1.38 >/tmp/session &
	session=$!
	sleep $SECS
	del=$(((${EPOCHREALTIME/./} - t0) / 1000))
	srv=$(c -j persist show sess | jq -r '.[0].server // empty')
	[ -n "$srv" ] && c server del sess "$srv"
	wait $session
	awk -v d="$del" '$4 == "broken" { print $5 - d }' /tmp/session
	teardown
}

# Their output not on ours: this runs inside $(...), which waits for it.
echoers=
for i in 1 2 3; do
	$ip netns exec lab_s$i /tests/fakecas -e srv$i 60009 >/dev/null 2>&1 &
	echoers="$echoers $!"
done
pg_setup && pg_dst $VIP
rm -f /tmp/offloaded
# "ROUND WHAT.MODE VALUE" lines.
rounds=$(for ((r = 0; r < RUNS; r++)); do
	for mode in $MODES; do
		teardown
		setup_$mode >/dev/null
		measure $mode | sed "s/^/$r /"
	done
done
teardown)
resets=$(for ((r = 0; r < RUNS; r++)); do reset_ms; done)
kill $echoers
wait $echoers 2>/dev/null
for what in $FIGURES; do
	for mode in $MODES; do
		k=$what.$mode
		echo "$k $(awk -v k="$k" '$2 == k { print $3 }' <<<"$rounds" | median)"
		echo "spread.$k $(awk -v k="$k" '$2 == k { print $3 }' <<<"$rounds" | spread)"
	done
done >/tmp/figures
[ -e /tmp/offloaded ] && echo "fwd.offload.flows_offloaded $(cat /tmp/offloaded)" >>/tmp/figures
echo "reset_ms $(median <<<"$resets")" >>/tmp/figures
echo "spread.reset_ms $(spread <<<"$resets")" >>/tmp/figures
cat /tmp/figures
# Each round's figures, for a look at the noise: "round R WHAT.MODE VALUE".
sed 's/^/round /' <<<"$rounds"
for what in $FIGURES; do
	for other in ipvs jhash static; do
		ratio "ratio.$what.casvip_$other" "$what.casvip" "$what.$other" <<<"$rounds"
	done
done
for what in stream1 stream4 fwd; do
	ratio "ratio.$what.offload_casvip" "$what.offload" "$what.casvip" <<<"$rounds"
	ratio "ratio.$what.offload_ipvs" "$what.offload" "$what.ipvs" <<<"$rounds"
done
