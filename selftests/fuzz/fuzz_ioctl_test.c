// SPDX-License-Identifier: GPL-2.0-only
/*
 * Seeded, bounded fuzzing of the vfio-ext ioctl surfaces (selftests/common/
 * fuzz.h: seed, budget, replay): the device fd of vfio-pci-ext (_DSM under
 * both numbers, the notification channel, SET_IRQS on the ACPI notify
 * index, the info ioctls, unknown numbers of our type) and the container
 * fd of the pviommu backend (MAP/UNMAP, GET_INFO, BATCH, guest domains,
 * endpoint attach, stream IDs, CHECK_EXTENSION, unknown numbers), the
 * virtio-iommu fd (the vhost ioctls), and its device-state loader
 * (VFIO_EXT_VIRTIO_DEVICE_STATE: valid blobs, mutated).
 *
 * Every failure must be a documented errno; afterwards the device must
 * still work (a _DSM returns the firmware's value; a mapping made after
 * the storm carries an edu DMA round trip) and every pinned page must be
 * released once the container is emptied (VmLck back to its baseline).
 * Arguments stay ours to fuzz: IRQ indexes below the ACPI notify index
 * (vfio-pci-core's INTx/MSI/MSI-X/ERR/REQ) are not sent, and the _DSM
 * policy leaves out the test firmware's slow (7) and Notify (12) functions,
 * so the kernel refuses those (EACCES) whatever the mutation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_iommu.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "acpi_common.h"
#include "fuzz.h"

#define BUF_SIZE	(1024 * 1024)
#define DEVICE_ITERS	10000
#define CONTAINER_ITERS	20000
#define VIRTIO_ITERS	20000
#define STATE_ITERS	5000

struct fctx {
	int fd;			/* the surface: device or container */
	struct vfio_handles h;
	uint8_t *buf;		/* what maps may pin */
	int efd;
};

static const int e_dsm[] = { EINVAL, E2BIG, EACCES, EIO, ENOSPC,
			     EOPNOTSUPP, EFAULT, 0 };
/*
 * crosvm's number: as e_dsm before 6.6; from 6.6 always ENOTTY (the VFIO
 * core answers it as VFIO_DEVICE_BIND_IOMMUFD), set by the test.
 */
static int e_dsm_crosvm[] = { EINVAL, E2BIG, EACCES, EIO, ENOSPC,
			      EOPNOTSUPP, EFAULT, 0 };
static const int e_irq[] = { EINVAL, EFAULT, EBADF, ENOTTY, EBUSY, EIO,
			     ENODEV, 0 };
static const int e_info[] = { EINVAL, EFAULT, 0 };
static const int e_unknown[] = { ENOTTY, EINVAL, 0 };
static const int e_chan[] = { EINVAL, E2BIG, EBUSY, EMFILE, EFAULT, 0 };
/* Each with a spare slot: a wrapping range is EOVERFLOW from 6.19 (type1's). */
static int e_map[] = { EINVAL, EFAULT, EEXIST, ENOSPC, ENOMEM, EPERM, 0, 0 };
static int e_batch[] = { EINVAL, EFAULT, EEXIST, ENOSPC, ENOMEM, EPERM,
			 E2BIG, ENOENT, 0, 0 };
static int e_unmap[] = { EINVAL, ENOENT, EFAULT, 0, 0 };
static const int e_dom[] = { EINVAL, ENOENT, EBUSY, ENOSPC, EFAULT, EEXIST,
			     ENODEV, E2BIG, 0 };

/* Add @e to a 0-terminated errno list that has a spare slot. */
static void errnos_add(int *list, int e)
{
	while (*list)
		list++;
	list[0] = e;
	list[1] = 0;
}

/* --- device surface ------------------------------------------------------ */

/* crosvm's header and args in @room bytes at @d. */
static void fill_dsm_in(struct fuzz *f, struct vfio_acpi_dsm *d, size_t room)
{
	uint8_t *a = d->args;
	size_t len = room - sizeof(*d), off = 32;
	uint32_t i, n;

	/* The kernel writes back into argsz bytes: never past our buffer. */
	d->argsz = fuzz_mostly(f, 8 + 4096);
	if (d->argsz > room && d->argsz <= 8 + VFIO_EXT_ACPI_DSM_ARGS_MAX)
		d->argsz = room;
	if (fuzz_one_in(f, 8))
		fuzz_bytes(f, a, 16);
	else
		memcpy(a, test_uuid, 16);
	*(uint64_t *)(a + 16) = fuzz_mostly(f, 0);
	*(uint64_t *)(a + 24) = fuzz_one_in(f, 8) ? fuzz_interesting(f) :
				fuzz_below(f, 16);
	/* Arg3: nothing, a Buffer, a Package of random elements, or noise. */
	switch (fuzz_below(f, 4)) {
	case 0:
		break;
	case 1:
		n = fuzz_one_in(f, 8) ? fuzz_interesting(f) : fuzz_below(f, 64);
		*(uint32_t *)(a + off) = VFIO_EXT_ACPI_DSM_TYPE_BUFFER;
		*(uint32_t *)(a + off + 4) = n;
		fuzz_bytes(f, a + off + 8, n < 64 ? n : 64);
		break;
	case 2:
		n = fuzz_one_in(f, 8) ? fuzz_interesting(f) : fuzz_below(f, 6);
		*(uint32_t *)(a + off) = VFIO_EXT_ACPI_DSM_TYPE_PACKAGE;
		*(uint32_t *)(a + off + 4) = n;
		off += 8;
		for (i = 0; i < n && i < 8 && off + 24 < len; i++) {
			uint32_t t = 1 + fuzz_below(f, 4), sz;

			sz = t == VFIO_EXT_ACPI_DSM_TYPE_INTEGER ? 8 :
			     fuzz_below(f, 17);
			*(uint32_t *)(a + off) = fuzz_mostly(f, t);
			*(uint32_t *)(a + off + 4) = fuzz_mostly(f, sz);
			off += 8;
			fuzz_bytes(f, a + off, 16);
			off += (sz + 7) / 8 * 8;
		}
		break;
	default:
		fuzz_bytes(f, a + off, 64);
		break;
	}
	fuzz_mutate(f, a, 128, 3);
}

