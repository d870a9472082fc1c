// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: pci_p2pdma/matrix answers "can these two devices do P2P, how,
 * how far, and if not, why" for every provider and every possible client,
 * without anyone having to write a module.  Format in
 * Documentation/ABI/testing/debugfs-pci-p2pdma.  It gives the orchestrators'
 * view (both directions or nothing); each provider's p2pmem/peers in sysfs
 * gives each direction, to everyone.
 */
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "p2pdma.h"

static void p2pdma_show_pair(struct seq_file *m, struct pci_dev *provider,
			     struct pci_dev *client)
{
	struct p2pdma_verdict v = p2pdma_client_verdict(provider, &client->dev);
	char *why = p2pdma_explain_alloc(provider, &client->dev);

	seq_printf(m, "%s %s %s %d %s\n", pci_name(provider), pci_name(client),
		   p2pdma_map_name(v.map), v.distance, why ?: "(no memory)");
	kfree(why);
}

static int p2pdma_matrix_show(struct seq_file *m, void *unused)
{
	struct pci_dev *provider = NULL, *client;

	for_each_pci_dev(provider) {
		if (!pci_has_p2pmem(provider))
			continue;
		client = NULL;
		for_each_pci_dev(client)
			if (p2pdma_can_be_client(client))
				p2pdma_show_pair(m, provider, client);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2pdma_matrix);

static int __init p2pdma_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("pci_p2pdma", NULL);

	debugfs_create_file("matrix", 0444, dir, NULL, &p2pdma_matrix_fops);
	return 0;
}
late_initcall(p2pdma_debugfs_init);
