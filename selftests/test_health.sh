#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# healthd end to end: the lab of topo.sh, each CAS a fakerpc (endpoint
# mapper on 135, EMSMDB on 60001, NSPI on 60002) plus a fakecas on 60003
# that tells the clients which CAS they reached. A CAS whose services stop
# goes down within fall x interval and its clients move; it comes back
# after rise x interval, not after one pass; the static-port fault is
# reported as such; a flapping CAS changes state in the kernel only when
# fall failures, or rise passes, come in a row; 200 servers are checked
# at once.
FAKECAS_PORTS=60003
. /tests/lib.sh
. /tests/topo.sh

health() { # ADDR: up|down, then the reason
	c -j show cas | jq -r ".[0].servers[] | select(.address == \"$1\") | \"\(.health) \(.health_reason)\""
}
# Every state and reason seen on the way is in /tmp/seen, in order.
wait_health() { # SECONDS ADDR STATE: milliseconds it took, or "never"
	local start=${EPOCHREALTIME/./} end=$((SECONDS + $1)) now
	: >/tmp/seen
	while [ $SECONDS -le $end ]; do
		now=$(health "$2")
		[ "$now" = "$(tail -n 1 /tmp/seen)" ] || echo "$now" >>/tmp/seen
		if [ "${now%% *}" = "$3" ]; then
			echo $(((${EPOCHREALTIME/./} - start) / 1000))
			return
		fi
		sleep 0.1
	done
	echo never
}
wait_for_text() { # SECONDS ADDR TEXT: until health ADDR says TEXT
	local end=$((SECONDS + $1))
	until [ "$(health "$2")" = "$3" ]; do
		[ $SECONDS -ge $end ] && { health "$2"; return 1; }
		sleep 0.2
	done
}
on_server() { cl /tests/vipclient $VIP 60003 "$@" | awk '{ print $1, $3 }'; }
fakerpc() { # N ARGS: (re)start the fake CAS services on server N
	local n=$1 pid=${rpc[$1]:-}
	shift
	[ -n "$pid" ] && kill "$pid" && wait "$pid" 2>/dev/null
	$ip netns exec lab_s$n /tests/fakerpc "$@" &
	rpc[$n]=$!
	sleep 0.2
}

VIP=10.0.0.100
modprobe casvip
topo_up
declare -a rpc
for i in 1 2 3 4; do fakerpc $i emsmdb=60001 nspi=60002; done
cat >/tmp/h.conf <<'CONF'
service cas vip 10.0.0.100 ports 135,60001-60003 sched rr persist 300
	server 10.0.2.11
	server 10.0.2.12
	server 10.0.2.13
	check epm emsmdb=60001,nspi=60002 interval 1 timeout 1 rise 2 fall 3
	check rpc emsmdb@60001 interval 1 timeout 1 rise 2 fall 3
CONF
c apply /tmp/h.conf >/dev/null
$ip netns exec lab_lb casvipctl healthd 2>/tmp/healthd.log &
healthd=$!
sleep 1.5
check_eq "all up to begin with" "up up up" \
	"$(for i in 1 2 3; do health 10.0.2.1$i | cut -d' ' -f1; done | xargs)"
before=$(on_server $(clients 1 9))
check_eq "clients spread over the three" "3 3 3" \
	"$(awk '{ print $2 }' <<<"$before" | sort | uniq -c | awk '{ print $1 }' | xargs)"

# One healthd per namespace: a second one would fight the first.
check_err "a second healthd is refused, naming the first" 1 \
	"another healthd (pid $healthd) checks the servers of this network namespace" \
	timeout 10 $ip netns exec lab_lb casvipctl healthd

# A CAS added to a service with checks starts down, until they pass.
sed 's/^	server 10.0.2.13$/&\n	server 10.0.2.14/' /tmp/h.conf >/tmp/h4.conf
check_eq "apply says a new server starts down" \
	"server add cas 10.0.2.14 weight 100 enable health down" \
	"$(c apply --dry-run /tmp/h4.conf)"
c apply /tmp/h4.conf >/dev/null
check_eq "... not checked yet" "down not checked yet" "$(health 10.0.2.14)"
check_eq "... and takes no client" "" \
	"$(on_server $(clients 1 9) | grep srv4)"
took=$(wait_health 12 10.0.2.14 up)
echo "# the new CAS up after $took ms (healthd looks for new servers every 5 s; rise 2)"
check "... up once its checks pass twice" test "$took" != never
c apply /tmp/h.conf >/dev/null

