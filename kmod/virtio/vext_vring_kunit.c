// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite for the split-virtqueue device side, against well-formed and
 * hostile rings in a fake guest memory (a buffer; addresses outside it are
 * -EFAULT, exactly as the memory table answers).
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "vext_vring.c"

#define GMEM	8192
#define DESC	0x0000
#define AVAIL	0x1000
#define USED	0x1800

struct gmem {
	u8 b[GMEM];
};

static int gread(void *ctx, u64 addr, void *buf, size_t len)
{
	struct gmem *g = ctx;

	if (addr > GMEM || len > GMEM - addr)
		return -EFAULT;
	memcpy(buf, g->b + addr, len);
	return 0;
}

static int gwrite(void *ctx, u64 addr, const void *buf, size_t len)
{
	struct gmem *g = ctx;

	if (addr > GMEM || len > GMEM - addr)
		return -EFAULT;
	memcpy(g->b + addr, buf, len);
	return 0;
}

struct fixture {
	struct gmem *g;
	struct vext_mem m;
	struct vext_vring vr;
	struct vext_chain *c;
};

static void setup(struct kunit *test, struct fixture *f, unsigned int num)
{
	f->g = kunit_kzalloc(test, sizeof(*f->g), GFP_KERNEL);
	f->c = kunit_kzalloc(test, sizeof(*f->c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->g);
	KUNIT_ASSERT_NOT_NULL(test, f->c);
	f->m.read = gread;
	f->m.write = gwrite;
	f->m.log = NULL;
	f->m.ctx = f->g;
	KUNIT_ASSERT_EQ(test, vext_vring_init(&f->vr, num, DESC, AVAIL, USED), 0);
}

static void set_desc(struct fixture *f, u16 i, u64 addr, u32 len, u16 flags,
		     u16 next)
{
	struct vext_desc d = {
		cpu_to_le64(addr), cpu_to_le32(len), cpu_to_le16(flags),
		cpu_to_le16(next),
	};

	memcpy(f->g->b + DESC + 16 * i, &d, sizeof(d));
}

/* Driver makes entry @slot of its ring point at @head and publishes @idx. */
static void make_avail(struct fixture *f, u16 slot, u16 head, u16 idx)
{
	__le16 h = cpu_to_le16(head), x = cpu_to_le16(idx);

	memcpy(f->g->b + AVAIL + 4 + 2 * slot, &h, 2);
	memcpy(f->g->b + AVAIL + 2, &x, 2);
}

static void vring_init_checks(struct kunit *test)
{
	struct vext_vring vr;

	KUNIT_EXPECT_EQ(test, vext_vring_init(&vr, 0, 0, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vext_vring_init(&vr, 3, 0, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vext_vring_init(&vr, 65536, 0, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vext_vring_init(&vr, 8, 8, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vext_vring_init(&vr, 8, 0, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vext_vring_init(&vr, 8, 0, 0, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, vext_vring_init(&vr, 32768, 16, 2, 4), 0);
}

static void vring_request_response(struct kunit *test)
{
	struct fixture f;
	__le32 used[2];
	__le16 uidx;

	setup(test, &f, 8);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 0);
	/* A request: 24 readable bytes, then 8 writable. */
	set_desc(&f, 3, 0x100, 24, VRING_DESC_F_NEXT, 5);
	set_desc(&f, 5, 0x200, 8, VRING_DESC_F_WRITE, 0);
	make_avail(&f, 0, 3, 1);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->head, 3);
	KUNIT_EXPECT_EQ(test, f.c->nr_out, 1U);
	KUNIT_EXPECT_EQ(test, f.c->nr_in, 1U);
	KUNIT_EXPECT_EQ(test, f.c->out_len, 24ULL);
	KUNIT_EXPECT_EQ(test, f.c->in_len, 8ULL);
	KUNIT_EXPECT_EQ(test, f.c->seg[1].addr, 0x200ULL);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 0);

	KUNIT_ASSERT_EQ(test, vext_vring_push(&f.vr, &f.m, 3, 8), 0);
	memcpy(used, f.g->b + USED + 4, 8);
	memcpy(&uidx, f.g->b + USED + 2, 2);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(used[0]), 3U);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(used[1]), 8U);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(uidx), 1);
	KUNIT_EXPECT_EQ(test, vext_vring_want_interrupt(&f.vr, &f.m), 1);
	f.g->b[AVAIL] = VRING_AVAIL_F_NO_INTERRUPT;
	KUNIT_EXPECT_EQ(test, vext_vring_want_interrupt(&f.vr, &f.m), 0);
}

static void vring_index_wrap(struct kunit *test)
{
	struct fixture f;

	setup(test, &f, 4);
	/*
	 * Free-running indices wrap at 65536, slots at the queue size.  The
	 * position as VHOST_SET_VRING_BASE leaves it: the driver's index is
	 * read afresh from there.
	 */
	f.vr.last_avail = 0xffff;
	f.vr.avail_idx = 0xffff;
	set_desc(&f, 1, 0x100, 4, 0, 0);
	/* Across the wrap, five entries claimed in a queue of four. */
	make_avail(&f, 3, 1, 0x0004);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);
	make_avail(&f, 3, 1, 0x0000);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->head, 1);
	KUNIT_EXPECT_EQ(test, f.vr.last_avail, 0);
}

