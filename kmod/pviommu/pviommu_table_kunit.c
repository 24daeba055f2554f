// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the pviommu mapping table: overlaps, whole-mapping
 * unmap checks, u64 edges, and the per-mapping memory figure.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "pviommu_table.c"

static struct pviommu_map *new_map(struct kunit *test, u64 start, u64 last)
{
	struct pviommu_map *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->node.start = start;
	m->node.last = last;
	return m;
}

static int ins(struct pviommu_table *t, struct kunit *test, u64 start,
	       u64 last)
{
	return pviommu_table_insert(t, new_map(test, start, last));
}

static void table_overlaps(struct kunit *test)
{
	struct pviommu_table t;

	pviommu_table_init(&t);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x1000, 0x2fff), 0);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x4000, 0x4fff), 0);
	KUNIT_EXPECT_EQ(test, ins(&t, test, 0x2000, 0x3fff), -EEXIST);
	KUNIT_EXPECT_EQ(test, ins(&t, test, 0x0, 0x1000), -EEXIST);
	KUNIT_EXPECT_EQ(test, ins(&t, test, 0x3000, 0x3fff), 0);
	/* The top of the address space. */
	KUNIT_EXPECT_EQ(test, ins(&t, test, U64_MAX - 0xfff, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, t.count, 4U);
	KUNIT_EXPECT_NOT_NULL(test, pviommu_table_first(&t, U64_MAX, U64_MAX));
	KUNIT_EXPECT_NULL(test, pviommu_table_first(&t, 0x5000, U64_MAX - 0x1000));
}

static void table_unmap_rules(struct kunit *test)
{
	struct pviommu_table t;
	struct pviommu_map *m;
	u64 sum = 0;
	int n = 0;

	pviommu_table_init(&t);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x10000, 0x1ffff), 0);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x20000, 0x20fff), 0);
	KUNIT_ASSERT_EQ(test, ins(&t, test, 0x30000, 0x30fff), 0);

	/* Splitting either end is refused; whole mappings are fine. */
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x11000, 0x20fff), -EINVAL);
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x10000, 0x1efff), -EINVAL);
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x10000, 0x20fff), 0);
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x0, U64_MAX), 0);
	/* A range with no mapping is not an error (nothing is unmapped). */
	KUNIT_EXPECT_EQ(test, pviommu_table_unmap_check(&t, 0x40000, 0x40fff), 0);

	/* Walking a range visits exactly the contained mappings. */
	for (m = pviommu_table_first(&t, 0x10000, 0x2ffff); m;
	     m = pviommu_table_next(m, 0x10000, 0x2ffff)) {
		sum += pviommu_map_size(m);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, sum, 0x11000ULL);
}

/* The figure quoted in Documentation/: one slab object per mapping. */
static void table_map_footprint(struct kunit *test)
{
	struct pviommu_map *m = kzalloc(sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_LE(test, sizeof(*m), (size_t)64);
	KUNIT_EXPECT_EQ(test, ksize(m), (size_t)64);
	kunit_info(test, "struct pviommu_map: %zu bytes, slab object %zu\n",
		   sizeof(*m), ksize(m));
	kfree(m);
}

static struct kunit_case pviommu_table_test_cases[] = {
	KUNIT_CASE(table_overlaps),
	KUNIT_CASE(table_unmap_rules),
	KUNIT_CASE(table_map_footprint),
	{}
};

static struct kunit_suite pviommu_table_test_suite = {
	.name = "pviommu_table",
	.test_cases = pviommu_table_test_cases,
};

kunit_test_suite(pviommu_table_test_suite);
