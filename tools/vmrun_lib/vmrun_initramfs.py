# SPDX-License-Identifier: GPL-2.0-only
"""The guest root: a busybox initramfs with the target kernel's modules,
ours, the tests and --file items, each ELF with its shared libraries,
packed into a newc cpio.gz written here (no cpio tool needed).
"""

import gzip
import os
import re
import shlex
import shutil
import stat
import subprocess
import time

from .vmrun_common import MARK, REPO, die, log
from .vmrun_kernel import (BOOT_MODULES, STOCK_MODULES, ModuleTree,
			   ext_modules, modinfo, module_name, read_module)
from .vmrun_machine import KVM_PROBE_SCRIPT, plug_list

GUEST_INIT = os.path.join(REPO, 'tools', 'vmrun-init')

# A Python script's interpreter comes with the host's standard library,
# less what no test needs (GUIs, the test suite, build files; compiled
# caches, which the guest makes itself), and python3-yaml (the kernel's
# ynl tools read YAML specs).  Extension modules whose libraries are large
# and that the ynl tools do not need (TLS, hashing through OpenSSL, which
# falls back to the built-in hashes, databases, compression, curses) are
# left out.
PYTHON_SKIP_DIRS = ('__pycache__', 'idlelib', 'tkinter', 'turtledemo',
		    'ensurepip', 'lib2to3', 'pydoc_data', 'distutils', 'test',
		    'tests', 'site-packages', 'dist-packages')
PYTHON_SKIP_EXT = ('_ssl', '_hashlib', '_sqlite3', '_tkinter', '_curses',
		   'readline', '_dbm', '_gdbm', 'nis', '_crypt', '_ctypes',
		   '_test', 'xxlimited', 'xxsubtype', '_bz2', '_lzma',
		   '_decimal', 'audioop', '_xxtestfuzz')
PYTHON_PACKAGES = ('yaml', '_yaml')	# of /usr/lib/python3/dist-packages
LIBDIR = '/vmrun/lib'	# shared libraries of the ELFs put into the guest


def is_elf(path):
	try:
		with open(path, 'rb') as f:
			return f.read(4) == b'\x7fELF'
	except OSError:
		return False


def shared_libs(path):
	"""(soname, host path) of the shared libraries of a dynamic ELF, and
	(None, path) of its loader, from ldd; [] for a static one."""
	if not is_elf(path):
		return []
	r = subprocess.run(['ldd', path], capture_output=True, text=True)
	if r.returncode != 0:
		return []
	libs = []
	for line in r.stdout.splitlines():
		line = line.strip()
		m = re.match(r'(\S+) => (/\S+) \(0x', line)
		if m:
			libs.append((m.group(1), m.group(2)))
			continue
		m = re.match(r'(/\S+) \(0x', line)
		if m:
			libs.append((None, m.group(1)))
		elif 'not found' in line:
			log('warning: %s: %s' % (path, line))
	return libs


class Cpio:
	"""Writer of a newc cpio archive, every entry owned by root."""

	def __init__(self, f):
		self.f = f
		self.ino = 0x1000

	def _entry(self, name, mode, data):
		namez = name.encode() + b'\0'
		self.ino += 1
		fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0,
			  len(namez), 0)
		hdr = b'070701' + b''.join(b'%08x' % v for v in fields)
		self.f.write(hdr + namez)
		self.f.write(b'\0' * (-(len(hdr) + len(namez)) % 4))
		self.f.write(data)
		self.f.write(b'\0' * (-len(data) % 4))

	def add_tree(self, root):
		for top, dirs, files in os.walk(root):
			dirs.sort()
			for n in sorted(dirs) + sorted(files):
				p = os.path.join(top, n)
				rel = os.path.relpath(p, root)
				st = os.lstat(p)
				if stat.S_ISLNK(st.st_mode):
					data = os.readlink(p).encode()
				elif stat.S_ISREG(st.st_mode):
					with open(p, 'rb') as f:
						data = f.read()
				else:
					data = b''
				self._entry(rel, st.st_mode, data)

	def close(self):
		self._entry('TRAILER!!!', 0, b'')


