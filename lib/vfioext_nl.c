// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: the "vfio-ext" generic netlink family over libnl-3 (requests)
 * and a plain socket read (events, so that an overrun reads as ENOBUFS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "internal.h"
#include "vfioext.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define EV_RCVBUF	1048576	/* bytes */
/*
 * One datagram of the events group: the kernel sends one event per
 * datagram, a few hundred bytes; nothing it multicasts is larger than
 * NLMSG_GOODSIZE, at most 8 KiB.
 */
#define EV_BUFSZ	8192

/*
 * @lock serialises requests: the request socket @sk and @errmsg, from the
 * send to the last reply.
 *
 * The event side needs no lock: events arrive on their own socket @ev_sk
 * (so request replies never mix with them), one event per datagram, and
 * each reader receives a whole datagram into a buffer of its own with one
 * recv(), which is atomic: readers sharing the handle each get different
 * events, and a thread waiting for events never holds up a request.
 */
struct vfioext_nl {
	pthread_mutex_t lock;
	struct nl_sock *sk;
	int family;
	char errmsg[256];

	struct nl_sock *ev_sk;		/* NULL on a request-only handle */
};

/* ------------------------------------------------------------------ */
/* Pure parsers (host unit tested)                                     */
/* ------------------------------------------------------------------ */

VFIOEXT_HIDDEN size_t vfioext_nl_extack_msg(const struct nlmsghdr *h,
					    char *buf, size_t len)
{
	const struct nlmsgerr *e;
	const char *p, *end;
	size_t skip, n;

	if (len)
		buf[0] = '\0';
	if (!len || h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e) ||
	    h->nlmsg_type != NLMSG_ERROR || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	e = NLMSG_DATA(h);
	skip = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN ||
		    e->msg.nlmsg_len - NLMSG_HDRLEN >
		    h->nlmsg_len - NLMSG_HDRLEN - sizeof(*e))
			return 0;
		skip += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	p = (const char *)e + skip;
	end = (const char *)h + h->nlmsg_len;
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < sizeof(*a) || a->nla_len > (size_t)(end - p))
			return 0;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			const char *s = (const char *)a + NLA_HDRLEN;

			n = strnlen(s, (size_t)(a->nla_len - NLA_HDRLEN));
			if (n == (size_t)(a->nla_len - NLA_HDRLEN))
				return 0;	/* not NUL-terminated */
			if (n >= len)
				n = len - 1;
			memcpy(buf, s, n);
			buf[n] = '\0';
			return n;
		}
		p += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

static void copy_str(char *dst, size_t len, const struct nlattr *a)
{
	if (a)
		snprintf(dst, len, "%s", (const char *)nla_data(a));
	else
		dst[0] = '\0';
}

static struct nla_policy dev_policy[VFIO_EXT_A_MAX + 1] = {
	[VFIO_EXT_A_DEV_NAME]		= { .type = NLA_STRING },
	[VFIO_EXT_A_DEV_VENDOR]		= { .type = NLA_U32 },
	[VFIO_EXT_A_DEV_DEVICE]		= { .type = NLA_U32 },
	[VFIO_EXT_A_DEV_IOMMU_GROUP]	= { .type = NLA_U32 },
	[VFIO_EXT_A_DEV_DRIVER]		= { .type = NLA_STRING },
	[VFIO_EXT_A_DEV_REGIONS]	= { .type = NLA_NESTED },
	[VFIO_EXT_A_DEV_IRQS]		= { .type = NLA_NESTED },
	[VFIO_EXT_A_DEV_OPEN]		= { .type = NLA_U32 },
	[VFIO_EXT_A_DEV_OPENER_PID]	= { .type = NLA_U32 },
	[VFIO_EXT_A_DEV_KVM_PID]	= { .type = NLA_U32 },
	[VFIO_EXT_A_DEV_ACPI_PATH]	= { .type = NLA_STRING },
	[VFIO_EXT_A_DSM_POLICY]		= { .type = NLA_STRING },
	[VFIO_EXT_A_DSM_CALLS]		= { .type = NLA_U64 },
	[VFIO_EXT_A_DSM_DENIED]		= { .type = NLA_U64 },
	[VFIO_EXT_A_NOTIFY_HANDLER]	= { .type = NLA_U32 },
	[VFIO_EXT_A_NOTIFY_EVENTFD]	= { .type = NLA_U32 },
	[VFIO_EXT_A_NOTIFY_CHANNEL]	= { .type = NLA_U32 },
	[VFIO_EXT_A_NOTIFY_COUNT]	= { .type = NLA_U64 },
	[VFIO_EXT_A_NOTIFY_LOOPBACK_REFUSED] = { .type = NLA_U64 },
	[VFIO_EXT_A_POWER_STATE]	= { .type = NLA_U32 },
	[VFIO_EXT_A_POWER_RUNTIME]	= { .type = NLA_U32 },
	[VFIO_EXT_A_POWER_LOW_POWER]	= { .type = NLA_U32 },
	[VFIO_EXT_A_EVENT_TYPE]		= { .type = NLA_U32 },
	[VFIO_EXT_A_EVENT_SEQ]		= { .type = NLA_U64 },
	[VFIO_EXT_A_EVENT_TIMESTAMP]	= { .type = NLA_U64 },
	[VFIO_EXT_A_NOTIFY_VALUE]	= { .type = NLA_U32 },
	[VFIO_EXT_A_NOTIFY_LOOPBACK]	= { .type = NLA_FLAG },
	[VFIO_EXT_A_PVIOMMU_ID]		= { .type = NLA_U32 },
	[VFIO_EXT_A_PVIOMMU_OWNER_PID]	= { .type = NLA_U32 },
	[VFIO_EXT_A_PVIOMMU_MAPPINGS]	= { .type = NLA_U32 },
	[VFIO_EXT_A_PVIOMMU_DEF_MAPPINGS] = { .type = NLA_U32 },
	[VFIO_EXT_A_FAULT_IOVA]		= { .type = NLA_U64 },
	[VFIO_EXT_A_FAULT_FLAGS]	= { .type = NLA_U32 },
	[VFIO_EXT_A_FAULT_DOMAIN]	= { .type = NLA_U32 },
	[VFIO_EXT_A_PVIOMMU_PINNED]	= { .type = NLA_U64 },
	[VFIO_EXT_A_PVIOMMU_DMA_LIMIT]	= { .type = NLA_U32 },
	[VFIO_EXT_A_PVIOMMU_ENDPOINTS]	= { .type = NLA_NESTED },
	[VFIO_EXT_A_PVIOMMU_DOMAINS]	= { .type = NLA_NESTED },
	[VFIO_EXT_A_PVIOMMU_COUNTERS]	= { .type = NLA_NESTED },
};

