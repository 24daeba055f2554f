/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * In-kernel virtio devices for VMMs: the transport core (module
 * vfio-ext-virtio).  A device driver describes its device type with a
 * struct vext_vdev_ops and registers it; each device instance is a file
 * descriptor speaking the vhost / vhost-vdpa uAPI of <linux/vhost.h>.  The
 * core owns features, status, config access, the memory table, the split
 * virtqueues and their eventfds, and a worker thread in the VMM's address
 * space that serves the queues when the guest kicks.  It knows nothing of
 * what a request means: that is the device's ->request().
 */
#ifndef _VEXT_VIRTIO_H
#define _VEXT_VIRTIO_H

#include <linux/list.h>
#include <linux/types.h>

#include "vext_vring.h"

struct vext_vdev;
struct module;

#define VEXT_MAX_VQS	8

/**
 * struct vext_vdev_ops - a device type
 * @name: for messages and the worker's name
 * @owner: module providing the ops (held by every device fd)
 * @device_id: virtio device ID (VHOST_VDPA_GET_DEVICE_ID)
 * @nr_vqs: number of virtqueues (at most VEXT_MAX_VQS)
 * @served_vqs: bit mask of the queues the core pops for ->request();
 *              other queues (such as an event queue the device never
 *              fills) are configured but left alone
 * @config_size: bytes of device config space
 * @features: what the device offers besides the core's VIRTIO_F_VERSION_1
 * @get_config: fill @buf with the whole config space (device lock held)
 * @set_config: the driver wrote @len bytes at @off of config space, within
 *              @config_size; ignore what is read-only (device lock held)
 * @features_ok: may the driver's @features (a subset of the offer) be
 *               accepted?  NULL: any subset (device lock held)
 * @request: serve one request popped from queue @qi (worker, in the VMM's
 *           address space, device lock held): read its readable part and
 *           fill its writable part with vext_chain_read()/_write(); return
 *           the bytes written, or a negative errno when the ring or guest
 *           memory is broken (the device then needs a reset)
 * @round: optional: a round of requests from queue @qi begins (@end
 *         false: before a serving's second ->request(), so that a kick's
 *         lone request is served without it, and before the next one
 *         after each used-index update) or ends (@end true: after its
 *         last request, before the used index announces any of them); a
 *         round is at most VEXT_USED_BATCH (vext_virtio.c) requests,
 *         served under the device lock without letting go of it (device
 *         lock held)
 * @reset: back to the initial state (device lock held, worker idle)
 * @save_state: optional (with @load_state and @state_max): serialise the
 *              device's internal state into a new kvmalloc()ed buffer
 *              *@buf, a blob of the format of struct vfio_ext_state_hdr;
 *              return its size or a negative errno (device lock held,
 *              device not running)
 * @load_state: validate all of the blob @buf (@len bytes, its header's
 *              magic and total size already checked) and apply it, or
 *              leave the device as it was and return a negative errno
 *              (device lock held, device not running)
 * @state_max: the largest blob @load_state could take now, or a negative
 *             errno when it would refuse any blob (-EBUSY: the device has
 *             state already), checked before the blob is read (device
 *             lock held, device not running)
 * @release: the fd is gone; free the device's state (no lock)
 * @list: in the core's list of registered types
 */
struct vext_vdev_ops {
	const char *name;
	struct module *owner;
	u32 device_id;
	unsigned int nr_vqs;
	unsigned long served_vqs;
	size_t config_size;
	u64 features;
	void (*get_config)(struct vext_vdev *vdev, void *buf);
	void (*set_config)(struct vext_vdev *vdev, unsigned int off,
			   const void *buf, unsigned int len);
	bool (*features_ok)(struct vext_vdev *vdev, u64 features);
	int (*request)(struct vext_vdev *vdev, unsigned int qi,
		       const struct vext_chain *c);
	void (*round)(struct vext_vdev *vdev, unsigned int qi, bool end);
	void (*reset)(struct vext_vdev *vdev);
	long (*save_state)(struct vext_vdev *vdev, void **buf);
	int (*load_state)(struct vext_vdev *vdev, const void *buf, size_t len);
	long (*state_max)(struct vext_vdev *vdev);
	void (*release)(struct vext_vdev *vdev);
	struct list_head list;
};

int vext_virtio_register(struct vext_vdev_ops *ops);
void vext_virtio_unregister(struct vext_vdev_ops *ops);

struct vext_vdev *vext_vdev_create(struct vext_vdev_ops *ops, void *priv,
				   u16 max_queue);
int vext_vdev_install_fd(struct vext_vdev *vdev);
void vext_vdev_destroy(struct vext_vdev *vdev);
void *vext_vdev_priv(struct vext_vdev *vdev);
u64 vext_vdev_features(struct vext_vdev *vdev);
u8 vext_vdev_status(struct vext_vdev *vdev);
bool vext_vdev_suspended(struct vext_vdev *vdev);

int vext_chain_read(struct vext_vdev *vdev, const struct vext_chain *c,
		    u64 off, void *buf, u64 len);
int vext_chain_write(struct vext_vdev *vdev, const struct vext_chain *c,
		     u64 off, const void *buf, u64 len);
int vext_vdev_gpa_to_uva(struct vext_vdev *vdev, u64 gpa, u64 len,
			 u64 *uva);
int vext_vdev_uva_to_gpa(struct vext_vdev *vdev, u64 uva, u64 len,
			 u64 *gpa);

#endif /* _VEXT_VIRTIO_H */
