#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the persistence table at 1,000,000 entries: its memory, and
# what a dump of it costs (the longest part of it, which an older module
# spent with bottom halves off).
. /tests/lib.sh
. /tests/trace.sh
modprobe casvip
trace_on persist_get_dumpit
out=$(/tests/persist_bench 1000000)
rc=$?
out="$out
persist.dump_parts $(trace_count persist_get_dumpit)
persist.dump_part_max_us $(trace_max persist_get_dumpit)"
trace_off
echo "$out"
echo "$out" | sed 's/^/bench: /' >/dev/console
ktap_result $rc "persist_bench at 1000000 entries"
ktap_done
