#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the serial logs of `make bench` into a table, a CSV file and a plot.

    bench_report.py <build>/bench

Reads logs/r<round>-<kernel>-<topology>[-time].log (lines
"P2PBENCH name|value|unit" printed by guest/scenarios/bench.sh, headed by
"P2PHOST qemu|<arguments>|" from bench.sh) and machine.txt, and writes
results.md, results.csv, map.png and scaling.png (with gnuplot, when it is
installed) next to them.

Logs without -time come from counted boots (QEMU -icount shift=0,sleep=off:
one guest ns is one guest instruction); their "ns" are reported as
instructions ("instr/entry", "instr/call") and their pairs per second as
instructions per pair.  Logs with -time come from ordinary TCG boots and
stay in wall-clock units, as information or, for the allocator on two CPUs
at once, as a noisy figure.

Every figure is the median over the rounds, with the minimum, the maximum
and the spread (max - min) / median.  A counted figure whose spread is above
NONDET_PCT is flagged "nondeterministic".  The tables say for every row with
a target whether ours met it; the targets are fixed here and the figures are
what the runs measured.
"""
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys

KERNELS = ("stock", "ours")
LOG_NAME = re.compile(r"^r(\d+)-(ours|stock)-([a-z])(-base)?(-time)?\.log$")
LINE = re.compile(r"P2PBENCH ([^|\r\n]+)\|([^|\r\n]*)\|([^\r\n]*)")
QEMU_LINE = re.compile(r"^P2PHOST qemu\|([^|]*)\|")
ICOUNT_ARG = "-icount shift=0,sleep=off"
# Keys of the figures of timed boots start with this.
TIME = "time:"

PATHS = {"direct": "dma-direct", "iommu": "dma-iommu (intel-iommu)"}
CLIENT_COUNTS = (1, 8, 32, 256)
KINDS = {
    "host": "host pages only",
    "p2p-bus": "P2P pages only, bus address",
    "p2p-hb": "P2P pages only, through the host bridge",
    "mixed-bus": "half host, half P2P (bus address), interleaved",
}
HB_NA = ("n/a: q35's host bridge 8086:29c0 is on no allow-list of stock "
         "6.12 and it has no way to add one, so it refuses the pair")

MAP_SIZES = (1, 32, 256, 4096)
MAP_RATIO_MAX = 1.00
# An entry's cost against a host entry's in the same boot: a P2P entry no
# more, a host-bridge entry at most 10% more.  Judged from 32 entries on,
# where the per-entry cost shows; a one-entry list is its fixed cost (the
# provider lookup), judged against stock instead.
P2P_HOST_MAX = {"p2p-bus": 1.00, "p2p-hb": 1.10}
P2P_HOST_FROM = 32
WARM_SPEEDUP_MIN = 5.0
# Per-entry count of the longest lists against 32 entries: "flat from 32 on".
FLAT_MAX = 1.05
# A counted figure whose min-max moves more than this (% of its median).
NONDET_PCT = 0.5


def parse_logs(bench):
    """values[kernel][name] = [floats], units, failures, meta, results.

    Figures of timed boots are under TIME + name.  meta[kernel]["qemu"]
    holds the problems with the QEMU command lines ([] when all is well)."""
    values = {k: {} for k in KERNELS}
    fails = {k: {} for k in KERNELS}
    units = {}
    meta = {k: {} for k in KERNELS}
    results = {k: {} for k in KERNELS}
    boots = {k: 0 for k in KERNELS}
    unfinished = []
    logs = os.path.join(bench, "logs")
    for fname in sorted(os.listdir(logs)):
        m = LOG_NAME.match(fname)
        if not m:
            continue
        kernel = m.group(2)
        counted = not m.group(5)
        prefix = "" if counted else TIME
        boots[kernel] += 1
        finished = False
        qemu_seen = False
        with open(os.path.join(logs, fname), errors="replace") as f:
            for line in f:
                qm = QEMU_LINE.match(line)
                if qm:
                    qemu_seen = True
                    if counted != (ICOUNT_ARG in qm.group(1)):
                        fails[kernel].setdefault(fname, []).append(
                            "QEMU ran " + ("without" if counted else "with") +
                            " " + ICOUNT_ARG)
                    continue
                lm = LINE.search(line)
                if not lm:
                    continue
                name, value, unit = (s.strip() for s in lm.groups())
                if name == "end":
                    finished = True
                elif name.startswith("meta"):
                    meta[kernel].setdefault(prefix + value, set()).add(unit)
                elif name.startswith("result/") or name.startswith("check/"):
                    results[kernel].setdefault(name, set()).add(value)
                elif name == "info/distinct-clients":
                    results[kernel].setdefault("clients", set()).add(value)
                elif name in ("start", "done", "error") or name.startswith("info/"):
                    if name == "error":
                        fails[kernel].setdefault(fname, []).append(value)
                else:
                    try:
                        v = float(value)
                    except ValueError:
                        fails[kernel].setdefault(name, []).append(unit)
                        continue
                    if counted:
                        v, unit = counted_unit(v, unit)
                    values[kernel].setdefault(prefix + name, []).append(v)
                    units[prefix + name] = unit
        if not qemu_seen:
            fails[kernel].setdefault(fname, []).append("no QEMU command line")
        if not finished:
            unfinished.append(fname)
    return values, fails, units, meta, results, boots, unfinished


def counted_unit(v, unit):
    """A figure of a counted boot in instructions: 1 guest ns = 1 instr."""
    if unit == "pairs/s":
        return (1e9 / v if v else float("inf")), "instr/pair"
    if unit.startswith("ns/"):
        return v, "instr/" + unit[3:]
    if unit.startswith("ns "):
        return v, "instr " + unit[3:]
    return v, unit


def stats(vals):
    if not vals:
        return None
    return (statistics.median(vals), min(vals), max(vals), len(vals))


def spread_pct(s):
    """(max - min) / median, in %, of a stats() tuple."""
    if not s or not s[0]:
        return None
    return (s[2] - s[1]) / abs(s[0]) * 100


def fmt(x):
    if x is None:
        return "n/a"
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.3f}G"
    if ax >= 1e6:
        return f"{x / 1e6:.3f}M"
    if ax >= 1e5:
        return f"{x / 1e3:.1f}k"
    if ax >= 1000:
        return f"{x:.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_stats(s):
    if s is None:
        return "n/a"
    return f"{fmt(s[0])} ({fmt(s[1])}–{fmt(s[2])})"


def fmt_spread(s):
    p = spread_pct(s)
    return "—" if p is None else f"{p:.2f}%"


def spread(r):
    """A note when the two kernels' min-max ranges overlap."""
    if r.stock and r.ours and r.ours[1] <= r.stock[2] and r.stock[1] <= r.ours[2]:
        return ", within the run-to-run spread"
    return ""


