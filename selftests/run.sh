#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test: the host-side tests, then the VM tests in one boot of
# each kernel named by --kernel-root (default: this machine's), the boots
# side by side. Prints each test's KTAP output, then one closing line
# "N passed, N failed, N skipped" for all of them; exits 1 if anything
# failed.
#
# --kernel-root DIR boots the newest Debian cloud kernel installed in DIR,
# with DIR's own modules and casvip.ko built against that kernel: for /,
# kmod/casvip.ko; for another root (scripts/trixie-root.sh makes one),
# DIR/casvip/kmod/casvip.ko (make trixie builds it). The host tests build
# the DKMS tree against each of these kernels too. The console log is in
# build/selftests/ for /, in build/selftests-NAME/ for a root .../NAME.
#
# With --debug, only the VM tests, in one boot of the debug kernel that
# scripts/debug-kernel.sh built in build/debug (casvip.ko built against it
# in build/debug/casvip), then a kmemleak scan that must find nothing.
# With --fuzz N, test_nlfuzz.sh sends N messages as root and N unprivileged
# (instead of its default 250,000 each); with no test named, only it runs.
# With --no-host, not the host-side tests (selftests/plant.sh runs only the
# VM tests it names). CASVIP_KARGS adds to the test kernel's command line
# (CASVIP_KARGS=loglevel=7 shows every kernel message on the console log).
# Each VM test's time is printed as "# vm: KVER: TEST took N s".
#
# usage: selftests/run.sh [--kernel-root DIR]... [--debug] [--fuzz N]
#                         [--no-host] [VM_TEST...]   (default: every VM test)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
debug= fuzz= nohost=
roots=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-root)
		if [ ! -d "${2:-}" ]; then
			echo "run.sh: --kernel-root ${2:-}: no such directory" >&2
			exit 2
		fi
		roots+=("$(realpath "$2")")
		shift 2 ;;
	--debug)
		debug=$top/build/debug
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
[ ${#roots[@]} -gt 0 ] || roots=(/)
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
	local out=$top/build/selftests t
	mkdir -p "$out"
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
	echo "# host: the Prometheus alert rules"
	count < <(selftests/host_metrics.sh 2>&1)
	echo "# host: make install into a staging root"
	count < <(selftests/host_install.sh "$top/build/stage" "${roots[@]}" 2>&1)
}

# Boot KERNEL (release KVER) with MODROOT's modules (empty: this
# machine's) and the module KO, and run TESTS (comma-separated) in it with
# SECS to finish; the console log goes to OUT, and what went wrong before
# the boot to OUT/failed. Runs in the background beside other boots: it
# counts nothing.
vm_boot() { # KVER KERNEL MODROOT KO OUT SECS TESTS [KERNEL_ARG...]
	local kver=$1 kernel=$2 modroot=$3 ko=$4 out=$5 secs=$6 tests=$7 start
	echo "# vm: booting $kver for: $tests"
	shift 7
	mkdir -p "$out"
	rm -f "$out"/{failed,qemu,console.log,tests.log,dmesg.log}
	if ! selftests/vm/mkinitrd.sh "$kver" "$top" "$out/initrd.cpio" \
		"$modroot" "$ko" >"$out/mkinitrd.log" 2>&1; then
		echo "initramfs built (see $out/mkinitrd.log)" >"$out/failed"
		return
	fi
	start=$SECONDS
	selftests/vm/boot.sh "$kernel" "$out/initrd.cpio" "$secs" "$tests" "$@" \
		>"$out/console.log" 2>&1
	echo "qemu exit $?, $((SECONDS - start)) s" >"$out/qemu"
}

# Count what the boot of KVER for TESTS into OUT reported. Any WARN, BUG,
# oops, corruption or leak in the kernel log fails the run.
vm_report() { # KVER OUT TESTS
	local kver=$1 out=$2 tests=$3 t code secs
	if [ -e "$out/failed" ]; then
		result "not ok" "vm: $kver: $(cat "$out/failed")"
		return
	elif [ ! -e "$out/qemu" ]; then
		result "not ok" "vm: $kver: the VM did not run"
		return
	fi
	echo "# vm: console log in $out/console.log ($(cat "$out/qemu"))"

	# The tests' own output lies between the markers.
	tr -d '\r' <"$out/console.log" |
		sed -n '/@@@ casvip begin/,/^@@@ dmesg begin/p' |
		grep -av '@@@' >"$out/tests.log"
	count <"$out/tests.log"
	while read -r _ _ t code secs; do
		echo "# vm: $kver: $t took $secs s"
		[ "$code" = 0 ] || result "not ok" "vm: $kver: $t exited with status $code"
	done < <(grep -a '^@@@ exit' "$out/console.log" | tr -d '\r')

	# Every test named must have run to the end.
	for t in ${tests//,/ }; do
		grep -aq "^@@@ exit $t " "$out/console.log" ||
			result "not ok" "vm: $kver: $t did not finish (see the console log)"
	done

	sed -n '/^@@@ dmesg begin/,/^@@@ dmesg end/p' "$out/console.log" |
		tr -d '\r' >"$out/dmesg.log"
	local bad='WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|list_add corruption|list_del corruption|UBSAN|KASAN|kmemleak:.*suspected|objects leaked|casvip:.*leak'
	if [ ! -s "$out/dmesg.log" ]; then
		result "not ok" "vm: $kver: kernel log not collected (crash or timeout)"
		tail -n 40 "$out/console.log"
	elif grep -aEq "$bad" "$out/dmesg.log" "$out/console.log"; then
		result "not ok" "vm: $kver: kernel log is clean"
		grep -aE -B2 -A20 "$bad" "$out/dmesg.log" | head -n 80
	else
		result "ok" "vm: $kver: kernel log is clean"
	fi
}

# What a debug kernel checks after the tests: kmemleak and lockdep.
debug_checks() { # OUT
	local out=$1
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
}

kargs=(${CASVIP_KARGS:-})
# Every VM test in one boot takes about 1,150 s under TCG alone, about 1.3
# times that beside another boot: room for a slow day.
secs=2400
if [ -n "$debug" ]; then
	# KASAN, lockdep and kmemleak under TCG: several times slower; the
	# netlink fuzzer sends fewer messages, clients wait longer (lib.sh).
	secs=3600
	# test_faults.sh fails allocations in these caches.
	kargs+=(panic_on_warn=1 casvipfuzz=100000 casvipslow=1
		slub_debug=A,casvip_persist,casvip_probe,casvip_conn,nf_conntrack)
fi
if [ -n "$fuzz" ]; then
	# About 0.1 ms a message under TCG, two runs of N (more on a debug kernel).
	secs=$((secs + fuzz / 1000))
	kargs+=("casvipfuzz=$fuzz")
	[ $# -gt 0 ] || set -- test_nlfuzz.sh
fi
if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(cd selftests && ls test_*.sh 2>/dev/null
		cd build && ls *_test 2>/dev/null)
fi
tests=$(echo $tests | tr ' ' ,)

if [ -n "$debug" ]; then
	# One boot: two side by side take longer than one after the other
	# here (KASAN's kernel keeps both of a VM's CPUs busier).
	if kver=$(cat "$debug/kver"); then
		vm_boot "$kver" "$debug/linux/arch/x86/boot/bzImage" "$debug/root" \
			"$debug/casvip/kmod/casvip.ko" "$top/build/selftests-debug" \
			"$secs" "$tests" "${kargs[@]}"
		vm_report "$kver" "$top/build/selftests-debug" "$tests"
		debug_checks "$top/build/selftests-debug"
	else
		result "not ok" "vm: the debug kernel is built"
	fi
else
	[ -n "$fuzz$nohost" ] || host_tests
	# The kernels boot side by side, and report in turn once all are done.
	kvers=() outs=()
	for root in "${roots[@]}"; do
		if ! kver=$(scripts/kver.sh "$root"); then
			result "not ok" "vm: a kernel to boot in $root"
			continue
		fi
		if [ "$root" = / ]; then
			modroot= ko=$top/kmod/casvip.ko out=$top/build/selftests
		else
			modroot=$root ko=$root/casvip/kmod/casvip.ko
			out=$top/build/selftests-${root##*/}
		fi
		vm_boot "$kver" "$modroot/boot/vmlinuz-$kver" "$modroot" "$ko" \
			"$out" "$secs" "$tests" "${kargs[@]}" &
		kvers+=("$kver") outs+=("$out")
	done
	wait
	for i in "${!kvers[@]}"; do
		vm_report "${kvers[$i]}" "${outs[$i]}" "$tests"
	done
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
