// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the _DSM args codec, against well-formed and hostile
 * layouts.  Every buffer is allocated at its exact size, so any read or
 * write past it is a KASAN report (which fails the run).
 */
#include <kunit/test.h>

#include "vfio_ext_dsm.c"

/* A writer for test layouts. */
struct blob {
	u8 *p;
	size_t len;
	size_t off;
};

static struct blob blob_new(struct kunit *test, size_t len, u64 rev, u64 fn)
{
	struct blob b = { .len = len };
	size_t i;

	b.p = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b.p);
	for (i = 0; i < 16 && i < len; i++)
		b.p[i] = i + 1;
	if (len >= 32) {
		put_unaligned_le64(rev, b.p + 16);
		put_unaligned_le64(fn, b.p + 24);
	}
	b.off = 32;
	return b;
}

static void blob_hdr(struct blob *b, u32 type, u32 size)
{
	put_unaligned_le32(type, b->p + b->off);
	put_unaligned_le32(size, b->p + b->off + 4);
	b->off += 8;
}

static void blob_data(struct blob *b, const void *d, size_t n, bool pad)
{
	memcpy(b->p + b->off, d, n);
	b->off += pad ? round_up(n, 8) : n;
}

static void dsm_decode_header(struct kunit *test)
{
	struct blob b = blob_new(test, 32, U64_MAX, U64_MAX - 1);
	struct vfio_ext_dsm_call call;

	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_EQ(test, call.rev, U64_MAX);
	KUNIT_EXPECT_EQ(test, call.func, U64_MAX - 1);
	KUNIT_EXPECT_EQ(test, call.guid.b[0], 1);
	KUNIT_EXPECT_EQ(test, call.guid.b[15], 16);
	KUNIT_EXPECT_NULL(test, call.arg3);
	vfio_ext_dsm_call_free(&call);

	/* 31 bytes: no function index. */
	b = blob_new(test, 31, 0, 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), -EINVAL);
	/* 36 bytes: half an Arg3 header is no Arg3. */
	b = blob_new(test, 36, 0, 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_NULL(test, call.arg3);
}

static void dsm_decode_scalars(struct kunit *test)
{
	static const u8 bytes[5] = { 9, 8, 7, 6, 5 };
	struct vfio_ext_dsm_call call;
	struct blob b;
	u64 v = 0x1122334455667788ULL;

	b = blob_new(test, 48, 0, 0);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_INTEGER, 8);
	blob_data(&b, &v, 8, false);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_ASSERT_NOT_NULL(test, call.arg3);
	KUNIT_EXPECT_EQ(test, call.arg3->type, (u32)ACPI_TYPE_INTEGER);
	KUNIT_EXPECT_EQ(test, call.arg3->integer.value, v);
	vfio_ext_dsm_call_free(&call);

	b = blob_new(test, 45, 0, 0);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_BUFFER, 5);
	blob_data(&b, bytes, 5, false);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_EQ(test, call.arg3->type, (u32)ACPI_TYPE_BUFFER);
	KUNIT_EXPECT_EQ(test, call.arg3->buffer.length, 5U);
	KUNIT_EXPECT_EQ(test, memcmp(call.arg3->buffer.pointer, bytes, 5), 0);
	vfio_ext_dsm_call_free(&call);

	/* A String without NUL has its full size; with one, stops there. */
	b = blob_new(test, 43, 0, 0);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_STRING, 3);
	blob_data(&b, "abc", 3, false);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_EQ(test, call.arg3->string.length, 3U);
	vfio_ext_dsm_call_free(&call);
	b = blob_new(test, 44, 0, 0);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_STRING, 4);
	blob_data(&b, "a\0bc", 4, false);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_EQ(test, call.arg3->string.length, 1U);
	vfio_ext_dsm_call_free(&call);

	/* Type none: no Arg3 whatever the size says. */
	b = blob_new(test, 40, 0, 0);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_NONE, 0xffffffff);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_NULL(test, call.arg3);
}

