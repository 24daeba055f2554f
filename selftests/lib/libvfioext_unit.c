// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests for libvfio-ext: the pure helpers (address parsing,
 * capability-chain walking against hostile buffers, range checks), sysfs
 * error reporting, and the shared object's exported symbol set.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "internal.h"

TEST(bdf_canon)
{
	static const struct {
		const char *in;
		const char *out;
	} ok[] = {
		{ "0000:00:10.0", "0000:00:10.0" },
		{ "00:10.0", "0000:00:10.0" },
		{ "1:2:3.4", "0001:02:03.4" },
		{ "ABCD:EF:1f.7", "abcd:ef:1f.7" },
		{ "10000:00:02.0", "10000:00:02.0" },	/* VMD domain */
		{ "ffffffff:ff:1f.7", "ffffffff:ff:1f.7" },
	};
	static const char * const bad[] = {
		"", "0000:00:10", "0000:00:10.8", "0000:00:20.0",
		"000000000:00:10.0", "0000:000:10.0", "0000:00:10.0 ",
		"0000:00:10.0x", "g0:00.0", "0000-00:10.0", ":00:10.0",
		"0000:00:10.", "00.10.0", "0000:00:10:0",
	};
	char out[VFIOEXT_BDF_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		ASSERT_EQ(0, vfioext_bdf_canon(ok[i].in, out)) {
			TH_LOG("input %s", ok[i].in);
		}
		EXPECT_STREQ(ok[i].out, out);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, vfioext_bdf_canon(bad[i], out)) {
			TH_LOG("bad input #%u accepted", i);
		}
	EXPECT_EQ(-EINVAL, vfioext_bdf_canon(NULL, out));
}

/* A VFIO info buffer: 16-byte fixed part, then capabilities. */
struct capbuf {
	uint8_t b[256];
};

static void put_cap(struct capbuf *cb, uint32_t off, uint16_t id,
		    uint32_t next)
{
	struct vfio_info_cap_header h = { .id = id, .version = 1,
					  .next = next };

	memcpy(cb->b + off, &h, sizeof(h));
}

TEST(cap_chain_walk)
{
	const struct vfio_info_cap_header *h;
	struct capbuf cb;

	memset(&cb, 0, sizeof(cb));
	put_cap(&cb, 16, 1, 32);
	put_cap(&cb, 32, 2, 64);
	put_cap(&cb, 64, 3, 0);

	h = vfioext_cap_find(cb.b, sizeof(cb.b), 16, 3, 0);
	ASSERT_NE(NULL, h);
	EXPECT_EQ((const void *)(cb.b + 64), (const void *)h);
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 9, 0));
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 0, 1, 0));
	/* The body must fit: a 200-byte body at 64 does not. */
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 3, 200));
	EXPECT_NE(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 3, 192));
}

TEST(cap_chain_hostile)
{
	struct capbuf cb;

	memset(&cb, 0, sizeof(cb));
	/* A loop back to itself or to an earlier capability ends the walk. */
	put_cap(&cb, 16, 1, 16);
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 2, 0));
	put_cap(&cb, 16, 1, 32);
	put_cap(&cb, 32, 2, 16);
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 3, 0));
	/* Out of bounds, straddling the end, misaligned, huge. */
	put_cap(&cb, 32, 2, 256);
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 3, 0));
	put_cap(&cb, 32, 2, 248);	/* header fits, 16-byte body does not */
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 3, 16));
	put_cap(&cb, 32, 2, 34);	/* misaligned */
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 3, 0));
	put_cap(&cb, 32, 2, 0xfffffffc);
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 16, 3, 0));
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, sizeof(cb.b), 0xfffffff0, 3,
					 0));
	/* A buffer too small for any header. */
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, 4, 0, 1, 0));
	EXPECT_EQ(NULL, vfioext_cap_find(cb.b, 20, 16, 1, 0));
}

