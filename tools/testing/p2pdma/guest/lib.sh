# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers shared by the guest scenarios.
. /tests/tap.sh

# Wait (up to 60 s) until both drives have their namespaces.
wait_for_drives() {
	i=0
	while [ $i -lt 600 ]; do
		[ -b /dev/nvme0n1 ] && [ -b /dev/nvme1n1 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# BDF of the device with a p2pmem group (the drive with the CMB).
provider_bdf() {
	for d in /sys/bus/pci/devices/*; do
		[ -d "$d/p2pmem" ] && { basename "$d"; return 0; }
	done
	return 1
}

# /dev node of the first namespace of the NVMe drive at BDF $1.
nvme_blk_of() {
	for n in /sys/bus/pci/devices/"$1"/nvme/nvme*/nvme*n1; do
		[ -e "$n" ] && { echo "/dev/$(basename "$n")"; return 0; }
	done
	return 1
}

# BDF of the NVMe drive that is not $1.
other_nvme_bdf() {
	for d in /sys/bus/pci/drivers/nvme/0*; do
		b=$(basename "$d")
		[ "$b" != "$1" ] && { echo "$b"; return 0; }
	done
	return 1
}

# Set PROV, PROV_BLK, PEER, PEER_BLK, ALLOC; fail the suite if impossible.
find_pair() {
	if ! wait_for_drives; then
		not_ok "both NVMe drives appear"
		return 1
	fi
	PROV=$(provider_bdf) || { not_ok "a P2P provider is registered"; return 1; }
	PEER=$(other_nvme_bdf "$PROV")
	PROV_BLK=$(nvme_blk_of "$PROV")
	PEER_BLK=$(nvme_blk_of "$PEER")
	ALLOC=/sys/bus/pci/devices/$PROV/p2pmem/allocate
	echo "    # provider $PROV ($PROV_BLK), peer $PEER ($PEER_BLK)"
	return 0
}

# wait_until SECONDS COMMAND...: poll COMMAND every 100 ms.  The counter
# is local: callers loop with variables of their own.
wait_until() {
	local polls=$(($1 * 10))

	shift
	while [ "$polls" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		polls=$((polls - 1))
	done
	return 1
}

# matrix_row PROVIDER CLIENT: the matrix line of a pair.
matrix_row() {
	grep "^$1 $2 " /sys/kernel/debug/pci_p2pdma/matrix
}

# as_user CMD: run the shell command CMD as the unprivileged user p2puser
# (mkinitramfs.sh puts it in /etc/passwd).
as_user() {
	su -s /bin/sh p2puser -c "$1"
}

# expect_peers "READ WRITE DIST" TEXT: PEER's line of PROV's p2pmem/peers,
# read by an unprivileged user, has those fields and mentions TEXT; the
# file lists every PCI function that is not a bridge, reads the same in
# small chunks, and p2pmatrix --json, run unprivileged, has the pair.
expect_peers() {
	peers=/sys/bus/pci/devices/$PROV/p2pmem/peers
	expect_eq "p2pmem/peers is read-only, for everyone" "-r--r--r--" \
		"$(stat -c %A "$peers")"
	expect_eq "the unprivileged user is not root" 1000 "$(as_user 'id -u')"
	row=$(as_user "grep '^$PEER ' $peers")
	expect_eq "p2pmem/peers, read unprivileged: $PEER reads/writes: $1" \
		"$1" "$(echo "$row" | cut -d' ' -f2-4)"
	if echo "$row" | grep -qF -- "$2"; then
		ok "p2pmem/peers explains: $2"
	else
		echo "    # no '$2' in: $row"
		not_ok "p2pmem/peers explains: $2"
	fi
	n=0
	for d in /sys/bus/pci/devices/*; do
		case $(cat "$d/class") in 0x06*) ;; *) n=$((n + 1)) ;; esac
	done
	expect_eq "p2pmem/peers has a line per PCI function but bridges" \
		"$n" "$(wc -l <"$peers")"
	expect_eq "p2pmem/peers read 7 bytes at a time is the same text" \
		"$(md5sum <"$peers")" \
		"$(as_user "dd if=$peers bs=7 2>/dev/null" | md5sum)"
	as_user 'p2pmatrix --json' >/tmp/p2pmatrix.json 2>/tmp/p2pmatrix.err
	expect_eq "p2pmatrix --json runs unprivileged" 0 "$?"
	sed 's/^/    # /' /tmp/p2pmatrix.err
	set -- $1
	obj="{\"provider\": \"$PROV\", \"client\": \"$PEER\", \"read\": \"$1\", \"write\": \"$2\", \"distance\": $3, \"reason\": \""
	check "p2pmatrix --json: an array, one object per line" \
		test "$(head -n1 /tmp/p2pmatrix.json)" = "[" -a \
		"$(tail -n1 /tmp/p2pmatrix.json)" = "]"
	if grep -qF -- "$obj" /tmp/p2pmatrix.json; then
		ok "p2pmatrix --json has $PEER: $1/$2 $3"
	else
		echo "    # no '$obj' in:"
		sed 's/^/    #   /' /tmp/p2pmatrix.json
		not_ok "p2pmatrix --json has $PEER: $1/$2 $3"
	fi
}

# Run a copy and classify: prints "verified", "EREMOTEIO" or "wrong data".
copy_result() {
	out=$("$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    # /' >&2
	case $rc in
	0) echo verified ;;
	3) echo EREMOTEIO ;;
	*) echo "wrong data or error ($rc)" ;;
	esac
}

# expect_route NAME "MAP DIST" PROVIDER CLIENT: check the matrix.
expect_route() {
	expect_eq "$1" "$2" "$(matrix_row "$3" "$4" | cut -d' ' -f3,4)"
}

# expect_reason NAME TEXT PROVIDER CLIENT: the matrix reason mentions TEXT.
expect_reason() {
	if matrix_row "$3" "$4" | grep -qF -- "$2"; then
		ok "$1"
	else
		echo "    # no '$2' in: $(matrix_row "$3" "$4")"
		not_ok "$1"
	fi
}

# expect_no_reason NAME TEXT PROVIDER CLIENT: the matrix reason does not
# mention TEXT (but the pair is in the matrix).
expect_no_reason() {
	row=$(matrix_row "$3" "$4")
	if [ -n "$row" ] && ! echo "$row" | grep -qF -- "$2"; then
		ok "$1"
	else
		echo "    # '$2' in: $row"
		not_ok "$1"
	fi
}

# expect_dmesg NAME TEXT: the kernel log mentions TEXT.
expect_dmesg() {
	if dmesg | grep -qF -- "$2"; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# expect_copies WANT: both directions of an O_DIRECT copy through the CMB.
expect_copies() {
	expect_eq "O_DIRECT copy peer -> provider through the CMB: $1" "$1" \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 4M)"
	expect_eq "O_DIRECT copy provider -> peer through the CMB: $1" "$1" \
		"$(copy_result p2pcopy -s "$PROV_BLK" -d "$PEER_BLK" -m "$ALLOC" -n 4M -t 2 -S 3)"
}

# run_dma_test EXPECT: load the p2pdma_dma_map KUnit module on the pair;
# it prints its own KTAP.  Call it outside a tap_suite block.
run_dma_test() {
	[ -n "$PROV" ] || return 0
	dmesg -n 8
	insmod /modules/p2pdma-dma-test.ko provider="$PROV" client="$PEER" \
		expect="$1"
	dmesg -n 5
	rmmod p2pdma_dma_test
}

TRACE=/sys/kernel/tracing
trace_on() {
	echo >"$TRACE/trace"
	echo 1 >"$TRACE/events/pci_p2pdma/enable"
}

# expect_event NAME TEXT: an enabled pci_p2pdma event printed TEXT.
expect_event() {
	if grep -qF -- "$2" "$TRACE/trace"; then
		ok "$1"
	else
		echo "    # no '$2' in the trace:"
		grep pci_p2pdma "$TRACE/trace" | tail -n 5 | sed 's/^/    #   /'
		not_ok "$1"
	fi
}

# dma_entries_per_request ALLOC PROVIDER UNIT: the DMA entries of each
# 2 MiB request of an O_DIRECT copy from PEER_BLK to PROV_BLK through a
# mapping of ALLOC, whose memory is BAR 2 of PROVIDER in folios of UNIT
# bytes, from the dma_map_sg event: 16 MiB read into the mapping and
# written out of it in 2 MiB requests are 16 requests.  With folios, each
# is one folio: pinned as one, one bio segment, one entry.  The drives
# must take 2 MiB per command (mdts=9); the block layer's default limit
# is lower, so raise it to that.  Leaves the counts in DMA_CALLS and
# DMA_ENTRIES (make bench reports them).
dma_entries_per_request() {
	local alloc=$1 prov=$2 unit=$3 q blk result bar_start bar_end p2p
	local calls entries whole

	for blk in "$PEER_BLK" "$PROV_BLK"; do
		q=/sys/block/${blk#/dev/}/queue
		check "$q/max_hw_sectors_kb allows 2 MiB requests" \
			test "$(cat "$q/max_hw_sectors_kb")" -ge 2048
		echo 2048 >"$q/max_sectors_kb"
	done
	echo >"$TRACE/trace"
	echo 1 >"$TRACE/events/dma/dma_map_sg/enable"
	result=$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" \
		-m "$alloc" -n 16M -b 2M)
	echo 0 >"$TRACE/events/dma/dma_map_sg/enable"
	expect_eq "O_DIRECT copy in 2 MiB requests" verified "$result"
	# p2pcopy fills and checks the drives through host memory: keep the
	# calls whose first page is in BAR 2 (line 3 of resource).
	set -- $(sed -n 3p "/sys/bus/pci/devices/$prov/resource")
	bar_start=$(($1))
	bar_end=$(($2))
	p2p=$(sed -n 's/^.*dma_map_sg:.* ents=[0-9]*\/\([0-9]*\) .*sizes={\([^}]*\)} phys_addrs={\(0x[0-9a-f]*\).*$/\1 \2 \3/p' \
		"$TRACE/trace" | while read -r ents sizes phys; do
		if [ $((phys)) -ge "$bar_start" ] && [ $((phys)) -le "$bar_end" ]; then
			echo "$ents $sizes"
		fi
	done)
	calls=$(echo "$p2p" | grep -c .)
	entries=$(echo "$p2p" | awk '{ n += $1 } END { print n + 0 }')
	whole=$(echo "$p2p" | grep -c '^1 0x200000$')
	DMA_CALLS=$calls
	DMA_ENTRIES=$entries
	echo "    # $calls dma_map_sg calls of P2P memory, $entries DMA entries, $whole of one 2 MiB entry"
	expect_eq "16 P2P requests for 16 MiB each way in 2 MiB" 16 "$calls"
	if [ "$unit" -gt 4096 ]; then
		expect_eq "each 2 MiB request is one DMA entry" 16 "$whole"
	else
		check "base pages: the requests take at least one entry each" \
			test "$entries" -ge 16
	fi
}
