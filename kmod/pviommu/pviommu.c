// SPDX-License-Identifier: GPL-2.0-only
/*
 * pviommu: a VFIO IOMMU backend (container type VFIO_EXT_PVIOMMU_IOMMU)
 * with type1v2 container semantics, on the kernel's IOMMU API.
 *
 * Each attached group gets a real IOMMU domain; every mapping is pinned
 * once (RAM; device memory is mapped unpinned, as type1 maps it) and
 * mapped into every domain (pviommu_map.c).
 *
 * Locking: pviommu->lock (mutex) covers the whole container state (groups,
 * domains, table, ranges, accounting) for every backend callback and
 * ioctl; nothing here runs in atomic context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

#include <linux/vfio_ext.h>
#include "vfio_ext_compat_iommu.h"
#include "vfio_ext_uarg.h"
#include "vfio_ext_vfio_private.h"
#include "pviommu_nl.h"
#include "pviommu_priv.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Allow groups without interrupt remapping (as type1's parameter; unsafe: a device could forge MSIs)");

static unsigned int dma_entry_limit = U16_MAX;
module_param(dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Maximum number of mappings per container, read when a container is set up (default 65535, as type1)");

static unsigned int guest_dma_entry_limit = U16_MAX;
module_param(guest_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(guest_dma_entry_limit,
		 "Maximum number of mappings in a container's guest domains, apart from dma_entry_limit; read when a container is set up; the VMM may lower it per container (default 65535)");

/*
 * Every container by its inventory id, for the netlink family
 * (pviommu_nl.c).  pviommu_all_lock protects the xarray's ids (release
 * erases a container under it before it drops the open reference), so a
 * reference taken under it keeps a container found there alive.  Never
 * held with a container's lock: a container busy for seconds (a large
 * pin) must not stall VFIO_SET_IOMMU and teardown of every other one.
 */
static DEFINE_XARRAY_ALLOC1(pviommu_xa);
static DEFINE_MUTEX(pviommu_all_lock);

static struct pviommu_group *first_group(struct pviommu *p)
{
	return list_first_entry_or_null(&p->groups, struct pviommu_group, next);
}

/* Point the container's space at every group's domain.  lock held. */
static void rebuild_def_doms(struct pviommu *p)
{
	struct pviommu_group *g;
	unsigned int n = 0;

	list_for_each_entry(g, &p->groups, next)
		n++;
	kfree(p->def.doms);
	p->def.doms = kmalloc_array(max(n, 1U), sizeof(*p->def.doms),
				    GFP_KERNEL | __GFP_NOFAIL);
	p->def.nr_doms = 0;
	list_for_each_entry(g, &p->groups, next)
		p->def.doms[p->def.nr_doms++] = g->domain;
}

/*
 * The container's guest domain @id (not one of the virtio-iommu device's),
 * or NULL.  One xarray lookup: a batch entry pays it per op, whatever the
 * number of domains.  lock held.
 */
static struct pviommu_gdom *gdom_of(struct pviommu *p, u32 id)
{
	struct pviommu_gdom *gd;

	lockdep_assert_held(&p->lock);
	gd = xa_load(&p->gdom_xa, id);
	return gd && !gd->viommu ? gd : NULL;
}

static struct pviommu_space *space_of(struct pviommu *p, u32 id)
{
	struct pviommu_gdom *gd;

	if (!id)
		return &p->def;
	gd = gdom_of(p, id);
	return gd ? &gd->space : NULL;
}

/* ------------------------------------------------------------------ */
/* Container ioctls                                                    */
/* ------------------------------------------------------------------ */

/*
 * VFIO_DMA_MAP_FLAG_* to IOMMU_*: 0 for none (pviommu_do_map() refuses
 * it, after the checks type1 makes first), -EINVAL for unknown flags
 * (refused at once, as type1 does; VADDR is unsupported).
 */
