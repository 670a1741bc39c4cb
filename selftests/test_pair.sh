#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A redundant pair (README, "A redundant pair"; the lab of pair.sh): lb1
# master, lb2 backup, keepalived with VRRPv3 adverts every 100 ms moving
# the VIP and the servers' gateway, conntrackd copying the connections,
# healthd on both, and the learner on both.
#
# A server fails and comes back first: its clients moved, and must stay
# where they moved (mh alone would send them back). Then 40 clients hold a
# session each (a byte echoed every 100 ms) while they open new
# connections on 135, 60001 and 60002 in a loop, and lb1 dies hard at a
# random moment (SIGKILL, links down). Measured: the time until lb2
# answers new connections; the longest echo gap of each session; the
# sessions that broke; the clients whose connections after the failover
# reached another server than before. Then lb1 comes back (it stays
# backup: nopreempt), and the move back, by hand, is measured the same.
. /tests/lib.sh
. /tests/pair.sh

# Loops of new connections, 10 clients each, in parallel: a sample every
# few tens of milliseconds. LOOPS lines "MS SRC PORT ANSWER".
LOOP_SECONDS=$((SLOW ? 90 : 45))
loops() {
	local k
	rm -f /tmp/loop.*
	for k in 0 1 2 3; do
		cl /tests/vipclient -l $LOOP_SECONDS -t 150 $VIP 135,60001,60002 \
			$(clients $((k * 10 + 1)) $((k * 10 + 10))) >/tmp/loop.$k &
		loop_pids="$loop_pids $!"
	done
	t0=${EPOCHREALTIME/./}
}
now_ms() { echo $(((${EPOCHREALTIME/./} - t0) / 1000)); }
# The longest time without a new connection answered, from 1 s before MS
# to 5 s after: what clients saw of a takeover at MS.
outage() {
	cat /tmp/loop.* | awk -v t="$1" '$4 ~ /^srv/ && $1 >= t - 1000 && $1 <= t + 5000 { print $1 }' |
		sort -n | awk 'NR > 1 && $1 - p > m { m = $1 - p } { p = $1 } END { print m + 0 }'
}
# Clients whose answers between two times came from more than one server.
split_clients() { # FROM TO
	cat /tmp/loop.* | awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && $4 ~ /^srv/ {
		if (!($2 in s)) s[$2] = $4; else if (s[$2] != $4) bad[$2] = 1 }
		END { for (c in bad) print c }' | sort
}
# "client server" as the clients found them between two times.
servers_between() { # FROM TO
	cat /tmp/loop.* | awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && $4 ~ /^srv/ &&
		!($2 in s) { s[$2] = $4; print $2, $4 }' | sort
}
health_of() { # N ADDR
	lb$1 casvipctl -j show outlook |
		jq -r ".[0].servers[] | select(.address == \"$2\") | .health"
}

# A debug kernel under TCG answers slower under the load below: a check
# with a 1 s timeout failing twice there would take a server down and end
# its sessions.
if [ -n "$SLOW" ]; then
	CHECK_TIMING="interval 2 timeout 2 rise 2 fall 3" CHECK_WAIT=30
else
	CHECK_TIMING="interval 1 timeout 1 rise 2 fall 2" CHECK_WAIT=10
fi

modprobe casvip
pair_up
cat >/tmp/pair.conf <<CONF
service outlook vip $VIP ports 135,60001-60002 sched mh persist 3600
	server 10.0.2.11
	server 10.0.2.12
	server 10.0.2.13
	server 10.0.2.14
	check tcp 60002 $CHECK_TIMING
CONF
for n in 1 2; do
	pair_files $n
	lb$n casvipctl apply /tmp/pair.conf >/dev/null
done
check_eq "lint on a box of the pair: the VIP is keepalived's, no warning" \
	"/tmp/pair.conf: 0 errors, 0 warnings" \
	"$(CASVIP_KEEPALIVED_CONF=/root/lb2/keepalived.conf lb2 casvipctl lint /tmp/pair.conf)"
pair_start 1
sleep 1
pair_start 2
check "lb1 becomes master" wait_for $((SLOW ? 30 : 10)) holder_is lb1
sleep 2
check "lb2 stays backup" test "$(vip_holder)" = lb1

