// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites for the pviommu mapping table.
 *
 * pviommu_table: the table alone (overlaps, whole-mapping unmap checks,
 * u64 edges, the per-mapping memory figure).
 *
 * pviommu_domain: the map and unmap paths of pviommu_map.c, through the
 * table into a real IOMMU domain with real pinned pages: what the IOMMU
 * translates after a map and after an unmap, the split rules, u64 edges,
 * reserved pages (neither pinned nor charged), and that a failing
 * iommu_map(), pin or charge leaves no table entry, pin or charge behind.
 * It needs a PCI device behind an IOMMU (the debug VM's emulated VT-d:
 * without one it fails there) and a loading process; on UML every case
 * is skipped.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "pviommu_table.c"
#include "pviommu_map.c"

static struct pviommu_map *new_map(struct kunit *test, u64 start, u64 last)
{
	struct pviommu_map *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->node.start = start;
	m->node.last = last;
	return m;
}

static int ins(struct pviommu_table *t, struct kunit *test, u64 start,
	       u64 last)
{
	return pviommu_table_insert(t, new_map(test, start, last));
}

static void table_overlaps(struct kunit *test)
{
	struct pviommu_table t;

	pviommu_table_init(&t);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x1000, 0x2fff), 0);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x4000, 0x4fff), 0);
	KUNIT_EXPECT_EQ(test, ins(&t, test, 0x2000, 0x3fff), -EEXIST);
	KUNIT_EXPECT_EQ(test, ins(&t, test, 0x0, 0x1000), -EEXIST);
	KUNIT_EXPECT_EQ(test, ins(&t, test, 0x3000, 0x3fff), 0);
	/* The top of the address space. */
	KUNIT_EXPECT_EQ(test, ins(&t, test, U64_MAX - 0xfff, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, t.count, 4U);
	KUNIT_EXPECT_NOT_NULL(test, pviommu_table_first(&t, U64_MAX, U64_MAX));
	KUNIT_EXPECT_NULL(test, pviommu_table_first(&t, 0x5000, U64_MAX - 0x1000));
}

static void table_unmap_rules(struct kunit *test)
{
	struct pviommu_table t;
	struct pviommu_map *m;
	u64 sum = 0;
	int n = 0;

	pviommu_table_init(&t);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x10000, 0x1ffff), 0);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x20000, 0x20fff), 0);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x30000, 0x30fff), 0);

	/* Splitting either end is refused; whole mappings are fine. */
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x11000, 0x20fff), -EINVAL);
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x10000, 0x1efff), -EINVAL);
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x10000, 0x20fff), 0);
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x0, U64_MAX), 0);
	/* A range with no mapping is not an error (nothing is unmapped). */
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x40000, 0x40fff), 0);

	/* Walking a range visits exactly the contained mappings. */
	for (m = pviommu_table_first(&t, 0x10000, 0x2ffff); m;
	     m = pviommu_table_next(m, 0x10000, 0x2ffff)) {
		sum += pviommu_map_size(m);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, sum, 0x11000ULL);
}

/* The rule itself, by brute force: no mapping crosses either end. */
static bool unmap_ok_ref(const u64 (*maps)[2], int n, u64 start, u64 last)
{
	int i;

	for (i = 0; i < n; i++) {
		if (maps[i][0] < start && maps[i][1] >= start)
			return false;
		if (maps[i][0] <= last && maps[i][1] > last)
			return false;
	}
	return true;
}

/*
 * The one-lookup check (pviommu_table_unmap_first(), the unmap path's)
 * against the rule for every range over a small layout: page-granular
 * starts and ends around mappings of one and of several pages, adjacent
 * and apart, and the top of the address space.
 */
static void table_unmap_first_exhaustive(struct kunit *test)
{
	static const u64 maps[][2] = {
		{ 0x1000, 0x1fff }, { 0x2000, 0x4fff }, { 0x6000, 0x6fff },
		{ 0x8000, 0xafff }, { U64_MAX - 0x1fff, U64_MAX },
	};
	static const u64 edges[] = {
		0x0, 0x1000, 0x2000, 0x3000, 0x5000, 0x6000, 0x7000, 0x8000,
		0x9000, 0xb000, U64_MAX - 0x2fff, U64_MAX - 0x1fff,
		U64_MAX - 0xfff,
	};
	struct pviommu_table t;
	unsigned int i, j, n = 0;
	struct pviommu_map *m;
	u64 start, last;
	bool want;

	pviommu_table_init(&t);
	for (i = 0; i < ARRAY_SIZE(maps); i++)
		KUNIT_ASSERT_EQ(test, ins(&t, test, maps[i][0], maps[i][1]), 0);
	for (i = 0; i < ARRAY_SIZE(edges); i++) {
		for (j = 0; j < ARRAY_SIZE(edges); j++) {
			start = edges[i];
			last = edges[j] + 0xfff;
			if (last < start)
				continue;
			want = unmap_ok_ref(maps, ARRAY_SIZE(maps), start, last);
			m = pviommu_table_first(&t, start, last);
			KUNIT_EXPECT_EQ_MSG(test, want,
					    pviommu_table_unmap_first(&t, m, start,
								      last),
					    "range %#llx-%#llx", start, last);
			KUNIT_EXPECT_EQ(test, want ? 0 : -EINVAL,
					pviommu_table_unmap_check(&t, start,
								  last));
			n++;
		}
	}
	KUNIT_EXPECT_GT(test, n, 80U);
}

