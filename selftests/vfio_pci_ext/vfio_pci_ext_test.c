// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-ext as a drop-in vfio-pci: every test runs once against upstream
 * vfio-pci and once against vfio-pci-ext (fixture variants), on QEMU edu
 * devices behind an emulated Intel VT-d.  Identical results on both are the
 * drop-in proof.  Run on the bench: tools/vmrun (see Documentation/).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"

#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL
#define IOVA_CTL	0x300000ULL
#define XFER		2048

struct drv_variant {
	const char *driver;
	const char *module;
	unsigned long iommu;
};

/*
 * The same variants for every fixture: upstream vfio-pci on type1v2, then
 * vfio-pci-ext on type1v2, then vfio-pci-ext on the pviommu backend.
 */
#define DRIVER_VARIANTS(fix)						\
	FIXTURE_VARIANT(fix) {						\
		struct drv_variant drv;					\
	};								\
	FIXTURE_VARIANT_ADD(fix, vfio_pci) {				\
		.drv = { "vfio-pci", "vfio_pci", VFIO_TYPE1v2_IOMMU },	\
	};								\
	FIXTURE_VARIANT_ADD(fix, vfio_pci_ext) {			\
		.drv = { VFIO_EXT_PCI_DRIVER_NAME, "vfio_pci_ext",	\
			 VFIO_TYPE1v2_IOMMU },				\
	};								\
	FIXTURE_VARIANT_ADD(fix, pviommu) {				\
		.drv = { VFIO_EXT_PCI_DRIVER_NAME, "vfio_pci_ext",	\
			 VFIO_EXT_PVIOMMU_IOMMU },			\
	}

/* @b: where to remember the driver it had (drv_restore()), or NULL. */
static void bind_or_skip(struct __test_metadata *_metadata, enum edu_kind kind,
			 const char *driver, char bdf[VFIOEXT_BDF_LEN],
			 struct drv_binding *b)
{
	/*
	 * 6.1's harness runs the test body even when setup skipped, so end
	 * the test process here; exit status 255 is the harness's SKIP.
	 */
	if (edu_find(kind, bdf))
		SKIP(_exit(255), "no edu device of kind %d on this machine",
		     kind);
	ASSERT_EQ(0, b ? drv_bind_save(b, bdf, driver) :
		  vfioext_pci_bind(bdf, driver)) {
		TH_LOG("binding %s to %s", bdf, driver);
	}
}

/* ------------------------------------------------------------------ */
/* An edu alone in its IOMMU group, opened through a type1v2 container */
/* ------------------------------------------------------------------ */

FIXTURE(edu) {
	struct vfio_handles h;
	volatile uint32_t *bar;
	size_t bar_len;
	struct drv_binding bind;	/* its driver before: put back */
};

DRIVER_VARIANTS(edu);

FIXTURE_SETUP(edu)
{
	char bdf[VFIOEXT_BDF_LEN];

	vfio_handles_init(&self->h);
	self->bar = NULL;
	bind_or_skip(_metadata, EDU_ALONE, variant->drv.driver, bdf,
		     &self->bind);
	/* Bound: a failing step undoes the setup (no teardown then). */
	SETUP_ASSERT_EQ((vfio_close_all(&self->h), drv_restore(&self->bind)),
			0, vfio_open_all_iommu(&self->h, bdf,
					       variant->drv.iommu));
}

FIXTURE_TEARDOWN(edu)
{
	char cmd[128];

	if (self->bar)
		munmap((void *)self->bar, self->bar_len);
	vfio_close_all(&self->h);
	/*
	 * Some tests unload the module, unbind the device or move it to
	 * another driver, and restore them at their end; whatever their
	 * outcome, leave the module loaded and the device on the driver it
	 * had before the setup, for the tests that follow.
	 */
	if (module_refcnt(variant->drv.module) < 0) {
		snprintf(cmd, sizeof(cmd), "modprobe %s", variant->drv.module);
		if (system(cmd))
			TH_LOG("%s failed", cmd);
	}
	drv_restore(&self->bind);
}

static void map_bar(struct __test_metadata *_metadata,
		    FIXTURE_DATA(edu) *self)
{
	self->bar = bar0_map(self->h.device, &self->bar_len);
	ASSERT_NE(NULL, self->bar);
}

