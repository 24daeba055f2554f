// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host unit tests for libvfio-ext's netlink decoding: replies and events
 * built with libnl as the kernel lays them out, malformed ones (wrong
 * sizes, missing identity, strings without NUL, bad nests), attributes
 * from a newer kernel (ignored), and extended ACK extraction from
 * hostile error messages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "internal.h"

#define FAMILY	0x20

static struct nl_msg *reply(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	if (m)
		genlmsg_put(m, 0, 0, FAMILY, 0, 0, cmd, VFIO_EXT_GENL_VERSION);
	return m;
}

/* What a description holds, copied out. */
static struct vfioext_nl_dev_info nl_dev_info(const struct vfioext_nl_dev *d)
{
	struct vfioext_nl_dev_info i = { .struct_size = sizeof(i) };

	vfioext_nl_dev_info(d, &i);
	return i;
}

static struct vfioext_nl_region nl_dev_region(const struct vfioext_nl_dev *d,
					      size_t k)
{
	struct vfioext_nl_region r = { .struct_size = sizeof(r) };

	vfioext_nl_dev_region(d, k, &r);
	return r;
}

static struct vfioext_nl_irq nl_dev_irq(const struct vfioext_nl_dev *d,
					size_t k)
{
	struct vfioext_nl_irq q = { .struct_size = sizeof(q) };

	vfioext_nl_dev_irq(d, k, &q);
	return q;
}

static struct vfioext_nl_pviommu_info
nl_pv_info(const struct vfioext_nl_pviommu *p)
{
	struct vfioext_nl_pviommu_info i = { .struct_size = sizeof(i) };

	vfioext_nl_pviommu_info(p, &i);
	return i;
}

static struct vfioext_nl_endpoint nl_pv_ep(const struct vfioext_nl_pviommu *p,
					   size_t k)
{
	struct vfioext_nl_endpoint e = { .struct_size = sizeof(e) };

	vfioext_nl_pviommu_endpoint(p, k, &e);
	return e;
}

static struct vfioext_nl_domain nl_pv_dom(const struct vfioext_nl_pviommu *p,
					  size_t k)
{
	struct vfioext_nl_domain d = { .struct_size = sizeof(d) };

	vfioext_nl_pviommu_domain(p, k, &d);
	return d;
}

static void put_region(struct nl_msg *m, uint32_t idx, uint64_t size,
		       uint32_t flags)
{
	struct nlattr *n = nla_nest_start(m, 1);

	nla_put_u32(m, VFIO_EXT_REGION_A_INDEX, idx);
	nla_put_u64(m, VFIO_EXT_REGION_A_SIZE, size);
	nla_put_u32(m, VFIO_EXT_REGION_A_FLAGS, flags);
	nla_nest_end(m, n);
}

static struct nl_msg *full_dev(void)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_DEV_GET);
	struct nlattr *n, *i;
	uint32_t k;

	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	nla_put_u32(m, VFIO_EXT_A_DEV_VENDOR, 0x1234);
	nla_put_u32(m, VFIO_EXT_A_DEV_DEVICE, 0x11e8);
	nla_put_u32(m, VFIO_EXT_A_DEV_IOMMU_GROUP, 3);
	nla_put_string(m, VFIO_EXT_A_DEV_DRIVER, "vfio-pci-ext");
	nla_put_u32(m, VFIO_EXT_A_DEV_OPEN, 1);
	nla_put_u32(m, VFIO_EXT_A_DEV_OPENER_PID, 77);
	nla_put_u32(m, VFIO_EXT_A_DEV_KVM_PID, 78);
	nla_put_string(m, VFIO_EXT_A_DEV_ACPI_PATH, "\\_SB_.PCI0.S80_");
	nla_put_string(m, VFIO_EXT_A_DSM_POLICY, "allow * 0\n");
	nla_put_u64(m, VFIO_EXT_A_DSM_CALLS, 5);
	nla_put_u64(m, VFIO_EXT_A_DSM_DENIED, 6);
	nla_put_u32(m, VFIO_EXT_A_NOTIFY_HANDLER, 1);
	nla_put_u32(m, VFIO_EXT_A_NOTIFY_EVENTFD, 0);
	nla_put_u32(m, VFIO_EXT_A_NOTIFY_CHANNEL, 1);
	nla_put_u64(m, VFIO_EXT_A_NOTIFY_COUNT, 9);
	nla_put_u32(m, VFIO_EXT_A_POWER_STATE, VFIO_EXT_PCI_POWER_STATE_D3HOT);
	nla_put_u32(m, VFIO_EXT_A_POWER_RUNTIME, VFIO_EXT_RUNTIME_PM_SUSPENDED);
	nla_put_u32(m, VFIO_EXT_A_POWER_LOW_POWER, 1);
	n = nla_nest_start(m, VFIO_EXT_A_DEV_REGIONS);
	put_region(m, 0, 0x100000, 7);
	put_region(m, 7, 256, 3);
	nla_nest_end(m, n);
	n = nla_nest_start(m, VFIO_EXT_A_DEV_IRQS);
	for (k = 0; k < 6; k++) {
		i = nla_nest_start(m, k + 1);
		nla_put_u32(m, VFIO_EXT_IRQ_A_INDEX, k);
		nla_put_u32(m, VFIO_EXT_IRQ_A_COUNT, k + 10);
		nla_nest_end(m, i);
	}
	nla_nest_end(m, n);
	return m;
}

