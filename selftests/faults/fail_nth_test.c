// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection over every allocation of each uAPI path that allocates
 * or pins (selftests/common/fail_nth.h has the method and what is
 * asserted): device open, container attach and group detach, pviommu map
 * and unmap, batch,
 * guest domains and endpoint attach, the virtio-iommu's device state
 * (LOAD of a blob with mappings, SAVE), _DSM, notification enable and the
 * notification channel, and the generic netlink family (dev-get do and
 * dump, pviommu-get do and dump, dsm-policy-set, the events subscription
 * and an event emitted in the caller's context).  Each path is one fixture variant: a struct
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
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_iommu.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "acpi_common.h"
#include "fail_nth.h"
#include "vring_guest.h"

#define IOVA		0x100000ULL
/* \_SB.PCI0.S98: the test SSDT's NotSerialized _DSM. */
#define FAULT_DSM_BDF	test_bdf("VFIOEXT_TEST_FAULT_BDF", "0000:00:13.0")
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
	struct drv_binding bind;	/* its driver before: put back */
	/* netlink cases */
	struct vfioext_nl *nl;	/* request handle; NULL after a failed call */
	struct vfioext_nl *ev;	/* events handle */
	struct vfioext_nl_dev *nl_dev;	/* what dev-get said before injection */
	struct vfioext_nl_dev **nl_devs;	/* ... and the dump */
	size_t nl_ndevs;
	struct vfioext_nl_pviommu **nl_pvs;	/* the pviommu dump */
	size_t nl_npvs;
	const struct vfioext_nl_pviommu *nl_pv;	/* our container in it */
	char pol_before[512], pol_after[512];
	int nl_grp;		/* the "events" multicast group */
	uint64_t ev_seq;	/* last event received */
	bool ev_gap_due;	/* an event was lost since */
	unsigned int nl_applied;	/* failed calls that took effect */
	unsigned int ev_lost;
	int nth;		/* fail-nth: was the fault injected? */
	struct vring_guest vg;	/* virtio cases: the guest's request queue */
	int state;		/* device-state cases: the blob (a memfd) */
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
		.argsz = sizeof(b), .nr = 1, .op_size = sizeof(o),
		.ops = (uintptr_t)&o,
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
	struct vfio_ext_pviommu_domain_free f = { .argsz = sizeof(f), .id = id };

	return ioctl(container, VFIO_EXT_PVIOMMU_DOMAIN_FREE, &f) ? -errno : 0;
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

/*
 * --- group detach: the group leaves the container ------------------------
 *
 * VFIO_GROUP_UNSET_CONTAINER cannot fail, but the IOMMU core's switch to
 * the blocking domain inside it can (the 6.12 VT-d driver allocates for
 * it; the core WARNs, accepted in this test, and leaves the group where it
 * was): pviommu must then not free the domain the group still uses
 * (KASAN sees the next attach use it).  The container holds a mapping,
 * so the group's domain has page tables.
 */
static int detach_call(void *p)
{
	struct fctx *c = p;

	return ioctl(c->h.group, VFIO_GROUP_UNSET_CONTAINER) ? -errno : 0;
}

static int detach_undo(void *p)
{
	struct fctx *c = p;

	if (ioctl(c->h.group, VFIO_GROUP_SET_CONTAINER, &c->h.container) ||
	    ioctl(c->h.container, VFIO_SET_IOMMU, VFIO_EXT_PVIOMMU_IOMMU))
		return -errno;
	return dma_map(c->h.container, c->buf, IOVA, MAP_SIZE,
		       VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
}

static int prepare_detach(struct fctx *c)
{
	int ret = prepare_closed_device(c);

	return ret ? ret : dma_map(c->h.container, c->buf, IOVA, MAP_SIZE,
				   VFIO_DMA_MAP_FLAG_READ |
				   VFIO_DMA_MAP_FLAG_WRITE);
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

/*
 * --- virtio release: the device goes while the guest has an endpoint in
 * a domain of its own ---------------------------------------------------------
 *
 * Closing the device's fd moves the endpoint back to its own domain
 * (blocking first, then attaching: both allocate).  When that fails the
 * endpoint stays in the guest's domain, which outlives the device (freed
 * with the container); nothing of the device may still point at it.
 * Each round the guest attaches endpoint 7 to its domain 1 on a new
 * device, detaches and attaches it again: a stale link from the last
 * device makes the new one lose its domain 1 (DETACH: NOENT).
 */
#define VIO_RAM		0x20000		/* rings and request slots */
#define VIO_QNUM	16
#define VIO_FEATURES	((1ULL << VIRTIO_F_VERSION_1) | \
			 (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP))

static int vio_request(struct fctx *c, const void *req, size_t len)
{
	uint16_t head = vg_add_req(&c->vg, 0, req, len, 4);
	uint32_t used_len = 0;
	int ret;

	vg_publish(&c->vg);
	ret = vg_kick(&c->vg);
	if (!ret)
		ret = vg_wait_used(&c->vg, head, &used_len, 5000);
	if (!ret && used_len != 4)
		ret = -EPROTO;
	return ret ? ret : vg_slot_status(&c->vg, 0);
}

static int vio_attach(struct fctx *c, uint8_t type)
{
	struct virtio_iommu_req_attach r = {
		.head.type = type, .domain = 1, .endpoint = 7,
	};

	/* ATTACH and DETACH have the same layout up to the tail. */
	return vio_request(c, &r, sizeof(r) - 4);
}

static int vio_before(void *p)
{
	struct fctx *c = p;
	uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem = {
		.m.nregions = 1,
		.r = { .guest_phys_addr = 0, .memory_size = VIO_RAM,
		       .userspace_addr = (uintptr_t)c->vg.ram },
	};
	int ret = virtio_create(c);

	if (!ret && (ioctl(c->fd, VHOST_SET_OWNER, NULL) ||
		     ioctl(c->fd, VHOST_SET_MEM_TABLE, &mem)))
		ret = -errno;
	vg_reset(&c->vg);
	if (!ret)
		ret = vfioext_virtio_setup_vring(c->fd, 0, VIO_QNUM,
						 vg_gpa(&c->vg, VG_DESC),
						 vg_gpa(&c->vg, VG_AVAIL),
						 vg_gpa(&c->vg, VG_USED),
						 c->vg.kick, c->vg.call);
	if (!ret)
		ret = vfioext_virtio_negotiate(c->fd, VIO_FEATURES);
	if (!ret && ioctl(c->fd, VHOST_VDPA_SET_STATUS, &st))
		ret = -errno;
	if (!ret)
		ret = vio_attach(c, VIRTIO_IOMMU_T_ATTACH);
	if (!ret)
		ret = vio_attach(c, VIRTIO_IOMMU_T_DETACH);
	if (!ret)
		ret = vio_attach(c, VIRTIO_IOMMU_T_ATTACH);
	if (ret)
		fprintf(stderr, "# virtio release: setup: %d\n", ret);
	return ret;
}

static int vio_release_call(void *p)
{
	return close_fd(p);
}

/* An endpoint left in the old device's domain goes back to its own. */
static int vio_undo(void *p)
{
	return pv_attach(p, 0);
}

static int prepare_virtio(struct fctx *c)
{
	c->vg.qnum = VIO_QNUM;
	c->vg.ram = mmap(NULL, VIO_RAM, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c->vg.ram == MAP_FAILED) {
		c->vg.ram = NULL;
		return -ENOMEM;
	}
	c->vg.kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->vg.call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->vg.kick < 0 || c->vg.call < 0)
		return -errno;
	return prepare_endpoint(c);
}

/*
 * --- virtio device state: LOAD applies a blob (a domain with mappings,
 * the endpoint in it); SAVE serialises a device holding that state -------
 *
 * A failed LOAD must leave the device as it was: no domain, nothing
 * pinned or mapped (the retry on the same device then succeeds; VmLck is
 * compared after each round).  Moving the endpoint into the guest's
 * domain switches it through the blocking domain, which the IOMMU core
 * may WARN about under injection (accepted for this test, see
 * tools/vmrun_lib/vmrun_results.py).
 */
#define VST_MAPS	4

static void vst_put(uint8_t *b, size_t *o, const void *v, size_t n)
{
	memcpy(b + *o, v, n);
	*o += n;
}

#define VST_PUT(b, o, type, val) do {			\
	type __v = (val);				\
	vst_put(b, o, &__v, sizeof(__v));		\
} while (0)

