/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfio-ext internals: pure helpers, hidden from the shared object's
 * exported symbols (version script) but linkable from the static library,
 * where the host unit tests exercise them.
 */
#ifndef VFIOEXT_INTERNAL_H
#define VFIOEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

#define VFIOEXT_HIDDEN __attribute__((visibility("hidden")))

/* vfioext.c: containers, groups and devices are each one fd. */
struct vfioext_container {
	int fd;
};

struct vfioext_group {
	int fd;
};

struct vfioext_device {
	int fd;
};

/*
 * A new object of @size bytes whose first member (an int) is @fd: one
 * allocator and one destructor serve containers, groups and devices.
 * Return: the object, or NULL (out of memory) with @fd closed.
 */
VFIOEXT_HIDDEN void *vfioext_fd_object(int fd, size_t size);
/* Close the fd an object starts with and free it (NULL is ignored). */
VFIOEXT_HIDDEN void vfioext_fd_object_close(int *obj);

/* Largest struct_size of a size-first struct looked at (as the kernel). */
#define VFIOEXT_STRUCT_MAX		4096
/* vhost's default max_mem_regions, the virtio device's memory table limit. */
#define VFIOEXT_VIOMMU_MAX_REGIONS	64
/* A virtio config space is at most a page (the device's is far smaller). */
#define VFIOEXT_VIRTIO_CONFIG_MAX	4096

/*
 * vfioext.c: a size-first struct the caller passes in (vfioext.h,
 * "Structs that grow"): @user is @user_size bytes as the caller knows
 * the struct; copy what this library knows of it into @known
 * (@known_size bytes, zero-filled where the caller's struct is shorter).
 * Return: 0; -EINVAL when @user_size is below @min_size (the struct's
 * first version); -E2BIG when a byte past @known_size is not zero (a
 * newer caller asks for something this library cannot do).
 */
VFIOEXT_HIDDEN int vfioext_struct_in(void *known, size_t known_size,
				     const void *user, size_t user_size,
				     size_t min_size);

/*
 * vfioext.c: one of VFIO's argsz-first info ioctls (@req) on fd @fd with
 * the caller's @info, of info->argsz bytes (vfioext.h, "Structs that
 * grow"): everything after argsz is zeroed, *@index (if not NULL) goes
 * in at byte 8, then the ioctl runs.  @min_size is the struct's first
 * version, @fixed_size its fixed part as this library knows it: a larger
 * argsz asks for the capability chain too.
 * Return: 0; -EINVAL when argsz is below @min_size; -ENOSPC when argsz
 * left room for capabilities but not enough for all of them (argsz then
 * holds the size needed); the ioctl's -errno.
 */
VFIOEXT_HIDDEN int vfioext_vfio_info(int fd, unsigned long req, void *info,
				     size_t min_size, size_t fixed_size,
				     const uint32_t *index);

/*
 * vfioext_acpi.c: an ACPI object.  @type says which fields are meaningful:
 * @integer; @string (NUL-terminated, @length its strlen); @buffer
 * (@length bytes, one more allocated); @elements (@count slots).
 */
struct vfioext_acpi_obj {
	int type;
	uint64_t integer;
	char *string;
	uint8_t *buffer;
	size_t length;
	struct vfioext_acpi_obj **elements;
	size_t count;
};

/* vfioext_container.c: what vfioext_iommu_get_info() returns. */
struct vfioext_iommu_info {
	uint64_t pgsizes;
	uint32_t dma_avail;
	size_t nr_ranges;
	struct vfioext_iommu_info_range {
		uint64_t start;
		uint64_t end;
	} *ranges;			/* nr_ranges, malloc'ed */
};

/*
 * Find capability @id in a VFIO info buffer of @len bytes whose chain
 * starts at @cap_offset (0: no chain).  Every header and every @min_size
 * body is checked to lie inside the buffer, offsets must be 4-byte aligned
 * (read u64 fields of a capability with memcpy(): see vfioext_cap_find())
 * and strictly increasing (so a hostile or corrupt chain cannot loop).
 * Return: the header, or NULL if absent or malformed.
 */
VFIOEXT_HIDDEN const struct vfio_info_cap_header *
vfioext_cap_find(const void *buf, size_t len, uint32_t cap_offset,
		 uint16_t id, size_t min_size);

/* True when [iova, iova + size) is non-empty, aligned to @align and does
 * not wrap; @align must be a power of two.
 */
VFIOEXT_HIDDEN int vfioext_range_ok(uint64_t iova, uint64_t size,
				    uint64_t align);

/* vfioext_pci.c: read/write a small sysfs attribute; bytes or -errno. */
VFIOEXT_HIDDEN int vfioext_sysfs_read(const char *path, char *buf,
				      size_t len);
VFIOEXT_HIDDEN int vfioext_sysfs_write(const char *path, const char *val);

struct nlmsghdr;
struct vfioext_nl_dev;
struct vfioext_nl_pviommu;
struct vfioext_nl_event;

/*
 * The kernel's extended ACK message in an NLMSG_ERROR message @h (with or
 * without the echoed request), bounds-checked; "" and 0 when there is
 * none or the message is malformed.  Return: the length copied.
 */
VFIOEXT_HIDDEN size_t vfioext_nl_extack_msg(const struct nlmsghdr *h,
					    char *buf, size_t len);
/*
 * Decode one vfio-ext reply into a new description (free it with its
 * public *_free()), or one event into *@ev: -EPROTO when malformed (wrong
 * attribute sizes, missing identity attribute), -ENOMEM.
 */
VFIOEXT_HIDDEN int vfioext_nl_parse_dev(struct nlmsghdr *h,
					struct vfioext_nl_dev **out);
VFIOEXT_HIDDEN int vfioext_nl_parse_pviommu(struct nlmsghdr *h,
					    struct vfioext_nl_pviommu **out);
VFIOEXT_HIDDEN int vfioext_nl_parse_event(struct nlmsghdr *h,
					  struct vfioext_nl_event *ev);
/*
 * A handle over socket pairs for the host unit tests: @fd carries the
 * requests and replies, @ev_fd (or -1) the events; the peer plays the
 * kernel (messages are taken from any sender), @family its id.
 */
struct vfioext_nl;
VFIOEXT_HIDDEN int vfioext_nl_fake_open(int fd, int ev_fd, int family,
					struct vfioext_nl **out);
/*
 * The event in one datagram of the events group (@family's id): -EAGAIN
 * when it holds none (another family or command: skipped), -EPROTO.
 */
VFIOEXT_HIDDEN int vfioext_nl_event_decode(void *buf, size_t len, int family,
					   struct vfioext_nl_event *ev);

#endif /* VFIOEXT_INTERNAL_H */
