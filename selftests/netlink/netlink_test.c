// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "vfio-ext" generic netlink family, against ground truth: device
 * dumps against sysfs and the VFIO ioctls, pviommu containers against what
 * the test did to them, events in order with their values, the admin
 * command refused without capabilities, malformed requests refused with
 * the kernel's extended ACK text, and the CLI's JSON parsed field by field.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "kselftest_harness.h"
#include "acpi_common.h"
#include "json.h"
#include "vfio_common.h"
#include "vfioext.h"
#include "vmrun_host.h"
#include "../../lib/internal.h"

#define CLI "/usr/bin/vfio-ext"
#define POLICY_HELP \
	"invalid _DSM policy command (allow UUID|* LIST|all, deny UUID|*, clear, reset)"

/* ------------------------------------------------------------------ */
/* Ground truth helpers                                                */
/* ------------------------------------------------------------------ */

/* One-line sysfs value without its newline. */
static int sysfs_line(const char *bdf, const char *attr, char *buf, size_t len)
{
	int n = read_sysfs(bdf, attr, buf, len);

	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

static int link_name(const char *bdf, const char *link, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	snprintf(buf, len, "%s", basename(target));
	return 0;
}

static const struct vfioext_nl_dev *find_dev(struct vfioext_nl_dev *const *v,
					     size_t n, const char *bdf)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(nl_dev_info(v[i]).name, bdf))
			return v[i];
	return NULL;
}

static bool bind_all(void)
{
	return !vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME) &&
	       !vfioext_pci_bind(NODSM_BDF, VFIO_EXT_PCI_DRIVER_NAME) &&
	       !vfioext_pci_bind(NOACPI_BDF, VFIO_EXT_PCI_DRIVER_NAME);
}

/* Every attribute of @d against sysfs (the device is not open). */
static void check_against_sysfs(struct __test_metadata *_metadata,
				const struct vfioext_nl_dev *d)
{
	char buf[4096], want[64];

	ASSERT_LT(0, sysfs_line(nl_dev_info(d).name, "vendor", buf, sizeof(buf)));
	EXPECT_EQ(strtoul(buf, NULL, 16), nl_dev_info(d).vendor);
	ASSERT_LT(0, sysfs_line(nl_dev_info(d).name, "device", buf, sizeof(buf)));
	EXPECT_EQ(strtoul(buf, NULL, 16), nl_dev_info(d).device);
	ASSERT_EQ(0, link_name(nl_dev_info(d).name, "iommu_group", buf, sizeof(buf)));
	EXPECT_EQ(atoi(buf), nl_dev_info(d).iommu_group);
	ASSERT_EQ(0, link_name(nl_dev_info(d).name, "driver", buf, sizeof(buf)));
	EXPECT_STREQ(buf, nl_dev_info(d).driver);
	if (sysfs_line(nl_dev_info(d).name, "firmware_node/path", buf, sizeof(buf)) <= 0)
		buf[0] = '\0';
	EXPECT_STREQ(buf, nl_dev_info(d).acpi_path);
	ASSERT_LT(0, read_sysfs(nl_dev_info(d).name, "vfio_ext/dsm_policy", buf,
				sizeof(buf)));
	ASSERT_NE(NULL, nl_dev_info(d).dsm_policy);
	EXPECT_STREQ(buf, nl_dev_info(d).dsm_policy);
	EXPECT_EQ(read_counter(nl_dev_info(d).name, "dsm_calls"), (long)nl_dev_info(d).dsm_calls);
	EXPECT_EQ(read_counter(nl_dev_info(d).name, "dsm_denied"), (long)nl_dev_info(d).dsm_denied);
	ASSERT_LT(0, sysfs_line(nl_dev_info(d).name, "power_state", buf, sizeof(buf)));
	EXPECT_STREQ(buf, vfioext_nl_pci_power_state_name(nl_dev_info(d).power_state));
	ASSERT_LT(0, sysfs_line(nl_dev_info(d).name, "power/runtime_status", buf,
				sizeof(buf)));
	EXPECT_STREQ(buf, vfioext_nl_runtime_pm_name(nl_dev_info(d).runtime_pm));
	EXPECT_EQ(0, nl_dev_info(d).open);
	EXPECT_EQ(0, nl_dev_info(d).opener_pid);
	EXPECT_EQ(0, nl_dev_info(d).kvm_pid);
	EXPECT_EQ(0, nl_dev_info(d).low_power);
	EXPECT_EQ(0, nl_dev_info(d).notify_handler);
	EXPECT_EQ(0, nl_dev_info(d).notify_eventfd);
	EXPECT_EQ(0, nl_dev_info(d).notify_channel);
	/* The ACPI notification index exists only with an ACPI companion. */
	ASSERT_EQ(6, nl_dev_info(d).nr_irqs);
	EXPECT_EQ(5, nl_dev_irq(d, 5).index);
	EXPECT_EQ(nl_dev_info(d).acpi_path[0] ? 1 : 0, nl_dev_irq(d, 5).count);
	snprintf(want, sizeof(want), "%s", VFIO_EXT_PCI_DRIVER_NAME);
	EXPECT_STREQ(want, nl_dev_info(d).driver);
}

/*
 * The dump lists exactly the devices bound to vfio-pci-ext, as sysfs has
 * them: each listed one is bound there, and as many as sysfs has.
 */
TEST(dump_matches_sysfs)
{
	struct vfioext_nl_dev **v;
	struct vfioext_nl *nl;
	const char * const bound[] = { DSM_BDF, NODSM_BDF, NOACPI_BDF };
	char buf[64];
	size_t n, i;
	int want;

	if (!test_ssdt_loaded())
		SKIP(return, "test SSDT not loaded (vmrun --acpi-table)");
	ASSERT_TRUE(bind_all());
	want = drv_bound_count(VFIO_EXT_PCI_DRIVER_NAME);
	ASSERT_LE(3, want);
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_nl_dev_list(nl, &v, &n, NULL));
	/* Every listed device is bound to vfio-pci-ext in sysfs... */
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, link_name(nl_dev_info(v[i]).name, "driver", buf, sizeof(buf)));
		EXPECT_STREQ(VFIO_EXT_PCI_DRIVER_NAME, buf);
		check_against_sysfs(_metadata, v[i]);
	}
	/* ...and the ones bound here are listed, once. */
	for (i = 0; i < 3; i++)
		EXPECT_NE(NULL, find_dev(v, n, bound[i]));
	EXPECT_EQ(want, n);
	EXPECT_NE(0, nl_dev_info(find_dev(v, n, DSM_BDF)).acpi_path[0]);
	EXPECT_EQ(0, nl_dev_info(find_dev(v, n, NOACPI_BDF)).acpi_path[0]);
	vfioext_nl_dev_list_free(v, n);

	/* Unbound: gone from the dump and from get. */
	ASSERT_EQ(0, vfioext_pci_unbind(NOACPI_BDF));
	ASSERT_EQ(want - 1, drv_bound_count(VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_nl_dev_list(nl, &v, &n, NULL));
	EXPECT_EQ(want - 1, n);
	EXPECT_EQ(NULL, find_dev(v, n, NOACPI_BDF));
	vfioext_nl_dev_list_free(v, n);
	{
		struct vfioext_nl_dev *d = NULL;

		EXPECT_EQ(-ENODEV, vfioext_nl_dev_get(nl, NOACPI_BDF, &d, NULL));
	}
	vfioext_nl_close(nl);
}

/* An open device: regions and IRQs as the VFIO ioctls report them. */
TEST(get_matches_vfio_ioctls)
{
	static const uint32_t regions[] = { 0, 1, 2, 3, 4, 5, 7 };
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *dv = NULL;
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	struct vfioext_nl_dev *d = NULL;
	struct vfioext_nl *nl;
	unsigned int i, j;
	int ch;

	if (!pci_present(DSM_BDF))
		SKIP(return, NO_PCI_DEVICE, DSM_BDF);
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g,
					 &dv));
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL));
	EXPECT_EQ(1, nl_dev_info(d).open);
	EXPECT_EQ((uint32_t)getpid(), nl_dev_info(d).opener_pid);
	EXPECT_EQ(0, nl_dev_info(d).kvm_pid);	/* no KVM on the bench */
	ASSERT_EQ(ARRAY_SIZE(regions), nl_dev_info(d).nr_regions);
	for (i = 0; i < ARRAY_SIZE(regions); i++) {
		ri.argsz = sizeof(ri);	/* the fixed part */
		ASSERT_EQ(0, vfioext_region_get_info(dv, regions[i], &ri));
		for (j = 0; j < nl_dev_info(d).nr_regions; j++)
			if (nl_dev_region(d, j).index == regions[i])
				break;
		ASSERT_LT(j, nl_dev_info(d).nr_regions);
		EXPECT_EQ(ri.size, nl_dev_region(d, j).size);
		EXPECT_EQ(ri.flags, nl_dev_region(d, j).flags);
	}
	ASSERT_EQ(VFIO_PCI_ACPI_NTFY_IRQ_INDEX + 1, nl_dev_info(d).nr_irqs);
	for (i = 0; i < nl_dev_info(d).nr_irqs; i++) {
		int ret;

		ii.argsz = sizeof(ii);
		ret = vfioext_irq_get_info(dv, i, &ii);

		/* vfio-pci refuses the index a device lacks (ERR without
		 * PCIe): netlink reports it with no vectors.
		 */
		if (ret == -EINVAL)
			ii.count = 0;
		else
			ASSERT_EQ(0, ret);
		EXPECT_EQ(i, nl_dev_irq(d, i).index);
		EXPECT_EQ(ii.count, nl_dev_irq(d, i).count) {
			TH_LOG("irq index %u", i);
		}
	}
	/* Not PCIe: no ERR vector, but on kernels that give every device one. */
	EXPECT_EQ(err_irq_on_every_device(),
		  nl_dev_irq(d, VFIO_PCI_ERR_IRQ_INDEX).count);
	EXPECT_EQ(1, nl_dev_irq(d, VFIO_PCI_ACPI_NTFY_IRQ_INDEX).count);
	EXPECT_EQ(0, nl_dev_info(d).notify_channel);
	vfioext_nl_dev_free(d);

	/* A notification channel: handler installed, channel open, count. */
	ch = vfioext_acpi_notify_open(dv, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, vfioext_acpi_notify_test(dv, 9));
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL));
	EXPECT_EQ(1, nl_dev_info(d).notify_handler);
	EXPECT_EQ(1, nl_dev_info(d).notify_channel);
	EXPECT_EQ(0, nl_dev_info(d).notify_eventfd);
	EXPECT_LE(1, nl_dev_info(d).notify_count);
	vfioext_nl_dev_free(d);
	close(ch);

	vfioext_device_close(dv);
	vfioext_group_close(g);
	vfioext_container_close(c);
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL));
	EXPECT_EQ(0, nl_dev_info(d).open);
	EXPECT_EQ(0, nl_dev_info(d).opener_pid);
	EXPECT_EQ(0, nl_dev_info(d).notify_handler);
	vfioext_nl_dev_free(d);
	vfioext_nl_close(nl);
}

/* Next event of @bdf (others are skipped), or fail. */
static int next_event(struct vfioext_nl *ev, const char *bdf,
		      struct vfioext_nl_event *e)
{
	int ret;

	do {
		ret = vfioext_nl_event_read(ev, e, 10000);
	} while (!ret && strcmp(e->dev, bdf));
	return ret;
}

/* The next event of @bdf that is not a power transition. */
static int next_nonpower(struct vfioext_nl *ev, const char *bdf,
			 struct vfioext_nl_event *e, int timeout_ms)
{
	int ret;

	do {
		ret = vfioext_nl_event_read(ev, e, timeout_ms);
	} while (!ret && (strcmp(e->dev, bdf) ||
			  e->type == VFIO_EXT_EVENT_POWER));
	return ret;
}

/*
 * Tests that change DSM_BDF's _DSM policy: the teardown resets it
 * whatever their outcome, so a failed assertion cannot leave a changed
 * policy to the tests after them.
 */
FIXTURE(policy) {};
FIXTURE_SETUP(policy) {}
FIXTURE_TEARDOWN(policy)
{
	write_policy(DSM_BDF, "reset");
}

/*
 * Events, in order, with their values: open, a loopback, firmware
 * notifications (test SSDT _DSM functions 12 and 13), another loopback,
 * close; sequence numbers consecutive.
 */
