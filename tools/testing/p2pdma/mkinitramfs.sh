#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest's initramfs: static busybox, our static test programs,
# the guest scripts and the test modules.
#
#   mkinitramfs.sh <repo> <build-dir>
set -euo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
here=$repo/tools/testing/p2pdma
root=$build/initramfs
out=$build/initramfs.cpio

busybox=/bin/busybox
[ -x "$busybox" ] ||
	{ echo "initramfs: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,tests,modules}
cp "$busybox" "$root/bin/busybox"
make -s -C "$here/src" OUT="$root/bin"
gcc -static -O2 -Wall -Wextra -Werror -o "$root/bin/p2pmatrix" \
	"$repo/tools/pci/p2pmatrix.c"
cp "$here/guest/init" "$root/init"
chmod +x "$root/init"
cp "$here/guest/tap.sh" "$here/guest/lib.sh" "$here"/guest/scenarios/*.sh "$root/tests/"
find "$build/obj" -name 'p2pdma*test*.ko' -exec cp {} "$root/modules/" \;
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $(du -h "$out" | cut -f1) at $out"
