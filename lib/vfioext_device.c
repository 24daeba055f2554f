// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: VFIO devices: opening them (alone or with their container
 * and group), their information, reset and Bus Master Enable.
 * See vfioext.h for the contract of each function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfioext.h"
#include "internal.h"

/* The fixed part of struct vfio_device_info in its largest version. */
#define VFIOEXT_DEVICE_INFO_FIXED	24

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
	*out = vfioext_fd_object(fd, sizeof(struct vfioext_device));
	return *out ? 0 : -ENOMEM;
}

void vfioext_device_close(struct vfioext_device *d)
{
	vfioext_fd_object_close(d ? &d->fd : NULL);
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
	/*
	 * num_irqs ends the first version (no capabilities); the fixed part
	 * is 20 bytes in older <linux/vfio.h> and 24 (a pad word after
	 * cap_offset) in newer ones, so an argsz up to 24 asks for no
	 * capabilities whichever header this library was built with.
	 */
	return vfioext_vfio_info(d->fd, VFIO_DEVICE_GET_INFO, info,
				 offsetof(struct vfio_device_info, cap_offset),
				 VFIOEXT_DEVICE_INFO_FIXED, NULL);
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
