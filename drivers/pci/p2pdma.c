// SPDX-License-Identifier: GPL-2.0
/*
 * PCI peer-to-peer DMA: providers and their memory.
 *
 * A provider registers BAR ranges.  Each range gets ZONE_DEVICE folios, as
 * large as its alignment allows, whose pagemap records the provider and the
 * BAR's bus offset, and joins one genalloc pool per provider.  Every
 * allocation, and every folio mapped into user space, holds a count on the
 * provider; removal kills the count, tears down user mappings and waits
 * for kernel users before the pages go away.
 */
#define pr_fmt(fmt) "pci_p2pdma: " fmt

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/string_helpers.h>
#include <linux/vmalloc.h>

#include "p2pdma.h"

#define CREATE_TRACE_POINTS
#include <trace/events/pci_p2pdma.h>

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "pci_p2pdma."

static bool base_pages;
module_param(base_pages, bool, 0644);
MODULE_PARM_DESC(base_pages,
		 "New ranges get a struct page per page, no folios");

/* Serialises creation and growth of providers. */
static DEFINE_MUTEX(p2pdma_setup_lock);

static void p2pdma_users_released(struct percpu_ref *ref)
{
	struct pci_p2pdma *prov = container_of(ref, struct pci_p2pdma, users);

	complete(&prov->users_gone);
}

/**
 * p2pdma_user_page_free - take back a folio whose last user reference is gone
 * @page: head page of a P2P folio that was mapped into user space
 *
 * Called by the core mm (dev_pagemap_ops.page_free), possibly in atomic
 * context, when the folio's count drops to zero.  The folio goes straight
 * back to the pool, as RAM goes back to the page allocator, so the memory
 * is available again when munmap() or exit() returns.  No grace period is
 * needed: a lockless get_user_pages_fast() that read an old page table
 * entry may still take a reference on the folio once it is back in the
 * pool (its count is one there), but it rechecks the entry after taking
 * it, finds it gone and drops the reference again, as with any freed page.
 *
 * Every folio in the pool has a count of one, as memremap_pages() leaves
 * it: kernel users of pci_alloc_p2pmem() may get_page() it (a bio does)
 * and a user mapping takes over that count.  So the count is set back to
 * one before the folio is in the pool, where another CPU may allocate it
 * at once; the core mm touches neither the folio nor its pagemap after
 * this callback for P2PDMA pages.
 */
void p2pdma_user_page_free(struct page *page)
{
	struct p2pdma_range *range = to_p2pdma_range(page_pgmap(page));
	/* The folio holds a count on the provider, so it is still there. */
	struct pci_p2pdma *prov =
		rcu_dereference_protected(range->provider->p2pdma, 1);
	size_t size = folio_size(page_folio(page));

	set_page_count(page, 1);
	gen_pool_free(prov->pool, (unsigned long)page_address(page), size);
	/* Maybe the last count: the provider may go away from here on. */
	percpu_ref_put(&prov->users);
}

static const struct dev_pagemap_ops p2pdma_page_ops = {
	.page_free = p2pdma_user_page_free,
};

/*
 * The bodies of p2pdma_get_live() and p2pdma_pool_alloc(), inlined into
 * pci_alloc_p2pmem(): the two calls were 27 of the 383 instructions of a
 * driver's alloc+free pair (make bench, one CPU).
 */
static __always_inline struct pci_p2pdma *
__p2pdma_get_live(struct pci_dev *pdev, unsigned long nr)
{
	struct pci_p2pdma *prov;

	rcu_read_lock();
	prov = rcu_dereference(pdev->p2pdma);
	if (prov && percpu_ref_tryget_live_rcu(&prov->users)) {
		if (nr > 1)
			percpu_ref_get_many(&prov->users, nr - 1);
	} else {
		prov = NULL;
	}
	rcu_read_unlock();
	return prov;
}

/*
 * The pool could not serve @size bytes aligned to @align: give it the
 * memory cleared ahead and try again.
 */
