#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Following the endpoint mapper (service ... ports 135 follow exchange):
# the lab of topo.sh, each CAS a fakerpc whose mapper hands out ports of
# its own, drawn at each start (as Exchange without static ports). A
# client asks ept_map through VIP:135, as an RPC runtime does, and binds
# at VIP:PORT: it must reach the server whose mapper answered, which the
# bind proves (no other server listens there). Then: ports nobody asked
# for are refused, a restarted server's new port is followed, IPv6 works
# the same, and the helper reads a hostile mapper's answers, and one split
# over segments, without harm.
FAKECAS_PORTS=60003
. /tests/lib.sh
. /tests/topo.sh

VIP=10.0.0.100
fakerpc() { # N ARGS: (re)start the fake CAS on server N; its ports in /tmp/ports.N
	local n=$1 pid=${rpc[$1]:-}
	shift
	[ -n "$pid" ] && kill "$pid" && wait "$pid" 2>/dev/null
	rm -f /tmp/ports.$n
	$ip netns exec lab_s$n /tests/fakerpc "$@" >/tmp/ports.$n &
	rpc[$n]=$!
	wait_for 5 test -s /tmp/ports.$n
}
# "PORT N" for every port a server's mapper hands out.
port_owners() {
	local n
	for n in 1 2 3; do
		awk -v n=$n '{ print $2, n }' /tmp/ports.$n
	done
}
# Draw again until no two servers hand out the same port.
distinct_ports() {
	local n
	for n in 1 2 3; do
		fakerpc $n emsmdb=random nspi=random
	done
	while [ "$(port_owners | awk '{ print $1 }' | sort | uniq -d)" ]; do
		for n in 1 2 3; do
			fakerpc $n emsmdb=random nspi=random
		done
	done
}
followed() { c -j -s show "$1" | jq '.[0].stats.followed'; }
declined() { c -j -s show "$1" | jq '.[0].stats.declined'; }
expected() { c -j show "$1" | jq '.[0].expected'; }

modprobe casvip
topo_up
declare -a rpc
distinct_ports
c service add outlook vip $VIP ports 135 sched rr persist 300 follow exchange
for i in 1 2 3; do c server add outlook 10.0.2.1$i; done
c service add outlook6 vip fd00::100 ports 135 sched rr follow emsmdb
for i in 1 2 3; do c server add outlook6 fd00:2::1$i; done
# Bad input says what is wrong and changes nothing.
before=$(show_state)
check_err "follow without port 135 is refused, saying why" 1 \
	"following the endpoint mapper needs TCP and port 135" \
	c service set outlook ports 60001
check_err "... and over UDP" 1 "following the endpoint mapper needs TCP and port 135" \
	c service add udp135 vip 10.0.0.101 proto udp ports 135 follow exchange
check_err "an interface that is none is named" 2 "follow: \"outlook\" is not exchange, none" \
	c service set outlook follow outlook
check_eq "... and nothing changed" "$before" "$(show_state)"
expect_max=$(lb sysctl -n net.netfilter.nf_conntrack_expect_max)
check_eq "show names what a service follows" \
	"  follow exchange: 0 ports followed, 0 answers declined, 0 open of $expect_max (auto); announced: none" \
	"$(c show outlook | grep '^  follow')"
check_eq "save keeps it" \
	"service outlook vip 10.0.0.100 proto tcp ports 135 sched rr persist 300 netmask 32 snat off follow exchange" \
	"$(c save | grep '^service outlook ')"

# --- 40 clients x 2 interfaces over 3 servers --------------------------------
cl /tests/eptclient $VIP emsmdb,nspi $(clients 1 40) >/tmp/ept
echo "# $(awk '{ print $4 }' /tmp/ept | sort | uniq -c | tr '\n' ' ')"
check_eq "every client binds at the port its mapper gave, through the VIP (80 of 80)" \
	80 "$(awk '$4 == "ok"' /tmp/ept | wc -l)"
# Each client's server: the owner of the ports it was given.
owners=$(awk 'NR == FNR { own[$1] = $2; next } { print $1, own[$3] }' \
	<(port_owners) /tmp/ept | sort -u)
