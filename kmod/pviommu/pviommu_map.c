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

/**
 * pviommu_refund() - give @n pages back to the container's locked_vm now
 * @p: the container
 * @n: pages
 *
 * A refund checks no limit, so unlike account_locked_vm() it does not ask
 * capable(CAP_IPC_LOCK) through the LSMs first (type1 likewise reuses
 * the answer it got when it charged).
 */
void pviommu_refund(struct pviommu *p, unsigned long n)
{
	if (!n || !p->mm)
		return;
	mmap_write_lock(p->mm);
	__account_locked_vm(p->mm, n, false, current, false);
	mmap_write_unlock(p->mm);
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
		pviommu_refund(p, n);
}

/*
 * Unpin the @n physically contiguous pages from @phys on, pinned for @m,
 * dirty if @m was writable; a reserved pfn among them was neither pinned
 * nor charged (type1's put_pfn()); a mapping without any (!@m->has_rsvd)
 * is not asked, so RAM is released whatever became of the pfns of device
 * memory elsewhere.  Return: the pages unpinned.
 */
static unsigned long unpin_run(const struct pviommu_map *m, phys_addr_t phys,
			       unsigned long n)
{
	unsigned long pfn = PHYS_PFN(phys), i, run, done = 0;

	for (i = 0; i < n; i += run) {
		run = 1;
		if (m->has_rsvd && pfn_reserved(pfn + i))
			continue;
		while (i + run < n &&
		       !(m->has_rsvd && pfn_reserved(pfn + i + run)))
			run++;
		unpin_user_page_range_dirty_lock(pfn_to_page(pfn + i), run,
						 m->prot & IOMMU_WRITE);
		done += run;
	}
	return done;
}

/*
 * Unpin the pages at @n physical addresses of @m (one per IOVA page, read
 * before the unmap), in physically contiguous runs.  0 is no page
 * (iommu_iova_to_phys() found none): never unpinned.  Return: the pages
 * unpinned.
 */
static unsigned long unpin_phys(const struct pviommu_map *m,
				const phys_addr_t *phys, unsigned long n)
{
	unsigned long i, run, pinned = 0;

	for (i = 0; i < n; i += run) {
		run = 1;
		if (WARN_ON_ONCE(!phys[i]))
			continue;	/* a hole in a pinned mapping: a bug */
		while (i + run < n && phys[i + run] == phys[i] + run * PAGE_SIZE)
			run++;
		pinned += unpin_run(m, phys[i], run);
	}
	return pinned;
}

/*
 * The IOVA window: the largest page size every domain of the container
 * has (capped at 1 GiB; it bounds the transient address array at 2 MiB).
 * Maps and replays cut their runs at window boundaries, so no domain
 * makes a page larger than the window; but the window shrinks when a
 * group whose IOMMU has smaller pages joins, so unmapping never assumes
 * it (unmap_dom()).
 */
static u64 pviommu_window(struct pviommu *p)
{
	return 1ULL << min(fls64(p->pgsize_bitmap) - 1, 30);
}

/* The smallest span a page-table page maps: PTEs per page times a page. */
#define PVIOMMU_TABLE_SPAN	((PAGE_SIZE / sizeof(u64)) * PAGE_SIZE)

/*
 * Before unmapping [@iova, @iova + @size) into @gather: flush what it
 * holds when the new range is disjoint from it or could free a
 * page-table page.  Intel VT-d before the generic page table (6.1, 6.12)
 * puts the table pages an unmap frees on the gather's freelist and only
 * then adds the range, which syncs the gather when the range is disjoint
 * from it or of another page size -- freeing those table pages with the
 * old range's flush, before the new range's.  An unmap smaller than a
 * table's span frees none; ranges that meet merge.
 */
static void gather_room(struct iommu_domain *domain,
			struct iommu_iotlb_gather *gather, u64 iova, u64 size)
{
	if (vfio_ext_gather_holds(gather) &&
	    (size >= PVIOMMU_TABLE_SPAN ||
	     vfio_ext_gather_disjoint(gather, iova, size)))
		iommu_iotlb_sync(domain, gather);
}

