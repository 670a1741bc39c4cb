#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The datapath, end to end, in the lab of topo.sh: clients stick to one
# server across all the ports of a service; the schedulers spread new
# clients as they should; drain, disable, health down and delete do what an
# admin expects, with no connection left on a server that is gone; UDP,
# IPv6, SNAT for one-armed set-ups, local clients; counters; unloading
# with live connections.
. /tests/lib.sh
. /tests/topo.sh

PORTS=135,60001,60002
VIP=10.0.0.100

# "client server" for every answer of vipclient ...
answers() { cl /tests/vipclient "$@" | awk '{ print $1, $3 }'; }
# the clients that were sent to more than one server (or got no answer)
unsticky() { sort -u | awk '{ n[$1]++; if ($2 !~ /^srv/) bad[$1] = 1 }
	END { for (c in n) if (n[c] > 1 || bad[c]) print c }' | sort; }
# "N srvX" counts of the clients per server
spread() { sort -u | awk '{ print $2 }' | sort | uniq -c |
	awk '{ printf "%s%s=%s", sep, $2, $1; sep = " " }'; }
server_of() { answers -t 3000 "$VIP" 135 "$1" | awk '{ print $2 }'; }

modprobe casvip
topo_up
# test_datapath_offload.sh: all of it with the flowtable fast path.
if [ "${OFFLOAD:-}" = on ]; then
	check "offload on" c offload on
fi

# --- persistence across ports ---------------------------------------------
c service add cas vip $VIP ports 135,60001-60002 sched rr persist 60
for i in 1 2 3; do c server add cas 10.0.2.1$i; done
out=$( (answers $VIP $PORTS $(clients 1 12)
	answers $VIP $PORTS $(clients 1 12)
	answers $VIP 60002,135,60001 $(clients 1 12 | sort -r)))
check_eq "every answer came from a server" 108 "$(grep -c ' srv[123]$' <<<"$out")"
check_eq "each of 12 clients sticks to one server on 135, 60001, 60002" "" \
	"$(unsticky <<<"$out")"
check_eq "rr spreads new clients evenly" "srv1=4 srv2=4 srv3=4" "$(spread <<<"$out")"
check_eq "one persistence entry per client" 12 \
	"$(c -j persist show cas | jq length)"
client5=$(awk '$1 == "10.0.1.5" { print $2; exit }' <<<"$out")
check_eq "persist show client names the server the client reached" \
	"10.0.2.1${client5#srv}" \
	"$(c -j persist show cas client 10.0.1.5 | jq -r '.[0].server')"
check "conntrack -L shows the VIP mapped to a real server" \
	grep -q "dst=$VIP .*src=10.0.2.1[123] " <<<"$(lb conntrack -L 2>/dev/null)"
check "persist del forgets one client" c persist del cas client 10.0.1.5
check_eq "that client's entry is gone, the others stay" "0 11" \
	"$(c -j persist show cas client 10.0.1.5 | jq length) $(c -j persist show cas | jq length)"

check "persist add pins a new client" c persist add cas client 10.0.1.33 server 10.0.2.13
check_eq "the pinned client goes to that server on every port" "srv3" \
	"$(answers $VIP $PORTS 10.0.1.33 | awk '{ print $2 }' | sort -u)"
check_err "persist add to a server the service does not have" 1 \
	"the service has no server of that address" \
	c persist add cas client 10.0.1.34 server 10.0.2.99
check_err "persist add without a server" 2 "persist add takes SERVICE client ADDR server ADDR" \
	c persist add cas client 10.0.1.34

# --- weighted round robin ------------------------------------------------
c persist del cas
c service set cas sched wrr
c server set cas 10.0.2.11 weight 3
c server set cas 10.0.2.12 weight 2
c server set cas 10.0.2.13 weight 1
out=$(answers $VIP $PORTS $(clients 1 12))
check_eq "wrr 3:2:1 gives 12 new clients 6, 4 and 2" "srv1=6 srv2=4 srv3=2" \
	"$(spread <<<"$out")"
check_eq "wrr clients stick too" "" "$(unsticky <<<"$out")"
c persist del cas
c server set cas 10.0.2.11 weight 0
out=$(answers $VIP 135 $(clients 1 9))
check_eq "weight 0 takes no new client" "srv2=6 srv3=3" "$(spread <<<"$out")"
check "weight 0, no connection, no client bound: drained" wait_for 4 \
	lb sh -c "casvipctl -j show cas | jq -e '.[0].servers[] | select(.address == \"10.0.2.11\") | .drained == true'"
for i in 1 2 3; do c server set cas 10.0.2.1$i weight 100; done

# --- netmask ---------------------------------------------------------------
c persist del cas
c service set cas sched rr netmask 24
out=$(answers $VIP $PORTS $(clients 1 9))
check_eq "netmask /24 sends the whole /24 to one server" 1 \
	"$(awk '{ print $2 }' <<<"$out" | sort -u | wc -l)"
check_eq "one entry, for 10.0.1.0" "10.0.1.0" \
	"$(c -j persist show cas | jq -r '[.[].client] | join(" ")')"
c service set cas netmask 32

# --- drain ----------------------------------------------------------------
c persist del cas
out=$(answers $VIP 135 $(clients 1 9))
mine=$(awk '$2 == "srv1" { print $1 }' <<<"$out")
c server set cas 10.0.2.11 drain
again=$(answers $VIP $PORTS $mine)
check_eq "a draining server keeps its clients" "srv1" \
	"$(awk '{ print $2 }' <<<"$again" | sort -u)"
out=$(answers $VIP 135 $(clients 20 28))
check "a draining server gets no new client" \
	test "$(grep -c srv1 <<<"$out")" = 0
held=$(head -n 1 <<<"$mine")
cl /tests/vipclient -w 4 $VIP 135 "$held" >/dev/null &
holder=$!
srv1_json='.[0].servers[] | select(.address == "10.0.2.11")'
check "draining, with a live connection: not drained" wait_for 5 \
	lb sh -c "casvipctl -j show cas | jq -e '$srv1_json | .active == 1 and .drained == false'"
wait $holder
# Its clients are bound to it still: one that comes back reaches it.
check "its last connection closed, its clients still bound: not drained" \
	wait_for 6 lb sh -c "casvipctl -j show cas | jq -e '$srv1_json | .active == 0 and .clients == $(wc -l <<<"$mine") and .drained == false'"
check "text output counts them" grep -qE "10.0.2.11 .* draining +up +$(wc -l <<<"$mine") +0" \
	<<<"$(c show cas)"
for m in $mine; do c persist del cas client $m; done
check "no connection and no client left: drained" wait_for 6 \
	lb sh -c "casvipctl -j show cas | jq -e '$srv1_json | .active == 0 and .clients == 0 and .drained == true'"
check "text output says drained" grep -qE "10.0.2.11 .* drained" <<<"$(c show cas)"
c server set cas 10.0.2.11 enable

# --- disable, health down, delete: clients move, connections go ------------
retire_test() { # WHAT SERVER-ADDR CMD...
	local what=$1 addr=$2 victim before after
	shift 2
	c persist del cas
	victim=$(answers $VIP 135 $(clients 1 9) | awk -v s="srv${addr#10.0.2.1}" \
		'$2 == s { print $1; exit }')
	cl /tests/vipclient -w 3 $VIP $PORTS "$victim" >/dev/null &
	holder=$!
	sleep 0.5
	before=$(conntrack_to "$addr")
	"$@"
	after=$(conntrack_to "$addr")
	check "$what: the server had live connections" test "$before" -gt 0
	check_eq "$what: its connections are flushed" 0 "$after"
	check_eq "$what: its persistence entries are gone" 0 \
		"$(c -j persist show cas | jq "[.[] | select(.server == \"$addr\")] | length")"
	after=$(answers $VIP $PORTS "$victim" | awk '{ print $2 }' | sort -u)
	check "$what: its client moved to another live server (got $after)" \
		test "$after" != "srv${addr#10.0.2.1}" -a "$(wc -w <<<"$after")" = 1 -a \
		"${after#srv}" != "$after"
	wait $holder
}
retire_test "disable" 10.0.2.12 c server set cas 10.0.2.12 disable
c server set cas 10.0.2.12 enable
retire_test "health down" 10.0.2.13 c server set cas 10.0.2.13 health down
check_eq "health and admin state are distinct" "enabled down" \
	"$(c -j show cas | jq -r '.[0].servers[] | select(.address == "10.0.2.13") | "\(.admin) \(.health)"')"
c server set cas 10.0.2.13 health up
retire_test "delete" 10.0.2.11 c server del cas 10.0.2.11

c server add cas 10.0.2.14
c persist del cas
victim=$(answers $VIP 135 $(clients 1 9) | awk '$2 == "srv4" { print $1; exit }')
cl /tests/vipclient -w 3 $VIP 135 "$victim" >/dev/null &
holder=$!
sleep 0.5
c server del cas 10.0.2.14 keep-conns
check "delete keep-conns: connections stay" test "$(conntrack_to 10.0.2.14)" -gt 0
check_eq "delete keep-conns: persistence entries go" 0 \
	"$(c -j persist show cas | jq '[.[] | select(.server == "10.0.2.14")] | length')"
wait $holder

# --- no server: refused fast, and counted ------------------------------------
c service add empty vip 10.0.0.101 ports 135
c service add emptyu vip 10.0.0.101 proto udp ports 135
check_eq "TCP with no server: reset" "10.0.1.1 refused" \
	"$(answers -t 3000 10.0.0.101 135 10.0.1.1)"
check_eq "UDP with no server: ICMP unreachable" "10.0.1.1 refused" \
	"$(answers -u -t 3000 10.0.0.101 135 10.0.1.1)"
check_eq "refusals are counted" "1 1" \
	"$(c -j -s show empty | jq .[0].stats.drop_noserver) $(c -j -s show emptyu | jq .[0].stats.drop_noserver)"
c server add empty 10.0.2.12
c server set empty 10.0.2.12 disable
check_eq "TCP with only a disabled server: reset" "10.0.1.1 refused" \
	"$(answers -t 3000 10.0.0.101 135 10.0.1.1)"
# The VIP is the balancer's own address: were the service not refusing,
# the balancer's stack would (and it is not counted then).
c service add empty6 vip fd00::100 ports 5000
c service add empty6u vip fd00::100 proto udp ports 5000
check_eq "IPv6 TCP with no server: reset" "fd00:1::1 refused" \
	"$(answers -t 3000 fd00::100 5000 fd00:1::1)"
check_eq "IPv6 UDP with no server: ICMPv6 unreachable" "fd00:1::1 refused" \
	"$(answers -u -t 3000 fd00::100 5000 fd00:1::1)"
check_eq "IPv6 refusals are counted" "1 1" \
	"$(c -j -s show empty6 | jq .[0].stats.drop_noserver) $(c -j -s show empty6u | jq .[0].stats.drop_noserver)"

# --- UDP and IPv6 ------------------------------------------------------------
c service add udp vip $VIP proto udp ports 135,60001-60002 sched rr
for i in 1 2 3; do c server add udp 10.0.2.1$i; done
raw=$( (cl /tests/vipclient -u $VIP $PORTS $(clients 1 6)
	cl /tests/vipclient -u $VIP $PORTS $(clients 1 6)))
out=$(awk '{ print $1, $3 }' <<<"$raw")
check_eq "UDP: every datagram answered" 36 "$(grep -c ' srv[123]$' <<<"$out")"
check_eq "UDP: clients stick across ports" "" "$(unsticky <<<"$out")"
check_eq "UDP: rr spreads them" "srv1=2 srv2=2 srv3=2" "$(spread <<<"$out")"

# Counters, exactly. Each datagram came from a port of its own: one
# connection, live still, one packet each way. Bytes count IP packets: 28
# bytes of headers, then "hi" in and the answer "NAME PEER\n" out.
stats='"\(.conns) \(.active) \(.pkts_in) \(.pkts_out) \(.bytes_in) \(.bytes_out) \(.drop_noserver)"'
want=$(awk '$3 ~ /^srv/ { n[$3]++; o[$3] += 28 + length($3 " " $4 "\n") }
	END { for (s in n) print s, n[s], n[s], n[s], n[s], 30 * n[s], o[s], 0 }' <<<"$raw" | sort)
check_eq "UDP: each server counts its connections, live ones, packets and bytes each way" \
	"$want" \
	"$(c -j -s show udp | jq -r ".[0].servers[] | \"\(.address) \(.stats | $stats)\"" |
		sed 's/^10\.0\.2\.1/srv/' | sort)"
check_eq "UDP: the service counts them all" \
	"$(awk '{ for (i = 2; i <= 8; i++) t[i] += $i }
		END { print t[2], t[3], t[4], t[5], t[6], t[7], t[8] }' <<<"$want")" \
	"$(c -j -s show udp | jq -r ".[0].stats | $stats")"
check_eq "text -s: each server's row holds those counters" \
	"$(c -j -s show udp | jq -r ".[0].servers[] | \"\(.address) \(.stats | $stats)\"")" \
	"$(c -s show udp | awk '$1 ~ /^10\.0\.2\./ { print $1, $5, $6, $7, $8, $9, $10, $11 }')"

c service add v6 vip fd00::100 ports 135,60001-60002 sched rr netmask 128
for i in 1 2 3; do c server add v6 fd00:2::1$i; done
out=$( (answers fd00::100 $PORTS $(clients -6 1 6); answers fd00::100 $PORTS $(clients -6 1 6)))
check_eq "IPv6: every connection answered" 36 "$(grep -c ' srv[123]$' <<<"$out")"
check_eq "IPv6: clients stick across ports" "" "$(unsticky <<<"$out")"
check_eq "IPv6: rr spreads them" "srv1=2 srv2=2 srv3=2" "$(spread <<<"$out")"
# Each answer was a connection of its own. A TCP connection that sends one
# answer and closes is 4 to 6 packets in (SYN, ACK, FIN, ACKs) and 3 to 5
# out (SYN-ACK, the answer, FIN, ACKs).
sleep 0.5 # the last packets of the closing connections
s6=$(c -j -s show v6)
check_eq "IPv6: each server counts its 12 connections" \
	"fd00:2::11 12 fd00:2::12 12 fd00:2::13 12" \
	"$(jq -r '[.[0].servers[] | .address, .stats.conns] | join(" ")' <<<"$s6")"
echo "# IPv6 packets in/out per server: $(jq -r '[.[0].servers[].stats | "\(.pkts_in)/\(.pkts_out)"] | join(" ")' <<<"$s6")"
check "IPv6: and 4-6 packets in, 3-5 out for each" jq -e \
	'[.[0].servers[].stats | .pkts_in >= 4 * .conns and .pkts_in <= 6 * .conns and
	  .pkts_out >= 3 * .conns and .pkts_out <= 5 * .conns] | all' <<<"$s6"