static struct nla_policy region_policy[VFIO_EXT_REGION_A_MAX + 1] = {
	[VFIO_EXT_REGION_A_INDEX]	= { .type = NLA_U32 },
	[VFIO_EXT_REGION_A_SIZE]	= { .type = NLA_U64 },
	[VFIO_EXT_REGION_A_FLAGS]	= { .type = NLA_U32 },
};

static struct nla_policy irq_policy[VFIO_EXT_IRQ_A_MAX + 1] = {
	[VFIO_EXT_IRQ_A_INDEX]		= { .type = NLA_U32 },
	[VFIO_EXT_IRQ_A_COUNT]		= { .type = NLA_U32 },
};

static struct nla_policy ep_policy[VFIO_EXT_EP_A_MAX + 1] = {
	[VFIO_EXT_EP_A_GROUP]		= { .type = NLA_U32 },
	[VFIO_EXT_EP_A_DEV_NAME]	= { .type = NLA_STRING },
	[VFIO_EXT_EP_A_VSID]		= { .type = NLA_U32 },
	[VFIO_EXT_EP_A_DOMAIN]		= { .type = NLA_U32 },
};

static struct nla_policy dom_policy[VFIO_EXT_DOM_A_MAX + 1] = {
	[VFIO_EXT_DOM_A_ID]		= { .type = NLA_U32 },
	[VFIO_EXT_DOM_A_MAPPINGS]	= { .type = NLA_U32 },
	[VFIO_EXT_DOM_A_ENDPOINTS]	= { .type = NLA_U32 },
};

static struct nla_policy cnt_policy[VFIO_EXT_CNT_A_MAX + 1] = {
	[VFIO_EXT_CNT_A_MAP]		= { .type = NLA_U64 },
	[VFIO_EXT_CNT_A_UNMAP]		= { .type = NLA_U64 },
	[VFIO_EXT_CNT_A_MAP_FAILED]	= { .type = NLA_U64 },
	[VFIO_EXT_CNT_A_UNMAP_FAILED]	= { .type = NLA_U64 },
	[VFIO_EXT_CNT_A_VIOMMU_REQUESTS] = { .type = NLA_U64 },
	[VFIO_EXT_CNT_A_VIOMMU_FAILED]	= { .type = NLA_U64 },
	[VFIO_EXT_CNT_A_FAULTS]		= { .type = NLA_U64 },
};

static uint64_t get_u64(struct nlattr **tb, int t)
{
	return tb[t] ? nla_get_u64(tb[t]) : 0;
}

static uint32_t get_u32(struct nlattr **tb, int t)
{
	return tb[t] ? nla_get_u32(tb[t]) : 0;
}

/* A u32 boolean: anything but 0 is true. */
static int get_bool(struct nlattr **tb, int t)
{
	return tb[t] ? nla_get_u32(tb[t]) != 0 : 0;
}

VFIOEXT_HIDDEN const char *vfioext_nl_pci_state_name(uint32_t state)
{
	switch (state) {
	case VFIO_EXT_PCI_POWER_STATE_D0: return "D0";
	case VFIO_EXT_PCI_POWER_STATE_D1: return "D1";
	case VFIO_EXT_PCI_POWER_STATE_D2: return "D2";
	case VFIO_EXT_PCI_POWER_STATE_D3HOT: return "D3hot";
	case VFIO_EXT_PCI_POWER_STATE_D3COLD: return "D3cold";
	case VFIO_EXT_PCI_POWER_STATE_ERROR: return "error";
	default: return "unknown";
	}
}

