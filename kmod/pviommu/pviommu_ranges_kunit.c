// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for pviommu's valid-range arithmetic, at u64 edges.
 */
#include <kunit/test.h>

#include "pviommu_ranges.c"

static void expect_ranges(struct kunit *test, const struct pviommu_ranges *rs,
			  const struct pviommu_range *want, unsigned int nr)
{
	unsigned int i;

	KUNIT_ASSERT_EQ(test, rs->nr, nr);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_EQ(test, rs->r[i].start, want[i].start);
		KUNIT_EXPECT_EQ(test, rs->r[i].last, want[i].last);
	}
}

static void ranges_edges(struct kunit *test)
{
	static const struct pviommu_range want[] = {
		{ 0, 0xfedfffff }, { 0xfef00000, U64_MAX },
	};
	struct pviommu_ranges rs;

	pviommu_ranges_init(&rs, 0, U64_MAX);
	KUNIT_EXPECT_TRUE(test, pviommu_ranges_contain(&rs, 0, U64_MAX));
	/* The x86 MSI window, as the Intel IOMMU reserves it. */
	KUNIT_ASSERT_EQ(test, pviommu_ranges_exclude(&rs, 0xfee00000,
						     0xfeefffff), 0);
	expect_ranges(test, &rs, want, 2);
	KUNIT_EXPECT_TRUE(test, pviommu_ranges_contain(&rs, 0, 0xfedfffff));
	KUNIT_EXPECT_FALSE(test, pviommu_ranges_contain(&rs, 0xfed00000,
							0xfee00000));
	KUNIT_EXPECT_TRUE(test, pviommu_ranges_contain(&rs, U64_MAX, U64_MAX));

	/* Excluding the very ends. */
	KUNIT_ASSERT_EQ(test, pviommu_ranges_exclude(&rs, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, rs.r[0].start, 1ULL);
	KUNIT_ASSERT_EQ(test, pviommu_ranges_exclude(&rs, U64_MAX, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, rs.r[1].last, U64_MAX - 1);
	KUNIT_EXPECT_EQ(test, pviommu_ranges_exclude(&rs, 5, 4), -EINVAL);

	/* Clip to a 39-bit aperture. */
	pviommu_ranges_clip(&rs, 0, (1ULL << 39) - 1);
	KUNIT_EXPECT_EQ(test, rs.r[1].last, (1ULL << 39) - 1);
	pviommu_ranges_clip(&rs, 10, 5);
	KUNIT_EXPECT_EQ(test, rs.nr, 0U);
	KUNIT_EXPECT_FALSE(test, pviommu_ranges_contain(&rs, 0, 0));
}

/*
 * AMD-Vi's layout on 6.1 and 6.12: an aperture reaching the top of the u64
 * space (the v1 page table), the MSI window and HyperTransport's range
 * reserved: three ranges, the last one ending at U64_MAX.
 */
static void ranges_amd_vi(struct kunit *test)
{
	static const struct pviommu_range want[] = {
		{ 0, 0xfedfffff }, { 0xfef00000, 0xfcffffffffULL },
		{ 0x10000000000ULL, U64_MAX },
	};
	struct pviommu_ranges rs;

	pviommu_ranges_init(&rs, 0, U64_MAX);
	pviommu_ranges_clip(&rs, 0, U64_MAX);
	KUNIT_ASSERT_EQ(test, pviommu_ranges_exclude(&rs, 0xfee00000,
						     0xfeefffff), 0);
	KUNIT_ASSERT_EQ(test, pviommu_ranges_exclude(&rs, 0xfd00000000ULL,
						     0xffffffffffULL), 0);
	expect_ranges(test, &rs, want, 3);
	/* Around HyperTransport's range, and the last page of the space. */
	KUNIT_EXPECT_TRUE(test, pviommu_ranges_contain(&rs, 0xfcfffff000ULL,
						       0xfcffffffffULL));
	KUNIT_EXPECT_FALSE(test, pviommu_ranges_contain(&rs, 0xfcfffff000ULL,
							0xfd00000fffULL));
	KUNIT_EXPECT_FALSE(test, pviommu_ranges_contain(&rs, 0xfffffff000ULL,
							0x10000000fffULL));
	KUNIT_EXPECT_TRUE(test, pviommu_ranges_contain(&rs, U64_MAX - 0xfff,
						       U64_MAX));
	/* A second group whose aperture is smaller (a 48-bit VT-d). */
	pviommu_ranges_clip(&rs, 0, (1ULL << 48) - 1);
	KUNIT_EXPECT_EQ(test, rs.nr, 3U);
	KUNIT_EXPECT_EQ(test, rs.r[2].last, (1ULL << 48) - 1);
	/* One that ends inside the HyperTransport hole. */
	pviommu_ranges_clip(&rs, 0, 0xfe00000000ULL);
	KUNIT_EXPECT_EQ(test, rs.nr, 2U);
	KUNIT_EXPECT_EQ(test, rs.r[1].last, 0xfcffffffffULL);
}

static void ranges_full(struct kunit *test)
{
	/*
	 * Two 520-byte lists: on the heap, at their exact size (KASAN's stack
	 * redzones would push the frame past the 1 KiB limit).
	 */
	struct pviommu_ranges *rs = kunit_kmalloc(test, sizeof(*rs), GFP_KERNEL);
	struct pviommu_ranges *before = kunit_kmalloc(test, sizeof(*before),
						      GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, rs);
	KUNIT_ASSERT_NOT_NULL(test, before);
	pviommu_ranges_init(rs, 0, U64_MAX);
	/* Punch holes until the list is full; the next split is refused. */
	for (i = 1; i < PVIOMMU_MAX_RANGES; i++)
		KUNIT_ASSERT_EQ(test, pviommu_ranges_exclude(rs, i * 16ULL,
							     i * 16ULL + 7), 0);
	KUNIT_EXPECT_EQ(test, rs->nr, (unsigned int)PVIOMMU_MAX_RANGES);
	*before = *rs;
	KUNIT_EXPECT_EQ(test, pviommu_ranges_exclude(rs, 1, 2), -ENOSPC);
	KUNIT_EXPECT_EQ(test, memcmp(rs, before, sizeof(*rs)), 0);
	/* Removing whole ranges still works. */
	KUNIT_EXPECT_EQ(test, pviommu_ranges_exclude(rs, 0, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, rs->nr, 0U);
}

static struct kunit_case pviommu_ranges_test_cases[] = {
	KUNIT_CASE(ranges_edges),
	KUNIT_CASE(ranges_amd_vi),
	KUNIT_CASE(ranges_full),
	{}
};

static struct kunit_suite pviommu_ranges_test_suite = {
	.name = "pviommu_ranges",
	.test_cases = pviommu_ranges_test_cases,
};

kunit_test_suite(pviommu_ranges_test_suite);
