/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfio-ext: a small C library over VFIO and the vfio-ext uAPI.
 *
 * Errors: every function returning int returns 0 (or a documented
 * non-negative value) on success and a negative errno on failure; errno is
 * not used to report errors.  The errno of a failed system call is
 * returned as it is, never replaced by a vaguer one; the documented
 * errnos are those the library itself decides.  The library never prints
 * and never exits.
 *
 * Structs that grow: what the library allocates is opaque (read it with
 * getters, free it with the matching *_free()).  A struct the caller
 * passes in carries its size as its first member (struct_size, set to
 * sizeof() of the struct as the caller's header declares it): the library
 * reads no byte past it, takes fields the caller's struct lacks as zero,
 * refuses a size below the struct's first version (-EINVAL) and bytes it
 * does not know that are not zero (-E2BIG: the caller asks for something
 * this library cannot do), as the kernel's copy_struct_from_user() does.
 * In an array of such structs the first element's struct_size is the
 * stride, and every element must repeat it; an array of uAPI entries
 * without a size of their own comes with the caller's sizeof() of an
 * entry as a parameter (vfioext_dma_batch()).  VFIO's own argsz-first
 * structs (struct vfio_device_info, ...) are passed through with the
 * caller's argsz: the library fills no byte past it.
 *
 * Nothing is cut short: a string or list that does not fit the caller's
 * buffer is an error (-ENOSPC, -ENAMETOOLONG, -E2BIG as documented per
 * function) or is returned whole in memory the library allocates.
 *
 * Thread safety: the library has no global state.  Objects are immutable
 * after they are opened, so any function may be called on the same object
 * from several threads at once, except *_close() and *_free(), which must
 * not race with other use of the object they release.  Timed reads return
 * by their timeout also when several threads read the same channel.
 * Read-modify-write helpers (vfioext_pci_set_bus_master()) are not atomic
 * against other writers of the same register.
 *
 * Each section of this header is implemented by the one file of lib/ its
 * title names; vfioext.c holds vfioext_version() and the helpers the
 * files share (internal.h).
 */
#ifndef VFIOEXT_H
#define VFIOEXT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>
#include <linux/vfio_ext.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VFIOEXT_EXPORT __attribute__((visibility("default")))
#else
#define VFIOEXT_EXPORT
#endif

/* ------------------------------------------------------------------ */
/* The library (vfioext.c)                                            */
/* ------------------------------------------------------------------ */

/** Version of this library, "MAJOR.MINOR.PATCH". */
VFIOEXT_EXPORT const char *vfioext_version(void);

/* ------------------------------------------------------------------ */
/* PCI devices in sysfs, host administration (vfioext_pci.c)          */
/* ------------------------------------------------------------------ */

/**
 * VFIOEXT_BDF_LEN - room for a canonical PCI address plus NUL
 *
 * Domains have at least 4 and up to 8 hex digits (VMD domains start at
 * 10000): "dddd[dddd]:bb:dd.f".
 */
#define VFIOEXT_BDF_LEN 18

/**
 * vfioext_bdf_canon() - validate and canonicalise a PCI address
 * @in: "dddd:bb:dd.f" (domain of 1 to 8 digits) or "bb:dd.f" (domain 0)
 * @out: receives the canonical lower-case form, domain zero-padded to 4
 *
 * Return: 0, or -EINVAL if @in is not a PCI address.
 */
VFIOEXT_EXPORT int vfioext_bdf_canon(const char *in, char out[VFIOEXT_BDF_LEN]);

/**
 * vfioext_pci_find() - find the @n-th PCI device with the given IDs
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @n: 0 for the first match (in address order), 1 for the second, ...
 * @out: receives the canonical address
 *
 * Return: 0, -ENODEV if there is no such device, or -errno from sysfs.
 */
VFIOEXT_EXPORT int vfioext_pci_find(uint16_t vendor, uint16_t device,
				    unsigned int n, char out[VFIOEXT_BDF_LEN]);

/**
 * vfioext_pci_iommu_group() - IOMMU group number of a PCI device
 * @bdf: a PCI address
 * Return: the group number (>= 0), -ENODEV if the device does not exist,
 * -ENOENT if it has no IOMMU group.
 */
VFIOEXT_EXPORT int vfioext_pci_iommu_group(const char *bdf);

/**
 * vfioext_pci_driver() - name of the driver a PCI device is bound to
 * @bdf: a PCI address
 * @buf: receives the name, or "" when the device has no driver
 * @len: size of @buf
 * Return: 0, -ENODEV, -EINVAL for a bad address, -ENAMETOOLONG.
 */
VFIOEXT_EXPORT int vfioext_pci_driver(const char *bdf, char *buf, size_t len);

/**
 * vfioext_pci_bind() - bind a PCI device to a driver through driver_override
 * @bdf: a PCI address
 * @driver: e.g. VFIO_EXT_PCI_DRIVER_NAME or "vfio-pci"
 *
 * Sets driver_override, unbinds the current driver if it is another one and
 * asks the PCI core to probe.  Idempotent.
 * Return: 0 once the device is bound to @driver; -EINVAL for a bad address
 * or driver name; -ENODEV if the device does not exist; -ENOENT if @driver
 * is not loaded; -EBUSY if the device ends up bound elsewhere or unbound
 * (the driver did not take it); other negative errnos from sysfs (e.g.
 * -EINVAL when the driver's probe refused the device).
 */
VFIOEXT_EXPORT int vfioext_pci_bind(const char *bdf, const char *driver);

/**
 * vfioext_pci_unbind() - unbind a PCI device and clear driver_override
 * @bdf: a PCI address
 *
 * Blocks while a VFIO user holds the device open (the driver asks the user
 * to release it through the VFIO request IRQ).
 * Return: 0, -ENODEV, or a negative errno from sysfs.
 */
VFIOEXT_EXPORT int vfioext_pci_unbind(const char *bdf);

/* ------------------------------------------------------------------ */
/* Containers (vfioext_container.c)                                   */
/* ------------------------------------------------------------------ */

struct vfioext_container;

/**
 * vfioext_container_open() - open /dev/vfio/vfio and check its API version
 * @out: receives the container; close it with vfioext_container_close()
 * Return: 0; -ENOENT without VFIO; -EPROTO if the API version is not
 * VFIO_API_VERSION; -ENOMEM; other -errno of open() or
 * VFIO_GET_API_VERSION, unchanged.
 */
VFIOEXT_EXPORT int vfioext_container_open(struct vfioext_container **out);
/** vfioext_container_close() - close a container (NULL is ignored) */
VFIOEXT_EXPORT void vfioext_container_close(struct vfioext_container *c);
/** vfioext_container_fd() - the container's file descriptor */
VFIOEXT_EXPORT int vfioext_container_fd(const struct vfioext_container *c);

/**
 * vfioext_container_set_iommu() - select the IOMMU backend
 * @c: the container
 * @type: e.g. VFIO_TYPE1v2_IOMMU; at least one group must be attached
 * Return: 0, -ENODEV if the backend is not available, or the -errno of
 * VFIO_CHECK_EXTENSION or VFIO_SET_IOMMU, unchanged.
 */
VFIOEXT_EXPORT int vfioext_container_set_iommu(struct vfioext_container *c,
					       unsigned long type);

struct vfioext_iommu_info;

/**
 * vfioext_iommu_get_info() - VFIO_IOMMU_GET_INFO with its capabilities
 * @c: the container, its IOMMU backend selected
 * @out: receives what the backend offers (opaque: read it with the
 *	 vfioext_iommu_info_*() getters; free it with
 *	 vfioext_iommu_info_free()); NULL on failure
 *
 * Every IOVA range the kernel reports is returned, however many.
 * Return: 0; -EINVAL; -ENOMEM; -E2BIG if the kernel asks for more than
 * 1 MiB of info; -EIO if the capability chain is malformed; other -errno
 * of the ioctl, unchanged.
 */
VFIOEXT_EXPORT int vfioext_iommu_get_info(struct vfioext_container *c,
					  struct vfioext_iommu_info **out);
/** vfioext_iommu_info_free() - free an IOMMU description (NULL ignored) */
VFIOEXT_EXPORT void vfioext_iommu_info_free(struct vfioext_iommu_info *info);
/**
 * vfioext_iommu_info_pgsizes() - bitmap of supported page sizes
 * @info: from vfioext_iommu_get_info()
 * Return: the bitmap (the lowest bit set is the mapping alignment), 0 if
 * the backend reports none or @info is NULL.
 */
VFIOEXT_EXPORT uint64_t
vfioext_iommu_info_pgsizes(const struct vfioext_iommu_info *info);
/**
 * vfioext_iommu_info_dma_avail() - number of further mappings allowed
 * @info: from vfioext_iommu_get_info()
 * Return: the number, UINT32_MAX if the backend reports no limit, 0 if
 * @info is NULL.
 */
VFIOEXT_EXPORT uint32_t
vfioext_iommu_info_dma_avail(const struct vfioext_iommu_info *info);
/**
 * vfioext_iommu_info_nr_ranges() - number of usable IOVA ranges
 * @info: from vfioext_iommu_get_info()
 * Return: the number (0 when the backend reports none, or @info is NULL).
 */
VFIOEXT_EXPORT size_t
vfioext_iommu_info_nr_ranges(const struct vfioext_iommu_info *info);
/**
 * vfioext_iommu_info_range() - one usable IOVA range, in kernel order
 * @info: from vfioext_iommu_get_info()
 * @i: the range, below vfioext_iommu_info_nr_ranges()
 * @start: receives its first address
 * @end: receives its last address (inclusive)
 * Return: 0; -ERANGE for @i out of range; -EINVAL for a NULL argument.
 */
VFIOEXT_EXPORT int vfioext_iommu_info_range(const struct vfioext_iommu_info *info,
					    size_t i, uint64_t *start,
					    uint64_t *end);

/**
 * vfioext_dma_map() - map user memory for device DMA
 * @c: the container
 * @vaddr: page-aligned user address
 * @iova: the device address it gets, aligned likewise
 * @size: bytes, aligned likewise
 * @flags: VFIO_DMA_MAP_FLAG_READ and/or VFIO_DMA_MAP_FLAG_WRITE
 * Return: 0; -EINVAL for misaligned or wrapping ranges; -EEXIST if the
 * range overlaps a mapping; -ENOSPC when out of mappings; -ENOMEM when the
 * locked-memory limit is reached; other -errno.
 */
VFIOEXT_EXPORT int vfioext_dma_map(struct vfioext_container *c, void *vaddr,
				   uint64_t iova, uint64_t size,
				   uint32_t flags);

/**
 * vfioext_dma_unmap() - remove mappings
 * @c: the container
 * @iova: start of the range
 * @size: its length in bytes
 * Return: bytes unmapped (>= 0) or -errno.  Type1v2 requires the range
 * to cover whole mappings (-EINVAL otherwise).
 */
VFIOEXT_EXPORT int64_t vfioext_dma_unmap(struct vfioext_container *c,
					 uint64_t iova, uint64_t size);

/* ------------------------------------------------------------------ */
/* Groups (vfioext_group.c)                                           */
/* ------------------------------------------------------------------ */

struct vfioext_group;

/**
 * vfioext_group_open() - open /dev/vfio/@group and attach it to @c
 * @c: the container
 * @group: the IOMMU group number
 * @out: receives the group; close it with vfioext_group_close()
 * Return: 0; -ENOENT if no such VFIO group; -EPERM if the group is not
 * viable (a device in it is bound to a non-VFIO driver); -EBUSY if it is
 * already open elsewhere; other -errno.
 */
VFIOEXT_EXPORT int vfioext_group_open(struct vfioext_container *c, int group,
				      struct vfioext_group **out);
/** vfioext_group_close() - detach and close a group (NULL is ignored) */
VFIOEXT_EXPORT void vfioext_group_close(struct vfioext_group *g);
/** vfioext_group_fd() - the group's file descriptor */
VFIOEXT_EXPORT int vfioext_group_fd(const struct vfioext_group *g);

/* ------------------------------------------------------------------ */
/* Devices (vfioext_device.c)                                         */
/* ------------------------------------------------------------------ */

struct vfioext_device;

/** vfioext_device_open() - get the device fd for @bdf from its group */
VFIOEXT_EXPORT int vfioext_device_open(struct vfioext_group *g, const char *bdf,
				       struct vfioext_device **out);
/** vfioext_device_close() - close a device (NULL is ignored) */
VFIOEXT_EXPORT void vfioext_device_close(struct vfioext_device *d);
/** vfioext_device_fd() - the device's file descriptor */
VFIOEXT_EXPORT int vfioext_device_fd(const struct vfioext_device *d);

/**
 * vfioext_open_device() - container, group and device for @bdf in one call
 * @bdf: the device's PCI address
 * @iommu_type: e.g. VFIO_TYPE1v2_IOMMU
 * @c: receives the container
 * @g: receives the group
 * @d: receives the device; close the three in reverse order
 *
 * Opens a new container, attaches the device's IOMMU group, selects
 * @iommu_type and opens the device.  On failure nothing stays open.
 * Return: 0 or the first failing step's errno (see the functions above).
 */
VFIOEXT_EXPORT int vfioext_open_device(const char *bdf,
				       unsigned long iommu_type,
				       struct vfioext_container **c,
				       struct vfioext_group **g,
				       struct vfioext_device **d);

/**
 * vfioext_device_get_info() - VFIO_DEVICE_GET_INFO
 * @d: the device
 * @info: @info->argsz set by the caller (see "Structs that grow"):
 *	  sizeof(*@info) for the fixed part; more to get the capability
 *	  chain as well
 * Return: 0 (@info->argsz above what was passed: capabilities exist that
 * were not asked for); -EINVAL for argsz below 16; -ENOSPC when room was
 * given for capabilities but they need more (@info->argsz is what they
 * need, the fixed part is filled); other -errno of the ioctl.
 */
VFIOEXT_EXPORT int vfioext_device_get_info(struct vfioext_device *d,
					   struct vfio_device_info *info);
/** vfioext_device_reset() - VFIO_DEVICE_RESET (-EINVAL: no reset method) */
VFIOEXT_EXPORT int vfioext_device_reset(struct vfioext_device *d);

/**
 * vfioext_pci_set_bus_master() - set or clear Bus Master Enable
 * @d: the device
 * @enable: non-zero sets the bit, 0 clears it
 *
 * A device must be bus master before it can DMA.
 */
VFIOEXT_EXPORT int vfioext_pci_set_bus_master(struct vfioext_device *d,
					      int enable);

/* ------------------------------------------------------------------ */
/* Regions (vfioext_region.c)                                         */
/* ------------------------------------------------------------------ */

/**
 * vfioext_region_get_info() - VFIO_DEVICE_GET_REGION_INFO
 * @d: the device
 * @index: the region (VFIO_PCI_*_REGION_INDEX)
 * @info: @info->argsz set by the caller (see "Structs that grow"):
 *	  sizeof(*@info) for the fixed part; more to get the capability
 *	  chain (sparse mmap areas, region type) as well
 * Return: 0 (@info->argsz above what was passed: capabilities exist that
 * were not asked for); -EINVAL for argsz below 32 or a bad @index;
 * -ENOSPC when room was given for capabilities but they need more
 * (@info->argsz is what they need, the fixed part is filled); other
 * -errno of the ioctl.
 */
VFIOEXT_EXPORT int vfioext_region_get_info(struct vfioext_device *d,
					   uint32_t index,
					   struct vfio_region_info *info);

/**
 * vfioext_region_read() - read @len bytes at @off of region @index
 * @d: the device
 * @index: the region (VFIO_PCI_*_REGION_INDEX)
 * @off: offset in the region
 * @buf: receives the bytes
 * @len: how many
 * Return: 0 when all bytes were read; -EINVAL if the range is outside the
 * region; -EACCES if the region is not readable; -EIO on a short access;
 * other -errno.
 */
VFIOEXT_EXPORT int vfioext_region_read(struct vfioext_device *d, uint32_t index,
				       uint64_t off, void *buf, size_t len);
/** vfioext_region_write() - write counterpart of vfioext_region_read() */
VFIOEXT_EXPORT int vfioext_region_write(struct vfioext_device *d,
					uint32_t index, uint64_t off,
					const void *buf, size_t len);

/**
 * vfioext_region_mmap() - map a whole mmap-capable region
 * @d: the device
 * @index: the region (VFIO_PCI_*_REGION_INDEX)
 * @addr: receives the mapping; release it with munmap(*addr, *len)
 * @len: receives its length
 * Return: 0; -EINVAL if the region cannot be mmapped; other -errno.
 */
VFIOEXT_EXPORT int vfioext_region_mmap(struct vfioext_device *d, uint32_t index,
				       void **addr, size_t *len);

/* ------------------------------------------------------------------ */
/* Interrupts (vfioext_irq.c)                                         */
/* ------------------------------------------------------------------ */

/**
 * vfioext_irq_get_info() - VFIO_DEVICE_GET_IRQ_INFO
 * @d: the device
 * @index: the IRQ index (VFIO_PCI_*_IRQ_INDEX)
 * @info: @info->argsz set by the caller to sizeof(*@info) (see "Structs
 *	  that grow")
 * Return: 0; -EINVAL for argsz below 16 or a bad @index; other -errno of
 * the ioctl.
 */
VFIOEXT_EXPORT int vfioext_irq_get_info(struct vfioext_device *d,
					uint32_t index,
					struct vfio_irq_info *info);

/**
 * vfioext_irq_set_eventfds() - route interrupts of @index to eventfds
 * @d: the device
 * @index: the IRQ index (VFIO_PCI_*_IRQ_INDEX)
 * @start: the first vector
 * @count: how many vectors
 * @fds: @count eventfds for vectors @start..@start+@count-1; -1 unassigns
 *       that vector (its trigger is torn down); @count 0 disables the
 *       whole index
 * Return: 0; -EINVAL (also for @count above 2048); -ENOMEM; other -errno.
 */
VFIOEXT_EXPORT int vfioext_irq_set_eventfds(struct vfioext_device *d,
					    uint32_t index, uint32_t start,
					    uint32_t count, const int *fds);

/* ------------------------------------------------------------------ */
/* pviommu and IOVA allocation (vfioext_iova.c)                       */
/* ------------------------------------------------------------------ */

/**
 * vfioext_dma_batch() - VFIO_EXT_PVIOMMU_BATCH: many maps/unmaps at once
 * @c: the container
 * @ops: @n entries, run in order (UNMAP entries get their size replaced
 *       by the bytes unmapped)
 * @op_size: sizeof(struct vfio_ext_pviommu_op) as the caller's header
 *	     declares it: the stride of @ops (see "Structs that grow"; the
 *	     kernel checks an entry's bytes it does not know are zero)
 * @n: the number of entries in @ops
 * @done: receives how many entries completed (may be NULL)
 *
 * For containers on VFIO_EXT_PVIOMMU_IOMMU.
 * Return: 0, or the errno of the entry at *@done (earlier entries stay
 * done); -EINVAL for @op_size below VFIO_EXT_PVIOMMU_OP_SIZE_VER0; -E2BIG
 * above VFIO_EXT_PVIOMMU_BATCH_MAX entries, for @op_size above the page
 * size or an entry with non-zero bytes the kernel does not know (nothing
 * ran); -ENOTTY on type1.
 */
VFIOEXT_EXPORT int vfioext_dma_batch(struct vfioext_container *c,
				     struct vfio_ext_pviommu_op *ops,
				     size_t op_size, uint32_t n,
				     uint32_t *done);

/**
 * vfioext_pviommu_sids() - stream IDs of the device in IOMMU group @group
 * @c: the container
 * @group: an IOMMU group attached to it
 * @nr: receives 1 for a single-device group (an endpoint), 0 otherwise
 * Return: 0; -ENOENT if the group is not in @c; -ENOTTY on type1.
 */
VFIOEXT_EXPORT int vfioext_pviommu_sids(struct vfioext_container *c,
					uint32_t group, uint32_t *nr);
/**
 * vfioext_pviommu_domain_alloc() - a new guest domain; its id in *@id
 * @c: the container
 * @id: receives the domain id
 * Return: 0; -ENODEV without a group in @c; -ENOSPC; -ENOMEM.
 */
VFIOEXT_EXPORT int vfioext_pviommu_domain_alloc(struct vfioext_container *c,
						uint32_t *id);
/**
 * vfioext_pviommu_domain_free() - free guest domain @id and its mappings
 * @c: the container
 * @id: the domain
 * Return: 0; -ENOENT; -EBUSY while an endpoint is attached to it.
 */
VFIOEXT_EXPORT int vfioext_pviommu_domain_free(struct vfioext_container *c,
					       uint32_t id);
/**
 * vfioext_pviommu_attach() - attach an endpoint to a guest domain
 * @c: the container
 * @group: the endpoint's IOMMU group
 * @sid_index: which of its stream IDs (vfioext_pviommu_sids())
 * @vsid: the virtual stream id the guest names it by
 * @domain: the guest domain, 0 for the container's own mappings
 * Return: 0 or the errnos of VFIO_EXT_PVIOMMU_ATTACH.
 */
VFIOEXT_EXPORT int vfioext_pviommu_attach(struct vfioext_container *c,
					  uint32_t group, uint32_t sid_index,
					  uint32_t vsid, uint32_t domain);
/**
 * vfioext_pviommu_guest_limit() - VFIO_EXT_PVIOMMU_LIMITS: read or set
 * the mapping budget of the container's guest domains
 * @c: the container
 * @set: NULL to read only; else the new limit (at most the module
 *       parameter guest_dma_entry_limit when @c was set up)
 * @limit: receives the limit now (may be NULL)
 * @mapped: receives the guest domains' mappings now (may be NULL)
 * Return: 0; -EINVAL above the ceiling; -ENOTTY on type1.
 */
VFIOEXT_EXPORT int vfioext_pviommu_guest_limit(struct vfioext_container *c,
					       const uint32_t *set,
					       uint32_t *limit,
					       uint32_t *mapped);

struct vfioext_iova_allocator;

/**
 * vfioext_iova_allocator_new() - an IOVA allocator over a container's
 * valid ranges (crosvm's alloc_iova/get_iova/release_iova/get_max_addr)
 * @info: from vfioext_iommu_get_info(); its smallest page size is the
 *        minimum alignment; the allocator keeps its own copy of the
 *        ranges, so @info may be freed afterwards
 * @out: receives the allocator; free it with vfioext_iova_allocator_free()
 *
 * The allocator is thread-safe (a mutex inside) and first-fit, O(n) in
 * the number of live allocations.
 * Return: 0; -EINVAL if @info has no page size or no range; -ENOMEM.
 */
VFIOEXT_EXPORT int vfioext_iova_allocator_new(const struct vfioext_iommu_info *info,
					      struct vfioext_iova_allocator **out);
/** vfioext_iova_allocator_free() - free an allocator (NULL is ignored) */
VFIOEXT_EXPORT void vfioext_iova_allocator_free(struct vfioext_iova_allocator *a);
/**
 * vfioext_iova_alloc() - reserve @size bytes of IOVA space
 * @a: the allocator
 * @size: bytes, a multiple of the minimum alignment
 * @align: a power of two, or 0 for the minimum; smaller values are raised
 *         to the minimum
 * @iova: receives the start (the allocation's handle)
 * Return: 0; -EINVAL for a zero or unaligned size or a bad alignment;
 * -ENOSPC when no valid range has room; -ENOMEM.
 */
VFIOEXT_EXPORT int vfioext_iova_alloc(struct vfioext_iova_allocator *a,
				      uint64_t size, uint64_t align,
				      uint64_t *iova);
/**
 * vfioext_iova_get() - the allocation containing @iova
 * @a: the allocator
 * @iova: any address in the allocation
 * @start: receives its start
 * @size: receives its size
 * Return: 0 with *@start and *@size set; -ENOENT if none.
 */
VFIOEXT_EXPORT int vfioext_iova_get(struct vfioext_iova_allocator *a,
				    uint64_t iova, uint64_t *start,
				    uint64_t *size);
/**
 * vfioext_iova_release() - give back the allocation starting at @iova
 * @a: the allocator
 * @iova: the start of the allocation
 * Return: 0, or -ENOENT if no allocation starts there.
 */
VFIOEXT_EXPORT int vfioext_iova_release(struct vfioext_iova_allocator *a,
					uint64_t iova);
/** vfioext_iova_max_addr() - the highest valid IOVA (inclusive) */
VFIOEXT_EXPORT uint64_t vfioext_iova_max_addr(struct vfioext_iova_allocator *a);

/* ------------------------------------------------------------------ */
/* ACPI _DSM of vfio-pci-ext (vfioext_acpi.c)                         */
/* ------------------------------------------------------------------ */

/** Types of ACPI objects a _DSM call can carry. */
enum vfioext_acpi_type {
	VFIOEXT_ACPI_INTEGER = VFIO_EXT_ACPI_DSM_TYPE_INTEGER,
	VFIOEXT_ACPI_STRING = VFIO_EXT_ACPI_DSM_TYPE_STRING,
	VFIOEXT_ACPI_BUFFER = VFIO_EXT_ACPI_DSM_TYPE_BUFFER,
	VFIOEXT_ACPI_PACKAGE = VFIO_EXT_ACPI_DSM_TYPE_PACKAGE,
};

/*
 * struct vfioext_acpi_obj - an ACPI object (argument or result), opaque:
 * build arguments with the constructors, read results with the getters,
 * release either with vfioext_acpi_free().  A Package holds Integers,
 * Strings and Buffers, never a Package (the args layout cannot nest).
 */
struct vfioext_acpi_obj;

/**
 * vfioext_acpi_integer() - new Integer object
 * @v: its value
 * @out: receives the object
 * Return: 0; -EINVAL for a NULL @out; -ENOMEM.
 */
VFIOEXT_EXPORT int vfioext_acpi_integer(uint64_t v,
					struct vfioext_acpi_obj **out);
/**
 * vfioext_acpi_string() - new String object, a copy of @s
 * @s: NUL-terminated text
 * @out: receives the object
 * Return: 0; -EINVAL for a NULL argument; -ENOMEM.
 */
VFIOEXT_EXPORT int vfioext_acpi_string(const char *s,
				       struct vfioext_acpi_obj **out);
/**
 * vfioext_acpi_buffer() - new Buffer object, a copy of @len bytes
 * @data: the bytes (may be NULL when @len is 0)
 * @len: how many
 * @out: receives the object
 * Return: 0; -EINVAL for a NULL argument; -ENOMEM.
 */
VFIOEXT_EXPORT int vfioext_acpi_buffer(const void *data, size_t len,
				       struct vfioext_acpi_obj **out);
/**
 * vfioext_acpi_package() - new Package of @count empty slots
 * @count: the number of elements, at most VFIO_EXT_ACPI_DSM_MAX_ELEMENTS
 * @out: receives the object
 *
 * Fill every slot with vfioext_acpi_package_set() before use.
 * Return: 0; -EINVAL for a NULL @out; -E2BIG above
 * VFIO_EXT_ACPI_DSM_MAX_ELEMENTS; -ENOMEM.
 */
VFIOEXT_EXPORT int vfioext_acpi_package(size_t count,
					struct vfioext_acpi_obj **out);
/**
 * vfioext_acpi_package_set() - put @elem into slot @i of @pkg
 * @pkg: a Package
 * @i: the slot, below its count
 * @elem: the element (not a Package)
 *
 * Takes ownership of @elem, also on failure (it is freed then), and frees
 * what the slot held.
 * Return: 0; -EINVAL if @pkg is not a Package, @i is out of range or
 * @elem is NULL or a Package (the layout cannot nest Packages).
 */
VFIOEXT_EXPORT int vfioext_acpi_package_set(struct vfioext_acpi_obj *pkg,
					    size_t i,
					    struct vfioext_acpi_obj *elem);
/** vfioext_acpi_free() - free an object and its elements (NULL ignored) */
VFIOEXT_EXPORT void vfioext_acpi_free(struct vfioext_acpi_obj *obj);

/**
 * vfioext_acpi_get_type() - what an object is
 * @obj: the object
 * Return: an enum vfioext_acpi_type; -EINVAL for NULL.
 */
VFIOEXT_EXPORT int vfioext_acpi_get_type(const struct vfioext_acpi_obj *obj);
/**
 * vfioext_acpi_get_integer() - the value of an Integer
 * @obj: the object
 * @v: receives the value
 * Return: 0; -EINVAL if @obj is not an Integer or an argument is NULL.
 */
VFIOEXT_EXPORT int vfioext_acpi_get_integer(const struct vfioext_acpi_obj *obj,
					    uint64_t *v);
/**
 * vfioext_acpi_get_string() - the text of a String
 * @obj: the object
 * @len: receives its length without the NUL (may be NULL)
 * Return: the NUL-terminated text, owned by @obj; NULL if @obj is not a
 * String.
 */
VFIOEXT_EXPORT const char *
vfioext_acpi_get_string(const struct vfioext_acpi_obj *obj, size_t *len);
/**
 * vfioext_acpi_get_buffer() - the bytes of a Buffer
 * @obj: the object
 * @len: receives their number (may be NULL)
 * Return: the bytes, owned by @obj (not NULL for an empty Buffer); NULL
 * if @obj is not a Buffer.
 */
VFIOEXT_EXPORT const void *
vfioext_acpi_get_buffer(const struct vfioext_acpi_obj *obj, size_t *len);
/**
 * vfioext_acpi_package_count() - the number of elements of a Package
 * @pkg: the object
 * Return: the count; 0 if @pkg is not a Package.
 */
VFIOEXT_EXPORT size_t
vfioext_acpi_package_count(const struct vfioext_acpi_obj *pkg);
/**
 * vfioext_acpi_package_get() - element @i of a Package
 * @pkg: the object
 * @i: the slot, below vfioext_acpi_package_count()
 * Return: the element, owned by @pkg; NULL if @pkg is not a Package, @i
 * is out of range or the slot is empty.
 */
VFIOEXT_EXPORT const struct vfioext_acpi_obj *
vfioext_acpi_package_get(const struct vfioext_acpi_obj *pkg, size_t i);

/**
 * vfioext_uuid_parse() - parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
 * @s: the text
 * @out: the 16 bytes in ACPI ToUUID() order (first three fields little
 *       endian), as the _DSM layout wants them
 * Return: 0 or -EINVAL.
 */
VFIOEXT_EXPORT int vfioext_uuid_parse(const char *s, uint8_t out[16]);
/** vfioext_uuid_format() - the inverse of vfioext_uuid_parse() */
VFIOEXT_EXPORT void vfioext_uuid_format(const uint8_t uuid[16],
					char out[37]);

/**
 * vfioext_dsm_encode_args() - write a call in the _DSM args layout
 * @uuid: Arg0
 * @rev: Arg1
 * @func: Arg2
 * @arg3: Arg3 or NULL; Packages are written with padded elements
 * @buf: destination
 * @len: its size
 * @used: receives the bytes written (may be NULL)
 * Return: 0; -ENOSPC if @len is too small; -EINVAL for an object the
 * layout cannot carry (nested Package, unfilled slot, bad type); -E2BIG
 * for a Package above VFIO_EXT_ACPI_DSM_MAX_ELEMENTS.
 */
VFIOEXT_EXPORT int vfioext_dsm_encode_args(const uint8_t uuid[16],
					   uint64_t rev, uint64_t func,
					   const struct vfioext_acpi_obj *arg3,
					   void *buf, size_t len,
					   size_t *used);
/**
 * vfioext_dsm_decode_result() - read the result out of the args layout
 * @buf: the args after the call
 * @len: their size
 * @result: receives a new object tree; free it with vfioext_acpi_free()
 * Return: 0; -EINVAL if the result is malformed (a size or count past
 * @len, a String without its NUL, a nested Package, an unknown type);
 * -E2BIG for a Package above VFIO_EXT_ACPI_DSM_MAX_ELEMENTS; -ENOMEM.
 */
VFIOEXT_EXPORT int vfioext_dsm_decode_result(const void *buf, size_t len,
					     struct vfioext_acpi_obj **result);

/**
 * vfioext_acpi_dsm() - evaluate the device's _DSM
 * @d: a device bound to vfio-pci-ext
 * @uuid: Arg0 (see vfioext_uuid_parse())
 * @rev: Arg1
 * @func: Arg2
 * @arg3: Arg3 or NULL
 * @result: receives the result tree; free it with vfioext_acpi_free()
 *
 * Uses VFIO_EXT_DEVICE_ACPI_DSM with a 64 KiB args buffer, the largest
 * the kernel accepts, and runs the method once, never again: -ENOSPC
 * means the result is larger than that and cannot be carried.
 * Return: 0 or a negative errno: those of vfioext_dsm_encode_args(),
 * vfioext_dsm_decode_result() and of the ioctl (<linux/vfio_ext.h>:
 * -ENODEV no ACPI companion, -ENOENT no _DSM, -EACCES denied by the host
 * policy, -EIO firmware failure, -ENOSPC, -EOPNOTSUPP, -ENOTTY when the
 * device is not bound to vfio-pci-ext).
 */
VFIOEXT_EXPORT int vfioext_acpi_dsm(struct vfioext_device *d,
				    const uint8_t uuid[16], uint64_t rev,
				    uint64_t func,
				    const struct vfioext_acpi_obj *arg3,
				    struct vfioext_acpi_obj **result);

/**
 * vfioext_acpi_dsm_raw() - pass a crosvm args blob through unchanged
 * @d: a device bound to vfio-pci-ext
 * @args: @len bytes in the _DSM args layout; the result is written back
 * @len: VFIO_EXT_ACPI_DSM_ARGS_MIN .. VFIO_EXT_ACPI_DSM_ARGS_MAX
 * @needed: on -ENOSPC, receives the args length the result needs (above
 *          VFIO_EXT_ACPI_DSM_ARGS_MAX: it can never be carried; 0: a
 *          vfio-pci-ext too old to say); may be NULL
 *
 * The method runs once: on -ENOSPC it has run, and the library does not
 * run it again; calling again with @needed bytes runs it a second time.
 * Return: 0 or a negative errno as for VFIO_EXT_DEVICE_ACPI_DSM.
 */
VFIOEXT_EXPORT int vfioext_acpi_dsm_raw(struct vfioext_device *d, void *args,
					size_t len, size_t *needed);

/* ------------------------------------------------------------------ */
/* ACPI notifications of vfio-pci-ext (vfioext_acpi.c)                */
/* ------------------------------------------------------------------ */

/**
 * vfioext_acpi_notify_enable() - firmware notifications to an eventfd
 * @d: a device bound to vfio-pci-ext
 * @eventfd: each Notify(device, value) adds value to its counter (values
 *           coalesce; use the channel for every value); replaces a
 *           previous eventfd
 * Return: 0; -EINVAL if the device has no ACPI companion or @eventfd is
 * not an eventfd; -EBADF; -ENOTTY when not bound to vfio-pci-ext.
 */
VFIOEXT_EXPORT int vfioext_acpi_notify_enable(struct vfioext_device *d,
					      int eventfd);
/**
 * vfioext_acpi_notify_disable() - stop notifications to the eventfd
 * @d: the device
 * Return: 0; -EINVAL if they were not enabled.
 */
VFIOEXT_EXPORT int vfioext_acpi_notify_disable(struct vfioext_device *d);
/**
 * vfioext_acpi_notify_test() - loop @value (0..255) back as if notified
 * @d: the device
 * @value: the notification value
 * Return: 0; -EINVAL for a value above 255; -EAGAIN while netlink event
 * listeners exist and the device's loopback credit is spent (retry later).
 */
VFIOEXT_EXPORT int vfioext_acpi_notify_test(struct vfioext_device *d,
					    uint32_t value);
/**
 * vfioext_acpi_notify_open() - open the lossless notification channel
 * @d: a device bound to vfio-pci-ext
 * @flags: none defined yet: 0
 *
 * The channel is non-blocking (O_NONBLOCK) and close-on-exec: wait for
 * records with vfioext_acpi_notify_read() or poll().
 * Return: a file descriptor (close it with close()); -EINVAL for unknown
 * @flags; -ENODEV without an ACPI companion; -EBUSY if a channel is
 * already open on the device; other -errno of the ioctl.
 */
VFIOEXT_EXPORT int vfioext_acpi_notify_open(struct vfioext_device *d,
					    uint32_t flags);
/**
 * vfioext_acpi_notify_read() - read records from a channel
 * @fd: from vfioext_acpi_notify_open() (a non-blocking channel)
 * @recs: room for @max records
 * @max: how many records fit in @recs
 * @timeout_ms: how long to wait for the first record; -1 forever, 0 not
 *		at all
 *
 * Several threads may read one channel at once: each record goes to one
 * of them, and each returns by its own timeout (a record another reader
 * took only makes it wait for what is left of @timeout_ms).
 * Return: the number of records read (>= 1); 0 once the device was closed
 * and every record read; -ETIMEDOUT; -EINTR; -EINVAL for a bad argument
 * or a blocking @fd (whose read could outlast the timeout); other -errno.
 */
VFIOEXT_EXPORT int vfioext_acpi_notify_read(int fd,
					    struct vfio_ext_acpi_notify_record *recs,
					    size_t max, int timeout_ms);

/* ------------------------------------------------------------------ */
/* The "vfio-ext" generic netlink family (vfioext_nl.c)               */
/* ------------------------------------------------------------------ */

/*
 * A struct vfioext_nl handle talks to the family: requests are built with
 * libnl-3, replies and events are received by the library itself (so an
 * errno is never remapped).
 *
 * Threads: every function taking a handle may be called from several
 * threads at once on the same handle, except vfioext_nl_close(), which
 * the caller must not race with any other use of the handle.
 *
 * - Requests (dev, pviommu and dsm-policy functions) share the handle's
 *   request socket and are serialised by a lock held from the send to the
 *   last reply: one request at a time per handle, so use one handle per
 *   thread to run requests in parallel.  A request that fails midway (a
 *   reply it cannot decode, out of memory, a socket error) leaves the
 *   handle usable: the rest of its replies is read and dropped, or, when
 *   the socket itself failed, the next request gets a new socket.
 * - Each request reports how it ended in the caller's optional struct
 *   vfioext_nl_status (the kernel's extended ACK message of that call,
 *   whichever thread made others), never in the handle.
 * - Events: a handle from vfioext_nl_events_open() also has a socket of
 *   its own subscribed to the events group.  vfioext_nl_event_read()
 *   takes no lock at all (each event is one datagram, received whole by
 *   one call), so a thread blocked in it never delays a request or
 *   another reader on the same handle; requests on such a handle work as
 *   on any other, and their replies never mix with events.  Two threads
 *   reading events from one handle each get different events (each event
 *   once), and each returns by its own timeout.
 *
 * Descriptions of devices and containers are opaque objects the library
 * allocates (free them with vfioext_nl_dev_free(), ..._pviommu_free());
 * their contents are copied out into size-first structs (see "Structs
 * that grow"), and every list and string is returned whole.
 */
struct vfioext_nl;

struct vfioext_nl_dev;
struct vfioext_nl_pviommu;

/**
 * struct vfioext_nl_dev_info - what a device description holds
 * (size-first: see "Structs that grow"; vfioext_nl_dev_info())
 * @struct_size: sizeof(struct vfioext_nl_dev_info), set by the caller
 * @vendor: PCI vendor ID
 * @device: PCI device ID
 * @iommu_group: IOMMU group number, -1 if none
 * @name: PCI address
 * @driver: bound driver
 * @acpi_path: full ACPI companion path, "" if none
 * @dsm_policy: the _DSM policy text
 * @nr_regions: VFIO regions (vfioext_nl_dev_region()), every one the
 *	kernel reported
 * @nr_irqs: VFIO IRQ indexes (vfioext_nl_dev_irq()), every one reported
 * @use_known: the reply told how the device is used (@open, @opener_pid,
 *	@kvm_pid, the _DSM and notification counters and states,
 *	@low_power): the requester has CAP_NET_ADMIN; 0 for anyone else, who
 *	gets only what sysfs shows every user, and zeros there
 * @open: a user has it open
 * @opener_pid: that user's pid (0 when closed)
 * @kvm_pid: pid identity of the associated KVM VM, 0 if none
 * @dsm_calls: _DSM evaluations
 * @dsm_denied: _DSM calls denied by the policy
 * @notify_handler: the ACPI notify handler is installed
 * @notify_eventfd: the notification eventfd is set
 * @notify_channel: the notification channel is open
 * @notify_count: notifications forwarded
 * @notify_loopback_refused: loopbacks refused (EAGAIN) for want of the
 *	device's event credit
 * @power_state: enum vfio_ext_pci_power_state
 *	(vfioext_nl_pci_power_state_name())
 * @runtime_pm: enum vfio_ext_runtime_pm (vfioext_nl_runtime_pm_name())
 * @low_power: the user holds it in low power
 *
 * The strings are never NULL and point into the description: they live
 * until vfioext_nl_dev_free().
 */
struct vfioext_nl_dev_info {
	uint32_t struct_size;
	uint32_t vendor;
	uint32_t device;
	int32_t iommu_group;
	const char *name;
	const char *driver;
	const char *acpi_path;
	const char *dsm_policy;
	size_t nr_regions;
	size_t nr_irqs;
	int use_known;
	int open;
	uint32_t opener_pid;
	uint32_t kvm_pid;
	uint64_t dsm_calls;
	uint64_t dsm_denied;
	int notify_handler;
	int notify_eventfd;
	int notify_channel;
	uint64_t notify_count;
	uint64_t notify_loopback_refused;
	uint32_t power_state;
	uint32_t runtime_pm;
	int low_power;
};

/**
 * struct vfioext_nl_region - a VFIO region of a device (size-first)
 * @struct_size: sizeof(struct vfioext_nl_region), set by the caller
 * @index: VFIO region index (BARs 0-5, config 7)
 * @flags: VFIO_REGION_INFO_FLAG_*
 * @size: bytes of the region
 */
struct vfioext_nl_region {
	uint32_t struct_size;
	uint32_t index;
	uint32_t flags;
	uint64_t size;
};

/**
 * struct vfioext_nl_irq - a VFIO IRQ index of a device (size-first)
 * @struct_size: sizeof(struct vfioext_nl_irq), set by the caller
 * @index: VFIO IRQ index
 * @count: vectors
 */
struct vfioext_nl_irq {
	uint32_t struct_size;
	uint32_t index;
	uint32_t count;
};

/**
 * vfioext_nl_dev_info() - what a device description holds
 * @d: a description from vfioext_nl_dev_get() or vfioext_nl_dev_list()
 * @info: filled up to @info->struct_size (its tail beyond what this
 *	  library knows zeroed)
 * Return: 0; -EINVAL @info->struct_size below the first version's.
 */
VFIOEXT_EXPORT int vfioext_nl_dev_info(const struct vfioext_nl_dev *d,
				       struct vfioext_nl_dev_info *info);
/**
 * vfioext_nl_dev_region() - region @i of a device description
 * @d: the description
 * @i: from 0 to its nr_regions - 1
 * @r: filled up to @r->struct_size
 * Return: 0; -ENOENT no such entry; -EINVAL @r->struct_size too small.
 */
VFIOEXT_EXPORT int vfioext_nl_dev_region(const struct vfioext_nl_dev *d,
					 size_t i, struct vfioext_nl_region *r);
/**
 * vfioext_nl_dev_irq() - IRQ index entry @i of a device description
 * @d: the description
 * @i: from 0 to its nr_irqs - 1
 * @q: filled up to @q->struct_size
 * Return: 0; -ENOENT no such entry; -EINVAL @q->struct_size too small.
 */
VFIOEXT_EXPORT int vfioext_nl_dev_irq(const struct vfioext_nl_dev *d,
				      size_t i, struct vfioext_nl_irq *q);

/**
 * struct vfioext_nl_pviommu_info - what a container description holds
 * (size-first; vfioext_nl_pviommu_info())
 * @struct_size: sizeof(struct vfioext_nl_pviommu_info), set by the caller
 * @id: container id
 * @owner_pid: pid of the process that set it up
 * @mappings: mappings in all spaces
 * @def_mappings: mappings of the container's own space
 * @dma_limit: mapping limit
 * @pinned: pages pinned
 * @map_reqs: map requests
 * @unmap_reqs: unmap requests
 * @map_failed: failed map requests
 * @unmap_failed: failed unmap requests
 * @viommu_reqs: requests to the in-kernel virtio-iommu device
 * @viommu_failed: of those, answered with an error status
 * @faults: DMA faults the host IOMMU driver reported in its domains
 * @nr_endpoints: attached groups (vfioext_nl_pviommu_endpoint())
 * @nr_domains: guest domains (vfioext_nl_pviommu_domain())
 */
struct vfioext_nl_pviommu_info {
	uint32_t struct_size;
	uint32_t id;
	uint32_t owner_pid;
	uint32_t mappings;
	uint32_t def_mappings;
	uint32_t dma_limit;
	uint64_t pinned;
	uint64_t map_reqs;
	uint64_t unmap_reqs;
	uint64_t map_failed;
	uint64_t unmap_failed;
	uint64_t viommu_reqs;
	uint64_t viommu_failed;
	uint64_t faults;
	size_t nr_endpoints;
	size_t nr_domains;
};

/**
 * struct vfioext_nl_endpoint - a group attached to a pviommu container
 * (size-first)
 * @struct_size: sizeof(struct vfioext_nl_endpoint), set by the caller
 * @group: IOMMU group number
 * @has_vsid: it is an endpoint with a virtual stream id
 * @vsid: the virtual stream id
 * @domain: guest domain id, 0 for the container's own mappings
 * @dev: its first device ("" if the kernel gave none; lives until
 *	 vfioext_nl_pviommu_free())
 */
struct vfioext_nl_endpoint {
	uint32_t struct_size;
	uint32_t group;
	int has_vsid;
	uint32_t vsid;
	uint32_t domain;
	const char *dev;
};

/**
 * struct vfioext_nl_domain - a pviommu guest domain (size-first)
 * @struct_size: sizeof(struct vfioext_nl_domain), set by the caller
 * @id: domain id
 * @mappings: its mappings
 * @endpoints: endpoints attached to it
 */
struct vfioext_nl_domain {
	uint32_t struct_size;
	uint32_t id;
	uint32_t mappings;
	uint32_t endpoints;
};

/**
 * vfioext_nl_pviommu_info() - what a container description holds
 * @p: a description from vfioext_nl_pviommu_get() or _list()
 * @info: filled up to @info->struct_size
 * Return: 0; -EINVAL @info->struct_size below the first version's.
 */
VFIOEXT_EXPORT int vfioext_nl_pviommu_info(const struct vfioext_nl_pviommu *p,
					   struct vfioext_nl_pviommu_info *info);
/**
 * vfioext_nl_pviommu_endpoint() - attached group @i of a container
 * @p: the description
 * @i: from 0 to its nr_endpoints - 1
 * @e: filled up to @e->struct_size
 * Return: 0; -ENOENT no such entry; -EINVAL @e->struct_size too small.
 */
VFIOEXT_EXPORT int vfioext_nl_pviommu_endpoint(const struct vfioext_nl_pviommu *p,
					       size_t i,
					       struct vfioext_nl_endpoint *e);
/**
 * vfioext_nl_pviommu_domain() - guest domain @i of a container
 * @p: the description
 * @i: from 0 to its nr_domains - 1
 * @d: filled up to @d->struct_size
 * Return: 0; -ENOENT no such entry; -EINVAL @d->struct_size too small.
 */
VFIOEXT_EXPORT int vfioext_nl_pviommu_domain(const struct vfioext_nl_pviommu *p,
					     size_t i,
					     struct vfioext_nl_domain *d);

/**
 * struct vfioext_nl_event - one event of the "events" group (size-first)
 * @struct_size: sizeof(struct vfioext_nl_event), set by the caller
 * @type: enum vfio_ext_event
 * @seq: family-wide sequence number (a gap: events were lost)
 * @timestamp_ns: CLOCK_MONOTONIC
 * @dev: PCI address of the device
 * @value: ACPI notification value (ACPI_NOTIFY)
 * @loopback: injected by the user (ACPI_NOTIFY)
 * @pid: opener (OPEN)
 * @kvm_pid: KVM VM identity (OPEN), 0 if none
 * @low_power: the user holds the device in low power (POWER)
 * @runtime_pm: enum vfio_ext_runtime_pm, ACTIVE or SUSPENDED (POWER)
 * @has_power_state: @power_state is known (POWER; not after a runtime
 *	suspend, whose PCI state the PCI core sets after the event)
 * @power_state: enum vfio_ext_pci_power_state (POWER)
 * @container: pviommu container id (IOMMU_FAULT)
 * @domain: its guest domain id, 0 for its own space (IOMMU_FAULT)
 * @fault_flags: enum vfio_ext_fault (IOMMU_FAULT)
 * @iova: faulting address (IOMMU_FAULT)
 */
struct vfioext_nl_event {
	uint32_t struct_size;
	uint32_t type;
	uint64_t seq;
	uint64_t timestamp_ns;
	char dev[VFIOEXT_BDF_LEN];
	uint32_t value;
	int loopback;
	uint32_t pid;
	uint32_t kvm_pid;
	int low_power;
	uint32_t runtime_pm;
	int has_power_state;
	uint32_t power_state;
	uint32_t container;
	uint32_t domain;
	uint32_t fault_flags;
	uint64_t iova;
};

/**
 * struct vfioext_nl_status - how one request ended, for the caller alone
 * (size-first: see "Structs that grow")
 * @struct_size: sizeof(struct vfioext_nl_status), set by the caller
 * @error: the call's return value (0 or a negative errno)
 * @flags: VFIOEXT_NL_OUTCOME_UNKNOWN: the request was sent but its answer
 *	was lost (-ENOBUFS: the socket's receive buffer overran), so whether
 *	the kernel applied a change (vfioext_nl_dsm_policy_set()) is unknown:
 *	read the state back before retrying
 * @msg_len: length of the kernel's extended ACK message; when it is
 *	sizeof(@msg) or more, @msg holds its beginning (never silently cut)
 * @msg: the message, NUL-terminated; "" when the kernel gave none
 */
struct vfioext_nl_status {
	uint32_t struct_size;
	int32_t error;
	uint32_t flags;
	uint32_t msg_len;
	char msg[512];
};

#define VFIOEXT_NL_OUTCOME_UNKNOWN	0x1u

/**
 * vfioext_nl_open() - connect to the vfio-ext family
 * @out: receives the handle; close it with vfioext_nl_close()
 * Return: 0; -ENOENT when the family is not registered (vfio-pci-ext not
 * loaded); -ENOMEM; other -errno.
 */
VFIOEXT_EXPORT int vfioext_nl_open(struct vfioext_nl **out);
/** vfioext_nl_close() - close a handle (NULL is ignored) */
VFIOEXT_EXPORT void vfioext_nl_close(struct vfioext_nl *nl);

/**
 * vfioext_nl_dev_get() - describe one device
 * @nl: a handle
 * @bdf: the device's PCI address
 * @out: receives the description; free it with vfioext_nl_dev_free()
 * @st: NULL, or receives how the call ended (the kernel's message)
 * Return: 0; -ENODEV not bound to vfio-pci-ext; -EINVAL bad address;
 * -EPROTO malformed reply; -ENOBUFS the reply was lost; other -errno.
 */
VFIOEXT_EXPORT int vfioext_nl_dev_get(struct vfioext_nl *nl, const char *bdf,
				      struct vfioext_nl_dev **out,
				      struct vfioext_nl_status *st);
/**
 * vfioext_nl_dev_list() - describe every device bound to vfio-pci-ext
 * @nl: a handle
 * @devs: receives a malloc'ed array of descriptions (NULL when empty);
 *	  free it with vfioext_nl_dev_list_free()
 * @n: receives its length
 * @st: NULL, or receives how the call ended
 *
 * A dump that binds or unbinds interrupted (NLM_F_DUMP_INTR) is retried.
 * Return: 0; -EINTR when it was interrupted every time; other -errno.
 */
VFIOEXT_EXPORT int vfioext_nl_dev_list(struct vfioext_nl *nl,
				       struct vfioext_nl_dev ***devs, size_t *n,
				       struct vfioext_nl_status *st);
/** vfioext_nl_dev_free() - free a description (NULL is ignored) */
VFIOEXT_EXPORT void vfioext_nl_dev_free(struct vfioext_nl_dev *dev);
/** vfioext_nl_dev_list_free() - free a vfioext_nl_dev_list() array */
VFIOEXT_EXPORT void vfioext_nl_dev_list_free(struct vfioext_nl_dev **devs,
					     size_t n);

/**
 * vfioext_nl_dsm_policy_set() - apply one _DSM policy command to a device
 * @nl: a handle
 * @bdf: the device's PCI address
 * @cmd: as written to the dsm_policy sysfs attribute ("allow UUID 1,2",
 *	 "deny *", "clear", "reset")
 * @st: NULL, or receives how the call ended
 * Return: 0; -EPERM without CAP_NET_ADMIN and CAP_SYS_ADMIN; -ENODEV;
 * -EINVAL bad command; -ENOSPC too many rules; -ENOBUFS the kernel's
 * answer was lost: whether the command was applied is unknown
 * (VFIOEXT_NL_OUTCOME_UNKNOWN in @st); other -errno.
 */
VFIOEXT_EXPORT int vfioext_nl_dsm_policy_set(struct vfioext_nl *nl,
					     const char *bdf, const char *cmd,
					     struct vfioext_nl_status *st);

/**
 * vfioext_nl_pviommu_get() - describe pviommu container @id
 * @nl: a handle
 * @id: the container's id (from 1)
 * @out: receives the description; free it with vfioext_nl_pviommu_free()
 * @st: NULL, or receives how the call ended
 * Return: 0; -ENOENT no such container or vfio-pviommu not loaded; -EPERM
 * without CAP_NET_ADMIN; other -errno.
 */
VFIOEXT_EXPORT int vfioext_nl_pviommu_get(struct vfioext_nl *nl, uint32_t id,
					  struct vfioext_nl_pviommu **out,
					  struct vfioext_nl_status *st);
/**
 * vfioext_nl_pviommu_list() - every container (none without the module)
 * @nl: a handle
 * @out: receives a malloc'ed array of descriptions (NULL when empty);
 *	 free it with vfioext_nl_pviommu_list_free()
 * @n: receives its length
 * @st: NULL, or receives how the call ended
 * Return: 0; -EPERM without CAP_NET_ADMIN; other -errno.
 */
VFIOEXT_EXPORT int vfioext_nl_pviommu_list(struct vfioext_nl *nl,
					   struct vfioext_nl_pviommu ***out,
					   size_t *n,
					   struct vfioext_nl_status *st);
/** vfioext_nl_pviommu_free() - free a description (NULL is ignored) */
VFIOEXT_EXPORT void vfioext_nl_pviommu_free(struct vfioext_nl_pviommu *p);
/** vfioext_nl_pviommu_list_free() - free a vfioext_nl_pviommu_list() array */
VFIOEXT_EXPORT void vfioext_nl_pviommu_list_free(struct vfioext_nl_pviommu **p,
						 size_t n);

/**
 * vfioext_nl_events_open() - a handle subscribed to the "events" group
 * @out: receives the handle; close it with vfioext_nl_close()
 * Return: as vfioext_nl_open().  Requests work on it as on any handle.
 */
VFIOEXT_EXPORT int vfioext_nl_events_open(struct vfioext_nl **out);
/**
 * vfioext_nl_fd() - the socket to poll() for events
 * @nl: a handle
 * Return: on an events handle its event socket (readable when
 * vfioext_nl_event_read() has something, or an overrun, to report; a
 * datagram the library skips, of another command, also wakes poll());
 * -EINVAL on a handle from vfioext_nl_open(), which has nothing to poll
 * for.  The handle owns the socket: do not read from it or close it.
 */
VFIOEXT_EXPORT int vfioext_nl_fd(struct vfioext_nl *nl);
/**
 * vfioext_nl_event_read() - the next event
 * @nl: a handle from vfioext_nl_events_open()
 * @ev: receives the event, filled up to @ev->struct_size
 * @timeout_ms: -1 waits forever, 0 does not wait
 *
 * Waits without holding any lock (see above): other threads' calls on
 * the handle go on meanwhile.  A retried wait (another reader took what
 * arrived, or a message of another command was skipped: a newer kernel
 * may send some) waits only for what is left of @timeout_ms: every reader
 * returns by its own deadline.
 * Return: 0 and *@ev; -ETIMEDOUT; -ENOBUFS the socket overran (events were
 * lost: reported once, reading continues with later ones); -EPROTO a
 * malformed event; -EMSGSIZE a datagram larger than 8 KiB (dropped);
 * -EINVAL not an events handle, or @ev->struct_size below the first
 * version's; -EINTR
 * a signal interrupted the wait; other -errno.
 */
VFIOEXT_EXPORT int vfioext_nl_event_read(struct vfioext_nl *nl,
					 struct vfioext_nl_event *ev,
					 int timeout_ms);
/** vfioext_nl_event_name() - "acpi-notify", "open", ... or "unknown" */
VFIOEXT_EXPORT const char *vfioext_nl_event_name(uint32_t type);
/**
 * vfioext_nl_pci_power_state_name() - "D0", ... "D3cold", "unknown",
 * "error": the name sysfs's power_state gives an enum
 * vfio_ext_pci_power_state value ("unknown" for a value this library
 * does not know)
 * @state: the value
 */
VFIOEXT_EXPORT const char *vfioext_nl_pci_power_state_name(uint32_t state);
/**
 * vfioext_nl_runtime_pm_name() - "active", "suspended", ...: the name
 * sysfs's power/runtime_status gives an enum vfio_ext_runtime_pm value
 * ("unknown" for a value this library does not know)
 * @status: the value
 */
VFIOEXT_EXPORT const char *vfioext_nl_runtime_pm_name(uint32_t status);

/* ------------------------------------------------------------------ */
/* In-kernel virtio-iommu, vhost/vhost-vdpa uAPI (vfioext_virtio.c)   */
/* ------------------------------------------------------------------ */

/**
 * struct vfioext_mem_region - guest RAM as the VMM maps it (size-first:
 * see "Structs that grow")
 * @struct_size: sizeof(struct vfioext_mem_region)
 * @flags: none defined yet: 0
 * @gpa: guest-physical start
 * @size: bytes
 * @hva: where the VMM has it
 */
struct vfioext_mem_region {
	uint32_t struct_size;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

/**
 * vfioext_viommu_open() - create the container's virtio-iommu device and
 * make it ready for a guest driver: VFIO_EXT_PVIOMMU_VIOMMU, then
 * VHOST_SET_OWNER and VHOST_SET_MEM_TABLE with @regions
 * @c: a pviommu container with its groups attached and named
 * @flags: VFIO_EXT_VIOMMU_F_*
 * @regions: guest RAM (at most 64 regions); an array of size-first
 *	     structs whose stride is @regions[0].struct_size, which every
 *	     element repeats
 * @nr: number of @regions
 * @fd: receives the device fd (close it to destroy the device)
 *
 * The regions are checked before the device is created.
 * Return: 0; -EBUSY (a device exists, or an endpoint is in a VMM-made
 * domain); -ENODEV (no group); -EINVAL (also: a region's struct_size
 * below the first version's or unlike the first region's, or non-zero
 * flags); -E2BIG (more than 64 regions, a struct_size above 4096, or a
 * region with non-zero bytes this library does not know); -ENOTTY (not
 * a pviommu container, or an older module); other -errno of the vhost
 * ioctls.
 */
VFIOEXT_EXPORT int vfioext_viommu_open(struct vfioext_container *c,
				       uint32_t flags,
				       const struct vfioext_mem_region *regions,
				       unsigned int nr, int *fd);

/**
 * vfioext_virtio_setup_vring() - describe queue @index as the guest laid
 * it out and enable it: size, addresses (in the VMM's address space),
 * base 0, kick and call eventfds (-1: none)
 * @fd: a device fd
 * @index: queue number
 * @num: queue size (a power of two)
 * @desc: descriptor table
 * @avail: driver ring
 * @used: device ring
 * @kick: eventfd the guest's notifications arrive on (an ioeventfd)
 * @call: eventfd the device signals (an irqfd)
 *
 * Return: 0 or the -errno of the first vhost ioctl that failed.
 */
VFIOEXT_EXPORT int vfioext_virtio_setup_vring(int fd, unsigned int index,
					      unsigned int num, void *desc,
					      void *avail, void *used,
					      int kick, int call);

/**
 * vfioext_virtio_negotiate() - the driver side of feature negotiation in
 * one call (for VMMs that negotiate on the guest's behalf, and tests):
 * ACKNOWLEDGE, DRIVER, @features, FEATURES_OK, checked
 * @fd: a device fd
 * @features: the driver's features (a subset of the device's)
 *
 * Return: 0; -EPROTO if the device refused the features; other -errno.
 */
VFIOEXT_EXPORT int vfioext_virtio_negotiate(int fd, uint64_t features);

/**
 * vfioext_virtio_set_status() - write the device status (0 resets)
 * @fd: a device fd
 * @status: the new status bits
 * Return: 0 or -errno.
 */
VFIOEXT_EXPORT int vfioext_virtio_set_status(int fd, uint8_t status);

/**
 * vfioext_virtio_get_status() - read the device status into *@status
 * @fd: a device fd
 * @status: receives the status bits
 * Return: 0 or -errno.
 */
VFIOEXT_EXPORT int vfioext_virtio_get_status(int fd, uint8_t *status);

/**
 * vfioext_virtio_config() - read or write the device's config space
 * @fd: a device fd
 * @off: offset in the config space
 * @buf: the bytes read or to write
 * @len: how many (1 to 4096)
 * @write: 0 reads, non-zero writes
 * Return: 0 or -errno (-EINVAL outside the config space, or @len 0 or
 * above 4096).
 */
VFIOEXT_EXPORT int vfioext_virtio_config(int fd, unsigned int off,
					 void *buf, unsigned int len,
					 int write);

/**
 * vfioext_virtio_get_backend_features() - the VHOST_BACKEND_F_* bits the
 * device offers (VHOST_GET_BACKEND_FEATURES; anyone holding the fd may ask)
 * @fd: a device fd
 * @features: receives the offer
 *
 * Return: 0; -EINVAL for a NULL @features; -ENOTTY from a module older
 * than backend features (which offers none); other -errno.
 */
VFIOEXT_EXPORT int vfioext_virtio_get_backend_features(int fd,
						       uint64_t *features);

/**
 * vfioext_virtio_set_backend_features() - acknowledge the VHOST_BACKEND_F_*
 * bits the VMM will use (VHOST_SET_BACKEND_FEATURES; at any time, as vhost)
 * @fd: a device fd
 * @features: a subset of the offer
 *
 * Return: 0; -EOPNOTSUPP for a bit the device does not offer; -ENOTTY
 * from a module older than backend features; other -errno.
 */
VFIOEXT_EXPORT int vfioext_virtio_set_backend_features(int fd,
						       uint64_t features);

/**
 * vfioext_virtio_suspend() - stop serving the device's queues
 * (VHOST_VDPA_SUSPEND; the owner)
 * @fd: a device fd
 *
 * When it returns no request is in flight and none is served until
 * vfioext_virtio_resume() or a reset; the guest's kicks meanwhile are kept
 * and served on resume.  Queue positions (VHOST_GET_VRING_BASE) are then
 * stable.  A device whose status lacks DRIVER_OK serves nothing anyway:
 * the call does nothing and succeeds (as vhost-vdpa).  Since 1.1.
 *
 * The backend's features are read first (VHOST_GET_BACKEND_FEATURES):
 * a backend without the ioctl does not refuse it with ENOTTY (vhost's
 * answer EFAULT), so it is not sent to one that does not offer it.
 *
 * Return: 0; -EOPNOTSUPP when the backend does not offer
 * VHOST_BACKEND_F_SUSPEND (a module without it, or a backend that is not
 * vfio-ext's: fall back to stopping the VM); -EPERM for a caller that is
 * not the owner; other -errno.
 */
VFIOEXT_EXPORT int vfioext_virtio_suspend(int fd);

/**
 * vfioext_virtio_resume() - serve the queues again after
 * vfioext_virtio_suspend() (VHOST_VDPA_RESUME; the owner)
 * @fd: a device fd
 *
 * Kicks that arrived while suspended are served.  Without DRIVER_OK the
 * call does nothing and succeeds.  Since 1.1.
 *
 * Return: as vfioext_virtio_suspend(), for VHOST_BACKEND_F_RESUME.
 */
VFIOEXT_EXPORT int vfioext_virtio_resume(int fd);

/**
 * vfioext_virtio_save_state() - write the device's internal state to
 * @state_fd (VFIO_EXT_VIRTIO_DEVICE_STATE, SAVE): the virtio-iommu's
 * endpoints, guest domains and mappings, config (Documentation/virtio.rst,
 * "Device state")
 * @fd: a device fd, suspended or not DRIVER_OK
 * @state_fd: a pipe, socket or file open for writing; written at its
 *	      position, blocking until all of it is written
 *
 * Return: the bytes written (at most INT_MAX); -EBUSY while the device
 * runs; -EPERM not the owner; -EBADF @state_fd not writable; -ENOTTY a
 * module without device state; -EFBIG a state above INT_MAX bytes (no
 * LOAD would take it); -EINTR a signal once part of it was written (never
 * restarted); other -errno (of the write: then part of it may be
 * written).  After -EINTR or -EAGAIN the stream is unusable.  Since 1.1.
 */
VFIOEXT_EXPORT long vfioext_virtio_save_state(int fd, int state_fd);

/**
 * vfioext_virtio_load_state() - read one state blob from @state_fd and
 * apply it to a fresh device (VFIO_EXT_VIRTIO_DEVICE_STATE, LOAD)
 * @fd: a device fd: owned, memory table set, the saved features
 *	negotiated (FEATURES_OK), not DRIVER_OK, without guest state
 * @state_fd: a pipe, socket or file open for reading, at the blob
 *
 * The whole blob is read and checked before anything changes; a blob
 * refused, or one that fails while it is applied, leaves the device as
 * it was.  Since 1.1.
 *
 * Return: the bytes read; -EBUSY running, or guest state already there;
 * -EINTR a signal once part of the blob was read (never restarted: the
 * stream is unusable); the errno of each refusal
 * (Documentation/virtio.rst); other -errno.
 */
VFIOEXT_EXPORT long vfioext_virtio_load_state(int fd, int state_fd);

/**
 * vfioext_virtio_log_bytes() - size of a dirty log (vhost's layout: a bit
 * per guest-physical 4 KiB page, bit pfn % 8 of byte pfn / 8) covering
 * guest-physical addresses below @gpa_end
 * @gpa_end: one past the highest guest-physical address of guest memory
 *
 * Since 1.1.
 *
 * Return: the bitmap's bytes.
 */
VFIOEXT_EXPORT uint64_t vfioext_virtio_log_bytes(uint64_t gpa_end);

/**
 * vfioext_virtio_set_log() - where the device logs the guest pages it
 * writes (VHOST_SET_LOG_BASE, VHOST_SET_LOG_FD; the owner)
 * @fd: a device fd
 * @bitmap: the dirty log, vfioext_virtio_log_bytes() of guest memory, in
 *          writable memory of the caller; the device sets bits, the VMM
 *          reads and clears them (atomically: the device sets them
 *          concurrently)
 * @log_fd: an eventfd signalled after writes were logged, or -1
 *
 * Logging starts with vfioext_virtio_log_all().  Since 1.1.
 *
 * Return: 0; -EFAULT for a bitmap that does not cover guest memory in
 * writable memory while logging; -EBADF or -EINVAL for @log_fd; -EPERM
 * for a caller that is not the owner; -ENOTTY from a module without
 * dirty logging.
 */
VFIOEXT_EXPORT int vfioext_virtio_set_log(int fd, void *bitmap, int log_fd);

/**
 * vfioext_virtio_log_vring() - have the device log its writes to queue
 * @index's device ring (VHOST_SET_VRING_ADDR with VHOST_VRING_F_LOG; the
 * owner)
 * @fd: a device fd
 * @index: the queue
 * @desc: the VMM address of its descriptor table, as set up
 * @avail: of its driver ring, as set up
 * @used: of its device ring, as set up
 * @used_gpa: the guest-physical address of its device ring
 * @log: 1: log (@used_gpa); 0: do not
 *
 * Allowed while the queue runs when the addresses are those it runs with.
 * Call it after vfioext_virtio_setup_vring() and again after each reset.
 * Since 1.1.
 *
 * Return: 0; -EINVAL when the bitmap does not cover the device ring;
 * -EBUSY for other addresses while the queue runs; other -errno.
 */
VFIOEXT_EXPORT int vfioext_virtio_log_vring(int fd, unsigned int index,
					    void *desc, void *avail,
					    void *used, uint64_t used_gpa,
					    int log);

/**
 * vfioext_virtio_log_all() - switch dirty logging (VHOST_F_LOG_ALL; the
 * owner), at any time
 * @fd: a device fd
 * @features: the driver's features, as negotiated (or to be)
 * @on: 1: every write of the device to guest memory is logged before the
 *      guest can see it; 0: none is
 *
 * Pass the driver's features as they are: the call only adds or removes
 * VHOST_F_LOG_ALL.  A reset (status 0) ends logging: switch it on again
 * with the driver's new features.  Since 1.1.
 *
 * Return: 0; -EINVAL without vfioext_virtio_set_log() first; -EFAULT for
 * a bitmap that does not cover guest memory; -EBUSY for features other
 * than the negotiated ones after FEATURES_OK; other -errno.
 */
VFIOEXT_EXPORT int vfioext_virtio_log_all(int fd, uint64_t features, int on);

#ifdef __cplusplus
}
#endif

#endif /* VFIOEXT_H */