TEST_F(edu, group_viable)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char drv[64], path[32];
	int fd;

	ASSERT_EQ(0, vfioext_pci_driver(self->h.bdf, drv, sizeof(drv)));
	EXPECT_STREQ(variant->drv.driver, drv);
	ASSERT_EQ(0, ioctl(self->h.group, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  st.flags);
	/* pviommu's answer is the uAPI's version, type1's 1. */
	EXPECT_EQ(variant->drv.iommu == VFIO_EXT_PVIOMMU_IOMMU ?
		  VFIO_EXT_API_VERSION : 1,
		  ioctl(self->h.container, VFIO_CHECK_EXTENSION,
			variant->drv.iommu));
	/* A group can be opened once at a time. */
	snprintf(path, sizeof(path), "/dev/vfio/%d", self->h.group_id);
	fd = open(path, O_RDWR);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EBUSY, errno);
	if (fd >= 0)
		close(fd);
	/* A name that is not in the group yields no device. */
	EXPECT_EQ(-1, ioctl(self->h.group, VFIO_GROUP_GET_DEVICE_FD,
			    "0000:ff:1f.7"));
}

TEST_F(edu, device_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	/* vfio-pci-ext adds one index: VFIO_PCI_ACPI_NTFY_IRQ_INDEX. */
	EXPECT_EQ(VFIO_PCI_NUM_IRQS +
		  !strcmp(variant->drv.driver, VFIO_EXT_PCI_DRIVER_NAME),
		  info.num_irqs);
	/* argsz smaller than the fixed part is refused. */
	info.argsz = 4;
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(edu, region_info)
{
	struct vfio_region_info ri;
	uint32_t i;

	ASSERT_EQ(0, region_info(self->h.device, VFIO_PCI_BAR0_REGION_INDEX,
				 &ri));
	EXPECT_EQ(1u << 20, ri.size);	/* edu BAR0 is 1 MiB */
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		  VFIO_REGION_INFO_FLAG_MMAP, ri.flags & 7);
	for (i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_ROM_REGION_INDEX;
	     i++) {
		ASSERT_EQ(0, region_info(self->h.device, i, &ri));
		EXPECT_EQ(0, ri.size);
	}
	ASSERT_EQ(0, region_info(self->h.device, VFIO_PCI_CONFIG_REGION_INDEX,
				 &ri));
	EXPECT_GE(ri.size, 256);
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  ri.flags);
	EXPECT_EQ(-EINVAL, region_info(self->h.device, 1000, &ri));
	EXPECT_EQ(-EINVAL, region_info(self->h.device, 0xffffffff, &ri));
}

TEST_F(edu, irq_info)
{
	struct vfio_irq_info ii;
	uint32_t i;
	const struct {
		uint32_t index;
		uint32_t count;
	} want[] = {
		{ VFIO_PCI_INTX_IRQ_INDEX, 1 },
		{ VFIO_PCI_MSI_IRQ_INDEX, 1 },	/* edu: one MSI vector */
		{ VFIO_PCI_MSIX_IRQ_INDEX, 0 },
		{ VFIO_PCI_REQ_IRQ_INDEX, 1 },
	};

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		memset(&ii, 0, sizeof(ii));
		ii.argsz = sizeof(ii);
		ii.index = want[i].index;
		ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO,
				   &ii));
		EXPECT_EQ(want[i].count, ii.count) {
			TH_LOG("IRQ index %u", want[i].index);
		}
		if (ii.count)
			EXPECT_TRUE(ii.flags & VFIO_IRQ_INFO_EVENTFD);
	}
	/*
	 * edu is conventional PCI: no error (AER) index up to 6.12; 7.3's
	 * vfio-pci-core offers it to every device (uapi.rst).
	 */
	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_ERR_IRQ_INDEX;
	if (err_irq_on_every_device()) {
		EXPECT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO,
				   &ii));
		EXPECT_EQ(1, ii.count);
	} else {
		EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO,
				    &ii));
		EXPECT_EQ(EINVAL, errno);
	}
	ii.index = VFIO_PCI_NUM_IRQS + 10;
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(edu, config_space)
{
	struct vfio_region_info ri;
	uint16_t ids[2], cmd, cmd2;
	uint8_t b;

	ASSERT_EQ(0, region_info(self->h.device, VFIO_PCI_CONFIG_REGION_INDEX,
				 &ri));
	ASSERT_EQ(4, pread(self->h.device, ids, 4, ri.offset));
	EXPECT_EQ(EDU_VENDOR, ids[0]);
	EXPECT_EQ(EDU_DEVICE, ids[1]);

	/* The command register is writable (INTx disable bit). */
	ASSERT_EQ(2, pread(self->h.device, &cmd, 2, ri.offset + 4));
	cmd2 = cmd ^ 0x400;
	ASSERT_EQ(2, pwrite(self->h.device, &cmd2, 2, ri.offset + 4));
	ASSERT_EQ(2, pread(self->h.device, &cmd2, 2, ri.offset + 4));
	EXPECT_EQ(cmd ^ 0x400, cmd2);
	ASSERT_EQ(2, pwrite(self->h.device, &cmd, 2, ri.offset + 4));

	/* The vendor ID is read-only through VFIO's virtualisation. */
	ids[0] = 0xdead;
	EXPECT_EQ(2, pwrite(self->h.device, ids, 2, ri.offset));
	ASSERT_EQ(2, pread(self->h.device, ids, 2, ri.offset));
	EXPECT_EQ(EDU_VENDOR, ids[0]);

	/* Past the end of config space: nothing is read. */
	EXPECT_GE(0, pread(self->h.device, &b, 1, ri.offset + ri.size));
}

