# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (b) booted with pci_p2pdma.allow=8086:29c0/writes: q35's host
# bridge is taken to forward peer writes but not reads.  The peer may write
# into the CMB (its read from disk lands there) but not read from it.
. /tests/lib.sh
tap_suite qemu_rootports_writes
expect_dmesg "the writes-only entry is accepted" \
	"host bridge 8086:29c0 allowed for writes only by pci_p2pdma.allow"
if find_pair; then
	expect_route "orchestrators, which need both directions, are refused" \
		"NO -1" "$PROV" "$PEER"
	expect_reason "the reason says writes only" "writes only" "$PROV" "$PEER"
	expect_peers "NO HB 4" "writes only"
	expect_eq "the peer writes into the CMB: copy peer -> provider verifies" \
		verified \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 4M)"
	expect_eq "the peer cannot read the CMB: copy provider -> peer fails" \
		EREMOTEIO \
		"$(copy_result p2pcopy -s "$PROV_BLK" -d "$PEER_BLK" -m "$ALLOC" -n 4M)"
fi
tap_end
run_dma_test hbw