/* The blob: domain 1 with VST_MAPS mappings of the buffer, endpoint 7. */
static int vst_blob(struct fctx *c)
{
	uint8_t b[512] = {};
	size_t o = 32, len;
	unsigned int i;

	VST_PUT(b, &o, uint32_t, VFIO_EXT_VIOMMU_SEC_CONFIG);
	VST_PUT(b, &o, uint32_t, VFIO_EXT_STATE_SEC_F_MANDATORY);
	VST_PUT(b, &o, uint64_t, 40);
	VST_PUT(b, &o, uint64_t, VIO_FEATURES);
	VST_PUT(b, &o, uint64_t, 0);
	VST_PUT(b, &o, uint64_t, UINT64_MAX);
	VST_PUT(b, &o, uint32_t, 0);
	VST_PUT(b, &o, uint32_t, UINT32_MAX);
	VST_PUT(b, &o, uint32_t, 512);
	VST_PUT(b, &o, uint32_t, 0);
	VST_PUT(b, &o, uint32_t, VFIO_EXT_VIOMMU_SEC_DOMAINS);
	VST_PUT(b, &o, uint32_t, VFIO_EXT_STATE_SEC_F_MANDATORY);
	VST_PUT(b, &o, uint64_t, 8 + 16 + 32 * VST_MAPS);
	VST_PUT(b, &o, uint32_t, 1);
	VST_PUT(b, &o, uint32_t, 16 | 32 << 16);
	VST_PUT(b, &o, uint32_t, 1);
	VST_PUT(b, &o, uint32_t, 0);
	VST_PUT(b, &o, uint64_t, VST_MAPS);
	for (i = 0; i < VST_MAPS; i++) {
		VST_PUT(b, &o, uint64_t, IOVA + i * 0x4000ULL);
		VST_PUT(b, &o, uint64_t, IOVA + i * 0x4000ULL + 0x1fff);
		VST_PUT(b, &o, uint64_t, i * 0x4000ULL);
		VST_PUT(b, &o, uint32_t, VIRTIO_IOMMU_MAP_F_READ |
			VIRTIO_IOMMU_MAP_F_WRITE);
		VST_PUT(b, &o, uint32_t, 0);
	}
	VST_PUT(b, &o, uint32_t, VFIO_EXT_VIOMMU_SEC_ENDPOINTS);
	VST_PUT(b, &o, uint32_t, VFIO_EXT_STATE_SEC_F_MANDATORY);
	VST_PUT(b, &o, uint64_t, 16);
	VST_PUT(b, &o, uint32_t, 1);
	VST_PUT(b, &o, uint32_t, 8);
	VST_PUT(b, &o, uint32_t, 7);
	VST_PUT(b, &o, uint32_t, 1);
	len = 0;
	VST_PUT(b, &len, uint32_t, VFIO_EXT_STATE_MAGIC);
	VST_PUT(b, &len, uint16_t, VFIO_EXT_STATE_MAJOR);
	VST_PUT(b, &len, uint16_t, VFIO_EXT_STATE_MINOR);
	VST_PUT(b, &len, uint32_t, 32);
	VST_PUT(b, &len, uint32_t, 23);
	VST_PUT(b, &len, uint64_t, o);
	c->state = memfd_create("state", MFD_CLOEXEC);
	if (c->state < 0)
		return -errno;
	return pwrite(c->state, b, o, 0) == (ssize_t)o ? 0 : -EIO;
}

