// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the P2PDMA topology rules: which (provider, client) pairs
 * can do peer-to-peer DMA, how the client must address the provider, how far
 * apart they are, what the explanation says, and that cached verdicts follow
 * changes.
 *
 * Every case runs on emulated PCI Express hierarchies (p2pdma-test-fabric.c)
 * enumerated by the real PCI core.  Distances count the links between the
 * two functions along the path the traffic takes: up to the nearest common
 * bridge, or through the host bridge, which counts as one more hop per side.
 */
#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/seq_buf.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#ifdef CONFIG_X86
#include <asm/processor.h>
#endif

#include "p2pdma.h"
#include "p2pdma-test-fabric.h"

/*
 * Made-up host bridge IDs: a real one on the machine running the tests
 * could be on the built-in allow-list.  Each case has its own device ID so
 * that an allow-list entry a case leaks cannot make another case pass.
 */
#define HB_VENDOR 0xfff1

/* Redirect bits a case sets when it asks for ACS on a port. */
#define ACS_REDIRECT (PCI_ACS_RR | PCI_ACS_CR)

#define EXPLAIN_SIZE 1024

#define NODE(_name, _parent, _kind, _devfn, ...)                               \
	{                                                                      \
		.name = _name, .parent = _parent, .kind = P2PDMA_TEST_##_kind, \
		.devfn = _devfn, __VA_ARGS__                                   \
	}

#define TOPO(_host_device, _nodes)                                     \
	{                                                              \
		.host_vendor = HB_VENDOR, .host_device = _host_device, \
		.nodes = _nodes                                        \
	}

#define TOPO_NO_HOST(_nodes)    \
	{                       \
		.nodes = _nodes \
	}

/* A root port above a device with two functions. */
static const struct p2pdma_test_node mf_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0)),
	NODE("fn0", 0, ENDPOINT, PCI_DEVFN(0, 0), .multifunction = true,
	     .bar_size = SZ_2M),
	NODE("fn1", 0, ENDPOINT, PCI_DEVFN(0, 1), .multifunction = true,
	     .bar_size = SZ_2M),
	{}
};

/* The same, with an ACS capability on each function. */
static const struct p2pdma_test_node mf_acs_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0)),
	NODE("fn0", 0, ENDPOINT, PCI_DEVFN(0, 0), .multifunction = true,
	     .acs = true, .bar_size = SZ_2M),
	NODE("fn1", 0, ENDPOINT, PCI_DEVFN(0, 1), .multifunction = true,
	     .acs = true, .bar_size = SZ_2M),
	{}
};

/*
 * A device with ARI and SR-IOV below a root port: PF 0 with VFs right
 * after it on the same bus (routing IDs 0x10 and 0x11), PF 1 with VFs on
 * the next bus number (0x101 and 0x102).
 */
static const struct p2pdma_test_node sriov_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0), .acs = true),
	NODE("pf0", 0, ENDPOINT, PCI_DEVFN(0, 0), .ari = true, .acs = true,
	     .bar_size = SZ_2M, .nr_vfs = 2, .vf_offset = 0x10, .vf_stride = 1,
	     .vf_acs = true),
	NODE("pf1", 0, ENDPOINT, PCI_DEVFN(0, 1), .ari = true, .acs = true,
	     .bar_size = SZ_2M, .nr_vfs = 2, .vf_offset = 0x100, .vf_stride = 1,
	     .vf_acs = true),
	{}
};

/* ARI functions 0 and 9 of one device below a root port. */
static const struct p2pdma_test_node ari_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0), .acs = true),
	NODE("fn0", 0, ENDPOINT, PCI_DEVFN(0, 0), .ari = true, .acs = true,
	     .bar_size = SZ_2M),
	NODE("fn9", 0, ENDPOINT, PCI_DEVFN(1, 1), .ari = true, .acs = true,
	     .bar_size = SZ_2M),
	{}
};

/* Two endpoints integrated in the root complex (RCiEPs). */
static const struct p2pdma_test_node rciep_nodes[] = {
	NODE("ep0", -1, ENDPOINT, PCI_DEVFN(1, 0), .acs = true,
	     .bar_size = SZ_2M),
	NODE("ep1", -1, ENDPOINT, PCI_DEVFN(2, 0), .acs = true,
	     .bar_size = SZ_2M),
	{}
};

/*
 * The same without 00.0, the RCiEPs carrying IDs an allow-list entry
 * names: a function that is no root port says nothing of the root complex.
 */
static const struct p2pdma_test_node rciep_no_host_nodes[] = {
	NODE("ep0", -1, ENDPOINT, PCI_DEVFN(1, 0), .acs = true,
	     .bar_size = SZ_2M, .vendor = HB_VENDOR, .device = 0x0150),
	NODE("ep1", -1, ENDPOINT, PCI_DEVFN(2, 0), .acs = true,
	     .bar_size = SZ_2M, .vendor = HB_VENDOR, .device = 0x0150),
	{}
};

