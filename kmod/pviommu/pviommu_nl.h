/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pviommu inventory for the vfio-ext generic netlink family.
 *
 * The family lives in vfio-pci-ext, which must not depend on vfio-pviommu
 * (either module loads alone, in any order).  vfio-pci-ext looks up
 * vfio_ext_pviommu_nl_fill() with symbol_get() at dump time: when
 * vfio-pviommu is not loaded there are no containers to report, and while
 * the dump runs the symbol reference pins the module.
 *
 * pviommu.c fills a plain snapshot of one container under its lock
 * (pviommu_nl_snapshot()); pviommu_nl.c turns it into attributes.
 */
#ifndef _PVIOMMU_NL_H
#define _PVIOMMU_NL_H

#include <linux/types.h>

struct sk_buff;

/**
 * enum pviommu_counter - per-container request counters
 * @PVIOMMU_CNT_MAP: map requests (MAP_DMA, batch map operations)
 * @PVIOMMU_CNT_UNMAP: unmap requests
 * @PVIOMMU_CNT_MAP_FAILED: map requests that failed
 * @PVIOMMU_CNT_UNMAP_FAILED: unmap requests that failed
 * @PVIOMMU_CNT_VIOMMU: requests served by the virtio-iommu device
 * @PVIOMMU_CNT_VIOMMU_FAILED: of those, answered with an error status
 * @PVIOMMU_CNT_FAULTS: DMA faults reported in the container's domains
 *                      (counted without the lock, see pviommu_fault())
 * @PVIOMMU_NR_COUNTERS: number of counters
 *
 * A new counter is a new value here, a new VFIO_EXT_CNT_A_* in the uAPI
 * and a line in pviommu_nl.c's table; count with pviommu_count() under
 * the container's lock.
 */
enum pviommu_counter {
	PVIOMMU_CNT_MAP,
	PVIOMMU_CNT_UNMAP,
	PVIOMMU_CNT_MAP_FAILED,
	PVIOMMU_CNT_UNMAP_FAILED,
	PVIOMMU_CNT_VIOMMU,
	PVIOMMU_CNT_VIOMMU_FAILED,
	PVIOMMU_CNT_FAULTS,
	PVIOMMU_NR_COUNTERS
};

/**
 * struct pviommu_nl_ep - a group attached to a container
 * @group: IOMMU group number
 * @vsid: virtual stream id, if @has_vsid
 * @has_vsid: named as an endpoint
 * @domain: guest domain id, 0 for the container's own mappings
 * @dev: name of its first device
 */
struct pviommu_nl_ep {
	u32 group;
	u32 vsid;
	bool has_vsid;
	u32 domain;
	char dev[32];
};

/**
 * struct pviommu_nl_dom - a guest domain
 * @id: its id
 * @mappings: its mappings
 * @endpoints: endpoints attached to it
 */
struct pviommu_nl_dom {
	u32 id;
	u32 mappings;
	u32 endpoints;
};

/**
 * struct pviommu_nl_snap - one container, copied under its lock
 * @id: container id (from 1, never reused while it exists)
 * @owner: tgid (initial PID namespace) of the process that opened it
 * @mappings: mappings in all spaces
 * @def_mappings: mappings of the container's own space
 * @pinned: pages pinned
 * @dma_limit: mapping limit
 * @counters: enum pviommu_counter values
 * @nr_eps: entries in @eps
 * @eps: groups (kmalloc'ed; pviommu_nl_snap_free())
 * @nr_doms: entries in @doms
 * @doms: guest domains (kmalloc'ed)
 */
struct pviommu_nl_snap {
	u32 id;
	pid_t owner;
	u32 mappings;
	u32 def_mappings;
	u64 pinned;
	u32 dma_limit;
	u64 counters[PVIOMMU_NR_COUNTERS];
	unsigned int nr_eps;
	struct pviommu_nl_ep *eps;
	unsigned int nr_doms;
	struct pviommu_nl_dom *doms;
};

int pviommu_nl_snapshot(u32 min_id, struct pviommu_nl_snap *s);
void pviommu_nl_snap_free(struct pviommu_nl_snap *s);

int vfio_ext_pviommu_nl_fill(struct sk_buff *skb, u32 *id);

struct device;
/* In vfio-pci-ext, for vfio-pviommu's fault handler (symbol_get()). */
void vfio_ext_nl_iommu_fault(struct device *dev, u32 container, u32 domain,
			     u64 iova, u32 flags);

#endif /* _PVIOMMU_NL_H */
