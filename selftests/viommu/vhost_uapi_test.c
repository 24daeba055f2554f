// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio-iommu fd's uAPI, ioctl by ioctl of <linux/vhost.h> (7.3):
 * what it implements behaves as vhost-net's or vhost-vdpa's (the errnos
 * read from drivers/vhost/vhost.c, net.c and vdpa.c), what it refuses is
 * refused the way vhost's own dispatch refuses an ioctl it lacks (EPERM
 * for a non-owner, EFAULT for an unreadable index word, ENOBUFS for a
 * queue index beyond the device's, else ENOTTY), and the backend features
 * are answered.  Where vhost-net lacks an ioctl too, or implements it, the
 * same call on /dev/vhost-net (the stock module, loaded here when the
 * kernel has it) must give the same answer: the kernel's own vhost is the
 * reference, not our reading of it.  Documentation/virtio.rst has the
 * table these tests follow.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_iommu.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "vring_guest.h"

/*
 * Numbers newer than an older build host's <linux/vhost.h>, as 7.3's
 * header defines them (same direction and argument size: the encoding is
 * the same).
 */
#ifndef VHOST_NEW_WORKER
#define VHOST_NEW_WORKER	_IOR(VHOST_VIRTIO, 0x8, __u32)
#define VHOST_FREE_WORKER	_IOW(VHOST_VIRTIO, 0x9, __u32)
#endif
#ifndef VHOST_ATTACH_VRING_WORKER
#define VHOST_ATTACH_VRING_WORKER	_IOW(VHOST_VIRTIO, 0x15, __u64)
#define VHOST_GET_VRING_WORKER		_IOWR(VHOST_VIRTIO, 0x16, __u64)
#endif
#ifndef VHOST_VDPA_RESUME
#define VHOST_VDPA_RESUME	_IO(VHOST_VIRTIO, 0x7E)
#endif
#ifndef VHOST_VDPA_GET_VRING_DESC_GROUP
#define VHOST_VDPA_GET_VRING_DESC_GROUP	_IOWR(VHOST_VIRTIO, 0x7F,	\
					      struct vhost_vring_state)
#endif
#ifndef VHOST_VDPA_GET_VRING_SIZE
#define VHOST_VDPA_GET_VRING_SIZE	_IOWR(VHOST_VIRTIO, 0x82,	\
					      struct vhost_vring_state)
#endif
#ifndef VHOST_GET_FEATURES_ARRAY
#define VHOST_GET_FEATURES_ARRAY	_IOR(VHOST_VIRTIO, 0x83, __u64)
#define VHOST_SET_FEATURES_ARRAY	_IOW(VHOST_VIRTIO, 0x83, __u64)
#endif
#ifndef VHOST_SET_FORK_FROM_OWNER
#define VHOST_SET_FORK_FROM_OWNER	_IOW(VHOST_VIRTIO, 0x84, __u8)
#define VHOST_GET_FORK_FROM_OWNER	_IOR(VHOST_VIRTIO, 0x85, __u8)
#endif
#ifndef VHOST_BACKEND_F_RESUME
#define VHOST_BACKEND_F_RESUME	0x5
#endif
/* A number <linux/vhost.h> does not assign. */
#define VHOST_UNASSIGNED	_IO(VHOST_VIRTIO, 0xfe)

#define RAM_SIZE	0x100000
#define QNUM		16
#define QMAX		256	/* the device's largest queue (the default) */
#define NVQS		2	/* requestq, eventq; vhost-net has 2 too */
#define VSID		1
#define BIT_ULL(n)	(1ULL << (n))
/* The VHOST_BACKEND_F_* bits offered. */
#define BACKEND_OFFER	(BIT_ULL(VHOST_BACKEND_F_SUSPEND) |	\
			 BIT_ULL(VHOST_BACKEND_F_RESUME))

/*
 * What follows compares with vhost-net: without it, a test whose own
 * checks passed is a skip (never a pass); one that failed stays failed.
 */
static bool vhost_net_here(struct __test_metadata *_metadata, int vnet)
{
	if (vnet >= 0)
		return true;
	if (_metadata->passed)
		SKIP(return false, "no /dev/vhost-net to compare with");
	return false;
}