static noinline void *p2pdma_pool_alloc_slow(struct pci_p2pdma *prov,
					     size_t size, size_t align)
{
	struct genpool_data_align data = { .align = align };
	void *addr = NULL;

	if (p2pdma_clean_give_back(prov))
		addr = (void *)gen_pool_alloc_algo(prov->pool, size,
						   gen_pool_first_fit_align,
						   &data);
	if (!addr)
		trace_pci_p2pdma_alloc_fail(prov->pdev, size,
					    p2pdma_free_bytes(prov));
	return addr;
}

static __always_inline void *__p2pdma_pool_alloc(struct pci_p2pdma *prov,
						 size_t size)
{
	void *addr = (void *)gen_pool_alloc(prov->pool, size);

	if (unlikely(!addr))
		addr = p2pdma_pool_alloc_slow(prov, size, PAGE_SIZE);
	return addr;
}

/**
 * p2pdma_get_live - count @nr users on a provider that is not going away
 * @pdev: the provider
 * @nr: number of counts to take
 *
 * Return: the provider's state, or NULL if @pdev has no P2P memory or is
 * being removed.
 */
struct pci_p2pdma *p2pdma_get_live(struct pci_dev *pdev, unsigned long nr)
{
	return __p2pdma_get_live(pdev, nr);
}

/**
 * p2pdma_pool_alloc - carve @size bytes out of a provider's pool
 * @prov: provider state, with the caller's counts already taken
 * @size: bytes wanted
 *
 * Return: kernel address of the memory or NULL.
 */
void *p2pdma_pool_alloc(struct pci_p2pdma *prov, size_t size)
{
	return __p2pdma_pool_alloc(prov, size);
}

/**
 * p2pdma_pool_alloc_aligned - carve @size bytes aligned to @align
 * @prov: provider state, with the caller's counts already taken
 * @size: bytes wanted
 * @align: alignment of the memory, a power of two
 *
 * Return: kernel address of the memory or NULL.
 */
void *p2pdma_pool_alloc_aligned(struct pci_p2pdma *prov, size_t size,
				size_t align)
{
	struct genpool_data_align data = { .align = align };
	void *addr;

	if (align <= PAGE_SIZE)
		return p2pdma_pool_alloc(prov, size);
	addr = (void *)gen_pool_alloc_algo(prov->pool, size,
					   gen_pool_first_fit_align, &data);
	if (unlikely(!addr))
		addr = p2pdma_pool_alloc_slow(prov, size, align);
	return addr;
}

static void p2pdma_wait_for_users(struct pci_p2pdma *prov)
{
	percpu_ref_kill(&prov->users);
	while (!wait_for_completion_timeout(&prov->users_gone, 10 * HZ))
		pci_warn(prov->pdev,
			 "removal waits for drivers to free their P2P memory (%zu bytes still allocated)\n",
			 gen_pool_size(prov->pool) - p2pdma_free_bytes(prov));
}

static void p2pdma_release_ranges(struct pci_p2pdma *prov)
{
	struct p2pdma_range *range, *tmp;

	list_for_each_entry_safe(range, tmp, &prov->ranges, node) {
		memunmap_pages(&range->pgmap);
		list_del(&range->node);
		bitmap_free(range->uncleared);
		kfree(range);
	}
}

/*
 * Undo everything pci_p2pdma_add_resource() did, in the order that keeps
 * every user safe: no new users, no user mappings, no kernel users, no
 * pages, no state.
 */
static void p2pdma_teardown(void *provider)
{
	struct pci_dev *pdev = provider;
	struct pci_p2pdma *prov;

	/* Only the teardown changes the pointer from here on. */
	prov = rcu_dereference_protected(pdev->p2pdma, 1);
	WRITE_ONCE(prov->published, false);
	trace_pci_p2pdma_provider_remove(pdev, gen_pool_size(prov->pool));
	/* No new user mappings once the group is gone ... */
	device_remove_group(&pdev->dev, &p2pmem_group);
	/* ... and the existing ones get SIGBUS from here on. */
	p2pdma_revoke_user_maps(prov);
	p2pdma_wait_for_users(prov);
	/* The cleaner writes to the memory: stop it before it goes. */
	p2pdma_clean_hold(prov);
	p2pdma_release_ranges(prov);

	RCU_INIT_POINTER(pdev->p2pdma, NULL);
	synchronize_rcu();
	p2pdma_topology_changed();
	xa_destroy(&prov->verdicts);
	percpu_ref_exit(&prov->users);
	gen_pool_destroy(prov->pool);
	/* VMAs that outlive the provider hold their own count on it. */
	fput(prov->user_file);
	kfree(prov);
}

