// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the virtio-iommu's device-state format: encode and
 * decode round trip, every truncation and every single-bit corruption of
 * a blob (decoded from buffers of their exact size: KASAN sees any read
 * past the end), and the checks against what the driver negotiated.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "viommu_state.c"

static const struct viommu_limits lim = {
	.granule = 4096,
	.input_start = 0,
	.input_end = (1ULL << 39) - 1,
	.domain_start = 1,
	.domain_end = 1023,
	.probe_size = 512,
};

/* The config section every sample state has. */
static void sample_config(struct viommu_state *s)
{
	s->features = 0x100000017ULL;
	s->input_end = lim.input_end;
	s->domain_start = 1;
	s->domain_end = 1023;
	s->probe_size = 512;
}

/* Domains 7 (two mappings, endpoint 3) and 2 (bypass, endpoints 9, 1). */
static void *sample(struct kunit *test, size_t *len)
{
	struct viommu_state s;
	void *buf;

	KUNIT_ASSERT_EQ(test, viommu_state_alloc(&s, 2, 2, 3), 0);
	sample_config(&s);
	s.bypass = 1;
	s.maps[0] = (struct viommu_state_map){ 0x10000, 0x10fff, 0x1000, 1 };
	s.maps[1] = (struct viommu_state_map){ 0x20000, 0x21fff, 0x8000, 3 };
	s.doms[0] = (struct viommu_state_dom){ .id = 7, .nr_maps = 2,
					       .maps = s.maps };
	s.doms[1] = (struct viommu_state_dom){ .id = 2, .bypass = true,
					       .maps = s.maps + 2 };
	s.eps[0] = (struct viommu_state_ep){ 3, 7 };
	s.eps[1] = (struct viommu_state_ep){ 9, 2 };
	s.eps[2] = (struct viommu_state_ep){ 1, 2 };
	*len = viommu_state_size(2, 2, 3);
	buf = kunit_kmalloc(test, *len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	viommu_state_encode(&s, buf, *len);
	viommu_state_free(&s);
	return buf;
}

/* @len bytes of @blob in a buffer of exactly that size. */
static void *exact(struct kunit *test, const void *blob, size_t len)
{
	void *p = kunit_kmalloc(test, len ? len : 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, blob, len);
	return p;
}

static void state_roundtrip(struct kunit *test)
{
	struct viommu_state s;
	size_t len;
	void *blob = sample(test, &len);

	KUNIT_EXPECT_EQ(test, len, (size_t)(136 + 2 * 16 + 2 * 32 + 3 * 8));
	KUNIT_ASSERT_EQ(test, viommu_state_decode(blob, len, &s), 0);
	KUNIT_EXPECT_EQ(test, s.features, 0x100000017ULL);
	KUNIT_EXPECT_EQ(test, s.probe_size, 512U);
	KUNIT_EXPECT_EQ(test, s.bypass, 1);
	KUNIT_ASSERT_EQ(test, s.nr_doms, 2U);
	/* Sorted by ID. */
	KUNIT_EXPECT_EQ(test, s.doms[0].id, 2U);
	KUNIT_EXPECT_TRUE(test, s.doms[0].bypass);
	KUNIT_EXPECT_EQ(test, s.doms[0].nr_eps, 2U);
	KUNIT_EXPECT_EQ(test, s.doms[1].id, 7U);
	KUNIT_ASSERT_EQ(test, s.doms[1].nr_maps, 2U);
	KUNIT_EXPECT_EQ(test, s.doms[1].maps[1].iova, 0x20000ULL);
	KUNIT_EXPECT_EQ(test, s.doms[1].maps[1].last, 0x21fffULL);
	KUNIT_EXPECT_EQ(test, s.doms[1].maps[1].gpa, 0x8000ULL);
	KUNIT_EXPECT_EQ(test, s.doms[1].maps[1].flags, 3U);
	KUNIT_EXPECT_PTR_EQ(test, viommu_state_dom(&s, 7), &s.doms[1]);
	KUNIT_EXPECT_PTR_EQ(test, viommu_state_dom(&s, 5), NULL);
	KUNIT_ASSERT_EQ(test, s.nr_eps, 3U);
	KUNIT_EXPECT_EQ(test, s.eps[0].endpoint, 1U);
	KUNIT_EXPECT_EQ(test, viommu_state_check(&s, &lim), 0);
	viommu_state_free(&s);
}

/*
 * Every prefix of a blob is refused, and read only within its size: as
 * it is (the header's total size says more: ENODATA), and with the total
 * size patched to the prefix's, so that the cut sections, counts and
 * records themselves are decoded.
 */
static void state_truncated(struct kunit *test)
{
	struct viommu_state s;
	size_t len, n;
	void *blob = sample(test, &len);
	struct vfio_ext_state_hdr *h;
	int ret;

	for (n = 0; n < len; n++) {
		ret = viommu_state_decode(exact(test, blob, n), n, &s);
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENODATA, "length %zu", n);
		viommu_state_free(&s);
	}
	for (n = sizeof(*h); n < len; n++) {
		h = exact(test, blob, n);
		h->total_size = cpu_to_le64(n);
		ret = viommu_state_decode(h, n, &s);
		KUNIT_EXPECT_TRUE_MSG(test, ret == -ENODATA || ret == -EBADMSG,
				      "length %zu: %d", n, ret);
		viommu_state_free(&s);
	}
}

