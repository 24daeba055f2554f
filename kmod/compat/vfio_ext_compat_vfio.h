/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of the public VFIO driver API
 * (<linux/vfio.h>, <linux/vfio_pci_core.h>).  The private IOMMU-backend
 * interface is in vfio_ext_vfio_private.h.
 */
#ifndef _VFIO_EXT_COMPAT_VFIO_H
#define _VFIO_EXT_COMPAT_VFIO_H

#include <linux/pci.h>
#include <linux/vfio.h>
#include "vfio_ext_compat_version.h"

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0) && IS_ENABLED(CONFIG_IOMMUFD)
/*
 * With IOMMUFD a physical VFIO device must provide the iommufd callbacks
 * (6.2+); detach_ioas joined them in 6.6.  The VFIO core exports them.
 */
#define VFIO_EXT_IOMMUFD_PHYS_OPS					\
	.bind_iommufd	= vfio_iommufd_physical_bind,			\
	.unbind_iommufd	= vfio_iommufd_physical_unbind,			\
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,		\
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
#else
/* 6.1 has no IOMMUFD; Debian builds 6.12 and 7.3 without it. */
#define VFIO_EXT_IOMMUFD_PHYS_OPS
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#include <linux/vfio_pci_core.h>
/*
 * Not in 6.12, both in 7.3: the VFIO core answers
 * VFIO_DEVICE_GET_REGION_INFO itself through get_region_info_caps (EINVAL
 * without it), and vfio_pci_core_match() calls match_token_uuid
 * unconditionally.  vfio-pci sets both to the core's functions.
 */
#define VFIO_EXT_PCI_CORE_OPS						\
	.get_region_info_caps	= vfio_pci_ioctl_get_region_info,	\
	.match_token_uuid	= vfio_pci_core_match_token_uuid,
#else
#define VFIO_EXT_PCI_CORE_OPS
#endif

/**
 * vfio_ext_err_irq_count() - vectors VFIO_DEVICE_GET_IRQ_INFO reports for
 *			      VFIO_PCI_ERR_IRQ_INDEX
 * @pdev: the device
 *
 * Up to 6.12 vfio-pci-core offers the error index to PCIe devices only
 * (and refuses it to others with EINVAL); 7.3 offers it to every device.
 *
 * Return: 0 or 1.
 */
static inline u32 vfio_ext_err_irq_count(struct pci_dev *pdev)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
	return pci_is_pcie(pdev) ? 1 : 0;
#else
	return 1;
#endif
}

#endif /* _VFIO_EXT_COMPAT_VFIO_H */
