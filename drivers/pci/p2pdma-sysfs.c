// SPDX-License-Identifier: GPL-2.0
/*
 * The p2pmem/ sysfs group of a P2P provider: its size, what is free and how
 * much of that is cleared ahead, whether it is published, the unit in which
 * mappings take memory, "allocate", a file user space maps to get P2P
 * memory it can hand to O_DIRECT I/O (see p2pdma-mmap.c), and "peers",
 * which PCI functions can read and write that memory, readable by everyone.
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "p2pdma.h"

static struct pci_p2pdma *p2pdma_of_kobj(struct kobject *kobj)
{
	/* The group exists only while pdev->p2pdma is set. */
	return rcu_dereference_protected(to_pci_dev(kobj_to_dev(kobj))->p2pdma,
					 1);
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  gen_pool_size(p2pdma_of_kobj(&dev->kobj)->pool));
}
static DEVICE_ATTR_RO(size);

static ssize_t available_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  p2pdma_free_bytes(p2pdma_of_kobj(&dev->kobj)));
}
static DEVICE_ATTR_RO(available);

static ssize_t cleared_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  p2pdma_cleared_bytes(p2pdma_of_kobj(&dev->kobj)));
}
static DEVICE_ATTR_RO(cleared);

static ssize_t published_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(p2pdma_of_kobj(&dev->kobj)->published));
}
static DEVICE_ATTR_RO(published);

static ssize_t mmap_unit_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct pci_p2pdma *prov = p2pdma_of_kobj(&dev->kobj);

	return sysfs_emit(buf, "%lu\n", 1UL << READ_ONCE(prov->folio_shift));
}
static DEVICE_ATTR_RO(mmap_unit);

static int p2pmem_check_vma(struct pci_dev *pdev, struct pci_p2pdma *prov,
			    struct vm_area_struct *vma)
{
	size_t len = vma->vm_end - vma->vm_start;

	if (!(vma->vm_flags & VM_MAYSHARE)) {
		pci_info_ratelimited(pdev,
				     "%s: P2P memory can only be mapped MAP_SHARED\n",
				     current->comm);
		return -EINVAL;
	}
	if (vma->vm_pgoff) {
		pci_info_ratelimited(pdev,
				     "%s: P2P memory must be mapped at offset 0\n",
				     current->comm);
		return -EINVAL;
	}
	if (len > gen_pool_size(prov->pool)) {
		pci_info_ratelimited(pdev,
				     "%s: %zu bytes asked, the provider has %zu\n",
				     current->comm, len,
				     gen_pool_size(prov->pool));
		return -EINVAL;
	}
	return 0;
}

static int p2pmem_mmap(struct file *filp, struct kobject *kobj,
		       struct bin_attribute *attr, struct vm_area_struct *vma)
{
	struct pci_dev *pdev = to_pci_dev(kobj_to_dev(kobj));
	struct pci_p2pdma *prov = p2pdma_of_kobj(kobj);
	int ret;

	ret = p2pmem_check_vma(pdev, prov, vma);
	if (ret)
		return ret;
	return p2pdma_mmap(prov, vma);
}

/*
 * Place a mapping of huge folios where PMD entries can map it, as
 * thp_get_unmapped_area() places anonymous memory: the pool hands out
 * memory aligned to its folio size, and the file offset is 0.  Base pages
 * need no particular address.
 */
static unsigned long
p2pmem_get_unmapped_area(struct file *filp, struct kobject *kobj,
			 struct bin_attribute *attr, unsigned long addr,
			 unsigned long len, unsigned long pgoff,
			 unsigned long flags)
{
	struct pci_p2pdma *prov = p2pdma_of_kobj(kobj);

	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) &&
	    READ_ONCE(prov->folio_shift) >= PMD_SHIFT)
		return thp_get_unmapped_area_vmflags(filp, addr, len, pgoff,
						     flags, 0);
	return mm_get_unmapped_area(current->mm, filp, addr, len, pgoff, flags);
}

