#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: casvip, IPVS and nftables side by side (compare.sh), 5 runs
# of 3 seconds each; and the scale figures (scale.sh) at 1,000, 5 runs too.
. /tests/lib.sh
. /tests/topo.sh
modprobe casvip
topo_up
out=$(. /tests/compare.sh 5 3; . /tests/scale.sh 1000 1000 1000000 5 3)
echo "$out"
ktap_result 0 "compare.sh and scale.sh printed $(wc -l <<<"$out") figures"
topo_down
ktap_done
