/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vfio-ext: VFIO extensions for passed-through PCI devices on stock kernels.
 *
 * This header is the whole user ABI of the vfio-ext modules.  Everything a
 * VMM needs beyond <linux/vfio.h> is defined here; nothing else is ABI.
 *
 * Sections: vfio-ext's own ioctls (device fd, then pviommu container),
 * the crosvm compatibility section (the only VFIO_* names here), the
 * generic netlink family, and the in-kernel virtio-iommu device.
 *
 * Extensibility (Documentation/uapi.rst, "Versioning"): every ioctl
 * argument starts with __u32 argsz, the bytes the caller has, and __u32
 * flags.  The kernel accepts any argsz from the structure's first version
 * (its *_SIZE_VER0) up to the page size: fields the caller's version lacks
 * read as zero, bytes beyond what the kernel knows must be zero (E2BIG
 * otherwise: a newer binary asked for something this kernel cannot do),
 * a smaller argsz or an unknown flag is EINVAL.  Arrays carry their element
 * size and follow the same rules per element.  The ioctl numbers are _IO()
 * numbers, as VFIO's: a structure grows without its number changing.
 */
#ifndef _UAPI_LINUX_VFIO_EXT_H
#define _UAPI_LINUX_VFIO_EXT_H

#include <linux/types.h>
#include <linux/vfio.h>

/**
 * VFIO_EXT_API_VERSION - version of the vfio-ext user ABI
 *
 * Incremented when an ioctl, structure, flag or IRQ index is added or an
 * unreleased one changes.  A VMM reads the running modules' version with
 * VFIO_EXT_DEVICE_GET_API_VERSION on a vfio-pci-ext device fd, or as the
 * value of VFIO_CHECK_EXTENSION(VFIO_EXT_PVIOMMU_IOMMU) on a container
 * (a kernel before version 6 answers ENOTTY and 1 respectively).
 * Version 6: every argument extensible (argsz + flags, zero tails),
 * _IO() numbers, VFIO_EXT_PVIOMMU_BATCH with an element size,
 * VFIO_EXT_PVIOMMU_DOMAIN_FREE and VFIO_EXT_DEVICE_ACPI_NOTIFY_FD with a
 * structure, VFIO_EXT_DEVICE_ACPI_DSM with its own structure.
 * Version 7: VFIO_EXT_VIRTIO_DEVICE_STATE and its state format on the
 * in-kernel virtio device's fd.
 */
#define VFIO_EXT_API_VERSION	7

/**
 * VFIO_EXT_PCI_DRIVER_NAME - name of the vfio-pci-ext PCI driver
 *
 * The string to write to /sys/bus/pci/devices/<BDF>/driver_override to
 * bind a device to vfio-pci-ext, exactly as "vfio-pci" binds vfio-pci.
 * The driver offers every region, IRQ index, ioctl and device feature of
 * vfio-pci through the same device file descriptor.
 */
#define VFIO_EXT_PCI_DRIVER_NAME	"vfio-pci-ext"

/** VFIO_EXT_IOCTL_TYPE - ioctl type of vfio-ext's own numbers (unassigned) */
#define VFIO_EXT_IOCTL_TYPE		0xE7

/* ------------------------------------------------------------------ */
/* Device fd: API version                                             */
/* ------------------------------------------------------------------ */

/**
 * VFIO_EXT_DEVICE_GET_API_VERSION - the running module's
 * VFIO_EXT_API_VERSION (device fd of vfio-pci-ext)
 *
 * No argument (the ioctl's argument must be 0: EINVAL otherwise).
 * Returns the version.  ENOTTY: a vfio-ext before version 6, or a device
 * bound to another driver.
 */
#define VFIO_EXT_DEVICE_GET_API_VERSION	_IO(VFIO_EXT_IOCTL_TYPE, 0x03)

/* ------------------------------------------------------------------ */
/* Device fd: ACPI _DSM evaluation                                     */
/* ------------------------------------------------------------------ */

/**
 * VFIO_EXT_ACPI_DSM_ARGS_MIN - UUID, revision and function: 32 bytes
 */
#define VFIO_EXT_ACPI_DSM_ARGS_MIN	32
/**
 * VFIO_EXT_ACPI_DSM_ARGS_MAX - largest accepted args buffer (64 KiB)
 */
#define VFIO_EXT_ACPI_DSM_ARGS_MAX	65536
/** VFIO_EXT_ACPI_DSM_MAX_ELEMENTS - largest Package, argument or result */
#define VFIO_EXT_ACPI_DSM_MAX_ELEMENTS	256

/* VFIO_EXT_ACPI_DSM_TYPE_* - type codes of the args layout */
#define VFIO_EXT_ACPI_DSM_TYPE_NONE	0
#define VFIO_EXT_ACPI_DSM_TYPE_INTEGER	1
#define VFIO_EXT_ACPI_DSM_TYPE_STRING	2
#define VFIO_EXT_ACPI_DSM_TYPE_BUFFER	3
#define VFIO_EXT_ACPI_DSM_TYPE_PACKAGE	4

/**
 * struct vfio_ext_acpi_dsm - argument of VFIO_EXT_DEVICE_ACPI_DSM
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_ACPI_DSM_SIZE_VER0)
 * @flags: 0
 * @args_size: in: bytes at @args, at least VFIO_EXT_ACPI_DSM_ARGS_MIN + 8
 *             (the call and a result header: 40), at most
 *             VFIO_EXT_ACPI_DSM_ARGS_MAX; out, on ENOSPC only: the bytes
 *             the result needs
 * @result_size: out: bytes of @args the call and its result take (from
 *               byte 0; the result ends there); ignored on input
 * @args: user pointer to the args buffer: the call on input, the call with
 *        its result on output
 *
 * The args layout, all integers little endian (crosvm's):
 *
 * ======  =====================================================
 * 0-15    UUID (Arg0), the bytes of ACPI ToUUID()
 * 16-23   revision (Arg1), u64
 * 24-31   function index (Arg2), u64
 * 32-35   Arg3 type: 0 none, 1 Integer, 2 String, 3 Buffer, 4 Package
 * 36-39   Arg3 size: bytes (String, Buffer), 8 (Integer), element
 *         count (Package)
 * 40-     Arg3 data.  Package elements: u32 type, u32 size, then the
 *         data padded with zeros to a multiple of 8 bytes; Integer
 *         elements have size 8; String and Buffer elements size bytes.
 * ======  =====================================================
 *
 * On success the result replaces Arg3 from byte 32: u32 type, u32 size,
 * data from byte 40.  Integer: size 8, 8 bytes.  String: size = length
 * + 1, the bytes and a NUL.  Buffer: size bytes.  Package: size = element
 * count, then per element u32 type, u32 size and size data bytes, not
 * padded (Integer elements size 8, String elements include their NUL).
 * Bytes after the result are left as they were.
 */
