#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configuration files: lint catches each mistake by line; apply makes the
# running state that of the file with the fewest changes, and an invalid
# file changes nothing; save | apply - changes nothing.
. /tests/lib.sh
c=casvipctl
modprobe casvip
$c flush
$ip link add casvip0 type dummy
$ip addr add 10.0.0.100/32 dev casvip0
$ip addr add 10.0.0.101/32 dev casvip0
$ip link set casvip0 up

cat >/tmp/cas.conf <<'CONF'
# Exchange CAS array: RPC Client Access on 60001, Address Book on 60002.
service outlook vip 10.0.0.100 ports 135,60001-60002 sched mh persist 3600 persist-max 5000 snat masquerade

	server 10.0.2.11 weight 100
	server 10.0.2.12 weight 100   # CAS2
	server 10.0.2.13 weight 50 drain
	check epm emsmdb=60001,nspi=60002 interval 5
	check rpc emsmdb@60001
service udp vip 10.0.0.100 proto udp ports 135 netmask 24 snat 10.0.2.254
	server 10.0.2.11
	check none
CONF

check_eq "lint: a good file" "/tmp/cas.conf: 0 errors, 0 warnings" \
	"$($c lint /tmp/cas.conf)"
check_eq "apply --dry-run shows the plan and changes nothing" \
	"service add outlook vip 10.0.0.100 proto tcp ports 135,60001-60002 sched mh persist 3600 netmask 32 persist-max 5000 snat masquerade
server add outlook 10.0.2.11 weight 100 enable
server add outlook 10.0.2.12 weight 100 enable
server add outlook 10.0.2.13 weight 50 drain
check add outlook epm emsmdb=60001,nspi=60002 interval 5 timeout 3 rise 2 fall 3
check add outlook rpc emsmdb@60001 interval 5 timeout 3 rise 2 fall 3
service add udp vip 10.0.0.100 proto udp ports 135 sched mh persist 3600 netmask 24 snat 10.0.2.254
server add udp 10.0.2.11 weight 100 enable
check add udp none
[]" "$($c apply --dry-run /tmp/cas.conf; $c -j show)"
check "apply" $c apply /tmp/cas.conf
check_eq "the running state is the file's" \
	"outlook 135,60001-60002 32 5000 masquerade 10.0.2.11/100/enabled 10.0.2.12/100/enabled 10.0.2.13/50/draining udp 135 24 0 10.0.2.254 10.0.2.11/100/enabled" \
	"$($c -j show | jq -r '[.[] | .name, .ports, .netmask, .persist_max, .snat, (.servers[] | "\(.address)/\(.weight)/\(.admin)")] | join(" ")')"
check_eq "apply again: nothing to change" "nothing to change" "$($c apply /tmp/cas.conf)"
check_eq "save | apply - changes nothing" "nothing to change" \
	"$($c save | $c apply -)"
$c server add outlook 10.0.2.20 backup
check_eq "save writes a backup server as one" "	server 10.0.2.20 weight 100 enable backup" \
	"$($c save | grep 10.0.2.20)"
check_eq "... save | apply - changes nothing" "nothing to change" \
	"$($c save | $c apply -)"
check_eq "a file that makes it primary again says so" \
	"server set outlook 10.0.2.20 primary" \
	"$($c save | sed 's/ backup$//' | $c apply --dry-run -)"
$c server del outlook 10.0.2.20
check_eq "save writes every setting of each service" \
	"service outlook vip 10.0.0.100 proto tcp ports 135,60001-60002 sched mh persist 3600 netmask 32 persist-max 5000 snat masquerade
service udp vip 10.0.0.100 proto udp ports 135 sched mh persist 3600 netmask 24 snat 10.0.2.254" \
	"$($c save | grep '^service')"
check_eq "save writes the checks, each with all its settings" \
"	check epm emsmdb=60001,nspi=60002 interval 5 timeout 3 rise 2 fall 3
	check rpc emsmdb@60001 interval 5 timeout 3 rise 2 fall 3
	check none" "$($c save | grep '	check')"
$c save >/tmp/saved.conf
check_eq "a saved file lints clean" "/tmp/saved.conf: 0 errors, 0 warnings" \
	"$($c lint /tmp/saved.conf)"