VFIOEXT_HIDDEN const char *vfioext_nl_runtime_pm_name(uint32_t status)
{
	switch (status) {
	case VFIO_EXT_RUNTIME_PM_ACTIVE: return "active";
	case VFIO_EXT_RUNTIME_PM_RESUMING: return "resuming";
	case VFIO_EXT_RUNTIME_PM_SUSPENDED: return "suspended";
	case VFIO_EXT_RUNTIME_PM_SUSPENDING: return "suspending";
	case VFIO_EXT_RUNTIME_PM_BLOCKED: return "blocked";
	case VFIO_EXT_RUNTIME_PM_UNSUPPORTED: return "unsupported";
	case VFIO_EXT_RUNTIME_PM_ERROR: return "error";
	default: return "unknown";
	}
}

static int parse_top(struct nlmsghdr *h, struct nlattr **tb)
{
	if (!genlmsg_valid_hdr(h, 0))
		return -EPROTO;
	return genlmsg_parse(h, 0, tb, VFIO_EXT_A_MAX, dev_policy) ? -EPROTO : 0;
}

VFIOEXT_HIDDEN int vfioext_nl_parse_dev(struct nlmsghdr *h,
					struct vfioext_nl_dev *d)
{
	struct nlattr *tb[VFIO_EXT_A_MAX + 1], *sub[VFIO_EXT_REGION_A_MAX + 1];
	struct nlattr *pos;
	int rem;

	memset(d, 0, sizeof(*d));
	if (parse_top(h, tb) || !tb[VFIO_EXT_A_DEV_NAME])
		return -EPROTO;
	copy_str(d->name, sizeof(d->name), tb[VFIO_EXT_A_DEV_NAME]);
	d->vendor = (uint16_t)get_u32(tb, VFIO_EXT_A_DEV_VENDOR);
	d->device = (uint16_t)get_u32(tb, VFIO_EXT_A_DEV_DEVICE);
	d->iommu_group = tb[VFIO_EXT_A_DEV_IOMMU_GROUP] ?
			 (int32_t)nla_get_u32(tb[VFIO_EXT_A_DEV_IOMMU_GROUP]) : -1;
	copy_str(d->driver, sizeof(d->driver), tb[VFIO_EXT_A_DEV_DRIVER]);
	if (tb[VFIO_EXT_A_DEV_REGIONS]) {
		nla_for_each_nested(pos, tb[VFIO_EXT_A_DEV_REGIONS], rem) {
			struct vfioext_nl_region *r;

			/* An indexed array: the element's type is its number. */
			if (d->nr_regions == VFIOEXT_NL_MAX_REGIONS)
				continue;
			if (nla_parse_nested(sub, VFIO_EXT_REGION_A_MAX, pos,
					     region_policy) ||
			    !sub[VFIO_EXT_REGION_A_INDEX])
				return -EPROTO;
			r = &d->regions[d->nr_regions++];
			r->index = nla_get_u32(sub[VFIO_EXT_REGION_A_INDEX]);
			r->size = get_u64(sub, VFIO_EXT_REGION_A_SIZE);
			r->flags = get_u32(sub, VFIO_EXT_REGION_A_FLAGS);
		}
	}
	if (tb[VFIO_EXT_A_DEV_IRQS]) {
		nla_for_each_nested(pos, tb[VFIO_EXT_A_DEV_IRQS], rem) {
			struct nlattr *it[VFIO_EXT_IRQ_A_MAX + 1];

			if (d->nr_irqs == VFIOEXT_NL_MAX_IRQS)
				continue;
			if (nla_parse_nested(it, VFIO_EXT_IRQ_A_MAX, pos,
					     irq_policy) ||
			    !it[VFIO_EXT_IRQ_A_INDEX])
				return -EPROTO;
			d->irqs[d->nr_irqs].index =
				nla_get_u32(it[VFIO_EXT_IRQ_A_INDEX]);
			d->irqs[d->nr_irqs++].count =
				get_u32(it, VFIO_EXT_IRQ_A_COUNT);
		}
	}
	/* Sent to CAP_NET_ADMIN only, with the other use attributes. */
	d->use_known = !!tb[VFIO_EXT_A_DEV_OPEN];
	d->open = get_bool(tb, VFIO_EXT_A_DEV_OPEN);
	d->opener_pid = get_u32(tb, VFIO_EXT_A_DEV_OPENER_PID);
	d->kvm_pid = get_u32(tb, VFIO_EXT_A_DEV_KVM_PID);
	copy_str(d->acpi_path, sizeof(d->acpi_path), tb[VFIO_EXT_A_DEV_ACPI_PATH]);
	if (tb[VFIO_EXT_A_DSM_POLICY]) {
		d->dsm_policy = strdup(nla_data(tb[VFIO_EXT_A_DSM_POLICY]));
		if (!d->dsm_policy)
			return -ENOMEM;
	}
	d->dsm_calls = get_u64(tb, VFIO_EXT_A_DSM_CALLS);
	d->dsm_denied = get_u64(tb, VFIO_EXT_A_DSM_DENIED);
	d->notify_handler = get_bool(tb, VFIO_EXT_A_NOTIFY_HANDLER);
	d->notify_eventfd = get_bool(tb, VFIO_EXT_A_NOTIFY_EVENTFD);
	d->notify_channel = get_bool(tb, VFIO_EXT_A_NOTIFY_CHANNEL);
	d->notify_count = get_u64(tb, VFIO_EXT_A_NOTIFY_COUNT);
	d->notify_loopback_refused =
		get_u64(tb, VFIO_EXT_A_NOTIFY_LOOPBACK_REFUSED);
	if (tb[VFIO_EXT_A_POWER_STATE])
		snprintf(d->power_state, sizeof(d->power_state), "%s",
			 vfioext_nl_pci_state_name(get_u32(tb, VFIO_EXT_A_POWER_STATE)));
	if (tb[VFIO_EXT_A_POWER_RUNTIME])
		snprintf(d->runtime_pm, sizeof(d->runtime_pm), "%s",
			 vfioext_nl_runtime_pm_name(get_u32(tb, VFIO_EXT_A_POWER_RUNTIME)));
	d->low_power = get_bool(tb, VFIO_EXT_A_POWER_LOW_POWER);
	return 0;
}

