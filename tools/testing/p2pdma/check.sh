#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: the tools maintainers run before they read a series.
#
#   check.sh <repo> <build-dir> [tool...]
#
# Tools, all by default: checkpatch sparse coccinelle kernel-doc abi format w1
# series steps.
# Each finding is printed as file:line; the script ends with one line per
# tool and exits non-zero if any tool found something.  What is covered:
#
# checkpatch  --strict on every C file and document we ship (as files) and on
#             every diff of patches/series (as patches, on stdin).  Accepted
#             findings: tools/testing/p2pdma/checkpatch.ignore, each with
#             its reason.  (The harness's shell and Python are not kernel
#             code; checkpatch has no rules for them.)
# sparse      C=2 (kbuild's CHECKFLAGS: -Wbitwise for __le/__be types,
#             address spaces always) on the objects of our files and on the
#             stock objects our series patches; a warning fails if it is in
#             one of our files, or if the same objects of the unmodified
#             base (checked once in <build>/obj-base-sparse) do not have it.
# coccinelle  `make coccicheck MODE=report` on our kernel files, and our
#             semantic patches (scripts/coccinelle/p2pdma/) on the whole
#             composed tree: findings in our files fail, findings in stock
#             code are printed for information.
# kernel-doc  -none -Wall on our files, and every exported function and every
#             function and type of our public headers must have a comment.
# abi         every What: path of our Documentation/ABI files is described
#             by no other ABI file of the composed tree (get_abi.pl would
#             merge the two descriptions into one entry).
# format      clang-format (the top-level .clang-format) on every C file of
#             ours: any line it would change is a finding.
# w1          W=1 on the same objects as sparse: no warning at all.
# tiny        the stock code our series changes, built in `make tinyconfig`
#             (no PCI, no ZONE_DEVICE): the headers we change are included
#             by every kernel, not only by ours (in <build>/obj-tiny).
# series      series.sh: the exported series (build/patches, make patches)
#             applied with git am reproduces the composed tree.
# steps       series.sh: a small kernel builds after every patch of the
#             series, incrementally, and boots the demo scenario after each
#             patch that changes what the kernel builds (the demo copy must
#             verify, no checker report).  About 35 minutes from scratch on
#             2 cores, so `make check` runs it and `make test` does not.
#
# sparse, coccinelle and w1 need the composed tree and the configured test
# kernel (`make kernel`); format needs neither.
set -uo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
tools=${*:-checkpatch sparse coccinelle kernel-doc abi format w1 tiny series steps}
tree=$build/linux
obj=$build/obj
here=$repo/tools/testing/p2pdma
jobs=$(nproc)
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
cd "$repo" || exit 1

# Tracked and new files, as compose.sh lays them over the tree.
ours() { git ls-files -co --exclude-standard -- "$@" | sort -u |
	while read -r f; do [ -f "$f" ] && echo "$f"; done; }
# Our C files: kernel code, the p2pmatrix tool and the guest test programs.
c_files=$(ours 'drivers/*.[ch]' 'include/*.h' 'kernel/*.[ch]' 'lib/*.[ch]' \
	'tools/pci/*.[ch]' 'tools/testing/p2pdma/src/*.[ch]' \
	'tools/testing/p2pdma/provider/*.[ch]')
kernel_c_files=$(printf '%s\n' $c_files | grep -v '^tools/')
doc_files=$(ours Documentation)
series=$(grep -v '^\s*\(#\|$\)' patches/series)
# Objects: ours, and the stock ones whose sources the series patches.
own_objs=$(printf '%s\n' $kernel_c_files | sed -n 's/\.c$/.o/p')
stock_objs=$(for p in $series; do
	sed -n 's|^+++ b/\([^[:space:]]*\)\.c\([[:space:]].*\)\{0,1\}$|\1.o|p' "patches/$p"
done | sort -u)

summary=()
failed=0
record() {	# tool result-words...
	local tool=$1
	shift
	summary+=("$(printf '%-13s%s' "$tool" "$*")")
	case "$1" in clean | ok) ;; *) failed=1 ;; esac
}
want() { [[ " $tools " == *" $1 "* ]]; }
count() { printf '%s' "$1" | grep -c . || true; }
need_tree() {
	[ -x "$tree/scripts/checkpatch.pl" ] && return 0
	echo "check: no composed tree at $tree (run make compose)" >&2
	return 1
}
need_obj() {
	[ -f "$obj/.config" ] && [ -f "$obj/vmlinux" ] && return 0
	echo "check: no test kernel in $obj (run make kernel)" >&2
	return 1
}

