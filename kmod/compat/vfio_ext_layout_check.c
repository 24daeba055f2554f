// SPDX-License-Identifier: GPL-2.0-only
/*
 * Build-time proof that kmod/compat/vfio_ext_vfio_private.h matches the
 * kernel's private drivers/vfio/vfio.h.  Built (never linked, never
 * loaded) when VFIOEXT_KSRC names the linux-source tree of the target
 * kernel; every static_assert that fires is a layout mismatch.
 */
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/version.h>

/* Our declarations, renamed so both can live in this file. */
#define vfio_iommu_driver_ops		chk_vfio_iommu_driver_ops
#define vfio_group_type			chk_vfio_group_type
#define VFIO_IOMMU			CHK_VFIO_IOMMU
#define VFIO_EMULATED_IOMMU		CHK_VFIO_EMULATED_IOMMU
#define VFIO_NO_IOMMU			CHK_VFIO_NO_IOMMU
#define vfio_iommu_notify_type		chk_vfio_iommu_notify_type
#define VFIO_IOMMU_CONTAINER_CLOSE	CHK_VFIO_IOMMU_CONTAINER_CLOSE
#define vfio_register_iommu_driver	chk_vfio_register_iommu_driver
#define vfio_unregister_iommu_driver	chk_vfio_unregister_iommu_driver
#include "vfio_ext_vfio_private.h"
#undef vfio_iommu_driver_ops
#undef vfio_group_type
#undef VFIO_IOMMU
#undef VFIO_EMULATED_IOMMU
#undef VFIO_NO_IOMMU
#undef vfio_iommu_notify_type
#undef VFIO_IOMMU_CONTAINER_CLOSE
#undef vfio_register_iommu_driver
#undef vfio_unregister_iommu_driver

/* The kernel's own. */
#include VFIOEXT_VFIO_PRIVATE_H

/* File-scope assertions: evaluated whether or not code uses them. */
#define SAME_MEMBER(m)							\
	static_assert(offsetof(struct vfio_iommu_driver_ops, m) ==	\
		      offsetof(struct chk_vfio_iommu_driver_ops, m) &&	\
		      sizeof_field(struct vfio_iommu_driver_ops, m) ==	\
		      sizeof_field(struct chk_vfio_iommu_driver_ops, m),	\
		      "vfio_iommu_driver_ops." #m " differs from drivers/vfio/vfio.h")

static_assert(sizeof(struct vfio_iommu_driver_ops) ==
	      sizeof(struct chk_vfio_iommu_driver_ops),
	      "vfio_iommu_driver_ops size differs from drivers/vfio/vfio.h");
SAME_MEMBER(name);
SAME_MEMBER(owner);
SAME_MEMBER(open);
SAME_MEMBER(release);
SAME_MEMBER(ioctl);
SAME_MEMBER(attach_group);
SAME_MEMBER(detach_group);
SAME_MEMBER(pin_pages);
SAME_MEMBER(unpin_pages);
SAME_MEMBER(register_device);
SAME_MEMBER(unregister_device);
SAME_MEMBER(dma_rw);
SAME_MEMBER(group_iommu_domain);
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
SAME_MEMBER(notify);
#endif
static_assert((int)VFIO_IOMMU == (int)CHK_VFIO_IOMMU, "VFIO_IOMMU");
static_assert((int)VFIO_EMULATED_IOMMU == (int)CHK_VFIO_EMULATED_IOMMU,
	      "VFIO_EMULATED_IOMMU");
static_assert((int)VFIO_NO_IOMMU == (int)CHK_VFIO_NO_IOMMU, "VFIO_NO_IOMMU");
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static_assert((int)VFIO_IOMMU_CONTAINER_CLOSE ==
	      (int)CHK_VFIO_IOMMU_CONTAINER_CLOSE, "VFIO_IOMMU_CONTAINER_CLOSE");
#endif
