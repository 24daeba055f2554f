// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: VFIO groups (/dev/vfio/N) attached to a container.
 * See vfioext.h for the contract of each function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfioext.h"
#include "internal.h"

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
	*out = vfioext_fd_object(fd, sizeof(struct vfioext_group));
	return *out ? 0 : -ENOMEM;
err:
	close(fd);
	return ret;
}

void vfioext_group_close(struct vfioext_group *g)
{
	/* Closing the fd detaches the group from its container. */
	vfioext_fd_object_close(g ? &g->fd : NULL);
}

int vfioext_group_fd(const struct vfioext_group *g)
{
	return g ? g->fd : -EINVAL;
}
