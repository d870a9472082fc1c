// SPDX-License-Identifier: GPL-2.0
/*
 * Clearing free P2P memory before user mappings take it.
 *
 * A user mapping reads as zeros where it was never written (see
 * p2pdma-mmap.c), and clearing device memory is the CPU writing every byte
 * through an uncached mapping: done at a fault, it costs some sixty times
 * what mapping the memory with 2 MiB entries costs.  So once user space has
 * mapped a provider's memory, a worker clears the provider's free memory in
 * the background, a PMD-sized unit at a time, and the next mmap() takes
 * that memory and has nothing to clear at its faults.
 *
 * Cleared memory is held out of the pool.  Kernel allocations then keep
 * taking memory from the pool as before, with no bookkeeping on their fast
 * path, and cannot write into memory the account calls cleared.  When the
 * pool cannot serve a request, the cleared memory goes back to it first, so
 * clearing ahead never makes an allocation fail.
 *
 * Only ranges in folios of at least a PMD are cleared ahead: a mapping of
 * base pages takes single pages, each cleared at its own fault.  A unit is
 * cleared only when it is wholly free in the pool: memory that a driver
 * still uses is never written.  Memory comes back uncleared, and the worker
 * runs again, whenever munmap(), exit() or mremap() gives folios of a
 * mapping back; a folio still pinned for I/O at that moment, and memory
 * that drivers free, are cleared on the worker's next run.
 */
#define pr_fmt(fmt) "pci_p2pdma: " fmt

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/moduleparam.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "p2pdma.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "pci_p2pdma."

static bool clear_ahead = true;
module_param(clear_ahead, bool, 0644);
MODULE_PARM_DESC(clear_ahead,
		 "Clear free memory of user-mapped providers in the background");

/* The unit of clearing ahead: what a fault would otherwise clear at once. */
#define P2PDMA_CLEAN_SHIFT PMD_SHIFT
#define P2PDMA_CLEAN_UNIT BIT(P2PDMA_CLEAN_SHIFT)

/*
 * Let a burst of frees (munmap() of a large mapping, a process exiting)
 * finish before the worker starts on the memory.
 */
#define P2PDMA_CLEAN_DELAY (HZ / 10)

static void *p2pdma_range_kaddr(struct p2pdma_range *range)
{
	return phys_to_virt(range->pgmap.range.start);
}

static unsigned long p2pdma_range_units(struct p2pdma_range *range)
{
	return range_len(&range->pgmap.range) >> P2PDMA_CLEAN_SHIFT;
}

/*
 * A genalloc algorithm that takes the memory at one address or nothing:
 * @data points to the address.
 */
static unsigned long p2pdma_fit_at(unsigned long *map, unsigned long size,
				   unsigned long start, unsigned int nr,
				   void *data, struct gen_pool *pool,
				   unsigned long start_addr)
{
	unsigned long want = *(unsigned long *)data;
	unsigned long bit;

	if (want < start_addr)
		return size;
	bit = (want - start_addr) >> pool->min_alloc_order;
	if (bit < start || bit >= size || nr > size - bit ||
	    find_next_bit(map, bit + nr, bit) < bit + nr)
		return size;
	return bit;
}

/* Take unit @i of @range out of the pool to clear it, if it is all free. */
static void *p2pdma_clean_take(struct pci_p2pdma *prov,
			       struct p2pdma_range *range, unsigned long i)
{
	unsigned long want = (unsigned long)p2pdma_range_kaddr(range) +
			     (i << P2PDMA_CLEAN_SHIFT);
	unsigned long addr;

	/* Under the lock: the memory is never missing from the account. */
	spin_lock_irq(&prov->clean_lock);
	addr = gen_pool_alloc_algo(prov->pool, P2PDMA_CLEAN_UNIT, p2pdma_fit_at,
				   &want);
	if (addr)
		prov->clearing = P2PDMA_CLEAN_UNIT;
	spin_unlock_irq(&prov->clean_lock);
	return (void *)addr;
}

/* Unit @i of @range holds zeros: hold it for a user mapping. */
static void p2pdma_clean_keep(struct pci_p2pdma *prov,
			      struct p2pdma_range *range, unsigned long i)
{
	/* The lock orders the zeros before any taker's use of the unit. */
	spin_lock_irq(&prov->clean_lock);
	__clear_bit(i, range->uncleared);
	prov->cleared += P2PDMA_CLEAN_UNIT;
	prov->clearing = 0;
	spin_unlock_irq(&prov->clean_lock);
}