TEST_F(policy, events_in_order)
{
	struct vfio_ext_acpi_notify_record recs[4];
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *dv = NULL;
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	struct vfioext_nl *ev;
	static const struct { uint32_t type, value; bool lb; } want[] = {
		{ VFIO_EXT_EVENT_OPEN, 0, false },
		{ VFIO_EXT_EVENT_ACPI_NOTIFY, 5, true },
		{ VFIO_EXT_EVENT_ACPI_NOTIFY, 0x90, false },
		{ VFIO_EXT_EVENT_ACPI_NOTIFY, 0x80, false },
		{ VFIO_EXT_EVENT_ACPI_NOTIFY, 0x81, false },
		{ VFIO_EXT_EVENT_ACPI_NOTIFY, 0x82, false },
		{ VFIO_EXT_EVENT_ACPI_NOTIFY, 7, true },
		{ VFIO_EXT_EVENT_CLOSE, 0, false },
	};
	uint64_t seq = 0;
	unsigned int i;
	int ch, got;

	if (!test_ssdt_loaded())
		SKIP(return, "test SSDT not loaded (vmrun --acpi-table)");
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, write_policy(DSM_BDF, "allow " TEST_UUID " 12,13"));
	ASSERT_EQ(0, vfioext_nl_events_open(&ev));

	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g,
					 &dv));
	ch = vfioext_acpi_notify_open(dv, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, vfioext_acpi_notify_test(dv, 5));
	/* Firmware notifications arrive from ACPICA's notify queue: wait
	 * for them on the channel before the next loopback.
	 */
	ASSERT_EQ(0, fw_notify(vfioext_device_fd(dv), 0x90));
	ASSERT_EQ(0, fw_notify3(vfioext_device_fd(dv)));
	/* The loopback and the four firmware values: five records. */
	for (got = 0; got < 5;) {
		int n = vfioext_acpi_notify_read(ch, recs, 4, 10000);

		ASSERT_LT(0, n);
		got += n;
	}
	ASSERT_EQ(0, vfioext_acpi_notify_test(dv, 7));
	close(ch);
	vfioext_device_close(dv);
	vfioext_group_close(g);
	vfioext_container_close(c);

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(0, next_event(ev, DSM_BDF, &e)) {
			TH_LOG("event %u missing", i);
		}
		/* Runtime PM transitions (power_events) interleave. */
		if (e.type == VFIO_EXT_EVENT_POWER) {
			if (seq)
				EXPECT_EQ(seq + 1, e.seq);
			seq = e.seq;
			i--;
			continue;
		}
		EXPECT_EQ(want[i].type, e.type) {
			TH_LOG("event %u: %s", i, vfioext_nl_event_name(e.type));
		}
		if (seq)
			EXPECT_EQ(seq + 1, e.seq);
		seq = e.seq;
		EXPECT_LT(0, e.timestamp_ns);
		if (want[i].type == VFIO_EXT_EVENT_ACPI_NOTIFY) {
			EXPECT_EQ(want[i].value, e.value);
			EXPECT_EQ(want[i].lb, e.loopback);
		}
		if (want[i].type == VFIO_EXT_EVENT_OPEN) {
			EXPECT_EQ((uint32_t)getpid(), e.pid);
			EXPECT_EQ(0, e.kvm_pid);
		}
	}
	/* Nothing else but the idle suspend after the close, maybe. */
	EXPECT_EQ(-ETIMEDOUT, next_nonpower(ev, DSM_BDF, &e, 200)) {
		TH_LOG("unexpected %s event", vfioext_nl_event_name(e.type));
	}
	ASSERT_EQ(0, write_policy(DSM_BDF, "reset"));
	vfioext_nl_close(ev);
}

