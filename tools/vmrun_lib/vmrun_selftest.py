# SPDX-License-Identifier: GPL-2.0-only
"""--self-test: the result counting, the kernel error scan, the host
request protocol and the bench's plug step (marker and command lines) on
built-in samples, without a guest."""

import argparse
import functools

from .vmrun_common import MARK
from .vmrun_machine import (BRIDGED_EDUS, host_request, plug_list,
			    qemu_command)
from .vmrun_results import EARLY_MARK, KSFT_SKIP, Results, TestResult


def self_test():
	"""--self-test: check the TAP counting and the kernel error scan."""
	def tap(lines, rc, to=False):
		t = TestResult('t')
		for l in lines:
			t.feed(l)
		t.finish(rc, to, 1)
		return t.passed, t.failed, t.skipped

	harness = ['TAP version 13', '1..3', '# Starting 3 tests from 1 test cases.',
		   '#  RUN           f.a ...', '#            OK  f.a', 'ok 1 f.a',
		   '#  RUN           f.b ...', '# t.c:10:b:Expected 1 (1) == 2 (2)',
		   '#            FAIL  f.b', 'not ok 2 f.b',
		   '#      SKIP      no device', '#            OK  f.c',
		   'ok 3 # SKIP no device', '# FAILED: 1 / 3 tests passed.',
		   '# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0']
	nested = ['TAP version 13', '1..2', '# selftests: vfio: a_test',
		  '# TAP version 13', '# 1..2', '# ok 1 x', '# ok 2 y',
		  'ok 1 selftests: vfio: a_test',
		  '# selftests: vfio: b_test', '# 1..1', '# not ok 1 z',
		  'not ok 2 selftests: vfio: b_test # exit=1']
	crashed_group = ['1..1', '    1..2', '    ok 1 x', '    ok 2 y',
			 'not ok 1 group']
	cases = [
		('harness', tap(harness, 1), (1, 1, 1)),
		('nested', tap(nested, 1), (2, 1, 0)),
		('crashed group', tap(crashed_group, 1), (2, 1, 0)),
		('exit 0', tap(['hello'], 0), (1, 0, 0)),
		('exit 4', tap([], KSFT_SKIP), (0, 0, 1)),
		('exit 1', tap([], 1), (0, 1, 0)),
		('skip all', tap(['1..0 # SKIP no vfio'], KSFT_SKIP), (0, 0, 1)),
		('crash after pass', tap(['1..1', 'ok 1 a'], 139), (1, 1, 0)),
		('short plan', tap(['1..3', 'ok 1 a'], 0), (1, 1, 0)),
		('timeout', tap(['1..2', 'ok 1 a'], 143, True), (1, 1, 0)),
		('skip all, exit 0', tap(['1..0 # SKIP no vfio'], 0), (0, 0, 1)),
		('crashed nested group', tap(
			['1..1', '# 1..1', '# # 1..2', '# # ok 1 x', '# # ok 2 y',
			 '# not ok 1 inner', 'not ok 1 outer'], 1), (2, 1, 0)),
		('kselftest runner nesting', tap(
			['TAP version 13', '1..1', '# selftests: vfio: t',
			 '# TAP version 13', '# 1..3', '# ok 1 a',
			 '# ok 2 b # SKIP x', '# not ok 3 c',
			 '# # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0',
			 'not ok 1 selftests: vfio: t # exit=1'], 1), (1, 1, 1)),
		('timeout no tap', tap([], 143, True), (0, 1, 0)),
		# One test through the installed collection's run_kselftest.sh
		# -t (linux-source-6.1's runner: it exits 0 whatever the test
		# did; the result is its TAP).
		('run_kselftest.sh harness', tap(
			['TAP version 13', '1..1', '# selftests: s: t',
			 '# TAP version 13', '# 1..3',
			 '# # Starting 3 tests from 1 test cases.',
			 '# #  RUN           f.a ...', '# #            OK  f.a',
			 '# ok 1 f.a', '# #            FAIL  f.b', '# not ok 2 f.b',
			 '# ok 3 # SKIP no device', '# # FAILED: 1 / 3 tests passed.',
			 'not ok 1 selftests: s: t # exit=1'], 0), (1, 1, 1)),
		('run_kselftest.sh all skipped', tap(
			['TAP version 13', '1..1', '# selftests: s: t',
			 '# TAP version 13', '# 1..1', '# ok 1 # SKIP no device',
			 '# # Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0',
			 'ok 1 selftests: s: t'], 0), (0, 0, 1)),
		('run_kselftest.sh skip plan', tap(
			['TAP version 13', '1..1', '# selftests: s: t',
			 '# 1..0 # SKIP no vfio', 'ok 1 selftests: s: t # SKIP'], 0),
		 (0, 0, 1)),
		('run_kselftest.sh no tap, exit 0', tap(
			['TAP version 13', '1..1', '# selftests: extra: e',
			 '# hello', 'ok 1 selftests: extra: e'], 0), (1, 0, 0)),
		('run_kselftest.sh no tap, exit 1', tap(
			['TAP version 13', '1..1', '# selftests: extra: e',
			 'not ok 1 selftests: extra: e # exit=1'], 0), (0, 1, 0)),
		('run_kselftest.sh short plan, exit 0', tap(
			['TAP version 13', '1..1', '# selftests: s: t', '# 1..3',
			 '# ok 1 a', 'ok 1 selftests: s: t'], 0), (1, 1, 0)),
		('run_kselftest.sh crash after pass', tap(
			['TAP version 13', '1..1', '# selftests: s: t', '# 1..2',
			 '# ok 1 a', 'not ok 1 selftests: s: t # exit=139'], 0),
		 (1, 1, 0)),
		('run_kselftest.sh killed at the timeout', tap(
			['TAP version 13', '1..1', '# selftests: s: t', '# 1..2',
			 '# ok 1 a'], 143, True), (1, 1, 0)),
		('run_kselftest.sh kunit_modules', tap(
			['TAP version 13', '1..1', '# selftests: extra: kunit_modules',
			 '# TAP version 13', '# 1..1', '#     KTAP version 1',
			 '#     1..1', '#         KTAP version 1',
			 '#         # Subtest: s', '#         1..2',
			 '#         ok 1 c1', '#         ok 2 c2 # SKIP uml',
			 '#     ok 1 s', '# ok 1 m_kunit',
			 'ok 1 selftests: extra: kunit_modules'], 0), (1, 0, 1)),
		('xfail', tap(['1..1', 'ok 1 a # XFAIL known'], 0), (1, 0, 0)),
	]
	bad = 0
	for name, got, want in cases:
		ok = got == want
		bad += not ok
		print('%s tap %s: got %s want %s' % ('ok  ' if ok else 'FAIL',
						      name, got, want))
	logs = [
		('[   12.345678] WARNING: CPU: 1 PID: 99 at kmod/x.c:10 f+0x1/0x2', True),
		('[    1.0] BUG: kernel NULL pointer dereference, address: 0', True),
		('[    1.0] Oops: 0000 [#1] PREEMPT SMP NOPTI', True),
		('[    1.0] general protection fault, probably for non-canonical', True),
		('[    1.0] BUG: KASAN: use-after-free in foo+0x1/0x2', True),
		('[    1.0] UBSAN: shift-out-of-bounds in x.c:1:2', True),
		('[    1.0] WARNING: possible circular locking dependency detected', True),
		('[    1.0] WARNING: possible recursive locking detected', True),
		('[    1.0] WARNING: inconsistent lock state', True),
		('[    1.0] WARNING: suspicious RCU usage', True),
		('[    1.0] Kernel panic - not syncing: Attempted to kill init!', True),
		('[  240.0] INFO: task modprobe:99 blocked for more than 120 seconds.', True),
		('[   50.0] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [t:99]', True),
		('[   50.0] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1', True),
		('unreferenced object 0xffff888003a0c000 (size 64):', True),
		('[    1.0] ACPI Warning: \\_SB.PCI0.S80._DSM: Truncating', False),
		('[    1.0] vfio-pci 0000:00:10.0: enabling device (0000 -> 0002)', False),
		('[    1.0] DMAR: [DMA Write NO_PASID] Request device [00:10.0] fault', False),
	]
	for line, want in logs:
		r = Results()
		r.console_line(line)
		ok = bool(r.kernel_errors) == want
		bad += not ok
		print('%s scan %r: %s' % ('ok  ' if ok else 'FAIL', line[:50],
					   'match' if r.kernel_errors else 'no match'))
	# A first boot stuck before init is retried; a second one, or a
	# stall after init started, is not.
	stalls = []
	for first, booted, want in ((True, False, True), (False, False, False),
				    (True, True, False)):
		r = Results()
		r.retry_early = first
		if booted:
			r.result_line(MARK + ' boot 6.1')
		r.boot_stalled = True
		ok = r.retry_wanted() == want
		stalls.append(ok)
		bad += not ok
		print('%s scan: a boot stalled %s init, %s boot, %s retried' % (
			'ok  ' if ok else 'FAIL', 'after' if booted else 'before',
			'first' if first else 'second', 'is' if want else 'is not'))
	# QEMU's own error before its register dump: kept for the abort
	# reason; a guest line that merely mentions qemu is not.
	r = Results()
	r.console_line('[    3.0] qemu: not a QEMU line, a kernel one')
	r.console_line('qemu: hardware error: EDU: DMA range 0x40000-0x41000')
	r.console_line('RAX=0000000000000000 RBX=0000000000000000')
	ok = r.qemu_errors == ['qemu: hardware error: EDU: DMA range '
			       '0x40000-0x41000']
	bad += not ok
	print('%s scan: QEMU\'s own error line is kept for the abort reason' %
	      ('ok  ' if ok else 'FAIL'))
	r = Results()
	r.console_line('[ 1.000000] WARNING: CPU: 0 PID: 1 at a.c:1 f')
	r.result_line(MARK + ' dmesg-begin')
	r.result_line('[    1.000000] WARNING: CPU: 0 PID: 1 at a.c:1 f')
	r.result_line(MARK + ' dmesg-end')
	ok = len(r.kernel_errors) == 1
	bad += not ok
	print('%s scan: console and dmesg copies of a report count once' %
	      ('ok  ' if ok else 'FAIL'))
	warn = ('[    9.0] WARNING: CPU: 0 PID: 171 at drivers/iommu/iommu.c:1962 '
		'__iommu_group_set_core_domain+0xa1/0xa8')
	inj = []
	for test, want in (('selftests/faults/fail_nth_test', 0),
			   ('selftests/pviommu/pviommu_test', 1)):
		r = Results()
		r.console_line('[    8.9] vmrun-init: begin ' + test)
		r.console_line(warn)
		r.console_line('[    9.1] vmrun-init: end ' + test)
		r.result_line(MARK + ' dmesg-begin')
		r.result_line('[    8.9] vmrun-init: begin ' + test)
		r.result_line(warn)
		r.result_line('[    9.1] vmrun-init: end ' + test)
		r.result_line(MARK + ' dmesg-end')
		ok = len(r.kernel_errors) == want
		inj.append(ok)
		bad += not ok
		print('%s scan: the injected-fault IOMMU WARN in %s %s' % (
			'ok  ' if ok else 'FAIL', test,
			'is accepted' if not want else 'fails the run'))
	early = []
	for before in (True, False):
		r = Results()
		line = '[    0.5] BUG: KASAN: wild-memory-access in f+0x1/0x2'
		mark = '[    0.9] ' + EARLY_MARK
		r.result_line(MARK + ' boot 6.1')
		r.retry_early = True
		r.console_line(line if before else mark)
		r.console_line(mark if before else line)
		ok = bool(r.early_reports) == before and \
			len(r.kernel_errors) == 1 and r.retry_wanted() == before
		early.append(ok)
		bad += not ok
		print('%s scan: a report %s init started %s an early one' % (
			'ok  ' if ok else 'FAIL', 'before' if before else 'after',
			'is' if before else 'is not'))
	# A report with no mark seen (say, a console that hides it): no retry.
	r = Results()
	r.retry_early = True
	r.result_line(MARK + ' boot 6.1')
	r.console_line('[    0.5] BUG: KASAN: wild-memory-access in f+0x1/0x2')
	ok = not r.retry_wanted() and len(r.kernel_errors) == 1
	early.append(ok)
	bad += not ok
	print('%s scan: a report without the mark is never retried away' %
	      ('ok  ' if ok else 'FAIL'))
	# The injected-fault WARN printed only in the dmesg copy (the console
	# lost it): matched to its test by the kernel log's own marks.
	r = Results()
	r.result_line(MARK + ' dmesg-begin')
	r.result_line('[    8.9] vmrun-init: begin selftests/faults/fail_nth_test')
	r.result_line(warn)
	r.result_line('[    9.1] vmrun-init: end selftests/faults/fail_nth_test')
	r.result_line(warn.replace('171', '172'))
	r.result_line(MARK + ' dmesg-end')
	ok = len(r.injected_reports) == 1 and len(r.kernel_errors) == 1
	early.append(ok)
	bad += not ok
	print('%s scan: the injected-fault WARN is matched in kernel-log order '
	      '(inside its test accepted, after it not)' %
	      ('ok  ' if ok else 'FAIL'))

	class FakeQmp:
		def command(self, cmd):
			return {'return': {}, 'id': cmd['execute']}

	reqs = [
		(None, 'device_del {"execute": "device_del"}', '"error"'),
		(FakeQmp(), 'quit {"execute": "quit"}', '"error"'),
		(FakeQmp(), 'bad {not json', '"error"'),
		(FakeQmp(), 'del {"execute": "device_del", "arguments": '
		 '{"id": "vmrun_hp0"}}', '{"return": {}}'),
	]
	for q, words, want in reqs:
		line = host_request(q, words.split(' '))
		rid = words.split(' ')[0]
		ok = line.startswith('%s qmp-reply %s ' % (MARK, rid)) and \
			want in line
		bad += not ok
		print('%s host request %r: %s' % ('ok  ' if ok else 'FAIL',
						   words[:30], line))
	# The result channel's 'qmp' marker: answered on the channel during
	# a run; in a saved log (no request handler) neither run nor shown.
	marker = (MARK + ' qmp hp {"execute": "device_del", "arguments": '
		  '{"id": "vmrun_hp0"}}')
	r = Results()
	sent = []
	r.request = functools.partial(host_request, FakeQmp())
	r.reply = sent.append
	shown = r.result_line(marker)
	quiet = Results().result_line(marker)
	ok = sent == [MARK + ' qmp-reply hp {"return": {}}'] and \
		shown.startswith('vmrun: host request hp ') and quiet is None
	bad += not ok
	print('%s host request marker: answered on the channel in a run, '
	      'ignored in a saved log' % ('ok  ' if ok else 'FAIL'))
	# The init's plug step: a device that did not come fails the run.
	plug = []
	for words, failures in (('plug 0 0000:01:00.0', 0),
				('plug 1 0000:01:00.0 no answer from the host',
				 1)):
		r = Results()
		r.result_line('%s %s' % (MARK, words))
		ok = len(r.failures) == failures
		plug.append(ok)
		bad += not ok
		print('%s marker %r: %d run failures' % (
			'ok  ' if ok else 'FAIL', words, len(r.failures)))
	# The edus behind root ports: on the command line under VT-d; under
	# AMD-Vi, plugged by the guest (BRIDGED_EDUS), in every mode.
	for iommu, interactive in (('intel', False), ('amd', False),
				   ('amd', True)):
		a = argparse.Namespace(qemu='qemu', mem=1024, smp=2, iommu=iommu,
				       interactive=interactive, log=None,
				       append=[], qemu_arg=[])
		cmd = ' '.join(qemu_command(a, 'k', 'i', '/t/result.sock', [],
					    'tcg'))
		on_cmdline = all(('id=%s,bus=%s' % (i, b)) in cmd
				 for i, b, _ in BRIDGED_EDUS)
		plugged = plug_list(a)
		ok = (on_cmdline != bool(plugged) and
		      (iommu == 'amd') == bool(plugged) and
		      (not plugged or 'path=/t/result.sock' in cmd))
		plug.append(ok)
		bad += not ok
		print('%s topology %s%s: bridged edus %s' % (
			'ok  ' if ok else 'FAIL', iommu,
			' interactive' if interactive else '',
			'plugged by the guest (%s)' % plugged if plugged else
			'on the command line'))
	total = len(cases) + len(logs) + 2 + len(stalls) + len(inj) + \
		len(early) + len(reqs) + 1 + len(plug)
	print('%d passed, %d failed, 0 skipped' % (total - bad, bad))
	return 1 if bad else 0
