# SPDX-License-Identifier: GPL-2.0-only
"""The QEMU machine: the fixed device topology the selftests rely on, the
command line, the KVM-or-TCG choice, the emulated IOMMU, ACPI tables,
and the QMP socket through which guest programs ask for hot-plug."""

import ctypes
import fcntl
import json
import mmap
import os
import shutil
import signal
import socket
import struct
import subprocess
import time

from .vmrun_common import MARK, die, log

# The fixed device topology the selftests rely on.  Keep in sync with the
# --help epilog and Documentation/.
#
#   00:10.0  edu          root bus, \_SB.PCI0.S80, an IOMMU group of its own
#   00:11.0  edu          multifunction; shares its IOMMU group with 00:11.1
#   00:11.1  pci-serial   bound to the kernel's 8250_pci: group not viable
#   00:12.0  edu          root bus, \_SB.PCI0.S90 (never given a _DSM by
#                         the test SSDT), multifunction
#   00:12.1  edu          no ACPI node; same IOMMU group as 00:12.0 (viable:
#                         neither has a host driver)
#   00:13.0  edu          root bus, \_SB.PCI0.S98, own IOMMU group: the
#                         fault-injection device (the test SSDT gives it
#                         a NotSerialized _DSM)
#   00:1c.0  pcie-root-port (ACS), secondary bus 01
#   01:00.0  edu          behind the root port: resettable by secondary-bus
#                         reset (VFIO_DEVICE_RESET)
#   00:1d.0  pcie-root-port vmrun_rp1, secondary bus 02, hot-pluggable
#   02:00.0  edu          QEMU id vmrun_hp0: tests unplug and re-plug it
#                         through the host (see "host requests" in
#                         --help)
#
# Under --iommu amd the two edus behind root ports are not on the command
# line: the guest's init plugs them (device_add through the host, see
# plug_devices() in tools/vmrun-init) before it loads any module.  QEMU's
# AMD-Vi (7.2 and upstream at the time of writing, amdvi_host_dma_iommu())
# gives each device the address space of the bus *number* its bus has when
# the device is created; a bus behind a root port is numbered by the
# firmware later, so a device created with the machine is 00:00.0 to the
# IOMMU: its DMA is translated through the host bridge's DTE, and none of
# its mappings take effect.  A device plugged after the firmware numbered
# the buses gets its own requester ID.  VT-d looks the number up at
# translation time and keeps them on the command line.
BRIDGED_EDUS = [
	# (QEMU id, root port, guest address)
	('vmrun_port0', 'vmrun_rp0', '0000:01:00.0'),
	('vmrun_hp0', 'vmrun_rp1', '0000:02:00.0'),
]
ROOT_PORT_ARGS = [
	'-device', 'pcie-root-port,id=vmrun_rp0,bus=pcie.0,addr=1c.0,'
		   'chassis=1,slot=1',
	'-device', 'pcie-root-port,id=vmrun_rp1,bus=pcie.0,addr=1d.0,'
		   'chassis=2,slot=2',
]
TOPOLOGY_ARGS = [
	'-device', 'edu,addr=10.0',
	'-device', 'edu,addr=11.0,multifunction=on',
	'-chardev', 'null,id=vmrun_null',
	'-device', 'pci-serial,addr=11.1,chardev=vmrun_null',
	'-device', 'edu,addr=12.0,multifunction=on',
	'-device', 'edu,addr=12.1',
	'-device', 'edu,addr=13.0',
] + ROOT_PORT_ARGS


def bridged_edu_args():
	"""-device arguments of the edus behind the root ports."""
	out = []
	for dev_id, bus, _ in BRIDGED_EDUS:
		out += ['-device', 'edu,id=%s,bus=%s,addr=00.0' % (dev_id, bus)]
	return out


def plug_list(args):
	"""What the guest's init plugs (VMRUN_PLUG): 'id,bus,address' words."""
	if args.iommu != 'amd':
		return ''
	return ' '.join(','.join(e) for e in BRIDGED_EDUS)


# --- KVM or TCG -------------------------------------------------------------

KVM_GET_API_VERSION = 0xae00
KVM_CREATE_VM = 0xae01
KVM_GET_VCPU_MMAP_SIZE = 0xae04
KVM_CREATE_VCPU = 0xae41
KVM_SET_USER_MEMORY_REGION = 0x4020ae46
KVM_SET_TSS_ADDR = 0xae47
KVM_RUN = 0xae80
KVM_EXIT_HLT = 5


