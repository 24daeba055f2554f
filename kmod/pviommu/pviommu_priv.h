/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pviommu internals shared by the container backend (pviommu.c), its map
 * paths (pviommu_map.c) and the in-kernel virtio-iommu device
 * (viommu_dev.c), all in vfio-pviommu.ko.
 */
#ifndef _PVIOMMU_PRIV_H
#define _PVIOMMU_PRIV_H

#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "pviommu_nl.h"
#include "pviommu_ranges.h"
#include "pviommu_table.h"

struct iommu_domain;
struct iommu_group;
struct pviommu_viommu;
struct pviommu_vdom;

/**
 * struct pviommu_space - a set of mappings and the IOMMU domains holding
 * them: the container's own (every group's domain) or a guest domain's
 * @table: the mappings
 * @doms: the IOMMU domains; pages are found again through @doms[0]
 * @nr_doms: number of @doms
 * @guest: a guest domain's: its mappings count against the guest budget
 *	(pviommu->guest_limit), not dma_entry_limit
 */
struct pviommu_space {
	struct pviommu_table table;
	struct iommu_domain **doms;
	unsigned int nr_doms;
	bool guest;
};

/**
 * struct pviommu_gdom - a guest domain (the paravirtual model)
 * @next: in pviommu->gdoms
 * @p: its container (immutable; for the fault handler)
 * @id: its id, never 0
 * @domain: its IOMMU domain
 * @space: its mappings (@doms = &@domain)
 * @nr_endpoints: endpoints attached to it
 * @viommu: it belongs to the virtio-iommu device, not to the container
 *          ioctls (which neither see nor free it)
 */
struct pviommu_gdom {
	struct list_head next;
	struct pviommu *p;
	u32 id;
	struct iommu_domain *domain;
	struct pviommu_space space;
	unsigned int nr_endpoints;
	bool viommu;
};

/**
 * struct pviommu_group - a group attached to the container
 * @next: in pviommu->groups
 * @group: the IOMMU group
 * @dev: its first device (to allocate domains for its IOMMU)
 * @domain: its IOMMU domain, holding the container's own mappings
 * @vsid: the endpoint's virtual stream ID, if @has_vsid
 * @has_vsid: the group was named as an endpoint
 * @gdom: the guest domain its DMA goes to, or NULL for @domain
 * @blocked: no DMA at all (the IOMMU core's blocking domain)
 * @vdom: the virtio-iommu domain the guest attached it to, or NULL
 */
struct pviommu_group {
	struct list_head next;
	struct iommu_group *group;
	struct device *dev;
	struct iommu_domain *domain;
	u32 vsid;
	bool has_vsid;
	struct pviommu_gdom *gdom;
	bool blocked;
	struct pviommu_vdom *vdom;
};

/**
 * struct pviommu_acct - whose RLIMIT_MEMLOCK pinned pages count against
 * @task: the VMM's thread-group leader
 * @lock_cap: it had CAP_IPC_LOCK (no limit)
 *
 * The ioctl paths use the calling task; the virtio-iommu worker is a
 * kernel thread (all capabilities, no meaningful rlimit), so the device
 * records its creator's.
 */
struct pviommu_acct {
	struct task_struct *task;
	bool lock_cap;
};

#define PVIOMMU_FLUSH_DOMS	4	/* domains a deferred flush covers */
#define PVIOMMU_FLUSH_RUNS	64	/* page runs it keeps pinned until then */
/* Pages a virtio-iommu round's map charges ahead for the next ones. */
#define PVIOMMU_ROUND_CREDIT	64

/**
 * struct pviommu_flush - IOTLB invalidations and unpins deferred to the
 * end of a VFIO_EXT_PVIOMMU_BATCH call or of a round of virtio-iommu
 * requests (pviommu_flush_pending())
 * @nr_doms: domains unmapped from and not yet flushed
 * @dom: each such domain, with what its IOMMU driver gathered to flush
 * @nr_runs: runs of pages unmapped from every domain, still pinned
 * @run: each run: its first page's physical address, its length in
 *	pages, and whether it was mapped writable (dirtied when unpinned)
 *
 * A batch call holds the container lock from its first entry to the
 * flush; a round lets go of it between requests, and whoever takes it
 * in between flushes first (pviommu_lock()): nothing else sees the
 * domains with a flush pending.
 */
