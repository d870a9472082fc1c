/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by the P2PDMA provider, topology and sysfs code.
 * Nothing here is API: drivers use <linux/pci-p2pdma.h>.
 */
#ifndef _DRIVERS_PCI_P2PDMA_H
#define _DRIVERS_PCI_P2PDMA_H

#include <linux/completion.h>
#include <linux/dma-map-ops.h>
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/pci-p2pdma.h>
#include <linux/percpu-refcount.h>
#include <linux/seq_buf.h>
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

/**
 * struct pci_p2pdma - a provider's P2P memory
 * @pool: allocator over every registered range
 * @users: one count per outstanding allocation and per folio mapped to
 *	user space (dropped when the folio's last reference goes); killed when
 *	the provider goes away so new allocations fail
 * @users_gone: completed once @users drops to zero after the kill
 * @verdicts: map type and distance per client, see p2pdma-topology.c
 * @ranges: the registered &struct p2pdma_range, in order of registration
 * @pdev: the provider
 * @bus_addr_max: highest PCI bus address of any range, which a client's
 *	DMA mask must reach for the client to be offered this provider
 * @published: offered to orchestrators by pci_p2pmem_find_many()
 * @folio_shift: log2 of the bytes of the largest folio of any range: user
 *	mappings take memory in units of this size, aligned to it
 * @user_file: the file user mappings are moved to, see p2pdma-mmap.c
 * @user_maps: the &struct p2pdma_user_map that hold folios of the pool
 * @clean_lock: the account of cleared memory: @cleared, @clearing and the
 *	ranges' &p2pdma_range.uncleared bitmaps, see p2pdma-clean.c
 * @cleared: bytes of free memory cleared ahead and held out of @pool
 * @clearing: bytes the cleaner took out of @pool and is clearing now
 * @clean_work: the cleaner
 * @clean_holds: callers that need the cleaner stopped
 * @clean_started: a user mapping was made, so free memory is cleared
 */
struct pci_p2pdma {
	struct gen_pool *pool;
	struct percpu_ref users;
	struct completion users_gone;
	struct xarray verdicts;
	struct list_head ranges;
	struct pci_dev *pdev;
	u64 bus_addr_max;
	bool published;
	unsigned int folio_shift;
	struct file *user_file;
	struct list_head user_maps;
	spinlock_t clean_lock; /* the account of cleared memory */
	size_t cleared;
	size_t clearing;
	struct delayed_work clean_work;
	atomic_t clean_holds;
	bool clean_started;
};

/**
 * struct p2pdma_memo - the verdict of the last client a range was mapped for
 * @lock: serialises updates, which are skipped rather than waited for
 * @seq: lets the map path read @client and @verdict together, locklessly
 * @client: the PCI device @verdict is for
 * @verdict: its verdict, packed as the provider's cache holds it (with the
 *	topology generation it was judged in)
 *
 * Most P2P I/O maps one provider's memory for one client over and over (a
 * drive reading into a CMB): the memo answers that from two loads instead of
 * a lookup in the provider's cache.
 */
struct p2pdma_memo {
	raw_spinlock_t lock;
	seqcount_raw_spinlock_t seq;
	struct pci_dev *client;
	unsigned long verdict;
};

/**
 * struct p2pdma_range - one BAR range with ZONE_DEVICE pages
 * @pgmap: the pages; every P2P page's ->pgmap points here
 * @provider: device whose BAR this is
 * @bus_offset: PCI bus address minus CPU physical address of the BAR
 * @node: entry in &pci_p2pdma.ranges
 * @memo: the map path's memo of its last client
 * @uncleared: a bit per PMD-sized unit, clear while the unit is cleared
 *	memory held out of the pool; NULL for a range in folios smaller than
 *	a PMD, which is never cleared ahead
 */
struct p2pdma_range {
	struct dev_pagemap pgmap;
	struct pci_dev *provider;
	u64 bus_offset;
	struct list_head node;
	struct p2pdma_memo memo;
	unsigned long *uncleared;
};

static inline struct p2pdma_range *to_p2pdma_range(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct p2pdma_range, pgmap);
}

/**
 * struct p2pdma_verdict - how a client reaches a provider
 * @map: the map type
 * @distance: ports the transfer crosses, or -1 when @map is
 *	%PCI_P2PDMA_MAP_NOT_SUPPORTED
 * @writes_only: the path crosses a host bridge that forwards peer posted
 *	writes but not reads: only the client writing into the provider's
 *	memory (%DMA_FROM_DEVICE) works
 * @transient: a port on the path did not answer (it is gone or contained
 *	after an error); the verdict holds for this call only and is not
 *	cached, since the port may answer again without any device being
 *	added or removed
 */
struct p2pdma_verdict {
	enum pci_p2pdma_map_type map;
	int distance;
	bool writes_only;
	bool transient;
};

/**
 * struct p2pdma_peer - how a client reaches a provider, per direction
 * @read: map type of the client reading the provider's memory
 *	(%DMA_TO_DEVICE)
 * @write: map type of the client writing into it (%DMA_FROM_DEVICE)
 * @distance: ports the transfer crosses, or -1 when both @read and @write
 *	are %PCI_P2PDMA_MAP_NOT_SUPPORTED
 */
struct p2pdma_peer {
	enum pci_p2pdma_map_type read;
	enum pci_p2pdma_map_type write;
	int distance;
};