static int vx(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* The ioctl from another process (another mm: never the owner). */
static int vx_child(int fd, unsigned long cmd, void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(ioctl(fd, cmd, arg) ? errno : 0);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -ECHILD;
	return -WEXITSTATUS(st);
}

/* /dev/vhost-net with its owner set, or -1 when the kernel has none. */
static int vhost_net_open(void)
{
	int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);

	if (fd < 0 && !system("modprobe -q vhost_net 2>/dev/null"))
		fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (fd >= 0 && ioctl(fd, VHOST_SET_OWNER, NULL)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

FIXTURE(uapi) {
	struct vfio_handles h;
	struct vring_guest vg;
	int dev;	/* the virtio-iommu fd, owned by this process */
	int vnet;	/* /dev/vhost-net, owned, or -1 */
};

/* Queue 0 as the guest laid it out in its RAM, empty, enabled. */
static int setup_queue(int fd, struct vring_guest *vg)
{
	vg_reset(vg);
	return vfioext_virtio_setup_vring(fd, 0, QNUM, vg_gpa(vg, VG_DESC),
					  vg_gpa(vg, VG_AVAIL),
					  vg_gpa(vg, VG_USED), vg->kick,
					  vg->call);
}

FIXTURE_SETUP(uapi)
{
	struct vfio_ext_pviommu_attach at = { .argsz = sizeof(at) };
	char bdf[VFIOEXT_BDF_LEN];

	vfio_handles_init(&self->h);
	self->dev = -1;
	self->vnet = -1;
	memset(&self->vg, 0, sizeof(self->vg));
	self->vg.kick = -1;
	self->vg.call = -1;
	if (edu_find(EDU_ALONE, bdf))
		SKIP(_exit(255), "no edu device on this machine");
	ASSERT_EQ(0, vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all_iommu(&self->h, bdf,
					 VFIO_EXT_PVIOMMU_IOMMU));
	at.group = self->h.group_id;
	at.vsid = VSID;
	ASSERT_EQ(0, ioctl(self->h.container, VFIO_EXT_PVIOMMU_ATTACH, &at));
	self->vg.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->vg.ram);
	self->vg.qnum = QNUM;
	self->vg.kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	self->vg.call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->vg.kick);
	ASSERT_LE(0, self->vg.call);
	self->dev = vg_viommu_create(self->h.container, 0);
	ASSERT_LE(0, self->dev);
	self->vnet = vhost_net_open();
}

FIXTURE_TEARDOWN(uapi)
{
	if (self->vnet >= 0)
		close(self->vnet);
	if (self->dev >= 0)
		close(self->dev);
	vfio_close_all(&self->h);
	if (self->vg.ram && self->vg.ram != MAP_FAILED)
		munmap(self->vg.ram, RAM_SIZE);
	if (self->vg.kick >= 0)
		close(self->vg.kick);
	if (self->vg.call >= 0)
		close(self->vg.call);
}

/*
 * An ioctl the device refuses, refused as vhost's dispatch refuses one:
 * EPERM, EFAULT, ENOBUFS, ENOTTY.
 */
struct refused {
	const char *name;
	unsigned long cmd;
	bool net_lacks;	/* vhost-net lacks it too, on every kernel we run */
};

#define R(c, n)	{ #c, c, n }

static const struct refused refused[] = {
	R(VHOST_RESET_OWNER, false),
	R(VHOST_NEW_WORKER, true),
	R(VHOST_FREE_WORKER, true),
	R(VHOST_SET_VRING_ENDIAN, true),
	R(VHOST_GET_VRING_ENDIAN, true),
	R(VHOST_ATTACH_VRING_WORKER, true),
	R(VHOST_GET_VRING_WORKER, true),
	R(VHOST_SET_VRING_BUSYLOOP_TIMEOUT, false),
	R(VHOST_GET_VRING_BUSYLOOP_TIMEOUT, false),
	R(VHOST_NET_SET_BACKEND, false),
	R(VHOST_SCSI_SET_ENDPOINT, true),
	R(VHOST_SCSI_CLEAR_ENDPOINT, true),
	R(VHOST_SCSI_GET_ABI_VERSION, true),
	R(VHOST_SCSI_SET_EVENTS_MISSED, true),
	R(VHOST_SCSI_GET_EVENTS_MISSED, true),
	R(VHOST_VSOCK_SET_GUEST_CID, true),
	R(VHOST_VSOCK_SET_RUNNING, true),
	R(VHOST_VDPA_GET_IOVA_RANGE, true),
	R(VHOST_VDPA_GET_AS_NUM, true),
	R(VHOST_VDPA_GET_VRING_GROUP, true),
	R(VHOST_VDPA_SET_GROUP_ASID, true),
	R(VHOST_VDPA_GET_VRING_DESC_GROUP, true),
	R(VHOST_VDPA_GET_GROUP_NUM, true),
	R(VHOST_GET_FEATURES_ARRAY, false),
	R(VHOST_SET_FEATURES_ARRAY, false),
	R(VHOST_SET_FORK_FROM_OWNER, false),
	R(VHOST_GET_FORK_FROM_OWNER, false),
	R(VHOST_UNASSIGNED, true),
};

/*
 * The four answers of a refused ioctl: as the owner with queue index 0
 * in the argument's first word, with index NVQS, with no argument, and
 * from another process.
 */
static void refusals(struct __test_metadata *_metadata, int fd,
		     const struct refused *r, int want[4])
{
	uint32_t arg[16];

	memset(arg, 0, sizeof(arg));
	want[0] = vx(fd, r->cmd, arg);
	arg[0] = NVQS;
	want[1] = vx(fd, r->cmd, arg);
	want[2] = vx(fd, r->cmd, NULL);
	arg[0] = 0;
	want[3] = vx_child(fd, r->cmd, arg);
}

