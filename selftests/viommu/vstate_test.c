// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device state of the in-kernel virtio-iommu (VFIO_EXT_VIRTIO_DEVICE_STATE):
 * save on one VMM, restore on another.
 *
 * Each VMM is a process of its own with its own pviommu container and
 * device, and maps guest RAM -- a shared memfd, as a VMM that migrates
 * keeps it -- at its own host address.  The guest driver is played by
 * the test (selftests/common/vring_guest.h); its driver state (ring
 * indices) moves with the guest, as a vCPU's state would.  edu DMA
 * through the real (emulated) VT-d proves what the restored device maps
 * and blocks.  Hostile blobs are refused with their documented errno and
 * nothing pinned or mapped (Documentation/virtio.rst, "Device state").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_iommu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "vring_guest.h"

#ifndef VHOST_VDPA_SUSPEND
#define VHOST_VDPA_SUSPEND	_IO(VHOST_VIRTIO, 0x7D)
#endif

#define RAM_SIZE	0x200000	/* guest RAM: GPA 0 .. 2 MiB */
#define QNUM		16
#define GPA_DATA	0x100000	/* guest buffers for DMA */
#define VSID		1
#define RW		(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define RD		VIRTIO_IOMMU_MAP_F_READ
#define ST_DOK		(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)
/* IOVAs of the guest's mappings, below edu's 28-bit DMA mask. */
#define IOVA_R		0x400000	/* GPA_DATA, read-only */
#define IOVA_W		0x800000	/* GPA_DATA + 0x1000, read-write */
#define IOVA_GONE	0xc00000	/* mapped, then unmapped before the save */
#define IOVA_NEW	0x1000000	/* mapped after the restore */
/* An empty state: header, three sections, config, two counts. */
#define EMPTY_STATE	(32 + 3 * 16 + 40 + 8 + 8)

/* One VMM: its container, device, and view of the guest. */
struct vmm {
	struct vfio_handles h;
	struct vring_guest vg;	/* the guest's queue; vg.ram: our mapping */
	int dev;
	volatile uint32_t *bar;
	size_t bar_len;
};

static int vx(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static void *gpa(struct vmm *m, uint64_t a)
{
	return vg_gpa(&m->vg, a);
}

static int name_endpoint(int container, uint32_t group, uint32_t vsid)
{
	struct vfio_ext_pviommu_attach at = {
		.argsz = sizeof(at), .group = group, .vsid = vsid,
	};

	return ioctl(container, VFIO_EXT_PVIOMMU_ATTACH, &at) ? -errno : 0;
}

/* The memory table: guest RAM where this VMM has it. */
static int dev_setup_table(struct vmm *m)
{
	return vg_set_mem_table(m->dev, m->vg.ram, RAM_SIZE);
}

/* Owner and memory table. */
static int dev_setup(struct vmm *m)
{
	int ret = vx(m->dev, VHOST_SET_OWNER, NULL);

	return ret ? ret : dev_setup_table(m);
}

/*
 * A VMM on edu @bdf with guest RAM from @memfd, mapped at an address of
 * its own (never @not: another VMM's); its device owned, with the memory
 * table, features not negotiated yet.
 */
static int vmm_open(struct vmm *m, const char *bdf, int memfd, void *not)
{
	void *hole = NULL;
	int ret;

	memset(m, 0, sizeof(*m));
	vfio_handles_init(&m->h);
	m->dev = -1;
	m->vg.qnum = QNUM;
	m->vg.kick = -1;
	m->vg.call = -1;
	ret = vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME);
	if (!ret)
		ret = vfio_open_all_iommu(&m->h, bdf, VFIO_EXT_PVIOMMU_IOMMU);
	if (ret)
		return ret;
	if (not) {	/* keep @not's place taken while we map */
		hole = mmap(not, RAM_SIZE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			    -1, 0);
		if (hole == MAP_FAILED)
			hole = NULL;
	}
	m->vg.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, memfd, 0);
	if (hole)
		munmap(hole, RAM_SIZE);
	if (m->vg.ram == MAP_FAILED) {
		m->vg.ram = NULL;
		return -ENOMEM;
	}
	if (m->vg.ram == not)
		return -EADDRINUSE;
	m->bar = bar0_map(m->h.device, &m->bar_len);
	if (!m->bar || edu_set_bus_master(m->h.device, true))
		return -EIO;
	/* The VMM's own mapping of guest RAM (what bypass reaches). */
	ret = dma_map(m->h.container, m->vg.ram, 0, RAM_SIZE,
		      VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (!ret)
		ret = name_endpoint(m->h.container, m->h.group_id, VSID);
	if (ret)
		return ret;
	m->vg.kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->vg.call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->dev = vg_viommu_create(m->h.container, 0);
	if (m->dev < 0)
		return m->dev;
	return dev_setup(m);
}

/* The request queue, starting at driver-ring index @base. */
static int vmm_queue(struct vmm *m, uint16_t base)
{
	struct vhost_vring_state s = { .index = 0, .num = base };
	int ret = vfioext_virtio_setup_vring(m->dev, 0, QNUM,
					     gpa(m, VG_DESC), gpa(m, VG_AVAIL),
					     gpa(m, VG_USED), m->vg.kick,
					     m->vg.call);

	return ret ? ret : vx(m->dev, VHOST_SET_VRING_BASE, &s);
}

static void vmm_close(struct vmm *m)
{
	if (m->dev >= 0)
		close(m->dev);
	m->dev = -1;
	if (m->bar)
		munmap((void *)m->bar, m->bar_len);
	m->bar = NULL;
	vfio_close_all(&m->h);
	if (m->vg.ram)
		munmap(m->vg.ram, RAM_SIZE);
	m->vg.ram = NULL;
	if (m->vg.kick >= 0)
		close(m->vg.kick);
	if (m->vg.call >= 0)
		close(m->vg.call);
	m->vg.kick = -1;
	m->vg.call = -1;
}

/* One request in slot 0, kicked and waited for; its status or -errno. */
static int request(struct vmm *m, const void *req, size_t len)
{
	uint16_t head = vg_add_req(&m->vg, 0, req, len, 4);
	uint32_t used_len = 0;
	int ret;

	vg_publish(&m->vg);
	ret = vg_kick(&m->vg);
	if (!ret)
		ret = vg_wait_used(&m->vg, head, &used_len, 5000);
	if (ret)
		return ret;
	if (used_len != 4)
		return -EPROTO;
	return vg_slot_status(&m->vg, 0);
}

static int attach(struct vmm *m, uint32_t dom, uint32_t ep)
{
	struct virtio_iommu_req_attach r = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = dom,
		.endpoint = ep,
	};

	return request(m, &r, sizeof(r) - 4);
}

static int map(struct vmm *m, uint32_t dom, uint64_t iova, uint64_t phys,
	       uint64_t size, uint32_t flags)
{
	struct virtio_iommu_req_map r = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = dom,
		.virt_start = iova, .virt_end = iova + size - 1,
		.phys_start = phys, .flags = flags,
	};

	return request(m, &r, sizeof(r) - 4);
}

static int unmap(struct vmm *m, uint32_t dom, uint64_t iova, uint64_t size)
{
	struct virtio_iommu_req_unmap r = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = dom,
		.virt_start = iova, .virt_end = iova + size - 1,
	};

	return request(m, &r, sizeof(r) - 4);
}

/*
 * edu copies 2 KiB from IOVA @src to its buffer and back to IOVA @dst;
 * true if guest memory at @dst_gpa then holds the pattern put at
 * @src_gpa.
 */
