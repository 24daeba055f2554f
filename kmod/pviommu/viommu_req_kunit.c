// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for virtio-iommu request decoding: every request type, and
 * every field malformed in turn.  Buffers have their exact sizes (KASAN).
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "viommu_req.c"

static const struct viommu_limits lim = {
	.granule = 4096,
	.input_start = 0,
	.input_end = (1ULL << 39) - 1,
	.domain_start = 1,
	.domain_end = 1023,
	.probe_size = 512,
	.bypass = false,
};

/* A copy of @r's readable part at its exact size. */
static void *readable(struct kunit *test, const void *r, size_t len)
{
	void *p = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, r, len);
	return p;
}

#define RLEN(T)	(sizeof(T) - sizeof(struct virtio_iommu_req_tail))

static struct virtio_iommu_req_map good_map(void)
{
	struct virtio_iommu_req_map m = {
		.head.type = VIRTIO_IOMMU_T_MAP,
		.domain = cpu_to_le32(5),
		.virt_start = cpu_to_le64(0x100000),
		.virt_end = cpu_to_le64(0x101fff),
		.phys_start = cpu_to_le64(0x40000000),
		.flags = cpu_to_le32(VIRTIO_IOMMU_MAP_F_READ |
				     VIRTIO_IOMMU_MAP_F_WRITE),
	};
	return m;
}

static int parse_map_req(struct kunit *test, struct virtio_iommu_req_map m,
			 struct viommu_req *req)
{
	return viommu_parse(readable(test, &m, RLEN(m)), RLEN(m), 4, &lim, req);
}

static void req_map(struct kunit *test)
{
	struct virtio_iommu_req_map m = good_map();
	struct viommu_req req;

	KUNIT_ASSERT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_OK);
	KUNIT_EXPECT_EQ(test, req.type, VIRTIO_IOMMU_T_MAP);
	KUNIT_EXPECT_EQ(test, req.domain, 5U);
	KUNIT_EXPECT_EQ(test, req.virt_end, 0x101fffULL);
	KUNIT_EXPECT_EQ(test, req.phys_start, 0x40000000ULL);

	m = good_map();
	m.flags = cpu_to_le32(VIRTIO_IOMMU_MAP_F_MMIO);
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_INVAL);
	m = good_map();
	m.flags = cpu_to_le32(0x80);
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_INVAL);
	m = good_map();
	m.virt_end = cpu_to_le64(0xfffff);		/* end before start */
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_INVAL);
	m = good_map();
	m.virt_start = cpu_to_le64(0x100800);		/* misaligned */
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_RANGE);
	m = good_map();
	m.virt_end = cpu_to_le64(0x101000);		/* end + 1 misaligned */
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_RANGE);
	m = good_map();
	m.phys_start = cpu_to_le64(0x40000010);
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_RANGE);
	m = good_map();
	m.virt_end = cpu_to_le64((1ULL << 40) - 1);	/* past input_range */
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_RANGE);
	m = good_map();
	m.phys_start = cpu_to_le64(U64_MAX - 0xfff);	/* phys wraps */
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_RANGE);
	m = good_map();
	m.domain = cpu_to_le32(0);			/* outside domain_range */
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_RANGE);
	m = good_map();
	m.domain = cpu_to_le32(1024);
	KUNIT_EXPECT_EQ(test, parse_map_req(test, m, &req), VIRTIO_IOMMU_S_RANGE);
}

