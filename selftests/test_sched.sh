#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Schedulers, measured on the choices themselves: two balancers (network
# namespaces) with the same configuration make the same choices with sh
# and mh; with mh, adding a server moves about 1/N of the clients, all of
# them (nearly) to the new server, and removing it again puts them back; lc
# and wlc follow the live connections (wlc per unit of weight); every
# scheduler shares clients by the weights as it should, and gives none to
# a server that is down, disabled, draining or of weight 0. (Bounded
# persistence tables: test_persist.sh.)
#
# A balancer here needs no real servers: clients on the balancer itself
# send a UDP datagram to the VIP, which the NAT hook binds to a server (the
# datagram then leaves by a dummy interface). persist show tells the choice.
. /tests/lib.sh

N=100

balancer() { # NAMESPACE
	local ns=$1 i
	$ip netns add "$ns"
	{
		echo "link set lo up"
		echo "link add dummy0 type dummy"
		echo "link set dummy0 up"
		echo "addr add 10.0.2.254/24 dev dummy0"
		echo "addr add 10.0.0.100/32 dev lo"
		for ((i = 1; i <= N; i++)); do
			echo "addr add 10.0.1.$i/32 dev lo"
		done
	} | $ip -n "$ns" -batch -
}

# Each client once, to the VIP; then "client server" for every entry. The
# earlier rounds' flows go first: a datagram whose source port happened to
# be one of them would follow its old binding and make no entry.
choices() { # NAMESPACE SERVICE [PORTS]
	local i srcs=
	for ((i = 1; i <= N; i++)); do srcs="$srcs 10.0.1.$i"; done
	$ip netns exec "$1" conntrack -F 2>/dev/null
	$ip netns exec "$1" /tests/vipclient -u -t 1 10.0.0.100 "${3:-135}" \
		$srcs >/dev/null
	$ip netns exec "$1" casvipctl -j persist show "$2" |
		jq -r '.[] | "\(.client) \(.server)"' | sort
}

a() { $ip netns exec lab_a casvipctl "$@"; }
no_active() { # SERVICE
	[ "$(a -j show "$1" | jq '[.[0].servers[].active] | add')" = 0 ]
}
b() { $ip netns exec lab_b casvipctl "$@"; }

modprobe casvip
balancer lab_a
balancer lab_b

for sched in sh mh; do
	a service add $sched vip 10.0.0.100 proto udp ports 135 sched $sched
	b service add $sched vip 10.0.0.100 proto udp ports 135 sched $sched
	for i in 1 2 3; do a server add $sched 10.0.2.1$i; done
	if [ $sched = mh ]; then
		order="3 2 1" # Maglev depends on the set, not the order
	else
		order="1 2 3"
	fi
	for i in $order; do b server add $sched 10.0.2.1$i; done
	ca=$(choices lab_a $sched)
	cb=$(choices lab_b $sched)
	check_eq "$sched: $N clients, one entry each" $N "$(wc -l <<<"$ca")"
	check "$sched: every server gets clients" test \
		"$(awk '{ print $2 }' <<<"$ca" | sort -u | wc -l)" = 3
	check_eq "$sched: two balancers with the same config choose alike" \
		"$ca" "$cb"
	a service del $sched
	b service del $sched
done

# --- Maglev: adding a server moves about 1/N, only to it ---------------------
a service add mh vip 10.0.0.100 proto udp ports 135 sched mh
for i in 1 2 3; do a server add mh 10.0.2.1$i; done
before=$(choices lab_a mh)
a server add mh 10.0.2.14
a persist del mh
after=$(choices lab_a mh)
# Both lists hold the same clients, sorted: "client was now" where it moved.
moved=$(paste -d ' ' <(echo "$before") <(echo "$after") |
	awk '$1 != $3 { print "mismatch" } $2 != $4 { print $1, $2, $4 }')
nmoved=$(grep -c . <<<"$moved")
echo "# mh: $nmoved of $N clients moved when a 4th server came (1/4 = $((N / 4)))"
check "mh: adding a 4th server moves about 1/4 of the clients" \
	test "$nmoved" -ge $((N / 8)) -a "$nmoved" -le $((N * 35 / 100))