class Initramfs:
	"""The guest root, staged in a directory and packed into a cpio.gz."""

	def __init__(self, root, kver):
		self.root = root
		self.kver = kver
		for d in ('bin', 'sbin', 'usr/bin', 'usr/sbin', 'lib', 'lib64',
			  'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run',
			  'vmrun'):
			os.makedirs(self.path(d), exist_ok=True)
		self.moddir = self.path('lib/modules', kver)

	def path(self, *parts):
		return os.path.join(self.root, *[p.lstrip('/') for p in parts])

	def install(self, src, dst, mode=None):
		"""Copy src to dst (a guest path), with its shared libraries."""
		out = self.path(dst)
		os.makedirs(os.path.dirname(out), exist_ok=True)
		if os.path.lexists(out):
			os.unlink(out)	# not through a busybox applet link
		shutil.copyfile(src, out)
		shutil.copymode(src, out)
		if mode is not None:
			os.chmod(out, mode)
		self.add_runtime(src)

	def install_tree(self, src, dst):
		if os.path.isdir(src):
			for top, _, files in os.walk(src):
				for f in files:
					p = os.path.join(top, f)
					self.install(p, os.path.join(
						dst, os.path.relpath(p, src)))
		else:
			self.install(src, dst)

	def add_runtime(self, src):
		"""Shared libraries of an ELF, or the interpreter of a script."""
		for soname, lib in shared_libs(src):
			# The loader's path is in the ELF, the rest go to LIBDIR.
			out = self.path(lib if soname is None else
					os.path.join(LIBDIR, soname))
			if not os.path.exists(out):
				os.makedirs(os.path.dirname(out), exist_ok=True)
				shutil.copyfile(lib, out)
				os.chmod(out, 0o755)
		try:
			with open(src, 'rb') as f:
				head = f.readline(256)
		except OSError:
			return
		if not head.startswith(b'#!'):
			return
		interp = head[2:].split()
		if not interp:
			return
		interp = interp[0].decode(errors='replace')
		if os.path.lexists(self.path(interp)):
			return
		if is_elf(interp):
			log('note: %s: copying interpreter %s from the host' %
			    (src, interp))
			self.install(interp, interp)
			if os.path.basename(interp).startswith('python3'):
				self.add_python(interp)
		else:
			log('warning: %s: interpreter %s not in the guest' %
			    (src, interp))

	def add_python(self, interp):
		"""The standard library of the host's @interp (see
		PYTHON_SKIP_DIRS) and PYTHON_PACKAGES."""
		ver = os.path.basename(os.path.realpath(interp))  # python3.11
		std = os.path.join('/usr/lib', ver)
		if not os.path.isdir(std):
			die('%s: no standard library %s' % (interp, std))
		for top, dirs, files in os.walk(std):
			dirs[:] = [d for d in dirs if d not in PYTHON_SKIP_DIRS and
				   not d.startswith('config-')]
			for f in files:
				if (top.endswith('lib-dynload') and
				    f.split('.')[0].startswith(PYTHON_SKIP_EXT)):
					continue
				self.copy(os.path.join(top, f))
		dist = '/usr/lib/python3/dist-packages'
		for pkg in PYTHON_PACKAGES:
			p = os.path.join(dist, pkg)
			if not os.path.isdir(p):
				die('%s not found (Debian package python3-yaml)' % p)
			for top, dirs, files in os.walk(p):
				dirs[:] = [d for d in dirs if d != '__pycache__']
				for f in files:
					self.copy(os.path.join(top, f))

	def copy(self, path):
		"""@path to the same guest path: an ELF with its libraries,
		anything else as it is (a module's #! line is not run)."""
		if is_elf(path):
			self.install(path, path)
			return
		out = self.path(path)
		os.makedirs(os.path.dirname(out), exist_ok=True)
		shutil.copyfile(path, out)

	def add_busybox(self, busybox='/bin/busybox'):
		self.install(busybox, '/bin/busybox')
		applets = subprocess.run([busybox, '--list-full'],
					 capture_output=True, text=True,
					 check=True).stdout.split()
		for a in applets:
			out = self.path(a)
			if not os.path.lexists(out):
				os.makedirs(os.path.dirname(out), exist_ok=True)
				os.symlink('/bin/busybox', out)

	def add_modules(self, tree, stock, ext):
		"""Stock modules (with dependencies), and ours under updates/
		as DKMS installs them on a host; modules.dep, .alias and
		.softdep from depmod, as on a host."""
		extpaths = {}
		for p in ext:
			info = modinfo(p)
			name = info.get('name', [module_name(p)])[0]
			extpaths[name.replace('-', '_')] = p
		strict = set(stock) - set(STOCK_MODULES)
		for p in tree.closure(list(stock) + list(extpaths), extpaths,
				      strict):
			if p in ext:
				dst = os.path.join('updates',
						   os.path.basename(p))
			else:
				dst = os.path.relpath(p, tree.moddir)
			out = os.path.join(self.moddir, dst)
			if out.endswith(('.xz', '.gz')):
				out = out[:-3]
			os.makedirs(os.path.dirname(out), exist_ok=True)
			with open(out, 'wb') as f:
				f.write(read_module(p))
		for f in ('modules.builtin', 'modules.builtin.modinfo',
			  'modules.order'):
			src = os.path.join(tree.moddir, f)
			if os.path.exists(src):
				shutil.copyfile(src, os.path.join(self.moddir, f))
		r = subprocess.run(['depmod', '-b', self.root, self.kver],
				   capture_output=True, text=True)
		if r.returncode != 0:
			die('depmod failed:\n' + r.stderr)
		for line in r.stderr.splitlines():
			log(line)
		return list(extpaths)

	def pack(self, out):
		with open(out, 'wb') as raw:
			with gzip.GzipFile(fileobj=raw, mode='wb',
					   compresslevel=6, mtime=0) as gz:
				cpio = Cpio(gz)
				cpio.add_tree(self.root)
				cpio.close()


