// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-ext: the operator's command line for vfio-ext (see vfio-ext(8)).
 *
 *   vfio-ext [-j [-p]] dev list
 *   vfio-ext [-j [-p]] dev show BDF
 *   vfio-ext dev bind BDF [DRIVER]      (driver_override + bind)
 *   vfio-ext dev unbind BDF
 *   vfio-ext dev dsm-policy BDF COMMAND (admin: the _DSM policy)
 *   vfio-ext [-j [-p]] pviommu show [ID]
 *   vfio-ext [-j [-p]] monitor [-n COUNT] [-t SECONDS] [-e TYPES] [-d BDF]
 *   vfio-ext dsm [-j] [--bind] [-r REV] [-a TYPE:VALUE]... [-b HEX]
 *                BDF UUID FUNCTION
 *   vfio-ext notify watch [-j] [-n COUNT] [-t SECONDS] [--loopback V] BDF
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfioext.h"

#define MAX_ARGS	VFIO_ACPI_DSM_MAX_ELEMENTS
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *prog = "vfio-ext";
static bool g_json, g_pretty;

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-j [-p]] dev list | dev show BDF\n"
		"       %s dev bind BDF [DRIVER] | dev unbind BDF\n"
		"       %s dev dsm-policy BDF COMMAND\n"
		"       %s [-j [-p]] pviommu show [ID]\n"
		"       %s [-j [-p]] monitor [-n COUNT] [-t SECONDS] [-e TYPE,...] [-d BDF]\n"
		"  -j, --json        print JSON\n"
		"  -p, --pretty      indent the JSON\n"
		"  -V, --version     print the version\n"
		"\n",
		prog, prog, prog, prog, prog);
	fprintf(f,
		"usage: %s dsm [-j] [--bind] [-r REV] [-a TYPE:VALUE]... [-b HEX] BDF UUID FUNCTION\n"
		"\n"
		"Evaluate the ACPI _DSM of a device bound to vfio-pci-ext.\n"
		"  -j, --json        print JSON\n"
		"      --bind        bind the device to vfio-pci-ext first\n"
		"  -r, --revision N  Arg1 (default 0)\n"
		"  -a, --arg T:V     add a Package element: int:N, str:TEXT, buf:HEX\n"
		"  -b, --buffer HEX  pass Arg3 as a Buffer instead of a Package\n"
		"The host policy (/sys/bus/pci/devices/BDF/vfio_ext/dsm_policy)\n"
		"applies; by default only function 0 is allowed.\n"
		"\n"
		"usage: %s notify watch [-j] [-n COUNT] [-t SECONDS] [--loopback VALUE] BDF\n"
		"\n"
		"Print the device's ACPI notifications as they arrive.\n"
		"  -n, --count N     stop after N notifications\n"
		"  -t, --timeout S   stop after S seconds without one\n"
		"      --loopback V  inject test value V (0..255) first\n",
		prog, prog);
}

/* What each documented errno of the call means, for people. */
static const char *dsm_errno_text(int err)
{
	switch (err) {
	case ENODEV: return "the device has no ACPI companion";
	case ENOENT: return "the device's ACPI node has no _DSM";
	case EACCES: return "denied by the host policy (see dsm_policy)";
	case EIO: return "the firmware method failed or returned nothing";
	case ENOSPC: return "the result is larger than 64 KiB";
	case EOPNOTSUPP: return "the result holds an object the layout cannot carry";
	case ENOTTY: return "the device is not bound to vfio-pci-ext";
	default: return strerror(err);
	}
}

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

static struct vfioext_acpi_obj *parse_hex_buffer(const char *s)
{
	struct vfioext_acpi_obj *o;
	size_t n = strlen(s), i;
	uint8_t *b;

	if (n % 2)
		return NULL;
	b = malloc(n / 2 + 1);
	if (!b)
		return NULL;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return NULL;
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	o = vfioext_acpi_buffer(b, n / 2);
	free(b);
	return o;
}

static struct vfioext_acpi_obj *parse_arg(const char *s)
{
	char *end;
	uint64_t v;

