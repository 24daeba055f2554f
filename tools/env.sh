#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Paths shared by the build, the VM runner and the test command, for one
# target kernel of tools/kernels.
#
# Source it ('. tools/env.sh') to get the variables below, or run it with
# variable names ('tools/env.sh KDIR KIMAGE') to print their values.
# Every variable can be overridden from the environment.
#
#   VFIOEXT_CACHE  cache for build products kept outside the clone
#   TARGET         the target's series (6.1, 6.12, 7.3); default: the first
#                  line of tools/kernels, or the series of KVER when set
#   TARGETS        every series of tools/kernels, in order
#   USERLAND       where its modules build: "host" or a release name
#   KROOT          that userland's root ("" for the host)
#   KVER           target kernel release, as pinned by tools/setup-deps
#   KDIR           kbuild directory of the target kernel headers (a host
#                  path, under KROOT for another userland)
#   KIMAGE         bootable image of the target kernel (for the VM bench)
#   KMODDIR        /lib/modules/$KVER tree of the target kernel image
#   KSRC           extracted linux-source tree of the target (layout
#                  check; checkpatch, kselftest and UML use the 6.1 one)

VFIOEXT_CACHE=${VFIOEXT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/vfio-ext}
_kernels=${VFIOEXT_KERNELS:-$(dirname "$0")/kernels}
[ -r "$_kernels" ] || _kernels=tools/kernels
TARGETS=$(awk '!/^#/ && NF >= 3 { printf "%s%s", s, $1; s = " " }' "$_kernels")
if [ -z "${TARGET:-}" ] && [ -n "${KVER:-}" ]; then
	TARGET=$(echo "$KVER" | sed -n 's/^\([0-9]*\)\.\([0-9]*\)[.+-].*/\1.\2/p')
fi
TARGET=${TARGET:-${TARGETS%% *}}
USERLAND=$(awk -v s="$TARGET" '!/^#/ && $1 == s { print $2 }' "$_kernels")
KSUITE=$(awk -v s="$TARGET" '!/^#/ && $1 == s { print $3 }' "$_kernels")
KROOT=
if [ -n "$USERLAND" ] && [ "$USERLAND" != host ]; then
	KROOT=$VFIOEXT_CACHE/chroot/$USERLAND
fi
_pin=$VFIOEXT_CACHE/targets/$TARGET
if [ -z "${KVER:-}" ] && [ -r "$_pin/kver" ]; then
	KVER=$(cat "$_pin/kver")
fi
KVER=${KVER:-}
KDIR=${KDIR:-$KROOT/usr/src/linux-headers-$KVER}
KIMAGE=${KIMAGE:-$VFIOEXT_CACHE/kernel/$KVER/boot/vmlinuz-$KVER}
KMODDIR=${KMODDIR:-$VFIOEXT_CACHE/kernel/$KVER/lib/modules/$KVER}
if [ -z "${KSRC:-}" ] && [ -r "$_pin/ksrc" ]; then
	KSRC=$(cat "$_pin/ksrc")
fi
KSRC=${KSRC:-$VFIOEXT_CACHE/src/none/linux-source-$TARGET}
export VFIOEXT_CACHE TARGET TARGETS USERLAND KSUITE KROOT KVER KDIR KIMAGE \
	KMODDIR KSRC

if [ "$#" -gt 0 ] && [ "${0##*/}" = env.sh ]; then
	for _v in "$@"; do
		eval "echo \"\$$_v\""
	done
fi
