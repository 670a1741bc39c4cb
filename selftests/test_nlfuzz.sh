#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hostile netlink: nlfuzz sends random and mutated-valid messages to the
# casvip family in the balancer's namespace, as root while clients keep
# connecting through a service, then as an unprivileged user, which must
# change nothing. Afterwards the module still works and unloads cleanly;
# the runner checks the kernel log.
. /tests/lib.sh
. /tests/topo.sh
# A million of each (about 0.1 ms a message under TCG); the kernel command
# line can ask for another count: casvipfuzz=N.
N=$(sed -n 's/.*casvipfuzz=\([0-9]*\).*/\1/p' /proc/cmdline)
N=${N:-1000000}

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

out=$(lb /tests/nlfuzz $N 1)
echo "# root: $out"
check "root: $N messages sent and answered" grep -q "^sent $N: acks [0-9]*, errors [0-9]*" <<<"$out"

c apply /tmp/cas.conf >/dev/null
before=$(c save)
out=$(lb /tests/dropcap /tests/nlfuzz $N 2)
echo "# unprivileged: $out"
check "unprivileged: $N messages sent and answered" \
	grep -q "^sent $N: acks [0-9]*, errors [0-9]*" <<<"$out"
check_eq "unprivileged: nothing changed" "$before" "$(c save)"

touch /tmp/stop
wait $traffic
check_eq "the module still works: clients reach the servers" 8 \
	"$(cl /tests/vipclient 10.0.0.100 135 $(clients 11 18) | grep -c ' srv[12] ')"
topo_down
check "and unloads cleanly" rmmod casvip
modprobe casvip
ktap_done
