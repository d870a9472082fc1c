#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: our P2PDMA against the stock P2PDMA of Linux 6.12, side by
# side, in one run.
#
#   bench.sh <repo> <build-dir> [all|build|run|report|trace]
#
# Two kernels from the same base tarball and the same configuration
# (config/base.config + config/bench.config, no checkers, no KUnit):
#   ours   the feature tree composed into <build>/bench/linux
#          (compose.sh, our own copy: <build>/linux belongs to `make test`),
#          built in <build>/obj-bench-ours; the work tree as it is, or the
#          commit P2P_BENCH_REV names;
#   stock  the unpacked base tree itself, unmodified, built in
#          <build>/obj-bench-stock.
# The benchmark module (bench/p2pbench.c) uses only the API both share and is
# built out of tree against each.  Every boot is QEMU (TCG) on a topology of
# topologies.sh with guest/scenarios/bench.sh; the kernels alternate boot by
# boot, round by round (P2P_BENCH_ROUNDS, 3 by default, 2 at least), and
# which one goes first alternates too.  The serial logs land in
# <build>/bench/logs and bench_report.py turns them into results.md,
# results.csv, map.png and scaling.png.
#
# Two kinds of boot:
#   counted  (logs r<round>-<kernel>-<topology>[-base].log; -base: ours
#            with pci_p2pdma.base_pages=1, on topology (f)) QEMU with
#            -icount shift=0,sleep=off: the guest clock advances 1 ns per
#            guest instruction executed and skips idle time, so every "ns"
#            the guest measures is an instruction count, the same from one
#            boot to the next whatever else the host does.  Every map,
#            distance, find and single-CPU allocator figure comes from these.
#            -icount needs single-threaded TCG (one host thread runs both
#            vCPUs in turn; their instructions both advance the clock).
#   timed    (logs r<round>-<kernel>-a-time.log) ordinary multi-threaded
#            TCG on topology (a): the allocator with two CPUs at once, which
#            measures contention that single-threaded icount does not model,
#            and the O_DIRECT copies, in wall-clock time, as information
#            only: these figures follow the host's load.
#            P2P_BENCH_TIME_ROUNDS (default: P2P_BENCH_ROUNDS; 0 drops them).
# P2P_BENCH_TOPOLOGIES picks the counted topologies (default "a b c d f g").
#
# Every kernel build and every QEMU boot holds /tmp/p2p-cpu.lock
# (P2P_CPU_LOCK): on a 2-core machine two of them at once would measure each
# other.
set -euo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
stage=${3:-all}
here=$repo/tools/testing/p2pdma
bench=$build/bench
rounds=${P2P_BENCH_ROUNDS:-3}
time_rounds=${P2P_BENCH_TIME_ROUNDS:-$rounds}
topologies=${P2P_BENCH_TOPOLOGIES:-a b c d f g}
lock=${P2P_CPU_LOCK:-/tmp/p2p-cpu.lock}
jobs=${P2P_JOBS:-2}
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
frags="$here/config/base.config $here/config/bench.config"

die() { echo "bench: error: $*" >&2; exit 1; }
say() { echo "bench: $*"; }
# shellcheck source=tools/testing/p2pdma/kconfig.sh
. "$here/kconfig.sh"
# One kernel build or QEMU boot at a time on this machine.  The time spent
# waiting for the lock (someone else's build or boot) is counted apart.
waited=0
last_wait=0
cpu() {
	local asked got rc=0
	asked=$(date +%s)
	flock "$lock" bash -c 'date +%s >"$0"; exec "$@"' "$bench/.lock-got" "$@" || rc=$?
	got=$(cat "$bench/.lock-got" 2>/dev/null || echo "$asked")
	last_wait=$((got - asked))
	waited=$((waited + last_wait))
	return $rc
}
lockinfo() {	# wall seconds
	[ "$last_wait" -gt 0 ] && echo "$1 s, $last_wait s of it waiting for the lock" ||
		echo "$1 s"
}

mkdir -p "$bench"
start_all=$(date +%s)

obj_of() { echo "$build/obj-bench-$1"; }

# What "ours" is: the work tree, as `make test` takes it, or with
# P2P_BENCH_REV=<commit> that commit, checked out apart (a shared clone, so
# edits in progress in the work tree do not leak into the figures).
ours_source() {
	local rev=${P2P_BENCH_REV:-} sha
	if [ -z "$rev" ]; then
		ours_src=$repo
		ours_desc=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo "work tree")
		return 0
	fi
	sha=$(git -C "$repo" rev-parse --verify -q "$rev^{commit}") ||
		die "P2P_BENCH_REV=$rev is not a commit"
	ours_src=$bench/src
	[ -d "$ours_src/.git" ] || git clone -q --shared --no-checkout "$repo" "$ours_src"
	git -C "$ours_src" checkout -q -f --detach "$sha"
	git -C "$ours_src" clean -q -f -d -x
	ours_desc=$(git -C "$repo" rev-parse --short "$sha")
}

