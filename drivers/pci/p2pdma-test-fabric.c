// SPDX-License-Identifier: GPL-2.0
/*
 * An emulated PCI Express hierarchy for the P2PDMA KUnit tests: a host
 * bridge whose config accessors serve each function's config space from
 * memory, enumerated by the PCI core like hardware.
 *
 * Config space is an array of registers with a mask of writable bits per
 * dword, which is all BAR sizing, bus numbering and bridge window
 * programming need.  Routing follows the bus number registers the PCI core
 * writes into the emulated bridges, so a function answers only once the
 * bridges above it forward to its bus, as on real hardware.
 */
#define pr_fmt(fmt) "p2pdma-test-fabric: " fmt

#include <kunit/resource.h>
#include <kunit/visibility.h>
#include <linux/bits.h>
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/ioport.h>
#include <linux/log2.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <asm/processor.h>

#include "p2pdma-test-fabric.h"

/* Fabrics alive at once; each has its own domain and 1 GiB window. */
#define P2PDMA_FABRIC_MAX 16
#define P2PDMA_FABRIC_MAX_NODES 32
/* Far from the domains firmware uses (ACPI segments are small numbers). */
#define P2PDMA_FABRIC_DOMAIN_BASE 0x1000
/*
 * CPU addresses of the windows: above any RAM a test guest has, 2 MiB
 * aligned as memremap_pages() requires, and below 1 TiB (40 physical
 * address bits, what QEMU's default CPU models offer).
 */
#define P2PDMA_FABRIC_WINDOW_BASE 0x4000000000ULL
#define P2PDMA_FABRIC_WINDOW_SIZE SZ_1G
/*
 * The windows sit at a different PCI bus address than CPU address, so that
 * code mixing the two up gets caught: bus = CPU - this.
 */
#define P2PDMA_FABRIC_BUS_OFFSET 0x3000000000ULL

/* Default device IDs, by node kind. */
#define P2PDMA_FABRIC_ROOT_PORT_ID 0x0a01
#define P2PDMA_FABRIC_SWITCH_UP_ID 0x0a02
#define P2PDMA_FABRIC_SWITCH_DOWN_ID 0x0a03
#define P2PDMA_FABRIC_ENDPOINT_ID 0x0a10
#define P2PDMA_FABRIC_VF_ID 0x0a11

/* Where the PCI Express capability lives; extended ones follow 0x100. */
#define P2PDMA_FABRIC_EXP_CAP 0x40

/* Room for each extended capability: enough for the largest, SR-IOV. */
#define P2PDMA_FABRIC_EXT_STRIDE 0x40

/* One function's config space. */
struct p2pdma_fabric_fn {
	int parent; /* index in &p2pdma_test_fabric_priv.fns */
	int pf; /* a VF's PF, index in the same array, or -1 */
	u8 vf; /* a VF's number */
	u8 bus_delta; /* a VF's bus number past its PF's */
	u8 devfn;
	u16 acs_pos; /* ACS capability, or 0 */
	u16 sriov_pos; /* SR-IOV capability, or 0 */
	u16 ext_last; /* last extended capability, or 0 */
	bool dead; /* reads all ones, see p2pdma_test_fabric_set_dead() */
	struct pci_dev *pdev; /* a VF's device once enabled, referenced */
	u32 regs[PCI_CFG_SPACE_EXP_SIZE / 4];
	u32 wmask[PCI_CFG_SPACE_EXP_SIZE / 4];
};

/**
 * struct p2pdma_test_fabric_priv - emulation state of a fabric
 * @sysdata: the root bus's sysdata; x86 keeps the PCI domain in it
 * @lock: serialises config accesses: x86 does not take pci_lock around
 *	them (PCI_LOCKLESS_CONFIG), and they may come from atomic context
 * @fns: config spaces: one per node, one for the host bridge function at
 *	00.0, then every VF of every node
 * @nr_fns: number of @fns in use
 * @busn: bus numbers of the root bus
 * @mem: the memory window, in iomem_resource while the fabric lives
 * @mem_name: name of @mem
 * @bridge: the host bridge, whose first reference is ours
 * @index: slot in p2pdma_fabric_ida, which picks the domain and window
 * @test: test that owns the fabric, or NULL
 * @reads: config reads served, see p2pdma_test_fabric_reads()
 */
struct p2pdma_test_fabric_priv {
	struct pci_sysdata sysdata;
	raw_spinlock_t lock;
	struct p2pdma_fabric_fn *fns;
	unsigned int nr_fns;
	struct resource busn;
	struct resource mem;
	char mem_name[40];
	struct pci_host_bridge *bridge;
	int index;
	struct kunit *test;
	atomic_long_t reads;
};

static DEFINE_IDA(p2pdma_fabric_ida);

static struct p2pdma_test_fabric_priv *p2pdma_fabric_of(struct pci_bus *bus)
{
	/* Child buses inherit the root bus's sysdata. */
	return container_of(bus->sysdata, struct p2pdma_test_fabric_priv,
			    sysdata);
}

static u8 p2pdma_fabric_reg8(const struct p2pdma_fabric_fn *fn,
			     unsigned int where)
{
	return fn->regs[where / 4] >> ((where & 3) * 8);
}

static u16 p2pdma_fabric_reg16(const struct p2pdma_fabric_fn *fn,
			       unsigned int where)
{
	return fn->regs[where / 4] >> ((where & 2) * 8);
}

/* A VF answers once its PF enabled it and asked for that many VFs. */
static bool p2pdma_fabric_vf_enabled(const struct p2pdma_test_fabric_priv *priv,
				     const struct p2pdma_fabric_fn *fn)
{
	const struct p2pdma_fabric_fn *pf = &priv->fns[fn->pf];

	return p2pdma_fabric_reg16(pf, pf->sriov_pos + PCI_SRIOV_CTRL) &
		       PCI_SRIOV_CTRL_VFE &&
	       fn->vf < p2pdma_fabric_reg16(pf,
					    pf->sriov_pos + PCI_SRIOV_NUM_VF);
}