static void fill_dsm(struct fuzz *f, void *arg, void *ctx)
{
	fill_dsm_in(f, arg, FUZZ_ARG_MAX);
}

/*
 * struct vfio_ext_acpi_dsm at @arg, the args (as crosvm's, which gives
 * their size) 64 bytes on; sometimes a larger structure, its tail mostly
 * zero.
 */
static void fill_dsm_ext(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_acpi_dsm *d = (void *)((uint8_t *)arg + 64);
	struct vfio_ext_acpi_dsm *e = arg;

	fill_dsm_in(f, d, FUZZ_ARG_MAX - 64);
	e->argsz = fuzz_one_in(f, 8) ? fuzz_interesting(f) :
		   fuzz_mostly(f, sizeof(*e));
	if (e->argsz > sizeof(*e) && e->argsz <= 64 && fuzz_one_in(f, 4))
		fuzz_bytes(f, e + 1, e->argsz - sizeof(*e));
	e->flags = fuzz_mostly(f, 0);
	e->args_size = d->argsz >= 8 ? d->argsz - 8 : 0;
	e->args = fuzz_one_in(f, 16) ? fuzz_interesting(f) :
		  (uintptr_t)d->args;
}

static void fill_notify_fd(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_ext_acpi_notify_fd *n = arg;

	n->argsz = fuzz_one_in(f, 8) ? fuzz_interesting(f) :
		   fuzz_mostly(f, sizeof(*n));
	if (n->argsz > sizeof(*n) && n->argsz <= 64 && fuzz_one_in(f, 4))
		fuzz_bytes(f, n + 1, n->argsz - sizeof(*n));
	n->flags = fuzz_mostly(f, fuzz_below(f, 2) ?
			       VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK : 0);
}

static void close_ret(const struct fuzz_call *c, long ret, void *ctx)
{
	close(ret);
}

static void fill_set_irqs(struct fuzz *f, void *arg, void *ctx)
{
	static const uint32_t flags[] = {
		VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD,
		VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE,
		VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_DATA_NONE,
		VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_DATA_EVENTFD,
	};
	struct vfio_irq_set *s = arg;
	struct fctx *c = ctx;
	int32_t fd;

	s->flags = fuzz_one_in(f, 8) ? (uint32_t)fuzz_interesting(f) :
		   flags[fuzz_below(f, ARRAY_SIZE(flags))];
	s->index = fuzz_mostly(f, VFIO_PCI_ACPI_NTFY_IRQ_INDEX);
	if (s->index < VFIO_PCI_ACPI_NTFY_IRQ_INDEX)
		s->index = VFIO_PCI_ACPI_NTFY_IRQ_INDEX;
	s->start = fuzz_mostly(f, 0);
	s->count = fuzz_mostly(f, fuzz_below(f, 2));
	fd = fuzz_one_in(f, 4) ? (int32_t)fuzz_interesting(f) : c->efd;
	if (s->flags & VFIO_IRQ_SET_DATA_BOOL)
		*(uint32_t *)s->data = fuzz_interesting(f);
	else
		memcpy(s->data, &fd, sizeof(fd));
	s->argsz = fuzz_mostly(f, sizeof(*s) + 4 * (s->count == 1));
	if (s->argsz > FUZZ_ARG_MAX)
		s->argsz = FUZZ_ARG_MAX;
}

static void fill_info(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_irq_info *i = arg;	/* argsz/flags/index lead them all */

	i->argsz = fuzz_mostly(f, sizeof(struct vfio_region_info));
	if (i->argsz > FUZZ_ARG_MAX)
		i->argsz = FUZZ_ARG_MAX;
	i->flags = fuzz_mostly(f, 0);
	i->index = fuzz_one_in(f, 4) ? fuzz_interesting(f) : fuzz_below(f, 12);
}

/* Unknown numbers of our ioctl type (0xE7), any direction and size. */
static long unknown_ioctl(const struct fuzz_call *call, void *arg, void *ctx)
{
	struct fctx *c = ctx;
	unsigned long nr = _IOC(((uintptr_t)*(uint64_t *)arg) & 3,
				VFIO_EXT_IOCTL_TYPE,
				0x20 + (*(uint64_t *)arg >> 8) % 0xe0,
				(*(uint64_t *)arg >> 16) % 256);

	return ioctl(c->fd, nr, (uint64_t *)arg + 1) ? -errno : 0;
}

static void fill_unknown(struct fuzz *f, void *arg, void *ctx)
{
	fuzz_bytes(f, arg, 64);
}