static struct pci_p2pdma *p2pdma_create(struct pci_dev *pdev)
{
	int node = dev_to_node(&pdev->dev);
	struct pci_p2pdma *prov;
	int ret;

	prov = kzalloc_node(sizeof(*prov), GFP_KERNEL, node);
	if (!prov)
		return ERR_PTR(-ENOMEM);

	prov->pdev = pdev;
	INIT_LIST_HEAD(&prov->ranges);
	prov->folio_shift = PAGE_SHIFT;
	init_completion(&prov->users_gone);
	p2pdma_clean_init(prov);
	/* Filled from the DMA map path, which may run in any context. */
	xa_init_flags(&prov->verdicts, XA_FLAGS_LOCK_IRQ);

	ret = -ENOMEM;
	/* Page granularity: user space maps what the pool hands out. */
	prov->pool = gen_pool_create(PAGE_SHIFT, node);
	if (!prov->pool)
		goto err_free;
	ret = percpu_ref_init(&prov->users, p2pdma_users_released, 0,
			      GFP_KERNEL);
	if (ret)
		goto err_pool;
	ret = p2pdma_user_file_create(prov);
	if (ret)
		goto err_users;
	/* The group's files find the state through the pointer: set it first. */
	rcu_assign_pointer(pdev->p2pdma, prov);
	ret = device_add_group(&pdev->dev, &p2pmem_group);
	if (ret)
		goto err_ptr;

	ret = devm_add_action_or_reset(&pdev->dev, p2pdma_teardown, pdev);
	if (ret)
		return ERR_PTR(ret);
	return prov;

err_ptr:
	RCU_INIT_POINTER(pdev->p2pdma, NULL);
	synchronize_rcu();
	fput(prov->user_file);
err_users:
	percpu_ref_exit(&prov->users);
err_pool:
	gen_pool_destroy(prov->pool);
err_free:
	kfree(prov);
	return ERR_PTR(ret);
}

static int p2pdma_check_range(struct pci_dev *pdev, int bar, size_t *size,
			      u64 offset)
{
	resource_size_t len;

	if (bar < 0 || bar >= PCI_STD_NUM_BARS) {
		pci_err(pdev, "P2P memory: BAR %d does not exist\n", bar);
		return -EINVAL;
	}
	len = pci_resource_len(pdev, bar);
	if (!len || !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM)) {
		pci_err(pdev, "P2P memory: BAR %d is not a memory BAR\n", bar);
		return -EINVAL;
	}
	if (offset >= len) {
		pci_err(pdev,
			"P2P memory: offset %#llx is past the end of BAR %d (%pa bytes)\n",
			offset, bar, &len);
		return -EINVAL;
	}
	if (!*size)
		*size = len - offset;
	if (*size > len - offset) {
		pci_err(pdev,
			"P2P memory: %zu bytes at offset %#llx do not fit in BAR %d (%pa bytes)\n",
			*size, offset, bar, &len);
		return -EINVAL;
	}
	/*
	 * memremap_pages() maps struct pages in units of this size, a
	 * multiple of the page size.
	 */
	if (!IS_ALIGNED(pci_resource_start(pdev, bar) + offset,
			memremap_compat_align()) ||
	    !IS_ALIGNED(*size, memremap_compat_align())) {
		pci_err(pdev,
			"P2P memory: range at offset %#llx, %zu bytes, of BAR %d is not aligned to %lu bytes, the unit of struct pages for device memory\n",
			offset, *size, bar, memremap_compat_align());
		return -EINVAL;
	}
	return 0;
}