# Maglev buys an even spread with a little extra disruption: a few clients
# may change between the old servers (the paper measures it).
elsewhere=$(awk '$3 != "10.0.2.14"' <<<"$moved" | grep -c .)
echo "# mh: $elsewhere moved between the old servers"
check "mh: nearly every client that moved went to the new server" \
	test "$elsewhere" -le $((N / 20))
check_eq "mh: every client on the new server moved there" \
	"$(grep -c 10.0.2.14 <<<"$after")" "$((nmoved - elsewhere))"
# A server that goes down keeps its slots: only its own clients move, so a
# client another balancer sends for the first time lands where it was.
a server set mh 10.0.2.12 health down
a persist del mh
down=$(choices lab_a mh)
# "client was now" for each client.
was_now=$(paste -d ' ' <(echo "$after") <(echo "$down"))
check_eq "mh: a server down moves none of the others' clients" "" \
	"$(awk '$2 != "10.0.2.12" && $2 != $4 { print $1, $2, $4 }' <<<"$was_now")"
check_eq "... and its clients each to another server" "" \
	"$(awk '$4 == "10.0.2.12"' <<<"$was_now")"
check_eq "... spread over the other three" 3 \
	"$(awk '$2 == "10.0.2.12" { print $4 }' <<<"$was_now" | sort -u | wc -l)"
a server set mh 10.0.2.12 health up
a persist del mh
check_eq "mh: up again, every client back" "$after" "$(choices lab_a mh)"
# A backup server (a sorry server) is in no table while the others take
# clients: adding one, a fifth server, moves none (nor the table's size).
a server add mh 10.0.2.15 backup
a persist del mh
check_eq "mh: a backup server added moves no client" "$after" \
	"$(choices lab_a mh)"
a server del mh 10.0.2.15
a server del mh 10.0.2.14
a persist del mh
check_eq "mh: removing it puts every client back" "$before" "$(choices lab_a mh)"
a service del mh

# --- least connections ---------------------------------------------------------
a service add lc vip 10.0.0.100 proto udp ports 135,60001-60002 sched lc
a server add lc 10.0.2.11
a server add lc 10.0.2.12
$ip netns exec lab_a conntrack -F 2>/dev/null # as choices() does
# One client with three live flows (one per port, all to its server).
$ip netns exec lab_a /tests/vipclient -u -t 1 10.0.0.100 135,60001,60002 \
	10.0.1.1 >/dev/null
busy=$(a -j persist show lc | jq -r '.[0].server')
check_eq "lc: the first client's three flows are live on one server" 3 \
	"$(a -j show lc | jq ".[0].servers[] | select(.address == \"$busy\") | .active")"
$ip netns exec lab_a /tests/vipclient -u -t 1 10.0.0.100 135 \
	10.0.1.2 10.0.1.3 10.0.1.4 >/dev/null
check_eq "lc: the next three clients go to the other server" \
	"$(printf '%s\n' "$busy" other other other)" \
	"$(a -j persist show lc | jq -r ".[] | if .server == \"$busy\" then .server else \"other\" end")"
a service set lc sched wlc
a server set lc "$busy" weight 400
# Per unit of weight, 3 flows at 400 are less than 3 at 100, and stay less
# until 12: the next 8 clients all go to the busy server (lc would share
# them out, 4 and 4).
$ip netns exec lab_a /tests/vipclient -u -t 1 10.0.0.100 135 \
	10.0.1.5 10.0.1.6 10.0.1.7 10.0.1.8 10.0.1.9 10.0.1.10 10.0.1.11 10.0.1.12 >/dev/null
check_eq "wlc: 8 new clients go to the server of 3 flows at weight 400, none to 3 at 100" \
	"$(printf "$busy %.0s" 1 2 3 4 5 6 7 8)" \
	"$(a -j persist show lc | jq -r '.[] | select(.client | IN("10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4") | not) | .server' | xargs -n 1 printf '%s ')"

