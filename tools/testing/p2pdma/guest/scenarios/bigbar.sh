# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (e): a 1 GiB CMB.  Mapping the whole pool from user space clears
# 1 GiB of emulated MMIO, which takes tens of seconds under TCG: it must let
# the CPU go while it does (the soft-lockup and RCU-stall detectors are on,
# and tap.py fails the run on their reports), give every byte back when
# munmap() returns, and leave memory that DMA can use.
#
# The CMB gets 2 MiB folios, so a mapping placed at a 2 MiB boundary takes
# one fault per 2 MiB; with pci_p2pdma.base_pages=1 (scenario bigbar_base)
# it gets base pages and one fault per page, for comparison.
#
# In folios, what a mapping gives back is cleared again in the background:
# after the copies wrote data through a mapping, the next one that takes
# memory cleared ahead must still read zeros everywhere.
. /tests/lib.sh
tap_suite qemu_bigbar

avail_of() {
	cat "/sys/bus/pci/devices/$PROV/p2pmem/available"
}

# map_whole NAME: map, touch and unmap the whole pool with p2pmaptime;
# MAPPED is the length it mapped, FAULTS the faults touching it took.
map_whole() {
	name=$1
	MAPPED=0
	FAULTS=0
	if out=$(p2pmaptime "$ALLOC" 2>&1); then
		set -- $out
		echo "    # $(($1 >> 20)) MiB: mmap $(($2 / 1000000)) ms, touch $(($5 / 1000000)) ms, munmap $(($3 / 1000000)) ms, $4 faults"
		MAPPED=$1
		FAULTS=$4
		ok "$name"
	else
		echo "    # $out"
		not_ok "$name"
	fi
}

if find_pair; then
	size=$(cat "/sys/bus/pci/devices/$PROV/p2pmem/size")
	expect_eq "the CMB registers 1 GiB of P2P memory" 1073741824 "$size"
	unit=$(cat "/sys/bus/pci/devices/$PROV/p2pmem/mmap_unit")
	if grep -q 'pci_p2pdma.base_pages=1' /proc/cmdline; then
		expect_eq "with pci_p2pdma.base_pages=1 the mmap unit is a page" 4096 "$unit"
		expect_dmesg "dmesg says why the CMB has a struct page per page" \
			"a struct page per base page for BAR 2 at offset 0x0: pci_p2pdma.base_pages is set"
	else
		expect_eq "the CMB is in 2 MiB folios, the mmap unit" 2097152 "$unit"
		expect_dmesg "dmesg gives the folio size at registration" \
			"1073741824 bytes from BAR 2 at offset 0x0, in folios of 2048 KiB"
	fi
	avail=$(avail_of)
	check "the pool has more than 1000 MiB free" test "$avail" -gt $((1000 << 20))
	map_whole "mmap of the whole pool succeeds"
	expect_eq "it mapped every free whole unit" $((avail - avail % unit)) "$MAPPED"
	pages=$((MAPPED / 4096))
	if [ "$unit" -gt 4096 ]; then
		# A few more for the program's own pages.
		check "touching it took a fault per 2 MiB, not per page ($FAULTS for $pages pages)" \
			test "$FAULTS" -le $((MAPPED / unit + 64))
	else
		check "touching it took a fault per page ($FAULTS for $pages pages)" \
			test "$FAULTS" -ge "$pages"
	fi
	expect_eq "every byte is back when munmap() returns" "$avail" "$(avail_of)"
	map_whole "the whole pool maps again at once"
	expect_eq "every byte is back again" "$avail" "$(avail_of)"
	expect_eq "O_DIRECT copy through the 1 GiB CMB" verified \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 16M)"
	dma_entries_per_request "$ALLOC" "$PROV" "$unit"
	cleared=/sys/bus/pci/devices/$PROV/p2pmem/cleared
	if [ "$unit" -gt 4096 ]; then
		if out=$(p2pmaptime -c -z "$ALLOC" 2>&1); then
			set -- $out
			ok "a mapping of memory cleared ahead after the copies reads zeros"
			check "it took a fault per 2 MiB ($4 for $(($1 / 4096)) pages)" \
				test "$4" -le $(($1 / unit + 64))
		else
			echo "    # $out"
			not_ok "a mapping of memory cleared ahead after the copies reads zeros"
		fi
		expect_eq "every byte is back after it" "$avail" "$(avail_of)"
	else
		map_whole "the whole pool maps once more"
		expect_eq "base pages are never cleared ahead" 0 "$(cat "$cleared")"
	fi
fi
tap_end
