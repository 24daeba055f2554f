// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hot-unplug of an edu device held by a VMM, and re-plug: the bench's
 * hot-pluggable edu (QEMU id vmrun_hp0, behind root port 00:1d.0) is
 * unplugged with QMP device_del through the VM runner's host requests
 * (selftests/common/vmrun_host.h) while a VMM has it open on vfio-pci-ext
 * with DMA mappings on the pviommu backend:
 *
 *   - a VMM that honours the device request (VFIO_PCI_REQ_IRQ_INDEX) gets
 *     it, the device stays usable until it lets go, then the device goes;
 *   - a VMM that ignores it holds the removal up until it is SIGKILLed,
 *     then the device goes;
 *
 * and in both cases nothing is left behind (module references, pinned
 * pages), and after device_add the new device binds to vfio-pci-ext and
 * carries an edu DMA round trip.  A third case unplugs it while another
 * device's container (type1 and pviommu alike) still maps its BAR for
 * peer-to-peer DMA: the device goes, and that mapping is unmapped
 * cleanly.  No oops, leak or hang: the runner scans the kernel log,
 * kmemleak at the end, and the harness timeout bounds every wait.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "vmrun_host.h"

#define HP_PORT		"0000:00:1d.0"
#define HP_DEL		"{\"execute\": \"device_del\", \"arguments\": " \
			"{\"id\": \"vmrun_hp0\"}}"
#define HP_ADD		"{\"execute\": \"device_add\", \"arguments\": " \
			"{\"driver\": \"edu\", \"id\": \"vmrun_hp0\", " \
			"\"bus\": \"vmrun_rp1\", \"addr\": \"00.0\"}}"

/* The edu below the hot-plug port, or -ENOENT. */
static int hp_find(char bdf[VFIOEXT_BDF_LEN])
{
	DIR *d = opendir("/sys/bus/pci/devices/" HP_PORT);
	struct dirent *e;
	int ret = -ENOENT;

	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		unsigned int dom, bus, dev, fn;
		int end = 0;

		/* A child device: "DDDD:BB:DD.F", nothing after it. */
		if (sscanf(e->d_name, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn,
			   &end) == 4 && !e->d_name[end]) {
			snprintf(bdf, VFIOEXT_BDF_LEN, "%04x:%02x:%02x.%x", dom,
				 bus, dev, fn);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

static bool present(const char *bdf)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return !stat(path, &st);
}

/* Wait up to @ms for the device to be (@want) present or gone. */
static bool wait_present(const char *bdf, bool want, int ms)
{
	long deadline = vmrun_now_ms() + ms;

	while (present(bdf) != want) {
		if (vmrun_now_ms() > deadline)
			return false;
		usleep(100 * 1000);
	}
	return true;
}

/* The group's /dev/vfio node: devtmpfs creates it asynchronously. */
static bool wait_group_node(const char *bdf, int ms)
{
	long deadline = vmrun_now_ms() + ms;
	char path[32];
	struct stat st;
	int grp;

	for (;;) {
		grp = vfioext_pci_iommu_group(bdf);
		snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
		if (grp >= 0 && !stat(path, &st))
			return true;
		if (vmrun_now_ms() > deadline)
			return false;
		usleep(50 * 1000);
	}
}

/*
 * Bind to vfio-pci-ext.  A device still being added may refuse (EBUSY,
 * ENODEV) or be bound by its own first probe (driver_override is set
 * first) while we ask: done when it ends up bound to our driver.
 */
static int bind_ext(const char *bdf)
{
	long deadline = vmrun_now_ms() + 10000;
	char drv[64];
	int ret;

	for (;;) {
		ret = vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME);
		if (!ret || (!vfioext_pci_driver(bdf, drv, sizeof(drv)) &&
			     !strcmp(drv, VFIO_EXT_PCI_DRIVER_NAME)))
			return wait_group_node(bdf, 10000) ? 0 : -ETIMEDOUT;
		if (vmrun_now_ms() > deadline)
			return ret;
		usleep(100 * 1000);
	}
}

