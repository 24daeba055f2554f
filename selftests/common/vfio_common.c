// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared helpers for the vfio-ext VM selftests.  VFIO objects are opened
 * with raw ioctls (the tests prove the kernel ABI, not the library);
 * sysfs binding goes through libvfio-ext, which is thereby exercised too.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "vfioext.h"
#include "vfio_common.h"

static int group_members(int group, char names[][VFIOEXT_BDF_LEN], int max)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 group);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max)
			snprintf(names[n], VFIOEXT_BDF_LEN, "%.17s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static bool is_edu(const char *bdf)
{
	char found[VFIOEXT_BDF_LEN];
	unsigned int n;

	for (n = 0; !vfioext_pci_find(EDU_VENDOR, EDU_DEVICE, n, found); n++)
		if (!strcmp(found, bdf))
			return true;
	return false;
}

static bool kind_matches(const char *bdf, enum edu_kind kind)
{
	char members[8][VFIOEXT_BDF_LEN], drv[64];
	int grp, n, i;
	bool other_bound = false;

	grp = vfioext_pci_iommu_group(bdf);
	if (grp < 0)
		return false;
	n = group_members(grp, members, 8);
	if (n < 1 || n > 8)
		return false;
	for (i = 0; i < n; i++) {
		if (!strcmp(members[i], bdf) || is_edu(members[i]))
			continue;
		if (!vfioext_pci_driver(members[i], drv, sizeof(drv)) &&
		    drv[0] && strcmp(drv, "pcieport"))
			other_bound = true;
	}
	switch (kind) {
	case EDU_ALONE:
		return n == 1 && !strncmp(bdf + 5, "00:", 3);
	case EDU_BEHIND_PORT:
		return strncmp(bdf + 5, "00:", 3) && !other_bound;
	case EDU_SHARED_GROUP:
		return other_bound;
	}
	return false;
}

const char *test_bdf(const char *env, const char *bench)
{
	const char *v = getenv(env);

	return v && *v ? v : bench;
}

bool pci_present(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return access(path, F_OK) == 0;
}

/* Who names the device of each kind on a host. */
static const char * const edu_env[] = {
	[EDU_ALONE]		= "VFIOEXT_TEST_BDF",
	[EDU_BEHIND_PORT]	= "VFIOEXT_TEST_PORT_BDF",
	[EDU_SHARED_GROUP]	= "VFIOEXT_TEST_SHARED_BDF",
};

/*
 * The edu of @kind: the one its environment variable names (it must be
 * of that kind), else the first in address order; -ENODEV if the machine
 * has none.
 */
int edu_find(enum edu_kind kind, char bdf[VFIOEXT_BDF_LEN])
{
	const char *env = getenv(edu_env[kind]);
	char found[VFIOEXT_BDF_LEN];
	unsigned int n;

	if (env && *env) {
		if (!pci_present(env) || !kind_matches(env, kind))
			return -ENODEV;
		snprintf(bdf, VFIOEXT_BDF_LEN, "%s", env);
		return 0;
	}

	for (n = 0; !vfioext_pci_find(EDU_VENDOR, EDU_DEVICE, n, found); n++) {
		if (kind_matches(found, kind)) {
			snprintf(bdf, VFIOEXT_BDF_LEN, "%s", found);
			return 0;
		}
	}
	return -ENODEV;
}

/*
 * First edu of @kind in address order other than @not (a test's first
 * device, for a second one); -ENODEV if the bench has no other.
 */
int edu_find_other(enum edu_kind kind, const char *not,
		   char bdf[VFIOEXT_BDF_LEN])
{
	char found[VFIOEXT_BDF_LEN];
	unsigned int n;

	for (n = 0; !vfioext_pci_find(EDU_VENDOR, EDU_DEVICE, n, found); n++) {
		if (strcmp(found, not) && kind_matches(found, kind)) {
			snprintf(bdf, VFIOEXT_BDF_LEN, "%s", found);
			return 0;
		}
	}
	return -ENODEV;
}

/*
 * Bind @bdf to vfio-pci-ext, attach its group to @container and open the
 * device: a second device beside a test's own.  The device fd, or
 * -errno with nothing left open; *group gets the group fd.
 */
int peer_open(const char *bdf, int container, int *group)
{
	char path[32];
	int g, dev, ret;

	ret = vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/dev/vfio/%d",
		 vfioext_pci_iommu_group(bdf));
	g = open(path, O_RDWR | O_CLOEXEC);
	if (g < 0)
		return -errno;
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &container)) {
		ret = -errno;
		close(g);
		return ret;
	}
	dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0) {
		ret = -errno;
		close(g);
		return ret;
	}
	*group = g;
	return dev;
}

