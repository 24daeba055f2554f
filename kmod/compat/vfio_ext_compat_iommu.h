/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of the IOMMU API, for vfio_ext_compat.h and
 * for pure-logic code that KUnit also builds on UML (where the rest of
 * vfio_ext_compat.h, KVM and netlink, does not compile).
 */
#ifndef _VFIO_EXT_COMPAT_IOMMU_H
#define _VFIO_EXT_COMPAT_IOMMU_H

#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/irqdomain.h>
#include "vfio_ext_compat_version.h"

/**
 * vfio_ext_iommu_map() - iommu_map() (it takes a gfp_t from 6.3)
 * @domain: the domain
 * @iova: first I/O virtual address
 * @paddr: first physical address
 * @size: bytes to map
 * @prot: IOMMU_READ, IOMMU_WRITE, ...
 *
 * Return: 0 or -errno, as iommu_map().
 */
static inline int vfio_ext_iommu_map(struct iommu_domain *domain,
				     unsigned long iova, phys_addr_t paddr,
				     size_t size, int prot)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return iommu_map(domain, iova, paddr, size, prot);
#else
	return iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL_ACCOUNT);
#endif
}

/**
 * vfio_ext_iommu_domain_alloc() - a paging domain for @dev's IOMMU
 * @dev: a device behind the IOMMU
 *
 * Return: the domain or an ERR_PTR (6.1 only says NULL: -ENOMEM).
 */
static inline struct iommu_domain *vfio_ext_iommu_domain_alloc(struct device *dev)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
	struct iommu_domain *d = iommu_domain_alloc(dev->bus);

	return d ? d : ERR_PTR(-ENOMEM);
#else
	return iommu_paging_domain_alloc(dev);
#endif
}

/* The rest needs the IOMMU API itself, which UML (KUnit) lacks. */
#if IS_ENABLED(CONFIG_IOMMU_API)
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline int vfio_ext_dev_intr_remap(struct device *dev, void *data)
{
	return device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP);
}
#endif

/**
 * vfio_ext_group_msi_isolated() - can the group's devices not forge MSIs?
 * @group: the IOMMU group
 *
 * The test type1 applies before it lets a user DMA: interrupt remapping
 * (or an MSI controller that isolates).  6.3 folded it into the IOMMU core.
 *
 * Return: true if MSIs of the group are isolated.
 */
static inline bool vfio_ext_group_msi_isolated(struct iommu_group *group)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return irq_domain_check_msi_remap() ||
	       iommu_group_for_each_dev(group, NULL, vfio_ext_dev_intr_remap);
#else
	return iommu_group_has_isolated_msi(group);
#endif
}

/* Does @gather hold a range not yet flushed? */
static inline bool vfio_ext_gather_holds(const struct iommu_iotlb_gather *gather)
{
	return gather->end;
}

/* Does [@iova, @iova + @size) not meet what @gather holds? */
static inline bool vfio_ext_gather_disjoint(struct iommu_iotlb_gather *gather,
					    u64 iova, u64 size)
{
	return iommu_iotlb_gather_is_disjoint(gather, iova, size);
}
#else
/* Without the IOMMU API a gather is an empty struct: it never holds. */
static inline bool vfio_ext_gather_holds(const struct iommu_iotlb_gather *gather)
{
	return false;
}

static inline bool vfio_ext_gather_disjoint(struct iommu_iotlb_gather *gather,
					    u64 iova, u64 size)
{
	return false;
}
#endif /* CONFIG_IOMMU_API */

#endif /* _VFIO_EXT_COMPAT_IOMMU_H */
