// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: the in-kernel virtio-iommu device, through the vhost /
 * vhost-vdpa ioctls of <linux/vhost.h>.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>

#include "vfioext.h"
#include "internal.h"

/* Not in 6.1's <linux/vhost.h> (the number is uAPI, as 6.12 defines it). */
#ifndef VHOST_VDPA_RESUME
#define VHOST_VDPA_RESUME	_IO(VHOST_VIRTIO, 0x7E)
#endif
#ifndef VHOST_BACKEND_F_SUSPEND
#define VHOST_BACKEND_F_SUSPEND	0x4
#endif
#ifndef VHOST_BACKEND_F_RESUME
#define VHOST_BACKEND_F_RESUME	0x5
#endif

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* offsetof(.., r) is the alignment of struct vfioext_mem_region. */
struct mem_region_align {
	char c;
	struct vfioext_mem_region r;
};

/*
 * The vhost memory table of @nr size-first regions (vfioext.h, "Structs
 * that grow"), every one checked before anything is created: the array's
 * stride is the first region's struct_size, and every region must say
 * the same.
 */
static int mem_table(const struct vfioext_mem_region *regions,
		     unsigned int nr, struct vhost_memory **out)
{
	const size_t min = offsetof(struct vfioext_mem_region, hva) +
			   sizeof(regions->hva);
	const char *p = (const char *)regions;
	struct vfioext_mem_region r;
	struct vhost_memory *m;
	uint32_t stride = 0;
	unsigned int i;
	int ret;

	if (nr && !regions)
		return -EINVAL;
	if (nr > VFIOEXT_VIOMMU_MAX_REGIONS)
		return -E2BIG;
	if (nr) {
		stride = regions->struct_size;
		if (stride % offsetof(struct mem_region_align, r))
			return -EINVAL;
		if (stride > VFIOEXT_STRUCT_MAX)
			return -E2BIG;
	}
	m = calloc(1, sizeof(*m) + (size_t)nr * sizeof(m->regions[0]));
	if (!m)
		return -ENOMEM;
	m->nregions = nr;
	for (i = 0; i < nr; i++, p += stride) {
		const struct vfioext_mem_region *u = (const void *)p;

		ret = -EINVAL;
		if (u->struct_size != stride)
			goto err;
		ret = vfioext_struct_in(&r, sizeof(r), u, stride, min);
		if (ret)
			goto err;
		ret = -EINVAL;
		if (r.flags)
			goto err;	/* none defined yet */
		m->regions[i].guest_phys_addr = r.gpa;
		m->regions[i].memory_size = r.size;
		m->regions[i].userspace_addr = (uintptr_t)r.hva;
	}
	*out = m;
	return 0;
err:
	free(m);
	return ret;
}

int vfioext_viommu_open(struct vfioext_container *c, uint32_t flags,
			const struct vfioext_mem_region *regions,
			unsigned int nr, int *fd)
{
	struct vfio_ext_pviommu_viommu a = {
		.argsz = sizeof(a), .flags = flags,
	};
	int cfd = vfioext_container_fd(c), dfd, ret;
	struct vhost_memory *m;

	if (cfd < 0)
		return cfd;
	if (!fd)
		return -EINVAL;
	ret = mem_table(regions, nr, &m);
	if (ret)
		return ret;
	dfd = ioctl(cfd, VFIO_EXT_PVIOMMU_VIOMMU, &a);
	if (dfd < 0) {
		ret = -errno;
		free(m);
		return ret;
	}
	ret = xioctl(dfd, VHOST_SET_OWNER, NULL);
	if (!ret)
		ret = xioctl(dfd, VHOST_SET_MEM_TABLE, m);
	free(m);
	if (ret) {
		close(dfd);
		return ret;
	}
	*fd = dfd;
	return 0;
}

int vfioext_virtio_setup_vring(int fd, unsigned int index, unsigned int num,
			       void *desc, void *avail, void *used, int kick,
			       int call)
{
	struct vhost_vring_state s = { .index = index, .num = num };
	struct vhost_vring_addr a = {
		.index = index,
		.desc_user_addr = (uintptr_t)desc,
		.avail_user_addr = (uintptr_t)avail,
		.used_user_addr = (uintptr_t)used,
	};
	struct vhost_vring_file k = { .index = index, .fd = kick };
	struct vhost_vring_file cl = { .index = index, .fd = call };
	struct vhost_vring_state base = { .index = index, .num = 0 };
	struct vhost_vring_state en = { .index = index, .num = 1 };
	int ret;

	ret = xioctl(fd, VHOST_SET_VRING_NUM, &s);
	if (!ret)
		ret = xioctl(fd, VHOST_SET_VRING_ADDR, &a);
	if (!ret)
		ret = xioctl(fd, VHOST_SET_VRING_BASE, &base);
	if (!ret)
		ret = xioctl(fd, VHOST_SET_VRING_KICK, &k);
	if (!ret)
		ret = xioctl(fd, VHOST_SET_VRING_CALL, &cl);
	if (!ret)
		ret = xioctl(fd, VHOST_VDPA_SET_VRING_ENABLE, &en);
	return ret;
}

int vfioext_virtio_set_status(int fd, uint8_t status)
{
	return xioctl(fd, VHOST_VDPA_SET_STATUS, &status);
}

