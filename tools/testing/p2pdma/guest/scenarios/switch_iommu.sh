# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (c): one switch behind a virtual intel-iommu.  QEMU sends every
# DMA through the IOMMU, so bus addresses would land nowhere: the kernel
# must refuse (EREMOTEIO), never complete with wrong data.
. /tests/lib.sh
tap_suite qemu_switch_iommu
if find_pair; then
	expect_route "a virtual IOMMU makes the pair unsupported" "NO -1" "$PROV" "$PEER"
	expect_reason "the reason names the virtual IOMMU" \
		"virtual IOMMU" "$PROV" "$PEER"
	expect_copies EREMOTEIO
fi
tap_end
run_dma_test no
