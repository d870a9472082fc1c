# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (a), devices removed and rescanned through sysfs: the verdict
# cache is dropped when a PCI device comes or goes, so a device that comes
# back is judged afresh (the map-decision tracepoint fires again), and a
# provider removed while user space maps its memory tears the mapping down.
#
# QEMU device_del/device_add would move a drive to another port, but every
# native hot-add and hot-remove of a bound device makes 6.12's pciehp retake
# its reset_lock under pci_rescan_remove_lock, which lockdep reports as a
# circular dependency in stock pciehp code.  The verdict changing with the
# topology is covered by the KUnit topology suite.
. /tests/lib.sh
tap_suite qemu_hotplug

small_copy() {
	copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 1M
}

drives_back() {
	[ -d "/sys/bus/pci/devices/$PROV/p2pmem" ] &&
		PEER_BLK=$(nvme_blk_of "$PEER") && [ -b "$PEER_BLK" ] &&
		PROV_BLK=$(nvme_blk_of "$PROV") && [ -b "$PROV_BLK" ]
}

rescan() {
	echo 1 >/sys/bus/pci/rescan
	if wait_until 60 drives_back; then
		ok "$1"
	else
		not_ok "$1"
		return 1
	fi
}

replug_peer() {
	echo 1 >"/sys/bus/pci/devices/$PEER/remove"
	check "the peer $PEER is removed" test ! -e "/sys/bus/pci/devices/$PEER"
	expect_eq "the matrix no longer lists the peer" "" \
		"$(matrix_row "$PROV" "$PEER")"
	rescan "the peer comes back at $PEER" || return 1
	echo >"$TRACE/trace"
	expect_eq "after rescan: O_DIRECT copy through the CMB" verified \
		"$(small_copy)"
	expect_event "after rescan: the pair is judged afresh" \
		"pci_p2pdma_map_decision: provider=$PROV client=$PEER map=BUS_ADDR distance=4"
}

remove_provider_with_mapping() {
	rm -f /tmp/ready
	p2phold "$ALLOC" /tmp/ready >/tmp/hold.out 2>&1 &
	pid=$!
	wait_until 10 test -e /tmp/ready
	check "a process maps P2P memory of the provider" test -e /tmp/ready
	echo 1 >"/sys/bus/pci/devices/$PROV/remove"
	check "the provider $PROV is removed while mapped" \
		test ! -e "/sys/bus/pci/devices/$PROV"
	rm -f /tmp/ready
	wait $pid
	rc=$?
	sed 's/^/    # /' /tmp/hold.out
	expect_eq "the mapping faults with SIGBUS after removal" 0 "$rc"
	expect_eq "the matrix no longer lists the provider" "" \
		"$(grep "^$PROV " /sys/kernel/debug/pci_p2pdma/matrix)"
	expect_event "tracepoint: provider removed" \
		"pci_p2pdma_provider_remove: provider=$PROV"
	rescan "the provider comes back with its CMB" || return 1
	echo >"$TRACE/trace"
	expect_eq "after rescan: O_DIRECT copy into the new CMB" verified \
		"$(small_copy)"
	expect_event "after rescan: the new provider judges the pair" \
		"pci_p2pdma_map_decision: provider=$PROV client=$PEER map=BUS_ADDR distance=4"
}

if find_pair; then
	trace_on
	expect_route "bus address, distance 4" "BUS 4" "$PROV" "$PEER"
	expect_eq "O_DIRECT copy through the CMB" verified "$(small_copy)"
	expect_event "the first copy judges the pair" \
		"pci_p2pdma_map_decision: provider=$PROV client=$PEER map=BUS_ADDR distance=4"
	echo >"$TRACE/trace"
	expect_eq "a second copy" verified "$(small_copy)"
	if grep -q "pci_p2pdma_map_decision: provider=$PROV client=$PEER" \
			"$TRACE/trace"; then
		not_ok "a second copy uses the cached verdict"
	else
		ok "a second copy uses the cached verdict"
	fi
	replug_peer
	remove_provider_with_mapping
fi
tap_end
