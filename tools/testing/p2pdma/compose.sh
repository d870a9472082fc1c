#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compose the kernel tree: Debian's linux-source-6.12 + our files + our series.
#
#   compose.sh <repo> <build-dir>
#
# The base is unpacked once per tarball (keyed by its checksum).  The composed
# tree is updated in place and only files whose content changes are written,
# so kbuild rebuilds only what an edit really touched.
set -euo pipefail

repo=$(cd "$1" && pwd)
build=$2
tarball=${P2P_BASE_TARBALL:-$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)}
tree=$build/linux
here=$repo/tools/testing/p2pdma

die() { echo "compose: error: $*" >&2; exit 1; }
say() { echo "compose: $*"; }

[ -n "$tarball" ] && [ -f "$tarball" ] ||
	die "no /usr/src/linux-source-6.12.tar.* (apt-get install linux-source-6.12)"

# Key the base by the tarball's size and mtime (cheap) and record its checksum
# the first time, so a new 6.12.y from Debian gets a fresh base.
key=$(stat -c '%s-%Y' "$tarball")
base_dir=$build/base/$key
if [ ! -f "$base_dir/.unpacked" ]; then
	say "unpacking $(basename "$tarball") (once per tarball)"
	rm -rf "$build/base"
	mkdir -p "$base_dir"
	avail=$(df -Pk "$build" | awk 'NR==2 {print $4}')
	[ "$avail" -gt 8000000 ] ||
		die "less than 8 GiB free under $build: free some disk space"
	tar -xf "$tarball" -C "$base_dir"
	touch "$base_dir/.unpacked"
fi
base=$(ls -d "$base_dir"/linux-source-* | head -n1)

if [ ! -f "$tree/.p2p-base" ] || [ "$(cat "$tree/.p2p-base")" != "$key" ]; then
	say "creating composed tree from base $key"
	rm -rf "$tree"
	cp -a "$base" "$tree"
	echo "$key" >"$tree/.p2p-base"
	: >"$tree/.p2p-owned"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Our files, at their kernel paths.
overlay_dirs="drivers include kernel lib Documentation tools/pci scripts/coccinelle/p2pdma"
(cd "$repo" && git ls-files -co --exclude-standard -- $overlay_dirs 2>/dev/null) \
	>"$stage/.overlay"

# Files the series edits, taken from the '+++ b/path' lines.
series=$repo/patches/series
: >"$stage/.patched"
if [ -f "$series" ]; then
	grep -v '^\s*\(#\|$\)' "$series" | while read -r p; do
		[ -f "$repo/patches/$p" ] || die "series names missing patch patches/$p"
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$repo/patches/$p"
	done | sort -u >"$stage/.patched"
fi

while read -r f; do
	[ -n "$f" ] || continue
	mkdir -p "$stage/tree/$(dirname "$f")"
	[ -f "$base/$f" ] && cp "$base/$f" "$stage/tree/$f"
done <"$stage/.patched"
while read -r f; do
	[ -n "$f" ] || continue
	mkdir -p "$stage/tree/$(dirname "$f")"
	cp "$repo/$f" "$stage/tree/$f"
done <"$stage/.overlay"

if [ -f "$series" ]; then
	for p in $(grep -v '^\s*\(#\|$\)' "$series"); do
		# A patch that only adds our files has no stock hunk to apply.
		grep -q '^+++ ' "$repo/patches/$p" || continue
		if ! out=$(patch -p1 -d "$stage/tree" --no-backup-if-mismatch \
				-f -s <"$repo/patches/$p" 2>&1); then
			echo "$out" >&2
			die "patches/$p does not apply to $(basename "$base") (see the hunk above); refresh it"
		fi
	done
fi
find "$stage/tree" -name '*.orig' -o -name '*.rej' | xargs -r rm -f

# Stock files that our tree removes outright.
removed="Documentation/driver-api/pci/p2pdma.rst"

# Write only what changed, so timestamps of unchanged files stay put.
changed=0
(cd "$stage/tree" && find . -type f | sed 's|^\./||' | sort) >"$stage/.owned"
while read -r f; do
	if ! cmp -s "$stage/tree/$f" "$tree/$f"; then
		mkdir -p "$tree/$(dirname "$f")"
		cp "$stage/tree/$f" "$tree/$f"
		changed=$((changed + 1))
	fi
done <"$stage/.owned"

# Files we owned before but no longer do go back to stock (or away).
comm -23 <(sort "$tree/.p2p-owned") "$stage/.owned" | while read -r f; do
	if [ -f "$base/$f" ]; then
		cmp -s "$base/$f" "$tree/$f" || cp "$base/$f" "$tree/$f"
	else
		rm -f "$tree/$f"
	fi
done
for f in $removed; do
	grep -qx "$f" "$stage/.owned" || rm -f "$tree/$f"
done
cp "$stage/.owned" "$tree/.p2p-owned"

# Nothing of the stock implementation may survive.
fail=0
for f in drivers/pci/p2pdma.c include/linux/pci-p2pdma.h $removed; do
	if [ -f "$tree/$f" ] && cmp -s "$base/$f" "$tree/$f"; then
		echo "compose: stock $f survives in the composed tree" >&2
		fail=1
	fi
done
while IFS=$'\t' read -r f needle; do
	case "$f" in '#'* | '') continue ;; esac
	if grep -qF -- "$needle" "$tree/$f" 2>/dev/null; then
		echo "compose: stock P2PDMA code survives in $f: '$needle'" >&2
		fail=1
	fi
done <"$here/stock-fingerprints"
[ $fail = 0 ] || die "stock P2PDMA implementation found in the composed tree"

say "tree ready at $tree ($changed file(s) updated)"