# --- a server fails and comes back: its clients move, and stay -------------
before=$(cl /tests/vipclient $VIP 135 $(clients 1 40) | awk '{ print $1, $3 }')
on2=$(awk '$2 == "srv2" { print $1 }' <<<"$before")
kill "${servers[2]}"
wait "${servers[2]}" 2>/dev/null
both_down() { [ "$(health_of 1 10.0.2.12)$(health_of 2 10.0.2.12)" = downdown ]; }
check "a server fails: both boxes mark it down" wait_for $CHECK_WAIT both_down
moved=$(cl /tests/vipclient $VIP 60001 $on2 | awk '{ print $1, $3 }')
check_eq "its clients moved to the others ($(wc -w <<<"$on2") clients)" "" \
	"$(awk '$2 == "srv2" || $2 !~ /^srv/' <<<"$moved")"
$ip netns exec lab_s2 /tests/fakecas -e srv2 $PAIR_PORTS &
servers[2]=$!
both_up() { [ "$(health_of 1 10.0.2.12)$(health_of 2 10.0.2.12)" = upup ]; }
check "it comes back: both boxes mark it up" wait_for $CHECK_WAIT both_up
check_eq "the moved clients stay where they moved" "$moved" \
	"$(cl /tests/vipclient $VIP 60002 $on2 | awk '{ print $1, $3 }')"

# --- lb1 dies hard under load -------------------------------------------------
cl /tests/vipsession $((LOOP_SECONDS - 2)) $VIP 60001 $(clients 1 40) >/tmp/sessions &
sessions=$!
loops
sleep $((6 + RANDOM % 3))
# The sessions' retransmission timeouts as the master dies: under load.
rtos() { grep -o 'rto:[0-9.]*' | sort | uniq -c | sort -rn | head -n 4 | tr -s ' \n' ' '; }
rtos="clients' $(cl ss -tni "dport = :60001" | rtos)"
for i in 1 2 3 4; do
	rtos="$rtos; srv$i's $($ip netns exec lab_s$i ss -tni "sport = :60001" | rtos)"
done
die=$(now_ms)
kill -KILL -- -"${kad[1]}"
kill -KILL "${ctd[1]}" "${lrn[1]}" "${hd[1]}"
for dev in eth0 eth1 sync0; do $ip -n lab_lb1 link set $dev down; done
vipconns() { $ip netns exec "$1" conntrack -L -d $VIP 2>/dev/null | grep -c ESTABLISHED; }
check "lb2 takes over" wait_for $((SLOW ? 15 : 5)) holder_is lb2
sleep 8
# lb1 comes back as from a reboot: no VIP, no connection, no client; it
# stays backup (nopreempt).
$ip -n lab_lb1 addr del $VIP/32 dev eth0 2>/dev/null
$ip -n lab_lb1 addr del 10.0.2.254/24 dev eth1 2>/dev/null
lb1 conntrack -F 2>/dev/null
lb1 casvipctl persist del outlook
for dev in eth0 eth1 sync0; do $ip -n lab_lb1 link set $dev up; done
pair_start 1
sleep 5
echo "# established connections to the VIP: lb1 $(vipconns lab_lb1), lb2 $(vipconns lab_lb2)"
check_eq "lb1 back: it stays backup" lb2 "$(vip_holder)"
# The move back, by hand: keepalived stops on the master (a restart).
back=$(now_ms)
kill -TERM "${kad[2]}"
wait "${kad[2]}" 2>/dev/null
check "the move back: lb1 takes over" wait_for $((SLOW ? 15 : 5)) holder_is lb1
setsid $ip netns exec lab_lb2 keepalived -n -l -G -D -P -f /root/lb2/keepalived.conf \
	-p /root/lb2/keepalived.pid -r /root/lb2/vrrp.pid >>/root/lb2/keepalived.log 2>&1 &
kad[2]=$!
wait $loop_pids
wait $sessions
end=$(now_ms)

took=$(outage "$die")
took_back=$(outage "$back")
broken=$(grep -c ' broken ' /tmp/sessions)
gap=$(sort -k3 -n /tmp/sessions | tail -n 1 | awk '{ print $3 }')
held=$(awk '$4 == "ok"' /tmp/sessions | wc -l)
split=$(split_clients 0 "$end" | grep -c .)
echo "# failover: no new connection answered for $took ms;" \
	"move back: $took_back ms"
