// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvfio-ext: ACPI objects, the crosvm _DSM args layout in both
 * directions, and the _DSM call through vfio-pci-ext.
 *
 * The decoder reads what the kernel wrote, but it is written as if the
 * buffer were hostile: every size and count is checked against the buffer
 * first, with 64-bit arithmetic.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vfioext.h"
#include "internal.h"

#define DSM_HDR		VFIO_EXT_ACPI_DSM_ARGS_MIN
#define DSM_OBJ_HDR	8u
#define DSM_MAX_ARGS	VFIO_EXT_ACPI_DSM_ARGS_MAX

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ------------------------------------------------------------------ */
/* Objects                                                            */
/* ------------------------------------------------------------------ */

static struct vfioext_acpi_obj *obj_new(enum vfioext_acpi_type type)
{
	struct vfioext_acpi_obj *o = calloc(1, sizeof(*o));

	if (o)
		o->type = type;
	return o;
}

int vfioext_acpi_integer(uint64_t v, struct vfioext_acpi_obj **out)
{
	struct vfioext_acpi_obj *o;

	if (!out)
		return -EINVAL;
	o = obj_new(VFIOEXT_ACPI_INTEGER);
	if (!o)
		return -ENOMEM;
	o->integer = v;
	*out = o;
	return 0;
}

/* A String of @len bytes (NUL added), or a Buffer: 0 or -ENOMEM. */
static int obj_bytes(enum vfioext_acpi_type type, const void *data,
		     size_t len, struct vfioext_acpi_obj **out)
{
	struct vfioext_acpi_obj *o;
	uint8_t *copy;

	if (len == SIZE_MAX)
		return -ENOMEM;
	o = obj_new(type);
	if (!o)
		return -ENOMEM;
	copy = malloc(len + 1);
	if (!copy) {
		free(o);
		return -ENOMEM;
	}
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	o->length = len;
	if (type == VFIOEXT_ACPI_STRING)
		o->string = (char *)copy;
	else
		o->buffer = copy;
	*out = o;
	return 0;
}

int vfioext_acpi_string(const char *s, struct vfioext_acpi_obj **out)
{
	if (!s || !out)
		return -EINVAL;
	return obj_bytes(VFIOEXT_ACPI_STRING, s, strlen(s), out);
}

int vfioext_acpi_buffer(const void *data, size_t len,
			struct vfioext_acpi_obj **out)
{
	if ((!data && len) || !out)
		return -EINVAL;
	return obj_bytes(VFIOEXT_ACPI_BUFFER, data, len, out);
}

int vfioext_acpi_package(size_t count, struct vfioext_acpi_obj **out)
{
	struct vfioext_acpi_obj *o;

	if (!out)
		return -EINVAL;
	if (count > VFIO_EXT_ACPI_DSM_MAX_ELEMENTS)
		return -E2BIG;
	o = obj_new(VFIOEXT_ACPI_PACKAGE);
	if (!o)
		return -ENOMEM;
	o->elements = calloc(count ? count : 1, sizeof(*o->elements));
	if (!o->elements) {
		free(o);
		return -ENOMEM;
	}
	o->count = count;
	*out = o;
	return 0;
}

int vfioext_acpi_package_set(struct vfioext_acpi_obj *pkg, size_t i,
			     struct vfioext_acpi_obj *elem)
{
	if (!pkg || pkg->type != VFIOEXT_ACPI_PACKAGE || i >= pkg->count ||
	    !elem || elem->type == VFIOEXT_ACPI_PACKAGE) {
		vfioext_acpi_free(elem);
		return -EINVAL;
	}
	vfioext_acpi_free(pkg->elements[i]);
	pkg->elements[i] = elem;
	return 0;
}

