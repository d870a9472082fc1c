# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (d): two root ports behind intel-iommu.  The kernel turns on ACS
# redirect on the root ports, but with no switch in common the traffic goes
# through the root complex anyway: the advice is the allow-list, not
# pci=disable_acs_redir=, which could not help.
. /tests/lib.sh
tap_suite qemu_rootports_iommu
if find_pair; then
	expect_route "the pair is not supported" "NO -1" "$PROV" "$PEER"
	expect_reason "the reason gives the allow-list parameter" \
		"pci_p2pdma.allow=8086:29c0" "$PROV" "$PEER"
	expect_no_reason "the reason does not suggest disable_acs_redir" \
		"disable_acs_redir" "$PROV" "$PEER"
	expect_copies EREMOTEIO
fi
tap_end
run_dma_test no
