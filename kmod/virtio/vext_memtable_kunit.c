// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the memory table: what VHOST_SET_MEM_TABLE accepts from
 * a VMM, and how hostile guest-physical addresses translate, in the
 * kernel's vhost_iotlb (built in for the suite: kunitconfig selects it).
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "vext_memtable.c"

#define LIMIT	0x800000000000ULL	/* a TASK_SIZE */

/* A table the test owns: freed when it ends, passed or not. */
static int table_init(struct kunit_resource *res, void *context)
{
	res->data = vext_memtable_alloc();
	return res->data ? 0 : -ENOMEM;
}

static void table_free(struct kunit_resource *res)
{
	vext_memtable_free(res->data);
}

static struct vhost_iotlb *table(struct kunit *test)
{
	struct vhost_iotlb *t = kunit_alloc_resource(test, table_init,
						     table_free, GFP_KERNEL,
						     NULL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	return t;
}

/* Region @i of @t in guest-physical order, or NULL. */
static struct vhost_iotlb_map *region(struct vhost_iotlb *t, unsigned int i)
{
	struct vhost_iotlb_map *r;

	for (r = vext_memtable_first(t); r; r = vext_memtable_next(r))
		if (!i--)
			return r;
	return NULL;
}

static void memtable_add_checks(struct kunit *test)
{
	struct vhost_iotlb *t = table(test);
	unsigned int i;

	KUNIT_EXPECT_EQ(test, vext_memtable_add(t, 0, 0, 0x1000, LIMIT),
			-EFAULT);			/* empty */
	KUNIT_EXPECT_EQ(test, vext_memtable_add(t, U64_MAX - 0xfff, 0x2000,
						0x1000, LIMIT), -EFAULT);
	KUNIT_EXPECT_EQ(test, vext_memtable_add(t, 0, 0x2000,
						U64_MAX - 0xfff, LIMIT),
			-EFAULT);			/* uva wraps */
	KUNIT_EXPECT_EQ(test, vext_memtable_add(t, 0, 0x2000, LIMIT - 0x1000,
						LIMIT), -EFAULT);
	KUNIT_EXPECT_EQ(test, t->nmaps, 0U);

	/* Inserted out of order, kept sorted; overlaps on either side fail. */
	KUNIT_ASSERT_EQ(test, vext_memtable_add(t, 0x100000, 0x100000,
						0x10000000, LIMIT), 0);
	KUNIT_ASSERT_EQ(test, vext_memtable_add(t, 0, 0x1000, 0x20000000,
						LIMIT), 0);
	KUNIT_EXPECT_EQ(test, vext_memtable_add(t, 0x1ff000, 0x2000,
						0x30000000, LIMIT), -EINVAL);
	KUNIT_EXPECT_EQ(test, vext_memtable_add(t, 0xff000, 0x2000,
						0x30000000, LIMIT), -EINVAL);
	KUNIT_EXPECT_EQ(test, vext_memtable_add(t, 0x80000, 0x200000,
						0x30000000, LIMIT), -EINVAL);
	KUNIT_ASSERT_EQ(test, t->nmaps, 2U);
	KUNIT_ASSERT_NOT_NULL(test, region(t, 1));
	KUNIT_EXPECT_EQ(test, region(t, 0)->start, 0ULL);
	KUNIT_EXPECT_EQ(test, region(t, 0)->addr, 0x20000000ULL);
	KUNIT_EXPECT_EQ(test, region(t, 1)->start, 0x100000ULL);
	KUNIT_EXPECT_EQ(test, region(t, 1)->last, 0x1fffffULL);
	KUNIT_EXPECT_NULL(test, region(t, 2));

	/* Full at VEXT_MAX_MEM_REGIONS. */
	for (i = 2; i < VEXT_MAX_MEM_REGIONS; i++)
		KUNIT_ASSERT_EQ(test, vext_memtable_add(t, 0x1000000ULL * i,
							0x1000, 0x1000, LIMIT),
				0);
	KUNIT_EXPECT_EQ(test, vext_memtable_add(t, 0x1000000ULL * 100, 0x1000,
						0x1000, LIMIT), -E2BIG);
}

static void memtable_translate(struct kunit *test)
{
	struct vhost_iotlb *t = table(test);
	u64 uva = 0, n = 0;

	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0, 1, &uva, &n),
			-EFAULT);			/* empty table */
	KUNIT_ASSERT_EQ(test, vext_memtable_add(t, 0x1000, 0x1000, 0xa000,
						LIMIT), 0);
	KUNIT_ASSERT_EQ(test, vext_memtable_add(t, 0x2000, 0x1000, 0xc000,
						LIMIT), 0);
	KUNIT_ASSERT_EQ(test, vext_memtable_add(t, U64_MAX - 0xfff, 0x1000,
						0xe000, LIMIT), 0);

	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0x1800, 16, &uva, &n),
			0);
	KUNIT_EXPECT_EQ(test, uva, 0xa800ULL);
	KUNIT_EXPECT_EQ(test, n, 16ULL);
	/* Crossing into the next region: only this region's part. */
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0x1ff0, 0x100, &uva,
						      &n), 0);
	KUNIT_EXPECT_EQ(test, uva, 0xaff0ULL);
	KUNIT_EXPECT_EQ(test, n, 0x10ULL);
	/* Holes, below, above. */
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0x3000, 1, &uva, &n),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0xfff, 1, &uva, &n),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0x1000, 0, &uva, &n),
			-EFAULT);			/* zero length */
	/* The top of the address space: no overflow in the length. */
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, U64_MAX, U64_MAX,
						      &uva, &n), 0);
	KUNIT_EXPECT_EQ(test, uva, 0xefffULL);
	KUNIT_EXPECT_EQ(test, n, 1ULL);
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, U64_MAX - 0xfff,
						      U64_MAX, &uva, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 0x1000ULL);
	/* From region to region and back. */
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0x2fff, 2, &uva, &n),
			0);
	KUNIT_EXPECT_EQ(test, uva, 0xcfffULL);
	KUNIT_EXPECT_EQ(test, n, 1ULL);
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0x3000, 1, &uva, &n),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0x1000, 8, &uva, &n),
			0);
	KUNIT_EXPECT_EQ(test, uva, 0xa000ULL);
	KUNIT_EXPECT_EQ(test, vext_memtable_translate(t, 0x2000, 8, &uva, &n),
			0);
	KUNIT_EXPECT_EQ(test, uva, 0xc000ULL);
}

