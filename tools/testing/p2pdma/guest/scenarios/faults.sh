# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (a) with the kernel's fault injection armed for allocations that
# may sleep: the p2pdma_faults KUnit module fails each allocation of
# registering P2P memory (a first and a second range) and of
# pci_p2pmem_alloc_sgl() in turn, and p2pfault does the same to mmap() of
# the CMB's allocate file.  Nothing may be lost: the module checks the
# provider after each failure, p2pfault checks 'available', and kmemleak,
# KASAN and the other checkers watch the whole run.
. /tests/lib.sh

FI=/sys/kernel/debug

# Address of the text symbol $1, and of the one after it, in hex.
text_range() {
	start=$(grep " [Tt] $1\$" /proc/kallsyms | cut -d' ' -f1)
	[ -n "$start" ] || return 1
	end=$(grep ' [Tt] ' /proc/kallsyms | cut -d' ' -f1 | sort |
		awk -v s="$start" '$1 > s { print; exit }')
	[ -n "$end" ] && echo "0x$start 0x$end"
}

# Injected failures are expected here: say nothing about each one.
# Allocations made under x86's arch_add_memory() (the direct map and the
# memmap of a new range) are left alone: it does not survive them (a NULL
# dereference in phys_pmd_init() when a page-table page cannot be had, a
# WARN in add_pages()), which is stock x86, not a P2PDMA error path.
arm_fault_injection() {
	range=$(text_range arch_add_memory) || return 1
	set -- $range
	for f in failslab fail_page_alloc; do
		echo N >"$FI/$f/ignore-gfp-wait" || return 1
		echo 0 >"$FI/$f/verbose" || return 1
		echo 64 >"$FI/$f/stacktrace-depth" || return 1
		echo "$1" >"$FI/$f/reject-start" || return 1
		echo "$2" >"$FI/$f/reject-end" || return 1
	done
	echo N >"$FI/fail_page_alloc/ignore-gfp-highmem" &&
		echo 0 >"$FI/fail_page_alloc/min-order"
}

if ! arm_fault_injection; then
	tap_suite qemu_faults
	not_ok "fault injection can be armed (CONFIG_FAULT_INJECTION_DEBUG_FS, _STACKTRACE_FILTER)"
	tap_end
	exit 0
fi

dmesg -n 8
insmod /modules/p2pdma-fault-test.ko
loaded=$?
dmesg -n 5
rmmod p2pdma_fault_test

tap_suite qemu_faults
expect_eq "the p2pdma_faults module loads" 0 "$loaded"
# Armed, a skipped case tested nothing: that is a failure here.
expect_eq "no p2pdma_faults case skipped" "" \
	"$(dmesg | grep -E '^ *ok [0-9]+ fault_.*# SKIP')"
if find_pair; then
	avail=$(cat "/sys/bus/pci/devices/$PROV/p2pmem/available")
	# 4 MiB: the mapping then crosses a page-table boundary wherever it
	# lands, so failures also hit page-table allocations half-way.
	out=$(p2pfault "$ALLOC" 4M 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    # /'
	expect_eq "every failure in mmap of allocate is clean and loses nothing" \
		0 "$rc"
	n=$(echo "$out" | sed -n 's/^\([0-9]*\) failures injected.*/\1/p')
	check "p2pfault injected failures into mmap ($n)" test "${n:-0}" -gt 0
	expect_eq "the pool is whole after the faults" "$avail" \
		"$(cat "/sys/bus/pci/devices/$PROV/p2pmem/available")"
	expect_eq "O_DIRECT copy through the CMB after the faults" verified \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 4M)"
fi
tap_end
