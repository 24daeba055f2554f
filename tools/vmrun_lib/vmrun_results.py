# SPDX-License-Identifier: GPL-2.0-only
"""What the guest's output means: TAP counting per test, the result
channel's markers, the kernel-log scan (error patterns, reports accepted
under injected faults, early-boot reports), the summary, the --results
JSON, and --scan-log over a saved log.

Nothing here runs QEMU: a run feeds lines in, --scan-log and --self-test
feed saved or built-in ones.
"""

import json
import os
import re

from .vmrun_common import MARK, log

# Written to /dev/kmsg by the guest's init just before it loads any module:
# a kernel report ahead of it on the console came before any of our code.
EARLY_MARK = 'vmrun-init: loading modules'
# vmrun-init writes these around each test into the kernel log too, so a
# kernel report is matched to the test that ran when the kernel printed it
# (the console and the result channel are separate streams).
KMSG_TEST_RE = re.compile(r'vmrun-init: (begin|end) (\S+)')
KSFT_SKIP = 4

# Kernel error reports: any of these in the guest's kernel log fails the run.
KERNEL_ERROR_PATTERNS = [
	r'WARNING:',
	r'BUG:',
	r'Oops',
	r'general protection fault',
	r'KASAN:',
	r'UBSAN:',
	r'possible circular locking',
	r'possible recursive locking',
	r'inconsistent lock state',
	r'suspicious RCU usage',
	r'Kernel panic',
	r'INFO: task .* blocked for more than',
	r'soft lockup',
	r'hard LOCKUP',
	r'unreferenced object',
]
KERNEL_ERROR_RE = re.compile('|'.join(KERNEL_ERROR_PATTERNS))

# Reports a kernel outside vfio-ext makes when a test injects allocation
# failures on purpose, accepted only while that test runs (and listed in
# the log).  Linux 6.1's IOMMU core WARNs when the Intel driver cannot
# allocate while attaching a group's blocking domain; pviommu detects it
# and fails the call with ENOMEM (Documentation/testing.rst, "kernel
# behaviour under injected faults").  Which allocation point of the
# endpoint-attach case reaches it varies from boot to boot.  Likewise
# 6.12's core WARNs when it cannot attach the group's default domain again
# as VFIO gives up DMA ownership (a group leaving a container: the group
# stays blocked; nothing of ours is involved any more).
INJECTED_FAULT_TESTS = ('selftests/faults/',)
INJECTED_FAULT_REPORTS = re.compile(
	r'WARNING: .* at drivers/iommu/iommu\.c:\d+ '
	r'(__iommu_group_set_core_domain|__iommu_release_dma_ownership)')


# --- TAP --------------------------------------------------------------------

TAP_RESULT_RE = re.compile(
	r'^(?P<prefix>(?:[ \t]|#[ \t]?)*)(?P<ok>not ok|ok)[ \t]+(?P<num>\d+)'
	r'(?P<rest>.*)$')
TAP_PLAN_RE = re.compile(
	r'^(?P<prefix>(?:[ \t]|#[ \t]?)*)1\.\.(?P<n>\d+)(?P<rest>.*)$')
SKIP_RE = re.compile(r'#\s*(SKIP|TODO)\b', re.I)
TIMESTAMP_RE = re.compile(r'^\[\s*\d+\.\d+\]\s*')
# QEMU's own last words on its stderr (shared with the console): the cause
# of an abort (hw_error(), cpu_abort(), an assertion), printed before a
# register dump that pushes it out of any log's tail.
QEMU_ERROR_RE = re.compile(r'^(qemu: |qemu-system-\S+: |\*\*\s*ERROR)')


def tap_depth(prefix):
	"""Nesting depth: one per '#' (kselftest) or four spaces (TAP 14)."""
	rest = prefix.replace('#', '')
	return prefix.count('#') + rest.count('\t') + rest.count(' ') // 4


