#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Paths shared by the build, the VM runner and the test command.
#
# Source it ('. tools/env.sh') to get the variables below, or run it with
# variable names ('tools/env.sh KDIR KIMAGE') to print their values.
# Every variable can be overridden from the environment.
#
#   VFIOEXT_CACHE  cache for build products kept outside the clone
#   KVER           target kernel release (not the running kernel)
#   KDIR           kbuild directory of the target kernel headers
#   KIMAGE         bootable image of the target kernel (for the VM bench)
#   KMODDIR        /lib/modules/$KVER tree of the target kernel image
#   KSRC           extracted linux-source tree (checkpatch, kselftest, UML)

VFIOEXT_CACHE=${VFIOEXT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/vfio-ext}
if [ -z "${KVER:-}" ] && [ -r "$VFIOEXT_CACHE/kver" ]; then
	KVER=$(cat "$VFIOEXT_CACHE/kver")
fi
if [ -z "${KVER:-}" ]; then
	# Newest installed Debian 6.1 amd64 headers; never the running kernel.
	KVER=$(ls -d /usr/src/linux-headers-6.1.0-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -n1 || true)
fi
KDIR=${KDIR:-/usr/src/linux-headers-$KVER}
KIMAGE=${KIMAGE:-$VFIOEXT_CACHE/kernel/$KVER/boot/vmlinuz-$KVER}
KMODDIR=${KMODDIR:-$VFIOEXT_CACHE/kernel/$KVER/lib/modules/$KVER}
if [ -z "${KSRC:-}" ]; then
	_srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
	KSRC=$VFIOEXT_CACHE/src/${_srcver:-none}/linux-source-6.1
fi
export VFIOEXT_CACHE KVER KDIR KIMAGE KMODDIR KSRC

if [ "$#" -gt 0 ] && [ "${0##*/}" = env.sh ]; then
	for _v in "$@"; do
		eval "echo \"\$$_v\""
	done
fi
