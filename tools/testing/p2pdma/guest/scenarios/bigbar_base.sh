# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Topology (e) booted with pci_p2pdma.base_pages=1: the same checks as
# bigbar.sh on a CMB with a struct page per base page, for comparison.
. /tests/bigbar.sh
