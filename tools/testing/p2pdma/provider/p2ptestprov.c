// SPDX-License-Identifier: GPL-2.0
/*
 * p2ptestprov - a P2P memory provider of several GiB for the tests
 *
 * QEMU's ivshmem-plain device exposes its memory backend, RAM on the host,
 * as BAR 2, as large as the backend (a power of two).  This module offers
 * that BAR as P2P memory and publishes it, so that the tests have a
 * provider whose BAR is large and aligned enough for 1 GiB folios, which
 * no emulated NVMe CMB is.
 *
 * At probe it also says how much memory the struct pages of the BAR take:
 * the distinct pages that back the memmap's virtual range (pages that the
 * vmemmap optimisation of compound pages maps many times count once) plus
 * the page tables of its base-page part, together and apart, and how long registration took
 * the probing thread (its scheduler runtime: a wait, for an RCU grace
 * period in memory hotplug's lock, does not count).  The bigbar_1g
 * scenario reads those lines.
 *
 * With base_mib=N the first N MiB of the BAR are offered as a second range
 * with a struct page per page (pci_p2pdma_add_resource_max_folio()), so
 * that the pool mixes folio sizes.  With folio_kib=K the rest of the BAR
 * gets folios of at most K KiB (2048: 2 MiB folios instead of 1 GiB).
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/xarray.h>
#include <asm/pgtable.h>

#define P2PTESTPROV_BAR 2

#ifndef P2PTESTPROV_HAVE_MAX_FOLIO
/* Stock 6.12, for make bench: every range in base pages anyway. */
static int pci_p2pdma_add_resource_max_folio(struct pci_dev *pdev, int bar,
					     size_t size, u64 offset,
					     size_t max_folio)
{
	return pci_p2pdma_add_resource(pdev, bar, size, offset);
}
#endif

static unsigned int base_mib;
module_param(base_mib, uint, 0444);
MODULE_PARM_DESC(base_mib, "MiB at the start of the BAR in base pages");

static unsigned int folio_kib;
module_param(folio_kib, uint, 0444);
MODULE_PARM_DESC(folio_kib, "Largest folio in KiB, 0 for any");

static unsigned int settle_ms;
module_param(settle_ms, uint, 0444);
MODULE_PARM_DESC(settle_ms, "sleep before timing registration (make bench)");

/*
 * For make bench, whose boots count instructions: let the work the boot
 * left (kworkers, RCU callbacks) finish, and start the timing just after a
 * timer tick, so that the count repeats from one boot to the next.
 */
static void p2ptestprov_settle(void)
{
	unsigned long j;

	if (!settle_ms)
		return;
	msleep(settle_ms);
	j = jiffies;
	while (!time_after(jiffies, j))
		cpu_relax();
}

/*
 * The scheduler runtime of the current thread, brought up to this instant:
 * under make bench's -icount, the instructions the thread has executed.
 * Registration sleeps in synchronize_rcu() (mem_hotplug_begin()), and a
 * grace period ends at whichever timer tick the boot's RCU state gives, so
 * the clock, which counts the sleep, moves by a tick from boot to boot.
 */
static u64 p2ptestprov_thread_ns(void)
{
	unsigned long flags;
	u64 ns;

	local_irq_save(flags);
	ns = current->se.sum_exec_runtime + local_clock() -
	     current->se.exec_start;
	local_irq_restore(flags);
	return ns;
}

/*
 * Bytes of memory that back the struct pages of [@start_pfn, @end_pfn):
 * the pages that hold them in @bytes, and in @tables the page-table pages
 * that map the base-page part of the memmap.
 */
