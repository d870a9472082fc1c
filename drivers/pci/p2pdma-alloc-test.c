// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of P2PDMA providers: registering BAR ranges, allocating and
 * freeing P2P memory, the account of memory cleared ahead, bus addresses,
 * publishing and finding providers, and the "use P2P memory" configuration
 * strings.
 *
 * Providers are endpoints of emulated PCI hierarchies (p2pdma-test-fabric.c).
 * Their BARs have struct pages but nothing behind them: the tests look at
 * addresses only and never touch P2P memory (clearing ahead is given a
 * function that writes nothing).  Every allocation is freed by
 * a deferred action registered after the fabric, so it is gone before the
 * fabric removes the provider (removal waits for P2P memory to be freed).
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/kernfs.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/vmalloc.h>

#include "p2pdma.h"
#include "p2pdma-test-fabric.h"

/* Made up, and never allow-listed by these tests. */
#define HB_VENDOR 0xfff2

#define NODE(_name, _parent, _kind, _devfn, ...)                               \
	{                                                                      \
		.name = _name, .parent = _parent, .kind = P2PDMA_TEST_##_kind, \
		.devfn = _devfn, __VA_ARGS__                                   \
	}

#define BAR_SIZE SZ_8M

/* One endpoint with an 8 MiB BAR below a root port. */
static const struct p2pdma_test_node one_ep_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0)),
	NODE("ep", 0, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = BAR_SIZE),
	{}
};

static const struct p2pdma_test_topology one_ep_topo = {
	.host_vendor = HB_VENDOR,
	.host_device = 0x0201,
	.nodes = one_ep_nodes,
};

/*
 * A client with a provider in another function of the same device (distance
 * 2) and one on the next downstream port of the switch (distance 4).
 */
static const struct p2pdma_test_node two_providers_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0)),
	NODE("up", 0, SWITCH_UP, PCI_DEVFN(0, 0)),
	NODE("dn0", 1, SWITCH_DOWN, PCI_DEVFN(0, 0)),
	NODE("dn1", 1, SWITCH_DOWN, PCI_DEVFN(1, 0)),
	NODE("client", 2, ENDPOINT, PCI_DEVFN(0, 0)),
	NODE("near", 2, ENDPOINT, PCI_DEVFN(0, 1), .bar_size = SZ_2M),
	NODE("far", 3, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	{}
};

static const struct p2pdma_test_topology two_providers_topo = {
	.host_vendor = HB_VENDOR,
	.host_device = 0x0202,
	.nodes = two_providers_nodes,
};

static struct pci_dev *p2pdma_test_ep(struct kunit *test,
				      const struct p2pdma_test_topology *topo,
				      const char *name)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *pdev;

	fabric = p2pdma_test_fabric_create(test, topo);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fabric);
	pdev = p2pdma_test_fabric_dev(fabric, name);
	KUNIT_ASSERT_NOT_NULL(test, pdev);
	return pdev;
}

static bool p2pdma_test_has_group(struct pci_dev *pdev)
{
	struct kernfs_node *kn = sysfs_get_dirent(pdev->dev.kobj.sd, "p2pmem");
	bool found = kn;

	sysfs_put(kn);
	return found;
}

/* Bus address of a P2P address, computed from the BAR rather than asked. */
static pci_bus_addr_t p2pdma_test_bus_addr(struct pci_dev *pdev, void *addr)
{
	return pci_bus_address(pdev, 0) +
	       (virt_to_phys(addr) - pci_resource_start(pdev, 0));
}

struct p2pdma_test_alloc {
	struct pci_dev *pdev;
	void *addr;
	size_t size;
};

static void p2pdma_test_alloc_release(void *data)
{
	struct p2pdma_test_alloc *a = data;

	pci_free_p2pmem(a->pdev, a->addr, a->size);
}

/* pci_alloc_p2pmem(), freed when the test ends if not before. */
static struct p2pdma_test_alloc *
p2pdma_test_alloc(struct kunit *test, struct pci_dev *pdev, size_t size)
{
	struct p2pdma_test_alloc *a;

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	a->pdev = pdev;
	a->size = size;
	a->addr = pci_alloc_p2pmem(pdev, size);
	if (!a->addr)
		return NULL;
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test,
						  p2pdma_test_alloc_release, a),
			0);
	return a;
}

static void p2pdma_test_free(struct kunit *test, struct p2pdma_test_alloc *a)
{
	kunit_release_action(test, p2pdma_test_alloc_release, a);
}

/* Check an allocation is where a peer finds it: in the BAR, page aligned. */
static void p2pdma_test_check_alloc(struct kunit *test,
				    const struct p2pdma_test_alloc *a,
				    u64 bar_offset)
{
	pci_bus_addr_t bus = pci_p2pmem_virt_to_bus(a->pdev, a->addr);

	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(a->addr));
	KUNIT_EXPECT_TRUE(test, is_pci_p2pdma_page(virt_to_page(a->addr)));
	KUNIT_EXPECT_EQ(test, bus, p2pdma_test_bus_addr(a->pdev, a->addr));
	KUNIT_EXPECT_EQ(test, bus, pci_bus_address(a->pdev, 0) + bar_offset);
}

struct p2pdma_reject_case {
	const char *name;
	int bar;
	size_t size;
	u64 offset;
};

