// SPDX-License-Identifier: GPL-2.0-only
/*
 * The extensibility rules of every vfio-ext ioctl (Documentation/uapi.rst,
 * "Versioning"), one table row per ioctl and one test per rule:
 *
 * - argsz below the structure's first version: EINVAL;
 * - argsz above what the kernel knows, non-zero bytes there: E2BIG (a
 *   newer binary asked for something this kernel cannot do), and any
 *   argsz above the page size;
 * - argsz above what the kernel knows, zero bytes there: accepted, and
 *   nothing is written beyond the known fields;
 * - a flag the kernel does not know: EINVAL;
 * - an old binary: the first version's size is accepted, and the numbers
 *   of vfio-ext before API version 6 (bare integers, _IOW/_IOWR numbers)
 *   are refused with ENOTTY, never misread.
 *
 * VFIO_EXT_PVIOMMU_BATCH's entries follow the same rules per entry, with
 * op_size as their argsz.  Every row runs on a vfio-pci-ext device (the
 * test firmware's, for the ACPI rows) in a pviommu container; the
 * in-kernel virtio device's rows on that container's virtio-iommu.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "le.h"
#include "vfio_common.h"
#include "acpi_common.h"

#define PAGE		4096
#define IOVA		0x100000ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define TAIL		8	/* bytes a "newer binary" adds */
#define CANARY		0xa5

/* The numbers of vfio-ext before API version 6 (never released). */
#define OLD_DEVICE_ACPI_DSM		_IOC(_IOC_READ | _IOC_WRITE, 0xE7, 0x00, 8)
#define OLD_DEVICE_ACPI_NOTIFY_FD	_IO(0xE7, 0x01)
#define OLD_PVIOMMU_BATCH		_IOC(_IOC_READ | _IOC_WRITE, 0xE7, 0x10, 24)
#define OLD_PVIOMMU_DOMAIN_ALLOC	_IOC(_IOC_READ | _IOC_WRITE, 0xE7, 0x11, 16)
#define OLD_PVIOMMU_DOMAIN_FREE		_IO(0xE7, 0x12)
#define OLD_PVIOMMU_ATTACH		_IOC(_IOC_WRITE, 0xE7, 0x13, 24)
#define OLD_PVIOMMU_SIDS		_IOC(_IOC_READ | _IOC_WRITE, 0xE7, 0x14, 16)
#define OLD_PVIOMMU_VIOMMU		_IOC(_IOC_WRITE, 0xE7, 0x15, 16)
#define OLD_PVIOMMU_LIMITS		_IOC(_IOC_READ | _IOC_WRITE, 0xE7, 0x16, 16)

FIXTURE(uapi) {
	struct vfio_handles h;
	bool acpi;
	uint8_t *page;			/* what BATCH maps */
	int viommu;			/* the virtio-iommu fd, or -1 */
	int pipe[2];			/* where device state goes */
	uint8_t args[ARGS_LEN];		/* the _DSM args */
	uint8_t arg[2 * PAGE] __attribute__((aligned(8)));
};

/* One ioctl: how to build a valid argument and undo a successful call. */
FIXTURE_VARIANT(uapi) {
	unsigned long nr;
	bool container;		/* else the device fd */
	bool viommu;		/* the container's virtio-iommu fd */
	uint32_t base_flags;	/* flags every call has (a direction) */
	bool needs_acpi;	/* the test firmware's _DSM and companion */
	bool returns_fd;	/* success is a new fd, else 0 */
	uint32_t ver0;		/* its *_SIZE_VER0 */
	uint32_t ksize;		/* sizeof() in this header */
	uint32_t known_flags;
	unsigned long old_nr;	/* 0: new after API version 6 */
	void (*fill)(struct _test_data_uapi *self, void *arg);
	void (*undo)(struct _test_data_uapi *self, void *arg, long ret);
};

static void fill_dsm(struct _test_data_uapi *self, void *arg)
{
	struct vfio_ext_acpi_dsm *a = arg;

	/* Function 0 (which functions exist), allowed by default. */
	memset(self->args, 0, sizeof(self->args));
	memcpy(self->args, test_uuid, 16);
	a->args_size = sizeof(self->args);
	a->args = (uintptr_t)self->args;
}

static void fill_none(struct _test_data_uapi *self, void *arg)
{
}

