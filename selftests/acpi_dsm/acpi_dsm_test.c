// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACPI _DSM through the VFIO device fd of vfio-pci-ext, against the test
 * firmware in selftests/acpi/vfioext-test.asl (loaded by tools/run-tests
 * with --acpi-table).  Blobs are built by hand here: these tests prove the
 * kernel ABI byte for byte, independently of libvfio-ext's codec.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "le.h"
#include "vfio_common.h"
#include "acpi_common.h"

FIXTURE(dsm) {
	struct vfio_handles h;
	struct dsm_buf b;
};

FIXTURE_SETUP(dsm)
{
	vfio_handles_init(&self->h);
	if (!test_ssdt_loaded())
		SKIP(_exit(255), "test SSDT not loaded (vmrun --acpi-table)");
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all(&self->h, DSM_BDF));
	ASSERT_EQ(0, write_policy(DSM_BDF, "reset"));
	ASSERT_EQ(0, write_policy(DSM_BDF, "allow " TEST_UUID " all"));
}

FIXTURE_TEARDOWN(dsm)
{
	write_policy(DSM_BDF, "reset");
	vfio_close_all(&self->h);
}

TEST_F(dsm, function0_by_default)
{
	long denied;

	ASSERT_EQ(0, write_policy(DSM_BDF, "reset"));
	blob_init(&self->b, 0, 0);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_BUFFER, get32(self->b.args + 32));
	EXPECT_EQ(2, get32(self->b.args + 36));
	EXPECT_EQ(0xff, self->b.args[40]);
	EXPECT_EQ(0x3f, self->b.args[41]);

	/* Anything else is denied until the administrator allows it. */
	denied = read_counter(DSM_BDF, "dsm_denied");
	ASSERT_LE(0, denied);
	blob_init(&self->b, 0, 1);
	EXPECT_EQ(-EACCES, dsm(self->h.device, &self->b,
			       VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(denied + 1, read_counter(DSM_BDF, "dsm_denied"));
	/* A denied call leaves the buffer untouched. */
	EXPECT_EQ(0, get32(self->b.args + 32));

	ASSERT_EQ(0, write_policy(DSM_BDF, "allow " TEST_UUID " 1"));
	blob_init(&self->b, 0, 1);
	EXPECT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	blob_init(&self->b, 0, 2);
	EXPECT_EQ(-EACCES, dsm(self->h.device, &self->b,
			       VFIO_EXT_DEVICE_ACPI_DSM));
}

TEST_F(dsm, policy_attribute)
{
	char path[128], buf[512];
	ssize_t n;
	int fd;

	ASSERT_EQ(0, write_policy(DSM_BDF, "clear"));
	ASSERT_EQ(0, write_policy(DSM_BDF, "allow " TEST_UUID " 1,3-5"));
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/vfio_ext/dsm_policy", DSM_BDF);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_STREQ("allow " TEST_UUID " 1,3-5\n", buf);
	EXPECT_EQ(-EINVAL, write_policy(DSM_BDF, "allow " TEST_UUID " 1-"));
	EXPECT_EQ(-ERANGE, write_policy(DSM_BDF, "allow * 64"));
	EXPECT_EQ(-ENOENT, write_policy(DSM_BDF, "deny *"));
	/* Function 0 is no longer allowed after clear. */
	blob_init(&self->b, 0, 0);
	EXPECT_EQ(-EACCES, dsm(self->h.device, &self->b,
			       VFIO_EXT_DEVICE_ACPI_DSM));
}

TEST_F(dsm, result_types)
{
	uint8_t *a = self->b.args;
	long calls = read_counter(DSM_BDF, "dsm_calls");

	blob_init(&self->b, 0, 1);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_INTEGER, get32(a + 32));
	EXPECT_EQ(8, get32(a + 36));
	EXPECT_EQ(0x12345678, get64(a + 40));

	blob_init(&self->b, 0, 2);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_STRING, get32(a + 32));
	EXPECT_EQ(9, get32(a + 36));	/* "vfio-ext" and its NUL */
	EXPECT_EQ(0, memcmp(a + 40, "vfio-ext", 9));

	blob_init(&self->b, 0, 3);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_BUFFER, get32(a + 32));
	EXPECT_EQ(5, get32(a + 36));
	EXPECT_EQ(0, memcmp(a + 40, "\1\2\3\4\5", 5));

	/* Package { 0xcafe, "pkg", Buffer { 0xaa, 0xbb } }, unpadded. */
	blob_init(&self->b, 0, 4);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, get32(a + 32));
	EXPECT_EQ(3, get32(a + 36));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_INTEGER, get32(a + 40));
	EXPECT_EQ(8, get32(a + 44));
	EXPECT_EQ(0xcafe, get64(a + 48));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_STRING, get32(a + 56));
	EXPECT_EQ(4, get32(a + 60));
	EXPECT_EQ(0, memcmp(a + 64, "pkg", 4));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_BUFFER, get32(a + 68));
	EXPECT_EQ(2, get32(a + 72));
	EXPECT_EQ(0xaa, a[76]);
	EXPECT_EQ(0xbb, a[77]);

	EXPECT_EQ(calls + 4, read_counter(DSM_BDF, "dsm_calls"));
}

