#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmarks, small, so that they cannot rot: they run, and print every
# figure. (make bench runs them at full size.)
. /tests/lib.sh
modprobe casvip
out=$(/tests/persist_bench 20000)
echo "$out" | sed 's/^/# /'
check_eq "persist_bench: every entry made" 20000 \
	"$(awk '$1 == "persist.entries" { print $2 }' <<<"$out")"
check "persist_bench: prints the bytes per entry" \
	grep -qE "^persist.kernel_bytes_per_entry [0-9]+$" <<<"$out"
check "persist_bench: prints the slab object size" \
	grep -qE "^persist.slab_object_bytes [0-9]+$" <<<"$out"
check_eq "the benchmark's service is gone" "[]" "$(casvipctl -j show)"

# compare.sh, one short run of each: every figure is there, and positive.
. /tests/topo.sh
topo_up
out=$(. /tests/compare.sh 1 1)
echo "$out" | sed 's/^/# /'
for what in newconn stream1 stream4 fwd newflow; do
	for mode in casvip offload ipvs jhash static; do
		check "compare: $what through $mode" \
			awk -v k="$what.$mode" '$1 == k && $2 > 0 { ok = 1 } END { exit !ok }' <<<"$out"
	done
done
check_eq "compare: casvip's ratio to each of the others, offload's to casvip and IPVS" 21 \
	"$(grep -c '^ratio\.' <<<"$out")"
check "compare: the reset of an offloaded session after its server's delete" \
	awk '$1 == "reset_ms" && $2 > 0 { ok = 1 } END { exit !ok }' <<<"$out"
check_eq "compare: the spread of every figure and ratio" 47 "$(grep -c '^spread\.' <<<"$out")"
check "compare: pktgen's flow went through the flowtable with offload on" \
	awk '$1 == "fwd.offload.flows_offloaded" && $2 > 0 { ok = 1 } END { exit !ok }' <<<"$out"
# The scheduler figure of one scheduler (each costs pktgen's rounds, about
# 9 s here): lc, the power of two choices. make bench runs all six.
out=$(. /tests/scale.sh 50 20 5000 1 1 lc)
echo "$out" | sed 's/^/# /'
check "scale: apply and dump times" \
	test "$(grep -cE '^(apply|dump)\.s [0-9.]+$' <<<"$out")" = 2
check_eq "scale: 2 and 20 servers for lc, and their cost" 3 \
	"$(grep -cE '^(newflow|cost\.newflow)\.lc\.[0-9_]+ [0-9.]*[1-9][0-9.]*$' <<<"$out")"
check_eq "scale: through tables of 1000 and 5000 clients, and the ratio" 3 \
	"$(grep -cE '^(newconn|ratio\.newconn)\.table\.[0-9_]+ [0-9.]+$' <<<"$out")"
topo_down
ktap_done
