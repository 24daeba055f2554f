// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel virtio-iommu device of a pviommu container, driven the
 * way a VMM and its guest drive it, both played by this process: the
 * "guest" builds a split virtqueue in its "RAM" (a buffer the memory table
 * describes), negotiates, posts virtio-iommu requests and kicks; the
 * kernel worker serves them; the test waits on the call eventfd and checks
 * every status.  edu DMA through the real (emulated) VT-d proves that
 * guest MAP and UNMAP took effect, of RAM and of a peer device's BAR.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_iommu.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "vring_guest.h"

#define RAM_SIZE	0x200000	/* guest RAM: GPA 0 .. 2 MiB */
#define QNUM		16
#define GPA_DESC	VG_DESC
#define GPA_AVAIL	VG_AVAIL
#define GPA_USED	VG_USED
#define GPA_REQ		VG_REQ		/* request bytes */
#define GPA_RESP	VG_RESP		/* device-writable part */
#define GPA_DATA	0x100000	/* guest buffers for DMA */
#define VSID		1
#define BIT_ULL(n)	(1ULL << (n))
#define F_BYPASS_CFG	BIT_ULL(VIRTIO_IOMMU_F_BYPASS_CONFIG)
#define ST_ACK		VIRTIO_CONFIG_S_ACKNOWLEDGE
#define ST_DRV		(ST_ACK | VIRTIO_CONFIG_S_DRIVER)
#define ST_FOK		(ST_DRV | VIRTIO_CONFIG_S_FEATURES_OK)
#define ST_DOK		(ST_FOK | VIRTIO_CONFIG_S_DRIVER_OK)

/* The VMM and guest of one test. */
struct gvm {
	struct vfio_handles h;
	struct vring_guest vg;	/* the guest's queue, in its RAM */
	int dev;		/* the virtio-iommu fd */
	int cfg_call;
	volatile uint32_t *bar;
	size_t bar_len;
};

static void *gpa(struct gvm *g, uint64_t a)
{
	return vg_gpa(&g->vg, a);
}

static int vx(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int set_status(struct gvm *g, uint8_t st)
{
	return vx(g->dev, VHOST_VDPA_SET_STATUS, &st);
}

static uint8_t get_status(struct gvm *g)
{
	uint8_t st = 0xff;

	vx(g->dev, VHOST_VDPA_GET_STATUS, &st);
	return st;
}

#define CFG_PROBE_SIZE	offsetof(struct virtio_iommu_config, probe_size)
#define CFG_BYPASS	offsetof(struct virtio_iommu_config, bypass)

/* The VMM names the group's device as endpoint @vsid. */
static int name_endpoint(int container, uint32_t group, uint32_t vsid)
{
	struct vfio_ext_pviommu_attach at = {
		.argsz = sizeof(at), .group = group, .vsid = vsid,
	};

	return ioctl(container, VFIO_EXT_PVIOMMU_ATTACH, &at) ? -errno : 0;
}

static int create_dev(struct gvm *g, uint32_t flags)
{
	return vg_viommu_create(g->h.container, flags);
}

/* VMM side: owner, memory table, the request queue, its eventfds. */
static int vmm_setup(struct gvm *g)
{
	int ret = vx(g->dev, VHOST_SET_OWNER, NULL);

	return ret ? ret : vg_set_mem_table(g->dev, g->vg.ram, RAM_SIZE);
}

static int vmm_queue(struct gvm *g)
{
	vg_reset(&g->vg);
	return vfioext_virtio_setup_vring(g->dev, 0, QNUM, gpa(g, GPA_DESC),
					  gpa(g, GPA_AVAIL), gpa(g, GPA_USED),
					  g->vg.kick, g->vg.call);
}

/* Guest side: negotiate and start. */
static int guest_start(struct gvm *g, uint64_t features)
{
	int ret = vfioext_virtio_negotiate(g->dev, features);

	return ret ? ret : set_status(g, ST_DOK);
}

static int gvm_open(struct gvm *g, uint32_t flags)
{
	char bdf[VFIOEXT_BDF_LEN];
	int ret;

	memset(g, 0, sizeof(*g));
	vfio_handles_init(&g->h);
	g->dev = -1;
	g->vg.qnum = QNUM;
	g->vg.kick = -1;
	g->vg.call = -1;
	g->cfg_call = -1;
	if (edu_find(EDU_ALONE, bdf))
		return -ENODEV;
	ret = vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME);
	if (!ret)
		ret = vfio_open_all_iommu(&g->h, bdf, VFIO_EXT_PVIOMMU_IOMMU);
	if (ret)
		return ret;
	g->vg.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (g->vg.ram == MAP_FAILED) {
		g->vg.ram = NULL;
		return -ENOMEM;
	}
	g->bar = bar0_map(g->h.device, &g->bar_len);
	if (!g->bar || edu_set_bus_master(g->h.device, true))
		return -EIO;
	/* The VMM's own mapping of guest RAM (what bypass reaches). */
	ret = dma_map(g->h.container, g->vg.ram, 0, RAM_SIZE,
		      VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (!ret)
		ret = name_endpoint(g->h.container, g->h.group_id, VSID);
	if (ret)
		return ret;
	g->vg.kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->vg.call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->cfg_call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->dev = create_dev(g, flags);
	if (g->dev < 0)
		return g->dev;
	ret = vmm_setup(g);
	if (!ret)
		ret = vx(g->dev, VHOST_VDPA_SET_CONFIG_CALL, &g->cfg_call);
	if (!ret)
		ret = vmm_queue(g);
	return ret;
}

static void gvm_close(struct gvm *g)
{
	if (g->dev >= 0)
		close(g->dev);
	if (g->bar)
		munmap((void *)g->bar, g->bar_len);
	vfio_close_all(&g->h);
	if (g->vg.ram)
		munmap(g->vg.ram, RAM_SIZE);
	if (g->vg.kick >= 0)
		close(g->vg.kick);
	if (g->vg.call >= 0)
		close(g->vg.call);
	if (g->cfg_call >= 0)
		close(g->cfg_call);
}

/* Publish a chain of @n descriptors at @head, without a kick. */
static void post_nokick(struct gvm *g, const struct vring_desc *d,
			unsigned int n, uint16_t head)
{
	vg_add(&g->vg, d, n, head);
	vg_publish(&g->vg);
}

/* Post a chain of @n descriptors at @head and kick. */
static int post_nowait(struct gvm *g, const struct vring_desc *d,
		       unsigned int n, uint16_t head)
{
	post_nokick(g, d, n, head);
	return vg_kick(&g->vg);
}

/* Wait for the next used entry (the call eventfd), check it is @head's. */
static int wait_used(struct gvm *g, uint16_t head, uint32_t *used_len)
{
	return vg_wait_used(&g->vg, head, used_len, 5000);
}

/* One well-formed request: @req (@len bytes), @in_len writable bytes. */
static int request(struct gvm *g, const void *req, size_t len, size_t in_len,
		   uint8_t *status)
{
	uint16_t head = vg_add_req(&g->vg, 0, req, len, in_len);
	uint32_t used_len = 0;
	int ret;

	vg_publish(&g->vg);
	ret = vg_kick(&g->vg);
	if (!ret)
		ret = wait_used(g, head, &used_len);
	if (ret)
		return ret;
	if (used_len != in_len)
		return -EPROTO;
	*status = ((uint8_t *)gpa(g, GPA_RESP))[in_len - 4];
	return 0;
}

static int attach(struct gvm *g, uint32_t dom, uint32_t ep, uint32_t flags)
{
	struct virtio_iommu_req_attach r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH,
		.domain = dom, .endpoint = ep, .flags = flags,
	};
	uint8_t st;
	int ret = request(g, &r, sizeof(r) - 4, 4, &st);

	return ret ? ret : st;
}

static int detach(struct gvm *g, uint32_t dom, uint32_t ep)
{
	struct virtio_iommu_req_detach r = {
		.head.type = VIRTIO_IOMMU_T_DETACH,
		.domain = dom, .endpoint = ep,
	};
	uint8_t st;
	int ret = request(g, &r, sizeof(r) - 4, 4, &st);

	return ret ? ret : st;
}

static int map(struct gvm *g, uint32_t dom, uint64_t iova, uint64_t phys,
	       uint64_t size, uint32_t flags)
{
	struct virtio_iommu_req_map r = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = dom,
		.virt_start = iova, .virt_end = iova + size - 1,
		.phys_start = phys, .flags = flags,
	};
	uint8_t st;
	int ret = request(g, &r, sizeof(r) - 4, 4, &st);

	return ret ? ret : st;
}

static int unmap(struct gvm *g, uint32_t dom, uint64_t iova, uint64_t size)
{
	struct virtio_iommu_req_unmap r = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = dom,
		.virt_start = iova, .virt_end = iova + size - 1,
	};
	uint8_t st;
	int ret = request(g, &r, sizeof(r) - 4, 4, &st);

	return ret ? ret : st;
}

#define RW	(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define RD	VIRTIO_IOMMU_MAP_F_READ

/*
 * edu copies 2 KiB from IOVA @src to its buffer and back to IOVA @dst;
 * true if guest memory at GPA @dst_gpa then holds the pattern at @src_gpa.
 */
static bool dma_copies(struct gvm *g, uint64_t src, uint64_t dst,
		       uint64_t src_gpa, uint64_t dst_gpa, uint8_t pat)
{
	memset(gpa(g, src_gpa), pat, 2048);
	memset(gpa(g, dst_gpa), 0, 2048);
	if (edu_dma(g->bar, src, EDU_DMA_BUF, 2048, false) ||
	    edu_dma(g->bar, EDU_DMA_BUF, dst, 2048, true))
		return false;
	return ((uint8_t *)gpa(g, dst_gpa))[0] == pat &&
	       ((uint8_t *)gpa(g, dst_gpa))[2047] == pat;
}

/*
 * Queue (no kick) a MAP or UNMAP of domain 1 in request slot @slot: its
 * own request bytes and status, chain at descriptors 2 * avail index.
 */
static void queue_req(struct gvm *g, unsigned int slot, uint8_t type,
		      uint64_t iova, uint64_t size, uint64_t phys)
{
	struct virtio_iommu_req_map m = {
		.head.type = type, .domain = 1,
		.virt_start = iova, .virt_end = iova + size - 1,
		.phys_start = phys, .flags = RW,
	};
	/* UNMAP is MAP's first 28 bytes (its 4 reserved bytes are the low
	 * bytes of phys_start: UNMAPs pass 0).
	 */
	uint32_t len = type == VIRTIO_IOMMU_T_MAP ? sizeof(m) - 4 :
		       sizeof(struct virtio_iommu_req_unmap) - 4;

	vg_add_req(&g->vg, slot, &m, len, 4);
	vg_publish(&g->vg);
}

static uint8_t slot_status(struct gvm *g, unsigned int slot)
{
	return vg_slot_status(&g->vg, slot);
}

