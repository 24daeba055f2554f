// SPDX-License-Identifier: GPL-2.0-only
/*
 * pviommu mapping table on the kernel's interval tree (lib/interval_tree):
 * overlap queries are what map (reject overlaps) and unmap (whole
 * mappings only) need, in O(log n + k).
 */
#include <linux/errno.h>
#include <linux/kernel.h>

#include "pviommu_table.h"

void pviommu_table_init(struct pviommu_table *t)
{
	t->root = RB_ROOT_CACHED;
	t->count = 0;
}

/**
 * pviommu_table_insert() - add a mapping
 * @t: the table
 * @m: the mapping, its range in @m->node
 * Return: 0, or -EEXIST if it overlaps an existing mapping.
 */
int pviommu_table_insert(struct pviommu_table *t, struct pviommu_map *m)
{
	if (interval_tree_iter_first(&t->root, m->node.start, m->node.last))
		return -EEXIST;
	interval_tree_insert(&m->node, &t->root);
	t->count++;
	return 0;
}

void pviommu_table_remove(struct pviommu_table *t, struct pviommu_map *m)
{
	interval_tree_remove(&m->node, &t->root);
	t->count--;
}

/** pviommu_table_first() - lowest mapping overlapping [@start, @last] */
struct pviommu_map *pviommu_table_first(struct pviommu_table *t, u64 start,
					u64 last)
{
	struct interval_tree_node *n;

	n = interval_tree_iter_first(&t->root, start, last);
	return n ? container_of(n, struct pviommu_map, node) : NULL;
}

/** pviommu_table_next() - next mapping overlapping [@start, @last] */
struct pviommu_map *pviommu_table_next(struct pviommu_map *m, u64 start,
				       u64 last)
{
	struct interval_tree_node *n;

	n = interval_tree_iter_next(&m->node, start, last);
	return n ? container_of(n, struct pviommu_map, node) : NULL;
}

/**
 * pviommu_table_unmap_check() - may [@start, @last] be unmapped?
 * @t: the table
 * @start: first address of the range
 * @last: last address of the range (inclusive)
 *
 * Type1v2 semantics: an unmap covers whole mappings; a mapping that
 * crosses either end of the range would be split.
 * Return: 0, or -EINVAL if a mapping crosses an end.
 */
int pviommu_table_unmap_check(struct pviommu_table *t, u64 start, u64 last)
{
	struct pviommu_map *m;

	m = pviommu_table_first(t, start, start);
	if (m && m->node.start < start)
		return -EINVAL;
	m = pviommu_table_first(t, last, last);
	if (m && m->node.last > last)
		return -EINVAL;
	return 0;
}
