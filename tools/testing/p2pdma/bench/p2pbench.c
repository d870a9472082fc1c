// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbench - micro-benchmarks of the PCI P2PDMA API, for `make bench`.
 *
 * Built out of tree against two kernels from the same base and the same
 * configuration, ours and the unmodified Linux 6.12, so it uses nothing but
 * what both share: <linux/pci-p2pdma.h>, <linux/dma-mapping.h> and the PCI
 * core.  Loaded in QEMU by guest/scenarios/bench.sh with the pair of the
 * topology:
 *
 *   insmod p2pbench.ko provider=0000:03:00.0 client=0000:04:00.0 \
 *	    tests=map,alloc,frag,dist,find route=bus
 *
 * Every figure is one kernel log line, "p2pbench: <workload>|<value>|<unit>",
 * that tools/testing/p2pdma/bench_report.py reads.  A timed figure is the
 * median of @reps runs of at most @budget_ms each, every run timed with
 * ktime_get_ns() around many iterations (the count is calibrated first) and
 * started from a settled machine (settle());
 * bench.sh repeats the whole boot for the rounds.  bench.sh boots most of
 * them under QEMU's -icount shift=0, where the guest's clock advances 1 ns
 * per instruction executed: the "ns" are then instruction counts, and
 * clock/loop2 shows it (a loop of two instructions takes 2 "ns" an
 * iteration).
 *
 * Workloads:
 *  map/<path>/<kind>/<n>: dma_map_sgtable() + dma_unmap_sgtable() of a list
 *	of n (1, 32, 256, 4096) one-page entries, ns per entry.  <path> is "iommu" when the client
 *	has a translating IOMMU domain, else "direct".  <kind> is host pages
 *	only (no two physically contiguous), P2P pages only (all contiguous),
 *	or host and P2P pages alternating; the route the
 *	P2P pages take (route=bus or hb) is a property of the topology.
 *  alloc/<size>/<cpus>cpu: pci_alloc_p2pmem() + pci_free_p2pmem() pairs per
 *	second, on one CPU or on two at once (one kthread per CPU), on at most
 *	@alloc_cpus CPUs.
 *  frag/...: after a fill-and-free pattern from a fixed seed, the largest
 *	block still allocatable (KiB).
 *  dist/{cold,warm}/<n>: pci_p2pdma_distance_many() with n clients, ns per
 *	call.  Cold is the first call after the PCI topology changed: before
 *	each cold sample a PCI device that is no client (the SMBus controller)
 *	is hot-removed and found again by a rescan, which is what any verdict
 *	cache has to forget on, and one call for a device outside the list
 *	(the root port) runs the code once; the median of COLD_SAMPLES samples
 *	is reported.  Warm repeats the call.
 *  find/<n>: pci_p2pmem_find_many() over the published providers, ns per
 *	call.
 *  The clients of dist and find are n distinct PCI functions where the
 *  topology has that many (the bench's topology (g) has 275 below the
 *  provider's root port), else the ones there are, repeated.
 *  cache: pci_p2pdma_distance_many() of up to 256 distinct clients once
 *	for every published provider but @provider, so that the script can
 *	read the memory the verdict caches took from /proc/slabinfo.
 */
#define pr_fmt(fmt) "p2pbench: " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

static char *provider_name;
module_param_named(provider, provider_name, charp, 0444);
MODULE_PARM_DESC(provider, "PCI name of the device with published P2P memory");
static char *client_name;
module_param_named(client, client_name, charp, 0444);
MODULE_PARM_DESC(client, "PCI name of the device the lists are mapped for");
static char *tests = "map,alloc,frag,dist,find";
module_param(tests, charp, 0444);
MODULE_PARM_DESC(tests, "comma-separated: map, alloc, frag, dist, find, cache");
static char *route = "bus";
module_param(route, charp, 0444);
MODULE_PARM_DESC(route, "how the pair reaches the P2P memory on this topology: bus or hb");
static unsigned int budget_ms = 40;
module_param(budget_ms, uint, 0444);
MODULE_PARM_DESC(budget_ms, "duration of one timed run");
static unsigned int settle_ms = 20;
module_param(settle_ms, uint, 0444);
MODULE_PARM_DESC(settle_ms, "sleep before each timed run, for deferred work to finish");
static unsigned int reps = 3;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "timed runs per figure (the median is reported)");
static unsigned int alloc_cpus = 2;
module_param(alloc_cpus, uint, 0444);
MODULE_PARM_DESC(alloc_cpus, "allocator runs on 1 CPU, and on 2 at once if 2");