static void vring_hostile(struct kunit *test)
{
	struct fixture f;

	/* The driver claims more entries than the queue holds. */
	setup(test, &f, 8);
	make_avail(&f, 0, 0, 9);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* A head index out of range. */
	setup(test, &f, 8);
	make_avail(&f, 0, 8, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* A loop: 1 -> 2 -> 1. */
	setup(test, &f, 8);
	set_desc(&f, 1, 0x100, 4, VRING_DESC_F_NEXT, 2);
	set_desc(&f, 2, 0x100, 4, VRING_DESC_F_NEXT, 1);
	make_avail(&f, 0, 1, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* A self loop. */
	setup(test, &f, 8);
	set_desc(&f, 0, 0x100, 4, VRING_DESC_F_NEXT, 0);
	make_avail(&f, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* next out of range. */
	setup(test, &f, 8);
	set_desc(&f, 0, 0x100, 4, VRING_DESC_F_NEXT, 200);
	make_avail(&f, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* Readable after writable. */
	setup(test, &f, 8);
	set_desc(&f, 0, 0x100, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(&f, 1, 0x200, 4, 0, 0);
	make_avail(&f, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* Indirect descriptors are not offered. */
	setup(test, &f, 8);
	set_desc(&f, 0, 0x100, 32, VRING_DESC_F_INDIRECT, 0);
	make_avail(&f, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* A buffer that wraps the address space. */
	setup(test, &f, 8);
	set_desc(&f, 0, U64_MAX - 2, 4, 0, 0);
	make_avail(&f, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* A ring outside guest memory. */
	setup(test, &f, 8);
	f.vr.avail = GMEM - 1;
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EFAULT);
	setup(test, &f, 8);
	f.vr.used = GMEM;
	KUNIT_EXPECT_EQ(test, vext_vring_push(&f.vr, &f.m, 0, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, f.vr.used_idx, 0);
}

/* A chain longer than VEXT_MAX_SEGS in a big queue: refused, bounded. */
static void vring_long_chain(struct kunit *test)
{
	struct fixture f;
	unsigned int i;

	setup(test, &f, 128);
	for (i = 0; i < 100; i++)
		set_desc(&f, i, 0x100, 4, VRING_DESC_F_NEXT, i + 1);
	set_desc(&f, 100, 0x100, 4, 0, 0);
	make_avail(&f, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), -EPROTO);

	/* Exactly VEXT_MAX_SEGS is fine. */
	setup(test, &f, 128);
	for (i = 0; i < VEXT_MAX_SEGS - 1; i++)
		set_desc(&f, i, 0x100, 4, VRING_DESC_F_NEXT, i + 1);
	set_desc(&f, VEXT_MAX_SEGS - 1, 0x100, 4, 0, 0);
	make_avail(&f, 0, 0, 1);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->nr_out, (unsigned int)VEXT_MAX_SEGS);
}

/*
 * A queue resumed at a driver-ring position (a restored device): the next
 * used entry goes after the one the device ring's index names, whatever
 * the saved position; an unreadable device ring is -EFAULT.
 */
static void vring_start_continues(struct kunit *test)
{
	struct fixture f;
	__le16 x = cpu_to_le16(0xfffe);
	__le32 used[2];

	setup(test, &f, 8);
	memcpy(f.g->b + USED + 2, &x, 2);
	KUNIT_ASSERT_EQ(test, vext_vring_start(&f.vr, &f.m, 0xfffe), 0);
	KUNIT_EXPECT_EQ(test, f.vr.last_avail, 0xfffe);
	KUNIT_EXPECT_EQ(test, f.vr.used_idx, 0xfffe);
	/* Driver-ring entry 0xfffe sits in slot 6 (of 8). */
	set_desc(&f, 2, 0x100, 8, VRING_DESC_F_WRITE, 0);
	make_avail(&f, 6, 2, 0xffff);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->head, 2);
	KUNIT_ASSERT_EQ(test, vext_vring_push(&f.vr, &f.m, 2, 8), 0);
	memcpy(used, f.g->b + USED + 4 + 8 * 6, 8);
	memcpy(&x, f.g->b + USED + 2, 2);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(used[0]), 2U);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(x), 0xffff);

	KUNIT_ASSERT_EQ(test, vext_vring_init(&f.vr, 8, DESC, AVAIL,
					      GMEM), 0);
	KUNIT_EXPECT_EQ(test, vext_vring_start(&f.vr, &f.m, 0), -EFAULT);
}

/*
 * The device ring's index against the saved position: up to a queue's
 * worth of chains may have been taken and not yet used (QEMU's loader
 * allows as much), more is a ring that does not go with the position (a
 * stale VHOST_SET_VRING_BASE, guest memory copied before the last used
 * entries): refused, not written into entries the driver already took.
 */
static void vring_start_inconsistent(struct kunit *test)
{
	static const struct {
		u16 used, last_avail;
		int ret;
	} c[] = {
		{ 3, 5, 0 },		/* two chains taken, not used */
		{ 3, 11, 0 },		/* a queue's worth (8) */
		{ 0xfffe, 4, 0 },	/* six, across the wrap */
		{ 3, 12, -EINVAL },	/* nine: more than the queue */
		{ 3, 0x8003, -EINVAL },
		{ 5, 3, -EINVAL },	/* used entries not yet taken */
		{ 0, 0xffff, -EINVAL },
	};
	struct fixture f;
	unsigned int i;
	__le16 x;

	setup(test, &f, 8);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		x = cpu_to_le16(c[i].used);
		memcpy(f.g->b + USED + 2, &x, 2);
		KUNIT_EXPECT_EQ_MSG(test, vext_vring_start(&f.vr, &f.m,
							   c[i].last_avail),
				    c[i].ret, "used %u, base %u", c[i].used,
				    c[i].last_avail);
		if (!c[i].ret)
			KUNIT_EXPECT_EQ(test, f.vr.used_idx, c[i].used);
	}
}

/* What pushes logged, and the device ring's index at each call. */
static struct {
	struct gmem *g;
	unsigned int n;
	u64 addr[8];
	size_t len[8];
	u16 used_idx[8];
	int fail_at;	/* that call fails (-EIO), or -1 */
} logrec;

static int glog(void *ctx, u64 addr, size_t len)
{
	__le16 x;

	if (logrec.n == logrec.fail_at)
		return -EIO;
	if (logrec.n >= ARRAY_SIZE(logrec.addr))
		return -ENOSPC;
	memcpy(&x, logrec.g->b + USED + 2, 2);
	logrec.addr[logrec.n] = addr;
	logrec.len[logrec.n] = len;
	logrec.used_idx[logrec.n] = le16_to_cpu(x);
	logrec.n++;
	return 0;
}

/*
 * A logged device ring: the entry is logged, at the ring's guest-physical
 * address plus its offset, before the index publishing it is written;
 * the index after.  A failing log fails the push: for the entry,
 * before the index moves.  Without @log nothing is logged.
 */
static void vring_push_logs(struct kunit *test)
{
	struct fixture f;
	__le16 x;

	setup(test, &f, 8);
	memset(&logrec, 0, sizeof(logrec));
	logrec.g = f.g;
	logrec.fail_at = -1;
	f.m.log = glog;
	KUNIT_ASSERT_EQ(test, vext_vring_push(&f.vr, &f.m, 1, 4), 0);
	KUNIT_EXPECT_EQ(test, logrec.n, 0U);

	f.vr.log = true;
	f.vr.log_addr = 0x7000;
	KUNIT_ASSERT_EQ(test, vext_vring_push(&f.vr, &f.m, 2, 4), 0);
	KUNIT_ASSERT_EQ(test, logrec.n, 2U);
	/* Entry 1 of the ring, logged while the index still said 1. */
	KUNIT_EXPECT_EQ(test, logrec.addr[0], 0x7000ULL + 4 + 8);
	KUNIT_EXPECT_EQ(test, logrec.len[0], (size_t)8);
	KUNIT_EXPECT_EQ(test, logrec.used_idx[0], 1);
	/* Then the index, once written. */
	KUNIT_EXPECT_EQ(test, logrec.addr[1], 0x7000ULL + 2);
	KUNIT_EXPECT_EQ(test, logrec.len[1], (size_t)2);
	KUNIT_EXPECT_EQ(test, logrec.used_idx[1], 2);

	/* The entry's log fails: the index is not published. */
	logrec.n = 0;
	logrec.fail_at = 0;
	KUNIT_EXPECT_EQ(test, vext_vring_push(&f.vr, &f.m, 3, 4), -EIO);
	memcpy(&x, f.g->b + USED + 2, 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(x), 2);
	KUNIT_EXPECT_EQ(test, f.vr.used_idx, 2);
	/* The entry stays pending: publishing again announces it. */
	KUNIT_EXPECT_EQ(test, f.vr.used_pending, 1);
	logrec.fail_at = -1;
	KUNIT_EXPECT_EQ(test, vext_vring_publish(&f.vr, &f.m), 1);
	memcpy(&x, f.g->b + USED + 2, 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(x), 3);
}

/* gread() and gwrite() that count the accesses of the rings. */
static unsigned int idx_reads, head_reads, used_writes, desc_reads;
static size_t desc_read_len;

static int gread_count(void *ctx, u64 addr, void *buf, size_t len)
{
	if (addr < AVAIL) {
		desc_reads++;
		desc_read_len = len;
	} else if (addr == AVAIL + 2) {
		idx_reads++;
	} else if (addr >= AVAIL + 4 && addr < USED) {
		head_reads++;
	}
	return gread(ctx, addr, buf, len);
}

static int gwrite_count(void *ctx, u64 addr, const void *buf, size_t len)
{
	if (addr >= USED + 4)
		used_writes++;
	return gwrite(ctx, addr, buf, len);
}

/* A queue whose ring accesses are counted and whose device ring is logged. */
static void setup_counted(struct kunit *test, struct fixture *f,
			  unsigned int num)
{
	setup(test, f, num);
	f->m.read = gread_count;
	f->m.write = gwrite_count;
	memset(&logrec, 0, sizeof(logrec));
	logrec.g = f->g;
	logrec.fail_at = -1;
	f->m.log = glog;
	f->vr.log = true;
	f->vr.log_addr = 0x7000;
}

/*
 * A kick's worth of requests: the driver's index is read once for the
 * entries it announces (and once more to find there is nothing after
 * them), their heads in one read; entries added after that read are
 * found on the next one.  The used entries wait until they are
 * published: then they go into the ring in order, in one write, logged,
 * and one index update announces them all, logged after it is written;
 * until then the device ring does not change.  A failing index log
 * announces nothing and keeps the entries pending.
 */
static void vring_batched_used(struct kunit *test)
{
	struct fixture f;
	unsigned int i;
	__le32 e[2];
	__le16 x;

	setup_counted(test, &f, 8);
	for (i = 0; i < 3; i++) {
		set_desc(&f, i, 0x100 * (i + 1), 16, 0, 0);
		make_avail(&f, i, i, i + 1);
	}
	idx_reads = 0;
	head_reads = 0;
	used_writes = 0;
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
		KUNIT_EXPECT_EQ(test, f.c->head, i);
	}
	KUNIT_EXPECT_EQ(test, idx_reads, 1U);
	KUNIT_EXPECT_EQ(test, head_reads, 1U);
	/* The driver adds one after the device read its index. */
	set_desc(&f, 3, 0x400, 16, 0, 0);
	make_avail(&f, 3, 3, 4);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->head, 3);
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 0);
	KUNIT_EXPECT_EQ(test, idx_reads, 3U);
	KUNIT_EXPECT_EQ(test, head_reads, 2U);

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, vext_vring_add_used(&f.vr, &f.m, i, 4 + i),
				0);
	KUNIT_EXPECT_EQ(test, used_writes, 0U);
	KUNIT_EXPECT_EQ(test, logrec.n, 0U);
	memcpy(e, f.g->b + USED + 4, sizeof(e));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(e[1]), 0U);	/* not written yet */
	/*
	 * The index's log fails: the entries and the index were written,
	 * none counts as announced, the entries stay pending for the next
	 * try.
	 */
	logrec.fail_at = 1;
	KUNIT_EXPECT_EQ(test, vext_vring_publish(&f.vr, &f.m), -EIO);
	KUNIT_EXPECT_EQ(test, f.vr.used_idx, 0);
	KUNIT_EXPECT_EQ(test, f.vr.used_pending, 3);
	KUNIT_EXPECT_EQ(test, used_writes, 1U);
	KUNIT_ASSERT_EQ(test, logrec.n, 1U);
	KUNIT_EXPECT_EQ(test, logrec.addr[0], 0x7000ULL + 4);
	KUNIT_EXPECT_EQ(test, logrec.len[0], (size_t)24);
	KUNIT_EXPECT_EQ(test, logrec.used_idx[0], 0);
	for (i = 0; i < 3; i++) {
		memcpy(e, f.g->b + USED + 4 + 8 * i, sizeof(e));
		KUNIT_EXPECT_EQ(test, le32_to_cpu(e[0]), i);
		KUNIT_EXPECT_EQ(test, le32_to_cpu(e[1]), 4 + i);
	}
	logrec.fail_at = -1;
	KUNIT_EXPECT_EQ(test, vext_vring_publish(&f.vr, &f.m), 3);
	KUNIT_EXPECT_EQ(test, used_writes, 1U);	/* not written again */
	KUNIT_ASSERT_EQ(test, logrec.n, 2U);
	KUNIT_EXPECT_EQ(test, logrec.addr[1], 0x7000ULL + 2);
	KUNIT_EXPECT_EQ(test, logrec.used_idx[1], 3);
	KUNIT_EXPECT_EQ(test, vext_vring_publish(&f.vr, &f.m), 0);
	/* The fourth goes after them. */
	f.vr.log = false;
	KUNIT_ASSERT_EQ(test, vext_vring_push(&f.vr, &f.m, 3, 9), 0);
	memcpy(&x, f.g->b + USED + 2, 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(x), 4);
	memcpy(e, f.g->b + USED + 4 + 8 * 3, sizeof(e));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(e[0]), 3U);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(e[1]), 9U);
}