/* device_add, retried while QEMU still finishes the previous deletion. */
static int replug(char bdf[VFIOEXT_BDF_LEN])
{
	long deadline = vmrun_now_ms() + 30000;
	char reply[512];
	int ret;

	for (;;) {
		ret = vmrun_qmp(HP_ADD, reply, sizeof(reply), 10000);
		if (ret != -EIO || vmrun_now_ms() > deadline)
			break;
		usleep(500 * 1000);
	}
	if (ret)
		return ret;
	/* Present, and fully added: in its IOMMU group (it joins last). */
	while (hp_find(bdf) || vfioext_pci_iommu_group(bdf) < 0) {
		if (vmrun_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(100 * 1000);
	}
	return 0;
}

FIXTURE(hp) {
	char bdf[VFIOEXT_BDF_LEN];
	struct vfio_handles h;
	int ref_ext, ref_pv;
	long vmlck0;
	void *buf;
	struct drv_binding bind;	/* its driver before: put back */
};

FIXTURE_SETUP(hp)
{
	char reply[512];

	vfio_handles_init(&self->h);
	if (vmrun_qmp("{\"execute\": \"query-pci\"}", reply, sizeof(reply),
		      10000) == -EOPNOTSUPP)
		SKIP(_exit(255), "no vmrun host to unplug devices");
	/* A failed earlier run may have left it unplugged. */
	if (hp_find(self->bdf))
		ASSERT_EQ(0, replug(self->bdf));
	self->buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, drv_save(&self->bind, self->bdf));
	/*
	 * The bind is the last step that can fail: a failed setup gets no
	 * teardown, so it puts the device back itself.
	 */
	SETUP_ASSERT_EQ(drv_restore(&self->bind), 0, bind_ext(self->bdf));
	self->ref_ext = module_refcnt("vfio_pci_ext");
	self->ref_pv = module_refcnt("vfio_pviommu");
	self->vmlck0 = proc_status_kb("VmLck");
}

FIXTURE_TEARDOWN(hp)
{
	vfio_close_all(&self->h);
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, 1 << 20);
	/* The bench as we found it, for the tests after us. */
	drv_restore(&self->bind);
}

/* Gone, nothing left, plugged back, bound, DMA works. */
static void after_removal(struct __test_metadata *_metadata,
			  FIXTURE_DATA(hp) *self)
{
	char old[VFIOEXT_BDF_LEN];

	memcpy(old, self->bdf, sizeof(old));
	ASSERT_TRUE(wait_present(old, false, 30000)) {
		TH_LOG("%s still present 30 s after release", old);
	}
	EXPECT_EQ(self->ref_ext, module_refcnt("vfio_pci_ext"));
	EXPECT_EQ(self->ref_pv, module_refcnt("vfio_pviommu"));
	EXPECT_EQ(self->vmlck0, proc_status_kb("VmLck"));

	ASSERT_EQ(0, replug(self->bdf));
	ASSERT_EQ(0, bind_ext(self->bdf));
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, self->bdf,
					 VFIO_EXT_PVIOMMU_IOMMU));
	EXPECT_EQ(0, edu_dma_check(&self->h));
	vfio_close_all(&self->h);
}

TEST_F_TIMEOUT(hp, unplug_held_vmm_releases, 180)
{
	struct vfio_region_info ri;
	char reply[512];
	uint16_t ids[2];
	uint64_t cnt;
	int efd;

	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, self->bdf,
					 VFIO_EXT_PVIOMMU_IOMMU));
	ASSERT_EQ(0, dma_map(self->h.container, self->buf, 0x100000, 1 << 20,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, VFIO_PCI_REQ_IRQ_INDEX, 0,
				     efd));

	ASSERT_EQ(0, vmrun_qmp(HP_DEL, reply, sizeof(reply), 10000)) {
		TH_LOG("device_del: %s", reply);
	}
	/* The kernel asks us to let go, and waits. */
	ASSERT_EQ(0, eventfd_wait(efd, 30000, &cnt));
	EXPECT_LE(1, cnt);
	ASSERT_EQ(0, region_info(self->h.device, VFIO_PCI_CONFIG_REGION_INDEX,
				 &ri));
	ASSERT_EQ(4, pread(self->h.device, ids, 4, ri.offset));
	EXPECT_EQ(EDU_VENDOR, ids[0]);
	EXPECT_EQ(EDU_DEVICE, ids[1]);
	EXPECT_TRUE(present(self->bdf));

	vfio_close_all(&self->h);
	close(efd);
	after_removal(_metadata, self);
}

