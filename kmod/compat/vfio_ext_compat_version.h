/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel series vfio-ext supports, and nothing else.
 *
 * Every kmod/compat/ header includes this one.  Kbuild refuses an
 * unsupported series before any file is compiled; this is the same check
 * for a build that bypasses the top Kbuild (a single file, an IDE).  The
 * series table is Documentation/admin-guide.rst "Supported kernels";
 * adding a series means adding it here, in Kbuild and in the table.
 */
#ifndef _VFIO_EXT_COMPAT_VERSION_H
#define _VFIO_EXT_COMPAT_VERSION_H

#include <linux/version.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define VFIO_EXT_SUPPORTED_SERIES 1
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
#define VFIO_EXT_SUPPORTED_SERIES 1
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(7, 3, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(7, 4, 0)
#define VFIO_EXT_SUPPORTED_SERIES 1
#else
#error "vfio-ext supports Linux 6.1, 6.12 and 7.3 (Documentation/admin-guide.rst)"
#endif

#endif /* _VFIO_EXT_COMPAT_VERSION_H */