TEST_F(dsm, argument_echo)
{
	static const uint8_t bytes[3] = { 0x10, 0x20, 0x30 };
	uint8_t *a = self->b.args;
	uint64_t v = 0x0123456789abcdefULL;
	struct blob w;

	/* Buffer */
	w = blob_init(&self->b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_BUFFER, 3, bytes, 3, 0);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_BUFFER, get32(a + 32));
	EXPECT_EQ(3, get32(a + 36));
	EXPECT_EQ(0, memcmp(a + 40, bytes, 3));

	/* Integer */
	w = blob_init(&self->b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8, &v, 8, 0);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_INTEGER, get32(a + 32));
	EXPECT_EQ(v, get64(a + 40));

	/* String */
	w = blob_init(&self->b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_STRING, 5, "guest", 5, 0);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_STRING, get32(a + 32));
	EXPECT_EQ(6, get32(a + 36));
	EXPECT_STREQ("guest", (char *)a + 40);

	/* Package of each, elements padded to 8 on input. */
	w = blob_init(&self->b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 3, NULL, 0, 0);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8, &v, 8, 1);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_STRING, 2, "ab", 2, 1);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_BUFFER, 3, bytes, 3, 1);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, get32(a + 32));
	EXPECT_EQ(3, get32(a + 36));
	EXPECT_EQ(v, get64(a + 48));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_STRING, get32(a + 56));
	EXPECT_EQ(3, get32(a + 60));
	EXPECT_STREQ("ab", (char *)a + 64);
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_BUFFER, get32(a + 67));
	EXPECT_EQ(3, get32(a + 71));
	EXPECT_EQ(0, memcmp(a + 75, bytes, 3));

	/* No Arg3: ACPI passes an empty Package. */
	w = blob_init(&self->b, 0, 5);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, get32(a + 32));
	EXPECT_EQ(0, get32(a + 36));
}

/*
 * crosvm's number and argsz (8 + 4096) give the same answers before 6.6.
 * From 6.6 the VFIO core answers that number as VFIO_DEVICE_BIND_IOMMUFD
 * before any driver sees it: a clean ENOTTY on a group-opened device,
 * the buffer untouched and the device as usable as before.
 */