static bool dma_copies(struct vmm *m, uint64_t src, uint64_t dst,
		       uint64_t src_gpa, uint64_t dst_gpa, uint8_t pat)
{
	memset(gpa(m, src_gpa), pat, 2048);
	memset(gpa(m, dst_gpa), 0, 2048);
	if (edu_dma(m->bar, src, EDU_DMA_BUF, 2048, false) ||
	    edu_dma(m->bar, EDU_DMA_BUF, dst, 2048, true))
		return false;
	return ((uint8_t *)gpa(m, dst_gpa))[0] == pat &&
	       ((uint8_t *)gpa(m, dst_gpa))[2047] == pat;
}

static long save_state(int dev, int fd)
{
	return vfioext_virtio_save_state(dev, fd);
}

static long load_state(int dev, int fd)
{
	return vfioext_virtio_load_state(dev, fd);
}

/* What moves from VMM A to VMM B besides the device state. */
struct handoff {
	char bdf[VFIOEXT_BDF_LEN];
	void *a_ram;		/* A's address of guest RAM (B's differs) */
	uint16_t base;		/* VHOST_GET_VRING_BASE on A */
	uint16_t avail_idx;	/* the guest driver's own ring state */
	uint16_t used_seen;
	bool compare;		/* B saves again: the blob must come back */
	off_t state_off;	/* where in @state the blob is (compare) */
};

/*
 * VMM B, in a process of its own: a fresh container and device on guest
 * RAM mapped elsewhere, the state loaded from @state, the queue resumed
 * where A left it.  Returns 0, or the number of the step that failed
 * (the exit status).
 */
static int vmm_b(int memfd, int ctl, int state)
{
	struct vhost_vring_state s = { .index = 0 };
	struct handoff ho;
	struct vmm b;
	long lck0, n;
	int step = 1;

	if (read(ctl, &ho, sizeof(ho)) != sizeof(ho))
		return step;
	step++;
	lck0 = proc_status_kb("VmLck");
	if (vmm_open(&b, ho.bdf, memfd, ho.a_ram))
		goto out;
	step++;
	if (b.vg.ram == ho.a_ram)
		goto out;
	step++;		/* 4: the saved features negotiated, then the state */
	if (vfioext_virtio_negotiate(b.dev, VG_IOMMU_FEATURES))
		goto out;
	step++;
	n = load_state(b.dev, state);
	if (n <= EMPTY_STATE) {
		fprintf(stderr, "# B: load: %ld\n", n);
		goto out;
	}
	step++;		/* 6: a device with state refuses a second load */
	if (load_state(b.dev, state) != -EBUSY)
		goto out;
	step++;
	if (ho.compare) {	/* saved again, it is the same blob */
		int f = memfd_create("again", MFD_CLOEXEC);
		char *x = malloc(n), *y = malloc(n);
		bool same = f >= 0 && x && y && save_state(b.dev, f) == n &&
			    pread(f, x, n, 0) == n && pread(state, y, n, ho.state_off) == n &&
			    !memcmp(x, y, n);

		free(x);
		free(y);
		close(f);
		if (!same)
			goto out;
	}
	step++;		/* 8: the queue resumes where A left it */
	b.vg.avail_idx = ho.avail_idx;
	b.vg.used_seen = ho.used_seen;
	if (vmm_queue(&b, ho.base) || vfioext_virtio_set_status(b.dev, ST_DOK))
		goto out;
	step++;
	if (vx(b.dev, VHOST_GET_VRING_BASE, &s) || s.num != ho.base)
		goto out;
	step++;		/* 10: A's mappings, the same guest pages */
	if (!dma_copies(&b, IOVA_R, IOVA_W, GPA_DATA, GPA_DATA + 0x1000, 0xb7))
		goto out;
	step++;		/* 11: read-only stays read-only */
	memset(gpa(&b, GPA_DATA), 0x77, 2048);
	if (edu_dma(b.bar, EDU_DMA_BUF, IOVA_R, 2048, true) ||
	    ((uint8_t *)gpa(&b, GPA_DATA))[0] != 0x77)
		goto out;
	step++;		/* 12: unmapped before the save: still blocked */
	if (dma_copies(&b, IOVA_R, IOVA_GONE, GPA_DATA, GPA_DATA + 0x2000,
		       0x3c))
		goto out;
	step++;		/* 13: pinned and accounted as A had them */
	if (proc_status_kb("VmLck") != lck0 + 2048 + 8)
		goto out;
	step++;		/* 14: the guest's next request continues the ring */
	if (map(&b, 1, IOVA_NEW, GPA_DATA + 0x3000, 0x1000, RW) !=
	    VIRTIO_IOMMU_S_OK)
		goto out;
	step++;
	if (!dma_copies(&b, IOVA_R, IOVA_NEW, GPA_DATA, GPA_DATA + 0x3000,
			0x5e))
		goto out;
	step++;		/* 16: the last copy, for A to see in its mapping */
	if (!dma_copies(&b, IOVA_R, IOVA_W, GPA_DATA, GPA_DATA + 0x1000, 0xd2))
		goto out;
	step++;		/* 17: a reset gives everything back */
	if (vfioext_virtio_set_status(b.dev, 0) ||
	    proc_status_kb("VmLck") != lck0 + 2048)
		goto out;
	step = 0;
out:
	if (step)
		fprintf(stderr, "# VMM B: step %d failed\n", step);
	vmm_close(&b);
	if (!step && proc_status_kb("VmLck") != lck0)
		step = 99;
	return step;
}

/*
 * VMM A's guest: attach, map read-only and read-write pages, map and
 * unmap another, and prove them with DMA.
 */
static int guest_traffic(struct vmm *a)
{
	if (vfioext_virtio_negotiate(a->dev, VG_IOMMU_FEATURES) ||
	    vmm_queue(a, 0) || vfioext_virtio_set_status(a->dev, ST_DOK))
		return -1;
	if (attach(a, 1, VSID) || map(a, 1, IOVA_R, GPA_DATA, 0x1000, RD) ||
	    map(a, 1, IOVA_W, GPA_DATA + 0x1000, 0x1000, RW) ||
	    map(a, 1, IOVA_GONE, GPA_DATA + 0x2000, 0x1000, RW) ||
	    unmap(a, 1, IOVA_GONE, 0x1000))
		return -2;
	if (!dma_copies(a, IOVA_R, IOVA_W, GPA_DATA, GPA_DATA + 0x1000, 0xa5))
		return -3;
	return 0;
}

FIXTURE(vstate) {
	char bdf[VFIOEXT_BDF_LEN];
	int memfd;
	uint8_t *ram;		/* the test's own view of guest RAM */
	long lck0;
};

FIXTURE_SETUP(vstate)
{
	if (edu_find(EDU_ALONE, self->bdf))
		SKIP(_exit(255), "no edu device on this machine");
	self->memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, RAM_SIZE));
	self->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	self->lck0 = proc_status_kb("VmLck");
}

FIXTURE_TEARDOWN(vstate)
{
	munmap(self->ram, RAM_SIZE);
	close(self->memfd);
}

/*
 * Fork VMM B on @state (closing @other there: the write end of a state
 * pipe); it waits for the handoff on the returned pipe.
 */
static pid_t fork_b(int memfd, int state, int other, int *ctl)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (other >= 0)
			close(other);
		_exit(vmm_b(memfd, p[0], state));
	}
	close(p[0]);
	*ctl = p[1];
	return pid;
}

/*
 * A (this process) suspends its running device and saves its state into
 * a pipe; B, another process, restores it into a fresh container and
 * device on guest RAM at another address, and resumes the guest's queue.
 */