/* Elements of an indexed array (their types are their numbers). */
static int count_nested(struct nlattr *nest)
{
	struct nlattr *pos;
	int rem, n = 0;

	if (nest)
		nla_for_each_nested(pos, nest, rem)
			n++;
	return n;
}

VFIOEXT_HIDDEN int vfioext_nl_parse_pviommu(struct nlmsghdr *h,
					    struct vfioext_nl_pviommu *p)
{
	struct nlattr *tb[VFIO_EXT_A_MAX + 1], *pos;
	struct nlattr *ct[VFIO_EXT_CNT_A_MAX + 1];
	int rem, n;

	memset(p, 0, sizeof(*p));
	if (parse_top(h, tb) || !tb[VFIO_EXT_A_PVIOMMU_ID])
		return -EPROTO;
	p->id = nla_get_u32(tb[VFIO_EXT_A_PVIOMMU_ID]);
	p->owner_pid = get_u32(tb, VFIO_EXT_A_PVIOMMU_OWNER_PID);
	p->mappings = get_u32(tb, VFIO_EXT_A_PVIOMMU_MAPPINGS);
	p->def_mappings = get_u32(tb, VFIO_EXT_A_PVIOMMU_DEF_MAPPINGS);
	p->pinned = get_u64(tb, VFIO_EXT_A_PVIOMMU_PINNED);
	p->dma_limit = get_u32(tb, VFIO_EXT_A_PVIOMMU_DMA_LIMIT);
	if (tb[VFIO_EXT_A_PVIOMMU_COUNTERS]) {
		if (nla_parse_nested(ct, VFIO_EXT_CNT_A_MAX,
				     tb[VFIO_EXT_A_PVIOMMU_COUNTERS], cnt_policy))
			return -EPROTO;
		p->map_reqs = get_u64(ct, VFIO_EXT_CNT_A_MAP);
		p->unmap_reqs = get_u64(ct, VFIO_EXT_CNT_A_UNMAP);
		p->map_failed = get_u64(ct, VFIO_EXT_CNT_A_MAP_FAILED);
		p->unmap_failed = get_u64(ct, VFIO_EXT_CNT_A_UNMAP_FAILED);
		p->viommu_reqs = get_u64(ct, VFIO_EXT_CNT_A_VIOMMU_REQUESTS);
		p->viommu_failed = get_u64(ct, VFIO_EXT_CNT_A_VIOMMU_FAILED);
		p->faults = get_u64(ct, VFIO_EXT_CNT_A_FAULTS);
	}
	n = count_nested(tb[VFIO_EXT_A_PVIOMMU_ENDPOINTS]);
	if (n) {
		p->endpoints = calloc(n, sizeof(*p->endpoints));
		if (!p->endpoints)
			return -ENOMEM;
		nla_for_each_nested(pos, tb[VFIO_EXT_A_PVIOMMU_ENDPOINTS], rem) {
			struct nlattr *et[VFIO_EXT_EP_A_MAX + 1];
			struct vfioext_nl_endpoint *e;

			if (nla_parse_nested(et, VFIO_EXT_EP_A_MAX, pos,
					     ep_policy) || !et[VFIO_EXT_EP_A_GROUP])
				return -EPROTO;
			e = &p->endpoints[p->nr_endpoints++];
			e->group = nla_get_u32(et[VFIO_EXT_EP_A_GROUP]);
			copy_str(e->dev, sizeof(e->dev), et[VFIO_EXT_EP_A_DEV_NAME]);
			e->has_vsid = !!et[VFIO_EXT_EP_A_VSID];
			e->vsid = get_u32(et, VFIO_EXT_EP_A_VSID);
			e->domain = get_u32(et, VFIO_EXT_EP_A_DOMAIN);
		}
	}
	n = count_nested(tb[VFIO_EXT_A_PVIOMMU_DOMAINS]);
	if (n) {
		p->domains = calloc(n, sizeof(*p->domains));
		if (!p->domains)
			return -ENOMEM;
		nla_for_each_nested(pos, tb[VFIO_EXT_A_PVIOMMU_DOMAINS], rem) {
			struct nlattr *dt[VFIO_EXT_DOM_A_MAX + 1];
			struct vfioext_nl_domain *d;

			if (nla_parse_nested(dt, VFIO_EXT_DOM_A_MAX, pos,
					     dom_policy) || !dt[VFIO_EXT_DOM_A_ID])
				return -EPROTO;
			d = &p->domains[p->nr_domains++];
			d->id = nla_get_u32(dt[VFIO_EXT_DOM_A_ID]);
			d->mappings = get_u32(dt, VFIO_EXT_DOM_A_MAPPINGS);
			d->endpoints = get_u32(dt, VFIO_EXT_DOM_A_ENDPOINTS);
		}
	}
	return 0;
}