check "IPv6: the service counts them all" jq -e \
	'.[0] | .stats.conns == 36 and .stats.pkts_in == ([.servers[].stats.pkts_in] | add) and
	  .stats.pkts_out == ([.servers[].stats.pkts_out] | add)' <<<"$s6"
c service set v6 netmask 64
c persist del v6
out=$(answers fd00::100 135 $(clients -6 1 6))
check_eq "IPv6: netmask /64 groups the prefix" 1 \
	"$(awk '{ print $2 }' <<<"$out" | sort -u | wc -l)"

# --- local clients --------------------------------------------------------------
out=$(lb /tests/vipclient $VIP $PORTS 10.0.1.254)
check_eq "a client on the balancer itself reaches a server, and sticks" 1 \
	"$(awk '$3 ~ /^srv/ { print $3 }' <<<"$out" | sort -u | wc -l)"
check_eq "... on every port" 3 "$(grep -c ' srv' <<<"$out")"

# --- SNAT, one-armed: the servers do not route back through the balancer --
for i in 2 3; do $ip -n lab_s$i route del default; done
c persist del cas
check_eq "one-armed without SNAT: replies are lost" "10.0.1.7 timeout" \
	"$(answers -t 1000 $VIP 135 10.0.1.7)"
c service set cas snat 10.0.2.254
out=$(cl /tests/vipclient $VIP $PORTS 10.0.1.7)
check_eq "SNAT to an address: works, the server sees the balancer" \
	"10.0.2.254 10.0.2.254 10.0.2.254" "$(awk '{ print $4 }' <<<"$out" | xargs)"
