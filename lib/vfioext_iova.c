// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: the pviommu batch call and an IOVA allocator over a
 * container's valid ranges.  Inclusive ends throughout, so the top of the
 * 64-bit space is representable and nothing wraps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfioext.h"

int vfioext_dma_batch(struct vfioext_container *c,
		      struct vfio_ext_pviommu_op *ops, size_t op_size,
		      uint32_t n, uint32_t *done)
{
	/*
	 * The caller's op_size is the stride, not this library's sizeof():
	 * a caller built against a newer header has larger entries, and the
	 * kernel checks their tails.
	 */
	struct vfio_ext_pviommu_batch b = {
		.argsz = sizeof(b),
		.nr = n,
		.op_size = (uint32_t)op_size,
		.ops = (uintptr_t)ops,
	};
	int fd = vfioext_container_fd(c), ret;

	if (fd < 0)
		return fd;
	if (n && !ops)
		return -EINVAL;
	if (op_size > UINT32_MAX)
		return -E2BIG;
	ret = ioctl(fd, VFIO_EXT_PVIOMMU_BATCH, &b) ? -errno : 0;
	if (done)
		*done = b.done;
	return ret;
}

int vfioext_pviommu_sids(struct vfioext_container *c, uint32_t group,
			 uint32_t *nr)
{
	struct vfio_ext_pviommu_sids s = { .argsz = sizeof(s), .group = group };
	int fd = vfioext_container_fd(c);

	if (fd < 0 || !nr)
		return fd < 0 ? fd : -EINVAL;
	if (ioctl(fd, VFIO_EXT_PVIOMMU_SIDS, &s))
		return -errno;
	*nr = s.nr_sids;
	return 0;
}

int vfioext_pviommu_domain_alloc(struct vfioext_container *c, uint32_t *id)
{
	struct vfio_ext_pviommu_domain d = { .argsz = sizeof(d) };
	int fd = vfioext_container_fd(c);

	if (fd < 0 || !id)
		return fd < 0 ? fd : -EINVAL;
	if (ioctl(fd, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &d))
		return -errno;
	*id = d.id;
	return 0;
}

int vfioext_pviommu_domain_free(struct vfioext_container *c, uint32_t id)
{
	struct vfio_ext_pviommu_domain_free f = {
		.argsz = sizeof(f), .id = id,
	};
	int fd = vfioext_container_fd(c);

	if (fd < 0)
		return fd;
	return ioctl(fd, VFIO_EXT_PVIOMMU_DOMAIN_FREE, &f) ? -errno : 0;
}

int vfioext_pviommu_guest_limit(struct vfioext_container *c,
				const uint32_t *set, uint32_t *limit,
				uint32_t *mapped)
{
	struct vfio_ext_pviommu_limits l = { .argsz = sizeof(l) };
	int fd = vfioext_container_fd(c);

	if (fd < 0)
		return fd;
	if (set) {
		l.flags = VFIO_EXT_PVIOMMU_LIMITS_SET_GUEST;
		l.guest_maps = *set;
	}
	if (ioctl(fd, VFIO_EXT_PVIOMMU_LIMITS, &l))
		return -errno;
	if (limit)
		*limit = l.guest_maps;
	if (mapped)
		*mapped = l.guest_mapped;
	return 0;
}

int vfioext_pviommu_attach(struct vfioext_container *c, uint32_t group,
			   uint32_t sid_index, uint32_t vsid, uint32_t domain)
{
	struct vfio_ext_pviommu_attach at = {
		.argsz = sizeof(at), .group = group, .sid_index = sid_index,
		.vsid = vsid, .domain = domain,
	};
	int fd = vfioext_container_fd(c);

	if (fd < 0)
		return fd;
	return ioctl(fd, VFIO_EXT_PVIOMMU_ATTACH, &at) ? -errno : 0;
}

struct iova_span {
	uint64_t start;
	uint64_t last;
};

struct vfioext_iova_allocator {
	pthread_mutex_t lock;		/* everything below */
	uint64_t min_align;
	size_t nr_ranges;
	struct iova_span *ranges;	/* the valid ranges, read-only */
	struct iova_span *allocs;	/* sorted by start, disjoint */
	size_t nr_allocs;
	size_t cap_allocs;
};

int vfioext_iova_allocator_new(const struct vfioext_iommu_info *info,
			       struct vfioext_iova_allocator **out)
{
	size_t i, n = vfioext_iommu_info_nr_ranges(info);
	struct vfioext_iova_allocator *a;
	uint64_t pgsizes, s, e;
	int ret;

