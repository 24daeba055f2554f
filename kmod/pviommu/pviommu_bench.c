// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pviommu-bench: in-kernel floors for `make bench`, and a DMA fault
 * report for the tests.
 *
 * Not used by the data path.  Three debugfs files under
 * /sys/kernel/debug/vfio_ext_bench/, the first two written by the bench
 * program and read back for the result:
 *
 *   floor  "GROUP VADDR SIZE ITERS [ACCT]": claim IOMMU group GROUP (no
 *          VFIO user may hold it), attach a fresh domain, then ITERS times
 *          pin SIZE bytes of the writer's memory at VADDR, iommu_map,
 *          iommu_unmap, unpin; with ACCT 1 also charge and uncharge the
 *          pages to locked_vm as every real backend must (the share of
 *          the accounting in a pair); read: "ns_per_pair N"
 *   dsm    "BDF UUID FUNC ITERS": acpi_evaluate_dsm() of the device's
 *          companion ITERS times; read: "ns_per_call N"
 *   fault  "BDF IOVA r|w": report a DMA fault of the device at IOVA to the
 *          IOMMU core, as an IOMMU driver's fault path does:
 *          report_iommu_fault() on the domain the device is attached to.
 *          The emulated VT-d of the test bench never reports faults to the
 *          core (6.1's Intel driver only logs them; QEMU's AMD-Vi flags its
 *          page faults as interrupt requests, which the AMD driver does not
 *          report), so this is how the tests reach the domain's fault
 *          handler.  The writer keeps the device's domain in place: the
 *          IOMMU API has no reference on a domain, and the domain's
 *          owner (a VFIO backend) frees it under locks of its own, so a
 *          write racing the container's teardown can use a freed
 *          domain.  Hence a debug module, built only with
 *          VFIOEXT_BENCH=1 (kmod/pviommu/Kbuild), never installed.
 *
 * Root only (debugfs).  Every run undoes what it set up.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>

#include "vfio_ext_compat_iommu.h"

static struct dentry *bench_dir;
static DEFINE_MUTEX(bench_lock);	/* one run at a time; protects results */
static u64 floor_ns, dsm_ns;
static u64 fault_tag;	/* only the fault file's identity */

static int first_dev(struct device *dev, void *data)
{
	*(struct device **)data = dev;
	return 1;
}

static int dev_in_group(struct device *dev, const void *data)
{
	struct iommu_group *group = iommu_group_get(dev);
	int match = group && iommu_group_id(group) == *(const int *)data;

	iommu_group_put(group);
	return match;
}

/*
 * The group with id @id.  iommu_group_get_by_id() is gone from 7.x, and
 * the IOMMU core has no other lookup by id: find a PCI device in it.
 */
static struct iommu_group *bench_group_get(int id)
{
	struct device *dev;
	struct iommu_group *group;

	dev = bus_find_device(&pci_bus_type, NULL, &id, dev_in_group);
	if (!dev)
		return NULL;
	group = iommu_group_get(dev);
	put_device(dev);
	return group;
}

/*
 * Give @n pages back to locked_vm as cheaply as a backend can: a refund
 * checks no limit, so no capable() (pviommu_refund(), type1's reuse of
 * the answer it got when charging).  The floor must not be dearer than
 * what the backends are allowed to do.
 */
static void floor_refund(unsigned long n)
{
	mmap_write_lock(current->mm);
	__account_locked_vm(current->mm, n, false, current, false);
	mmap_write_unlock(current->mm);
}

static int floor_run(int group_id, unsigned long vaddr, size_t size,
		     unsigned int iters, bool acct, u64 *ns)
{
	unsigned long n = size >> PAGE_SHIFT, i;
	struct iommu_group *group;
	struct iommu_domain *domain;
	struct device *dev = NULL;
	struct page **pages;
	u64 start;
	int ret;

	if (!n || size & ~PAGE_MASK || n > 512 || !iters)
		return -EINVAL;
	group = bench_group_get(group_id);
	if (!group)
		return -ENOENT;
	iommu_group_for_each_dev(group, &dev, first_dev);
	ret = -ENODEV;
	if (!dev)
		goto out_group;
	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	ret = -ENOMEM;
	if (!pages)
		goto out_group;
	domain = vfio_ext_iommu_domain_alloc(dev);
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		goto out_pages;
	}
	ret = iommu_group_claim_dma_owner(group, &bench_lock);
	if (ret)
		goto out_domain;
	ret = iommu_attach_group(domain, group);
	if (ret)
		goto out_owner;

	start = ktime_get_ns();
	for (i = 0; i < iters && !ret; i++) {
		unsigned long p;
		long got;

		if (acct) {
			ret = account_locked_vm(current->mm, n, true);
			if (ret)
				break;
		}
		got = pin_user_pages_fast(vaddr, n, FOLL_WRITE | FOLL_LONGTERM,
					  pages);
		if (got != n) {
			if (got > 0)
				unpin_user_pages(pages, got);
			ret = got < 0 ? got : -EFAULT;
			if (acct)
				floor_refund(n);
			break;
		}
		/* Physically contiguous only by chance: map page by page. */
		for (p = 0; p < n && !ret; p++)
			ret = vfio_ext_iommu_map(domain, 0x100000 + p * PAGE_SIZE,
						 page_to_phys(pages[p]),
						 PAGE_SIZE,
						 IOMMU_READ | IOMMU_WRITE);
		iommu_unmap(domain, 0x100000, size);
		unpin_user_pages(pages, n);
		if (acct)
			floor_refund(n);
		cond_resched();
	}
	*ns = div_u64(ktime_get_ns() - start, max(i, 1UL));

	iommu_detach_group(domain, group);
