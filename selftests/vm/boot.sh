#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test VM: the kernel image KERNEL with the initramfs INITRD,
# software emulation only, bounded in time; the console goes to stdout.
# Further arguments are added to the kernel command line. slab_nomerge
# gives each slab cache its own counts (test_memory.sh reads them).
#
# usage: boot.sh KERNEL INITRD TIMEOUT_SECONDS TESTS [KERNEL_ARG...]
set -euo pipefail
kernel=$1 initrd=$2 secs=$3 tests=$4
shift 4
exec timeout --foreground -k 10 "$secs" qemu-system-x86_64 \
	-accel tcg -cpu max -smp 2 -m 2048 \
	-nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=4 slab_nomerge casviptest=$tests $*"