check_eq "each client's two ports are one server's" \
	"" "$(awk '{ print $1 }' <<<"$owners" | uniq -d)"
check_eq "the clients are spread over the 3 servers" \
	3 "$(awk '{ print $2 }' <<<"$owners" | sort -u | grep -c .)"
check_eq "the service counted 80 ports followed" 80 "$(followed outlook)"
check_eq "... and declined nothing" 0 "$(declined outlook)"
check_eq "metrics say so too" 'casvip_service_followed_ports_total{service="outlook",vip="10.0.0.100"} 80' \
	"$(c metrics | grep '^casvip_service_followed_ports_total{service="outlook",')"
check "the followed connections are the service's: counted" \
	test "$(c -j -s show outlook | jq '.[0].stats.conns')" -ge 160
# An independent client, impacket's, asks and binds as Outlook's runtime.
if [ -x /usr/bin/python3 ]; then
	cl /usr/bin/python3 /tests/eptmap.py $VIP emsmdb,nspi $(clients 1 10) >/tmp/impacket
	grep -v ' ok$' /tmp/impacket | head -n 3 | sed 's/^/# impacket: /'
	check_eq "impacket: ept_map through VIP:135, a bind at the port it gave (20 of 20)" \
		20 "$(awk '$4 == "ok"' /tmp/impacket | wc -l)"
	check_eq "... told the ports eptclient was: the same servers" \
		"$(head -n 20 /tmp/ept | cut -d ' ' -f 1-3)" "$(cut -d ' ' -f 1-3 /tmp/impacket)"
else
	ktap_skip "impacket: ept_map through VIP:135, a bind at the port it gave" \
		"no python3 in this image"
fi
check_eq "check epm says where each interface is, followed" \
	"EMSMDB at $(awk '$1 == "emsmdb" { print $2 }' /tmp/ports.2), NSPI at $(awk '$1 == "nspi" { print $2 }' /tmp/ports.2), followed" \
	"$(c check-server 10.0.2.12 epm emsmdb,nspi | sed 's/.*: //')"
# The same client again: the same server, at the same port.
again=$(cl /tests/eptclient $VIP emsmdb 10.0.1.1)
check_eq "a client asking again is told the same port, and binds" \
	"$(grep '^10.0.1.1 emsmdb ' /tmp/ept)" "$again"

# --- what is not followed is refused -----------------------------------------
check_eq "a port no mapper handed out is refused at the VIP" \
	"10.0.1.1 emsmdb 50000 refused" \
	"$(cl /tests/eptclient -p 50000 $VIP emsmdb 10.0.1.1)"
# Client 40's answers go with its connections to 135.
p40=$(awk '$1 == "10.0.1.40" && $2 == "emsmdb" { print $3 }' /tmp/ept)
lb conntrack -D -s 10.0.1.40 >/dev/null 2>&1
check_eq "once its connections to 135 are gone, a client is refused at the port" \
	"10.0.1.40 emsmdb $p40 refused" \
	"$(cl /tests/eptclient -p "$p40" $VIP emsmdb 10.0.1.40)"
check_eq "... until it asks again" "10.0.1.40 emsmdb $p40 ok" \
	"$(cl /tests/eptclient $VIP emsmdb 10.0.1.40)"

# --- health, draining, deletion: as for static ports -------------------------
on2=$(awk '$2 == 2 { print $1 }' <<<"$owners" | head -n 3)
c server set outlook 10.0.2.12 drain
check_eq "a draining server keeps its clients, at the ports its mapper gave" \
	"$(grep -F "$(echo "$on2" | sed 's/$/ emsmdb /')" /tmp/ept | sort)" \
	"$(cl /tests/eptclient $VIP emsmdb $on2 | sort)"
c server set outlook 10.0.2.12 enable health down
moved=$(cl /tests/eptclient $VIP emsmdb $on2)
check_eq "a server down: its clients ask again and follow another's mapper" \
	"" "$(awk 'NR == FNR { own[$1] = $2; next } $4 != "ok" || own[$3] == 2' \
		<(port_owners) - <<<"$moved")"
