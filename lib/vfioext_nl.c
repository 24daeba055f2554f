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
 * @lock serialises requests: the request socket @sk and @seq, from the
 * send to the last reply.  @sk is NULL after a socket error (what was
 * owed on it is lost with it): the next request opens a new one.
 *
 * The event side needs no lock: events arrive on their own socket @ev_fd
 * (so request replies never mix with them), one event per datagram, and
 * each reader receives a whole datagram into a buffer of its own with one
 * recv(), which is atomic: readers sharing the handle each get different
 * events, and a thread waiting for events never holds up a request.
 *
 * @fake: a handle of the host unit tests, over socket pairs (@fd, @ev_fd)
 * whose peer plays the kernel: messages are taken from any sender.
 */
struct vfioext_nl {
	pthread_mutex_t lock;
	struct nl_sock *sk;
	int fd;
	uint32_t seq;
	int family;

	struct nl_sock *ev_sk;		/* NULL on a request-only handle */
	int ev_fd;			/* -1 on a request-only handle */
	bool fake;
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

/* A copy of string attribute @a, "" when absent; NULL out of memory. */
static char *dup_str(const struct nlattr *a)
{
	return strdup(a ? (const char *)nla_data(a) : "");
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

VFIOEXT_EXPORT const char *vfioext_nl_pci_power_state_name(uint32_t state)
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

VFIOEXT_EXPORT const char *vfioext_nl_runtime_pm_name(uint32_t status)
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

/* Elements of an indexed array (their types are their numbers). */
static size_t count_nested(const struct nlattr *nest)
{
	const struct nlattr *pos;
	size_t n = 0;
	int rem;

	if (nest)
		nla_for_each_nested(pos, nest, rem)
			n++;
	return n;
}

/*
 * Copy @src (@src_size bytes, this library's struct) out to the caller's
 * size-first struct @dst of @dst->struct_size bytes, at least @min: what
 * fits, the tail beyond @src_size zeroed, struct_size kept.
 */
static int copy_out(void *dst, const void *src, size_t src_size, size_t min)
{
	uint32_t size = *(const uint32_t *)dst;

	if (size < min)
		return -EINVAL;
	memcpy(dst, src, size < src_size ? size : src_size);
	if (size > src_size)
		memset((char *)dst + src_size, 0, size - src_size);
	*(uint32_t *)dst = size;
	return 0;
}

/* The first versions' sizes of the size-first structs (never change). */
#define SIZE_1_0(type, last, last_type) \
	(offsetof(struct type, last) + sizeof(last_type))

/*
 * A description: the info the caller copies out, whose strings point
 * into the members after it, and the lists in this library's layout.
 */
struct vfioext_nl_dev {
	struct vfioext_nl_dev_info info;
	char name[VFIOEXT_BDF_LEN];
	char *driver;
	char *acpi_path;
	char *dsm_policy;
	struct vfioext_nl_region *regions;
	struct vfioext_nl_irq *irqs;
};

struct vfioext_nl_pviommu {
	struct vfioext_nl_pviommu_info info;
	struct vfioext_nl_endpoint *eps;	/* their dev strings owned */
	struct vfioext_nl_domain *doms;
};

VFIOEXT_EXPORT void vfioext_nl_dev_free(struct vfioext_nl_dev *d)
{
	if (!d)
		return;
	free(d->driver);
	free(d->acpi_path);
	free(d->dsm_policy);
	free(d->regions);
	free(d->irqs);
	free(d);
}

VFIOEXT_EXPORT int vfioext_nl_dev_info(const struct vfioext_nl_dev *d,
				       struct vfioext_nl_dev_info *info)
{
	return copy_out(info, &d->info, sizeof(d->info),
			SIZE_1_0(vfioext_nl_dev_info, low_power, int));
}

VFIOEXT_EXPORT int vfioext_nl_dev_region(const struct vfioext_nl_dev *d,
					 size_t i, struct vfioext_nl_region *r)
{
	if (i >= d->info.nr_regions)
		return -ENOENT;
	return copy_out(r, &d->regions[i], sizeof(*d->regions),
			SIZE_1_0(vfioext_nl_region, size, uint64_t));
}

VFIOEXT_EXPORT int vfioext_nl_dev_irq(const struct vfioext_nl_dev *d,
				      size_t i, struct vfioext_nl_irq *q)
{
	if (i >= d->info.nr_irqs)
		return -ENOENT;
	return copy_out(q, &d->irqs[i], sizeof(*d->irqs),
			SIZE_1_0(vfioext_nl_irq, count, uint32_t));
}

/* An array of @n zeroed size-first structs of @size bytes; NULL if @n 0. */
static void *elems(size_t n, size_t size, int *err)
{
	char *v;
	size_t i;

	if (!n)
		return NULL;
	v = calloc(n, size);
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++)
		*(uint32_t *)(v + i * size) = (uint32_t)size;
	return v;
}

VFIOEXT_HIDDEN int vfioext_nl_parse_dev(struct nlmsghdr *h,
					struct vfioext_nl_dev **out)
{
	struct nlattr *tb[VFIO_EXT_A_MAX + 1], *pos;
	struct vfioext_nl_dev_info *f;
	struct vfioext_nl_dev *d;
	size_t i;
	int rem, err = 0;

