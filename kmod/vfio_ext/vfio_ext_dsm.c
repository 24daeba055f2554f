// SPDX-License-Identifier: GPL-2.0-only
/*
 * The crosvm _DSM argument layout: decode a call, encode a result.
 *
 * Everything here comes from user space: every size and count is checked
 * against the buffer before it is used, with 64-bit arithmetic so no sum
 * can wrap, and nothing is read or written outside [args, args + len).
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "vfio_ext_compat_unaligned.h"

#include <linux/vfio_ext.h>
#include "vfio_ext_dsm.h"

#define DSM_HDR		VFIO_EXT_ACPI_DSM_ARGS_MIN	/* UUID, rev, func */
#define DSM_OBJ_HDR	8			/* u32 type, u32 size */

/* Bytes of an argument element's data, padded to 8; 0 if it cannot be. */
static u64 dsm_padded(u32 size)
{
	return round_up((u64)size, 8);
}

/* Decode one String/Buffer/Integer of @size data bytes at @data. */
static int dsm_decode_scalar(u32 type, u32 size, const u8 *data,
			     union acpi_object *obj)
{
	switch (type) {
	case VFIO_EXT_ACPI_DSM_TYPE_INTEGER:
		if (size != 8)
			return -EINVAL;
		obj->integer.type = ACPI_TYPE_INTEGER;
		obj->integer.value = get_unaligned_le64(data);
		return 0;
	case VFIO_EXT_ACPI_DSM_TYPE_STRING:
		/* ACPICA copies length bytes and adds its own NUL. */
		obj->string.type = ACPI_TYPE_STRING;
		obj->string.length = strnlen((const char *)data, size);
		obj->string.pointer = (char *)data;
		return 0;
	case VFIO_EXT_ACPI_DSM_TYPE_BUFFER:
		obj->buffer.type = ACPI_TYPE_BUFFER;
		obj->buffer.length = size;
		obj->buffer.pointer = (u8 *)data;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * vfio_ext_dsm_decode() - decode a call from the args layout
 * @args: the args bytes (a kernel copy; Arg3 objects point into it)
 * @len: their number
 * @call: filled on success; release with vfio_ext_dsm_call_free()
 *
 * Return: 0; -EINVAL for a malformed layout; -E2BIG for a Package of more
 * than VFIO_EXT_ACPI_DSM_MAX_ELEMENTS; -ENOMEM.
 */
int vfio_ext_dsm_decode(const u8 *args, size_t len,
			struct vfio_ext_dsm_call *call)
{
	u32 type, size, i;
	u64 off;
	int ret;

	memset(call, 0, sizeof(*call));
	if (len < DSM_HDR)
		return -EINVAL;
	memcpy(&call->guid, args, sizeof(call->guid));
	call->rev = get_unaligned_le64(args + 16);
	call->func = get_unaligned_le64(args + 24);

	/* No room for an Arg3 header, or type none: no Arg3. */
	if (len < DSM_HDR + DSM_OBJ_HDR)
		return 0;
	type = get_unaligned_le32(args + DSM_HDR);
	size = get_unaligned_le32(args + DSM_HDR + 4);
	off = DSM_HDR + DSM_OBJ_HDR;
	if (type == VFIO_EXT_ACPI_DSM_TYPE_NONE)
		return 0;

	if (type != VFIO_EXT_ACPI_DSM_TYPE_PACKAGE) {
		if ((u64)size > len - off)
			return -EINVAL;
		call->objs = kzalloc(sizeof(*call->objs), GFP_KERNEL);
		if (!call->objs)
			return -ENOMEM;
		ret = dsm_decode_scalar(type, size, args + off, call->objs);
		if (ret) {
			vfio_ext_dsm_call_free(call);
			return ret;
		}
		call->arg3 = call->objs;
		return 0;
	}

	if (size > VFIO_EXT_ACPI_DSM_MAX_ELEMENTS)
		return -E2BIG;
	call->objs = kcalloc(size + 1, sizeof(*call->objs), GFP_KERNEL);
	if (!call->objs)
		return -ENOMEM;
	call->objs[0].package.type = ACPI_TYPE_PACKAGE;
	call->objs[0].package.count = size;
	call->objs[0].package.elements = &call->objs[1];

	for (i = 0; i < size; i++) {
		u32 etype, esize;

		ret = -EINVAL;
		if (len - off < DSM_OBJ_HDR)
			goto err;	/* the count lies */
		etype = get_unaligned_le32(args + off);
		esize = get_unaligned_le32(args + off + 4);
		off += DSM_OBJ_HDR;
		if (dsm_padded(esize) > len - off)
			goto err;	/* the size lies */
		ret = dsm_decode_scalar(etype, esize, args + off,
					&call->objs[i + 1]);
		if (ret)
			goto err;	/* nested Package or unknown type */
		off += dsm_padded(esize);
	}
	call->arg3 = call->objs;
	return 0;
err:
	vfio_ext_dsm_call_free(call);
	return ret;
}

/** vfio_ext_dsm_call_free() - release what vfio_ext_dsm_decode() made */
void vfio_ext_dsm_call_free(struct vfio_ext_dsm_call *call)
{
	kfree(call->objs);
	call->objs = NULL;
	call->arg3 = NULL;
}

/* Size of @obj's data in the result layout; <0 if it cannot be carried. */
static s64 dsm_scalar_size(const union acpi_object *obj, u32 *type)
{
	switch (obj->type) {
	case ACPI_TYPE_INTEGER:
		*type = VFIO_EXT_ACPI_DSM_TYPE_INTEGER;
		return 8;
	case ACPI_TYPE_STRING:
		*type = VFIO_EXT_ACPI_DSM_TYPE_STRING;
		return (s64)obj->string.length + 1;
	case ACPI_TYPE_BUFFER:
		*type = VFIO_EXT_ACPI_DSM_TYPE_BUFFER;
		return obj->buffer.length;
	default:
		return -EOPNOTSUPP;
	}
}

static void dsm_put_scalar(const union acpi_object *obj, u8 *p)
{
	switch (obj->type) {
	case ACPI_TYPE_INTEGER:
		put_unaligned_le64(obj->integer.value, p);
		break;
	case ACPI_TYPE_STRING:
		memcpy(p, obj->string.pointer, obj->string.length);
		p[obj->string.length] = '\0';
		break;
	case ACPI_TYPE_BUFFER:
		memcpy(p, obj->buffer.pointer, obj->buffer.length);
		break;
	}
}

/**
 * vfio_ext_dsm_encode() - write a _DSM result into the args layout
 * @obj: the result (Integer, String, Buffer, or Package of those)
 * @args: the args bytes; the result goes from offset 32
 * @len: their number
 * @used: receives the bytes of @args the result ends at, or would end at
 *        when it does not fit (may be NULL)
 *
 * The whole result is sized before anything is written.
 * Return: 0; -ENOSPC if it does not fit (*@used says how many bytes of
 * args it needs, at most U64_MAX); -EOPNOTSUPP for a type the layout
 * cannot carry (nested Package, reference, ...); -E2BIG for a Package of
 * more than VFIO_EXT_ACPI_DSM_MAX_ELEMENTS.
 */
int vfio_ext_dsm_encode(const union acpi_object *obj, u8 *args, size_t len,
			size_t *used)
{
	u64 need = DSM_HDR + DSM_OBJ_HDR, off;
	u32 type, i;
	s64 sz;

	if (obj->type != ACPI_TYPE_PACKAGE) {
		sz = dsm_scalar_size(obj, &type);
		if (sz < 0)
			return sz;
		if (sz > U32_MAX || need + sz > len) {
			if (used)
				*used = need + sz;
			return -ENOSPC;
		}
		put_unaligned_le32(type, args + DSM_HDR);
		put_unaligned_le32((u32)sz, args + DSM_HDR + 4);
		dsm_put_scalar(obj, args + need);
		if (used)
			*used = need + sz;
		return 0;
	}

	if (obj->package.count > VFIO_EXT_ACPI_DSM_MAX_ELEMENTS)
		return -E2BIG;
	for (i = 0; i < obj->package.count; i++) {
		sz = dsm_scalar_size(&obj->package.elements[i], &type);
		if (sz < 0)
			return sz;
		need += DSM_OBJ_HDR + sz;
	}
	if (need > len) {
		if (used)
			*used = need;
		return -ENOSPC;
	}

	put_unaligned_le32(VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, args + DSM_HDR);
	put_unaligned_le32(obj->package.count, args + DSM_HDR + 4);
	off = DSM_HDR + DSM_OBJ_HDR;
	for (i = 0; i < obj->package.count; i++) {
		const union acpi_object *e = &obj->package.elements[i];

		sz = dsm_scalar_size(e, &type);
		put_unaligned_le32(type, args + off);
		put_unaligned_le32((u32)sz, args + off + 4);
		dsm_put_scalar(e, args + off + DSM_OBJ_HDR);
		off += DSM_OBJ_HDR + sz;
	}
	if (used)
		*used = off;
	return 0;
}
