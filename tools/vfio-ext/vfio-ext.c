// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-ext: the operator's command line for vfio-ext (see vfio-ext(8)).
 *
 *   vfio-ext dev list
 *   vfio-ext dev show BDF
 *   vfio-ext dev bind BDF [DRIVER]      (driver_override + bind)
 *   vfio-ext dev unbind BDF
 *   vfio-ext dev dsm-policy BDF COMMAND (admin: the _DSM policy)
 *   vfio-ext pviommu show [ID]
 *   vfio-ext monitor [-n COUNT] [-t SECONDS] [-e TYPE,...] [-d BDF]
 *   vfio-ext dsm [--bind] [-r REV] [-a TYPE:VALUE]... [-b HEX]
 *                BDF UUID FUNCTION
 *   vfio-ext notify watch [-n COUNT] [-t SECONDS] [--loopback V] BDF
 *
 * The common options -j (JSON), -p (indent it), -V and -h go anywhere:
 * before the command ("vfio-ext -j dev list") or among its arguments
 * ("vfio-ext dev list -j"); "--" ends the options.
 *
 * Inventory and events come from the kernel's "vfio-ext" generic netlink
 * family through libvfio-ext; dsm and notify watch open the device's VFIO
 * group themselves (the device must not be in use by a VMM).  "watch" is
 * kept as an alias of "notify watch".
 *
 * Exit status: 0 success, 1 the operation failed, 2 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vfioext.h"

#define MAX_ARGS	VFIO_EXT_ACPI_DSM_MAX_ELEMENTS
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *prog = "vfio-ext";
static bool g_json, g_pretty;

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: %s [OPTIONS] dev list | dev show BDF\n"
		"       %s [OPTIONS] dev bind BDF [DRIVER] | dev unbind BDF\n"
		"       %s [OPTIONS] dev dsm-policy BDF COMMAND\n"
		"       %s [OPTIONS] pviommu show [ID]\n"
		"       %s [OPTIONS] monitor [-n COUNT] [-t SECONDS] [-e TYPE,...] [-d BDF]\n"
		"\n"
		"OPTIONS, before the command or among its arguments:\n"
		"  -j, --json        print JSON (errors too, on stdout)\n"
		"  -p, --pretty      indent the JSON\n"
		"  -V, --version     print the version\n"
		"  -h, --help        print this help\n"
		"\n",
		prog, prog, prog, prog, prog);
	fprintf(f,
		"usage: %s [OPTIONS] dsm [--bind] [-r REV] [-a TYPE:VALUE]... [-b HEX] BDF UUID FUNCTION\n"
		"\n"
		"Evaluate the ACPI _DSM of a device bound to vfio-pci-ext.\n"
		"      --bind        bind the device to vfio-pci-ext first\n"
		"  -r, --revision N  Arg1 (default 0)\n"
		"  -a, --arg T:V     add a Package element: int:N, str:TEXT, buf:HEX\n"
		"  -b, --buffer HEX  pass Arg3 as a Buffer instead of a Package\n"
		"The host policy (/sys/bus/pci/devices/BDF/vfio_ext/dsm_policy)\n"
		"applies; by default only function 0 is allowed.\n"
		"\n"
		"usage: %s [OPTIONS] notify watch [-n COUNT] [-t SECONDS] [--loopback VALUE] BDF\n"
		"\n"
		"Print the device's ACPI notifications as they arrive.\n"
		"  -n, --count N     stop after N notifications\n"
		"  -t, --timeout S   stop after S seconds without one\n"
		"      --loopback V  inject test value V (0..255) first\n",
		prog, prog);
}

/* ------------------------------------------------------------------ */
/* Options every command takes                                         */
/* ------------------------------------------------------------------ */

/*
 * Every long option of every command, in one table; each command passes
 * getopt_long() its own short options, and an option of another command
 * is a usage error (common_opt()).
 */
#define COMMON_SHORT	"jpVh"
static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	/* monitor, notify watch */
	{ "count", required_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 't' },
	{ "event", required_argument, NULL, 'e' },
	{ "dev", required_argument, NULL, 'd' },
	{ "loopback", required_argument, NULL, 'L' },
	/* dsm */
	{ "bind", no_argument, NULL, 'B' },
	{ "revision", required_argument, NULL, 'r' },
	{ "arg", required_argument, NULL, 'a' },
	{ "buffer", required_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 },
};

/* common_opt(): not an exit status, go on. */
#define CONTINUE	(-1)

/*
 * One of the common options, getopt's '?' (an unknown option or a missing
 * argument, which getopt has reported) or another command's long option
 * (long_opts[@idx]) given to command @cmd: CONTINUE to go on parsing, or
 * the exit status.
 */
static int common_opt(int opt, const char *cmd, int idx)
{
	switch (opt) {
	case 'j':
		g_json = true;
		return CONTINUE;
	case 'p':
		g_pretty = true;
		return CONTINUE;
	case 'V':
		printf("vfio-ext %s\n", vfioext_version());
		return 0;
	case 'h':
		print_usage(stdout);
		return 0;
	case '?':
		break;
	default:
		fprintf(stderr, "%s: option '--%s' is not one of this command's\n",
			cmd, long_opts[idx].name);
		break;
	}
	print_usage(stderr);
	return 2;
}

/*
 * Parse a command that has no options of its own: argv[0] is the command,
 * its other arguments end up from argv[optind] on, in order.
 */
static int common_opts_only(int argc, char **argv)
{
	int opt, ret, idx;

	optind = 0;	/* glibc: start over, permuting */
	while ((opt = getopt_long(argc, argv, COMMON_SHORT, long_opts,
				  &idx)) != -1) {
		ret = common_opt(opt, argv[0], idx);
		if (ret != CONTINUE)
			return ret;
	}
	return CONTINUE;
}

/* ------------------------------------------------------------------ */
/* JSON output (-j, -p)                                                */
/* ------------------------------------------------------------------ */

