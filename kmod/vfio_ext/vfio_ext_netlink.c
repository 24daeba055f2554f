// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-ext: the "vfio-ext" generic netlink family (uAPI in
 * <linux/vfio_ext.h>, spec in Documentation/netlink/specs/vfio-ext.yaml).
 *
 * The registry: every device bound to vfio-pci-ext, in ascending order of
 * a registry id that is never reused, so a dump resumes after the last id
 * it reported even when devices come and go in between; a device bound in
 * between comes after it.  A registry generation, changed by every
 * listing and unlisting, marks a dump that raced one with NLM_F_DUMP_INTR.
 *
 * Privilege (Documentation/netlink.rst): CAP_NET_ADMIN, checked as
 * GENL_ADMIN_PERM checks it (netlink_capable()).  Without it, dev-get
 * answers only what sysfs shows every user; pviommu-get is refused, and
 * so is joining the events group.
 *
 * Locking:
 *  - vfio_ext_reg_lock (mutex) protects the registry list and generation.
 *    It is held only to walk the list and take a reference (reg_users);
 *    requests use a device outside it, so a device's own locks (policy,
 *    notify: whose holder may flush the ACPI workqueues) never nest
 *    inside it.  A device is listed from probe, before it can be opened,
 *    until remove, after its last close; unlisting waits for the
 *    references.
 *  - edev->nl_lock (spinlock, irq-safe) protects the open/opener/KVM state
 *    and the power state last reported; power events are emitted under
 *    it, so it nests outside vfio_ext_ev_lock.  Power events come from
 *    the runtime PM tracepoint, inside the device's power.lock (taken
 *    from the hrtimer interrupt), so it is taken with interrupts off.
 *  - vfio_ext_ev_lock (spinlock, irqsave) serialises event emission: the
 *    sequence number is taken and the message queued under it, so the
 *    queue holds events in sequence order.  It also protects the devices'
 *    loopback credits.  It nests inside a device's
 *    notify_ev_lock (ACPI notifications are emitted from the delivery
 *    path) and nothing nests inside it but the queue's own lock; messages
 *    are allocated with GFP_ATOMIC.  The multicast itself runs from a work
 *    item (one work item never runs concurrently with itself, so the
 *    order holds): netlink_broadcast() may hand a message to taps such as
 *    nlmon through dev_queue_xmit(), which must not run with interrupts
 *    off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/capability.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vfio.h>
#include <net/genetlink.h>

#include <linux/vfio_ext.h>
#include "vfio_ext_compat_kvm.h"
#include "vfio_ext_compat_netlink.h"
#include "vfio_ext_compat_pm.h"
#include "vfio_ext_compat_vfio.h"
#include "vfio_ext_priv.h"
#include "pviommu_nl.h"

static DEFINE_MUTEX(vfio_ext_reg_lock);
static LIST_HEAD(vfio_ext_reg);
static u64 vfio_ext_reg_last_id;
/* Never 0: nl_dump_check_consistent() takes 0 for "not started". */
static unsigned int vfio_ext_reg_gen = 1;

static DEFINE_SPINLOCK(vfio_ext_ev_lock);
static u64 vfio_ext_ev_seq;
static struct sk_buff_head vfio_ext_ev_queue;

/* Events waiting for the work item, at most; beyond, the seq gap shows. */
#define EVENT_QUEUE_MAX	1024

static struct genl_family vfio_ext_genl;

/* Multicast the queued events, in order, from process context. */
static void vfio_ext_ev_send(struct work_struct *work)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&vfio_ext_ev_queue)))
		genlmsg_multicast(&vfio_ext_genl, skb, 0, 0, GFP_KERNEL);
}

static DECLARE_WORK(vfio_ext_ev_work, vfio_ext_ev_send);

/* ------------------------------------------------------------------ */
/* Registry                                                            */
/* ------------------------------------------------------------------ */

/*
 * Loopback events of one device: a burst of LOOPBACK_BURST, then
 * LOOPBACK_RATE a second.  ACPI notifications of the firmware are not
 * charged (the firmware, not a device user, decides how many there are).
 * A token bucket of our own, not ratelimit_state: __ratelimit() answers
 * "suppressed" whenever its lock is contended (6.1 to 7.3), which would
 * refuse loopbacks that are within the rate.
 */
#define LOOPBACK_BURST	64
#define LOOPBACK_RATE	1000

static void reg_gen_bump(void)
{
	lockdep_assert_held(&vfio_ext_reg_lock);
	if (!++vfio_ext_reg_gen)
		vfio_ext_reg_gen = 1;
}

/**
 * vfio_ext_nl_register() - list a device (probe, before it can be opened)
 * @edev: the device
 */
void vfio_ext_nl_register(struct vfio_ext_device *edev)
{
	refcount_set(&edev->reg_users, 1);
	init_completion(&edev->reg_done);
	edev->nl_lb_credit = LOOPBACK_BURST;
	edev->nl_lb_stamp = jiffies;
	mutex_lock(&vfio_ext_reg_lock);
	/* A 64-bit count does not wrap: the list stays in id order. */
	edev->reg_id = ++vfio_ext_reg_last_id;
	list_add_tail(&edev->reg_node, &vfio_ext_reg);
	reg_gen_bump();
	mutex_unlock(&vfio_ext_reg_lock);
}

