// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-ext: a vfio-pci variant driver on vfio-pci-core.
 *
 * Bound exactly like vfio-pci (driver_override or ids=), it offers every
 * region, IRQ index, ioctl and device feature of vfio-pci by delegating to
 * vfio-pci-core, and is the home of the vfio-ext device extensions.
 *
 * Differences from vfio-pci, by design:
 *  - Intel IGD OpRegion/host-bridge regions are not offered: their setup
 *    code is private to vfio-pci (not exported by vfio-pci-core).
 *  - The core-wide parameters nointxmask, disable_vga and disable_idle_d3
 *    belong to vfio-pci-core and are set by vfio-pci's module parameters
 *    (a second module setting them would silently override the first);
 *    the softdep below loads vfio-pci first so they apply here too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>
#include <linux/rculist.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <trace/events/rpm.h>

#include <linux/vfio_ext.h>
#include "vfio_ext_compat_vfio.h"
#include "vfio_ext_ids.h"
#include "vfio_ext_priv.h"

static char ids[1024] __initdata;
module_param_string(ids, ids, sizeof(ids), 0);
MODULE_PARM_DESC(ids,
		 "Initial PCI IDs to add to the driver, format is \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]\" (hex), comma separated");

static bool enable_sriov;
#ifdef CONFIG_PCI_IOV
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov,
		 "Enable support for SR-IOV configuration (as vfio-pci's enable_sriov)");
#endif

/* Read-only once loaded: validated at load, then read by every probe. */
static char dsm_policy[1024];
module_param_string(dsm_policy, dsm_policy, sizeof(dsm_policy), 0444);
MODULE_PARM_DESC(dsm_policy,
		 "_DSM policy applied to each device at bind, by PCI ID: \"vendor:device command\" (hex IDs; commands as the vfio_ext/dsm_policy attribute), ';' separated");

static bool disable_denylist;
module_param(disable_denylist, bool, 0444);
MODULE_PARM_DESC(disable_denylist,
		 "Disable use of the device denylist (as vfio-pci's disable_denylist)");

/* Devices with errata that make user access unsafe; same list as vfio-pci. */
static bool vfio_ext_dev_in_denylist(struct pci_dev *pdev)
{
	if (pdev->vendor != PCI_VENDOR_ID_INTEL)
		return false;

	switch (pdev->device) {
	case PCI_DEVICE_ID_INTEL_QAT_C3XXX:
	case PCI_DEVICE_ID_INTEL_QAT_C3XXX_VF:
	case PCI_DEVICE_ID_INTEL_QAT_C62X:
	case PCI_DEVICE_ID_INTEL_QAT_C62X_VF:
	case PCI_DEVICE_ID_INTEL_QAT_DH895XCC:
	case PCI_DEVICE_ID_INTEL_QAT_DH895XCC_VF:
	case PCI_DEVICE_ID_INTEL_DSA_SPR0:
	case PCI_DEVICE_ID_INTEL_IAX_SPR0:
		return true;
	default:
		return false;
	}
}

static bool vfio_ext_is_denylisted(struct pci_dev *pdev)
{
	if (!vfio_ext_dev_in_denylist(pdev))
		return false;

	if (disable_denylist) {
		pci_warn(pdev, "device denylist disabled - allowing device %04x:%04x\n",
			 pdev->vendor, pdev->device);
		return false;
	}

	pci_warn(pdev, "%04x:%04x is in the vfio-pci device denylist, not binding\n",
		 pdev->vendor, pdev->device);
	return true;
}

static int vfio_ext_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;

	vfio_pci_core_finish_enable(vdev);
	vfio_ext_nl_open(vfio_ext_from_vdev(core_vdev));
	return 0;
}

/*
 * The administrator's dsm_policy= entries for this device's ID, on the
 * default policy: before the device is registered, so no user sees it
 * without them.  The value was validated at load.
 */
