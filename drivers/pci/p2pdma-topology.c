// SPDX-License-Identifier: GPL-2.0
/*
 * Can a client reach a provider's BAR, how must it address it, how far is it.
 *
 * PCIe guarantees peer traffic only below a common switch: a request that
 * meets no port redirecting it upstream (ACS) turns around at the nearest
 * common bridge, and the client uses the provider's PCI bus address.  Any
 * other path goes through a root complex, which forwards peer traffic only
 * on hardware known to do so (the allow-list); there the client maps the
 * memory like host memory, through the IOMMU if it has one.
 *
 * Judging a pair never sleeps: the DMA mapping code asks from atomic
 * context the first time it meets a (provider, client) pair.  Verdicts are
 * cached per pair and dropped whenever a PCI device comes or goes.  The
 * orchestrators' distance query lives here too, so that its loop over the
 * clients inlines the cache lookup; only its explanations allocate.
 */
#define pr_fmt(fmt) "pci_p2pdma: " fmt

#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/string_choices.h>
#ifdef CONFIG_X86
#include <asm/cpufeature.h>
#include <asm/processor.h>
#endif

#include "p2pdma.h"
#include "pci.h"
#include <trace/events/pci_p2pdma.h>

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "pci_p2pdma."

/* Longest chain of bridges above a device that we follow. */
#define P2PDMA_MAX_DEPTH 32
/* Redirecting ports named in one explanation. */
#define P2PDMA_MAX_REDIRECTS 8

struct p2pdma_host_bridge_id {
	u16 vendor;
	/* PCI_ANY_ID: every device of @vendor (built-in entries only). */
	u32 device;
	unsigned int flags;
};

/*
 * Host bridges known to forward peer traffic between their root ports,
 * matched by the vendor:device of 00.0 on the root bus (or of the root port
 * where there is no 00.0).  Each entry is one that mainline Linux accepted,
 * on the evidence of the platform's vendor.
 *
 * Up to Haswell-EP a socket's PCIe root ports sit below one host bridge,
 * and peer traffic is forwarded between them but not across the socket
 * interconnect: those entries are limited to one host bridge.  From
 * Skylake-SP on, every IIO stack of a socket is a host bridge of its own,
 * and the mesh forwards peer traffic between stacks, so those entries
 * allow traffic across host bridges.
 */
static const struct p2pdma_host_bridge_id p2pdma_builtin_allow[] = {
	/* Xeon E5 (Sandy Bridge-EP) */
	{ PCI_VENDOR_ID_INTEL, 0x3c00, P2PDMA_ALLOW_SAME_HOST_BRIDGE },
	{ PCI_VENDOR_ID_INTEL, 0x3c01, P2PDMA_ALLOW_SAME_HOST_BRIDGE },
	/* Xeon E5/E7 v3 (Haswell-EP) */
	{ PCI_VENDOR_ID_INTEL, 0x2f00, P2PDMA_ALLOW_SAME_HOST_BRIDGE },
	{ PCI_VENDOR_ID_INTEL, 0x2f01, P2PDMA_ALLOW_SAME_HOST_BRIDGE },
	/* Xeon Scalable (Skylake-SP, Cascade Lake) */
	{ PCI_VENDOR_ID_INTEL, 0x2020 },
	{ PCI_VENDOR_ID_INTEL, 0x2030 },
	{ PCI_VENDOR_ID_INTEL, 0x2031 },
	{ PCI_VENDOR_ID_INTEL, 0x2032 },
	{ PCI_VENDOR_ID_INTEL, 0x2033 },
	/* Xeon Scalable from Ice Lake-SP on: 00.0 of the IIO root buses */
	{ PCI_VENDOR_ID_INTEL, 0x09a2 },
	/*
	 * Xeon Scalable from Sapphire Rapids on also put each on-die
	 * accelerator at 00.0 of a root bus of its own; the ID changes with
	 * every generation.  DSA and IAA of Sapphire/Emerald Rapids, DSA of
	 * Granite Rapids-D, DSA and IAA of Diamond Rapids, and QAT 4xxx,
	 * 401xx, 402xx, 420xx and 6xxx.
	 */
	{ PCI_VENDOR_ID_INTEL, 0x0b25 },
	{ PCI_VENDOR_ID_INTEL, 0x0cfe },
	{ PCI_VENDOR_ID_INTEL, 0x11fb },
	{ PCI_VENDOR_ID_INTEL, 0x1212 },
	{ PCI_VENDOR_ID_INTEL, 0x1216 },
	{ PCI_VENDOR_ID_INTEL, 0x4940 },
	{ PCI_VENDOR_ID_INTEL, 0x4942 },
	{ PCI_VENDOR_ID_INTEL, 0x4944 },
	{ PCI_VENDOR_ID_INTEL, 0x4946 },
	{ PCI_VENDOR_ID_INTEL, 0x4948 },
	/* Google SoCs (vendor 0x1ae0): every root complex of the vendor */
	{ 0x1ae0, PCI_ANY_ID },
	/* NVIDIA Vera CPUs (Vera Rubin) */
	{ PCI_VENDOR_ID_NVIDIA, 0x2f95 },
	{ PCI_VENDOR_ID_NVIDIA, 0x2f96 },
	{ PCI_VENDOR_ID_NVIDIA, 0x2f97 },
	{ PCI_VENDOR_ID_NVIDIA, 0x2f98 },
};

/* Entries added at boot (pci_p2pdma.allow=) and by tests. */
#define P2PDMA_MAX_EXTRA_ALLOW 16
static struct p2pdma_host_bridge_id p2pdma_extra_allow[P2PDMA_MAX_EXTRA_ALLOW];
static DEFINE_SPINLOCK(p2pdma_allow_lock);

static char *allow;
module_param(allow, charp, 0444);
MODULE_PARM_DESC(
	allow,
	"Host bridges that forward peer traffic, vvvv:dddd[/same][/writes][,...]; /same: only between its own root ports; /writes: posted writes only, not reads");

static bool trust_virt_topology;
module_param(trust_virt_topology, bool, 0444);
MODULE_PARM_DESC(
	trust_virt_topology,
	"Under a hypervisor, trust the virtual PCI topology even when DMA goes through a virtual IOMMU");

/* Bumped when a PCI device comes or goes; older cached verdicts are stale. */
static atomic_long_t p2pdma_topology_gen = ATOMIC_LONG_INIT(1);

