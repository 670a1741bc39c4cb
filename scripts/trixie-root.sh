#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Make DIR a Debian 13 (trixie) build root: make, gcc-14 (trixie's headers
# need it; Debian 12 has gcc-12), sparse and trixie's current cloud kernel
# headers, which pull the matching kernel image and modules, from the
# trixie and trixie-security archives of the mirror this machine's apt
# uses. Without docs, about 400 MB. Does nothing if DIR is made already;
# remove it to take a newer kernel.
# usage: trixie-root.sh DIR
set -e
dir=$1
[ -f "$dir/.done" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "trixie-root.sh: need root for mmdebstrap --mode=root" >&2
	exit 1
fi

# The archive and security URIs apt fetches Debian from, as its own index
# targets name them (after apt-get update).
uri() { # LABEL: the URI of apt's source of that label
	apt-get indextargets --format '$(LABEL) $(REPO_URI)' |
		awk -v l="$1" '$1 == l { print $2; exit }'
}
[ -n "$(uri Debian)" ] || apt-get update -q
archive=$(uri Debian)
security=$(uri Debian-Security)
if [ -z "$archive" ] || [ -z "$security" ]; then
	echo "trixie-root.sh: apt has no Debian archive and security source" >&2
	exit 1
fi
# A proxy apt goes through, if any, serves the root too.
proxy=
eval "$(apt-config shell proxy Acquire::http::Proxy)"

rm -rf "$dir"
start=$(date +%s)
mmdebstrap --mode=root --variant=essential \
	--include=make,gcc-14,sparse,linux-headers-cloud-amd64 \
	${proxy:+--aptopt="Acquire::http::Proxy \"$proxy\""} \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	trixie "$dir" \
	"deb ${archive%/} trixie main" \
	"deb ${security%/} trixie-security main"
touch "$dir/.done"
echo "trixie root with kernel $(scripts/kver.sh "$dir") made in $(($(date +%s) - start)) s"
