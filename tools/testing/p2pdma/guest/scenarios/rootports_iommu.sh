# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (d): two root ports behind intel-iommu.  The kernel turns on ACS
# redirect on the root ports; the explanation must name them.
. /tests/lib.sh
tap_suite qemu_rootports_iommu
if find_pair; then
	expect_route "the pair is not supported" "NO -1" "$PROV" "$PEER"
	expect_reason "the reason names the root ports' ACS redirect" \
		"ACS redirect at" "$PROV" "$PEER"
	expect_reason "the reason gives the parameter that lifts it" \
		"pci=disable_acs_redir=" "$PROV" "$PEER"
	expect_copies EREMOTEIO
fi
tap_end
run_dma_test no