static void close_fd(struct _test_data_uapi *self, void *arg, long ret)
{
	close(ret);
}

static void fill_batch(struct _test_data_uapi *self, void *arg)
{
	static struct vfio_ext_pviommu_op op;
	struct vfio_ext_pviommu_batch *b = arg;

	op = (struct vfio_ext_pviommu_op){
		.op = VFIO_EXT_PVIOMMU_OP_MAP, .flags = RW,
		.vaddr = (uintptr_t)self->page, .iova = IOVA, .size = PAGE,
	};
	b->nr = 1;
	b->op_size = sizeof(op);
	b->ops = (uintptr_t)&op;
}

static void unmap_iova(struct _test_data_uapi *self, void *arg, long ret)
{
	dma_unmap(self->h.container, IOVA, PAGE);
}

static int domain_alloc(int container, uint32_t *id)
{
	struct vfio_ext_pviommu_domain d = { .argsz = sizeof(d) };

	if (ioctl(container, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &d))
		return -errno;
	*id = d.id;
	return 0;
}

static int domain_free(int container, uint32_t id)
{
	struct vfio_ext_pviommu_domain_free f = { .argsz = sizeof(f), .id = id };

	return ioctl(container, VFIO_EXT_PVIOMMU_DOMAIN_FREE, &f) ? -errno : 0;
}

static void free_domain(struct _test_data_uapi *self, void *arg, long ret)
{
	domain_free(self->h.container,
		    ((struct vfio_ext_pviommu_domain *)arg)->id);
}

static void fill_domain_free(struct _test_data_uapi *self, void *arg)
{
	struct vfio_ext_pviommu_domain_free *f = arg;

	/* A domain to free (a refused call leaves it to the container). */
	if (domain_alloc(self->h.container, &f->id))
		f->id = 0;
}

static void fill_attach(struct _test_data_uapi *self, void *arg)
{
	struct vfio_ext_pviommu_attach *at = arg;

	at->group = self->h.group_id;
	at->vsid = 7;
}

static void fill_sids(struct _test_data_uapi *self, void *arg)
{
	((struct vfio_ext_pviommu_sids *)arg)->group = self->h.group_id;
}

static void no_undo(struct _test_data_uapi *self, void *arg, long ret)
{
}

/* SAVE into a pipe (an empty state: the device has not run). */
static void fill_state(struct _test_data_uapi *self, void *arg)
{
	((struct vfio_ext_virtio_state *)arg)->fd = self->pipe[1];
}

/* The device's fd: a virtio-iommu, owned. */
static int viommu_open(struct _test_data_uapi *self)
{
	struct vfio_ext_pviommu_attach at = {
		.argsz = sizeof(at), .group = self->h.group_id, .vsid = 7,
	};
	struct vfio_ext_pviommu_viommu v = { .argsz = sizeof(v) };

	if (ioctl(self->h.container, VFIO_EXT_PVIOMMU_ATTACH, &at))
		return -errno;
	self->viommu = ioctl(self->h.container, VFIO_EXT_PVIOMMU_VIOMMU, &v);
	if (self->viommu < 0 || ioctl(self->viommu, VHOST_SET_OWNER, NULL))
		return -errno;
	return pipe(self->pipe) ? -errno : 0;
}

FIXTURE_VARIANT_ADD(uapi, device_acpi_dsm) {
	.nr = VFIO_EXT_DEVICE_ACPI_DSM, .needs_acpi = true,
	.ver0 = VFIO_EXT_ACPI_DSM_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_acpi_dsm),
	.old_nr = OLD_DEVICE_ACPI_DSM, .fill = fill_dsm, .undo = no_undo,
};

FIXTURE_VARIANT_ADD(uapi, device_acpi_notify_fd) {
	.nr = VFIO_EXT_DEVICE_ACPI_NOTIFY_FD, .needs_acpi = true,
	.returns_fd = true, .ver0 = VFIO_EXT_ACPI_NOTIFY_FD_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_acpi_notify_fd),
	.known_flags = VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK,
	.old_nr = OLD_DEVICE_ACPI_NOTIFY_FD, .fill = fill_none,
	.undo = close_fd,
};

FIXTURE_VARIANT_ADD(uapi, pviommu_batch) {
	.nr = VFIO_EXT_PVIOMMU_BATCH, .container = true,
	.ver0 = VFIO_EXT_PVIOMMU_BATCH_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_pviommu_batch),
	.old_nr = OLD_PVIOMMU_BATCH, .fill = fill_batch, .undo = unmap_iova,
};

