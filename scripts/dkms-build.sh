#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build casvip.ko as DKMS does: copy the DKMS source tree SRC (what make
# install puts in /usr/src/casvip-VERSION) to DEST, which must lie in ROOT,
# and run dkms.conf's MAKE line there, with DKMS's -j, against the newest
# Debian cloud kernel in ROOT; chrooted into ROOT unless it is /. Leaves
# DEST/kmod/casvip.ko.
# usage: dkms-build.sh ROOT SRC DEST
set -euo pipefail
if [ $# != 3 ]; then
	echo "usage: dkms-build.sh ROOT SRC DEST" >&2
	exit 2
fi
root=$(realpath "$1")
src=$2
dest=$(realpath -m "$3")
kver=$(scripts/kver.sh "$root")
if [ "$root" = / ]; then
	inside=$dest
	run=()
else
	inside=${dest#"$root"}
	if [ "$inside" = "$dest" ]; then
		echo "dkms-build.sh: $dest is not inside $root" >&2
		exit 2
	fi
	run=(chroot "$root")
fi
rm -rf "$dest"
mkdir -p "$dest"
cp -r "$src/." "$dest"
line=$(sed -n 's/^MAKE\[0\]="\(.*\)"$/\1/p' "$dest/dkms.conf")
line=${line//'${kernel_source_dir}'//lib/modules/$kver/build}
line=${line//'${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build'/$inside}
line=${line/#make /make -j$(nproc) }
"${run[@]}" sh -c "$line"
