#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The "vfio-ext" family driven by the kernel's ynl CLI with nothing but
our spec: tools/net/ynl/pyynl/cli.py of the newest target's linux-source
and Documentation/netlink/specs/vfio-ext.yaml, installed next to this test
(selftests/Makefile).

- Its dumps of devices and containers, its do's, and the events it
  receives subscribed to the events group, say what `vfio-ext -j` (the
  CLI over libvfio-ext) says, attribute by attribute.
- Malformed requests it sends get an extended ACK the test asserts:
  missing attributes, attributes the command does not take or the family
  does not know, attributes of the wrong type or length (sent through
  copies of the spec that lie about a type), values out of range.

Runs in the bench (tools/vmrun), as root, with the vfio-ext modules and
the test ACPI table; prints KTAP and exits 0, 1 (a failure) or 4 (all
skipped).
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.realpath(__file__))
YNL = os.path.join(HERE, 'pyynl', 'cli.py')
SPEC = os.path.join(HERE, 'vfio-ext.yaml')
CLI = '/usr/bin/vfio-ext'
DSM_BDF = os.environ.get('VFIOEXT_TEST_DSM_BDF', '0000:00:10.0')
NOACPI_BDF = os.environ.get('VFIOEXT_TEST_NOACPI_BDF', '0000:00:12.1')
DRIVER = 'vfio-pci-ext'

# <linux/vfio.h>: _IO(VFIO_TYPE, VFIO_BASE + n), VFIO_TYPE ';', base 100
VFIO_SET_IOMMU = 0x3b66
VFIO_GROUP_SET_CONTAINER = 0x3b68
VFIO_GROUP_GET_DEVICE_FD = 0x3b6a
# <linux/vfio_ext.h>
VFIO_EXT_PVIOMMU_IOMMU = 0x56465850

KSFT_SKIP = 4


class Skip(Exception):
	pass


# --- helpers -----------------------------------------------------------

def ynl(*args, spec=SPEC, json_arg=None):
	"""(exit code, stdout, stderr) of the ynl CLI."""
	cmd = [sys.executable, YNL, '--spec', spec, '--no-schema']
	cmd += list(args)
	if json_arg is not None:
		cmd += ['--json', json.dumps(json_arg)]
	r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
	return r.returncode, r.stdout, r.stderr


def ynl_json(*args, json_arg=None):
	rc, out, err = ynl(*args, '--output-json', json_arg=json_arg)
	if rc:
		raise AssertionError('ynl %s: exit %d: %s%s' %
				     (' '.join(args), rc, out, err))
	return json.loads(out)


def cli_json(*args):
	r = subprocess.run([CLI, '-j'] + list(args), capture_output=True,
			   text=True, timeout=120)
	if r.returncode:
		raise AssertionError('vfio-ext %s: exit %d: %s' %
				     (' '.join(args), r.returncode, r.stderr))
	return json.loads(r.stdout)


def json_docs(text):
	"""Every JSON value in @text, one after another."""
	dec, pos, out = json.JSONDecoder(), 0, []
	text = text.strip()
	while pos < len(text):
		val, end = dec.raw_decode(text, pos)
		out.append(val)
		pos = end
		while pos < len(text) and text[pos].isspace():
			pos += 1
	return out


def sysfs(path, val=None):
	if val is None:
		with open(path) as f:
			return f.read().strip()
	with open(path, 'w') as f:
		f.write(val)
	return None


def bind(bdf):
	dev = '/sys/bus/pci/devices/' + bdf
	if not os.path.exists(dev):
		raise Skip('no PCI device %s in this VM' % bdf)
	drv = os.path.join(dev, 'driver')
	if os.path.exists(drv) and os.path.basename(os.readlink(drv)) == DRIVER:
		return
	sysfs(dev + '/driver_override', DRIVER)
	if os.path.exists(drv):
		sysfs(drv + '/unbind', bdf)
	sysfs('/sys/bus/pci/drivers_probe', bdf)
	if os.path.basename(os.readlink(drv)) != DRIVER:
		raise AssertionError('%s did not bind to %s' % (bdf, DRIVER))


