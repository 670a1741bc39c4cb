#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install into a staging root (on the build host): every file lands,
# the DKMS source tree builds the module with DKMS's own make line against
# the kernel of each ROOT (/ or a root made by scripts/trixie-root.sh), and
# make uninstall takes it all away again. The VM test test_install.sh then
# boots with the staged tree and runs what the systemd unit runs.
# usage: host_install.sh STAGE ROOT...
. "$(dirname "$0")/lib.sh"
stage=$1
shift
rm -rf "$stage"
check "make install DESTDIR=" make -s install DESTDIR="$stage"
for f in usr/sbin/casvipctl usr/share/man/man8/casvipctl.8 \
	usr/share/man/man5/casvip.conf.5 \
	usr/share/bash-completion/completions/casvipctl \
	lib/systemd/system/casvip.service lib/systemd/system/casvip-healthd.service \
	lib/systemd/system/casvip-learn.service usr/lib/casvip/keepalived-notify \
	lib/systemd/system/casvip-metrics.service \
	lib/systemd/system/casvip-metrics.timer \
	usr/share/doc/casvip/examples/casvip-alerts.yml \
	usr/share/doc/casvip/examples/keepalived.conf \
	usr/share/doc/casvip/examples/conntrackd.conf \
	etc/casvip/casvip.conf \
	usr/src/casvip-0.1/dkms.conf usr/src/casvip-0.1/kmod/nat.c \
	usr/src/casvip-0.1/include/uapi/linux/casvip.h; do
	check "installed: /$f" test -s "$stage/$f"
done
check "casvipctl is executable" test -x "$stage/usr/sbin/casvipctl"
check "the man pages render without warnings" \
	sh -c "! man --warnings -l '$stage/usr/share/man/man8/casvipctl.8' 2>&1 >/dev/null | grep . &&
	       ! man --warnings -l '$stage/usr/share/man/man5/casvip.conf.5' 2>&1 >/dev/null | grep ."
for root in "$@"; do
	kver=$(scripts/kver.sh "$root")
	build=$(mktemp -d -p "$root/tmp")
	check "the DKMS tree builds casvip.ko with dkms.conf's MAKE line for $kver" \
		sh -c "scripts/dkms-build.sh '$root' '$stage/usr/src/casvip-0.1' '$build' >/dev/null &&
		       modinfo -F vermagic '$build/kmod/casvip.ko' | grep -q '^$kver '"
	rm -rf "$build"
done
cp -r "$stage" "$stage.keep"
check "make uninstall DESTDIR=" make -s uninstall DESTDIR="$stage.keep"
check_eq "uninstall leaves only the admin's config" "etc/casvip/casvip.conf" \
	"$(cd "$stage.keep" && find . -type f | sed 's|^\./||')"
rm -rf "$stage.keep"
echo "1..$ktap_n"
