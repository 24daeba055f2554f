/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of the mm API that pviommu's map path uses
 * to reach device memory (VM_PFNMAP: an mmap of a BAR), and of the errno
 * type1 gives for a DMA range that wraps.  Like vfio_ext_compat_iommu.h it
 * builds on UML, where KUnit compiles the map path.
 *
 * Checked against drivers/vfio/vfio_iommu_type1.c, mm/memory.c and
 * include/linux/mm.h of Debian's 6.1.192, 6.12.118 and 7.3.4; the
 * boundaries in between (6.4, 6.10, 6.12, 6.15, 6.19) are where upstream
 * changed, and 6.10, 6.11 and 6.13-6.18 are not built here.
 */
#ifndef _VFIO_EXT_COMPAT_MM_H
#define _VFIO_EXT_COMPAT_MM_H

#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/version.h>

/*
 * VFIO_EXT_DMA_WRAP_ERRNO - what type1 returns (negated) when a MAP_DMA
 * or UNMAP_DMA range wraps the u64 space, IOVA or vaddr.  Up to 6.18 the
 * test is "iova + size - 1 < iova" and the answer EINVAL (6.1.192 and
 * 6.12.118 still); the series that made type1 map up to the last page of
 * the address space (Alex Mastro, "vfio: handle DMA map/unmap up to the
 * addressable limit", posted after the 6.18 merge window: 6.19 is taken
 * as its first release) tests with check_add_overflow() and answers
 * EOVERFLOW (7.3.4), before the permission and alignment checks of a map
 * (an unmap still checks its alignment first).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 19, 0)
#define VFIO_EXT_DMA_WRAP_ERRNO	EINVAL
#else
#define VFIO_EXT_DMA_WRAP_ERRNO	EOVERFLOW
#endif

/**
 * vfio_ext_untagged_addr() - @addr without the tag bits a user may put in
 * it, for looking up its vma in @mm (mmap_lock held)
 * @mm: the address space
 * @addr: a user address
 *
 * untagged_addr_remote() appeared with x86 LAM (6.4) and is what type1
 * uses from then: it untags with @mm's own mask, which also holds in the
 * virtio-iommu worker (a kernel thread borrowing the VMM's mm); before,
 * untagged_addr().
 *
 * Return: the untagged address.
 */
static inline unsigned long vfio_ext_untagged_addr(struct mm_struct *mm,
						   unsigned long addr)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
	return untagged_addr(addr);
#else
	return untagged_addr_remote(mm, addr);
#endif
}

/**
 * vfio_ext_follow_pfnmap() - the pfn mapped at @addr in a VM_PFNMAP or
 * VM_IO @vma, without faulting
 * @vma: the vma, mmap_lock held for read
 * @addr: a user address inside @vma
 * @write: the mapping is needed writable
 * @pfn: out: the pfn at @addr
 * @nr: out: pages from @pfn to the end of the page-table leaf holding it
 *	(1 for a PTE; up to a PMD or PUD from 6.15, where the walk reports
 *	its mask); the pfns in between are contiguous and behind @addr on
 *	@nr pages
 *
 * What type1's follow_fault_pfn() reads before or after it faults the
 * page in: follow_pte() on 6.1 (it took the vma from 6.10, a series we do
 * not build for), follow_pfnmap_start()/follow_pfnmap_end() from 6.12,
 * where follow_pte() is gone; the walk's mask (args.addr_mask) appeared
 * in 6.15, where type1 began mapping a whole leaf per lookup.  Nothing is
 * referenced: the pfn is only as stable as the caller's mmap_lock.
 *
 * Return: 0; -EFAULT if @write and the PTE is read-only (type1's answer);
 * another -errno (-EINVAL) if nothing is mapped there yet.
 */
static inline int vfio_ext_follow_pfnmap(struct vm_area_struct *vma,
					 unsigned long addr, bool write,
					 unsigned long *pfn, unsigned long *nr)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
	spinlock_t *ptl;	/* the PTE's, held from follow_pte() on */
	pte_t *ptep, pte;
	int ret;

	ret = follow_pte(vma->vm_mm, addr, &ptep, &ptl);
	if (ret)
		return ret;
	__acquire(ptl);		/* for sparse: follow_pte() took it */
	pte = ptep_get(ptep);
	ret = write && !pte_write(pte) ? -EFAULT : 0;
	*pfn = pte_pfn(pte);
	*nr = 1;
	pte_unmap_unlock(ptep, ptl);
	return ret;
#else
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int ret;

	ret = follow_pfnmap_start(&args);
	if (ret)
		return ret;
	ret = write && !args.writable ? -EFAULT : 0;
	*pfn = args.pfn;
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0)
	*nr = 1;
#else
	*nr = (args.pfn | (~args.addr_mask >> PAGE_SHIFT)) + 1 - args.pfn;
#endif
	follow_pfnmap_end(&args);
	return ret;
#endif
}

#endif /* _VFIO_EXT_COMPAT_MM_H */