void vfioext_acpi_free(struct vfioext_acpi_obj *obj)
{
	size_t i;

	if (!obj)
		return;
	if (obj->type == VFIOEXT_ACPI_PACKAGE && obj->elements) {
		for (i = 0; i < obj->count; i++)
			vfioext_acpi_free(obj->elements[i]);
	}
	free(obj->elements);
	free(obj->string);
	free(obj->buffer);
	free(obj);
}

int vfioext_acpi_get_type(const struct vfioext_acpi_obj *obj)
{
	return obj ? obj->type : -EINVAL;
}

int vfioext_acpi_get_integer(const struct vfioext_acpi_obj *obj, uint64_t *v)
{
	if (!obj || !v || obj->type != VFIOEXT_ACPI_INTEGER)
		return -EINVAL;
	*v = obj->integer;
	return 0;
}

const char *vfioext_acpi_get_string(const struct vfioext_acpi_obj *obj,
				    size_t *len)
{
	if (!obj || obj->type != VFIOEXT_ACPI_STRING)
		return NULL;
	if (len)
		*len = obj->length;
	return obj->string;
}

const void *vfioext_acpi_get_buffer(const struct vfioext_acpi_obj *obj,
				    size_t *len)
{
	if (!obj || obj->type != VFIOEXT_ACPI_BUFFER)
		return NULL;
	if (len)
		*len = obj->length;
	return obj->buffer;
}

size_t vfioext_acpi_package_count(const struct vfioext_acpi_obj *pkg)
{
	return pkg && pkg->type == VFIOEXT_ACPI_PACKAGE ? pkg->count : 0;
}

const struct vfioext_acpi_obj *
vfioext_acpi_package_get(const struct vfioext_acpi_obj *pkg, size_t i)
{
	if (!pkg || pkg->type != VFIOEXT_ACPI_PACKAGE || i >= pkg->count)
		return NULL;
	return pkg->elements[i];
}

/* ------------------------------------------------------------------ */
/* UUIDs                                                              */
/* ------------------------------------------------------------------ */

/* Byte i of the text form lands at byte order[i] of ToUUID()'s buffer. */
static const uint8_t uuid_order[16] = {
	3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15,
};

int vfioext_uuid_parse(const char *s, uint8_t out[16])
{
	unsigned int i, n = 0, hi, lo;

	if (!s || !out || strlen(s) != 36)
		return -EINVAL;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]))
			return -EINVAL;
		hi = isdigit((unsigned char)s[i]) ? s[i] - '0' :
		     tolower((unsigned char)s[i]) - 'a' + 10;
		lo = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' :
		     tolower((unsigned char)s[i + 1]) - 'a' + 10;
		out[uuid_order[n++]] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return 0;
}

void vfioext_uuid_format(const uint8_t uuid[16], char out[37])
{
	uint8_t t[16];
	unsigned int i;

	for (i = 0; i < 16; i++)
		t[i] = uuid[uuid_order[i]];
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9],
		 t[10], t[11], t[12], t[13], t[14], t[15]);
}

/* ------------------------------------------------------------------ */
/* The args layout                                                    */
/* ------------------------------------------------------------------ */

/* Bytes of a scalar's data; 0 and -EINVAL for what cannot be written. */
static int scalar_size(const struct vfioext_acpi_obj *o, uint64_t *size)
{
	switch (o->type) {
	case VFIOEXT_ACPI_INTEGER:
		*size = 8;
		return 0;
	case VFIOEXT_ACPI_STRING:
		if (!o->string)
			return -EINVAL;
		*size = o->length;
		return 0;
	case VFIOEXT_ACPI_BUFFER:
		if (!o->buffer && o->length)
			return -EINVAL;
		*size = o->length;
		return 0;
	default:
		return -EINVAL;
	}
}

static void put_scalar(const struct vfioext_acpi_obj *o, uint8_t *p)
{
	switch (o->type) {
	case VFIOEXT_ACPI_INTEGER:
		put64(p, o->integer);
		break;
	case VFIOEXT_ACPI_STRING:
		memcpy(p, o->string, o->length);
		break;
	case VFIOEXT_ACPI_BUFFER:
		if (o->length)
			memcpy(p, o->buffer, o->length);
		break;
	default:
		break;
	}
}

