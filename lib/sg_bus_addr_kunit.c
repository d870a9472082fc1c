// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test for the P2PDMA bus-address mark in a scatterlist entry.
 *
 * The mark is a bit of page_link, which also holds the page pointer, the
 * chain pointer and the end marker: everything that reads page_link must
 * keep seeing exactly what it saw before the mark was set.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>

#define NR_ENTS 4

struct sg_mark_ctx {
	struct page *pages[NR_ENTS];
	struct scatterlist sgl[NR_ENTS];
};

static int sg_mark_init(struct kunit *test)
{
	struct sg_mark_ctx *ctx;
	int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	for (i = 0; i < NR_ENTS; i++) {
		ctx->pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ctx->pages[i]);
	}
	sg_init_table(ctx->sgl, NR_ENTS);
	for (i = 0; i < NR_ENTS; i++)
		sg_set_page(&ctx->sgl[i], ctx->pages[i], PAGE_SIZE, 0);
	test->priv = ctx;
	return 0;
}

static void sg_mark_exit(struct kunit *test)
{
	struct sg_mark_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < NR_ENTS; i++)
		if (ctx->pages[i])
			__free_page(ctx->pages[i]);
}

static void sg_mark_set_test_clear(struct kunit *test)
{
	struct sg_mark_ctx *ctx = test->priv;
	struct scatterlist *sg = &ctx->sgl[1];

	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(sg));
	sg_dma_mark_bus_address(sg);
	KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(sg));
	/* Only the marked entry carries it. */
	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(&ctx->sgl[0]));
	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(&ctx->sgl[2]));
	sg_dma_unmark_bus_address(sg);
	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(sg));
	KUNIT_EXPECT_PTR_EQ(test, sg_page(sg), ctx->pages[1]);
}

static void sg_mark_invisible_to_readers(struct kunit *test)
{
	struct sg_mark_ctx *ctx = test->priv;
	struct scatterlist *last = &ctx->sgl[NR_ENTS - 1];
	int i;

	for (i = 0; i < NR_ENTS; i++)
		sg_dma_mark_bus_address(&ctx->sgl[i]);

	for (i = 0; i < NR_ENTS; i++) {
		KUNIT_EXPECT_PTR_EQ(test, sg_page(&ctx->sgl[i]), ctx->pages[i]);
		KUNIT_EXPECT_FALSE(test, sg_is_chain(&ctx->sgl[i]));
		KUNIT_EXPECT_EQ(test, sg_phys(&ctx->sgl[i]),
				page_to_phys(ctx->pages[i]));
	}
	KUNIT_EXPECT_TRUE(test, sg_is_last(last));
	KUNIT_EXPECT_FALSE(test, sg_is_last(&ctx->sgl[0]));
	KUNIT_EXPECT_PTR_EQ(test, sg_next(&ctx->sgl[0]), &ctx->sgl[1]);
	KUNIT_EXPECT_NULL(test, sg_next(last));
	KUNIT_EXPECT_EQ(test, sg_nents(ctx->sgl), NR_ENTS);
	/* Marking the end and unmarking it leaves the bus mark alone. */
	sg_unmark_end(last);
	KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(last));
	sg_mark_end(last);
	KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(last));
	KUNIT_EXPECT_TRUE(test, sg_is_last(last));
}

static void sg_mark_chained_tables(struct kunit *test)
{
	struct sg_mark_ctx *ctx = test->priv;
	struct scatterlist first[2], *sg;
	int i, n = 0;

	/* first[0] -> chain -> ctx->sgl[0..3] */
	sg_init_table(first, 2);
	sg_set_page(&first[0], ctx->pages[0], PAGE_SIZE, 0);
	sg_chain(first, 2, ctx->sgl);
	sg_dma_mark_bus_address(&first[0]);
	sg_dma_mark_bus_address(&ctx->sgl[0]);

	KUNIT_EXPECT_TRUE(test, sg_is_chain(&first[1]));
	KUNIT_EXPECT_PTR_EQ(test, sg_chain_ptr(&first[1]), &ctx->sgl[0]);
	KUNIT_EXPECT_PTR_EQ(test, sg_next(&first[0]), &ctx->sgl[0]);
	for_each_sg(first, sg, 1 + NR_ENTS, i) {
		KUNIT_EXPECT_FALSE(test, sg_is_chain(sg));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 1 + NR_ENTS);
	KUNIT_EXPECT_EQ(test, sg_nents(first), 1 + NR_ENTS);
	KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(&first[0]));
	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(&first[1]));
}

static void sg_mark_cleared_by_setters(struct kunit *test)
{
	struct sg_mark_ctx *ctx = test->priv;
	struct scatterlist *last = &ctx->sgl[NR_ENTS - 1];

	/* A new page has no mapping: sg_set_page() drops the mark... */
	sg_dma_mark_bus_address(last);
	sg_set_page(last, ctx->pages[0], PAGE_SIZE / 2, 16);
	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(last));
	/* ...but keeps the end marker. */
	KUNIT_EXPECT_TRUE(test, sg_is_last(last));
	KUNIT_EXPECT_PTR_EQ(test, sg_page(last), ctx->pages[0]);

	/* sg_init_table() starts from a clean table. */
	sg_dma_mark_bus_address(&ctx->sgl[0]);
	sg_init_table(ctx->sgl, NR_ENTS);
	KUNIT_EXPECT_FALSE(test, sg_dma_is_bus_address(&ctx->sgl[0]));
	KUNIT_EXPECT_TRUE(test, sg_is_last(last));
}

static struct kunit_case sg_mark_cases[] = {
	KUNIT_CASE(sg_mark_set_test_clear),
	KUNIT_CASE(sg_mark_invisible_to_readers),
	KUNIT_CASE(sg_mark_chained_tables),
	KUNIT_CASE(sg_mark_cleared_by_setters),
	{}
};

static struct kunit_suite sg_mark_suite = {
	.name = "sg_bus_addr",
	.init = sg_mark_init,
	.exit = sg_mark_exit,
	.test_cases = sg_mark_cases,
};

kunit_test_suite(sg_mark_suite);

MODULE_DESCRIPTION("KUnit test for the scatterlist P2PDMA bus-address mark");
MODULE_LICENSE("GPL");
