// SPDX-License-Identifier: GPL-2.0-only
/*
 * Seeded, bounded fuzzing of the "vfio-ext" generic netlink family
 * (selftests/common/fuzz.h: seed, budget, replay).  Every message is one of
 * our commands (dev-get do and dump, dsm-policy-set, pviommu-get do and
 * dump) or any command number, built mostly well-formed and then mutated:
 * attributes of the wrong type or length, without their NUL, too long,
 * empty, duplicated, unknown, flagged nested or holding nested garbage,
 * lengths past the message or below a header, trailing bytes; header
 * flags (NLM_F_DUMP on do-only commands and the reverse, reserved bits),
 * version, the reserved field and messages shorter than a genetlink
 * header; PCI addresses of bound, unbound, absent and malformed devices;
 * _DSM policy commands from the policy grammar, mutated.
 *
 * Asserted for every message: the kernel answers it as netlink says (one
 * error ACK, or a reply and its ACK, or a dump ending in NLMSG_DONE, all
 * with our sequence number; every reply parses as the library parses
 * it), a failure carries an errno the command documents
 * (Documentation/netlink.rst), and every validation or handler error
 * (EINVAL, ERANGE, ENODEV, ENOENT, ENOSPC, EPERM) carries an extended ACK
 * message (NLMSGERR_ATTR_MSG): the core sets one for every policy
 * violation, our handlers for every error of theirs.  The exception is a
 * message shorter than a genetlink header, which the core refuses with a
 * bare EINVAL before anything is parsed.  The kernel side (KASAN, UBSAN,
 * lockdep, kmemleak) is checked by the VM runner.
 *
 * Afterwards the _DSM policy the fuzz changed is put back as it was (and
 * compared), every bound device still answers dev-get as before, and our
 * pviommu container is described as before.
 *
 * Why a raw AF_NETLINK socket: libnl's builders only make well-formed
 * attributes (lengths, padding, NUL-terminated strings) and its receive
 * loop interprets replies and sequence numbers itself; the fuzzer needs to
 * send arbitrary bytes and see exactly what the kernel answers, message by
 * message.  libnl only resolves the family id at setup.
 *
 * Each message is followed by an NLMSG_NOOP request with NLM_F_ACK (a
 * sentinel, answered by the netlink core itself): requests to the kernel
 * are processed synchronously in sendmsg(), so everything the fuzzed
 * message produced is queued before the sentinel's ACK, except the rest of
 * a dump, which recvmsg() continues until its NLMSG_DONE.  A message the
 * core drops without an answer (its nlmsg_len disagrees with the datagram,
 * or an unrequested ACK) is thus detected without waiting for a timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "vfioext.h"
#include "vfio_common.h"
#include "acpi_common.h"
#include "fuzz.h"
#include "../../lib/internal.h"

#define NL_ITERS	15000	/* about 60 s in the debug lane (TCG, KASAN) */
#define MAP_SIZE	(64 * 1024)
#define REPLY_TIMEOUT	5000	/* ms: only a lost answer waits this long */
#define MAX_NAMES	16

/* What fill() builds in the fuzz argument and invoke() sends. */
struct nlfz_msg {
	uint32_t len;		/* bytes to send */
	uint32_t flags;		/* NLFZ_* */
	uint8_t buf[];		/* nlmsghdr, genlmsghdr, attributes */
};

#define NLFZ_ROOM	(FUZZ_ARG_MAX - sizeof(struct nlfz_msg))
/* Shorter than a genetlink header: a bare EINVAL from the core. */
#define NLFZ_SHORT_HDR	1

struct nctx {
	int fd;			/* raw NETLINK_GENERIC socket */
	int family;
	uint32_t seq;
	char bdf[VFIOEXT_BDF_LEN];	/* ours: the only policy changed */
	uint32_t pv_id;		/* our pviommu container */
	/* PCI addresses to read: every bound device */
	char names[MAX_NAMES][VFIOEXT_BDF_LEN];
	unsigned int nr_names;
	/* ours, slightly wrong: none names another device */
	char near[6][VFIOEXT_BDF_LEN + 2];
	/* tallies */
	unsigned long ok, errs[140], replies, dumps, silent;
	struct fuzz *f;
};

/* ERANGE: a string longer than its limit with a NUL among the first
 * limit + 1 bytes (the core says EINVAL when there is none).
 */
static const int e_dev[] = { EINVAL, ERANGE, ENODEV, 0 };
static const int e_policy[] = { EINVAL, ERANGE, ENODEV, ENOENT, ENOSPC,
				EOPNOTSUPP, 0 };
static const int e_pv[] = { EINVAL, ERANGE, ENOENT, 0 };
static const int e_any[] = { EINVAL, ERANGE, ENODEV, ENOENT, ENOSPC,
			     EOPNOTSUPP, 0 };

/* ------------------------------------------------------------------ */
/* Building                                                            */
/* ------------------------------------------------------------------ */