/* Kick once, wait until the @n queued requests are all used. */
static int kick_wait(struct gvm *g, unsigned int n)
{
	uint16_t want = g->vg.used_seen + n;
	int ret = vg_kick(&g->vg);

	if (!ret)
		ret = vg_wait_used_idx(&g->vg, want, 5000);
	if (!ret)
		g->vg.used_seen = want;
	return ret;
}

#define INLINE_KICK	"/sys/module/vfio_ext_virtio/parameters/inline_kick"

FIXTURE(viommu) {
	struct gvm g;
	char inline_kick[4];	/* its value before the test, "" unknown */
};

FIXTURE_SETUP(viommu)
{
	int ret = gvm_open(&self->g, 0);
	ssize_t n;
	int fd;

	if (ret == -ENODEV)
		SKIP(_exit(255), "no edu device on this machine");
	ASSERT_EQ(0, ret);
	fd = open(INLINE_KICK, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, self->inline_kick, sizeof(self->inline_kick) - 1);
		self->inline_kick[n > 0 ? n : 0] = '\0';
		self->inline_kick[strcspn(self->inline_kick, "\n")] = '\0';
		close(fd);
	}
}

FIXTURE_TEARDOWN(viommu)
{
	gvm_close(&self->g);
	/* As we found it, should a test have stopped half-way. */
	if (self->inline_kick[0])
		sysfs_write_str(INLINE_KICK, self->inline_kick);
}

/* What the device says it is, and its config space. */
TEST_F(viommu, identity_and_config)
{
	struct virtio_iommu_config cfg;
	struct iommu_info ii;
	uint32_t id = 0, nvq = 0, csz = 0;
	uint64_t f = 0;
	uint16_t qmax = 0;

	ASSERT_EQ(0, vx(self->g.dev, VHOST_VDPA_GET_DEVICE_ID, &id));
	EXPECT_EQ(VIRTIO_ID_IOMMU, id);
	ASSERT_EQ(0, vx(self->g.dev, VHOST_GET_FEATURES, &f));
	/* The virtio-iommu's, and the transport's dirty log. */
	EXPECT_EQ(VG_IOMMU_FEATURES | F_BYPASS_CFG | BIT_ULL(VHOST_F_LOG_ALL),
		  f);
	ASSERT_EQ(0, vx(self->g.dev, VHOST_VDPA_GET_VQS_COUNT, &nvq));
	EXPECT_EQ(2, nvq);
	ASSERT_EQ(0, vx(self->g.dev, VHOST_VDPA_GET_CONFIG_SIZE, &csz));
	EXPECT_EQ(sizeof(cfg), csz);
	ASSERT_EQ(0, vx(self->g.dev, VHOST_VDPA_GET_VRING_NUM, &qmax));
	EXPECT_EQ(256, qmax);

	ASSERT_EQ(0, vfioext_virtio_config(self->g.dev, 0, &cfg, sizeof(cfg),
					   0));
	EXPECT_NE(0, cfg.page_size_mask & 4096);	/* the real IOMMU's */
	EXPECT_EQ(0, cfg.page_size_mask & 4095);
	EXPECT_LT(cfg.input_range.start, cfg.input_range.end);
	/* The container's page sizes, and the span of its IOVA ranges. */
	ASSERT_EQ(0, iommu_info_fd(self->g.h.container, &ii));
	ASSERT_LE(1, ii.nr_ranges);
	EXPECT_EQ(ii.pgsizes, cfg.page_size_mask);
	EXPECT_EQ(ii.ranges[0].start, cfg.input_range.start);
	EXPECT_EQ(ii.ranges[ii.nr_ranges - 1].end, cfg.input_range.end);
	EXPECT_EQ(1, cfg.domain_range.start);
	EXPECT_EQ(1023, cfg.domain_range.end);
	EXPECT_EQ(512, cfg.probe_size);
	EXPECT_EQ(0, cfg.bypass);
	/* Partial reads; reads past the end are refused. */
	ASSERT_EQ(0, vfioext_virtio_config(self->g.dev, CFG_PROBE_SIZE, &id,
					   4, 0));
	EXPECT_EQ(512, id);
	EXPECT_EQ(-EINVAL, vfioext_virtio_config(self->g.dev, csz - 2, &id, 4,
						 0));
	EXPECT_EQ(-EINVAL, vfioext_virtio_config(self->g.dev, 0, &id, 0, 0));
	/* Read-only fields ignore writes. */
	id = 0x1234;
	ASSERT_EQ(0, vfioext_virtio_config(self->g.dev, CFG_PROBE_SIZE, &id,
					   4, 1));
	ASSERT_EQ(0, vfioext_virtio_config(self->g.dev, CFG_PROBE_SIZE, &id,
					   4, 0));
	EXPECT_EQ(512, id);
	/* A second device on the container is refused. */
	EXPECT_EQ(-EBUSY, create_dev(&self->g, 0));
}

/* The status state machine and feature negotiation (virtio 2.1, 3.1). */
TEST_F(viommu, status_rules)
{
	uint64_t f;

	EXPECT_EQ(0, get_status(&self->g));
	EXPECT_EQ(-EINVAL, set_status(&self->g, VIRTIO_CONFIG_S_DRIVER));
	EXPECT_EQ(-EINVAL, set_status(&self->g, 0x20));	/* unknown bit */
	EXPECT_EQ(-EINVAL, set_status(&self->g,
				      VIRTIO_CONFIG_S_NEEDS_RESET | ST_ACK));
	ASSERT_EQ(0, set_status(&self->g, ST_ACK));
	ASSERT_EQ(0, set_status(&self->g, ST_DRV));
	EXPECT_EQ(-EINVAL, set_status(&self->g, ST_ACK));	/* clears */
	EXPECT_EQ(-EINVAL, set_status(&self->g, ST_DRV |
				      VIRTIO_CONFIG_S_DRIVER_OK));
	/* Not offered: FEATURES_OK does not stick. */
	f = VG_IOMMU_FEATURES | (1ULL << VIRTIO_IOMMU_F_MMIO);
	ASSERT_EQ(0, vx(self->g.dev, VHOST_SET_FEATURES, &f));
	ASSERT_EQ(0, set_status(&self->g, ST_FOK));
	EXPECT_EQ(ST_DRV, get_status(&self->g));
	/* No VERSION_1 (legacy): refused too. */
	f = VG_IOMMU_FEATURES & ~(1ULL << VIRTIO_F_VERSION_1);
	ASSERT_EQ(0, vx(self->g.dev, VHOST_SET_FEATURES, &f));
	ASSERT_EQ(0, set_status(&self->g, ST_FOK));
	EXPECT_EQ(ST_DRV, get_status(&self->g));
	f = VG_IOMMU_FEATURES;
	ASSERT_EQ(0, vx(self->g.dev, VHOST_SET_FEATURES, &f));
	ASSERT_EQ(0, set_status(&self->g, ST_FOK));
	EXPECT_EQ(ST_FOK, get_status(&self->g));
	EXPECT_EQ(-EBUSY, vx(self->g.dev, VHOST_SET_FEATURES, &f));
	ASSERT_EQ(0, set_status(&self->g, ST_DOK));
	EXPECT_EQ(ST_DOK, get_status(&self->g));
	/* Queue setup while running is refused; reset allows it again. */
	EXPECT_EQ(-EBUSY, vmm_queue(&self->g));
	ASSERT_EQ(0, set_status(&self->g, 0));
	EXPECT_EQ(0, get_status(&self->g));
	ASSERT_EQ(0, vmm_queue(&self->g));
	ASSERT_EQ(0, guest_start(&self->g, VG_IOMMU_FEATURES));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, attach(&self->g, 1, VSID, 0));
}

/* Only the owner drives the device; bad vring arguments. */
TEST_F(viommu, owner_and_vring_checks)
{
	struct vhost_vring_state s = { .index = 0, .num = 3 };
	struct vhost_vring_addr a = { .index = 0, .desc_user_addr = 8 };
	struct vhost_vring_file kf = { .index = 7, .fd = -1 };
	pid_t pid;
	int st;

	EXPECT_EQ(-EBUSY, vx(self->g.dev, VHOST_SET_OWNER, NULL));
	EXPECT_EQ(-EINVAL, vx(self->g.dev, VHOST_SET_VRING_NUM, &s));
	s.num = 512;			/* above the device's 256 */
	EXPECT_EQ(-EINVAL, vx(self->g.dev, VHOST_SET_VRING_NUM, &s));
	EXPECT_EQ(-EINVAL, vx(self->g.dev, VHOST_SET_VRING_ADDR, &a));
	a.desc_user_addr = 0;
	a.flags = 2 << VHOST_VRING_F_LOG;	/* no such flag */
	EXPECT_EQ(-EOPNOTSUPP, vx(self->g.dev, VHOST_SET_VRING_ADDR, &a));
	EXPECT_EQ(-ENOBUFS, vx(self->g.dev, VHOST_SET_VRING_KICK, &kf));
	kf.index = 0;
	kf.fd = self->g.h.container;	/* not an eventfd */
	EXPECT_EQ(-EINVAL, vx(self->g.dev, VHOST_SET_VRING_KICK, &kf));

	/* Another process (another mm) holding the fd is not the owner. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint8_t s8 = ST_ACK;

		_exit(ioctl(self->g.dev, VHOST_VDPA_SET_STATUS, &s8) == -1 &&
		      errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

/*
 * Guest MAP and UNMAP take effect in the real IOMMU: edu reaches guest
 * memory through guest IOVAs once the endpoint is attached and mapped,
 * and no longer after UNMAP.  Pinned pages are accounted and released.
 */
TEST_F_TIMEOUT(viommu, map_unmap_dma, 120)
{
	struct gvm *g = &self->g;
	long lck0 = proc_status_kb("VmLck");

	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	/* Not attached, no bypass: the endpoint is blocked. */
	EXPECT_FALSE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
				GPA_DATA + 0x1000, 0x5a));

	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, GPA_DATA, 0x1000, RD));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x800000, GPA_DATA + 0x1000,
					 0x1000, RW));
	EXPECT_EQ(lck0 + 8, proc_status_kb("VmLck"));
	EXPECT_TRUE(dma_copies(g, 0x400000, 0x800000, GPA_DATA,
			       GPA_DATA + 0x1000, 0xa5));

	/* A read-only mapping is not written. */
	memset(gpa(g, GPA_DATA), 0x77, 2048);
	ASSERT_EQ(0, edu_dma(g->bar, EDU_DMA_BUF, 0x400000, 2048, true));
	EXPECT_EQ(0x77, ((uint8_t *)gpa(g, GPA_DATA))[0]);

	/* UNMAP: the IOVA no longer reaches the page. */
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, unmap(g, 1, 0x800000, 0x1000));
	EXPECT_EQ(lck0 + 4, proc_status_kb("VmLck"));
	EXPECT_FALSE(dma_copies(g, 0x400000, 0x800000, GPA_DATA,
				GPA_DATA + 0x1000, 0x3c));
	/* Unmapping nothing is fine (5.13.6.6). */
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, unmap(g, 1, 0x800000, 0x100000));

	/* DETACH: blocked again; the last endpoint frees the domain. */
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, detach(g, 1, VSID));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOENT, map(g, 1, 0x400000, GPA_DATA, 0x1000,
					    RD));
}

