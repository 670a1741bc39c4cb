#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn under load. Clients keep connecting to two services (mh and wlc,
# three ports each) while, in a tight loop, servers 3 and 4 are added,
# drained, re-weighted, flipped down and up, disabled and removed, and the
# whole configuration is applied and re-applied; state is dumped all the
# while. Then the module is unloaded and reloaded under the same load, and
# last the balancer's namespace is deleted under it.
#
# Checked: every control command succeeds; the clients of servers 1 and 2,
# which nobody touches, keep their server on every connection; a removed
# server keeps no connection and no persistence entry; after reloads, mh
# puts every client back where it was; nothing is left once the namespace
# is gone; the kernel log stays clean (run.sh).
. /tests/lib.sh
. /tests/topo.sh

PORTS=135,60001,60002
DURATION=20

cat >/tmp/full.conf <<'CONF'
service outlook vip 10.0.0.100 ports 135,60001-60002 sched mh
	server 10.0.2.11
	server 10.0.2.12
	server 10.0.2.13
	server 10.0.2.14
service mapi vip 10.0.0.101 ports 135,60001-60002 sched wlc
	server 10.0.2.11
	server 10.0.2.12
	server 10.0.2.13
	server 10.0.2.14
CONF
# Server 3 gone, server 4 re-weighted; servers 1 and 2 as they were.
# test_churn_offload.sh: all of it with the flowtable fast path.
[ "${OFFLOAD:-}" = on ] && sed -i '1i offload on' /tmp/full.conf
sed -e '/10.0.2.13/d' -e 's/\(10.0.2.14\)$/\1 weight 50/' /tmp/full.conf >/tmp/less.conf

bad=0
# A control command that must succeed.
ctl() {
	c "$@" || { echo "# failed: casvipctl $*"; bad=$((bad + 1)); }
}

# Clients 1-20 connect to both VIPs on every port, over and over; each
# answer is logged as "SRC PORT SERVER PEER" in LOG.VIP.
sticky_load() { # LOG
	while :; do
		cl /tests/vipclient -t 1500 10.0.0.100 $PORTS $(clients 1 20) >>"$1.100"
		cl /tests/vipclient -t 1500 10.0.0.101 $PORTS $(clients 1 20) >>"$1.101"
	done
}
# Clients whose first answer came from server 1 or 2 and who later got
# anything else, as "client: answers".
moved() { # LOG
	awk '{ if (!($1 in first)) first[$1] = $3
	       if (first[$1] ~ /^srv[12]$/ && $3 != first[$1]) bad[$1] = bad[$1] " " $3 }
	     END { for (c in bad) print c ":" bad[c] }' "$1"
}
untouched() { # LOG: clients first answered by server 1 or 2
	awk '!($1 in first) { first[$1] = $3 } END { for (c in first) if (first[c] ~ /^srv[12]$/) n++; print n + 0 }' "$1"
}

modprobe casvip
topo_up
ctl apply /tmp/full.conf

# --- servers and configuration churn ---------------------------------------
rm -f /tmp/sticky.*
sticky_load /tmp/sticky &
sticky=$!
cl /tests/vipload conn $((DURATION + 5)) 16 10.0.0.100 60001 $(clients 21 40) >/tmp/flow.100 &
flow1=$!
cl /tests/vipload conn $((DURATION + 5)) 16 10.0.0.101 60002 $(clients 21 40) >/tmp/flow.101 &
flow2=$!
(while :; do c -j -s show >/dev/null; c -j persist show >/dev/null; done) &
dumper=$!
sleep 2

rounds=0
end=$((SECONDS + DURATION))
while [ $SECONDS -lt $end ] || [ $rounds -lt 3 ]; do
	w=$((rounds % 9 + 1))
	ctl apply /tmp/less.conf
	for s in outlook mapi; do
		ctl server add $s 10.0.2.13 weight $w
		ctl server set $s 10.0.2.13 drain
		ctl server set $s 10.0.2.14 weight $((w * 3))
		ctl server set $s 10.0.2.14 health down
		ctl server set $s 10.0.2.13 enable
		ctl server set $s 10.0.2.14 health up
		ctl server set $s 10.0.2.13 disable
		ctl server del $s 10.0.2.13
		ctl server add $s 10.0.2.13 drain
	done
	ctl apply /tmp/full.conf
	rounds=$((rounds + 1))
done
echo "# $rounds churn rounds in $DURATION s"
check_eq "every control command succeeded under load" 0 $bad

# Remove server 3 for good while the load runs on.
ctl server del outlook 10.0.2.13
ctl server del mapi 10.0.2.13
# Connections to the VIPs that it answered. (Its own packets that come
# after its connection was deleted make conntrack entries of their own, to
# the clients: not connections through the balancer.)
through() { # SERVER
	for v in 100 101; do lb conntrack -L -d 10.0.0.$v 2>/dev/null; done |
		grep "src=$1 "
}
check_eq "a removed server keeps no connection" "" "$(through 10.0.2.13)"
check_eq "... and no persistence entry" 0 \
	"$(c -j persist show | jq '[.[] | select(.server == "10.0.2.13")] | length')"
sleep 2
check_eq "... and gets no new one" "" "$(through 10.0.2.13)"
kill $sticky $dumper
wait $sticky $dumper $flow1 $flow2 2>/dev/null
for v in 100 101; do
	n=$(untouched /tmp/sticky.$v)
	check "VIP .$v: untouched servers had clients ($n)" test "$n" -ge 4
	check_eq "VIP .$v: their clients kept their server on every connection" "" \
		"$(moved /tmp/sticky.$v)"
	echo "# VIP .$v: $(wc -l </tmp/sticky.$v) logged connections;" \
		"flow: $(tr '\n' ' ' </tmp/flow.$v)"
	check "VIP .$v: the flow kept going" \
		test "$(awk '/conns_per_s/ { print $2 }' /tmp/flow.$v)" -gt 0
done

# --- module unload and reload under load -----------------------------------
ctl apply /tmp/full.conf
c persist del outlook
snapshot() { cl /tests/vipclient -t 1500 10.0.0.100 135 $(clients 1 20) | awk '{ print $1, $3 }'; }
before=$(snapshot)
sticky_load /tmp/reload &
sticky=$!
cl /tests/vipload conn 30 16 10.0.0.100 60001 $(clients 21 40) >/tmp/flow.reload &
flow1=$!
reloads=0
for _ in 1 2 3; do
	sleep 1
	rmmod casvip && modprobe casvip && c apply /tmp/full.conf &&
		reloads=$((reloads + 1))
done
check_eq "unloaded and reloaded under load three times" 3 $reloads
# apply creates each service with its servers: no client came in between.
check_eq "after the reloads, mh sends every client where it went before" \
	"$before" "$(snapshot)"

# --- the balancer's namespace deleted under load -----------------------------
$ip netns del lab_lb
check "the namespace's services are all gone" \
	wait_for 10 grep -qx 0 /sys/kernel/debug/casvip/objects
kill $sticky
wait $sticky $flow1 2>/dev/null
check "the module unloads" rmmod casvip
check "and loads again" modprobe casvip
topo_down
ktap_done
