// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-ext: forwarding ACPI notifications of the device's companion to
 * its user, through the VFIO_PCI_ACPI_NTFY_IRQ_INDEX eventfd (crosvm's
 * ABI: the value is added to the counter) and through a lossless channel
 * fd of ordered, timestamped records.
 *
 * Locking:
 *  - chan->link_lock (mutex) protects a channel's link to its device; a
 *    release takes it before the device's notify_lock, and device close
 *    takes it only after dropping notify_lock.
 *  - notify_lock (mutex) serialises the control paths: SET_IRQS on the
 *    index, opening and releasing the channel, device close.  It covers
 *    installing and removing the ACPICA handler, which sleep.
 *  - notify_ev_lock (spinlock, irqsave) protects the delivery state the
 *    handler uses: the eventfd, the channel pointer and the sequence
 *    number.  The handler takes only this lock, so removing the handler
 *    under notify_lock cannot deadlock with it.
 *  - chan->lock (spinlock, irqsave) protects a channel's queue and state;
 *    it nests inside notify_ev_lock.
 * acpi_remove_notify_handler() waits for handlers still running, so once
 * it returns nothing is delivered any more.
 *
 * Lifetime: the channel is refcounted (its file, and the device while
 * attached) and holds no reference on the device.  A device reference
 * would keep the vfio_device, and with it the device's entry in
 * vfio-pci-core's reset set, alive after unbind, with a pci_dev the
 * entry no longer owns (or that is gone).  The device is open while a
 * channel is attached, and device close detaches it, so a release that
 * finds the channel attached (under link_lock) finds the device alive.
 */
#include <linux/acpi.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/kfifo.h>
#include <linux/kref.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include <linux/vfio_ext.h>
#include "vfio_ext_compat_eventfd.h"
#include "vfio_ext_priv.h"
#include "vfio_ext_uarg.h"

#define NOTIFY_VALUE_MAX	0xff	/* ACPI Notify values are a byte */

/**
 * struct vfio_ext_notify_chan - the lossless notification channel
 * @ref: the file's reference, and the device's while attached
 * @link_lock: protects @edev
 * @edev: the device while the channel is attached to it, else NULL
 * @lock: protects @fifo, @pending_drops and @dead
 * @wq: readers wait here
 * @fifo: queued records
 * @pending_drops: records dropped since the last one queued
 * @dead: the device was closed; no more records will come
 */
struct vfio_ext_notify_chan {
	struct kref ref;
	struct mutex link_lock;	/* edev */
	struct vfio_ext_device *edev;
	spinlock_t lock;	/* fifo, pending_drops, dead */
	wait_queue_head_t wq;
	DECLARE_KFIFO(fifo, struct vfio_ext_acpi_notify_record,
		      VFIO_EXT_ACPI_NOTIFY_QUEUE);
	u32 pending_drops;
	bool dead;
};

void vfio_ext_notify_init(struct vfio_ext_device *edev)
{
	mutex_init(&edev->notify_lock);
	spin_lock_init(&edev->notify_ev_lock);
	edev->notify_trigger = NULL;
	edev->notify_chan = NULL;
	edev->notify_installed = false;
	edev->notify_seq = 0;
}

void vfio_ext_notify_release(struct vfio_ext_device *edev)
{
	mutex_destroy(&edev->notify_lock);
}

static acpi_handle vfio_ext_handle(struct vfio_ext_device *edev)
{
	return ACPI_HANDLE(&edev->core.pdev->dev);
}

/* Queue @rec on @chan, or count it as dropped.  ev_lock held. */
static void chan_push(struct vfio_ext_notify_chan *chan,
		      struct vfio_ext_acpi_notify_record *rec)
{
	unsigned long flags;

	spin_lock_irqsave(&chan->lock, flags);
	if (kfifo_is_full(&chan->fifo)) {
		if (chan->pending_drops < U32_MAX)
			chan->pending_drops++;
	} else {
		rec->dropped = chan->pending_drops;
		chan->pending_drops = 0;
		kfifo_put(&chan->fifo, *rec);
	}
	spin_unlock_irqrestore(&chan->lock, flags);
	wake_up_interruptible_poll(&chan->wq, EPOLLIN | EPOLLRDNORM);
}

