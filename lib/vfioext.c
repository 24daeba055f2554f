// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: containers, groups, devices, DMA mappings and the sysfs
 * plumbing around them.  See vfioext.h for the contract of each function.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfioext.h"
#include "internal.h"

#ifndef VFIOEXT_VERSION_STRING
#define VFIOEXT_VERSION_STRING "0.0.0"
#endif

#define SYSFS_PCI "/sys/bus/pci"

struct vfioext_container {
	int fd;
};

struct vfioext_group {
	int fd;
};

struct vfioext_device {
	int fd;
};

/*
 * Containers, groups and devices are each one fd, the first member of
 * their struct: one allocator and one destructor serve all three.
 */
static void *fd_object(int fd, size_t size)
{
	int *obj = calloc(1, size);

	if (!obj) {
		close(fd);
		return NULL;
	}
	*obj = fd;
	return obj;
}

static void fd_object_close(int *obj)
{
	if (!obj)
		return;
	close(*obj);
	free(obj);
}

const char *vfioext_version(void)
{
	return VFIOEXT_VERSION_STRING;
}

/* ------------------------------------------------------------------ */
/* Pure helpers                                                       */
/* ------------------------------------------------------------------ */

const struct vfio_info_cap_header *
vfioext_cap_find(const void *buf, size_t len, uint32_t cap_offset,
		 uint16_t id, size_t min_size)
{
	const struct vfio_info_cap_header *hdr;
	uint64_t off = cap_offset;
	uint64_t prev = 0;

	if (min_size < sizeof(*hdr))
		min_size = sizeof(*hdr);

	while (off) {
		/* Strictly increasing offsets: a chain cannot loop. */
		/*
		 * 4-aligned only: Linux before 6.7 packs capabilities
		 * unpadded (type1's 12-byte DMA_AVAIL misaligns the next
		 * one), so callers read u64 fields with memcpy().
		 */
		if (off <= prev || off % 4 || off > len || len - off < min_size)
			return NULL;
		hdr = (const void *)((const char *)buf + off);
		if (hdr->id == id)
			return hdr;
		prev = off;
		off = hdr->next;
	}
	return NULL;
}

int vfioext_range_ok(uint64_t iova, uint64_t size, uint64_t align)
{
	if (!size || !align || (align & (align - 1)))
		return 0;
	if ((iova | size) & (align - 1))
		return 0;
	return iova + size - 1 >= iova;
}

/* Parse 1..@maxdig hex digits; NULL unless followed by a non-digit. */
static const char *hexfield(const char *p, unsigned int maxdig,
			    unsigned int *v)
{
	unsigned int n = 0, val = 0;

	while (n < maxdig && isxdigit((unsigned char)*p)) {
		val = val * 16 + (isdigit((unsigned char)*p) ? *p - '0' :
				  tolower((unsigned char)*p) - 'a' + 10);
		p++;
		n++;
	}
	if (!n || isxdigit((unsigned char)*p))
		return NULL;
	*v = val;
	return p;
}

int vfioext_bdf_canon(const char *in, char out[VFIOEXT_BDF_LEN])
{
	unsigned int dom = 0, bus, dev, fn;
	const char *p = in, *c;

	if (!in || !out)
		return -EINVAL;
	c = strchr(in, ':');
	if (c && strchr(c + 1, ':')) {
		p = hexfield(p, 8, &dom);
		if (!p || *p++ != ':')
			return -EINVAL;
	}
	p = hexfield(p, 2, &bus);
	if (!p || *p++ != ':')
		return -EINVAL;
	p = hexfield(p, 2, &dev);
	if (!p || *p++ != '.')
		return -EINVAL;
	p = hexfield(p, 1, &fn);
	if (!p || *p || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, VFIOEXT_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

/* ------------------------------------------------------------------ */
/* sysfs                                                              */
/* ------------------------------------------------------------------ */

int vfioext_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (!len)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n;
}

int vfioext_sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return (size_t)n == len ? 0 : -EIO;
}

