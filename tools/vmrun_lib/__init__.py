# SPDX-License-Identifier: GPL-2.0-only
"""The VM test runner behind tools/vmrun, one module per responsibility
(as tools/testing/kunit/ splits kunit.py), so that each part can be read,
changed and tested without the others.  Python 3 standard library only.

  vmrun_common     the repository's path, the result-channel marker,
                   log() and die()
  vmrun_kernel     the target kernel: tools/env.sh, its module tree and
                   dependencies, our kmod/ modules, the cached PVH vmlinux
  vmrun_initramfs  the guest root: busybox, modules, tests, --file items
                   and their shared libraries, packed as a newc cpio.gz
  vmrun_machine    the QEMU machine: topology, command line, KVM probe,
                   IOMMU, ACPI tables, QMP host requests
  vmrun_results    the guest's output: TAP counting, markers, the kernel
                   error scan, the summary, --results JSON, --scan-log
  vmrun_guest      one boot: the bench lock, the QEMU child, the live
                   console and result streams, the early-report retry
  vmrun_selftest   --self-test on built-in samples

Dependencies point one way: common <- kernel, machine, results <-
initramfs <- guest; vmrun_results never touches QEMU (a run hands it the
host-request handler), so --scan-log and --self-test need no machine.
"""