/*
 * Unmap @size bytes from @iova in @domain.  Return: the bytes actually
 * unmapped from @iova on, more than @size when a page of the domain
 * reaches past the range (IOMMU drivers unmap a large page whole and say
 * so, as type1 relies on).  A hole, at which an IOMMU driver may stop
 * (7.3's generic page table does), is stepped over page by page.  Less
 * than @size when the driver unmapped nothing where a page is still
 * mapped: io-pgtable-arm refuses to split a block (7.3) or fails to
 * allocate for the split (6.1, 6.12); nothing from there on may be
 * unpinned.
 */
static u64 unmap_dom(struct iommu_domain *domain, u64 iova, u64 size,
		     struct iommu_iotlb_gather *gather)
{
	u64 done = 0;
	size_t n;

	while (done < size) {
		/* With @gather, the IOTLB is flushed later (flush_gather()). */
		if (gather)
			gather_room(domain, gather, iova + done, size - done);
		n = gather ? iommu_unmap_fast(domain, iova + done, size - done,
					      gather) :
			     iommu_unmap(domain, iova + done, size - done);
		if (!n) {
			if (iommu_iova_to_phys(domain, iova + done))
				break;
			n = PAGE_SIZE;
		}
		done += n;
	}
	return done;
}

/* @f's gather for @domain, a new one if there is room; or NULL. */
static struct iommu_iotlb_gather *flush_gather(struct pviommu_flush *f,
					       struct iommu_domain *domain)
{
	unsigned int i;

	for (i = 0; i < f->nr_doms; i++)
		if (f->dom[i].domain == domain)
			return &f->dom[i].gather;
	if (f->nr_doms == PVIOMMU_FLUSH_DOMS)
		return NULL;
	f->dom[i].domain = domain;
	iommu_iotlb_gather_init(&f->dom[i].gather);
	f->nr_doms++;
	return &f->dom[i].gather;
}

/**
 * pviommu_flush_pending() - flush the IOTLB of every domain an unmap left
 * unflushed (@p->pending), then unpin (and uncharge) what was unmapped
 * (lock held)
 * @p: the container
 *
 * Until then the pages stay pinned: a device that still reaches one
 * through a stale IOTLB entry reaches memory that is still the VMM's.
 */
void pviommu_flush_pending(struct pviommu *p)
{
	struct pviommu_flush *f = p->pending;
	unsigned long pinned = 0;
	unsigned int i;

	lockdep_assert_held(&p->lock);
	if (!f)
		return;
	p->pending = NULL;
	for (i = 0; i < f->nr_doms; i++)
		iommu_iotlb_sync(f->dom[i].domain, &f->dom[i].gather);
	f->nr_doms = 0;
	for (i = 0; i < f->nr_runs; i++) {
		unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(f->run[i].phys)),
						 f->run[i].n, f->run[i].write);
		pinned += f->run[i].n;
	}
	f->nr_runs = 0;
	p->pinned -= pinned;
	uncharge(p, pinned);
}

/**
 * pviommu_defer_begin() - defer locked_vm refunds until pviommu_defer_end()
 * @p: the container (lock held)
 * @d: the deferral (the caller's; zeroed here)
 *
 * For a virtio-iommu round: each map is still charged (and checked against
 * the limit) on its own, but pages unpinned in the round are given back once
 * at its end, and a later map of the round takes from them first -- one
 * mmap_lock round trip per round instead of one per map and per unmap
 * when the guest queues MAP/UNMAP pairs.  With @d->flush set (by the
 * caller, after this), unmaps also defer their IOTLB flush and unpinning
 * to pviommu_defer_end() (account_pages() says what that does to a map).
 */
void pviommu_defer_begin(struct pviommu *p, struct pviommu_defer *d)
{
	lockdep_assert_held(&p->lock);
	d->credit = 0;
	d->refund = 0;
	d->flush = NULL;
	pviommu_defer_resume(p, d);
}

/**
 * pviommu_defer_pause() - the container lock is about to be let go of in
 * the middle of @d (a virtio-iommu round, between two requests)
 * @p: the container (lock held)
 * @d: the deferral in progress
 *
 * Whoever takes the lock next works without @d; what @d's unmaps left
 * unflushed stays in @p->pending, which that taker flushes first
 * (pviommu_lock()).
 */