TEST_F(edu, bar0_mmio)
{
	struct vfio_region_info ri;
	uint32_t v;
	int i;

	map_bar(_metadata, self);
	/* edu identification: 0xRRrr00ed */
	EXPECT_EQ(0xed, edu_rd(self->bar, EDU_REG_ID) & 0xffff);
	edu_wr(self->bar, EDU_REG_LIVENESS, 0x12345678);
	EXPECT_EQ(~0x12345678u, edu_rd(self->bar, EDU_REG_LIVENESS));

	edu_wr(self->bar, EDU_REG_FACTORIAL, 5);
	for (i = 0; i < 1000 && (edu_rd(self->bar, EDU_REG_STATUS) &
				 EDU_STATUS_COMPUTING); i++)
		usleep(1000);
	EXPECT_EQ(120, edu_rd(self->bar, EDU_REG_FACTORIAL));

	/* read()/write() on the region see the same registers. */
	ASSERT_EQ(0, region_info(self->h.device, VFIO_PCI_BAR0_REGION_INDEX,
				 &ri));
	v = 0xcafe0000;
	ASSERT_EQ(4, pwrite(self->h.device, &v, 4,
			    ri.offset + EDU_REG_LIVENESS));
	ASSERT_EQ(4, pread(self->h.device, &v, 4,
			   ri.offset + EDU_REG_LIVENESS));
	EXPECT_EQ(~0xcafe0000u, v);
	EXPECT_EQ(~0xcafe0000u, edu_rd(self->bar, EDU_REG_LIVENESS));
}

TEST_F(edu, msi_eventfd)
{
	uint64_t cnt;
	int efd;

	map_bar(_metadata, self);
	ASSERT_EQ(0, edu_set_bus_master(self->h.device, true));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, VFIO_PCI_MSI_IRQ_INDEX, 0,
				     efd));

	edu_wr(self->bar, EDU_REG_IRQ_RAISE, 0x5a);
	ASSERT_EQ(0, eventfd_wait(efd, 5000, &cnt));
	EXPECT_EQ(1, cnt);
	EXPECT_EQ(0x5a, edu_rd(self->bar, EDU_REG_IRQ_STATUS));
	edu_wr(self->bar, EDU_REG_IRQ_ACK, 0x5a);
	EXPECT_EQ(0, edu_rd(self->bar, EDU_REG_IRQ_STATUS));

	/* A second interrupt is a second signal. */
	edu_wr(self->bar, EDU_REG_IRQ_RAISE, 0x1);
	ASSERT_EQ(0, eventfd_wait(efd, 5000, &cnt));
	EXPECT_EQ(1, cnt);
	edu_wr(self->bar, EDU_REG_IRQ_ACK, 0x1);

	/* Vector 1 does not exist. */
	EXPECT_EQ(-EINVAL, irq_set_eventfd(self->h.device,
					   VFIO_PCI_MSI_IRQ_INDEX, 1, efd));

	/* Disable: count 0, DATA_NONE; then nothing is signalled. */
	ASSERT_EQ(0, irq_disable(self->h.device, VFIO_PCI_MSI_IRQ_INDEX));
	edu_wr(self->bar, EDU_REG_IRQ_RAISE, 0x2);
	EXPECT_EQ(-ETIMEDOUT, eventfd_wait(efd, 1000, &cnt));
	edu_wr(self->bar, EDU_REG_IRQ_ACK, 0x2);
	close(efd);
}