/* The figure quoted in Documentation/: one slab object per mapping. */
static void table_map_footprint(struct kunit *test)
{
	struct pviommu_map *m = kzalloc(sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_LE(test, sizeof(*m), (size_t)64);
	KUNIT_EXPECT_EQ(test, ksize(m), (size_t)64);
	kunit_info(test, "struct pviommu_map: %zu bytes, slab object %zu\n",
		   sizeof(*m), ksize(m));
	kfree(m);
}

static struct kunit_case pviommu_table_test_cases[] = {
	KUNIT_CASE(table_overlaps),
	KUNIT_CASE(table_unmap_rules),
	KUNIT_CASE(table_unmap_first_exhaustive),
	KUNIT_CASE(table_map_footprint),
	{}
};

static struct kunit_suite pviommu_table_test_suite = {
	.name = "pviommu_table",
	.test_cases = pviommu_table_test_cases,
};

/* ------------------------------------------------------------------ */
/* pviommu_domain: the map paths against a real IOMMU domain          */
/* ------------------------------------------------------------------ */

#define DOM_IOVA	0x100000ULL	/* well inside any aperture */
#define DOM_PAGES(n)	((u64)(n) << PAGE_SHIFT)

/*
 * Found when the suite starts, in the context of the process loading the
 * module: a PCI device behind an IOMMU (domains are allocated for its
 * IOMMU and never attached, so the device is not disturbed) and that
 * process's mm, whose memory the cases pin as a VMM's.  On UML (built in:
 * no PCI, no IOMMU, no loading process) both stay NULL.
 */
static struct {
	struct pci_dev *pdev;
	struct mm_struct *mm;
} dom_env;

/**
 * struct dom_ctx - one case's container
 * @p: the container state the map paths use
 * @sp: its space, holding @domain alone
 * @domain: a fresh IOMMU domain
 * @uaddr: the case's user memory in dom_env.mm, or 0
 * @ulen: its length
 * @locked_vm: dom_env.mm's locked_vm before the case
 */
struct dom_ctx {
	struct pviommu p;
	struct pviommu_space sp;
	struct iommu_domain *domain;
	unsigned long uaddr;
	size_t ulen;
	unsigned long locked_vm;
};

static int dom_suite_init(struct kunit_suite *suite)
{
	struct iommu_group *group;
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		group = iommu_group_get(&pdev->dev);
		if (group) {
			iommu_group_put(group);
			break;	/* keeping pci_get_device()'s reference */
		}
	}
	dom_env.pdev = pdev;
	if (current->mm && !(current->flags & PF_KTHREAD)) {
		mmget(current->mm);
		dom_env.mm = current->mm;
	}
	return 0;
}

static void dom_suite_exit(struct kunit_suite *suite)
{
	if (dom_env.mm)
		mmput(dom_env.mm);
	pci_dev_put(dom_env.pdev);
	dom_env.mm = NULL;
	dom_env.pdev = NULL;
}

static int dom_init(struct kunit *test)
{
	struct iommu_domain_geometry *geo;
	struct dom_ctx *c;

	if (!dom_env.pdev) {
		/*
		 * UML has no PCI: a skip.  Elsewhere the suite is a module
		 * loaded in tools/debug-vm, whose guest has VT-d: no IOMMU
		 * there is a broken bench, not a skip.
		 */
		if (IS_ENABLED(CONFIG_UML))
			kunit_skip(test, "no PCI device behind an IOMMU");
		KUNIT_FAIL(test, "no PCI device behind an IOMMU");
		return -ENODEV;
	}
	if (!dom_env.mm)
		kunit_skip(test, "not loaded by a process: no memory to pin");
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	mutex_init(&c->p.lock);
	test->priv = c;
	c->domain = vfio_ext_iommu_domain_alloc(&dom_env.pdev->dev);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(c->domain), "domain alloc: %ld",
			       PTR_ERR(c->domain));
	/* As a container with this one group (compute_geometry()). */
	c->p.pgsize_bitmap = PAGE_MASK & c->domain->pgsize_bitmap;
	KUNIT_ASSERT_NE(test, c->p.pgsize_bitmap, 0ULL);
	geo = &c->domain->geometry;
	KUNIT_ASSERT_LT(test, geo->aperture_start, geo->aperture_end);
	c->p.valid.nr = 1;
	c->p.valid.r[0].start = geo->aperture_start;
	c->p.valid.r[0].last = geo->aperture_end;
	c->p.dma_limit = U16_MAX;
	c->p.mm = dom_env.mm;
	pviommu_table_init(&c->sp.table);
	c->sp.doms = &c->domain;
	c->sp.nr_doms = 1;
	return 0;
}

static void dom_exit(struct kunit *test)
{
	struct dom_ctx *c = test->priv;

	if (!c)
		return;
	if (!IS_ERR_OR_NULL(c->domain))
		iommu_domain_free(c->domain);
	kfree(c->p.spare);	/* pviommu_free()'s part */
	mutex_destroy(&c->p.lock);
}

/* Pages charged to locked_vm by the case so far. */
static unsigned long dom_locked(struct dom_ctx *c)
{
	return READ_ONCE(dom_env.mm->locked_vm) - c->locked_vm;
}

/*
 * Run @body as the VMM would: in dom_env.mm, with the container lock
 * held.  Bodies use KUNIT_EXPECT and KUNIT_FAIL only, never an assertion
 * or a skip: one would end this kthread while it still uses the borrowed
 * mm.  Afterwards nothing may be left: no mapping, no pinned page, and
 * the mm's locked_vm as before.
 */
static void dom_run(struct kunit *test,
		    void (*body)(struct kunit *test, struct dom_ctx *c))
{
	struct dom_ctx *c = test->priv;
	u64 done;

	kthread_use_mm(dom_env.mm);
	c->locked_vm = READ_ONCE(dom_env.mm->locked_vm);
	mutex_lock(&c->p.lock);
	body(test, c);
	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX,
						  &done), 0);
	KUNIT_EXPECT_EQ_MSG(test, done, 0ULL, "the case left mappings");
	KUNIT_EXPECT_EQ(test, c->sp.table.count, 0U);
	KUNIT_EXPECT_EQ(test, c->p.nr_maps, 0U);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 0UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 0UL);
	mutex_unlock(&c->p.lock);
	if (c->uaddr)
		vm_munmap(c->uaddr, c->ulen);
	kthread_unuse_mm(dom_env.mm);
}

static u64 dom_word(unsigned long i)
{
	return 0x7076696f6d6d7500ULL ^ i;	/* "pviommu" */
}

/*
 * @n pages of user memory for the case; when @touch, the first word of
 * page i is dom_word(i) (the pages exist).
 */
static bool dom_mem(struct kunit *test, struct dom_ctx *c, unsigned long n,
		    bool touch)
{
	unsigned long addr, i;

	addr = vm_mmap(NULL, 0, n << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, 0);
	if (IS_ERR_VALUE(addr)) {
		KUNIT_FAIL(test, "vm_mmap of %lu pages: %ld", n, (long)addr);
		return false;
	}
	c->uaddr = addr;
	c->ulen = n << PAGE_SHIFT;
	for (i = 0; touch && i < n; i++) {
		if (put_user(dom_word(i),
			     (u64 __user *)(addr + (i << PAGE_SHIFT)))) {
			KUNIT_FAIL(test, "writing user page %lu", i);
			return false;
		}
	}
	return true;
}

static unsigned long dom_uaddr(struct dom_ctx *c, unsigned long page)
{
	return c->uaddr + (page << PAGE_SHIFT);
}