FIXTURE_VARIANT_ADD(uapi, pviommu_domain_alloc) {
	.nr = VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, .container = true,
	.ver0 = VFIO_EXT_PVIOMMU_DOMAIN_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_pviommu_domain),
	.old_nr = OLD_PVIOMMU_DOMAIN_ALLOC, .fill = fill_none,
	.undo = free_domain,
};

FIXTURE_VARIANT_ADD(uapi, pviommu_domain_free) {
	.nr = VFIO_EXT_PVIOMMU_DOMAIN_FREE, .container = true,
	.ver0 = VFIO_EXT_PVIOMMU_DOMAIN_FREE_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_pviommu_domain_free),
	.old_nr = OLD_PVIOMMU_DOMAIN_FREE, .fill = fill_domain_free,
	.undo = no_undo,
};

FIXTURE_VARIANT_ADD(uapi, pviommu_attach) {
	.nr = VFIO_EXT_PVIOMMU_ATTACH, .container = true,
	.ver0 = VFIO_EXT_PVIOMMU_ATTACH_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_pviommu_attach),
	.old_nr = OLD_PVIOMMU_ATTACH, .fill = fill_attach, .undo = no_undo,
};

FIXTURE_VARIANT_ADD(uapi, virtio_device_state) {
	.nr = VFIO_EXT_VIRTIO_DEVICE_STATE, .viommu = true,
	.base_flags = VFIO_EXT_VIRTIO_STATE_SAVE, .returns_fd = true,
	.ver0 = VFIO_EXT_VIRTIO_STATE_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_virtio_state),
	.known_flags = VFIO_EXT_VIRTIO_STATE_SAVE | VFIO_EXT_VIRTIO_STATE_LOAD,
	.fill = fill_state, .undo = no_undo,
};

FIXTURE_VARIANT_ADD(uapi, pviommu_sids) {
	.nr = VFIO_EXT_PVIOMMU_SIDS, .container = true,
	.ver0 = VFIO_EXT_PVIOMMU_SIDS_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_pviommu_sids),
	.old_nr = OLD_PVIOMMU_SIDS, .fill = fill_sids, .undo = no_undo,
};

FIXTURE_VARIANT_ADD(uapi, pviommu_viommu) {
	.nr = VFIO_EXT_PVIOMMU_VIOMMU, .container = true, .returns_fd = true,
	.ver0 = VFIO_EXT_PVIOMMU_VIOMMU_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_pviommu_viommu),
	.known_flags = VFIO_EXT_VIOMMU_F_BOOT_BYPASS,
	.old_nr = OLD_PVIOMMU_VIOMMU, .fill = fill_none, .undo = close_fd,
};

FIXTURE_VARIANT_ADD(uapi, pviommu_limits) {
	.nr = VFIO_EXT_PVIOMMU_LIMITS, .container = true,
	.ver0 = VFIO_EXT_PVIOMMU_LIMITS_SIZE_VER0,
	.ksize = sizeof(struct vfio_ext_pviommu_limits),
	.known_flags = VFIO_EXT_PVIOMMU_LIMITS_SET_GUEST,
	.old_nr = OLD_PVIOMMU_LIMITS, .fill = fill_none, .undo = no_undo,
};

FIXTURE_SETUP(uapi)
{
	vfio_handles_init(&self->h);
	self->page = NULL;
	self->viommu = -1;
	self->pipe[0] = -1;
	self->pipe[1] = -1;
	self->acpi = test_ssdt_loaded();
	if (variant->needs_acpi && !self->acpi)
		SKIP(_exit(255), "test SSDT not loaded (vmrun --acpi-table)");
	if (!pci_present(DSM_BDF))
		SKIP(_exit(255), NO_PCI_DEVICE, DSM_BDF);
	self->page = aligned_alloc(PAGE, PAGE);
	ASSERT_NE(NULL, self->page);
	memset(self->page, 0, PAGE);
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, DSM_BDF,
					 VFIO_EXT_PVIOMMU_IOMMU));
	if (self->acpi)
		ASSERT_EQ(0, write_policy(DSM_BDF, "reset"));
	if (variant->viommu)
		ASSERT_EQ(0, viommu_open(self));
}