static bool p2pdma_clean_wanted(struct pci_p2pdma *prov)
{
	return READ_ONCE(clear_ahead) && !atomic_read(&prov->clean_holds) &&
	       !percpu_ref_is_dying(&prov->users);
}

/*
 * The range after @prev, or the first with @prev NULL.  Ranges are added
 * while the worker runs but go away only once it has stopped.
 */
static struct p2pdma_range *p2pdma_next_range(struct pci_p2pdma *prov,
					      struct p2pdma_range *prev)
{
	struct p2pdma_range *range;

	rcu_read_lock();
	if (prev)
		range = list_next_or_null_rcu(&prov->ranges, &prev->node,
					      struct p2pdma_range, node);
	else
		range = list_first_or_null_rcu(&prov->ranges,
					       struct p2pdma_range, node);
	rcu_read_unlock();
	return range;
}

/**
 * p2pdma_clean_unit - clear one unit of a range ahead, if it is free
 * @prov: the provider
 * @range: one of its ranges with an account of cleared memory
 * @i: index of the unit in @range
 * @clear: what writes the zeros: p2pdma_clear(), or for KUnit, which has
 *	no memory behind its BARs, a function that writes nothing
 *
 * Return: whether the unit was free in the pool and is now cleared.
 */
VISIBLE_IF_KUNIT bool p2pdma_clean_unit(struct pci_p2pdma *prov,
					struct p2pdma_range *range,
					unsigned long i,
					void (*clear)(void *kaddr, size_t len))
{
	void *addr = p2pdma_clean_take(prov, range, i);

	if (!addr)
		return false;
	clear(addr, P2PDMA_CLEAN_UNIT);
	p2pdma_clean_keep(prov, range, i);
	return true;
}

/* Clear every unit of @range that is free in the pool. */
static bool p2pdma_clean_range(struct pci_p2pdma *prov,
			       struct p2pdma_range *range)
{
	unsigned long i, nr = p2pdma_range_units(range);

	for (i = 0; i < nr; i++) {
		if (!p2pdma_clean_wanted(prov))
			return false;
		p2pdma_clean_unit(prov, range, i, p2pdma_clear);
	}
	return true;
}

static void p2pdma_clean_work(struct work_struct *work)
{
	struct pci_p2pdma *prov = container_of(to_delayed_work(work),
					       struct pci_p2pdma, clean_work);
	struct p2pdma_range *range = NULL;

	while ((range = p2pdma_next_range(prov, range)))
		if (range->uncleared && !p2pdma_clean_range(prov, range))
			return;
}

/**
 * p2pdma_clean_init - set up clearing ahead for a new provider
 * @prov: the provider
 */
void p2pdma_clean_init(struct pci_p2pdma *prov)
{
	spin_lock_init(&prov->clean_lock);
	atomic_set(&prov->clean_holds, 0);
	INIT_DELAYED_WORK(&prov->clean_work, p2pdma_clean_work);
}

/**
 * p2pdma_clean_init_range - set up the account of a new range
 * @range: the range, not yet in the provider's list, its pgmap filled in
 *
 * A range in folios smaller than a PMD is never cleared ahead and gets no
 * account.
 *
 * Return: 0 or -ENOMEM.
 */
int p2pdma_clean_init_range(struct p2pdma_range *range)
{
	unsigned long nr = p2pdma_range_units(range);

	if (range->pgmap.vmemmap_shift < P2PDMA_CLEAN_SHIFT - PAGE_SHIFT)
		return 0;
	/* Nothing is cleared yet: every bit set. */
	range->uncleared = bitmap_alloc(nr, GFP_KERNEL);
	if (!range->uncleared)
		return -ENOMEM;
	bitmap_fill(range->uncleared, nr);
	return 0;
}

/**
 * p2pdma_clean_kick - have the worker clear what is free, soon
 * @prov: a provider user space has mapped
 *
 * May be called in atomic context.
 */
void p2pdma_clean_kick(struct pci_p2pdma *prov)
{
	if (READ_ONCE(clear_ahead))
		queue_delayed_work(system_unbound_wq, &prov->clean_work,
				   P2PDMA_CLEAN_DELAY);
}

/**
 * p2pdma_clean_give_back - return all cleared memory to the pool
 * @prov: the provider
 *
 * For an allocation the pool cannot serve.  May be called in atomic
 * context; walks a bit per unit of every range, under a spinlock.
 *
 * Return: whether any memory went back.
 */