TEST_F(dsm, crosvm_ioctl_number)
{
	blob_init(&self->b, 0, 2);
	ASSERT_EQ(8 + 4096, self->b.hdr.argsz);
	if (!crosvm_dsm_number_reaches_driver()) {
		uint8_t before[sizeof(self->b.args)];
		char rec[1024];
		int i, kmsg;

		/* Nothing reaches the kernel log, not even at a flood. */
		kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		ASSERT_LE(0, kmsg);
		ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
		memcpy(before, self->b.args, sizeof(before));
		for (i = 0; i < 100; i++)
			EXPECT_EQ(-ENOTTY, dsm(self->h.device, &self->b,
					       VFIO_DEVICE_ACPI_DSM));
		EXPECT_EQ(0, memcmp(before, self->b.args, sizeof(before)));
		EXPECT_EQ(-1, read(kmsg, rec, sizeof(rec)));
		EXPECT_EQ(EAGAIN, errno);
		close(kmsg);
		ASSERT_EQ(0, dsm(self->h.device, &self->b,
				 VFIO_EXT_DEVICE_ACPI_DSM));
		EXPECT_STREQ("vfio-ext", (char *)self->b.args + 40);
		return;
	}
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_STRING, get32(self->b.args + 32));
	EXPECT_STREQ("vfio-ext", (char *)self->b.args + 40);
}

/*
 * VFIO_EXT_DEVICE_ACPI_DSM's own structure: result_size says where the
 * result ends, the args buffer after it is left alone, and on ENOSPC
 * args_size says what the result needs (crosvm's argsz less 8).
 */
TEST_F(dsm, ext_struct_sizes)
{
	struct vfio_ext_acpi_dsm a = {
		.argsz = sizeof(a), .args_size = ARGS_LEN,
		.args = (uintptr_t)self->b.args, .result_size = 12345,
	};

	/* Function 0: a Buffer of 2 bytes, from byte 40. */
	blob_init(&self->b, 0, 0);
	memset(self->b.args + 42, 0x5a, 16);
	ASSERT_EQ(0, ioctl(self->h.device, VFIO_EXT_DEVICE_ACPI_DSM, &a));
	EXPECT_EQ(40 + 2, a.result_size);
	EXPECT_EQ(ARGS_LEN, a.args_size);
	EXPECT_EQ(2, get32(self->b.args + 36));
	EXPECT_EQ(0x5a, self->b.args[42]);
	EXPECT_EQ(0x5a, self->b.args[57]);

	/* Function 9 returns a 1 KiB Buffer: 40 bytes cannot hold it. */
	blob_init(&self->b, 0, 9);
	a.args_size = 40;
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_EXT_DEVICE_ACPI_DSM, &a));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(40 + 1024, a.args_size);
}

