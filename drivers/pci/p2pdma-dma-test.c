// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of dma_map_sgtable() on lists mixing host and P2P pages, with
 * real devices: a provider registered by its driver (an NVMe CMB) and a
 * client doing the DMA.  Loaded in the QEMU scenarios with the pair and the
 * verdict the topology must produce:
 *
 *   insmod p2pdma-dma-test.ko provider=0000:02:00.0 client=0000:03:00.0 \
 *	    expect=bus|hb|hbw|no
 *
 * hbw: through a host bridge that forwards the client's writes only.
 */
#include <kunit/test.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>

static char *provider_name;
module_param_named(provider, provider_name, charp, 0444);
MODULE_PARM_DESC(provider, "PCI name of a device with published P2P memory");
static char *client_name;
module_param_named(client, client_name, charp, 0444);
MODULE_PARM_DESC(client, "PCI name of the device the lists are mapped for");
static char *expect = "bus";
module_param(expect, charp, 0444);
MODULE_PARM_DESC(
	expect,
	"map type the pair must get: bus, hb, hbw (host bridge, writes only) or no");

#define NR_PAGES 8

struct dma_test_ctx {
	struct pci_dev *provider;
	struct pci_dev *client;
	void *p2p; /* NR_PAGES pages of P2P memory */
	struct page *host[NR_PAGES];
	struct sg_table sgt;
};

static struct pci_dev *dma_test_get(struct kunit *test, const char *name)
{
	struct device *dev;

	KUNIT_ASSERT_NOT_NULL_MSG(test, name, "module parameter missing");
	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	KUNIT_ASSERT_NOT_NULL_MSG(test, dev, "no PCI device %s", name);
	return to_pci_dev(dev);
}

static int dma_test_init(struct kunit *test)
{
	struct dma_test_ctx *ctx;
	int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
	ctx->provider = dma_test_get(test, provider_name);
	ctx->client = dma_test_get(test, client_name);
	ctx->p2p = pci_alloc_p2pmem(ctx->provider, NR_PAGES * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, ctx->p2p);
	for (i = 0; i < NR_PAGES; i++) {
		ctx->host[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ctx->host[i]);
	}
	return 0;
}

static void dma_test_exit(struct kunit *test)
{
	struct dma_test_ctx *ctx = test->priv;
	int i;

	if (!ctx)
		return;
	sg_free_table(&ctx->sgt);
	for (i = 0; i < NR_PAGES; i++)
		if (ctx->host[i])
			__free_page(ctx->host[i]);
	if (ctx->p2p)
		pci_free_p2pmem(ctx->provider, ctx->p2p, NR_PAGES * PAGE_SIZE);
	pci_dev_put(ctx->client);
	pci_dev_put(ctx->provider);
}

static struct page *p2p_page(struct dma_test_ctx *ctx, int i)
{
	return virt_to_page(ctx->p2p + i * PAGE_SIZE);
}

/* layout[i]: 'p' for a P2P page, 'h' for a host page. */
static void build_list(struct kunit *test, const char *layout)
{
	struct dma_test_ctx *ctx = test->priv;
	int n = strlen(layout), i;
	struct scatterlist *sg;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(&ctx->sgt, n, GFP_KERNEL), 0);
	for_each_sg(ctx->sgt.sgl, sg, n, i)
		sg_set_page(sg,
			    layout[i] == 'p' ? p2p_page(ctx, i) : ctx->host[i],
			    PAGE_SIZE, 0);
}

static pci_bus_addr_t expected_bus_addr(struct pci_dev *provider,
					struct page *page)
{
	phys_addr_t phys = page_to_phys(page);
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		struct resource *res = pci_resource_n(provider, bar);

		if (res->flags & IORESOURCE_MEM && phys >= res->start &&
		    phys <= res->end)
			return pci_bus_address(provider, bar) + phys -
			       res->start;
	}
	return 0;
}

static bool client_has_iommu(struct dma_test_ctx *ctx)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(&ctx->client->dev);

	return dom && dom->type != IOMMU_DOMAIN_IDENTITY;
}

/* Must a list with P2P pages mapped in @dir be refused? */
static bool refused(enum dma_data_direction dir)
{
	return !strcmp(expect, "no") ||
	       (!strcmp(expect, "hbw") && dir != DMA_FROM_DEVICE);
}