TEST(dev_full)
{
	struct nl_msg *m = full_dev();
	struct vfioext_nl_dev *d = NULL;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	EXPECT_STREQ("0000:00:10.0", nl_dev_info(d).name);
	EXPECT_EQ(0x1234, nl_dev_info(d).vendor);
	EXPECT_EQ(0x11e8, nl_dev_info(d).device);
	EXPECT_EQ(3, nl_dev_info(d).iommu_group);
	EXPECT_STREQ("vfio-pci-ext", nl_dev_info(d).driver);
	EXPECT_EQ(1, nl_dev_info(d).open);
	EXPECT_EQ(77, nl_dev_info(d).opener_pid);
	EXPECT_EQ(78, nl_dev_info(d).kvm_pid);
	EXPECT_STREQ("\\_SB_.PCI0.S80_", nl_dev_info(d).acpi_path);
	EXPECT_STREQ("allow * 0\n", nl_dev_info(d).dsm_policy);
	EXPECT_EQ(5, nl_dev_info(d).dsm_calls);
	EXPECT_EQ(6, nl_dev_info(d).dsm_denied);
	EXPECT_EQ(1, nl_dev_info(d).notify_handler);
	EXPECT_EQ(0, nl_dev_info(d).notify_eventfd);
	EXPECT_EQ(1, nl_dev_info(d).notify_channel);
	EXPECT_EQ(9, nl_dev_info(d).notify_count);
	EXPECT_STREQ("D3hot", vfioext_nl_pci_power_state_name(nl_dev_info(d).power_state));
	EXPECT_STREQ("suspended", vfioext_nl_runtime_pm_name(nl_dev_info(d).runtime_pm));
	EXPECT_EQ(1, nl_dev_info(d).low_power);
	ASSERT_EQ(2, nl_dev_info(d).nr_regions);
	EXPECT_EQ(0, nl_dev_region(d, 0).index);
	EXPECT_EQ(0x100000, nl_dev_region(d, 0).size);
	EXPECT_EQ(7, nl_dev_region(d, 0).flags);
	EXPECT_EQ(7, nl_dev_region(d, 1).index);
	EXPECT_EQ(256, nl_dev_region(d, 1).size);
	ASSERT_EQ(6, nl_dev_info(d).nr_irqs);
	EXPECT_EQ(5, nl_dev_irq(d, 5).index);
	EXPECT_EQ(15, nl_dev_irq(d, 5).count);
	vfioext_nl_dev_free(d);
	nlmsg_free(m);
}

/* Attributes a newer kernel may add are skipped; absent ones are zero. */
TEST(dev_forward_compatible)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_DEV_GET);
	struct vfioext_nl_dev *d = NULL;

	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:12.1");
	nla_put_u32(m, 250, 1);
	ASSERT_EQ(0, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	EXPECT_STREQ("0000:00:12.1", nl_dev_info(d).name);
	EXPECT_EQ(-1, nl_dev_info(d).iommu_group);
	EXPECT_STREQ("", nl_dev_info(d).dsm_policy);
	EXPECT_STREQ("", nl_dev_info(d).driver);
	EXPECT_EQ(VFIO_EXT_PCI_POWER_STATE_UNKNOWN, nl_dev_info(d).power_state);
	EXPECT_STREQ("", nl_dev_info(d).acpi_path);
	vfioext_nl_dev_free(d);
	nlmsg_free(m);
}

/*
 * Nothing is silently truncated: every region and IRQ index the kernel
 * sends, and the whole ACPI path (1.0 and before kept 8 regions and 63
 * characters of the path, and dropped the rest without a word).
 */
