/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers for the vfio-ext VM selftests: finding QEMU edu devices
 * on the bench, binding them, opening VFIO objects with raw ioctls, and
 * driving edu's registers and DMA engine.
 */
#ifndef VFIO_COMMON_H
#define VFIO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

#include "vfioext.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

/* edu BAR0 registers (QEMU docs/specs/edu.rst) */
#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_FACTORIAL	0x08
#define EDU_REG_STATUS		0x20
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_DMA_IRQ		0x4
#define EDU_STATUS_COMPUTING	0x1
/* The device-side DMA buffer; a range must stay strictly inside it. */
#define EDU_DMA_BUF		0x40000
#define EDU_DMA_BUF_SIZE	0x1000

enum edu_kind {
	EDU_ALONE,		/* root bus, alone in its IOMMU group */
	EDU_BEHIND_PORT,	/* behind a PCIe root port: bus-resettable */
	EDU_SHARED_GROUP,	/* group shared with a device bound to a host driver */
};

struct vfio_handles {
	char bdf[VFIOEXT_BDF_LEN];
	int group_id;
	int container;
	int group;
	int device;
};

/*
 * A device a test binds, and the driver it had before ("" for none), so
 * that the fixture's teardown can leave the bench as it found it whatever
 * the test's outcome.
 */
struct drv_binding {
	char bdf[VFIOEXT_BDF_LEN];
	char prev[64];
	bool saved;
};

/*
 * Checks in a FIXTURE_SETUP after it changed the bench (bound a device to
 * a driver...).  6.1's kselftest_harness runs FIXTURE_TEARDOWN only after
 * a setup that completed: a failed ASSERT in setup skips it, and the
 * device would stay on the wrong driver for the tests after us.  These run
 * @undo (the fixture's cleanup, safe on a half-done setup) and then fail
 * the setup like ASSERT_TRUE()/ASSERT_EQ(), naming the failed step.  For
 * test files that include kselftest_harness.h.
 */
#define SETUP_ASSERT(undo, cond) do {					\
	if (!(cond)) {							\
		undo;							\
		ASSERT_TRUE(0) TH_LOG("setup: %s failed", #cond);	\
	}								\
} while (0)

#define SETUP_ASSERT_EQ(undo, expected, seen) do {			\
	long long __setup_want = (long long)(expected);			\
	long long __setup_seen = (long long)(seen);			\
									\
	if (__setup_seen != __setup_want) {				\
		undo;							\
		ASSERT_EQ(__setup_want, __setup_seen)			\
			TH_LOG("setup: %s", #seen);			\
	}								\
} while (0)

/*
 * A device a test needs, by address: the environment variable @env when
 * set (a host names its own devices; Documentation/testing.rst lists
 * them), else @bench, the bench's address.  pci_present() says whether the
 * machine has it: a test without its device skips (NO_PCI_DEVICE).
 */
const char *test_bdf(const char *env, const char *bench);
bool pci_present(const char *bdf);

/* SKIP() message for a device pci_present() did not find. */
#define NO_PCI_DEVICE \
	"no PCI device %s on this machine (VFIOEXT_TEST_*, Documentation/testing.rst)"

int edu_find(enum edu_kind kind, char bdf[VFIOEXT_BDF_LEN]);
int edu_find_other(enum edu_kind kind, const char *not,
		   char bdf[VFIOEXT_BDF_LEN]);
int peer_open(const char *bdf, int container, int *group);
int drv_save(struct drv_binding *b, const char *bdf);
int drv_bind_save(struct drv_binding *b, const char *bdf, const char *driver);
int drv_restore(struct drv_binding *b);
int drv_bound_count(const char *driver);
void *anon_pages(size_t len);
struct vfioext_nl_pviommu *
pviommu_by_owner(struct vfioext_nl_pviommu *const *v, size_t n,
		 uint32_t owner);
/* What a netlink description holds, copied out (a failed copy: zeros). */
struct vfioext_nl_dev_info nl_dev_info(const struct vfioext_nl_dev *d);
struct vfioext_nl_region nl_dev_region(const struct vfioext_nl_dev *d,
				       size_t k);
struct vfioext_nl_irq nl_dev_irq(const struct vfioext_nl_dev *d, size_t k);
struct vfioext_nl_pviommu_info nl_pv_info(const struct vfioext_nl_pviommu *p);
struct vfioext_nl_endpoint nl_pv_ep(const struct vfioext_nl_pviommu *p,
				    size_t k);
struct vfioext_nl_domain nl_pv_dom(const struct vfioext_nl_pviommu *p,
				   size_t k);