/**
 * p2pdma_folio_order - the folio order of a range
 * @start: CPU physical address of the range
 * @size: its length in bytes
 * @max_order: the largest order the provider accepts
 * @why: set to the reason when the answer is 0, else left alone
 *
 * The largest order up to @max_order that the range's alignment allows and
 * that page tables map with one entry, so that user mappings can be huge,
 * and that the vmemmap optimisation for compound device pages shrinks to
 * two pages of struct pages a folio.
 *
 * Return: the order, 0 for base pages.
 */
VISIBLE_IF_KUNIT unsigned int p2pdma_folio_order(phys_addr_t start, size_t size,
						 unsigned int max_order,
						 const char **why)
{
	if (!IS_ENABLED(CONFIG_ARCH_WANT_OPTIMIZE_DAX_VMEMMAP)) {
		*why = "the architecture has no compact struct pages for device folios";
		return 0;
	}
#ifdef CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD
	if (max_order >= PUD_ORDER && arch_vmap_pud_supported(PAGE_KERNEL) &&
	    IS_ALIGNED(start | size, PUD_SIZE) &&
	    size >= P2PDMA_MIN_PUD_FOLIOS * PUD_SIZE)
		return PUD_ORDER;
#endif
	if (max_order < PMD_ORDER) {
		*why = "the provider asked for folios smaller than a huge page";
		return 0;
	}
	if (IS_ALIGNED(start | size, PMD_SIZE))
		return PMD_ORDER;
	*why = "the range is not aligned to the size of a huge page";
	return 0;
}

static int p2pdma_add_range(struct pci_p2pdma *prov, int bar, size_t size,
			    u64 offset, unsigned int max_order)
{
	struct pci_dev *pdev = prov->pdev;
	resource_size_t bar_start = pci_resource_start(pdev, bar);
	int node = dev_to_node(&pdev->dev);
	const char *why = NULL;
	struct p2pdma_range *range;
	unsigned int order;
	void *addr;
	int ret;

	range = kzalloc(sizeof(*range), GFP_KERNEL);
	if (!range)
		return -ENOMEM;

	range->provider = pdev;
	range->bus_offset = pci_bus_address(pdev, bar) - bar_start;
	raw_spin_lock_init(&range->memo.lock);
	seqcount_raw_spinlock_init(&range->memo.seq, &range->memo.lock);
	range->pgmap.type = MEMORY_DEVICE_PCI_P2PDMA;
	range->pgmap.ops = &p2pdma_page_ops;
	range->pgmap.nr_range = 1;
	range->pgmap.range.start = bar_start + offset;
	range->pgmap.range.end = range->pgmap.range.start + size - 1;
	if (READ_ONCE(base_pages)) {
		order = 0;
		why = "pci_p2pdma.base_pages is set";
	} else {
		order = p2pdma_folio_order(range->pgmap.range.start, size,
					   max_order, &why);
	}
	range->pgmap.vmemmap_shift = order;
	ret = p2pdma_clean_init_range(range);
	if (ret)
		goto err_range;

	addr = memremap_pages(&range->pgmap, node);
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		pci_err(pdev,
			"P2P memory: no struct pages for BAR %d range %pr: %d\n",
			bar, &range->pgmap.range, ret);
		goto err_range;
	}

	/*
	 * Before the memory joins the pool: a user mapping takes its memory
	 * in units of this size, and must not be handed a larger folio.
	 * Read locklessly; only growth is serialised.
	 */
	WRITE_ONCE(prov->folio_shift,
		   max(prov->folio_shift, order + PAGE_SHIFT));
	ret = gen_pool_add_owner(prov->pool, (unsigned long)addr,
				 range->pgmap.range.start, size, node, range);
	if (ret) {
		memunmap_pages(&range->pgmap);
		goto err_range;
	}
	/* The cleaner walks the list without the lock. */
	list_add_tail_rcu(&range->node, &prov->ranges);
	pci_info(pdev,
		 "P2P memory: %zu bytes from BAR %d at offset %#llx, in folios of %lu KiB\n",
		 size, bar, offset, (PAGE_SIZE << order) >> 10);
	if (why)
		pci_info(pdev,
			 "P2P memory: a struct page per base page for BAR %d at offset %#llx: %s\n",
			 bar, offset, why);
	/* Read locklessly by orchestrators; only growth is serialised. */
	WRITE_ONCE(prov->bus_addr_max,
		   max(prov->bus_addr_max,
		       range->pgmap.range.end + range->bus_offset));
	return 0;

