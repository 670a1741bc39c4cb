#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The flowtable fast path. "casvipctl offload on" makes the nftables table
# inet casvip: a flowtable on the balancer's interfaces, sets of the
# services' VIPs and ports that follow every change, and a forward chain
# that puts casvip's established connections on the flowtable. Checked: the
# connections really are offloaded, and count to the byte; the admin's
# own tables are left alone; a deleted server's offloaded sessions are
# reset within about a second (the flowtable's GC runs each second) and
# their clients reconnect to another server; save and apply carry the
# setting. test_datapath_offload.sh and test_churn_offload.sh run those
# tests whole with offload on.
. /tests/lib.sh
. /tests/topo.sh

VIP=10.0.0.100
VIP2=10.0.0.101
FAKECAS_PORTS="135 60001 60002"

modprobe casvip
topo_up
lb nft add table ip admin
lb nft add chain ip admin filt '{ type filter hook forward priority 0; }'
lb nft add rule ip admin filt counter

# --- the setting --------------------------------------------------------------
check_eq "offload is off at first" "offload off" "$(c offload)"
check_err "offload is on or off" 2 'offload is on or off, not "maybe"' \
	lb casvipctl offload maybe
check_err "offload on takes no more" 2 'unexpected argument "eth9"' \
	lb casvipctl offload on eth9
check "offload on" c offload on
shown=$(c offload)
check_eq "show names the interfaces that are up, not lo" \
	"offload on: devices br0 l0 p1 p2 p3 p4" "$shown"
check_eq "JSON says so" "true br0 l0 p1 p2 p3 p4" \
	"$(c -j offload | jq -r '"\(.offload) \(.devices | join(" "))"')"
c service add cas vip $VIP ports 135,60001-60002 sched rr
for i in 1 2 3; do c server add cas 10.0.2.1$i; done
c service add cas6 vip fd00::100 proto udp ports 5000 sched rr
elements() { # SET: its elements, on one line
	lb nft list set inet casvip "$1" | tr -s ' \n\t' ' ' |
		sed -n 's/.*elements = { \([^}]*\) }.*/\1/p'
}
check_eq "the services' VIPs and ports are in the table" \
	"10.0.0.100 . 135, 10.0.0.100 . 60001-60002" "$(elements tcp4)"
check_eq "... IPv6 ones too" "fd00::100 . 5000" "$(elements udp6)"
c service set cas ports 135,60001
check_eq "a service's ports changed: the table follows" \
	"10.0.0.100 . 135, 10.0.0.100 . 60001" "$(elements tcp4)"
c service set cas ports 135,60001-60002
c service del cas6
check_eq "a service deleted: its VIP goes" "" "$(elements udp6)"

# --- connections on the flowtable, counted to the byte --------------------------
offloaded() { # VIP N: at least N of the VIP's connections are offloaded
	[ "$(lb conntrack -L -d "$1" 2>/dev/null | grep -c OFFLOAD)" -ge "$2" ]
}
cl /tests/vipload stream 3 2 $VIP 60001 10.0.1.40 >/tmp/stream &
stream=$!
check "the streams' connections are offloaded" wait_for 3 offloaded $VIP 2
wait $stream
out=$(cat /tmp/stream)
echo "# 2 streams: $(tr '\n' ' ' <<<"$out")"
s=$(c -j -s show cas)
check "bytes in: what the clients sent, headers and all" \
	counted_within "$s" "$(awk '$1 == "sent" { print $2 }' <<<"$out")" in
check "bytes out: the servers' greetings, headers and all" \
	counted_within "$s" "$(awk '$1 == "received" { print $2 }' <<<"$out")" out
check "the admin's table is still there, and saw the first packets" \
	lb sh -c "nft list chain ip admin filt | grep -q 'counter packets [1-9]'"

# --- a deleted server's offloaded sessions ------------------------------------
for i in 1 2 3; do
	$ip netns exec lab_s$i /tests/fakecas -e srv$i 60009 &
	daemons="$daemons $!"
done
c service add sess vip $VIP2 ports 60009 sched rr
for i in 1 2 3; do c server add sess 10.0.2.1$i; done
sleep 0.5
t0=${EPOCHREALTIME/./}
cl /tests/vipsession -i 50 6 $VIP2 60009 $(clients 1 6) >/tmp/sessions &
sessions=$!
sleep 2
check "the sessions are offloaded" offloaded $VIP2 6
del=$(((${EPOCHREALTIME/./} - t0) / 1000))
c server del sess 10.0.2.11
wait $sessions
cat /tmp/sessions | sed 's/^/# /'
broken=$(awk '$4 == "broken" { print $1 }' /tmp/sessions)
check_eq "two sessions were on srv1" 2 "$(awk '$2 == "srv1"' /tmp/sessions | wc -l)"
check_eq "srv1's sessions were reset, the others held" \
	"$(awk '$2 == "srv1" { print $1 }' /tmp/sessions)" "$broken"
late=$(awk -v d=$del '$4 == "broken" { t = $5 - d; if (t > m) m = t } END { print m + 0 }' \
	/tmp/sessions)
echo "# reset $late ms after the delete at most"
check "... within 1.5 s of the delete ($late ms)" test "$late" -le 1500
check_eq "their clients reach another server" "" \
	"$(cl /tests/vipclient $VIP2 60009 $broken | awk '$3 == "srv1" || $3 !~ /^srv/')"

# --- save, apply, off ------------------------------------------------------------
check "save says offload on" grep -qx 'offload on' <<<"$(c save)"
c save | grep -v '^offload' >/tmp/off.conf
check "apply of a file that does not say it: off" c apply /tmp/off.conf
check_eq "... and the table is gone" "" "$(lb nft list tables | grep casvip)"
check_eq "... the admin's is not" "table ip admin" "$(lb nft list tables)"
{ echo "offload on"; cat /tmp/off.conf; } >/tmp/on.conf
check "apply of a file that says it: on" c apply /tmp/on.conf
check_eq "... with the sets of the file's services" \
	"10.0.0.101 . 60009" "$(elements tcp4 | grep -o '10.0.0.101 . 60009')"
check_eq "lint: an offload line takes on or off" \
	'-:1: error: offload is on or off, not "maybe"' \
	"$(echo 'offload maybe' | casvipctl lint - | head -n 1)"
check "offload off" c offload off
check_eq "offload off: the table is gone" "offload off" "$(c offload)"
check "offload off again: nothing to do" c offload off
topo_down
check "the module unloads" rmmod casvip
ktap_done
