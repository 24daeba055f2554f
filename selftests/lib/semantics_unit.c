// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests for libvfio-ext's 1.0 conventions (lib/vfioext.h):
 * argsz-first VFIO structs filled only up to the caller's argsz, with
 * -ENOSPC for capabilities that do not fit; size-first structs passed in
 * (zero-filled when short, -E2BIG for unknown non-zero bytes, an array's
 * stride from its first element); nothing cut short (every IOVA range, a
 * sysfs value that does not fit is an error); the errno of a failed call
 * kept; timed reads of the notification channel that return by their
 * timeout with several readers on one channel.
 *
 * No kernel is needed: this program defines ioctl() itself, so the
 * library compiled into it talks to a fake VFIO device and container on
 * the fds below (every other fd goes to the real system call).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/vhost.h>
#include <sanitizer/lsan_interface.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "internal.h"

#define NO_LEAKS() EXPECT_EQ(0, __lsan_do_recoverable_leak_check())

/* ------------------------------------------------------------------ */
/* The fake kernel                                                    */
/* ------------------------------------------------------------------ */

static int fake_fd = -1;		/* container and device */
static int fake_vdev = -1;		/* the virtio-iommu device */
static int fake_check_ret = 1;		/* VFIO_CHECK_EXTENSION */
static int fake_check_errno;		/* non-zero: it fails so */
static uint32_t fake_nr_ranges = 20;	/* VFIO_IOMMU_GET_INFO */
static unsigned int fake_calls;		/* ioctls on the fake fds */
static struct vhost_memory *fake_table;	/* last VHOST_SET_MEM_TABLE */
static uint32_t fake_op_size;		/* last VFIO_EXT_PVIOMMU_BATCH's */

#define FAKE_CAP_SIZE 16	/* one device/region capability */

/*
 * VFIO's argsz-first info: the fixed part (@fixed_size bytes, @minsz of
 * them required, cap_offset at byte @cap_at) up to argsz, and one
 * capability when there is room for it; else argsz raised to what it
 * needs and cap_offset 0 (VFIO's own behaviour).
 */
static int fake_info(void *arg, const void *fixed, uint32_t fixed_size,
		     uint32_t minsz, uint32_t cap_at)
{
	struct vfio_info_cap_header h = { .id = 99, .version = 1 };
	uint32_t argsz, need = fixed_size + FAKE_CAP_SIZE;
	char tmp[64];

	memcpy(&argsz, arg, 4);
	if (argsz < minsz) {
		errno = EINVAL;
		return -1;
	}
	memcpy(tmp, fixed, fixed_size);
	if (argsz >= need) {
		memcpy(tmp + cap_at, &fixed_size, 4);
		memcpy((char *)arg + fixed_size, &h, sizeof(h));
		memset((char *)arg + fixed_size + sizeof(h), 0x5a,
		       FAKE_CAP_SIZE - sizeof(h));
		memcpy(tmp, &argsz, 4);
	} else {
		memcpy(tmp, &need, 4);
	}
	memcpy(arg, tmp, argsz < fixed_size ? argsz : fixed_size);
	return 0;
}

static int fake_iommu_info(void *arg)
{
	struct vfio_iommu_type1_info *ti = arg;
	struct vfio_iommu_type1_info_cap_iova_range rng = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			    .version = 1 },
		.nr_iovas = fake_nr_ranges,
	};
	struct vfio_iommu_type1_info_dma_avail av = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			    .version = 1 },
		.avail = 1234,
	};
	uint32_t need, i, off = sizeof(*ti);

	need = sizeof(*ti) + sizeof(rng) +
	       fake_nr_ranges * sizeof(struct vfio_iova_range) + sizeof(av);
	ti->flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	ti->iova_pgsizes = 0x40201000;
	if (ti->argsz < need) {
		ti->argsz = need;
		ti->cap_offset = 0;
		return 0;
	}
	ti->cap_offset = off;
	rng.header.next = off + sizeof(rng) +
			  fake_nr_ranges * sizeof(struct vfio_iova_range);
	memcpy((char *)ti + off, &rng, sizeof(rng));
	off += sizeof(rng);
	for (i = 0; i < fake_nr_ranges; i++) {
		struct vfio_iova_range r = {
			.start = (uint64_t)i << 32,
			.end = ((uint64_t)i << 32) + 0xfffff,
		};

		memcpy((char *)ti + off, &r, sizeof(r));
		off += sizeof(r);
	}
	memcpy((char *)ti + off, &av, sizeof(av));
	return 0;
}