	*out = NULL;
	if (parse_top(h, tb) || !tb[VFIO_EXT_A_DEV_NAME] ||
	    nla_len(tb[VFIO_EXT_A_DEV_NAME]) > VFIOEXT_BDF_LEN)
		return -EPROTO;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	f = &d->info;
	f->struct_size = sizeof(*f);
	snprintf(d->name, sizeof(d->name), "%s",
		 (const char *)nla_data(tb[VFIO_EXT_A_DEV_NAME]));
	d->driver = dup_str(tb[VFIO_EXT_A_DEV_DRIVER]);
	d->acpi_path = dup_str(tb[VFIO_EXT_A_DEV_ACPI_PATH]);
	d->dsm_policy = dup_str(tb[VFIO_EXT_A_DSM_POLICY]);
	if (!d->driver || !d->acpi_path || !d->dsm_policy) {
		err = -ENOMEM;
		goto fail;
	}
	f->name = d->name;
	f->driver = d->driver;
	f->acpi_path = d->acpi_path;
	f->dsm_policy = d->dsm_policy;
	f->vendor = get_u32(tb, VFIO_EXT_A_DEV_VENDOR);
	f->device = get_u32(tb, VFIO_EXT_A_DEV_DEVICE);
	f->iommu_group = tb[VFIO_EXT_A_DEV_IOMMU_GROUP] ?
			 (int32_t)nla_get_u32(tb[VFIO_EXT_A_DEV_IOMMU_GROUP]) : -1;