static void reg_put(struct vfio_ext_device *edev)
{
	if (refcount_dec_and_test(&edev->reg_users))
		complete(&edev->reg_done);
}

/**
 * vfio_ext_nl_unregister() - unlist a device (remove, after the last close)
 * @edev: the device
 *
 * Waits for requests still using it.
 */
void vfio_ext_nl_unregister(struct vfio_ext_device *edev)
{
	mutex_lock(&vfio_ext_reg_lock);
	list_del(&edev->reg_node);
	reg_gen_bump();
	mutex_unlock(&vfio_ext_reg_lock);
	reg_put(edev);
	wait_for_completion(&edev->reg_done);
}

/*
 * The first listed device with a registry id >= @min_id (and the PCI
 * address @only, if given), with a reference; NULL when there is none.
 * @gen receives the registry generation it was found in.
 */
static struct vfio_ext_device *reg_next(u64 min_id, const char *only,
					unsigned int *gen)
{
	struct vfio_ext_device *edev, *found = NULL;

	mutex_lock(&vfio_ext_reg_lock);
	list_for_each_entry(edev, &vfio_ext_reg, reg_node) {
		if (edev->reg_id < min_id)
			continue;
		if (only && strcmp(pci_name(edev->core.pdev), only))
			continue;
		refcount_inc(&edev->reg_users);
		found = edev;
		break;
	}
	if (gen)
		*gen = vfio_ext_reg_gen;
	mutex_unlock(&vfio_ext_reg_lock);
	return found;
}

/*
 * The device named by the request's VFIO_EXT_A_DEV_NAME, with a reference
 * (reg_put()), or NULL with the extack set.
 */
static struct vfio_ext_device *reg_find(struct genl_info *info)
{
	struct nlattr *name = info->attrs[VFIO_EXT_A_DEV_NAME];
	struct vfio_ext_device *edev;

	edev = reg_next(0, nla_data(name), NULL);
	if (!edev)
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "no device with this PCI address is bound to vfio-pci-ext");
	return edev;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

/*
 * Payload room of an event message: the largest event (power: type, seq,
 * timestamp, a 16-byte address, the state enums and low-power flag) takes
 * about 100 bytes; atomic allocations stay small.
 */
#define EVENT_MSG_SIZE	256

struct vfio_ext_ev {
	u32 type;
	const char *name;	/* the device */
	u32 value;		/* ACPI_NOTIFY */
	bool loopback;		/* ACPI_NOTIFY */
	pid_t pid;		/* OPEN */
	pid_t kvm_pid;		/* OPEN */
	bool low_power;		/* POWER */
	bool suspended;		/* POWER */
	bool has_pci_state;	/* POWER */
	u32 pci_state;		/* POWER: enum vfio_ext_pci_power_state */
	u64 iova;		/* IOMMU_FAULT */
	u32 flags;		/* IOMMU_FAULT */
	u32 container;		/* IOMMU_FAULT */
	u32 domain;		/* IOMMU_FAULT */
};

static int vfio_ext_ev_put(struct sk_buff *skb, const struct vfio_ext_ev *ev)
{
	switch (ev->type) {
	case VFIO_EXT_EVENT_ACPI_NOTIFY:
		if (nla_put_u32(skb, VFIO_EXT_A_NOTIFY_VALUE, ev->value) ||
		    (ev->loopback &&
		     nla_put_flag(skb, VFIO_EXT_A_NOTIFY_LOOPBACK)))
			return -EMSGSIZE;
		break;
	case VFIO_EXT_EVENT_OPEN:
		if (nla_put_u32(skb, VFIO_EXT_A_DEV_OPENER_PID, ev->pid) ||
		    (ev->kvm_pid &&
		     nla_put_u32(skb, VFIO_EXT_A_DEV_KVM_PID, ev->kvm_pid)))
			return -EMSGSIZE;
		break;
	case VFIO_EXT_EVENT_POWER:
		if (nla_put_u32(skb, VFIO_EXT_A_POWER_LOW_POWER, ev->low_power) ||
		    nla_put_u32(skb, VFIO_EXT_A_POWER_RUNTIME,
				ev->suspended ? VFIO_EXT_RUNTIME_PM_SUSPENDED :
						VFIO_EXT_RUNTIME_PM_ACTIVE) ||
		    (ev->has_pci_state &&
		     nla_put_u32(skb, VFIO_EXT_A_POWER_STATE, ev->pci_state)))
			return -EMSGSIZE;
		break;
	case VFIO_EXT_EVENT_IOMMU_FAULT:
		if (nla_put_u32(skb, VFIO_EXT_A_PVIOMMU_ID, ev->container) ||
		    nla_put_u32(skb, VFIO_EXT_A_FAULT_DOMAIN, ev->domain) ||
		    nla_put_u64_64bit(skb, VFIO_EXT_A_FAULT_IOVA, ev->iova,
				      VFIO_EXT_A_PAD) ||
		    nla_put_u32(skb, VFIO_EXT_A_FAULT_FLAGS, ev->flags))
			return -EMSGSIZE;
		break;
	}
	return 0;
}

