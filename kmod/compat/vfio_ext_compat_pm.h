/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of runtime PM.
 */
#ifndef _VFIO_EXT_COMPAT_PM_H
#define _VFIO_EXT_COMPAT_PM_H

#include <linux/pm.h>
#include <linux/vfio_ext.h>
#include "vfio_ext_compat_version.h"

/**
 * vfio_ext_rpm_status_attr() - the netlink value of a runtime-PM status
 * @status: dev->power.runtime_status
 *
 * 6.1 has RPM_INVALID (a device whose runtime PM was never set up) and
 * the four transition states; 6.12 added RPM_BLOCKED (runtime PM blocked
 * for the rest of a system transition).  Anything a later kernel adds is
 * VFIO_EXT_RUNTIME_PM_UNKNOWN until it is named here.
 *
 * Return: enum vfio_ext_runtime_pm.
 */
static inline u32 vfio_ext_rpm_status_attr(enum rpm_status status)
{
	switch (status) {
	case RPM_ACTIVE:	return VFIO_EXT_RUNTIME_PM_ACTIVE;
	case RPM_RESUMING:	return VFIO_EXT_RUNTIME_PM_RESUMING;
	case RPM_SUSPENDED:	return VFIO_EXT_RUNTIME_PM_SUSPENDED;
	case RPM_SUSPENDING:	return VFIO_EXT_RUNTIME_PM_SUSPENDING;
	case RPM_INVALID:	return VFIO_EXT_RUNTIME_PM_UNSUPPORTED;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	case RPM_BLOCKED:	return VFIO_EXT_RUNTIME_PM_BLOCKED;
#endif
	default:		return VFIO_EXT_RUNTIME_PM_UNKNOWN;
	}
}

#endif /* _VFIO_EXT_COMPAT_PM_H */
