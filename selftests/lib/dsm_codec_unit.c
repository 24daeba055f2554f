// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests for libvfio-ext's _DSM codec: ACPI objects, UUIDs, the
 * args layout in both directions, and malformed result blobs.  Built with
 * AddressSanitizer: every test ends with a leak check, and any read past a
 * buffer (all are allocated at their exact size) aborts the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/lsan_interface.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "le.h"

#define TEST_UUID "c0ffee00-1234-4abc-8def-0123456789ab"

/* The harness ends each test with _exit(): check for leaks explicitly. */
#define NO_LEAKS() EXPECT_EQ(0, __lsan_do_recoverable_leak_check())

TEST(uuid)
{
	static const uint8_t want[16] = {
		0x00, 0xee, 0xff, 0xc0, 0x34, 0x12, 0xbc, 0x4a,
		0x8d, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
	};
	uint8_t u[16];
	char s[37];

	ASSERT_EQ(0, vfioext_uuid_parse(TEST_UUID, u));
	EXPECT_EQ(0, memcmp(u, want, 16));
	vfioext_uuid_format(u, s);
	EXPECT_STREQ(TEST_UUID, s);
	ASSERT_EQ(0, vfioext_uuid_parse("C0FFEE00-1234-4ABC-8DEF-0123456789AB",
					u));
	EXPECT_EQ(0, memcmp(u, want, 16));
	EXPECT_EQ(-EINVAL, vfioext_uuid_parse("c0ffee00-1234-4abc-8def-0123456789a", u));
	EXPECT_EQ(-EINVAL, vfioext_uuid_parse("c0ffee00-1234-4abc-8def-0123456789abc", u));
	EXPECT_EQ(-EINVAL, vfioext_uuid_parse("c0ffee00x1234-4abc-8def-0123456789ab", u));
	EXPECT_EQ(-EINVAL, vfioext_uuid_parse("g0ffee00-1234-4abc-8def-0123456789ab", u));
	EXPECT_EQ(-EINVAL, vfioext_uuid_parse(NULL, u));
}

/* Constructors for the tests: the object, or NULL when one failed. */
static struct vfioext_acpi_obj *I(uint64_t v)
{
	struct vfioext_acpi_obj *o = NULL;

	return vfioext_acpi_integer(v, &o) ? NULL : o;
}

static struct vfioext_acpi_obj *S(const char *s)
{
	struct vfioext_acpi_obj *o = NULL;

	return vfioext_acpi_string(s, &o) ? NULL : o;
}

static struct vfioext_acpi_obj *B(const void *b, size_t len)
{
	struct vfioext_acpi_obj *o = NULL;

	return vfioext_acpi_buffer(b, len, &o) ? NULL : o;
}

static struct vfioext_acpi_obj *P(size_t n)
{
	struct vfioext_acpi_obj *o = NULL;

	return vfioext_acpi_package(n, &o) ? NULL : o;
}

TEST(objects)
{
	struct vfioext_acpi_obj *p, *s, *o = (void *)1;
	const struct vfioext_acpi_obj *e;
	const uint8_t *b;
	uint64_t v;
	size_t len;

	p = P(2);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(VFIOEXT_ACPI_PACKAGE, vfioext_acpi_get_type(p));
	EXPECT_EQ(2, vfioext_acpi_package_count(p));
	EXPECT_EQ(NULL, vfioext_acpi_package_get(p, 0));	/* empty slot */
	EXPECT_EQ(0, vfioext_acpi_package_set(p, 0, I(1)));
	s = S("x");
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("x", vfioext_acpi_get_string(s, &len));
	EXPECT_EQ(1, len);
	EXPECT_EQ(0, vfioext_acpi_package_set(p, 1, s));
	/* Replacing a slot frees what it held. */
	EXPECT_EQ(0, vfioext_acpi_package_set(p, 1, B("ab", 2)));
	e = vfioext_acpi_package_get(p, 0);
	ASSERT_EQ(0, vfioext_acpi_get_integer(e, &v));
	EXPECT_EQ(1, v);
	e = vfioext_acpi_package_get(p, 1);
	b = vfioext_acpi_get_buffer(e, &len);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(2, len);
	EXPECT_EQ('b', b[1]);
	/* Getters of the wrong type, out of range, NULL. */
	EXPECT_EQ(-EINVAL, vfioext_acpi_get_integer(e, &v));
	EXPECT_EQ(NULL, vfioext_acpi_get_string(e, NULL));
	EXPECT_EQ(NULL, vfioext_acpi_get_buffer(p, NULL));
	EXPECT_EQ(0, vfioext_acpi_package_count(e));
	EXPECT_EQ(NULL, vfioext_acpi_package_get(p, 2));
	EXPECT_EQ(NULL, vfioext_acpi_package_get(e, 0));
	EXPECT_EQ(-EINVAL, vfioext_acpi_get_type(NULL));
	EXPECT_EQ(-EINVAL, vfioext_acpi_get_integer(NULL, &v));
	/* An empty Buffer has bytes to point at. */
	s = B(NULL, 0);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, vfioext_acpi_get_buffer(s, &len));
	EXPECT_EQ(0, len);
	vfioext_acpi_free(s);
	/* Out of range, nested, NULL: refused, and the element is freed. */
	EXPECT_EQ(-EINVAL, vfioext_acpi_package_set(p, 2, I(3)));
	EXPECT_EQ(-EINVAL, vfioext_acpi_package_set(p, 0, P(0)));
	EXPECT_EQ(-EINVAL, vfioext_acpi_package_set(p, 0, NULL));
	EXPECT_EQ(-EINVAL, vfioext_acpi_package_set(NULL, 0, I(3)));
	/* Each constructor says why it failed, and leaves *out alone. */
	EXPECT_EQ(-E2BIG, vfioext_acpi_package(VFIO_EXT_ACPI_DSM_MAX_ELEMENTS + 1,
					       &o));
	EXPECT_EQ(-EINVAL, vfioext_acpi_buffer(NULL, 4, &o));
	EXPECT_EQ(-EINVAL, vfioext_acpi_string(NULL, &o));
	EXPECT_EQ((void *)1, o);
	EXPECT_EQ(-EINVAL, vfioext_acpi_integer(1, NULL));
	EXPECT_EQ(-EINVAL, vfioext_acpi_package(1, NULL));
	vfioext_acpi_free(p);
	vfioext_acpi_free(NULL);
	NO_LEAKS();
}

