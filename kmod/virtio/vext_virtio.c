// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-ext in-kernel virtio transport.
 *
 * Each device instance is an anonymous-inode fd speaking the subset of the
 * vhost / vhost-vdpa uAPI (<linux/vhost.h>) that has a counterpart here:
 * owner, features, backend features, status, config space, the memory
 * table (VHOST_SET_MEM_TABLE, as vhost-net: guest-physical to VMM
 * virtual), vring num/addr/base/enable/size, kick, call and error
 * eventfds, the config-change eventfd, suspend and resume
 * (VHOST_VDPA_SUSPEND/RESUME), vhost's dirty log (VHOST_F_LOG_ALL,
 * VHOST_SET_LOG_BASE/FD, VHOST_VRING_F_LOG), and reset (status 0).  Ring
 * addresses are VMM virtual addresses (as vhost); buffer addresses in
 * descriptors are guest-physical and reach memory only through the memory
 * table.  Every other ioctl of <linux/vhost.h> is refused the way vhost's
 * own dispatch refuses an ioctl it lacks (see vring_ioctl());
 * Documentation/virtio.rst has the table, ioctl by ioctl.
 *
 * Why not the kernel's vhost core: drivers/vhost/vhost.c has device-side
 * ring code (vhost_get_vq_desc(), vhost_add_used_and_signal(), ...),
 * exported, and CONFIG_VHOST=m on every kernel we target, but its header
 * drivers/vhost/vhost.h is private (not in linux-headers) and struct
 * vhost_dev and struct vhost_virtqueue change shape between our kernels
 * (vhost_task and the worker ops after 6.1, several workers per device):
 * a module built outside the tree would have to carry three copies of a
 * private layout.  So the split ring (vext_vring.c) stays ours.  What is
 * vhost's: the uAPI, and vhost_iotlb (<linux/vhost_iotlb.h>, public,
 * exported by vhost_iotlb.ko on every target), which holds the memory
 * table (vext_memtable.c).
 *
 * Who serves a kick.  By default (inline_kick) a kick written by a thread
 * of the owner process -- a vCPU thread whose MMIO write KVM turned into
 * an ioeventfd signal, or a VMM thread -- is served by that thread itself,
 * in task work it runs before it returns to user mode (for a vCPU: before
 * KVM re-enters the guest; kernel/entry/kvm.c runs task work on that
 * path).  That saves the thread hand-off, which dominates a request's
 * cost: the request is served in the VMM's own context (its mm, cgroups,
 * memcg, CPU time), like any system call it makes.  Every other kick (a
 * kernel context, another process, a dying thread, inline_kick=0) and any
 * work left after one queue's worth wakes the device's worker, a kernel
 * thread in the VMM's mm.  vhost has no counterpart: it always hands off.
 *
 * Locking: vdev->lock (mutex) covers all device state: status, features,
 * memory table, queue configuration and eventfds, and the device's own
 * state.  Whoever serves (worker or inline) takes the kicked queues and
 * serves them under it, so control ioctls never race with request
 * processing; the worker drops it between rounds.  vdev->pending (an
 * atomic bit mask of kicked queues) and vdev->inline_queued are set from
 * the kick eventfd's wakeup callback, which runs under the eventfd's
 * wait-queue spinlock with interrupts off: it only sets bits, queues the
 * task work and wakes the worker.  vext_types_lock (mutex) covers the
 * list of registered device types.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/cgroup.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>

#include <linux/vfio_ext.h>
#include "vfio_ext_uarg.h"
#include "vfio_ext_compat_eventfd.h"
#include "vfio_ext_compat_fs.h"
#include "vfio_ext_compat_unaligned.h"
#include "vfio_ext_compat_vhost.h"
#include "vext_memtable.h"
#include "vext_virtio.h"

static bool inline_kick = true;
module_param(inline_kick, bool, 0644);
MODULE_PARM_DESC(inline_kick,
		 "Serve a kick from a thread of the owner process in that thread (default: on); off: always in the device's worker thread");

/* Status bits the driver may write (virtio 1.x, 2.1). */
#define DRIVER_BITS	(VIRTIO_CONFIG_S_ACKNOWLEDGE | \
			 VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK | \
			 VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED)

/**
 * struct vext_vq - one virtqueue
 * @dev: its device
 * @index: its number
 * @num: queue size set by VHOST_SET_VRING_NUM, 0 before
 * @desc: VMM address of the descriptor table
 * @avail: VMM address of the driver ring
 * @used: VMM address of the device ring
 * @addr_set: VHOST_SET_VRING_ADDR was called
 * @log_used: VHOST_VRING_F_LOG: log the device ring's writes at @log_addr
 * @log_addr: guest-physical address of the device ring (log_guest_addr)
 * @base: driver-ring index to start from (VHOST_SET_VRING_BASE)
 * @enabled: VHOST_VDPA_SET_VRING_ENABLE
 * @ring: the live ring while the device runs
 * @kick: the kick eventfd's file, or NULL
 * @kick_wqh: the wait queue @kick_wait is on, or NULL
 * @kick_wait: our entry on it
 * @kick_pt: to find it
 * @call: the call eventfd, or NULL
 * @err: the error eventfd (VHOST_SET_VRING_ERR): signalled when this
 *	queue breaks the device, or NULL
 */
struct vext_vq {
	struct vext_vdev *dev;
	unsigned int index;
	u16 num;
	u64 desc;
	u64 avail;
	u64 used;
	bool addr_set;
	bool log_used;
	u64 log_addr;
	u16 base;
	bool enabled;
	struct vext_vring ring;
	struct file *kick;
	wait_queue_head_t *kick_wqh;
	wait_queue_entry_t kick_wait;
	poll_table kick_pt;
	struct eventfd_ctx *call;
	struct eventfd_ctx *err;
};

/**
 * struct vext_vdev - one device instance
 * @ops: its type
 * @priv: the device driver's state
 * @lock: everything below but @pending (see the file comment)
 * @creator: address space of the process that created it; only it may own
 * @mm: the owner's address space (a user reference) after VHOST_SET_OWNER
 * @worker: serves the queues in @mm; exists while @mm is set
 * @pending: queues kicked and not yet served (atomic bit operations)
 * @file: the device's file, set once by vext_vdev_install_fd()
 * @inline_queued: bit 0: @inline_work is queued on some thread, which
 *	holds a reference on @file until it has run
 * @inline_task: that thread (a hint, never dereferenced)
 * @inline_work: the task work that serves a kick in the kicking thread
 * @status: virtio device status
 * @features: what the driver wrote with VHOST_SET_FEATURES, without
 *	VHOST_F_LOG_ALL (the transport's, kept in @log_all)
 * @log_all: VHOST_F_LOG_ALL: every write to guest memory is logged
 * @log_base: VMM address of the dirty bitmap (VHOST_SET_LOG_BASE)
 * @log_base_set: VHOST_SET_LOG_BASE was called
 * @log_ctx: eventfd signalled after writes were logged (VHOST_SET_LOG_FD),
 *	or NULL
 * @logged: something was logged since @log_ctx was last signalled
 * @backend_features: VHOST_SET_BACKEND_FEATURES, a subset of
 *	VEXT_BACKEND_FEATURES; kept until the fd is closed (as vhost)
 * @running: DRIVER_OK, and neither FAILED nor DEVICE_NEEDS_RESET
 * @suspended: VHOST_VDPA_SUSPEND with DRIVER_OK, until VHOST_VDPA_RESUME
 *	or a reset: nothing is served, kicks stay in @pending (written
 *	under @lock, read without it by the worker)
 * @max_queue: largest queue size accepted
 * @mem: the memory table, or NULL
 * @config_call: eventfd for configuration-change notifications, or NULL
 * @ring_mem: accessor for the rings, in the VMM's address space
 * @chain: the chain being served (worker only)
 * @vqs: the queues
 */
