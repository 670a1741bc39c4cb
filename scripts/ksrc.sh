#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Take the few files the project uses from Debian's linux-source-6.1 (the
# kselftest harness, checkpatch, the kernel's .clang-format) into $1.
set -e
out=$1
[ -f "$out/.done" ] && exit 0
tarball=$(ls /usr/src/linux-source-6.1*.tar.xz | head -n 1)
mkdir -p "$out"
tar -xJf "$tarball" -C "$out" --strip-components=1 \
	--wildcards '*/tools/testing/selftests/kselftest_harness.h' \
	'*/tools/testing/selftests/kselftest.h' \
	'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
	'*/scripts/const_structs.checkpatch' '*/.clang-format'
touch "$out/.done"