struct vfio_ext_acpi_dsm {
	__u32 argsz;
	__u32 flags;
	__u32 args_size;
	__u32 result_size;
	__aligned_u64 args;
};

/** VFIO_EXT_ACPI_DSM_SIZE_VER0 - first version of struct vfio_ext_acpi_dsm */
#define VFIO_EXT_ACPI_DSM_SIZE_VER0	24

/**
 * VFIO_EXT_DEVICE_ACPI_DSM - evaluate the device's ACPI _DSM
 *
 * Argument: struct vfio_ext_acpi_dsm.  Errors: EINVAL argsz below
 * VFIO_EXT_ACPI_DSM_SIZE_VER0, unknown flags, @args_size too small,
 * malformed @args (a size or count that walks past @args_size, an unknown
 * or nested type); E2BIG argsz above the page size or non-zero bytes
 * beyond the known fields, @args_size above VFIO_EXT_ACPI_DSM_ARGS_MAX or
 * a Package above VFIO_EXT_ACPI_DSM_MAX_ELEMENTS; ENODEV the device has no
 * ACPI companion; ENOENT the companion has no _DSM; EACCES the host policy
 * does not allow this UUID and function; EIO the firmware method failed
 * or returned nothing; ENOSPC the result does not fit in @args: the
 * method ran, and @args_size is set to the size the result needs (nothing
 * else is written); EOPNOTSUPP the result is of a type the layout cannot
 * carry (nested Package, reference, ...); EINTR a fatal signal arrived
 * while waiting for another call on the same device; ENOMEM the host ran
 * out of memory (inside ACPICA too); EFAULT.
 */
#define VFIO_EXT_DEVICE_ACPI_DSM	_IO(VFIO_EXT_IOCTL_TYPE, 0x00)

/* ------------------------------------------------------------------ */
/* Device fd: ACPI notifications                                       */
/* ------------------------------------------------------------------ */

/**
 * struct vfio_ext_acpi_notify_record - one notification, as read from the
 * fd of VFIO_EXT_DEVICE_ACPI_NOTIFY_FD
 * @seq: sequence number of the notification on this device, from 0;
 *       every notification (delivered or dropped) takes one
 * @timestamp_ns: CLOCK_MONOTONIC time the notification arrived
 * @value: the Notify value (0..255)
 * @flags: VFIO_EXT_ACPI_NOTIFY_LOOPBACK for DATA_BOOL loopbacks
 * @dropped: notifications dropped just before this one because the
 *           reader fell more than VFIO_EXT_ACPI_NOTIFY_QUEUE behind
 * @reserved: zero
 *
 * The record is 32 bytes and stays so for every channel opened without a
 * new flag: a later record layout will be asked for with a flag of
 * VFIO_EXT_DEVICE_ACPI_NOTIFY_FD, so a reader never sees a record of a
 * size it did not ask for.
 */
struct vfio_ext_acpi_notify_record {
	__u64 seq;
	__u64 timestamp_ns;
	__u32 value;
	__u32 flags;
	__u32 dropped;
	__u32 reserved;
};

#define VFIO_EXT_ACPI_NOTIFY_LOOPBACK	(1u << 0)
/** VFIO_EXT_ACPI_NOTIFY_QUEUE - records queued before drops begin */
#define VFIO_EXT_ACPI_NOTIFY_QUEUE	256

/**
 * struct vfio_ext_acpi_notify_fd - argument of VFIO_EXT_DEVICE_ACPI_NOTIFY_FD
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_ACPI_NOTIFY_FD_SIZE_VER0)
 * @flags: VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK: the new fd's reads do not
 *         block (O_NONBLOCK)
 */
struct vfio_ext_acpi_notify_fd {
	__u32 argsz;
	__u32 flags;
#define VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK	(1u << 0)
};

/**
 * VFIO_EXT_ACPI_NOTIFY_FD_SIZE_VER0 - first version of struct
 * vfio_ext_acpi_notify_fd
 */
#define VFIO_EXT_ACPI_NOTIFY_FD_SIZE_VER0	8

/**
 * VFIO_EXT_DEVICE_ACPI_NOTIFY_FD - open the lossless notification channel
 *
 * Argument: struct vfio_ext_acpi_notify_fd.  Returns a new file descriptor
 * (always O_CLOEXEC); read() gives whole struct vfio_ext_acpi_notify_record
 * entries, every notification in order with its value (no coalescing),
 * and poll() reports EPOLLIN.  After the device is closed, queued records
 * can still be read, then read() returns 0.  The fd keeps the device's
 * memory (not the device) alive.
 * Errors: EINVAL argsz below VFIO_EXT_ACPI_NOTIFY_FD_SIZE_VER0, unknown
 * flags; E2BIG argsz above the page size or non-zero bytes beyond the
 * known fields; ENODEV no ACPI companion; EBUSY a channel is already open
 * on this device; EMFILE, ENOMEM, EFAULT.
 */
#define VFIO_EXT_DEVICE_ACPI_NOTIFY_FD	_IO(VFIO_EXT_IOCTL_TYPE, 0x02)

/* ------------------------------------------------------------------ */
/* pviommu: a VFIO IOMMU backend (container fd)                        */
/* ------------------------------------------------------------------ */

/**
 * VFIO_EXT_PVIOMMU_IOMMU - IOMMU type of the pviommu backend
 *
 * For VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU on a container, like
 * VFIO_TYPE1v2_IOMMU.  ASCII "VFXP"; collides with no upstream type
 * (1-10) and no known downstream one (Android pKVM 30, ChromeOS 100001).
 * VFIO_CHECK_EXTENSION answers VFIO_EXT_API_VERSION (1 before version 6).
 * The container then answers VFIO_IOMMU_GET_INFO (iova_pgsizes, the
 * IOVA_RANGE and DMA_AVAIL capabilities), VFIO_IOMMU_MAP_DMA and
 * VFIO_IOMMU_UNMAP_DMA (with VFIO_DMA_UNMAP_FLAG_ALL) with type1v2
 * semantics.
 */
#define VFIO_EXT_PVIOMMU_IOMMU		0x56465850

