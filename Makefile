# SPDX-License-Identifier: GPL-2.0
#
# The harness of this feature tree (not a kbuild Makefile): it composes
# Debian's linux-source-6.12 with our files and series, builds the test
# kernel, and boots it in QEMU.  See README.md.

SHELL := /bin/bash
REPO := $(CURDIR)
BUILD ?= $(REPO)/build
T := $(REPO)/tools/testing/p2pdma
SCENARIOS := $(shell grep -v '^\#' $(T)/scenarios | cut -d'|' -f1)

DEB_PACKAGES := linux-source-6.12 qemu-system-x86 flex bison bc libelf-dev \
	libssl-dev busybox-static cpio sparse coccinelle clang-format ccache \
	python3 python3-sphinx gcc make patch libc6-dev dwarves rsync kmod \
	dpkg-dev debhelper xz-utils linux-config-6.12

.PHONY: all help deps compose kernel initramfs test run shell check \
	format-check users docs bench deb patches clean distclean \
	$(addprefix scenario-,$(SCENARIOS))

all: help

help:
	@echo "make run     build if needed, boot topology (a), show P2P working"
	@echo "make test    build, run KUnit and every QEMU scenario, summarise"
	@echo "make shell   boot topology (a) with an interactive shell"
	@echo "make check   checkpatch, sparse, coccinelle, kernel-doc, clang-format, W=1,"
	@echo "            the series: git am, and a build after each patch"
	@echo "make format-check  clang-format on our C files only (no kernel build)"
	@echo "make users   compile the in-tree users of the P2PDMA API"
	@echo "make bench   ours against stock 6.12 side by side (build/bench/results.md)"
	@echo "make docs    build the driver-api/pci book, fail on P2PDMA doc warnings"
	@echo "make deb     Debian packages of this kernel with Debian's config (build/deb)"
	@echo "make patches the feature as a git am series with a cover letter (build/patches)"

# Install what is missing, quietly when nothing is.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "setup: installing $$missing"; \
		[ "$$(id -u)" = 0 ] || { echo "setup: run as root to install packages" >&2; exit 1; }; \
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null || \
		{ echo "setup: apt-get failed; check the network and Debian mirrors" >&2; exit 1; }; \
	fi

compose: deps
	@mkdir -p $(BUILD)
	@$(T)/compose.sh $(REPO) $(BUILD)

kernel: compose
	@$(T)/build-kernel.sh $(REPO) $(BUILD)

initramfs: kernel
	@$(T)/mkinitramfs.sh $(REPO) $(BUILD)

$(addprefix scenario-,$(SCENARIOS)): scenario-%: initramfs
	@$(T)/run-scenario.sh $(REPO) $(BUILD) $*
	@$(T)/tap.py $(T)/scenarios $(BUILD)/logs $*

# The whole feature, our files included, as a series against the base.
patches: compose
	@$(T)/series.sh $(REPO) $(BUILD) export

users: compose
	@$(T)/build-users.sh $(REPO) $(BUILD)

# Static checks of every file and diff we ship (see check.sh); `make test`
# runs them first.
# The initramfs boots each step of the series (check.sh steps).
check: initramfs
	@$(T)/check.sh $(REPO) $(BUILD)
	@$(T)/docs.sh $(REPO) $(BUILD)

format-check:
	@mkdir -p $(BUILD)
	@$(T)/check.sh $(REPO) $(BUILD) format

docs: compose
	@$(T)/docs.sh $(REPO) $(BUILD)

# Every check but steps, whose ~25 minutes of kernel builds make check pays.
TEST_CHECKS := checkpatch sparse coccinelle kernel-doc abi format w1 tiny series

test: initramfs
	@echo "check: steps (a build after every patch of the series) is run by make check, not here"
	@$(T)/check.sh $(REPO) $(BUILD) $(TEST_CHECKS)
	@$(T)/docs.sh $(REPO) $(BUILD)
	@$(T)/build-users.sh $(REPO) $(BUILD)
	@start=$$(date +%s); \
	for s in $(SCENARIOS); do \
		$(T)/run-scenario.sh $(REPO) $(BUILD) $$s || exit 1; \
	done; \
	echo "test: all scenarios ran in $$(( $$(date +%s) - start )) s"
	@$(T)/deb.sh $(REPO) $(BUILD) quick
	@echo "==== summary ===="
	@$(T)/tap.py $(T)/scenarios $(BUILD)/logs

run: initramfs
	@$(T)/run-demo.sh $(REPO) $(BUILD)

shell: initramfs
	@$(T)/run-scenario.sh $(REPO) $(BUILD) shell a

# Builds its own pair of kernels (ours and the unmodified base) in
# build/obj-bench-*, so it needs deps but not the test kernel.
bench: deps
	@$(T)/bench.sh $(REPO) $(BUILD)

# Installable linux-image and linux-headers packages built with Debian's
# own configuration (deb.sh); `make test` packages the test kernel instead.
deb: compose
	@$(T)/deb.sh $(REPO) $(BUILD) full

clean:
	rm -rf $(BUILD)/obj $(BUILD)/logs $(BUILD)/initramfs*

distclean:
	rm -rf $(BUILD)