static const struct fuzz_call device_calls[] = {
	{ "VFIO_EXT_DEVICE_ACPI_DSM", VFIO_EXT_DEVICE_ACPI_DSM, fill_dsm_ext,
	  .errnos = e_dsm },
	{ "VFIO_DEVICE_ACPI_DSM", VFIO_DEVICE_ACPI_DSM, fill_dsm,
	  .errnos = e_dsm_crosvm },
	{ "VFIO_EXT_DEVICE_ACPI_NOTIFY_FD", VFIO_EXT_DEVICE_ACPI_NOTIFY_FD,
	  fill_notify_fd, .done = close_ret, .errnos = e_chan },
	{ "VFIO_DEVICE_SET_IRQS", VFIO_DEVICE_SET_IRQS, fill_set_irqs,
	  .errnos = e_irq },
	{ "VFIO_DEVICE_GET_INFO", VFIO_DEVICE_GET_INFO, fill_info,
	  .errnos = e_info },
	{ "VFIO_DEVICE_GET_IRQ_INFO", VFIO_DEVICE_GET_IRQ_INFO, fill_info,
	  .errnos = e_info },
	{ "VFIO_DEVICE_GET_REGION_INFO", VFIO_DEVICE_GET_REGION_INFO,
	  fill_info, .errnos = e_info },
	{ "unknown 0xE7 ioctl", 0, fill_unknown, unknown_ioctl,
	  .errnos = e_unknown },
};

/* --- container surface --------------------------------------------------- */

static uint64_t some_vaddr(struct fuzz *f, struct fctx *c)
{
	switch (fuzz_below(f, 8)) {
	case 0:
		return fuzz_interesting(f);
	case 1:
		return (uintptr_t)c->buf + fuzz_below(f, BUF_SIZE);
	default:
		return (uintptr_t)c->buf + 4096 * fuzz_below(f, BUF_SIZE / 4096);
	}
}

static uint64_t some_iova(struct fuzz *f)
{
	if (fuzz_one_in(f, 6))
		return fuzz_interesting(f);
	return 0x100000 + 4096 * fuzz_below(f, 512);
}

static uint64_t some_size(struct fuzz *f)
{
	if (fuzz_one_in(f, 6))
		return fuzz_interesting(f);
	return 4096 * (1 + fuzz_below(f, 32));
}

static void fill_map(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_iommu_type1_dma_map *m = arg;

	m->argsz = fuzz_mostly(f, sizeof(*m));
	m->flags = fuzz_mostly(f, VFIO_DMA_MAP_FLAG_READ |
			       VFIO_DMA_MAP_FLAG_WRITE);
	m->vaddr = some_vaddr(f, ctx);
	m->iova = some_iova(f);
	m->size = some_size(f);
}

static void fill_unmap(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_iommu_type1_dma_unmap *u = arg;

	u->argsz = fuzz_mostly(f, sizeof(*u));
	u->flags = fuzz_one_in(f, 16) ? VFIO_DMA_UNMAP_FLAG_ALL :
		   fuzz_mostly(f, 0);
	if (u->flags != VFIO_DMA_UNMAP_FLAG_ALL || fuzz_one_in(f, 4)) {
		u->iova = some_iova(f);
		u->size = some_size(f);
	}
}

static void fill_iommu_info(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_iommu_type1_info *i = arg;

	i->argsz = fuzz_mostly(f, sizeof(*i) + 256);
	if (i->argsz > FUZZ_ARG_MAX)
		i->argsz = FUZZ_ARG_MAX;
	i->flags = fuzz_mostly(f, 0);
}

static void fill_batch(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_ext_pviommu_batch *b = arg;
	struct vfio_ext_pviommu_op *ops = (void *)(b + 1);
	unsigned int i, room = (FUZZ_ARG_MAX - sizeof(*b)) / sizeof(*ops);

	b->argsz = fuzz_mostly(f, sizeof(*b));
	b->flags = fuzz_mostly(f, 0);
	b->nr = fuzz_one_in(f, 8) ? fuzz_interesting(f) : 1 + fuzz_below(f, 8);
	b->op_size = fuzz_one_in(f, 8) ? fuzz_interesting(f) :
		     fuzz_mostly(f, sizeof(*ops));
	b->done = fuzz_interesting(f);
	b->reserved = fuzz_mostly(f, 0);
	b->ops = fuzz_one_in(f, 16) ? fuzz_interesting(f) : (uintptr_t)ops;
	/* A count past our array must not make the kernel read garbage
	 * that is still ours: it reads on into unmapped memory or is
	 * refused for its size.
	 */
	if (b->ops == (uintptr_t)ops && b->op_size &&
	    b->op_size <= 4096 && b->nr <= 4096 &&
	    (uint64_t)b->nr * b->op_size > room * sizeof(*ops))
		b->nr = room * sizeof(*ops) / b->op_size;
	for (i = 0; i < room && i < 8; i++) {
		ops[i].op = fuzz_mostly(f, 1 + fuzz_below(f, 2));
		ops[i].flags = ops[i].op == VFIO_EXT_PVIOMMU_OP_MAP ?
			fuzz_mostly(f, VFIO_DMA_MAP_FLAG_READ |
				    VFIO_DMA_MAP_FLAG_WRITE) :
			fuzz_mostly(f, 0);
		ops[i].vaddr = some_vaddr(f, ctx);
		ops[i].iova = some_iova(f);
		ops[i].size = some_size(f);
		ops[i].domain = fuzz_one_in(f, 8) ? fuzz_interesting(f) :
				fuzz_below(f, 4);
		ops[i].reserved = fuzz_one_in(f, 16);
	}
}

static void fill_domain_alloc(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_ext_pviommu_domain *d = arg;

	d->argsz = fuzz_mostly(f, sizeof(*d));
	d->flags = fuzz_mostly(f, 0);
	d->id = fuzz_interesting(f);
	d->reserved = fuzz_mostly(f, 0);
}