static int low_power(int device, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(device, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

/* The next POWER event of @bdf; other events of the device are not allowed. */
static int next_power(struct __test_metadata *_metadata,
		      struct vfioext_nl *ev, const char *bdf,
		      struct vfioext_nl_event *e)
{
	int ret = next_event(ev, bdf, e);

	if (!ret && e->type != VFIO_EXT_EVENT_POWER) {
		TH_LOG("%s event where a power event was due",
		       vfioext_nl_event_name(e->type));
		return -EBADMSG;
	}
	return ret;
}

/* The next event of @bdf is POWER with this state. */
#define EXPECT_POWER(ev, lp, runtime) do {				\
	const char *_want = (runtime);					\
	struct vfioext_nl_event _e = { .struct_size = sizeof(_e) };	\
									\
	ASSERT_EQ(0, next_power(_metadata, ev, DSM_BDF, &_e));		\
	EXPECT_EQ(lp, _e.low_power);					\
	EXPECT_STREQ(_want, vfioext_nl_runtime_pm_name(_e.runtime_pm));	\
	/* The PCI state follows a suspend callback: left out. */	\
	if (!strcmp(_want, "active")) {					\
		EXPECT_TRUE(_e.has_power_state);			\
		EXPECT_EQ(VFIO_EXT_PCI_POWER_STATE_D0, _e.power_state);	\
	} else {							\
		EXPECT_FALSE(_e.has_power_state);			\
	}								\
} while (0)

/* Poll dev-get until the runtime PM status settles to @want (2 s). */
static int runtime_settles(struct vfioext_nl *nl, const char *want,
			   struct vfioext_nl_dev **d)
{
	int i, ret = -ETIMEDOUT;

	for (i = 0; i < 200; i++) {
		ret = vfioext_nl_dev_get(nl, DSM_BDF, d, NULL);
		if (ret)
			return ret;
		if (!strcmp(vfioext_nl_runtime_pm_name(nl_dev_info((*d)).runtime_pm), want))
			return 0;
		vfioext_nl_dev_free(*d);
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/*
 * Power transitions as events: the device resumes for its user, the
 * user's low-power entry (runtime suspend follows), a resume for an ioctl
 * with the user's low power still held, the exit; a second exit is no
 * transition; a wakeup-eventfd entry ended by an access is reported as
 * the exit it is; a close in low power ends it.  Queries never wake the
 * device.
 */
TEST(power_events)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup w;
	} fw = {
		.f.argsz = sizeof(fw),
		.f.flags = VFIO_DEVICE_FEATURE_SET |
			   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
	};
	struct vfio_handles h;
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	struct vfioext_nl_dev *d = NULL;
	struct vfioext_nl *ev, *nl;
	bool saw_active = false;
	uint64_t v = 0;
	int efd;

	if (!pci_present(DSM_BDF))
		SKIP(return, NO_PCI_DEVICE, DSM_BDF);
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	/* Unused and bound: runtime suspended (vfio-pci-core's idle D3). */
	ASSERT_EQ(0, runtime_settles(nl, "suspended", &d));
	vfioext_nl_dev_free(d);
	ASSERT_EQ(0, vfioext_nl_events_open(&ev));
	vfio_handles_init(&h);
	ASSERT_EQ(0, vfio_open_all(&h, DSM_BDF));
	/* The resume for the user, then the open. */
	EXPECT_POWER(ev, 0, "active");
	ASSERT_EQ(0, next_event(ev, DSM_BDF, &e));
	EXPECT_EQ(VFIO_EXT_EVENT_OPEN, e.type);

	/* Entry: the user's low power, then the runtime suspend. */
	ASSERT_EQ(0, low_power(h.device, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	EXPECT_POWER(ev, 1, "active");
	EXPECT_POWER(ev, 1, "suspended");
	ASSERT_EQ(0, runtime_settles(nl, "suspended", &d));
	EXPECT_EQ(1, nl_dev_info(d).low_power);
	vfioext_nl_dev_free(d);
	/* Queries (dev-get above, a dump here) did not wake it. */
	{
		struct vfioext_nl_dev **all;
		size_t n;

		ASSERT_EQ(0, vfioext_nl_dev_list(nl, &all, &n, NULL));
		vfioext_nl_dev_list_free(all, n);
	}
	EXPECT_EQ(-ETIMEDOUT, vfioext_nl_event_read(ev, &e, 300)) {
		TH_LOG("unexpected %s event", vfioext_nl_event_name(e.type));
	}

	/* An ioctl resumes it; the user's low power stays (no eventfd). */
	ASSERT_EQ(0, ioctl(h.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_POWER(ev, 1, "active");
	EXPECT_POWER(ev, 1, "suspended");

	/* Exit: resumed for the ioctl, then out of low power. */
	ASSERT_EQ(0, low_power(h.device, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	EXPECT_POWER(ev, 1, "active");
	EXPECT_POWER(ev, 0, "active");
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL));
	EXPECT_EQ(0, nl_dev_info(d).low_power);
	EXPECT_STREQ("D0", vfioext_nl_pci_power_state_name(nl_dev_info(d).power_state));
	EXPECT_STREQ("active", vfioext_nl_runtime_pm_name(nl_dev_info(d).runtime_pm));
	vfioext_nl_dev_free(d);
	/* A second exit changes nothing and reports nothing. */
	ASSERT_EQ(0, low_power(h.device, VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
	EXPECT_EQ(-ETIMEDOUT, vfioext_nl_event_read(ev, &e, 300)) {
		TH_LOG("unexpected %s event", vfioext_nl_event_name(e.type));
	}

	/* Entry with a wakeup eventfd; an access ends it: the exit event. */
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	fw.w.wakeup_eventfd = efd;
	ASSERT_EQ(0, ioctl(h.device, VFIO_DEVICE_FEATURE, &fw));
	EXPECT_POWER(ev, 1, "active");
	EXPECT_POWER(ev, 1, "suspended");
	ASSERT_EQ(0, ioctl(h.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_POWER(ev, 0, "active");
	EXPECT_EQ(sizeof(v), read(efd, &v, sizeof(v)));
	EXPECT_EQ(1, v);
	close(efd);
	EXPECT_EQ(-ETIMEDOUT, vfioext_nl_event_read(ev, &e, 300)) {
		TH_LOG("unexpected %s event", vfioext_nl_event_name(e.type));
	}

	/* A probe (no SET) is not a transition. */
	{
		struct vfio_device_feature f = {
			.argsz = sizeof(f),
			.flags = VFIO_DEVICE_FEATURE_PROBE |
				 VFIO_DEVICE_FEATURE_SET |
				 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
		};

		EXPECT_EQ(0, ioctl(h.device, VFIO_DEVICE_FEATURE, &f));
	}

	/* Closed in low power: the core ends it; then idle suspend. */
	ASSERT_EQ(0, low_power(h.device, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
	EXPECT_POWER(ev, 1, "active");
	EXPECT_POWER(ev, 1, "suspended");
	vfio_close_all(&h);
	/* Before the close event: back to full power.  The idle suspend
	 * is asynchronous: before or after it.
	 */
	for (;;) {
		ASSERT_EQ(0, next_event(ev, DSM_BDF, &e));
		if (e.type == VFIO_EXT_EVENT_CLOSE)
			break;
		ASSERT_EQ(VFIO_EXT_EVENT_POWER, e.type);
		EXPECT_EQ(0, e.low_power);
		if (!strcmp(vfioext_nl_runtime_pm_name(e.runtime_pm), "active"))
			saw_active = true;
	}
	EXPECT_TRUE(saw_active);
	ASSERT_EQ(0, runtime_settles(nl, "suspended", &d));
	EXPECT_EQ(0, nl_dev_info(d).low_power);
	vfioext_nl_dev_free(d);
	vfioext_nl_close(ev);
	vfioext_nl_close(nl);
}

/*
 * Every transition of one device is reported while another device binds
 * and unbinds over and over: each probe of a vfio-pci-core driver stores
 * the driver's PM callbacks, so nothing may depend on that pointer.
 */
FIXTURE(probes) {
};

FIXTURE_SETUP(probes)
{
}

FIXTURE_TEARDOWN(probes)
{
}

TEST_F_TIMEOUT(probes, power_events_during_probes, 240)
{
	struct drv_binding b = { 0 };
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	struct vfio_handles h;
	struct vfioext_nl *ev;
	int i, status;
	pid_t pid;

	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, drv_save(&b, NOACPI_BDF));
	ASSERT_EQ(0, vfioext_nl_events_open(&ev));
	vfio_handles_init(&h);
	ASSERT_EQ(0, vfio_open_all(&h, DSM_BDF));
	EXPECT_POWER(ev, 0, "active");
	ASSERT_EQ(0, next_event(ev, DSM_BDF, &e));
	EXPECT_EQ(VFIO_EXT_EVENT_OPEN, e.type);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Ends with the test, however it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			vfioext_pci_bind(NOACPI_BDF, VFIO_EXT_PCI_DRIVER_NAME);
			vfioext_pci_unbind(NOACPI_BDF);
		}
	}
	for (i = 0; i < 25; i++) {
		ASSERT_EQ(0, low_power(h.device,
				       VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
		EXPECT_POWER(ev, 1, "active");
		EXPECT_POWER(ev, 1, "suspended");
		ASSERT_EQ(0, low_power(h.device,
				       VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
		EXPECT_POWER(ev, 1, "active");
		EXPECT_POWER(ev, 0, "active");
		if (_metadata->passed == 0)
			break;
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TH_LOG("%d entry/exit rounds during probes", i);
	vfio_close_all(&h);
	vfioext_nl_close(ev);
	drv_restore(&b);
}

/* Monotonic milliseconds: common's clock (vmrun_host.h), no copy of it. */
static inline long now_ms(void)
{
	return vmrun_now_ms();
}

/* A thread waiting in vfioext_nl_event_read() on a shared handle. */
struct ev_reader {
	pthread_t thread;
	struct vfioext_nl *ev;
	int timeout_ms;
	struct vfioext_nl_event e;
	int ret;
	long waited_ms;
	atomic_int tid;
	atomic_bool returned;
};

/*
 * Whether thread @tid sleeps in poll() (vfioext_nl_event_read()'s wait):
 * state S in /proc/self/task/TID/stat and the poll system call in
 * .../syscall, not merely asleep on the handle's lock.
 */
static bool thread_polls(int tid)
{
	char path[64], buf[512], *p;
	bool ret = false;
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p || strncmp(p, ") S ", 4))
		return false;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fscanf(f, "%ld", &nr) == 1)
		ret = nr == SYS_poll || nr == SYS_ppoll;
	fclose(f);
	return ret;
}

static void *ev_reader_main(void *arg)
{
	struct ev_reader *r = arg;
	long t0 = now_ms();

	atomic_store(&r->tid, (int)syscall(SYS_gettid));
	r->ret = vfioext_nl_event_read(r->ev, &r->e, r->timeout_ms);
	r->waited_ms = now_ms() - t0;
	atomic_store(&r->returned, true);
	return NULL;
}

static int ev_reader_start(struct ev_reader *r, struct vfioext_nl *ev,
			   int timeout_ms)
{
	long deadline = now_ms() + 5000;

	memset(r, 0, sizeof(*r));
	r->e.struct_size = sizeof(r->e);
	r->ev = ev;
	r->timeout_ms = timeout_ms;
	if (pthread_create(&r->thread, NULL, ev_reader_main, r))
		return -1;
	/* Really blocked in its wait (bounded), or -ETIMEDOUT. */
	while (!atomic_load(&r->tid) || !thread_polls(atomic_load(&r->tid))) {
		if (now_ms() > deadline || atomic_load(&r->returned))
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

/* Events of @bdf until one of @type (others of the device allowed). */
static int event_until(struct vfioext_nl *ev, const char *bdf, uint32_t type)
{
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	int ret;

	do {
		ret = next_event(ev, bdf, &e);
	} while (!ret && e.type != type);
	return ret;
}

/*
 * A thread blocked in vfioext_nl_event_read() holds up nothing else on the
 * same handle: requests, a failed request's extended ACK message and its
 * replies go on meanwhile and never reach the reader, which then gets the
 * next event.  Two readers of one handle share its events, each once.
 */
TEST(event_read_blocks_no_request)
{
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *dv = NULL;
	struct vfioext_nl_dev *d = NULL, **devs;
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	struct vfioext_nl *ev, *nl;
	struct ev_reader r, r2;
	struct ev_reader *lo, *hi;
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };
	long t0, took;
	size_t n;
	int ch;

	if (!pci_present(DSM_BDF))
		SKIP(return, NO_PCI_DEVICE, DSM_BDF);
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	EXPECT_EQ(-EINVAL, vfioext_nl_event_read(nl, &e, 0));
	vfioext_nl_close(nl);
	ASSERT_EQ(0, vfioext_nl_events_open(&ev));

	ASSERT_EQ(0, ev_reader_start(&r, ev, 8000));
	t0 = now_ms();
	ASSERT_EQ(0, vfioext_nl_dev_get(ev, DSM_BDF, &d, NULL));
	EXPECT_STREQ(DSM_BDF, nl_dev_info(d).name);
	vfioext_nl_dev_free(d);
	ASSERT_EQ(0, vfioext_nl_dev_list(ev, &devs, &n, NULL));
	EXPECT_NE(NULL, find_dev(devs, n, DSM_BDF));
	vfioext_nl_dev_list_free(devs, n);
	EXPECT_EQ(-ENODEV, vfioext_nl_dev_get(ev, "0000:00:1f.7", &d, &st));
	EXPECT_EQ(-ENODEV, st.error);
	EXPECT_STREQ("no device with this PCI address is bound to vfio-pci-ext",
		     st.msg);
	EXPECT_EQ(strlen(st.msg), st.msg_len);
	took = now_ms() - t0;
	/* All of it while the reader waited, in far less than its timeout. */
	EXPECT_FALSE(atomic_load(&r.returned)) {
		TH_LOG("the reader returned %d after %ld ms", r.ret,
		       r.waited_ms);
	}
	EXPECT_GT(2000, took) {
		TH_LOG("3 requests took %ld ms beside a blocked reader", took);
	}

	/* The reader gets the next event (the resume or the open), no reply. */
	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g,
					 &dv));
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ(DSM_BDF, r.e.dev);
	EXPECT_TRUE(r.e.type == VFIO_EXT_EVENT_POWER ||
		    r.e.type == VFIO_EXT_EVENT_OPEN) {
		TH_LOG("%s event", vfioext_nl_event_name(r.e.type));
	}
	EXPECT_GT(8000, r.waited_ms);
	if (r.e.type != VFIO_EXT_EVENT_OPEN)
		ASSERT_EQ(0, event_until(ev, DSM_BDF, VFIO_EXT_EVENT_OPEN));

	/* Two readers, two loopback notifications: one each, in order. */
	ch = vfioext_acpi_notify_open(dv, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, ev_reader_start(&r, ev, 8000));
	ASSERT_EQ(0, ev_reader_start(&r2, ev, 8000));
	ASSERT_EQ(0, vfioext_acpi_notify_test(dv, 0x41));
	ASSERT_EQ(0, vfioext_acpi_notify_test(dv, 0x42));
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	ASSERT_EQ(0, pthread_join(r2.thread, NULL));
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ(0, r2.ret);
	lo = r.e.seq < r2.e.seq ? &r : &r2;
	hi = lo == &r ? &r2 : &r;
	EXPECT_EQ(lo->e.seq + 1, hi->e.seq);
	EXPECT_EQ(VFIO_EXT_EVENT_ACPI_NOTIFY, lo->e.type);
	EXPECT_EQ(VFIO_EXT_EVENT_ACPI_NOTIFY, hi->e.type);
	EXPECT_EQ(0x41, lo->e.value);
	EXPECT_EQ(0x42, hi->e.value);

	/* Nothing more: the timeout is kept, neither early nor late. */
	t0 = now_ms();
	EXPECT_EQ(-ETIMEDOUT, vfioext_nl_event_read(ev, &e, 300)) {
		TH_LOG("unexpected %s event", vfioext_nl_event_name(e.type));
	}
	took = now_ms() - t0;
	EXPECT_LE(290, took);
	EXPECT_GT(2000, took);

	close(ch);
	vfioext_device_close(dv);
	vfioext_group_close(g);
	vfioext_container_close(c);
	EXPECT_EQ(0, event_until(ev, DSM_BDF, VFIO_EXT_EVENT_CLOSE));
	vfioext_nl_close(ev);
}

static int drop_caps(uint32_t keep)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].effective = keep;
	data[0].permitted = keep;
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* In a child without capabilities (but @keep): the admin command. */
static int unprivileged_policy_set(uint32_t keep, char *msg, size_t len)
{
	struct vfioext_nl *nl;
	struct vfioext_nl_dev **v;
	size_t n;
	int ret;

	if (drop_caps(keep))
		return 100;
	if (vfioext_nl_open(&nl))
		return 101;
	/* Reading stays allowed. */
	if (vfioext_nl_dev_list(nl, &v, &n, NULL))
		return 102;
	vfioext_nl_dev_list_free(v, n);
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };

	ret = vfioext_nl_dsm_policy_set(nl, DSM_BDF, "allow * all", &st);
	snprintf(msg, len, "%s", st.msg);
	vfioext_nl_close(nl);
	return ret == -EPERM ? 0 : 103;
}

static int run_child(uint32_t keep, const char *want_msg)
{
	char msg[sizeof(((struct vfioext_nl_status *)0)->msg)];
	int status, ret;
	pid_t pid = fork();

	if (!pid) {
		ret = unprivileged_policy_set(keep, msg, sizeof(msg));
		if (!ret && strcmp(msg, want_msg))
			ret = 104;
		_exit(ret);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The _DSM policy command needs CAP_NET_ADMIN and CAP_SYS_ADMIN. */
TEST_F(policy, admin_needs_capabilities)
{
	char before[4096], after[4096];
	struct vfioext_nl *nl;

	if (!pci_present(DSM_BDF))
		SKIP(return, NO_PCI_DEVICE, DSM_BDF);
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, write_policy(DSM_BDF, "reset"));
	ASSERT_LT(0, read_sysfs(DSM_BDF, "vfio_ext/dsm_policy", before,
				sizeof(before)));
	/* No capabilities: GENL_ADMIN_PERM refuses (no message). */
	EXPECT_EQ(0, run_child(0, ""));
	/* CAP_NET_ADMIN alone: our own check, with its message. */
	EXPECT_EQ(0, run_child(1U << CAP_NET_ADMIN,
			       "changing the _DSM policy needs CAP_SYS_ADMIN"));
	ASSERT_LT(0, read_sysfs(DSM_BDF, "vfio_ext/dsm_policy", after,
				sizeof(after)));
	EXPECT_STREQ(before, after);

	/* Root: applied, as sysfs shows. */
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_nl_dsm_policy_set(nl, DSM_BDF,
					       "allow " TEST_UUID " 3,5", NULL));
	ASSERT_LT(0, read_sysfs(DSM_BDF, "vfio_ext/dsm_policy", after,
				sizeof(after)));
	EXPECT_NE(NULL, strstr(after, "allow " TEST_UUID " 3,5"));
	EXPECT_EQ(-EINVAL, vfioext_nl_dsm_policy_set(nl, DSM_BDF, "allow", NULL));
	EXPECT_EQ(-ENODEV,
		  vfioext_nl_dsm_policy_set(nl, "0000:00:1f.7", "reset", NULL));
	ASSERT_EQ(0, vfioext_nl_dsm_policy_set(nl, DSM_BDF, "reset", NULL));
	ASSERT_LT(0, read_sysfs(DSM_BDF, "vfio_ext/dsm_policy", after,
				sizeof(after)));
	EXPECT_STREQ(before, after);
	vfioext_nl_close(nl);
}

/* ------------------------------------------------------------------ */
/* Privilege: what a user without CAP_NET_ADMIN learns                 */
/* ------------------------------------------------------------------ */

/* What an unprivileged child saw, as exit status bits (0: nothing). */
#define LEAK_LIST_USE	0x01	/* dev-get dump: opener, counters */
#define LEAK_GET_USE	0x02	/* dev-get do: the same */
#define LEAK_PVIOMMU	0x04	/* pviommu-get dump answered */
#define LEAK_PVIOMMU_DO	0x08	/* pviommu-get do answered */
#define LEAK_EVENTS	0x10	/* joined the events group */
#define LEAK_FAILED	0x40	/* the child could not check */

static int use_leaks(const struct vfioext_nl_dev *d)
{
	struct vfioext_nl_dev_info i = nl_dev_info(d);

	return i.use_known || i.open || i.opener_pid || i.kvm_pid ||
	       i.dsm_calls || i.notify_handler || i.notify_eventfd ||
	       i.notify_channel || i.notify_count;
}

/* In a child without capabilities: what the family tells about @bdf. */
static int unprivileged_view(const char *bdf, uint32_t container)
{
	struct vfioext_nl_pviommu **pv, *one = NULL;
	struct vfioext_nl_dev **v, *d = NULL;
	const struct vfioext_nl_dev *f;
	struct vfioext_nl *nl, *ev;
	int leaks = 0, ret;
	size_t n;

	if (drop_caps(0) || vfioext_nl_open(&nl))
		return LEAK_FAILED;
	/* The inventory stays readable. */
	if (vfioext_nl_dev_list(nl, &v, &n, NULL))
		return LEAK_FAILED;
	f = find_dev(v, n, bdf);
	if (!f || nl_dev_info(f).vendor != 0x1234 || nl_dev_info(f).nr_regions != 7 ||
	    nl_dev_info(f).power_state == VFIO_EXT_PCI_POWER_STATE_UNKNOWN)
		leaks |= LEAK_FAILED;
	else if (use_leaks(f))
		leaks |= LEAK_LIST_USE;
	vfioext_nl_dev_list_free(v, n);
	if (vfioext_nl_dev_get(nl, bdf, &d, NULL))
		return leaks | LEAK_FAILED;
	if (use_leaks(d))
		leaks |= LEAK_GET_USE;
	vfioext_nl_dev_free(d);

	ret = vfioext_nl_pviommu_list(nl, &pv, &n, NULL);
	if (!ret)
		vfioext_nl_pviommu_list_free(pv, n);
	if (ret != -EPERM)
		leaks |= LEAK_PVIOMMU;
	ret = vfioext_nl_pviommu_get(nl, container, &one, NULL);
	if (!ret)
		vfioext_nl_pviommu_free(one);
	if (ret != -EPERM)
		leaks |= LEAK_PVIOMMU_DO;
	vfioext_nl_close(nl);

	ret = vfioext_nl_events_open(&ev);
	if (!ret)
		vfioext_nl_close(ev);
	if (ret != -EPERM)
		leaks |= LEAK_EVENTS;
	return leaks;
}

/*
 * A user without CAP_NET_ADMIN learns no device's or container's user:
 * the inventory without its use (no opener, VM, _DSM or notification
 * activity), no containers, no events; root sees all of it.
 */
TEST(unprivileged_learns_no_use)
{
	struct vfioext_nl_pviommu **pv;
	const struct vfioext_nl_pviommu *p;
	struct vfio_handles h;
	struct vfioext_nl_dev *d = NULL;
	struct vfioext_nl *nl;
	char bdf[VFIOEXT_BDF_LEN];
	int status, efd;
	uint32_t id;
	size_t n;
	pid_t pid;

	if (edu_find(EDU_ALONE, bdf))
		SKIP(return, "no edu device on this machine");
	ASSERT_EQ(0, vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME));
	vfio_handles_init(&h);
	ASSERT_EQ(0, vfio_open_all_iommu(&h, bdf, VFIO_EXT_PVIOMMU_IOMMU));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	if (strcmp(bdf, DSM_BDF) ||
	    irq_set_eventfd(h.device, VFIO_PCI_ACPI_NTFY_IRQ_INDEX, 0, efd))
		efd = -1 - efd;	/* no ACPI companion here: no notifications */

	/* Root: all of it (else the child's view proves nothing). */
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, bdf, &d, NULL));
	EXPECT_EQ(1, nl_dev_info(d).use_known);
	EXPECT_EQ(1, nl_dev_info(d).open);
	EXPECT_EQ((uint32_t)getpid(), nl_dev_info(d).opener_pid);
	if (efd >= 0)
		EXPECT_EQ(1, nl_dev_info(d).notify_eventfd);
	vfioext_nl_dev_free(d);
	ASSERT_EQ(0, vfioext_nl_pviommu_list(nl, &pv, &n, NULL));
	p = pviommu_by_owner(pv, n, getpid());
	ASSERT_NE(NULL, p);
	id = nl_pv_info(p).id;
	vfioext_nl_pviommu_list_free(pv, n);
	vfioext_nl_close(nl);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged_view(bdf, id));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("unprivileged child learnt:%s%s%s%s%s%s",
		       WEXITSTATUS(status) & LEAK_LIST_USE ? " dump-use" : "",
		       WEXITSTATUS(status) & LEAK_GET_USE ? " get-use" : "",
		       WEXITSTATUS(status) & LEAK_PVIOMMU ? " pviommu-dump" : "",
		       WEXITSTATUS(status) & LEAK_PVIOMMU_DO ? " pviommu-get" : "",
		       WEXITSTATUS(status) & LEAK_EVENTS ? " events" : "",
		       WEXITSTATUS(status) & LEAK_FAILED ? " (check failed)" : "");
	}
	if (efd >= 0)
		close(efd);
	vfio_close_all(&h);
}

/*
 * Run the CLI as nobody with @args; its stdout parsed as one JSON value,
 * its exit status in @status.
 */
static struct json *cli_as_nobody(const char *const args[], int *status)
{
	static char out[8192];
	int fds[2], st;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(fds))
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		close(fds[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(126);
		execv(CLI, (char *const *)args);
		_exit(127);
	}
	close(fds[1]);
	while (len < sizeof(out) - 1 &&
	       (r = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += r;
	out[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &st, 0) != pid)
		return NULL;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return json_parse(out);
}

static const char perm_events[] =
	"permission denied: events are delivered only with CAP_NET_ADMIN (run as root)";
static const char perm_pviommu[] =
	"permission denied: pviommu containers are shown only with CAP_NET_ADMIN (run as root)";

/* The CLI says why an unprivileged user gets no events and no containers. */
TEST(cli_unprivileged_messages)
{
	static const char *const monitor[] = {
		CLI, "-j", "monitor", "-t", "1", NULL
	};
	static const char *const pviommu[] = {
		CLI, "-j", "pviommu", "show", NULL
	};
	struct json *j;
	uint64_t u;
	int st;

	if (access(CLI, X_OK))
		SKIP(return, "vfio-ext CLI not in the guest (vmrun --file)");
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));

	j = cli_as_nobody(monitor, &st);
	ASSERT_NE(NULL, j) {
		TH_LOG("monitor as nobody: no JSON (status %d)", st);
	}
	EXPECT_EQ(1, st);
	EXPECT_STREQ("netlink", json_str(j, "error"));
	EXPECT_TRUE(json_u64(j, "errno", &u) && u == EPERM);
	EXPECT_STREQ(perm_events, json_str(j, "message"));
	json_free(j);

	j = cli_as_nobody(pviommu, &st);
	ASSERT_NE(NULL, j) {
		TH_LOG("pviommu show as nobody: no JSON (status %d)", st);
	}
	EXPECT_EQ(1, st);
	EXPECT_STREQ("pviommu show", json_str(j, "error"));
	EXPECT_TRUE(json_u64(j, "errno", &u) && u == EPERM);
	EXPECT_STREQ(perm_pviommu, json_str(j, "message"));
	json_free(j);
}

/* ------------------------------------------------------------------ */
/* Malformed requests, built by hand                                   */
/* ------------------------------------------------------------------ */

struct raw {
	struct nl_sock *sk;
	int family;
};

static int raw_open(struct raw *r)
{
	int one = 1;

	r->sk = nl_socket_alloc();
	if (!r->sk || genl_connect(r->sk))
		return -1;
	setsockopt(nl_socket_get_fd(r->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	r->family = genl_ctrl_resolve(r->sk, VFIO_EXT_FAMILY_NAME);
	return r->family < 0 ? -1 : 0;
}

/*
 * Send @msg (consumed) and return the errno of its ACK (0 on success,
 * replies skipped) and the extended ACK text in @text.
 */
static int raw_call(struct raw *r, struct nl_msg *msg, char *text, size_t len)
{
	static char buf[65536];
	struct nlmsghdr *h;
	ssize_t n;
	int left;

	text[0] = '\0';
	if (nl_send_auto(r->sk, msg) < 0) {
		nlmsg_free(msg);
		return -1000;
	}
	nlmsg_free(msg);
	for (;;) {
		n = recv(nl_socket_get_fd(r->sk), buf, sizeof(buf), 0);
		if (n <= 0)
			return -1001;
		left = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				vfioext_nl_extack_msg(h, text, len);
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			}
		}
	}
}

static struct nl_msg *raw_msg(struct raw *r, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, r->family, 0, NLM_F_ACK,
		    cmd, VFIO_EXT_GENL_VERSION);
	return msg;
}

TEST(malformed_requests_extack)
{
	char text[256], long_name[24];
	struct nl_msg *m;
	struct raw r;

	if (!pci_present(DSM_BDF))
		SKIP(return, NO_PCI_DEVICE, DSM_BDF);
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, raw_open(&r));

	/* A well-formed request first: the helper itself works. */
	m = raw_msg(&r, VFIO_EXT_CMD_DEV_GET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, DSM_BDF);
	EXPECT_EQ(0, raw_call(&r, m, text, sizeof(text)));

	/* Device name without its NUL. */
	m = raw_msg(&r, VFIO_EXT_CMD_DEV_GET);
	nla_put(m, VFIO_EXT_A_DEV_NAME, strlen(DSM_BDF), DSM_BDF);
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("Attribute failed policy validation", text);

	/* Device name too long. */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	m = raw_msg(&r, VFIO_EXT_CMD_DEV_GET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, long_name);
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("Attribute failed policy validation", text);

	/* An attribute this command does not take (beyond its policy). */
	m = raw_msg(&r, VFIO_EXT_CMD_DEV_GET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, DSM_BDF);
	nla_put_u64(m, VFIO_EXT_A_DSM_CALLS, 1);
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("Unknown attribute type", text);

	/* One inside the policy's range but not accepted by the command. */
	m = raw_msg(&r, VFIO_EXT_CMD_DSM_POLICY_SET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, DSM_BDF);
	nla_put_u16(m, VFIO_EXT_A_DEV_VENDOR, 1);
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("Unsupported attribute", text);

	/* Missing attributes. */
	m = raw_msg(&r, VFIO_EXT_CMD_DEV_GET);
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("missing the PCI address (dev-name)", text);
	m = raw_msg(&r, VFIO_EXT_CMD_DSM_POLICY_SET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, DSM_BDF);
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("missing the policy command (dsm-policy)", text);
	m = raw_msg(&r, VFIO_EXT_CMD_PVIOMMU_GET);
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("missing the container id (pviommu-id)", text);

	/* Container id 0 is not an id. */
	m = raw_msg(&r, VFIO_EXT_CMD_PVIOMMU_GET);
	nla_put_u32(m, VFIO_EXT_A_PVIOMMU_ID, 0);
	EXPECT_EQ(-ERANGE, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("integer out of range", text);

	/* A u32 attribute of the wrong size. */
	m = raw_msg(&r, VFIO_EXT_CMD_PVIOMMU_GET);
	nla_put_u16(m, VFIO_EXT_A_PVIOMMU_ID, 1);
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("invalid attribute length", text);

	/* Well-formed, but no such device / bad policy command. */
	m = raw_msg(&r, VFIO_EXT_CMD_DEV_GET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:1f.7");
	EXPECT_EQ(-ENODEV, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("no device with this PCI address is bound to vfio-pci-ext",
		     text);
	m = raw_msg(&r, VFIO_EXT_CMD_DSM_POLICY_SET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, DSM_BDF);
	nla_put_string(m, VFIO_EXT_A_DSM_POLICY, "allow nonsense 1");
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_EQ(0, strncmp(text, "invalid _DSM policy command (allow UUID|* ",
			     42));
	EXPECT_STREQ(POLICY_HELP, text);

	/* Reserved header field set. */
	m = raw_msg(&r, VFIO_EXT_CMD_DEV_GET);
	((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(m)))->reserved = 1;
	EXPECT_EQ(-EINVAL, raw_call(&r, m, text, sizeof(text)));
	EXPECT_STREQ("genlmsghdr.reserved field is not 0", text);

	/* Events are not a command. */
	m = raw_msg(&r, VFIO_EXT_CMD_EVENT);
	EXPECT_EQ(-EOPNOTSUPP, raw_call(&r, m, text, sizeof(text)));
	nl_socket_free(r.sk);
}

/* ------------------------------------------------------------------ */
/* Concurrency                                                         */
/* ------------------------------------------------------------------ */

#define STORM_ROUNDS	60

struct storm_state {
	int bind_errors;
	int opens;
	struct vfioext_nl *ev;
	volatile bool done;	/* the storm threads have finished */
	int ev_opens, ev_closes, ev_lost, ev_gaps, ev_err;
};

static void *storm_binder(void *arg)
{
	struct storm_state *st = arg;
	int i;

	for (i = 0; i < STORM_ROUNDS; i++)
		if (vfioext_pci_unbind(NOACPI_BDF) ||
		    vfioext_pci_bind(NOACPI_BDF, VFIO_EXT_PCI_DRIVER_NAME))
			st->bind_errors++;
	return NULL;
}

static void *storm_opener(void *arg)
{
	struct storm_state *st = arg;
	struct vfio_handles h;
	int i;

	for (i = 0; i < STORM_ROUNDS; i++) {
		vfio_handles_init(&h);
		if (!vfio_open_all(&h, DSM_BDF))
			st->opens++;
		vfio_close_all(&h);
	}
	return NULL;
}

/*
 * A monitor thread's loop: each event to @fn until *@stop is set and a
 * read then times out; overruns counted in *@lost.  0, or the first
 * other error.
 */
static int monitor_events(struct vfioext_nl *ev, volatile bool *stop,
			  int *lost,
			  void (*fn)(const struct vfioext_nl_event *e, void *arg),
			  void *arg)
{
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	int ret;

	for (;;) {
		ret = vfioext_nl_event_read(ev, &e, 1000);
		if (ret == -ETIMEDOUT) {
			if (*stop)
				return 0;
			continue;
		}
		if (ret == -ENOBUFS) {
			(*lost)++;
			continue;
		}
		if (ret)
			return ret;
		fn(&e, arg);
	}
}

struct storm_seq {
	struct storm_state *st;
	uint64_t seq;
	bool first;
};

static void storm_event(const struct vfioext_nl_event *e, void *arg)
{
	struct storm_seq *ss = arg;
	struct storm_state *st = ss->st;

	/* Family-wide sequence: other devices' events count too. */
	if (!ss->first && e->seq != ss->seq + 1)
		st->ev_gaps++;
	ss->first = false;
	ss->seq = e->seq;
	if (strcmp(e->dev, DSM_BDF))
		return;
	st->ev_opens += e->type == VFIO_EXT_EVENT_OPEN;
	st->ev_closes += e->type == VFIO_EXT_EVENT_CLOSE;
}

/* A monitor: reads events while the storm runs, checks their sequence. */
static void *storm_reader(void *arg)
{
	struct storm_state *st = arg;
	struct storm_seq ss = { .st = st, .first = true };

	st->ev_err = monitor_events(st->ev, &st->done, &st->ev_lost,
				    storm_event, &ss);
	return NULL;
}

/*
 * Dumps and gets while a device is unbound and bound again and another is
 * opened and closed: every reply is whole, and the open/close events all
 * arrive, in sequence, none lost.
 */
FIXTURE(storm) {};
FIXTURE_SETUP(storm) {}
FIXTURE_TEARDOWN(storm) {}

TEST_F_TIMEOUT(storm, dumps_during_bind_and_open, 300)
{
	struct vfioext_nl *nl;
	struct vfioext_nl_dev **v, *d = NULL;
	struct storm_state st = { 0 };
	pthread_t binder, opener, reader;
	int dumps = 0, bound, ret;
	char drv[64];
	size_t n, i;

	if (!pci_present(DSM_BDF))
		SKIP(return, NO_PCI_DEVICE, DSM_BDF);
	ASSERT_TRUE(bind_all());
	/* The binder takes one of them away and back: one less at times. */
	bound = drv_bound_count(VFIO_EXT_PCI_DRIVER_NAME);
	ASSERT_LE(3, bound);
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_nl_events_open(&st.ev));
	ASSERT_EQ(0, pthread_create(&reader, NULL, storm_reader, &st));
	ASSERT_EQ(0, pthread_create(&binder, NULL, storm_binder, &st));
	ASSERT_EQ(0, pthread_create(&opener, NULL, storm_opener, &st));
	while (pthread_tryjoin_np(binder, NULL)) {
		ASSERT_EQ(0, vfioext_nl_dev_list(nl, &v, &n, NULL));
		EXPECT_LE(bound - 1, n);
		EXPECT_GE(bound, n);
		for (i = 0; i < n; i++) {
			/* Bound as sysfs says, or the one the binder moves. */
			EXPECT_TRUE(!strcmp(nl_dev_info(v[i]).name, NOACPI_BDF) ||
				    (!link_name(nl_dev_info(v[i]).name, "driver", drv,
						sizeof(drv)) &&
				     !strcmp(drv, VFIO_EXT_PCI_DRIVER_NAME))) {
				TH_LOG("%s listed", nl_dev_info(v[i]).name);
			}
			EXPECT_EQ(0x1234, nl_dev_info(v[i]).vendor);
			EXPECT_EQ(6, nl_dev_info(v[i]).nr_irqs);
			EXPECT_NE(NULL, nl_dev_info(v[i]).dsm_policy);
		}
		vfioext_nl_dev_list_free(v, n);
		ret = vfioext_nl_dev_get(nl, NOACPI_BDF, &d, NULL);
		EXPECT_TRUE(ret == 0 || ret == -ENODEV);
		vfioext_nl_dev_free(d);
		dumps++;
	}
	ASSERT_EQ(0, pthread_join(opener, NULL));
	st.done = true;
	ASSERT_EQ(0, pthread_join(reader, NULL));
	EXPECT_EQ(0, st.bind_errors);
	EXPECT_EQ(STORM_ROUNDS, st.opens);
	EXPECT_LT(0, dumps);
	EXPECT_EQ(0, st.ev_err);
	EXPECT_EQ(0, st.ev_lost);
	EXPECT_EQ(0, st.ev_gaps);
	EXPECT_EQ(STORM_ROUNDS, st.ev_opens);
	EXPECT_EQ(STORM_ROUNDS, st.ev_closes);
	TH_LOG("%d dumps during the storm", dumps);
	vfioext_nl_close(st.ev);
	vfioext_nl_close(nl);
}

/*
 * A pviommu-get dump waits for a container that is busy (here: large
 * MAP_DMAs, seconds of pinning under TCG).  Nobody else may wait with it:
 * VFIO_SET_IOMMU on another container, and its teardown, stay fast.
 */
struct busy_state {
	int container;
	uint8_t *buf;
	size_t len;
	volatile bool stop;
	int maps, errors;
};

#define BUSY_LEN	(128UL << 20)

static void *busy_mapper(void *arg)
{
	struct busy_state *b = arg;

	while (!b->stop) {
		if (dma_map(b->container, b->buf, 0x10000000, b->len, 3) ||
		    dma_unmap(b->container, 0x10000000, b->len) !=
		    (long long)b->len)
			b->errors++;
		else
			b->maps++;
		/* The next pin faults every page in again. */
		madvise(b->buf, b->len, MADV_DONTNEED);
	}
	return NULL;
}

static void *busy_dumper(void *arg)
{
	struct busy_state *b = arg;
	struct vfioext_nl_pviommu **v;
	struct vfioext_nl *nl;
	size_t n;

	if (vfioext_nl_open(&nl))
		return NULL;
	while (!b->stop) {
		if (!vfioext_nl_pviommu_list(nl, &v, &n, NULL))
			vfioext_nl_pviommu_list_free(v, n);
		usleep(1000);
	}
	vfioext_nl_close(nl);
	return NULL;
}

/*
 * The milliseconds VFIO_SET_IOMMU (pviommu) and the container's release
 * take on @bdf's group: the two steps that take vfio-pviommu's global
 * lock.  No device is opened (a PCI reset would dominate).
 */
static long set_iommu_and_release(const char *bdf)
{
	long t0, took;
	char path[32];
	int c, g, ret = 0;

	snprintf(path, sizeof(path), "/dev/vfio/%d",
		 vfioext_pci_iommu_group(bdf));
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	g = open(path, O_RDWR | O_CLOEXEC);
	if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c))
		ret = -1;
	t0 = now_ms();
	if (!ret && ioctl(c, VFIO_SET_IOMMU, VFIO_EXT_PVIOMMU_IOMMU))
		ret = -1;
	/* The group's release takes the container's last reference. */
	if (g >= 0)
		close(g);
	if (c >= 0)
		close(c);
	took = now_ms() - t0;
	return ret ? ret : took;
}