static void vfio_ext_dsm_policy_at_bind(struct vfio_ext_device *edev)
{
	/* Before vfio_pci_core_init_dev(): core.pdev is not set yet. */
	struct pci_dev *pdev = to_pci_dev(edev->core.vdev.dev);
	const char *bad;
	size_t len;
	int ret;

	ret = vfio_ext_dsm_policy_param(&edev->policy, dsm_policy,
					pdev->vendor, pdev->device, &bad, &len);
	if (ret)
		pci_warn(pdev, "dsm_policy entry \"%.*s\" failed (%d)\n",
			 (int)len, bad, ret);
}

static int vfio_ext_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_ext_device *edev = vfio_ext_from_vdev(core_vdev);

	vfio_ext_acpi_init(edev);
	vfio_ext_dsm_policy_at_bind(edev);
	vfio_ext_notify_init(edev);
	spin_lock_init(&edev->nl_lock);
	return vfio_pci_core_init_dev(core_vdev);
}

static void vfio_ext_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_ext_device *edev = vfio_ext_from_vdev(core_vdev);

	vfio_ext_notify_release(edev);
	vfio_ext_acpi_release(edev);
	vfio_pci_core_release_dev(core_vdev);
}

static void vfio_ext_close_device(struct vfio_device *core_vdev)
{
	struct vfio_ext_device *edev = vfio_ext_from_vdev(core_vdev);

	vfio_ext_notify_close(edev);
	vfio_pci_core_close_device(core_vdev);
	/* The core ended the user's low-power state, if it was in one. */
	vfio_ext_nl_power(edev, VFIO_EXT_PM_UNCHANGED);
	vfio_ext_nl_close(edev);
}

static long vfio_ext_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
			   unsigned long arg)
{
	struct vfio_ext_device *edev = vfio_ext_from_vdev(core_vdev);

	struct vfio_device_info __user *info = (void __user *)arg;
	bool handled;
	long ret;

	/* vfio-ext device ioctls are dispatched here before the core's. */
	switch (cmd) {
	case VFIO_EXT_DEVICE_GET_API_VERSION:
		return arg ? -EINVAL : VFIO_EXT_API_VERSION;
	case VFIO_EXT_DEVICE_ACPI_DSM:
		return vfio_ext_acpi_dsm_ioctl(edev, (void __user *)arg);
	case VFIO_DEVICE_ACPI_DSM:
		return vfio_ext_acpi_dsm_crosvm_ioctl(edev, (void __user *)arg);
	case VFIO_DEVICE_GET_INFO:
		/* One more IRQ index: VFIO_PCI_ACPI_NTFY_IRQ_INDEX. */
		ret = vfio_pci_core_ioctl(core_vdev, cmd, arg);
		if (!ret && put_user(VFIO_PCI_ACPI_NTFY_IRQ_INDEX + 1,
				     &info->num_irqs))
			ret = -EFAULT;
		return ret;
	default:
		ret = vfio_ext_notify_ioctl(edev, cmd, arg, &handled);
		if (handled)
			return ret;
		return vfio_pci_core_ioctl(core_vdev, cmd, arg);
	}
}

/* The core's device features; a low-power entry or exit is reported. */
static int vfio_ext_device_feature(struct vfio_device *core_vdev, u32 flags,
				   void __user *arg, size_t argsz)
{
	int ret = vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);

	/* A probe succeeds without doing anything. */
	if (ret || !(flags & VFIO_DEVICE_FEATURE_SET) ||
	    (flags & VFIO_DEVICE_FEATURE_PROBE))
		return ret;
	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		/* Reported only if the state changed: an exit may be late. */
		vfio_ext_nl_power(vfio_ext_from_vdev(core_vdev),
				  VFIO_EXT_PM_UNCHANGED);
		break;
	}
	return 0;
}

static const struct vfio_device_ops vfio_ext_ops = {
	.name		= VFIO_EXT_PCI_DRIVER_NAME,
	.init		= vfio_ext_init_dev,
	.release	= vfio_ext_release_dev,
	.open_device	= vfio_ext_open_device,
	.close_device	= vfio_ext_close_device,
	.ioctl		= vfio_ext_ioctl,
	.device_feature	= vfio_ext_device_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	VFIO_EXT_PCI_CORE_OPS
	VFIO_EXT_IOMMUFD_PHYS_OPS
};

