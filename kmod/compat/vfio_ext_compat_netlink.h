/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-version differences of generic netlink.
 */
#ifndef _VFIO_EXT_COMPAT_NETLINK_H
#define _VFIO_EXT_COMPAT_NETLINK_H

#include <net/genetlink.h>
#include "vfio_ext_compat_version.h"

/**
 * vfio_ext_genl_dump_attrs() - the parsed attributes of a dump request
 * @cb: the dump's callback state
 *
 * struct genl_dumpit_info (6.1) became struct genl_info (6.6).
 *
 * Return: the attribute table parsed against the command's policy.
 */
static inline struct nlattr **
vfio_ext_genl_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
	return genl_dumpit_info(cb)->attrs;
#else
	return genl_info_dump(cb)->attrs;
#endif
}

/*
 * A multicast group only CAP_NET_ADMIN may join: GENL_MCAST_CAP_NET_ADMIN
 * (6.8, backported to 6.1.y and 6.6.y stable).  A kernel without it would
 * let every user join the events group: refuse to build rather than leak.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define VFIO_EXT_GENL_MCAST_CAP_NET_ADMIN	GENL_MCAST_CAP_NET_ADMIN
#else
#error "vfio-pci-ext needs GENL_MCAST_CAP_NET_ADMIN (Linux 6.8, 6.6.y, 6.1.y stable)"
#endif

#endif /* _VFIO_EXT_COMPAT_NETLINK_H */
