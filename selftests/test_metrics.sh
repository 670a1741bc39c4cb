#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What an admin's monitoring reads: the counters a user would check (per
# port, a CAS that does not answer, connections the balancer ended, the
# drops), casvipctl metrics in the Prometheus format (promtool checks it
# under traffic; its values are those of show -s; node_exporter's
# textfile collector serves it), and show --rate moving with the load.
. /tests/lib.sh
. /tests/topo.sh

VIP=10.0.0.100
modprobe casvip
topo_up
c service add m vip $VIP ports 135,60001,60002 sched rr persist 0
for i in 1 2 3; do c server add m 10.0.2.1$i; done
stat() { # ADDR FIELD: a server's counter
	c -j -s show m | jq ".[0].servers[] | select(.address == \"$1\") | .stats.$2"
}

# Clients that reach 135 but never 60002.
cl /tests/vipclient $VIP 135 $(clients 1 6) >/dev/null
cl /tests/vipclient $VIP 60001 $(clients 1 3) >/dev/null
check_eq "per port: 6 connections to 135, 3 to 60001, none to 60002" \
	"135 6 0,60001 3 0,60002 0 0" \
	"$(c -j -s show m | jq -r '[.[0].port_stats[] | "\(.ports) \(.conns) \(.drop_noserver)"] | join(",")')"
check "show -s lists the ports" grep -q "port 60002: 0 conns, 0 refused" \
	<<<"$(c -s show m)"

# A CAS that lost its route back to the clients: checks from the balancer
# (on its own subnet) would pass, its clients' connections go unanswered.
$ip -n lab_s3 route del default
cl /tests/vipclient -t 500 $VIP 135 $(clients 7 12) >/dev/null
# 3 s without an answer, and a GC round.
settled() { [ "$(stat 10.0.2.13 watched)" -ge 5 ]; }
wait_for 20 settled
check_eq "the CAS without a route back: its 2 new connections unanswered" \
	"5 2" "$(stat 10.0.2.13 watched) $(stat 10.0.2.13 unreplied)"
check_eq "the others: every connection answered" "5 0 5 0" \
	"$(for a in 10.0.2.11 10.0.2.12; do echo $(stat $a watched) $(stat $a unreplied); done | xargs)"
check "show -s has the unanswered column" \
	awk '$1 == "10.0.2.13" && $NF == 2 { ok = 1 } END { exit !ok }' <<<"$(c -s show m)"
$ip -n lab_s3 route add default via 10.0.2.254

# Connections the balancer ends: those of a server disabled.
cl /tests/vipclient -w 4 $VIP 135 $(clients 13 18) >/dev/null &
held=$!
sleep 1.5
open=$(lb conntrack -L -p tcp --state ESTABLISHED 2>/dev/null | grep -c "src=10.0.2.11 ")
c server set m 10.0.2.11 disable
check "the disabled server had open connections" test "$open" -gt 0
check_eq "ended: each open connection of the disabled server, no other" \
	"$open $open 0" \
	"$(stat 10.0.2.11 ended) $(c -j -s show m | jq '.[0].stats.ended') $(stat 10.0.2.12 ended)"
wait $held

# Drops, by reason: no server left.
c server set m 10.0.2.12 disable
c server set m 10.0.2.13 disable
cl /tests/vipclient -t 500 $VIP 60002 10.0.1.30 >/dev/null
check_eq "a connection with no server: a drop, on its port" "1 1" \
	"$(c -j -s show m | jq -r '"\(.[0].stats.drop_noserver) \(.[0].port_stats[2].drop_noserver)"')"
for i in 1 2 3; do c server set m 10.0.2.1$i enable; done

# The metrics, under traffic, with a reason no label may hold as it is.
c server set m 10.0.2.12 reason "$(printf 'says "no" \\ at\ncaf\xc3\xa9 \xff')"
cl /tests/vipload conn 4 8 $VIP 135 $(clients 20 30) >/dev/null &
load=$!
sleep 1
c metrics >/tmp/m.prom
check "promtool check metrics: the output under traffic is clean" \
	promtool check metrics </tmp/m.prom
check_eq "a reason as a label: escaped, and U+FFFD for a bad byte" \
	'reason="says \"no\" \\ at\ncafé �"' \
	"$(grep -o 'reason="[^}]*"' /tmp/m.prom | grep says)"