TEST_F_TIMEOUT(storm, pviommu_dump_blocks_no_set_iommu, 120)
{
	struct busy_state b = { 0 };
	struct vfio_handles h;
	char bdf[VFIOEXT_BDF_LEN], other[VFIOEXT_BDF_LEN];
	long t0, map_ms, worst = 0, took;
	pthread_t mapper, dumper;
	int i;

	if (edu_find(EDU_ALONE, bdf) || edu_find_other(EDU_ALONE, bdf, other))
		SKIP(return, "no two edu devices in IOMMU groups of their own");
	ASSERT_EQ(0, vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_pci_bind(other, VFIO_EXT_PCI_DRIVER_NAME));
	vfio_handles_init(&h);
	ASSERT_EQ(0, vfio_open_all_iommu(&h, bdf, VFIO_EXT_PVIOMMU_IOMMU));
	b.container = h.container;
	/* 128 MiB, or 256 where that pins faster than 200 ms. */
	for (b.len = BUSY_LEN; ; b.len *= 2) {
		b.buf = anon_pages(b.len);
		ASSERT_NE(NULL, b.buf);
		/* 4 KiB pages, not yet present: a pin and a mapping each. */
		madvise(b.buf, b.len, MADV_NOHUGEPAGE);
		madvise(b.buf, b.len, MADV_DONTNEED);

		/* How long one MAP_DMA holds the container. */
		t0 = now_ms();
		ASSERT_EQ(0, dma_map(h.container, b.buf, 0x10000000, b.len, 3));
		map_ms = now_ms() - t0;
		ASSERT_EQ((long long)b.len,
			  dma_unmap(h.container, 0x10000000, b.len));
		madvise(b.buf, b.len, MADV_DONTNEED);
		TH_LOG("MAP_DMA of %zu MiB: %ld ms", b.len >> 20, map_ms);
		if (map_ms >= 200 || b.len >= 2 * BUSY_LEN)
			break;
		munmap(b.buf, b.len);
	}
	if (map_ms < 200)
		SKIP(goto out, "MAP_DMA too fast (%ld ms) to see a stall", map_ms);

	ASSERT_EQ(0, pthread_create(&mapper, NULL, busy_mapper, &b));
	ASSERT_EQ(0, pthread_create(&dumper, NULL, busy_dumper, &b));
	usleep(100000);
	for (i = 0; i < 10; i++) {
		took = set_iommu_and_release(other);
		ASSERT_LE(0, took);
		if (took > worst)
			worst = took;
		usleep(50000);
	}
	b.stop = true;
	ASSERT_EQ(0, pthread_join(mapper, NULL));
	ASSERT_EQ(0, pthread_join(dumper, NULL));
	TH_LOG("SET_IOMMU and release of another container: worst %ld ms, %d maps meanwhile",
	       worst, b.maps);
	EXPECT_EQ(0, b.errors);
	EXPECT_LT(0, b.maps);
	/* Its own work only: far less than one MAP_DMA of the busy one. */
	EXPECT_GT(map_ms / 2, worst);
out:
	munmap(b.buf, b.len);
	vfio_close_all(&h);
}

