// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel virtio-iommu device (virtio 1.x, 5.13) of a pviommu
 * container, on the vfio-ext virtio transport (kmod/virtio/).
 *
 * Endpoint IDs are the virtual stream IDs the VMM gave the container's
 * groups (VFIO_EXT_PVIOMMU_ATTACH).  A guest domain is created by the
 * first ATTACH naming it and freed, with its mappings, when its last
 * endpoint leaves (as QEMU's device does); each is a real IOMMU domain of
 * the container (struct pviommu_gdom), so a MAP is pinned, accounted and
 * mapped exactly as VFIO_IOMMU_MAP_DMA maps, and is visible to the device
 * when the request completes.  Endpoints no domain holds either bypass
 * (their group's own domain: the VMM's guest-physical mappings) or are
 * blocked (detached: the IOMMU core's blocking domain), as the config
 * field bypass and the negotiated features say.
 *
 * Locking: the transport calls in with the device lock held; everything
 * here that touches the container (domains, endpoints, @bypass_now) also
 * takes pviommu->lock, always after the device lock.  The container's
 * ioctl paths take only pviommu->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_iommu.h>
#include <linux/xarray.h>

#include <linux/vfio_ext.h>
#include "vfio_ext_uarg.h"
#include "pviommu_priv.h"
#include "viommu_req.h"
#include "viommu_state.h"
#include "../virtio/vext_virtio.h"

#define VIOMMU_FEATURES	(BIT_ULL(VIRTIO_IOMMU_F_INPUT_RANGE) | \
			 BIT_ULL(VIRTIO_IOMMU_F_DOMAIN_RANGE) | \
			 BIT_ULL(VIRTIO_IOMMU_F_MAP_UNMAP) | \
			 BIT_ULL(VIRTIO_IOMMU_F_PROBE) | \
			 BIT_ULL(VIRTIO_IOMMU_F_BYPASS_CONFIG))
#define VIOMMU_DEF_PROBE_SIZE	512
#define VIOMMU_MAX_PROBE_SIZE	4096
#define VIOMMU_DEF_QUEUE	256
#define VIOMMU_MAX_QUEUE	1024
#define VIOMMU_REQ_MAX		96	/* readable bytes we look at */
#define TAIL			sizeof(struct virtio_iommu_req_tail)

/**
 * struct pviommu_vdom - a domain of the guest's
 * @id: the guest's domain ID
 * @bypass: attached with VIRTIO_IOMMU_ATTACH_F_BYPASS (no translation)
 * @gd: the container's guest domain holding its mappings; NULL if @bypass
 * @nr_eps: endpoints attached
 */
struct pviommu_vdom {
	u32 id;
	bool bypass;
	struct pviommu_gdom *gd;
	unsigned int nr_eps;
};

/**
 * struct pviommu_viommu - the device
 * @p: its container (a reference)
 * @acct: whose RLIMIT_MEMLOCK the guest's mappings count against
 * @defer: locked_vm and IOTLB flush deferral of the round being served
 *	(p->lock)
 * @flush: where the round's unmaps defer their IOTLB flushes (p->lock)
 * @in_round: a round is being served: its MAP and UNMAP requests resume
 *	@defer
 * @vdoms: guest domain ID -> struct pviommu_vdom (p->lock)
 * @last_vd: the one of @vdoms MAP or UNMAP found last, or NULL (p->lock;
 *	cleared with every domain freed)
 * @bypass_now: endpoints no domain holds bypass (p->lock)
 * @boot_bypass: @bypass when the device is created
 * @bypass: the config field (device lock); a device reset puts
 *          @boot_bypass back
 * @probe_size: the config field
 * @lim: what the driver negotiated (device lock)
 * @stats: requests served by type (VIRTIO_IOMMU_T_*), [0]: others
 */
struct pviommu_viommu {
	struct pviommu *p;
	struct pviommu_acct acct;
	struct xarray vdoms;
	struct pviommu_vdom *last_vd;
	bool bypass_now;
	bool boot_bypass;
	u8 bypass;
	u32 probe_size;
	struct viommu_limits lim;
	u64 stats[VIRTIO_IOMMU_T_PROBE + 1];
	struct pviommu_defer defer;
	struct pviommu_flush flush;
	bool in_round;
};

static struct pviommu_group *endpoint(struct pviommu *p, u32 id)
{
	struct pviommu_group *g;

	list_for_each_entry(g, &p->groups, next)
		if (g->has_vsid && g->vsid == id)
			return g;
	return NULL;
}

/**
 * pviommu_viommu_blocks() - are endpoints no domain holds blocked?
 * @p: the container, with a device; lock held
 *
 * Return: true to block them, false to let them bypass.
 */
bool pviommu_viommu_blocks(struct pviommu *p)
{
	lockdep_assert_held(&p->lock);
	return !p->viommu->bypass_now;
}

/*
 * Set bypass for unattached endpoints and place them; one that cannot
 * reach its own domain stays blocked (fails closed); one that cannot be
 * blocked (6.1, memory pressure only) is reported.  p->lock held.
 */
static void set_bypass(struct pviommu_viommu *v, bool bypass)
{
	struct pviommu *p = v->p;
	struct pviommu_group *g;

	lockdep_assert_held(&p->lock);
	v->bypass_now = bypass;
	list_for_each_entry(g, &p->groups, next)
		if (g->has_vsid && !g->vdom &&
		    pviommu_place_endpoint(g, NULL, !bypass))
			pr_warn_ratelimited("endpoint %u not %s\n", g->vsid,
					    bypass ? "unblocked" : "blocked");
}

/*
 * The domain @id, for MAP and UNMAP: a guest's stream of them names the
 * same domain again and again, so the last one found is tried first.
 * p->lock held.
 */
static struct pviommu_vdom *vdom_find(struct pviommu_viommu *v, u32 id)
{
	struct pviommu_vdom *vd = v->last_vd;

	if (vd && vd->id == id)
		return vd;
	vd = xa_load(&v->vdoms, id);
	if (vd)
		v->last_vd = vd;
	return vd;
}

static void vdom_destroy(struct pviommu_viommu *v, struct pviommu_vdom *vd)
{
	if (v->last_vd == vd)
		v->last_vd = NULL;
	xa_erase(&v->vdoms, vd->id);
	if (vd->gd)
		pviommu_gdom_free(v->p, vd->gd);
	kfree(vd);
}

/* @g leaves its domain; the domain goes with its last endpoint. */
static void vdom_leave(struct pviommu_viommu *v, struct pviommu_group *g)
{
	struct pviommu_vdom *vd = g->vdom;

	g->vdom = NULL;
	if (!--vd->nr_eps)
		vdom_destroy(v, vd);
}

/*
 * Every endpoint out of the guest's domains, to its own domain or blocked
 * (@block), and every guest domain freed with its mappings.  An endpoint
 * that cannot move keeps its domain alive (until the container goes):
 * never free a domain a device may still use.  p->lock held.
 */
static void drop_guest_state(struct pviommu_viommu *v, bool block)
{
	struct pviommu *p = v->p;
	struct pviommu_group *g;
	struct pviommu_vdom *vd;
	unsigned long id;

	list_for_each_entry(g, &p->groups, next) {
		if (!g->has_vsid)
			continue;
		if (pviommu_place_endpoint(g, NULL, block)) {
			pr_warn_ratelimited("endpoint %u stays where it was\n",
					    g->vsid);
			continue;
		}
		if (g->vdom)
			vdom_leave(v, g);
	}
	xa_for_each(&v->vdoms, id, vd)
		if (!vd->nr_eps)
			vdom_destroy(v, vd);
}

/* ------------------------------------------------------------------ */
/* Requests (worker, device lock held, in the VMM's address space)      */
/* ------------------------------------------------------------------ */

static int do_attach(struct pviommu_viommu *v, const struct viommu_req *r)
{
	bool bypass = r->flags & VIRTIO_IOMMU_ATTACH_F_BYPASS;
	struct pviommu *p = v->p;
	struct pviommu_vdom *vd, *fresh = NULL;
	struct pviommu_group *g;

	g = endpoint(p, r->endpoint);
	if (!g)
		return VIRTIO_IOMMU_S_NOENT;
	vd = xa_load(&v->vdoms, r->domain);
	if (vd && vd->bypass != bypass)
		return VIRTIO_IOMMU_S_INVAL;
	if (vd && g->vdom == vd)
		return VIRTIO_IOMMU_S_OK;
	if (!vd) {
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		if (!fresh)
			return VIRTIO_IOMMU_S_NOMEM;
		fresh->id = r->domain;
		fresh->bypass = bypass;
		if (!bypass) {
			fresh->gd = pviommu_gdom_new(p, g->dev, true);
			if (IS_ERR(fresh->gd)) {
				kfree(fresh);
				return VIRTIO_IOMMU_S_NOMEM;
			}
		}
		if (xa_insert(&v->vdoms, r->domain, fresh,
			      GFP_KERNEL_ACCOUNT)) {
			if (fresh->gd)
				pviommu_gdom_free(p, fresh->gd);
			kfree(fresh);
			return VIRTIO_IOMMU_S_NOMEM;
		}
		vd = fresh;
	}
	/* Implicitly detached from where it was (5.13.6.3). */
	if (pviommu_place_endpoint(g, vd->gd, false)) {
		if (fresh)
			vdom_destroy(v, fresh);
		return VIRTIO_IOMMU_S_DEVERR;
	}
	if (g->vdom)
		vdom_leave(v, g);
	vd->nr_eps++;
	g->vdom = vd;
	return VIRTIO_IOMMU_S_OK;
}

static int do_detach(struct pviommu_viommu *v, const struct viommu_req *r)
{
	struct pviommu *p = v->p;
	struct pviommu_vdom *vd;
	struct pviommu_group *g;

	g = endpoint(p, r->endpoint);
	vd = xa_load(&v->vdoms, r->domain);
	if (!g || !vd)
		return VIRTIO_IOMMU_S_NOENT;
	if (g->vdom != vd)
		return VIRTIO_IOMMU_S_INVAL;
	if (pviommu_place_endpoint(g, NULL, pviommu_viommu_blocks(p)))
		return VIRTIO_IOMMU_S_DEVERR;
	vdom_leave(v, g);
	return VIRTIO_IOMMU_S_OK;
}

static int do_map(struct pviommu_viommu *v, struct vext_vdev *vdev,
		  const struct viommu_req *r)
{
	u64 size = r->virt_end - r->virt_start + 1, uva;
	struct pviommu_vdom *vd;
	int prot = 0;

	vd = vdom_find(v, r->domain);
	if (!vd)
		return VIRTIO_IOMMU_S_NOENT;
	if (vd->bypass)
		return VIRTIO_IOMMU_S_INVAL;
	if (r->flags & VIRTIO_IOMMU_MAP_F_READ)
		prot |= IOMMU_READ;
	if (r->flags & VIRTIO_IOMMU_MAP_F_WRITE)
		prot |= IOMMU_WRITE;
	if (!prot)
		return VIRTIO_IOMMU_S_INVAL;
	/* Guest memory is what the memory table describes, one region. */
	if (!size || vext_vdev_gpa_to_uva(vdev, r->phys_start, size, &uva))
		return VIRTIO_IOMMU_S_RANGE;
	switch (pviommu_do_map(v->p, &vd->gd->space, uva, r->virt_start, size,
			       prot, &v->acct)) {
	case 0:
		return VIRTIO_IOMMU_S_OK;
	case -EEXIST:
		return VIRTIO_IOMMU_S_INVAL;	/* overlaps a mapping */
	case -EINVAL:
	case -EOVERFLOW:
		return VIRTIO_IOMMU_S_RANGE;	/* a reserved or invalid IOVA */
	case -ENOMEM:
	case -ENOSPC:
		/* RLIMIT_MEMLOCK, or the guest budget (guest_limit) */
		return VIRTIO_IOMMU_S_NOMEM;
	default:
		return VIRTIO_IOMMU_S_DEVERR;	/* the VMM's memory is gone */
	}
}

static int do_unmap(struct pviommu_viommu *v, const struct viommu_req *r)
{
	struct pviommu_vdom *vd;
	u64 done;

	vd = vdom_find(v, r->domain);
	if (!vd)
		return VIRTIO_IOMMU_S_NOENT;
	if (vd->bypass)
		return VIRTIO_IOMMU_S_INVAL;
	/* Whole mappings only; a range may hold none (5.13.6.6). */
	if (pviommu_unmap_range(v->p, &vd->gd->space, r->virt_start,
				r->virt_end, &done))
		return VIRTIO_IOMMU_S_RANGE;
	return VIRTIO_IOMMU_S_OK;
}

/* The endpoint's reserved regions as RESV_MEM properties into @props. */
static int do_probe(struct pviommu_viommu *v, const struct viommu_req *r,
		    u8 *props)
{
	struct virtio_iommu_probe_resv_mem prop = {};
	struct iommu_resv_region *region, *tmp;
	struct pviommu_group *g;
	LIST_HEAD(resv);
	size_t off = 0;
	int st = VIRTIO_IOMMU_S_OK;

	g = endpoint(v->p, r->endpoint);
	if (!g)
		return VIRTIO_IOMMU_S_NOENT;
	if (iommu_get_group_resv_regions(g->group, &resv))
		st = VIRTIO_IOMMU_S_NOMEM;
	list_for_each_entry_safe(region, tmp, &resv, list) {
		if (st == VIRTIO_IOMMU_S_OK && region->length) {
			if (off + sizeof(prop) > v->lim.probe_size) {
				st = VIRTIO_IOMMU_S_DEVERR;	/* never a partial list */
			} else {
				prop.head.type =
					cpu_to_le16(VIRTIO_IOMMU_PROBE_T_RESV_MEM);
				prop.head.length = cpu_to_le16(sizeof(prop) -
							       sizeof(prop.head));
				/*
				 * A software MSI window (IOMMU_RESV_SW_MSI)
				 * is the host's IOVA, not a doorbell the
				 * guest can use: only reserved.
				 */
				prop.subtype = region->type == IOMMU_RESV_MSI ?
					       VIRTIO_IOMMU_RESV_MEM_T_MSI :
					       VIRTIO_IOMMU_RESV_MEM_T_RESERVED;
				prop.start = cpu_to_le64(region->start);
				prop.end = cpu_to_le64(region->start +
						       region->length - 1);
				memcpy(props + off, &prop, sizeof(prop));
				off += sizeof(prop);
			}
		}
		kfree(region);
	}
	return st;
}

/*
 * A round of requests begins or ends; the transport ends it before it
 * announces any of its answers.  Until then, locked_vm refunds wait
 * (pviommu_defer_begin()), and so do the IOTLB flushes of its unmaps and
 * the unpinning of their pages: a driver learns that an UNMAP completed
 * from the used ring, after the flush.  Between requests the deferral is
 * paused: whoever takes the container lock then flushes first.
 */
static void viommu_round(struct vext_vdev *vdev, unsigned int qi, bool end)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);
	struct pviommu *p = v->p;

	mutex_lock(&p->lock);
	if (end) {
		pviommu_defer_resume(p, &v->defer);
		pviommu_defer_end(p, &v->defer);
		v->in_round = false;
	} else {
		pviommu_defer_begin(p, &v->defer);
		v->defer.flush = &v->flush;
		pviommu_defer_pause(p, &v->defer);
		v->in_round = true;
	}
	mutex_unlock(&p->lock);
}