static int dom_map(struct dom_ctx *c, unsigned long page, u64 iova,
		   unsigned long n, int prot)
{
	return pviommu_do_map(&c->p, &c->sp, dom_uaddr(c, page), iova,
			      DOM_PAGES(n), prot, NULL);
}

#define DOM_RW	(IOMMU_READ | IOMMU_WRITE)

/*
 * The IOMMU translates @iova (and the offset in its page) into user page
 * @page, which is pinned.  Return: that page, or NULL.
 */
static struct page *dom_expect_mapped(struct kunit *test,
				      struct iommu_domain *domain, u64 iova,
				      unsigned long page)
{
	phys_addr_t phys = iommu_iova_to_phys(domain, iova);
	struct page *pg;
	u64 *va, word;

	KUNIT_EXPECT_NE_MSG(test, phys, (phys_addr_t)0, "iova %#llx", iova);
	if (!phys)
		return NULL;
	KUNIT_EXPECT_EQ(test, offset_in_page(phys), offset_in_page(iova));
	pg = pfn_to_page(PHYS_PFN(phys));
	KUNIT_EXPECT_TRUE(test, folio_maybe_dma_pinned(page_folio(pg)));
	va = kmap_local_page(pg);
	word = va[0];
	kunmap_local(va);
	KUNIT_EXPECT_EQ_MSG(test, word, dom_word(page), "iova %#llx", iova);
	return pg;
}

static void dom_expect_unmapped(struct kunit *test,
				struct iommu_domain *domain, u64 iova)
{
	KUNIT_EXPECT_EQ_MSG(test, iommu_iova_to_phys(domain, iova),
			    (phys_addr_t)0, "iova %#llx", iova);
}

/* No page of the case's user pages [@first, @first + @n) is pinned. */
static void dom_expect_unpinned(struct kunit *test, struct dom_ctx *c,
				unsigned long first, unsigned long n)
{
	unsigned long i, bad = 0;
	struct page *pg;

	for (i = first; i < first + n; i++) {
		if (get_user_pages_fast(dom_uaddr(c, i), 1, 0, &pg) != 1)
			continue;	/* not even present */
		bad += folio_maybe_dma_pinned(page_folio(pg));
		put_page(pg);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0UL, "pinned pages among %lu", n);
}

/* Nothing in the table, nothing pinned or charged by the case. */
static void dom_expect_empty(struct kunit *test, struct dom_ctx *c)
{
	KUNIT_EXPECT_EQ(test, c->sp.table.count, 0U);
	KUNIT_EXPECT_EQ(test, c->p.nr_maps, 0U);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 0UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 0UL);
}

/*
 * A map pins, charges and maps every page where the IOMMU translates it
 * to the user's page; unmapping the whole mapping takes all of it back.
 */
static void dom_map_unmap_body(struct kunit *test, struct dom_ctx *c)
{
	struct page *pages[4];
	unsigned long i, n = ARRAY_SIZE(pages);
	u64 done;

	kunit_info(test, "domain for %s: aperture [%#llx, %#llx], page sizes %#llx\n",
		   pci_name(dom_env.pdev), c->p.valid.r[0].start,
		   c->p.valid.r[0].last, c->p.pgsize_bitmap);
	if (!dom_mem(test, c, n, true))
		return;
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, n, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, c->sp.table.count, 1U);
	KUNIT_EXPECT_EQ(test, c->p.nr_maps, 1U);
	KUNIT_EXPECT_EQ(test, c->p.pinned, n);
	KUNIT_EXPECT_EQ(test, dom_locked(c), n);
	for (i = 0; i < n; i++)
		pages[i] = dom_expect_mapped(test, c->domain,
					     DOM_IOVA + DOM_PAGES(i) + 8 * i, i);
	dom_expect_unmapped(test, c->domain, DOM_IOVA - PAGE_SIZE);
	dom_expect_unmapped(test, c->domain, DOM_IOVA + DOM_PAGES(n));

	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, DOM_IOVA,
					       DOM_PAGES(n), false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, DOM_PAGES(n));
	for (i = 0; i < n; i++) {
		dom_expect_unmapped(test, c->domain, DOM_IOVA + DOM_PAGES(i));
		if (pages[i])
			KUNIT_EXPECT_FALSE(test,
					   folio_maybe_dma_pinned(page_folio(pages[i])));
	}
	dom_expect_empty(test, c);
}

static void dom_map_unmap(struct kunit *test)
{
	dom_run(test, dom_map_unmap_body);
}

/*
 * Type1v2 rules on the IOMMU: overlaps are refused, an unmap that would
 * split a mapping changes nothing, one covering whole mappings (several,
 * with gaps) removes exactly those.
 */
static void dom_whole_mappings_body(struct kunit *test, struct dom_ctx *c)
{
	unsigned long i;
	u64 done;

	if (!dom_mem(test, c, 8, true))
		return;
	/* A: pages 0-1, B: 2-3 read-only, gap, C: 6-7. */
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, 2, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, dom_map(c, 2, DOM_IOVA + DOM_PAGES(2), 2,
				      IOMMU_READ), 0);
	KUNIT_EXPECT_EQ(test, dom_map(c, 6, DOM_IOVA + DOM_PAGES(6), 2, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, dom_map(c, 4, DOM_IOVA + DOM_PAGES(1), 2, DOM_RW),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, c->sp.table.count, 3U);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 6UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 6UL);

	/* Splits: across A and B, half of A, half of B, misaligned. */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp,
					       DOM_IOVA + DOM_PAGES(1),
					       DOM_PAGES(2), false, &done),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, done, 0ULL);
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, DOM_IOVA,
					       DOM_PAGES(1), false, &done),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp,
					       DOM_IOVA + DOM_PAGES(3),
					       DOM_PAGES(1), false, &done),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, DOM_IOVA + 0x800,
					       DOM_PAGES(2), false, &done),
			-EINVAL);
	/* ALL takes no range. */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, DOM_IOVA, 0,
					       true, &done), -EINVAL);
	for (i = 0; i < 4; i++)
		dom_expect_mapped(test, c->domain, DOM_IOVA + DOM_PAGES(i), i);
	KUNIT_EXPECT_EQ(test, c->sp.table.count, 3U);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 6UL);

	/* The gap alone: nothing to unmap is no error. */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp,
					       DOM_IOVA + DOM_PAGES(4),
					       DOM_PAGES(2), false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 0ULL);
	/* A and B together, exactly. */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, DOM_IOVA,
					       DOM_PAGES(4), false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, DOM_PAGES(4));
	for (i = 0; i < 4; i++)
		dom_expect_unmapped(test, c->domain, DOM_IOVA + DOM_PAGES(i));
	dom_expect_unpinned(test, c, 0, 4);
	for (i = 6; i < 8; i++)
		dom_expect_mapped(test, c->domain, DOM_IOVA + DOM_PAGES(i), i);
	KUNIT_EXPECT_EQ(test, c->sp.table.count, 1U);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 2UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 2UL);
	/* The gap, C and what follows. */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp,
					       DOM_IOVA + DOM_PAGES(4),
					       DOM_PAGES(6), false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, DOM_PAGES(2));
	for (i = 6; i < 8; i++)
		dom_expect_unmapped(test, c->domain, DOM_IOVA + DOM_PAGES(i));
	dom_expect_unpinned(test, c, 0, 8);
	dom_expect_empty(test, c);
}