/* A device ready to load: owned, the buffer as guest RAM, negotiated. */
static int vst_before(void *p)
{
	struct fctx *c = p;
	int ret = virtio_create(c);

	if (!ret)
		ret = virtio_setup_call(c);
	return ret ? ret : vfioext_virtio_negotiate(c->fd, VIO_FEATURES);
}

static int vst_load_call(void *p)
{
	struct fctx *c = p;
	long n;

	if (lseek(c->state, 0, SEEK_SET))
		return -errno;
	n = vfioext_virtio_load_state(c->fd, c->state);
	return n < 0 ? n : 0;
}

/* A device holding the state, to save. */
static int vst_save_before(void *p)
{
	int ret = vst_before(p);

	return ret ? ret : vst_load_call(p);
}

static int vst_save_call(void *p)
{
	struct fctx *c = p;
	int f = memfd_create("saved", MFD_CLOEXEC);
	long n;

	if (f < 0)
		return -errno;
	n = vfioext_virtio_save_state(c->fd, f);
	close(f);
	return n < 0 ? n : 0;
}

/* A memfd that cannot allocate a page fails the write with ENOSPC. */
static const int e_vst_save[] = { ENOSPC, 0 };

static int prepare_state(struct fctx *c)
{
	int ret = prepare_endpoint(c);

	return ret ? ret : vst_blob(c);
}

/* --- _DSM: echo of a Package with every element type --------------------- */

static int dsm_call(void *p)
{
	struct fctx *c = p;
	uint8_t bytes[3] = { 1, 2, 3 };
	uint64_t v = 0xfeedULL;
	struct blob w = blob_init(c->dsm, 0, 5);

	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 3, NULL, 0, 0);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8, &v, 8, 1);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_STRING, 2, "ab", 2, 1);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_BUFFER, 3, bytes, 3, 1);
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
	struct vfio_ext_acpi_notify_fd a = { .argsz = sizeof(a) };
	struct fctx *c = p;

	c->fd = ioctl(c->h.device, VFIO_EXT_DEVICE_ACPI_NOTIFY_FD, &a);
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

/* --- netlink: the "vfio-ext" generic netlink family ---------------------- */

/*
 * Requests go through libvfio-ext (libnl-3), as the CLI and a VMM send
 * them.  The socket is opened and the family resolved outside the
 * injection (prepare() and before()), so the faults land on the request
 * path only: the request skb (netlink core, sendmsg), the generic netlink
 * core's attribute table and dump state, our handlers' allocations (reply
 * skb, the policy text and the ACPI path of every device, the pviommu
 * snapshot) and the ACK.  Dumps run in the caller's context too: the
 * first part from sendmsg (__netlink_dump_start()), the rest from
 * recvmsg.
 *
 * A call that fails closes its socket, and the harness's retry (not under
 * injection) opens a new one: when the first part of a dump cannot be
 * allocated, 6.1 answers with an error ACK (ENOBUFS) but leaves the dump
 * running on that socket (__netlink_dump_start() returns with cb_running
 * set), so the next dump there would get EBUSY and the next recvmsg() the
 * rest of the old dump; a failed ACK allocation sets ENOBUFS on the socket
 * instead (netlink_ack()).  Closing ends a running dump (netlink_release()
 * runs its done() and drops the module reference).
 *
 * A call that succeeds must return the whole answer: the same as before
 * injection.  Glibc's heap is grown and touched beforehand, so no page
 * fault of the test's own memory (the library's buffers) allocates under
 * injection: copy_to_user() in recvmsg() would fail with EFAULT and lose
 * the message, which is the injection's doing, not the path's.
 */
#define NL_POLICY_CMD	"allow " TEST_UUID " 1-3"
#define NL_LOOPBACK	0x42

static void nl_complain(const char *what)
{
	printf("# netlink: %s\n", what);
	fflush(stdout);
}

static int nl_ready(struct fctx *c)
{
	return c->nl ? 0 : vfioext_nl_open(&c->nl);
}

static int nl_before(void *p)
{
	return nl_ready(p);
}

