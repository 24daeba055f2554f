// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-ext-bench: pviommu against type1 and the in-kernel floor, the
 * in-kernel virtio-iommu against a userspace backend, pviommu with many
 * guest domains and many live mappings, _DSM through the ioctl against a
 * direct in-kernel call, the virtio-iommu's device state saved and
 * restored against the guest's MAPs replayed.  Runs in the bench VM (tools/bench/run, `make
 * bench`).
 *
 * Every comparison interleaves its backends round by round (A B A B ...,
 * never all of A then all of B), VFIOEXT_BENCH_ROUNDS rounds (at least 5),
 * and rotates their order from one round to the next (A B, then B A; for
 * n backends round r starts with the r-th, mod n) so that a cost tied to
 * a position in the round (the first after a fresh container, the one
 * after a burst of allocations, a load drift within a round) falls on
 * every backend alike instead of biasing one ratio in a steady way;
 * and reports the median with the spread (min, max, and (max - min) /
 * median).  A ratio is computed per round, from the two measurements
 * taken next to each other, and reported as the median of those; it is
 * "firm" only when its own spread is within the stated bound
 * (VFIOEXT_BENCH_SPREAD, default 0.20) and the host was not busy when the
 * run started (VFIOEXT_BENCH_HOST_BUSY=1 from tools/bench/run); otherwise
 * the table says "NOT FIRM" and why.  The run also records what it ran
 * on: the CPU model, the vCPUs, the guest's load average, the kernel (the
 * host's load comes in VFIOEXT_BENCH_HOST_LOAD).
 *
 * Prints the tables and, between BENCH-JSON-BEGIN/END lines, the same data
 * as JSON (tools/bench/run merges it into build/bench.json).
 *
 * usage: vfio-ext-bench [BDF]   (default: the first edu alone in its group)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_iommu.h>
#include <linux/virtio_ring.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfioext.h"
#include "vring_guest.h"

#define MIN_ROUNDS	5
#define MAX_ROUNDS	15
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FLOOR_PATH	"/sys/kernel/debug/vfio_ext_bench/floor"
#define DSM_PATH	"/sys/kernel/debug/vfio_ext_bench/dsm"
#define TEST_UUID	"c0ffee00-1234-4abc-8def-0123456789ab"
#define BASE_IOVA	0x10000000ULL
/* Bytes of kernel memory per live pviommu mapping the issue allows. */
#define PV_BYTES_PER_MAP_MAX	64

static char bdf[VFIOEXT_BDF_LEN];
static int group_id;
static FILE *json;
static char *jbuf;
static size_t jlen;
static int rounds = MIN_ROUNDS;
static double spread_bound = 0.20;
static bool host_busy;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One measurement over the rounds: median, min, max, relative spread. */
struct stat3 {
	double med, min, max, spread;
};

static struct stat3 stat3(const double *in, int n)
{
	double v[MAX_ROUNDS * 4];
	struct stat3 s;

	memcpy(v, in, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_d);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.spread = s.med > 0 ? (s.max - s.min) / s.med : 0;
	return s;
}

/*
 * A ratio: @num[r] / @den[r] per round r (the two taken next to each
 * other), then the median and spread of those.
 */
struct ratio {
	struct stat3 s;
	bool firm;
	const char *why;	/* when not firm */
};

static struct ratio ratio_of(const double *num, const double *den)
{
	double v[MAX_ROUNDS];
	struct ratio q;
	int r;

	for (r = 0; r < rounds; r++)
		v[r] = den[r] > 0 ? num[r] / den[r] : 0;
	q.s = stat3(v, rounds);
	q.firm = q.s.spread <= spread_bound && !host_busy;
	q.why = q.s.spread > spread_bound ? "spread" :
		host_busy ? "host busy" : "";
	return q;
}

/* A target's status: met / NOT MET only when what decides it is firm. */
static const char *verdict(bool firm, bool ok)
{
	if (!firm)
		return ok ? "not firm, met as measured" :
			    "not firm, not met as measured";
	return ok ? "met" : "NOT MET";
}

/*
 * Which of @n backends runs @j-th in round @r of a comparison: the order
 * is rotated by one each round (see the top of this file).
 */
static unsigned int rotated(int r, unsigned int j, unsigned int n)
{
	return (j + (unsigned int)r) % n;
}

/* A noisy neighbour's process (the noisy part): dies without atexit(). */
static bool in_child;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench: %s%s: %s\n", in_child ? "noisy neighbour: " : "",
		what, strerror(err < 0 ? -err : err));
	if (in_child)
		_exit(1);
	exit(1);
}

static void *buffer(size_t len)
{
	/* 2 MiB aligned, populated, so 2 MiB pairs can use huge IOMMU pages. */
	size_t big = len + (2u << 20);
	char *p = mmap(NULL, big, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap", errno);
	p = (char *)(((unsigned long)p + (2u << 20) - 1) & ~((2ul << 20) - 1));
	memset(p, 1, len);
	return p;
}

struct ctx {
	struct vfioext_container *c;
	struct vfioext_group *g;
	struct vfioext_device *d;
};

/* @dev in a new container of @type, its group attached, opened. */
static void ctx_open_on(struct ctx *x, const char *dev, unsigned long type)
{
	int ret = vfioext_open_device(dev, type, &x->c, &x->g, &x->d);

	if (ret)
		die("open", ret);
}

static void ctx_open(struct ctx *x, unsigned long type)
{
	ctx_open_on(x, bdf, type);
}

static void ctx_close(struct ctx *x)
{
	vfioext_device_close(x->d);
	vfioext_group_close(x->g);
	vfioext_container_close(x->c);
}

/* ns per map+unmap pair, one ioctl each. */
static double pairs_ioctl(struct ctx *x, void *buf, size_t size, int iters)
{
	double t0 = now_ns();
	int i, ret;

	for (i = 0; i < iters; i++) {
		ret = vfioext_dma_map(x->c, buf, BASE_IOVA, size,
				      VFIO_DMA_MAP_FLAG_READ |
				      VFIO_DMA_MAP_FLAG_WRITE);
		if (ret)
			die("map", ret);
		if (vfioext_dma_unmap(x->c, BASE_IOVA, size) != (int64_t)size)
			die("unmap", EIO);
	}
	return (now_ns() - t0) / iters;
}

/*
 * ns per pair with VFIO_EXT_PVIOMMU_BATCH, @per pairs per call (at most
 * 64), in guest domain @dom (0: the container's own mappings).
 */
static double pairs_batch_in(struct ctx *x, uint32_t dom, void *buf,
			     size_t size, int iters, int per)
{
	struct vfio_ext_pviommu_op ops[128];
	double t0 = now_ns();
	int i, k, n, ret;

	for (i = 0; i < iters; i += per) {
		n = iters - i < per ? iters - i : per;
		for (k = 0; k < n; k++) {
			ops[2 * k] = (struct vfio_ext_pviommu_op){
				.op = VFIO_EXT_PVIOMMU_OP_MAP,
				.flags = VFIO_DMA_MAP_FLAG_READ |
					 VFIO_DMA_MAP_FLAG_WRITE,
				.domain = dom,
				.vaddr = (uintptr_t)buf, .iova = BASE_IOVA,
				.size = size,
			};
			ops[2 * k + 1] = (struct vfio_ext_pviommu_op){
				.op = VFIO_EXT_PVIOMMU_OP_UNMAP,
				.domain = dom,
				.iova = BASE_IOVA, .size = size,
			};
		}
		ret = vfioext_dma_batch(x->c, ops, sizeof(*ops), 2 * n, NULL);
		if (ret)
			die("batch", ret);
	}
	return (now_ns() - t0) / iters;
}

static double pairs_batch(struct ctx *x, void *buf, size_t size, int iters)
{
	return pairs_batch_in(x, 0, buf, size, iters, 64);
}

/* ns per null ioctl (what every uAPI call costs at least). */
static double null_ioctl(struct ctx *x, int iters)
{
	int fd = vfioext_container_fd(x->c), i;
	double t0 = now_ns();

	for (i = 0; i < iters; i++)
		ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	return (now_ns() - t0) / iters;
}

#define INLINE_KICK	"/sys/module/vfio_ext_virtio/parameters/inline_kick"

static void set_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		die(path, errno);
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die(path, errno);
	close(fd);
}

/*
 * inline_kick as the guest section found it, "" when it has nothing to
 * put back: restored at exit, whatever path ends the run (die() too).
 */
static char inline_kick0[8];

/* 0 or -errno; nothing to do is 0. */
static int restore_inline_kick(void)
{
	size_t len = strlen(inline_kick0);
	int fd, ret = 0;

	if (!len)
		return 0;
	fd = open(INLINE_KICK, O_WRONLY);
	if (fd < 0 || write(fd, inline_kick0, len) != (ssize_t)len)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	inline_kick0[0] = '\0';
	return ret;
}

/* atexit(): exit() from die() on any path after the first change. */
static void restore_inline_kick_at_exit(void)
{
	int ret = restore_inline_kick();

	if (ret)
		fprintf(stderr, "bench: restoring %s: %s\n", INLINE_KICK,
			strerror(-ret));
}

static double debugfs_run(const char *path, const char *cmd)
{
	char out[64];
	double v = -1;
	int fd = open(path, O_RDWR);
	ssize_t n;

	if (fd < 0)
		die(path, errno);
	if (write(fd, cmd, strlen(cmd)) < 0)
		die(cmd, errno);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, sizeof(out) - 1);
	close(fd);
	if (n > 0) {
		out[n] = '\0';
		if (!strchr(out, ' ') ||
		    sscanf(strchr(out, ' ') + 1, "%lf", &v) != 1)
			v = -1;
	}
	return v;
}

/* The in-kernel floor; @acct adds the locked_vm accounting a pair needs. */
static double floor_pair(void *buf, size_t size, int iters, int acct)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "%d %lx %zu %d %d", group_id,
		 (unsigned long)buf, size, iters, acct);
	return debugfs_run(FLOOR_PATH, cmd);
}

static void jprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void jprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(json, fmt, ap);
	va_end(ap);
}

/* A JSON string of @s (the bytes JSON must escape, escaped). */
static void jstr(const char *s)
{
	jprintf("\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			jprintf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			jprintf("\\u%04x", (unsigned char)*s);
		else
			jprintf("%c", *s);
	}
	jprintf("\"");
}

static void jstat(const char *key, const struct stat3 *s)
{
	jprintf("\"%s\":{\"median\":%.0f,\"min\":%.0f,\"max\":%.0f,\"spread\":%.3f}",
		key, s->med, s->min, s->max, s->spread);
}

static void jratio(const char *key, const struct ratio *q)
{
	jprintf("\"%s\":{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f,\"spread\":%.3f,\"firm\":%s}",
		key, q->s.med, q->s.min, q->s.max, q->s.spread,
		q->firm ? "true" : "false");
}

/* The median, +- half its spread (as the generated tables write it). */
static void print3(const struct stat3 *s)
{
	printf(" %9.0f +-%4.1f%%", s->med, 100 * s->spread / 2);
}

/* "2.04x" when firm, "2.04x?" when not (the legend says why). */
static void print_ratio(const struct ratio *q)
{
	printf(" %8.2fx%s", q->s.med, q->firm ? " " : "?");
}

/* The ratios of a table that are not firm, and why. */
static void print_unfirm(const char *name, const struct ratio *q)
{
	if (q->firm)
		return;
	printf("  NOT FIRM: %s = %.2fx, per-round %.2f-%.2f (spread %.1f%%%s)\n",
	       name, q->s.med, q->s.min, q->s.max, 100 * q->s.spread,
	       *q->why == 's' ? (host_busy ? "; host busy" : "") :
	       "; the host was busy at the start");
}

static void bench_pairs(void)
{
	static const struct {
		size_t size;
		int iters;
		const char *name;
	} sz[] = {
		{ 4096, 4000, "4KiB" },
		{ 65536, 1000, "64KiB" },
		{ 2u << 20, 100, "2MiB" },
	};
	void *buf = buffer(2u << 20);
	struct ctx t1, pv;
	unsigned int s;
	int r;

	printf("\n== map+unmap pairs (ns per pair: median +- half spread, %d rounds)\n",
	       rounds);
	printf("%-6s %17s %17s %17s %17s %17s %10s %10s %10s %10s\n", "size",
	       "type1", "pviommu", "pviommu batch", "floor (in-kernel)",
	       "floor+acct", "type1/pv", "type1/bat", "pv/fa+2sc",
	       "bat/fa");
	jprintf("\"pairs\":[");
	for (s = 0; s < ARRAY_SIZE(sz); s++) {
		double a[MAX_ROUNDS], b[MAX_ROUNDS], c[MAX_ROUNDS];
		double f[MAX_ROUNDS], nl[MAX_ROUNDS], fa[MAX_ROUNDS];
		double fl2[MAX_ROUNDS], fa2[MAX_ROUNDS];
		struct stat3 sa, sb, sc, sf, sn, sfa;
		struct ratio q_pv, q_bat, q_fa, q_fl, q_bfa;

		for (r = 0; r < rounds; r++) {
			unsigned int j;

			/* type1, pviommu (single then batched), floor, floor+acct */
			for (j = 0; j < 4; j++) {
				switch (rotated(r, j, 4)) {
				case 0:
					ctx_open(&t1, VFIO_TYPE1v2_IOMMU);
					a[r] = pairs_ioctl(&t1, buf, sz[s].size,
							   sz[s].iters);
					nl[r] = null_ioctl(&t1, 10000);
					ctx_close(&t1);
					break;
				case 1:
					ctx_open(&pv, VFIO_EXT_PVIOMMU_IOMMU);
					b[r] = pairs_ioctl(&pv, buf, sz[s].size,
							   sz[s].iters);
					c[r] = pairs_batch(&pv, buf, sz[s].size,
							   sz[s].iters);
					ctx_close(&pv);
					break;
				case 2:
					f[r] = floor_pair(buf, sz[s].size,
							  sz[s].iters, 0);
					break;
				default:
					fa[r] = floor_pair(buf, sz[s].size,
							   sz[s].iters, 1);
					break;
				}
			}
			fl2[r] = f[r] + 2 * nl[r];
			fa2[r] = fa[r] + 2 * nl[r];
		}
		sa = stat3(a, rounds);
		sb = stat3(b, rounds);
		sc = stat3(c, rounds);
		sf = stat3(f, rounds);
		sn = stat3(nl, rounds);
		sfa = stat3(fa, rounds);
		q_pv = ratio_of(a, b);
		q_bat = ratio_of(a, c);
		q_fa = ratio_of(b, fa2);
		q_fl = ratio_of(b, fl2);
		q_bfa = ratio_of(c, fa);
		printf("%-6s", sz[s].name);
		print3(&sa);
		print3(&sb);
		print3(&sc);
		print3(&sf);
		print3(&sfa);
		print_ratio(&q_pv);
		print_ratio(&q_bat);
		print_ratio(&q_fa);
		print_ratio(&q_bfa);
		printf("\n");
		print_unfirm("type1/pviommu", &q_pv);
		print_unfirm("type1/batch", &q_bat);
		print_unfirm("pviommu/(floor+acct+2 syscalls)", &q_fa);
		print_unfirm("batch/(floor+acct)", &q_bfa);
		jprintf("%s{\"size\":%zu,\"iters\":%d,", s ? "," : "",
			sz[s].size, sz[s].iters);
		jstat("type1_ns", &sa);
		jprintf(",");
		jstat("pviommu_ns", &sb);
		jprintf(",");
		jstat("pviommu_batch_ns", &sc);
		jprintf(",");
		jstat("floor_ns", &sf);
		jprintf(",");
		jstat("floor_acct_ns", &sfa);
		jprintf(",");
		jstat("null_ioctl_ns", &sn);
		jprintf(",\"ratios\":{");
		jratio("type1_over_pviommu", &q_pv);
		jprintf(",");
		jratio("type1_over_batch", &q_bat);
		jprintf(",");
		jratio("pviommu_over_floor_acct_syscalls", &q_fa);
		jprintf(",");
		jratio("pviommu_over_floor_syscalls", &q_fl);
		jprintf(",");
		jratio("batch_over_floor_acct", &q_bfa);
		jprintf("}}");
	}
	jprintf("],");
	printf("(fa+2sc = the in-kernel floor (pin+map+unmap+unpin) with the locked_vm\n");
	printf(" accounting every backend does, plus the 2 syscalls a pair needs;\n");
	printf(" ratios are medians of per-round ratios; \"?\" = not firm, see below it)\n");
}

/*
 * pviommu with many guest domains: a 4 KiB map+unmap pair (one
 * VFIO_EXT_PVIOMMU_BATCH call of two entries) in the newest of N guest
 * domains, N interleaved round by round.  What per-request work grows
 * with the number of domains shows here.
 */
static void bench_domains(void)
{
	static const int nd[] = { 1, 16, 256, 1024 };
	double ns[ARRAY_SIZE(nd)][MAX_ROUNDS];
	double bat[ARRAY_SIZE(nd)][MAX_ROUNDS];
	void *buf = buffer(4096);
	unsigned int i;
	int r, k, ret;

	printf("\n== guest domains: ns per 4 KiB pair in the newest of N domains (%d rounds)\n",
	       rounds);
	printf("%-8s %17s %17s %12s\n", "domains", "pair (1 call)",
	       "pair (64/call)", "vs 1 domain");
	for (r = 0; r < rounds; r++) {
		unsigned int j;

		for (j = 0; j < ARRAY_SIZE(nd); j++) {
			uint32_t id = 0;
			struct ctx x;

			i = rotated(r, j, ARRAY_SIZE(nd));
			ctx_open(&x, VFIO_EXT_PVIOMMU_IOMMU);
			for (k = 0; k < nd[i]; k++) {
				ret = vfioext_pviommu_domain_alloc(x.c, &id);
				if (ret)
					die("domain_alloc", ret);
			}
			ns[i][r] = pairs_batch_in(&x, id, buf, 4096, 2000, 1);
			bat[i][r] = pairs_batch_in(&x, id, buf, 4096, 4000, 64);
			ctx_close(&x);
		}
	}
	jprintf("\"domains\":[");
	for (i = 0; i < ARRAY_SIZE(nd); i++) {
		struct stat3 s = stat3(ns[i], rounds), sb = stat3(bat[i], rounds);
		struct ratio q = ratio_of(ns[i], ns[0]);

		printf("%-8d", nd[i]);
		print3(&s);
		print3(&sb);
		print_ratio(&q);
		printf("\n");
		jprintf("%s{\"domains\":%d,", i ? "," : "", nd[i]);
		jstat("pair_ns", &s);
		jprintf(",");
		jstat("batch_pair_ns", &sb);
		jprintf(",");
		jratio("over_one_domain", &q);
		jprintf("}");
	}
	jprintf("],");
	for (i = 1; i < ARRAY_SIZE(nd); i++) {
		struct ratio q = ratio_of(ns[i], ns[0]);
		char name[48];

		snprintf(name, sizeof(name), "%d domains over 1", nd[i]);
		print_unfirm(name, &q);
	}
}

static long slab_kb(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* Populate @live 4 KiB mappings at distinct IOVAs. */
static void populate(struct ctx *x, unsigned long type, void *buf, int live)
{
	static struct vfio_ext_pviommu_op ops[4096];
	int i, k, n, ret;

	for (i = 0; i < live; i += n) {
		n = live - i < 4096 ? live - i : 4096;
		if (type != VFIO_EXT_PVIOMMU_IOMMU) {
			for (k = 0; k < n; k++) {
				ret = vfioext_dma_map(x->c, buf, 0x100000000ULL +
						      (uint64_t)(i + k) * 4096,
						      4096, VFIO_DMA_MAP_FLAG_READ);
				if (ret)
					die("mapping the live set", ret);
			}
			continue;
		}
		for (k = 0; k < n; k++)
			ops[k] = (struct vfio_ext_pviommu_op){
				.op = VFIO_EXT_PVIOMMU_OP_MAP,
				.flags = VFIO_DMA_MAP_FLAG_READ,
				.vaddr = (uintptr_t)buf,
				.iova = 0x100000000ULL + (uint64_t)(i + k) * 4096,
				.size = 4096,
			};
		ret = vfioext_dma_batch(x->c, ops, sizeof(*ops), n, NULL);
		if (ret)
			die("mapping the live set (batch)", ret);
	}
}

/* Set @path to @val, the old value into @old (empty when unreadable). */
static void swap_param(const char *path, const char *val, char *old,
		       size_t len)
{
	FILE *f = fopen(path, "r");

	old[0] = '\0';
	if (f && fgets(old, len, f))
		old[strcspn(old, "\n")] = '\0';
	if (f)
		fclose(f);
	f = fopen(path, "w");
	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

/*
 * N live mappings, then a 4 KiB pair beside them, per backend: a group
 * is in one container at a time, so the two backends cannot hold their
 * live sets at once; each backend's pairs are taken in @rounds rounds with
 * its live set in place (flatness is each backend against itself).  Not
 * interleaved, so the flatness, a ratio of medians, is firm only when every
 * one of those medians is within the spread bound and the host was quiet;
 * bytes per mapping only when the slab grew and the host was quiet.
 */
static void bench_scale(void)
{
	static const int live[] = { 1, 1000, 65536, 262144, 1048576 };
	static const unsigned long types[] = {
		VFIO_TYPE1v2_IOMMU, VFIO_EXT_PVIOMMU_IOMMU,
	};
	double ns[ARRAY_SIZE(live)][2][MAX_ROUNDS];
	double bpm[ARRAY_SIZE(live)][2];
	struct stat3 st[ARRAY_SIZE(live)][2];
	void *buf = buffer(4096);
	double worst[2] = { 0, 0 };
	bool flat_firm[2] = { !host_busy, !host_busy };
	bool bpm_firm;
	unsigned int l, t;
	int r;

	printf("\n== scale: ns per 4 KiB pair with N live mappings; slab bytes per mapping\n");
	printf("%-8s %17s %17s %14s %14s\n", "live", "type1", "pviommu",
	       "type1 B/map", "pviommu B/map");
	for (l = 0; l < ARRAY_SIZE(live); l++) {
		for (t = 0; t < 2; t++) {
			char path[96], old[32], val[32];
			struct ctx x;
			long s0, s1;

			/* Lift the mapping limit for this container. */
			snprintf(path, sizeof(path),
				 "/sys/module/%s/parameters/dma_entry_limit",
				 t ? "vfio_pviommu" : "vfio_iommu_type1");
			snprintf(val, sizeof(val), "%d", live[l] + 16);
			swap_param(path, val, old, sizeof(old));
			ctx_open(&x, types[t]);
			s0 = slab_kb();
			populate(&x, types[t], buf, live[l]);
			s1 = slab_kb();
			bpm[l][t] = live[l] >= 1000 ?
				    (s1 - s0) * 1024.0 / live[l] : 0;
			for (r = 0; r < rounds; r++)
				ns[l][t][r] = pairs_ioctl(&x, buf, 4096, 1000);
			ctx_close(&x);
			if (*old)
				swap_param(path, old, val, sizeof(val));
			st[l][t] = stat3(ns[l][t], rounds);
			/* A ratio of medians: firm only if each one is. */
			if (st[l][t].spread > spread_bound)
				flat_firm[t] = false;
			if (st[l][t].med / st[0][t].med > worst[t])
				worst[t] = st[l][t].med / st[0][t].med;
		}
		printf("%-8d", live[l]);
		print3(&st[l][0]);
		print3(&st[l][1]);
		printf(" %14.0f %14.0f\n", bpm[l][0], bpm[l][1]);
	}
	l = ARRAY_SIZE(live) - 1;
	bpm_firm = !host_busy && bpm[l][1] > 0;
	printf("flatness (slowest over 1 live mapping): type1 %.2fx%s, pviommu %.2fx%s",
	       worst[0], flat_firm[0] ? "" : "?", worst[1],
	       flat_firm[1] ? "" : "?");
	printf(" (bound 2x: %s)\n", verdict(flat_firm[1], worst[1] <= 2));
	printf("bytes per live mapping at %d: type1 %.2f, pviommu %.2f (bound %d: %s)\n",
	       live[l], bpm[l][0], bpm[l][1], PV_BYTES_PER_MAP_MAX,
	       verdict(bpm_firm, bpm[l][1] <= PV_BYTES_PER_MAP_MAX));
	if (!flat_firm[1])
		printf("  flatness not firm: %s\n", host_busy ? "host busy" :
		       "a median's per-round spread is over the bound");
	jprintf("\"scale\":[");
	for (l = 0; l < ARRAY_SIZE(live); l++) {
		jprintf("%s{\"live\":%d,", l ? "," : "", live[l]);
		jstat("type1_ns", &st[l][0]);
		jprintf(",");
		jstat("pviommu_ns", &st[l][1]);
		jprintf(",\"type1_slab_bytes_per_map\":%.0f,", bpm[l][0]);
		jprintf("\"pviommu_slab_bytes_per_map\":%.0f}", bpm[l][1]);
	}
	l = ARRAY_SIZE(live) - 1;
	jprintf("],\"scale_flatness\":{");
	for (t = 0; t < 2; t++)
		jprintf("%s\"%s\":{\"median\":%.3f,\"firm\":%s}", t ? "," : "",
			t ? "pviommu" : "type1", worst[t],
			flat_firm[t] ? "true" : "false");
	/* Unrounded: the bound is decided on the value as measured. */
	jprintf("},\"bytes_per_map\":{\"live\":%d,\"type1\":%.2f,\"pviommu\":%.2f,\"bound\":%d},",
		live[l], bpm[l][0], bpm[l][1], PV_BYTES_PER_MAP_MAX);
}

static void bench_dsm(void)
{
	double io[MAX_ROUNDS], kn[MAX_ROUNDS];
	struct vfioext_acpi_obj *res;
	struct stat3 si, sk;
	struct ratio q;
	uint8_t uuid[16];
	char path[128], cmd[128];
	struct ctx x;
	int r, i, ret;

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/vfio_ext/dsm_policy", bdf);
	if (access(path, W_OK) || vfioext_uuid_parse(TEST_UUID, uuid)) {
		printf("\n== _DSM: skipped (no policy attribute)\n");
		jprintf("\"dsm\":null,");
		return;
	}
	for (r = 0; r < rounds; r++) {
		FILE *f = fopen(path, "w");

		if (f) {
			fputs("allow " TEST_UUID " all", f);
			fclose(f);
		}
		ctx_open(&x, VFIO_TYPE1v2_IOMMU);
		ret = vfioext_acpi_dsm(x.d, uuid, 0, 1, NULL, &res);
		if (ret) {
			ctx_close(&x);
			printf("\n== _DSM: skipped (%s; needs the test SSDT)\n",
			       strerror(-ret));
			jprintf("\"dsm\":null,");
			return;
		}
		vfioext_acpi_free(res);
		{
			double t0 = now_ns();

			for (i = 0; i < 200; i++) {
				vfioext_acpi_dsm(x.d, uuid, 0, 1, NULL, &res);
				vfioext_acpi_free(res);
			}
			io[r] = (now_ns() - t0) / 200;
		}
		ctx_close(&x);
		snprintf(cmd, sizeof(cmd), "%s %s 1 200", bdf, TEST_UUID);
		kn[r] = debugfs_run(DSM_PATH, cmd);
	}
	si = stat3(io, rounds);
	sk = stat3(kn, rounds);
	q = ratio_of(io, kn);
	printf("\n== _DSM function returning an Integer (ns per call)\n");
	printf("ioctl (libvfio-ext typed)");
	print3(&si);
	printf("   in-kernel acpi_evaluate_dsm");
	print3(&sk);
	printf("   ratio");
	print_ratio(&q);
	printf("\n");
	print_unfirm("ioctl/in-kernel", &q);
	jprintf("\"dsm\":{");
	jstat("ioctl_ns", &si);
	jprintf(",");
	jstat("in_kernel_ns", &sk);
	jprintf(",");
	jratio("ratio", &q);
	jprintf("},");
}

/* ------------------------------------------------------------------ */
/* Guest requests: in-kernel virtio-iommu vs a userspace backend       */
/* ------------------------------------------------------------------ */

#define G_RAM		0x200000	/* guest RAM: GPA 0 .. 2 MiB */
#define G_QNUM		64
#define G_DATA		0x100000
#define G_PAIRS		2000
/*
 * At 32 per kick G_PAIRS pairs take ~20 ms under TCG: a single time the
 * host takes QEMU's vCPU thread off its CPU (2-8 ms) then moves a
 * round's rate by 10-40 %, and how many such stalls a round catches
 * made the rounds bimodal (see Documentation/performance.rst).  Ten
 * times as many pairs span many host scheduling periods.
 */
#define G_PAIRS_MAX	(10 * G_PAIRS)

/* Pairs per measurement of the guest parts (G_PAIRS unless set). */
static unsigned int g_pairs = G_PAIRS;
#define G_IOVA		0x400000

/*
 * The guest driver: requests posted in the ring, one kick, then wait for
 * the used index (Linux's driver sends MAP alone and queues UNMAPs until
 * an IOTLB sync, so both one-at-a-time and queued patterns occur).
 */
struct vguest {
	struct vring_guest vg;	/* selftests/common/vring_guest.h */
	/* The notification: a kick eventfd write unless set (a VMM serving
	 * in the vCPU thread, without ioeventfd).
	 */
	void (*notify)(struct vguest *g);
	void *backend;
	double *lat;
	unsigned int nlat, lat_max;	/* per-request times kept, room */
	/* VFIOEXT_BENCH_ONLY=guest32: each kick's times, when set. */
	struct kick_rec *kr;
	unsigned int nkr, kr_max;
};

/*
 * One kick of the guest32 part: when it was sent and when its used
 * entries were all seen (CLOCK_MONOTONIC ns, the clock tracefs's "mono"
 * trace_clock also reads), and the CPU the guest thread was on before
 * and after.
 */
struct kick_rec {
	double t0, t1;
	int cpu0, cpu1;
};

/* Called before and after a guest32 round's pairs (counters, markers). */
static void (*pairs_hook)(bool end);

static void *gp(struct vguest *g, uint64_t a)
{
	return vg_gpa(&g->vg, a);
}

static void vguest_init(struct vguest *g)
{
	g->vg.qnum = G_QNUM;
	vg_reset(&g->vg);
	g->nlat = 0;
	g->notify = NULL;
	g->nkr = 0;
	g->vg.kick = eventfd(0, EFD_CLOEXEC);
	g->vg.call = eventfd(0, EFD_CLOEXEC);
	if (g->vg.kick < 0 || g->vg.call < 0)
		die("eventfd", errno);
}

/* Queue one request in slot @slot (its own request and status bytes). */
static void vguest_post(struct vguest *g, const void *req, size_t len,
			unsigned int slot)
{
	vg_add_req(&g->vg, slot, req, len, 4);
}

/* Publish what was queued, kick, wait for all of it; per-request time. */
static void vguest_kick_wait(struct vguest *g)
{
	unsigned int i, n = g->vg.pending;
	int ret = 0, cpu0 = g->kr ? sched_getcpu() : -1;
	double t0 = now_ns(), dt;

	vg_publish(&g->vg);
	if (g->notify)
		g->notify(g);
	else
		ret = vg_kick(&g->vg);
	if (ret)
		die("kick", ret);
	ret = vg_wait_used_idx(&g->vg, g->vg.avail_idx, -1);
	if (ret)
		die("call", ret);
	g->vg.used_seen = g->vg.avail_idx;
	dt = now_ns() - t0;
	if (g->kr && g->nkr < g->kr_max)
		g->kr[g->nkr++] = (struct kick_rec){
			.t0 = t0, .t1 = t0 + dt, .cpu0 = cpu0,
			.cpu1 = sched_getcpu(),
		};
	dt /= n;
	for (i = 0; i < n; i++) {
		if (vg_slot_status(&g->vg, i))
			die("guest request status", EIO);
		if (g->nlat < g->lat_max)
			g->lat[g->nlat++] = dt;
	}
}

static void vguest_req(struct vguest *g, const void *req, size_t len)
{
	vguest_post(g, req, len, 0);
	vguest_kick_wait(g);
}

/* g_pairs map+unmap pairs of 4 KiB, @depth requests per kick. */
static void vguest_pairs(struct vguest *g, uint32_t dom, unsigned int depth)
{
	struct virtio_iommu_req_map m = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = dom,
		.phys_start = G_DATA,
		.flags = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE,
	};
	struct virtio_iommu_req_unmap um = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = dom,
	};
	unsigned int i, k, step = depth > 1 ? depth / 2 : 1;

	if (g->kr && pairs_hook)
		pairs_hook(false);
	for (i = 0; i < g_pairs; i += step) {
		for (k = 0; k < step; k++) {
			m.virt_start = G_IOVA + k * 4096ULL;
			m.virt_end = m.virt_start + 4095;
			um.virt_start = m.virt_start;
			um.virt_end = m.virt_end;
			vguest_post(g, &m, sizeof(m) - 4, 2 * k);
			if (depth == 1) {
				vguest_kick_wait(g);
				vguest_post(g, &um, sizeof(um) - 4, 0);
				vguest_kick_wait(g);
				break;
			}
			vguest_post(g, &um, sizeof(um) - 4, 2 * k + 1);
		}
		if (depth > 1)
			vguest_kick_wait(g);
	}
	if (g->kr && pairs_hook)
		pairs_hook(true);
}

/*
 * The userspace backend, built as QEMU's and crosvm's are: a VMM thread
 * sleeps on the kick eventfd, walks the ring, decodes each request and
 * calls VFIO_IOMMU_MAP_DMA / UNMAP_DMA on a type1 container whose IOVAs
 * are the guest's, then publishes the used entries and signals once.
 */
struct ubackend {
	struct vguest *g;
	int container;
	volatile int stop;
	uint16_t last;
};

static uint8_t ub_serve(struct ubackend *u, const struct vring_desc *d,
			uint16_t head)
{
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um) };
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	const struct vring_desc *out = &d[head % G_QNUM];
	union {
		struct virtio_iommu_req_head h;
		struct virtio_iommu_req_map map;
		struct virtio_iommu_req_unmap unmap;
	} r = {};

	/* What a careful VMM checks before trusting guest bytes. */
	if (out->addr >= G_RAM || out->len > G_RAM - out->addr)
		return VIRTIO_IOMMU_S_DEVERR;
	memcpy(&r, u->g->vg.ram + out->addr,
	       out->len < sizeof(r) ? out->len : sizeof(r));
	switch (r.h.type) {
	case VIRTIO_IOMMU_T_MAP:
		if (r.map.phys_start >= G_RAM ||
		    r.map.virt_end - r.map.virt_start >=
		    G_RAM - r.map.phys_start)
			return VIRTIO_IOMMU_S_RANGE;
		m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		m.vaddr = (uintptr_t)u->g->vg.ram + r.map.phys_start;
		m.iova = r.map.virt_start;
		m.size = r.map.virt_end - r.map.virt_start + 1;
		return ioctl(u->container, VFIO_IOMMU_MAP_DMA, &m) ?
		       VIRTIO_IOMMU_S_INVAL : VIRTIO_IOMMU_S_OK;
	case VIRTIO_IOMMU_T_UNMAP:
		um.iova = r.unmap.virt_start;
		um.size = r.unmap.virt_end - r.unmap.virt_start + 1;
		return ioctl(u->container, VFIO_IOMMU_UNMAP_DMA, &um) ?
		       VIRTIO_IOMMU_S_RANGE : VIRTIO_IOMMU_S_OK;
	}
	return VIRTIO_IOMMU_S_UNSUPP;
}

/* Serve everything in the driver ring. */
static void ub_drain(struct ubackend *u)
{
	struct vring_desc *d = gp(u->g, VG_DESC);
	struct vring_avail *av = gp(u->g, VG_AVAIL);
	struct vring_used *used = gp(u->g, VG_USED);

	while (__atomic_load_n(&av->idx, __ATOMIC_ACQUIRE) != u->last) {
		uint16_t head = av->ring[u->last % G_QNUM];
		const struct vring_desc *in = &d[(head + 1) % G_QNUM];

		if (in->addr < G_RAM && in->len >= 4 &&
		    in->len <= G_RAM - in->addr)
			u->g->vg.ram[in->addr] = ub_serve(u, d, head);
		used->ring[u->last % G_QNUM].id = head;
		used->ring[u->last % G_QNUM].len = 4;
		u->last++;
		__atomic_store_n(&used->idx, u->last, __ATOMIC_RELEASE);
	}
}

static void *ub_thread(void *arg)
{
	struct ubackend *u = arg;
	uint64_t v;

	while (!u->stop) {
		if (read(u->g->vg.kick, &v, sizeof(v)) != sizeof(v))
			break;
		ub_drain(u);
		v = 1;
		if (write(u->g->vg.call, &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

/* The vCPU thread serves its own notification (no ioeventfd). */
static void ub_notify_inline(struct vguest *g)
{
	ub_drain(g->backend);
}

/* Pin @tid (0: the caller) to CPU 0, or back to @all. */
static void pin_cpu0(pid_t tid, const cpu_set_t *all)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(tid, sizeof(one), all ? all : &one))
		die("sched_setaffinity", errno);
}

/*
 * @same_cpu: the guest's thread and the backend (VMM thread or kernel
 * worker) on one CPU, so no wakeup crosses CPUs: under TCG a cross-CPU
 * wakeup costs far more than on hardware and would hide the work itself.
 */
static double run_user(struct vguest *g, bool same_cpu, unsigned int depth,
		       bool in_vcpu)
{
	struct ubackend u = { .g = g };
	cpu_set_t all;
	struct ctx x;
	pthread_t t;
	uint64_t v = 1;
	double t0, dt;

	ctx_open(&x, VFIO_TYPE1v2_IOMMU);
	u.container = vfioext_container_fd(x.c);
	vguest_init(g);
	if (in_vcpu) {
		g->notify = ub_notify_inline;
		g->backend = &u;
		t0 = now_ns();
		vguest_pairs(g, 1, depth);
		dt = now_ns() - t0;
		goto out;
	}
	if (sched_getaffinity(0, sizeof(all), &all))
		die("sched_getaffinity", errno);
	if (pthread_create(&t, NULL, ub_thread, &u))
		die("pthread_create", EAGAIN);
	if (same_cpu) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(0, &one);
		if (pthread_setaffinity_np(t, sizeof(one), &one))
			die("pthread_setaffinity_np", EINVAL);
		pin_cpu0(0, NULL);
	}
	t0 = now_ns();
	vguest_pairs(g, 1, depth);
	dt = now_ns() - t0;
	u.stop = 1;
	if (write(g->vg.kick, &v, sizeof(v)) != sizeof(v))
		die("kick", errno);
	pthread_join(t, NULL);
	pin_cpu0(0, &all);
out:
	close(g->vg.kick);
	close(g->vg.call);
	ctx_close(&x);
	return 2.0 * g_pairs / (dt / 1e9);
}

/*
 * @in_vcpu: the module's inline_kick: the kicking thread (here the
 * guest's, standing for a vCPU thread whose MMIO write KVM turns into an
 * ioeventfd signal) serves the requests before it returns; otherwise the
 * device's worker thread is woken, as vhost does.
 */
static double run_kernel(struct vguest *g, bool same_cpu, unsigned int depth,
			 bool in_vcpu)
{
	struct vfioext_mem_region mem = {
		.struct_size = sizeof(mem), .gpa = 0, .size = G_RAM,
		.hva = g->vg.ram,
	};
	struct virtio_iommu_req_attach at = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = 1, .endpoint = 1,
	};
	uint64_t f = (1ULL << VIRTIO_F_VERSION_1) |
		     (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP) |
		     (1ULL << VIRTIO_IOMMU_F_INPUT_RANGE) |
		     (1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE);
	cpu_set_t all;
	struct ctx x;
	double t0, dt;
	int fd, ret;

	set_param(INLINE_KICK, in_vcpu ? "Y" : "N");
	ctx_open(&x, VFIO_EXT_PVIOMMU_IOMMU);
	vguest_init(g);
	if (sched_getaffinity(0, sizeof(all), &all))
		die("sched_getaffinity", errno);
	ret = vfioext_pviommu_attach(x.c, group_id, 0, 1, 0);
	if (!ret)
		ret = vfioext_viommu_open(x.c, 0, &mem, 1, &fd);
	if (ret)
		die("viommu", ret);
	ret = vfioext_virtio_setup_vring(fd, 0, G_QNUM, gp(g, VG_DESC),
					 gp(g, VG_AVAIL), gp(g, VG_USED),
					 g->vg.kick, g->vg.call);
	if (!ret)
		ret = vfioext_virtio_negotiate(fd, f);
	if (!ret)
		ret = vfioext_virtio_set_status(fd, VIRTIO_CONFIG_S_ACKNOWLEDGE |
						VIRTIO_CONFIG_S_DRIVER |
						VIRTIO_CONFIG_S_FEATURES_OK |
						VIRTIO_CONFIG_S_DRIVER_OK);
	if (ret)
		die("viommu setup", ret);
	if (same_cpu) {
		pid_t w = vg_viommu_worker();

		if (!w)
			die("no virtio worker thread", ESRCH);
		pin_cpu0(w, NULL);
		pin_cpu0(0, NULL);
	}
	vguest_req(g, &at, sizeof(at) - 4);
	g->nlat = 0;
	g->nkr = 0;
	t0 = now_ns();
	vguest_pairs(g, 1, depth);
	dt = now_ns() - t0;
	pin_cpu0(0, &all);
	close(fd);
	close(g->vg.kick);
	close(g->vg.call);
	ctx_close(&x);
	return 2.0 * g_pairs / (dt / 1e9);
}

static double pct(double *v, unsigned int n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	return v[(unsigned int)(p * (n - 1))];
}

/*
 * The four ways a request can be served, each measured in the same run:
 * the in-kernel device (served in the kicking thread, or by its worker
 * thread) and a userspace backend (a VMM thread woken by the kick, as
 * QEMU's and crosvm's are; or in the vCPU thread itself, as a VMM
 * without ioeventfd serves an MMIO exit).  The comparison is the
 * first against the third.
 */
enum { B_KERNEL, B_KERNEL_WORKER, B_USER, B_USER_VCPU, NR_B };

static const char *const backend_name[NR_B] = {
	[B_KERNEL] = "in-kernel, kicker serves",
	[B_KERNEL_WORKER] = "in-kernel, worker thread",
	[B_USER] = "userspace, VMM thread",
	[B_USER_VCPU] = "userspace, in vCPU thread",
};

static const char *const backend_key[NR_B] = {
	[B_KERNEL] = "kernel",
	[B_KERNEL_WORKER] = "kernel_worker",
	[B_USER] = "user",
	[B_USER_VCPU] = "user_vcpu",
};

static double run_backend(struct vguest *g, int b, bool same_cpu,
			  unsigned int depth)
{
	switch (b) {
	case B_KERNEL:
		return run_kernel(g, same_cpu, depth, true);
	case B_KERNEL_WORKER:
		return run_kernel(g, same_cpu, depth, false);
	case B_USER:
		return run_user(g, same_cpu, depth, false);
	default:
		return run_user(g, same_cpu, depth, true);
	}
}

/*
 * Remember inline_kick as found, to be put back at exit whatever ends the
 * run; false (and a "skipped" line for @part) without the module.
 */
static bool inline_kick_save(const char *part)
{
	static bool at_exit;
	char kick0[sizeof(inline_kick0)];
	FILE *f;

	if (inline_kick0[0])
		return true;
	f = fopen(INLINE_KICK, "r");
	if (!f || !fgets(kick0, sizeof(kick0), f)) {
		printf("\n== %s: skipped (%s: %s)\n", part, INLINE_KICK,
		       strerror(errno));
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	kick0[strcspn(kick0, "\n")] = '\0';
	memcpy(inline_kick0, kick0, sizeof(inline_kick0));
	if (!at_exit)
		atexit(restore_inline_kick_at_exit);
	at_exit = true;
	return true;
}

/* A kick and a call as bare syscalls: an eventfd write, then its read. */
static double kick_call_ns(int iters)
{
	uint64_t v = 1;
	int efd = eventfd(0, EFD_CLOEXEC), i;
	double t0;

	if (efd < 0)
		die("eventfd", errno);
	t0 = now_ns();
	for (i = 0; i < iters; i++)
		if (write(efd, &v, sizeof(v)) != sizeof(v) ||
		    read(efd, &v, sizeof(v)) != sizeof(v))
			die("eventfd", errno);
	t0 = (now_ns() - t0) / iters;
	close(efd);
	return t0;
}

/* The floor pairs measured per round beside the guest requests. */
#define G_FLOOR_PAIRS	2000

static void bench_viommu(void)
{
	static const struct {
		const char *name;
		bool same_cpu;
		unsigned int depth, pairs;
	} cfg[] = {
		{ "one at a time", false, 1, G_PAIRS },
		{ "one at a time, same CPU", true, 1, G_PAIRS },
		{ "32 per kick, same CPU", true, 32, G_PAIRS_MAX },
	};
	static double lat[NR_B][MAX_ROUNDS * 2 * G_PAIRS];
	double rps[NR_B][MAX_ROUNDS], p50, p99;
	double req[MAX_ROUNDS], fa[MAX_ROUNDS], kc[MAX_ROUNDS];
	double rfl[MAX_ROUNDS];
	unsigned int c, n[NR_B];
	struct stat3 st[NR_B], sfl;
	struct ratio q[NR_B], qf;
	struct vguest g = { .kr = NULL };
	void *fbuf = buffer(4096);
	int r, b, ret;

	if (!inline_kick_save("guest virtio-iommu"))
		return;
	g.vg.ram = buffer(G_RAM);
	printf("\n== guest virtio-iommu MAP/UNMAP of 4 KiB: in-kernel device vs");
	printf(" userspace backend (%d pairs, %d at 32 per kick, x %d interleaved rounds)\n",
	       G_PAIRS, G_PAIRS_MAX, rounds);
	printf("%-24s %-26s %17s %10s %10s %12s\n", "pattern", "served by",
	       "req/s", "p50 ns", "p99 ns", "vs VMM thr.");
	jprintf("\"guest_requests\":[");
	for (c = 0; c < ARRAY_SIZE(cfg); c++) {
		g_pairs = cfg[c].pairs;
		memset(n, 0, sizeof(n));
		for (r = 0; r < rounds; r++) {
			unsigned int j;

			/* The backends, then the floor of a request. */
			for (j = 0; j <= NR_B; j++) {
				b = rotated(r, j, NR_B + 1);
				if (b == NR_B) {
					fa[r] = floor_pair(fbuf, 4096,
							   G_FLOOR_PAIRS, 1);
					kc[r] = kick_call_ns(G_FLOOR_PAIRS);
					continue;
				}
				g.lat = lat[b] + n[b];
				g.lat_max = 2 * G_PAIRS;
				rps[b][r] = run_backend(&g, b, cfg[c].same_cpu,
							cfg[c].depth);
				n[b] += g.nlat;
			}
			/*
			 * A request's floor: half a pair of the in-kernel
			 * floor with its accounting, plus its share of the
			 * kick and the call.
			 */
			req[r] = rps[B_KERNEL][r] > 0 ? 1e9 / rps[B_KERNEL][r] : 0;
			rfl[r] = fa[r] / 2 + kc[r] / cfg[c].depth;
		}
		jprintf("%s{\"pattern\":", c ? "," : "");
		jstr(cfg[c].name);
		jprintf(",\"backends\":{");
		for (b = 0; b < NR_B; b++) {
			st[b] = stat3(rps[b], rounds);
			q[b] = ratio_of(rps[b], rps[B_USER]);
		}
		for (b = 0; b < NR_B; b++) {
			p50 = pct(lat[b], n[b], 0.5);
			p99 = pct(lat[b], n[b], 0.99);
			printf("%-24s %-26s", b ? "" : cfg[c].name,
			       backend_name[b]);
			print3(&st[b]);
			printf(" %10.0f %10.0f", p50, p99);
			print_ratio(&q[b]);
			printf("\n");
			jprintf("%s\"%s\":{", b ? "," : "", backend_key[b]);
			jstat("rps", &st[b]);
			jprintf(",\"p50_ns\":%.0f,\"p99_ns\":%.0f}", p50, p99);
		}
		print_unfirm("in-kernel/userspace VMM thread", &q[B_KERNEL]);
		sfl = stat3(rfl, rounds);
		qf = ratio_of(req, rfl);
		printf("%-24s %-26s", "", "floor of a request (ns)");
		print3(&sfl);
		printf(" %21s", "in-kernel/floor");
		print_ratio(&qf);
		printf("\n");
		print_unfirm("in-kernel request/floor", &qf);
		jprintf("},");
		jstat("request_floor_ns", &sfl);
		jprintf(",\"ratios\":{");
		jratio("kernel_request_over_floor", &qf);
		jprintf(",");
		jratio("kernel_over_user", &q[B_KERNEL]);
		jprintf(",");
		jratio("kernel_worker_over_user", &q[B_KERNEL_WORKER]);
		jprintf(",");
		{
			struct ratio v = ratio_of(rps[B_KERNEL],
						  rps[B_USER_VCPU]);

			jratio("kernel_over_user_vcpu", &v);
		}
		jprintf("}}");
	}
	jprintf("],");
	g_pairs = G_PAIRS;
	ret = restore_inline_kick();
	if (ret)
		die(INLINE_KICK, ret);
	printf("(queued: latency is the batch's time per request; the first %d of a round;\n",
	       2 * G_PAIRS);
	printf(" a request's floor: half an in-kernel floor+acct pair, plus an eventfd\n");
	printf(" write and read (the kick and the call) shared by the requests of a kick)\n");
}

/*
 * VFIOEXT_BENCH_ONLY=trace, under tools/bench/trace: each way of doing a
 * 4 KiB map+unmap pair TRACE_PAIRS times with the kernel's tracer on
 * (VFIOEXT_BENCH_TRACE: the tracefs directory, its tracer set up by the
 * caller) and a marker before and after, so that a function-graph trace
 * shows where a pair's time goes in each.
 */
#define TRACE_PAIRS	64

static void trace_write(const char *dir, const char *file, const char *s)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		die(path, errno);
	close(fd);
}

static void trace_on(const char *dir, const char *what)
{
	char m[96];

	snprintf(m, sizeof(m), "TRACE-BEGIN %s %d", what, TRACE_PAIRS);
	trace_write(dir, "tracing_on", "1");
	trace_write(dir, "trace_marker", m);
}

static void trace_off(const char *dir, const char *what)
{
	char m[96];

	snprintf(m, sizeof(m), "TRACE-END %s", what);
	trace_write(dir, "trace_marker", m);
	trace_write(dir, "tracing_on", "0");
}

static void bench_trace(void)
{
	const char *dir = getenv("VFIOEXT_BENCH_TRACE");
	void *buf = buffer(4096);
	struct ctx x;

	if (!dir)
		die("VFIOEXT_BENCH_TRACE (tools/bench/trace sets it)", EINVAL);
	ctx_open(&x, VFIO_EXT_PVIOMMU_IOMMU);
	pairs_ioctl(&x, buf, 4096, 200);	/* warm */
	trace_on(dir, "pviommu");
	pairs_ioctl(&x, buf, 4096, TRACE_PAIRS);
	trace_off(dir, "pviommu");
	pairs_batch(&x, buf, 4096, 200);
	trace_on(dir, "pviommu-batch");
	pairs_batch(&x, buf, 4096, TRACE_PAIRS);
	trace_off(dir, "pviommu-batch");
	trace_on(dir, "null-ioctl");
	null_ioctl(&x, TRACE_PAIRS);
	trace_off(dir, "null-ioctl");
	ctx_close(&x);
	ctx_open(&x, VFIO_TYPE1v2_IOMMU);
	pairs_ioctl(&x, buf, 4096, 200);
	trace_on(dir, "type1");
	pairs_ioctl(&x, buf, 4096, TRACE_PAIRS);
	trace_off(dir, "type1");
	ctx_close(&x);
	floor_pair(buf, 4096, 200, 1);
	trace_on(dir, "floor-acct");
	floor_pair(buf, 4096, TRACE_PAIRS, 1);
	trace_off(dir, "floor-acct");
	printf("trace: %d pairs each traced\n", TRACE_PAIRS);
}

/*
 * VFIOEXT_BENCH_ONLY=pair4k, under tools/bench/profile: 4 KiB pairs of
 * pviommu, one ioctl each, of the floor with its accounting, and null
 * ioctls, P4K_ROUNDS rounds of P4K_PAIRS each, interleaved, so that a
 * sampled profile rooted at the syscall entry sees all a single pair
 * costs, its syscalls included, beside what the floor and a bare syscall
 * cost; prints the per-round ratio's median and range.
 */
#define P4K_ROUNDS	25
#define P4K_PAIRS	2000

static void bench_pair4k(void)
{
	double pv[P4K_ROUNDS], fa[P4K_ROUNDS], nl[P4K_ROUNDS], q[P4K_ROUNDS];
	void *buf = buffer(4096);
	struct ctx x;
	int r;

	for (r = 0; r < P4K_ROUNDS; r++) {
		/* The floor claims the group: no container may hold it. */
		ctx_open(&x, VFIO_EXT_PVIOMMU_IOMMU);
		pairs_ioctl(&x, buf, 4096, 100);	/* warm */
		pv[r] = pairs_ioctl(&x, buf, 4096, P4K_PAIRS);
		nl[r] = null_ioctl(&x, P4K_PAIRS);
		ctx_close(&x);
		fa[r] = floor_pair(buf, 4096, P4K_PAIRS, 1);
		q[r] = pv[r] / (fa[r] + 2 * nl[r]);
	}
	qsort(pv, P4K_ROUNDS, sizeof(double), cmp_d);
	qsort(fa, P4K_ROUNDS, sizeof(double), cmp_d);
	qsort(nl, P4K_ROUNDS, sizeof(double), cmp_d);
	qsort(q, P4K_ROUNDS, sizeof(double), cmp_d);
	printf("pair4k: medians of %d rounds of %d: ns per pviommu pair %.0f, ",
	       P4K_ROUNDS, P4K_PAIRS, pv[P4K_ROUNDS / 2]);
	printf("floor+acct pair %.0f, null ioctl %.0f; pv/(fa+2sc) %.3f (%.3f-%.3f)\n",
	       fa[P4K_ROUNDS / 2], nl[P4K_ROUNDS / 2], q[P4K_ROUNDS / 2], q[0],
	       q[P4K_ROUNDS - 1]);
}

/*
 * VFIOEXT_BENCH_ONLY=guest32 (tools/bench/trace-guest TRACE_KIND=guest32
 * traces it): the "32 per kick, same CPU" pattern of the guest part, its
 * four backends interleaved as there, with each kick's time kept.  Per
 * round and backend: the rate over the kicks, each kick's and each gap
 * between kicks' median and tail, the kicks or gaps over twice their
 * round's median ("long") and the time they took beyond it, the rate
 * with that time taken out, and what happened in the guest meanwhile
 * (timer interrupts on CPU 0, all interrupts, context switches, page
 * faults, a kick that left CPU 0).  Every long kick is listed with its
 * CLOCK_MONOTONIC times, to be matched against a trace.
 */
#define G32_KICKS	(G_PAIRS_MAX / 16 + 2)

struct g32_ctr {
	unsigned long long loc0, intr, ctxt;
	long minflt, nvcsw, nivcsw;
};

static struct g32_ctr g32_at[2];
static const char *g32_trace;
static char g32_mark[48];

/* The first number after @key at the start of a line of @path. */
static unsigned long long proc_num(const char *path, const char *key)
{
	unsigned long long v = 0;
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		if (!strncmp(p, key, strlen(key))) {
			v = strtoull(p + strlen(key), NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return v;
}

static void g32_hook(bool end)
{
	struct g32_ctr *c = &g32_at[end];
	struct rusage ru;
	char m[64];

	if (g32_trace && end) {
		snprintf(m, sizeof(m), "G32-END %s", g32_mark);
		trace_write(g32_trace, "trace_marker", m);
	}
	c->loc0 = proc_num("/proc/interrupts", "LOC:");
	c->intr = proc_num("/proc/stat", "intr ");
	c->ctxt = proc_num("/proc/stat", "ctxt ");
	getrusage(RUSAGE_SELF, &ru);
	c->minflt = ru.ru_minflt;
	c->nvcsw = ru.ru_nvcsw;
	c->nivcsw = ru.ru_nivcsw;
	if (g32_trace && !end) {
		snprintf(m, sizeof(m), "G32-BEGIN %s", g32_mark);
		trace_write(g32_trace, "trace_marker", m);
	}
}

struct g32_round {
	double rps, rps_clean, kick_p50, kick_p90, kick_max, gap_p50;
	double excess_us;
	unsigned int nlong, off_cpu;
	struct g32_ctr d;
};

static void g32_analyse(const struct kick_rec *k, unsigned int n, int r,
			int b, struct g32_round *o)
{
	double dk[G32_KICKS], dg[G32_KICKS], span, mk, mg;
	unsigned int i;

	if (n < 2 || n > G32_KICKS)
		die("guest32: kicks recorded", EIO);
	for (i = 0; i < n; i++) {
		dk[i] = (k[i].t1 - k[i].t0) / 1e3;
		dg[i] = i ? (k[i].t0 - k[i - 1].t1) / 1e3 : 0;
		if (k[i].cpu0 != 0 || k[i].cpu1 != 0)
			o->off_cpu++;
	}
	span = k[n - 1].t1 - k[0].t0;
	o->rps = 2.0 * g_pairs / (span / 1e9);
	o->kick_p90 = pct(dk, n, 0.9);
	o->kick_max = dk[n - 1];
	mk = pct(dk, n, 0.5);
	mg = pct(dg + 1, n - 1, 0.5);
	o->kick_p50 = mk;
	o->gap_p50 = mg;
	for (i = 0; i < n; i++) {
		double d = (k[i].t1 - k[i].t0) / 1e3;
		double gp = i ? (k[i].t0 - k[i - 1].t1) / 1e3 : 0;

		if (d > 2 * mk) {
			o->nlong++;
			o->excess_us += d - mk;
			printf("G32L r%d %s kick %u %.3f-%.3f us %.1f cpu %d>%d\n",
			       r, backend_key[b], i, k[i].t0 / 1e3,
			       k[i].t1 / 1e3, d, k[i].cpu0, k[i].cpu1);
		}
		if (i && gp > 2 * mg + 5) {
			o->nlong++;
			o->excess_us += gp - mg;
			printf("G32L r%d %s gap %u %.3f-%.3f us %.1f\n", r,
			       backend_key[b], i, k[i - 1].t1 / 1e3,
			       k[i].t0 / 1e3, gp);
		}
	}
	o->rps_clean = 2.0 * g_pairs / ((span - o->excess_us * 1e3) / 1e9);
	o->d.loc0 = g32_at[1].loc0 - g32_at[0].loc0;
	o->d.intr = g32_at[1].intr - g32_at[0].intr;
	o->d.ctxt = g32_at[1].ctxt - g32_at[0].ctxt;
	o->d.minflt = g32_at[1].minflt - g32_at[0].minflt;
	o->d.nvcsw = g32_at[1].nvcsw - g32_at[0].nvcsw;
	o->d.nivcsw = g32_at[1].nivcsw - g32_at[0].nivcsw;
}

static void bench_guest32(void)
{
	static struct kick_rec kr[G32_KICKS];
	static struct g32_round res[NR_B][MAX_ROUNDS];
	double v[NR_B][3][MAX_ROUNDS];
	struct vguest g = { .kr = kr, .kr_max = G32_KICKS };
	const char *e;
	struct stat3 st;
	int r, b, ret;
	unsigned int j;

	if (!inline_kick_save("guest32"))
		return;
	g32_trace = getenv("VFIOEXT_BENCH_TRACE");
	/* The part's pairs per round: as the guest part's (a knob to compare). */
	e = getenv("VFIOEXT_BENCH_G32_PAIRS");
	g_pairs = e ? (unsigned int)atoi(e) : G_PAIRS_MAX;
	if (g_pairs < 160 || g_pairs > G_PAIRS_MAX)
		die("VFIOEXT_BENCH_G32_PAIRS (160-20000)", EINVAL);
	pairs_hook = g32_hook;
	g.vg.ram = buffer(G_RAM);
	g.lat_max = 2 * G_PAIRS;
	g.lat = calloc(g.lat_max, sizeof(*g.lat));
	if (!g.lat)
		die("calloc", ENOMEM);
	printf("\n== guest32: 32 requests per kick, same CPU, each kick timed");
	printf(" (%u pairs, %d rounds)\n", g_pairs, rounds);
	printf("%-3s %-13s %8s %8s %7s %7s %8s %6s %5s %8s %4s %5s %5s %6s %4s %4s\n",
	       "rnd", "backend", "req/s", "clean/s", "kick50", "kick90",
	       "kickmax", "gap50", "long", "excess", "LOC", "intr", "ctxt",
	       "minflt", "ivcs", "off");
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < NR_B; j++) {
			struct g32_round *o;

			b = rotated(r, j, NR_B);
			o = &res[b][r];
			snprintf(g32_mark, sizeof(g32_mark), "r%d %s", r,
				 backend_key[b]);
			g.nlat = 0;
			run_backend(&g, b, true, 32);
			if (g.nkr < 2)
				die("guest32: no kicks recorded", EIO);
			g32_analyse(kr, g.nkr, r, b, o);
			printf("%-3d %-13s %8.0f %8.0f %7.1f %7.1f %8.1f %6.1f",
			       r, backend_key[b], o->rps, o->rps_clean,
			       o->kick_p50, o->kick_p90, o->kick_max,
			       o->gap_p50);
			printf(" %5u %8.0f %4llu %5llu %5llu %6ld %4ld %4u\n",
			       o->nlong, o->excess_us, o->d.loc0, o->d.intr,
			       o->d.ctxt, o->d.minflt, o->d.nivcsw, o->off_cpu);
			v[b][0][r] = o->rps;
			v[b][1][r] = o->rps_clean;
			v[b][2][r] = o->kick_p50;
		}
	}
	pairs_hook = NULL;
	g_pairs = G_PAIRS;
	ret = restore_inline_kick();
	if (ret)
		die(INLINE_KICK, ret);
	printf("guest32 over the rounds: median (spread)\n");
	for (b = 0; b < NR_B; b++) {
		printf("%-13s", backend_key[b]);
		st = stat3(v[b][0], rounds);
		printf(" req/s %8.0f (%5.1f%%)", st.med, 100 * st.spread);
		st = stat3(v[b][1], rounds);
		printf(" clean %8.0f (%5.1f%%)", st.med, 100 * st.spread);
		st = stat3(v[b][2], rounds);
		printf(" kick p50 %7.1f us (%5.1f%%)\n", st.med, 100 * st.spread);
	}
	{
		struct ratio q = ratio_of(v[B_KERNEL][0], v[B_USER][0]);
		struct ratio c = ratio_of(v[B_KERNEL][1], v[B_USER][1]);

		printf("in-kernel/user VMM thread: %.2fx (%.2f-%.2f),",
		       q.s.med, q.s.min, q.s.max);
		printf(" long time taken out %.2fx (%.2f-%.2f)\n",
		       c.s.med, c.s.min, c.s.max);
	}
	free(g.lat);
}

/* The first "@key : value" line of @path, trimmed, into @out. */
static void read_field(const char *path, const char *key, char *out,
		       size_t len)
{
	char line[256], *v;
	FILE *f = fopen(path, "r");

	snprintf(out, len, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)))
			continue;
		v = strchr(line, ':');
		if (!v)
			continue;
		v += 1 + strspn(v + 1, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(out, len, "%s", v);
		break;
	}
	if (f)
		fclose(f);
}

/* What the run ran on: printed, and into the JSON. */
static void bench_env(void)
{
	char cpu[128], load[64] = "", *host;
	struct utsname u;
	FILE *f;

	read_field("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fgets(load, sizeof(load), f))
			load[strcspn(load, "\n")] = '\0';
		fclose(f);
	}
	if (uname(&u))
		die("uname", errno);
	host = getenv("VFIOEXT_BENCH_HOST_LOAD");
	printf("kernel %s, %ld vCPUs (%s), guest load %s, host load %s%s\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), cpu, load,
	       host ? host : "unknown", host_busy ? " (BUSY)" : "");
	printf("%d rounds per comparison; a ratio is firm when its per-round spread\n",
	       rounds);
	printf("((max - min) / median) is at most %.0f%% and the host was not busy\n",
	       100 * spread_bound);
	jprintf("\"kernel\":");
	jstr(u.release);
	jprintf(",\"machine\":");
	jstr(u.machine);
	jprintf(",\"cpu\":");
	jstr(cpu);
	jprintf(",\"vcpus\":%ld,\"guest_load\":", sysconf(_SC_NPROCESSORS_ONLN));
	jstr(load);
	jprintf(",\"host_busy\":%s,\"rounds\":%d,\"spread_bound\":%.3f,",
		host_busy ? "true" : "false", rounds, spread_bound);
	jprintf("\"order\":\"rotated per round\",");
}

/* ------------------------------------------------------------------ */
/* Device state: save and restore against replaying the guest's MAPs   */
/* ------------------------------------------------------------------ */

#define S_MAPS		65536
#define S_IOVA		0x400000ULL
#define GUEST_LIMIT	"/sys/module/vfio_pviommu/parameters/guest_dma_entry_limit"

/*
 * A virtio-iommu on a fresh pviommu container of @dev (IOMMU group @grp,
 * endpoint 1) over guest RAM @g, owned, features negotiated; running
 * (DRIVER_OK, the guest's queue) if @run.
 */
static int viommu_dev_on(struct ctx *x, struct vguest *g, const char *dev,
			 int grp, bool run)
{
	struct vfioext_mem_region mem = {
		.struct_size = sizeof(mem), .gpa = 0, .size = G_RAM,
		.hva = g->vg.ram,
	};
	uint64_t f = (1ULL << VIRTIO_F_VERSION_1) |
		     (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP) |
		     (1ULL << VIRTIO_IOMMU_F_INPUT_RANGE) |
		     (1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE);
	int fd, ret;

	ctx_open_on(x, dev, VFIO_EXT_PVIOMMU_IOMMU);
	ret = vfioext_pviommu_attach(x->c, grp, 0, 1, 0);
	if (!ret)
		ret = vfioext_viommu_open(x->c, 0, &mem, 1, &fd);
	if (ret)
		die("viommu", ret);
	if (run)
		ret = vfioext_virtio_setup_vring(fd, 0, G_QNUM, gp(g, VG_DESC),
						 gp(g, VG_AVAIL),
						 gp(g, VG_USED), g->vg.kick,
						 g->vg.call);
	if (!ret)
		ret = vfioext_virtio_negotiate(fd, f);
	if (!ret && run)
		ret = vfioext_virtio_set_status(fd, VIRTIO_CONFIG_S_ACKNOWLEDGE |
						VIRTIO_CONFIG_S_DRIVER |
						VIRTIO_CONFIG_S_FEATURES_OK |
						VIRTIO_CONFIG_S_DRIVER_OK);
	if (ret)
		die("viommu setup", ret);
	return fd;
}

/* The bench's own device: see viommu_dev_on(). */
static int state_dev(struct ctx *x, struct vguest *g, bool run)
{
	return viommu_dev_on(x, g, bdf, group_id, run);
}

/* The guest maps S_MAPS pages into domain 1, G_QNUM / 2 MAPs per kick. */
static void state_replay(struct vguest *g)
{
	struct virtio_iommu_req_attach at = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = 1, .endpoint = 1,
	};
	struct virtio_iommu_req_map m = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = 1,
		.flags = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE,
	};
	unsigned int i, k;

	vguest_req(g, &at, sizeof(at) - 4);
	for (i = 0; i < S_MAPS; i += k) {
		for (k = 0; k < G_QNUM / 2 && i + k < S_MAPS; k++) {
			m.virt_start = S_IOVA + (i + k) * 4096ULL;
			m.virt_end = m.virt_start + 4095;
			/* Distinct pages of guest RAM, round and round. */
			m.phys_start = G_DATA + ((i + k) % 256) * 4096ULL;
			vguest_post(g, &m, sizeof(m) - 4, k);
		}
		g->nlat = 0;
		vguest_kick_wait(g);
	}
}

/*
 * A device whose guest mapped S_MAPS pages: the time the guest takes to
 * map them through the virtqueue (what a VMM without device state would
 * have to replay, were it to know the MAPs), against saving the state
 * (suspended) and restoring it into a fresh device on a fresh container;
 * and the state's size.  Interleaved round by round.
 */
static void bench_state(void)
{
	double replay[MAX_ROUNDS], save[MAX_ROUNDS], restore[MAX_ROUNDS];
	struct stat3 s_replay, s_save, s_restore;
	char old_limit[32];
	struct vguest g = { .kr = NULL };
	struct ratio q;
	long bytes = 0, n;
	int r, fd, mfd;
	double t0;

	g.vg.ram = buffer(G_RAM);
	g.lat_max = G_QNUM;
	g.lat = calloc(g.lat_max, sizeof(*g.lat));
	if (!g.lat)
		die("calloc", ENOMEM);
	swap_param(GUEST_LIMIT, "65536", old_limit, sizeof(old_limit));
	printf("\n== device state of a virtio-iommu with %d mappings of 4 KiB (%d rounds)\n",
	       S_MAPS, rounds);
	for (r = 0; r < rounds; r++) {
		struct ctx x;

		vguest_init(&g);
		fd = state_dev(&x, &g, true);
		t0 = now_ns();
		state_replay(&g);
		replay[r] = now_ns() - t0;
		n = vfioext_virtio_suspend(fd);
		if (n)
			die("suspend", -n);
		mfd = memfd_create("state", MFD_CLOEXEC);
		if (mfd < 0)
			die("memfd_create", errno);
		t0 = now_ns();
		n = vfioext_virtio_save_state(fd, mfd);
		save[r] = now_ns() - t0;
		if (n < 0)
			die("save state", -n);
		bytes = n;
		close(fd);
		ctx_close(&x);

		fd = state_dev(&x, &g, false);
		if (lseek(mfd, 0, SEEK_SET))
			die("lseek", errno);
		t0 = now_ns();
		n = vfioext_virtio_load_state(fd, mfd);
		restore[r] = now_ns() - t0;
		if (n != bytes)
			die("load state", n < 0 ? -n : EIO);
		close(fd);
		ctx_close(&x);
		close(mfd);
		close(g.vg.kick);
		close(g.vg.call);
	}
	if (old_limit[0])
		set_param(GUEST_LIMIT, old_limit);
	s_replay = stat3(replay, rounds);
	s_save = stat3(save, rounds);
	s_restore = stat3(restore, rounds);
	q = ratio_of(replay, restore);
	printf("%-36s", "guest MAPs through the virtqueue ns");
	print3(&s_replay);
	printf("\n%-36s", "save ns");
	print3(&s_save);
	printf("\n%-36s", "restore ns");
	print3(&s_restore);
	printf("\n%-36s %17ld (%.1f per mapping)\n", "state bytes", bytes,
	       (double)bytes / S_MAPS);
	printf("%-36s", "replay/restore (>= 1: restore as fast)");
	print_ratio(&q);
	printf("\n");
	print_unfirm("replay/restore", &q);
	jprintf("\"state\":{\"maps\":%d,\"bytes\":%ld,", S_MAPS, bytes);
	jstat("replay_ns", &s_replay);
	jprintf(",");
	jstat("save_ns", &s_save);
	jprintf(",");
	jstat("restore_ns", &s_restore);
	jprintf(",");
	jratio("replay_over_restore", &q);
	jprintf("},");
	free(g.lat);
}

/* ------------------------------------------------------------------ */
/* Noisy neighbour: one quiet VMM beside one noisy guest or VMM         */
/* ------------------------------------------------------------------ */

/*
 * The quiet side is this process, pinned to CPU 0, on its own pviommu
 * container of the bench's edu; the noisy side is another process,
 * pinned to CPU 1, on another pviommu container of another edu (its own
 * IOMMU group).  The neighbours, one at a time, interleaved with the
 * quiet side alone round by round (rotated order):
 *
 *   alone    no neighbour
 *   cpu      a process that only burns CPU 1 in user space: no VFIO, the
 *            control for what any busy vCPU costs the other under TCG
 *   type1    a VMM doing 4 KiB MAP_DMA+UNMAP_DMA pairs on a type1
 *            container in a loop: not ours, the control for what the
 *            IOMMU driver (and its emulation) shared by both costs
 *   flood    a virtio-iommu guest mapping and unmapping one IOVA in a
 *            loop, 32 requests per kick (the kicker serves)
 *   domains  a guest creating guest domains up to the container's limit
 *            (VFIO_EXT_PVIOMMU_DOMAIN_ALLOC until it is refused) and
 *            freeing them, in a loop
 *   batch    a VMM doing VFIO_EXT_PVIOMMU_BATCH of 64 pairs in a loop
 *
 * and the quiet side, beside each: 4 KiB MAP_DMA+UNMAP_DMA pairs on its
 * container, and, measured separately, 4 KiB MAP/UNMAP pairs of a guest
 * through the in-kernel virtio-iommu of its own container, one request
 * per kick; ns per pair, and per round its ratio over the same round's
 * "alone".
 */
enum { N_ALONE, N_CPU, N_TYPE1, N_FLOOD, N_DOMAINS, N_BATCH, NR_N };
enum { Q_MAP, Q_VIRTIO, NR_Q };

static const char *const noisy_key[NR_N] = {
	[N_ALONE] = "alone", [N_CPU] = "cpu", [N_TYPE1] = "type1",
	[N_FLOOD] = "flood",
	[N_DOMAINS] = "domains", [N_BATCH] = "batch",
};

static const char *const quiet_key[NR_Q] = {
	[Q_MAP] = "map_dma", [Q_VIRTIO] = "virtio",
};

/*
 * Pairs per quiet measurement: long enough (~0.2 s under TCG) that the
 * host's taking a vCPU off its CPU now and then averages out (as at 32
 * per kick in the guest part).
 */
#define NOISY_PAIRS		20000
#define NOISY_VIRTIO_PAIRS	(5 * G_PAIRS)

/* Shared with the neighbour's process. */
struct noisy_shm {
	volatile int stop, ready;
	volatile unsigned long ops;
};

static char noisy_bdf[VFIOEXT_BDF_LEN];
static int noisy_group;

/* Pin the calling thread to @cpu. */
static void pin_to(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("sched_setaffinity", errno);
}

/* The flood: MAP then UNMAP of one IOVA, 16 times per kick, until told. */
static void noisy_flood(struct noisy_shm *sh)
{
	struct virtio_iommu_req_attach at = {
		.head.type = VIRTIO_IOMMU_T_ATTACH, .domain = 1, .endpoint = 1,
	};
	struct virtio_iommu_req_map m = {
		.head.type = VIRTIO_IOMMU_T_MAP, .domain = 1,
		.phys_start = G_DATA, .virt_start = G_IOVA,
		.virt_end = G_IOVA + 4095,
		.flags = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE,
	};
	struct virtio_iommu_req_unmap um = {
		.head.type = VIRTIO_IOMMU_T_UNMAP, .domain = 1,
		.virt_start = G_IOVA, .virt_end = G_IOVA + 4095,
	};
	static double lat[G_QNUM];
	struct vguest g = { .kr = NULL, .lat = lat, .lat_max = G_QNUM };
	struct ctx x;
	unsigned int k;

	g.vg.ram = buffer(G_RAM);
	vguest_init(&g);
	viommu_dev_on(&x, &g, noisy_bdf, noisy_group, true);
	vguest_req(&g, &at, sizeof(at) - 4);
	sh->ready = 1;
	while (!sh->stop) {
		for (k = 0; k < 16; k++) {
			vguest_post(&g, &m, sizeof(m) - 4, 2 * k);
			vguest_post(&g, &um, sizeof(um) - 4, 2 * k + 1);
		}
		g.nlat = 0;
		vguest_kick_wait(&g);
		sh->ops += 32;
	}
}

/* Guest domains up to the limit, then all freed; ops: domains made. */
static void noisy_domains(struct noisy_shm *sh)
{
	static uint32_t id[4096];
	unsigned int n, i;
	struct ctx x;
	int ret = 0;

	ctx_open_on(&x, noisy_bdf, VFIO_EXT_PVIOMMU_IOMMU);
	sh->ready = 1;
	while (!sh->stop) {
		for (n = 0; n < ARRAY_SIZE(id); n++) {
			ret = vfioext_pviommu_domain_alloc(x.c, &id[n]);
			if (ret)
				break;
		}
		if (!n || n == ARRAY_SIZE(id))
			die("domain_alloc up to the limit", ret ? ret : ENOSPC);
		for (i = 0; i < n; i++) {
			ret = vfioext_pviommu_domain_free(x.c, id[i]);
			if (ret)
				die("domain_free", ret);
		}
		sh->ops += n;
	}
}

static void noisy_child(int v, struct noisy_shm *sh, bool pin)
{
	struct ctx x;
	void *buf;

	in_child = true;
	if (pin)
		pin_to(1);
	switch (v) {
	case N_CPU:
		sh->ready = 1;
		while (!sh->stop) {
			volatile unsigned int i;

			for (i = 0; i < 1000; i++)
				;
			sh->ops++;
		}
		break;
	case N_FLOOD:
		noisy_flood(sh);
		break;
	case N_DOMAINS:
		noisy_domains(sh);
		break;
	case N_TYPE1:
		buf = buffer(4096);
		ctx_open_on(&x, noisy_bdf, VFIO_TYPE1v2_IOMMU);
		sh->ready = 1;
		while (!sh->stop) {
			pairs_ioctl(&x, buf, 4096, 64);
			sh->ops += 64;
		}
		break;
	default:
		buf = buffer(4096);
		ctx_open_on(&x, noisy_bdf, VFIO_EXT_PVIOMMU_IOMMU);
		sh->ready = 1;
		while (!sh->stop) {
			pairs_batch(&x, buf, 4096, 64);
			sh->ops += 64;
		}
		break;
	}
	_exit(0);
}

/*
 * Another edu than the bench's, alone in its IOMMU group (so that its
 * container is the neighbour's own); its group into @grp.
 */
static int noisy_find(char out[VFIOEXT_BDF_LEN], int *grp)
{
	char path[96], found[VFIOEXT_BDF_LEN];
	unsigned int n;

	for (n = 0; !vfioext_pci_find(0x1234, 0x11e8, n, found); n++) {
		struct dirent *e;
		int devs = 0;
		DIR *d;

		if (!strcmp(found, bdf))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/iommu_group/devices", found);
		d = opendir(path);
		if (!d)
			continue;
		while ((e = readdir(d)))
			devs += e->d_name[0] != '.';
		closedir(d);
		if (devs != 1)
			continue;
		if (vfioext_pci_bind(found, VFIO_EXT_PCI_DRIVER_NAME))
			continue;
		*grp = vfioext_pci_iommu_group(found);
		if (*grp < 0)
			continue;
		memcpy(out, found, VFIOEXT_BDF_LEN);
		return 0;
	}
	return -ENODEV;
}

/* The quiet side's @q measurement: ns per 4 KiB pair. */
static double quiet_pairs(int q, struct vguest *g, void *buf)
{
	struct ctx x;
	double v;

	if (q == Q_VIRTIO)
		return 2e9 / run_kernel(g, false, 1, true);
	ctx_open(&x, VFIO_EXT_PVIOMMU_IOMMU);
	pairs_ioctl(&x, buf, 4096, 200);	/* warm */
	v = pairs_ioctl(&x, buf, 4096, NOISY_PAIRS);
	ctx_close(&x);
	return v;
}

/* Neighbour @v running (none for N_ALONE: *@pid 0); its shared page. */
static struct noisy_shm *noisy_start(int v, bool pin, pid_t *pid)
{
	struct noisy_shm *sh;
	int st;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap", errno);
	*pid = 0;
	if (v == N_ALONE)
		return sh;
	fflush(stdout);
	fflush(stderr);
	*pid = fork();
	if (*pid < 0)
		die("fork", errno);
	if (!*pid)
		noisy_child(v, sh, pin);
	while (!sh->ready) {
		if (waitpid(*pid, &st, WNOHANG) == *pid)
			die("the noisy neighbour ended before it was ready", EIO);
		usleep(1000);
	}
	usleep(20000);	/* into its loop */
	return sh;
}

/* Stop the neighbour @pid (if any), reap it, unmap @sh. */
static void noisy_stop(struct noisy_shm *sh, pid_t pid)
{
	int st;

	if (pid) {
		sh->stop = 1;
		if (waitpid(pid, &st, 0) != pid)
			die("waitpid", errno);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			die("the noisy neighbour failed", EIO);
	}
	munmap(sh, sizeof(*sh));
}

/*
 * Round @r beside neighbour @v: the quiet side's two measurements (in
 * an order alternating with the round) into @ns, the neighbour's rate
 * (its operations per second meanwhile) into *@ops.
 */
static void noisy_round(int v, int r, bool pin, struct vguest *g, void *buf,
			double ns[NR_Q], double *ops)
{
	struct noisy_shm *sh;
	unsigned long o0;
	pid_t pid;
	double t0;
	int q;

	sh = noisy_start(v, pin, &pid);
	o0 = sh->ops;
	t0 = now_ns();
	for (q = 0; q < NR_Q; q++) {
		int k = (q + r) % NR_Q;

		ns[k] = quiet_pairs(k, g, buf);
	}
	*ops = (sh->ops - o0) / ((now_ns() - t0) / 1e9);
	noisy_stop(sh, pid);
}

static void bench_noisy(void)
{
	static double ns[NR_Q][NR_N][MAX_ROUNDS];
	static double ops[NR_N][MAX_ROUNDS];
	bool pin = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	struct vguest g = { .kr = NULL };
	void *buf = buffer(4096);
	cpu_set_t all;
	int r, v, q, ret;
	unsigned int j;

	if (!inline_kick_save("noisy neighbour"))
		return;
	ret = noisy_find(noisy_bdf, &noisy_group);
	if (ret) {
		printf("\n== noisy neighbour: skipped (no second edu alone in its IOMMU group)\n");
		jprintf("\"noisy\":null,");
		return;
	}
	g.vg.ram = buffer(G_RAM);
	g.lat_max = 2 * G_PAIRS;
	g.lat = calloc(g.lat_max, sizeof(*g.lat));
	if (!g.lat)
		die("calloc", ENOMEM);
	g_pairs = NOISY_VIRTIO_PAIRS;
	if (sched_getaffinity(0, sizeof(all), &all))
		die("sched_getaffinity", errno);
	if (pin)
		pin_to(0);
	printf("\n== noisy neighbour: quiet VMM on %s (CPU 0), neighbour on %s%s;",
	       bdf, noisy_bdf, pin ? " (CPU 1)" : " (not pinned: one CPU)");
	printf(" ns per 4 KiB pair (%d rounds)\n", rounds);
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < NR_N; j++) {
			double o[NR_Q];

			v = rotated(r, j, NR_N);
			noisy_round(v, r, pin, &g, buf, o, &ops[v][r]);
			for (q = 0; q < NR_Q; q++)
				ns[q][v][r] = o[q];
		}
	}
	if (sched_setaffinity(0, sizeof(all), &all))
		die("sched_setaffinity", errno);
	g_pairs = G_PAIRS;
	ret = restore_inline_kick();
	if (ret)
		die(INLINE_KICK, ret);
	printf("%-9s %-9s %17s %10s %10s %14s\n", "quiet", "neighbour",
	       "ns per pair", "/alone", "/cpu", "neighbour op/s");
	jprintf("\"noisy\":{\"device\":");
	jstr(noisy_bdf);
	jprintf(",\"pinned\":%s,\"quiet\":[", pin ? "true" : "false");
	for (q = 0; q < NR_Q; q++) {
		jprintf("%s{\"quiet\":\"%s\",\"neighbours\":{", q ? "," : "",
			quiet_key[q]);
		for (v = 0; v < NR_N; v++) {
			struct stat3 s = stat3(ns[q][v], rounds);
			struct stat3 so = stat3(ops[v], rounds);
			struct ratio a = ratio_of(ns[q][v], ns[q][N_ALONE]);
			struct ratio c = ratio_of(ns[q][v], ns[q][N_CPU]);

			printf("%-9s %-9s", v ? "" : quiet_key[q], noisy_key[v]);
			print3(&s);
			if (v) {
				print_ratio(&a);
				if (v > N_CPU)
					print_ratio(&c);
				else
					printf(" %10s", "");
				printf(" %14.0f", so.med);
			}
			printf("\n");
			jprintf("%s\"%s\":{", v ? "," : "", noisy_key[v]);
			jstat("pair_ns", &s);
			if (v) {
				jprintf(",");
				jstat("neighbour_ops", &so);
				jprintf(",");
				jratio("over_alone", &a);
				jprintf(",");
				jratio("over_cpu", &c);
			}
			jprintf("}");
		}
		jprintf("}}");
		for (v = N_FLOOD; v < NR_N; v++) {
			struct ratio a = ratio_of(ns[q][v], ns[q][N_ALONE]);
			char name[48];

			snprintf(name, sizeof(name), "%s beside %s over alone",
				 quiet_key[q], noisy_key[v]);
			print_unfirm(name, &a);
		}
	}
	jprintf("]},");
	printf("(/alone, /cpu: per-round ratios of the quiet side's ns per pair over its\n");
	printf(" time alone, and beside a neighbour that only burns its vCPU)\n");
	free(g.lat);
}

/*
 * VFIOEXT_BENCH_ONLY=noisytrace, under tools/bench/trace TRACE_KIND=noisy:
 * TRACE_PAIRS quiet 4 KiB pviommu pairs alone and beside the type1, batch
 * and CPU-only neighbours, the tracer following this process only, so
 * that a function-graph trace shows where a quiet pair's extra time goes
 * beside a neighbour.
 */
static void bench_noisytrace(void)
{
	static const int vs[] = { N_ALONE, N_CPU, N_TYPE1, N_BATCH, N_FLOOD };
	const char *dir = getenv("VFIOEXT_BENCH_TRACE");
	bool pin = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	void *buf = buffer(4096);
	struct noisy_shm *sh;
	char what[48];
	unsigned int i;
	struct ctx x;
	pid_t pid;

	if (!dir)
		die("VFIOEXT_BENCH_TRACE (tools/bench/trace sets it)", EINVAL);
	if (noisy_find(noisy_bdf, &noisy_group))
		die("no second edu alone in its IOMMU group", ENODEV);
	if (pin)
		pin_to(0);
	snprintf(what, sizeof(what), "%d", getpid());
	trace_write(dir, "set_ftrace_pid", what);
	for (i = 0; i < ARRAY_SIZE(vs); i++) {
		sh = noisy_start(vs[i], pin, &pid);
		ctx_open(&x, VFIO_EXT_PVIOMMU_IOMMU);
		pairs_ioctl(&x, buf, 4096, 200);	/* warm */
		snprintf(what, sizeof(what), "pviommu-beside-%s",
			 noisy_key[vs[i]]);
		trace_on(dir, what);
		pairs_ioctl(&x, buf, 4096, TRACE_PAIRS);
		trace_off(dir, what);
		ctx_close(&x);
		noisy_stop(sh, pid);
	}
	printf("noisytrace: %d pairs traced beside each neighbour\n",
	       TRACE_PAIRS);
}

int main(int argc, char **argv)
{
	const char *only, *e;
	int ret;

	e = getenv("VFIOEXT_BENCH_ROUNDS");
	if (e) {
		rounds = atoi(e);
		if (rounds < MIN_ROUNDS || rounds > MAX_ROUNDS)
			die("VFIOEXT_BENCH_ROUNDS (5-15)", EINVAL);
	}
	e = getenv("VFIOEXT_BENCH_SPREAD");
	if (e) {
		spread_bound = atof(e);
		if (!(spread_bound > 0 && spread_bound < 10))
			die("VFIOEXT_BENCH_SPREAD", EINVAL);
	}
	e = getenv("VFIOEXT_BENCH_HOST_BUSY");
	host_busy = e && !strcmp(e, "1");
	ret = argc > 1 ? vfioext_bdf_canon(argv[1], bdf) :
			 vfioext_pci_find(0x1234, 0x11e8, 0, bdf);
	if (ret)
		die("device", ret);
	ret = vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME);
	if (ret)
		die("bind", ret);
	group_id = vfioext_pci_iommu_group(bdf);
	json = open_memstream(&jbuf, &jlen);
	printf("vfio-ext bench on %s (IOMMU group %d)\n", bdf, group_id);
	printf("ratios are the result; absolute times are TCG's\n");
	jprintf("{\"format\":2,\"device\":\"%s\",", bdf);
	bench_env();
	/*
	 * VFIOEXT_BENCH_ONLY=pairs|guest|domains|scale|dsm|state|noisy|trace|
	 * guest32|noisytrace|pair4k: one part.
	 */
	only = getenv("VFIOEXT_BENCH_ONLY");
	if (!only || !strcmp(only, "pairs"))
		bench_pairs();
	if (!only || !strcmp(only, "domains"))
		bench_domains();
	if (!only || !strcmp(only, "guest"))
		bench_viommu();
	if (!only || !strcmp(only, "scale"))
		bench_scale();
	if (!only || !strcmp(only, "dsm"))
		bench_dsm();
	if (!only || !strcmp(only, "state"))
		bench_state();
	if (!only || !strcmp(only, "noisy"))
		bench_noisy();
	if (only && !strcmp(only, "trace"))
		bench_trace();
	if (only && !strcmp(only, "pair4k"))
		bench_pair4k();
	if (only && !strcmp(only, "guest32"))
		bench_guest32();
	if (only && !strcmp(only, "noisytrace"))
		bench_noisytrace();
	jprintf("\"only\":");
	jstr(only ? only : "");
	jprintf("}");
	fclose(json);
	printf("\nBENCH-JSON-BEGIN\n%s\nBENCH-JSON-END\n", jbuf);
	free(jbuf);
	return 0;
}
