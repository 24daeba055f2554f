/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * get_unaligned_le*() and friends: <asm/unaligned.h> moved to
 * <linux/unaligned.h> in 6.12.
 */
#ifndef _VFIO_EXT_COMPAT_UNALIGNED_H
#define _VFIO_EXT_COMPAT_UNALIGNED_H

#include "vfio_ext_compat_version.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#include <asm/unaligned.h>
#else
#include <linux/unaligned.h>
#endif

#endif /* _VFIO_EXT_COMPAT_UNALIGNED_H */
