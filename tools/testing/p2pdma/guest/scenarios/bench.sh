# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# `make bench`: one boot of tools/testing/p2pdma/bench.sh.  Loads p2pbench.ko
# on the P2P pair with the workloads of this topology (p2pbench=TOPO on the
# kernel command line) and prints every figure as
# "P2PBENCH workload|value|unit" on the console.
#
# p2pbench_mode= on the kernel command line says which clock QEMU gives the
# guest: "count" (-icount shift=0,sleep=off: every ns is one guest
# instruction) runs every workload but the allocator on two CPUs at once;
# "time" (ordinary TCG, topology (a) only) runs the allocator on one CPU and
# on two at once, and times O_DIRECT copies between the drives through P2P
# memory and through a host buffer.
. /tests/lib.sh

say() { echo "P2PBENCH $*"; }

# End to end, information only: MB/s of the copy phase of p2pcopy.
copy_mbps() {	# name p2pcopy-args...
	name=$1
	shift
	if out=$(p2pcopy "$@" 2>&1); then
		say "$name|$(echo "$out" | sed -n 's/^copy: .*, \([0-9.]*\) MB\/s$/\1/p')|MB/s"
	else
		say "$name|fail|$(echo "$out" | tail -n 1)"
	fi
}

topo=$(sed -n 's/.*p2pbench=\([a-z]*\).*/\1/p' /proc/cmdline)
mode=$(sed -n 's/.*p2pbench_mode=\([a-z]*\).*/\1/p' /proc/cmdline)
say "meta|kernel|$(uname -r)"
say "meta|topology|$topo"
say "meta|mode|${mode:-count}"
say "meta|clocksource|$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
# Under -icount shift=0 the TSC the kernel calibrates ticks once per guest
# instruction: ~1000 MHz, whatever the host's clock.
say "meta|tsc|$(dmesg | sed -n 's/.*tsc: \(Detected [0-9.]* MHz\).*/\1/p' | head -n1)"

# p2pmaptime's figures are the median of this many mmap/read/munmap
# rounds: what they allocate and free (page tables, maple tree nodes)
# meets the per-CPU caches as the boot left them, ~1k instructions apart.
# It runs on CPU 0 from its exec on: when it pinned itself only after its
# mm had run on the other CPU, every munmap() of some boots cost ~210
# instructions more, likely for that CPU left in the mm's TLB mask.
MAPTIME_REPS=5

# Ours clears free memory of user-mapped providers in the background
# (pci_p2pdma.clear_ahead): off, so that no clearing runs during the other
# figures, except for the large BAR's rows of memory cleared ahead.
CLEAR_AHEAD=/sys/module/pci_p2pdma/parameters/clear_ahead
clear_ahead() {	# Y or N
	[ -e "$CLEAR_AHEAD" ] && echo "$1" >"$CLEAR_AHEAD"
	return 0
}
clear_ahead N

# Instructions per MiB of a window over BYTES, to a tenth: a whole-number
# figure of ~160 moves by 0.6% when the window moves by a few hundred.
per_mib() {	# instructions bytes
	awk -v n="$1" -v b="$2" 'BEGIN { printf "%.1f", n / (b / 1048576) }'
}

# The rows of one p2pmaptime run: say_maptime PREFIX BYTES MMAP MUNMAP
# FAULTS TOUCH [...], as p2pmaptime prints them.
say_maptime() {
	say "$1mmap|$(per_mib "$3" "$2")|ns/MiB"
	say "$1touch|$(per_mib "$6" "$2")|ns/MiB"
	say "$1munmap|$(per_mib "$4" "$2")|ns/MiB"
	say "$1faults|$5|faults"
}

# Topology (f): the large-BAR figures, from the p2ptestprov module on the
# 4 GiB ivshmem BAR (1 GiB folios in ours, base pages with
# pci_p2pdma.base_pages=1 and in stock): memmap, registration, mapping
# 1 GiB of it and reading every page, DMA entries per 2 MiB request, and
# MB/s of O_DIRECT copies in 2 MiB requests through it.
large_bar() {
	pre=big
	grep -q 'pci_p2pdma.base_pages=1' /proc/cmdline && pre=big-base
	iv=
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1110 ] &&
			iv=$(basename "$d")
	done
	# On CPU 0 only: registration sleeps (an RCU grace period), and a
	# thread that wakes on the other CPU finds other per-CPU caches.
	if [ -z "$iv" ] ||
		! taskset 1 insmod /modules/p2ptestprov.ko settle_ms=200; then
		say "error|no ivshmem provider|"
		return
	fi
	say "$pre/memmap|$(dmesg | sed -n 's/^.*p2ptestprov.* bytes, \([0-9]*\) per GiB$/\1/p')|bytes/GiB"
	say "$pre/add-resource|$(dmesg | sed -n 's/^.*p2ptestprov.*pci_p2pdma_add_resource: \([0-9]*\) ns$/\1/p')|ns/call"
	alloc=/sys/bus/pci/devices/$iv/p2pmem/allocate
	if out=$(taskset 1 p2pmaptime -r -n "$MAPTIME_REPS" "$alloc" 1G 2>&1); then
		set -- $out
		say_maptime "$pre/" "$@"
		# Faults alone, on memory the first read cleared (stock has
		# no fault handler to map it again: -1).
		if [ "$7" -ge 0 ]; then
			say "$pre/retouch|$(per_mib "$6" "$1")|ns/MiB"
			say "$pre/refaults|$7|faults"
		fi
	else
		say "error|p2pmaptime: $out|"
	fi
	# Ours in folios: the same on memory cleared ahead, each round
	# waiting until the kernel has cleared all it can.
	if [ "$pre" = big ] && [ -e "${alloc%/allocate}/cleared" ]; then
		clear_ahead Y
		if out=$(taskset 1 p2pmaptime -c -n "$MAPTIME_REPS" "$alloc" 1G 2>&1); then
			set -- $out
			say_maptime big/ahead- "$@"
		else
			say "error|p2pmaptime -c: $out|"
		fi
		clear_ahead N
	fi
	unit=$(cat "/sys/bus/pci/devices/$iv/p2pmem/mmap_unit" 2>/dev/null ||
		echo 4096)
	dma_entries_per_request "$alloc" "$iv" "$unit" >/dev/null
	if [ "${DMA_CALLS:-0}" -gt 0 ]; then
		say "$pre/dma-entries|$(awk "BEGIN { print $DMA_ENTRIES / $DMA_CALLS }")|entries/request"
	else
		say "error|no P2P request traced|"
	fi
	# Under -icount a second is 10^9 guest instructions.  From the drive
	# with the CMB, whose writes topology (f) throttles, to the other.
	copy_mbps "$pre/odirect" -s "$PROV_BLK" -d "$PEER_BLK" -m "$alloc" \
		-n 16M -b 2M
}