	if (!strncmp(s, "int:", 4)) {
		errno = 0;
		v = strtoull(s + 4, &end, 0);
		if (errno || end == s + 4 || *end || s[4] == '-')
			return NULL;
		return vfioext_acpi_integer(v);
	}
	if (!strncmp(s, "str:", 4))
		return vfioext_acpi_string(s + 4);
	if (!strncmp(s, "buf:", 4))
		return parse_hex_buffer(s + 4);
	return NULL;
}

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

static void print_obj(const struct vfioext_acpi_obj *o, bool json, int depth)
{
	size_t i;

	switch (o->type) {
	case VFIOEXT_ACPI_INTEGER:
		if (json)
			printf("{\"type\":\"integer\",\"value\":%llu}",
			       (unsigned long long)o->integer);
		else
			printf("Integer 0x%llx (%llu)\n",
			       (unsigned long long)o->integer,
			       (unsigned long long)o->integer);
		break;
	case VFIOEXT_ACPI_STRING:
		if (json) {
			printf("{\"type\":\"string\",\"value\":");
			json_string(o->string, o->length);
			putchar('}');
		} else {
			printf("String (%zu) ", o->length);
			json_string(o->string, o->length);
			putchar('\n');
		}
		break;
	case VFIOEXT_ACPI_BUFFER:
		printf(json ? "{\"type\":\"buffer\",\"value\":\"" :
			      "Buffer (%zu)", o->length);
		for (i = 0; i < o->length; i++)
			printf(json ? "%02x" : " %02x", o->buffer[i]);
		printf(json ? "\"}" : "\n");
		break;
	case VFIOEXT_ACPI_PACKAGE:
		printf(json ? "{\"type\":\"package\",\"elements\":[" :
			      "Package (%zu)\n", o->count);
		for (i = 0; i < o->count; i++) {
			if (json)
				printf(i ? "," : "");
			else
				printf("%*s[%zu] ", 2 * (depth + 1), "", i);
			print_obj(o->elements[i], json, depth + 1);
		}
		printf(json ? "]}" : "");
		break;
	}
}

static int fail(bool json, const char *what, int err)
{
	/* The _DSM errnos have specific meanings; others are plain errnos. */
	const char *text = strcmp(what, "dsm") ? strerror(err) :
			   dsm_errno_text(err);

	if (json) {
		printf("{\"error\":\"%s\",\"errno\":%d,\"message\":", what, err);
		json_string(text, strlen(text));
		printf("}\n");
	}
	fprintf(stderr, "%s: %s: %s\n", prog, what, text);
	return 1;
}

