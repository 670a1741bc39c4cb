#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: where a new connection's cycles go, casvip against IPVS. For
# each, perf samples every CPU (cpu-clock: TCG has no hardware counters)
# while clients make new connections through the VIP, as compare.sh does;
# then the share of the samples of the balancer's own module and of the
# kernel's netfilter parts it uses, casvip's costliest functions, the
# costliest of all, and the CPU time a new connection costs.
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
	# perf finds the modules' symbols in /proc/kallsyms, under the
	# kernel's name: each symbol's module comes from there.
	perf report -q -i /tmp/perf.$mode --stdio --sort sym 2>/dev/null |
		awk -v m=$mode 'NR == FNR { if ($4 ~ /^\[/) mod[$3] = $4; next }
			$2 == "[k]" { pct = $1; sub(/%/, "", pct)
				d = ($NF in mod) ? mod[$NF] : "[kernel]"
				share[d] += pct
				if ($NF ~ /safe_halt|default_idle|poll_idle/)
					idle += pct
				if (top++ < 12)
					print "profile." m ".top." $NF, pct
				if (d ~ /^\[(casvip|ip_vs)\]$/ && n++ < 8)
					print "profile." m ".sym." $NF, pct }
			END { printf "profile.%s.busy_pct %.2f\n", m, 100 - idle
				printf "profile.%s.modules_pct %.2f\n", m,
					share["[casvip]"] + share["[ip_vs]"] + share["[nf_conntrack]"] +
					share["[nf_nat]"]
				for (d in share)
				if (d ~ /^\[(casvip|ip_vs|nf_conntrack|nf_nat|kernel)\]$/) {
					gsub(/[][]/, "", d)
					printf "profile.%s.dso.%s %.2f\n", m, d, share["[" d "]"] } }' \
			/proc/kallsyms -
done)
# CPU time a new connection costs: all of it (clients, balancer, servers:
# what is not idle), and in the balancer's modules (casvip or IPVS, and
# conntrack and NAT), over the connections made.
cpus=$(nproc)
lines+=$(echo; for mode in casvip ipvs; do
	awk -v m=$mode -v n=$cpus '$1 == "profile." m ".conns_per_s" { c = $2 }
		$1 == "profile." m ".busy_pct" { b = $2 }
		$1 == "profile." m ".modules_pct" { l = $2 }
		END { if (!c) exit
			printf "profile.%s.cpu_us_per_conn %.0f\n", m, b / 100 * n * 1e6 / c
			printf "profile.%s.modules_us_per_conn %.1f\n", m, l / 100 * n * 1e6 / c }' <<<"$lines"
done)
echo "$lines"
teardown
topo_down
check "profiles of casvip and IPVS: their modules' shares" \
	test "$(grep -cE '^profile\.(casvip\.dso\.casvip|ipvs\.dso\.ip_vs) ' <<<"$lines")" = 2
ktap_done