#define MAX_REPS	15
#define MAP_MAX		4096
#define HOST_ORDER	1	/* a host entry per two pages: see bench_map() */
#define COLD_SAMPLES	9
#define MAX_CLIENTS	256
#define FRAG_SEED	0x2545f491u
#define FRAG_MAX	16384

static struct pci_dev *provider, *client;

/* One result line.  @milli is the value times 1000. */
static void emit(const char *name, u64 milli, const char *unit)
{
	pr_info("%s|%llu.%03llu|%s\n", name, div_u64(milli, 1000),
		milli % 1000, unit);
}

static void emit_fail(const char *name, int err)
{
	pr_info("%s|fail|error %d\n", name, err);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

typedef int (*bench_fn)(void *arg, u64 iters);

static int timed(bench_fn fn, void *arg, u64 iters, u64 *ns)
{
	u64 t0 = ktime_get_ns();
	int ret = fn(arg, iters);

	*ns = ktime_get_ns() - t0;
	return ret;
}

/*
 * Bring the machine to the same state before every timed run, so that a
 * counted run (-icount) repeats from boot to boot.  The sleep lets work the
 * previous run deferred finish: the IOVA flush queue's timer (10 ms in
 * dma-iommu) gives back the IOVAs of the unmaps, RCU callbacks run.  The
 * run then starts just after a timer tick, so the ticks that fall inside it
 * fall at the same offsets every time, whatever happened earlier in the
 * boot.
 */
static void settle(void)
{
	unsigned long j;

	msleep(settle_ms);
	j = jiffies;
	while (!time_after(jiffies, j))
		cpu_relax();
}

/*
 * Median over @reps runs of the time of one iteration of @fn, in
 * picoseconds.  The iteration count is calibrated so that a run lasts
 * between @budget_ms / 2 and @budget_ms: only two clock reads per run,
 * whatever the clock costs.  It is a power of two, so that a slightly
 * different calibration run does not change the work the timed runs do.
 */
static int bench_run(bench_fn fn, void *arg, u64 *ps_per_iter)
{
	u64 budget = (u64)budget_ms * NSEC_PER_MSEC, iters = 1, t;
	u64 samples[MAX_REPS];
	unsigned int i;
	int ret;

	for (;;) {
		ret = timed(fn, arg, iters, &t);
		if (ret)
			return ret;
		if (t >= budget / 8 || iters >= (1ULL << 32))
			break;
		iters *= 2;
	}
	iters = max_t(u64, 1, div64_u64(iters * budget, max_t(u64, t, 1)));
	iters = rounddown_pow_of_two(iters);
	for (i = 0; i < reps; i++) {
		settle();
		ret = timed(fn, arg, iters, &t);
		if (ret)
			return ret;
		samples[i] = div64_u64(t * 1000, iters);
		cond_resched();
	}
	*ps_per_iter = median(samples, reps);
	return 0;
}

/* ---- map: dma_map_sgtable() + dma_unmap_sgtable() ---- */

struct map_arg {
	struct device *dev;
	struct sg_table sgt;
};

static int map_unmap(void *p, u64 iters)
{
	struct map_arg *a = p;
	u64 i;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = dma_map_sgtable(a->dev, &a->sgt, DMA_BIDIRECTIONAL, 0);
		if (ret)
			return ret;
		dma_unmap_sgtable(a->dev, &a->sgt, DMA_BIDIRECTIONAL, 0);
	}
	return 0;
}

static bool client_behind_iommu(void)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(&client->dev);

	return dom && dom->type != IOMMU_DOMAIN_IDENTITY &&
	       dom->type != IOMMU_DOMAIN_BLOCKED;
}

/* Map once and count the entries that got a PCI bus address. */
static void map_check(const char *name, struct map_arg *a)
{
	struct scatterlist *sg;
	int i, bus = 0, ret;

	ret = dma_map_sgtable(a->dev, &a->sgt, DMA_BIDIRECTIONAL, 0);
	if (ret) {
		emit_fail(name, ret);
		return;
	}
	for_each_sgtable_dma_sg(&a->sgt, sg, i)
		bus += sg_dma_is_bus_address(sg);
	pr_info("%s|%d|bus-address segments of %u\n", name, bus, a->sgt.nents);
	dma_unmap_sgtable(a->dev, &a->sgt, DMA_BIDIRECTIONAL, 0);
}