/*
 * Bus number a function answers on, or -1 while the bridges above it do not
 * forward config requests to it (bus numbers not assigned yet, or cleared
 * by the PCI core while it renumbers).
 */
static int p2pdma_fabric_bus_of(const struct p2pdma_test_fabric_priv *priv,
				int i)
{
	const struct p2pdma_fabric_fn *fn = &priv->fns[i];
	int busnr, a, delta = 0;

	if (fn->pf >= 0) {
		if (!p2pdma_fabric_vf_enabled(priv, fn))
			return -1;
		delta = fn->bus_delta;
	}
	if (fn->parent < 0)
		return delta;
	busnr = p2pdma_fabric_reg8(&priv->fns[fn->parent], PCI_SECONDARY_BUS);
	if (!busnr)
		return -1;
	busnr += delta;
	for (a = fn->parent; a >= 0; a = priv->fns[a].parent) {
		const struct p2pdma_fabric_fn *br = &priv->fns[a];

		if (busnr < p2pdma_fabric_reg8(br, PCI_SECONDARY_BUS) ||
		    busnr > p2pdma_fabric_reg8(br, PCI_SUBORDINATE_BUS))
			return -1;
	}
	return busnr;
}

static int p2pdma_fabric_find(const struct p2pdma_test_fabric_priv *priv,
			      unsigned int busnr, unsigned int devfn)
{
	unsigned int i;

	for (i = 0; i < priv->nr_fns; i++)
		/* An ID register of 0 is the unused host bridge slot. */
		if (priv->fns[i].regs[0] && priv->fns[i].devfn == devfn &&
		    p2pdma_fabric_bus_of(priv, i) == busnr)
			return i;
	return -1;
}

static bool p2pdma_fabric_bad_access(int where, int size)
{
	if (size != 1 && size != 2 && size != 4)
		return true;
	return where < 0 || where + size > PCI_CFG_SPACE_EXP_SIZE ||
	       (where & (size - 1));
}

static u32 p2pdma_fabric_size_mask(int size)
{
	return size == 4 ? U32_MAX : BIT(size * 8) - 1;
}

static int p2pdma_fabric_read(struct pci_bus *bus, unsigned int devfn,
			      int where, int size, u32 *val)
{
	struct p2pdma_test_fabric_priv *priv = p2pdma_fabric_of(bus);
	unsigned long flags;
	int i;

	if (p2pdma_fabric_bad_access(where, size)) {
		*val = U32_MAX;
		return PCIBIOS_BAD_REGISTER_NUMBER;
	}

	atomic_long_inc(&priv->reads);
	raw_spin_lock_irqsave(&priv->lock, flags);
	i = p2pdma_fabric_find(priv, bus->number, devfn);
	if (i >= 0 && priv->fns[i].dead)
		*val = p2pdma_fabric_size_mask(size);
	else if (i >= 0)
		*val = (priv->fns[i].regs[where / 4] >> ((where & 3) * 8)) &
		       p2pdma_fabric_size_mask(size);
	raw_spin_unlock_irqrestore(&priv->lock, flags);

	if (i < 0) {
		/* What a master abort returns. */
		*val = p2pdma_fabric_size_mask(size);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	return PCIBIOS_SUCCESSFUL;
}

static int p2pdma_fabric_write(struct pci_bus *bus, unsigned int devfn,
			       int where, int size, u32 val)
{
	struct p2pdma_test_fabric_priv *priv = p2pdma_fabric_of(bus);
	unsigned int shift = (where & 3) * 8;
	unsigned long flags;
	u32 *reg, wmask;
	int i;

	if (p2pdma_fabric_bad_access(where, size))
		return PCIBIOS_BAD_REGISTER_NUMBER;

	raw_spin_lock_irqsave(&priv->lock, flags);
	i = p2pdma_fabric_find(priv, bus->number, devfn);
	if (i >= 0) {
		reg = &priv->fns[i].regs[where / 4];
		wmask = priv->fns[i].wmask[where / 4] &
			(p2pdma_fabric_size_mask(size) << shift);
		*reg = (*reg & ~wmask) | ((val << shift) & wmask);
	}
	raw_spin_unlock_irqrestore(&priv->lock, flags);

	return i < 0 ? PCIBIOS_DEVICE_NOT_FOUND : PCIBIOS_SUCCESSFUL;
}

static struct pci_ops p2pdma_fabric_ops = {
	.read = p2pdma_fabric_read,
	.write = p2pdma_fabric_write,
};

static void p2pdma_fabric_set(struct p2pdma_fabric_fn *fn, unsigned int where,
			      u32 val, u32 wmask)
{
	fn->regs[where / 4] = val;
	fn->wmask[where / 4] = wmask;
}

static bool p2pdma_fabric_is_bridge(enum p2pdma_test_kind kind)
{
	return kind != P2PDMA_TEST_ENDPOINT;
}

/* Does another node share @i's slot (device number on the same bus)? */
static bool p2pdma_fabric_shares_slot(const struct p2pdma_test_node *nodes,
				      unsigned int nr, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < nr; j++)
		if (j != i && nodes[j].parent == nodes[i].parent &&
		    PCI_SLOT(nodes[j].devfn) == PCI_SLOT(nodes[i].devfn))
			return true;
	return false;
}