void pviommu_defer_pause(struct pviommu *p, struct pviommu_defer *d)
{
	lockdep_assert_held(&p->lock);
	p->defer = d->prev;
}

/**
 * pviommu_defer_resume() - go on with @d, begun or paused before
 * @p: the container (lock held)
 * @d: the deferral
 */
void pviommu_defer_resume(struct pviommu *p, struct pviommu_defer *d)
{
	lockdep_assert_held(&p->lock);
	/* Whoever took the lock since the pause flushed (pviommu_lock()),
	 * and a batch call flushes before it lets go: nothing else pends.
	 */
	if (WARN_ON_ONCE(p->pending && p->pending != d->flush))
		pviommu_flush_pending(p);
	d->prev = p->defer;
	p->defer = d;
}

/**
 * pviommu_defer_end() - flush what @d's unmaps left unflushed, then give
 * back the credit left and what was unpinned
 * @p: the container (lock held)
 * @d: the deferral
 */
void pviommu_defer_end(struct pviommu *p, struct pviommu_defer *d)
{
	lockdep_assert_held(&p->lock);
	pviommu_flush_pending(p);
	p->defer = d->prev;
	pviommu_refund(p, d->credit + d->refund);
}

/*
 * May unmapping @m from @sp wait for the batch's flush?  When the batch
 * defers flushes, @m's pages (if any) are one contiguous run (@base is
 * its first page), and there is room for every domain of @sp and for
 * the run -- after flushing what is pending if that makes room.  Return:
 * the deferral, its gathers ready for every domain, now @p->pending; or
 * NULL: unmap and flush now.
 */
static struct pviommu_flush *unmap_deferral(struct pviommu *p,
					    struct pviommu_space *sp,
					    struct pviommu_map *m,
					    phys_addr_t base)
{
	struct pviommu_flush *f = p->defer ? p->defer->flush : NULL;
	unsigned int d, try;

	if (!f || (m->has_pages && !base) || sp->nr_doms > PVIOMMU_FLUSH_DOMS)
		return NULL;
	for (try = 0; try < 2; try++) {
		for (d = 0; d < sp->nr_doms; d++)
			if (!flush_gather(f, sp->doms[d]))
				break;
		if (d == sp->nr_doms && f->nr_runs < PVIOMMU_FLUSH_RUNS) {
			p->pending = f;
			return f;
		}
		pviommu_flush_pending(p);	/* then there is room */
	}
	return NULL;
}

/*
 * Unmap @m from every domain of @sp, window by window, and unpin what
 * was unmapped: from @base on (@m one contiguous run from @base), or at
 * the addresses @phys (room for a window's pages) found before each
 * window leaves the page tables, or nothing (@m maps device memory alone).
 */
