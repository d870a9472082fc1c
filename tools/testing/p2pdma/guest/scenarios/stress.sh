# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (a) under load: two processes copy O_DIRECT through mappings of
# the CMB, one each way, while the provider's driver is unbound and bound
# twenty times and the provider is removed and rescanned twice.  Every copy
# must verify or fail cleanly (SIGBUS, an I/O error, EREMOTEIO, ENOMEM);
# none may complete with wrong data.  At the end the pool is whole, and no
# removal had to wait for a user that had let go.  The kernel's checkers
# (KASAN, lockdep, kmemleak, DEBUG_VM) watch the whole run.
. /tests/lib.sh
tap_suite qemu_stress

CYCLES=20

provider_back() {
	[ -d "/sys/bus/pci/devices/$PROV/p2pmem" ] &&
		PROV_BLK=$(nvme_blk_of "$PROV") && [ -b "$PROV_BLK" ]
}

# copier ID SRC_BDF DST_BDF: copy 1 MiB through the CMB until /tmp/stop,
# at offset ID MiB of both disks so that two copiers never touch the same
# blocks; one line per copy in /tmp/copier.ID: its exit status, or BAD and
# what p2pcopy said if the data did not verify.
copier() {
	log=/tmp/copier.$1
	: >"$log"
	while [ ! -e /tmp/stop ]; do
		if ! src=$(nvme_blk_of "$2") || ! dst=$(nvme_blk_of "$3") ||
				[ ! -e "$ALLOC" ]; then
			sleep 0.1
			continue
		fi
		out=$(p2pcopy -s "$src" -d "$dst" -m "$ALLOC" -n 1M -o "${1}M" \
			-S "$1" 2>&1)
		rc=$?
		case $out in
		*"data mismatch"*) echo "BAD $rc $out" >>"$log" ;;
		*) echo "$rc" >>"$log" ;;
		esac
	done
}

rebind_provider() {
	echo "$PROV" >/sys/bus/pci/drivers/nvme/unbind
	echo "$PROV" >/sys/bus/pci/drivers/nvme/bind
	wait_until 60 provider_back
}

replug_provider() {
	echo 1 >"/sys/bus/pci/devices/$PROV/remove"
	echo 1 >/sys/bus/pci/rescan
	wait_until 60 provider_back
}

if find_pair; then
	avail=$(cat "/sys/bus/pci/devices/$PROV/p2pmem/available")
	rm -f /tmp/stop
	copier 1 "$PEER" "$PROV" &
	c1=$!
	copier 2 "$PROV" "$PEER" &
	c2=$!
	sleep 2

	n=0
	i=0
	while [ $i -lt $CYCLES ]; do
		rebind_provider && n=$((n + 1))
		i=$((i + 1))
	done
	expect_eq "the provider's driver is unbound and bound $CYCLES times under load" \
		"$CYCLES" "$n"
	n=0
	for i in 1 2; do
		replug_provider && n=$((n + 1))
	done
	expect_eq "the provider is removed and rescanned twice under load" 2 "$n"
	sleep 2
	touch /tmp/stop
	wait $c1 $c2

	copies=$(cat /tmp/copier.1 /tmp/copier.2 | wc -l)
	verified=$(cat /tmp/copier.1 /tmp/copier.2 | grep -c '^0$')
	echo "    # $copies copies, $verified verified; exit statuses:" \
		"$(cat /tmp/copier.1 /tmp/copier.2 | sort | uniq -c | tr '\n' ' ')"
	grep BAD /tmp/copier.1 /tmp/copier.2 | sed 's/^/    # /'
	expect_eq "no copy completes with wrong data" 0 \
		"$(cat /tmp/copier.1 /tmp/copier.2 | grep -c BAD)"
	check "copies verify between the rebinds" test "$verified" -gt 0
	# p2pcopy exits 1 on an error it reports; 135 is SIGBUS, for a copy
	# whose mapping was torn down under it.
	expect_eq "every other copy failed cleanly (exit 1 or SIGBUS)" "" \
		"$(cat /tmp/copier.1 /tmp/copier.2 | grep -v '^BAD' |
			grep -vx '0' | grep -vx '1' | grep -vx '135')"
	expect_eq "the pool is whole once every copier let go" "$avail" \
		"$(cat "/sys/bus/pci/devices/$PROV/p2pmem/available")"
	expect_eq "no removal waited for a user that had let go" "" \
		"$(dmesg | grep 'removal waits for drivers')"
	expect_eq "O_DIRECT copy through the CMB after the storm" verified \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 4M)"
fi
tap_end
