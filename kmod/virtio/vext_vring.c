// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device side of split virtqueues.  Anything wrong in the ring is
 * -EPROTO, the caller's cue to set DEVICE_NEEDS_RESET; guest memory the
 * memory table does not cover is -EFAULT.  Nothing loops more than the
 * queue size, nothing is trusted before it is checked, and ring indices
 * are free-running u16 as the spec defines them.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <asm/barrier.h>

#include "vext_vring.h"

/* Descriptor flags (virtio 1.x, 2.7.5) */
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
/* Driver ring flag (2.7.7) */
#define VRING_AVAIL_F_NO_INTERRUPT	1

/**
 * vext_vring_init() - set up a queue after the driver described it
 * @vr: the queue
 * @num: its size (VHOST_SET_VRING_NUM)
 * @desc: guest-physical address of the descriptor table
 * @avail: guest-physical address of the available ring
 * @used: guest-physical address of the used ring
 * Return: 0, or -EINVAL for a size that is not a power of two in
 * 1..32768 or a misaligned ring part.
 */
int vext_vring_init(struct vext_vring *vr, unsigned int num, u64 desc,
		    u64 avail, u64 used)
{
	if (!num || num > VEXT_VRING_MAX_NUM || !is_power_of_2(num))
		return -EINVAL;
	if (desc % 16 || avail % 2 || used % 4)
		return -EINVAL;
	vr->num = num;
	vr->desc = desc;
	vr->avail = avail;
	vr->used = used;
	vr->last_avail = 0;
	vr->avail_idx = 0;
	vr->used_idx = 0;
	vr->used_pending = 0;
	vr->log = false;
	vr->log_addr = 0;
	vr->nr_heads = 0;
	vr->nr_descs = 0;
	vr->nr_unwritten = 0;
	return 0;
}

static int rd16(const struct vext_mem *m, u64 addr, u16 *v)
{
	__le16 x;
	int ret = m->read(m->ctx, addr, &x, sizeof(x));

	*v = le16_to_cpu(x);
	return ret;
}

/*
 * The driver-ring entry at @vr->last_avail, announced by @vr->avail_idx.
 * The entries announced are read up to VEXT_VRING_BATCH at a time (not
 * past the ring's end) and kept: one guest-memory access per batch, not
 * one per request.  The driver may not change an entry it made available
 * until the device has used it (virtio 1.x, 2.7.13), so a kept entry is
 * the one a later read would see; a driver that breaks that rule gets
 * the entry as it was, still checked.
 */
static int read_head(struct vext_vring *vr, const struct vext_mem *m,
		     u16 *head)
{
	u16 slot, n;
	int ret;

	if ((u16)(vr->last_avail - vr->head_first) >= vr->nr_heads) {
		slot = vr->last_avail & (vr->num - 1);
		n = min3((u16)(vr->avail_idx - vr->last_avail),
			 (u16)VEXT_VRING_BATCH, (u16)(vr->num - slot));
		ret = m->read(m->ctx, vr->avail + 4 + 2 * (u64)slot, vr->heads,
			      2 * n);
		if (ret)
			return ret;
		vr->head_first = vr->last_avail;
		vr->nr_heads = n;
	}
	*head = le16_to_cpu(vr->heads[(u16)(vr->last_avail - vr->head_first)]);
	return 0;
}

/*
 * Descriptor @i of a chain announced by @vr->avail_idx.  Descriptors are
 * read up to VEXT_VRING_DESCS at a time from @i on (not past the table)
 * and kept until a read of the driver's index moves it: a driver taking
 * descriptors off its free list puts a kick's chains side by side, so
 * one access serves several requests.  What is kept was read after the
 * current @vr->avail_idx, so it holds every chain that index announces
 * as the driver wrote it (virtio 1.x, 2.7.13: written before the index,
 * not changed until used); descriptors of chains announced later, reused
 * ones included, are read again after the index that announces them.  A
 * driver whose writable buffers overlap the table sees the device's
 * writes there only from the next such read: it breaks 2.7.13 anyway, and
 * what it gets is still checked.
 */
static int read_desc(struct vext_vring *vr, const struct vext_mem *m, u16 i,
		     struct vext_desc *d)
{
	u16 n;
	int ret;

	if ((u16)(i - vr->desc_first) >= vr->nr_descs) {
		n = min_t(u16, VEXT_VRING_DESCS, vr->num - i);
		ret = m->read(m->ctx, vr->desc + 16 * (u64)i, vr->descs,
			      n * sizeof(*d));
		if (ret) {
			vr->nr_descs = 0;
			return ret;
		}
		vr->desc_first = i;
		vr->nr_descs = n;
	}
	*d = vr->descs[(u16)(i - vr->desc_first)];
	return 0;
}