static void json_string(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/*
 * A minimal writer: objects and arrays nest, commas are placed for us;
 * each top-level value ends with a newline and is flushed (monitor and
 * watch print one per event).
 */
static struct {
	int depth;
	bool need_comma[32];
} jw;

static void jw_indent(void)
{
	int i;

	if (!g_pretty)
		return;
	putchar('\n');
	for (i = 0; i < jw.depth; i++)
		fputs("    ", stdout);
}

/* Start a member (@name) or an element (NULL name). */
static void jw_key(const char *name)
{
	if (jw.depth && jw.need_comma[jw.depth])
		putchar(',');
	if (jw.depth)
		jw_indent();
	jw.need_comma[jw.depth] = true;
	if (name)
		printf(g_pretty ? "\"%s\": " : "\"%s\":", name);
}

static void jw_open(const char *name, char c)
{
	jw_key(name);
	putchar(c);
	jw.depth++;
	jw.need_comma[jw.depth] = false;
}

static void jw_close(char c)
{
	bool had = jw.need_comma[jw.depth];

	jw.depth--;
	if (had)
		jw_indent();
	putchar(c);
	if (!jw.depth) {
		putchar('\n');
		fflush(stdout);
	}
}

static void jw_str(const char *name, const char *v)
{
	jw_key(name);
	json_string(v, strlen(v));
}

static void jw_u64(const char *name, uint64_t v)
{
	jw_key(name);
	printf("%llu", (unsigned long long)v);
}

static void jw_bool(const char *name, bool v)
{
	jw_key(name);
	fputs(v ? "true" : "false", stdout);
}

static void jw_null(const char *name)
{
	jw_key(name);
	fputs("null", stdout);
}

static void jw_hex(const char *name, const uint8_t *b, size_t len)
{
	size_t i;

	jw_key(name);
	putchar('"');
	for (i = 0; i < len; i++)
		printf("%02x", b[i]);
	putchar('"');
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* Where an errno comes from: the same number means different things. */
enum err_ctx {
	ERR_NL_CONNECT	= 1 << 0,	/* reaching the netlink family */
	ERR_NL		= 1 << 1,	/* netlink queries */
	ERR_NL_ADMIN	= 1 << 2,	/* dsm-policy over netlink */
	ERR_PCI		= 1 << 3,	/* bind and unbind through sysfs */
	ERR_VFIO	= 1 << 4,	/* container, group and device open */
	ERR_DSM		= 1 << 5,	/* the _DSM call */
	ERR_NOTIFY	= 1 << 6,	/* the notification channel */
	ERR_OTHER	= 1 << 7,	/* plain errnos */
};

/* What an errno means in each context, and what to do about it. */
static const struct {
	unsigned int ctx;	/* enum err_ctx bits */
	int err;
	const char *text;
} errno_texts[] = {
	{ ERR_NL_CONNECT, ENOENT,
	  "no vfio-ext netlink family: load the module (modprobe vfio-pci-ext)" },
	{ ERR_NL_CONNECT, EPROTONOSUPPORT, "this kernel has no generic netlink" },
	{ ERR_NL | ERR_NL_ADMIN, ENODEV,
	  "the device is not bound to vfio-pci-ext (vfio-ext dev bind BDF)" },
	{ ERR_NL, ENOENT,
	  "no such pviommu container (vfio-ext pviommu show lists them)" },
	{ ERR_NL, EPERM,
	  "permission denied: pviommu containers are shown only with CAP_NET_ADMIN (run as root)" },
	{ ERR_NL_CONNECT, EPERM,
	  "permission denied: events are delivered only with CAP_NET_ADMIN (run as root)" },
	{ ERR_NL_ADMIN, EPERM,
	  "permission denied: needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run as root)" },
	{ ERR_NL_ADMIN, EINVAL,
	  "invalid _DSM policy command (allow UUID|* LIST|all, deny UUID|*, clear, reset)" },
	{ ERR_NL_ADMIN, ENOSPC,
	  "the device has too many _DSM policy rules (clear or reset them first)" },
	{ ERR_PCI, ENODEV, "no such PCI device" },
	{ ERR_PCI, ENOENT, "the driver is not loaded (modprobe it first)" },
	{ ERR_PCI, EBUSY, "the driver did not take the device (see dmesg)" },
	{ ERR_PCI, EINVAL,
	  "the driver refused the device or does not exist (see dmesg)" },
	{ ERR_PCI | ERR_VFIO | ERR_NOTIFY, EACCES,
	  "permission denied (run as root)" },
	{ ERR_PCI, EPERM, "permission denied (run as root)" },
	{ ERR_VFIO, ENOENT,
	  "no VFIO group: bind the device to vfio-pci-ext (vfio-ext dev bind BDF), IOMMU on" },
	{ ERR_VFIO, EPERM,
	  "IOMMU group not viable: bind every device of the group to a VFIO driver" },
	{ ERR_VFIO, EBUSY,
	  "the device is in use: another process (a VMM?) has its VFIO group open" },
	{ ERR_VFIO, ENODEV, "no such device, or the IOMMU backend is missing" },
	{ ERR_DSM, ENODEV, "the device has no ACPI companion" },
	{ ERR_DSM, ENOENT, "the device's ACPI node has no _DSM" },
	{ ERR_DSM, EACCES,
	  "denied by the host policy (allow it with: vfio-ext dev dsm-policy BDF allow ...)" },
	{ ERR_DSM, EIO, "the firmware method failed or returned nothing" },
	{ ERR_DSM, ENOSPC, "the result is larger than 64 KiB" },
	{ ERR_DSM, EOPNOTSUPP,
	  "the result holds an object the layout cannot carry" },
	{ ERR_DSM, ENOTTY,
	  "the device is not bound to vfio-pci-ext (vfio-ext dev bind BDF, or dsm --bind)" },
	{ ERR_NOTIFY, ENODEV,
	  "the device has no ACPI companion: it gets no notifications" },
	{ ERR_NOTIFY, EBUSY,
	  "a notification channel is already open on the device" },
};

static const char *errno_text(enum err_ctx ctx, int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_texts); i++)
		if ((errno_texts[i].ctx & ctx) && errno_texts[i].err == err)
			return errno_texts[i].text;
	return strerror(err);
}

/*
 * Report that @what failed with errno @err (positive): the kernel's own
 * message @detail when it gave one (a netlink extended ACK), else what
 * @err means in @ctx.  On stderr for people; with -j also as one JSON
 * object on stdout, the same shape for every command:
 * {"error": @what, "errno": @err, "message": text}.
 * Return: 1, the exit status of a failed operation.
 */
static int fail(enum err_ctx ctx, const char *what, int err,
		const char *detail)
{
	const char *text = detail && detail[0] ? detail : errno_text(ctx, err);

	if (g_json) {
		jw_open(NULL, '{');
		jw_str("error", what);
		jw_u64("errno", (uint64_t)err);
		jw_str("message", text);
		jw_close('}');
	}
	if (text == detail)
		fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, text,
			strerror(err));
	else
		fprintf(stderr, "%s: %s: %s\n", prog, what, text);
	return 1;
}

/*
 * fail() for a netlink request, with the kernel's message of that request
 * (@st); an answer that was lost leaves a change's outcome unknown.
 */
static int nl_fail(const struct vfioext_nl_status *st, enum err_ctx ctx,
		   const char *what, int err)
{
	if (st->flags & VFIOEXT_NL_OUTCOME_UNKNOWN)
		return fail(ctx, what, err,
			    "the kernel's answer was lost: whether the change was made is unknown, check before retrying");
	return fail(ctx, what, err, st->msg);
}

