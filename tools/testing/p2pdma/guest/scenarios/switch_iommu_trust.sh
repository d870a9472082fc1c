# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (c) with pci_p2pdma.trust_virt_topology=1: the switch-local pair
# is trusted to use bus addresses although a virtual IOMMU translates the
# client's DMA.  (QEMU would then lose the data, so no copy here: this
# checks the mapping of bus-address entries through dma-iommu.)
. /tests/lib.sh
tap_suite qemu_switch_iommu_trust
if find_pair; then
	expect_route "the trusted pair uses bus addresses" "BUS 4" "$PROV" "$PEER"
fi
tap_end
run_dma_test bus