static const struct p2pdma_reject_case p2pdma_reject_cases[] = {
	{ "negative BAR index", -1, 0, 0 },
	{ "BAR index past the last", PCI_STD_NUM_BARS, 0, 0 },
	{ "upper half of a 64-bit BAR", 1, 0, 0 },
	{ "absent BAR", 2, 0, 0 },
	{ "offset at the end", 0, 0, BAR_SIZE },
	{ "offset past the end", 0, SZ_4K, 2 * BAR_SIZE },
	{ "offset that wraps", 0, 2 * SZ_4K, (U64_MAX & PAGE_MASK) },
	{ "size past the end", 0, BAR_SIZE + SZ_4K, 0 },
	{ "size plus offset past the end", 0, SZ_4M, SZ_4M + SZ_2M },
	{ "size that wraps", 0, (SIZE_MAX & PAGE_MASK), SZ_4K },
	{ "offset not page aligned", 0, SZ_4K, SZ_2K },
	{ "offset not page aligned, rest of the BAR", 0, 0, SZ_2K },
	{ "size not page aligned", 0, SZ_2K, 0 },
	/* memremap_pages() works in subsections (2 MiB on x86-64). */
	{ "size not subsection aligned", 0, SZ_64K, 0 },
	{ "offset not subsection aligned", 0, SZ_2M, SZ_64K },
	{ "rest of the BAR from an offset not subsection aligned", 0, 0,
	  SZ_1M },
};

static void p2pdma_reject_case_desc(const struct p2pdma_reject_case *c,
				    char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p2pdma_reject, p2pdma_reject_cases, p2pdma_reject_case_desc);

/* A bad range is refused with -EINVAL and leaves no trace. */
static void p2pdma_test_add_rejects(struct kunit *test)
{
	const struct p2pdma_reject_case *c = test->param_value;
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");

	KUNIT_EXPECT_EQ(test,
			pci_p2pdma_add_resource(pdev, c->bar, c->size,
						c->offset),
			-EINVAL);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(pdev->p2pdma));
	KUNIT_EXPECT_FALSE(test, pci_has_p2pmem(pdev));
	KUNIT_EXPECT_FALSE(test, p2pdma_test_has_group(pdev));
	KUNIT_EXPECT_NULL(test, p2pdma_test_alloc(test, pdev, PAGE_SIZE));

	/* Nothing half-done stands in the way of a good range. */
	KUNIT_EXPECT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, 0), 0);
	KUNIT_EXPECT_TRUE(test, p2pdma_test_has_group(pdev));
}

/* Size 0 offers the whole BAR; the memory is unpublished until asked. */
static void p2pdma_test_add_whole_bar(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct p2pdma_test_alloc *a;

	KUNIT_EXPECT_NULL(test, p2pdma_test_alloc(test, pdev, PAGE_SIZE));
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, 0), 0);
	KUNIT_EXPECT_NOT_NULL(test, rcu_access_pointer(pdev->p2pdma));
	KUNIT_EXPECT_TRUE(test, p2pdma_test_has_group(pdev));
	KUNIT_EXPECT_FALSE(test, pci_has_p2pmem(pdev));

	a = p2pdma_test_alloc(test, pdev, BAR_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, a);
	p2pdma_test_check_alloc(test, a, 0);
	KUNIT_EXPECT_NULL(test, p2pdma_test_alloc(test, pdev, PAGE_SIZE));

	/* Freed memory can be had again. */
	p2pdma_test_free(test, a);
	a = p2pdma_test_alloc(test, pdev, PAGE_SIZE);
	KUNIT_EXPECT_NOT_NULL(test, a);
}

/* Size 0 from an offset offers the rest of the BAR. */
static void p2pdma_test_add_rest_of_bar(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct p2pdma_test_alloc *a;

	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, SZ_2M), 0);
	KUNIT_EXPECT_NULL(test, p2pdma_test_alloc(test, pdev,
						  BAR_SIZE - SZ_2M + SZ_4K));
	a = p2pdma_test_alloc(test, pdev, BAR_SIZE - SZ_2M);
	KUNIT_ASSERT_NOT_NULL(test, a);
	p2pdma_test_check_alloc(test, a, SZ_2M);
	KUNIT_EXPECT_NULL(test, p2pdma_test_alloc(test, pdev, PAGE_SIZE));
}

/* Two ranges of one BAR add up, and the hole between them is not used. */
static void p2pdma_test_add_two_ranges(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct p2pdma_test_alloc *big, *small;

	/* memremap_pages() works in 2 MiB sections: keep ranges aligned. */
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, SZ_2M, 0), 0);
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, SZ_4M, SZ_4M),
			0);

	/* Only the second range can hold 4 MiB, only the first 2 more. */
	big = p2pdma_test_alloc(test, pdev, SZ_4M);
	KUNIT_ASSERT_NOT_NULL(test, big);
	p2pdma_test_check_alloc(test, big, SZ_4M);
	small = p2pdma_test_alloc(test, pdev, SZ_2M);
	KUNIT_ASSERT_NOT_NULL(test, small);
	p2pdma_test_check_alloc(test, small, 0);
	KUNIT_EXPECT_NULL(test, p2pdma_test_alloc(test, pdev, PAGE_SIZE));
}