class Row:
    def __init__(self, key, label, unit, better, note=""):
        self.key, self.label, self.unit, self.better = key, label, unit, better
        self.note = note
        self.stock = self.ours = None
        self.ratio = None
        self.target = ""        # met / MISSED / "" (no target)
        self.detail = ""
        self.counted = not key.startswith(TIME)
        # Counted boots, but the figure follows the drives' I/O, which the
        # host completes in its own time: information, not a count.
        self.host_io = key.endswith("/odirect")

    def nondeterministic(self):
        """The kernels whose counted figure moved more than NONDET_PCT."""
        if not self.counted or self.host_io:
            return []
        return [(k, p) for k, p in (("stock", spread_pct(self.stock)),
                                    ("ours", spread_pct(self.ours)))
                if p is not None and p > NONDET_PCT]


def build_rows(values, units):
    rows = []

    def med(kernel, key):
        s = stats(values[kernel].get(key, []))
        return s[0] if s else None

    def add(key, label, better, note="", stock_key=None):
        """stock_key: the figure of stock to compare with, when not key."""
        r = Row(key, label, units.get(key, ""), better, note)
        r.stock = stats(values["stock"].get(stock_key or key, []))
        r.ours = stats(values["ours"].get(key, []))
        if r.stock and r.ours and r.stock[0] > 0:
            r.ratio = r.ours[0] / r.stock[0]
        rows.append(r)
        return r

    def judge(r, checks):
        """checks: [(ok or None, text)]; None means not measurable."""
        parts, ok_all, any_check = [], True, False
        for ok, text in checks:
            if ok is None:
                parts.append(text + ": not measured")
                ok_all = False
                continue
            any_check = True
            parts.append(text)
            ok_all = ok_all and ok
        if checks:
            r.target = "met" if ok_all and any_check else "MISSED"
            r.detail = "; ".join(parts)

    # Map path, counted.
    for path, path_label in PATHS.items():
        for kind, kind_label in KINDS.items():
            for n in MAP_SIZES:
                if kind.startswith("mixed") and n < 2:
                    continue
                key = f"map/{path}/{kind}/{n}"
                label = f"map+unmap, {path_label}, {kind_label}, {n} entr{'y' if n == 1 else 'ies'}"
                note = HB_NA if kind == "p2p-hb" else ""
                r = add(key, label, "lower", note)
                checks = []
                if kind != "p2p-hb":
                    if r.ratio is None:
                        checks.append((None, f"ratio <= {MAP_RATIO_MAX:.2f}"))
                    else:
                        checks.append((r.ratio <= MAP_RATIO_MAX,
                                       f"ratio {r.ratio:.4f} {'<=' if r.ratio <= MAP_RATIO_MAX else '>'} {MAP_RATIO_MAX:.2f}{spread(r)}"))
                if kind.startswith("p2p") and n >= P2P_HOST_FROM:
                    host_key = (f"map/{path}/host/{n}" if kind == "p2p-bus"
                                else f"map/{path}/host-hbtopo/{n}")
                    h = med("ours", host_key)
                    most = P2P_HOST_MAX[kind]
                    if r.ours is None or not h:
                        checks.append((None, f"<= {most:.2f}x host-only"))
                    else:
                        x = r.ours[0] / h
                        checks.append((x <= most,
                                       f"{x:.3f}x host-only {'<=' if x <= most else '>'} {most:.2f}x"))
                if n == MAP_SIZES[-1]:
                    # Flat from 32 entries on: no per-entry cost that grows
                    # with the list.
                    m32 = med("ours", f"map/{path}/{kind}/32")
                    if r.ours is None or not m32:
                        checks.append((None, f"flat: <= {FLAT_MAX}x ours at 32 entries"))
                    else:
                        x = r.ours[0] / m32
                        checks.append((x <= FLAT_MAX,
                                       f"flat: {x:.3f}x ours at 32 entries {'<=' if x <= FLAT_MAX else '>'} {FLAT_MAX}x"))
                judge(r, checks)

    # Allocator: one CPU counted, two CPUs at once in time (contention,
    # which single-threaded icount does not model).
    sizes = ((4, "4 KiB"), (64, "64 KiB"), (1024, "1 MiB"))
    for size, label in sizes:
        r = add(f"alloc/{size}K/1cpu",
                f"pci_alloc_p2pmem + pci_free_p2pmem, {label}, 1 CPU", "lower")
        if r.ratio is None:
            judge(r, [(None, f"ratio <= {MAP_RATIO_MAX:.2f}")])
        else:
            judge(r, [(r.ratio <= MAP_RATIO_MAX,
                       f"ratio {r.ratio:.4f} {'<=' if r.ratio <= MAP_RATIO_MAX else '>'} {MAP_RATIO_MAX:.2f}{spread(r)}")])
    add("frag/largest-fresh", "largest allocatable block, fresh pool", "higher")
    add("frag/largest-after", "largest allocatable block after random fill-and-free", "higher")
    # User space, information only: ours clears new memory at its first
    # fault (stock hands over what the last user left, and inserts every
    # page at mmap()), so ours does more work by design.
    add("mmap/whole", "mmap() of the whole pool from user space, per MiB", "lower")
    add("munmap/whole", "munmap() of the whole pool, per MiB", "lower")
    add("mmap/touch", "reading every page of that mapping once, per MiB "
        "(ours clears the memory then, stock does not)", "lower")
    add("mmap/faults", "page faults reading every page of that mapping", "lower")

    # The large BAR of topology (f), 4 GiB: ours in 1 GiB folios against
    # stock (base pages), and ours with pci_p2pdma.base_pages=1, which only
    # ours has (stock's column stays empty; its own figure is the row above).
    large = (
        ("memmap", "memmap per GiB of the 4 GiB BAR", "lower"),
        ("add-resource", "pci_p2pdma_add_resource() of the 4 GiB BAR, "
         "instructions of the registering thread (its sleep excluded)", "lower"),
        ("mmap", "mmap() of 1 GiB of it, per MiB", "lower"),
        ("touch", "reading every page of that mapping, per MiB "
         "(ours clears the memory at its first fault, stock does not clear)", "lower"),
        ("faults", "page faults reading it", "lower"),
        ("munmap", "munmap() of it, per MiB", "lower"),
        ("retouch", "reading every page again after MADV_DONTNEED (faults "
         "alone, memory already cleared), per MiB", "lower"),
        ("refaults", "page faults reading it again", "lower"),
        ("dma-entries", "DMA entries per 2 MiB O_DIRECT request through it", "lower"),
        ("odirect", "O_DIRECT copy in 2 MiB requests through it, MB per "
         "10^9 guest instructions (information only)", "higher"),
    )
    big = {}
    for key, label, better in large:
        big[key] = add(f"big/{key}", f"large BAR: {label}; ours in 1 GiB folios", better)
        add(f"big-base/{key}", f"large BAR: {label}; ours with base pages",
            better, stock_key=f"big/{key}")
    r = big["memmap"]
    if r.ours is None:
        judge(r, [(None, "ours <= 64 KiB per GiB")])
    else:
        judge(r, [(r.ours[0] <= 65536, f"ours {r.ours[0]:.0f} bytes per GiB, at most 65536")])
    r = big["dma-entries"]
    if r.ours is None:
        judge(r, [(None, "one entry per request")])
    else:
        judge(r, [(r.ours[0] <= 1.0, f"ours {r.ours[0]:.2f} entries per request, at most 1")])
    # Ours in folios on memory cleared ahead in the background, which
    # base pages never get (each page is cleared at its fault).
    ahead = (
        ("mmap", "mmap() of 1 GiB of memory cleared ahead, per MiB"),
        ("touch", "reading every page of that mapping, per MiB (nothing "
         "left to clear)"),
        ("faults", "page faults reading it"),
        ("munmap", "munmap() of it, per MiB"),
    )
    for key, label in ahead:
        big[f"ahead-{key}"] = add(f"big/ahead-{key}",
                                  f"large BAR: {label}; ours in 1 GiB folios",
                                  "lower", stock_key=f"big/{key}")
    # mmap and touch together: ours in folios, on memory cleared ahead
    # (what a mapping pays once the pool is in use), against ours in base
    # pages, which clears at the faults; both clearing at the faults too.
    r = big["ahead-touch"]
    goal = "mmap + touch >= 100x faster in folios than in base pages"
    fol = [med("ours", f"big/ahead-{k}") for k in ("mmap", "touch")]
    cold = [med("ours", f"big/{k}") for k in ("mmap", "touch")]
    base = [med("ours", f"big-base/{k}") for k in ("mmap", "touch")]
    if None in fol + base or not fol[0] + fol[1]:
        judge(r, [(None, goal)])
    else:
        x = (base[0] + base[1]) / (fol[0] + fol[1])
        again = med("ours", "big-base/retouch")
        alone = (f"; {(again + base[0]) / (fol[0] + fol[1]):.0f}x base "
                 f"pages' faults alone" if again else "")
        both = (f"; both clearing at the faults "
                f"{(base[0] + base[1]) / (cold[0] + cold[1]):.1f}x"
                if None not in cold and cold[0] + cold[1] else "")
        judge(r, [(x >= 100,
                   f"mmap + touch {x:.0f}x faster in folios, memory "
                   f"cleared ahead, than in base pages, "
                   f"{'>=' if x >= 100 else '<'} 100x{alone}{both}")])

    # Distance and find, with distinct clients (topology (g)).
    for n in CLIENT_COUNTS:
        add(f"dist/cold/{n}", f"pci_p2pdma_distance_many, {n} client{'s' if n > 1 else ''}, cold", "lower")
        r = add(f"dist/warm/{n}", f"pci_p2pdma_distance_many, {n} client{'s' if n > 1 else ''}, warm", "lower")
        cold = med("ours", f"dist/cold/{n}")
        if r.ours is None or not cold:
            judge(r, [(None, f"ours warm >= {WARM_SPEEDUP_MIN:.0f}x faster than cold")])
        else:
            x = cold / r.ours[0]
            judge(r, [(x >= WARM_SPEEDUP_MIN,
                       f"ours warm {x:.1f}x faster than cold {'>=' if x >= WARM_SPEEDUP_MIN else '<'} {WARM_SPEEDUP_MIN:.0f}x")])
    for n in CLIENT_COUNTS:
        add(f"find/{n}", f"pci_p2pmem_find_many, {n} client{'s' if n > 1 else ''}", "lower")
    add("cache/bytes", "memory of the verdict caches after 256 distinct "
        "clients x 8 providers (radix_tree_node slab)", "lower")
    add("cache/per-verdict", "the same per cached verdict", "lower")

    # Timed boots (ordinary TCG): wall clock, noisy.
    for size, label in sizes:
        add(f"{TIME}alloc/{size}K/1cpu",
            f"pci_alloc_p2pmem + pci_free_p2pmem, {label}, 1 CPU (information only)",
            "higher")
    for size, label in sizes:
        r = add(f"{TIME}alloc/{size}K/2cpu",
                f"pci_alloc_p2pmem + pci_free_p2pmem, {label}, 2 CPUs at once (noisy)",
                "higher")
        if r.ratio is None:
            judge(r, [(None, "ratio >= 1.00")])
        else:
            judge(r, [(r.ratio >= 1.0,
                       f"ratio {r.ratio:.3f} {'>=' if r.ratio >= 1.0 else '<'} 1.00{spread(r)}; wall clock")])
    add(f"{TIME}copy/p2p", "O_DIRECT copy NVMe -> NVMe through P2P memory (information only)", "higher")
    add(f"{TIME}copy/host", "O_DIRECT copy NVMe -> NVMe through a host buffer (information only)", "higher")
    return rows