/**
 * struct vfio_ext_pviommu_op - one entry of VFIO_EXT_PVIOMMU_BATCH
 * @op: VFIO_EXT_PVIOMMU_OP_MAP or VFIO_EXT_PVIOMMU_OP_UNMAP
 * @flags: MAP: VFIO_DMA_MAP_FLAG_READ/WRITE; UNMAP: 0 or
 *         VFIO_DMA_UNMAP_FLAG_ALL
 * @vaddr: MAP: user address
 * @iova: the IOVA
 * @size: bytes; for UNMAP, replaced by the bytes unmapped
 * @domain: 0 for the container's own mappings (MAP_DMA/UNMAP_DMA), or a
 *          guest domain from VFIO_EXT_PVIOMMU_DOMAIN_ALLOC
 * @reserved: zero
 *
 * Each entry has exactly the semantics and errors of VFIO_IOMMU_MAP_DMA
 * or VFIO_IOMMU_UNMAP_DMA, in its domain (ENOENT: no such domain).
 * Entries are @op_size bytes apart in the batch: the structure grows as
 * the arguments do (bytes beyond what the kernel knows must be zero).
 */
struct vfio_ext_pviommu_op {
	__u32 op;
	__u32 flags;
	__u64 vaddr;
	__u64 iova;
	__u64 size;
	__u32 domain;
	__u32 reserved;
};

/** VFIO_EXT_PVIOMMU_OP_SIZE_VER0 - first version of struct vfio_ext_pviommu_op */
#define VFIO_EXT_PVIOMMU_OP_SIZE_VER0	40

#define VFIO_EXT_PVIOMMU_OP_MAP		1
#define VFIO_EXT_PVIOMMU_OP_UNMAP	2
/** VFIO_EXT_PVIOMMU_BATCH_MAX - most entries in one batch */
#define VFIO_EXT_PVIOMMU_BATCH_MAX	4096

/**
 * struct vfio_ext_pviommu_batch - argument of VFIO_EXT_PVIOMMU_BATCH
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_PVIOMMU_BATCH_SIZE_VER0)
 * @flags: 0
 * @nr: entries at @ops, at most VFIO_EXT_PVIOMMU_BATCH_MAX
 * @op_size: bytes from one entry to the next: sizeof(struct
 *           vfio_ext_pviommu_op) of the caller's header, at least
 *           VFIO_EXT_PVIOMMU_OP_SIZE_VER0, at most the page size
 * @ops: user pointer to @nr entries
 * @done: out: entries completed; when the call failed on an entry (ENOENT
 *        or a map/unmap error) it is the index of that entry; 0 when the
 *        call was refused before any entry ran; ignored on input
 * @reserved: zero
 */
struct vfio_ext_pviommu_batch {
	__u32 argsz;
	__u32 flags;
	__u32 nr;
	__u32 op_size;
	__aligned_u64 ops;
	__u32 done;
	__u32 reserved;
};

/**
 * VFIO_EXT_PVIOMMU_BATCH_SIZE_VER0 - first version of struct
 * vfio_ext_pviommu_batch
 */
#define VFIO_EXT_PVIOMMU_BATCH_SIZE_VER0	32

/**
 * VFIO_EXT_PVIOMMU_BATCH - many maps/unmaps in one call (container fd)
 *
 * The @nr entries are read once, before anything runs (changing them
 * during the call changes nothing); entries then run in order under one
 * lock; the first failure stops the batch and is the call's error
 * (entries before it stay done); UNMAP sizes are written back after the
 * last entry ran.  Every entry's op, flags and reserved word are checked
 * before the first runs.  EINVAL argsz or op_size below the first
 * version, unknown flags, a non-zero @reserved, a bad op, entry flags or
 * entry reserved word (nothing ran); E2BIG
 * argsz or op_size above the page size, non-zero bytes beyond the known
 * fields of the argument or of an entry (nothing ran), @nr above the
 * maximum; EFAULT reading @ops (nothing ran, @done 0) or writing a size
 * back (@done entries ran).
 */
#define VFIO_EXT_PVIOMMU_BATCH		_IO(VFIO_EXT_IOCTL_TYPE, 0x10)

/**
 * struct vfio_ext_pviommu_limits - argument of VFIO_EXT_PVIOMMU_LIMITS
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_PVIOMMU_LIMITS_SIZE_VER0)
 * @flags: VFIO_EXT_PVIOMMU_LIMITS_SET_GUEST to set @guest_maps; 0 to
 *         only read the limits
 * @guest_maps: in, with the flag: the new limit of guest-domain mappings,
 *              at most the vfio-pviommu parameter guest_dma_entry_limit
 *              as it was when the container was set up (EINVAL beyond);
 *              out: the limit now
 * @guest_mapped: out: mappings in guest domains now
 *
 * Guest domains (VFIO_EXT_PVIOMMU_DOMAIN_ALLOC's and the virtio-iommu
 * device's) have their own budget of mappings, apart from the
 * container's own (VFIO_IOMMU_MAP_DMA, counted against dma_entry_limit):
 * a guest that exhausts its budget cannot make the VMM's MAP_DMA fail.
 * A lower limit than @guest_mapped keeps the mappings and refuses new
 * ones until enough are gone.
 */
struct vfio_ext_pviommu_limits {
	__u32 argsz;
	__u32 flags;
#define VFIO_EXT_PVIOMMU_LIMITS_SET_GUEST	(1 << 0)
	__u32 guest_maps;
	__u32 guest_mapped;
};

/**
 * VFIO_EXT_PVIOMMU_LIMITS_SIZE_VER0 - first version of struct
 * vfio_ext_pviommu_limits
 */
#define VFIO_EXT_PVIOMMU_LIMITS_SIZE_VER0	16

/**
 * VFIO_EXT_PVIOMMU_LIMITS - read or set the container's guest-domain
 * mapping limit (container fd)
 *
 * Errors: EINVAL argsz below 16, unknown flags, a limit above the
 * ceiling; E2BIG argsz above the page size or non-zero bytes beyond the
 * known fields; EFAULT.
 */
#define VFIO_EXT_PVIOMMU_LIMITS		_IO(VFIO_EXT_IOCTL_TYPE, 0x16)

/*
 * The paravirtual model (pKVM's pvIOMMU): endpoints are devices named by
 * a virtual stream ID (vsid); guest domains are real IOMMU domains with
 * mappings of their own; attaching an endpoint to a domain moves the
 * device's DMA into it; domain 0 is the container's own mappings, where
 * every device starts.  IOMMU hardware isolates whole groups, so an
 * endpoint is a group with a single device, which has one stream ID.
 *
 * Groups are named by their IOMMU group number (N of /dev/vfio/N) and must
 * already be attached to this container, so the number grants nothing the
 * caller does not hold.  (Linux 6.1 exports no way to find the group
 * behind a VFIO fd on x86, which is why the fd is not used.)
 */