/* Remember @bdf's driver ("" when it has none) for drv_restore(). */
int drv_save(struct drv_binding *b, const char *bdf)
{
	int ret;

	memset(b, 0, sizeof(*b));
	snprintf(b->bdf, sizeof(b->bdf), "%s", bdf);
	ret = vfioext_pci_driver(bdf, b->prev, sizeof(b->prev));
	b->saved = !ret;
	return ret;
}

/*
 * Bind @bdf to @driver (driver_override, then bind), remembering the
 * driver it had.  0 or -errno.  A failed bind is undone here (drv_restore())
 * before returning: 6.1's kselftest_harness runs FIXTURE_TEARDOWN only
 * after a FIXTURE_SETUP that completed, so a setup failing on this bind
 * gets no teardown to put the device back.
 */
int drv_bind_save(struct drv_binding *b, const char *bdf, const char *driver)
{
	int ret = drv_save(b, bdf);

	if (ret)
		return ret;
	ret = vfioext_pci_bind(bdf, driver);
	if (ret)
		drv_restore(b);
	return ret;
}

/*
 * Put the device back on the driver drv_save() found: unbind it if it had
 * none, bind it back to another one.  Nothing to do without a save.
 */
int drv_restore(struct drv_binding *b)
{
	char now[64];
	int ret;

	if (!b->saved)
		return 0;
	ret = vfioext_pci_driver(b->bdf, now, sizeof(now));
	if (ret || !strcmp(now, b->prev))
		return ret;
	if (!b->prev[0])
		return vfioext_pci_unbind(b->bdf);
	return vfioext_pci_bind(b->bdf, b->prev);
}

/*
 * How many devices are bound to @driver: the device links in its sysfs
 * directory ("0000:00:10.0"...), the ground truth for inventories.
 */
int drv_bound_count(const char *driver)
{
	unsigned int dom, bus, dev, fn;
	struct dirent *de;
	char path[128];
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", driver);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		n += sscanf(de->d_name, "%4x:%2x:%2x.%1x", &dom, &bus, &dev,
			    &fn) == 4;
	closedir(d);
	return n;
}

/*
 * @len bytes of fresh anonymous memory, or NULL.  Written (0x11), so pins
 * are real pages: a read-only pin of untouched memory would be the zero
 * page, which is reserved and not accounted.
 */
void *anon_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x11, len);
	return p;
}

/* The pviommu container of an inventory dump that @owner opened. */
struct vfioext_nl_pviommu *
pviommu_by_owner(struct vfioext_nl_pviommu *const *v, size_t n, uint32_t owner)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nl_pv_info(v[i]).owner_pid == owner)
			return v[i];
	return NULL;
}

struct vfioext_nl_dev_info nl_dev_info(const struct vfioext_nl_dev *d)
{
	struct vfioext_nl_dev_info i = { .struct_size = sizeof(i) };

	vfioext_nl_dev_info(d, &i);
	return i;
}

struct vfioext_nl_region nl_dev_region(const struct vfioext_nl_dev *d,
				       size_t k)
{
	struct vfioext_nl_region r = { .struct_size = sizeof(r) };

	vfioext_nl_dev_region(d, k, &r);
	return r;
}

struct vfioext_nl_irq nl_dev_irq(const struct vfioext_nl_dev *d, size_t k)
{
	struct vfioext_nl_irq q = { .struct_size = sizeof(q) };

	vfioext_nl_dev_irq(d, k, &q);
	return q;
}

struct vfioext_nl_pviommu_info nl_pv_info(const struct vfioext_nl_pviommu *p)
{
	struct vfioext_nl_pviommu_info i = { .struct_size = sizeof(i) };

	vfioext_nl_pviommu_info(p, &i);
	return i;
}

struct vfioext_nl_endpoint nl_pv_ep(const struct vfioext_nl_pviommu *p,
				    size_t k)
{
	struct vfioext_nl_endpoint e = { .struct_size = sizeof(e) };

	vfioext_nl_pviommu_endpoint(p, k, &e);
	return e;
}

struct vfioext_nl_domain nl_pv_dom(const struct vfioext_nl_pviommu *p,
				   size_t k)
{
	struct vfioext_nl_domain d = { .struct_size = sizeof(d) };

	vfioext_nl_pviommu_domain(p, k, &d);
	return d;
}