TEST(dev_no_truncation)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_DEV_GET);
	struct vfioext_nl_dev *d;
	struct nlattr *n, *q;
	char path[201];
	uint32_t i;

	memset(path, 'A', sizeof(path) - 1);
	path[0] = '\\';
	path[sizeof(path) - 1] = '\0';
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	nla_put_string(m, VFIO_EXT_A_DEV_ACPI_PATH, path);
	n = nla_nest_start(m, VFIO_EXT_A_DEV_REGIONS);
	for (i = 0; i < 40; i++)
		put_region(m, i, i + 1, 0);
	nla_nest_end(m, n);
	n = nla_nest_start(m, VFIO_EXT_A_DEV_IRQS);
	for (i = 0; i < 12; i++) {
		q = nla_nest_start(m, i + 1);
		nla_put_u32(m, VFIO_EXT_IRQ_A_INDEX, i);
		nla_put_u32(m, VFIO_EXT_IRQ_A_COUNT, 2 * i);
		nla_nest_end(m, q);
	}
	nla_nest_end(m, n);
	ASSERT_EQ(0, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	EXPECT_STREQ(path, nl_dev_info(d).acpi_path);
	ASSERT_EQ(40, nl_dev_info(d).nr_regions);
	for (i = 0; i < 40; i++) {
		struct vfioext_nl_region r = { .struct_size = sizeof(r) };

		ASSERT_EQ(0, vfioext_nl_dev_region(d, i, &r));
		EXPECT_EQ(sizeof(r), r.struct_size);
		EXPECT_EQ(i, r.index);
		EXPECT_EQ(i + 1, r.size);
	}
	ASSERT_EQ(12, nl_dev_info(d).nr_irqs);
	EXPECT_EQ(11, nl_dev_irq(d, 11).index);
	EXPECT_EQ(22, nl_dev_irq(d, 11).count);
	vfioext_nl_dev_free(d);
	nlmsg_free(m);
}