static int p2ptestprov_memmap_bytes(unsigned long start_pfn,
				    unsigned long end_pfn, u64 *bytes,
				    u64 *tables)
{
	unsigned long va = (unsigned long)pfn_to_page(start_pfn);
	unsigned long end = (unsigned long)pfn_to_page(end_pfn);
	unsigned long table = ULONG_MAX;
	struct xarray seen;
	int ret = 0;

	*bytes = 0;
	*tables = 0;
	xa_init(&seen);
	while (va < end) {
		unsigned int level;
		unsigned long size, pfn;
		pte_t *pte = lookup_address(va, &level);

		if (!pte || !pte_present(*pte)) {
			ret = -EFAULT;
			break;
		}
		if (level == PG_LEVEL_4K) {
			size = PAGE_SIZE;
			pfn = pte_pfn(*pte);
			/* A page-table page per PMD of base-page memmap. */
			if (va >> PMD_SHIFT != table) {
				table = va >> PMD_SHIFT;
				*tables += PAGE_SIZE;
			}
		} else if (level == PG_LEVEL_2M) {
			size = PMD_SIZE;
			pfn = pmd_pfn(*(pmd_t *)pte);
		} else {
			ret = -EOPNOTSUPP;
			break;
		}
		if (!xa_load(&seen, pfn)) {
			ret = xa_err(xa_store(&seen, pfn, xa_mk_value(0),
					      GFP_KERNEL));
			if (ret)
				break;
			*bytes += size;
		}
		va = ALIGN_DOWN(va, size) + size;
		cond_resched();
	}
	xa_destroy(&seen);
	return ret;
}

/*
 * The folio range goes first: the pool tries the range added last first,
 * so small mappings come from the base-page range while it has room.
 */
static int p2ptestprov_add(struct pci_dev *pdev, u64 base)
{
	size_t max_folio = folio_kib ? (size_t)folio_kib << 10 : SIZE_MAX;
	int ret = 0;

	if (base < pci_resource_len(pdev, P2PTESTPROV_BAR))
		ret = pci_p2pdma_add_resource_max_folio(pdev, P2PTESTPROV_BAR,
							0, base, max_folio);
	if (!ret && base)
		ret = pci_p2pdma_add_resource_max_folio(pdev, P2PTESTPROV_BAR,
							base, 0, PAGE_SIZE);
	if (ret)
		return dev_err_probe(&pdev->dev, ret,
				     "cannot offer BAR %d as P2P memory\n",
				     P2PTESTPROV_BAR);
	return 0;
}

static int p2ptestprov_probe(struct pci_dev *pdev,
			     const struct pci_device_id *id)
{
	resource_size_t start = pci_resource_start(pdev, P2PTESTPROV_BAR);
	resource_size_t len = pci_resource_len(pdev, P2PTESTPROV_BAR);
	u64 memmap, tables, t0, t1;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	p2ptestprov_settle();
	t0 = p2ptestprov_thread_ns();
	ret = p2ptestprov_add(pdev, (u64)base_mib << 20);
	t1 = p2ptestprov_thread_ns();
	if (ret)
		return ret;
	pci_p2pmem_publish(pdev, true);
	dev_info(&pdev->dev, "pci_p2pdma_add_resource: %llu ns\n", t1 - t0);

	ret = p2ptestprov_memmap_bytes(PHYS_PFN(start), PHYS_PFN(start + len),
				       &memmap, &tables);
	if (ret) {
		dev_warn(&pdev->dev, "cannot measure the memmap: %d\n", ret);
		return 0;
	}
	dev_info(&pdev->dev,
		 "memmap of %llu MiB of BAR: %llu bytes, %llu per GiB\n",
		 (u64)len >> 20, memmap + tables,
		 div64_u64((memmap + tables) << 30, len));
	dev_info(&pdev->dev,
		 "memmap of %llu MiB of BAR: struct pages %llu per GiB, page tables %llu per GiB\n",
		 (u64)len >> 20, div64_u64(memmap << 30, len),
		 div64_u64(tables << 30, len));
	return 0;
}

static const struct pci_device_id p2ptestprov_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) }, /* ivshmem */
	{}
};
MODULE_DEVICE_TABLE(pci, p2ptestprov_ids);

static struct pci_driver p2ptestprov_driver = {
	.name = "p2ptestprov",
	.id_table = p2ptestprov_ids,
	.probe = p2ptestprov_probe,
};
module_pci_driver(p2ptestprov_driver);

MODULE_DESCRIPTION("P2P memory provider on QEMU's ivshmem-plain, for tests");
MODULE_LICENSE("GPL");