/**
 * p2pdma_topology_changed - forget every cached verdict
 *
 * Called from the PCI bus notifier when a device is added or removed or a
 * driver binds to or unbinds from one, when the allow-list changes, and by
 * the KUnit tests after they change emulated ACS registers.
 */
void p2pdma_topology_changed(void)
{
	atomic_long_inc(&p2pdma_topology_gen);
}

/**
 * p2pdma_allow_host_bridge - add a host bridge to the allow-list
 * @vendor: PCI vendor ID of the host bridge
 * @device: PCI device ID of the host bridge
 * @flags: %P2PDMA_ALLOW_SAME_HOST_BRIDGE: it forwards peer traffic only
 *	between its own root ports; %P2PDMA_ALLOW_WRITES_ONLY: it forwards
 *	posted writes but not read requests
 *
 * Return: 0, or -ENOSPC when the list of extra entries is full.
 */
int p2pdma_allow_host_bridge(u16 vendor, u16 device, unsigned int flags)
{
	int i, ret = -ENOSPC;

	spin_lock(&p2pdma_allow_lock);
	for (i = 0; i < P2PDMA_MAX_EXTRA_ALLOW; i++) {
		struct p2pdma_host_bridge_id *id = &p2pdma_extra_allow[i];

		if (id->vendor &&
		    !(id->vendor == vendor && id->device == device))
			continue;
		id->device = device;
		id->flags = flags;
		/* Readers do not lock: publish the entry by its vendor. */
		smp_store_release(&id->vendor, vendor);
		ret = 0;
		break;
	}
	spin_unlock(&p2pdma_allow_lock);
	p2pdma_topology_changed();
	return ret;
}

/* Only tests take entries back: at boot they are added for good. */
#if IS_ENABLED(CONFIG_PCI_P2PDMA_KUNIT_TEST)
/**
 * p2pdma_forget_host_bridge - drop an entry added by p2pdma_allow_host_bridge()
 * @vendor: PCI vendor ID of the host bridge
 * @device: PCI device ID of the host bridge
 */
void p2pdma_forget_host_bridge(u16 vendor, u16 device)
{
	int i;

	spin_lock(&p2pdma_allow_lock);
	for (i = 0; i < P2PDMA_MAX_EXTRA_ALLOW; i++) {
		struct p2pdma_host_bridge_id *id = &p2pdma_extra_allow[i];

		if (id->vendor == vendor && id->device == device)
			WRITE_ONCE(id->vendor, 0);
	}
	spin_unlock(&p2pdma_allow_lock);
	p2pdma_topology_changed();
}
#endif

static const struct p2pdma_host_bridge_id *p2pdma_lookup_allow(u16 vendor,
							       u16 device)
{
	const struct p2pdma_host_bridge_id *id;
	int i;

	/*
	 * The administrator's entries first: pci_p2pdma.allow= can restrict
	 * a built-in entry (/same, /writes), not only add one.
	 */
	for (i = 0; i < P2PDMA_MAX_EXTRA_ALLOW; i++) {
		id = &p2pdma_extra_allow[i];
		/* Pairs with the release in p2pdma_allow_host_bridge(). */
		if (smp_load_acquire(&id->vendor) == vendor &&
		    id->device == device)
			return id;
	}
	for (i = 0; i < ARRAY_SIZE(p2pdma_builtin_allow); i++) {
		id = &p2pdma_builtin_allow[i];
		if (id->vendor == vendor &&
		    (id->device == PCI_ANY_ID || id->device == device))
			return id;
	}
	return NULL;
}

/* AMD Zen and later forward peer traffic between all their root ports. */
static bool p2pdma_cpu_forwards_peer_traffic(void)
{
#ifdef CONFIG_X86
	if ((boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
	     boot_cpu_data.x86_vendor == X86_VENDOR_HYGON) &&
	    boot_cpu_data.x86 >= 0x17)
		return true;
#endif
	return false;
}

/* Where a path leaves the fabric below a host bridge. */
struct p2pdma_root {
	struct pci_host_bridge *host;
	u16 vendor;
	u16 device;
	const struct p2pdma_host_bridge_id *allowed;
};

/*
 * The vendor:device of 00.0 of each root bus, noted when the PCI core adds
 * that function, so that judging a pair (from the DMA map path, in atomic
 * context) reads no config space and takes no sleeping lock.
 */
static DEFINE_XARRAY(p2pdma_host_ids);

static unsigned long p2pdma_host_key(struct pci_bus *root)
{
	return (unsigned long)pci_domain_nr(root) << 8 | root->number;
}

static void p2pdma_note_host_fn(struct pci_dev *pdev, bool added)
{
	unsigned long key = p2pdma_host_key(pdev->bus);

	if (!pci_is_root_bus(pdev->bus) || pdev->devfn != PCI_DEVFN(0, 0))
		return;
	if (!added)
		xa_erase(&p2pdma_host_ids, key);
	else if (xa_err(xa_store(&p2pdma_host_ids, key,
				 xa_mk_value(pdev->vendor |
					     ((u32)pdev->device << 16)),
				 GFP_KERNEL)))
		/* Out of memory: the root ports then stand for it. */
		pci_warn(pdev,
			 "P2PDMA: cannot record this host bridge; root ports stand for it\n");
}

/*
 * Identify the host bridge by 00.0 of the root bus, else by @top if it is
 * a root port.  Any other function there (an RCiEP, say a NIC of the
 * vendor of a wildcard entry) says nothing about the root complex, so it
 * allows nothing.
 */
static void p2pdma_root_of(struct pci_dev *top, struct p2pdma_root *root)
{
	void *entry;
	u32 id;

	root->host = pci_find_host_bridge(top->bus);
	entry = xa_load(&p2pdma_host_ids, p2pdma_host_key(root->host->bus));
	id = xa_is_value(entry) ? xa_to_value(entry) :
				  top->vendor | (u32)top->device << 16;
	root->vendor = id & 0xffff;
	root->device = id >> 16;
	root->allowed = NULL;
	if (xa_is_value(entry) || pci_pcie_type(top) == PCI_EXP_TYPE_ROOT_PORT)
		root->allowed = p2pdma_lookup_allow(root->vendor, root->device);
}

static bool p2pdma_writes_only(const struct p2pdma_root *root)
{
	return root->allowed && root->allowed->flags & P2PDMA_ALLOW_WRITES_ONLY;
}

struct p2pdma_path {
	struct pci_dev *chain[P2PDMA_MAX_DEPTH];
	int len;
};

