#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KTAP helpers for the shell tests, sourced by each test_*.sh.
#
#   check DESC CMD...                 ok if CMD exits 0
#   check_err DESC CODE TEXT CMD...   ok if CMD exits CODE and prints TEXT
#                                     (a fixed string) on stderr
#   check_eq DESC EXPECTED ACTUAL
#   wait_for SECONDS CMD...           until CMD exits 0, or fail
#   ktap_done                          print the plan, end the test
#
# Names of network namespaces: lab_* (deleted by ktap_done). SLOW is set
# on a debug kernel (casvipslow on its command line): wait longer there.

ip=/usr/sbin/ip
ktap_n=0
# On a debug kernel (KASAN, lockdep) everything takes several times longer.
grep -q casvipslow /proc/cmdline 2>/dev/null && SLOW=1 || SLOW=
# glibc fills what malloc() returns, and what free() gives back, with
# this byte: memory read before it is written is never zero by luck.
export MALLOC_PERTURB_=165
echo "TAP version 13"

# The running state as -j show prints it, but for the age of each health
# result, which grows by itself, and each server's clients, which the
# module recounts every second: to see that nothing changed.
show_state() {
	casvipctl -j show "$@" |
		jq -c 'del(.[].servers[]?.health_age_ms, .[].servers[]?.clients)'
}

ktap_result() { # 0|1 DESC
	ktap_n=$((ktap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $ktap_n $2"
	else
		echo "not ok $ktap_n $2"
	fi
}

ktap_skip() { # DESC REASON
	ktap_n=$((ktap_n + 1))
	echo "ok $ktap_n $1 # SKIP $2"
}

check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ktap_result 0 "$desc"
	else
		ktap_result 1 "$desc"
		echo "# command: $*"
		echo "$out" | sed 's/^/# /'
	fi
}

check_err() {
	local desc=$1 code=$2 text=$3 err rc
	shift 3
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$code" ] && grep -qF -- "$text" <<<"$err"; then
		ktap_result 0 "$desc"
	else
		ktap_result 1 "$desc"
		echo "# command: $*"
		echo "# want exit $code and: $text"
		echo "# got exit $rc and: $err"
	fi
}

check_eq() {
	if [ "$2" = "$3" ]; then
		ktap_result 0 "$1"
	else
		ktap_result 1 "$1"
		echo "# want: $2" | head -n 20
		echo "# got:  $3" | head -n 20
	fi
}

wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.3
	done
}

ktap_done() {
	local ns
	for ns in $($ip netns list | awk '/^lab_/ { print $1 }'); do
		$ip netns del "$ns"
	done
	echo "1..$ktap_n"
	exit 0
}
