// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio-iommu's device-state format: encoder and validating decoder
 * (see viommu_state.h; the format is in <linux/vfio_ext.h> and
 * Documentation/virtio.rst).
 *
 * The decoder reads a blob that the transport has read whole from a file
 * the VMM handed in: hostile input.  Every size is checked against what is
 * left before anything is read, counts are bounded by the bytes they
 * claim, records are copied out (they need not be aligned), and nothing
 * is allocated beyond what the blob's own size bounds.  Versions: another
 * major is refused; a newer minor's longer header and records are read
 * up to what this version knows, its unknown sections skipped unless they
 * are mandatory.
 */
#include <linux/bsearch.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_iommu.h>

#include <linux/vfio_ext.h>
#include "viommu_req.h"
#include "viommu_state.h"

#define MAP_PERMS	(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)

#define HDR_SZ		sizeof(struct vfio_ext_state_hdr)
#define SEC_SZ		sizeof(struct vfio_ext_state_sec)
#define CFG_SZ		sizeof(struct vfio_ext_viommu_state_config)
#define DOMS_SZ		sizeof(struct vfio_ext_viommu_state_domains)
#define DOM_SZ		sizeof(struct vfio_ext_viommu_state_domain)
#define MAP_SZ		sizeof(struct vfio_ext_viommu_state_map)
#define EPS_SZ		sizeof(struct vfio_ext_viommu_state_endpoints)
#define EP_SZ		sizeof(struct vfio_ext_viommu_state_endpoint)

static_assert(HDR_SZ == 32 && SEC_SZ == 16 && CFG_SZ == 40 &&
	      DOMS_SZ == 8 && DOM_SZ == 16 && MAP_SZ == 32 && EPS_SZ == 8 &&
	      EP_SZ == 8);

/**
 * viommu_state_size() - bytes of the blob viommu_state_encode() writes
 * @nr_doms: domains
 * @nr_maps: mappings of all domains
 * @nr_eps: endpoints
 *
 * Return: the size (the counts are the device's, far from overflowing).
 */
size_t viommu_state_size(u32 nr_doms, u32 nr_maps, u32 nr_eps)
{
	return HDR_SZ + 3 * SEC_SZ + CFG_SZ + DOMS_SZ +
	       (size_t)nr_doms * DOM_SZ + (size_t)nr_maps * MAP_SZ +
	       EPS_SZ + (size_t)nr_eps * EP_SZ;
}

/**
 * viommu_state_alloc() - arrays for a state of these counts
 * @s: the state (zeroed here)
 * @nr_doms: domains
 * @nr_maps: mappings
 * @nr_eps: endpoints
 *
 * Return: 0 or -ENOMEM (then viommu_state_free() is still safe).
 */
int viommu_state_alloc(struct viommu_state *s, u32 nr_doms, u32 nr_maps,
		       u32 nr_eps)
{
	memset(s, 0, sizeof(*s));
	s->doms = kvcalloc(max(nr_doms, 1U), sizeof(*s->doms),
			   GFP_KERNEL_ACCOUNT);
	s->maps = kvcalloc(max(nr_maps, 1U), sizeof(*s->maps),
			   GFP_KERNEL_ACCOUNT);
	s->eps = kvcalloc(max(nr_eps, 1U), sizeof(*s->eps),
			  GFP_KERNEL_ACCOUNT);
	if (!s->doms || !s->maps || !s->eps)
		return -ENOMEM;
	s->nr_doms = nr_doms;
	s->nr_maps = nr_maps;
	s->nr_eps = nr_eps;
	return 0;
}

/**
 * viommu_state_free() - free what viommu_state_alloc() or
 * viommu_state_decode() allocated
 * @s: the state
 */
void viommu_state_free(struct viommu_state *s)
{
	kvfree(s->doms);
	kvfree(s->maps);
	kvfree(s->eps);
	memset(s, 0, sizeof(*s));
}

/* A section header at @p; returns where its body starts. */
static void *put_sec(void *p, u32 type, size_t size)
{
	struct vfio_ext_state_sec sec = {
		.type = cpu_to_le32(type),
		.flags = cpu_to_le32(VFIO_EXT_STATE_SEC_F_MANDATORY),
		.size = cpu_to_le64(size),
	};

	memcpy(p, &sec, SEC_SZ);
	return p + SEC_SZ;
}

