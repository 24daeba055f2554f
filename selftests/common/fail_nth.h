/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fault injection over every allocation of one uAPI call (the method of
 * upstream's iommufd selftests): for n = 1, 2, ... the n-th allocation of
 * the calling thread fails (/proc/thread-self/fail-nth with
 * CONFIG_FAILSLAB and CONFIG_FAIL_PAGE_ALLOC) while the call runs, until a
 * round sees no fault injected: every allocation point was failed once.
 *
 * A case is a struct fault_case:
 *
 *   before()  optional, each round, not under fault injection: make the
 *             call's precondition (e.g. map what the call unmaps)
 *   call()    the uAPI call: 0 or a negative errno
 *   undo()    after a successful call: back to the precondition
 *   verify()  optional, once after the last round, not under fault
 *             injection: the path still works (e.g. an event emitter
 *             that would stop for good after an injected failure, which
 *             each round alone cannot tell from one more lost event)
 *
 * fail_nth_run() asserts, for every round:
 *   - a failed call returns a clean errno (ENOMEM, or one the case lists);
 *   - it leaves nothing behind: the call, retried at once without a fault,
 *     succeeds (no half-done state, no busy flag, no stale object), and
 *     after undo the process's locked memory (VmLck: pinned pages), its
 *     open file count and the reference counts of our modules are what
 *     they were before the first round;
 *   - the loop ends within max_points rounds (a call that allocates without
 *     bound, or one that hangs, fails the test through the bound or the
 *     harness timeout);
 *   - the call allocates at all (a path that should not, such as unmap,
 *     sets no_alloc and the opposite is asserted).
 * kmemleak (the runner scans at the end of the VM run) and KASAN/lockdep
 * reports cover the kernel side.
 *
 * Adding a case: write call()/undo() (and before() if needed) against a
 * context of your own and call fail_nth_run() from a TEST or TEST_F; see
 * selftests/faults/fail_nth_test.c.  Needs the debug kernel
 * (tools/debug-vm); fail_nth_open() returns -ENOENT elsewhere (skip).
 *
 * Header-only: the helpers report through kselftest_harness.h's
 * _metadata, which only the including test file has.
 */
#ifndef FAIL_NTH_H
#define FAIL_NTH_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_common.h"

#define FAIL_NTH_MAX	4000

struct fault_case {
	const char *name;
	int (*before)(void *ctx);
	int (*call)(void *ctx);
	int (*undo)(void *ctx);
	/* Optional: after the last round, unfaulted; 0 if the path works. */
	int (*verify)(void *ctx);
	/* Clean errnos beyond ENOMEM, 0-terminated. */
	const int *errnos;
	/* Bound on allocation points (default FAIL_NTH_MAX). */
	int max_points;
	/*
	 * First allocation to fail (default 1): for a call whose first
	 * allocations belong to a kernel path that cannot fail cleanly (the
	 * test says which and why); they still run, unfailed.
	 */
	int first_point;
	/* The call allocates nothing: asserted. */
	bool no_alloc;
};

/* What a failed call must not change. */
struct fault_snapshot {
	long vmlck_kb;
	int fds;
	int ref_ext;
	int ref_pviommu;
	int ref_virtio;
};

/* Make the fault sites consider every allocation (by default they skip
 * the sleeping ones, which is nearly all of ours) and stay quiet.
 */
static inline int fail_nth_configure(void)
{
	static const char * const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		ret = sysfs_write_str(knobs[i][0], knobs[i][1]);
		if (ret)
			return ret;
	}
	return 0;
}

/* The calling thread's fail-nth file, sites configured; -ENOENT if the
 * kernel has no fault injection.
 */