/**
 * vext_vring_pop() - take the next available chain
 * @vr: the queue
 * @m: guest memory
 * @c: filled with the chain
 *
 * Return: 1 with @c filled; 0 when nothing is available; -EPROTO for a
 * broken ring (more entries claimed than the queue holds, an index out of
 * range, a loop or a chain longer than the queue or VEXT_MAX_SEGS, a
 * readable buffer after a writable one, an indirect descriptor (not
 * offered), a buffer that wraps the address space); -EFAULT.
 */
int vext_vring_pop(struct vext_vring *vr, const struct vext_mem *m,
		   struct vext_chain *c)
{
	struct vext_desc d;
	u16 avail_idx, head, i, flags;
	unsigned int count = 0;
	u64 addr;
	u32 len;
	int ret;

	/*
	 * The driver's index is read again only when the entries it
	 * announced last time are used up: one read per kick's worth of
	 * requests, as vhost's vq->avail_idx, not one per request.
	 */
	if (vr->avail_idx == vr->last_avail) {
		ret = rd16(m, vr->avail + 2, &avail_idx);
		if (ret)
			return ret;
		if ((u16)(avail_idx - vr->last_avail) > vr->num)
			return -EPROTO;
		if (avail_idx == vr->last_avail)
			return 0;
		/* The entries it announces are written before it (2.7.13). */
		virt_rmb();
		vr->avail_idx = avail_idx;
		vr->nr_descs = 0;	/* read again for what it announces */
	}
	ret = read_head(vr, m, &head);
	if (ret)
		return ret;
	if (head >= vr->num)
		return -EPROTO;