TEST_F_TIMEOUT(edu, dma_roundtrip, 60)
{
	uint8_t *src, *dst;
	unsigned int i;

	map_bar(_metadata, self);
	src = anon_pages(4096);
	dst = anon_pages(4096);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	for (i = 0; i < 4096; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, 4096);

	ASSERT_EQ(0, dma_map(self->h.container, src, IOVA_SRC, 4096,
			     VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, dma_map(self->h.container, dst, IOVA_DST, 4096,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	/* Overlapping mappings are refused. */
	EXPECT_EQ(-EEXIST, dma_map(self->h.container, dst, IOVA_DST, 4096,
				   VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, edu_set_bus_master(self->h.device, true));

	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_DMA_BUF, XFER, false));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_DMA_BUF, IOVA_DST, XFER, true));
	EXPECT_EQ(0, memcmp(src, dst, XFER));
	/* Nothing beyond the transfer was written. */
	for (i = XFER; i < 4096; i++)
		if (dst[i])
			break;
	EXPECT_EQ(4096, i);

	EXPECT_EQ(4096, dma_unmap(self->h.container, IOVA_SRC, 4096));
	EXPECT_EQ(4096, dma_unmap(self->h.container, IOVA_DST, 4096));
}

TEST_F_TIMEOUT(edu, dma_unmapped_blocked, 60)
{
	uint8_t *src, *victim, *control;
	unsigned int i;

	map_bar(_metadata, self);
	src = anon_pages(8192);
	victim = anon_pages(4096);
	control = anon_pages(4096);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, victim);
	ASSERT_NE(NULL, control);
	memset(src, 0x5a, 8192);
	memset(victim, 0xa5, 4096);
	memset(control, 0, 4096);

	/* One 8 KiB mapping for the source. */
	ASSERT_EQ(0, dma_map(self->h.container, src, IOVA_SRC, 8192,
			     VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, dma_map(self->h.container, victim, IOVA_DST, 4096,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, dma_map(self->h.container, control, IOVA_CTL, 4096,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, edu_set_bus_master(self->h.device, true));
	ASSERT_EQ(0, edu_dma(self->bar, IOVA_SRC, EDU_DMA_BUF, XFER, false));

	/* The victim page was mapped once; after unmap DMA cannot reach it. */
	ASSERT_EQ(4096, dma_unmap(self->h.container, IOVA_DST, 4096));
	ASSERT_EQ(0, edu_dma(self->bar, EDU_DMA_BUF, IOVA_DST, XFER, true));
	for (i = 0; i < 4096; i++)
		if (victim[i] != 0xa5)
			break;
	EXPECT_EQ(4096, i);

	/*
	 * Positive control: the same transfer to a page that is still mapped
	 * lands, so the blocked one really ran and was stopped by the IOMMU.
	 */
	ASSERT_EQ(0, edu_dma(self->bar, EDU_DMA_BUF, IOVA_CTL, XFER, true));
	EXPECT_EQ(0, memcmp(control, src, XFER));

	/* Unmapping what is not mapped removes nothing. */
	EXPECT_EQ(0, dma_unmap(self->h.container, IOVA_DST, 4096));
	/* type1v2: a page-aligned unmap must still not split a mapping. */
	EXPECT_EQ(-EINVAL, dma_unmap(self->h.container, IOVA_SRC, 4096));
	EXPECT_EQ(8192, dma_unmap(self->h.container, IOVA_SRC, 8192));
	EXPECT_EQ(4096, dma_unmap(self->h.container, IOVA_CTL, 4096));
}

TEST_F(edu, low_power)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_low_power_entry_with_wakeup w;
	} arg;
	uint32_t id;
	pid_t pid;
	int status, efd;

	map_bar(_metadata, self);
	memset(&arg, 0, sizeof(arg));
	arg.f.argsz = sizeof(arg.f);

	/* Every low-power feature is advertised for SET only. */
	arg.f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	EXPECT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	arg.f.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
		      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	EXPECT_EQ(EINVAL, errno);

	/* Enter: MMIO through the mmap is revoked (SIGBUS) until exit. */
	arg.f.flags = VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	/* Entering twice is refused. */
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	EXPECT_EQ(EINVAL, errno);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		id = edu_rd(self->bar, EDU_REG_ID);
		_exit(id ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) {
		TH_LOG("child status %#x", status);
	}

	arg.f.flags = VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	EXPECT_EQ(0xed, edu_rd(self->bar, EDU_REG_ID) & 0xffff);

	/* Entry with wakeup validates its eventfd. */
	arg.f.argsz = sizeof(arg);
	arg.f.flags = VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP;
	arg.w.wakeup_eventfd = -1;
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	EXPECT_EQ(EINVAL, errno);
	arg.w.wakeup_eventfd = self->h.group;	/* not an eventfd */
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	EXPECT_EQ(EINVAL, errno);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	arg.w.wakeup_eventfd = efd;
	EXPECT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	arg.f.argsz = sizeof(arg.f);
	arg.f.flags = VFIO_DEVICE_FEATURE_SET |
		      VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	EXPECT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_FEATURE, &arg));
	EXPECT_EQ(0xed, edu_rd(self->bar, EDU_REG_ID) & 0xffff);
	close(efd);
}

