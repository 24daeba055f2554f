/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest driver's side of one split virtqueue, laid out by a test or a
 * benchmark in its own memory ("guest RAM": a GPA is an offset into it)
 * for the in-kernel virtio-iommu, or a userspace backend, to serve.  The
 * descriptor table and the driver and device rings sit at fixed GPAs; a
 * virtio-iommu request is a chain of two descriptors in a slot of its
 * own: the request bytes (VG_REQ + 64 * slot), then the device-writable
 * part ending in the status (VG_RESP + 16 * slot).  Chain heads are even:
 * the chain of driver-ring entry i starts at descriptor 2 * i.
 *
 * Used by selftests/viommu and tools/bench.  Header-only: the benchmark
 * is built without the selftests' common objects.
 */
#ifndef VRING_GUEST_H
#define VRING_GUEST_H

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/vfio_ext.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_iommu.h>
#include <linux/virtio_ring.h>

#define VG_DESC		0x1000
#define VG_AVAIL	0x2000
#define VG_USED		0x3000
#define VG_RINGS_END	0x4000
#define VG_REQ		0x10000
#define VG_RESP		0x11000
#define VG_REQ_SLOT	64
#define VG_RESP_SLOT	16

/* What the in-kernel virtio-iommu offers, and a test driver acks. */
#define VG_IOMMU_FEATURES	((1ULL << VIRTIO_F_VERSION_1) |		\
				 (1ULL << VIRTIO_IOMMU_F_INPUT_RANGE) |	\
				 (1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE) |	\
				 (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP) |	\
				 (1ULL << VIRTIO_IOMMU_F_PROBE))

struct vring_guest {
	uint8_t *ram;
	unsigned int qnum;	/* queue size: a power of two */
	int kick;		/* eventfd the driver writes to notify */
	int call;		/* eventfd the device signals used entries on */
	uint16_t avail_idx;	/* driver-ring index published */
	uint16_t pending;	/* chains added since, not yet published */
	uint16_t used_seen;	/* device-ring entries consumed */
};

static inline void *vg_gpa(const struct vring_guest *g, uint64_t a)
{
	return g->ram + a;
}

/* Empty rings, indices back to 0 (a queue as after a device reset). */
static inline void vg_reset(struct vring_guest *g)
{
	memset(vg_gpa(g, VG_DESC), 0, VG_RINGS_END - VG_DESC);
	g->avail_idx = 0;
	g->pending = 0;
	g->used_seen = 0;
}

/* Head of the next request chain: two descriptors per driver-ring entry. */
static inline uint16_t vg_next_head(const struct vring_guest *g)
{
	return ((g->avail_idx + g->pending) * 2) % g->qnum;
}

/* Write a chain of @n descriptors at @head into the driver ring, unpublished. */
static inline void vg_add(struct vring_guest *g, const struct vring_desc *d,
			  unsigned int n, uint16_t head)
{
	struct vring_desc *desc = vg_gpa(g, VG_DESC);
	struct vring_avail *avail = vg_gpa(g, VG_AVAIL);
	unsigned int i;

	for (i = 0; i < n; i++)
		desc[(head + i) % g->qnum] = d[i];
	avail->ring[(uint16_t)(g->avail_idx + g->pending) % g->qnum] = head;
	g->pending++;
}

/* Make what was added visible to the device (no notification). */
static inline void vg_publish(struct vring_guest *g)
{
	struct vring_avail *avail = vg_gpa(g, VG_AVAIL);

	g->avail_idx += g->pending;
	g->pending = 0;
	__atomic_store_n(&avail->idx, g->avail_idx, __ATOMIC_RELEASE);
}

/*
 * Add request @req (@len bytes) in slot @slot with @in_len device-writable
 * bytes, filled with 0xee so that the device's status shows; unpublished.
 * Returns the chain's head.
 */