	/* Every region and IRQ index the kernel sent, however many. */
	d->regions = elems(count_nested(tb[VFIO_EXT_A_DEV_REGIONS]),
			   sizeof(*d->regions), &err);
	if (err)
		goto fail;
	i = 0;
	if (tb[VFIO_EXT_A_DEV_REGIONS]) {
		nla_for_each_nested(pos, tb[VFIO_EXT_A_DEV_REGIONS], rem) {
			struct nlattr *sub[VFIO_EXT_REGION_A_MAX + 1];
			struct vfioext_nl_region *r = &d->regions[i++];

			if (nla_parse_nested(sub, VFIO_EXT_REGION_A_MAX, pos,
					     region_policy) ||
			    !sub[VFIO_EXT_REGION_A_INDEX]) {
				err = -EPROTO;
				goto fail;
			}
			r->index = nla_get_u32(sub[VFIO_EXT_REGION_A_INDEX]);
			r->size = get_u64(sub, VFIO_EXT_REGION_A_SIZE);
			r->flags = get_u32(sub, VFIO_EXT_REGION_A_FLAGS);
		}
	}
	f->nr_regions = i;
	d->irqs = elems(count_nested(tb[VFIO_EXT_A_DEV_IRQS]),
			sizeof(*d->irqs), &err);
	if (err)
		goto fail;
	i = 0;
	if (tb[VFIO_EXT_A_DEV_IRQS]) {
		nla_for_each_nested(pos, tb[VFIO_EXT_A_DEV_IRQS], rem) {
			struct nlattr *it[VFIO_EXT_IRQ_A_MAX + 1];
			struct vfioext_nl_irq *q = &d->irqs[i++];

			if (nla_parse_nested(it, VFIO_EXT_IRQ_A_MAX, pos,
					     irq_policy) ||
			    !it[VFIO_EXT_IRQ_A_INDEX]) {
				err = -EPROTO;
				goto fail;
			}
			q->index = nla_get_u32(it[VFIO_EXT_IRQ_A_INDEX]);
			q->count = get_u32(it, VFIO_EXT_IRQ_A_COUNT);
		}
	}
	f->nr_irqs = i;
	/* Sent to CAP_NET_ADMIN only, with the other use attributes. */
	f->use_known = !!tb[VFIO_EXT_A_DEV_OPEN];
	f->open = get_bool(tb, VFIO_EXT_A_DEV_OPEN);
	f->opener_pid = get_u32(tb, VFIO_EXT_A_DEV_OPENER_PID);
	f->kvm_pid = get_u32(tb, VFIO_EXT_A_DEV_KVM_PID);
	f->dsm_calls = get_u64(tb, VFIO_EXT_A_DSM_CALLS);
	f->dsm_denied = get_u64(tb, VFIO_EXT_A_DSM_DENIED);
	f->notify_handler = get_bool(tb, VFIO_EXT_A_NOTIFY_HANDLER);
	f->notify_eventfd = get_bool(tb, VFIO_EXT_A_NOTIFY_EVENTFD);
	f->notify_channel = get_bool(tb, VFIO_EXT_A_NOTIFY_CHANNEL);
	f->notify_count = get_u64(tb, VFIO_EXT_A_NOTIFY_COUNT);
	f->notify_loopback_refused =
		get_u64(tb, VFIO_EXT_A_NOTIFY_LOOPBACK_REFUSED);
	f->power_state = tb[VFIO_EXT_A_POWER_STATE] ?
			 get_u32(tb, VFIO_EXT_A_POWER_STATE) :
			 VFIO_EXT_PCI_POWER_STATE_UNKNOWN;
	f->runtime_pm = tb[VFIO_EXT_A_POWER_RUNTIME] ?
			get_u32(tb, VFIO_EXT_A_POWER_RUNTIME) :
			VFIO_EXT_RUNTIME_PM_UNKNOWN;
	f->low_power = get_bool(tb, VFIO_EXT_A_POWER_LOW_POWER);
	*out = d;
	return 0;
fail:
	vfioext_nl_dev_free(d);
	return err;
}

VFIOEXT_EXPORT void vfioext_nl_pviommu_free(struct vfioext_nl_pviommu *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->eps && i < p->info.nr_endpoints; i++)
		free((char *)p->eps[i].dev);
	free(p->eps);
	free(p->doms);
	free(p);
}

VFIOEXT_EXPORT int vfioext_nl_pviommu_info(const struct vfioext_nl_pviommu *p,
					   struct vfioext_nl_pviommu_info *info)
{
	return copy_out(info, &p->info, sizeof(p->info),
			SIZE_1_0(vfioext_nl_pviommu_info, nr_domains, size_t));
}

VFIOEXT_EXPORT int vfioext_nl_pviommu_endpoint(const struct vfioext_nl_pviommu *p,
					       size_t i,
					       struct vfioext_nl_endpoint *e)
{
	if (i >= p->info.nr_endpoints)
		return -ENOENT;
	return copy_out(e, &p->eps[i], sizeof(*p->eps),
			SIZE_1_0(vfioext_nl_endpoint, dev, const char *));
}

VFIOEXT_EXPORT int vfioext_nl_pviommu_domain(const struct vfioext_nl_pviommu *p,
					     size_t i,
					     struct vfioext_nl_domain *d)
{
	if (i >= p->info.nr_domains)
		return -ENOENT;
	return copy_out(d, &p->doms[i], sizeof(*p->doms),
			SIZE_1_0(vfioext_nl_domain, endpoints, uint32_t));
}

VFIOEXT_HIDDEN int vfioext_nl_parse_pviommu(struct nlmsghdr *h,
					    struct vfioext_nl_pviommu **out)
{
	struct nlattr *tb[VFIO_EXT_A_MAX + 1], *pos;
	struct nlattr *ct[VFIO_EXT_CNT_A_MAX + 1];
	struct vfioext_nl_pviommu_info *f;
	struct vfioext_nl_pviommu *p;
	size_t i, n;
	int rem, err = 0;