static void check_mapped_list(struct kunit *test, const char *layout)
{
	struct dma_test_ctx *ctx = test->priv;
	struct scatterlist *sg;
	int i, ret;

	build_list(test, layout);
	ret = dma_map_sgtable(&ctx->client->dev, &ctx->sgt, DMA_BIDIRECTIONAL,
			      0);
	if (refused(DMA_BIDIRECTIONAL) && strchr(layout, 'p')) {
		KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
		for_each_sg(ctx->sgt.sgl, sg, ctx->sgt.orig_nents, i)
			KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(sg));
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* Without an IOMMU nothing merges: one DMA segment per entry. */
	if (!client_has_iommu(ctx)) {
		KUNIT_EXPECT_EQ(test, ctx->sgt.nents, ctx->sgt.orig_nents);
		for_each_sg(ctx->sgt.sgl, sg, ctx->sgt.nents, i) {
			bool bus = layout[i] == 'p' && !strcmp(expect, "bus");
			dma_addr_t want = bus ? expected_bus_addr(ctx->provider,
								  sg_page(sg)) :
						phys_to_dma(&ctx->client->dev,
							    sg_phys(sg));

			/*
			 * swiotlb=force bounces host pages: their address
			 * is a bounce slot's.  P2P pages are never bounced.
			 */
			if (layout[i] == 'h' &&
			    is_swiotlb_force_bounce(&ctx->client->dev))
				KUNIT_EXPECT_NE_MSG(test, sg_dma_address(sg),
						    DMA_MAPPING_ERROR,
						    "entry %d (h)", i);
			else
				KUNIT_EXPECT_EQ_MSG(test, sg_dma_address(sg),
						    want, "entry %d (%c)", i,
						    layout[i]);
			KUNIT_EXPECT_EQ(test, sg_dma_len(sg), PAGE_SIZE);
			KUNIT_EXPECT_EQ_MSG(test, sg_dma_is_bus_address(sg),
					    bus, "mark of entry %d (%c)", i,
					    layout[i]);
		}
	}

	dma_unmap_sgtable(&ctx->client->dev, &ctx->sgt, DMA_BIDIRECTIONAL, 0);
	for_each_sg(ctx->sgt.sgl, sg, ctx->sgt.orig_nents, i) {
		KUNIT_EXPECT_FALSE_MSG(test, sg_dma_is_bus_address(sg),
				       "mark left on entry %d after unmap", i);
		KUNIT_EXPECT_PTR_EQ(test, sg_page(sg),
				    layout[i] == 'p' ? p2p_page(ctx, i) :
						       ctx->host[i]);
	}
}

static void dma_map_host_only(struct kunit *test)
{
	check_mapped_list(test, "hhhhhhhh");
}

static void dma_map_p2p_only(struct kunit *test)
{
	check_mapped_list(test, "pppppppp");
}

static void dma_map_mixed(struct kunit *test)
{
	check_mapped_list(test, "hphpphhp");
}

/* dma_map_sg() reports failure as 0, as its contract says. */
static void dma_map_sg_contract(struct kunit *test)
{
	struct dma_test_ctx *ctx = test->priv;
	int n;

	build_list(test, "hpph");
	n = dma_map_sg(&ctx->client->dev, ctx->sgt.sgl, ctx->sgt.orig_nents,
		       DMA_TO_DEVICE);
	if (refused(DMA_TO_DEVICE)) {
		KUNIT_EXPECT_EQ(test, n, 0);
		return;
	}
	KUNIT_EXPECT_GT(test, n, 0);
	if (n > 0)
		dma_unmap_sg(&ctx->client->dev, ctx->sgt.sgl,
			     ctx->sgt.orig_nents, DMA_TO_DEVICE);
}

/*
 * With an IOMMU, a bus-address page in the middle of a list stays out of
 * the IOVA range: the host pages around it still get one contiguous range,
 * and the segments come out in list order.
 */
static void dma_map_iommu_one_iova_range(struct kunit *test)
{
	struct dma_test_ctx *ctx = test->priv;
	struct scatterlist *s0, *s1, *s2;

	if (!client_has_iommu(ctx) || strcmp(expect, "bus"))
		kunit_skip(test, "needs a bus-address pair behind an IOMMU");
	build_list(test, "hhhphhhh");
	KUNIT_ASSERT_EQ(test,
			dma_map_sgtable(&ctx->client->dev, &ctx->sgt,
					DMA_BIDIRECTIONAL, 0),
			0);
	KUNIT_ASSERT_EQ(test, ctx->sgt.nents, 3);
	s0 = ctx->sgt.sgl;
	s1 = sg_next(s0);
	s2 = sg_next(s1);
	KUNIT_EXPECT_EQ(test, sg_dma_len(s0), 3 * PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(s1));
	KUNIT_EXPECT_EQ(test, sg_dma_address(s1),
			expected_bus_addr(ctx->provider, p2p_page(ctx, 3)));
	KUNIT_EXPECT_EQ(test, sg_dma_len(s2), 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, sg_dma_address(s2),
			sg_dma_address(s0) + 3 * PAGE_SIZE);
	dma_unmap_sgtable(&ctx->client->dev, &ctx->sgt, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(s1));
}

