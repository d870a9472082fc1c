// SPDX-License-Identifier: GPL-2.0-only
///
/// A scatterlist that may hold P2P pages must be mapped with
/// dma_map_sgtable() (ib_dma_map_sgtable_attrs() for RDMA): when the device
/// cannot reach the provider the mapping fails with -EREMOTEIO, and the
/// caller falls back to host memory or fails the request with a target
/// error.  dma_map_sg() and dma_map_sg_attrs() return 0 for every failure,
/// so the caller cannot tell "peer out of reach" from "out of IOVA space",
/// and a test of their result against -EREMOTEIO is never true.
///
/// Reported: dma_map_sg*() in a function that allocates P2P memory
/// (pci_alloc_p2pmem(), pci_p2pmem_alloc_sgl()) or looks for P2P pages
/// (is_pci_p2pdma_page()); dma_map_sg*() in a file that accepts P2P pages
/// from elsewhere (a block queue with BLK_FEAT_PCI_P2PDMA, pages pinned with
/// FOLL_PCI_P2PDMA, nvme's supports_pci_p2pdma); and a dma_map_sg*() result
/// compared with -EREMOTEIO.
///
// Confidence: Moderate
// Options: --no-includes --include-headers
//
// A file can only match if it matches every "Grep:" extended regexp:
// tools/testing/p2pdma/check.sh greps the tree with them, then runs spatch
// on what is left.
// Grep: dma_map_sg
// Grep: pci_alloc_p2pmem|pci_p2pmem_alloc_sgl|is_pci_p2pdma_page|BLK_FEAT_PCI_P2PDMA|FOLL_PCI_P2PDMA|supports_pci_p2pdma|EREMOTEIO

virtual report
virtual org

@initialize:python@
@@

seen = set()

def first_report(p):
	key = (p[0].file, p[0].line, p[0].column)
	if key in seen:
		return False
	seen.add(key)
	return True

// The result of dma_map_sg*() tested for -EREMOTEIO: never true.
@eremoteio exists@
expression E, E1;
identifier map = {dma_map_sg, dma_map_sg_attrs, ib_dma_map_sg, ib_dma_map_sg_attrs};
binary operator cmp = {==, !=};
position p, p1;
@@

E = map@p(...)
... when != E = E1
E@p1 cmp -EREMOTEIO

// P2P memory allocated, then mapped, in one function.
@allocated exists@
expression E;
identifier alloc = {pci_alloc_p2pmem, pci_p2pmem_alloc_sgl};
identifier map = {dma_map_sg, dma_map_sg_attrs, ib_dma_map_sg, ib_dma_map_sg_attrs};
position p0, p;
@@

E = alloc@p0(...)
... when any
map@p(...)

// A function that looks for P2P pages, and maps a list with dma_map_sg*().
@aware@
identifier f;
position p0;
@@

f(...)
{
<+...
is_pci_p2pdma_page@p0(...)
...+>
}

@aware_map@
identifier aware.f;
identifier map = {dma_map_sg, dma_map_sg_attrs, ib_dma_map_sg, ib_dma_map_sg_attrs};
position p != allocated.p;
@@

f(...)
{
<+...
map@p(...)
...+>
}

// A file whose driver accepts P2P pages it did not allocate.
@accepts@
identifier marker = {BLK_FEAT_PCI_P2PDMA, FOLL_PCI_P2PDMA};
position p0;
@@

marker@p0

@accepts_ops@
identifier ops;
expression E;
type T;
position p0;
@@

T ops = { ..., .supports_pci_p2pdma = E@p0, ... };

@accepts_map depends on accepts || accepts_ops@
identifier map = {dma_map_sg, dma_map_sg_attrs, ib_dma_map_sg, ib_dma_map_sg_attrs};
position p != {allocated.p, aware_map.p};
@@

map@p(...)

@script:python depends on report@
p << eremoteio.p1;
map << eremoteio.map;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"%s() returns 0 on failure, never -EREMOTEIO: map with dma_map_sgtable()" % map)

@script:python depends on report@
p0 << allocated.p0;
alloc << allocated.alloc;
p << allocated.p;
map << allocated.map;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"%s() after %s() on line %s: a list with P2P pages needs dma_map_sgtable() to see -EREMOTEIO" %
		(map, alloc, p0[0].line))

@script:python depends on report@
p0 << aware.p0;
p << aware_map.p;
map << aware_map.map;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"%s() in a function that handles P2P pages (is_pci_p2pdma_page() on line %s): use dma_map_sgtable() to see -EREMOTEIO" %
		(map, p0[0].line))

@script:python depends on report@
p0 << accepts.p0;
marker << accepts.marker;
p << accepts_map.p;
map << accepts_map.map;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"%s() in a file that accepts P2P pages (%s on line %s): use dma_map_sgtable() to see -EREMOTEIO" %
		(map, marker, p0[0].line))

@script:python depends on report@
p0 << accepts_ops.p0;
p << accepts_map.p;
map << accepts_map.map;
@@

if first_report(p):
	coccilib.report.print_report(p[0],
		"%s() in a file that accepts P2P pages (.supports_pci_p2pdma on line %s): use dma_map_sgtable() to see -EREMOTEIO" %
		(map, p0[0].line))

@script:python depends on org@
p << allocated.p;
@@

if first_report(p):
	coccilib.org.print_todo(p[0], "dma_map_sg*() on P2P memory")

@script:python depends on org@
p << aware_map.p;
@@

if first_report(p):
	coccilib.org.print_todo(p[0], "dma_map_sg*() on P2P memory")

@script:python depends on org@
p << accepts_map.p;
@@

if first_report(p):
	coccilib.org.print_todo(p[0], "dma_map_sg*() on P2P memory")

@script:python depends on org@
p << eremoteio.p1;
@@

if first_report(p):
	coccilib.org.print_todo(p[0], "dma_map_sg*() result compared with -EREMOTEIO")