/* A switch below a root port, an endpoint on each downstream port. */
static const struct p2pdma_test_node switch_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0), .acs = true),
	NODE("up", 0, SWITCH_UP, PCI_DEVFN(0, 0)),
	NODE("dn0", 1, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn1", 1, SWITCH_DOWN, PCI_DEVFN(1, 0), .acs = true),
	NODE("dn2", 1, SWITCH_DOWN, PCI_DEVFN(2, 0), .acs = true),
	NODE("ep0", 2, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	NODE("ep1", 3, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	NODE("ep2", 4, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	{}
};

/* ep_a below one switch, ep_b below a second switch below the first. */
static const struct p2pdma_test_node nested_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0)),
	NODE("up1", 0, SWITCH_UP, PCI_DEVFN(0, 0)),
	NODE("dn1a", 1, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn1b", 1, SWITCH_DOWN, PCI_DEVFN(1, 0), .acs = true),
	NODE("ep_a", 2, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	NODE("up2", 3, SWITCH_UP, PCI_DEVFN(0, 0)),
	NODE("dn2a", 5, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("ep_b", 6, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	{}
};

/*
 * Five switches deep on the client's side, every port on the way with ACS:
 * more redirecting ports than an explanation names.
 */
static const struct p2pdma_test_node deep_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0)),
	NODE("up1", 0, SWITCH_UP, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn1a", 1, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn1b", 1, SWITCH_DOWN, PCI_DEVFN(1, 0), .acs = true),
	NODE("ep_a", 2, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	NODE("up2", 3, SWITCH_UP, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn2", 5, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("up3", 6, SWITCH_UP, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn3", 7, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("up4", 8, SWITCH_UP, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn4", 9, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("up5", 10, SWITCH_UP, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn5", 11, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("ep_b", 12, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	{}
};

/* An endpoint on each of two root ports. */
static const struct p2pdma_test_node two_rp_nodes[] = {
	NODE("rp0", -1, ROOT_PORT, PCI_DEVFN(1, 0), .acs = true),
	NODE("rp1", -1, ROOT_PORT, PCI_DEVFN(2, 0), .acs = true),
	NODE("ep0", 0, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	NODE("ep1", 1, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	{}
};

/*
 * The same without a host bridge function at 00.0: the root ports' IDs then
 * stand for the host bridge.
 */
static const struct p2pdma_test_node rp_allowed_nodes[] = {
	NODE("rp0", -1, ROOT_PORT, PCI_DEVFN(1, 0), .vendor = HB_VENDOR,
	     .device = 0x0109),
	NODE("rp1", -1, ROOT_PORT, PCI_DEVFN(2, 0), .vendor = HB_VENDOR,
	     .device = 0x0109),
	NODE("ep0", 0, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	NODE("ep1", 1, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	{}
};

static const struct p2pdma_test_node rp_unknown_nodes[] = {
	NODE("rp0", -1, ROOT_PORT, PCI_DEVFN(1, 0), .vendor = HB_VENDOR,
	     .device = 0x010a),
	NODE("rp1", -1, ROOT_PORT, PCI_DEVFN(2, 0), .vendor = HB_VENDOR,
	     .device = 0x010a),
	NODE("ep0", 0, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	NODE("ep1", 1, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	{}
};

/* One endpoint below one root port, to put in a host bridge of its own. */
static const struct p2pdma_test_node one_rp_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0)),
	NODE("ep", 0, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	{}
};

enum p2pdma_client_kind {
	CLIENT_PCI, /* the node itself */
	CLIENT_NON_PCI, /* a device with no PCI device above it */
	CLIENT_PCI_CHILD, /* a non-PCI device below the node */
};

/**
 * struct p2pdma_topo_case - one pair on one or two emulated hierarchies
 * @name: description of the case
 * @topo: hierarchy of the provider, and of the client unless @topo2 is set
 * @topo2: hierarchy below a second host bridge holding the client, if
 *	@topo2.nodes is set
 * @provider: node of @topo providing the memory
 * @client: node of the client (or of its PCI parent)
 * @client_kind: what the client is
 * @acs: functions of @topo ("NODE" or "NODE/vfK", whose PF's VFs are then
 *	enabled) whose ACS control is set to @acs_ctrl
 * @acs_ctrl: ACS control bits to set, %ACS_REDIRECT if 0
 * @egress: ACS egress control vector to set on the @acs functions
 * @allow_device: if not 0, allow-list host bridge %HB_VENDOR:@allow_device
 * @allow_same: ...only for traffic between its own root ports
 * @map: expected map type
 * @distance: expected distance
 * @why: substring the explanation must contain, or NULL
 * @why_host: the explanation must name the provider's host bridge ID
 * @why_acs: the explanation must name the @acs ports and say how to boot
 *	without their redirection
 */
struct p2pdma_topo_case {
	const char *name;
	struct p2pdma_test_topology topo;
	struct p2pdma_test_topology topo2;
	const char *provider;
	const char *client;
	enum p2pdma_client_kind client_kind;
	const char *acs[2];
	u16 acs_ctrl;
	u32 egress;
	u16 allow_device;
	bool allow_same;
	enum pci_p2pdma_map_type map;
	int distance;
	const char *why;
	bool why_host;
	bool why_acs;
};

#define BUS_ADDR PCI_P2PDMA_MAP_BUS_ADDR
#define THRU_HB PCI_P2PDMA_MAP_THRU_HOST_BRIDGE
#define NOT_SUPPORTED PCI_P2PDMA_MAP_NOT_SUPPORTED

static const struct p2pdma_topo_case p2pdma_topo_cases[] = {
	{
		.name = "provider is the client",
		.topo = TOPO(0x0101, switch_nodes),
		.provider = "ep0",
		.client = "ep0",
		.map = BUS_ADDR,
		.distance = 0,
	},
	{
		.name = "two functions of one device",
		.topo = TOPO(0x0102, mf_nodes),
		.provider = "fn0",
		.client = "fn1",
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "ACS redirect on a function of a multifunction device",
		.topo = TOPO(0x0123, mf_acs_nodes),
		.provider = "fn0",
		.client = "fn1",
		.acs = { "fn1" },
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "ACS without redirection on the functions",
		.topo = TOPO(0x0124, mf_acs_nodes),
		.provider = "fn0",
		.client = "fn1",
		.acs = { "fn0", "fn1" },
		.acs_ctrl = PCI_ACS_SV,
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "two downstream ports of one switch",
		.topo = TOPO(0x0103, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.map = BUS_ADDR,
		.distance = 4,
	},
	{
		.name = "nested switches",
		.topo = TOPO(0x0104, nested_nodes),
		.provider = "ep_a",
		.client = "ep_b",
		.map = BUS_ADDR,
		.distance = 6,
	},
	{
		.name = "nested switches, provider deeper",
		.topo = TOPO(0x0105, nested_nodes),
		.provider = "ep_b",
		.client = "ep_a",
		.map = BUS_ADDR,
		.distance = 6,
	},
	{
		.name = "two root ports of an allowed host bridge",
		.topo = TOPO(0x0106, two_rp_nodes),
		.provider = "ep0",
		.client = "ep1",
		.allow_device = 0x0106,
		.map = THRU_HB,
		.distance = 4,
	},
	{
		.name = "two root ports of a host bridge allowed within itself",
		.topo = TOPO(0x0107, two_rp_nodes),
		.provider = "ep0",
		.client = "ep1",
		.allow_device = 0x0107,
		.allow_same = true,
		.map = THRU_HB,
		.distance = 4,
	},
	{
		.name = "two root ports of an unknown host bridge",
		.topo = TOPO(0x0108, two_rp_nodes),
		.provider = "ep0",
		.client = "ep1",
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_host = true,
	},
	{
		.name = "no 00.0, allowed root port",
		.topo = TOPO_NO_HOST(rp_allowed_nodes),
		.provider = "ep0",
		.client = "ep1",
		.allow_device = 0x0109,
		.map = THRU_HB,
		.distance = 4,
	},
	{
		.name = "no 00.0, unknown root port",
		.topo = TOPO_NO_HOST(rp_unknown_nodes),
		.provider = "ep0",
		.client = "ep1",
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_host = true,
	},
	{
		.name = "two host bridges allowed within themselves",
		.topo = TOPO(0x010b, one_rp_nodes),
		.topo2 = TOPO(0x010b, one_rp_nodes),
		.provider = "ep",
		.client = "ep",
		.allow_device = 0x010b,
		.allow_same = true,
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_host = true,
	},
	{
		.name = "two host bridges allowed across",
		.topo = TOPO(0x010c, one_rp_nodes),
		.topo2 = TOPO(0x010c, one_rp_nodes),
		.provider = "ep",
		.client = "ep",
		.allow_device = 0x010c,
		.map = THRU_HB,
		.distance = 4,
	},
	{
		.name = "two unknown host bridges",
		.topo = TOPO(0x010d, one_rp_nodes),
		.topo2 = TOPO(0x010d, one_rp_nodes),
		.provider = "ep",
		.client = "ep",
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_host = true,
	},
	{
		.name = "ACS redirect on the path, allowed host bridge",
		.topo = TOPO(0x010e, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn0" },
		.allow_device = 0x010e,
		.map = THRU_HB,
		.distance = 8,
		.why_acs = true,
	},
	{
		.name = "ACS redirect on the path, unknown host bridge",
		.topo = TOPO(0x010f, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn1" },
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "ACS redirect on both downstream ports of the path",
		.topo = TOPO(0x0110, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn0", "dn1" },
		.allow_device = 0x0110,
		.map = THRU_HB,
		.distance = 8,
		.why_acs = true,
	},
	{
		.name = "ACS redirect on the root port above the switch",
		.topo = TOPO(0x0111, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "rp" },
		.map = BUS_ADDR,
		.distance = 4,
	},
	{
		.name = "ACS redirect on a port off the path",
		.topo = TOPO(0x0112, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn2" },
		.map = BUS_ADDR,
		.distance = 4,
	},
	{
		.name = "ACS without redirection on the path",
		.topo = TOPO(0x0113, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn0", "dn1" },
		.acs_ctrl = PCI_ACS_SV | PCI_ACS_UF,
		.map = BUS_ADDR,
		.distance = 4,
	},
	{
		.name = "ACS egress control toward the provider's port",
		.topo = TOPO(0x0114, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn1" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(P2PDMA_TEST_PORT_BASE),
		.why = "egress control vector bit 4",
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
	},
	{
		.name = "ACS egress control toward another port only",
		.topo = TOPO(0x0130, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn1" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(P2PDMA_TEST_PORT_BASE + 2) | BIT(0),
		.map = BUS_ADDR,
		.distance = 4,
	},
	{
		.name = "ACS egress control with an empty vector",
		.topo = TOPO(0x0131, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn0", "dn1" },
		.acs_ctrl = PCI_ACS_EC,
		.map = BUS_ADDR,
		.distance = 4,
	},
	{
		.name = "ACS egress control toward the client's port, allowed host bridge",
		.topo = TOPO(0x0132, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "dn0" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(P2PDMA_TEST_PORT_BASE + 1),
		.why = "egress control vector bit 5",
		.allow_device = 0x0132,
		.map = THRU_HB,
		.distance = 8,
		.why_acs = true,
	},
	{
		.name = "ACS egress control in a nested switch the request only climbs",
		.topo = TOPO(0x0133, nested_nodes),
		.provider = "ep_a",
		.client = "ep_b",
		.acs = { "dn2a" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = U32_MAX,
		.map = BUS_ADDR,
		.distance = 6,
	},
	{
		.name = "PF and its VF",
		.topo = TOPO(0x0134, sriov_nodes),
		.provider = "pf0",
		.client = "pf0/vf0",
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "PF and its VF, ACS redirect on the VF",
		.topo = TOPO(0x0135, sriov_nodes),
		.provider = "pf0",
		.client = "pf0/vf0",
		.acs = { "pf0/vf0" },
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "PF and its VF, completion redirect on the PF",
		.topo = TOPO(0x0136, sriov_nodes),
		.provider = "pf0",
		.client = "pf0/vf1",
		.acs = { "pf0" },
		.acs_ctrl = PCI_ACS_CR,
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "PF and its VF, VF egress control toward the PF",
		.topo = TOPO(0x0137, sriov_nodes),
		.provider = "pf0",
		.client = "pf0/vf0",
		.acs = { "pf0/vf0" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(0),
		.why = "egress control vector bit 0",
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "PF and its VF, VF egress control toward PF 1 only",
		.topo = TOPO(0x0138, sriov_nodes),
		.provider = "pf0",
		.client = "pf0/vf0",
		.acs = { "pf0/vf0" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(1),
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "PF and its VF, ACS redirect on the VF, allowed host bridge",
		.topo = TOPO(0x0139, sriov_nodes),
		.provider = "pf0",
		.client = "pf0/vf0",
		.acs = { "pf0/vf0" },
		.allow_device = 0x0139,
		.map = THRU_HB,
		.distance = 4,
		.why_acs = true,
	},
	{
		.name = "two VFs of one PF",
		.topo = TOPO(0x013a, sriov_nodes),
		.provider = "pf0/vf0",
		.client = "pf0/vf1",
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "two VFs of one PF, ACS redirect on the client",
		.topo = TOPO(0x013b, sriov_nodes),
		.provider = "pf0/vf0",
		.client = "pf0/vf1",
		.acs = { "pf0/vf1" },
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "VFs of two PFs, one on a bus of its own",
		.topo = TOPO(0x013c, sriov_nodes),
		.provider = "pf0/vf0",
		.client = "pf1/vf1",
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "VFs of two PFs, ACS redirect on the VF on its own bus",
		.topo = TOPO(0x013d, sriov_nodes),
		.provider = "pf0/vf0",
		.client = "pf1/vf1",
		.acs = { "pf1/vf1" },
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "egress control on a VF toward a VF on another bus, vector set",
		.topo = TOPO(0x013e, sriov_nodes),
		.provider = "pf0/vf0",
		.client = "pf1/vf1",
		.acs = { "pf1/vf1" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(5),
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "egress control on a VF toward a VF on another bus, empty vector",
		.topo = TOPO(0x014a, sriov_nodes),
		.provider = "pf0/vf0",
		.client = "pf1/vf1",
		.acs = { "pf1/vf1" },
		.acs_ctrl = PCI_ACS_EC,
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "ARI functions 0 and 9",
		.topo = TOPO(0x013f, ari_nodes),
		.provider = "fn0",
		.client = "fn9",
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "ARI functions 0 and 9, ACS redirect on function 9",
		.topo = TOPO(0x0140, ari_nodes),
		.provider = "fn0",
		.client = "fn9",
		.acs = { "fn9" },
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "ARI functions 0 and 9, egress control toward function 9",
		.topo = TOPO(0x0141, ari_nodes),
		.provider = "fn9",
		.client = "fn0",
		.acs = { "fn0" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(9),
		.why = "egress control vector bit 9",
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "ARI functions 0 and 9, egress control toward function 1",
		.topo = TOPO(0x0142, ari_nodes),
		.provider = "fn9",
		.client = "fn0",
		.acs = { "fn0" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(1),
		.map = BUS_ADDR,
		.distance = 2,
	},
	{
		.name = "multifunction device, egress control toward function 0",
		.topo = TOPO(0x0143, mf_acs_nodes),
		.provider = "fn0",
		.client = "fn1",
		.acs = { "fn1" },
		.acs_ctrl = PCI_ACS_EC,
		.egress = BIT(0),
		.why = "egress control vector bit 0",
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_acs = true,
		.why_host = true,
	},
	{
		.name = "ACS on two root ports: only the allow-list can help",
		.topo = TOPO(0x0146, two_rp_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "rp0", "rp1" },
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_host = true,
		.why = "pci_p2pdma.allow=",
	},
	{
		.name = "two RCiEPs on the root bus, unknown host bridge",
		.topo = TOPO(0x0144, rciep_nodes),
		.provider = "ep0",
		.client = "ep1",
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why_host = true,
	},
	{
		.name = "two RCiEPs on the root bus, allowed host bridge",
		.topo = TOPO(0x0145, rciep_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "ep0", "ep1" },
		.allow_device = 0x0145,
		.map = THRU_HB,
		.distance = 2,
	},
	{
		.name = "no 00.0, RCiEPs with allowed IDs stand for nothing",
		.topo = TOPO_NO_HOST(rciep_no_host_nodes),
		.provider = "ep0",
		.client = "ep1",
		.acs = { "ep0", "ep1" },
		.allow_device = 0x0150,
		.map = NOT_SUPPORTED,
		.distance = -1,
	},
	{
		.name = "ACS redirect in a nested switch, allowed host bridge",
		.topo = TOPO(0x0115, nested_nodes),
		.provider = "ep_a",
		.client = "ep_b",
		.acs = { "dn2a" },
		.allow_device = 0x0115,
		.map = THRU_HB,
		.distance = 10,
		.why_acs = true,
	},
	{
		.name = "client is not a PCI device",
		.topo = TOPO(0x0116, switch_nodes),
		.provider = "ep0",
		.client_kind = CLIENT_NON_PCI,
		.map = NOT_SUPPORTED,
		.distance = -1,
		.why = "not a PCI device",
	},
	{
		.name = "client below a PCI device",
		.topo = TOPO(0x0117, switch_nodes),
		.provider = "ep0",
		.client = "ep1",
		.client_kind = CLIENT_PCI_CHILD,
		.map = BUS_ADDR,
		.distance = 4,
	},
	{
		.name = "client below the provider",
		.topo = TOPO(0x0118, switch_nodes),
		.provider = "ep0",
		.client = "ep0",
		.client_kind = CLIENT_PCI_CHILD,
		.map = BUS_ADDR,
		.distance = 0,
	},
};

static void p2pdma_topo_case_desc(const struct p2pdma_topo_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(p2pdma_topo, p2pdma_topo_cases, p2pdma_topo_case_desc);

/*
 * AMD Zen and later forward peer traffic between any root ports, whatever
 * the allow-list says, so host bridge refusals cannot be seen there.
 */
static bool p2pdma_test_cpu_forwards_all(void)
{
#ifdef CONFIG_X86
	return (boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
		boot_cpu_data.x86_vendor == X86_VENDOR_HYGON) &&
	       boot_cpu_data.x86 >= 0x17;
#else
	return false;
#endif
}

static void p2pdma_test_forget(void *data)
{
	unsigned long id = (unsigned long)data;

	p2pdma_forget_host_bridge(id >> 16, id & 0xffff);
}

/* Allow-list a host bridge until the test ends. */
static void p2pdma_test_allow(struct kunit *test, u16 vendor, u16 device,
			      unsigned int flags)
{
	unsigned long id = (unsigned long)vendor << 16 | device;

	KUNIT_ASSERT_EQ(test, p2pdma_allow_host_bridge(vendor, device, flags),
			0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, p2pdma_test_forget,
						  (void *)id),
			0);
}

static struct p2pdma_test_fabric *
p2pdma_test_fabric(struct kunit *test, const struct p2pdma_test_topology *topo)
{
	struct p2pdma_test_fabric *fabric =
		p2pdma_test_fabric_create(test, topo);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fabric);
	return fabric;
}

static struct pci_dev *p2pdma_test_dev(struct kunit *test,
				       struct p2pdma_test_fabric *fabric,
				       const char *name)
{
	struct pci_dev *pdev = p2pdma_test_fabric_dev(fabric, name);

	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev, "no node %s", name);
	return pdev;
}

/* A device doing its DMA through @parent, removed when the test ends. */
static struct device *p2pdma_test_child(struct kunit *test,
					struct pci_dev *parent)
{
	struct device *dev = p2pdma_test_fabric_child(test, parent);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	return dev;
}

static char *p2pdma_test_explain(struct kunit *test, struct pci_dev *provider,
				 struct device *client)
{
	char *buf = kunit_kzalloc(test, EXPLAIN_SIZE, GFP_KERNEL);
	struct seq_buf s;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	seq_buf_init(&s, buf, EXPLAIN_SIZE);
	p2pdma_explain(provider, client, &s);
	KUNIT_EXPECT_FALSE(test, seq_buf_has_overflowed(&s));
	KUNIT_EXPECT_GT(test, seq_buf_used(&s), 0);
	/* dmesg and debugfs print it from a P2PDMA_EXPLAIN_MAX buffer. */
	KUNIT_EXPECT_LT_MSG(test, seq_buf_used(&s), P2PDMA_EXPLAIN_MAX,
			    "explanation: %s", buf);
	return buf;
}

/* "%04x:%04x" of what stands for the host bridge above @pdev. */
static void p2pdma_test_host_id(struct p2pdma_test_fabric *fabric,
				struct pci_dev *pdev, char *id, size_t size)
{
	struct pci_dev *top = fabric->host ?: pcie_find_root_port(pdev);

	snprintf(id, size, "%04x:%04x", top->vendor, top->device);
}

static void p2pdma_test_check_why_acs(struct kunit *test,
				      const struct p2pdma_topo_case *c,
				      struct p2pdma_test_fabric *fabric,
				      const char *why)
{
	const char *a = pci_name(p2pdma_test_fabric_dev(fabric, c->acs[0]));
	char ab[64], ba[64];

	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, a), "explanation: %s", why);
	if (!c->acs[1]) {
		snprintf(ab, sizeof(ab), "pci=disable_acs_redir=%s", a);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, ab),
					  "explanation: %s", why);
	} else {
		const char *b =
			pci_name(p2pdma_test_fabric_dev(fabric, c->acs[1]));

		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, b),
					  "explanation: %s", why);
		/* Either order names both ports in one parameter. */
		snprintf(ab, sizeof(ab), "pci=disable_acs_redir=%s;%s", a, b);
		snprintf(ba, sizeof(ba), "pci=disable_acs_redir=%s;%s", b, a);
		KUNIT_EXPECT_TRUE_MSG(test, strstr(why, ab) || strstr(why, ba),
				      "explanation: %s", why);
	}
}

/* Enable the VFs of the PF of "NODE/vfK", once. */
static void p2pdma_test_vfs_of(struct kunit *test,
			       struct p2pdma_test_fabric *fabric,
			       const char *name)
{
	const char *vf = strstr(name, "/vf");
	struct pci_dev *pf;
	char node[16];

	if (!vf)
		return;
	KUNIT_ASSERT_LT(test, (size_t)(vf - name), sizeof(node));
	strscpy(node, name, vf - name + 1);
	pf = p2pdma_test_dev(test, fabric, node);
	if (pci_num_vf(pf))
		return;
	KUNIT_ASSERT_EQ_MSG(test, p2pdma_test_fabric_enable_vfs(fabric, node),
			    0, "VFs of %s", node);
}

static void p2pdma_topology_case(struct kunit *test)
{
	const struct p2pdma_topo_case *c = test->param_value;
	struct p2pdma_test_fabric *fabric, *cfabric;
	struct pci_dev *provider, *pci_client = NULL;
	struct p2pdma_verdict v;
	struct device *client;
	char host_id[16];
	const char *why;
	unsigned int i;

	if (c->map == NOT_SUPPORTED && c->client_kind != CLIENT_NON_PCI &&
	    p2pdma_test_cpu_forwards_all())
		kunit_skip(test,
			   "this CPU forwards peer traffic between any root ports");

	fabric = p2pdma_test_fabric(test, &c->topo);
	cfabric = c->topo2.nodes ? p2pdma_test_fabric(test, &c->topo2) : fabric;
	if (c->allow_device)
		p2pdma_test_allow(test, HB_VENDOR, c->allow_device,
				  c->allow_same ?
					  P2PDMA_ALLOW_SAME_HOST_BRIDGE :
					  0);
	p2pdma_test_vfs_of(test, fabric, c->provider);
	if (c->client)
		p2pdma_test_vfs_of(test, cfabric, c->client);
	for (i = 0; i < ARRAY_SIZE(c->acs) && c->acs[i]; i++) {
		int ret;

		p2pdma_test_vfs_of(test, fabric, c->acs[i]);
		ret = p2pdma_test_fabric_set_acs(fabric, c->acs[i],
						 c->acs_ctrl ?: ACS_REDIRECT);
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "ACS on %s", c->acs[i]);
		ret = p2pdma_test_fabric_set_egress(fabric, c->acs[i],
						    c->egress);
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "egress on %s", c->acs[i]);
	}
	/* The ACS change happened behind the kernel's back: announce it. */
	p2pdma_topology_changed();

	provider = p2pdma_test_dev(test, fabric, c->provider);
	switch (c->client_kind) {
	case CLIENT_PCI:
		pci_client = p2pdma_test_dev(test, cfabric, c->client);
		client = &pci_client->dev;
		break;
	case CLIENT_PCI_CHILD:
		pci_client = p2pdma_test_dev(test, cfabric, c->client);
		client = p2pdma_test_child(test, pci_client);
		break;
	case CLIENT_NON_PCI:
		client = kunit_device_register(test, "p2pdma-test-non-pci");
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, client);
		break;
	default:
		KUNIT_FAIL_AND_ABORT(test, "bad client kind %d",
				     c->client_kind);
	}

	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(provider, client, false),
			c->distance);

	/* A client is judged as the PCI device that does its DMA. */
	KUNIT_EXPECT_PTR_EQ(test, p2pdma_pci_dev_of(client), pci_client);
	if (pci_client) {
		v = p2pdma_judge(provider, pci_client, NULL);
		KUNIT_EXPECT_EQ(test, v.map, c->map);
		KUNIT_EXPECT_EQ(test, v.distance, c->distance);
		/* The cached lookup agrees with the uncached one. */
		v = p2pdma_verdict_of(provider, pci_client);
		KUNIT_EXPECT_EQ(test, v.map, c->map);
		KUNIT_EXPECT_EQ(test, v.distance, c->distance);
	}

	why = p2pdma_test_explain(test, provider, client);
	kunit_info(test, "%s\n", why);
	if (c->why)
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, c->why),
					  "explanation: %s", why);
	if (c->map == NOT_SUPPORTED)
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, pci_name(provider)),
					  "explanation: %s", why);
	if (c->why_host) {
		p2pdma_test_host_id(fabric, provider, host_id, sizeof(host_id));
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, host_id),
					  "explanation: %s", why);
	}
	if (c->why_acs)
		p2pdma_test_check_why_acs(test, c, fabric, why);
	else
		KUNIT_EXPECT_NULL_MSG(test, strstr(why, "disable_acs_redir"),
				      "explanation: %s", why);
}

static const struct p2pdma_test_topology distance_many_topo =
	TOPO(0x0120, switch_nodes);
static const struct p2pdma_test_topology distance_many_other_topo =
	TOPO(0x0121, one_rp_nodes);

/* The distance to several clients is the sum, or -1 if one cannot. */
static void p2pdma_test_distance_many(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric, *other;
	struct pci_dev *ep0, *ep1, *ep2;
	struct device *non_pci;

	fabric = p2pdma_test_fabric(test, &distance_many_topo);
	other = p2pdma_test_fabric(test, &distance_many_other_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	ep2 = p2pdma_test_dev(test, fabric, "ep2");
	non_pci = kunit_device_register(test, "p2pdma-test-non-pci");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, non_pci);

	{
		struct device *clients[] = { &ep1->dev, &ep2->dev, &ep0->dev };

		KUNIT_EXPECT_EQ(test,
				pci_p2pdma_distance_many(ep0, clients, 1,
							 false),
				4);
		KUNIT_EXPECT_EQ(test,
				pci_p2pdma_distance_many(ep0, clients, 3,
							 false),
				8);
		/* Same answer when asked to explain (there is nothing to). */
		KUNIT_EXPECT_EQ(test,
				pci_p2pdma_distance_many(ep0, clients, 3, true),
				8);
	}
	{
		struct device *clients[] = {
			p2pdma_test_child(test, ep1),
			&ep2->dev,
		};

		KUNIT_EXPECT_EQ(test,
				pci_p2pdma_distance_many(ep0, clients, 2,
							 false),
				8);
	}
	{
		struct device *clients[] = { &ep1->dev, non_pci, &ep2->dev };

		KUNIT_EXPECT_EQ(test,
				pci_p2pdma_distance_many(ep0, clients, 3,
							 false),
				-1);
		/* The verbose path explains and still refuses. */
		KUNIT_EXPECT_EQ(test,
				pci_p2pdma_distance_many(ep0, clients, 3, true),
				-1);
	}
	if (!p2pdma_test_cpu_forwards_all()) {
		struct device *clients[] = {
			&ep1->dev,
			&p2pdma_test_dev(test, other, "ep")->dev,
		};

		/* The second host bridge is not allowed: one client fails. */
		KUNIT_EXPECT_EQ(test,
				pci_p2pdma_distance_many(ep0, clients, 2,
							 false),
				-1);
	}
}

static const struct p2pdma_test_topology verdict_cache_topo =
	TOPO(0x0122, switch_nodes);

/*
 * A verdict cached in the provider is reused until the topology is said to
 * have changed, and recomputed after.
 */
static void p2pdma_test_verdict_cache(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1;
	struct p2pdma_verdict v, judged;

	fabric = p2pdma_test_fabric(test, &verdict_cache_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	/* Verdicts are cached in a provider's P2P state: make it one. */
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(ep0, 0, 0, 0), 0);

	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_BUS_ADDR);
	KUNIT_EXPECT_EQ(test, v.distance, 4);

	/* Redirect below the switch without telling anyone... */
	KUNIT_ASSERT_EQ(test,
			p2pdma_test_fabric_set_acs(fabric, "dn1", ACS_REDIRECT),
			0);
	judged = p2pdma_judge(ep0, ep1, NULL);
	KUNIT_EXPECT_NE(test, judged.map, PCI_P2PDMA_MAP_BUS_ADDR);
	/*
	 * ...and the cached verdict is still served, which shows there is a
	 * cache: without this check, a lookup that never caches would pass.
	 */
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_BUS_ADDR);
	KUNIT_EXPECT_EQ(test, v.distance, 4);

	p2pdma_topology_changed();
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, judged.map);
	KUNIT_EXPECT_EQ(test, v.distance, judged.distance);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(ep0, &ep1->dev, false),
			judged.distance);

	/* Allow-listing the host bridge routes the traffic through it. */
	p2pdma_test_allow(test, HB_VENDOR, 0x0122, 0);
	p2pdma_topology_changed();
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_EQ(test, v.distance, 8);

	/* Back to the start once the redirection is gone. */
	KUNIT_ASSERT_EQ(test, p2pdma_test_fabric_set_acs(fabric, "dn1", 0), 0);
	p2pdma_topology_changed();
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_BUS_ADDR);
	KUNIT_EXPECT_EQ(test, v.distance, 4);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(ep0, &ep1->dev, false), 4);
}

static const struct p2pdma_test_topology silent_port_topo =
	TOPO(0x014c, switch_nodes);

/*
 * A port that answers config reads with all ones (surprise removal, DPC)
 * has no ACS setting to judge: the pair is refused while it is silent, the
 * explanation says so, and nothing is cached, because the port may answer
 * again without any device being added or removed.
 */
static void p2pdma_test_silent_port(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1;
	struct p2pdma_verdict v;
	char *why;

	fabric = p2pdma_test_fabric(test, &silent_port_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(ep0, 0, 0, 0), 0);

	KUNIT_ASSERT_EQ(test, p2pdma_test_fabric_set_dead(fabric, "dn1", true),
			0);
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.distance, -1);
	why = p2pdma_test_explain(test, ep0, &ep1->dev);
	KUNIT_EXPECT_NOT_NULL_MSG(test,
				  strstr(why, "does not answer config reads"),
				  "explanation: %s", why);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, pci_name(ep1->bus->self)),
				  "explanation: %s", why);

	/* It answers again: no notification, and the pair is fine again. */
	KUNIT_ASSERT_EQ(test, p2pdma_test_fabric_set_dead(fabric, "dn1", false),
			0);
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_BUS_ADDR);
	KUNIT_EXPECT_EQ(test, v.distance, 4);
}

