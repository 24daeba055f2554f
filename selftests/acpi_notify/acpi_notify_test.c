// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACPI notification forwarding through vfio-pci-ext: the crosvm IRQ index
 * (eventfd, value added to the counter), the DATA_BOOL loopback, and the
 * lossless record channel, with real firmware notifications: the test
 * SSDT's _DSM functions 12 and 13 execute Notify(\_SB.PCI0.S80, value).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "acpi_common.h"

#define NTFY	VFIO_PCI_ACPI_NTFY_IRQ_INDEX
#define REC	struct vfio_ext_acpi_notify_record

/* SET_IRQS on the notify index with a u32 payload (DATA_BOOL/EVENTFD). */
static int irqn_set(int device, uint32_t flags, uint32_t start, uint32_t count,
		    const void *data, size_t len)
{
	char buf[sizeof(struct vfio_irq_set) + 8];
	struct vfio_irq_set *set = (void *)buf;

	memset(buf, 0, sizeof(buf));
	set->argsz = sizeof(*set) + len;
	set->flags = flags;
	set->index = NTFY;
	set->start = start;
	set->count = count;
	if (len)
		memcpy(set->data, data, len);
	return ioctl(device, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

static int chan_open(int device, uint32_t flags)
{
	struct vfio_ext_acpi_notify_fd a = { .argsz = sizeof(a), .flags = flags };
	int fd = ioctl(device, VFIO_EXT_DEVICE_ACPI_NOTIFY_FD, &a);

	return fd < 0 ? -errno : fd;
}

/* Read exactly @n records within @ms; returns how many arrived. */
static int chan_read(int fd, REC *r, int n, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int got = 0;
	ssize_t len;

	while (got < n && poll(&p, 1, ms) > 0) {
		len = read(fd, r + got, (n - got) * sizeof(*r));
		if (len <= 0)
			break;
		got += len / sizeof(*r);
	}
	return got;
}

/* Wait until the eventfd counter reaches @want (values may coalesce). */
/* The counter gain of a Notify on this kernel (vfio_common.h). */
#define EFD_GAIN(value) ntfy_efd_amount(value)

static uint64_t efd_collect(int efd, uint64_t want, int ms)
{
	uint64_t sum = 0, v;

	while (sum < want && !eventfd_wait(efd, ms, &v))
		sum += v;
	return sum;
}

FIXTURE(ntfy) {
	struct vfio_handles h;
	int efd;
};

FIXTURE_SETUP(ntfy)
{
	vfio_handles_init(&self->h);
	self->efd = -1;
	if (!test_ssdt_loaded())
		SKIP(_exit(255), "test SSDT not loaded (vmrun --acpi-table)");
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all(&self->h, DSM_BDF));
	ASSERT_EQ(0, write_policy(DSM_BDF, "allow " TEST_UUID " all"));
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(ntfy)
{
	if (self->efd >= 0)
		close(self->efd);
	vfio_close_all(&self->h);
	/*
	 * A test that unloads the module or unbinds the device restores
	 * them at its end; whatever its outcome, the module is loaded and
	 * the device bound for the tests that follow.
	 */
	if (module_refcnt("vfio_pci_ext") < 0 && system("modprobe vfio_pci_ext"))
		TH_LOG("modprobe vfio_pci_ext failed");
	vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME);
	/* Leave no Notify function allowed for the tests that follow. */
	write_policy(DSM_BDF, "reset");
}

TEST_F(ntfy, irq_info)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = NTFY };

	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_GET_INFO, &di));
	EXPECT_EQ(VFIO_PCI_NUM_IRQS + 1, di.num_irqs);
	ASSERT_EQ(0, ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_EQ(1, ii.count);
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, ii.flags);
	ii.index = NTFY + 1;
	EXPECT_EQ(-1, ioctl(self->h.device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_EQ(EINVAL, errno);
}

/* A firmware Notify reaches the eventfd with its value (crosvm ABI). */
TEST_F_TIMEOUT(ntfy, firmware_to_eventfd, 60)
{
	uint64_t v;

	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
	ASSERT_EQ(0, fw_notify(self->h.device, 0x90));
	EXPECT_EQ(EFD_GAIN(0x90), efd_collect(self->efd, EFD_GAIN(0x90), 5000));
	/* Notifications coalesce into one sum (of values before 6.8). */
	ASSERT_EQ(0, fw_notify3(self->h.device));
	EXPECT_EQ(EFD_GAIN(0x80) + EFD_GAIN(0x81) + EFD_GAIN(0x82),
		  efd_collect(self->efd, EFD_GAIN(0x80) + EFD_GAIN(0x81) + EFD_GAIN(0x82), 5000));
	EXPECT_EQ(-ETIMEDOUT, eventfd_wait(self->efd, 300, &v));
}

/* The channel keeps every notification, in order, with its value. */
TEST_F_TIMEOUT(ntfy, channel_is_lossless, 60)
{
	REC r[4];
	int ch;

	ch = chan_open(self->h.device, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, fw_notify3(self->h.device));
	ASSERT_EQ(3, chan_read(ch, r, 3, 5000));
	EXPECT_EQ(0x80, r[0].value);
	EXPECT_EQ(0x81, r[1].value);
	EXPECT_EQ(0x82, r[2].value);
	EXPECT_EQ(r[0].seq + 1, r[1].seq);
	EXPECT_EQ(r[1].seq + 1, r[2].seq);
	EXPECT_LE(r[0].timestamp_ns, r[1].timestamp_ns);
	EXPECT_LE(r[1].timestamp_ns, r[2].timestamp_ns);
	EXPECT_EQ(0, r[0].flags | r[1].flags | r[2].flags);
	EXPECT_EQ(0, r[0].dropped | r[1].dropped | r[2].dropped);
	EXPECT_EQ(0, r[0].reserved);

	/*
	 * Value 0 (a system notification, Bus Check) is invisible on the
	 * eventfd, not on the channel.
	 */
	ASSERT_EQ(0, fw_notify(self->h.device, 0));
	ASSERT_EQ(1, chan_read(ch, r, 1, 5000));
	EXPECT_EQ(0, r[0].value);

	/* Short reads are refused; a second channel is busy. */
	EXPECT_EQ(-1, read(ch, r, sizeof(r[0]) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EBUSY, chan_open(self->h.device, 0));
	EXPECT_EQ(-EINVAL, chan_open(self->h.device, 1u << 1));
	close(ch);
	/* Closed: a new channel can be opened. */
	ch = chan_open(self->h.device, VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK);
	ASSERT_LE(0, ch);
	EXPECT_EQ(-1, read(ch, r, sizeof(r)));
	EXPECT_EQ(EAGAIN, errno);
	close(ch);
}

TEST_F(ntfy, loopback)
{
	uint32_t big = 256;
	REC r;
	int ch;

	/* Loopback without an eventfd still reaches the channel. */
	ch = chan_open(self->h.device, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
	ASSERT_EQ(0, acpi_notify_loopback(self->h.device, 0x42));
	EXPECT_EQ(EFD_GAIN(0x42), efd_collect(self->efd, EFD_GAIN(0x42), 2000));
	ASSERT_EQ(1, chan_read(ch, &r, 1, 2000));
	EXPECT_EQ(0x42, r.value);
	EXPECT_EQ(VFIO_EXT_ACPI_NOTIFY_LOOPBACK, r.flags);

	EXPECT_EQ(-EINVAL, acpi_notify_loopback(self->h.device, 256));
	/* DATA_BOOL needs its u32. */
	EXPECT_EQ(-EINVAL, irqn_set(self->h.device, VFIO_IRQ_SET_ACTION_TRIGGER |
				    VFIO_IRQ_SET_DATA_BOOL, 0, 1, &big, 1));
	close(ch);
}

/* Disable: the handler goes, nothing reaches the old eventfd. */
TEST_F_TIMEOUT(ntfy, disable, 60)
{
	uint64_t v;
	REC r;
	int ch;

	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
	ASSERT_EQ(0, irq_disable(self->h.device, NTFY));
	/* Disabling when disabled: EINVAL, as vfio-pci's own indexes. */
	EXPECT_EQ(-EINVAL, irq_disable(self->h.device, NTFY));

	/* Positive control on the channel: the firmware did notify. */
	ch = chan_open(self->h.device, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, fw_notify(self->h.device, 0x91));
	ASSERT_EQ(1, chan_read(ch, &r, 1, 5000));
	EXPECT_EQ(0x91, r.value);
	EXPECT_EQ(-ETIMEDOUT, eventfd_wait(self->efd, 1000, &v));

	/* fd -1 also disables; with nothing enabled it is accepted. */
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
	EXPECT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, -1));
	EXPECT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, -1));
	close(ch);
}