	pgsizes = vfioext_iommu_info_pgsizes(info);
	if (!out || !pgsizes || !n)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->ranges = calloc(n, sizeof(*a->ranges));
	if (!a->ranges) {
		free(a);
		return -ENOMEM;
	}
	ret = pthread_mutex_init(&a->lock, NULL);
	if (ret) {
		free(a->ranges);
		free(a);
		return -ret;
	}
	a->min_align = pgsizes & -pgsizes;
	for (i = 0; i < n; i++) {
		vfioext_iommu_info_range(info, i, &s, &e);
		if (s > e)
			continue;
		a->ranges[a->nr_ranges].start = s;
		a->ranges[a->nr_ranges++].last = e;
	}
	*out = a;
	return 0;
}

void vfioext_iova_allocator_free(struct vfioext_iova_allocator *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->allocs);
	free(a->ranges);
	free(a);
}

/* Lowest aligned [s, s + size - 1] inside [gs, ge]; false if none. */
static int fit(uint64_t gs, uint64_t ge, uint64_t size, uint64_t align,
	       uint64_t *s)
{
	uint64_t v = (gs + align - 1) & ~(align - 1);

	if (v < gs || v > ge || size - 1 > ge - v)
		return 0;
	*s = v;
	return 1;
}

/* Index of the first allocation with last >= @iova. */
static size_t first_at_or_after(const struct vfioext_iova_allocator *a,
				uint64_t iova)
{
	size_t lo = 0, hi = a->nr_allocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->allocs[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int insert(struct vfioext_iova_allocator *a, uint64_t s, uint64_t size)
{
	size_t at = first_at_or_after(a, s);

	if (a->nr_allocs == a->cap_allocs) {
		size_t cap = a->cap_allocs ? 2 * a->cap_allocs : 16;
		struct iova_span *n = realloc(a->allocs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->allocs = n;
		a->cap_allocs = cap;
	}
	memmove(&a->allocs[at + 1], &a->allocs[at],
		(a->nr_allocs - at) * sizeof(*a->allocs));
	a->allocs[at].start = s;
	a->allocs[at].last = s + size - 1;
	a->nr_allocs++;
	return 0;
}

/* First fit inside valid range @rg, between the allocations.  lock held. */
static int range_fit(const struct vfioext_iova_allocator *a,
		     const struct iova_span *rg, uint64_t size, uint64_t align,
		     uint64_t *s)
{
	uint64_t gs = rg->start;
	size_t i;

	for (i = first_at_or_after(a, rg->start);
	     i < a->nr_allocs && a->allocs[i].start <= rg->last; i++) {
		if (a->allocs[i].start > gs &&
		    fit(gs, a->allocs[i].start - 1, size, align, s))
			return 1;
		if (a->allocs[i].last == UINT64_MAX)
			return 0;
		gs = a->allocs[i].last + 1;
	}
	return gs <= rg->last && fit(gs, rg->last, size, align, s);
}

int vfioext_iova_alloc(struct vfioext_iova_allocator *a, uint64_t size,
		       uint64_t align, uint64_t *iova)
{
	uint64_t s;
	size_t r;
	int ret = -ENOSPC;

	if (!a || !iova || !size || (align & (align - 1)))
		return -EINVAL;
	if (align < a->min_align)
		align = a->min_align;
	if (size & (a->min_align - 1))
		return -EINVAL;

	pthread_mutex_lock(&a->lock);
	for (r = 0; r < a->nr_ranges; r++) {
		if (range_fit(a, &a->ranges[r], size, align, &s)) {
			ret = insert(a, s, size);
			if (!ret)
				*iova = s;
			break;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}

int vfioext_iova_get(struct vfioext_iova_allocator *a, uint64_t iova,
		     uint64_t *start, uint64_t *size)
{
	size_t i;
	int ret = -ENOENT;

	if (!a || !start || !size)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	i = first_at_or_after(a, iova);
	if (i < a->nr_allocs && a->allocs[i].start <= iova) {
		*start = a->allocs[i].start;
		*size = a->allocs[i].last - a->allocs[i].start + 1;
		ret = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}

int vfioext_iova_release(struct vfioext_iova_allocator *a, uint64_t iova)
{
	size_t i;
	int ret = -ENOENT;

	if (!a)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	i = first_at_or_after(a, iova);
	if (i < a->nr_allocs && a->allocs[i].start == iova) {
		memmove(&a->allocs[i], &a->allocs[i + 1],
			(a->nr_allocs - i - 1) * sizeof(*a->allocs));
		a->nr_allocs--;
		ret = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return ret;
}

uint64_t vfioext_iova_max_addr(struct vfioext_iova_allocator *a)
{
	return a && a->nr_ranges ? a->ranges[a->nr_ranges - 1].last : 0;
}