case "$mode/$topo" in
*/f) tests= ;;
time/a) tests=alloc route=bus cpus=2 ;;
time/*) say "error|no timed workloads on topology '$topo'|"; exit 0 ;;
*/a) tests=map,alloc,frag route=bus cpus=1 ;;
*/g) tests=dist,find route=bus cpus=1 ;;
*/c) tests=map route=bus cpus=1 ;;
*/b | */d) tests=map route=hb cpus=1 ;;
*) say "error|unknown topology '$topo'|"; exit 0 ;;
esac

if ! wait_for_drives; then
	say "error|the NVMe drives did not appear|"
	exit 0
fi
PROV=$(provider_bdf) || { say "error|no device with p2pmem/|"; exit 0; }
PEER=$(other_nvme_bdf "$PROV")
say "meta|pair|provider $PROV client $PEER"

if [ "$topo" = f ]; then
	PROV_BLK=$(nvme_blk_of "$PROV")
	PEER_BLK=$(nvme_blk_of "$PEER")
	large_bar
	say "end||"
	exit 0
fi

# Run p2pbench.ko with workloads $1, print its lines (dmesg is cleared
# first, so a second run prints only its own).
run_p2pbench() {
	dmesg -c >/dev/null
	if insmod /modules/p2pbench.ko provider="$PROV" client="$PEER" \
			tests="$1" route="$route" alloc_cpus="$cpus"; then
		dmesg | sed -n 's/^.*p2pbench: /P2PBENCH /p'
		rmmod p2pbench
	else
		say "error|insmod p2pbench.ko failed|"
		dmesg | tail -n 20
	fi
}

# Bytes in use in the slab of xarray nodes, where both kernels keep their
# cached verdicts.  Nodes are freed after an RCU grace period, and SLUB
# counts the free objects of its per-CPU slabs as in use: wait for the
# one, flush the other (the cache's sysfs "shrink"), then read.
xa_node_bytes() {
	sleep 1
	echo 1 >/sys/kernel/slab/radix_tree_node/shrink
	awk '$1 == "radix_tree_node" { print $2 * $4 }' /proc/slabinfo
}

# Topology (g): the memory of the verdict caches once 256 distinct clients
# have been judged against each of 8 more providers (p2ptestprov offers
# the 8 ivshmem functions).  Their registration allocates xarray nodes
# too, so it comes before the first reading.
verdict_cache_memory() {
	insmod /modules/p2ptestprov.ko || { say "error|p2ptestprov|"; return; }
	before=$(xa_node_bytes)
	run_p2pbench cache
	after=$(xa_node_bytes)
	n=$(dmesg | sed -n 's/^.*cache\/clients|\([0-9]*\)|.*$/\1/p')
	p=$(dmesg | sed -n 's/^.*cache\/providers|\([0-9]*\)|.*$/\1/p')
	say "cache/bytes|$((after - before))|bytes"
	if [ "${n:-0}" -gt 0 ] && [ "${p:-0}" -gt 0 ]; then
		say "cache/per-verdict|$(((after - before) / (n * p)))|bytes/verdict"
	fi
}

run_p2pbench "$tests"
if [ "$topo" = g ]; then
	verdict_cache_memory
fi

# mmap() and munmap() of the whole pool from user space, counted: the new
# memory is cleared at its first fault (ours) or not at all (stock).
if [ "$mode" != time ] && [ "$topo" = a ]; then
	ALLOC=/sys/bus/pci/devices/$PROV/p2pmem/allocate
	if out=$(taskset 1 p2pmaptime -n "$MAPTIME_REPS" "$ALLOC" 2>&1); then
		set -- $out
		say "mmap/whole|$(per_mib "$2" "$1")|ns/MiB"
		say "munmap/whole|$(per_mib "$3" "$1")|ns/MiB"
		say "mmap/touch|$(per_mib "$5" "$1")|ns/MiB"
		say "mmap/faults|$4|faults"
		say "info/mmap-bytes|$1|"
	else
		say "error|p2pmaptime: $out|"
	fi
fi

if [ "$mode" = time ] && [ "$topo" = a ]; then
	PROV_BLK=$(nvme_blk_of "$PROV")
	PEER_BLK=$(nvme_blk_of "$PEER")
	ALLOC=/sys/bus/pci/devices/$PROV/p2pmem/allocate
	copy_mbps copy/p2p -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 32M -b 1M
	copy_mbps copy/host -H -s "$PEER_BLK" -d "$PROV_BLK" -n 32M -b 1M
fi
say "end||"
