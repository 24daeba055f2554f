// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-iommu request decoding.  Statuses follow the spec: a request too
 * short for its type or with a bad flag is INVAL, an unknown type UNSUPP,
 * a domain or address outside the negotiated ranges or misaligned RANGE.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "viommu_req.h"

#define TAIL	sizeof(struct virtio_iommu_req_tail)

/* Bytes the driver writes for each type (the request minus its tail). */
static size_t readable_size(u8 type)
{
	switch (type) {
	case VIRTIO_IOMMU_T_ATTACH:
		return sizeof(struct virtio_iommu_req_attach) - TAIL;
	case VIRTIO_IOMMU_T_DETACH:
		return sizeof(struct virtio_iommu_req_detach) - TAIL;
	case VIRTIO_IOMMU_T_MAP:
		return sizeof(struct virtio_iommu_req_map) - TAIL;
	case VIRTIO_IOMMU_T_UNMAP:
		return sizeof(struct virtio_iommu_req_unmap) - TAIL;
	case VIRTIO_IOMMU_T_PROBE:
		return sizeof(struct virtio_iommu_req_probe);
	default:
		return 0;
	}
}

static bool domain_ok(const struct viommu_limits *lim, u32 domain)
{
	return domain >= lim->domain_start && domain <= lim->domain_end;
}

static int parse_map(const struct virtio_iommu_req_map *r,
		     const struct viommu_limits *lim, struct viommu_req *req)
{
	u64 g = lim->granule;

	req->domain = le32_to_cpu(r->domain);
	req->virt_start = le64_to_cpu(r->virt_start);
	req->virt_end = le64_to_cpu(r->virt_end);
	req->phys_start = le64_to_cpu(r->phys_start);
	req->flags = le32_to_cpu(r->flags);
	/* MMIO is not offered (no VIRTIO_IOMMU_F_MMIO). */
	if (req->flags & ~(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE))
		return VIRTIO_IOMMU_S_INVAL;
	if (req->virt_start > req->virt_end)
		return VIRTIO_IOMMU_S_INVAL;
	if (!domain_ok(lim, req->domain))
		return VIRTIO_IOMMU_S_RANGE;
	if ((req->virt_start | req->phys_start) & (g - 1) ||
	    (req->virt_end & (g - 1)) != g - 1)
		return VIRTIO_IOMMU_S_RANGE;
	if (req->virt_start < lim->input_start ||
	    req->virt_end > lim->input_end)
		return VIRTIO_IOMMU_S_RANGE;
	if (req->phys_start + (req->virt_end - req->virt_start) <
	    req->phys_start)
		return VIRTIO_IOMMU_S_RANGE;	/* physical range wraps */
	return VIRTIO_IOMMU_S_OK;
}

/**
 * viommu_parse() - decode and validate a request
 * @buf: the device-readable bytes of the request
 * @len: their number
 * @in_len: device-writable bytes (the tail, and for PROBE the properties)
 * @lim: the negotiated limits
 * @req: filled when the result is VIRTIO_IOMMU_S_OK
 *
 * Return: a VIRTIO_IOMMU_S_* status for the tail, or -EPROTO when there is
 * no room for even the tail (nothing can be answered).
 */
int viommu_parse(const void *buf, size_t len, size_t in_len,
		 const struct viommu_limits *lim, struct viommu_req *req)
{
	const struct virtio_iommu_req_head *head = buf;
	size_t need;

	if (in_len < TAIL)
		return -EPROTO;
	memset(req, 0, sizeof(*req));
	if (len < sizeof(*head))
		return VIRTIO_IOMMU_S_INVAL;
	req->type = head->type;
	need = readable_size(head->type);
	if (!need)
		return VIRTIO_IOMMU_S_UNSUPP;
	if (len < need)
		return VIRTIO_IOMMU_S_INVAL;

	switch (head->type) {
	case VIRTIO_IOMMU_T_ATTACH: {
		const struct virtio_iommu_req_attach *r = buf;

		req->domain = le32_to_cpu(r->domain);
		req->endpoint = le32_to_cpu(r->endpoint);
		req->flags = le32_to_cpu(r->flags);
		if (req->flags & ~VIRTIO_IOMMU_ATTACH_F_BYPASS ||
		    (req->flags && !lim->bypass))
			return VIRTIO_IOMMU_S_INVAL;
		return domain_ok(lim, req->domain) ? VIRTIO_IOMMU_S_OK :
						     VIRTIO_IOMMU_S_RANGE;
	}
	case VIRTIO_IOMMU_T_DETACH: {
		const struct virtio_iommu_req_detach *r = buf;

		req->domain = le32_to_cpu(r->domain);
		req->endpoint = le32_to_cpu(r->endpoint);
		return domain_ok(lim, req->domain) ? VIRTIO_IOMMU_S_OK :
						     VIRTIO_IOMMU_S_RANGE;
	}
	case VIRTIO_IOMMU_T_MAP:
		return parse_map(buf, lim, req);
	case VIRTIO_IOMMU_T_UNMAP: {
		const struct virtio_iommu_req_unmap *r = buf;

		req->domain = le32_to_cpu(r->domain);
		req->virt_start = le64_to_cpu(r->virt_start);
		req->virt_end = le64_to_cpu(r->virt_end);
		if (req->virt_start > req->virt_end)
			return VIRTIO_IOMMU_S_INVAL;
		return domain_ok(lim, req->domain) ? VIRTIO_IOMMU_S_OK :
						     VIRTIO_IOMMU_S_RANGE;
	}
	case VIRTIO_IOMMU_T_PROBE: {
		const struct virtio_iommu_req_probe *r = buf;

		req->endpoint = le32_to_cpu(r->endpoint);
		if (!lim->probe_size)
			return VIRTIO_IOMMU_S_UNSUPP;	/* not negotiated */
		/* The properties come before the tail. */
		if (in_len < (size_t)lim->probe_size + TAIL)
			return VIRTIO_IOMMU_S_INVAL;
		return VIRTIO_IOMMU_S_OK;
	}
	}
	return VIRTIO_IOMMU_S_UNSUPP;
}
