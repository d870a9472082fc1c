// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test of the P2PDMA error paths: every allocation that registering a
 * provider or allocating P2P memory makes is failed in turn, with the
 * task's fail-nth counter of the kernel's fault injection
 * (Documentation/fault-injection/fault-injection.rst), and each failure
 * must leave the provider exactly as it was.  kmemleak and KASAN, on in the
 * test kernel, catch what the checks here cannot see.
 *
 * failslab and fail_page_alloc skip allocations that may sleep unless told
 * otherwise, so the QEMU scenario that loads this module first writes N to
 * their ignore-gfp-wait files in debugfs.  Without that no failure is
 * injected and the cases skip.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sched.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>

#include "p2pdma-test-fabric.h"

/* Far more than the allocations of any call tested here. */
#define FAULT_MAX_NTH 2000

/* Two halves, each a multiple of memremap_compat_align(). */
#define FAULT_BAR_SIZE SZ_4M
#define FAULT_HALF (FAULT_BAR_SIZE / 2)

#define FAULT_NOT_ARMED \
	"no failure injected: write N to ignore-gfp-wait of failslab and fail_page_alloc in debugfs"

static const struct p2pdma_test_node fault_nodes[] = {
	{ .name = "rp",
	  .parent = -1,
	  .kind = P2PDMA_TEST_ROOT_PORT,
	  .devfn = PCI_DEVFN(1, 0) },
	{ .name = "ep",
	  .parent = 0,
	  .kind = P2PDMA_TEST_ENDPOINT,
	  .devfn = PCI_DEVFN(0, 0),
	  .bar_size = FAULT_BAR_SIZE },
	{}
};

/* A made-up host bridge: these cases never need the allow-list. */
static const struct p2pdma_test_topology fault_topo = {
	.host_vendor = 0xfff3,
	.host_device = 0x0301,
	.nodes = fault_nodes,
};

/* Fail the @nth fault-injectable call this task makes from now on. */
static void fault_arm(unsigned int nth)
{
	WRITE_ONCE(current->fail_nth, nth);
}

/* Disarm; return whether the armed failure was injected. */
static bool fault_fired(void)
{
	bool fired = !READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return fired;
}

/*
 * The fabric of the current endpoint.  Cases that need many fresh
 * endpoints replace it as they go: the fabric code has room for a few
 * fabrics at a time, not one per round.
 */
struct fault_ctx {
	struct p2pdma_test_fabric *fabric;
};

static int fault_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct fault_ctx), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void fault_exit(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;

	p2pdma_test_fabric_destroy(ctx->fabric);
}

/* A fresh endpoint, on a fabric that replaces the case's previous one. */
static struct pci_dev *fault_ep(struct kunit *test)
{
	struct fault_ctx *ctx = test->priv;
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep;

	p2pdma_test_fabric_destroy(ctx->fabric);
	fabric = p2pdma_test_fabric_create(NULL, &fault_topo);
	ctx->fabric = IS_ERR(fabric) ? NULL : fabric;
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fabric);
	ep = p2pdma_test_fabric_dev(fabric, "ep");
	KUNIT_ASSERT_NOT_NULL(test, ep);
	return ep;
}

static bool fault_has_attr(struct pci_dev *pdev, const char *name)
{
	struct kernfs_node *group, *attr = NULL;

	group = sysfs_get_dirent(pdev->dev.kobj.sd, "p2pmem");
	if (group)
		attr = sysfs_get_dirent(group, name);
	sysfs_put(attr);
	sysfs_put(group);
	return attr;
}

/*
 * How much P2P memory @pdev hands out: allocates page by page until the
 * pool is dry (up to the BAR's size), then frees it all.
 */