/*
 * Each direction on its own: some root complexes forward the client's
 * writes into the peer (DMA_FROM_DEVICE) but not its reads.
 */
static void dma_map_by_direction(struct kunit *test)
{
	static const enum dma_data_direction dirs[] = {
		DMA_FROM_DEVICE,
		DMA_TO_DEVICE,
		DMA_BIDIRECTIONAL,
	};
	struct dma_test_ctx *ctx = test->priv;
	int i, ret;

	build_list(test, "hpph");
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		ret = dma_map_sgtable(&ctx->client->dev, &ctx->sgt, dirs[i], 0);
		if (refused(dirs[i])) {
			KUNIT_EXPECT_EQ_MSG(test, ret, -EREMOTEIO,
					    "direction %d", dirs[i]);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "direction %d", dirs[i]);
		if (!ret)
			dma_unmap_sgtable(&ctx->client->dev, &ctx->sgt, dirs[i],
					  0);
	}
}

static void dma_test_trust_again(void *client)
{
	((struct pci_dev *)client)->untrusted = 0;
}

/* Map a one-entry list of @len bytes of P2P memory at @offset, check it. */
static void check_untrusted_part(struct kunit *test, unsigned int offset,
				 unsigned int len, bool refused)
{
	struct dma_test_ctx *ctx = test->priv;
	struct device *dev = &ctx->client->dev;
	int ret;

	sg_free_table(&ctx->sgt);
	KUNIT_ASSERT_EQ(test, sg_alloc_table(&ctx->sgt, 1, GFP_KERNEL), 0);
	sg_set_page(ctx->sgt.sgl, p2p_page(ctx, 0), len, offset);
	ret = dma_map_sgtable(dev, &ctx->sgt, DMA_BIDIRECTIONAL, 0);
	if (refused) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -EREMOTEIO, "%u bytes at %u",
				    len, offset);
		return;
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "%u bytes at %u", len, offset);
	if (!strcmp(expect, "bus")) {
		KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(ctx->sgt.sgl));
		KUNIT_EXPECT_EQ(test, sg_dma_address(ctx->sgt.sgl),
				expected_bus_addr(ctx->provider,
						  p2p_page(ctx, 0)) +
					offset);
	}
	dma_unmap_sgtable(dev, &ctx->sgt, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(ctx->sgt.sgl));
}

/*
 * dma-iommu bounces through swiotlb whatever an untrusted device (behind
 * Thunderbolt, say) maps that is not IOMMU-page aligned.  A bounce buffer
 * is host memory, so a P2P entry that would be bounced is refused; P2P
 * entries mapped by bus address, or whole pages through the host bridge,
 * need no bounce and are mapped.
 */
static void dma_map_untrusted_client(struct kunit *test)
{
	struct dma_test_ctx *ctx = test->priv;
	bool no = refused(DMA_BIDIRECTIONAL);

	if (!client_has_iommu(ctx) || ctx->client->untrusted)
		kunit_skip(test, "needs a trusted client behind dma-iommu");
	ctx->client->untrusted = 1;
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, dma_test_trust_again,
						  ctx->client),
			0);

	/* A whole page: nothing needs a bounce buffer. */
	check_untrusted_part(test, 0, PAGE_SIZE, no);
	/* A quarter page at an unaligned offset: the IOMMU would bounce it. */
	check_untrusted_part(test, PAGE_SIZE / 2, PAGE_SIZE / 4,
			     no || !strcmp(expect, "hb"));
}

static struct kunit_case dma_test_cases[] = {
	KUNIT_CASE(dma_map_host_only),
	KUNIT_CASE(dma_map_p2p_only),
	KUNIT_CASE(dma_map_mixed),
	KUNIT_CASE(dma_map_sg_contract),
	KUNIT_CASE(dma_map_by_direction),
	KUNIT_CASE(dma_map_iommu_one_iova_range),
	KUNIT_CASE(dma_map_untrusted_client),
	{}
};

static struct kunit_suite dma_test_suite = {
	.name = "p2pdma_dma_map",
	.init = dma_test_init,
	.exit = dma_test_exit,
	.test_cases = dma_test_cases,
};

kunit_test_suite(dma_test_suite);

MODULE_DESCRIPTION("KUnit test of dma_map_sgtable() on P2P and host pages");
MODULE_LICENSE("GPL");