/* Every ioctl of <linux/vhost.h> the device does not have. */
TEST_F(uapi, refused_as_vhost)
{
	static const int generic[4] = { -ENOTTY, -ENOBUFS, -EFAULT, -EPERM };
	unsigned int i, j, compared = 0;
	int ours[4], net[4];

	/* Before VHOST_SET_OWNER nobody is the owner: EPERM (as vhost). */
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		uint32_t arg[16] = { 0 };

		EXPECT_EQ(-EPERM, vx(self->dev, refused[i].cmd, arg))
			TH_LOG("%s before the owner", refused[i].name);
	}
	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		const struct refused *r = &refused[i];

		refusals(_metadata, self->dev, r, ours);
		/* Braces: EXPECT_*() TH_LOG() is two statements. */
		for (j = 0; j < 4; j++) {
			EXPECT_EQ(generic[j], ours[j])
				TH_LOG("%s case %u", r->name, j);
		}
		if (self->vnet < 0 || !r->net_lacks)
			continue;
		refusals(_metadata, self->vnet, r, net);
		for (j = 0; j < 4; j++) {
			int want = net[j];

			EXPECT_EQ(want, ours[j])
				TH_LOG("%s case %u: vhost-net %d", r->name, j,
				       want);
		}
		compared++;
	}
	if (!vhost_net_here(_metadata, self->vnet))
		return;
	EXPECT_LE(20, compared);
}

/* VHOST_GET/SET_BACKEND_FEATURES, from anyone, at any time (as vhost). */
TEST_F(uapi, backend_features)
{
	uint64_t f = ~0ULL, net_offer = 0;
	unsigned int bit;

	/* Before the owner, and from another process. */
	ASSERT_EQ(0, vx(self->dev, VHOST_GET_BACKEND_FEATURES, &f));
	EXPECT_EQ(BACKEND_OFFER, f);
	f = ~0ULL;
	EXPECT_EQ(0, vx_child(self->dev, VHOST_GET_BACKEND_FEATURES, &f));
	f = 0;
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_BACKEND_FEATURES, &f));
	EXPECT_EQ(0, vx_child(self->dev, VHOST_SET_BACKEND_FEATURES, &f));
	EXPECT_EQ(-EFAULT, vx(self->dev, VHOST_GET_BACKEND_FEATURES, NULL));
	EXPECT_EQ(-EFAULT, vx(self->dev, VHOST_SET_BACKEND_FEATURES, NULL));

	/* Every bit, known or not: only what is offered is accepted. */
	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	for (bit = 0; bit < 64; bit++) {
		f = BIT_ULL(bit);
		EXPECT_EQ(BACKEND_OFFER & f ? 0 : -EOPNOTSUPP,
			  vx(self->dev, VHOST_SET_BACKEND_FEATURES, &f))
			TH_LOG("bit %u", bit);
	}
	/* SUSPEND and RESUME, not the IOTLB's. */
	f = BIT_ULL(VHOST_BACKEND_F_SUSPEND) | BIT_ULL(VHOST_BACKEND_F_RESUME);
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_BACKEND_FEATURES, &f));
	f = BIT_ULL(VHOST_BACKEND_F_IOTLB_MSG_V2);
	EXPECT_EQ(-EOPNOTSUPP, vx(self->dev, VHOST_SET_BACKEND_FEATURES, &f));
	/* Accepted after DRIVER_OK too, and the offer does not change. */
	ASSERT_EQ(0, vg_set_mem_table(self->dev, self->vg.ram, RAM_SIZE));
	ASSERT_EQ(0, setup_queue(self->dev, &self->vg));
	ASSERT_EQ(0, vfioext_virtio_negotiate(self->dev, VG_IOMMU_FEATURES));
	ASSERT_EQ(0, vfioext_virtio_set_status(self->dev,
					       VIRTIO_CONFIG_S_ACKNOWLEDGE |
					       VIRTIO_CONFIG_S_DRIVER |
					       VIRTIO_CONFIG_S_FEATURES_OK |
					       VIRTIO_CONFIG_S_DRIVER_OK));
	f = BACKEND_OFFER;
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_BACKEND_FEATURES, &f));
	f = ~0ULL;
	ASSERT_EQ(0, vx(self->dev, VHOST_GET_BACKEND_FEATURES, &f));
	EXPECT_EQ(BACKEND_OFFER, f);

	/* The library's wrappers say the same. */
	f = ~0ULL;
	ASSERT_EQ(0, vfioext_virtio_get_backend_features(self->dev, &f));
	EXPECT_EQ(BACKEND_OFFER, f);
	EXPECT_EQ(-EINVAL, vfioext_virtio_get_backend_features(self->dev,
							       NULL));
	EXPECT_EQ(0, vfioext_virtio_set_backend_features(self->dev,
							 BACKEND_OFFER));
	f = BIT_ULL(VHOST_BACKEND_F_IOTLB_MSG_V2);
	EXPECT_EQ(-EOPNOTSUPP, vfioext_virtio_set_backend_features(self->dev,
								   f));

	/* vhost-net's own: an unknown bit is EOPNOTSUPP there too. */
	if (!vhost_net_here(_metadata, self->vnet))
		return;
	ASSERT_EQ(0, vx(self->vnet, VHOST_GET_BACKEND_FEATURES, &net_offer));
	/*
	 * A backend without SUSPEND/RESUME (vhost-net offers neither): the
	 * library says EOPNOTSUPP, not the EFAULT of the raw ioctl.
	 */
	ASSERT_FALSE(net_offer & BIT_ULL(VHOST_BACKEND_F_SUSPEND));
	EXPECT_EQ(-EFAULT, vx(self->vnet, VHOST_VDPA_SUSPEND, NULL));
	EXPECT_EQ(-EOPNOTSUPP, vfioext_virtio_suspend(self->vnet));
	EXPECT_EQ(-EOPNOTSUPP, vfioext_virtio_resume(self->vnet));
	f = BIT_ULL(63);
	EXPECT_EQ(-EOPNOTSUPP, vx(self->vnet, VHOST_SET_BACKEND_FEATURES, &f));
	EXPECT_EQ(0, vx_child(self->vnet, VHOST_SET_BACKEND_FEATURES,
			      &net_offer));
}