def kvm_probe_ioctl():
	"""Run one HLT in a KVM vCPU; True when that works."""
	kvm = vm = vcpu = -1
	try:
		kvm = os.open('/dev/kvm', os.O_RDWR | os.O_CLOEXEC)
		if fcntl.ioctl(kvm, KVM_GET_API_VERSION) != 12:
			return False
		vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
		# 64 KiB of guest memory below 4 GiB, HLT at the reset vector.
		mem = mmap.mmap(-1, 0x10000)
		mem[0xfff0] = 0xf4
		addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
		fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION,
			    struct.pack('=IIQQQ', 0, 0, 0xffff0000, 0x10000,
					addr))
		fcntl.ioctl(vm, KVM_SET_TSS_ADDR, 0x7fffd000)
		vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
		size = fcntl.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE)
		run = mmap.mmap(vcpu, size)
		fcntl.ioctl(vcpu, KVM_RUN, 0)
		return struct.unpack_from('=I', run, 8)[0] == KVM_EXIT_HLT
	except (OSError, ValueError):
		return False
	finally:
		for fd in (vcpu, vm, kvm):
			if fd >= 0:
				os.close(fd)


def kvm_boots(qemu, kernel, initrd):
	"""Whether QEMU boots the guest kernel into its initramfs with KVM."""
	cmd = [qemu, '-machine', 'q35', '-accel', 'kvm', '-cpu', 'host',
	       '-m', '256', '-nodefaults', '-display', 'none', '-no-reboot',
	       '-serial', 'stdio', '-kernel', kernel, '-initrd', initrd,
	       '-append', 'console=ttyS0 panic=-1 rdinit=/vmrun/kvm-probe']
	try:
		r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
				   capture_output=True, timeout=20)
	except subprocess.TimeoutExpired:
		return False
	return MARK + ' kvm-ok' in r.stdout.decode(errors='replace')


def kvm_works(qemu, kernel, initrd, cache_dir):
	"""Whether to use KVM: a vCPU runs, and the guest kernel boots.

	The ioctl probe runs in a child that is killed if KVM_RUN hangs.  A
	host can pass it and still fail to run a full guest (a paravirtual
	nested KVM runs a HLT but not this kernel), so the kernel is then
	booted once with -accel kvm; that answer is cached per host kernel,
	QEMU binary and guest kernel.
	"""
	if not os.access('/dev/kvm', os.R_OK | os.W_OK):
		return False
	pid = os.fork()
	if pid == 0:
		signal.alarm(5)
		os._exit(0 if kvm_probe_ioctl() else 1)
	_, st = os.waitpid(pid, 0)
	if not os.WIFEXITED(st) or os.WEXITSTATUS(st) != 0:
		return False
	qpath = shutil.which(qemu) or qemu
	key = '%s|%s|%d|%s|%d' % (os.uname().release, qpath,
				  os.stat(qpath).st_mtime, kernel,
				  os.stat(kernel).st_mtime)
	cache = os.path.join(cache_dir, 'vmrun-kvm-probe.json') \
		if cache_dir else None
	known = {}
	try:
		with open(cache) as f:
			known = json.load(f)
	except (OSError, TypeError, ValueError):
		pass
	cached = key in known
	if cached:
		ok = bool(known[key])
	else:
		ok = kvm_boots(qemu, kernel, initrd)
		known[key] = ok
		try:
			os.makedirs(cache_dir, exist_ok=True)
			with open(cache, 'w') as f:
				json.dump(known, f)
		except (OSError, TypeError):
			pass
	if not ok:
		log('KVM runs a vCPU but cannot boot this guest%s; using TCG' %
		    (' (cached probe)' if cached else ''))
	return ok


KVM_PROBE_SCRIPT = '#!/bin/sh\necho "%s kvm-ok"\n/bin/busybox poweroff -f\n' \
	% MARK


# --- the command line -------------------------------------------------------

