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
	pviommu_table_add(t, m);
	return 0;
}

/**
 * pviommu_table_add() - add a mapping the caller found free
 * @t: the table
 * @m: the mapping, overlapping none of @t (pviommu_table_first() said so
 *	under the same lock): the map path looks first to decide its errno,
 *	and need not pay the lookup twice
 */
void pviommu_table_add(struct pviommu_table *t, struct pviommu_map *m)
{
	interval_tree_insert(&m->node, &t->root);
	t->count++;
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
	struct pviommu_map *m = pviommu_table_first(t, start, last);

	return pviommu_table_unmap_first(t, m, start, last) ? 0 : -EINVAL;
}

/**
 * pviommu_table_unmap_first() - pviommu_table_unmap_check() for a caller
 * that already looked up @first
 * @t: the table
 * @first: pviommu_table_first(@t, @start, @last), or NULL
 * @start: first address of the range
 * @last: last address of the range (inclusive)
 *
 * @first, the lowest mapping in the range, crosses @start if any does;
 * when it also reaches @last it is the only one in the range (mappings do
 * not overlap), so the common unmap of one whole mapping costs one lookup.
 * Return: true when no mapping crosses either end.
 */
bool pviommu_table_unmap_first(struct pviommu_table *t,
			       struct pviommu_map *first, u64 start, u64 last)
{
	struct pviommu_map *m;

	if (!first)
		return true;
	if (first->node.start < start)
		return false;
	if (first->node.last >= last)
		return first->node.last == last;
	m = pviommu_table_first(t, last, last);
	return !m || m->node.last == last;
}
