// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmaptime - how long mmap() and munmap() of a p2pmem/allocate file take
 * for the whole pool.
 *
 *   p2pmaptime [-r] [-c] [-z] [-n REPS] ALLOCATE_FILE [BYTES]
 *
 * Maps BYTES, or as much of what the sibling 'available' file reports, in
 * whole mmap_unit (the unit in which mappings take memory from the pool),
 * at an address aligned to that unit so that the kernel can use huge
 * entries, reads a byte of every page, unmaps, and prints
 *
 *   <bytes> <mmap ns> <munmap ns> <minor faults> <touch ns>
 *
 * The faults are those the reads took: one per page with base-page
 * entries, one per huge entry otherwise.  The reads also clear the memory
 * (the kernel clears P2P memory at its first fault), unless the kernel
 * cleared it ahead: with -c, each repetition first waits, up to
 * CLEARED_WAIT_S seconds, until the sibling 'cleared' file reports at least
 * the length it maps and the kernel has cleared all it can ('available' in
 * whole 2 MiB units), so that no clearing runs while it measures (a
 * mapping of one unit, made and dropped first, tells the kernel that user
 * space maps this provider).  With -z the reads also
 * check that every page starts with a zero byte, and the program fails if
 * one does not.  With -n it does all that REPS times (default 1) and
 * prints the median of each figure.  With
 * -r it then maps and reads it all again, drops the page table entries
 * with MADV_DONTNEED and reads every page once more, for the faults alone,
 * and adds
 *
 *   <retouch ns> <minor faults of the retouch>
 *
 * A kernel whose mapping cannot fault pages in again (stock 6.12 inserts
 * every page at mmap() and has no fault handler: SIGBUS) gets "0 -1".
 *
 * Under QEMU -icount shift=0,sleep=off the nanoseconds are guest
 * instructions (make bench).  Each step is timed on its own, after
 * settle(), so that the counts repeat from boot to boot; what a step
 * allocates and frees (page tables, maple tree nodes) still finds the
 * per-CPU caches as the boot left them, which the median of a few
 * repetitions does not depend on.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char usage_str[] =
	"[-r] [-c] [-z] [-n REPS] ALLOCATE_FILE [BYTES]";

#define SETTLE_US 50000
#define TICK_SKEW_NS 1000000
#define MAX_REPS 63
#define CLEARED_WAIT_S 900
#define CLEARED_POLL_US 10000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Start a timed window from the same state every time, so that a count
 * under -icount repeats from boot to boot: work the previous step deferred
 * (RCU callbacks, kworkers) has run during the sleep, and the window opens
 * just after a timer tick (the coarse clock moves only at ticks), so the
 * ticks inside it, if any, fall at the same offsets.
 */
static void settle(void)
{
	struct timespec a, b;
	uint64_t until;

	usleep(SETTLE_US);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &a);
	do
		clock_gettime(CLOCK_MONOTONIC_COARSE, &b);
	while (b.tv_sec == a.tv_sec && b.tv_nsec == a.tv_nsec);
	/*
	 * The jiffy that moved the coarse clock was counted by one CPU; this
	 * CPU's own tick of the same instant may still be pending, and lands
	 * inside the window or not as the vCPUs happened to interleave.
	 */
	until = now_ns() + TICK_SKEW_NS;
	while (now_ns() < until)
		;
}

static sigjmp_buf sigbus_jmp;

