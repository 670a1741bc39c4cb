#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test VM: Debian's cloud kernel KVER with the initramfs INITRD,
# software emulation only, bounded in time; the console goes to stdout.
#
# usage: boot.sh KVER INITRD TIMEOUT_SECONDS TESTS
set -euo pipefail
kver=$1 initrd=$2 secs=$3 tests=$4
exec timeout --foreground -k 10 "$secs" qemu-system-x86_64 \
	-accel tcg -cpu max -smp 2 -m 2048 \
	-nographic -no-reboot -nodefaults -serial stdio \
	-kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4 casviptest=$tests"