/* The device, then each bridge above it up to the root bus. */
static void p2pdma_path_of(struct pci_dev *pdev, struct p2pdma_path *path)
{
	path->len = 0;
	for (; pdev && path->len < P2PDMA_MAX_DEPTH;
	     pdev = pci_upstream_bridge(pdev))
		path->chain[path->len++] = pdev;
}

/*
 * The bit of @port's ACS Egress Control Vector that stands for @peer, a
 * sibling below the same bridge: the Port Number of a switch downstream
 * port, the Function Number of a function of one device (PCIe r5.0, sec
 * 7.7.8.4; with ARI the whole 8-bit number, sec 6.13).  -1 when no bit
 * names @peer: a VF on a bus number of its own, or a function integrated
 * in the switch, whose Port Number would alias a downstream port's.
 */
static int p2pdma_egress_bit(struct pci_dev *port, struct pci_dev *peer)
{
	u32 lnkcap;

	if (pci_is_pcie(port) && pcie_downstream_port(port)) {
		if (pci_pcie_type(peer) != PCI_EXP_TYPE_DOWNSTREAM ||
		    pcie_capability_read_dword(peer, PCI_EXP_LNKCAP, &lnkcap))
			return -1;
		return FIELD_GET(PCI_EXP_LNKCAP_PN, lnkcap);
	}
	if (peer->bus != port->bus)
		return -1;
	return pci_ari_enabled(port->bus) ? peer->devfn : PCI_FUNC(peer->devfn);
}

/* Is any bit set among the first @size of @port's egress vector? */
static bool p2pdma_egress_any(struct pci_dev *port, unsigned int size)
{
	unsigned int i;
	u32 vector;

	for (i = 0; i < size; i += 32) {
		int pos = port->acs_cap + PCI_ACS_EGRESS_CTL_V + i / 8;

		pci_read_config_dword(port, pos, &vector);
		if (size - i < 32)
			vector &= BIT(size - i) - 1;
		if (vector)
			return true;
	}
	return false;
}

/*
 * Does ACS on @port keep peer traffic from turning around below the
 * bridge above it?  P2P Request Redirect sends peer requests up, P2P
 * Completion Redirect peer completions (PCIe r5.0, sec 6.12.1.1 and
 * 6.12.1.2): either breaks the pair.  Egress Control blocks only requests
 * toward the ports or functions set in its vector, and only at the port
 * where the request would turn around, whose sibling toward the other
 * device is @peer (NULL for ports further down, where the request just
 * goes upstream).  Both sides are checked, whichever starts the request.
 * Sets *@ec_bit to the vector bit that decided, or -1.
 *
 * Return: 1 if @port sends the traffic up, 0 if it lets it turn around,
 * -ENODEV if @port does not answer: a config read that completes with all
 * ones (PCIe r5.0, sec 2.3.2, Unsupported Request; or a port contained by
 * DPC, sec 6.2.10), which is no ACS setting at all.
 */
static int p2pdma_port_redirects(struct pci_dev *port, struct pci_dev *peer,
				 int *ec_bit)
{
	u16 ctrl, size;
	u32 vector;
	int bit, pos;

	*ec_bit = -1;
	if (!port->acs_cap)
		return 0;
	pci_read_config_word(port, port->acs_cap + PCI_ACS_CTRL, &ctrl);
	if (PCI_POSSIBLE_ERROR(ctrl))
		return -ENODEV;
	if (ctrl & (PCI_ACS_RR | PCI_ACS_CR))
		return 1;
	if (!(ctrl & PCI_ACS_EC) || !peer)
		return 0;

	pci_read_config_word(port, port->acs_cap + PCI_ACS_CAP, &size);
	/* Vector size in bits 15:8, 0 meaning 256 (sec 7.7.8.2). */
	size = size >> 8 ?: 256;
	bit = p2pdma_egress_bit(port, peer);
	/* No bit names the peer: only an empty vector surely lets it pass. */
	if (bit < 0)
		return p2pdma_egress_any(port, size);
	if (bit >= size)
		return 0;
	pos = port->acs_cap + PCI_ACS_EGRESS_CTL_V + bit / 32 * 4;
	pci_read_config_dword(port, pos, &vector);
	if (!(vector & BIT(bit % 32)))
		return 0;
	*ec_bit = bit;
	return 1;
}

/* One bit per collected port in &p2pdma_redirects.by_egress. */
static_assert(P2PDMA_MAX_REDIRECTS <= 8);

struct p2pdma_redirects {
	struct pci_dev *port[P2PDMA_MAX_REDIRECTS];
	/* For ports in @by_egress: the Egress Control Vector bit. */
	u8 ec_bit[P2PDMA_MAX_REDIRECTS];
	/* Ports that block by egress control rather than redirect all. */
	u8 by_egress;
	int nr;
	/* The first port that did not answer, if any. */
	struct pci_dev *silent;
};

/*
 * Collect the ports among chain[start..end) of a path whose ACS sends peer
 * traffic up; @peer is the other path's port below the common bridge.
 */
static void p2pdma_find_redirects(const struct p2pdma_path *path, int start,
				  int end, struct pci_dev *peer,
				  struct p2pdma_redirects *acs)
{
	int i, bit, ret;

	for (i = start; i < end; i++) {
		ret = p2pdma_port_redirects(path->chain[i],
					    i == end - 1 ? peer : NULL, &bit);
		if (ret < 0 && !acs->silent)
			acs->silent = path->chain[i];
		if (ret <= 0)
			continue;
		if (acs->nr < P2PDMA_MAX_REDIRECTS) {
			acs->port[acs->nr] = path->chain[i];
			if (bit >= 0) {
				acs->ec_bit[acs->nr] = bit;
				acs->by_egress |= BIT(acs->nr);
			}
		}
		acs->nr++;
	}
}

/*
 * Two functions of one device: the same slot of a bus, or anything on the
 * link below a PCIe root or downstream port, which holds one device (PCIe
 * r5.0, sec 7.3.1) however many functions ARI gives it (sec 6.13).  VFs
 * belong to the device of their PF, even on a bus number of their own
 * (sec 9.2.1.2).  Requests between them turn around inside the device
 * unless the functions' own ACS sends them up (sec 6.12.1.2).
 */