/*
 * Deliver one notification to the eventfd and the channel.  A loopback
 * may be refused (-EAGAIN) when the device's netlink credit is spent.
 */
static int vfio_ext_notify_deliver(struct vfio_ext_device *edev, u32 value,
				   u32 rflags)
{
	struct vfio_ext_acpi_notify_record rec = {
		.timestamp_ns = ktime_get_ns(),
		.value = value,
		.flags = rflags,
	};
	unsigned long flags;

	spin_lock_irqsave(&edev->notify_ev_lock, flags);
	if ((rflags & VFIO_EXT_ACPI_NOTIFY_LOOPBACK) &&
	    vfio_ext_nl_loopback_charge(edev)) {
		spin_unlock_irqrestore(&edev->notify_ev_lock, flags);
		return -EAGAIN;
	}
	rec.seq = edev->notify_seq++;
	/*
	 * The counter gains the value before 6.8 (crosvm's ABI), 1 per
	 * notification from 6.8, where no kernel call adds a value in one
	 * step (uapi.rst, "Behaviour per kernel"); the channel carries the
	 * value on every kernel.
	 */
	if (edev->notify_trigger)
		vfio_ext_eventfd_add_value(edev->notify_trigger, value);
	if (edev->notify_chan)
		chan_push(edev->notify_chan, &rec);
	/* Under ev_lock: netlink events keep the records' order. */
	vfio_ext_nl_notify_event(edev, value,
				 rflags & VFIO_EXT_ACPI_NOTIFY_LOOPBACK);
	spin_unlock_irqrestore(&edev->notify_ev_lock, flags);
	return 0;
}

/*
 * ACPICA notify handler for system (0x00-0x7f) and device-specific
 * (0x80-0xff) values; runs from the kacpi_notify workqueue.  It is one
 * handler among others on the node: the host kernel's own handlers (PCI
 * hotplug acts on bus/device check and eject) still run and still act.
 */
static void vfio_ext_acpi_notify(acpi_handle handle, u32 value, void *data)
{
	vfio_ext_notify_deliver(data, value, 0);
}

/*
 * Install the handler while anyone listens, remove it otherwise.
 * notify_lock held.
 */
static int vfio_ext_notify_update(struct vfio_ext_device *edev)
{
	bool want = edev->notify_trigger || edev->notify_chan;
	acpi_handle handle = vfio_ext_handle(edev);
	acpi_status status;

	lockdep_assert_held(&edev->notify_lock);
	if (want == edev->notify_installed)
		return 0;
	if (!handle)
		return -ENODEV;
	if (want) {
		status = acpi_install_notify_handler(handle, ACPI_ALL_NOTIFY,
						     vfio_ext_acpi_notify, edev);
		/* Out of memory is ENOMEM, not a firmware failure (EIO). */
		if (status == AE_NO_MEMORY)
			return -ENOMEM;
		if (ACPI_FAILURE(status)) {
			pci_warn(edev->core.pdev,
				 "cannot install ACPI notify handler: %s\n",
				 acpi_format_exception(status));
			return status == AE_ALREADY_EXISTS ? -EBUSY : -EIO;
		}
	} else {
		/* Waits for handlers still running. */
		acpi_remove_notify_handler(handle, ACPI_ALL_NOTIFY,
					   vfio_ext_acpi_notify);
	}
	edev->notify_installed = want;
	return 0;
}

/* Swap the eventfd (NULL disables); the old one is released. */
static int vfio_ext_notify_set_trigger(struct vfio_ext_device *edev,
				       struct eventfd_ctx *ctx)
{
	struct eventfd_ctx *old;
	unsigned long flags;
	int ret;

	lockdep_assert_held(&edev->notify_lock);
	spin_lock_irqsave(&edev->notify_ev_lock, flags);
	old = edev->notify_trigger;
	edev->notify_trigger = ctx;
	spin_unlock_irqrestore(&edev->notify_ev_lock, flags);

