# SPDX-License-Identifier: GPL-2.0-only
#
# vfio-ext top-level build.
#
#   make               modules (against KDIR: TARGET=6.1|6.12|7.3 or KVER=
#                      pick a kernel of tools/kernels), library, tools,
#                      selftests
#   make check         every test suite (lint, host unit, KUnit on UML, VM)
#   make demo          boot the bench and run the DMA demo
#   make bench         pviommu vs type1 vs the floor, every kernel (TARGET=: one) into build/bench.json
#   make lint          checkpatch --strict, sparse, kernel-doc, netlink spec
#   make install       modules, library, headers, tools (DESTDIR honoured)
#   make deb           the Debian packages (debian/) into build/deb, lintian
#
# KDIR defaults to the Debian kernel headers chosen by tools/setup-deps,
# never to the running kernel: the build host is not the target.

KDIR ?= $(shell tools/env.sh KDIR)
KVER ?= $(shell tools/env.sh KVER)
# The target's compiler userland (tools/kernels): empty for the host, else
# the Debian root whose gcc built that kernel; KDIR is then under it.
KROOT ?= $(shell tools/env.sh KROOT)
# linux-source of the target, when present: proves the private VFIO
# declarations in kmod/compat/ against drivers/vfio/vfio.h at build time.
KSRC ?= $(shell tools/env.sh KSRC)
VFIOEXT_KSRC ?= $(if $(wildcard $(KSRC)/drivers/vfio/vfio.h),$(KSRC))
PREFIX ?= /usr/local
DESTDIR ?=
C ?= 0

all: modules lib tools selftests

modules:
	tools/userland "$(KROOT)" $(MAKE) -C $(patsubst $(KROOT)%,%,$(KDIR)) \
		M=$(CURDIR) C=$(C) VFIOEXT_KSRC=$(VFIOEXT_KSRC) modules

lib:
	$(MAKE) -C lib

tools: lib
	$(MAKE) -C tools

selftests: lib
	$(MAKE) -C selftests

check: all
	tools/run-tests

demo: all
	tools/demo/run

bench: all
	tools/bench/run

lint:
	tools/lint

deb:
	tools/pkg-build

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates/vfio-ext modules_install
	# kbuild skips depmod for external modules (no System.map in KDIR).
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi
	$(MAKE) -C lib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean || true
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	rm -rf build

.PHONY: all modules lib tools selftests check demo bench lint deb install clean
