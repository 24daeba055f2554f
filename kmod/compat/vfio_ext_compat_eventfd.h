/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of eventfd signalling.
 */
#ifndef _VFIO_EXT_COMPAT_EVENTFD_H
#define _VFIO_EXT_COMPAT_EVENTFD_H

#include <linux/eventfd.h>
#include "vfio_ext_compat_version.h"

/**
 * vfio_ext_eventfd_signal() - signal @ctx once (counter + 1, one wakeup)
 * @ctx: the eventfd
 *
 * eventfd_signal() took the amount to add until 6.8.
 */
static inline void vfio_ext_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx, 1);
#else
	eventfd_signal(ctx);
#endif
}

/**
 * vfio_ext_eventfd_add_value() - add @value to @ctx's counter in one step
 *				  where the kernel can, else signal once
 * @ctx: the eventfd
 * @value: the amount
 *
 * Before 6.8 eventfd_signal() adds any amount under the eventfd's lock,
 * so a reader sees all of it or none.  From 6.8 nothing exported adds
 * more than 1 (eventfd_signal() adds 1, and the file has no write_iter
 * for kernel_write()): @value separate signals would let a concurrent
 * reader see part of it, so the counter counts the call instead.  What
 * that means for a caller's users is the caller's to document.
 */
static inline void vfio_ext_eventfd_add_value(struct eventfd_ctx *ctx,
					      u32 value)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx, value);
#else
	eventfd_signal(ctx);
#endif
}

#endif /* _VFIO_EXT_COMPAT_EVENTFD_H */
