// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests for libvfio-ext's IOVA allocator: first fit over valid
 * ranges, alignment, the top of the 64-bit space, release and reuse,
 * exhaustion, concurrent callers.  AddressSanitizer with leak checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/lsan_interface.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "internal.h"

#define NO_LEAKS() EXPECT_EQ(0, __lsan_do_recoverable_leak_check())

/* x86 with VT-d: [0, 0xfedfffff] and [0xfef00000, 2^39 - 1]. */
static struct vfioext_iommu_info_range x86_ranges[] = {
	{ 0, 0xfedfffff },
	{ 0xfef00000, (1ULL << 39) - 1 },
};

/*
 * What vfioext_iommu_get_info() returns (opaque to callers; internal.h
 * lets the tests build one without a kernel).
 */
static struct vfioext_iommu_info x86_info(void)
{
	struct vfioext_iommu_info ii = {
		.pgsizes = 0x40201000,
		.nr_ranges = 2,
		.ranges = x86_ranges,
		.dma_avail = 65535,
	};

	return ii;
}

TEST(first_fit_and_alignment)
{
	struct vfioext_iommu_info ii = x86_info();
	struct vfioext_iova_allocator *a;
	uint64_t v, w, s, n;

	ASSERT_EQ(0, vfioext_iova_allocator_new(&ii, &a));
	EXPECT_EQ((1ULL << 39) - 1, vfioext_iova_max_addr(a));
	ASSERT_EQ(0, vfioext_iova_alloc(a, 4096, 0, &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, vfioext_iova_alloc(a, 8192, 0, &v));
	EXPECT_EQ(4096, v);
	/* 2 MiB alignment skips ahead; the gap stays usable. */
	ASSERT_EQ(0, vfioext_iova_alloc(a, 4096, 1 << 21, &w));
	EXPECT_EQ(1 << 21, w);
	ASSERT_EQ(0, vfioext_iova_alloc(a, 4096, 0, &v));
	EXPECT_EQ(3 * 4096, v);
	/* Lookup inside an allocation; release and reuse. */
	ASSERT_EQ(0, vfioext_iova_get(a, 4096 + 100, &s, &n));
	EXPECT_EQ(4096, s);
	EXPECT_EQ(8192, n);
	EXPECT_EQ(-ENOENT, vfioext_iova_get(a, 1 << 20, &s, &n));
	EXPECT_EQ(-ENOENT, vfioext_iova_release(a, 4096 + 4096));
	ASSERT_EQ(0, vfioext_iova_release(a, 4096));
	ASSERT_EQ(0, vfioext_iova_alloc(a, 8192, 0, &v));
	EXPECT_EQ(4096, v);
	/* Bad requests. */
	EXPECT_EQ(-EINVAL, vfioext_iova_alloc(a, 0, 0, &v));
	EXPECT_EQ(-EINVAL, vfioext_iova_alloc(a, 100, 0, &v));
	EXPECT_EQ(-EINVAL, vfioext_iova_alloc(a, 4096, 3 << 12, &v));
	vfioext_iova_allocator_free(a);
	NO_LEAKS();
}

TEST(holes_and_exhaustion)
{
	struct vfioext_iommu_info ii = x86_info();
	struct vfioext_iova_allocator *a;
	uint64_t v;

	ASSERT_EQ(0, vfioext_iova_allocator_new(&ii, &a));
	/* A request larger than the low range lands above the MSI hole. */
	ASSERT_EQ(0, vfioext_iova_alloc(a, 0x100000000ULL, 0, &v));
	EXPECT_EQ(0xfef00000, v);
	/* Never across the hole: the low range fills on its own. */
	ASSERT_EQ(0, vfioext_iova_alloc(a, 0xfee00000, 0, &v));
	EXPECT_EQ(0, v);
	/* More than is left anywhere. */
	EXPECT_EQ(-ENOSPC, vfioext_iova_alloc(a, 1ULL << 39, 0, &v));
	vfioext_iova_allocator_free(a);
	NO_LEAKS();
}

TEST(top_of_u64)
{
	struct vfioext_iommu_info_range top = {
		UINT64_MAX - 3 * 4096 + 1, UINT64_MAX,
	};
	struct vfioext_iommu_info ii = {
		.pgsizes = 4096, .nr_ranges = 1, .ranges = &top,
	};
	struct vfioext_iova_allocator *a;
	uint64_t v, s, n;

	ASSERT_EQ(0, vfioext_iova_allocator_new(&ii, &a));
	ASSERT_EQ(0, vfioext_iova_alloc(a, 4096, 0, &v));
	ASSERT_EQ(0, vfioext_iova_alloc(a, 8192, 0, &v));
	EXPECT_EQ(UINT64_MAX - 8192 + 1, v);
	EXPECT_EQ(-ENOSPC, vfioext_iova_alloc(a, 4096, 0, &v));
	ASSERT_EQ(0, vfioext_iova_get(a, UINT64_MAX, &s, &n));
	EXPECT_EQ(8192, n);
	/* An alignment that would wrap finds nothing. */
	EXPECT_EQ(0, vfioext_iova_release(a, UINT64_MAX - 8192 + 1));
	EXPECT_EQ(-ENOSPC, vfioext_iova_alloc(a, 4096, 1ULL << 63, &v));
	vfioext_iova_allocator_free(a);
	NO_LEAKS();
}

TEST(bad_info)
{
	struct vfioext_iommu_info ii = x86_info();
	struct vfioext_iova_allocator *a;

	ii.pgsizes = 0;
	EXPECT_EQ(-EINVAL, vfioext_iova_allocator_new(&ii, &a));
	ii = x86_info();
	ii.nr_ranges = 0;
	EXPECT_EQ(-EINVAL, vfioext_iova_allocator_new(&ii, &a));
	EXPECT_EQ(-EINVAL, vfioext_iova_allocator_new(NULL, &a));
	vfioext_iova_allocator_free(NULL);
	EXPECT_EQ(0, vfioext_iova_max_addr(NULL));
}

/*
 * Every range counts, however many (the allocator kept 16 and refused
 * more), and the allocator keeps its own copy: the info can go.
 */
TEST(many_ranges)
{
	struct vfioext_iommu_info_range *r = calloc(100, sizeof(*r));
	struct vfioext_iommu_info ii = {
		.pgsizes = 4096, .nr_ranges = 100, .ranges = r,
	};
	struct vfioext_iova_allocator *a;
	uint64_t v;
	int i;

	ASSERT_NE(NULL, r);
	for (i = 0; i < 100; i++) {
		r[i].start = (uint64_t)i << 20;
		r[i].end = r[i].start + 4095;
	}
	ASSERT_EQ(0, vfioext_iova_allocator_new(&ii, &a));
	memset(r, 0xff, 100 * sizeof(*r));
	free(r);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, vfioext_iova_alloc(a, 4096, 0, &v));
		EXPECT_EQ((uint64_t)i << 20, v);
	}
	EXPECT_EQ(-ENOSPC, vfioext_iova_alloc(a, 4096, 0, &v));
	EXPECT_EQ((99ULL << 20) + 4095, vfioext_iova_max_addr(a));
	vfioext_iova_allocator_free(a);
	NO_LEAKS();
}

static void *allocator_thread(void *arg)
{
	struct vfioext_iova_allocator *a = arg;
	uint64_t v[64];
	int i, errors = 0;

	for (i = 0; i < 64; i++)
		errors += vfioext_iova_alloc(a, 4096, 0, &v[i]) != 0;
	for (i = 0; i < 64; i += 2)
		errors += vfioext_iova_release(a, v[i]) != 0;
	return (void *)(intptr_t)errors;
}

TEST(threads)
{
	struct vfioext_iommu_info ii = x86_info();
	struct vfioext_iova_allocator *a;
	pthread_t t[4];
	uint64_t s, n;
	void *ret;
	int i, live = 0;

	ASSERT_EQ(0, vfioext_iova_allocator_new(&ii, &a));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, allocator_thread, a));
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &ret);
		EXPECT_EQ(0, (intptr_t)ret);
	}
	/* 4 x 32 pages left, disjoint: count them page by page. */
	for (i = 0; i < 512; i++)
		live += !vfioext_iova_get(a, (uint64_t)i * 4096, &s, &n);
	EXPECT_EQ(128, live);
	vfioext_iova_allocator_free(a);
	NO_LEAKS();
}

TEST_HARNESS_MAIN
