# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (c) with q35's host bridge allowed: the pair is mapped through
# the IOMMU and the copy verifies.
. /tests/lib.sh
tap_suite qemu_switch_iommu_allow
if find_pair; then
	expect_route "the pair goes through the host bridge" "HB 8" "$PROV" "$PEER"
	expect_copies verified
fi
tap_end
run_dma_test hb