/* Zero the first @len writable bytes of @c (a PROBE that failed). */
static int chain_zero(struct vext_vdev *vdev, const struct vext_chain *c,
		      u32 len)
{
	static const u8 zeros[64];
	u32 off, n;
	int ret = 0;

	for (off = 0; off < len && !ret; off += n) {
		n = min_t(u32, len - off, sizeof(zeros));
		ret = vext_chain_write(vdev, c, off, zeros, n);
	}
	return ret;
}

static int viommu_request(struct vext_vdev *vdev, unsigned int qi,
			  const struct vext_chain *c)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);
	struct virtio_iommu_req_tail tail = {};
	struct pviommu *p = v->p;
	u8 buf[VIOMMU_REQ_MAX], *props = NULL;
	struct viommu_req req;
	u64 len = min_t(u64, c->out_len, sizeof(buf));
	u32 tail_off = 0;
	bool resume;
	int st, ret;

	ret = vext_chain_read(vdev, c, 0, buf, len);
	if (ret)
		return ret;
	st = viommu_parse(buf, len, c->in_len, &v->lim, &req);
	if (st < 0)
		return 0;	/* no room for a status: returned unanswered */
	v->stats[req.type <= VIRTIO_IOMMU_T_PROBE ? req.type : 0]++;
	/*
	 * The tail follows PROBE's property area when the driver made room
	 * for it, else it starts the writable part (QEMU's layout); the
	 * device writes every byte up to the used length (2.7.8.1).
	 */
	if (req.type == VIRTIO_IOMMU_T_PROBE && v->lim.probe_size &&
	    c->in_len >= (u64)v->lim.probe_size + TAIL) {
		tail_off = v->lim.probe_size;
		props = kzalloc(v->lim.probe_size, GFP_KERNEL);
		if (!props)
			st = VIRTIO_IOMMU_S_NOMEM;
	}

	/*
	 * Only MAP and UNMAP go on with the round's deferral; the others,
	 * which move endpoints and free domains, find every flush done and
	 * leave none pending.
	 */
	resume = v->in_round && st == VIRTIO_IOMMU_S_OK &&
		 (req.type == VIRTIO_IOMMU_T_MAP ||
		  req.type == VIRTIO_IOMMU_T_UNMAP);
	mutex_lock(&p->lock);
	if (resume)
		pviommu_defer_resume(p, &v->defer);
	else
		pviommu_flush_pending(p);
	if (p->closed) {
		st = VIRTIO_IOMMU_S_DEVERR;	/* the container is gone */
	} else if (st == VIRTIO_IOMMU_S_OK) {
		switch (req.type) {
		case VIRTIO_IOMMU_T_ATTACH:
			st = do_attach(v, &req);
			break;
		case VIRTIO_IOMMU_T_DETACH:
			st = do_detach(v, &req);
			break;
		case VIRTIO_IOMMU_T_MAP:
			st = do_map(v, vdev, &req);
			break;
		case VIRTIO_IOMMU_T_UNMAP:
			st = do_unmap(v, &req);
			break;
		case VIRTIO_IOMMU_T_PROBE:
			st = do_probe(v, &req, props);
			break;
		}
	}
	if (!p->closed)
		pviommu_count(p, PVIOMMU_CNT_VIOMMU, PVIOMMU_CNT_VIOMMU_FAILED,
			      st != VIRTIO_IOMMU_S_OK);
	if (resume)
		pviommu_defer_pause(p, &v->defer);
	mutex_unlock(&p->lock);

	ret = 0;
	if (props && st == VIRTIO_IOMMU_S_OK)
		ret = vext_chain_write(vdev, c, 0, props, tail_off);
	else if (tail_off)
		ret = chain_zero(vdev, c, tail_off);
	kfree(props);
	tail.status = st;
	if (!ret)
		ret = vext_chain_write(vdev, c, tail_off, &tail, sizeof(tail));
	return ret ? ret : tail_off + TAIL;
}

