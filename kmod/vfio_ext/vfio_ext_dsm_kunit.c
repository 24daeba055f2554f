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
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8);
	blob_data(&b, &v, 8, false);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_ASSERT_NOT_NULL(test, call.arg3);
	KUNIT_EXPECT_EQ(test, call.arg3->type, (u32)ACPI_TYPE_INTEGER);
	KUNIT_EXPECT_EQ(test, call.arg3->integer.value, v);
	vfio_ext_dsm_call_free(&call);

	b = blob_new(test, 45, 0, 0);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_BUFFER, 5);
	blob_data(&b, bytes, 5, false);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_EQ(test, call.arg3->type, (u32)ACPI_TYPE_BUFFER);
	KUNIT_EXPECT_EQ(test, call.arg3->buffer.length, 5U);
	KUNIT_EXPECT_EQ(test, memcmp(call.arg3->buffer.pointer, bytes, 5), 0);
	vfio_ext_dsm_call_free(&call);

	/* A String without NUL has its full size; with one, stops there. */
	b = blob_new(test, 43, 0, 0);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_STRING, 3);
	blob_data(&b, "abc", 3, false);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_EQ(test, call.arg3->string.length, 3U);
	vfio_ext_dsm_call_free(&call);
	b = blob_new(test, 44, 0, 0);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_STRING, 4);
	blob_data(&b, "a\0bc", 4, false);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_EQ(test, call.arg3->string.length, 1U);
	vfio_ext_dsm_call_free(&call);

	/* Type none: no Arg3 whatever the size says. */
	b = blob_new(test, 40, 0, 0);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_NONE, 0xffffffff);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);
	KUNIT_EXPECT_NULL(test, call.arg3);
}

static void dsm_decode_package(struct kunit *test)
{
	struct vfio_ext_dsm_call call;
	union acpi_object *e;
	u64 v = 42;
	struct blob b = blob_new(test, 40 + 16 + 16 + 16, 1, 2);

	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 3);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8);
	blob_data(&b, &v, 8, true);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_STRING, 5);
	blob_data(&b, "hello", 5, true);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_BUFFER, 1);
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
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 0);
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
	{ "count over the maximum", 4, VFIO_EXT_ACPI_DSM_MAX_ELEMENTS + 1, 1, 8,
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
		if (h->type == VFIO_EXT_ACPI_DSM_TYPE_PACKAGE && b.off + 8 <= b.len)
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
	size_t used = 0;

	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, NULL), 0);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 32), 1U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(b.p + 36), 8U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(b.p + 40), 0xabcdefULL);
	b = blob_new(test, 47, 0, 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, &used), -ENOSPC);
	/* The size it needs is reported: the method is not run twice. */
	KUNIT_EXPECT_EQ(test, used, (size_t)48);

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
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&o, b.p, b.len, &used), -ENOSPC);
	KUNIT_EXPECT_EQ(test, used, (size_t)44);

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
	used = 0;
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&pkg, b.p, b.len, &used), -ENOSPC);
	KUNIT_EXPECT_EQ(test, used, (size_t)76);

	/* A Package inside a Package cannot be carried. */
	nested[0] = el[0];
	nested[1] = pkg;
	pkg.package.count = 2;
	pkg.package.elements = nested;
	b = blob_new(test, 200, 0, 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&pkg, b.p, b.len, NULL),
			-EOPNOTSUPP);
	pkg.package.count = VFIO_EXT_ACPI_DSM_MAX_ELEMENTS + 1;
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(&pkg, b.p, b.len, NULL), -E2BIG);
}

/*
 * The codec against objects ACPICA itself builds: the test SSDT's
 * \_SB.PCI0.S80._DSM (selftests/acpi/vfioext-test.asl) evaluated by the
 * real interpreter, every result encoded into a buffer of exactly the
 * size it needs (KASAN catches a byte more), and an Arg3 decoded from the
 * layout passed through AML and back.  Runs in the debug-kernel VM (this
 * suite as a module, tools/debug-vm); skips on UML (no ACPI) and where the
 * test SSDT is not loaded.
 */
#if IS_ENABLED(CONFIG_ACPI)
static const guid_t dsm_test_guid =
	GUID_INIT(0xc0ffee00, 0x1234, 0x4abc,
		  0x8d, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab);

static acpi_handle dsm_test_handle(struct kunit *test)
{
	acpi_handle h;

	if (ACPI_FAILURE(acpi_get_handle(NULL, "\\_SB.PCI0.S80._DSM", &h)))
		return NULL;
	return ACPI_FAILURE(acpi_get_handle(NULL, "\\_SB.PCI0.S80", &h)) ?
	       NULL : h;
}

/* Encode @obj at its exact size; the buffer is the test's. */
static u8 *dsm_encode_exact(struct kunit *test, const union acpi_object *obj,
			    size_t *used)
{
	u8 *big = kunit_kzalloc(test, 4096, GFP_KERNEL);
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_encode(obj, big, 4096, used), 0);
	p = kunit_kzalloc(test, *used, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(obj, p, *used, NULL), 0);
	KUNIT_EXPECT_EQ(test, memcmp(p + 32, big + 32, *used - 32), 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(obj, p, *used - 1, NULL),
			-ENOSPC);
	return p;
}