# CAS2's Exchange services stop; its endpoint mapper still answers.
kill -USR1 ${rpc[2]}
took=$(wait_health 10 10.0.2.12 down)
echo "# CAS2 marked down after $took ms (fall 3 x interval 1 s)"
check "services stopped: down within fall x interval (+ one interval)" \
	test "$took" != never -a "${took:-0}" -le 5000
check "... and not before fall results could have come in" \
	test "$took" != never -a "${took:-0}" -ge 1500
# Both checks fail now, and the reason is that of the last one to run.
check "the reason says which interface is gone" wait_for_text 5 10.0.2.12 \
	"down epm emsmdb=60001,nspi=60002: EMSMDB is not registered with the endpoint mapper"
show_says() { c show cas | grep -q "$1"; }
check "show prints it" wait_for 5 show_says "10.0.2.12 .*down .*EMSMDB is not registered"
after=$(on_server $(clients 1 9))
# Both lists hold clients 1..9 in order: "client before client after".
check_eq "the clients of CAS1 and CAS3 stayed where they were" "" \
	"$(paste -d ' ' <(echo "$before") <(echo "$after") | awk '$2 != "srv2" && $2 != $4')"
check_eq "no client on CAS2 now" 0 "$(grep -c ' srv2$' <<<"$after")"

kill -USR2 ${rpc[2]}
took=$(wait_health 10 10.0.2.12 up)
echo "# CAS2 back up after $took ms (rise 2 x interval 1 s)"
check "services back: up within rise x interval (+ one interval)" \
	test "$took" != never -a "${took:-0}" -le 4000
check "... and not before rise results could have come in" \
	test "$took" != never -a "${took:-0}" -ge 900
# Each check must pass twice in a row: after its first pass, down still.
grep -qE "^down (epm|rpc) .*: passed 1 of 2 to come up$" /tmp/seen ||
	sed 's/^/# seen: /' /tmp/seen
check "... one pass is not enough: down, passed 1 of 2, then up" \
	grep -qE "^down (epm|rpc) .*: passed 1 of 2 to come up$" /tmp/seen
check_eq "the reason says so" "up every check passes" "$(health 10.0.2.12)"

# CAS3: the static port set in the registry, but the service not restarted.
fakerpc 3 emsmdb=49161/60001 nspi=60002
took=$(wait_health 10 10.0.2.13 down)
check "static port not in effect: down" test "$took" != never
check "... and reported as such" grep -qF \
	"EMSMDB registered at 49161, service forwards 60001 — static port not in effect?" \
	<<<"$(health 10.0.2.13)"
check "healthd logs the transition with the reason, in one line" grep -qF \
	"casvipctl healthd: cas 10.0.2.13 down: epm emsmdb=60001,nspi=60002: EMSMDB registered at 49161" /tmp/healthd.log
fakerpc 3 emsmdb=60001 nspi=60002
wait_health 10 10.0.2.13 up >/dev/null

# A single failed result shows, while the server stays up (fall 3).
kill -USR1 ${rpc[1]}
check "one failure: still up, the last result shows" wait_for_text 4 10.0.2.11 \
	"up epm emsmdb=60001,nspi=60002: EMSMDB is not registered with the endpoint mapper (failed 1 of 3)"
kill -USR2 ${rpc[1]}
check "the next success clears it" wait_for_text 4 10.0.2.11 "up every check passes"

# CAS1 flaps. The checks run every second; a window of 0.6 s holds at most
# one result of each.
changes() { # the changes of CAS1 healthd made in the kernel since line $1
	tail -n +$(($1 + 1)) /tmp/healthd.log |
		sed -n 's/^casvipctl healthd: cas 10.0.2.11 \(up\|down\): .*/\1/p' | xargs
}
state() { health 10.0.2.11 | cut -d' ' -f1; }
# Up, it fails for 0.6 s in every 2 s: never fall (3) failures in a row.
since=$(wc -l </tmp/healthd.log)
for k in 1 2 3; do
	kill -USR1 ${rpc[1]}; sleep 0.6; kill -USR2 ${rpc[1]}; sleep 1.4
done
check_eq "flapping, up: short failures never make fall 3, no change" "up []" \
	"$(state) [$(changes $since)]"
# It fails for good: down after fall. Then it passes for 0.6 s in every
# 2 s: never rise (2) successes in a row, so it stays down.
kill -USR1 ${rpc[1]}
wait_health 10 10.0.2.11 down >/dev/null
for k in 1 2 3; do
	kill -USR2 ${rpc[1]}; sleep 0.6; kill -USR1 ${rpc[1]}; sleep 1.4