/* ------------------------------------------------------------------ */
/* Config space, features, reset                                        */
/* ------------------------------------------------------------------ */

/* The config space as it is now.  p->lock held. */
static void fill_config(struct pviommu_viommu *v,
			struct virtio_iommu_config *cfg)
{
	struct pviommu *p = v->p;

	memset(cfg, 0, sizeof(*cfg));
	cfg->page_size_mask = cpu_to_le64(p->pgsize_bitmap);
	if (p->valid.nr) {
		cfg->input_range.start = cpu_to_le64(p->valid.r[0].start);
		cfg->input_range.end =
			cpu_to_le64(p->valid.r[p->valid.nr - 1].last);
	}
	cfg->domain_range.start = cpu_to_le32(1);
	cfg->domain_range.end = cpu_to_le32(PVIOMMU_MAX_GDOMS - 1);
	cfg->probe_size = cpu_to_le32(v->probe_size);
	cfg->bypass = v->bypass;
}

static void viommu_get_config(struct vext_vdev *vdev, void *buf)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);

	pviommu_lock(v->p);
	fill_config(v, buf);
	mutex_unlock(&v->p->lock);
}

/* Bypass applies once negotiated; before FEATURES_OK the field rules. */
static bool want_bypass(struct pviommu_viommu *v, struct vext_vdev *vdev)
{
	u64 f = vext_vdev_features(vdev);

	if (vext_vdev_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK &&
	    !(f & BIT_ULL(VIRTIO_IOMMU_F_BYPASS_CONFIG)))
		return false;	/* 5.13.6.2: no bypass without the feature */
	return v->bypass;
}

