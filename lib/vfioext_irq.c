// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: the interrupts of a VFIO device: their information and
 * routing them to eventfds.
 * See vfioext.h for the contract of each function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfioext.h"
#include "internal.h"

int vfioext_irq_get_info(struct vfioext_device *d, uint32_t index,
			 struct vfio_irq_info *info)
{
	if (!d || !info)
		return -EINVAL;
	/* No capabilities: the fixed part is all there is. */
	return vfioext_vfio_info(d->fd, VFIO_DEVICE_GET_IRQ_INFO, info,
				 sizeof(*info), sizeof(*info), &index);
}

int vfioext_irq_set_eventfds(struct vfioext_device *d, uint32_t index,
			     uint32_t start, uint32_t count, const int *fds)
{
	struct vfio_irq_set *set;
	size_t sz;
	int ret;

	if (!d || (count && !fds) || count > 2048)
		return -EINVAL;
	sz = sizeof(*set) + (size_t)count * sizeof(int32_t);
	set = calloc(1, sz);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)sz;
	set->index = index;
	set->start = start;
	set->count = count;
	set->flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		     (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	if (count)
		memcpy(set->data, fds, (size_t)count * sizeof(int32_t));
	ret = ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
	free(set);
	return ret;
}