static void unmap_windows(struct pviommu *p, struct pviommu_space *sp,
			  struct pviommu_map *m, phys_addr_t base,
			  phys_addr_t *phys)
{
	u64 win = pviommu_window(p), iova = m->node.start, left, size, got, safe;
	unsigned long n, i, pinned, deferred = 0;
	struct pviommu_flush *f;
	unsigned int d;

	left = pviommu_map_size(m);
	f = phys ? NULL : unmap_deferral(p, sp, m, base);
	while (left) {
		/* Up to the next window boundary, or the mapping's end. */
		size = min(left, win - (iova & (win - 1)));
		n = size >> PAGE_SHIFT;
		for (i = 0; phys && i < n; i++)
			phys[i] = iommu_iova_to_phys(sp->doms[0],
						     iova + (i << PAGE_SHIFT));
		/* Never past the mapping: its pages end there. */
		got = min(unmap_dom(sp->doms[0], iova, size,
				    f ? flush_gather(f, sp->doms[0]) : NULL),
			  left);
		/* Only what no domain maps any more may be unpinned. */
		safe = got;
		for (d = 1; d < sp->nr_doms; d++)
			safe = min(safe, unmap_dom(sp->doms[d], iova, got,
						   f ? flush_gather(f, sp->doms[d]) :
						   NULL));
		if (f) {
			/* Unpinned after the batch's flush, as one run. */
			deferred += safe >> PAGE_SHIFT;
		} else if (base) {
			/* With any of a page reaching past the window. */
			pinned = unpin_run(m, base + (iova - m->node.start),
					   safe >> PAGE_SHIFT);
			p->pinned -= pinned;
			uncharge(p, pinned);
		} else if (phys) {
			pinned = unpin_phys(m, phys, min(safe, size) >> PAGE_SHIFT);
			/* The rest of a page reaching past the window. */
			if (safe > size && phys[n - 1])
				pinned += unpin_run(m, phys[n - 1] + PAGE_SIZE,
						    (safe - size) >> PAGE_SHIFT);
			p->pinned -= pinned;
			uncharge(p, pinned);
		}
		if (!got || safe < got) {
			/*
			 * An IOMMU driver kept a page it was asked to unmap
			 * (io-pgtable-arm on 7.3 refuses to split a block: in
			 * the first domain that is nothing unmapped at all,
			 * which would otherwise go round this loop forever):
			 * the device may still reach it, so the rest of the
			 * mapping stays pinned and charged for good.
			 */
			WARN_ONCE(1, "pviommu: IOMMU driver did not unmap IOVA %#llx; pages left pinned\n",
				  iova + safe);
			p->unmap_refused = true;
			break;
		}
		iova += got;
		left -= got;
		cond_resched();
	}
	if (f && m->has_pages && deferred) {
		f->run[f->nr_runs].phys = base;
		f->run[f->nr_runs].n = deferred;
		f->run[f->nr_runs].write = m->prot & IOMMU_WRITE;
		f->nr_runs++;
	}
}

/*
 * unmap_windows() for a mapping whose pages are not one run: their
 * addresses, a window's worth at a time, in an array of their own (out
 * of line: every other unmap's frame is spared zeroing it, with
 * CONFIG_INIT_STACK_ALL_ZERO as distributions build).
 */
static noinline void unmap_scattered(struct pviommu *p,
				     struct pviommu_space *sp,
				     struct pviommu_map *m)
{
	phys_addr_t small[SMALL_PAGES], *phys;
	unsigned long n = min(pviommu_map_size(m), pviommu_window(p)) >>
			  PAGE_SHIFT;

	/* Small maps use the stack. */
	phys = n <= SMALL_PAGES ? small :
	       kvmalloc_array(n, sizeof(*phys), GFP_KERNEL | __GFP_NOFAIL);
	unmap_windows(p, sp, m, 0, phys);
	if (phys != small)
		kvfree(phys);
}

/**
 * pviommu_unmap_unpin() - unmap @m from every domain of @sp and unpin its
 * pages (lock held); @m stays in the table, not pinned
 * @p: the container
 * @sp: the space
 * @m: the mapping; nothing happens unless it is pinned
 *
 * Window by window, as type1 does by the size actually unmapped: find the
 * pages of a window before they leave the page tables, unmap it from the
 * first domain (the IOTLB is flushed), then from the others by as much
 * as the first one unmapped (a page reaching past the window goes whole),
 * then unpin the window's pages and those of the page reaching past it
 * (contiguous with the window's last).  A mapping that is one contiguous
 * run of pages (@m->contig: a huge page, typically) is found from its
 * first page alone, where type1 asks the IOMMU for every page.  A mapping
 * of device memory alone has nothing to find or unpin.  Yields between
 * windows.  In a batch or round that defers flushes (pviommu_defer_begin()),
 * a contiguous mapping's IOTLB flush and unpinning wait for
 * pviommu_flush_pending().
 */
void pviommu_unmap_unpin(struct pviommu *p, struct pviommu_space *sp,
			 struct pviommu_map *m)
{
	phys_addr_t base = 0;

	if (!m->pinned)
		return;
	/* One contiguous run: its first page tells where every page is. */
	if (m->has_pages && m->contig)
		base = iommu_iova_to_phys(sp->doms[0], m->node.start);
	if (m->has_pages && !base)
		unmap_scattered(p, sp, m);
	else
		unmap_windows(p, sp, m, base, NULL);
	m->pinned = false;
	m->has_pages = false;
	m->has_rsvd = false;
	m->contig = false;
}