/* After a failed call: a new socket for the next one. */
static int nl_done(struct fctx *c, int ret)
{
	if (ret) {
		vfioext_nl_close(c->nl);
		c->nl = NULL;
	}
	return ret;
}

static void warm_heap(void)
{
	size_t n = 4 << 20;
	void *p;

	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	p = malloc(n);
	if (p)
		memset(p, 1, n);
	free(p);
}

/* The first field where two device descriptions differ, or NULL. */
static const char *nl_dev_diff(const struct vfioext_nl_dev *da,
			       const struct vfioext_nl_dev *db)
{
	struct vfioext_nl_dev_info a = nl_dev_info(da), b = nl_dev_info(db);
	struct vfioext_nl_region ra, rb;
	struct vfioext_nl_irq qa, qb;
	size_t i;

	if (strcmp(a.name, b.name))
		return "dev-name";
	if (a.vendor != b.vendor || a.device != b.device)
		return "dev-vendor/dev-device";
	if (a.iommu_group != b.iommu_group)
		return "dev-iommu-group";
	if (strcmp(a.driver, b.driver))
		return "dev-driver";
	if (a.nr_regions != b.nr_regions)
		return "dev-regions";
	for (i = 0; i < a.nr_regions; i++) {
		ra = nl_dev_region(da, i);
		rb = nl_dev_region(db, i);
		if (ra.index != rb.index || ra.size != rb.size ||
		    ra.flags != rb.flags)
			return "dev-regions";
	}
	if (a.nr_irqs != b.nr_irqs)
		return "dev-irqs";
	for (i = 0; i < a.nr_irqs; i++) {
		qa = nl_dev_irq(da, i);
		qb = nl_dev_irq(db, i);
		if (qa.index != qb.index || qa.count != qb.count)
			return "dev-irqs";
	}
	if (a.open != b.open || a.opener_pid != b.opener_pid)
		return "dev-open/dev-opener-pid";
	if (strcmp(a.acpi_path, b.acpi_path))
		return "dev-acpi-path";
	if (strcmp(a.dsm_policy, b.dsm_policy))
		return "dsm-policy";
	if (a.dsm_calls != b.dsm_calls || a.dsm_denied != b.dsm_denied)
		return "dsm-calls/dsm-denied";
	if (a.notify_handler != b.notify_handler ||
	    a.notify_eventfd != b.notify_eventfd ||
	    a.notify_channel != b.notify_channel ||
	    a.notify_count != b.notify_count)
		return "notify-*";
	/*
	 * Power only while open (ours): a device the previous case closed
	 * may still be runtime-suspending (vfio-pci-core suspends an idle
	 * device asynchronously).
	 */
	if (a.open && (a.power_state != b.power_state ||
		       a.runtime_pm != b.runtime_pm))
		return "power-*";
	return NULL;
}

static bool nl_dev_same(const struct vfioext_nl_dev *a,
			const struct vfioext_nl_dev *b)
{
	const char *what = nl_dev_diff(a, b);

	if (what)
		printf("# netlink: %s %s differs from before\n",
		       nl_dev_info(a).name, what);
	return !what;
}

static bool nl_pv_parts_same(const struct vfioext_nl_pviommu *pa,
			     const struct vfioext_nl_pviommu *pb, size_t neps,
			     size_t ndoms)
{
	struct vfioext_nl_endpoint x, y;
	struct vfioext_nl_domain u, w;
	size_t i;

	for (i = 0; i < neps; i++) {
		x = nl_pv_ep(pa, i);
		y = nl_pv_ep(pb, i);
		if (x.group != y.group || !x.dev || !y.dev ||
		    strcmp(x.dev, y.dev) || x.has_vsid != y.has_vsid ||
		    x.vsid != y.vsid || x.domain != y.domain)
			return false;
	}
	for (i = 0; i < ndoms; i++) {
		u = nl_pv_dom(pa, i);
		w = nl_pv_dom(pb, i);
		if (u.id != w.id || u.mappings != w.mappings ||
		    u.endpoints != w.endpoints)
			return false;
	}
	return true;
}

static bool nl_pv_same(const struct vfioext_nl_pviommu *pa,
		       const struct vfioext_nl_pviommu *pb)
{
	struct vfioext_nl_pviommu_info a = nl_pv_info(pa), b = nl_pv_info(pb);

	return a.id == b.id && a.owner_pid == b.owner_pid &&
	       a.mappings == b.mappings &&
	       a.def_mappings == b.def_mappings &&
	       a.pinned == b.pinned && a.dma_limit == b.dma_limit &&
	       a.map_reqs == b.map_reqs && a.unmap_reqs == b.unmap_reqs &&
	       a.map_failed == b.map_failed &&
	       a.unmap_failed == b.unmap_failed &&
	       a.viommu_reqs == b.viommu_reqs &&
	       a.viommu_failed == b.viommu_failed &&
	       a.nr_endpoints == b.nr_endpoints &&
	       a.nr_domains == b.nr_domains &&
	       nl_pv_parts_same(pa, pb, a.nr_endpoints, a.nr_domains);
}