TEST_F_TIMEOUT(hp, unplug_held_vmm_killed, 180)
{
	char reply[512];
	int p[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* A VMM that ignores the request; mappings pinned. */
		if (vfio_open_all_iommu(&self->h, self->bdf,
					VFIO_EXT_PVIOMMU_IOMMU) ||
		    dma_map(self->h.container, self->buf, 0x100000, 1 << 20,
			    VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
			_exit(1);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);

	ASSERT_EQ(0, vmrun_qmp(HP_DEL, reply, sizeof(reply), 10000)) {
		TH_LOG("device_del: %s", reply);
	}
	/* Held up by the VMM... */
	sleep(3);
	EXPECT_TRUE(present(self->bdf));
	/* ...until it dies. */
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	after_removal(_metadata, self);
}

#define PEER_IOVA	0x4000000ULL	/* below edu's 28-bit DMA mask */

/*
 * The BAR goes away under a peer-to-peer mapping: another edu's (A)
 * container maps the hot-pluggable edu's (B) BAR0, through B's mmap, as
 * QEMU maps an assigned device's BARs.  B's fds close (B's group leaves
 * the container; the mapping stays, as the VMM did not unmap it) and B is
 * unplugged.  Neither backend holds B or its pfns: the removal is not
 * held up; A's DMA to the stale IOVA reaches no device and harms nothing;
 * the unmap then succeeds and unpins nothing (device memory was never
 * pinned or charged).  type1 first, then pviommu: the same on both.
 */
TEST_F_TIMEOUT(hp, unplug_peer_bar_mapped, 240)
{
	static const unsigned long iommus[] = {
		VFIO_TYPE1v2_IOMMU, VFIO_EXT_PVIOMMU_IOMMU,
	};
	volatile uint32_t *bar, *peer;
	uint8_t *src = self->buf;
	char bdf_a[VFIOEXT_BDF_LEN], path[32], reply[512];
	struct vfio_handles a;
	int group2, dev2;
	size_t len, plen;
	unsigned int i;

	if (edu_find(EDU_ALONE, bdf_a))
		SKIP(return, "no edu alone in its IOMMU group");
	ASSERT_EQ(0, vfioext_pci_bind(bdf_a, VFIO_EXT_PCI_DRIVER_NAME));
	for (i = 0; i < 2; i++) {
		TH_LOG("%s", iommus[i] == VFIO_TYPE1v2_IOMMU ? "type1v2" :
							       "pviommu");
		ASSERT_EQ(0, vfio_open_all_iommu(&a, bdf_a, iommus[i]));
		snprintf(path, sizeof(path), "/dev/vfio/%d",
			 vfioext_pci_iommu_group(self->bdf));
		group2 = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, group2);
		ASSERT_EQ(0, ioctl(group2, VFIO_GROUP_SET_CONTAINER,
				   &a.container));
		dev2 = ioctl(group2, VFIO_GROUP_GET_DEVICE_FD, self->bdf);
		ASSERT_LE(0, dev2);
		peer = bar0_map(dev2, &plen);
		ASSERT_NE(NULL, peer);
		bar = bar0_map(a.device, &len);
		ASSERT_NE(NULL, bar);
		ASSERT_EQ(0, edu_set_bus_master(a.device, true));
		ASSERT_EQ(0, dma_map(a.container, src, 0x100000, 4096,
				     VFIO_DMA_MAP_FLAG_READ));
		ASSERT_EQ(0, dma_map(a.container, (void *)peer, PEER_IOVA,
				     plen, VFIO_DMA_MAP_FLAG_READ |
				     VFIO_DMA_MAP_FLAG_WRITE));
		/* The mapping reaches B: B answers ~value in liveness. */
		*(uint32_t *)src = 0x600d + i;
		ASSERT_EQ(0, edu_dma(bar, 0x100000, EDU_DMA_BUF, 4, false));
		ASSERT_EQ(0, edu_dma(bar, EDU_DMA_BUF,
				     PEER_IOVA + EDU_REG_LIVENESS, 4, true));
		EXPECT_EQ(~(0x600du + i), edu_rd(peer, EDU_REG_LIVENESS));

		/* B's VMM side goes; the container still maps its BAR. */
		munmap((void *)peer, plen);
		close(dev2);
		close(group2);
		ASSERT_EQ(0, vmrun_qmp(HP_DEL, reply, sizeof(reply), 10000)) {
			TH_LOG("device_del: %s", reply);
		}
		ASSERT_TRUE(wait_present(self->bdf, false, 30000)) {
			TH_LOG("%s held up by a mapping of its BAR",
			       self->bdf);
		}
		/* DMA to where B was: completes, reaches nothing. */
		ASSERT_EQ(0, edu_dma(bar, EDU_DMA_BUF,
				     PEER_IOVA + EDU_REG_LIVENESS, 4, true));
		EXPECT_EQ((long long)plen, dma_unmap(a.container, PEER_IOVA,
						     plen));
		EXPECT_EQ(4096, dma_unmap(a.container, 0x100000, 4096));
		EXPECT_EQ(self->vmlck0, proc_status_kb("VmLck"));
		edu_set_bus_master(a.device, false);
		munmap((void *)bar, len);
		vfio_close_all(&a);
		EXPECT_EQ(self->ref_pv, module_refcnt("vfio_pviommu"));

		ASSERT_EQ(0, replug(self->bdf));
		ASSERT_EQ(0, bind_ext(self->bdf));
	}
}

TEST_HARNESS_MAIN