static size_t fault_pool_size(struct kunit *test, struct pci_dev *pdev)
{
	size_t n, got, nr = FAULT_BAR_SIZE / PAGE_SIZE;
	void **pages;

	pages = kunit_kcalloc(test, nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (n = 0; n < nr; n++) {
		pages[n] = pci_alloc_p2pmem(pdev, PAGE_SIZE);
		if (!pages[n])
			break;
	}
	got = n;
	while (n--)
		pci_free_p2pmem(pdev, pages[n], PAGE_SIZE);
	kunit_kfree(test, pages);
	return got * PAGE_SIZE;
}

/* A fresh endpoint, with the BAR's first half registered if @first. */
static struct pci_dev *fault_fresh_ep(struct kunit *test, bool first)
{
	struct pci_dev *ep = fault_ep(test);
	int ret = first ? pci_p2pdma_add_resource(ep, 0, FAULT_HALF, 0) : 0;

	KUNIT_ASSERT_EQ(test, ret, 0);
	return ep;
}

/*
 * Registers half of an endpoint's BAR (the second half if @second, after
 * the first) with the Nth fault-injectable allocation failed, for N = 1,
 * 2, ... until a call makes fewer than N allocations and succeeds.  After
 * each failure the endpoint must be as before: the first half's memory or
 * none, and the allocate attribute there if and only if the first half
 * is.  Some allocations are allowed to fail (kmemleak's own bookkeeping
 * falls back to a reserve, for one): a call that succeeds anyway leaves
 * its range registered, so the next round starts on a fresh endpoint.
 *
 * Return: the number of failures that made the call fail.
 */
static unsigned int fault_add_resource(struct kunit *test, bool second)
{
	size_t size_before = second ? FAULT_HALF : 0;
	u64 offset = second ? FAULT_HALF : 0;
	unsigned int nth, failed = 0, tolerated = 0;
	struct pci_dev *ep = fault_fresh_ep(test, second);
	int ret;

	for (nth = 1; nth <= FAULT_MAX_NTH; nth++) {
		fault_arm(nth);
		ret = pci_p2pdma_add_resource(ep, 0, FAULT_HALF, offset);
		if (!fault_fired()) {
			KUNIT_EXPECT_EQ(test, ret, 0);
			KUNIT_EXPECT_EQ(test, fault_pool_size(test, ep),
					size_before + FAULT_HALF);
			KUNIT_EXPECT_TRUE(test, fault_has_attr(ep, "allocate"));
			kunit_info(test, "%u allocations, %u fatal, %u not\n",
				   nth - 1, failed, tolerated);
			return failed;
		}
		if (!ret) {
			/* Survived: it must have done the whole job. */
			tolerated++;
			KUNIT_ASSERT_EQ_MSG(test, fault_pool_size(test, ep),
					    size_before + FAULT_HALF,
					    "allocation %u failed, survived",
					    nth);
			KUNIT_ASSERT_TRUE_MSG(test,
					      fault_has_attr(ep, "allocate"),
					      "allocation %u failed, survived",
					      nth);
			ep = fault_fresh_ep(test, second);
			continue;
		}
		failed++;
		KUNIT_ASSERT_EQ_MSG(test, fault_pool_size(test, ep),
				    size_before, "allocation %u failed: %d",
				    nth, ret);
		KUNIT_ASSERT_EQ_MSG(test, fault_has_attr(ep, "allocate"),
				    second, "allocation %u failed: %d", nth,
				    ret);
	}
	KUNIT_FAIL(test, "still allocating after %u allocations",
		   FAULT_MAX_NTH);
	return failed;
}

static void fault_skip_unless(struct kunit *test, unsigned int failed)
{
	if (!failed)
		kunit_skip(test, FAULT_NOT_ARMED);
}

/* A first registration that fails leaves no provider behind. */
static void fault_first_add_resource(struct kunit *test)
{
	fault_skip_unless(test, fault_add_resource(test, false));
}

/*
 * A second registration that fails leaves the first range, its pool and
 * the allocate attribute alone.
 */
static void fault_second_add_resource(struct kunit *test)
{
	fault_skip_unless(test, fault_add_resource(test, true));
}

/*
 * pci_p2pmem_alloc_sgl() (and pci_alloc_p2pmem() under it) with each of
 * its allocations failed in turn: NULL, and all of the pool still there.
 */
static void fault_alloc_sgl(struct kunit *test)
{
	struct pci_dev *ep = fault_ep(test);
	unsigned int nth, failed = 0, nents;
	struct scatterlist *sgl;

	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(ep, 0, 0, 0), 0);
	for (nth = 1; nth <= FAULT_MAX_NTH; nth++) {
		fault_arm(nth);
		sgl = pci_p2pmem_alloc_sgl(ep, &nents, SZ_64K);
		if (!fault_fired()) {
			KUNIT_ASSERT_NOT_NULL(test, sgl);
			KUNIT_EXPECT_EQ(test, nents, 1);
			pci_p2pmem_free_sgl(ep, sgl);
			break;
		}
		/* A failure it could live with: nothing to check. */
		if (sgl) {
			pci_p2pmem_free_sgl(ep, sgl);
			continue;
		}
		failed++;
		KUNIT_ASSERT_EQ_MSG(test, fault_pool_size(test, ep),
				    FAULT_BAR_SIZE, "allocation %u failed",
				    nth);
	}
	if (nth > FAULT_MAX_NTH)
		KUNIT_FAIL(test, "still allocating after %u allocations",
			   FAULT_MAX_NTH);
	kunit_info(test, "%u allocations failed in turn\n", failed);
	fault_skip_unless(test, failed);
	KUNIT_EXPECT_EQ(test, fault_pool_size(test, ep), FAULT_BAR_SIZE);
}

static struct kunit_case fault_cases[] = {
	KUNIT_CASE(fault_first_add_resource),
	KUNIT_CASE(fault_second_add_resource),
	KUNIT_CASE(fault_alloc_sgl),
	{},
};

static struct kunit_suite fault_suite = {
	.name = "p2pdma_faults",
	.init = fault_init,
	.exit = fault_exit,
	.test_cases = fault_cases,
};

kunit_test_suite(fault_suite);

MODULE_DESCRIPTION("KUnit test of P2PDMA error paths under fault injection");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