VFIOEXT_HIDDEN int vfioext_nl_parse_event(struct nlmsghdr *h,
					  struct vfioext_nl_event *ev)
{
	struct nlattr *tb[VFIO_EXT_A_MAX + 1];

	memset(ev, 0, sizeof(*ev));
	if (parse_top(h, tb) || !tb[VFIO_EXT_A_EVENT_TYPE] ||
	    !tb[VFIO_EXT_A_EVENT_SEQ] || !tb[VFIO_EXT_A_DEV_NAME] ||
	    ((struct genlmsghdr *)nlmsg_data(h))->cmd != VFIO_EXT_CMD_EVENT)
		return -EPROTO;
	ev->type = nla_get_u32(tb[VFIO_EXT_A_EVENT_TYPE]);
	ev->seq = nla_get_u64(tb[VFIO_EXT_A_EVENT_SEQ]);
	ev->timestamp_ns = get_u64(tb, VFIO_EXT_A_EVENT_TIMESTAMP);
	copy_str(ev->dev, sizeof(ev->dev), tb[VFIO_EXT_A_DEV_NAME]);
	ev->value = get_u32(tb, VFIO_EXT_A_NOTIFY_VALUE);
	ev->loopback = !!tb[VFIO_EXT_A_NOTIFY_LOOPBACK];
	ev->pid = get_u32(tb, VFIO_EXT_A_DEV_OPENER_PID);
	ev->kvm_pid = get_u32(tb, VFIO_EXT_A_DEV_KVM_PID);
	ev->low_power = get_bool(tb, VFIO_EXT_A_POWER_LOW_POWER);
	if (tb[VFIO_EXT_A_POWER_STATE])
		snprintf(ev->power_state, sizeof(ev->power_state), "%s",
			 vfioext_nl_pci_state_name(get_u32(tb, VFIO_EXT_A_POWER_STATE)));
	if (tb[VFIO_EXT_A_POWER_RUNTIME])
		snprintf(ev->runtime_pm, sizeof(ev->runtime_pm), "%s",
			 vfioext_nl_runtime_pm_name(get_u32(tb, VFIO_EXT_A_POWER_RUNTIME)));
	ev->container = get_u32(tb, VFIO_EXT_A_PVIOMMU_ID);
	ev->domain = get_u32(tb, VFIO_EXT_A_FAULT_DOMAIN);
	ev->iova = get_u64(tb, VFIO_EXT_A_FAULT_IOVA);
	ev->fault_flags = get_u32(tb, VFIO_EXT_A_FAULT_FLAGS);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Handles and requests                                                */
/* ------------------------------------------------------------------ */

static int nle_errno(int nle)
{
	switch (-nle) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_INVAL: return -EINVAL;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_INTR: return -EINTR;
	case NLE_MSG_TRUNC: return -EMSGSIZE;
	case NLE_MSG_OVERFLOW: return -EMSGSIZE;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	default: return -EIO;
	}
}