static void update_bypass(struct pviommu_viommu *v, bool bypass)
{
	pviommu_lock(v->p);
	if (!v->p->closed && bypass != v->bypass_now)
		set_bypass(v, bypass);
	mutex_unlock(&v->p->lock);
}

static void viommu_set_config(struct vext_vdev *vdev, unsigned int off,
			      const void *buf, unsigned int len)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);
	unsigned int at = offsetof(struct virtio_iommu_config, bypass);

	/* Only bypass is writable, and only when negotiated. */
	if (at < off || at >= off + len ||
	    !(vext_vdev_features(vdev) &
	      BIT_ULL(VIRTIO_IOMMU_F_BYPASS_CONFIG)))
		return;
	v->bypass = !!((const u8 *)buf)[at - off];
	update_bypass(v, want_bypass(v, vdev));
}

static bool viommu_features_ok(struct vext_vdev *vdev, u64 f)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);
	struct virtio_iommu_config cfg;
	struct viommu_limits *lim = &v->lim;

	pviommu_lock(v->p);
	fill_config(v, &cfg);
	mutex_unlock(&v->p->lock);
	lim->granule = 1ULL << __ffs64(le64_to_cpu(cfg.page_size_mask));
	lim->input_start = 0;
	lim->input_end = U64_MAX;
	if (f & BIT_ULL(VIRTIO_IOMMU_F_INPUT_RANGE)) {
		lim->input_start = le64_to_cpu(cfg.input_range.start);
		lim->input_end = le64_to_cpu(cfg.input_range.end);
	}
	lim->domain_start = 0;
	lim->domain_end = U32_MAX;
	if (f & BIT_ULL(VIRTIO_IOMMU_F_DOMAIN_RANGE)) {
		lim->domain_start = le32_to_cpu(cfg.domain_range.start);
		lim->domain_end = le32_to_cpu(cfg.domain_range.end);
	}
	lim->probe_size = f & BIT_ULL(VIRTIO_IOMMU_F_PROBE) ?
			  v->probe_size : 0;
	lim->bypass = f & BIT_ULL(VIRTIO_IOMMU_F_BYPASS_CONFIG);
	update_bypass(v, lim->bypass && v->bypass);
	return true;
}