# ---------------------------------------------------------------- checkpatch
# Findings come out as "path:line: LEVEL:TYPE: message"; for a patch, the
# line is the patch's and the patched file and line follow in brackets.
# An exception of checkpatch.ignore matches a finding by path glob, type and
# (optionally) text of the flagged code.
run_checkpatch() {
	local cp="$tree/scripts/checkpatch.pl --strict --no-tree --show-types --color=never"
	{
		$cp -f $c_files $doc_files 2>&1
		# The series as exported, our files in it: what a maintainer
		# runs checkpatch on.
		for p in $series; do
			echo "@@patch build/patches/$p"
			$cp - <"$build/patches/$p" 2>&1
		done
	} | python3 -c '
import fnmatch, re, sys

ignore_path, = sys.argv[1:]
# A comment block gives the reason of the exceptions right below it; a
# blank line ends it.
rules, reason, bad = [], False, []
for n, line in enumerate(open(ignore_path), 1):
	s = line.strip()
	if s.startswith("#"):
		reason = reason or len(s) > 1
		continue
	if not s:
		reason = False
		continue
	f = s.split(None, 2)
	if len(f) < 2:
		bad.append("%s:%d: malformed exception" % (ignore_path, n))
		continue
	if not reason:
		bad.append("%s:%d: exception without a reason above it" % (ignore_path, n))
	rules.append([f[0], f[1], f[2] if len(f) > 2 else "", 0, n])

findings, patch, block = [], None, None
def flush():
	global block
	if block:
		findings.append(block)
	block = None
for line in sys.stdin:
	line = line.rstrip("\n")
	if line.startswith("@@patch "):
		flush()
		patch = line.split(None, 1)[1]
		continue
	m = re.match(r"^(ERROR|WARNING|CHECK):([A-Z0-9_]+): (.*)$", line)
	if m:
		flush()
		block = dict(level=m.group(1), type=m.group(2), msg=m.group(3),
			     file=None, line=0, pline=0, code=[], patch=patch)
		continue
	if block is None:
		continue
	if not line:
		flush()
		continue
	m = re.match(r"^#(\d+): FILE: (.+):(\d+):$", line)
	if m and block["file"] is None:
		block["pline"], block["file"] = int(m.group(1)), m.group(2)
		block["line"] = int(m.group(3))
	elif block["file"] is None and not line.startswith("#"):
		block["msg"] += " " + line.strip()
	else:
		block["code"].append(line)
flush()

out, accepted = [], 0
for b in findings:
	if b["patch"]:
		where = "%s:%d" % (b["patch"], b["pline"] or 1)
		path = b["patch"]
		if b["file"]:
			b["msg"] += " [%s:%d]" % (b["file"], b["line"])
	else:
		where = "%s:%d" % (b["file"], b["line"])
		path = b["file"]
	code = "\n".join(b["code"])
	for r in rules:
		# A finding in one of our files, seen in the patch that adds it,
		# is accepted by the exceptions of that file too.
		paths = [path] + ([b["file"]] if b["patch"] and b["file"] else [])
		if any(fnmatch.fnmatch(x, r[0]) for x in paths) and \
		   r[1] == b["type"] and r[2] in code:
			r[3] += 1
			accepted += 1
			break
	else:
		out.append("%s: %s:%s: %s" % (where, b["level"], b["type"], b["msg"]))
for r in rules:
	if not r[3]:
		bad.append("%s:%d: exception matches nothing now: delete it" % (ignore_path, r[4]))
for l in out + bad:
	print(l)
print("@@accepted %d" % accepted)
' tools/testing/p2pdma/checkpatch.ignore
}

if want checkpatch && need_tree &&
   ! "$here/series.sh" "$repo" "$build" export >/dev/null; then
	record checkpatch "failed: the series cannot be exported (make patches)"
elif want checkpatch && need_tree; then
	echo "==== checkpatch --strict"
	res=$(run_checkpatch)
	# Its CamelCase cache, which it leaves in the current directory.
	rm -f .checkpatch-camelcase.*
	accepted=$(sed -n 's/^@@accepted //p' <<<"$res")
	out=$(grep -v '^@@accepted ' <<<"$res")
	[ -n "$out" ] && echo "$out"
	n=$(count "$out")
	nf=$(printf '%s\n' $c_files $doc_files | grep -c .)
	np=$(printf '%s\n' $series | grep -c .)
	if [ "$n" = 0 ]; then
		record checkpatch clean "($nf files, $np patches; $accepted justified exception(s) in checkpatch.ignore)"
	else
		record checkpatch "$n finding(s)" "($nf files, $np patches)"
	fi
