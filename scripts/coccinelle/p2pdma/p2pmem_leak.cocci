// SPDX-License-Identifier: GPL-2.0-only
///
/// P2P memory from pci_alloc_p2pmem() (or a list from
/// pci_p2pmem_alloc_sgl()) must be given back with pci_free_p2pmem()
/// (pci_p2pmem_free_sgl()) on every error path of the function that took
/// it.  A leaked allocation does more than waste BAR space: it holds a
/// reference on the provider, so unbinding the provider's driver (or
/// removing the device) waits for it forever.
///
/// Reported: a path from a successful allocation to an error return
/// (return -E..., NULL, ERR_PTR(), or a variable last assigned -E...) on
/// which the memory is neither freed nor handed over (stored elsewhere, or
/// returned).
///
// Confidence: Moderate
// Options: --no-includes --include-headers
//
// A file can only match if it matches every "Grep:" extended regexp:
// tools/testing/p2pdma/check.sh greps the tree with them, then runs spatch
// on what is left.
// Grep: pci_alloc_p2pmem|pci_p2pmem_alloc_sgl

virtual report
virtual org

@leak exists@
expression x, e, e1;
idexpression ret;
identifier alloc = {pci_alloc_p2pmem, pci_p2pmem_alloc_sgl};
statement S;
constant C;
position p0, p;
@@

x = alloc@p0(...);
... when != x = e
(
if (x == NULL || ...) S
|
if (!x || ...) S
)
... when != pci_free_p2pmem(e, x, e1)
    when != pci_p2pmem_free_sgl(e, x)
    when != x = e
    when != e = x
    when != e = (void *)x
    when != return x;
(
return@p -C;
|
return@p NULL;
|
return@p ERR_PTR(...);
|
ret = -C;
... when != pci_free_p2pmem(e, x, e1)
    when != pci_p2pmem_free_sgl(e, x)
    when != x = e
    when != e = x
    when != e = (void *)x
    when != ret = e
return@p ret;
)

// The nvme style: use the memory under "if (x) { ... }".
@leak_inside exists@
expression x, e, e1;
identifier alloc = {pci_alloc_p2pmem, pci_p2pmem_alloc_sgl};
constant C;
position p0 != leak.p0, p;
@@

x = alloc@p0(...);
... when != x = e
if (x) {
... when != pci_free_p2pmem(e, x, e1)
    when != pci_p2pmem_free_sgl(e, x)
    when != x = e
    when != e = x
    when != e = (void *)x
    when != return x;
(
return@p -C;
|
return@p NULL;
|
return@p ERR_PTR(...);
)
...
}

@script:python depends on report@
p0 << leak.p0;
p << leak.p;
alloc << leak.alloc;
@@

coccilib.report.print_report(p[0],
	"error path leaks P2P memory from %s() on line %s: free it with %s()" %
	(alloc, p0[0].line,
	 "pci_free_p2pmem" if alloc == "pci_alloc_p2pmem" else "pci_p2pmem_free_sgl"))

@script:python depends on report@
p0 << leak_inside.p0;
p << leak_inside.p;
alloc << leak_inside.alloc;
@@

coccilib.report.print_report(p[0],
	"error path leaks P2P memory from %s() on line %s: free it with %s()" %
	(alloc, p0[0].line,
	 "pci_free_p2pmem" if alloc == "pci_alloc_p2pmem" else "pci_p2pmem_free_sgl"))

@script:python depends on org@
p << leak.p;
@@

coccilib.org.print_todo(p[0], "error path leaks P2P memory")

@script:python depends on org@
p << leak_inside.p;
@@

coccilib.org.print_todo(p[0], "error path leaks P2P memory")
