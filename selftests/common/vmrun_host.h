/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest side of tools/vmrun's host requests: a test asks the host to run a
 * QMP command on the QEMU that runs it (hot-unplug and re-plug of a device,
 * say).  The request is a marker line on stdout (the result channel,
 * ttyS1); vmrun answers on the same serial line, which we read from
 * /dev/ttyS1.  vmrun's --help ("host requests") has the protocol and the
 * commands it accepts.  VMRUN_QMP=1 in the environment says a vmrun host
 * listens.
 */
#ifndef VMRUN_HOST_H
#define VMRUN_HOST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VMRUN_MARK	"@@vmrun@@"

static inline long vmrun_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * Run the QMP command @json (one line) on the host; the reply's JSON goes
 * to @reply.  0 when QEMU returned, -EIO when it answered with an error,
 * -EOPNOTSUPP without a vmrun host, -ETIMEDOUT without an answer in
 * @timeout_ms.
 */
static inline int vmrun_qmp(const char *json, char *reply, size_t len,
			    int timeout_ms)
{
	static unsigned int seq;
	char id[32], want[64], line[2048];
	long deadline = vmrun_now_ms() + timeout_ms;
	size_t have = 0;
	int fd, out, ret = -ETIMEDOUT;

	if (!getenv("VMRUN_QMP"))
		return -EOPNOTSUPP;
	fd = open("/dev/ttyS1", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -EOPNOTSUPP;
	snprintf(id, sizeof(id), "%d-%u", (int)getpid(), ++seq);
	snprintf(want, sizeof(want), VMRUN_MARK " qmp-reply %s ", id);
	out = open("/dev/ttyS1", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (out < 0) {
		close(fd);
		return -EOPNOTSUPP;
	}
	fflush(stdout);		/* what the test printed comes first */
	dprintf(out, VMRUN_MARK " qmp %s %s\n", id, json);
	close(out);
	while (vmrun_now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;

		if (poll(&p, 1, deadline - vmrun_now_ms()) <= 0)
			continue;
		n = read(fd, line + have, sizeof(line) - 1 - have);
		if (n <= 0)
			continue;
		have += n;
		line[have] = '\0';
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (!strncmp(line, want, strlen(want))) {
				const char *r = line + strlen(want);

				snprintf(reply, len, "%s", r);
				ret = strstr(r, "\"return\"") ? 0 : -EIO;
				goto out;
			}
			have -= nl + 1 - line;
			memmove(line, nl + 1, have + 1);
		}
		if (have == sizeof(line) - 1)
			have = 0;	/* an overlong line: not ours */
	}
out:
	close(fd);
	return ret;
}

#endif /* VMRUN_HOST_H */