check_eq "show lists the checks" \
	"  check epm emsmdb=60001,nspi=60002 interval 5 timeout 3 rise 2 fall 3
  check rpc emsmdb@60001 interval 5 timeout 3 rise 2 fall 3" \
	"$($c show outlook | grep '^  check')"

# A check's typo (6001 for 60001) would take every server down: lint says
# so and apply refuses; a check of another port is allowed when it says so.
sed 's/check rpc emsmdb@60001/check rpc emsmdb@6001/' /tmp/cas.conf >/tmp/typo.conf
check_eq "a check of a port the service does not forward: an error" \
	"/tmp/typo.conf:8: error: check rpc emsmdb@6001 of service \"outlook\" connects to port 6001, which the service does not forward (ports 135,60001-60002); add \"unforwarded\" to the check if that is meant
/tmp/typo.conf: 1 error, 0 warnings 1" "$($c lint /tmp/typo.conf) $?"
check_err "... and apply refuses it" 1 "1 error: nothing changed" \
	$c apply /tmp/typo.conf
sed -i 's/check rpc emsmdb@6001/& unforwarded/' /tmp/typo.conf
check_eq "... unless it says \"unforwarded\"" "/tmp/typo.conf: 0 errors, 0 warnings" \
	"$($c lint /tmp/typo.conf)"
check_eq "apply says how the checks change" \
	"check del outlook rpc emsmdb@60001 interval 5 timeout 3 rise 2 fall 3
check add outlook rpc emsmdb@6001 interval 5 timeout 3 rise 2 fall 3 unforwarded" \
	"$($c apply --dry-run /tmp/typo.conf)"
sed 's/^	check none$//' /tmp/cas.conf >/tmp/nocheck.conf
check_eq "a service with servers and no check: a warning" \
	"/tmp/nocheck.conf:9: warning: service \"udp\" has servers and no check: nothing sets their health (add \"check none\" if that is meant)" \
	"$($c lint /tmp/nocheck.conf | grep ': warning:')"

# The same checks, one by one from the command line.
check "check del" $c check del outlook rpc emsmdb@60001
check "check add" $c check add outlook rpc emsmdb@60001 interval 5
check_eq "... make the same state: nothing to change" "nothing to change" \
	"$($c apply --dry-run /tmp/cas.conf)"
check_err "check add of a check the service has" 1 \
	"service \"outlook\" has that check already" \
	$c check add outlook rpc emsmdb@60001
check_err "check del of one it has not" 1 "service \"outlook\" has no such check" \
	$c check del outlook tcp 80
check_err "check add of a port the service does not forward: refused" 1 \
	"check rpc emsmdb@6001 of service \"outlook\" connects to port 6001, which the service does not forward" \
	$c check add outlook rpc emsmdb@6001
check_err "check add none to a service with checks: refused" 1 \
	"service \"outlook\" has checks: \"none\" would contradict them" \
	$c check add outlook none

# Fewest changes: a weight change is a weight change; clients stay.
$c persist add outlook client 10.0.1.1 server 10.0.2.11
$c persist add outlook client 10.0.1.2 server 10.0.2.12
sed -i 's/10.0.2.12 weight 100/10.0.2.12 weight 30/; /10.0.2.13/d' /tmp/cas.conf
check_eq "a changed weight is one server set, a removed server one del" \
	"server del outlook 10.0.2.13
server set outlook 10.0.2.12 weight 30" "$($c apply --dry-run /tmp/cas.conf)"
check "apply the change" $c apply /tmp/cas.conf
check_eq "unchanged and re-weighted servers keep their clients" \
	"10.0.1.1 10.0.2.11 10.0.1.2 10.0.2.12" \
	"$($c -j persist show outlook | jq -r '[.[] | .client, .server] | join(" ")')"
# A drain made at run time, for patching, outlives a reload of a file
# whose line names no state, and the reload says so; a line that names
# one wins.
$c server set outlook 10.0.2.11 drain
check_eq "a reload keeps a drain made at run time, and says so" \
	"note: server 10.0.2.11 of service \"outlook\" stays draining, as set at run time: its line names no state (add \"enable\" to it to undo that)
nothing to change" "$($c apply /tmp/cas.conf 2>&1)"
check_eq "... the server is draining still" draining \
	"$($c -j show outlook | jq -r '.[0].servers[] | select(.address == "10.0.2.11") | .admin')"
