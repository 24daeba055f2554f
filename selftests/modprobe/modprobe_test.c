// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading vfio-pci-ext as a host does (Documentation/admin-guide.rst,
 * "Loading the modules"): kmod's modprobe pulls in what the softdeps name,
 * the driver_override alias resolves to us, and the dsm_policy= module
 * parameter (from the command line or a modprobe.d file) is applied to a
 * device of that PCI ID at every bind, across unbind/rebind and module
 * reload, while a bad value fails the load with a message naming the
 * entry.
 *
 * The test unloads vfio-pci-ext (and, for the softdeps, vfio-pci and
 * vfio_iommu_type1): it skips when the modules are in use (a device open),
 * so it never takes a device from a running VM.  It leaves the modules
 * loaded without parameters and the devices it found bound to them bound
 * again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_common.h"
#include "vfioext.h"

#define EXT_MOD		"vfio_pci_ext"
#define EXT_DRV		VFIO_EXT_PCI_DRIVER_NAME
#define TEST_UUID	"e5c937d0-3553-4d7a-9117-ea4d19c3434d"
/*
 * kmod's, by path: busybox sh would run its own modprobe applet for a bare
 * "modprobe" (no softdeps, no -C, -R or -n).
 */
#define MODPROBE	"/sbin/modprobe"

static int unload(const char *mod)
{
	if (syscall(SYS_delete_module, mod, O_NONBLOCK) && errno != ENOENT)
		return -errno;
	return 0;
}

static bool loaded(const char *mod)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", mod);
	return access(path, F_OK) == 0;
}

/* Run a shell command; its exit status, or -1. */
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* The device's policy as the vfio_ext/dsm_policy attribute shows it. */
static int policy(const char *bdf, char *buf, size_t len)
{
	return read_sysfs(bdf, "vfio_ext/dsm_policy", buf, len);
}

/* Is @text in the kernel log? */
static bool in_kernel_log(const char *text)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	bool found = false;
	char *buf;
	int n;

	if (len <= 0)
		return false;
	buf = malloc(len + 1);
	if (!buf)
		return false;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (n > 0) {
		buf[n] = '\0';
		found = strstr(buf, text);
	}
	free(buf);
	return found;
}

#define MAX_BOUND	32

/* Devices bound to the drivers the test unloads, to bind them back. */
struct bound {
	unsigned int n;
	char bdf[MAX_BOUND][VFIOEXT_BDF_LEN];
	const char *drv[MAX_BOUND];
};

static void bound_save(struct bound *b, const char *drv)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drv);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) && b->n < MAX_BOUND) {
		if (!pci_present(e->d_name) || strlen(e->d_name) >= VFIOEXT_BDF_LEN)
			continue;
		snprintf(b->bdf[b->n], VFIOEXT_BDF_LEN, "%s", e->d_name);
		b->drv[b->n++] = drv;
	}
	closedir(d);
}

static void bound_restore(struct bound *b)
{
	unsigned int i;

	for (i = 0; i < b->n; i++)
		vfioext_pci_bind(b->bdf[i], b->drv[i]);
}

FIXTURE(reload) {
	char bdf[VFIOEXT_BDF_LEN];
	char id[16];		/* "vvvv:dddd" of the device */
	char conf[64];		/* a modprobe.d file of the test's */
	struct drv_binding bind;
	struct bound bound;
};

FIXTURE_SETUP(reload)
{
	char v[16], d[16];

	memset(&self->bind, 0, sizeof(self->bind));
	self->conf[0] = '\0';
	/* _exit(255): 6.1's harness would run the test after a return. */
	if (geteuid())
		SKIP(_exit(255), "needs root (module loading)");
	if (run(MODPROBE " -n -q vfio-pci-ext") ||
	    run(MODPROBE " -V | grep -q kmod"))
		SKIP(_exit(255), "vfio-pci-ext not installed, or no kmod modprobe");
	if (edu_find(EDU_ALONE, self->bdf))
		SKIP(_exit(255), "no edu device on this machine (VFIOEXT_TEST_BDF)");
	if (module_refcnt(EXT_MOD) > 0 || module_refcnt("vfio_pci") > 0)
		SKIP(_exit(255), "vfio-pci or vfio-pci-ext in use (a device is open)");
	ASSERT_LT(0, read_sysfs(self->bdf, "vendor", v, sizeof(v)));
	ASSERT_LT(0, read_sysfs(self->bdf, "device", d, sizeof(d)));
	snprintf(self->id, sizeof(self->id), "%.4s:%.4s", v + 2, d + 2);
	ASSERT_EQ(0, drv_save(&self->bind, self->bdf));
	memset(&self->bound, 0, sizeof(self->bound));
	bound_save(&self->bound, EXT_DRV);
	bound_save(&self->bound, "vfio-pci");
	ASSERT_EQ(0, unload(EXT_MOD)) TH_LOG("vfio-pci-ext is in use");
}

FIXTURE_TEARDOWN(reload)
{
	if (!self->bind.saved)
		return;
	drv_restore(&self->bind);
	if (self->conf[0])
		unlink(self->conf);
	/* As the other tests expect it: loaded, without parameters. */
	unload(EXT_MOD);
	EXPECT_EQ(0, run(MODPROBE " vfio-pci-ext"));
	EXPECT_EQ(0, run(MODPROBE " vfio-pci && " MODPROBE " vfio_iommu_type1"));
	bound_restore(&self->bound);
}