class Container:
	"""A pviommu container with @bdf's group attached; open() opens the
	device (an open event), close_dev() closes it (a close event)."""

	def __init__(self, bdf):
		self.bdf = bdf
		group = os.path.basename(os.readlink(
			'/sys/bus/pci/devices/%s/iommu_group' % bdf))
		self.group_id = int(group)
		self.container = os.open('/dev/vfio/vfio', os.O_RDWR)
		self.group = os.open('/dev/vfio/' + group, os.O_RDWR)
		fd = bytearray(self.container.to_bytes(4, sys.byteorder))
		fcntl.ioctl(self.group, VFIO_GROUP_SET_CONTAINER, fd)
		fcntl.ioctl(self.container, VFIO_SET_IOMMU, VFIO_EXT_PVIOMMU_IOMMU)
		self.dev = None

	def open_dev(self):
		self.dev = fcntl.ioctl(self.group, VFIO_GROUP_GET_DEVICE_FD,
				       bytearray(self.bdf.encode() + b'\0'))

	def close_dev(self):
		os.close(self.dev)
		self.dev = None

	def close(self):
		if self.dev is not None:
			self.close_dev()
		os.close(self.group)
		os.close(self.container)


def elements(y, attr):
	"""The nests of indexed array @attr of reply @y: ynl gives each as
	{number: nest}; the numbers must be 1, 2, ... (netlink.rst)."""
	items = y.get(attr, [])
	nums = [int(k) for it in items for k in it]
	if nums != list(range(1, len(items) + 1)):
		raise AssertionError('%s numbered %r' % (attr, nums))
	return [v for it in items for v in it.values()]


def expect_eq(what, want, have):
	if want != have:
		raise AssertionError('%s: vfio-ext says %r, ynl %r' %
				     (what, want, have))


# --- comparisons -------------------------------------------------------

def compare_dev(c, y):
	"""A device of `vfio-ext -j dev list` against ynl's dev-get reply."""
	name = c['device']
	expect_eq(name + ' dev-name', name, y.get('dev-name'))
	expect_eq(name + ' dev-vendor', int(c['vendor'], 16), y.get('dev-vendor'))
	expect_eq(name + ' dev-device', int(c['device_id'], 16),
		  y.get('dev-device'))
	expect_eq(name + ' dev-iommu-group', c.get('iommu_group'),
		  y.get('dev-iommu-group'))
	expect_eq(name + ' dev-driver', c['driver'], y.get('dev-driver'))
	expect_eq(name + ' dev-regions',
		  [(r['index'], r['size'], r['flags']) for r in c['regions']],
		  [(r['index'], r['size'], r['flags'])
		   for r in elements(y, 'dev-regions')])
	expect_eq(name + ' dev-irqs',
		  [(i['index'], i['count']) for i in c['irqs']],
		  [(i['index'], i['count']) for i in elements(y, 'dev-irqs')])
	expect_eq(name + ' dev-acpi-path', c.get('acpi_path'),
		  y.get('dev-acpi-path'))
	expect_eq(name + ' dsm-policy', c['dsm']['policy'], y.get('dsm-policy'))
	expect_eq(name + ' dsm-calls', c['dsm'].get('calls'), y.get('dsm-calls'))
	expect_eq(name + ' dsm-denied', c['dsm'].get('denied'),
		  y.get('dsm-denied'))
	expect_eq(name + ' dev-open', c.get('open'), bool(y.get('dev-open')))
	expect_eq(name + ' dev-opener-pid', c.get('opener_pid'),
		  y.get('dev-opener-pid'))
	expect_eq(name + ' dev-kvm-pid', c.get('kvm_pid'), y.get('dev-kvm-pid'))
	n = c['notify']
	expect_eq(name + ' notify',
		  (n['handler'], n['eventfd'], n['channel'], n['count'],
		   n['loopback_refused']),
		  (bool(y.get('notify-handler')), bool(y.get('notify-eventfd')),
		   bool(y.get('notify-channel')), y.get('notify-count'),
		   y.get('notify-loopback-refused')))
	# ynl names enum values as the spec does (d3hot); the CLI as sysfs.
	p = c['power']
	expect_eq(name + ' power',
		  (p['state'].lower(), p['runtime'], p['low_power']),
		  (y.get('power-state'), y.get('power-runtime'),
		   bool(y.get('power-low-power'))))