/**
 * struct vfio_ext_pviommu_domain - argument of VFIO_EXT_PVIOMMU_DOMAIN_ALLOC
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_PVIOMMU_DOMAIN_SIZE_VER0)
 * @flags: 0
 * @id: out: the new domain's id (never 0); ignored on input
 * @reserved: zero
 */
struct vfio_ext_pviommu_domain {
	__u32 argsz;
	__u32 flags;
	__u32 id;
	__u32 reserved;
};

/**
 * VFIO_EXT_PVIOMMU_DOMAIN_SIZE_VER0 - first version of struct
 * vfio_ext_pviommu_domain
 */
#define VFIO_EXT_PVIOMMU_DOMAIN_SIZE_VER0	16

/**
 * VFIO_EXT_PVIOMMU_DOMAIN_ALLOC - new guest domain (container fd)
 *
 * Errors: EINVAL argsz below the first version, unknown flags, non-zero
 * @reserved; E2BIG argsz above the page size or non-zero bytes beyond the
 * known fields; ENODEV no group in the container (a domain belongs to an
 * IOMMU); ENOSPC too many domains; ENOMEM.
 */
#define VFIO_EXT_PVIOMMU_DOMAIN_ALLOC	_IO(VFIO_EXT_IOCTL_TYPE, 0x11)

/**
 * struct vfio_ext_pviommu_domain_free - argument of
 * VFIO_EXT_PVIOMMU_DOMAIN_FREE
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_PVIOMMU_DOMAIN_FREE_SIZE_VER0)
 * @flags: 0
 * @id: the guest domain to free
 * @reserved: zero (keeps the size a multiple of 8, so a later __u64
 *            lands at the same offset for 32- and 64-bit callers)
 */
struct vfio_ext_pviommu_domain_free {
	__u32 argsz;
	__u32 flags;
	__u32 id;
	__u32 reserved;
};

/**
 * VFIO_EXT_PVIOMMU_DOMAIN_FREE_SIZE_VER0 - first version of struct
 * vfio_ext_pviommu_domain_free
 */
#define VFIO_EXT_PVIOMMU_DOMAIN_FREE_SIZE_VER0	16

/**
 * VFIO_EXT_PVIOMMU_DOMAIN_FREE - free a guest domain (container fd)
 *
 * Argument: struct vfio_ext_pviommu_domain_free.  Its mappings are
 * unmapped and unpinned.  Errors: EINVAL argsz below the first version,
 * unknown flags, non-zero @reserved; E2BIG argsz above the page size or
 * non-zero bytes beyond the known fields; ENOENT no such domain; EBUSY an
 * endpoint is attached to it.
 */
#define VFIO_EXT_PVIOMMU_DOMAIN_FREE	_IO(VFIO_EXT_IOCTL_TYPE, 0x17)

/**
 * struct vfio_ext_pviommu_attach - argument of VFIO_EXT_PVIOMMU_ATTACH
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_PVIOMMU_ATTACH_SIZE_VER0)
 * @flags: 0
 * @group: IOMMU group number of a group attached to this container
 * @sid_index: which stream ID of the device (< VFIO_EXT_PVIOMMU_SIDS)
 * @vsid: the guest's name for it; one per endpoint, unique per container
 * @domain: guest domain id, or 0 to return to the container's mappings
 */
struct vfio_ext_pviommu_attach {
	__u32 argsz;
	__u32 flags;
	__u32 group;
	__u32 sid_index;
	__u32 vsid;
	__u32 domain;
};

/**
 * VFIO_EXT_PVIOMMU_ATTACH_SIZE_VER0 - first version of struct
 * vfio_ext_pviommu_attach
 */
#define VFIO_EXT_PVIOMMU_ATTACH_SIZE_VER0	24

/**
 * VFIO_EXT_PVIOMMU_ATTACH - attach an endpoint to a domain (container fd)
 *
 * Moving an endpoint between domains is another attach.  Errors: EINVAL
 * argsz below the first version, unknown flags, a group of several
 * devices, sid_index out of range; E2BIG argsz above the page size or
 * non-zero bytes beyond the known fields; ENOENT the group is not in this
 * container or no such domain; EEXIST the vsid names another endpoint;
 * EBUSY the endpoint already has another vsid.
 */
#define VFIO_EXT_PVIOMMU_ATTACH		_IO(VFIO_EXT_IOCTL_TYPE, 0x13)

/**
 * struct vfio_ext_pviommu_sids - argument of VFIO_EXT_PVIOMMU_SIDS
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_PVIOMMU_SIDS_SIZE_VER0)
 * @flags: 0
 * @group: IOMMU group number of a group attached to this container
 * @nr_sids: out: stream IDs of its device (PCI: 1, the requester ID; 0
 *           for a group of several devices, which cannot be an endpoint);
 *           ignored on input
 */
struct vfio_ext_pviommu_sids {
	__u32 argsz;
	__u32 flags;
	__u32 group;
	__u32 nr_sids;
};

/**
 * VFIO_EXT_PVIOMMU_SIDS_SIZE_VER0 - first version of struct
 * vfio_ext_pviommu_sids
 */
#define VFIO_EXT_PVIOMMU_SIDS_SIZE_VER0	16

/**
 * VFIO_EXT_PVIOMMU_SIDS - how many stream IDs a device has (container fd)
 *
 * Errors: EINVAL argsz below the first version, unknown flags; E2BIG
 * argsz above the page size or non-zero bytes beyond the known fields;
 * ENOENT the group is not in this container.
 */
#define VFIO_EXT_PVIOMMU_SIDS		_IO(VFIO_EXT_IOCTL_TYPE, 0x14)

/* ------------------------------------------------------------------ */
/* crosvm compatibility                                                */
/* ------------------------------------------------------------------ */
/*
 * The only names of this header in VFIO's own name and number space:
 * crosvm (devices/src/vfio.rs, vfio_sys) calls a vendor kernel's ABI with
 * exactly these, so an unmodified crosvm works with vfio-pci-ext.  They
 * keep crosvm's layout and semantics byte for byte and never grow: new
 * code uses VFIO_EXT_DEVICE_ACPI_DSM.  Nothing else of ours may take a
 * VFIO_* name or a VFIO_TYPE number.
 */

