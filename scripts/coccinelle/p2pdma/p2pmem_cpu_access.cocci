// SPDX-License-Identifier: GPL-2.0-only
///
/// Memory from pci_alloc_p2pmem() is a PCI BAR of another device.  The CPU
/// may only touch it through the io accessors (memcpy_toio(),
/// memcpy_fromio(), memset_io(), ioread32()...): memcpy() and memset() may
/// use instructions (wide or unaligned stores, "DC ZVA" on arm64) that device
/// memory does not accept.  The address a peer uses comes from
/// pci_p2pmem_virt_to_bus() or from a DMA mapping: virt_to_phys() gives a CPU
/// physical address, which is not what a peer puts on the bus.
///
/// A pointer counts as P2P memory when, in the same function, it was
/// assigned the result of pci_alloc_p2pmem(), or when it is a structure
/// field that a function of the same file assigns that result to (such a
/// field may hold host memory at other times: the report names the
/// assignment that makes it suspect).
///
// Confidence: Moderate
// Options: --no-includes --include-headers
//
// A file can only match if it matches every "Grep:" extended regexp:
// tools/testing/p2pdma/check.sh greps the tree with them, then runs spatch
// on what is left.
// Grep: pci_alloc_p2pmem

virtual report
virtual org

@initialize:python@
@@

seen = set()

def first_report(p):
	# Report a call once, however many allocations make it suspect.
	key = (p[0].file, p[0].line, p[0].column)
	if key in seen:
		return False
	seen.add(key)
	return True

def advice(fn):
	if fn in ("virt_to_phys", "__pa"):
		return "use pci_p2pmem_virt_to_bus() or a DMA mapping for the peer's address"
	return "use memcpy_toio()/memcpy_fromio()/memset_io()"

// A pointer assigned P2P memory earlier in the same function.
@in_func exists@
expression E, E1;
identifier fn = {memcpy, memmove, memset, virt_to_phys, __pa};
identifier fn2 = {memcpy, memmove};
position p0, p;
@@

E = pci_alloc_p2pmem@p0(...)
... when != E = E1
    when any
(
fn@p(<+... E ...+>, ...)
|
fn@p(<+... E ...+>)
|
fn2@p(E1, <+... E ...+>, ...)
)

// A structure field assigned P2P memory anywhere in the file.
@p2p_field@
expression x;
identifier f;
position p0;
@@

(
x->f = pci_alloc_p2pmem@p0(...)
|
x.f = pci_alloc_p2pmem@p0(...)
)

@field_use@
identifier p2p_field.f;
expression y, E1;
identifier fn = {memcpy, memmove, memset, virt_to_phys, __pa};
identifier fn2 = {memcpy, memmove};
position p != in_func.p;
@@

(
fn@p(<+... y->f ...+>, ...)
|
fn@p(<+... y->f ...+>)
|
fn2@p(E1, <+... y->f ...+>, ...)
|
fn@p(<+... y.f ...+>, ...)
|
fn@p(<+... y.f ...+>)
|
fn2@p(E1, <+... y.f ...+>, ...)
)

@script:python depends on report@
p0 << in_func.p0;
p << in_func.p;
fn << in_func.fn;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"P2P memory from pci_alloc_p2pmem() on line %s passed to %s(): %s" %
		(p0[0].line, fn, advice(fn)))

@script:python depends on report@
p0 << in_func.p0;
p << in_func.p;
fn << in_func.fn2;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"P2P memory from pci_alloc_p2pmem() on line %s passed to %s(): %s" %
		(p0[0].line, fn, advice(fn)))

@script:python depends on report@
p0 << p2p_field.p0;
f << p2p_field.f;
p << field_use.p;
fn << field_use.fn;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"field '%s' holds P2P memory (pci_alloc_p2pmem() on line %s) and is passed to %s(): %s" %
		(f, p0[0].line, fn, advice(fn)))

@script:python depends on report@
p0 << p2p_field.p0;
f << p2p_field.f;
p << field_use.p;
fn << field_use.fn2;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"field '%s' holds P2P memory (pci_alloc_p2pmem() on line %s) and is passed to %s(): %s" %
		(f, p0[0].line, fn, advice(fn)))

@script:python depends on org@
p << in_func.p;
@@

if first_report(p):
	coccilib.org.print_todo(p[0], "P2P memory passed to a CPU-memory call")

@script:python depends on org@
p << field_use.p;
@@

if first_report(p):
	coccilib.org.print_todo(p[0], "field holding P2P memory passed to a CPU-memory call")