#define GPA_PEER	0x10000000ULL	/* where the guest sees a peer's BAR0 */
#define PEER_IOVA	0x4000000ULL	/* below edu's 28-bit DMA mask */
#define PEER_WORD	0x12345678u

/*
 * A guest MAP of device memory: the VMM's memory table also describes
 * another assigned device's BAR0 (its mmap, at GPA_PEER, as a VMM places
 * an assigned BAR in guest-physical space), and the guest maps it for
 * peer-to-peer DMA.  The MAP takes nothing from locked_vm (MMIO is not
 * pinned) and this edu's DMA through the guest domain reaches the peer:
 * it writes the peer's liveness register, which answers with the
 * complement.  After UNMAP the write no longer arrives.
 */
TEST_F_TIMEOUT(viommu, map_peer_bar, 120)
{
	struct gvm *g = &self->g;
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r[2];
	} mem = { .m.nregions = 2 };
	char bdf2[VFIOEXT_BDF_LEN];
	volatile uint32_t *peer;
	int group2, dev2;
	size_t plen;
	long lck;

	if (edu_find_other(EDU_ALONE, g->h.bdf, bdf2))
		SKIP(return, "no second edu alone in its IOMMU group");
	dev2 = peer_open(bdf2, g->h.container, &group2);
	ASSERT_LE(0, dev2);
	peer = bar0_map(dev2, &plen);
	ASSERT_NE(NULL, peer);
	mem.r[0] = (struct vhost_memory_region){
		.guest_phys_addr = 0, .memory_size = RAM_SIZE,
		.userspace_addr = (uintptr_t)g->vg.ram,
	};
	mem.r[1] = (struct vhost_memory_region){
		.guest_phys_addr = GPA_PEER, .memory_size = plen,
		.userspace_addr = (uintptr_t)peer,
	};
	ASSERT_EQ(0, vx(g->dev, VHOST_SET_MEM_TABLE, &mem));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, GPA_DATA, 0x1000, RD));

	lck = proc_status_kb("VmLck");
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, PEER_IOVA, GPA_PEER, plen, RW));
	EXPECT_EQ(lck, proc_status_kb("VmLck"));
	*(uint32_t *)gpa(g, GPA_DATA) = PEER_WORD;
	ASSERT_EQ(0, edu_dma(g->bar, 0x400000, EDU_DMA_BUF, 4, false));
	ASSERT_EQ(0, edu_dma(g->bar, EDU_DMA_BUF, PEER_IOVA + EDU_REG_LIVENESS,
			     4, true));
	EXPECT_EQ(~PEER_WORD, edu_rd(peer, EDU_REG_LIVENESS));

	ASSERT_EQ(VIRTIO_IOMMU_S_OK, unmap(g, 1, PEER_IOVA, plen));
	EXPECT_EQ(lck, proc_status_kb("VmLck"));
	*(uint32_t *)gpa(g, GPA_DATA) = ~PEER_WORD;
	ASSERT_EQ(0, edu_dma(g->bar, 0x400000, EDU_DMA_BUF, 4, false));
	ASSERT_EQ(0, edu_dma(g->bar, EDU_DMA_BUF, PEER_IOVA + EDU_REG_LIVENESS,
			     4, true));
	EXPECT_EQ(~PEER_WORD, edu_rd(peer, EDU_REG_LIVENESS));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, detach(g, 1, VSID));
	munmap((void *)peer, plen);
	close(dev2);
	close(group2);
}

/* Moving an endpoint between domains, and a domain's mappings. */
TEST_F_TIMEOUT(viommu, reattach_and_reset, 120)
{
	struct gvm *g = &self->g;
	long lck0 = proc_status_kb("VmLck");

	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, GPA_DATA, 0x2000, RW));
	/* Attaching to domain 2 leaves domain 1 (freed: its last endpoint). */
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 2, VSID, 0));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOENT, unmap(g, 1, 0x400000, 0x2000));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 2, 0x600000, GPA_DATA, 0x2000, RW));
	EXPECT_TRUE(dma_copies(g, 0x600000, 0x601000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x42));
	EXPECT_FALSE(dma_copies(g, 0x400000, 0x401000, GPA_DATA,
				GPA_DATA + 0x1000, 0x43));
	/* Reset: guest domains and their pins go, the endpoint is blocked. */
	ASSERT_EQ(0, set_status(g, 0));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
	EXPECT_FALSE(dma_copies(g, 0x600000, 0x601000, GPA_DATA,
				GPA_DATA + 0x1000, 0x44));
}

/*
 * PROBE reports the host IOMMU's reserved regions, exactly those of the
 * endpoint's group (sysfs, in its order): the MSI window as MSI, the rest
 * (under AMD-Vi, HyperTransport's range) as RESERVED; MAP refuses them.
 */
TEST_F(viommu, probe)
{
	struct gvm *g = &self->g;
	struct virtio_iommu_req_probe r = {
		.head.type = VIRTIO_IOMMU_T_PROBE, .endpoint = VSID,
	};
	struct virtio_iommu_probe_resv_mem *p;
	struct resv_region resv[MAX_RESV_REGIONS];
	uint8_t st, *out;
	bool msi = false;
	int nresv, n = 0, i;
	size_t off;

	nresv = group_resv_regions(g->h.group_id, resv, MAX_RESV_REGIONS);
	ASSERT_LE(1, nresv);
	ASSERT_GE(MAX_RESV_REGIONS, nresv);
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(0, request(g, &r, sizeof(r), 512 + 4, &st));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, st);
	out = gpa(g, GPA_RESP);
	for (off = 0; off + sizeof(*p) <= 512; off += sizeof(*p)) {
		p = (void *)(out + off);
		if (!p->head.type)
			break;
		ASSERT_EQ(VIRTIO_IOMMU_PROBE_T_RESV_MEM, p->head.type);
		ASSERT_EQ(sizeof(*p) - sizeof(p->head), p->head.length);
		ASSERT_GT(nresv, n);
		TH_LOG("PROBE: %s [%#llx, %#llx]; sysfs: %s [%#llx, %#llx]",
		       p->subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI ? "MSI" :
		       "RESERVED", (unsigned long long)p->start,
		       (unsigned long long)p->end, resv[n].type,
		       (unsigned long long)resv[n].start,
		       (unsigned long long)resv[n].end);
		EXPECT_EQ(resv[n].start, p->start);
		EXPECT_EQ(resv[n].end, p->end);
		EXPECT_EQ(!strcmp(resv[n].type, "msi") ?
			  VIRTIO_IOMMU_RESV_MEM_T_MSI :
			  VIRTIO_IOMMU_RESV_MEM_T_RESERVED, p->subtype);
		if (p->subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI)
			msi = true;
		n++;
	}
	EXPECT_EQ(nresv, n);
	EXPECT_TRUE(msi);	/* x86: the IOMMU's MSI window */
	/* The rest of the property area is zero (type NONE). */
	for (; off < 512; off++)
		ASSERT_EQ(0, out[off]);
	/* The guest cannot map a reserved region: first and last page. */
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	for (i = 0; i < nresv; i++) {
		if (!resv_region_excluded(&resv[i]))
			continue;
		EXPECT_EQ(VIRTIO_IOMMU_S_RANGE,
			  map(g, 1, resv[i].start & ~0xfffULL, GPA_DATA,
			      0x1000, RW));
		EXPECT_EQ(VIRTIO_IOMMU_S_RANGE,
			  map(g, 1, resv[i].end & ~0xfffULL, GPA_DATA,
			      0x1000, RW));
	}
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, detach(g, 1, VSID));
	r.endpoint = 99;
	ASSERT_EQ(0, request(g, &r, sizeof(r), 512 + 4, &st));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOENT, st);
	/* No room for the properties. */
	r.endpoint = VSID;
	ASSERT_EQ(0, request(g, &r, sizeof(r), 4, &st));
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, st);
	/* A driver that did not negotiate PROBE cannot use it. */
	ASSERT_EQ(0, set_status(g, 0));
	ASSERT_EQ(0, vmm_queue(g));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES & ~BIT_ULL(VIRTIO_IOMMU_F_PROBE)));
	ASSERT_EQ(0, request(g, &r, sizeof(r), 4, &st));
	EXPECT_EQ(VIRTIO_IOMMU_S_UNSUPP, st);
}

/*
 * The ends of input_range (the container's IOVA space): its last page maps
 * and DMA-free round trips through MAP/UNMAP work there (6.1's AMD-Vi:
 * the top of the u64 space); past it (VT-d: its address width) MAP is
 * refused.
 */
TEST_F(viommu, input_range_edges)
{
	struct gvm *g = &self->g;
	struct virtio_iommu_config cfg;
	long lck0 = proc_status_kb("VmLck");
	uint64_t top;

	ASSERT_EQ(0, vfioext_virtio_config(g->dev, 0, &cfg, sizeof(cfg), 0));
	TH_LOG("input_range [%#llx, %#llx]",
	       (unsigned long long)cfg.input_range.start,
	       (unsigned long long)cfg.input_range.end);
	top = cfg.input_range.end - 0xfff;
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	if (cfg.input_range.end != UINT64_MAX) {
		EXPECT_EQ(VIRTIO_IOMMU_S_RANGE,
			  map(g, 1, cfg.input_range.end + 1, GPA_DATA, 0x1000,
			      RW));
		EXPECT_EQ(VIRTIO_IOMMU_S_RANGE,
			  map(g, 1, top, GPA_DATA, 0x2000, RW));
	}
	if (cfg.input_range.start) {
		EXPECT_EQ(VIRTIO_IOMMU_S_RANGE,
			  map(g, 1, cfg.input_range.start - 0x1000, GPA_DATA,
			      0x1000, RW));
	}
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, top, GPA_DATA, 0x1000, RW));
	EXPECT_EQ(lck0 + 4, proc_status_kb("VmLck"));
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, map(g, 1, top, GPA_DATA + 0x1000,
					    0x1000, RW));	/* overlaps */
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, cfg.input_range.start,
					 GPA_DATA, 0x1000, RW));
	/* One UNMAP over the whole input range takes both. */
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, unmap(g, 1, cfg.input_range.start,
					   cfg.input_range.end -
					   cfg.input_range.start + 1));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, top, GPA_DATA, 0x1000, RW));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, unmap(g, 1, top, 0x1000));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
}