/* Emit @ev.  Any context; see the lock comment at the top. */
static void vfio_ext_nl_emit(const struct vfio_ext_ev *ev)
{
	struct sk_buff *skb;
	unsigned long flags;
	void *hdr;
	u64 seq;

	spin_lock_irqsave(&vfio_ext_ev_lock, flags);
	seq = vfio_ext_ev_seq++;
	if (!genl_has_listeners(&vfio_ext_genl, &init_net, 0))
		goto out;
	if (skb_queue_len(&vfio_ext_ev_queue) >= EVENT_QUEUE_MAX)
		goto out;	/* the sequence gap tells the listener */
	skb = genlmsg_new(EVENT_MSG_SIZE, GFP_ATOMIC);
	if (!skb)
		goto out;	/* likewise */
	hdr = genlmsg_put(skb, 0, 0, &vfio_ext_genl, 0, VFIO_EXT_CMD_EVENT);
	if (!hdr ||
	    nla_put_u32(skb, VFIO_EXT_A_EVENT_TYPE, ev->type) ||
	    nla_put_u64_64bit(skb, VFIO_EXT_A_EVENT_SEQ, seq, VFIO_EXT_A_PAD) ||
	    nla_put_u64_64bit(skb, VFIO_EXT_A_EVENT_TIMESTAMP, ktime_get_ns(),
			      VFIO_EXT_A_PAD) ||
	    nla_put_string(skb, VFIO_EXT_A_DEV_NAME, ev->name) ||
	    vfio_ext_ev_put(skb, ev))
		goto cancel;
	genlmsg_end(skb, hdr);
	skb_queue_tail(&vfio_ext_ev_queue, skb);
	schedule_work(&vfio_ext_ev_work);
	goto out;
cancel:
	nlmsg_free(skb);
out:
	spin_unlock_irqrestore(&vfio_ext_ev_lock, flags);
}

/**
 * vfio_ext_nl_notify_event() - an ACPI notification was forwarded
 * @edev: the device
 * @value: the notification value
 * @loopback: injected by the user
 *
 * Called under the device's notify_ev_lock, so events keep the order of
 * the notification records.
 */
void vfio_ext_nl_notify_event(struct vfio_ext_device *edev, u32 value,
			      bool loopback)
{
	struct vfio_ext_ev ev = {
		.type = VFIO_EXT_EVENT_ACPI_NOTIFY,
		.name = pci_name(edev->core.pdev),
		.value = value,
		.loopback = loopback,
	};

	vfio_ext_nl_emit(&ev);
}

/**
 * vfio_ext_nl_loopback_charge() - may the device's user loop a value back?
 * @edev: the device
 *
 * One device user must not fill the family's event queue, or the event
 * listeners' socket buffers, and make everyone else's events drop: while
 * anyone listens to the events group, each device's loopbacks draw on
 * its own credit (see LOOPBACK_BURST).  Any context.
 *
 * Return: 0, or -EAGAIN when the device is out of credit (counted; the
 * caller refuses the loopback, which is then delivered nowhere).
 */
int vfio_ext_nl_loopback_charge(struct vfio_ext_device *edev)
{
	unsigned long flags, now = jiffies, elapsed;
	unsigned int add;
	int ret = 0;

	spin_lock_irqsave(&vfio_ext_ev_lock, flags);
	if (!genl_has_listeners(&vfio_ext_genl, &init_net, 0))
		goto out;
	elapsed = now - edev->nl_lb_stamp;
	if (elapsed >= HZ)
		add = LOOPBACK_BURST;
	else
		add = elapsed * LOOPBACK_RATE / HZ;
	if (add) {
		edev->nl_lb_credit = min_t(unsigned int,
					   edev->nl_lb_credit + add,
					   LOOPBACK_BURST);
		edev->nl_lb_stamp = now;
	}
	if (edev->nl_lb_credit) {
		edev->nl_lb_credit--;
	} else {
		edev->nl_lb_refused++;
		ret = -EAGAIN;
	}
out:
	spin_unlock_irqrestore(&vfio_ext_ev_lock, flags);
	return ret;
}

/**
 * vfio_ext_nl_open() - the device was opened (open_device, by the opener)
 * @edev: the device
 *
 * Records the opener and the KVM VM the VFIO core associated with the
 * device (set before open_device; the pid is copied, the kvm pointer is
 * never kept) and emits the open event.
 */
void vfio_ext_nl_open(struct vfio_ext_device *edev)
{
	struct vfio_ext_ev ev = {
		.type = VFIO_EXT_EVENT_OPEN,
		.name = pci_name(edev->core.pdev),
		.pid = task_tgid_nr(current),
		.kvm_pid = vfio_ext_vdev_kvm_pid(&edev->core.vdev),
	};

	spin_lock_irq(&edev->nl_lock);
	edev->nl_open = true;
	edev->nl_opener = ev.pid;
	edev->nl_kvm_pid = ev.kvm_pid;
	spin_unlock_irq(&edev->nl_lock);
	vfio_ext_nl_emit(&ev);
}

/**
 * vfio_ext_nl_close() - the device's last user closed it
 * @edev: the device
 */
void vfio_ext_nl_close(struct vfio_ext_device *edev)
{
	struct vfio_ext_ev ev = {
		.type = VFIO_EXT_EVENT_CLOSE,
		.name = pci_name(edev->core.pdev),
	};

	spin_lock_irq(&edev->nl_lock);
	edev->nl_open = false;
	edev->nl_opener = 0;
	edev->nl_kvm_pid = 0;
	spin_unlock_irq(&edev->nl_lock);
	vfio_ext_nl_emit(&ev);
}