TEST_F(edu, double_bind)
{
	char path[128], drv[64];
	const char *other = strcmp(variant->drv.driver, "vfio-pci") ?
			    "vfio-pci" : VFIO_EXT_PCI_DRIVER_NAME;

	/* Binding again to the same driver: busy. */
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind",
		 variant->drv.driver);
	EXPECT_EQ(-EBUSY, sysfs_write_str(path, self->h.bdf));
	/* Another VFIO driver does not match: driver_override names ours. */
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", other);
	EXPECT_EQ(-ENODEV, sysfs_write_str(path, self->h.bdf));
	/* Re-probing keeps the binding; the open device is unaffected. */
	sysfs_write_str("/sys/bus/pci/drivers_probe", self->h.bdf);
	ASSERT_EQ(0, vfioext_pci_driver(self->h.bdf, drv, sizeof(drv)));
	EXPECT_STREQ(variant->drv.driver, drv);
	map_bar(_metadata, self);
	EXPECT_EQ(0xed, edu_rd(self->bar, EDU_REG_ID) & 0xffff);
}

/* Close container, group and device fds in every order; nothing leaks. */
TEST_F_TIMEOUT(edu, close_order, 120)
{
	static const int order[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	char bdf[VFIOEXT_BDF_LEN];
	long lck0;
	int ref0, p, i;
	void *buf;

	snprintf(bdf, sizeof(bdf), "%s", self->h.bdf);
	vfio_close_all(&self->h);
	ref0 = module_refcnt(variant->drv.module);
	lck0 = proc_status_kb("VmLck");
	ASSERT_LE(0, ref0);
	buf = anon_pages(64 * 1024);
	ASSERT_NE(NULL, buf);
	/* Populate: read-only pins of untouched memory would be the zero page,
	 * which is reserved and not accounted.
	 */
	memset(buf, 1, 64 * 1024);

	for (p = 0; p < 6; p++) {
		struct vfio_handles h;
		int *fds[3];

		ASSERT_EQ(0, vfio_open_all_iommu(&h, bdf, variant->drv.iommu));
		ASSERT_EQ(0, dma_map(h.container, buf, IOVA_SRC, 64 * 1024,
				     VFIO_DMA_MAP_FLAG_READ));
		/* Pinned pages are accounted to the process. */
		EXPECT_EQ(lck0 + 64, proc_status_kb("VmLck"));
		EXPECT_EQ(ref0 + 1, module_refcnt(variant->drv.module));
		fds[0] = &h.container;
		fds[1] = &h.group;
		fds[2] = &h.device;
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(0, close(*fds[order[p][i]]));
			*fds[order[p][i]] = -1;
		}
		/* Every order releases the pins and the module reference. */
		EXPECT_EQ(lck0, proc_status_kb("VmLck")) {
			TH_LOG("order %d %d %d", order[p][0], order[p][1],
			       order[p][2]);
		}
		EXPECT_EQ(ref0, module_refcnt(variant->drv.module));
	}
	/* And the device is usable afterwards. */
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, bdf, variant->drv.iommu));
}

/*
 * Unbind while the VMM holds the device: the driver signals the request
 * IRQ and the unbind waits until the user closes the device.
 */
