#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test: the host-side unit tests, then the VM tests in one boot of
# Debian's cloud kernel. Prints each test's KTAP output, then one closing
# line "N passed, N failed, N skipped"; exits 1 if anything failed.
#
# usage: selftests/run.sh [VM_TEST...]   (default: every VM test)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$top/build/selftests
mkdir -p "$out"
pass=0 fail=0 skip=0

# Count the results of a KTAP document on stdin, echoing it.
count() {
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		"ok "*"# SKIP"*) skip=$((skip + 1)) ;;
		"ok "*) pass=$((pass + 1)) ;;
		"not ok "*) fail=$((fail + 1)) ;;
		esac
	done
}

result() { # ok|not ok, description
	count <<<"$1 0 $2"
}

for t in selftests/build/unit/*; do
	[ -x "$t" ] || continue
	echo "# host: $t"
	count < <("$t" 2>&1)
done

kver=$(scripts/kver.sh) || exit 1
echo "# host: fuzzing the DCE/RPC answer parsers for 20 s"
mkdir -p "$out/corpus"
if selftests/build/fuzz/dcerpc_fuzz -max_total_time=20 -print_final_stats=1 \
	"$out/corpus" selftests/fuzz/seeds >"$out/fuzz.log" 2>&1; then
	result "ok" "host: libFuzzer: $(grep -o 'Done [0-9]* runs' "$out/fuzz.log"), no crash"
else
	result "not ok" "host: libFuzzer found a crash (see $out/fuzz.log)"
	grep -A12 "ERROR" "$out/fuzz.log" | head -n 20
fi
echo "# host: DCE/RPC checks against fakerpc, impacket and tshark"
count < <(selftests/host_dcerpc.sh 2>&1)
echo "# host: make install into a staging root"
count < <(selftests/host_install.sh "$top/build/stage" "$(scripts/kdir.sh)" 2>&1)
if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(cd selftests && ls test_*.sh 2>/dev/null
		cd build && ls *_test 2>/dev/null)
fi
tests=$(echo $tests | tr ' ' ,)
selftests/vm/mkinitrd.sh "$kver" "$top" "$out/initrd.cpio" || exit 1
echo "# vm: booting $kver for: $tests"
selftests/vm/boot.sh "$kver" "$out/initrd.cpio" 600 "$tests" \
	>"$out/console.log" 2>&1
rc=$?
echo "# vm: console log in $out/console.log (qemu exit $rc)"

# The tests' own output lies between the markers.
tr -d '\r' <"$out/console.log" |
	sed -n '/@@@ casvip begin/,/^@@@ dmesg begin/p' |
	grep -av '@@@' >"$out/tests.log"
count <"$out/tests.log"
while read -r _ _ t code; do
	[ "$code" = 0 ] || result "not ok" "vm: $t exited with status $code"
done < <(grep -a '^@@@ exit' "$out/console.log" | tr -d '\r')

# Every test named must have run to the end.
for t in ${tests//,/ }; do
	grep -aq "^@@@ exit $t " "$out/console.log" ||
		result "not ok" "vm: $t did not finish (see the console log)"
done

sed -n '/^@@@ dmesg begin/,/^@@@ dmesg end/p' "$out/console.log" |
	tr -d '\r' >"$out/dmesg.log"
bad='WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|list_add corruption|list_del corruption|UBSAN|KASAN|kmemleak|objects leaked|casvip:.*leak'
if [ ! -s "$out/dmesg.log" ]; then
	result "not ok" "vm: kernel log not collected (crash or timeout)"
	tail -n 40 "$out/console.log"
elif grep -aEq "$bad" "$out/dmesg.log" "$out/console.log"; then
	result "not ok" "vm: kernel log is clean"
	grep -aE -B2 -A20 "$bad" "$out/dmesg.log" | head -n 80
else
	result "ok" "vm: kernel log is clean"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