static union acpi_object *dsm_eval(struct kunit *test, acpi_handle h,
				   u64 func, union acpi_object *arg3)
{
	union acpi_object *obj = acpi_evaluate_dsm(h, &dsm_test_guid, 0, func,
						   arg3);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	return obj;
}

static void dsm_acpica_results(struct kunit *test)
{
	acpi_handle h = dsm_test_handle(test);
	union acpi_object *obj;
	size_t used;
	u8 *p;

	if (!h)
		kunit_skip(test, "test SSDT not loaded");

	obj = dsm_eval(test, h, 1, NULL);		/* Integer */
	p = dsm_encode_exact(test, obj, &used);
	KUNIT_EXPECT_EQ(test, used, (size_t)48);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(p + 32), 1U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(p + 40), 0x12345678ULL);
	ACPI_FREE(obj);

	obj = dsm_eval(test, h, 2, NULL);		/* String */
	p = dsm_encode_exact(test, obj, &used);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(p + 36), 9U);
	KUNIT_EXPECT_EQ(test, memcmp(p + 40, "vfio-ext", 9), 0);
	ACPI_FREE(obj);

	obj = dsm_eval(test, h, 9, NULL);		/* 1024-byte Buffer */
	p = dsm_encode_exact(test, obj, &used);
	KUNIT_EXPECT_EQ(test, used, (size_t)40 + 1024);
	KUNIT_EXPECT_EQ(test, p[40], 0x5a);
	ACPI_FREE(obj);

	obj = dsm_eval(test, h, 4, NULL);		/* Package */
	p = dsm_encode_exact(test, obj, &used);
	/* 40 + (8 + 8) + (8 + 4) + (8 + 2) */
	KUNIT_EXPECT_EQ(test, used, (size_t)78);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(p + 36), 3U);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(p + 48), 0xcafeULL);
	KUNIT_EXPECT_EQ(test, memcmp(p + 64, "pkg", 4), 0);
	KUNIT_EXPECT_EQ(test, p[76], 0xaa);
	ACPI_FREE(obj);

	/* What the layout cannot carry, from real AML. */
	obj = dsm_eval(test, h, 6, NULL);		/* nested Package */
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(obj, p, used, NULL),
			-EOPNOTSUPP);
	ACPI_FREE(obj);
	obj = dsm_eval(test, h, 10, NULL);		/* reference */
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_encode(obj, p, used, NULL),
			-EOPNOTSUPP);
	ACPI_FREE(obj);
}

/* A decoded Arg3 through the interpreter (function 5 returns it). */
static void dsm_acpica_echo(struct kunit *test)
{
	static const u8 bytes[3] = { 1, 2, 3 };
	acpi_handle h = dsm_test_handle(test);
	struct vfio_ext_dsm_call call;
	union acpi_object *obj;
	u64 v = 0xfeed;
	struct blob b;
	size_t used;
	u8 *p;

	if (!h)
		kunit_skip(test, "test SSDT not loaded");
	b = blob_new(test, 32 + 8 + 16 + 16 + 16, 0, 5);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 3);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8);
	blob_data(&b, &v, 8, true);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_STRING, 2);
	blob_data(&b, "ab", 2, true);
	blob_hdr(&b, VFIO_EXT_ACPI_DSM_TYPE_BUFFER, 3);
	blob_data(&b, bytes, 3, true);
	KUNIT_ASSERT_EQ(test, b.off, b.len);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_decode(b.p, b.len, &call), 0);

	obj = dsm_eval(test, h, 5, call.arg3);
	p = dsm_encode_exact(test, obj, &used);
	/* 40 + (8 + 8) + (8 + 3) + (8 + 3): the String gains its NUL. */
	KUNIT_EXPECT_EQ(test, used, (size_t)78);
	KUNIT_EXPECT_EQ(test, get_unaligned_le64(p + 48), 0xfeedULL);
	KUNIT_EXPECT_EQ(test, memcmp(p + 64, "ab", 3), 0);
	KUNIT_EXPECT_EQ(test, memcmp(p + 75, bytes, 3), 0);
	ACPI_FREE(obj);
	vfio_ext_dsm_call_free(&call);
}
#else
static void dsm_acpica_results(struct kunit *test)
{
	kunit_skip(test, "no ACPI in this kernel");
}

static void dsm_acpica_echo(struct kunit *test)
{
	kunit_skip(test, "no ACPI in this kernel");
}
#endif

static struct kunit_case vfio_ext_dsm_test_cases[] = {
	KUNIT_CASE(dsm_decode_header),
	KUNIT_CASE(dsm_decode_scalars),
	KUNIT_CASE(dsm_decode_package),
	KUNIT_CASE(dsm_decode_hostile),
	KUNIT_CASE(dsm_encode_scalars),
	KUNIT_CASE(dsm_encode_package),
	KUNIT_CASE(dsm_acpica_results),
	KUNIT_CASE(dsm_acpica_echo),
	{}
};

static struct kunit_suite vfio_ext_dsm_test_suite = {
	.name = "vfio_ext_dsm",
	.test_cases = vfio_ext_dsm_test_cases,
};

kunit_test_suite(vfio_ext_dsm_test_suite);
