#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise the guest logs of a test run.

    tap.py SCENARIOS_FILE LOG_DIR [SCENARIO...]

Reads the (K)TAP results each boot printed on its serial console (KUnit's
own and our guest scenarios', which print the same shape), checks that every
suite a scenario promises reported a complete plan, and scans the whole log
for reports of the kernel's checkers.  Prints one line per suite and ends
with 'N passed, N failed, N skipped'; exits 1 on any failure.
"""
import re
import sys

RESULT = re.compile(r'^(\s*)(ok|not ok) (\d+)\s*-?\s*(.*?)\s*$')
SUBTEST = re.compile(r'^(\s*)# Subtest: (\S+)')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)\s*$')
DIRECTIVE = re.compile(r'#\s*(SKIP|TODO)\b(.*)$', re.I)

# What the kernel's checkers print when they find something.
CHECKERS = [
    (re.compile(r'BUG: KASAN'), 'KASAN'),
    (re.compile(r'WARNING: possible (circular|recursive) locking'), 'lockdep'),
    (re.compile(r'WARNING: (suspicious RCU usage|inconsistent lock state|lock held)'), 'lockdep'),
    (re.compile(r'INFO: (possible irq lock inversion|task .* blocked)'), 'lockdep/hung task'),
    (re.compile(r'BUG: soft lockup'), 'soft lockup'),
    (re.compile(r'rcu: INFO: \S+ (self-)?detected stall'), 'RCU stall'),
    (re.compile(r'BUG: sleeping function called from invalid context'), 'might_sleep'),
    (re.compile(r'WARNING: CPU: \d+ PID: \d+'), 'WARN'),
    (re.compile(r'------------\[ cut here \]------------'), 'WARN/BUG'),
    (re.compile(r'kernel BUG at'), 'BUG'),
    (re.compile(r'BUG: (unable to handle|kernel NULL|Bad page|scheduling while)'), 'BUG'),
    (re.compile(r'UBSAN:'), 'UBSAN'),
    (re.compile(r'unreferenced object 0x'), 'kmemleak'),
    (re.compile(r'ODEBUG:'), 'debugobjects'),
    # dma-debug prints a few lines of information at boot; anything else
    # it says is a finding.
    (re.compile(r'DMA-API: (?!preallocated \d+ debug entries$'
                r'|debugging enabled by kernel config$'
                r'|dma_debug_entry pool grown to )'), 'dma-debug'),
    (re.compile(r'Kernel panic'), 'panic'),
    (re.compile(r'general protection fault'), 'GPF'),
    (re.compile(r'list_(add|del) corruption'), 'list debug'),
]


def strip_console(line):
    # Serial logs may carry CRs and, with printk.time, a timestamp.
    line = line.rstrip('\r\n')
    return re.sub(r'^\[\s*\d+\.\d+\]\s?', '', line)


def parse_results(lines):
    """Leaf results per suite: {suite: [(name, status)]}, plans, order."""
    suites, plans, order = {}, {}, []
    stack = []          # (indent, suite name)
    seen_deeper = {}    # indent -> result lines deeper than it since
    for line in lines:
        m = SUBTEST.match(line)
        if m:
            indent = len(m.group(1))
            stack = [s for s in stack if s[0] < indent] + [(indent, m.group(2))]
            if len(stack) == 1 or indent == 4:
                order.append(m.group(2))
                suites.setdefault(m.group(2), [])
            continue
        m = PLAN.match(line)
        if m and stack:
            indent = len(m.group(1))
            for ind, name in stack:
                if ind == indent:
                    plans.setdefault(name, int(m.group(2)))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        indent = len(m.group(1))
        if indent == 0 or not stack:
            continue
        parent = any(d > indent and n for d, n in seen_deeper.items())
        for d in list(seen_deeper):
            if d >= indent:
                seen_deeper[d] = 0
        seen_deeper[indent] = seen_deeper.get(indent, 0) + 1
        if parent:
            continue
        owner = [s for s in stack if s[0] <= indent]
        if not owner:
            continue
        top = [s for s in stack if s[0] == 4] or owner[:1]
        name = m.group(4)
        directive = DIRECTIVE.search(name)
        if directive and directive.group(1).upper() == 'SKIP':
            status = 'skip'
        else:
            status = 'pass' if m.group(2) == 'ok' else 'fail'
        if owner[-1][1] != top[0][1]:
            name = owner[-1][1] + '/' + name
        suites.setdefault(top[0][1], []).append((name, status))
    return suites, plans, order


def suite_plan_complete(name, results, plans):
    """Suite-level plan counts direct cases; compare with parents folded."""
    want = plans.get(name)
    if want is None:
        return False
    cases = {r[0].split('/')[0] for r in results}
    return len(cases) >= want or len(results) >= want


def check_log(path, promised):
    try:
        with open(path, errors='replace') as f:
            lines = [strip_console(line) for line in f]
    except OSError:
        return {}, ['no log at %s (the scenario did not run)' % path]
    problems = []
    for line in lines:
        for rx, what in CHECKERS:
            if rx.search(line):
                problems.append('%s report: %s' % (what, line.strip()))
                break
    if not any('p2ptest: done' in line for line in lines):
        problems.append('the guest did not finish (crash, hang or timeout); '
                        'see the end of %s' % path)
    cut = next((i for i, line in enumerate(lines)
                if 'p2ptest: ==== guest dmesg ====' in line), len(lines))
    suites, plans, _ = parse_results(lines[:cut])
    for name in promised:
        if name not in suites:
            problems.append('suite %s reported nothing' % name)
        elif not suite_plan_complete(name, suites[name], plans):
            problems.append('suite %s reported %d results, plan %s'
                            % (name, len(suites[name]), plans.get(name)))
    return {n: suites[n] for n in suites if n in promised}, problems


def main():
    scenarios_file, log_dir = sys.argv[1], sys.argv[2]
    only = set(sys.argv[3:])
    passed = failed = skipped = 0
    with open(scenarios_file) as f:
        table = [l.strip().split('|') for l in f
                 if l.strip() and not l.startswith('#')]
    for name, _topo, _cmdline, promised in table:
        if only and name not in only:
            continue
        suites, problems = check_log('%s/%s.log' % (log_dir, name),
                                     promised.split())
        for suite, results in sorted(suites.items()):
            p = sum(1 for r in results if r[1] == 'pass')
            fl = [r[0] for r in results if r[1] == 'fail']
            s = sum(1 for r in results if r[1] == 'skip')
            passed, failed, skipped = passed + p, failed + len(fl), skipped + s
            print('%-24s %-26s %3d passed, %d failed, %d skipped'
                  % (name, suite, p, len(fl), s))
            for case in fl:
                print('    FAILED: %s' % case)
        for problem in problems:
            failed += 1
            print('%-24s FAILED: %s' % (name, problem))
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
