#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure (from our fragments) and build the test kernel.
#
#   build-kernel.sh <repo> <build-dir> [make targets...]
#
# The .config is regenerated only when a fragment changes, so an edit to one C
# file rebuilds one object.
set -euo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
tree=$build/linux
obj=$build/obj
frag_dir=$repo/tools/testing/p2pdma/config
frags="$frag_dir/base.config $frag_dir/checkers.config $frag_dir/kunit.config"
jobs=$(nproc)
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

die() { echo "build: error: $*" >&2; exit 1; }

# shellcheck source=tools/testing/p2pdma/kconfig.sh
. "$repo/tools/testing/p2pdma/kconfig.sh"
# shellcheck disable=SC2086
p2p_configure build "$tree" "$obj" "$cc" $frags ||
	die "the configuration is incomplete; fix the fragments in $frag_dir"

avail=$(df -Pk "$build" | awk 'NR==2 {print $4}')
[ "$avail" -gt 4000000 ] || die "less than 4 GiB free under $build: free some disk space"

targets=${*:-bzImage modules}
echo "build: make $targets (-j$jobs; a build from scratch takes ~10 min on 2 cores)"
start=$(date +%s)
if ! make -s -C "$tree" O="$obj" CC="$cc" -k -j"$jobs" $targets 2>"$build/build.err"; then
	grep -E 'error|Error' "$build/build.err" | head -n 40 >&2
	die "kernel build failed (full log: $build/build.err)"
fi
# Warnings in the files we own are errors.
if grep -E '(^|/)(drivers/pci/p2pdma|lib/sg_bus_addr|include/linux/pci-p2pdma|include/linux/dma-map-ops|include/linux/scatterlist|kernel/dma/direct|drivers/iommu/dma-iommu)[^:]*:[0-9]+:[0-9]+: warning' \
		"$build/build.err"; then
	die "compiler warnings in our files (see above)"
fi
echo "build: done in $(($(date +%s) - start)) s"
