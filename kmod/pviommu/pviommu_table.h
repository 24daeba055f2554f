/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mapping table of a pviommu container: an interval tree keyed by
 * IOVA, O(log n) insert, lookup and removal.  Pure logic (no IOMMU, no
 * pinning), KUnit-tested on UML.
 */
#ifndef _PVIOMMU_TABLE_H
#define _PVIOMMU_TABLE_H

#include <linux/interval_tree.h>
#include <linux/types.h>

/**
 * struct pviommu_map - one mapping (64 bytes on 64-bit: kmalloc-64)
 * @node: IOVA range, inclusive (start, last)
 * @vaddr: user address of the first byte
 * @prot: IOMMU_READ / IOMMU_WRITE
 * @pinned: the memory is mapped in every domain, its pages pinned and
 *	accounted
 * @has_pages: some of it is pinned pages (the VMM's RAM); valid while
 *	@pinned
 * @has_rsvd: some of it is reserved pfns, neither pinned nor accounted
 *	(device memory: an mmap of a BAR; the zero page); valid while @pinned
 * @contig: all of it is pinned pages, one physically contiguous run (a
 *	huge page, or pages that happen to be): unmapping finds every page
 *	from the first (pinned pages do not move); valid while @pinned
 */
struct pviommu_map {
	struct interval_tree_node node;
	unsigned long vaddr;
	u32 prot;
	bool pinned;
	bool has_pages;
	bool has_rsvd;
	bool contig;
};

/**
 * struct pviommu_table - the mappings of a container
 * @root: interval tree of struct pviommu_map
 * @count: number of mappings
 */
struct pviommu_table {
	struct rb_root_cached root;
	unsigned int count;
};

void pviommu_table_init(struct pviommu_table *t);
int pviommu_table_insert(struct pviommu_table *t, struct pviommu_map *m);
void pviommu_table_add(struct pviommu_table *t, struct pviommu_map *m);
void pviommu_table_remove(struct pviommu_table *t, struct pviommu_map *m);
struct pviommu_map *pviommu_table_first(struct pviommu_table *t, u64 start,
					u64 last);
struct pviommu_map *pviommu_table_next(struct pviommu_map *m, u64 start,
				       u64 last);
int pviommu_table_unmap_check(struct pviommu_table *t, u64 start, u64 last);
bool pviommu_table_unmap_first(struct pviommu_table *t,
			       struct pviommu_map *first, u64 start, u64 last);

static inline u64 pviommu_map_size(const struct pviommu_map *m)
{
	return (u64)m->node.last - m->node.start + 1;
}

#endif /* _PVIOMMU_TABLE_H */