/* The netlink inventory's virtio-iommu counters of our container. */
static int viommu_counters(uint64_t *reqs, uint64_t *failed)
{
	const struct vfioext_nl_pviommu *ours;
	struct vfioext_nl_pviommu **list;
	struct vfioext_nl *nl;
	size_t n;
	int ret = vfioext_nl_open(&nl);

	if (ret)
		return ret;
	ret = vfioext_nl_pviommu_list(nl, &list, &n, NULL);
	vfioext_nl_close(nl);
	if (ret)
		return ret;
	ours = pviommu_by_owner(list, n, getpid());
	if (ours) {
		*reqs = nl_pv_info(ours).viommu_reqs;
		*failed = nl_pv_info(ours).viommu_failed;
	}
	vfioext_nl_pviommu_list_free(list, n);
	return ours ? 0 : -ENOENT;
}

/* Every malformed request gets the spec's status, nothing else changes. */
TEST_F(viommu, bad_requests)
{
	struct gvm *g = &self->g;
	long lck0 = proc_status_kb("VmLck");
	struct virtio_iommu_req_head h = { .type = 0x7f };
	struct resv_region resv[MAX_RESV_REGIONS];
	uint64_t reqs = 0, failed = 0, msi = 0;
	int nresv, i;
	uint8_t st;

	/* The host IOMMU's MSI window, where it says it is. */
	nresv = group_resv_regions(g->h.group_id, resv, MAX_RESV_REGIONS);
	ASSERT_LE(0, nresv);
	for (i = 0; i < nresv && i < MAX_RESV_REGIONS; i++)
		if (!strcmp(resv[i].type, "msi") && !msi)
			msi = resv[i].start & ~0xfffULL;
	ASSERT_NE(0, msi);
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOENT, attach(g, 1, 42, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_RANGE, attach(g, 0, VSID, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_RANGE, attach(g, 1024, VSID, 0));
	/* BYPASS flag without BYPASS_CONFIG negotiated */
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL,
		  attach(g, 1, VSID, VIRTIO_IOMMU_ATTACH_F_BYPASS));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOENT, map(g, 1, 0x400000, GPA_DATA, 0x1000,
					    RW));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_RANGE, map(g, 1, 0x400800, GPA_DATA, 0x1000,
					    RW));		/* misaligned */
	EXPECT_EQ(VIRTIO_IOMMU_S_RANGE, map(g, 1, 0x400000, RAM_SIZE, 0x1000,
					    RW));		/* not RAM */
	EXPECT_EQ(VIRTIO_IOMMU_S_RANGE, map(g, 1, 0x400000, RAM_SIZE - 0x1000,
					    0x2000, RW));	/* leaves RAM */
	EXPECT_EQ(VIRTIO_IOMMU_S_RANGE, map(g, 1, msi, GPA_DATA, 0x1000,
					    RW));		/* MSI window */
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, map(g, 1, 0x400000, GPA_DATA, 0x1000,
					    0x8));		/* MMIO flag */
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, map(g, 1, 0x400000, GPA_DATA, 0x1000,
					    0));		/* no access */
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, GPA_DATA, 0x2000, RW));
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, map(g, 1, 0x401000, GPA_DATA, 0x1000,
					    RW));		/* overlaps */
	EXPECT_EQ(VIRTIO_IOMMU_S_RANGE, unmap(g, 1, 0x400000, 0x1000));
	EXPECT_EQ(lck0 + 8, proc_status_kb("VmLck"));		/* no split */
	EXPECT_EQ(VIRTIO_IOMMU_S_NOENT, detach(g, 2, VSID));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 3, VSID, 0));	/* moves */
	EXPECT_EQ(VIRTIO_IOMMU_S_NOENT, detach(g, 1, VSID));	/* 1 is gone */
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
	/* Unknown type; a request shorter than its type; a short header. */
	ASSERT_EQ(0, request(g, &h, sizeof(h), 4, &st));
	EXPECT_EQ(VIRTIO_IOMMU_S_UNSUPP, st);
	h.type = VIRTIO_IOMMU_T_MAP;
	ASSERT_EQ(0, request(g, &h, sizeof(h), 4, &st));
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, st);
	ASSERT_EQ(0, request(g, &h, 2, 4, &st));
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, st);
	/* The device is still fine. */
	EXPECT_EQ(ST_DOK, get_status(g));
	/* 21 requests, 3 answered OK; the inventory counted them. */
	ASSERT_EQ(0, viommu_counters(&reqs, &failed));
	EXPECT_EQ(21, reqs);
	EXPECT_EQ(18, failed);
}

/* RLIMIT_MEMLOCK of the VMM applies to what the guest pins. */
TEST_F(viommu, memlock_limit)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	struct gvm *g = &self->g;
	struct rlimit rl;
	long lck0 = proc_status_kb("VmLck");

	/* A device created without CAP_IPC_LOCK, under a tight limit. */
	close(g->dev);
	g->dev = -1;
	ASSERT_EQ(0, syscall(SYS_capget, &hdr, data));
	data[0].effective &= ~(1u << CAP_IPC_LOCK);
	data[0].permitted &= ~(1u << CAP_IPC_LOCK);
	ASSERT_EQ(0, syscall(SYS_capset, &hdr, data));
	rl.rlim_cur = (lck0 + 8) * 1024;
	rl.rlim_max = rl.rlim_cur;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	g->dev = create_dev(g, 0);
	ASSERT_LE(0, g->dev);
	ASSERT_EQ(0, vmm_setup(g));
	ASSERT_EQ(0, vmm_queue(g));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, GPA_DATA, 0x2000, RW));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOMEM, map(g, 1, 0x402000, GPA_DATA, 0x1000,
					    RW));
	EXPECT_EQ(lck0 + 8, proc_status_kb("VmLck"));

	/*
	 * One kick, one round: pages unmapped in a round are given back at
	 * its end, and the round's later maps take from them first -- so
	 * the limit still applies exactly, request by request.
	 */
	queue_req(g, 0, VIRTIO_IOMMU_T_UNMAP, 0x600000, 0x1000, 0);	/* none */
	queue_req(g, 1, VIRTIO_IOMMU_T_UNMAP, 0x400000, 0x2000, 0);
	queue_req(g, 2, VIRTIO_IOMMU_T_MAP, 0x500000, 0x1000, GPA_DATA);
	queue_req(g, 3, VIRTIO_IOMMU_T_MAP, 0x501000, 0x1000, GPA_DATA);
	queue_req(g, 4, VIRTIO_IOMMU_T_MAP, 0x502000, 0x1000, GPA_DATA);
	ASSERT_EQ(0, kick_wait(g, 5));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 1));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 2));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 3));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOMEM, slot_status(g, 4));
	EXPECT_EQ(lck0 + 8, proc_status_kb("VmLck"));
	/*
	 * A map larger than the round's refunds: they count first, so a
	 * map that fits once the round's unmaps are taken into account
	 * succeeds, at the limit.
	 */
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, unmap(g, 1, 0x501000, 0x1000));
	EXPECT_EQ(lck0 + 4, proc_status_kb("VmLck"));
	queue_req(g, 0, VIRTIO_IOMMU_T_UNMAP, 0x600000, 0x1000, 0);	/* none */
	queue_req(g, 1, VIRTIO_IOMMU_T_UNMAP, 0x500000, 0x1000, 0);
	queue_req(g, 2, VIRTIO_IOMMU_T_MAP, 0x510000, 0x2000, GPA_DATA);
	ASSERT_EQ(0, kick_wait(g, 3));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 1));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 2));
	EXPECT_EQ(lck0 + 8, proc_status_kb("VmLck"));
	/* A round of unmaps gives everything back once it ends. */
	queue_req(g, 0, VIRTIO_IOMMU_T_UNMAP, 0x600000, 0x1000, 0);	/* none */
	queue_req(g, 1, VIRTIO_IOMMU_T_UNMAP, 0x510000, 0x2000, 0);
	ASSERT_EQ(0, kick_wait(g, 2));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 1));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
}

/*
 * A round (a kick's requests from its second on) defers its UNMAPs'
 * IOTLB flush and unpinning to its end, before the used ring tells the
 * driver: once an UNMAP is used, the device no longer reaches the page,
 * not even through the IOTLB entry it used just before.  The emulated
 * IOMMU caches translations, so a flush that comes late shows: X -> A is
 * warmed up, then one kick unmaps X and maps X -> B; the device's write
 * must land in B.  A round that only unmaps X leaves X reaching nothing.
 */
TEST_F_TIMEOUT(viommu, round_flushes_before_used, 120)
{
	struct gvm *g = &self->g;
	const uint64_t src = GPA_DATA, a = GPA_DATA + 0x1000,
		       b = GPA_DATA + 0x2000, other = GPA_DATA + 0x3000;
	volatile uint8_t *pa = gpa(g, a);
	long lck0 = proc_status_kb("VmLck");
	unsigned int i;

	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, src, 0x1000, RD));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x800000, a, 0x1000, RW));
	ASSERT_TRUE(dma_copies(g, 0x400000, 0x800000, src, a, 0x5a));

	/* Slot 0 is served alone; the round is slots 1 and 2. */
	queue_req(g, 0, VIRTIO_IOMMU_T_MAP, 0x600000, 0x1000, other);
	queue_req(g, 1, VIRTIO_IOMMU_T_UNMAP, 0x800000, 0x1000, 0);
	queue_req(g, 2, VIRTIO_IOMMU_T_MAP, 0x800000, 0x1000, b);
	ASSERT_EQ(0, kick_wait(g, 3));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, i));
	EXPECT_EQ(lck0 + 12, proc_status_kb("VmLck"));
	EXPECT_TRUE(dma_copies(g, 0x400000, 0x800000, src, b, 0x6b));
	EXPECT_EQ(0x5a, pa[0]) {
		TH_LOG("the device wrote the unmapped page through a stale IOTLB entry");
	}

	queue_req(g, 0, VIRTIO_IOMMU_T_UNMAP, 0x600000, 0x1000, 0);
	queue_req(g, 1, VIRTIO_IOMMU_T_UNMAP, 0x800000, 0x1000, 0);
	ASSERT_EQ(0, kick_wait(g, 2));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 1));
	/* Unpinned and uncharged by the time the round is used. */
	EXPECT_EQ(lck0 + 4, proc_status_kb("VmLck"));
	EXPECT_FALSE(dma_copies(g, 0x400000, 0x800000, src, b, 0x7c));
	EXPECT_EQ(0x5a, pa[0]);

	EXPECT_EQ(VIRTIO_IOMMU_S_OK, detach(g, 1, VSID));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
}

/*
 * A round that maps and then detaches the domain's last endpoint frees
 * the domain with the mapping in it: nothing of the domain may be left
 * to flush once it is gone (with KASAN, the debug lane's kernel reports
 * a flush of the freed domain at the round's end).  Everything is
 * unpinned and uncharged when the round is used; the endpoint can join
 * a new domain and DMA through it.
 */
