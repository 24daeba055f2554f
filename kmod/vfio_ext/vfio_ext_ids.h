/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsing of the "ids=" module parameter of vfio-pci-ext.
 *
 * Pure logic (no PCI, no VFIO), so the KUnit suite runs it on UML.
 */
#ifndef _VFIO_EXT_IDS_H
#define _VFIO_EXT_IDS_H

#include <linux/types.h>

/**
 * struct vfio_ext_pci_id - one entry of the ids= module parameter
 * @vendor: PCI vendor ID, 0..0xffff or PCI_ANY_ID
 * @device: PCI device ID, 0..0xffff or PCI_ANY_ID
 * @subvendor: PCI subsystem vendor ID, 0..0xffff or PCI_ANY_ID
 * @subdevice: PCI subsystem device ID, 0..0xffff or PCI_ANY_ID
 * @class: 24-bit class code to match (with @class_mask)
 * @class_mask: which bits of @class must match
 */
struct vfio_ext_pci_id {
	u32 vendor;
	u32 device;
	u32 subvendor;
	u32 subdevice;
	u32 class;
	u32 class_mask;
};

int vfio_ext_ids_next(const char **cursor, struct vfio_ext_pci_id *id);

#endif /* _VFIO_EXT_IDS_H */