static inline uint16_t vg_add_req(struct vring_guest *g, unsigned int slot,
				  const void *req, uint32_t len,
				  uint32_t in_len)
{
	uint16_t head = vg_next_head(g);
	struct vring_desc d[2] = {
		{ .addr = VG_REQ + VG_REQ_SLOT * slot, .len = len,
		  .flags = VRING_DESC_F_NEXT, .next = (head + 1) % g->qnum },
		{ .addr = VG_RESP + VG_RESP_SLOT * slot, .len = in_len,
		  .flags = VRING_DESC_F_WRITE },
	};

	memcpy(vg_gpa(g, d[0].addr), req, len);
	memset(vg_gpa(g, d[1].addr), 0xee, in_len);
	vg_add(g, d, 2, head);
	return head;
}

/* The status byte of a request in @slot with 4 writable bytes. */
static inline uint8_t vg_slot_status(const struct vring_guest *g,
				     unsigned int slot)
{
	return *(uint8_t *)vg_gpa(g, VG_RESP + VG_RESP_SLOT * slot);
}

static inline int vg_kick(const struct vring_guest *g)
{
	uint64_t v = 1;

	return write(g->kick, &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
}

/*
 * Wait until the device ring's index has reached @want, on the call
 * eventfd: each wait up to @timeout_ms, or with @timeout_ms < 0 a blocking
 * read (an eventfd without O_NONBLOCK; no poll() in a measured loop).
 * 0, -ETIMEDOUT or -errno.
 */
static inline int vg_wait_used_idx(const struct vring_guest *g, uint16_t want,
				   int timeout_ms)
{
	struct vring_used *used = vg_gpa(g, VG_USED);
	struct pollfd pfd = { .fd = g->call, .events = POLLIN };
	uint64_t v;

	while ((int16_t)(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) -
			 want) < 0) {
		if (timeout_ms >= 0 && poll(&pfd, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		if (read(g->call, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return -errno;
	}
	return 0;
}

/*
 * Consume the next device-ring entry (waiting up to @timeout_ms for it);
 * -EPROTO if it is not @head's chain.  Its length in @used_len.
 */
static inline int vg_wait_used(struct vring_guest *g, uint16_t head,
			       uint32_t *used_len, int timeout_ms)
{
	struct vring_used *used = vg_gpa(g, VG_USED);
	struct vring_used_elem *e;
	int ret = vg_wait_used_idx(g, g->used_seen + 1, timeout_ms);

	if (ret)
		return ret;
	e = &used->ring[g->used_seen % g->qnum];
	if (used_len)
		*used_len = e->len;
	if (e->id != head)
		return -EPROTO;
	g->used_seen++;
	return 0;
}

/* VMM side: a virtio-iommu device fd for @container, or -errno. */
static inline int vg_viommu_create(int container, uint32_t flags)
{
	struct vfio_ext_pviommu_viommu a = {
		.argsz = sizeof(a), .flags = flags,
	};
	int fd = ioctl(container, VFIO_EXT_PVIOMMU_VIOMMU, &a);

	return fd < 0 ? -errno : fd;
}

/* VMM side: one memory region, guest-physical 0 .. @size at @ram. */
static inline int vg_set_mem_table(int dev, void *ram, uint64_t size)
{
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem = {
		.m.nregions = 1,
		.r = { .guest_phys_addr = 0, .memory_size = size,
		       .userspace_addr = (uintptr_t)ram },
	};

	return ioctl(dev, VHOST_SET_MEM_TABLE, &mem) ? -errno : 0;
}

/* The newest in-kernel virtio-iommu worker thread ("vext-viommu-PID"), or 0. */
static inline pid_t vg_viommu_worker(void)
{
	char path[300], comm[32];
	pid_t best = 0, pid;
	struct dirent *de;
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid <= best)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, "vext-viommu-", 12))
			best = pid;
		fclose(f);
	}
	closedir(d);
	return best;
}

#endif /* VRING_GUEST_H */
