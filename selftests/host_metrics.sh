#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The example Prometheus alert rules: valid for promtool, and each fires
# on what it is for, and not on what it is not (alerts.test.yml).
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
check "promtool check rules dist/casvip-alerts.yml" \
	promtool check rules dist/casvip-alerts.yml
check "promtool test rules: the alerts fire when they should, only then" \
	promtool test rules selftests/alerts.test.yml
echo "1..$ktap_n"