FIXTURE_TEARDOWN(uapi)
{
	if (self->viommu >= 0)
		close(self->viommu);
	if (self->pipe[0] >= 0)
		close(self->pipe[0]);
	if (self->pipe[1] >= 0)
		close(self->pipe[1]);
	vfio_close_all(&self->h);
	free(self->page);
}

/*
 * The row's ioctl on @argsz bytes of a valid argument (filled, zeros up
 * to @argsz, CANARY after a larger one) with @flags; the result as a
 * negative errno, or what the call returned.
 */
static int fd_of(struct _test_data_uapi *self,
		 const struct _fixture_variant_uapi *variant)
{
	if (variant->viommu)
		return self->viommu;
	return variant->container ? self->h.container : self->h.device;
}

static long call(struct _test_data_uapi *self,
		 const struct _fixture_variant_uapi *variant,
		 uint32_t argsz, uint32_t flags)
{
	int fd = fd_of(self, variant);
	uint32_t *hdr = (uint32_t *)self->arg;
	long ret;

	memset(self->arg, 0, sizeof(self->arg));
	variant->fill(self, self->arg);
	hdr[0] = argsz;
	hdr[1] = flags | variant->base_flags;
	if (argsz >= variant->ksize && argsz < sizeof(self->arg))
		self->arg[argsz] = CANARY;
	ret = ioctl(fd, variant->nr, self->arg);
	return ret < 0 ? -errno : ret;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* A successful call's result: 0, or a new fd. */
static bool success(const struct _fixture_variant_uapi *variant, long ret)
{
	return variant->returns_fd ? ret >= 0 : ret == 0;
}

TEST_F(uapi, valid_call)
{
	long ret = call(self, variant, variant->ksize, 0);

	EXPECT_TRUE(success(variant, ret)) {
		TH_LOG("%s", strerror(-ret));
	}
	if (success(variant, ret))
		variant->undo(self, self->arg, ret);
}

TEST_F(uapi, too_small)
{
	EXPECT_EQ(-EINVAL, call(self, variant, variant->ver0 - 1, 0));
	EXPECT_EQ(-EINVAL, call(self, variant, 4, 0));	/* argsz alone */
	EXPECT_EQ(-EINVAL, call(self, variant, 0, 0));
}

TEST_F(uapi, too_large_nonzero_tail)
{
	uint32_t big = variant->ksize + TAIL;

	/* Any one non-zero byte beyond what the kernel knows. */
	memset(self->arg, 0, sizeof(self->arg));
	variant->fill(self, self->arg);
	((uint32_t *)self->arg)[0] = big;
	((uint32_t *)self->arg)[1] = variant->base_flags;
	self->arg[big - 1] = 1;
	EXPECT_EQ(-1, ioctl(fd_of(self, variant), variant->nr, self->arg));
	EXPECT_EQ(E2BIG, errno);
	memset(self->arg, 0, sizeof(self->arg));
	variant->fill(self, self->arg);
	((uint32_t *)self->arg)[0] = big;
	((uint32_t *)self->arg)[1] = variant->base_flags;
	self->arg[variant->ksize] = 0x80;
	EXPECT_EQ(-1, ioctl(fd_of(self, variant), variant->nr, self->arg));
	EXPECT_EQ(E2BIG, errno);
	/* Above the page size the tail is not even looked at. */
	EXPECT_EQ(-E2BIG, call(self, variant, PAGE + 1, 0));
	EXPECT_EQ(-E2BIG, call(self, variant, UINT32_MAX, 0));
}

TEST_F(uapi, too_large_zero_tail)
{
	uint32_t sizes[] = { variant->ksize + TAIL, PAGE };
	unsigned int i;
	long ret;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ret = call(self, variant, sizes[i], 0);
		EXPECT_TRUE(success(variant, ret)) {
			TH_LOG("argsz %u: %s", sizes[i], strerror(-ret));
		}
		if (!success(variant, ret))
			continue;
		/* Written back: the known fields only, never the tail. */
		EXPECT_EQ(sizes[i], ((uint32_t *)self->arg)[0]);
		EXPECT_TRUE(all_zero(self->arg + variant->ksize,
				     sizes[i] - variant->ksize));
		EXPECT_EQ(CANARY, self->arg[sizes[i]]);
		variant->undo(self, self->arg, ret);
	}
}