int sysfs_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == strlen(val) ? 0 : -EIO;
}

/*
 * Attribute @attr of PCI device @bdf (a path below its sysfs directory):
 * its length, NUL-terminated in @buf (cut to @len - 1), or -errno.
 */
int read_sysfs(const char *bdf, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/* The first line of @path into @buf, without its newline ("" if unreadable). */
void sysfs_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* A file holding one decimal number: the number, or -errno. */
long sysfs_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v;

	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		v = -EIO;
	fclose(f);
	return v;
}

int module_refcnt(const char *module)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	return (int)sysfs_read_long(path);
}

/* A "Field:   N kB" line of /proc/self/status, in kB; -1 if absent. */
long proc_status_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/*
 * Open container, group (attached, type1v2) and device.  On failure the
 * handles opened so far stay in @h (others are -1) and -errno is returned.
 */
int vfio_open_all(struct vfio_handles *h, const char *bdf)
{
	return vfio_open_all_iommu(h, bdf, VFIO_TYPE1v2_IOMMU);
}

/* As vfio_open_all(), with the container on IOMMU backend @iommu. */
int vfio_open_all_iommu(struct vfio_handles *h, const char *bdf,
			unsigned long iommu)
{
	char path[32], name[sizeof(h->bdf)];
	int ret;

	/* @bdf may be h->bdf itself. */
	snprintf(name, sizeof(name), "%s", bdf);
	vfio_handles_init(h);
	memcpy(h->bdf, name, sizeof(name));
	bdf = h->bdf;
	h->group_id = vfioext_pci_iommu_group(bdf);
	if (h->group_id < 0)
		return h->group_id;

	h->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (h->container < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/vfio/%d", h->group_id);
	h->group = open(path, O_RDWR | O_CLOEXEC);
	if (h->group < 0)
		return -errno;
	if (ioctl(h->group, VFIO_GROUP_SET_CONTAINER, &h->container))
		return -errno;
	if (ioctl(h->container, VFIO_SET_IOMMU, iommu))
		return -errno;
	h->device = ioctl(h->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (h->device < 0) {
		ret = -errno;
		h->device = -1;
		return ret;
	}
	return 0;
}

/* No fds open: every handle is -1. */
void vfio_handles_init(struct vfio_handles *h)
{
	memset(h, 0, sizeof(*h));
	h->container = -1;
	h->group = -1;
	h->device = -1;
}

/* Close in the usual order (device, group, container); keeps the name. */
void vfio_close_all(struct vfio_handles *h)
{
	if (h->device >= 0)
		close(h->device);
	if (h->group >= 0)
		close(h->group);
	if (h->container >= 0)
		close(h->container);
	h->device = -1;
	h->group = -1;
	h->container = -1;
}

int region_info(int device, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(device, VFIO_DEVICE_GET_REGION_INFO, ri) ? -errno : 0;
}

volatile uint32_t *bar0_map(int device, size_t *len)
{
	struct vfio_region_info ri;
	void *p;

	if (region_info(device, VFIO_PCI_BAR0_REGION_INDEX, &ri))
		return NULL;
	p = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
		 ri.offset);
	if (p == MAP_FAILED)
		return NULL;
	*len = ri.size;
	return p;
}

/*
 * The reserved regions of IOMMU group @group, as sysfs lists them (the
 * IOMMU driver's, e.g. the MSI window, and the firmware's), in its order:
 * how many there are (possibly more than @max, of which @max are stored),
 * or -errno.
 */
int group_resv_regions(int group, struct resv_region *r, int max)
{
	char path[80], line[128];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/kernel/iommu_groups/%d/reserved_regions", group);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char type[24];

		if (sscanf(line, "%llx %llx %23s", &start, &end, type) != 3 ||
		    end < start) {
			n = -EIO;
			break;
		}
		if (n < max) {
			r[n].start = start;
			r[n].end = end;
			snprintf(r[n].type, sizeof(r[n].type), "%s", type);
		}
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Whether a VFIO IOMMU backend keeps @r out of its valid IOVA ranges: all
 * but a relaxable direct mapping, which type1 leaves usable (an RMRR of a
 * USB or graphics device; none on the bench).
 */
bool resv_region_excluded(const struct resv_region *r)
{
	return strcmp(r->type, "direct-relaxable") != 0;
}

/*
 * VFIO_IOMMU_GET_INFO on a container fd with raw ioctls (the library's
 * vfioext_iommu_get_info() does the same on its own handle): page sizes,
 * the IOVA_RANGE capability and DMA_AVAIL.  0 or -errno; -EIO for a
 * capability chain that does not parse; -E2BIG for more than
 * IOMMU_INFO_MAX_RANGES ranges.
 */
int iommu_info_fd(int container, struct iommu_info *ii)
{
	struct vfio_iommu_type1_info *ti;
	uint32_t argsz = sizeof(*ti), off;
	int ret = 0;

	memset(ii, 0, sizeof(*ii));
	ii->dma_avail = UINT32_MAX;
	for (;;) {
		ti = calloc(1, argsz);
		if (!ti)
			return -ENOMEM;
		ti->argsz = argsz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, ti)) {
			ret = -errno;
			goto out;
		}
		if (ti->argsz <= argsz)
			break;
		argsz = ti->argsz;
		free(ti);
		if (argsz > (1u << 20))
			return -E2BIG;
	}
	if (ti->flags & VFIO_IOMMU_INFO_PGSIZES)
		ii->pgsizes = ti->iova_pgsizes;
	if (!(ti->flags & VFIO_IOMMU_INFO_CAPS))
		goto out;
	for (off = ti->cap_offset; off; ) {
		struct vfio_info_cap_header *h;

		if (off < sizeof(*ti) || off > argsz - sizeof(*h) || off % 4) {
			ret = -EIO;
			goto out;
		}
		h = (struct vfio_info_cap_header *)((char *)ti + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *c =
				(void *)h;
			uint32_t i, n;

			if (off + sizeof(*c) > argsz ||
			    c->nr_iovas > (argsz - off - sizeof(*c)) /
					  sizeof(c->iova_ranges[0])) {
				ret = -EIO;
				goto out;
			}
			n = c->nr_iovas;
			if (n > IOMMU_INFO_MAX_RANGES) {
				ret = -E2BIG;
				goto out;
			}
			for (i = 0; i < n; i++) {
				ii->ranges[i].start = c->iova_ranges[i].start;
				ii->ranges[i].end = c->iova_ranges[i].end;
			}
			ii->nr_ranges = n;
		} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			struct vfio_iommu_type1_info_dma_avail *a = (void *)h;

			if (off + sizeof(*a) > argsz) {
				ret = -EIO;
				goto out;
			}
			ii->dma_avail = a->avail;
		}
		if (h->next && h->next <= off) {
			ret = -EIO;	/* a loop */
			goto out;
		}
		off = h->next;
	}
