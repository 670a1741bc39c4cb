#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the kernel build tree to build the module against: the running
# kernel's if it has one, else the newest installed Debian cloud kernel's.
set -e
if [ -d "/lib/modules/$(uname -r)/build" ]; then
	echo "/lib/modules/$(uname -r)/build"
	exit 0
fi
kver=$(scripts/kver.sh)
echo "/lib/modules/$kver/build"
