#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make docs`: build the PCI driver-api book of the composed tree with Sphinx
# and fail on any warning or error about our documentation or our sources.
#
#   docs.sh <repo> <build-dir>
#
# Installs python3-sphinx with apt-get when it is missing (as root only).
# The book is always rebuilt from scratch (sphinx-build -E): Sphinx repeats
# no warning for a document it does not reread, so an incremental build
# could pass over a warning it printed last time.  Warnings about stock
# files are counted and left in the log: they are not ours to fix.
set -uo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
tree=$build/linux
obj=$build/obj-docs
log=$obj/htmldocs.log
book=driver-api/pci

die() { echo "docs: error: $*" >&2; exit 1; }
say() { echo "docs: $*"; }

if [ ! -f "$tree/Makefile" ] || [ ! -f "$tree/.p2p-owned" ]; then
	die "no composed tree at $tree (make compose BUILD=$build)"
fi
mkdir -p "$obj"

# Sphinx from Debian.  The kernel's default theme (alabaster) comes with
# python3-sphinx; the Read the Docs theme is needed only if DOCS_THEME asks
# for it.
need=()
command -v sphinx-build >/dev/null || need+=(python3-sphinx)
case "${DOCS_THEME:-}" in
sphinx_rtd_theme | sphinx_rtd_dark_mode)
	python3 -c 'import sphinx_rtd_theme' 2>/dev/null ||
		need+=(python3-sphinx-rtd-theme)
	;;
esac
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	[ "$(id -u)" = 0 ] ||
		die "run as root to install ${need[*]}, or install it yourself (apt-get install ${need[*]})"
	{ DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			"${need[@]}"; } >"$obj/apt.log" 2>&1 || {
		tail -n 20 "$obj/apt.log" >&2
		die "apt-get failed; check the network and Debian mirrors"
	}
fi
# Without sphinx-build the kernel's htmldocs prints a hint and exits 0.
command -v sphinx-build >/dev/null ||
	die "sphinx-build not found after installing python3-sphinx"

# What counts as ours: every file the tree overlays and every stock file the
# series patches, by their paths in the kernel tree, plus the name the book's
# index gives our guide.
ours=$(
	cd "$repo" || exit 1
	git ls-files -co --exclude-standard -- drivers include kernel lib \
		Documentation tools/pci scripts/coccinelle/p2pdma
	grep -v '^\s*\(#\|$\)' patches/series | while read -r p; do
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "patches/$p"
	done
)
patterns=$obj/ours.patterns
{
	printf '%s\n' "$ours" | sort -u
	echo "$book/p2pdma"
	echo "'p2pdma'"
} >"$patterns"

say "building $book with $(sphinx-build --version 2>&1 | head -n1), log in $log"
make -C "$tree" O="$obj" -j"$(nproc)" SPHINXOPTS="-q -E" \
	SPHINXDIRS="$book" htmldocs >"$log" 2>&1
rc=$?

problems=$(grep -iE '(warning|error|critical)' "$log")
mine=$(printf '%s\n' "$problems" | grep -F -f "$patterns")
stock=$(printf '%s\n' "$problems" | grep -v -F -f "$patterns" | grep -c .)

[ -n "$mine" ] && echo "$mine"
if [ $rc != 0 ]; then
	tail -n 30 "$log" >&2
	die "make htmldocs failed (exit $rc); see $log"
fi
if [ -n "$mine" ]; then
	die "$(printf '%s\n' "$mine" | grep -c .) warning(s) or error(s) about P2PDMA files ($stock more about stock files in $log)"
fi
say "no warning about P2PDMA files; $stock about stock files (information, see $log)"
say "html at $obj/Documentation/output/$book/p2pdma.html"