/* VMM address back to guest-physical: whole ranges, the lowest alias. */
static void memtable_uva_to_gpa(struct kunit *test)
{
	struct vhost_iotlb *t = table(test);
	u64 gpa = 0;

	KUNIT_EXPECT_EQ(test, vext_memtable_uva_to_gpa(t, 0xa000, 1, &gpa),
			-EFAULT);			/* empty table */
	/* Two aliases of 0xa000.., the higher added first. */
	KUNIT_ASSERT_EQ(test, vext_memtable_add(t, 0x8000, 0x2000, 0xa000,
						LIMIT), 0);
	KUNIT_ASSERT_EQ(test, vext_memtable_add(t, 0x1000, 0x1000, 0xa000,
						LIMIT), 0);
	KUNIT_EXPECT_EQ(test, vext_memtable_uva_to_gpa(t, 0xa800, 16, &gpa),
			0);
	KUNIT_EXPECT_EQ(test, gpa, 0x1800ULL);
	/* Past the lower alias's end: only the higher one backs it all. */
	KUNIT_EXPECT_EQ(test, vext_memtable_uva_to_gpa(t, 0xaff0, 0x20, &gpa),
			0);
	KUNIT_EXPECT_EQ(test, gpa, 0x8ff0ULL);
	KUNIT_EXPECT_EQ(test, vext_memtable_uva_to_gpa(t, 0xbff0, 0x20, &gpa),
			-EFAULT);			/* leaves every region */
	KUNIT_EXPECT_EQ(test, vext_memtable_uva_to_gpa(t, 0xa000, 0, &gpa),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, vext_memtable_uva_to_gpa(t, U64_MAX, 2, &gpa),
			-EFAULT);			/* wraps */
}

static struct kunit_case vext_memtable_test_cases[] = {
	KUNIT_CASE(memtable_add_checks),
	KUNIT_CASE(memtable_translate),
	KUNIT_CASE(memtable_uva_to_gpa),
	{}
};

static struct kunit_suite vext_memtable_test_suite = {
	.name = "vext_memtable",
	.test_cases = vext_memtable_test_cases,
};

kunit_test_suite(vext_memtable_test_suite);