/* A description's contents, copied out (size-first structs). */
static struct vfioext_nl_dev_info cli_dev_info(const struct vfioext_nl_dev *d)
{
	struct vfioext_nl_dev_info i = { .struct_size = sizeof(i) };

	vfioext_nl_dev_info(d, &i);
	return i;
}

static struct vfioext_nl_region cli_dev_region(const struct vfioext_nl_dev *d,
					       size_t k)
{
	struct vfioext_nl_region r = { .struct_size = sizeof(r) };

	vfioext_nl_dev_region(d, k, &r);
	return r;
}

static struct vfioext_nl_irq cli_dev_irq(const struct vfioext_nl_dev *d,
					 size_t k)
{
	struct vfioext_nl_irq q = { .struct_size = sizeof(q) };

	vfioext_nl_dev_irq(d, k, &q);
	return q;
}

static struct vfioext_nl_pviommu_info
cli_pv_info(const struct vfioext_nl_pviommu *p)
{
	struct vfioext_nl_pviommu_info i = { .struct_size = sizeof(i) };

	vfioext_nl_pviommu_info(p, &i);
	return i;
}

static struct vfioext_nl_endpoint cli_pv_ep(const struct vfioext_nl_pviommu *p,
					    size_t k)
{
	struct vfioext_nl_endpoint e = { .struct_size = sizeof(e) };

	vfioext_nl_pviommu_endpoint(p, k, &e);
	return e;
}

static struct vfioext_nl_domain cli_pv_dom(const struct vfioext_nl_pviommu *p,
					   size_t k)
{
	struct vfioext_nl_domain dm = { .struct_size = sizeof(dm) };

	vfioext_nl_pviommu_domain(p, k, &dm);
	return dm;
}

static int open_nl(struct vfioext_nl **nl, bool events)
{
	int ret = events ? vfioext_nl_events_open(nl) : vfioext_nl_open(nl);

	if (ret)
		return fail(ERR_NL_CONNECT, "netlink", -ret, NULL);
	return 0;
}

/* ------------------------------------------------------------------ */
/* dsm, notify watch                                                   */
/* ------------------------------------------------------------------ */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "buf:" text as a Buffer: 0, -EINVAL (not hex digit pairs), -ENOMEM. */
static int parse_hex_buffer(const char *s, struct vfioext_acpi_obj **o)
{
	size_t n = strlen(s), i;
	uint8_t *b;
	int ret;

	if (n % 2)
		return -EINVAL;
	b = malloc(n / 2 + 1);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return -EINVAL;
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	ret = vfioext_acpi_buffer(b, n / 2, o);
	free(b);
	return ret;
}

/* One -a argument: 0, -EINVAL (bad syntax), -ENOMEM. */
static int parse_arg(const char *s, struct vfioext_acpi_obj **o)
{
	char *end;
	uint64_t v;

	if (!strncmp(s, "int:", 4)) {
		errno = 0;
		v = strtoull(s + 4, &end, 0);
		if (errno || end == s + 4 || *end || s[4] == '-')
			return -EINVAL;
		return vfioext_acpi_integer(v, o);
	}
	if (!strncmp(s, "str:", 4))
		return vfioext_acpi_string(s + 4, o);
	if (!strncmp(s, "buf:", 4))
		return parse_hex_buffer(s + 4, o);
	return -EINVAL;
}

/* A _DSM result as text, one object a line, Package elements indented. */
static void obj_text(const struct vfioext_acpi_obj *o, int depth)
{
	const uint8_t *b;
	const char *s;
	uint64_t v;
	size_t i, n;

	switch (vfioext_acpi_get_type(o)) {
	case VFIOEXT_ACPI_INTEGER:
		vfioext_acpi_get_integer(o, &v);
		printf("Integer 0x%llx (%llu)\n", (unsigned long long)v,
		       (unsigned long long)v);
		break;
	case VFIOEXT_ACPI_STRING:
		s = vfioext_acpi_get_string(o, &n);
		printf("String (%zu) ", n);
		json_string(s, n);
		putchar('\n');
		break;
	case VFIOEXT_ACPI_BUFFER:
		b = vfioext_acpi_get_buffer(o, &n);
		printf("Buffer (%zu)", n);
		for (i = 0; i < n; i++)
			printf(" %02x", b[i]);
		putchar('\n');
		break;
	case VFIOEXT_ACPI_PACKAGE:
		n = vfioext_acpi_package_count(o);
		printf("Package (%zu)\n", n);
		for (i = 0; i < n; i++) {
			printf("%*s[%zu] ", 2 * (depth + 1), "", i);
			obj_text(vfioext_acpi_package_get(o, i), depth + 1);
		}
		break;
	}
}

/* A _DSM result as JSON member @name (NULL: an array element). */
static void obj_json(const char *name, const struct vfioext_acpi_obj *o)
{
	const char *s;
	const void *b;
	uint64_t v;
	size_t i, n;

	jw_open(name, '{');
	switch (vfioext_acpi_get_type(o)) {
	case VFIOEXT_ACPI_INTEGER:
		vfioext_acpi_get_integer(o, &v);
		jw_str("type", "integer");
		jw_u64("value", v);
		break;
	case VFIOEXT_ACPI_STRING:
		s = vfioext_acpi_get_string(o, &n);
		jw_str("type", "string");
		jw_key("value");
		json_string(s, n);
		break;
	case VFIOEXT_ACPI_BUFFER:
		b = vfioext_acpi_get_buffer(o, &n);
		jw_str("type", "buffer");
		jw_hex("value", b, n);
		break;
	case VFIOEXT_ACPI_PACKAGE:
		n = vfioext_acpi_package_count(o);
		jw_str("type", "package");
		jw_open("elements", '[');
		for (i = 0; i < n; i++)
			obj_json(NULL, vfioext_acpi_package_get(o, i));
		jw_close(']');
		break;
	}
	jw_close('}');
}

