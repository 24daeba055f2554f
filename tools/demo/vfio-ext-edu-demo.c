// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-ext-edu-demo: bind a QEMU edu device to vfio-pci-ext and prove a DMA
 * round trip through the IOMMU with libvfio-ext, saying what happens.
 *
 * usage: vfio-ext-edu-demo [BDF [DRIVER]]
 *   BDF     edu device (default: the first 1234:11e8 device)
 *   DRIVER  VFIO driver to bind (default: vfio-pci-ext)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfioext.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_BUF	0x40000
#define XFER		2048
#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL

static int fail(const char *what, int err)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(-err));
	return 1;
}

static void wr64(volatile uint32_t *bar, unsigned int reg, uint64_t v)
{
	bar[reg / 4] = (uint32_t)v;
	bar[reg / 4 + 1] = (uint32_t)(v >> 32);
}

static int edu_dma(volatile uint32_t *bar, uint64_t src, uint64_t dst,
		   bool to_ram)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	wr64(bar, EDU_DMA_SRC, src);
	wr64(bar, EDU_DMA_DST, dst);
	wr64(bar, EDU_DMA_COUNT, XFER);
	bar[EDU_DMA_CMD / 4] = 1 | (to_ram ? 2 : 0);
	for (i = 0; i < 10000 && (bar[EDU_DMA_CMD / 4] & 1); i++)
		nanosleep(&ts, NULL);
	return (bar[EDU_DMA_CMD / 4] & 1) ? -ETIMEDOUT : 0;
}

int main(int argc, char **argv)
{
	const char *driver = argc > 2 ? argv[2] : VFIO_EXT_PCI_DRIVER_NAME;
	struct vfioext_container *c = NULL;
	struct vfioext_group *g = NULL;
	struct vfioext_device *d = NULL;
	struct vfioext_iommu_info *ii;
	uint64_t start, end;
	char bdf[VFIOEXT_BDF_LEN], was[64];
	volatile uint32_t *bar;
	uint8_t *src, *dst;
	void *map;
	int64_t unmapped;
	size_t len;
	int grp, ret, i;

	printf("vfio-ext demo (libvfio-ext %s)\n", vfioext_version());
	ret = argc > 1 ? vfioext_bdf_canon(argv[1], bdf) :
			 vfioext_pci_find(EDU_VENDOR, EDU_DEVICE, 0, bdf);
	if (ret)
		return fail("finding an edu device", ret);
	grp = vfioext_pci_iommu_group(bdf);
	if (grp < 0)
		return fail("IOMMU group (is the IOMMU enabled?)", grp);
	ret = vfioext_pci_driver(bdf, was, sizeof(was));
	if (ret)
		return fail("reading the current driver", ret);
	printf("device:      %s (QEMU edu %04x:%04x), IOMMU group %d, driver %s\n",
	       bdf, EDU_VENDOR, EDU_DEVICE, grp, was[0] ? was : "(none)");

	ret = vfioext_pci_bind(bdf, driver);
	if (ret)
		return fail("binding", ret);
	printf("bound:       %s is now driven by %s\n", bdf, driver);

	ret = vfioext_open_device(bdf, VFIO_TYPE1v2_IOMMU, &c, &g, &d);
	if (ret)
		return fail("opening container/group/device", ret);
	ret = vfioext_iommu_get_info(c, &ii);
	if (ret)
		return fail("IOMMU info", ret);
	printf("iommu:       type1v2 container on /dev/vfio/%d, page sizes %#llx",
	       grp, (unsigned long long)vfioext_iommu_info_pgsizes(ii));
	for (i = 0; !vfioext_iommu_info_range(ii, i, &start, &end); i++)
		printf("%s [%#llx-%#llx]", i ? "," : ", IOVA ranges",
		       (unsigned long long)start, (unsigned long long)end);
	printf("\n");
	vfioext_iommu_info_free(ii);

	ret = vfioext_region_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, &map, &len);
	if (ret)
		return fail("mapping BAR0", ret);
	bar = map;
	printf("bar0:        %zu KiB mapped, edu id register %#x\n", len >> 10,
	       bar[0]);

	src = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		return fail("allocating buffers", -ENOMEM);
	for (i = 0; i < 4096; i++)
		src[i] = (uint8_t)(i * 13 + 7);
	ret = vfioext_dma_map(c, src, IOVA_SRC, 4096, VFIO_DMA_MAP_FLAG_READ);
	if (!ret)
		ret = vfioext_dma_map(c, dst, IOVA_DST, 4096,
				      VFIO_DMA_MAP_FLAG_READ |
				      VFIO_DMA_MAP_FLAG_WRITE);
	if (ret)
		return fail("VFIO_IOMMU_MAP_DMA", ret);
	printf("mapped:      source buffer at IOVA %#llx, destination at IOVA %#llx\n",
	       IOVA_SRC, IOVA_DST);

	ret = vfioext_pci_set_bus_master(d, 1);
	if (ret)
		return fail("enabling bus mastering", ret);
	ret = edu_dma(bar, IOVA_SRC, EDU_DMA_BUF, false);
	if (!ret)
		ret = edu_dma(bar, EDU_DMA_BUF, IOVA_DST, true);
	if (ret)
		return fail("edu DMA", ret);
	if (memcmp(src, dst, XFER)) {
		fprintf(stderr, "demo: DMA round trip returned different bytes\n");
		return 1;
	}
	printf("dma:         edu copied %d bytes from IOVA %#llx into the device\n",
	       XFER, IOVA_SRC);
	printf("             and back to IOVA %#llx: all %d bytes verified\n",
	       IOVA_DST, XFER);

	memset(dst, 0xa5, 4096);
	unmapped = vfioext_dma_unmap(c, IOVA_DST, 4096);
	if (unmapped < 0)
		return fail("VFIO_IOMMU_UNMAP_DMA", (int)unmapped);
	if (unmapped != 4096) {
		fprintf(stderr, "demo: unmapped %lld bytes, expected 4096\n",
			(long long)unmapped);
		return 1;
	}
	ret = edu_dma(bar, EDU_DMA_BUF, IOVA_DST, true);
	if (ret)
		return fail("edu DMA", ret);
	for (i = 0; i < 4096 && dst[i] == 0xa5; i++)
		;
	if (i != 4096) {
		fprintf(stderr, "demo: DMA to an unmapped IOVA reached memory!\n");
		return 1;
	}
	printf("isolation:   after unmapping IOVA %#llx, a DMA to it was blocked\n",
	       IOVA_DST);
	printf("             by the IOMMU (memory unchanged)\n");

	munmap(map, len);
	vfioext_device_close(d);
	vfioext_group_close(g);
	vfioext_container_close(c);
	printf("result:      OK\n");
	return 0;
}