TEST_F(ntfy, bad_input)
{
	int32_t fds[2] = { self->efd, self->efd };
	int other = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t v;

	ASSERT_LE(0, other);
	/* count 2, start 1: one vector only. */
	EXPECT_EQ(-EINVAL, irqn_set(self->h.device, VFIO_IRQ_SET_ACTION_TRIGGER |
				    VFIO_IRQ_SET_DATA_EVENTFD, 0, 2, fds, 8));
	EXPECT_EQ(-EINVAL, irqn_set(self->h.device, VFIO_IRQ_SET_ACTION_TRIGGER |
				    VFIO_IRQ_SET_DATA_EVENTFD, 1, 1, fds, 4));
	/* Not maskable. */
	EXPECT_EQ(-ENOTTY, irqn_set(self->h.device, VFIO_IRQ_SET_ACTION_MASK |
				    VFIO_IRQ_SET_DATA_NONE, 0, 1, NULL, 0));
	/* Two data types at once, unknown flags. */
	EXPECT_EQ(-EINVAL, irqn_set(self->h.device, VFIO_IRQ_SET_ACTION_TRIGGER |
				    VFIO_IRQ_SET_DATA_EVENTFD |
				    VFIO_IRQ_SET_DATA_BOOL, 0, 1, fds, 4));
	EXPECT_EQ(-EINVAL, irqn_set(self->h.device, 1u << 31, 0, 1, fds, 4));
	/* EVENTFD with count 0; bad fds. */
	EXPECT_EQ(-EINVAL, irqn_set(self->h.device, VFIO_IRQ_SET_ACTION_TRIGGER |
				    VFIO_IRQ_SET_DATA_EVENTFD, 0, 0, NULL, 0));
	EXPECT_EQ(-EINVAL, irq_set_eventfd(self->h.device, NTFY, 0, -5));
	EXPECT_EQ(-EBADF, irq_set_eventfd(self->h.device, NTFY, 0, 9999));
	EXPECT_EQ(-EINVAL, irq_set_eventfd(self->h.device, NTFY, 0, self->h.group));

	/* Enabling twice replaces the eventfd. */
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, other));
	ASSERT_EQ(0, acpi_notify_loopback(self->h.device, 7));
	EXPECT_EQ(EFD_GAIN(7), efd_collect(other, EFD_GAIN(7), 2000));
	EXPECT_EQ(-ETIMEDOUT, eventfd_wait(self->efd, 300, &v));
	close(other);
}