struct pviommu_flush {
	unsigned int nr_doms;
	struct {
		struct iommu_domain *domain;
		struct iommu_iotlb_gather gather;
	} dom[PVIOMMU_FLUSH_DOMS];
	unsigned int nr_runs;
	struct {
		phys_addr_t phys;
		unsigned long n;
		bool write;
	} run[PVIOMMU_FLUSH_RUNS];
};

/**
 * struct pviommu_defer - locked_vm accounting deferred over one batch
 * @credit: pages charged ahead and not yet used by a map
 * @refund: pages unpinned, to uncharge when the batch ends; a later map
 *	of the batch takes from them first (still charged: no new charge)
 * @flush: where unmaps may defer their IOTLB flushes and unpins to the
 *	batch's end, or NULL: each unmap flushes at once
 * @prev: the deferral this batch interrupted, put back when it ends
 *
 * A batch is a VFIO_EXT_PVIOMMU_BATCH call, a device state load, or a
 * round of virtio-iommu requests (at most the requests one used-index
 * update announces).
 */
struct pviommu_defer {
	unsigned long credit;
	unsigned long refund;
	struct pviommu_flush *flush;
	struct pviommu_defer *prev;
};

/**
 * struct pviommu - one container's backend state
 * @lock: protects everything below but @ref and @faults
 * @ref: the container and a virtio-iommu device each hold one
 * @groups: struct pviommu_group, in attach order
 * @stale: groups that left but that the IOMMU core could not block: their
 *	domains are kept until the container's release
 * @def: the container's own mappings, in every group's domain
 * @gdoms: guest domains (struct pviommu_gdom)
 * @gdom_xa: the guest domains by id (ids from 1; lookups under @lock)
 * @nr_gdoms: number of @gdoms
 * @nr_maps: mappings in all spaces
 * @nr_guest_maps: of those, mappings in guest domains; @dma_limit counts
 *	the others, @guest_limit these
 * @valid: usable IOVA ranges (apertures minus reserved regions)
 * @pgsize_bitmap: page sizes every domain supports (at least PAGE_SIZE)
 * @mm: the VMM's mm, for locked_vm accounting
 * @pinned: pages pinned now
 * @unmap_refused: an IOMMU driver kept a page it was asked to unmap; its
 *	pages stay pinned and charged (pviommu_unmap_unpin())
 * @dma_limit: dma_entry_limit when the container was set up (as type1)
 * @guest_limit: most mappings in guest domains (VFIO_EXT_PVIOMMU_LIMITS)
 * @guest_limit_max: guest_dma_entry_limit when the container was set up:
 *	@guest_limit's default and ceiling
 * @defer: accounting of the batch in progress, or NULL (also while a
 *	virtio-iommu round lets go of @lock: pviommu_defer_pause())
 * @pending: IOTLB flushes and unpins deferred and not yet done, or NULL
 *	(pviommu_flush_pending())
 * @spare: the mapping object freed last, reused by the next map (map_alloc()
 *	in pviommu_map.c), or NULL
 * @viommu: the virtio-iommu device, or NULL
 * @closed: the container is gone (its groups, mappings, domains too)
 * @counters: request counters (enum pviommu_counter, pviommu_nl.h)
 * @faults: DMA faults reported in its domains (atomic: the fault handler
 *	runs in the IOMMU driver's context and takes no lock)
 * @id: container id for the netlink inventory (immutable)
 * @owner: tgid of the process that opened it (immutable)
 */
