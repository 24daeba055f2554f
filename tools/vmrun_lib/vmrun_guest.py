# SPDX-License-Identifier: GPL-2.0-only
"""One boot of the guest: the bench lock, the QEMU child (killed with
vmrun), the console and result channels streamed live to the screen and
the log, host requests answered, the one retry after an early-boot kernel
report, and the exit status."""

import ctypes
import fcntl
import functools
import os
import select
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

from .vmrun_common import MARK, die, log
from .vmrun_initramfs import build_initramfs
from .vmrun_kernel import pvh_kernel
from .vmrun_machine import (Qmp, compile_acpi, host_request, kvm_works,
			    plug_list, qemu_command, qmp_path)
from .vmrun_results import Results, report

POWEROFF_GRACE = 30	# seconds from the end marker to QEMU's exit
# A guest whose init has not started this long after QEMU did is stuck in
# early boot (seen under TCG: both vCPUs spinning, the console silent,
# before any of our code loads).  The slowest boot seen, the debug kernel
# on a busy host, took 33 s.
BOOT_STALL = 180


def bench_lock(cache_dir, timeout):
	"""One QEMU at a time on this machine, across clones and users of
	the cache: an exclusive flock, held until the process exits."""
	os.makedirs(cache_dir, exist_ok=True)
	f = open(os.path.join(cache_dir, 'vmrun.lock'), 'a+')
	deadline = time.monotonic() + timeout if timeout else None
	waiting = False
	while True:
		try:
			fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
			break
		except BlockingIOError:
			pass
		if not waiting:
			f.seek(0)
			log('waiting for the other vmrun (%s) to finish' %
			    (f.read().strip() or '?'))
			waiting = True
		if deadline and time.monotonic() > deadline:
			die('timed out waiting for the other vmrun', 1)
		time.sleep(1)
	f.seek(0)
	f.truncate()
	f.write('pid %d, %s\n' % (os.getpid(), os.getcwd()))
	f.flush()
	return f


class Tee:
	"""sys.stdout that also writes to the log file."""

	def __init__(self, out, logf):
		self.out, self.logf = out, logf

	def write(self, s):
		self.out.write(s)
		self.logf.write(s)

	def flush(self):
		self.out.flush()
		self.logf.flush()

	def fileno(self):
		return self.out.fileno()


class Stream:
	"""Live copy of the guest's output to the screen and the log.

	The log gets every line as received (marker lines and the kernel log
	dump included: --scan-log parses it again); the screen shows marker
	lines in readable form and leaves the dump out.
	"""

	def __init__(self, logf):
		self.logf = logf
		self.partial_owner = None

	def write(self, text, screen=True, logged=True):
		if screen:
			out = getattr(sys.stdout, 'out', sys.stdout)
			out.write(text)
			out.flush()
		if logged and self.logf:
			self.logf.write(text)
			self.logf.flush()

	def _break_partial(self, chan):
		if self.partial_owner is not None and self.partial_owner != chan:
			self.write('\n')
			self.partial_owner.shown = 0
		self.partial_owner = None

	def line(self, chan, text, screen=True):
		self._break_partial(chan)
		if screen:
			self.write(text[chan.shown:] + '\n')
		else:
			self.write(text + '\n', screen=False)
		chan.shown = 0

	def partial(self, chan):
		"""Show an incomplete line that has been waiting a while."""
		text = chan.buf.decode(errors='replace')
		if len(text) <= chan.shown:
			return
		self._break_partial(chan)
		self.write(text[chan.shown:], logged=False)
		chan.shown = len(text)
		self.partial_owner = chan


class Channel:
	"""One guest output channel; on_line(text) parses a line and tells
	whether it goes on the screen (True), as other text (a str), or not
	at all (None)."""

	def __init__(self, name, fd, on_line):
		self.name = name
		self.fd = fd
		self.on_line = on_line
		self.buf = b''
		self.shown = 0
		self.last = time.monotonic()

	def feed(self, data, stream):
		self.buf += data
		self.last = time.monotonic()
		while b'\n' in self.buf:
			raw, self.buf = self.buf.split(b'\n', 1)
			text = raw.decode(errors='replace').replace('\r', '')
			show = self.on_line(text)
			if show is True:
				stream.line(self, text)
			else:
				stream.line(self, text, screen=False)
				if show:
					stream.write(show + '\n', logged=False)

	def flush(self, stream):
		if self.buf:
			self.feed(b'\n', stream)