static int cmd_dsm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bind", no_argument, NULL, 'B' },
		{ "revision", required_argument, NULL, 'r' },
		{ "arg", required_argument, NULL, 'a' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vfioext_acpi_obj *args[MAX_ARGS], *arg3 = NULL, *res = NULL;
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *d = NULL;
	bool json = false, bind = false;
	uint64_t rev = 0, func;
	size_t nargs = 0, i;
	char bdf[VFIOEXT_BDF_LEN], *end;
	uint8_t uuid[16];
	int opt, ret, status = 1;

	while ((opt = getopt_long(argc, argv, "jr:a:b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'B':
			bind = true;
			break;
		case 'r':
			errno = 0;
			rev = strtoull(optarg, &end, 0);
			if (errno || *end || optarg[0] == '-') {
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
			args[nargs] = parse_arg(optarg);
			if (!args[nargs]) {
				fprintf(stderr,
					"%s: bad argument '%s' (int:N, str:TEXT, buf:HEX)\n",
					prog, optarg);
				status = 2;
				goto out;
			}
			nargs++;
			break;
		case 'b':
			vfioext_acpi_free(arg3);
			arg3 = parse_hex_buffer(optarg);
			if (!arg3) {
				fprintf(stderr, "%s: bad hex buffer '%s'\n", prog, optarg);
				status = 2;
				goto out;
			}
			break;
		case 'h':
			print_usage(stdout);
			status = 0;
			goto out;
		default:
			print_usage(stderr);
			status = 2;
			goto out;
		}
	}
	json |= g_json;
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
	if (errno || *end || argv[optind + 2][0] == '-') {
		fprintf(stderr, "%s: bad function '%s'\n", prog, argv[optind + 2]);
		status = 2;
		goto out;
	}
	if (nargs) {
		arg3 = vfioext_acpi_package(nargs);
		if (!arg3) {
			status = fail(json, "arguments", ENOMEM);
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
			status = fail(json, "bind", -ret);
			goto out;
		}
	}
	ret = vfioext_open_device(bdf, VFIO_TYPE1v2_IOMMU, &c, &g, &d);
	if (ret) {
		status = fail(json, "open", -ret);
		goto out;
	}

	ret = vfioext_acpi_dsm(d, uuid, rev, func, arg3, &res);
	if (ret) {
		status = fail(json, "dsm", -ret);
		goto out;
	}
	if (json) {
		printf("{\"device\":\"%s\",\"uuid\":\"%s\",", bdf,
		       argv[optind + 1]);
		printf("\"revision\":%llu,\"function\":%llu,\"result\":",
		       (unsigned long long)rev, (unsigned long long)func);
		print_obj(res, true, 0);
		printf("}\n");
	} else {
		printf("%s _DSM %s revision %llu function %llu:\n", bdf,
		       argv[optind + 1], (unsigned long long)rev,
		       (unsigned long long)func);
		print_obj(res, false, 0);
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
			 bool json, uint64_t t0)
{
	bool lb = r->flags & VFIO_EXT_ACPI_NOTIFY_LOOPBACK;

	if (json) {
		printf("{\"seq\":%llu,\"timestamp_ns\":%llu,\"value\":%u,",
		       (unsigned long long)r->seq,
		       (unsigned long long)r->timestamp_ns, r->value);
		printf("\"loopback\":%s,\"dropped\":%u}\n",
		       lb ? "true" : "false", r->dropped);
	} else {
		if (r->dropped)
			printf("(%u notifications dropped: reader too slow)\n",
			       r->dropped);
		printf("#%-6llu +%.6f s  value 0x%02x (%s)%s\n",
		       (unsigned long long)r->seq,
		       (r->timestamp_ns - t0) / 1e9, r->value,
		       r->value < 0x80 ? "system" : "device-specific",
		       lb ? "  [loopback]" : "");
	}
	fflush(stdout);
}

static int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "loopback", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vfio_ext_acpi_notify_record recs[16];
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *d = NULL;
	long count = -1, timeout = -1, loopback = -1, seen = 0;
	char bdf[VFIOEXT_BDF_LEN], *end;
	bool json = false;
	uint64_t t0 = 0;
	int opt, ret, ch = -1, n, i, status = 1;

	while ((opt = getopt_long(argc, argv, "jn:t:h", opts, NULL)) != -1) {
		errno = 0;
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'n':
			count = strtol(optarg, &end, 0);
			break;
		case 't':
			timeout = strtol(optarg, &end, 0);
			break;
		case 'L':
			loopback = strtol(optarg, &end, 0);
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
		if (opt != 'j' && (errno || *end || strtol(optarg, NULL, 0) < 0)) {
			fprintf(stderr, "%s: bad number '%s'\n", prog, optarg);
			return 2;
		}
	}
	json |= g_json;
	if (argc - optind != 1 || vfioext_bdf_canon(argv[optind], bdf)) {
		print_usage(stderr);
		return 2;
	}

	ret = vfioext_open_device(bdf, VFIO_TYPE1v2_IOMMU, &c, &g, &d);
	if (ret) {
		status = fail(json, "open", -ret);
		goto out;
	}
	ch = vfioext_acpi_notify_open(d, 0);
	if (ch < 0) {
		status = fail(json, "channel", -ch);
		goto out;
	}
	if (loopback >= 0) {
		ret = vfioext_acpi_notify_test(d, (uint32_t)loopback);
		if (ret) {
			status = fail(json, "loopback", -ret);
			goto out;
		}
	}
	if (!json)
		printf("watching ACPI notifications of %s%s\n", bdf,
		       count < 0 && timeout < 0 ? " (Ctrl-C stops)" : "");
	while (count < 0 || seen < count) {
		n = vfioext_acpi_notify_read(ch, recs, 16,
					     timeout < 0 ? -1 : (int)timeout * 1000);
		if (n == -ETIMEDOUT || n == 0)
			break;
		if (n < 0) {
			status = fail(json, "read", -n);
			goto out;
		}
		for (i = 0; i < n && (count < 0 || seen < count); i++, seen++) {
			if (!t0)
				t0 = recs[i].timestamp_ns;
			print_record(&recs[i], json, t0);
		}
	}
	status = 0;
	if (count >= 0 && seen < count) {
		fprintf(stderr, "%s: timed out after %ld of %ld notifications\n",
			prog, seen, count);
		status = 1;
	}
out:
	if (ch >= 0)
		close(ch);
	vfioext_device_close(d);
	vfioext_group_close(g);
	vfioext_container_close(c);
	return status;
}

/* ------------------------------------------------------------------ */
/* JSON output (-j, -p)                                                */
/* ------------------------------------------------------------------ */

/* A minimal writer: objects and arrays nest, commas are placed for us. */
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
	if (!jw.depth)
		putchar('\n');
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

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* What to do about the errors of netlink requests, for people. */
static const char *nl_errno_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "no vfio-ext netlink family: modprobe vfio-pci-ext";
	case EPERM:
		return "permission denied: needs CAP_NET_ADMIN and CAP_SYS_ADMIN (root)";
	case ENODEV: return "the device is not bound to vfio-pci-ext (vfio-ext dev bind BDF)";
	case EPROTONOSUPPORT: return "this kernel has no generic netlink";
	default: return strerror(err);
	}
}