static void viommu_reset(struct vext_vdev *vdev)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);
	struct pviommu *p = v->p;

	memset(&v->lim, 0, sizeof(v->lim));
	/*
	 * As created: the VMM relays a guest reboot as this reset and has
	 * no other way to give firmware its boot bypass back (QEMU restores
	 * the field on system reset, which this device does not see apart).
	 */
	v->bypass = v->boot_bypass;
	pviommu_lock(p);
	if (!p->closed) {
		/* Features are gone: the field alone decides again. */
		v->bypass_now = v->bypass;
		drop_guest_state(v, !v->bypass);
	}
	mutex_unlock(&p->lock);
}

/*
 * Undo everything the device did to the container.  An endpoint that
 * could not leave its guest domain stays there (the domain is freed with
 * the container; the VMM can move the endpoint out), but keeps no link
 * to the device's domains, which go with the device.  p->lock held.
 */
static void viommu_detach(struct pviommu_viommu *v)
{
	struct pviommu *p = v->p;
	struct pviommu_group *g;
	struct pviommu_vdom *vd;
	unsigned long id;

	if (p->closed)
		return;		/* pviommu_viommu_container_gone() did it */
	drop_guest_state(v, false);
	list_for_each_entry(g, &p->groups, next)
		g->vdom = NULL;
	v->last_vd = NULL;
	xa_for_each(&v->vdoms, id, vd) {
		xa_erase(&v->vdoms, id);
		kfree(vd);
	}
	p->viommu = NULL;
}

static void viommu_free(struct pviommu_viommu *v)
{
	xa_destroy(&v->vdoms);
	put_task_struct(v->acct.task);
	pviommu_put(v->p);
	kfree(v);
}

static void viommu_release(struct vext_vdev *vdev)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);

	pviommu_lock(v->p);
	viommu_detach(v);
	mutex_unlock(&v->p->lock);
	viommu_free(v);
}

/**
 * pviommu_viommu_container_gone() - the container is being released
 * @p: it (lock held), its groups already detached
 *
 * Its guest domains go with it; the device answers DEVERR from now on.
 */
void pviommu_viommu_container_gone(struct pviommu *p)
{
	struct pviommu_viommu *v = p->viommu;
	struct pviommu_vdom *vd;
	unsigned long id;

	v->last_vd = NULL;
	xa_for_each(&v->vdoms, id, vd) {
		xa_erase(&v->vdoms, id);
		kfree(vd);	/* its gdom is freed with the container's */
	}
	p->viommu = NULL;
}

/**
 * pviommu_viommu_group_gone() - a group in a guest domain leaves the
 * container
 * @p: the container (lock held)
 * @g: the group; its guest domain is left to the caller
 */
void pviommu_viommu_group_gone(struct pviommu *p, struct pviommu_group *g)
{
	g->vdom->nr_eps--;	/* the domain stays until the guest resets */
	g->vdom = NULL;
}

/* ------------------------------------------------------------------ */
/* Device state: save and load (VFIO_EXT_VIRTIO_DEVICE_STATE)           */
/* ------------------------------------------------------------------ */

static u32 map_flags(const struct pviommu_map *m)
{
	return (m->prot & IOMMU_READ ? VIRTIO_IOMMU_MAP_F_READ : 0) |
	       (m->prot & IOMMU_WRITE ? VIRTIO_IOMMU_MAP_F_WRITE : 0);
}