static const struct p2pdma_test_topology replug_topo =
	TOPO(0x0125, switch_nodes);

/*
 * A device removed and scanned again at the same address is judged afresh:
 * the PCI bus notifier drops cached verdicts.  Here the client comes back
 * behind a downstream port whose ACS now redirects, so the cached
 * bus-address verdict must not be served for it.
 */
static void p2pdma_test_verdict_follows_replug(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1, *fresh;
	struct p2pdma_verdict v;
	struct pci_bus *bus;
	unsigned int devfn;

	fabric = p2pdma_test_fabric(test, &replug_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(ep0, 0, 0, 0), 0);
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_BUS_ADDR);

	KUNIT_ASSERT_EQ(test,
			p2pdma_test_fabric_set_acs(fabric, "dn1", ACS_REDIRECT),
			0);
	bus = ep1->bus;
	devfn = ep1->devfn;
	pci_lock_rescan_remove();
	pci_stop_and_remove_bus_device(ep1);
	pci_rescan_bus(bus);
	pci_unlock_rescan_remove();

	fresh = pci_get_slot(bus, devfn);
	KUNIT_ASSERT_NOT_NULL(test, fresh);
	KUNIT_EXPECT_PTR_NE(test, fresh, ep1);
	v = p2pdma_verdict_of(ep0, fresh);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, v.distance, -1);
	pci_dev_put(fresh);
}

