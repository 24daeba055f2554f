/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-iommu requests (virtio 1.x, 5.13.6): decoding and validating
 * what the guest wrote, before the device acts on it.  The device knows
 * requests, never ring layout (that is kmod/virtio/).  Pure logic, with a
 * KUnit suite that tries every malformed field.
 */
#ifndef _VIOMMU_REQ_H
#define _VIOMMU_REQ_H

#include <linux/types.h>
#include <linux/virtio_iommu.h>

/**
 * struct viommu_limits - what the device offered and the driver accepted
 * @granule: smallest page size of page_size_mask (a power of two)
 * @input_start: input_range.start
 * @input_end: input_range.end (inclusive)
 * @domain_start: domain_range.start
 * @domain_end: domain_range.end (inclusive)
 * @probe_size: config probe_size (PROBE's writable properties area)
 * @bypass: VIRTIO_IOMMU_F_BYPASS_CONFIG was negotiated
 */
struct viommu_limits {
	u64 granule;
	u64 input_start;
	u64 input_end;
	u32 domain_start;
	u32 domain_end;
	u32 probe_size;
	bool bypass;
};

/**
 * struct viommu_req - a decoded request
 * @type: VIRTIO_IOMMU_T_*
 * @domain: ATTACH, DETACH, MAP, UNMAP
 * @endpoint: ATTACH, DETACH, PROBE
 * @flags: ATTACH (VIRTIO_IOMMU_ATTACH_F_*), MAP (VIRTIO_IOMMU_MAP_F_*)
 * @virt_start: MAP, UNMAP
 * @virt_end: MAP, UNMAP (inclusive)
 * @phys_start: MAP
 */
struct viommu_req {
	u8 type;
	u32 domain;
	u32 endpoint;
	u32 flags;
	u64 virt_start;
	u64 virt_end;
	u64 phys_start;
};

int viommu_parse(const void *buf, size_t len, size_t in_len,
		 const struct viommu_limits *lim, struct viommu_req *req);

#endif /* _VIOMMU_REQ_H */