TEST(dev_malformed)
{
	struct vfioext_nl_dev *d = NULL;
	struct nlattr *n;
	struct nl_msg *m;

	/* No name: not a device. */
	m = reply(VFIO_EXT_CMD_DEV_GET);
	nla_put_u32(m, VFIO_EXT_A_DEV_VENDOR, 1);
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	nlmsg_free(m);

	/* A u32 sent as one byte. */
	m = reply(VFIO_EXT_CMD_DEV_GET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	nla_put_u8(m, VFIO_EXT_A_DEV_IOMMU_GROUP, 1);
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	vfioext_nl_dev_free(d);
	nlmsg_free(m);

	/* A string without its NUL. */
	m = reply(VFIO_EXT_CMD_DEV_GET);
	nla_put(m, VFIO_EXT_A_DEV_NAME, 4, "0000");
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	nlmsg_free(m);

	/* A region without its index. */
	m = reply(VFIO_EXT_CMD_DEV_GET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	n = nla_nest_start(m, VFIO_EXT_A_DEV_REGIONS);
	{
		struct nlattr *r = nla_nest_start(m, 1);

		nla_put_u64(m, VFIO_EXT_REGION_A_SIZE, 1);
		nla_nest_end(m, r);
	}
	nla_nest_end(m, n);
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	vfioext_nl_dev_free(d);
	nlmsg_free(m);

	/* A truncated generic netlink header. */
	m = nlmsg_alloc_simple(FAMILY, 0);
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	nlmsg_free(m);
}

TEST(pviommu)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_PVIOMMU_GET);
	struct vfioext_nl_pviommu *p = NULL;
	struct nlattr *n, *e;

	nla_put_u32(m, VFIO_EXT_A_PVIOMMU_ID, 4);
	nla_put_u32(m, VFIO_EXT_A_PVIOMMU_OWNER_PID, 99);
	nla_put_u32(m, VFIO_EXT_A_PVIOMMU_MAPPINGS, 3);
	nla_put_u32(m, VFIO_EXT_A_PVIOMMU_DEF_MAPPINGS, 1);
	nla_put_u64(m, VFIO_EXT_A_PVIOMMU_PINNED, 12);
	nla_put_u32(m, VFIO_EXT_A_PVIOMMU_DMA_LIMIT, 65535);
	n = nla_nest_start(m, VFIO_EXT_A_PVIOMMU_COUNTERS);
	nla_put_u64(m, VFIO_EXT_CNT_A_MAP, 10);
	nla_put_u64(m, VFIO_EXT_CNT_A_UNMAP, 11);
	nla_put_u64(m, VFIO_EXT_CNT_A_MAP_FAILED, 12);
	nla_put_u64(m, VFIO_EXT_CNT_A_UNMAP_FAILED, 13);
	nla_put_u64(m, 40, 1);	/* a counter from the future */
	nla_nest_end(m, n);
	n = nla_nest_start(m, VFIO_EXT_A_PVIOMMU_ENDPOINTS);
	e = nla_nest_start(m, 1);
	nla_put_u32(m, VFIO_EXT_EP_A_GROUP, 5);
	nla_put_string(m, VFIO_EXT_EP_A_DEV_NAME, "0000:00:10.0");
	nla_put_u32(m, VFIO_EXT_EP_A_VSID, 42);
	nla_put_u32(m, VFIO_EXT_EP_A_DOMAIN, 2);
	nla_nest_end(m, e);
	e = nla_nest_start(m, 1);
	nla_put_u32(m, VFIO_EXT_EP_A_GROUP, 6);
	nla_nest_end(m, e);
	nla_nest_end(m, n);
	n = nla_nest_start(m, VFIO_EXT_A_PVIOMMU_DOMAINS);
	e = nla_nest_start(m, 1);
	nla_put_u32(m, VFIO_EXT_DOM_A_ID, 2);
	nla_put_u32(m, VFIO_EXT_DOM_A_MAPPINGS, 2);
	nla_put_u32(m, VFIO_EXT_DOM_A_ENDPOINTS, 1);
	nla_nest_end(m, e);
	nla_nest_end(m, n);

	ASSERT_EQ(0, vfioext_nl_parse_pviommu(nlmsg_hdr(m), &p));
	EXPECT_EQ(4, nl_pv_info(p).id);
	EXPECT_EQ(99, nl_pv_info(p).owner_pid);
	EXPECT_EQ(3, nl_pv_info(p).mappings);
	EXPECT_EQ(1, nl_pv_info(p).def_mappings);
	EXPECT_EQ(12, nl_pv_info(p).pinned);
	EXPECT_EQ(65535, nl_pv_info(p).dma_limit);
	EXPECT_EQ(10, nl_pv_info(p).map_reqs);
	EXPECT_EQ(11, nl_pv_info(p).unmap_reqs);
	EXPECT_EQ(12, nl_pv_info(p).map_failed);
	EXPECT_EQ(13, nl_pv_info(p).unmap_failed);
	ASSERT_EQ(2, nl_pv_info(p).nr_endpoints);
	EXPECT_EQ(5, nl_pv_ep(p, 0).group);
	EXPECT_STREQ("0000:00:10.0", nl_pv_ep(p, 0).dev);
	EXPECT_EQ(1, nl_pv_ep(p, 0).has_vsid);
	EXPECT_EQ(42, nl_pv_ep(p, 0).vsid);
	EXPECT_EQ(2, nl_pv_ep(p, 0).domain);
	EXPECT_EQ(6, nl_pv_ep(p, 1).group);
	EXPECT_EQ(0, nl_pv_ep(p, 1).has_vsid);
	ASSERT_EQ(1, nl_pv_info(p).nr_domains);
	EXPECT_EQ(2, nl_pv_dom(p, 0).id);
	EXPECT_EQ(2, nl_pv_dom(p, 0).mappings);
	EXPECT_EQ(1, nl_pv_dom(p, 0).endpoints);
	vfioext_nl_pviommu_free(p);
	nlmsg_free(m);

	/* An endpoint without its group. */
	m = reply(VFIO_EXT_CMD_PVIOMMU_GET);
	nla_put_u32(m, VFIO_EXT_A_PVIOMMU_ID, 4);
	n = nla_nest_start(m, VFIO_EXT_A_PVIOMMU_ENDPOINTS);
	e = nla_nest_start(m, 1);
	nla_put_u32(m, VFIO_EXT_EP_A_VSID, 1);
	nla_nest_end(m, e);
	nla_nest_end(m, n);
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_pviommu(nlmsg_hdr(m), &p));
	vfioext_nl_pviommu_free(p);
	nlmsg_free(m);
}

