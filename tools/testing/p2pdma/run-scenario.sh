#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one scenario in QEMU (TCG) and keep its serial log.
#
#   run-scenario.sh <repo> <build-dir> <scenario|shell> [topology]
#
# P2P_KVM=1 uses KVM (nested KVM hangs on some hosts, so it is opt-in);
# P2P_TIMEOUT overrides the per-boot time limit in seconds; P2P_KERNEL
# boots another bzImage than the test kernel's and P2P_LOGS keeps the log
# in another directory (series.sh boots each step of the series so).
set -euo pipefail

repo=$(cd "$1" && pwd)
export P2P_BUILD
P2P_BUILD=$(cd "$2" && pwd)
name=$3
here=$repo/tools/testing/p2pdma
# shellcheck source=tools/testing/p2pdma/topologies.sh
. "$here/topologies.sh"

if [ "$name" = shell ]; then
	topo=${4:-a}
	extra="kunit.filter_glob=p2pdma_dma_map"
else
	line=$(grep "^$name|" "$here/scenarios") ||
		{ echo "run: no scenario '$name' in $here/scenarios" >&2; exit 1; }
	IFS='|' read -r _ topo extra _ <<<"$line"
fi

command -v qemu-system-x86_64 >/dev/null ||
	{ echo "run: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2; exit 1; }

logs=${P2P_LOGS:-$P2P_BUILD/logs}
mkdir -p "$logs"
log=$logs/$name.log
# Fresh sparse disks for every boot: tests write patterns to them.
rm -f "$P2P_BUILD/disk0.img" "$P2P_BUILD/disk1.img"
truncate -s 64M "$P2P_BUILD/disk0.img" "$P2P_BUILD/disk1.img"

topo_args=$(p2p_topology "$topo")
accel="-accel tcg"
[ "${P2P_KVM:-0}" = 1 ] && accel="-accel kvm"
cmdline="console=ttyS0 panic=-1 oops=panic p2ptest=$name $(topo_cmdline "$topo") $extra"
# shellcheck disable=SC2046
set -- qemu-system-x86_64 -machine q35 $accel -cpu "$(topo_cpu "$topo")" -smp 2 -m 2G \
	-nographic -no-reboot -bios /usr/share/qemu/qboot.rom \
	-kernel "${P2P_KERNEL:-$P2P_BUILD/obj/arch/x86/boot/bzImage}" \
	-initrd "$P2P_BUILD/initramfs.cpio" -append "$cmdline" \
	-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off \
	$topo_args

if [ "$name" = shell ]; then
	exec "$@"
fi

timeout=${P2P_TIMEOUT:-600}
echo "run: booting '$name' on topology ($topo) [$extra] (log: $log)"
start=$(date +%s)
rc=0
timeout --foreground "$timeout" "$@" </dev/null >"$log" 2>&1 || rc=$?
echo "run: '$name' finished in $(($(date +%s) - start)) s"
if [ $rc = 124 ]; then
	echo "run: '$name' timed out after $timeout s; last lines of the guest log:" >&2
	tail -n 30 "$log" >&2
	echo "p2ptest: TIMEOUT" >>"$log"
fi
exit 0