static void fill_domain_free(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_ext_pviommu_domain_free *d = arg;

	d->argsz = fuzz_mostly(f, sizeof(*d));
	d->flags = fuzz_mostly(f, 0);
	d->id = fuzz_one_in(f, 4) ? fuzz_interesting(f) : fuzz_below(f, 6);
}

static void fill_small(struct fuzz *f, void *arg, void *ctx)
{
	*(uint64_t *)arg = fuzz_one_in(f, 4) ? fuzz_interesting(f) :
			   fuzz_below(f, 6);
}

static void fill_attach(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_ext_pviommu_attach *a = arg;
	struct fctx *c = ctx;

	a->argsz = fuzz_mostly(f, sizeof(*a));
	a->flags = fuzz_mostly(f, 0);
	a->group = fuzz_mostly(f, c->h.group_id);
	a->sid_index = fuzz_mostly(f, 0);
	a->vsid = fuzz_one_in(f, 4) ? fuzz_interesting(f) : fuzz_below(f, 4);
	a->domain = fuzz_one_in(f, 8) ? fuzz_interesting(f) : fuzz_below(f, 4);
}

static void fill_sids(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_ext_pviommu_sids *s = arg;
	struct fctx *c = ctx;

	s->argsz = fuzz_mostly(f, sizeof(*s));
	s->flags = fuzz_mostly(f, 0);
	s->group = fuzz_mostly(f, c->h.group_id);
}

static void fill_limits(struct fuzz *f, void *arg, void *ctx)
{
	struct vfio_ext_pviommu_limits *l = arg;

	/* A larger structure too, its tail mostly zero (E2BIG otherwise). */
	l->argsz = fuzz_one_in(f, 4) ? fuzz_interesting(f) :
		   fuzz_mostly(f, sizeof(*l));
	if (l->argsz > sizeof(*l) && l->argsz <= FUZZ_ARG_MAX &&
	    fuzz_one_in(f, 4))
		fuzz_bytes(f, l + 1, l->argsz - sizeof(*l));
	l->flags = fuzz_mostly(f, fuzz_below(f, 2));
	l->guest_maps = fuzz_one_in(f, 4) ? fuzz_interesting(f) :
			0x10000 - fuzz_below(f, 4);
}

static const int e_limits[] = { EINVAL, E2BIG, EFAULT, 0 };

static const struct fuzz_call container_calls[] = {
	{ "VFIO_IOMMU_MAP_DMA", VFIO_IOMMU_MAP_DMA, fill_map,
	  .errnos = e_map },
	{ "VFIO_IOMMU_UNMAP_DMA", VFIO_IOMMU_UNMAP_DMA, fill_unmap,
	  .errnos = e_unmap },
	{ "VFIO_IOMMU_GET_INFO", VFIO_IOMMU_GET_INFO, fill_iommu_info,
	  .errnos = e_info },
	{ "VFIO_EXT_PVIOMMU_BATCH", VFIO_EXT_PVIOMMU_BATCH, fill_batch,
	  .errnos = e_batch },
	{ "VFIO_EXT_PVIOMMU_DOMAIN_ALLOC", VFIO_EXT_PVIOMMU_DOMAIN_ALLOC,
	  fill_domain_alloc, .errnos = e_dom },
	{ "VFIO_EXT_PVIOMMU_DOMAIN_FREE", VFIO_EXT_PVIOMMU_DOMAIN_FREE,
	  fill_domain_free, .errnos = e_dom },
	{ "VFIO_EXT_PVIOMMU_ATTACH", VFIO_EXT_PVIOMMU_ATTACH, fill_attach,
	  .errnos = e_dom },
	{ "VFIO_EXT_PVIOMMU_SIDS", VFIO_EXT_PVIOMMU_SIDS, fill_sids,
	  .errnos = e_dom },
	{ "VFIO_EXT_PVIOMMU_LIMITS", VFIO_EXT_PVIOMMU_LIMITS, fill_limits,
	  .errnos = e_limits },
	{ "VFIO_CHECK_EXTENSION", VFIO_CHECK_EXTENSION, fill_small,
	  .errnos = e_info, .by_value = true },
	{ "unknown 0xE7 ioctl", 0, fill_unknown, unknown_ioctl,
	  .errnos = e_unknown },
};

/* ------------------------------------------------------------------------- */
/* The virtio-iommu fd (vhost / vhost-vdpa ioctls)                            */

static const int e_virtio[] = { EINVAL, EFAULT, EBUSY, ENOBUFS, EOPNOTSUPP,
				E2BIG, EBADF, ENOMEM, 0 };
/* As vhost: the argument's first u32 is a queue index before ENOTTY. */
static const int e_virtio_unknown[] = { ENOTTY, ENOBUFS, EFAULT, 0 };

/* Not in 6.1's <linux/vhost.h>; 7.3's number. */
#define VHOST_VDPA_GET_VRING_SIZE_NR	_IOWR(VHOST_VIRTIO, 0x82,	\
					      struct vhost_vring_state)

/* A user address: mostly inside the buffer, sometimes anywhere. */
static uint64_t fuzz_uva(struct fuzz *f, struct fctx *c)
{
	if (fuzz_one_in(f, 8))
		return fuzz_interesting(f);
	return (uintptr_t)c->buf + (fuzz_below(f, BUF_SIZE) & ~15ULL);
}

static void fill_vring_state(struct fuzz *f, void *arg, void *ctx)
{
	struct vhost_vring_state *s = arg;

	s->index = fuzz_mostly(f, fuzz_below(f, 2));
	s->num = fuzz_one_in(f, 4) ? fuzz_interesting(f) :
		 1u << fuzz_below(f, 10);
}