out:
	free(ti);
	return ret;
}

/*
 * vfioext_iommu_get_info() on @c, read through the getters into @ii.
 * 0 or -errno; -E2BIG for more than IOMMU_INFO_MAX_RANGES ranges; -EIO
 * when the getters disagree with each other.
 */
int iommu_info_lib(struct vfioext_container *c, struct iommu_info *ii)
{
	struct vfioext_iommu_info *info;
	uint64_t s, e;
	size_t i, n;
	int ret;

	memset(ii, 0, sizeof(*ii));
	ret = vfioext_iommu_get_info(c, &info);
	if (ret)
		return ret;
	n = vfioext_iommu_info_nr_ranges(info);
	ret = n > IOMMU_INFO_MAX_RANGES ? -E2BIG : 0;
	for (i = 0; !ret && i < n; i++)
		ret = vfioext_iommu_info_range(info, i, &ii->ranges[i].start,
					       &ii->ranges[i].end);
	/* One past the last range is out of range, not a stale entry. */
	if (!ret && vfioext_iommu_info_range(info, n, &s, &e) != -ERANGE)
		ret = -EIO;
	ii->nr_ranges = (uint32_t)n;
	ii->pgsizes = vfioext_iommu_info_pgsizes(info);
	ii->dma_avail = vfioext_iommu_info_dma_avail(info);
	vfioext_iommu_info_free(info);
	return ret;
}

/* Whether [@iova, @iova + @size) lies wholly inside one valid range. */
bool iova_valid(const struct iommu_info *ii, uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;
	uint32_t i;

	if (!size || last < iova)
		return false;
	for (i = 0; i < ii->nr_ranges; i++)
		if (iova >= ii->ranges[i].start && last <= ii->ranges[i].end)
			return true;
	return false;
}

/*
 * Whether the reserved regions @r (@n of them) cover every address of
 * [@first, @last]: a hole between two valid IOVA ranges must be one the
 * IOMMU reserves, not one the backend made up.
 */