TEST_F_TIMEOUT(edu, unbind_while_open, 60)
{
	struct vfio_region_info ri;
	char path[128], drv[64];
	uint16_t ids[2];
	uint64_t cnt;
	pid_t pid;
	int status, efd;

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, VFIO_PCI_REQ_IRQ_INDEX, 0,
				     efd));

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind",
		 variant->drv.driver);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Our copies of the fds would keep the device open. */
		vfio_close_all(&self->h);
		_exit(sysfs_write_str(path, self->h.bdf) ? 1 : 0);
	}

	/*
	 * The request arrives while the unbind is blocked on us.  The driver
	 * link is already gone from sysfs, but the device stays fully usable
	 * until we let go of it.
	 */
	ASSERT_EQ(0, eventfd_wait(efd, 10000, &cnt));
	EXPECT_LE(1, cnt);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	ASSERT_EQ(0, region_info(self->h.device, VFIO_PCI_CONFIG_REGION_INDEX,
				 &ri));
	ASSERT_EQ(4, pread(self->h.device, ids, 4, ri.offset));
	EXPECT_EQ(EDU_VENDOR, ids[0]);
	EXPECT_EQ(EDU_DEVICE, ids[1]);
	/* Still blocked: we have not released the device. */
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));

	vfio_close_all(&self->h);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, vfioext_pci_driver(self->h.bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	close(efd);
	/* Bind it back for the tests that follow. */
	ASSERT_EQ(0, vfioext_pci_bind(self->h.bdf, variant->drv.driver));
}

/* The module cannot go while a device is open; after close it can. */
TEST_F_TIMEOUT(edu, module_unload_while_open, 60)
{
	char cmd[128], drv[64];

	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_delete_module, variant->drv.module,
			      O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* Still fully functional. */
	map_bar(_metadata, self);
	EXPECT_EQ(0xed, edu_rd(self->bar, EDU_REG_ID) & 0xffff);
	munmap((void *)self->bar, self->bar_len);
	self->bar = NULL;

	vfio_close_all(&self->h);
	ASSERT_EQ(0, syscall(SYS_delete_module, variant->drv.module,
			     O_NONBLOCK));
	ASSERT_EQ(0, vfioext_pci_driver(self->h.bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);

	/* Reloading rebinds the device through its driver_override. */
	snprintf(cmd, sizeof(cmd), "modprobe %s", variant->drv.module);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, vfioext_pci_driver(self->h.bdf, drv, sizeof(drv)));
	EXPECT_STREQ(variant->drv.driver, drv);
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, self->h.bdf, variant->drv.iommu));
}

/*
 * ids= binds matching driverless devices at load time; malformed entries
 * are skipped without failing the load.  The module is reloaded without
 * ids= afterwards so no dynamic ID outlives the test.
 */
TEST_F_TIMEOUT(edu, ids_parameter, 60)
{
	char cmd[160], drv[64], bdf[VFIOEXT_BDF_LEN];

	snprintf(bdf, sizeof(bdf), "%s", self->h.bdf);
	vfio_close_all(&self->h);
	ASSERT_EQ(0, vfioext_pci_unbind(bdf));
	ASSERT_EQ(0, syscall(SYS_delete_module, variant->drv.module,
			     O_NONBLOCK));

	snprintf(cmd, sizeof(cmd), "modprobe %s ids=zzzz:1,%04x:%04x,,1:2:3:4:5:6:7",
		 variant->drv.module, EDU_VENDOR, EDU_DEVICE);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, vfioext_pci_driver(bdf, drv, sizeof(drv)));
	EXPECT_STREQ(variant->drv.driver, drv);
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, bdf, variant->drv.iommu));
	vfio_close_all(&self->h);

	/* Without ids= (and without driver_override) nothing binds. */
	ASSERT_EQ(0, syscall(SYS_delete_module, variant->drv.module,
			     O_NONBLOCK));
	snprintf(cmd, sizeof(cmd), "modprobe %s", variant->drv.module);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, vfioext_pci_driver(bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
}

/* ------------------------------------------------------------------ */
/* An edu behind a PCIe root port: secondary bus reset works           */
/* ------------------------------------------------------------------ */

FIXTURE(edu_port) {
	struct vfio_handles h;
};

DRIVER_VARIANTS(edu_port);

FIXTURE_SETUP(edu_port)
{
	char bdf[VFIOEXT_BDF_LEN];

	vfio_handles_init(&self->h);
	bind_or_skip(_metadata, EDU_BEHIND_PORT, variant->drv.driver, bdf,
		     NULL);
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, bdf, variant->drv.iommu));
}

