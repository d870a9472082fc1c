/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI peer-to-peer DMA: one PCI device moves data straight to or from memory
 * exposed in another PCI device's BAR, without a bounce through system RAM.
 *
 * A provider driver registers BAR ranges with pci_p2pdma_add_resource(); they
 * get ZONE_DEVICE struct pages, so P2P memory travels through bios,
 * scatterlists and get_user_pages() like any other memory.  Orchestrators pick
 * a provider with pci_p2pmem_find_many() or check one with
 * pci_p2pdma_distance_many(); clients map P2P pages with dma_map_sgtable(),
 * which returns -EREMOTEIO for a peer the fabric cannot reach.
 */
#ifndef _LINUX_PCI_P2PDMA_H
#define _LINUX_PCI_P2PDMA_H

#include <linux/dma-direction.h>
#include <linux/memremap.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>

struct block_device;
struct scatterlist;

/**
 * enum pci_p2pdma_map_type - how a client must address a provider's memory
 * @PCI_P2PDMA_MAP_UNKNOWN: not decided yet (never returned by a lookup)
 * @PCI_P2PDMA_MAP_NOT_SUPPORTED: the fabric cannot route the transfer; map
 *	calls fail with -EREMOTEIO
 * @PCI_P2PDMA_MAP_BUS_ADDR: both devices sit below a common bridge that
 *	forwards peer traffic; the client uses the PCI bus address and the
 *	transfer bypasses the IOMMU
 * @PCI_P2PDMA_MAP_THRU_HOST_BRIDGE: the transfer crosses a host bridge known
 *	to forward peer traffic; the client maps the CPU physical address like
 *	host memory (through the IOMMU if there is one)
 */
enum pci_p2pdma_map_type {
	PCI_P2PDMA_MAP_UNKNOWN = 0,
	PCI_P2PDMA_MAP_NOT_SUPPORTED,
	PCI_P2PDMA_MAP_BUS_ADDR,
	PCI_P2PDMA_MAP_THRU_HOST_BRIDGE,
};

/**
 * struct pci_p2pdma_map_state - per-call memo of the DMA mapping code
 * @pgmap: pagemap of the P2P entry looked up last
 * @map: map type of @pgmap's provider for the mapping device
 * @bus_offset: PCI bus address minus CPU physical address for @pgmap
 * @dir: direction of the mapping: some host bridges forward the client's
 *	writes into a peer's BAR (%DMA_FROM_DEVICE) but not its reads
 *
 * Zero-initialise one per map_sg call, with @dir set (left 0, it is
 * %DMA_BIDIRECTIONAL, which needs both).  Consecutive entries from one
 * provider reuse the previous decision without another lookup.
 */
struct pci_p2pdma_map_state {
	struct dev_pagemap *pgmap;
	enum pci_p2pdma_map_type map;
	enum dma_data_direction dir;
	u64 bus_offset;
};

#ifdef CONFIG_PCI_P2PDMA
int pci_p2pdma_add_resource(struct pci_dev *pdev, int bar, size_t size,
			    u64 offset);
int pci_p2pdma_distance_many(struct pci_dev *provider, struct device **clients,
			     int num_clients, bool verbose);
bool pci_has_p2pmem(struct pci_dev *pdev);
struct pci_dev *pci_p2pmem_find_many(struct device **clients, int num_clients);
void *pci_alloc_p2pmem(struct pci_dev *pdev, size_t size);
void pci_free_p2pmem(struct pci_dev *pdev, void *addr, size_t size);
pci_bus_addr_t pci_p2pmem_virt_to_bus(struct pci_dev *pdev, void *addr);
struct scatterlist *pci_p2pmem_alloc_sgl(struct pci_dev *pdev,
					 unsigned int *nents, u32 length);
void pci_p2pmem_free_sgl(struct pci_dev *pdev, struct scatterlist *sgl);
void pci_p2pmem_publish(struct pci_dev *pdev, bool publish);
int pci_p2pdma_enable_store(const char *page, struct pci_dev **p2p_dev,
			    bool *use_p2pdma);
ssize_t pci_p2pdma_enable_show(char *page, struct pci_dev *p2p_dev,
			       bool use_p2pdma);
void pci_p2pdma_map_state_update(struct pci_p2pdma_map_state *state,
				 struct device *dev, struct page *page);
#else /* CONFIG_PCI_P2PDMA */
static inline int pci_p2pdma_add_resource(struct pci_dev *pdev, int bar,
					  size_t size, u64 offset)
{
	return -EOPNOTSUPP;
}

static inline int pci_p2pdma_distance_many(struct pci_dev *provider,
					   struct device **clients,
					   int num_clients, bool verbose)
{
	return -1;
}