/* enum vfio_ext_pci_power_state of a PCI power state */
static u32 pci_state_attr(pci_power_t state)
{
	if (state == PCI_D0)
		return VFIO_EXT_PCI_POWER_STATE_D0;
	if (state == PCI_D1)
		return VFIO_EXT_PCI_POWER_STATE_D1;
	if (state == PCI_D2)
		return VFIO_EXT_PCI_POWER_STATE_D2;
	if (state == PCI_D3hot)
		return VFIO_EXT_PCI_POWER_STATE_D3HOT;
	if (state == PCI_D3cold)
		return VFIO_EXT_PCI_POWER_STATE_D3COLD;
	if (state == PCI_POWER_ERROR)
		return VFIO_EXT_PCI_POWER_STATE_ERROR;
	return VFIO_EXT_PCI_POWER_STATE_UNKNOWN;
}

/**
 * vfio_ext_nl_power() - report the device's power state if it changed
 * @edev: the device
 * @state: the runtime PM state after a runtime PM transition, or
 *         %VFIO_EXT_PM_UNCHANGED after a change of the user's low-power state
 *
 * An event is emitted only when the user's low-power state or the runtime
 * PM state differs from the last one reported, so a redundant exit
 * request, or an exit the core already made on wakeup, reports nothing.
 * Emitted under nl_lock so that events keep the order of the states.
 */
void vfio_ext_nl_power(struct vfio_ext_device *edev,
		       enum vfio_ext_pm_state state)
{
	struct pci_dev *pdev = edev->core.pdev;
	struct vfio_ext_ev ev = {
		.type = VFIO_EXT_EVENT_POWER,
		.name = pci_name(pdev),
	};
	unsigned long flags;

	spin_lock_irqsave(&edev->nl_lock, flags);
	ev.low_power = READ_ONCE(edev->core.pm_runtime_engaged);
	if (state == VFIO_EXT_PM_UNCHANGED)
		ev.suspended = edev->nl_suspended;
	else
		ev.suspended = state == VFIO_EXT_PM_SUSPENDED;
	/*
	 * After a runtime suspend callback the PCI core has yet to lower
	 * the PCI state: it is left out rather than reported wrong.
	 */
	if (!ev.suspended) {
		ev.has_pci_state = true;
		ev.pci_state = pci_state_attr(READ_ONCE(pdev->current_state));
	}
	if (ev.low_power != edev->nl_low_power ||
	    ev.suspended != edev->nl_suspended) {
		edev->nl_low_power = ev.low_power;
		edev->nl_suspended = ev.suspended;
		vfio_ext_nl_emit(&ev);
	}
	spin_unlock_irqrestore(&edev->nl_lock, flags);
}

/**
 * vfio_ext_nl_power_init() - the power state events start from (probe)
 * @edev: the device
 * @suspended: the device is runtime suspended
 */
void vfio_ext_nl_power_init(struct vfio_ext_device *edev, bool suspended)
{
	spin_lock_irq(&edev->nl_lock);
	edev->nl_low_power = READ_ONCE(edev->core.pm_runtime_engaged);
	edev->nl_suspended = suspended;
	spin_unlock_irq(&edev->nl_lock);
}

/**
 * vfio_ext_nl_iommu_fault() - the IOMMU driver reported a DMA fault
 * @dev: the faulting device
 * @container: the pviommu container whose domain it is
 * @domain: guest domain id, 0 for the container's own space
 * @iova: the faulting address
 * @flags: enum vfio_ext_fault
 *
 * Called by vfio-pviommu's fault handler through symbol_get() (this module
 * does not depend on that one, nor that one on this), in whatever context
 * the IOMMU driver reports faults in, possibly hard interrupt context.
 */
void vfio_ext_nl_iommu_fault(struct device *dev, u32 container, u32 domain,
			     u64 iova, u32 flags)
{
	struct vfio_ext_ev ev = {
		.type = VFIO_EXT_EVENT_IOMMU_FAULT,
		.name = dev_name(dev),
		.container = container,
		.domain = domain,
		.iova = iova,
		.flags = flags,
	};

	vfio_ext_nl_emit(&ev);
}
EXPORT_SYMBOL_GPL(vfio_ext_nl_iommu_fault);

/* ------------------------------------------------------------------ */
/* Device attributes                                                   */
/* ------------------------------------------------------------------ */

/*
 * Elements of an indexed array (dev-regions, dev-irqs) are numbered from
 * 1; readers ignore the number.
 */
static int put_region(struct sk_buff *skb, u32 nr, u32 index, u64 size,
		      u32 flags)
{
	struct nlattr *n = nla_nest_start(skb, nr);

	if (!n || nla_put_u32(skb, VFIO_EXT_REGION_A_INDEX, index) ||
	    nla_put_u64_64bit(skb, VFIO_EXT_REGION_A_SIZE, size,
			      VFIO_EXT_REGION_A_PAD) ||
	    nla_put_u32(skb, VFIO_EXT_REGION_A_FLAGS, flags))
		return -EMSGSIZE;
	nla_nest_end(skb, n);
	return 0;
}