int vfioext_virtio_get_status(int fd, uint8_t *status)
{
	return xioctl(fd, VHOST_VDPA_GET_STATUS, status);
}

int vfioext_virtio_negotiate(int fd, uint64_t features)
{
	uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	int ret;

	ret = vfioext_virtio_set_status(fd, st);
	st |= VIRTIO_CONFIG_S_DRIVER;
	if (!ret)
		ret = vfioext_virtio_set_status(fd, st);
	if (!ret)
		ret = xioctl(fd, VHOST_SET_FEATURES, &features);
	st |= VIRTIO_CONFIG_S_FEATURES_OK;
	if (!ret)
		ret = vfioext_virtio_set_status(fd, st);
	if (!ret)
		ret = vfioext_virtio_get_status(fd, &st);
	if (!ret && !(st & VIRTIO_CONFIG_S_FEATURES_OK))
		ret = -EPROTO;
	return ret;
}

int vfioext_virtio_get_backend_features(int fd, uint64_t *features)
{
	if (!features)
		return -EINVAL;
	return xioctl(fd, VHOST_GET_BACKEND_FEATURES, features);
}

int vfioext_virtio_set_backend_features(int fd, uint64_t features)
{
	return xioctl(fd, VHOST_SET_BACKEND_FEATURES, &features);
}

/*
 * 0 if the backend offers feature @bit, -EOPNOTSUPP if not (a module
 * without backend features answers ENOTTY: it offers none), or -errno.
 * Asked first because a backend without the ioctl does not say ENOTTY
 * to it: vhost's fall through to the ring ioctls (EFAULT for NULL).
 */
static int backend_offers(int fd, unsigned int bit)
{
	uint64_t f = 0;
	int ret = xioctl(fd, VHOST_GET_BACKEND_FEATURES, &f);

	if (ret == -ENOTTY)
		return -EOPNOTSUPP;
	if (ret)
		return ret;
	return f & (1ULL << bit) ? 0 : -EOPNOTSUPP;
}

int vfioext_virtio_suspend(int fd)
{
	int ret = backend_offers(fd, VHOST_BACKEND_F_SUSPEND);

	return ret ? ret : xioctl(fd, VHOST_VDPA_SUSPEND, NULL);
}

int vfioext_virtio_resume(int fd)
{
	int ret = backend_offers(fd, VHOST_BACKEND_F_RESUME);

	return ret ? ret : xioctl(fd, VHOST_VDPA_RESUME, NULL);
}

uint64_t vfioext_virtio_log_bytes(uint64_t gpa_end)
{
	/* A byte covers 8 pages of 4 KiB: round up without overflow. */
	return gpa_end / 0x8000 + !!(gpa_end % 0x8000);
}

int vfioext_virtio_set_log(int fd, void *bitmap, int log_fd)
{
	uint64_t base = (uintptr_t)bitmap;
	int ret = xioctl(fd, VHOST_SET_LOG_BASE, &base);

	if (!ret)
		ret = xioctl(fd, VHOST_SET_LOG_FD, &log_fd);
	return ret;
}

int vfioext_virtio_log_vring(int fd, unsigned int index, void *desc,
			     void *avail, void *used, uint64_t used_gpa,
			     int log)
{
	struct vhost_vring_addr a = {
		.index = index,
		.flags = log ? 1U << VHOST_VRING_F_LOG : 0,
		.desc_user_addr = (uintptr_t)desc,
		.avail_user_addr = (uintptr_t)avail,
		.used_user_addr = (uintptr_t)used,
		.log_guest_addr = used_gpa,
	};

	return xioctl(fd, VHOST_SET_VRING_ADDR, &a);
}

int vfioext_virtio_log_all(int fd, uint64_t features, int on)
{
	features &= ~(1ULL << VHOST_F_LOG_ALL);
	if (on)
		features |= 1ULL << VHOST_F_LOG_ALL;
	return xioctl(fd, VHOST_SET_FEATURES, &features);
}

int vfioext_virtio_config(int fd, unsigned int off, void *buf,
			  unsigned int len, int write)
{
	struct vhost_vdpa_config *c;
	int ret;

	if (!buf || !len || len > VFIOEXT_VIRTIO_CONFIG_MAX)
		return -EINVAL;
	c = malloc(sizeof(*c) + len);
	if (!c)
		return -ENOMEM;
	c->off = off;
	c->len = len;
	if (write)
		memcpy(c->buf, buf, len);
	ret = xioctl(fd, write ? VHOST_VDPA_SET_CONFIG : VHOST_VDPA_GET_CONFIG,
		     c);
	if (!ret && !write)
		memcpy(buf, c->buf, len);
	free(c);
	return ret;
}

static long device_state(int fd, int state_fd, uint32_t flags)
{
	struct vfio_ext_virtio_state a = {
		.argsz = sizeof(a), .flags = flags, .fd = state_fd,
	};
	int ret = ioctl(fd, VFIO_EXT_VIRTIO_DEVICE_STATE, &a);

	return ret < 0 ? -errno : ret;
}

long vfioext_virtio_save_state(int fd, int state_fd)
{
	return device_state(fd, state_fd, VFIO_EXT_VIRTIO_STATE_SAVE);
}

long vfioext_virtio_load_state(int fd, int state_fd)
{
	return device_state(fd, state_fd, VFIO_EXT_VIRTIO_STATE_LOAD);
}