static bool p2pdma_same_device(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_dev *port;

	if (a == b)
		return false;
	a = pci_physfn(a);
	b = pci_physfn(b);
	if (a == b)
		return true;
	if (a->bus != b->bus)
		return false;
	port = a->bus->self;
	if (port && pci_is_pcie(port) && pcie_downstream_port(port))
		return true;
	return PCI_SLOT(a->devfn) == PCI_SLOT(b->devfn);
}

/* Index pair of the nearest bridge both paths go through, or false. */
static bool p2pdma_common_bridge(const struct p2pdma_path *a,
				 const struct p2pdma_path *b, int *ia, int *ib)
{
	int i, j;

	for (i = 0; i < a->len; i++) {
		for (j = 0; j < b->len; j++) {
			if (a->chain[i] == b->chain[j]) {
				*ia = i;
				*ib = j;
				return true;
			}
		}
	}
	return false;
}

/*
 * A guest cannot see how the hypervisor routes its virtual switch; when the
 * client's DMA is translated by a (virtual) IOMMU, the hypervisor sends it
 * through that IOMMU, which knows nothing of bus addresses.
 */
static bool p2pdma_behind_virtual_iommu(struct pci_dev *client)
{
	struct iommu_domain *domain;

	if (trust_virt_topology)
		return false;
#ifdef CONFIG_X86
	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
#else
	return false;
#endif
	domain = iommu_get_domain_for_dev(&client->dev);
	return domain && domain->type != IOMMU_DOMAIN_IDENTITY &&
	       domain->type != IOMMU_DOMAIN_BLOCKED;
}

static void p2pdma_print_ports(struct seq_buf *why,
			       const struct p2pdma_redirects *acs, char sep,
			       bool bits)
{
	int i;

	for (i = 0; i < min(acs->nr, P2PDMA_MAX_REDIRECTS); i++) {
		if (i)
			seq_buf_putc(why, sep);
		seq_buf_puts(why, pci_name(acs->port[i]));
		if (bits && acs->by_egress & BIT(i))
			seq_buf_printf(why, " (egress control vector bit %d)",
				       acs->ec_bit[i]);
	}
}

static void p2pdma_explain_host(struct seq_buf *why,
				const struct p2pdma_root *rp,
				const struct p2pdma_root *rc,
				struct p2pdma_verdict v)
{
	if (v.distance >= 0) {
		seq_buf_printf(why,
			       "through host bridge %04x:%04x, distance %d",
			       rp->vendor, rp->device, v.distance);
		if (v.writes_only)
			seq_buf_puts(why,
				     ", for writes only: the root complex does not forward peer reads, so only mappings for DMA_FROM_DEVICE work, and orchestrators, which need both ways, are refused");
	} else if (!rp->allowed || !rc->allowed) {
		const struct p2pdma_root *bad = rp->allowed ? rc : rp;

		seq_buf_printf(why,
			       "host bridge %04x:%04x is not known to forward peer traffic (if it does, boot with pci_p2pdma.allow=%04x:%04x)",
			       bad->vendor, bad->device, bad->vendor,
			       bad->device);
	} else {
		seq_buf_printf(why,
			       "the path crosses host bridges %04x:%04x and %04x:%04x, which do not forward peer traffic between each other",
			       rp->vendor, rp->device, rc->vendor, rc->device);
	}
}

/*
 * Only said when the two devices share a bridge: there, turning ACS off
 * lets the traffic turn around at @common.  Without one, the traffic goes
 * through the root complex whatever ACS says, and only the allow-list can
 * help.
 */
static void p2pdma_explain_acs(struct seq_buf *why,
			       const struct p2pdma_redirects *acs,
			       struct pci_dev *common)
{
	int more = acs->nr - P2PDMA_MAX_REDIRECTS;

	seq_buf_puts(why, "; ACS at ");
	p2pdma_print_ports(why, acs, ' ', true);
	/* The explanation has room for so many; lspci -vv lists the rest. */
	if (more > 0)
		seq_buf_printf(why, " and %d more port%s", more,
			       str_plural(more));
	seq_buf_printf(why,
		       " sends the traffic up to the root complex (to let it turn around at %s instead, boot with pci=disable_acs_redir=",
		       pci_name(common));
	p2pdma_print_ports(why, acs, ';', false);
	/* Outside the value: a "..." in it would not parse. */
	seq_buf_puts(why, more > 0 ? " and the ports not named)" : ")");
}

static void p2pdma_explain_virt(struct seq_buf *why)
{
	seq_buf_puts(why,
		     "; the client's DMA is translated by a virtual IOMMU, so the hypervisor routes it");
	seq_buf_puts(why,
		     " (boot with pci_p2pdma.trust_virt_topology=1 if it keeps switch-local traffic local)");
}

/*
 * The verdict of a path through the root complex, between the devices at
 * the top of the provider's and the client's paths.  Kept out of line: its
 * locals would push p2pdma_judge()'s frame past the frame size limit.
 */
static noinline_for_stack struct p2pdma_verdict
p2pdma_judge_host(struct pci_dev *ptop, struct pci_dev *ctop, int distance,
		  struct seq_buf *why)
{
	struct p2pdma_verdict v = { PCI_P2PDMA_MAP_NOT_SUPPORTED, -1 };
	struct p2pdma_root rp, rc;
	bool ok;

	p2pdma_root_of(ptop, &rp);
	p2pdma_root_of(ctop, &rc);
	if (rp.host == rc.host)
		ok = rp.allowed || p2pdma_cpu_forwards_peer_traffic();
	else
		ok = (rp.allowed && rc.allowed &&
		      !(rp.allowed->flags & P2PDMA_ALLOW_SAME_HOST_BRIDGE) &&
		      !(rc.allowed->flags & P2PDMA_ALLOW_SAME_HOST_BRIDGE)) ||
		     p2pdma_cpu_forwards_peer_traffic();
	if (ok) {
		v.map = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
		v.distance = distance;
		v.writes_only = p2pdma_writes_only(&rp) ||
				p2pdma_writes_only(&rc);
	}
	if (why) {
		if (!ok)
			seq_buf_puts(why, "cannot do P2P: ");
		p2pdma_explain_host(why, &rp, &rc, v);
	}
	return v;
}

/* Nothing crosses a port that does not answer, for now. */
static struct p2pdma_verdict p2pdma_judge_silent(struct pci_dev *port,
						 struct seq_buf *why)
{
	struct p2pdma_verdict v = {
		.map = PCI_P2PDMA_MAP_NOT_SUPPORTED,
		.distance = -1,
		.transient = true,
	};

