# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# `make run`: what P2PDMA does on topology (a).
. /tests/lib.sh
tap_suite qemu_demo
if find_pair; then
	echo
	echo "== P2P providers (p2pmem/ in sysfs) =="
	for d in /sys/bus/pci/devices/*/p2pmem; do
		bdf=$(basename "$(dirname "$d")")
		printf '%s: size=%s available=%s published=%s\n' "$bdf" \
			"$(cat "$d/size")" "$(cat "$d/available")" "$(cat "$d/published")"
	done
	echo
	echo "== Which PCI devices can do P2P with each provider =="
	p2pmatrix
	echo
	p2pmatrix -v | sed -n '/^Reasons/,$p'
	echo
	echo "== A real transfer: $PEER_BLK reads (O_DIRECT) into the CMB of $PROV, $PROV_BLK writes it back out =="
	p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 16M -b 1M >/tmp/copy.out 2>&1
	rc=$?
	cat /tmp/copy.out
	expect_eq "O_DIRECT copy through the CMB verifies" 0 "$rc"
	echo
	echo "== The same copy through a host buffer, for comparison =="
	p2pcopy -H -s "$PEER_BLK" -d "$PROV_BLK" -n 16M -b 1M
fi
tap_end
