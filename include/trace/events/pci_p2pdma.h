/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of PCI peer-to-peer DMA: providers coming and going, failed
 * allocations, and the routing decision of each (provider, client) pair the
 * DMA mapping code meets, including the ones it refuses with -EREMOTEIO.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pci_p2pdma

#if !defined(_TRACE_PCI_P2PDMA_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_PCI_P2PDMA_H

#include <linux/dma-map-ops.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/tracepoint.h>

#define p2pdma_show_map(map)						\
	__print_symbolic(map,						\
		{ PCI_P2PDMA_MAP_NOT_SUPPORTED, "NOT_SUPPORTED" },	\
		{ PCI_P2PDMA_MAP_BUS_ADDR, "BUS_ADDR" },		\
		{ PCI_P2PDMA_MAP_THRU_HOST_BRIDGE, "THRU_HOST_BRIDGE" })

TRACE_EVENT(pci_p2pdma_provider_add,
	TP_PROTO(struct pci_dev *pdev, int bar, size_t size, u64 offset),
	TP_ARGS(pdev, bar, size, offset),
	TP_STRUCT__entry(
		__string(dev, pci_name(pdev))
		__field(int, bar)
		__field(size_t, size)
		__field(u64, offset)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->bar = bar;
		__entry->size = size;
		__entry->offset = offset;
	),
	TP_printk("provider=%s bar=%d size=%zu offset=%#llx", __get_str(dev),
		  __entry->bar, __entry->size, __entry->offset)
);

TRACE_EVENT(pci_p2pdma_provider_remove,
	TP_PROTO(struct pci_dev *pdev, size_t size),
	TP_ARGS(pdev, size),
	TP_STRUCT__entry(
		__string(dev, pci_name(pdev))
		__field(size_t, size)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->size = size;
	),
	TP_printk("provider=%s size=%zu", __get_str(dev), __entry->size)
);

TRACE_EVENT(pci_p2pdma_alloc_fail,
	TP_PROTO(struct pci_dev *pdev, size_t size, size_t avail),
	TP_ARGS(pdev, size, avail),
	TP_STRUCT__entry(
		__string(dev, pci_name(pdev))
		__field(size_t, size)
		__field(size_t, avail)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->size = size;
		__entry->avail = avail;
	),
	TP_printk("provider=%s size=%zu available=%zu", __get_str(dev),
		  __entry->size, __entry->avail)
);

DECLARE_EVENT_CLASS(pci_p2pdma_pair,
	TP_PROTO(struct pci_dev *provider, struct pci_dev *client,
		 enum pci_p2pdma_map_type map, int distance),
	TP_ARGS(provider, client, map, distance),
	TP_STRUCT__entry(
		__string(provider, pci_name(provider))
		__string(client, pci_name(client))
		__field(int, map)
		__field(int, distance)
	),
	TP_fast_assign(
		__assign_str(provider);
		__assign_str(client);
		__entry->map = map;
		__entry->distance = distance;
	),
	TP_printk("provider=%s client=%s map=%s distance=%d",
		  __get_str(provider), __get_str(client),
		  p2pdma_show_map(__entry->map), __entry->distance)
);

/* A pair judged for the first time (the verdict is then cached). */
DEFINE_EVENT(pci_p2pdma_pair, pci_p2pdma_map_decision,
	TP_PROTO(struct pci_dev *provider, struct pci_dev *client,
		 enum pci_p2pdma_map_type map, int distance),
	TP_ARGS(provider, client, map, distance)
);

/*
 * A map call meets a P2P page its device cannot reach: -EREMOTEIO.  The
 * device may be a PCI device or one below it, or no PCI device at all.
 */
TRACE_EVENT(pci_p2pdma_map_refused,
	TP_PROTO(struct pci_dev *provider, struct device *dev,
		 enum pci_p2pdma_map_type map, int distance),
	TP_ARGS(provider, dev, map, distance),
	TP_STRUCT__entry(
		__string(provider, pci_name(provider))
		__string(client, dev_name(dev))
		__field(int, map)
		__field(int, distance)
	),
	TP_fast_assign(
		__assign_str(provider);
		__assign_str(client);
		__entry->map = map;
		__entry->distance = distance;
	),
	TP_printk("provider=%s client=%s map=%s distance=%d",
		  __get_str(provider), __get_str(client),
		  p2pdma_show_map(__entry->map), __entry->distance)
);

#endif /* _TRACE_PCI_P2PDMA_H */

#include <trace/define_trace.h>