/**
 * viommu_state_encode() - write @s as a blob
 * @s: the state; each domain's mappings at its @maps, in ascending IOVA
 *     order
 * @buf: the blob
 * @size: viommu_state_size() of @s's counts
 */
void viommu_state_encode(const struct viommu_state *s, void *buf, size_t size)
{
	struct vfio_ext_state_hdr hdr = {
		.magic = cpu_to_le32(VFIO_EXT_STATE_MAGIC),
		.major = cpu_to_le16(VFIO_EXT_STATE_MAJOR),
		.minor = cpu_to_le16(VFIO_EXT_STATE_MINOR),
		.hdr_size = cpu_to_le32(HDR_SZ),
		.device_id = cpu_to_le32(VIRTIO_ID_IOMMU),
		.total_size = cpu_to_le64(size),
	};
	struct vfio_ext_viommu_state_config cfg = {
		.features = cpu_to_le64(s->features),
		.input_start = cpu_to_le64(s->input_start),
		.input_end = cpu_to_le64(s->input_end),
		.domain_start = cpu_to_le32(s->domain_start),
		.domain_end = cpu_to_le32(s->domain_end),
		.probe_size = cpu_to_le32(s->probe_size),
		.bypass = s->bypass,
	};
	struct vfio_ext_viommu_state_domains doms = {
		.nr_domains = cpu_to_le32(s->nr_doms),
		.domain_size = cpu_to_le16(DOM_SZ),
		.map_size = cpu_to_le16(MAP_SZ),
	};
	struct vfio_ext_viommu_state_endpoints eps = {
		.nr_endpoints = cpu_to_le32(s->nr_eps),
		.endpoint_size = cpu_to_le32(EP_SZ),
	};
	void *p = buf;
	u32 i, j;

	memcpy(p, &hdr, HDR_SZ);
	p = put_sec(p + HDR_SZ, VFIO_EXT_VIOMMU_SEC_CONFIG, CFG_SZ);
	memcpy(p, &cfg, CFG_SZ);
	p = put_sec(p + CFG_SZ, VFIO_EXT_VIOMMU_SEC_DOMAINS,
		    DOMS_SZ + (size_t)s->nr_doms * DOM_SZ +
		    (size_t)s->nr_maps * MAP_SZ);
	memcpy(p, &doms, DOMS_SZ);
	p += DOMS_SZ;
	for (i = 0; i < s->nr_doms; i++) {
		const struct viommu_state_dom *d = &s->doms[i];
		struct vfio_ext_viommu_state_domain dom = {
			.id = cpu_to_le32(d->id),
			.flags = cpu_to_le32(d->bypass ?
				VFIO_EXT_VIOMMU_STATE_DOM_BYPASS : 0),
			.nr_maps = cpu_to_le64(d->nr_maps),
		};

		memcpy(p, &dom, DOM_SZ);
		p += DOM_SZ;
		for (j = 0; j < d->nr_maps; j++) {
			const struct viommu_state_map *m = &d->maps[j];
			struct vfio_ext_viommu_state_map map = {
				.iova_start = cpu_to_le64(m->iova),
				.iova_last = cpu_to_le64(m->last),
				.gpa = cpu_to_le64(m->gpa),
				.flags = cpu_to_le32(m->flags),
			};

			memcpy(p, &map, MAP_SZ);
			p += MAP_SZ;
		}
	}
	p = put_sec(p, VFIO_EXT_VIOMMU_SEC_ENDPOINTS,
		    EPS_SZ + (size_t)s->nr_eps * EP_SZ);
	memcpy(p, &eps, EPS_SZ);
	p += EPS_SZ;
	for (i = 0; i < s->nr_eps; i++) {
		struct vfio_ext_viommu_state_endpoint ep = {
			.endpoint = cpu_to_le32(s->eps[i].endpoint),
			.domain = cpu_to_le32(s->eps[i].domain),
		};

		memcpy(p, &ep, EP_SZ);
		p += EP_SZ;
	}
	WARN_ON_ONCE(p != buf + size);
}

/* A body: where it is and how long. */
struct body {
	const u8 *p;
	size_t len;
};

/*
 * The first @want bytes of a record, which may be longer (a newer minor
 * appends to records: the rest is skipped) and need not be aligned.
 */
static void get_rec(void *dst, size_t want, const u8 *src)
{
	memcpy(dst, src, want);
}