/*
 * Runtime power transitions.  vfio-pci-core owns the driver's PM callbacks
 * and gives a variant driver no hook into them, so transitions are seen
 * through the runtime PM core's exported rpm_return_int tracepoint, which
 * fires at the end of every rpm_idle(), rpm_suspend() and rpm_resume(),
 * with the device's power.lock held, and the new runtime_status is read
 * there.  (Wrapping the callbacks meant replacing the driver's pm pointer,
 * vfio-pci-core's to set, racing its unlocked store on every probe.)
 *
 * The probe sees every device in the system: it filters on the driver,
 * then finds the device in vfio_ext_pm_devs under RCU.  A device is added
 * once probed and deleted, with a grace period, before it can be freed,
 * so the probe never sees a freed vfio_ext_device; vfio_ext_pm_mutex
 * serialises the writers.
 */
static DEFINE_MUTEX(vfio_ext_pm_mutex);
static LIST_HEAD(vfio_ext_pm_devs);
static struct pci_driver vfio_ext_driver;

static void vfio_ext_rpm_return(void *data, struct device *dev,
				unsigned long ip, int ret)
{
	struct vfio_ext_device *edev;
	enum vfio_ext_pm_state state;

	if (READ_ONCE(dev->driver) != &vfio_ext_driver.driver)
		return;
	/* Stable under power.lock; in between, the next return says. */
	switch (READ_ONCE(dev->power.runtime_status)) {
	case RPM_ACTIVE:
		state = VFIO_EXT_PM_ACTIVE;
		break;
	case RPM_SUSPENDED:
		state = VFIO_EXT_PM_SUSPENDED;
		break;
	default:
		return;
	}
	rcu_read_lock();
	list_for_each_entry_rcu(edev, &vfio_ext_pm_devs, pm_node) {
		if (&edev->core.pdev->dev == dev) {
			/* Reported only if it changed: idle returns often. */
			vfio_ext_nl_power(edev, state);
			break;
		}
	}
	rcu_read_unlock();
}

/* After vfio_pci_core_register_device(): report this device's changes. */
static void vfio_ext_pm_track(struct vfio_ext_device *edev)
{
	struct device *dev = &edev->core.pdev->dev;

	/* A transition before this point went unreported: start from now. */
	vfio_ext_nl_power_init(edev, pm_runtime_suspended(dev));
	mutex_lock(&vfio_ext_pm_mutex);
	list_add_tail_rcu(&edev->pm_node, &vfio_ext_pm_devs);
	mutex_unlock(&vfio_ext_pm_mutex);
}

/* Before the device can be freed: no probe uses it after this returns. */
static void vfio_ext_pm_untrack(struct vfio_ext_device *edev)
{
	mutex_lock(&vfio_ext_pm_mutex);
	list_del_rcu(&edev->pm_node);
	mutex_unlock(&vfio_ext_pm_mutex);
	synchronize_rcu();
}

static int vfio_ext_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_ext_device *edev;
	int ret;

	if (vfio_ext_is_denylisted(pdev))
		return -EINVAL;

	edev = vfio_alloc_device(vfio_ext_device, core.vdev, &pdev->dev,
				 &vfio_ext_ops);
	if (IS_ERR(edev))
		return PTR_ERR(edev);

	dev_set_drvdata(&pdev->dev, &edev->core);
	/*
	 * The capability sizes are read-only: read them while probe holds
	 * the device active, so queries never touch a suspended device.
	 */
	ret = pdev->msi_cap ? pci_msi_vec_count(pdev) : 0;
	edev->msi_vecs = max(ret, 0);
	ret = pdev->msix_cap ? pci_msix_vec_count(pdev) : 0;
	edev->msix_vecs = max(ret, 0);
	/* Listed before the VFIO core lets anyone open it. */
	vfio_ext_nl_register(edev);
	ret = vfio_pci_core_register_device(&edev->core);
	if (ret)
		goto out_unlist;
	vfio_ext_pm_track(edev);
	return 0;

out_unlist:
	vfio_ext_nl_unregister(edev);
	vfio_put_device(&edev->core.vdev);
	return ret;
}

static void vfio_ext_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_ext_pm_untrack(vfio_ext_from_vdev(&vdev->vdev));
	/* Waits for the last close: unlisted after it. */
	vfio_pci_core_unregister_device(vdev);
	vfio_ext_nl_unregister(vfio_ext_from_vdev(&vdev->vdev));
	vfio_put_device(&vdev->vdev);
}

