#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the debug kernel `make check-debug` boots: Debian's linux-source-6.1,
# allnoconfig plus selftests/vm/debug.config (KASAN, lockdep, kmemleak,
# debugobjects), into $1. Leaves $1/linux/arch/x86/boot/bzImage, the tree to
# build casvip.ko against, $1/root/lib/modules/KVER and its release in
# $1/kver; prints the build time.
# Rebuilds only what changed.
set -e
out=$(realpath -m "$1")
frag=$(realpath selftests/vm/debug.config)
src=$out/linux
mkdir -p "$out"
if [ ! -f "$src/.extracted" ]; then
	tarball=$(ls /usr/src/linux-source-6.1*.tar.xz | head -n 1)
	echo "extracting $tarball"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	touch "$src/.extracted"
fi

cd "$src"
make -s KCONFIG_ALLCONFIG="$frag" allnoconfig
# Kconfig quietly drops what a dependency forbids: insist on every line.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF "$line" .config ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		! grep -q "^${sym%% *}=" .config ;;
	*) continue ;;
	esac || { echo "debug.config: $line not taken" >&2; bad=1; }
done <"$frag"
[ "$bad" = 0 ]

start=$(date +%s)
make -s -j"$(nproc)" bzImage modules
mkdir -p "$out/root"
make -s INSTALL_MOD_PATH="$out/root" modules_install
end=$(date +%s)
make -s kernelrelease >"$out/kver"
echo "debug kernel $(cat "$out/kver") built in $((end - start)) s on $(nproc) cpus"