TEST_F_TIMEOUT(vstate, restore_in_another_process, 180)
{
	struct vhost_vring_state s = { .index = 0 };
	struct handoff ho = {};
	int pipefd[2], ctl, st;
	struct vmm a;
	pid_t pid;
	long n;

	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	/* B exists before A opens anything: it inherits none of A's fds. */
	pid = fork_b(self->memfd, pipefd[0], pipefd[1], &ctl);
	ASSERT_LT(0, pid);
	close(pipefd[0]);

	ASSERT_EQ(0, vmm_open(&a, self->bdf, self->memfd, NULL));
	ASSERT_EQ(0, guest_traffic(&a));
	/* Running: no state to save yet. */
	EXPECT_EQ(-EBUSY, save_state(a.dev, pipefd[1]));
	ASSERT_EQ(0, vx(a.dev, VHOST_VDPA_SUSPEND, NULL));
	ASSERT_EQ(0, vx(a.dev, VHOST_GET_VRING_BASE, &s));
	EXPECT_EQ(a.vg.avail_idx, s.num);
	n = save_state(a.dev, pipefd[1]);
	/* One domain (16), two mappings (32 each), one endpoint (8). */
	EXPECT_EQ(EMPTY_STATE + 16 + 2 * 32 + 8, n);
	close(pipefd[1]);

	/* A goes (its device, container, pins); the guest stays. */
	snprintf(ho.bdf, sizeof(ho.bdf), "%s", self->bdf);
	ho.a_ram = a.vg.ram;
	ho.base = s.num;
	ho.avail_idx = a.vg.avail_idx;
	ho.used_seen = a.vg.used_seen;
	vmm_close(&a);
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));
	ASSERT_EQ(sizeof(ho), write(ctl, &ho, sizeof(ho)));
	close(ctl);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	/* B's last DMA landed in the very pages this process maps. */
	EXPECT_EQ(0xd2, self->ram[GPA_DATA + 0x1000]);
	EXPECT_EQ(0xd2, self->ram[GPA_DATA + 0x1000 + 2047]);
}

/*
 * Snapshot: the VM stopped, its device state saved to a file and
 * everything torn down; restored later, from the file, by a new VMM (and
 * saved again there: the same bytes).
 */
TEST_F_TIMEOUT(vstate, snapshot_to_file_restore_later, 180)
{
	struct vhost_vring_state s = { .index = 0 };
	struct handoff ho = { .compare = true, .state_off = 8 };
	int file, ctl, st;
	struct vmm a;
	pid_t pid;
	long n;

	file = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	ASSERT_LE(0, file);
	ASSERT_EQ(0, vmm_open(&a, self->bdf, self->memfd, NULL));
	ASSERT_EQ(0, guest_traffic(&a));
	ASSERT_EQ(0, vx(a.dev, VHOST_VDPA_SUSPEND, NULL));
	ASSERT_EQ(0, vx(a.dev, VHOST_GET_VRING_BASE, &s));
	/* Written at the file's position: after a header of the VMM's. */
	ASSERT_EQ(8, write(file, "vmstate\n", 8));
	n = save_state(a.dev, file);
	ASSERT_LT(EMPTY_STATE, n);
	EXPECT_EQ(8 + n, lseek(file, 0, SEEK_CUR));
	snprintf(ho.bdf, sizeof(ho.bdf), "%s", self->bdf);
	ho.a_ram = a.vg.ram;
	ho.base = s.num;
	ho.avail_idx = a.vg.avail_idx;
	ho.used_seen = a.vg.used_seen;
	vmm_close(&a);
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));

	/* Later: a new VMM, reading from where the state starts. */
	ASSERT_EQ(8, lseek(file, 8, SEEK_SET));
	pid = fork_b(self->memfd, file, -1, &ctl);
	ASSERT_LT(0, pid);
	ASSERT_EQ(sizeof(ho), write(ctl, &ho, sizeof(ho)));
	close(ctl);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0xd2, self->ram[GPA_DATA + 0x1000]);
	close(file);
}

/*
 * The endpoint's group leaves the container while in domain 1 (a
 * hot-unplug the guest never detached): the device keeps the domain with
 * its mappings and no endpoint.  A state saved then loads into a fresh
 * device, saves back the same bytes, and the endpoint plugged in and
 * attached again reaches the same pages.
 */
TEST_F_TIMEOUT(vstate, group_left_domain, 180)
{
	struct vhost_vring_state s = { .index = 0 };
	char bdf2[VFIOEXT_BDF_LEN], path[32];
	uint16_t avail_idx, used_seen;
	int f, g, group2;
	struct vmm a, b;
	char *x, *y;
	long n;

	if (edu_find_other(EDU_ALONE, self->bdf, bdf2))
		SKIP(return, "no second edu device on this machine");
	ASSERT_EQ(0, vfioext_pci_bind(bdf2, VFIO_EXT_PCI_DRIVER_NAME));
	f = memfd_create("state", MFD_CLOEXEC);
	g = memfd_create("again", MFD_CLOEXEC);
	ASSERT_LE(0, f);
	ASSERT_LE(0, g);
	ASSERT_EQ(0, vmm_open(&a, self->bdf, self->memfd, NULL));
	ASSERT_EQ(0, guest_traffic(&a));
	ASSERT_EQ(0, vx(a.dev, VHOST_VDPA_SUSPEND, NULL));
	ASSERT_EQ(0, vx(a.dev, VHOST_GET_VRING_BASE, &s));
	avail_idx = a.vg.avail_idx;
	used_seen = a.vg.used_seen;
	/* Another device in the container (the last group's leaving ends it). */
	snprintf(path, sizeof(path), "/dev/vfio/%d",
		 vfioext_pci_iommu_group(bdf2));
	group2 = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, group2);
	ASSERT_EQ(0, ioctl(group2, VFIO_GROUP_SET_CONTAINER, &a.h.container));
	/* Unplugged: the device fd goes, the group leaves the container. */
	munmap((void *)a.bar, a.bar_len);
	a.bar = NULL;
	close(a.h.device);
	a.h.device = -1;
	ASSERT_EQ(0, ioctl(a.h.group, VFIO_GROUP_UNSET_CONTAINER));
	n = save_state(a.dev, f);
	/* Domain 1 with its two mappings, no endpoint. */
	ASSERT_EQ(EMPTY_STATE + 16 + 2 * 32, n);
	close(group2);
	vmm_close(&a);
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));

	ASSERT_EQ(0, vmm_open(&b, self->bdf, self->memfd, NULL));
	ASSERT_EQ(0, vfioext_virtio_negotiate(b.dev, VG_IOMMU_FEATURES));
	ASSERT_EQ(0, lseek(f, 0, SEEK_SET));
	EXPECT_EQ(n, load_state(b.dev, f));
	/* Guest RAM in the container (bypass), and the guest's two pages. */
	EXPECT_EQ(self->lck0 + 2048 + 8, proc_status_kb("VmLck"));
	EXPECT_EQ(n, save_state(b.dev, g));
	x = malloc(n);
	y = malloc(n);
	ASSERT_TRUE(x && y);
	EXPECT_EQ(n, pread(f, x, n, 0));
	EXPECT_EQ(n, pread(g, y, n, 0));
	EXPECT_EQ(0, memcmp(x, y, n));
	free(x);
	free(y);
	/* Plugged in again: the guest attaches it to domain 1. */
	b.vg.avail_idx = avail_idx;
	b.vg.used_seen = used_seen;
	ASSERT_EQ(0, vmm_queue(&b, s.num));
	ASSERT_EQ(0, vfioext_virtio_set_status(b.dev, ST_DOK));
	EXPECT_EQ(VIRTIO_IOMMU_S_OK, attach(&b, 1, VSID));
	EXPECT_TRUE(dma_copies(&b, IOVA_R, IOVA_W, GPA_DATA, GPA_DATA + 0x1000,
			       0x6b));
	EXPECT_FALSE(dma_copies(&b, IOVA_R, IOVA_GONE, GPA_DATA,
				GPA_DATA + 0x2000, 0x3c));
	vmm_close(&b);
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));
	close(f);
	close(g);
}

