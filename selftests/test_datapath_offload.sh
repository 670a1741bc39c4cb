#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_datapath.sh with offload on: casvip's established connections take the
# flowtable fast path, and all of it holds the same.
OFFLOAD=on
. /tests/test_datapath.sh