def read_machine(bench):
    info = {}
    path = os.path.join(bench, "machine.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "|" in line:
                    k, v = line.rstrip("\n").split("|", 1)
                    info[k] = v
    return info


def table(out, rows, counted):
    out.append("| workload | unit | better | stock | ours | spread stock / ours | ratio ours/stock | target | flag |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r.counted != counted or (r.stock is None and r.ours is None):
            continue
        stock = fmt_stats(r.stock) if r.stock else ("n/a¹" if r.note else "n/a")
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else "n/a"
        target = f"{r.target} ({r.detail})" if r.target else "—"
        sp = f"{fmt_spread(r.stock)} / {fmt_spread(r.ours)}"
        if counted and r.host_io:
            flag = "host I/O timing (information only)"
        elif counted:
            nd = r.nondeterministic()
            flag = ("nondeterministic (" +
                    ", ".join(f"{k} {p:.2f}%" for k, p in nd) + ")") if nd else ""
        else:
            flag = "noisy (wall clock)"
        out.append(f"| {r.label} | {r.unit} | {r.better} | {stock} | "
                   f"{fmt_stats(r.ours)} | {sp} | {ratio} | {target} | {flag} |")


def markdown(rows, info, meta, boots, checks_text, nclients, clock):
    out = []
    out.append(f"Run of {info.get('date', '?')} on {info.get('cpu', '?')}, "
               f"{info.get('cores', '?')} cores, {info.get('memory', '?')}; "
               f"{info.get('qemu', 'QEMU')} (TCG), q35, 2 vCPUs, 2 GiB; "
               f"{info.get('rounds', '?')} counted rounds and "
               f"{info.get('time_rounds', '?')} timed rounds "
               f"({boots['ours']} boots of ours, {boots['stock']} of stock); "
               f"stock: unmodified {info.get('base', '?')}; "
               f"ours: {info.get('ours', '?')} composed on it.")
    out.append("")
    out.append("**Counted figures** come from boots under QEMU "
               f"`{ICOUNT_ARG}` (single-threaded TCG): the guest's clock "
               "advances 1 ns per guest instruction executed, by either vCPU, "
               "and jumps over idle time, so what p2pbench measures in ns is a "
               "number of instructions, the same from boot to boot whatever "
               "the host is doing.  An instruction count is work, not time: "
               "cache misses, branch mispredictions and the latency of a "
               "division cost nothing in it, so it ranks code by what it "
               "executes and cannot see memory-layout effects.  " + clock)
    out.append("")
    out.append("Each figure: median (min–max) over the rounds; spread: "
               "(max − min) / median.  Ratio: ours/stock of the medians; "
               "'better' says which way is better for the row.  Targets are "
               "judged on the medians; 'within the run-to-run spread' marks a "
               "ratio whose two min–max ranges overlap.  A counted row whose "
               f"spread is above {NONDET_PCT}% of its median, for either "
               "kernel, is flagged nondeterministic: something other than the "
               "code under test ran inside its timed window, or the window "
               "found the machine in another state.  Both vCPUs advance the "
               "one clock, so whatever the kernel runs meanwhile is counted, "
               "and idle time spent waiting (an RCU grace period) is counted "
               "up to the next timer event.  So every timed window starts "
               "from a settled machine: a sleep first (20 ms in p2pbench, "
               "50 ms in p2pmaptime, 200 ms before the large BAR's "
               "registration), in which deferred work finishes (dma-iommu's "
               "10 ms flush-queue timer hands the IOVAs of the last unmaps "
               "back, RCU callbacks run), then a wait for the next timer tick "
               "(HZ=250, every 4M instructions), so the ticks inside a window "
               "fall at the same offsets every boot.  p2pbench's iteration "
               "counts are powers of two, the same every boot; the boots have "
               "no address-space randomisation (nokaslr norandmaps); the host "
               "pages of the map rows are each the first page of its own "
               "pair, so no two are physically contiguous (dma-iommu maps "
               "contiguous neighbours with one call, and which neighbours "
               "the page allocator makes contiguous changes from boot to "
               "boot).  Host load cannot move a count.")
    out.append("")
    out.append("### Counted (instructions, `-icount shift=0,sleep=off`)")
    out.append("")
    table(out, rows, True)
    out.append("")
    out.append(f"¹ {HB_NA}.  The P2P-through-host-bridge rows run on topologies "
               "(b) and (d) booted with pci_p2pdma.allow=8086:29c0; their "
               "host-only reference is ours' host-only figure from those same "
               "boots (results.csv, host-hbtopo).")
    out.append("")
    if any(not r.counted and (r.stock or r.ours) for r in rows):
        out.append("### Timed (wall clock, ordinary multi-threaded TCG, topology (a))")
        out.append("")
        out.append("Information only, and the allocator on two CPUs at once, "
                   "which measures contention between two vCPUs that the "
                   "single-threaded TCG of icount does not model: judged, but "
                   "noisy, since these figures follow the host's load.")
        out.append("")
        table(out, rows, False)
    else:
        out.append("No timed boots in this run (P2P_BENCH_TIME_ROUNDS=0): no "
                   "figure for the allocator on two CPUs at once nor for the "
                   "O_DIRECT copies.")
    out.append("")
    out.append("How the figures are made: both kernels come from the same base "
               "and the same configuration (config/base.config + "
               "config/bench.config: no KASAN, lockdep, kmemleak, DEBUG_SG or "
               "dma-debug, no KUnit), and the same module, p2pbench.ko, built "
               "against each, calls only the API they share.  Map rows: "
               "dma_map_sgtable + dma_unmap_sgtable of one-page entries for the "
               "second NVMe drive (host pages never physically contiguous, P2P "
               "pages one contiguous run), dma-direct on topologies (a)/(b), "
               "dma-iommu on "
               "(c)/(d) with intel_iommu=on; on (c) both kernels get "
               "pci_p2pdma.trust_virt_topology=1, without which ours (rightly, "
               "under QEMU) refuses bus addresses behind a virtual IOMMU.  "
               "Allocator, 1 CPU: instructions per pci_alloc_p2pmem + "
               "pci_free_p2pmem pair, a clock read every 8 pairs included.  "
               "User mappings (mmap, the first read of every page, munmap): "
               "the median of 5 rounds in each boot, each step timed alone.  "
               "Cold distance: the first call after a PCI topology change "
               "(the SMBus controller hot-removed and rescanned before every "
               "cold sample, the event on which a verdict cache must forget), "
               "preceded by one call for the root port, which is no client, "
               "so that the code is warm and the clients' verdicts are not; "
               "median of 9 samples per boot.  Warm: the same "
               "call repeated.  Distance and find run on topology (g), whose "
               "275 PCI functions below the provider's root port (the peer "
               "drive, the provider, the switch ports, 232 edu and 8 ivshmem "
               f"functions) give every call distinct clients ({nclients} "
               "taken).  Stock has no verdict cache for distance: its cold "
               "and warm calls differ only by the state of the machine.  "
               "Verdict cache memory: the radix_tree_node slab (which holds "
               "the xarray nodes both kernels keep verdicts in) before and "
               "after pci_p2pdma_distance_many() of 256 distinct clients for "
               "each of the 8 ivshmem providers of p2ptestprov, each reading "
               "taken after an RCU grace period and a flush of the slab's "
               "per-CPU caches (its sysfs shrink), which SLUB would "
               "otherwise count as in use.")
    if checks_text:
        out.append("")
        out.extend(checks_text)
    return "\n".join(out) + "\n"


def clock_text(values, meta):
    """What the counted boots' clock was, from the guest's own check."""
    parts = []
    for k in KERNELS:
        s = stats(values[k].get("clock/loop2", []))
        t = stats(values[k].get(TIME + "clock/loop2", []))
        tsc = "/".join(sorted(x for x in meta[k].get("tsc", ()) if x))
        if s:
            parts.append(f"{k}: {fmt_stats(s)} per iteration"
                         + (f" (timed boots: {fmt_stats(t)} ns)" if t else "")
                         + (f", TSC {tsc}" if tsc else ""))
    if not parts:
        return "The guest did not report its clock check (clock/loop2)."
    return ("The guest checks it: a loop of two instructions (dec, jnz) "
            "measured " + "; ".join(parts) + ".")


def consistency(results, fails, unfinished):
    """Sanity lines: same answers from both kernels, failures, lost boots."""
    lines = []
    for key in sorted(set(results["stock"]) | set(results["ours"])):
        s = results["stock"].get(key)
        o = results["ours"].get(key)
        if key.startswith("check/"):
            continue
        if s is not None and o is not None and s != o:
            lines.append(f"- {key}: stock answered {sorted(s)}, ours {sorted(o)}")
    for k in KERNELS:
        for name, why in sorted(fails[k].items()):
            lines.append(f"- {k}: {name} failed: {'; '.join(sorted(set(why)))}")
    for f in unfinished:
        lines.append(f"- {f}: the boot did not finish")
    if lines:
        lines.insert(0, "Problems seen in the logs:")
    return lines


def route_checks(results):
    """The route each kernel's P2P entries took, from the check/ lines."""
    lines = []
    for k in KERNELS:
        for key in sorted(results[k]):
            if key.startswith("check/") and "host" not in key:
                lines.append(f"{k} {key[6:]}: {'/'.join(sorted(results[k][key]))} bus-address segments")
    return lines


def write_csv(path, rows, values, units):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "description", "unit", "better",
                    "stock_median", "stock_min", "stock_max", "stock_runs",
                    "ours_median", "ours_min", "ours_max", "ours_runs",
                    "ratio_ours_stock", "target", "target_detail",
                    "stock_spread_pct", "ours_spread_pct", "flag"])
        seen = set()

        def cells(s):
            return [f"{s[0]:.3f}", f"{s[1]:.3f}", f"{s[2]:.3f}", s[3]] if s else ["", "", "", 0]

        for r in rows:
            seen.add(r.key)
            if r.stock is None and r.ours is None:
                continue
            sp = [f"{p:.3f}" if p is not None else ""
                  for p in (spread_pct(r.stock), spread_pct(r.ours))]
            flag = ("nondeterministic" if r.nondeterministic() else
                    "host-io" if r.host_io else
                    "" if r.counted else "noisy")
            w.writerow([r.key, r.label, r.unit, r.better] + cells(r.stock) +
                       cells(r.ours) +
                       [f"{r.ratio:.3f}" if r.ratio is not None else "",
                        r.target, r.detail] + sp + [flag])
        # Everything else the logs hold (host-only references of the
        # host-bridge boots, fill statistics, ...).
        for key in sorted(set(values["stock"]) | set(values["ours"])):
            if key in seen:
                continue
            s = stats(values["stock"].get(key, []))
            o = stats(values["ours"].get(key, []))
            ratio = f"{o[0] / s[0]:.3f}" if s and o and s[0] else ""
            w.writerow([key, "", units.get(key, ""), ""] + cells(s) + cells(o) +
                       [ratio, "", ""])


