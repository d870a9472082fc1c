# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (f): a 4 GiB BAR (QEMU's ivshmem-plain, RAM on the host) that
# the p2ptestprov module offers as P2P memory, on a CPU that maps 1 GiB
# pages: the BAR gets 1 GiB folios, whose struct pages take a few pages of
# memory.  A process maps the whole of it with 2 MiB entries, copies
# O_DIRECT data between the drives through it, one DMA entry per 2 MiB
# request, and the provider goes away while a copy is in flight.  With
# pci_p2pdma.base_pages=1 (bigbar_1g_base, for comparison) the BAR has a
# struct page per page and a fault per page.
. /tests/lib.sh
tap_suite qemu_bigbar_1g

# The ivshmem-plain function.
ivshmem_bdf() {
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x1af4 ] &&
			[ "$(cat "$d/device")" = 0x1110 ]; then
			basename "$d"
			return 0
		fi
	done
	return 1
}

# Has a dma_map_sg event mapped memory of ivshmem's BAR 2 (IV_START to
# IV_END)?  The copy's first P2P request is then in flight.
ivshmem_mapped() {
	sed -n 's/^.*dma_map_sg:.* phys_addrs={\(0x[0-9a-f]*\).*$/\1/p' \
		"$TRACE/trace" | {
		while read -r phys; do
			if [ $((phys)) -ge "$IV_START" ] &&
				[ $((phys)) -le "$IV_END" ]; then
				exit 0
			fi
		done
		exit 1
	}
}