TEST_F(dsm, u64_extremes)
{
	/* The test SSDT has revision 2: its methods see 64-bit integers. */
	blob_init(&self->b, UINT64_MAX, 8);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(UINT64_MAX, get64(self->b.args + 40));
	blob_init(&self->b, 0x8000000000000001ULL, 8);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(0x8000000000000001ULL, get64(self->b.args + 40));

	/* Function U64_MAX: only an "all" rule allows it; unknown: Buffer 0. */
	blob_init(&self->b, 0, UINT64_MAX);
	ASSERT_EQ(0, dsm(self->h.device, &self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_BUFFER, get32(self->b.args + 32));
	ASSERT_EQ(0, write_policy(DSM_BDF, "reset"));
	ASSERT_EQ(0, write_policy(DSM_BDF, "allow " TEST_UUID " 0-63"));
	blob_init(&self->b, 0, UINT64_MAX);
	EXPECT_EQ(-EACCES, dsm(self->h.device, &self->b,
			       VFIO_EXT_DEVICE_ACPI_DSM));
}

TEST_F(dsm, result_errors)
{
	struct dsm_buf *b = &self->b;

	/* 1024-byte Buffer into 64 bytes of args: ENOSPC, then it fits. */
	blob_init(b, 0, 9);
	b->hdr.argsz = 8 + 64;
	EXPECT_EQ(-ENOSPC, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	b->hdr.argsz = 8 + 40 + 1024;
	ASSERT_EQ(0, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(1024, get32(b->args + 36));
	EXPECT_EQ(0x5a, b->args[40]);

	/* Nested Package and a reference cannot be carried. */
	blob_init(b, 0, 6);
	EXPECT_EQ(-EOPNOTSUPP, dsm(self->h.device, b,
				   VFIO_EXT_DEVICE_ACPI_DSM));
	blob_init(b, 0, 10);
	EXPECT_EQ(-EOPNOTSUPP, dsm(self->h.device, b,
				   VFIO_EXT_DEVICE_ACPI_DSM));
	/* The method fails (AML divide by zero). */
	blob_init(b, 0, 11);
	EXPECT_EQ(-EIO, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
}

/*
 * A result too large for the buffer: the method has run (side effects
 * and all), so the reply says what argsz it needs instead of a bare
 * ENOSPC, and nothing else of the buffer is written.  The caller decides
 * whether to run the method again.
 */
TEST_F(dsm, result_too_large_reports_size)
{
	struct dsm_buf *b = &self->b;
	long calls;
	int i;

	blob_init(b, 0, 9);	/* a 1024-byte Buffer */
	b->hdr.argsz = 8 + 64;
	memset(b->args + 40, 0xa5, 24);	/* after Arg3 (none): ignored */
	calls = read_counter(DSM_BDF, "dsm_calls");
	ASSERT_LE(0, calls);
	EXPECT_EQ(-ENOSPC, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(8 + 40 + 1024, b->hdr.argsz);
	EXPECT_EQ(calls + 1, read_counter(DSM_BDF, "dsm_calls"));
	EXPECT_EQ(0, get32(b->args + 32));
	for (i = 40; i < 64; i++)
		EXPECT_EQ(0xa5, b->args[i]);

	/* A buffer of the size reported fits it. */
	ASSERT_EQ(0, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(1024, get32(b->args + 36));
	EXPECT_EQ(calls + 2, read_counter(DSM_BDF, "dsm_calls"));

	/* A String: the size counts its NUL. */
	blob_init(b, 0, 2);	/* "vfio-ext" */
	b->hdr.argsz = 8 + 48;
	EXPECT_EQ(-ENOSPC, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(8 + 40 + 9, b->hdr.argsz);
	ASSERT_EQ(0, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(0, memcmp(b->args + 40, "vfio-ext", 9));
}

TEST_F(dsm, malformed_args)
{
	struct vfio_ext_acpi_dsm bad = {
		.argsz = sizeof(bad), .args_size = 4096, .args = 8,
	};
	struct dsm_buf *b = &self->b;
	long calls = read_counter(DSM_BDF, "dsm_calls");
	uint64_t v = 1;
	struct blob w;

	blob_init(b, 0, 5);
	b->hdr.argsz = 8 + 31;
	EXPECT_EQ(-EINVAL, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	b->hdr.argsz = 0;
	EXPECT_EQ(-EINVAL, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	b->hdr.argsz = 8 + VFIO_EXT_ACPI_DSM_ARGS_MAX + 1;
	EXPECT_EQ(-E2BIG, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	b->hdr.argsz = 0xffffffff;
	EXPECT_EQ(-E2BIG, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));

	/* A Buffer whose size walks past argsz. */
	w = blob_init(b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_BUFFER, 100, NULL, 0, 0);
	b->hdr.argsz = 8 + 40 + 99;
	EXPECT_EQ(-EINVAL, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));

	/* A Package whose count lies. */
	w = blob_init(b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 2, NULL, 0, 0);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_INTEGER, 8, &v, 8, 1);
	b->hdr.argsz = 8 + w.off;
	EXPECT_EQ(-EINVAL, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));

	/* An element whose size lies. */
	w = blob_init(b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 1, NULL, 0, 0);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_BUFFER, 0x7fffffff, NULL, 0, 0);
	EXPECT_EQ(-EINVAL, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));

	/* Nested Package, unknown type, oversized count. */
	w = blob_init(b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 1, NULL, 0, 0);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 0, NULL, 0, 0);
	EXPECT_EQ(-EINVAL, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	w = blob_init(b, 0, 5);
	blob_obj(&w, 99, 0, NULL, 0, 0);
	EXPECT_EQ(-EINVAL, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	w = blob_init(b, 0, 5);
	blob_obj(&w, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE, 100000, NULL, 0, 0);
	EXPECT_EQ(-E2BIG, dsm(self->h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));

	/* Bad pointers: the argument, then the args it points to. */
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_EXT_DEVICE_ACPI_DSM,
			    (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_EXT_DEVICE_ACPI_DSM, &bad));
	EXPECT_EQ(EFAULT, errno);

	/* None of these reached the firmware. */
	EXPECT_EQ(calls, read_counter(DSM_BDF, "dsm_calls"));
}

struct slow_call {
	int device;
	int ret;
	struct timespec done;
};

static void *slow_thread(void *arg)
{
	struct slow_call *c = arg;
	struct dsm_buf b;

	blob_init(&b, 0, 7);
	c->ret = dsm(c->device, &b, VFIO_EXT_DEVICE_ACPI_DSM);
	if (!c->ret && get64(b.args + 40) != 7)
		c->ret = -EIO;
	clock_gettime(CLOCK_MONOTONIC, &c->done);
	return NULL;
}

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Two slow (1 s) calls on one device run one after the other. */
TEST_F_TIMEOUT(dsm, concurrent_calls_serialize, 60)
{
	struct slow_call c[2] = { { .device = self->h.device },
				  { .device = self->h.device } };
	pthread_t t[2];
	struct timespec start;
	double first, second;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ASSERT_EQ(0, pthread_create(&t[0], NULL, slow_thread, &c[0]));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, slow_thread, &c[1]));
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	EXPECT_EQ(0, c[0].ret);
	EXPECT_EQ(0, c[1].ret);
	first = secs(&start, &c[0].done);
	second = secs(&start, &c[1].done);
	if (first > second) {
		double x = first;

		first = second;
		second = x;
	}
	/* Sleep(1000) is guest time; serialized calls end >= 1 s apart. */
	EXPECT_LE(0.9, first);
	EXPECT_LE(1.9, second) {
		TH_LOG("calls ended %.2f s and %.2f s after start", first,
		       second);
	}
}

/* Unbind while a slow call runs: the call completes, then the unbind. */
TEST_F_TIMEOUT(dsm, call_during_unbind, 60)
{
	struct slow_call c = { .device = self->h.device };
	char drv[64];
	pthread_t t;
	pid_t pid;
	int status;

	ASSERT_EQ(0, pthread_create(&t, NULL, slow_thread, &c));
	usleep(200 * 1000);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		vfio_close_all(&self->h);
		_exit(sysfs_write_str("/sys/bus/pci/drivers/vfio-pci-ext/unbind",
				      DSM_BDF) ? 1 : 0);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, c.ret);
	/* The unbind waits for us to close the device. */
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	vfio_close_all(&self->h);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, vfioext_pci_driver(DSM_BDF, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
}

/* ENODEV without an ACPI companion, ENOENT with one that has no _DSM. */
TEST(companions)
{
	const struct {
		const char *bdf;
		int ret;
	} dev[] = {
		{ NOACPI_BDF, -ENODEV },	/* function 1: no node */
		{ NODSM_BDF, -ENOENT },		/* \_SB.PCI0.S90 */
	};
	struct vfio_handles h;
	struct dsm_buf b;
	unsigned int i;

	/* Both functions of slot 12 share a group: bind both. */
	for (i = 0; i < ARRAY_SIZE(dev); i++) {
		if (vfioext_pci_iommu_group(dev[i].bdf) < 0)
			SKIP(return, "no %s on this machine", dev[i].bdf);
		ASSERT_EQ(0, vfioext_pci_bind(dev[i].bdf,
					      VFIO_EXT_PCI_DRIVER_NAME));
	}
	for (i = 0; i < ARRAY_SIZE(dev); i++) {
		ASSERT_EQ(0, vfio_open_all(&h, dev[i].bdf));
		blob_init(&b, 0, 0);
		EXPECT_EQ(dev[i].ret, dsm(h.device, &b,
					  VFIO_EXT_DEVICE_ACPI_DSM)) {
			TH_LOG("%s", dev[i].bdf);
		}
		vfio_close_all(&h);
	}
}

/* libvfio-ext: typed call with an argument tree, and the raw blob. */
TEST_F(dsm, library)
{
	struct vfioext_container *c;
	struct vfioext_group *g;
	struct vfioext_device *d;
	struct vfioext_acpi_obj *arg, *res, *e;
	uint8_t uuid[16], raw[64];
	const uint8_t *b;
	size_t needed, len;
	uint64_t v;
	long calls;

	vfio_close_all(&self->h);
	ASSERT_EQ(0, vfioext_uuid_parse(TEST_UUID, uuid));
	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g,
					 &d));

	ASSERT_EQ(0, vfioext_acpi_package(3, &arg));
	ASSERT_EQ(0, vfioext_acpi_integer(UINT64_MAX, &e));
	ASSERT_EQ(0, vfioext_acpi_package_set(arg, 0, e));
	ASSERT_EQ(0, vfioext_acpi_string("lib", &e));
	ASSERT_EQ(0, vfioext_acpi_package_set(arg, 1, e));
	ASSERT_EQ(0, vfioext_acpi_buffer("\xde\xad", 2, &e));
	ASSERT_EQ(0, vfioext_acpi_package_set(arg, 2, e));
	ASSERT_EQ(0, vfioext_acpi_dsm(d, uuid, 0, 5, arg, &res));
	ASSERT_EQ(VFIOEXT_ACPI_PACKAGE, vfioext_acpi_get_type(res));
	ASSERT_EQ(3, vfioext_acpi_package_count(res));
	ASSERT_EQ(0, vfioext_acpi_get_integer(vfioext_acpi_package_get(res, 0),
					      &v));
	EXPECT_EQ(UINT64_MAX, v);
	EXPECT_STREQ("lib", vfioext_acpi_get_string(vfioext_acpi_package_get(res, 1),
						    NULL));
	b = vfioext_acpi_get_buffer(vfioext_acpi_package_get(res, 2), &len);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(2, len);
	EXPECT_EQ(0xad, b[1]);
	vfioext_acpi_free(res);
	vfioext_acpi_free(arg);

	ASSERT_EQ(0, vfioext_acpi_dsm(d, uuid, 0, 2, NULL, &res));
	EXPECT_STREQ("vfio-ext", vfioext_acpi_get_string(res, NULL));
	vfioext_acpi_free(res);
	EXPECT_EQ(-EOPNOTSUPP, vfioext_acpi_dsm(d, uuid, 0, 6, NULL, &res));
	EXPECT_EQ(NULL, res);

	/* Raw: the crosvm blob as is; function 1 gives Integer 0x12345678. */
	memset(raw, 0, sizeof(raw));
	memcpy(raw, uuid, 16);
	raw[24] = 1;
	ASSERT_EQ(0, vfioext_acpi_dsm_raw(d, raw, sizeof(raw), NULL));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_INTEGER, get32(raw + 32));
	EXPECT_EQ(0x12345678, get64(raw + 40));
	EXPECT_EQ(-EINVAL, vfioext_acpi_dsm_raw(d, raw, 31, NULL));

	/* Too small for the result: the size it needs, the method ran once. */
	calls = read_counter(DSM_BDF, "dsm_calls");
	memset(raw, 0, sizeof(raw));
	memcpy(raw, uuid, 16);
	raw[24] = 9;
	needed = 0;
	EXPECT_EQ(-ENOSPC, vfioext_acpi_dsm_raw(d, raw, 64, &needed));
	EXPECT_EQ(40 + 1024, needed);
	EXPECT_EQ(calls + 1, read_counter(DSM_BDF, "dsm_calls"));
	EXPECT_EQ(-ENOSPC, vfioext_acpi_dsm_raw(d, raw, 64, NULL));

	vfioext_device_close(d);
	vfioext_group_close(g);
	vfioext_container_close(c);
}

