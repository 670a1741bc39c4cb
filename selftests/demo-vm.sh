#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the VM for make demo and show what demo.sh prints.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/demo
mkdir -p "$out"
kver=$(scripts/kver.sh) || exit 1
selftests/vm/mkinitrd.sh "$kver" "$PWD" "$out/initrd.cpio" || exit 1
echo "booting Debian's $kver kernel in QEMU (software emulation)..."
selftests/vm/boot.sh "/boot/vmlinuz-$kver" "$out/initrd.cpio" 420 demo.sh 2>&1 |
	tr -d '\r' | tee "$out/demo.log" |
	sed -n '/@@@ casvip begin/,/@@@ dmesg begin/p' | grep -av '@@@'
grep -aq '^@@@ exit demo.sh 0' "$out/demo.log"