def qemu_command(args, kernel, initrd, sock, acpi_tables, accel):
	"""The QEMU command line.

	intel-iommu: intremap=on works under TCG (the guest logs "DMAR-IR:
	Enabled IRQ remapping in xapic mode"); eim=on (x2APIC) is refused by
	QEMU 7.2 unless accel=kvm,kernel-irqchip=split, so it stays at auto.
	"""
	machine = 'q35'
	cpu = 'max'
	if accel == 'kvm':
		# Interrupt remapping needs the split irqchip under KVM.
		machine += ',kernel-irqchip=split'
		cpu = 'host'
	if args.iommu == 'amd':
		iommu = 'amd-iommu,intremap=on'
	else:
		iommu = 'intel-iommu,intremap=on'
	cmd = [args.qemu, '-machine', machine, '-accel', accel, '-cpu', cpu,
	       '-m', str(args.mem), '-smp', str(args.smp),
	       '-nodefaults', '-display', 'none', '-no-reboot',
	       # Before every PCI device.
	       '-device', iommu]
	cmd += TOPOLOGY_ARGS
	# Under AMD-Vi the guest plugs them (BRIDGED_EDUS).
	if not plug_list(args):
		cmd += bridged_edu_args()
	if args.interactive:
		# Equivalent to -serial mon:stdio, plus a log file.
		cmd += ['-chardev', 'stdio,id=vmrun_con,mux=on,signal=off' +
			(',logfile=%s' % args.log if args.log else ''),
			'-serial', 'chardev:vmrun_con',
			'-mon', 'chardev=vmrun_con,mode=readline']
		if plug_list(args):
			# The init's plug requests (serve_plug_requests() in
			# vmrun_guest).
			cmd += ['-chardev',
				'socket,id=vmrun_res,path=%s' % sock,
				'-serial', 'chardev:vmrun_res',
				'-qmp', 'unix:%s,server=on,wait=off' %
				qmp_path(sock)]
		else:
			cmd += ['-serial', 'null']
	else:
		cmd += ['-chardev', 'stdio,id=vmrun_con,signal=off',
			'-serial', 'chardev:vmrun_con',
			'-chardev', 'socket,id=vmrun_res,path=%s' % sock,
			'-serial', 'chardev:vmrun_res',
			'-monitor', 'none',
			# Host requests of the guest ("host requests" in --help).
			'-qmp', 'unix:%s,server=on,wait=off' % qmp_path(sock)]
	for t in acpi_tables:
		cmd += ['-acpitable', 'file=%s' % t]
	append = 'console=ttyS0 panic=-1'
	# AMD-Vi is on by default; amd_iommu= has no "on".
	if args.iommu == 'intel':
		append += ' intel_iommu=on'
	if args.append:
		append += ' ' + ' '.join(args.append)
	cmd += ['-kernel', kernel, '-initrd', initrd, '-append', append]
	return cmd + args.qemu_arg


def qmp_path(result_sock):
	return os.path.join(os.path.dirname(result_sock), 'qmp.sock')


def compile_acpi(tables, tmp):
	"""AML files for -acpitable; ASL sources are compiled with iasl."""
	out = []
	for i, t in enumerate(tables):
		if not os.path.isfile(t):
			die('%s: no such ACPI table' % t)
		if not t.endswith(('.asl', '.dsl', '.ASL', '.DSL')):
			out.append(os.path.abspath(t))
			continue
		prefix = os.path.join(tmp, 'acpi%d-%s' % (
			i, os.path.splitext(os.path.basename(t))[0]))
		r = subprocess.run(['iasl', '-p', prefix, t],
				   capture_output=True, text=True)
		if r.returncode != 0 or not os.path.exists(prefix + '.aml'):
			die('iasl failed on %s:\n%s%s' % (t, r.stdout, r.stderr))
		out.append(prefix + '.aml')
	return out


# --- host requests (QMP) ----------------------------------------------------

QMP_ALLOWED = ('device_add', 'device_del', 'query-pci')


class Qmp:
	"""A QMP client on QEMU's -qmp unix socket, connected on first use."""

	def __init__(self, path):
		self.path = path
		self.sock = None
		self.buf = b''

	def _recv(self, timeout):
		"""The next QMP message that is not an event."""
		deadline = time.monotonic() + timeout
		while True:
			while b'\n' in self.buf:
				line, self.buf = self.buf.split(b'\n', 1)
				if not line.strip():
					continue
				msg = json.loads(line)
				if 'event' not in msg:
					return msg
			left = deadline - time.monotonic()
			if left <= 0:
				raise TimeoutError('no QMP reply')
			self.sock.settimeout(left)
			data = self.sock.recv(65536)
			if not data:
				raise ConnectionError('QMP socket closed')
			self.buf += data

	def command(self, cmd, timeout=10):
		if self.sock is None:
			self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
			self.sock.connect(self.path)
			self._recv(timeout)		# the greeting
			self.sock.sendall(b'{"execute": "qmp_capabilities"}\n')
			self._recv(timeout)
		self.sock.sendall(json.dumps(cmd).encode() + b'\n')
		return self._recv(timeout)

	def close(self):
		if self.sock:
			self.sock.close()
			self.sock = None


def host_request(qmp, words):
	"""Run a guest's 'qmp ID JSON' request; returns the reply line."""
	rid = words[0]
	try:
		cmd = json.loads(' '.join(words[1:]))
		if not isinstance(cmd, dict) or \
				cmd.get('execute') not in QMP_ALLOWED:
			raise ValueError('only %s' % ', '.join(QMP_ALLOWED))
		if qmp is None:
			raise ValueError('no QMP socket in this mode')
		reply = qmp.command(cmd)
		reply.pop('id', None)
	except (ValueError, OSError, TimeoutError) as e:
		reply = {'error': {'class': 'VmrunError', 'desc': str(e)}}
	return '%s qmp-reply %s %s' % (MARK, rid, json.dumps(reply))