static inline int fail_nth_open(void)
{
	int fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -ENOENT;
	ret = fail_nth_configure();
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Arm: the @n-th allocation from now on fails (0 disarms). */
static inline int fail_nth_arm(int fd, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* Disarm; whether the fault was injected (the counter ran down to it). */
static inline bool fail_nth_disarm(int fd)
{
	char buf[16] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return false;
	fail_nth_arm(fd, 0);
	return atoi(buf) == 0;
}

/*
 * For a call() that checks its outcome with syscalls of its own (a sysfs
 * read allocates too) or needs to know whether the fault hit it: the
 * allocations still to go before the armed fault (0: it was injected, or
 * nothing was armed), or -errno.  Reading allocates nothing.
 */
static inline int fail_nth_left(int fd)
{
	char buf[16] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	return n ? atoi(buf) : -EIO;
}

/* Hold the armed fault (fail_nth_left()'s answer) for fail_nth_resume(). */
static inline int fail_nth_pause(int fd)
{
	int left = fail_nth_left(fd);

	if (left > 0 && fail_nth_arm(fd, 0))
		return -EIO;
	return left;
}

/* Re-arm what fail_nth_pause() held: fail_nth_run() goes on unaware. */
static inline int fail_nth_resume(int fd, int left)
{
	return left > 0 ? fail_nth_arm(fd, left) : 0;
}

static inline int fault_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static inline void fault_snapshot(struct fault_snapshot *s)
{
	s->vmlck_kb = proc_status_kb("VmLck");
	s->fds = fault_count_fds();
	s->ref_ext = module_refcnt("vfio_pci_ext");
	s->ref_pviommu = module_refcnt("vfio_pviommu");
	s->ref_virtio = module_refcnt("vfio_ext_virtio");
}

static inline bool fault_clean_errno(const struct fault_case *fc, int err)
{
	const int *e;

	if (err == ENOMEM)
		return true;
	for (e = fc->errnos; e && *e; e++)
		if (*e == err)
			return true;
	return false;
}

static inline void fault_snapshot_eq(struct __test_metadata *_metadata,
				     const struct fault_snapshot *a,
				     const struct fault_snapshot *b)
{
	EXPECT_EQ(a->vmlck_kb, b->vmlck_kb);
	EXPECT_EQ(a->fds, b->fds);
	EXPECT_EQ(a->ref_ext, b->ref_ext);
	EXPECT_EQ(a->ref_pviommu, b->ref_pviommu);
	EXPECT_EQ(a->ref_virtio, b->ref_virtio);
}

/*
 * Run @fc with the 1st, 2nd, ... allocation failing; see the top of the
 * file.  Returns the number of allocation points.
 */
static inline int fail_nth_run(struct __test_metadata *_metadata, int nth,
			       const struct fault_case *fc, void *ctx)
{
	int max = fc->max_points ? fc->max_points : FAIL_NTH_MAX;
	int first = fc->first_point ? fc->first_point : 1;
	struct fault_snapshot s0, s;
	int n, ret, failures = 0;

	fault_snapshot(&s0);
	for (n = first; n <= max + 1; n++) {
		if (fc->before)
			ASSERT_EQ(0, fc->before(ctx));
		ASSERT_EQ(0, fail_nth_arm(nth, n));
		ret = fc->call(ctx);
		if (!fail_nth_disarm(nth)) {
			/* No allocation left to fail: the call must work. */
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: unfaulted call: %s", fc->name,
				       strerror(-ret));
			}
			ASSERT_EQ(0, fc->undo(ctx));
			break;
		}
		if (ret) {
			failures++;
			EXPECT_TRUE(fault_clean_errno(fc, -ret)) {
				TH_LOG("%s: fault %d: %s", fc->name, n,
				       strerror(-ret));
			}
			/* Nothing half-done: the same call works now. */
			ret = fc->call(ctx);
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: retry after fault %d: %s",
				       fc->name, n, strerror(-ret));
			}
		}
		ASSERT_EQ(0, fc->undo(ctx));
		fault_snapshot(&s);
		fault_snapshot_eq(_metadata, &s0, &s);
		if (!_metadata->passed) {
			TH_LOG("%s: state differs after fault %d", fc->name, n);
			return n;
		}
	}
	EXPECT_LE(n, max) {
		TH_LOG("%s: more than %d allocation points", fc->name, max);
	}
	TH_LOG("%s: %d allocation points, %d failed the call", fc->name,
	       n - 1, failures);
	/* It allocates (a fault was injected), unless it must not. */
	EXPECT_EQ(!fc->no_alloc, n > first);
	if (fc->verify) {
		ret = fc->verify(ctx);
		EXPECT_EQ(0, ret) {
			TH_LOG("%s: after the faults: %s", fc->name,
			       strerror(-ret));
		}
	}
	return n - 1;
}

#endif /* FAIL_NTH_H */
