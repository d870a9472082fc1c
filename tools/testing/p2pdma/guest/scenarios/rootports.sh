# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (b): the drives on two root ports of q35, whose host bridge
# (8086:29c0) is on no allow-list: P2P must fail with EREMOTEIO.
. /tests/lib.sh
tap_suite qemu_rootports
if find_pair; then
	expect_route "the pair is not supported" "NO -1" "$PROV" "$PEER"
	expect_reason "the reason names q35's host bridge" \
		"host bridge 8086:29c0 is not known to forward peer traffic" "$PROV" "$PEER"
	expect_reason "the reason says how to allow it" \
		"pci_p2pdma.allow=8086:29c0" "$PROV" "$PEER"
	expect_route "the provider still reaches itself" "BUS 0" "$PROV" "$PROV"
	trace_on
	expect_copies EREMOTEIO
	expect_event "tracepoint: the refused pair" \
		"pci_p2pdma_map_refused: provider=$PROV client=$PEER map=NOT_SUPPORTED distance=-1"
fi
tap_end
run_dma_test no