c service set cas snat masquerade
c persist del cas
out=$(cl /tests/vipclient $VIP $PORTS 10.0.1.8)
check_eq "SNAT masquerade: works, the server sees the balancer" \
	"10.0.2.254 10.0.2.254 10.0.2.254" "$(awk '{ print $4 }' <<<"$out" | xargs)"
c service set cas snat off
for i in 2 3; do $ip -n lab_s$i route add default via 10.0.2.254; done

# --- persistence timeout: only after the last connection closed --------------
c service set cas persist 2
c persist del cas
cl /tests/vipclient -w 5 $VIP 135 10.0.1.30 >/dev/null &
holder=$!
sleep 4
check_eq "an entry with a live connection outlives the timeout" 1 \
	"$(c -j persist show cas client 10.0.1.30 | jq '.[0].conns')"
wait $holder
sleep 0.5
check_eq "just after the last connection closed, the entry is still there" 1 \
	"$(c -j persist show cas client 10.0.1.30 | jq length)"
check "and it expires about the timeout later" wait_for 6 \
	lb sh -c "test \"\$(casvipctl -j persist show cas client 10.0.1.30 | jq length)\" = 0"
c service set cas persist 0
c persist del cas
out=$(answers $VIP 135,135,135,135 10.0.1.31)
check_eq "persist 0: no persistence, rr per connection (srv1 was deleted)" "srv2 srv3" \
	"$(awk '{ print $2 }' <<<"$out" | sort -u | xargs)"

