// SPDX-License-Identifier: GPL-2.0
/*
 * User-space mappings of P2P memory, made by mmap() of p2pmem/allocate.
 *
 * A mapping takes whole folios from the provider's pool and owns the count
 * each folio has in the pool.  The page tables hold no counts: they get
 * devmap entries at fault time, of the largest size (PTE or PMD) that the
 * VMA, the memory and its folio allow, as device-DAX maps its memory.
 * 1 GiB folios are mapped with PMD entries too: in 6.12, moving a VMA
 * takes a leaf PUD of a special mapping for a bad entry (get_old_pud()
 * clears it without a TLB flush), and splitting a VMA splits its PMD
 * entries but not its PUD entries.
 * Per-page rmap and counts would not work for compound pages whose tail
 * struct pages share memory (the vmemmap optimisation), and are not needed:
 * get_user_pages() takes its own counts on the folio, so a folio that an
 * O_DIRECT request still uses goes back to the pool, through
 * p2pdma_user_page_free(), only once that request is done.
 *
 * A mapping reads as zeros where it was never written, whatever an earlier
 * user left in the BAR.  It takes memory cleared ahead in the background
 * where there is enough (see p2pdma-clean.c); else the memory is cleared at
 * the first fault on it, in units of a folio or a PMD (2 MiB on x86-64),
 * whichever is smaller, not at mmap(): clearing a BAR of many GiB through
 * an uncached mapping takes seconds to minutes, which mmap() would pay up
 * front even for memory never touched, and a fault pays it for the entry
 * it maps.  A unit is cleared once; a later fault on it (after
 * MADV_DONTNEED, or in a child) finds what was written there.
 *
 * A folio stays with the mapping while any VMA covers part of it: fork(),
 * mremap() and a split share the mapping, and munmap() gives back each
 * folio that no VMA covers any more.  To find those VMAs, the mapping's
 * VMAs move to a file of the provider's own, at file offsets equal to the
 * page frame numbers they map: the file's VMA tree then answers "who still
 * maps this folio", and the provider's removal zaps every user mapping with
 * one call.  The move also gives the VMAs the ->close() and ->huge_fault()
 * that kernfs does not pass on for the attribute's own file.
 */
#include <linux/anon_inodes.h>
#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "p2pdma.h"

/**
 * struct p2pdma_user_map - P2P memory that one mmap() took from a pool
 * @kref: one count per VMA that maps part of it
 * @revoke_lock: faults (read) against the provider's removal (write)
 * @revoked: the provider is going away: faults get SIGBUS
 * @node: entry in &pci_p2pdma.user_maps while it holds folios
 * @prov: the provider, there while @held has a bit set
 * @pfn: first page frame, also the file offset of its VMAs, in pages
 * @len: bytes the mapping can reach, its length at mmap() (it cannot grow)
 * @nr_folios: folios taken from the pool
 * @folio_shift: log2 of the size in bytes of its folios, which are all the
 *	size of the first (one range's memory)
 * @clear_shift: log2 of the size in bytes of the unit in which the memory
 *	is cleared, a folio or a PMD, whichever is smaller
 * @clear_lock: serialises clearing, so that a unit is cleared once
 * @cleared: bitmap of the units cleared, in @held's storage
 * @held: bitmap of the folios not yet given back
 */
struct p2pdma_user_map {
	struct kref kref;
	struct rw_semaphore revoke_lock;
	bool revoked;
	struct list_head node;
	struct pci_p2pdma *prov;
	unsigned long pfn;
	size_t len;
	unsigned long nr_folios;
	unsigned int folio_shift;
	unsigned int clear_shift;
	struct mutex clear_lock; /* a unit is cleared once */
	unsigned long *cleared;
	unsigned long held[];
};

/*
 * Serialises giving folios back: munmap() of one VMA against another's and
 * against the provider's removal.
 */
static DEFINE_MUTEX(p2pdma_user_maps_lock);

/* Clear unit @i of @map, as far as the mapping reaches. */
static void p2pdma_user_map_clear_unit(struct p2pdma_user_map *map,
				       unsigned long i)
{
	size_t unit = 1UL << map->clear_shift;
	size_t off = i * unit;

	p2pdma_clear(page_address(pfn_to_page(map->pfn)) + off,
		     min(unit, map->len - off));
}