struct vext_vdev {
	struct vext_vdev_ops *ops;
	void *priv;
	struct mutex lock;	/* see above */
	struct mm_struct *creator;
	struct mm_struct *mm;
	struct task_struct *worker;
	unsigned long pending;
	struct file *file;
	unsigned long inline_queued;
	struct task_struct *inline_task;
	struct callback_head inline_work;
	u8 status;
	u64 features;
	bool log_all;
	u64 log_base;
	bool log_base_set;
	struct eventfd_ctx *log_ctx;
	bool logged;
	u64 backend_features;
	bool running;
	bool suspended;
	u16 max_queue;
	struct vhost_iotlb *mem;
	struct eventfd_ctx *config_call;
	struct vext_mem ring_mem;
	struct vext_chain chain;
	struct vext_vq vqs[VEXT_MAX_VQS];
};

/*
 * The VHOST_BACKEND_F_* bits offered: SUSPEND and RESUME
 * (VHOST_VDPA_SUSPEND/RESUME).  IOTLB_MSG_V2, IOTLB_BATCH, IOTLB_ASID,
 * DESC_ASID and IOTLB_PERSIST describe vhost's IOTLB, which the device
 * does not have (it takes a memory table, as vhost-net);
 * ENABLE_AFTER_DRIVER_OK would let VHOST_VDPA_SET_VRING_ENABLE through
 * after DRIVER_OK, which is refused (EBUSY).
 */
#define VEXT_BACKEND_FEATURES	(BIT_ULL(VHOST_BACKEND_F_SUSPEND) | \
				 BIT_ULL(VHOST_BACKEND_F_RESUME))

static LIST_HEAD(vext_types);
static DEFINE_MUTEX(vext_types_lock);	/* vext_types */

/* ------------------------------------------------------------------ */
/* Guest and VMM memory                                                */
/* ------------------------------------------------------------------ */

/*
 * The dirty log, vhost's: a bitmap in the VMM's memory at @log_base, bit
 * (pfn % 8) of byte (pfn / 8) for the guest-physical 4 KiB page pfn
 * (VHOST_PAGE_SIZE, whatever the host's page size).
 */
#define VEXT_LOG_PAGE_SHIFT	12
#define VEXT_LOG_BYTE_SHIFT	(VEXT_LOG_PAGE_SHIFT + 3)

/*
 * Is the bitmap of guest-physical [@gpa, @gpa + @len) at @base writable
 * memory of the caller (the owner)?  Checked when logging is switched on
 * and whenever what it covers changes, so that the device's writes,
 * which log, do not fail.
 */