static void fill_vring_addr(struct fuzz *f, void *arg, void *ctx)
{
	struct vhost_vring_addr *a = arg;

	a->index = fuzz_mostly(f, fuzz_below(f, 2));
	a->flags = fuzz_mostly(f, 0);
	a->desc_user_addr = fuzz_uva(f, ctx);
	a->avail_user_addr = fuzz_uva(f, ctx);
	a->used_user_addr = fuzz_uva(f, ctx);
}

static void fill_vring_file(struct fuzz *f, void *arg, void *ctx)
{
	struct vhost_vring_file *v = arg;
	struct fctx *c = ctx;

	v->index = fuzz_mostly(f, fuzz_below(f, 2));
	v->fd = fuzz_one_in(f, 4) ? (int)fuzz_interesting(f) :
		fuzz_one_in(f, 3) ? -1 : c->efd;
}

static void fill_status(struct fuzz *f, void *arg, void *ctx)
{
	static const uint8_t steps[] = {
		0, VIRTIO_CONFIG_S_ACKNOWLEDGE, 3, 11, 15, 0x80, 0x40,
	};

	*(uint8_t *)arg = fuzz_one_in(f, 4) ? fuzz_u64(f) :
			  steps[fuzz_below(f, ARRAY_SIZE(steps))];
}

static void fill_features(struct fuzz *f, void *arg, void *ctx)
{
	*(uint64_t *)arg = fuzz_mostly(f, (1ULL << VIRTIO_F_VERSION_1) | 0x5f);
}

static void fill_config(struct fuzz *f, void *arg, void *ctx)
{
	struct vhost_vdpa_config *cf = arg;

	cf->off = fuzz_mostly(f, fuzz_below(f, 48));
	cf->len = fuzz_mostly(f, 1 + fuzz_below(f, 48));
	fuzz_bytes(f, cf->buf, 64);
}

static void fill_mem_table(struct fuzz *f, void *arg, void *ctx)
{
	struct vhost_memory *m = arg;
	unsigned int i, n = fuzz_below(f, 5);

	m->nregions = fuzz_mostly(f, n);
	for (i = 0; i < n; i++) {
		m->regions[i].guest_phys_addr = fuzz_mostly(f, i * 0x100000ULL);
		m->regions[i].memory_size = fuzz_mostly(f, 0x40000);
		m->regions[i].userspace_addr = fuzz_uva(f, ctx);
	}
}

/* VHOST_SET_BACKEND_FEATURES: the offer (0 so far), or any bits. */
static void fill_backend(struct fuzz *f, void *arg, void *ctx)
{
	*(uint64_t *)arg = fuzz_mostly(f, 0);
}

static void fill_int(struct fuzz *f, void *arg, void *ctx)
{
	struct fctx *c = ctx;

	*(int *)arg = fuzz_one_in(f, 3) ? -1 :
		      fuzz_one_in(f, 4) ? (int)fuzz_interesting(f) : c->efd;
}