	*out = NULL;
	if (parse_top(h, tb) || !tb[VFIO_EXT_A_PVIOMMU_ID])
		return -EPROTO;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	f = &p->info;
	f->struct_size = sizeof(*f);
	f->id = nla_get_u32(tb[VFIO_EXT_A_PVIOMMU_ID]);
	f->owner_pid = get_u32(tb, VFIO_EXT_A_PVIOMMU_OWNER_PID);
	f->mappings = get_u32(tb, VFIO_EXT_A_PVIOMMU_MAPPINGS);
	f->def_mappings = get_u32(tb, VFIO_EXT_A_PVIOMMU_DEF_MAPPINGS);
	f->pinned = get_u64(tb, VFIO_EXT_A_PVIOMMU_PINNED);
	f->dma_limit = get_u32(tb, VFIO_EXT_A_PVIOMMU_DMA_LIMIT);
	if (tb[VFIO_EXT_A_PVIOMMU_COUNTERS]) {
		if (nla_parse_nested(ct, VFIO_EXT_CNT_A_MAX,
				     tb[VFIO_EXT_A_PVIOMMU_COUNTERS],
				     cnt_policy)) {
			err = -EPROTO;
			goto fail;
		}
		f->map_reqs = get_u64(ct, VFIO_EXT_CNT_A_MAP);
		f->unmap_reqs = get_u64(ct, VFIO_EXT_CNT_A_UNMAP);
		f->map_failed = get_u64(ct, VFIO_EXT_CNT_A_MAP_FAILED);
		f->unmap_failed = get_u64(ct, VFIO_EXT_CNT_A_UNMAP_FAILED);
		f->viommu_reqs = get_u64(ct, VFIO_EXT_CNT_A_VIOMMU_REQUESTS);
		f->viommu_failed = get_u64(ct, VFIO_EXT_CNT_A_VIOMMU_FAILED);
		f->faults = get_u64(ct, VFIO_EXT_CNT_A_FAULTS);
	}
	n = count_nested(tb[VFIO_EXT_A_PVIOMMU_ENDPOINTS]);
	p->eps = elems(n, sizeof(*p->eps), &err);
	if (err)
		goto fail;
	if (tb[VFIO_EXT_A_PVIOMMU_ENDPOINTS]) {
		nla_for_each_nested(pos, tb[VFIO_EXT_A_PVIOMMU_ENDPOINTS], rem) {
			struct nlattr *et[VFIO_EXT_EP_A_MAX + 1];
			struct vfioext_nl_endpoint *e = &p->eps[f->nr_endpoints];

			if (nla_parse_nested(et, VFIO_EXT_EP_A_MAX, pos,
					     ep_policy) || !et[VFIO_EXT_EP_A_GROUP]) {
				err = -EPROTO;
				goto fail;
			}
			e->dev = dup_str(et[VFIO_EXT_EP_A_DEV_NAME]);
			if (!e->dev) {
				err = -ENOMEM;
				goto fail;
			}
			f->nr_endpoints++;	/* its dev is ours to free */
			e->group = nla_get_u32(et[VFIO_EXT_EP_A_GROUP]);
			e->has_vsid = !!et[VFIO_EXT_EP_A_VSID];
			e->vsid = get_u32(et, VFIO_EXT_EP_A_VSID);
			e->domain = get_u32(et, VFIO_EXT_EP_A_DOMAIN);
		}
	}
	p->doms = elems(count_nested(tb[VFIO_EXT_A_PVIOMMU_DOMAINS]),
			sizeof(*p->doms), &err);
	if (err)
		goto fail;
	i = 0;
	if (tb[VFIO_EXT_A_PVIOMMU_DOMAINS]) {
		nla_for_each_nested(pos, tb[VFIO_EXT_A_PVIOMMU_DOMAINS], rem) {
			struct nlattr *dt[VFIO_EXT_DOM_A_MAX + 1];
			struct vfioext_nl_domain *d = &p->doms[i++];

			if (nla_parse_nested(dt, VFIO_EXT_DOM_A_MAX, pos,
					     dom_policy) || !dt[VFIO_EXT_DOM_A_ID]) {
				err = -EPROTO;
				goto fail;
			}
			d->id = nla_get_u32(dt[VFIO_EXT_DOM_A_ID]);
			d->mappings = get_u32(dt, VFIO_EXT_DOM_A_MAPPINGS);
			d->endpoints = get_u32(dt, VFIO_EXT_DOM_A_ENDPOINTS);
		}
	}
	f->nr_domains = i;
	*out = p;
	return 0;
fail:
	vfioext_nl_pviommu_free(p);
	return err;
}