static int cmp_dom(const void *a, const void *b)
{
	u32 x = ((const struct viommu_state_dom *)a)->id;
	u32 y = ((const struct viommu_state_dom *)b)->id;

	return x < y ? -1 : x > y;
}

static int cmp_ep(const void *a, const void *b)
{
	u32 x = ((const struct viommu_state_ep *)a)->endpoint;
	u32 y = ((const struct viommu_state_ep *)b)->endpoint;

	return x < y ? -1 : x > y;
}

/**
 * viommu_state_dom() - a domain of a decoded state by ID
 * @s: the state (its @doms sorted by ID)
 * @id: the guest's domain ID
 *
 * Return: the domain, or NULL.
 */
struct viommu_state_dom *viommu_state_dom(const struct viommu_state *s,
					  u32 id)
{
	struct viommu_state_dom key = { .id = id };

	return bsearch(&key, s->doms, s->nr_doms, sizeof(key), cmp_dom);
}

/* The header and the sections' places.  Known types are 1..3. */
static int split(const u8 *buf, size_t len, struct body sec[4])
{
	struct vfio_ext_state_hdr hdr;
	struct vfio_ext_state_sec sh;
	size_t off, hsz, size;
	u32 type;

	if (len < HDR_SZ)
		return -ENODATA;
	memcpy(&hdr, buf, HDR_SZ);
	if (le32_to_cpu(hdr.magic) != VFIO_EXT_STATE_MAGIC ||
	    le32_to_cpu(hdr.device_id) != VIRTIO_ID_IOMMU)
		return -EINVAL;
	if (le16_to_cpu(hdr.major) != VFIO_EXT_STATE_MAJOR)
		return -EPROTONOSUPPORT;
	if (le64_to_cpu(hdr.total_size) != len)
		return le64_to_cpu(hdr.total_size) > len ? -ENODATA : -EBADMSG;
	hsz = le32_to_cpu(hdr.hdr_size);
	if (hsz < HDR_SZ || hsz % 8)
		return -EBADMSG;
	if (hsz > len)
		return -ENODATA;
	if (hdr.reserved)
		return -EINVAL;	/* reserved: 0, so a minor may use it */
	for (off = hsz; off < len; off += size) {
		if (len - off < SEC_SZ)
			return -ENODATA;
		memcpy(&sh, buf + off, SEC_SZ);
		off += SEC_SZ;
		size = le64_to_cpu(sh.size);
		if (size % 8)
			return -EBADMSG;
		if (size > len - off)
			return -ENODATA;
		type = le32_to_cpu(sh.type);
		if (type < VFIO_EXT_VIOMMU_SEC_CONFIG ||
		    type > VFIO_EXT_VIOMMU_SEC_ENDPOINTS) {
			if (le32_to_cpu(sh.flags) &
			    VFIO_EXT_STATE_SEC_F_MANDATORY)
				return -EOPNOTSUPP;
			continue;	/* a newer minor's optional section */
		}
		if (sec[type].p)
			return -EBADMSG;	/* twice */
		sec[type].p = buf + off;
		sec[type].len = size;
	}
	for (type = VFIO_EXT_VIOMMU_SEC_CONFIG;
	     type <= VFIO_EXT_VIOMMU_SEC_ENDPOINTS; type++)
		if (!sec[type].p)
			return -EBADMSG;	/* missing */
	return 0;
}

/*
 * Walk the domains section once to count its records, checking that every
 * count fits in the bytes left (so no multiplication can overflow).
 */
static int count_doms(const struct body *b, u32 *nr_doms, u32 *nr_maps,
		      size_t *dsz, size_t *msz)
{
	struct vfio_ext_viommu_state_domains h;
	struct vfio_ext_viommu_state_domain d;
	size_t off = DOMS_SZ, maps = 0;
	u64 n;
	u32 i;

	if (b->len < DOMS_SZ)
		return -EBADMSG;
	memcpy(&h, b->p, DOMS_SZ);
	*dsz = le16_to_cpu(h.domain_size);
	*msz = le16_to_cpu(h.map_size);
	if (*dsz < DOM_SZ || *msz < MAP_SZ)
		return -EBADMSG;
	*nr_doms = le32_to_cpu(h.nr_domains);
	for (i = 0; i < *nr_doms; i++) {
		if (b->len - off < *dsz)
			return -EBADMSG;
		memcpy(&d, b->p + off, DOM_SZ);
		off += *dsz;
		n = le64_to_cpu(d.nr_maps);
		if (n > (b->len - off) / *msz)
			return -EBADMSG;
		off += n * *msz;
		maps += n;
	}
	if (b->len - off >= 8)
		return -EBADMSG;	/* bytes no record claims */
	*nr_maps = maps;	/* at most len / 32: fits */
	return 0;
}