static void req_attach_detach_unmap_probe(struct kunit *test)
{
	struct virtio_iommu_req_attach a = {
		.head.type = VIRTIO_IOMMU_T_ATTACH,
		.domain = cpu_to_le32(1), .endpoint = cpu_to_le32(0x10),
	};
	struct virtio_iommu_req_detach d = {
		.head.type = VIRTIO_IOMMU_T_DETACH,
		.domain = cpu_to_le32(1023), .endpoint = cpu_to_le32(7),
	};
	struct virtio_iommu_req_unmap u = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = cpu_to_le32(2),
		.virt_start = cpu_to_le64(0), .virt_end = cpu_to_le64(U64_MAX),
	};
	struct virtio_iommu_req_probe p = {
		.head.type = VIRTIO_IOMMU_T_PROBE, .endpoint = cpu_to_le32(9),
	};
	struct viommu_req req;

	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &a, RLEN(a)), RLEN(a),
					   4, &lim, &req), VIRTIO_IOMMU_S_OK);
	KUNIT_EXPECT_EQ(test, req.endpoint, 0x10U);
	a.flags = cpu_to_le32(VIRTIO_IOMMU_ATTACH_F_BYPASS);	/* not negotiated */
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &a, RLEN(a)), RLEN(a),
					   4, &lim, &req), VIRTIO_IOMMU_S_INVAL);
	a.flags = cpu_to_le32(2);
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &a, RLEN(a)), RLEN(a),
					   4, &lim, &req), VIRTIO_IOMMU_S_INVAL);

	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &d, RLEN(d)), RLEN(d),
					   4, &lim, &req), VIRTIO_IOMMU_S_OK);
	KUNIT_EXPECT_EQ(test, req.domain, 1023U);

	/* UNMAP of everything is valid; an inverted range is not. */
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &u, RLEN(u)), RLEN(u),
					   4, &lim, &req), VIRTIO_IOMMU_S_OK);
	u.virt_start = cpu_to_le64(1);
	u.virt_end = cpu_to_le64(0);
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &u, RLEN(u)), RLEN(u),
					   4, &lim, &req), VIRTIO_IOMMU_S_INVAL);

	/* PROBE needs room for the properties and the tail. */
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &p, sizeof(p)),
					   sizeof(p), 512 + 4, &lim, &req),
			VIRTIO_IOMMU_S_OK);
	KUNIT_EXPECT_EQ(test, req.endpoint, 9U);
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &p, sizeof(p)),
					   sizeof(p), 512 + 3, &lim, &req),
			VIRTIO_IOMMU_S_INVAL);
	/* Without VIRTIO_IOMMU_F_PROBE negotiated there is no PROBE. */
	{
		struct viommu_limits noprobe = lim;

		noprobe.probe_size = 0;
		KUNIT_EXPECT_EQ(test,
				viommu_parse(readable(test, &p, sizeof(p)),
					     sizeof(p), 512 + 4, &noprobe, &req),
				VIRTIO_IOMMU_S_UNSUPP);
	}
}

static void req_malformed(struct kunit *test)
{
	struct virtio_iommu_req_map m = good_map();
	struct viommu_req req;
	u8 type[4] = { 0x42 };

	/* Too short for any header, for its type, no room for the tail. */
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &m, 3), 3, 4, &lim,
					   &req), VIRTIO_IOMMU_S_INVAL);
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &m, RLEN(m) - 1),
					   RLEN(m) - 1, 4, &lim, &req),
			VIRTIO_IOMMU_S_INVAL);
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &m, RLEN(m)), RLEN(m),
					   3, &lim, &req), -EPROTO);
	/* Unknown and zero types. */
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, type, 4), 4, 4, &lim,
					   &req), VIRTIO_IOMMU_S_UNSUPP);
	type[0] = 0;
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, type, 4), 4, 4, &lim,
					   &req), VIRTIO_IOMMU_S_UNSUPP);
	/* Longer than needed is fine (trailing bytes are ignored). */
	KUNIT_EXPECT_EQ(test, viommu_parse(readable(test, &m, sizeof(m)),
					   sizeof(m), 4, &lim, &req),
			VIRTIO_IOMMU_S_OK);
}

static struct kunit_case viommu_req_test_cases[] = {
	KUNIT_CASE(req_map),
	KUNIT_CASE(req_attach_detach_unmap_probe),
	KUNIT_CASE(req_malformed),
	{}
};

static struct kunit_suite viommu_req_test_suite = {
	.name = "viommu_req",
	.test_cases = viommu_req_test_cases,
};

kunit_test_suite(viommu_req_test_suite);