static int map_prot(u32 flags)
{
	int prot = 0;

	if (flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	if (flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	return prot;
}

/*
 * The type1 arguments are read field by field in one user-access section,
 * and only the size an unmap reports is written back (type1 writes back
 * the other fields as it read them): for these few words the copy
 * routines' byte-string move costs more than the words themselves.
 */
static int get_dma_map(struct vfio_iommu_type1_dma_map *map,
		       const struct vfio_iommu_type1_dma_map __user *u)
{
	might_fault();
	if (!user_read_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_get_user(map->argsz, &u->argsz, efault);
	unsafe_get_user(map->flags, &u->flags, efault);
	unsafe_get_user(map->vaddr, &u->vaddr, efault);
	unsafe_get_user(map->iova, &u->iova, efault);
	unsafe_get_user(map->size, &u->size, efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

static int get_dma_unmap(struct vfio_iommu_type1_dma_unmap *unmap,
			 const struct vfio_iommu_type1_dma_unmap __user *u)
{
	might_fault();
	if (!user_read_access_begin(u, sizeof(*u)))
		return -EFAULT;
	unsafe_get_user(unmap->argsz, &u->argsz, efault);
	unsafe_get_user(unmap->flags, &u->flags, efault);
	unsafe_get_user(unmap->iova, &u->iova, efault);
	unsafe_get_user(unmap->size, &u->size, efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

static int pviommu_map_dma(struct pviommu *p, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	int prot, ret;

	if (get_dma_map(&map, arg))
		return -EFAULT;
	prot = map_prot(map.flags);
	if (map.argsz < minsz || prot < 0)
		return -EINVAL;
	pviommu_lock(p);
	ret = pviommu_do_map(p, &p->def, map.vaddr, map.iova, map.size, prot,
			     NULL);
	pviommu_count(p, PVIOMMU_CNT_MAP, PVIOMMU_CNT_MAP_FAILED, ret);
	mutex_unlock(&p->lock);
	return ret;
}

static int pviommu_unmap_dma(struct pviommu *p, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_unmap,
					  size);
	struct vfio_iommu_type1_dma_unmap __user *u = arg;
	struct vfio_iommu_type1_dma_unmap unmap;
	u64 done;
	int ret;

	if (get_dma_unmap(&unmap, u))
		return -EFAULT;
	if (unmap.argsz < minsz ||
	    unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;	/* no dirty tracking, no vaddr updates */
	pviommu_lock(p);
	ret = pviommu_do_unmap(p, &p->def, unmap.iova, unmap.size,
			       unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL, &done);
	pviommu_count(p, PVIOMMU_CNT_UNMAP, PVIOMMU_CNT_UNMAP_FAILED, ret);
	mutex_unlock(&p->lock);
	if (ret)
		return ret;
	return put_user(done, &u->size);
}

/*
 * Charge locked_vm once for every page the batch's maps will pin, so each
 * map takes from the credit instead of taking mmap_lock twice; unmaps
 * give back at the end (pviommu_defer_end()).  If the charge fails
 * (RLIMIT_MEMLOCK), the whole batch is accounted op by op, refunds at
 * once, exactly as without batching, so an over-limit map fails on the
 * right entry.  lock held.
 */
static void batch_charge(struct pviommu *p,
			 const struct vfio_ext_pviommu_op *ops, u32 nr,
			 struct pviommu_defer *d)
{
	unsigned long pages = 0;
	u32 i;

	d->credit = 0;
	d->refund = 0;
	d->flush = NULL;
	d->prev = p->defer;
	p->defer = NULL;
	for (i = 0; i < nr; i++) {
		if (ops[i].op != VFIO_EXT_PVIOMMU_OP_MAP)
			continue;
		if (ops[i].size >> PAGE_SHIFT > ULONG_MAX / 2 - pages)
			return;		/* absurd: no credit, let the map fail */
		pages += ops[i].size >> PAGE_SHIFT;
	}
	/* Refunds wait for the end only when the maps are paid ahead. */
	if (!pages) {
		p->defer = d;		/* nothing to pay: unmaps only */
	} else if (!account_locked_vm(p->mm, pages, true)) {
		d->credit = pages;
		p->defer = d;
	}
}

/**
 * pviommu_lock() - take the container lock as anyone but a virtio-iommu
 * round in progress
 * @p: the container
 *
 * A round lets go of the lock between requests (a request reads guest
 * memory, which may fault for as long as the VMM likes) with its unmaps'
 * IOTLB flushes still pending: they are done here before the caller sees
 * any domain, so an unmap that completed is flushed for every other
 * taker too, and a domain is never freed with a flush pending.
 */
void pviommu_lock(struct pviommu *p)
{
	mutex_lock(&p->lock);
	pviommu_flush_pending(p);
}

/*
 * DMA faults.  IOMMU drivers that report faults to the IOMMU core (AMD-Vi,
 * and some Arm ones; not Intel VT-d on 6.1, which only logs them) call the
 * domain's handler from their fault path, possibly in interrupt context:
 * count it, tell the netlink family if vfio-pci-ext is loaded, and return
 * -ENOSYS, which report_iommu_fault() documents as "not handled, do what
 * you do by default": the driver logs the fault as it would without us.
 */
#define PVIOMMU_FAULT_UNHANDLED	(-ENOSYS)

static void pviommu_fault_report(struct pviommu *p, u32 domain,
				 struct device *dev, unsigned long iova,
				 int flags)
{
	void (*report)(struct device *dev, u32 container, u32 domain, u64 iova,
		       u32 flags);

	atomic64_inc(&p->faults);
	report = symbol_get(vfio_ext_nl_iommu_fault);
	if (report) {
		report(dev, p->id, domain, iova,
		       flags & IOMMU_FAULT_WRITE ? VFIO_EXT_FAULT_WRITE : 0);
		symbol_put(vfio_ext_nl_iommu_fault);
	}
}

static int pviommu_fault_def(struct iommu_domain *domain, struct device *dev,
			     unsigned long iova, int flags, void *token)
{
	pviommu_fault_report(token, 0, dev, iova, flags);
	return PVIOMMU_FAULT_UNHANDLED;
}

static int pviommu_fault_gdom(struct iommu_domain *domain, struct device *dev,
			      unsigned long iova, int flags, void *token)
{
	struct pviommu_gdom *gd = token;

	pviommu_fault_report(gd->p, gd->id, dev, iova, flags);
	return PVIOMMU_FAULT_UNHANDLED;
}

/*
 * Every entry's op, flags and reserved word, checked before any entry
 * runs: a newer caller probing a new op or flag learns EINVAL with nothing
 * changed, as it learns E2BIG for a new field.  Domains and ranges are
 * checked as each entry runs (they depend on the entries before it).
 */
static int batch_check(const struct vfio_ext_pviommu_op *ops, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		if (ops[i].reserved)
			return -EINVAL;
		switch (ops[i].op) {
		case VFIO_EXT_PVIOMMU_OP_MAP:
			if (map_prot(ops[i].flags) < 0)
				return -EINVAL;
			break;
		case VFIO_EXT_PVIOMMU_OP_UNMAP:
			if (ops[i].flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * VFIO_EXT_PVIOMMU_BATCH: many maps and unmaps for one syscall and one
 * lock round trip, in order, stopping at the first failure.
 *
 * The entries are copied in once, before the lock (a fault on them -- a
 * userfaultfd-backed array -- stalls this caller alone, never the
 * virtio-iommu or another ioctl waiting for the container), and what runs
 * is what batch_charge() saw; the UNMAP sizes go back after the unlock.
 * Entries are op_size bytes apart: a newer caller's larger entries are
 * accepted when their unknown bytes are zero (vfio_ext_memdup_uarray()).
 */
static int pviommu_batch(struct pviommu *p, void __user *arg)
{
	struct vfio_ext_pviommu_op *ops, *op;
	struct vfio_ext_pviommu_batch b;
	struct pviommu_flush *flush;
	struct pviommu_defer defer;
	struct pviommu_space *sp;
	u8 __user *uops;
	u32 i = 0, j;
	u64 done;
	int ret;

	ret = vfio_ext_get_uarg(&b, VFIO_EXT_PVIOMMU_BATCH_SIZE_VER0, 0, arg);
	if (ret)
		return ret;
	if (b.reserved)
		return -EINVAL;
	uops = u64_to_user_ptr(b.ops);
	ops = vfio_ext_memdup_uarray(uops, b.nr, b.op_size, sizeof(*ops),
				     VFIO_EXT_PVIOMMU_OP_SIZE_VER0,
				     VFIO_EXT_PVIOMMU_BATCH_MAX);
	if (IS_ERR(ops)) {
		ret = PTR_ERR(ops);
		goto out;
	}
	ret = batch_check(ops, b.nr);
	if (ret) {
		kvfree(ops);
		goto out;
	}

	/*
	 * Room to defer the unmaps' flush, for a batch that unmaps; without
	 * it each unmap is flushed at once: not a failure.
	 */
	for (j = 0; j < b.nr; j++)
		if (ops[j].op == VFIO_EXT_PVIOMMU_OP_UNMAP)
			break;
	flush = j < b.nr ? kzalloc(sizeof(*flush), GFP_KERNEL_ACCOUNT) : NULL;

	pviommu_lock(p);
	batch_charge(p, ops, b.nr, &defer);
	/*
	 * The IOTLB is flushed once, at the end, for all the batch's unmaps
	 * (pviommu_flush_pending()); their pages stay pinned until then.
	 * Only when the batch defers at all (paid ahead, or unmaps only): at
	 * the RLIMIT_MEMLOCK boundary every entry is done on its own, as
	 * without batching.
	 */
	if (p->defer == &defer)
		defer.flush = flush;
	for (i = 0; i < b.nr; i++) {
		op = &ops[i];
		sp = space_of(p, op->domain);
		if (!sp) {
			ret = -ENOENT;
			break;
		}
		if (op->op == VFIO_EXT_PVIOMMU_OP_MAP) {
			ret = pviommu_do_map(p, sp, op->vaddr, op->iova,
					     op->size, map_prot(op->flags), NULL);
			pviommu_count(p, PVIOMMU_CNT_MAP,
				      PVIOMMU_CNT_MAP_FAILED, ret);
		} else {
			ret = pviommu_do_unmap(p, sp, op->iova, op->size,
					       op->flags & VFIO_DMA_UNMAP_FLAG_ALL,
					       &done);
			pviommu_count(p, PVIOMMU_CNT_UNMAP,
				      PVIOMMU_CNT_UNMAP_FAILED, ret);
			if (!ret)
				op->size = done;
		}
		if (ret)
			break;
	}
	pviommu_defer_end(p, &defer);
	mutex_unlock(&p->lock);
	kfree(flush);

	/* Every entry before @i ran: give the unmapped sizes back. */
	for (j = 0; j < i; j++) {
		if (ops[j].op == VFIO_EXT_PVIOMMU_OP_UNMAP &&
		    put_user(ops[j].size, (u64 __user *)(uops +
			     (size_t)j * b.op_size +
			     offsetof(struct vfio_ext_pviommu_op, size)))) {
			ret = -EFAULT;
			break;
		}
	}
	kvfree(ops);
out:
	b.done = i;
	if (vfio_ext_put_uarg(arg, &b))
		return -EFAULT;
	return ret;
}

/*
 * VFIO_EXT_PVIOMMU_LIMITS: read, or lower (up to the ceiling), the
 * container's guest-domain mapping budget.
 */
static int pviommu_limits(struct pviommu *p, void __user *arg)
{
	struct vfio_ext_pviommu_limits l;
	int ret;

	ret = vfio_ext_get_uarg(&l, VFIO_EXT_PVIOMMU_LIMITS_SIZE_VER0,
				VFIO_EXT_PVIOMMU_LIMITS_SET_GUEST, arg);
	if (ret)
		return ret;

	pviommu_lock(p);
	if (l.flags & VFIO_EXT_PVIOMMU_LIMITS_SET_GUEST) {
		if (l.guest_maps > p->guest_limit_max) {
			mutex_unlock(&p->lock);
			return -EINVAL;
		}
		p->guest_limit = l.guest_maps;
	}
	l.guest_maps = p->guest_limit;
	l.guest_mapped = p->nr_guest_maps;
	mutex_unlock(&p->lock);
	return vfio_ext_put_uarg(arg, &l);
}

static int pviommu_get_info(struct pviommu *p, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_info,
					  iova_pgsizes);
	struct vfio_iommu_type1_info_cap_iova_range *rng;
	struct vfio_iommu_type1_info_dma_avail avail;
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_iommu_type1_info info = {};
	struct vfio_info_cap_header *hdr;
	size_t size, outsz;
	unsigned int i, n;
	int ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	outsz = info.argsz >= offsetofend(typeof(info), cap_offset) ?
		offsetofend(typeof(info), cap_offset) : minsz;

	pviommu_lock(p);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = p->pgsize_bitmap;

	size = struct_size(rng, iova_ranges, p->valid.nr);
	hdr = vfio_info_cap_add(&caps, size,
				VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(hdr)) {
		ret = PTR_ERR(hdr);
		goto out;
	}
	rng = container_of(hdr, struct vfio_iommu_type1_info_cap_iova_range,
			   header);
	rng->nr_iovas = p->valid.nr;
	for (i = 0; i < p->valid.nr; i++) {
		rng->iova_ranges[i].start = p->valid.r[i].start;
		rng->iova_ranges[i].end = p->valid.r[i].last;
	}

	avail.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	avail.header.version = 1;
	/* The container's own budget: guest domains have theirs. */
	n = p->nr_maps - p->nr_guest_maps;
	avail.avail = p->dma_limit > n ? p->dma_limit - n : 0;
	hdr = vfio_info_cap_add(&caps, sizeof(avail),
				VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1);
	if (IS_ERR(hdr)) {
		ret = PTR_ERR(hdr);
		goto out;
	}
	memcpy(hdr + 1, &avail.header + 1, sizeof(avail) - sizeof(*hdr));
out:
	mutex_unlock(&p->lock);
	if (ret)
		goto free;

	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (info.argsz < sizeof(info) + caps.size) {
		info.argsz = sizeof(info) + caps.size;
		info.cap_offset = 0;
	} else {
		vfio_info_cap_shift(&caps, sizeof(info));
		if (copy_to_user(arg + sizeof(info), caps.buf, caps.size))
			ret = -EFAULT;
		info.cap_offset = sizeof(info);
	}
	/* As type1: cap_offset only goes back if the caller had room for it. */
	if (!ret && copy_to_user(arg, &info, outsz))
		ret = -EFAULT;
free:
	kfree(caps.buf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The paravirtual model: guest domains and endpoints                  */
/* ------------------------------------------------------------------ */

/*
 * As type1: where MSI doorbells sit behind the IOMMU (a software MSI
 * window, IOMMU_RESV_SW_MSI: Arm's SMMU; x86 has none, its MSI range is
 * never translated), @domain needs the cookie with which the DMA layer
 * maps the doorbells for @dev's group.  Return: 0 or -errno.
 */
static int msi_cookie(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct iommu_resv_region *region, *tmp;
	bool sw_msi = false;
	dma_addr_t base = 0;
	LIST_HEAD(resv);
	int ret;

	if (!group)
		return -ENODEV;
	ret = iommu_get_group_resv_regions(group, &resv);
	iommu_group_put(group);
	list_for_each_entry_safe(region, tmp, &resv, list) {
		if (region->type == IOMMU_RESV_SW_MSI) {
			base = region->start;
			sw_msi = true;
		}
		kfree(region);
	}
	if (!ret && sw_msi) {
		ret = iommu_get_msi_cookie(domain, base);
		if (ret == -ENODEV)
			ret = 0;	/* no DMA layer: type1 goes on too */
	}
	return ret;
}

/**
 * pviommu_gdom_free() - unmap and unpin a guest domain's mappings, then
 * free it (lock held; no endpoint may be attached, but one that left
 * without being blocked keeps its IOMMU domain allocated)
 * @p: the container
 * @gd: the domain
 */
void pviommu_gdom_free(struct pviommu *p, struct pviommu_gdom *gd)
{
	struct pviommu_group *g;
	struct pviommu_map *m;
	bool in_use = false;

	/* A group that left but could not be blocked may still use it. */
	list_for_each_entry(g, &p->stale, next) {
		if (g->gdom != gd)
			continue;
		in_use |= iommu_get_domain_for_dev(g->dev) == gd->domain;
		g->gdom = NULL;
	}
	while ((m = pviommu_table_first(&gd->space.table, 0, U64_MAX)))
		pviommu_drop_map(p, &gd->space, m);
	/* Nothing may be left to flush in a domain about to be freed. */
	pviommu_flush_pending(p);
	list_del(&gd->next);
	xa_erase(&p->gdom_xa, gd->id);
	p->nr_gdoms--;
	if (in_use) {
		/*
		 * The device may still fault in it: its handler must not
		 * find @gd or @p, and @gd goes with the domain (leaked).
		 */
		pr_err("guest domain %u still in use: leaked\n", gd->id);
		iommu_set_fault_handler(gd->domain, NULL, NULL);
		return;
	}
	iommu_domain_free(gd->domain);
	kfree(gd);
}

/**
 * pviommu_gdom_new() - a new, empty guest domain (lock held)
 * @p: the container
 * @dev: a device of the IOMMU the domain is for
 * @viommu: it belongs to the virtio-iommu device
 *
 * Return: the domain, or ERR_PTR(-ENOSPC) (PVIOMMU_MAX_GDOMS reached),
 * -ENOMEM, or the IOMMU driver's error.
 */
struct pviommu_gdom *pviommu_gdom_new(struct pviommu *p, struct device *dev,
				      bool viommu)
{
	struct pviommu_gdom *gd;
	int ret;

	lockdep_assert_held(&p->lock);
	if (p->nr_gdoms >= PVIOMMU_MAX_GDOMS)
		return ERR_PTR(-ENOSPC);
	gd = kzalloc(sizeof(*gd), GFP_KERNEL_ACCOUNT);
	if (!gd)
		return ERR_PTR(-ENOMEM);
	gd->p = p;
	gd->domain = vfio_ext_iommu_domain_alloc(dev);
	ret = IS_ERR(gd->domain) ? PTR_ERR(gd->domain) :
	      msi_cookie(gd->domain, dev);
	/*
	 * The lowest free id, never 0: ids are reused, so a guest cycling
	 * domains never runs out.  Published before it is complete: only
	 * holders of the lock look it up, not before this returns.
	 */
	if (!ret) {
		ret = xa_alloc(&p->gdom_xa, &gd->id, gd, xa_limit_31b,
			       GFP_KERNEL_ACCOUNT);
		if (ret == -EBUSY)	/* no free id */
			ret = -ENOSPC;
	}
	if (ret) {
		if (!IS_ERR(gd->domain))
			iommu_domain_free(gd->domain);
		kfree(gd);
		return ERR_PTR(ret);
	}
	iommu_set_fault_handler(gd->domain, pviommu_fault_gdom, gd);
	pviommu_table_init(&gd->space.table);
	gd->space.doms = &gd->domain;
	gd->space.nr_doms = 1;
	gd->space.guest = true;
	gd->viommu = viommu;
	list_add_tail(&gd->next, &p->gdoms);
	p->nr_gdoms++;
	return gd;
}

static int pviommu_domain_alloc(struct pviommu *p, void __user *arg)
{
	struct vfio_ext_pviommu_domain d;
	struct pviommu_gdom *gd;
	int ret;

	ret = vfio_ext_get_uarg(&d, VFIO_EXT_PVIOMMU_DOMAIN_SIZE_VER0, 0, arg);
	if (ret)
		return ret;
	if (d.reserved)
		return -EINVAL;

	pviommu_lock(p);
	ret = -ENODEV;
	if (!first_group(p))
		goto out;
	gd = pviommu_gdom_new(p, first_group(p)->dev, false);
	if (IS_ERR(gd)) {
		ret = PTR_ERR(gd);
		goto out;
	}
	d.id = gd->id;
	ret = 0;
out:
	mutex_unlock(&p->lock);
	if (!ret && vfio_ext_put_uarg(arg, &d))
		ret = -EFAULT;	/* the domain stays; the container frees it */
	return ret;
}

static int pviommu_domain_free(struct pviommu *p, void __user *arg)
{
	struct vfio_ext_pviommu_domain_free f;
	struct pviommu_gdom *gd;
	int ret;

	ret = vfio_ext_get_uarg(&f, VFIO_EXT_PVIOMMU_DOMAIN_FREE_SIZE_VER0, 0,
				arg);
	if (ret)
		return ret;
	if (f.reserved)
		return -EINVAL;
	ret = -ENOENT;
	pviommu_lock(p);
	gd = gdom_of(p, f.id);
	if (gd) {
		ret = -EBUSY;
		if (!gd->nr_endpoints) {
			pviommu_gdom_free(p, gd);
			ret = 0;
		}
	}
	mutex_unlock(&p->lock);
	return ret;
}

static int count_dev(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/* The container's group with IOMMU group number @id.  lock held. */
static struct pviommu_group *group_by_id(struct pviommu *p, u32 id,
					 unsigned int *nr_devs)
{
	struct pviommu_group *g;

	list_for_each_entry(g, &p->groups, next) {
		if (iommu_group_id(g->group) == id) {
			*nr_devs = 0;
			iommu_group_for_each_dev(g->group, nr_devs, count_dev);
			return g;
		}
	}
	return ERR_PTR(-ENOENT);
}

static int pviommu_sids(struct pviommu *p, void __user *arg)
{
	struct vfio_ext_pviommu_sids s;
	struct pviommu_group *g;
	unsigned int nr;
	int ret;

	ret = vfio_ext_get_uarg(&s, VFIO_EXT_PVIOMMU_SIDS_SIZE_VER0, 0, arg);
	if (ret)
		return ret;
	pviommu_lock(p);
	g = group_by_id(p, s.group, &nr);
	mutex_unlock(&p->lock);
	if (IS_ERR(g))
		return PTR_ERR(g);
	/* A PCI function has one stream ID: its requester ID. */
	s.nr_sids = nr == 1 ? 1 : 0;
	return vfio_ext_put_uarg(arg, &s);
}

/**
 * pviommu_place_endpoint() - point @g's DMA at @to, or block it (lock held)
 * @g: the endpoint's group
 * @to: a guest domain, or NULL for the group's own (the container's
 *      mappings)
 * @block: no DMA at all (@to ignored)
 *
 * Blocking is detaching: VFIO owns the group, so the IOMMU core puts it
 * in the group's blocking domain, whatever IOMMU instance it is behind.
 * On 6.1 that attach can fail under memory pressure (the core WARNs and
 * leaves the group where it was): then nothing changes and -ENOMEM says
 * so, never a state that claims a block that is not there.
 *
 * Return: 0, -ENOMEM, or the IOMMU driver's error (@g stays where it was).
 */
int pviommu_place_endpoint(struct pviommu_group *g, struct pviommu_gdom *to,
			   bool block)
{
	struct iommu_domain *from = g->gdom ? g->gdom->domain : g->domain;
	int ret;

	if (block)
		to = NULL;
	if (g->blocked == block && (block || g->gdom == to))
		return 0;
	iommu_detach_group(from, g->group);	/* now blocked ... */
	if (iommu_get_domain_for_dev(g->dev) == from)
		return -ENOMEM;			/* ... unless that failed */
	if (!block) {
		ret = iommu_attach_group(to ? to->domain : g->domain,
					 g->group);
		if (ret) {
			/*
			 * Back where it was.  That attachment worked before,
			 * but the IOMMU driver allocates on every attach, so
			 * under memory pressure it can fail too (found by
			 * fault injection): the device then stays blocked,
			 * which is safe.  Not a WARN: the caller can provoke
			 * it.
			 */
			if (!g->blocked && iommu_attach_group(from, g->group))
				pr_err_ratelimited("group %d left blocked after a failed move\n",
						   iommu_group_id(g->group));
			return ret;
		}
	}
	if (g->gdom)
		g->gdom->nr_endpoints--;
	if (to)
		to->nr_endpoints++;
	g->gdom = to;
	g->blocked = block;
	return 0;
}

static int pviommu_attach(struct pviommu *p, void __user *arg)
{
	struct vfio_ext_pviommu_attach at;
	struct pviommu_group *g, *other;
	struct pviommu_gdom *gd = NULL;
	unsigned int nr;
	int ret;

	ret = vfio_ext_get_uarg(&at, VFIO_EXT_PVIOMMU_ATTACH_SIZE_VER0, 0, arg);
	if (ret)
		return ret;

	pviommu_lock(p);
	g = group_by_id(p, at.group, &nr);
	if (IS_ERR(g)) {
		ret = PTR_ERR(g);
		goto out;
	}
	ret = -EINVAL;
	if (nr != 1 || at.sid_index >= 1)
		goto out;	/* endpoints are single-device groups */
	ret = -EBUSY;
	if (g->has_vsid && g->vsid != at.vsid)
		goto out;
	ret = -EEXIST;
	list_for_each_entry(other, &p->groups, next)
		if (other != g && other->has_vsid && other->vsid == at.vsid)
			goto out;
	if (p->viommu) {
		/* The guest places endpoints: the VMM only names them. */
		ret = -EBUSY;
		if (at.domain || g->vdom)
			goto out;
		ret = pviommu_place_endpoint(g, NULL,
					     pviommu_viommu_blocks(p));
		goto named;
	} else if (at.domain) {
		ret = -ENOENT;
		gd = gdom_of(p, at.domain);
		if (!gd)
			goto out;
	}
	ret = pviommu_place_endpoint(g, gd, false);
named:
	if (!ret) {
		g->vsid = at.vsid;
		g->has_vsid = true;
	}
out:
	mutex_unlock(&p->lock);
	return ret;
}

static long pviommu_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	struct pviommu *p = data;

	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		/* > 0 is "supported"; the value is the uAPI's version. */
		return arg == VFIO_EXT_PVIOMMU_IOMMU ? VFIO_EXT_API_VERSION : 0;
	}
	if (!p)
		return -EINVAL;
	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return pviommu_get_info(p, (void __user *)arg);
	case VFIO_IOMMU_MAP_DMA:
		return pviommu_map_dma(p, (void __user *)arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return pviommu_unmap_dma(p, (void __user *)arg);
	case VFIO_EXT_PVIOMMU_BATCH:
		return pviommu_batch(p, (void __user *)arg);
	case VFIO_EXT_PVIOMMU_DOMAIN_ALLOC:
		return pviommu_domain_alloc(p, (void __user *)arg);
	case VFIO_EXT_PVIOMMU_DOMAIN_FREE:
		return pviommu_domain_free(p, (void __user *)arg);
	case VFIO_EXT_PVIOMMU_ATTACH:
		return pviommu_attach(p, (void __user *)arg);
	case VFIO_EXT_PVIOMMU_SIDS:
		return pviommu_sids(p, (void __user *)arg);
	case VFIO_EXT_PVIOMMU_VIOMMU:
		return pviommu_viommu_create(p, (void __user *)arg);
	case VFIO_EXT_PVIOMMU_LIMITS:
		return pviommu_limits(p, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/* ------------------------------------------------------------------ */
/* Groups                                                              */
/* ------------------------------------------------------------------ */

static int first_dev(struct device *dev, void *data)
{
	*(struct device **)data = dev;
	return 1;
}

static int geometry_add(struct pviommu_group *g, struct pviommu_ranges *valid,
			u64 *pgsizes, struct list_head *resv)
{
	struct iommu_domain_geometry *geo = &g->domain->geometry;

	pviommu_ranges_clip(valid, geo->aperture_start, geo->aperture_end);
	*pgsizes &= g->domain->pgsize_bitmap;
	return iommu_get_group_resv_regions(g->group, resv);
}

/*
 * Valid ranges and page sizes over every group, plus @extra (a group about
 * to join): the apertures, minus every reserved region (the MSI window on
 * x86), like type1's IOVA list.  lock held.
 */
static int compute_geometry(struct pviommu *p, struct pviommu_group *extra,
			    struct pviommu_ranges *valid, u64 *pgsizes)
{
	struct iommu_resv_region *region, *tmp;
	struct pviommu_group *g;
	LIST_HEAD(resv);
	int ret = 0;

	pviommu_ranges_init(valid, 0, U64_MAX);
	*pgsizes = PAGE_MASK;
	if (extra)
		ret = geometry_add(extra, valid, pgsizes, &resv);
	list_for_each_entry(g, &p->groups, next) {
		if (!ret)
			ret = geometry_add(g, valid, pgsizes, &resv);
	}
	list_for_each_entry_safe(region, tmp, &resv, list) {
		if (!ret && region->length)
			ret = pviommu_ranges_exclude(valid, region->start,
						     region->start +
						     region->length - 1);
		kfree(region);	/* copies made for us, as type1 frees them */
	}
	if (!ret && !*pgsizes)
		ret = -EINVAL;
	return ret;
}

static int space_in_ranges(struct pviommu_space *sp,
			   const struct pviommu_ranges *valid)
{
	struct pviommu_map *m;

	for (m = pviommu_table_first(&sp->table, 0, U64_MAX); m;
	     m = pviommu_table_next(m, 0, U64_MAX))
		if (!pviommu_ranges_contain(valid, m->node.start, m->node.last))
			return -EINVAL;
	return 0;
}

/*
 * Every existing mapping, the container's and every guest domain's, must
 * stay valid for a group that joins (its reserved regions, its aperture).
 * lock held.
 */
static int check_spaces(struct pviommu *p, const struct pviommu_ranges *valid)
{
	struct pviommu_gdom *gd;
	int ret = space_in_ranges(&p->def, valid);

	list_for_each_entry(gd, &p->gdoms, next)
		if (!ret)
			ret = space_in_ranges(&gd->space, valid);
	return ret;
}

static void group_free(struct pviommu_group *g)
{
	iommu_domain_free(g->domain);
	put_device(g->dev);
	kfree(g);
}

/*
 * Undo an attach that failed after the group joined @g's domain: detach
 * and free it, unless the IOMMU core could not block the group (6.1 only
 * WARNs and leaves it where it was): then the domain, emptied of every
 * mapping of ours, waits on the stale list for the container's release,
 * as after a detach.
 */
static void attach_undo(struct pviommu *p, struct pviommu_group *g)
{
	iommu_detach_group(g->domain, g->group);
	if (iommu_get_domain_for_dev(g->dev) != g->domain) {
		group_free(g);
		return;
	}
	pr_err_ratelimited("IOMMU group %d could not be blocked; its domain is kept\n",
			   iommu_group_id(g->group));
	pviommu_lock(p);
	pviommu_space_unmap_dom(p, &p->def, g->domain);
	list_add(&g->next, &p->stale);
	mutex_unlock(&p->lock);
}

static int pviommu_attach_group(void *data, struct iommu_group *group,
				enum vfio_group_type type)
{
	struct pviommu *p = data;
	struct pviommu_group *g, *first;
	struct pviommu_ranges valid;
	struct pviommu_map *m;
	struct device *dev = NULL;
	u64 pgsizes;
	int ret;

	if (type != VFIO_IOMMU)
		return -EINVAL;	/* no emulated or no-IOMMU groups */
	iommu_group_for_each_dev(group, &dev, first_dev);
	if (!dev)
		return -ENODEV;

	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return -ENOMEM;
	g->group = group;
	g->dev = get_device(dev);	/* it may be unplugged while we hold it */
	INIT_LIST_HEAD(&g->next);
	g->domain = vfio_ext_iommu_domain_alloc(dev);
	if (IS_ERR(g->domain)) {
		ret = PTR_ERR(g->domain);
		goto err_free;
	}
	iommu_set_fault_handler(g->domain, pviommu_fault_def, p);
	ret = msi_cookie(g->domain, dev);
	if (ret)
		goto err_domain;
	ret = iommu_attach_group(g->domain, group);
	if (ret)
		goto err_domain;
	if (!allow_unsafe_interrupts && !vfio_ext_group_msi_isolated(group)) {
		pr_warn("no interrupt remapping for IOMMU group %d; see allow_unsafe_interrupts\n",
			iommu_group_id(group));
		ret = -EPERM;
		attach_undo(p, g);
		return ret;
	}

	pviommu_lock(p);
	ret = compute_geometry(p, g, &valid, &pgsizes);
	if (ret)
		goto err_unlock;
	/* Existing mappings must stay valid for the group that joins. */
	ret = check_spaces(p, &valid);
	if (ret)
		goto err_unlock;

	first = first_group(p);
	if (first) {
		ret = pviommu_replay(p, &p->def, first->domain, g->domain);
		if (ret)
			goto err_unlock;
		list_add_tail(&g->next, &p->groups);
		rebuild_def_doms(p);
	} else {
		/* The first domain: pin and map what waited. */
		list_add_tail(&g->next, &p->groups);
		rebuild_def_doms(p);
		for (m = pviommu_table_first(&p->def.table, 0, U64_MAX); m;
		     m = pviommu_table_next(m, 0, U64_MAX)) {
			ret = pviommu_pin_map(p, &p->def, m, NULL);
			if (ret)
				break;
		}
		if (ret) {
			for (m = pviommu_table_first(&p->def.table, 0, U64_MAX);
			     m; m = pviommu_table_next(m, 0, U64_MAX))
				pviommu_unmap_unpin(p, &p->def, m);
			list_del(&g->next);
			rebuild_def_doms(p);
			goto err_unlock;
		}
	}
	p->valid = valid;
	p->pgsize_bitmap = pgsizes;
	mutex_unlock(&p->lock);
	return 0;

err_unlock:
	mutex_unlock(&p->lock);
	attach_undo(p, g);
	return ret;
err_domain:
	iommu_domain_free(g->domain);
err_free:
	put_device(g->dev);
	kfree(g);
	return ret;
}

/*
 * Is @g still in one of our domains after a detach?  The IOMMU core
 * leaves a group where it was when the blocking (or default) domain
 * cannot be attached.
 */
static bool group_stuck(struct pviommu_group *g)
{
	struct iommu_domain *cur = iommu_get_domain_for_dev(g->dev);

	return cur == g->domain || (g->gdom && cur == g->gdom->domain);
}

static void pviommu_detach_group(void *data, struct iommu_group *group)
{
	struct pviommu *p = data;
	struct pviommu_group *g, *found = NULL;
	struct pviommu_map *m;

	pviommu_lock(p);
	list_for_each_entry(g, &p->groups, next) {
		if (g->group == group) {
			found = g;
			break;
		}
	}
	if (!found)
		goto out;
	if (found->vdom)
		pviommu_viommu_group_gone(p, found);
	/* An endpoint in a guest domain leaves it. */
	if (found->gdom)
		iommu_detach_group(found->gdom->domain, group);
	/* The last domain goes: unpin everything, keep the mappings. */
	if (list_is_singular(&p->groups)) {
		for (m = pviommu_table_first(&p->def.table, 0, U64_MAX); m;
		     m = pviommu_table_next(m, 0, U64_MAX))
			pviommu_unmap_unpin(p, &p->def, m);
	}
	list_del(&found->next);
	rebuild_def_doms(p);
	iommu_detach_group(found->domain, group);
	if (group_stuck(found)) {
		/*
		 * The core could not block the group (it WARNed): never free
		 * a domain a device may still use.  Its own domain no longer
		 * maps anything that may be unpinned; both wait for the
		 * container's release (the core restores the group's default
		 * domain after us).
		 */
		pr_err_ratelimited("IOMMU group %d could not be blocked; its domains are kept\n",
				   iommu_group_id(group));
		pviommu_space_unmap_dom(p, &p->def, found->domain);
		list_add(&found->next, &p->stale);
	} else {
		if (found->gdom)
			found->gdom->nr_endpoints--;
		group_free(found);
	}
	/*
	 * The remaining groups' geometry is at least as permissive; keep the
	 * old one if the recomputation fails (never publish a partial one).
	 */
	if (!list_empty(&p->groups)) {
		struct pviommu_ranges valid;
		u64 pgsizes;

		if (!compute_geometry(p, NULL, &valid, &pgsizes)) {
			p->valid = valid;
			p->pgsize_bitmap = pgsizes;
		}
	}
out:
	mutex_unlock(&p->lock);
}

static struct iommu_domain *pviommu_group_domain(void *data,
						 struct iommu_group *group)
{
	struct pviommu *p = data;
	struct iommu_domain *domain = ERR_PTR(-ENODEV);
	struct pviommu_group *g;

	pviommu_lock(p);
	list_for_each_entry(g, &p->groups, next) {
		if (g->group == group) {
			/* A blocked endpoint has no domain of ours. */
			if (!g->blocked)
				domain = g->gdom ? g->gdom->domain : g->domain;
			break;
		}
	}
	mutex_unlock(&p->lock);
	return domain;
}

/* ------------------------------------------------------------------ */
/* Container lifetime                                                  */
/* ------------------------------------------------------------------ */

static void *pviommu_open(unsigned long arg)
{
	struct pviommu *p;
	int ret;

	if (arg != VFIO_EXT_PVIOMMU_IOMMU)
		return ERR_PTR(-EINVAL);
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->owner = task_tgid_nr(current);
	mutex_init(&p->lock);
	kref_init(&p->ref);
	INIT_LIST_HEAD(&p->groups);
	INIT_LIST_HEAD(&p->stale);
	INIT_LIST_HEAD(&p->gdoms);
	pviommu_table_init(&p->def.table);
	xa_init_flags(&p->gdom_xa, XA_FLAGS_ALLOC1);
	pviommu_ranges_init(&p->valid, 0, U64_MAX);
	p->pgsize_bitmap = PAGE_MASK;
	p->dma_limit = READ_ONCE(dma_entry_limit);
	p->guest_limit_max = READ_ONCE(guest_dma_entry_limit);
	p->guest_limit = p->guest_limit_max;
	p->mm = current->mm;
	mmgrab(p->mm);
	/* Published last: the inventory may lock it at once. */
	mutex_lock(&pviommu_all_lock);
	ret = xa_alloc(&pviommu_xa, &p->id, p, xa_limit_31b, GFP_KERNEL);
	mutex_unlock(&pviommu_all_lock);
	if (ret) {
		mmdrop(p->mm);
		mutex_destroy(&p->lock);
		kfree(p);
		return ERR_PTR(ret);
	}
	return p;
}

static void pviommu_release(void *data)
{
	struct pviommu *p = data;
	struct pviommu_group *g, *tmp;
	struct pviommu_map *m;

	mutex_lock(&pviommu_all_lock);
	xa_erase(&pviommu_xa, p->id);
	mutex_unlock(&pviommu_all_lock);

	/*
	 * The core detached every group first: the container's mappings are
	 * unpinned; guest domains still hold theirs.
	 */
	pviommu_lock(p);
	if (p->viommu)
		pviommu_viommu_container_gone(p);
	while (!list_empty(&p->gdoms))
		pviommu_gdom_free(p, list_first_entry(&p->gdoms,
						      struct pviommu_gdom,
						      next));
	/*
	 * Groups the core could not block when they left: by now it gave
	 * them their default domain back, or they keep what they use.
	 */
	list_for_each_entry_safe(g, tmp, &p->stale, next) {
		list_del(&g->next);
		if (group_stuck(g)) {
			pr_err("IOMMU group %d still in a pviommu domain: leaked\n",
			       iommu_group_id(g->group));
			/* Its fault handler's @p is about to go. */
			iommu_set_fault_handler(g->domain, NULL, NULL);
		} else {
			group_free(g);
		}
	}
	while ((m = pviommu_table_first(&p->def.table, 0, U64_MAX)))
		pviommu_drop_map(p, &p->def, m);
	/* Only pages an IOMMU driver would not let go of stay pinned. */
	WARN_ON(p->pinned && !p->unmap_refused);
	p->closed = true;
	mutex_unlock(&p->lock);
	pviommu_put(p);
}

static void pviommu_free(struct kref *ref)
{
	struct pviommu *p = container_of(ref, struct pviommu, ref);

	kfree(p->def.doms);
	kfree(p->spare);
	xa_destroy(&p->gdom_xa);
	mmdrop(p->mm);
	mutex_destroy(&p->lock);
	kfree(p);
}

/**
 * pviommu_put() - drop a reference to the container state
 * @p: the container
 */
void pviommu_put(struct pviommu *p)
{
	kref_put(&p->ref, pviommu_free);
}

/* ------------------------------------------------------------------ */
/* Inventory for the netlink family (formatted in pviommu_nl.c)        */
/* ------------------------------------------------------------------ */

/* Copy @p into @s.  Its lock held; no reference leaves the lock. */
static int snapshot_one(struct pviommu *p, struct pviommu_nl_snap *s)
{
	struct pviommu_group *g;
	struct pviommu_gdom *gd;
	unsigned int i;

	s->id = p->id;
	s->owner = p->owner;
	s->mappings = p->nr_maps;
	s->def_mappings = p->def.table.count;
	s->pinned = p->pinned;
	s->dma_limit = p->dma_limit;
	memcpy(s->counters, p->counters, sizeof(s->counters));
	s->counters[PVIOMMU_CNT_FAULTS] = atomic64_read(&p->faults);
	list_for_each_entry(g, &p->groups, next)
		s->nr_eps++;
	list_for_each_entry(gd, &p->gdoms, next)
		s->nr_doms++;
	s->eps = kcalloc(s->nr_eps, sizeof(*s->eps), GFP_KERNEL);
	s->doms = kcalloc(s->nr_doms, sizeof(*s->doms), GFP_KERNEL);
	if ((s->nr_eps && !s->eps) || (s->nr_doms && !s->doms))
		return -ENOMEM;
	i = 0;
	list_for_each_entry(g, &p->groups, next) {
		s->eps[i].group = iommu_group_id(g->group);
		s->eps[i].vsid = g->vsid;
		s->eps[i].has_vsid = g->has_vsid;
		s->eps[i].domain = g->gdom ? g->gdom->id : 0;
		strscpy(s->eps[i].dev, dev_name(g->dev), sizeof(s->eps[i].dev));
		i++;
	}
	i = 0;
	list_for_each_entry(gd, &p->gdoms, next) {
		s->doms[i].id = gd->id;
		s->doms[i].mappings = gd->space.table.count;
		s->doms[i].endpoints = gd->nr_endpoints;
		i++;
	}
	return 0;
}

/**
 * pviommu_nl_snapshot() - copy the container with the smallest id >= @min_id
 * @min_id: where to start
 * @s: receives it (zeroed here); free with pviommu_nl_snap_free()
 *
 * Return: 0, -ENOENT when there is none, -ENOMEM, -EINTR (fatal signal).
 */
int pviommu_nl_snapshot(u32 min_id, struct pviommu_nl_snap *s)
{
	unsigned long index = min_id;
	struct pviommu *p;
	int ret;

	memset(s, 0, sizeof(*s));
	do {
		mutex_lock(&pviommu_all_lock);
		p = xa_find(&pviommu_xa, &index, U32_MAX, XA_PRESENT);
		if (p)
			kref_get(&p->ref);
		mutex_unlock(&pviommu_all_lock);
		if (!p)
			return -ENOENT;
		/* Only this request waits for a busy container. */
		ret = mutex_lock_killable(&p->lock);
		if (!ret) {
			/* Released meanwhile: on to the next one. */
			ret = p->closed ? -ENOENT : snapshot_one(p, s);
			mutex_unlock(&p->lock);
		}
		index = p->id + 1UL;
		pviommu_put(p);
	} while (ret == -ENOENT);
	if (ret)
		pviommu_nl_snap_free(s);
	return ret;
}

static const struct vfio_iommu_driver_ops pviommu_ops = {
	.name			= "vfio-ext-pviommu",
	.owner			= THIS_MODULE,
	.open			= pviommu_open,
	.release		= pviommu_release,
	.ioctl			= pviommu_ioctl,
	.attach_group		= pviommu_attach_group,
	.detach_group		= pviommu_detach_group,
	.group_iommu_domain	= pviommu_group_domain,
};

static int __init pviommu_init(void)
{
	int ret = pviommu_viommu_init();

	if (ret)
		return ret;
	ret = vfio_register_iommu_driver(&pviommu_ops);
	if (ret)
		pviommu_viommu_exit();
	return ret;
}
module_init(pviommu_init);

static void __exit pviommu_exit(void)
{
	vfio_unregister_iommu_driver(&pviommu_ops);
	pviommu_viommu_exit();
}
module_exit(pviommu_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-ext paravirtual IOMMU: a VFIO IOMMU backend");
MODULE_SOFTDEP("pre: vfio");