# --- counters, also of connections conntrack has forgotten ------------------
# Exact to the byte (counted_within), of connections closed, and their
# conntrack entries gone, before the read.
lb sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=2
c service add bulk vip 10.0.0.102 ports 60001 sched rr
for i in 2 3; do c server add bulk 10.0.2.1$i; done
out=$(cl /tests/vipload stream 2 4 10.0.0.102 60001 10.0.1.40)
echo "# 4 streams: $(tr '\n' ' ' <<<"$out")"
gone() { ! lb conntrack -L -d 10.0.0.102 2>/dev/null | grep -q .; }
check "the connections closed, and conntrack forgot them" wait_for 30 gone
s=$(c -j -s show bulk)
echo "# counted: $(jq -c '.[0].stats | [.conns, .pkts_in, .bytes_in, .pkts_out, .bytes_out]' <<<"$s")"
check "bytes in: what the clients sent, and the headers of each packet" \
	counted_within "$s" "$(awk '$1 == "sent" { print $2 }' <<<"$out")" in
check "bytes out: the servers' greetings, and the headers of each packet" \
	counted_within "$s" "$(awk '$1 == "received" { print $2 }' <<<"$out")" out
check "the servers' counters add up to the service's" jq -e \
	'.[0] | .stats.conns == 4 and
	 ([.stats.pkts_in, .stats.pkts_out, .stats.bytes_in, .stats.bytes_out] ==
	  ([.servers[].stats | [.pkts_in, .pkts_out, .bytes_in, .bytes_out]] | transpose | map(add)))' <<<"$s"