sed -i 's/^	server 10.0.2.11 weight 100$/& enable/' /tmp/cas.conf
check_eq "a line that says enable undoes it" \
	"server set outlook 10.0.2.11 enable" "$($c apply --dry-run /tmp/cas.conf)"
$c apply /tmp/cas.conf
check_eq "the words of show work with set: draining, enabled" "draining enabled" \
	"$({ $c server set outlook 10.0.2.11 draining
	     $c -j show outlook | jq -r '.[0].servers[] | select(.address == "10.0.2.11") | .admin'
	     $c server set outlook 10.0.2.11 enabled
	     $c -j show outlook | jq -r '.[0].servers[] | select(.address == "10.0.2.11") | .admin'
	   } | xargs)"
check_err "an unknown word says what was meant" 2 \
	'unknown keyword "draning": did you mean "draining"?' \
	$c server set outlook 10.0.2.11 draning
check_eq "options after the command: show -j" "outlook udp" \
	"$($c show -j | jq -r '[.[].name] | join(" ")')"

check_eq "apply -j prints the plan as JSON" '["service del udp"]' \
	"$(grep -v '^service udp\|^	server 10.0.2.11$\|^	check none$' /tmp/cas.conf >/tmp/noudp.conf
	   $c -j apply --dry-run /tmp/noudp.conf)"

# An invalid file changes nothing, even with the error on its last line.
{
	for i in $(seq 1 300); do
		echo "service s$i vip 10.0.0.101 ports $i"
		echo "	server 10.0.3.1"
	done
	echo "service last vip 10.0.0.101 ports 70000"
} >/tmp/big.conf
before=$(show_state)
check_err "an error on the last line of 601" 1 \
	"/tmp/big.conf:601: error: port 70000 is out of the range 1-65535" \
	$c apply /tmp/big.conf
check_eq "... changed nothing" "$before" "$(show_state)"
sed -i '$d' /tmp/big.conf
check "the same file without it applies" $c apply /tmp/big.conf
check_eq "300 services" 300 "$($c -j show | jq length)"
check "and the first file puts everything back" $c apply /tmp/cas.conf
check_eq "two services again" "outlook udp" "$($c -j show | jq -r '[.[].name] | join(" ")')"

# lint: every mistake, with its line.
cat >/tmp/bad.conf <<'CONF'
service a vip 10.0.0.100 ports 135,60001-60002
	server 10.0.2.11
	server 10.0.2.11
service b vip 10.0.0.100 ports 60002
service a vip 10.0.0.101 ports 136
service c vip 10.0.0.101 ports 80000
service d vip 10.9.9.9 ports 137
service e vip 10.0.0.101 ports 6001,7000-7001
	server 2001:db8::1
	check none
CONF
out=$($c lint /tmp/bad.conf)
check_eq "lint exits 1 on errors" 1 "$($c lint /tmp/bad.conf >/dev/null; echo $?)"
for want in \
	"/tmp/bad.conf:3: error: server 10.0.2.11 is listed twice in service \"a\" (first at line 2)" \
	"/tmp/bad.conf:4: error: service \"b\" claims tcp 10.0.0.100 port 60002, as does service \"a\" (line 1)" \
	"/tmp/bad.conf:5: error: service \"a\" is defined again (first at line 1)" \
	"/tmp/bad.conf:6: error: port 80000 is out of the range 1-65535" \
	"/tmp/bad.conf:7: warning: VIP 10.9.9.9 is not an address of this host" \
	"/tmp/bad.conf:8: warning: port 7000 of service \"e\" lies in the dynamic RPC range of Exchange CAS (6005-59530)" \
	"/tmp/bad.conf:9: error: server 2001:db8::1 is not of the family of the VIP of \"e\""; do
	check "lint: ${want#*: }" grep -qF "$want" <<<"$out"
done
check_eq "lint -j: the same, as JSON" \
	"$(grep -c ': error: \|: warning: ' <<<"$out") 5" \
	"$($c -j lint /tmp/bad.conf | jq -r 'length, ([.[] | select(.level == "error")] | length)' | xargs)"
check_eq "lint -j: file, line, level, message" \
	'/tmp/bad.conf 6 error port 80000 is out of the range 1-65535' \
	"$($c -j lint /tmp/bad.conf | jq -r '.[] | select(.line == 6) | "\(.file) \(.line) \(.level) \(.message)"')"