def plot(bench, rows):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("bench: gnuplot not installed: no map.png", file=sys.stderr)
        return None
    dat = os.path.join(bench, "map.dat")
    short = {"host": "host", "p2p-bus": "P2P bus", "p2p-hb": "P2P HB",
             "mixed-bus": "mixed"}
    panels = []
    with open(dat, "w") as f:
        for path in PATHS:
            f.write(f"# {path}\n")
            count = 0
            for r in rows:
                parts = r.key.split("/")
                if parts[0] != "map" or parts[1] != path:
                    continue
                if r.ours is None and r.stock is None:
                    continue
                label = f"{short.get(parts[2], parts[2])} {parts[3]}"
                s = r.stock or ("-", "-", "-")
                o = r.ours or ("-", "-", "-")
                f.write(f'"{label}" {s[0]} {s[1]} {s[2]} {o[0]} {o[1]} {o[2]}\n')
                count += 1
            f.write("\n\n")
            panels.append((path, count))
    png = os.path.join(bench, "map.png")
    script = f"""
set terminal pngcairo size 1400,900 font ",10"
set output "{png}"
set datafile missing "-"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "instructions per scatterlist entry (log)"
set xtics rotate by -40 scale 0
set grid ytics
set key top right
set multiplot layout 2,1 title 'dma\\_map\\_sgtable + dma\\_unmap\\_sgtable, instructions (icount): stock 6.12 vs ours (median, bars min-max; P2P HB: ours only)'
"""
    for i, (path, count) in enumerate(panels):
        script += f"""
set title "{PATHS[path]}"
plot "{dat}" index {i} using 2:3:4:xtic(1) title "stock 6.12" lc rgb "#888888", \\
     "" index {i} using 5:6:7 title "ours" lc rgb "#1f77b4"
"""
    script += "unset multiplot\n"
    return run_gnuplot(gnuplot, script, png)