TEST_F(uapi, unknown_flags)
{
	uint32_t bit;

	for (bit = 0; bit < 32; bit++) {
		if (variant->known_flags & (1u << bit))
			continue;
		EXPECT_EQ(-EINVAL, call(self, variant, variant->ksize,
					1u << bit)) {
			TH_LOG("flag bit %u", bit);
		}
	}
}

/* An older binary: the first version's size works. */
TEST_F(uapi, old_binary_first_version)
{
	long ret;

	ASSERT_LE(variant->ver0, variant->ksize);
	ret = call(self, variant, variant->ver0, 0);
	EXPECT_TRUE(success(variant, ret)) {
		TH_LOG("%s", strerror(-ret));
	}
	if (success(variant, ret))
		variant->undo(self, self->arg, ret);
}

/*
 * A binary built against vfio-ext before API version 6: its numbers are
 * refused before anything is read (an integer where a pointer is now
 * expected, a structure laid out differently).
 */
TEST_F(uapi, old_binary_old_number)
{
	int fd = fd_of(self, variant);

	if (!variant->old_nr)
		SKIP(return, "new after API version 6: no older number");
	memset(self->arg, 0, sizeof(self->arg));
	variant->fill(self, self->arg);
	EXPECT_EQ(-1, ioctl(fd, variant->old_nr, self->arg));
	EXPECT_EQ(ENOTTY, errno);
	/* The bare-integer forms, as an old binary passed them. */
	EXPECT_EQ(-1, ioctl(fd, variant->old_nr, 1UL));
	EXPECT_EQ(ENOTTY, errno);
}

/* ------------------------------------------------------------------ */
/* The API version                                                     */
/* ------------------------------------------------------------------ */

FIXTURE(version) {
	struct vfio_handles h;
};

FIXTURE_SETUP(version)
{
	vfio_handles_init(&self->h);
	if (!pci_present(DSM_BDF))
		SKIP(_exit(255), NO_PCI_DEVICE, DSM_BDF);
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, DSM_BDF,
					 VFIO_EXT_PVIOMMU_IOMMU));
}

FIXTURE_TEARDOWN(version)
{
	vfio_close_all(&self->h);
}

TEST_F(version, detectable)
{
	EXPECT_EQ(VFIO_EXT_API_VERSION,
		  ioctl(self->h.device, VFIO_EXT_DEVICE_GET_API_VERSION, 0));
	/* It takes no argument. */
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_EXT_DEVICE_GET_API_VERSION,
			    1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(VFIO_EXT_API_VERSION,
		  ioctl(self->h.container, VFIO_CHECK_EXTENSION,
			VFIO_EXT_PVIOMMU_IOMMU));
}

/* ------------------------------------------------------------------ */
/* VFIO_EXT_PVIOMMU_BATCH: the rules per entry                         */
/* ------------------------------------------------------------------ */

#define STRIDE	(sizeof(struct vfio_ext_pviommu_op) + TAIL)

FIXTURE(batch) {
	struct vfio_handles h;
	uint8_t *page;
	uint8_t ops[4 * PAGE] __attribute__((aligned(8)));
};

FIXTURE_SETUP(batch)
{
	vfio_handles_init(&self->h);
	self->page = NULL;
	if (!pci_present(DSM_BDF))
		SKIP(_exit(255), NO_PCI_DEVICE, DSM_BDF);
	self->page = aligned_alloc(PAGE, PAGE);
	ASSERT_NE(NULL, self->page);
	memset(self->page, 0, PAGE);
	memset(self->ops, 0, sizeof(self->ops));
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, DSM_BDF,
					 VFIO_EXT_PVIOMMU_IOMMU));
}

FIXTURE_TEARDOWN(batch)
{
	vfio_close_all(&self->h);
	free(self->page);
}

/* Entry @i of a @stride-spaced array: a MAP or UNMAP of one page. */
static struct vfio_ext_pviommu_op *entry(struct _test_data_batch *self,
					 size_t stride, unsigned int i,
					 uint32_t op)
{
	struct vfio_ext_pviommu_op *o = (void *)(self->ops + i * stride);

	*o = (struct vfio_ext_pviommu_op){
		.op = op, .flags = op == VFIO_EXT_PVIOMMU_OP_MAP ? RW : 0,
		.vaddr = (uintptr_t)self->page, .iova = IOVA, .size = PAGE,
	};
	return o;
}

