#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scale-out (README, "Scale-out"): three balancers with the same
# configuration (sched mh, snat masquerade) behind a router that spreads
# the VIP over them by ECMP with an L4 hash:
#
#   lab_cl: 300 clients, 10.1.0.1-10.1.1.44/16, route to the VIP via lab_rt
#   lab_rt: 10.1.255.254/16; 10.0.5.254/24 on the balancers' LAN;
#           VIP 10.0.0.100 via 10.0.5.1, .2 and .3 (fib_multipath_hash_policy 1)
#   lab_b1..b3: 10.0.5.N/24, the VIP on lo; 10.0.2.25N/24 on the servers' LAN
#   lab_s1..s4: 10.0.2.11-14, fakecas on 135, 60001, 60002
#
# Every client reaches one server on all its connections, although they
# land on different balancers; a balancer taken out of the route moves
# none of its clients; a server down on every box moves none of the
# others' clients.
. /tests/lib.sh

VIP=10.0.0.100
cl() { $ip netns exec lab_cl "$@"; }
clients() { # N: the first N clients
	local i
	for ((i = 1; i <= $1; i++)); do echo "10.1.$((i / 256)).$((i % 256))"; done
}
# "client port answer" for each of the clients' connections.
answers() { cl /tests/vipclient -t 3000 $VIP 135,60001,60002 "$@"; }
# Clients that reached more than one server, or none.
unsticky() { awk '{ print $1, $3 }' | sort -u |
	awk '{ n[$1]++; if ($2 !~ /^srv/) bad[$1] = 1 }
	     END { for (c in n) if (n[c] > 1 || bad[c]) print c }' | sort; }
# "client server" per client, of clients that reached one server.
servers() { awk '{ print $1, $3 }' | sort -u |
	awk '{ s[$1] = $2 } END { for (c in s) print c, s[c] }' | sort; }
# DESCRIPTION ANSWERS: every client on one server; else what each got.
check_sticky() {
	local bad
	bad=$(unsticky <<<"$2")
	check_eq "$1" "" "$bad"
	[ -z "$bad" ] || grep -wFf <(echo "$bad") <<<"$2" | head -n 12 | sed 's/^/# /'
}

modprobe casvip
for ns in sw cl rt b1 b2 b3 s1 s2 s3 s4; do
	$ip netns add lab_$ns
	$ip -n lab_$ns link set lo up
done
$ip -n lab_sw link add brf type bridge
$ip -n lab_sw link add brs type bridge
$ip -n lab_sw link set brf up
$ip -n lab_sw link set brs up
port() { # NS IFNAME BRIDGE
	$ip link add "$2" netns "lab_$1" type veth peer name "$1-$2" netns lab_sw
	$ip -n lab_sw link set "$1-$2" master "$3" up
	$ip -n "lab_$1" link set "$2" up
}
$ip link add c0 netns lab_cl type veth peer name r0 netns lab_rt
{
	clients 300 | sed 's|.*|addr add &/16 dev c0|'
	echo "link set c0 up"
	echo "route add $VIP/32 via 10.1.255.254"
} | $ip -n lab_cl -batch -
$ip -n lab_rt addr add 10.1.255.254/16 dev r0
$ip -n lab_rt link set r0 up
port rt f0 brf
$ip -n lab_rt addr add 10.0.5.254/24 dev f0
$ip netns exec lab_rt sysctl -qw net.ipv4.ip_forward=1 \
	net.ipv4.fib_multipath_hash_policy=1
$ip -n lab_rt route add $VIP/32 nexthop via 10.0.5.1 nexthop via 10.0.5.2 \
	nexthop via 10.0.5.3
cat >/tmp/ecmp.conf <<CONF
service outlook vip $VIP ports 135,60001-60002 sched mh snat masquerade
	server 10.0.2.11
	server 10.0.2.12
	server 10.0.2.13
	server 10.0.2.14
CONF
for n in 1 2 3; do
	port b$n f0 brf
	port b$n eth1 brs
	$ip -n lab_b$n addr add 10.0.5.$n/24 dev f0
	$ip -n lab_b$n addr add 10.0.2.25$n/24 dev eth1
	$ip -n lab_b$n addr add $VIP/32 dev lo
	$ip -n lab_b$n route add 10.1.0.0/16 via 10.0.5.254
	$ip netns exec lab_b$n sysctl -qw net.ipv4.ip_forward=1
	$ip netns exec lab_b$n casvipctl apply /tmp/ecmp.conf >/dev/null
done
for i in 1 2 3 4; do
	port s$i eth0 brs
	$ip -n lab_s$i addr add 10.0.2.1$i/24 dev eth0
	$ip netns exec lab_s$i /tests/fakecas srv$i 135 60001 60002 &
	daemons="$daemons $!"
done
sleep 0.5

# --- 300 clients x 3 ports, over three balancers ---------------------------
out=$(answers $(clients 300))
check_eq "every connection answered by a server (900)" 900 "$(awk '$3 ~ /^srv[1-4]$/' <<<"$out" | wc -l)"
check_sticky "every client reached one server on all its connections" "$out"
spread=$(for n in 1 2 3; do
	$ip netns exec lab_b$n casvipctl -j -s show outlook | jq '.[0].stats.conns'
done | xargs)
echo "# connections per balancer: $spread"
check "connections spread over all three balancers" \
	test "$(wc -w <<<"${spread// 0/}")" = 3
split=$(for n in 1 2 3; do
	$ip netns exec lab_b$n casvipctl -j persist show outlook | jq -r '.[].client'
done | sort | uniq -d | wc -l)
echo "# clients whose connections went through more than one balancer: $split"
check "many clients' connections went through more than one balancer ($split)" \
	test "$split" -ge 100
before=$(servers <<<"$out")

# --- a balancer leaves the route -------------------------------------------------
$ip -n lab_rt route replace $VIP/32 nexthop via 10.0.5.1 nexthop via 10.0.5.2
out=$(answers $(clients 300))
check_eq "b3 out of the route: every client on the server it had" "$before" \
	"$(servers <<<"$out")"
check_sticky "... on all its connections" "$out"
$ip -n lab_rt route replace $VIP/32 nexthop via 10.0.5.1 nexthop via 10.0.5.2 \
	nexthop via 10.0.5.3

# --- a server down on every box ----------------------------------------------------
for n in 1 2 3; do
	$ip netns exec lab_b$n casvipctl server set outlook 10.0.2.12 health down
done
out=$(answers $(clients 300))
moved=$(awk 'NR == FNR { was[$1] = $2; next } was[$1] != "srv2" && was[$1] != $2' \
	<(echo "$before") <(servers <<<"$out") | wc -l)
check_eq "server 2 down on every box: none of the others' clients moved" 0 "$moved"
check_sticky "... and its clients each found one server" "$out"

kill $daemons 2>/dev/null
wait $daemons 2>/dev/null
ktap_done