/* ------------------------------------------------------------------ */
/* A dump racing unbind and bind                                       */
/* ------------------------------------------------------------------ */

#define RACE_RULES	16

/* Fill @bdf's _DSM policy: its dev-get message grows past 2 KiB. */
static int bloat_policy(const char *bdf)
{
	char cmd[256];
	int i, f, n;

	if (write_policy(bdf, "clear"))
		return -1;
	for (i = 0; i < RACE_RULES; i++) {
		n = snprintf(cmd, sizeof(cmd),
			     "allow 00000000-0000-4000-8000-0000000000%02x ",
			     i);
		for (f = 0; f <= 40; f += 2)	/* a list of at most 63 */
			n += snprintf(cmd + n, sizeof(cmd) - n, "%s%d",
				      f ? "," : "", f);
		if (write_policy(bdf, cmd))
			return -1;
	}
	return 0;
}

struct raw_dump {
	char names[32][VFIOEXT_BDF_LEN];
	int n;
	bool intr, done;
	int err;
};

/*
 * Read one batch of a dev-get dump from @fd into @d.  A page: the kernel
 * sizes the next batches by the largest read (one device each here).
 */
static int raw_dump_batch(int fd, struct raw_dump *d)
{
	static char buf[4096];
	struct nlmsghdr *h;
	struct nlattr *tb[VFIO_EXT_A_MAX + 1];
	ssize_t n;
	int left;

	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return -1;
	left = (int)n;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
	     h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			d->intr = true;
		if (h->nlmsg_type == NLMSG_DONE) {
			d->done = true;
			continue;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			d->err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			d->done = true;
			continue;
		}
		if (genlmsg_parse(h, 0, tb, VFIO_EXT_A_MAX, NULL) ||
		    !tb[VFIO_EXT_A_DEV_NAME] || d->n == 32)
			return -1;
		snprintf(d->names[d->n++], VFIOEXT_BDF_LEN, "%s",
			 (char *)nla_data(tb[VFIO_EXT_A_DEV_NAME]));
	}
	return 0;
}

static int names_count(const struct raw_dump *d, const char *bdf)
{
	int i, c = 0;

	for (i = 0; i < d->n; i++)
		c += !strcmp(d->names[i], bdf);
	return c;
}

static void race_teardown(void)
{
	write_policy(DSM_BDF, "reset");
	write_policy(NODSM_BDF, "reset");
	write_policy(NOACPI_BDF, "reset");
}

/*
 * A dump that a rebind races neither skips nor repeats a device silently:
 * after the first batch, every device is unbound and bound again.  Either
 * the dump is marked NLM_F_DUMP_INTR, or it lists each device once.
 */
TEST(dump_races_rebind)
{
	const char * const bdfs[] = { DSM_BDF, NODSM_BDF, NOACPI_BDF };
	struct raw_dump d = { 0 };
	struct nl_msg *m;
	struct raw r;
	unsigned int i;
	int fd;

	ASSERT_TRUE(bind_all());
	for (i = 0; i < ARRAY_SIZE(bdfs); i++)
		ASSERT_EQ(0, bloat_policy(bdfs[i]));
	ASSERT_EQ(0, raw_open(&r));
	/*
	 * A socket that never received: the first batch is the kernel's
	 * default size (a page), later ones as large as our reads.
	 */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	ASSERT_LE(0, fd);
	m = raw_msg(&r, VFIO_EXT_CMD_DEV_GET);
	nlmsg_hdr(m)->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlmsg_hdr(m)->nlmsg_seq = 1;
	ASSERT_EQ((ssize_t)nlmsg_hdr(m)->nlmsg_len,
		  send(fd, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len, 0));
	nlmsg_free(m);
	ASSERT_EQ(0, raw_dump_batch(fd, &d));
	if (d.done) {
		close(fd);
		nl_socket_free(r.sk);
		race_teardown();
		ASSERT_EQ(0, d.err);
		SKIP(return, "the whole dump (%d devices) fitted in one batch",
		     d.n);
	}
	ASSERT_LT(0, d.n);
	/*
	 * Receiving a batch has the kernel fill the next one: batch 2 is
	 * made, the rest is not.  Rebind all three, those missing from
	 * batch 1 first: one of them is in no batch made yet, and a reused
	 * registry id (the lowest free) would put it before the dump's
	 * position, a fresh one after it.
	 */
	for (i = 0; i < ARRAY_SIZE(bdfs); i++)
		ASSERT_EQ(0, vfioext_pci_unbind(bdfs[i]));
	for (i = 0; i < ARRAY_SIZE(bdfs); i++)
		if (!names_count(&d, bdfs[i]))
			ASSERT_EQ(0, vfioext_pci_bind(bdfs[i],
						      VFIO_EXT_PCI_DRIVER_NAME));
	for (i = 0; i < ARRAY_SIZE(bdfs); i++)
		if (names_count(&d, bdfs[i]))
			ASSERT_EQ(0, vfioext_pci_bind(bdfs[i],
						      VFIO_EXT_PCI_DRIVER_NAME));
	while (!d.done)
		ASSERT_EQ(0, raw_dump_batch(fd, &d));
	EXPECT_EQ(0, d.err);
	for (i = 0; !d.intr && i < ARRAY_SIZE(bdfs); i++) {
		EXPECT_EQ(1, names_count(&d, bdfs[i])) {
			TH_LOG("%s (rebound) listed %d times, no NLM_F_DUMP_INTR",
			       bdfs[i], names_count(&d, bdfs[i]));
		}
	}
	TH_LOG("%d devices listed, NLM_F_DUMP_INTR %s", d.n,
	       d.intr ? "set" : "not set");
	close(fd);
	nl_socket_free(r.sk);
	race_teardown();
}