/* Read-only facts answer anyone; everything else is the owner's. */
TEST_F(uapi, owner)
{
	uint64_t f = 0;
	uint32_t u32 = 0;
	uint16_t u16 = 0;
	uint8_t st = 0;
	struct vhost_vring_state s = { .index = 0 };

	EXPECT_EQ(0, vx_child(self->dev, VHOST_GET_FEATURES, &f));
	EXPECT_EQ(0, vx_child(self->dev, VHOST_VDPA_GET_DEVICE_ID, &u32));
	EXPECT_EQ(0, vx_child(self->dev, VHOST_VDPA_GET_VRING_NUM, &u16));
	EXPECT_EQ(0, vx_child(self->dev, VHOST_VDPA_GET_CONFIG_SIZE, &u32));
	EXPECT_EQ(0, vx_child(self->dev, VHOST_VDPA_GET_VQS_COUNT, &u32));
	/* The owner-only ones, before VHOST_SET_OWNER: EPERM (as vhost). */
	EXPECT_EQ(-EPERM, vx(self->dev, VHOST_VDPA_GET_STATUS, &st));
	EXPECT_EQ(-EPERM, vg_set_mem_table(self->dev, self->vg.ram, RAM_SIZE));
	EXPECT_EQ(-EPERM, vx(self->dev, VHOST_GET_VRING_BASE, &s));
	/* Another address space cannot own it (ours: the creator's). */
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_SET_OWNER, NULL));
	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	EXPECT_EQ(-EBUSY, vx(self->dev, VHOST_SET_OWNER, NULL));
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_VDPA_GET_STATUS, &st));
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_GET_VRING_BASE, &s));
	EXPECT_EQ(0, vx(self->dev, VHOST_VDPA_GET_STATUS, &st));
	if (!vhost_net_here(_metadata, self->vnet))
		return;
	EXPECT_EQ(-EBUSY, vx(self->vnet, VHOST_SET_OWNER, NULL));
	EXPECT_EQ(-EPERM, vx_child(self->vnet, VHOST_GET_VRING_BASE, &s));
}

/* VHOST_SET_MEM_TABLE: vhost-net's table of guest-physical addresses. */
TEST_F(uapi, mem_table)
{
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r[65];
	} mem;
	int fds[2] = { self->dev, self->vnet };
	unsigned int i, k;

	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	for (k = 0; k < 2 && fds[k] >= 0; k++) {
		int fd = fds[k];

		memset(&mem, 0, sizeof(mem));
		mem.m.nregions = 1;
		mem.r[0].memory_size = RAM_SIZE;
		mem.r[0].userspace_addr = (uintptr_t)self->vg.ram;
		EXPECT_EQ(0, vx(fd, VHOST_SET_MEM_TABLE, &mem));
		mem.m.padding = 1;
		EXPECT_EQ(-EOPNOTSUPP, vx(fd, VHOST_SET_MEM_TABLE, &mem));
		mem.m.padding = 0;
		mem.m.nregions = 65;
		EXPECT_EQ(-E2BIG, vx(fd, VHOST_SET_MEM_TABLE, &mem));
		EXPECT_EQ(-EFAULT, vx(fd, VHOST_SET_MEM_TABLE, NULL));
		/* 64 regions is vhost's default limit, and ours. */
		mem.m.nregions = 64;
		for (i = 0; i < 64; i++) {
			mem.r[i].guest_phys_addr = i * 0x4000;
			mem.r[i].memory_size = 0x4000;
			mem.r[i].userspace_addr =
				(uintptr_t)self->vg.ram + i * 0x4000;
		}
		EXPECT_EQ(0, vx(fd, VHOST_SET_MEM_TABLE, &mem));
		/* A region that wraps the guest-physical space. */
		mem.m.nregions = 1;
		mem.r[0].guest_phys_addr = ~0ULL - 0xfff;
		mem.r[0].memory_size = 0x2000;
		EXPECT_EQ(-EFAULT, vx(fd, VHOST_SET_MEM_TABLE, &mem));
	}
	/* Ours only: empty, outside the user address space, overlapping. */
	mem.m.nregions = 1;
	mem.r[0].guest_phys_addr = 0x1000;
	mem.r[0].memory_size = 0;
	EXPECT_EQ(-EFAULT, vx(self->dev, VHOST_SET_MEM_TABLE, &mem));
	mem.r[0].memory_size = 0x1000;
	mem.r[0].userspace_addr = 0xffff800000000000ULL;
	EXPECT_EQ(-EFAULT, vx(self->dev, VHOST_SET_MEM_TABLE, &mem));
	mem.m.nregions = 2;
	mem.r[0].userspace_addr = (uintptr_t)self->vg.ram;
	mem.r[1] = mem.r[0];
	mem.r[1].userspace_addr += 0x1000;
	EXPECT_EQ(-EINVAL, vx(self->dev, VHOST_SET_MEM_TABLE, &mem));
	if (!vhost_net_here(_metadata, self->vnet))
		return;
}

