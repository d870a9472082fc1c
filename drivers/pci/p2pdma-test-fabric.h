/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An emulated PCI Express hierarchy for the P2PDMA KUnit tests.
 *
 * The fabric is made of real PCI core objects: a host bridge in a PCI domain
 * of its own whose config accessors serve emulated config space from memory.
 * The PCI core scans it, numbers its buses, sizes and assigns its BARs and
 * binds drivers (portdrv) exactly as it would for hardware, so the code under
 * test walks genuine struct pci_dev and struct pci_bus chains.
 *
 * BARs live in a host bridge window at a physical address that is not RAM
 * and has nothing behind it: tests may create struct pages for it but must
 * never read or write P2P memory.
 */
#ifndef _DRIVERS_PCI_P2PDMA_TEST_FABRIC_H
#define _DRIVERS_PCI_P2PDMA_TEST_FABRIC_H

#include <linux/pci.h>
#include <linux/types.h>

struct kunit;
struct p2pdma_test_fabric_priv;

/* ACS capabilities of ports built with &p2pdma_test_node.acs set. */
#define P2PDMA_TEST_ACS_CAPS \
	(PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF | PCI_ACS_EC)

/* Size in bits of the egress control vector of those ports. */
#define P2PDMA_TEST_ACS_EGRESS_BITS 32

/*
 * Port Number of a port is its device number plus this, so that code
 * taking one for the other gets caught.
 */
#define P2PDMA_TEST_PORT_BASE 4

/* VFs a node may have. */
#define P2PDMA_TEST_MAX_VFS 8

/* Vendor ID of every function whose &p2pdma_test_node.vendor is 0. */
#define P2PDMA_TEST_VENDOR 0xfff0

/**
 * enum p2pdma_test_kind - what a node of the fabric is
 * @P2PDMA_TEST_ROOT_PORT: PCIe root port on the root bus
 * @P2PDMA_TEST_SWITCH_UP: upstream port of a switch, below a root port or a
 *	downstream port
 * @P2PDMA_TEST_SWITCH_DOWN: downstream port of a switch, below an upstream
 *	port
 * @P2PDMA_TEST_ENDPOINT: PCIe endpoint, anywhere
 */
enum p2pdma_test_kind {
	P2PDMA_TEST_ROOT_PORT,
	P2PDMA_TEST_SWITCH_UP,
	P2PDMA_TEST_SWITCH_DOWN,
	P2PDMA_TEST_ENDPOINT,
};

/**
 * struct p2pdma_test_node - one PCI function of an emulated hierarchy
 * @name: unique name tests find the function by; NULL ends the table
 * @parent: index in the same table of the bridge above, which must come
 *	earlier in the table, or -1 for the root bus
 * @kind: the function's PCIe port type
 * @devfn: device and function number on the parent's secondary bus; below
 *	a root port or a downstream port only device 0 exists (a PCIe link
 *	has one device, and the PCI core scans no other) unless the device
 *	has ARI, whose functions may take any of the 256 numbers
 * @multifunction: set the multifunction bit of the header type; it is set
 *	anyway on functions that share their slot with another node
 * @acs: give the function an ACS extended capability with
 *	%P2PDMA_TEST_ACS_CAPS and an egress control vector of
 *	%P2PDMA_TEST_ACS_EGRESS_BITS bits; control and vector start out 0
 * @ari: give the function an ARI extended capability; set it on every
 *	function of the device, function 0 included.  Root and downstream
 *	ports always support ARI forwarding.
 * @nr_vfs: give the function an SR-IOV extended capability with this many
 *	VFs (at most %P2PDMA_TEST_MAX_VFS), enabled with
 *	p2pdma_test_fabric_enable_vfs()
 * @vf_offset: First VF Offset: VF k has routing ID PF + @vf_offset +
 *	k * @vf_stride, which may be on a bus number past the PF's
 * @vf_stride: VF Stride
 * @vf_acs: give the VFs an ACS extended capability, as @acs
 * @bar_size: size of BAR 0, a 64-bit prefetchable memory BAR: a power of
 *	two from 4 KiB to 256 MiB, or 0 for no BAR at all
 * @vendor: vendor ID, or 0 for %P2PDMA_TEST_VENDOR
 * @device: device ID, or 0 for the fabric's default for @kind
 */