struct unbind_state {
	const char *bdf;
	int ret;
	volatile bool finished;
};

static void *unbinder(void *arg)
{
	struct unbind_state *u = arg;

	u->ret = vfioext_pci_unbind(u->bdf);
	u->finished = true;
	return NULL;
}

/*
 * A device stays listed while a user still has it open, even while it is
 * being unbound (remove waits for the last close): listed from probe
 * until after the last close.
 */
TEST(listed_until_last_close)
{
	struct unbind_state u = { .bdf = DSM_BDF };
	struct vfio_handles h;
	struct vfioext_nl_dev *d = NULL;
	struct vfioext_nl *nl;
	pthread_t t;
	int ret;

	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	vfio_handles_init(&h);
	ASSERT_EQ(0, vfio_open_all(&h, DSM_BDF));
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, pthread_create(&t, NULL, unbinder, &u));
	usleep(500000);
	EXPECT_FALSE(u.finished);
	ret = vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL);
	EXPECT_EQ(0, ret) {
		TH_LOG("open device unlisted during its unbind: %d", ret);
	}
	if (!ret) {
		EXPECT_EQ(1, nl_dev_info(d).open);
		vfioext_nl_dev_free(d);
	}
	vfio_close_all(&h);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, u.ret);
	EXPECT_EQ(-ENODEV, vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL));
	vfioext_nl_close(nl);
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
}

/* ------------------------------------------------------------------ */
/* Loopback floods                                                     */
/* ------------------------------------------------------------------ */

struct flood_state {
	struct vfioext_device *dv;
	volatile bool stop;
	long sent, refused, errors;
	/* reader */
	struct vfioext_nl *ev;
	const char *victim;
	int victim_seen[256];
	int overruns, err;
};

static void *flooder(void *arg)
{
	struct flood_state *s = arg;
	int ret;

	while (!s->stop) {
		ret = vfioext_acpi_notify_test(s->dv, 0x42);
		if (!ret)
			s->sent++;
		else if (ret == -EAGAIN)
			s->refused++;
		else
			s->errors++;
	}
	return NULL;
}

static void flood_event(const struct vfioext_nl_event *e, void *arg)
{
	struct flood_state *s = arg;

	if (e->type == VFIO_EXT_EVENT_ACPI_NOTIFY &&
	    !strcmp(e->dev, s->victim) && e->value < 256)
		s->victim_seen[e->value]++;
}

static void *flood_reader(void *arg)
{
	struct flood_state *s = arg;

	s->err = monitor_events(s->ev, &s->stop, &s->overruns, flood_event, s);
	return NULL;
}

#define FLOOD_VICTIM_EVENTS	40

/*
 * One device user floods loopbacks: it is refused (EAGAIN, counted) once
 * its device's credit is spent, and a listener still receives every event
 * of another device.
 */
TEST_F_TIMEOUT(storm, loopback_flood_spares_others, 120)
{
	struct vfioext_container *c1 = NULL, *c2 = NULL;
	struct vfioext_group *g1 = NULL, *g2 = NULL;
	struct vfioext_device *victim = NULL;
	struct flood_state s = { .victim = NODSM_BDF };
	pthread_t fl, rd;
	struct vfioext_nl_dev *d = NULL;
	struct vfioext_nl *nl;
	uint64_t refused0;
	int i, missing = 0;

	ASSERT_TRUE(bind_all());
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL));
	refused0 = nl_dev_info(d).notify_loopback_refused;
	vfioext_nl_dev_free(d);
	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c1, &g1,
					 &s.dv));
	ASSERT_EQ(0, vfioext_open_device(NODSM_BDF, VFIO_TYPE1v2_IOMMU, &c2,
					 &g2, &victim));
	ASSERT_EQ(0, vfioext_nl_events_open(&s.ev));
	ASSERT_EQ(0, pthread_create(&rd, NULL, flood_reader, &s));
	ASSERT_EQ(0, pthread_create(&fl, NULL, flooder, &s));
	for (i = 1; i <= FLOOD_VICTIM_EVENTS; i++) {
		usleep(50000);
		EXPECT_EQ(0, vfioext_acpi_notify_test(victim, i));
	}
	usleep(200000);
	s.stop = true;
	ASSERT_EQ(0, pthread_join(fl, NULL));
	ASSERT_EQ(0, pthread_join(rd, NULL));
	for (i = 1; i <= FLOOD_VICTIM_EVENTS; i++)
		missing += s.victim_seen[i] != 1;
	TH_LOG("flood: %ld loopbacks, %ld refused; %d overruns, %d of %d victim events lost",
	       s.sent, s.refused, s.overruns, missing, FLOOD_VICTIM_EVENTS);
	EXPECT_EQ(0, s.err);
	EXPECT_EQ(0, s.errors);
	EXPECT_EQ(0, s.overruns);
	EXPECT_EQ(0, missing);
	EXPECT_LT(0, s.refused);

	/* Refusals are counted, for the device's administrator. */
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL));
	EXPECT_EQ((uint64_t)s.refused, nl_dev_info(d).notify_loopback_refused - refused0);
	vfioext_nl_dev_free(d);
	vfioext_nl_close(nl);
	vfioext_nl_close(s.ev);
	vfioext_device_close(victim);
	vfioext_group_close(g2);
	vfioext_container_close(c2);
	vfioext_device_close(s.dv);
	vfioext_group_close(g1);
	vfioext_container_close(c1);
}

/* ------------------------------------------------------------------ */
/* The CLI                                                             */
/* ------------------------------------------------------------------ */

/* Run @cmd, parse all of its output as one JSON value; exit status out. */
static struct json *run_json(const char *cmd, int *status)
{
	static char out[65536];
	struct json *j;
	size_t n;
	FILE *f;
	int st;

	f = popen(cmd, "r");
	if (!f)
		return NULL;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	else if (!WIFEXITED(st) || WEXITSTATUS(st))
		return NULL;
	j = json_parse(out);
	return j;
}

/*
 * @cmd fails: exit status 1, and on stdout one JSON object with exactly
 * "error" (@what), "errno" (@err) and "message" (@msg).
 */
static void check_cli_error(struct __test_metadata *_metadata,
			    const char *cmd, const char *what, int err,
			    const char *msg)
{
	char line[512];
	struct json *j;
	uint64_t u;
	int st;

	snprintf(line, sizeof(line), "%s 2>/dev/null", cmd);
	j = run_json(line, &st);
	ASSERT_NE(NULL, j) {
		TH_LOG("%s: no JSON", cmd);
	}
	EXPECT_EQ(1, st);
	EXPECT_EQ(JSON_OBJ, j->type);
	EXPECT_EQ(3, j->n);
	EXPECT_STREQ(what, json_str(j, "error"));
	EXPECT_TRUE(json_u64(j, "errno", &u) && u == (uint64_t)err) {
		TH_LOG("%s: errno", cmd);
	}
	EXPECT_STREQ(msg, json_str(j, "message"));
	json_free(j);
}

/* dev show -j against the library's view and sysfs, field by field. */
TEST(cli_dev_json)
{
	struct vfioext_nl_dev *d = NULL;
	struct vfioext_nl *nl;
	const struct json *x;
	struct json *j;
	char buf[4096];
	uint64_t u;
	bool b;
	unsigned int i;

	if (access(CLI, X_OK))
		SKIP(return, "vfio-ext CLI not in the guest (vmrun --file)");
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, DSM_BDF, &d, NULL));

	j = run_json(CLI " -j dev show " SH_DSM_BDF, NULL);
	ASSERT_NE(NULL, j);
	EXPECT_STREQ(DSM_BDF, json_str(j, "device"));
	ASSERT_LT(0, sysfs_line(DSM_BDF, "vendor", buf, sizeof(buf)));
	EXPECT_STREQ(buf + 2, json_str(j, "vendor"));		/* "0x1234" */
	ASSERT_LT(0, sysfs_line(DSM_BDF, "device", buf, sizeof(buf)));
	EXPECT_STREQ(buf + 2, json_str(j, "device_id"));
	ASSERT_EQ(0, link_name(DSM_BDF, "iommu_group", buf, sizeof(buf)));
	EXPECT_TRUE(json_u64(j, "iommu_group", &u) && u == strtoull(buf, NULL, 10));
	EXPECT_STREQ(VFIO_EXT_PCI_DRIVER_NAME, json_str(j, "driver"));
	EXPECT_TRUE(json_bool(j, "open", &b) && !b);
	EXPECT_EQ(NULL, json_get(j, "opener_pid"));
	EXPECT_EQ(NULL, json_get(j, "kvm_pid"));
	ASSERT_LT(0, sysfs_line(DSM_BDF, "firmware_node/path", buf, sizeof(buf)));
	EXPECT_STREQ(buf, json_str(j, "acpi_path"));
	ASSERT_EQ((long)nl_dev_info(d).nr_regions, json_len(j, "regions"));
	for (i = 0; i < nl_dev_info(d).nr_regions; i++) {
		char path[32];

		snprintf(path, sizeof(path), "regions.%u", i);
		x = json_get(j, path);
		EXPECT_TRUE(json_u64(x, "index", &u) && u == nl_dev_region(d, i).index);
		EXPECT_TRUE(json_u64(x, "size", &u) && u == nl_dev_region(d, i).size);
		EXPECT_TRUE(json_u64(x, "flags", &u) && u == nl_dev_region(d, i).flags);
	}
	EXPECT_STREQ("bar0", json_str(j, "regions.0.name"));
	EXPECT_TRUE(json_u64(j, "regions.0.size", &u) && u == 0x100000);
	ASSERT_EQ((long)nl_dev_info(d).nr_irqs, json_len(j, "irqs"));
	for (i = 0; i < nl_dev_info(d).nr_irqs; i++) {
		char path[32];

		snprintf(path, sizeof(path), "irqs.%u", i);
		x = json_get(j, path);
		EXPECT_TRUE(json_u64(x, "index", &u) && u == i);
		EXPECT_TRUE(json_u64(x, "count", &u) && u == nl_dev_irq(d, i).count);
	}
	EXPECT_STREQ("acpi-notify", json_str(j, "irqs.5.name"));
	ASSERT_LT(0, read_sysfs(DSM_BDF, "vfio_ext/dsm_policy", buf, sizeof(buf)));
	EXPECT_STREQ(buf, json_str(j, "dsm.policy"));
	EXPECT_TRUE(json_u64(j, "dsm.calls", &u) &&
		    (long)u == read_counter(DSM_BDF, "dsm_calls"));
	EXPECT_TRUE(json_u64(j, "dsm.denied", &u) &&
		    (long)u == read_counter(DSM_BDF, "dsm_denied"));
	EXPECT_TRUE(json_bool(j, "notify.handler", &b) && !b);
	EXPECT_TRUE(json_u64(j, "notify.count", &u) && u == nl_dev_info(d).notify_count);
	ASSERT_LT(0, sysfs_line(DSM_BDF, "power_state", buf, sizeof(buf)));
	EXPECT_STREQ(buf, json_str(j, "power.state"));
	ASSERT_LT(0, sysfs_line(DSM_BDF, "power/runtime_status", buf, sizeof(buf)));
	EXPECT_STREQ(buf, json_str(j, "power.runtime"));
	EXPECT_TRUE(json_bool(j, "power.low_power", &b) && !b);
	json_free(j);
	vfioext_nl_dev_free(d);

	/* -p: the same document, indented. */
	j = run_json(CLI " -j -p dev list", NULL);
	ASSERT_NE(NULL, j);
	EXPECT_LE(1, json_len(j, ""));
	for (i = 0; i < (unsigned int)json_len(j, ""); i++) {
		char path[32];

		snprintf(path, sizeof(path), "%u.device", i);
		if (!strcmp(json_str(j, path), DSM_BDF))
			break;
	}
	EXPECT_LT(i, (unsigned int)json_len(j, ""));
	json_free(j);

	/*
	 * Errors: exit 1 and a JSON error object of one shape for every
	 * command (the kernel's message when it gave one, else the CLI's
	 * text for that command's errno); usage errors exit 2.
	 */
	check_cli_error(_metadata, CLI " -j dev show 0000:00:1f.7", "dev show",
			ENODEV,
			"no device with this PCI address is bound to vfio-pci-ext");
	check_cli_error(_metadata, CLI " dev dsm-policy " SH_DSM_BDF " frobnicate -j",
			"dev dsm-policy", EINVAL, POLICY_HELP);
	check_cli_error(_metadata, CLI " dev bind 0000:00:1f.7 -j", "dev bind",
			ENODEV, "no such PCI device");
	EXPECT_EQ(2, WEXITSTATUS(system(CLI " dev show nonsense 2>/dev/null")));
	EXPECT_EQ(2, WEXITSTATUS(system(CLI " frobnicate 2>/dev/null")));
	EXPECT_EQ(2, WEXITSTATUS(system(CLI " dev list --bogus 2>/dev/null")));
	EXPECT_EQ(2, WEXITSTATUS(system(CLI " -x dev list 2>/dev/null")));
	EXPECT_EQ(2, WEXITSTATUS(system(CLI " dev list extra 2>/dev/null")));

	/* The common options go after the command too, -j and -p combined. */
	j = run_json(CLI " dev show " SH_DSM_BDF " -j", NULL);
	ASSERT_NE(NULL, j);
	EXPECT_STREQ(DSM_BDF, json_str(j, "device"));
	json_free(j);
	j = run_json(CLI " dev -jp list", NULL);
	ASSERT_NE(NULL, j);
	EXPECT_LE(1, json_len(j, ""));
	json_free(j);

	vfioext_nl_close(nl);
}