/* BARs 0-5 and config space, as VFIO_DEVICE_GET_REGION_INFO has them. */
static int put_regions(struct sk_buff *skb, struct vfio_ext_device *edev)
{
	struct vfio_pci_core_device *vdev = &edev->core;
	struct pci_dev *pdev = vdev->pdev;
	struct nlattr *n;
	u32 i, flags;
	u64 size;

	n = nla_nest_start(skb, VFIO_EXT_A_DEV_REGIONS);
	if (!n)
		return -EMSGSIZE;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		size = pci_resource_len(pdev, i);
		flags = 0;
		if (size) {
			flags = VFIO_REGION_INFO_FLAG_READ |
				VFIO_REGION_INFO_FLAG_WRITE;
			if (READ_ONCE(vdev->bar_mmap_supported[i])) {
				flags |= VFIO_REGION_INFO_FLAG_MMAP;
				if (pdev->msix_cap && i == vdev->msix_bar)
					flags |= VFIO_REGION_INFO_FLAG_CAPS;
			}
		}
		if (put_region(skb, i + 1, VFIO_PCI_BAR0_REGION_INDEX + i, size,
			       flags))
			return -EMSGSIZE;
	}
	if (put_region(skb, i + 1, VFIO_PCI_CONFIG_REGION_INDEX, pdev->cfg_size,
		       VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE))
		return -EMSGSIZE;
	nla_nest_end(skb, n);
	return 0;
}

/* Vectors per IRQ index, as VFIO_DEVICE_GET_IRQ_INFO reports them. */
static u32 vdev_irq_count(struct vfio_ext_device *edev, u32 index)
{
	struct vfio_pci_core_device *vdev = &edev->core;
	struct pci_dev *pdev = vdev->pdev;

	/*
	 * No config space access: the device may be runtime suspended (or
	 * in the user's low-power state), and a query must neither wake it
	 * nor read a powered-down function.  The pin is the PCI core's copy;
	 * the MSI and MSI-X sizes are read-only and were read at probe.
	 */
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (vdev->nointx || pdev->is_virtfn ||
		    pdev->irq == IRQ_NOTCONNECTED)
			return 0;
		return pdev->pin ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		return edev->msi_vecs;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return edev->msix_vecs;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return vfio_ext_err_irq_count(pdev);
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	case VFIO_PCI_ACPI_NTFY_IRQ_INDEX:
		return ACPI_HANDLE(&pdev->dev) ? 1 : 0;
	}
	return 0;
}

static int put_irqs(struct sk_buff *skb, struct vfio_ext_device *edev)
{
	struct nlattr *n, *irq;
	u32 i;

	n = nla_nest_start(skb, VFIO_EXT_A_DEV_IRQS);
	if (!n)
		return -EMSGSIZE;
	for (i = 0; i <= VFIO_PCI_ACPI_NTFY_IRQ_INDEX; i++) {
		irq = nla_nest_start(skb, i + 1);
		if (!irq || nla_put_u32(skb, VFIO_EXT_IRQ_A_INDEX, i) ||
		    nla_put_u32(skb, VFIO_EXT_IRQ_A_COUNT, vdev_irq_count(edev, i)))
			return -EMSGSIZE;
		nla_nest_end(skb, irq);
	}
	nla_nest_end(skb, n);
	return 0;
}