out_owner:
	iommu_group_release_dma_owner(group);
out_domain:
	iommu_domain_free(domain);
out_pages:
	kfree(pages);
out_group:
	iommu_group_put(group);
	return ret;
}

static int dsm_run(const char *bdf, const char *uuid, u64 func,
		   unsigned int iters, u64 *ns)
{
	unsigned int dom, bus, slot, fn, i;
	struct pci_dev *pdev;
	union acpi_object *obj;
	acpi_handle handle;
	guid_t guid;
	u64 start;
	int ret = 0;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4 ||
	    guid_parse(uuid, &guid) || !iters)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENODEV;
	handle = ACPI_HANDLE(&pdev->dev);
	if (!handle) {
		ret = -ENODEV;
		goto out;
	}
	start = ktime_get_ns();
	for (i = 0; i < iters; i++) {
		obj = acpi_evaluate_dsm(handle, &guid, 0, func, NULL);
		if (!obj) {
			ret = -EIO;
			break;
		}
		ACPI_FREE(obj);
	}
	*ns = div_u64(ktime_get_ns() - start, max(i, 1U));
out:
	pci_dev_put(pdev);
	return ret;
}

static int fault_run(const char *bdf, u64 iova, const char *dir)
{
	unsigned int dom, bus, slot, fn;
	struct iommu_domain *domain;
	struct pci_dev *pdev;
	int flags;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4 ||
	    (strcmp(dir, "r") && strcmp(dir, "w")))
		return -EINVAL;
	flags = dir[0] == 'w' ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ;
	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENODEV;
	domain = iommu_get_domain_for_dev(&pdev->dev);
	/* The result is the handler's: -ENOSYS from none and from ours. */
	if (domain)
		report_iommu_fault(domain, &pdev->dev, iova, flags);
	pci_dev_put(pdev);
	return domain ? 0 : -ENOENT;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	bool is_floor = file->private_data == &floor_ns;
	bool is_fault = file->private_data == &fault_tag;
	char buf[128], a[40], b[40];
	unsigned long long x, y;
	unsigned int iters;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&bench_lock);
	if (is_floor) {
		int group, acct = 0, n;

		n = sscanf(buf, "%d %llx %llu %u %d", &group, &x, &y, &iters,
			   &acct);
		ret = n >= 4 ? floor_run(group, x, y, iters, acct == 1,
					 &floor_ns) : -EINVAL;
	} else if (is_fault) {
		ret = sscanf(buf, "%39s %llx %39s", a, &x, b) == 3 ?
		      fault_run(a, x, b) : -EINVAL;
	} else {
		ret = sscanf(buf, "%39s %39s %llu %u", a, b, &x, &iters) == 4 ?
		      dsm_run(a, b, x, iters, &dsm_ns) : -EINVAL;
	}
	mutex_unlock(&bench_lock);
	return ret ? ret : count;
}

static ssize_t bench_read(struct file *file, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	bool is_floor = file->private_data == &floor_ns;
	char buf[64];
	int n;

	mutex_lock(&bench_lock);
	n = scnprintf(buf, sizeof(buf), "%s %llu\n",
		      is_floor ? "ns_per_pair" : "ns_per_call",
		      is_floor ? floor_ns : dsm_ns);
	mutex_unlock(&bench_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations bench_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= bench_read,
	.write	= bench_write,
	.llseek	= default_llseek,
};

static int __init bench_init(void)
{
	bench_dir = debugfs_create_dir("vfio_ext_bench", NULL);
	debugfs_create_file("floor", 0600, bench_dir, &floor_ns, &bench_fops);
	debugfs_create_file("dsm", 0600, bench_dir, &dsm_ns, &bench_fops);
	debugfs_create_file("fault", 0200, bench_dir, &fault_tag, &bench_fops);
	return 0;
}
module_init(bench_init);

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
}
module_exit(bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-ext benchmark floors (pin/map/unmap/unpin, _DSM) and fault reports for tests");
