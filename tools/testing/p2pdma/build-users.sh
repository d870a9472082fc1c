#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Compile every in-tree user of the P2PDMA API against our header, in the
# composed tree, without building (or booting) the rest of that kernel.
#
#   build-users.sh <repo> <build-dir>
set -euo pipefail

repo=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
tree=$build/linux
obj=$build/obj-users
frags="$repo/tools/testing/p2pdma/config/base.config $repo/tools/testing/p2pdma/config/users.config"
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

users="drivers/nvme/host/pci.o drivers/nvme/host/core.o
	drivers/nvme/target/core.o drivers/nvme/target/configfs.o
	drivers/nvme/target/io-cmd-bdev.o drivers/infiniband/core/rw.o
	block/bio.o block/blk-map.o block/bio-integrity.o mm/gup.o
	lib/iov_iter.o fs/netfs/iterator.o kernel/dma/direct.o
	kernel/dma/mapping.o drivers/iommu/dma-iommu.o
	drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.o
	drivers/gpu/drm/amd/amdgpu/amdgpu_device.o
	drivers/gpu/drm/xe/xe_dma_buf.o
	drivers/accel/habanalabs/common/memory.o"

# shellcheck source=tools/testing/p2pdma/kconfig.sh
. "$repo/tools/testing/p2pdma/kconfig.sh"
# shellcheck disable=SC2086
p2p_configure users "$tree" "$obj" "$cc" $frags || exit 1
echo "users: compiling $(echo $users | wc -w) objects that use the P2PDMA API"
if ! make -s -C "$tree" O="$obj" CC="$cc" -j"$(nproc)" $users 2>"$build/users.err"; then
	grep -E 'error' "$build/users.err" | head -n 30 >&2
	echo "users: an in-tree user does not build against our header (log: $build/users.err)" >&2
	exit 1
fi
echo "users: all build"