/* ------------------------------------------------------------------ */
/* Live migration: A logs, suspends and saves; B restores and goes on   */
/* ------------------------------------------------------------------ */

#define LOG_BYTES	(RAM_SIZE / 4096 / 8)	/* a bit per 4 KiB page */
#define PFN(gpa)	((gpa) / 4096)

/* Dirty logging on A's running device: vhost's bitmap and eventfd. */
static int log_start(struct vmm *a, uint8_t *log, int efd)
{
	struct vhost_vring_addr addr = {
		.index = 0, .flags = 1 << VHOST_VRING_F_LOG,
		.desc_user_addr = (uintptr_t)gpa(a, VG_DESC),
		.avail_user_addr = (uintptr_t)gpa(a, VG_AVAIL),
		.used_user_addr = (uintptr_t)gpa(a, VG_USED),
		.log_guest_addr = VG_USED,
	};
	uint64_t base = (uintptr_t)log;
	uint64_t f = VG_IOMMU_FEATURES | (1ULL << VHOST_F_LOG_ALL);
	int ret = vx(a->dev, VHOST_SET_LOG_BASE, &base);

	if (!ret)
		ret = vx(a->dev, VHOST_SET_LOG_FD, &efd);
	if (!ret)
		ret = vx(a->dev, VHOST_SET_VRING_ADDR, &addr);
	return ret ? ret : vx(a->dev, VHOST_SET_FEATURES, &f);
}

/* A dirty round: take the log's bits (atomically, as the VMM does). */
static void log_fetch(uint8_t *log, uint8_t *sent)
{
	unsigned int i;

	for (i = 0; i < LOG_BYTES; i++)
		sent[i] |= __atomic_exchange_n(&log[i], 0, __ATOMIC_ACQ_REL);
}

static bool logged(const uint8_t *bits, uint64_t gpa)
{
	return bits[PFN(gpa) / 8] & (1u << (PFN(gpa) % 8));
}

/*
 * The guest's traffic of one dirty round: a map, a DMA through it, an
 * unmap.  The device writes the status (VG_RESP's page) and the device
 * ring (VG_USED's).
 */
static int round_traffic(struct vmm *a, unsigned int r)
{
	uint64_t iova = 0x2000000 + r * 0x10000;

	if (map(a, 1, iova, GPA_DATA + 0x4000, 0x1000, RW) ||
	    !dma_copies(a, IOVA_R, iova, GPA_DATA, GPA_DATA + 0x4000, 0x60 + r))
		return -1;
	return unmap(a, 1, iova, 0x1000) ? -1 : 0;
}

/*
 * VMM A serves the guest with dirty logging on through a few rounds, then
 * stops: suspend, the last round of the log, the ring position, the device
 * state into a pipe; VMM B (another process, another edu: the destination
 * host's device) restores and continues.  Every page the device wrote is
 * in A's log.  @a_first: A is torn down before B, else after.
 */
static void live_migration(struct __test_metadata *_metadata,
			   FIXTURE_DATA(vstate) *self, bool a_first)
{
	struct vhost_vring_state s = { .index = 0 };
	uint8_t *log, sent[LOG_BYTES] = {};
	struct handoff ho = {};
	int pipefd[2], ctl, st, efd;
	unsigned int r;
	struct vmm a;
	pid_t pid;
	uint64_t v;

	if (edu_find_other(EDU_ALONE, self->bdf, ho.bdf))
		SKIP(return, "no second edu alone in its IOMMU group");
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork_b(self->memfd, pipefd[0], pipefd[1], &ctl);
	ASSERT_LT(0, pid);
	close(pipefd[0]);
	log = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, log);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);

	ASSERT_EQ(0, vmm_open(&a, self->bdf, self->memfd, NULL));
	ASSERT_EQ(0, guest_traffic(&a));
	ASSERT_EQ(0, log_start(&a, log, efd));
	for (r = 0; r < 3; r++) {
		ASSERT_EQ(0, round_traffic(&a, r));
		memset(sent, 0, sizeof(sent));
		log_fetch(log, sent);
		/* The status and the device ring of this round's requests. */
		EXPECT_TRUE(logged(sent, VG_RESP)) TH_LOG("round %u", r);
		EXPECT_TRUE(logged(sent, VG_USED)) TH_LOG("round %u", r);
		EXPECT_EQ(0, read(efd, &v, sizeof(v)) == sizeof(v) ? 0 : -1);
	}
	/* The last requests before the stop: served, logged. */
	memset(sent, 0, sizeof(sent));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, map(&a, 1, IOVA_NEW - 0x100000,
					 GPA_DATA + 0x5000, 0x1000, RW));
	ASSERT_EQ(VIRTIO_IOMMU_S_OK, unmap(&a, 1, IOVA_NEW - 0x100000,
					   0x1000));
	ASSERT_EQ(0, vx(a.dev, VHOST_VDPA_SUSPEND, NULL));
	log_fetch(log, sent);
	EXPECT_TRUE(logged(sent, VG_RESP));
	EXPECT_TRUE(logged(sent, VG_USED));
	/* Only what the device wrote: no page of the guest's own. */
	EXPECT_FALSE(logged(sent, VG_REQ));
	EXPECT_FALSE(logged(sent, GPA_DATA));
	ASSERT_EQ(0, vx(a.dev, VHOST_GET_VRING_BASE, &s));
	EXPECT_LT(EMPTY_STATE, save_state(a.dev, pipefd[1]));
	close(pipefd[1]);
	/* Stopped (and saved): nothing more is logged. */
	memset(sent, 0, sizeof(sent));
	log_fetch(log, sent);
	for (r = 0; r < LOG_BYTES; r++)
		EXPECT_EQ(0, sent[r]) TH_LOG("byte %u after the stop", r);

	ho.a_ram = a.vg.ram;
	ho.base = s.num;
	ho.avail_idx = a.vg.avail_idx;
	ho.used_seen = a.vg.used_seen;
	if (a_first) {
		vmm_close(&a);
		EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));
	}
	ASSERT_EQ(sizeof(ho), write(ctl, &ho, sizeof(ho)));
	close(ctl);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0xd2, self->ram[GPA_DATA + 0x1000]);
	if (!a_first) {
		/* A still holds its mappings, its device stays suspended. */
		EXPECT_LT(self->lck0, proc_status_kb("VmLck"));
		vmm_close(&a);
	}
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));
	close(efd);
	munmap(log, 4096);
}

TEST_F_TIMEOUT(vstate, live_migration_source_first, 180)
{
	live_migration(_metadata, self, true);
}

TEST_F_TIMEOUT(vstate, live_migration_destination_first, 180)
{
	live_migration(_metadata, self, false);
}

/* ------------------------------------------------------------------ */
/* Hostile blobs                                                       */
/* ------------------------------------------------------------------ */

#define BLOB_MAX	16384

/* A state to encode, and how to spoil the encoding. */
struct bmap {
	uint64_t iova, last, gpa;
	uint32_t flags;
};

struct bdom {
	uint32_t id, flags;
	unsigned int nr;
	uint64_t nr_field;	/* nonzero: the count written instead of nr */
	struct bmap m[3];
	unsigned int gen;	/* nonzero: that many generated pages instead */
};

struct bep {
	uint32_t ep, dom;
};