static int p2pdma_fabric_check_node(const struct p2pdma_test_topology *topo,
				    unsigned int nr, unsigned int i)
{
	const struct p2pdma_test_node *n = &topo->nodes[i];
	const struct p2pdma_test_node *parent = NULL;
	bool has_fn0 = false;
	unsigned int j;

	if (n->vendor == 0xffff) {
		pr_err("%s: vendor ID 0xffff reads as an empty slot\n",
		       n->name);
		return -EINVAL;
	}
	if (n->parent >= (int)i || n->parent < -1) {
		pr_err("%s: parent %d is not an earlier node\n", n->name,
		       n->parent);
		return -EINVAL;
	}
	if (n->parent >= 0) {
		parent = &topo->nodes[n->parent];
		if (!p2pdma_fabric_is_bridge(parent->kind)) {
			pr_err("%s: parent %s is not a bridge\n", n->name,
			       parent->name);
			return -EINVAL;
		}
	}

	switch (n->kind) {
	case P2PDMA_TEST_ROOT_PORT:
		if (parent)
			goto bad_parent;
		break;
	case P2PDMA_TEST_SWITCH_UP:
		if (!parent || (parent->kind != P2PDMA_TEST_ROOT_PORT &&
				parent->kind != P2PDMA_TEST_SWITCH_DOWN))
			goto bad_parent;
		break;
	case P2PDMA_TEST_SWITCH_DOWN:
		if (!parent || parent->kind != P2PDMA_TEST_SWITCH_UP)
			goto bad_parent;
		break;
	case P2PDMA_TEST_ENDPOINT:
		break;
	default:
		pr_err("%s: unknown kind %d\n", n->name, n->kind);
		return -EINVAL;
	}

	/*
	 * Below a link there is device 0 only: the core scans no other,
	 * unless the device has ARI.
	 */
	if (parent && parent->kind != P2PDMA_TEST_SWITCH_UP &&
	    PCI_SLOT(n->devfn) && !n->ari) {
		pr_err("%s: %02x.%x is not device 0 of the link below %s\n",
		       n->name, PCI_SLOT(n->devfn), PCI_FUNC(n->devfn),
		       parent->name);
		return -EINVAL;
	}
	if (!parent && topo->host_vendor && PCI_SLOT(n->devfn) == 0) {
		pr_err("%s: slot 0 of the root bus holds the host bridge\n",
		       n->name);
		return -EINVAL;
	}
	if (n->bar_size &&
	    (n->kind != P2PDMA_TEST_ENDPOINT || !is_power_of_2(n->bar_size) ||
	     n->bar_size < SZ_4K || n->bar_size > SZ_256M)) {
		pr_err("%s: unsupported BAR size %#llx\n", n->name,
		       n->bar_size);
		return -EINVAL;
	}
	if (n->nr_vfs && (n->kind != P2PDMA_TEST_ENDPOINT ||
			  n->nr_vfs > P2PDMA_TEST_MAX_VFS || !n->vf_offset ||
			  (n->nr_vfs > 1 && !n->vf_stride))) {
		pr_err("%s: unsupported SR-IOV layout\n", n->name);
		return -EINVAL;
	}

	for (j = 0; j < nr; j++) {
		const struct p2pdma_test_node *o = &topo->nodes[j];

		if (j != i && !strcmp(o->name, n->name)) {
			pr_err("%s: name used twice\n", n->name);
			return -EINVAL;
		}
		if (j != i && o->parent == n->parent && o->devfn == n->devfn) {
			pr_err("%s and %s: same bus and devfn\n", n->name,
			       o->name);
			return -EINVAL;
		}
		/* With ARI, function 0 of the device is 00.0 of the bus. */
		if (o->parent == n->parent &&
		    o->devfn == (n->ari ? 0 : PCI_DEVFN(PCI_SLOT(n->devfn), 0)))
			has_fn0 = true;
	}
	/* Without function 0 the core does not look at the others. */
	if (!has_fn0) {
		pr_err("%s: its device has no function 0\n", n->name);
		return -EINVAL;
	}
	return 0;

bad_parent:
	pr_err("%s: a node of kind %d cannot sit below %s\n", n->name, n->kind,
	       parent ? parent->name : "the root bus");
	return -EINVAL;
}

/* Number of nodes of a well-formed topology, or a negative errno. */
static int p2pdma_fabric_check(const struct p2pdma_test_topology *topo)
{
	unsigned int i, nr = 0;
	int ret;

	if (!topo || topo->host_vendor == 0xffff)
		return -EINVAL;
	while (topo->nodes && topo->nodes[nr].name) {
		if (++nr > P2PDMA_FABRIC_MAX_NODES)
			return -EINVAL;
	}
	for (i = 0; i < nr; i++) {
		ret = p2pdma_fabric_check_node(topo, nr, i);
		if (ret)
			return ret;
	}
	return nr;
}

static unsigned int
p2pdma_fabric_nr_vfs(const struct p2pdma_test_topology *topo, unsigned int nr)
{
	unsigned int i, vfs = 0;

	for (i = 0; i < nr; i++)
		vfs += topo->nodes[i].nr_vfs;
	return vfs;
}

/* Header fields common to type 0 and type 1 functions. */
static void p2pdma_fabric_init_header(struct p2pdma_fabric_fn *fn, u16 vendor,
				      u16 device, u32 class, u8 hdr_type,
				      bool has_caps)
{
	p2pdma_fabric_set(fn, PCI_VENDOR_ID, vendor | (u32)device << 16, 0);
	/* Status bits are not emulated: RW1C writes of 1s change nothing. */
	p2pdma_fabric_set(fn, PCI_COMMAND,
			  has_caps ? (u32)PCI_STATUS_CAP_LIST << 16 : 0,
			  0xffff);
	p2pdma_fabric_set(fn, PCI_CLASS_REVISION, class << 8 | 0x01, 0);
	/* Cache line size and latency timer are writable. */
	p2pdma_fabric_set(fn, PCI_CACHE_LINE_SIZE, (u32)hdr_type << 16, 0xffff);
	p2pdma_fabric_set(fn, PCI_CAPABILITY_LIST,
			  has_caps ? P2PDMA_FABRIC_EXP_CAP : 0, 0);
	/* No INTx pin: portdrv then runs without interrupts, harmlessly. */
	p2pdma_fabric_set(fn, PCI_INTERRUPT_LINE, 0,
			  hdr_type & 0x7f ? 0xffff00ff : 0xff);
}