bool iova_hole_is_reserved(const struct resv_region *r, int n,
			   uint64_t first, uint64_t last)
{
	bool progress = true;
	int i;

	/* Advance @first over any region containing it, until none does. */
	while (progress) {
		progress = false;
		for (i = 0; i < n; i++) {
			if (r[i].start <= first && r[i].end >= first) {
				if (r[i].end >= last)
					return true;
				first = r[i].end + 1;
				progress = true;
			}
		}
	}
	return false;
}

int edu_set_bus_master(int device, bool on)
{
	struct vfio_region_info ri;
	uint16_t cmd;
	int ret;

	ret = region_info(device, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (ret)
		return ret;
	if (pread(device, &cmd, 2, ri.offset + 4) != 2)
		return -EIO;
	cmd = on ? (cmd | 0x4) : (cmd & ~0x4);
	if (pwrite(device, &cmd, 2, ri.offset + 4) != 2)
		return -EIO;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run one edu DMA transfer and wait (up to 10 s) for it to finish. */
int edu_dma(volatile uint32_t *bar, uint64_t src, uint64_t dst,
	    uint32_t count, bool to_ram)
{
	uint64_t deadline = now_ms() + 10000;

	edu_wr64(bar, EDU_REG_DMA_SRC, src);
	edu_wr64(bar, EDU_REG_DMA_DST, dst);
	edu_wr64(bar, EDU_REG_DMA_COUNT, count);
	edu_wr(bar, EDU_REG_DMA_CMD,
	       EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	while (edu_rd(bar, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

int dma_map(int container, void *vaddr, uint64_t iova, uint64_t size,
	    uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

long long dma_unmap(int container, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return (long long)unmap.size;
}

/* Route vector @start of IRQ @index to @efd (ACTION_TRIGGER, DATA_EVENTFD). */
int irq_set_eventfd(int device, uint32_t index, uint32_t start, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (void *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = start;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	return ioctl(device, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

/* Disable IRQ @index: count 0, DATA_NONE. */
int irq_disable(int device, uint32_t index)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
	};

	return ioctl(device, VFIO_DEVICE_SET_IRQS, &set) ? -errno : 0;
}

/* Wait for an eventfd; 0 and its counter in @val, or -ETIMEDOUT. */
int eventfd_wait(int efd, int timeout_ms, uint64_t *val)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	if (read(efd, val, sizeof(*val)) != sizeof(*val))
		return -EIO;
	return 0;
}

/*
 * Prove the device's DMA path: map two fresh pages (IOVAs 0x200000 and
 * 0x300000), DMA 2 KiB RAM -> edu -> RAM, compare, unmap.  0 or -errno
 * (-EBADMSG: the bytes differ).
 */
int edu_dma_check(struct vfio_handles *h)
{
	uint8_t *src = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	volatile uint32_t *bar;
	uint8_t *dst = src + 4096;
	size_t len;
	int i, ret;

	if (src == MAP_FAILED)
		return -ENOMEM;
	for (i = 0; i < 2048; i++)
		src[i] = i * 3 + 11;
	ret = dma_map(h->container, src, 0x200000, 4096,
		      VFIO_DMA_MAP_FLAG_READ);
	if (!ret)
		ret = dma_map(h->container, dst, 0x300000, 4096,
			      VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (!ret)
		ret = edu_set_bus_master(h->device, true);
	bar = ret ? NULL : bar0_map(h->device, &len);
	if (!ret && !bar)
		ret = -EIO;
	if (!ret)
		ret = edu_dma(bar, 0x200000, EDU_DMA_BUF, 2048, false);
	if (!ret)
		ret = edu_dma(bar, EDU_DMA_BUF, 0x300000, 2048, true);
	if (!ret && memcmp(src, dst, 2048))
		ret = -EBADMSG;
	if (bar) {
		edu_set_bus_master(h->device, false);
		munmap((void *)bar, len);
	}
	dma_unmap(h->container, 0x200000, 4096);
	dma_unmap(h->container, 0x300000, 4096);
	munmap(src, 8192);
	return ret;
}

bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

uint64_t ntfy_efd_amount(uint32_t value)
{
	return kernel_at_least(6, 8) ? 1 : value;
}

bool crosvm_dsm_number_reaches_driver(void)
{
	return !kernel_at_least(6, 6);
}

bool err_irq_on_every_device(void)
{
	return kernel_at_least(6, 13);
}