int vfioext_dsm_encode_args(const uint8_t uuid[16], uint64_t rev,
			    uint64_t func, const struct vfioext_acpi_obj *arg3,
			    void *buf, size_t len, size_t *used)
{
	uint8_t *p = buf;
	uint64_t need = DSM_HDR, sz;
	size_t i;
	int ret;

	if (!uuid || !buf)
		return -EINVAL;
	/* Size everything first: nothing is written on failure. */
	if (arg3) {
		need += DSM_OBJ_HDR;
		if (arg3->type == VFIOEXT_ACPI_PACKAGE) {
			if (arg3->count > VFIO_EXT_ACPI_DSM_MAX_ELEMENTS)
				return -E2BIG;
			for (i = 0; i < arg3->count; i++) {
				if (!arg3->elements[i])
					return -EINVAL;
				ret = scalar_size(arg3->elements[i], &sz);
				if (ret)
					return ret;
				if (sz > UINT32_MAX)
					return -EINVAL;
				need += DSM_OBJ_HDR + (sz + 7) / 8 * 8;
			}
		} else {
			ret = scalar_size(arg3, &sz);
			if (ret)
				return ret;
			if (sz > UINT32_MAX)
				return -EINVAL;
			need += sz;
		}
	}
	if (need > len)
		return -ENOSPC;

	memset(p, 0, (size_t)need);
	memcpy(p, uuid, 16);
	put64(p + 16, rev);
	put64(p + 24, func);
	if (arg3 && arg3->type == VFIOEXT_ACPI_PACKAGE) {
		size_t off = DSM_HDR + DSM_OBJ_HDR;

		put32(p + DSM_HDR, VFIO_EXT_ACPI_DSM_TYPE_PACKAGE);
		put32(p + DSM_HDR + 4, (uint32_t)arg3->count);
		for (i = 0; i < arg3->count; i++) {
			const struct vfioext_acpi_obj *e = arg3->elements[i];

			scalar_size(e, &sz);
			put32(p + off, e->type);
			put32(p + off + 4, (uint32_t)sz);
			put_scalar(e, p + off + DSM_OBJ_HDR);
			off += DSM_OBJ_HDR + (size_t)(sz + 7) / 8 * 8;
		}
	} else if (arg3) {
		scalar_size(arg3, &sz);
		put32(p + DSM_HDR, arg3->type);
		put32(p + DSM_HDR + 4, (uint32_t)sz);
		put_scalar(arg3, p + DSM_HDR + DSM_OBJ_HDR);
	}
	if (used)
		*used = (size_t)need;
	return 0;
}

/* Decode one scalar of @size bytes at @p (which has @size bytes). */
static int decode_scalar(uint32_t type, uint32_t size, const uint8_t *p,
			 struct vfioext_acpi_obj **out)
{
	switch (type) {
	case VFIO_EXT_ACPI_DSM_TYPE_INTEGER:
		if (size != 8)
			return -EINVAL;
		return vfioext_acpi_integer(get64(p), out);
	case VFIO_EXT_ACPI_DSM_TYPE_STRING:
		/* size counts the NUL, which must be there, and be last. */
		if (!size || p[size - 1] != '\0' ||
		    memchr(p, '\0', size - 1))
			return -EINVAL;
		return obj_bytes(VFIOEXT_ACPI_STRING, p, size - 1, out);
	case VFIO_EXT_ACPI_DSM_TYPE_BUFFER:
		return obj_bytes(VFIOEXT_ACPI_BUFFER, p, size, out);
	default:
		return -EINVAL;
	}
}