/**
 * struct vfio_acpi_dsm - argument of VFIO_DEVICE_ACPI_DSM (crosvm's)
 * @argsz: sizeof(struct vfio_acpi_dsm) + length of @args, at least
 *         8 + VFIO_EXT_ACPI_DSM_ARGS_MIN + 8 (the call and a result
 *         header: 48) and at most 8 + VFIO_EXT_ACPI_DSM_ARGS_MAX; on
 *         ENOSPC set to the argsz the result needs
 * @padding: ignored (crosvm leaves it unset)
 * @args: the call on input, the call with its result on output, in the
 *        layout of struct vfio_ext_acpi_dsm's args
 *
 * Errors: those of VFIO_EXT_DEVICE_ACPI_DSM, with @argsz - 8 in the
 * place of args_size.
 */
struct vfio_acpi_dsm {
	__u32 argsz;
	__u32 padding;
	__u8 args[];
};

/**
 * VFIO_DEVICE_ACPI_DSM - evaluate the device's ACPI _DSM (crosvm's number)
 *
 * _IO(VFIO_TYPE, VFIO_BASE + 18), argument struct vfio_acpi_dsm.  From
 * Linux 6.6 the VFIO core takes this number for VFIO_DEVICE_BIND_IOMMUFD
 * before the driver sees it; use VFIO_EXT_DEVICE_ACPI_DSM there (and in
 * new code everywhere).
 */
#define VFIO_DEVICE_ACPI_DSM		_IO(VFIO_TYPE, VFIO_BASE + 18)

/**
 * VFIO_PCI_ACPI_NTFY_IRQ_INDEX - IRQ index of the device's ACPI Notify
 *
 * One past the vfio-pci indexes (crosvm's number, 5): VFIO_DEVICE_GET_INFO
 * reports num_irqs 6.  VFIO_DEVICE_GET_IRQ_INFO gives count 1 (flags
 * EVENTFD | NORESIZE) when the device has an ACPI companion, else 0.
 * VFIO_DEVICE_SET_IRQS, ACTION_TRIGGER only:
 *
 * - DATA_EVENTFD, start 0, count 1: firmware Notify(device, value) adds
 *   value to the eventfd counter (a reader sees the sum of the values
 *   since its last read; value 0 is invisible there).  fd -1 disables;
 *   a new fd replaces the old one.
 * - DATA_NONE, count 0: disable (EINVAL if not enabled, as vfio-pci).
 * - DATA_BOOL, count 1, data a __u32 value 0..255: deliver that value as
 *   if the firmware had notified it (loopback test).
 *
 * The ACPI notify handler is installed on the companion only while an
 * eventfd or a notification fd is set, and removed on disable, on close
 * of the device and on unbind; once removal returns no notification is
 * delivered.
 */
#define VFIO_PCI_ACPI_NTFY_IRQ_INDEX	5

/* ------------------------------------------------------------------ */
/* Generic netlink family "vfio-ext" (module vfio-pci-ext)             */
/* ------------------------------------------------------------------ */
/*
 * Inventory (devices bound to vfio-pci-ext, pviommu containers), the _DSM
 * policy (admin) and an event multicast group.  The family and its
 * attributes are specified in Documentation/netlink/specs/vfio-ext.yaml
 * (protocol genetlink: the kernel's ynl tools take it as it is) and
 * described in Documentation/netlink.rst.  Every request is strictly
 * validated (unknown attributes, attributes of the wrong type or length,
 * missing ones, trailing data and reserved header fields are errors, with
 * an extended ACK message).  No kernel pointer leaves the kernel: devices
 * are named by PCI address, containers by an id, processes by their
 * thread-group id (as seen from the initial PID namespace).
 */

/**
 * VFIO_EXT_GENL_VERSION - version the family registers with
 *
 * 2: booleans and enums are u32, power states are enums, every nest has an
 * attribute set of its own (regions, IRQs, endpoints and domains are
 * indexed arrays).  Informational: a reader checks for the attributes it
 * needs, and skips those it does not know.
 */
#define VFIO_EXT_GENL_VERSION		2

/*
 * YNL-GEN BEGIN: everything up to YNL-GEN END is the kernel's ynl-gen
 * output for Documentation/netlink/specs/vfio-ext.yaml
 * (tools/net/ynl/pyynl/ynl_gen_c.py --mode uapi --header, from the
 * linux-source of the newest target), less its include guard and its
 * VFIO_EXT_FAMILY_VERSION (always 1 for a genetlink spec; see
 * VFIO_EXT_GENL_VERSION).  Do not edit: change the spec and run
 * tools/nl-spec-check --update; tools/lint fails when they differ.
 */
#define VFIO_EXT_FAMILY_NAME	"vfio-ext"

#define VFIO_EXT_NL_POLICY_MAX	256

/**
 * enum vfio_ext_event - Kind of an event (event-type).
 * @VFIO_EXT_EVENT_UNSPEC: unused
 * @VFIO_EXT_EVENT_ACPI_NOTIFY: An ACPI notification was forwarded to the
 *   device's user (notify-value, notify-loopback); only while a user listens
 *   (eventfd or channel), as forwarding itself.
 * @VFIO_EXT_EVENT_OPEN: The device was opened by a user (dev-opener-pid,
 *   dev-kvm-pid).
 * @VFIO_EXT_EVENT_CLOSE: Its last user closed it.
 * @VFIO_EXT_EVENT_POWER: Its power state changed: a runtime suspend or resume,
 *   or its user entered or left the low-power state
 *   (VFIO_DEVICE_FEATURE_LOW_POWER_*); power-low-power and power-runtime give
 *   the new state, power-state the PCI state unless the device was just
 *   runtime suspended.
 * @VFIO_EXT_EVENT_IOMMU_FAULT: The host IOMMU driver reported a DMA fault of
 *   the device in a pviommu container's domain (pviommu-id, fault-domain,
 *   fault-iova, fault-flags); only drivers that report faults to the IOMMU
 *   core do (AMD-Vi does, VT-d on 6.1 only logs them), and type1 containers
 *   install no handler.
 */
enum vfio_ext_event {
	VFIO_EXT_EVENT_UNSPEC,
	VFIO_EXT_EVENT_ACPI_NOTIFY,
	VFIO_EXT_EVENT_OPEN,
	VFIO_EXT_EVENT_CLOSE,
	VFIO_EXT_EVENT_POWER,
	VFIO_EXT_EVENT_IOMMU_FAULT,
};

/**
 * enum vfio_ext_fault - Bits of fault-flags.
 * @VFIO_EXT_FAULT_WRITE: The faulting access was a write (else a read).
 */