static void bench_map(void)
{
	static const unsigned int sizes[] = { 1, 32, 256, MAP_MAX };
	static const struct {
		const char *name;	/* with %s: the route */
		char layout;		/* h: host, p: P2P, m: alternating */
	} kinds[] = {
		{ "host", 'h' }, { "p2p-%s", 'p' }, { "mixed-%s", 'm' },
	};
	bool hb = !strcmp(route, "hb");
	const char *path = client_behind_iommu() ? "iommu" : "direct";
	struct page **host;
	struct map_arg a = { .dev = &client->dev };
	void *p2p;
	int i, k, s;

	pr_info("info/map-path|%s|client %s\n", path, pci_name(client));
	host = kcalloc(MAP_MAX, sizeof(*host), GFP_KERNEL);
	p2p = pci_alloc_p2pmem(provider, MAP_MAX * PAGE_SIZE);
	if (!host || !p2p) {
		emit_fail("map", -ENOMEM);
		goto out;
	}
	/*
	 * Each host entry is the first page of its own pair, so that no two
	 * are physically contiguous.  With pages taken one by one, which
	 * neighbours happen to be contiguous depends on the page allocator's
	 * state at boot, and dma-iommu maps contiguous neighbours with one
	 * call: the count would change from boot to boot.
	 */
	for (i = 0; i < MAP_MAX; i++) {
		host[i] = alloc_pages(GFP_KERNEL, HOST_ORDER);
		if (!host[i]) {
			emit_fail("map", -ENOMEM);
			goto out;
		}
	}

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			unsigned int n = sizes[s];
			char kind[16], name[64];
			struct scatterlist *sg;
			u64 ps;
			int ret;

			/* Half-and-half needs two entries at least. */
			if (kinds[k].layout == 'm' && n < 2)
				continue;
			snprintf(kind, sizeof(kind), kinds[k].name, route);
			/* Host-only rows of the host-bridge boots are apart. */
			if (kinds[k].layout == 'h' && hb)
				strscpy(kind, "host-hbtopo", sizeof(kind));
			snprintf(name, sizeof(name), "map/%s/%s/%u", path, kind, n);

			if (sg_alloc_table(&a.sgt, n, GFP_KERNEL)) {
				emit_fail(name, -ENOMEM);
				continue;
			}
			for_each_sgtable_sg(&a.sgt, sg, i) {
				bool is_p2p = kinds[k].layout == 'p' ||
					      (kinds[k].layout == 'm' && (i & 1));

				sg_set_page(sg, is_p2p ?
					    virt_to_page(p2p + i * PAGE_SIZE) :
					    host[i], PAGE_SIZE, 0);
			}
			if (n == 32) {
				char check[72];

				snprintf(check, sizeof(check), "check/%s",
					 name + 4);
				map_check(check, &a);
			}
			ret = bench_run(map_unmap, &a, &ps);
			if (ret)
				emit_fail(name, ret);
			else
				emit(name, div_u64(ps, n), "ns/entry");
			sg_free_table(&a.sgt);
		}
	}
out:
	if (host) {
		for (i = 0; i < MAP_MAX; i++)
			if (host[i])
				__free_pages(host[i], HOST_ORDER);
		kfree(host);
	}
	if (p2p)
		pci_free_p2pmem(provider, p2p, MAP_MAX * PAGE_SIZE);
}

/* ---- alloc: pci_alloc_p2pmem() + pci_free_p2pmem() pairs ---- */

struct alloc_run {
	size_t size;
	u64 start, end;		/* ktime_get_ns() window of the run */
};

struct alloc_worker {
	struct alloc_run *run;
	struct completion done;
	u64 pairs, last;
	int err;
};

static int alloc_thread(void *p)
{
	struct alloc_worker *w = p;
	struct alloc_run *run = w->run;
	u64 now;
	int i;

	while ((now = ktime_get_ns()) < run->start)
		cpu_relax();
	while (now < run->end) {
		/* A clock read every 8 pairs. */
		for (i = 0; i < 8; i++) {
			void *addr = pci_alloc_p2pmem(provider, run->size);

			if (!addr) {
				w->err = -ENOMEM;
				goto out;
			}
			pci_free_p2pmem(provider, addr, run->size);
		}
		w->pairs += 8;
		now = ktime_get_ns();
	}
out:
	w->last = ktime_get_ns();
	complete(&w->done);
	return 0;
}