	if (why)
		seq_buf_printf(why,
			       "cannot do P2P now: %s on the path does not answer config reads (removed, or contained after an error); the pair is judged again when it is next used",
			       pci_name(port));
	return v;
}

/**
 * p2pdma_judge - decide how @client reaches @provider, without the cache
 * @provider: device exposing the memory
 * @client: device doing the DMA
 * @why: if not NULL, receives a one-line explanation
 *
 * Return: the map type and the distance of the pair.
 */
struct p2pdma_verdict p2pdma_judge(struct pci_dev *provider,
				   struct pci_dev *client, struct seq_buf *why)
{
	struct p2pdma_verdict v = { PCI_P2PDMA_MAP_BUS_ADDR, 0 };
	struct p2pdma_redirects acs = {};
	struct p2pdma_path pp, pc;
	bool virt = false, common;
	int ip, ic;

	if (why)
		seq_buf_printf(why, "%s and %s: ", pci_name(client),
			       pci_name(provider));
	p2pdma_path_of(provider, &pp);
	p2pdma_path_of(client, &pc);
	common = p2pdma_common_bridge(&pp, &pc, &ip, &ic);
	if (common) {
		/*
		 * A function's own ACS matters only for requests to another
		 * function of its device; other devices' requests turn
		 * around at a port.
		 */
		int first = p2pdma_same_device(provider, client) ? 0 : 1;

		p2pdma_find_redirects(&pp, first, ip,
				      ic ? pc.chain[ic - 1] : NULL, &acs);
		p2pdma_find_redirects(&pc, first, ic,
				      ip ? pp.chain[ip - 1] : NULL, &acs);
		if (acs.silent)
			return p2pdma_judge_silent(acs.silent, why);
		virt = provider != client &&
		       p2pdma_behind_virtual_iommu(client);
		if (!acs.nr && !virt) {
			v.distance = ip + ic;
			if (why)
				seq_buf_printf(why,
					       "by PCI bus address, distance %d",
					       v.distance);
			return v;
		}
	}

	/* The traffic goes up to the root complex and back down. */
	v = p2pdma_judge_host(pp.chain[pp.len - 1], pc.chain[pc.len - 1],
			      pp.len + pc.len, why);
	if (why) {
		if (acs.nr)
			p2pdma_explain_acs(why, &acs, pp.chain[ip]);
		if (virt)
			p2pdma_explain_virt(why);
	}
	return v;
}

/**
 * p2pdma_pci_dev_of - the PCI device that does a device's DMA
 * @dev: a PCI device, or a device below one (an NVMe controller, a disk)
 *
 * Return: @dev's PCI device or the first above it, or NULL.  No reference is
 * taken: a device pins its parents.
 */
struct pci_dev *p2pdma_pci_dev_of(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_is_pci(dev))
			return to_pci_dev(dev);
	return NULL;
}

/*
 * A bus address bypasses the IOMMU and swiotlb, so a client whose DMA mask
 * cannot express it would DMA to a truncated address: the map path refuses
 * such ranges.  Orchestrators choose a provider for all its memory, so they
 * are told no as soon as one range is out of reach.  They may name a
 * device below the PCI function (nvmet names the disk), which has no mask
 * of its own: the function's is the one the map path will see.
 */
static u64 p2pdma_dma_limit(struct device *dev)
{
	return min_not_zero(dev->dma_mask ? *dev->dma_mask : 0,
			    dev->bus_dma_limit);
}

static bool p2pdma_mask_reaches(struct pci_dev *provider, struct device *dev,
				u64 *limit, u64 *last)
{
	struct pci_dev *pdev = p2pdma_pci_dev_of(dev);
	struct pci_p2pdma *prov;

	*limit = p2pdma_dma_limit(pdev ? &pdev->dev : dev);
	rcu_read_lock();
	prov = rcu_dereference(provider->p2pdma);
	*last = prov ? READ_ONCE(prov->bus_addr_max) : 0;
	rcu_read_unlock();
	return !*limit || *last <= *limit;
}

/**
 * p2pdma_explain - one line saying whether and how @client reaches @provider
 * @provider: device exposing the memory
 * @client: device doing the DMA, PCI or below a PCI device
 * @out: receives the explanation
 */
void p2pdma_explain(struct pci_dev *provider, struct device *client,
		    struct seq_buf *out)
{
	struct pci_dev *pci_client = p2pdma_pci_dev_of(client);
	u64 limit, last;

	if (!pci_client) {
		seq_buf_printf(out,
			       "%s and %s: cannot do P2P: ", dev_name(client),
			       pci_name(provider));
		seq_buf_printf(out,
			       "%s is not a PCI device and has none above it",
			       dev_name(client));
		return;
	}
	if (p2pdma_judge(provider, pci_client, NULL).map ==
		    PCI_P2PDMA_MAP_BUS_ADDR &&
	    !p2pdma_mask_reaches(provider, client, &limit, &last)) {
		seq_buf_printf(out,
			       "%s and %s: cannot do P2P: ", dev_name(client),
			       pci_name(provider));
		seq_buf_printf(out,
			       "the client's DMA mask %#llx cannot express bus addresses up to %#llx, and a bus address bypasses the IOMMU",
			       limit, last);
		return;
	}
	p2pdma_judge(provider, pci_client, out);
}

/**
 * p2pdma_explain_alloc - p2pdma_explain() into a new string
 * @provider: device exposing the memory
 * @client: device doing the DMA, PCI or below a PCI device
 *
 * The explanation is too long for a stack buffer in the callers' frames.
 *
 * Return: a string to kfree(), or NULL without memory.
 */
char *p2pdma_explain_alloc(struct pci_dev *provider, struct device *client)
{
	char *buf = kmalloc(P2PDMA_EXPLAIN_MAX, GFP_KERNEL);
	struct seq_buf why;

	if (!buf)
		return NULL;
	seq_buf_init(&why, buf, P2PDMA_EXPLAIN_MAX);
	p2pdma_explain(provider, client, &why);
	return buf;
}

/*
 * Cached verdicts are xarray values: generation, distance + 1 and map type
 * packed into one word, so a lookup is one load and no allocation.
 */
#define P2PDMA_VERDICT_MAP GENMASK(2, 0)
#define P2PDMA_VERDICT_WRITES BIT(3)
#define P2PDMA_VERDICT_DIST GENMASK(19, 4)
#define P2PDMA_VERDICT_GEN_SHIFT 20