struct bdesc {
	uint32_t magic, device_id, hdr_size;
	uint16_t major, minor;
	uint64_t total_set;	/* nonzero: the header's total size */
	int64_t total_adj;	/* added to the header's total size */
	size_t cut;		/* bytes left out at the end */
	struct vfio_ext_viommu_state_config cfg;
	uint32_t cfg_pad;	/* added to the config section's size */
	bool cfg_twice, no_eps;
	unsigned int nr_doms;
	uint32_t nr_doms_field;	/* nonzero: written instead of nr_doms */
	uint16_t dom_size, map_size;
	struct bdom d[3];
	unsigned int nr_eps;
	uint32_t ep_size;
	struct bep e[3];
	uint32_t extra_type, extra_flags;	/* a last section, if type */
};

static void put(uint8_t *buf, size_t *off, const void *p, size_t len,
		size_t rec)
{
	memcpy(buf + *off, p, len);
	*off += rec > len ? rec : len;	/* a longer record: zeros */
}

/* A section at *@off: its header now, its size once the body is there. */
static size_t sec_begin(uint8_t *buf, size_t *off, uint32_t type,
			uint32_t flags)
{
	struct vfio_ext_state_sec h = { .type = type, .flags = flags };
	size_t at = *off;

	put(buf, off, &h, sizeof(h), 0);
	return at;
}

static void sec_end(uint8_t *buf, size_t at, size_t off, uint32_t pad)
{
	struct vfio_ext_state_sec *h = (void *)(buf + at);

	h->size = off - at - sizeof(*h) + pad;
}

static size_t build(const struct bdesc *d, uint8_t *buf)
{
	struct vfio_ext_state_hdr *h = (void *)buf;
	size_t off = d->hdr_size, at;
	unsigned int i, j, k;

	memset(buf, 0, BLOB_MAX);
	for (k = 0; k < 1 + d->cfg_twice; k++) {
		at = sec_begin(buf, &off, VFIO_EXT_VIOMMU_SEC_CONFIG,
			       VFIO_EXT_STATE_SEC_F_MANDATORY);
		put(buf, &off, &d->cfg, sizeof(d->cfg), 0);
		sec_end(buf, at, off, d->cfg_pad);
	}
	at = sec_begin(buf, &off, VFIO_EXT_VIOMMU_SEC_DOMAINS,
		       VFIO_EXT_STATE_SEC_F_MANDATORY);
	{
		struct vfio_ext_viommu_state_domains dh = {
			.nr_domains = d->nr_doms_field ?: d->nr_doms,
			.domain_size = d->dom_size, .map_size = d->map_size,
		};

		put(buf, &off, &dh, sizeof(dh), 0);
	}
	for (i = 0; i < d->nr_doms; i++) {
		struct vfio_ext_viommu_state_domain dr = {
			.id = d->d[i].id, .flags = d->d[i].flags,
			.nr_maps = d->d[i].nr_field ?: d->d[i].gen ?: d->d[i].nr,
		};

		put(buf, &off, &dr, sizeof(dr), d->dom_size);
		for (j = 0; j < d->d[i].gen; j++) {
			/* Every other 4 KiB IOVA page, onto guest RAM's pages. */
			uint64_t iova = 0x2000000 + j * 0x2000ULL;
			struct vfio_ext_viommu_state_map mr = {
				.iova_start = iova, .iova_last = iova + 0xfff,
				.gpa = j * 0x1000ULL % RAM_SIZE, .flags = RW,
			};

			put(buf, &off, &mr, sizeof(mr), d->map_size);
		}
		for (j = 0; j < d->d[i].nr && !d->d[i].gen; j++) {
			struct vfio_ext_viommu_state_map mr = {
				.iova_start = d->d[i].m[j].iova,
				.iova_last = d->d[i].m[j].last,
				.gpa = d->d[i].m[j].gpa,
				.flags = d->d[i].m[j].flags,
			};

			put(buf, &off, &mr, sizeof(mr), d->map_size);
		}
	}
	off = (off + 7) & ~7UL;
	sec_end(buf, at, off, 0);
	if (!d->no_eps) {
		struct vfio_ext_viommu_state_endpoints eh = {
			.nr_endpoints = d->nr_eps, .endpoint_size = d->ep_size,
		};

		at = sec_begin(buf, &off, VFIO_EXT_VIOMMU_SEC_ENDPOINTS,
			       VFIO_EXT_STATE_SEC_F_MANDATORY);
		put(buf, &off, &eh, sizeof(eh), 0);
		for (i = 0; i < d->nr_eps; i++) {
			struct vfio_ext_viommu_state_endpoint er = {
				.endpoint = d->e[i].ep, .domain = d->e[i].dom,
			};

			put(buf, &off, &er, sizeof(er), d->ep_size);
		}
		off = (off + 7) & ~7UL;
		sec_end(buf, at, off, 0);
	}
	if (d->extra_type) {
		at = sec_begin(buf, &off, d->extra_type, d->extra_flags);
		put(buf, &off, "optional", 8, 0);
		sec_end(buf, at, off, 0);
	}
	h->magic = d->magic;
	h->major = d->major;
	h->minor = d->minor;
	h->hdr_size = d->hdr_size;
	h->device_id = d->device_id;
	h->total_size = d->total_set ?: off + d->total_adj;
	return d->cut >= off ? 16 : off - d->cut;	/* SIZE_MAX: 16 */
}

/* The state a guest of this device could have: domain 1, two pages. */
static void valid(struct bdesc *d, const struct virtio_iommu_config *cfg)
{
	memset(d, 0, sizeof(*d));
	d->magic = VFIO_EXT_STATE_MAGIC;
	d->device_id = VIRTIO_ID_IOMMU;
	d->hdr_size = sizeof(struct vfio_ext_state_hdr);
	d->major = VFIO_EXT_STATE_MAJOR;
	d->minor = VFIO_EXT_STATE_MINOR;
	d->cfg.features = VG_IOMMU_FEATURES;
	d->cfg.input_start = cfg->input_range.start;
	d->cfg.input_end = cfg->input_range.end;
	d->cfg.domain_start = cfg->domain_range.start;
	d->cfg.domain_end = cfg->domain_range.end;
	d->cfg.probe_size = cfg->probe_size;
	d->nr_doms = 1;
	d->dom_size = sizeof(struct vfio_ext_viommu_state_domain);
	d->map_size = sizeof(struct vfio_ext_viommu_state_map);
	d->d[0] = (struct bdom){
		.id = 1, .nr = 2,
		.m = {
			{ IOVA_R, IOVA_R + 0xfff, GPA_DATA, RD },
			{ IOVA_W, IOVA_W + 0xfff, GPA_DATA + 0x1000, RW },
		},
	};
	d->nr_eps = 1;
	d->ep_size = sizeof(struct vfio_ext_viommu_state_endpoint);
	d->e[0] = (struct bep){ VSID, 1 };
}

/* A second domain, 2, empty; @ep attached to it if nonzero. */
static void add_dom2(struct bdesc *d, uint32_t ep)
{
	d->d[d->nr_doms++] = (struct bdom){ .id = 2 };
	if (ep)
		d->e[d->nr_eps++] = (struct bep){ ep, 2 };
}

static void h_trunc(struct bdesc *d)
{
	d->cut = 8;
}

static void h_hdr_only(struct bdesc *d)
{
	d->cut = SIZE_MAX;
}

static void h_magic(struct bdesc *d)
{
	d->magic ^= 1;
}

static void h_device(struct bdesc *d)
{
	d->device_id = VIRTIO_ID_NET;
}

static void h_major(struct bdesc *d)
{
	d->major = 2;
}

static void h_minor_opt(struct bdesc *d)
{
	d->minor = 9;
	d->extra_type = 77;
}

static void h_minor_hdr(struct bdesc *d)
{
	d->minor = 9;
	d->hdr_size = 48;
}