static void dom_whole_mappings(struct kunit *test)
{
	dom_run(test, dom_whole_mappings_body);
}

/*
 * u64 edges: the last page of the aperture maps; past it, at the top of
 * the u64 space and wherever a range wraps, the map path refuses before
 * the IOMMU driver sees the IOVA (6.1's VT-d driver BUG()s on a range
 * ending at the top of the u64 space: its end check overflows).
 */
static void dom_u64_edges_body(struct kunit *test, struct dom_ctx *c)
{
	u64 end = c->p.valid.r[0].last, top = U64_MAX - PAGE_SIZE + 1;
	u64 last = end - PAGE_SIZE + 1, done;

	if (!dom_mem(test, c, 2, true))
		return;
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, last, 1, DOM_RW), 0);
	dom_expect_mapped(test, c->domain, last + PAGE_SIZE - 1, 0);
	KUNIT_EXPECT_EQ(test, dom_map(c, 1, end + 1, 1, DOM_RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, dom_map(c, 1, top, 1, DOM_RW), -EINVAL);
	/* Wraps: type1's errno on this kernel. */
	KUNIT_EXPECT_EQ(test, dom_map(c, 1, top, 2, DOM_RW),
			-VFIO_EXT_DMA_WRAP_ERRNO);
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp,
					     ULONG_MAX - PAGE_SIZE + 1,
					     DOM_IOVA, DOM_PAGES(2), DOM_RW, NULL),
			-VFIO_EXT_DMA_WRAP_ERRNO);
	KUNIT_EXPECT_EQ(test, dom_map(c, 1, top, 2, 0), -VFIO_EXT_DMA_WRAP_ERRNO);
	/* Alignment, size and permission. */
	KUNIT_EXPECT_EQ(test, dom_map(c, 1, DOM_IOVA + 0x800, 1, DOM_RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, dom_uaddr(c, 1) + 8,
					     DOM_IOVA, PAGE_SIZE, DOM_RW, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dom_map(c, 1, DOM_IOVA, 0, DOM_RW), -EINVAL);
	KUNIT_EXPECT_EQ(test, dom_map(c, 1, DOM_IOVA, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, c->sp.table.count, 1U);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 1UL);
	dom_expect_unmapped(test, c->domain, DOM_IOVA);

	/* Unmap: a wrapping range is refused, the top holds nothing. */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, top,
					       DOM_PAGES(2), false, &done),
			-VFIO_EXT_DMA_WRAP_ERRNO);
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, top, PAGE_SIZE,
					       false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 0ULL);
	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, end + 1,
						  U64_MAX, &done), 0);
	KUNIT_EXPECT_EQ(test, done, 0ULL);
	KUNIT_EXPECT_EQ(test, c->sp.table.count, 1U);
	/* ALL reaches the last page of the aperture. */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, 0, 0, true,
					       &done), 0);
	KUNIT_EXPECT_EQ(test, done, (u64)PAGE_SIZE);
	dom_expect_unmapped(test, c->domain, last);
	dom_expect_empty(test, c);
}

/* dom_run() for a case that needs IOVAs past the aperture's end. */
static void dom_run_past_end(struct kunit *test,
			     void (*body)(struct kunit *test, struct dom_ctx *c))
{
	struct dom_ctx *c = test->priv;

	if (c->p.valid.r[0].last > U64_MAX - SZ_1G)
		kunit_skip(test, "the aperture reaches the top of the u64 space");
	dom_run(test, body);
}

static void dom_u64_edges(struct kunit *test)
{
	dom_run_past_end(test, dom_u64_edges_body);
}

/*
 * iommu_map() fails (the IOVA lies past the domain's aperture, which the
 * container is made to believe valid): the table entry, the pins and the
 * charge are gone, and whatever was mapped before the failure (an earlier
 * run of pages, an earlier pin batch) is unmapped again.
 */
static void dom_iommu_map_fails_body(struct kunit *test, struct dom_ctx *c)
{
	u64 end = c->p.valid.r[0].last, done;

	c->p.valid.r[0].last = end + SZ_1G;
	if (!dom_mem(test, c, PIN_BATCH + 1, true))
		goto out;
	kunit_info(test, "the IOMMU driver may log its refusals below\n");
	/* Wholly past the aperture. */
	KUNIT_EXPECT_LT(test, dom_map(c, 0, end + 1, 1, DOM_RW), 0);
	dom_expect_empty(test, c);
	/* Across its end: the pages inside may have been mapped first. */
	KUNIT_EXPECT_LT(test, dom_map(c, 0, end + 1 - DOM_PAGES(2), 4, DOM_RW), 0);
	dom_expect_unmapped(test, c->domain, end + 1 - DOM_PAGES(2));
	dom_expect_unmapped(test, c->domain, end + 1 - DOM_PAGES(1));
	dom_expect_unpinned(test, c, 0, 4);
	dom_expect_empty(test, c);
	/* The second pin batch fails: the first one was mapped. */
	KUNIT_EXPECT_LT(test, dom_map(c, 0, end + 1 - DOM_PAGES(PIN_BATCH),
				      PIN_BATCH + 1, DOM_RW), 0);
	dom_expect_unmapped(test, c->domain, end + 1 - DOM_PAGES(PIN_BATCH));
	dom_expect_unmapped(test, c->domain, end + 1 - DOM_PAGES(1));
	dom_expect_unpinned(test, c, 0, PIN_BATCH + 1);
	dom_expect_empty(test, c);
	/* The domain still works. */
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, 1, DOM_RW), 0);
	dom_expect_mapped(test, c->domain, DOM_IOVA, 0);
	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX,
						  &done), 0);
	KUNIT_EXPECT_EQ(test, done, (u64)PAGE_SIZE);
out:
	c->p.valid.r[0].last = c->domain->geometry.aperture_end;
}

