/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of the vhost uAPI (<linux/vhost.h>): numbers
 * newer than a target's own header, defined as the newest target (7.3)
 * defines them.  The numbers are uAPI and never change.
 */
#ifndef _VFIO_EXT_COMPAT_VHOST_H
#define _VFIO_EXT_COMPAT_VHOST_H

#include <linux/vhost.h>

/* Not in 6.1; 6.12 and 7.3 have it. */
#ifndef VHOST_VDPA_GET_VRING_SIZE
#define VHOST_VDPA_GET_VRING_SIZE	_IOWR(VHOST_VIRTIO, 0x82,	\
					      struct vhost_vring_state)
#endif

/* Not in 6.1 (VHOST_VDPA_SUSPEND and VHOST_BACKEND_F_SUSPEND are). */
#ifndef VHOST_VDPA_RESUME
#define VHOST_VDPA_RESUME		_IO(VHOST_VIRTIO, 0x7E)
#endif
#ifndef VHOST_BACKEND_F_RESUME
#define VHOST_BACKEND_F_RESUME		0x5
#endif

#endif /* _VFIO_EXT_COMPAT_VHOST_H */
