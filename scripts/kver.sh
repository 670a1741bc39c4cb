#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the release of the newest installed Debian cloud kernel that has
# both its image and its headers (the kernel the VM tests boot).
set -e
for d in $(ls -d /lib/modules/*-cloud-amd64 2>/dev/null | sort -rV); do
	v=${d##*/}
	if [ -f "/boot/vmlinuz-$v" ] && [ -d "$d/build" ]; then
		echo "$v"
		exit 0
	fi
done
echo "no Debian cloud kernel with headers installed (run: make deps)" >&2
exit 1
