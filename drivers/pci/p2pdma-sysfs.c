// SPDX-License-Identifier: GPL-2.0
/*
 * The p2pmem/ sysfs group of a P2P provider: its size, what is free, whether
 * it is published, "allocate", a file user space maps to get P2P memory it
 * can hand to O_DIRECT I/O, and "peers", which PCI functions can read and
 * write that memory, readable by everyone.
 */
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
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
			  gen_pool_avail(p2pdma_of_kobj(&dev->kobj)->pool));
}
static DEVICE_ATTR_RO(available);

static ssize_t published_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(p2pdma_of_kobj(&dev->kobj)->published));
}
static DEVICE_ATTR_RO(published);

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

/*
 * Pages cleared and inserted between two chances to reschedule or to give
 * up for a killed process: mapping a whole BAR takes long (the CPU writes
 * every byte of it through an uncached mapping).
 */
#define P2PMEM_MMAP_CHUNK 64UL

/*
 * Clear the pages and insert them into @vma a chunk at a time.  Each
 * inserted page owns one provider count and one page reference, and comes
 * back through p2pdma_user_page_free() once its last mapping goes (if
 * this fails, mmap_region() unmaps the pages inserted so far).  The pages
 * not inserted, and their counts, go back here.
 */
static int p2pmem_insert_pages(struct pci_p2pdma *prov,
			       struct vm_area_struct *vma, void *kaddr)
{
	unsigned long npages = vma_pages(vma), i;
	int ret = 0;

	for (i = 0; i < npages; i++) {
		void *addr = kaddr + i * PAGE_SIZE;
		struct page *page = virt_to_page(addr);

		if (!(i % P2PMEM_MMAP_CHUNK)) {
			cond_resched();
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			/*
			 * The pool hands out what earlier users, kernel
			 * drivers included, left in the BAR: user space gets
			 * it cleared.  The memory is a device's, so clear it
			 * with the I/O accessor.
			 */
			memset_io((void __iomem __force *)addr, 0,
				  min(npages - i, P2PMEM_MMAP_CHUNK) *
					  PAGE_SIZE);
		}
		/* Every page in the pool has a count (p2pdma_user_page_free()). */
		VM_WARN_ON_ONCE_PAGE(!page_ref_count(page), page);
		ret = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE, page);
		if (ret)
			break;
		/* The mapping now holds the page; drop the pool's hold. */
		put_page(page);
	}
	if (ret) {
		gen_pool_free(prov->pool, (unsigned long)kaddr + i * PAGE_SIZE,
			      (npages - i) * PAGE_SIZE);
		percpu_ref_put_many(&prov->users, npages - i);
	}
	return ret;
}

static int p2pmem_mmap(struct file *filp, struct kobject *kobj,
		       struct bin_attribute *attr, struct vm_area_struct *vma)
{
	struct pci_dev *pdev = to_pci_dev(kobj_to_dev(kobj));
	unsigned long npages = vma_pages(vma);
	struct pci_p2pdma *prov;
	void *kaddr;
	int ret;

	ret = p2pmem_check_vma(pdev, p2pdma_of_kobj(kobj), vma);
	if (ret)
		return ret;

	prov = p2pdma_get_live(pdev, npages);
	if (!prov)
		return -ENODEV;
	kaddr = p2pdma_pool_alloc(prov, npages * PAGE_SIZE);
	if (!kaddr) {
		percpu_ref_put_many(&prov->users, npages);
		return -ENOMEM;
	}
	/*
	 * Nothing backs a grown mapping: mremap() may shrink, split or move
	 * it, and fails with -EFAULT if asked to grow it.
	 */
	vm_flags_set(vma, VM_DONTEXPAND);
	return p2pmem_insert_pages(prov, vma, kaddr);
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
	&dev_attr_size.attr,
	&dev_attr_available.attr,
	&dev_attr_published.attr,
	NULL,
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