static void sigbus_handler(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

/* Read a byte of every page again: 0, or SIGBUS if a page cannot be. */
static int retouch(volatile unsigned char *p, size_t len, size_t page)
{
	struct sigaction sa = { .sa_handler = sigbus_handler };
	size_t off;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		die("sigaction: %s", strerror(errno));
	if (sigsetjmp(sigbus_jmp, 1))
		return SIGBUS;
	for (off = 0; off < len; off += page)
		(void)p[off];
	return 0;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Map @len again, read it all (clearing it), drop the entries and read it
 * once more: the nanoseconds and faults of that last read, -1 faults if the
 * kernel cannot map the pages again.
 */
static void measure_retouch(int fd, size_t len, uint64_t unit, size_t page,
			    uint64_t *ns, long *faults)
{
	volatile unsigned char *p;
	uint64_t t0;
	size_t off;

	p = p2p_map_at(fd, len, unit);
	if (p == MAP_FAILED)
		die("mmap of %zu bytes again: %s", len, strerror(errno));
	for (off = 0; off < len; off += page)
		(void)p[off];
	if (madvise((void *)p, len, MADV_DONTNEED))
		die("madvise: %s", strerror(errno));
	settle();
	*faults = minor_faults();
	t0 = now_ns();
	if (retouch(p, len, page)) {
		*faults = -1;
		*ns = 0;
	} else {
		*ns = now_ns() - t0;
		*faults = minor_faults() - *faults;
	}
	munmap((void *)p, len);
}

/* Each repetition's mmap(), read of every page and munmap(), timed apart. */
struct samples {
	uint64_t map_ns[MAX_REPS];
	uint64_t touch_ns[MAX_REPS];
	uint64_t unmap_ns[MAX_REPS];
	uint64_t faults[MAX_REPS];
	/* Pages whose first byte was not zero, with -z. */
	uint64_t dirty;
};

/* What the options ask of each repetition. */
struct options {
	/* -c: wait for memory cleared ahead. */
	bool ahead;
	char cleared_path[4096];
	char avail_path[4096];
	/* -z: check what the reads find. */
	bool zeros;
};

#define CLEAR_UNIT (2UL << 20)

/*
 * Wait until the kernel has cleared ahead @len bytes and all else it can;
 * a mapping of one unit, made and dropped, first starts it on a provider
 * no process mapped yet.
 */
static void wait_cleared(const struct options *o, int fd, size_t len,
			 uint64_t unit)
{
	static bool primed;
	uint64_t cleared, avail;
	void *p;
	int polls;

	if (!primed) {
		p = p2p_map_at(fd, unit, unit);
		if (p == MAP_FAILED)
			die("mmap of %" PRIu64 " bytes: %s", unit,
			    strerror(errno));
		munmap(p, unit);
		primed = true;
	}
	for (polls = 0;; polls++) {
		if (read_sysfs_u64(o->cleared_path, &cleared) ||
		    read_sysfs_u64(o->avail_path, &avail))
			exit(1);
		if (cleared >= len && cleared >= avail - avail % CLEAR_UNIT)
			return;
		if (polls >= CLEARED_WAIT_S * (1000000 / CLEARED_POLL_US))
			die("%s: %" PRIu64 " of %" PRIu64
			    " bytes cleared after %d s, %zu wanted",
			    o->cleared_path, cleared, avail, CLEARED_WAIT_S,
			    len);
		usleep(CLEARED_POLL_US);
	}
}

static void measure_once(int fd, size_t len, uint64_t unit, size_t page,
			 const struct options *o, struct samples *s, int i)
{
	volatile unsigned char *p;
	uint64_t t0;
	long faults;
	size_t off;

	if (o->ahead)
		wait_cleared(o, fd, len, unit);
	settle();
	t0 = now_ns();
	p = p2p_map_at(fd, len, unit);
	s->map_ns[i] = now_ns() - t0;
	if (p == MAP_FAILED)
		die("mmap of %zu bytes: %s", len, strerror(errno));
	settle();
	faults = minor_faults();
	t0 = now_ns();
	/* Touch every page; what they hold matters only with -z. */
	if (o->zeros) {
		for (off = 0; off < len; off += page)
			s->dirty += p[off] != 0;
	} else {
		for (off = 0; off < len; off += page)
			(void)p[off];
	}
	s->touch_ns[i] = now_ns() - t0;
	s->faults[i] = minor_faults() - faults;
	settle();
	t0 = now_ns();
	munmap((void *)p, len);
	s->unmap_ns[i] = now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The median of the @n values of @v, which it sorts. */
static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	struct samples s = {};
	struct options o = {};
	uint64_t avail, want, unit, again_ns;
	size_t len, page = getpagesize();
	char avail_path[4096];
	bool again = false;
	long again_faults;
	cpu_set_t cpus;
	int c, i, reps = 1;
	int fd;

	prog_init(argv[0], usage_str);
	while ((c = getopt(argc, argv, "rczn:")) != -1) {
		switch (c) {
		case 'r':
			again = true;
			break;
		case 'c':
			o.ahead = true;
			break;
		case 'z':
			o.zeros = true;
			break;
		case 'n':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				usage("-n: 1 to %d repetitions", MAX_REPS);
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 && argc != 2)
		usage(NULL);
	/*
	 * One CPU from here on: a process that runs on both vCPUs makes
	 * munmap() and the faults shoot down the other's TLB, depending on
	 * where the scheduler happened to put it.  Where the mm ran before
	 * this call stays in its TLB mask, so make bench also starts the
	 * program on CPU 0 (taskset).
	 */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("sched_setaffinity: %s", strerror(errno));
	sibling_path(avail_path, sizeof(avail_path), argv[0], "available");
	if (o.ahead) {
		sibling_path(o.cleared_path, sizeof(o.cleared_path), argv[0],
			     "cleared");
		sibling_path(o.avail_path, sizeof(o.avail_path), argv[0],
			     "available");
	}
	if (read_sysfs_u64(avail_path, &avail))
		return 1;
	unit = p2p_map_unit(argv[0]);
	if (argc == 2) {
		want = parse_size(argv[1], "BYTES");
		if (want < avail)
			avail = want;
	}
	len = avail - avail % unit;
	if (!len)
		die("%s: no P2P memory available", argv[0]);
	fd = open(argv[0], O_RDWR);
	if (fd < 0)
		die("%s: %s", argv[0], strerror(errno));

	for (i = 0; i < reps; i++)
		measure_once(fd, len, unit, page, &o, &s, i);
	printf("%zu %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64, len,
	       median(s.map_ns, reps), median(s.unmap_ns, reps),
	       median(s.faults, reps), median(s.touch_ns, reps));
	if (again) {
		measure_retouch(fd, len, unit, page, &again_ns, &again_faults);
		printf(" %" PRIu64 " %ld", again_ns, again_faults);
	}
	printf("\n");
	if (s.dirty) {
		fprintf(stderr,
			"%s: %" PRIu64
			" pages did not read as zeros at first\n",
			argv[0], s.dirty);
		return 1;
	}
	return 0;
}
