// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the memory table: what VHOST_SET_MEM_TABLE accepts from
 * a VMM, and how hostile guest-physical addresses translate.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "vext_memtable.c"

#define LIMIT	0x800000000000ULL	/* a TASK_SIZE */

static struct vext_memtable *table(struct kunit *test)
{
	struct vext_memtable *t;

	/* Exactly sized: KASAN reports any access past the last region. */
	t = kunit_kzalloc(test, struct_size(t, r, VEXT_MAX_MEM_REGIONS),
			  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	return t;
}

static void memtable_add_checks(struct kunit *test)
{
	struct vext_memtable *t = table(test);
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
	KUNIT_EXPECT_EQ(test, t->nr, 0U);

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
	KUNIT_ASSERT_EQ(test, t->nr, 2U);
	KUNIT_EXPECT_EQ(test, t->r[0].gpa, 0ULL);
	KUNIT_EXPECT_EQ(test, t->r[1].gpa, 0x100000ULL);
	KUNIT_EXPECT_EQ(test, t->r[1].last, 0x1fffffULL);

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
	struct vext_memtable *t = table(test);
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
}

static struct kunit_case vext_memtable_test_cases[] = {
	KUNIT_CASE(memtable_add_checks),
	KUNIT_CASE(memtable_translate),
	{}
};

static struct kunit_suite vext_memtable_test_suite = {
	.name = "vext_memtable",
	.test_cases = vext_memtable_test_cases,
};

kunit_test_suite(vext_memtable_test_suite);