static unsigned long p2pdma_client_key(struct pci_dev *client)
{
	return (unsigned long)pci_domain_nr(client->bus) << 16 |
	       pci_dev_id(client);
}

static unsigned long p2pdma_pack(struct p2pdma_verdict v, unsigned long gen)
{
	return gen << P2PDMA_VERDICT_GEN_SHIFT |
	       FIELD_PREP(P2PDMA_VERDICT_DIST, v.distance + 1) |
	       FIELD_PREP(P2PDMA_VERDICT_WRITES, v.writes_only) |
	       FIELD_PREP(P2PDMA_VERDICT_MAP, v.map);
}

static struct p2pdma_verdict p2pdma_unpack(unsigned long packed)
{
	struct p2pdma_verdict v = {
		.map = FIELD_GET(P2PDMA_VERDICT_MAP, packed),
		.writes_only = FIELD_GET(P2PDMA_VERDICT_WRITES, packed),
		.distance = (int)FIELD_GET(P2PDMA_VERDICT_DIST, packed) - 1,
	};

	return v;
}

/* The topology generation as packed verdicts hold it. */
static unsigned long p2pdma_gen(void)
{
	return atomic_long_read(&p2pdma_topology_gen) &
	       (ULONG_MAX >> (P2PDMA_VERDICT_GEN_SHIFT + 1));
}

static bool p2pdma_packed_is_current(unsigned long packed, unsigned long gen)
{
	return packed >> P2PDMA_VERDICT_GEN_SHIFT == gen;
}

/* Judge a pair the cache does not know, and cache the verdict in @prov. */
static noinline struct p2pdma_verdict
p2pdma_judge_and_cache(struct pci_dev *provider, struct pci_p2pdma *prov,
		       struct pci_dev *client, unsigned long key,
		       unsigned long gen)
{
	struct p2pdma_verdict v = p2pdma_judge(provider, client, NULL);
	unsigned long flags;

	if (!prov || v.transient)
		return v;
	trace_pci_p2pdma_map_decision(provider, client, v.map, v.distance);
	/*
	 * dma_map_sg() may be called with interrupts off or from an interrupt
	 * handler: the lock must be irq-safe.  A failed store only costs
	 * another walk next time.
	 */
	xa_lock_irqsave(&prov->verdicts, flags);
	__xa_store(&prov->verdicts, key, xa_mk_value(p2pdma_pack(v, gen)),
		   GFP_ATOMIC);
	xa_unlock_irqrestore(&prov->verdicts, flags);
	return v;
}

/*
 * The verdict of a pair under rcu_read_lock(), @prov being @provider's
 * P2PDMA state (NULL: none, nothing is cached).  Inlined into its callers:
 * a cache hit is the whole of a warm orchestrator query.
 */
static __always_inline struct p2pdma_verdict
p2pdma_verdict_rcu(struct pci_dev *provider, struct pci_p2pdma *prov,
		   struct pci_dev *client, unsigned long gen)
{
	unsigned long key = p2pdma_client_key(client);
	void *entry;

	if (prov) {
		/*
		 * xa_load() without its own RCU section and call: the caller
		 * holds the lock, and this lookup is all of a warm query.
		 */
		XA_STATE(xas, &prov->verdicts, key);

		do {
			entry = xas_load(&xas);
		} while (xas_retry(&xas, entry));
		if (xa_is_value(entry) &&
		    p2pdma_packed_is_current(xa_to_value(entry), gen))
			return p2pdma_unpack(xa_to_value(entry));
	}
	return p2pdma_judge_and_cache(provider, prov, client, key, gen);
}

/**
 * p2pdma_verdict_of - cached map type and distance of a pair
 * @provider: device exposing the memory
 * @client: PCI device doing the DMA
 *
 * Safe to call from atomic context and concurrently: the first caller to
 * meet the pair judges it and caches the result in the provider.
 *
 * Return: the map type and distance of the pair.
 */
struct p2pdma_verdict p2pdma_verdict_of(struct pci_dev *provider,
					struct pci_dev *client)
{
	unsigned long gen = p2pdma_gen();
	struct p2pdma_verdict v;

	rcu_read_lock();
	v = p2pdma_verdict_rcu(provider, rcu_dereference(provider->p2pdma),
			       client, gen);
	rcu_read_unlock();
	return v;
}

/* p2pdma_peer_of() under rcu_read_lock(), inlined as p2pdma_verdict_rcu(). */
static __always_inline struct p2pdma_peer
p2pdma_peer_rcu(struct pci_dev *provider, struct pci_p2pdma *prov,
		struct device *dev, unsigned long gen)
{
	struct p2pdma_peer peer = { PCI_P2PDMA_MAP_NOT_SUPPORTED,
				    PCI_P2PDMA_MAP_NOT_SUPPORTED, -1 };
	struct pci_dev *client = p2pdma_pci_dev_of(dev);
	struct p2pdma_verdict v;
	u64 limit;