/* Pairs per second over one window, one kthread on each of @cpus CPUs. */
static int alloc_window(size_t size, unsigned int cpus, u64 *per_sec)
{
	struct alloc_worker w[2] = {};
	struct alloc_run run = { .size = size };
	struct task_struct *t[2];
	u64 pairs = 0, last = 0;
	unsigned int c;
	int err = 0;

	for (c = 0; c < cpus; c++) {
		w[c].run = &run;
		init_completion(&w[c].done);
		t[c] = kthread_create(alloc_thread, &w[c], "p2pbench/%u", c);
		if (IS_ERR(t[c])) {
			while (c--)
				kthread_stop(t[c]);
			return PTR_ERR(t[c]);
		}
		kthread_bind(t[c], c);
	}
	/* Start together, a little after every thread is awake. */
	run.start = ktime_get_ns() + 5 * NSEC_PER_MSEC;
	run.end = run.start + (u64)budget_ms * NSEC_PER_MSEC;
	for (c = 0; c < cpus; c++)
		wake_up_process(t[c]);
	for (c = 0; c < cpus; c++) {
		wait_for_completion(&w[c].done);
		pairs += w[c].pairs;
		last = max(last, w[c].last);
		if (w[c].err)
			err = w[c].err;
	}
	if (err)
		return err;
	*per_sec = div64_u64(pairs * NSEC_PER_SEC * 1000,
			     max_t(u64, last - run.start, 1));
	return 0;
}

static void bench_alloc(void)
{
	static const size_t sizes[] = { SZ_4K, SZ_64K, SZ_1M };
	u64 samples[MAX_REPS];
	unsigned int s, cpus, i;

	for (cpus = 1; cpus <= 2; cpus++) {
		if (cpus > num_online_cpus() || cpus > alloc_cpus)
			break;
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			char name[48];
			int ret = 0;

			snprintf(name, sizeof(name), "alloc/%zuK/%ucpu",
				 sizes[s] / SZ_1K, cpus);
			for (i = 0; i < reps && !ret; i++)
				ret = alloc_window(sizes[s], cpus, &samples[i]);
			if (ret)
				emit_fail(name, ret);
			else
				emit(name, median(samples, reps), "pairs/s");
		}
	}
}

/* ---- frag: the largest block left after a random fill-and-free ---- */

static u32 frag_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Largest number of pages, at most @limit, that one allocation gets. */
static unsigned long largest_pages(unsigned long limit)
{
	unsigned long lo = 0, hi = limit;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo + 1) / 2;
		void *addr = pci_alloc_p2pmem(provider, mid * PAGE_SIZE);

		if (addr) {
			pci_free_p2pmem(provider, addr, mid * PAGE_SIZE);
			lo = mid;
		} else {
			hi = mid - 1;
		}
	}
	return lo;
}

static void bench_frag(void)
{
	struct { void *addr; size_t size; } *blk;
	unsigned long fresh, after, pool_pages = SZ_1G / PAGE_SIZE;
	u64 freed = 0;
	u32 seed = FRAG_SEED;
	int n = 0, i;

	blk = vmalloc(array_size(FRAG_MAX, sizeof(*blk)));
	if (!blk) {
		emit_fail("frag", -ENOMEM);
		return;
	}
	fresh = largest_pages(pool_pages);
	/* Fill with blocks of 4 KiB to 256 KiB until one does not fit. */
	while (n < FRAG_MAX) {
		size_t size = PAGE_SIZE << (frag_rand(&seed) % 7);

		blk[n].addr = pci_alloc_p2pmem(provider, size);
		if (!blk[n].addr)
			break;
		blk[n++].size = size;
	}
	/* Free every other block at random. */
	for (i = 0; i < n; i++) {
		if (frag_rand(&seed) & 1) {
			pci_free_p2pmem(provider, blk[i].addr, blk[i].size);
			freed += blk[i].size;
			blk[i].addr = NULL;
		}
	}
	after = largest_pages(pool_pages);
	for (i = 0; i < n; i++)
		if (blk[i].addr)
			pci_free_p2pmem(provider, blk[i].addr, blk[i].size);
	vfree(blk);

	emit("frag/largest-fresh", (u64)fresh * PAGE_SIZE / SZ_1K * 1000, "KiB");
	emit("frag/blocks", (u64)n * 1000, "allocations in the fill");
	emit("frag/freed", freed / SZ_1K * 1000, "KiB freed at random");
	emit("frag/largest-after", (u64)after * PAGE_SIZE / SZ_1K * 1000, "KiB");
}

