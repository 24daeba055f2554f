/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vfio-ext: VFIO extensions for passed-through PCI devices on stock kernels.
 *
 * This header is the whole user ABI of the vfio-ext modules.  Everything a
 * VMM needs beyond <linux/vfio.h> is defined here; nothing else is ABI.
 */
#ifndef _UAPI_LINUX_VFIO_EXT_H
#define _UAPI_LINUX_VFIO_EXT_H

#include <linux/types.h>
#include <linux/vfio.h>

/**
 * VFIO_EXT_API_VERSION - version of the vfio-ext user ABI
 *
 * Incremented when an ioctl, structure or IRQ index is added.  Existing
 * items never change meaning; user space checks for a feature by calling it
 * (an unknown ioctl fails with ENOTTY), the version is informational.
 */
#define VFIO_EXT_API_VERSION	1

/**
 * VFIO_EXT_PCI_DRIVER_NAME - name of the vfio-pci-ext PCI driver
 *
 * The string to write to /sys/bus/pci/devices/<BDF>/driver_override to
 * bind a device to vfio-pci-ext, exactly as "vfio-pci" binds vfio-pci.
 * The driver offers every region, IRQ index, ioctl and device feature of
 * vfio-pci through the same device file descriptor.
 */
#define VFIO_EXT_PCI_DRIVER_NAME	"vfio-pci-ext"

#endif /* _UAPI_LINUX_VFIO_EXT_H */