static void p2pdma_fabric_init_bridge(struct p2pdma_fabric_fn *fn)
{
	/* Bus numbers and secondary latency, programmed by the PCI core. */
	p2pdma_fabric_set(fn, PCI_PRIMARY_BUS, 0, U32_MAX);
	/* No I/O window: I/O base and limit read as 0 whatever is written. */
	p2pdma_fabric_set(fn, PCI_IO_BASE, 0, 0);
	/* Windows start disabled (base above limit), as firmware leaves them. */
	p2pdma_fabric_set(fn, PCI_MEMORY_BASE, 0x0000fff0, 0xfff0fff0);
	p2pdma_fabric_set(fn, PCI_PREF_MEMORY_BASE,
			  0x0000fff0 | PCI_PREF_RANGE_TYPE_64 |
				  PCI_PREF_RANGE_TYPE_64 << 16,
			  0xfff0fff0);
	p2pdma_fabric_set(fn, PCI_PREF_BASE_UPPER32, 0, U32_MAX);
	p2pdma_fabric_set(fn, PCI_PREF_LIMIT_UPPER32, 0, U32_MAX);
}

static void p2pdma_fabric_init_bar(struct p2pdma_fabric_fn *fn, u64 size)
{
	u64 mask = ~(size - 1);

	/* Writing all 1s reads back the size mask, as the core expects. */
	p2pdma_fabric_set(fn, PCI_BASE_ADDRESS_0,
			  PCI_BASE_ADDRESS_SPACE_MEMORY |
				  PCI_BASE_ADDRESS_MEM_TYPE_64 |
				  PCI_BASE_ADDRESS_MEM_PREFETCH,
			  lower_32_bits(mask) & PCI_BASE_ADDRESS_MEM_MASK);
	p2pdma_fabric_set(fn, PCI_BASE_ADDRESS_1, 0, upper_32_bits(mask));
}

/* A 2.5 GT/s x1 link everywhere, so nothing reports a degraded link. */
static void p2pdma_fabric_init_exp(struct p2pdma_fabric_fn *fn, u8 type,
				   u8 port)
{
	unsigned int cap = P2PDMA_FABRIC_EXP_CAP;
	u16 lnksta = PCI_EXP_LNKSTA_CLS_2_5GB | PCI_EXP_LNKSTA_NLW_X1;

	p2pdma_fabric_set(fn, cap, PCI_CAP_ID_EXP | (u32)(2 | type << 4) << 16,
			  0);
	p2pdma_fabric_set(fn, cap + PCI_EXP_DEVCAP, 0, 0);
	p2pdma_fabric_set(fn, cap + PCI_EXP_DEVCTL, 0, 0xffff);
	p2pdma_fabric_set(fn, cap + PCI_EXP_LNKCAP,
			  PCI_EXP_LNKCAP_SLS_2_5GB | 1 << 4 | (u32)port << 24,
			  0);
	p2pdma_fabric_set(fn, cap + PCI_EXP_LNKCTL, (u32)lnksta << 16, 0xffff);
	if (type == PCI_EXP_TYPE_ROOT_PORT)
		p2pdma_fabric_set(fn, cap + PCI_EXP_RTCTL, 0, 0xffff);
	/* Root and downstream ports forward ARI routing IDs (sec 6.13). */
	if (type == PCI_EXP_TYPE_ROOT_PORT || type == PCI_EXP_TYPE_DOWNSTREAM)
		p2pdma_fabric_set(fn, cap + PCI_EXP_DEVCAP2,
				  PCI_EXP_DEVCAP2_ARI, 0);
	p2pdma_fabric_set(fn, cap + PCI_EXP_DEVCTL2, 0, 0xffff);
	p2pdma_fabric_set(fn, cap + PCI_EXP_LNKCAP2, PCI_EXP_LNKCAP2_SLS_2_5GB,
			  0);
	p2pdma_fabric_set(fn, cap + PCI_EXP_LNKCTL2, PCI_EXP_LNKCTL2_TLS_2_5GT,
			  0xffff);
}

/* Chain a new extended capability after the last one, from 0x100 on. */
static unsigned int p2pdma_fabric_add_ext(struct p2pdma_fabric_fn *fn, u16 id)
{
	unsigned int pos = fn->ext_last ?
				   fn->ext_last + P2PDMA_FABRIC_EXT_STRIDE :
				   PCI_CFG_SPACE_SIZE;

	if (fn->ext_last)
		fn->regs[fn->ext_last / 4] |= pos << 20;
	p2pdma_fabric_set(fn, pos, id | 1 << 16, 0);
	fn->ext_last = pos;
	return pos;
}

static void p2pdma_fabric_init_acs(struct p2pdma_fabric_fn *fn)
{
	unsigned int cap = p2pdma_fabric_add_ext(fn, PCI_EXT_CAP_ID_ACS);

	p2pdma_fabric_set(fn, cap + PCI_ACS_CAP,
			  P2PDMA_TEST_ACS_CAPS |
				  (P2PDMA_TEST_ACS_EGRESS_BITS << 8),
			  P2PDMA_TEST_ACS_CAPS << 16);
	p2pdma_fabric_set(fn, cap + PCI_ACS_EGRESS_CTL_V, 0, U32_MAX);
	fn->acs_pos = cap;
}

/* Function numbers chain through the ARI capabilities, 0 ending it. */
static void p2pdma_fabric_init_ari(const struct p2pdma_test_node *nodes,
				   unsigned int nr, unsigned int i,
				   struct p2pdma_fabric_fn *fn)
{
	unsigned int cap = p2pdma_fabric_add_ext(fn, PCI_EXT_CAP_ID_ARI);
	unsigned int j, next = 0;

	for (j = 0; j < nr; j++)
		if (nodes[j].parent == nodes[i].parent && nodes[j].ari &&
		    nodes[j].devfn > nodes[i].devfn &&
		    (!next || nodes[j].devfn < next))
			next = nodes[j].devfn;
	p2pdma_fabric_set(fn, cap + PCI_ARI_CAP, next << 8, 0);
}