/*
 * Report a failed netlink operation: the kernel's own message when it
 * gave one, else the hint.  JSON on stdout too with -j.
 */
static int nl_fail(struct vfioext_nl *nl, const char *what, int err)
{
	char msg[256] = "";

	if (nl)
		vfioext_nl_errmsg(nl, msg, sizeof(msg));
	if (g_json) {
		jw_open(NULL, '{');
		jw_str("error", what);
		jw_u64("errno", err);
		jw_str("message", msg[0] ? msg : nl_errno_hint(err));
		jw_close('}');
	}
	if (msg[0])
		fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, msg,
			strerror(err));
	else
		fprintf(stderr, "%s: %s: %s\n", prog, what, nl_errno_hint(err));
	fflush(stdout);
	return 1;
}

static int open_nl(struct vfioext_nl **nl, bool events)
{
	int ret = events ? vfioext_nl_events_open(nl) : vfioext_nl_open(nl);

	if (ret)
		return nl_fail(NULL, "netlink", -ret);
	return 0;
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
	unsigned int i;
	char id[8];

	jw_open(NULL, '{');
	jw_str("device", d->name);
	snprintf(id, sizeof(id), "%04x", d->vendor);
	jw_str("vendor", id);
	snprintf(id, sizeof(id), "%04x", d->device);
	jw_str("device_id", id);
	if (d->iommu_group >= 0)
		jw_u64("iommu_group", (uint64_t)d->iommu_group);
	jw_str("driver", d->driver);
	jw_bool("open", d->open);
	if (d->open)
		jw_u64("opener_pid", d->opener_pid);
	if (d->kvm_pid)
		jw_u64("kvm_pid", d->kvm_pid);
	jw_open("regions", '[');
	for (i = 0; i < d->nr_regions; i++) {
		jw_open(NULL, '{');
		jw_u64("index", d->regions[i].index);
		jw_str("name", region_name(d->regions[i].index));
		jw_u64("size", d->regions[i].size);
		jw_u64("flags", d->regions[i].flags);
		jw_close('}');
	}
	jw_close(']');
	jw_open("irqs", '[');
	for (i = 0; i < d->nr_irqs; i++) {
		jw_open(NULL, '{');
		jw_u64("index", d->irqs[i].index);
		jw_str("name", irq_name(d->irqs[i].index));
		jw_u64("count", d->irqs[i].count);
		jw_close('}');
	}
	jw_close(']');
	if (d->acpi_path[0])
		jw_str("acpi_path", d->acpi_path);
	jw_open("dsm", '{');
	jw_str("policy", d->dsm_policy ? d->dsm_policy : "");
	jw_u64("calls", d->dsm_calls);
	jw_u64("denied", d->dsm_denied);
	jw_close('}');
	jw_open("notify", '{');
	jw_bool("handler", d->notify_handler);
	jw_bool("eventfd", d->notify_eventfd);
	jw_bool("channel", d->notify_channel);
	jw_u64("count", d->notify_count);
	jw_close('}');
	jw_open("power", '{');
	jw_str("state", d->power_state);
	jw_str("runtime", d->runtime_pm);
	jw_bool("low_power", d->low_power);
	jw_close('}');
	jw_close('}');
}

