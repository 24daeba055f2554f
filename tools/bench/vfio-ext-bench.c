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
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfioext.h"

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
		ret = vfioext_dma_batch(x->c, ops, 2 * n, NULL);
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

static double floor_pair(void *buf, size_t size, int iters)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "%d %lx %zu %d", group_id,
		 (unsigned long)buf, size, iters);
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
	printf("%-6s %22s %22s %22s %22s %10s %10s %10s\n", "size", "type1",
	       "pviommu", "pviommu batch", "floor (in-kernel)", "type1/pv",
	       "type1/bat", "pv/floor+");
	jprintf("\"pairs\":[");
	for (s = 0; s < ARRAY_SIZE(sz); s++) {
		double a[ROUNDS], b[ROUNDS], c[ROUNDS], f[ROUNDS], nl[ROUNDS];
		struct stat3 sa, sb, sc, sf, sn;

		for (r = 0; r < ROUNDS; r++) {
			ctx_open(&t1, VFIO_TYPE1v2_IOMMU);
			a[r] = pairs_ioctl(&t1, buf, sz[s].size, sz[s].iters);
			nl[r] = null_ioctl(&t1, 10000);
			ctx_close(&t1);
			ctx_open(&pv, VFIO_EXT_PVIOMMU_IOMMU);
			b[r] = pairs_ioctl(&pv, buf, sz[s].size, sz[s].iters);
			c[r] = pairs_batch(&pv, buf, sz[s].size, sz[s].iters);
			ctx_close(&pv);
			f[r] = floor_pair(buf, sz[s].size, sz[s].iters);
		}
		sa = stat3(a, ROUNDS);
		sb = stat3(b, ROUNDS);
		sc = stat3(c, ROUNDS);
		sf = stat3(f, ROUNDS);
		sn = stat3(nl, ROUNDS);
		printf("%-6s", sz[s].name);
		print3(&sa);
		print3(&sb);
		print3(&sc);
		print3(&sf);
		printf(" %9.2fx %9.2fx %9.2fx\n", sa.med / sb.med,
		       sa.med / sc.med, sb.med / (sf.med + 2 * sn.med));
		jprintf("%s{\"size\":%zu,\"type1_ns\":%.0f,", s ? "," : "",
			sz[s].size, sa.med);
		jprintf("\"pviommu_ns\":%.0f,\"pviommu_batch_ns\":%.0f,",
			sb.med, sc.med);
		jprintf("\"floor_ns\":%.0f,\"null_ioctl_ns\":%.0f,", sf.med,
			sn.med);
		jprintf("\"type1_over_pviommu\":%.3f,\"type1_over_batch\":%.3f,",
			sa.med / sb.med, sa.med / sc.med);
		jprintf("\"pviommu_over_floor_plus_syscalls\":%.3f}",
			sb.med / (sf.med + 2 * sn.med));
	}
	jprintf("],");
	printf("(floor+ = in-kernel pin+map+unmap+unpin plus the 2 syscalls a pair needs)\n");
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
		ret = vfioext_dma_batch(x->c, ops, n, NULL);
		if (ret)
			die("mapping the live set (batch)", ret);
	}
}

static void bench_scale(void)
{
	static const int live[] = { 1, 1000, 65536, 262144 };
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

int main(int argc, char **argv)
{
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
	bench_pairs();
	bench_scale();
	bench_dsm();
	jprintf("\"rounds\":%d}", ROUNDS);
	fclose(json);
	printf("\nBENCH-JSON-BEGIN\n%s\nBENCH-JSON-END\n", jbuf);
	free(jbuf);
	return 0;
}