trees() {
	ours_source
	echo "$ours_desc" >"$bench/ours-rev"
	say "ours: $ours_desc"
	# Ours: compose into our own tree, sharing the unpacked base of
	# `make kernel` when there is one (compose.sh only reads it).
	if [ ! -e "$bench/base" ] && [ -d "$build/base" ]; then
		ln -s ../base "$bench/base"
	fi
	"$here/compose.sh" "$ours_src" "$bench" | sed 's/^/bench: /'
	key=$(cat "$bench/linux/.p2p-base")
	stock_tree=$(ls -d "$bench/base/$key"/linux-source-* 2>/dev/null | head -n1)
	[ -n "$stock_tree" ] || die "no unpacked base under $bench/base/$key"
	ours_tree=$bench/linux
}

tree_of() {
	case $1 in
	ours) echo "$ours_tree" ;;
	stock) echo "$stock_tree" ;;
	esac
}

configure() {	# kernel
	# shellcheck disable=SC2086
	p2p_configure "bench: $1" "$(tree_of "$1")" "$(obj_of "$1")" "$cc" $frags ||
		die "$1: the configuration is incomplete"
}

# The two configurations must be the same, apart from options that exist in
# one tree only (ours has options the base does not, and the reverse).
compare_configs() {
	local a b diff
	a=$(obj_of ours)/.config
	b=$(obj_of stock)/.config
	diff=$(diff <(grep '^CONFIG_' "$a" | sort) <(grep '^CONFIG_' "$b" | sort) |
		sed -n 's/^[<>] //p' | cut -d= -f1 | sort -u |
		while read -r opt; do
			# An option both trees know must have the same value.
			if grep -q "^$opt=\|^# $opt is not set" "$a" &&
			   grep -q "^$opt=\|^# $opt is not set" "$b"; then
				echo "$opt"
			fi
		done)
	if [ -n "$diff" ]; then
		for opt in $diff; do
			echo "bench: ours: $(grep "$opt[= ]" "$a")  stock: $(grep "$opt[= ]" "$b")" >&2
		done
		die "the two benchmark kernels are not configured alike"
	fi
	say "ours and stock have the same configuration ($(grep -c '^CONFIG_' "$a") options set)"
}

build_kernel() {	# kernel
	local tree obj t0
	tree=$(tree_of "$1")
	obj=$(obj_of "$1")
	avail=$(df -Pk "$build" | awk 'NR==2 {print $4}')
	[ "$avail" -gt 4000000 ] || die "less than 4 GiB free under $build"
	say "$1: make bzImage modules in $obj (-j$jobs; ~5 min from scratch)"
	t0=$(date +%s)
	if ! cpu make -s -C "$tree" O="$obj" CC="$cc" -j"$jobs" bzImage modules \
			2>"$obj/build.err"; then
		grep -E 'error|Error' "$obj/build.err" | head -n 30 >&2
		die "$1: kernel build failed (log: $obj/build.err)"
	fi
	say "$1: kernel built in $(lockinfo $(($(date +%s) - t0)))"
}

# out_of_tree_module KERNEL SRC_DIR NAME: build NAME.ko from the Kbuild and
# NAME.c of SRC_DIR against KERNEL, in <bench>/NAME-KERNEL.
out_of_tree_module() {
	local tree obj mod
	tree=$(tree_of "$1")
	obj=$(obj_of "$1")
	mod=$bench/$3-$1
	mkdir -p "$mod"
	for f in Kbuild "$3.c"; do
		cmp -s "$2/$f" "$mod/$f" || cp "$2/$f" "$mod/$f"
	done
	if ! cpu make -s -C "$tree" O="$obj" M="$mod" CC="$cc" modules \
			>"$mod/build.log" 2>&1; then
		cat "$mod/build.log" >&2
		die "$1: $3.ko does not build"
	fi
	say "$1: $3.ko built"
}

# The benchmark module, and the test provider of topology (f)'s large BAR,
# which uses only the API both kernels share.
build_module() {	# kernel
	out_of_tree_module "$1" "$here/bench" p2pbench
	out_of_tree_module "$1" "$here/provider" p2ptestprov
}

