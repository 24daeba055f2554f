#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Host unit test of tools/bench/profile-summary, which sums the folded
call chains of tools/bench/profile-guest per function: on a small
profile written here (what it computes from given chains, never the
numbers of a real run).  TAP output, then "N passed, N failed,
N skipped"."""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, '..', '..', 'tools', 'bench', 'profile-summary')

# 20 samples under serve_vq of 50: 10 in an unmap (6 in its flush), 4 in
# a map that calls the flush's function too, 4 in the ring, 2 in the root.
PROFILE = """\
noise before the section
PROFILE-BEGIN part=guest32 root=^serve_vq$ freq=4000
TOTAL 50
6 serve_vq;viommu_request;iommu_unmap;qi_submit_sync
4 serve_vq;viommu_request;iommu_unmap
4 serve_vq;viommu_request;iommu_map;qi_submit_sync
4 serve_vq;vext_vring_pop;ring_read
2 serve_vq
garbled line
PROFILE-END
9 serve_vq;after_the_end
"""


# (what, table, function, its share in %) of PROFILE.
SHARES = [
    ('per callee of the root: viommu_request 70%', 'per callee',
     'viommu_request', 70.0),
    ('per callee of the root: vext_vring_pop 20%', 'per callee',
     'vext_vring_pop', 20.0),
    ('inclusive: a function under two callers counts both', 'inclusive',
     'qi_submit_sync', 50.0),
    ('inclusive: iommu_unmap with its callee', 'inclusive', 'iommu_unmap',
     50.0),
    ('self: the leaf only', 'self', 'iommu_unmap', 20.0),
    ('self: samples in the root itself', 'self', 'serve_vq', 10.0),
]


# --compare pv_ioctl,floor: 10 samples under pv_ioctl (7 in the flush),
# 5 under floor (4 in the flush), 2 under neither.
COMPARE = """\
PROFILE-BEGIN part=pair4k root=^do_syscall_64$ freq=4000
TOTAL 17
5 do_syscall_64;ioctl;pv_ioctl;unmap;flush
2 do_syscall_64;ioctl;pv_ioctl;flush
3 do_syscall_64;ioctl;pv_ioctl
4 do_syscall_64;write;floor;flush
1 do_syscall_64;write;floor
2 do_syscall_64;idle
PROFILE-END
"""


def compare_rows(out):
    """{function: (a, b, diff)} of a --compare table, in its order."""
    rows = {}
    for line in out.splitlines()[2:]:
        f = line.split()
        if len(f) == 4:
            rows[f[3]] = (int(f[0]), int(f[1]), int(f[2]))
    return rows


def run(text, *args):
    with tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False) as f:
        f.write(text)
        path = f.name
    try:
        r = subprocess.run([sys.executable, TOOL, path] + list(args),
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    return r


def share(out, section, func):
    """The percentage printed for @func in @section, or None."""
    cur = None
    for line in out.splitlines():
        if not line.startswith(' '):
            cur = line.rstrip(':')
            continue
        pct, _, name = line.split(None, 2)
        if cur and cur.startswith(section) and name == func:
            return float(pct.rstrip('%'))
    return None


def main():
    results = []
    r = run(PROFILE)
    out = r.stdout
    results.append(('exit 0 on a profile with samples', r.returncode == 0))
    results.append(('header: samples under the root of the total',
                    '20 of 50 samples under the root' in out))
    for name, section, func, want in SHARES:
        results.append((name, share(out, section, func) == want))
    results.append(('lines after PROFILE-END are not read',
                    'after_the_end' not in out))
    r = run('PROFILE-BEGIN part=x root=y\nTOTAL 7\nPROFILE-END\n')
    results.append(('no sample under the root: exit 1 and says so',
                    r.returncode == 1 and 'no sample' in r.stderr))
    r = run(PROFILE, '--top', '1')
    results.append(('--top 1: one line per table',
                    sum(1 for l in r.stdout.splitlines()
                        if l.startswith('  ')) == 3))
    r = run(COMPARE, '--compare', 'pv_ioctl,floor')
    rows = compare_rows(r.stdout)
    results.append(('--compare: each side\'s samples with callees, and '
                    'their difference', r.returncode == 0 and
                    rows.get('flush') == (7, 4, 3) and
                    rows.get('pv_ioctl') == (10, 0, 10) and
                    rows.get('floor') == (0, 5, -5)))
    results.append(('--compare: largest difference first',
                    list(rows)[:3] == ['pv_ioctl', 'unmap', 'flush']))
    results.append(('--compare: a chain through neither side is left out',
                    'idle' not in rows))
    r = run(COMPARE, '--compare', 'pv_ioctl')
    results.append(('--compare without two sides: exit 2',
                    r.returncode == 2))
    bad = 0
    print('TAP version 13')
    print('1..%d' % len(results))
    for i, (name, ok) in enumerate(results, 1):
        print('%sok %d %s' % ('' if ok else 'not ', i, name))
        bad += not ok
    print('%d passed, %d failed, 0 skipped' % (len(results) - bad, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
