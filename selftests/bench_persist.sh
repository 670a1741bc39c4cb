#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the persistence table at 1,000,000 entries.
. /tests/lib.sh
modprobe casvip
out=$(/tests/persist_bench 1000000)
rc=$?
echo "$out"
echo "$out" | sed 's/^/bench: /' >/dev/console
ktap_result $rc "persist_bench at 1000000 entries"
ktap_done