/*
 * -EBUSY when the device has guest state (a domain, an endpoint in one),
 * -ENODEV after the container is gone, else 0.  p->lock held.
 */
static int guest_state(struct pviommu_viommu *v)
{
	struct pviommu_group *g;

	if (v->p->closed)
		return -ENODEV;
	if (!xa_empty(&v->vdoms))
		return -EBUSY;
	list_for_each_entry(g, &v->p->groups, next)
		if (g->vdom)
			return -EBUSY;
	return 0;
}

/* Everything into @s (allocated here).  Device lock and p->lock held. */
static int collect(struct pviommu_viommu *v, struct vext_vdev *vdev,
		   struct viommu_state *s)
{
	struct pviommu *p = v->p;
	u32 nr_doms = 0, nr_maps = 0, nr_eps = 0, i = 0, j = 0;
	struct viommu_state_dom *d;
	struct pviommu_group *g;
	struct pviommu_vdom *vd;
	struct pviommu_map *m;
	unsigned long id;
	int ret;

	xa_for_each(&v->vdoms, id, vd) {
		nr_doms++;
		if (vd->gd)
			nr_maps += vd->gd->space.table.count;
	}
	list_for_each_entry(g, &p->groups, next)
		nr_eps += g->has_vsid && g->vdom;
	ret = viommu_state_alloc(s, nr_doms, nr_maps, nr_eps);
	if (ret)
		return ret;

	if (vext_vdev_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)
		s->features = vext_vdev_features(vdev);
	s->input_start = v->lim.input_start;
	s->input_end = v->lim.input_end;
	s->domain_start = v->lim.domain_start;
	s->domain_end = v->lim.domain_end;
	s->probe_size = v->probe_size;
	s->bypass = v->bypass;
	xa_for_each(&v->vdoms, id, vd) {
		d = &s->doms[i++];
		d->id = vd->id;
		d->bypass = vd->bypass;
		d->maps = &s->maps[j];
		if (!vd->gd)
			continue;
		for (m = pviommu_table_first(&vd->gd->space.table, 0, U64_MAX);
		     m; m = pviommu_table_next(m, 0, U64_MAX)) {
			struct viommu_state_map *sm = &s->maps[j++];

			sm->iova = m->node.start;
			sm->last = m->node.last;
			sm->flags = map_flags(m);
			/* The VMM's address, back to the guest's. */
			ret = vext_vdev_uva_to_gpa(vdev, m->vaddr,
						   pviommu_map_size(m),
						   &sm->gpa);
			if (ret)
				return ret;
			d->nr_maps++;
		}
	}
	i = 0;
	list_for_each_entry(g, &p->groups, next) {
		if (!g->has_vsid || !g->vdom)
			continue;
		s->eps[i].endpoint = g->vsid;
		s->eps[i++].domain = g->vdom->id;
	}
	return 0;
}

static long viommu_save_state(struct vext_vdev *vdev, void **out)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);
	struct pviommu *p = v->p;
	struct viommu_state s = {};
	size_t size;
	long ret;

	pviommu_lock(p);
	if (p->closed) {
		ret = -ENODEV;
		goto out;
	}
	ret = collect(v, vdev, &s);
	if (ret)
		goto out;
	size = viommu_state_size(s.nr_doms, s.nr_maps, s.nr_eps);
	*out = kvmalloc(size, GFP_KERNEL_ACCOUNT);
	if (!*out) {
		ret = -ENOMEM;
		goto out;
	}
	viommu_state_encode(&s, *out, size);
	ret = size;
out:
	mutex_unlock(&p->lock);
	viommu_state_free(&s);
	return ret;
}

/*
 * The largest blob LOAD reads: twice a full state of this container (every
 * guest domain, the guest budget's mappings, every endpoint in a domain),
 * for a newer minor's longer records, plus 64 KiB for its optional
 * sections.  -EBUSY when the device has guest state: LOAD would refuse
 * the blob anyway, so it is not read.
 */
static long viommu_state_max(struct vext_vdev *vdev)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);
	struct pviommu *p = v->p;
	struct pviommu_group *g;
	u32 nr_groups = 0;
	long max;

	pviommu_lock(p);
	max = guest_state(v);
	list_for_each_entry(g, &p->groups, next)
		nr_groups++;
	if (!max)
		max = 2 * viommu_state_size(PVIOMMU_MAX_GDOMS, p->guest_limit,
					    nr_groups) + SZ_64K;
	mutex_unlock(&p->lock);
	return max;
}

/*
 * Charge all the state's pages to locked_vm at once, as a credit its maps
 * take from (one mmap_lock round trip instead of one per map).  Over the
 * limit, nothing is charged ahead: each map is charged on its own, and
 * the one that crosses the limit fails.  p->lock held, @d begun.
 */
static void precharge(struct pviommu_viommu *v, const struct viommu_state *s,
		      struct pviommu_defer *d)
{
	struct pviommu *p = v->p;
	unsigned long pages = 0, n;
	u32 i;

	for (i = 0; i < s->nr_maps; i++) {
		n = (s->maps[i].last - s->maps[i].iova + 1) >> PAGE_SHIFT;
		if (n > ULONG_MAX / 2 - pages)
			return;
		pages += n;
	}
	if (!pages)
		return;
	mmap_write_lock(p->mm);
	if (!__account_locked_vm(p->mm, pages, true, v->acct.task,
				 v->acct.lock_cap))
		d->credit = pages;
	mmap_write_unlock(p->mm);
}

