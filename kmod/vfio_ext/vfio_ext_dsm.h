/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The crosvm _DSM argument layout (see <linux/vfio_ext.h>): decoding a
 * call into ACPI objects and encoding a result back.  Pure logic: no PCI,
 * no ACPI evaluation, so the KUnit suite runs it on UML.
 */
#ifndef _VFIO_EXT_DSM_H
#define _VFIO_EXT_DSM_H

#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/acpi.h>

/**
 * struct vfio_ext_dsm_call - a decoded _DSM call
 * @guid: Arg0
 * @rev: Arg1
 * @func: Arg2
 * @arg3: Arg3, or NULL for none; points into @objs
 * @objs: Arg3 and, for a Package, its elements; String and Buffer objects
 *        point into the args buffer, which must outlive the call
 */
struct vfio_ext_dsm_call {
	guid_t guid;
	u64 rev;
	u64 func;
	union acpi_object *arg3;
	union acpi_object *objs;
};

int vfio_ext_dsm_decode(const u8 *args, size_t len,
			struct vfio_ext_dsm_call *call);
void vfio_ext_dsm_call_free(struct vfio_ext_dsm_call *call);
int vfio_ext_dsm_encode(const union acpi_object *obj, u8 *args, size_t len,
			size_t *used);

#endif /* _VFIO_EXT_DSM_H */