static const struct p2pdma_test_topology host_id_topo =
	TOPO(0x0147, two_rp_nodes);

/*
 * The DMA map path judges a pair the first time it meets it, in atomic
 * context: the host bridge is known from enumeration, not read from 00.0's
 * config space then.
 */
static void p2pdma_test_host_bridge_known_early(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1;
	struct p2pdma_verdict v;
	unsigned long reads;

	fabric = p2pdma_test_fabric(test, &host_id_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	p2pdma_test_allow(test, HB_VENDOR, 0x0147, 0);

	reads = p2pdma_test_fabric_reads(fabric);
	v = p2pdma_judge(ep0, ep1, NULL);
	KUNIT_EXPECT_EQ(test, p2pdma_test_fabric_reads(fabric), reads);
	/* ...and it is still 00.0's ID that the allow-list matched. */
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_EQ(test, v.distance, 4);
}

/*
 * The client of the rebind case has a device ID of its own, so that the
 * test driver binds to nothing else (a provider with devres from
 * pci_p2pdma_add_resource() cannot be probed).
 */
#define REBIND_CLIENT_ID 0x0a5e

static const struct p2pdma_test_node rebind_nodes[] = {
	NODE("rp", -1, ROOT_PORT, PCI_DEVFN(1, 0)),
	NODE("up", 0, SWITCH_UP, PCI_DEVFN(0, 0)),
	NODE("dn0", 1, SWITCH_DOWN, PCI_DEVFN(0, 0), .acs = true),
	NODE("dn1", 1, SWITCH_DOWN, PCI_DEVFN(1, 0), .acs = true),
	NODE("ep0", 2, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M),
	NODE("ep1", 3, ENDPOINT, PCI_DEVFN(0, 0), .bar_size = SZ_2M,
	     .device = REBIND_CLIENT_ID),
	{}
};

static const struct pci_device_id p2pdma_test_bind_ids[] = {
	{ PCI_DEVICE(P2PDMA_TEST_VENDOR, REBIND_CLIENT_ID) },
	{}
};

static int p2pdma_test_bind_probe(struct pci_dev *pdev,
				  const struct pci_device_id *id)
{
	return 0;
}

static struct pci_driver p2pdma_test_bind_driver = {
	.name = "p2pdma-test-bind",
	.id_table = p2pdma_test_bind_ids,
	.probe = p2pdma_test_bind_probe,
};

KUNIT_DEFINE_ACTION_WRAPPER(p2pdma_test_unregister_driver,
			    pci_unregister_driver, struct pci_driver *);

static const struct p2pdma_test_topology rebind_topo =
	TOPO(0x0148, rebind_nodes);

/*
 * A client's IOMMU domain changes when its driver changes (vfio-pci, or a
 * new default domain type, set while unbound), with no device added or
 * removed: binding and unbinding a driver must drop its cached verdicts.
 * Here the emulated ACS changes behind the kernel's back while the client
 * has no driver; binding one must bring the new verdict.
 */
static void p2pdma_test_verdict_follows_rebind(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1;
	struct p2pdma_verdict v;
	int ret;

	fabric = p2pdma_test_fabric(test, &rebind_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(ep0, 0, 0, 0), 0);
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_BUS_ADDR);
	KUNIT_ASSERT_NULL(test, ep1->dev.driver);

	KUNIT_ASSERT_EQ(test,
			p2pdma_test_fabric_set_acs(fabric, "dn1", ACS_REDIRECT),
			0);
	/* Nothing else drops the cached verdict in the meantime... */
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_BUS_ADDR);
	/* ...but binding a driver does. */
	ret = pci_register_driver(&p2pdma_test_bind_driver);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, p2pdma_test_unregister_driver,
					&p2pdma_test_bind_driver);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_NOT_NULL(test, ep1->dev.driver);
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_NOT_SUPPORTED);

	/* And unbinding: back to the start with the redirection gone. */
	KUNIT_ASSERT_EQ(test, p2pdma_test_fabric_set_acs(fabric, "dn1", 0), 0);
	device_release_driver(&ep1->dev);
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_BUS_ADDR);
}