/* A guest kick: whatever the rings hold, the worker wakes and looks. */
static long kick(const struct fuzz_call *call, void *arg, void *ctx)
{
	struct fctx *c = ctx;
	uint64_t v = 1;

	return write(c->efd, &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
}

/* Guest memory under the rings: random bytes where the rings may be. */
static void fill_scribble(struct fuzz *f, void *arg, void *ctx)
{
	struct fctx *c = ctx;
	uint64_t off = fuzz_below(f, BUF_SIZE - 256);

	fuzz_bytes(f, c->buf + off, fuzz_below(f, 256));
	*(uint64_t *)arg = off;
}

static const struct fuzz_call virtio_calls[] = {
	{ "VHOST_SET_FEATURES", VHOST_SET_FEATURES, fill_features,
	  .errnos = e_virtio },
	{ "VHOST_VDPA_SET_STATUS", VHOST_VDPA_SET_STATUS, fill_status,
	  .errnos = e_virtio },
	{ "VHOST_VDPA_GET_STATUS", VHOST_VDPA_GET_STATUS, fill_status,
	  .errnos = e_virtio },
	{ "VHOST_VDPA_GET_CONFIG", VHOST_VDPA_GET_CONFIG, fill_config,
	  .errnos = e_virtio },
	{ "VHOST_VDPA_SET_CONFIG", VHOST_VDPA_SET_CONFIG, fill_config,
	  .errnos = e_virtio },
	{ "VHOST_SET_MEM_TABLE", VHOST_SET_MEM_TABLE, fill_mem_table,
	  .errnos = e_virtio },
	{ "VHOST_SET_VRING_NUM", VHOST_SET_VRING_NUM, fill_vring_state,
	  .errnos = e_virtio },
	{ "VHOST_SET_VRING_BASE", VHOST_SET_VRING_BASE, fill_vring_state,
	  .errnos = e_virtio },
	{ "VHOST_GET_VRING_BASE", VHOST_GET_VRING_BASE, fill_vring_state,
	  .errnos = e_virtio },
	{ "VHOST_VDPA_SET_VRING_ENABLE", VHOST_VDPA_SET_VRING_ENABLE,
	  fill_vring_state, .errnos = e_virtio },
	{ "VHOST_SET_VRING_ADDR", VHOST_SET_VRING_ADDR, fill_vring_addr,
	  .errnos = e_virtio },
	{ "VHOST_SET_VRING_KICK", VHOST_SET_VRING_KICK, fill_vring_file,
	  .errnos = e_virtio },
	{ "VHOST_SET_VRING_CALL", VHOST_SET_VRING_CALL, fill_vring_file,
	  .errnos = e_virtio },
	{ "VHOST_SET_VRING_ERR", VHOST_SET_VRING_ERR, fill_vring_file,
	  .errnos = e_virtio },
	{ "VHOST_VDPA_GET_VRING_SIZE", VHOST_VDPA_GET_VRING_SIZE_NR,
	  fill_vring_state, .errnos = e_virtio },
	{ "VHOST_SET_BACKEND_FEATURES", VHOST_SET_BACKEND_FEATURES,
	  fill_backend, .errnos = e_virtio },
	{ "VHOST_GET_BACKEND_FEATURES", VHOST_GET_BACKEND_FEATURES,
	  fill_backend, .errnos = e_virtio },
	{ "VHOST_VDPA_SET_CONFIG_CALL", VHOST_VDPA_SET_CONFIG_CALL, fill_int,
	  .errnos = e_virtio },
	{ "guest kick", 0, fill_scribble, kick, .errnos = e_virtio },
	{ "unknown vhost ioctl", 0, fill_unknown, unknown_ioctl,
	  .errnos = e_virtio_unknown },
};

/* ------------------------------------------------------------------------- */
/* The virtio-iommu's device-state loader                                     */

static const int e_state[] = { ENODATA, EINVAL, EPROTONOSUPPORT, EFBIG,
			       EBADMSG, EOPNOTSUPP, ERANGE, EEXIST, EFAULT,
			       ENOENT, ENOSPC, EPROTO, ENOMEM, 0 };

/* VERSION_1, INPUT_RANGE, DOMAIN_RANGE, MAP_UNMAP, PROBE */
#define FEATURES_ACKED	((1ULL << VIRTIO_F_VERSION_1) | 0x17ULL)

static void put32(uint8_t *b, size_t *o, uint32_t v)
{
	memcpy(b + *o, &v, 4);
	*o += 4;
}

static void put64(uint8_t *b, size_t *o, uint64_t v)
{
	memcpy(b + *o, &v, 8);
	*o += 8;
}

/*
 * A blob the device could have saved (one domain holding endpoint 1 with
 * a few mappings of the buffer, sometimes a second domain or bypass),
 * then spoiled: fields overwritten with interesting values, bits
 * flipped, cut short, the total size kept or not.  At @arg: a u64 length,
 * then the blob.
 */
static void fill_state(struct fuzz *f, void *arg, void *ctx)
{
	uint8_t *b = (uint8_t *)arg + 8;
	struct virtio_iommu_config cfg = {};
	struct fctx *c = ctx;
	size_t o = 32, sec, len;
	uint64_t iova = 0x400000 + (fuzz_below(f, 64) << 12);
	unsigned int i, n = fuzz_below(f, 5), k;
	bool two = fuzz_one_in(f, 6), bypass = fuzz_one_in(f, 6);

	/* config: what the device offers */
	vfioext_virtio_config(c->fd, 0, &cfg, sizeof(cfg), 0);
	put32(b, &o, VFIO_EXT_VIOMMU_SEC_CONFIG);
	put32(b, &o, VFIO_EXT_STATE_SEC_F_MANDATORY);
	put64(b, &o, 40);
	put64(b, &o, FEATURES_ACKED);
	put64(b, &o, cfg.input_range.start);
	put64(b, &o, cfg.input_range.end);
	put32(b, &o, cfg.domain_range.start);
	put32(b, &o, cfg.domain_range.end);
	put32(b, &o, cfg.probe_size);
	put32(b, &o, 0);
	/* domains */
	put32(b, &o, VFIO_EXT_VIOMMU_SEC_DOMAINS);
	put32(b, &o, VFIO_EXT_STATE_SEC_F_MANDATORY);
	sec = o;
	put64(b, &o, 0);
	put32(b, &o, 1 + two);
	put32(b, &o, 16 | 32 << 16);
	put32(b, &o, 1);
	put32(b, &o, bypass ? VFIO_EXT_VIOMMU_STATE_DOM_BYPASS : 0);
	put64(b, &o, bypass ? 0 : n);
	for (i = 0; !bypass && i < n; i++) {
		k = 1 + fuzz_below(f, 4);
		put64(b, &o, iova);
		put64(b, &o, iova + (k << 12) - 1);
		put64(b, &o, fuzz_below(f, BUF_SIZE / 4096 - 4) << 12);
		put32(b, &o, 1 + fuzz_below(f, 3));
		put32(b, &o, 0);
		iova += (k + fuzz_below(f, 4)) << 12;
	}
	if (two) {
		put32(b, &o, 2);
		put32(b, &o, 0);
		put64(b, &o, 0);
	}
	len = o - sec - 8;
	memcpy(b + sec, &len, 8);
	/* endpoints */
	put32(b, &o, VFIO_EXT_VIOMMU_SEC_ENDPOINTS);
	put32(b, &o, VFIO_EXT_STATE_SEC_F_MANDATORY);
	put64(b, &o, 16);
	put32(b, &o, 1);
	put32(b, &o, 8);
	put32(b, &o, 1);
	put32(b, &o, two && fuzz_one_in(f, 2) ? 2 : 1);
	/* header */
	len = 0;
	put32(b, &len, VFIO_EXT_STATE_MAGIC);
	put32(b, &len, VFIO_EXT_STATE_MAJOR);
	put32(b, &len, 32);
	put32(b, &len, 23);
	put64(b, &len, o);
	put64(b, &len, 0);

	/* Spoil it. */
	for (k = fuzz_below(f, 4); k; k--) {
		size_t at = fuzz_below(f, o / 4) * 4;
		uint64_t v = fuzz_interesting(f);

		memcpy(b + at, &v, fuzz_one_in(f, 2) && at + 8 <= o ? 8 : 4);
	}
	fuzz_mutate(f, b, o, 3);
	if (fuzz_one_in(f, 2)) {	/* keep the total size consistent */
		uint64_t t = o;

		memcpy(b + 16, &t, 8);
	}
	len = fuzz_one_in(f, 8) ? fuzz_below(f, o + 1) : o;
	memcpy(arg, &len, 8);
}

/* VmLck with the device empty: a refused load leaves it so. */
static long state_lck0 = -1;

/*
 * LOAD the blob through a pipe; on success the device has state (reset
 * by state_reset()).  A refusal that left pages pinned fails as
 * ENOTRECOVERABLE, which no call documents.
 */
static long load_blob(const struct fuzz_call *call, void *arg, void *ctx)
{
	struct fctx *c = ctx;
	uint64_t len;
	int p[2];
	long ret;

	memcpy(&len, arg, 8);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	ret = write(p[1], (uint8_t *)arg + 8, len) == (ssize_t)len ? 0 : -EIO;
	close(p[1]);
	if (!ret)
		ret = vfioext_virtio_load_state(c->fd, p[0]);
	close(p[0]);
	if (ret < 0 && state_lck0 >= 0 &&
	    proc_status_kb("VmLck") != state_lck0)
		ret = -ENOTRECOVERABLE;
	return ret;
}

static void state_reset(const struct fuzz_call *call, long ret, void *ctx)
{
	struct fctx *c = ctx;

	vfioext_virtio_set_status(c->fd, 0);
	vfioext_virtio_negotiate(c->fd, FEATURES_ACKED);
}

static const struct fuzz_call state_calls[] = {
	{ "VFIO_EXT_VIRTIO_DEVICE_STATE load", 0, fill_state, load_blob,
	  state_reset, .errnos = e_state },
};

/* ------------------------------------------------------------------------- */

FIXTURE(fuzz) {
	struct fctx c;
	struct fuzz f;
	long vmlck0;
};

FIXTURE_SETUP(fuzz)
{
	char bdf[VFIOEXT_BDF_LEN];

	vfio_handles_init(&self->c.h);
	self->c.efd = -1;
	if (edu_find(EDU_ALONE, bdf))
		SKIP(_exit(255), "no edu device on this machine");
	self->vmlck0 = proc_status_kb("VmLck");
	ASSERT_EQ(0, vfioext_pci_bind(bdf, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all_iommu(&self->c.h, bdf,
					 VFIO_EXT_PVIOMMU_IOMMU));
	self->c.buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->c.buf);
	self->c.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->c.efd);
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->c.h.bdf[0])
		write_policy(self->c.h.bdf, "reset");
	vfio_close_all(&self->c.h);
	if (self->c.efd >= 0)
		close(self->c.efd);
	/* Every pin is gone with the container. */
	EXPECT_EQ(self->vmlck0, proc_status_kb("VmLck"));
}