c server set outlook 10.0.2.12 health up
# A client held at a followed port, its server deleted: it is reset.
c1=$(awk '$2 == 3 { print $1; exit }' <<<"$owners")
p1=$(awk -v c="$c1" '$1 == c && $2 == "emsmdb" { print $3 }' /tmp/ept)
cl /tests/eptclient $VIP emsmdb "$c1" >/dev/null
cl /tests/vipclient -w 3 $VIP "$p1" "$c1" >/dev/null &
held=$!
sleep 0.5
conns_to3() { lb conntrack -L -p tcp --dport "$p1" 2>/dev/null | grep -c "src=10.0.2.13 "; }
had=$(conns_to3)
c server del outlook 10.0.2.13
check "a deleted server's followed connections end with it ($had before)" \
	test "$had" -gt 0 -a "$(conns_to3)" = 0
wait $held
c server add outlook 10.0.2.13

# --- a server restarted with new ports ---------------------------------------
on1=$(awk '$2 == 1 { print $1; exit }' <<<"$owners")
old=$(awk -v c="$on1" '$1 == c && $2 == "emsmdb" { print $3 }' /tmp/ept)
until
	fakerpc 1 emsmdb=random nspi=random
	new=$(awk '$1 == "emsmdb" { print $2 }' /tmp/ports.1)
	[ "$new" != "$old" ]
do :; done
check_eq "a restarted server's new port is followed" \
	"$on1 emsmdb $new ok" "$(cl /tests/eptclient $VIP emsmdb "$on1")"
check_eq "... and its old one answers no more" \
	"$on1 emsmdb $old refused" \
	"$(cl /tests/eptclient -p "$old" $VIP emsmdb "$on1")"

# --- IPv6 --------------------------------------------------------------------
cl /tests/eptclient fd00::100 emsmdb $(clients -6 1 12) >/tmp/ept6
check_eq "IPv6: every client binds at its port through the VIP (12 of 12)" \
	12 "$(awk '$4 == "ok"' /tmp/ept6 | wc -l)"
check_eq "IPv6: 12 ports followed" 12 "$(followed outlook6)"

# --- a hostile mapper; an answer split over segments --------------------------
c service add hostile vip 10.0.0.101 ports 135 follow exchange
c server add hostile 10.0.2.14
$ip netns exec lab_s4 /tests/fakerpc -f hostile emsmdb=random >/dev/null &
rpc[4]=$!
sleep 0.3
for i in 1 2; do
	cl /tests/eptclient -t 200 10.0.0.101 emsmdb,nspi $(clients 1 40)
done >/tmp/hostile
echo "# hostile: $(cut -d ' ' -f 4 /tmp/hostile | sort | uniq -c | tr '\n' ' ')"
echo "# hostile: $(followed hostile) followed, $(declined hostile) declined"
check "a hostile mapper's mangled answers are declined, and counted" \
	test "$(declined hostile)" -gt 0
check "... the module read them without harm, and still follows" \
	test "$(awk '$4 == "ok"' /tmp/hostile | wc -l)" -gt 0
kill ${rpc[4]}
wait ${rpc[4]} 2>/dev/null
rm -f /tmp/ports.4
$ip netns exec lab_s4 /tests/fakerpc -f split emsmdb=random >/tmp/ports.4 &
rpc[4]=$!
wait_for 5 test -s /tmp/ports.4
was=$(declined hostile)
split=$(cl /tests/eptclient 10.0.0.101 emsmdb 10.0.1.1)
check_eq "an answer split over segments is declined: the port is not opened" \
	"10.0.1.1 emsmdb $(awk '{ print $2 }' /tmp/ports.4) refused" "$split"
check_eq "... and counted" $((was + 1)) "$(declined hostile)"