def run_guest(cmd, sock_srv, res, stream, timeout):
	"""Boot, stream, parse.  Returns (QEMU exit status, timed out)."""
	start = time.monotonic()
	try:
		proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
					stdout=subprocess.PIPE,
					stderr=subprocess.STDOUT,
					preexec_fn=die_with_parent)
	except OSError as e:
		res.failures.append('QEMU failed to start: %s' % e)
		return None, False
	try:
		return follow_guest(proc, start, sock_srv, res, stream, timeout)
	finally:
		if proc.poll() is None:
			proc.kill()
			proc.wait()


def follow_guest(proc, start, sock_srv, res, stream, timeout):
	"""The select loop over the console and the result channel."""
	con = Channel('console', proc.stdout.fileno(), res.console_line)
	chans = {con.fd: con}
	result_chan = None
	timed_out = False
	boot_shown = False
	done_at = None
	while chans:
		now = time.monotonic()
		if timeout and now - start > timeout:
			timed_out = True
			break
		if res.done and done_at is None:
			done_at = now
		if done_at and now - done_at > POWEROFF_GRACE:
			res.failures.append('the guest did not power off within '
					    '%d s of the end marker' %
					    POWEROFF_GRACE)
			proc.kill()
			done_at = float('inf')
		fds = list(chans)
		if result_chan is None:
			fds.append(sock_srv.fileno())
		ready, _, _ = select.select(fds, [], [], 0.5)
		for fd in ready:
			if fd == sock_srv.fileno():
				conn, _ = sock_srv.accept()
				result_chan = Channel('result', conn.fileno(),
						      res.result_line)
				result_chan.sock = conn
				res.reply = lambda line, c=conn: c.sendall(
					(line + '\n').encode())
				chans[result_chan.fd] = result_chan
				continue
			chan = chans[fd]
			try:
				data = os.read(fd, 65536)
			except OSError:
				data = b''
			if not data:
				chan.flush(stream)
				del chans[fd]
				continue
			chan.feed(data, stream)
		for chan in chans.values():
			if chan.buf and time.monotonic() - chan.last > 1.0:
				stream.partial(chan)
		if res.booted and not boot_shown:
			boot_shown = True
			log('guest init reached after %.1f s' %
			    (time.monotonic() - start))
		if not res.booted and now - start > BOOT_STALL:
			res.boot_stalled = True
			if res.retry_wanted():
				proc.kill()
				break
		if res.retry_wanted():
			proc.kill()
			break
	if timed_out:
		proc.kill()
	try:
		rc = proc.wait(timeout=30)
	except subprocess.TimeoutExpired:
		proc.kill()
		rc = proc.wait()
	for chan in chans.values():
		chan.flush(stream)
	if result_chan:
		result_chan.sock.close()
	log('QEMU exited (%s) after %.1f s' % (
		'killed' if timed_out or rc < 0 else 'status %d' % rc,
		time.monotonic() - start))
	return rc, timed_out


def die_with_parent():
	"""In the QEMU child: get SIGKILL when vmrun dies, however it dies."""
	try:
		libc = ctypes.CDLL(None, use_errno=True)
		libc.prctl(1, signal.SIGKILL)	# PR_SET_PDEATHSIG
	except (OSError, AttributeError):
		pass


def serve_plug_requests(srv, qmp):
	"""In interactive mode: answer the init's host requests (its plug
	step, BRIDGED_EDUS in vmrun_machine) on the result channel, which
	nothing else uses there; a thread, done when QEMU closes the
	channel."""
	try:
		conn, _ = srv.accept()
	except OSError:
		return
	buf = b''
	with conn:
		while True:
			try:
				data = conn.recv(4096)
			except OSError:
				break
			if not data:
				break
			buf += data
			while b'\n' in buf:
				raw, buf = buf.split(b'\n', 1)
				words = raw.decode(errors='replace').strip().split(' ')
				if len(words) > 2 and words[:2] == [MARK, 'qmp']:
					line = host_request(qmp, words[2:])
					conn.sendall((line + '\n').encode())
	qmp.close()