TEST_F_TIMEOUT(viommu, round_frees_a_domain, 120)
{
	struct gvm *g = &self->g;
	long lck0 = proc_status_kb("VmLck");
	struct virtio_iommu_req_detach det = {
		.head.type = VIRTIO_IOMMU_T_DETACH, .domain = 1,
		.endpoint = VSID,
	};

	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, GPA_DATA, 0x1000, RD));
	/* Slot 0 alone; the round: UNMAP, MAP, then DETACH. */
	queue_req(g, 0, VIRTIO_IOMMU_T_MAP, 0x500000, 0x1000, GPA_DATA);
	queue_req(g, 1, VIRTIO_IOMMU_T_UNMAP, 0x400000, 0x1000, 0);
	queue_req(g, 2, VIRTIO_IOMMU_T_MAP, 0x600000, 0x1000, GPA_DATA);
	vg_add_req(&g->vg, 3, &det, sizeof(det) - 4, 4);
	vg_publish(&g->vg);
	ASSERT_EQ(0, kick_wait(g, 4));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 0));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 1));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 2));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, slot_status(g, 3));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOENT, map(g, 1, 0x400000, GPA_DATA, 0x1000,
					    RD));

	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 2, VSID, 0));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 2, 0x400000, GPA_DATA, 0x1000, RD));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 2, 0x800000, GPA_DATA + 0x1000,
					 0x1000, RW));
	EXPECT_TRUE(dma_copies(g, 0x400000, 0x800000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x3c));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, detach(g, 2, VSID));
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
}

/*
 * Boot bypass: before the driver negotiates, unattached endpoints reach
 * guest memory through the VMM's mappings; a driver without
 * BYPASS_CONFIG blocks them; with it, the config field decides.
 */
TEST_F_TIMEOUT(viommu, bypass, 120)
{
	struct gvm *g = &self->g;
	uint8_t one = 1, zero = 0;

	close(g->dev);
	g->dev = create_dev(g, VFIO_EXT_VIOMMU_F_BOOT_BYPASS);
	ASSERT_LE(0, g->dev);
	ASSERT_EQ(0, vmm_setup(g));
	ASSERT_EQ(0, vmm_queue(g));
	EXPECT_TRUE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x11));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	EXPECT_FALSE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
				GPA_DATA + 0x1000, 0x12));
	/* Reset: back to boot bypass. */
	ASSERT_EQ(0, set_status(g, 0));
	ASSERT_EQ(0, vmm_queue(g));
	EXPECT_TRUE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x13));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES | F_BYPASS_CFG));
	EXPECT_TRUE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x14));
	ASSERT_EQ(0, vfioext_virtio_config(g->dev, CFG_BYPASS, &zero, 1, 1));
	EXPECT_FALSE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
				GPA_DATA + 0x1000, 0x15));
	ASSERT_EQ(0, vfioext_virtio_config(g->dev, CFG_BYPASS, &one, 1, 1));
	EXPECT_TRUE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x16));
	/* A bypass domain: attached endpoints bypass; MAP has no place. */
	ASSERT_EQ(0, vfioext_virtio_config(g->dev, CFG_BYPASS, &zero, 1, 1));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK,
		  attach(g, 5, VSID, VIRTIO_IOMMU_ATTACH_F_BYPASS));
	EXPECT_TRUE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x17));
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, map(g, 5, 0x400000, GPA_DATA, 0x1000,
					    RW));
	EXPECT_EQ(VIRTIO_IOMMU_S_INVAL, attach(g, 5, VSID, 0));
}

/*
 * A device reset returns the device to how it was created: the bypass
 * field the guest wrote goes back to VFIO_EXT_VIOMMU_F_BOOT_BYPASS's value
 * (firmware after a guest reboot gets its DMA back), and endpoints leave
 * the guest's domains for that state.
 */
TEST_F_TIMEOUT(viommu, reset_restores_boot_bypass, 120)
{
	struct gvm *g = &self->g;
	uint8_t one = 1, zero = 0, b = 0xff;

	/* Created blocked; the guest lets endpoints bypass, then resets. */
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES | F_BYPASS_CFG));
	ASSERT_EQ(0, vfioext_virtio_config(g->dev, CFG_BYPASS, &one, 1, 1));
	EXPECT_TRUE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x21));
	ASSERT_EQ(0, set_status(g, 0));
	ASSERT_EQ(0, vfioext_virtio_config(g->dev, CFG_BYPASS, &b, 1, 0));
	EXPECT_EQ(0, b);
	ASSERT_EQ(0, vmm_queue(g));
	EXPECT_FALSE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
				GPA_DATA + 0x1000, 0x22));

	/* Created with boot bypass; the guest blocks and translates. */
	close(g->dev);
	g->dev = create_dev(g, VFIO_EXT_VIOMMU_F_BOOT_BYPASS);
	ASSERT_LE(0, g->dev);
	ASSERT_EQ(0, vmm_setup(g));
	ASSERT_EQ(0, vmm_queue(g));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES | F_BYPASS_CFG));
	ASSERT_EQ(0, vfioext_virtio_config(g->dev, CFG_BYPASS, &zero, 1, 1));
	EXPECT_FALSE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
				GPA_DATA + 0x1000, 0x23));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, GPA_DATA, 0x2000, RW));
	EXPECT_TRUE(dma_copies(g, 0x400000, 0x401000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x24));
	/* Reset (a reboot): bypass as created, the guest's domain gone. */
	ASSERT_EQ(0, set_status(g, 0));
	b = 0xff;
	ASSERT_EQ(0, vfioext_virtio_config(g->dev, CFG_BYPASS, &b, 1, 0));
	EXPECT_EQ(1, b);
	ASSERT_EQ(0, vmm_queue(g));
	EXPECT_TRUE(dma_copies(g, GPA_DATA, GPA_DATA + 0x1000, GPA_DATA,
			       GPA_DATA + 0x1000, 0x25));
	EXPECT_FALSE(dma_copies(g, 0x400000, 0x401000, GPA_DATA,
				GPA_DATA + 0x1000, 0x26));
}

/*
 * The guest's MAPs have their own budget: exhausting it answers NOMEM
 * (the status for insufficient resources) and leaves the VMM's own MAP_DMA
 * (memory hotplug) its full dma_entry_limit; the VMM lowers the guest's
 * budget with VFIO_EXT_PVIOMMU_LIMITS.
 */
TEST_F_TIMEOUT(viommu, guest_map_budget, 120)
{
	struct vfio_ext_pviommu_limits l = { .argsz = sizeof(l) };
	char old_dma[32], old_guest[32];
	struct gvm *g = &self->g;
	uint8_t *hot = NULL;
	int i, ret;

	sysfs_read_line(PV_PARAM("dma_entry_limit"), old_dma, sizeof(old_dma));
	sysfs_read_line(PV_PARAM("guest_dma_entry_limit"), old_guest,
			sizeof(old_guest));
	ASSERT_NE('\0', old_dma[0]);
	/* Read when a container is set up: set up another. */
	gvm_close(g);
	ASSERT_EQ(0, sysfs_write_str(PV_PARAM("dma_entry_limit"), "4"));
	if (old_guest[0])
		sysfs_write_str(PV_PARAM("guest_dma_entry_limit"), "6");
	ret = gvm_open(g, 0);
	sysfs_write_str(PV_PARAM("dma_entry_limit"), old_dma);
	if (old_guest[0])
		sysfs_write_str(PV_PARAM("guest_dma_entry_limit"), old_guest);
	ASSERT_EQ(0, ret);
	hot = anon_pages(3 * 4096);
	ASSERT_NE(NULL, hot);

	/* The VMM has one mapping (guest RAM); the guest gets its six. */
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	for (i = 0; i < 6; i++)
		EXPECT_EQ(VIRTIO_IOMMU_S_OK,
			  map(g, 1, 0x400000 + i * 0x1000, GPA_DATA, 0x1000,
			      RW));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOMEM, map(g, 1, 0x500000, GPA_DATA, 0x1000,
					    RW));
	/* The VMM's hotplug still maps, up to its own limit. */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, dma_map(g->h.container, hot + i * 4096,
				     0x40000000 + i * 4096, 4096,
				     VFIO_DMA_MAP_FLAG_READ |
				     VFIO_DMA_MAP_FLAG_WRITE));
	EXPECT_EQ(-ENOSPC, dma_map(g->h.container, hot, 0x40100000, 4096,
				   VFIO_DMA_MAP_FLAG_READ));

	/* The VMM lowers the guest's budget below what it holds. */
	l.flags = VFIO_EXT_PVIOMMU_LIMITS_SET_GUEST;
	l.guest_maps = 4;
	ASSERT_EQ(0, ioctl(g->h.container, VFIO_EXT_PVIOMMU_LIMITS, &l));
	EXPECT_EQ(6, l.guest_mapped);
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, unmap(g, 1, 0x400000, 0x2000));
	EXPECT_EQ(VIRTIO_IOMMU_S_NOMEM, map(g, 1, 0x500000, GPA_DATA, 0x1000,
					    RW));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, unmap(g, 1, 0x402000, 0x1000));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x500000, GPA_DATA, 0x1000,
					 RW));
	/* A reset gives the guest's mappings back, not the VMM's. */
	ASSERT_EQ(0, set_status(g, 0));
	l.flags = 0;
	ASSERT_EQ(0, ioctl(g->h.container, VFIO_EXT_PVIOMMU_LIMITS, &l));
	EXPECT_EQ(4, l.guest_maps);
	EXPECT_EQ(0, l.guest_mapped);
	EXPECT_EQ(-ENOSPC, dma_map(g->h.container, hot, 0x40100000, 4096,
				   VFIO_DMA_MAP_FLAG_READ));
	munmap(hot, 3 * 4096);
}

static int set_inline_kick(bool on)
{
	return sysfs_write_str(INLINE_KICK, on ? "Y" : "N");
}

/* Voluntary context switches of the newest "vext-viommu-*" worker. */
static long worker_switches(void)
{
	char path[64], line[128];
	pid_t pid = vg_viommu_worker();
	long n = -1;
	FILE *f;

	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * The worker's count once it has gone back to sleep after serving: it
 * counts a switch only when it sleeps, which may come after the guest saw
 * the used entry.  Polls for a change from @before, up to @ms.
 */
static long worker_switches_within(long before, int ms)
{
	long n = worker_switches();
	int i;

	for (i = 0; i < ms / 10 && n == before; i++) {
		usleep(10000);
		n = worker_switches();
	}
	return n;
}

/* A change expected: up to 5 s. */
static long worker_switches_after(long before)
{
	return worker_switches_within(before, 5000);
}

/* Post a 4 KiB MAP or UNMAP of IOVA 0x400000 in domain 1, no kick. */
static uint16_t post_map_unmap(struct gvm *g, bool do_map)
{
	struct virtio_iommu_req_map m = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = 1,
		.virt_start = 0x400000, .virt_end = 0x400fff,
		.phys_start = GPA_DATA, .flags = RW,
	};
	struct virtio_iommu_req_unmap um = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = 1,
		.virt_start = 0x400000, .virt_end = 0x400fff,
	};
	uint16_t head;

	if (do_map)
		head = vg_add_req(&g->vg, 0, &m, sizeof(m) - 4, 4);
	else
		head = vg_add_req(&g->vg, 0, &um, sizeof(um) - 4, 4);
	vg_publish(&g->vg);
	return head;
}