/* Clear what is not cleared yet of @nr pages of @map from @pfn on. */
static void p2pdma_user_map_clear(struct p2pdma_user_map *map,
				  unsigned long pfn, unsigned long nr)
{
	unsigned int unit_order = map->clear_shift - PAGE_SHIFT;
	unsigned long i = (pfn - map->pfn) >> unit_order;
	unsigned long last = (pfn - map->pfn + nr - 1) >> unit_order;

	for (; i <= last; i++) {
		/* Pairs with the barrier before set_bit() below. */
		if (test_bit_acquire(i, map->cleared))
			continue;
		mutex_lock(&map->clear_lock);
		if (!test_bit(i, map->cleared)) {
			p2pdma_user_map_clear_unit(map, i);
			/* The zeros are in place before anyone maps them. */
			smp_mb__before_atomic();
			set_bit(i, map->cleared);
		}
		mutex_unlock(&map->clear_lock);
	}
}

static struct folio *p2pdma_user_map_folio(struct p2pdma_user_map *map,
					   unsigned long i)
{
	unsigned long pfn = map->pfn + (i << (map->folio_shift - PAGE_SHIFT));

	return page_folio(pfn_to_page(pfn));
}

/* Give folio @i back: its last count goes, and with it to the pool. */
static void p2pdma_user_map_put(struct p2pdma_user_map *map, unsigned long i)
{
	lockdep_assert_held(&p2pdma_user_maps_lock);
	if (__test_and_clear_bit(i, map->held))
		folio_put(p2pdma_user_map_folio(map, i));
}

/* Does a VMA other than @gone map any of file pages @first to @last? */
static bool p2pdma_still_mapped(struct vm_area_struct *gone,
				unsigned long first, unsigned long last)
{
	struct address_space *mapping = gone->vm_file->f_mapping;
	struct vm_area_struct *vma;

	/* vma_interval_tree_foreach(), spelt out for clang-format. */
	for (vma = vma_interval_tree_iter_first(&mapping->i_mmap, first, last);
	     vma; vma = vma_interval_tree_iter_next(vma, first, last))
		if (vma != gone)
			return true;
	return false;
}

/*
 * @vma is going: give back each folio of its range that no other VMA maps.
 * It has left the file's VMA tree by now; a concurrent munmap() of another
 * VMA of the same folio waits on the lock, and then finds neither.  What
 * comes back is cleared ahead again (a folio still pinned for I/O comes
 * back later, and waits for the next time).
 */
static void p2pdma_user_map_unmapped(struct p2pdma_user_map *map,
				     struct vm_area_struct *vma)
{
	unsigned long per_folio = 1UL << (map->folio_shift - PAGE_SHIFT);
	unsigned long first = (vma->vm_pgoff - map->pfn) / per_folio;
	unsigned long last =
		(vma->vm_pgoff + vma_pages(vma) - 1 - map->pfn) / per_folio;
	struct address_space *mapping = vma->vm_file->f_mapping;
	unsigned long i, start;

	/* While a folio still holds the provider: it may be given back. */
	if (find_next_bit(map->held, last + 1, first) <= last)
		p2pdma_clean_kick(map->prov);
	mutex_lock(&p2pdma_user_maps_lock);
	i_mmap_lock_read(mapping);
	for (i = first; i <= last; i++) {
		if (!test_bit(i, map->held))
			continue;
		start = map->pfn + i * per_folio;
		if (!p2pdma_still_mapped(vma, start, start + per_folio - 1))
			p2pdma_user_map_put(map, i);
	}
	i_mmap_unlock_read(mapping);
	mutex_unlock(&p2pdma_user_maps_lock);
}

static void p2pdma_user_map_release(struct kref *kref)
{
	struct p2pdma_user_map *map =
		container_of(kref, struct p2pdma_user_map, kref);
	unsigned long i;

	mutex_lock(&p2pdma_user_maps_lock);
	/* Every VMA gave back its folios; this is for a failed mmap(). */
	for_each_set_bit(i, map->held, map->nr_folios)
		p2pdma_user_map_put(map, i);
	if (!list_empty(&map->node))
		list_del(&map->node);
	mutex_unlock(&p2pdma_user_maps_lock);
	mutex_destroy(&map->clear_lock);
	kvfree(map);
}

static void p2pdma_vm_open(struct vm_area_struct *vma)
{
	struct p2pdma_user_map *map = vma->vm_private_data;

	kref_get(&map->kref);
}

static void p2pdma_vm_close(struct vm_area_struct *vma)
{
	struct p2pdma_user_map *map = vma->vm_private_data;

	p2pdma_user_map_unmapped(map, vma);
	kref_put(&map->kref, p2pdma_user_map_release);
}