static void dom_iommu_map_fails(struct kunit *test)
{
	dom_run_past_end(test, dom_iommu_map_fails_body);
}

/*
 * Pinning fails (a hole in the user's memory): nothing is left, including
 * the first pin batch, which was mapped already.
 */
static void dom_pin_fails_body(struct kunit *test, struct dom_ctx *c)
{
	u64 done;

	if (!dom_mem(test, c, PIN_BATCH + 1, true))
		return;
	vm_munmap(dom_uaddr(c, PIN_BATCH), PAGE_SIZE);
	c->ulen -= PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, dom_map(c, PIN_BATCH, DOM_IOVA, 1, DOM_RW), -EFAULT);
	dom_expect_empty(test, c);
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, PIN_BATCH + 1, DOM_RW),
			-EFAULT);
	dom_expect_unmapped(test, c->domain, DOM_IOVA);
	dom_expect_unmapped(test, c->domain, DOM_IOVA + DOM_PAGES(PIN_BATCH - 1));
	dom_expect_unpinned(test, c, 0, PIN_BATCH);
	dom_expect_empty(test, c);
	/* Without the hole it maps. */
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, PIN_BATCH, DOM_RW), 0);
	dom_expect_mapped(test, c->domain, DOM_IOVA, 0);
	dom_expect_mapped(test, c->domain, DOM_IOVA + DOM_PAGES(PIN_BATCH - 1),
			  PIN_BATCH - 1);
	KUNIT_EXPECT_EQ(test, c->p.pinned, (unsigned long)PIN_BATCH);
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, DOM_IOVA,
					       DOM_PAGES(PIN_BATCH), false,
					       &done), 0);
	KUNIT_EXPECT_EQ(test, done, DOM_PAGES(PIN_BATCH));
	dom_expect_unpinned(test, c, 0, PIN_BATCH);
	dom_expect_empty(test, c);
}

static void dom_pin_fails(struct kunit *test)
{
	dom_run(test, dom_pin_fails_body);
}

/*
 * Reserved pages among pinned ones: a read-only map of memory never
 * written may get the shared zero page, which type1 neither pins nor
 * charges.  Whether a long-term pin gets it is the kernel's choice (6.1
 * hands it out; 6.12 and 7.3 unshare it, so every page is a real one):
 * whichever pages the domain maps to the zero page are counted nowhere
 * and never unpinned, every other page is pinned and charged as usual,
 * and a page written in between is always a real one.
 */
static void dom_zero_page_body(struct kunit *test, struct dom_ctx *c)
{
	phys_addr_t zero = page_to_phys(ZERO_PAGE(0));
	unsigned long zeros;
	u64 done;

	if (!dom_mem(test, c, 3, false))
		return;
	if (put_user(dom_word(1), (u64 __user *)dom_uaddr(c, 1))) {
		KUNIT_FAIL(test, "writing user page 1");
		return;
	}
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, 3, IOMMU_READ), 0);
	zeros = (iommu_iova_to_phys(c->domain, DOM_IOVA) == zero) +
		(iommu_iova_to_phys(c->domain, DOM_IOVA + DOM_PAGES(2)) == zero);
	/* Both unwritten pages alike: the zero page for both, or neither. */
	KUNIT_EXPECT_TRUE_MSG(test, zeros == 0 || zeros == 2, "%lu", zeros);
	dom_expect_mapped(test, c->domain, DOM_IOVA + DOM_PAGES(1), 1);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 3 - zeros);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 3 - zeros);
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, DOM_IOVA,
					       DOM_PAGES(3), false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, DOM_PAGES(3));
	dom_expect_unpinned(test, c, 0, 3);
	dom_expect_empty(test, c);
}

static void dom_zero_page(struct kunit *test)
{
	dom_run(test, dom_zero_page_body);
}

/*
 * Limits: a map over RLIMIT_MEMLOCK (of the task named in the accounting,
 * as the virtio-iommu worker charges its VMM) and one over the entry
 * limit leave nothing; inside a batch, maps take the credit charged ahead
 * and unmaps defer their refund.
 */
static void dom_limits_body(struct kunit *test, struct dom_ctx *c)
{
	struct pviommu_acct acct = { .task = current, .lock_cap = false };
	unsigned long over = (rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT) -
			     READ_ONCE(dom_env.mm->locked_vm) + 1;
	struct pviommu_defer d = { .credit = 3 };
	u64 done;

	if (!dom_mem(test, c, over, false))
		return;
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr, DOM_IOVA,
					     DOM_PAGES(over), DOM_RW, &acct),
			-ENOMEM);
	dom_expect_empty(test, c);
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr, DOM_IOVA,
					     DOM_PAGES(2), DOM_RW, &acct), 0);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 2UL);
	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX,
						  &done), 0);
	dom_expect_empty(test, c);

	/* dma_entry_limit counts mappings. */
	c->p.dma_limit = 2;
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, 1, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, dom_map(c, 1, DOM_IOVA + DOM_PAGES(1), 1, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, dom_map(c, 2, DOM_IOVA + DOM_PAGES(2), 1, DOM_RW),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 2UL);
	dom_expect_unmapped(test, c->domain, DOM_IOVA + DOM_PAGES(2));
	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX,
						  &done), 0);
	c->p.dma_limit = U16_MAX;
	dom_expect_empty(test, c);

	/* A batch: charged 3 pages ahead, as batch_charge() does. */
	KUNIT_EXPECT_EQ(test, account_locked_vm(dom_env.mm, d.credit, true), 0);
	c->p.defer = &d;
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, 2, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, d.credit, 1UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 3UL);
	/* Beyond the credit: the map takes what is left, charges the rest. */
	KUNIT_EXPECT_EQ(test, dom_map(c, 2, DOM_IOVA + DOM_PAGES(2), 2, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, d.credit, 0UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 4UL);
	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX,
						  &done), 0);
	KUNIT_EXPECT_EQ(test, d.refund, 4UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 4UL);
	/* A later map of the batch takes from the refunds first. */
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, 2, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, d.refund, 2UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 4UL);
	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX,
						  &done), 0);
	KUNIT_EXPECT_EQ(test, d.refund, 4UL);
	/* A map larger than the refunds takes them all, charges the rest. */
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, 5, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, d.refund, 0UL);
	KUNIT_EXPECT_EQ(test, d.credit, 0UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 5UL);
	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX,
						  &done), 0);
	KUNIT_EXPECT_EQ(test, d.refund, 5UL);
	c->p.defer = NULL;
	/* pviommu_defer_end()'s refund */
	account_locked_vm(dom_env.mm, d.credit + d.refund, false);
	dom_expect_empty(test, c);
}