TEST(encode_args)
{
	struct vfioext_acpi_obj *p;
	uint8_t u[16], *b;
	size_t used = 0;

	ASSERT_EQ(0, vfioext_uuid_parse(TEST_UUID, u));
	b = malloc(96);
	ASSERT_NE(NULL, b);

	/* No Arg3: just the 32-byte header. */
	ASSERT_EQ(0, vfioext_dsm_encode_args(u, 1, UINT64_MAX, NULL, b, 32,
					     &used));
	EXPECT_EQ(32, used);
	EXPECT_EQ(0, memcmp(b, u, 16));
	EXPECT_EQ(1, get64(b + 16));
	EXPECT_EQ(UINT64_MAX, get64(b + 24));
	EXPECT_EQ(-ENOSPC, vfioext_dsm_encode_args(u, 0, 0, NULL, b, 31, NULL));

	/* Package { 5, "abc", Buffer { 9 } }: elements padded to 8. */
	p = P(3);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vfioext_acpi_package_set(p, 0, I(5)));
	ASSERT_EQ(0, vfioext_acpi_package_set(p, 1, S("abc")));
	ASSERT_EQ(0, vfioext_acpi_package_set(p, 2, B("\x09", 1)));
	ASSERT_EQ(0, vfioext_dsm_encode_args(u, 0, 5, p, b, 88, &used));
	EXPECT_EQ(40 + 16 + 16 + 16, used);
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, get32(b + 32));
	EXPECT_EQ(3, get32(b + 36));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_INTEGER, get32(b + 40));
	EXPECT_EQ(8, get32(b + 44));
	EXPECT_EQ(5, get64(b + 48));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_STRING, get32(b + 56));
	EXPECT_EQ(3, get32(b + 60));
	EXPECT_EQ(0, memcmp(b + 64, "abc\0\0\0\0\0", 8));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_BUFFER, get32(b + 72));
	EXPECT_EQ(1, get32(b + 76));
	EXPECT_EQ(9, b[80]);
	EXPECT_EQ(-ENOSPC, vfioext_dsm_encode_args(u, 0, 5, p, b, 87, NULL));

	vfioext_acpi_free(p);
	/* An unfilled slot cannot be encoded. */
	p = P(3);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vfioext_acpi_package_set(p, 0, I(5)));
	ASSERT_EQ(0, vfioext_acpi_package_set(p, 1, I(6)));
	EXPECT_EQ(-EINVAL, vfioext_dsm_encode_args(u, 0, 5, p, b, 96, NULL));
	vfioext_acpi_free(p);
	free(b);
	NO_LEAKS();
}

/* A result blob of exactly @len bytes, header at 32. */
static uint8_t *result_blob(size_t len, uint32_t type, uint32_t size)
{
	uint8_t *b = calloc(1, len);

	if (b && len >= 40) {
		put32(b + 32, type);
		put32(b + 36, size);
	}
	return b;
}

