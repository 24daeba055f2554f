// SPDX-License-Identifier: GPL-2.0-only
/*
 * Valid IOVA ranges.  Inclusive ends throughout, so nothing overflows at
 * U64_MAX; every operation keeps the list sorted and disjoint.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "pviommu_ranges.h"

/** pviommu_ranges_init() - one range [@start, @last] (empty if start > last) */
void pviommu_ranges_init(struct pviommu_ranges *rs, u64 start, u64 last)
{
	memset(rs, 0, sizeof(*rs));
	if (start > last)
		return;
	rs->r[0].start = start;
	rs->r[0].last = last;
	rs->nr = 1;
}

/**
 * pviommu_ranges_exclude() - remove [@start, @last] from @rs
 * @rs: the ranges
 * @start: first address to remove
 * @last: last address to remove (inclusive)
 *
 * Return: 0; -ENOSPC if a split needs more than PVIOMMU_MAX_RANGES (then
 * @rs is unchanged); -EINVAL if @start > @last.
 */
int pviommu_ranges_exclude(struct pviommu_ranges *rs, u64 start, u64 last)
{
	struct pviommu_ranges out;
	unsigned int i;

	if (start > last)
		return -EINVAL;
	out.nr = 0;
	for (i = 0; i < rs->nr; i++) {
		struct pviommu_range r = rs->r[i];

		if (last < r.start || start > r.last) {	/* untouched */
			if (out.nr == PVIOMMU_MAX_RANGES)
				return -ENOSPC;
			out.r[out.nr++] = r;
			continue;
		}
		if (r.start < start) {			/* left piece */
			if (out.nr == PVIOMMU_MAX_RANGES)
				return -ENOSPC;
			out.r[out.nr].start = r.start;
			out.r[out.nr++].last = start - 1;
		}
		if (r.last > last) {			/* right piece */
			if (out.nr == PVIOMMU_MAX_RANGES)
				return -ENOSPC;
			out.r[out.nr].start = last + 1;
			out.r[out.nr++].last = r.last;
		}
	}
	*rs = out;
	return 0;
}

/** pviommu_ranges_clip() - keep only what lies within [@start, @last] */
void pviommu_ranges_clip(struct pviommu_ranges *rs, u64 start, u64 last)
{
	/* Excluding the outside never splits: it cannot run out of room. */
	if (start > last) {
		rs->nr = 0;
		return;
	}
	if (start > 0)
		pviommu_ranges_exclude(rs, 0, start - 1);
	if (last < U64_MAX)
		pviommu_ranges_exclude(rs, last + 1, U64_MAX);
}