/* The index exists everywhere; without an ACPI node it has no vector. */
TEST(no_companion)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = NTFY };
	struct vfio_handles h;
	int efd = eventfd(0, EFD_CLOEXEC);

	if (vfioext_pci_iommu_group(NOACPI_BDF) < 0)
		SKIP(return, "no %s on this machine", NOACPI_BDF);
	ASSERT_EQ(0, vfioext_pci_bind(NODSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfioext_pci_bind(NOACPI_BDF, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, vfio_open_all(&h, NOACPI_BDF));
	ASSERT_EQ(0, ioctl(h.device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_EQ(0, ii.count);
	EXPECT_EQ(-EINVAL, irq_set_eventfd(h.device, NTFY, 0, efd));
	EXPECT_EQ(-ENODEV, chan_open(h.device, 0));
	vfio_close_all(&h);
	close(efd);
}

/* A reader that falls behind sees exactly how many it missed. */
TEST_F(ntfy, overflow_is_counted)
{
	int q = VFIO_EXT_ACPI_NOTIFY_QUEUE, i, ch;
	REC r[VFIO_EXT_ACPI_NOTIFY_QUEUE];

	ch = chan_open(self->h.device, VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK);
	ASSERT_LE(0, ch);
	for (i = 0; i < q + 44; i++)
		ASSERT_EQ(0, acpi_notify_loopback(self->h.device, i & 0xff));
	ASSERT_EQ(q * sizeof(REC), read(ch, r, sizeof(r)));
	EXPECT_EQ(0, r[0].dropped);
	EXPECT_EQ(r[0].seq + q - 1, r[q - 1].seq);
	EXPECT_EQ((q - 1) & 0xff, r[q - 1].value);
	/* The next record carries the 44 that found the queue full. */
	ASSERT_EQ(0, acpi_notify_loopback(self->h.device, 0x33));
	ASSERT_EQ(sizeof(REC), read(ch, r, sizeof(r)));
	EXPECT_EQ(44, r[0].dropped);
	EXPECT_EQ(0x33, r[0].value);
	close(ch);
}

struct storm {
	int device;
	int stop;
	unsigned long sent;
};

static void *storm_loopback(void *arg)
{
	struct storm *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (!acpi_notify_loopback(s->device, 1))
			__atomic_add_fetch(&s->sent, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *storm_firmware(void *arg)
{
	struct storm *s = arg;
	int i;

	for (i = 0; i < 20 && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
	     i++)
		fw_notify3(s->device);
	return NULL;
}

/* Read what is queued; check seq = previous seq + 1 + dropped. */
static void account(int ch, uint64_t *expect_seq, int *total, int *dropped,
		    bool *ok)
{
	REC r[64];
	int n, i;

	while ((n = read(ch, r, sizeof(r))) > 0) {
		for (i = 0; i < n / (int)sizeof(r[0]); i++) {
			if (*expect_seq != UINT64_MAX &&
			    r[i].seq != *expect_seq + r[i].dropped)
				*ok = false;
			*expect_seq = r[i].seq + 1;
			(*total)++;
			*dropped += r[i].dropped;
		}
	}
}

/*
 * Enable/disable racing a storm of loopback and firmware notifications:
 * nothing breaks, and the channel accounts for every notification (each
 * record's seq = previous seq + 1 + dropped), even when it overflows.
 */
TEST_F_TIMEOUT(ntfy, storm, 120)
{
	struct storm s = { .device = self->h.device };
	pthread_t lt, ft;
	uint64_t v, expect_seq;
	int ch, i, total = 0, dropped = 0;
	bool ok = true;

	ch = chan_open(self->h.device, VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, pthread_create(&lt, NULL, storm_loopback, &s));
	ASSERT_EQ(0, pthread_create(&ft, NULL, storm_firmware, &s));
	expect_seq = UINT64_MAX;
	/*
	 * At least 300 cycles, and on until the loopback thread got 500
	 * notifications in (a loaded host may schedule it rarely; loopbacks
	 * only land while enabled): the race must really happen.  Bounded.
	 */
	for (i = 0; i < 300 || (__atomic_load_n(&s.sent, __ATOMIC_RELAXED) <
				500 && i < 200000); i++) {
		EXPECT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
		eventfd_wait(self->efd, 0, &v);
		if (i % 16 == 15)
			sched_yield();	/* a turn for the loopback thread */
		irq_disable(self->h.device, NTFY);
		/* Drain now and then, so the queue both fills and empties. */
		if (i % 50 == 49)
			account(ch, &expect_seq, &total, &dropped, &ok);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(lt, NULL);
	pthread_join(ft, NULL);
	usleep(500 * 1000);	/* let queued firmware notifications land */

	account(ch, &expect_seq, &total, &dropped, &ok);
	EXPECT_TRUE(ok);
	EXPECT_LE(500, s.sent);
	EXPECT_LT(100, total);
	TH_LOG("%lu loopbacks sent, %d records read, %d dropped", s.sent,
	       total, dropped);
	close(ch);
}

struct efd_reader {
	int efd;
	uint64_t want;		/* stop once the counter reached this */
	uint64_t sum, reads, torn;
	uint64_t unit;		/* every read must be a multiple of it */
};

static void *efd_reader(void *arg)
{
	struct efd_reader *r = arg;
	uint64_t v;

	while (r->sum < r->want && !eventfd_wait(r->efd, 5000, &v)) {
		r->sum += v;
		__atomic_add_fetch(&r->reads, 1, __ATOMIC_RELEASE);
		if (v % r->unit)
			r->torn++;
	}
	return NULL;
}

/*
 * A reader racing a storm of notifications never sees part of one: each
 * read is a whole number of notifications (of the value before 6.8, of
 * 1 from 6.8: uapi.rst), and the reads add up to exactly the storm.
 * Adding a value as n separate signals, as a kernel without an n-adding
 * eventfd_signal() would have to, fails both.
 */
TEST_F_TIMEOUT(ntfy, eventfd_storm_reader, 120)
{
	const uint32_t value = 0x80;
	const int n = 2000;
	struct efd_reader r = {
		.efd = self->efd, .unit = EFD_GAIN(value),
		.want = (uint64_t)n * EFD_GAIN(value),
	};
	pthread_t t;
	int i;

	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
	ASSERT_EQ(0, pthread_create(&t, NULL, efd_reader, &r));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, acpi_notify_loopback(self->h.device, value));
		/*
		 * Halfway, let the reader in (bounded: 2 s) so that reads
		 * and notifications really interleave, however the two
		 * threads are scheduled.
		 */
		if (i == n / 2) {
			int ms;

			for (ms = 0; ms < 2000 &&
			     !__atomic_load_n(&r.reads, __ATOMIC_ACQUIRE); ms++)
				usleep(1000);
		}
	}
	pthread_join(t, NULL);
	TH_LOG("%d notifications of 0x%x, %lu reads", n, value, r.reads);
	EXPECT_EQ(0, r.torn);
	EXPECT_EQ(r.want, r.sum);
	/* Nothing more than the storm was added. */
	EXPECT_EQ(-ETIMEDOUT, eventfd_wait(self->efd, 300, &r.sum));
	/* The reader really raced the writer (not one read at the end). */
	EXPECT_LT(1, r.reads);
}

struct chan_reader {
	int fd;
	int *stop;
	unsigned long records, eofs, errors;
};

static void *chan_reader(void *arg)
{
	struct chan_reader *r = arg;
	ssize_t len;
	REC rec;

	while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
		len = read(r->fd, &rec, sizeof(rec));
		if (len == sizeof(rec))
			r->records++;
		else if (len == 0)
			r->eofs++;
		else
			r->errors++;
	}
	return NULL;
}

/*
 * Several blocking readers on one channel, the device open throughout:
 * each wake-up hands the record to one reader, and the others go back to
 * waiting.  None may see 0 (end of channel) or an error.
 */
TEST_F_TIMEOUT(ntfy, blocking_readers_never_see_eof, 90)
{
	enum { READERS = 4, NOTIFY = 3000 };
	struct chan_reader r[READERS];
	unsigned long records = 0, eofs = 0, errors = 0, sent = 0;
	pthread_t t[READERS];
	int ch, i, stop = 0;

	ch = chan_open(self->h.device, 0);
	ASSERT_LE(0, ch);
	for (i = 0; i < READERS; i++) {
		r[i] = (struct chan_reader){ .fd = ch, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, chan_reader, &r[i]));
	}
	for (i = 0; i < NOTIFY; i++) {
		if (!acpi_notify_loopback(self->h.device, 1))
			sent++;
		if (!(i % 8))
			usleep(200);	/* let the readers block again */
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	/* A reader still blocked needs one more record to see @stop. */
	for (i = 0; i < READERS; i++)
		acpi_notify_loopback(self->h.device, 1);
	for (i = 0; i < READERS; i++) {
		pthread_join(t[i], NULL);
		records += r[i].records;
		eofs += r[i].eofs;
		errors += r[i].errors;
	}
	TH_LOG("%lu sent, %lu records, %lu EOFs, %lu errors", sent, records,
	       eofs, errors);
	EXPECT_EQ(NOTIFY, sent);
	EXPECT_EQ(0, eofs);
	EXPECT_EQ(0, errors);
	/* The queue may drop under TCG; the readers really read. */
	EXPECT_LT(READERS, records);
	close(ch);
}

/* Close the device with the channel open: drain, then EOF and HUP. */
TEST_F_TIMEOUT(ntfy, close_device_first, 60)
{
	struct pollfd p;
	REC r[2];
	int ch;

	ch = chan_open(self->h.device, 0);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
	ASSERT_EQ(0, acpi_notify_loopback(self->h.device, 5));
	EXPECT_EQ(EFD_GAIN(5), efd_collect(self->efd, EFD_GAIN(5), 2000));
	vfio_close_all(&self->h);

	ASSERT_EQ(sizeof(r[0]), read(ch, r, sizeof(r)));
	EXPECT_EQ(5, r[0].value);
	EXPECT_EQ(0, read(ch, r, sizeof(r)));
	p.fd = ch;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_TRUE(p.revents & POLLHUP);
	close(ch);
	/* And the device opens again, notifications work again. */
	ASSERT_EQ(0, vfio_open_all(&self->h, DSM_BDF));
	ASSERT_EQ(0, irq_set_eventfd(self->h.device, NTFY, 0, self->efd));
	ASSERT_EQ(0, acpi_notify_loopback(self->h.device, 9));
	EXPECT_EQ(EFD_GAIN(9), efd_collect(self->efd, EFD_GAIN(9), 2000));
}

/*
 * Unbind with the channel open: the channel does not hold the device, the
 * unbind completes once the device fd is closed; the module stays loaded
 * until the channel goes.
 */
TEST_F_TIMEOUT(ntfy, unbind_and_unload_with_channel, 60)
{
	char drv[64];
	REC r;
	pid_t pid;
	int status, ch;

	ch = chan_open(self->h.device, 0);
	ASSERT_LE(0, ch);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		vfio_close_all(&self->h);
		close(ch);
		_exit(sysfs_write_str("/sys/bus/pci/drivers/vfio-pci-ext/unbind",
				      DSM_BDF) ? 1 : 0);
	}
	usleep(300 * 1000);
	vfio_close_all(&self->h);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, vfioext_pci_driver(DSM_BDF, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	EXPECT_EQ(0, read(ch, &r, sizeof(r)));

	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "vfio_pci_ext", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(ch);
	ASSERT_EQ(0, syscall(SYS_delete_module, "vfio_pci_ext", O_NONBLOCK));
	ASSERT_EQ(0, system("modprobe vfio_pci_ext"));
	ASSERT_EQ(0, vfioext_pci_bind(DSM_BDF, VFIO_EXT_PCI_DRIVER_NAME));
}

/*
 * Bus reset of the device behind the root port, as a VMM does it: the
 * info lists it alone, and a reset with its group's fd works.  Returns 0
 * or -errno of the failing step; *@ndev receives the info's count.
 */
static int hot_reset(struct vfio_handles *h, uint32_t *ndev)
{
	char ibuf[sizeof(struct vfio_pci_hot_reset_info) +
		  4 * sizeof(struct vfio_pci_dependent_device)];
	char rbuf[sizeof(struct vfio_pci_hot_reset) + sizeof(int32_t)];
	struct vfio_pci_hot_reset_info *info = (void *)ibuf;
	struct vfio_pci_hot_reset *reset = (void *)rbuf;

	memset(ibuf, 0, sizeof(ibuf));
	info->argsz = sizeof(ibuf);
	if (ioctl(h->device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info))
		return -errno;
	*ndev = info->count;
	memset(rbuf, 0, sizeof(rbuf));
	reset->argsz = sizeof(rbuf);
	reset->count = 1;
	reset->group_fds[0] = h->group;
	return ioctl(h->device, VFIO_DEVICE_PCI_HOT_RESET, reset) ? -errno : 0;
}

/*
 * The channel left open must not keep the device in vfio-pci-core's reset
 * set once the device is unbound: the next driver's hot reset and close
 * behave as if the channel did not exist (as after a plain vfio-pci user).
 * @first: the driver of the first user, who leaves the channel open
 * (vfio-pci has none: the baseline); @remove: the function is removed and
 * rescanned (a new pci_dev) instead of rebound; @driver: the driver it is
 * bound to next.
 */
static void channel_then_rebind(struct __test_metadata *_metadata,
				const char *first, bool remove,
				const char *driver)
{
	struct drv_binding b = { 0 };
	struct vfio_handles h;
	char bdf[VFIOEXT_BDF_LEN], path[128];
	uint32_t ndev = 0;
	int ch, i;

	vfio_handles_init(&h);
	ASSERT_EQ(0, edu_find(EDU_BEHIND_PORT, bdf));
	ASSERT_EQ(0, drv_bind_save(&b, bdf, first));
	ASSERT_EQ(0, vfio_open_all(&h, bdf));
	ch = strcmp(first, "vfio-pci") ? chan_open(h.device, 0) : -1;
	if (strcmp(first, "vfio-pci"))
		ASSERT_LE(0, ch);
	vfio_close_all(&h);

	if (remove) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove",
			 bdf);
		ASSERT_EQ(0, sysfs_write_str(path, "1"));
		ASSERT_EQ(0, sysfs_write_str("/sys/bus/pci/rescan", "1"));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
		for (i = 0; i < 100 && access(path, F_OK); i++)
			usleep(50 * 1000);
		ASSERT_EQ(0, access(path, F_OK));
	}
	ASSERT_EQ(0, vfioext_pci_bind(bdf, driver));
	ASSERT_EQ(0, vfio_open_all(&h, bdf));
	EXPECT_EQ(0, hot_reset(&h, &ndev));
	EXPECT_EQ(1, ndev);
	/* The close resets the device too (the core's reset on last close). */
	vfio_close_all(&h);
	ASSERT_EQ(0, vfio_open_all(&h, bdf));
	EXPECT_EQ(0, hot_reset(&h, &ndev));
	vfio_close_all(&h);

	/* The channel ended with the device; closing it late is harmless. */
	if (ch >= 0) {
		EXPECT_EQ(0, read(ch, path, sizeof(REC)));
		close(ch);
	}
	drv_restore(&b);
}

/* The same sequences after a vfio-pci user: what the others must match. */
TEST_F_TIMEOUT(ntfy, baseline_vfio_pci_then_rebind, 60)
{
	channel_then_rebind(_metadata, "vfio-pci", false, "vfio-pci");
}

TEST_F_TIMEOUT(ntfy, baseline_vfio_pci_then_remove, 60)
{
	channel_then_rebind(_metadata, "vfio-pci", true, "vfio-pci");
}

TEST_F_TIMEOUT(ntfy, channel_then_rebind_vfio_pci, 60)
{
	channel_then_rebind(_metadata, VFIO_EXT_PCI_DRIVER_NAME, false,
			    "vfio-pci");
}

TEST_F_TIMEOUT(ntfy, channel_then_rebind_same_driver, 60)
{
	channel_then_rebind(_metadata, VFIO_EXT_PCI_DRIVER_NAME, false,
			    VFIO_EXT_PCI_DRIVER_NAME);
}

TEST_F_TIMEOUT(ntfy, channel_then_remove, 60)
{
	channel_then_rebind(_metadata, VFIO_EXT_PCI_DRIVER_NAME, true,
			    VFIO_EXT_PCI_DRIVER_NAME);
}

/* The library wraps enable/disable/test and the channel. */
TEST_F(ntfy, library)
{
	struct vfio_ext_acpi_notify_record r[4];
	struct vfioext_container *c;
	struct vfioext_group *g;
	struct vfioext_device *d;
	int ch;

	vfio_close_all(&self->h);
	ASSERT_EQ(0, vfioext_open_device(DSM_BDF, VFIO_TYPE1v2_IOMMU, &c, &g,
					 &d));
	ch = vfioext_acpi_notify_open(d, 0);
	ASSERT_LE(0, ch);
	EXPECT_EQ(-EBUSY, vfioext_acpi_notify_open(d, 0));
	EXPECT_EQ(-ETIMEDOUT, vfioext_acpi_notify_read(ch, r, 4, 100));
	ASSERT_EQ(0, vfioext_acpi_notify_enable(d, self->efd));
	ASSERT_EQ(0, vfioext_acpi_notify_test(d, 0x21));
	EXPECT_EQ(EFD_GAIN(0x21), efd_collect(self->efd, EFD_GAIN(0x21), 2000));
	ASSERT_EQ(1, vfioext_acpi_notify_read(ch, r, 4, 2000));
	EXPECT_EQ(0x21, r[0].value);
	EXPECT_EQ(-EINVAL, vfioext_acpi_notify_test(d, 300));
	EXPECT_EQ(0, vfioext_acpi_notify_disable(d));
	EXPECT_EQ(-EINVAL, vfioext_acpi_notify_disable(d));
	vfioext_device_close(d);
	/* The device is closed: EOF. */
	EXPECT_EQ(0, vfioext_acpi_notify_read(ch, r, 4, 1000));
	close(ch);
	vfioext_group_close(g);
	vfioext_container_close(c);
}

/* The number after "key": in a flat JSON object line; -1 if absent. */
static long long json_num(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* The CLI watches the channel; its JSON lines carry every field. */
TEST_F(ntfy, cli_watch)
{
	char line[256], cmd[128];
	FILE *f;

	if (access("/usr/bin/vfio-ext", X_OK))
		SKIP(return, "vfio-ext CLI not in the guest (vmrun --file)");
	vfio_close_all(&self->h);
	snprintf(cmd, sizeof(cmd), "vfio-ext watch -j -n 1 -t 10 --loopback 66 %s",
		 DSM_BDF);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	EXPECT_EQ(0, pclose(f));
	EXPECT_EQ(66, json_num(line, "value"));
	EXPECT_EQ(0, json_num(line, "dropped"));
	EXPECT_LE(0, json_num(line, "seq"));
	EXPECT_LT(0, json_num(line, "timestamp_ns"));
	EXPECT_NE(NULL, strstr(line, "\"loopback\":true"));
	EXPECT_EQ(0, strncmp(line, "{\"seq\":", 7));
	EXPECT_EQ(0, strcmp(line + strlen(line) - 2, "}\n"));
}

TEST_HARNESS_MAIN
