#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: where a new connection's cycles go, casvip against IPVS. For
# each, perf samples every CPU (cpu-clock: TCG has no hardware counters)
# while clients make new connections through the VIP, as compare.sh does;
# then the share of the samples of the balancer's own module and of the
# kernel's netfilter parts it uses, and casvip's costliest functions.
# Clients and servers run in the same VM: shares are of everything.
. /tests/lib.sh
. /tests/topo.sh
SECS=4
if ! command -v perf >/dev/null; then
	ktap_skip "profiles of casvip and IPVS" "no perf here (linux-perf)"
	ktap_done
	exit 0
fi
sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
modprobe casvip
topo_up
. /tests/bench_modes.sh
lines=$(for mode in casvip ipvs; do
	teardown
	setup_$mode >/dev/null
	perf record -q -e cpu-clock -a -o /tmp/perf.$mode -- sleep $SECS &
	rec=$!
	cl /tests/vipload conn $SECS 32 $VIP 135 $(clients 1 40) |
		awk -v m=$mode '$1 == "conns_per_s" { print "profile." m ".conns_per_s", $2 }'
	wait $rec
	perf report -q -i /tmp/perf.$mode --stdio --sort dso 2>/dev/null |
		awk -v m=$mode '$2 ~ /^\[(casvip|ip_vs|nf_conntrack|nf_nat|nf_conncount)\]$/ {
			gsub(/[][%]/, ""); print "profile." m ".dso." $2, $1 }'
	perf report -q -i /tmp/perf.$mode --stdio --sort dso,sym 2>/dev/null |
		awk -v m=$mode '$2 ~ /^\[(casvip|ip_vs)\]$/ && n < 8 {
			gsub(/%/, "", $1); print "profile." m ".sym." $NF, $1; n++ }'
done)
echo "$lines"
teardown
topo_down
check "profiles of casvip and IPVS: their modules' shares" \
	test "$(grep -cE '^profile\.(casvip\.dso\.casvip|ipvs\.dso\.ip_vs) ' <<<"$lines")" = 2
ktap_done