/*
 * A range gets 1 GiB folios only if it holds at least this many: user
 * mappings take whole folios, so a driver's small allocation (nvme-pci's
 * submission queues) keeps a whole folio from them.
 */
#define P2PDMA_MIN_PUD_FOLIOS 4

/* Allow-list entry flags, see p2pdma_allow_host_bridge(). */
#define P2PDMA_ALLOW_SAME_HOST_BRIDGE BIT(0)
#define P2PDMA_ALLOW_WRITES_ONLY BIT(1)

/*
 * Room for one explanation of p2pdma_explain(): the longest names a host
 * bridge, eight ACS ports twice (list, with their egress control bits, and
 * kernel parameter), the common bridge and the virtual IOMMU; the topology
 * suite checks every case fits.
 */
#define P2PDMA_EXPLAIN_MAX 1024

/* p2pdma-topology.c */
/* The PCI device at or above @dev; no reference taken, valid while @dev is. */
struct pci_dev *p2pdma_pci_dev_of(struct device *dev);
struct p2pdma_verdict p2pdma_judge(struct pci_dev *provider,
				   struct pci_dev *client, struct seq_buf *why);
struct p2pdma_verdict p2pdma_verdict_of(struct pci_dev *provider,
					struct pci_dev *client);
struct p2pdma_peer p2pdma_peer_of(struct pci_dev *provider, struct device *dev);
struct p2pdma_verdict p2pdma_client_verdict(struct pci_dev *provider,
					    struct device *dev);
const char *p2pdma_map_name(enum pci_p2pdma_map_type map);
bool p2pdma_can_be_client(struct pci_dev *pdev);
void p2pdma_explain(struct pci_dev *provider, struct device *client,
		    struct seq_buf *out);
char *p2pdma_explain_alloc(struct pci_dev *provider, struct device *client);
int p2pdma_allow_host_bridge(u16 vendor, u16 device, unsigned int flags);
#if IS_ENABLED(CONFIG_PCI_P2PDMA_KUNIT_TEST)
void p2pdma_forget_host_bridge(u16 vendor, u16 device);
#endif
void p2pdma_topology_changed(void);

/* p2pdma-sysfs.c */
extern const struct attribute_group p2pmem_group;

/* p2pdma-mmap.c */
int p2pdma_mmap(struct pci_p2pdma *prov, struct vm_area_struct *vma);
void p2pdma_revoke_user_maps(struct pci_p2pdma *prov);
int p2pdma_user_file_create(struct pci_p2pdma *prov);

/*
 * Bytes cleared between two chances to reschedule: the CPU writes every
 * byte through an uncached mapping.
 */
#define P2PDMA_CLEAR_CHUNK SZ_256K

/**
 * p2pdma_clear - write zeros to P2P memory and wait for them to land
 * @kaddr: kernel address of the memory
 * @len: bytes to clear
 *
 * Sleeps: clearing a large unit takes a while.  Inline: a fault on base
 * pages clears a page at a time.
 */
static inline void p2pdma_clear(void *kaddr, size_t len)
{
	void __iomem *mem = (void __iomem __force *)kaddr;
	size_t done, n;

	for (done = 0; done < len; done += n) {
		cond_resched();
		n = min(len - done, P2PDMA_CLEAR_CHUNK);
		/* Device memory: the I/O accessor clears it. */
		memset_io(mem + done, 0, n);
	}
	/*
	 * The writes are posted.  A peer's DMA into the BAR takes another
	 * path and could arrive first, to be overwritten by zeros; a read
	 * behind them on the same path completes only once they have landed
	 * (PCIe r6.0 sec 2.4.1: a non-posted request does not pass a posted
	 * one).
	 */
	readb(mem + len - 1);
}

/* p2pdma-clean.c */
void p2pdma_clean_init(struct pci_p2pdma *prov);
int p2pdma_clean_init_range(struct p2pdma_range *range);
void p2pdma_clean_kick(struct pci_p2pdma *prov);
void p2pdma_clean_hold(struct pci_p2pdma *prov);
void p2pdma_clean_release(struct pci_p2pdma *prov);
bool p2pdma_clean_give_back(struct pci_p2pdma *prov);
void *p2pdma_clean_alloc(struct pci_p2pdma *prov, size_t size, size_t align);
size_t p2pdma_free_bytes(struct pci_p2pdma *prov);
size_t p2pdma_cleared_bytes(struct pci_p2pdma *prov);
#if IS_ENABLED(CONFIG_KUNIT)
bool p2pdma_clean_unit(struct pci_p2pdma *prov, struct p2pdma_range *range,
		       unsigned long i, void (*clear)(void *kaddr, size_t len));
#endif

/* p2pdma.c */
struct pci_p2pdma *p2pdma_get_live(struct pci_dev *pdev, unsigned long nr);
void *p2pdma_pool_alloc(struct pci_p2pdma *prov, size_t size);
void *p2pdma_pool_alloc_aligned(struct pci_p2pdma *prov, size_t size,
				size_t align);
void p2pdma_user_page_free(struct page *page);
#if IS_ENABLED(CONFIG_KUNIT)
unsigned int p2pdma_folio_order(phys_addr_t start, size_t size,
				unsigned int max_order, const char **why);
#endif

#endif /* _DRIVERS_PCI_P2PDMA_H */