wait $load
sleep 1.5
c metrics >/tmp/m.prom
c -j -s show m >/tmp/m.json
# What show -s says, as the samples metrics must have.
jq -r '.[0] as $s | "service=\"m\",vip=\"10.0.0.100\"" as $l |
	"casvip_service_connections_total{\($l)} \($s.stats.conns)",
	"casvip_service_bytes_total{\($l),direction=\"in\"} \($s.stats.bytes_in)",
	"casvip_service_packets_total{\($l),direction=\"out\"} \($s.stats.pkts_out)",
	"casvip_service_drops_total{\($l),reason=\"noserver\"} \($s.stats.drop_noserver)",
	"casvip_service_ended_connections_total{\($l)} \($s.stats.ended)",
	"casvip_service_servers{\($l)} 3",
	"casvip_service_failing_open{\($l)} 0",
	($s.port_stats[] | "casvip_port_connections_total{\($l),ports=\"\(.ports)\"} \(.conns)"),
	($s.servers[] | "\($l),server=\"\(.address)\"" as $v |
		"casvip_server_connections_total{\($v)} \(.stats.conns)",
		"casvip_server_bytes_total{\($v),direction=\"out\"} \(.stats.bytes_out)",
		"casvip_server_unreplied_connections_total{\($v)} \(.stats.unreplied)",
		"casvip_server_weight{\($v)} \(.weight)",
		"casvip_server_up{\($v)} 1",
		"casvip_server_admin_state{\($v),state=\"enabled\"} 1")' \
	/tmp/m.json >/tmp/want
missing=$(grep -vxF -f /tmp/m.prom /tmp/want)
check_eq "the metrics' values are those of show -s" "" "$missing"
check_eq "... and they are many" 28 "$(wc -l </tmp/want)"
check "the load was counted" test "$(jq '.[0].stats.conns' /tmp/m.json)" -gt 30

# The file node_exporter reads: whole, and served.
mkdir -p /tmp/tf
check "metrics FILE writes the file" c metrics /tmp/tf/casvip.prom
check_eq "... and leaves nothing beside it" "casvip.prom" "$(ls /tmp/tf)"
check_err "a file that cannot be written is an error" 1 \
	"cannot write /nonexistent/casvip.prom" c metrics /nonexistent/casvip.prom
lb prometheus-node-exporter --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory=/tmp/tf \
	--web.listen-address=127.0.0.1:9100 2>/tmp/ne.log &
ne=$!
scrape() { lb wget -qO- http://127.0.0.1:9100/metrics 2>/dev/null; }
wait_for 10 scrape >/dev/null
out=$(scrape)
check_eq "node_exporter reads the file without error" \
	'node_textfile_scrape_error 0' "$(grep '^node_textfile_scrape_error' <<<"$out")"
check "node_exporter serves casvip's metrics" \
	grep -q '^casvip_server_connections_total{server="10.0.2.11",service="m",vip="10.0.0.100"}' <<<"$out"
kill $ne
wait $ne 2>/dev/null

# Rates, over two reads.
cl /tests/vipload conn 5 8 $VIP 135 $(clients 20 30) >/dev/null &
load=$!
sleep 1
rate=$(c -j show --rate=2 m | jq '.[0].rates.conns')
check "rates: new connections a second while the load runs ($rate)" \
	awk -v r="$rate" 'BEGIN { exit !(r > 5) }'
wait $load
rate=$(c -j show --rate=1 m | jq '.[0].rates.conns')
check "rates: none once it stopped ($rate)" \
	awk -v r="$rate" 'BEGIN { exit !(r == 0) }'
check "rates: the text table" grep -q "CONN/S" <<<"$(c show --rate=1 m)"
check_err "--rate takes seconds" 2 "--rate takes the seconds to measure over" \
	c show --rate=0 m
before=$(c save)
check_err "--rate with a command that shows no rates: says so" 2 \
	'--rate goes with show and list, not with "add"' \
	c server add --rate m 10.0.2.14
check_eq "... and changes nothing" "$before" "$(c save)"

# Zero: every counter counts again from there; live connections stay.
counters() {
	c -j -s show m | jq -c '.[0] | [.stats.conns, .stats.bytes_in, .stats.ended,
		.stats.watched, .stats.drop_noserver, ([.port_stats[].conns] | add),
		([.servers[].stats | .conns + .unreplied + .pkts_out] | add)]'
}
check "the counters have counted" test "$(counters)" != "[0,0,0,0,0,0,0]"
check "zero SERVICE" c zero m
check_eq "... zeroes its counters, its servers' and its ports'" \
	"[0,0,0,0,0,0,0]" "$(counters)"
cl /tests/vipclient $VIP 60001 10.0.1.31 >/dev/null
check_eq "... which count again from there" "1 1 1" \
	"$(c -j -s show m | jq -r '.[0] | "\(.stats.conns) \([.port_stats[] | select(.ports == "60001") | .conns] | add) \([.servers[].stats.conns] | add)"')"
check_err "zero of no such service" 1 "no service of that name" c zero nosuch
check "zero of every service" c zero
check_eq "... zeroes them all" 0 "$(c -j -s show m | jq '.[0].stats.conns')"

c flush
topo_down
ktap_done