static uint8_t resp_status(struct gvm *g)
{
	return vg_slot_status(&g->vg, 0);
}

/*
 * Who serves a kick.  inline_kick on: a kick from a thread of the owner
 * process is served before its write() returns (the used entry is there
 * and the call eventfd readable at once), and the worker is not woken at
 * all.  A kick from another process, and every kick with inline_kick
 * off, is served by the worker thread.
 */
TEST_F_TIMEOUT(viommu, kick_paths, 120)
{
	struct gvm *g = &self->g;
	struct vring_used *used = gpa(g, GPA_USED);
	struct pollfd pfd = { .fd = g->vg.call, .events = POLLIN };
	long sw0, sw1;
	uint16_t head;
	uint64_t v;
	pid_t pid;
	int i, st;

	ASSERT_EQ(0, set_inline_kick(true));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	/* Settled: the new worker has gone to sleep for good. */
	for (i = 0, sw0 = -1; i < 50; i++) {
		sw1 = sw0;
		usleep(100000);
		sw0 = worker_switches();
		if (sw0 == sw1)
			break;
	}
	ASSERT_LE(0, sw0);
	ASSERT_EQ(sw1, sw0) {
		TH_LOG("the worker did not settle in 5 s");
	}
	for (i = 0; i < 20; i++) {
		head = post_map_unmap(g, !(i & 1));
		ASSERT_EQ(0, vg_kick(&g->vg));
		/* Served already: no waiting. */
		ASSERT_EQ(g->vg.used_seen + 1,
			  __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE));
		ASSERT_EQ(1, poll(&pfd, 1, 0));
		ASSERT_EQ(0, wait_used(g, head, NULL));
		ASSERT_EQ(VIRTIO_IOMMU_S_OK, resp_status(g));
	}
	/* None expected: a late switch gets 500 ms to show. */
	sw1 = worker_switches_within(sw0, 500);
	EXPECT_EQ(sw0, sw1);

	/* Another process's kick: the worker serves it. */
	head = post_map_unmap(g, true);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(vg_kick(&g->vg) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, st);
	ASSERT_EQ(0, wait_used(g, head, NULL));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, resp_status(g));
	sw0 = worker_switches_after(sw1);
	EXPECT_LT(sw1, sw0);

	/* inline_kick off: the worker serves the owner's kicks too. */
	ASSERT_EQ(0, set_inline_kick(false));
	for (i = 0; i < 5; i++) {
		head = post_map_unmap(g, i & 1);
		ASSERT_EQ(0, vg_kick(&g->vg));
		ASSERT_EQ(0, wait_used(g, head, NULL));
		EXPECT_EQ(VIRTIO_IOMMU_S_OK, resp_status(g));
	}
	sw1 = worker_switches_after(sw0);
	EXPECT_LT(sw0, sw1);
	ASSERT_EQ(0, set_inline_kick(true));
	while (read(g->vg.call, &v, sizeof(v)) > 0)
		;
}

/* CPU time (user + system, clock ticks) of the newest worker, or -1. */
static long worker_ticks(void)
{
	char path[64], buf[512], *p;
	unsigned long ut, st;
	pid_t pid = vg_viommu_worker();
	ssize_t n;
	int fd;

	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* After "(comm) ", fields 3..: utime and stime are 14 and 15. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return ut + st;
}

static uint16_t vring_base(struct gvm *g)
{
	struct vhost_vring_state s = { .index = 0, .num = 0xdead };

	if (vx(g->dev, VHOST_GET_VRING_BASE, &s))
		return 0xdead;
	return s.num;
}

/*
 * VHOST_VDPA_SUSPEND / RESUME, served inline and by the worker: after
 * SUSPEND nothing is served (a kick stays pending, the used ring and the
 * call eventfd stay quiet, the worker does not spin) and the queue's
 * position is the guest's published count; RESUME serves what was kicked;
 * a reset ends a suspension.
 */
TEST_F_TIMEOUT(viommu, suspend_resume, 120)
{
	struct gvm *g = &self->g;
	struct vring_used *used = gpa(g, GPA_USED);
	struct pollfd pfd = { .fd = g->vg.call, .events = POLLIN };
	uint16_t head;
	uint64_t v;
	long t0, t1;
	int round, i;

	for (round = 0; round < 2; round++) {
		bool inl = round == 0;

		ASSERT_EQ(0, set_inline_kick(inl));
		ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
		ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
		for (i = 0; i < 5; i++)
			ASSERT_EQ(VIRTIO_IOMMU_S_OK,
				  map(g, 1, 0x400000 + i * 0x1000,
				      GPA_DATA, 0x1000, RW));
		ASSERT_EQ(0, vfioext_virtio_suspend(g->dev));
		/* Every request the guest published, and no more. */
		EXPECT_EQ(g->vg.avail_idx, vring_base(g));
		EXPECT_EQ(6, g->vg.avail_idx);
		EXPECT_EQ(g->vg.avail_idx, used->idx);

		/* A kick while suspended is not served. */
		while (read(g->vg.call, &v, sizeof(v)) > 0)
			;
		t0 = worker_ticks();
		head = post_map_unmap(g, false);
		ASSERT_EQ(0, vg_kick(&g->vg));
		EXPECT_EQ(0, poll(&pfd, 1, 500));
		EXPECT_EQ(g->vg.used_seen,
			  __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE));
		EXPECT_EQ(0xee, resp_status(g));
		EXPECT_EQ(g->vg.avail_idx - 1, vring_base(g));
		/* Kicked again: still nothing; the worker sleeps. */
		ASSERT_EQ(0, vg_kick(&g->vg));
		EXPECT_EQ(0, poll(&pfd, 1, 300));
		t1 = worker_ticks();
		ASSERT_LE(0, t0);
		EXPECT_GE(t0 + 5, t1) TH_LOG("worker ran %ld ticks", t1 - t0);
		/* SUSPEND again changes nothing. */
		ASSERT_EQ(0, vfioext_virtio_suspend(g->dev));
		EXPECT_EQ(0, poll(&pfd, 1, 0));

		/* RESUME serves it. */
		ASSERT_EQ(0, vfioext_virtio_resume(g->dev));
		ASSERT_EQ(0, wait_used(g, head, NULL));
		EXPECT_EQ(VIRTIO_IOMMU_S_OK, resp_status(g));
		EXPECT_EQ(g->vg.avail_idx, vring_base(g));
		/* And the queue runs as before. */
		EXPECT_EQ(VIRTIO_IOMMU_S_OK,
			  unmap(g, 1, 0x400000, 5 * 0x1000));
		EXPECT_EQ(g->vg.avail_idx, vring_base(g));

		/* A reset ends a suspension. */
		ASSERT_EQ(0, vfioext_virtio_suspend(g->dev));
		ASSERT_EQ(0, set_status(g, 0));
		ASSERT_EQ(0, vmm_queue(g));
		ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
		EXPECT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
		EXPECT_EQ(1, vring_base(g));
		ASSERT_EQ(0, set_status(g, 0));
		ASSERT_EQ(0, vmm_queue(g));
	}
	ASSERT_EQ(0, set_inline_kick(true));
}

/*
 * The container's guest-domain ids are shared with the virtio-iommu's
 * domains (one xarray), but a domain the device owns is not the VMM's:
 * DOMAIN_FREE and a BATCH MAP naming it are ENOENT, and DOMAIN_ALLOC
 * does not hand out its id.
 */
TEST_F(viommu, device_domains_not_the_containers)
{
	struct gvm *g = &self->g;
	struct vfio_ext_pviommu_domain dom = { .argsz = sizeof(dom) };
	struct vfio_ext_pviommu_domain_free f = { .argsz = sizeof(f) };
	struct vfio_ext_pviommu_op op = {
		.op = VFIO_EXT_PVIOMMU_OP_MAP, .flags = RW,
		.vaddr = (uintptr_t)gpa(g, GPA_DATA), .iova = 0x400000,
		.size = 4096,
	};
	struct vfio_ext_pviommu_batch b = {
		.argsz = sizeof(b), .nr = 1, .op_size = sizeof(op),
		.ops = (uintptr_t)&op,
	};
	uint32_t id;

	/* The lowest free id, freed again: the device's next domain gets it. */
	ASSERT_EQ(0, vx(g->h.container, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &dom));
	id = dom.id;
	f.id = id;
	ASSERT_EQ(0, vx(g->h.container, VFIO_EXT_PVIOMMU_DOMAIN_FREE, &f));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	EXPECT_EQ(-ENOENT, vx(g->h.container, VFIO_EXT_PVIOMMU_DOMAIN_FREE, &f));
	op.domain = id;
	EXPECT_EQ(-ENOENT, vx(g->h.container, VFIO_EXT_PVIOMMU_BATCH, &b));
	ASSERT_EQ(0, vx(g->h.container, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &dom));
	EXPECT_NE(id, dom.id);
	f.id = dom.id;
	EXPECT_EQ(0, vx(g->h.container, VFIO_EXT_PVIOMMU_DOMAIN_FREE, &f));
	/* The device's domain still works. */
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, map(g, 1, 0x400000, GPA_DATA, 0x1000, RW));
}

struct suspender {
	int dev;
	int go;		/* set: suspend now */
	int ret;
};

static void *suspend_thread(void *arg)
{
	struct suspender *sp = arg;

	while (!__atomic_load_n(&sp->go, __ATOMIC_ACQUIRE))
		;
	sp->ret = vfioext_virtio_suspend(sp->dev);
	return NULL;
}

/*
 * SUSPEND from another thread while a round of 8 requests (one kick) is
 * being served, inline and by the worker: once SUSPEND returns, neither
 * the used index nor the position moves, and they agree (nothing in
 * flight); after RESUME every request completes, exactly once, in order.
 */