static void dom_limits(struct kunit *test)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK);

	/* Kernel threads have the boot-time default, MLOCK_LIMIT. */
	if (limit == RLIM_INFINITY || limit > SZ_1G)
		kunit_skip(test, "RLIMIT_MEMLOCK %lu: too large to exceed", limit);
	dom_run(test, dom_limits_body);
}

/*
 * A virtio-iommu round (a deferral with a flush): its unmaps leave the
 * IOTLB flush and the unpinning pending; a map charges
 * PVIOMMU_ROUND_CREDIT pages ahead when the limit allows it; at the limit
 * a map flushes what is pending first and takes what that gave back, so
 * it succeeds exactly when it would have without the deferral.
 */
/* Unmap everything and end round @d: nothing left pending or charged. */
static void dom_round_end_empty(struct kunit *test, struct dom_ctx *c,
				struct pviommu_defer *d)
{
	u64 done;

	KUNIT_EXPECT_EQ(test, pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX,
						  &done), 0);
	pviommu_defer_end(&c->p, d);
	KUNIT_EXPECT_PTR_EQ(test, c->p.pending, NULL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 0UL);
}

static void dom_round_limit_body(struct kunit *test, struct dom_ctx *c)
{
	struct pviommu_acct acct = { .task = current, .lock_cap = false };
	unsigned long room = (rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT) -
			     READ_ONCE(dom_env.mm->locked_vm);
	struct pviommu_flush *f = kzalloc(sizeof(*f), GFP_KERNEL);
	u64 done, b = DOM_IOVA + DOM_PAGES(room);
	struct pviommu_defer d;

	if (!f) {
		KUNIT_FAIL(test, "no memory");
		return;
	}
	if (!dom_mem(test, c, room, false))
		goto out;
	pviommu_defer_begin(&c->p, &d);
	d.flush = f;
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr, b,
					     DOM_PAGES(1), DOM_RW, &acct), 0);
	KUNIT_EXPECT_EQ(test, d.credit, (unsigned long)PVIOMMU_ROUND_CREDIT);
	KUNIT_EXPECT_EQ(test, dom_locked(c), PVIOMMU_ROUND_CREDIT + 1UL);
	/* Unmapped, not yet flushed: still pinned and charged. */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, b, DOM_PAGES(1),
					       false, &done), 0);
	dom_expect_unmapped(test, c->domain, b);
	KUNIT_EXPECT_PTR_EQ(test, c->p.pending, f);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 1UL);
	KUNIT_EXPECT_EQ(test, d.refund, 0UL);
	pviommu_flush_pending(&c->p);
	KUNIT_EXPECT_PTR_EQ(test, c->p.pending, NULL);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 0UL);
	KUNIT_EXPECT_EQ(test, d.refund, 1UL);
	pviommu_defer_end(&c->p, &d);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 0UL);

	/* One page short of the limit, outside any round. */
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr, DOM_IOVA,
					     DOM_PAGES(room - 2), DOM_RW,
					     &acct), 0);
	pviommu_defer_begin(&c->p, &d);
	d.flush = f;
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr, b,
					     DOM_PAGES(1), DOM_RW, &acct), 0);
	KUNIT_EXPECT_EQ(test, d.credit, 0UL);	/* no room for any */
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, b, DOM_PAGES(1),
					       false, &done), 0);
	KUNIT_EXPECT_PTR_EQ(test, c->p.pending, f);
	KUNIT_EXPECT_EQ(test, dom_locked(c), room - 1);
	/* Fits only with the pending page given back: flushed first. */
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr, b,
					     DOM_PAGES(2), DOM_RW, &acct), 0);
	KUNIT_EXPECT_PTR_EQ(test, c->p.pending, NULL);
	KUNIT_EXPECT_EQ(test, c->p.pinned, room);
	KUNIT_EXPECT_EQ(test, dom_locked(c), room);
	/* Nothing pending, no room: refused, nothing taken. */
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr,
					     b + DOM_PAGES(2), DOM_PAGES(1),
					     DOM_RW, &acct), -ENOMEM);
	KUNIT_EXPECT_EQ(test, d.refund, 0UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), room);
	dom_round_end_empty(test, c, &d);

	/* What is left of the credit counts: a map that fits takes it. */
	pviommu_defer_begin(&c->p, &d);
	d.flush = f;
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr, b,
					     DOM_PAGES(1), DOM_RW, &acct), 0);
	KUNIT_EXPECT_EQ(test, dom_locked(c), PVIOMMU_ROUND_CREDIT + 1UL);
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp, c->uaddr, DOM_IOVA,
					     DOM_PAGES(room - 1), DOM_RW,
					     &acct), 0);
	KUNIT_EXPECT_EQ(test, d.credit, 0UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), room);
	dom_round_end_empty(test, c, &d);
out:
	kfree(f);
}

static void dom_round_limit(struct kunit *test)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK);

	if (limit == RLIM_INFINITY || limit > SZ_1G)
		kunit_skip(test, "RLIMIT_MEMLOCK %lu: too large to reach", limit);
	if ((limit >> PAGE_SHIFT) < READ_ONCE(dom_env.mm->locked_vm) +
				    2 * PVIOMMU_ROUND_CREDIT)
		kunit_skip(test, "RLIMIT_MEMLOCK %lu: too small", limit);
	dom_run(test, dom_round_limit_body);
}

/*
 * A space of two domains (a container with two groups): a map is pinned
 * once and mapped into both, an unmap leaves neither translating.
 */
static void dom_two_domains_body(struct kunit *test, struct dom_ctx *c)
{
	struct iommu_domain *doms[2] = { c->domain };
	unsigned long i;
	u64 done;

	doms[1] = vfio_ext_iommu_domain_alloc(&dom_env.pdev->dev);
	if (IS_ERR(doms[1])) {
		KUNIT_FAIL(test, "second domain: %ld", PTR_ERR(doms[1]));
		return;
	}
	c->sp.doms = doms;
	c->sp.nr_doms = 2;
	if (!dom_mem(test, c, 2, true))
		goto out;
	KUNIT_EXPECT_EQ(test, dom_map(c, 0, DOM_IOVA, 2, DOM_RW), 0);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 2UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 2UL);
	for (i = 0; i < 2; i++) {
		dom_expect_mapped(test, doms[0], DOM_IOVA + DOM_PAGES(i), i);
		dom_expect_mapped(test, doms[1], DOM_IOVA + DOM_PAGES(i), i);
	}
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, DOM_IOVA,
					       DOM_PAGES(2), false, &done), 0);
	for (i = 0; i < 2; i++) {
		dom_expect_unmapped(test, doms[0], DOM_IOVA + DOM_PAGES(i));
		dom_expect_unmapped(test, doms[1], DOM_IOVA + DOM_PAGES(i));
	}
	dom_expect_unpinned(test, c, 0, 2);
	dom_expect_empty(test, c);