FIXTURE_TEARDOWN(edu_port)
{
	vfio_close_all(&self->h);
}

TEST_F_TIMEOUT(edu_port, device_reset, 60)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri;
	volatile uint32_t *bar;
	uint8_t *buf;
	uint16_t cmd;
	size_t len;

	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_RESET);

	bar = bar0_map(self->h.device, &len);
	ASSERT_NE(NULL, bar);
	ASSERT_EQ(0, edu_set_bus_master(self->h.device, true));
	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_RESET));

	/*
	 * VFIO saves and restores config space around the reset: the user's
	 * command register (with Bus Master Enable) survives, the device
	 * answers, and DMA through the IOMMU still works.
	 */
	ASSERT_EQ(0, region_info(self->h.device, VFIO_PCI_CONFIG_REGION_INDEX,
				 &ri));
	ASSERT_EQ(2, pread(self->h.device, &cmd, 2, ri.offset + 4));
	EXPECT_EQ(0x4, cmd & 0x4);
	EXPECT_EQ(0xed, edu_rd(bar, EDU_REG_ID) & 0xffff);
	edu_wr(bar, EDU_REG_LIVENESS, 1);
	EXPECT_EQ(~1u, edu_rd(bar, EDU_REG_LIVENESS));

	buf = anon_pages(4096);
	ASSERT_NE(NULL, buf);
	memset(buf, 0x3c, 2048);
	memset(buf + 2048, 0, 2048);
	ASSERT_EQ(0, dma_map(self->h.container, buf, IOVA_SRC, 4096,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, edu_dma(bar, IOVA_SRC, EDU_DMA_BUF, 2048, false));
	ASSERT_EQ(0, edu_dma(bar, EDU_DMA_BUF, IOVA_SRC + 2048, 2048, true));
	EXPECT_EQ(0, memcmp(buf, buf + 2048, 2048));
	munmap((void *)bar, len);
}

TEST_F(edu_port, reset_unsupported_on_root_bus)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_handles h;
	char bdf[VFIOEXT_BDF_LEN];

	/* The root-bus edu has no reset method: flag clear, ioctl refused. */
	vfio_close_all(&self->h);
	ASSERT_EQ(0, edu_find(EDU_ALONE, bdf));
	ASSERT_EQ(0, vfioext_pci_bind(bdf, variant->drv.driver));
	ASSERT_EQ(0, vfio_open_all_iommu(&h, bdf, variant->drv.iommu));
	ASSERT_EQ(0, ioctl(h.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_FALSE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(-1, ioctl(h.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(EINVAL, errno);
	vfio_close_all(&h);
}

/* ------------------------------------------------------------------ */
/* An edu sharing its group with a device bound to a host driver       */
/* ------------------------------------------------------------------ */

FIXTURE(edu_shared) {
	char bdf[VFIOEXT_BDF_LEN];
};

DRIVER_VARIANTS(edu_shared);

FIXTURE_SETUP(edu_shared)
{
	bind_or_skip(_metadata, EDU_SHARED_GROUP, variant->drv.driver,
		     self->bdf, NULL);
}

FIXTURE_TEARDOWN(edu_shared)
{
}

TEST_F(edu_shared, group_not_viable)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfioext_container *c;
	struct vfioext_group *g;
	char path[32];
	int grp, container, group;

	grp = vfioext_pci_iommu_group(self->bdf);
	ASSERT_LE(0, grp);
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	group = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, group);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, container);

	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_GET_STATUS, &st));
	EXPECT_EQ(0, st.flags & VFIO_GROUP_FLAGS_VIABLE);
	EXPECT_EQ(-1, ioctl(group, VFIO_GROUP_SET_CONTAINER, &container));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(group, VFIO_GROUP_GET_DEVICE_FD, self->bdf));
	EXPECT_EQ(EINVAL, errno);
	close(group);

	/* The library reports the same condition as -EPERM. */
	ASSERT_EQ(0, vfioext_container_open(&c));
	EXPECT_EQ(-EPERM, vfioext_group_open(c, grp, &g));
	vfioext_container_close(c);
	close(container);
	/* Leave the device driverless for the rest of the run. */
	EXPECT_EQ(0, vfioext_pci_unbind(self->bdf));
}

TEST_HARNESS_MAIN