/*
 * The file has no real length (the provider's size is in "size"); its
 * st_size is 1 TiB, as it has always been, so that mmap wrappers that
 * refuse to map past the end of a file accept any length.
 */
static struct bin_attribute p2pmem_allocate = {
	.attr = { .name = "allocate", .mode = 0600 },
	.size = SZ_1T,
	.mmap = p2pmem_mmap,
	.get_unmapped_area = p2pmem_get_unmapped_area,
};

/*
 * Room for one line of "peers": the client's name, the map types and the
 * distance, then the explanation.
 */
#define P2PMEM_PEER_LINE_MAX (64 + P2PDMA_EXPLAIN_MAX)

/*
 * One line of "peers" into @buf:
 * "<client> <read> <write> <distance> <explanation>\n".
 *
 * Return: its length, newline included.
 */
static size_t p2pmem_peer_line(struct pci_dev *provider, struct pci_dev *client,
			       char *buf)
{
	struct p2pdma_peer peer = p2pdma_peer_of(provider, &client->dev);
	struct seq_buf s;
	size_t len;

	/*
	 * One byte kept for the newline, so a cut explanation still ends.
	 * The buffer is cleared first: a seq_buf that overflows counts bytes
	 * it did not write, and none of a previous line may leak out.
	 */
	memset(buf, 0, P2PMEM_PEER_LINE_MAX);
	seq_buf_init(&s, buf, P2PMEM_PEER_LINE_MAX - 1);
	seq_buf_printf(&s, "%s %s %s %d ", pci_name(client),
		       p2pdma_map_name(peer.read), p2pdma_map_name(peer.write),
		       peer.distance);
	p2pdma_explain(provider, &client->dev, &s);
	len = strnlen(buf, P2PMEM_PEER_LINE_MAX - 1);
	buf[len] = '\n';
	return len + 1;
}

/*
 * The text is made again at every read() and the bytes from @off on copied
 * out, a line at a time, so any number of clients fits and nothing is kept
 * between reads.  sysfs hands over at most a page per call, so a long text
 * takes several: if anything changes between two of them, the text shifts
 * and a line may come out cut, repeated or spliced from two.
 */
static ssize_t p2pmem_peers_read(struct file *filp, struct kobject *kobj,
				 struct bin_attribute *attr, char *buf,
				 loff_t off, size_t count)
{
	struct pci_dev *provider = to_pci_dev(kobj_to_dev(kobj));
	struct pci_dev *client = NULL;
	size_t done = 0, len, skip, n;
	loff_t pos = 0;
	char *line;

	line = kmalloc(P2PMEM_PEER_LINE_MAX, GFP_KERNEL);
	if (!line)
		return -ENOMEM;
	while (done < count &&
	       (client = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, client))) {
		if (!p2pdma_can_be_client(client))
			continue;
		len = p2pmem_peer_line(provider, client, line);
		if (pos + len > off) {
			skip = off > pos ? off - pos : 0;
			n = min(len - skip, count - done);
			memcpy(buf + done, line + skip, n);
			done += n;
		}
		pos += len;
		/* Each line judges a pair: any user may read a long file. */
		cond_resched();
	}
	/* Held if the loop stopped with @buf full. */
	pci_dev_put(client);
	kfree(line);
	return done;
}

/* No size: the text is as long as the machine has functions. */
static struct bin_attribute p2pmem_peers = {
	.attr = { .name = "peers", .mode = 0444 },
	.read = p2pmem_peers_read,
};

static struct attribute *p2pmem_attrs[] = {
	&dev_attr_size.attr,	  &dev_attr_available.attr,
	&dev_attr_cleared.attr,	  &dev_attr_published.attr,
	&dev_attr_mmap_unit.attr, NULL,
};

static struct bin_attribute *p2pmem_bin_attrs[] = {
	&p2pmem_allocate,
	&p2pmem_peers,
	NULL,
};

const struct attribute_group p2pmem_group = {
	.name = "p2pmem",
	.attrs = p2pmem_attrs,
	.bin_attrs = p2pmem_bin_attrs,
};
