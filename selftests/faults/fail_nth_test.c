// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection over every allocation of each uAPI path that allocates
 * or pins (selftests/common/fail_nth.h has the method and what is
 * asserted): device open, container attach, pviommu map and unmap, batch,
 * guest domains and endpoint attach, _DSM, notification enable and the
 * notification channel.  Each path is one fixture variant: a struct
 * fault_case, the device it needs and a prepare() that brings the fixture
 * to the call's precondition.  Adding a path is one variant.
 *
 * _DSM runs against the NotSerialized _DSM of 00:13.0 (\_SB.PCI0.S98 in
 * selftests/acpi/vfioext-test.asl), not the Serialized one of 00:10.0:
 * in 6.1 (and upstream ACPICA), acpi_ps_execute_method() returns on an
 * allocation failure after acpi_ds_begin_method_execution() without
 * acpi_ds_terminate_control_method(), so a Serialized method's mutex is
 * never released and every later evaluation of that method waits for it
 * forever (uninterruptibly).  That is a kernel bug outside vfio-ext; see
 * Documentation/testing.rst.
 *
 * Needs the debug kernel (tools/debug-vm); skips on kernels without fault
 * injection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vhost.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "acpi_common.h"
#include "fail_nth.h"

#define IOVA		0x100000ULL
/* \_SB.PCI0.S98: the test SSDT's NotSerialized _DSM. */
#define FAULT_DSM_BDF	"0000:00:13.0"
#define MAP_SIZE	(64 * 1024)

/* Everything a case may use; the fixture owns it. */
struct fctx {
	struct vfio_handles h;
	void *buf;
	int fd;			/* the object a call created (device, channel) */
	int efd;
	uint32_t domain;
	struct dsm_buf *dsm;
	bool preenabled;
	bool unbind_after;	/* it had no driver: leave it that way */
};

static int pv_batch1(int container, uint32_t op, uint32_t domain,
		     void *vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_ext_pviommu_op o = {
		.op = op, .vaddr = (uintptr_t)vaddr, .iova = iova,
		.size = size, .domain = domain,
		.flags = op == VFIO_EXT_PVIOMMU_OP_MAP ?
			 VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE : 0,
	};
	struct vfio_ext_pviommu_batch b = {
		.argsz = sizeof(b), .nr = 1, .ops = (uintptr_t)&o,
	};

	return ioctl(container, VFIO_EXT_PVIOMMU_BATCH, &b) ? -errno : 0;
}

static int pv_domain_alloc(int container, uint32_t *id)
{
	struct vfio_ext_pviommu_domain d = { .argsz = sizeof(d) };

	if (ioctl(container, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &d))
		return -errno;
	*id = d.id;
	return 0;
}

static int pv_domain_free(int container, uint32_t id)
{
	return ioctl(container, VFIO_EXT_PVIOMMU_DOMAIN_FREE, id) ? -errno : 0;
}

static int pv_attach(struct fctx *c, uint32_t domain)
{
	struct vfio_ext_pviommu_attach at = {
		.argsz = sizeof(at), .group = c->h.group_id, .vsid = 7,
		.domain = domain,
	};

	return ioctl(c->h.container, VFIO_EXT_PVIOMMU_ATTACH, &at) ? -errno : 0;
}

/* --- device open: the first open of the device fd ------------------------ */

static int open_call(void *p)
{
	struct fctx *c = p;

	c->fd = ioctl(c->h.group, VFIO_GROUP_GET_DEVICE_FD, c->h.bdf);
	return c->fd < 0 ? -errno : 0;
}

static int close_fd(void *p)
{
	struct fctx *c = p;
	int ret = close(c->fd) ? -errno : 0;

	c->fd = -1;
	return ret;
}

static int prepare_closed_device(struct fctx *c)
{
	close(c->h.device);
	c->h.device = -1;
	return 0;
}

/*
 * The device is enabled through sysfs before vfio-pci-ext binds it, so
 * the open's pci_enable_device() only counts: it does not evaluate the
 * ACPI _PRT again.  Under fault injection, 6.1's ACPICA frees the
 * namespace's _PRT package on an allocation failure during that
 * evaluation (a KASAN use-after-free, after which PCI interrupt routing
 * is broken for the whole boot): a kernel bug outside vfio-ext, see
 * Documentation/testing.rst.  Everything else of the open still runs
 * under the injection.
 */
