#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test: the host-side unit tests, then the VM tests in one boot of
# Debian's cloud kernel. Prints each test's KTAP output, then one closing
# line "N passed, N failed, N skipped"; exits 1 if anything failed.
#
# With --debug, only the VM tests, in one boot of the debug kernel that
# scripts/debug-kernel.sh built in build/debug (casvip.ko built against it
# in build/debug/casvip), then a kmemleak scan that must find nothing.
# With --fuzz N, test_nlfuzz.sh sends N messages as root and N unprivileged
# (instead of its default million each); with no test named, only it runs.
# With --no-host, not the host-side tests (selftests/plant.sh runs only the
# VM tests it names).
#
# usage: selftests/run.sh [--debug] [--fuzz N] [--no-host] [VM_TEST...]
#        (default: every VM test)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=$top/build/selftests
debug= fuzz= nohost=
while [ $# -gt 0 ]; do
	case $1 in
	--debug)
		debug=$top/build/debug
		out=$top/build/selftests-debug
		shift ;;
	--fuzz)
		fuzz=$2
		shift 2 ;;
	--no-host)
		nohost=1
		shift ;;
	*) break ;;
	esac
done
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

host_tests() {
	for t in selftests/build/unit/*; do
		[ -x "$t" ] || continue
		echo "# host: $t"
		count < <("$t" 2>&1)
	done
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
}

if [ -n "$debug" ]; then
	kver=$(cat "$debug/kver") || exit 1
	kernel=$debug/linux/arch/x86/boot/bzImage
	modroot=$debug/root
	ko=$debug/casvip/kmod/casvip.ko
	# KASAN, lockdep and kmemleak under TCG: several times slower; the
	# netlink fuzzer sends fewer messages, clients wait longer (lib.sh).
	secs=3600
	kargs="panic_on_warn=1 casvipfuzz=100000 casvipslow=1"
else
	kver=$(scripts/kver.sh) || exit 1
	kernel=/boot/vmlinuz-$kver
	modroot= ko=
	secs=900
	kargs=
	[ -n "$fuzz$nohost" ] || host_tests
fi
if [ -n "$fuzz" ]; then
	# About 0.1 ms a message under TCG, two runs of N (more on a debug kernel).
	secs=$((secs + fuzz / 1000))
	kargs="$kargs casvipfuzz=$fuzz"
	[ $# -gt 0 ] || set -- test_nlfuzz.sh
fi
if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(cd selftests && ls test_*.sh 2>/dev/null
		cd build && ls *_test 2>/dev/null)
fi
tests=$(echo $tests | tr ' ' ,)
selftests/vm/mkinitrd.sh "$kver" "$top" "$out/initrd.cpio" $modroot $ko || exit 1
echo "# vm: booting $kver for: $tests"
# shellcheck disable=SC2086
selftests/vm/boot.sh "$kernel" "$out/initrd.cpio" $secs "$tests" $kargs \
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
bad='WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|list_add corruption|list_del corruption|UBSAN|KASAN|kmemleak:.*suspected|objects leaked|casvip:.*leak'
if [ ! -s "$out/dmesg.log" ]; then
	result "not ok" "vm: kernel log not collected (crash or timeout)"
	tail -n 40 "$out/console.log"
elif grep -aEq "$bad" "$out/dmesg.log" "$out/console.log"; then
	result "not ok" "vm: kernel log is clean"
	grep -aE -B2 -A20 "$bad" "$out/dmesg.log" | head -n 80
else
	result "ok" "vm: kernel log is clean"
fi

if [ -n "$debug" ]; then
	sed -n '/^@@@ kmemleak begin/,/^@@@ kmemleak end/p' "$out/console.log" |
		tr -d '\r' | grep -av '^@@@' >"$out/kmemleak.log"
	if ! grep -aq '^@@@ kmemleak end' "$out/console.log"; then
		result "not ok" "vm: kmemleak scan not collected"
	elif [ -s "$out/kmemleak.log" ]; then
		result "not ok" "vm: kmemleak found $(grep -ac '^unreferenced object' "$out/kmemleak.log") unreferenced objects"
		head -n 60 "$out/kmemleak.log"
	else
		result "ok" "vm: kmemleak scan after the tests is empty"
	fi
	if grep -aqE '^@@@ lockdep debug_locks: *1' "$out/console.log"; then
		result "ok" "vm: lockdep still on after the tests"
	else
		result "not ok" "vm: lockdep was turned off during the tests"
	fi
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