static const struct p2pdma_test_topology deep_topo = TOPO(0x014b, deep_nodes);

/*
 * Ten redirecting ports between the two devices: the verdict counts them
 * all, and the explanation names eight, says how many more there are and
 * still fits its buffer.
 */
static void p2pdma_test_many_redirects(struct kunit *test)
{
	static const char * const ports[] = {
		"dn1a", "dn1b", "up2", "dn2", "up3",
		"dn3",	"up4",	"dn4", "up5", "dn5",
	};
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep_a, *ep_b;
	struct p2pdma_verdict v;
	unsigned int i;
	char *why;

	fabric = p2pdma_test_fabric(test, &deep_topo);
	ep_a = p2pdma_test_dev(test, fabric, "ep_a");
	ep_b = p2pdma_test_dev(test, fabric, "ep_b");
	for (i = 0; i < ARRAY_SIZE(ports); i++) {
		int ret = p2pdma_test_fabric_set_acs(fabric, ports[i],
						     ACS_REDIRECT);

		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "ACS on %s", ports[i]);
	}
	p2pdma_test_allow(test, HB_VENDOR, 0x014b, 0);
	p2pdma_topology_changed();

	v = p2pdma_judge(ep_a, ep_b, NULL);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	why = p2pdma_test_explain(test, ep_a, &ep_b->dev);
	kunit_info(test, "%s\n", why);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, "and 2 more ports"),
				  "explanation: %s", why);
	KUNIT_EXPECT_NOT_NULL_MSG(test,
				  strstr(why, " and the ports not named)"),
				  "explanation: %s", why);
}

