/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of runtime PM.
 */
#ifndef _VFIO_EXT_COMPAT_PM_H
#define _VFIO_EXT_COMPAT_PM_H

#include <linux/pm.h>
#include "vfio_ext_compat_version.h"

/**
 * vfio_ext_rpm_status_name() - the netlink name of a runtime-PM status
 * @status: dev->power.runtime_status
 *
 * 6.1 has RPM_INVALID (a device whose runtime PM was never set up) and
 * the four transition states; 6.12 added RPM_BLOCKED (runtime PM blocked
 * for the rest of a system transition).  Anything a later kernel adds is
 * "unknown" until it is named here.
 *
 * Return: a static string.
 */
static inline const char *vfio_ext_rpm_status_name(enum rpm_status status)
{
	switch (status) {
	case RPM_ACTIVE:	return "active";
	case RPM_RESUMING:	return "resuming";
	case RPM_SUSPENDED:	return "suspended";
	case RPM_SUSPENDING:	return "suspending";
	case RPM_INVALID:	return "unsupported";
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	case RPM_BLOCKED:	return "blocked";
#endif
	default:		return "unknown";
	}
}

#endif /* _VFIO_EXT_COMPAT_PM_H */
