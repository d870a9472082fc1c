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

mkdir -p "$obj"
sum=$(cat $frags | sha256sum | cut -c1-16)
if [ "$(cat "$obj/.p2p-config" 2>/dev/null)" != "$sum" ]; then
	make -s -C "$tree" O="$obj" CC="$cc" allnoconfig >/dev/null
	(cd "$tree" && KCONFIG_CONFIG="$obj/.config" \
		scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" $frags >/dev/null)
	make -s -C "$tree" O="$obj" CC="$cc" olddefconfig >/dev/null
	for opt in CONFIG_PCI_P2PDMA=y CONFIG_INFINIBAND=y CONFIG_DRM_AMDGPU=m \
		   CONFIG_DRM_XE=m CONFIG_DRM_ACCEL_HABANALABS=m; do
		grep -qx "$opt" "$obj/.config" ||
			{ echo "users: $opt did not survive olddefconfig" >&2; exit 1; }
	done
	echo "$sum" >"$obj/.p2p-config"
fi
echo "users: compiling $(echo $users | wc -w) objects that use the P2PDMA API"
if ! make -s -C "$tree" O="$obj" CC="$cc" -j"$(nproc)" $users 2>"$build/users.err"; then
	grep -E 'error' "$build/users.err" | head -n 30 >&2
	echo "users: an in-tree user does not build against our header (log: $build/users.err)" >&2
	exit 1
fi
echo "users: all build"
