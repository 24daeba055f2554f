// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory table over the kernel's vhost_iotlb: regions are checked (not
 * empty, not wrapping, in the user address space, disjoint, at most
 * VEXT_MAX_MEM_REGIONS) before they go in, so a lookup finds at most one.
 * The table is built whole by VHOST_SET_MEM_TABLE, replaces the old one,
 * and is read under the device lock (vhost_iotlb has no lock of its own).
 */
#include <linux/errno.h>
#include <linux/kernel.h>

#include "vext_memtable.h"

/**
 * vext_memtable_alloc() - an empty table
 *
 * Return: the table, or NULL.
 */
struct vhost_iotlb *vext_memtable_alloc(void)
{
	/* No retirement: vext_memtable_add() refuses a region too many. */
	return vhost_iotlb_alloc(VEXT_MAX_MEM_REGIONS, 0);
}

/**
 * vext_memtable_free() - free a table and its regions
 * @t: the table, or NULL
 */
void vext_memtable_free(struct vhost_iotlb *t)
{
	if (t)
		vhost_iotlb_free(t);
}

/**
 * vext_memtable_add() - add a region to a table being built
 * @t: the table
 * @gpa: guest-physical start
 * @size: bytes
 * @uva: VMM virtual address of @gpa
 * @uva_limit: first user address that is not valid (TASK_SIZE)
 *
 * Return: 0; -EFAULT for an empty region, or one that wraps either
 * address space or ends past @uva_limit (vhost's errno for a region it
 * cannot use); -EINVAL for one overlapping a region already in @t (vhost
 * accepts overlaps; a guest address must have one meaning here); -E2BIG
 * when @t is full; -ENOMEM.
 */
int vext_memtable_add(struct vhost_iotlb *t, u64 gpa, u64 size, u64 uva,
		      u64 uva_limit)
{
	u64 last = gpa + size - 1;

	if (!size || last < gpa || uva + size - 1 < uva ||
	    uva + size - 1 >= uva_limit)
		return -EFAULT;
	if (t->nmaps >= VEXT_MAX_MEM_REGIONS)
		return -E2BIG;
	if (vhost_iotlb_itree_first(t, gpa, last))
		return -EINVAL;
	return vhost_iotlb_add_range(t, gpa, last, uva, VHOST_MAP_RW);
}

/**
 * vext_memtable_translate() - VMM address of a guest-physical range
 * @t: the table
 * @gpa: guest-physical start (hostile)
 * @len: bytes wanted, at least 1 (hostile)
 * @uva: out: VMM virtual address of @gpa
 * @contig: out: bytes from @gpa on, at most @len, in @gpa's region
 *
 * Return: 0, or -EFAULT when @gpa is in no region or @len is 0.
 */
int vext_memtable_translate(struct vhost_iotlb *t, u64 gpa, u64 len,
			    u64 *uva, u64 *contig)
{
	const struct vhost_iotlb_map *r;

	if (!len)
		return -EFAULT;
	r = vhost_iotlb_itree_first(t, gpa, gpa);
	if (!r)
		return -EFAULT;
	*uva = r->addr + (gpa - r->start);
	/* r->last - gpa + 1 cannot overflow unless it is 2^64 */
	*contig = r->last - gpa >= len - 1 ? len : r->last - gpa + 1;
	return 0;
}

/**
 * vext_memtable_uva_to_gpa() - guest-physical address of VMM memory
 * @t: the table
 * @uva: VMM virtual address
 * @len: bytes from @uva on, all in one region
 * @gpa: out: the guest-physical address of @uva
 *
 * The first region in guest-physical order backing all of the range, so
 * a range that two regions alias gets the lower address.  A walk: there
 * are at most VEXT_MAX_MEM_REGIONS regions.
 *
 * Return: 0, or -EFAULT when no region backs the whole range.
 */
int vext_memtable_uva_to_gpa(struct vhost_iotlb *t, u64 uva, u64 len,
			     u64 *gpa)
{
	struct vhost_iotlb_map *r;

	if (!len || uva + len - 1 < uva)
		return -EFAULT;
	for (r = vext_memtable_first(t); r; r = vext_memtable_next(r)) {
		if (uva >= r->addr && uva - r->addr <= r->last - r->start &&
		    len - 1 <= r->last - r->start - (uva - r->addr)) {
			*gpa = r->start + (uva - r->addr);
			return 0;
		}
	}
	return -EFAULT;
}
