#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (started by vm/init): each test named on the
# kernel command line, between markers the host runner reads.
tests=$(sed -n 's/.*casviptest=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
printf '\n@@@ casvip begin\n'
for t in $tests; do
	echo "@@@ test $t"
	case $t in
	*.sh) bash "/tests/$t" ;;
	*) "/tests/$t" ;;
	esac
	echo "@@@ exit $t $?"
done
# Unloading frees everything: the module reports any object left behind.
if grep -q '^casvip ' /proc/modules; then
	/usr/sbin/casvipctl flush
	rmmod casvip || echo "@@@ exit rmmod-casvip 1"
fi
echo "@@@ dmesg begin"
dmesg
echo "@@@ dmesg end"
echo "@@@ casvip end"
poweroff -f