/*
 * Map @n @pages at @iova into @domain in physically contiguous runs, cut
 * at boundaries of the window @win (pviommu_window()).
 */
static int map_pages(struct iommu_domain *domain, u64 iova,
		     struct page **pages, unsigned long n, int prot, u64 win)
{
	unsigned long i = 0, run;
	int ret;

	while (i < n) {
		run = 1;
		while (i + run < n &&
		       page_to_pfn(pages[i + run]) == page_to_pfn(pages[i]) + run &&
		       (iova + ((i + run) << PAGE_SHIFT)) & (win - 1))
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
 * @pages, the contiguous pfns from @pfn on (within one window: the
 * caller cuts them).  On failure no domain keeps any of them.
 */
static int map_all(struct pviommu *p, struct pviommu_space *sp, u64 iova,
		   struct page **pages, unsigned long pfn, unsigned long n,
		   int prot)
{
	u64 win = pviommu_window(p);
	unsigned int d;
	int ret = 0;

	for (d = 0; d < sp->nr_doms; d++) {
		ret = pages ? map_pages(sp->doms[d], iova, pages, n, prot, win) :
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
static int charge(struct pviommu *p, unsigned long n,
		  const struct pviommu_acct *acct)
{
	int ret;

	if (!acct)
		return account_locked_vm(p->mm, n, true);
	mmap_write_lock(p->mm);
	ret = __account_locked_vm(p->mm, n, true, acct->task, acct->lock_cap);
	mmap_write_unlock(p->mm);
	return ret;
}

/*
 * Charge @n pages for a map.  In a batch, pages charged ahead (credit)
 * and pages unpinned and still charged (refund) are used first.  A
 * virtio-iommu round cannot charge ahead (it does not know its next
 * requests) and unpins only at its end (its flush is deferred): when its
 * credit is used up it charges PVIOMMU_ROUND_CREDIT pages more if the
 * limit allows, and at the limit it flushes first, so that what its
 * unmaps pinned is given back before a map fails: the limit applies
 * exactly as without deferral, and nothing pinned is ever uncharged.
 * While a round lets go of the container lock, its credit (at most
 * PVIOMMU_ROUND_CREDIT pages) stays charged.
 */
static int account_pages(struct pviommu *p, unsigned long n,
			 const struct pviommu_acct *acct)
{
	struct pviommu_defer *d = p->defer;
	unsigned long credit, reuse, more;
	int ret;

	if (!n)
		return 0;
	if (!d)
		return charge(p, n, acct);
	/*
	 * Pages charged ahead, then pages unpinned and still charged, are
	 * used before charging: the limit sees what it would without the
	 * deferral.
	 */
	credit = min(d->credit, n);
	d->credit -= credit;
	reuse = min(d->refund, n - credit);
	d->refund -= reuse;
	n -= credit + reuse;
	if (!n)
		return 0;
	/* Here the credit is used up: a round charges ahead again. */
	if (d->flush && !charge(p, n + PVIOMMU_ROUND_CREDIT, acct)) {
		d->credit = PVIOMMU_ROUND_CREDIT;
		return 0;
	}
	ret = charge(p, n, acct);
	if (ret && p->pending) {
		pviommu_flush_pending(p);	/* refunds into @d */
		more = min(d->refund, n);
		d->refund -= more;
		reuse += more;
		n -= more;
		ret = n ? charge(p, n, acct) : 0;
	}
	if (ret) {
		d->credit += credit;
		d->refund += reuse;
	}
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
		       unsigned long got, const struct pviommu_acct *acct,
		       unsigned long *next_pfn)
{
	unsigned long i, rsvd = 0, pfn, pfn0 = page_to_pfn(pages[0]);
	bool run = true;
	int ret;

	for (i = 0; i < got; i++) {
		pfn = page_to_pfn(pages[i]);
		rsvd += pfn_reserved(pfn);
		run &= pfn == pfn0 + i;
	}
	ret = account_pages(p, got - rsvd, acct);
	if (ret)
		goto err_unpin;
	ret = map_all(p, sp, iova, pages, 0, got, m->prot);
	if (ret) {
		uncharge(p, got - rsvd);
		goto err_unpin;
	}
	for (i = 0; rsvd && i < got; i++)
		if (pfn_reserved(page_to_pfn(pages[i])))
			unpin_user_page(pages[i]);
	/* Still one run when this batch continues the last one's. */
	m->contig = m->contig && run && !rsvd &&
		    (!m->has_pages || pfn0 == *next_pfn);
	*next_pfn = pfn0 + got;
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
static long map_rsvd(struct pviommu *p, struct pviommu_space *sp,
		     struct pviommu_map *m, u64 iova, unsigned long pfn,
		     unsigned long n)
{
	int ret = map_all(p, sp, iova, NULL, pfn, n, m->prot);

	if (ret)
		return ret;
	m->has_rsvd = true;
	m->contig = false;
	return n;
}

/*
 * pviommu_pin_map()'s work, pinning into @pages (room for
 * min(@m's pages, PIN_BATCH)).
 */
static int pin_map_batches(struct pviommu *p, struct pviommu_space *sp,
			   struct pviommu_map *m,
			   const struct pviommu_acct *acct, struct page **pages)
{
	unsigned long n = pviommu_map_size(m) >> PAGE_SHIFT, done = 0, got;
	bool write = m->prot & IOMMU_WRITE;
	unsigned int gup = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	u64 win = pviommu_window(p), iova;
	unsigned long vaddr, pfn, next_pfn = 0;
	long ret;

	m->has_pages = false;
	m->has_rsvd = false;
	m->contig = true;	/* until a page breaks the run */

	while (done < n) {
		vaddr = m->vaddr + (done << PAGE_SHIFT);
		iova = m->node.start + (done << PAGE_SHIFT);
		got = min_t(unsigned long, n - done, PIN_BATCH);
		ret = pin_user_pages_fast(vaddr, got, gup, pages);
		if (ret > 0) {
			ret = map_pinned(p, sp, m, iova, pages, ret, acct,
					 &next_pfn);
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
				ret = map_rsvd(p, sp, m, iova, pfn, ret);
		}
		if (ret < 0)
			goto err_unwind;
		done += ret;
		cond_resched();
	}
	m->pinned = true;
	return 0;

err_unwind:
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
	m->contig = false;
	return ret;
}

/*
 * Up to SMALL_PAGES pages: the page array on the stack, in a frame of
 * its own (a single page's map is spared zeroing it, with
 * CONFIG_INIT_STACK_ALL_ZERO as distributions build).
 */
static noinline int pin_map_small(struct pviommu *p, struct pviommu_space *sp,
				  struct pviommu_map *m,
				  const struct pviommu_acct *acct)
{
	struct page *pages[SMALL_PAGES];

	return pin_map_batches(p, sp, m, acct, pages);
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
	unsigned long n = pviommu_map_size(m) >> PAGE_SHIFT;
	struct page *one, **pages;
	int ret;

	if (current->mm != p->mm)
		return -EPERM;	/* only the container's owner maps memory */
	if (n == 1)
		return pin_map_batches(p, sp, m, acct, &one);
	if (n <= SMALL_PAGES)
		return pin_map_small(p, sp, m, acct);
	pages = kvmalloc_array(min_t(unsigned long, n, PIN_BATCH),
			       sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;
	ret = pin_map_batches(p, sp, m, acct, pages);
	kvfree(pages);
	return ret;
}

/**
 * pviommu_replay() - map every pinned mapping of @sp, as @from holds it,
 * into @to (lock held)
 * @p: the container
 * @sp: the space
 * @from: a domain of @sp
 * @to: a new domain, about to join @sp
 *
 * In physically contiguous runs (so superpages survive), cut at window
 * boundaries (pviommu_window()) so that @to holds no page larger than
 * the window; yields between runs.
 *
 * Return: 0, or the IOMMU driver's error, or -EFAULT when @from lacks a
 * page of a pinned mapping (a bug: nothing maps the pfn 0 it reads as);
 * then the caller frees @to with what was mapped.
 */
int pviommu_replay(struct pviommu *p, struct pviommu_space *sp,
		   struct iommu_domain *from, struct iommu_domain *to)
{
	u64 win = pviommu_window(p), off, size, run_off;
	phys_addr_t phys, run_phys;
	struct pviommu_map *m;
	int ret;

	lockdep_assert_held(&p->lock);
	for (m = pviommu_table_first(&sp->table, 0, U64_MAX); m;
	     m = pviommu_table_next(m, 0, U64_MAX)) {
		if (!m->pinned)
			continue;
		size = pviommu_map_size(m);
		run_off = 0;
		run_phys = iommu_iova_to_phys(from, m->node.start);
		for (off = PAGE_SIZE; off <= size; off += PAGE_SIZE) {
			phys = off < size ?
			       iommu_iova_to_phys(from, m->node.start + off) : 0;
			if (off < size && phys == run_phys + (off - run_off) &&
			    (m->node.start + off) & (win - 1))
				continue;
			if (WARN_ON_ONCE(!run_phys))
				return -EFAULT;
			ret = vfio_ext_iommu_map(to, m->node.start + run_off,
						 run_phys, off - run_off,
						 m->prot);
			if (ret)
				return ret;
			run_off = off;
			run_phys = phys;
			cond_resched();
		}
	}
	return 0;
}

/**
 * pviommu_space_unmap_dom() - unmap every pinned mapping of @sp from
 * @domain, which is leaving @sp (lock held); nothing is unpinned
 * @p: the container
 * @sp: the space
 * @domain: no longer one of @sp->doms
 */
void pviommu_space_unmap_dom(struct pviommu *p, struct pviommu_space *sp,
			     struct iommu_domain *domain)
{
	struct pviommu_map *m;

	lockdep_assert_held(&p->lock);
	for (m = pviommu_table_first(&sp->table, 0, U64_MAX); m;
	     m = pviommu_table_next(m, 0, U64_MAX)) {
		if (m->pinned)
			unmap_dom(domain, m->node.start, pviommu_map_size(m),
				  NULL);
		cond_resched();
	}
}

/*
 * A mapping object: the container's spare (the one freed last), or a new
 * one.  A VMM or guest that maps and unmaps in turn -- the pattern of a
 * virtio-iommu driver and of most VMM MAP_DMA traffic -- then allocates
 * nothing; the spare stays charged to the memcg that allocated it and is
 * freed with the container (pviommu_free()).  lock held.
 */
static struct pviommu_map *map_alloc(struct pviommu *p)
{
	struct pviommu_map *m = p->spare;

	if (!m)
		return kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	p->spare = NULL;
	memset(m, 0, sizeof(*m));
	return m;
}

static void map_free(struct pviommu *p, struct pviommu_map *m)
{
	if (p->spare)
		kfree(m);
	else
		p->spare = m;
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
	map_free(p, m);
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

	m = map_alloc(p);
	if (!m)
		return -ENOMEM;
	m->node.start = iova;
	m->node.last = iova + size - 1;
	m->vaddr = vaddr;
	/* Cache-coherent DMA where the IOMMU can enforce it, as type1. */
	m->prot = prot | IOMMU_CACHE;
	/* Free: looked up above, under the same lock. */
	pviommu_table_add(&sp->table, m);
	/* Without a domain the mapping waits to be replayed on attach. */
	if (sp->nr_doms) {
		ret = pviommu_pin_map(p, sp, m, acct);
		if (ret) {
			pviommu_table_remove(&sp->table, m);
			map_free(p, m);
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

	lockdep_assert_held(&p->lock);
	*done = 0;
	m = pviommu_table_first(&sp->table, start, last);
	if (!pviommu_table_unmap_first(&sp->table, m, start, last))
		return -EINVAL;
	for (; m; m = next) {
		/* Nothing follows a mapping that ends the range. */
		next = m->node.last == last ? NULL :
		       pviommu_table_next(m, start, last);
		*done += pviommu_map_size(m);
		pviommu_drop_map(p, sp, m);
	}
	return 0;
}