static void h_minor_rec(struct bdesc *d)
{
	d->minor = 9;
	d->dom_size = 24;
	d->map_size = 40;
	d->ep_size = 12;
}

static void h_mandatory(struct bdesc *d)
{
	d->extra_type = 77;
	d->extra_flags = VFIO_EXT_STATE_SEC_F_MANDATORY;
}

static void h_hdr_small(struct bdesc *d)
{
	d->hdr_size = 24;
}

static void h_huge(struct bdesc *d)
{
	d->total_set = 1ULL << 40;
}

static void h_tiny(struct bdesc *d)
{
	d->total_set = 16;
}

static void h_short(struct bdesc *d)
{
	d->total_adj = -8;
}

static void h_sec_odd(struct bdesc *d)
{
	d->cfg_pad = 4;
}

static void h_cfg_twice(struct bdesc *d)
{
	d->cfg_twice = true;
}

static void h_no_eps(struct bdesc *d)
{
	d->no_eps = true;
}

static void h_nr_maps(struct bdesc *d)
{
	d->d[0].nr_field = 1ULL << 60;
}

static void h_nr_doms(struct bdesc *d)
{
	d->nr_doms_field = 1000000;
}

static void h_map_small(struct bdesc *d)
{
	d->map_size = 24;
}

static void h_ep_small(struct bdesc *d)
{
	d->ep_size = 4;
}

static void h_dom_twice(struct bdesc *d)
{
	add_dom2(d, 0);
	d->d[1].id = 1;
}

static void h_overlap(struct bdesc *d)
{
	d->d[0].m[1].iova = d->d[0].m[0].last - 0xfff;
	d->d[0].m[1].last = d->d[0].m[1].iova + 0xfff;
}

static void h_unordered(struct bdesc *d)
{
	struct bmap t = d->d[0].m[0];

	d->d[0].m[0] = d->d[0].m[1];
	d->d[0].m[1] = t;
}

static void h_ep_twice(struct bdesc *d)
{
	add_dom2(d, VSID);
}

static void h_ep_nodom(struct bdesc *d)
{
	d->e[0].dom = 5;
}

static void h_dom_noep(struct bdesc *d)
{
	add_dom2(d, 0);
}

static void h_bypass_nofeat(struct bdesc *d)
{
	d->d[0].flags = VFIO_EXT_VIOMMU_STATE_DOM_BYPASS;
	d->d[0].nr = 0;
}

static void h_bypass_maps(struct bdesc *d)
{
	d->d[0].flags = VFIO_EXT_VIOMMU_STATE_DOM_BYPASS;
}

static void h_dom_flag(struct bdesc *d)
{
	d->d[0].flags = 2;
}

static void h_no_perm(struct bdesc *d)
{
	d->d[0].m[1].flags = 0;
}

static void h_mmio_perm(struct bdesc *d)
{
	d->d[0].m[1].flags |= VIRTIO_IOMMU_MAP_F_MMIO;
}

static void h_misaligned(struct bdesc *d)
{
	d->d[0].m[1].iova += 0x800;
	d->d[0].m[1].last += 0x800;
}

static void h_backwards(struct bdesc *d)
{
	d->d[0].m[1].last = d->d[0].m[1].iova - 1;
}

static void h_whole(struct bdesc *d)
{
	d->d[0].m[1].iova = 0;
	d->d[0].m[1].last = UINT64_MAX;
	d->nr_doms = 1;
	d->d[0].m[0] = d->d[0].m[1];
	d->d[0].nr = 1;
}

static void h_gpa_wraps(struct bdesc *d)
{
	d->d[0].m[1].gpa = UINT64_MAX - 0x7ff;
}

static void h_msi(struct bdesc *d)
{
	d->d[0].m[1].iova = 0xfee00000;
	d->d[0].m[1].last = 0xfee00fff;
}

/* Not for an IOMMU whose input range ends at 2^64 - 1 (AMD-Vi's). */
static bool h_above_applies(const struct bdesc *d)
{
	return d->cfg.input_end != UINT64_MAX;
}

static void h_above(struct bdesc *d)
{
	d->d[0].m[1].iova = d->cfg.input_end + 1 - 0x1000;
	d->d[0].m[1].last = d->cfg.input_end + 0x1000;
}

static void h_dom0(struct bdesc *d)
{
	d->d[0].id = 0;
	d->e[0].dom = 0;
}

static void h_dom1024(struct bdesc *d)
{
	d->d[0].id = 1024;
	d->e[0].dom = 1024;
}

static void h_wider(struct bdesc *d)
{
	d->cfg.domain_end++;
}

static void h_gpa_out(struct bdesc *d)
{
	d->d[0].m[1].gpa = RAM_SIZE;
}

static void h_gpa_leaves(struct bdesc *d)
{
	d->d[0].m[1].gpa = RAM_SIZE - 0x1000;
	d->d[0].m[1].last += 0x1000;
}

static void h_no_ep(struct bdesc *d)
{
	d->e[0].ep = 99;
}

static void h_features(struct bdesc *d)
{
	d->cfg.features &= ~(1ULL << VIRTIO_IOMMU_F_PROBE);
}

static void h_probe(struct bdesc *d)
{
	d->cfg.probe_size = 1024;
}

static const struct hostile {
	const char *what;
	void (*spoil)(struct bdesc *d);
	int err;	/* 0: loads */
} hostile[] = {
	{ "truncated by 8 bytes", h_trunc, ENODATA },
	{ "a header and no more", h_hdr_only, ENODATA },
	{ "bad magic", h_magic, EINVAL },
	{ "another device type", h_device, EINVAL },
	{ "major version 2", h_major, EPROTONOSUPPORT },
	{ "newer minor: an optional section", h_minor_opt, 0 },
	{ "newer minor: a longer header", h_minor_hdr, 0 },
	{ "newer minor: longer records", h_minor_rec, 0 },
	{ "an unknown mandatory section", h_mandatory, EOPNOTSUPP },
	{ "header size 24", h_hdr_small, EBADMSG },
	{ "total size 1 TiB", h_huge, EFBIG },
	{ "total size below the header", h_tiny, EBADMSG },
	{ "total size cuts the last section", h_short, ENODATA },
	{ "a section size not a multiple of 8", h_sec_odd, EBADMSG },
	{ "config twice", h_cfg_twice, EBADMSG },
	{ "no endpoints section", h_no_eps, EBADMSG },
	{ "2^60 mappings", h_nr_maps, EBADMSG },
	{ "a million domains", h_nr_doms, EBADMSG },
	{ "mapping records of 24 bytes", h_map_small, EBADMSG },
	{ "endpoint records of 4 bytes", h_ep_small, EBADMSG },
	{ "domain 1 twice", h_dom_twice, EEXIST },
	{ "overlapping mappings", h_overlap, EEXIST },
	{ "mappings out of order", h_unordered, EEXIST },
	{ "an endpoint in two domains", h_ep_twice, EEXIST },
	{ "an endpoint of a domain not in the blob", h_ep_nodom, EBADMSG },
	{ "a domain without endpoints (its group left)", h_dom_noep, 0 },
	{ "a bypass domain without BYPASS_CONFIG", h_bypass_nofeat, EPROTO },
	{ "a bypass domain with mappings", h_bypass_maps, EINVAL },
	{ "an unknown domain flag", h_dom_flag, EINVAL },
	{ "a mapping without permissions", h_no_perm, EINVAL },
	{ "a mapping with MMIO", h_mmio_perm, EINVAL },
	{ "a misaligned mapping", h_misaligned, EINVAL },
	{ "a mapping that ends before it starts", h_backwards, EINVAL },
	{ "a mapping of all 2^64 IOVAs", h_whole, EINVAL },
	{ "a guest-physical range that wraps", h_gpa_wraps, EINVAL },
	{ "an IOVA in the MSI window", h_msi, ERANGE },
	{ "an IOVA past the input range", h_above, ERANGE },
	{ "domain 0", h_dom0, ERANGE },
	{ "domain 1024", h_dom1024, ERANGE },
	{ "a domain range wider than the device's", h_wider, ERANGE },
	{ "a GPA outside the memory table", h_gpa_out, EFAULT },
	{ "a GPA range leaving the memory table", h_gpa_leaves, EFAULT },
	{ "an endpoint the container does not have", h_no_ep, ENOENT },
	{ "other features", h_features, EPROTO },
	{ "another probe size", h_probe, EPROTO },
};