static int cmd_dsm(int argc, char **argv)
{
	struct vfioext_acpi_obj *args[MAX_ARGS], *arg3 = NULL, *res = NULL;
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *d = NULL;
	bool bind = false;
	uint64_t rev = 0, func;
	size_t nargs = 0, i;
	char bdf[VFIOEXT_BDF_LEN], *end;
	uint8_t uuid[16];
	int opt, ret, idx, status = 1;

	optind = 0;
	while ((opt = getopt_long(argc, argv, COMMON_SHORT "r:a:b:", long_opts,
				  &idx)) != -1) {
		switch (opt) {
		case 'B':
			bind = true;
			break;
		case 'r':
			errno = 0;
			rev = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "%s: bad revision '%s'\n", prog, optarg);
				status = 2;
				goto out;
			}
			break;
		case 'a':
			if (nargs == MAX_ARGS) {
				fprintf(stderr, "%s: too many -a\n", prog);
				status = 2;
				goto out;
			}
			ret = parse_arg(optarg, &args[nargs]);
			if (ret == -EINVAL) {
				fprintf(stderr,
					"%s: bad argument '%s' (int:N, str:TEXT, buf:HEX)\n",
					prog, optarg);
				status = 2;
				goto out;
			}
			if (ret) {
				status = fail(ERR_OTHER, "arguments", -ret, NULL);
				goto out;
			}
			nargs++;
			break;
		case 'b':
			vfioext_acpi_free(arg3);
			arg3 = NULL;
			ret = parse_hex_buffer(optarg, &arg3);
			if (ret == -EINVAL) {
				fprintf(stderr, "%s: bad hex buffer '%s'\n", prog, optarg);
				status = 2;
				goto out;
			}
			if (ret) {
				status = fail(ERR_OTHER, "arguments", -ret, NULL);
				goto out;
			}
			break;
		default:
			ret = common_opt(opt, argv[0], idx);
			if (ret != CONTINUE) {
				status = ret;
				goto out;
			}
		}
	}
	if (argc - optind != 3 || (arg3 && nargs)) {
		print_usage(stderr);
		status = 2;
		goto out;
	}
	if (vfioext_bdf_canon(argv[optind], bdf) ||
	    vfioext_uuid_parse(argv[optind + 1], uuid)) {
		fprintf(stderr, "%s: bad device address or UUID\n", prog);
		status = 2;
		goto out;
	}
	errno = 0;
	func = strtoull(argv[optind + 2], &end, 0);
	if (errno || end == argv[optind + 2] || *end ||
	    argv[optind + 2][0] == '-') {
		fprintf(stderr, "%s: bad function '%s'\n", prog, argv[optind + 2]);
		status = 2;
		goto out;
	}
	if (nargs) {
		ret = vfioext_acpi_package(nargs, &arg3);
		if (ret) {
			status = fail(ERR_OTHER, "arguments", -ret, NULL);
			goto out;
		}
		for (i = 0; i < nargs; i++) {
			vfioext_acpi_package_set(arg3, i, args[i]);
			args[i] = NULL;
		}
		nargs = 0;
	}

	if (bind) {
		ret = vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME);
		if (ret) {
			status = fail(ERR_PCI, "bind", -ret, NULL);
			goto out;
		}
	}
	ret = vfioext_open_device(bdf, VFIO_TYPE1v2_IOMMU, &c, &g, &d);
	if (ret) {
		status = fail(ERR_VFIO, "open", -ret, NULL);
		goto out;
	}

	ret = vfioext_acpi_dsm(d, uuid, rev, func, arg3, &res);
	if (ret) {
		status = fail(ERR_DSM, "dsm", -ret, NULL);
		goto out;
	}
	if (g_json) {
		jw_open(NULL, '{');
		jw_str("device", bdf);
		jw_str("uuid", argv[optind + 1]);
		jw_u64("revision", rev);
		jw_u64("function", func);
		obj_json("result", res);
		jw_close('}');
	} else {
		printf("%s _DSM %s revision %llu function %llu:\n", bdf,
		       argv[optind + 1], (unsigned long long)rev,
		       (unsigned long long)func);
		obj_text(res, 0);
	}
	status = 0;
out:
	for (i = 0; i < nargs; i++)
		vfioext_acpi_free(args[i]);
	vfioext_acpi_free(arg3);
	vfioext_acpi_free(res);
	vfioext_device_close(d);
	vfioext_group_close(g);
	vfioext_container_close(c);
	return status;
}

static void print_record(const struct vfio_ext_acpi_notify_record *r,
			 uint64_t t0)
{
	bool lb = r->flags & VFIO_EXT_ACPI_NOTIFY_LOOPBACK;

	if (g_json) {
		jw_open(NULL, '{');
		jw_u64("seq", r->seq);
		jw_u64("timestamp_ns", r->timestamp_ns);
		jw_u64("value", r->value);
		jw_bool("loopback", lb);
		jw_u64("dropped", r->dropped);
		jw_close('}');
		return;
	}
	if (r->dropped)
		printf("(%u notifications dropped: reader too slow)\n",
		       r->dropped);
	printf("#%-6llu +%.6f s  value 0x%02x (%s)%s\n",
	       (unsigned long long)r->seq, (r->timestamp_ns - t0) / 1e9,
	       r->value, r->value < 0x80 ? "system" : "device-specific",
	       lb ? "  [loopback]" : "");
	fflush(stdout);
}

/*
 * The argument of -n, -t or --loopback: a number from 0 to @max, else a
 * usage error (false, said on stderr).
 */
static bool parse_number(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < 0 || v > max) {
		fprintf(stderr, "%s: bad number '%s' (0..%ld)\n", prog, s, max);
		return false;
	}
	*out = v;
	return true;
}

/* -n COUNT not reached before -t: fail() with ETIMEDOUT (1). */
static int timed_out(const char *what, long seen, long count,
		     const char *things)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "timed out after %ld of %ld %s", seen,
		 count, things);
	return fail(ERR_OTHER, what, ETIMEDOUT, msg);
}

/* The longest -t (seconds) and the library's timeout for a -t value. */
#define MAX_TIMEOUT_S	(INT_MAX / 1000)

static int timeout_ms(long seconds)
{
	return seconds < 0 ? -1 : (int)seconds * 1000;
}

