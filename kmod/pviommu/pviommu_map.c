// SPDX-License-Identifier: GPL-2.0-only
/*
 * pviommu mappings in IOMMU domains: map and unmap with type1v2 semantics
 * through a space's table.  A mapping's memory is what type1 maps: pages
 * of RAM, pinned once (FOLL_LONGTERM, accounted to the VMM's locked_vm
 * under RLIMIT_MEMLOCK as type1 does), and reserved pfns, neither pinned
 * nor accounted: device memory behind a VM_PFNMAP mmap (another assigned
 * device's BAR, for peer-to-peer DMA) and the zero page.  Either is mapped
 * into every domain of the space in physically contiguous runs.  Pages
 * are found again for unpinning through the first domain's page table
 * (like type1), so a mapping costs one 64-byte object, not a page array.
 *
 * Nothing here knows VFIO: pviommu_table_kunit.c drives these paths
 * against a real IOMMU domain in the debug VM.  Everything runs with
 * pviommu->lock held, never in atomic context.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "vfio_ext_compat_iommu.h"
#include "vfio_ext_compat_mm.h"
#include "pviommu_priv.h"

/* Page counts up to this use on-stack arrays on the map/unmap paths. */
#define SMALL_PAGES	16

/*
 * A pfn type1 neither pins nor counts (its is_invalid_reserved_pfn()): no
 * struct page behind it (device memory), or a reserved one.
 */
