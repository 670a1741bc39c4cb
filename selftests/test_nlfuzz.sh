#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hostile netlink: nlfuzz sends random and mutated-valid messages to the
# casvip family in the balancer's namespace, as root while clients keep
# connecting through a service, then as an unprivileged user, which must
# change nothing. Afterwards the module still works and unloads cleanly;
# the runner checks the kernel log.
. /tests/lib.sh
. /tests/topo.sh
# 250,000 of each (about 0.1 ms a message under TCG); the kernel command
# line can ask for another count: casvipfuzz=N (make fuzz: 10 million).
N=$(sed -n 's/.*casvipfuzz=\([0-9]*\).*/\1/p' /proc/cmdline)
N=${N:-250000}

modprobe casvip
# The fuzzer creates the namespace's first service and deletes its last
# thousands of times, and each time the kernel registers or unregisters its
# netfilter hooks, re-patching the static branches in the packet path.
# QEMU's software emulation then, now and again, goes on running a stale
# int3 and locks a CPU up (seen: a soft lockup at the static branch in
# ip_local_deliver, every register the same from one report to the next,
# the other CPU idle). A service in a namespace of its own keeps the hooks'
# branches on, as on any box whose firewall hooks them.
$ip netns add lab_pin
$ip netns exec lab_pin casvipctl service add pin vip 10.9.9.9 ports 1
topo_up
cat >/tmp/cas.conf <<'CONF'
service cas vip 10.0.0.100 ports 135,60001-60002 sched rr
	server 10.0.2.11
	server 10.0.2.12
CONF
c apply /tmp/cas.conf >/dev/null
# Traffic all along: clients connect, over and over, until told to stop.
(while [ ! -e /tmp/stop ]; do
	cl /tests/vipclient -t 300 10.0.0.100 135 $(clients 1 8) >/dev/null
done) &
traffic=$!

# "sent S of N, answered A of the E that fit: ...": every message went out,
# and every one the kernel must answer (all but those whose length claims
# more than was sent, about 1 in 16) got its answer.
fuzzed() { # WHO OUTPUT
	local sent answered fit
	read -r sent answered fit < <(sed -n \
		's/^sent \([0-9]*\) of [0-9]*, answered \([0-9]*\) of the \([0-9]*\) that fit:.*/\1 \2 \3/p' <<<"$2")
	check_eq "$1: all $N messages sent" "$N" "${sent:-none}"
	check "$1: 9/10 to all of them must be answered (${fit:-none})" \
		test "${fit:-0}" -ge $((N * 9 / 10)) -a "${fit:-0}" -le "$N"
	check_eq "$1: each of those was answered" "${fit:-none}" "${answered:-none}"
}
out=$(lb /tests/nlfuzz $N 1)
echo "# root: $out"
fuzzed root "$out"

# The services the fuzzer names (f0..f7, VIPs 10.0.0.0-3, servers
# 10.0.2.0-3), each with a client pinned, so that an unprivileged request
# that got through would show: a service, server or client changed, added
# or gone. Flushed first: the root fuzzer may have left services, servers
# and pinned clients of its own behind.
c flush
{
	cat /tmp/cas.conf
	for i in 0 1 2 3 4 5 6 7; do
		echo "service f$i vip 10.0.0.$((i % 4)) ports $((i + 1))"
		for s in 0 1 2 3; do echo "	server 10.0.2.$s"; done
	done
} >/tmp/fuzz.conf
c apply /tmp/fuzz.conf >/dev/null 2>&1 # warns: the VIPs are not local
for i in 0 1 2 3 4 5 6 7; do
	c persist add f$i client 11.0.0.$i server 10.0.2.$((i % 4))
done
pinned() { c -j persist show | jq -r '.[] | select(.client | startswith("11.")) | "\(.client) \(.server)"' | sort; }
before=$(c save)
pins=$(pinned)
check_eq "unprivileged: 8 pinned clients to begin with" 8 "$(grep -c . <<<"$pins")"
out=$(lb /tests/dropcap /tests/nlfuzz $N 2)
echo "# unprivileged: $out"
fuzzed unprivileged "$out"
check_eq "unprivileged: no service or server changed" "$before" "$(c save)"
check_eq "unprivileged: no client pinned or forgotten" "$pins" "$(pinned)"
c apply /tmp/cas.conf >/dev/null

touch /tmp/stop
wait $traffic
check_eq "the module still works: clients reach the servers" 8 \
	"$(cl /tests/vipclient 10.0.0.100 135 $(clients 11 18) | grep -c ' srv[12] ')"
topo_down
check "and unloads cleanly" rmmod casvip
modprobe casvip
ktap_done