/* notify watch (@notify: argv[0] is "notify", "watch" follows), watch */
static int cmd_watch(int argc, char **argv, bool notify)
{
	struct vfio_ext_acpi_notify_record recs[16];
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *d = NULL;
	long count = -1, timeout = -1, loopback = -1, seen = 0;
	char bdf[VFIOEXT_BDF_LEN], **arg;
	uint64_t t0 = 0;
	int opt, ret, idx, ch = -1, n, i, nargs, status = 1;

	optind = 0;
	while ((opt = getopt_long(argc, argv, COMMON_SHORT "n:t:", long_opts,
				  &idx)) != -1) {
		switch (opt) {
		case 'n':
			if (!parse_number(optarg, LONG_MAX, &count))
				return 2;
			break;
		case 't':
			if (!parse_number(optarg, MAX_TIMEOUT_S, &timeout))
				return 2;
			break;
		case 'L':
			if (!parse_number(optarg, 255, &loopback))
				return 2;
			break;
		default:
			ret = common_opt(opt, argv[0], idx);
			if (ret != CONTINUE)
				return ret;
		}
	}
	arg = argv + optind;
	nargs = argc - optind;
	if (notify && nargs && !strcmp(arg[0], "watch")) {
		arg++;
		nargs--;
	} else if (notify) {
		fprintf(stderr, "%s: notify: the command is 'notify watch'\n",
			prog);
		print_usage(stderr);
		return 2;
	}
	if (nargs != 1 || vfioext_bdf_canon(arg[0], bdf)) {
		print_usage(stderr);
		return 2;
	}

	ret = vfioext_open_device(bdf, VFIO_TYPE1v2_IOMMU, &c, &g, &d);
	if (ret) {
		status = fail(ERR_VFIO, "open", -ret, NULL);
		goto out;
	}
	ch = vfioext_acpi_notify_open(d, 0);
	if (ch < 0) {
		status = fail(ERR_NOTIFY, "channel", -ch, NULL);
		goto out;
	}
	if (loopback >= 0) {
		ret = vfioext_acpi_notify_test(d, (uint32_t)loopback);
		if (ret) {
			status = fail(ERR_NOTIFY, "loopback", -ret, NULL);
			goto out;
		}
	}
	if (!g_json)
		printf("watching ACPI notifications of %s%s\n", bdf,
		       count < 0 && timeout < 0 ? " (Ctrl-C stops)" : "");
	while (count < 0 || seen < count) {
		n = vfioext_acpi_notify_read(ch, recs, 16, timeout_ms(timeout));
		if (n == -ETIMEDOUT || n == 0)
			break;
		if (n < 0) {
			status = fail(ERR_NOTIFY, "read", -n, NULL);
			goto out;
		}
		for (i = 0; i < n && (count < 0 || seen < count); i++, seen++) {
			if (!t0)
				t0 = recs[i].timestamp_ns;
			print_record(&recs[i], t0);
		}
	}
	status = 0;
	if (count >= 0 && seen < count)
		status = timed_out("read", seen, count, "notifications");
out:
	if (ch >= 0)
		close(ch);
	vfioext_device_close(d);
	vfioext_group_close(g);
	vfioext_container_close(c);
	return status;
}

/* ------------------------------------------------------------------ */
/* dev                                                                 */
/* ------------------------------------------------------------------ */

static const char *region_name(uint32_t index)
{
	static const char *const names[] = {
		"bar0", "bar1", "bar2", "bar3", "bar4", "bar5", "rom",
		"config", "vga",
	};

	return index < ARRAY_SIZE(names) ? names[index] : "region";
}

static const char *irq_name(uint32_t index)
{
	static const char *const names[] = {
		"intx", "msi", "msix", "err", "req", "acpi-notify",
	};

	return index < ARRAY_SIZE(names) ? names[index] : "irq";
}

static void dev_json(const struct vfioext_nl_dev *d)
{
	const struct vfioext_nl_dev_info di = cli_dev_info(d);
	unsigned int i;
	char id[8];

	jw_open(NULL, '{');
	jw_str("device", di.name);
	snprintf(id, sizeof(id), "%04x", di.vendor);
	jw_str("vendor", id);
	snprintf(id, sizeof(id), "%04x", di.device);
	jw_str("device_id", id);
	if (di.iommu_group >= 0)
		jw_u64("iommu_group", (uint64_t)di.iommu_group);
	jw_str("driver", di.driver);
	/* Without CAP_NET_ADMIN the kernel tells nothing of the use. */
	if (di.use_known) {
		jw_bool("open", di.open);
		if (di.open)
			jw_u64("opener_pid", di.opener_pid);
		if (di.kvm_pid)
			jw_u64("kvm_pid", di.kvm_pid);
	}
	jw_open("regions", '[');
	for (i = 0; i < di.nr_regions; i++) {
		struct vfioext_nl_region r = cli_dev_region(d, i);

		jw_open(NULL, '{');
		jw_u64("index", r.index);
		jw_str("name", region_name(r.index));
		jw_u64("size", r.size);
		jw_u64("flags", r.flags);
		jw_close('}');
	}
	jw_close(']');
	jw_open("irqs", '[');
	for (i = 0; i < di.nr_irqs; i++) {
		struct vfioext_nl_irq q = cli_dev_irq(d, i);

		jw_open(NULL, '{');
		jw_u64("index", q.index);
		jw_str("name", irq_name(q.index));
		jw_u64("count", q.count);
		jw_close('}');
	}
	jw_close(']');
	if (di.acpi_path[0])
		jw_str("acpi_path", di.acpi_path);
	jw_open("dsm", '{');
	jw_str("policy", di.dsm_policy ? di.dsm_policy : "");
	if (di.use_known) {
		jw_u64("calls", di.dsm_calls);
		jw_u64("denied", di.dsm_denied);
	}
	jw_close('}');
	if (di.use_known) {
		jw_open("notify", '{');
		jw_bool("handler", di.notify_handler);
		jw_bool("eventfd", di.notify_eventfd);
		jw_bool("channel", di.notify_channel);
		jw_u64("count", di.notify_count);
		jw_u64("loopback_refused", di.notify_loopback_refused);
		jw_close('}');
	}
	jw_open("power", '{');
	jw_str("state", vfioext_nl_pci_power_state_name(di.power_state));
	jw_str("runtime", vfioext_nl_runtime_pm_name(di.runtime_pm));
	if (di.use_known)
		jw_bool("low_power", di.low_power);
	jw_close('}');
	jw_close('}');
}

static void dev_line(const struct vfioext_nl_dev *d)
{
	const struct vfioext_nl_dev_info di = cli_dev_info(d);

	printf("%s %04x:%04x", di.name, di.vendor, di.device);
	if (di.iommu_group >= 0)
		printf(" group %d", di.iommu_group);
	printf(" %s %s", vfioext_nl_pci_power_state_name(di.power_state),
	       !di.use_known ? "use-hidden" : di.open ? "open" : "closed");
	if (di.open)
		printf(" pid %u", di.opener_pid);
	if (di.kvm_pid)
		printf(" vm kvm-%u", di.kvm_pid);
	if (di.acpi_path[0])
		printf(" acpi %s", di.acpi_path);
	putchar('\n');
}