struct pviommu {
	struct mutex lock;	/* the whole container state */
	struct kref ref;
	struct list_head groups;
	struct list_head stale;
	struct pviommu_space def;
	struct list_head gdoms;
	struct xarray gdom_xa;
	unsigned int nr_gdoms;
	unsigned int nr_maps;
	unsigned int nr_guest_maps;
	struct pviommu_ranges valid;
	u64 pgsize_bitmap;
	struct mm_struct *mm;
	unsigned long pinned;
	bool unmap_refused;
	unsigned int dma_limit;
	unsigned int guest_limit;
	unsigned int guest_limit_max;
	struct pviommu_defer *defer;
	struct pviommu_flush *pending;
	struct pviommu_map *spare;
	struct pviommu_viommu *viommu;
	bool closed;
	u64 counters[PVIOMMU_NR_COUNTERS];
	atomic64_t faults;
	u32 id;
	pid_t owner;
};

#define PVIOMMU_MAX_GDOMS	1024

/**
 * pviommu_count() - count a request and, when @ret is an error, its failure
 * @p: the container, its lock held
 * @c: the request's counter (enum pviommu_counter, pviommu_nl.h)
 * @failed: the counter of its failures
 * @ret: the request's result
 *
 * The netlink inventory reports every counter; a new one (virtio-iommu
 * requests) is a new enum pviommu_counter value plus its attribute.
 */
static inline void pviommu_count(struct pviommu *p, enum pviommu_counter c,
				 enum pviommu_counter failed, int ret)
{
	lockdep_assert_held(&p->lock);
	p->counters[c]++;
	if (ret)
		p->counters[failed]++;
}

/* pviommu_map.c, all with lock held */
void pviommu_refund(struct pviommu *p, unsigned long n);
void pviommu_flush_pending(struct pviommu *p);
int pviommu_pin_map(struct pviommu *p, struct pviommu_space *sp,
		    struct pviommu_map *m, const struct pviommu_acct *acct);
void pviommu_unmap_unpin(struct pviommu *p, struct pviommu_space *sp,
			 struct pviommu_map *m);
void pviommu_drop_map(struct pviommu *p, struct pviommu_space *sp,
		      struct pviommu_map *m);
int pviommu_replay(struct pviommu *p, struct pviommu_space *sp,
		   struct iommu_domain *from, struct iommu_domain *to);
void pviommu_space_unmap_dom(struct pviommu *p, struct pviommu_space *sp,
			     struct iommu_domain *domain);
int pviommu_do_map(struct pviommu *p, struct pviommu_space *sp, u64 vaddr,
		   u64 iova, u64 size, int prot,
		   const struct pviommu_acct *acct);
int pviommu_do_unmap(struct pviommu *p, struct pviommu_space *sp, u64 iova,
		     u64 size, bool all, u64 *done);
int pviommu_unmap_range(struct pviommu *p, struct pviommu_space *sp,
			u64 start, u64 last, u64 *done);

/* pviommu.c, with lock held but pviommu_put() */
struct pviommu_gdom *pviommu_gdom_new(struct pviommu *p, struct device *dev,
				      bool viommu);
void pviommu_gdom_free(struct pviommu *p, struct pviommu_gdom *gd);
int pviommu_place_endpoint(struct pviommu_group *g, struct pviommu_gdom *to,
			   bool block);
void pviommu_put(struct pviommu *p);
void pviommu_lock(struct pviommu *p);
void pviommu_defer_begin(struct pviommu *p, struct pviommu_defer *d);
void pviommu_defer_pause(struct pviommu *p, struct pviommu_defer *d);
void pviommu_defer_resume(struct pviommu *p, struct pviommu_defer *d);
void pviommu_defer_end(struct pviommu *p, struct pviommu_defer *d);

/* viommu_dev.c */
int pviommu_viommu_create(struct pviommu *p, void __user *arg);
bool pviommu_viommu_blocks(struct pviommu *p);
void pviommu_viommu_container_gone(struct pviommu *p);
void pviommu_viommu_group_gone(struct pviommu *p, struct pviommu_group *g);
int pviommu_viommu_init(void);
void pviommu_viommu_exit(void);

#endif /* _PVIOMMU_PRIV_H */
