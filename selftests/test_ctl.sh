#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# casvipctl and the control plane of casvip.ko, end to end: module load and
# unload, services and servers created, shown (text and JSON), changed and
# deleted; every kind of bad input refused with a message and no change;
# permissions; network namespace isolation and teardown.
. /tests/lib.sh
c=casvipctl

j() { # jq FILTER over "casvipctl -j show [SERVICE]"
	local f=$1
	shift
	$c -j show "$@" | jq -r "$f"
}

# --- loading -------------------------------------------------------------
rmmod casvip 2>/dev/null
modprobe_path=$(cat /proc/sys/kernel/modprobe)
echo /nonexistent >/proc/sys/kernel/modprobe
check_err "without the module: says it is not loaded" 1 \
	"the casvip kernel module is not loaded" $c show
echo "$modprobe_path" >/proc/sys/kernel/modprobe
check "the family autoloads the module" $c show
check "module is loaded" grep -q '^casvip ' /proc/modules

cycles_ok=0
for i in 1 2 3 4 5; do
	$c service add s$i vip 10.9.0.$i ports 135,60001-60002 &&
		$c server add s$i 10.9.1.1 && $c server add s$i 10.9.1.2 &&
		rmmod casvip && modprobe casvip && cycles_ok=$((cycles_ok + 1))
done
check_eq "5 load/unload cycles with services configured" 5 $cycles_ok
check_eq "a reloaded module starts empty" "[]" "$($c -j show)"
check_eq "show with no service says how to make one" \
	"no service: casvipctl service add makes one, casvipctl apply FILE a file's" \
	"$($c show)"

# --- create, show, change, delete ------------------------------------------
check "service add" $c service add outlook vip 10.0.0.100 ports 135,60001-60002 \
	sched mh persist 3600
check_eq "JSON: name" outlook "$(j '.[0].name')"
check_eq "JSON: vip" 10.0.0.100 "$(j '.[0].vip')"
check_eq "JSON: proto defaults to tcp" tcp "$(j '.[0].proto')"
check_eq "JSON: ports" 135,60001-60002 "$(j '.[0].ports')"
check_eq "JSON: sched" mh "$(j '.[0].sched')"
check_eq "JSON: persist" 3600 "$(j '.[0].persist')"
check_eq "JSON: netmask defaults to the whole address" 32 "$(j '.[0].netmask')"
check_eq "JSON: snat defaults to off" off "$(j '.[0].snat')"
check "server add weight 100" $c server add outlook 10.0.2.11 weight 100
check "server add weight 50" $c server add outlook 10.0.2.12 weight 50
check "server add, default weight" $c server add outlook 10.0.2.13
check_eq "JSON: three servers, in order" "10.0.2.11 10.0.2.12 10.0.2.13" \
	"$(j '[.[0].servers[].address] | join(" ")' outlook)"
check_eq "JSON: weights" "100 50 100" \
	"$(j '[.[0].servers[].weight] | join(" ")' outlook)"
check_eq "JSON: num_servers" 3 "$(j '.[0].num_servers')"
check_eq "JSON: counters are present" 0 "$(j '.[0].stats.conns' outlook)"
check "server set drain" $c server set outlook 10.0.2.12 drain
check "server set health down" $c server set outlook 10.0.2.13 health down
check "server set weight" $c server set outlook 10.0.2.11 weight 7
check_eq "JSON: admin and health states" \
	"enabled/up draining/up enabled/down" \
	"$(j '[.[0].servers[] | .admin + "/" + .health] | join(" ")' outlook)"
check_eq "JSON: changed weight" 7 "$(j '.[0].servers[0].weight' outlook)"
check "server set enable" $c server set outlook 10.0.2.12 enable
check_eq "enabled again" enabled "$(j '.[0].servers[1].admin' outlook)"

check "service set ports alone (VIP kept)" $c service set outlook ports 135,6001-6002
check_eq "ports changed" 135,6001-6002 "$(j '.[0].ports')"
check_eq "VIP kept" 10.0.0.100 "$(j '.[0].vip')"
check "service set sched, persist, netmask, snat" $c service set outlook \
	sched wrr persist 600 netmask 24 snat 10.0.2.1
check_eq "changed fields" "wrr 600 24 10.0.2.1" \
	"$(j '.[0] | "\(.sched) \(.persist) \(.netmask) \(.snat)"')"
check_eq "servers kept across a service change" 3 "$(j '.[0].num_servers')"

text=$($c show outlook)
check "text: a heading with protocol, VIP and ports" \
	grep -q "^service outlook: tcp 10.0.0.100 ports 135,6001-6002$" <<<"$text"
