// SPDX-License-Identifier: GPL-2.0-only
/*
 * Teardown matrix: a VMM process (a forked child holding container, group
 * and device of vfio-pci-ext on the pviommu backend) is SIGKILLed at a
 * random moment during a storm of map/unmap/batch/guest-domain calls, of
 * notifications (loopback and firmware Notify through the _DSM, eventfd
 * and channel both listening) and of _DSM calls (fast ones and a 1 s
 * firmware Sleep); the device is unbound while a VMM storms on it; the
 * modules are asked to unload while in use.  After every kill: nothing
 * hangs (waitpid returns; the harness timeout is the hang detector), our
 * module reference counts are back to their baseline, the group opens
 * again, the device answers a _DSM; after the whole matrix an edu DMA
 * round trip works and both modules unload and load again.  kmemleak and
 * KASAN/lockdep are checked by the runner.
 *
 * The kill times come from a seeded generator (selftests/common/fuzz.h):
 * the seed is printed, VFIOEXT_FUZZ_SEED replays it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "acpi_common.h"
#include "fuzz.h"

#define ROUNDS		6
#define STORM_BUF	(4 * 1024 * 1024)

enum storm { STORM_MAP, STORM_NOTIFY, STORM_DSM };

static void storm_map(struct vfio_handles *h, struct fuzz *f)
{
	uint8_t *buf = mmap(NULL, STORM_BUF, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct vfio_ext_pviommu_domain d = { .argsz = sizeof(d) };
	struct vfio_ext_pviommu_attach at = {
		.argsz = sizeof(at), .group = h->group_id, .vsid = 1,
	};

	if (buf == MAP_FAILED)
		_exit(2);
	/* A guest domain with the endpoint in it: more state to tear down. */
	if (!ioctl(h->container, VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &d)) {
		at.domain = d.id;
		ioctl(h->container, VFIO_EXT_PVIOMMU_ATTACH, &at);
	}
	for (;;) {
		uint64_t off = 4096 * fuzz_below(f, STORM_BUF / 4096 - 64);
		uint64_t size = 4096 * (1 + fuzz_below(f, 64));
		uint64_t iova = 0x1000000 + off;

		dma_map(h->container, buf + off, iova, size,
			VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
		if (fuzz_one_in(f, 2))
			dma_unmap(h->container, iova, size);
	}
}

static void storm_notify(struct vfio_handles *h, struct fuzz *f)
{
	struct vfio_ext_acpi_notify_fd a = { .argsz = sizeof(a) };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ch = ioctl(h->device, VFIO_EXT_DEVICE_ACPI_NOTIFY_FD, &a);
	struct dsm_buf *b = malloc(sizeof(*b));

	if (efd < 0 || ch < 0 || !b ||
	    irq_set_eventfd(h->device, VFIO_PCI_ACPI_NTFY_IRQ_INDEX, 0, efd))
		_exit(2);
	for (;;) {
		uint32_t v = 0x80 + fuzz_below(f, 0x40);

		if (fuzz_one_in(f, 8)) {
			blob_init(b, 0, FN_NOTIFY3);	/* firmware Notify */
			dsm(h->device, b, VFIO_EXT_DEVICE_ACPI_DSM);
		} else {
			acpi_notify_loopback(h->device, v);
		}
	}
}

struct dsm_storm {
	struct vfio_handles *h;
	struct fuzz f;
};

static void *dsm_caller(void *arg)
{
	static const uint64_t fns[] = { 1, 4, 5, 7, 9 };	/* 7: 1 s Sleep */
	struct dsm_storm *s = arg;
	struct dsm_buf *b = malloc(sizeof(*b));

	if (!b)
		_exit(2);
	for (;;) {
		blob_init(b, 0, fns[fuzz_below(&s->f, 5)]);
		dsm(s->h->device, b, VFIO_EXT_DEVICE_ACPI_DSM);
	}
	return NULL;
}

static void storm_dsm(struct vfio_handles *h, struct fuzz *f)
{
	struct dsm_storm a = { h, *f }, b = { h, *f };
	pthread_t t;

	/* A second caller waits for the first on the device's lock. */
	fuzz_u64(&b.f);
	if (pthread_create(&t, NULL, dsm_caller, &b))
		_exit(2);
	dsm_caller(&a);
}

/*
 * The VMM: opens everything, tells the parent it is ready, storms until
 * killed.  Returns its pid; the ready byte has been read.
 */