VFIOEXT_HIDDEN int vfioext_nl_parse_event(struct nlmsghdr *h,
					  struct vfioext_nl_event *ev)
{
	struct nlattr *tb[VFIO_EXT_A_MAX + 1];

	memset(ev, 0, sizeof(*ev));
	ev->struct_size = sizeof(*ev);
	if (parse_top(h, tb) || !tb[VFIO_EXT_A_EVENT_TYPE] ||
	    !tb[VFIO_EXT_A_EVENT_SEQ] || !tb[VFIO_EXT_A_DEV_NAME] ||
	    nla_len(tb[VFIO_EXT_A_DEV_NAME]) > VFIOEXT_BDF_LEN ||
	    ((struct genlmsghdr *)nlmsg_data(h))->cmd != VFIO_EXT_CMD_EVENT)
		return -EPROTO;
	ev->type = nla_get_u32(tb[VFIO_EXT_A_EVENT_TYPE]);
	ev->seq = nla_get_u64(tb[VFIO_EXT_A_EVENT_SEQ]);
	ev->timestamp_ns = get_u64(tb, VFIO_EXT_A_EVENT_TIMESTAMP);
	snprintf(ev->dev, sizeof(ev->dev), "%s",
		 (const char *)nla_data(tb[VFIO_EXT_A_DEV_NAME]));
	ev->value = get_u32(tb, VFIO_EXT_A_NOTIFY_VALUE);
	ev->loopback = !!tb[VFIO_EXT_A_NOTIFY_LOOPBACK];
	ev->pid = get_u32(tb, VFIO_EXT_A_DEV_OPENER_PID);
	ev->kvm_pid = get_u32(tb, VFIO_EXT_A_DEV_KVM_PID);
	ev->low_power = get_bool(tb, VFIO_EXT_A_POWER_LOW_POWER);
	ev->runtime_pm = get_u32(tb, VFIO_EXT_A_POWER_RUNTIME);
	ev->has_power_state = !!tb[VFIO_EXT_A_POWER_STATE];
	ev->power_state = get_u32(tb, VFIO_EXT_A_POWER_STATE);
	ev->container = get_u32(tb, VFIO_EXT_A_PVIOMMU_ID);
	ev->domain = get_u32(tb, VFIO_EXT_A_FAULT_DOMAIN);
	ev->iova = get_u64(tb, VFIO_EXT_A_FAULT_IOVA);
	ev->fault_flags = get_u32(tb, VFIO_EXT_A_FAULT_FLAGS);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Handles                                                             */
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
	nl->ev_fd = nl_socket_get_fd(nl->ev_sk);
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

static struct vfioext_nl *handle_alloc(void)
{
	struct vfioext_nl *nl = calloc(1, sizeof(*nl));