struct p2pdma_test_node {
	const char *name;
	int parent;
	enum p2pdma_test_kind kind;
	u8 devfn;
	bool multifunction;
	bool acs;
	bool ari;
	u8 nr_vfs;
	u16 vf_offset;
	u16 vf_stride;
	bool vf_acs;
	u64 bar_size;
	u16 vendor;
	u16 device;
};

/**
 * struct p2pdma_test_topology - what p2pdma_test_fabric_create() builds
 * @host_vendor: vendor ID of a host bridge function (class 0x0600) at 00.0
 *	of the root bus, or 0 for none; the P2PDMA allow-list matches it
 * @host_device: device ID of that function
 * @nodes: the other functions, parents before children, up to an entry
 *	whose &p2pdma_test_node.name is NULL
 */
struct p2pdma_test_topology {
	u16 host_vendor;
	u16 host_device;
	const struct p2pdma_test_node *nodes;
};

/**
 * struct p2pdma_test_fabric - a live emulated hierarchy
 * @topo: the description it was built from (not copied: keep it alive)
 * @root_bus: its root bus, number 0 of PCI domain @domain
 * @host: the host bridge function at 00.0, or NULL
 * @pdevs: the PCI device of each node, in table order
 * @nr_nodes: number of nodes in @topo
 * @domain: its PCI domain
 * @priv: emulation state, private to p2pdma-test-fabric.c
 */
struct p2pdma_test_fabric {
	const struct p2pdma_test_topology *topo;
	struct pci_bus *root_bus;
	struct pci_dev *host;
	struct pci_dev **pdevs;
	unsigned int nr_nodes;
	int domain;
	struct p2pdma_test_fabric_priv *priv;
};

/**
 * p2pdma_test_fabric_create - build, enumerate and add an emulated hierarchy
 * @test: test the fabric belongs to, or NULL
 * @topo: what to build
 *
 * Creates a host bridge in a new PCI domain (0x1000 and up) with a 1 GiB
 * 64-bit memory window above RAM, lets the PCI core scan it, number its
 * buses, assign its BARs and bind drivers, and looks up the PCI device of
 * every node.  ACS control registers are then cleared, whatever the kernel
 * set at enumeration, so that tests start from a known state.
 *
 * With @test, p2pdma_test_fabric_destroy() runs by itself when the test ends,
 * after the cleanup of everything the test set up later (KUnit cleans up in
 * reverse order), so P2P memory allocated with deferred frees is gone first.
 * Sleeps.
 *
 * Return: the fabric, or an ERR_PTR() if @topo is malformed or the fabric
 * cannot be built (the reason is logged).
 */
struct p2pdma_test_fabric *
p2pdma_test_fabric_create(struct kunit *test,
			  const struct p2pdma_test_topology *topo);

/**
 * p2pdma_test_fabric_destroy - remove an emulated hierarchy and free it
 * @fabric: from p2pdma_test_fabric_create(), or NULL
 *
 * Stops and removes every device, then frees the fabric.  Removing a P2P
 * provider waits until its memory is freed, so free it first.  Sleeps.
 */
void p2pdma_test_fabric_destroy(struct p2pdma_test_fabric *fabric);

/**
 * p2pdma_test_fabric_set_acs - write the ACS control register of a function
 * @fabric: the fabric
 * @name: node built with &p2pdma_test_node.acs, or "NODE/vfK" for VF K of
 *	a node built with &p2pdma_test_node.vf_acs
 * @ctrl: new value of the control register; bits outside
 *	%P2PDMA_TEST_ACS_CAPS are not implemented and read back as 0
 *
 * Changes the emulated register directly, as firmware or another agent
 * would, so nothing is told about the change: call p2pdma_topology_changed()
 * when code that caches ACS-based decisions must see it.
 *
 * Return: 0, -ENOENT if there is no function @name, or -EINVAL if it has no
 * ACS capability.
 */