def compare_container(c, y):
	cid = c['id']
	what = 'container %d ' % cid
	expect_eq(what + 'pviommu-id', cid, y.get('pviommu-id'))
	expect_eq(what + 'owner', c['owner_pid'], y.get('pviommu-owner-pid'))
	expect_eq(what + 'mappings', (c['mappings'], c['container_mappings'],
				      c['pinned_pages'], c['dma_limit']),
		  (y.get('pviommu-mappings'), y.get('pviommu-def-mappings'),
		   y.get('pviommu-pinned'), y.get('pviommu-dma-limit')))
	cnt = y.get('pviommu-counters', {})
	expect_eq(what + 'counters',
		  {k.replace('_', '-'): v for k, v in c['counters'].items()},
		  {k: cnt.get(k) for k in ('map', 'unmap', 'map-failed',
					   'unmap-failed', 'viommu-requests',
					   'viommu-failed', 'faults')})
	expect_eq(what + 'endpoints',
		  [(e['group'], e['device'], e.get('vsid'), e['domain'])
		   for e in c['endpoints']],
		  [(e.get('group'), e.get('dev-name'), e.get('vsid'),
		    e.get('domain')) for e in elements(y, 'pviommu-endpoints')])
	expect_eq(what + 'domains',
		  [(d['id'], d['mappings'], d['endpoints']) for d in c['domains']],
		  [(d.get('id'), d.get('mappings'), d.get('endpoints'))
		   for d in elements(y, 'pviommu-domains')])


def retry(fn, tries=3):
	"""fn() until it does not fail: a device's runtime PM state may move
	between two requests."""
	for i in range(tries):
		try:
			return fn()
		except AssertionError:
			if i == tries - 1:
				raise
			time.sleep(1)
	return None


# --- the tests -----------------------------------------------------------

def test_spec_ops():
	"""The CLI loads the spec and lists our operations."""
	rc, out, err = ynl('--list-ops')
	if rc:
		raise AssertionError('--list-ops: exit %d: %s' % (rc, err))
	for op in ('dev-get', 'dsm-policy-set', 'pviommu-get'):
		if op not in out:
			raise AssertionError('%s missing from --list-ops: %s' %
					     (op, out))


def test_dev_dump():
	"""dev-get dump and do against `vfio-ext -j dev list`."""
	bind(DSM_BDF)
	bind(NOACPI_BDF)

	def check():
		dump = ynl_json('--dump', 'dev-get')
		cli = cli_json('dev', 'list')
		expect_eq('devices', sorted(d['device'] for d in cli),
			  sorted(d.get('dev-name') for d in dump))
		by_name = {d['dev-name']: d for d in dump}
		for c in cli:
			compare_dev(c, by_name[c['device']])
		for bdf in (DSM_BDF, NOACPI_BDF):
			one = ynl_json('--do', 'dev-get', json_arg={'dev-name': bdf})
			compare_dev(next(c for c in cli if c['device'] == bdf), one)
		if not by_name[DSM_BDF].get('dev-acpi-path'):
			raise AssertionError('%s: no dev-acpi-path' % DSM_BDF)
	retry(check)


def test_pviommu_dump(ctx):
	"""pviommu-get dump and do against `vfio-ext -j pviommu show`."""
	bind(DSM_BDF)
	c = ctx['container'] = Container(DSM_BDF)
	dump = ynl_json('--dump', 'pviommu-get')
	cli = cli_json('pviommu', 'show')
	expect_eq('containers', sorted(x['id'] for x in cli),
		  sorted(x.get('pviommu-id') for x in dump))
	mine = [x for x in dump if x.get('pviommu-owner-pid') == os.getpid()]
	if len(mine) != 1:
		raise AssertionError('our container is not in the dump: %r' % dump)
	expect_eq('our endpoint', [c.group_id],
		  [e.get('group') for e in elements(mine[0], 'pviommu-endpoints')])
	by_id = {x['pviommu-id']: x for x in dump}
	for x in cli:
		compare_container(x, by_id[x['id']])
	one = ynl_json('--do', 'pviommu-get',
		       json_arg={'pviommu-id': mine[0]['pviommu-id']})
	compare_container(next(x for x in cli
			       if x['id'] == mine[0]['pviommu-id']), one)