TEST(range_ok)
{
	EXPECT_TRUE(vfioext_range_ok(0, 4096, 4096));
	EXPECT_TRUE(vfioext_range_ok(UINT64_MAX - 4095, 4096, 4096));
	EXPECT_FALSE(vfioext_range_ok(UINT64_MAX - 4095, 8192, 4096));
	EXPECT_FALSE(vfioext_range_ok(0, 0, 4096));
	EXPECT_FALSE(vfioext_range_ok(4095, 4096, 4096));
	EXPECT_FALSE(vfioext_range_ok(0, 4095, 4096));
	EXPECT_FALSE(vfioext_range_ok(0, 4096, 0));
	EXPECT_FALSE(vfioext_range_ok(0, 4096, 3000));
}

TEST(sysfs_errors)
{
	char buf[64];

	EXPECT_EQ(-EINVAL, vfioext_pci_iommu_group("not-a-bdf"));
	EXPECT_EQ(-ENODEV, vfioext_pci_iommu_group("abcd:ff:1f.7"));
	EXPECT_EQ(-ENODEV, vfioext_pci_driver("abcd:ff:1f.7", buf,
					      sizeof(buf)));
	EXPECT_EQ(-EINVAL, vfioext_pci_driver("abcd:ff:1f.7", buf, 0));
	EXPECT_EQ(-EINVAL, vfioext_pci_bind("abcd:ff:1f.7", "../x"));
	EXPECT_EQ(-EINVAL, vfioext_pci_bind("abcd:ff:1f.7", ""));
	EXPECT_EQ(-ENOENT, vfioext_pci_bind("abcd:ff:1f.7",
					    "no-such-driver-here"));
	EXPECT_EQ(-ENODEV, vfioext_pci_unbind("abcd:ff:1f.7"));
	EXPECT_EQ(-ENODEV, vfioext_pci_find(0xabcd, 0xef01, 0, buf));
}

TEST(null_objects)
{
	struct vfioext_iommu_info *ii = (void *)1;
	struct vfio_device_info di = { .argsz = sizeof(di) };
	char page[64];

	EXPECT_EQ(-EINVAL, vfioext_container_open(NULL));
	EXPECT_EQ(-EINVAL, vfioext_container_fd(NULL));
	EXPECT_EQ(-EINVAL, vfioext_container_set_iommu(NULL, 1));
	EXPECT_EQ(-EINVAL, vfioext_iommu_get_info(NULL, &ii));
	EXPECT_EQ(NULL, ii);
	EXPECT_EQ(-EINVAL, vfioext_dma_map(NULL, page, 0, 4096, 0));
	EXPECT_EQ(-EINVAL, vfioext_dma_unmap(NULL, 0, 4096));
	EXPECT_EQ(-EINVAL, vfioext_group_open(NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, vfioext_device_open(NULL, "00:10.0", NULL));
	EXPECT_EQ(-EINVAL, vfioext_device_get_info(NULL, &di));
	EXPECT_EQ(-EINVAL, vfioext_device_reset(NULL));
	EXPECT_EQ(-EINVAL, vfioext_irq_set_eventfds(NULL, 0, 0, 0, NULL));
	/* Closing NULL is a no-op. */
	vfioext_container_close(NULL);
	vfioext_group_close(NULL);
	vfioext_device_close(NULL);
}

/*
 * The backend-feature wrappers pass the kernel's errno through: a file
 * that is no virtio device (an eventfd has no ioctls) is ENOTTY, as from
 * a module older than backend features.
 */
TEST(virtio_backend_features_errors)
{
	uint64_t f = 0;
	int fd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, vfioext_virtio_get_backend_features(fd, NULL));
	EXPECT_EQ(-ENOTTY, vfioext_virtio_get_backend_features(fd, &f));
	EXPECT_EQ(-ENOTTY, vfioext_virtio_set_backend_features(fd, 0));
	EXPECT_EQ(-EBADF, vfioext_virtio_get_backend_features(-1, &f));
	EXPECT_EQ(-EBADF, vfioext_virtio_set_backend_features(-1, 0));
	close(fd);
}

