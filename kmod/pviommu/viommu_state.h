/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio-iommu's device state as a blob (VFIO_EXT_VIRTIO_DEVICE_STATE):
 * the format of <linux/vfio_ext.h> ("struct vfio_ext_state_hdr" and the
 * VFIO_EXT_VIOMMU_SEC_* sections), encoded from and decoded into a plain
 * description.  Pure logic: the decoder trusts nothing in the blob and
 * checks everything that can be checked without the device (sizes,
 * versions, ranges, order, duplicates); viommu_dev.c checks the rest
 * against the container and applies it.  Documentation/virtio.rst has the
 * format and every errno.
 */
#ifndef _VIOMMU_STATE_H
#define _VIOMMU_STATE_H

#include <linux/types.h>

struct viommu_limits;

/**
 * struct viommu_state_map - a mapping
 * @iova: first IOVA
 * @last: last IOVA (inclusive)
 * @gpa: guest-physical address of @iova
 * @flags: VIRTIO_IOMMU_MAP_F_READ / _WRITE
 */
struct viommu_state_map {
	u64 iova;
	u64 last;
	u64 gpa;
	u32 flags;
};

/**
 * struct viommu_state_dom - a guest domain
 * @id: the guest's domain ID
 * @bypass: a bypass domain (no mappings)
 * @nr_maps: its mappings, in ascending IOVA order
 * @maps: the first of them, in struct viommu_state.maps
 * @nr_eps: endpoints attached to it (decoder's count)
 */
struct viommu_state_dom {
	u32 id;
	bool bypass;
	u32 nr_maps;
	struct viommu_state_map *maps;
	u32 nr_eps;
};

/**
 * struct viommu_state_ep - an endpoint in a domain
 * @endpoint: its ID (virtual stream ID)
 * @domain: the guest's domain ID
 */
struct viommu_state_ep {
	u32 endpoint;
	u32 domain;
};

/**
 * struct viommu_state - the device state, as saved or loaded
 * @features: negotiated features (0: none)
 * @input_start: accepted input_range.start
 * @input_end: accepted input_range.end
 * @domain_start: accepted domain_range.start
 * @domain_end: accepted domain_range.end
 * @probe_size: config probe_size
 * @bypass: config bypass
 * @nr_doms: entries of @doms
 * @nr_maps: entries of @maps (all domains')
 * @nr_eps: entries of @eps
 * @doms: the domains (the decoder sorts them by @id)
 * @maps: the mappings, domain after domain
 * @eps: the endpoints (the decoder sorts them by @endpoint)
 */
struct viommu_state {
	u64 features;
	u64 input_start;
	u64 input_end;
	u32 domain_start;
	u32 domain_end;
	u32 probe_size;
	u8 bypass;
	u32 nr_doms;
	u32 nr_maps;
	u32 nr_eps;
	struct viommu_state_dom *doms;
	struct viommu_state_map *maps;
	struct viommu_state_ep *eps;
};

size_t viommu_state_size(u32 nr_doms, u32 nr_maps, u32 nr_eps);
int viommu_state_alloc(struct viommu_state *s, u32 nr_doms, u32 nr_maps,
		       u32 nr_eps);
void viommu_state_free(struct viommu_state *s);
void viommu_state_encode(const struct viommu_state *s, void *buf,
			 size_t size);
int viommu_state_decode(const void *buf, size_t len, struct viommu_state *s);
int viommu_state_check(const struct viommu_state *s,
		       const struct viommu_limits *lim);
struct viommu_state_dom *viommu_state_dom(const struct viommu_state *s,
					  u32 id);

#endif /* _VIOMMU_STATE_H */
