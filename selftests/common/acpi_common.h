/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the ACPI selftests: hand-built _DSM blobs (the tests prove
 * the kernel ABI byte for byte, independently of libvfio-ext), the host
 * policy attribute, and the test SSDT (selftests/acpi/vfioext-test.asl).
 */
#ifndef ACPI_COMMON_H
#define ACPI_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio_ext.h>

#define TEST_UUID	"c0ffee00-1234-4abc-8def-0123456789ab"
#define ARGS_LEN	4096		/* what crosvm sends */

/*
 * The devices of the ACPI tests, from the environment (see test_bdf() in
 * vfio_common.h); the defaults are the bench's: the edu at 00:10.0 carries
 * the test _DSM (\_SB.PCI0.S80), 00:12.0 has an ACPI node without _DSM
 * (S90), 00:12.1 has none.
 */
const char *test_bdf(const char *env, const char *bench);
#define DSM_BDF		test_bdf("VFIOEXT_TEST_DSM_BDF", "0000:00:10.0")
#define NODSM_BDF	test_bdf("VFIOEXT_TEST_NODSM_BDF", "0000:00:12.0")
#define NOACPI_BDF	test_bdf("VFIOEXT_TEST_NOACPI_BDF", "0000:00:12.1")
/* DSM_BDF in a command line that a shell runs (popen(), system()). */
#define SH_DSM_BDF	"\"${VFIOEXT_TEST_DSM_BDF:-0000:00:10.0}\""

/* Test _DSM functions that make the firmware Notify S80. */
#define FN_NOTIFY	12	/* Notify(S80, Arg3[0]) */
#define FN_NOTIFY3	13	/* Notify 0x80, 0x81, 0x82 */

extern const uint8_t test_uuid[16];

struct dsm_buf {
	struct vfio_acpi_dsm hdr;
	uint8_t args[ARGS_LEN];
};

struct blob {
	struct dsm_buf *b;
	size_t off;
};

struct blob blob_init(struct dsm_buf *b, uint64_t rev, uint64_t func);
void blob_obj(struct blob *w, uint32_t type, uint32_t size, const void *data,
	      size_t n, int pad);
int dsm(int device, struct dsm_buf *b, unsigned long nr);
int write_policy(const char *bdf, const char *cmd);
int read_policy(const char *bdf, char *buf, size_t len);
long read_counter(const char *bdf, const char *name);
bool test_ssdt_loaded(void);
int fw_notify(int device, uint32_t value);
int fw_notify3(int device);
int acpi_notify_loopback(int device, uint32_t value);

#endif /* ACPI_COMMON_H */