/*
 * Can one entry of 2^@order pages at @addr map the memory at @pfn?  An entry
 * maps no more than one folio, and no more than the VMA.
 */
static bool p2pdma_entry_fits(struct vm_area_struct *vma, unsigned int order,
			      unsigned long addr, unsigned long pfn)
{
	struct p2pdma_user_map *map = vma->vm_private_data;

	if (!order)
		return true;
	return IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) && order == PMD_ORDER &&
	       order <= map->folio_shift - PAGE_SHIFT &&
	       addr >= vma->vm_start &&
	       addr + (PAGE_SIZE << order) <= vma->vm_end &&
	       IS_ALIGNED(pfn, 1UL << order);
}

/*
 * Insert one entry of 2^@order pages at @vmf, or fall back to smaller.  The
 * memory it maps is cleared first where it was not yet.
 */
static vm_fault_t p2pdma_insert(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
	/* The file offset of a page is its page frame number. */
	unsigned long pfn = linear_page_index(vma, addr);
	pfn_t entry = __pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP);

	if (!p2pdma_entry_fits(vma, order, addr, pfn))
		return VM_FAULT_FALLBACK;
	p2pdma_user_map_clear(vma->vm_private_data, pfn, 1UL << order);
	if (!order)
		return vmf_insert_mixed(vma, vmf->address, entry);
	return vmf_insert_pfn_pmd(vmf, entry, vmf->flags & FAULT_FLAG_WRITE);
}

static vm_fault_t p2pdma_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct p2pdma_user_map *map = vmf->vma->vm_private_data;
	vm_fault_t ret;

	down_read(&map->revoke_lock);
	if (map->revoked)
		ret = VM_FAULT_SIGBUS;
	else
		ret = p2pdma_insert(vmf, order);
	up_read(&map->revoke_lock);
	return ret;
}

static vm_fault_t p2pdma_vm_fault(struct vm_fault *vmf)
{
	return p2pdma_vm_huge_fault(vmf, 0);
}

static const struct vm_operations_struct p2pdma_vm_ops = {
	.open = p2pdma_vm_open,
	.close = p2pdma_vm_close,
	.fault = p2pdma_vm_fault,
	.huge_fault = p2pdma_vm_huge_fault,
};

/*
 * Take @size bytes aligned to @align for a mapping, cleared ahead if there
 * are enough (@cleared says so), else from the pool.  Only if neither can
 * serve it, the unit the cleaner is writing to may be what is missing.
 */
static void *p2pdma_user_alloc(struct pci_p2pdma *prov, size_t size,
			       size_t align, bool *cleared)
{
	void *kaddr = p2pdma_clean_alloc(prov, size, align);

	*cleared = kaddr;
	if (kaddr)
		return kaddr;
	kaddr = p2pdma_pool_alloc_aligned(prov, size, align);
	if (kaddr)
		return kaddr;
	p2pdma_clean_hold(prov);
	kaddr = p2pdma_pool_alloc_aligned(prov, size, align);
	p2pdma_clean_release(prov);
	return kaddr;
}

static struct p2pdma_user_map *
p2pdma_user_map_alloc(unsigned long nr, unsigned int folio_shift, bool cleared)
{
	unsigned int clear_shift = min(folio_shift, PMD_SHIFT);
	unsigned long held_longs = BITS_TO_LONGS(nr);
	unsigned long cleared_longs =
		BITS_TO_LONGS(nr << (folio_shift - clear_shift));
	struct p2pdma_user_map *map;

	/* A bit per base page of a large mapping is more than 4 MiB. */
	map = kvzalloc(struct_size(map, held, held_longs + cleared_longs),
		       GFP_KERNEL);
	if (!map)
		return NULL;
	kref_init(&map->kref);
	init_rwsem(&map->revoke_lock);
	mutex_init(&map->clear_lock);
	INIT_LIST_HEAD(&map->node);
	map->nr_folios = nr;
	map->folio_shift = folio_shift;
	map->clear_shift = clear_shift;
	map->cleared = map->held + held_longs;
	if (cleared)
		bitmap_fill(map->cleared, nr << (folio_shift - clear_shift));
	return map;
}

/**
 * p2pdma_mmap - give a new VMA P2P memory of @prov
 * @prov: the provider, with no count taken
 * @vma: the VMA, whose length is checked by the caller
 *
 * The mapping takes memory cleared ahead where enough is, else memory that
 * is cleared at fault time; the page tables are filled at fault time.
 *
 * Return: 0, or -ENODEV when the provider is going away, -ENOMEM when the
 * pool has no room (or no memory for the bookkeeping).
 */