static int pci_path(char *buf, size_t len, const char *bdf, const char *attr)
{
	char canon[VFIOEXT_BDF_LEN];
	int n, ret;

	ret = vfioext_bdf_canon(bdf, canon);
	if (ret)
		return ret;
	n = snprintf(buf, len, SYSFS_PCI "/devices/%s%s%s", canon,
		     attr ? "/" : "", attr ? attr : "");
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (access(buf, F_OK)) {
		/* Distinguish a missing device from a missing attribute. */
		snprintf(buf, len, SYSFS_PCI "/devices/%s", canon);
		ret = access(buf, F_OK) ? -ENODEV : -ENOENT;
		return ret;
	}
	return 0;
}

static int pci_id_attr(const char *bdf, const char *attr, unsigned long *v)
{
	char path[PATH_MAX], buf[32], *end;
	int ret;

	snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/%s", bdf, attr);
	ret = vfioext_sysfs_read(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	*v = strtoul(buf, &end, 16);
	return errno || *end ? -EIO : 0;
}

static int bdf_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int vfioext_pci_find(uint16_t vendor, uint16_t device, unsigned int n,
		     char out[VFIOEXT_BDF_LEN])
{
	struct dirent **list;
	unsigned long ven, dev;
	int i, cnt, ret = -ENODEV;

	if (!out)
		return -EINVAL;
	cnt = scandir(SYSFS_PCI "/devices", &list, NULL, bdf_cmp);
	if (cnt < 0)
		return -errno;
	for (i = 0; i < cnt; i++) {
		const char *name = list[i]->d_name;

		if (ret == -ENODEV && name[0] != '.' &&
		    !pci_id_attr(name, "vendor", &ven) && ven == vendor &&
		    !pci_id_attr(name, "device", &dev) && dev == device &&
		    n-- == 0)
			ret = vfioext_bdf_canon(name, out);
		free(list[i]);
	}
	free(list);
	return ret;
}

int vfioext_pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;
	char *end;
	long grp;
	int ret;

	ret = pci_path(path, sizeof(path), bdf, "iommu_group");
	if (ret)
		return ret;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	errno = 0;
	grp = strtol(base, &end, 10);
	if (errno || *end || end == base || grp < 0 || grp > INT_MAX)
		return -EIO;
	return (int)grp;
}

int vfioext_pci_driver(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;
	int ret;

	if (!buf || !len)
		return -EINVAL;
	ret = pci_path(path, sizeof(path), bdf, NULL);
	if (ret)
		return ret;
	strncat(path, "/driver", sizeof(path) - strlen(path) - 1);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		buf[0] = '\0';
		return 0;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int vfioext_pci_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], cur[64], canon[VFIOEXT_BDF_LEN];
	int ret;

	if (!driver || !*driver || strchr(driver, '/') || strlen(driver) >= 64)
		return -EINVAL;
	ret = vfioext_bdf_canon(bdf, canon);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), SYSFS_PCI "/drivers/%s", driver);
	if (access(path, F_OK))
		return -ENOENT;

	ret = vfioext_pci_driver(canon, cur, sizeof(cur));
	if (ret)
		return ret;
	if (!strcmp(cur, driver))
		return 0;

	ret = pci_path(path, sizeof(path), canon, "driver_override");
	if (ret)
		return ret;
	ret = vfioext_sysfs_write(path, driver);
	if (ret)
		return ret;

	if (cur[0]) {
		snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/driver/unbind",
			 canon);
		ret = vfioext_sysfs_write(path, canon);
		if (ret && ret != -ENOENT && ret != -ENODEV)
			return ret;
	}
	/* drivers_probe reports the probe's error, e.g. a denylisted device. */
	ret = vfioext_sysfs_write(SYSFS_PCI "/drivers_probe", canon);
	if (ret)
		return ret;

	ret = vfioext_pci_driver(canon, cur, sizeof(cur));
	if (ret)
		return ret;
	return strcmp(cur, driver) ? -EBUSY : 0;
}