static int get_doms(const struct body *b, size_t dsz, size_t msz,
		    struct viommu_state *s)
{
	struct vfio_ext_viommu_state_domain d;
	struct vfio_ext_viommu_state_map m;
	struct viommu_state_map *out = s->maps, *prev;
	const u8 *p = b->p + DOMS_SZ;
	u32 i, j, flags;
	u64 size;

	for (i = 0; i < s->nr_doms; i++) {
		struct viommu_state_dom *dom = &s->doms[i];

		get_rec(&d, DOM_SZ, p);
		p += dsz;
		dom->id = le32_to_cpu(d.id);
		flags = le32_to_cpu(d.flags);
		if (flags & ~VFIO_EXT_VIOMMU_STATE_DOM_BYPASS)
			return -EINVAL;
		dom->bypass = flags & VFIO_EXT_VIOMMU_STATE_DOM_BYPASS;
		dom->nr_maps = le64_to_cpu(d.nr_maps);
		dom->maps = out;
		if (dom->bypass && dom->nr_maps)
			return -EINVAL;
		for (j = 0, prev = NULL; j < dom->nr_maps; j++, prev = out++) {
			get_rec(&m, MAP_SZ, p);
			p += msz;
			out->iova = le64_to_cpu(m.iova_start);
			out->last = le64_to_cpu(m.iova_last);
			out->gpa = le64_to_cpu(m.gpa);
			out->flags = le32_to_cpu(m.flags);
			size = out->last - out->iova;
			if (m.reserved ||
			    out->last < out->iova || size == U64_MAX ||
			    !out->flags ||
			    out->flags & ~MAP_PERMS ||
			    out->gpa + size < out->gpa)
				return -EINVAL;
			if (prev && out->iova <= prev->last)
				return -EEXIST;	/* overlaps, or out of order */
		}
	}
	sort(s->doms, s->nr_doms, sizeof(*s->doms), cmp_dom, NULL);
	for (i = 1; i < s->nr_doms; i++)
		if (s->doms[i].id == s->doms[i - 1].id)
			return -EEXIST;
	return 0;
}

static int get_eps(const struct body *b, size_t esz, struct viommu_state *s)
{
	struct vfio_ext_viommu_state_endpoint e;
	struct viommu_state_dom *dom;
	const u8 *p = b->p + EPS_SZ;
	u32 i;

	for (i = 0; i < s->nr_eps; i++, p += esz) {
		get_rec(&e, EP_SZ, p);
		s->eps[i].endpoint = le32_to_cpu(e.endpoint);
		s->eps[i].domain = le32_to_cpu(e.domain);
	}
	sort(s->eps, s->nr_eps, sizeof(*s->eps), cmp_ep, NULL);
	for (i = 0; i < s->nr_eps; i++) {
		if (i && s->eps[i].endpoint == s->eps[i - 1].endpoint)
			return -EEXIST;	/* one endpoint in two domains */
		dom = viommu_state_dom(s, s->eps[i].domain);
		if (!dom)
			return -EBADMSG;	/* a domain the blob lacks */
		dom->nr_eps++;
	}
	/*
	 * A domain may have no endpoint: the device keeps one whose last
	 * endpoint's group left the container (hot-unplug) until the guest
	 * detaches or resets, and a state saved then must load.
	 */
	return 0;
}

/**
 * viommu_state_decode() - read and check a blob
 * @buf: the blob
 * @len: its bytes (as its header says: the transport read that many)
 * @s: out: the state; free it with viommu_state_free() whatever the
 *     result
 *
 * Checks all that the blob alone says, roughly in this order: header,
 * sections, config, domains with their mappings, endpoints (the sections'
 * counts and sizes come before the records).  A domain may have no
 * endpoint.  Ranges and alignment depend on what the driver negotiated:
 * viommu_state_check().
 *
 * Return: 0; -ENODATA truncated; -EINVAL bad magic or device ID, a
 * reserved field not 0, a domain flag or mapping that cannot be (no or
 * unknown permissions, ends before it starts, a guest-physical range that
 * wraps, a bypass domain with mappings); -EPROTONOSUPPORT another major
 * version; -EBADMSG malformed (header, section or record sizes, counts
 * that do not fit, a section twice or missing, an endpoint of a domain
 * the blob lacks); -EOPNOTSUPP an unknown mandatory section; -EEXIST a
 * domain ID twice, overlapping (or unordered) mappings, an endpoint twice;
 * -ENOMEM.
 */
