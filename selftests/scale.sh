#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scale figures, sourced after lib.sh and topo.sh with the lab up:
#   apply.s, dump.s      apply, then dump (show -j), NSVC services x 8 servers
#   newconn.SCHED.2      new connections/s through a service of 2 servers
#   newconn.SCHED.N      ... of NSRV servers (all of them answer: lab_s1
#                        holds their addresses), for every scheduler
#   ratio.newconn.SCHED.N_2
#   newconn.table.1000, newconn.table.NPERSIST: new connections/s through a
#                        service whose persistence table already holds that
#                        many clients (lookups must not slow down)
# usage: scale.sh NSVC NSRV NPERSIST RUNS SECONDS
NSVC=$1 NSRV=$2 NPERSIST=$3 RUNS=$4 SECS=$5

elapsed() { # CMD...: seconds it took
	local t=${EPOCHREALTIME/./}
	"$@" >/dev/null 2>&1
	awk -v d=$((${EPOCHREALTIME/./} - t)) 'BEGIN { printf "%.2f", d / 1e6 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

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
for sched in rr wrr lc wlc sh mh; do
	for n in 2 $NSRV; do
		{
			echo "service cas vip 10.0.0.100 ports 135 sched $sched persist 300"
			for ((k = 1; k <= n; k++)); do
				echo "	server 10.4.$((k / 250)).$((k % 250 + 1))"
			done
		} | c apply - >/dev/null
		for ((r = 0; r < RUNS; r++)); do
			cl /tests/vipload conn $SECS 32 10.0.0.100 135 $(clients 1 40) |
				awk '$1 == "conns_per_s" { print $2 }'
			lb conntrack -F 2>/dev/null
			c persist del cas
		done | median | sed "s/^/newconn.$sched.$n /"
		c flush
	done
done | tee /tmp/scale.out
for n in 1000 $NPERSIST; do
	lb /tests/persist_bench $n keep >/dev/null
	for ((r = 0; r < RUNS; r++)); do
		cl /tests/vipload conn $SECS 32 10.0.0.100 135 $(clients 1 40) |
			awk '$1 == "conns_per_s" { print $2 }'
		lb conntrack -F 2>/dev/null
	done | median | sed "s/^/newconn.table.$n /"
	c flush
done | tee -a /tmp/scale.out
awk -v n=$NPERSIST '$1 == "newconn.table.1000" { a = $2 }
	$1 == "newconn.table." n { b = $2 }
	END { if (a > 0) printf "ratio.newconn.table.%s_1000 %.2f\n", n, b / a }' /tmp/scale.out
for sched in rr wrr lc wlc sh mh; do
	awk -v s=$sched -v n=$NSRV '$1 == "newconn." s ".2" { a = $2 }
		$1 == "newconn." s "." n { b = $2 }
		END { if (a > 0) printf "ratio.newconn.%s.%s_2 %.2f\n", s, n, b / a }' /tmp/scale.out
done
