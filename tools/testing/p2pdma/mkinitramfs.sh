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
mkdir -p "$root"/{bin,sbin,dev,etc,proc,sys,tmp,tests,modules}
# An unprivileged user, for what must work without root (su -s /bin/sh p2puser).
printf 'root:x:0:0:root:/:/bin/sh\np2puser:x:1000:1000:p2puser:/tmp:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\np2puser:x:1000:\n' >"$root/etc/group"
cp "$busybox" "$root/bin/busybox"
make -s -C "$here/src" OUT="$root/bin"
# p2pmatrix as its users build it (make -C tools/pci), from the composed tree.
tools_out=$build/tools-pci/
mkdir -p "$tools_out"
CFLAGS="-Wextra -Werror" LDFLAGS=-static \
	make -s -C "$build/linux/tools/pci" OUTPUT="$tools_out" "${tools_out}p2pmatrix"
cp "${tools_out}p2pmatrix" "$root/bin/p2pmatrix"
cp "$here/guest/init" "$root/init"
chmod +x "$root/init"
cp "$here/guest/tap.sh" "$here/guest/lib.sh" "$here"/guest/scenarios/*.sh "$root/tests/"
find "$build/obj" -name 'p2pdma*test*.ko' -exec cp {} "$root/modules/" \;
# The test provider, out of tree as such modules are built; its copy keeps
# the sources' times unless they change, so kbuild rebuilds only then.
prov=$build/provider
mkdir -p "$prov"
for f in Kbuild p2ptestprov.c; do
	cmp -s "$here/provider/$f" "$prov/$f" || cp "$here/provider/$f" "$prov/$f"
done
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
if ! make -s -C "$build/linux" O="$build/obj" M="$prov" CC="$cc" modules \
		>"$prov/build.log" 2>&1; then
	cat "$prov/build.log" >&2
	echo "initramfs: p2ptestprov.ko does not build" >&2
	exit 1
fi
cp "$prov/p2ptestprov.ko" "$root/modules/"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $(du -h "$out" | cut -f1) at $out"