/* A socket of the NETLINK_GENERIC protocol, with extended ACK messages. */
static int sock_new(struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1, ret;

	*out = NULL;
	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (ret) {
		nl_socket_free(sk);
		return nle_errno(ret);
	}
	/* Kernel error messages (extended ACK), without the echoed request. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	*out = sk;
	return 0;
}

/* The event socket of @nl: its own, subscribed to the events group. */
static int events_subscribe(struct vfioext_nl *nl)
{
	int grp, ret;

	ret = sock_new(&nl->ev_sk);
	if (ret)
		return ret;
	/*
	 * Room for bursts (an event costs about 1 KiB of buffer): best
	 * effort, the kernel caps it at net.core.rmem_max.
	 */
	nl_socket_set_buffer_size(nl->ev_sk, EV_RCVBUF, 0);
	grp = genl_ctrl_resolve_grp(nl->sk, VFIO_EXT_FAMILY_NAME,
				    VFIO_EXT_MCGRP_EVENTS);
	if (grp < 0)
		return nle_errno(grp);
	ret = nl_socket_add_membership(nl->ev_sk, grp);
	return ret ? nle_errno(ret) : 0;
}

static int handle_new(struct vfioext_nl **out, bool events)
{
	struct vfioext_nl *nl;
	int ret;

	*out = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	ret = pthread_mutex_init(&nl->lock, NULL);
	if (ret) {
		free(nl);
		return -ret;
	}
	ret = sock_new(&nl->sk);
	if (ret)
		goto err;
	nl_socket_enable_msg_peek(nl->sk);
	nl->family = genl_ctrl_resolve(nl->sk, VFIO_EXT_FAMILY_NAME);
	if (nl->family < 0) {
		ret = nle_errno(nl->family);
		goto err;
	}
	if (events) {
		ret = events_subscribe(nl);
		if (ret)
			goto err;
	}
	*out = nl;
	return 0;
err:
	vfioext_nl_close(nl);
	return ret;
}

VFIOEXT_EXPORT int vfioext_nl_open(struct vfioext_nl **out)
{
	return handle_new(out, false);
}

VFIOEXT_EXPORT int vfioext_nl_events_open(struct vfioext_nl **out)
{
	return handle_new(out, true);
}

VFIOEXT_EXPORT void vfioext_nl_close(struct vfioext_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		nl_socket_free(nl->sk);
	if (nl->ev_sk)
		nl_socket_free(nl->ev_sk);
	pthread_mutex_destroy(&nl->lock);
	free(nl);
}

VFIOEXT_EXPORT int vfioext_nl_fd(struct vfioext_nl *nl)
{
	return nl->ev_sk ? nl_socket_get_fd(nl->ev_sk) : -EINVAL;
}

VFIOEXT_EXPORT size_t vfioext_nl_errmsg(struct vfioext_nl *nl, char *buf,
					size_t len)
{
	size_t n;

	if (!len)
		return 0;
	pthread_mutex_lock(&nl->lock);
	n = strlen(nl->errmsg);
	if (n >= len)
		n = len - 1;
	memcpy(buf, nl->errmsg, n);
	buf[n] = '\0';
	pthread_mutex_unlock(&nl->lock);
	return n;
}

/* One request's state, for the libnl callbacks. */
struct req {
	struct vfioext_nl *nl;
	int (*parse)(struct nlmsghdr *h, void *arg);
	void *arg;
	int err;	/* kernel errno (negative), parse error */
	bool done;
	bool intr;	/* NLM_F_DUMP_INTR: the dump raced a change */
};

static int req_intr(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct req *)arg)->intr = true;
	return NL_OK;	/* read the rest of the dump */
}

static int req_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	int ret;

	if (r->err || !r->parse)
		return NL_SKIP;
	ret = r->parse(nlmsg_hdr(msg), r->arg);
	if (ret)
		r->err = ret;
	return NL_SKIP;
}

static int req_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct req *r = arg;
	int err;

	/* A dump that failed midway carries the error in NLMSG_DONE. */
	if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(err)) {
		memcpy(&err, NLMSG_DATA(h), sizeof(err));
		if (err < 0 && !r->err)
			r->err = err;
	}
	r->done = true;
	return NL_STOP;
}

static int req_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct req *)arg)->done = true;
	return NL_STOP;
}

static int req_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct req *r = arg;

	(void)nla;
	vfioext_nl_extack_msg(h, r->nl->errmsg, sizeof(r->nl->errmsg));
	r->err = e->error < 0 ? e->error : -EPROTO;
	r->done = true;
	return NL_STOP;
}

/* Send @msg (consumed) and process replies until the ACK or NLMSG_DONE. */
static int request(struct vfioext_nl *nl, struct nl_msg *msg,
		   int (*parse)(struct nlmsghdr *h, void *arg), void *arg)
{
	struct req r = { .nl = nl, .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int ret;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, req_valid, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, req_finish, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, req_ack, &r);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, req_intr, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, req_error, &r);

	pthread_mutex_lock(&nl->lock);
	nl->errmsg[0] = '\0';
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		ret = nle_errno(ret);
		goto out;
	}
	ret = 0;
	while (!r.done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0 && !r.err) {
			ret = nle_errno(ret);
			break;
		}
		ret = 0;
		if (r.err && r.done)
			break;
	}
	if (r.err)
		ret = r.err;
	else if (!ret && r.intr)
		ret = -EINTR;
out:
	pthread_mutex_unlock(&nl->lock);
	nl_cb_put(cb);
	return ret;
}