static int fake_vfio(unsigned long req, void *arg)
{
	static const struct vfio_device_info dev = {
		.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CAPS,
		.num_regions = 9, .num_irqs = 5,
	};
	static const struct vfio_region_info reg = {
		.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_CAPS,
		.size = 4096, .offset = 1ULL << 40,
	};
	static const struct vfio_irq_info irq = {
		.flags = VFIO_IRQ_INFO_EVENTFD, .count = 3,
	};
	struct vfio_irq_info *ii = arg;
	uint32_t argsz;

	switch (req) {
	case VFIO_CHECK_EXTENSION:
		if (fake_check_errno) {
			errno = fake_check_errno;
			return -1;
		}
		return fake_check_ret;
	case VFIO_SET_IOMMU:
		return 0;
	case VFIO_IOMMU_GET_INFO:
		return fake_iommu_info(arg);
	case VFIO_DEVICE_GET_INFO:
		return fake_info(arg, &dev, sizeof(dev),
				 offsetof(struct vfio_device_info, cap_offset),
				 offsetof(struct vfio_device_info, cap_offset));
	case VFIO_DEVICE_GET_REGION_INFO:
		return fake_info(arg, &reg, sizeof(reg), sizeof(reg),
				 offsetof(struct vfio_region_info, cap_offset));
	case VFIO_DEVICE_GET_IRQ_INFO:
		memcpy(&argsz, arg, 4);
		if (argsz < sizeof(irq)) {
			errno = EINVAL;
			return -1;
		}
		ii->flags = irq.flags;
		ii->count = irq.count;
		return 0;
	case VFIO_EXT_PVIOMMU_VIOMMU:
		return dup(fake_vdev);
	case VFIO_EXT_PVIOMMU_BATCH:
		fake_op_size = ((struct vfio_ext_pviommu_batch *)arg)->op_size;
		((struct vfio_ext_pviommu_batch *)arg)->done =
			((struct vfio_ext_pviommu_batch *)arg)->nr;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static int fake_vhost(unsigned long req, void *arg)
{
	struct vhost_memory *m = arg;
	size_t sz;

	switch (req) {
	case VHOST_SET_OWNER:
		return 0;
	case VHOST_SET_MEM_TABLE:
		sz = sizeof(*m) + m->nregions * sizeof(m->regions[0]);
		free(fake_table);
		fake_table = malloc(sz);
		if (!fake_table) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(fake_table, m, sz);
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

/* Same inode as the fake virtio device (its dup()s included). */
static int is_vdev(int fd)
{
	struct stat a, b;

	return fake_vdev >= 0 && !fstat(fd, &a) && !fstat(fake_vdev, &b) &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == fake_fd) {
		fake_calls++;
		return fake_vfio(req, arg);
	}
	if (is_vdev(fd)) {
		fake_calls++;
		return fake_vhost(req, arg);
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

FIXTURE(fake) {
	struct vfioext_container *c;
	struct vfioext_device *d;
};

FIXTURE_SETUP(fake)
{
	fake_fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fake_fd);
	fake_vdev = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fake_vdev);
	/* Objects are one fd (internal.h): wrap the fake ones. */
	self->c = vfioext_fd_object(dup(fake_fd), sizeof(*self->c));
	self->d = vfioext_fd_object(dup(fake_fd), sizeof(*self->d));
	ASSERT_NE(NULL, self->c);
	ASSERT_NE(NULL, self->d);
	/* The dup()s are other fds: point the objects at the fake one. */
	close(self->c->fd);
	close(self->d->fd);
	self->c->fd = fake_fd;
	self->d->fd = fake_fd;
	fake_calls = 0;
}

FIXTURE_TEARDOWN(fake)
{
	free(self->c);
	free(self->d);
	close(fake_fd);
	close(fake_vdev);
	fake_fd = -1;
	fake_vdev = -1;
	free(fake_table);
	fake_table = NULL;
}

/* ------------------------------------------------------------------ */
/* Errors keep their errno                                            */
/* ------------------------------------------------------------------ */

/* A failing VFIO_CHECK_EXTENSION was reported as -ENODEV, whatever it said. */
TEST_F(fake, errno_preserved)
{
	fake_check_errno = EPERM;
	EXPECT_EQ(-EPERM, vfioext_container_set_iommu(self->c, 1));
	fake_check_errno = 0;
	fake_check_ret = 0;
	EXPECT_EQ(-ENODEV, vfioext_container_set_iommu(self->c, 1));
	fake_check_ret = 1;
	EXPECT_EQ(0, vfioext_container_set_iommu(self->c, 1));
	/* An ioctl the fake does not know: its ENOTTY comes back. */
	EXPECT_EQ(-ENOTTY, vfioext_device_reset(self->d));
}

/* ------------------------------------------------------------------ */
/* argsz-first VFIO structs: filled up to argsz, nothing cut silently   */
/* ------------------------------------------------------------------ */

TEST_F(fake, device_info_up_to_argsz)
{
	union {
		struct vfio_device_info i;
		uint8_t b[64];
	} u;

	/* A caller whose header predates cap_offset: 16 bytes, no more. */
	memset(&u, 0xaa, sizeof(u));
	u.i.argsz = 16;
	ASSERT_EQ(0, vfioext_device_get_info(self->d, &u.i));
	EXPECT_EQ(9, u.i.num_regions);
	EXPECT_EQ(5, u.i.num_irqs);
	EXPECT_EQ(0xaa, u.b[16]) {
		TH_LOG("a byte past the caller's argsz was written");
	}
	EXPECT_EQ(0xaa, u.b[23]);
	/* Capabilities exist (argsz says how much they need). */
	EXPECT_EQ(sizeof(u.i) + FAKE_CAP_SIZE, u.i.argsz);

	/* The fixed part only: not an error, the chain was not asked for. */
	memset(&u, 0xaa, sizeof(u));
	u.i.argsz = sizeof(u.i);
	ASSERT_EQ(0, vfioext_device_get_info(self->d, &u.i));
	EXPECT_EQ(sizeof(u.i) + FAKE_CAP_SIZE, u.i.argsz);
	EXPECT_EQ(0, u.i.cap_offset);
	EXPECT_EQ(0xaa, u.b[sizeof(u.i)]);

	/* Room for capabilities, not enough: -ENOSPC and the size needed. */
	memset(&u, 0xaa, sizeof(u));
	u.i.argsz = sizeof(u.i) + 8;
	EXPECT_EQ(-ENOSPC, vfioext_device_get_info(self->d, &u.i));
	EXPECT_EQ(sizeof(u.i) + FAKE_CAP_SIZE, u.i.argsz);
	EXPECT_EQ(9, u.i.num_regions);
	EXPECT_EQ(0xaa, u.b[sizeof(u.i) + 8]);

	/* Enough: the chain is there. */
	memset(&u, 0xaa, sizeof(u));
	u.i.argsz = sizeof(u.i) + FAKE_CAP_SIZE;
	ASSERT_EQ(0, vfioext_device_get_info(self->d, &u.i));
	EXPECT_EQ(sizeof(u.i), u.i.cap_offset);
	EXPECT_EQ(99, ((struct vfio_info_cap_header *)(u.b + sizeof(u.i)))->id);
	EXPECT_EQ(0xaa, u.b[sizeof(u.i) + FAKE_CAP_SIZE]);

	/* Below the first version: refused, nothing written, no ioctl. */
	memset(&u, 0xaa, sizeof(u));
	u.i.argsz = 12;
	fake_calls = 0;
	EXPECT_EQ(-EINVAL, vfioext_device_get_info(self->d, &u.i));
	EXPECT_EQ(0, fake_calls);
	EXPECT_EQ(0xaa, u.b[4]);
}

TEST_F(fake, region_and_irq_info)
{
	union {
		struct vfio_region_info r;
		uint8_t b[80];
	} u;
	struct vfio_irq_info irq;

	memset(&u, 0xaa, sizeof(u));
	u.r.argsz = sizeof(u.r);
	ASSERT_EQ(0, vfioext_region_get_info(self->d, 2, &u.r));
	EXPECT_EQ(4096, u.r.size);
	EXPECT_EQ(1ULL << 40, u.r.offset);
	EXPECT_EQ(0xaa, u.b[sizeof(u.r)]);
	u.r.argsz = sizeof(u.r) + 4;
	EXPECT_EQ(-ENOSPC, vfioext_region_get_info(self->d, 2, &u.r));
	EXPECT_EQ(sizeof(u.r) + FAKE_CAP_SIZE, u.r.argsz);
	u.r.argsz = 31;
	EXPECT_EQ(-EINVAL, vfioext_region_get_info(self->d, 2, &u.r));

	/* A region read uses the fixed part, whatever the capabilities. */
	EXPECT_EQ(-EINVAL, vfioext_region_read(self->d, 2, 4090, &irq, 8));

	memset(&irq, 0xaa, sizeof(irq));
	irq.argsz = sizeof(irq);
	ASSERT_EQ(0, vfioext_irq_get_info(self->d, 1, &irq));
	EXPECT_EQ(3, irq.count);
	irq.argsz = 8;
	EXPECT_EQ(-EINVAL, vfioext_irq_get_info(self->d, 1, &irq));
}

/* Every IOVA range comes back (the old struct kept 16 of them). */
TEST_F(fake, iommu_info_every_range)
{
	struct vfioext_iommu_info *info = (void *)1;
	uint64_t s, e;
	size_t i;

	ASSERT_EQ(0, vfioext_iommu_get_info(self->c, &info));
	EXPECT_EQ(0x40201000, vfioext_iommu_info_pgsizes(info));
	EXPECT_EQ(1234, vfioext_iommu_info_dma_avail(info));
	ASSERT_EQ(20, vfioext_iommu_info_nr_ranges(info));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, vfioext_iommu_info_range(info, i, &s, &e));
		EXPECT_EQ((uint64_t)i << 32, s);
		EXPECT_EQ(((uint64_t)i << 32) + 0xfffff, e);
	}
	EXPECT_EQ(-ERANGE, vfioext_iommu_info_range(info, 20, &s, &e));
	EXPECT_EQ(-EINVAL, vfioext_iommu_info_range(info, 0, NULL, &e));
	vfioext_iommu_info_free(info);

	fake_nr_ranges = 1000;
	ASSERT_EQ(0, vfioext_iommu_get_info(self->c, &info));
	EXPECT_EQ(1000, vfioext_iommu_info_nr_ranges(info));
	vfioext_iommu_info_free(info);
	fake_nr_ranges = 20;

	/* A failure leaves *out NULL. */
	info = (void *)1;
	EXPECT_EQ(-EINVAL, vfioext_iommu_get_info(NULL, &info));
	EXPECT_EQ(NULL, info);
	EXPECT_EQ(0, vfioext_iommu_info_nr_ranges(NULL));
	NO_LEAKS();
}

/* ------------------------------------------------------------------ */
/* Size-first structs passed in                                       */
/* ------------------------------------------------------------------ */

struct known {
	uint32_t struct_size;
	uint32_t a;
	uint64_t b;
};

struct newer {
	struct known k;
	uint64_t c;
};

TEST(struct_in)
{
	struct newer n = { .k = { sizeof(n), 1, 2 }, .c = 0 };
	struct known k;

	/* Same size, and a newer caller's zero tail: accepted. */
	ASSERT_EQ(0, vfioext_struct_in(&k, sizeof(k), &n.k, sizeof(k), 8));
	EXPECT_EQ(2, k.b);
	ASSERT_EQ(0, vfioext_struct_in(&k, sizeof(k), &n, sizeof(n), 8));
	EXPECT_EQ(1, k.a);
	/* A field this library does not know, set: -E2BIG. */
	n.c = 1;
	EXPECT_EQ(-E2BIG, vfioext_struct_in(&k, sizeof(k), &n, sizeof(n), 8));
	/* An older caller: the fields it lacks are zero. */
	k.b = 77;
	ASSERT_EQ(0, vfioext_struct_in(&k, sizeof(k), &n.k, 8, 8));
	EXPECT_EQ(1, k.a);
	EXPECT_EQ(0, k.b);
	/* Below the first version: -EINVAL. */
	EXPECT_EQ(-EINVAL, vfioext_struct_in(&k, sizeof(k), &n.k, 4, 8));
}

/* A larger region struct, as a newer header might declare it. */
struct mem_region_v2 {
	struct vfioext_mem_region r;
	uint64_t extra;
};

TEST_F(fake, mem_regions)
{
	struct vfioext_mem_region r[2] = {
		{ .struct_size = sizeof(r[0]), .gpa = 0, .size = 1 << 20,
		  .hva = (void *)0x10000 },
		{ .struct_size = sizeof(r[0]), .gpa = 1ULL << 32,
		  .size = 2 << 20, .hva = (void *)0x200000 },
	};
	struct mem_region_v2 v2[2];
	int fd = -1;

	ASSERT_EQ(0, vfioext_viommu_open(self->c, 0, r, 2, &fd));
	close(fd);
	ASSERT_NE(NULL, fake_table);
	ASSERT_EQ(2, fake_table->nregions);
	EXPECT_EQ(1ULL << 32, fake_table->regions[1].guest_phys_addr);
	EXPECT_EQ(2 << 20, fake_table->regions[1].memory_size);
	EXPECT_EQ(0x200000, fake_table->regions[1].userspace_addr);

	/* The stride is the first element's struct_size. */
	memset(v2, 0, sizeof(v2));
	v2[0].r = r[0];
	v2[1].r = r[1];
	v2[0].r.struct_size = sizeof(v2[0]);
	v2[1].r.struct_size = sizeof(v2[0]);
	ASSERT_EQ(0, vfioext_viommu_open(self->c, 0, &v2[0].r, 2, &fd));
	close(fd);
	EXPECT_EQ(1ULL << 32, fake_table->regions[1].guest_phys_addr);

	/* Refused before anything is created: no ioctl at all. */
	fake_calls = 0;
	v2[1].extra = 5;		/* unknown, non-zero */
	EXPECT_EQ(-E2BIG, vfioext_viommu_open(self->c, 0, &v2[0].r, 2, &fd));
	v2[1].extra = 0;
	v2[1].r.struct_size = sizeof(r[0]);	/* unlike the first */
	EXPECT_EQ(-EINVAL, vfioext_viommu_open(self->c, 0, &v2[0].r, 2, &fd));
	r[1].flags = 1;			/* none defined */
	EXPECT_EQ(-EINVAL, vfioext_viommu_open(self->c, 0, r, 2, &fd));
	r[1].flags = 0;
	r[0].struct_size = 16;		/* below the first version */
	EXPECT_EQ(-EINVAL, vfioext_viommu_open(self->c, 0, r, 2, &fd));
	EXPECT_EQ(0, fake_calls);
	NO_LEAKS();
}

/* A batch's stride is the caller's entry size (it was the library's). */
TEST_F(fake, batch_op_size)
{
	struct {
		struct vfio_ext_pviommu_op op;
		uint64_t newer;
	} big[3];
	uint32_t done = 0;

	memset(big, 0, sizeof(big));
	ASSERT_EQ(0, vfioext_dma_batch(self->c, &big[0].op, sizeof(big[0]), 3,
				       &done));
	EXPECT_EQ(sizeof(big[0]), fake_op_size);
	EXPECT_EQ(3, done);
	fake_calls = 0;
	EXPECT_EQ(-E2BIG, vfioext_dma_batch(self->c, &big[0].op,
					    (size_t)UINT32_MAX + 1, 3, &done));
	EXPECT_EQ(-EINVAL, vfioext_dma_batch(self->c, NULL, sizeof(big[0]), 3,
					     &done));
	EXPECT_EQ(0, fake_calls);
}

/* ------------------------------------------------------------------ */
/* Nothing cut short                                                  */
/* ------------------------------------------------------------------ */

/* A sysfs value longer than the buffer was cut to fit and returned. */
TEST(sysfs_read_no_truncation)
{
	char path[] = "/tmp/vfioext-unit-XXXXXX", buf[16], big[21];
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	ASSERT_EQ(20, write(fd, "0123456789abcdefghi\n", 20));
	close(fd);
	EXPECT_EQ(-ENOSPC, vfioext_sysfs_read(path, buf, sizeof(buf)));
	EXPECT_EQ(-ENOSPC, vfioext_sysfs_read(path, big, 20));
	EXPECT_EQ(-EINVAL, vfioext_sysfs_read(path, buf, 0));
	/* 20 bytes and the NUL fit in 21; the newline is dropped. */
	EXPECT_EQ(19, vfioext_sysfs_read(path, big, sizeof(big)));
	EXPECT_STREQ("0123456789abcdefghi", big);
	unlink(path);
}

/* ------------------------------------------------------------------ */
/* Timed reads with several readers                                   */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct reader {
	pthread_t t;
	int fd;
	int timeout_ms;
	int ret;
	int64_t took_ms;
};

static void *reader_main(void *arg)
{
	struct vfio_ext_acpi_notify_record rec[4];
	struct reader *r = arg;
	int64_t t0 = now_ms();

	r->ret = vfioext_acpi_notify_read(r->fd, rec, 4, r->timeout_ms);
	r->took_ms = now_ms() - t0;
	return NULL;
}

/*
 * Four threads wait on one channel (here a non-blocking pipe carrying
 * whole records) with a 400 ms timeout; one record arrives after 100 ms.
 * One reader gets it; the other three were woken too, found nothing, and
 * must go on waiting until their own timeout (not return -EAGAIN at once,
 * not sleep in read() for ever).
 */
TEST(notify_read_several_readers)
{
	struct vfio_ext_acpi_notify_record rec = { .seq = 7, .value = 0x80 };
	struct reader r[4];
	int p[2], i, got = 0, timedout = 0;

	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	for (i = 0; i < 4; i++) {
		r[i] = (struct reader){ .fd = p[0], .timeout_ms = 400 };
		ASSERT_EQ(0, pthread_create(&r[i].t, NULL, reader_main, &r[i]));
	}
	usleep(100 * 1000);
	ASSERT_EQ(sizeof(rec), write(p[1], &rec, sizeof(rec)));
	for (i = 0; i < 4; i++) {
		pthread_join(r[i].t, NULL);
		if (r[i].ret == 1) {
			got++;
			EXPECT_GT(300, r[i].took_ms);
		} else {
			EXPECT_EQ(-ETIMEDOUT, r[i].ret);
			timedout++;
			/* By its timeout: not before, not long after. */
			EXPECT_LE(390, r[i].took_ms);
			EXPECT_GT(1400, r[i].took_ms);
		}
	}
	EXPECT_EQ(1, got);
	EXPECT_EQ(3, timedout);

	/* 0: the writer is gone and everything was read. */
	close(p[1]);
	r[0] = (struct reader){ .fd = p[0], .timeout_ms = 2000 };
	reader_main(&r[0]);
	EXPECT_EQ(0, r[0].ret);
	EXPECT_GT(1000, r[0].took_ms);
	close(p[0]);

	/* A blocking fd cannot honour a timeout with several readers. */
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	r[0] = (struct reader){ .fd = p[0], .timeout_ms = 100 };
	reader_main(&r[0]);
	EXPECT_EQ(-EINVAL, r[0].ret);
	close(p[0]);
	close(p[1]);
}

/* Timeout 0 does not wait; a record already there is read at once. */
TEST(notify_read_no_wait)
{
	struct vfio_ext_acpi_notify_record rec = { .seq = 1 }, out[2];
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_NONBLOCK | O_CLOEXEC));
	EXPECT_EQ(-ETIMEDOUT, vfioext_acpi_notify_read(p[0], out, 2, 0));
	ASSERT_EQ(sizeof(rec), write(p[1], &rec, sizeof(rec)));
	EXPECT_EQ(1, vfioext_acpi_notify_read(p[0], out, 2, 0));
	EXPECT_EQ(1, out[0].seq);
	EXPECT_EQ(-EINVAL, vfioext_acpi_notify_read(p[0], out, 2, -2));
	close(p[0]);
	close(p[1]);
}

TEST_HARNESS_MAIN