/*
 * A domain whose last endpoint's group left the container (the device
 * keeps it with its mappings) is a state: it decodes, with no endpoint.
 */
static void state_domain_without_endpoints(struct kunit *test)
{
	struct viommu_state s;
	size_t len;
	void *buf;

	KUNIT_ASSERT_EQ(test, viommu_state_alloc(&s, 1, 1, 0), 0);
	sample_config(&s);
	s.maps[0] = (struct viommu_state_map){ 0x10000, 0x10fff, 0x1000, 3 };
	s.doms[0] = (struct viommu_state_dom){ .id = 4, .nr_maps = 1,
					       .maps = s.maps };
	len = viommu_state_size(1, 1, 0);
	buf = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	viommu_state_encode(&s, buf, len);
	viommu_state_free(&s);

	KUNIT_ASSERT_EQ(test, viommu_state_decode(buf, len, &s), 0);
	KUNIT_ASSERT_EQ(test, s.nr_doms, 1U);
	KUNIT_EXPECT_EQ(test, s.doms[0].id, 4U);
	KUNIT_EXPECT_EQ(test, s.doms[0].nr_eps, 0U);
	KUNIT_EXPECT_EQ(test, s.doms[0].nr_maps, 1ULL);
	KUNIT_EXPECT_EQ(test, s.nr_eps, 0U);
	KUNIT_EXPECT_EQ(test, viommu_state_check(&s, &lim), 0);
	viommu_state_free(&s);
}

/* Reserved fields are 0: anything else is refused (a minor may use them). */
static void state_reserved(struct kunit *test)
{
	struct vfio_ext_viommu_state_config *cfg;
	struct vfio_ext_viommu_state_map *m;
	struct vfio_ext_state_hdr *h;
	struct viommu_state s;
	size_t len;
	u8 *blob = sample(test, &len), *p;

	p = exact(test, blob, len);
	h = (void *)p;
	h->reserved = cpu_to_le64(1);
	KUNIT_EXPECT_EQ(test, viommu_state_decode(p, len, &s), -EINVAL);
	viommu_state_free(&s);

	/* The header, the config section's header, then the config. */
	p = exact(test, blob, len);
	cfg = (void *)(p + HDR_SZ + SEC_SZ);
	cfg->reserved[2] = 1;
	KUNIT_EXPECT_EQ(test, viommu_state_decode(p, len, &s), -EINVAL);
	viommu_state_free(&s);

	/* Domains: its section header, counts, domain 7, its first map. */
	p = exact(test, blob, len);
	m = (void *)(p + HDR_SZ + SEC_SZ + CFG_SZ + SEC_SZ + DOMS_SZ + DOM_SZ);
	KUNIT_ASSERT_EQ(test, le64_to_cpu(m->iova_start), 0x10000ULL);
	m->reserved = cpu_to_le32(0x80000000);
	KUNIT_EXPECT_EQ(test, viommu_state_decode(p, len, &s), -EINVAL);
	viommu_state_free(&s);
}

/*
 * Every single-bit corruption either decodes to a state the checks can
 * judge or is refused with one of the documented errnos; nothing is read
 * out of bounds, nothing leaks (kmemleak, in the debug lane).
 */
static void state_bitflips(struct kunit *test)
{
	struct viommu_state s;
	size_t len, i;
	u8 *blob = sample(test, &len), *p;
	int ret, bit;

	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			p = exact(test, blob, len);
			p[i] ^= 1 << bit;
			ret = viommu_state_decode(p, len, &s);
			if (!ret)
				ret = viommu_state_check(&s, &lim);
			KUNIT_EXPECT_TRUE_MSG(test, ret == 0 || ret == -ENODATA ||
					      ret == -EINVAL || ret == -EBADMSG ||
					      ret == -EPROTONOSUPPORT ||
					      ret == -EOPNOTSUPP ||
					      ret == -EEXIST || ret == -ERANGE,
					      "byte %zu bit %d: %d", i, bit, ret);
			viommu_state_free(&s);
			kunit_kfree(test, p);
		}
	}
}

static void state_checks(struct kunit *test)
{
	struct viommu_state s;
	struct viommu_limits l = lim;
	size_t len;
	void *blob = sample(test, &len);

	KUNIT_ASSERT_EQ(test, viommu_state_decode(blob, len, &s), 0);
	/* A device offering less than the guest accepted. */
	l.input_end = 0x1ffff;
	KUNIT_EXPECT_EQ(test, viommu_state_check(&s, &l), -ERANGE);
	l = lim;
	l.domain_end = 6;
	KUNIT_EXPECT_EQ(test, viommu_state_check(&s, &l), -ERANGE);
	/* A larger page granule: the 4 KiB mapping is misaligned. */
	l = lim;
	l.granule = 0x2000;
	KUNIT_EXPECT_EQ(test, viommu_state_check(&s, &l), -EINVAL);
	viommu_state_free(&s);
}

static struct kunit_case viommu_state_test_cases[] = {
	KUNIT_CASE(state_roundtrip),
	KUNIT_CASE(state_truncated),
	KUNIT_CASE(state_domain_without_endpoints),
	KUNIT_CASE(state_reserved),
	KUNIT_CASE(state_bitflips),
	KUNIT_CASE(state_checks),
	{}
};

static struct kunit_suite viommu_state_test_suite = {
	.name = "viommu_state",
	.test_cases = viommu_state_test_cases,
};

kunit_test_suite(viommu_state_test_suite);