enum vfio_ext_fault {
	VFIO_EXT_FAULT_WRITE = 1,
};

/**
 * enum vfio_ext_pci_power_state - PCI power state of a device (power-state),
 *   as the PCI core has it.
 * @VFIO_EXT_PCI_POWER_STATE_D0: Fully on.
 * @VFIO_EXT_PCI_POWER_STATE_D1: Light sleep.
 * @VFIO_EXT_PCI_POWER_STATE_D2: Deeper sleep.
 * @VFIO_EXT_PCI_POWER_STATE_D3HOT: Off, still on its bus's power (config space
 *   answers).
 * @VFIO_EXT_PCI_POWER_STATE_D3COLD: Off, power removed.
 * @VFIO_EXT_PCI_POWER_STATE_UNKNOWN: The PCI core does not know the state.
 * @VFIO_EXT_PCI_POWER_STATE_ERROR: The device did not answer
 *   (PCI_POWER_ERROR).
 */
enum vfio_ext_pci_power_state {
	VFIO_EXT_PCI_POWER_STATE_D0,
	VFIO_EXT_PCI_POWER_STATE_D1,
	VFIO_EXT_PCI_POWER_STATE_D2,
	VFIO_EXT_PCI_POWER_STATE_D3HOT,
	VFIO_EXT_PCI_POWER_STATE_D3COLD,
	VFIO_EXT_PCI_POWER_STATE_UNKNOWN,
	VFIO_EXT_PCI_POWER_STATE_ERROR,
};

/**
 * enum vfio_ext_runtime_pm - Runtime PM status of a device (power-runtime).
 * @VFIO_EXT_RUNTIME_PM_ACTIVE: Powered for use.
 * @VFIO_EXT_RUNTIME_PM_RESUMING: Resuming.
 * @VFIO_EXT_RUNTIME_PM_SUSPENDED: Runtime suspended.
 * @VFIO_EXT_RUNTIME_PM_SUSPENDING: Suspending.
 * @VFIO_EXT_RUNTIME_PM_BLOCKED: Runtime PM blocked for a system transition
 *   (6.12 and later).
 * @VFIO_EXT_RUNTIME_PM_UNSUPPORTED: Runtime PM disabled or never set up for
 *   the device.
 * @VFIO_EXT_RUNTIME_PM_ERROR: A runtime PM callback failed; runtime PM is
 *   stopped.
 * @VFIO_EXT_RUNTIME_PM_UNKNOWN: A status this module does not know.
 */
enum vfio_ext_runtime_pm {
	VFIO_EXT_RUNTIME_PM_ACTIVE,
	VFIO_EXT_RUNTIME_PM_RESUMING,
	VFIO_EXT_RUNTIME_PM_SUSPENDED,
	VFIO_EXT_RUNTIME_PM_SUSPENDING,
	VFIO_EXT_RUNTIME_PM_BLOCKED,
	VFIO_EXT_RUNTIME_PM_UNSUPPORTED,
	VFIO_EXT_RUNTIME_PM_ERROR,
	VFIO_EXT_RUNTIME_PM_UNKNOWN,
};

enum vfio_ext_nl_attr {
	VFIO_EXT_A_PAD = 1,
	VFIO_EXT_A_DEV_NAME,
	VFIO_EXT_A_DEV_VENDOR,
	VFIO_EXT_A_DEV_DEVICE,
	VFIO_EXT_A_DEV_IOMMU_GROUP,
	VFIO_EXT_A_DEV_DRIVER,
	VFIO_EXT_A_DEV_REGIONS,
	VFIO_EXT_A_DEV_IRQS,
	VFIO_EXT_A_DEV_OPEN,
	VFIO_EXT_A_DEV_OPENER_PID,
	VFIO_EXT_A_DEV_KVM_PID,
	VFIO_EXT_A_DEV_ACPI_PATH,
	VFIO_EXT_A_DSM_POLICY,
	VFIO_EXT_A_DSM_CALLS,
	VFIO_EXT_A_DSM_DENIED,
	VFIO_EXT_A_NOTIFY_HANDLER,
	VFIO_EXT_A_NOTIFY_EVENTFD,
	VFIO_EXT_A_NOTIFY_CHANNEL,
	VFIO_EXT_A_NOTIFY_COUNT,
	VFIO_EXT_A_NOTIFY_LOOPBACK_REFUSED,
	VFIO_EXT_A_POWER_STATE,
	VFIO_EXT_A_POWER_RUNTIME,
	VFIO_EXT_A_POWER_LOW_POWER,
	VFIO_EXT_A_EVENT_TYPE,
	VFIO_EXT_A_EVENT_SEQ,
	VFIO_EXT_A_EVENT_TIMESTAMP,
	VFIO_EXT_A_NOTIFY_VALUE,
	VFIO_EXT_A_NOTIFY_LOOPBACK,
	VFIO_EXT_A_PVIOMMU_ID,
	VFIO_EXT_A_PVIOMMU_OWNER_PID,
	VFIO_EXT_A_PVIOMMU_MAPPINGS,
	VFIO_EXT_A_PVIOMMU_DEF_MAPPINGS,
	VFIO_EXT_A_PVIOMMU_PINNED,
	VFIO_EXT_A_PVIOMMU_DMA_LIMIT,
	VFIO_EXT_A_PVIOMMU_COUNTERS,
	VFIO_EXT_A_PVIOMMU_ENDPOINTS,
	VFIO_EXT_A_PVIOMMU_DOMAINS,
	VFIO_EXT_A_FAULT_DOMAIN,
	VFIO_EXT_A_FAULT_IOVA,
	VFIO_EXT_A_FAULT_FLAGS,

	__VFIO_EXT_A_MAX,
	VFIO_EXT_A_MAX = (__VFIO_EXT_A_MAX - 1)
};

enum vfio_ext_nl_region_attr {
	VFIO_EXT_REGION_A_PAD = 1,
	VFIO_EXT_REGION_A_INDEX,
	VFIO_EXT_REGION_A_SIZE,
	VFIO_EXT_REGION_A_FLAGS,

	__VFIO_EXT_REGION_A_MAX,
	VFIO_EXT_REGION_A_MAX = (__VFIO_EXT_REGION_A_MAX - 1)
};

enum vfio_ext_nl_irq_attr {
	VFIO_EXT_IRQ_A_INDEX = 1,
	VFIO_EXT_IRQ_A_COUNT,

