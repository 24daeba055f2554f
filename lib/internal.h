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
 * Decode one vfio-ext reply or event (generic netlink message of the
 * family) into the library's structures: -EPROTO when malformed (wrong
 * attribute sizes, missing identity attribute), -ENOMEM.  A failed
 * parse may leave allocations behind: free with the *_clear() call.
 */
VFIOEXT_HIDDEN int vfioext_nl_parse_dev(struct nlmsghdr *h,
					struct vfioext_nl_dev *d);
VFIOEXT_HIDDEN int vfioext_nl_parse_pviommu(struct nlmsghdr *h,
					    struct vfioext_nl_pviommu *p);
VFIOEXT_HIDDEN int vfioext_nl_parse_event(struct nlmsghdr *h,
					  struct vfioext_nl_event *ev);
/*
 * The event in one datagram of the events group (@family's id): -EAGAIN
 * when it holds none (another family or command: skipped), -EPROTO.
 */
VFIOEXT_HIDDEN int vfioext_nl_event_decode(void *buf, size_t len, int family,
					   struct vfioext_nl_event *ev);

#endif /* VFIOEXT_INTERNAL_H */
