/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sets of valid IOVA ranges: the aperture minus reserved regions, for every
 * group of a container.  Pure logic, KUnit-tested on UML at u64 edges.
 */
#ifndef _PVIOMMU_RANGES_H
#define _PVIOMMU_RANGES_H

#include <linux/types.h>

#define PVIOMMU_MAX_RANGES	32

/**
 * struct pviommu_range - an inclusive IOVA range
 * @start: first address
 * @last: last address (inclusive, so [0, U64_MAX] is representable)
 */
struct pviommu_range {
	u64 start;
	u64 last;
};

/**
 * struct pviommu_ranges - sorted, disjoint, non-adjacent ranges
 * @nr: ranges in use
 * @r: the ranges, ascending
 */
struct pviommu_ranges {
	unsigned int nr;
	struct pviommu_range r[PVIOMMU_MAX_RANGES];
};

void pviommu_ranges_init(struct pviommu_ranges *rs, u64 start, u64 last);
int pviommu_ranges_exclude(struct pviommu_ranges *rs, u64 start, u64 last);
void pviommu_ranges_clip(struct pviommu_ranges *rs, u64 start, u64 last);
bool pviommu_ranges_contain(const struct pviommu_ranges *rs, u64 start,
			    u64 last);

#endif /* _PVIOMMU_RANGES_H */