static void dsm_decode_package(struct kunit *test)
{
	struct vfio_ext_dsm_call call;
	union acpi_object *e;
	u64 v = 42;
	struct blob b = blob_new(test, 40 + 16 + 16 + 16, 1, 2);

	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_PACKAGE, 3);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_INTEGER, 8);
	blob_data(&b, &v, 8, true);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_STRING, 5);
	blob_data(&b, "hello", 5, true);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_BUFFER, 1);
	blob_data(&b, "\x7f", 1, true);
	KUNIT_ASSERT_EQ(test, b.off, b.len);

	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_ASSERT_EQ(test, call.arg3->type, (u32)ACPI_TYPE_PACKAGE);
	KUNIT_ASSERT_EQ(test, call.arg3->package.count, 3U);
	e = call.arg3->package.elements;
	KUNIT_EXPECT_EQ(test, e[0].integer.value, 42ULL);
	KUNIT_EXPECT_EQ(test, e[1].string.length, 5U);
	KUNIT_EXPECT_EQ(test, memcmp(e[1].string.pointer, "hello", 5), 0);
	KUNIT_EXPECT_EQ(test, e[2].buffer.length, 1U);
	KUNIT_EXPECT_EQ(test, e[2].buffer.pointer[0], 0x7f);
	vfio_ext_dsm_call_free(&call);

	/* An empty Package is a Package. */
	b = blob_new(test, 40, 0, 0);
	blob_hdr(&b, VFIO_ACPI_DSM_TYPE_PACKAGE, 0);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_EQ(test, call.arg3->package.count, 0U);
	vfio_ext_dsm_call_free(&call);
}

struct hostile {
	const char *what;
	u32 type, size;		/* Arg3 header */
	u32 etype, esize;	/* first element header, if a Package */
	size_t len;		/* total blob length */
	int ret;
};

static const struct hostile hostile_cases[] = {
	{ "buffer size past the end", 3, 9, 0, 0, 48, -EINVAL },
	{ "buffer size u32 max", 3, 0xffffffff, 0, 0, 48, -EINVAL },
	{ "string size past the end", 2, 100, 0, 0, 48, -EINVAL },
	{ "integer of 4 bytes", 1, 4, 0, 0, 48, -EINVAL },
	{ "integer past the end", 1, 8, 0, 0, 44, -EINVAL },
	{ "unknown type", 7, 0, 0, 0, 48, -EINVAL },
	{ "count lies", 4, 2, 1, 8, 56, -EINVAL },
	{ "element size lies", 4, 1, 3, 64, 56, -EINVAL },
	{ "element size u32 max", 4, 1, 3, 0xffffffff, 56, -EINVAL },
	{ "element padding past the end", 4, 1, 3, 1, 49, -EINVAL },
	{ "nested package", 4, 1, 4, 0, 56, -EINVAL },
	{ "element of unknown type", 4, 1, 9, 0, 56, -EINVAL },
	{ "count over the maximum", 4, VFIO_ACPI_DSM_MAX_ELEMENTS + 1, 1, 8,
	  64, -E2BIG },
	{ "count u32 max", 4, 0xffffffff, 1, 8, 64, -E2BIG },
};

static void dsm_decode_hostile(struct kunit *test)
{
	struct vfio_ext_dsm_call call;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hostile_cases); i++) {
		const struct hostile *h = &hostile_cases[i];
		struct blob b = blob_new(test, h->len, 0, 0);

		blob_hdr(&b, h->type, h->size);
		if (h->type == VFIO_ACPI_DSM_TYPE_PACKAGE && b.off + 8 <= b.len)
			blob_hdr(&b, h->etype, h->esize);
		KUNIT_EXPECT_EQ_MSG(test, vfio_ext_dsm_decode(b.p, b.len, &call),
				    h->ret, "%s", h->what);
		KUNIT_EXPECT_NULL_MSG(test, call.objs, "%s", h->what);
	}
}