def shell_quote_config(values):
	return ''.join('%s=%s\n' % (k, shlex.quote(str(v)))
		       for k, v in values.items())


# --- tests ------------------------------------------------------------------

def is_exe(path):
	return os.path.isfile(path) and os.access(path, os.X_OK)


def builtin_tests():
	"""Every executable selftests/*/*_test of the repo, sorted."""
	base = os.path.join(REPO, 'selftests')
	tests = []
	if os.path.isdir(base):
		for d in sorted(os.listdir(base)):
			sub = os.path.join(base, d)
			if not os.path.isdir(sub):
				continue
			for f in sorted(os.listdir(sub)):
				p = os.path.join(sub, f)
				if f.endswith('_test') and is_exe(p):
					tests.append((p, 'selftests/%s/%s' % (d, f)))
	return tests


def test_name(path):
	"""How a test is reported: repo-relative, else its basename."""
	full = os.path.abspath(path)
	if full.startswith(REPO + os.sep):
		return os.path.relpath(full, REPO)
	return os.path.basename(full)


def collect_tests(args, required=True):
	"""(host path, display name) of every test to run, in order."""
	for t in args.test:
		if not is_exe(t):
			die('%s: not an executable file' % t)
	tests = [(t, test_name(t)) for t in args.test] or builtin_tests()
	if args.extra_tests:
		if not os.path.isdir(args.extra_tests):
			die('%s: not a directory' % args.extra_tests)
		for f in sorted(os.listdir(args.extra_tests)):
			p = os.path.join(args.extra_tests, f)
			if is_exe(p):
				tests.append((p, 'extra/' + f))
	if required and not tests:
		die('no test executables selftests/*/*_test in %s (run make '
		    'first), and no --test or --extra-tests' % REPO)
	return tests


# --- the kselftest collection -----------------------------------------------

KSFT_DIR = '/vmrun/ksft'	# the installed collection in the guest
# Collections of the tests that are not ours: --test EXE from elsewhere,
# --extra-tests DIR.
KSFT_OTHER = {'test': 'vmrun-test', 'extra': 'extra'}
# The variables of tools/env.sh that select a target kernel: the tests are
# built for the default one (its kselftest_harness.h), whichever kernel
# the lane boots, so make must not see another target's.
TARGET_VARS = ('TARGET', 'KVER', 'KSRC', 'KDIR', 'KIMAGE', 'KMODDIR',
	       'KROOT', 'USERLAND', 'KSUITE')


def host_tool(name, package):
	"""A program of the host's that the guest gets, as a host has it."""
	path = shutil.which(name, path='/usr/bin:/bin:/usr/sbin:/sbin')
	if not path:
		die('%s not found on this machine (Debian package %s)' %
		    (name, package))
	return path


def repo_test(path):
	"""'suite/name' of one of our VM tests (selftests/SUITE/NAME_test
	built from NAME_test.c, or copied from NAME_test.py), else None."""
	base = os.path.join(REPO, 'selftests')
	rel = os.path.relpath(os.path.abspath(path), base)
	parts = rel.split(os.sep)
	if (len(parts) == 2 and parts[0] not in ('..', 'lib') and
	    parts[1].endswith('_test') and
	    (os.path.isfile(os.path.join(base, rel + '.c')) or
	     os.path.isfile(os.path.join(base, rel + '.py')))):
		return '/'.join(parts)
	return None


