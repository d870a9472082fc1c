#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: boot topology (a) and show P2PDMA at work.
set -euo pipefail
repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
here=$repo/tools/testing/p2pdma

"$here/run-scenario.sh" "$repo" "$build" demo
log=$build/logs/demo.log
sed -n '/p2ptest: starting/,/p2ptest: ==== guest dmesg/p' "$log" |
	grep -v '^p2ptest: ====' | grep -v 'KTAP version' | tr -d '\r'
echo
"$here/tap.py" "$here/scenarios" "$build/logs" demo
