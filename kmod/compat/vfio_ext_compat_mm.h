/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of the mm API that pviommu's map path uses
 * to reach device memory (VM_PFNMAP: an mmap of a BAR).  Like
 * vfio_ext_compat_iommu.h it builds on UML, where KUnit compiles the map
 * path.
 *
 * Checked against drivers/vfio/vfio_iommu_type1.c and mm/memory.c of
 * Debian's 6.1.192 and 6.12.118 and of upstream from the 7.0 cycle (the
 * 7.x lane); 6.10 and 6.11 are not built here.
 */
#ifndef _VFIO_EXT_COMPAT_MM_H
#define _VFIO_EXT_COMPAT_MM_H

#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/version.h>

/**
 * vfio_ext_untagged_addr() - @addr without the tag bits a user may put in
 * it, for looking up its vma in @mm (mmap_lock held)
 * @mm: the address space
 * @addr: a user address
 *
 * untagged_addr_remote() appeared with x86 LAM (6.4) and is what type1
 * uses from then; before, untagged_addr().  Not untagged_addr() on newer
 * kernels: with CONFIG_ADDRESS_MASKING it reads a per-CPU variable that
 * is not exported to modules.
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
 * page in: follow_pte() up to 6.11 (which takes the mm until 6.10, the
 * vma from then), follow_pfnmap_start()/follow_pfnmap_end() from 6.12,
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

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
	ret = follow_pte(vma->vm_mm, addr, &ptep, &ptl);
#else
	ret = follow_pte(vma, addr, &ptep, &ptl);
#endif
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