	ret = vfio_ext_notify_update(edev);
	if (ret) {
		spin_lock_irqsave(&edev->notify_ev_lock, flags);
		edev->notify_trigger = old;
		spin_unlock_irqrestore(&edev->notify_ev_lock, flags);
		return ret;
	}
	/* The handler reads the trigger under ev_lock: no one uses old now. */
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/*
 * VFIO_DEVICE_SET_IRQS on VFIO_PCI_ACPI_NTFY_IRQ_INDEX.  Mirrors
 * vfio-pci's single-vector trigger indexes (REQ, ERR), except that
 * DATA_BOOL carries a u32 value to loop back.
 */
static int vfio_ext_notify_set_irqs(struct vfio_ext_device *edev,
				    struct vfio_irq_set __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct eventfd_ctx *ctx;
	struct vfio_irq_set hdr;
	size_t data_size;
	u32 value;
	s32 fd;
	int ret, max;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	max = vfio_ext_handle(edev) ? 1 : 0;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, max,
						 VFIO_PCI_ACPI_NTFY_IRQ_INDEX + 1,
						 &data_size);
	if (ret)
		return ret;
	if ((hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) !=
	    VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;	/* not maskable, as vfio-pci's REQ index */

	mutex_lock(&edev->notify_lock);
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		if (!edev->notify_trigger) {
			ret = -EINVAL;
		} else if (hdr.count) {
			ret = vfio_ext_notify_deliver(edev, 1,
						      VFIO_EXT_ACPI_NOTIFY_LOOPBACK);
		} else {
			ret = vfio_ext_notify_set_trigger(edev, NULL);
		}
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		ret = -EINVAL;
		if (!hdr.count || hdr.argsz - minsz < sizeof(value))
			break;
		ret = -EFAULT;
		if (copy_from_user(&value, &arg->data, sizeof(value)))
			break;
		ret = -EINVAL;
		if (value > NOTIFY_VALUE_MAX)
			break;
		ret = vfio_ext_notify_deliver(edev, value,
					      VFIO_EXT_ACPI_NOTIFY_LOOPBACK);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		ret = -EINVAL;
		if (!hdr.count)
			break;
		ret = -EFAULT;
		if (copy_from_user(&fd, &arg->data, sizeof(fd)))
			break;
		if (fd == -1) {
			ret = edev->notify_trigger ?
			      vfio_ext_notify_set_trigger(edev, NULL) : 0;
			break;
		}
		ret = -EINVAL;
		if (fd < 0)
			break;
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx)) {
			ret = PTR_ERR(ctx);
			break;
		}
		ret = vfio_ext_notify_set_trigger(edev, ctx);
		if (ret)
			eventfd_ctx_put(ctx);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&edev->notify_lock);
	return ret;
}

