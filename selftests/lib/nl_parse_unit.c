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
#include <stdlib.h>
#include <string.h>
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
	struct vfioext_nl_dev d;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	EXPECT_STREQ("0000:00:10.0", d.name);
	EXPECT_EQ(0x1234, d.vendor);
	EXPECT_EQ(0x11e8, d.device);
	EXPECT_EQ(3, d.iommu_group);
	EXPECT_STREQ("vfio-pci-ext", d.driver);
	EXPECT_EQ(1, d.open);
	EXPECT_EQ(77, d.opener_pid);
	EXPECT_EQ(78, d.kvm_pid);
	EXPECT_STREQ("\\_SB_.PCI0.S80_", d.acpi_path);
	EXPECT_STREQ("allow * 0\n", d.dsm_policy);
	EXPECT_EQ(5, d.dsm_calls);
	EXPECT_EQ(6, d.dsm_denied);
	EXPECT_EQ(1, d.notify_handler);
	EXPECT_EQ(0, d.notify_eventfd);
	EXPECT_EQ(1, d.notify_channel);
	EXPECT_EQ(9, d.notify_count);
	EXPECT_STREQ("D3hot", d.power_state);
	EXPECT_STREQ("suspended", d.runtime_pm);
	EXPECT_EQ(1, d.low_power);
	ASSERT_EQ(2, d.nr_regions);
	EXPECT_EQ(0, d.regions[0].index);
	EXPECT_EQ(0x100000, d.regions[0].size);
	EXPECT_EQ(7, d.regions[0].flags);
	EXPECT_EQ(7, d.regions[1].index);
	EXPECT_EQ(256, d.regions[1].size);
	ASSERT_EQ(6, d.nr_irqs);
	EXPECT_EQ(5, d.irqs[5].index);
	EXPECT_EQ(15, d.irqs[5].count);
	vfioext_nl_dev_clear(&d);
	EXPECT_EQ(NULL, d.dsm_policy);
	nlmsg_free(m);
}

/* Attributes a newer kernel may add are skipped; absent ones are zero. */
TEST(dev_forward_compatible)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_DEV_GET);
	struct vfioext_nl_dev d;

	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:12.1");
	nla_put_u32(m, 250, 1);
	ASSERT_EQ(0, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	EXPECT_STREQ("0000:00:12.1", d.name);
	EXPECT_EQ(-1, d.iommu_group);
	EXPECT_EQ(NULL, d.dsm_policy);
	EXPECT_STREQ("", d.acpi_path);
	vfioext_nl_dev_clear(&d);
	nlmsg_free(m);
}

/* More regions than the structure holds: the rest is dropped, safely. */
TEST(dev_too_many_regions)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_DEV_GET);
	struct vfioext_nl_dev d;
	struct nlattr *n;
	uint32_t i;

	nla_put_string(m, VFIO_EXT_A_DEV_NAME, "0000:00:10.0");
	n = nla_nest_start(m, VFIO_EXT_A_DEV_REGIONS);
	for (i = 0; i < 40; i++)
		put_region(m, i, i, 0);
	nla_nest_end(m, n);
	ASSERT_EQ(0, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	EXPECT_EQ(VFIOEXT_NL_MAX_REGIONS, d.nr_regions);
	EXPECT_EQ(VFIOEXT_NL_MAX_REGIONS - 1,
		  d.regions[VFIOEXT_NL_MAX_REGIONS - 1].index);
	vfioext_nl_dev_clear(&d);
	nlmsg_free(m);
}

TEST(dev_malformed)
{
	struct vfioext_nl_dev d;
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
	vfioext_nl_dev_clear(&d);
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
	vfioext_nl_dev_clear(&d);
	nlmsg_free(m);

	/* A truncated generic netlink header. */
	m = nlmsg_alloc_simple(FAMILY, 0);
	EXPECT_EQ(-EPROTO, vfioext_nl_parse_dev(nlmsg_hdr(m), &d));
	nlmsg_free(m);
}

TEST(pviommu)
{
	struct nl_msg *m = reply(VFIO_EXT_CMD_PVIOMMU_GET);
	struct vfioext_nl_pviommu p;
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
	EXPECT_EQ(4, p.id);
	EXPECT_EQ(99, p.owner_pid);
	EXPECT_EQ(3, p.mappings);
	EXPECT_EQ(1, p.def_mappings);
	EXPECT_EQ(12, p.pinned);
	EXPECT_EQ(65535, p.dma_limit);
	EXPECT_EQ(10, p.map_reqs);
	EXPECT_EQ(11, p.unmap_reqs);
	EXPECT_EQ(12, p.map_failed);
	EXPECT_EQ(13, p.unmap_failed);
	ASSERT_EQ(2, p.nr_endpoints);
	EXPECT_EQ(5, p.endpoints[0].group);
	EXPECT_STREQ("0000:00:10.0", p.endpoints[0].dev);
	EXPECT_EQ(1, p.endpoints[0].has_vsid);
	EXPECT_EQ(42, p.endpoints[0].vsid);
	EXPECT_EQ(2, p.endpoints[0].domain);
	EXPECT_EQ(6, p.endpoints[1].group);
	EXPECT_EQ(0, p.endpoints[1].has_vsid);
	ASSERT_EQ(1, p.nr_domains);
	EXPECT_EQ(2, p.domains[0].id);
	EXPECT_EQ(2, p.domains[0].mappings);
	EXPECT_EQ(1, p.domains[0].endpoints);
	vfioext_nl_pviommu_clear(&p);
	EXPECT_EQ(NULL, p.endpoints);
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
	vfioext_nl_pviommu_clear(&p);
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
	EXPECT_STREQ("D3hot", ev.power_state);
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

TEST_HARNESS_MAIN