/*
 * `vfio-ext -j monitor ARGS -t 20`, once it says (on stderr) that it is
 * subscribed; NULL if it does not within 5 s.  Its pid is in
 * /tmp/monitor.pid (monitor_pid()).
 */
static FILE *monitor_start(const char *args)
{
	char cmd[256], err[256] = "";
	FILE *f;
	int k;

	unlink("/tmp/monitor.err");
	snprintf(cmd, sizeof(cmd),
		 "echo $$ >/tmp/monitor.pid; exec " CLI
		 " -j monitor %s -t 20 2>/tmp/monitor.err", args);
	f = popen(cmd, "r");
	if (!f)
		return NULL;
	for (k = 0; k < 100 && !strstr(err, "monitoring"); k++) {
		int fd = open("/tmp/monitor.err", O_RDONLY);
		ssize_t n = fd < 0 ? 0 : read(fd, err, sizeof(err) - 1);

		if (fd >= 0)
			close(fd);
		err[n > 0 ? n : 0] = '\0';
		usleep(50000);
	}
	if (!strstr(err, "monitoring")) {
		pclose(f);
		return NULL;
	}
	return f;
}

/* The pid of the monitor monitor_start() started, 0 if unknown. */
static pid_t monitor_pid(void)
{
	FILE *f = fopen("/tmp/monitor.pid", "r");
	int pid = 0;

	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/*
 * monitor -j: one JSON object per line, every field checked.  The events
 * filtered out leave gaps in the sequence numbers that are not losses: no
 * {"lost": N} object comes between the three events.
 */
TEST(cli_monitor_json)
{
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *dv = NULL;
	char line[1024];
	static const char * const names[] = { "open", "acpi-notify", "close" };
	uint64_t u, seq = 0;
	struct json *j;
	unsigned int i;
	bool b;
	FILE *f;
	int k;

	if (access(CLI, X_OK))
		SKIP(return, "vfio-ext CLI not in the guest (vmrun --file)");
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	/* Power transitions interleave (power_events): filtered out. */
	f = monitor_start("-e open,acpi-notify,close -d " SH_DSM_BDF " -n 3");
	ASSERT_NE(NULL, f);

	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g,
					 &dv));
	k = vfioext_acpi_notify_open(dv, 0);
	ASSERT_LE(0, k);
	ASSERT_EQ(0, vfioext_acpi_notify_test(dv, 0x33));
	close(k);
	vfioext_device_close(dv);
	vfioext_group_close(g);
	vfioext_container_close(c);

	for (i = 0; i < 3; i++) {
		ASSERT_NE(NULL, fgets(line, sizeof(line), f));
		j = json_parse(line);
		ASSERT_NE(NULL, j) {
			TH_LOG("not JSON: %s", line);
		}
		EXPECT_STREQ(names[i], json_str(j, "event"));
		EXPECT_STREQ(DSM_BDF, json_str(j, "device"));
		ASSERT_TRUE(json_u64(j, "seq", &u));
		/* Power events between them were filtered: increasing. */
		if (i)
			EXPECT_LT(seq, u);
		seq = u;
		EXPECT_TRUE(json_u64(j, "timestamp_ns", &u) && u > 0);
		if (i == 0)
			EXPECT_TRUE(json_u64(j, "pid", &u) &&
				    u == (uint64_t)getpid());
		if (i == 1) {
			EXPECT_TRUE(json_u64(j, "value", &u) && u == 0x33);
			EXPECT_TRUE(json_bool(j, "loopback", &b) && b);
		}
		json_free(j);
	}
	EXPECT_EQ(0, pclose(f));
}

/*
 * Run @cmd (stderr to /tmp/cli.err): its exit status, what it printed on
 * stdout in @out and on stderr in @err.
 */
static int run_capture(const char *cmd, char *out, size_t olen, char *err,
		       size_t elen)
{
	char line[512];
	size_t n;
	FILE *f;
	int st, fd;
	ssize_t m;

	snprintf(line, sizeof(line), "%s 2>/tmp/cli.err", cmd);
	f = popen(line, "r");
	if (!f)
		return -1;
	n = fread(out, 1, olen - 1, f);
	out[n] = '\0';
	st = pclose(f);
	fd = open("/tmp/cli.err", O_RDONLY);
	m = fd < 0 ? 0 : read(fd, err, elen - 1);
	err[m > 0 ? m : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Usage errors exit 2 with a message on stderr and nothing on stdout, even
 * with -j: empty -e lists and names, an empty _DSM revision or function.
 */
TEST(cli_usage_errors)
{
	static const struct {
		const char *cmd, *msg;
	} cases[] = {
		{ CLI " -j monitor -e ''", "empty event name in -e ''" },
		{ CLI " -j monitor -e ,", "empty event name in -e ','" },
		{ CLI " -j monitor -e open,,close", "empty event name" },
		{ CLI " -j monitor -e open -e frob", "unknown event 'frob'" },
		{ CLI " -j dsm -r '' " SH_DSM_BDF " " TEST_UUID " 0",
		  "bad revision ''" },
		{ CLI " -j dsm " SH_DSM_BDF " " TEST_UUID " ''",
		  "bad function ''" },
	};
	char out[4096], err[1024];
	unsigned int i;

	if (access(CLI, X_OK))
		SKIP(return, "vfio-ext CLI not in the guest (vmrun --file)");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(2, run_capture(cases[i].cmd, out, sizeof(out), err,
					 sizeof(err))) {
			TH_LOG("%s", cases[i].cmd);
		}
		EXPECT_STREQ("", out);
		EXPECT_NE(NULL, strstr(err, cases[i].msg)) {
			TH_LOG("%s: stderr '%s'", cases[i].cmd, err);
		}
	}
	/* Every event name the library has is listed as valid. */
	EXPECT_EQ(2, run_capture(CLI " monitor -e ''", out, sizeof(out), err,
				 sizeof(err)));
	for (i = VFIO_EXT_EVENT_ACPI_NOTIFY; i <= VFIO_EXT_EVENT_IOMMU_FAULT; i++)
		EXPECT_NE(NULL, strstr(err, vfioext_nl_event_name(i)));
}

/* Loopback ACPI notifications from a child for @ms ms, @every_ms apart. */
static pid_t notify_child(long ms, long every_ms)
{
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *dv = NULL;
	pid_t pid = fork();
	long t0;
	int ch, n = 0;

	if (pid)
		return pid;
	if (vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g, &dv))
		_exit(2);
	ch = vfioext_acpi_notify_open(dv, 0);
	if (ch < 0)
		_exit(3);
	t0 = now_ms();
	while (now_ms() - t0 < ms) {
		if (vfioext_acpi_notify_test(dv, 0x41))
			_exit(4);
		n++;
		usleep(every_ms * 1000);
	}
	_exit(n > 0 ? 0 : 5);
}

/*
 * -t counts the time without a printed event: events that keep arriving
 * but are filtered out do not extend it.  Then -n not reached is a
 * failure of the common shape (JSON error object, ETIMEDOUT).
 */
TEST(cli_monitor_timeout)
{
	long t0, took;
	pid_t child;
	int st;

	if (access(CLI, X_OK))
		SKIP(return, "vfio-ext CLI not in the guest (vmrun --file)");
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	check_cli_error(_metadata,
			CLI " -j monitor -e iommu-fault -d 0000:00:1f.7 -n 1 -t 1",
			"monitor", ETIMEDOUT, "timed out after 0 of 1 events");

	/* acpi-notify every 50 ms for 6 s; the monitor waits for a fault. */
	child = notify_child(6000, 50);
	ASSERT_LT(0, child);
	usleep(300000);
	t0 = now_ms();
	check_cli_error(_metadata, CLI " -j monitor -e iommu-fault -n 1 -t 2",
			"monitor", ETIMEDOUT, "timed out after 0 of 1 events");
	took = now_ms() - t0;
	ASSERT_EQ(child, waitpid(child, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		TH_LOG("notification child: status 0x%x", st);
	}
	/* 2 s after the start, not after the notifications stopped (6 s). */
	EXPECT_LE(1900, took);
	EXPECT_GT(4500, took) {
		TH_LOG("-t 2 took %ld ms while filtered events arrived", took);
	}
}

/*
 * A real loss in JSON: the monitor stopped (SIGSTOP) while thousands of
 * notifications arrive overruns its socket.  Once it runs again it says
 * {"lost": null} for the overrun and {"lost": N} for the gap it sees
 * before the close event it waits for; nothing else but that event (the
 * notifications are filtered out).
 */
TEST(cli_monitor_json_lost)
{
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *dv = NULL;
	uint64_t u, lost = 0;
	char line[1024];
	int k, i, nulls = 0;
	bool closed = false;
	struct json *j;
	pid_t pid;
	FILE *f;

	if (access(CLI, X_OK))
		SKIP(return, "vfio-ext CLI not in the guest (vmrun --file)");
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	f = monitor_start("-e close -d " SH_DSM_BDF " -n 1");
	ASSERT_NE(NULL, f);
	pid = monitor_pid();
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGSTOP));

	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g,
					 &dv));
	k = vfioext_acpi_notify_open(dv, 0);
	ASSERT_LE(0, k);
	/*
	 * Past the device's burst, loopbacks are refused (EAGAIN) until its
	 * credit refills: 4000 get through in about 4 s, more than the
	 * stopped monitor's socket holds (2 MiB at most).
	 */
	for (i = 0; i < 4000;) {
		int ret = vfioext_acpi_notify_test(dv, 0x42);

		if (ret == -EAGAIN) {
			usleep(1000);
			continue;
		}
		ASSERT_EQ(0, ret);
		i++;
	}
	close(k);
	vfioext_device_close(dv);
	vfioext_group_close(g);
	vfioext_container_close(c);
	usleep(200000);		/* the kernel's work item sends them */
	ASSERT_EQ(0, kill(pid, SIGCONT));
	/* The close above may have been lost too: one more, once drained. */
	usleep(1000000);
	c = NULL;
	g = NULL;
	dv = NULL;
	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g,
					 &dv));
	vfioext_device_close(dv);
	vfioext_group_close(g);
	vfioext_container_close(c);

	for (i = 0; i < 16 && !closed && fgets(line, sizeof(line), f); i++) {
		const struct json *x;

		j = json_parse(line);
		ASSERT_NE(NULL, j) {
			TH_LOG("not JSON: %s", line);
		}
		x = json_get(j, "lost");
		if (x) {
			EXPECT_EQ(1, j->n);
			if (x->type == JSON_NULL) {
				nulls++;
			} else {
				EXPECT_TRUE(json_u64(j, "lost", &u) && u > 0);
				lost += u;
			}
		} else {
			EXPECT_STREQ("close", json_str(j, "event"));
			closed = true;
		}
		json_free(j);
	}
	EXPECT_TRUE(closed);
	EXPECT_LT(0, lost);
	EXPECT_GE(1, nulls);
	TH_LOG("%llu events lost, %d overrun(s) reported",
	       (unsigned long long)lost, nulls);
	EXPECT_EQ(0, pclose(f));
}

/* ------------------------------------------------------------------ */
/* pviommu containers                                                  */
/* ------------------------------------------------------------------ */

