// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: what the whole library shares: its version, the objects
 * that are one file descriptor, and the pure helpers of internal.h.
 * See vfioext.h for the contract of each function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
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