static struct nl_msg *new_msg(struct vfioext_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_ACK, cmd, VFIO_EXT_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * Dumps a bind or unbind interrupted (the kernel sets NLM_F_DUMP_INTR: a
 * device may be missing or listed twice) are run again, this many times.
 */
#define DUMP_TRIES	16

/* Reply collectors */

struct dev_one {
	struct vfioext_nl_dev *d;
	bool got;
};

static int parse_dev_one(struct nlmsghdr *h, void *arg)
{
	struct dev_one *o = arg;
	int ret;

	if (o->got)
		return -EPROTO;
	ret = vfioext_nl_parse_dev(h, o->d);
	if (ret) {
		vfioext_nl_dev_clear(o->d);
		return ret;
	}
	o->got = true;
	return 0;
}

VFIOEXT_EXPORT int vfioext_nl_dev_get(struct vfioext_nl *nl, const char *bdf,
				      struct vfioext_nl_dev *out)
{
	struct dev_one o = { .d = out };
	char canon[VFIOEXT_BDF_LEN];
	struct nl_msg *msg;
	int ret;

	memset(out, 0, sizeof(*out));
	if (vfioext_bdf_canon(bdf, canon))
		return -EINVAL;
	msg = new_msg(nl, VFIO_EXT_CMD_DEV_GET, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, VFIO_EXT_A_DEV_NAME, canon)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = request(nl, msg, parse_dev_one, &o);
	if (!ret && !o.got)
		ret = -EPROTO;
	if (ret && o.got)
		vfioext_nl_dev_clear(out);
	return ret;
}

VFIOEXT_EXPORT void vfioext_nl_dev_clear(struct vfioext_nl_dev *dev)
{
	if (!dev)
		return;
	free(dev->dsm_policy);
	dev->dsm_policy = NULL;
}

VFIOEXT_EXPORT void vfioext_nl_dev_list_free(struct vfioext_nl_dev *devs,
					     size_t n)
{
	size_t i;

	if (!devs)
		return;
	for (i = 0; i < n; i++)
		vfioext_nl_dev_clear(&devs[i]);
	free(devs);
}

struct dev_many {
	struct vfioext_nl_dev *v;
	size_t n, cap;
};

static int parse_dev_many(struct nlmsghdr *h, void *arg)
{
	struct dev_many *m = arg;
	int ret;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		struct vfioext_nl_dev *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	ret = vfioext_nl_parse_dev(h, &m->v[m->n]);
	if (ret) {
		vfioext_nl_dev_clear(&m->v[m->n]);
		return ret;
	}
	m->n++;
	return 0;
}

VFIOEXT_EXPORT int vfioext_nl_dev_list(struct vfioext_nl *nl,
				       struct vfioext_nl_dev **devs, size_t *n)
{
	struct dev_many m = { 0 };
	struct nl_msg *msg;
	int ret, tries = DUMP_TRIES;

	*devs = NULL;
	*n = 0;
	do {
		vfioext_nl_dev_list_free(m.v, m.n);
		memset(&m, 0, sizeof(m));
		msg = new_msg(nl, VFIO_EXT_CMD_DEV_GET, NLM_F_DUMP);
		if (!msg)
			return -ENOMEM;
		ret = request(nl, msg, parse_dev_many, &m);
	} while (ret == -EINTR && --tries);
	if (ret) {
		vfioext_nl_dev_list_free(m.v, m.n);
		return ret;
	}
	*devs = m.v;
	*n = m.n;
	return 0;
}

VFIOEXT_EXPORT int vfioext_nl_dsm_policy_set(struct vfioext_nl *nl,
					     const char *bdf, const char *cmd)
{
	char canon[VFIOEXT_BDF_LEN];
	struct nl_msg *msg;

	if (vfioext_bdf_canon(bdf, canon) || !cmd)
		return -EINVAL;
	msg = new_msg(nl, VFIO_EXT_CMD_DSM_POLICY_SET, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, VFIO_EXT_A_DEV_NAME, canon) ||
	    nla_put_string(msg, VFIO_EXT_A_DSM_POLICY, cmd)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return request(nl, msg, NULL, NULL);
}

VFIOEXT_EXPORT void vfioext_nl_pviommu_clear(struct vfioext_nl_pviommu *p)
{
	if (!p)
		return;
	free(p->endpoints);
	free(p->domains);
	p->endpoints = NULL;
	p->domains = NULL;
	p->nr_endpoints = 0;
	p->nr_domains = 0;
}

VFIOEXT_EXPORT void vfioext_nl_pviommu_list_free(struct vfioext_nl_pviommu *p,
						 size_t n)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < n; i++)
		vfioext_nl_pviommu_clear(&p[i]);
	free(p);
}

struct pv_many {
	struct vfioext_nl_pviommu *v;
	size_t n, cap;
};

static int parse_pv_many(struct nlmsghdr *h, void *arg)
{
	struct pv_many *m = arg;
	int ret;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 4;
		struct vfioext_nl_pviommu *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	ret = vfioext_nl_parse_pviommu(h, &m->v[m->n]);
	if (ret) {
		vfioext_nl_pviommu_clear(&m->v[m->n]);
		return ret;
	}
	m->n++;
	return 0;
}