TEST(events)
{
	struct vfioext_nl_event ev;
	struct nl_msg *m;

	m = reply(VFIO_EXT_CMD_EVENT);
	nla_put_u32(m, VFIO_EXT_A_EVENT_TYPE, VFIO_EXT_EVENT_ACPI_NOTIFY);
	nla_put_u64(m, VFIO_EXT_A_EVENT_SEQ, 17);
	nla_put_u64(m, VFIO_EXT_A_EVENT_TIMESTAMP, 1000);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	nla_put_u32(m, VFIO_EXT_A_NOTIFY_VALUE, 0x80);
	nla_put_flag(m, VFIO_EXT_A_NOTIFY_LOOPBACK);
	ASSERT_EQ(0, vfioext_nl_parse_event(nlmsg_hdr(m), &ev));
	EXPECT_EQ(VFIO_EXT_EVENT_ACPI_NOTIFY, ev.type);
	EXPECT_EQ(17, ev.seq);
	EXPECT_EQ(1000, ev.timestamp_ns);
	EXPECT_STREQ("0000:00:10.0", ev.dev);
	EXPECT_EQ(0x80, ev.value);
	EXPECT_EQ(1, ev.loopback);
	EXPECT_STREQ("acpi-notify", vfioext_nl_event_name(ev.type));
	nlmsg_free(m);

	m = reply(VFIO_EXT_CMD_EVENT);
	nla_put_u32(m, VFIO_EXT_A_EVENT_TYPE, VFIO_EXT_EVENT_POWER);
	nla_put_u64(m, VFIO_EXT_A_EVENT_SEQ, 18);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	nla_put_u32(m, VFIO_EXT_A_POWER_LOW_POWER, 1);
	nla_put_u32(m, VFIO_EXT_A_POWER_STATE, VFIO_EXT_PCI_POWER_STATE_D3HOT);
	ASSERT_EQ(0, vfioext_nl_parse_event(nlmsg_hdr(m), &ev));
	EXPECT_EQ(1, ev.low_power);
	EXPECT_STREQ("D3hot", vfioext_nl_pci_power_state_name(ev.power_state));
	EXPECT_EQ(0, ev.loopback);
	nlmsg_free(m);

	/* Not an event command; an event without its sequence number. */
	m = reply(VFIO_EXT_CMD_DEV_GET);
	nla_put_u32(m, VFIO_EXT_A_EVENT_TYPE, VFIO_EXT_EVENT_OPEN);
	nla_put_u64(m, VFIO_EXT_A_EVENT_SEQ, 1);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_event(nlmsg_hdr(m), &ev));
	nlmsg_free(m);
	m = reply(VFIO_EXT_CMD_EVENT);
	nla_put_u32(m, VFIO_EXT_A_EVENT_TYPE, VFIO_EXT_EVENT_OPEN);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_event(nlmsg_hdr(m), &ev));
	nlmsg_free(m);
	EXPECT_STREQ("unknown", vfioext_nl_event_name(99));
}

/*
 * A datagram from the events group: our event; another family's message
 * and another command of ours are skipped (a newer kernel may send them);
 * a message too short for its genetlink header is malformed.
 */
TEST(event_datagrams)
{
	struct vfioext_nl_event ev;
	struct nlmsghdr *h;
	struct nl_msg *m;

	m = reply(VFIO_EXT_CMD_EVENT);
	nla_put_u32(m, VFIO_EXT_A_EVENT_TYPE, VFIO_EXT_EVENT_IOMMU_FAULT);
	nla_put_u64(m, VFIO_EXT_A_EVENT_SEQ, 5);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	nla_put_u32(m, VFIO_EXT_A_PVIOMMU_ID, 3);
	nla_put_u32(m, VFIO_EXT_A_FAULT_DOMAIN, 2);
	nla_put_u64(m, VFIO_EXT_A_FAULT_IOVA, 0x5000);
	nla_put_u32(m, VFIO_EXT_A_FAULT_FLAGS, VFIO_EXT_FAULT_WRITE);
	h = nlmsg_hdr(m);
	ASSERT_EQ(0, vfioext_nl_event_decode(h, h->nlmsg_len, FAMILY, &ev));
	EXPECT_EQ(VFIO_EXT_EVENT_IOMMU_FAULT, ev.type);
	EXPECT_EQ(3, ev.container);
	EXPECT_EQ(2, ev.domain);
	EXPECT_EQ(0x5000, ev.iova);
	EXPECT_EQ(VFIO_EXT_FAULT_WRITE, ev.fault_flags);
	/* The same bytes under another family id: not ours. */
	EXPECT_EQ(-EAGAIN, vfioext_nl_event_decode(h, h->nlmsg_len,
						   FAMILY + 1, &ev));
	nlmsg_free(m);

	m = reply(VFIO_EXT_CMD_DEV_GET);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	h = nlmsg_hdr(m);
	EXPECT_EQ(-EAGAIN, vfioext_nl_event_decode(h, h->nlmsg_len, FAMILY,
						   &ev));
	/* A bare netlink header of our family: no room for genetlink's. */
	h->nlmsg_len = NLMSG_HDRLEN;
	EXPECT_EQ(-EPROTO, vfioext_nl_event_decode(h, h->nlmsg_len, FAMILY,
						   &ev));
	nlmsg_free(m);
}