static void dev_detail(const struct vfioext_nl_dev *d)
{
	const struct vfioext_nl_dev_info di = cli_dev_info(d);
	unsigned int i;
	const char *p;

	dev_line(d);
	printf("    driver %s\n", di.driver);
	for (i = 0; i < di.nr_regions; i++) {
		struct vfioext_nl_region r = cli_dev_region(d, i);

		if (r.size)
			printf("    region %u (%s) size %#llx flags %#x%s%s%s\n",
			       r.index, region_name(r.index),
			       (unsigned long long)r.size, r.flags,
			       r.flags & VFIO_REGION_INFO_FLAG_READ ? " read" : "",
			       r.flags & VFIO_REGION_INFO_FLAG_WRITE ? " write" : "",
			       r.flags & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "");
	}
	printf("    irqs");
	for (i = 0; i < di.nr_irqs; i++)
		printf(" %s:%u", irq_name(cli_dev_irq(d, i).index), cli_dev_irq(d, i).count);
	printf("\n    power %s runtime %s%s\n",
	       vfioext_nl_pci_power_state_name(di.power_state),
	       vfioext_nl_runtime_pm_name(di.runtime_pm),
	       di.low_power ? " (held in low power by its user)" : "");
	if (di.use_known)
		printf("    _DSM calls %llu denied %llu, policy:\n",
		       (unsigned long long)di.dsm_calls,
		       (unsigned long long)di.dsm_denied);
	else
		printf("    _DSM policy:\n");
	for (p = di.dsm_policy ? di.dsm_policy : ""; *p;) {
		size_t n = strcspn(p, "\n");

		printf("        %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	if (!di.use_known)
		return;
	printf("    notifications %llu, handler %s, eventfd %s, channel %s",
	       (unsigned long long)di.notify_count,
	       di.notify_handler ? "installed" : "not installed",
	       di.notify_eventfd ? "set" : "unset",
	       di.notify_channel ? "open" : "closed");
	if (di.notify_loopback_refused)
		printf(", %llu loopbacks refused",
		       (unsigned long long)di.notify_loopback_refused);
	putchar('\n');
}

/* Once, on stderr: why the use of the devices is not shown. */
static void use_hidden_note(struct vfioext_nl_dev *const *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cli_dev_info(d[i]).use_known) {
			fprintf(stderr,
				"%s: note: who uses the devices, and their _DSM and notification activity, are shown only with CAP_NET_ADMIN\n",
				prog);
			return;
		}
}

static int dev_list(void)
{
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };
	struct vfioext_nl_dev **devs;
	struct vfioext_nl *nl;
	size_t n, i;
	int ret;

	if (open_nl(&nl, false))
		return 1;
	ret = vfioext_nl_dev_list(nl, &devs, &n, &st);
	if (ret) {
		ret = nl_fail(&st, ERR_NL, "dev list", -ret);
		vfioext_nl_close(nl);
		return ret;
	}
	use_hidden_note(devs, n);
	if (g_json)
		jw_open(NULL, '[');
	for (i = 0; i < n; i++) {
		if (g_json)
			dev_json(devs[i]);
		else
			dev_line(devs[i]);
	}
	if (g_json)
		jw_close(']');
	else if (!n)
		printf("no device is bound to vfio-pci-ext\n");
	vfioext_nl_dev_list_free(devs, n);
	vfioext_nl_close(nl);
	return 0;
}

static int dev_show(const char *bdf)
{
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };
	struct vfioext_nl_dev *d;
	struct vfioext_nl *nl;
	int ret;

	if (open_nl(&nl, false))
		return 1;
	ret = vfioext_nl_dev_get(nl, bdf, &d, &st);
	if (ret) {
		ret = nl_fail(&st, ERR_NL, "dev show", -ret);
		vfioext_nl_close(nl);
		return ret;
	}
	use_hidden_note(&d, 1);
	if (g_json)
		dev_json(d);
	else
		dev_detail(d);
	vfioext_nl_dev_free(d);
	vfioext_nl_close(nl);
	return 0;
}

/* dev bind and dev unbind: @driver NULL unbinds. */
static int dev_bind(const char *bdf, const char *driver)
{
	int ret = driver ? vfioext_pci_bind(bdf, driver) :
		  vfioext_pci_unbind(bdf);

	if (ret)
		return fail(ERR_PCI, driver ? "dev bind" : "dev unbind", -ret,
			    NULL);
	return 0;
}

static int dev_dsm_policy(const char *bdf, const char *cmd)
{
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };
	struct vfioext_nl *nl;
	int ret;

	if (open_nl(&nl, false))
		return 1;
	ret = vfioext_nl_dsm_policy_set(nl, bdf, cmd, &st);
	if (ret)
		ret = nl_fail(&st, ERR_NL_ADMIN, "dev dsm-policy", -ret);
	vfioext_nl_close(nl);
	return ret;
}

static int cmd_dev(int argc, char **argv)
{
	char bdf[VFIOEXT_BDF_LEN];
	const char *sub;
	char **arg;
	int ret, n;

	ret = common_opts_only(argc, argv);
	if (ret != CONTINUE)
		return ret;
	arg = argv + optind;	/* the command's own words, in order */
	n = argc - optind;
	sub = n ? arg[0] : "list";
	if (!strcmp(sub, "list")) {
		if (n > 1)
			goto usage;
		return dev_list();
	}
	if (strcmp(sub, "show") && strcmp(sub, "bind") &&
	    strcmp(sub, "unbind") && strcmp(sub, "dsm-policy")) {
		fprintf(stderr, "%s: unknown dev command '%s'\n", prog, sub);
		goto usage;
	}
	if (n < 2 || vfioext_bdf_canon(arg[1], bdf)) {
		fprintf(stderr, "%s: dev %s: give a PCI address (dddd:bb:dd.f)\n",
			prog, sub);
		return 2;
	}
	if (!strcmp(sub, "show") && n == 2)
		return dev_show(bdf);
	if (!strcmp(sub, "bind") && (n == 2 || n == 3))
		return dev_bind(bdf, n == 3 ? arg[2] : VFIO_EXT_PCI_DRIVER_NAME);
	if (!strcmp(sub, "unbind") && n == 2)
		return dev_bind(bdf, NULL);
	if (!strcmp(sub, "dsm-policy") && n == 3)
		return dev_dsm_policy(bdf, arg[2]);
usage:
	print_usage(stderr);
	return 2;
}

/* ------------------------------------------------------------------ */
/* pviommu                                                             */
/* ------------------------------------------------------------------ */

static void pviommu_json(const struct vfioext_nl_pviommu *p)
{
	const struct vfioext_nl_pviommu_info pi = cli_pv_info(p);
	unsigned int i;

	jw_open(NULL, '{');
	jw_u64("id", pi.id);
	jw_u64("owner_pid", pi.owner_pid);
	jw_u64("mappings", pi.mappings);
	jw_u64("container_mappings", pi.def_mappings);
	jw_u64("pinned_pages", pi.pinned);
	jw_u64("dma_limit", pi.dma_limit);
	jw_open("counters", '{');
	jw_u64("map", pi.map_reqs);
	jw_u64("unmap", pi.unmap_reqs);
	jw_u64("map_failed", pi.map_failed);
	jw_u64("unmap_failed", pi.unmap_failed);
	jw_u64("viommu_requests", pi.viommu_reqs);
	jw_u64("viommu_failed", pi.viommu_failed);
	jw_u64("faults", pi.faults);
	jw_close('}');
	jw_open("endpoints", '[');
	for (i = 0; i < pi.nr_endpoints; i++) {
		jw_open(NULL, '{');
		jw_u64("group", cli_pv_ep(p, i).group);
		jw_str("device", cli_pv_ep(p, i).dev);
		if (cli_pv_ep(p, i).has_vsid)
			jw_u64("vsid", cli_pv_ep(p, i).vsid);
		jw_u64("domain", cli_pv_ep(p, i).domain);
		jw_close('}');
	}
	jw_close(']');
	jw_open("domains", '[');
	for (i = 0; i < pi.nr_domains; i++) {
		jw_open(NULL, '{');
		jw_u64("id", cli_pv_dom(p, i).id);
		jw_u64("mappings", cli_pv_dom(p, i).mappings);
		jw_u64("endpoints", cli_pv_dom(p, i).endpoints);
		jw_close('}');
	}
	jw_close(']');
	jw_close('}');
}