def run_gnuplot(gnuplot, script, png):
    """Run @script; the path of the picture it drew, or None."""
    res = subprocess.run([gnuplot], input=script, text=True,
                         capture_output=True)
    if res.returncode != 0:
        # pngcairo may be missing from a minimal gnuplot: fall back to png.
        res = subprocess.run([gnuplot], input=script.replace("pngcairo", "png"),
                             text=True, capture_output=True)
    if res.returncode != 0:
        print(f"bench: gnuplot failed for {png}: {res.stderr.strip()}",
              file=sys.stderr)
        return None
    return png


def plot_scaling(bench, rows):
    """scaling.png: cost against the size of the work, log-log."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return None
    med = {r.key: (r.stock[0] if r.stock else "-",
                   r.ours[0] if r.ours else "-") for r in rows}

    def cols(keys):
        return " ".join(f"{med.get(k, ('-', '-'))[0]} {med.get(k, ('-', '-'))[1]}"
                        for k in keys)

    dat = os.path.join(bench, "scaling.dat")
    with open(dat, "w") as f:
        f.write("# entries, stock/ours: host, P2P bus (dma-direct)\n")
        for n in MAP_SIZES:
            f.write(f"{n} " + cols([f"map/direct/host/{n}",
                                    f"map/direct/p2p-bus/{n}"]) + "\n")
        f.write("\n\n# clients, stock/ours: cold, warm, find\n")
        for n in CLIENT_COUNTS:
            f.write(f"{n} " + cols([f"dist/cold/{n}", f"dist/warm/{n}",
                                    f"find/{n}"]) + "\n")
    png = os.path.join(bench, "scaling.png")
    script = f"""