int vfioext_pci_unbind(const char *bdf)
{
	char path[PATH_MAX], cur[64], canon[VFIOEXT_BDF_LEN];
	int ret;

	ret = vfioext_bdf_canon(bdf, canon);
	if (ret)
		return ret;
	ret = vfioext_pci_driver(canon, cur, sizeof(cur));
	if (ret)
		return ret;
	if (cur[0]) {
		snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/driver/unbind",
			 canon);
		ret = vfioext_sysfs_write(path, canon);
		if (ret)
			return ret;
	}
	ret = pci_path(path, sizeof(path), canon, "driver_override");
	if (ret)
		return ret;
	/* A lone newline clears driver_override. */
	return vfioext_sysfs_write(path, "\n");
}

/* ------------------------------------------------------------------ */
/* Containers                                                         */
/* ------------------------------------------------------------------ */

int vfioext_container_open(struct vfioext_container **out)
{
	int fd, ret;

	if (!out)
		return -EINVAL;
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, VFIO_GET_API_VERSION);
	if (ret != VFIO_API_VERSION) {
		close(fd);
		return -EPROTO;
	}
	*out = fd_object(fd, sizeof(struct vfioext_container));
	return *out ? 0 : -ENOMEM;
}

void vfioext_container_close(struct vfioext_container *c)
{
	fd_object_close(c ? &c->fd : NULL);
}

int vfioext_container_fd(const struct vfioext_container *c)
{
	return c ? c->fd : -EINVAL;
}

int vfioext_container_set_iommu(struct vfioext_container *c,
				unsigned long type)
{
	if (!c)
		return -EINVAL;
	if (ioctl(c->fd, VFIO_CHECK_EXTENSION, type) <= 0)
		return -ENODEV;
	return ioctl(c->fd, VFIO_SET_IOMMU, type) ? -errno : 0;
}

int vfioext_iommu_get_info(struct vfioext_container *c,
			   struct vfioext_iommu_info *info)
{
	const struct vfio_iommu_type1_info_cap_iova_range *rng;
	const struct vfio_iommu_type1_info_dma_avail *avail;
	const struct vfio_info_cap_header *hdr;
	struct vfio_iommu_type1_info *ti;
	uint32_t argsz = sizeof(*ti), i, n;
	int ret = 0;

	if (!c || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->dma_avail = UINT32_MAX;

	/* Ask once for the size, again with room for the capabilities. */
	for (;;) {
		ti = calloc(1, argsz);
		if (!ti)
			return -ENOMEM;
		ti->argsz = argsz;
		if (ioctl(c->fd, VFIO_IOMMU_GET_INFO, ti)) {
			ret = -errno;
			goto out;
		}
		if (ti->argsz <= argsz)
			break;
		if (ti->argsz > (1u << 20)) {
			ret = -E2BIG;
			goto out;
		}
		argsz = ti->argsz;
		free(ti);
	}

	if (ti->flags & VFIO_IOMMU_INFO_PGSIZES)
		info->pgsizes = ti->iova_pgsizes;
	if (!(ti->flags & VFIO_IOMMU_INFO_CAPS))
		goto out;

	hdr = vfioext_cap_find(ti, argsz, ti->cap_offset,
			       VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			       sizeof(*rng));
	if (hdr) {
		const size_t nr_off =
			offsetof(struct vfio_iommu_type1_info_cap_iova_range,
				 nr_iovas);
		const char *base = (const char *)hdr;
		size_t off = (size_t)(base - (const char *)ti);
		struct vfio_iova_range r;

		/* Possibly misaligned (see vfioext_cap_find()): memcpy. */
		memcpy(&n, base + nr_off, sizeof(n));
		/* The ranges themselves must fit in the buffer too. */
		if (n > (argsz - off - sizeof(*rng)) / sizeof(r)) {
			ret = -EIO;
			goto out;
		}
		info->nr_ranges_total = n;
		if (n > VFIOEXT_MAX_IOVA_RANGES)
			n = VFIOEXT_MAX_IOVA_RANGES;
		for (i = 0; i < n; i++) {
			memcpy(&r, base + sizeof(*rng) + i * sizeof(r),
			       sizeof(r));
			info->ranges[i].start = r.start;
			info->ranges[i].end = r.end;
		}
		info->nr_ranges = n;
	}
	hdr = vfioext_cap_find(ti, argsz, ti->cap_offset,
			       VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, sizeof(*avail));
	if (hdr)
		memcpy(&info->dma_avail, (const char *)hdr +
		       offsetof(struct vfio_iommu_type1_info_dma_avail, avail),
		       sizeof(info->dma_avail));
out:
	free(ti);
	return ret;
}

int vfioext_dma_map(struct vfioext_container *c, void *vaddr, uint64_t iova,
		    uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};
	long pg = sysconf(_SC_PAGESIZE);

