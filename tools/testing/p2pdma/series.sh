#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The feature as a series a maintainer applies with `git am`.
#
#   series.sh <repo> <build-dir> export   write <build>/patches/ (make patches)
#   series.sh <repo> <build-dir> am       git am it onto the base, compare
#                                         with the composed tree
#   series.sh <repo> <build-dir> steps    build the base after each patch
#
# The repository keeps stock-file diffs in patches/ (listed in
# patches/series) and our own files whole at their kernel paths;
# patches/files names the patch that carries each of our files.  `export`
# joins the two: patch N of build/patches/ is patches/series' Nth diff plus
# the files patches/files gives it, as diffs against the base (new files
# against /dev/null), behind a cover letter (patches/cover-letter plus the
# measurements of README.md).
#
# `am` applies the export with git am to a git tree of the base files it
# touches and fails, naming the file, if the result differs from the tree
# compose.sh made.  `steps` applies the series to a copy of the base one
# patch at a time and builds a small kernel (base.config, kunit.config and
# steps.config, without the run-time checkers) after each, incrementally,
# in <build>/obj-steps; a step that does not build, or loses
# CONFIG_PCI_P2PDMA, fails the run and names its patch, and after the last
# one every option of those fragments must be set.  A step that changes
# what the kernel builds (not only documentation, scripts or tools) is also
# booted on topology (a) with the test initramfs, which runs the demo
# scenario: an O_DIRECT copy through the CMB that must verify, with no
# report from the kernel's checkers (logs in <build>/logs-steps/).
set -euo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
mode=$3
here=$repo/tools/testing/p2pdma
out=$build/patches
tree=$build/linux

die() { echo "series: error: $*" >&2; exit 1; }
say() { echo "series: $*"; }