	if (!nl)
		return NULL;
	if (pthread_mutex_init(&nl->lock, NULL)) {
		free(nl);
		return NULL;
	}
	nl->fd = -1;
	nl->ev_fd = -1;
	return nl;
}

static int handle_new(struct vfioext_nl **out, bool events)
{
	struct vfioext_nl *nl;
	int ret;

	*out = NULL;
	nl = handle_alloc();
	if (!nl)
		return -ENOMEM;
	ret = sock_new(&nl->sk);
	if (ret)
		goto err;
	nl->fd = nl_socket_get_fd(nl->sk);
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

VFIOEXT_HIDDEN int vfioext_nl_fake_open(int fd, int ev_fd, int family,
					struct vfioext_nl **out)
{
	struct vfioext_nl *nl = handle_alloc();

	*out = nl;
	if (!nl)
		return -ENOMEM;
	nl->fd = fd;
	nl->ev_fd = ev_fd;
	nl->family = family;
	nl->fake = true;
	return 0;
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
	return nl->ev_fd >= 0 ? nl->ev_fd : -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* Start a status: 0 and no message (the caller's size is kept). */
static int status_begin(struct vfioext_nl_status *st)
{
	struct vfioext_nl_status zero = { .struct_size = sizeof(zero) };

	if (!st)
		return 0;
	return copy_out(st, &zero, sizeof(zero),
			SIZE_1_0(vfioext_nl_status, msg, char[512]));
}

static int status_end(struct vfioext_nl_status *st, int ret)
{
	if (st)
		st->error = ret;
	return ret;
}

/*
 * The extended ACK message of an NLMSG_DONE carrying an error: the int,
 * then (NLM_F_ACK_TLVS) the attributes.  Bounds-checked like
 * vfioext_nl_extack_msg(); the full length, the copy truncated to @len.
 */
static size_t done_extack(const struct nlmsghdr *h, char *buf, size_t len)
{
	const char *p = (const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(int));
	const char *end = (const char *)h + h->nlmsg_len;
	size_t n;

	if (len)
		buf[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < sizeof(*a) || a->nla_len > (size_t)(end - p))
			return 0;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			const char *s = (const char *)a + NLA_HDRLEN;

			n = strnlen(s, (size_t)(a->nla_len - NLA_HDRLEN));
			if (n == (size_t)(a->nla_len - NLA_HDRLEN))
				return 0;
			if (len) {
				memcpy(buf, s, n < len ? n : len - 1);
				buf[n < len ? n : len - 1] = '\0';
			}
			return n;
		}
		p += NLA_ALIGN(a->nla_len);
	}
	return 0;
}

/* The kernel's message of an NLMSG_ERROR or NLMSG_DONE into @st. */
static void status_msg(struct vfioext_nl_status *st, const struct nlmsghdr *h)
{
	if (!st)
		return;
	if (h->nlmsg_type == NLMSG_DONE)
		st->msg_len = (uint32_t)done_extack(h, st->msg, sizeof(st->msg));
	else
		st->msg_len = (uint32_t)vfioext_nl_extack_msg(h, st->msg,
							     sizeof(st->msg));
}

/*
 * Receive one datagram from the kernel into *@buf (grown to its size):
 * its length, or -errno.  A datagram from anyone else (a process can send
 * to our port) is dropped.
 */
static ssize_t recv_reply(struct vfioext_nl *nl, void **buf, size_t *cap)
{
	struct sockaddr_nl from;
	socklen_t fromlen;
	ssize_t n;
	void *b;

	for (;;) {
		n = recv(nl->fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > *cap) {
			b = realloc(*buf, (size_t)n);
			if (!b)
				return -ENOMEM;
			*buf = b;
			*cap = (size_t)n;
		}
		fromlen = sizeof(from);
		memset(&from, 0, sizeof(from));
		n = recvfrom(nl->fd, *buf, *cap, 0, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (nl->fake || (fromlen >= sizeof(from) &&
				 from.nl_family == AF_NETLINK && !from.nl_pid))
			return n;
	}
}

/*
 * Send @msg (consumed) and process the replies of this request until its
 * ACK or NLMSG_DONE, each reply of the family to @parse.  A failure midway
 * keeps reading (and dropping) the request's replies to the end, so the
 * socket is left clean; messages of an earlier request that failed before
 * its end (their sequence number is not this one's) are dropped.  When
 * the socket itself fails, it is dropped and the next request opens a
 * new one.  @admin: the request changes state, so a lost answer leaves
 * the outcome unknown (VFIOEXT_NL_OUTCOME_UNKNOWN).
 */
static int request(struct vfioext_nl *nl, struct nl_msg *msg,
		   int (*parse)(struct nlmsghdr *h, void *arg), void *arg,
		   struct vfioext_nl_status *st, bool admin)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	size_t cap = 0;
	void *buf = NULL;
	bool done = false, intr = false;
	int err = 0, ret, left;
	uint32_t seq;
	ssize_t n;

	ret = status_begin(st);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	pthread_mutex_lock(&nl->lock);
	if (nl->fd < 0) {
		ret = sock_new(&nl->sk);
		if (ret)
			goto out;
		nl->fd = nl_socket_get_fd(nl->sk);
	}
	seq = ++nl->seq;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = 0;
	do {
		n = send(nl->fd, h, h->nlmsg_len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;	/* not sent: nothing was done */
		goto out;
	}

	while (!done) {
		n = recv_reply(nl, &buf, &cap);
		if (n < 0) {
			ret = (int)n;
			if (ret == -ENOMEM)
				goto out;	/* the socket is fine */
			/* Lost with the socket: whatever it still owed us. */
			if (ret == -ENOBUFS && admin && st)
				st->flags |= VFIOEXT_NL_OUTCOME_UNKNOWN;
			if (nl->sk)
				nl_socket_free(nl->sk);
			nl->sk = NULL;
			nl->fd = -1;
			goto out;
		}
		left = n > INT_MAX ? INT_MAX : (int)n;
		for (h = buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;	/* an earlier request's */
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				done = true;
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					err = err ? err : -EPROTO;
				} else if (e->error) {
					status_msg(st, h);
					err = err ? err :
					      e->error < 0 ? e->error : -EPROTO;
				}
				break;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int derr = 0;

				done = true;
				/* A dump that failed midway says so here. */
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(derr)))
					memcpy(&derr, NLMSG_DATA(h), sizeof(derr));
				if (derr < 0) {
					status_msg(st, h);
					err = err ? err : derr;
				}
				break;
			}
			if (h->nlmsg_type == nl->family && parse && !err)
				err = parse(h, arg);
		}
	}
	ret = err ? err : intr ? -EINTR : 0;