static void dsm_encode_scalars(struct kunit *test)
{
	union acpi_object o = { .integer = { ACPI_TYPE_INTEGER, 0xabcdef } };
	struct blob b = blob_new(test, 48, 0, 0);
	char str[] = "hi!";
	u8 buf[3] = { 1, 2, 3 };

	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, NULL), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 32), 1U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 36), 8U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(b.p + 40), 0xabcdefULL);
	b = blob_new(test, 47, 0, 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, NULL), -ENOSPC);

	/* A String carries its NUL: 3 + 1 bytes, exactly fitting. */
	o.string.type = ACPI_TYPE_STRING;
	o.string.length = 3;
	o.string.pointer = str;
	b = blob_new(test, 44, 0, 0);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, NULL), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 36), 4U);
	KUNIT_EXPECT_EQ(test, memcmp(b.p + 40, "hi!", 4), 0);
	/* No room for the NUL. */
	b = blob_new(test, 43, 0, 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, NULL), -ENOSPC);

	o.buffer.type = ACPI_TYPE_BUFFER;
	o.buffer.length = 3;
	o.buffer.pointer = buf;
	b = blob_new(test, 43, 0, 0);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, NULL), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 32), 3U);
	KUNIT_EXPECT_EQ(test, b.p[42], 3);

	/* Types the layout cannot carry. */
	o.type = ACPI_TYPE_LOCAL_REFERENCE;
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, NULL), -EOPNOTSUPP);
	o.type = ACPI_TYPE_PROCESSOR;
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, NULL), -EOPNOTSUPP);
}

static void dsm_encode_package(struct kunit *test)
{
	union acpi_object el[3], pkg, nested[2];
	size_t used = 0;
	char str[] = "ab";
	u8 byte = 0xee;
	struct blob b;

	el[0].integer.type = ACPI_TYPE_INTEGER;
	el[0].integer.value = 7;
	el[1].string.type = ACPI_TYPE_STRING;
	el[1].string.length = 2;
	el[1].string.pointer = str;
	el[2].buffer.type = ACPI_TYPE_BUFFER;
	el[2].buffer.length = 1;
	el[2].buffer.pointer = &byte;
	pkg.package.type = ACPI_TYPE_PACKAGE;
	pkg.package.count = 3;
	pkg.package.elements = el;

	/* 40 + (8 + 8) + (8 + 3) + (8 + 1) = 76, unpadded. */
	b = blob_new(test, 76, 0, 0);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_encode(&pkg, b.p, b.len, &used), 0);
	KUNIT_EXPECT_EQ(test, used, (size_t)76);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 32), 4U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 36), 3U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(b.p + 48), 7ULL);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 56), 2U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 60), 3U);
	KUNIT_EXPECT_EQ(test, memcmp(b.p + 64, "ab", 3), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 67), 3U);
	KUNIT_EXPECT_EQ(test, b.p[75], 0xee);
	b = blob_new(test, 75, 0, 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&pkg, b.p, b.len, NULL), -ENOSPC);

	/* A Package inside a Package cannot be carried. */
	nested[0] = el[0];
	nested[1] = pkg;
	pkg.package.count = 2;
	pkg.package.elements = nested;
	b = blob_new(test, 200, 0, 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&pkg, b.p, b.len, NULL),
			-EOPNOTSUPP);
	pkg.package.count = VFIO_ACPI_DSM_MAX_ELEMENTS + 1;
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&pkg, b.p, b.len, NULL), -E2BIG);
}

static struct kunit_case vfio_ext_dsm_test_cases[] = {
	KUNIT_CASE(dsm_decode_header),
	KUNIT_CASE(dsm_decode_scalars),
	KUNIT_CASE(dsm_decode_package),
	KUNIT_CASE(dsm_decode_hostile),
	KUNIT_CASE(dsm_encode_scalars),
	KUNIT_CASE(dsm_encode_package),
	{}
};

static struct kunit_suite vfio_ext_dsm_test_suite = {
	.name = "vfio_ext_dsm",
	.test_cases = vfio_ext_dsm_test_cases,
};

kunit_test_suite(vfio_ext_dsm_test_suite);