/* dev-get (do): one device, the reply built in dev_get_doit(). */
static int nl_dev_get_call(void *p)
{
	struct fctx *c = p;
	struct vfioext_nl_dev *d;
	int ret = nl_ready(c);

	if (!ret)
		ret = vfioext_nl_dev_get(c->nl, c->h.bdf, &d, NULL);
	if (!ret) {
		if (!nl_dev_same(d, c->nl_dev)) {
			nl_complain("dev-get succeeded with another answer");
			ret = -EBADMSG;
		}
		vfioext_nl_dev_free(d);
	}
	return nl_done(c, ret);
}

/* dev-get (dump): every bound device. */
static int nl_dev_dump_call(void *p)
{
	struct vfioext_nl_dev **v;
	struct fctx *c = p;
	size_t i, n;
	int ret = nl_ready(c);

	if (!ret)
		ret = vfioext_nl_dev_list(c->nl, &v, &n, NULL);
	if (ret)
		return nl_done(c, ret);
	if (n != c->nl_ndevs) {
		nl_complain("dev dump succeeded with a device missing");
		ret = -EBADMSG;
	}
	for (i = 0; !ret && i < n; i++) {
		if (!nl_dev_same(v[i], c->nl_devs[i])) {
			nl_complain("dev dump succeeded with another answer");
			ret = -EBADMSG;
		}
	}
	vfioext_nl_dev_list_free(v, n);
	return nl_done(c, ret);
}

/* pviommu-get (dump): every container, ours with an endpoint, a domain
 * and a mapping (the snapshot allocates for them).
 */
static int nl_pv_dump_call(void *p)
{
	const struct vfioext_nl_pviommu *pv;
	struct vfioext_nl_pviommu **v;
	struct fctx *c = p;
	size_t n;
	int ret = nl_ready(c);

	if (!ret)
		ret = vfioext_nl_pviommu_list(c->nl, &v, &n, NULL);
	if (ret)
		return nl_done(c, ret);
	pv = pviommu_by_owner(v, n, getpid());
	if (n != c->nl_npvs || !pv || !nl_pv_same(pv, c->nl_pv)) {
		nl_complain("pviommu dump succeeded with another answer");
		ret = -EBADMSG;
	}
	vfioext_nl_pviommu_list_free(v, n);
	return nl_done(c, ret);
}

/* pviommu-get (do): our container by id. */
static int nl_pv_get_call(void *p)
{
	struct vfioext_nl_pviommu *one;
	struct fctx *c = p;
	int ret = nl_ready(c);

	if (!ret)
		ret = vfioext_nl_pviommu_get(c->nl, nl_pv_info(c->nl_pv).id, &one, NULL);
	if (ret)
		return nl_done(c, ret);
	if (!nl_pv_same(one, c->nl_pv)) {
		nl_complain("pviommu-get succeeded with another answer");
		ret = -EBADMSG;
	}
	vfioext_nl_pviommu_free(one);
	return nl_done(c, ret);
}

/*
 * dsm-policy-set: our handler allocates nothing (the command is parsed in
 * place); the request, the attribute table and the ACK do.  A successful
 * call applied the policy.  A failed call left the policy as it was, or,
 * only when its ACK failed, applied it whole: the ACK is allocated after
 * the handler ran, and when that fails the sender sees ENOBUFS on its
 * socket (netlink core) although the command took effect: the library
 * returns -ENOBUFS and flags the outcome unknown, which must be so
 * whenever a failed call took effect.
 */
static int nl_policy_call(void *p)
{
	struct fctx *c = p;
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };
	char now[sizeof(c->pol_before)];
	int ret = nl_ready(c);
	int left, rd;

	if (!ret)
		ret = vfioext_nl_dsm_policy_set(c->nl, c->h.bdf, NL_POLICY_CMD,
						&st);
	/* The check's own sysfs read must not take the armed fault. */
	left = fail_nth_pause(c->nth);
	rd = read_policy(c->h.bdf, now, sizeof(now));
	if (left < 0 || fail_nth_resume(c->nth, left)) {
		nl_complain("cannot hold the armed fault");
		ret = -EBADMSG;
	} else if (rd) {
		nl_complain("cannot read the policy");
		ret = -EBADMSG;
	} else if (!ret) {
		if (strcmp(now, c->pol_after)) {
			nl_complain("a successful dsm-policy-set did not apply the policy");
			ret = -EBADMSG;
		}
	} else if (ret == -ENOBUFS &&
		   (st.flags & VFIOEXT_NL_OUTCOME_UNKNOWN) &&
		   !strcmp(now, c->pol_after)) {
		c->nl_applied++;
	} else if (strcmp(now, c->pol_before)) {
		printf("# netlink: dsm-policy-set failed with %s\n",
		       strerror(-ret));
		nl_complain("a failed dsm-policy-set changed the policy");
		ret = -EBADMSG;
	}
	return nl_done(c, ret);
}

static int nl_policy_undo(void *p)
{
	struct fctx *c = p;

	return write_policy(c->h.bdf, "reset");
}

static int prepare_nl(struct fctx *c)
{
	int ret;

	warm_heap();
	ret = write_policy(c->h.bdf, "reset");
	if (!ret)
		ret = vfioext_nl_open(&c->nl);
	if (!ret)
		ret = vfioext_nl_dev_get(c->nl, c->h.bdf, &c->nl_dev, NULL);
	if (!ret)
		ret = vfioext_nl_dev_list(c->nl, &c->nl_devs, &c->nl_ndevs,
					  NULL);
	if (!ret && !nl_dev_info(c->nl_dev).acpi_path[0])
		ret = -EBADMSG;	/* the ACPI path is part of what is checked */
	return ret;
}