echo "# sessions: $held of 40 held, $broken broke, longest echo gap $gap ms"
# The longest gaps, by the move they ended after and how long after it
# (TCP's retransmissions back off: 0.2, 0.6, 1.4 s, ... after a loss).
gaps_after() { # FROM TO
	awk -v t0=$((t0 / 1000)) -v a="$1" -v b="$2" \
		'$NF - t0 >= a && $NF - t0 < b { printf "%d %.1f\n", $3, ($NF - t0 - a) / 1000 }' \
		/tmp/sessions | sort -rn | head -n 5 | awk '{ printf "%s ms at +%s s, ", $1, $2 }'
}
echo "# the sessions' TCP retransmission timeouts at lb1's death (how many at each, as ss says): $rtos"
echo "# longest echo gaps ended after lb1's death: $(gaps_after "$die" "$back")"
echo "# ... after the move back: $(gaps_after "$back" $((end + 1000)))"
echo "# clients that reached two servers in $((end / 1000)) s: $split" \
	"($(wc -w <<<"$on2") had moved off a failed server)"
if [ -n "$SLOW" ]; then
	# The debug kernel is here for what the pair does to the module;
	# under TCG it keeps no timing that a failover could be judged by.
	for what in "new connections back within 1 s" "and of the move back" \
		"no session broke" "every session's longest echo gap under 1.9 s"; do
		ktap_skip "$what" "timings, on a debug kernel"
	done
else
	check "new connections back within 1 s of the master's death ($took ms)" \
		test "$took" -le 1000
	check "and of the move back ($took_back ms)" test "$took_back" -le 1000
	check_eq "no session broke" 0 "$broken"
	# A segment lost as the master died comes again after TCP's
	# retransmission timeout, then after twice it: a server's, which
	# its client's delayed ACKs raise, is 400 ms and more under TCG's
	# load. Every session must resume by the second retransmission
	# after the takeover, short of the 2 s that count as broken; the
	# goal, 0.5 s, is what a real box's timing gives.
	check "every session's longest echo gap under 1.9 s ($gap ms; goal 500)" \
		test "${gap:-9999}" -lt 1900
fi
check_eq "every client on one server all along, the moved ones too" "" \
	"$(split_clients 0 "$end")"
check_eq "the moved clients are where they moved" "" \
	"$(awk 'NR == FNR { was[$1] = $2; next } ($1 in was) && was[$1] != $2' \
		<(echo "$moved") <(servers_between 0 "$end"))"
grep ' broken ' /tmp/sessions | head -n 5 | sed 's/^/# broke: /'
# The clients that reached two servers: each server they reached, from when.
for c in $(split_clients 0 "$end"); do
	echo "# $c reached: $(cat /tmp/loop.* | awk -v c="$c" '$2 == c && $4 ~ /^srv/' |
		sort -n | awk '$4 != p { printf "%s at %d ms, ", $4, $1; p = $4 }')"
done
around() { # MS: answers and failures per 100 ms, from 500 ms before
	cat /tmp/loop.* | awk -v t="$1" '$1 >= t - 500 && $1 < t + 1500 {
		b = int(($1 - t + 500) / 100); if ($4 ~ /^srv/) ok[b]++; else ko[b]++ }
		END { for (i = 0; i < 20; i++) printf "%d/%d ", ok[i], ko[i] }'
}
echo "# around lb1's death: $(around "$die")"
echo "# around the move back: $(around "$back")"
echo "# lb1 died at $die ms, moved back at $back ms"
for n in 1 2; do
	grep -ai "script\|error\|warn\|entering" /root/lb$n/keepalived.log | tail -n 6 | sed "s/^/# lb$n keepalived: /"
	echo "# lb$n: notify: $(tr '\n' ' ' </root/lb$n/notify.log 2>/dev/null)"
	grep -ai "error\|fail\|resync" /root/lb$n/conntrackd.log | tail -n 5 | sed "s/^/# lb$n conntrackd: /"
	tail -n 4 /root/lb$n/healthd.log | sed "s/^/# lb$n healthd: /"
done
pair_down
ktap_done