TEST(decode_result)
{
	struct vfioext_acpi_obj *r;
	const uint8_t *eb;
	uint8_t *b;
	uint64_t v;
	size_t len;

	b = result_blob(48, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8);
	b[40] = 0x78;
	b[47] = 0x12;
	ASSERT_EQ(0, vfioext_dsm_decode_result(b, 48, &r));
	EXPECT_EQ(VFIOEXT_ACPI_INTEGER, vfioext_acpi_get_type(r));
	ASSERT_EQ(0, vfioext_acpi_get_integer(r, &v));
	EXPECT_EQ(0x1200000000000078ULL, v);
	vfioext_acpi_free(r);
	free(b);

	b = result_blob(44, VFIO_EXT_ACPI_DSM_TYPE_STRING, 4);
	memcpy(b + 40, "abc", 4);
	ASSERT_EQ(0, vfioext_dsm_decode_result(b, 44, &r));
	EXPECT_EQ(VFIOEXT_ACPI_STRING, vfioext_acpi_get_type(r));
	EXPECT_STREQ("abc", vfioext_acpi_get_string(r, &len));
	EXPECT_EQ(3, len);
	vfioext_acpi_free(r);
	free(b);

	/* Package { Buffer { 1, 2 }, "z" }, unpadded. */
	b = result_blob(40 + 10 + 10, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 2);
	put32(b + 40, VFIO_EXT_ACPI_DSM_TYPE_BUFFER);
	put32(b + 44, 2);
	b[48] = 1;
	b[49] = 2;
	put32(b + 50, VFIO_EXT_ACPI_DSM_TYPE_STRING);
	put32(b + 54, 2);
	b[58] = 'z';
	ASSERT_EQ(0, vfioext_dsm_decode_result(b, 60, &r));
	ASSERT_EQ(VFIOEXT_ACPI_PACKAGE, vfioext_acpi_get_type(r));
	ASSERT_EQ(2, vfioext_acpi_package_count(r));
	eb = vfioext_acpi_get_buffer(vfioext_acpi_package_get(r, 0), &len);
	ASSERT_NE(NULL, eb);
	EXPECT_EQ(2, len);
	EXPECT_EQ(2, eb[1]);
	EXPECT_STREQ("z", vfioext_acpi_get_string(vfioext_acpi_package_get(r, 1),
						  NULL));
	vfioext_acpi_free(r);
	free(b);
	NO_LEAKS();
}

TEST(decode_malformed)
{
	static const struct {
		const char *what;
		size_t len;
		uint32_t type, size;	/* result header */
		uint32_t etype, esize;	/* first element, for Packages */
		const char *data;	/* bytes at 40 (scalars) */
		int ret;
	} bad[] = {
		{ "too short", 39, 1, 8, 0, 0, NULL, -EINVAL },
		{ "integer past the end", 47, 1, 8, 0, 0, NULL, -EINVAL },
		{ "integer of 4 bytes", 48, 1, 4, 0, 0, NULL, -EINVAL },
		{ "buffer size past the end", 48, 3, 9, 0, 0, NULL, -EINVAL },
		{ "buffer size u32 max", 48, 3, 0xffffffff, 0, 0, NULL, -EINVAL },
		{ "string without NUL", 43, 2, 3, 0, 0, "abc", -EINVAL },
		{ "string with inner NUL", 44, 2, 4, 0, 0, "a\0b", -EINVAL },
		{ "string of size 0", 40, 2, 0, 0, 0, NULL, -EINVAL },
		{ "unknown type", 48, 7, 0, 0, 0, NULL, -EINVAL },
		{ "count lies", 56, 4, 2, 1, 8, NULL, -EINVAL },
		{ "element size lies", 56, 4, 1, 3, 9, NULL, -EINVAL },
		{ "element size u32 max", 56, 4, 1, 3, 0xffffffff, NULL, -EINVAL },
		{ "nested package", 56, 4, 1, 4, 0, NULL, -EINVAL },
		{ "count over the maximum", 56, 4, 257, 1, 8, NULL, -E2BIG },
		{ "count u32 max", 56, 4, 0xffffffff, 1, 8, NULL, -E2BIG },
	};
	struct vfioext_acpi_obj *r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint8_t *b = result_blob(bad[i].len, bad[i].type, bad[i].size);

		ASSERT_NE(NULL, b);
		if (bad[i].type == VFIO_EXT_ACPI_DSM_TYPE_PACKAGE) {
			put32(b + 40, bad[i].etype);
			put32(b + 44, bad[i].esize);
		} else if (bad[i].data) {
			memcpy(b + 40, bad[i].data, bad[i].size);
		}
		r = (void *)1;
		EXPECT_EQ(bad[i].ret, vfioext_dsm_decode_result(b, bad[i].len,
								&r)) {
			TH_LOG("case %u", i);
		}
		EXPECT_EQ(NULL, r);
		free(b);
	}
	EXPECT_EQ(-EINVAL, vfioext_dsm_decode_result(NULL, 64, &r));
	NO_LEAKS();
}

TEST(call_argument_checks)
{
	struct vfioext_acpi_obj *r;
	uint8_t u[16] = { 0 }, args[32] = { 0 };

	EXPECT_EQ(-EINVAL, vfioext_acpi_dsm(NULL, u, 0, 0, NULL, &r));
	EXPECT_EQ(-EINVAL, vfioext_acpi_dsm_raw(NULL, args, sizeof(args), NULL));
	NO_LEAKS();
}

TEST_HARNESS_MAIN