done
check_eq "flapping, down: short passes never make rise 2, only the one change" \
	"down [down]" "$(state) [$(changes $since)]"
kill -USR2 ${rpc[1]}
wait_health 10 10.0.2.11 up >/dev/null
check_eq "... up for good: up again, two changes in all" "up [down up]" \
	"$(state) [$(changes $since)]"

# SIGHUP reads the checks again; SIGTERM ends healthd.
kill -HUP $healthd
sleep 0.5
check "SIGHUP: the checks are read again" grep -q "reading the checks again: checking 3 servers" /tmp/healthd.log
kill -TERM $healthd
wait $healthd
check_eq "SIGTERM: healthd exits cleanly" 0 $?
check_eq "the kernel took every result healthd set" "" \
	"$(grep 'cannot set' /tmp/healthd.log)"

# No healthd: the results grow old, and show says so once they are older
# than two rounds of the checks allow (2 x (1 + 1) s + 2 s).
check "with healthd gone, show says the health is stale" wait_for 10 \
	show_says "10.0.2.11 .*STALE: no result for [0-9]* s, is casvip-healthd running?"
# Each server's last result came a moment after the one before.
stale() { c -j show cas | jq -e '[.[0].servers[].health_stale] == [true, true, true]'; }
check "... and JSON too, for each of the three" wait_for 5 stale
check_eq "... and status, exit 3" \
	"cas: stale, 3 of 3 servers take new clients; 3 results older than the checks allow: is casvip-healthd running? 3" \
	"$(c status) $?"

# From here on health is set by hand: without checks no result is stale.
c check del cas epm emsmdb=60001,nspi=60002
c check del cas rpc emsmdb@60001
# What status says of the service, and its exit status.
state_now() {
	local out rc
	out=$(c status)
	rc=$?
	echo "${out%%;*} $rc"
}

# Every server down at once (set by hand now): the checks are likelier
# wrong than the three CAS. The service fails open: clients keep their
# server, new ones reach every enabled one, and show and status say so.
for i in 1 2 3; do c server set cas 10.0.2.1$i health up; done
c server set cas 10.0.2.11 health down
c server set cas 10.0.2.12 health down
check_eq "two of three down: status ok, exit 0" \
	"cas: ok, 1 of 3 servers take new clients 0" "$(state_now)"
first=$(on_server $(clients 1 6))
check_eq "... their clients on the one left" "srv3" \
	"$(awk '{ print $2 }' <<<"$first" | sort -u | xargs)"
c server set cas 10.0.2.13 health down
check_eq "all three down: status says failing open, exit 3" \
	"cas: failing-open, 3 of 3 servers take new clients 3" "$(state_now)"
check "show says so" show_says "FAILING OPEN: every server is down"
check_eq "failing open: the clients stay on their server" "$first" \
	"$(on_server $(clients 1 6))"
check_eq "... and new ones reach all three" "srv1 srv2 srv3" \
	"$(on_server $(clients 7 12) | awk '{ print $2 }' | sort -u | xargs)"
c service set cas alldown closed
check_eq "alldown closed: status says down, exit 3" \
	"cas: down, 0 of 3 servers take new clients 3" "$(state_now)"
check_eq "... and new clients are refused" "refused" \
	"$(on_server $(clients 13 15) | awk '{ print $2 }' | sort -u | xargs)"
c service set cas alldown open
c server set cas 10.0.2.11 health up
check_eq "one up again: it takes every client, old and new" "srv1" \
	"$(on_server $(clients 1 15) | awk '{ print $2 }' | sort -u | xargs)"
check_eq "status ok again" "cas: ok, 1 of 3 servers take new clients 0" \
	"$(state_now)"
c server set cas 10.0.2.11 drain
check_eq "the one up, drained for maintenance: the checks work, no failing open" \
	"cas: down, 0 of 3 servers take new clients 3" "$(state_now)"
c server set cas 10.0.2.11 enable

# A sorry server: a backup takes new clients only while no other can.
c server add cas 10.0.2.14 backup health up
check_eq "a backup takes no client while another can" "srv1" \
	"$(on_server $(clients 16 24) | awk '{ print $2 }' | sort -u | xargs)"
c server set cas 10.0.2.11 health down
check_eq "the others all down: status says on backup, exit 3" \
	"cas: on-backup, 1 of 4 servers take new clients 3" "$(state_now)"