/* VFIO_DEVICE_GET_IRQ_INFO on VFIO_PCI_ACPI_NTFY_IRQ_INDEX. */
static int vfio_ext_notify_irq_info(struct vfio_ext_device *edev,
				    struct vfio_irq_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	info.count = vfio_ext_handle(edev) ? 1 : 0;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static void chan_free(struct kref *ref)
{
	struct vfio_ext_notify_chan *chan =
		container_of(ref, struct vfio_ext_notify_chan, ref);

	mutex_destroy(&chan->link_lock);
	kfree(chan);
}

/*
 * Take the channel off the device and end it: no more records come.  The
 * device's reference on the channel passes to the caller, who clears
 * chan->edev under link_lock and drops it.  notify_lock held.
 */
static void vfio_ext_notify_unhook(struct vfio_ext_device *edev,
				   struct vfio_ext_notify_chan *chan)
{
	unsigned long flags;

	lockdep_assert_held(&edev->notify_lock);
	spin_lock_irqsave(&edev->notify_ev_lock, flags);
	edev->notify_chan = NULL;
	spin_unlock_irqrestore(&edev->notify_ev_lock, flags);
	vfio_ext_notify_update(edev);

	spin_lock_irqsave(&chan->lock, flags);
	chan->dead = true;
	spin_unlock_irqrestore(&chan->lock, flags);
	wake_up_interruptible_poll(&chan->wq, EPOLLHUP);
}

/**
 * vfio_ext_notify_close() - the device's last user went away
 * @edev: the device
 *
 * Disables the eventfd, ends the channel and removes the handler.
 */
void vfio_ext_notify_close(struct vfio_ext_device *edev)
{
	struct vfio_ext_notify_chan *chan;

	mutex_lock(&edev->notify_lock);
	chan = edev->notify_chan;
	if (chan)
		vfio_ext_notify_unhook(edev, chan);
	if (edev->notify_trigger)
		vfio_ext_notify_set_trigger(edev, NULL);
	/* Nothing listens: the handler is gone (or removal failed loudly). */
	WARN_ON_ONCE(edev->notify_installed);
	mutex_unlock(&edev->notify_lock);

	/*
	 * Unlink the channel before the device can go: a release waiting
	 * on link_lock then finds it detached and never touches the device.
	 */
	if (chan) {
		mutex_lock(&chan->link_lock);
		chan->edev = NULL;
		mutex_unlock(&chan->link_lock);
		kref_put(&chan->ref, chan_free);
	}
}

/*
 * Several readers may wait on one channel: a wake-up only says the queue
 * was not empty, so a reader that finds it drained by another goes back
 * to waiting.  0 is returned only for a closed device with nothing left.
 */
/* A flag of VFIO_EXT_DEVICE_ACPI_NOTIFY_FD, not a new size, grows it. */
static_assert(sizeof(struct vfio_ext_acpi_notify_record) == 32);

static ssize_t chan_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	struct vfio_ext_notify_chan *chan = file->private_data;
	struct vfio_ext_acpi_notify_record rec;
	size_t done = 0;
	unsigned long flags;
	bool dead;
	int ret;

	if (count < sizeof(rec))
		return -EINVAL;
	while (count - done >= sizeof(rec)) {
		spin_lock_irqsave(&chan->lock, flags);
		ret = kfifo_get(&chan->fifo, &rec);
		dead = chan->dead;
		spin_unlock_irqrestore(&chan->lock, flags);
		if (!ret) {
			if (done || dead)
				break;
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			ret = wait_event_interruptible(chan->wq,
						       !kfifo_is_empty(&chan->fifo) ||
						       READ_ONCE(chan->dead));
			if (ret)
				return ret;
			continue;
		}
		/* The record is consumed: a fault loses it, say so. */
		if (copy_to_user(buf + done, &rec, sizeof(rec)))
			return done ? done : -EFAULT;
		done += sizeof(rec);
	}
	return done;	/* 0: the device is closed and the queue drained */
}

static __poll_t chan_poll(struct file *file, poll_table *wait)
{
	struct vfio_ext_notify_chan *chan = file->private_data;
	unsigned long flags;
	__poll_t mask = 0;

	poll_wait(file, &chan->wq, wait);
	spin_lock_irqsave(&chan->lock, flags);
	if (!kfifo_is_empty(&chan->fifo))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (chan->dead)
		mask |= EPOLLHUP;
	spin_unlock_irqrestore(&chan->lock, flags);
	return mask;
}

static int chan_release(struct inode *inode, struct file *file)
{
	struct vfio_ext_notify_chan *chan = file->private_data;
	struct vfio_ext_device *edev;
	bool unhooked = false;

	/* Attached means the device is open, and so alive (see the top). */
	mutex_lock(&chan->link_lock);
	edev = chan->edev;
	if (edev) {
		mutex_lock(&edev->notify_lock);
		/* Device close may have unhooked it and wait for link_lock. */
		if (edev->notify_chan == chan) {
			vfio_ext_notify_unhook(edev, chan);
			chan->edev = NULL;
			unhooked = true;
		}
		mutex_unlock(&edev->notify_lock);
	}
	mutex_unlock(&chan->link_lock);
	if (unhooked)
		kref_put(&chan->ref, chan_free);
	kref_put(&chan->ref, chan_free);
	return 0;
}