static const struct p2pdma_test_topology writes_only_topo =
	TOPO(0x0149, two_rp_nodes);

/* Free a page of P2P memory; its pagemap knows the provider. */
static void p2pdma_test_free_page(void *data)
{
	struct page *page = data;

	pci_free_p2pmem(to_p2pdma_range(page_pgmap(page))->provider,
			page_address(page), PAGE_SIZE);
}

/* Make @provider one and take a page of its memory, freed after the test. */
static struct page *p2pdma_test_provider_page(struct kunit *test,
					      struct pci_dev *provider)
{
	struct page *page;
	void *addr;

	KUNIT_ASSERT_EQ(test, pci_p2pdma_add_resource(provider, 0, 0, 0), 0);
	addr = pci_alloc_p2pmem(provider, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, addr);
	page = virt_to_page(addr);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, p2pdma_test_free_page,
						  page),
			0);
	return page;
}

/* The map type the DMA mapping code gets for @page, mapped in @dir. */
static enum pci_p2pdma_map_type p2pdma_test_map_dir(struct pci_dev *client,
						    struct page *page,
						    enum dma_data_direction dir)
{
	struct pci_p2pdma_map_state state = {};

	return pci_p2pdma_map_state_update(&state, &client->dev, page, dir);
}

/*
 * A root complex that forwards peer posted writes but not reads: the client
 * may write into the provider's memory (DMA_FROM_DEVICE) and nothing else,
 * and orchestrators, which promise both directions, are told no.
 */