static bool pfn_reserved(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

/*
 * Give @n pages back to locked_vm: now, or at the end of the batch in
 * progress (one mmap_lock round trip for the whole batch).  lock held.
 */
static void uncharge(struct pviommu *p, unsigned long n)
{
	if (!n)
		return;
	if (p->defer)
		p->defer->refund += n;
	else
		account_locked_vm(p->mm, n, false);
}

/*
 * Unpin the pages among @n physical addresses of @m, dirty if @m was
 * writable, and uncharge them.  A reserved pfn was neither pinned nor
 * charged (type1's put_pfn()); a mapping without any (!@m->has_rsvd) is
 * not asked, so RAM is released whatever became of the pfns of device
 * memory elsewhere.
 */
static void unpin_phys(struct pviommu *p, const struct pviommu_map *m,
		       const phys_addr_t *phys, unsigned long n)
{
	unsigned long i, pinned = 0;
	struct page *page;

	for (i = 0; i < n; i++) {
		if (m->has_rsvd && pfn_reserved(PHYS_PFN(phys[i])))
			continue;
		page = pfn_to_page(PHYS_PFN(phys[i]));
		unpin_user_pages_dirty_lock(&page, 1, m->prot & IOMMU_WRITE);
		pinned++;
	}
	p->pinned -= pinned;
	uncharge(p, pinned);
}

/*
 * Largest IOVA window handled at once on unmap, and for a run of device
 * memory on map: the largest IOMMU page size (capped at 1 GiB), so a
 * window boundary never splits a superpage and the transient address
 * array stays at most 2 MiB.
 */
static u64 unmap_window(struct pviommu *p)
{
	return 1ULL << min(fls64(p->pgsize_bitmap) - 1, 30);
}

/**
 * pviommu_unmap_unpin() - unmap @m from every domain of @sp and unpin its
 * pages (lock held); @m stays in the table, not pinned
 * @p: the container
 * @sp: the space
 * @m: the mapping; nothing happens unless it is pinned
 *
 * Window by window: find the pages of a window before they leave the page
 * tables, unmap it everywhere (the IOTLB is flushed), then unpin.  A
 * mapping of device memory alone has nothing to find or unpin.
 */
void pviommu_unmap_unpin(struct pviommu *p, struct pviommu_space *sp,
			 struct pviommu_map *m)
{
	u64 win = unmap_window(p), iova = m->node.start, end;
	phys_addr_t small[SMALL_PAGES], *phys = NULL;
	unsigned long n, i;
	unsigned int d;

	if (!m->pinned)
		return;
	if (m->has_pages) {
		n = min_t(u64, pviommu_map_size(m), win) >> PAGE_SHIFT;
		/* Small maps (the common case) use the stack. */
		phys = n <= SMALL_PAGES ? small :
		       kvmalloc_array(n, sizeof(*phys),
				      GFP_KERNEL | __GFP_NOFAIL);
	}
	while (iova <= m->node.last) {
		/* Up to the next window boundary, or the mapping's end. */
		end = min_t(u64, m->node.last, (iova | (win - 1)));
		n = (end - iova + 1) >> PAGE_SHIFT;
		for (i = 0; phys && i < n; i++)
			phys[i] = iommu_iova_to_phys(sp->doms[0],
						     iova + (i << PAGE_SHIFT));
		for (d = 0; d < sp->nr_doms; d++)
			iommu_unmap(sp->doms[d], iova, n << PAGE_SHIFT);
		if (phys)
			unpin_phys(p, m, phys, n);
		if (end == m->node.last)
			break;
		iova = end + 1;
		cond_resched();
	}
	if (phys != small)
		kvfree(phys);
	m->pinned = false;
	m->has_pages = false;
	m->has_rsvd = false;
}

/* Map [iova, iova + len) -> phys into @domain in physically contiguous runs. */
static int map_pages(struct iommu_domain *domain, u64 iova,
		     struct page **pages, unsigned long n, int prot)
{
	unsigned long i = 0, run;
	int ret;

	while (i < n) {
		run = 1;
		while (i + run < n &&
		       page_to_pfn(pages[i + run]) == page_to_pfn(pages[i]) + run)
			run++;
		ret = vfio_ext_iommu_map(domain, iova + (i << PAGE_SHIFT),
					 page_to_phys(pages[i]),
					 run << PAGE_SHIFT, prot);
		if (ret) {
			if (i)
				iommu_unmap(domain, iova, i << PAGE_SHIFT);
			return ret;
		}
		i += run;
	}
	return 0;
}

/*
 * Map @n pages at @iova into every domain of @sp: @pages, or, without
 * @pages, the contiguous pfns from @pfn on.  On failure no domain keeps
 * any of them.
 */
static int map_all(struct pviommu_space *sp, u64 iova, struct page **pages,
		   unsigned long pfn, unsigned long n, int prot)
{
	unsigned int d;
	int ret = 0;

	for (d = 0; d < sp->nr_doms; d++) {
		ret = pages ? map_pages(sp->doms[d], iova, pages, n, prot) :
		      vfio_ext_iommu_map(sp->doms[d], iova, PFN_PHYS(pfn),
					 n << PAGE_SHIFT, prot);
		if (ret)
			break;
	}
	if (ret)
		while (d--)
			iommu_unmap(sp->doms[d], iova, n << PAGE_SHIFT);
	return ret;
}

#define PIN_BATCH	512	/* pages pinned per pin_user_pages_fast() */

/*
 * Charge @n pages to the VMM's locked_vm: against the caller's
 * RLIMIT_MEMLOCK, or @acct's for the virtio-iommu worker.
 */
static int account_pages(struct pviommu *p, unsigned long n,
			 const struct pviommu_acct *acct)
{
	unsigned long reuse = 0;
	int ret;

	if (!n)
		return 0;
	if (p->defer && p->defer->credit >= n) {
		p->defer->credit -= n;	/* charged when the batch began */
		return 0;
	}
	if (p->defer) {
		/* Unpinned in this batch and still charged: used first, so
		 * the limit sees what it would without the deferral.
		 */
		reuse = min(p->defer->refund, n);
		p->defer->refund -= reuse;
		n -= reuse;
		if (!n)
			return 0;
	}
	if (!acct) {
		ret = account_locked_vm(p->mm, n, true);
	} else {
		mmap_write_lock(p->mm);
		ret = __account_locked_vm(p->mm, n, true, acct->task,
					  acct->lock_cap);
		mmap_write_unlock(p->mm);
	}
	if (ret && reuse)
		p->defer->refund += reuse;
	return ret;
}

/*
 * Keep @got pages just pinned for @m at @iova: charge them and map them
 * into every domain of @sp.  Reserved ones among them (the zero page) are
 * unpinned again and not charged: type1 neither pins nor counts a
 * reserved pfn.  On failure none of them stays pinned, charged or mapped.
 *
 * Return: @got, or -ENOMEM (also over RLIMIT_MEMLOCK) or the IOMMU
 * driver's error.
 */
static long map_pinned(struct pviommu *p, struct pviommu_space *sp,
		       struct pviommu_map *m, u64 iova, struct page **pages,
		       unsigned long got, const struct pviommu_acct *acct)
{
	unsigned long i, rsvd = 0;
	int ret;

	for (i = 0; i < got; i++)
		rsvd += pfn_reserved(page_to_pfn(pages[i]));
	ret = account_pages(p, got - rsvd, acct);
	if (ret)
		goto err_unpin;
	ret = map_all(sp, iova, pages, 0, got, m->prot);
	if (ret) {
		uncharge(p, got - rsvd);
		goto err_unpin;
	}
	for (i = 0; rsvd && i < got; i++)
		if (pfn_reserved(page_to_pfn(pages[i])))
			unpin_user_page(pages[i]);
	if (got > rsvd)
		m->has_pages = true;
	if (rsvd)
		m->has_rsvd = true;
	p->pinned += got - rsvd;
	return got;

err_unpin:
	unpin_user_pages(pages, got);
	return ret;
}

/*
 * Memory that cannot be pinned at @vaddr, as type1's vaddr_get_pfns()
 * takes it when pinning fails: device memory, in a VM_PFNMAP vma, faulted
 * in if need be, writable if @write, and reserved (a VM_PFNMAP of
 * refcounted pages is refused, as type1 refuses it).  Nothing is pinned
 * or referenced: the IOMMU maps the pfns as the mmap maps them now (what
 * that means when the BAR goes away: Documentation/design.rst).
 *
 * Return: the number of pages from @vaddr on, at most @max, behind which
 * the pfns are contiguous (*@pfn the first), or -errno: @gup_err where no
 * VM_PFNMAP vma is, else that of the lookup or the fault.
 */
static long pfnmap_run(struct mm_struct *mm, unsigned long vaddr,
		       unsigned long max, bool write, long gup_err,
		       unsigned long *pfn)
{
	unsigned int flags = FAULT_FLAG_REMOTE | (write ? FAULT_FLAG_WRITE : 0);
	unsigned long addr, cur, nr, got = 0;
	struct vm_area_struct *vma;
	bool unlocked;
	long ret;

	mmap_read_lock(mm);
	addr = vfio_ext_untagged_addr(mm, vaddr);
retry:
	vma = vma_lookup(mm, addr);
	if (!vma || !(vma->vm_flags & VM_PFNMAP)) {
		ret = gup_err;
		goto out;
	}
	while (got < max && addr < vma->vm_end) {
		ret = vfio_ext_follow_pfnmap(vma, addr, write, &cur, &nr);
		if (ret && ret != -EFAULT) {
			/* Not mapped yet (vfio-pci maps BARs on fault). */
			unlocked = false;
			ret = fixup_user_fault(mm, addr, flags, &unlocked);
			if (unlocked)
				goto retry;	/* mmap_lock was dropped */
			if (!ret)
				ret = vfio_ext_follow_pfnmap(vma, addr, write,
							     &cur, &nr);
		}
		if (!ret && !pfn_reserved(cur))
			ret = -EFAULT;
		if (ret || (got && cur != *pfn + got))
			break;
		if (!got)
			*pfn = cur;
		nr = min(nr, max - got);
		got += nr;
		addr += nr << PAGE_SHIFT;
		cond_resched();
	}
out:
	mmap_read_unlock(mm);
	return got ? got : ret;
}

/*
 * Map the @n contiguous reserved pfns from @pfn for @m at @iova into
 * every domain of @sp; nothing to pin or charge.
 *
 * Return: @n, or the IOMMU driver's error (then nothing is mapped).
 */
static long map_rsvd(struct pviommu_space *sp, struct pviommu_map *m,
		     u64 iova, unsigned long pfn, unsigned long n)
{
	int ret = map_all(sp, iova, NULL, pfn, n, m->prot);

	if (ret)
		return ret;
	m->has_rsvd = true;
	return n;
}

/**
 * pviommu_pin_map() - pin @m's pages (accounted) and map them, and any
 * device memory of @m, into every domain of @sp (lock held, in the VMM's
 * mm)
 * @p: the container
 * @sp: the space
 * @m: the mapping, not pinned
 * @acct: whose limit the pages count against; NULL for the caller
 *
 * Batch by batch: pin what can be pinned; where nothing can, take the
 * run of device memory there (pfnmap_run()), up to the next IOVA window
 * boundary so that superpages can hold it.
 *
 * Return: 0, or -EPERM (not in the container's mm), -ENOMEM (also over
 * RLIMIT_MEMLOCK), -EFAULT (memory neither pinnable nor device memory) or
 * the IOMMU driver's error; then nothing stays pinned, accounted or
 * mapped.
 */
int pviommu_pin_map(struct pviommu *p, struct pviommu_space *sp,
		    struct pviommu_map *m, const struct pviommu_acct *acct)
{
	unsigned long n = pviommu_map_size(m) >> PAGE_SHIFT, done = 0, got;
	bool write = m->prot & IOMMU_WRITE;
	unsigned int gup = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	struct page *small[SMALL_PAGES], **pages = small;
	u64 win = unmap_window(p), iova;
	unsigned long vaddr, pfn;
	long ret;

	if (current->mm != p->mm)
		return -EPERM;	/* only the container's owner maps memory */
	if (n > SMALL_PAGES) {
		pages = kvmalloc_array(min_t(unsigned long, n, PIN_BATCH),
				       sizeof(*pages), GFP_KERNEL_ACCOUNT);
		if (!pages)
			return -ENOMEM;
	}
	m->has_pages = false;
	m->has_rsvd = false;

	while (done < n) {
		vaddr = m->vaddr + (done << PAGE_SHIFT);
		iova = m->node.start + (done << PAGE_SHIFT);
		got = min_t(unsigned long, n - done, PIN_BATCH);
		ret = pin_user_pages_fast(vaddr, got, gup, pages);
		if (ret > 0) {
			ret = map_pinned(p, sp, m, iova, pages, ret, acct);
		} else {
			got = min_t(u64, n - done,
				    (win - (iova & (win - 1))) >> PAGE_SHIFT);
			/*
			 * From 6.12 the fast path answers a range that ends
			 * exactly at the top of the address space with
			 * -EOVERFLOW where type1's slow path finds no VMA:
			 * -EFAULT, as type1.
			 */
			if (!ret || ret == -EOVERFLOW)
				ret = -EFAULT;
			ret = pfnmap_run(p->mm, vaddr, got, write, ret, &pfn);
			if (ret > 0)
				ret = map_rsvd(sp, m, iova, pfn, ret);
		}
		if (ret < 0)
			goto err_unwind;
		done += ret;
		cond_resched();
	}
	if (pages != small)
		kvfree(pages);
	m->pinned = true;
	return 0;

err_unwind:
	if (pages != small)
		kvfree(pages);
	/* Undo the batches that made it: unmap and unpin [0, done). */
	if (done) {
		struct pviommu_map part = *m;

		part.node.last = m->node.start + (done << PAGE_SHIFT) - 1;
		part.pinned = true;
		/* This also unaccounts those pages. */
		pviommu_unmap_unpin(p, sp, &part);
	}
	m->has_pages = false;
	m->has_rsvd = false;
	return ret;
}

/**
 * pviommu_drop_map() - remove @m from @sp's table, unmap and unpin it, and
 * free it (lock held)
 * @p: the container
 * @sp: the space
 * @m: the mapping
 */
void pviommu_drop_map(struct pviommu *p, struct pviommu_space *sp,
		      struct pviommu_map *m)
{
	pviommu_unmap_unpin(p, sp, m);
	pviommu_table_remove(&sp->table, m);
	p->nr_maps--;
	if (sp->guest)
		p->nr_guest_maps--;
	kfree(m);
}

/**
 * pviommu_do_map() - one map into @sp with type1v2 semantics (lock held)
 * @p: the container
 * @sp: the space
 * @vaddr: VMM address of the first byte
 * @iova: IOVA of the first byte
 * @size: bytes
 * @prot: IOMMU_READ / IOMMU_WRITE, or 0 (refused, after the wrap check)
 * @acct: whose limit the pinned pages count against; NULL for the caller
 *
 * The memory may be RAM (pinned) or device memory (a VM_PFNMAP mmap: not
 * pinned, not charged), as with type1.
 *
 * Return: 0; -EINVAL (size 0, alignment, outside the valid IOVA ranges,
 * no permission); -VFIO_EXT_DMA_WRAP_ERRNO (the IOVA or vaddr range
 * wraps: -EINVAL or -EOVERFLOW, as type1 on this kernel); -EEXIST
 * (overlaps a mapping); -ENOSPC (dma_entry_limit, or in a guest domain
 * the guest budget); -ENOMEM (also over
 * RLIMIT_MEMLOCK); -EFAULT (memory neither pinnable nor device memory).
 */
int pviommu_do_map(struct pviommu *p, struct pviommu_space *sp, u64 vaddr,
		   u64 iova, u64 size, int prot,
		   const struct pviommu_acct *acct)
{
	u64 align = (u64)1 << __ffs64(p->pgsize_bitmap);
	struct pviommu_map *m;
	int ret;

	lockdep_assert_held(&p->lock);
	/* In type1's order, which decides the errno of a request with
	 * several faults.
	 */
	if (!size)
		return -EINVAL;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr ||
	    vaddr + size - 1 > ULONG_MAX)
		return -VFIO_EXT_DMA_WRAP_ERRNO;
	if (!prot || (size | iova | vaddr) & (align - 1))
		return -EINVAL;
	if (pviommu_table_first(&sp->table, iova, iova + size - 1))
		return -EEXIST;
	/* A guest exhausting its budget leaves the VMM's own alone. */
	if (sp->guest ? p->nr_guest_maps >= p->guest_limit :
	    p->nr_maps - p->nr_guest_maps >= p->dma_limit)
		return -ENOSPC;
	if (!pviommu_ranges_contain(&p->valid, iova, iova + size - 1))
		return -EINVAL;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	m->node.start = iova;
	m->node.last = iova + size - 1;
	m->vaddr = vaddr;
	m->prot = prot;
	ret = pviommu_table_insert(&sp->table, m);
	if (ret) {
		kfree(m);
		return ret;
	}
	/* Without a domain the mapping waits to be replayed on attach. */
	if (sp->nr_doms) {
		ret = pviommu_pin_map(p, sp, m, acct);
		if (ret) {
			pviommu_table_remove(&sp->table, m);
			kfree(m);
			return ret;
		}
	}
	p->nr_maps++;
	if (sp->guest)
		p->nr_guest_maps++;
	return 0;
}