class TestResult:
	"""Counts of one test executable, from its TAP output and exit code."""

	def __init__(self, name):
		self.name = name
		self.passed = self.failed = self.skipped = 0
		self.rc = None
		self.timed_out = False
		self.finished = False
		self.secs = 0
		self.notes = []
		self.lines = []
		self.short_blocks = []

	def feed(self, line):
		self.lines.append(line)

	def finish(self, rc, timed_out=False, secs=0, finished=True):
		"""Count the results; rc is the exit code of the test."""
		self.rc, self.timed_out = rc, timed_out
		self.secs, self.finished = secs, finished
		cases, plan = self.count_tap()
		broken = not finished or timed_out
		if cases is None:
			# No TAP case: the exit code is the result.
			if broken:
				self.failed = 1
			elif plan == 'skip' and rc in (0, KSFT_SKIP):
				self.skipped = 1
			elif rc == 0:
				self.passed = 1
			elif rc == KSFT_SKIP:
				self.skipped = 1
			else:
				self.failed = 1
		else:
			self.passed, self.failed, self.skipped = cases
			if broken:
				self.failed += 1
			elif plan and plan[0] != plan[1]:
				self.notes.append('planned %d tests, ran %d' % plan)
				self.failed += not self.failed
			elif self.short_blocks:
				self.notes.append('planned %d tests, ran %d' %
						  self.short_blocks[0])
				self.failed += not self.failed
			elif rc not in (0, KSFT_SKIP):
				self.failed += not self.failed
		if timed_out:
			self.notes.append('timed out: killed after %d s' % secs)
		elif not finished:
			self.notes.append('did not finish')
		elif rc not in (0, KSFT_SKIP):
			self.notes.append('exit %d' % rc)

	def count_tap(self):
		"""(passed, failed, skipped) of the TAP cases, or None.

		A result line closing a block of deeper result lines is the
		summary of a nested group: not a case of its own, but a failed
		summary whose cases all passed still counts one failure.  The
		second value is 'skip' for a '1..0 # SKIP' plan, (planned,
		seen) for the outermost plan, or None.
		"""
		counts = {'pass': 0, 'fail': 0, 'skip': 0}
		deeper = {}	# depth -> a deeper result since the last one here
		fails = {}	# depth -> failed cases since the last one here
		plans, seen = {}, {}
		# depth -> [planned, seen] of the nested block open there: a
		# test's own TAP under the kselftest runner's, which says "ok"
		# for a test that printed half its plan and exited 0.
		blocks = {}
		self.short_blocks = []
		any_result = False

		def close_blocks(above):
			for k in sorted(blocks):
				if k > above:
					planned, ran = blocks.pop(k)
					if planned != ran:
						self.short_blocks.append(
							(planned, ran))

		for line in self.lines:
			m = TAP_PLAN_RE.match(line)
			if m:
				d = tap_depth(m.group('prefix'))
				if int(m.group('n')) == 0 and SKIP_RE.search(
						m.group('rest')):
					plans.setdefault(d, 'skip')
					blocks[d] = [0, 0]
				else:
					plans.setdefault(d, int(m.group('n')))
					blocks[d] = [int(m.group('n')), 0]
				continue
			m = TAP_RESULT_RE.match(line)
			if not m:
				continue
			any_result = True
			d = tap_depth(m.group('prefix'))
			seen[d] = seen.get(d, 0) + 1
			close_blocks(d)
			if d in blocks:
				blocks[d][1] += 1
			if SKIP_RE.search(m.group('rest')):
				status = 'skip'
			elif m.group('ok') == 'ok':
				status = 'pass'
			else:
				status = 'fail'
			failed = False
			if not deeper.get(d, False):
				counts[status] += 1
				failed = status == 'fail'
			elif status == 'fail' and not fails.get(d, 0):
				counts['fail'] += 1
				failed = True
			for k in list(deeper):
				if k >= d:
					deeper[k] = False
					fails[k] = 0
			for k in range(d):
				deeper[k] = True
				fails[k] = fails.get(k, 0) + failed
		top = min(seen) if seen else 0
		close_blocks(top)
		plan = plans.get(top)
		if plan == 'skip' and not any_result:
			return None, 'skip'
		if not any_result:
			return None, None
		if isinstance(plan, int):
			plan = (plan, seen.get(top, 0))
		else:
			plan = None
		return (counts['pass'], counts['fail'], counts['skip']), plan

	def status(self):
		if self.timed_out:
			return 'TIMEOUT'
		if self.failed:
			return 'FAIL'
		if self.passed:
			return 'PASS'
		return 'SKIP'

	def describe(self):
		s = '%-7s %s: %d passed, %d failed, %d skipped' % (
			self.status(), self.name, self.passed, self.failed,
			self.skipped)
		if self.finished:
			s += ' (%d s)' % self.secs
		if self.notes:
			s += ' [%s]' % '; '.join(self.notes)
		return s