elif want checkpatch; then
	record checkpatch "not run (no composed tree)"
fi

# -------------------------------------------------------------------- sparse
# "path:line:col: warning: msg" with the tree prefix removed; the base's
# warnings are compared by file and message, since the series moves lines.
sparse_lines() {	# prefix < make output
	sed -n "s|^$1/||p" | grep -E '^[^ :]+:[0-9]+:[0-9]+: (warning|error): '
}

# The unmodified base, configured like the test kernel, sparse on the stock
# objects only; its warnings are kept until the base, the configuration or
# the tools change.
sparse_base() {
	local base base_obj=$build/obj-base-sparse frags key
	base=$(ls -d "$build"/base/*/linux-source-* 2>/dev/null | head -n1)
	[ -n "$base" ] || { echo "check: no unpacked base under $build/base" >&2; return 1; }
	frags="$here/config/base.config $here/config/checkers.config $here/config/kunit.config"
	key=$( (cat "$tree/.p2p-base" $frags; echo "$stock_objs"; sparse --version;
		gcc --version | head -n1) | sha256sum | cut -c1-16)
	if [ "$(cat "$base_obj/.p2p-sparse-key" 2>/dev/null)" != "$key" ]; then
		echo "sparse: checking the unmodified base's $(echo $stock_objs | wc -w) objects once ($base_obj)" >&2
		rm -rf "$base_obj"
		mkdir -p "$base_obj"
		make -s -C "$base" O="$base_obj" CC="$cc" allnoconfig >/dev/null &&
		(cd "$base" && KCONFIG_CONFIG="$base_obj/.config" \
			scripts/kconfig/merge_config.sh -m -O "$base_obj" \
			"$base_obj/.config" $frags >/dev/null) &&
		make -s -C "$base" O="$base_obj" CC="$cc" olddefconfig >/dev/null &&
		make -s -C "$base" O="$base_obj" CC="$cc" -j"$jobs" C=2 $stock_objs \
			>"$base_obj/sparse.log" 2>&1 ||
			{ cat "$base_obj/sparse.log" >&2; return 1; }
		sparse_lines "$base" <"$base_obj/sparse.log" >"$base_obj/sparse.base"
		echo "$key" >"$base_obj/.p2p-sparse-key"
	fi
	cat "$base_obj/sparse.base"
}

if want sparse && need_tree && need_obj; then
	echo "==== sparse (C=2)"
	if ! command -v sparse >/dev/null; then
		record sparse "not installed (apt-get install sparse)"
	elif ! base_out=$(sparse_base); then
		record sparse "failed: could not check the unmodified base"
	else
		log=$(make -s -C "$tree" O="$obj" CC="$cc" -j"$jobs" C=2 \
			$own_objs $stock_objs 2>&1)
		rc=$?
		ours=$(sparse_lines "$tree" <<<"$log")
		out=$(python3 -c '
import collections, re, sys
own = set(sys.argv[1].split())
base = collections.Counter()
for l in sys.argv[2].splitlines():
	m = re.match(r"^([^:]+):\d+:\d+: (.*)$", l)
	if m:
		base[m.groups()] += 1
old = 0
for l in sys.stdin.read().splitlines():
	m = re.match(r"^([^:]+):\d+:\d+: (.*)$", l)
	if not m:
		continue
	if m.group(1) not in own and base[m.groups()] > 0:
		base[m.groups()] -= 1
		old += 1
		continue
	print(l)
print("@@old %d" % old)
' "$c_files" "$base_out" <<<"$ours")
		old=$(sed -n 's/^@@old //p' <<<"$out")
		out=$(grep -v '^@@old ' <<<"$out")
		if [ $rc != 0 ]; then
			echo "$log" | tail -n 30
			out=$(printf '%s\n%s' "$out" "make C=2 failed (exit $rc)")
		fi
		[ -n "$out" ] && echo "$out"
		n=$(count "$out")
		no=$(echo $own_objs $stock_objs | wc -w)
		if [ "$n" = 0 ]; then
			record sparse clean "($no objects; $old warning(s) that the base has too)"
		else
			record sparse "$n new warning(s)" "($no objects)"
		fi
	fi
elif want sparse; then
	record sparse "not run (no composed tree or test kernel)"
fi

# ---------------------------------------------------------------- coccinelle
# "Grep:" lines of a semantic patch: extended regexps a matching file
# contains, all of them.
cocci_candidates() {	# cocci-file
	local files re
	files=$(cd "$tree" && find . -type f -name '*.[ch]' | sed 's|^\./||')
	while read -r re; do
		[ -n "$re" ] || continue
		files=$(cd "$tree" && printf '%s\n' $files | xargs -r grep -lE -- "$re")
	done < <(sed -n 's|^// Grep: ||p' "$1")
	printf '%s\n' $files
}

if want coccinelle && need_tree && need_obj; then
	echo "==== coccinelle"
	if ! command -v spatch >/dev/null; then
		record coccinelle "not installed (apt-get install coccinelle)"
	else
		# 1. Every semantic patch of the kernel (and ours, which compose.sh
		# puts in scripts/coccinelle/p2pdma/) on a copy of our kernel
		# files: they describe kernel APIs (min(), kfree(), ...), which
		# the user-space programs under tools/ do not have.
		stage=$build/coccicheck
		rm -rf "$stage"
		for f in $kernel_c_files; do
			mkdir -p "$stage/$(dirname "$f")"
			cp "$f" "$stage/$f"
		done
		log=$(make -C "$tree" O="$obj" coccicheck MODE=report J="$jobs" \
			M="$stage" 2>&1)
		rc=$?
		out=$(sed -n "s|^$stage/||p" <<<"$log" | grep -E '^[^ :]+:[0-9]+:')
		if [ $rc != 0 ]; then
			grep -v '^/usr/bin/spatch\|^make' <<<"$log" | tail -n 20
			out=$(printf '%s\n%s' "$out" "make coccicheck failed (exit $rc)")
		fi
		nscripts=$(find "$tree/scripts/coccinelle" -name '*.cocci' | wc -l)

		# 2. Our semantic patches on the whole composed tree.
		ours_out=
		info=
		for c in "$repo"/scripts/coccinelle/p2pdma/*.cocci; do
			[ -f "$c" ] || continue
			res=$(cocci_candidates "$c" | (cd "$tree" && xargs -r -n1 -P"$jobs" \
				spatch -D report --no-show-diff --very-quiet \
				--no-includes --include-headers --cocci-file "$c" 2>&1) |
				sort -t: -k1,1 -k2,2n)
			while IFS= read -r l; do
				[ -n "$l" ] || continue
				f=${l%%:*}
				if ! [[ "$l" =~ ^[^\ :]+:[0-9]+: ]]; then
					ours_out+="$(basename "$c"): spatch: $l"$'\n'
				elif printf '%s\n' $c_files | grep -qx -- "$f"; then
					ours_out+="$l"$'\n'
				else
					info+="$l"$'\n'
				fi
			done <<<"$res"
		done
		# Our files are in both runs: print each finding once.
		out=$(printf '%s\n%s' "$out" "$ours_out" | sed '/^$/d' | sort -u)
		[ -n "$out" ] && echo "$out"
		if [ -n "$info" ]; then
			echo "-- scripts/coccinelle/p2pdma/ in stock code (information, not failures):"
			printf '%s' "$info"
		fi
		n=$(count "$out")
		ni=$(count "$info")
		nours=$(ls "$repo"/scripts/coccinelle/p2pdma/*.cocci 2>/dev/null | wc -l)
		if [ "$n" = 0 ]; then
			record coccinelle clean "($nscripts scripts on our $(echo $kernel_c_files | wc -w) kernel files; our $nours on the tree: $ni report(s) in stock code)"
		else
			record coccinelle "$n report(s) in our files" "($ni in stock code)"
		fi
	fi
elif want coccinelle; then
	record coccinelle "not run (no composed tree or test kernel)"
fi

# ---------------------------------------------------------------- kernel-doc
# Documented: what kernel-doc itself finds.  Public: exported functions, and
# the functions and types of our headers under include/ (trace events are
# macros, not API).
if want kernel-doc && need_tree; then
	echo "==== kernel-doc"
	out=$("$tree/scripts/kernel-doc" -none -Wall $c_files 2>&1)
	rst=$("$tree/scripts/kernel-doc" -rst $kernel_c_files 2>/dev/null)
	pub=$(python3 -c '
import re, sys
files = sys.argv[1].split()
doc = set()
for l in sys.stdin:
	m = re.match(r"^\.\. c:function:: .*?(\w+)\s*\(", l)
	if m:
		doc.add(m.group(1))
	m = re.match(r"^\.\. c:(?:struct|union|enum|macro|type):: (\w+)", l)
	if m:
		doc.add(m.group(1))
want = []
for f in files:
	text = open(f).read()
	# Blank out comments, keeping line numbers.
	text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
	lines = text.split("\n")
	if f.endswith(".c"):
		for n, l in enumerate(lines, 1):
			m = re.match(r"^EXPORT_SYMBOL\w*\(\s*(\w+)", l)
			if m:
				want.append((f, n, "exported function", m.group(1)))
	elif f.startswith("include/") and not f.startswith("include/trace/"):
		for n, l in enumerate(lines, 1):
			m = re.match(r"^(struct|union|enum)\s+(\w+)\s*\{", l)
			if m:
				want.append((f, n, "public " + m.group(1), m.group(2)))
				continue
			m = re.match(r"^(?!#)(?:[A-Za-z_][\w \t\*]*?[ \t\*])?([a-z_]\w*)\(", l)
			if m and m.group(1) not in ("if", "while", "for", "switch", "return", "sizeof"):
				want.append((f, n, "public function", m.group(1)))
seen = set()
total = 0
for f, n, what, name in want:
	if name in seen:
		continue
	seen.add(name)
	total += 1
	if name not in doc:
		print("%s:%d: %s %s has no kernel-doc comment" % (f, n, what, name))
print("@@public %d" % total)
' "$kernel_c_files" <<<"$rst")
	total=$(sed -n 's/^@@public //p' <<<"$pub")
	pub=$(grep -v '^@@public ' <<<"$pub")
	out=$(printf '%s\n%s' "$out" "$pub" | sed '/^$/d')
	[ -n "$out" ] && echo "$out"
	n=$(count "$out")
	if [ "$n" = 0 ]; then
		record kernel-doc clean "($(echo $c_files | wc -w) files; $total exported or public symbols documented)"
	else
		record kernel-doc "$n finding(s)"
	fi
elif want kernel-doc; then
	record kernel-doc "not run (no composed tree)"
fi

# ----------------------------------------------------------------------- abi
# A What: tag names one path or more, the further ones on the lines below
# it; any other "Tag:" ends the list.
if want abi && need_tree; then
	echo "==== ABI What: paths described once"
	abi_ours=$(printf '%s\n' $doc_files | grep '^Documentation/ABI/')
	out=$(cd "$tree" && find Documentation/ABI -type f | sort | python3 -c '
import re, sys
ours = set(sys.argv[1].split())
def whats(path):
	res, in_what = [], False
	for n, line in enumerate(open(path, errors="replace"), 1):
		m = re.match(r"^What:\s*(\S.*)?$", line)
		if m:
			in_what = True
			if m.group(1):
				res.append((m.group(1).strip(), n))
			continue
		if re.match(r"^[A-Z][\w-]*:", line) or not line.strip():
			in_what = False
		elif in_what:
			res.append((line.strip(), n))
	return res
mine, seen = {}, {}
for f in sys.stdin.read().split():
	for w, n in whats(f):
		if f in ours:
			mine.setdefault(w, []).append((f, n))
		else:
			seen.setdefault(w, []).append((f, n))
for w in sorted(mine):
	others = seen.get(w, []) + mine[w][1:]
	for f, n in others:
		print("%s:%d: %s is also described at %s:%d" % (mine[w][0][0], mine[w][0][1], w, f, n))
' "$abi_ours")
	[ -n "$out" ] && echo "$out"
	n=$(count "$out")
	if [ "$n" = 0 ]; then
		record abi clean "($(count "$abi_ours") ABI files of ours against the tree's $(find "$tree/Documentation/ABI" -type f | wc -l))"
	else
		record abi "$n duplicate What: path(s)"
	fi
elif want abi; then
	record abi "not run (no composed tree)"
fi

# -------------------------------------------------------------- clang-format
if want format; then
	echo "==== clang-format"
	if ! command -v clang-format >/dev/null; then
		record clang-format "not installed (apt-get install clang-format)"
	else
		out=
		checked=0
		for f in $c_files; do
			case "$f" in include/trace/events/*) continue ;; esac
			checked=$((checked + 1))
			hunks=$(clang-format --style=file:"$repo/.clang-format" "$f" |
				diff -U0 "$f" - | sed -n 's/^@@ -\([0-9]*\)\(,\([0-9]*\)\)\{0,1\} .*/\1 \3/p')
			[ -z "$hunks" ] && continue
			while read -r start len; do
				len=${len:-1}
				[ "$len" = 0 ] && len=1
				out+="$f:$start: clang-format would change $len line(s) here"$'\n'
			done <<<"$hunks"
		done
		out=${out%$'\n'}
		[ -n "$out" ] && echo "$out" &&
			echo "-- clang-format --style=file -i <file> makes the change"
		n=$(count "$out")
		ver=$(clang-format --version | grep -o '[0-9][0-9.]*' | head -n1)
		if [ "$n" = 0 ]; then
			record clang-format clean "($checked files; clang-format $ver)"
		else
			record clang-format "$n finding(s)" "(clang-format $ver)"
		fi
	fi
fi

# ------------------------------------------------------------------------ W=1
# Compiled to assembly (.s), so that the objects of the test kernel and
# their command lines stay as `make kernel` left them.
if want w1 && need_tree && need_obj; then
	echo "==== W=1"
	targets=$(printf '%s\n' $own_objs $stock_objs | sed 's/\.o$/.s/')
	log=$(make -s -C "$tree" O="$obj" CC="$cc" -j"$jobs" W=1 $targets 2>&1)
	rc=$?
	(cd "$obj" && for t in $targets; do
		rm -f "$t" "$(dirname "$t")/.$(basename "$t").cmd"
	done)
	out=$(sed -n "s|^$tree/||p" <<<"$log" | grep -E '^[^ :]+:[0-9]+:[0-9]+: (warning|error): ')
	if [ $rc != 0 ]; then
		echo "$log" | tail -n 30
		out=$(printf '%s\n%s' "$out" "make W=1 failed (exit $rc)" | sed '/^$/d')
	fi
	[ -n "$out" ] && echo "$out"
	n=$(count "$out")
	no=$(echo $targets | wc -w)
	if [ "$n" = 0 ]; then
		record W=1 clean "($no objects)"
	else
		record W=1 "$n warning(s)" "($no objects)"
	fi
elif want w1; then
	record W=1 "not run (no composed tree or test kernel)"
fi

# ------------------------------------------------------------------ tiny
# asm-offsets (built first) includes memremap.h and mmzone.h; mm/swap.c and
# kernel/dma/ include dma-map-ops.h and the helpers of our series.
if want tiny && need_tree; then
	echo "==== tinyconfig (no PCI, no ZONE_DEVICE)"
	tiny=$build/obj-tiny
	mkdir -p "$tiny"
	log=$( { [ -f "$tiny/.config" ] ||
		 make -s -C "$tree" O="$tiny" CC="$cc" tinyconfig; } &&
	       make -s -C "$tree" O="$tiny" CC="$cc" -j"$jobs" \
		    mm/swap.o kernel/dma/ 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		record tinyconfig clean "(asm-offsets, mm/swap.o, kernel/dma/)"
	else
		echo "$log" | grep -E 'error|Error' | head -n 20
		record tinyconfig "failed to build" "(log above)"
	fi
fi

# ------------------------------------------------------------- series, steps
# Run series.sh in each mode given, showing its output as it comes; on an
# error, record it for $1 and fail.  The output is left in $series_log.
series_log=$build/series.log
run_series() {	# tool mode...
	local tool=$1 mode
	shift
	for mode; do
		"$here/series.sh" "$repo" "$build" "$mode" 2>&1 | tee "$series_log" &&
			continue
		record "$tool" "failed: $(sed -n 's/^series: error: //p' "$series_log" | tail -n1)"
		return 1
	done
}

if want series && need_tree; then
	echo "==== series (git am of the export onto the base)"
	run_series series export am &&
		record series ok "($(sed -n 's/^series: git am of \([0-9]*\) patches.*/\1/p' "$series_log") patches; git am reproduces the composed tree)"
elif want series; then
	record series "not run (no composed tree)"
fi

if want steps && need_tree; then
	echo "==== steps (a kernel build after every patch of the series)"
	run_series steps export steps &&
		record steps ok "($(grep -c '^series: builds after' "$series_log") patches, the kernel builds after each; $(grep -c '^series: boots after' "$series_log") booted, the demo copy verifies)"
elif want steps; then
	record steps "not run (no composed tree)"
fi

echo "==== check summary"
printf '%s\n' "${summary[@]}"
exit $failed