/*
 * More than a batch, across the end of the rings: the heads are read in
 * pieces of at most VEXT_VRING_BATCH cut at the driver ring's end; the
 * used entries are written when VEXT_VRING_BATCH wait (unannounced), in
 * two writes where they cross the device ring's end, each piece logged
 * at its own offset, the rest when published; each entry lands in its
 * slot.  A failing entry log keeps them unwritten, to be written and
 * logged again.  A restart forgets the heads read ahead.
 */
static void vring_batches_wrap(struct kunit *test)
{
	struct fixture f;
	unsigned int i;
	__le32 e[2];
	__le16 x;

	setup_counted(test, &f, 64);
	x = cpu_to_le16(50);
	memcpy(f.g->b + USED + 2, &x, 2);
	KUNIT_ASSERT_EQ(test, vext_vring_start(&f.vr, &f.m, 50), 0);
	for (i = 0; i < 64; i++)
		set_desc(&f, i, 0x100, 4, 0, 0);
	/* 40 entries from slot 50 on, each pointing at head 63 - slot. */
	for (i = 0; i < 40; i++)
		make_avail(&f, (50 + i) & 63, 63 - ((50 + i) & 63), 50 + i + 1);
	head_reads = 0;
	used_writes = 0;
	for (i = 0; i < 40; i++) {
		KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
		KUNIT_EXPECT_EQ(test, f.c->head, 63 - ((50 + i) & 63));
		KUNIT_ASSERT_EQ(test, vext_vring_add_used(&f.vr, &f.m,
							  f.c->head, i), 0);
	}
	KUNIT_EXPECT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 0);
	/* Slots 50-63, then 0-25. */
	KUNIT_EXPECT_EQ(test, head_reads, 2U);
	/* 32 written at the 33rd, in two pieces; nothing announced. */
	KUNIT_EXPECT_EQ(test, used_writes, 2U);
	KUNIT_ASSERT_EQ(test, logrec.n, 2U);
	KUNIT_EXPECT_EQ(test, logrec.addr[0], 0x7000ULL + 4 + 8 * 50);
	KUNIT_EXPECT_EQ(test, logrec.len[0], (size_t)8 * 14);
	KUNIT_EXPECT_EQ(test, logrec.addr[1], 0x7000ULL + 4);
	KUNIT_EXPECT_EQ(test, logrec.len[1], (size_t)8 * 18);
	KUNIT_EXPECT_EQ(test, logrec.used_idx[1], 50);
	memcpy(&x, f.g->b + USED + 2, 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(x), 50);
	/* The last 8 entries' log fails: nothing announced, kept. */
	logrec.fail_at = 2;
	KUNIT_EXPECT_EQ(test, vext_vring_publish(&f.vr, &f.m), -EIO);
	KUNIT_EXPECT_EQ(test, f.vr.used_pending, 40);
	memcpy(&x, f.g->b + USED + 2, 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(x), 50);
	logrec.fail_at = -1;
	KUNIT_EXPECT_EQ(test, vext_vring_publish(&f.vr, &f.m), 40);
	KUNIT_EXPECT_EQ(test, used_writes, 4U);	/* the 8 written twice */
	KUNIT_ASSERT_EQ(test, logrec.n, 4U);
	KUNIT_EXPECT_EQ(test, logrec.addr[2], 0x7000ULL + 4 + 8 * 18);
	KUNIT_EXPECT_EQ(test, logrec.len[2], (size_t)8 * 8);
	KUNIT_EXPECT_EQ(test, logrec.addr[3], 0x7000ULL + 2);
	KUNIT_EXPECT_EQ(test, logrec.used_idx[3], 90);
	for (i = 0; i < 40; i++) {
		memcpy(e, f.g->b + USED + 4 + 8 * ((50 + i) & 63), sizeof(e));
		KUNIT_EXPECT_EQ(test, le32_to_cpu(e[0]), 63 - ((50 + i) & 63));
		KUNIT_EXPECT_EQ(test, le32_to_cpu(e[1]), i);
	}

	/*
	 * Heads read ahead, then a restart at an earlier position whose
	 * entries the driver has since changed: they are read afresh.
	 */
	f.vr.log = false;
	make_avail(&f, 26, 7, 92);
	make_avail(&f, 27, 8, 92);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->head, 7);
	make_avail(&f, 26, 9, 92);
	KUNIT_ASSERT_EQ(test, vext_vring_start(&f.vr, &f.m, 90), 0);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->head, 9);
}

