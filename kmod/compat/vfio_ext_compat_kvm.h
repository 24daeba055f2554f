/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What vfio-ext reads of KVM.  Kept apart so that only the file that
 * names a VM pulls in <linux/kvm_host.h>.
 */
#ifndef _VFIO_EXT_COMPAT_KVM_H
#define _VFIO_EXT_COMPAT_KVM_H

#include <linux/kvm_host.h>
#include <linux/vfio.h>
#include "vfio_ext_compat_version.h"

/**
 * vfio_ext_vdev_kvm_pid() - KVM's identity of the VM using @vdev, or 0
 * @vdev: the device, from its open_device callback (the only time the
 *	  VFIO core guarantees vdev->kvm is stable)
 *
 * KVM names a VM by the pid of the process that created it (its
 * "kvm-PID" stats id); the kvm pointer itself is never kept.  Unchanged
 * from 6.1 to 7.3.
 */
static inline pid_t vfio_ext_vdev_kvm_pid(struct vfio_device *vdev)
{
	return vdev->kvm ? vdev->kvm->userspace_pid : 0;
}

#endif /* _VFIO_EXT_COMPAT_KVM_H */
