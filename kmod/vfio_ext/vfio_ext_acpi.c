// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-ext: ACPI _DSM evaluation for the user of a device, under the
 * host policy, and the per-device sysfs attributes that control it.
 */
#include <linux/acpi.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/vfio_ext.h>
#include "vfio_ext_dsm.h"
#include "vfio_ext_uarg.h"
#include "vfio_ext_priv.h"

void vfio_ext_acpi_init(struct vfio_ext_device *edev)
{
	mutex_init(&edev->dsm_lock);
	mutex_init(&edev->policy_lock);
	vfio_ext_dsm_policy_default(&edev->policy);
	atomic64_set(&edev->dsm_calls, 0);
	atomic64_set(&edev->dsm_denied, 0);
}

void vfio_ext_acpi_release(struct vfio_ext_device *edev)
{
	mutex_destroy(&edev->policy_lock);
	mutex_destroy(&edev->dsm_lock);
}

static bool vfio_ext_dsm_allowed(struct vfio_ext_device *edev,
				 const guid_t *guid, u64 func)
{
	bool ok;

	mutex_lock(&edev->policy_lock);
	ok = vfio_ext_dsm_policy_allows(&edev->policy, guid, func);
	mutex_unlock(&edev->policy_lock);
	return ok;
}

/*
 * acpi_evaluate_dsm() with the ACPICA status kept: it returns NULL for any
 * failure, and a host allocation failure must read as ENOMEM, not as
 * "the firmware method failed".  Returns the result object (ACPI_FREE it)
 * or an ERR_PTR: -ENOMEM, -ENOENT (the method went away with its table),
 * -EIO (AML error, no result; logged, ratelimited: the guest drives it).
 */
static union acpi_object *vfio_ext_eval_dsm(struct pci_dev *pdev,
					    acpi_handle handle,
					    struct vfio_ext_dsm_call *call)
{
	struct acpi_buffer out = { ACPI_ALLOCATE_BUFFER, NULL };
	union acpi_object params[4] = {
		{ .buffer = { .type = ACPI_TYPE_BUFFER, .length = 16,
			      .pointer = (u8 *)&call->guid } },
		{ .integer = { .type = ACPI_TYPE_INTEGER, .value = call->rev } },
		{ .integer = { .type = ACPI_TYPE_INTEGER, .value = call->func } },
		{ .package = { .type = ACPI_TYPE_PACKAGE } },
	};
	struct acpi_object_list in = { .count = 4, .pointer = params };
	acpi_status status;

	if (call->arg3)
		params[3] = *call->arg3;
	status = acpi_evaluate_object(handle, "_DSM", &in, &out);
	if (ACPI_SUCCESS(status))
		return out.pointer ? out.pointer : ERR_PTR(-EIO);
	/*
	 * ACPICA may fail after allocating the result buffer (copying a
	 * Package out needs memory of its own) and leaves it to us: found
	 * by fault injection as a kmemleak report.
	 */
	ACPI_FREE(out.pointer);
	if (status == AE_NO_MEMORY)
		return ERR_PTR(-ENOMEM);
	if (status == AE_NOT_FOUND)
		return ERR_PTR(-ENOENT);
	dev_warn_ratelimited(&pdev->dev, "_DSM %pUl function %llu failed: %s\n",
			     &call->guid, call->func,
			     acpi_format_exception(status));
	return ERR_PTR(-EIO);
}

/*
 * Evaluate the decoded call on @handle and encode the result into @args.
 * Calls on one device are serialised by dsm_lock: firmware methods are
 * not written for concurrent use, and a slow one (AML Sleep()) makes the
 * next caller wait; a waiter can still be killed.
 */
static int vfio_ext_dsm_eval(struct vfio_ext_device *edev, acpi_handle handle,
			     struct vfio_ext_dsm_call *call, u8 *args,
			     size_t len, size_t *used)
{
	union acpi_object *obj;
	int ret;

	if (mutex_lock_killable(&edev->dsm_lock))
		return -EINTR;
	atomic64_inc(&edev->dsm_calls);
	obj = vfio_ext_eval_dsm(edev->core.pdev, handle, call);
	mutex_unlock(&edev->dsm_lock);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	ret = vfio_ext_dsm_encode(obj, args, len, used);
	ACPI_FREE(obj);
	return ret;
}

/*
 * One _DSM call: @len bytes of args at @uargs (the call in, the result
 * out).  On success *@used is the bytes of args the call and its result
 * take; on -ENOSPC the bytes the result would need.
 */
static long vfio_ext_dsm_call(struct vfio_ext_device *edev,
			      u8 __user *uargs, size_t len, size_t *used)
{
	struct pci_dev *pdev = edev->core.pdev;
	struct vfio_ext_dsm_call call;
	acpi_handle handle, dsm_handle;
	acpi_status status;
	u8 *args;
	int ret;

	/* Room for the call and a result header, or the call cannot work. */
	if (len < VFIO_EXT_ACPI_DSM_ARGS_MIN + 8)
		return -EINVAL;
	if (len > VFIO_EXT_ACPI_DSM_ARGS_MAX)
		return -E2BIG;

	handle = ACPI_HANDLE(&pdev->dev);
	if (!handle)
		return -ENODEV;
	/*
	 * Not acpi_has_method(): it says "no" on any failure, and an
	 * allocation failure must not read as "this device has no _DSM".
	 */
	status = acpi_get_handle(handle, "_DSM", &dsm_handle);
	if (status == AE_NOT_FOUND)
		return -ENOENT;
	if (ACPI_FAILURE(status))
		return status == AE_NO_MEMORY ? -ENOMEM : -EIO;

	args = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!args)
		return -ENOMEM;
	if (copy_from_user(args, uargs, len)) {
		ret = -EFAULT;
		goto out_free;
	}

	ret = vfio_ext_dsm_decode(args, len, &call);
	if (ret)
		goto out_free;

	if (!vfio_ext_dsm_allowed(edev, &call.guid, call.func)) {
		atomic64_inc(&edev->dsm_denied);
		pci_info_ratelimited(pdev, "_DSM %pUl function %llu denied by policy\n",
				     &call.guid, call.func);
		ret = -EACCES;
		goto out_call;
	}

	*used = 0;
	ret = vfio_ext_dsm_eval(edev, handle, &call, args, len, used);
	/* Only the result travels back: bytes after it stay as they were. */
	if (!ret && copy_to_user(uargs + VFIO_EXT_ACPI_DSM_ARGS_MIN,
				 args + VFIO_EXT_ACPI_DSM_ARGS_MIN,
				 *used - VFIO_EXT_ACPI_DSM_ARGS_MIN))
		ret = -EFAULT;