/* The shared object exports the vfioext_* API and nothing else. */
TEST(exported_symbols)
{
	void *h = dlopen(LIBVFIOEXT_SO, RTLD_NOW | RTLD_LOCAL);

	ASSERT_NE(NULL, h) {
		TH_LOG("dlopen: %s", dlerror() ? "failed" : "no error");
	}
	EXPECT_NE(NULL, dlsym(h, "vfioext_version"));
	EXPECT_NE(NULL, dlsym(h, "vfioext_dma_map"));
	EXPECT_NE(NULL, dlsym(h, "vfioext_pci_bind"));
	EXPECT_NE(NULL, dlsym(h, "vfioext_virtio_get_backend_features"));
	EXPECT_NE(NULL, dlsym(h, "vfioext_virtio_set_backend_features"));
	EXPECT_NE(NULL, dlvsym(h, "vfioext_virtio_suspend", "VFIOEXT_1.1"));
	EXPECT_NE(NULL, dlvsym(h, "vfioext_virtio_resume", "VFIOEXT_1.1"));
	EXPECT_EQ(NULL, dlvsym(h, "vfioext_virtio_suspend", "VFIOEXT_1.0"));
	EXPECT_EQ(NULL, dlsym(h, "vfioext_cap_find"));
	EXPECT_EQ(NULL, dlsym(h, "vfioext_sysfs_read"));
	EXPECT_EQ(NULL, dlsym(h, "vfioext_range_ok"));
	EXPECT_STREQ(vfioext_version(),
		     ((const char *(*)(void))dlsym(h, "vfioext_version"))());
	dlclose(h);
}

/*
 * Every defined dynamic symbol is vfioext_*, versioned with the node of
 * libvfio-ext.map that lists it (VFIOEXT_1.0, VFIOEXT_1.1, ...), or is
 * such a node, and the set is exactly the global list of the map:
 * nothing the map names is missing, nothing else leaks, nothing moved to
 * another node.
 */
TEST(dynamic_symbol_table)
{
	char line[512], name[256], node[32] = "", *at, *map = NULL;
	unsigned int n = 0, bad = 0, in_map = 0, nodes = 0;
	size_t maplen = 0;
	FILE *f;

	f = fopen(LIBVFIOEXT_MAP, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VFIOEXT_%20[0-9.] {", name) == 1) {
			snprintf(node, sizeof(node), "VFIOEXT_%s", name);
			nodes++;
			continue;
		}
		if (sscanf(line, " vfioext_%200[a-z0-9_];", name) != 1)
			continue;
		ASSERT_NE(0, node[0]);
		map = realloc(map, maplen + strlen(name) + strlen(node) + 12);
		ASSERT_NE(NULL, map);
		maplen += sprintf(map + maplen, "vfioext_%s@@%s\n", name, node);
		in_map++;
	}
	fclose(f);
	ASSERT_NE(0, in_map);

	f = popen("nm -D --defined-only " LIBVFIOEXT_SO, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %250s", name) != 1)
			continue;
		if (!strncmp(name, "VFIOEXT_", 8) && !strchr(name, '@')) {
			nodes--;	/* a version node itself */
			continue;
		}
		n++;
		at = strstr(name, "@@VFIOEXT_");
		if (strncmp(name, "vfioext_", 8) || !at) {
			bad++;
			TH_LOG("unexpected export %s", name);
			continue;
		}
		strcat(name, "\n");
		if (!strstr(map, name)) {
			bad++;
			TH_LOG("exported but not in the map's node: %s", name);
		}
	}
	ASSERT_EQ(0, pclose(f));
	free(map);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(in_map, n);
	EXPECT_EQ(0, nodes);
}

TEST(soname)
{
	char line[512];
	int found = 0;
	FILE *f;

	f = popen("readelf -d " LIBVFIOEXT_SO, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "(SONAME)") &&
		    strstr(line, "[libvfio-ext.so.1]"))
			found = 1;
	ASSERT_EQ(0, pclose(f));
	EXPECT_TRUE(found);
	EXPECT_EQ(0, strncmp(vfioext_version(), "1.", 2));
}

TEST_HARNESS_MAIN