	if (!c || !vaddr || (flags & ~(VFIO_DMA_MAP_FLAG_READ |
				       VFIO_DMA_MAP_FLAG_WRITE)))
		return -EINVAL;
	if (!vfioext_range_ok(iova, size, (uint64_t)pg) ||
	    !vfioext_range_ok((uintptr_t)vaddr, size, (uint64_t)pg))
		return -EINVAL;
	return ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

int64_t vfioext_dma_unmap(struct vfioext_container *c, uint64_t iova,
			  uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (!c)
		return -EINVAL;
	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return (int64_t)unmap.size;
}

/* ------------------------------------------------------------------ */
/* Groups                                                             */
/* ------------------------------------------------------------------ */

int vfioext_group_open(struct vfioext_container *c, int group,
		       struct vfioext_group **out)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[32];
	int fd, ret;

	if (!c || !out || group < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st)) {
		ret = -errno;
		goto err;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = -EPERM;
		goto err;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &c->fd)) {
		ret = -errno;
		goto err;
	}
	*out = fd_object(fd, sizeof(struct vfioext_group));
	return *out ? 0 : -ENOMEM;
err:
	close(fd);
	return ret;
}

void vfioext_group_close(struct vfioext_group *g)
{
	/* Closing the fd detaches the group from its container. */
	fd_object_close(g ? &g->fd : NULL);
}

