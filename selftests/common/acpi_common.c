// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for the ACPI selftests (see acpi_common.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "acpi_common.h"
#include "le.h"
#include "vfio_common.h"

/* ToUUID() byte order: first three fields little endian. */
const uint8_t test_uuid[16] = {
	0x00, 0xee, 0xff, 0xc0, 0x34, 0x12, 0xbc, 0x4a,
	0x8d, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
};

struct blob blob_init(struct dsm_buf *b, uint64_t rev, uint64_t func)
{
	struct blob w = { .b = b, .off = 32 };

	memset(b, 0, sizeof(*b));
	b->hdr.argsz = sizeof(*b);
	memcpy(b->args, test_uuid, 16);
	put64(b->args + 16, rev);
	put64(b->args + 24, func);
	return w;
}

void blob_obj(struct blob *w, uint32_t type, uint32_t size,
	      const void *data, size_t n, int pad)
{
	put32(w->b->args + w->off, type);
	put32(w->b->args + w->off + 4, size);
	w->off += 8;
	if (n)
		memcpy(w->b->args + w->off, data, n);
	w->off += pad ? (n + 7) / 8 * 8 : n;
}

/*
 * One _DSM call on the args of @b: crosvm's number takes @b as it is;
 * VFIO_EXT_DEVICE_ACPI_DSM gets a struct vfio_ext_acpi_dsm pointing at
 * @b->args with args_size = @b->hdr.argsz - 8, and on ENOSPC the size it
 * returns goes back into @b->hdr.argsz as crosvm's call returns it, so a
 * test reads both numbers the same way.
 */
int dsm(int device, struct dsm_buf *b, unsigned long nr)
{
	struct vfio_ext_acpi_dsm a = {
		.argsz = sizeof(a),
		.args_size = b->hdr.argsz >= 8 ? b->hdr.argsz - 8 : 0,
		.args = (uintptr_t)b->args,
	};
	int ret;

	if (nr != VFIO_EXT_DEVICE_ACPI_DSM)
		return ioctl(device, nr, b) ? -errno : 0;
	ret = ioctl(device, nr, &a) ? -errno : 0;
	if (ret == -ENOSPC)
		b->hdr.argsz = a.args_size + 8;
	return ret;
}

int write_policy(const char *bdf, const char *cmd)
{
	char path[128];

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/vfio_ext/dsm_policy", bdf);
	return sysfs_write_str(path, cmd);
}

/* The dsm_policy attribute's text (NUL-terminated, cut to @len - 1). */
int read_policy(const char *bdf, char *buf, size_t len)
{
	int n = read_sysfs(bdf, "vfio_ext/dsm_policy", buf, len);

	return n < 0 ? n : 0;
}

long read_counter(const char *bdf, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio_ext/%s",
		 bdf, name);
	return sysfs_read_long(path);
}

/* Is our test SSDT loaded?  Look for its OEM table ID. */
bool test_ssdt_loaded(void)
{
	struct dirent *de;
	bool found = false;
	char path[300], hdr[36];
	DIR *d = opendir("/sys/firmware/acpi/tables");
	int fd;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, "SSDT", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/firmware/acpi/tables/%s",
			 de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		if (read(fd, hdr, sizeof(hdr)) == sizeof(hdr) &&
		    !memcmp(hdr + 16, "VFXTTEST", 8))
			found = true;
		close(fd);
	}
	closedir(d);
	return found;
}

/* Have the firmware Notify(S80, value) through the test _DSM. */
int fw_notify(int device, uint32_t value)
{
	struct dsm_buf b;
	struct blob w = blob_init(&b, 0, FN_NOTIFY);
	uint64_t v = value;
	uint8_t le[8];

	put64(le, v);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 1, NULL, 0, 0);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8, le, 8, 1);
	return dsm(device, &b, VFIO_EXT_DEVICE_ACPI_DSM);
}

/* Have the firmware notify 0x80, 0x81, 0x82 in order. */
int fw_notify3(int device)
{
	struct dsm_buf b;

	blob_init(&b, 0, FN_NOTIFY3);
	return dsm(device, &b, VFIO_EXT_DEVICE_ACPI_DSM);
}

/*
 * A notification loopback: SET_IRQS with DATA_BOOL on the ACPI notify
 * index delivers @value as if the firmware had notified it (the ABI
 * refuses values above 255).
 */
int acpi_notify_loopback(int device, uint32_t value)
{
	struct {
		struct vfio_irq_set s;
		uint32_t v;
	} a = {
		.s = { .argsz = sizeof(a), .index = VFIO_PCI_ACPI_NTFY_IRQ_INDEX,
		       .flags = VFIO_IRQ_SET_DATA_BOOL |
				VFIO_IRQ_SET_ACTION_TRIGGER,
		       .count = 1 },
		.v = value,
	};

	return ioctl(device, VFIO_DEVICE_SET_IRQS, &a) ? -errno : 0;
}
