/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Split virtqueues (virtio 1.x, 2.7) as the device side sees them: pop a
 * descriptor chain the driver made available, push it back as used.
 *
 * The ring lives in memory the guest controls; every index, address,
 * length and link is hostile.  Guest memory is reached only through a
 * struct vext_mem (the transport's memory table), so this file is pure
 * logic and KUnit runs it on UML against crafted rings.
 *
 * The kernel has device-side ring code, but none a module built outside
 * the tree can use on all our targets: the vhost core's
 * (drivers/vhost/vhost.c, exported, CONFIG_VHOST=m everywhere) sits
 * behind the private drivers/vhost/vhost.h, whose structs change shape
 * between 6.1, 6.12 and 7.3; vringh (drivers/vhost/vringh.c) has a public
 * header but CONFIG_VHOST_RING is off in Debian's kernels.
 */
#ifndef _VEXT_VRING_H
#define _VEXT_VRING_H

#include <linux/types.h>

#define VEXT_VRING_MAX_NUM	32768	/* the spec's largest queue */
#define VEXT_MAX_SEGS		64	/* longest chain we accept */
/* Driver-ring heads read, device-ring entries written, in one access. */
#define VEXT_VRING_BATCH	32

/* Descriptors read ahead together, at most (256 bytes). */
#define VEXT_VRING_DESCS	16

/* A descriptor (virtio 1.x, 2.7.5), as in guest memory. */
struct vext_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

/* An entry of the device ring (virtio 1.x, 2.7.8). */
struct vext_used_elem {
	__le32 id;
	__le32 len;
};

/**
 * struct vext_mem - access to guest memory
 * @read: copy @len bytes at guest address @addr; 0 or -EFAULT
 * @write: the other way
 * @log: optional: @len bytes at guest-physical @addr were just written
 *       (dirty logging, see struct vext_vring's @log); 0 or -errno
 * @ctx: passed back to all three
 */
struct vext_mem {
	int (*read)(void *ctx, u64 addr, void *buf, size_t len);
	int (*write)(void *ctx, u64 addr, const void *buf, size_t len);
	int (*log)(void *ctx, u64 addr, size_t len);
	void *ctx;
};

/**
 * struct vext_vring - device-side state of one split virtqueue
 * @num: queue size, a power of two
 * @desc: guest address of the descriptor table (16-byte aligned)
 * @avail: guest address of the driver ring (2-byte aligned)
 * @used: guest address of the device ring (4-byte aligned)
 * @last_avail: free-running index of the next driver-ring entry to take
 * @avail_idx: the driver ring's index when last read: the entries from
 *       @last_avail up to it are known to be there without reading it again;
 *       whoever sets @last_avail sets it too, and forgets @heads and
 *       @descs (vext_vring_init(), vext_vring_start())
 * @used_idx: free-running index the device ring announces (published)
 * @used_pending: entries after @used_idx, not yet announced
 *       (vext_vring_publish()); the last @nr_unwritten of them are not
 *       in the ring yet
 * @log: report every device-ring write to the memory's ->log(), at
 *       @log_addr plus its offset in the ring (VHOST_VRING_F_LOG)
 * @log_addr: guest-physical address of the device ring
 * @head_first: free-running index of the driver-ring entry @heads[0] holds
 * @nr_heads: driver-ring entries held in @heads, read together (0: none)
 * @heads: the driver ring's entries from @head_first on, as read
 * @desc_first: index of the descriptor @descs[0] holds
 * @nr_descs: descriptors held in @descs, read together (0: none)
 * @descs: the descriptor table from @desc_first on, as read after
 *       @avail_idx was read (dropped when a read of the index moves it)
 * @nr_unwritten: the last pending entries, still in @unwritten only
 * @unwritten: device-ring entries not yet written to the ring
 */
struct vext_vring {
	u16 num;
	u64 desc;
	u64 avail;
	u64 used;
	u16 last_avail;
	u16 avail_idx;
	u16 used_idx;
	u16 used_pending;
	bool log;
	u64 log_addr;
	u16 head_first;
	u16 nr_heads;
	__le16 heads[VEXT_VRING_BATCH];
	u16 desc_first;
	u16 nr_descs;
	struct vext_desc descs[VEXT_VRING_DESCS];
	u16 nr_unwritten;
	struct vext_used_elem unwritten[VEXT_VRING_BATCH];
};

/**
 * struct vext_seg - one buffer of a chain
 * @addr: guest address
 * @len: bytes
 */
struct vext_seg {
	u64 addr;
	u32 len;
};

/**
 * struct vext_chain - a popped descriptor chain
 * @head: the head descriptor's index (what goes back on the used ring)
 * @nr_out: device-readable segments, first in @seg
 * @nr_in: device-writable segments, after them
 * @out_len: bytes the device may read
 * @in_len: bytes the device may write
 * @seg: the segments
 */
struct vext_chain {
	u16 head;
	unsigned int nr_out;
	unsigned int nr_in;
	u64 out_len;
	u64 in_len;
	struct vext_seg seg[VEXT_MAX_SEGS];
};

int vext_vring_init(struct vext_vring *vr, unsigned int num, u64 desc,
		    u64 avail, u64 used);
int vext_vring_start(struct vext_vring *vr, const struct vext_mem *m,
		     u16 last_avail);
int vext_vring_pop(struct vext_vring *vr, const struct vext_mem *m,
		   struct vext_chain *c);
int vext_vring_push(struct vext_vring *vr, const struct vext_mem *m,
		    u16 head, u32 len);
int vext_vring_add_used(struct vext_vring *vr, const struct vext_mem *m,
			u16 head, u32 len);
int vext_vring_publish(struct vext_vring *vr, const struct vext_mem *m);
int vext_vring_want_interrupt(const struct vext_vring *vr,
			      const struct vext_mem *m);

#endif /* _VEXT_VRING_H */
