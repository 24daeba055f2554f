// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host policy for _DSM evaluation.
 *
 * The default allows function 0 of every UUID and nothing else.  Function
 * 0 is, by the ACPI specification, the side-effect-free query of which
 * functions a UUID implements; every other function may change the
 * platform (power, resets, firmware settings), so the administrator opts
 * in per device, UUID and function.
 *
 * Commands (one per write, as to the sysfs attribute dsm_policy):
 *   allow <uuid|*> <list|all>   allow functions; list is "0,2,4-7" (0..63)
 *   deny <uuid|*>               drop the rule for that UUID (or "*")
 *   clear                       deny everything
 *   reset                       back to the default
 *
 * The module parameter dsm_policy= holds commands keyed by PCI ID, applied
 * to every device of that ID when it binds (a device starts from the
 * default at every bind): "VVVV:DDDD command[; VVVV:DDDD command...]".
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "vfio_ext_policy.h"

#define POLICY_MAX_FUNC	63

/** vfio_ext_dsm_policy_default() - function 0 of every UUID */
void vfio_ext_dsm_policy_default(struct vfio_ext_dsm_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->rules[0].any_guid = true;
	p->rules[0].funcs = BIT_ULL(0);
	p->nr = 1;
}

/** vfio_ext_dsm_policy_allows() - may @func of @guid be evaluated? */
bool vfio_ext_dsm_policy_allows(const struct vfio_ext_dsm_policy *p,
				const guid_t *guid, u64 func)
{
	unsigned int i;

	for (i = 0; i < p->nr; i++) {
		const struct vfio_ext_dsm_rule *r = &p->rules[i];

		if (!r->any_guid && !guid_equal(&r->guid, guid))
			continue;
		if (r->all_funcs ||
		    (func <= POLICY_MAX_FUNC && (r->funcs & BIT_ULL(func))))
			return true;
	}
	return false;
}

/* Next whitespace-separated word of *s into @w (NUL-terminated). */
static int next_word(const char **s, char *w, size_t len)
{
	const char *p = skip_spaces(*s);
	size_t n = 0;

	while (p[n] && !isspace(p[n]))
		n++;
	if (!n)
		return -ENODATA;
	if (n >= len)
		return -EINVAL;
	memcpy(w, p, n);
	w[n] = '\0';
	*s = p + n;
	return 0;
}

/* A function number: 1 or 2 decimal digits, at most 63. */
static int parse_func(const char **s, unsigned int *v)
{
	const char *p = *s;
	unsigned int n = 0;

	*v = 0;
	while (isdigit(*p)) {
		if (++n > 2)
			return -ERANGE;
		*v = *v * 10 + (*p++ - '0');
	}
	if (!n)
		return -EINVAL;
	*s = p;
	return *v > POLICY_MAX_FUNC ? -ERANGE : 0;
}

static int parse_funcs(const char *s, u64 *funcs, bool *all)
{
	unsigned int a, b;
	int ret;

	*funcs = 0;
	*all = false;
	if (!strcmp(s, "all")) {
		*all = true;
		return 0;
	}
	do {
		ret = parse_func(&s, &a);
		if (ret)
			return ret;
		b = a;
		if (*s == '-') {
			s++;
			ret = parse_func(&s, &b);
			if (ret)
				return ret;
			if (a > b)
				return -EINVAL;
		}
		*funcs |= GENMASK_ULL(b, a);
		if (*s && *s != ',')
			return -EINVAL;
	} while (*s && *++s);
	return s[-1] == ',' ? -EINVAL : 0;
}

static struct vfio_ext_dsm_rule *find_rule(struct vfio_ext_dsm_policy *p,
					   bool any, const guid_t *g)
{
	unsigned int i;

	for (i = 0; i < p->nr; i++) {
		struct vfio_ext_dsm_rule *r = &p->rules[i];

		if (r->any_guid == any && (any || guid_equal(&r->guid, g)))
			return r;
	}
	return NULL;
}

/**
 * vfio_ext_dsm_policy_apply() - apply one policy command
 * @p: the policy, changed only on success
 * @cmd: the command (a trailing newline is accepted)
 *
 * Return: 0; -EINVAL for a malformed command; -ERANGE for a function above
 * 63 (use "all"); -ENOSPC when all VFIO_EXT_DSM_MAX_RULES are in use;
 * -ENOENT for deny of a UUID that has no rule.
 */
int vfio_ext_dsm_policy_apply(struct vfio_ext_dsm_policy *p, const char *cmd)
{
	char verb[8], who[40], what[64];
	struct vfio_ext_dsm_rule *r;
	bool any = false, all;
	guid_t g = {};
	u64 funcs;
	int ret;

	ret = next_word(&cmd, verb, sizeof(verb));
	if (ret)
		return -EINVAL;
	if (!strcmp(verb, "clear") || !strcmp(verb, "reset")) {
		if (*skip_spaces(cmd))
			return -EINVAL;
		if (verb[0] == 'c')
			memset(p, 0, sizeof(*p));
		else
			vfio_ext_dsm_policy_default(p);
		return 0;
	}
	if (strcmp(verb, "allow") && strcmp(verb, "deny"))
		return -EINVAL;
	if (next_word(&cmd, who, sizeof(who)))
		return -EINVAL;
	if (!strcmp(who, "*"))
		any = true;
	else if (strlen(who) != UUID_STRING_LEN || guid_parse(who, &g))
		return -EINVAL;

	if (verb[0] == 'd') {
		if (*skip_spaces(cmd))
			return -EINVAL;
		r = find_rule(p, any, &g);
		if (!r)
			return -ENOENT;
		*r = p->rules[--p->nr];
		memset(&p->rules[p->nr], 0, sizeof(*r));
		return 0;
	}

	if (next_word(&cmd, what, sizeof(what)) || *skip_spaces(cmd))
		return -EINVAL;
	ret = parse_funcs(what, &funcs, &all);
	if (ret)
		return ret;
	r = find_rule(p, any, &g);
	if (!r) {
		if (p->nr == VFIO_EXT_DSM_MAX_RULES)
			return -ENOSPC;
		r = &p->rules[p->nr++];
		r->guid = g;
		r->any_guid = any;
	}
	r->funcs |= funcs;
	r->all_funcs |= all;
	return 0;
}

