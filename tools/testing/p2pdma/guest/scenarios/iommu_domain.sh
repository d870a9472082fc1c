# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (c) with pci_p2pdma.trust_virt_topology=0 (the default): the
# virtual-IOMMU rule refuses the switch-local pair while the peer's DMA is
# translated.  Its IOMMU group's default domain is then changed through
# sysfs (which the IOMMU core accepts only while no driver is bound), and
# the pair must be judged again when the drivers bind: bus addresses and a
# verified copy in the identity domain, refused again once translated.
. /tests/lib.sh
tap_suite qemu_iommu_domain

# The devices of the group that holds $PEER (the switch ports have no ACS,
# so both drives normally share it).
group_devices() {
	ls "/sys/bus/pci/devices/$PEER/iommu_group/devices"
}

drives_bound() {
	[ -d "/sys/bus/pci/devices/$PROV/p2pmem" ] &&
		PEER_BLK=$(nvme_blk_of "$PEER") && [ -b "$PEER_BLK" ] &&
		PROV_BLK=$(nvme_blk_of "$PROV") && [ -b "$PROV_BLK" ]
}

# set_domain TYPE: unbind every driver of the group, write TYPE to the
# group's type, bind them again and wait for the drives.
set_domain() {
	devs=$(group_devices)
	for d in $devs; do
		[ -e "/sys/bus/pci/devices/$d/driver" ] &&
			echo "$d" >"/sys/bus/pci/devices/$d/driver/unbind"
	done
	echo "$1" >"/sys/bus/pci/devices/$PEER/iommu_group/type"
	expect_eq "the peer's IOMMU group accepts domain type $1" 0 "$?"
	for d in $devs; do
		echo "$d" >/sys/bus/pci/drivers_probe
	done
	if wait_until 60 drives_bound; then
		ok "both drives are bound again after the change to $1"
	else
		not_ok "both drives are bound again after the change to $1"
		return 1
	fi
}

expect_domain() {
	expect_eq "the peer's domain is now $1" "$1" \
		"$(cat "/sys/bus/pci/devices/$PEER/iommu_group/type")"
}

if find_pair; then
	echo "    # IOMMU group of $PEER: $(group_devices | tr '\n' ' ')"
	trace_on
	expect_route "translated domain: the pair is refused" "NO -1" \
		"$PROV" "$PEER"
	expect_reason "translated domain: the reason names the virtual IOMMU" \
		"virtual IOMMU" "$PROV" "$PEER"
	expect_copies EREMOTEIO

	if set_domain identity; then
		expect_domain identity
		echo >"$TRACE/trace"
		expect_route "identity domain: the pair uses bus addresses" \
			"BUS 4" "$PROV" "$PEER"
		expect_copies verified
		expect_event "identity domain: the map path judged the pair again" \
			"pci_p2pdma_map_decision: provider=$PROV client=$PEER map=BUS_ADDR distance=4"
	fi

	if set_domain DMA; then
		expect_domain DMA
		expect_route "translated again: the pair is refused" "NO -1" \
			"$PROV" "$PEER"
		expect_copies EREMOTEIO
	fi
fi
tap_end