/* The queue ioctls: vhost's checks and errnos, index first. */
TEST_F(uapi, vring)
{
	int fds[2] = { self->dev, self->vnet };
	struct vhost_vring_state s;
	struct vhost_vring_addr a;
	struct vhost_vring_file f;
	unsigned int k;
	int efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	for (k = 0; k < 2 && fds[k] >= 0; k++) {
		int fd = fds[k];

		s = (struct vhost_vring_state){ .index = NVQS, .num = 16 };
		EXPECT_EQ(-ENOBUFS, vx(fd, VHOST_SET_VRING_NUM, &s));
		EXPECT_EQ(-EFAULT, vx(fd, VHOST_SET_VRING_NUM, NULL));
		s.index = 0;
		s.num = 3;
		EXPECT_EQ(-EINVAL, vx(fd, VHOST_SET_VRING_NUM, &s));
		s.num = 0;
		EXPECT_EQ(-EINVAL, vx(fd, VHOST_SET_VRING_NUM, &s));
		s.num = 16;
		EXPECT_EQ(0, vx(fd, VHOST_SET_VRING_NUM, &s));

		a = (struct vhost_vring_addr){ .index = 0, .flags = 2 };
		EXPECT_EQ(-EOPNOTSUPP, vx(fd, VHOST_SET_VRING_ADDR, &a));
		a.flags = 0;
		a.avail_user_addr = 1;
		EXPECT_EQ(-EINVAL, vx(fd, VHOST_SET_VRING_ADDR, &a));
		a.avail_user_addr = 0;
		a.used_user_addr = 2;
		EXPECT_EQ(-EINVAL, vx(fd, VHOST_SET_VRING_ADDR, &a));
		a.used_user_addr = (uintptr_t)vg_gpa(&self->vg, VG_USED);
		a.avail_user_addr = (uintptr_t)vg_gpa(&self->vg, VG_AVAIL);
		a.desc_user_addr = (uintptr_t)vg_gpa(&self->vg, VG_DESC);
		EXPECT_EQ(0, vx(fd, VHOST_SET_VRING_ADDR, &a));

		s.num = 0x10000;
		EXPECT_EQ(-EINVAL, vx(fd, VHOST_SET_VRING_BASE, &s));
		s.num = 5;
		EXPECT_EQ(0, vx(fd, VHOST_SET_VRING_BASE, &s));
		s.num = 0;
		EXPECT_EQ(0, vx(fd, VHOST_GET_VRING_BASE, &s));
		EXPECT_EQ(5, s.num);
		EXPECT_EQ(0, s.index);

		/* Kick, call and error eventfds: -1 unbinds. */
		f = (struct vhost_vring_file){ .index = 0, .fd = -1 };
		EXPECT_EQ(0, vx(fd, VHOST_SET_VRING_KICK, &f));
		EXPECT_EQ(0, vx(fd, VHOST_SET_VRING_CALL, &f));
		EXPECT_EQ(0, vx(fd, VHOST_SET_VRING_ERR, &f));
		f.fd = efd;
		EXPECT_EQ(0, vx(fd, VHOST_SET_VRING_ERR, &f));
		EXPECT_EQ(0, vx(fd, VHOST_SET_VRING_CALL, &f));
		f.fd = self->h.container;	/* not an eventfd */
		EXPECT_EQ(-EINVAL, vx(fd, VHOST_SET_VRING_ERR, &f));
		EXPECT_EQ(-EINVAL, vx(fd, VHOST_SET_VRING_KICK, &f));
		f.fd = 1000000;			/* no such fd */
		EXPECT_EQ(-EBADF, vx(fd, VHOST_SET_VRING_ERR, &f));
		f.index = NVQS;
		EXPECT_EQ(-ENOBUFS, vx(fd, VHOST_SET_VRING_ERR, &f));
	}
	/* Ours only: the descriptor table must be 16-byte aligned (2.7). */
	a.desc_user_addr += 8;
	EXPECT_EQ(-EINVAL, vx(self->dev, VHOST_SET_VRING_ADDR, &a));
	/* Dirty logging of the device ring (no log base yet: unchecked). */
	a.desc_user_addr -= 8;
	a.flags = 1 << VHOST_VRING_F_LOG;
	a.log_guest_addr = VG_USED;
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_VRING_ADDR, &a));
	close(efd);
	if (!vhost_net_here(_metadata, self->vnet))
		return;
}

