#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: the tools maintainers run before they read a series.
#
#   check.sh <repo> <build-dir>
#
# checkpatch --strict on our files and on our series, kernel-doc -Wall on our
# files, sparse (C=2) on the objects we own or touch.  Each finding is
# printed with file:line; the script ends with one line per tool and exits
# non-zero if any tool found something.  Justified exceptions live in
# tools/testing/p2pdma/checkpatch.ignore, one per line with a comment.
set -uo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
tree=$build/linux
obj=$build/obj
here=$repo/tools/testing/p2pdma
cd "$repo" || exit 1

c_files=$(git ls-files -co --exclude-standard -- 'drivers/*.[ch]' \
	'include/*.h' 'kernel/*.[ch]' 'lib/*.[ch]' 'tools/pci/*.c')
ignore=$(grep -v '^\s*#' "$here/checkpatch.ignore" | awk '{print $1}' | paste -sd, -)
summary=()
failed=0

record() {	# tool findings
	summary+=("$(printf '%-12s %s' "$1" "$2")")
	[ "$2" = clean ] || failed=1
}

# checkpatch: our files as files, our series as patches.
out=$("$tree/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	${ignore:+--ignore "$ignore"} -f $c_files 2>&1 | grep -E '^[^ ]+:[0-9]+:')
out2=$(for p in $(grep -v '^#' patches/series); do
	"$tree/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		${ignore:+--ignore "$ignore"} "patches/$p" 2>&1 |
		grep -E '^[^ ]+:[0-9]+:' | sed "s|^|patches/$p: |"
done)
all=$(printf '%s\n%s\n' "$out" "$out2" | sed '/^$/d')
[ -n "$all" ] && echo "$all"
n=$(printf '%s' "$all" | grep -c . || true)
record checkpatch "$([ "$n" = 0 ] && echo clean || echo "$n finding(s)")"

# kernel-doc: every documented symbol complete, no warnings.
out=$("$tree/scripts/kernel-doc" -none -Wall $c_files 2>&1)
[ -n "$out" ] && echo "$out"
n=$(printf '%s' "$out" | grep -c . || true)
record kernel-doc "$([ "$n" = 0 ] && echo clean || echo "$n warning(s)")"

# sparse on our objects and the stock objects our series touches.
objs="drivers/pci/p2pdma.o drivers/pci/p2pdma-topology.o
	drivers/pci/p2pdma-sysfs.o drivers/pci/p2pdma-debugfs.o
	kernel/dma/direct.o kernel/dma/mapping.o drivers/iommu/dma-iommu.o
	lib/sg_bus_addr_kunit.o"
if command -v sparse >/dev/null; then
	out=$(make -s -C "$tree" O="$obj" C=2 $objs 2>&1 |
		grep -E '(warning|error):')
	# Only what sparse says about files we own or patch counts.
	own=$( (git ls-files -- drivers include kernel lib;
		sed -n 's|^+++ b/||p' patches/*.patch) | sort -u | paste -sd'|' -)
	out=$(printf '%s\n' "$out" | grep -E "($own):")
	[ -n "$out" ] && echo "$out"
	n=$(printf '%s' "$out" | grep -c . || true)
	record sparse "$([ "$n" = 0 ] && echo clean || echo "$n warning(s)")"
else
	record sparse "not installed (apt-get install sparse)"
fi

# clang-format: our new files must already be formatted.
if command -v clang-format >/dev/null; then
	n=0
	for f in $c_files; do
		if ! clang-format --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
			echo "$f: clang-format would change it"
			n=$((n + 1))
		fi
	done
	record format "$([ "$n" = 0 ] && echo clean || echo "$n file(s)")"
fi

echo "==== check summary ===="
printf '%s\n' "${summary[@]}"
exit $failed