static inline bool pci_has_p2pmem(struct pci_dev *pdev)
{
	return false;
}

static inline struct pci_dev *pci_p2pmem_find_many(struct device **clients,
						   int num_clients)
{
	return NULL;
}

static inline void *pci_alloc_p2pmem(struct pci_dev *pdev, size_t size)
{
	return NULL;
}

static inline void pci_free_p2pmem(struct pci_dev *pdev, void *addr,
				   size_t size)
{
}

static inline pci_bus_addr_t pci_p2pmem_virt_to_bus(struct pci_dev *pdev,
						    void *addr)
{
	return 0;
}

static inline struct scatterlist *
pci_p2pmem_alloc_sgl(struct pci_dev *pdev, unsigned int *nents, u32 length)
{
	return NULL;
}

static inline void pci_p2pmem_free_sgl(struct pci_dev *pdev,
				       struct scatterlist *sgl)
{
}

static inline void pci_p2pmem_publish(struct pci_dev *pdev, bool publish)
{
}

static inline int pci_p2pdma_enable_store(const char *page,
					  struct pci_dev **p2p_dev,
					  bool *use_p2pdma)
{
	*use_p2pdma = false;
	return 0;
}

static inline ssize_t pci_p2pdma_enable_show(char *page,
					     struct pci_dev *p2p_dev,
					     bool use_p2pdma)
{
	return sprintf(page, "none\n");
}

static inline void pci_p2pdma_map_state_update(struct pci_p2pdma_map_state *state,
					       struct device *dev,
					       struct page *page)
{
	state->pgmap = page->pgmap;
	state->map = PCI_P2PDMA_MAP_NOT_SUPPORTED;
	state->bus_offset = 0;
}
#endif /* CONFIG_PCI_P2PDMA */

/**
 * pci_p2pdma_distance - distance between a provider and one client
 * @provider: device that exposes the memory
 * @client: device that will DMA to or from it
 * @verbose: explain in dmesg why the pair cannot do P2P
 *
 * Return: the number of ports the transfer crosses, or -1 if the pair cannot
 * do P2P DMA.
 */
static inline int pci_p2pdma_distance(struct pci_dev *provider,
				      struct device *client, bool verbose)
{
	return pci_p2pdma_distance_many(provider, &client, 1, verbose);
}

/**
 * pci_p2pmem_find - find the published provider closest to one client
 * @client: device that will DMA to or from the memory
 *
 * Return: a referenced provider (release it with pci_dev_put()) or NULL.
 */
static inline struct pci_dev *pci_p2pmem_find(struct device *client)
{
	return pci_p2pmem_find_many(&client, 1);
}

/**
 * pci_p2pdma_map_type_of_sg - map type of a P2P scatterlist entry
 * @state: per-call memo, zero-initialised by the caller
 * @dev: device the list is mapped for
 * @sg: entry whose page is a P2P page (is_pci_p2pdma_page())
 *
 * Looks the provider up only when the entry's pagemap differs from the
 * previous P2P entry's, so runs of entries from one provider cost a compare.
 *
 * Return: how @dev must address the entry's memory.
 */
static inline enum pci_p2pdma_map_type
pci_p2pdma_map_type_of_sg(struct pci_p2pdma_map_state *state,
			  struct device *dev, struct scatterlist *sg)
{
	struct page *page = sg_page(sg);

	if (unlikely(state->pgmap != page->pgmap))
		pci_p2pdma_map_state_update(state, dev, page);
	return state->map;
}

/**
 * pci_p2pdma_map_bus_addr - give an entry its PCI bus address
 * @state: memo filled by pci_p2pdma_map_type_of_sg() for this entry
 * @sg: entry judged %PCI_P2PDMA_MAP_BUS_ADDR
 *
 * The entry bypasses the IOMMU and swiotlb; the mark in its page_link tells
 * the unmap path there is nothing to undo.
 */
static inline void pci_p2pdma_map_bus_addr(const struct pci_p2pdma_map_state *state,
					   struct scatterlist *sg)
{
	sg->dma_address = sg_phys(sg) + state->bus_offset;
	sg_dma_len(sg) = sg->length;
	sg_dma_mark_bus_address(sg);
}

/**
 * pci_p2pdma_may_bounce - may swiotlb bounce a page
 * @page: page about to be mapped for DMA
 *
 * A bounce buffer is host memory, not the peer's BAR: bouncing a P2P page
 * would silently move the data to the wrong place.
 *
 * Return: false for P2P pages.
 */
static inline bool pci_p2pdma_may_bounce(struct page *page)
{
	return !is_pci_p2pdma_page(page);
}

#endif /* _LINUX_PCI_P2PDMA_H */