out:
	/* Anything left is unmapped by dom_run() from the first domain. */
	pviommu_unmap_range(&c->p, &c->sp, 0, U64_MAX, &done);
	c->sp.doms = &c->domain;
	c->sp.nr_doms = 1;
	iommu_domain_free(doms[1]);
}

static void dom_two_domains(struct kunit *test)
{
	dom_run(test, dom_two_domains_body);
}

static int count_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/* dom_large_page's second domain, attached, or NULL. */
static struct iommu_domain *dom_large_d2;

/* Pages of the physically contiguous memory of dom_contig_mem(). */
#define DOM_CONTIG_ORDER	(21 - PAGE_SHIFT)	/* 2 MiB */
#define DOM_CONTIG_PAGES	BIT(DOM_CONTIG_ORDER)
#define DOM_CONTIG_IOVA		0x400000ULL		/* 2 MiB-aligned */

/*
 * DOM_CONTIG_PAGES physically contiguous pages of user memory at a
 * 2 MiB-aligned address, shared read-only, as a driver's mmap gives them
 * (vm_insert_pages(): the debug kernel has neither THP nor hugetlbfs);
 * page i holds dom_word(i).  Their pfns go to @pages (freed by
 * dom_contig_free(), after the case's munmap).
 */
static bool dom_contig_mem(struct kunit *test, struct dom_ctx *c,
			   struct page **pages)
{
	unsigned long addr, num = DOM_CONTIG_PAGES, i;
	struct vm_area_struct *vma;
	struct page *page;
	int ret = -EFAULT;

	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, DOM_CONTIG_ORDER);
	if (!page) {
		KUNIT_FAIL(test, "no 2 MiB of contiguous memory");
		return false;
	}
	split_page(page, DOM_CONTIG_ORDER);
	for (i = 0; i < DOM_CONTIG_PAGES; i++) {
		pages[i] = page + i;
		*(u64 *)page_address(pages[i]) = dom_word(i);
	}
	/* Shared: a long-term pin of a private one would copy (unshare). */
	addr = vm_mmap(NULL, 0, 2 * SZ_2M, PROT_READ,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, 0);
	if (IS_ERR_VALUE(addr)) {
		KUNIT_FAIL(test, "vm_mmap: %ld", (long)addr);
		return false;
	}
	c->uaddr = addr;
	c->ulen = 2 * SZ_2M;
	mmap_write_lock(dom_env.mm);
	vma = vma_lookup(dom_env.mm, ALIGN(addr, SZ_2M));
	if (vma)
		ret = vm_insert_pages(vma, ALIGN(addr, SZ_2M), pages, &num);
	mmap_write_unlock(dom_env.mm);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "vm_insert_pages");
	return !ret;
}

/* After the munmap: the case's references are the only ones left. */
static void dom_contig_free(struct kunit *test, struct dom_ctx *c,
			    struct page **pages)
{
	unsigned long i, bad = 0;

	if (c->uaddr)
		vm_munmap(c->uaddr, c->ulen);
	c->uaddr = 0;
	for (i = 0; i < DOM_CONTIG_PAGES && pages[i]; i++) {
		bad += page_ref_count(pages[i]) != 1;
		__free_page(pages[i]);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0UL, "pages still referenced (pinned)");
}

/*
 * A domain holding a page larger than the container's unmap window: the
 * window is the largest page size all the container's domains have, and
 * it shrinks when a group whose IOMMU has smaller pages joins (or,
 * here, when the container is made to believe so).  The unmap takes
 * back exactly the pages mapped, by what the IOMMU driver says it
 * unmapped: every page unpinned, nothing else touched (pfn 0's
 * reference count), nothing charged.
 */
/*
 * A second group joins a space whose first domain holds a 2 MiB page,
 * while the window is 4 KiB: the replay gives the new domain 4 KiB
 * pages, and the unmap of the space of both takes everything back.
 */
static void dom_large_replay(struct kunit *test, struct dom_ctx *c,
			     struct page **pages, struct iommu_domain *d2)
{
	struct iommu_domain *doms[2] = { c->domain, d2 };
	u64 iova = DOM_CONTIG_IOVA, done;

	c->p.pgsize_bitmap = PAGE_MASK & c->domain->pgsize_bitmap;
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp,
					     ALIGN(c->uaddr, SZ_2M), iova,
					     SZ_2M, IOMMU_READ, NULL), 0);
	c->p.pgsize_bitmap = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, pviommu_replay(&c->p, &c->sp, c->domain, d2), 0);
	dom_expect_mapped(test, d2, iova, 0);
	dom_expect_mapped(test, d2, iova + SZ_2M - PAGE_SIZE,
			  DOM_CONTIG_PAGES - 1);
	KUNIT_EXPECT_EQ(test, iommu_unmap(d2, iova + SZ_1M, PAGE_SIZE),
			(size_t)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vfio_ext_iommu_map(d2, iova + SZ_1M,
						 page_to_phys(pages[256]),
						 PAGE_SIZE, IOMMU_READ), 0);
	c->sp.doms = doms;
	c->sp.nr_doms = 2;
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, iova, SZ_2M,
					       false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, (u64)SZ_2M);
	dom_expect_unmapped(test, c->domain, iova + SZ_1M);
	dom_expect_unmapped(test, d2, iova);
	dom_expect_unmapped(test, d2, iova + SZ_1M);
	dom_expect_unmapped(test, d2, iova + SZ_2M - PAGE_SIZE);
	dom_expect_unpinned(test, c, (ALIGN(c->uaddr, SZ_2M) - c->uaddr) >>
				     PAGE_SHIFT, DOM_CONTIG_PAGES);
	c->sp.doms = &c->domain;
	c->sp.nr_doms = 1;
	dom_expect_empty(test, c);
}