out:
	pthread_mutex_unlock(&nl->lock);
	free(buf);
	nlmsg_free(msg);
	return status_end(st, ret);
}

static struct nl_msg *new_msg(struct vfioext_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_REQUEST | NLM_F_ACK, cmd,
			 VFIO_EXT_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* A request that failed before it was sent still reports in @st. */
static int early(struct vfioext_nl_status *st, int ret)
{
	int bad = status_begin(st);

	return bad ? bad : status_end(st, ret);
}

/*
 * Dumps a bind or unbind interrupted (the kernel sets NLM_F_DUMP_INTR: a
 * device may be missing or listed twice) are run again, this many times.
 */
#define DUMP_TRIES	16

/* Reply collectors: one description, or a growing array of them. */
struct many {
	void **v;
	size_t n, cap;
	int (*parse)(struct nlmsghdr *h, void **out);
	void (*free)(void *obj);
};

static int parse_many(struct nlmsghdr *h, void *arg)
{
	struct many *m = arg;
	void *obj;
	int ret;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		void **v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	ret = m->parse(h, &obj);
	if (ret)
		return ret;
	m->v[m->n++] = obj;
	return 0;
}

static void many_free(struct many *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		m->free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
	m->cap = 0;
}

static int parse_dev_obj(struct nlmsghdr *h, void **out)
{
	return vfioext_nl_parse_dev(h, (struct vfioext_nl_dev **)out);
}

static void free_dev_obj(void *obj)
{
	vfioext_nl_dev_free(obj);
}

static int parse_pv_obj(struct nlmsghdr *h, void **out)
{
	return vfioext_nl_parse_pviommu(h, (struct vfioext_nl_pviommu **)out);
}

static void free_pv_obj(void *obj)
{
	vfioext_nl_pviommu_free(obj);
}

VFIOEXT_EXPORT int vfioext_nl_dev_get(struct vfioext_nl *nl, const char *bdf,
				      struct vfioext_nl_dev **out,
				      struct vfioext_nl_status *st)
{
	struct many m = { .parse = parse_dev_obj, .free = free_dev_obj };
	char canon[VFIOEXT_BDF_LEN];
	struct nl_msg *msg;
	int ret;

	*out = NULL;
	if (vfioext_bdf_canon(bdf, canon))
		return early(st, -EINVAL);
	msg = new_msg(nl, VFIO_EXT_CMD_DEV_GET, 0);
	if (!msg || nla_put_string(msg, VFIO_EXT_A_DEV_NAME, canon)) {
		nlmsg_free(msg);
		return early(st, -ENOMEM);
	}
	ret = request(nl, msg, parse_many, &m, st, false);
	if (!ret && m.n != 1)
		ret = status_end(st, -EPROTO);
	if (ret) {
		many_free(&m);
		return ret;
	}
	*out = m.v[0];
	free(m.v);
	return 0;
}

VFIOEXT_EXPORT void vfioext_nl_dev_list_free(struct vfioext_nl_dev **devs,
					     size_t n)
{
	size_t i;

	if (!devs)
		return;
	for (i = 0; i < n; i++)
		vfioext_nl_dev_free(devs[i]);
	free(devs);
}

VFIOEXT_EXPORT int vfioext_nl_dev_list(struct vfioext_nl *nl,
				       struct vfioext_nl_dev ***devs, size_t *n,
				       struct vfioext_nl_status *st)
{
	struct many m = { .parse = parse_dev_obj, .free = free_dev_obj };
	struct nl_msg *msg;
	int ret, tries = DUMP_TRIES;

	*devs = NULL;
	*n = 0;
	do {
		many_free(&m);
		msg = new_msg(nl, VFIO_EXT_CMD_DEV_GET, NLM_F_DUMP);
		if (!msg)
			return early(st, -ENOMEM);
		ret = request(nl, msg, parse_many, &m, st, false);
	} while (ret == -EINTR && --tries);
	if (ret) {
		many_free(&m);
		return ret;
	}
	*devs = (struct vfioext_nl_dev **)m.v;
	*n = m.n;
	return 0;
}

VFIOEXT_EXPORT int vfioext_nl_dsm_policy_set(struct vfioext_nl *nl,
					     const char *bdf, const char *cmd,
					     struct vfioext_nl_status *st)
{
	char canon[VFIOEXT_BDF_LEN];
	struct nl_msg *msg;

	if (vfioext_bdf_canon(bdf, canon) || !cmd)
		return early(st, -EINVAL);
	msg = new_msg(nl, VFIO_EXT_CMD_DSM_POLICY_SET, 0);
	if (!msg || nla_put_string(msg, VFIO_EXT_A_DEV_NAME, canon) ||
	    nla_put_string(msg, VFIO_EXT_A_DSM_POLICY, cmd)) {
		nlmsg_free(msg);
		return early(st, -ENOMEM);
	}
	return request(nl, msg, NULL, NULL, st, true);
}

VFIOEXT_EXPORT void vfioext_nl_pviommu_list_free(struct vfioext_nl_pviommu **p,
						 size_t n)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < n; i++)
		vfioext_nl_pviommu_free(p[i]);
	free(p);
}