/* The state's checks against the container.  Device lock, p->lock held. */
static int load_check(struct pviommu_viommu *v, struct vext_vdev *vdev,
		      const struct viommu_state *s)
{
	struct pviommu *p = v->p;
	const struct viommu_state_map *m;
	u32 i, gdoms = 0;
	u64 uva;
	int ret;

	ret = guest_state(v);
	if (ret)
		return ret;
	for (i = 0; i < s->nr_eps; i++)
		if (!endpoint(p, s->eps[i].endpoint))
			return -ENOENT;
	for (i = 0; i < s->nr_maps; i++) {
		m = &s->maps[i];
		if (vext_vdev_gpa_to_uva(vdev, m->gpa, m->last - m->iova + 1,
					 &uva))
			return -EFAULT;
		/* The input range's holes: the MSI window, reserved regions. */
		if (!pviommu_ranges_contain(&p->valid, m->iova, m->last))
			return -ERANGE;
	}
	if (s->nr_maps > p->guest_limit - min(p->nr_guest_maps, p->guest_limit))
		return -ENOSPC;
	for (i = 0; i < s->nr_doms; i++)
		gdoms += !s->doms[i].bypass;
	/* A guest domain needs a device of the container to exist for. */
	if (gdoms && list_empty(&p->groups))
		return -ENOENT;
	return p->nr_gdoms + gdoms > PVIOMMU_MAX_GDOMS ? -ENOSPC : 0;
}

/*
 * The group whose device the guest domain @id is allocated for: the first
 * endpoint the state attaches to it, or for a domain without endpoints
 * (its group left the container) any group of the container, as a MAP
 * into such a domain would use.  NULL when the container has none.
 */
static struct pviommu_group *first_endpoint(struct pviommu *p,
					    const struct viommu_state *s,
					    u32 id)
{
	u32 i;

	for (i = 0; i < s->nr_eps; i++)
		if (s->eps[i].domain == id)
			return endpoint(p, s->eps[i].endpoint);
	return list_first_entry_or_null(&p->groups, struct pviommu_group,
					next);
}