# A connection idle long enough that the GC folds it at its longest
# interval (7 s: TCP's shortest timeout, 10 s, less 3), which then
# carries data and closes: counted before conntrack forgets it, 10 s
# after its last packet (the shortest of its default timeouts). Idle for
# 30 s: at UDP's interval (27 s) the GC would look before the data came
# and next after conntrack forgot it.
lb sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=10
c service add calm vip 10.0.0.102 ports 60002 sched rr
c server add calm 10.0.2.12
cl bash -c 'exec 3<>/dev/tcp/10.0.0.102/60002 && read -r -u 3 _ && sleep 30 &&
	head -c 100000 /dev/zero >&3'
gone() { ! lb conntrack -L -d 10.0.0.102 -p tcp --dport 60002 2>/dev/null | grep -q .; }
check "the connection closed, and conntrack forgot it" wait_for 30 gone
check "bytes in of a connection idle for 30 s, then busy, then gone: all counted" \
	counted_within "$(c -j -s show calm)" 100000 in
c service del calm
lb sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=120
# UDP flows whose servers are disabled as soon as they are answered,
# before the GC's next fold: casvip folds before it deletes connections,
# and their packets count. Two rounds, for the rare one in which the GC
# folds between the answers and the disable.
c service add bulku vip 10.0.0.102 proto udp ports 60001 sched rr
for i in 2 3; do c server add bulku 10.0.2.1$i; done
for _ in 1 2; do
	cl /tests/vipclient -u 10.0.0.102 60001 $(clients 1 20) >/dev/null
	for i in 2 3; do c server set bulku 10.0.2.1$i disable; done
	for i in 2 3; do c server set bulku 10.0.2.1$i enable; done