static int enable_attr(const char *bdf, const char *v)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", bdf);
	return sysfs_write_str(path, v);
}

static int prepare_preenabled(struct fctx *c)
{
	int ret;

	vfio_close_all(&c->h);
	ret = vfioext_pci_unbind(c->h.bdf);
	if (!ret)
		ret = enable_attr(c->h.bdf, "1");
	if (ret)
		return ret;
	c->preenabled = true;
	ret = vfioext_pci_bind(c->h.bdf, VFIO_EXT_PCI_DRIVER_NAME);
	if (!ret)
		ret = vfio_open_all_iommu(&c->h, c->h.bdf,
					  VFIO_EXT_PVIOMMU_IOMMU);
	return ret ? ret : prepare_closed_device(c);
}

/* --- container attach: VFIO_SET_IOMMU(pviommu) attaches the group --------- */

static int attach_call(void *p)
{
	struct fctx *c = p;

	return ioctl(c->h.container, VFIO_SET_IOMMU, VFIO_EXT_PVIOMMU_IOMMU) ?
	       -errno : 0;
}

static int attach_undo(void *p)
{
	struct fctx *c = p;

	/* The last group leaving releases the backend's container state. */
	if (ioctl(c->h.group, VFIO_GROUP_UNSET_CONTAINER))
		return -errno;
	return ioctl(c->h.group, VFIO_GROUP_SET_CONTAINER, &c->h.container) ?
	       -errno : 0;
}

static int prepare_unattached(struct fctx *c)
{
	int ret = prepare_closed_device(c);

	return ret ? ret : attach_undo(c);
}

/* --- pviommu map / unmap / batch ----------------------------------------- */

