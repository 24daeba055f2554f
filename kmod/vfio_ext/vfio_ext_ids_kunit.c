// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the ids= parser of vfio-pci-ext.
 *
 * Built into the UML KUnit kernel by tools/kunit-run; it includes the code
 * under test so the suite is one self-contained object.
 */
#include <kunit/test.h>

#include "vfio_ext_ids.c"

struct ids_case {
	const char *str;
	int ret;
	struct vfio_ext_pci_id id;
};

static const struct ids_case ids_cases[] = {
	{ "1234:11e8", 1, { 0x1234, 0x11e8, PCI_ANY_ID, PCI_ANY_ID, 0, 0 } },
	{ "8086:10fb:8086:0003", 1, { 0x8086, 0x10fb, 0x8086, 3, 0, 0 } },
	{ "ffffffff:ffffffff:ffffffff:ffffffff:030000:ffff00", 1,
	  { PCI_ANY_ID, PCI_ANY_ID, PCI_ANY_ID, PCI_ANY_ID,
	    0x030000, 0xffff00 } },
	{ "ABCD:ef01", 1, { 0xabcd, 0xef01, PCI_ANY_ID, PCI_ANY_ID, 0, 0 } },
	{ "1234", -EINVAL },			/* device ID missing */
	{ "1234:", -EINVAL },			/* empty field */
	{ ":1234", -EINVAL },
	{ "1234:11e8x", -EINVAL },		/* trailing garbage */
	{ "0x1234:11e8", -EINVAL },		/* no prefixes */
	{ "1234:11e8:", -EINVAL },
	{ "1234: 11e8", -EINVAL },
	{ "-1:11e8", -EINVAL },
	{ "123456789:1", -EINVAL },		/* over 8 digits */
	{ "10000:1", -ERANGE },			/* over 16 bits */
	{ "1:2:3:4:5:6:7", -EINVAL },		/* too many fields */
	{ "1:2:3:4:1000000", -ERANGE },		/* class over 24 bits */
	{ "1:2:3:4:5:1000000", -ERANGE },
	/* Boundaries: 16-bit IDs or exactly PCI_ANY_ID, 24-bit class. */
	{ "ffff:ffff", 1, { 0xffff, 0xffff, PCI_ANY_ID, PCI_ANY_ID, 0, 0 } },
	{ "0000ffff:1", 1, { 0xffff, 1, PCI_ANY_ID, PCI_ANY_ID, 0, 0 } },
	{ "fffffffe:1", -ERANGE },
	{ "1:fffffffe", -ERANGE },
	{ "1:2:10000:4", -ERANGE },
	{ "1:2:3:10000", -ERANGE },
	{ "1:2:3:4:ffffff:ffffff", 1, { 1, 2, 3, 4, 0xffffff, 0xffffff } },
};

static void ids_single(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ids_cases); i++) {
		const struct ids_case *c = &ids_cases[i];
		struct vfio_ext_pci_id id = {};
		const char *cur = c->str;
		int ret = vfio_ext_ids_next(&cur, &id);

		KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "input \"%s\"", c->str);
		KUNIT_EXPECT_EQ_MSG(test, *cur, '\0', "input \"%s\"", c->str);
		if (ret != 1)
			continue;
		KUNIT_EXPECT_EQ(test, id.vendor, c->id.vendor);
		KUNIT_EXPECT_EQ(test, id.device, c->id.device);
		KUNIT_EXPECT_EQ(test, id.subvendor, c->id.subvendor);
		KUNIT_EXPECT_EQ(test, id.subdevice, c->id.subdevice);
		KUNIT_EXPECT_EQ(test, id.class, c->id.class);
		KUNIT_EXPECT_EQ(test, id.class_mask, c->id.class_mask);
	}
}

static void ids_list(struct kunit *test)
{
	const char *cur = ",1234:11e8,,bad,8086:1:2:3,";
	struct vfio_ext_pci_id id;

	KUNIT_ASSERT_EQ(test, vfio_ext_ids_next(&cur, &id), 1);
	KUNIT_EXPECT_EQ(test, id.device, 0x11e8U);
	/* A bad entry is reported and skipped, the next one still parses. */
	KUNIT_ASSERT_EQ(test, vfio_ext_ids_next(&cur, &id), -EINVAL);
	KUNIT_ASSERT_EQ(test, vfio_ext_ids_next(&cur, &id), 1);
	KUNIT_EXPECT_EQ(test, id.vendor, 0x8086U);
	KUNIT_EXPECT_EQ(test, id.subdevice, 3U);
	KUNIT_EXPECT_EQ(test, vfio_ext_ids_next(&cur, &id), 0);
	/* End of string is sticky. */
	KUNIT_EXPECT_EQ(test, vfio_ext_ids_next(&cur, &id), 0);
}

static void ids_empty(struct kunit *test)
{
	const char *cur = "";
	struct vfio_ext_pci_id id;

	KUNIT_EXPECT_EQ(test, vfio_ext_ids_next(&cur, &id), 0);
	cur = ",,,";
	KUNIT_EXPECT_EQ(test, vfio_ext_ids_next(&cur, &id), 0);
}

static struct kunit_case vfio_ext_ids_test_cases[] = {
	KUNIT_CASE(ids_single),
	KUNIT_CASE(ids_list),
	KUNIT_CASE(ids_empty),
	{}
};

static struct kunit_suite vfio_ext_ids_test_suite = {
	.name = "vfio_ext_ids",
	.test_cases = vfio_ext_ids_test_cases,
};

kunit_test_suite(vfio_ext_ids_test_suite);
