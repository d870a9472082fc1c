# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (a): two drives behind one switch, no IOMMU.  Peer traffic stays
# below the switch and uses bus addresses.
. /tests/lib.sh
tap_suite qemu_switch

# p2pmmap prints its own TAP; fold its lines into this suite.
fold_tap() {
	while read -r status rest; do
		case "$status" in
		ok) ok "mmap: ${rest#* - }" ;;
		not) not_ok "mmap: ${rest#ok * - }" ;;
		*) echo "    # $status $rest" ;;
		esac
	done
}

unbind_with_mapping() {
	rm -f /tmp/ready
	p2phold "$ALLOC" /tmp/ready >/tmp/hold.out 2>&1 &
	pid=$!
	i=0
	while [ ! -e /tmp/ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	check "a process maps P2P memory" test -e /tmp/ready
	echo "$PROV" >/sys/bus/pci/drivers/nvme/unbind
	check "unbind removes the p2pmem group" test ! -d "/sys/bus/pci/devices/$PROV/p2pmem"
	rm -f /tmp/ready
	wait $pid
	rc=$?
	sed 's/^/    # /' /tmp/hold.out
	expect_eq "the mapping faults with SIGBUS after unbind" 0 "$rc"
	echo "$PROV" >/sys/bus/pci/drivers/nvme/bind
	i=0
	while [ ! -d "/sys/bus/pci/devices/$PROV/p2pmem" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "rebind registers the CMB again" test -d "/sys/bus/pci/devices/$PROV/p2pmem"
	wait_for_drives
}

nvmet_p2pmem() {
	cfg=/sys/kernel/config/nvmet/subsystems/p2ptest
	mkdir -p "$cfg/namespaces/1" || { not_ok "nvmet namespace created"; return; }
	attr=$cfg/namespaces/1/p2pmem
	for v in 1 0 "$PROV"; do
		if echo "$v" >"$attr"; then
			expect_eq "nvmet p2pmem accepts '$v'" "$v" "$(cat "$attr")"
		else
			not_ok "nvmet p2pmem accepts '$v'"
		fi
	done
	for v in "$PEER" "not-a-device" "0000:7f:1f.7"; do
		if echo "$v" >"$attr" 2>/dev/null; then
			not_ok "nvmet p2pmem rejects '$v'"
		else
			expect_eq "nvmet p2pmem rejects '$v' and keeps its value" "$PROV" "$(cat "$attr")"
		fi
	done
	echo 0 >"$attr"
	rmdir "$cfg/namespaces/1" "$cfg"
}

if find_pair; then
	size=$(cat "/sys/bus/pci/devices/$PROV/p2pmem/size")
	avail=$(cat "/sys/bus/pci/devices/$PROV/p2pmem/available")
	expect_eq "CMB registered with its full 64 MiB" 67108864 "$size"
	expect_eq "allocate advertises 1 TiB, so mmap wrappers accept any length" \
		1099511627776 "$(stat -c %s "$ALLOC")"
	expect_eq "CMB published" 1 "$(cat "/sys/bus/pci/devices/$PROV/p2pmem/published")"
	check "nvme keeps part of the CMB for its queues" \
		test "$avail" -gt 0 -a "$avail" -lt "$size"
	expect_eq "peer reaches the CMB by bus address, distance 4" "BUS 4" \
		"$(matrix_row "$PROV" "$PEER" | cut -d' ' -f3,4)"
	expect_eq "provider reaches itself, distance 0" "BUS 0" \
		"$(matrix_row "$PROV" "$PROV" | cut -d' ' -f3,4)"
	expect_peers "BUS BUS 4" "by PCI bus address, distance 4"

	expect_eq "O_DIRECT copy peer -> provider through the CMB" verified \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 8M)"
	expect_eq "O_DIRECT copy provider -> peer through the CMB, 4 threads" verified \
		"$(copy_result p2pcopy -s "$PROV_BLK" -d "$PEER_BLK" -m "$ALLOC" -n 8M -t 4 -S 7)"
	# The mixed lists go to the peer both ways: the CMB's own controller
	# refuses a command whose data is partly in its CMB and partly in
	# host memory (QEMU: Invalid Use of Controller Memory Buffer).
	expect_eq "preadv/pwritev mixing host and P2P iovecs" verified \
		"$(copy_result p2pmixed -s "$PEER_BLK" -d "$PEER_BLK" -m "$ALLOC" -o 16M -O 32M)"
	p2pmmap "$ALLOC" "$PEER_BLK" >/tmp/mmap.tap 2>&1
	fold_tap </tmp/mmap.tap
	trace_on
	unbind_with_mapping
	expect_event "tracepoint: provider removed" \
		"pci_p2pdma_provider_remove: provider=$PROV size=67108864"
	expect_event "tracepoint: provider added" \
		"pci_p2pdma_provider_add: provider=$PROV bar="
	expect_eq "O_DIRECT copy after rebind" verified \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 1M)"
	expect_event "tracepoint: first decision for the pair" \
		"pci_p2pdma_map_decision: provider=$PROV client=$PEER map=BUS_ADDR distance=4"
	p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 64M -b 64M \
		>/dev/null 2>&1
	expect_event "tracepoint: allocation failure" \
		"pci_p2pdma_alloc_fail: provider=$PROV size=67108864"
	nvmet_p2pmem
fi
tap_end
run_dma_test bus