static int prepare_nl_policy(struct fctx *c)
{
	int ret = prepare_nl(c);

	if (!ret)
		ret = read_policy(c->h.bdf, c->pol_before, sizeof(c->pol_before));
	if (!ret)
		ret = write_policy(c->h.bdf, NL_POLICY_CMD);
	if (!ret)
		ret = read_policy(c->h.bdf, c->pol_after, sizeof(c->pol_after));
	if (!ret && !strcmp(c->pol_before, c->pol_after))
		ret = -EBADMSG;
	return ret ? ret : write_policy(c->h.bdf, "reset");
}

static int prepare_nl_pviommu(struct fctx *c)
{
	int ret = pv_domain_alloc(c->h.container, &c->domain);

	if (!ret)
		ret = pv_attach(c, c->domain);	/* endpoint 7 in it */
	if (!ret)
		ret = map_call(c);		/* and one own mapping */
	if (!ret)
		ret = prepare_nl(c);
	if (!ret)
		ret = vfioext_nl_pviommu_list(c->nl, &c->nl_pvs, &c->nl_npvs,
					      NULL);
	if (ret)
		return ret;
	c->nl_pv = pviommu_by_owner(c->nl_pvs, c->nl_npvs, getpid());
	if (!c->nl_pv || nl_pv_info(c->nl_pv).nr_endpoints != 1 ||
	    nl_pv_info(c->nl_pv).nr_domains != 1 || nl_pv_info(c->nl_pv).mappings != 1)
		return -EBADMSG;
	return 0;
}

/*
 * Subscribing to "events": setsockopt(NETLINK_ADD_MEMBERSHIP) on a new
 * socket (made in before()).  The netlink core allocates the socket's
 * group bitmap; the generic netlink core checks the group; our family has
 * no bind callback and allocates nothing.
 */
static int nl_sub_socket(void *p)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct fctx *c = p;

	if (c->fd >= 0)
		return 0;
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (c->fd < 0)
		return -errno;
	return bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
}

static int nl_sub_call(void *p)
{
	struct fctx *c = p;
	uint32_t groups[64] = { 0 };
	socklen_t len = sizeof(groups);
	int ret = nl_sub_socket(p);

	if (ret)
		return ret;
	if (setsockopt(c->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &c->nl_grp,
		       sizeof(c->nl_grp)))
		return -errno;
	/* A member now, and of that group only. */
	if (getsockopt(c->fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups,
		       &len) || c->nl_grp > 32 * (int)ARRAY_SIZE(groups) ||
	    !(groups[(c->nl_grp - 1) / 32] & (1u << ((c->nl_grp - 1) % 32)))) {
		nl_complain("subscribed, but not a member of the group");
		return -EBADMSG;
	}
	return 0;
}

static int prepare_nl_events(struct fctx *c)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret = -ENOMEM;

	if (sk && !genl_connect(sk))
		ret = genl_ctrl_resolve_grp(sk, VFIO_EXT_FAMILY_NAME,
					    VFIO_EXT_MCGRP_EVENTS);
	nl_socket_free(sk);
	if (ret <= 0)
		return ret ? -EIO : -EBADMSG;
	c->nl_grp = ret;
	return 0;
}

/*
 * An event emitted in the caller's context: a notification loopback
 * (SET_IRQS DATA_BOOL on the ACPI notify index) with a listener
 * subscribed.  The ioctl itself allocates nothing; the event message is
 * built with GFP_ATOMIC (vfio_ext_nl_emit()) and queued before the ioctl
 * returns; the family's work item multicasts it soon after (its
 * allocations are the worker's, not ours).  Documented behaviour on
 * failure: the notification still reaches the eventfd, the event is
 * lost, and the listener sees a gap in event-seq (or ENOBUFS on its
 * socket).
 */
#define NL_EVENT_WAIT_MS	2000

static bool nl_is_loopback(const struct fctx *c,
			   const struct vfioext_nl_event *e)
{
	return e->type == VFIO_EXT_EVENT_ACPI_NOTIFY &&
	       e->value == NL_LOOPBACK && e->loopback &&
	       !strcmp(e->dev, c->h.bdf);
}

/*
 * After a loss: an event that was only late must not be read as the next
 * round's.  One that comes now was not lost after all.
 */
static void nl_emit_drain(struct fctx *c)
{
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };

	while (!vfioext_nl_event_read(c->ev, &e, 200)) {
		if (nl_is_loopback(c, &e) && e.seq > c->ev_seq) {
			c->ev_seq = e.seq;
			c->ev_gap_due = false;
			c->ev_lost--;
		}
	}
}

/*
 * One loopback and its event.  Lost is accepted only when @may_lose and
 * the armed fault was injected during the loopback ioctl (where the event
 * is built); otherwise a missing event is a failure.
 */