/* A domain of the state with its mappings.  Device lock, p->lock held. */
static int load_dom(struct pviommu_viommu *v, struct vext_vdev *vdev,
		    const struct viommu_state *s,
		    const struct viommu_state_dom *sd)
{
	struct pviommu *p = v->p;
	const struct viommu_state_map *m;
	struct pviommu_vdom *vd;
	struct pviommu_group *g;
	u64 uva, size;
	int ret, prot;
	u32 i;

	g = first_endpoint(p, s, sd->id);
	if (WARN_ON_ONCE(!g && !sd->bypass))
		return -EINVAL;	/* load_check() saw a group */
	vd = kzalloc(sizeof(*vd), GFP_KERNEL_ACCOUNT);
	if (!vd)
		return -ENOMEM;
	vd->id = sd->id;
	vd->bypass = sd->bypass;
	if (!vd->bypass) {
		vd->gd = pviommu_gdom_new(p, g->dev, true);
		if (IS_ERR(vd->gd)) {
			ret = PTR_ERR(vd->gd);
			kfree(vd);
			return ret;
		}
	}
	ret = xa_insert(&v->vdoms, vd->id, vd, GFP_KERNEL_ACCOUNT);
	if (ret) {
		if (vd->gd)
			pviommu_gdom_free(p, vd->gd);
		kfree(vd);
		return ret;
	}
	/* As a MAP request maps (do_map()); the unwind frees @vd. */
	for (i = 0; i < sd->nr_maps; i++) {
		m = &sd->maps[i];
		size = m->last - m->iova + 1;
		prot = (m->flags & VIRTIO_IOMMU_MAP_F_READ ? IOMMU_READ : 0) |
		       (m->flags & VIRTIO_IOMMU_MAP_F_WRITE ? IOMMU_WRITE : 0);
		ret = vext_vdev_gpa_to_uva(vdev, m->gpa, size, &uva);
		if (!ret)
			ret = pviommu_do_map(p, &vd->gd->space, uva, m->iova,
					     size, prot, &v->acct);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Apply a checked state: domains and their mappings, endpoints into them,
 * then bypass.  On any failure everything it did is undone (the device
 * had no guest state: drop_guest_state() takes it back there).  Device
 * lock, p->lock held.
 */
static int load_apply(struct pviommu_viommu *v, struct vext_vdev *vdev,
		      const struct viommu_state *s)
{
	struct pviommu *p = v->p;
	struct pviommu_defer defer;
	struct pviommu_group *g;
	struct pviommu_vdom *vd;
	int ret = 0;
	u32 i;

	pviommu_defer_begin(p, &defer);
	precharge(v, s, &defer);
	for (i = 0; i < s->nr_doms && !ret; i++)
		ret = load_dom(v, vdev, s, &s->doms[i]);
	for (i = 0; i < s->nr_eps && !ret; i++) {
		g = endpoint(p, s->eps[i].endpoint);
		vd = xa_load(&v->vdoms, s->eps[i].domain);
		ret = pviommu_place_endpoint(g, vd->gd, false);
		if (!ret) {
			vd->nr_eps++;
			g->vdom = vd;
		}
	}
	if (ret) {
		drop_guest_state(v, !v->bypass_now);
	} else {
		v->bypass = s->bypass;
		if (want_bypass(v, vdev) != v->bypass_now)
			set_bypass(v, !v->bypass_now);
	}
	pviommu_defer_end(p, &defer);
	return ret;
}

static int viommu_load_state(struct vext_vdev *vdev, const void *buf,
			     size_t len)
{
	struct pviommu_viommu *v = vext_vdev_priv(vdev);
	struct pviommu *p = v->p;
	struct viommu_state s;
	u64 features = 0;
	int ret;
	u32 i;

	ret = viommu_state_decode(buf, len, &s);
	if (ret)
		goto out;
	/* The driver negotiated what it had (or nothing, with no state). */
	if (vext_vdev_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)
		features = vext_vdev_features(vdev);
	ret = -EPROTO;
	if (s.features != features || s.probe_size != v->probe_size ||
	    (!features && s.nr_doms))
		goto out;
	/* A bypass domain needs BYPASS_CONFIG, as ATTACH_F_BYPASS does. */
	if (!(features & BIT_ULL(VIRTIO_IOMMU_F_BYPASS_CONFIG)))
		for (i = 0; i < s.nr_doms; i++)
			if (s.doms[i].bypass)
				goto out;
	ret = viommu_state_check(&s, &v->lim);
	if (ret)
		goto out;
	pviommu_lock(p);
	ret = load_check(v, vdev, &s);
	if (!ret)
		ret = load_apply(v, vdev, &s);
	mutex_unlock(&p->lock);
out:
	viommu_state_free(&s);
	return ret;
}

static struct vext_vdev_ops viommu_ops = {
	.name		= "viommu",
	.owner		= THIS_MODULE,
	.device_id	= VIRTIO_ID_IOMMU,
	.nr_vqs		= 2,		/* requestq, eventq (never filled) */
	.served_vqs	= BIT(0),
	.config_size	= sizeof(struct virtio_iommu_config),
	.features	= VIOMMU_FEATURES,
	.get_config	= viommu_get_config,
	.set_config	= viommu_set_config,
	.features_ok	= viommu_features_ok,
	.request	= viommu_request,
	.round		= viommu_round,
	.reset		= viommu_reset,
	.release	= viommu_release,
	.save_state	= viommu_save_state,
	.load_state	= viommu_load_state,
	.state_max	= viommu_state_max,
};

/**
 * pviommu_viommu_create() - VFIO_EXT_PVIOMMU_VIOMMU
 * @p: the container
 * @arg: struct vfio_ext_pviommu_viommu
 *
 * Return: the device's fd, or a negative errno.
 */
int pviommu_viommu_create(struct pviommu *p, void __user *arg)
{
	struct vfio_ext_pviommu_viommu a;
	struct pviommu_viommu *v;
	struct pviommu_group *g;
	struct vext_vdev *vdev;
	int ret;

	ret = vfio_ext_get_uarg(&a, VFIO_EXT_PVIOMMU_VIOMMU_SIZE_VER0,
				VFIO_EXT_VIOMMU_F_BOOT_BYPASS, arg);
	if (ret)
		return ret;
	if (!a.probe_size)
		a.probe_size = VIOMMU_DEF_PROBE_SIZE;
	if (!a.max_queue)
		a.max_queue = VIOMMU_DEF_QUEUE;
	if (a.probe_size > VIOMMU_MAX_PROBE_SIZE || a.probe_size % 4 ||
	    a.max_queue > VIOMMU_MAX_QUEUE || !is_power_of_2(a.max_queue))
		return -EINVAL;
	if (current->mm != p->mm)
		return -EPERM;

	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	xa_init(&v->vdoms);
	v->p = p;
	v->probe_size = a.probe_size;
	v->boot_bypass = a.flags & VFIO_EXT_VIOMMU_F_BOOT_BYPASS;
	v->bypass = v->boot_bypass;
	v->acct.task = get_task_struct(current->group_leader);
	v->acct.lock_cap = capable(CAP_IPC_LOCK);

	pviommu_lock(p);
	ret = -EBUSY;
	if (p->viommu)
		goto err_unlock;
	list_for_each_entry(g, &p->groups, next)
		if (g->gdom)
			goto err_unlock;	/* the VMM placed it already */
	ret = -ENODEV;
	if (list_empty(&p->groups))
		goto err_unlock;
	kref_get(&p->ref);
	p->viommu = v;
	set_bypass(v, v->boot_bypass);
	mutex_unlock(&p->lock);

	vdev = vext_vdev_create(&viommu_ops, v, a.max_queue);
	if (IS_ERR(vdev)) {
		ret = PTR_ERR(vdev);
		pviommu_lock(p);
		viommu_detach(v);
		mutex_unlock(&p->lock);
		viommu_free(v);
		return ret;
	}
	ret = vext_vdev_install_fd(vdev);
	if (ret < 0)
		vext_vdev_destroy(vdev);	/* calls viommu_release() */
	return ret;

err_unlock:
	mutex_unlock(&p->lock);
	put_task_struct(v->acct.task);
	kfree(v);
	return ret;
}

/**
 * pviommu_viommu_init() - register the device type with the transport
 *
 * Return: 0 or a negative errno.
 */
int pviommu_viommu_init(void)
{
	return vext_virtio_register(&viommu_ops);
}

/** pviommu_viommu_exit() - withdraw it */
void pviommu_viommu_exit(void)
{
	vext_virtio_unregister(&viommu_ops);
}