static void p2pdma_fabric_init_sriov(const struct p2pdma_test_node *n,
				     struct p2pdma_fabric_fn *fn)
{
	unsigned int cap = p2pdma_fabric_add_ext(fn, PCI_EXT_CAP_ID_SRIOV);

	/* No VF Migration: Initial VFs must equal Total VFs. */
	p2pdma_fabric_set(fn, cap + PCI_SRIOV_CAP, 0, 0);
	p2pdma_fabric_set(fn, cap + PCI_SRIOV_CTRL, 0,
			  PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE |
				  PCI_SRIOV_CTRL_ARI);
	p2pdma_fabric_set(fn, cap + PCI_SRIOV_INITIAL_VF,
			  n->nr_vfs | (u32)n->nr_vfs << 16, 0);
	/* Function Dependency Link: the PF itself. */
	p2pdma_fabric_set(fn, cap + PCI_SRIOV_NUM_VF, (u32)n->devfn << 16,
			  0xffff);
	p2pdma_fabric_set(fn, cap + PCI_SRIOV_VF_OFFSET,
			  n->vf_offset | (u32)n->vf_stride << 16, 0);
	p2pdma_fabric_set(fn, cap + PCI_SRIOV_VF_DID - 2,
			  (u32)P2PDMA_FABRIC_VF_ID << 16, 0);
	/* 4 KiB pages only; VF BARs read as 0, so VFs have none. */
	p2pdma_fabric_set(fn, cap + PCI_SRIOV_SUP_PGSIZE, 1, 0);
	p2pdma_fabric_set(fn, cap + PCI_SRIOV_SYS_PGSIZE, 1, U32_MAX);
	fn->sriov_pos = cap;
}

/*
 * VF k of the PF at @pf has routing ID PF + First VF Offset + k * VF
 * Stride (PCIe r5.0, sec 9.3.3.9 and 9.3.3.10).  Its Vendor and Device
 * IDs read as 0xffff (sec 9.3.4.1.1 and 9.3.4.1.2): the core takes them
 * from the PF.
 */
static void p2pdma_fabric_init_vf(const struct p2pdma_test_node *n, int pf,
				  u8 vf, struct p2pdma_fabric_fn *fn)
{
	unsigned int rid = n->devfn + n->vf_offset + vf * n->vf_stride;

	fn->parent = n->parent;
	fn->pf = pf;
	fn->vf = vf;
	fn->bus_delta = rid >> 8;
	fn->devfn = rid & 0xff;
	p2pdma_fabric_init_header(fn, 0xffff, 0xffff,
				  PCI_CLASS_MEMORY_OTHER << 8,
				  PCI_HEADER_TYPE_NORMAL, true);
	p2pdma_fabric_init_exp(fn, PCI_EXP_TYPE_ENDPOINT, 0);
	if (n->vf_acs)
		p2pdma_fabric_init_acs(fn);
}

static void p2pdma_fabric_init_node(const struct p2pdma_test_node *nodes,
				    unsigned int nr, unsigned int i,
				    struct p2pdma_fabric_fn *fn)
{
	static const struct {
		u16 device;
		u8 exp_type;
	} kinds[] = {
		[P2PDMA_TEST_ROOT_PORT] = { P2PDMA_FABRIC_ROOT_PORT_ID,
					    PCI_EXP_TYPE_ROOT_PORT },
		[P2PDMA_TEST_SWITCH_UP] = { P2PDMA_FABRIC_SWITCH_UP_ID,
					    PCI_EXP_TYPE_UPSTREAM },
		[P2PDMA_TEST_SWITCH_DOWN] = { P2PDMA_FABRIC_SWITCH_DOWN_ID,
					      PCI_EXP_TYPE_DOWNSTREAM },
		[P2PDMA_TEST_ENDPOINT] = { P2PDMA_FABRIC_ENDPOINT_ID,
					   PCI_EXP_TYPE_ENDPOINT },
	};
	const struct p2pdma_test_node *n = &nodes[i];
	bool bridge = p2pdma_fabric_is_bridge(n->kind);
	u8 hdr_type = bridge ? PCI_HEADER_TYPE_BRIDGE : PCI_HEADER_TYPE_NORMAL;
	u8 exp_type = kinds[n->kind].exp_type;

	if (n->multifunction || p2pdma_fabric_shares_slot(nodes, nr, i))
		hdr_type |= PCI_HEADER_TYPE_MFD;
	/* An endpoint on the root bus is integrated in the root complex. */
	if (n->kind == P2PDMA_TEST_ENDPOINT && n->parent < 0)
		exp_type = PCI_EXP_TYPE_RC_END;

	fn->parent = n->parent;
	fn->pf = -1;
	fn->devfn = n->devfn;
	p2pdma_fabric_init_header(fn, n->vendor ?: P2PDMA_TEST_VENDOR,
				  n->device ?: kinds[n->kind].device,
				  bridge ? PCI_CLASS_BRIDGE_PCI_NORMAL :
					   PCI_CLASS_MEMORY_OTHER << 8,
				  hdr_type, true);
	if (bridge)
		p2pdma_fabric_init_bridge(fn);
	else if (n->bar_size)
		p2pdma_fabric_init_bar(fn, n->bar_size);
	p2pdma_fabric_init_exp(fn, exp_type,
			       PCI_SLOT(n->devfn) + P2PDMA_TEST_PORT_BASE);
	if (n->acs)
		p2pdma_fabric_init_acs(fn);
	if (n->ari)
		p2pdma_fabric_init_ari(nodes, nr, i, fn);
	if (n->nr_vfs)
		p2pdma_fabric_init_sriov(n, fn);
}

static void p2pdma_fabric_init_host(const struct p2pdma_test_topology *topo,
				    struct p2pdma_fabric_fn *fn)
{
	/* A conventional host bridge function, as on most chipsets. */
	fn->parent = -1;
	fn->pf = -1;
	fn->devfn = PCI_DEVFN(0, 0);
	p2pdma_fabric_init_header(fn, topo->host_vendor, topo->host_device,
				  PCI_CLASS_BRIDGE_HOST << 8,
				  PCI_HEADER_TYPE_NORMAL, false);
}