static void p2pdma_test_writes_only(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1;
	struct p2pdma_verdict v;
	struct page *page;
	char *why;

	fabric = p2pdma_test_fabric(test, &writes_only_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	p2pdma_test_allow(test, HB_VENDOR, 0x0149, P2PDMA_ALLOW_WRITES_ONLY);
	page = p2pdma_test_provider_page(test, ep0);

	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_EQ(test, v.distance, 4);
	KUNIT_EXPECT_TRUE(test, v.writes_only);
	KUNIT_EXPECT_EQ(test, p2pdma_test_map_dir(ep1, page, DMA_FROM_DEVICE),
			PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_EQ(test, p2pdma_test_map_dir(ep1, page, DMA_TO_DEVICE),
			PCI_P2PDMA_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, p2pdma_test_map_dir(ep1, page, DMA_BIDIRECTIONAL),
			PCI_P2PDMA_MAP_NOT_SUPPORTED);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(ep0, &ep1->dev, true), -1);

	why = p2pdma_explain_alloc(ep0, &ep1->dev);
	KUNIT_ASSERT_NOT_NULL(test, why);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(why, "writes only"),
				  "explanation: %s", why);
	kfree(why);

	/* Without the flag both directions map, and the caches follow. */
	p2pdma_test_allow(test, HB_VENDOR, 0x0149, 0);
	KUNIT_EXPECT_EQ(test, p2pdma_test_map_dir(ep1, page, DMA_TO_DEVICE),
			PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(ep0, &ep1->dev, false), 4);
}

static const struct p2pdma_test_topology map_memo_topo =
	TOPO(0x014d, switch_nodes);

/*
 * The map path's memo of a range's last client: clients that take turns on
 * one range each get their own verdict, and the memo, like the provider's
 * cache, is believed until the topology is said to have changed.
 */
static void p2pdma_test_map_memo(struct kunit *test)
{
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1, *ep2;
	struct page *page;
	int i;

	fabric = p2pdma_test_fabric(test, &map_memo_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	ep2 = p2pdma_test_dev(test, fabric, "ep2");
	page = p2pdma_test_provider_page(test, ep0);
	/* ep2's port redirects to the unknown host bridge: no route. */
	KUNIT_ASSERT_EQ(test,
			p2pdma_test_fabric_set_acs(fabric, "dn2", ACS_REDIRECT),
			0);
	p2pdma_topology_changed();

	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ_MSG(test,
				    p2pdma_test_map_dir(ep1, page,
							DMA_BIDIRECTIONAL),
				    PCI_P2PDMA_MAP_BUS_ADDR, "turn %d", i);
		KUNIT_EXPECT_EQ_MSG(test,
				    p2pdma_test_map_dir(ep2, page,
							DMA_BIDIRECTIONAL),
				    PCI_P2PDMA_MAP_NOT_SUPPORTED, "turn %d", i);
	}

	/* Unannounced, ep1's redirect is not seen; announced, it is. */
	KUNIT_ASSERT_EQ(test,
			p2pdma_test_fabric_set_acs(fabric, "dn1", ACS_REDIRECT),
			0);
	KUNIT_EXPECT_EQ(test, p2pdma_test_map_dir(ep1, page, DMA_BIDIRECTIONAL),
			PCI_P2PDMA_MAP_BUS_ADDR);
	p2pdma_topology_changed();
	KUNIT_EXPECT_EQ(test, p2pdma_test_map_dir(ep1, page, DMA_BIDIRECTIONAL),
			PCI_P2PDMA_MAP_NOT_SUPPORTED);
	KUNIT_ASSERT_EQ(test, p2pdma_test_fabric_set_acs(fabric, "dn1", 0), 0);
	p2pdma_topology_changed();
	KUNIT_EXPECT_EQ(test, p2pdma_test_map_dir(ep1, page, DMA_BIDIRECTIONAL),
			PCI_P2PDMA_MAP_BUS_ADDR);
}

static void p2pdma_test_free_host_page(void *data)
{
	__free_page(data);
}

static const struct p2pdma_test_topology map_sg_entry_topo =
	TOPO(0x014e, switch_nodes);

/*
 * One list with entries of two providers in turn, one the client reaches
 * by bus address and one through the host bridge, and a host page: the
 * map_sg helper gives every entry its provider's decision, and the memo
 * ends up holding both providers.
 */
