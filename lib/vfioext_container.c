// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: containers (/dev/vfio/vfio), their IOMMU backend and its
 * information, and DMA mappings.  See vfioext.h for the contract of each
 * function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfioext.h"
#include "internal.h"

int vfioext_container_open(struct vfioext_container **out)
{
	int fd, ret;

	if (!out)
		return -EINVAL;
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, VFIO_GET_API_VERSION);
	if (ret != VFIO_API_VERSION) {
		/* A failed ioctl keeps its errno; another version is -EPROTO. */
		ret = ret < 0 ? -errno : -EPROTO;
		close(fd);
		return ret;
	}
	*out = vfioext_fd_object(fd, sizeof(struct vfioext_container));
	return *out ? 0 : -ENOMEM;
}

void vfioext_container_close(struct vfioext_container *c)
{
	vfioext_fd_object_close(c ? &c->fd : NULL);
}

int vfioext_container_fd(const struct vfioext_container *c)
{
	return c ? c->fd : -EINVAL;
}

int vfioext_container_set_iommu(struct vfioext_container *c,
				unsigned long type)
{
	int ret;

	if (!c)
		return -EINVAL;
	ret = ioctl(c->fd, VFIO_CHECK_EXTENSION, type);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ENODEV;
	return ioctl(c->fd, VFIO_SET_IOMMU, type) ? -errno : 0;
}

void vfioext_iommu_info_free(struct vfioext_iommu_info *info)
{
	if (!info)
		return;
	free(info->ranges);
	free(info);
}

/* The IOVA ranges capability of @ti (@argsz bytes) into @info. */
static int iova_ranges(const struct vfio_iommu_type1_info *ti, uint32_t argsz,
		       struct vfioext_iommu_info *info)
{
	const struct vfio_iommu_type1_info_cap_iova_range *rng;
	const size_t nr_off =
		offsetof(struct vfio_iommu_type1_info_cap_iova_range, nr_iovas);
	const struct vfio_info_cap_header *hdr;
	struct vfio_iova_range r;
	const char *base;
	uint32_t i, n;
	size_t off;

	hdr = vfioext_cap_find(ti, argsz, ti->cap_offset,
			       VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			       sizeof(*rng));
	if (!hdr)
		return 0;
	base = (const char *)hdr;
	off = (size_t)(base - (const char *)ti);
	/* Possibly misaligned (see vfioext_cap_find()): memcpy. */
	memcpy(&n, base + nr_off, sizeof(n));
	/* The ranges themselves must fit in the buffer too. */
	if (n > (argsz - off - sizeof(*rng)) / sizeof(r))
		return -EIO;
	if (!n)
		return 0;
	/* Every range is returned: the array has room for all of them. */
	info->ranges = calloc(n, sizeof(*info->ranges));
	if (!info->ranges)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memcpy(&r, base + sizeof(*rng) + i * sizeof(r), sizeof(r));
		info->ranges[i].start = r.start;
		info->ranges[i].end = r.end;
	}
	info->nr_ranges = n;
	return 0;
}

int vfioext_iommu_get_info(struct vfioext_container *c,
			   struct vfioext_iommu_info **out)
{
	const struct vfio_iommu_type1_info_dma_avail *avail;
	const struct vfio_info_cap_header *hdr;
	struct vfio_iommu_type1_info *ti;
	struct vfioext_iommu_info *info;
	uint32_t argsz = sizeof(*ti);
	int ret = 0;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!c)
		return -EINVAL;
	info = calloc(1, sizeof(*info));
	if (!info)
		return -ENOMEM;
	info->dma_avail = UINT32_MAX;

	/* Ask once for the size, again with room for the capabilities. */
	for (;;) {
		ti = calloc(1, argsz);
		if (!ti) {
			ret = -ENOMEM;
			goto out;
		}
		ti->argsz = argsz;
		if (ioctl(c->fd, VFIO_IOMMU_GET_INFO, ti)) {
			ret = -errno;
			goto out;
		}
		if (ti->argsz <= argsz)
			break;
		if (ti->argsz > (1u << 20)) {
			ret = -E2BIG;
			goto out;
		}
		argsz = ti->argsz;
		free(ti);
	}

	if (ti->flags & VFIO_IOMMU_INFO_PGSIZES)
		info->pgsizes = ti->iova_pgsizes;
	if (!(ti->flags & VFIO_IOMMU_INFO_CAPS))
		goto out;
	ret = iova_ranges(ti, argsz, info);
	if (ret)
		goto out;
	hdr = vfioext_cap_find(ti, argsz, ti->cap_offset,
			       VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, sizeof(*avail));
	if (hdr)
		memcpy(&info->dma_avail, (const char *)hdr +
		       offsetof(struct vfio_iommu_type1_info_dma_avail, avail),
		       sizeof(info->dma_avail));
out:
	free(ti);
	if (ret)
		vfioext_iommu_info_free(info);
	else
		*out = info;
	return ret;
}

uint64_t vfioext_iommu_info_pgsizes(const struct vfioext_iommu_info *info)
{
	return info ? info->pgsizes : 0;
}

uint32_t vfioext_iommu_info_dma_avail(const struct vfioext_iommu_info *info)
{
	return info ? info->dma_avail : 0;
}

size_t vfioext_iommu_info_nr_ranges(const struct vfioext_iommu_info *info)
{
	return info ? info->nr_ranges : 0;
}

int vfioext_iommu_info_range(const struct vfioext_iommu_info *info, size_t i,
			     uint64_t *start, uint64_t *end)
{
	if (!info || !start || !end)
		return -EINVAL;
	if (i >= info->nr_ranges)
		return -ERANGE;
	*start = info->ranges[i].start;
	*end = info->ranges[i].end;
	return 0;
}

int vfioext_dma_map(struct vfioext_container *c, void *vaddr, uint64_t iova,
		    uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};
	long pg = sysconf(_SC_PAGESIZE);

	if (!c || !vaddr || (flags & ~(VFIO_DMA_MAP_FLAG_READ |
				       VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if (!vfioext_range_ok(iova, size, (uint64_t)pg) ||
	    !vfioext_range_ok((uintptr_t)vaddr, size, (uint64_t)pg))
		return -EINVAL;
	return ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

int64_t vfioext_dma_unmap(struct vfioext_container *c, uint64_t iova,
			  uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (!c)
		return -EINVAL;
	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return (int64_t)unmap.size;
}