check_eq "lint: ports 6001,7000-7001: one warning, for 7000 (6001 is below the range)" \
	"/tmp/bad.conf:8: warning: port 7000 of service \"e\" lies in the dynamic RPC range of Exchange CAS (6005-59530): a dynamic port of another service can collide with it" \
	"$(grep '^/tmp/bad.conf:8:' <<<"$out")"
# Both ends of the range, from either side.
cat >/tmp/range.conf <<'CONF'
service below vip 10.0.0.100 ports 6000-6004
service first vip 10.0.0.100 ports 6005
service last vip 10.0.0.100 ports 59530
service above vip 10.0.0.100 ports 59531-59540
service across vip 10.0.0.101 ports 5990-6010,59520-59600
CONF
check_eq "lint: the dynamic range is 6005-59530, both ends included" \
	"/tmp/range.conf:2: warning: port 6005 of service \"first\" lies in the dynamic RPC range of Exchange CAS (6005-59530): a dynamic port of another service can collide with it
/tmp/range.conf:3: warning: port 59530 of service \"last\" lies in the dynamic RPC range of Exchange CAS (6005-59530): a dynamic port of another service can collide with it
/tmp/range.conf:5: warning: port 6005 of service \"across\" lies in the dynamic RPC range of Exchange CAS (6005-59530): a dynamic port of another service can collide with it
/tmp/range.conf:5: warning: port 59520 of service \"across\" lies in the dynamic RPC range of Exchange CAS (6005-59530): a dynamic port of another service can collide with it
/tmp/range.conf: 0 errors, 4 warnings" "$($c lint /tmp/range.conf)"
# The simple way without static ports: 135 and a whole dynamic range, in
# one service, is no mistake; the range without 135 is.
cat >/tmp/whole.conf <<'CONF'
service exchange2010 vip 10.0.0.100 ports 135,6005-59530
service windows vip 10.0.0.101 ports 135,49152-65535
service nomapper vip 10.0.0.100 proto udp ports 6005-59530
service withweb vip 10.0.0.101 proto udp ports 80,135,6005-59530
CONF
check_eq "lint: 135 with a whole dynamic range is the simple way, no warning" \
	"/tmp/whole.conf:3: warning: port 6005 of service \"nomapper\" lies in the dynamic RPC range of Exchange CAS (6005-59530): a dynamic port of another service can collide with it
/tmp/whole.conf: 0 errors, 1 warning" "$($c lint /tmp/whole.conf)"
# An epm check without ports takes each interface wherever its mapper
# says: right for a service that follows the mapper, a mistake otherwise.
cat >/tmp/follow.conf <<'CONF'
service static vip 10.0.0.100 ports 135,60001-60002
	check epm emsmdb,nspi=60002
service dynamic vip 10.0.0.101 ports 135 follow exchange
	check epm emsmdb,nspi
CONF
check_eq "lint: an epm check without ports needs a service that follows" \
	"/tmp/follow.conf:2: error: check epm emsmdb,nspi=60002 of service \"static\" takes EMSMDB at whatever port the mapper says, which only a service that follows the endpoint mapper forwards; give EMSMDB=PORT, or add \"follow\" to the service
/tmp/follow.conf: 1 error, 0 warnings" "$($c lint /tmp/follow.conf)"
# Ambiguous input is a mistake, not a choice of the last word.
cat >/tmp/amb.conf <<'CONF'
service a vip 10.0.0.101 vip 10.0.0.100 ports 135
	server 10.0.0.3 enable disable
	server 10.0.0.4 weight 1 weight 2
	check epm ,,emsmdb=1,,emsmdb=2 unforwarded
	check epm emsmdb=1,emsmdb=2 unforwarded
	check rpc a4f1db00ca471067b31f00dd010662da1234:0.81@135
	check rpc a4f1db00-ca47-1067-b31f-00dd010662da:0.81xyz@135
	check tcp 135 interval 5 interval 6
CONF
check_eq "lint: every ambiguous line, by line" \
	'/tmp/amb.conf:1: error: "vip" is given twice