static int run(struct _test_data_batch *self, uint32_t nr, uint32_t op_size,
	       uint32_t *done)
{
	struct vfio_ext_pviommu_batch b = {
		.argsz = sizeof(b), .nr = nr, .op_size = op_size,
		.ops = (uintptr_t)self->ops, .done = 0xdead,
	};
	int ret = ioctl(self->h.container, VFIO_EXT_PVIOMMU_BATCH, &b) ?
		  -errno : 0;

	if (done)
		*done = b.done;
	return ret;
}

TEST_F(batch, op_size_below_first_version)
{
	entry(self, sizeof(struct vfio_ext_pviommu_op), 0,
	      VFIO_EXT_PVIOMMU_OP_MAP);
	EXPECT_EQ(-EINVAL, run(self, 1, VFIO_EXT_PVIOMMU_OP_SIZE_VER0 - 1,
			       NULL));
	EXPECT_EQ(-EINVAL, run(self, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, run(self, 0, 8, NULL));
	/* Nothing was mapped. */
	EXPECT_EQ(0, dma_unmap(self->h.container, IOVA, PAGE));
}

/* A newer binary's larger entries, their new bytes zero: accepted. */
TEST_F(batch, op_size_larger_zero_tail)
{
	struct vfio_ext_pviommu_op *un;
	uint32_t done;

	entry(self, STRIDE, 0, VFIO_EXT_PVIOMMU_OP_MAP);
	un = entry(self, STRIDE, 1, VFIO_EXT_PVIOMMU_OP_UNMAP);
	un->size = 2 * PAGE;	/* covers the one-page mapping: PAGE back */
	ASSERT_EQ(0, run(self, 2, STRIDE, &done));
	EXPECT_EQ(2, done);
	/* The unmapped size went back into entry 1, at its stride. */
	EXPECT_EQ(PAGE, un->size);
	EXPECT_EQ(IOVA, un->iova);
	EXPECT_EQ(PAGE, ((struct vfio_ext_pviommu_op *)self->ops)->size);
	EXPECT_EQ(0, self->ops[STRIDE + sizeof(*un)]);
	EXPECT_EQ(0, self->ops[2 * STRIDE - 1]);
	/* And the first version's stride, an older binary's. */
	memset(self->ops, 0, sizeof(self->ops));
	entry(self, VFIO_EXT_PVIOMMU_OP_SIZE_VER0, 0, VFIO_EXT_PVIOMMU_OP_MAP);
	ASSERT_EQ(0, run(self, 1, VFIO_EXT_PVIOMMU_OP_SIZE_VER0, &done));
	EXPECT_EQ(1, done);
	EXPECT_EQ(PAGE, dma_unmap(self->h.container, IOVA, PAGE));
	/* The largest stride, a page per entry. */
	memset(self->ops, 0, sizeof(self->ops));
	entry(self, PAGE, 0, VFIO_EXT_PVIOMMU_OP_MAP);
	entry(self, PAGE, 1, VFIO_EXT_PVIOMMU_OP_UNMAP);
	ASSERT_EQ(0, run(self, 2, PAGE, &done));
	EXPECT_EQ(2, done);
}

/*
 * A bad op, entry flag or reserved word in a later entry: EINVAL before
 * anything runs (a newer binary probing a new op changes nothing).
 */
TEST_F(batch, bad_entry_refused_before_any_runs)
{
	static const struct vfio_ext_pviommu_op bad[] = {
		{ .op = 3 },
		{ .op = VFIO_EXT_PVIOMMU_OP_UNMAP, .flags = 1u << 31 },
		{ .op = VFIO_EXT_PVIOMMU_OP_UNMAP, .reserved = 1 },
		{ .op = VFIO_EXT_PVIOMMU_OP_MAP, .flags = RW | (1u << 2) },
	};
	const size_t sz = sizeof(bad[0]);
	struct vfio_ext_pviommu_op *e;
	uint32_t done;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(self->ops, 0, sizeof(self->ops));
		entry(self, sz, 0, VFIO_EXT_PVIOMMU_OP_MAP);
		e = entry(self, sz, 1, bad[i].op);
		e->flags = bad[i].flags;
		e->reserved = bad[i].reserved;
		EXPECT_EQ(-EINVAL, run(self, 2, sz, &done))
			TH_LOG("bad entry %zu", i);
		EXPECT_EQ(0, done);
		/* Entry 0 did not run: nothing to unmap. */
		EXPECT_EQ(0, dma_unmap(self->h.container, IOVA, PAGE));
	}
}