static void dev_line(const struct vfioext_nl_dev *d)
{
	printf("%s %04x:%04x", d->name, d->vendor, d->device);
	if (d->iommu_group >= 0)
		printf(" group %d", d->iommu_group);
	printf(" %s %s", d->power_state, d->open ? "open" : "closed");
	if (d->open)
		printf(" pid %u", d->opener_pid);
	if (d->kvm_pid)
		printf(" vm kvm-%u", d->kvm_pid);
	if (d->acpi_path[0])
		printf(" acpi %s", d->acpi_path);
	putchar('\n');
}

static void dev_detail(const struct vfioext_nl_dev *d)
{
	unsigned int i;
	const char *p;

	dev_line(d);
	printf("    driver %s\n", d->driver);
	for (i = 0; i < d->nr_regions; i++)
		if (d->regions[i].size)
			printf("    region %u (%s) size %#llx flags %#x%s%s%s\n",
			       d->regions[i].index,
			       region_name(d->regions[i].index),
			       (unsigned long long)d->regions[i].size,
			       d->regions[i].flags,
			       d->regions[i].flags & VFIO_REGION_INFO_FLAG_READ ? " read" : "",
			       d->regions[i].flags & VFIO_REGION_INFO_FLAG_WRITE ? " write" : "",
			       d->regions[i].flags & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "");
	printf("    irqs");
	for (i = 0; i < d->nr_irqs; i++)
		printf(" %s:%u", irq_name(d->irqs[i].index), d->irqs[i].count);
	printf("\n    power %s runtime %s%s\n", d->power_state, d->runtime_pm,
	       d->low_power ? " (held in low power by its user)" : "");
	printf("    _DSM calls %llu denied %llu, policy:\n",
	       (unsigned long long)d->dsm_calls,
	       (unsigned long long)d->dsm_denied);
	for (p = d->dsm_policy ? d->dsm_policy : ""; *p;) {
		size_t n = strcspn(p, "\n");

		printf("        %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	printf("    notifications %llu, handler %s, eventfd %s, channel %s\n",
	       (unsigned long long)d->notify_count,
	       d->notify_handler ? "installed" : "not installed",
	       d->notify_eventfd ? "set" : "unset",
	       d->notify_channel ? "open" : "closed");
}

static int dev_list(void)
{
	struct vfioext_nl_dev *devs;
	struct vfioext_nl *nl;
	size_t n, i;
	int ret;

	if (open_nl(&nl, false))
		return 1;
	ret = vfioext_nl_dev_list(nl, &devs, &n);
	if (ret) {
		ret = nl_fail(nl, "dev list", -ret);
		vfioext_nl_close(nl);
		return ret;
	}
	if (g_json)
		jw_open(NULL, '[');
	for (i = 0; i < n; i++) {
		if (g_json)
			dev_json(&devs[i]);
		else
			dev_line(&devs[i]);
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
	struct vfioext_nl_dev d;
	struct vfioext_nl *nl;
	int ret;

	if (open_nl(&nl, false))
		return 1;
	ret = vfioext_nl_dev_get(nl, bdf, &d);
	if (ret) {
		ret = nl_fail(nl, "dev show", -ret);
		vfioext_nl_close(nl);
		return ret;
	}
	if (g_json)
		dev_json(&d);
	else
		dev_detail(&d);
	vfioext_nl_dev_clear(&d);
	vfioext_nl_close(nl);
	return 0;
}

static const char *bind_errno_text(int err)
{
	switch (err) {
	case ENODEV: return "no such PCI device";
	case ENOENT: return "the driver is not loaded (modprobe it first)";
	case EBUSY: return "the driver did not take the device (see dmesg)";
	case EACCES:
	case EPERM: return "permission denied (run as root)";
	default: return strerror(err);
	}
}

static int cmd_dev(int argc, char **argv)
{
	char bdf[VFIOEXT_BDF_LEN];
	const char *sub = argc > 1 ? argv[1] : "list";
	struct vfioext_nl *nl;
	int ret;

	if (!strcmp(sub, "list") && argc <= 2)
		return dev_list();
	if (argc < 3 || vfioext_bdf_canon(argv[2], bdf)) {
		fprintf(stderr, "%s: dev %s: give a PCI address (dddd:bb:dd.f)\n",
			prog, sub);
		return 2;
	}
	if (!strcmp(sub, "show") && argc == 3)
		return dev_show(bdf);
	if (!strcmp(sub, "bind") && (argc == 3 || argc == 4)) {
		ret = vfioext_pci_bind(bdf, argc == 4 ? argv[3] :
				       VFIO_EXT_PCI_DRIVER_NAME);
		if (ret) {
			fprintf(stderr, "%s: bind %s: %s\n", prog, bdf,
				bind_errno_text(-ret));
			return 1;
		}
		return 0;
	}
	if (!strcmp(sub, "unbind") && argc == 3) {
		ret = vfioext_pci_unbind(bdf);
		if (ret) {
			fprintf(stderr, "%s: unbind %s: %s\n", prog, bdf,
				bind_errno_text(-ret));
			return 1;
		}
		return 0;
	}
	if (!strcmp(sub, "dsm-policy") && argc == 4) {
		if (open_nl(&nl, false))
			return 1;
		ret = vfioext_nl_dsm_policy_set(nl, bdf, argv[3]);
		if (ret)
			ret = nl_fail(nl, "dsm-policy", -ret);
		vfioext_nl_close(nl);
		return ret;
	}
	print_usage(stderr);
	return 2;
}

/* ------------------------------------------------------------------ */
/* pviommu                                                             */
/* ------------------------------------------------------------------ */

static void pviommu_json(const struct vfioext_nl_pviommu *p)
{
	unsigned int i;

	jw_open(NULL, '{');
	jw_u64("id", p->id);
	jw_u64("owner_pid", p->owner_pid);
	jw_u64("mappings", p->mappings);
	jw_u64("container_mappings", p->def_mappings);
	jw_u64("pinned_pages", p->pinned);
	jw_u64("dma_limit", p->dma_limit);
	jw_open("counters", '{');
	jw_u64("map", p->map_reqs);
	jw_u64("unmap", p->unmap_reqs);
	jw_u64("map_failed", p->map_failed);
	jw_u64("unmap_failed", p->unmap_failed);
	jw_u64("viommu_requests", p->viommu_reqs);
	jw_u64("viommu_failed", p->viommu_failed);
	jw_u64("faults", p->faults);
	jw_close('}');
	jw_open("endpoints", '[');
	for (i = 0; i < p->nr_endpoints; i++) {
		jw_open(NULL, '{');
		jw_u64("group", p->endpoints[i].group);
		jw_str("device", p->endpoints[i].dev);
		if (p->endpoints[i].has_vsid)
			jw_u64("vsid", p->endpoints[i].vsid);
		jw_u64("domain", p->endpoints[i].domain);
		jw_close('}');
	}
	jw_close(']');
	jw_open("domains", '[');
	for (i = 0; i < p->nr_domains; i++) {
		jw_open(NULL, '{');
		jw_u64("id", p->domains[i].id);
		jw_u64("mappings", p->domains[i].mappings);
		jw_u64("endpoints", p->domains[i].endpoints);
		jw_close('}');
	}
	jw_close(']');
	jw_close('}');
}

static void pviommu_text(const struct vfioext_nl_pviommu *p)
{
	unsigned int i;

	printf("container %u owner pid %u: %u mappings ", p->id,
	       p->owner_pid, p->mappings);
	printf("(%u in the container's space), %llu pages pinned, limit %u\n",
	       p->def_mappings,
	       (unsigned long long)p->pinned, p->dma_limit);
	printf("    requests: map %llu (%llu failed), unmap %llu (%llu failed)\n",
	       (unsigned long long)p->map_reqs,
	       (unsigned long long)p->map_failed,
	       (unsigned long long)p->unmap_reqs,
	       (unsigned long long)p->unmap_failed);
	if (p->viommu_reqs)
		printf("    virtio-iommu requests %llu (%llu failed)\n",
		       (unsigned long long)p->viommu_reqs,
		       (unsigned long long)p->viommu_failed);
	if (p->faults)
		printf("    DMA faults reported %llu\n",
		       (unsigned long long)p->faults);
	for (i = 0; i < p->nr_endpoints; i++) {
		printf("    group %u (%s)", p->endpoints[i].group,
		       p->endpoints[i].dev);
		if (p->endpoints[i].has_vsid)
			printf(" vsid %u", p->endpoints[i].vsid);
		if (p->endpoints[i].domain)
			printf(" -> domain %u\n", p->endpoints[i].domain);
		else
			printf(" -> container mappings\n");
	}
	for (i = 0; i < p->nr_domains; i++)
		printf("    domain %u: %u mappings, %u endpoints\n",
		       p->domains[i].id, p->domains[i].mappings,
		       p->domains[i].endpoints);
}

static int cmd_pviommu(int argc, char **argv)
{
	struct vfioext_nl_pviommu *v = NULL, one;
	struct vfioext_nl *nl;
	unsigned long id = 0;
	size_t n = 0, i;
	char *end;
	int ret;

	if (argc < 2 || strcmp(argv[1], "show") || argc > 3) {
		print_usage(stderr);
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		id = strtoul(argv[2], &end, 0);
		if (errno || *end || !id || id > UINT32_MAX) {
			fprintf(stderr, "%s: bad container id '%s'\n", prog,
				argv[2]);
			return 2;
		}
	}
	if (open_nl(&nl, false))
		return 1;
	if (id) {
		ret = vfioext_nl_pviommu_get(nl, (uint32_t)id, &one);
		if (!ret) {
			v = &one;
			n = 1;
		}
	} else {
		ret = vfioext_nl_pviommu_list(nl, &v, &n);
	}
	if (ret) {
		ret = nl_fail(nl, "pviommu show", -ret);
		vfioext_nl_close(nl);
		return ret;
	}
	if (g_json && !id)
		jw_open(NULL, '[');
	for (i = 0; i < n; i++) {
		if (g_json)
			pviommu_json(&v[i]);
		else
			pviommu_text(&v[i]);
	}
	if (g_json && !id)
		jw_close(']');
	else if (!g_json && !n)
		printf("no pviommu container\n");
	if (id)
		vfioext_nl_pviommu_clear(&one);
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
			jw_str("runtime", ev->runtime_pm);
			if (ev->power_state[0])
				jw_str("state", ev->power_state);
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
			       ev->runtime_pm);
			if (ev->power_state[0])
				printf(" (%s)", ev->power_state);
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

/* "open,close,...": a bit per event type; 0 on an unknown name. */
static unsigned int event_mask(const char *list)
{
	char buf[128], *tok, *save = NULL;
	unsigned int mask = 0, t;

	if (strlen(list) >= sizeof(buf))
		return 0;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (t = VFIO_EXT_EVENT_ACPI_NOTIFY;
		     t <= VFIO_EXT_EVENT_IOMMU_FAULT; t++)
			if (!strcmp(tok, vfioext_nl_event_name(t)))
				break;
		if (t > VFIO_EXT_EVENT_IOMMU_FAULT) {
			fprintf(stderr,
				"%s: unknown event '%s' (%s)\n", prog, tok,
				"acpi-notify, open, close, power, iommu-fault");
			return 0;
		}
		mask |= 1u << t;
	}
	return mask;
}

static int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "event", required_argument, NULL, 'e' },
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vfioext_nl_event ev;
	struct vfioext_nl *nl;
	long count = -1, timeout = -1, seen = 0;
	unsigned int mask = ~0u;
	const char *dev = NULL;
	uint64_t next_seq = 0;
	bool first = true;
	char *end;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "n:t:e:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			mask = event_mask(optarg);
			if (!mask)
				return 2;
			break;
		case 'd':
			dev = optarg;
			break;
		case 'n':
		case 't':
			errno = 0;
			*(opt == 'n' ? &count : &timeout) =
				strtol(optarg, &end, 0);
			if (errno || *end || optarg[0] == '-') {
				fprintf(stderr, "%s: bad number '%s'\n", prog,
					optarg);
				return 2;
			}
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		print_usage(stderr);
		return 2;
	}
	if (open_nl(&nl, true))
		return 1;
	/*
	 * Subscribed: a caller waiting for this line may trigger events
	 * (on stderr with -j, so that stdout stays JSON).
	 */
	fprintf(g_json ? stderr : stdout, "monitoring vfio-ext events%s\n",
		count < 0 && timeout < 0 ? " (Ctrl-C stops)" : "");
	fflush(g_json ? stderr : stdout);
	while (count < 0 || seen < count) {
		ret = vfioext_nl_event_read(nl, &ev, timeout < 0 ? -1 :
					    (int)timeout * 1000);
		if (ret == -ETIMEDOUT)
			break;
		if (ret == -ENOBUFS) {
			fprintf(stderr, "%s: events lost (reader too slow)\n",
				prog);
			continue;
		}
		if (ret) {
			vfioext_nl_close(nl);
			return nl_fail(NULL, "monitor", -ret);
		}
		/* Gaps are counted over every event, filtered or not. */
		if (!first && ev.seq != next_seq && !g_json)
			printf("(%llu events not delivered)\n",
			       (unsigned long long)(ev.seq - next_seq));
		first = false;
		next_seq = ev.seq + 1;
		if (ev.type >= 32 || !(mask & (1u << ev.type)) ||
		    (dev && strcmp(dev, ev.dev)))
			continue;
		event_print(&ev);
		seen++;
	}
	vfioext_nl_close(nl);
	if (count >= 0 && seen < count) {
		fprintf(stderr, "%s: timed out after %ld of %ld events\n",
			prog, seen, count);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			print_usage(stdout);
			return 0;
		}
		if (!strcmp(o, "-V") || !strcmp(o, "--version")) {
			printf("vfio-ext %s\n", vfioext_version());
			return 0;
		}
		if (!strcmp(o, "-j") || !strcmp(o, "--json")) {
			g_json = true;
		} else if (!strcmp(o, "-p") || !strcmp(o, "--pretty")) {
			g_pretty = true;
		} else if (!strcmp(o, "-jp") || !strcmp(o, "-pj")) {
			g_json = true;
			g_pretty = true;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, o);
			print_usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		print_usage(stderr);
		return 2;
	}
	argc -= i - 1;
	argv += i - 1;
	if (!strcmp(argv[1], "dev"))
		return cmd_dev(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pviommu"))
		return cmd_pviommu(argc - 1, argv + 1);
	if (!strcmp(argv[1], "monitor"))
		return cmd_monitor(argc - 1, argv + 1);
	if (!strcmp(argv[1], "dsm"))
		return cmd_dsm(argc - 1, argv + 1);
	if (!strcmp(argv[1], "notify") && argc > 2 &&
	    !strcmp(argv[2], "watch"))
		return cmd_watch(argc - 2, argv + 2);
	if (!strcmp(argv[1], "watch"))
		return cmd_watch(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	print_usage(stderr);
	return 2;
}