base=$(ls -d "$build"/base/*/linux-source-* 2>/dev/null | head -n1)
[ -n "$base" ] || die "no unpacked base under $build/base (run make compose)"
mapfile -t patches < <(grep -v '^\s*\(#\|$\)' "$repo/patches/series")

# The files compose.sh lays over the tree, one per line.
overlay_files() {
	(cd "$repo" && git ls-files -co --exclude-standard -- drivers include \
		kernel lib Documentation tools/pci scripts/coccinelle/p2pdma) |
		sort -u
}

# The files of patches/files that patch $1 carries.
files_of() { awk -v p="$1" '!/^#/ && $1 == p { print $2 }' "$repo/patches/files"; }

# Every overlay file is carried by exactly one patch of the series.
check_files_map() {
	local bad=0 f n p
	while read -r f; do
		n=$(awk -v f="$f" '!/^#/ && $2 == f' "$repo/patches/files" | wc -l)
		if [ "$n" != 1 ]; then
			echo "series: $f is named $n times in patches/files (once, please)" >&2
			bad=1
		fi
	done < <(overlay_files)
	while read -r p f; do
		if ! printf '%s\n' "${patches[@]}" | grep -qxF -- "$p"; then
			echo "series: patches/files: $p is not in patches/series" >&2
			bad=1
		elif [ ! -f "$repo/$f" ]; then
			echo "series: patches/files: no file $f" >&2
			bad=1
		fi
	done < <(grep -v '^\s*\(#\|$\)' "$repo/patches/files")
	[ $bad = 0 ] || die "patches/files does not match the files of the tree"
}

# A patch's message: everything of patches/NAME above its "---" line.
message_of() { sed '/^---$/,$d' "$repo/patches/$1"; }
subject_of() { sed -n 's/^Subject: \[PATCH\] //p' "$repo/patches/$1"; }

# The diff of patch $1: its stock-file hunks, then its files against the base.
diff_of() {
	local p=$1 f
	sed '1,/^---$/d' "$repo/patches/$p"
	for f in $(files_of "$p"); do
		if [ -f "$base/$f" ]; then
			diff -u --label "a/$f" --label "b/$f" "$base/$f" "$repo/$f" ||
				[ $? = 1 ]
		else
			diff -u --label /dev/null --label "b/$f" /dev/null "$repo/$f" ||
				[ $? = 1 ]
		fi
	done
}

# The sections of README.md that compare this tree with stock, without
# the README's images, which a mail cannot show.
readme_section() {	# heading
	local text
	text=$(awk -v h="$1" '
		/^## / { on = ($0 == "## " h) }
		on && !/^!\[/' "$repo/README.md")
	[ -n "$text" ] || die "README.md has no section '## $1' for the cover letter"
	printf '%s\n' "$text"
}

do_export() {
	local n=${#patches[@]} i=0 p date
	check_files_map
	rm -rf "$out"
	mkdir -p "$out"
	date=$(cd "$repo" && git log -1 --format=%aD 2>/dev/null || date -R)
	header() {	# number subject
		printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
		printf 'From: P2PDMA maintainers <p2pdma@example.org>\n'
		printf 'Date: %s\n' "$date"
		printf 'Subject: [PATCH %0*d/%d] %s\n' ${#n} "$1" "$n" "$2"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n\n'
	}
	for p in "${patches[@]}"; do
		i=$((i + 1))
		{
			header "$i" "$(subject_of "$p")"
			message_of "$p" | sed '1,/^$/d'
			echo "---"
			diff_of "$p" >"$out/.diff"
			git apply --stat <"$out/.diff"
			echo
			cat "$out/.diff"
			printf -- '-- \ntools/testing/p2pdma/series.sh\n\n'
		} >"$out/$p"
	done
	{
		header 0 "$(sed -n 's/^Subject: //p' "$repo/patches/cover-letter")"
		sed '1,/^$/d' "$repo/patches/cover-letter"
		echo
		readme_section "Compared with stock Linux 6.12 P2PDMA"
		echo
		readme_section "Benchmark"
		echo
		for p in "${patches[@]}"; do
			printf '  %s\n' "$(subject_of "$p")"
		done
		echo
		for p in "${patches[@]}"; do diff_of "$p"; done >"$out/.diff"
		git apply --stat <"$out/.diff"
		printf -- '-- \ntools/testing/p2pdma/series.sh\n\n'
	} >"$out/0000-cover-letter.patch"
	rm -f "$out/.diff"
	say "$n patches and a cover letter in $out"
}

# The paths the exported series touches.
touched_paths() {
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$out"/[0-9]*.patch | sort -u
}

# Copy into $1 the base's version of each path read from stdin that the
# base has: the tree the series is applied to.
copy_base_files() {	# dir
	local f
	while read -r f; do
		[ -f "$base/$f" ] || continue
		mkdir -p "$1/$(dirname "$f")"
		cp "$base/$f" "$1/$f"
	done
}

do_am() {
	local work=$build/series-am f bad=0
	[ -f "$out/0000-cover-letter.patch" ] || die "no export in $out (make patches)"
	[ -f "$tree/.p2p-owned" ] || die "no composed tree at $tree (make compose)"
	rm -rf "$work"
	mkdir -p "$work"
	touched_paths >"$work/.paths"
	copy_base_files "$work" <"$work/.paths"
	(
		cd "$work"
		export GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost
		export GIT_COMMITTER_NAME=series GIT_COMMITTER_EMAIL=series@localhost
		git init -q .
		git add -A .
		git commit -q -m "linux-source-6.12 (the files the series touches)"
		git am -q --empty=drop "$out"/*.patch
	) || die "git am of $out failed on the base (see above)"
	# Every file the composed tree took from us, and no other, is the
	# series' result.
	{ grep -v '^\.' "$tree/.p2p-owned" || true; } | sort >"$work/.owned"
	if ! diff -u "$work/.owned" "$work/.paths" >"$work/.pathdiff"; then
		sed -n 's/^[-+][^-+]/&/p' "$work/.pathdiff" | sed 's/^-/series misses /; s/^+/series adds /' >&2
		bad=1
	fi
	while read -r f; do
		if ! cmp -s "$work/$f" "$tree/$f"; then
			echo "series: $f after git am differs from the composed tree" >&2
			bad=1
		fi
	done <"$work/.paths"
	[ $bad = 0 ] || die "git am of build/patches does not reproduce the composed tree"
	say "git am of $(ls "$out"/[0-9]*.patch | grep -vc cover-letter) patches reproduces the composed tree ($(wc -l <"$work/.paths") files)"
}

# Does patch $1 change what the kernel builds, not only its documentation,
# scripts or tools?
changes_kernel() {
	sed -n 's|^+++ b/||p' "$1" |
		grep -qvE '^(Documentation|scripts|tools)/|^MAINTAINERS$'
}

# Boot the kernel built in $2 after patch $1 and run the demo scenario.
boot_step() {	# patch obj-dir
	local logs=$build/logs-steps name
	name=$(basename "$1" .patch)
	mkdir -p "$logs"
	P2P_KERNEL=$2/arch/x86/boot/bzImage P2P_LOGS=$logs \
		"$here/run-scenario.sh" "$repo" "$build" demo >"$logs/$name.run" 2>&1 ||
		{ cat "$logs/$name.run" >&2; die "cannot boot the kernel after $name"; }
	if ! "$here/tap.py" "$here/scenarios" "$logs" demo >"$logs/$name.tap" 2>&1; then
		cat "$logs/$name.tap" >&2
		mv "$logs/demo.log" "$logs/$name.log"
		die "the kernel after $name fails the demo boot (log: $logs/$name.log)"
	fi
	mv "$logs/demo.log" "$logs/$name.log"
	say "boots after $name: $(tail -n 1 "$logs/$name.tap")"
}

do_steps() {
	local stree=$build/steps/linux sobj=$build/obj-steps work=$build/steps/work
	local i=0 p f cc=gcc frag start missing
	command -v ccache >/dev/null && cc="ccache gcc"
	[ -f "$out/0000-cover-letter.patch" ] || die "no export in $out (make patches)"
	# A tree of hard links to the base, except the files the series
	# touches, which are real copies rewritten only when they change.
	if [ ! -f "$stree/.p2p-base" ] || [ "$(cat "$stree/.p2p-base")" != "$base" ]; then
		say "linking a tree for the steps to the base (once per base)"
		rm -rf "$build/steps"
		mkdir -p "$build/steps"
		cp -al "$base" "$stree"
		echo "$base" >"$stree/.p2p-base"
	fi
	# Paths an earlier export touched and this one does not go back to
	# the base, so that no stale copy is built.
	touched_paths >"$build/steps/.paths.new"
	if [ -f "$build/steps/.paths" ]; then
		comm -23 "$build/steps/.paths" "$build/steps/.paths.new" |
		while read -r f; do
			rm -f "$stree/$f"
			[ ! -f "$base/$f" ] || ln "$base/$f" "$stree/$f"
		done
	fi
	mv "$build/steps/.paths.new" "$build/steps/.paths"
	[ -f "$build/initramfs.cpio" ] ||
		die "no $build/initramfs.cpio to boot the steps with (make initramfs)"
	rm -rf "$work"
	mkdir -p "$work"
	copy_base_files "$work" <"$build/steps/.paths"
	frag="$here/config/base.config $here/config/kunit.config $here/config/steps.config"
	mkdir -p "$sobj"
	for p in "$out"/[0-9]*.patch; do
		case "$p" in *cover-letter*) continue ;; esac
		i=$((i + 1))
		patch -p1 -s -f -F0 -d "$work" --no-backup-if-mismatch <"$p" ||
			die "$(basename "$p") does not apply in turn"
		# Sync: write what changed, so kbuild rebuilds only that.
		while read -r f; do
			if [ -f "$work/$f" ]; then
				cmp -s "$work/$f" "$stree/$f" && continue
				rm -f "$stree/$f"
				mkdir -p "$stree/$(dirname "$f")"
				cp "$work/$f" "$stree/$f"
			else
				rm -f "$stree/$f"
			fi
		done <"$build/steps/.paths"
		# The options the fragments ask for, where this step has them.
		cat $frag >"$sobj/.fragment"
		make -s -C "$stree" O="$sobj" CC="$cc" \
			KCONFIG_ALLCONFIG="$sobj/.fragment" allnoconfig >/dev/null
		grep -qx 'CONFIG_PCI_P2PDMA=y' "$sobj/.config" ||
			die "CONFIG_PCI_P2PDMA is off after $(basename "$p"): nothing of the feature would be built"
		start=$(date +%s)
		if ! make -s -C "$stree" O="$sobj" CC="$cc" -j"$(nproc)" \
				bzImage modules >"$sobj/step.log" 2>&1; then
			grep -m 20 -E 'error|Error' "$sobj/step.log" >&2 ||
				tail -n 20 "$sobj/step.log" >&2
			die "the kernel does not build after $(basename "$p")"
		fi
		say "builds after $(basename "$p") ($(($(date +%s) - start)) s)"
		if changes_kernel "$p"; then
			boot_step "$p" "$sobj"
		fi
	done
	# After the last patch every option the fragments ask for must be
	# set, so that each test and tool of the series was built.
	missing=$(grep -h '^CONFIG_.*=[ym]$' $frag | sort -u |
		while read -r f; do grep -qx -- "$f" "$sobj/.config" || echo "$f"; done)
	[ -z "$missing" ] ||
		die "after the last patch the configuration lacks $(echo $missing)"
}

case "$mode" in
export) do_export ;;
am) do_am ;;
steps) do_steps ;;
*) die "unknown mode '$mode' (export, am or steps)" ;;
esac