# --- the result channel and the kernel log ----------------------------------

class Results:
	"""Parser of the guest's output: markers, test output, kernel log."""

	def __init__(self):
		self.tests = []
		self.current = None
		self.failures = []	# run-level failures, one count each
		self.kernel_errors = []
		self.injected_reports = []	# INJECTED_FAULT_REPORTS seen
		self._kernel_seen = set()
		self.in_dmesg = False
		self.kernel_started = False
		self.booted = False
		# Reports the kernel printed before init loaded any module
		# (EARLY_MARK; see supervise()); a first boot with one is retried.
		self.early_reports = []
		self.qemu_errors = []
		self.modules_loading = False
		# The test running in kernel-log order (KMSG_TEST_RE).
		self.kmsg_test = None
		self.retry_early = False
		self.boot_stalled = False
		self.done = False
		self.run_rc = None
		# Set by the run: request(words after 'qmp') answers a host
		# request with the reply line, reply(line) sends it to the
		# guest.  Without request (--scan-log) a request is not shown.
		self.request = None
		self.reply = None

	def scan_kernel(self, line):
		m = KMSG_TEST_RE.search(line)
		if m:
			self.kmsg_test = m.group(2) if m.group(1) == 'begin' \
				else None
			return
		if not KERNEL_ERROR_RE.search(line):
			return
		key = TIMESTAMP_RE.sub('', line.strip())
		if key in self._kernel_seen:
			return
		self._kernel_seen.add(key)
		if (self.kmsg_test and INJECTED_FAULT_REPORTS.search(line) and
		    self.kmsg_test.startswith(INJECTED_FAULT_TESTS)):
			self.injected_reports.append(line.strip())
			return
		self.kernel_errors.append(line.strip())

	def retry_wanted(self):
		"""A first boot whose kernel reported before init loaded any
		module, as the kernel log shows it (the mark seen after it), or
		whose init never started (boot_stalled, set by the runner)."""
		if self.retry_early and self.boot_stalled and not self.booted:
			return True
		return bool(self.retry_early and self.early_reports and
			    self.modules_loading)

	def console_line(self, line):
		"""A line of the kernel console (ttyS0) or of QEMU itself."""
		if TIMESTAMP_RE.match(line):
			self.kernel_started = True
		if EARLY_MARK in line:
			self.modules_loading = True
		if QEMU_ERROR_RE.match(line) and len(self.qemu_errors) < 4:
			self.qemu_errors.append(line.strip()[:300])
		n = len(self.kernel_errors)
		self.scan_kernel(line)
		if len(self.kernel_errors) > n and not self.modules_loading:
			self.early_reports.append(self.kernel_errors[-1])
		return True

	def result_line(self, line):
		"""A line of the result channel (ttyS1); see Channel."""
		if line.startswith(MARK + ' '):
			try:
				return self.marker(line[len(MARK) + 1:].split(' '))
			except (IndexError, ValueError):
				pass	# garbled: an ordinary line
		if self.in_dmesg:
			self.scan_kernel(line)
			return None
		if self.current:
			self.current.feed(line)
		return True

	def marker(self, words):
		"""Parse a marker line; returns the text to show for it."""
		what = words[0]
		if what == 'boot':
			self.booted = True
		elif what == 'modprobe':
			why = 'module %s failed to load (exit %s)' % (
				' '.join(words[2:]), words[1])
			self.failures.append(why)
			return 'vmrun: FAIL: ' + why
		elif what == 'plug':
			# plug RC ADDRESS [WHY]: the init's plug step
			# (BRIDGED_EDUS in vmrun_machine)
			if words[1] != '0':
				why = 'the bench could not plug %s (%s)' % (
					words[2], ' '.join(words[3:]) or
					'exit %s' % words[1])
				self.failures.append(why)
				return 'vmrun: FAIL: ' + why
			return 'vmrun: plugged %s' % words[2]
		elif what == 'begin':
			self.current = TestResult(' '.join(words[1:]))
			return 'vmrun: ---- %s' % self.current.name
		elif what == 'end' and self.current:
			t = self.current
			t.finish(int(words[1]), words[2] == '1', int(words[3]))
			self.tests.append(t)
			self.current = None
			return 'vmrun: ' + t.describe()
		elif what == 'run-end':
			self.run_rc = int(words[1])
			return 'vmrun: command exited with status %d' % self.run_rc
		elif what == 'qmp' and self.request:
			line = self.request(words[1:])
			if self.reply:
				self.reply(line)
			reply = line.split(' ', 3)[-1]
			if len(reply) > 160:	# query-pci: pages of it
				reply = reply[:160] + '... (%d bytes)' % len(reply)
			return 'vmrun: host request %s -> %s' % (
				' '.join(words[1:]), reply)
		elif what == 'dmesg-begin':
			self.in_dmesg = True
		elif what == 'dmesg-end':
			self.in_dmesg = False
		elif what == 'done':
			self.done = True
		return None

	def abort(self, reason):
		"""The guest stopped early: close the running test, if any."""
		t = self.current
		if t:
			t.finish(None, False, 0, finished=False)
			self.tests.append(t)
			self.current = None
			log(t.describe())
		self.failures.append(reason)

	def add_run_result(self):
		"""With --run, the command is the one result."""
		if self.run_rc is not None:
			t = TestResult('--run')
			t.finish(self.run_rc)
			self.tests.append(t)

	def counts(self):
		p = sum(t.passed for t in self.tests)
		f = sum(t.failed for t in self.tests) + len(self.failures)
		s = sum(t.skipped for t in self.tests)
		if self.kernel_errors:
			f += 1
		return p, f, s