TEST_F_TIMEOUT(fuzz, device_ioctls, 600)
{
	struct dsm_buf *b = malloc(sizeof(*b));

	ASSERT_NE(NULL, b);
	if (!test_ssdt_loaded())
		SKIP(return, "test SSDT not loaded");
	/* Exactly this policy, whatever an earlier test left: "allow"
	 * adds to the rules, and a Notify function reached by the fuzz can
	 * make the firmware eject the device (Notify 3).
	 */
	ASSERT_EQ(0, write_policy(self->c.h.bdf, "clear"));
	ASSERT_EQ(0, write_policy(self->c.h.bdf,
				  "allow " TEST_UUID " 0-6,8-11,13-63"));
	blob_init(b, 0, FN_NOTIFY);
	ASSERT_EQ(-EACCES, dsm(self->c.h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	blob_init(b, 0, 7);
	ASSERT_EQ(-EACCES, dsm(self->c.h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	if (!crosvm_dsm_number_reaches_driver()) {
		e_dsm_crosvm[0] = 0;
		errnos_add(e_dsm_crosvm, ENOTTY);
	}
	self->c.fd = self->c.h.device;
	fuzz_init(&self->f, "device ioctls", DEVICE_ITERS);
	EXPECT_EQ(0, fuzz_run(_metadata, &self->f, device_calls,
			      ARRAY_SIZE(device_calls),
			      &self->c));
	irq_disable(self->c.h.device, VFIO_PCI_ACPI_NTFY_IRQ_INDEX);

	/* Still answers: function 1 is the Integer 0x12345678. */
	blob_init(b, 0, 1);
	ASSERT_EQ(0, dsm(self->c.h.device, b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(VFIO_EXT_ACPI_DSM_TYPE_INTEGER, *(uint32_t *)(b->args + 32));
	EXPECT_EQ(0x12345678ULL, *(uint64_t *)(b->args + 40));
	free(b);
}

/*
 * The virtio-iommu fd of the container, owned, with the edu as endpoint:
 * every vhost ioctl with mostly-sane arguments, guest memory scribbled
 * under whatever rings it was given, kicks.  Afterwards a reset must
 * leave a device that still negotiates, and the container's close every
 * pin gone (the fixture checks VmLck).
 */
TEST_F_TIMEOUT(fuzz, virtio_ioctls, 600)
{
	struct vfio_ext_pviommu_viommu a = { .argsz = sizeof(a) };
	struct vfio_ext_pviommu_attach at = {
		.argsz = sizeof(at), .group = self->c.h.group_id, .vsid = 1,
	};
	uint8_t st = 0;
	int fd;

	ASSERT_EQ(0, ioctl(self->c.h.container, VFIO_EXT_PVIOMMU_ATTACH, &at));
	fd = ioctl(self->c.h.container, VFIO_EXT_PVIOMMU_VIOMMU, &a);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, VHOST_SET_OWNER, NULL));
	self->c.fd = fd;
	fuzz_init(&self->f, "virtio ioctls", VIRTIO_ITERS);
	EXPECT_EQ(0, fuzz_run(_metadata, &self->f, virtio_calls,
			      ARRAY_SIZE(virtio_calls), &self->c));
	ASSERT_EQ(0, ioctl(fd, VHOST_VDPA_SET_STATUS, &st));
	EXPECT_EQ(0, vfioext_virtio_negotiate(fd, (1ULL << VIRTIO_F_VERSION_1)));
	close(fd);
}

/*
 * The state loader of a virtio-iommu whose memory table is the buffer:
 * blobs a device could have saved, spoiled.  Every refusal has a
 * documented errno and leaves nothing pinned (VmLck back to its value
 * after each refusal); what loads is reset away.  Afterwards the valid
 * state still loads.
 */
TEST_F_TIMEOUT(fuzz, state_load, 600)
{
	struct vfio_ext_pviommu_viommu a = { .argsz = sizeof(a) };
	struct vfio_ext_pviommu_attach at = {
		.argsz = sizeof(at), .group = self->c.h.group_id, .vsid = 1,
	};
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem = {
		.m.nregions = 1,
		.r = { .memory_size = BUF_SIZE,
		       .userspace_addr = (uintptr_t)self->c.buf },
	};
	static uint64_t blob[FUZZ_ARG_MAX / 8];
	long lck;
	int fd;

	ASSERT_EQ(0, ioctl(self->c.h.container, VFIO_EXT_PVIOMMU_ATTACH, &at));
	fd = ioctl(self->c.h.container, VFIO_EXT_PVIOMMU_VIOMMU, &a);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, VHOST_SET_OWNER, NULL));
	ASSERT_EQ(0, ioctl(fd, VHOST_SET_MEM_TABLE, &mem));
	ASSERT_EQ(0, vfioext_virtio_negotiate(fd, FEATURES_ACKED));
	self->c.fd = fd;
	lck = proc_status_kb("VmLck");
	state_lck0 = lck;
	fuzz_init(&self->f, "state load", STATE_ITERS);
	EXPECT_EQ(0, fuzz_run(_metadata, &self->f, state_calls,
			      ARRAY_SIZE(state_calls), &self->c));
	state_reset(NULL, 0, &self->c);
	EXPECT_EQ(lck, proc_status_kb("VmLck"));
	/* An unspoiled blob: one domain, no mappings, endpoint 1 in it. */
	memset(blob, 0, sizeof(blob));
	{
		struct fuzz calm = { .state = 1 };
		uint64_t len;
		int tries;

		for (tries = 0; tries < 1000; tries++) {	/* unspoiled */
			calm.state += 0x1234567;
			memset(blob, 0, sizeof(blob));
			fill_state(&calm, blob, &self->c);
			memcpy(&len, blob, 8);
			if (load_blob(NULL, blob, &self->c) == (long)len)
				break;
		}
		EXPECT_GT(1000, tries);
	}
	state_reset(NULL, 0, &self->c);
	EXPECT_EQ(lck, proc_status_kb("VmLck"));
	close(fd);
}

TEST_F_TIMEOUT(fuzz, container_ioctls, 600)
{
	struct vfio_iommu_type1_dma_unmap all = {
		.argsz = sizeof(all), .flags = VFIO_DMA_UNMAP_FLAG_ALL,
	};
	if (kernel_at_least(6, 19)) {
		errnos_add(e_map, EOVERFLOW);
		errnos_add(e_batch, EOVERFLOW);
		errnos_add(e_unmap, EOVERFLOW);
	}
	self->c.fd = self->c.h.container;
	fuzz_init(&self->f, "container ioctls", CONTAINER_ITERS);
	EXPECT_EQ(0, fuzz_run(_metadata, &self->f, container_calls,
			      ARRAY_SIZE(container_calls), &self->c));

	/* Unmap-all still works, and closing the container in whatever
	 * state the storm left (guest domains, endpoint moved, mappings)
	 * releases every pin.
	 */
	EXPECT_EQ(0, ioctl(self->c.h.container, VFIO_IOMMU_UNMAP_DMA, &all)) {
		TH_LOG("unmap all: %s", strerror(errno));
	}
	vfio_close_all(&self->c.h);
	EXPECT_EQ(self->vmlck0, proc_status_kb("VmLck"));
	ASSERT_EQ(0, vfio_open_all_iommu(&self->c.h, self->c.h.bdf,
					 VFIO_EXT_PVIOMMU_IOMMU));

	/* Still carries DMA: RAM -> edu -> RAM through fresh mappings. */
	EXPECT_EQ(0, edu_dma_check(&self->c.h));
	all.size = 0;	/* the first unmap wrote back what it unmapped */
	EXPECT_EQ(0, ioctl(self->c.h.container, VFIO_IOMMU_UNMAP_DMA, &all)) {
		TH_LOG("unmap all: %s", strerror(errno));
	}
}

TEST_HARNESS_MAIN