/* vhost-vdpa's per-queue size: the device's largest, for each queue. */
TEST_F(uapi, vring_size)
{
	struct vhost_vring_state s = { .index = 1 };
	uint16_t max = 0;

	EXPECT_EQ(-EPERM, vx(self->dev, VHOST_VDPA_GET_VRING_SIZE, &s));
	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	ASSERT_EQ(0, vx(self->dev, VHOST_VDPA_GET_VRING_NUM, &max));
	EXPECT_EQ(QMAX, max);
	ASSERT_EQ(0, vx(self->dev, VHOST_VDPA_GET_VRING_SIZE, &s));
	EXPECT_EQ(1, s.index);
	EXPECT_EQ(max, s.num);
	s.index = NVQS;
	EXPECT_EQ(-ENOBUFS, vx(self->dev, VHOST_VDPA_GET_VRING_SIZE, &s));
	EXPECT_EQ(-EFAULT, vx(self->dev, VHOST_VDPA_GET_VRING_SIZE, NULL));
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_VDPA_GET_VRING_SIZE, &s));
}

/*
 * No IOTLB: the memory table replaces vhost's IOTLB messages, so the fd
 * has neither read nor write (EINVAL, the VFS's answer).
 */
TEST_F(uapi, no_iotlb_messages)
{
	struct vhost_msg_v2 msg = { .type = VHOST_IOTLB_MSG_V2 };

	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	msg.iotlb.type = VHOST_IOTLB_UPDATE;
	msg.iotlb.size = 4096;
	msg.iotlb.perm = VHOST_ACCESS_RW;
	msg.iotlb.uaddr = (uintptr_t)self->vg.ram;
	EXPECT_EQ(-1, write(self->dev, &msg, sizeof(msg)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->dev, &msg, sizeof(msg)));
	EXPECT_EQ(EINVAL, errno);
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

/*
 * VHOST_SET_VRING_ERR: a queue that breaks the device signals its error
 * eventfd (vhost's vq_err()); a reset gives it back, as the call eventfd.
 */
TEST_F(uapi, vring_err)
{
	struct vring_desc outside = { .addr = RAM_SIZE + 0x1000, .len = 16 };
	uint8_t run = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	struct vhost_vring_file f = { .index = 0 };
	int round, efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t v;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	ASSERT_EQ(0, vg_set_mem_table(self->dev, self->vg.ram, RAM_SIZE));
	for (round = 0; round < 2; round++) {
		uint8_t st = 0;
		int t;

		ASSERT_EQ(0, setup_queue(self->dev, &self->vg));
		if (round == 0) {
			f.fd = efd;
			ASSERT_EQ(0, vx(self->dev, VHOST_SET_VRING_ERR, &f));
		}
		ASSERT_EQ(0, vfioext_virtio_negotiate(self->dev, VG_IOMMU_FEATURES));
		ASSERT_EQ(0, vfioext_virtio_set_status(self->dev, run));
		EXPECT_FALSE(readable(efd, 0));
		vg_add(&self->vg, &outside, 1, 0);
		vg_publish(&self->vg);
		ASSERT_EQ(0, vg_kick(&self->vg));
		for (t = 0; t < 2000 && !(st & VIRTIO_CONFIG_S_NEEDS_RESET);
		     t++) {
			ASSERT_EQ(0, vfioext_virtio_get_status(self->dev, &st));
			if (!(st & VIRTIO_CONFIG_S_NEEDS_RESET))
				usleep(1000);
		}
		ASSERT_NE(0, st & VIRTIO_CONFIG_S_NEEDS_RESET);
		/* Round 0: signalled; round 1, after the reset: given back. */
		EXPECT_EQ(round == 0, readable(efd, round == 0 ? 1000 : 200));
		if (round == 0)
			ASSERT_EQ(sizeof(v), read(efd, &v, sizeof(v)));
		ASSERT_EQ(0, vfioext_virtio_set_status(self->dev, 0));
	}
	close(efd);
}

/*
 * VHOST_VDPA_SUSPEND and VHOST_VDPA_RESUME (VHOST_BACKEND_F_SUSPEND,
 * _RESUME): the owner's, as every state-changing ioctl of ours; without
 * DRIVER_OK both do nothing and succeed (as vhost-vdpa); then either at
 * any time, any number of times; a reset ends a suspension.  What they
 * do to traffic: viommu_test's suspend_resume.
 */
TEST_F(uapi, suspend_resume)
{
	uint8_t run = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	struct vhost_vring_state s = { .index = 0 };
	unsigned int i;

	EXPECT_EQ(-EPERM, vx(self->dev, VHOST_VDPA_SUSPEND, NULL));
	EXPECT_EQ(-EPERM, vx(self->dev, VHOST_VDPA_RESUME, NULL));
	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_VDPA_SUSPEND, NULL));
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_VDPA_RESUME, NULL));
	/* No DRIVER_OK: nothing to do; queue setup stays open. */
	EXPECT_EQ(0, vx(self->dev, VHOST_VDPA_SUSPEND, NULL));
	ASSERT_EQ(0, vg_set_mem_table(self->dev, self->vg.ram, RAM_SIZE));
	ASSERT_EQ(0, setup_queue(self->dev, &self->vg));
	EXPECT_EQ(0, vx(self->dev, VHOST_VDPA_RESUME, NULL));
	ASSERT_EQ(0, vfioext_virtio_negotiate(self->dev, VG_IOMMU_FEATURES));
	ASSERT_EQ(0, vfioext_virtio_set_status(self->dev, run));
	/* Running: twice each, in any order; the argument is not read. */
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, vx(self->dev, VHOST_VDPA_RESUME, NULL));
		EXPECT_EQ(0, vx(self->dev, VHOST_VDPA_SUSPEND, NULL));
		EXPECT_EQ(0, vfioext_virtio_suspend(self->dev));
	}
	/* Suspended, queue setup is still the driver's: EBUSY. */
	s.num = 3;
	EXPECT_EQ(-EBUSY, vx(self->dev, VHOST_SET_VRING_BASE, &s));
	EXPECT_EQ(0, vx(self->dev, VHOST_GET_VRING_BASE, &s));
	EXPECT_EQ(0, s.num);
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_VDPA_RESUME, NULL));
	EXPECT_EQ(0, vfioext_virtio_resume(self->dev));
	EXPECT_EQ(0, vfioext_virtio_resume(self->dev));
	/* A reset while suspended: the next run is not suspended. */
	EXPECT_EQ(0, vfioext_virtio_suspend(self->dev));
	ASSERT_EQ(0, vfioext_virtio_set_status(self->dev, 0));
	EXPECT_EQ(0, vfioext_virtio_suspend(self->dev));	/* no-op */
	/* vhost-net has neither: refused there as vhost refuses. */
	if (!vhost_net_here(_metadata, self->vnet))
		return;
	EXPECT_EQ(-EFAULT, vx(self->vnet, VHOST_VDPA_SUSPEND, NULL));
	EXPECT_EQ(-EFAULT, vx(self->vnet, VHOST_VDPA_RESUME, NULL));
}

