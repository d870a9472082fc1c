# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (b), host bridge allowed, swiotlb=force: host-bridge entries
# would need bouncing, and P2P memory is never bounced: EREMOTEIO.
. /tests/lib.sh
tap_suite qemu_swiotlb_hb
if find_pair; then
	expect_route "the pair goes through the host bridge" "HB 4" "$PROV" "$PEER"
	expect_copies EREMOTEIO
fi
tap_end
run_dma_test no