static int put_acpi(struct sk_buff *skb, struct vfio_ext_device *edev,
		    bool priv)
{
	acpi_handle handle = ACPI_HANDLE(&edev->core.pdev->dev);
	struct acpi_buffer path = { ACPI_ALLOCATE_BUFFER, NULL };
	acpi_status status;
	char *policy;
	int ret;

	if (handle) {
		status = acpi_get_name(handle, ACPI_FULL_PATHNAME, &path);
		/*
		 * ACPICA allocates the path: when it cannot, fail the
		 * message.  Leaving the attribute out would answer "no ACPI
		 * companion" for a device that has one (found by fault
		 * injection, selftests/faults).
		 */
		if (status == AE_NO_MEMORY)
			return -ENOMEM;
		if (ACPI_SUCCESS(status)) {
			ret = nla_put_string(skb, VFIO_EXT_A_DEV_ACPI_PATH,
					     path.pointer);
			ACPI_FREE(path.pointer);
			if (ret)
				return ret;
		}
	}

	policy = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!policy)
		return -ENOMEM;
	mutex_lock(&edev->policy_lock);
	ret = vfio_ext_dsm_policy_show(&edev->policy, policy, PAGE_SIZE);
	mutex_unlock(&edev->policy_lock);
	if (ret >= 0)
		ret = nla_put_string(skb, VFIO_EXT_A_DSM_POLICY, policy);
	kfree(policy);
	if (ret || !priv)
		return ret;
	if (nla_put_u64_64bit(skb, VFIO_EXT_A_DSM_CALLS,
			      atomic64_read(&edev->dsm_calls), VFIO_EXT_A_PAD) ||
	    nla_put_u64_64bit(skb, VFIO_EXT_A_DSM_DENIED,
			      atomic64_read(&edev->dsm_denied), VFIO_EXT_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int put_notify(struct sk_buff *skb, struct vfio_ext_device *edev)
{
	bool installed, trigger, chan;
	unsigned long flags;
	u64 count, refused;

	mutex_lock(&edev->notify_lock);
	installed = edev->notify_installed;
	spin_lock_irqsave(&edev->notify_ev_lock, flags);
	trigger = edev->notify_trigger;
	chan = edev->notify_chan;
	count = edev->notify_seq;
	spin_unlock_irqrestore(&edev->notify_ev_lock, flags);
	mutex_unlock(&edev->notify_lock);
	spin_lock_irqsave(&vfio_ext_ev_lock, flags);
	refused = edev->nl_lb_refused;
	spin_unlock_irqrestore(&vfio_ext_ev_lock, flags);

	if (nla_put_u32(skb, VFIO_EXT_A_NOTIFY_HANDLER, installed) ||
	    nla_put_u32(skb, VFIO_EXT_A_NOTIFY_EVENTFD, trigger) ||
	    nla_put_u32(skb, VFIO_EXT_A_NOTIFY_CHANNEL, chan) ||
	    nla_put_u64_64bit(skb, VFIO_EXT_A_NOTIFY_COUNT, count,
			      VFIO_EXT_A_PAD) ||
	    nla_put_u64_64bit(skb, VFIO_EXT_A_NOTIFY_LOOPBACK_REFUSED, refused,
			      VFIO_EXT_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* enum vfio_ext_runtime_pm of a device */
static u32 runtime_status(struct device *dev)
{
#ifdef CONFIG_PM
	if (dev->power.runtime_error)
		return VFIO_EXT_RUNTIME_PM_ERROR;
	if (dev->power.disable_depth &&
	    dev->power.runtime_status == RPM_ACTIVE)
		return VFIO_EXT_RUNTIME_PM_UNSUPPORTED;
	return vfio_ext_rpm_status_attr(READ_ONCE(dev->power.runtime_status));
#else
	return VFIO_EXT_RUNTIME_PM_UNSUPPORTED;
#endif
}

/*
 * One device message; the caller holds a reference (reg_users).  @priv:
 * the requester has CAP_NET_ADMIN, and learns how the device is used;
 * everyone else, only what sysfs shows every user.  @cb: a dump's state,
 * for its consistency check, or NULL.
 */
static int fill_dev(struct sk_buff *skb, struct vfio_ext_device *edev,
		    u32 portid, u32 seq, int nlflags, bool priv,
		    struct netlink_callback *cb)
{
	struct pci_dev *pdev = edev->core.pdev;
	struct iommu_group *group;
	pid_t opener, kvm_pid;
	bool open;
	void *hdr;
	int ret;

	hdr = genlmsg_put(skb, portid, seq, &vfio_ext_genl, nlflags,
			  VFIO_EXT_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;

	spin_lock_irq(&edev->nl_lock);
	open = edev->nl_open;
	opener = edev->nl_opener;
	kvm_pid = edev->nl_kvm_pid;
	spin_unlock_irq(&edev->nl_lock);

	ret = -EMSGSIZE;
	if (nla_put_string(skb, VFIO_EXT_A_DEV_NAME, pci_name(pdev)) ||
	    nla_put_u32(skb, VFIO_EXT_A_DEV_VENDOR, pdev->vendor) ||
	    nla_put_u32(skb, VFIO_EXT_A_DEV_DEVICE, pdev->device) ||
	    nla_put_string(skb, VFIO_EXT_A_DEV_DRIVER,
			   VFIO_EXT_PCI_DRIVER_NAME) ||
	    nla_put_u32(skb, VFIO_EXT_A_POWER_STATE,
			pci_state_attr(READ_ONCE(pdev->current_state))) ||
	    nla_put_u32(skb, VFIO_EXT_A_POWER_RUNTIME,
			runtime_status(&pdev->dev)))
		goto cancel;
	if (priv &&
	    (nla_put_u32(skb, VFIO_EXT_A_DEV_OPEN, open) ||
	     (open && nla_put_u32(skb, VFIO_EXT_A_DEV_OPENER_PID, opener)) ||
	     (kvm_pid && nla_put_u32(skb, VFIO_EXT_A_DEV_KVM_PID, kvm_pid)) ||
	     nla_put_u32(skb, VFIO_EXT_A_POWER_LOW_POWER,
			 READ_ONCE(edev->core.pm_runtime_engaged))))
		goto cancel;

	group = iommu_group_get(&pdev->dev);
	if (group) {
		ret = nla_put_u32(skb, VFIO_EXT_A_DEV_IOMMU_GROUP,
				  iommu_group_id(group));
		iommu_group_put(group);
		if (ret)
			goto cancel;
	}
	ret = put_regions(skb, edev);
	if (!ret)
		ret = put_irqs(skb, edev);
	if (!ret)
		ret = put_acpi(skb, edev, priv);
	if (!ret && priv)
		ret = put_notify(skb, edev);
	if (ret)
		goto cancel;
	/*
	 * Only on a message that stays: the check consumes the change it
	 * reports, and a cancelled message would take the flag with it.
	 */
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

static int dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vfio_ext_device *edev;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VFIO_EXT_A_DEV_NAME)) {
		NL_SET_ERR_MSG(info->extack, "missing the PCI address (dev-name)");
		return -EINVAL;
	}
	edev = reg_find(info);
	if (!edev)
		return -ENODEV;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	ret = -ENOMEM;
	if (msg)
		ret = fill_dev(msg, edev, info->snd_portid, info->snd_seq, 0,
			       netlink_capable(skb, CAP_NET_ADMIN), NULL);
	reg_put(edev);
	if (ret) {
		NL_SET_ERR_MSG(info->extack,
			       "cannot describe the device (message too large or out of memory)");
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/*
 * cb->args[0]: registry id of the next device to report.  One device at
 * a time, by reference: the registry lock is not held while a device is
 * described.  A dump that a bind or unbind raced is marked
 * NLM_F_DUMP_INTR (cb->seq: the registry generation).
 */
static int dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **attrs = vfio_ext_genl_dump_attrs(cb);
	const char *only = attrs[VFIO_EXT_A_DEV_NAME] ?
			   nla_data(attrs[VFIO_EXT_A_DEV_NAME]) : NULL;
	bool priv = netlink_capable(cb->skb, CAP_NET_ADMIN);
	struct vfio_ext_device *edev;
	unsigned int gen;
	int ret = 0;
	u64 id;

	while ((edev = reg_next(cb->args[0], only, &gen))) {
		cb->seq = gen;
		id = edev->reg_id;
		ret = fill_dev(skb, edev, NETLINK_CB(cb->skb).portid,
			       cb->nlh->nlmsg_seq, NLM_F_MULTI, priv, cb);
		reg_put(edev);
		if (ret)
			break;
		cb->args[0] = id + 1;
	}
	/* Not even one device fitted into an empty message: report it. */
	if (ret == -EMSGSIZE && skb->len)
		ret = 0;
	if (ret)
		NL_SET_ERR_MSG(cb->extack,
			       "cannot describe a device (message too large or out of memory)");
	return ret ? ret : skb->len;
}

static int dsm_policy_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vfio_ext_device *edev;
	int ret;

	/*
	 * GENL_ADMIN_PERM checked CAP_NET_ADMIN; the policy decides what a
	 * VM may do to host firmware, which is CAP_SYS_ADMIN's business, as
	 * for writes to the dsm_policy sysfs attribute (root only).  Like
	 * GENL_ADMIN_PERM, netlink_capable() also requires it of whoever
	 * opened the socket, so a privileged helper cannot be fooled into
	 * sending on a socket an unprivileged process handed it.
	 */
	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "changing the _DSM policy needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (GENL_REQ_ATTR_CHECK(info, VFIO_EXT_A_DEV_NAME)) {
		NL_SET_ERR_MSG(info->extack, "missing the PCI address (dev-name)");
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, VFIO_EXT_A_DSM_POLICY)) {
		NL_SET_ERR_MSG(info->extack,
			       "missing the policy command (dsm-policy)");
		return -EINVAL;
	}

	edev = reg_find(info);
	if (!edev)
		return -ENODEV;
	mutex_lock(&edev->policy_lock);
	ret = vfio_ext_dsm_policy_apply(&edev->policy,
					nla_data(info->attrs[VFIO_EXT_A_DSM_POLICY]));
	mutex_unlock(&edev->policy_lock);
	reg_put(edev);
	if (ret == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VFIO_EXT_A_DSM_POLICY],
				    "too many _DSM policy rules");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VFIO_EXT_A_DSM_POLICY],
				    "invalid _DSM policy command (allow UUID|* LIST|all, deny UUID|*, clear, reset)");
	return ret;
}