/* Small allocations, their bus addresses and pages. */
static void p2pdma_test_alloc_and_free(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct pci_dev *rp = pci_upstream_bridge(pdev);
	struct p2pdma_test_alloc *a, *b;
	pci_bus_addr_t bus_a, bus_b;
	void *ram;

	/* The fabric maps BARs at bus addresses other than CPU addresses. */
	KUNIT_ASSERT_NE(test, pci_bus_address(pdev, 0),
			(pci_bus_addr_t)pci_resource_start(pdev, 0));
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, 0), 0);

	a = p2pdma_test_alloc(test, pdev, PAGE_SIZE);
	b = p2pdma_test_alloc(test, pdev, SZ_64K);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	bus_a = pci_p2pmem_virt_to_bus(pdev, a->addr);
	bus_b = pci_p2pmem_virt_to_bus(pdev, b->addr);
	KUNIT_EXPECT_EQ(test, bus_a, p2pdma_test_bus_addr(pdev, a->addr));
	KUNIT_EXPECT_EQ(test, bus_b, p2pdma_test_bus_addr(pdev, b->addr));
	/* Inside the BAR, and not overlapping. */
	KUNIT_EXPECT_GE(test, bus_a, pci_bus_address(pdev, 0));
	KUNIT_EXPECT_LE(test, bus_a + PAGE_SIZE,
			pci_bus_address(pdev, 0) + BAR_SIZE);
	KUNIT_EXPECT_GE(test, bus_b, pci_bus_address(pdev, 0));
	KUNIT_EXPECT_LE(test, bus_b + SZ_64K,
			pci_bus_address(pdev, 0) + BAR_SIZE);
	KUNIT_EXPECT_TRUE(test, bus_a + PAGE_SIZE <= bus_b ||
					bus_b + SZ_64K <= bus_a);
	KUNIT_EXPECT_TRUE(test, is_pci_p2pdma_page(virt_to_page(a->addr)));
	KUNIT_EXPECT_TRUE(test,
			  is_pci_p2pdma_page(virt_to_page(b->addr + SZ_32K)));
	/* The address inside an allocation translates too. */
	KUNIT_EXPECT_EQ(test, pci_p2pmem_virt_to_bus(pdev, b->addr + SZ_32K),
			bus_b + SZ_32K);
	KUNIT_EXPECT_EQ(test, pci_p2pmem_virt_to_bus(pdev, NULL), 0);

	/* RAM is not P2P memory. */
	ram = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ram);
	KUNIT_EXPECT_FALSE(test, is_pci_p2pdma_page(virt_to_page(ram)));

	/* More than is left, or from a device that offers none. */
	KUNIT_EXPECT_NULL(test, p2pdma_test_alloc(test, pdev, BAR_SIZE));
	KUNIT_ASSERT_NOT_NULL(test, rp);
	KUNIT_EXPECT_NULL(test, p2pdma_test_alloc(test, rp, PAGE_SIZE));

	p2pdma_test_free(test, a);
	p2pdma_test_free(test, b);
	/* With everything back, the whole BAR fits in one allocation. */
	KUNIT_EXPECT_NOT_NULL(test, p2pdma_test_alloc(test, pdev, BAR_SIZE));
}

KUNIT_DEFINE_ACTION_WRAPPER(p2pdma_test_put_pdev, pci_dev_put,
			    struct pci_dev *);

struct p2pdma_test_sgl {
	struct pci_dev *pdev;
	struct scatterlist *sgl;
};

static void p2pdma_test_sgl_free(void *data)
{
	struct p2pdma_test_sgl *s = data;

	pci_p2pmem_free_sgl(s->pdev, s->sgl);
}

/* A scatterlist of P2P memory covers the length asked for, in the BAR. */
static void p2pdma_test_sgl(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	pci_bus_addr_t bar = pci_bus_address(pdev, 0);
	struct p2pdma_test_sgl *s;
	struct scatterlist *sg, *more;
	unsigned int nents = 0;
	u64 total = 0;
	int i;

	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, 0), 0);
	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->pdev = pdev;
	s->sgl = pci_p2pmem_alloc_sgl(pdev, &nents, SZ_64K);
	KUNIT_ASSERT_NOT_NULL(test, s->sgl);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, p2pdma_test_sgl_free,
						  s),
			0);
	KUNIT_ASSERT_GE(test, nents, 1);

	for_each_sg(s->sgl, sg, nents, i) {
		pci_bus_addr_t bus = pci_p2pmem_virt_to_bus(pdev, sg_virt(sg));

		KUNIT_EXPECT_TRUE(test, is_pci_p2pdma_page(sg_page(sg)));
		KUNIT_EXPECT_EQ(test, bus,
				p2pdma_test_bus_addr(pdev, sg_virt(sg)));
		KUNIT_EXPECT_GE(test, bus, bar);
		KUNIT_EXPECT_LE(test, bus + sg->length, bar + BAR_SIZE);
		total += sg->length;
	}
	KUNIT_EXPECT_EQ(test, total, SZ_64K);

	/* Not more than there is. */
	more = pci_p2pmem_alloc_sgl(pdev, &nents, BAR_SIZE);
	KUNIT_EXPECT_NULL(test, more);
	if (more)
		pci_p2pmem_free_sgl(pdev, more);

	/* Freeing the list gives all of it back. */
	kunit_release_action(test, p2pdma_test_sgl_free, s);
	KUNIT_EXPECT_NOT_NULL(test, p2pdma_test_alloc(test, pdev, BAR_SIZE));
}

/* pci_p2pmem_find_many(), with a reference dropped when the test ends. */
static struct pci_dev *p2pdma_test_find(struct kunit *test,
					struct device **clients, int num)
{
	struct pci_dev *found = pci_p2pmem_find_many(clients, num);
	int ret;

