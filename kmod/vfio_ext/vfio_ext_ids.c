// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parsing of the "ids=" module parameter of vfio-pci-ext.
 *
 * Same format as vfio-pci's ids= ("vendor:device[:subvendor[:subdevice
 * [:class[:class_mask]]]]", hexadecimal, entries separated by commas), but
 * strict: vfio-pci's sscanf() accepts trailing garbage and out-of-range
 * values, which silently match the wrong devices.  Here every field must be
 * 1 to 8 hex digits, IDs must fit 16 bits (or be PCI_ANY_ID, ffffffff) and
 * class/class_mask 24 bits; anything else rejects the whole entry.
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/mod_devicetable.h>
#include <linux/string.h>

#include "vfio_ext_ids.h"

#define VFIO_EXT_ID_FIELDS	6
#define VFIO_EXT_ID_MAXDIGITS	8

static int vfio_ext_parse_hex(const char *s, size_t len, u32 *val)
{
	char buf[VFIO_EXT_ID_MAXDIGITS + 1];

	if (!len || len > VFIO_EXT_ID_MAXDIGITS)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* kstrtou32 would accept a "0x" prefix and a trailing newline. */
	while (len--) {
		if (!isxdigit(buf[len]))
			return -EINVAL;
	}
	return kstrtou32(buf, 16, val);
}

static bool vfio_ext_id16_ok(u32 v)
{
	return v <= 0xffff || v == PCI_ANY_ID;
}

static int vfio_ext_parse_entry(const char *s, size_t len,
				struct vfio_ext_pci_id *id)
{
	u32 f[VFIO_EXT_ID_FIELDS] = { 0, 0, PCI_ANY_ID, PCI_ANY_ID, 0, 0 };
	unsigned int n = 0;
	const char *end = s + len;
	int ret;

	while (s <= end) {
		const char *colon = memchr(s, ':', end - s);
		const char *fend = colon ? colon : end;

		if (n == VFIO_EXT_ID_FIELDS)
			return -EINVAL;
		ret = vfio_ext_parse_hex(s, fend - s, &f[n]);
		if (ret)
			return ret;
		n++;
		if (!colon)
			break;
		s = colon + 1;
	}
	if (n < 2)
		return -EINVAL;
	if (!vfio_ext_id16_ok(f[0]) || !vfio_ext_id16_ok(f[1]) ||
	    !vfio_ext_id16_ok(f[2]) || !vfio_ext_id16_ok(f[3]))
		return -ERANGE;
	if (f[4] > 0xffffff || f[5] > 0xffffff)
		return -ERANGE;

	id->vendor = f[0];
	id->device = f[1];
	id->subvendor = f[2];
	id->subdevice = f[3];
	id->class = f[4];
	id->class_mask = f[5];
	return 0;
}

/**
 * vfio_ext_ids_next() - parse the next entry of an ids= string
 * @cursor: position in the NUL-terminated string; advanced past the entry
 * @id: filled with the entry on success
 *
 * Empty entries (",,", leading or trailing commas) are skipped.  After an
 * error the cursor is past the bad entry, so the caller can report it and
 * continue with the next one.
 *
 * Return: 1 when @id holds an entry, 0 at the end of the string, -EINVAL
 * for a malformed entry, -ERANGE for a value out of range.
 */
int vfio_ext_ids_next(const char **cursor, struct vfio_ext_pci_id *id)
{
	const char *s = *cursor;
	const char *comma;
	size_t len;
	int ret;

	while (*s == ',')
		s++;
	if (!*s) {
		*cursor = s;
		return 0;
	}
	comma = strchrnul(s, ',');
	len = comma - s;
	*cursor = *comma ? comma + 1 : comma;

	ret = vfio_ext_parse_entry(s, len, id);
	return ret ? ret : 1;
}