	__VFIO_EXT_IRQ_A_MAX,
	VFIO_EXT_IRQ_A_MAX = (__VFIO_EXT_IRQ_A_MAX - 1)
};

enum vfio_ext_nl_endpoint_attr {
	VFIO_EXT_EP_A_GROUP = 1,
	VFIO_EXT_EP_A_DEV_NAME,
	VFIO_EXT_EP_A_VSID,
	VFIO_EXT_EP_A_DOMAIN,

	__VFIO_EXT_EP_A_MAX,
	VFIO_EXT_EP_A_MAX = (__VFIO_EXT_EP_A_MAX - 1)
};

enum vfio_ext_nl_domain_attr {
	VFIO_EXT_DOM_A_ID = 1,
	VFIO_EXT_DOM_A_MAPPINGS,
	VFIO_EXT_DOM_A_ENDPOINTS,

	__VFIO_EXT_DOM_A_MAX,
	VFIO_EXT_DOM_A_MAX = (__VFIO_EXT_DOM_A_MAX - 1)
};

enum vfio_ext_nl_counter_attr {
	VFIO_EXT_CNT_A_PAD = 1,
	VFIO_EXT_CNT_A_MAP,
	VFIO_EXT_CNT_A_UNMAP,
	VFIO_EXT_CNT_A_MAP_FAILED,
	VFIO_EXT_CNT_A_UNMAP_FAILED,
	VFIO_EXT_CNT_A_VIOMMU_REQUESTS,
	VFIO_EXT_CNT_A_VIOMMU_FAILED,
	VFIO_EXT_CNT_A_FAULTS,

	__VFIO_EXT_CNT_A_MAX,
	VFIO_EXT_CNT_A_MAX = (__VFIO_EXT_CNT_A_MAX - 1)
};

enum vfio_ext_nl_cmd {
	VFIO_EXT_CMD_DEV_GET = 1,
	VFIO_EXT_CMD_DSM_POLICY_SET,
	VFIO_EXT_CMD_PVIOMMU_GET,
	VFIO_EXT_CMD_EVENT,

	__VFIO_EXT_CMD_MAX,
	VFIO_EXT_CMD_MAX = (__VFIO_EXT_CMD_MAX - 1)
};

#define VFIO_EXT_MCGRP_EVENTS	"events"
/* YNL-GEN END */

/**
 * struct vfio_ext_pviommu_viommu - argument of VFIO_EXT_PVIOMMU_VIOMMU
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_PVIOMMU_VIOMMU_SIZE_VER0)
 * @flags: VFIO_EXT_VIOMMU_F_BOOT_BYPASS: endpoints that the guest has not
 *         attached reach guest memory through the container's own
 *         mappings until the driver says otherwise (the config field
 *         bypass starts at 1); without it they are blocked (bypass 0);
 *         every device reset (status 0) starts there again
 * @probe_size: size of PROBE's property area the device announces; 0 for
 *              the default (512); at most 4096, a multiple of 4
 * @max_queue: largest queue size the device accepts; 0 for the default
 *             (256); a power of two, at most 1024
 *
 * The device is the virtio-iommu device (virtio device ID 23) serving the
 * guest's requests on this container: its endpoint IDs are the virtual
 * stream IDs given with VFIO_EXT_PVIOMMU_ATTACH, its domains are guest
 * domains of the container, its MAP requests pin and account pages of the
 * memory table exactly as VFIO_IOMMU_MAP_DMA does.
 */
struct vfio_ext_pviommu_viommu {
	__u32 argsz;
	__u32 flags;
#define VFIO_EXT_VIOMMU_F_BOOT_BYPASS	(1 << 0)
	__u32 probe_size;
	__u32 max_queue;
};

/**
 * VFIO_EXT_PVIOMMU_VIOMMU_SIZE_VER0 - first version of struct
 * vfio_ext_pviommu_viommu
 */
#define VFIO_EXT_PVIOMMU_VIOMMU_SIZE_VER0	16

/**
 * VFIO_EXT_PVIOMMU_VIOMMU - create the container's in-kernel virtio-iommu
 * device; returns a new file descriptor speaking the vhost / vhost-vdpa
 * uAPI of <linux/vhost.h> (see Documentation/virtio.rst).
 *
 * One device per container (EBUSY for a second), created by the
 * container's owner (EPERM from another address space) once at least one
 * group is attached (ENODEV).  While it exists, endpoints belong to the
 * guest: VFIO_EXT_PVIOMMU_ATTACH only names endpoints (domain 0).
 * Argument errors: EINVAL argsz below the first version, unknown flags,
 * sizes out of range; E2BIG argsz above the page size or non-zero bytes
 * beyond the known fields.
 */
#define VFIO_EXT_PVIOMMU_VIOMMU		_IO(VFIO_EXT_IOCTL_TYPE, 0x15)

/* ------------------------------------------------------------------ */
/* In-kernel virtio device fd: device state (save and load)           */
/* ------------------------------------------------------------------ */

/**
 * struct vfio_ext_virtio_state - argument of VFIO_EXT_VIRTIO_DEVICE_STATE
 * @argsz: bytes of this structure the caller has (at least
 *         VFIO_EXT_VIRTIO_STATE_SIZE_VER0)
 * @flags: exactly one of VFIO_EXT_VIRTIO_STATE_SAVE (write the state to
 *         @fd) and VFIO_EXT_VIRTIO_STATE_LOAD (read it from @fd)
 * @fd: a pipe, socket or file open for writing (SAVE) or reading (LOAD);
 *      the state is written or read at its position, which moves past it
 * @reserved: 0
 */
struct vfio_ext_virtio_state {
	__u32 argsz;
	__u32 flags;
#define VFIO_EXT_VIRTIO_STATE_SAVE	(1 << 0)
#define VFIO_EXT_VIRTIO_STATE_LOAD	(1 << 1)
	__s32 fd;
	__u32 reserved;
};

/**
 * VFIO_EXT_VIRTIO_STATE_SIZE_VER0 - first version of struct
 * vfio_ext_virtio_state
 */
#define VFIO_EXT_VIRTIO_STATE_SIZE_VER0	16