	if (found) {
		ret = kunit_add_action_or_reset(test, p2pdma_test_put_pdev,
						found);
		KUNIT_ASSERT_EQ(test, ret, 0);
	}
	return found;
}

/* The closest published provider is found; unpublished ones never are. */
static void p2pdma_test_publish_find(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *client, *near, *far;
	struct device *one[1], *two[2];

	fabric = p2pdma_test_fabric_create(test, &two_providers_topo);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fabric);
	client = p2pdma_test_fabric_dev(fabric, "client");
	near = p2pdma_test_fabric_dev(fabric, "near");
	far = p2pdma_test_fabric_dev(fabric, "far");
	KUNIT_ASSERT_NOT_NULL(test, client);
	KUNIT_ASSERT_NOT_NULL(test, near);
	KUNIT_ASSERT_NOT_NULL(test, far);
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(near, 0, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(far, 0, 0, 0), 0);
	one[0] = &client->dev;
	two[0] = &client->dev;
	two[1] = &far->dev;

	/* Registered is not published. */
	KUNIT_EXPECT_FALSE(test, pci_has_p2pmem(near));
	KUNIT_EXPECT_NULL(test, p2pdma_test_find(test, one, 1));

	pci_p2pmem_publish(near, true);
	pci_p2pmem_publish(far, true);
	KUNIT_EXPECT_TRUE(test, pci_has_p2pmem(near));
	KUNIT_EXPECT_TRUE(test, pci_has_p2pmem(far));
	/* near is 2 from the client, far is 4. */
	KUNIT_EXPECT_PTR_EQ(test, p2pdma_test_find(test, one, 1), near);
	/* With far as a second client: near is 2 + 4 away, far 4 + 0. */
	KUNIT_EXPECT_PTR_EQ(test, p2pdma_test_find(test, two, 2), far);

	pci_p2pmem_publish(near, false);
	KUNIT_EXPECT_FALSE(test, pci_has_p2pmem(near));
	KUNIT_EXPECT_PTR_EQ(test, p2pdma_test_find(test, one, 1), far);

	pci_p2pmem_publish(far, false);
	KUNIT_EXPECT_NULL(test, p2pdma_test_find(test, one, 1));
}

/*
 * A bus address bypasses the IOMMU and swiotlb: a client whose DMA mask
 * cannot express the provider's bus addresses must be refused, not handed
 * an address it will truncate, and orchestrators must not offer it that
 * provider.  The fabric's BARs sit above 4 GiB.
 */
static void p2pdma_test_bus_addr_dma_mask(struct kunit *test)
{
	struct pci_p2pdma_map_state state = {};
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *client, *far;
	struct p2pdma_test_alloc *a;
	struct device *clients[1], *child;
	struct scatterlist sg;
	u64 saved_mask;
	char *why;

	fabric = p2pdma_test_fabric_create(test, &two_providers_topo);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fabric);
	client = p2pdma_test_fabric_dev(fabric, "client");
	far = p2pdma_test_fabric_dev(fabric, "far");
	KUNIT_ASSERT_NOT_NULL(test, client);
	KUNIT_ASSERT_NOT_NULL(test, far);
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(far, 0, 0, 0), 0);
	a = p2pdma_test_alloc(test, far, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_GT(test, p2pdma_test_bus_addr(far, a->addr),
			(pci_bus_addr_t)DMA_BIT_MASK(32));
	KUNIT_ASSERT_NOT_NULL(test, client->dev.dma_mask);
	saved_mask = *client->dev.dma_mask;
	clients[0] = &client->dev;

	*client->dev.dma_mask = DMA_BIT_MASK(32);
	KUNIT_EXPECT_EQ(test,
			pci_p2pdma_map_state_update(&state, &client->dev,
						    virt_to_page(a->addr),
						    DMA_BIDIRECTIONAL),
			PCI_P2PDMA_MAP_NOT_SUPPORTED);
	/* Orchestrators must not choose what every I/O would be refused. */
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(far, &client->dev, true), -1);
	/* nvmet names the disk, whose PCI function has the mask. */
	child = p2pdma_test_fabric_child(test, client);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, child);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(far, child, false), -1);
	pci_p2pmem_publish(far, true);
	KUNIT_EXPECT_NULL(test, p2pdma_test_find(test, clients, 1));
	why = p2pdma_explain_alloc(far, &client->dev);
	KUNIT_EXPECT_NOT_NULL(test, why);
	if (why)
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, "DMA mask"),
					  "explanation: %s", why);
	kfree(why);

	*client->dev.dma_mask = DMA_BIT_MASK(64);
	KUNIT_EXPECT_EQ(test,
			pci_p2pdma_map_state_update(&state, &client->dev,
						    virt_to_page(a->addr),
						    DMA_BIDIRECTIONAL),
			PCI_P2PDMA_MAP_BUS_ADDR);
	KUNIT_EXPECT_GT(test, pci_p2pdma_distance(far, &client->dev, false), 0);
	KUNIT_EXPECT_GT(test, pci_p2pdma_distance(far, child, false), 0);
	KUNIT_EXPECT_PTR_EQ(test, p2pdma_test_find(test, clients, 1), far);
	sg_init_table(&sg, 1);
	sg_set_page(&sg, virt_to_page(a->addr), PAGE_SIZE, 0);
	pci_p2pdma_map_bus_addr(&state, &sg);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sg),
			p2pdma_test_bus_addr(far, a->addr));
	KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(&sg));

	*client->dev.dma_mask = saved_mask;
}

