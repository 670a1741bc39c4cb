#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: a CAS array behind casvip, in network namespaces in the VM.
# Eight Outlook clients connect to the endpoint mapper (135) and to the
# static RPC ports (60001, 60002); each sticks to one CAS. Then a CAS goes
# down and its clients move to the others, the rest stay where they were.
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
ktap_done >/dev/null