int sysfs_write_str(const char *path, const char *val);
int read_sysfs(const char *bdf, const char *attr, char *buf, size_t len);
long sysfs_read_long(const char *path);
void sysfs_read_line(const char *path, char *buf, size_t len);
/* A vfio-pviommu module parameter's sysfs file. */
#define PV_PARAM(name)	"/sys/module/vfio_pviommu/parameters/" name
int module_refcnt(const char *module);
long proc_status_kb(const char *field);

void vfio_handles_init(struct vfio_handles *h);
int vfio_open_all(struct vfio_handles *h, const char *bdf);
int vfio_open_all_iommu(struct vfio_handles *h, const char *bdf,
			unsigned long iommu);
void vfio_close_all(struct vfio_handles *h);

int region_info(int device, uint32_t index, struct vfio_region_info *ri);
volatile uint32_t *bar0_map(int device, size_t *len);

static inline uint32_t edu_rd(volatile uint32_t *bar, uint32_t reg)
{
	return bar[reg / 4];
}

static inline void edu_wr(volatile uint32_t *bar, uint32_t reg, uint32_t v)
{
	bar[reg / 4] = v;
}

static inline void edu_wr64(volatile uint32_t *bar, uint32_t reg, uint64_t v)
{
	bar[reg / 4] = (uint32_t)v;
	bar[reg / 4 + 1] = (uint32_t)(v >> 32);
}

/*
 * What the IOMMU of a group or container offers, as the kernel reports it:
 * the tests read apertures, IOVA ranges, page sizes and reserved regions,
 * and never assume an IOMMU's (VT-d: 0xfee00000.. MSI window, a 39- or
 * 48-bit aperture; AMD-Vi: the same MSI window, the HyperTransport range
 * 0xfd00000000..0xffffffffff, and on 6.1/6.12 an aperture reaching the top
 * of the u64 space).
 */
#define MAX_RESV_REGIONS	32

/* One line of /sys/kernel/iommu_groups/N/reserved_regions. */
struct resv_region {
	uint64_t start;
	uint64_t end;		/* inclusive */
	char type[24];		/* "msi", "reserved", "direct", ... */
};

int group_resv_regions(int group, struct resv_region *r, int max);
bool resv_region_excluded(const struct resv_region *r);
/*
 * An IOMMU backend's description as a plain struct the tests compare:
 * from raw ioctls (iommu_info_fd()) or from the library's opaque one
 * (iommu_info_lib(), through its getters).
 */
#define IOMMU_INFO_MAX_RANGES 64
struct iommu_info {
	uint64_t pgsizes;
	uint32_t dma_avail;
	uint32_t nr_ranges;
	struct {
		uint64_t start;
		uint64_t end;
	} ranges[IOMMU_INFO_MAX_RANGES];
};

int iommu_info_fd(int container, struct iommu_info *ii);
int iommu_info_lib(struct vfioext_container *c, struct iommu_info *ii);
bool iova_valid(const struct iommu_info *ii, uint64_t iova, uint64_t size);
bool iova_hole_is_reserved(const struct resv_region *r, int n,
			   uint64_t first, uint64_t last);

int edu_set_bus_master(int device, bool on);
int edu_dma(volatile uint32_t *bar, uint64_t src, uint64_t dst,
	    uint32_t count, bool to_ram);
int dma_map(int container, void *vaddr, uint64_t iova, uint64_t size,
	    uint32_t flags);
long long dma_unmap(int container, uint64_t iova, uint64_t size);
int eventfd_wait(int efd, int timeout_ms, uint64_t *val);
int irq_set_eventfd(int device, uint32_t index, uint32_t start, int efd);
int irq_disable(int device, uint32_t index);
int edu_dma_check(struct vfio_handles *h);

/*
 * Behaviour that differs between the supported kernels is decided per
 * kernel (Documentation/uapi.rst, "Behaviour per kernel"); tests expect
 * what the running kernel's column says.
 */
/* The running kernel is at least MAJOR.MINOR (uname). */
bool kernel_at_least(int major, int minor);
/*
 * What the ACPI IRQ-index eventfd counter gains for a Notify of @value:
 * the value before 6.8, 1 (one notification) from 6.8.
 */
uint64_t ntfy_efd_amount(uint32_t value);
/*
 * crosvm's VFIO_DEVICE_ACPI_DSM number reaches the driver (before 6.6;
 * from 6.6 the VFIO core answers it as VFIO_DEVICE_BIND_IOMMUFD).
 */
bool crosvm_dsm_number_reaches_driver(void);
/*
 * vfio-pci-core offers VFIO_PCI_ERR_IRQ_INDEX to every device, not only
 * to PCIe ones (7.3; 6.1 and 6.12: PCIe only, EINVAL for others).
 */
bool err_irq_on_every_device(void);

#endif /* VFIO_COMMON_H */