TEST(pviommu_dump)
{
	struct vfio_ext_pviommu_domain dom = { .argsz = sizeof(dom) };
	struct vfio_ext_pviommu_attach at = { .argsz = sizeof(at) };
	struct vfioext_nl_pviommu **v, *one = NULL;
	const struct vfioext_nl_pviommu *p;
	uint8_t *buf = anon_pages(3 * 4096);
	struct vfio_handles h;
	struct vfioext_nl *nl;
	char bdf[VFIOEXT_BDF_LEN];
	size_t n;

	if (edu_find(EDU_ALONE, bdf))
		SKIP(return, "no edu device on this machine");
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_nl_pviommu_list(nl, &v, &n, NULL));
	EXPECT_EQ(NULL, pviommu_by_owner(v, n, getpid()));
	vfioext_nl_pviommu_list_free(v, n);

	vfio_handles_init(&h);
	ASSERT_EQ(0, vfio_open_all_iommu(&h, bdf, VFIO_EXT_PVIOMMU_IOMMU));
	ASSERT_EQ(0, dma_map(h.container, buf, 0x100000, 4096, 3));
	ASSERT_EQ(0, dma_map(h.container, buf + 4096, 0x200000, 2 * 4096, 3));
	EXPECT_NE(0, dma_map(h.container, buf, 0x100000, 4096, 3)); /* overlap */
	EXPECT_EQ(4096, dma_unmap(h.container, 0x100000, 4096));
	EXPECT_GT(0, dma_unmap(h.container, 0x200000, 4096));  /* splits one */
	ASSERT_EQ(0, ioctl(h.container, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &dom));
	at.group = h.group_id;
	at.vsid = 42;
	at.domain = dom.id;
	ASSERT_EQ(0, ioctl(h.container, VFIO_EXT_PVIOMMU_ATTACH, &at));

	ASSERT_EQ(0, vfioext_nl_pviommu_list(nl, &v, &n, NULL));
	p = pviommu_by_owner(v, n, getpid());
	ASSERT_NE(NULL, p);
	EXPECT_NE(0, nl_pv_info(p).id);
	EXPECT_EQ(1, nl_pv_info(p).mappings);
	EXPECT_EQ(1, nl_pv_info(p).def_mappings);
	EXPECT_EQ(2, nl_pv_info(p).pinned);
	EXPECT_EQ(3, nl_pv_info(p).map_reqs);
	EXPECT_EQ(1, nl_pv_info(p).map_failed);
	EXPECT_EQ(2, nl_pv_info(p).unmap_reqs);
	EXPECT_EQ(1, nl_pv_info(p).unmap_failed);
	EXPECT_LT(0, nl_pv_info(p).dma_limit);
	ASSERT_EQ(1, nl_pv_info(p).nr_endpoints);
	EXPECT_EQ((uint32_t)h.group_id, nl_pv_ep(p, 0).group);
	EXPECT_STREQ(bdf, nl_pv_ep(p, 0).dev);
	EXPECT_EQ(1, nl_pv_ep(p, 0).has_vsid);
	EXPECT_EQ(42, nl_pv_ep(p, 0).vsid);
	EXPECT_EQ(dom.id, nl_pv_ep(p, 0).domain);
	ASSERT_EQ(1, nl_pv_info(p).nr_domains);
	EXPECT_EQ(dom.id, nl_pv_dom(p, 0).id);
	EXPECT_EQ(0, nl_pv_dom(p, 0).mappings);
	EXPECT_EQ(1, nl_pv_dom(p, 0).endpoints);

	/* The CLI's JSON, field by field. */
	if (!access(CLI, X_OK)) {
		struct json *j = run_json(CLI " -j pviommu show", NULL);
		const struct json *c = NULL;
		uint64_t u;
		long i;

		ASSERT_NE(NULL, j);
		for (i = 0; i < json_len(j, ""); i++) {
			char path[32];

			snprintf(path, sizeof(path), "%ld", i);
			if (json_u64(json_get(j, path), "owner_pid", &u) &&
			    u == (uint64_t)getpid())
				c = json_get(j, path);
		}
		ASSERT_NE(NULL, c);
		EXPECT_TRUE(json_u64(c, "id", &u) && u == nl_pv_info(p).id);
		EXPECT_TRUE(json_u64(c, "mappings", &u) && u == 1);
		EXPECT_TRUE(json_u64(c, "pinned_pages", &u) && u == 2);
		EXPECT_TRUE(json_u64(c, "counters.map", &u) && u == 3);
		EXPECT_TRUE(json_u64(c, "counters.map_failed", &u) && u == 1);
		EXPECT_TRUE(json_u64(c, "counters.unmap", &u) && u == 2);
		EXPECT_TRUE(json_u64(c, "counters.unmap_failed", &u) && u == 1);
		EXPECT_EQ(1, json_len(c, "endpoints"));
		EXPECT_TRUE(json_u64(c, "endpoints.0.group", &u) &&
			    u == (uint64_t)h.group_id);
		EXPECT_TRUE(json_u64(c, "endpoints.0.vsid", &u) && u == 42);
		EXPECT_TRUE(json_u64(c, "endpoints.0.domain", &u) &&
			    u == dom.id);
		EXPECT_STREQ(bdf, json_str(c, "endpoints.0.device"));
		EXPECT_TRUE(json_u64(c, "domains.0.id", &u) && u == dom.id);
		EXPECT_TRUE(json_u64(c, "domains.0.endpoints", &u) && u == 1);
		json_free(j);
	}

	/* get by id reports the same container. */
	ASSERT_EQ(0, vfioext_nl_pviommu_get(nl, nl_pv_info(p).id, &one, NULL));
	EXPECT_EQ(nl_pv_info(p).id, nl_pv_info(one).id);
	EXPECT_EQ(nl_pv_info(p).owner_pid, nl_pv_info(one).owner_pid);
	EXPECT_EQ(nl_pv_info(p).pinned, nl_pv_info(one).pinned);
	EXPECT_EQ(1, nl_pv_info(one).nr_endpoints);
	vfioext_nl_pviommu_free(one);
	vfioext_nl_pviommu_list_free(v, n);

	vfio_close_all(&h);
	ASSERT_EQ(0, vfioext_nl_pviommu_list(nl, &v, &n, NULL));
	EXPECT_EQ(NULL, pviommu_by_owner(v, n, getpid()));
	vfioext_nl_pviommu_list_free(v, n);
	EXPECT_EQ(-ENOENT, vfioext_nl_pviommu_get(nl, 0x7fffffff, &one, NULL));
	vfioext_nl_close(nl);
}

#define FAULT_FILE "/sys/kernel/debug/vfio_ext_bench/fault"

/* Report a DMA fault of @bdf to the IOMMU core (vfio-pviommu-bench). */
static int report_fault(const char *bdf, uint64_t iova, char dir)
{
	char buf[64];
	int fd, n, ret = 0;

	fd = open(FAULT_FILE, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%s %llx %c", bdf,
		     (unsigned long long)iova, dir);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

static uint64_t ctr_faults(struct __test_metadata *_metadata,
			   struct vfioext_nl *nl)
{
	const struct vfioext_nl_pviommu *p;
	struct vfioext_nl_pviommu **v;
	uint64_t faults = UINT64_MAX;
	size_t n;

	if (vfioext_nl_pviommu_list(nl, &v, &n, NULL))
		return UINT64_MAX;
	p = pviommu_by_owner(v, n, getpid());
	if (p)
		faults = nl_pv_info(p).faults;
	vfioext_nl_pviommu_list_free(v, n);
	return faults;
}

/*
 * A DMA fault the IOMMU driver reports in a pviommu container's domain is
 * an event with the container, the guest domain, the address and the
 * direction, and counted; in a type1 container's domain nobody listens.
 */
TEST(iommu_fault_events)
{
	struct vfio_ext_pviommu_domain dom = { .argsz = sizeof(dom) };
	struct vfio_ext_pviommu_attach at = { .argsz = sizeof(at) };
	const struct vfioext_nl_pviommu *p;
	struct vfioext_nl_pviommu **v;
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	struct vfioext_nl *ev, *nl;
	struct vfio_handles h;
	char bdf[VFIOEXT_BDF_LEN];
	FILE *mon = NULL;
	uint32_t id;
	size_t n;

	if (edu_find(EDU_ALONE, bdf))
		SKIP(return, "no edu device on this machine");
	if (access(FAULT_FILE, W_OK))
		SKIP(return, "vfio-pviommu-bench (fault reports) not loaded");
	ASSERT_EQ(0, vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_nl_open(&nl));
	ASSERT_EQ(0, vfioext_nl_events_open(&ev));
	vfio_handles_init(&h);
	ASSERT_EQ(0, vfio_open_all_iommu(&h, bdf, VFIO_EXT_PVIOMMU_IOMMU));
	ASSERT_EQ(0, next_nonpower(ev, bdf, &e, 10000));
	EXPECT_EQ(VFIO_EXT_EVENT_OPEN, e.type);
	ASSERT_EQ(0, vfioext_nl_pviommu_list(nl, &v, &n, NULL));
	p = pviommu_by_owner(v, n, getpid());
	ASSERT_NE(NULL, p);
	id = nl_pv_info(p).id;
	EXPECT_EQ(0, nl_pv_info(p).faults);
	vfioext_nl_pviommu_list_free(v, n);

	/* The container's own space. */
	ASSERT_EQ(0, report_fault(bdf, 0x123000, 'w'));
	ASSERT_EQ(0, next_nonpower(ev, bdf, &e, 10000));
	EXPECT_EQ(VFIO_EXT_EVENT_IOMMU_FAULT, e.type);
	EXPECT_EQ(id, e.container);
	EXPECT_EQ(0, e.domain);
	EXPECT_EQ(0x123000, e.iova);
	EXPECT_EQ(VFIO_EXT_FAULT_WRITE, e.fault_flags);
	ASSERT_EQ(0, report_fault(bdf, 0xfff000, 'r'));
	ASSERT_EQ(0, next_nonpower(ev, bdf, &e, 10000));
	EXPECT_EQ(VFIO_EXT_EVENT_IOMMU_FAULT, e.type);
	EXPECT_EQ(0xfff000, e.iova);
	EXPECT_EQ(0, e.fault_flags);
	EXPECT_EQ(2, ctr_faults(_metadata, nl));

	/* A guest domain: its id. */
	ASSERT_EQ(0, ioctl(h.container, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &dom));
	at.group = h.group_id;
	at.vsid = 7;
	at.domain = dom.id;
	ASSERT_EQ(0, ioctl(h.container, VFIO_EXT_PVIOMMU_ATTACH, &at));
	if (!access(CLI, X_OK)) {
		char dev_arg[64];

		snprintf(dev_arg, sizeof(dev_arg), "-e iommu-fault -d %s -n 1",
			 bdf);
		mon = monitor_start(dev_arg);
		ASSERT_NE(NULL, mon);
	}
	ASSERT_EQ(0, report_fault(bdf, 0x5000, 'w'));
	ASSERT_EQ(0, next_nonpower(ev, bdf, &e, 10000));
	EXPECT_EQ(VFIO_EXT_EVENT_IOMMU_FAULT, e.type);
	EXPECT_EQ(id, e.container);
	EXPECT_EQ(dom.id, e.domain);
	EXPECT_EQ(0x5000, e.iova);
	EXPECT_EQ(3, ctr_faults(_metadata, nl));
	/* The CLI's JSON of the same event, field by field. */
	if (mon) {
		char line[512];
		struct json *j;
		uint64_t u;
		bool b;

		ASSERT_NE(NULL, fgets(line, sizeof(line), mon));
		j = json_parse(line);
		ASSERT_NE(NULL, j) {
			TH_LOG("not JSON: %s", line);
		}
		EXPECT_STREQ("iommu-fault", json_str(j, "event"));
		EXPECT_STREQ(bdf, json_str(j, "device"));
		EXPECT_TRUE(json_u64(j, "seq", &u) && u == e.seq);
		EXPECT_TRUE(json_u64(j, "container", &u) && u == id);
		EXPECT_TRUE(json_u64(j, "domain", &u) && u == dom.id);
		EXPECT_TRUE(json_u64(j, "iova", &u) && u == 0x5000);
		EXPECT_TRUE(json_bool(j, "write", &b) && b);
		json_free(j);
		EXPECT_EQ(0, pclose(mon));
	}
	vfio_close_all(&h);
	ASSERT_EQ(0, next_nonpower(ev, bdf, &e, 10000));
	EXPECT_EQ(VFIO_EXT_EVENT_CLOSE, e.type);

	/* type1 installs no handler: the report reaches nobody. */
	vfio_handles_init(&h);
	ASSERT_EQ(0, vfio_open_all(&h, bdf));
	ASSERT_EQ(0, next_nonpower(ev, bdf, &e, 10000));
	EXPECT_EQ(VFIO_EXT_EVENT_OPEN, e.type);
	ASSERT_EQ(0, report_fault(bdf, 0x123000, 'w'));
	EXPECT_EQ(-ETIMEDOUT, next_nonpower(ev, bdf, &e, 300)) {
		TH_LOG("unexpected %s event", vfioext_nl_event_name(e.type));
	}
	vfio_close_all(&h);
	vfioext_nl_close(ev);
	vfioext_nl_close(nl);
}

TEST_HARNESS_MAIN