err_range:
	bitmap_free(range->uncleared);
	kfree(range);
	return ret;
}

/**
 * pci_p2pdma_add_resource_max_folio - offer part of a BAR, in limited folios
 * @pdev: the provider
 * @bar: index of a memory BAR
 * @size: bytes to offer; 0 offers the rest of the BAR from @offset
 * @offset: where the range starts within the BAR
 * @max_folio: the largest folio the range may be made of, in bytes,
 *	rounded down to %PUD_SIZE, %PMD_SIZE or %PAGE_SIZE: %PAGE_SIZE for a
 *	struct page per base page, %PMD_SIZE for no folio larger than a PMD
 *	(2 MiB on x86-64), %SIZE_MAX for the largest the range allows
 *
 * As pci_p2pdma_add_resource(), for a provider that wants to limit the
 * folio size.  A user mapping takes whole folios from the pool, so a small
 * BAR whose memory is mostly used by its own driver may prefer base pages
 * to lending out 2 MiB for each mmap() of p2pmem/allocate; a larger folio
 * saves memory for struct pages and page faults.  The range gets the
 * largest folios that its alignment and @max_folio allow.
 *
 * Return: as pci_p2pdma_add_resource(); -EINVAL also when @max_folio is
 * smaller than a page, with nothing changed.
 */
