# SPDX-License-Identifier: GPL-2.0
#
# gdb script: the instructions one iteration of a p2pbench loop executes,
# function by function.  The counted bench rows say how many instructions
# a call or an entry costs; this says where they go.
#
# Run by the trace stage of bench.sh, which boots a bench kernel in QEMU
# with a gdb stub.  Parameters come from the environment:
#   PATHTRACE_START  the function the loop calls (default dma_map_sgtable)
#   PATHTRACE_ARG    where its size argument is: "sgt" (the orig_nents of
#                    the sg_table in %rsi, the default) or a register
#                    ("rdx": pci_p2pdma_distance_many()'s num_clients)
#   PATHTRACE_NENTS  the size whose call to trace (default 1)
#   PATHTRACE_SKIP   how many calls of that size to let run first
#                    (default 0)
#   PATHTRACE_P2P    a function that must have run before (ours:
#                    pci_p2pdma_map_state_update, stock:
#                    pci_p2pdma_map_segment, which only P2P lists reach);
#                    empty: none
#   PATHTRACE_OUT    where to write the per-function counts (and, in
#                    PATHTRACE_OUT.pcs, every instruction's address)
#
# The trace starts at the entry of the traced call and stops at the next
# entry of the same function, so it covers the call, whatever the loop does
# after it (dma_unmap_sgtable() after dma_map_sgtable()) and the loop
# itself.  QEMU's gdb stub masks interrupts while single-stepping, so no
# interrupt handler is counted.

import bisect
import collections
import os
import subprocess

import gdb

START = "*" + os.environ.get("PATHTRACE_START", "dma_map_sgtable")
ARG = os.environ.get("PATHTRACE_ARG", "sgt")
NENTS = int(os.environ.get("PATHTRACE_NENTS", "1"))
SKIP = int(os.environ.get("PATHTRACE_SKIP", "0"))
P2P = os.environ.get("PATHTRACE_P2P", "")
OUT = os.environ["PATHTRACE_OUT"]


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & (2**64 - 1)


def read_u32(addr):
    mem = gdb.selected_inferior().read_memory(addr, 4)
    return int.from_bytes(bytes(mem), "little")


class Symbols:
    """pc -> function, from the ELF symbol table (no debug info needed)."""

    def __init__(self, vmlinux):
        nm = subprocess.run(["nm", "-n", vmlinux], check=True,
                            capture_output=True, text=True).stdout
        self.addrs, self.names = [], []
        for line in nm.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] in "tTwW":
                self.addrs.append(int(fields[0], 16))
                self.names.append(fields[2])
        self.end = int(subprocess.run(
            ["sh", "-c", "nm %s | sed -n 's/ [A-Za-z] _etext$//p'" % vmlinux],
            check=True, capture_output=True, text=True).stdout, 16)

    def __call__(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        if i < 0 or pc >= self.end:
            return "(module: p2pbench)"
        return self.names[i]


def stop_at(spec):
    bp = gdb.Breakpoint(spec, type=gdb.BP_HARDWARE_BREAKPOINT,
                        internal=True, temporary=False)
    gdb.execute("continue", to_string=True)
    bp.delete()


def call_size():
    if ARG == "sgt":
        # struct sg_table { struct scatterlist *sgl; unsigned int nents;
        # unsigned int orig_nents; }, passed in %rsi.
        return read_u32(reg("rsi") + 12)
    return reg(ARG) & 0xffffffff


def main():
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("target remote :%s" % os.environ.get("PATHTRACE_PORT",
                                                      "1234"))
    # With PATHTRACE_P2P, the first list of the size after the first P2P
    # entry: p2pbench maps host lists first, then P2P lists in order of
    # length, and nothing else maps P2P memory on a bench boot.
    if P2P:
        stop_at(P2P)
    skip = SKIP
    while True:
        stop_at(START)
        if call_size() == NENTS:
            if not skip:
                break
            skip -= 1
    symbol = Symbols(gdb.current_progspace().filename)
    start = reg("pc")
    counts = collections.Counter()
    order = []
    pcs = []
    total = 0
    while True:
        pc = reg("pc")
        if total and pc == start:
            break
        fn = symbol(pc)
        if fn not in counts:
            order.append(fn)
        counts[fn] += 1
        pcs.append(pc)
        total += 1
        gdb.execute("stepi", to_string=True)
        if total > 200000:
            raise gdb.GdbError("pathtrace: no second call in 200000 steps")
    with open(OUT, "w") as f:
        f.write("# %s of size %d%s: %d instructions\n" %
                (START[1:], NENTS, " after " + P2P[1:] if P2P else "",
                 total))
        for fn in order:
            f.write("%6d %s\n" % (counts[fn], fn))
    # Every instruction in order, for objdump -d --start-address to explain.
    with open(OUT + ".pcs", "w") as f:
        for pc in pcs:
            f.write("%x %s\n" % (pc, symbol(pc)))
    gdb.execute("kill")


main()
