# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (b) booted with pci_p2pdma.allow=8086:29c0,zz:1: q35's host bridge
# is allowed, the malformed entry is reported, copies go through the host
# bridge and verify.
. /tests/lib.sh
tap_suite qemu_rootports_allow
expect_dmesg "the allow-list entry is accepted" \
	"host bridge 8086:29c0 allowed by pci_p2pdma.allow"
expect_dmesg "the malformed entry is reported" \
	"pci_p2pdma.allow: ignoring malformed entry 'zz:1'"
if find_pair; then
	expect_route "the pair goes through the host bridge" "HB 4" "$PROV" "$PEER"
	expect_copies verified
fi
tap_end
run_dma_test hb