/* A string pci_p2pdma_enable_store() must refuse with @err (0: any). */
static void p2pdma_test_store_fails(struct kunit *test, const char *str,
				    int err)
{
	struct pci_dev *p2p_dev = NULL;
	bool use = false;
	int ret;

	ret = pci_p2pdma_enable_store(str, &p2p_dev, &use);
	if (!err)
		KUNIT_EXPECT_TRUE_MSG(test, ret == -EINVAL || ret == -ENODEV,
				      "\"%s\" returned %d", str, ret);
	else
		KUNIT_EXPECT_EQ_MSG(test, ret, err, "\"%s\"", str);
	KUNIT_EXPECT_NULL_MSG(test, p2p_dev, "\"%s\"", str);
	/* Do not leak the reference of a wrongly accepted device. */
	pci_dev_put(p2p_dev);
}

/* The boolean-or-device-name strings of P2P configuration attributes. */
static void p2pdma_test_enable_store_show(struct kunit *test)
{
	static const struct {
		const char *str;
		bool use;
	} bools[] = {
		{ "0", false },	 { "1", true },	   { "yes", true },
		{ "no", false }, { "1\n", true },  { "0\n", false },
		{ "ON", true },	 { "off", false }, { "True", true },
		{ "n", false },
	};
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct pci_dev *rp = pci_upstream_bridge(pdev);
	struct pci_dev *p2p_dev;
	char name[32], *page;
	bool use;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, 0), 0);

	for (i = 0; i < ARRAY_SIZE(bools); i++) {
		p2p_dev = NULL;
		use = !bools[i].use;
		KUNIT_EXPECT_EQ_MSG(test,
				    pci_p2pdma_enable_store(bools[i].str,
							    &p2p_dev, &use),
				    0, "\"%s\"", bools[i].str);
		KUNIT_EXPECT_EQ_MSG(test, use, bools[i].use, "\"%s\"",
				    bools[i].str);
		KUNIT_EXPECT_NULL_MSG(test, p2p_dev, "\"%s\"", bools[i].str);
	}

	/* A registered provider that is not published is not accepted. */
	p2pdma_test_store_fails(test, pci_name(pdev), -ENODEV);
	/* Nor is a device with no P2P memory at all. */
	p2pdma_test_store_fails(test, pci_name(rp), -ENODEV);
	/* Neither a boolean nor a device: either error will do. */
	p2pdma_test_store_fails(test, "p2p-no-such-thing", 0);
	/*
	 * Words that only start like a boolean, and PCI names of devices
	 * that do not exist, are errors, not "false" or "true".
	 */
	p2pdma_test_store_fails(test, "not-a-device", -EINVAL);
	p2pdma_test_store_fails(test, "yesterday", -EINVAL);
	p2pdma_test_store_fails(test, "2", -EINVAL);
	p2pdma_test_store_fails(test, "0000:7f:1f.7", -ENODEV);
	p2pdma_test_store_fails(test, "7f:1f.7", -ENODEV);

	/* A published provider, by name, as written to sysfs or not. */
	pci_p2pmem_publish(pdev, true);
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s%s", pci_name(pdev),
			 i ? "\n" : "");
		p2p_dev = NULL;
		use = false;
		KUNIT_EXPECT_EQ(test,
				pci_p2pdma_enable_store(name, &p2p_dev, &use),
				0);
		KUNIT_EXPECT_TRUE(test, use);
		KUNIT_EXPECT_PTR_EQ(test, p2p_dev, pdev);
		/* The caller owns a reference. */
		pci_dev_put(p2p_dev);
	}

	page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_enable_show(page, NULL, false), 2);
	KUNIT_EXPECT_STREQ(test, page, "0\n");
	KUNIT_EXPECT_EQ(test, pci_p2pdma_enable_show(page, NULL, true), 2);
	KUNIT_EXPECT_STREQ(test, page, "1\n");
	snprintf(name, sizeof(name), "%s\n", pci_name(pdev));
	KUNIT_EXPECT_EQ(test, pci_p2pdma_enable_show(page, pdev, true),
			strlen(name));
	KUNIT_EXPECT_STREQ(test, page, name);
}

/*
 * Strings are judged whole: one that is too long once trimmed is refused,
 * not cut to a prefix that happens to be valid, and white space around a
 * valid string does not count towards the limit.
 */
static void p2pdma_test_enable_store_too_long(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct pci_dev *p2p_dev;
	char *str;
	bool use;

	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, 0), 0);
	pci_p2pmem_publish(pdev, true);
	str = kunit_kzalloc(test, 128, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, str);

	/* "1", 40 spaces, "x": its first 31 characters read as "1". */
	snprintf(str, 128, "1%40sx", "");
	p2pdma_test_store_fails(test, str, -EINVAL);
	/* A published provider's name with junk past the 31st character. */
	snprintf(str, 128, "%s%30sjunk", pci_name(pdev), "");
	p2pdma_test_store_fails(test, str, -EINVAL);
	/* 32 characters of a boolean-looking word. */
	p2pdma_test_store_fails(test, "yesyesyesyesyesyesyesyesyesyesye",
				-EINVAL);

	/* Nothing is changed on error. */
	p2p_dev = NULL;
	use = true;
	snprintf(str, 128, "0%40sx", "");
	KUNIT_EXPECT_EQ(test, pci_p2pdma_enable_store(str, &p2p_dev, &use),
			-EINVAL);
	KUNIT_EXPECT_TRUE(test, use);
	KUNIT_EXPECT_NULL(test, p2p_dev);

	/* White space around a valid string is not part of it. */
	snprintf(str, 128, "%40s0%40s\n", "", "");
	KUNIT_EXPECT_EQ(test, pci_p2pdma_enable_store(str, &p2p_dev, &use), 0);
	KUNIT_EXPECT_FALSE(test, use);
	KUNIT_EXPECT_NULL(test, p2p_dev);
	snprintf(str, 128, "%40s%s\n", "", pci_name(pdev));
	KUNIT_EXPECT_EQ(test, pci_p2pdma_enable_store(str, &p2p_dev, &use), 0);
	KUNIT_EXPECT_TRUE(test, use);
	KUNIT_EXPECT_PTR_EQ(test, p2p_dev, pdev);
	pci_dev_put(p2p_dev);
}

