# SPDX-License-Identifier: GPL-2.0-only
"""What every part of vmrun shares: where the repository is, the marker of
the guest's result channel, and how vmrun speaks and gives up."""

import os
import sys

# tools/vmrun_lib/ -> the repository.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
	os.path.realpath(__file__))))

MARK = '@@vmrun@@'


def log(msg):
	print('vmrun: ' + msg, flush=True)


def die(msg, status=2):
	print('vmrun: error: ' + msg, file=sys.stderr, flush=True)
	sys.exit(status)