static void pviommu_text(const struct vfioext_nl_pviommu *p)
{
	const struct vfioext_nl_pviommu_info pi = cli_pv_info(p);
	unsigned int i;

	printf("container %u owner pid %u: %u mappings ", pi.id,
	       pi.owner_pid, pi.mappings);
	printf("(%u in the container's space), %llu pages pinned, limit %u\n",
	       pi.def_mappings,
	       (unsigned long long)pi.pinned, pi.dma_limit);
	printf("    requests: map %llu (%llu failed), unmap %llu (%llu failed)\n",
	       (unsigned long long)pi.map_reqs,
	       (unsigned long long)pi.map_failed,
	       (unsigned long long)pi.unmap_reqs,
	       (unsigned long long)pi.unmap_failed);
	if (pi.viommu_reqs)
		printf("    virtio-iommu requests %llu (%llu failed)\n",
		       (unsigned long long)pi.viommu_reqs,
		       (unsigned long long)pi.viommu_failed);
	if (pi.faults)
		printf("    DMA faults reported %llu\n",
		       (unsigned long long)pi.faults);
	for (i = 0; i < pi.nr_endpoints; i++) {
		printf("    group %u (%s)", cli_pv_ep(p, i).group,
		       cli_pv_ep(p, i).dev);
		if (cli_pv_ep(p, i).has_vsid)
			printf(" vsid %u", cli_pv_ep(p, i).vsid);
		if (cli_pv_ep(p, i).domain)
			printf(" -> domain %u\n", cli_pv_ep(p, i).domain);
		else
			printf(" -> container mappings\n");
	}
	for (i = 0; i < pi.nr_domains; i++)
		printf("    domain %u: %u mappings, %u endpoints\n",
		       cli_pv_dom(p, i).id, cli_pv_dom(p, i).mappings,
		       cli_pv_dom(p, i).endpoints);
}

static int cmd_pviommu(int argc, char **argv)
{
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };
	struct vfioext_nl_pviommu **v = NULL, *one = NULL;
	struct vfioext_nl *nl;
	unsigned long id = 0;
	size_t n = 0, i;
	char **arg, *end;
	int ret, nargs;

	ret = common_opts_only(argc, argv);
	if (ret != CONTINUE)
		return ret;
	arg = argv + optind;
	nargs = argc - optind;
	if (nargs < 1 || strcmp(arg[0], "show") || nargs > 2) {
		print_usage(stderr);
		return 2;
	}
	if (nargs == 2) {
		errno = 0;
		id = strtoul(arg[1], &end, 0);
		if (errno || *end || !id || id > UINT32_MAX) {
			fprintf(stderr, "%s: bad container id '%s'\n", prog,
				arg[1]);
			return 2;
		}
	}
	if (open_nl(&nl, false))
		return 1;
	if (id) {
		ret = vfioext_nl_pviommu_get(nl, (uint32_t)id, &one, &st);
		if (!ret) {
			v = &one;
			n = 1;
		}
	} else {
		ret = vfioext_nl_pviommu_list(nl, &v, &n, &st);
	}
	if (ret) {
		ret = nl_fail(&st, ERR_NL, "pviommu show", -ret);
		vfioext_nl_close(nl);
		return ret;
	}
	if (g_json && !id)
		jw_open(NULL, '[');
	for (i = 0; i < n; i++) {
		if (g_json)
			pviommu_json(v[i]);
		else
			pviommu_text(v[i]);
	}
	if (g_json && !id)
		jw_close(']');
	else if (!g_json && !n)
		printf("no pviommu container\n");
	if (id)
		vfioext_nl_pviommu_free(one);
	else
		vfioext_nl_pviommu_list_free(v, n);
	vfioext_nl_close(nl);
	return 0;
}

/* ------------------------------------------------------------------ */
/* monitor                                                             */
/* ------------------------------------------------------------------ */

static void event_print(const struct vfioext_nl_event *ev)
{
	const char *name = vfioext_nl_event_name(ev->type);

	if (g_json) {
		jw_open(NULL, '{');
		jw_u64("seq", ev->seq);
		jw_u64("timestamp_ns", ev->timestamp_ns);
		jw_str("event", name);
		jw_str("device", ev->dev);
		switch (ev->type) {
		case VFIO_EXT_EVENT_ACPI_NOTIFY:
			jw_u64("value", ev->value);
			jw_bool("loopback", ev->loopback);
			break;
		case VFIO_EXT_EVENT_OPEN:
			jw_u64("pid", ev->pid);
			if (ev->kvm_pid)
				jw_u64("kvm_pid", ev->kvm_pid);
			break;
		case VFIO_EXT_EVENT_POWER:
			jw_bool("low_power", ev->low_power);
			jw_str("runtime",
			       vfioext_nl_runtime_pm_name(ev->runtime_pm));
			if (ev->has_power_state)
				jw_str("state", vfioext_nl_pci_power_state_name(ev->power_state));
			break;
		case VFIO_EXT_EVENT_IOMMU_FAULT:
			jw_u64("container", ev->container);
			jw_u64("domain", ev->domain);
			jw_u64("iova", ev->iova);
			jw_bool("write", ev->fault_flags & VFIO_EXT_FAULT_WRITE);
			break;
		}
		jw_close('}');
	} else {
		printf("[%llu] %s %s", (unsigned long long)ev->seq, ev->dev,
		       name);
		switch (ev->type) {
		case VFIO_EXT_EVENT_ACPI_NOTIFY:
			printf(" value 0x%02x%s", ev->value,
			       ev->loopback ? " (loopback)" : "");
			break;
		case VFIO_EXT_EVENT_OPEN:
			printf(" pid %u", ev->pid);
			if (ev->kvm_pid)
				printf(" vm kvm-%u", ev->kvm_pid);
			break;
		case VFIO_EXT_EVENT_POWER:
			printf(" %s, runtime %s", ev->low_power ?
			       "user low power" : "no user low power",
			       vfioext_nl_runtime_pm_name(ev->runtime_pm));
			if (ev->has_power_state)
				printf(" (%s)", vfioext_nl_pci_power_state_name(ev->power_state));
			break;
		case VFIO_EXT_EVENT_IOMMU_FAULT:
			printf(" %s at iova 0x%llx, container %u domain %u",
			       ev->fault_flags & VFIO_EXT_FAULT_WRITE ?
			       "write" : "read",
			       (unsigned long long)ev->iova, ev->container,
			       ev->domain);
			break;
		}
		putchar('\n');
	}
	fflush(stdout);
}

