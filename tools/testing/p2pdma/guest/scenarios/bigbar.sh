# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (e): a 1 GiB CMB.  Mapping the whole pool from user space clears
# 1 GiB of emulated MMIO, which takes tens of seconds under TCG: it must let
# the CPU go while it does (the soft-lockup and RCU-stall detectors are on,
# and tap.py fails the run on their reports), give every byte back when
# munmap() returns, and leave memory that DMA can use.
. /tests/lib.sh
tap_suite qemu_bigbar

avail_of() {
	cat "/sys/bus/pci/devices/$PROV/p2pmem/available"
}

# map_whole NAME: map, touch and unmap the whole pool with p2pmaptime;
# MAPPED is the length it mapped.
map_whole() {
	name=$1
	MAPPED=0
	if out=$(p2pmaptime "$ALLOC" 2>&1); then
		set -- $out
		echo "    # $(($1 >> 20)) MiB: mmap $(($2 / 1000000)) ms, munmap $(($3 / 1000000)) ms, $4 faults"
		MAPPED=$1
		ok "$name"
	else
		echo "    # $out"
		not_ok "$name"
	fi
}

if find_pair; then
	size=$(cat "/sys/bus/pci/devices/$PROV/p2pmem/size")
	expect_eq "the CMB registers 1 GiB of P2P memory" 1073741824 "$size"
	avail=$(avail_of)
	check "the pool has more than 1000 MiB free" test "$avail" -gt $((1000 << 20))
	map_whole "mmap of the whole pool succeeds"
	expect_eq "it mapped every free byte" "$avail" "$MAPPED"
	expect_eq "every byte is back when munmap() returns" "$avail" "$(avail_of)"
	map_whole "the whole pool maps again at once"
	expect_eq "every byte is back again" "$avail" "$(avail_of)"
	expect_eq "O_DIRECT copy through the 1 GiB CMB" verified \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 16M)"
fi
tap_end