bool p2pdma_clean_give_back(struct pci_p2pdma *prov)
{
	struct p2pdma_range *range;
	unsigned long flags, i;
	unsigned long kaddr;
	bool any;

	if (!READ_ONCE(prov->cleared))
		return false;
	spin_lock_irqsave(&prov->clean_lock, flags);
	any = prov->cleared;
	rcu_read_lock();
	list_for_each_entry_rcu(range, &prov->ranges, node) {
		if (!range->uncleared)
			continue;
		kaddr = (unsigned long)p2pdma_range_kaddr(range);
		for_each_clear_bit(i, range->uncleared,
				   p2pdma_range_units(range)) {
			__set_bit(i, range->uncleared);
			gen_pool_free(prov->pool,
				      kaddr + (i << P2PDMA_CLEAN_SHIFT),
				      P2PDMA_CLEAN_UNIT);
		}
	}
	rcu_read_unlock();
	prov->cleared = 0;
	spin_unlock_irqrestore(&prov->clean_lock, flags);
	return any;
}

/**
 * p2pdma_clean_hold - stop the worker and give all memory back to the pool
 * @prov: the provider
 *
 * For a caller that may sleep and needs every free byte in the pool: the
 * unit the worker is clearing too.  The worker stops after that unit and
 * does not start again before p2pdma_clean_release().
 */
void p2pdma_clean_hold(struct pci_p2pdma *prov)
{
	atomic_inc(&prov->clean_holds);
	cancel_delayed_work_sync(&prov->clean_work);
	p2pdma_clean_give_back(prov);
}

/**
 * p2pdma_clean_release - let the worker run again after p2pdma_clean_hold()
 * @prov: the provider
 *
 * Memory that comes back to the pool from here on is cleared again; what
 * the pool holds now waits for that.
 */
void p2pdma_clean_release(struct pci_p2pdma *prov)
{
	atomic_dec(&prov->clean_holds);
}

/**
 * p2pdma_clean_alloc - take cleared memory for a user mapping
 * @prov: the provider, with the caller's counts already taken
 * @size: bytes wanted, a multiple of the unit of clearing
 * @align: alignment of the memory, a power of two
 *
 * Return: kernel address of @size bytes that read as zeros, all in one
 * range, or NULL if no such run is cleared.
 */
void *p2pdma_clean_alloc(struct pci_p2pdma *prov, size_t size, size_t align)
{
	unsigned long mask =
		(max(align, P2PDMA_CLEAN_UNIT) >> P2PDMA_CLEAN_SHIFT) - 1;
	unsigned long nr = size >> P2PDMA_CLEAN_SHIFT;
	unsigned long kaddr, off, bit, units;
	struct p2pdma_range *range;
	void *addr = NULL;

	if (READ_ONCE(prov->cleared) < size ||
	    !IS_ALIGNED(size, P2PDMA_CLEAN_UNIT))
		return NULL;
	spin_lock_irq(&prov->clean_lock);
	rcu_read_lock();
	list_for_each_entry_rcu(range, &prov->ranges, node) {
		if (!range->uncleared)
			continue;
		kaddr = (unsigned long)p2pdma_range_kaddr(range);
		off = (kaddr >> P2PDMA_CLEAN_SHIFT) & mask;
		units = p2pdma_range_units(range);
		bit = bitmap_find_next_zero_area_off(range->uncleared, units, 0,
						     nr, mask, off);
		if (bit >= units)
			continue;
		bitmap_set(range->uncleared, bit, nr);
		prov->cleared -= size;
		addr = (void *)(kaddr + (bit << P2PDMA_CLEAN_SHIFT));
		break;
	}
	rcu_read_unlock();
	spin_unlock_irq(&prov->clean_lock);
	return addr;
}

/**
 * p2pdma_free_bytes - bytes of a provider's memory nobody uses
 * @prov: the provider
 *
 * Return: the memory free in the pool, cleared or being cleared.
 */
size_t p2pdma_free_bytes(struct pci_p2pdma *prov)
{
	unsigned long flags;
	size_t bytes;

	spin_lock_irqsave(&prov->clean_lock, flags);
	bytes = gen_pool_avail(prov->pool) + prov->cleared + prov->clearing;
	spin_unlock_irqrestore(&prov->clean_lock, flags);
	return bytes;
}

/**
 * p2pdma_cleared_bytes - bytes of free memory cleared ahead
 * @prov: the provider
 *
 * Return: the bytes a mapping can take without clearing them at its faults.
 */
size_t p2pdma_cleared_bytes(struct pci_p2pdma *prov)
{
	return READ_ONCE(prov->cleared);
}
