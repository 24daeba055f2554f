# SPDX-License-Identifier: GPL-2.0-only
#
# DKMS entry point (dkms.conf: make -f dkms.mk KDIR=...): says which package
# to install when the kernel's headers or the compiler the kernel was built
# with are missing, instead of a compiler error, then builds with Kbuild
# (whose series check stops any kernel outside the supported table).

KDIR ?= /lib/modules/$(KERNELRELEASE)/build
KCC := $(firstword $(shell sed -n 's/^CONFIG_CC_VERSION_TEXT=//p' \
	$(KDIR)/include/config/auto.conf 2>/dev/null | tr -d '"'))

modules clean: check
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

check:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "vfio-ext: no kernel headers at $(KDIR): install linux-headers-$(KERNELRELEASE)" >&2; \
		exit 1; \
	fi
	@if [ -n "$(KCC)" ] && ! command -v "$(KCC)" >/dev/null; then \
		echo "vfio-ext: $(KCC), the compiler of Linux $(KERNELRELEASE), is missing: install $(patsubst x86_64-linux-gnu-%,%,$(KCC))" >&2; \
		exit 1; \
	fi

.DEFAULT_GOAL := modules
.PHONY: modules clean check