/**
 * VFIO_EXT_VIRTIO_DEVICE_STATE - save or load an in-kernel virtio device's
 * internal state (the device fd of VFIO_EXT_PVIOMMU_VIOMMU), as
 * vhost-user's SET_DEVICE_STATE_FD
 *
 * The owner only (EPERM).  SAVE serialises the state (the format below,
 * Documentation/virtio.rst "Device state") and writes all of it to @fd;
 * LOAD reads one whole blob from @fd, validates all of it, then applies
 * it.  Both return the blob's size in bytes.  Either is EBUSY while the
 * device runs (DRIVER_OK and not suspended); LOAD is also EBUSY when the
 * device already has guest state.  Argument errors: EINVAL (argsz, flags
 * not exactly one of the two, @reserved), E2BIG (argsz), EBADF (@fd not
 * open for that direction).  What LOAD refuses in a blob, each with its
 * errno, and nothing pinned or mapped: Documentation/virtio.rst.
 */
#define VFIO_EXT_VIRTIO_DEVICE_STATE	_IO(VFIO_EXT_IOCTL_TYPE, 0x20)

/*
 * The device-state format: little endian, a header, then sections, each a
 * struct vfio_ext_state_sec and its body (a multiple of 8 bytes).  Version
 * rules: a loader refuses another major version; of a newer minor it skips
 * header bytes beyond what it knows, bytes of a record beyond the record
 * size it knows, and sections of types it does not know unless they are
 * VFIO_EXT_STATE_SEC_F_MANDATORY (then it refuses the blob).
 */

/** VFIO_EXT_STATE_MAGIC - first 4 bytes of a state blob ("VXST") */
#define VFIO_EXT_STATE_MAGIC	0x54535856
/** VFIO_EXT_STATE_MAJOR - format major version: a loader refuses others */
#define VFIO_EXT_STATE_MAJOR	1
/** VFIO_EXT_STATE_MINOR - format minor version: compatible additions */
#define VFIO_EXT_STATE_MINOR	0

/**
 * struct vfio_ext_state_hdr - a state blob's header
 * @magic: VFIO_EXT_STATE_MAGIC
 * @major: VFIO_EXT_STATE_MAJOR
 * @minor: VFIO_EXT_STATE_MINOR of the writer
 * @hdr_size: bytes of the header, where the first section starts (at
 *            least 32, a multiple of 8)
 * @device_id: the virtio device ID (23: virtio-iommu)
 * @total_size: bytes of the whole blob, header included
 * @reserved: 0
 */
struct vfio_ext_state_hdr {
	__le32 magic;
	__le16 major;
	__le16 minor;
	__le32 hdr_size;
	__le32 device_id;
	__le64 total_size;
	__le64 reserved;
};

/**
 * struct vfio_ext_state_sec - a section's header
 * @type: VFIO_EXT_VIOMMU_SEC_*
 * @flags: VFIO_EXT_STATE_SEC_F_MANDATORY: a loader that does not know
 *         @type must refuse the blob; otherwise it skips the section
 * @size: bytes of the body that follows (a multiple of 8)
 */
struct vfio_ext_state_sec {
	__le32 type;
	__le32 flags;
#define VFIO_EXT_STATE_SEC_F_MANDATORY	(1 << 0)
	__le64 size;
};

/* Sections of the virtio-iommu's state, each once and all mandatory. */
#define VFIO_EXT_VIOMMU_SEC_CONFIG	1
#define VFIO_EXT_VIOMMU_SEC_DOMAINS	2
#define VFIO_EXT_VIOMMU_SEC_ENDPOINTS	3

/**
 * struct vfio_ext_viommu_state_config - body of VFIO_EXT_VIOMMU_SEC_CONFIG
 * @features: the features the driver negotiated (0: not negotiated)
 * @input_start: input_range.start the driver accepted
 * @input_end: input_range.end the driver accepted
 * @domain_start: domain_range.start the driver accepted
 * @domain_end: domain_range.end the driver accepted
 * @probe_size: config probe_size
 * @bypass: config bypass
 * @reserved: 0
 */
struct vfio_ext_viommu_state_config {
	__le64 features;
	__le64 input_start;
	__le64 input_end;
	__le32 domain_start;
	__le32 domain_end;
	__le32 probe_size;
	__u8 bypass;
	__u8 reserved[3];
};

/**
 * struct vfio_ext_viommu_state_domains - body of VFIO_EXT_VIOMMU_SEC_DOMAINS
 * @nr_domains: domain records that follow
 * @domain_size: bytes of a domain record (at least 16)
 * @map_size: bytes of a mapping record (at least 32)
 *
 * Each domain record (struct vfio_ext_viommu_state_domain) is followed by
 * its @nr_maps mapping records (struct vfio_ext_viommu_state_map), in
 * ascending IOVA order.
 */
struct vfio_ext_viommu_state_domains {
	__le32 nr_domains;
	__le16 domain_size;
	__le16 map_size;
};

/**
 * struct vfio_ext_viommu_state_domain - a guest domain
 * @id: the guest's domain ID
 * @flags: VFIO_EXT_VIOMMU_STATE_DOM_BYPASS: attached with
 *         VIRTIO_IOMMU_ATTACH_F_BYPASS (then no mappings)
 * @nr_maps: mapping records that follow
 */
struct vfio_ext_viommu_state_domain {
	__le32 id;
	__le32 flags;
#define VFIO_EXT_VIOMMU_STATE_DOM_BYPASS	(1 << 0)
	__le64 nr_maps;
};

/**
 * struct vfio_ext_viommu_state_map - a mapping of a guest domain
 * @iova_start: first IOVA
 * @iova_last: last IOVA (inclusive)
 * @gpa: guest-physical address of @iova_start
 * @flags: VIRTIO_IOMMU_MAP_F_READ and/or VIRTIO_IOMMU_MAP_F_WRITE
 * @reserved: 0
 */
struct vfio_ext_viommu_state_map {
	__le64 iova_start;
	__le64 iova_last;
	__le64 gpa;
	__le32 flags;
	__le32 reserved;
};

/**
 * struct vfio_ext_viommu_state_endpoints - body of
 * VFIO_EXT_VIOMMU_SEC_ENDPOINTS
 * @nr_endpoints: endpoint records that follow
 * @endpoint_size: bytes of an endpoint record (at least 8)
 *
 * One record (struct vfio_ext_viommu_state_endpoint) per endpoint in a
 * domain; an endpoint no domain holds is not listed.
 */
struct vfio_ext_viommu_state_endpoints {
	__le32 nr_endpoints;
	__le32 endpoint_size;
};

/**
 * struct vfio_ext_viommu_state_endpoint - an endpoint and its domain
 * @endpoint: the endpoint ID (the virtual stream ID)
 * @domain: the guest domain ID it is attached to
 */
struct vfio_ext_viommu_state_endpoint {
	__le32 endpoint;
	__le32 domain;
};

#endif /* _UAPI_LINUX_VFIO_EXT_H */
