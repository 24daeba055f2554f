// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the _DSM host policy: default, commands, limits.
 */
#include <kunit/test.h>

#include "vfio_ext_policy.c"

#define UUID_A	"4f248f40-d5e2-499f-834c-27758ea1cd3f"
#define UUID_B	"e5c937d0-3553-4d7a-9117-ea4d19c3434d"

static int apply(struct vfio_ext_dsm_policy *p, const char *cmd)
{
	return vfio_ext_dsm_policy_apply(p, cmd);
}

static guid_t guid_of(const char *s)
{
	guid_t g;

	guid_parse(s, &g);
	return g;
}

static void policy_default(struct kunit *test)
{
	struct vfio_ext_dsm_policy p;
	guid_t a = guid_of(UUID_A);

	vfio_ext_dsm_policy_default(&p);
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &a, 0));
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &a, 1));
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &a, 64));
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &a, U64_MAX));
}

static void policy_commands(struct kunit *test)
{
	struct vfio_ext_dsm_policy p;
	guid_t a = guid_of(UUID_A), b = guid_of(UUID_B);
	char buf[256];

	vfio_ext_dsm_policy_default(&p);
	KUNIT_ASSERT_EQ(test, apply(&p, "allow " UUID_A " 1,3-5,63\n"), 0);
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &a, 4));
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &a, 63));
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &a, 2));
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &b, 4));
	/* Rules merge. */
	KUNIT_ASSERT_EQ(test, apply(&p, "allow " UUID_A " 2"), 0);
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &a, 2));
	KUNIT_EXPECT_EQ(test, p.nr, 2U);

	vfio_ext_dsm_policy_show(&p, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf,
			   "allow * 0\nallow " UUID_A " 1-5,63\n");

	KUNIT_ASSERT_EQ(test, apply(&p, "allow " UUID_B " all"), 0);
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &b, 1000));
	KUNIT_ASSERT_EQ(test, apply(&p, "deny " UUID_B), 0);
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &b, 1000));
	KUNIT_EXPECT_EQ(test, apply(&p, "deny " UUID_B), -ENOENT);

	KUNIT_ASSERT_EQ(test, apply(&p, "clear"), 0);
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &a, 0));
	vfio_ext_dsm_policy_show(&p, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, "");
	KUNIT_ASSERT_EQ(test, apply(&p, "reset\n"), 0);
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &a, 0));
}

static void policy_bad_commands(struct kunit *test)
{
	static const struct {
		const char *cmd;
		int ret;
	} bad[] = {
		{ "", -EINVAL },
		{ "permit * 0", -EINVAL },
		{ "allow", -EINVAL },
		{ "allow *", -EINVAL },
		{ "allow * 64", -ERANGE },
		{ "allow * 100", -ERANGE },
		{ "allow * 5-3", -EINVAL },
		{ "allow * 1,", -EINVAL },
		{ "allow * ,1", -EINVAL },
		{ "allow * 1;2", -EINVAL },
		{ "allow * -1", -EINVAL },
		{ "allow * 1 2", -EINVAL },
		{ "allow not-a-uuid 1", -EINVAL },
		{ "allow " UUID_A "x 1", -EINVAL },
		{ "clear now", -EINVAL },
		{ "deny", -EINVAL },
		{ "deny " UUID_A " 1", -EINVAL },
	};
	struct vfio_ext_dsm_policy p, before;
	unsigned int i;

	vfio_ext_dsm_policy_default(&p);
	before = p;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_EXPECT_EQ_MSG(test, apply(&p, bad[i].cmd),
				    bad[i].ret, "\"%s\"", bad[i].cmd);
		/* A refused command changes nothing. */
		KUNIT_EXPECT_EQ(test, memcmp(&p, &before, sizeof(p)), 0);
	}
}

static void policy_full(struct kunit *test)
{
	struct vfio_ext_dsm_policy p;
	char cmd[64];
	unsigned int i;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < VFIO_EXT_DSM_MAX_RULES; i++) {
		snprintf(cmd, sizeof(cmd),
			 "allow 00000000-0000-0000-0000-%012x 1", i);
		KUNIT_ASSERT_EQ(test, apply(&p, cmd), 0);
	}
	KUNIT_EXPECT_EQ(test, apply(&p, "allow * 1"), -ENOSPC);
	/* Merging into an existing rule still works when full. */
	KUNIT_EXPECT_EQ(test,
			apply(&p, "allow 00000000-0000-0000-0000-000000000003 2"),
			0);
}

