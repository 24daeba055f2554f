// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: PCI devices in sysfs (addresses, lookup, IOMMU group,
 * driver binding) and the small sysfs helpers of internal.h.
 * See vfioext.h for the contract of each function.
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
#include <unistd.h>

#include "vfioext.h"
#include "internal.h"

#define SYSFS_PCI "/sys/bus/pci"

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
	/* A whole attribute comes in one read(); one that fills @buf did
	 * not fit with its NUL: an error, never a cut value.
	 */
	n = read(fd, buf, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	if ((size_t)n >= len)
		return -ENOSPC;
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
		if (errno != ENOENT)
			return -errno;
		/* Distinguish a missing device from a missing attribute. */
		snprintf(buf, len, SYSFS_PCI "/devices/%s", canon);
		if (!access(buf, F_OK))
			return -ENOENT;
		return errno == ENOENT ? -ENODEV : -errno;
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
		int err;

		if (ret != -ENODEV || name[0] == '.')
			goto next;
		err = pci_id_attr(name, "vendor", &ven);
		if (!err && ven == vendor)
			err = pci_id_attr(name, "device", &dev);
		else if (!err)
			goto next;
		/* A device removed during the scan is skipped, not an error. */
		if (err == -ENOENT)
			goto next;
		if (err)
			ret = err;
		else if (dev == device && n-- == 0)
			ret = vfioext_bdf_canon(name, out);
next:
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
	n = readlink(path, link, sizeof(link));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(link))
		return -ENAMETOOLONG;
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
	n = readlink(path, link, sizeof(link));
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		buf[0] = '\0';
		return 0;
	}
	if ((size_t)n >= sizeof(link))
		return -ENAMETOOLONG;
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
		return -errno;	/* -ENOENT: the driver is not loaded */

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
