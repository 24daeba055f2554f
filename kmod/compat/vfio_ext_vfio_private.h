/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO core's IOMMU-backend interface, from the private header
 * drivers/vfio/vfio.h, which linux-headers packages do not ship.
 *
 * Declared here once per supported kernel series.  When the build is
 * given linux-source (VFIOEXT_KSRC, set by the top Makefile),
 * vfio_ext_layout_check.c compares these declarations with the real
 * header member by member: any mismatch fails the build.
 */
#ifndef _VFIO_EXT_VFIO_PRIVATE_H
#define _VFIO_EXT_VFIO_PRIVATE_H

#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include "vfio_ext_compat_version.h"

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && !IS_ENABLED(CONFIG_VFIO_CONTAINER)
#error "vfio-pviommu needs CONFIG_VFIO_CONTAINER=y (the legacy container API)"
#endif

/*
 * drivers/vfio/vfio.h of 6.1, 6.12 and 7.3: identical but for the
 * trailing notify() that 6.1 has and 6.3 removed (with its enum).
 */
enum vfio_group_type {
	VFIO_IOMMU,
	VFIO_EMULATED_IOMMU,
	VFIO_NO_IOMMU,
};

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
enum vfio_iommu_notify_type {
	VFIO_IOMMU_CONTAINER_CLOSE = 0,
};
#endif

struct vfio_iommu_driver_ops {
	char		*name;
	struct module	*owner;
	void		*(*open)(unsigned long arg);
	void		(*release)(void *iommu_data);
	long		(*ioctl)(void *iommu_data, unsigned int cmd,
				 unsigned long arg);
	int		(*attach_group)(void *iommu_data,
					struct iommu_group *group,
					enum vfio_group_type);
	void		(*detach_group)(void *iommu_data,
					struct iommu_group *group);
	int		(*pin_pages)(void *iommu_data,
				     struct iommu_group *group,
				     dma_addr_t user_iova,
				     int npage, int prot,
				     struct page **pages);
	void		(*unpin_pages)(void *iommu_data,
				       dma_addr_t user_iova, int npage);
	void		(*register_device)(void *iommu_data,
					   struct vfio_device *vdev);
	void		(*unregister_device)(void *iommu_data,
					     struct vfio_device *vdev);
	int		(*dma_rw)(void *iommu_data, dma_addr_t user_iova,
				  void *data, size_t count, bool write);
	struct iommu_domain *(*group_iommu_domain)(void *iommu_data,
						   struct iommu_group *group);
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	void		(*notify)(void *iommu_data,
				  enum vfio_iommu_notify_type event);
#endif
};

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops);

#endif /* _VFIO_EXT_VFIO_PRIVATE_H */