static int log_range_ok(u64 base, u64 gpa, u64 len)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u64 first, last;
	int ret = 0;

	if (!len)
		return 0;
	if (check_add_overflow(gpa, len - 1, &last) ||
	    check_add_overflow(base, gpa >> VEXT_LOG_BYTE_SHIFT, &first) ||
	    check_add_overflow(base, last >> VEXT_LOG_BYTE_SHIFT, &last) ||
	    (u64)(unsigned long)last != last ||
	    !access_ok(u64_to_user_ptr(first), last - first + 1))
		return -EFAULT;
	mmap_read_lock(mm);
	for (;;) {
		vma = vma_lookup(mm, first);
		if (!vma || !(vma->vm_flags & VM_WRITE) ||
		    vma->vm_flags & (VM_IO | VM_PFNMAP)) {
			ret = -EFAULT;
			break;
		}
		if (vma->vm_end > last)
			break;
		first = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

/* The used ring's bytes for a queue of @num entries (virtio 2.7.8). */
static u64 used_size(u64 num)
{
	return 6 + 8 * num;
}

/*
 * Does the log at @base cover every guest page the device may write: the
 * memory table @mem and the device rings logged?  lock held.
 */
static int log_covers(struct vext_vdev *dev, u64 base,
		      struct vhost_iotlb *mem)
{
	struct vhost_iotlb_map *r;
	unsigned int i;
	int ret;

	for (r = mem ? vext_memtable_first(mem) : NULL; r;
	     r = vext_memtable_next(r)) {
		ret = log_range_ok(base, r->start, r->last - r->start + 1);
		if (ret)
			return ret;
	}
	for (i = 0; i < dev->ops->nr_vqs; i++) {
		struct vext_vq *vq = &dev->vqs[i];

		if (!vq->log_used)
			continue;
		ret = log_range_ok(base, vq->log_addr,
				   used_size(vq->num ?: dev->max_queue));
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Log a write of @len bytes at guest-physical @gpa, made just before.
 * The bits are set atomically (the VMM clears them concurrently), in the
 * page pinned as vhost's set_bit_to_user() does.  Fails only if the VMM
 * unmapped or write-protected its bitmap after handing it in: the write
 * then counts as failed (the device needs a reset), as no completion may
 * reach the guest with its pages unlogged.  lock held.
 */
static int log_write(struct vext_vdev *dev, u64 gpa, u64 len)
{
	u64 pfn, last, byte, page_addr;
	struct page *page;
	void *kaddr;

	if (!dev->log_all || !len)
		return 0;
	if (check_add_overflow(gpa, len - 1, &last))
		return -EFAULT;
	/* The data before its bit: whoever clears the bit sees the data. */
	smp_wmb();
	pfn = gpa >> VEXT_LOG_PAGE_SHIFT;
	last >>= VEXT_LOG_PAGE_SHIFT;
	while (pfn <= last) {
		byte = dev->log_base + pfn / 8;
		page_addr = byte & PAGE_MASK;
		if (pin_user_pages_fast(page_addr, 1, FOLL_WRITE, &page) != 1)
			return -EFAULT;
		kaddr = kmap_local_page(page);
		do {
			set_bit_le((byte - page_addr) * 8 + pfn % 8, kaddr);
			pfn++;
			byte = dev->log_base + pfn / 8;
		} while (pfn <= last && (byte & PAGE_MASK) == page_addr);
		kunmap_local(kaddr);
		unpin_user_pages_dirty_lock(&page, 1, true);
	}
	dev->logged = true;
	return 0;
}

/* The device ring's writes (struct vext_mem's ->log()). */
static int ring_log(void *ctx, u64 gpa, size_t len)
{
	return log_write(ctx, gpa, len);
}

/*
 * Move @n bytes between a kernel buffer and the VMM's @uva, both a
 * multiple of 2, in one user-access section, in the widest words both
 * allow (8, 4 or 2 bytes).  A request's fields and status, a descriptor,
 * a batch of the rings' entries are a few words: the general copy
 * routines and the hardened-usercopy check their variable size brings
 * cost more than the move at these sizes (sampled: a sixth of a
 * virtio-iommu request).
 */
static unsigned int word_size(u64 uva, u64 n)
{
	return (uva | n) & 7 ? ((uva | n) & 3 ? 2 : 4) : 8;
}

static int words_to_user(u64 uva, const void *buf, u64 n)
{
	void __user *p = u64_to_user_ptr(uva);
	unsigned int w = word_size(uva, n);
	u64 i;

	might_fault();
	if (!user_write_access_begin(p, n))
		return -EFAULT;
	for (i = 0; i < n; i += w) {
		if (w == 8)
			unsafe_put_user(get_unaligned((const u64 *)(buf + i)),
					(u64 __user *)(p + i), fault);
		else if (w == 4)
			unsafe_put_user(get_unaligned((const u32 *)(buf + i)),
					(u32 __user *)(p + i), fault);
		else
			unsafe_put_user(get_unaligned((const u16 *)(buf + i)),
					(u16 __user *)(p + i), fault);
	}
	user_write_access_end();
	return 0;
fault:
	user_write_access_end();
	return -EFAULT;
}

static int words_from_user(void *buf, u64 uva, u64 n)
{
	void __user *p = u64_to_user_ptr(uva);
	unsigned int w = word_size(uva, n);
	u64 i, x8;
	u32 x4;
	u16 x2;

	might_fault();
	if (!user_read_access_begin(p, n))
		return -EFAULT;
	for (i = 0; i < n; i += w) {
		if (w == 8) {
			unsafe_get_user(x8, (u64 __user *)(p + i), fault);
			put_unaligned(x8, (u64 *)(buf + i));
		} else if (w == 4) {
			unsafe_get_user(x4, (u32 __user *)(p + i), fault);
			put_unaligned(x4, (u32 *)(buf + i));
		} else {
			unsafe_get_user(x2, (u16 __user *)(p + i), fault);
			put_unaligned(x2, (u16 *)(buf + i));
		}
	}
	user_read_access_end();
	return 0;
fault:
	user_read_access_end();
	return -EFAULT;
}

/* Guest copies up to this size, of whole words, go word by word. */
#define VEXT_WORDS_MAX	64

/*
 * Rings: VMM virtual addresses, read in the worker (the VMM's mm).  What
 * the ring code moves -- an index (2 bytes), descriptors (up to
 * VEXT_VRING_DESCS), a batch of driver-ring heads or device-ring entries
 * (up to VEXT_VRING_BATCH) -- goes word by word in one user-access
 * section, not through the general copy routines (vhost likewise moves
 * its rings' fields with get_user()/put_user()).
 */
#define VEXT_RING_WORDS_MAX	max(8 * VEXT_VRING_BATCH, 16 * VEXT_VRING_DESCS)

static int ring_read(void *ctx, u64 addr, void *buf, size_t len)
{
	if (len <= VEXT_RING_WORDS_MAX && !((addr | len) & 1))
		return words_from_user(buf, addr, len);
	return copy_from_user(buf, u64_to_user_ptr(addr), len) ? -EFAULT : 0;
}

static int ring_write(void *ctx, u64 addr, const void *buf, size_t len)
{
	if (len <= VEXT_RING_WORDS_MAX && !((addr | len) & 1))
		return words_to_user(addr, buf, len);
	return copy_to_user(u64_to_user_ptr(addr), buf, len) ? -EFAULT : 0;
}

/*
 * Copy between a kernel buffer and guest-physical memory; what is written
 * is logged (with VHOST_F_LOG_ALL) before this returns.  lock held.
 */
static int gpa_copy(struct vext_vdev *dev, u64 gpa, void *buf, u64 len,
		    bool to_guest)
{
	u64 uva, n;

	while (len) {
		if (!dev->mem ||
		    vext_memtable_translate(dev->mem, gpa, len, &uva, &n))
			return -EFAULT;
		if (n <= VEXT_WORDS_MAX && !((uva | n) & 1)) {
			if (to_guest ? words_to_user(uva, buf, n) :
			    words_from_user(buf, uva, n))
				return -EFAULT;
		} else if (to_guest ? copy_to_user(u64_to_user_ptr(uva), buf, n) :
			   copy_from_user(buf, u64_to_user_ptr(uva), n)) {
			return -EFAULT;
		}
		if (to_guest && log_write(dev, gpa, n))
			return -EFAULT;
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Walk @len bytes at @off of segments [@first, @first + @nr) of @c. */
static int chain_copy(struct vext_vdev *dev, const struct vext_chain *c,
		      unsigned int first, unsigned int nr, u64 off,
		      void *buf, u64 len, bool to_guest)
{
	unsigned int i;
	u64 n;
	int ret;

	for (i = first; i < first + nr && len; i++) {
		const struct vext_seg *s = &c->seg[i];

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = min_t(u64, s->len - off, len);
		ret = gpa_copy(dev, s->addr + off, buf, n, to_guest);
		if (ret)
			return ret;
		buf += n;
		len -= n;
		off = 0;
	}
	return len ? -EINVAL : 0;
}

/**
 * vext_chain_read() - copy from the readable part of a chain
 * @vdev: the device (in ->request(), so in the VMM's address space)
 * @c: the chain
 * @off: offset in its readable part
 * @buf: destination
 * @len: bytes
 *
 * Return: 0; -EINVAL if the readable part is shorter than @off + @len;
 * -EFAULT for guest memory outside the memory table.
 */
int vext_chain_read(struct vext_vdev *vdev, const struct vext_chain *c,
		    u64 off, void *buf, u64 len)
{
	lockdep_assert_held(&vdev->lock);
	return chain_copy(vdev, c, 0, c->nr_out, off, buf, len, false);
}
EXPORT_SYMBOL_GPL(vext_chain_read);

/**
 * vext_chain_write() - copy into the writable part of a chain
 * @vdev: the device (in ->request())
 * @c: the chain
 * @off: offset in its writable part
 * @buf: source
 * @len: bytes
 *
 * With dirty logging on (VHOST_F_LOG_ALL), the pages written are logged
 * before this returns.
 *
 * Return: as vext_chain_read(); -EFAULT also when the VMM's dirty log
 * cannot be written.
 */
int vext_chain_write(struct vext_vdev *vdev, const struct vext_chain *c,
		     u64 off, const void *buf, u64 len)
{
	lockdep_assert_held(&vdev->lock);
	return chain_copy(vdev, c, c->nr_out, c->nr_in, off, (void *)buf, len,
			  true);
}
EXPORT_SYMBOL_GPL(vext_chain_write);

/**
 * vext_vdev_gpa_to_uva() - VMM address backing a guest-physical range
 * @vdev: the device (lock held: in ->request())
 * @gpa: guest-physical start
 * @len: bytes, all in one region of the memory table
 * @uva: out: the VMM virtual address of @gpa
 *
 * Return: 0; -EFAULT when @gpa is not in the table; -ERANGE when the range
 * leaves its region.
 */
int vext_vdev_gpa_to_uva(struct vext_vdev *vdev, u64 gpa, u64 len, u64 *uva)
{
	u64 n;

	lockdep_assert_held(&vdev->lock);
	if (!vdev->mem || vext_memtable_translate(vdev->mem, gpa, len, uva, &n))
		return -EFAULT;
	return n == len ? 0 : -ERANGE;
}
EXPORT_SYMBOL_GPL(vext_vdev_gpa_to_uva);

/**
 * vext_vdev_uva_to_gpa() - guest-physical address of VMM memory
 * @vdev: the device (lock held)
 * @uva: VMM virtual address
 * @len: bytes from @uva on, all in one region of the memory table
 * @gpa: out: the guest-physical address of @uva
 *
 * The inverse of vext_vdev_gpa_to_uva(), for saving state that holds VMM
 * addresses: the first region (in guest-physical order) backing all of
 * the range, so a range that two regions alias gets the lower address.
 * A walk: the table has at most VEXT_MAX_MEM_REGIONS regions.
 *
 * Return: 0, or -EFAULT when no region backs the whole range.
 */
int vext_vdev_uva_to_gpa(struct vext_vdev *vdev, u64 uva, u64 len, u64 *gpa)
{
	lockdep_assert_held(&vdev->lock);
	if (!vdev->mem)
		return -EFAULT;
	return vext_memtable_uva_to_gpa(vdev->mem, uva, len, gpa);
}
EXPORT_SYMBOL_GPL(vext_vdev_uva_to_gpa);

/* ------------------------------------------------------------------ */
/* The worker                                                          */
/* ------------------------------------------------------------------ */

/* The ring or guest memory is broken: DEVICE_NEEDS_RESET.  lock held. */
static void needs_reset(struct vext_vdev *dev, struct vext_vq *vq, int err)
{
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	dev->running = false;
	pr_debug("%s: queue %u broken (%d): device needs reset\n",
		 dev->ops->name, vq->index, err);
	/* vhost's vq_err(): the queue's error eventfd. */
	if (vq->err)
		vfio_ext_eventfd_signal(vq->err);
	/* The spec's configuration change notification (2.1.2). */
	if (dev->config_call)
		vfio_ext_eventfd_signal(dev->config_call);
}

/*
 * Used entries announced together at most: a driver that polls the used
 * index (Linux's virtio-iommu driver does) sees a long round's first
 * answers before its last; the call is signalled once, at the round's
 * end (vhost-net batches 64).
 */
#define VEXT_USED_BATCH	32
/*
 * A round's used entries go into the ring at its end, in one access (two
 * across the ring's end).
 */
static_assert(VEXT_USED_BATCH <= VEXT_VRING_BATCH);

/*
 * Serve up to one queue's worth of requests, then give the others (and
 * the control path) a turn: a guest that keeps the ring full keeps the
 * worker busy, never stuck.  The used entries are announced with one
 * index update per VEXT_USED_BATCH, each batch a round of the device's
 * (->round ends before the index update), and whatever was served is
 * announced even when the ring breaks after it.  lock held.
 */
static void serve_vq(struct vext_vdev *dev, struct vext_vq *vq)
{
	unsigned int n;
	bool pushed = false, round = false;
	int ret = 0, len, pub;

	if (!dev->running || !vq->enabled ||
	    !(dev->ops->served_vqs & BIT(vq->index)))
		return;
	for (n = 0; n < vq->num; n++) {
		ret = vext_vring_pop(&vq->ring, &dev->ring_mem, &dev->chain);
		if (ret <= 0)
			break;
		/* A round is worth its hooks from its second request on. */
		if (n && !round && dev->ops->round) {
			dev->ops->round(dev, vq->index, false);
			round = true;
		}
		len = dev->ops->request(dev, vq->index, &dev->chain);
		if (len < 0) {
			ret = len;
			break;
		}
		ret = vext_vring_add_used(&vq->ring, &dev->ring_mem,
					  dev->chain.head, len);
		if (ret)
			break;
		if (vq->ring.used_pending >= VEXT_USED_BATCH) {
			/* The device finishes a round before announcing it. */
			if (round)
				dev->ops->round(dev, vq->index, true);
			round = false;
			ret = vext_vring_publish(&vq->ring, &dev->ring_mem);
			if (ret < 0)
				break;
			pushed = true;
		}
	}
	if (round)
		dev->ops->round(dev, vq->index, true);
	pub = vext_vring_publish(&vq->ring, &dev->ring_mem);
	if (pub > 0)
		pushed = true;
	if (ret >= 0 && pub < 0)
		ret = pub;
	if (ret < 0) {
		needs_reset(dev, vq, ret);
		return;
	}
	if (n == vq->num)
		set_bit(vq->index, &dev->pending);	/* more may wait */
	if (!pushed)
		return;
	ret = vext_vring_want_interrupt(&vq->ring, &dev->ring_mem);
	if (ret < 0)
		needs_reset(dev, vq, ret);
	else if (ret && vq->call)
		vfio_ext_eventfd_signal(vq->call);
}

/*
 * Serve the kicked queues.  Taking them under the lock makes a kick's
 * service visible to any later holder of the lock.  A suspended device
 * leaves them pending: VHOST_VDPA_RESUME serves them.  lock held.
 */
static void serve_pending(struct vext_vdev *dev)
{
	unsigned long pending;
	unsigned int qi;

	if (dev->suspended)
		return;
	pending = xchg(&dev->pending, 0);
	for_each_set_bit(qi, &pending, dev->ops->nr_vqs)
		serve_vq(dev, &dev->vqs[qi]);
	/* vhost signals its log eventfd after logging; once per round. */
	if (dev->logged) {
		dev->logged = false;
		if (dev->log_ctx)
			vfio_ext_eventfd_signal(dev->log_ctx);
	}
}

static int vext_worker(void *data)
{
	struct vext_vdev *dev = data;
	struct mem_cgroup *memcg, *old;

	kthread_use_mm(dev->mm);
	/* Kernel memory allocated for the guest is charged to the VMM. */
	memcg = get_mem_cgroup_from_mm(dev->mm);
	old = set_active_memcg(memcg);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		/* Suspended: RESUME wakes us (after clearing the flag). */
		if (!READ_ONCE(dev->pending) || READ_ONCE(dev->suspended)) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		mutex_lock(&dev->lock);
		serve_pending(dev);
		mutex_unlock(&dev->lock);
		cond_resched();
	}
	__set_current_state(TASK_RUNNING);
	set_active_memcg(old);
	mem_cgroup_put(memcg);
	kthread_unuse_mm(dev->mm);
	return 0;
}

static void wake_worker(struct vext_vdev *dev)
{
	if (dev->worker)
		wake_up_process(dev->worker);
}

static void kick_worker(struct vext_vdev *dev, unsigned int qi)
{
	set_bit(qi, &dev->pending);
	wake_worker(dev);
}

/*
 * The task work queued by kick_inline(), run by the kicking thread on its
 * way back to user mode (or, if it is exiting, from do_exit() without an
 * mm: then the worker takes over).
 */
static void inline_serve(struct callback_head *work)
{
	struct vext_vdev *dev = container_of(work, struct vext_vdev,
					     inline_work);
	struct file *file = dev->file;

	WRITE_ONCE(dev->inline_task, NULL);
	clear_bit(0, &dev->inline_queued);
	/* Cleared before @pending is taken: a kick that still sees the bit
	 * set leaves its queue to this run (see kick_inline()).
	 */
	smp_mb__after_atomic();
	if (current->mm == dev->mm && !fatal_signal_pending(current)) {
		mutex_lock(&dev->lock);
		serve_pending(dev);
		mutex_unlock(&dev->lock);
	}
	/* More than a queue's worth, or not ours to serve: the worker. */
	if (READ_ONCE(dev->pending) && !READ_ONCE(dev->suspended))
		wake_worker(dev);
	fput(file);
}

/*
 * Have the current thread serve @dev's kicked queues before it returns to
 * user mode.  Only a user thread of the owner process qualifies (the
 * requests are then served in the VMM's own context, as the worker would
 * serve them).  Called with the kick eventfd's wait-queue lock held.
 *
 * Return: true if the kick is taken care of without the worker.
 */
static bool kick_inline(struct vext_vdev *dev)
{
	if (!READ_ONCE(inline_kick) || !in_task() || !current->mm ||
	    current->mm != READ_ONCE(dev->mm) ||
	    current->flags & (PF_KTHREAD | PF_EXITING | PF_IO_WORKER))
		return false;
	/* Fully ordered after our set_bit() of @pending: if the work is
	 * already queued and has not yet cleared the bit, its run takes
	 * our queue too.  Queued on another thread, which may be slow to
	 * get back to user mode (preempted, throttled): the worker is woken
	 * as well, and whichever takes the device lock first serves.
	 */
	if (test_and_set_bit(0, &dev->inline_queued))
		return READ_ONCE(dev->inline_task) == current;
	WRITE_ONCE(dev->inline_task, current);
	/* The file keeps the device (and this module) until the work has
	 * run.  Its memory is live here: the release path takes this wait
	 * queue's lock (kick_detach()) before it frees anything.
	 */
	if (dev->file && vfio_ext_file_tryget(dev->file)) {
		init_task_work(&dev->inline_work, inline_serve);
		if (!task_work_add(current, &dev->inline_work, TWA_RESUME))
			return true;
		fput(dev->file);	/* the thread is exiting */
	}
	clear_bit(0, &dev->inline_queued);
	return false;
}

/* The kick eventfd was written (its wait-queue lock held, IRQs off). */
static int kick_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
		       void *key)
{
	struct vext_vq *vq = container_of(wait, struct vext_vq, kick_wait);
	struct vext_vdev *dev = vq->dev;

	if (!(key_to_poll(key) & EPOLLIN))
		return 0;
	set_bit(vq->index, &dev->pending);
	if (!kick_inline(dev))
		wake_worker(dev);
	return 0;
}

static void kick_queue_proc(struct file *file, wait_queue_head_t *wqh,
			    poll_table *pt)
{
	struct vext_vq *vq = container_of(pt, struct vext_vq, kick_pt);

	vq->kick_wqh = wqh;
	add_wait_queue(wqh, &vq->kick_wait);
}

/* lock held */
static void kick_detach(struct vext_vq *vq)
{
	if (vq->kick_wqh)
		remove_wait_queue(vq->kick_wqh, &vq->kick_wait);
	vq->kick_wqh = NULL;
	if (vq->kick)
		fput(vq->kick);
	vq->kick = NULL;
}

/* lock held */
static int kick_attach(struct vext_vq *vq, int fd)
{
	struct file *f = NULL;
	__poll_t mask;

	if (fd != VHOST_FILE_UNBIND) {
		f = eventfd_fget(fd);
		if (IS_ERR(f))
			return PTR_ERR(f);
	}
	kick_detach(vq);
	if (!f)
		return 0;
	vq->kick = f;
	init_waitqueue_func_entry(&vq->kick_wait, kick_wakeup);
	init_poll_funcptr(&vq->kick_pt, kick_queue_proc);
	mask = vfs_poll(f, &vq->kick_pt);
	if (mask & EPOLLIN)
		kick_worker(vq->dev, vq->index);	/* kicked before */
	return 0;
}

/* Replace *@slot with the eventfd @fd (VHOST_FILE_UNBIND: none).  lock held. */
static int set_eventfd(struct eventfd_ctx **slot, int fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd != VHOST_FILE_UNBIND) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Status                                                              */
/* ------------------------------------------------------------------ */

/* The virtio features offered; VHOST_GET_FEATURES adds VHOST_F_LOG_ALL. */
static u64 offered(const struct vext_vdev *dev)
{
	return dev->ops->features | BIT_ULL(VIRTIO_F_VERSION_1);
}

/* Back to the initial state; owner and memory table stay.  lock held. */
static void reset_locked(struct vext_vdev *dev)
{
	unsigned int i;

	dev->running = false;
	WRITE_ONCE(dev->suspended, false);
	dev->ops->reset(dev);
	dev->status = 0;
	dev->features = 0;
	dev->log_all = false;
	for (i = 0; i < dev->ops->nr_vqs; i++) {
		struct vext_vq *vq = &dev->vqs[i];

		kick_detach(vq);
		set_eventfd(&vq->call, VHOST_FILE_UNBIND);
		set_eventfd(&vq->err, VHOST_FILE_UNBIND);
		vq->num = 0;
		vq->addr_set = false;
		vq->log_used = false;
		vq->log_addr = 0;
		vq->base = 0;
		vq->enabled = false;
		memset(&vq->ring, 0, sizeof(vq->ring));
	}
	/* The worker idles: it cannot serve while we hold the lock. */
	dev->pending = 0;
}

static bool ring_in_user(u64 addr, u64 size)
{
	return access_ok(u64_to_user_ptr(addr), size);
}

/* DRIVER_OK: every enabled queue described and inside the VMM's space. */
static int activate(struct vext_vdev *dev)
{
	unsigned int i;
	int ret;

	if (!dev->mem || (dev->log_all && !dev->log_base_set))
		return -EINVAL;
	for (i = 0; i < dev->ops->nr_vqs; i++) {
		struct vext_vq *vq = &dev->vqs[i];
		u64 num = vq->num;

		if (!vq->enabled)
			continue;
		if (!num || !vq->addr_set)
			return -EINVAL;
		if (!ring_in_user(vq->desc, 16 * num) ||
		    !ring_in_user(vq->avail, 6 + 2 * num) ||
		    !ring_in_user(vq->used, 6 + 8 * num))
			return -EFAULT;
		ret = vext_vring_init(&vq->ring, vq->num, vq->desc, vq->avail,
				      vq->used);
		if (!ret)
			ret = vext_vring_start(&vq->ring, &dev->ring_mem,
					       vq->base);
		if (ret)
			return ret;
		vq->ring.log = vq->log_used;
		vq->ring.log_addr = vq->log_addr;
	}
	dev->running = true;
	for (i = 0; i < dev->ops->nr_vqs; i++)
		if (dev->vqs[i].enabled)
			kick_worker(dev, i);	/* the guest may have kicked */
	return 0;
}

/*
 * The virtio status rules (2.1, 3.1.1): 0 resets; bits are only added, in
 * order (ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK); DEVICE_NEEDS_RESET
 * is the device's (a driver may write it back, not set it, and only a
 * reset clears it); FEATURES_OK is kept only
 * for an acceptable feature set, so the driver sees a refusal by reading
 * the status back.  lock held.
 */
static int set_status(struct vext_vdev *dev, u8 st)
{
	u8 old = dev->status, new;
	int ret;

	if (!st) {
		reset_locked(dev);
		return 0;
	}
	if (st & ~(DRIVER_BITS | VIRTIO_CONFIG_S_NEEDS_RESET) ||
	    st & ~old & VIRTIO_CONFIG_S_NEEDS_RESET)
		return -EINVAL;
	st |= old & VIRTIO_CONFIG_S_NEEDS_RESET;
	if (old & ~st)
		return -EINVAL;		/* only a reset clears bits */
	if ((st & VIRTIO_CONFIG_S_DRIVER &&
	     !(st & VIRTIO_CONFIG_S_ACKNOWLEDGE)) ||
	    (st & VIRTIO_CONFIG_S_FEATURES_OK &&
	     !(st & VIRTIO_CONFIG_S_DRIVER)) ||
	    (st & VIRTIO_CONFIG_S_DRIVER_OK &&
	     !(st & VIRTIO_CONFIG_S_FEATURES_OK)))
		return -EINVAL;
	new = st & ~old;
	if (new & VIRTIO_CONFIG_S_FEATURES_OK) {
		u64 f = dev->features;

		if (f & ~offered(dev) || !(f & BIT_ULL(VIRTIO_F_VERSION_1)) ||
		    (dev->ops->features_ok && !dev->ops->features_ok(dev, f)))
			st &= ~(VIRTIO_CONFIG_S_FEATURES_OK |
				VIRTIO_CONFIG_S_DRIVER_OK);
	}
	if (st & new & VIRTIO_CONFIG_S_DRIVER_OK &&
	    !(st & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		ret = activate(dev);
		if (ret)
			return ret;
	}
	if (st & VIRTIO_CONFIG_S_FAILED)
		dev->running = false;
	dev->status = st;
	return 0;
}

/* ------------------------------------------------------------------ */
/* ioctls                                                              */
/* ------------------------------------------------------------------ */

static int set_owner(struct vext_vdev *dev)
{
	struct task_struct *worker;
	struct mm_struct *mm;
	int ret = 0;

	mutex_lock(&dev->lock);
	if (dev->mm) {
		ret = -EBUSY;
		goto out;
	}
	if (current->mm != dev->creator) {
		ret = -EPERM;	/* the creator's address space owns it */
		goto out;
	}
	mm = get_task_mm(current);
	if (!mm) {
		ret = -EINVAL;
		goto out;
	}
	dev->mm = mm;	/* before the worker starts: it uses it */
	worker = kthread_create(vext_worker, dev, "vext-%s-%d",
				dev->ops->name, task_pid_nr(current));
	if (IS_ERR(worker)) {
		ret = PTR_ERR(worker);
		dev->mm = NULL;
		mmput(mm);
		goto out;
	}
	/* The worker's CPU time counts in the VMM's cgroups (as vhost's). */
	ret = cgroup_attach_task_all(current, worker);
	if (ret) {
		kthread_stop(worker);
		dev->mm = NULL;
		mmput(mm);
		goto out;
	}
	dev->worker = worker;
	wake_up_process(worker);
out:
	mutex_unlock(&dev->lock);
	return ret;
}

static int set_mem_table(struct vext_vdev *dev, void __user *argp)
{
	struct vhost_memory hdr;
	struct vhost_memory_region r;
	struct vhost_iotlb *t;
	u32 i;
	int ret = 0;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding)
		return -EOPNOTSUPP;	/* as vhost */
	if (hdr.nregions > VEXT_MAX_MEM_REGIONS)
		return -E2BIG;
	t = vext_memtable_alloc();
	if (!t)
		return -ENOMEM;
	for (i = 0; i < hdr.nregions && !ret; i++) {
		if (copy_from_user(&r, argp + sizeof(hdr) + i * sizeof(r),
				   sizeof(r)))
			ret = -EFAULT;
		else
			ret = vext_memtable_add(t, r.guest_phys_addr,
						r.memory_size,
						r.userspace_addr, TASK_SIZE);
	}
	/* As vhost: a table the dirty log does not cover is -EFAULT. */
	if (!ret && dev->log_all && dev->log_base_set)
		ret = log_covers(dev, dev->log_base, t);
	if (ret) {
		vext_memtable_free(t);
		return ret;
	}
	vext_memtable_free(dev->mem);
	dev->mem = t;
	return 0;
}

static int config_access(struct vext_vdev *dev, void __user *argp, bool set)
{
	struct vhost_vdpa_config c;
	size_t size = dev->ops->config_size;
	u8 *buf;
	int ret = 0;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (!c.len || c.len > size || c.off > size - c.len)
		return -EINVAL;
	buf = kzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (set) {
		if (copy_from_user(buf, argp + sizeof(c), c.len))
			ret = -EFAULT;
		else
			dev->ops->set_config(dev, c.off, buf, c.len);
	} else {
		dev->ops->get_config(dev, buf);
		if (copy_to_user(argp + sizeof(c), buf + c.off, c.len))
			ret = -EFAULT;
	}
	kfree(buf);
	return ret;
}

/* Queue setup is refused while the driver runs it (as vhost-vdpa's). */
static bool vq_busy(struct vext_vdev *dev)
{
	return dev->status & VIRTIO_CONFIG_S_DRIVER_OK;
}

/*
 * VHOST_SET_VRING_ADDR.  While the driver runs the queue, only the
 * logging of its device ring may change (as a VMM starting migration
 * does): the same addresses, or EBUSY.  lock held.
 */
static int set_vring_addr(struct vext_vdev *dev, struct vext_vq *vq,
			  const struct vhost_vring_addr *a)
{
	bool log = a->flags & BIT(VHOST_VRING_F_LOG);

	if (vq_busy(dev) && (a->desc_user_addr != vq->desc ||
			     a->avail_user_addr != vq->avail ||
			     a->used_user_addr != vq->used || !vq->addr_set))
		return -EBUSY;
	if (a->flags & ~BIT(VHOST_VRING_F_LOG))
		return -EOPNOTSUPP;
	if (a->desc_user_addr % 16 || a->avail_user_addr % 2 ||
	    a->used_user_addr % 4)
		return -EINVAL;
	/* As vhost: a device ring the log does not cover is -EINVAL. */
	if (log && dev->log_base_set &&
	    log_range_ok(dev->log_base, a->log_guest_addr,
			 used_size(vq->num ?: dev->max_queue)))
		return -EINVAL;
	vq->desc = a->desc_user_addr;
	vq->avail = a->avail_user_addr;
	vq->used = a->used_user_addr;
	vq->addr_set = true;
	vq->log_used = log;
	vq->log_addr = a->log_guest_addr;
	if (vq_busy(dev)) {
		vq->ring.log = log;
		vq->ring.log_addr = a->log_guest_addr;
	}
	return 0;
}

/*
 * VHOST_SET_FEATURES.  VHOST_F_LOG_ALL is the transport's: it switches
 * dirty logging, at any time (as vhost-net).  A running device needs a
 * log base for it (EINVAL); before DRIVER_OK the base may come later
 * (QEMU's vhost_dev_start() sets it after the features and the rings),
 * and activate() refuses to start without one.  A base must cover guest
 * memory and the logged device rings in writable memory (EFAULT, as
 * vhost), checked here or when it is set.  The virtio features are the
 * driver's, fixed at FEATURES_OK (EBUSY afterwards, as vhost-vdpa;
 * judged then).  lock held.
 */
static int set_features(struct vext_vdev *dev, u64 features)
{
	bool log = features & BIT_ULL(VHOST_F_LOG_ALL);
	int ret;

	features &= ~BIT_ULL(VHOST_F_LOG_ALL);
	if (dev->status & VIRTIO_CONFIG_S_FEATURES_OK &&
	    (features != dev->features || !(log || dev->log_all)))
		return -EBUSY;
	if (log && !dev->log_base_set &&
	    dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		return -EINVAL;
	if (log && dev->log_base_set) {
		ret = log_covers(dev, dev->log_base, dev->mem);
		if (ret)
			return ret;
	}
	dev->features = features;
	dev->log_all = log;
	return 0;
}

/*
 * VHOST_SET_LOG_BASE: the bitmap's address, at any time; while logging,
 * one that does not cover what the device may write is -EFAULT (as
 * vhost's).  lock held.
 */
static int set_log_base(struct vext_vdev *dev, u64 __user *argp)
{
	u64 base;
	int ret;

	if (copy_from_user(&base, argp, sizeof(base)))
		return -EFAULT;
	if ((u64)(unsigned long)base != base)
		return -EFAULT;
	if (dev->log_all) {
		ret = log_covers(dev, base, dev->mem);
		if (ret)
			return ret;
	}
	dev->log_base = base;
	dev->log_base_set = true;
	return 0;
}

/*
 * The queue ioctls, and every ioctl the device does not have: as vhost's
 * dispatch (vhost_dev_ioctl(), then vhost_vring_ioctl()), an ioctl that
 * reaches here has its argument's first u32 read as a queue index first
 * (-EFAULT), an index beyond the device's queues is -ENOBUFS, and an
 * ioctl nobody knows is then -ENOTTY.  So a VMM gets from us what
 * vhost-net and vhost-vdpa give it for an ioctl they lack.  lock held.
 */
static long vring_ioctl(struct vext_vdev *dev, unsigned int cmd,
			void __user *argp)
{
	struct vhost_vring_state s;
	struct vhost_vring_addr a;
	struct vhost_vring_file f;
	struct vext_vq *vq;
	u32 idx;

	if (get_user(idx, (u32 __user *)argp))
		return -EFAULT;
	if (idx >= dev->ops->nr_vqs)
		return -ENOBUFS;
	idx = array_index_nospec(idx, dev->ops->nr_vqs);
	vq = &dev->vqs[idx];

	switch (cmd) {
	case VHOST_SET_VRING_NUM:
		if (copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		if (vq_busy(dev))
			return -EBUSY;
		if (!s.num || s.num > dev->max_queue || !is_power_of_2(s.num))
			return -EINVAL;
		vq->num = s.num;
		return 0;
	case VHOST_SET_VRING_ADDR:
		if (copy_from_user(&a, argp, sizeof(a)))
			return -EFAULT;
		return set_vring_addr(dev, vq, &a);
	case VHOST_SET_VRING_BASE:
		if (copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		if (vq_busy(dev))
			return -EBUSY;
		if (s.num > U16_MAX)
			return -EINVAL;
		vq->base = s.num;
		return 0;
	case VHOST_GET_VRING_BASE:
		s.index = idx;
		s.num = vq_busy(dev) ? vq->ring.last_avail : vq->base;
		return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
	case VHOST_VDPA_SET_VRING_ENABLE:
		if (copy_from_user(&s, argp, sizeof(s)))
			return -EFAULT;
		if (vq_busy(dev))
			return -EBUSY;
		vq->enabled = !!s.num;
		return 0;
	case VHOST_VDPA_GET_VRING_SIZE:
		s.index = idx;
		s.num = dev->max_queue;	/* every queue's largest size */
		return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_SET_VRING_ERR:
		if (copy_from_user(&f, argp, sizeof(f)))
			return -EFAULT;
		if (cmd == VHOST_SET_VRING_KICK)
			return kick_attach(vq, f.fd);
		return set_eventfd(cmd == VHOST_SET_VRING_CALL ? &vq->call :
				   &vq->err, f.fd);
	}
	return -ENOTTY;
}

/*
 * VHOST_VDPA_SUSPEND, VHOST_VDPA_RESUME, as vhost-vdpa: without DRIVER_OK
 * both do nothing and succeed.  Every request is served under the lock
 * we hold, so when SUSPEND returns none is in flight, and none is served
 * until RESUME (or a reset, which ends the suspension); kicks arriving
 * meanwhile stay pending and RESUME has the worker serve them.  Queue
 * positions (VHOST_GET_VRING_BASE) are then stable.  lock held.
 */
static int suspend(struct vext_vdev *dev, bool on)
{
	if (!(dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return 0;
	WRITE_ONCE(dev->suspended, on);
	/* The worker checks @suspended after setting its state: woken
	 * here, it sees the flag cleared (wake_up_process() orders it).
	 */
	if (!on)
		wake_worker(dev);
	return 0;
}

/* Everything that needs the owner.  lock held. */
static long owner_ioctl(struct vext_vdev *dev, unsigned int cmd,
			void __user *argp)
{
	u64 features;
	u8 status;
	int fd;

	switch (cmd) {
	case VHOST_SET_FEATURES:
		if (copy_from_user(&features, argp, sizeof(features)))
			return -EFAULT;
		return set_features(dev, features);
	case VHOST_SET_LOG_BASE:
		return set_log_base(dev, argp);
	case VHOST_SET_LOG_FD:
		if (get_user(fd, (int __user *)argp))
			return -EFAULT;
		return set_eventfd(&dev->log_ctx, fd);
	case VHOST_VDPA_GET_STATUS:
		return put_user(dev->status, (u8 __user *)argp);
	case VHOST_VDPA_SET_STATUS:
		if (get_user(status, (u8 __user *)argp))
			return -EFAULT;
		return set_status(dev, status);
	case VHOST_VDPA_GET_CONFIG:
		return config_access(dev, argp, false);
	case VHOST_VDPA_SET_CONFIG:
		return config_access(dev, argp, true);
	case VHOST_VDPA_SET_CONFIG_CALL:
		if (get_user(fd, (int __user *)argp))
			return -EFAULT;
		return set_eventfd(&dev->config_call, fd);
	case VHOST_SET_MEM_TABLE:
		return set_mem_table(dev, argp);
	case VHOST_VDPA_SUSPEND:
	case VHOST_VDPA_RESUME:
		return suspend(dev, cmd == VHOST_VDPA_SUSPEND);
	default:
		return vring_ioctl(dev, cmd, argp);
	}
}

/*
 * VHOST_SET_BACKEND_FEATURES: any subset of the offer, at any time, from
 * anyone holding the fd; other bits are -EOPNOTSUPP (all as vhost-net's
 * and vhost-vdpa's).
 */
static long set_backend_features(struct vext_vdev *dev, u64 __user *argp)
{
	u64 features;

	if (copy_from_user(&features, argp, sizeof(features)))
		return -EFAULT;
	if (features & ~VEXT_BACKEND_FEATURES)
		return -EOPNOTSUPP;
	mutex_lock(&dev->lock);
	dev->backend_features = features;
	mutex_unlock(&dev->lock);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Device state (VFIO_EXT_VIRTIO_DEVICE_STATE)                         */
/* ------------------------------------------------------------------ */

/*
 * Save and load need a device that serves nothing: suspended, or not
 * DRIVER_OK.  lock held.
 */
static bool state_busy(struct vext_vdev *dev)
{
	return dev->status & VIRTIO_CONFIG_S_DRIVER_OK && !dev->suspended;
}

/*
 * All @len bytes to or from @f at its position (a stream has none), as
 * write(2) and read(2) would move it; the caller must not use the file
 * description concurrently.  No device lock: a pipe may block.  @moved:
 * part of the blob moved in an earlier call.
 *
 * Return: 0, -ENODATA at end of file before @len bytes, or the I/O's
 * error (-EAGAIN for a non-blocking fd that would block: part of the
 * blob may have moved).  A signal gives -EINTR once any byte of the blob
 * moved (the ioctl must not restart: the stream is spoilt), a restart
 * code before.
 */
static int state_io(struct file *f, void *buf, size_t len, bool write,
		    bool moved)
{
	bool stream = f->f_mode & FMODE_STREAM;
	loff_t pos = stream ? 0 : f->f_pos;
	size_t done = 0;
	ssize_t n;
	int ret = 0;

	while (done < len) {
		n = write ? kernel_write(f, buf + done, len - done, &pos) :
			    kernel_read(f, buf + done, len - done, &pos);
		if (n <= 0) {
			ret = n ? n : (write ? -EIO : -ENODATA);
			/*
			 * A signal after part of the blob moved: a restarted
			 * ioctl would write the blob twice, or read from its
			 * middle.  The stream is spoilt; say so.
			 */
			if ((moved || done) &&
			    (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR ||
			     ret == -ERESTARTNOHAND ||
			     ret == -ERESTART_RESTARTBLOCK))
				ret = -EINTR;
			break;
		}
		done += n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	if (!stream)
		f->f_pos = pos;
	return ret;
}

/* The owner, and a device at rest.  lock held. */
static int state_check(struct vext_vdev *dev)
{
	if (!dev->mm || dev->mm != current->mm)
		return -EPERM;
	return state_busy(dev) ? -EBUSY : 0;
}

static long state_save(struct vext_vdev *dev, struct file *f)
{
	void *buf = NULL;
	long len;
	int ret;

	mutex_lock(&dev->lock);
	len = state_check(dev);
	if (!len)
		len = dev->ops->save_state(dev, &buf);
	mutex_unlock(&dev->lock);
	if (len < 0)
		return len;
	if (len > INT_MAX) {	/* no LOAD would take it (state_load()) */
		kvfree(buf);
		return -EFBIG;
	}
	/* Written without the lock: the reader may be slow. */
	ret = state_io(f, buf, len, true, false);
	kvfree(buf);
	return ret ? ret : len;
}

static long state_load(struct vext_vdev *dev, struct file *f)
{
	struct vfio_ext_state_hdr hdr;
	long max;
	u64 total;
	void *buf;
	int ret;

	mutex_lock(&dev->lock);
	max = state_check(dev);
	if (!max)
		max = dev->ops->state_max(dev);
	mutex_unlock(&dev->lock);
	if (max < 0)
		return max;
	max = min_t(long, max, INT_MAX);
	/* The whole blob, read without the lock, before anything changes. */
	ret = state_io(f, &hdr, sizeof(hdr), false, false);
	if (ret)
		return ret;
	if (le32_to_cpu(hdr.magic) != VFIO_EXT_STATE_MAGIC)
		return -EINVAL;
	total = le64_to_cpu(hdr.total_size);
	if (total < sizeof(hdr))
		return -EBADMSG;
	if (total > max)
		return -EFBIG;
	buf = kvmalloc(total, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, &hdr, sizeof(hdr));
	ret = state_io(f, buf + sizeof(hdr), total - sizeof(hdr), false,
		       true);
	if (!ret) {
		mutex_lock(&dev->lock);
		ret = state_check(dev);
		if (!ret)
			ret = dev->ops->load_state(dev, buf, total);
		mutex_unlock(&dev->lock);
	}
	kvfree(buf);
	return ret ? ret : total;
}

static long device_state(struct vext_vdev *dev, void __user *argp)
{
	struct vfio_ext_virtio_state a;
	struct file *f;
	long ret;

	ret = vfio_ext_get_uarg(&a, VFIO_EXT_VIRTIO_STATE_SIZE_VER0,
				VFIO_EXT_VIRTIO_STATE_SAVE |
				VFIO_EXT_VIRTIO_STATE_LOAD, argp);
	if (ret)
		return ret;
	if (hweight32(a.flags) != 1 || a.reserved)
		return -EINVAL;
	if (!dev->ops->save_state)
		return -ENOTTY;
	f = fget(a.fd);
	if (!f)
		return -EBADF;
	if (a.flags & VFIO_EXT_VIRTIO_STATE_SAVE)
		ret = f->f_mode & FMODE_WRITE ? state_save(dev, f) : -EBADF;
	else
		ret = f->f_mode & FMODE_READ ? state_load(dev, f) : -EBADF;
	fput(f);
	return ret;
}

static long vext_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vext_vdev *dev = file->private_data;
	void __user *argp = (void __user *)arg;
	long ret;

	/*
	 * Read-only facts of the device type, and the backend features:
	 * anyone holding the fd (as vhost-vdpa; vhost-net and vhost-vdpa
	 * take VHOST_SET_BACKEND_FEATURES from anyone too).
	 */
	switch (cmd) {
	case VHOST_VDPA_GET_DEVICE_ID:
		return put_user(dev->ops->device_id, (u32 __user *)argp);
	case VHOST_GET_FEATURES:
		return put_user(offered(dev) | BIT_ULL(VHOST_F_LOG_ALL),
				(u64 __user *)argp);
	case VHOST_VDPA_GET_VRING_NUM:
		return put_user(dev->max_queue, (u16 __user *)argp);
	case VHOST_VDPA_GET_CONFIG_SIZE:
		return put_user((u32)dev->ops->config_size,
				(u32 __user *)argp);
	case VHOST_VDPA_GET_VQS_COUNT:
		return put_user(dev->ops->nr_vqs, (u32 __user *)argp);
	case VHOST_GET_BACKEND_FEATURES:
		return put_user((u64)VEXT_BACKEND_FEATURES, (u64 __user *)argp);
	case VHOST_SET_BACKEND_FEATURES:
		return set_backend_features(dev, argp);
	case VHOST_SET_OWNER:
		return set_owner(dev);
	case VFIO_EXT_VIRTIO_DEVICE_STATE:
		return device_state(dev, argp);
	}

	mutex_lock(&dev->lock);
	if (!dev->mm || dev->mm != current->mm)
		ret = -EPERM;	/* as vhost: the owner only */
	else
		ret = owner_ioctl(dev, cmd, argp);
	mutex_unlock(&dev->lock);
	return ret;
}

static int vext_release(struct inode *inode, struct file *file)
{
	vext_vdev_destroy(file->private_data);
	return 0;
}

static const struct file_operations vext_fops = {
	.owner		= THIS_MODULE,
	.release	= vext_release,
	.unlocked_ioctl	= vext_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* ------------------------------------------------------------------ */
/* Device types and instances                                          */
/* ------------------------------------------------------------------ */

/**
 * vext_virtio_register() - make a device type available
 * @ops: the type; stays registered until vext_virtio_unregister()
 *
 * Return: 0, or -EINVAL for an incomplete or impossible description.
 */
int vext_virtio_register(struct vext_vdev_ops *ops)
{
	if (!ops->nr_vqs || ops->nr_vqs > VEXT_MAX_VQS ||
	    ops->served_vqs & ~GENMASK(ops->nr_vqs - 1, 0) ||
	    !ops->config_size || ops->config_size > PAGE_SIZE ||
	    !ops->get_config || !ops->set_config || !ops->request ||
	    !ops->reset || !ops->release ||
	    !ops->save_state != !ops->load_state ||
	    !ops->save_state != !ops->state_max)
		return -EINVAL;
	mutex_lock(&vext_types_lock);
	list_add_tail(&ops->list, &vext_types);
	mutex_unlock(&vext_types_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vext_virtio_register);

/**
 * vext_virtio_unregister() - withdraw a device type
 * @ops: as registered
 *
 * Existing instances hold a reference on @ops->owner, so this runs only
 * when none is left.
 */
void vext_virtio_unregister(struct vext_vdev_ops *ops)
{
	mutex_lock(&vext_types_lock);
	list_del(&ops->list);
	mutex_unlock(&vext_types_lock);
}
EXPORT_SYMBOL_GPL(vext_virtio_unregister);

static bool registered(struct vext_vdev_ops *ops)
{
	struct vext_vdev_ops *o;
	bool found = false;

	mutex_lock(&vext_types_lock);
	list_for_each_entry(o, &vext_types, list)
		found |= o == ops;
	mutex_unlock(&vext_types_lock);
	return found;
}

/**
 * vext_vdev_create() - a new device instance, owned by the caller's
 * address space, not yet visible to userspace
 * @ops: a registered type
 * @priv: the driver's state (vext_vdev_priv())
 * @max_queue: the largest queue size to accept (a power of two,
 *             at most VEXT_VRING_MAX_NUM)
 *
 * Return: the device, or ERR_PTR(-ENODEV) for a type that is not
 * registered, -EINVAL, -ENOMEM.
 */
struct vext_vdev *vext_vdev_create(struct vext_vdev_ops *ops, void *priv,
				   u16 max_queue)
{
	struct vext_vdev *dev;
	unsigned int i;

	if (!max_queue || !is_power_of_2(max_queue) ||
	    max_queue > VEXT_VRING_MAX_NUM || !current->mm)
		return ERR_PTR(-EINVAL);
	if (!registered(ops) || !try_module_get(ops->owner))
		return ERR_PTR(-ENODEV);
	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev) {
		module_put(ops->owner);
		return ERR_PTR(-ENOMEM);
	}
	dev->ops = ops;
	dev->priv = priv;
	mutex_init(&dev->lock);
	dev->max_queue = max_queue;
	dev->creator = current->mm;
	mmgrab(dev->creator);
	dev->ring_mem.read = ring_read;
	dev->ring_mem.write = ring_write;
	dev->ring_mem.log = ring_log;
	dev->ring_mem.ctx = dev;
	for (i = 0; i < VEXT_MAX_VQS; i++) {
		dev->vqs[i].dev = dev;
		dev->vqs[i].index = i;
	}
	return dev;
}
EXPORT_SYMBOL_GPL(vext_vdev_create);

/**
 * vext_vdev_install_fd() - give the device its file descriptor
 * @vdev: from vext_vdev_create()
 *
 * From then on the fd owns @vdev: its release destroys it.
 *
 * Return: the fd, or a negative errno (then call vext_vdev_destroy()).
 */
int vext_vdev_install_fd(struct vext_vdev *vdev)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile("[vfio-ext-virtio]", &vext_fops, vdev,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	vdev->file = file;	/* before anyone can kick: no fd yet */
	fd_install(fd, file);
	return fd;
}
EXPORT_SYMBOL_GPL(vext_vdev_install_fd);

/**
 * vext_vdev_destroy() - stop and free a device; calls its ->release()
 * @vdev: the device (not used afterwards)
 */
void vext_vdev_destroy(struct vext_vdev *vdev)
{
	struct vext_vdev_ops *ops = vdev->ops;
	unsigned int i;

	mutex_lock(&vdev->lock);
	vdev->running = false;
	for (i = 0; i < ops->nr_vqs; i++)
		kick_detach(&vdev->vqs[i]);
	mutex_unlock(&vdev->lock);
	/* Not under the lock: the worker may be waiting for it. */
	if (vdev->worker)
		kthread_stop(vdev->worker);

	ops->release(vdev);
	for (i = 0; i < ops->nr_vqs; i++) {
		set_eventfd(&vdev->vqs[i].call, VHOST_FILE_UNBIND);
		set_eventfd(&vdev->vqs[i].err, VHOST_FILE_UNBIND);
	}
	set_eventfd(&vdev->config_call, VHOST_FILE_UNBIND);
	set_eventfd(&vdev->log_ctx, VHOST_FILE_UNBIND);
	vext_memtable_free(vdev->mem);
	if (vdev->mm)
		mmput(vdev->mm);
	mmdrop(vdev->creator);
	mutex_destroy(&vdev->lock);
	kfree(vdev);
	module_put(ops->owner);
}
EXPORT_SYMBOL_GPL(vext_vdev_destroy);

/**
 * vext_vdev_priv() - the driver's state given to vext_vdev_create()
 * @vdev: the device
 *
 * Return: the pointer.
 */
void *vext_vdev_priv(struct vext_vdev *vdev)
{
	return vdev->priv;
}
EXPORT_SYMBOL_GPL(vext_vdev_priv);

/**
 * vext_vdev_features() - the driver's features (lock held: in a callback)
 * @vdev: the device
 *
 * Return: the feature bits the driver wrote; negotiated once the status
 * has FEATURES_OK.
 */
u64 vext_vdev_features(struct vext_vdev *vdev)
{
	lockdep_assert_held(&vdev->lock);
	return vdev->features;
}
EXPORT_SYMBOL_GPL(vext_vdev_features);

/**
 * vext_vdev_suspended() - is the device suspended (VHOST_VDPA_SUSPEND)?
 * @vdev: the device (lock held)
 *
 * While it is, and the lock is held, no request is in flight or served,
 * and every queue's position (VHOST_GET_VRING_BASE) is stable; a reset or
 * VHOST_VDPA_RESUME ends it.  A device without DRIVER_OK serves nothing
 * either, but is never "suspended" (SUSPEND does nothing then, as
 * vhost-vdpa): a device that is running requests is one whose status has
 * DRIVER_OK and that is not suspended.
 *
 * Return: true while suspended.
 */
bool vext_vdev_suspended(struct vext_vdev *vdev)
{
	lockdep_assert_held(&vdev->lock);
	return vdev->suspended;
}
EXPORT_SYMBOL_GPL(vext_vdev_suspended);

/**
 * vext_vdev_status() - the device status (lock held: in a callback)
 * @vdev: the device
 *
 * Return: the VIRTIO_CONFIG_S_* bits.
 */
u8 vext_vdev_status(struct vext_vdev *vdev)
{
	lockdep_assert_held(&vdev->lock);
	return vdev->status;
}
EXPORT_SYMBOL_GPL(vext_vdev_status);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-ext in-kernel virtio transport (vhost-vdpa-style uAPI)");