TEST_F_TIMEOUT(viommu, suspend_races_a_round, 240)
{
	struct gvm *g = &self->g;
	struct vring_used *used = gpa(g, GPA_USED);
	struct virtio_iommu_req_map m = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = 1,
		.phys_start = GPA_DATA, .flags = RW,
	};
	struct virtio_iommu_req_unmap um = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = 1,
	};
	struct suspender sp;
	uint16_t heads[8], u1, b1;
	pthread_t t;
	int mode, iter, i, served_before = 0;

	for (mode = 0; mode < 2; mode++) {
		ASSERT_EQ(0, set_inline_kick(mode == 0));
		ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
		ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
		for (iter = 0; iter < 20; iter++) {
			bool do_map = !(iter & 1);

			for (i = 0; i < 8; i++) {
				uint64_t iova = 0x400000 + i * 0x1000;

				m.virt_start = iova;
				m.virt_end = iova + 0xfff;
				um.virt_start = iova;
				um.virt_end = iova + 0xfff;
				heads[i] = do_map ?
					vg_add_req(&g->vg, i, &m, sizeof(m) - 4, 4) :
					vg_add_req(&g->vg, i, &um, sizeof(um) - 4, 4);
			}
			sp = (struct suspender){ .dev = g->dev };
			ASSERT_EQ(0, pthread_create(&t, NULL, suspend_thread, &sp));
			vg_publish(&g->vg);
			ASSERT_EQ(0, vg_kick(&g->vg));
			__atomic_store_n(&sp.go, 1, __ATOMIC_RELEASE);
			ASSERT_EQ(0, pthread_join(t, NULL));
			ASSERT_EQ(0, sp.ret);
			/* Suspended: nothing in flight, nothing moves. */
			u1 = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
			b1 = vring_base(g);
			EXPECT_EQ(u1, b1);
			usleep(200000);
			EXPECT_EQ(u1, __atomic_load_n(&used->idx,
						      __ATOMIC_ACQUIRE));
			EXPECT_EQ(b1, vring_base(g));
			served_before += u1 == g->vg.avail_idx;
			/* Resumed: all eight, once each, in order. */
			ASSERT_EQ(0, vfioext_virtio_resume(g->dev));
			for (i = 0; i < 8; i++) {
				ASSERT_EQ(0, wait_used(g, heads[i], NULL));
				EXPECT_EQ(VIRTIO_IOMMU_S_OK,
					  vg_slot_status(&g->vg, i));
			}
			EXPECT_EQ(g->vg.avail_idx, vring_base(g));
			EXPECT_EQ(g->vg.avail_idx, used->idx);
		}
		ASSERT_EQ(0, set_status(g, 0));
		ASSERT_EQ(0, vmm_queue(g));
	}
	TH_LOG("rounds served before SUSPEND returned: %d of 40",
	       served_before);
	ASSERT_EQ(0, set_inline_kick(true));
}

/*
 * A device restored at the saved position continues the guest's ring
 * without a reset: a second device, given the same rings (not reset) and
 * VHOST_SET_VRING_BASE from the first's VHOST_GET_VRING_BASE while it was
 * suspended, serves the guest's next request into the next used entry.
 */
TEST_F_TIMEOUT(viommu, ring_continues_on_new_device, 120)
{
	struct gvm *g = &self->g;
	struct vring_used *used = gpa(g, GPA_USED);
	struct vhost_vring_state s = { .index = 0 };
	uint16_t base, head;
	uint32_t len = 0;
	int i;

	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	/* Enough traffic to wrap the 16-entry queue. */
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	for (i = 0; i < 20; i++) {
		head = post_map_unmap(g, !(i & 1));
		ASSERT_EQ(0, vg_kick(&g->vg));
		ASSERT_EQ(0, wait_used(g, head, NULL));
		ASSERT_EQ(VIRTIO_IOMMU_S_OK, resp_status(g));
	}
	ASSERT_EQ(0, vfioext_virtio_suspend(g->dev));
	base = vring_base(g);
	EXPECT_EQ(21, base);
	EXPECT_EQ(21, used->idx);
	close(g->dev);

	/* The guest keeps its ring; the new device starts where it was. */
	g->dev = create_dev(g, 0);
	ASSERT_LE(0, g->dev);
	ASSERT_EQ(0, vmm_setup(g));
	ASSERT_EQ(0, vfioext_virtio_setup_vring(g->dev, 0, QNUM,
						gpa(g, GPA_DESC),
						gpa(g, GPA_AVAIL),
						gpa(g, GPA_USED), g->vg.kick,
						g->vg.call));
	/*
	 * A position more than a queue ahead of the device ring's index (a
	 * stale one): DRIVER_OK refused, nothing written to the ring.
	 */
	s.num = base + QNUM + 1;
	ASSERT_EQ(0, vx(g->dev, VHOST_SET_VRING_BASE, &s));
	EXPECT_EQ(-EINVAL, guest_start(g, VG_IOMMU_FEATURES));
	EXPECT_EQ(base, used->idx);
	s.num = base;
	ASSERT_EQ(0, vx(g->dev, VHOST_SET_VRING_BASE, &s));
	ASSERT_EQ(0, set_status(g, ST_DOK));
	EXPECT_EQ(base, vring_base(g));
	/* Nothing replayed: no request is served twice. */
	usleep(200000);
	EXPECT_EQ(base, used->idx);
	/* The guest's next request: the next used entry. */
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
	EXPECT_EQ(base + 1, used->idx);
	EXPECT_EQ(base + 1, vring_base(g));
	head = post_map_unmap(g, true);
	ASSERT_EQ(0, vg_kick(&g->vg));
	ASSERT_EQ(0, wait_used(g, head, &len));
	EXPECT_EQ(4, len);
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, resp_status(g));
	EXPECT_EQ(base + 2, vring_base(g));
}

/*
 * Dirty logging.  The VMM's bitmap (vhost's layout) and the test's shadow
 * of every guest page the device may have written: each writable
 * descriptor buffer it was given, and the device ring.
 */
#define NPAGES		(RAM_SIZE / 4096)
#define LOG_WBUF	0x40000	/* the writable buffers, from here */

struct dirty {
	uint8_t *bm;		/* the log: a page of VMM memory */
	int efd;		/* its eventfd */
	bool shadow[NPAGES];
};

static void shadow_mark(struct dirty *d, uint64_t gpa, uint64_t len)
{
	uint64_t p;

	for (p = gpa / 4096; p <= (gpa + len - 1) / 4096; p++)
		d->shadow[p] = true;
}

static bool log_bit(const struct dirty *d, unsigned int pfn)
{
	return __atomic_load_n(&d->bm[pfn / 8], __ATOMIC_ACQUIRE) &
	       (1 << (pfn % 8));
}

/* Every page of the shadow is in the log, and nothing else: 0, or -1. */
static int log_matches(struct __test_metadata *_metadata,
		       const struct dirty *d)
{
	unsigned int p, missing = 0, extra = 0;

	for (p = 0; p < NPAGES; p++) {
		if (d->shadow[p] && !log_bit(d, p)) {
			TH_LOG("page %#x written, not logged", p);
			missing++;
		} else if (!d->shadow[p] && log_bit(d, p)) {
			TH_LOG("page %#x logged, never written", p);
			extra++;
		}
	}
	return missing || extra ? -1 : 0;
}

static void log_clear(struct dirty *d)
{
	unsigned int i;

	/* As a VMM syncs: fetch and clear, atomically. */
	for (i = 0; i < NPAGES / 8; i++)
		__atomic_exchange_n(&d->bm[i], 0, __ATOMIC_ACQ_REL);
	memset(d->shadow, 0, sizeof(d->shadow));
}

/*
 * Request @req (@len bytes), its writable part the @wlen bytes at @wgpa
 * (a page boundary may cut it), served; the status in *@status.  The
 * device writes all of a writable part the exact size of its answer.
 */
static int request_at(struct gvm *g, struct dirty *d, const void *req,
		      uint32_t len, uint64_t wgpa, uint32_t wlen,
		      uint8_t *status)
{
	uint16_t head = vg_next_head(&g->vg);
	struct vring_desc desc[2] = {
		{ .addr = GPA_REQ, .len = len, .flags = VRING_DESC_F_NEXT,
		  .next = (head + 1) % QNUM },
		{ .addr = wgpa, .len = wlen, .flags = VRING_DESC_F_WRITE },
	};
	uint32_t used_len = 0;
	int ret;

	memcpy(gpa(g, GPA_REQ), req, len);
	memset(gpa(g, wgpa), 0xee, wlen);
	shadow_mark(d, wgpa, wlen);
	shadow_mark(d, GPA_USED, 4 + 8 * QNUM + 2);
	post_nokick(g, desc, 2, head);
	ret = vg_kick(&g->vg);
	if (!ret)
		ret = wait_used(g, head, &used_len);
	if (ret)
		return ret;
	if (used_len != wlen)
		return -EPROTO;
	*status = ((uint8_t *)gpa(g, wgpa))[wlen - 4];
	return 0;
}

/* Attach, map, probe, unmap, detach: writable parts on pages of their own. */
static int dirty_traffic(struct gvm *g, struct dirty *d, uint64_t wbase)
{
	struct virtio_iommu_req_attach at = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = 2,
		.endpoint = VSID,
	};
	struct virtio_iommu_req_map m = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = 2,
		.phys_start = GPA_DATA, .flags = RW,
	};
	struct virtio_iommu_req_unmap um = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = 2,
		.virt_start = 0x400000, .virt_end = 0x402fff,
	};
	struct virtio_iommu_req_probe pr = {
		.head.type = VIRTIO_IOMMU_T_PROBE, .endpoint = VSID,
	};
	struct virtio_iommu_req_detach dt = {
		.head.type = VIRTIO_IOMMU_T_DETACH, .domain = 2,
		.endpoint = VSID,
	};
	uint8_t st = 0xff;
	int i, ret;

	/* The status of this one straddles two pages. */
	ret = request_at(g, d, &at, sizeof(at) - 4, wbase + 0xffe, 4, &st);
	if (ret || st)
		return ret ?: -st;
	for (i = 0; i < 3; i++) {
		m.virt_start = 0x400000 + i * 0x1000;
		m.virt_end = m.virt_start + 0xfff;
		ret = request_at(g, d, &m, sizeof(m) - 4,
				 wbase + 0x2000 + i * 0x1000 + 8 * i, 4, &st);
		if (ret || st)
			return ret ?: -st;
	}
	/* PROBE's properties and zeros, across a page boundary. */
	ret = request_at(g, d, &pr, sizeof(pr), wbase + 0x6000 - 100,
			 512 + 4, &st);
	if (ret || st)
		return ret ?: -st;
	ret = request_at(g, d, &um, sizeof(um) - 4, wbase + 0x7000, 4, &st);
	if (ret || st)
		return ret ?: -st;
	ret = request_at(g, d, &dt, sizeof(dt) - 4, wbase + 0x8ffc, 4, &st);
	return ret ?: -st;
}

static int log_start(struct gvm *g, struct dirty *d)
{
	int ret = vfioext_virtio_set_log(g->dev, d->bm, d->efd);

	if (!ret)
		ret = vfioext_virtio_log_vring(g->dev, 0, gpa(g, GPA_DESC),
					       gpa(g, GPA_AVAIL),
					       gpa(g, GPA_USED), GPA_USED, 1);
	if (!ret)
		ret = vfioext_virtio_log_all(g->dev, VG_IOMMU_FEATURES, 1);
	return ret;
}