/* The CLI prints the typed result; compare its JSON and text exactly. */
TEST_F(dsm, cli)
{
	/* One literal per line: the JSON is one line of output. */
	static const char * const want_json_parts[] = {
		"{\"device\":\"%s\",\"uuid\":\"" TEST_UUID "\",",
		"\"revision\":0,\"function\":4,\"result\":",
		"{\"type\":\"package\",\"elements\":[",
		"{\"type\":\"integer\",\"value\":51966},",
		"{\"type\":\"string\",\"value\":\"pkg\"},",
		"{\"type\":\"buffer\",\"value\":\"aabb\"}]}}\n",
	};
	char want_json[512] = "", want_text[256], fmt[512] = "", cmd[256];
	static const char want_text_fmt[] =
		"%s _DSM " TEST_UUID " revision 0 function 5:\n"
		"Package (2)\n"
		"  [0] Integer 0x7 (7)\n"
		"  [1] String (2) \"hi\"\n";
	static const char denied[] = "{\"error\":\"dsm\",\"errno\":13,";
	char out[1024];
	size_t n;
	FILE *f;

	if (access("/usr/bin/vfio-ext", X_OK))
		SKIP(return, "vfio-ext CLI not in the guest (vmrun --file)");
	/* The CLI opens the group itself. */
	vfio_close_all(&self->h);

	for (n = 0; n < ARRAY_SIZE(want_json_parts); n++)
		strcat(fmt, want_json_parts[n]);
	snprintf(want_json, sizeof(want_json), fmt, DSM_BDF);
	snprintf(want_text, sizeof(want_text), want_text_fmt, DSM_BDF);

	snprintf(cmd, sizeof(cmd), "vfio-ext dsm -j %s " TEST_UUID " 4",
		 DSM_BDF);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	EXPECT_EQ(0, pclose(f));
	EXPECT_STREQ(want_json, out);

	snprintf(cmd, sizeof(cmd),
		 "vfio-ext dsm -a int:7 -a str:hi %s " TEST_UUID " 5", DSM_BDF);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	EXPECT_EQ(0, pclose(f));
	EXPECT_STREQ(want_text, out);

	/* Denied by policy: exit 1 and a JSON error naming EACCES. */
	ASSERT_EQ(0, write_policy(DSM_BDF, "reset"));
	snprintf(cmd, sizeof(cmd),
		 "vfio-ext dsm -j %s " TEST_UUID " 1 2>/dev/null", DSM_BDF);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	EXPECT_EQ(1, WEXITSTATUS(pclose(f)));
	EXPECT_EQ(0, strncmp(out, denied, strlen(denied))) {
		TH_LOG("%s", out);
	}
}

/*
 * Upstream vfio-pci does not know the call.  The device goes back to the
 * driver it had, whatever the outcome.
 */
FIXTURE(upstream) {
	struct vfio_handles h;
	struct drv_binding bind;
};

FIXTURE_SETUP(upstream)
{
	vfio_handles_init(&self->h);
	if (vfioext_pci_iommu_group(DSM_BDF) < 0)
		SKIP(_exit(255), "no %s on this machine", DSM_BDF);
	ASSERT_EQ(0, drv_bind_save(&self->bind, DSM_BDF, "vfio-pci"));
}

FIXTURE_TEARDOWN(upstream)
{
	vfio_close_all(&self->h);
	drv_restore(&self->bind);
}

TEST_F(upstream, vfio_pci_has_no_dsm)
{
	struct dsm_buf b;

	ASSERT_EQ(0, vfio_open_all(&self->h, DSM_BDF));
	blob_init(&b, 0, 0);
	EXPECT_EQ(-ENOTTY, dsm(self->h.device, &b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(-ENOTTY, dsm(self->h.device, &b, VFIO_DEVICE_ACPI_DSM));
}

TEST_HARNESS_MAIN