int vfioext_dsm_decode_result(const void *buf, size_t len,
			      struct vfioext_acpi_obj **result)
{
	const uint8_t *p = buf;
	struct vfioext_acpi_obj *pkg, *e;
	uint32_t type, size, i;
	uint64_t off;
	int ret;

	if (!buf || !result)
		return -EINVAL;
	*result = NULL;
	if (len < DSM_HDR + DSM_OBJ_HDR)
		return -EINVAL;
	type = get32(p + DSM_HDR);
	size = get32(p + DSM_HDR + 4);
	off = DSM_HDR + DSM_OBJ_HDR;

	if (type != VFIO_EXT_ACPI_DSM_TYPE_PACKAGE) {
		if (size > len - off)
			return -EINVAL;
		return decode_scalar(type, size, p + off, result);
	}

	if (size > VFIO_EXT_ACPI_DSM_MAX_ELEMENTS)
		return -E2BIG;
	ret = vfioext_acpi_package(size, &pkg);
	if (ret)
		return ret;
	for (i = 0; i < size; i++) {
		uint32_t esize;

		ret = -EINVAL;
		if (len - off < DSM_OBJ_HDR)
			goto err;	/* the count lies */
		type = get32(p + off);
		esize = get32(p + off + 4);
		off += DSM_OBJ_HDR;
		if (esize > len - off)
			goto err;	/* the size lies */
		ret = decode_scalar(type, esize, p + off, &e);
		if (ret)
			goto err;	/* nested Package, unknown type, ... */
		pkg->elements[i] = e;
		off += esize;
	}
	*result = pkg;
	return 0;
err:
	vfioext_acpi_free(pkg);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Calls                                                              */
/* ------------------------------------------------------------------ */

/*
 * VFIO_EXT_DEVICE_ACPI_DSM on @len bytes of args at @args: the kernel
 * writes only the result into them, and on -ENOSPC the size it needs
 * into *@needed (0 when @needed is NULL or it is not larger).
 */
static int dsm_ioctl(struct vfioext_device *d, void *args, size_t len,
		     size_t *needed)
{
	struct vfio_ext_acpi_dsm a = {
		.argsz = sizeof(a),
		.args_size = (uint32_t)len,
		.args = (uintptr_t)args,
	};
	int fd = vfioext_device_fd(d), ret;

	if (fd < 0)
		return fd;
	ret = ioctl(fd, VFIO_EXT_DEVICE_ACPI_DSM, &a) ? -errno : 0;
	/*
	 * The method ran: the kernel wrote the size the result needs.  Never
	 * run it again here, it may not be idempotent; the caller decides.
	 */
	if (ret == -ENOSPC && needed)
		*needed = a.args_size > len ? a.args_size : 0;
	return ret;
}

int vfioext_acpi_dsm_raw(struct vfioext_device *d, void *args, size_t len,
			 size_t *needed)
{
	if (!d || !args || len < DSM_HDR || len > DSM_MAX_ARGS)
		return -EINVAL;
	return dsm_ioctl(d, args, len, needed);
}

int vfioext_acpi_dsm(struct vfioext_device *d, const uint8_t uuid[16],
		     uint64_t rev, uint64_t func,
		     const struct vfioext_acpi_obj *arg3,
		     struct vfioext_acpi_obj **result)
{
	uint8_t *args;
	int ret;

	if (!d || !uuid || !result)
		return -EINVAL;
	*result = NULL;
	args = calloc(1, DSM_MAX_ARGS);
	if (!args)
		return -ENOMEM;
	ret = vfioext_dsm_encode_args(uuid, rev, func, arg3, args,
				      DSM_MAX_ARGS, NULL);
	if (!ret)
		ret = dsm_ioctl(d, args, DSM_MAX_ARGS, NULL);
	if (!ret)
		ret = vfioext_dsm_decode_result(args, DSM_MAX_ARGS, result);
	free(args);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Notifications                                                      */
/* ------------------------------------------------------------------ */

static int notify_set(struct vfioext_device *d, uint32_t data_type,
		      uint32_t count, const void *data, size_t len)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(uint32_t)];
	struct vfio_irq_set *set = (void *)buf;
	int fd = vfioext_device_fd(d);