# --- a mapper bound with NDR64 ---------------------------------------------------
# impacket binds with NDR64 as a 64-bit Windows client can; the mapper
# takes NDR64 only (eptclient's NDR bind is rejected: the calls were
# NDR64's), and answers in it.
if [ -x /usr/bin/python3 ]; then
	fakerpc 4 -f ndr64 emsmdb=random nspi=random
	was=$(followed hostile)
	cl /usr/bin/python3 /tests/eptmap.py --ndr64 10.0.0.101 emsmdb,nspi $(clients 1 5) >/tmp/ndr64
	check_eq "NDR64: each answer is read, and the client binds at its port (10 of 10)" \
		"$(for i in 1 2 3 4 5; do awk -v c=10.0.1.$i '{ print c, $1, $2, "ok" }' /tmp/ports.4; done)" \
		"$(cat /tmp/ndr64)"
	check_eq "... 10 ports followed" $((was + 10)) "$(followed hostile)"
	check_eq "... and the mapper took NDR64 only" \
		"10.0.1.1 emsmdb - epm:bind to EPM rejected: it does not take NDR (transfer syntax not supported)" \
		"$(cl /tests/eptclient 10.0.0.101 emsmdb 10.0.1.1)"
else
	ktap_skip "NDR64: each answer is read, and the client binds at its port" \
		"no python3 in this image"
fi

# --- what a mapper may not open -----------------------------------------------
# A well-known port, and a port another service of the VIP claims (its
# server, 10.0.2.13, has nothing there: a bind there fails).
c service add other vip 10.0.0.101 ports 60005 sched rr
c server add other 10.0.2.13
fakerpc 4 emsmdb=22 nspi=60005
check_eq "a mapper cannot open a port below 1024, nor another service's" \
	"10.0.1.3 emsmdb 22 refused
10.0.1.3 nspi 60005 refused" "$(cl /tests/eptclient 10.0.0.101 emsmdb,nspi 10.0.1.3)"
c service del other

# --- a bound on the ports one service's answers hold open --------------------
fakerpc 4 emsmdb=random nspi=random
c service set hostile follow-max 4
held_none() { test "$(expected hostile)" = 0; }
lb conntrack -D -p tcp -d 10.0.0.101 --dport 135 >/dev/null 2>&1
check "its connections to 135 gone, a service holds no port open (within a second)" \
	wait_for 3 held_none
was=$(declined hostile)
# One connection to 135 per client and interface, in turn.
check_eq "follow-max 4: the first 4 answers open their ports, the next none" \
	"ok ok ok ok refused refused" \
	"$(cl /tests/eptclient 10.0.0.101 emsmdb,nspi $(clients 1 3) | awk '{ print $4 }' | xargs)"
check_eq "... counted as declined" $((was + 2)) "$(declined hostile)"
check_eq "show says how many are open, of how many" "4 open of 4;" \
	"$(c show hostile | grep -o '[0-9]* open of [0-9]*[^ ]*')"
check_eq "at the bound, a client asking again is followed: its older answer gives way" \
	"ok ok ok ok ok ok" \
	"$(for i in 1 2 3; do cl /tests/eptclient 10.0.0.101 emsmdb,nspi 10.0.1.1; done | awk '{ print $4 }' | xargs)"
check_eq "... and holds no more than before" 4 "$(expected hostile)"
lb conntrack -D -p tcp -d 10.0.0.101 --dport 135 >/dev/null 2>&1
check "connections to 135 that end give their ports back" wait_for 3 held_none
check_eq "... and the third client is followed now" "ok ok" \
	"$(cl /tests/eptclient 10.0.0.101 emsmdb,nspi 10.0.1.3 | awk '{ print $4 }' | xargs)"
check_err "follow-max takes a number or auto" 2 'follow-max: "lots" is not a number, nor auto' \
	c service set hostile follow-max lots
c service set hostile follow-max 500
check_eq "save writes follow-max" "follow exchange follow-max 500" \
	"$(c save | grep '^service hostile ' | grep -o 'follow exchange.*')"
check_eq "... save | apply - changes nothing" "nothing to change" \
	"$(c save | c apply -)"
check_eq "... and a file with another says so" "service set hostile follow-max auto" \
	"$(c save | sed 's/ follow-max 500//' | c apply --dry-run - | grep hostile)"
c service set hostile follow-max auto
check_eq "follow-max auto: the size of conntrack's own table" \
	"$expect_max" "$(c -j show hostile | jq '.[0].follow_limit')"