def run_interactive(cmd, sock=None):
	"""QEMU on the terminal; with sock (--iommu amd), the result channel
	is served for the init's plug requests (serve_plug_requests())."""
	log('interactive guest: Ctrl-a x quits, Ctrl-a c is the monitor')
	if sock:
		srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		srv.bind(sock)
		srv.listen(1)
		threading.Thread(target=serve_plug_requests,
				 args=(srv, Qmp(qmp_path(sock))),
				 daemon=True).start()
	try:
		return subprocess.call(cmd, preexec_fn=die_with_parent)
	except OSError as e:
		die('QEMU failed to start: %s' % e, 1)


def boot(args, mode, tests, kernel, kmoddir, kver, tmp, cache_dir):
	"""Assemble the guest and its QEMU command line, then boot it (or
	print the command: --dry-run); returns the exit status."""
	acpi = compile_acpi(args.acpi_table, tmp)
	initrd = build_initramfs(args, mode, tests, kmoddir, kver, tmp)
	if not args.no_pvh:
		kernel = pvh_kernel(kernel, cache_dir) or kernel
	if not args.dry_run:
		args.lock = bench_lock(cache_dir, 0 if args.interactive
				       else args.timeout)
	accel = args.accel
	if accel == 'auto':
		accel = 'kvm' if kvm_works(args.qemu, kernel, initrd,
					    cache_dir) else 'tcg'
	if args.log:
		os.makedirs(os.path.dirname(os.path.abspath(args.log)),
			    exist_ok=True)
	sock = os.path.join(tmp, 'result.sock')
	cmd = qemu_command(args, kernel, initrd, sock, acpi, accel)
	cmdline = ' '.join(shlex.quote(c) for c in cmd)
	if args.dry_run:
		print(cmdline)
		return 0
	if mode == 'interactive':
		return run_interactive(cmd, sock if plug_list(args) else None)

	logf = open(args.log, 'w') if args.log else None
	if logf:
		sys.stdout = Tee(sys.stdout, logf)
	try:
		return supervise(args, mode, cmd, cmdline, sock)
	finally:
		if logf:
			sys.stdout = sys.stdout.out
			logf.close()


def supervise(args, mode, cmd, cmdline, sock):
	"""Boot the guest, follow it, report; returns the exit status.

	A kernel report printed, in the kernel's own log order, before the
	guest's init loaded any module (EARLY_MARK) is the kernel's own (under TCG the
	debug kernel has shown a rare early-boot KASAN report in interrupt
	handling): that boot is abandoned and the guest booted once more.  So
	is a boot whose init has not started after BOOT_STALL seconds.  A
	second one fails the run like any other report, and both are in the
	log.
	"""
	log('accel %s: %s' % (cmd[cmd.index('-accel') + 1], cmdline))
	for attempt in (1, 2):
		for path in (sock, qmp_path(sock)):
			if os.path.exists(path):
				os.unlink(path)
		srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		srv.bind(sock)
		srv.listen(1)
		res = Results()
		res.retry_early = attempt == 1
		qmp = Qmp(qmp_path(sock))
		res.request = functools.partial(host_request, qmp)
		stream = Stream(getattr(sys.stdout, 'logf', None))
		try:
			rc, timed_out = run_guest(cmd, srv, res, stream,
						  args.timeout)
		finally:
			qmp.close()
		srv.close()
		if not res.retry_wanted():
			break
		if res.boot_stalled:
			log('guest init not started %d s after boot (none of our '
			    'code had run) -- booting again, once' % BOOT_STALL)
		else:
			log('kernel report before init started (none of our '
			    'code had run): %s -- booting again, once' %
			    res.early_reports[0])

	if timed_out:
		where = ('while running ' + res.current.name if res.current else
			 'before the tests started' if not res.tests else
			 'after the tests')
		res.abort('overall timeout (%d s) %s' % (args.timeout, where))
	elif rc is None:
		pass
	elif not res.kernel_started and not res.booted:
		# Kernels without CONFIG_PRINTK_TIME print no timestamps: the
		# init's boot marker proves the start as well.
		res.abort('QEMU failed to start (exit %s)' % rc)
	elif not res.done:
		res.abort('the guest stopped before the end marker (%s%s)%s' % (
			'QEMU exit %d' % rc if rc else 'reset, panic or poweroff',
			'' if res.booted else ', init never started',
			''.join('; QEMU said: ' + e for e in res.qemu_errors)))
	res.add_run_result()

	_, failed, _ = report(res, args.results, timed_out)
	if mode == 'run':
		if res.run_rc is None or res.failures or res.kernel_errors:
			return res.run_rc or 1
		return res.run_rc
	return 1 if failed else 0