struct p2pdma_order_case {
	const char *name;
	phys_addr_t start;
	size_t size;
	unsigned int max_order;
	unsigned int order;
};

#define ANY_ORDER UINT_MAX

static const struct p2pdma_order_case p2pdma_order_cases[] = {
	{ "2 MiB aligned: 2 MiB folios", SZ_1G + SZ_2M, SZ_4M, ANY_ORDER,
	  PMD_ORDER },
	{ "base pages asked for", SZ_1G, SZ_4M, 0, 0 },
	{ "folios smaller than 2 MiB asked for", SZ_1G, SZ_4M, PMD_ORDER - 1,
	  0 },
	{ "start not 2 MiB aligned", SZ_1G + SZ_64K, SZ_4M, ANY_ORDER, 0 },
	{ "size not 2 MiB aligned", SZ_1G, SZ_4M + SZ_64K, ANY_ORDER, 0 },
	{ "1 GiB aligned, fewer than four 1 GiB folios", SZ_1G, 3UL * SZ_1G,
	  ANY_ORDER, PMD_ORDER },
	{ "1 GiB aligned, four 1 GiB folios", SZ_1G,
	  (size_t)P2PDMA_MIN_PUD_FOLIOS << 30, ANY_ORDER, PUD_ORDER },
	{ "four 1 GiB folios, at most 2 MiB asked for", SZ_1G,
	  (size_t)P2PDMA_MIN_PUD_FOLIOS << 30, PMD_ORDER, PMD_ORDER },
	{ "four 1 GiB folios, at most 512 MiB asked for", SZ_1G,
	  (size_t)P2PDMA_MIN_PUD_FOLIOS << 30, PUD_ORDER - 1, PMD_ORDER },
	{ "four 1 GiB folios, start 2 MiB aligned", SZ_1G + SZ_2M,
	  (size_t)P2PDMA_MIN_PUD_FOLIOS << 30, ANY_ORDER, PMD_ORDER },
};

static void p2pdma_order_case_desc(const struct p2pdma_order_case *c,
				   char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p2pdma_order, p2pdma_order_cases, p2pdma_order_case_desc);

/*
 * A range gets the largest folios its alignment allows, 1 GiB only where
 * the CPU maps 1 GiB pages and there are enough of them, and a reason
 * whenever it gets base pages.
 */
static void p2pdma_test_folio_order(struct kunit *test)
{
	const struct p2pdma_order_case *c = test->param_value;
	unsigned int want = c->order;
	const char *why = NULL;

	if (want == PUD_ORDER &&
	    (!IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD) ||
	     !arch_vmap_pud_supported(PAGE_KERNEL)))
		want = PMD_ORDER;
	if (!IS_ENABLED(CONFIG_ARCH_WANT_OPTIMIZE_DAX_VMEMMAP))
		want = 0;
	KUNIT_EXPECT_EQ(test,
			p2pdma_folio_order(c->start, c->size, c->max_order,
					   &why),
			want);
	if (want)
		KUNIT_EXPECT_NULL(test, why);
	else
		KUNIT_EXPECT_NOT_NULL(test, why);
}

/*
 * The BAR is registered in 2 MiB folios, which user mappings take whole,
 * while drivers still allocate single pages out of them, and a folio keeps
 * the count of one every folio in the pool has.
 */
static void p2pdma_test_folios(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct p2pdma_test_alloc *small;
	struct pci_p2pdma *prov;
	struct folio *folio;
	void *big;

	if (!IS_ENABLED(CONFIG_ARCH_WANT_OPTIMIZE_DAX_VMEMMAP))
		kunit_skip(test,
			   "no compound device pages on this architecture");
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, 0), 0);
	prov = rcu_dereference_protected(pdev->p2pdma, 1);
	KUNIT_EXPECT_EQ(test, prov->folio_shift, PMD_SHIFT);

	small = p2pdma_test_alloc(test, pdev, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, small);
	folio = page_folio(virt_to_page(small->addr));
	KUNIT_EXPECT_EQ(test, folio_order(folio), PMD_ORDER);
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), 1);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(folio_pfn(folio), 1UL << PMD_ORDER));

	/* Past the folio the small allocation is in, on a 2 MiB boundary. */
	KUNIT_ASSERT_NOT_NULL(test, p2pdma_get_live(pdev, 1));
	big = p2pdma_pool_alloc_aligned(prov, SZ_2M, SZ_2M);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)big, SZ_2M));
	KUNIT_EXPECT_PTR_NE(test, page_folio(virt_to_page(big)), folio);
	gen_pool_free(prov->pool, (unsigned long)big, SZ_2M);
	percpu_ref_put(&prov->users);
}