/* An NLMSG_ERROR as the kernel builds it, with TLVs appended raw. */
static size_t error_msg(uint8_t *buf, bool capped, const void *tlvs,
			size_t tlv_len, size_t echo)
{
	struct nlmsghdr *h = (void *)buf;
	struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	memset(buf, 0, 1024);
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
	e->error = -EINVAL;
	e->msg.nlmsg_len = NLMSG_HDRLEN + (capped ? 0 : echo);
	if (!capped)
		off += NLMSG_ALIGN(echo);
	memcpy(buf + off, tlvs, tlv_len);
	h->nlmsg_len = off + tlv_len;
	return h->nlmsg_len;
}

static size_t tlv(uint8_t *p, uint16_t type, const char *s, size_t len)
{
	struct nlattr *a = (void *)p;

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(p + NLA_HDRLEN, s, len);
	return NLA_ALIGN(a->nla_len);
}

TEST(extack)
{
	uint8_t buf[1024], t[256];
	char out[64];
	size_t n;

	/* Capped, an offset TLV first, then the message. */
	n = tlv(t, NLMSGERR_ATTR_OFFS, "\x10\0\0\0", 4);
	n += tlv(t + n, NLMSGERR_ATTR_MSG, "bad thing", 10);
	error_msg(buf, true, t, n, 0);
	EXPECT_EQ(9, vfioext_nl_extack_msg((void *)buf, out, sizeof(out)));
	EXPECT_STREQ("bad thing", out);

	/* Not capped: the echoed request is skipped. */
	error_msg(buf, false, t, n, 20);
	EXPECT_EQ(9, vfioext_nl_extack_msg((void *)buf, out, sizeof(out)));
	EXPECT_STREQ("bad thing", out);

	/* Truncated into a small buffer. */
	error_msg(buf, true, t, n, 0);
	EXPECT_EQ(3, vfioext_nl_extack_msg((void *)buf, out, 4));
	EXPECT_STREQ("bad", out);

	/* Message without NUL, TLV longer than the message, no TLVs. */
	n = tlv(t, NLMSGERR_ATTR_MSG, "abcd", 4);
	error_msg(buf, true, t, n, 0);
	EXPECT_EQ(0, vfioext_nl_extack_msg((void *)buf, out, sizeof(out)));
	EXPECT_STREQ("", out);
	n = tlv(t, NLMSGERR_ATTR_MSG, "abc", 4);
	((struct nlattr *)t)->nla_len = 200;
	error_msg(buf, true, t, n, 0);
	EXPECT_EQ(0, vfioext_nl_extack_msg((void *)buf, out, sizeof(out)));
	error_msg(buf, true, t, 0, 0);
	((struct nlmsghdr *)buf)->nlmsg_flags &= ~NLM_F_ACK_TLVS;
	EXPECT_EQ(0, vfioext_nl_extack_msg((void *)buf, out, sizeof(out)));

	/* An echo claiming more than the message holds. */
	n = tlv(t, NLMSGERR_ATTR_MSG, "x", 2);
	error_msg(buf, false, t, n, 8);
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)buf))->msg.nlmsg_len = 900;
	EXPECT_EQ(0, vfioext_nl_extack_msg((void *)buf, out, sizeof(out)));
}

/* ------------------------------------------------------------------ */
/* Requests and events over a fake kernel (a socket pair)             */
/* ------------------------------------------------------------------ */

/*
 * A handle whose request socket's peer is @k[1] (and, with @events, an
 * event socket whose peer is @k[2]): the test plays the kernel, queueing
 * its answers before the call.  The handle's first request has sequence
 * number 1, the next 2, ...
 */
static int fake_handle(int k[3], bool events, struct vfioext_nl **nl)
{
	int req[2], ev[2] = { -1, -1 };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, req))
		return -errno;
	if (events && socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ev))
		return -errno;
	k[0] = req[0];
	k[1] = req[1];
	k[2] = ev[1];
	return vfioext_nl_fake_open(req[0], ev[0], FAMILY, nl);
}

static void fake_close(int k[3], struct vfioext_nl *nl)
{
	int ev = vfioext_nl_fd(nl);

	vfioext_nl_close(nl);
	close(k[0]);
	close(k[1]);
	if (ev >= 0)
		close(ev);
	if (k[2] >= 0)
		close(k[2]);
}

/* Queue @m (freed) as the kernel's answer with sequence number @seq. */
static int send_seq(int fd, struct nl_msg *m, uint32_t seq, uint16_t flags)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	ssize_t n;

	h->nlmsg_seq = seq;
	h->nlmsg_flags |= flags;
	n = send(fd, h, h->nlmsg_len, 0);
	nlmsg_free(m);
	return n < 0 ? -errno : 0;
}