static int nl_emit_check(struct fctx *c, bool may_lose)
{
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	uint64_t v = 0;
	bool injected;
	int ret = acpi_notify_loopback(c->h.device, NL_LOOPBACK);

	if (ret)
		return ret;
	ret = fail_nth_left(c->nth);
	if (ret < 0) {
		nl_complain("cannot read fail-nth");
		return -EBADMSG;
	}
	injected = may_lose && ret == 0;
	if (eventfd_wait(c->efd, 1000, &v) ||
	    v != ntfy_efd_amount(NL_LOOPBACK)) {
		nl_complain("the notification did not reach the eventfd");
		return -EBADMSG;
	}
	/* Queued before the ioctl returned, sent by the work item: it
	 * comes, or it was lost.
	 */
	ret = vfioext_nl_event_read(c->ev, &e, NL_EVENT_WAIT_MS);
	if (injected && (ret == -ETIMEDOUT || ret == -ENOBUFS)) {
		c->ev_lost++;
		c->ev_gap_due = true;
		nl_emit_drain(c);
		return 0;
	}
	if (ret) {
		nl_complain(injected ? "reading the event failed" :
			    may_lose ?
			    "no event for a loopback without a fault injected" :
			    "no event for a loopback after the faults");
		return -EBADMSG;
	}
	if (!nl_is_loopback(c, &e)) {
		nl_complain("another event than the loopback");
		return -EBADMSG;
	}
	if (c->ev_gap_due ? e.seq <= c->ev_seq + 1 : e.seq != c->ev_seq + 1) {
		nl_complain(c->ev_gap_due ? "a lost event left no gap" :
			    "a gap in event-seq without a lost event");
		return -EBADMSG;
	}
	c->ev_seq = e.seq;
	c->ev_gap_due = false;
	return 0;
}

static int nl_emit_call(void *p)
{
	return nl_emit_check(p, true);
}

/*
 * After the faults, nothing injected: the emitter still works.  A fresh
 * loopback's event must arrive, numbered after the last one received (a
 * gap only if events were lost since).
 */
static int nl_emit_verify(void *p)
{
	return nl_emit_check(p, false);
}

static int prepare_nl_emit(struct fctx *c)
{
	struct vfioext_nl_event e = { .struct_size = sizeof(e) };
	uint64_t v;
	int ret;

	warm_heap();
	ret = irq_set_eventfd(c->h.device, VFIO_PCI_ACPI_NTFY_IRQ_INDEX, 0,
			      c->efd);
	if (!ret)
		ret = vfioext_nl_events_open(&c->ev);
	if (!ret)
		ret = acpi_notify_loopback(c->h.device, NL_LOOPBACK);
	if (!ret)
		ret = eventfd_wait(c->efd, 1000, &v);
	if (!ret)
		ret = vfioext_nl_event_read(c->ev, &e, 1000);
	if (!ret)
		c->ev_seq = e.seq;
	return ret;
}

/* ------------------------------------------------------------------------- */

static const int efault[] = { EFAULT, 0 };
static const int fd_errnos[] = { EMFILE, 0 };
/* The netlink core's: an skb it could not allocate (sendmsg, dump, ACK);
 * ours: a reply that could not be built.
 */
static const int nl_errnos[] = { ENOBUFS, EMSGSIZE, 0 };

FIXTURE(faults) {
	struct fctx c;
	int nth;
};