static void dom_large_page_body(struct kunit *test, struct dom_ctx *c)
{
	/* pfn 0: what iommu_iova_to_phys() answers for no page. */
	struct page **pages, *pfn0 = pfn_valid(0) ? pfn_to_page(0) : NULL;
	int pfn0_ref = pfn0 ? page_ref_count(pfn0) : 0;
	struct iommu_domain *d2 = dom_large_d2;
	u64 iova = DOM_CONTIG_IOVA, done;

	pages = kunit_kcalloc(test, DOM_CONTIG_PAGES, sizeof(*pages),
			      GFP_KERNEL);
	if (!pages) {
		KUNIT_FAIL(test, "no page array");
		return;
	}
	if (!dom_contig_mem(test, c, pages))
		goto out;
	/* Mapped with the domain's own page sizes: a 2 MiB page. */
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp,
					     ALIGN(c->uaddr, SZ_2M), iova,
					     SZ_2M, IOMMU_READ, NULL), 0);
	KUNIT_EXPECT_EQ(test, c->p.pinned, DOM_CONTIG_PAGES);
	dom_expect_mapped(test, c->domain, iova, 0);
	dom_expect_mapped(test, c->domain, iova + SZ_2M - PAGE_SIZE,
			  DOM_CONTIG_PAGES - 1);
	/* A group without 2 MiB pages joins: the window is now 4 KiB. */
	c->p.pgsize_bitmap = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, iova, SZ_2M,
					       false, &done), 0);
	KUNIT_EXPECT_EQ(test, done, (u64)SZ_2M);
	dom_expect_unmapped(test, c->domain, iova);
	dom_expect_unmapped(test, c->domain, iova + SZ_2M - PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 0UL);
	KUNIT_EXPECT_EQ(test, dom_locked(c), 0UL);
	dom_expect_unpinned(test, c, (ALIGN(c->uaddr, SZ_2M) - c->uaddr) >>
				     PAGE_SHIFT, DOM_CONTIG_PAGES);
	if (pfn0)
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(pfn0), pfn0_ref,
				    "pfn 0 was unpinned");

	/*
	 * Mapped while the window is 4 KiB: the domain holds 4 KiB pages
	 * (one unmaps alone; put back).
	 */
	KUNIT_EXPECT_EQ(test, pviommu_do_map(&c->p, &c->sp,
					     ALIGN(c->uaddr, SZ_2M), iova,
					     SZ_2M, IOMMU_READ, NULL), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(c->domain, iova + SZ_1M, PAGE_SIZE),
			(size_t)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vfio_ext_iommu_map(c->domain, iova + SZ_1M,
						 page_to_phys(pages[256]),
						 PAGE_SIZE, IOMMU_READ), 0);
	dom_expect_mapped(test, c->domain, iova + SZ_1M, 256);
	KUNIT_EXPECT_EQ(test, pviommu_do_unmap(&c->p, &c->sp, iova, SZ_2M,
					       false, &done), 0);
	KUNIT_EXPECT_EQ(test, c->p.pinned, 0UL);
	if (pfn0)
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(pfn0), pfn0_ref,
				    "pfn 0 was unpinned");
	dom_expect_empty(test, c);
	if (d2)
		dom_large_replay(test, c, pages, d2);
out:
	c->p.pgsize_bitmap = PAGE_MASK & c->domain->pgsize_bitmap;
	dom_contig_free(test, c, pages);
}

/*
 * An edu of the bench in a group of its own that nobody uses: the case's
 * domain is attached to it (some IOMMU drivers, 6.12's VT-d among them,
 * give a domain its superpages only at its first attach).  Return: the
 * group, its DMA claimed and @domain attached, or NULL.
 */
static struct iommu_group *dom_attach_free_group(struct iommu_domain *domain)
{
	struct iommu_group *group;
	struct pci_dev *pdev = NULL;
	unsigned int nr;

	while ((pdev = pci_get_device(0x1234, 0x11e8, pdev))) {
		group = iommu_group_get(&pdev->dev);
		if (!group)
			continue;
		nr = 0;
		iommu_group_for_each_dev(group, &nr, count_dev);
		if (nr == 1 && !iommu_group_claim_dma_owner(group, &dom_env)) {
			if (!iommu_attach_group(domain, group)) {
				pci_dev_put(pdev);
				return group;
			}
			iommu_group_release_dma_owner(group);
		}
		iommu_group_put(group);
	}
	return NULL;
}

static void dom_large_page(struct kunit *test)
{
	struct dom_ctx *c = test->priv;
	struct iommu_group *group = dom_attach_free_group(c->domain);
	struct iommu_group *group2 = NULL;

	if (!group)
		kunit_skip(test, "no free edu to attach a domain to");
	/* A second domain, for a replay (skipped without a second edu). */
	dom_large_d2 = vfio_ext_iommu_domain_alloc(&dom_env.pdev->dev);
	if (!IS_ERR(dom_large_d2))
		group2 = dom_attach_free_group(dom_large_d2);
	if (!group2) {
		if (!IS_ERR(dom_large_d2))
			iommu_domain_free(dom_large_d2);
		dom_large_d2 = NULL;
		kunit_info(test, "no second free edu: no replay\n");
	}
	if (c->domain->pgsize_bitmap & SZ_2M) {
		c->p.pgsize_bitmap = PAGE_MASK & c->domain->pgsize_bitmap;
		dom_run(test, dom_large_page_body);
	}
	if (group2) {
		iommu_detach_group(dom_large_d2, group2);
		iommu_group_release_dma_owner(group2);
		iommu_group_put(group2);
		iommu_domain_free(dom_large_d2);
		dom_large_d2 = NULL;
	}
	iommu_detach_group(c->domain, group);
	iommu_group_release_dma_owner(group);
	iommu_group_put(group);
	if (!(c->domain->pgsize_bitmap & SZ_2M))
		kunit_skip(test, "the domain has no 2 MiB pages (%#lx)",
			   c->domain->pgsize_bitmap);
}

static struct kunit_case pviommu_domain_test_cases[] = {
	KUNIT_CASE(dom_map_unmap),
	KUNIT_CASE(dom_whole_mappings),
	KUNIT_CASE(dom_u64_edges),
	KUNIT_CASE(dom_iommu_map_fails),
	KUNIT_CASE(dom_pin_fails),
	KUNIT_CASE(dom_zero_page),
	KUNIT_CASE(dom_limits),
	KUNIT_CASE(dom_round_limit),
	KUNIT_CASE(dom_two_domains),
	KUNIT_CASE(dom_large_page),
	{}
};

static struct kunit_suite pviommu_domain_test_suite = {
	.name = "pviommu_domain",
	.suite_init = dom_suite_init,
	.suite_exit = dom_suite_exit,
	.init = dom_init,
	.exit = dom_exit,
	.test_cases = pviommu_domain_test_cases,
};

kunit_test_suites(&pviommu_table_test_suite, &pviommu_domain_test_suite);