typedef int (*pviommu_fill_t)(struct sk_buff *skb, u32 *id);

/* One container message for the container with the smallest id >= *id. */
static int fill_pviommu(struct sk_buff *skb, pviommu_fill_t fill, u32 *id,
			u32 portid, u32 seq, int nlflags)
{
	void *hdr;
	int ret;

	hdr = genlmsg_put(skb, portid, seq, &vfio_ext_genl, nlflags,
			  VFIO_EXT_CMD_PVIOMMU_GET);
	if (!hdr)
		return -EMSGSIZE;
	ret = fill(skb, id);
	if (ret) {
		genlmsg_cancel(skb, hdr);
		return ret;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int pviommu_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	pviommu_fill_t fill;
	struct sk_buff *msg;
	u32 want, id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VFIO_EXT_A_PVIOMMU_ID)) {
		NL_SET_ERR_MSG(info->extack,
			       "missing the container id (pviommu-id)");
		return -EINVAL;
	}
	want = nla_get_u32(info->attrs[VFIO_EXT_A_PVIOMMU_ID]);
	fill = symbol_get(vfio_ext_pviommu_nl_fill);
	if (!fill) {
		NL_SET_ERR_MSG(info->extack,
			       "the pviommu backend (module vfio-pviommu) is not loaded");
		return -ENOENT;
	}
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	ret = -ENOMEM;
	if (!msg)
		goto out_put;
	id = want;
	ret = fill_pviommu(msg, fill, &id, info->snd_portid, info->snd_seq, 0);
	if (!ret && id != want)
		ret = -ENOENT;
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VFIO_EXT_A_PVIOMMU_ID],
				    "no pviommu container with this id");
	else if (ret)
		NL_SET_ERR_MSG(info->extack,
			       "cannot describe the container (message too large or out of memory)");
	if (ret) {
		nlmsg_free(msg);
		goto out_put;
	}
	ret = genlmsg_reply(msg, info);
out_put:
	symbol_put(vfio_ext_pviommu_nl_fill);
	return ret;
}