out_call:
	vfio_ext_dsm_call_free(&call);
out_free:
	kvfree(args);
	return ret;
}

/**
 * vfio_ext_acpi_dsm_ioctl() - VFIO_EXT_DEVICE_ACPI_DSM
 * @edev: the device
 * @arg: user pointer to struct vfio_ext_acpi_dsm
 *
 * Return: 0 or a negative errno as documented in <linux/vfio_ext.h>.
 */
long vfio_ext_acpi_dsm_ioctl(struct vfio_ext_device *edev, void __user *arg)
{
	struct vfio_ext_acpi_dsm d;
	size_t used = 0;
	long ret;

	ret = vfio_ext_get_uarg(&d, VFIO_EXT_ACPI_DSM_SIZE_VER0, 0, arg);
	if (ret)
		return ret;
	ret = vfio_ext_dsm_call(edev, u64_to_user_ptr(d.args), d.args_size,
				&used);
	if (ret && ret != -ENOSPC)
		return ret;
	/*
	 * The method ran and may have had side effects: running it again
	 * with a larger buffer is the caller's decision, so say how large,
	 * as VFIO's argsz-too-small replies do.
	 */
	if (ret == -ENOSPC)
		d.args_size = min_t(u64, used, U32_MAX);
	else
		d.result_size = used;
	if (vfio_ext_put_uarg(arg, &d))
		return -EFAULT;
	return ret;
}

/**
 * vfio_ext_acpi_dsm_crosvm_ioctl() - VFIO_DEVICE_ACPI_DSM, crosvm's layout
 * @edev: the device
 * @arg: user pointer to struct vfio_acpi_dsm
 *
 * crosvm's structure cannot grow (its args follow the header) and its
 * padding is not initialised by crosvm: it is read as it always was.
 *
 * Return: 0 or a negative errno as documented in <linux/vfio_ext.h>.
 */
long vfio_ext_acpi_dsm_crosvm_ioctl(struct vfio_ext_device *edev,
				    void __user *arg)
{
	struct vfio_acpi_dsm __user *uhdr = arg;
	struct vfio_acpi_dsm hdr;
	size_t used = 0;
	long ret;

	if (copy_from_user(&hdr, uhdr, sizeof(hdr)))
		return -EFAULT;
	if (hdr.argsz < sizeof(hdr))
		return -EINVAL;
	ret = vfio_ext_dsm_call(edev, uhdr->args, hdr.argsz - sizeof(hdr),
				&used);
	if (ret == -ENOSPC &&
	    put_user((u32)min_t(u64, sizeof(hdr) + (u64)used, U32_MAX),
		     &uhdr->argsz))
		ret = -EFAULT;
	return ret;
}

/* ------------------------------------------------------------------ */
/* sysfs: /sys/bus/pci/devices/<BDF>/vfio_ext/                        */
/* ------------------------------------------------------------------ */

static struct vfio_ext_device *vfio_ext_from_dev(struct device *dev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(dev);

	return container_of(vdev, struct vfio_ext_device, core);
}

static ssize_t dsm_policy_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct vfio_ext_device *edev = vfio_ext_from_dev(dev);
	int n;

	mutex_lock(&edev->policy_lock);
	n = vfio_ext_dsm_policy_show(&edev->policy, buf, PAGE_SIZE);
	mutex_unlock(&edev->policy_lock);
	return n;
}

static ssize_t dsm_policy_store(struct device *dev,
				struct device_attribute *attr, const char *buf,
				size_t count)
{
	struct vfio_ext_device *edev = vfio_ext_from_dev(dev);
	int ret;

	mutex_lock(&edev->policy_lock);
	ret = vfio_ext_dsm_policy_apply(&edev->policy, buf);
	mutex_unlock(&edev->policy_lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(dsm_policy);

static ssize_t dsm_calls_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&vfio_ext_from_dev(dev)->dsm_calls));
}

/* A tenant's _DSM activity: root only, as in netlink (netlink.rst). */
static DEVICE_ATTR_ADMIN_RO(dsm_calls);

static ssize_t dsm_denied_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&vfio_ext_from_dev(dev)->dsm_denied));
}
static DEVICE_ATTR_ADMIN_RO(dsm_denied);

static struct attribute *vfio_ext_attrs[] = {
	&dev_attr_dsm_policy.attr,
	&dev_attr_dsm_calls.attr,
	&dev_attr_dsm_denied.attr,
	NULL
};

static const struct attribute_group vfio_ext_group = {
	.name = "vfio_ext",
	.attrs = vfio_ext_attrs,
};

const struct attribute_group *vfio_ext_dev_groups[] = {
	&vfio_ext_group,
	NULL
};