def test_events(ctx):
	"""Events through --subscribe, against `vfio-ext -j monitor`."""
	c = ctx.get('container')
	if c is None:
		raise Skip('no container (pviommu_dump failed)')
	mon = subprocess.Popen([CLI, '-j', 'monitor', '-d', DSM_BDF, '-t', '10'],
			       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			       text=True)
	mon.stderr.readline()	# "monitoring ...": subscribed
	env = dict(os.environ, PYTHONUNBUFFERED='1')
	with tempfile.TemporaryFile('w+') as out, \
	     tempfile.TemporaryFile('w+') as err:
		sub = subprocess.Popen([sys.executable, YNL, '--spec', SPEC,
					'--no-schema', '--subscribe', 'events',
					'--duration', '120', '--output-json'],
				       stdout=out, stderr=err, env=env)
		try:
			# Open and close until the subscriber has printed an
			# event (it subscribes once Python has started), then
			# once more.
			deadline = time.monotonic() + 90
			while not os.fstat(out.fileno()).st_size:
				if time.monotonic() > deadline or \
				   sub.poll() is not None:
					raise AssertionError('the ynl subscriber '
							     'printed no event')
				c.open_dev()
				c.close_dev()
				time.sleep(0.5)
			c.open_dev()
			c.close_dev()
			mon_out, _ = mon.communicate(timeout=60)
		finally:
			if mon.poll() is None:
				mon.kill()
				mon.wait()
			sub.send_signal(signal.SIGINT)
			sub.wait(timeout=60)
		out.seek(0)
		err.seek(0)
		ynl_out, ynl_err = out.read(), err.read()
	ynl_ev = [e for e in json_docs(ynl_out) if e.get('name') == 'event']
	cli_ev = {e['seq']: e for e in json_docs(mon_out)}
	mine = [e['msg'] for e in ynl_ev if e['msg'].get('dev-name') == DSM_BDF]
	kinds = [e.get('event-type') for e in mine]
	# The subscriber may have joined in the middle of a pair; the pair
	# made after it printed its first event must be there in full.
	if 'open' not in kinds or 'close' not in kinds[kinds.index('open'):]:
		raise AssertionError('ynl did not get the opens and closes of '
				     '%s: %r %s' % (DSM_BDF, mine, ynl_err))
	for e in mine:
		seq = e['event-seq']
		if seq not in cli_ev:
			raise AssertionError('event %d: ynl has it, vfio-ext '
					     'monitor not: %r' % (seq, e))
		m = cli_ev[seq]
		expect_eq('event %d' % seq,
			  (m['event'], m['device'], m['timestamp_ns'], m.get('pid')),
			  (e.get('event-type'), e.get('dev-name'),
			   e.get('event-timestamp'), e.get('dev-opener-pid')))
	if not any(e.get('dev-opener-pid') == os.getpid() for e in mine):
		raise AssertionError('no open event names this process')


def expect_extack(args, errno_text, message, spec=SPEC, json_arg=None):
	"""ynl fails with the kernel's errno and extended ACK message."""
	rc, out, err = ynl(*args, spec=spec, json_arg=json_arg)
	text = out + err
	if rc == 0:
		raise AssertionError('%s %r: accepted: %s' % (args, json_arg, text))
	want = 'Netlink error: %s: %s' % (message, errno_text)
	if want not in text:
		raise AssertionError('%s %r: want "%s", got: %s' %
				     (args, json_arg, want, text))


def lying_spec(tmp, changes, extra=None):
	"""A copy of the spec whose vfio-ext attributes have other types
	(@changes: name -> type) and, with @extra, one more attribute."""
	with open(SPEC) as f:
		licence = f.readline()	# ynl wants the SPDX line first
		f.seek(0)
		spec = yaml.safe_load(f)
	root = spec['attribute-sets'][0]
	for a in root['attributes']:
		if a['name'] in changes:
			a['type'] = changes[a['name']]
			a.pop('checks', None)
	if extra:
		root['attributes'].append(extra)
	path = os.path.join(tmp, 'lying-%d.yaml' % len(os.listdir(tmp)))
	with open(path, 'w') as f:
		f.write(licence)
		yaml.safe_dump(spec, f)
	return path


