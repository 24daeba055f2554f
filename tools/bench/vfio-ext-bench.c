// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-ext-bench: pviommu against type1 and the in-kernel floor, _DSM
 * through the ioctl against a direct in-kernel call.  Runs in the bench VM
 * (tools/bench/run, `make bench`); every comparison is measured in the
 * same run, each measurement repeated (median, min, max).  Prints a table
 * and, between BENCH-JSON-BEGIN/END lines, the same data as JSON.
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
#include <time.h>
#include <unistd.h>

#include "vfioext.h"
#include "vring_guest.h"

#define ROUNDS		3
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define FLOOR_PATH	"/sys/kernel/debug/vfio_ext_bench/floor"
#define DSM_PATH	"/sys/kernel/debug/vfio_ext_bench/dsm"
#define TEST_UUID	"c0ffee00-1234-4abc-8def-0123456789ab"
#define BASE_IOVA	0x10000000ULL

static char bdf[VFIOEXT_BDF_LEN];
static int group_id;
static FILE *json;
static char *jbuf;
static size_t jlen;

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

struct stat3 {
	double med, min, max;
};

static struct stat3 stat3(double *v, int n)
{
	struct stat3 s;

	qsort(v, n, sizeof(*v), cmp_d);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = v[n / 2];
	return s;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
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

static void ctx_open(struct ctx *x, unsigned long type)
{
	int ret = vfioext_open_device(bdf, type, &x->c, &x->g, &x->d);

	if (ret)
		die("open", ret);
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

/* ns per pair with VFIO_EXT_PVIOMMU_BATCH, 64 pairs per call. */
static double pairs_batch(struct ctx *x, void *buf, size_t size, int iters)
{
	struct vfio_ext_pviommu_op ops[128];
	double t0 = now_ns();
	int i, k, n, ret;

	for (i = 0; i < iters; i += 64) {
		n = iters - i < 64 ? iters - i : 64;
		for (k = 0; k < n; k++) {
			ops[2 * k] = (struct vfio_ext_pviommu_op){
				.op = VFIO_EXT_PVIOMMU_OP_MAP,
				.flags = VFIO_DMA_MAP_FLAG_READ |
					 VFIO_DMA_MAP_FLAG_WRITE,
				.vaddr = (uintptr_t)buf, .iova = BASE_IOVA,
				.size = size,
			};
			ops[2 * k + 1] = (struct vfio_ext_pviommu_op){
				.op = VFIO_EXT_PVIOMMU_OP_UNMAP,
				.iova = BASE_IOVA, .size = size,
			};
		}
		ret = vfioext_dma_batch(x->c, ops, sizeof(*ops), 2 * n, NULL);
		if (ret)
			die("batch", ret);
	}
	return (now_ns() - t0) / iters;
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

static void print3(const struct stat3 *s)
{
	printf(" %8.0f [%5.0f-%5.0f]", s->med, s->min, s->max);
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

	printf("\n== map+unmap pairs (ns per pair; median [min-max] of %d rounds)\n",
	       ROUNDS);
	printf("%-6s %22s %22s %22s %22s %22s %10s %10s %10s %10s\n", "size",
	       "type1", "pviommu", "pviommu batch", "floor (in-kernel)",
	       "floor+accounting", "type1/pv", "type1/bat", "pv/floor+",
	       "pv/fl+acc+");
	jprintf("\"pairs\":[");
	for (s = 0; s < ARRAY_SIZE(sz); s++) {
		double a[ROUNDS], b[ROUNDS], c[ROUNDS], f[ROUNDS], nl[ROUNDS];
		double fa[ROUNDS];
		struct stat3 sa, sb, sc, sf, sn, sfa;

		for (r = 0; r < ROUNDS; r++) {
			ctx_open(&t1, VFIO_TYPE1v2_IOMMU);
			a[r] = pairs_ioctl(&t1, buf, sz[s].size, sz[s].iters);
			nl[r] = null_ioctl(&t1, 10000);
			ctx_close(&t1);
			ctx_open(&pv, VFIO_EXT_PVIOMMU_IOMMU);
			b[r] = pairs_ioctl(&pv, buf, sz[s].size, sz[s].iters);
			c[r] = pairs_batch(&pv, buf, sz[s].size, sz[s].iters);
			ctx_close(&pv);
			f[r] = floor_pair(buf, sz[s].size, sz[s].iters, 0);
			fa[r] = floor_pair(buf, sz[s].size, sz[s].iters, 1);
		}
		sa = stat3(a, ROUNDS);
		sb = stat3(b, ROUNDS);
		sc = stat3(c, ROUNDS);
		sf = stat3(f, ROUNDS);
		sn = stat3(nl, ROUNDS);
		sfa = stat3(fa, ROUNDS);
		printf("%-6s", sz[s].name);
		print3(&sa);
		print3(&sb);
		print3(&sc);
		print3(&sf);
		print3(&sfa);
		printf(" %9.2fx %9.2fx %9.2fx %9.2fx\n", sa.med / sb.med,
		       sa.med / sc.med, sb.med / (sf.med + 2 * sn.med),
		       sb.med / (sfa.med + 2 * sn.med));
		jprintf("%s{\"size\":%zu,\"type1_ns\":%.0f,", s ? "," : "",
			sz[s].size, sa.med);
		jprintf("\"pviommu_ns\":%.0f,\"pviommu_batch_ns\":%.0f,",
			sb.med, sc.med);
		jprintf("\"floor_ns\":%.0f,\"null_ioctl_ns\":%.0f,", sf.med,
			sn.med);
		jprintf("\"floor_acct_ns\":%.0f,", sfa.med);
		jprintf("\"pviommu_over_floor_acct_plus_syscalls\":%.3f,",
			sb.med / (sfa.med + 2 * sn.med));
		jprintf("\"type1_over_pviommu\":%.3f,\"type1_over_batch\":%.3f,",
			sa.med / sb.med, sa.med / sc.med);
		jprintf("\"pviommu_over_floor_plus_syscalls\":%.3f}",
			sb.med / (sf.med + 2 * sn.med));
	}
	jprintf("],");
	printf("(floor+ = in-kernel pin+map+unmap+unpin plus the 2 syscalls a pair needs;\n");
	printf(" fl+acc+ = the same with the locked_vm accounting every backend does)\n");
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
	struct vfio_ext_pviommu_op ops[4096];
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

static void bench_scale(void)
{
	static const int live[] = { 1, 1000, 65536, 262144, 1048576 };
	static const unsigned long types[] = {
		VFIO_TYPE1v2_IOMMU, VFIO_EXT_PVIOMMU_IOMMU,
	};
	void *buf = buffer(4096);
	unsigned int l, t;

	printf("\n== scale: ns per 4 KiB pair with N live mappings; slab bytes per mapping\n");
	printf("%-8s %12s %12s %14s %14s\n", "live", "type1", "pviommu",
	       "type1 B/map", "pviommu B/map");
	jprintf("\"scale\":[");
	for (l = 0; l < ARRAY_SIZE(live); l++) {
		double ns[2], bpm[2];

		for (t = 0; t < 2; t++) {
			char path[96], old[32] = "";
			struct ctx x;
			long s0, s1;
			FILE *f;

			/* Lift the mapping limit for this container. */
			snprintf(path, sizeof(path),
				 "/sys/module/%s/parameters/dma_entry_limit",
				 t ? "vfio_pviommu" : "vfio_iommu_type1");
			f = fopen(path, "r");
			if (f && fgets(old, sizeof(old), f))
				old[strcspn(old, "\n")] = '\0';
			if (f)
				fclose(f);
			f = fopen(path, "w");
			if (f) {
				fprintf(f, "%d", live[l] + 16);
				fclose(f);
			}
			ctx_open(&x, types[t]);
			s0 = slab_kb();
			populate(&x, types[t], buf, live[l]);
			s1 = slab_kb();
			bpm[t] = live[l] >= 1000 ? (s1 - s0) * 1024.0 / live[l] : 0;
			ns[t] = pairs_ioctl(&x, buf, 4096, 2000);
			ctx_close(&x);
			f = fopen(path, "w");
			if (f) {
				fputs(old, f);
				fclose(f);
			}
		}
		printf("%-8d %12.0f %12.0f %14.0f %14.0f\n", live[l], ns[0],
		       ns[1], bpm[0], bpm[1]);
		jprintf("%s{\"live\":%d,\"type1_ns\":%.0f,\"pviommu_ns\":%.0f,",
			l ? "," : "", live[l], ns[0], ns[1]);
		jprintf("\"type1_slab_bytes_per_map\":%.0f,", bpm[0]);
		jprintf("\"pviommu_slab_bytes_per_map\":%.0f}", bpm[1]);
	}
	jprintf("],");
}

static void bench_dsm(void)
{
	double io[ROUNDS], kn[ROUNDS];
	struct vfioext_acpi_obj *res;
	struct stat3 si, sk;
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
	for (r = 0; r < ROUNDS; r++) {
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
	si = stat3(io, ROUNDS);
	sk = stat3(kn, ROUNDS);
	printf("\n== _DSM function returning an Integer (ns per call)\n");
	printf("ioctl (libvfio-ext typed)");
	print3(&si);
	printf("   in-kernel acpi_evaluate_dsm");
	print3(&sk);
	printf("   ratio %.2fx\n", si.med / sk.med);
	jprintf("\"dsm\":{\"ioctl_ns\":%.0f,\"in_kernel_ns\":%.0f,\"ratio\":%.3f},",
		si.med, sk.med, si.med / sk.med);
}

/* ------------------------------------------------------------------ */
/* Guest requests: in-kernel virtio-iommu vs a userspace backend       */
/* ------------------------------------------------------------------ */

#define G_RAM		0x200000	/* guest RAM: GPA 0 .. 2 MiB */
#define G_QNUM		64
#define G_DATA		0x100000
#define G_PAIRS		2000
#define G_IOVA		0x400000
/* Wakeup-bound runs spread widely under TCG: more of them. */
#define G_ROUNDS	5

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
	unsigned int nlat;
};

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
	double t0 = now_ns(), dt;
	int ret = 0;

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
	dt = (now_ns() - t0) / n;
	for (i = 0; i < n; i++) {
		if (vg_slot_status(&g->vg, i))
			die("guest request status", EIO);
		g->lat[g->nlat++] = dt;
	}
}

static void vguest_req(struct vguest *g, const void *req, size_t len)
{
	vguest_post(g, req, len, 0);
	vguest_kick_wait(g);
}

/* G_PAIRS map+unmap pairs of 4 KiB, @depth requests per kick. */
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

	for (i = 0; i < G_PAIRS; i += step) {
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
	return 2.0 * G_PAIRS / (dt / 1e9);
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
	t0 = now_ns();
	vguest_pairs(g, 1, depth);
	dt = now_ns() - t0;
	pin_cpu0(0, &all);
	close(fd);
	close(g->vg.kick);
	close(g->vg.call);
	ctx_close(&x);
	return 2.0 * G_PAIRS / (dt / 1e9);
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

static void bench_viommu(void)
{
	static const struct {
		const char *name;
		bool same_cpu;
		unsigned int depth;
	} cfg[] = {
		{ "one at a time", false, 1 },
		{ "one at a time, same CPU", true, 1 },
		{ "32 per kick, same CPU", true, 32 },
	};
	static double lat[NR_B][G_ROUNDS * 2 * G_PAIRS];
	double rps[NR_B][G_ROUNDS], p50, p99;
	unsigned int c, n[NR_B];
	struct stat3 st[NR_B];
	struct vguest g;
	char kick0[sizeof(inline_kick0)];
	int r, b, ret;
	FILE *f;

	f = fopen(INLINE_KICK, "r");
	if (!f || !fgets(kick0, sizeof(kick0), f)) {
		printf("\n== guest virtio-iommu: skipped (%s: %s)\n", INLINE_KICK,
		       strerror(errno));
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	kick0[strcspn(kick0, "\n")] = '\0';
	memcpy(inline_kick0, kick0, sizeof(inline_kick0));
	atexit(restore_inline_kick_at_exit);
	g.vg.ram = buffer(G_RAM);
	printf("\n== guest virtio-iommu MAP/UNMAP of 4 KiB: in-kernel device vs");
	printf(" userspace backend (%d pairs x %d rounds)\n", G_PAIRS, G_ROUNDS);
	printf("%-24s %-26s %22s %10s %10s %12s\n", "pattern", "served by",
	       "req/s", "p50 ns", "p99 ns", "vs VMM thr.");
	jprintf("\"guest_rounds\":%d,\"guest_requests\":[", G_ROUNDS);
	for (c = 0; c < ARRAY_SIZE(cfg); c++) {
		memset(n, 0, sizeof(n));
		for (r = 0; r < G_ROUNDS; r++) {
			for (b = 0; b < NR_B; b++) {
				g.lat = lat[b] + n[b];
				rps[b][r] = run_backend(&g, b, cfg[c].same_cpu,
							cfg[c].depth);
				n[b] += g.nlat;
			}
		}
		jprintf("%s{\"pattern\":\"%s\"", c ? "," : "", cfg[c].name);
		for (b = 0; b < NR_B; b++)
			st[b] = stat3(rps[b], G_ROUNDS);
		for (b = 0; b < NR_B; b++) {
			p50 = pct(lat[b], n[b], 0.5);
			p99 = pct(lat[b], n[b], 0.99);
			printf("%-24s %-26s", b ? "" : cfg[c].name,
			       backend_name[b]);
			print3(&st[b]);
			printf(" %10.0f %10.0f %11.2fx\n", p50, p99,
			       st[b].med / st[B_USER].med);
			jprintf(",\"%s_rps\":%.0f,\"%s_rps_min\":%.0f,",
				backend_key[b], st[b].med, backend_key[b],
				st[b].min);
			jprintf("\"%s_rps_max\":%.0f,\"%s_p50_ns\":%.0f,",
				backend_key[b], st[b].max, backend_key[b], p50);
			jprintf("\"%s_p99_ns\":%.0f", backend_key[b], p99);
		}
		jprintf(",\"ratio\":%.3f,\"ratio_worker\":%.3f,",
			st[B_KERNEL].med / st[B_USER].med,
			st[B_KERNEL_WORKER].med / st[B_USER].med);
		jprintf("\"ratio_vs_user_vcpu\":%.3f}",
			st[B_KERNEL].med / st[B_USER_VCPU].med);
	}
	jprintf("],");
	ret = restore_inline_kick();
	if (ret)
		die(INLINE_KICK, ret);
	printf("(queued: latency is the batch's time per request)\n");
}

int main(int argc, char **argv)
{
	const char *only;
	int ret;

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
	jprintf("{\"device\":\"%s\",", bdf);
	/* VFIOEXT_BENCH_ONLY=pairs|guest|scale|dsm: one part (profiling). */
	only = getenv("VFIOEXT_BENCH_ONLY");
	if (!only || !strcmp(only, "pairs"))
		bench_pairs();
	if (!only || !strcmp(only, "guest"))
		bench_viommu();
	if (!only || !strcmp(only, "scale"))
		bench_scale();
	if (!only || !strcmp(only, "dsm"))
		bench_dsm();
	jprintf("\"rounds\":%d}", ROUNDS);
	fclose(json);
	printf("\nBENCH-JSON-BEGIN\n%s\nBENCH-JSON-END\n", jbuf);
	free(jbuf);
	return 0;
}