int vfioext_group_fd(const struct vfioext_group *g)
{
	return g ? g->fd : -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */
/* ------------------------------------------------------------------ */

int vfioext_device_open(struct vfioext_group *g, const char *bdf,
			struct vfioext_device **out)
{
	char canon[VFIOEXT_BDF_LEN];
	int fd, ret;

	if (!g || !out)
		return -EINVAL;
	ret = vfioext_bdf_canon(bdf, canon);
	if (ret)
		return ret;
	fd = ioctl(g->fd, VFIO_GROUP_GET_DEVICE_FD, canon);
	if (fd < 0)
		return -errno;
	*out = fd_object(fd, sizeof(struct vfioext_device));
	return *out ? 0 : -ENOMEM;
}

void vfioext_device_close(struct vfioext_device *d)
{
	fd_object_close(d ? &d->fd : NULL);
}

int vfioext_device_fd(const struct vfioext_device *d)
{
	return d ? d->fd : -EINVAL;
}

int vfioext_open_device(const char *bdf, unsigned long iommu_type,
			struct vfioext_container **c, struct vfioext_group **g,
			struct vfioext_device **d)
{
	int grp, ret;

	if (!c || !g || !d)
		return -EINVAL;
	*c = NULL;
	*g = NULL;
	*d = NULL;
	grp = vfioext_pci_iommu_group(bdf);
	if (grp < 0)
		return grp;
	ret = vfioext_container_open(c);
	if (!ret)
		ret = vfioext_group_open(*c, grp, g);
	if (!ret)
		ret = vfioext_container_set_iommu(*c, iommu_type);
	if (!ret)
		ret = vfioext_device_open(*g, bdf, d);
	if (ret) {
		vfioext_group_close(*g);
		vfioext_container_close(*c);
		*g = NULL;
		*c = NULL;
	}
	return ret;
}

int vfioext_device_get_info(struct vfioext_device *d,
			    struct vfio_device_info *info)
{
	if (!d || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(d->fd, VFIO_DEVICE_GET_INFO, info) ? -errno : 0;
}

int vfioext_region_get_info(struct vfioext_device *d, uint32_t index,
			    struct vfio_region_info *info)
{
	if (!d || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info) ? -errno : 0;
}

static int region_check(struct vfioext_device *d, uint32_t index,
			uint64_t off, size_t len, uint32_t need,
			uint64_t *base)
{
	struct vfio_region_info ri;
	int ret;

	ret = vfioext_region_get_info(d, index, &ri);
	if (ret)
		return ret;
	if (!(ri.flags & need))
		return -EACCES;
	if (off > ri.size || len > ri.size - off)
		return -EINVAL;
	*base = ri.offset;
	return 0;
}

/* Read or write @len bytes at @off of region @index, all or nothing. */
static int region_rw(struct vfioext_device *d, uint32_t index, uint64_t off,
		     void *rbuf, const void *wbuf, size_t len)
{
	uint64_t base;
	ssize_t n;
	int ret;

	if (!rbuf && !wbuf)
		return -EINVAL;
	ret = region_check(d, index, off, len,
			   rbuf ? VFIO_REGION_INFO_FLAG_READ :
				  VFIO_REGION_INFO_FLAG_WRITE, &base);
	if (ret)
		return ret;
	if (rbuf)
		n = pread(d->fd, rbuf, len, (off_t)(base + off));
	else
		n = pwrite(d->fd, wbuf, len, (off_t)(base + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vfioext_region_read(struct vfioext_device *d, uint32_t index,
			uint64_t off, void *buf, size_t len)
{
	return buf ? region_rw(d, index, off, buf, NULL, len) : -EINVAL;
}

int vfioext_region_write(struct vfioext_device *d, uint32_t index,
			 uint64_t off, const void *buf, size_t len)
{
	return buf ? region_rw(d, index, off, NULL, buf, len) : -EINVAL;
}

int vfioext_region_mmap(struct vfioext_device *d, uint32_t index,
			void **addr, size_t *len)
{
	struct vfio_region_info ri;
	void *p;
	int ret;

	if (!addr || !len)
		return -EINVAL;
	ret = vfioext_region_get_info(d, index, &ri);
	if (ret)
		return ret;
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || !ri.size ||
	    ri.size > SIZE_MAX)
		return -EINVAL;
	p = mmap(NULL, (size_t)ri.size,
		 ((ri.flags & VFIO_REGION_INFO_FLAG_READ) ? PROT_READ : 0) |
		 ((ri.flags & VFIO_REGION_INFO_FLAG_WRITE) ? PROT_WRITE : 0),
		 MAP_SHARED, d->fd, (off_t)ri.offset);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	*len = (size_t)ri.size;
	return 0;
}

int vfioext_irq_get_info(struct vfioext_device *d, uint32_t index,
			 struct vfio_irq_info *info)
{
	if (!d || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, info) ? -errno : 0;
}

int vfioext_irq_set_eventfds(struct vfioext_device *d, uint32_t index,
			     uint32_t start, uint32_t count, const int *fds)
{
	struct vfio_irq_set *set;
	size_t sz;
	int ret;

	if (!d || (count && !fds) || count > 2048)
		return -EINVAL;
	sz = sizeof(*set) + (size_t)count * sizeof(int32_t);
	set = calloc(1, sz);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)sz;
	set->index = index;
	set->start = start;
	set->count = count;
	set->flags = VFIO_IRQ_SET_ACTION_TRIGGER |
		     (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	if (count)
		memcpy(set->data, fds, (size_t)count * sizeof(int32_t));
	ret = ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
	free(set);
	return ret;
}

int vfioext_device_reset(struct vfioext_device *d)
{
	if (!d)
		return -EINVAL;
	return ioctl(d->fd, VFIO_DEVICE_RESET) ? -errno : 0;
}

int vfioext_pci_set_bus_master(struct vfioext_device *d, int enable)
{
	uint16_t cmd;
	int ret;

	ret = vfioext_region_read(d, VFIO_PCI_CONFIG_REGION_INDEX, 0x4, &cmd,
				  sizeof(cmd));
	if (ret)
		return ret;
	if (enable)
		cmd |= 0x4;	/* PCI_COMMAND_MASTER */
	else
		cmd &= ~0x4;
	return vfioext_region_write(d, VFIO_PCI_CONFIG_REGION_INDEX, 0x4, &cmd,
				    sizeof(cmd));
}