int p2pdma_test_fabric_set_acs(struct p2pdma_test_fabric *fabric,
			       const char *name, u16 ctrl);

/**
 * p2pdma_test_fabric_set_egress - write the ACS egress control vector
 * @fabric: the fabric
 * @name: as for p2pdma_test_fabric_set_acs()
 * @vector: bit N stands for port or function N; bits past
 *	%P2PDMA_TEST_ACS_EGRESS_BITS do not exist
 *
 * Return: as p2pdma_test_fabric_set_acs().
 */
int p2pdma_test_fabric_set_egress(struct p2pdma_test_fabric *fabric,
				  const char *name, u32 vector);

/**
 * p2pdma_test_fabric_set_dead - make a function answer config reads with ~0
 * @fabric: the fabric
 * @name: node name, or "NODE/vfK" for an enabled VF
 * @dead: true to stop answering, false to answer again
 *
 * All ones is what a read of a function that is gone or cut off returns
 * (surprise removal, DPC containment).  Nothing is told about the change,
 * as with p2pdma_test_fabric_set_acs().
 *
 * Return: 0, or -ENOENT if there is no function @name.
 */
int p2pdma_test_fabric_set_dead(struct p2pdma_test_fabric *fabric,
				const char *name, bool dead);

/**
 * p2pdma_test_fabric_enable_vfs - enable the VFs of a node, as a PF driver
 * @fabric: the fabric
 * @name: node built with &p2pdma_test_node.nr_vfs
 *
 * Enables all of the node's VFs with pci_enable_sriov(), so the PCI core
 * creates their devices; they are disabled again when the fabric goes.
 * Sleeps (over 100 ms: the core waits for VFs to come up).
 *
 * Return: 0, -ENOENT if there is no such node, or the error of
 * pci_enable_sriov().
 */
int p2pdma_test_fabric_enable_vfs(struct p2pdma_test_fabric *fabric,
				  const char *name);

/**
 * p2pdma_test_fabric_dev - PCI device of a function, by name
 * @fabric: the fabric
 * @name: &p2pdma_test_node.name of a node, or "NODE/vfK" for VF K of a node
 *	whose VFs are enabled
 *
 * Return: the device (no reference taken: it lives as long as @fabric), or
 * NULL if no function has that name.
 */
struct pci_dev *p2pdma_test_fabric_dev(struct p2pdma_test_fabric *fabric,
				       const char *name);

/**
 * p2pdma_test_fabric_node - PCI device of a node, by index
 * @fabric: the fabric
 * @index: index of the node in &p2pdma_test_topology.nodes
 *
 * Return: the device (no reference taken), or NULL if @index is out of range.
 */
struct pci_dev *p2pdma_test_fabric_node(struct p2pdma_test_fabric *fabric,
					unsigned int index);

/**
 * p2pdma_test_fabric_child - a device below a PCI function of the fabric
 * @test: the test; the device is removed when it ends
 * @parent: the PCI function
 *
 * A device that is not a PCI device but does its DMA through one, as a
 * block device or an NVMe controller does.  It has no DMA mask of its own.
 *
 * Return: the device, or an ERR_PTR().
 */
struct device *p2pdma_test_fabric_child(struct kunit *test,
					struct pci_dev *parent);

/**
 * p2pdma_test_fabric_reads - config reads the fabric has served so far
 * @fabric: the fabric
 *
 * Return: the number of config space reads of any of its functions, valid
 * or not, since it was created.
 */
unsigned long p2pdma_test_fabric_reads(struct p2pdma_test_fabric *fabric);

#endif /* _DRIVERS_PCI_P2PDMA_TEST_FABRIC_H */