# --- summary, --results, --scan-log -----------------------------------------

def report(res, results_file, timed_out):
	"""Print the summary, write --results; returns the counts."""
	passed, failed, skipped = res.counts()
	if res.tests:
		log('results:')
		for t in res.tests:
			print('  ' + t.describe())
	for why in res.failures:
		log('FAIL: ' + why)
	if res.kernel_errors:
		log('FAIL: kernel error reports in the guest log:')
		for line in res.kernel_errors:
			print('  ' + line)
	for line in res.injected_reports:
		log('accepted (a known kernel report under injected faults): ' +
		    line)
	if results_file:
		write_results(results_file, res, timed_out)
	print('%d passed, %d failed, %d skipped' % (passed, failed, skipped),
	      flush=True)
	return passed, failed, skipped


def write_results(path, res, timed_out):
	"""--results: the counts, each test and each run-level failure as
	JSON, for programs that should not parse the screen."""
	passed, failed, skipped = res.counts()
	tests = [{'name': t.name, 'status': t.status(),
		  'passed': t.passed, 'failed': t.failed,
		  'skipped': t.skipped, 'exit': t.rc, 'seconds': t.secs,
		  'notes': t.notes} for t in res.tests]
	out = {'passed': passed, 'failed': failed, 'skipped': skipped,
	       'kernel_errors': res.kernel_errors, 'timeout': timed_out,
	       'injected_fault_reports': res.injected_reports,
	       'failures': res.failures, 'tests': tests}
	os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
	with open(path, 'w') as f:
		json.dump(out, f, indent=1)
		f.write('\n')


def scan_log(path):
	"""--scan-log: parse a saved vmrun log, or any kernel log.

	In a vmrun log, test output and kernel messages are interleaved: a
	line with a kernel timestamp, or outside any test, is scanned for
	kernel error reports; the rest is test output.
	"""
	res = Results()
	with open(path, errors='replace') as f:
		for line in f:
			line = line.rstrip('\n').replace('\r', '')
			if line.startswith(MARK + ' '):
				res.result_line(line)
			elif res.current and not TIMESTAMP_RE.match(line):
				res.current.feed(line)
			else:
				res.scan_kernel(line)
	if res.current:
		res.abort('the log ends inside a test')
	res.add_run_result()
	_, failed, _ = report(res, None, False)
	return 1 if failed else 0
