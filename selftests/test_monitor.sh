#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What an admin watches: casvipctl monitor prints every kind of event the
# kernel announces, in order, once, in text and in JSON; an unprivileged
# user cannot listen; every change casvipctl makes is in the system log
# once, with who made it, and apply lists its changes there.
. /tests/lib.sh
. /tests/topo.sh

modprobe casvip
topo_up
# The system log, as a box's syslog daemon would keep it.
syslogd -n -O /tmp/messages &
logd=$!
sleep 0.3

lb casvipctl monitor -j >/tmp/ev.json 2>/tmp/ev.err &
monj=$!
lb casvipctl monitor >/tmp/ev.txt 2>&1 &
mont=$!
sleep 0.5

c service add ev vip 10.0.0.100 ports 135,60001-60002 sched rr persist 300 persist-max 2
c server add ev 10.0.2.11
c server add ev 10.0.2.12
c server set ev 10.0.2.12 weight 50
c server set ev 10.0.2.12 weight 50 # no change: no event
c server set ev 10.0.2.11 health down reason "test says down"
c server set ev 10.0.2.11 health down reason "still down" # restated
c server set ev 10.0.2.12 health down
c server set ev 10.0.2.11 health up
c server set ev 10.0.2.12 health up
cl /tests/vipclient 10.0.0.100 135 $(clients 1 3) >/dev/null
c server add ev 10.0.2.13 drain
# The GC sees it drained within a second; then a second more, for a repeat.
wait_for 10 grep -q '"drained"' /tmp/ev.json
sleep 1.5
c service set ev sched wrr
c server del ev 10.0.2.13
c service del ev
c service add ev2 vip 10.0.0.101 ports 135
c flush
sleep 0.5
kill $monj $mont
wait $monj $mont 2>/dev/null

check_eq "every kind of event, in order, once" "service add ev -
server add ev 10.0.2.11
server add ev 10.0.2.12
server set ev 10.0.2.12
server health ev 10.0.2.11 down test says down
server health ev 10.0.2.12 down
service state ev - failing-open
server health ev 10.0.2.11 up
service state ev - ok
server health ev 10.0.2.12 up
service persist-full ev - 2/2
server add ev 10.0.2.13
server drained ev 10.0.2.13
service set ev -
server del ev 10.0.2.13
service del ev -
service add ev2 -
all flush - -" "$(jq -r '[.object, .event, .service // "-", .server // "-",
	(if .event == "health" then .health, .reason
	 elif .event == "state" then .state
	 elif .event == "persist-full" then "\(.persist_entries)/\(.persist_limit)"
	 else empty end)] | join(" ") | sub(" +$"; "")' /tmp/ev.json)"
check_eq "text and JSON tell the same events" "$(wc -l </tmp/ev.json)" \
	"$(wc -l </tmp/ev.txt)"
check "a text event reads as a command would" \
	grep -q ' health ev 10.0.2.11 down "test says down"$' /tmp/ev.txt
check "a text service event carries its settings" \
	grep -q ' service add ev vip 10.0.0.100 proto tcp ports 135,60001-60002 sched rr persist 300' /tmp/ev.txt
check_eq "the monitor said nothing on stderr" "" "$(cat /tmp/ev.err)"
check_err "an unprivileged user cannot listen" 1 \
	"cannot watch events: permission denied: casvip needs CAP_NET_ADMIN" \
	timeout 5 $ip netns exec lab_lb /tests/dropcap casvipctl monitor
check_err "monitor takes no argument" 2 "monitor takes no argument" \
	c monitor now

# The record of changes.
c service add lg vip 10.0.0.100 ports 135
c server add lg 10.0.2.11
SUDO_USER=alice c server set lg 10.0.2.11 drain
c show >/dev/null
c server set nosuch 10.0.2.11 weight 1 2>/dev/null
cat >/tmp/lg.conf <<'CONF'
service lg vip 10.0.0.100 ports 135
	server 10.0.2.11
	server 10.0.2.12 weight 50
CONF
c apply /tmp/lg.conf >/dev/null 2>&1
sleep 0.3
log() { grep 'casvipctl\[' /tmp/messages | sed 's/.*casvipctl\[[0-9]*\]: //'; }
check_eq "a change on the command line is logged once, with who made it" 1 \
	"$(log | grep -cxF 'server add lg 10.0.2.11 by root (uid 0)')"
check_eq "... with who ran sudo" 1 \
	"$(log | grep -cxF 'server set lg 10.0.2.11 drain by root (uid 0, SUDO_USER=alice)')"
check_eq "a read is not a change" 0 "$(log | grep -c '^show')"
check_eq "a refused change is not logged" 0 "$(log | grep -c nosuch)"
check_eq "apply lists each of its changes, then the outcome" \
"apply /tmp/lg.conf: server add lg 10.0.2.12 weight 50 enable by root (uid 0)
apply /tmp/lg.conf: done, 1 change by root (uid 0)" "$(log | grep '^apply')"
c flush

kill $logd
topo_down
ktap_done