static int map_call(void *p)
{
	struct fctx *c = p;

	return dma_map(c->h.container, c->buf, IOVA, MAP_SIZE,
		       VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
}

static int unmap_call(void *p)
{
	struct fctx *c = p;
	long long ret = dma_unmap(c->h.container, IOVA, MAP_SIZE);

	if (ret < 0)
		return ret;
	return ret == MAP_SIZE ? 0 : -EUCLEAN;
}

static int nothing(void *p)
{
	return 0;
}

static int batch_map_call(void *p)
{
	struct fctx *c = p;

	return pv_batch1(c->h.container, VFIO_EXT_PVIOMMU_OP_MAP, c->domain,
			 c->buf, IOVA, MAP_SIZE);
}

static int batch_unmap(void *p)
{
	struct fctx *c = p;

	return pv_batch1(c->h.container, VFIO_EXT_PVIOMMU_OP_UNMAP, c->domain,
			 NULL, IOVA, MAP_SIZE);
}

/* --- guest domains and endpoints ----------------------------------------- */

static int domain_alloc_call(void *p)
{
	struct fctx *c = p;

	return pv_domain_alloc(c->h.container, &c->domain);
}

static int domain_free(void *p)
{
	struct fctx *c = p;
	int ret = pv_domain_free(c->h.container, c->domain);

	c->domain = 0;
	return ret;
}

static int prepare_domain(struct fctx *c)
{
	return pv_domain_alloc(c->h.container, &c->domain);
}

static int endpoint_attach_call(void *p)
{
	return pv_attach(p, ((struct fctx *)p)->domain);
}

static int endpoint_detach(void *p)
{
	return pv_attach(p, 0);
}

/* --- virtio setup: the virtio-iommu device's owner and memory table ------ */

/*
 * Creating the device (not under injection) blocks the named endpoint: the
 * 6.1 IOMMU core WARNs when that blocking-domain attach cannot allocate
 * (an upstream limit, as for endpoint attach), so injection covers what
 * follows: VHOST_SET_OWNER (the worker thread, its cgroups) and
 * VHOST_SET_MEM_TABLE.
 */
static int virtio_create(void *p)
{
	struct fctx *c = p;
	struct vfio_ext_pviommu_viommu a = { .argsz = sizeof(a) };

	c->fd = ioctl(c->h.container, VFIO_EXT_PVIOMMU_VIOMMU, &a);
	return c->fd < 0 ? -errno : 0;
}

static int virtio_setup_call(void *p)
{
	struct fctx *c = p;
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem = {
		.m.nregions = 1,
		.r = { .guest_phys_addr = 0, .memory_size = MAP_SIZE,
		       .userspace_addr = (uintptr_t)c->buf },
	};

	/* Retried after a failure: the owner may be set already. */
	if (ioctl(c->fd, VHOST_SET_OWNER, NULL) && errno != EBUSY)
		return -errno;
	return ioctl(c->fd, VHOST_SET_MEM_TABLE, &mem) ? -errno : 0;
}

static int prepare_endpoint(struct fctx *c)
{
	return pv_attach(c, 0);		/* name the edu endpoint 7 */
}

/* --- _DSM: echo of a Package with every element type --------------------- */

static int dsm_call(void *p)
{
	struct fctx *c = p;
	uint8_t bytes[3] = { 1, 2, 3 };
	uint64_t v = 0xfeedULL;
	struct blob w = blob_init(c->dsm, 0, 5);

	blob_obj(&w, VFIO_ACPI_DSM_TYPE_PACKAGE, 3, NULL, 0, 0);
	blob_obj(&w, VFIO_ACPI_DSM_TYPE_INTEGER, 8, &v, 8, 1);
	blob_obj(&w, VFIO_ACPI_DSM_TYPE_STRING, 2, "ab", 2, 1);
	blob_obj(&w, VFIO_ACPI_DSM_TYPE_BUFFER, 3, bytes, 3, 1);
	return dsm(c->h.device, c->dsm, VFIO_EXT_DEVICE_ACPI_DSM);
}

static int prepare_dsm(struct fctx *c)
{
	if (!test_ssdt_loaded())
		return -ENOENT;
	c->dsm = calloc(1, sizeof(*c->dsm));
	if (!c->dsm)
		return -ENOMEM;
	return write_policy(c->h.bdf, "allow " TEST_UUID " all");
}

/* --- notifications ------------------------------------------------------- */

static int notify_fd_call(void *p)
{
	struct fctx *c = p;

	c->fd = ioctl(c->h.device, VFIO_EXT_DEVICE_ACPI_NOTIFY_FD, 0);
	return c->fd < 0 ? -errno : 0;
}

static int notify_enable_call(void *p)
{
	struct fctx *c = p;

	return irq_set_eventfd(c->h.device, VFIO_PCI_ACPI_NTFY_IRQ_INDEX, 0,
			       c->efd);
}

static int notify_disable(void *p)
{
	struct fctx *c = p;

	return irq_disable(c->h.device, VFIO_PCI_ACPI_NTFY_IRQ_INDEX);
}

static int prepare_acpi(struct fctx *c)
{
	return test_ssdt_loaded() ? 0 : -ENOENT;
}

/* ------------------------------------------------------------------------- */

static const int efault[] = { EFAULT, 0 };
static const int fd_errnos[] = { EMFILE, 0 };

FIXTURE(faults) {
	struct fctx c;
	int nth;
};

FIXTURE_VARIANT(faults) {
	struct fault_case fc;
	enum edu_kind kind;
	const char *bdf;	/* a fixed device instead of @kind */
	/* Not under fault injection; -ENOENT skips. */
	int (*prepare)(struct fctx *c);
};

FIXTURE_VARIANT_ADD(faults, device_open) {
	.fc = { .name = "device open", .call = open_call, .undo = close_fd,
		.errnos = fd_errnos },
	.prepare = prepare_preenabled,
};

FIXTURE_VARIANT_ADD(faults, container_attach) {
	.fc = { .name = "container attach", .call = attach_call,
		.undo = attach_undo },
	.prepare = prepare_unattached,
};

FIXTURE_VARIANT_ADD(faults, map) {
	.fc = { .name = "map", .call = map_call, .undo = unmap_call,
		.errnos = efault },
};

FIXTURE_VARIANT_ADD(faults, unmap) {
	.fc = { .name = "unmap", .before = map_call, .call = unmap_call,
		.undo = nothing, .no_alloc = true },
};

FIXTURE_VARIANT_ADD(faults, batch_map_domain) {
	.fc = { .name = "batch map (guest domain)", .call = batch_map_call,
		.undo = batch_unmap, .errnos = efault },
	.prepare = prepare_domain,
};

FIXTURE_VARIANT_ADD(faults, domain_alloc) {
	.fc = { .name = "domain alloc", .call = domain_alloc_call,
		.undo = domain_free },
};

FIXTURE_VARIANT_ADD(faults, endpoint_attach) {
	.fc = { .name = "endpoint attach", .call = endpoint_attach_call,
		.undo = endpoint_detach, .first_point = 2 },
	.prepare = prepare_domain,
};

FIXTURE_VARIANT_ADD(faults, virtio_setup) {
	.fc = { .name = "virtio setup", .before = virtio_create,
		.call = virtio_setup_call, .undo = close_fd },
	.prepare = prepare_endpoint,
};

FIXTURE_VARIANT_ADD(faults, dsm) {
	.fc = { .name = "_DSM", .call = dsm_call, .undo = nothing,
		.errnos = efault },
	.bdf = FAULT_DSM_BDF,
	.prepare = prepare_dsm,
};

FIXTURE_VARIANT_ADD(faults, notify_enable) {
	.fc = { .name = "notify enable", .call = notify_enable_call,
		.undo = notify_disable, .errnos = efault },
	.prepare = prepare_acpi,
};

FIXTURE_VARIANT_ADD(faults, notify_channel) {
	.fc = { .name = "notify channel", .call = notify_fd_call,
		.undo = close_fd, .errnos = fd_errnos },
	.prepare = prepare_acpi,
};

/* VFIOEXT_FAULT_CASE=<name> runs one case ('_' matches ' '). */
static bool case_selected(const char *name)
{
	const char *want = getenv("VFIOEXT_FAULT_CASE");

	if (!want || !*want)
		return true;
	for (; *want && *name; want++, name++)
		if (*want != *name && !(*want == '_' && *name == ' '))
			return false;
	return !*want && !*name;
}

FIXTURE_SETUP(faults)
{
	char bdf[VFIOEXT_BDF_LEN], drv[64];
	int ret;

	if (!case_selected(variant->fc.name))
		SKIP(_exit(255), "not selected by VFIOEXT_FAULT_CASE");

	vfio_handles_init(&self->c.h);
	self->c.fd = -1;
	self->c.efd = -1;
	self->nth = fail_nth_open();
	if (self->nth == -ENOENT)
		SKIP(_exit(255), "no fault injection in this kernel");
	ASSERT_LE(0, self->nth);
	if (variant->bdf)
		snprintf(bdf, sizeof(bdf), "%s", variant->bdf);
	if (variant->bdf ? vfioext_pci_iommu_group(bdf) < 0 :
	    edu_find(variant->kind, bdf))
		SKIP(_exit(255), "no such edu device on this machine");
	self->c.unbind_after = !vfioext_pci_driver(bdf, drv, sizeof(drv)) &&
			       !drv[0];
	ASSERT_EQ(0, vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all_iommu(&self->c.h, bdf,
					 VFIO_EXT_PVIOMMU_IOMMU));
	self->c.buf = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->c.buf);
	self->c.efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->c.efd);
	if (variant->prepare) {
		ret = variant->prepare(&self->c);
		if (ret == -ENOENT)
			SKIP(_exit(255), "test SSDT not loaded");
		ASSERT_EQ(0, ret);
	}
}

FIXTURE_TEARDOWN(faults)
{
	if (self->c.domain) {
		pv_attach(&self->c, 0);
		pv_domain_free(self->c.h.container, self->c.domain);
	}
	if (self->c.dsm)
		write_policy(self->c.h.bdf, "reset");
	free(self->c.dsm);
	if (self->c.fd >= 0)
		close(self->c.fd);
	vfio_close_all(&self->c.h);
	if (self->c.preenabled) {
		vfioext_pci_unbind(self->c.h.bdf);
		enable_attr(self->c.h.bdf, "0");
		vfioext_pci_bind(self->c.h.bdf, VFIO_EXT_PCI_DRIVER_NAME);
	}
	/* The bench as we found it, for the tests after us. */
	if (self->c.unbind_after)
		vfioext_pci_unbind(self->c.h.bdf);
}

TEST_F_TIMEOUT(faults, every_allocation, 600)
{
	fail_nth_run(_metadata, self->nth, &variant->fc, &self->c);
}

TEST_HARNESS_MAIN