/* ---- dist and find ---- */

static struct device *clients[MAX_CLIENTS];
static struct pci_dev *distinct[MAX_CLIENTS];
static int nr_distinct;
/* Reaches the provider the way the clients do, but is none of them. */
static struct pci_dev *warmup;

/*
 * The clients: every PCI device below the provider's root port, so that
 * each one reaches the provider and every call judges every client.  The
 * client of the pair comes first, then the provider, then the switch ports.
 * The list repeats to fill 8 and 32 entries.  The root port itself is kept
 * apart for warming the code path up before a cold sample.
 */
static void pick_clients(void)
{
	struct pci_dev *rp = pcie_find_root_port(provider), *pdev = NULL;
	int i;

	warmup = pci_dev_get(rp);
	distinct[nr_distinct++] = pci_dev_get(client);
	distinct[nr_distinct++] = pci_dev_get(provider);
	while ((pdev = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, pdev))) {
		if (nr_distinct == MAX_CLIENTS)
			break;
		if (pdev == client || pdev == provider || pdev == rp || !rp ||
		    pcie_find_root_port(pdev) != rp)
			continue;
		distinct[nr_distinct++] = pci_dev_get(pdev);
	}
	pci_dev_put(pdev);
	for (i = 0; i < MAX_CLIENTS; i++)
		clients[i] = &distinct[i % nr_distinct]->dev;
	pr_info("info/distinct-clients|%d|\n", nr_distinct);
	if (warmup)
		pr_info("info/warmup|%s|\n", pci_name(warmup));
}

/*
 * Make the next call cold: hot-remove a PCI device that is no client and
 * find it again with a rescan of its bus.
 */
static int topology_change(void)
{
	struct pci_dev *victim = pci_get_class(PCI_CLASS_SERIAL_SMBUS << 8, NULL);
	struct pci_bus *bus;

	if (!victim)
		return -ENODEV;
	bus = victim->bus;
	pci_stop_and_remove_bus_device_locked(victim);
	pci_dev_put(victim);
	pci_lock_rescan_remove();
	pci_rescan_bus(bus);
	pci_unlock_rescan_remove();
	victim = pci_get_class(PCI_CLASS_SERIAL_SMBUS << 8, NULL);
	if (!victim)
		return -ENODEV;
	pci_dev_put(victim);
	return 0;
}

struct dist_arg {
	int n;
	int result;
};

static int dist_calls(void *p, u64 iters)
{
	struct dist_arg *a = p;
	u64 i;

	for (i = 0; i < iters; i++)
		a->result = pci_p2pdma_distance_many(provider, clients, a->n,
						     false);
	return 0;
}

static void bench_dist(void)
{
	static const int counts[] = { 1, 8, 32, 256 };
	u64 samples[COLD_SAMPLES], t0, ps;
	struct dist_arg a;
	char name[48];
	int c, s, ret;

	/*
	 * Cold first, warm after.  Each cold sample follows a topology change
	 * and one call for the warm-up device: the verdicts of the clients
	 * are unknown, the code is not (under TCG the first run of code after
	 * the rescan pays for its translation, which is no property of the
	 * code under test).
	 */
	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		snprintf(name, sizeof(name), "dist/cold/%d", counts[c]);
		for (s = 0; s < COLD_SAMPLES; s++) {
			ret = topology_change();
			if (ret)
				break;
			if (warmup) {
				struct device *w = &warmup->dev;

				pci_p2pdma_distance_many(provider, &w, 1, false);
			}
			t0 = ktime_get_ns();
			a.result = pci_p2pdma_distance_many(provider, clients,
							    counts[c], false);
			samples[s] = (ktime_get_ns() - t0) * 1000;
		}
		if (ret) {
			emit_fail(name, ret);
			continue;
		}
		emit(name, median(samples, COLD_SAMPLES), "ns/call");
		snprintf(name, sizeof(name), "result/dist/%d", counts[c]);
		pr_info("%s|%d|sum of distances\n", name, a.result);
	}
	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		a.n = counts[c];
		snprintf(name, sizeof(name), "dist/warm/%d", counts[c]);
		dist_calls(&a, 1);
		ret = bench_run(dist_calls, &a, &ps);
		if (ret)
			emit_fail(name, ret);
		else
			emit(name, ps, "ns/call");
	}
}