	if (!client)
		return peer;
	v = p2pdma_verdict_rcu(provider, prov, client, gen);
	if (v.map != PCI_P2PDMA_MAP_BUS_ADDR &&
	    v.map != PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		return peer;
	if (v.map == PCI_P2PDMA_MAP_BUS_ADDR) {
		limit = p2pdma_dma_limit(&client->dev);
		if (limit && prov && READ_ONCE(prov->bus_addr_max) > limit)
			return peer;
	}
	peer.write = v.map;
	if (!v.writes_only)
		peer.read = v.map;
	peer.distance = v.distance;
	return peer;
}

/* p2pdma_peer_of() without the call, for the orchestrator's loops. */
static __always_inline struct p2pdma_peer
p2pdma_peer_inline(struct pci_dev *provider, struct device *dev)
{
	unsigned long gen = p2pdma_gen();
	struct p2pdma_peer peer;

	rcu_read_lock();
	peer = p2pdma_peer_rcu(provider, rcu_dereference(provider->p2pdma), dev,
			       gen);
	rcu_read_unlock();
	return peer;
}

/**
 * p2pdma_peer_of - how a client reaches a provider, in each direction
 * @provider: device exposing the memory
 * @dev: a PCI device, or a device below one
 *
 * Splits the cached verdict of the pair by direction.  A pair through a
 * host bridge that forwards posted writes only can write into @provider's
 * memory but not read it.  A bus-address pair whose client's DMA mask
 * cannot reach every range of @provider can do neither: the map path
 * refuses such ranges at every I/O, and a caller choosing a provider
 * chooses all its memory.  A device below a PCI function is judged, and
 * its DMA mask read, as the function.
 *
 * Return: the map type of each direction, and the distance (-1 when
 * neither direction works).
 */
struct p2pdma_peer p2pdma_peer_of(struct pci_dev *provider, struct device *dev)
{
	return p2pdma_peer_inline(provider, dev);
}

/* p2pdma_client_verdict() without the wrapping, for the callers below. */
static __always_inline struct p2pdma_verdict
p2pdma_client_verdict_inline(struct pci_dev *provider, struct device *dev)
{
	struct p2pdma_verdict v = { PCI_P2PDMA_MAP_NOT_SUPPORTED, -1 };
	struct p2pdma_peer peer = p2pdma_peer_inline(provider, dev);

	if (peer.read == peer.write &&
	    peer.read != PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		v.map = peer.read;
		v.distance = peer.distance;
	}
	return v;
}

/**
 * p2pdma_client_verdict - the verdict orchestrators and the matrix report
 * @provider: device exposing the memory
 * @dev: a PCI device, or a device below one
 *
 * As p2pdma_peer_of(), for callers that need both directions: the pair is
 * refused unless the client can both read and write @provider's memory, in
 * the same way.  Orchestrators hand memory to clients that do both.
 *
 * Return: the map type and distance of the pair.
 */
struct p2pdma_verdict p2pdma_client_verdict(struct pci_dev *provider,
					    struct device *dev)
{
	return p2pdma_client_verdict_inline(provider, dev);
}

/*
 * The distance p2pdma_client_verdict() gives, or -1 if the pair is refused:
 * an int, where a verdict would be returned through memory, for the loop
 * of pci_p2pdma_distance_many(), into which it is inlined.
 */
static __always_inline int p2pdma_client_distance(struct pci_dev *provider,
						  struct device *dev)
{
	struct p2pdma_verdict v = p2pdma_client_verdict_inline(provider, dev);

	return v.map == PCI_P2PDMA_MAP_NOT_SUPPORTED ? -1 : v.distance;
}

/**
 * pci_p2pdma_distance_many - can a provider serve every client, how far
 * @provider: device that exposes the memory
 * @clients: devices that will DMA to or from it
 * @num_clients: number of @clients
 * @verbose: print to dmesg why a client cannot reach @provider
 *
 * A client that is not a PCI device is judged by the PCI device above it
 * (an NVMe controller's or a block device's parent, for instance).
 *
 * Return: the sum of the clients' distances (ports crossed) to @provider,
 * or -1 if any of them cannot do P2P DMA with it.
 */
int pci_p2pdma_distance_many(struct pci_dev *provider, struct device **clients,
			     int num_clients, bool verbose)
{
	struct device **c, **end = clients + num_clients;
	bool unreachable = false;
	int total = 0;

	if (num_clients <= 0)
		return -1;

	for (c = clients; c < end; c++) {
		int distance = p2pdma_client_distance(provider, *c);

		if (distance >= 0) {
			total += distance;
			continue;
		}
		unreachable = true;
		if (verbose) {
			char *why = p2pdma_explain_alloc(provider, *c);

			pci_warn(provider, "%s\n",
				 why ?: "a client cannot do P2P DMA with it");
			kfree(why);
		}
	}
	return unreachable ? -1 : total;
}
EXPORT_SYMBOL_GPL(pci_p2pdma_distance_many);

/**
 * p2pdma_map_name - the short name of a map type in the P2P reports
 * @map: the map type
 *
 * Return: "BUS", "HB", "NO", or "??" for a value that is none of those.
 */
const char *p2pdma_map_name(enum pci_p2pdma_map_type map)
{
	switch (map) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return "BUS";
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return "HB";
	case PCI_P2PDMA_MAP_NOT_SUPPORTED:
		return "NO";
	default:
		return "??";
	}
}

/**
 * p2pdma_can_be_client - whether the P2P reports list a PCI function
 * @pdev: the function
 *
 * Return: false for bridges, which forward traffic and do not master P2P
 * DMA; true for every other function.
 */
bool p2pdma_can_be_client(struct pci_dev *pdev)
{
	return (pdev->class >> 16) != PCI_BASE_CLASS_BRIDGE;
}

/*
 * A bus address bypasses the IOMMU and swiotlb, so nothing would catch a
 * device whose DMA mask cannot express it: it would DMA to a truncated
 * address.  Refuse the range instead (per range: one provider may have
 * BARs on both sides of the mask).
 */
static bool p2pdma_bus_addr_reachable(struct device *dev,
				      const struct p2pdma_range *range)
{
	u64 limit = min_not_zero(dev->dma_mask ? *dev->dma_mask : 0,
				 dev->bus_dma_limit);
	u64 last = range->pgmap.range.end + range->bus_offset;

	return !limit || last <= limit;
}

/*
 * The range's memo of its last client, if it is @client's and current.  The
 * sequence count makes the two words one snapshot; a reader that meets an
 * update in progress takes the slow path rather than wait, since the map
 * path may run in an interrupt that preempted the updater.
 */
static bool p2pdma_memo_get(struct p2pdma_memo *memo, struct pci_dev *client,
			    unsigned long gen, unsigned long *packed)
{
	unsigned int seq = raw_read_seqcount(&memo->seq);
	bool mine;

	if (seq & 1)
		return false;
	mine = READ_ONCE(memo->client) == client;
	*packed = READ_ONCE(memo->verdict);
	if (read_seqcount_retry(&memo->seq, seq))
		return false;
	return mine && p2pdma_packed_is_current(*packed, gen);
}

/* Remember @client's verdict, unless another CPU is doing the same. */
static void p2pdma_memo_set(struct p2pdma_memo *memo, struct pci_dev *client,
			    unsigned long packed)
{
	unsigned long flags;

	if (!raw_spin_trylock_irqsave(&memo->lock, flags))
		return;
	write_seqcount_begin(&memo->seq);
	WRITE_ONCE(memo->client, client);
	WRITE_ONCE(memo->verdict, packed);
	write_seqcount_end(&memo->seq);
	raw_spin_unlock_irqrestore(&memo->lock, flags);
}

/* The verdict of @client on @range: from the memo, or looked up and memoed. */
static struct p2pdma_verdict p2pdma_range_verdict(struct p2pdma_range *range,
						  struct pci_dev *client)
{
	/* Read first: a verdict must never carry a newer generation. */
	unsigned long gen = p2pdma_gen();
	struct p2pdma_verdict v;
	unsigned long packed;