int pci_p2pdma_add_resource_max_folio(struct pci_dev *pdev, int bar,
				      size_t size, u64 offset, size_t max_folio)
{
	struct pci_p2pdma *prov;
	bool created = false;
	int ret;

	if (max_folio < PAGE_SIZE) {
		pci_err(pdev,
			"P2P memory: a folio of %zu bytes is smaller than a page\n",
			max_folio);
		return -EINVAL;
	}
	ret = p2pdma_check_range(pdev, bar, &size, offset);
	if (ret)
		return ret;

	mutex_lock(&p2pdma_setup_lock);
	prov = rcu_dereference_protected(pdev->p2pdma,
					 lockdep_is_held(&p2pdma_setup_lock));
	if (!prov) {
		prov = p2pdma_create(pdev);
		if (IS_ERR(prov)) {
			ret = PTR_ERR(prov);
			goto out;
		}
		created = true;
	}

	ret = p2pdma_add_range(prov, bar, size, offset,
			       ilog2(max_folio) - PAGE_SHIFT);
	if (ret) {
		if (created)
			devm_release_action(&pdev->dev, p2pdma_teardown, pdev);
		goto out;
	}
	trace_pci_p2pdma_provider_add(pdev, bar, size, offset);
out:
	mutex_unlock(&p2pdma_setup_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(pci_p2pdma_add_resource_max_folio);

/**
 * pci_p2pdma_add_resource - offer part of a BAR as P2P memory
 * @pdev: the provider
 * @bar: index of a memory BAR
 * @size: bytes to offer; 0 offers the rest of the BAR from @offset
 * @offset: where the range starts within the BAR
 *
 * The range gets struct pages and joins the provider's allocator.  A device
 * may offer several ranges, from one BAR or several.  Everything is undone
 * when the provider's driver unbinds.  The memory is not offered to other
 * drivers until pci_p2pmem_publish().  The pages are grouped in the largest
 * folios the range's alignment allows (see
 * pci_p2pdma_add_resource_max_folio() to limit them).
 *
 * Return: 0 on success; -EINVAL for a BAR that is not memory or a range that
 * is outside the BAR or not aligned to memremap_compat_align() (2 MiB on
 * x86-64), with nothing changed; another negative errno if the pages cannot
 * be set up.
 */
int pci_p2pdma_add_resource(struct pci_dev *pdev, int bar, size_t size,
			    u64 offset)
{
	return pci_p2pdma_add_resource_max_folio(pdev, bar, size, offset,
						 SIZE_MAX);
}
EXPORT_SYMBOL_GPL(pci_p2pdma_add_resource);

/**
 * pci_alloc_p2pmem - allocate P2P memory from a provider
 * @pdev: the provider
 * @size: bytes wanted (rounded up to whole pages)
 *
 * The allocation keeps the provider's memory in place until it is freed
 * with pci_free_p2pmem(); removal of the provider waits for that.  Memory
 * cleared ahead for user mappings comes back to the pool when the pool is
 * short; the PMD-sized unit being cleared at that moment does not.  Does
 * not sleep.
 *
 * Return: kernel address of the memory, or NULL if @pdev has no P2P memory,
 * is going away, or has not enough left.
 */
void *pci_alloc_p2pmem(struct pci_dev *pdev, size_t size)
{
	struct pci_p2pdma *prov = __p2pdma_get_live(pdev, 1);
	void *addr;

	if (unlikely(!prov))
		return NULL;
	addr = __p2pdma_pool_alloc(prov, size);
	if (unlikely(!addr))
		percpu_ref_put(&prov->users);
	return addr;
}
EXPORT_SYMBOL_GPL(pci_alloc_p2pmem);

/**
 * pci_free_p2pmem - free memory from pci_alloc_p2pmem()
 * @pdev: the provider it came from
 * @addr: address pci_alloc_p2pmem() returned
 * @size: size that was asked for
 */
void pci_free_p2pmem(struct pci_dev *pdev, void *addr, size_t size)
{
	/* The allocation holds a count, so the state cannot go away. */
	struct pci_p2pdma *prov = rcu_dereference_protected(pdev->p2pdma, 1);

	gen_pool_free(prov->pool, (unsigned long)addr, size);
	percpu_ref_put(&prov->users);
}
EXPORT_SYMBOL_GPL(pci_free_p2pmem);

/**
 * pci_p2pmem_virt_to_bus - PCI bus address of P2P memory
 * @pdev: the provider
 * @addr: address inside memory allocated from @pdev
 *
 * This is the address a peer puts on the bus to reach @addr when the two
 * devices talk by bus address.
 *
 * Return: the bus address, or 0 if @addr is not P2P memory of @pdev.
 */
pci_bus_addr_t pci_p2pmem_virt_to_bus(struct pci_dev *pdev, void *addr)
{
	struct p2pdma_range *range;
	struct pci_p2pdma *prov;
	phys_addr_t phys;

	if (!addr)
		return 0;
	/*
	 * Ask the pool rather than virt_addr_valid(): BAR memory is not
	 * memblock memory, and some architectures only accept that.
	 */
	rcu_read_lock();
	prov = rcu_dereference(pdev->p2pdma);
	phys = prov ? gen_pool_virt_to_phys(prov->pool, (unsigned long)addr) :
		      (phys_addr_t)-1;
	rcu_read_unlock();
	if (phys == (phys_addr_t)-1)
		return 0;
	range = to_p2pdma_range(page_pgmap(pfn_to_page(PHYS_PFN(phys))));
	return phys + range->bus_offset;
}
EXPORT_SYMBOL_GPL(pci_p2pmem_virt_to_bus);

/**
 * pci_p2pmem_alloc_sgl - allocate P2P memory described by a scatterlist
 * @pdev: the provider
 * @nents: set to the number of entries of the returned list
 * @length: bytes wanted
 *
 * Return: a list to free with pci_p2pmem_free_sgl(), or NULL.
 */
struct scatterlist *pci_p2pmem_alloc_sgl(struct pci_dev *pdev,
					 unsigned int *nents, u32 length)
{
	void *mem = pci_alloc_p2pmem(pdev, length);
	struct scatterlist *sgl;

	if (!mem)
		return NULL;
	sgl = kmalloc_array(1, sizeof(*sgl), GFP_KERNEL);
	if (!sgl) {
		pci_free_p2pmem(pdev, mem, length);
		return NULL;
	}
	/*
	 * By page, not sg_init_one(): with CONFIG_DEBUG_SG, sg_set_buf()
	 * insists on virt_addr_valid(), which some architectures deny BAR
	 * memory.  The pool hands out whole pages, so the offset is 0.
	 */
	sg_init_table(sgl, 1);
	sg_set_page(sgl, virt_to_page(mem), length, offset_in_page(mem));
	*nents = 1;
	return sgl;
}
EXPORT_SYMBOL_GPL(pci_p2pmem_alloc_sgl);

/**
 * pci_p2pmem_free_sgl - free a list from pci_p2pmem_alloc_sgl()
 * @pdev: the provider it came from
 * @sgl: the list
 */
void pci_p2pmem_free_sgl(struct pci_dev *pdev, struct scatterlist *sgl)
{
	struct scatterlist *ent;

	/* The list ends at its end mark, whatever its length. */
	for (ent = sgl; ent; ent = sg_next(ent))
		pci_free_p2pmem(pdev, sg_virt(ent), ent->length);
	kfree(sgl);
}
EXPORT_SYMBOL_GPL(pci_p2pmem_free_sgl);

/**
 * pci_p2pmem_publish - offer a provider's memory to other drivers
 * @pdev: the provider
 * @publish: offer it (true) or withdraw the offer (false)
 *
 * Published providers are what pci_p2pmem_find_many() chooses from and what
 * pci_p2pdma_enable_store() accepts by name.  Withdrawing does not affect
 * memory already allocated.
 */
void pci_p2pmem_publish(struct pci_dev *pdev, bool publish)
{
	struct pci_p2pdma *prov;

	rcu_read_lock();
	prov = rcu_dereference(pdev->p2pdma);
	if (prov)
		WRITE_ONCE(prov->published, publish);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(pci_p2pmem_publish);

/**
 * pci_has_p2pmem - does a device offer published P2P memory
 * @pdev: the device
 *
 * Return: true if @pdev registered P2P memory and published it.
 */
bool pci_has_p2pmem(struct pci_dev *pdev)
{
	struct pci_p2pdma *prov;
	bool published;

	rcu_read_lock();
	prov = rcu_dereference(pdev->p2pdma);
	published = prov && READ_ONCE(prov->published);
	rcu_read_unlock();
	return published;
}
EXPORT_SYMBOL_GPL(pci_has_p2pmem);

/**
 * pci_p2pmem_find_many - pick the published provider closest to all clients
 * @clients: devices that will DMA to or from the memory
 * @num_clients: number of @clients
 *
 * Among providers at the same smallest distance one is chosen at random, so
 * that load spreads over equivalent providers.
 *
 * Return: a referenced provider (release it with pci_dev_put()), or NULL if
 * no published provider can serve every client.
 */
struct pci_dev *pci_p2pmem_find_many(struct device **clients, int num_clients)
{
	struct pci_dev *cand = NULL, *best = NULL;
	int best_dist = INT_MAX;
	unsigned int ties = 0;

	while ((cand = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, cand))) {
		int dist;

		if (!pci_has_p2pmem(cand))
			continue;
		dist = pci_p2pdma_distance_many(cand, clients, num_clients,
						false);
		if (dist < 0 || dist > best_dist)
			continue;
		if (dist < best_dist) {
			best_dist = dist;
			ties = 0;
		}
		/* Reservoir sampling: each of n ties wins with chance 1/n. */
		if (get_random_u32_below(++ties) == 0) {
			pci_dev_put(best);
			best = pci_dev_get(cand);
		}
	}
	return best;
}
EXPORT_SYMBOL_GPL(pci_p2pmem_find_many);

static int p2pdma_provider_by_name(const char *name, struct pci_dev **p2p_dev)
{
	struct device *dev;
	struct pci_dev *pdev;

	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	if (!dev)
		return -ENOENT;
	pdev = to_pci_dev(dev);
	if (!pci_has_p2pmem(pdev)) {
		pci_err(pdev,
			"has no published P2P memory and cannot be used as a P2P provider\n");
		pci_dev_put(pdev);
		return -ENODEV;
	}
	*p2p_dev = pdev;
	return 0;
}

/*
 * kstrtobool() decides on the first character, so "not-a-device" or a
 * mistyped PCI name such as "0000:7f:1f.7" would silently read as false:
 * accept only whole boolean words.
 */
static int p2pdma_strict_bool(const char *s, bool *val)
{
	static const char * const words[] = {
		"0", "n", "no", "off", "false", "1", "y", "yes", "on", "true",
	};
	char lower[8];
	int i;

	if (strlen(s) >= sizeof(lower))
		return -EINVAL;
	string_lower(lower, s);
	i = match_string(words, ARRAY_SIZE(words), lower);
	if (i < 0)
		return -EINVAL;
	*val = i >= ARRAY_SIZE(words) / 2;
	return 0;
}

/* Does @s have the shape of a PCI device name, [DDDD:]BB:DD.F? */
static bool p2pdma_looks_like_pci_name(const char *s)
{
	unsigned int dom, bus, dev, fn;
	char end;

	return sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &end) == 4 ||
	       sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &end) == 3;
}