static pid_t start_vmm(const char *bdf, enum storm kind, struct fuzz *f)
{
	struct vfio_handles h;
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	/* The child draws from its own copy of the generator. */
	fuzz_u64(f);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(p[0]);
		if (vfio_open_all_iommu(&h, bdf, VFIO_EXT_PVIOMMU_IOMMU))
			_exit(3);
		if (write(p[1], "r", 1) != 1)
			_exit(3);
		if (kind == STORM_MAP)
			storm_map(&h, f);
		else if (kind == STORM_NOTIFY)
			storm_notify(&h, f);
		else
			storm_dsm(&h, f);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* SIGKILL the VMM; reap it (all its threads are gone, so are its files). */
static int kill_vmm(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

FIXTURE(td) {
	char bdf[VFIOEXT_BDF_LEN];
	struct fuzz f;
	int ref_ext, ref_pv;
	struct dsm_buf *b;
};

FIXTURE_SETUP(td)
{
	if (edu_find(EDU_ALONE, self->bdf))
		SKIP(_exit(255), "no edu device on this machine");
	if (!test_ssdt_loaded())
		SKIP(_exit(255), "test SSDT not loaded");
	ASSERT_EQ(0, vfioext_pci_bind(self->bdf, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, write_policy(self->bdf, "allow " TEST_UUID " all"));
	self->b = malloc(sizeof(*self->b));
	ASSERT_NE(NULL, self->b);
	self->ref_ext = module_refcnt("vfio_pci_ext");
	self->ref_pv = module_refcnt("vfio_pviommu");
	ASSERT_LE(0, self->ref_ext);
	ASSERT_LE(0, self->ref_pv);
	fuzz_init(&self->f, "teardown kill times", ROUNDS);
}

FIXTURE_TEARDOWN(td)
{
	write_policy(self->bdf, "reset");
	free(self->b);
}

/* After a VMM is gone: references back, the device opens and answers. */
static void check_released(struct __test_metadata *_metadata,
			   FIXTURE_DATA(td) *self)
{
	struct vfio_handles h;

	EXPECT_EQ(self->ref_ext, module_refcnt("vfio_pci_ext"));
	EXPECT_EQ(self->ref_pv, module_refcnt("vfio_pviommu"));
	ASSERT_EQ(0, vfio_open_all_iommu(&h, self->bdf,
					 VFIO_EXT_PVIOMMU_IOMMU));
	blob_init(self->b, 0, 1);
	EXPECT_EQ(0, dsm(h.device, self->b, VFIO_EXT_DEVICE_ACPI_DSM));
	EXPECT_EQ(0x12345678ULL, *(uint64_t *)(self->b->args + 40));
	vfio_close_all(&h);
}

static void kill_rounds(struct __test_metadata *_metadata,
			FIXTURE_DATA(td) *self, enum storm kind,
			unsigned int max_ms)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		unsigned int ms = fuzz_below(&self->f, max_ms);
		pid_t pid = start_vmm(self->bdf, kind, &self->f);

		ASSERT_LT(0, pid);
		usleep(ms * 1000);
		ASSERT_EQ(0, kill_vmm(pid)) {
			TH_LOG("round %d (kill after %u ms): the VMM did not die of SIGKILL",
			       i, ms);
		}
		check_released(_metadata, self);
	}
}

TEST_F_TIMEOUT(td, sigkill_map_storm, 300)
{
	kill_rounds(_metadata, self, STORM_MAP, 400);
}

TEST_F_TIMEOUT(td, sigkill_notify_storm, 300)
{
	kill_rounds(_metadata, self, STORM_NOTIFY, 400);
}

TEST_F_TIMEOUT(td, sigkill_dsm_calls, 300)
{
	kill_rounds(_metadata, self, STORM_DSM, 1500);
}

/* Unbind while a VMM storms: the unbind waits for it; killing it ends the
 * wait; the device binds again and works.
 */
TEST_F_TIMEOUT(td, unbind_during_storm, 300)
{
	char path[128], drv[64];
	int status;
	pid_t pid, unbinder;

	pid = start_vmm(self->bdf, STORM_MAP, &self->f);
	ASSERT_LT(0, pid);
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind",
		 VFIO_EXT_PCI_DRIVER_NAME);
	unbinder = fork();
	ASSERT_LE(0, unbinder);
	if (!unbinder)
		_exit(sysfs_write_str(path, self->bdf) ? 1 : 0);
	usleep(fuzz_below(&self->f, 500) * 1000);
	/* Blocked on the VMM, which ignores the device request. */
	EXPECT_EQ(0, waitpid(unbinder, &status, WNOHANG));
	ASSERT_EQ(0, kill_vmm(pid));
	ASSERT_EQ(unbinder, waitpid(unbinder, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, vfioext_pci_driver(self->bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);
	ASSERT_EQ(0, vfioext_pci_bind(self->bdf, VFIO_EXT_PCI_DRIVER_NAME));
	ASSERT_EQ(0, write_policy(self->bdf, "allow " TEST_UUID " all"));
	check_released(_metadata, self);
}

/* Neither module goes while a VMM storms; both go (and come back) once it
 * is killed, and the device still carries DMA.
 */
TEST_F_TIMEOUT(td, unload_in_use_then_dma, 300)
{
	struct vfio_handles h;
	char drv[64];
	pid_t pid;

	pid = start_vmm(self->bdf, STORM_MAP, &self->f);
	ASSERT_LT(0, pid);
	usleep(fuzz_below(&self->f, 300) * 1000);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "vfio_pviommu", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "vfio_pci_ext", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(0, kill_vmm(pid));
	check_released(_metadata, self);

	/* Nothing holds them: both unload, and come back. */
	ASSERT_EQ(0, syscall(SYS_delete_module, "vfio_pviommu", O_NONBLOCK));
	ASSERT_EQ(0, syscall(SYS_delete_module, "vfio_pci_ext", O_NONBLOCK));
	ASSERT_EQ(0, system("modprobe vfio_pviommu && modprobe vfio_pci_ext"));
	ASSERT_EQ(0, vfioext_pci_driver(self->bdf, drv, sizeof(drv)));
	EXPECT_STREQ(VFIO_EXT_PCI_DRIVER_NAME, drv);
	ASSERT_EQ(0, write_policy(self->bdf, "allow " TEST_UUID " all"));
	self->ref_ext = module_refcnt("vfio_pci_ext");
	self->ref_pv = module_refcnt("vfio_pviommu");

	/* DMA through the reloaded backend: RAM -> edu -> RAM. */
	ASSERT_EQ(0, vfio_open_all_iommu(&h, self->bdf,
					 VFIO_EXT_PVIOMMU_IOMMU));
	EXPECT_EQ(0, edu_dma_check(&h));
	vfio_close_all(&h);
}

TEST_HARNESS_MAIN