	if (p2pdma_memo_get(&range->memo, client, gen, &packed))
		return p2pdma_unpack(packed);
	v = p2pdma_verdict_of(range->provider, client);
	if (!v.transient)
		p2pdma_memo_set(&range->memo, client, p2pdma_pack(v, gen));
	return v;
}

/**
 * pci_p2pdma_map_state_update - look up the map type of a P2P page
 * @state: the DMA mapping code's per-call memo
 * @dev: device the page is being mapped for
 * @page: a P2P page (is_pci_p2pdma_page())
 * @dir: direction of the mapping
 *
 * Called by pci_p2pdma_map_sg_entry() when @state does not hold the
 * entry's pagemap.  Remembers the pagemap in the field of its map type.
 *
 * Return: the map type of @page for @dev in @dir:
 * %PCI_P2PDMA_MAP_NOT_SUPPORTED for a bus-address range @dev's DMA mask
 * cannot reach, and for a pair that can only write (see the allow-list)
 * unless @dir is %DMA_FROM_DEVICE.
 */
enum pci_p2pdma_map_type
pci_p2pdma_map_state_update(struct pci_p2pdma_map_state *state,
			    struct device *dev, struct page *page,
			    enum dma_data_direction dir)
{
	struct dev_pagemap *pgmap = page_pgmap(page);
	struct p2pdma_range *range = to_p2pdma_range(pgmap);
	struct pci_dev *client = p2pdma_pci_dev_of(dev);
	struct p2pdma_verdict v = { PCI_P2PDMA_MAP_NOT_SUPPORTED, -1 };

	if (client)
		v = p2pdma_range_verdict(range, client);
	/* The DMA mask may change under a cached verdict: checked each time. */
	if (v.map == PCI_P2PDMA_MAP_BUS_ADDR &&
	    !p2pdma_bus_addr_reachable(dev, range))
		v.map = PCI_P2PDMA_MAP_NOT_SUPPORTED;
	/* Only the client's posted writes into the BAR get through. */
	if (unlikely(v.writes_only) && dir != DMA_FROM_DEVICE)
		v.map = PCI_P2PDMA_MAP_NOT_SUPPORTED;
	switch (v.map) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		state->bus_pgmap = pgmap;
		state->bus_offset = range->bus_offset;
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		state->hb_pgmap = pgmap;
		break;
	default:
		trace_pci_p2pdma_map_refused(range->provider, dev, v.map,
					     v.distance);
		break;
	}
	return v.map;
}
EXPORT_SYMBOL_GPL(pci_p2pdma_map_state_update);

static int p2pdma_pci_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_DEL_DEVICE:
		p2pdma_note_host_fn(to_pci_dev(data),
				    action == BUS_NOTIFY_ADD_DEVICE);
		break;
	/*
	 * A client's IOMMU domain, which the virtual-IOMMU rule reads, is
	 * set up when a driver binds; a new default domain type is accepted
	 * only while no driver is bound.  vfio-pci attaches user domains
	 * after binding, but then no kernel DMA mapping is made for the
	 * device until it is rebound to a kernel driver: another bind.
	 */
	case BUS_NOTIFY_BOUND_DRIVER:
	case BUS_NOTIFY_UNBOUND_DRIVER:
		break;
	default:
		return NOTIFY_DONE;
	}
	p2pdma_topology_changed();
	return NOTIFY_DONE;
}

static struct notifier_block p2pdma_pci_nb = {
	.notifier_call = p2pdma_pci_notify,
};

/* Parse one "vvvv:dddd[/same][/writes]" entry of pci_p2pdma.allow=. */
static int p2pdma_parse_allow(char *entry)
{
	unsigned int flags = 0;
	char *flag, *ids = strsep(&entry, "/");
	u16 vendor, device;

	while ((flag = strsep(&entry, "/")) != NULL) {
		if (!strcmp(flag, "same"))
			flags |= P2PDMA_ALLOW_SAME_HOST_BRIDGE;
		else if (!strcmp(flag, "writes"))
			flags |= P2PDMA_ALLOW_WRITES_ONLY;
		else
			return -EINVAL;
	}
	if (strlen(ids) != 9 || ids[4] != ':')
		return -EINVAL;
	ids[4] = '\0';
	if (kstrtou16(ids, 16, &vendor) || kstrtou16(ids + 5, 16, &device))
		return -EINVAL;
	if (!vendor || vendor == 0xffff)
		return -EINVAL;
	if (p2pdma_allow_host_bridge(vendor, device, flags))
		return -ENOSPC;
	pr_info("host bridge %04x:%04x allowed%s%s by pci_p2pdma.allow\n",
		vendor, device,
		flags & P2PDMA_ALLOW_SAME_HOST_BRIDGE ?
			" between its own root ports" :
			"",
		flags & P2PDMA_ALLOW_WRITES_ONLY ? " for writes only" : "");
	return 0;
}

static void __init p2pdma_parse_allow_param(void)
{
	char *list, *entry, *cur;

	if (!allow || !*allow)
		return;
	list = kstrdup(allow, GFP_KERNEL);
	if (!list)
		return;
	cur = list;
	while ((entry = strsep(&cur, ",")) != NULL) {
		char copy[32];
		int ret;

		if (!*entry)
			continue;
		strscpy(copy, entry, sizeof(copy));
		ret = p2pdma_parse_allow(entry);
		if (ret == -ENOSPC)
			pr_err("pci_p2pdma.allow: no room for '%s' (at most %d entries)\n",
			       copy, P2PDMA_MAX_EXTRA_ALLOW);
		else if (ret)
			pr_err("pci_p2pdma.allow: ignoring malformed entry '%s' (expected vvvv:dddd, hexadecimal, optionally followed by /same and /writes)\n",
			       copy);
	}
	kfree(list);
}

static int __init p2pdma_topology_init(void)
{
	struct pci_dev *pdev = NULL;
	int ret;

	p2pdma_parse_allow_param();
	ret = bus_register_notifier(&pci_bus_type, &p2pdma_pci_nb);
	/* PCI is enumerated later, but be right if that ever changes. */
	for_each_pci_dev(pdev)
		p2pdma_note_host_fn(pdev, true);
	return ret;
}
arch_initcall(p2pdma_topology_init);