static int send_done(int fd, uint32_t seq, int err)
{
	struct nl_msg *m = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);

	nlmsg_append(m, &err, sizeof(err), NLMSG_ALIGNTO);
	return send_seq(fd, m, seq, 0);
}

static int send_raw(int fd, void *buf, size_t len, uint32_t seq)
{
	((struct nlmsghdr *)buf)->nlmsg_seq = seq;
	return send(fd, buf, len, 0) < 0 ? -errno : 0;
}

static struct nl_msg *small_dev(const char *name)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_DEV_GET);

	nla_put_string(m, VFIO_EXT_A_DEV_NAME, name);
	nla_put_u32(m, VFIO_EXT_A_DEV_VENDOR, 0x1234);
	return m;
}

/*
 * A dump whose second reply the library cannot decode fails with -EPROTO,
 * and leaves the handle usable: the rest of that dump is read and
 * dropped, and a late message of it (its sequence number) is not taken
 * for the next request's answer.
 */
TEST(request_fails_mid_dump)
{
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };
	struct vfioext_nl_dev **v = (void *)1, *d;
	uint8_t ack[1024];
	struct vfioext_nl *nl;
	size_t n = 9, ack_len;
	int k[3];

	ack_len = error_msg(ack, true, "", 0, 0);
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)ack))->error = 0;

	ASSERT_EQ(0, fake_handle(k, false, &nl));
	ASSERT_EQ(0, send_seq(k[1], small_dev("0000:00:01.0"), 1, NLM_F_MULTI));
	ASSERT_EQ(0, send_seq(k[1], reply(VFIO_EXT_CMD_DEV_GET), 1,
			      NLM_F_MULTI));	/* no dev-name */
	ASSERT_EQ(0, send_seq(k[1], small_dev("0000:00:03.0"), 1, NLM_F_MULTI));
	ASSERT_EQ(0, send_done(k[1], 1, 0));
	EXPECT_EQ(-EPROTO, vfioext_nl_dev_list(nl, &v, &n, &st));
	EXPECT_EQ(-EPROTO, st.error);
	EXPECT_EQ(NULL, v);
	EXPECT_EQ(0, n);

	/* The next request: a stale message of request 1 first. */
	ASSERT_EQ(0, send_seq(k[1], small_dev("0000:00:09.0"), 1, 0));
	ASSERT_EQ(0, send_seq(k[1], small_dev("0000:00:02.0"), 2, 0));
	ASSERT_EQ(0, send_raw(k[1], ack, ack_len, 2));
	ASSERT_EQ(0, vfioext_nl_dev_get(nl, "0000:00:02.0", &d, &st));
	EXPECT_EQ(0, st.error);
	EXPECT_STREQ("0000:00:02.0", nl_dev_info(d).name);
	EXPECT_EQ(0x1234, nl_dev_info(d).vendor);
	vfioext_nl_dev_free(d);
	fake_close(k, nl);
}

/* Each call reports its own kernel message, in the caller's status. */
TEST(status_per_call)
{
	struct vfioext_nl_status st = { .struct_size = sizeof(st) };
	struct {
		struct vfioext_nl_status st;
		uint8_t future[16];
	} big;
	uint8_t buf[1024], t[256];
	struct vfioext_nl *nl;
	size_t len, n;
	int k[3];

	ASSERT_EQ(0, fake_handle(k, false, &nl));
	n = tlv(t, NLMSGERR_ATTR_MSG, "no such thing", 14);
	len = error_msg(buf, true, t, n, 0);
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)buf))->error = -ENODEV;
	ASSERT_EQ(0, send_raw(k[1], buf, len, 1));
	EXPECT_EQ(-ENODEV, vfioext_nl_dsm_policy_set(nl, "0000:00:01.0", "clear",
						     &st));
	EXPECT_EQ(-ENODEV, st.error);
	EXPECT_STREQ("no such thing", st.msg);
	EXPECT_EQ(13, st.msg_len);
	EXPECT_EQ(0, st.flags);

	/* A later success clears it; a larger status has its tail zeroed. */
	memset(&big, 0xff, sizeof(big));
	big.st.struct_size = sizeof(big);
	error_msg(buf, true, t, 0, 0);
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)buf))->error = 0;
	ASSERT_EQ(0, send_raw(k[1], buf, NLMSG_LENGTH(sizeof(struct nlmsgerr)),
			      2));
	EXPECT_EQ(0, vfioext_nl_dsm_policy_set(nl, "0000:00:01.0", "clear",
					       &big.st));
	EXPECT_EQ(0, big.st.error);
	EXPECT_STREQ("", big.st.msg);
	EXPECT_EQ(0, big.st.msg_len);
	EXPECT_EQ(sizeof(big), big.st.struct_size);
	for (n = 0; n < sizeof(big.future); n++)
		EXPECT_EQ(0, big.future[n]);

	/* A status smaller than 1.0's is refused before anything is sent. */
	st.struct_size = 8;
	EXPECT_EQ(-EINVAL, vfioext_nl_dsm_policy_set(nl, "0000:00:01.0",
						     "clear", &st));
	fake_close(k, nl);
}

