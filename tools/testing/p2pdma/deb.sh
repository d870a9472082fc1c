#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: installable Debian packages of this tree (linux-image and
# linux-headers, through kbuild's own bindeb-pkg) in <build>/deb.
#
#   deb.sh <repo> <build-dir> [full|quick]
#
# full   (make deb) Debian's own 6.12 configuration, from
#        /boot/config-$(uname -r) when that is a 6.12 kernel's, else from
#        Debian's linux-config-6.12 package (amd64 "none" flavour), plus
#        config/deb.config (P2PDMA on; see there), built in <build>/obj-deb.
#        A whole distribution kernel: hours on 2 cores.
# quick  (make test) packages the test kernel already built in <build>/obj
#        and checks what the packages hold with dpkg-deb; it only relinks
#        (bindeb-pkg stamps the package revision into the kernel version).
set -euo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
mode=${3:-full}
here=$repo/tools/testing/p2pdma
tree=$build/linux
out=$build/deb
jobs=$(nproc)
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

say() { echo "deb: $*"; }
die() { echo "deb: error: $*" >&2; exit 1; }

# The version the packages get: the base's release plus this tree's commit.
pkg_version() {
	local rel=$1 rev

	rev=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo local)
	echo "$rel-p2pdma+g$rev"
}

# Debian's configuration: the running kernel's if it is a 6.12 one, else
# the one Debian ships in linux-config-6.12.
debian_config() {
	local running=/boot/config-$(uname -r) pkg

	case "$(uname -r)" in
	6.12.*)
		if [ -f "$running" ]; then
			echo "$running"
			return
		fi ;;
	esac
	pkg=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
	[ -f "$pkg" ] ||
		die "no Debian 6.12 configuration (apt-get install linux-config-6.12)"
	echo "$pkg"
}

configure_full() {
	local obj=$1 src frag=$here/config/deb.config line

	src=$(debian_config)
	say "configuration: $src + $(basename "$frag")"
	mkdir -p "$obj"
	case "$src" in
	*.xz) xz -dc "$src" >"$obj/.config" ;;
	*) cp "$src" "$obj/.config" ;;
	esac
	(cd "$tree" && KCONFIG_CONFIG="$obj/.config" \
		scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
		"$frag" >/dev/null)
	make -s -C "$tree" O="$obj" CC="$cc" olddefconfig >/dev/null
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qx -- "$line" "$obj/.config" ||
				die "$line from $(basename "$frag") did not survive olddefconfig" ;;
		esac
	done <"$frag"
}

# bindeb-pkg writes its packages next to the object tree; move them.
collect() {
	local obj=$1 f

	rm -rf "$out"
	mkdir -p "$out"
	for f in "$(dirname "$obj")"/linux-*.deb "$(dirname "$obj")"/linux-upstream_*; do
		[ -e "$f" ] && mv "$f" "$out/"
	done
	ls "$out"/linux-image-*.deb >/dev/null 2>&1 ||
		die "bindeb-pkg made no linux-image package"
}

# check_contents: what a user installs must be there.
check_contents() {
	local image headers rel contents

	image=$(ls "$out"/linux-image-*.deb | grep -v -- -dbg_ | head -n1)
	headers=$(ls "$out"/linux-headers-*.deb 2>/dev/null | head -n1)
	[ -n "$headers" ] || die "bindeb-pkg made no linux-headers package"
	rel=$(dpkg-deb -f "$image" Package | sed 's/^linux-image-//')
	contents=$(dpkg-deb -c "$image")
	for f in "./boot/vmlinuz-$rel" "./boot/config-$rel" "./boot/System.map-$rel" \
		"./lib/modules/$rel/modules.order"; do
		grep -q " $f\$" <<<"$contents" || die "$image has no $f"
	done
	# grep reads to the end: an early exit would fail the pipe.
	dpkg-deb --fsys-tarfile "$image" | tar -xOf - "./boot/config-$rel" |
		grep -x 'CONFIG_PCI_P2PDMA=y' >/dev/null ||
		die "$image: its kernel has no CONFIG_PCI_P2PDMA=y"
	contents=$(dpkg-deb -c "$headers")
	for f in include/linux/pci-p2pdma.h include/linux/dma-map-ops.h \
		Module.symvers include/generated/autoconf.h; do
		grep -q "/usr/src/linux-headers-$rel/$f\$" <<<"$contents" ||
			die "$headers has no /usr/src/linux-headers-$rel/$f"
	done
	grep -q "pci_alloc_p2pmem" <<<"$(dpkg-deb --fsys-tarfile "$headers" |
		tar -xOf - "./usr/src/linux-headers-$rel/Module.symvers")" ||
		die "$headers: Module.symvers does not export pci_alloc_p2pmem"
	say "checked: $(basename "$image") (kernel $rel, CONFIG_PCI_P2PDMA=y) and $(basename "$headers")"
}

command -v dpkg-buildpackage >/dev/null && command -v dh_testdir >/dev/null ||
	die "dpkg-dev and debhelper are missing (make deps installs them)"

case "$mode" in
quick) obj=$build/obj
	[ -f "$obj/arch/x86/boot/bzImage" ] || die "no test kernel in $obj (make kernel)" ;;
full) obj=$build/obj-deb
	configure_full "$obj" ;;
*) die "unknown mode '$mode' (full or quick)" ;;
esac

rel=$(make -s -C "$tree" O="$obj" kernelversion)
version=$(pkg_version "$rel")
say "bindeb-pkg of $obj as version $version (-j$jobs)"
start=$(date +%s)
log=$build/deb.log
if ! make -C "$tree" O="$obj" CC="$cc" -j"$jobs" \
		KDEB_PKGVERSION="$version" bindeb-pkg >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "bindeb-pkg failed (full log: $log)"
fi
collect "$obj"
say "packages in $out after $(($(date +%s) - start)) s:"
ls -l "$out" | sed 's/^/deb:   /'
check_contents
