#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scale figures, sourced after lib.sh and topo.sh with the lab up:
#   apply.s, dump.s      apply, then dump (show -j), NSVC services x 8 servers
#   newflow.SCHED.2      new flows/s through a UDP service of 2 servers,
#   newflow.SCHED.NSRV   and through one of NSRV, for each scheduler: the
#                        rounds alternate the two; pktgen (pktgen.sh) sends
#                        each datagram from a new client, whom the
#                        scheduler places
#   cost.newflow.SCHED.NSRV_2
#                        what a new client costs with NSRV servers over what
#                        it costs with 2: the median of the rounds' ratios
#                        of their rates, and its spread
#   newconn.table.1000, newconn.table.NPERSIST: new connections/s through a
#                        service whose persistence table already holds that
#                        many clients (lookups must not slow down)
# usage: scale.sh NSVC NSRV NPERSIST RUNS SECONDS [SCHED...] (default: all)
NSVC=$1 NSRV=$2 NPERSIST=$3 RUNS=$4 SECS=$5
shift 5
SCHEDS=${*:-rr wrr lc wlc sh mh}
. /tests/pktgen.sh

elapsed() { # CMD...: seconds it took
	local t=${EPOCHREALTIME/./}
	"$@" >/dev/null 2>&1
	awk -v d=$((${EPOCHREALTIME/./} - t)) 'BEGIN { printf "%.2f", d / 1e6 }'
}

{
	for ((s = 0; s < NSVC; s++)); do
		echo "service s$s vip 10.9.$((s / 250)).$((s % 250 + 1)) ports 135,60001-60002"
		for ((k = 1; k <= 8; k++)); do echo "	server 10.8.$((s % 250)).$k"; done
	done
} >/tmp/scale.conf
c flush
echo "apply.s $(elapsed c apply /tmp/scale.conf)"
echo "dump.s $(elapsed c -j show)"
c flush

# NSRV answering servers: addresses on lab_s1's loopback, its fakecas
# answers for all of them.
{
	for ((k = 1; k <= NSRV; k++)); do
		echo "addr add 10.4.$((k / 250)).$((k % 250 + 1))/32 dev lo"
	done
} | $ip -n lab_s1 -batch -
$ip -n lab_lb route add 10.4.0.0/16 via 10.0.2.11
# The clients: 10.16.0.0/12 at random, a new one nearly every datagram,
# routed back to the clients' side. The service of 2 on 10.0.0.100, that
# of NSRV on 10.0.0.101.
$ip -n lab_lb route add 10.16.0.0/12 via 10.0.1.1
cl test -e /proc/net/pktgen/c0 || pg_setup
pg_flows 10.16.0.0 10.31.255.255 1024 65535
vip() { echo 10.0.0.$(($1 == 2 ? 100 : 101)); }
for sched in $SCHEDS; do
	for n in 2 $NSRV; do
		echo "service s$n vip $(vip $n) proto udp ports 60002 sched $sched persist 300"
		for ((k = 1; k <= n; k++)); do
			echo "	server 10.4.$((k / 250)).$((k % 250 + 1))"
		done
	done | c apply - >/dev/null
	rounds=$(for ((r = 0; r < RUNS; r++)); do
		for n in 2 $NSRV; do
			pg_dst "$(vip $n)"
			echo "$r $n $(pg_rate $SECS)"
			lb conntrack -F 2>/dev/null
			c persist del s$n
		done
	done)
	for n in 2 $NSRV; do
		awk -v n=$n '$2 == n { print $3 }' <<<"$rounds" | median |
			sed "s/^/newflow.$sched.$n /"
	done
	c flush
	ratio "cost.newflow.$sched.${NSRV}_2" 2 "$NSRV" <<<"$rounds"
done
$ip -n lab_lb route del 10.16.0.0/12
for n in 1000 $NPERSIST; do
	lb /tests/persist_bench $n keep >/dev/null
	for ((r = 0; r < RUNS; r++)); do
		cl /tests/vipload conn $SECS 32 10.0.0.100 135 $(clients 1 40) |
			awk '$1 == "conns_per_s" { print $2 }'
		lb conntrack -F 2>/dev/null
	done | median | sed "s/^/newconn.table.$n /"
	c flush
done | tee /tmp/scale.out
awk -v n=$NPERSIST '$1 == "newconn.table.1000" { a = $2 }
	$1 == "newconn.table." n { b = $2 }
	END { if (a > 0) printf "ratio.newconn.table.%s_1000 %.2f\n", n, b / a }' /tmp/scale.out
