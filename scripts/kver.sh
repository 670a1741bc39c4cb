#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the release of the newest Debian cloud kernel installed in ROOT
# (default /) that has both its image and its headers: the kernel the VM
# tests boot and the module is built against.
# usage: kver.sh [ROOT]
set -e
root=${1:-}
root=${root%/}
for d in $(ls -d "$root"/lib/modules/*-cloud-amd64 2>/dev/null | sort -rV); do
	v=${d##*/}
	if [ -f "$root/boot/vmlinuz-$v" ] && [ -d "$d/build" ]; then
		echo "$v"
		exit 0
	fi
done
if [ -z "$root" ]; then
	echo "no Debian cloud kernel with headers installed (run: make deps)" >&2
else
	echo "no Debian cloud kernel with headers in $root" >&2
fi
exit 1