check "text: a server table" grep -qE "^  SERVER +WEIGHT +ADMIN +HEALTH" <<<"$text"
check "text: a server row" grep -qE "^  10.0.2.12 +50 +enabled +up" <<<"$text"
# A server's row in the text: its address, weight, states, then with -s
# its nine counters, in the order of the header.
stats_row='[.address, .weight, .admin, .health, (.stats | .conns, .active,
	.pkts_in, .pkts_out, .bytes_in, .bytes_out, .drop_noserver + .drop_nat,
	.ended, .unreplied)] | join(" ")'
check "text: -s adds the counters' header" \
	grep -qE "^  SERVER +WEIGHT +ADMIN +HEALTH +CONNS +ACTIVE +PKTS_IN +PKTS_OUT +BYTES_IN +BYTES_OUT +DROPS +ENDED +NOREPLY$" \
	<<<"$($c -s show outlook)"
check_eq "text: -s gives each server row its counters, as JSON has them" \
	"$(j ".[0].servers[] | $stats_row" outlook)" \
	"$($c -s show outlook | awk '$1 ~ /^10\.0\.2\./ { $1 = $1; print }')"
check_eq "server show SERVICE ADDR" "10.0.2.13 down" \
	"$($c -j server show outlook 10.0.2.13 | jq -r '.[0] | "\(.address) \(.health)"')"
check_eq "service show lists services without servers" null \
	"$($c -j service show outlook | jq -r '.[0].servers')"

check "server del" $c server del outlook 10.0.2.12
check_eq "two servers left" "10.0.2.11 10.0.2.13" \
	"$(j '[.[0].servers[].address] | join(" ")' outlook)"

check "IPv6 service" $c service add ex6 vip 2001:db8::100 proto udp ports 135 netmask 64
check "IPv6 server" $c server add ex6 2001:db8::11 weight 3
check_eq "JSON: IPv6" "2001:db8::100 udp 64 2001:db8::11" \
	"$(j '.[0] | "\(.vip) \(.proto) \(.netmask) \(.servers[0].address)"' ex6)"
check "UDP and TCP may share a port on one VIP" $c service add ex6tcp \
	vip 2001:db8::100 ports 135

# --- bad input: a clear error, and nothing changes --------------------------
$c persist add outlook client 10.0.1.1 server 10.0.2.11
before=$(show_state)
check_err "port 0" 2 "port 0 is out of the range 1-65535" \
	$c service add bad vip 10.0.0.1 ports 0
check_err "port 70000" 2 "port 70000 is out of the range 1-65535" \
	$c service add bad vip 10.0.0.1 ports 135,70000
check_err "backwards range" 2 "port range 200-100 runs backwards" \
	$c service add bad vip 10.0.0.1 ports 200-100
check_err "a port twice" 2 "port 150 is listed twice" \
	$c service add bad vip 10.0.0.1 ports 100-200,150
check_err "not a port" 2 '"http" is not a port number' \
	$c service add bad vip 10.0.0.1 ports http
check_err "bad address" 2 '"10.0.0.300" is not an IPv4 or IPv6 address' \
	$c service add bad vip 10.0.0.300 ports 135
check_err "unknown scheduler" 2 'scheduler "fastest" is not one of' \
	$c service add bad vip 10.0.0.1 ports 135 sched fastest
check_err "unknown protocol" 2 'protocol "sctp" is not tcp or udp' \
	$c service add bad vip 10.0.0.1 ports 135 proto sctp
check_err "name too long" 2 "longer than 31 characters" \
	$c service add abcdefghijklmnopqrstuvwxyz0123456 vip 10.0.0.1 ports 135
check_err "bad character in name" 2 "may hold only letters" \
	$c service add 'out/look' vip 10.0.0.1 ports 135
check_err "unknown keyword" 2 'unknown keyword "colour"' \
	$c service add bad vip 10.0.0.1 ports 135 colour blue
check_err "keyword without a value" 2 '"persist" needs a value' \
	$c service add bad vip 10.0.0.1 ports 135 persist
check_err "persist too long" 2 "is more than the maximum 2592000" \
	$c service add bad vip 10.0.0.1 ports 135 persist 9999999
check_err "IPv4 netmask 33" 2 "netmask /33 is longer than an IPv4 address" \
	$c service add bad vip 10.0.0.1 ports 135 netmask 33
check_err "snat of the other family" 2 "different families" \
	$c service add bad vip 10.0.0.1 ports 135 snat 2001:db8::1
check_err "add without ports" 2 "service add needs a vip and ports" \
	$c service add bad vip 10.0.0.1
check_err "a name taken" 1 "a service of that name exists" \
	$c service add outlook vip 10.0.0.101 ports 135
check_err "a port claimed by another service: which port, which service" 1 \
	'cannot add service "bad": tcp port 6002 of 10.0.0.100 is claimed by service "outlook"' \
	$c service add bad vip 10.0.0.100 ports 6002-6010
check_err "a port claimed, on change" 1 \
	'cannot change service "ex6tcp": udp port 135 of 2001:db8::100 is claimed by service "ex6"' \
	$c service set ex6tcp ports 135 proto udp