/* 40 entries from slot 0: heads read 32, then 8 (a batch's most). */
static void vring_heads_cap(struct kunit *test)
{
	struct fixture f;
	unsigned int i;

	setup(test, &f, 64);
	f.m.read = gread_count;
	for (i = 0; i < 40; i++) {
		set_desc(&f, i, 0x100, 4, 0, 0);
		make_avail(&f, i, 39 - i, i + 1);
	}
	head_reads = 0;
	for (i = 0; i < 40; i++) {
		KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
		KUNIT_EXPECT_EQ(test, f.c->head, 39 - i);
		if (i == 31)
			KUNIT_EXPECT_EQ(test, head_reads, 1U);
	}
	KUNIT_EXPECT_EQ(test, head_reads, 2U);
}

/*
 * Descriptors are read VEXT_VRING_DESCS at a time from the one needed
 * on, never past the table, and kept while the driver's index stays:
 * a kick's chains side by side cost one read.  After the index is read
 * again, kept descriptors are not trusted: a reused one reads afresh.
 */
static void vring_desc_window(struct kunit *test)
{
	struct fixture f;

	setup(test, &f, 32);
	f.m.read = gread_count;
	/* Two chains side by side, announced together: one read. */
	set_desc(&f, 3, 0x100, 24, VRING_DESC_F_NEXT, 4);
	set_desc(&f, 4, 0x200, 8, VRING_DESC_F_WRITE, 0);
	set_desc(&f, 5, 0x300, 24, VRING_DESC_F_NEXT, 6);
	set_desc(&f, 6, 0x400, 8, VRING_DESC_F_WRITE, 0);
	make_avail(&f, 0, 3, 1);
	make_avail(&f, 1, 5, 2);
	desc_reads = 0;
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->seg[1].addr, 0x200ULL);
	KUNIT_EXPECT_EQ(test, f.c->in_len, 8ULL);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->seg[0].addr, 0x300ULL);
	KUNIT_EXPECT_EQ(test, f.c->seg[1].addr, 0x400ULL);
	KUNIT_EXPECT_EQ(test, desc_reads, 1U);
	KUNIT_EXPECT_EQ(test, desc_read_len, (size_t)16 * VEXT_VRING_DESCS);

	/* Descriptor 3 reused for a new chain: read again, as rewritten. */
	set_desc(&f, 3, 0x900, 4, 0, 0);
	make_avail(&f, 2, 3, 3);
	desc_reads = 0;
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->seg[0].addr, 0x900ULL);
	KUNIT_EXPECT_EQ(test, f.c->nr_out, 1U);
	KUNIT_EXPECT_EQ(test, desc_reads, 1U);

	/* A chain that jumps past what was read: one read more. */
	set_desc(&f, 0, 0x500, 4, VRING_DESC_F_NEXT, 20);
	set_desc(&f, 20, 0x600, 4, VRING_DESC_F_WRITE, 0);
	make_avail(&f, 3, 0, 4);
	desc_reads = 0;
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->seg[1].addr, 0x600ULL);
	KUNIT_EXPECT_EQ(test, desc_reads, 2U);
	KUNIT_EXPECT_EQ(test, desc_read_len, (size_t)16 * 12);

	/* The table's last descriptor is read alone. */
	set_desc(&f, 31, 0x700, 4, 0, 0);
	make_avail(&f, 4, 31, 5);
	desc_reads = 0;
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->seg[0].addr, 0x700ULL);
	KUNIT_EXPECT_EQ(test, desc_reads, 1U);
	KUNIT_EXPECT_EQ(test, desc_read_len, (size_t)16);

	/*
	 * Mid-kick reuse: chains 0 and 1 announced, 0 served and returned,
	 * the driver rewrites descriptor 0 for a new chain behind 1.  Chain
	 * 1 still comes from what was read; the new chain 0 only after the
	 * index announcing it, as rewritten.  A restart drops what was read.
	 */
	setup(test, &f, 4);
	f.m.read = gread_count;
	set_desc(&f, 0, 0x100, 4, 0, 0);
	set_desc(&f, 1, 0x200, 4, 0, 0);
	make_avail(&f, 0, 0, 1);
	make_avail(&f, 1, 1, 2);
	desc_reads = 0;
	idx_reads = 0;
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_ASSERT_EQ(test, vext_vring_push(&f.vr, &f.m, f.c->head, 0), 0);
	set_desc(&f, 0, 0x300, 4, 0, 0);
	make_avail(&f, 2, 0, 3);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->seg[0].addr, 0x200ULL);
	KUNIT_EXPECT_EQ(test, desc_reads, 1U);
	KUNIT_EXPECT_EQ(test, idx_reads, 1U);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->seg[0].addr, 0x300ULL);
	KUNIT_EXPECT_EQ(test, desc_reads, 2U);
	KUNIT_EXPECT_EQ(test, idx_reads, 2U);
	set_desc(&f, 0, 0x400, 4, 0, 0);
	KUNIT_ASSERT_EQ(test, vext_vring_start(&f.vr, &f.m, 2), 0);
	KUNIT_ASSERT_EQ(test, vext_vring_pop(&f.vr, &f.m, f.c), 1);
	KUNIT_EXPECT_EQ(test, f.c->seg[0].addr, 0x400ULL);
}

static struct kunit_case vext_vring_test_cases[] = {
	KUNIT_CASE(vring_init_checks),
	KUNIT_CASE(vring_request_response),
	KUNIT_CASE(vring_index_wrap),
	KUNIT_CASE(vring_hostile),
	KUNIT_CASE(vring_long_chain),
	KUNIT_CASE(vring_start_continues),
	KUNIT_CASE(vring_start_inconsistent),
	KUNIT_CASE(vring_push_logs),
	KUNIT_CASE(vring_batched_used),
	KUNIT_CASE(vring_batches_wrap),
	KUNIT_CASE(vring_heads_cap),
	KUNIT_CASE(vring_desc_window),
	{}
};

static struct kunit_suite vext_vring_test_suite = {
	.name = "vext_vring",
	.test_cases = vext_vring_test_cases,
};

kunit_test_suite(vext_vring_test_suite);