struct mb {
	struct nlfz_msg *m;
	size_t off;
};

static struct nlmsghdr *mb_hdr(struct mb *b)
{
	return (struct nlmsghdr *)b->m->buf;
}

static void mb_start(struct fuzz *f, struct mb *b, void *arg, uint8_t cmd,
		     bool dump, struct nctx *c)
{
	struct nlmsghdr *h;
	struct genlmsghdr *g;

	b->m = arg;
	h = mb_hdr(b);
	g = (struct genlmsghdr *)(h + 1);
	h->nlmsg_type = c->family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
	g->cmd = cmd;
	g->version = VFIO_EXT_GENL_VERSION;
	b->off = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* An attribute with @len payload bytes (may be 0), padded. */
static void *mb_put(struct mb *b, uint16_t type, const void *data,
		    size_t len)
{
	struct nlattr *a = (struct nlattr *)(b->m->buf + b->off);

	if (b->off + NLA_HDRLEN + NLA_ALIGN(len) > NLFZ_ROOM)
		return NULL;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (data)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	b->off += NLA_HDRLEN + NLA_ALIGN(len);
	return a;
}

static const char *pick(struct fuzz *f, const char *const *v, size_t n)
{
	return v[fuzz_below(f, n)];
}

/*
 * A string attribute, mostly well-formed: with its NUL; sometimes without
 * it, cut short, with a NUL inside, padded out past any limit, empty, of
 * zero length, random bytes, or the size of an integer.
 */
static void put_string(struct fuzz *f, struct mb *b, uint16_t type,
		       const char *s)
{
	char tmp[600];
	size_t n = strlen(s), len;
	uint64_t v;

	if (n > 300)
		n = 300;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	len = n + 1;
	switch (fuzz_one_in(f, 3) ? fuzz_below(f, 10) : 10) {
	case 0:
		len = n;			/* no NUL */
		break;
	case 1:
		len = fuzz_below(f, n + 1);	/* cut short */
		break;
	case 2:
		if (n)
			tmp[fuzz_below(f, n)] = '\0';
		break;
	case 3:					/* too long */
		len = n + 1 + fuzz_below(f, sizeof(tmp) - n - 1);
		memset(tmp + n, fuzz_one_in(f, 2) ? 'a' : ' ', len - n);
		tmp[len - 1] = fuzz_one_in(f, 4) ? 'x' : '\0';
		break;
	case 4:
		len = 1;
		tmp[0] = '\0';
		break;
	case 5:
		len = 0;
		break;
	case 6:
		len = fuzz_below(f, 64);
		fuzz_bytes(f, tmp, len);
		break;
	case 7:
		v = fuzz_interesting(f);
		len = 1u << fuzz_below(f, 4);
		memcpy(tmp, &v, len);
		break;
	case 8:
		type |= fuzz_one_in(f, 2) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
		break;
	case 9:					/* twice */
		mb_put(b, type, tmp, len);
		break;
	default:
		break;
	}
	mb_put(b, type, tmp, len);
}

/* A u32 attribute: @good mostly, other values, other sizes. */
static void put_u32(struct fuzz *f, struct mb *b, uint16_t type,
		    uint32_t good)
{
	static const size_t lens[] = { 0, 1, 2, 3, 5, 8, 16 };
	uint8_t p[16] = { 0 };
	uint64_t v = fuzz_mostly(f, good);
	size_t len = 4;

	memcpy(p, &v, sizeof(v));
	if (fuzz_one_in(f, 6))
		len = lens[fuzz_below(f, ARRAY_SIZE(lens))];
	if (fuzz_one_in(f, 16))
		type |= NLA_F_NESTED;
	mb_put(b, type, p, len);
}

/* Nested garbage: attributes in attributes, some of them nonsense. */
static void put_nest(struct fuzz *f, struct mb *b, unsigned int depth)
{
	size_t start = b->off;
	struct nlattr *a = mb_put(b, fuzz_below(f, VFIO_EXT_A_MAX + 4) |
				  NLA_F_NESTED, NULL, 0);
	unsigned int i, n = fuzz_below(f, 4);
	uint8_t junk[32];

	if (!a)
		return;
	for (i = 0; i < n; i++) {
		if (depth < 4 && fuzz_one_in(f, 2)) {
			put_nest(f, b, depth + 1);
			continue;
		}
		fuzz_bytes(f, junk, sizeof(junk));
		mb_put(b, fuzz_below(f, 16), junk, fuzz_below(f, 17));
	}
	a = (struct nlattr *)(b->m->buf + start);
	a->nla_len = b->off - start;
}

/* Something the command does not take, or that is not an attribute. */
static void put_noise(struct fuzz *f, struct mb *b)
{
	uint8_t junk[64];
	struct nlattr *a;

	fuzz_bytes(f, junk, sizeof(junk));
	switch (fuzz_below(f, 7)) {
	case 0:		/* any of ours, any size */
		mb_put(b, fuzz_below(f, VFIO_EXT_A_MAX + 1), junk,
		       fuzz_below(f, 17));
		break;
	case 1:		/* beyond every policy */
		mb_put(b, VFIO_EXT_A_MAX + 1 + fuzz_below(f, 0x7fff -
							 VFIO_EXT_A_MAX),
		       junk, fuzz_below(f, 17));
		break;
	case 2:
		put_nest(f, b, 0);
		break;
	case 3:		/* a length past the message */
		a = mb_put(b, fuzz_below(f, VFIO_EXT_A_MAX + 1), junk, 4);
		if (a)
			a->nla_len = fuzz_one_in(f, 2) ? 0xffff :
				     8 + 4 * fuzz_below(f, 64);
		break;
	case 4:		/* a length below the header */
		a = mb_put(b, fuzz_below(f, VFIO_EXT_A_MAX + 1), junk, 4);
		if (a)
			a->nla_len = fuzz_below(f, NLA_HDRLEN);
		break;
	case 5:		/* trailing bytes */
		if (b->off + 3 < NLFZ_ROOM) {
			memcpy(b->m->buf + b->off, junk, 3);
			b->off += 1 + fuzz_below(f, 3);
		}
		break;
	default:	/* a flag attribute with a payload, or the pad type */
		mb_put(b, fuzz_one_in(f, 2) ? VFIO_EXT_A_PAD :
		       VFIO_EXT_A_NOTIFY_LOOPBACK, junk, fuzz_below(f, 9));
		break;
	}
}

/*
 * Finish: noise now and then, header mutations, then the length.  A
 * message whose nlmsg_len is shorter than what is sent keeps the excess
 * below a netlink header, so the core ignores it instead of taking it for
 * a message to some other family.
 */
static void mb_end(struct fuzz *f, struct mb *b)
{
	struct nlmsghdr *h = mb_hdr(b);
	struct genlmsghdr *g = (struct genlmsghdr *)(h + 1);
	static const uint16_t flags[] = {
		NLM_F_REQUEST, NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO,
		NLM_F_ACK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_ROOT,
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_MATCH,
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_ATOMIC,
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_REPLACE,
		NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP_INTR,
	};
	size_t len;

	while (fuzz_one_in(f, 5))
		put_noise(f, b);
	if (fuzz_one_in(f, 10))
		h->nlmsg_flags ^= NLM_F_DUMP;
	if (fuzz_one_in(f, 16))
		h->nlmsg_flags = fuzz_one_in(f, 2) ?
				 flags[fuzz_below(f, ARRAY_SIZE(flags))] :
				 (uint16_t)fuzz_u64(f);
	if (fuzz_one_in(f, 16))
		g->version = fuzz_u64(f);
	if (fuzz_one_in(f, 16))
		g->reserved = fuzz_mostly(f, 1);
	h->nlmsg_pid = fuzz_one_in(f, 16) ? (uint32_t)fuzz_u64(f) : 0;
	len = b->off;
	h->nlmsg_len = len;
	b->m->len = len;
	switch (fuzz_one_in(f, 12) ? fuzz_below(f, 3) : 3) {
	case 0:		/* shorter than a genetlink header */
		h->nlmsg_len = NLMSG_HDRLEN + fuzz_below(f, GENL_HDRLEN);
		b->m->len = h->nlmsg_len;
		b->m->flags |= NLFZ_SHORT_HDR;
		break;
	case 1:		/* claims more than is sent: dropped by the core */
		h->nlmsg_len = len + 1 + fuzz_below(f, 64);
		break;
	case 2:		/* claims less: the excess is ignored */
		if (len >= NLMSG_HDRLEN + GENL_HDRLEN + 12)
			h->nlmsg_len = len - 1 - fuzz_below(f, 11);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Generators                                                          */
/* ------------------------------------------------------------------ */

static const char *some_name(struct fuzz *f, struct nctx *c, bool policy)
{
	static const char *const bad[] = {
		"0000:00:1f.7", "0000:00:11.1", "0000:0:1f.7", "0000:00:1f.8",
		"ffff:ff:1f.7", "zzzz:zz:zz.z", "", "0000:00:1f",
		"ffffffff:ff:1f.7", "10000000:00:00.0",
	};

	if (fuzz_one_in(f, 6))
		return c->near[fuzz_below(f, ARRAY_SIZE(c->near))];
	if (fuzz_one_in(f, 5))
		return pick(f, bad, ARRAY_SIZE(bad));
	if (policy)	/* only ours: the fuzz changes its policy */
		return c->bdf;
	return c->names[fuzz_below(f, c->nr_names)];
}

/* A _DSM policy command from the grammar (see vfio_ext_policy.c). */
static void some_policy(struct fuzz *f, char *s, size_t len)
{
	/* Mostly rules, so that the table fills up (ENOSPC) now and then;
	 * clear and reset empty it.
	 */
	static const char *const verbs[] = {
		"allow", "allow", "allow", "allow", "allow", "allow", "deny",
		"deny", "ALLOW", "allowx", "",
	};
	const char *verb = fuzz_one_in(f, 128) ?
			   (fuzz_one_in(f, 2) ? "clear" : "reset") :
			   pick(f, verbs, ARRAY_SIZE(verbs));
	static const char *const funcs[] = {
		"all", "0", "1-3", "0-63", "63", "64", "0-64", "3-1", "1,2,3",
		"1,,2", "1,", ",1", "-", "1-", "99999999999999999999", "0x10",
		"all,1", "5-5", "0,63", "a",
	};
	char who[48];
	int n;

	switch (fuzz_below(f, 5)) {
	case 0:
		snprintf(who, sizeof(who), "*");
		break;
	case 1:
	case 4: {
		uint8_t u[16];

		fuzz_bytes(f, u, sizeof(u));
		snprintf(who, sizeof(who),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
			 u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
		break;
	}
	case 2:
		snprintf(who, sizeof(who), "%.35s", TEST_UUID);
		break;
	default:
		snprintf(who, sizeof(who), "%s", TEST_UUID);
		break;
	}
	n = snprintf(s, len, "%s%s%s%s%s", verb,
		     fuzz_one_in(f, 8) ? "" : " ", fuzz_one_in(f, 6) ? "" : who,
		     fuzz_one_in(f, 3) ? "" : " ",
		     pick(f, funcs, ARRAY_SIZE(funcs)));
	if (n > 0 && (size_t)n < len - 2 && fuzz_one_in(f, 8))
		strcat(s, fuzz_one_in(f, 2) ? "\n" : "  extra");
	fuzz_mutate(f, s, strlen(s), 8);
}

static void fill_dev_get(struct fuzz *f, void *arg, void *ctx)
{
	struct nctx *c = ctx;
	struct mb b;

	mb_start(f, &b, arg, VFIO_EXT_CMD_DEV_GET, false, c);
	if (!fuzz_one_in(f, 10))
		put_string(f, &b, VFIO_EXT_A_DEV_NAME, some_name(f, c, false));
	mb_end(f, &b);
}

static void fill_dev_dump(struct fuzz *f, void *arg, void *ctx)
{
	struct nctx *c = ctx;
	struct mb b;

	mb_start(f, &b, arg, VFIO_EXT_CMD_DEV_GET, true, c);
	if (fuzz_one_in(f, 3))	/* the filter */
		put_string(f, &b, VFIO_EXT_A_DEV_NAME, some_name(f, c, false));
	mb_end(f, &b);
}

static void fill_policy_set(struct fuzz *f, void *arg, void *ctx)
{
	struct nctx *c = ctx;
	char pol[320];
	struct mb b;

	mb_start(f, &b, arg, VFIO_EXT_CMD_DSM_POLICY_SET, false, c);
	some_policy(f, pol, sizeof(pol));
	if (fuzz_one_in(f, 4)) {
		put_string(f, &b, VFIO_EXT_A_DSM_POLICY, pol);
		if (!fuzz_one_in(f, 8))
			put_string(f, &b, VFIO_EXT_A_DEV_NAME,
				   some_name(f, c, true));
	} else {
		if (!fuzz_one_in(f, 10))
			put_string(f, &b, VFIO_EXT_A_DEV_NAME,
				   some_name(f, c, true));
		if (!fuzz_one_in(f, 10))
			put_string(f, &b, VFIO_EXT_A_DSM_POLICY, pol);
	}
	mb_end(f, &b);
}

/* A well-formed rule for a new UUID, so that the table fills (ENOSPC). */
static void fill_policy_rule(struct fuzz *f, void *arg, void *ctx)
{
	struct nctx *c = ctx;
	uint8_t u[16];
	char pol[96];
	struct mb b;

	fuzz_bytes(f, u, sizeof(u));
	snprintf(pol, sizeof(pol),
		 "allow %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x %u-%u",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15],
		 (unsigned int)fuzz_below(f, 32),
		 32 + (unsigned int)fuzz_below(f, 32));
	mb_start(f, &b, arg, VFIO_EXT_CMD_DSM_POLICY_SET, false, c);
	put_string(f, &b, VFIO_EXT_A_DEV_NAME, c->bdf);
	put_string(f, &b, VFIO_EXT_A_DSM_POLICY, pol);
	mb_end(f, &b);
}

static uint32_t some_pv_id(struct fuzz *f, struct nctx *c)
{
	switch (fuzz_below(f, 6)) {
	case 0:
		return 0;
	case 1:
		return c->pv_id + 1;
	case 2:
		return fuzz_interesting(f);
	default:
		return c->pv_id;
	}
}

static void fill_pv_get(struct fuzz *f, void *arg, void *ctx)
{
	struct nctx *c = ctx;
	struct mb b;

	mb_start(f, &b, arg, VFIO_EXT_CMD_PVIOMMU_GET, false, c);
	if (!fuzz_one_in(f, 10))
		put_u32(f, &b, VFIO_EXT_A_PVIOMMU_ID, some_pv_id(f, c));
	mb_end(f, &b);
}

static void fill_pv_dump(struct fuzz *f, void *arg, void *ctx)
{
	struct nctx *c = ctx;
	struct mb b;

	mb_start(f, &b, arg, VFIO_EXT_CMD_PVIOMMU_GET, true, c);
	if (fuzz_one_in(f, 4))
		put_u32(f, &b, VFIO_EXT_A_PVIOMMU_ID, some_pv_id(f, c));
	mb_end(f, &b);
}

/* Any command number, any of our attributes with random payloads. */
static void fill_any(struct fuzz *f, void *arg, void *ctx)
{
	struct nctx *c = ctx;
	unsigned int i, n = fuzz_below(f, 5);
	char pol[320];
	struct mb b;

	mb_start(f, &b, arg, fuzz_one_in(f, 4) ? fuzz_u64(f) :
			     fuzz_below(f, VFIO_EXT_CMD_MAX + 3),
		 fuzz_one_in(f, 3), c);
	for (i = 0; i < n; i++) {
		switch (fuzz_below(f, 4)) {
		case 0:
			put_string(f, &b, VFIO_EXT_A_DEV_NAME,
				   some_name(f, c, true));
			break;
		case 1:
			some_policy(f, pol, sizeof(pol));
			put_string(f, &b, VFIO_EXT_A_DSM_POLICY, pol);
			break;
		case 2:
			put_u32(f, &b, VFIO_EXT_A_PVIOMMU_ID, some_pv_id(f, c));
			break;
		default:
			put_noise(f, &b);
			break;
		}
	}
	mb_end(f, &b);
}

/* ------------------------------------------------------------------ */
/* Sending and checking the answer                                     */
/* ------------------------------------------------------------------ */

static char rxbuf[65536];

static long problem(struct nctx *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Report a protocol problem (the caller returns an errno no call
 * documents, so fuzz_run() names the iteration).
 */
static long problem(struct nctx *c, int err, const char *fmt, ...)
{
	va_list ap;

	printf("# netlink fuzz, iteration %lu: ", c->f->iter);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return -err;
}

static int send_raw(struct nctx *c, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(c->fd, buf, len, 0, (struct sockaddr *)&sa,
		      sizeof(sa)) == (ssize_t)len ? 0 : -errno;
}

/* A validation or handler error: the core or our code explains it. */
static bool needs_extack(int err)
{
	return err == EINVAL || err == ERANGE || err == ENODEV ||
	       err == ENOENT || err == ENOSPC || err == EPERM;
}

static long check_reply(struct nctx *c, struct nlmsghdr *h)
{
	struct genlmsghdr *g = NLMSG_DATA(h);
	struct vfioext_nl_pviommu *pv;
	struct vfioext_nl_dev *d;
	int ret;

	if (h->nlmsg_type != c->family ||
	    h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return problem(c, EBADMSG, "unexpected message type %u",
			       h->nlmsg_type);
	switch (g->cmd) {
	case VFIO_EXT_CMD_DEV_GET:
		ret = vfioext_nl_parse_dev(h, &d);
		vfioext_nl_dev_free(d);
		break;
	case VFIO_EXT_CMD_PVIOMMU_GET:
		ret = vfioext_nl_parse_pviommu(h, &pv);
		vfioext_nl_pviommu_free(pv);
		break;
	default:
		return problem(c, EBADMSG, "a reply of command %u", g->cmd);
	}
	if (ret)
		return problem(c, EBADMSG, "a reply of command %u that does not parse",
			       g->cmd);
	return 0;
}

static long nl_invoke(const struct fuzz_call *call, void *arg, void *ctx)
{
	struct nlfz_msg *m = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf, *r;
	struct nlmsghdr noop = {
		.nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
	};
	bool noop_acked = false, multi = false, done = false, acked = false;
	struct pollfd pfd;
	struct nctx *c = ctx;
	char text[256];
	int result = 0, err, left, replies = 0;
	uint32_t seq = c->seq;
	ssize_t n;

	c->seq += 2;
	h->nlmsg_seq = seq;
	noop.nlmsg_seq = seq + 1;
	err = send_raw(c, m->buf, m->len);
	if (err)
		return problem(c, EPROTO, "sendto: %s", strerror(-err));
	err = send_raw(c, &noop, sizeof(noop));
	if (err)
		return problem(c, EPROTO, "sendto (sentinel): %s",
			       strerror(-err));

	while (!noop_acked || (multi && !done)) {
		pfd = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		if (poll(&pfd, 1, REPLY_TIMEOUT) != 1)
			return problem(c, ETIME, "no answer within %d ms",
				       REPLY_TIMEOUT);
		n = recv(c->fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
		if (n < 0)
			return problem(c, EPROTO, "recv: %s", strerror(errno));
		left = n;
		for (r = (struct nlmsghdr *)rxbuf; NLMSG_OK(r, left);
		     r = NLMSG_NEXT(r, left)) {
			if (r->nlmsg_seq == seq + 1) {
				if (r->nlmsg_type != NLMSG_ERROR ||
				    ((struct nlmsgerr *)NLMSG_DATA(r))->error)
					return problem(c, EPROTO,
						       "the sentinel was not acknowledged");
				noop_acked = true;
				continue;
			}
			if (r->nlmsg_seq != seq)
				return problem(c, EPROTO,
					       "a message with sequence %u, not %u",
					       r->nlmsg_seq, seq);
			if (done || acked)
				return problem(c, EPROTO,
					       "a message after the end of the answer");
			if (r->nlmsg_type == NLMSG_ERROR) {
				if (r->nlmsg_len < NLMSG_HDRLEN +
						   sizeof(struct nlmsgerr) ||
				    multi)
					return problem(c, EPROTO,
						       "a malformed or misplaced error ACK");
				err = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
				acked = true;
				if (err > 0)
					return problem(c, EPROTO,
						       "a positive error %d", err);
				if (err && needs_extack(-err) &&
				    !(m->flags & NLFZ_SHORT_HDR) &&
				    !vfioext_nl_extack_msg(r, text, sizeof(text)))
					return problem(c, ENOMSG,
						       "%s refused with %s without an extended ACK message",
						       call->name,
						       strerror(-err));
				if (err && replies)
					return problem(c, EPROTO,
						       "a reply and then an error");
				result = err;
				continue;
			}
			if (r->nlmsg_type == NLMSG_DONE) {
				if (r->nlmsg_len < NLMSG_HDRLEN + sizeof(int))
					return problem(c, EPROTO,
						       "a short NLMSG_DONE");
				memcpy(&err, NLMSG_DATA(r), sizeof(err));
				if (err > 0)
					return problem(c, EPROTO,
						       "NLMSG_DONE with %d", err);
				result = err;
				done = true;
				multi = true;
				continue;
			}
			/* A dump: all NLM_F_MULTI; a do: one reply. */
			if (replies && !!(r->nlmsg_flags & NLM_F_MULTI) != multi)
				return problem(c, EPROTO,
					       "NLM_F_MULTI on some replies only");
			if (replies && !multi)
				return problem(c, EPROTO,
					       "two replies to a do request");
			multi = r->nlmsg_flags & NLM_F_MULTI;
			replies++;
			err = check_reply(c, r);
			if (err)
				return err;
		}
	}
	c->replies += replies;
	c->dumps += multi;
	if (!acked && !done && !replies)
		c->silent++;
	if (result < 0 && -result < (int)ARRAY_SIZE(c->errs))
		c->errs[-result]++;
	else if (!result)
		c->ok++;
	return result;
}

static const struct fuzz_call nl_calls[] = {
	{ "dev-get", 0, fill_dev_get, nl_invoke, .errnos = e_dev },
	{ "dev-get dump", 0, fill_dev_dump, nl_invoke, .errnos = e_dev },
	{ "dsm-policy-set", 0, fill_policy_set, nl_invoke,
	  .errnos = e_policy },
	{ "dsm-policy-set (new rule)", 0, fill_policy_rule, nl_invoke,
	  .errnos = e_policy },
	{ "pviommu-get", 0, fill_pv_get, nl_invoke, .errnos = e_pv },
	{ "pviommu-get dump", 0, fill_pv_dump, nl_invoke, .errnos = e_pv },
	{ "any command", 0, fill_any, nl_invoke, .errnos = e_any },
};

/* ------------------------------------------------------------------ */

/* Put back a policy as dsm_policy showed it: "clear", then its lines. */
static int restore_policy(const char *bdf, const char *text)
{
	char line[256];
	const char *p = text, *nl;
	int ret = write_policy(bdf, "clear");

	while (!ret && *p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (line[0])
			ret = write_policy(bdf, line);
		p = *nl ? nl + 1 : nl;
	}
	return ret;
}

static bool same_regions(const struct vfioext_nl_dev *a,
			 const struct vfioext_nl_dev *b)
{
	struct vfioext_nl_dev_info x = nl_dev_info(a), y = nl_dev_info(b);
	struct vfioext_nl_region ra, rb;
	struct vfioext_nl_irq qa, qb;
	size_t i;

	if (x.nr_regions != y.nr_regions || x.nr_irqs != y.nr_irqs)
		return false;
	for (i = 0; i < x.nr_regions; i++) {
		ra = nl_dev_region(a, i);
		rb = nl_dev_region(b, i);
		if (ra.index != rb.index || ra.size != rb.size ||
		    ra.flags != rb.flags)
			return false;
	}
	for (i = 0; i < x.nr_irqs; i++) {
		qa = nl_dev_irq(a, i);
		qb = nl_dev_irq(b, i);
		if (qa.index != qb.index || qa.count != qb.count)
			return false;
	}
	return true;
}

/* What must be as before: all but the counters the fuzz may move. */
static bool same_dev(const struct vfioext_nl_dev *a,
		     const struct vfioext_nl_dev *b)
{
	struct vfioext_nl_dev_info x = nl_dev_info(a), y = nl_dev_info(b);

	return !strcmp(x.name, y.name) && x.vendor == y.vendor &&
	       x.device == y.device && x.iommu_group == y.iommu_group &&
	       !strcmp(x.driver, y.driver) && same_regions(a, b) &&
	       x.open == y.open && !strcmp(x.acpi_path, y.acpi_path) &&
	       !strcmp(x.dsm_policy, y.dsm_policy) &&
	       x.dsm_calls == y.dsm_calls &&
	       x.notify_handler == y.notify_handler &&
	       x.notify_count == y.notify_count;
}

FIXTURE(nlfuzz) {
	struct nctx c;
	struct fuzz f;
	struct vfio_handles h;
	void *buf;
	uint32_t domain;
	struct vfioext_nl *nl;
	struct vfioext_nl_dev **devs;	/* before the fuzz */
	size_t ndevs;
	struct vfioext_nl_pviommu *pv;
	char policy[1024];
	struct drv_binding bind;	/* its driver before: put back */
};

/* The teardown, also run by a setup that fails half-way (SETUP_ASSERT). */
static void nlfuzz_cleanup(FIXTURE_DATA(nlfuzz) *self)
{
	if (self->c.fd >= 0)
		close(self->c.fd);
	if (self->c.bdf[0] && self->policy[0])
		restore_policy(self->c.bdf, self->policy);
	vfioext_nl_dev_list_free(self->devs, self->ndevs);
	vfioext_nl_pviommu_free(self->pv);
	vfioext_nl_close(self->nl);
	vfio_close_all(&self->h);
	/* The bench as we found it (the netlink suite counts bound devices). */
	drv_restore(&self->bind);
}

FIXTURE_SETUP(nlfuzz)
{
	struct vfio_ext_pviommu_domain dom = { .argsz = sizeof(dom) };
	struct vfio_ext_pviommu_attach at = { .argsz = sizeof(at) };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct vfioext_nl_pviommu **v, *pv;
	int one = 1, rcvbuf = 1 << 20;
	struct nl_sock *sk;
	size_t i, n;

	vfio_handles_init(&self->h);
	self->c.fd = -1;
	if (edu_find(EDU_ALONE, self->c.bdf))
		SKIP(_exit(255), "no edu device on this machine");
	ASSERT_EQ(0, drv_bind_save(&self->bind, self->c.bdf,
				   VFIO_EXT_PCI_DRIVER_NAME));

	/* A container with an endpoint in a guest domain and a mapping. */
	/* Bound: from here a failing step undoes the setup (no teardown). */
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			vfio_open_all_iommu(&self->h, self->c.bdf,
					    VFIO_EXT_PVIOMMU_IOMMU));
	self->buf = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	SETUP_ASSERT(nlfuzz_cleanup(self), self->buf != MAP_FAILED);
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			dma_map(self->h.container, self->buf, 0x100000,
				MAP_SIZE, VFIO_DMA_MAP_FLAG_READ |
				VFIO_DMA_MAP_FLAG_WRITE));
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			ioctl(self->h.container,
			      VFIO_EXT_PVIOMMU_DOMAIN_ALLOC, &dom));
	self->domain = dom.id;
	at.group = self->h.group_id;
	at.vsid = 3;
	at.domain = dom.id;
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			ioctl(self->h.container, VFIO_EXT_PVIOMMU_ATTACH,
			      &at));

	/* Ground truth: the devices, our container, our policy. */
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			read_policy(self->c.bdf, self->policy,
				    sizeof(self->policy)));
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0, vfioext_nl_open(&self->nl));
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			vfioext_nl_dev_list(self->nl, &self->devs,
					    &self->ndevs, NULL));
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			vfioext_nl_pviommu_list(self->nl, &v, &n, NULL));
	pv = pviommu_by_owner(v, n, getpid());
	SETUP_ASSERT((vfioext_nl_pviommu_list_free(v, n), nlfuzz_cleanup(self)),
		     pv);
	for (i = 0; v[i] != pv; i++)
		;
	self->pv = pv;
	v[i] = NULL;	/* moved into self->pv */
	vfioext_nl_pviommu_list_free(v, n);
	self->c.pv_id = nl_pv_info(self->pv).id;

	/* Reads may name every bound device; policies only ours. */
	snprintf(self->c.near[0], sizeof(self->c.near[0]), "%s\n",
		 self->c.bdf);
	snprintf(self->c.near[1], sizeof(self->c.near[1]), " %s",
		 self->c.bdf);
	snprintf(self->c.near[2], sizeof(self->c.near[2]), "%sx",
		 self->c.bdf);
	snprintf(self->c.near[3], sizeof(self->c.near[3]), "%.11s",
		 self->c.bdf);
	snprintf(self->c.near[4], sizeof(self->c.near[4]), "%s",
		 self->c.bdf + 5);	/* without the domain */
	snprintf(self->c.near[5], sizeof(self->c.near[5]), "%s",
		 self->c.bdf);
	self->c.near[5][0] = 'X';
	for (i = 0; i < self->ndevs && i < MAX_NAMES; i++)
		snprintf(self->c.names[self->c.nr_names++], VFIOEXT_BDF_LEN,
			 "%s", nl_dev_info(self->devs[i]).name);
	SETUP_ASSERT(nlfuzz_cleanup(self), self->c.nr_names > 0);

	sk = nl_socket_alloc();
	SETUP_ASSERT(nlfuzz_cleanup(self), sk);
	SETUP_ASSERT_EQ((nl_socket_free(sk), nlfuzz_cleanup(self)), 0,
			genl_connect(sk));
	self->c.family = genl_ctrl_resolve(sk, VFIO_EXT_FAMILY_NAME);
	nl_socket_free(sk);
	SETUP_ASSERT(nlfuzz_cleanup(self), self->c.family > 0);

	self->c.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			    NETLINK_GENERIC);
	SETUP_ASSERT(nlfuzz_cleanup(self), self->c.fd >= 0);
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			bind(self->c.fd, (struct sockaddr *)&sa,
			     sizeof(sa)));
	SETUP_ASSERT_EQ(nlfuzz_cleanup(self), 0,
			setsockopt(self->c.fd, SOL_NETLINK, NETLINK_EXT_ACK,
				   &one, sizeof(one)));
	setsockopt(self->c.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	self->c.seq = 1;
	self->c.f = &self->f;
}