check_err "VIP family cannot change" 1 "address family cannot change" \
	$c service set outlook vip 2001:db8::1
check_err "unknown service" 1 'cannot delete service "nosuch": no service of that name' \
	$c service del nosuch
check_err "server twice" 1 "the service has a server of that address" \
	$c server add outlook 10.0.2.11
check_err "server of the other family" 1 "server address is not of the VIP's family" \
	$c server add outlook 2001:db8::11
check_err "unknown server" 1 "the service has no server of that address" \
	$c server del outlook 10.0.2.99
check_err "weight too big" 2 "70000 is more than the maximum 65535" \
	$c server add outlook 10.0.2.20 weight 70000
check_err "bad health" 2 'health "sick" is not up or down' \
	$c server set outlook 10.0.2.11 health sick
check_err "bad health on add" 2 'health "sick" is not up or down' \
	$c server add outlook 10.0.2.20 health sick
# Whatever bytes a reason holds, -j prints valid JSON (UTF-8, escaped).
$c server set outlook 10.0.2.11 reason "$(printf 'bad \xff byte, caf\xc3\xa9, cut \xe2\x80')"
check_eq "a reason of bad bytes: JSON with U+FFFD for each, the rest kept" \
	'"bad \ufffd byte, café, cut \ufffd\ufffd"' \
	"$($c -j show outlook | grep -o '"health_reason":"[^"]*"' | head -n 1 | cut -d: -f2-)"
$c server set outlook 10.0.2.11 reason ""
check_err "unknown object" 2 'unknown object "servce"' $c servce show
check_err "unknown command" 2 'unknown command "ad"' $c service ad x
check_err "no arguments" 2 "Usage:" $c
check_eq "nothing changed by any of the above" "$before" "$(show_state)"

check "help" $c help
check "service help" $c service help
check "server help" $c server help

# --- permissions -----------------------------------------------------------
check_err "unprivileged change: needs CAP_NET_ADMIN" 1 \
	"permission denied: casvip needs CAP_NET_ADMIN" \
	/tests/dropcap $c service add x vip 10.0.0.5 ports 135
check_err "unprivileged flush refused" 1 "needs CAP_NET_ADMIN" \
	/tests/dropcap $c flush
check_err "unprivileged show refused: it would list the clients" 1 \
	"cannot show service \"*\": permission denied: casvip needs CAP_NET_ADMIN" \
	/tests/dropcap $c show
check_err "unprivileged persist show refused" 1 "needs CAP_NET_ADMIN" \
	/tests/dropcap $c persist show outlook
check_err "unprivileged persist add refused" 1 "needs CAP_NET_ADMIN" \
	/tests/dropcap $c persist add outlook client 10.0.1.2 server 10.0.2.11
check_err "unprivileged persist del refused" 1 "needs CAP_NET_ADMIN" \
	/tests/dropcap $c persist del outlook client 10.0.1.1
check_err "unprivileged persist del of every client refused" 1 "needs CAP_NET_ADMIN" \
	/tests/dropcap $c persist del outlook
check_eq "nothing changed by the unprivileged user" "$before" "$(show_state)"
check_eq "... the one pinned client (netmask /24) is still pinned, and only it" \
	"10.0.1.0 10.0.2.11" \
	"$($c -j persist show outlook | jq -r '[.[] | .client, .server] | join(" ")')"

# --- network namespaces ------------------------------------------------------
$ip netns add lab_a
$ip netns add lab_b
check "service in namespace a" $ip netns exec lab_a $c service add only-a \
	vip 10.0.0.100 ports 135
check "same VIP and port in namespace b" $ip netns exec lab_b $c service add \
	only-b vip 10.0.0.100 ports 135
check_eq "a sees only its own" only-a \
	"$($ip netns exec lab_a $c -j show | jq -r '[.[].name] | join(" ")')"
check_eq "b sees only its own" only-b \
	"$($ip netns exec lab_b $c -j show | jq -r '[.[].name] | join(" ")')"
check_eq "the initial namespace is untouched" "$before" "$(show_state)"
$ip netns exec lab_a $c server add only-a 10.0.2.11
# The module's count of its services and servers, in all namespaces.
objects_are() { [ "$(cat /sys/kernel/debug/casvip/objects)" = "$1" ]; }
n=$(cat /sys/kernel/debug/casvip/objects)
$ip netns del lab_a
check "deleting a namespace frees its service and server ($n objects, 2 fewer)" \
	wait_for 10 objects_are $((n - 2))
check "flush" $c flush
check_eq "flush empties the namespace" "[]" "$($c -j show)"
check "still works after a namespace died" $c service add after vip 10.0.0.1 ports 135
check "module unloads with a service and a namespace holding one" rmmod casvip
$ip netns del lab_b
check "module loads again" modprobe casvip

ktap_done