FIXTURE(blob) {
	struct vmm b;
	struct virtio_iommu_config cfg;
	long lck0;
	uint8_t buf[BLOB_MAX];
};

FIXTURE_SETUP(blob)
{
	char bdf[VFIOEXT_BDF_LEN];
	int memfd;

	self->b.dev = -1;
	if (edu_find(EDU_ALONE, bdf))
		SKIP(_exit(255), "no edu device on this machine");
	memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, RAM_SIZE));
	ASSERT_EQ(0, vmm_open(&self->b, bdf, memfd, NULL));
	close(memfd);
	ASSERT_EQ(0, vfioext_virtio_negotiate(self->b.dev, VG_IOMMU_FEATURES));
	ASSERT_EQ(0, vfioext_virtio_config(self->b.dev, 0, &self->cfg,
					   sizeof(self->cfg), 0));
	self->lck0 = proc_status_kb("VmLck");
}

FIXTURE_TEARDOWN(blob)
{
	vmm_close(&self->b);
}

/* LOAD @len bytes of @buf through a pipe: bytes read or -errno. */
static long load_bytes(int dev, const void *buf, size_t len)
{
	int p[2];
	long ret;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	if (write(p[1], buf, len) != (ssize_t)len) {
		ret = -EIO;
	} else {
		close(p[1]);
		p[1] = -1;
		ret = load_state(dev, p[0]);
	}
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return ret;
}

/* Bytes the device's state takes now (EMPTY_STATE: none), or -errno. */
static long state_size(int dev)
{
	int f = memfd_create("state", MFD_CLOEXEC);
	long n = save_state(dev, f);

	close(f);
	return n;
}

/*
 * Every hostile blob is refused with its errno, and leaves nothing
 * pinned or mapped; the valid one, and a newer minor's compatible
 * additions, load.
 */
TEST_F(blob, hostile_table)
{
	struct vmm *b = &self->b;
	struct bdesc d;
	unsigned int i;
	size_t len;
	long ret;

	valid(&d, &self->cfg);
	len = build(&d, self->buf);
	ASSERT_EQ((long)len, load_bytes(b->dev, self->buf, len));
	EXPECT_EQ(self->lck0 + 8, proc_status_kb("VmLck"));
	/* State there: a second load is refused, untouched. */
	EXPECT_EQ(-EBUSY, load_bytes(b->dev, self->buf, len));
	EXPECT_EQ((long)len, state_size(b->dev));
	ASSERT_EQ(0, vfioext_virtio_set_status(b->dev, 0));
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));

	for (i = 0; i < ARRAY_SIZE(hostile); i++) {
		const struct hostile *h = &hostile[i];

		valid(&d, &self->cfg);
		if (h->spoil == h_above && !h_above_applies(&d)) {
			TH_LOG("%s: not on this IOMMU (input range %#llx-%#llx)",
			       h->what, (unsigned long long)d.cfg.input_start,
			       (unsigned long long)d.cfg.input_end);
			continue;
		}
		ASSERT_EQ(0, vfioext_virtio_negotiate(b->dev,
						      VG_IOMMU_FEATURES));
		h->spoil(&d);
		len = build(&d, self->buf);
		ret = load_bytes(b->dev, self->buf, len);
		if (h->err) {
			EXPECT_EQ(-h->err, ret) {
				TH_LOG("%s: %s", h->what, strerror(-ret));
			}
			EXPECT_EQ(self->lck0, proc_status_kb("VmLck")) {
				TH_LOG("%s: pages left pinned", h->what);
			}
			EXPECT_EQ(EMPTY_STATE, state_size(b->dev)) {
				TH_LOG("%s: state left", h->what);
			}
		} else {
			EXPECT_EQ((long)len, ret) {
				TH_LOG("%s: %s", h->what, strerror(-ret));
			}
			EXPECT_EQ(self->lck0 + 8, proc_status_kb("VmLck"));
			/* Saved again in this version's format. */
			EXPECT_EQ(EMPTY_STATE + 16 * d.nr_doms + 2 * 32 +
				  8 * d.nr_eps, state_size(b->dev));
		}
		ASSERT_EQ(0, vfioext_virtio_set_status(b->dev, 0));
	}
	/* After all that, the valid blob still loads. */
	ASSERT_EQ(0, vfioext_virtio_negotiate(b->dev, VG_IOMMU_FEATURES));
	valid(&d, &self->cfg);
	len = build(&d, self->buf);
	EXPECT_EQ((long)len, load_bytes(b->dev, self->buf, len));
}

/* Running, argument errors, the fd's direction. */
TEST_F(blob, busy_and_arguments)
{
	struct vfio_ext_virtio_state a = { .argsz = sizeof(a) };
	struct vmm *b = &self->b;
	struct bdesc d;
	int p[2];
	size_t len;

	valid(&d, &self->cfg);
	len = build(&d, self->buf);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	a.fd = p[1];
	EXPECT_EQ(-EINVAL, vx(b->dev, VFIO_EXT_VIRTIO_DEVICE_STATE, &a));
	a.flags = VFIO_EXT_VIRTIO_STATE_SAVE | VFIO_EXT_VIRTIO_STATE_LOAD;
	EXPECT_EQ(-EINVAL, vx(b->dev, VFIO_EXT_VIRTIO_DEVICE_STATE, &a));
	a.flags = VFIO_EXT_VIRTIO_STATE_SAVE;
	a.reserved = 1;
	EXPECT_EQ(-EINVAL, vx(b->dev, VFIO_EXT_VIRTIO_DEVICE_STATE, &a));
	a.reserved = 0;
	a.fd = -1;
	EXPECT_EQ(-EBADF, vx(b->dev, VFIO_EXT_VIRTIO_DEVICE_STATE, &a));
	EXPECT_EQ(-EBADF, save_state(b->dev, p[0]));	/* read end */
	EXPECT_EQ(-EBADF, load_state(b->dev, p[1]));	/* write end */
	close(p[0]);
	close(p[1]);
	/* Running: neither. */
	ASSERT_EQ(0, vmm_queue(b, 0));
	ASSERT_EQ(0, vfioext_virtio_set_status(b->dev, ST_DOK));
	EXPECT_EQ(-EBUSY, state_size(b->dev));
	EXPECT_EQ(-EBUSY, load_bytes(b->dev, self->buf, len));
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));
}

/*
 * SAVE's own refusals: a mapping whose memory left the memory table (the
 * VMM replaced the table under the guest's mappings) cannot be written as
 * a guest-physical address: EFAULT, and the device keeps its state; after
 * the container is gone, SAVE and LOAD are ENODEV.
 */