set terminal pngcairo size 1400,600 font ",10"
set output "{png}"
set datafile missing "-"
set logscale xy
set grid
set key top left
set style data linespoints
set multiplot layout 1,2 title 'How cost grows with the work (instructions, icount; median)'
set title 'dma\\_map\\_sgtable + unmap, dma-direct: per entry'
set xlabel "entries in the list"
set ylabel "instructions per entry"
plot "{dat}" index 0 using 1:2 title "stock, host" lc rgb "#888888" dt 2, \\
     "" index 0 using 1:3 title "ours, host" lc rgb "#1f77b4" dt 2, \\
     "" index 0 using 1:4 title "stock, P2P bus" lc rgb "#888888", \\
     "" index 0 using 1:5 title "ours, P2P bus" lc rgb "#1f77b4"
set title 'pci\\_p2pdma\\_distance\\_many / pci\\_p2pmem\\_find\\_many: per call, distinct clients (g)'
set xlabel "clients"
set ylabel "instructions per call"
plot "{dat}" index 1 using 1:2 title "stock, distance cold" lc rgb "#888888", \\
     "" index 1 using 1:3 title "ours, distance cold" lc rgb "#1f77b4", \\
     "" index 1 using 1:4 title "stock, distance warm" lc rgb "#888888" dt 2, \\
     "" index 1 using 1:5 title "ours, distance warm" lc rgb "#1f77b4" dt 2, \\
     "" index 1 using 1:6 title "stock, find" lc rgb "#bbbbbb" dt 3, \\
     "" index 1 using 1:7 title "ours, find" lc rgb "#2ca02c" dt 3