static const struct file_operations vfio_ext_notify_fops = {
	.owner		= THIS_MODULE,
	.read		= chan_read,
	.poll		= chan_poll,
	.release	= chan_release,
	.llseek		= noop_llseek,
};

/* VFIO_EXT_DEVICE_ACPI_NOTIFY_FD */
static long vfio_ext_notify_open_fd(struct vfio_ext_device *edev,
				    void __user *arg)
{
	struct vfio_ext_acpi_notify_fd a;
	struct vfio_ext_notify_chan *chan;
	struct file *file;
	unsigned long flags;
	int fd, ret;

	ret = vfio_ext_get_uarg(&a, VFIO_EXT_ACPI_NOTIFY_FD_SIZE_VER0,
				VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK, arg);
	if (ret)
		return ret;
	if (!vfio_ext_handle(edev))
		return -ENODEV;

	chan = kzalloc(sizeof(*chan), GFP_KERNEL_ACCOUNT);
	if (!chan)
		return -ENOMEM;
	kref_init(&chan->ref);
	mutex_init(&chan->link_lock);
	spin_lock_init(&chan->lock);
	init_waitqueue_head(&chan->wq);
	INIT_KFIFO(chan->fifo);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_free;
	}
	file = anon_inode_getfile("[vfio-ext-acpi-notify]",
				  &vfio_ext_notify_fops, chan,
				  O_RDONLY |
				  (a.flags & VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK ?
				   O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_fd;
	}

	mutex_lock(&edev->notify_lock);
	ret = -EBUSY;
	if (edev->notify_chan)
		goto err_unlock;
	spin_lock_irqsave(&edev->notify_ev_lock, flags);
	edev->notify_chan = chan;
	spin_unlock_irqrestore(&edev->notify_ev_lock, flags);
	ret = vfio_ext_notify_update(edev);
	if (ret) {
		spin_lock_irqsave(&edev->notify_ev_lock, flags);
		edev->notify_chan = NULL;
		spin_unlock_irqrestore(&edev->notify_ev_lock, flags);
		goto err_unlock;
	}
	/* The file is not installed yet: no release can race the link. */
	kref_get(&chan->ref);
	chan->edev = edev;
	mutex_unlock(&edev->notify_lock);

	fd_install(fd, file);
	return fd;

err_unlock:
	mutex_unlock(&edev->notify_lock);
	/* Not attached: release only drops the file's reference. */
	fput(file);
	put_unused_fd(fd);
	return ret;
err_fd:
	put_unused_fd(fd);
err_free:
	chan_free(&chan->ref);
	return ret;
}

/**
 * vfio_ext_notify_ioctl() - the notification parts of the device ioctls
 * @edev: the device
 * @cmd: the ioctl
 * @arg: its argument
 * @handled: set when @cmd was one of ours (otherwise the core's)
 *
 * Return: the ioctl's result when *@handled.
 */
long vfio_ext_notify_ioctl(struct vfio_ext_device *edev, unsigned int cmd,
			   unsigned long arg, bool *handled)
{
	void __user *uarg = (void __user *)arg;
	u32 index;

	*handled = true;
	switch (cmd) {
	case VFIO_EXT_DEVICE_ACPI_NOTIFY_FD:
		return vfio_ext_notify_open_fd(edev, uarg);
	case VFIO_DEVICE_SET_IRQS:
		if (get_user(index, &((struct vfio_irq_set __user *)uarg)->index))
			return -EFAULT;
		if (index == VFIO_PCI_ACPI_NTFY_IRQ_INDEX)
			return vfio_ext_notify_set_irqs(edev, uarg);
		break;
	case VFIO_DEVICE_GET_IRQ_INFO:
		if (get_user(index, &((struct vfio_irq_info __user *)uarg)->index))
			return -EFAULT;
		if (index == VFIO_PCI_ACPI_NTFY_IRQ_INDEX)
			return vfio_ext_notify_irq_info(edev, uarg);
		break;
	}
	*handled = false;
	return 0;
}
