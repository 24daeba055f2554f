// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-ext: the operator's command line for vfio-ext.
 *
 *   vfio-ext dsm [-j] [--bind] [-r REV] [-a TYPE:VALUE]... [-b HEX]
 *                BDF UUID FUNCTION
 *   vfio-ext watch [-j] [-n COUNT] [-t SECONDS] [--loopback VALUE] BDF
 *
 * Evaluates the _DSM of a device bound to vfio-pci-ext for diagnosis and
 * prints the typed result (JSON with -j).  The device must not be in use
 * by a VMM (its VFIO group is opened here).  Arguments: each -a adds an
 * element to an Arg3 Package (int:N, str:TEXT, buf:HEX); -b passes a
 * Buffer as Arg3 instead.
 *
 * watch prints the device's ACPI notifications as they arrive, from the
 * lossless channel: every value, in order, with its time (JSON lines with
 * -j); --loopback injects one test value first.
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

static const char *prog = "vfio-ext";

static void print_usage(FILE *f)
{
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
		"usage: %s watch [-j] [-n COUNT] [-t SECONDS] [--loopback VALUE] BDF\n"
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
				goto out;
			}
			break;
		case 'a':
			if (nargs == MAX_ARGS) {
				fprintf(stderr, "%s: too many -a\n", prog);
				goto out;
			}
			args[nargs] = parse_arg(optarg);
			if (!args[nargs]) {
				fprintf(stderr,
					"%s: bad argument '%s' (int:N, str:TEXT, buf:HEX)\n",
					prog, optarg);
				goto out;
			}
			nargs++;
			break;
		case 'b':
			vfioext_acpi_free(arg3);
			arg3 = parse_hex_buffer(optarg);
			if (!arg3) {
				fprintf(stderr, "%s: bad hex buffer '%s'\n", prog, optarg);
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
	status = count >= 0 && seen < count ? 1 : 0;
out:
	if (ch >= 0)
		close(ch);
	vfioext_device_close(d);
	vfioext_group_close(g);
	vfioext_container_close(c);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vfio-ext %s\n", vfioext_version());
		return 0;
	}
	if (!strcmp(argv[1], "dsm"))
		return cmd_dsm(argc - 1, argv + 1);
	if (!strcmp(argv[1], "watch"))
		return cmd_watch(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	print_usage(stderr);
	return 2;
}
