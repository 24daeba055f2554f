// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: the regions of a VFIO device (BARs, config space): their
 * information, reads and writes, mmap().
 * See vfioext.h for the contract of each function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfioext.h"
#include "internal.h"

int vfioext_region_get_info(struct vfioext_device *d, uint32_t index,
			    struct vfio_region_info *info)
{
	if (!d || !info)
		return -EINVAL;
	/* The first version had a reserved word where cap_offset is. */
	return vfioext_vfio_info(d->fd, VFIO_DEVICE_GET_REGION_INFO, info,
				 sizeof(*info), sizeof(*info), &index);
}

/* The fixed part of region @index's information, for the checks below. */
static int region_info(struct vfioext_device *d, uint32_t index,
		       struct vfio_region_info *ri)
{
	ri->argsz = sizeof(*ri);
	return vfioext_region_get_info(d, index, ri);
}

static int region_check(struct vfioext_device *d, uint32_t index,
			uint64_t off, size_t len, uint32_t need,
			uint64_t *base)
{
	struct vfio_region_info ri;
	int ret;

	ret = region_info(d, index, &ri);
	if (ret)
		return ret;
	if (!(ri.flags & need))
		return -EACCES;
	if (off > ri.size || len > ri.size - off)
		return -EINVAL;
	*base = ri.offset;
	return 0;
}

/* Read or write @len bytes at @off of region @index, all or nothing. */
static int region_rw(struct vfioext_device *d, uint32_t index, uint64_t off,
		     void *rbuf, const void *wbuf, size_t len)
{
	uint64_t base;
	ssize_t n;
	int ret;

	if (!rbuf && !wbuf)
		return -EINVAL;
	ret = region_check(d, index, off, len,
			   rbuf ? VFIO_REGION_INFO_FLAG_READ :
				  VFIO_REGION_INFO_FLAG_WRITE, &base);
	if (ret)
		return ret;
	if (rbuf)
		n = pread(d->fd, rbuf, len, (off_t)(base + off));
	else
		n = pwrite(d->fd, wbuf, len, (off_t)(base + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vfioext_region_read(struct vfioext_device *d, uint32_t index,
			uint64_t off, void *buf, size_t len)
{
	return buf ? region_rw(d, index, off, buf, NULL, len) : -EINVAL;
}

int vfioext_region_write(struct vfioext_device *d, uint32_t index,
			 uint64_t off, const void *buf, size_t len)
{
	return buf ? region_rw(d, index, off, NULL, buf, len) : -EINVAL;
}

int vfioext_region_mmap(struct vfioext_device *d, uint32_t index,
			void **addr, size_t *len)
{
	struct vfio_region_info ri;
	void *p;
	int ret;

	if (!addr || !len)
		return -EINVAL;
	ret = region_info(d, index, &ri);
	if (ret)
		return ret;
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || !ri.size ||
	    ri.size > SIZE_MAX)
		return -EINVAL;
	p = mmap(NULL, (size_t)ri.size,
		 ((ri.flags & VFIO_REGION_INFO_FLAG_READ) ? PROT_READ : 0) |
		 ((ri.flags & VFIO_REGION_INFO_FLAG_WRITE) ? PROT_WRITE : 0),
		 MAP_SHARED, d->fd, (off_t)ri.offset);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	*len = (size_t)ri.size;
	return 0;
}
