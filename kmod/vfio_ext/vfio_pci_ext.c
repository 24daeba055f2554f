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
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

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
	case VFIO_DEVICE_ACPI_DSM:
	case VFIO_EXT_DEVICE_ACPI_DSM:
		return vfio_ext_acpi_dsm_ioctl(edev, (void __user *)arg);
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
 * Runtime power transitions.  vfio-pci-core points the driver's PM
 * callbacks (dev->driver->pm) at its own static ops in every
 * vfio_pci_core_register_device() and gives a variant driver no hook into
 * them (6.1 and 6.12 alike), so they are wrapped by hand: after each
 * registration the driver's pm pointer is set to a copy of the core's ops
 * whose runtime callbacks call the core's and then report the new state.
 *
 * A concurrent probe of another device re-points the driver at the core's
 * ops for a moment; a transition made in that window is not reported.
 * Events carry the state, not a delta, so the next event is still right.
 *
 * vfio_ext_pm_lock serialises the hooking; vfio_ext_core_pm and the copy
 * are written once, under it, before the driver can point at the copy.
 */
static DEFINE_MUTEX(vfio_ext_pm_lock);
static const struct dev_pm_ops *vfio_ext_core_pm;
static struct dev_pm_ops vfio_ext_pm_ops;

static struct vfio_ext_device *vfio_ext_from_dev(struct device *dev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(dev);

	return vfio_ext_from_vdev(&vdev->vdev);
}

static int vfio_ext_runtime_suspend(struct device *dev)
{
	int ret = vfio_ext_core_pm->runtime_suspend(dev);

	if (!ret)
		vfio_ext_nl_power(vfio_ext_from_dev(dev), VFIO_EXT_PM_SUSPENDED);
	return ret;
}

static int vfio_ext_runtime_resume(struct device *dev)
{
	int ret = vfio_ext_core_pm->runtime_resume(dev);

	/* A resume with a wakeup eventfd also ended the low-power state. */
	if (!ret)
		vfio_ext_nl_power(vfio_ext_from_dev(dev), VFIO_EXT_PM_ACTIVE);
	return ret;
}

/* After vfio_pci_core_register_device(); see the comment above. */
static void vfio_ext_pm_hook(struct vfio_ext_device *edev)
{
	struct device *dev = &edev->core.pdev->dev;
	struct device_driver *drv = dev->driver;

	mutex_lock(&vfio_ext_pm_lock);
	if (!vfio_ext_core_pm) {
		vfio_ext_core_pm = drv->pm;
		if (drv->pm)
			vfio_ext_pm_ops = *drv->pm;
		if (vfio_ext_pm_ops.runtime_suspend)
			vfio_ext_pm_ops.runtime_suspend = vfio_ext_runtime_suspend;
		if (vfio_ext_pm_ops.runtime_resume)
			vfio_ext_pm_ops.runtime_resume = vfio_ext_runtime_resume;
	}
	/* Anything but the core's ops (or ours) is not ours to wrap. */
	if (vfio_ext_core_pm && drv->pm == vfio_ext_core_pm)
		WRITE_ONCE(drv->pm, &vfio_ext_pm_ops);
	mutex_unlock(&vfio_ext_pm_lock);
	/* A transition before the hook went unreported: start from now. */
	vfio_ext_nl_power_init(edev, pm_runtime_suspended(dev));
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
	vfio_ext_pm_hook(edev);
	return 0;

out_unlist:
	vfio_ext_nl_unregister(edev);
	vfio_put_device(&edev->core.vdev);
	return ret;
}

static void vfio_ext_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

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
	ret = pci_register_driver(&vfio_ext_driver);
	if (ret) {
		vfio_ext_nl_exit();
		return ret;
	}

	vfio_ext_fill_ids();

	if (disable_denylist)
		pr_warn("device denylist disabled\n");
	return 0;
}
module_init(vfio_ext_init);

static void __exit vfio_ext_exit(void)
{
	pci_unregister_driver(&vfio_ext_driver);
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
