// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: what the whole library shares: its version, the objects
 * that are one file descriptor, and the pure helpers of internal.h.
 * See vfioext.h for the contract of each function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfioext.h"
#include "internal.h"

#ifndef VFIOEXT_VERSION_STRING
#define VFIOEXT_VERSION_STRING "0.0.0"
#endif

/*
 * Containers, groups and devices are each one fd, the first member of
 * their struct: one allocator and one destructor serve all three.
 */
void *vfioext_fd_object(int fd, size_t size)
{
	int *obj = calloc(1, size);

	if (!obj) {
		close(fd);
		return NULL;
	}
	*obj = fd;
	return obj;
}

void vfioext_fd_object_close(int *obj)
{
	if (!obj)
		return;
	close(*obj);
	free(obj);
}

int vfioext_struct_in(void *known, size_t known_size, const void *user,
		      size_t user_size, size_t min_size)
{
	const unsigned char *tail = (const unsigned char *)user + known_size;
	size_t i;

	if (user_size < min_size)
		return -EINVAL;
	if (user_size > known_size) {
		/* As the kernel's copy_struct_from_user(). */
		for (i = 0; i < user_size - known_size; i++)
			if (tail[i])
				return -E2BIG;
		user_size = known_size;
	}
	memset(known, 0, known_size);
	memcpy(known, user, user_size);
	return 0;
}

int vfioext_vfio_info(int fd, unsigned long req, void *info, size_t min_size,
		      size_t fixed_size, const uint32_t *index)
{
	uint32_t argsz, needed;

	memcpy(&argsz, info, sizeof(argsz));
	if (argsz < min_size)
		return -EINVAL;
	memset((char *)info + sizeof(argsz), 0, argsz - sizeof(argsz));
	if (index)
		memcpy((char *)info + 8, index, sizeof(*index));
	if (ioctl(fd, req, info))
		return -errno;
	/*
	 * VFIO leaves argsz alone when everything fit, and raises it to the
	 * size needed when the capabilities did not (cap_offset 0 then).
	 */
	memcpy(&needed, info, sizeof(needed));
	if (needed > argsz && argsz > fixed_size)
		return -ENOSPC;
	return 0;
}

const char *vfioext_version(void)
{
	return VFIOEXT_VERSION_STRING;
}

/* ------------------------------------------------------------------ */
/* Pure helpers                                                       */
/* ------------------------------------------------------------------ */

const struct vfio_info_cap_header *
vfioext_cap_find(const void *buf, size_t len, uint32_t cap_offset,
		 uint16_t id, size_t min_size)
{
	const struct vfio_info_cap_header *hdr;
	uint64_t off = cap_offset;
	uint64_t prev = 0;

	if (min_size < sizeof(*hdr))
		min_size = sizeof(*hdr);

	while (off) {
		/* Strictly increasing offsets: a chain cannot loop. */
		/*
		 * 4-aligned only: Linux before 6.7 packs capabilities
		 * unpadded (type1's 12-byte DMA_AVAIL misaligns the next
		 * one), so callers read u64 fields with memcpy().
		 */
		if (off <= prev || off % 4 || off > len || len - off < min_size)
			return NULL;
		hdr = (const void *)((const char *)buf + off);
		if (hdr->id == id)
			return hdr;
		prev = off;
		off = hdr->next;
	}
	return NULL;
}

int vfioext_range_ok(uint64_t iova, uint64_t size, uint64_t align)
{
	if (!size || !align || (align & (align - 1)))
		return 0;
	if ((iova | size) & (align - 1))
		return 0;
	return iova + size - 1 >= iova;
}