FIXTURE_VARIANT(faults) {
	struct fault_case fc;
	enum edu_kind kind;
	bool fault_dsm;		/* FAULT_DSM_BDF instead of @kind */
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

FIXTURE_VARIANT_ADD(faults, group_detach) {
	.fc = { .name = "group detach", .call = detach_call,
		.undo = detach_undo },
	.prepare = prepare_detach,
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

FIXTURE_VARIANT_ADD(faults, virtio_release) {
	.fc = { .name = "virtio release", .before = vio_before,
		.call = vio_release_call, .undo = vio_undo },
	.prepare = prepare_virtio,
};

FIXTURE_VARIANT_ADD(faults, virtio_state_load) {
	.fc = { .name = "virtio state load", .before = vst_before,
		.call = vst_load_call, .undo = close_fd },
	.prepare = prepare_state,
};

FIXTURE_VARIANT_ADD(faults, virtio_state_save) {
	.fc = { .name = "virtio state save", .before = vst_save_before,
		.call = vst_save_call, .undo = close_fd,
		.errnos = e_vst_save },
	.prepare = prepare_state,
};

FIXTURE_VARIANT_ADD(faults, dsm) {
	.fc = { .name = "_DSM", .call = dsm_call, .undo = nothing,
		.errnos = efault },
	.fault_dsm = true,
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

FIXTURE_VARIANT_ADD(faults, nl_dev_get) {
	.fc = { .name = "netlink dev-get", .before = nl_before,
		.call = nl_dev_get_call, .undo = nothing,
		.errnos = nl_errnos },
	.prepare = prepare_nl,
};

FIXTURE_VARIANT_ADD(faults, nl_dev_dump) {
	.fc = { .name = "netlink dev dump", .before = nl_before,
		.call = nl_dev_dump_call, .undo = nothing,
		.errnos = nl_errnos },
	.prepare = prepare_nl,
};

FIXTURE_VARIANT_ADD(faults, nl_pviommu_dump) {
	.fc = { .name = "netlink pviommu dump", .before = nl_before,
		.call = nl_pv_dump_call, .undo = nothing,
		.errnos = nl_errnos },
	.prepare = prepare_nl_pviommu,
};

FIXTURE_VARIANT_ADD(faults, nl_pviommu_get) {
	.fc = { .name = "netlink pviommu-get", .before = nl_before,
		.call = nl_pv_get_call, .undo = nothing,
		.errnos = nl_errnos },
	.prepare = prepare_nl_pviommu,
};

FIXTURE_VARIANT_ADD(faults, nl_dsm_policy_set) {
	.fc = { .name = "netlink dsm-policy-set", .before = nl_before,
		.call = nl_policy_call, .undo = nl_policy_undo,
		.errnos = nl_errnos },
	.prepare = prepare_nl_policy,
};

FIXTURE_VARIANT_ADD(faults, nl_events_subscribe) {
	.fc = { .name = "netlink events subscribe", .before = nl_sub_socket,
		.call = nl_sub_call, .undo = close_fd },
	.prepare = prepare_nl_events,
};

FIXTURE_VARIANT_ADD(faults, nl_event_emit) {
	.fc = { .name = "netlink event emit", .call = nl_emit_call,
		.undo = nothing, .verify = nl_emit_verify },
	.prepare = prepare_nl_emit,
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

/* The teardown, also run by a setup that fails half-way (SETUP_ASSERT). */
static void faults_cleanup(FIXTURE_DATA(faults) *self)
{
	if (self->c.domain) {
		pv_attach(&self->c, 0);
		pv_domain_free(self->c.h.container, self->c.domain);
	}
	if (self->c.dsm || self->c.nl || self->c.nl_devs)
		write_policy(self->c.h.bdf, "reset");
	free(self->c.dsm);
	vfioext_nl_close(self->c.nl);
	vfioext_nl_close(self->c.ev);
	vfioext_nl_dev_free(self->c.nl_dev);
	vfioext_nl_dev_list_free(self->c.nl_devs, self->c.nl_ndevs);
	vfioext_nl_pviommu_list_free(self->c.nl_pvs, self->c.nl_npvs);
	if (self->c.fd >= 0)
		close(self->c.fd);
	if (self->c.state >= 0)
		close(self->c.state);
	if (self->c.vg.ram)
		munmap(self->c.vg.ram, VIO_RAM);
	if (self->c.vg.kick >= 0)
		close(self->c.vg.kick);
	if (self->c.vg.call >= 0)
		close(self->c.vg.call);
	vfio_close_all(&self->c.h);
	if (self->c.preenabled) {
		vfioext_pci_unbind(self->c.h.bdf);
		enable_attr(self->c.h.bdf, "0");
		vfioext_pci_bind(self->c.h.bdf, VFIO_EXT_PCI_DRIVER_NAME);
	}
	/* The bench as we found it, for the tests after us. */
	drv_restore(&self->c.bind);
}

FIXTURE_SETUP(faults)
{
	char bdf[VFIOEXT_BDF_LEN];
	int ret;

	if (!case_selected(variant->fc.name))
		SKIP(_exit(255), "not selected by VFIOEXT_FAULT_CASE");

	vfio_handles_init(&self->c.h);
	self->c.fd = -1;
	self->c.efd = -1;
	self->c.state = -1;
	self->c.vg.kick = -1;
	self->c.vg.call = -1;
	self->c.nth = -1;
	self->nth = fail_nth_open();
	if (self->nth == -ENOENT)
		SKIP(_exit(255), "no fault injection in this kernel");
	ASSERT_LE(0, self->nth);
	self->c.nth = self->nth;
	if (variant->fault_dsm)
		snprintf(bdf, sizeof(bdf), "%s", FAULT_DSM_BDF);
	if (variant->fault_dsm ? vfioext_pci_iommu_group(bdf) < 0 :
	    edu_find(variant->kind, bdf))
		SKIP(_exit(255), "no such edu device on this machine");
	ASSERT_EQ(0, drv_bind_save(&self->c.bind, bdf,
				   VFIO_EXT_PCI_DRIVER_NAME));
	/* Bound: from here a failing step undoes the setup (no teardown). */
	SETUP_ASSERT_EQ(faults_cleanup(self), 0,
			vfio_open_all_iommu(&self->c.h, bdf,
					    VFIO_EXT_PVIOMMU_IOMMU));
	self->c.buf = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	SETUP_ASSERT(faults_cleanup(self), self->c.buf != MAP_FAILED);
	self->c.efd = eventfd(0, EFD_CLOEXEC);
	SETUP_ASSERT(faults_cleanup(self), self->c.efd >= 0);
	if (variant->prepare) {
		ret = variant->prepare(&self->c);
		if (ret == -ENOENT) {
			faults_cleanup(self);
			SKIP(_exit(255), "test SSDT not loaded");
		}
		SETUP_ASSERT_EQ(faults_cleanup(self), 0, ret);
	}
}

FIXTURE_TEARDOWN(faults)
{
	faults_cleanup(self);
}

TEST_F_TIMEOUT(faults, every_allocation, 600)
{
	fail_nth_run(_metadata, self->nth, &variant->fc, &self->c);
	if (self->c.nl_applied)
		TH_LOG("%s: %u of the failed calls had taken effect (no memory for the ACK)",
		       variant->fc.name, self->c.nl_applied);
	if (self->c.ev_lost)
		TH_LOG("%s: %u events lost, each seen as a gap in event-seq",
		       variant->fc.name, self->c.ev_lost);
}

TEST_HARNESS_MAIN