if find_pair && IV=$(ivshmem_bdf); then
	echo "    # ivshmem-plain at $IV"
	set -- $(sed -n 3p "/sys/bus/pci/devices/$IV/resource")
	IV_START=$(($1))
	IV_END=$(($2))
	IVMEM=/sys/bus/pci/devices/$IV/p2pmem
	check "p2ptestprov loads" insmod /modules/p2ptestprov.ko
	expect_eq "ivshmem's BAR 2 registers 4 GiB" 4294967296 \
		"$(cat "$IVMEM/size")"
	unit=$(cat "$IVMEM/mmap_unit")
	per_gib=$(dmesg | sed -n 's/^.*p2ptestprov.*memmap of 4096 MiB of BAR: [0-9]* bytes, \([0-9]*\) per GiB$/\1/p')
	echo "    # memmap: ${per_gib:-?} bytes per GiB of BAR;" \
		"$(dmesg | sed -n 's/^.*p2ptestprov.*\(pci_p2pdma_add_resource: [0-9]* ns\)$/\1/p')"
	if grep -q 'pci_p2pdma.base_pages=1' /proc/cmdline; then
		expect_dmesg "dmesg says why the BAR has a struct page per page" \
			"a struct page per base page for BAR 2 at offset 0x0: pci_p2pdma.base_pages is set"
		expect_eq "with pci_p2pdma.base_pages=1 the mmap unit is a page" \
			4096 "$unit"
		check "a struct page per page: 16 MiB of memmap per GiB" \
			test "${per_gib:-0}" -ge 16777216
		faults_test="-ge 1048576"
	else
		expect_dmesg "dmesg gives the folio size at registration" \
			"4294967296 bytes from BAR 2 at offset 0x0, in folios of 1048576 KiB"
		expect_eq "the mmap unit is a 1 GiB folio" 1073741824 "$unit"
		check "the memmap takes at most 64 KiB per GiB of BAR" \
			test "${per_gib:-999999999}" -le 65536
		# A fault per 2 MiB entry, and a few for the program itself.
		faults_test="-le $((4096 / 2 + 64))"
	fi

	if out=$(p2pmaptime "$IVMEM/allocate" 2>&1); then
		set -- $out
		echo "    # $(($1 >> 20)) MiB: mmap $(($2 / 1000000)) ms, touch $(($5 / 1000000)) ms, munmap $(($3 / 1000000)) ms, $4 faults"
		expect_eq "mmap of the whole 4 GiB succeeds" 4294967296 "$1"
		# shellcheck disable=SC2086
		check "touching it took $4 faults, $faults_test" \
			test "$4" $faults_test
	else
		echo "    # $out"
		not_ok "mmap of the whole 4 GiB succeeds"
	fi
	expect_eq "every byte is back when munmap() returns" 4294967296 \
		"$(cat "$IVMEM/available")"
	dma_entries_per_request "$IVMEM/allocate" "$IV" "$unit"

	# Removal while a process maps the memory and O_DIRECT requests are
	# in flight: the mapping is revoked, the copy fails, and removal
	# waits for the requests' pages.
	echo >"$TRACE/trace"
	echo 1 >"$TRACE/events/dma/dma_map_sg/enable"
	p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$IVMEM/allocate" -n 48M \
		-b 2M >/tmp/inflight.out 2>&1 &
	copier=$!
	check "the copy maps requests of the BAR" wait_until 120 ivshmem_mapped
	echo 0 >"$TRACE/events/dma/dma_map_sg/enable"
	check "the provider unbinds while a copy runs" rmmod p2ptestprov
	check "its p2pmem/ group is gone" test ! -e "$IVMEM"
	rc=0
	wait "$copier" || rc=$?
	sed 's/^/    # /' /tmp/inflight.out
	check "the copy through the removed memory failed ($rc)" \
		test "$rc" -ne 0
	expect_eq "the CMB still copies" verified \
		"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" -m "$ALLOC" -n 4M)"

	# One pool, two folio sizes: the provider asks for base pages for
	# the first 2 MiB of the BAR (added last, so tried first) and gets
	# 2 MiB folios for the rest.  A mapping is made of one range's
	# folios, and gives all of them back.  No clearing ahead here: a
	# mapping would take cleared memory of the folio range first, and
	# which range it gets would depend on how far the worker got.
	if ! grep -q 'pci_p2pdma.base_pages=1' /proc/cmdline; then
		echo N >/sys/module/pci_p2pdma/parameters/clear_ahead
		check "p2ptestprov loads with base_mib=2" \
			insmod /modules/p2ptestprov.ko base_mib=2
		expect_dmesg "dmesg says the provider asked for base pages" \
			"a struct page per base page for BAR 2 at offset 0x0: the provider asked for folios smaller than a huge page"
		expect_eq "the mmap unit is the largest folio" 2097152 \
			"$(cat "$IVMEM/mmap_unit")"
		set -- $(p2pmaptime -r "$IVMEM/allocate" 2097152)
		check "2 MiB of the base-page range: a fault per page (${4:-?})" \
			test "${4:-0}" -ge 512
		check "and again after MADV_DONTNEED (${7:-?})" \
			test "${7:--1}" -ge 512
		expect_eq "all of it is back after munmap()" 4294967296 \
			"$(cat "$IVMEM/available")"
		set -- $(p2pmaptime -r "$IVMEM/allocate" 4194304)
		check "4 MiB of the folio range: a fault per 2 MiB (${4:-?})" \
			test "${4:-999}" -le 64
		check "and again after MADV_DONTNEED (${7:-?})" \
			test "${7:--1}" -ge 0 -a "${7:-999}" -le 64
		expect_eq "O_DIRECT copy through the base-page range" verified \
			"$(copy_result p2pcopy -s "$PEER_BLK" -d "$PROV_BLK" \
				-m "$IVMEM/allocate" -n 8M -b 2M)"
		expect_eq "all of the pool is back after the copy" 4294967296 \
			"$(cat "$IVMEM/available")"
		check "p2ptestprov unloads" rmmod p2ptestprov

		# The same BAR in 2 MiB folios: two pages of memmap a folio.
		check "p2ptestprov loads with folio_kib=2048" \
			insmod /modules/p2ptestprov.ko folio_kib=2048
		expect_eq "the mmap unit is a 2 MiB folio" 2097152 \
			"$(cat "$IVMEM/mmap_unit")"
		# Two pages of struct pages a folio; the page tables that map
		# them, a page per 2 MiB of memmap, come on top.
		set -- $(dmesg | sed -n 's/^.*p2ptestprov.*memmap of 4096 MiB of BAR: struct pages \([0-9]*\) per GiB, page tables \([0-9]*\) per GiB$/\1 \2/p' |
			tail -n1)
		check "in 2 MiB folios the struct pages take at most 4 MiB per GiB (${1:-?}, page tables ${2:-?})" \
			test "${1:-999999999}" -le 4194304
		check "p2ptestprov unloads" rmmod p2ptestprov
		echo Y >/sys/module/pci_p2pdma/parameters/clear_ahead
	fi
fi
tap_end