/* A non-zero byte in any entry's tail: E2BIG before anything runs. */
TEST_F(batch, op_size_larger_nonzero_tail)
{
	uint32_t done;

	entry(self, STRIDE, 0, VFIO_EXT_PVIOMMU_OP_MAP);
	entry(self, STRIDE, 1, VFIO_EXT_PVIOMMU_OP_UNMAP);
	self->ops[2 * STRIDE - 1] = 1;	/* entry 1's last byte */
	EXPECT_EQ(-E2BIG, run(self, 2, STRIDE, &done));
	EXPECT_EQ(0, done);
	/* Entry 0 did not run: nothing is mapped. */
	EXPECT_EQ(0, dma_unmap(self->h.container, IOVA, PAGE));
	self->ops[2 * STRIDE - 1] = 0;
	self->ops[sizeof(struct vfio_ext_pviommu_op)] = 0x80;	/* entry 0 */
	EXPECT_EQ(-E2BIG, run(self, 2, STRIDE, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(0, dma_unmap(self->h.container, IOVA, PAGE));
	/* An entry above the page size is not looked at. */
	EXPECT_EQ(-E2BIG, run(self, 1, PAGE + 1, &done));
}

/*
 * Counts and strides whose product passes 32 bits (a kernel multiplying
 * in u32 would read nothing, or a little, and run garbage): the bounds on
 * nr and op_size refuse them before any multiplication or allocation,
 * with no allocation warning.
 */
TEST_F(batch, count_times_size_overflow)
{
	uint32_t done;

	entry(self, sizeof(struct vfio_ext_pviommu_op), 0,
	      VFIO_EXT_PVIOMMU_OP_MAP);
	/* 4096 * 1 MiB = 2^32: zero in 32 bits. */
	EXPECT_EQ(-E2BIG, run(self, VFIO_EXT_PVIOMMU_BATCH_MAX, 1 << 20,
			      &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(-E2BIG, run(self, 0x80000000u, 64, &done));
	EXPECT_EQ(-E2BIG, run(self, UINT32_MAX, UINT32_MAX, &done));
	EXPECT_EQ(-E2BIG, run(self, VFIO_EXT_PVIOMMU_BATCH_MAX + 1,
			      sizeof(struct vfio_ext_pviommu_op), &done));
	EXPECT_EQ(0, dma_unmap(self->h.container, IOVA, PAGE));
}

/*
 * The largest batch at the largest stride (16 MiB) is within bounds: it
 * is read, here up to the unmapped page after the array (EFAULT, nothing
 * ran).
 */
TEST_F(batch, largest_array_is_read)
{
	struct vfio_ext_pviommu_batch b = {
		.argsz = sizeof(b), .nr = VFIO_EXT_PVIOMMU_BATCH_MAX,
		.op_size = PAGE, .done = 0xdead,
	};
	uint8_t *area = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, munmap(area + PAGE, PAGE));
	memset(area, 0, PAGE);
	memcpy(area, entry(self, PAGE, 0, VFIO_EXT_PVIOMMU_OP_MAP),
	       sizeof(struct vfio_ext_pviommu_op));
	b.ops = (uintptr_t)area;
	EXPECT_EQ(-1, ioctl(self->h.container, VFIO_EXT_PVIOMMU_BATCH, &b));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, b.done);
	EXPECT_EQ(0, dma_unmap(self->h.container, IOVA, PAGE));
	munmap(area, PAGE);
}

TEST_F(batch, reserved_must_be_zero)
{
	struct vfio_ext_pviommu_batch b = {
		.argsz = sizeof(b), .nr = 1,
		.op_size = sizeof(struct vfio_ext_pviommu_op),
		.ops = (uintptr_t)self->ops, .reserved = 1,
	};

	entry(self, sizeof(struct vfio_ext_pviommu_op), 0,
	      VFIO_EXT_PVIOMMU_OP_MAP);
	EXPECT_EQ(-1, ioctl(self->h.container, VFIO_EXT_PVIOMMU_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, dma_unmap(self->h.container, IOVA, PAGE));
}

TEST_HARNESS_MAIN