def test_extack():
	"""Malformed requests from ynl get the kernel's extended ACK."""
	bind(DSM_BDF)
	# Missing attributes.
	expect_extack(['--do', 'dev-get'], 'Invalid argument',
		      'missing the PCI address (dev-name)')
	expect_extack(['--do', 'pviommu-get'], 'Invalid argument',
		      'missing the container id (pviommu-id)')
	expect_extack(['--do', 'dsm-policy-set'], 'Invalid argument',
		      'missing the PCI address (dev-name)',
		      json_arg={})
	# Attributes the command does not take.
	expect_extack(['--do', 'dev-get'], 'Invalid argument',
		      'Unknown attribute type',
		      json_arg={'dev-name': DSM_BDF, 'dsm-calls': 1})
	expect_extack(['--do', 'dsm-policy-set'], 'Invalid argument',
		      'Unsupported attribute',
		      json_arg={'dev-name': DSM_BDF, 'dev-vendor': 1})
	expect_extack(['--dump', 'pviommu-get'], 'Invalid argument',
		      'a pviommu-get dump takes no pviommu-id (ask for one '
		      'container with a do)', json_arg={'pviommu-id': 1})
	# Values out of range or unknown.
	expect_extack(['--do', 'pviommu-get'], 'Numerical result out of range',
		      'integer out of range', json_arg={'pviommu-id': 0})
	expect_extack(['--do', 'dev-get'], 'Invalid argument',
		      'Attribute failed policy validation',
		      json_arg={'dev-name': 'x' * 40})
	expect_extack(['--do', 'dev-get'], 'No such device',
		      'no device with this PCI address is bound to vfio-pci-ext',
		      json_arg={'dev-name': '0000:00:1f.7'})
	with tempfile.TemporaryDirectory() as tmp:
		# Wrong types: a u32 sent as u64 and as u16, a string
		# without its NUL.
		for t in ('u64', 'u16'):
			expect_extack(['--do', 'pviommu-get'], 'Invalid argument',
				      'invalid attribute length',
				      spec=lying_spec(tmp, {'pviommu-id': t}),
				      json_arg={'pviommu-id': 1})
		expect_extack(['--do', 'dev-get'], 'Invalid argument',
			      'Attribute failed policy validation',
			      spec=lying_spec(tmp, {'dev-name': 'binary'}),
			      json_arg={'dev-name': DSM_BDF.encode().hex()})
		# An attribute the family does not know at all.
		spec = lying_spec(tmp, {}, {'name': 'future', 'type': 'u32',
					    'value': 200})
		expect_extack(['--do', 'dev-get'], 'Invalid argument',
			      'Unknown attribute type', spec=spec,
			      json_arg={'dev-name': DSM_BDF, 'future': 1})
		expect_extack(['--dump', 'dev-get'], 'Invalid argument',
			      'Unknown attribute type', spec=spec,
			      json_arg={'future': 1})


def main():
	print('TAP version 13')
	ctx = {}
	tests = [('spec_ops', test_spec_ops), ('dev_dump', test_dev_dump),
		 ('pviommu_dump', lambda: test_pviommu_dump(ctx)),
		 ('events', lambda: test_events(ctx)),
		 ('extack', test_extack)]
	print('1..%d' % len(tests))
	sys.stdout.flush()
	passed = failed = skipped = 0
	missing = [p for p in (YNL, SPEC, CLI) if not os.path.exists(p)]
	for i, (name, fn) in enumerate(tests, 1):
		try:
			if missing:
				raise Skip('not in the guest: ' + ' '.join(missing))
			fn()
			print('ok %d %s' % (i, name))
			passed += 1
		except Skip as e:
			print('ok %d %s # SKIP %s' % (i, name, e))
			skipped += 1
		except Exception as e:	# pylint: disable=broad-except
			for line in ('%s: %s' % (type(e).__name__, e)).splitlines():
				print('# ' + line)
			print('not ok %d %s' % (i, name))
			failed += 1
		sys.stdout.flush()
	if ctx.get('container'):
		ctx['container'].close()
	print('# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0' %
	      (passed, failed, skipped))
	if failed:
		return 1
	return KSFT_SKIP if skipped == len(tests) else 0


if __name__ == '__main__':
	sys.exit(main())