/*
 * A provider can limit the folio size of each range: the pool then mixes
 * folio sizes, and user mappings still take units of the largest.
 */
static void p2pdma_test_max_folio(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct pci_p2pdma *prov;
	void *whole, *unit;

	if (!IS_ENABLED(CONFIG_ARCH_WANT_OPTIMIZE_DAX_VMEMMAP))
		kunit_skip(test,
			   "no compound device pages on this architecture");
	/* Less than a page is refused, and leaves no trace. */
	KUNIT_EXPECT_EQ(test,
			pci_p2pdma_add_resource_max_folio(pdev, 0, SZ_4M, 0,
							  PAGE_SIZE / 2),
			-EINVAL);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(pdev->p2pdma));
	KUNIT_EXPECT_FALSE(test, p2pdma_test_has_group(pdev));

	/* A limit that is not a folio size rounds down to one: a page... */
	KUNIT_ASSERT_EQ(test,
			pci_p2pdma_add_resource_max_folio(pdev, 0, SZ_4M, 0,
							  PMD_SIZE - PAGE_SIZE),
			0);
	prov = rcu_dereference_protected(pdev->p2pdma, 1);
	KUNIT_EXPECT_EQ(test, prov->folio_shift, PAGE_SHIFT);
	/* ... and a PMD, where the range allows no more anyway. */
	KUNIT_ASSERT_EQ(test,
			pci_p2pdma_add_resource_max_folio(pdev, 0, SZ_4M, SZ_4M,
							  PMD_SIZE + PAGE_SIZE),
			0);
	KUNIT_EXPECT_EQ(test, prov->folio_shift, PMD_SHIFT);

	/* Two ranges of 4 MiB: one allocation of 4 MiB fills either. */
	KUNIT_ASSERT_NOT_NULL(test, p2pdma_get_live(pdev, 2));
	whole = p2pdma_pool_alloc_aligned(prov, SZ_4M, SZ_2M);
	unit = p2pdma_pool_alloc_aligned(prov, SZ_2M, SZ_2M);
	if (whole && unit) {
		KUNIT_EXPECT_EQ(test,
				folio_order(virt_to_folio(whole)) +
					folio_order(virt_to_folio(unit)),
				PMD_ORDER);
	} else {
		KUNIT_FAIL(test, "two ranges of 4 MiB give no 4 MiB and 2 MiB");
	}
	if (whole)
		gen_pool_free(prov->pool, (unsigned long)whole, SZ_4M);
	if (unit)
		gen_pool_free(prov->pool, (unsigned long)unit, SZ_2M);
	percpu_ref_put_many(&prov->users, 2);
}

/* KUnit's BARs have nothing behind them: account for the unit, write nothing. */
static void p2pdma_test_no_clear(void *kaddr, size_t len)
{
}

static struct p2pdma_range *p2pdma_test_first_range(struct pci_p2pdma *prov)
{
	return list_first_entry(&prov->ranges, struct p2pdma_range, node);
}

/*
 * The endpoint of one_ep_topo with its whole BAR registered in 2 MiB
 * folios: its state in @prov and its one range in @range.
 */
static struct pci_dev *p2pdma_test_clean_ep(struct kunit *test,
					    struct pci_p2pdma **prov,
					    struct p2pdma_range **range)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");

	if (!IS_ENABLED(CONFIG_ARCH_WANT_OPTIMIZE_DAX_VMEMMAP))
		kunit_skip(test,
			   "no compound device pages on this architecture");
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(pdev, 0, 0, 0), 0);
	*prov = rcu_dereference_protected(pdev->p2pdma, 1);
	*range = p2pdma_test_first_range(*prov);
	KUNIT_ASSERT_NOT_NULL(test, (*range)->uncleared);
	return pdev;
}

/*
 * Clearing ahead takes only units that are wholly free, each once, and the
 * memory it holds still counts as available.
 */