/* Config space of "NODE" or of "NODE/vfK", or -1. */
static int p2pdma_fabric_fn_of(struct p2pdma_test_fabric *fabric,
			       const char *name)
{
	struct p2pdma_test_fabric_priv *priv = fabric->priv;
	const char *vf = strstr(name, "/vf");
	size_t len = vf ? vf - name : strlen(name);
	unsigned int i, node, k;

	for (node = 0; node < fabric->nr_nodes; node++) {
		const char *n = fabric->topo->nodes[node].name;

		if (strlen(n) == len && !strncmp(n, name, len))
			break;
	}
	if (node == fabric->nr_nodes)
		return -1;
	if (!vf)
		return node;
	if (kstrtouint(vf + 3, 10, &k))
		return -1;
	for (i = fabric->nr_nodes; i < priv->nr_fns; i++)
		if (priv->fns[i].pf == node && priv->fns[i].vf == k)
			return i;
	return -1;
}

static void p2pdma_fabric_poke(struct p2pdma_test_fabric_priv *priv,
			       unsigned int i, unsigned int where, u32 val,
			       u32 mask)
{
	u32 *reg = &priv->fns[i].regs[where / 4];
	unsigned long flags;

	raw_spin_lock_irqsave(&priv->lock, flags);
	*reg = (*reg & ~mask) | (val & mask);
	raw_spin_unlock_irqrestore(&priv->lock, flags);
}

/* Turn every ACS control bit and egress vector bit off. */
static void p2pdma_fabric_clear_acs(struct p2pdma_test_fabric_priv *priv,
				    unsigned int i)
{
	unsigned int cap = priv->fns[i].acs_pos;

	p2pdma_fabric_poke(priv, i, cap + PCI_ACS_CAP, 0, 0xffff0000);
	p2pdma_fabric_poke(priv, i, cap + PCI_ACS_EGRESS_CTL_V, 0, U32_MAX);
}

static int p2pdma_fabric_acs_fn(struct p2pdma_test_fabric *fabric,
				const char *name)
{
	int i = p2pdma_fabric_fn_of(fabric, name);

	if (i < 0)
		return -ENOENT;
	if (!fabric->priv->fns[i].acs_pos)
		return -EINVAL;
	return i;
}

int p2pdma_test_fabric_set_acs(struct p2pdma_test_fabric *fabric,
			       const char *name, u16 ctrl)
{
	int i = p2pdma_fabric_acs_fn(fabric, name);

	if (i < 0)
		return i;
	p2pdma_fabric_poke(fabric->priv, i,
			   fabric->priv->fns[i].acs_pos + PCI_ACS_CAP,
			   (u32)(ctrl & P2PDMA_TEST_ACS_CAPS) << 16,
			   0xffff0000);
	return 0;
}

int p2pdma_test_fabric_set_egress(struct p2pdma_test_fabric *fabric,
				  const char *name, u32 vector)
{
	int i = p2pdma_fabric_acs_fn(fabric, name);

	if (i < 0)
		return i;
	p2pdma_fabric_poke(fabric->priv, i,
			   fabric->priv->fns[i].acs_pos + PCI_ACS_EGRESS_CTL_V,
			   vector, U32_MAX);
	return 0;
}

int p2pdma_test_fabric_set_dead(struct p2pdma_test_fabric *fabric,
				const char *name, bool dead)
{
	struct p2pdma_test_fabric_priv *priv = fabric->priv;
	int i = p2pdma_fabric_fn_of(fabric, name);
	unsigned long flags;

	if (i < 0)
		return -ENOENT;
	raw_spin_lock_irqsave(&priv->lock, flags);
	priv->fns[i].dead = dead;
	raw_spin_unlock_irqrestore(&priv->lock, flags);
	return 0;
}

struct pci_dev *p2pdma_test_fabric_dev(struct p2pdma_test_fabric *fabric,
				       const char *name)
{
	int i = p2pdma_fabric_fn_of(fabric, name);

	if (i < 0)
		return NULL;
	return i < fabric->nr_nodes ? fabric->pdevs[i] :
				      fabric->priv->fns[i].pdev;
}
EXPORT_SYMBOL_IF_KUNIT(p2pdma_test_fabric_dev);

unsigned long p2pdma_test_fabric_reads(struct p2pdma_test_fabric *fabric)
{
	return atomic_long_read(&fabric->priv->reads);
}

static void p2pdma_fabric_child_release(struct device *dev)
{
	kfree(dev);
}

static void p2pdma_fabric_child_action(void *dev)
{
	device_unregister(dev);
}

struct device *p2pdma_test_fabric_child(struct kunit *test,
					struct pci_dev *parent)
{
	struct device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	int ret;

	if (!dev)
		return ERR_PTR(-ENOMEM);
	device_initialize(dev);
	dev->parent = &parent->dev;
	dev->release = p2pdma_fabric_child_release;
	ret = dev_set_name(dev, "%s-p2pdma-child", pci_name(parent));
	if (!ret)
		ret = device_add(dev);
	if (ret) {
		put_device(dev);
		return ERR_PTR(ret);
	}
	/* Registered after the fabric, so removed before it. */
	ret = kunit_add_action_or_reset(test, p2pdma_fabric_child_action, dev);
	return ret ? ERR_PTR(ret) : dev;
}

struct pci_dev *p2pdma_test_fabric_node(struct p2pdma_test_fabric *fabric,
					unsigned int index)
{
	return index < fabric->nr_nodes ? fabric->pdevs[index] : NULL;
}

/* Reference the device the core created for a function, or NULL. */
static struct pci_dev *p2pdma_fabric_lookup(struct p2pdma_test_fabric *fabric,
					    unsigned int i)
{
	struct p2pdma_test_fabric_priv *priv = fabric->priv;
	unsigned long flags;
	int busnr;

	raw_spin_lock_irqsave(&priv->lock, flags);
	busnr = p2pdma_fabric_bus_of(priv, i);
	raw_spin_unlock_irqrestore(&priv->lock, flags);
	if (busnr < 0)
		return NULL;
	return pci_get_domain_bus_and_slot(fabric->domain, busnr,
					   priv->fns[i].devfn);
}