# Of more than 8 servers, lc and wlc compare two picked at random (a pick
# that costs no more with 1,000): never the busiest. 10.0.2.20 takes 3
# clients of 3 flows while alone; then 22 clients of one flow each come to
# it and 11 idle servers, about 2 each.
a service del lc
a service add lc vip 10.0.0.100 proto udp ports 135,60001-60002 sched lc
a server add lc 10.0.2.20
$ip netns exec lab_a conntrack -F 2>/dev/null
$ip netns exec lab_a /tests/vipclient -u -t 1 10.0.0.100 135,60001,60002 \
	10.0.1.20 10.0.1.21 10.0.1.22 >/dev/null
for i in $(seq 21 31); do a server add lc 10.0.2.$i; done
$ip netns exec lab_a /tests/vipclient -u -t 1 10.0.0.100 135 \
	$(for i in $(seq 30 51); do echo 10.0.1.$i; done) >/dev/null
got=$(a -j persist show lc | jq -r '.[] | select(.server != "10.0.2.20") | .server' | sort | uniq -c)
echo "# lc of 12: the new clients per server: $(awk '{ print $1 }' <<<"$got" | xargs)"
check_eq "lc of 12 servers: no new client goes to the busiest" 22 \
	"$(awk '{ n += $1 } END { print n }' <<<"$got")"
check "lc of 12 servers: they spread over the others, 6 at most on one" \
	test "$(wc -l <<<"$got")" -ge 6 -a "$(sort -rn <<<"$got" | awk 'NR == 1 { print $1 }')" -le 6

# --- every scheduler, under weights and servers that take no new client -----
# 10.0.2.11 at weight 300 and .12, .13 at 100 take new clients; .14 (health
# down), .15 (disabled), .16 (draining) and .17 (weight 0) take none, though
# .14 to .16 weigh 300. Each of N clients sends one datagram.
a service del lc
a service add w vip 10.0.0.100 proto udp ports 135
a server add w 10.0.2.11 weight 300
a server add w 10.0.2.12 weight 100
a server add w 10.0.2.13 weight 100
a server add w 10.0.2.14 weight 300
a server add w 10.0.2.15 weight 300 disable
a server add w 10.0.2.16 weight 300 drain
a server add w 10.0.2.17 weight 0
a server set w 10.0.2.14 health down
per_server() { # "N11 N12 ... N17": the clients each server got
	local got=$1
	for i in 1 2 3 4 5 6 7; do
		grep -c " 10.0.2.1$i$" <<<"$got"
	done | xargs
}
for sched in rr wrr lc wlc sh mh; do
	a service set w sched $sched
	a persist del w
	# The GC recounts the live connections each second: none now.
	check "$sched: the servers' live connections recounted to none" \
		wait_for 5 no_active w
	n=($(per_server "$(choices lab_a w)"))
	echo "# $sched: ${n[*]}"
	case $sched in
	rr) # in turn: the weights do not count
		check_eq "$sched: $N clients shared evenly by the three that take them" \
			"34 33 33 0 0 0 0" "${n[*]}" ;;
	lc) # fewest connections: the weights do not count. Which of the
		# three gets the odd one depends on where the GC's recount of
		# the live connections (each second) falls.
		check_eq "$sched: $N clients shared evenly by the three that take them" \
			"33 33 34 0 0 0 0" "$(printf '%s\n' "${n[@]:0:3}" | sort -n | xargs) ${n[*]:3}" ;;
	wrr | wlc) # in proportion to the weights, exactly
		check_eq "$sched: $N clients 3:1:1 by weight, none to the others" \
			"60 20 20 0 0 0 0" "${n[*]}" ;;
	sh | mh) # a hash: about in proportion to the weights
		check "$sched: weight 300 gets about 60 % of $N clients (${n[0]})" \
			test "${n[0]}" -ge 48 -a "${n[0]}" -le 72
		check "$sched: each weight 100 gets about 20 % (${n[1]}, ${n[2]})" \
			test "${n[1]}" -ge 10 -a "${n[1]}" -le 30 -a \
			"${n[2]}" -ge 10 -a "${n[2]}" -le 30
		check_eq "$sched: down, disabled, draining and weight 0 get none" \
			"0 0 0 0" "${n[*]:3}"
		check_eq "$sched: every client got a server" $N \
			$((n[0] + n[1] + n[2] + n[3] + n[4] + n[5] + n[6])) ;;
	esac
done
a service del w

ktap_done