	if (fd < 0)
		return fd;
	memset(buf, 0, sizeof(buf));
	set->argsz = (uint32_t)(sizeof(*set) + len);
	set->flags = VFIO_IRQ_SET_ACTION_TRIGGER | data_type;
	set->index = VFIO_PCI_ACPI_NTFY_IRQ_INDEX;
	set->count = count;
	if (len)
		memcpy(set->data, data, len);
	return ioctl(fd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

int vfioext_acpi_notify_enable(struct vfioext_device *d, int eventfd)
{
	int32_t fd = eventfd;

	if (eventfd < 0)
		return -EBADF;
	return notify_set(d, VFIO_IRQ_SET_DATA_EVENTFD, 1, &fd, sizeof(fd));
}

int vfioext_acpi_notify_disable(struct vfioext_device *d)
{
	return notify_set(d, VFIO_IRQ_SET_DATA_NONE, 0, NULL, 0);
}

int vfioext_acpi_notify_test(struct vfioext_device *d, uint32_t value)
{
	return notify_set(d, VFIO_IRQ_SET_DATA_BOOL, 1, &value, sizeof(value));
}

int vfioext_acpi_notify_open(struct vfioext_device *d, uint32_t flags)
{
	/*
	 * Always non-blocking: a timed read polls, then reads; a blocking
	 * read could sleep past the timeout when another reader took the
	 * record poll() announced.
	 */
	struct vfio_ext_acpi_notify_fd a = {
		.argsz = sizeof(a),
		.flags = VFIO_EXT_ACPI_NOTIFY_FD_NONBLOCK,
	};
	int fd = vfioext_device_fd(d), ch;

	if (fd < 0)
		return fd;
	if (flags)
		return -EINVAL;	/* none defined yet */
	ch = ioctl(fd, VFIO_EXT_DEVICE_ACPI_NOTIFY_FD, &a);
	return ch < 0 ? -errno : ch;
}

/*
 * Milliseconds left until @deadline (CLOCK_MONOTONIC), rounded up so a
 * wait never ends before it; 0 once it passed.
 */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000000000 +
	     (deadline->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	ns = (ns + 999999) / 1000000;
	return ns > INT_MAX ? INT_MAX : (int)ns;
}

/* The record's size is fixed for the channels this library opens (uAPI). */
static_assert(sizeof(struct vfio_ext_acpi_notify_record) == 32,
	      "vfio_ext_acpi_notify_record is frozen at 32 bytes");

int vfioext_acpi_notify_read(int fd, struct vfio_ext_acpi_notify_record *recs,
			     size_t max, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec deadline;
	int fl, ret, wait = timeout_ms;
	ssize_t n;

	if (fd < 0 || !recs || !max || timeout_ms < -1)
		return -EINVAL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK))
		return -EINVAL;	/* see vfioext_acpi_notify_open() */
	if (max > 4096)
		max = 4096;
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	for (;;) {
		n = read(fd, recs, max * sizeof(*recs));
		if (n > 0)
			return (int)(n / (ssize_t)sizeof(*recs));
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (!n) {
			/*
			 * End of the channel (the device closed, the queue
			 * drained).  Modules before API version 6 also read
			 * 0 when another reader took the record first: only
			 * a closed device polls EPOLLHUP.
			 */
			p.revents = 0;
			if (poll(&p, 1, 0) < 0)
				return -errno;
			if (p.revents & POLLHUP)
				return 0;
		}
		/* Nothing (left) to read: wait what remains of the timeout. */
		if (!wait)
			return -ETIMEDOUT;
		ret = poll(&p, 1, wait);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		if (timeout_ms > 0)
			wait = ms_left(&deadline);
	}
}
