/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Extensible ioctl arguments, the one implementation every vfio-ext
 * module uses (Documentation/uapi.rst, "Versioning").
 *
 * Every argument structure of <linux/vfio_ext.h> starts with __u32 argsz
 * (the bytes the caller has) and __u32 flags.  The rules, those of the
 * kernel's copy_struct_from_user():
 *
 * - argsz below the structure's first version: EINVAL;
 * - argsz above what this kernel knows: accepted when every byte beyond
 *   is zero (a newer binary that uses none of its new fields), E2BIG
 *   otherwise (it asked for something this kernel cannot do); argsz above
 *   VFIO_EXT_UARG_MAX is E2BIG without looking;
 * - argsz below what this kernel knows (an older binary): the missing
 *   fields read as zero, and only argsz bytes are written back;
 * - flags this kernel does not know: EINVAL.
 *
 * Arrays of structures carry their element size and follow the same
 * rules per element (vfio_ext_memdup_uarray()).
 */
#ifndef VFIO_EXT_UARG_H
#define VFIO_EXT_UARG_H

#include <linux/bug.h>
#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

/* Largest argsz (and array element size) looked at: no scan of a huge tail. */
#define VFIO_EXT_UARG_MAX	PAGE_SIZE

/* The header every argument starts with. */
struct vfio_ext_uarg_hdr {
	u32 argsz;
	u32 flags;
};

/**
 * __vfio_ext_get_uarg() - read an extensible ioctl argument
 * @dst: the kernel's copy, @ksize bytes
 * @ksize: size of the structure this kernel knows
 * @minsz: size of the structure's first version (smallest accepted argsz)
 * @known_flags: the flags this kernel knows
 * @uarg: the user's argument, starting with argsz and flags
 *
 * Use vfio_ext_get_uarg().  On success @dst holds the argument, zero
 * beyond the caller's argsz, and its argsz is the one that was checked
 * (a concurrent change of the user's copy is not seen twice).
 *
 * Return: 0; -EFAULT; -EINVAL for argsz below @minsz or an unknown flag;
 * -E2BIG for argsz above VFIO_EXT_UARG_MAX or non-zero bytes beyond
 * @ksize.
 */
static inline int __vfio_ext_get_uarg(void *dst, size_t ksize, size_t minsz,
				      u32 known_flags, const void __user *uarg)
{
	struct vfio_ext_uarg_hdr *hdr = dst;
	u32 argsz;
	int ret;

	if (get_user(argsz, (const u32 __user *)uarg))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	if (argsz > VFIO_EXT_UARG_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(dst, ksize, uarg, argsz);
	if (ret)
		return ret;
	hdr->argsz = argsz;
	if (hdr->flags & ~known_flags)
		return -EINVAL;
	return 0;
}

/**
 * vfio_ext_get_uarg() - read the extensible ioctl argument at @uarg
 * @kptr: pointer to the kernel's structure (argsz at 0, flags at 4)
 * @minsz: size of the structure's first version (at least 8, at most
 *         its size)
 * @known_flags: the flags this kernel knows
 * @uarg: the user pointer
 *
 * Return: as __vfio_ext_get_uarg().
 */
#define vfio_ext_get_uarg(kptr, minsz, known_flags, uarg) ({		\
	typeof(kptr) __uk = (kptr);					\
	const size_t __um = (minsz);					\
	BUILD_BUG_ON(offsetof(typeof(*__uk), argsz) != 0 ||		\
		     offsetof(typeof(*__uk), flags) != 4);		\
	BUILD_BUG_ON(__um < sizeof(struct vfio_ext_uarg_hdr) ||		\
		     __um > sizeof(*__uk));				\
	__vfio_ext_get_uarg(__uk, sizeof(*__uk), __um, known_flags,	\
			    uarg);					\
})

/**
 * vfio_ext_put_uarg() - write an argument read by vfio_ext_get_uarg() back
 * @uarg: the user pointer
 * @kptr: the kernel's structure
 *
 * Writes what both sides know: min(argsz, sizeof(*@kptr)) bytes.
 *
 * Return: 0 or -EFAULT.
 */
#define vfio_ext_put_uarg(uarg, kptr) ({				\
	typeof(kptr) __uk = (kptr);					\
	copy_to_user(uarg, __uk, min_t(size_t, __uk->argsz,		\
				       sizeof(*__uk))) ? -EFAULT : 0;	\
})

/**
 * vfio_ext_memdup_uarray() - read an array of extensible structures once
 * @uptr: the user's array: @nr elements, @usize bytes apart
 * @nr: elements
 * @usize: the caller's element size (its stride)
 * @ksize: size of the element this kernel knows
 * @minsz: size of the element's first version
 * @max_nr: most elements accepted
 *
 * The array is copied in one piece, then each element is checked with
 * the rules of vfio_ext_get_uarg() (argsz there is @usize here): bytes of
 * an element beyond @ksize must be zero, fields beyond @usize read as
 * zero.  The result is a kernel array of @nr elements of @ksize bytes,
 * accounted to the caller's memory cgroup; free it with kvfree().
 *
 * Return: the array (an allocation also for @nr 0: kvfree() it), or
 * ERR_PTR(-EINVAL) for @usize below @minsz, ERR_PTR(-E2BIG) for @usize
 * above VFIO_EXT_UARG_MAX, @nr above @max_nr or an element with non-zero
 * bytes beyond @ksize, ERR_PTR(-EFAULT), ERR_PTR(-ENOMEM).
 */
static inline void *vfio_ext_memdup_uarray(const void __user *uptr, u32 nr,
					   u32 usize, size_t ksize,
					   size_t minsz, u32 max_nr)
{
	size_t ubytes, kbytes, i;
	u8 *ubuf, *kbuf;

	if (usize < minsz)
		return ERR_PTR(-EINVAL);
	if (usize > VFIO_EXT_UARG_MAX || nr > max_nr)
		return ERR_PTR(-E2BIG);
	if (check_mul_overflow((size_t)nr, (size_t)usize, &ubytes) ||
	    check_mul_overflow((size_t)nr, ksize, &kbytes) ||
	    ubytes > INT_MAX || kbytes > INT_MAX)
		return ERR_PTR(-E2BIG);	/* kvmalloc() refuses (and warns) */

	ubuf = kvmalloc(max_t(size_t, ubytes, 1), GFP_KERNEL_ACCOUNT);
	if (!ubuf)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(ubuf, uptr, ubytes)) {
		kvfree(ubuf);
		return ERR_PTR(-EFAULT);
	}
	if (usize == ksize)
		return ubuf;

	kbuf = kvzalloc(max_t(size_t, kbytes, 1), GFP_KERNEL_ACCOUNT);
	if (!kbuf) {
		kvfree(ubuf);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < nr; i++) {
		const u8 *u = ubuf + i * usize;

		if (usize > ksize && memchr_inv(u + ksize, 0, usize - ksize)) {
			kvfree(kbuf);
			kvfree(ubuf);
			return ERR_PTR(-E2BIG);
		}
		memcpy(kbuf + i * ksize, u, min_t(size_t, usize, ksize));
	}
	kvfree(ubuf);
	return kbuf;
}

#endif /* VFIO_EXT_UARG_H */