int p2pdma_mmap(struct pci_p2pdma *prov, struct vm_area_struct *vma)
{
	size_t unit = 1UL << READ_ONCE(prov->folio_shift);
	size_t len = vma->vm_end - vma->vm_start;
	size_t taken = round_up(len, unit);
	struct p2pdma_user_map *map;
	unsigned int folio_shift;
	unsigned long i, nr;
	bool cleared;
	void *kaddr;

	/* Counts per folio follow, once the folio size is known. */
	if (!p2pdma_get_live(prov->pdev, 1))
		return -ENODEV;
	kaddr = p2pdma_user_alloc(prov, taken, unit, &cleared);
	if (!kaddr)
		goto err_live;
	/*
	 * The unit is the provider's largest folio, so the memory is whole
	 * folios of its range, which may be smaller ones.
	 */
	folio_shift = PAGE_SHIFT + folio_order(virt_to_folio(kaddr));
	nr = taken >> folio_shift;
	map = p2pdma_user_map_alloc(nr, folio_shift, cleared);
	if (!map)
		goto err_pool;
	/* Each folio counts on the provider until it is back in the pool. */
	percpu_ref_get_many(&prov->users, nr - 1);

	map->prov = prov;
	map->pfn = page_to_pfn(virt_to_page(kaddr));
	map->len = len;
	/* The pool's count on each folio is now the mapping's. */
	for (i = 0; i < nr; i++)
		__set_bit(i, map->held);
	mutex_lock(&p2pdma_user_maps_lock);
	list_add(&map->node, &prov->user_maps);
	mutex_unlock(&p2pdma_user_maps_lock);

	vma_set_file(vma, prov->user_file);
	vma->vm_pgoff = map->pfn;
	vma->vm_private_data = map;
	vma->vm_ops = &p2pdma_vm_ops;
	/*
	 * Nothing backs a grown mapping: mremap() may shrink, split or move
	 * it, and fails with -EFAULT if asked to grow it.  VM_HUGEPAGE asks
	 * for huge entries where transparent huge pages are "madvise".
	 */
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_HUGEPAGE);
	/* User space maps this provider: clear its free memory from now on. */
	if (!READ_ONCE(prov->clean_started)) {
		WRITE_ONCE(prov->clean_started, true);
		p2pdma_clean_kick(prov);
	}
	return 0;

err_pool:
	gen_pool_free(prov->pool, (unsigned long)kaddr, taken);
err_live:
	percpu_ref_put(&prov->users);
	return -ENOMEM;
}

/**
 * p2pdma_revoke_user_maps - take every user mapping's memory back
 * @prov: a provider whose p2pmem/ group is gone, so no new mapping comes
 *
 * Later accesses to the mappings get SIGBUS; memory that get_user_pages()
 * still holds goes back to the pool when it is released.
 */
void p2pdma_revoke_user_maps(struct pci_p2pdma *prov)
{
	struct p2pdma_user_map *map, *tmp;
	unsigned long i;

	mutex_lock(&p2pdma_user_maps_lock);
	list_for_each_entry(map, &prov->user_maps, node) {
		down_write(&map->revoke_lock);
		map->revoked = true;
		up_write(&map->revoke_lock);
	}
	mutex_unlock(&p2pdma_user_maps_lock);

	/* No fault can map anything from here on: zap what is mapped. */
	unmap_mapping_range(prov->user_file->f_mapping, 0, 0, 1);

	mutex_lock(&p2pdma_user_maps_lock);
	list_for_each_entry_safe(map, tmp, &prov->user_maps, node) {
		for_each_set_bit(i, map->held, map->nr_folios)
			p2pdma_user_map_put(map, i);
		list_del_init(&map->node);
	}
	mutex_unlock(&p2pdma_user_maps_lock);
}

/**
 * p2pdma_user_file_create - make the file that user mappings of @prov use
 * @prov: the provider
 *
 * Return: 0 or a negative errno.
 */
int p2pdma_user_file_create(struct pci_p2pdma *prov)
{
	static const struct file_operations fops = { .owner = THIS_MODULE };
	struct file *file;

	/* An inode of its own, so that zapping it reaches only @prov's maps. */
	file = anon_inode_create_getfile("[p2pmem]", &fops, NULL, O_RDWR, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	prov->user_file = file;
	INIT_LIST_HEAD(&prov->user_maps);
	return 0;
}
