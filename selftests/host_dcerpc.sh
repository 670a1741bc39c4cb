#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-server against fakerpc on loopback, in a network namespace of its
# own: every fault gives its own reason; and two independent DCE/RPC
# implementations agree with ours: impacket's hept_map reads the fake's
# endpoint mapper, and tshark's dissector reads our bind and ept_map.
# usage: host_dcerpc.sh (as root)
[ -n "${IN_NETNS:-}" ] || exec unshare -n env IN_NETNS=1 "$0" "$@"
cd "$(dirname "$0")/.."
. selftests/lib.sh
ip link set lo up
B=selftests/build
C=ctl/casvipctl
fake=

fake() { # FAKERPC ARGS: (re)start the fake CAS
	[ -n "$fake" ] && kill $fake && wait $fake 2>/dev/null
	$B/fakerpc "$@" &
	fake=$!
	sleep 0.2
}

# check_result DESC EXIT TEXT CHECK...: check-server's exit and output
check_result() {
	local desc=$1 code=$2 text=$3 out rc
	shift 3
	out=$($C check-server 127.0.0.1 "$@" timeout 1)
	rc=$?
	if [ $rc = "$code" ] && grep -qF -- "$text" <<<"$out"; then
		ktap_result 0 "$desc"
	else
		ktap_result 1 "$desc"
		echo "# want exit $code and: $text"
		echo "# got exit $rc and: $out"
	fi
}

EPM="epm emsmdb=60001,nspi=60002"
fake emsmdb=60001 nspi=60002
check_result "tcp: connected" 0 "ok 127.0.0.1 tcp 135: connected" tcp 135
check_result "rpc: bind accepted" 0 "bind to EMSMDB accepted" rpc emsmdb@60001
check_result "epm: every interface at its port" 0 "every interface is at its port" $EPM
check_result "rpc: the wrong interface is named" 1 \
	"NSPI is not offered here (bind rejected: abstract syntax not supported)" rpc nspi@60001
check_result "tcp: refused" 1 "port 60009: connection refused" tcp 60009
out=$($C -j check-server 127.0.0.1 tcp 135 tcp 60009 timeout 1)
check_eq "-j: one object per check" "ok fail" "$(jq -r '[.[].result] | join(" ")' <<<"$out")"

fake emsmdb=49161/60001 nspi=60002
check_result "static port not in effect, by name" 1 \
	"EMSMDB registered at 49161, service forwards 60001 — static port not in effect?" $EPM
check_result "... while the service itself answers" 0 "bind to EMSMDB accepted" rpc emsmdb@60001

fake emsmdb=60001
check_result "interface missing from the mapper" 1 \
	"NSPI is not registered with the endpoint mapper" $EPM

# Without static ports (follow): where each interface is.
fake emsmdb=49161 nspi=52011
check_result "epm without ports: where each interface is, followed" 0 \
	"EMSMDB at 49161, NSPI at 52011, followed" epm emsmdb,nspi
check_result "... and a missing one is still missing" 1 \
	"RFR is not registered with the endpoint mapper" epm emsmdb,rfr

fake emsmdb=60001 nspi=60002
kill -USR1 $fake
sleep 0.3
check_result "service stopped: its port refuses" 1 "connection refused" rpc emsmdb@60001
check_result "service stopped: the mapper forgets it" 1 \
	"EMSMDB is not registered with the endpoint mapper" $EPM
check_result "service stopped: 135 still connects" 0 "connected" tcp 135
kill -USR2 $fake
sleep 0.3
check_result "service started again" 0 "every interface is at its port" $EPM

while read -r f code text; do
	fake -f "$f" emsmdb=60001 nspi=60002
	check_result "fault $f" "$code" "$text" $EPM
done <<'FAULTS'
slow 1 no answer within the timeout
garbage 1 the answer is not DCE/RPC
reset 1 connection reset
nak 1 bind to EPM refused (bind_nak, reason 2)
fault 1 the server answered with fault 0x1c010003
reject 1 EPM is not offered here
callid 1 the answer is for another call (wrong call id)
notregistered 1 EMSMDB is not registered with the endpoint mapper
bigendian 0 every interface is at its port
split 0 every interface is at its port
FAULTS

# impacket, an independent client, against the fake's endpoint mapper.
fake emsmdb=60001 nspi=60002
out=$(/usr/bin/python3 - <<'PY' 2>&1
from impacket.dcerpc.v5 import epm
for uuid, ver in (("A4F1DB00-CA47-1067-B31F-00DD010662DA", "0.81"),
                  ("F5CC5A18-4264-101A-8C59-08002B2F8426", "56.0")):
    print(epm.hept_map("127.0.0.1", epm.uuidtup_to_bin((uuid, ver)),
                       protocol="ncacn_ip_tcp"))
PY
)
check_eq "impacket's hept_map reads the fake's towers" \
	"ncacn_ip_tcp:127.0.0.1[60001] ncacn_ip_tcp:127.0.0.1[60002]" "$(echo $out)"

# tshark's dissector, an independent reader, on what check-server sends.
pcap=$(mktemp --suffix=.pcap)
tshark -q -i lo -f "tcp port 135" -w "$pcap" -a duration:4 2>/dev/null &
tsh=$!
sleep 2
$C check-server 127.0.0.1 epm emsmdb=60001 >/dev/null
wait $tsh
# pkt_type 11: bind, 0: request. Fields as tshark's dissector reads them.
fields() { tshark -r "$pcap" -Y "dcerpc.pkt_type == $1" -T fields "${@:2}" 2>/dev/null; }
check_eq "tshark: our bind is one Bind of 72 bytes to the endpoint mapper v3.0" \
	"72 e1af8308-5d1f-11c9-91a4-08002b14a0fa 3 0" \
	"$(fields 11 -e dcerpc.cn_frag_len -e dcerpc.cn_bind_to_uuid \
		-e dcerpc.cn_bind_if_ver -e dcerpc.cn_bind_if_ver_minor | xargs)"
check_eq "tshark: our ept_map is one request of 156 bytes, opnum 3 (Map)" "156 3" \
	"$(fields 0 -e dcerpc.cn_frag_len -e dcerpc.opnum | xargs)"
# The object (nil), then the tower's floors: EMSMDB, over NDR.
check_eq "tshark: ... for the tower of EMSMDB over NDR" \
	"00000000-0000-0000-0000-000000000000,a4f1db00-ca47-1067-b31f-00dd010662da,8a885d04-1ceb-11c9-9fe8-08002b104860" \
	"$(fields 0 -e epm.uuid)"
rm -f "$pcap"
kill $fake
echo "1..$ktap_n"