/*
 * The window is above 4 GiB: give endpoints the 64-bit DMA mask their
 * drivers would set, or bus addresses would be out of their reach.
 */
static void p2pdma_fabric_set_dma_mask(struct pci_dev *pdev)
{
	if (pci_pcie_type(pdev) == PCI_EXP_TYPE_ENDPOINT ||
	    pci_pcie_type(pdev) == PCI_EXP_TYPE_RC_END)
		pdev->dma_mask = DMA_BIT_MASK(64);
}

/* Find every node's device and check it came out as described. */
static int p2pdma_fabric_collect(struct p2pdma_test_fabric *fabric)
{
	const struct p2pdma_test_topology *topo = fabric->topo;
	struct p2pdma_test_fabric_priv *priv = fabric->priv;
	unsigned int i;

	if (topo->host_vendor) {
		fabric->host = p2pdma_fabric_lookup(fabric, fabric->nr_nodes);
		if (!fabric->host) {
			pr_err("%04x: host bridge function not enumerated\n",
			       fabric->domain);
			return -ENODEV;
		}
	}

	for (i = 0; i < fabric->nr_nodes; i++) {
		const struct p2pdma_test_node *n = &topo->nodes[i];
		struct pci_dev *pdev = p2pdma_fabric_lookup(fabric, i);
		struct resource *bar;

		fabric->pdevs[i] = pdev;
		if (!pdev) {
			pr_err("%04x: %s not enumerated\n", fabric->domain,
			       n->name);
			return -ENODEV;
		}
		p2pdma_fabric_set_dma_mask(pdev);
		if (pdev->vendor != (n->vendor ?: P2PDMA_TEST_VENDOR) ||
		    (n->device && pdev->device != n->device)) {
			pci_err(pdev, "is not %s\n", n->name);
			return -ENODEV;
		}
		if (!n->bar_size)
			continue;
		bar = pci_resource_n(pdev, 0);
		if (!bar->parent || resource_size(bar) != n->bar_size ||
		    !(bar->flags & IORESOURCE_MEM_64)) {
			pci_err(pdev,
				"%s: BAR 0 %pR not assigned as described\n",
				n->name, bar);
			return -ENOSPC;
		}
	}

	/*
	 * With an IOMMU, or with pci=config_acs=, the core enabled ACS bits
	 * during enumeration.  Tests want the state they ask for.
	 */
	for (i = 0; i < fabric->nr_nodes; i++)
		if (priv->fns[i].acs_pos)
			p2pdma_fabric_clear_acs(priv, i);
	return 0;
}

int p2pdma_test_fabric_enable_vfs(struct p2pdma_test_fabric *fabric,
				  const char *name)
{
	struct p2pdma_test_fabric_priv *priv = fabric->priv;
	int node = p2pdma_fabric_fn_of(fabric, name);
	unsigned int i;
	int ret;

	if (node < 0 || node >= fabric->nr_nodes ||
	    !fabric->topo->nodes[node].nr_vfs)
		return -ENOENT;
	ret = pci_enable_sriov(fabric->pdevs[node],
			       fabric->topo->nodes[node].nr_vfs);
	if (ret)
		return ret;
	for (i = fabric->nr_nodes; i < priv->nr_fns; i++) {
		struct p2pdma_fabric_fn *fn = &priv->fns[i];

		if (fn->pf != node)
			continue;
		fn->pdev = p2pdma_fabric_lookup(fabric, i);
		if (!fn->pdev) {
			pr_err("%04x: VF %u of %s not enumerated\n",
			       fabric->domain, fn->vf, name);
			return -ENODEV;
		}
		p2pdma_fabric_set_dma_mask(fn->pdev);
		/* As for the nodes: whatever enumeration set, start clean. */
		if (fn->acs_pos)
			p2pdma_fabric_clear_acs(priv, i);
	}
	return 0;
}

static void p2pdma_fabric_teardown(struct p2pdma_test_fabric *fabric)
{
	struct p2pdma_test_fabric_priv *priv = fabric->priv;
	unsigned int i;

	/* VFs go first, through their PF, as a PF driver would have them. */
	if (fabric->pdevs)
		for (i = 0; i < fabric->nr_nodes; i++)
			if (fabric->pdevs[i] && pci_num_vf(fabric->pdevs[i]))
				pci_disable_sriov(fabric->pdevs[i]);
	for (i = fabric->nr_nodes; priv->fns && i < priv->nr_fns; i++)
		pci_dev_put(priv->fns[i].pdev);
	if (fabric->root_bus) {
		pci_lock_rescan_remove();
		pci_stop_root_bus(fabric->root_bus);
		pci_remove_root_bus(fabric->root_bus);
		pci_unlock_rescan_remove();
	}
	/* Our references kept the removed devices' memory alive until now. */
	if (fabric->pdevs)
		for (i = 0; i < fabric->nr_nodes; i++)
			pci_dev_put(fabric->pdevs[i]);
	pci_dev_put(fabric->host);
	/* pci_remove_root_bus() leaves the creator's reference to us. */
	if (priv->bridge)
		put_device(&priv->bridge->dev);
	if (priv->mem.parent)
		release_resource(&priv->mem);
	if (priv->index >= 0)
		ida_free(&p2pdma_fabric_ida, priv->index);
	kvfree(priv->fns);
	kfree(priv);
	kfree(fabric->pdevs);
	kfree(fabric);
}

static void p2pdma_fabric_action(void *data)
{
	p2pdma_fabric_teardown(data);
}