int viommu_state_decode(const void *buf, size_t len, struct viommu_state *s)
{
	struct vfio_ext_viommu_state_config cfg;
	struct vfio_ext_viommu_state_endpoints eh;
	struct body sec[4] = {};
	size_t dsz, msz, esz;
	u32 nr_doms, nr_maps, nr_eps;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = split(buf, len, sec);
	if (ret)
		return ret;
	if (sec[VFIO_EXT_VIOMMU_SEC_CONFIG].len < CFG_SZ ||
	    sec[VFIO_EXT_VIOMMU_SEC_ENDPOINTS].len < EPS_SZ)
		return -EBADMSG;
	ret = count_doms(&sec[VFIO_EXT_VIOMMU_SEC_DOMAINS], &nr_doms,
			 &nr_maps, &dsz, &msz);
	if (ret)
		return ret;
	memcpy(&eh, sec[VFIO_EXT_VIOMMU_SEC_ENDPOINTS].p, EPS_SZ);
	nr_eps = le32_to_cpu(eh.nr_endpoints);
	esz = le32_to_cpu(eh.endpoint_size);
	if (esz < EP_SZ ||
	    nr_eps > (sec[VFIO_EXT_VIOMMU_SEC_ENDPOINTS].len - EPS_SZ) / esz ||
	    sec[VFIO_EXT_VIOMMU_SEC_ENDPOINTS].len - EPS_SZ -
	    (size_t)nr_eps * esz >= 8)
		return -EBADMSG;

	ret = viommu_state_alloc(s, nr_doms, nr_maps, nr_eps);
	if (ret)
		return ret;
	get_rec(&cfg, CFG_SZ, sec[VFIO_EXT_VIOMMU_SEC_CONFIG].p);
	if (cfg.reserved[0] || cfg.reserved[1] || cfg.reserved[2])
		return -EINVAL;
	s->features = le64_to_cpu(cfg.features);
	s->input_start = le64_to_cpu(cfg.input_start);
	s->input_end = le64_to_cpu(cfg.input_end);
	s->domain_start = le32_to_cpu(cfg.domain_start);
	s->domain_end = le32_to_cpu(cfg.domain_end);
	s->probe_size = le32_to_cpu(cfg.probe_size);
	s->bypass = !!cfg.bypass;
	ret = get_doms(&sec[VFIO_EXT_VIOMMU_SEC_DOMAINS], dsz, msz, s);
	if (!ret)
		ret = get_eps(&sec[VFIO_EXT_VIOMMU_SEC_ENDPOINTS], esz, s);
	return ret;
}

/**
 * viommu_state_check() - does a decoded state fit what the driver
 * negotiated on this device?
 * @s: from viommu_state_decode()
 * @lim: the device's limits (the same features negotiated)
 *
 * Return: 0; -ERANGE the saved input or domain range is not inside the
 * device's, a domain ID or a mapping outside them; -EINVAL a mapping not
 * aligned to the page granule.
 */
int viommu_state_check(const struct viommu_state *s,
		       const struct viommu_limits *lim)
{
	const struct viommu_state_map *m;
	u64 mask = lim->granule ? lim->granule - 1 : 0;
	u32 i;

	if (s->input_start < lim->input_start ||
	    s->input_end > lim->input_end ||
	    s->domain_start < lim->domain_start ||
	    s->domain_end > lim->domain_end)
		return -ERANGE;
	for (i = 0; i < s->nr_doms; i++)
		if (s->doms[i].id < lim->domain_start ||
		    s->doms[i].id > lim->domain_end)
			return -ERANGE;
	for (i = 0; i < s->nr_maps; i++) {
		m = &s->maps[i];
		if ((m->iova | (m->last + 1) | m->gpa) & mask)
			return -EINVAL;
		if (m->iova < lim->input_start || m->last > lim->input_end)
			return -ERANGE;
	}
	return 0;
}