/**
 * vfio_ext_dsm_policy_show() - the policy as "allow" commands, one a line
 * @p: the policy
 * @buf: receives the text, NUL-terminated
 * @len: size of @buf
 * Return: bytes written (without NUL); output is truncated to @len - 1.
 */
int vfio_ext_dsm_policy_show(const struct vfio_ext_dsm_policy *p, char *buf,
			     size_t len)
{
	unsigned int i, f, start;
	size_t n = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < p->nr; i++) {
		const struct vfio_ext_dsm_rule *r = &p->rules[i];
		bool first = true;

		if (r->any_guid)
			n += scnprintf(buf + n, len - n, "allow * ");
		else
			n += scnprintf(buf + n, len - n, "allow %pUl ", &r->guid);
		if (r->all_funcs) {
			n += scnprintf(buf + n, len - n, "all\n");
			continue;
		}
		for (f = 0; f <= POLICY_MAX_FUNC; f++) {
			if (!(r->funcs & BIT_ULL(f)))
				continue;
			start = f;
			while (f < POLICY_MAX_FUNC && (r->funcs & BIT_ULL(f + 1)))
				f++;
			n += scnprintf(buf + n, len - n, "%s%u", first ? "" : ",",
				       start);
			if (f > start)
				n += scnprintf(buf + n, len - n, "-%u", f);
			first = false;
		}
		n += scnprintf(buf + n, len - n, "\n");
	}
	return n;
}

/* Four hex digits, exactly. */
static int parse_id16(const char *s, u16 *v)
{
	unsigned int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (!isxdigit(s[i]))
			return -EINVAL;
		*v = *v << 4 | (isdigit(s[i]) ? s[i] - '0' :
				tolower(s[i]) - 'a' + 10);
	}
	return 0;
}

/*
 * Next entry of a dsm_policy= value into @vendor, @device and @cmd; @entry
 * and @elen locate it in the value (for messages).  Returns 1 for an entry,
 * 0 at the end, or -EINVAL for a malformed one (its command not checked).
 */
static int next_param_entry(const char **s, u16 *vendor, u16 *device,
			    char *cmd, size_t len, const char **entry,
			    size_t *elen)
{
	const char *p, *end;
	size_t n;

	do {
		p = skip_spaces(*s);
		end = strchrnul(p, ';');
		*s = *end ? end + 1 : end;
	} while (p == end && *end);
	if (p == end)
		return 0;
	*entry = p;
	*elen = end - p;
	while (*elen && isspace(p[*elen - 1]))
		(*elen)--;
	if (*elen < 10 || parse_id16(p, vendor) || p[4] != ':' ||
	    parse_id16(p + 5, device) || !isspace(p[9]))
		return -EINVAL;
	p = skip_spaces(p + 9);
	n = *entry + *elen - p;
	if (n >= len)
		return -EINVAL;
	memcpy(cmd, p, n);
	cmd[n] = '\0';
	return 1;
}

/**
 * vfio_ext_dsm_policy_param() - apply the dsm_policy= entries of one PCI ID
 * @p: the policy of a device of that ID (usually the default)
 * @param: the parameter's value
 * @vendor: the device's vendor ID
 * @device: the device's device ID
 * @bad: set to the entry that failed
 * @bad_len: set to its length
 *
 * Entries of other IDs are skipped (their commands unchecked; see
 * vfio_ext_dsm_policy_param_check()).
 *
 * Return: 0, or the error of the first malformed or failing entry (the
 * entries before it are applied).
 */
int vfio_ext_dsm_policy_param(struct vfio_ext_dsm_policy *p,
			      const char *param, u16 vendor, u16 device,
			      const char **bad, size_t *bad_len)
{
	char cmd[128];
	u16 v, d;
	int ret;

	while ((ret = next_param_entry(&param, &v, &d, cmd, sizeof(cmd),
				       bad, bad_len)) > 0) {
		if (v != vendor || d != device)
			continue;
		ret = vfio_ext_dsm_policy_apply(p, cmd);
		if (ret)
			return ret;
	}
	return ret;
}

/**
 * vfio_ext_dsm_policy_param_check() - validate a dsm_policy= value
 * @scratch: room for one policy
 * @param: the value
 * @bad: set to the entry that failed
 * @bad_len: set to its length
 *
 * Applies, for the ID of each entry, every entry of that ID to a default
 * policy, as a bind would.
 *
 * Return: 0, or the first error (see vfio_ext_dsm_policy_param()).
 */
int vfio_ext_dsm_policy_param_check(struct vfio_ext_dsm_policy *scratch,
				    const char *param, const char **bad,
				    size_t *bad_len)
{
	const char *s = param;
	char cmd[128];
	u16 v, d;
	int ret;

	while ((ret = next_param_entry(&s, &v, &d, cmd, sizeof(cmd), bad,
				       bad_len)) > 0) {
		vfio_ext_dsm_policy_default(scratch);
		ret = vfio_ext_dsm_policy_param(scratch, param, v, d, bad,
						bad_len);
		if (ret)
			return ret;
	}
	return ret;
}