unset multiplot
"""
    return run_gnuplot(gnuplot, script, png)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bench = sys.argv[1]
    values, fails, units, meta, results, boots, unfinished = parse_logs(bench)
    if not any(values[k] for k in KERNELS):
        print("bench: no figures in the logs", file=sys.stderr)
        return 1
    rows = build_rows(values, units)
    info = read_machine(bench)
    extra = consistency(results, fails, unfinished)
    rc = route_checks(results)
    if rc:
        extra += ["", "Route taken by the P2P entries of the 32-entry lists "
                  "(one map per boot, counted in the mapped list):", ""]
        extra += ["- " + line for line in rc]
    kv = []
    for k in KERNELS:
        if "kernel" in meta[k]:
            kv.append(f"{k} {'/'.join(sorted(meta[k]['kernel']))}")
        if "clocksource" in meta[k]:
            kv.append(f"{k} clocksource {'/'.join(sorted(meta[k]['clocksource']))}")
        if TIME + "clocksource" in meta[k]:
            kv.append(f"{k} clocksource in timed boots {'/'.join(sorted(meta[k][TIME + 'clocksource']))}")
    if kv:
        extra += ["", "Kernels: " + ", ".join(kv) + "."]
    nclients = max((int(v) for k in KERNELS
                    for v in results[k].get("clients", ())), default=0) or "?"
    md = markdown(rows, info, meta, boots, extra, nclients,
                  clock_text(values, meta))
    with open(os.path.join(bench, "results.md"), "w") as f:
        f.write(md)
    write_csv(os.path.join(bench, "results.csv"), rows, values, units)
    png = plot(bench, rows)
    scaling = plot_scaling(bench, rows)
    print(md)
    print(f"bench: wrote {os.path.join(bench, 'results.md')}, "
          f"{os.path.join(bench, 'results.csv')}" +
          "".join(f", {p}" for p in (png, scaling) if p))
    missed = [r for r in rows if r.target == "MISSED"]
    met = [r for r in rows if r.target == "met"]
    print(f"bench: targets: {len(met)} met, {len(missed)} missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
