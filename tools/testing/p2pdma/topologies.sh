# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The QEMU machines the tests run on, defined in one place.  Each function
# prints the device arguments of one topology; p2p_topology NAME picks one.
#
# QEMU 7.2 facts that shape these: pcie-root-port has an ACS capability
# (which the kernel enables when an IOMMU is present); the x3130/xio3130
# switch ports have none; nvme's cmb_size_mb= gives it a CMB BAR that
# nvme-pci registers as P2P memory.  intel-iommu must come first.

p2p_drives() {
	# $1: bus of the source drive, $2: bus of the drive with the CMB,
	# $3: CMB size in MiB (64 unless given), $4: more options of both
	# drives (",opt=val..."), $5: more -drive options of the second
	echo "-drive if=none,id=d0,file=$P2P_BUILD/disk0.img,format=raw,cache=none"
	echo "-device nvme,id=nvme0,serial=p2psrc0,drive=d0,bus=$1${4:-}"
	echo "-drive if=none,id=d1,file=$P2P_BUILD/disk1.img,format=raw,cache=none${5:-}"
	echo "-device nvme,id=nvme1,serial=p2pcmb1,drive=d1,bus=$2,cmb_size_mb=${3:-64}${4:-}"
}

# (a) root port -> switch -> two downstream ports, one drive on each;
# $1 is the CMB size in MiB (64 unless given), $2 and $3 more drive
# options (p2p_drives' $4 and $5)
topo_a() {
	echo "-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1"
	echo "-device x3130-upstream,id=up1,bus=rp1"
	echo "-device xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=0"
	echo "-device xio3130-downstream,id=dn2,bus=up1,chassis=3,slot=1"
	p2p_drives dn1 dn2 "${1:-64}" "${2:-}" "${3:-}"
}

# (b) the two drives on two root ports: peer traffic crosses the host bridge
topo_b() {
	echo "-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1"
	echo "-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2"
	p2p_drives rp1 rp2
}

# (c) and (d): (a) and (b) behind intel-iommu
topo_c() {
	echo "-device intel-iommu"
	topo_a
}

topo_d() {
	echo "-device intel-iommu"
	topo_b
}

# (e) (a) with a 1 GiB CMB: a BAR large enough that mapping all of it
# from user space takes long (QEMU's CMB is emulated MMIO: every store the
# kernel makes to clear it is a call into QEMU).  mdts=9 lets one command
# move 2 MiB (2^9 pages), the size of a folio of P2P memory.
topo_e() {
	topo_a 1024 ,mdts=9
}

# (f) (a) with 2 MiB commands and a third downstream port holding an
# ivshmem-plain device whose 4 GiB BAR 2 is RAM on the host (allocated only
# where the guest touches it), offered as P2P memory by the p2ptestprov
# module: a BAR aligned and large enough for 1 GiB folios.  Writes to the
# second drive are throttled to 8 MB/s, so that an O_DIRECT copy to it
# stays in flight long enough to remove the provider under it.
topo_f() {
	topo_a 64 ,mdts=9 ,throttling.bps-write=8388608
	echo "-device xio3130-downstream,id=dn3,bus=up1,chassis=4,slot=2"
	echo "-object memory-backend-ram,id=p2pivshmem,size=4G"
	echo "-device ivshmem-plain,memdev=p2pivshmem,bus=dn3"
}

# (g) (a) with many clients and providers, for the bench's scaling rows:
# the switch's other 30 downstream ports hold 29 slots of eight "edu"
# functions each (a QEMU test device no driver binds) and one slot of eight
# ivshmem-plain functions with 2 MiB of host RAM each, which the
# p2ptestprov module offers as P2P memory.  Below the root port: 275 PCI
# functions, 8 providers besides the CMB.
topo_g() {
	local port f

	topo_a
	for port in $(seq 3 32); do
		echo "-device xio3130-downstream,id=dn$port,bus=up1,chassis=$((port + 1)),slot=$((port - 1))"
	done
	for port in $(seq 3 31); do
		echo "-device edu,bus=dn$port,addr=0.0,multifunction=on"
		for f in $(seq 1 7); do
			echo "-device edu,bus=dn$port,addr=0.$f"
		done
	done
	for f in $(seq 0 7); do
		echo "-object memory-backend-ram,id=p2pg$f,size=2M"
		echo "-device ivshmem-plain,memdev=p2pg$f,bus=dn32,addr=0.$f$([ "$f" = 0 ] && echo ,multifunction=on)"
	done
}

# CPU model a topology needs: 1 GiB folios need a CPU that maps 1 GiB
# pages (pdpe1gb).
topo_cpu() {
	case "$1" in
	f) echo "qemu64,pdpe1gb=on" ;;
	*) echo "qemu64" ;;
	esac
}

# Kernel command line a topology needs.
topo_cmdline() {
	case "$1" in
	c | d) echo "intel_iommu=on" ;;
	*) echo "" ;;
	esac
}

p2p_topology() {
	local args

	case "$1" in
	a | b | c | d | e | f | g)
		# Not a pipe: a topology that fails half-way must not boot.
		args=$("topo_$1") || return 1
		echo "$args" | tr '\n' ' ' ;;
	*) echo "unknown topology '$1' (known: a b c d e f g)" >&2; return 1 ;;
	esac
}
