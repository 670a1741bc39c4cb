#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: a CAS array behind casvip, in network namespaces in the VM.
# Eight Outlook clients connect to the endpoint mapper (135) and to the
# static RPC ports (60001, 60002); each sticks to one CAS. Then a CAS goes
# down and its clients move to the others, the rest stay where they were.
# Then a redundant pair (pair.sh, README "A redundant pair"): the master
# dies under Outlook sessions, the standby takes over, every session goes
# on and every client stays on its CAS.
. /tests/lib.sh >/dev/null
. /tests/topo.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "# $*"; "$@"; }

# Which CAS each client reached on each port, one row per client.
table() {
	cl /tests/vipclient 10.0.0.100 135,60001,60002 $(clients 1 8) |
		awk '{ s[$1] = s[$1] sprintf("  %-6s", $3) } END {
			for (c in s) print c, s[c] }' | sort -t. -k4 -n |
		awk 'BEGIN { printf "%-10s  %-6s  %-6s  %-6s\n", "client", "135", "60001", "60002" }
			{ printf "%-10s%s\n", $1, substr($0, length($1) + 1) }'
}

modprobe casvip
topo_up
cat >/tmp/casvip.conf <<'CONF'
# Exchange CAS array: RPC Client Access pinned to 60001, Address Book to
# 60002 on every CAS; one VIP for all Outlook clients.
service outlook vip 10.0.0.100 ports 135,60001-60002 sched mh persist 3600
	server 10.0.2.11 weight 100
	server 10.0.2.12 weight 100
	server 10.0.2.13 weight 100
CONF
say "The configuration"
cat /tmp/casvip.conf
say "Apply it on the balancer"
run lb casvipctl apply /tmp/casvip.conf
run lb casvipctl show
say "Eight Outlook clients connect to 135, 60001 and 60002: each sticks to one CAS"
table
say "And again: the same CAS for each client"
table
say "Counters"
run lb casvipctl -s show
say "Persistence: which client is on which CAS"
run lb casvipctl persist show outlook
say "CAS2 (10.0.2.12) fails its health check"
run lb casvipctl server set outlook 10.0.2.12 health down
say "Its clients move to the other CASes; the others stay put"
table
run lb casvipctl show
say "CAS2 comes back: new clients may go to it, the moved ones stay"
run lb casvipctl server set outlook 10.0.2.12 health up
table
say "The conntrack table of the balancer (conntrack -L), first lines"
lb conntrack -L 2>/dev/null | grep 'dst=10.0.0.100' | head -n 4
topo_down
for ns in $($ip netns list | awk '/^lab_/ { print $1 }'); do
	$ip netns del "$ns"
done

say "A redundant pair: lb1 master, lb2 standby (keepalived, conntrackd)"
. /tests/pair.sh
pair_up
{
	grep -v '^#' /tmp/casvip.conf
	echo "	check tcp 60002 interval 1 timeout 1 rise 2 fall 2"
} >/tmp/pair.conf
echo "# the same configuration on both, with a health check:"
cat /tmp/pair.conf
for n in 1 2; do
	pair_files $n
	CASVIP_KEEPALIVED_CONF=/root/lb$n/keepalived.conf \
		lb$n casvipctl apply /tmp/pair.conf >/dev/null
done
pair_start 1
sleep 1
pair_start 2
wait_for 10 holder_is lb1
echo "# the VIP is on: $(vip_holder)"
say "Eight Outlook sessions through lb1 (a byte echoed every 100 ms)"
cl /tests/vipsession 12 $VIP 60001 $(clients 1 8) >/tmp/sessions &
sessions=$!
table
sleep 3
say "lb2 learnt their clients from conntrackd's copy of lb1's connections"
run lb2 casvipctl persist show outlook
say "lb1 dies: keepalived and conntrackd killed, its links down"
exec 3>&2 2>/dev/null # not bash's word of each job it reaps
kill -KILL -- -"${kad[1]}"
kill -KILL "${ctd[1]}" "${lrn[1]}" "${hd[1]}"
for dev in eth0 eth1 sync0; do $ip -n lab_lb1 link set $dev down; done
start=${EPOCHREALTIME/./}
wait_for 5 holder_is lb2
echo "# lb2 holds the VIP $(((${EPOCHREALTIME/./} - start) / 1000)) ms later"
wait "${kad[1]}" "${ctd[1]}" "${lrn[1]}" "${hd[1]}"
exec 2>&3 3>&-
say "The same CAS for each client, through lb2"
table
say "The sessions: server, longest echo gap (ms), state"
wait $sessions
sort -t. -k4 -n /tmp/sessions | sed 's/ [0-9]*$//'
pair_down
ktap_done >/dev/null