static void p2pdma_test_clean_account(struct kunit *test)
{
	struct p2pdma_range *range;
	struct pci_p2pdma *prov;
	struct pci_dev *pdev;
	unsigned long i;

	pdev = p2pdma_test_clean_ep(test, &prov, &range);

	/* A driver's page lands in the first unit, which is not cleared. */
	KUNIT_ASSERT_NOT_NULL(test, p2pdma_test_alloc(test, pdev, PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, p2pdma_clean_unit(prov, range, 0,
						   p2pdma_test_no_clear));
	for (i = 1; i < BAR_SIZE / PMD_SIZE; i++)
		KUNIT_EXPECT_TRUE(test,
				  p2pdma_clean_unit(prov, range, i,
						    p2pdma_test_no_clear));
	KUNIT_EXPECT_EQ(test, p2pdma_cleared_bytes(prov), BAR_SIZE - PMD_SIZE);
	KUNIT_EXPECT_EQ(test, p2pdma_free_bytes(prov), BAR_SIZE - PAGE_SIZE);
	/* Cleared units are out of the pool: not taken twice. */
	for (i = 0; i < BAR_SIZE / PMD_SIZE; i++)
		KUNIT_EXPECT_FALSE(test,
				   p2pdma_clean_unit(prov, range, i,
						     p2pdma_test_no_clear));
	/* The fabric's removal finds the cleared units back in the pool. */
}

/*
 * A user mapping takes cleared memory aligned as asked, and a driver whose
 * request the pool cannot serve gets the cleared memory back.
 */
static void p2pdma_test_clean_take_and_give_back(struct kunit *test)
{
	struct p2pdma_test_alloc *big;
	struct p2pdma_range *range;
	struct pci_p2pdma *prov;
	struct pci_dev *pdev;
	void *kaddr, *user;

	pdev = p2pdma_test_clean_ep(test, &prov, &range);
	kaddr = phys_to_virt(range->pgmap.range.start);

	/* Units 1 and 2 cleared: no 4 MiB run aligned to 4 MiB... */
	KUNIT_ASSERT_TRUE(test, p2pdma_clean_unit(prov, range, 1,
						  p2pdma_test_no_clear));
	KUNIT_ASSERT_TRUE(test, p2pdma_clean_unit(prov, range, 2,
						  p2pdma_test_no_clear));
	KUNIT_ASSERT_NOT_NULL(test, p2pdma_get_live(pdev, 1));
	KUNIT_EXPECT_NULL(test, p2pdma_clean_alloc(prov, SZ_4M, SZ_4M));
	/* ... but one aligned to 2 MiB, and nothing to round a size up. */
	KUNIT_EXPECT_NULL(test,
			  p2pdma_clean_alloc(prov, SZ_2M + PAGE_SIZE, SZ_2M));
	user = p2pdma_clean_alloc(prov, SZ_4M, SZ_2M);
	KUNIT_EXPECT_PTR_EQ(test, user, kaddr + SZ_2M);
	KUNIT_EXPECT_EQ(test, p2pdma_cleared_bytes(prov), 0);
	KUNIT_EXPECT_EQ(test, p2pdma_free_bytes(prov), BAR_SIZE - SZ_4M);
	/* The mapping gives its memory back to the pool. */
	if (user)
		gen_pool_free(prov->pool, (unsigned long)user, SZ_4M);
	percpu_ref_put(&prov->users);

	/* All but a unit cleared: a driver still gets the whole BAR. */
	KUNIT_ASSERT_TRUE(test, p2pdma_clean_unit(prov, range, 0,
						  p2pdma_test_no_clear));
	KUNIT_ASSERT_TRUE(test, p2pdma_clean_unit(prov, range, 2,
						  p2pdma_test_no_clear));
	KUNIT_ASSERT_TRUE(test, p2pdma_clean_unit(prov, range, 3,
						  p2pdma_test_no_clear));
	big = p2pdma_test_alloc(test, pdev, BAR_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_EXPECT_PTR_EQ(test, big->addr, kaddr);
	KUNIT_EXPECT_EQ(test, p2pdma_cleared_bytes(prov), 0);
	KUNIT_EXPECT_EQ(test, p2pdma_free_bytes(prov), 0);
	p2pdma_test_free(test, big);
	KUNIT_EXPECT_EQ(test, p2pdma_free_bytes(prov), BAR_SIZE);
}

/* A range of base pages is never cleared ahead. */
static void p2pdma_test_clean_base_pages(struct kunit *test)
{
	struct pci_dev *pdev = p2pdma_test_ep(test, &one_ep_topo, "ep");
	struct pci_p2pdma *prov;

	KUNIT_ASSERT_EQ(test,
			pci_p2pdma_add_resource_max_folio(pdev, 0, 0, 0,
							  PAGE_SIZE),
			0);
	prov = rcu_dereference_protected(pdev->p2pdma, 1);
	KUNIT_EXPECT_NULL(test, p2pdma_test_first_range(prov)->uncleared);
	KUNIT_ASSERT_NOT_NULL(test, p2pdma_get_live(pdev, 1));
	KUNIT_EXPECT_NULL(test, p2pdma_clean_alloc(prov, SZ_2M, SZ_2M));
	percpu_ref_put(&prov->users);
	KUNIT_EXPECT_EQ(test, p2pdma_free_bytes(prov), BAR_SIZE);
}

static struct kunit_case p2pdma_provider_test_cases[] = {
	KUNIT_CASE_PARAM(p2pdma_test_add_rejects, p2pdma_reject_gen_params),
	KUNIT_CASE(p2pdma_test_add_whole_bar),
	KUNIT_CASE(p2pdma_test_add_rest_of_bar),
	KUNIT_CASE(p2pdma_test_add_two_ranges),
	KUNIT_CASE_PARAM(p2pdma_test_folio_order, p2pdma_order_gen_params),
	KUNIT_CASE(p2pdma_test_folios),
	KUNIT_CASE(p2pdma_test_max_folio),
	KUNIT_CASE(p2pdma_test_clean_account),
	KUNIT_CASE(p2pdma_test_clean_take_and_give_back),
	KUNIT_CASE(p2pdma_test_clean_base_pages),
	KUNIT_CASE(p2pdma_test_alloc_and_free),
	KUNIT_CASE(p2pdma_test_sgl),
	KUNIT_CASE(p2pdma_test_publish_find),
	KUNIT_CASE(p2pdma_test_bus_addr_dma_mask),
	KUNIT_CASE(p2pdma_test_enable_store_show),
	KUNIT_CASE(p2pdma_test_enable_store_too_long),
	{}
};

static struct kunit_suite p2pdma_provider_test_suite = {
	.name = "p2pdma_provider",
	.test_cases = p2pdma_provider_test_cases,
};

kunit_test_suite(p2pdma_provider_test_suite);

MODULE_DESCRIPTION("KUnit tests of PCI P2PDMA providers");
MODULE_LICENSE("GPL");