static int set_features(int fd, uint64_t f)
{
	return vx(fd, VHOST_SET_FEATURES, &f);
}

/*
 * Dirty logging: VHOST_F_LOG_ALL offered; VHOST_SET_LOG_BASE and
 * VHOST_SET_LOG_FD the owner's, with vhost's errnos (compared with
 * vhost-net); LOG_ALL switched at any time, also after FEATURES_OK, and
 * refused without a log base on a running device (EINVAL, ours: vhost
 * would accept it and fail its writes; before DRIVER_OK it is taken and
 * DRIVER_OK waits for the base, QEMU's order) or with one that does not cover guest memory in
 * writable memory (EFAULT, as vhost); a memory table or log base the log
 * does not cover, while logging, is EFAULT too, and a logged device ring
 * outside it EINVAL (as vhost).  Traffic: viommu_test's dirty_log.
 */
TEST_F(uapi, dirty_log)
{
	uint8_t run = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	const uint64_t log_all = BIT_ULL(VHOST_F_LOG_ALL);
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} far = {
		.m.nregions = 1,
		.r = { .guest_phys_addr = 1ULL << 40, .memory_size = RAM_SIZE,
		       .userspace_addr = (uintptr_t)self->vg.ram },
	};
	struct vhost_vring_addr a = {
		.index = 0, .flags = 1 << VHOST_VRING_F_LOG,
		.desc_user_addr = (uintptr_t)vg_gpa(&self->vg, VG_DESC),
		.avail_user_addr = (uintptr_t)vg_gpa(&self->vg, VG_AVAIL),
		.used_user_addr = (uintptr_t)vg_gpa(&self->vg, VG_USED),
		.log_guest_addr = VG_USED,
	};
	int fds[2] = { self->dev, self->vnet };
	uint8_t *bm, *ro, *hole, *short_bm;
	uint64_t f = 0, base;
	unsigned int k;
	int efd = eventfd(0, EFD_CLOEXEC), fd, bad;

	ASSERT_LE(0, efd);
	bm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bm);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, 4096));	/* an address nothing maps */
	/* A page with nothing mapped after it. */
	short_bm = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, short_bm);
	ASSERT_EQ(0, munmap(short_bm + 4096, 4096));

	ASSERT_EQ(0, vx(self->dev, VHOST_GET_FEATURES, &f));
	EXPECT_NE(0, f & log_all);
	base = (uintptr_t)bm;
	EXPECT_EQ(-EPERM, vx(self->dev, VHOST_SET_LOG_BASE, &base));
	fd = efd;
	EXPECT_EQ(-EPERM, vx(self->dev, VHOST_SET_LOG_FD, &fd));
	ASSERT_EQ(0, vx(self->dev, VHOST_SET_OWNER, NULL));
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_SET_LOG_BASE, &base));
	EXPECT_EQ(-EPERM, vx_child(self->dev, VHOST_SET_LOG_FD, &fd));
	ASSERT_EQ(0, vg_set_mem_table(self->dev, self->vg.ram, RAM_SIZE));
	/*
	 * No log base yet: LOG_ALL is taken before the device runs (QEMU's
	 * vhost_dev_start() sets it before the log base); DRIVER_OK is then
	 * refused until a base is set.
	 */
	EXPECT_EQ(0, set_features(self->dev, VG_IOMMU_FEATURES | log_all));
	EXPECT_EQ(-EINVAL, vfioext_virtio_set_status(self->dev, run));
	EXPECT_EQ(0, vfioext_virtio_set_status(self->dev, 0));
	EXPECT_EQ(0, set_features(self->dev, VG_IOMMU_FEATURES));
	/* What vhost-net answers the same way. */
	for (k = 0; k < 2 && fds[k] >= 0; k++) {
		fd = fds[k];
		EXPECT_EQ(-EFAULT, vx(fd, VHOST_SET_LOG_BASE, NULL));
		EXPECT_EQ(-EFAULT, vx(fd, VHOST_SET_LOG_FD, NULL));
		bad = self->h.container;	/* not an eventfd */
		EXPECT_EQ(-EINVAL, vx(fd, VHOST_SET_LOG_FD, &bad));
		bad = 1000000;
		EXPECT_EQ(-EBADF, vx(fd, VHOST_SET_LOG_FD, &bad));
		bad = -1;
		EXPECT_EQ(0, vx(fd, VHOST_SET_LOG_FD, &bad));
		EXPECT_EQ(0, vx(fd, VHOST_SET_LOG_FD, &efd));
		/* Not logging: any address is taken. */
		base = (uintptr_t)ro;
		EXPECT_EQ(0, vx(fd, VHOST_SET_LOG_BASE, &base));
	}
	/* A read-only, an unmapped, a too short log: EFAULT. */
	EXPECT_EQ(-EFAULT, set_features(self->dev, VG_IOMMU_FEATURES |
					log_all));
	base = (uintptr_t)hole;
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_LOG_BASE, &base));
	EXPECT_EQ(-EFAULT, set_features(self->dev, VG_IOMMU_FEATURES |
					log_all));
	base = (uintptr_t)short_bm + 4096 - 10;	/* RAM needs 32 bytes */
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_LOG_BASE, &base));
	EXPECT_EQ(-EFAULT, set_features(self->dev, VG_IOMMU_FEATURES |
					log_all));
	base = (uintptr_t)bm;
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_LOG_BASE, &base));
	EXPECT_EQ(0, set_features(self->dev, VG_IOMMU_FEATURES | log_all));
	/* Logging: a base, a table, a device ring the log misses. */
	base = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, vx(self->dev, VHOST_SET_LOG_BASE, &base));
	EXPECT_EQ(-EFAULT, vx(self->dev, VHOST_SET_MEM_TABLE, &far));
	a.log_guest_addr = 1ULL << 40;
	ASSERT_EQ(0, setup_queue(self->dev, &self->vg));
	EXPECT_EQ(-EINVAL, vx(self->dev, VHOST_SET_VRING_ADDR, &a));
	a.log_guest_addr = VG_USED;
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_VRING_ADDR, &a));
	/* Switched off, the far table is fine. */
	EXPECT_EQ(0, set_features(self->dev, VG_IOMMU_FEATURES));
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_MEM_TABLE, &far));
	ASSERT_EQ(0, vg_set_mem_table(self->dev, self->vg.ram, RAM_SIZE));

	/* Running: LOG_ALL on and off; nothing else changes (EBUSY). */
	ASSERT_EQ(0, vfioext_virtio_negotiate(self->dev, VG_IOMMU_FEATURES));
	ASSERT_EQ(0, vfioext_virtio_set_status(self->dev, run));
	EXPECT_EQ(-EBUSY, set_features(self->dev, VG_IOMMU_FEATURES));
	EXPECT_EQ(0, set_features(self->dev, VG_IOMMU_FEATURES | log_all));
	EXPECT_EQ(0, set_features(self->dev, VG_IOMMU_FEATURES | log_all));
	EXPECT_EQ(-EBUSY, set_features(self->dev, (VG_IOMMU_FEATURES &
						   ~BIT_ULL(VIRTIO_IOMMU_F_PROBE)) |
						  log_all));
	EXPECT_EQ(0, set_features(self->dev, VG_IOMMU_FEATURES));
	EXPECT_EQ(-EBUSY, set_features(self->dev, VG_IOMMU_FEATURES));
	EXPECT_EQ(0, vfioext_virtio_log_all(self->dev, VG_IOMMU_FEATURES, 1));
	/* The device ring's logging too; its addresses do not move. */
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_VRING_ADDR, &a));
	a.flags = 0;
	EXPECT_EQ(0, vx(self->dev, VHOST_SET_VRING_ADDR, &a));
	a.used_user_addr += 4096;
	EXPECT_EQ(-EBUSY, vx(self->dev, VHOST_SET_VRING_ADDR, &a));
	EXPECT_EQ(-EBUSY, vfioext_virtio_log_vring(self->dev, 0,
						   vg_gpa(&self->vg, VG_DESC),
						   vg_gpa(&self->vg, VG_AVAIL),
						   vg_gpa(&self->vg, VG_USED + 4096),
						   VG_USED, 1));
	EXPECT_EQ(0, vfioext_virtio_log_vring(self->dev, 0,
					      vg_gpa(&self->vg, VG_DESC),
					      vg_gpa(&self->vg, VG_AVAIL),
					      vg_gpa(&self->vg, VG_USED),
					      VG_USED, 1));
	/* A reset ends logging: features are the driver's again. */
	ASSERT_EQ(0, vfioext_virtio_set_status(self->dev, 0));
	EXPECT_EQ(0, set_features(self->dev, VG_IOMMU_FEATURES));
	munmap(bm, 4096);
	munmap(ro, 4096);
	munmap(short_bm, 4096);
	close(efd);
}

TEST_HARNESS_MAIN