/**
 * pci_p2pdma_enable_store - parse a "use P2P memory" configuration string
 * @page: the string written by the user
 * @p2p_dev: set to the chosen provider (referenced) or NULL
 * @use_p2pdma: set to whether P2P memory is to be used
 *
 * Accepts a boolean word (0/1, y/n, yes/no, on/off, true/false, in any
 * case) to turn P2P memory off or on with automatic choice of provider, or
 * the PCI name of a device with published P2P memory to use that device.
 *
 * Leading and trailing white space is ignored.
 *
 * Return: 0 on success; -ENODEV for a PCI device name that does not exist
 * or has no published P2P memory; -EINVAL for a string that is neither a
 * boolean nor a PCI device name, or longer than 31 characters once
 * trimmed.  Nothing is changed on error.
 */
int pci_p2pdma_enable_store(const char *page, struct pci_dev **p2p_dev,
			    bool *use_p2pdma)
{
	const char *start = skip_spaces(page);
	size_t len = strlen(start);
	char name[32];
	bool enable;
	int ret;

	while (len && isspace(start[len - 1]))
		len--;
	/* Cut short, a longer string could read as a valid one. */
	if (len >= sizeof(name)) {
		pr_err("'%.*s...' (%zu characters) is too long for a P2P memory setting; write 0, 1 or the name of a PCI device with published P2P memory\n",
		       16, start, len);
		return -EINVAL;
	}
	memcpy(name, start, len);
	name[len] = '\0';
	if (!len) {
		pr_err("empty P2P memory setting; write 0, 1 or the name of a PCI device with published P2P memory\n");
		return -EINVAL;
	}

	/* Names first: "0000:01:00.0" must not be mistaken for a number. */
	ret = p2pdma_provider_by_name(name, p2p_dev);
	if (ret != -ENOENT) {
		if (!ret)
			*use_p2pdma = true;
		return ret;
	}
	if (p2pdma_looks_like_pci_name(name)) {
		pr_err("no PCI device %s; write 0, 1 or the name of a PCI device with published P2P memory\n",
		       name);
		return -ENODEV;
	}
	if (p2pdma_strict_bool(name, &enable)) {
		pr_err("'%s' is neither a boolean nor a PCI device; write 0, 1 or the name of a PCI device with published P2P memory\n",
		       name);
		return -EINVAL;
	}
	*use_p2pdma = enable;
	*p2p_dev = NULL;
	return 0;
}
EXPORT_SYMBOL_GPL(pci_p2pdma_enable_store);

/**
 * pci_p2pdma_enable_show - format a "use P2P memory" setting
 * @page: buffer of at least PAGE_SIZE bytes
 * @p2p_dev: provider chosen by name, or NULL
 * @use_p2pdma: whether P2P memory is used
 *
 * The output reads back in pci_p2pdma_enable_store().
 *
 * Return: number of bytes written to @page.
 */
ssize_t pci_p2pdma_enable_show(char *page, struct pci_dev *p2p_dev,
			       bool use_p2pdma)
{
	if (use_p2pdma && p2p_dev)
		return scnprintf(page, PAGE_SIZE, "%s\n", pci_name(p2p_dev));
	return scnprintf(page, PAGE_SIZE, "%d\n", use_p2pdma);
}
EXPORT_SYMBOL_GPL(pci_p2pdma_enable_show);
