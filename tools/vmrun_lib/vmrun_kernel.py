# SPDX-License-Identifier: GPL-2.0-only
"""The target kernel and the cache: tools/env.sh, the kernel's module tree
(dependencies from .modinfo, decompression), our modules from kmod/, and
the PVH vmlinux extracted once from the kernel image.

The target is never the running kernel: its image and modules come from
the Debian packages tools/setup-deps unpacks.
"""

import gzip
import lzma
import os
import re
import struct
import subprocess
import zlib

from .vmrun_common import REPO, die, log

# Stock modules always put into the guest (with their dependencies).
# vhost_net is not loaded at boot: selftests/viommu/vhost_uapi_test loads
# it to compare the virtio-iommu fd's answers with the kernel's own vhost.
STOCK_MODULES = ['vfio', 'vfio_iommu_type1', 'vfio_virqfd', 'vfio_pci_core',
		 'vfio_pci', 'irqbypass', 'vhost_net']
# Loaded at boot, before ours.
BOOT_MODULES = ['vfio_iommu_type1', 'vfio_pci']


def env_defaults():
	"""KIMAGE, KMODDIR, KVER and VFIOEXT_CACHE from tools/env.sh (the
	environment wins)."""
	names = ['KIMAGE', 'KMODDIR', 'KVER', 'VFIOEXT_CACHE']
	try:
		out = subprocess.run(['sh', os.path.join(REPO, 'tools', 'env.sh')]
				     + names, capture_output=True, text=True,
				     check=True).stdout.splitlines()
	except (OSError, subprocess.CalledProcessError):
		out = []
	vals = dict(zip(names, out + [''] * len(names)))
	for n in names:
		if os.environ.get(n):
			vals[n] = os.environ[n]
	return vals


def module_name(path):
	base = os.path.basename(path)
	base = re.sub(r'\.ko(\.(xz|gz|zst))?$', '', base)
	return base.replace('-', '_')


def read_module(path):
	"""The ELF image of a kernel module, decompressed if needed."""
	if path.endswith('.xz'):
		with lzma.open(path) as f:
			return f.read()
	if path.endswith('.gz'):
		with gzip.open(path) as f:
			return f.read()
	if path.endswith('.zst'):
		die('%s: zstd-compressed modules are not supported' % path)
	with open(path, 'rb') as f:
		return f.read()


def elf_section(data, wanted):
	"""Contents of the ELF64 little-endian section named wanted, or None."""
	if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
		return None
	shoff, = struct.unpack_from('<Q', data, 0x28)
	shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)

	def shdr(i):
		name, _, _, _, off, size = struct.unpack_from(
			'<IIQQQQ', data, shoff + i * shentsize)
		return name, off, size

	_, stroff, strsize = shdr(shstrndx)
	strtab = data[stroff:stroff + strsize]
	for i in range(shnum):
		name, off, size = shdr(i)
		end = strtab.find(b'\0', name)
		if strtab[name:end].decode() == wanted:
			return data[off:off + size]
	return None


def modinfo(path):
	"""The .modinfo key=value pairs of a module (keys may repeat)."""
	sec = elf_section(read_module(path), '.modinfo') or b''
	info = {}
	for item in sec.split(b'\0'):
		key, sep, val = item.decode(errors='replace').partition('=')
		if sep:
			info.setdefault(key, []).append(val)
	return info


def module_deps(info):
	deps = []
	for val in info.get('depends', []):
		deps += [d.replace('-', '_') for d in val.split(',') if d]
	for val in info.get('softdep', []):
		deps += [d.replace('-', '_') for d in val.split()
			 if d not in ('pre:', 'post:')]
	return deps


class ModuleTree:
	"""The modules of the target kernel, indexed by module name."""

	def __init__(self, moddir):
		self.moddir = moddir
		self.index = {}
		for top, _, files in os.walk(os.path.join(moddir, 'kernel')):
			for f in files:
				if re.search(r'\.ko(\.(xz|gz|zst))?$', f):
					p = os.path.join(top, f)
					self.index[module_name(p)] = p
		self.builtin = set()
		try:
			with open(os.path.join(moddir, 'modules.builtin')) as f:
				self.builtin = {module_name(l.strip()) for l in f}
		except OSError:
			pass

	def closure(self, names, extra=None, strict=()):
		"""Paths of names and everything they depend on.

		extra maps names of out-of-tree modules to their paths.  A
		name in strict must exist; others may not (soft dependencies
		on other architectures, modules merged away in later kernels).
		"""
		extra = extra or {}
		seen, out = set(), []
		todo = list(names)
		while todo:
			name = todo.pop(0)
			if name in seen or name in self.builtin:
				continue
			seen.add(name)
			path = extra.get(name) or self.index.get(name)
			if not path:
				if name in strict:
					die('module %s not found in %s' %
					    (name, self.moddir))
				continue
			out.append(path)
			todo += module_deps(modinfo(path))
		return out


PVH_NOTES = [struct.pack('<III', 4, n, 18) + b'Xen\0' for n in (4, 8)]


def has_pvh_entry(elf):
	"""Whether a vmlinux has the Xen PHYS32_ENTRY note of PVH boot."""
	return elf[:4] == b'\x7fELF' and any(n in elf for n in PVH_NOTES)


def pvh_kernel(kimage, cache_dir):
	"""An uncompressed vmlinux of kimage that QEMU can boot via PVH.

	Under TCG, decompressing an xz bzImage and the real-mode boot path
	take about half of the boot time; QEMU boots an ELF vmlinux with a PVH
	entry point directly.  The vmlinux is extracted once and cached.
	Returns None when kimage is no such kernel (then it boots as is).
	"""
	with open(kimage, 'rb') as f:
		data = f.read()
	if data[:4] == b'\x7fELF':
		return kimage if has_pvh_entry(data) else None
	st = os.stat(kimage)
	out = os.path.join(cache_dir, 'vmrun', 'vmlinux-%s-%d-%d' % (
		os.path.basename(kimage), st.st_size, int(st.st_mtime)))
	if os.path.exists(out):
		return out if os.path.getsize(out) else None
	elf = None
	for magic, make in ((b'\xfd7zXZ\x00',
			     lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ)),
			    (b'\x1f\x8b\x08',
			     lambda: zlib.decompressobj(31))):
		i = data.find(magic)
		if i < 0:
			continue
		try:
			elf = make().decompress(data[i:])
		except (lzma.LZMAError, zlib.error):
			continue
		if elf[:4] == b'\x7fELF':
			break
	if not elf or not has_pvh_entry(elf):
		elf = b''	# remembered as an empty file: boot kimage
	cached = os.path.dirname(out)
	os.makedirs(cached, exist_ok=True)
	for old in os.listdir(cached):
		if old.startswith('vmlinux-%s-' % os.path.basename(kimage)):
			os.unlink(os.path.join(cached, old))
	tmp = '%s.%d' % (out, os.getpid())
	with open(tmp, 'wb') as f:
		f.write(elf)
	os.rename(tmp, out)
	return out if elf else None


def ext_modules(args):
	if args.no_ext_modules:
		return []
	if args.module:
		for m in args.module:
			if not os.path.isfile(m):
				die('%s: no such module' % m)
		return [os.path.abspath(m) for m in args.module]
	found = []
	for top, dirs, files in os.walk(os.path.join(REPO, 'kmod')):
		dirs.sort()
		found += [os.path.join(top, f) for f in sorted(files)
			  if f.endswith('.ko')]
	if not found:
		log('warning: no modules under kmod/ (run make); booting '
		    'without ours')
	return found
