/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of struct file reference counting.
 */
#ifndef _VFIO_EXT_COMPAT_FS_H
#define _VFIO_EXT_COMPAT_FS_H

#include <linux/fs.h>
#include "vfio_ext_compat_version.h"

/**
 * vfio_ext_file_tryget() - take a reference on @file unless it is dying
 * @file: a file whose memory is known to be live (its release has not
 *	  finished), though its count may already have reached zero
 *
 * get_file_rcu() took the file until 6.7, a pointer to an RCU-protected
 * file pointer from then; 6.13 replaced f_count with file_ref_t.
 *
 * Return: true if a reference was taken.
 */
static inline bool vfio_ext_file_tryget(struct file *file)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	return get_file_rcu(file);
#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
	return atomic_long_inc_not_zero(&file->f_count);
#else
	return file_ref_get(&file->f_ref);
#endif
}

#endif /* _VFIO_EXT_COMPAT_FS_H */