TEST_F(blob, save_errors)
{
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem = {
		.m.nregions = 1,
		.r = { .guest_phys_addr = 0, .memory_size = GPA_DATA,
		       .userspace_addr = (uintptr_t)self->b.vg.ram },
	};
	struct vmm *b = &self->b;
	struct bdesc d;
	size_t len;

	valid(&d, &self->cfg);
	len = build(&d, self->buf);
	ASSERT_EQ((long)len, load_bytes(b->dev, self->buf, len));
	ASSERT_EQ(0, vx(b->dev, VHOST_SET_MEM_TABLE, &mem));
	EXPECT_EQ(-EFAULT, state_size(b->dev));
	EXPECT_EQ(self->lck0 + 8, proc_status_kb("VmLck"));
	ASSERT_EQ(0, dev_setup_table(b));
	EXPECT_EQ((long)len, state_size(b->dev));
	/* The container goes (its groups, the guest's domains with it). */
	munmap((void *)b->bar, b->bar_len);
	b->bar = NULL;
	vfio_close_all(&b->h);
	EXPECT_EQ(-ENODEV, state_size(b->dev));
	EXPECT_EQ(-ENODEV, load_bytes(b->dev, self->buf, len));
}

/* Not the owner (another process holding the fd): EPERM. */
TEST_F(blob, owner_only)
{
	pid_t pid;
	int st;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(state_size(self->b.dev) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

/*
 * The container's 1024 guest domains: with 1023 of them the VMM's own, a
 * state with two guest domains is ENOSPC, checked before anything is
 * pinned; with one freed it loads.
 */
TEST_F_TIMEOUT(blob, too_many_domains, 120)
{
	struct vfio_ext_pviommu_domain dom = { .argsz = sizeof(dom) };
	struct vfio_ext_pviommu_domain_free f = { .argsz = sizeof(f) };
	struct vmm *b = &self->b;
	struct bdesc d;
	unsigned int i;
	size_t len;

	for (i = 0; i < 1023; i++)
		ASSERT_EQ(0, vx(b->h.container, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC,
				&dom));
	valid(&d, &self->cfg);
	add_dom2(&d, 0);
	len = build(&d, self->buf);
	EXPECT_EQ(-ENOSPC, load_bytes(b->dev, self->buf, len));
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));
	EXPECT_EQ(EMPTY_STATE, state_size(b->dev));
	f.id = dom.id;
	ASSERT_EQ(0, vx(b->h.container, VFIO_EXT_PVIOMMU_DOMAIN_FREE, &f));
	EXPECT_EQ((long)len, load_bytes(b->dev, self->buf, len));
	EXPECT_EQ(self->lck0 + 8, proc_status_kb("VmLck"));
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* SIGALRM in @ms, to a handler with SA_RESTART (as a VMM's SIGCHLD). */
static int alarm_in(unsigned int ms)
{
	struct sigaction sa = { .sa_handler = on_alarm,
				.sa_flags = SA_RESTART };
	struct itimerval it = { .it_value.tv_usec = ms * 1000 };

	if (sigaction(SIGALRM, &sa, NULL))
		return -errno;
	return setitimer(ITIMER_REAL, &it, NULL) ? -errno : 0;
}

/*
 * A signal while LOAD waits for the rest of the blob (the header already
 * read): EINTR, not a restart that would read from the blob's middle;
 * nothing loaded.
 */
TEST_F(blob, signal_during_load)
{
	struct vmm *b = &self->b;
	struct bdesc d;
	int p[2], st;
	size_t len;
	pid_t pid;

	valid(&d, &self->cfg);
	len = build(&d, self->buf);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {		/* the sender stalls after 40 bytes */
		close(p[0]);
		if (write(p[1], self->buf, 40) != 40)
			_exit(1);
		usleep(800 * 1000);
		_exit(write(p[1], self->buf + 40, len - 40) !=
		      (ssize_t)(len - 40));
	}
	close(p[1]);
	ASSERT_EQ(0, alarm_in(200));
	EXPECT_EQ(-EINTR, load_state(b->dev, p[0]));
	EXPECT_EQ(EMPTY_STATE, state_size(b->dev));
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	close(p[0]);
}

/*
 * A signal while SAVE waits for a stalled reader, part of the blob in the
 * pipe: EINTR, not a restart that would write the whole blob after the
 * part (the reader then gets less than one blob, never more).
 */
TEST_F(blob, signal_during_save)
{
	struct vmm *b = &self->b;
	struct bdesc d;
	int p[2], st;
	long n, len;
	pid_t pid;

	valid(&d, &self->cfg);
	d.d[0].gen = 200;	/* 6.4 KB of mappings: more than the pipe */
	len = build(&d, self->buf);
	ASSERT_EQ(len, load_bytes(b->dev, self->buf, len));
	n = state_size(b->dev);
	ASSERT_LT(4096, n);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(4096, fcntl(p[1], F_SETPIPE_SZ, 4096));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {		/* the reader stalls, then takes it all */
		char c[4096];
		long got = 0, r;

		close(p[1]);
		usleep(800 * 1000);
		while ((r = read(p[0], c, sizeof(c))) > 0)
			got += r;
		_exit(got < n ? 0 : 1);
	}
	close(p[0]);
	ASSERT_EQ(0, alarm_in(200));
	EXPECT_EQ(-EINTR, save_state(b->dev, p[1]));
	close(p[1]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

/*
 * Applying fails half-way -- RLIMIT_MEMLOCK is reached at the third of
 * three pages -- and everything done is undone; the guest budget
 * (VFIO_EXT_PVIOMMU_LIMITS) is checked before anything is pinned.
 */
TEST_F(blob, limits_midway)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct vfio_ext_pviommu_limits lim = {
		.argsz = sizeof(lim), .flags = VFIO_EXT_PVIOMMU_LIMITS_SET_GUEST,
		.guest_maps = 2,
	};
	struct __user_cap_data_struct data[2];
	struct vmm *b = &self->b;
	struct bdesc d;
	struct rlimit rl;
	size_t len;

	valid(&d, &self->cfg);
	d.d[0].m[2] = (struct bmap){ 0xa00000, 0xa00fff, GPA_DATA + 0x2000, RW };
	d.d[0].nr = 3;
	len = build(&d, self->buf);
	ASSERT_EQ(0, vx(b->h.container, VFIO_EXT_PVIOMMU_LIMITS, &lim));
	EXPECT_EQ(-ENOSPC, load_bytes(b->dev, self->buf, len));
	EXPECT_EQ(EMPTY_STATE, state_size(b->dev));
	lim.guest_maps = 100;
	ASSERT_EQ(0, vx(b->h.container, VFIO_EXT_PVIOMMU_LIMITS, &lim));

	/* A device created without CAP_IPC_LOCK, 8 KiB below its need. */
	close(b->dev);
	ASSERT_EQ(0, syscall(SYS_capget, &hdr, data));
	data[0].effective &= ~(1u << CAP_IPC_LOCK);
	data[0].permitted &= ~(1u << CAP_IPC_LOCK);
	ASSERT_EQ(0, syscall(SYS_capset, &hdr, data));
	rl.rlim_cur = (self->lck0 + 8) * 1024;
	rl.rlim_max = rl.rlim_cur;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
	b->dev = vg_viommu_create(b->h.container, 0);
	ASSERT_LE(0, b->dev);
	ASSERT_EQ(0, dev_setup(b));
	ASSERT_EQ(0, vfioext_virtio_negotiate(b->dev, VG_IOMMU_FEATURES));
	EXPECT_EQ(-ENOMEM, load_bytes(b->dev, self->buf, len));
	EXPECT_EQ(self->lck0, proc_status_kb("VmLck"));
	EXPECT_EQ(EMPTY_STATE, state_size(b->dev));
	/* Two pages fit exactly. */
	d.d[0].nr = 2;
	len = build(&d, self->buf);
	EXPECT_EQ((long)len, load_bytes(b->dev, self->buf, len));
	EXPECT_EQ(self->lck0 + 8, proc_status_kb("VmLck"));
}

TEST_HARNESS_MAIN