check_eq "... new clients and old go to the backup, not failing open" "srv4" \
	"$(on_server $(clients 16 24) | awk '{ print $2 }' | sort -u | xargs)"
check "show says so" show_says "ON BACKUP: no other server takes new clients"
c server set cas 10.0.2.14 drain
check_eq "the backup drained: its clients stay on it" "srv4" \
	"$(on_server $(clients 16 24) | awk '{ print $2 }' | sort -u | xargs)"
check_eq "... and new ones are refused" "refused" \
	"$(on_server $(clients 25 27) | awk '{ print $2 }' | sort -u | xargs)"
c server set cas 10.0.2.14 enable
c server set cas 10.0.2.12 health up
check_eq "one back up: it takes every client, the backup's too" "srv2" \
	"$(on_server $(clients 16 24) | awk '{ print $2 }' | sort -u | xargs)"
c server set cas 10.0.2.12 health down
c server set cas 10.0.2.14 health down
check_eq "the backup down too: failing open, to the three and not the backup" \
	"srv1 srv2 srv3" \
	"$(on_server $(clients 25 39) | awk '{ print $2 }' | sort -u | xargs)"
c server del cas 10.0.2.14
c server set cas 10.0.2.11 health up
for i in 2 3; do c server set cas 10.0.2.1$i health up; done

# 200 servers, checked at once: they all time out within one interval.
{
	for i in $(seq 1 200); do echo "addr add 10.0.4.$i/32 dev lo"; done
} | $ip -n lab_s4 -batch -
$ip -n lab_lb route add 10.0.4.0/24 via 10.0.2.14
fakerpc 4 -f slow emsmdb=60001
{
	echo "service big vip 10.0.0.100 ports 60001"
	for i in $(seq 1 200); do echo "	server 10.0.4.$i"; done
	echo "	check rpc emsmdb@60001 interval 2 timeout 1 rise 1 fall 1"
} >/tmp/big.conf
c apply /tmp/big.conf >/dev/null
start=${EPOCHREALTIME/./}
$ip netns exec lab_lb casvipctl healthd 2>/tmp/big.log &
healthd=$!
down=0 took=never
while [ $(((${EPOCHREALTIME/./} - start) / 1000000)) -lt 40 ]; do
	down=$(c -j show big | jq '[.[0].servers[] | select(.health == "down")] | length')
	if [ "$down" = 200 ]; then
		took=$(((${EPOCHREALTIME/./} - start) / 1000))
		break
	fi
	sleep 0.5
done
echo "# 200 slow servers marked down after $took ms (timeout 1 s, interval 2 s)"
check_eq "200 servers checked at once: all down" 200 "$down"
# One after the other, 200 timeouts of 1 s would take 200 s.
check "... after their 1 s timeout, within 20 s: all at once ($took ms)" \
	test "$took" != never -a "${took:-0}" -ge 1000 -a "${took:-0}" -le 20000
kill -TERM $healthd
wait $healthd
check_eq "... each of the 200 set without an error" "" \
	"$(grep 'cannot set' /tmp/big.log)"

# The 200 healthy again, 150 ms away, checked by a healthd of 40
# descriptors: it runs as many checks at once as it has descriptors for
# (some 60 would be under way), and takes none down for want of one.
fakerpc 4 emsmdb=60001
sed -i 's/interval 2 timeout 1/interval 5 timeout 3/' /tmp/big.conf
c apply /tmp/big.conf >/dev/null
if $ip netns exec lab_s4 tc qdisc add dev eth0 root netem delay 150ms; then
	(ulimit -n 40 && exec $ip netns exec lab_lb casvipctl healthd) 2>/tmp/fd.log &
	healthd=$!
	up200() { [ "$(c -j show big | jq '[.[0].servers[] | select(.health == "up")] | length')" = 200 ]; }
	check "40 descriptors, 200 checks of 300 ms each (two round trips of 150): all 200 up" wait_for 20 up200
	check_eq "... none down for want of a descriptor" "" \
		"$(c -j show big | jq -r '.[0].servers[] | select(.health == "down") | .health_reason' | sort -u)"
	kill -TERM $healthd
	wait $healthd
	$ip netns exec lab_s4 tc qdisc del dev eth0 root
else
	ktap_skip "40 descriptors for 200 checks" "no netem in this kernel"
fi

# A hung CAS (it accepts, and never answers) under a check whose timeout
# is longer than the 5 s in which healthd looks at the kernel again: the
# check runs to its end, and the CAS goes down. Services of no server
# ahead of it stop nothing.
fakerpc 4 -f mute emsmdb=60001
cat >/tmp/hung.conf <<'CONF'
service e1 vip 10.0.0.100 ports 1001
	check tcp 1001