/* Claim the window in iomem_resource and describe the root bus. */
static int p2pdma_fabric_resources(struct p2pdma_test_fabric *fabric,
				   struct list_head *resources)
{
	struct p2pdma_test_fabric_priv *priv = fabric->priv;
	u64 start = P2PDMA_FABRIC_WINDOW_BASE +
		    (u64)priv->index * P2PDMA_FABRIC_WINDOW_SIZE;
	u64 end = start + P2PDMA_FABRIC_WINDOW_SIZE - 1;
	int ret;

	if (end >> boot_cpu_data.x86_phys_bits) {
		pr_err("%04x: window %#llx-%#llx is beyond %u physical address bits\n",
		       fabric->domain, start, end, boot_cpu_data.x86_phys_bits);
		return -ERANGE;
	}

	priv->busn.name = priv->mem_name;
	priv->busn.start = 0;
	priv->busn.end = 0xff;
	priv->busn.flags = IORESOURCE_BUS;

	snprintf(priv->mem_name, sizeof(priv->mem_name),
		 "p2pdma test fabric %04x", fabric->domain);
	priv->mem.name = priv->mem_name;
	priv->mem.start = start;
	priv->mem.end = end;
	priv->mem.flags = IORESOURCE_MEM | IORESOURCE_MEM_64;
	/* Fail rather than nest if anything already lives there. */
	ret = request_resource(&iomem_resource, &priv->mem);
	if (ret) {
		pr_err("%04x: window %pR is taken: %d\n", fabric->domain,
		       &priv->mem, ret);
		return ret;
	}

	pci_add_resource(resources, &priv->busn);
	pci_add_resource_offset(resources, &priv->mem,
				P2PDMA_FABRIC_BUS_OFFSET);
	return 0;
}

static int p2pdma_fabric_enumerate(struct p2pdma_test_fabric *fabric)
{
	struct p2pdma_test_fabric_priv *priv = fabric->priv;
	LIST_HEAD(resources);
	struct pci_bus *bus;
	int ret;

	ret = p2pdma_fabric_resources(fabric, &resources);
	if (ret)
		return ret;

	/* Serialise against hotplug and rescans, as pci_rescan_bus() does. */
	pci_lock_rescan_remove();
	bus = pci_create_root_bus(NULL, 0, &p2pdma_fabric_ops, &priv->sysdata,
				  &resources);
	if (!bus) {
		pci_unlock_rescan_remove();
		/* Empty unless pci_create_root_bus() failed before using it. */
		pci_free_resource_list(&resources);
		pr_err("%04x: cannot create the root bus\n", fabric->domain);
		return -ENOMEM;
	}
	fabric->root_bus = bus;
	priv->bridge = to_pci_host_bridge(bus->bridge);

	pci_scan_child_bus(bus);
	pci_bus_size_bridges(bus);
	pci_bus_assign_resources(bus);
	pci_bus_add_devices(bus);
	pci_unlock_rescan_remove();
	return 0;
}

struct p2pdma_test_fabric *
p2pdma_test_fabric_create(struct kunit *test,
			  const struct p2pdma_test_topology *topo)
{
	struct p2pdma_test_fabric_priv *priv;
	struct p2pdma_test_fabric *fabric;
	unsigned int i, k, nr, vf;
	int ret;

	ret = p2pdma_fabric_check(topo);
	if (ret < 0)
		return ERR_PTR(ret);
	nr = ret;

	fabric = kzalloc(sizeof(*fabric), GFP_KERNEL);
	if (!fabric)
		return ERR_PTR(-ENOMEM);
	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv) {
		kfree(fabric);
		return ERR_PTR(-ENOMEM);
	}
	fabric->priv = priv;
	fabric->topo = topo;
	fabric->nr_nodes = nr;
	priv->index = -1;
	priv->test = test;
	raw_spin_lock_init(&priv->lock);

	priv->index = ida_alloc_max(&p2pdma_fabric_ida, P2PDMA_FABRIC_MAX - 1,
				    GFP_KERNEL);
	if (priv->index < 0) {
		ret = priv->index;
		goto err;
	}
	fabric->domain = P2PDMA_FABRIC_DOMAIN_BASE + priv->index;
	priv->sysdata.domain = fabric->domain;
	priv->sysdata.node = NUMA_NO_NODE;

	ret = -ENOMEM;
	fabric->pdevs = kcalloc(nr ?: 1, sizeof(*fabric->pdevs), GFP_KERNEL);
	/* After the nodes, the host bridge's 00.0 (absent without one). */
	priv->nr_fns = nr + 1 + p2pdma_fabric_nr_vfs(topo, nr);
	priv->fns = kvcalloc(priv->nr_fns, sizeof(*priv->fns), GFP_KERNEL);
	if (!fabric->pdevs || !priv->fns)
		goto err;
	for (i = 0; i < nr; i++)
		p2pdma_fabric_init_node(topo->nodes, nr, i, &priv->fns[i]);
	if (topo->host_vendor)
		p2pdma_fabric_init_host(topo, &priv->fns[nr]);
	else
		priv->fns[nr].pf = -1;
	vf = nr + 1;
	for (i = 0; i < nr; i++)
		for (k = 0; k < topo->nodes[i].nr_vfs; k++)
			p2pdma_fabric_init_vf(&topo->nodes[i], i, k,
					      &priv->fns[vf++]);

	ret = p2pdma_fabric_enumerate(fabric);
	if (!ret)
		ret = p2pdma_fabric_collect(fabric);
	if (ret)
		goto err;

	if (test) {
		ret = kunit_add_action_or_reset(test, p2pdma_fabric_action,
						fabric);
		if (ret)
			return ERR_PTR(ret);
	}
	return fabric;

err:
	p2pdma_fabric_teardown(fabric);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(p2pdma_test_fabric_create);

void p2pdma_test_fabric_destroy(struct p2pdma_test_fabric *fabric)
{
	if (!fabric)
		return;
	if (fabric->priv->test)
		kunit_release_action(fabric->priv->test, p2pdma_fabric_action,
				     fabric);
	else
		p2pdma_fabric_teardown(fabric);
}
EXPORT_SYMBOL_IF_KUNIT(p2pdma_test_fabric_destroy);
