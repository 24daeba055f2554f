// SPDX-License-Identifier: GPL-2.0-only
/*
 * pviommu containers as vfio-ext netlink attributes (see pviommu_nl.h).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <net/netlink.h>

#include <linux/vfio_ext.h>
#include "pviommu_nl.h"

/* enum pviommu_counter -> attribute type in VFIO_EXT_A_PVIOMMU_COUNTERS */
static const u16 counter_attr[PVIOMMU_NR_COUNTERS] = {
	[PVIOMMU_CNT_MAP]		= VFIO_EXT_CNT_A_MAP,
	[PVIOMMU_CNT_UNMAP]		= VFIO_EXT_CNT_A_UNMAP,
	[PVIOMMU_CNT_MAP_FAILED]	= VFIO_EXT_CNT_A_MAP_FAILED,
	[PVIOMMU_CNT_UNMAP_FAILED]	= VFIO_EXT_CNT_A_UNMAP_FAILED,
	[PVIOMMU_CNT_VIOMMU]		= VFIO_EXT_CNT_A_VIOMMU_REQUESTS,
	[PVIOMMU_CNT_VIOMMU_FAILED]	= VFIO_EXT_CNT_A_VIOMMU_FAILED,
	[PVIOMMU_CNT_FAULTS]		= VFIO_EXT_CNT_A_FAULTS,
};

/** pviommu_nl_snap_free() - free what pviommu_nl_snapshot() allocated */
void pviommu_nl_snap_free(struct pviommu_nl_snap *s)
{
	kfree(s->eps);
	kfree(s->doms);
	s->eps = NULL;
	s->doms = NULL;
}

/* Elements of an indexed array are numbered from 1; readers ignore it. */
static int put_ep(struct sk_buff *skb, unsigned int i,
		  const struct pviommu_nl_ep *ep)
{
	struct nlattr *n = nla_nest_start(skb, i + 1);

	if (!n ||
	    nla_put_u32(skb, VFIO_EXT_EP_A_GROUP, ep->group) ||
	    nla_put_string(skb, VFIO_EXT_EP_A_DEV_NAME, ep->dev) ||
	    (ep->has_vsid && nla_put_u32(skb, VFIO_EXT_EP_A_VSID, ep->vsid)) ||
	    nla_put_u32(skb, VFIO_EXT_EP_A_DOMAIN, ep->domain))
		return -EMSGSIZE;
	nla_nest_end(skb, n);
	return 0;
}

static int put_dom(struct sk_buff *skb, unsigned int i,
		   const struct pviommu_nl_dom *d)
{
	struct nlattr *n = nla_nest_start(skb, i + 1);

	if (!n ||
	    nla_put_u32(skb, VFIO_EXT_DOM_A_ID, d->id) ||
	    nla_put_u32(skb, VFIO_EXT_DOM_A_MAPPINGS, d->mappings) ||
	    nla_put_u32(skb, VFIO_EXT_DOM_A_ENDPOINTS, d->endpoints))
		return -EMSGSIZE;
	nla_nest_end(skb, n);
	return 0;
}

static int put_snap(struct sk_buff *skb, const struct pviommu_nl_snap *s)
{
	struct nlattr *n;
	unsigned int i;

	if (nla_put_u32(skb, VFIO_EXT_A_PVIOMMU_ID, s->id) ||
	    nla_put_u32(skb, VFIO_EXT_A_PVIOMMU_OWNER_PID, s->owner) ||
	    nla_put_u32(skb, VFIO_EXT_A_PVIOMMU_MAPPINGS, s->mappings) ||
	    nla_put_u32(skb, VFIO_EXT_A_PVIOMMU_DEF_MAPPINGS, s->def_mappings) ||
	    nla_put_u64_64bit(skb, VFIO_EXT_A_PVIOMMU_PINNED, s->pinned,
			      VFIO_EXT_A_PAD) ||
	    nla_put_u32(skb, VFIO_EXT_A_PVIOMMU_DMA_LIMIT, s->dma_limit))
		return -EMSGSIZE;

	n = nla_nest_start(skb, VFIO_EXT_A_PVIOMMU_COUNTERS);
	if (!n)
		return -EMSGSIZE;
	for (i = 0; i < PVIOMMU_NR_COUNTERS; i++)
		if (nla_put_u64_64bit(skb, counter_attr[i], s->counters[i],
				      VFIO_EXT_CNT_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, n);

	n = nla_nest_start(skb, VFIO_EXT_A_PVIOMMU_ENDPOINTS);
	if (!n)
		return -EMSGSIZE;
	for (i = 0; i < s->nr_eps; i++)
		if (put_ep(skb, i, &s->eps[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, n);

	n = nla_nest_start(skb, VFIO_EXT_A_PVIOMMU_DOMAINS);
	if (!n)
		return -EMSGSIZE;
	for (i = 0; i < s->nr_doms; i++)
		if (put_dom(skb, i, &s->doms[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, n);
	return 0;
}

/**
 * vfio_ext_pviommu_nl_fill() - put one container's attributes into @skb
 * @skb: the message, its genetlink header already put
 * @id: in: smallest container id wanted; out: the id reported
 *
 * Called by vfio-pci-ext through symbol_get().  On -EMSGSIZE the caller
 * cancels the message; partial attributes may have been added.
 *
 * Return: 0, -ENOENT (no container with an id >= *@id), -ENOMEM,
 * -EMSGSIZE.
 */
int vfio_ext_pviommu_nl_fill(struct sk_buff *skb, u32 *id)
{
	struct pviommu_nl_snap s;
	int ret;

	ret = pviommu_nl_snapshot(*id, &s);
	if (ret)
		return ret;
	*id = s.id;
	ret = put_snap(skb, &s);
	pviommu_nl_snap_free(&s);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_ext_pviommu_nl_fill);