service e2 vip 10.0.0.100 ports 1002
	check tcp 1002
service hung vip 10.0.0.100 ports 60001
	server 10.0.2.14
	check rpc emsmdb@60001 interval 10 timeout 7 rise 1 fall 1
CONF
c apply /tmp/hung.conf >/dev/null
$ip netns exec lab_lb casvipctl healthd 2>/tmp/hung.log &
healthd=$!
hung_health() { c -j show hung | jq -r '.[0].servers[0] | "\(.health) \(.health_reason)"'; }
hung_down() { [ "$(hung_health | cut -d' ' -f1)" = down ]; }
check "services of no server first: the one with a server is checked" \
	wait_for 3 grep -q "checking 1 servers" /tmp/hung.log
check "a hung CAS, timeout 7 s: down once it is over" wait_for 12 hung_down
check_eq "... because it timed out" \
	"down rpc emsmdb@60001: no answer within the timeout" "$(hung_health)"
kill -TERM $healthd
wait $healthd

# OWA on 443 of the same CAS: an https check GETs its health page. CAS1
# answers 200, CAS2 503 (its app pool stopped), CAS3 has nothing on 443.
printf '[req]\ndistinguished_name=dn\n[dn]\n' >/tmp/req.cnf
openssl req -x509 -config /tmp/req.cnf -newkey ec \
	-pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=cas.example \
	-keyout /tmp/cas.key -out /tmp/cas.pem -days 1 2>/dev/null
printf '#!/bin/sh\nread l\nprintf "HTTP/1.1 %%s\\r\\nContent-Length: 0\\r\\n\\r\\n" "$1"\n' >/tmp/answer.sh
chmod +x /tmp/answer.sh
declare -a web
for n in 1 2; do
	code=$([ $n = 1 ] && echo 200 || echo 503)
	$ip netns exec lab_s$n socat OPENSSL-LISTEN:443,reuseaddr,fork,cert=/tmp/cas.pem,key=/tmp/cas.key,verify=0 \
		EXEC:"/tmp/answer.sh $code" 2>/dev/null &
	web[$n]=$!
done
$ip netns exec lab_s1 socat TCP-LISTEN:80,reuseaddr,fork EXEC:"/tmp/answer.sh 200" 2>/dev/null &
web[3]=$!
sleep 0.3
cat >/tmp/owa.conf <<'CONF'
service owa vip 10.0.0.100 ports 443
	server 10.0.2.11
	server 10.0.2.12
	server 10.0.2.13
	check https 443/owa/healthcheck.htm interval 1 timeout 1 rise 1 fall 1
CONF
c apply /tmp/owa.conf >/dev/null
$ip netns exec lab_lb casvipctl healthd 2>/tmp/owa.log &
healthd=$!
owa() { c -j show owa | jq -r '[.[0].servers[] | "\(.health) \(.health_reason)"] | join("|")'; }
want="up every check passes|down https 443/owa/healthcheck.htm: HTTP 503, not 200|down https 443/owa/healthcheck.htm: port 443: connection refused"
owa_settled() { [ "$(owa)" = "$want" ]; }
check "https: CAS1 up, CAS2 and CAS3 down, each with what it answered" \
	wait_for 10 owa_settled
check_eq "... as show says" "$want" "$(owa)"
kill -TERM $healthd
wait $healthd
check_eq "the certificate is checked only when asked: self-signed" \
	"ok 10.0.2.11 https 443/owa/healthcheck.htm: HTTP 200
fail 10.0.2.11 https 443/owa/healthcheck.htm verify: TLS handshake: certificate: self-signed certificate" \
	"$(lb casvipctl check-server 10.0.2.11 https 443/owa/healthcheck.htm \
		https 443/owa/healthcheck.htm verify)"
check_eq "a status other than 200 when it is the one wanted; http too" \
	"ok 10.0.2.12 https 443/ status 503: HTTP 503
ok 10.0.2.11 http 80/owa/healthcheck.htm: HTTP 200" \
	"$(lb casvipctl check-server 10.0.2.12 https 443/ status 503
	   lb casvipctl check-server 10.0.2.11 http 80/owa/healthcheck.htm)"
kill ${web[@]} 2>/dev/null
wait ${web[@]} 2>/dev/null

kill ${rpc[@]} 2>/dev/null
wait ${rpc[@]} 2>/dev/null
topo_down
ktap_done
