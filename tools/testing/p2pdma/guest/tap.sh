# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Tiny KTAP emitter for guest scenarios: results print as a KUnit-style
# suite, so the host parses them like KUnit's own output.
TAP_N=0
TAP_FAILED=0

tap_suite() {
	TAP_SUITE=$1
	echo "    KTAP version 1"
	echo "    # Subtest: $TAP_SUITE"
}

ok() {
	TAP_N=$((TAP_N + 1))
	echo "    ok $TAP_N $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "    not ok $TAP_N $*"
}

skip() {
	TAP_N=$((TAP_N + 1))
	echo "    ok $TAP_N $1 # SKIP $2"
}

# check NAME COMMAND...: ok if COMMAND succeeds; its output goes to the log.
check() {
	name=$1
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		echo "$out" | sed 's/^/    # /'
		not_ok "$name"
	fi
}

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		echo "    # $1: expected '$2', got '$3'"
		not_ok "$1"
	fi
}

tap_end() {
	echo "    1..$TAP_N"
	if [ $TAP_FAILED = 0 ]; then
		echo "ok 1 $TAP_SUITE"
	else
		echo "not ok 1 $TAP_SUITE"
	fi
}