static struct nl_msg *event_msg(uint64_t seq)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_EVENT);

	nla_put_u32(m, VFIO_EXT_A_EVENT_TYPE, VFIO_EXT_EVENT_OPEN);
	nla_put_u64(m, VFIO_EXT_A_EVENT_SEQ, seq);
	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	nla_put_u32(m, VFIO_EXT_A_DEV_OPENER_PID, 42);
	return m;
}

/* The event structure is filled up to the caller's size. */
TEST(event_size)
{
	struct {
		struct vfioext_nl_event ev;
		uint8_t future[24];
	} big;
	struct vfioext_nl_event ev = { .struct_size = 8 };
	struct vfioext_nl *nl;
	size_t i;
	int k[3];

	ASSERT_EQ(0, fake_handle(k, true, &nl));
	EXPECT_EQ(-EINVAL, vfioext_nl_event_read(nl, &ev, 0));
	ASSERT_EQ(0, send_seq(k[2], event_msg(5), 0, 0));
	memset(&big, 0xff, sizeof(big));
	big.ev.struct_size = sizeof(big);
	ASSERT_EQ(0, vfioext_nl_event_read(nl, &big.ev, 1000));
	EXPECT_EQ(sizeof(big), big.ev.struct_size);
	EXPECT_EQ(5, big.ev.seq);
	EXPECT_EQ(42, big.ev.pid);
	EXPECT_STREQ("0000:00:10.0", big.ev.dev);
	for (i = 0; i < sizeof(big.future); i++)
		EXPECT_EQ(0, big.future[i]);
	EXPECT_EQ(-ETIMEDOUT, vfioext_nl_event_read(nl, &big.ev, 0));
	fake_close(k, nl);
}

#define READERS		4
#define READ_TIMEOUT_MS	400

struct reader {
	pthread_t thread;
	struct vfioext_nl *nl;
	int ret;
	long took_ms;
};

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *reader_fn(void *arg)
{
	struct vfioext_nl_event ev = { .struct_size = sizeof(ev) };
	struct reader *r = arg;
	long t0 = mono_ms();

	r->ret = vfioext_nl_event_read(r->nl, &ev, READ_TIMEOUT_MS);
	r->took_ms = mono_ms() - t0;
	return NULL;
}

/*
 * Several threads read with a timeout while fewer events than readers
 * arrive (a wake-up each, taken by one of them): every reader returns by
 * its own deadline, with an event or -ETIMEDOUT, and each event is read
 * once.
 */
TEST(timed_reads_several_readers)
{
	struct reader r[READERS];
	struct vfioext_nl *nl;
	int i, k[3], got = 0, timed_out = 0;

	ASSERT_EQ(0, fake_handle(k, true, &nl));
	for (i = 0; i < READERS; i++) {
		r[i].nl = nl;
		ASSERT_EQ(0, pthread_create(&r[i].thread, NULL, reader_fn,
					    &r[i]));
	}
	usleep(100 * 1000);
	ASSERT_EQ(0, send_seq(k[2], event_msg(1), 0, 0));
	usleep(50 * 1000);
	ASSERT_EQ(0, send_seq(k[2], event_msg(2), 0, 0));
	for (i = 0; i < READERS; i++) {
		ASSERT_EQ(0, pthread_join(r[i].thread, NULL));
		if (!r[i].ret)
			got++;
		else if (r[i].ret == -ETIMEDOUT)
			timed_out++;
		else
			TH_LOG("reader %d: %s", i, strerror(-r[i].ret));
		/* By its deadline, give or take scheduling. */
		EXPECT_GT(READ_TIMEOUT_MS + 150, r[i].took_ms) {
			TH_LOG("reader %d returned after %ld ms", i,
			       r[i].took_ms);
		}
		if (r[i].ret == -ETIMEDOUT)
			EXPECT_LE(READ_TIMEOUT_MS - 5, r[i].took_ms);
	}
	EXPECT_EQ(2, got);
	EXPECT_EQ(READERS - 2, timed_out);
	fake_close(k, nl);
}

TEST_HARNESS_MAIN
