# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (a) with swiotlb=force: bus-address entries bypass swiotlb, so
# the copies still verify.
. /tests/lib.sh
tap_suite qemu_swiotlb_bus
if find_pair; then
	expect_route "the pair uses bus addresses" "BUS 4" "$PROV" "$PEER"
	expect_copies verified
fi
tap_end
run_dma_test bus