/*
 * VHOST_F_LOG_ALL on a running device, as a VMM starting a migration
 * switches it: after mixed traffic (served inline and by the worker) every
 * page the device may have written is in the log, and no other; the log
 * eventfd fired; a cleared log fills again with the next traffic; switched
 * off, nothing is logged; a log the VMM unmapped fails the request that
 * would write (DEVICE_NEEDS_RESET), never a completion with pages missing.
 */
TEST_F_TIMEOUT(viommu, dirty_log, 120)
{
	struct virtio_iommu_req_attach at1 = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = 1,
		.endpoint = VSID,
	};
	struct gvm *g = &self->g;
	struct dirty *d = calloc(1, sizeof(*d));
	struct pollfd pfd;
	uint64_t v;
	int round, t;

	ASSERT_NE(NULL, d);
	d->bm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, d->bm);
	d->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, d->efd);
	pfd = (struct pollfd){ .fd = d->efd, .events = POLLIN };
	EXPECT_EQ(64, vfioext_virtio_log_bytes(RAM_SIZE));
	EXPECT_EQ(65, vfioext_virtio_log_bytes(RAM_SIZE + 1));

	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, set_inline_kick(round == 0));
		ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
		ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
		/* Logging starts on the running device. */
		ASSERT_EQ(0, log_start(g, d));
		log_clear(d);
		while (read(d->efd, &v, sizeof(v)) > 0)
			;
		ASSERT_EQ(0, dirty_traffic(g, d, LOG_WBUF));
		EXPECT_EQ(0, log_matches(_metadata, d));
		EXPECT_EQ(1, poll(&pfd, 1, 0));
		/* Cleared, it fills again: other pages this time. */
		log_clear(d);
		ASSERT_EQ(0, dirty_traffic(g, d, LOG_WBUF + 0x10000));
		EXPECT_EQ(0, log_matches(_metadata, d));
		/* Off: nothing is logged. */
		ASSERT_EQ(0, vfioext_virtio_log_all(g->dev, VG_IOMMU_FEATURES,
						    0));
		log_clear(d);
		ASSERT_EQ(0, dirty_traffic(g, d, LOG_WBUF + 0x20000));
		memset(d->shadow, 0, sizeof(d->shadow));
		EXPECT_EQ(0, log_matches(_metadata, d));
		/* A reset ends logging. */
		ASSERT_EQ(0, log_start(g, d));
		ASSERT_EQ(0, set_status(g, 0));
		ASSERT_EQ(0, vmm_queue(g));
		ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
		log_clear(d);
		ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
		EXPECT_EQ(0, log_matches(_metadata, d));
		ASSERT_EQ(0, set_status(g, 0));
		ASSERT_EQ(0, vmm_queue(g));
	}
	ASSERT_EQ(0, set_inline_kick(true));

	/* The VMM unmaps its log: the write fails, the guest sees no
	 * completion, the device needs a reset.
	 */
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	ASSERT_EQ(0, log_start(g, d));
	ASSERT_EQ(0, munmap(d->bm, 4096));
	vg_add_req(&g->vg, 0, &at1, sizeof(at1) - 4, 4);
	vg_publish(&g->vg);
	ASSERT_EQ(0, vg_kick(&g->vg));
	for (t = 0; t < 2000 && !(get_status(g) & VIRTIO_CONFIG_S_NEEDS_RESET);
	     t++)
		usleep(1000);
	EXPECT_NE(0, get_status(g) & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(0, ((struct vring_used *)gpa(g, GPA_USED))->idx);
	ASSERT_EQ(0, set_status(g, 0));
	close(d->efd);
	free(d);
}

static bool config_changed(struct gvm *g)
{
	uint64_t v;

	return read(g->cfg_call, &v, sizeof(v)) == sizeof(v) && v;
}

/*
 * A broken ring (a descriptor loop, an index out of range, a buffer
 * outside guest memory) moves the device to DEVICE_NEEDS_RESET with a
 * configuration-change notification; a reset recovers it.
 */
TEST_F(viommu, broken_ring_needs_reset)
{
	struct gvm *g = &self->g;
	struct vring_desc loop[2] = {
		{ .addr = GPA_REQ, .len = 8, .flags = VRING_DESC_F_NEXT,
		  .next = 1 },
		{ .addr = GPA_REQ, .len = 8, .flags = VRING_DESC_F_NEXT,
		  .next = 0 },
	};
	struct vring_desc outside = {
		.addr = RAM_SIZE + 0x1000, .len = 16,
	};
	struct vring_desc bad_next = {
		.addr = GPA_REQ, .len = 8, .flags = VRING_DESC_F_NEXT,
		.next = QNUM,
	};
	const struct vring_desc *cases[] = { loop, &outside, &bad_next };
	const unsigned int n[] = { 2, 1, 1 };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		int t;

		ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
		ASSERT_EQ(0, post_nowait(g, cases[i], n[i], 0));
		for (t = 0; t < 2000 && !(get_status(g) &
					  VIRTIO_CONFIG_S_NEEDS_RESET); t++)
			usleep(1000);
		EXPECT_EQ(ST_DOK | VIRTIO_CONFIG_S_NEEDS_RESET, get_status(g));
		EXPECT_EQ(0, ((struct vring_used *)gpa(g, GPA_USED))->idx);
		EXPECT_TRUE(config_changed(g));
		/* Writing the status back keeps NEEDS_RESET; 0 resets. */
		EXPECT_EQ(0, set_status(g, ST_DOK));
		EXPECT_EQ(ST_DOK | VIRTIO_CONFIG_S_NEEDS_RESET, get_status(g));
		ASSERT_EQ(0, set_status(g, 0));
		ASSERT_EQ(0, vmm_queue(g));
	}
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
}

/*
 * Hostile ring contents, seeded: random descriptors and driver-ring
 * entries.  Each round the device either answers or needs a reset —
 * never hangs, never pins memory it does not give back.
 */
#define ROUNDS	100

TEST_F_TIMEOUT(viommu, ring_fuzz, 300)
{
	struct gvm *g = &self->g;
	unsigned int seed = getenv("VIOMMU_FUZZ_SEED") ?
			    strtoul(getenv("VIOMMU_FUZZ_SEED"), NULL, 0) :
			    (unsigned int)time(NULL);
	long lck0 = proc_status_kb("VmLck");
	unsigned int round, i, answered = 0, broken = 0;

	TH_LOG("seed %u (VIOMMU_FUZZ_SEED=%u replays)", seed, seed);
	srandom(seed);
	for (round = 0; round < ROUNDS; round++) {
		struct vring_desc d[4];
		uint64_t v = 1;

		ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES | F_BYPASS_CFG));
		for (i = 0; i < 4; i++) {
			d[i].addr = random() % 4 ? GPA_REQ + random() % 0x2000 :
				    ((uint64_t)random() << 32) | random();
			d[i].len = random() % 4 ? random() % 80 : random();
			d[i].flags = random() & 7;
			d[i].next = random() % 4 ? (i + 1) % QNUM : random();
		}
		/* Request bytes: a valid type most of the time. */
		for (i = 0; i < 64; i++)
			((uint8_t *)gpa(g, GPA_REQ))[i] = random();
		((uint8_t *)gpa(g, GPA_REQ))[0] = 1 + random() % 6;
		for (i = 0; i < 4; i++)
			((struct vring_desc *)gpa(g, GPA_DESC))[i] = d[i];
		((struct vring_avail *)gpa(g, GPA_AVAIL))->ring[0] =
			random() % 8 ? 0 : random();
		__atomic_store_n(&((struct vring_avail *)gpa(g, GPA_AVAIL))->idx,
				 random() % 8 ? 1 : random(), __ATOMIC_RELEASE);
		ASSERT_EQ(sizeof(v), write(g->vg.kick, &v, sizeof(v)));
		/* Wait until the device answered or gave up. */
		for (i = 0; i < 200; i++) {
			if (((struct vring_used *)gpa(g, GPA_USED))->idx ||
			    get_status(g) & VIRTIO_CONFIG_S_NEEDS_RESET)
				break;
			usleep(1000);
		}
		if (get_status(g) & VIRTIO_CONFIG_S_NEEDS_RESET)
			broken++;
		else if (((struct vring_used *)gpa(g, GPA_USED))->idx)
			answered++;
		ASSERT_EQ(0, set_status(g, 0));
		ASSERT_EQ(0, vmm_queue(g));
		ASSERT_EQ(0, get_status(g));
	}
	TH_LOG("%u answered, %u needed a reset, %u ignored (idle ring)",
	       answered, broken, ROUNDS - answered - broken);
	EXPECT_LT(0, answered);
	EXPECT_LT(0, broken);
	EXPECT_EQ(lck0, proc_status_kb("VmLck"));
	ASSERT_EQ(0, guest_start(g, VG_IOMMU_FEATURES));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, attach(g, 1, VSID, 0));
}

/*
 * Teardown in both orders with guest mappings live: the pins go, the
 * modules can be unloaded afterwards (their reference counts return).
 */
TEST(teardown_orders)
{
	int order;

	for (order = 0; order < 2; order++) {
		struct gvm g;
		long lck0 = proc_status_kb("VmLck");
		int ref0 = module_refcnt("vfio_pviommu");
		int vref0 = module_refcnt("vfio_ext_virtio");
		int ret = gvm_open(&g, 0);

		if (ret == -ENODEV)
			SKIP(return, "no edu device on this machine");
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, guest_start(&g, VG_IOMMU_FEATURES));
		ASSERT_EQ(VIRTIO_IOMMU_S_OK, attach(&g, 1, VSID, 0));
		ASSERT_EQ(VIRTIO_IOMMU_S_OK,
			  map(&g, 1, 0x400000, GPA_DATA, 0x4000, RW));
		EXPECT_LT(lck0, proc_status_kb("VmLck"));
		EXPECT_LT(vref0, module_refcnt("vfio_ext_virtio"));
		if (order == 0) {	/* the device first */
			close(g.dev);
			g.dev = -1;
			/* The endpoint is back on the container's mappings. */
			EXPECT_TRUE(dma_copies(&g, GPA_DATA, GPA_DATA + 0x1000,
					       GPA_DATA, GPA_DATA + 0x1000,
					       0x21));
		} else {		/* the container first */
			munmap((void *)g.bar, g.bar_len);
			g.bar = NULL;
			vfio_close_all(&g.h);
			EXPECT_EQ(lck0, proc_status_kb("VmLck"));
			/* The device answers, but has nothing to act on. */
			EXPECT_EQ(VIRTIO_IOMMU_S_DEVERR, attach(&g, 1, VSID, 0));
		}
		gvm_close(&g);
		EXPECT_EQ(lck0, proc_status_kb("VmLck"));
		EXPECT_EQ(ref0, module_refcnt("vfio_pviommu"));
		EXPECT_EQ(vref0, module_refcnt("vfio_ext_virtio"));
	}
}

TEST_HARNESS_MAIN