struct find_arg {
	int n;
	struct pci_dev *found;
};

static int find_calls(void *p, u64 iters)
{
	struct find_arg *a = p;
	u64 i;

	for (i = 0; i < iters; i++) {
		pci_dev_put(a->found);
		a->found = pci_p2pmem_find_many(clients, a->n);
	}
	return 0;
}

static void bench_find(void)
{
	static const int counts[] = { 1, 8, 32, 256 };
	struct find_arg a = {};
	char name[48];
	int c, ret;
	u64 ps;

	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		a.n = counts[c];
		snprintf(name, sizeof(name), "find/%d", counts[c]);
		find_calls(&a, 1);
		ret = bench_run(find_calls, &a, &ps);
		if (ret) {
			emit_fail(name, ret);
			continue;
		}
		emit(name, ps, "ns/call");
		pr_info("result/%s|%s|provider found\n", name,
			a.found ? pci_name(a.found) : "none");
	}
	pci_dev_put(a.found);
}

/* Fill the verdict cache of every other published provider. */
static void bench_cache(void)
{
	struct pci_dev *pdev = NULL;
	int n = min(nr_distinct, MAX_CLIENTS), providers = 0;

	while ((pdev = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, pdev))) {
		if (pdev == provider || !pci_has_p2pmem(pdev))
			continue;
		pci_p2pdma_distance_many(pdev, clients, n, false);
		providers++;
	}
	pr_info("cache/providers|%d|providers\n", providers);
	pr_info("cache/clients|%d|distinct clients\n", n);
}

/*
 * What one "ns" of the guest's clock is: a loop of two instructions (dec,
 * jnz), 2^24 times.  Under -icount shift=0 an iteration takes 2 ns, plus
 * whatever interrupts ran meanwhile; on any other clock, what the host
 * makes of it.
 */
static void clock_check(void)
{
#ifdef CONFIG_X86_64
	unsigned long left = 1UL << 24;
	u64 t0, t;

	t0 = ktime_get_ns();
	asm volatile("1:\tdec %0\n\tjnz 1b" : "+r" (left) : : "cc");
	t = ktime_get_ns() - t0;
	emit("clock/loop2", div64_u64(t * 1000, 1UL << 24),
	     "ns per iteration of a 2-instruction loop");
#endif
}

static bool wanted(const char *test)
{
	size_t len = strlen(test);
	const char *p = tests;

	while ((p = strstr(p, test))) {
		if ((p == tests || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

static struct pci_dev *get_pci(const char *name)
{
	struct device *dev;

	if (!name)
		return NULL;
	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	return dev ? to_pci_dev(dev) : NULL;
}

static int __init p2pbench_init(void)
{
	int i;

	if (!reps || reps > MAX_REPS || !budget_ms)
		return -EINVAL;
	provider = get_pci(provider_name);
	client = get_pci(client_name);
	if (!provider || !client) {
		pr_err("error|provider= and client= must name PCI devices|\n");
		pci_dev_put(provider);
		pci_dev_put(client);
		return -ENODEV;
	}
	pr_info("start|%s|provider %s client %s route %s\n", tests,
		pci_name(provider), pci_name(client), route);
	clock_check();
	if (wanted("map"))
		bench_map();
	if (wanted("alloc"))
		bench_alloc();
	if (wanted("frag"))
		bench_frag();
	if (wanted("dist") || wanted("find") || wanted("cache"))
		pick_clients();
	if (wanted("dist"))
		bench_dist();
	if (wanted("find"))
		bench_find();
	if (wanted("cache"))
		bench_cache();
	pr_info("done|%s|\n", tests);

	for (i = 0; i < nr_distinct; i++)
		pci_dev_put(distinct[i]);
	pci_dev_put(warmup);
	pci_dev_put(client);
	pci_dev_put(provider);
	return 0;
}

static void __exit p2pbench_exit(void)
{
}

module_init(p2pbench_init);
module_exit(p2pbench_exit);
MODULE_DESCRIPTION("Micro-benchmarks of the PCI P2PDMA API");
MODULE_LICENSE("GPL");
