#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Host unit test of tools/bench/guest32-summary, which says what the
guest did during each long kick of the bench's guest32 part: on a small
bench log and trace written here (what it concludes from given events,
never the numbers of a real run).  TAP output, then
"N passed, N failed, N skipped"."""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, '..', '..', 'tools', 'bench', 'guest32-summary')

# Round 0 of "kernel": kick median 150 us; four long intervals.
LOG = """\
0   kernel           61312   190061   150.0   233.3   5734.1    3.2     4    12000   13    23     8      1    0    0
G32L r0 kernel kick 3 1000000.000-1005000.000 us 5000.0 cpu 0>0
G32L r0 kernel kick 7 1010000.000-1012000.000 us 2000.0 cpu 0>0
G32L r0 kernel kick 9 1020000.000-1021000.000 us 1000.0 cpu 0>0
G32L r0 kernel gap 12 1030000.000-1030400.000 us 400.0
"""

EV = '  vfio-ext-bench-270     [{cpu:03d}] d.h1.  {ts:.6f}: {ev}: {rest}\n'


def trace():
    out = []

    def ev(ts_us, name, rest='', cpu=0):
        out.append(EV.format(cpu=cpu, ts=ts_us / 1e6, ev=name, rest=rest))
    ev(999000, 'tracing_mark_write', 'G32-BEGIN r0 kernel')
    # kick 3: the overdue tick near its end
    ev(1004600, 'local_timer_entry', 'vector=236')
    ev(1004620, 'hrtimer_expire_entry', 'function=tick_sched_timer now=1')
    ev(1004700, 'local_timer_exit', 'vector=236')
    # kick 7: a switch away and back, no interrupt
    ev(1011000, 'sched_switch', 'prev_comm=a next_comm=b')
    ev(1011500, 'sched_switch', 'prev_comm=b next_comm=a')
    # kick 9: a timer on the other CPU only: nothing on CPU 0
    ev(1020500, 'local_timer_entry', 'vector=236', cpu=1)
    # gap 12: a page fault
    ev(1030100, 'page_fault_user', 'address=0x1 ip=0x2 error_code=0x7')
    ev(1040000, 'tracing_mark_write', 'G32-END r0 kernel')
    return ''.join(out)


results = []


def test(fn):
    results.append(fn)
    return fn


def summary():
    with tempfile.TemporaryDirectory(prefix='guest32_summary_unit.') as d:
        log, tr = os.path.join(d, 'b.log'), os.path.join(d, 't.txt')
        with open(log, 'w', encoding='utf-8') as f:
            f.write(LOG)
        with open(tr, 'w', encoding='utf-8') as f:
            f.write(trace())
        p = subprocess.run([sys.executable, TOOL, log, tr],
                           capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return p.stdout


def line_of(out, needle):
    for ln in out.splitlines():
        if needle in ln:
            return ln
    raise AssertionError(f'no line with {needle!r} in:\n{out}')


@test
def each_long_interval_gets_the_class_of_what_cpu0_did():
    out = summary()
    assert re.search(r'kick\s+5000\.0 us\s+timer ', line_of(out, '5000.0 us'))
    assert re.search(r'kick\s+2000\.0 us\s+switch ', line_of(out, '2000.0 us'))
    # The other CPU's tick does not count: CPU 0 did nothing.
    assert re.search(r'kick\s+1000\.0 us\s+none', line_of(out, '1000.0 us'))
    assert re.search(r'gap\s+400\.0 us\s+fault ', line_of(out, '400.0 us'))


@test
def the_time_beyond_the_median_is_summed_per_class():
    out = summary()
    # 5000 - 150 in "timer", 2000 - 150 in "switch", 1000 - 150 in "none"
    assert re.search(r'^\s+timer\s+1\s+4850$', out, re.M), out
    assert re.search(r'^\s+switch\s+1\s+1850$', out, re.M), out
    assert re.search(r'^\s+none\s+1\s+850$', out, re.M), out
    assert re.search(r'^\s+irq\s+0\s+0$', out, re.M), out


@test
def the_round_between_its_markers_counts_cpu0_only():
    ln = line_of(summary(), ' span ')
    # req/s, clean, 1 timer irq (CPU 1's not counted), 100 us in it,
    # 0 other irqs, 2 switches, 1 fault, span 41000 us
    assert re.search(r'61312\s+190061\s+1\s+100\s+0\s+2\s+1\s+span\s+41000 us',
                     ln), ln


def main():
    passed = failed = 0
    print('TAP version 13')
    print(f'1..{len(results)}')
    for i, fn in enumerate(results, 1):
        try:
            fn()
            print(f'ok {i} {fn.__name__}')
            passed += 1
        except Exception as e:  # noqa: BLE001 - every failure is reported
            print(f'not ok {i} {fn.__name__}: {type(e).__name__}: {e}')
            failed += 1
    print(f'{passed} passed, {failed} failed, 0 skipped')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