/tmp/amb.conf:2: error: two states: "enabled" and "disable"
/tmp/amb.conf:3: error: "weight" is given twice
/tmp/amb.conf:4: error: check epm: ",,emsmdb=1,,emsmdb=2" has an empty item
/tmp/amb.conf:5: error: check epm: "emsmdb=1,emsmdb=2" names EMSMDB twice
/tmp/amb.conf:6: error: interface "a4f1db00ca471067b31f00dd010662da1234:0.81" is not epm, emsmdb, asyncemsmdb, nspi, rfr or UUID:MAJOR.MINOR
/tmp/amb.conf:7: error: interface "a4f1db00-ca47-1067-b31f-00dd010662da:0.81xyz" is not epm, emsmdb, asyncemsmdb, nspi, rfr or UUID:MAJOR.MINOR
/tmp/amb.conf:8: error: check interval is given twice
/tmp/amb.conf: 8 errors, 0 warnings' "$($c lint /tmp/amb.conf)"
check_eq "a UUID interface saved reads back" \
	"	check rpc a4f1db00-ca47-1067-b31f-00dd010662da:0.82@135 interval 5 timeout 3 rise 2 fall 3" \
	"$($c service add u vip 10.0.0.101 ports 135
	   $c check add u rpc a4f1db00-ca47-1067-b31f-00dd010662da:0.82@135
	   $c save | grep '	check rpc a4f1'; $c service del u)"

check_err "apply refuses the file, naming the errors" 1 "5 errors: nothing changed" \
	$c apply /tmp/bad.conf
check_err "a missing file" 1 "cannot read /nonexistent.conf" $c apply /nonexistent.conf
check_eq "a directory is no empty file: an error, exit 1" \
	"/etc: 1 error 1" \
	"$($c -j lint /etc >/tmp/l.json; rc=$?
	   echo "$(jq -r '"\(.[0].file): \(length) error"' /tmp/l.json) $rc")"

# Changes the kernel cannot make in place or in the file's order: apply
# orders them, or replaces the service, and reaches the file's state.
printf 'service one vip 10.0.0.101 ports 7001-7002\nservice two vip 10.0.0.101 ports 7003\n' >/tmp/m1.conf
$c apply /tmp/m1.conf >/dev/null
printf 'service two vip 10.0.0.101 ports 7002-7003\nservice one vip 10.0.0.101 ports 7001\n' >/tmp/m2.conf
check_eq "a port moving to the service listed first: the other lets go of it first" \
	"service set one vip 10.0.0.101 proto tcp ports 7001
service set two vip 10.0.0.101 proto tcp ports 7002-7003" \
	"$($c apply --dry-run /tmp/m2.conf)"
check "... and apply makes it" $c apply /tmp/m2.conf
printf 'service one vip 10.0.0.101 ports 7002-7003\nservice two vip 10.0.0.101 ports 7001\n' >/tmp/m3.conf
check_eq "two services swapping ports: the first is replaced" \
	"service del one|service set two vip 10.0.0.101 proto tcp ports 7001|service add one vip 10.0.0.101 proto tcp ports 7002-7003" \
	"$($c apply --dry-run /tmp/m3.conf | cut -d' ' -f1-9 | paste -sd'|')"
check "... and apply makes it" $c apply /tmp/m3.conf
check_eq "... the file's state" "one 7002-7003 two 7001" \
	"$($c -j show | jq -r 'sort_by(.name) | [.[] | .name, .ports] | join(" ")')"
printf 'service one vip 2001:db8::101 ports 7002-7003\nservice two vip 10.0.0.101 ports 7001\n' >/tmp/m4.conf
check_eq "a VIP of the other family: the service is replaced" \
	"service del one|service add one vip 2001:db8::101" \
	"$($c apply --dry-run /tmp/m4.conf | cut -d' ' -f1-5 | paste -sd'|')"
check "... and apply makes it" $c apply /tmp/m4.conf 2>/dev/null
# A step the kernel refuses half-way (4097 servers): what was done is
# undone, and the state is as apply found it.
before=$(show_state)
{
	echo "service two vip 10.0.0.101 ports 7001"
	echo "service big vip 10.0.0.101 ports 7100"
	for i in $(seq 1 4097); do echo "	server 10.$((i / 256)).$((i % 256)).1"; done
	echo "	check none"
} >/tmp/m5.conf
check_err "a refused step: apply puts back what it changed" 1 \
	"the running state is put back as it was: nothing changed" $c apply /tmp/m5.conf
check_eq "... service one, deleted first, is back: nothing changed" "$before" \
	"$(show_state)"

$c flush
$ip link del casvip0
ktap_done