# --- a newer answer for the same port, from another server -------------------
# Two servers hand out the same port; a client moves from one to the other
# and asks again: its new answer's port leads to its new server.
fakerpc 1 emsmdb=55555
fakerpc 2 emsmdb=55555
c persist add outlook client 10.0.1.4 server 10.0.2.11
first=$(cl /tests/eptclient $VIP emsmdb 10.0.1.4)
c server set outlook 10.0.2.11 health down keep-conns
check_eq "a newer answer for a client's port replaces the older one's" \
	"10.0.1.4 emsmdb 55555 ok, then 10.0.1.4 emsmdb 55555 ok on 10.0.2.12" \
	"$first, then $(cl /tests/eptclient $VIP emsmdb 10.0.1.4) on $(c -j persist show outlook client 10.0.1.4 | jq -r '.[0].server')"
c server set outlook 10.0.2.11 health up

# --- steady state: healthd forwards the ports the mappers announce ----------
# Its epm check finds where EMSMDB is on each server: 55555 on two, a port
# drawn on the third. The service forwards those, persistence choosing.
announced() { c -j show outlook | jq -r '.[0].announced | join(",")'; }
emsmdb_ports() { # the first two servers at 55555, the third where drawn
	{ echo 55555; awk '$1 == "emsmdb" { print $2 }' /tmp/ports.3; } |
		sort -nu | paste -sd, -
}
c check add outlook epm emsmdb interval 1 timeout 1 rise 1 fall 3
$ip netns exec lab_lb casvipctl healthd 2>/tmp/healthd.log &
hd=$!
as_found() { test "$(announced)" = "$(emsmdb_ports)"; }
check "healthd has the service forward the ports the mappers announce" \
	wait_for 15 as_found
check_eq "show says which" \
	"  follow exchange: $(followed outlook) ports followed, $(declined outlook) answers declined, N open of $expect_max (auto); announced: $(emsmdb_ports)" \
	"$(c show outlook | grep '^  follow' | sed 's/ [0-9]* open of / N open of /')"
# A client of the third server, its connections to 135 gone (its answer's
# expectation with them), connects to its port without asking.
c3=10.0.1.30
c persist add outlook client $c3 server 10.0.2.13
p3=$(awk '$1 == "emsmdb" { print $2 }' /tmp/ports.3)
lb conntrack -D -s "$c3" >/dev/null 2>&1
check_eq "an announced port takes a client back to its server, unasked" \
	"$c3 emsmdb $p3 ok" "$(cl /tests/eptclient -p "$p3" $VIP emsmdb "$c3")"
# The third server restarted: its new port is announced, the old one closed.
until
	fakerpc 3 emsmdb=random nspi=random
	new3=$(awk '$1 == "emsmdb" { print $2 }' /tmp/ports.3)
	[ "$new3" != "$p3" ] && [ "$new3" != 55555 ]
do :; done
check "a restarted server's new port is announced in its old one's place" \
	wait_for 15 as_found
# (Its checks may have failed while it restarted: the client is its.)
c persist add outlook client $c3 server 10.0.2.13
lb conntrack -D -s "$c3" >/dev/null 2>&1
check_eq "... the old port is closed" "$c3 emsmdb $p3 refused" \
	"$(cl /tests/eptclient -p "$p3" $VIP emsmdb "$c3")"
check_eq "... the new one open" "$c3 emsmdb $new3 ok" \
	"$(cl /tests/eptclient -p "$new3" $VIP emsmdb "$c3")"
kill $hd
wait $hd 2>/dev/null
grep -i "announce" /tmp/healthd.log | sed 's/^/# healthd: /'

c service set outlook follow none
check_eq "following off: nothing announced" "" "$(announced)"
lb conntrack -D -s 10.0.1.2 >/dev/null 2>&1
check_eq "following off: the port the mapper gives is refused again" \
	refused "$(cl /tests/eptclient $VIP emsmdb 10.0.1.2 | awk '{ print $4 }')"
c flush
kill ${rpc[@]} 2>/dev/null
wait ${rpc[@]} 2>/dev/null
topo_down
check "the module unloads" rmmod casvip
ktap_done
