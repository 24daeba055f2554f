/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A bounded, seeded fuzzer for uAPI surfaces, for kselftest-harness tests.
 *
 * A surface is an array of struct fuzz_call: a name, how to build an
 * argument from the generator (fill), how to issue it (invoke; default an
 * ioctl(2) of @nr on the surface's fd) and the errnos the ABI documents
 * for it.  fuzz_run() issues @iters calls, each picked at random, with
 * arguments that are mostly well-formed and then mutated (interesting
 * values, bit flips, wrong sizes), and asserts that every failing call
 * returns one of its documented errnos.  The kernel side (KASAN, UBSAN,
 * lockdep, WARNING, kmemleak) is checked by the VM runner.
 *
 * Deterministic: everything comes from one 64-bit seed (splitmix64).  The
 * seed is VFIOEXT_FUZZ_SEED if set, else taken from the clock; the
 * iteration budget is VFIOEXT_FUZZ_ITERS if set, else the test's default.
 * Both are printed first, with the command that replays the run:
 *
 *   tools/debug-vm --append VFIOEXT_FUZZ_SEED=0x... --test selftests/fuzz/<x>_test
 *
 * (the guest kernel hands unknown name=value parameters to init as
 * environment variables).  A failure names the iteration and the call.
 *
 * Adding a surface: an array of fuzz_call with fill functions (the
 * fuzz_*() helpers below build fields), a context holding its fd, and one
 * fuzz_run() in a TEST_F.  A call whose argument is a value rather than a
 * pointer (an _IO ioctl) sets by_value and fills a uint64_t.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"

#define FUZZ_ARG_MAX	8192

struct fuzz {
	uint64_t seed;
	uint64_t state;
	unsigned long iters;
	unsigned long iter;
};

struct fuzz_call {
	const char *name;
	unsigned long nr;
	/* Build the argument in @arg (FUZZ_ARG_MAX bytes, zeroed). */
	void (*fill)(struct fuzz *f, void *arg, void *ctx);
	/* Issue it: 0 or more on success, -errno on failure (default:
	 * ioctl(*(int *)ctx, nr, arg)).  @ret of a success may be an fd
	 * the call returned; done() disposes of it.
	 */
	long (*invoke)(const struct fuzz_call *c, void *arg, void *ctx);
	void (*done)(const struct fuzz_call *c, long ret, void *ctx);
	/* The errnos it may fail with, 0-terminated. */
	const int *errnos;
	bool by_value;
};

static inline uint64_t fuzz_u64(struct fuzz *f)
{
	uint64_t z = (f->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t fuzz_below(struct fuzz *f, uint64_t n)
{
	return fuzz_u64(f) % n;
}

/* True with probability 1/n. */
static inline bool fuzz_one_in(struct fuzz *f, unsigned int n)
{
	return fuzz_below(f, n) == 0;
}

/* A value from the edges of the integer ranges, or a random one. */
static inline uint64_t fuzz_interesting(struct fuzz *f)
{
	static const uint64_t v[] = {
		0, 1, 2, 7, 8, 16, 63, 64, 255, 256, 4095, 4096, 4097,
		0x10000, 0x1fffff, 0x200000, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 0xfee00000, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, 0xfffffffffffff000ULL,
		0xffffffffffffffffULL, 0xfffffffffffffffeULL,
	};

	if (fuzz_one_in(f, 4))
		return fuzz_u64(f);
	return v[fuzz_below(f, ARRAY_SIZE(v))];
}

/* Mostly @good, sometimes something else interesting. */
static inline uint64_t fuzz_mostly(struct fuzz *f, uint64_t good)
{
	if (!fuzz_one_in(f, 4))
		return good;
	switch (fuzz_below(f, 4)) {
	case 0:
		return good + 1;
	case 1:
		return good - 1;
	case 2:
		return good ^ (1ULL << fuzz_below(f, 64));
	default:
		return fuzz_interesting(f);
	}
}

static inline void fuzz_bytes(struct fuzz *f, void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = fuzz_u64(f);
}

/* Flip a few random bits of @n bytes at @p (a well-formed argument made
 * slightly wrong), with probability 1/@odds.
 */
static inline void fuzz_mutate(struct fuzz *f, void *p, size_t n,
			       unsigned int odds)
{
	uint8_t *b = p;
	unsigned int k;

	if (!n || !fuzz_one_in(f, odds))
		return;
	for (k = 1 + fuzz_below(f, 4); k; k--)
		b[fuzz_below(f, n)] ^= 1u << fuzz_below(f, 8);
}

static inline uint64_t fuzz_env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/* Seed and budget (see above); prints them and how to replay. */
static inline void fuzz_init(struct fuzz *f, const char *test,
			     unsigned long iters)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	f->seed = fuzz_env_u64("VFIOEXT_FUZZ_SEED",
			       (uint64_t)ts.tv_sec * 1000000007ULL ^
			       (uint64_t)ts.tv_nsec);
	f->state = f->seed;
	f->iters = fuzz_env_u64("VFIOEXT_FUZZ_ITERS", iters);
	f->iter = 0;
	printf("# fuzz %s: seed 0x%llx, %lu iterations\n", test,
	       (unsigned long long)f->seed, f->iters);
	printf("# replay: tools/debug-vm --append VFIOEXT_FUZZ_SEED=0x%llx\n",
	       (unsigned long long)f->seed);
	printf("#   --append VFIOEXT_FUZZ_ITERS=%lu --test <this test>\n",
	       f->iters);
	fflush(stdout);
}

static inline bool fuzz_errno_ok(const struct fuzz_call *c, int err)
{
	const int *e;

	for (e = c->errnos; e && *e; e++)
		if (*e == err)
			return true;
	return false;
}

/*
 * Issue @f->iters calls of @calls (@n of them) against @ctx; every failure
 * must carry a documented errno.  Returns the number of failures (each is
 * reported with its iteration; the run goes on, so one report does not
 * hide the next).
 */
static inline int fuzz_run(struct __test_metadata *_metadata, struct fuzz *f,
			   const struct fuzz_call *calls, unsigned int n,
			   void *ctx)
{
	static uint64_t argbuf[FUZZ_ARG_MAX / 8];
	unsigned long ok = 0, failed = 0;
	int bad = 0;

	for (f->iter = 0; f->iter < f->iters; f->iter++) {
		const struct fuzz_call *c = &calls[fuzz_below(f, n)];
		void *arg = argbuf;
		long ret;

		memset(argbuf, 0, sizeof(argbuf));
		c->fill(f, argbuf, ctx);
		if (c->by_value)
			arg = (void *)(uintptr_t)argbuf[0];
		if (c->invoke) {
			ret = c->invoke(c, arg, ctx);
		} else {
			ret = ioctl(*(int *)ctx, c->nr, arg);
			if (ret < 0)
				ret = -errno;
		}
		if (ret >= 0) {
			ok++;
			if (c->done)
				c->done(c, ret, ctx);
			continue;
		}
		failed++;
		if (!fuzz_errno_ok(c, -ret)) {
			bad++;
			TH_LOG("seed 0x%llx iteration %lu: %s: %s (%ld)",
			       (unsigned long long)f->seed, f->iter, c->name,
			       strerror(-ret), ret);
			TH_LOG("(not an errno this call documents)");
			if (bad > 20)
				break;
		}
	}
	TH_LOG("%lu calls: %lu succeeded, %lu failed, %d undocumented errnos",
	       f->iter, ok, failed, bad);
	return bad;
}

#endif /* FUZZ_H */