/* modprobe vfio-pci-ext loads what its softdeps name. */
TEST_F(reload, softdeps)
{
	char alias[256], mod[512];

	if (unload("vfio_pci") || unload("vfio_iommu_type1"))
		SKIP(return, "vfio-pci or vfio_iommu_type1 in use");
	ASSERT_FALSE(loaded("vfio_pci"));
	ASSERT_FALSE(loaded("vfio_iommu_type1"));
	ASSERT_EQ(0, run(MODPROBE " vfio-pci-ext"));
	EXPECT_TRUE(loaded(EXT_MOD));
	EXPECT_TRUE(loaded("vfio_pci"));
	EXPECT_TRUE(loaded("vfio_iommu_type1"));

	/*
	 * The driver_override alias: "vfio_pci:" and the device's modalias
	 * (as tools look up a vfio variant driver) resolves to us.
	 */
	ASSERT_LT(0, read_sysfs(self->bdf, "modalias", alias, sizeof(alias)));
	ASSERT_EQ(0, strncmp(alias, "pci:", 4));
	alias[strcspn(alias, "\n")] = '\0';
	snprintf(mod, sizeof(mod),
		 MODPROBE " -R 'vfio_pci:%s' | grep -qx " EXT_MOD, alias + 4);
	EXPECT_EQ(0, run("%s", mod)) TH_LOG("%s", mod);
}

/* The parameter's entries apply at every bind, and only to their ID. */
TEST_F(reload, policy_at_bind)
{
	char want[256], got[256];

	/* kmod quotes a value with spaces for the kernel itself. */
	ASSERT_EQ(0, run(MODPROBE " vfio-pci-ext 'dsm_policy=ffff:0001 clear; "
			 "%s allow * 0-2 ;%s allow " TEST_UUID " 5,7'",
			 self->id, self->id));
	snprintf(want, sizeof(want), "allow * 0-2\nallow " TEST_UUID " 5,7\n");

	ASSERT_EQ(0, vfioext_pci_bind(self->bdf, EXT_DRV));
	ASSERT_LE(0, policy(self->bdf, got, sizeof(got)));
	EXPECT_STREQ(want, got);

	/* Changed at run time, back to the parameter's at the next bind. */
	ASSERT_EQ(0, run("echo clear > /sys/bus/pci/devices/%s/vfio_ext/dsm_policy",
			 self->bdf));
	ASSERT_LE(0, policy(self->bdf, got, sizeof(got)));
	EXPECT_STREQ("", got);
	ASSERT_EQ(0, vfioext_pci_unbind(self->bdf));
	ASSERT_EQ(0, vfioext_pci_bind(self->bdf, EXT_DRV));
	ASSERT_LE(0, policy(self->bdf, got, sizeof(got)));
	EXPECT_STREQ(want, got);

	/* Reloaded without it: the default. */
	ASSERT_EQ(0, vfioext_pci_unbind(self->bdf));
	ASSERT_EQ(0, unload(EXT_MOD));
	ASSERT_EQ(0, run(MODPROBE " vfio-pci-ext"));
	ASSERT_EQ(0, vfioext_pci_bind(self->bdf, EXT_DRV));
	ASSERT_LE(0, policy(self->bdf, got, sizeof(got)));
	EXPECT_STREQ("allow * 0\n", got);
}

/* The same from a modprobe.d file, as a host configures it. */
TEST_F(reload, modprobe_d)
{
	char got[256];
	FILE *f;

	snprintf(self->conf, sizeof(self->conf), "/tmp/vfioext-test-%d.conf",
		 getpid());
	f = fopen(self->conf, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "options vfio-pci-ext dsm_policy=\"%s allow * all\"\n",
		self->id);
	fclose(f);
	ASSERT_EQ(0, run(MODPROBE " -C %s vfio-pci-ext", self->conf));
	ASSERT_EQ(0, vfioext_pci_bind(self->bdf, EXT_DRV));
	ASSERT_LE(0, policy(self->bdf, got, sizeof(got)));
	EXPECT_STREQ("allow * all\n", got);

	/* Reloaded with the same file: the same policy again. */
	ASSERT_EQ(0, vfioext_pci_unbind(self->bdf));
	ASSERT_EQ(0, unload(EXT_MOD));
	ASSERT_EQ(0, run(MODPROBE " -C %s vfio-pci-ext", self->conf));
	ASSERT_EQ(0, vfioext_pci_bind(self->bdf, EXT_DRV));
	ASSERT_LE(0, policy(self->bdf, got, sizeof(got)));
	EXPECT_STREQ("allow * all\n", got);
}

/* A bad value fails the load and the message names the entry. */
TEST_F(reload, bad_policy_fails_load)
{
	static const struct {
		const char *value;	/* after a good entry */
		const char *entry;	/* the one the message must name */
	} bad[] = {
		{ "12:34 allow * 0", "12:34 allow * 0" },
		{ "1234:11e8", "1234:11e8" },
		{ "1234:11e8 frobnicate", "1234:11e8 frobnicate" },
		{ "1234:11e8 allow * 64", "1234:11e8 allow * 64" },
		{ "1234:11e8 allow not-a-uuid 1", "1234:11e8 allow not-a-uuid 1" },
		/* Fails only after the entry before it: order counts. */
		{ "1234:11e8 clear; 1234:11e8 deny *", "1234:11e8 deny *" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char msg[160];

		EXPECT_NE(0, run(MODPROBE " -q vfio-pci-ext 'dsm_policy=ffff:0001 clear;%s'",
				 bad[i].value)) TH_LOG("%s", bad[i].value);
		EXPECT_FALSE(loaded(EXT_MOD)) TH_LOG("%s", bad[i].value);
		snprintf(msg, sizeof(msg), "dsm_policy: invalid entry \"%s\"",
			 bad[i].entry);
		EXPECT_TRUE(in_kernel_log(msg)) TH_LOG("no \"%s\"", msg);
		unload(EXT_MOD);
	}
}

TEST_HARNESS_MAIN