VFIOEXT_EXPORT int vfioext_nl_pviommu_list(struct vfioext_nl *nl,
					   struct vfioext_nl_pviommu ***out,
					   size_t *n,
					   struct vfioext_nl_status *st)
{
	struct many m = { .parse = parse_pv_obj, .free = free_pv_obj };
	struct nl_msg *msg;
	int ret;

	*out = NULL;
	*n = 0;
	msg = new_msg(nl, VFIO_EXT_CMD_PVIOMMU_GET, NLM_F_DUMP);
	if (!msg)
		return early(st, -ENOMEM);
	ret = request(nl, msg, parse_many, &m, st, false);
	if (ret) {
		many_free(&m);
		return ret;
	}
	*out = (struct vfioext_nl_pviommu **)m.v;
	*n = m.n;
	return 0;
}

VFIOEXT_EXPORT int vfioext_nl_pviommu_get(struct vfioext_nl *nl, uint32_t id,
					  struct vfioext_nl_pviommu **out,
					  struct vfioext_nl_status *st)
{
	struct many m = { .parse = parse_pv_obj, .free = free_pv_obj };
	struct nl_msg *msg;
	int ret;

	*out = NULL;
	msg = new_msg(nl, VFIO_EXT_CMD_PVIOMMU_GET, 0);
	if (!msg || nla_put_u32(msg, VFIO_EXT_A_PVIOMMU_ID, id)) {
		nlmsg_free(msg);
		return early(st, -ENOMEM);
	}
	ret = request(nl, msg, parse_many, &m, st, false);
	if (!ret && m.n != 1)
		ret = status_end(st, -EPROTO);
	if (ret) {
		many_free(&m);
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

	memset(&from, 0, sizeof(from));
	n = recvfrom(nl->ev_fd, buf.b, sizeof(buf.b), MSG_DONTWAIT | MSG_TRUNC,
		     (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)n > sizeof(buf.b))
		return -EMSGSIZE;	/* truncated, and gone */
	/*
	 * Only the kernel (port 0) sends events; a privileged process can
	 * multicast to the group too, and is not believed.
	 */
	if (!nl->fake && (fromlen < sizeof(from) ||
			  from.nl_family != AF_NETLINK || from.nl_pid != 0))
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
					 struct vfioext_nl_event *out,
					 int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	struct pollfd pfd = { .events = POLLIN };
	struct vfioext_nl_event ev;
	int ret, wait_ms;

	if (nl->ev_fd < 0 ||
	    out->struct_size < SIZE_1_0(vfioext_nl_event, iova, uint64_t))
		return -EINVAL;
	pfd.fd = nl->ev_fd;
	for (;;) {
		ret = ev_recv(nl, &ev);
		if (!ret)
			return copy_out(out, &ev, sizeof(ev),
					SIZE_1_0(vfioext_nl_event, iova, uint64_t));
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