/* The event names -e takes, on stderr. */
static void event_names(void)
{
	const char *sep = "";
	unsigned int t;

	fputs(" (events:", stderr);
	for (t = 0; t < 32; t++) {
		const char *name = vfioext_nl_event_name(t);

		if (strcmp(name, "unknown")) {
			fprintf(stderr, "%s %s", sep, name);
			sep = ",";
		}
	}
	fputs(")\n", stderr);
}

/*
 * -e "open,close,...": a bit per event type ORed into *@mask (repeated -e
 * add up).  False, said on stderr, on an empty or unknown name.
 */
static bool event_mask(const char *list, unsigned int *mask)
{
	const char *p = list;
	unsigned int m = 0, t;
	size_t n;

	do {
		n = strcspn(p, ",");
		for (t = 0; t < 32; t++) {
			const char *name = vfioext_nl_event_name(t);

			if (strcmp(name, "unknown") && strlen(name) == n &&
			    !strncmp(p, name, n))
				break;
		}
		if (t == 32) {
			if (n)
				fprintf(stderr, "%s: unknown event '%.*s'", prog,
					(int)n, p);
			else
				fprintf(stderr, "%s: empty event name in -e '%s'",
					prog, list);
			event_names();
			return false;
		}
		m |= 1u << t;
		p += n;
	} while (*p++ == ',');
	*mask |= m;
	return true;
}

/*
 * Events lost: @n of them (a gap in the sequence numbers, counted over
 * every event, filtered or not), or an unknown number (@n 0: the socket
 * overran; the gap before the next event tells how many).
 */
static void events_lost(uint64_t n)
{
	if (g_json) {
		jw_open(NULL, '{');
		if (n)
			jw_u64("lost", n);
		else
			jw_null("lost");
		jw_close('}');
	} else if (n) {
		printf("(%llu events not delivered)\n", (unsigned long long)n);
		fflush(stdout);
	} else {
		fprintf(stderr, "%s: events lost (reader too slow)\n", prog);
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmd_monitor(int argc, char **argv)
{
	struct vfioext_nl_event ev = { .struct_size = sizeof(ev) };
	struct vfioext_nl *nl;
	long count = -1, timeout = -1, seen = 0;
	unsigned int mask = 0;
	char dev[VFIOEXT_BDF_LEN] = "";
	uint64_t next_seq = 0;
	int64_t deadline = 0, left;
	bool first = true;
	int opt, ret, idx;

	optind = 0;
	while ((opt = getopt_long(argc, argv, COMMON_SHORT "n:t:e:d:", long_opts,
				  &idx)) != -1) {
		switch (opt) {
		case 'e':
			if (!event_mask(optarg, &mask))
				return 2;
			break;
		case 'd':
			if (vfioext_bdf_canon(optarg, dev)) {
				fprintf(stderr, "%s: bad device address '%s'\n",
					prog, optarg);
				return 2;
			}
			break;
		case 'n':
			if (!parse_number(optarg, LONG_MAX, &count))
				return 2;
			break;
		case 't':
			if (!parse_number(optarg, MAX_TIMEOUT_S, &timeout))
				return 2;
			break;
		default:
			ret = common_opt(opt, argv[0], idx);
			if (ret != CONTINUE)
				return ret;
		}
	}
	if (optind != argc) {
		print_usage(stderr);
		return 2;
	}
	if (!mask)
		mask = ~0u;
	if (open_nl(&nl, true))
		return 1;
	/*
	 * Subscribed: a caller waiting for this line may trigger events
	 * (on stderr with -j, so that stdout stays JSON).
	 */
	fprintf(g_json ? stderr : stdout, "monitoring vfio-ext events%s\n",
		count < 0 && timeout < 0 ? " (Ctrl-C stops)" : "");
	fflush(g_json ? stderr : stdout);
	/* -t: time without a printed event; filtered ones do not count. */
	if (timeout >= 0)
		deadline = now_ms() + timeout_ms(timeout);
	while (count < 0 || seen < count) {
		left = -1;
		if (timeout >= 0) {
			left = deadline - now_ms();
			if (left <= 0)
				break;
		}
		ret = vfioext_nl_event_read(nl, &ev, (int)left);
		if (ret == -ETIMEDOUT)
			break;
		if (ret == -ENOBUFS) {
			events_lost(0);
			continue;
		}
		if (ret) {
			vfioext_nl_close(nl);
			return fail(ERR_OTHER, "monitor", -ret, NULL);
		}
		if (!first && ev.seq > next_seq)
			events_lost(ev.seq - next_seq);
		first = false;
		next_seq = ev.seq + 1;
		if (ev.type >= 32 || !(mask & (1u << ev.type)) ||
		    (dev[0] && strcmp(dev, ev.dev)))
			continue;
		event_print(&ev);
		seen++;
		if (timeout >= 0)
			deadline = now_ms() + timeout_ms(timeout);
	}
	vfioext_nl_close(nl);
	if (count >= 0 && seen < count)
		return timed_out("monitor", seen, count, "events");
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	char name[64];
	int opt, ret, idx;

	argv[0] = (char *)prog;
	/* The common options before the command ("+": stop at it). */
	while ((opt = getopt_long(argc, argv, "+" COMMON_SHORT, long_opts,
				  &idx)) != -1) {
		ret = common_opt(opt, argv[0], idx);
		if (ret != CONTINUE)
			return ret;
	}
	if (optind == argc) {
		print_usage(stderr);
		return 2;
	}
	/*
	 * Each command parses its own words, argv[0] being its name (which
	 * getopt's messages name: "vfio-ext dev: unrecognized option").
	 */
	argc -= optind;
	argv += optind;
	cmd = argv[0];
	snprintf(name, sizeof(name), "%s %s", prog, cmd);
	argv[0] = name;
	if (!strcmp(cmd, "dev"))
		return cmd_dev(argc, argv);
	if (!strcmp(cmd, "pviommu"))
		return cmd_pviommu(argc, argv);
	if (!strcmp(cmd, "monitor"))
		return cmd_monitor(argc, argv);
	if (!strcmp(cmd, "dsm"))
		return cmd_dsm(argc, argv);
	if (!strcmp(cmd, "notify"))
		return cmd_watch(argc, argv, true);
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc, argv, false);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	print_usage(stderr);
	return 2;
}
