/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The memory table of an in-kernel virtio device: guest-physical ranges
 * and the VMM virtual addresses backing them (VHOST_SET_MEM_TABLE).
 * Pure logic, KUnit-tested: validation of what the VMM hands in, and the
 * translation of guest addresses, which are hostile.
 */
#ifndef _VEXT_MEMTABLE_H
#define _VEXT_MEMTABLE_H

#include <linux/types.h>

#define VEXT_MAX_MEM_REGIONS	64	/* vhost's default max_mem_regions */

/**
 * struct vext_mem_region - one guest-physical range
 * @gpa: first guest-physical byte
 * @last: last guest-physical byte (inclusive)
 * @uva: VMM virtual address of @gpa
 */
struct vext_mem_region {
	u64 gpa;
	u64 last;
	u64 uva;
};

/**
 * struct vext_memtable - the table, sorted by @gpa, without overlaps
 * @nr: number of regions
 * @r: the regions
 */
struct vext_memtable {
	unsigned int nr;
	struct vext_mem_region r[];
};

int vext_memtable_add(struct vext_memtable *t, u64 gpa, u64 size, u64 uva,
		      u64 uva_limit);
int vext_memtable_translate(const struct vext_memtable *t, u64 gpa, u64 len,
			    u64 *uva, u64 *contig);

#endif /* _VEXT_MEMTABLE_H */