initramfs() {	# kernel
	local root=$bench/initramfs-$1
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,tests,modules}
	[ -x /bin/busybox ] || die "/bin/busybox is missing (apt-get install busybox-static)"
	cp /bin/busybox "$root/bin/busybox"
	cp "$bench"/progs/* "$root/bin/"
	cp "$here/guest/init" "$root/init"
	chmod +x "$root/init"
	cp "$here/guest/tap.sh" "$here/guest/lib.sh" \
		"$here/guest/scenarios/bench.sh" "$root/tests/"
	cp "$bench/p2pbench-$1/p2pbench.ko" "$bench/p2ptestprov-$1/p2ptestprov.ko" \
		"$root/modules/"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) \
		>"$bench/initramfs-$1.cpio"
}

stage_build() {
	trees
	configure ours
	configure stock
	compare_configs
	build_kernel ours
	build_kernel stock
	build_module ours
	build_module stock
	make -s -C "$here/src" OUT="$bench/progs"
	initramfs ours
	initramfs stock
	say "build done in $(($(date +%s) - start_all)) s ($waited s waiting for the lock)"
}

# Kernel command line a topology gets, for both kernels alike (the stock
# kernel ignores our parameters).  (c): the pair is switch-local; ours
# refuses bus addresses behind a virtual IOMMU unless told the hypervisor
# keeps such traffic local, stock does not check, so ours is told, to
# measure the same route.  (b), (d): q35's host bridge is allowed, which
# only ours can do.  (g): every cold sample's rescan logs the IO windows
# its 32 hotplug ports cannot get; the log buffer must keep the results.
topo_extra() {
	case $1 in
	c) echo "pci_p2pdma.trust_virt_topology=1" ;;
	b | d) echo "pci_p2pdma.allow=8086:29c0" ;;
	g) echo "log_buf_len=8M" ;;
	*) echo "" ;;
	esac
}

# QEMU's clock for a kind of boot.  count: -icount shift=0 makes the
# virtual clock advance 2^0 = 1 ns per guest instruction, sleep=off lets it
# jump over idle time instead of waiting for the host's clock; icount rules
# out multi-threaded TCG, so the accelerator says thread=single outright.
# time: the ordinary (multi-threaded) TCG of every other boot.
accel_args() {
	case $1 in
	count) echo "-accel tcg,thread=single -icount shift=0,sleep=off" ;;
	time) echo "-accel tcg" ;;
	esac
}

boot() {	# kernel topology log mode [more kernel command line]
	local k=$1 t=$2 log=$3 mode=$4 obj rc=0 t0 cmdline args
	obj=$(obj_of "$k")
	rm -f "$bench/disk0.img" "$bench/disk1.img"
	truncate -s 64M "$bench/disk0.img" "$bench/disk1.img"
	# No address-space randomisation, of the kernel or of processes:
	# where the kernel and a process's mappings land changes what a
	# count includes (page tables to allocate, the gaps an mmap()
	# searches), and would change it from boot to boot.
	cmdline="console=ttyS0 panic=-1 oops=panic nokaslr norandmaps p2ptest=bench p2pbench=$t p2pbench_mode=$mode $(topo_cmdline "$t") $(topo_extra "$t") ${5:-}"
	args="-machine q35 $(accel_args "$mode") -cpu $(topo_cpu "$t") -smp 2 -m 2G"
	args="$args -nographic -no-reboot -bios /usr/share/qemu/qboot.rom"
	args="$args -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"
	topo_args=$(P2P_BUILD=$bench p2p_topology "$t")
	args="$args $topo_args"
	# The command line heads the log: the report checks the clock of
	# every boot from it.
	echo "P2PHOST qemu|$args|" >"$log"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	cpu timeout --foreground 600 qemu-system-x86_64 $args \
		-kernel "$obj/arch/x86/boot/bzImage" \
		-initrd "$bench/initramfs-$k.cpio" -append "$cmdline" \
		</dev/null >>"$log" 2>&1 || rc=$?
	if [ $rc = 124 ]; then
		echo "P2PBENCH error|boot timed out|" >>"$log"
		echo "bench: $k ($t) timed out; last lines:" >&2
		tail -n 20 "$log" >&2
	fi
	if grep -q '^P2PBENCH end' "$log"; then
		say "round $r: $k on ($t), $mode, in $(lockinfo $(($(date +%s) - t0)))"
	else
		echo "bench: round $r: $k on ($t), $mode, did not finish (log: $log)" >&2
	fi
}

machine_info() {
	{
		echo "date|$(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "cpu|$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
		echo "cores|$(nproc)"
		echo "memory|$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
		echo "qemu|$(qemu-system-x86_64 --version | head -n1)"
		echo "host|$(uname -sr)"
		echo "rounds|$rounds"
		echo "time_rounds|$time_rounds"
		echo "ours|$(cat "$bench/ours-rev" 2>/dev/null || echo '?')"
		echo "base|$(basename "$(ls /usr/src/linux-source-6.12.tar.* | head -n1)")"
	} >"$bench/machine.txt"
}

# Is topology $1 among the counted ones (P2P_BENCH_TOPOLOGIES, all of
# a b c d f g by default; a subset for a quick look at some rows)?
wanted() {
	case " $topologies " in *" $1 "*) return 0 ;; esac
	return 1
}

stage_run() {
	# shellcheck source=tools/testing/p2pdma/topologies.sh
	. "$here/topologies.sh"
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"
	for k in ours stock; do
		[ -f "$bench/initramfs-$k.cpio" ] || die "no $k build; run '$0 $repo $build build'"
	done
	# Counted figures repeat to ~0.1%: two rounds show the spread, three
	# show which boot is the odd one out.
	[ "$rounds" -ge 2 ] || die "P2P_BENCH_ROUNDS=$rounds: 2 rounds at least, or no spread"
	rm -rf "$bench/logs"
	mkdir -p "$bench/logs"
	machine_info
	local t0 t1 order w0=$waited
	t0=$(date +%s)
	for r in $(seq 1 "$rounds"); do
		# Alternate which kernel boots first, so neither always follows
		# the other.
		if [ $((r % 2)) = 1 ]; then order="ours stock"; else order="stock ours"; fi
		# (g): distance and find with distinct clients.
		for t in a c g; do
			wanted "$t" || continue
			for k in $order; do
				boot "$k" "$t" "$bench/logs/r$r-$k-$t.log" count
			done
		done
		# The host-bridge route exists only in ours.
		for t in b d; do
			wanted "$t" || continue
			boot ours "$t" "$bench/logs/r$r-ours-$t.log" count
		done
		# The large BAR: ours in folios, stock, and ours with base
		# pages, as stock has them.
		wanted f || continue
		for k in $order; do
			boot "$k" f "$bench/logs/r$r-$k-f.log" count
		done
		boot ours f "$bench/logs/r$r-ours-f-base.log" count \
			pci_p2pdma.base_pages=1
	done
	t1=$(date +%s)
	say "$rounds counted rounds in $((t1 - t0)) s ($((waited - w0)) s waiting for the lock)"
	w0=$waited
	for r in $(seq 1 "$time_rounds"); do
		if [ $((r % 2)) = 1 ]; then order="ours stock"; else order="stock ours"; fi
		for k in $order; do
			boot "$k" a "$bench/logs/r$r-$k-a-time.log" time
		done
	done
	say "$time_rounds timed rounds in $(($(date +%s) - t1)) s ($((waited - w0)) s waiting for the lock)"
}

ensure_gnuplot() {
	command -v gnuplot >/dev/null && return 0
	if [ "$(id -u)" = 0 ]; then
		say "installing gnuplot-nox for the plot"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null 2>&1; } ||
			echo "bench: warning: apt-get install gnuplot-nox failed; no plot" >&2
	else
		echo "bench: warning: gnuplot is missing and we are not root; no plot" >&2
	fi
}

stage_report() {
	ensure_gnuplot
	python3 "$here/bench_report.py" "$bench"
}

# Where one iteration of a p2pbench loop spends its instructions, function
# by function, in both kernels (`trace` stage, after `build`; not part of
# `all`).  Each kernel boots with QEMU's gdb stub, and bench/pathtrace.py
# single-steps one iteration:
#   P2P_TRACE=map   (default) dma_map_sgtable() + dma_unmap_sgtable() of a
#                   host-only list, then of a P2P list, of P2P_TRACE_NENTS
#                   entries (default 1), on P2P_TRACE_TOPO (default a)
#   P2P_TRACE=dist  a warm pci_p2pdma_distance_many() of P2P_TRACE_NENTS
#                   clients, on topology (g)
# The counted rows say how much a call costs; this says where it goes.
trace_boot() {	# kernel topology out [VAR=value...]: boot, run pathtrace.py
	local k=$1 t=$2 out=$3 cmdline args qpid rc=0
	shift 3
	rm -f "$bench/disk0.img" "$bench/disk1.img"
	truncate -s 64M "$bench/disk0.img" "$bench/disk1.img"
	cmdline="console=ttyS0 panic=-1 oops=panic nokaslr p2ptest=bench p2pbench=$t p2pbench_mode=count $(topo_cmdline "$t") $(topo_extra "$t")"
	args="-machine q35 $(accel_args count) -cpu $(topo_cpu "$t") -smp 2 -m 2G"
	args="$args -nographic -no-reboot -bios /usr/share/qemu/qboot.rom"
	args="$args -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"
	args="$args $(P2P_BUILD=$bench p2p_topology "$t") -s"
	# shellcheck disable=SC2086
	qemu-system-x86_64 $args -kernel "$(obj_of "$k")/arch/x86/boot/bzImage" \
		-initrd "$bench/initramfs-$k.cpio" -append "$cmdline" \
		</dev/null >"$out.log" 2>&1 &
	qpid=$!
	# gdb attaches once the kernel runs in long mode (its banner is out):
	# attached from reset, it would mistake the 64-bit register set for a
	# bad reply.  The bench module loads seconds later.
	for _ in $(seq 600); do
		grep -q 'Linux version' "$out.log" 2>/dev/null && break
		sleep 0.2
	done
	env "$@" PATHTRACE_OUT="$out" timeout 900 gdb -q -batch -nx \
		-x "$here/bench/pathtrace.py" "$(obj_of "$k")/vmlinux" \
		>"$out.gdb" 2>&1 || rc=$?
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	[ $rc = 0 ] && [ -s "$out" ] ||
		die "trace of $k on ($t) failed; see $out.gdb and $out.log"
}

# Ours' and stock's counts side by side, one line per function either
# kernel ran, in ours' order.
trace_table() {	# ours-file stock-file
	awk 'FNR == 1 { f++; print; next }
	     { if (!($2 in seen)) { order[++n] = $2; seen[$2] = 1 }
	       c[$2, f] = $1 }
	     END { for (i = 1; i <= n; i++)
			printf "%7d %7d %s\n", c[order[i], 1], c[order[i], 2],
			       order[i] }' "$1" "$2"
}

stage_trace() {
	# shellcheck source=tools/testing/p2pdma/topologies.sh
	. "$here/topologies.sh"
	local what=${P2P_TRACE:-map} n=${P2P_TRACE_NENTS:-1} dir=$bench/trace
	local t kinds p2p f
	command -v gdb >/dev/null || die "gdb is missing (apt-get install gdb)"
	for k in ours stock; do
		[ -f "$bench/initramfs-$k.cpio" ] ||
			die "no $k build; run '$0 $repo $build build'"
	done
	mkdir -p "$dir"
	case $what in
	map) t=${P2P_TRACE_TOPO:-a} kinds="host p2p" ;;
	# Past the cold samples (two calls of one client each) and into the
	# warm loop.
	dist) t=g kinds=warm ;;
	*) die "P2P_TRACE=$what: map or dist" ;;
	esac
	for kind in $kinds; do
		for k in ours stock; do
			f=$dir/$k-$t-$what-$kind-$n.txt
			case $k/$kind in
			ours/p2p) p2p='*pci_p2pdma_map_state_update' ;;
			stock/p2p) p2p='*pci_p2pdma_map_segment' ;;
			*) p2p='' ;;
			esac
			if [ "$what" = dist ]; then
				# The cold phase makes 45 calls for one client
				# (9 samples of each size, each after a warm-up
				# call for one device) and 9 of each other size:
				# skip past them into the warm calls.
				trace_boot "$k" "$t" "$f" PATHTRACE_NENTS="$n" \
					PATHTRACE_START=pci_p2pdma_distance_many \
					PATHTRACE_ARG=rdx PATHTRACE_SKIP=50
			else
				# p2pbench maps each list of 32 once to check
				# its route before the timed loop: skip that.
				trace_boot "$k" "$t" "$f" PATHTRACE_NENTS="$n" \
					PATHTRACE_P2P="$p2p" \
					PATHTRACE_SKIP=$((n == 32))
			fi
		done
		say "($t), $what, $kind, $n: instructions, ours then stock"
		trace_table "$dir/ours-$t-$what-$kind-$n.txt" \
			"$dir/stock-$t-$what-$kind-$n.txt"
	done
}

case $stage in
build) stage_build ;;
trace) stage_trace ;;
run) stage_run ;;
report) stage_report ;;
all)
	stage_build
	stage_run
	stage_report
	say "make bench took $(($(date +%s) - start_all)) s, $waited s of it waiting for $lock"
	;;
*) die "unknown stage '$stage' (all, build, run, report, trace)" ;;
esac
