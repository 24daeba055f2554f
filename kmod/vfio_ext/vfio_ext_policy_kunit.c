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

static struct kunit_case vfio_ext_policy_test_cases[] = {
	KUNIT_CASE(policy_default),
	KUNIT_CASE(policy_commands),
	KUNIT_CASE(policy_bad_commands),
	KUNIT_CASE(policy_full),
	{}
};

static struct kunit_suite vfio_ext_policy_test_suite = {
	.name = "vfio_ext_policy",
	.test_cases = vfio_ext_policy_test_cases,
};

kunit_test_suite(vfio_ext_policy_test_suite);