	c->head = head;
	c->nr_out = 0;
	c->nr_in = 0;
	c->out_len = 0;
	c->in_len = 0;
	for (i = head;;) {
		if (++count > vr->num || count > VEXT_MAX_SEGS)
			return -EPROTO;		/* a loop, or too long */
		ret = read_desc(vr, m, i, &d);
		if (ret)
			return ret;
		addr = le64_to_cpu(d.addr);
		len = le32_to_cpu(d.len);
		flags = le16_to_cpu(d.flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return -EPROTO;		/* not negotiated */
		if (len && addr + len - 1 < addr)
			return -EPROTO;
		if (flags & VRING_DESC_F_WRITE) {
			c->in_len += len;
			c->nr_in++;
		} else {
			if (c->nr_in)
				return -EPROTO;	/* readable after writable */
			c->out_len += len;
			c->nr_out++;
		}
		c->seg[count - 1].addr = addr;
		c->seg[count - 1].len = len;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16_to_cpu(d.next);
		if (i >= vr->num)
			return -EPROTO;
	}
	vr->last_avail++;
	return 1;
}

/**
 * vext_vring_start() - resume a queue where the driver left it
 * @vr: the queue, after vext_vring_init()
 * @m: the memory table the ring lives in
 * @last_avail: the next driver-ring entry to take (VHOST_SET_VRING_BASE)
 *
 * The next device-ring entry is the one after the index the device ring
 * holds (as vhost's vhost_vq_init_access()): a queue the driver kept
 * across a device restore continues where its last used entry was, and
 * a fresh ring (index 0) starts at 0.  At most a queue's worth of chains
 * may lie between the two (taken, never used: QEMU's loader allows as
 * much); more means the ring and the position do not go together (a stale
 * position, guest memory copied before the last used entries), and
 * writing on would overwrite entries the driver already took.
 *
 * Return: 0; -EINVAL for a device-ring index more than the queue size
 * behind @last_avail, or ahead of it; -EFAULT.
 */
int vext_vring_start(struct vext_vring *vr, const struct vext_mem *m,
		     u16 last_avail)
{
	u16 used_idx;
	int ret;

	ret = rd16(m, vr->used + 2, &used_idx);
	if (ret)
		return ret;
	if ((u16)(last_avail - used_idx) > vr->num)
		return -EINVAL;
	vr->last_avail = last_avail;
	vr->avail_idx = last_avail;
	vr->used_idx = used_idx;
	vr->used_pending = 0;
	vr->nr_heads = 0;
	vr->nr_descs = 0;
	vr->nr_unwritten = 0;
	return 0;
}

/* A device-ring write of @len bytes at @off was made: log it.  */
static int log_used(const struct vext_vring *vr, const struct vext_mem *m,
		    u64 off, size_t len)
{
	if (!vr->log || !m->log)
		return 0;
	return m->log(m->ctx, vr->log_addr + off, len);
}

/*
 * Write the entries only @vr->unwritten holds to the device ring, in one
 * access (two where they wrap round its end), and log them.  They stay
 * pending (unannounced).  Return: 0, -EFAULT, or the error of the
 * memory's ->log() (then they stay unwritten, to be written again).
 */
static int write_used(struct vext_vring *vr, const struct vext_mem *m)
{
	u16 first = vr->used_idx + vr->used_pending - vr->nr_unwritten;
	u16 slot = first & (vr->num - 1), n, done = 0;
	u64 off;
	int ret;

	while (done < vr->nr_unwritten) {
		n = min_t(u16, vr->nr_unwritten - done, vr->num - slot);
		off = 4 + 8 * (u64)slot;
		ret = m->write(m->ctx, vr->used + off, &vr->unwritten[done],
			       8 * (size_t)n);
		if (!ret)
			ret = log_used(vr, m, off, 8 * (size_t)n);
		if (ret)
			return ret;
		done += n;
		slot = 0;
	}
	vr->nr_unwritten = 0;
	return 0;
}

/**
 * vext_vring_add_used() - return chain @head as used, not yet announced
 * @vr: the queue
 * @m: the memory table the ring lives in
 * @head: the chain's first descriptor
 * @len: bytes the device wrote into the chain
 *
 * The entry goes after those already pending; vext_vring_publish()
 * writes them to the device ring and announces them together, so a
 * kick's worth of requests costs one access for the entries and one
 * index update (vhost's vhost_add_used_n()).  Only when VEXT_VRING_BATCH
 * entries wait to be written are they written here (and logged, with
 * @vr->log), still not announced.
 *
 * Return: 0 (the entry is pending), -EFAULT, or the error of the
 * memory's ->log() (it is not).
 */
int vext_vring_add_used(struct vext_vring *vr, const struct vext_mem *m,
			u16 head, u32 len)
{
	int ret;

	if (vr->nr_unwritten == VEXT_VRING_BATCH) {
		ret = write_used(vr, m);
		if (ret)
			return ret;
	}
	vr->unwritten[vr->nr_unwritten].id = cpu_to_le32(head);
	vr->unwritten[vr->nr_unwritten].len = cpu_to_le32(len);
	vr->nr_unwritten++;
	vr->used_pending++;
	return 0;
}

/**
 * vext_vring_publish() - write and announce the pending used entries
 * @vr: the queue
 * @m: the memory table the ring lives in
 *
 * The entries, written and logged, are visible before the index that
 * announces them; with @vr->log the index is logged after it is written.
 *
 * Return: the number of entries announced (0: none was pending), or
 * -EFAULT, or the error of the memory's ->log() (then none is, and they
 * stay pending).
 */
int vext_vring_publish(struct vext_vring *vr, const struct vext_mem *m)
{
	u16 n = vr->used_pending;
	__le16 idx;
	int ret;

	if (!n)
		return 0;
	ret = write_used(vr, m);
	if (ret)
		return ret;
	/* The entries, logged, are visible before the index announcing them. */
	virt_wmb();
	idx = cpu_to_le16(vr->used_idx + n);
	ret = m->write(m->ctx, vr->used + 2, &idx, sizeof(idx));
	if (!ret)
		ret = log_used(vr, m, 2, sizeof(idx));
	if (ret)
		return ret;
	vr->used_idx += n;
	vr->used_pending = 0;
	return n;
}

/**
 * vext_vring_push() - return chain @head with @len bytes written, and
 * announce it (with any entry still pending)
 * @vr: the queue
 * @m: the memory table the ring lives in
 * @head: the chain's first descriptor
 * @len: bytes the device wrote into the chain
 *
 * Return: 0, -EFAULT, or the error of the memory's ->log(); on an error
 * the entry stays pending, not announced (a retry must not push it again:
 * vext_vring_publish() announces it).
 */
int vext_vring_push(struct vext_vring *vr, const struct vext_mem *m,
		    u16 head, u32 len)
{
	int ret = vext_vring_add_used(vr, m, head, len);

	if (!ret)
		ret = vext_vring_publish(vr, m);
	return ret < 0 ? ret : 0;
}

/**
 * vext_vring_want_interrupt() - does the driver want a used-buffer
 * notification (VRING_AVAIL_F_NO_INTERRUPT clear)?
 * @vr: the queue
 * @m: the memory table the ring lives in
 * Return: 1, 0, or -EFAULT.
 */
int vext_vring_want_interrupt(const struct vext_vring *vr,
			      const struct vext_mem *m)
{
	u16 flags;
	int ret;

	/* Our used index is written before we look at the driver's flags. */
	virt_mb();
	ret = rd16(m, vr->avail, &flags);
	if (ret)
		return ret;
	return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
}
