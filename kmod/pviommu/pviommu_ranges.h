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

/**
 * pviommu_ranges_contain() - does one range hold all of [@start, @last]?
 * @rs: the ranges
 * @start: first address
 * @last: last address
 *
 * Inline: the map path (pviommu_map.c) checks every map with it, and the
 * KUnit module that builds that file needs no copy of pviommu_ranges.c.
 */
static inline bool pviommu_ranges_contain(const struct pviommu_ranges *rs,
					  u64 start, u64 last)
{
	unsigned int i;

	if (start > last)
		return false;
	for (i = 0; i < rs->nr; i++)
		if (start >= rs->r[i].start && last <= rs->r[i].last)
			return true;
	return false;
}

#endif /* _PVIOMMU_RANGES_H */