/* dsm_policy=: the entries of one ID apply in order, others are skipped. */
static void policy_param(struct kunit *test)
{
	static const char param[] =
		" 1234:11e8 clear ;ffff:0001 allow * all;;"
		"1234:11E8 allow " UUID_A " 1-3;  1234:11e8   allow * 5 ; ";
	struct vfio_ext_dsm_policy p, scratch;
	guid_t a = guid_of(UUID_A), b = guid_of(UUID_B);
	const char *bad = NULL;
	size_t len = 0;

	vfio_ext_dsm_policy_default(&p);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_policy_param(&p, param, 0x1234,
							0x11e8, &bad, &len), 0);
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &b, 0));
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &b, 5));
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &a, 2));
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &a, 4));
	KUNIT_EXPECT_FALSE(test, vfio_ext_dsm_policy_allows(&p, &a, 0x40));

	/* Another ID: its own entry only. */
	vfio_ext_dsm_policy_default(&p);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_policy_param(&p, param, 0xffff,
							0x0001, &bad, &len), 0);
	KUNIT_EXPECT_TRUE(test, vfio_ext_dsm_policy_allows(&p, &b, 0x40));

	/* No entry for the ID, or an empty value: the default stays. */
	vfio_ext_dsm_policy_default(&scratch);
	KUNIT_ASSERT_EQ(test, vfio_ext_dsm_policy_param(&p, "", 1, 2, &bad,
							&len), 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_policy_param_check(&scratch, param,
							      &bad, &len), 0);
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_policy_param_check(&scratch, " ; ",
							      &bad, &len), 0);
}

static void policy_param_bad(struct kunit *test)
{
	static const struct {
		const char *param;
		const char *entry;	/* what the message names */
		int ret;
	} cases[] = {
		{ "1234:11e8", "1234:11e8", -EINVAL },
		{ "1234:11e8 ", "1234:11e8", -EINVAL },
		{ "12:34 allow * 0", "12:34 allow * 0", -EINVAL },
		{ "0x1234:11e8 clear", "0x1234:11e8 clear", -EINVAL },
		{ "1234:11e8x clear", "1234:11e8x clear", -EINVAL },
		{ "1234-11e8 clear", "1234-11e8 clear", -EINVAL },
		{ "1234:11e8 frob", "1234:11e8 frob", -EINVAL },
		{ "ffff:0001 clear;1234:11e8 allow * 64", "1234:11e8 allow * 64",
		  -ERANGE },
		{ "1234:11e8 clear; 1234:11e8 deny * ", "1234:11e8 deny *",
		  -ENOENT },
		{ "1234:11e8 allow * 0-3 and more", "1234:11e8 allow * 0-3 and more",
		  -EINVAL },
	};
	struct vfio_ext_dsm_policy scratch;
	char longer[200];
	unsigned int i;
	const char *bad;
	size_t len;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bad = NULL;
		len = 0;
		ret = vfio_ext_dsm_policy_param_check(&scratch, cases[i].param,
						      &bad, &len);
		KUNIT_EXPECT_EQ_MSG(test, ret, cases[i].ret, "%s",
				    cases[i].param);
		KUNIT_ASSERT_NOT_NULL(test, bad);
		KUNIT_EXPECT_EQ_MSG(test, len, strlen(cases[i].entry), "%s",
				    cases[i].param);
		KUNIT_EXPECT_EQ_MSG(test, strncmp(bad, cases[i].entry, len), 0,
				    "%s", cases[i].param);
	}
	/* A command longer than any valid one. */
	memset(longer, 'a', sizeof(longer));
	memcpy(longer, "1234:11e8 ", 10);
	longer[sizeof(longer) - 1] = '\0';
	KUNIT_EXPECT_EQ(test, vfio_ext_dsm_policy_param_check(&scratch, longer,
							      &bad, &len),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, len, sizeof(longer) - 1);
}

static struct kunit_case vfio_ext_policy_test_cases[] = {
	KUNIT_CASE(policy_default),
	KUNIT_CASE(policy_commands),
	KUNIT_CASE(policy_bad_commands),
	KUNIT_CASE(policy_full),
	KUNIT_CASE(policy_param),
	KUNIT_CASE(policy_param_bad),
	{}
};

static struct kunit_suite vfio_ext_policy_test_suite = {
	.name = "vfio_ext_policy",
	.test_cases = vfio_ext_policy_test_cases,
};

kunit_test_suite(vfio_ext_policy_test_suite);