FIXTURE_TEARDOWN(nlfuzz)
{
	nlfuzz_cleanup(self);
}

TEST_F_TIMEOUT(nlfuzz, messages, 600)
{
	struct vfioext_nl_pviommu_info before, now;
	struct vfioext_nl_pviommu *pv;
	struct vfioext_nl_dev *d;
	char after[sizeof(self->policy)];
	size_t i;

	fuzz_init(&self->f, "netlink messages", NL_ITERS);
	EXPECT_EQ(0, fuzz_run(_metadata, &self->f, nl_calls,
			      ARRAY_SIZE(nl_calls), &self->c));
	TH_LOG("answers: %lu succeeded, %lu EINVAL, %lu ERANGE, %lu ENODEV,",
	       self->c.ok, self->c.errs[EINVAL], self->c.errs[ERANGE],
	       self->c.errs[ENODEV]);
	TH_LOG("  %lu ENOENT, %lu ENOSPC, %lu EOPNOTSUPP; %lu replies, %lu dumps,",
	       self->c.errs[ENOENT], self->c.errs[ENOSPC],
	       self->c.errs[EOPNOTSUPP], self->c.replies, self->c.dumps);
	TH_LOG("  %lu dropped without an answer (no ACK asked, bad framing)",
	       self->c.silent);
	/* The fuzz reached the handlers, not only the validation. */
	EXPECT_LT(0, self->c.ok);
	EXPECT_LT(0, self->c.errs[ENODEV]);
	EXPECT_LT(0, self->c.dumps);

	/* The policy as it was. */
	ASSERT_EQ(0, restore_policy(self->c.bdf, self->policy));
	ASSERT_EQ(0, read_policy(self->c.bdf, after, sizeof(after)));
	EXPECT_STREQ(self->policy, after);

	/* Not wedged: every device answers as before, our container too. */
	for (i = 0; i < self->ndevs; i++) {
		const char *name = nl_dev_info(self->devs[i]).name;

		ASSERT_EQ(0, vfioext_nl_dev_get(self->nl, name, &d, NULL));
		EXPECT_TRUE(same_dev(d, self->devs[i])) {
			TH_LOG("%s differs after the fuzz", nl_dev_info(d).name);
		}
		vfioext_nl_dev_free(d);
	}
	before = nl_pv_info(self->pv);
	ASSERT_EQ(0, vfioext_nl_pviommu_get(self->nl, before.id, &pv, NULL));
	now = nl_pv_info(pv);
	EXPECT_EQ(before.mappings, now.mappings);
	EXPECT_EQ(before.pinned, now.pinned);
	EXPECT_EQ(before.nr_endpoints, now.nr_endpoints);
	EXPECT_EQ(before.nr_domains, now.nr_domains);
	vfioext_nl_pviommu_free(pv);
}

TEST_HARNESS_MAIN
