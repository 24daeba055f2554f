/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci-ext internals shared between its files.
 */
#ifndef _VFIO_EXT_PRIV_H
#define _VFIO_EXT_PRIV_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/vfio_pci_core.h>

#include "vfio_ext_policy.h"

struct eventfd_ctx;
struct vfio_ext_notify_chan;

/**
 * struct vfio_ext_device - a PCI device bound to vfio-pci-ext
 * @core: the vfio-pci-core device; must stay first (vfio_alloc_device)
 * @dsm_lock: serialises _DSM evaluations on this device; held across the
 *            firmware call, which may sleep for as long as the AML does
 * @policy_lock: protects @policy; never held with @dsm_lock
 * @policy: which _DSM UUIDs and functions a user may evaluate
 * @dsm_calls: _DSM evaluations that reached the firmware
 * @dsm_denied: _DSM calls refused by @policy
 * @notify_lock: serialises the notification control paths (see
 *               vfio_ext_notify.c for the lock order)
 * @notify_ev_lock: protects @notify_trigger, @notify_chan, @notify_seq
 * @notify_trigger: eventfd of VFIO_PCI_ACPI_NTFY_IRQ_INDEX, or NULL
 * @notify_chan: the open notification channel, or NULL
 * @notify_installed: the ACPI notify handler is installed (notify_lock)
 * @notify_seq: sequence number of the next notification
 * @reg_node: in the netlink registry (vfio_ext_netlink.c)
 * @reg_id: registry id, the dump order; never reused
 * @reg_users: references of netlink requests, and the registry's own
 * @reg_done: the last reference is gone (unregistering waits for it)
 * @nl_lock: protects @nl_open, @nl_opener, @nl_kvm_pid, @nl_low_power and
 *           @nl_suspended
 * @nl_open: a user has the device open
 * @nl_opener: tgid of the process that opened it
 * @nl_kvm_pid: KVM's pid identity of the VM associated at open, or 0
 * @nl_low_power: the user's low-power state last reported in an event
 * @nl_suspended: the runtime PM state last reported in an event
 * @nl_lb_credit: loopback events the device may still emit (the netlink
 *                event lock protects the three loopback fields)
 * @nl_lb_stamp: jiffies of the last credit refill
 * @nl_lb_refused: loopbacks refused for want of credit
 * @msi_vecs: vectors of the MSI capability, read at probe
 * @msix_vecs: table size of the MSI-X capability, read at probe
 * @pm_node: in the runtime PM watch list (vfio_pci_ext.c), under RCU
 */
struct vfio_ext_device {
	struct vfio_pci_core_device core;
	struct mutex dsm_lock;		/* one _DSM evaluation at a time */
	struct mutex policy_lock;	/* protects policy */
	struct vfio_ext_dsm_policy policy;
	atomic64_t dsm_calls;
	atomic64_t dsm_denied;
	struct mutex notify_lock;	/* notification control paths */
	spinlock_t notify_ev_lock;	/* notification delivery state */
	struct eventfd_ctx *notify_trigger;
	struct vfio_ext_notify_chan *notify_chan;
	bool notify_installed;
	u64 notify_seq;
	struct list_head reg_node;
	u64 reg_id;
	refcount_t reg_users;
	struct completion reg_done;
	spinlock_t nl_lock;		/* nl_open, nl_opener, nl_kvm_pid */
	bool nl_open;
	pid_t nl_opener;
	pid_t nl_kvm_pid;
	bool nl_low_power;
	bool nl_suspended;
	unsigned int nl_lb_credit;
	unsigned long nl_lb_stamp;
	u64 nl_lb_refused;
	u32 msi_vecs;
	u32 msix_vecs;
	struct list_head pm_node;
};

static inline struct vfio_ext_device *
vfio_ext_from_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct vfio_ext_device, core.vdev);
}

void vfio_ext_acpi_init(struct vfio_ext_device *edev);
void vfio_ext_acpi_release(struct vfio_ext_device *edev);
long vfio_ext_acpi_dsm_ioctl(struct vfio_ext_device *edev, void __user *arg);
long vfio_ext_acpi_dsm_crosvm_ioctl(struct vfio_ext_device *edev,
				    void __user *arg);
extern const struct attribute_group *vfio_ext_dev_groups[];

void vfio_ext_notify_init(struct vfio_ext_device *edev);
void vfio_ext_notify_release(struct vfio_ext_device *edev);
void vfio_ext_notify_close(struct vfio_ext_device *edev);
long vfio_ext_notify_ioctl(struct vfio_ext_device *edev, unsigned int cmd,
			   unsigned long arg, bool *handled);

int vfio_ext_nl_init(void);
void vfio_ext_nl_exit(void);
void vfio_ext_nl_register(struct vfio_ext_device *edev);
void vfio_ext_nl_unregister(struct vfio_ext_device *edev);
void vfio_ext_nl_notify_event(struct vfio_ext_device *edev, u32 value,
			      bool loopback);
int vfio_ext_nl_loopback_charge(struct vfio_ext_device *edev);
void vfio_ext_nl_open(struct vfio_ext_device *edev);
void vfio_ext_nl_close(struct vfio_ext_device *edev);

/* Runtime PM state passed to vfio_ext_nl_power(). */
enum vfio_ext_pm_state {
	VFIO_EXT_PM_UNCHANGED,	/* only the user's low-power state may have */
	VFIO_EXT_PM_ACTIVE,	/* runtime resumed */
	VFIO_EXT_PM_SUSPENDED,	/* runtime suspended */
};

void vfio_ext_nl_power(struct vfio_ext_device *edev,
		       enum vfio_ext_pm_state state);
void vfio_ext_nl_power_init(struct vfio_ext_device *edev, bool suspended);

#endif /* _VFIO_EXT_PRIV_H */