static void p2pdma_test_map_sg_entry_mixed(struct kunit *test)
{
	struct pci_p2pdma_map_state state = {};
	struct p2pdma_test_fabric *fabric;
	struct page *bus_page, *hb_page, *host_page;
	struct pci_dev *ep0, *ep1, *ep2;
	struct scatterlist sg[5];
	int i;

	fabric = p2pdma_test_fabric(test, &map_sg_entry_topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	ep2 = p2pdma_test_dev(test, fabric, "ep2");
	bus_page = p2pdma_test_provider_page(test, ep0);
	hb_page = p2pdma_test_provider_page(test, ep2);
	host_page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, host_page);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test,
						  p2pdma_test_free_host_page,
						  host_page),
			0);
	/* ep2's port sends its peer traffic up to an allowed host bridge. */
	KUNIT_ASSERT_EQ(test,
			p2pdma_test_fabric_set_acs(fabric, "dn2", ACS_REDIRECT),
			0);
	p2pdma_test_allow(test, HB_VENDOR, 0x014e, 0);
	p2pdma_topology_changed();

	sg_init_table(sg, ARRAY_SIZE(sg));
	for (i = 0; i < 4; i++)
		sg_set_page(&sg[i], i % 2 ? hb_page : bus_page, PAGE_SIZE, 0);
	sg_set_page(&sg[4], host_page, PAGE_SIZE, 0);
	for (i = 0; i < ARRAY_SIZE(sg); i++) {
		bool bus = i < 4 && !(i % 2);
		int ret = pci_p2pdma_map_sg_entry(&state, &ep1->dev, &sg[i],
						  sg_page(&sg[i]),
						  DMA_BIDIRECTIONAL);

		KUNIT_EXPECT_EQ_MSG(test, ret, bus ? 1 : 0, "entry %d", i);
		KUNIT_EXPECT_EQ_MSG(test, sg_dma_is_bus_address(&sg[i]), bus,
				    "entry %d", i);
		if (bus)
			KUNIT_EXPECT_EQ_MSG(test, sg_dma_address(&sg[i]),
					    pci_bus_address(ep0, 0) +
						    page_to_phys(bus_page) -
						    pci_resource_start(ep0, 0),
					    "entry %d", i);
	}
	KUNIT_EXPECT_PTR_EQ(test, state.bus_pgmap, page_pgmap(bus_page));
	KUNIT_EXPECT_PTR_EQ(test, state.hb_pgmap, page_pgmap(hb_page));
	for (i = 0; i < ARRAY_SIZE(sg); i++)
		sg_dma_unmark_bus_address(&sg[i]);
}

/*
 * Entries of the built-in allow-list, each judged on a host bridge with
 * those IDs at 00.0 and an endpoint on each of two of its root ports.
 */
struct p2pdma_builtin_case {
	const char *name;
	struct p2pdma_test_topology topo;
	enum pci_p2pdma_map_type map;
};

#define BUILTIN(_name, _vendor, _device, _map)                         \
	{                                                              \
		.name = _name, .map = PCI_P2PDMA_MAP_##_map, .topo = { \
			.host_vendor = _vendor,                        \
			.host_device = _device,                        \
			.nodes = two_rp_nodes                          \
		}                                                      \
	}

static const struct p2pdma_builtin_case p2pdma_builtin_cases[] = {
	BUILTIN("Ice Lake-SP IIO", 0x8086, 0x09a2, THRU_HOST_BRIDGE),
	BUILTIN("Sapphire Rapids DSA", 0x8086, 0x0b25, THRU_HOST_BRIDGE),
	BUILTIN("Diamond Rapids IAA", 0x8086, 0x1216, THRU_HOST_BRIDGE),
	BUILTIN("QAT 6xxx", 0x8086, 0x4948, THRU_HOST_BRIDGE),
	BUILTIN("Google SoC, any device", 0x1ae0, 0x1234, THRU_HOST_BRIDGE),
	BUILTIN("NVIDIA Vera", 0x10de, 0x2f95, THRU_HOST_BRIDGE),
	/* Was built in without any public evidence. */
	BUILTIN("Broadwell-EP", 0x8086, 0x6f00, NOT_SUPPORTED),
	/* A wildcard covers its own vendor only. */
	BUILTIN("not Google", 0x1ae1, 0x1234, NOT_SUPPORTED),
	BUILTIN("NVIDIA, another device", 0x10de, 0x2f94, NOT_SUPPORTED),
};

static void p2pdma_builtin_case_desc(const struct p2pdma_builtin_case *c,
				     char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s %04x:%04x", c->name,
		 c->topo.host_vendor, c->topo.host_device);
}

KUNIT_ARRAY_PARAM(p2pdma_builtin, p2pdma_builtin_cases,
		  p2pdma_builtin_case_desc);

static void p2pdma_test_builtin_allow(struct kunit *test)
{
	const struct p2pdma_builtin_case *c = test->param_value;
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1;
	struct p2pdma_verdict v;

	if (c->map == PCI_P2PDMA_MAP_NOT_SUPPORTED &&
	    p2pdma_test_cpu_forwards_all())
		kunit_skip(test,
			   "this CPU forwards peer traffic between any root ports");
	fabric = p2pdma_test_fabric(test, &c->topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, c->map);
	KUNIT_EXPECT_FALSE(test, v.writes_only);
}

/*
 * pci_p2pdma.allow= can restrict a built-in entry, not only add one: an
 * entry for a built-in host bridge with /writes makes it writes-only.
 */
static void p2pdma_test_allow_overrides_builtin(struct kunit *test)
{
	static const struct p2pdma_test_topology topo = {
		.host_vendor = 0x8086,
		.host_device = 0x09a2,
		.nodes = two_rp_nodes,
	};
	struct p2pdma_test_fabric *fabric;
	struct pci_dev *ep0, *ep1;
	struct p2pdma_verdict v;

	fabric = p2pdma_test_fabric(test, &topo);
	ep0 = p2pdma_test_dev(test, fabric, "ep0");
	ep1 = p2pdma_test_dev(test, fabric, "ep1");
	if (p2pdma_test_cpu_forwards_all())
		kunit_skip(test,
			   "this CPU forwards peer traffic between any root ports");
	p2pdma_test_allow(test, 0x8086, 0x09a2, P2PDMA_ALLOW_WRITES_ONLY);
	v = p2pdma_verdict_of(ep0, ep1);
	KUNIT_EXPECT_EQ(test, v.map, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	KUNIT_EXPECT_TRUE(test, v.writes_only);
}

static struct kunit_case p2pdma_topology_test_cases[] = {
	KUNIT_CASE_PARAM(p2pdma_topology_case, p2pdma_topo_gen_params),
	KUNIT_CASE(p2pdma_test_distance_many),
	KUNIT_CASE(p2pdma_test_verdict_cache),
	KUNIT_CASE(p2pdma_test_silent_port),
	KUNIT_CASE(p2pdma_test_verdict_follows_replug),
	KUNIT_CASE(p2pdma_test_host_bridge_known_early),
	KUNIT_CASE(p2pdma_test_verdict_follows_rebind),
	KUNIT_CASE(p2pdma_test_writes_only),
	KUNIT_CASE(p2pdma_test_map_memo),
	KUNIT_CASE(p2pdma_test_map_sg_entry_mixed),
	KUNIT_CASE(p2pdma_test_many_redirects),
	KUNIT_CASE_PARAM(p2pdma_test_builtin_allow, p2pdma_builtin_gen_params),
	KUNIT_CASE(p2pdma_test_allow_overrides_builtin),
	{}
};

static struct kunit_suite p2pdma_topology_test_suite = {
	.name = "p2pdma_topology",
	.test_cases = p2pdma_topology_test_cases,
};

kunit_test_suite(p2pdma_topology_test_suite);

MODULE_DESCRIPTION("KUnit tests of the PCI P2PDMA topology rules");
MODULE_LICENSE("GPL");
