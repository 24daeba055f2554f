/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host policy for _DSM evaluation: which UUIDs and functions a VMM may
 * evaluate on a device.  Pure logic, KUnit-tested on UML.
 */
#ifndef _VFIO_EXT_POLICY_H
#define _VFIO_EXT_POLICY_H

#include <linux/types.h>
#include <linux/uuid.h>

#define VFIO_EXT_DSM_MAX_RULES	16

/**
 * struct vfio_ext_dsm_rule - functions allowed for one UUID (or any)
 * @guid: the UUID, unless @any_guid
 * @any_guid: the rule applies to every UUID ("*")
 * @funcs: bitmap of allowed functions 0..63
 * @all_funcs: every function, including those above 63
 */
struct vfio_ext_dsm_rule {
	guid_t guid;
	bool any_guid;
	bool all_funcs;
	u64 funcs;
};

/**
 * struct vfio_ext_dsm_policy - allow rules; anything not allowed is denied
 * @nr: number of rules in use
 * @rules: the rules
 */
struct vfio_ext_dsm_policy {
	unsigned int nr;
	struct vfio_ext_dsm_rule rules[VFIO_EXT_DSM_MAX_RULES];
};

void vfio_ext_dsm_policy_default(struct vfio_ext_dsm_policy *p);
bool vfio_ext_dsm_policy_allows(const struct vfio_ext_dsm_policy *p,
				const guid_t *guid, u64 func);
int vfio_ext_dsm_policy_apply(struct vfio_ext_dsm_policy *p, const char *cmd);
int vfio_ext_dsm_policy_show(const struct vfio_ext_dsm_policy *p, char *buf,
			     size_t len);
int vfio_ext_dsm_policy_param(struct vfio_ext_dsm_policy *p,
			      const char *param, u16 vendor, u16 device,
			      const char **bad, size_t *bad_len);
int vfio_ext_dsm_policy_param_check(struct vfio_ext_dsm_policy *scratch,
				    const char *param, const char **bad,
				    size_t *bad_len);

#endif /* _VFIO_EXT_POLICY_H */