VFIOEXT_EXPORT int vfioext_nl_pviommu_list(struct vfioext_nl *nl,
					   struct vfioext_nl_pviommu **out,
					   size_t *n)
{
	struct pv_many m = { 0 };
	struct nl_msg *msg;
	int ret;

	*out = NULL;
	*n = 0;
	msg = new_msg(nl, VFIO_EXT_CMD_PVIOMMU_GET, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	ret = request(nl, msg, parse_pv_many, &m);
	if (ret) {
		vfioext_nl_pviommu_list_free(m.v, m.n);
		return ret;
	}
	*out = m.v;
	*n = m.n;
	return 0;
}

VFIOEXT_EXPORT int vfioext_nl_pviommu_get(struct vfioext_nl *nl, uint32_t id,
					  struct vfioext_nl_pviommu *out)
{
	struct pv_many m = { 0 };
	struct nl_msg *msg;
	int ret;

	memset(out, 0, sizeof(*out));
	msg = new_msg(nl, VFIO_EXT_CMD_PVIOMMU_GET, 0);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, VFIO_EXT_A_PVIOMMU_ID, id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = request(nl, msg, parse_pv_many, &m);
	if (!ret && m.n != 1)
		ret = -EPROTO;
	if (ret) {
		vfioext_nl_pviommu_list_free(m.v, m.n);
		return ret;
	}
	*out = m.v[0];
	free(m.v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/*
 * The event in one datagram of @len bytes from the events group: 0 and
 * *@ev; -EAGAIN it holds none (a message of another family or another
 * command, which a newer kernel may send: skipped); -EPROTO a malformed
 * event.
 */
VFIOEXT_HIDDEN int vfioext_nl_event_decode(void *buf, size_t len, int family,
					   struct vfioext_nl_event *ev)
{
	struct nlmsghdr *h;
	int rem = len > INT_MAX ? INT_MAX : (int)len;

	for (h = buf; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
		if (h->nlmsg_type != family)
			continue;
		if (!genlmsg_valid_hdr(h, 0))
			return -EPROTO;
		if (((struct genlmsghdr *)nlmsg_data(h))->cmd !=
		    VFIO_EXT_CMD_EVENT)
			continue;
		return vfioext_nl_parse_event(h, ev);
	}
	return -EAGAIN;
}

/*
 * Receive one datagram without waiting into a buffer of this call's own
 * and decode it: 0 and *@ev; -EAGAIN nothing there, or nothing for us;
 * -ENOBUFS, -EMSGSIZE, -EPROTO, other -errno.
 */
static int ev_recv(struct vfioext_nl *nl, struct vfioext_nl_event *ev)
{
	union {
		struct nlmsghdr h;	/* aligned for it */
		char b[EV_BUFSZ];
	} buf;
	struct sockaddr_nl from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	n = recvfrom(nl_socket_get_fd(nl->ev_sk), buf.b, sizeof(buf.b),
		     MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
		     &fromlen);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)n > sizeof(buf.b))
		return -EMSGSIZE;	/* truncated, and gone */
	/*
	 * Only the kernel (port 0) sends events; a privileged process can
	 * multicast to the group too, and is not believed.
	 */
	if (fromlen < sizeof(from) || from.nl_family != AF_NETLINK ||
	    from.nl_pid != 0)
		return -EAGAIN;
	return vfioext_nl_event_decode(buf.b, (size_t)n, nl->family, ev);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

VFIOEXT_EXPORT int vfioext_nl_event_read(struct vfioext_nl *nl,
					 struct vfioext_nl_event *ev,
					 int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	struct pollfd pfd = { .events = POLLIN };
	int ret, wait_ms;

	if (!nl->ev_sk)
		return -EINVAL;
	pfd.fd = nl_socket_get_fd(nl->ev_sk);
	for (;;) {
		ret = ev_recv(nl, ev);
		if (ret != -EAGAIN)
			return ret;

		/*
		 * Nothing there: wait.  Another reader of the handle may take
		 * what arrives; then wait again for what is left of the
		 * timeout.
		 */
		if (timeout_ms < 0) {
			wait_ms = -1;
		} else {
			int64_t left = deadline - now_ms();

			if (left <= 0 && timeout_ms)
				return -ETIMEDOUT;
			wait_ms = left > 0 ? (int)left : 0;
		}
		ret = poll(&pfd, 1, wait_ms);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
	}
}

VFIOEXT_EXPORT const char *vfioext_nl_event_name(uint32_t type)
{
	switch (type) {
	case VFIO_EXT_EVENT_ACPI_NOTIFY: return "acpi-notify";
	case VFIO_EXT_EVENT_OPEN: return "open";
	case VFIO_EXT_EVENT_CLOSE: return "close";
	case VFIO_EXT_EVENT_POWER: return "power";
	case VFIO_EXT_EVENT_IOMMU_FAULT: return "iommu-fault";
	default: return "unknown";
	}
}
