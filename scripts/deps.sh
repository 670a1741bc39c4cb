#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install, on Debian 12, every package the build, the tests and the VM lab
# need (mmdebstrap makes the Debian 13 root, scripts/trixie-root.sh); with
# "debug", also what building the debug kernel needs. Does
# nothing when they are all there already.
set -e
pkgs="make gcc libc6-dev pkg-config libmnl-dev libnftables-dev libssl-dev openssl
linux-headers-cloud-amd64 linux-image-cloud-amd64 linux-source-6.1
qemu-system-x86 busybox-static kmod cpio xz-utils
iproute2 nftables socat conntrack ipvsadm keepalived conntrackd
sparse perl clang-format jq man-db
prometheus prometheus-node-exporter
python3-impacket tshark clang libclang-rt-14-dev bsdextrautils mmdebstrap
linux-perf"
[ "${1:-}" = debug ] && pkgs="$pkgs bc bison flex libelf-dev libssl-dev"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "need root to install packages (run: sudo make deps)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