static int vfio_ext_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (!enable_sriov)
		return -ENOENT;

	return vfio_pci_core_sriov_configure(vdev, nr_virtfn);
}

static const struct pci_device_id vfio_ext_table[] = {
	/* Match nothing by default: bind through driver_override or ids=. */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vfio_ext_table);

static struct pci_driver vfio_ext_driver = {
	.name			= VFIO_EXT_PCI_DRIVER_NAME,
	.id_table		= vfio_ext_table,
	.probe			= vfio_ext_probe,
	.remove			= vfio_ext_remove,
	.sriov_configure	= vfio_ext_sriov_configure,
	.err_handler		= &vfio_pci_core_err_handlers,
	.driver_managed_dma	= true,
	.dev_groups		= vfio_ext_dev_groups,
};

static void __init vfio_ext_fill_ids(void)
{
	const char *cur = ids, *entry;
	struct vfio_ext_pci_id id;
	int ret;

	for (;;) {
		entry = cur + strspn(cur, ",");
		ret = vfio_ext_ids_next(&cur, &id);
		if (!ret)
			break;
		if (ret < 0) {
			pr_warn("ignoring invalid ids= entry \"%.*s\" (%d)\n",
				(int)strcspn(entry, ","), entry, ret);
			continue;
		}
		ret = pci_add_dynid(&vfio_ext_driver, id.vendor, id.device,
				    id.subvendor, id.subdevice, id.class,
				    id.class_mask, 0);
		if (ret)
			pr_warn("failed to add dynamic id %04x:%04x (%d)\n",
				id.vendor, id.device, ret);
		else
			pr_info("add [%04x:%04x[%04x:%04x]] class %#08x/%08x\n",
				id.vendor, id.device, id.subvendor,
				id.subdevice, id.class, id.class_mask);
	}
}

/* A bad dsm_policy= fails the load: the administrator asked for a policy. */
static int __init vfio_ext_check_dsm_policy(void)
{
	struct vfio_ext_dsm_policy *scratch;
	const char *bad;
	size_t len;
	int ret;

	scratch = kmalloc(sizeof(*scratch), GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	ret = vfio_ext_dsm_policy_param_check(scratch, dsm_policy, &bad, &len);
	kfree(scratch);
	if (ret)
		pr_err("dsm_policy: invalid entry \"%.*s\" (%d); expected \"vendor:device command\", e.g. \"8086:1234 allow * 0-3\"\n",
		       (int)len, bad, ret);
	return ret;
}

static int __init vfio_ext_init(void)
{
	int ret;

	ret = vfio_ext_check_dsm_policy();
	if (ret)
		return ret;
	ret = vfio_ext_nl_init();
	if (ret)
		return ret;
	ret = register_trace_rpm_return_int(vfio_ext_rpm_return, NULL);
	if (ret)
		goto err_nl;
	ret = pci_register_driver(&vfio_ext_driver);
	if (ret)
		goto err_trace;

	vfio_ext_fill_ids();

	if (disable_denylist)
		pr_warn("device denylist disabled\n");
	return 0;

err_trace:
	unregister_trace_rpm_return_int(vfio_ext_rpm_return, NULL);
	tracepoint_synchronize_unregister();
err_nl:
	vfio_ext_nl_exit();
	return ret;
}
module_init(vfio_ext_init);

static void __exit vfio_ext_exit(void)
{
	pci_unregister_driver(&vfio_ext_driver);
	unregister_trace_rpm_return_int(vfio_ext_rpm_return, NULL);
	/* No probe still runs in this module's text. */
	tracepoint_synchronize_unregister();
	vfio_ext_nl_exit();
}
module_exit(vfio_ext_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI variant driver with vfio-ext extensions");
/*
 * vfio-pci first: it matches nothing by default, but it applies the
 * administrator's core-wide options (disable_idle_d3, nointxmask, ...) to
 * vfio-pci-core before any device binds here.
 */
MODULE_SOFTDEP("pre: vfio_pci vfio_iommu_type1");