def install_collection(ramfs, tests, timeout, tmp):
	"""Install the tests as a kselftest collection into the guest, as a
	host installs it (make -C selftests install), and add the others
	(--test from elsewhere, --extra-tests) as collections of their own.
	Returns ('collection:test', display name) of each, in order: the
	guest runs each through run_kselftest.sh -t."""
	stage = os.path.join(tmp, 'ksft')
	ours = [repo_test(p) for p, _ in tests]
	env = {k: v for k, v in os.environ.items() if k not in TARGET_VARS}
	# The guest's init times a test out (--test-timeout) and reports
	# what hangs; the runner's own timeout comes later.
	cmd = ['make', '-s', '-C', os.path.join(REPO, 'selftests'), 'install',
	       'INSTALL_PATH=' + stage, 'KSFT_TIMEOUT=%d' % (timeout + 60),
	       'VM_TESTS=' + ' '.join(t for t in ours if t)]
	r = subprocess.run(cmd, env=env, capture_output=True, text=True)
	if r.returncode != 0:
		die('%s failed:\n%s%s' % (' '.join(cmd), r.stdout, r.stderr))
	listfile = os.path.join(stage, 'kselftest-list.txt')
	with open(listfile) as f:
		installed = set(f.read().split())
	entries, extra = [], []
	for (path, name), rel in zip(tests, ours):
		if rel:
			entry = rel.replace('/', ':')
			if entry not in installed:
				die('%s: not in the installed collection' % path)
		else:
			coll = KSFT_OTHER['extra' if name.startswith('extra/')
					  else 'test']
			entry = '%s:%s' % (coll, os.path.basename(path))
			if entry in installed or entry in extra:
				die('%s: a second test named %s' % (path, entry))
			dst = os.path.join(stage, coll)
			os.makedirs(dst, exist_ok=True)
			shutil.copy2(path, dst)
			with open(os.path.join(dst, 'settings'), 'w') as f:
				f.write('timeout=%d\n' % (timeout + 60))
			extra.append(entry)
		entries.append((entry, name))
	with open(listfile, 'a') as f:
		f.writelines(e + '\n' for e in extra)
	ramfs.install_tree(stage, KSFT_DIR)
	# The runner calls /usr/bin/timeout --foreground, which busybox's
	# lacks: the guest gets the host's coreutils one, as a host has.
	ramfs.install(host_tool('timeout', 'coreutils'), '/usr/bin/timeout')
	return entries


# --- the guest root of a run ------------------------------------------------

def build_initramfs(args, mode, tests, kmoddir, kver, tmp):
	"""Stage the guest root and pack it; returns the initrd path."""
	t0 = time.monotonic()
	ramfs = Initramfs(os.path.join(tmp, 'root'), kver)
	ramfs.add_busybox()
	tree = ModuleTree(kmoddir)
	names = ramfs.add_modules(tree, STOCK_MODULES + args.stock_module,
				  ext_modules(args))
	# Built-in ones need no loading.
	load = [m for m in BOOT_MODULES + args.stock_module
		if m in tree.index] + names
	# kmod's modprobe, as a host has: busybox's ignores softdeps.
	ramfs.install(host_tool('kmod', 'kmod'), '/usr/bin/kmod')
	for tool in ('modprobe', 'rmmod', 'insmod', 'lsmod', 'modinfo',
		     'depmod'):
		out = ramfs.path('/sbin', tool)
		if os.path.lexists(out):
			os.unlink(out)
		os.symlink('/usr/bin/kmod', out)
	ramfs.install(GUEST_INIT, '/init', 0o755)
	with open(ramfs.path('vmrun/kvm-probe'), 'w') as f:
		f.write(KVM_PROBE_SCRIPT)
	os.chmod(ramfs.path('vmrun/kvm-probe'), 0o755)

	listing = install_collection(ramfs, tests, args.test_timeout, tmp)
	with open(ramfs.path('vmrun/tests.list'), 'w') as f:
		f.writelines('%s\t%s\n' % entry for entry in listing)
	for spec in args.file:
		src, _, dst = spec.partition(':')
		if not os.path.exists(src):
			die('%s: no such file' % src)
		if not dst or dst.endswith('/'):
			dst = os.path.join(dst or '/root',
					   os.path.basename(src.rstrip('/')))
		elif not dst.startswith('/'):
			dst = '/root/' + dst
		ramfs.install_tree(src, dst)
	with open(ramfs.path('vmrun/config'), 'w') as f:
		f.write(shell_quote_config({
			'VMRUN_MODE': mode,
			'VMRUN_MARK': MARK,
			'VMRUN_TIMEOUT': args.test_timeout,
			'VMRUN_MODULES': ' '.join(load),
			'VMRUN_RUN': args.run or '',
			'VFIOEXT_KVER': kver,
			'VMRUN_LIBDIR': LIBDIR,
			'VMRUN_QMP': '' if mode == 'interactive' else '1',
			'VMRUN_PLUG': plug_list(args),
		}))
	initrd = os.path.join(tmp, 'initrd.img')
	ramfs.pack(initrd)
	log('initramfs: %d KiB, %d tests, our modules: %s (%.1f s)' % (
		os.path.getsize(initrd) // 1024, len(tests),
		' '.join(names) or '-', time.monotonic() - t0))
	return initrd