/* cb->args[0]: smallest container id still to report */
static int pviommu_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr *want = vfio_ext_genl_dump_attrs(cb)[VFIO_EXT_A_PVIOMMU_ID];
	pviommu_fill_t fill;
	u32 id;
	int ret = 0;

	/* The policy is the do's; a dump lists every container. */
	if (want) {
		NL_SET_ERR_MSG_ATTR(cb->extack, want,
				    "a pviommu-get dump takes no pviommu-id (ask for one container with a do)");
		return -EINVAL;
	}
	fill = symbol_get(vfio_ext_pviommu_nl_fill);
	if (!fill)
		return 0;	/* not loaded: no containers */
	if (!cb->args[0])
		cb->args[0] = 1;
	for (;;) {
		id = cb->args[0];
		ret = fill_pviommu(skb, fill, &id, NETLINK_CB(cb->skb).portid,
				   cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret)
			break;
		cb->args[0] = (u64)id + 1;
	}
	symbol_put(vfio_ext_pviommu_nl_fill);
	if (ret == -ENOENT || (ret == -EMSGSIZE && skb->len))
		ret = 0;
	if (ret)
		NL_SET_ERR_MSG(cb->extack,
			       "cannot describe a container (message too large or out of memory)");
	return ret ? ret : skb->len;
}

/* ------------------------------------------------------------------ */
/* Family                                                              */
/* ------------------------------------------------------------------ */

/*
 * Request policies, one per operation, as the kernel's ynl-gen renders
 * them from the spec's vfio-ext attribute set (the only set requests
 * use: nested sets appear in replies only).  tools/nl-spec-check fails
 * when they differ from its output (a dump's policy that is the same as
 * its do's is left out: see below).  Validation is strict (see the
 * family below): an attribute outside an operation's policy, of the wrong
 * type or length is refused by the core with an extended ACK message.
 * YNL-GEN POLICIES BEGIN
 */
/* VFIO_EXT_CMD_DEV_GET - do */
static const struct nla_policy vfio_ext_dev_get_do_nl_policy[VFIO_EXT_A_DEV_NAME + 1] = {
	[VFIO_EXT_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 16, },
};

/* VFIO_EXT_CMD_DSM_POLICY_SET - do */
static const struct nla_policy vfio_ext_dsm_policy_set_nl_policy[VFIO_EXT_A_DSM_POLICY + 1] = {
	[VFIO_EXT_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 16, },
	[VFIO_EXT_A_DSM_POLICY] = { .type = NLA_NUL_STRING, .len = 255, },
};

/* VFIO_EXT_CMD_PVIOMMU_GET - do */
static const struct nla_policy vfio_ext_pviommu_get_nl_policy[VFIO_EXT_A_PVIOMMU_ID + 1] = {
	[VFIO_EXT_A_PVIOMMU_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* YNL-GEN POLICIES END */

static_assert(VFIO_EXT_NL_POLICY_MAX - 1 == 255);

/*
 * 6.1 has no split operations: one entry serves the do and the dump of a
 * command, with one policy (dev-get's two are the same).  A pviommu-get
 * dump takes no attribute: pviommu_get_dumpit() refuses pviommu-id.
 */
static const struct genl_ops vfio_ext_genl_ops[] = {
	{
		.cmd		= VFIO_EXT_CMD_DEV_GET,
		.doit		= dev_get_doit,
		.dumpit		= dev_get_dumpit,
		.policy		= vfio_ext_dev_get_do_nl_policy,
		.maxattr	= ARRAY_SIZE(vfio_ext_dev_get_do_nl_policy) - 1,
	},
	{
		.cmd		= VFIO_EXT_CMD_DSM_POLICY_SET,
		.doit		= dsm_policy_set_doit,
		.policy		= vfio_ext_dsm_policy_set_nl_policy,
		.maxattr	= ARRAY_SIZE(vfio_ext_dsm_policy_set_nl_policy) - 1,
		.flags		= GENL_ADMIN_PERM,
	},
	{
		.cmd		= VFIO_EXT_CMD_PVIOMMU_GET,
		.doit		= pviommu_get_doit,
		.dumpit		= pviommu_get_dumpit,
		.policy		= vfio_ext_pviommu_get_nl_policy,
		.maxattr	= ARRAY_SIZE(vfio_ext_pviommu_get_nl_policy) - 1,
		/* Containers are their owners' business (netlink.rst). */
		.flags		= GENL_ADMIN_PERM,
	},
};

/* Joining needs CAP_NET_ADMIN: events tell who uses what, and when. */
static const struct genl_multicast_group vfio_ext_genl_mcgrps[] = {
	{
		.name	= VFIO_EXT_MCGRP_EVENTS,
		.flags	= VFIO_EXT_GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * resv_start_op 0: every command is strictly validated (reserved header
 * fields, unknown attributes, trailing data).  Not netnsok: the devices
 * and the policy are host-wide, so only the initial network namespace
 * sees the family.
 */
static struct genl_family vfio_ext_genl __ro_after_init = {
	.name		= VFIO_EXT_FAMILY_NAME,
	.version	= VFIO_EXT_GENL_VERSION,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= vfio_ext_genl_ops,
	.n_ops		= ARRAY_SIZE(vfio_ext_genl_ops),
	.mcgrps		= vfio_ext_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(vfio_ext_genl_mcgrps),
	.resv_start_op	= 0,
};

int __init vfio_ext_nl_init(void)
{
	skb_queue_head_init(&vfio_ext_ev_queue);
	return genl_register_family(&vfio_ext_genl);
}

/* After the driver is gone: no device emits any more. */
void vfio_ext_nl_exit(void)
{
	flush_work(&vfio_ext_ev_work);
	skb_queue_purge(&vfio_ext_ev_queue);
	genl_unregister_family(&vfio_ext_genl);
}
