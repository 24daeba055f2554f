// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory table: insertion keeps the regions sorted and disjoint, lookup is
 * a binary search.  At most VEXT_MAX_MEM_REGIONS entries, so insertion by
 * moving the tail is cheaper than any tree; the table is replaced as a
 * whole by VHOST_SET_MEM_TABLE and read by the worker under the device
 * lock.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "vext_memtable.h"

/**
 * vext_memtable_add() - add a region to a table being built
 * @t: the table, with room for VEXT_MAX_MEM_REGIONS regions
 * @gpa: guest-physical start
 * @size: bytes
 * @uva: VMM virtual address of @gpa
 * @uva_limit: first user address that is not valid (TASK_SIZE)
 *
 * Return: 0; -EFAULT for an empty region, or one that wraps either
 * address space or ends past @uva_limit (vhost's errno for a region it
 * cannot use); -EINVAL for one overlapping a region already in @t (vhost
 * accepts overlaps, a binary search cannot); -E2BIG when @t is full.
 */
int vext_memtable_add(struct vext_memtable *t, u64 gpa, u64 size, u64 uva,
		      u64 uva_limit)
{
	u64 last = gpa + size - 1;
	unsigned int i;

	if (!size || last < gpa || uva + size - 1 < uva ||
	    uva + size - 1 >= uva_limit)
		return -EFAULT;
	if (t->nr >= VEXT_MAX_MEM_REGIONS)
		return -E2BIG;
	for (i = 0; i < t->nr && t->r[i].gpa < gpa; i++)
		;
	if (i > 0 && t->r[i - 1].last >= gpa)
		return -EINVAL;
	if (i < t->nr && t->r[i].gpa <= last)
		return -EINVAL;
	memmove(&t->r[i + 1], &t->r[i], (t->nr - i) * sizeof(t->r[0]));
	t->r[i].gpa = gpa;
	t->r[i].last = last;
	t->r[i].uva = uva;
	t->nr++;
	return 0;
}

/**
 * vext_memtable_translate() - VMM address of guest-physical @gpa
 * @t: the table
 * @gpa: guest-physical address
 * @len: bytes wanted from @gpa (at least 1)
 * @uva: out: VMM virtual address of @gpa
 * @contig: out: bytes from @gpa that lie in the same region (at most @len)
 *
 * A range crossing into the next region needs another call for the rest.
 *
 * Return: 0, or -EFAULT when @gpa is outside every region or @len is 0.
 */
int vext_memtable_translate(const struct vext_memtable *t, u64 gpa, u64 len,
			    u64 *uva, u64 *contig)
{
	unsigned int lo = 0, hi = t->nr, mid;
	const struct vext_mem_region *r;

	if (!len)
		return -EFAULT;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = &t->r[mid];
		if (gpa < r->gpa) {
			hi = mid;
		} else if (gpa > r->last) {
			lo = mid + 1;
		} else {
			*uva = r->uva + (gpa - r->gpa);
			/* r->last - gpa + 1 cannot overflow unless it is 2^64 */
			*contig = r->last - gpa >= len - 1 ? len :
				  r->last - gpa + 1;
			return 0;
		}
	}
	return -EFAULT;
}