done
check_eq "UDP flows of servers disabled at once: each counted, a packet each way" \
	"40 40 40" \
	"$(c -j -s show bulku | jq -r '.[0].stats | "\(.conns) \(.pkts_in) \(.pkts_out)"')"
# A connection the other box of a pair NATed, as conntrackd copies it here
# (with accounting on: net.netfilter.nf_conntrack_acct=1), counts once it
# is learnt; learning again counts it no twice.
lb sysctl -qw net.netfilter.nf_conntrack_acct=1
lb conntrack -I -p udp -s 10.0.1.35 -d 10.0.0.102 --sport 5555 --dport 60001 \
	--dst-nat 10.0.2.12 -t 60 -u SEEN_REPLY >/dev/null 2>&1
lb sysctl -qw net.netfilter.nf_conntrack_acct=0
datagram() {
	echo hi | cl socat -T 1 - UDP:10.0.0.102:60001,bind=10.0.1.35:5555
}
c persist learn >/dev/null
datagram >/dev/null
c persist learn >/dev/null
out=$(datagram)
check_eq "a copied connection reaches its server" srv2 "${out%% *}"
check_eq "... and counts once learnt: 2 packets each way, no connection" "40 42 42" \
	"$(c -j -s show bulku | jq -r '.[0].stats | "\(.conns) \(.pkts_in) \(.pkts_out)"')"
# A flow deleted by hand, and its tuple's next flow, deleted by hand a
# few seconds later: the first's record, idle, waits 27 s for its next
# look; the second is counted in it from its first second all the same.
flow() {
	echo hi | cl socat -T 1 - UDP:10.0.0.102:60001,bind=10.0.1.36:5556 >/dev/null
	sleep 2.5
	lb conntrack -D -p udp -s 10.0.1.36 --sport 5556 >/dev/null 2>&1
}
flow
flow
check_eq "a tuple's next flow, deleted by hand after 2 s: counted, a packet each way" \
	"42 44 44" \
	"$(c -j -s show bulku | jq -r '.[0].stats | "\(.conns) \(.pkts_in) \(.pkts_out)"')"

# --- unload with live connections ----------------------------------------------
c service set cas persist 60
cl /tests/vipclient -w 3 $VIP $PORTS $(clients 1 4) >/dev/null &
holder=$!
sleep 1
check "unload with services and live connections" rmmod casvip
wait $holder
check "and load again" modprobe casvip

topo_down
ktap_done
