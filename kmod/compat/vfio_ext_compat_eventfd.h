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

/*
 * VFIO_EXT_EVENTFD_ADDS_VALUE - whether the kernel can add an arbitrary
 * amount to an eventfd counter in one step.  Before 6.8 eventfd_signal()
 * does; from 6.8 nothing exported does (eventfd_signal() adds 1 and the
 * file has no write_iter for kernel_write()), and n separate signals let
 * a concurrent reader see part of the sum.  Callers that forward a value
 * decide what the counter means where this is 0.
 */
#define VFIO_EXT_EVENTFD_ADDS_VALUE					\
	(LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0))

/**
 * vfio_ext_eventfd_add() - add @n to @ctx's counter in one step
 * @ctx: the eventfd
 * @n: the amount
 *
 * Only where VFIO_EXT_EVENTFD_ADDS_VALUE; elsewhere it signals once, and
 * callers must not rely on it (they test the macro first).
 */
static inline void vfio_ext_eventfd_add(struct eventfd_ctx *ctx, u32 n)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx, n);
#else
	eventfd_signal(ctx);
#endif
}

#endif /* _VFIO_EXT_COMPAT_EVENTFD_H */
