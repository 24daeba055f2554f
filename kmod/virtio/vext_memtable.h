/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The memory table of an in-kernel virtio device: guest-physical ranges
 * and the VMM virtual addresses backing them (VHOST_SET_MEM_TABLE), kept
 * in the kernel's vhost_iotlb (<linux/vhost_iotlb.h>, vhost_iotlb.ko: the
 * interval tree vhost and vDPA keep theirs in), start and last
 * guest-physical, addr the VMM address.  This file adds what the VMM's
 * table must satisfy before it goes in, and the translation of guest
 * addresses, which are hostile.  KUnit-tested.
 */
#ifndef _VEXT_MEMTABLE_H
#define _VEXT_MEMTABLE_H

#include <linux/types.h>
#include <linux/vhost_iotlb.h>

#define VEXT_MAX_MEM_REGIONS	64	/* vhost's default max_mem_regions */

/* The regions of @t in guest-physical order: the first, or NULL. */
static inline struct vhost_iotlb_map *
vext_memtable_first(struct vhost_iotlb *t)
{
	return vhost_iotlb_itree_first(t, 0, U64_MAX);
}

/* The region after @r, or NULL. */
static inline struct vhost_iotlb_map *
vext_memtable_next(struct vhost_iotlb_map *r)
{
	return vhost_iotlb_itree_next(r, 0, U64_MAX);
}

struct vhost_iotlb *vext_memtable_alloc(void);
void vext_memtable_free(struct vhost_iotlb *t);
int vext_memtable_add(struct vhost_iotlb *t, u64 gpa, u64 size, u64 uva,
		      u64 uva_limit);
int vext_memtable_translate(struct vhost_iotlb *t, u64 gpa, u64 len,
			    u64 *uva, u64 *contig);
int vext_memtable_uva_to_gpa(struct vhost_iotlb *t, u64 uva, u64 len,
			     u64 *gpa);

#endif /* _VEXT_MEMTABLE_H */