/**
 * pviommu_do_unmap() - one unmap with type1v2 semantics (lock held)
 * @p: the container
 * @sp: the space
 * @iova: first byte
 * @size: bytes
 * @all: VFIO_DMA_UNMAP_FLAG_ALL (@iova and @size 0)
 * @done: out: bytes unmapped
 *
 * Whole mappings only: a mapping crossing either end of the range fails
 * the call (-EINVAL) and nothing is unmapped; a range without mappings
 * unmaps nothing and succeeds.
 *
 * Return: 0, -EINVAL, or -VFIO_EXT_DMA_WRAP_ERRNO (an aligned range that
 * wraps, as type1 on this kernel).
 */
int pviommu_do_unmap(struct pviommu *p, struct pviommu_space *sp, u64 iova,
		     u64 size, bool all, u64 *done)
{
	u64 align = (u64)1 << __ffs64(p->pgsize_bitmap), start, last;

	lockdep_assert_held(&p->lock);
	*done = 0;
	if (all) {
		if (iova || size)
			return -EINVAL;
		start = 0;
		last = U64_MAX;
	} else {
		if (!size || (iova | size) & (align - 1))
			return -EINVAL;
		if (iova + size - 1 < iova)
			return -VFIO_EXT_DMA_WRAP_ERRNO;
		start = iova;
		last = iova + size - 1;
	}
	return pviommu_unmap_range(p, sp, start, last, done);
}

/**
 * pviommu_unmap_range() - remove every mapping inside [@start, @last]
 * (lock held)
 * @p: the container
 * @sp: the space
 * @start: first byte
 * @last: last byte
 * @done: out: bytes unmapped
 *
 * Return: 0, or -EINVAL (nothing unmapped) if a mapping crosses either
 * end of the range.
 */
int pviommu_unmap_range(struct pviommu *p, struct pviommu_space *sp,
			u64 start, u64 last, u64 *done)
{
	struct pviommu_map *m, *next;
	int ret;

	lockdep_assert_held(&p->lock);
	*done = 0;
	ret = pviommu_table_unmap_check(&sp->table, start, last);
	if (ret)
		return ret;
	for (m = pviommu_table_first(&sp->table, start, last); m; m = next) {
		next = pviommu_table_next(m, start, last);
		*done += pviommu_map_size(m);
		pviommu_drop_map(p, sp, m);
	}
	return 0;
}
