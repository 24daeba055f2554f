/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences for the vfio-ext modules, and nothing else.
 *
 * Supported series: 6.1 (Debian 12), built and tested in CI; 6.12
 * (Debian 13) is the next lane and not yet built here.  Code outside
 * kmod/compat/ never tests LINUX_VERSION_CODE; it uses the helpers below.
 */
#ifndef _VFIO_EXT_COMPAT_H
#define _VFIO_EXT_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "vfio-ext supports Linux 6.1 and later"
#endif

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
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && IS_ENABLED(CONFIG_IOMMUFD)
#define VFIO_EXT_IOMMUFD_PHYS_OPS					\
	.bind_iommufd	= vfio_iommufd_physical_bind,			\
	.unbind_iommufd	= vfio_iommufd_physical_unbind,			\
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
#else
#define VFIO_EXT_IOMMUFD_PHYS_OPS
#endif

#include <linux/eventfd.h>

/**
 * vfio_ext_eventfd_add() - add @n to an eventfd counter
 * @ctx: the eventfd
 * @n: the amount (ACPI Notify values: at most 255)
 *
 * Before 6.8 eventfd_signal() takes the amount: one addition, one wakeup.
 * From 6.8 it always adds 1, so @n is added one at a time: the counter
 * ends up the same (a reader sees the sum either way), readers may be
 * woken up to @n times.
 */
static inline void vfio_ext_eventfd_add(struct eventfd_ctx *ctx, u32 n)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx, n);
#else
	while (n--)
		eventfd_signal(ctx);
#endif
}

#include "vfio_ext_compat_iommu.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#include <linux/irqdomain.h>

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

#include <linux/kvm_host.h>
#include <linux/vfio.h>

/**
 * vfio_ext_vdev_kvm_pid() - KVM's identity of the VM using @vdev, or 0
 * @vdev: the device, from its open_device callback (the only time the
 *	  VFIO core guarantees vdev->kvm is stable)
 *
 * KVM names a VM by the pid of the process that created it (its
 * "kvm-PID" stats id); the kvm pointer itself is never kept.
 */
static inline pid_t vfio_ext_vdev_kvm_pid(struct vfio_device *vdev)
{
	return vdev->kvm ? vdev->kvm->userspace_pid : 0;
}

#include <net/genetlink.h>

/**
 * vfio_ext_genl_dump_attrs() - the parsed attributes of a dump request
 * @cb: the dump's callback state
 *
 * struct genl_dumpit_info (6.1) became struct genl_info (6.6).
 */
static inline struct nlattr **
vfio_ext_genl_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
	return genl_dumpit_info(cb)->attrs;
#else
	return genl_info_dump(cb)->attrs;
#endif
}

#include <linux/fs.h>

/**
 * vfio_ext_file_tryget() - take a reference on @file unless it is dying
 * @file: a file whose memory is known to be live (its release has not
 *	  finished), though its count may already have reached zero
 *
 * get_file_rcu() took the file until 6.7, a pointer to an RCU-protected
 * file pointer from then; 6.13 replaced f_count with file_ref_t.
 *
 * Return: true if a reference was taken.
 */
static inline bool vfio_ext_file_tryget(struct file *file)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	return get_file_rcu(file);
#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
	return atomic_long_inc_not_zero(&file->f_count);
#else
	return file_ref_get(&file->f_ref);
#endif
}

#endif /* _VFIO_EXT_COMPAT_H */
