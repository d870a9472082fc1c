// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmmap - edge and error cases of mmap() on a p2pmem/allocate file.
 *
 * Prints one TAP line per check and the plan at the end.  The sibling
 * 'size' and 'available' files give the provider's total and free bytes,
 * 'mmap_unit' the unit in which a mapping takes memory from the pool: its
 * length rounded up to whole units.
 *
 * Memory that user space lets go of (munmap(), a shrinking mremap(), exit)
 * must be back in 'available' when the system call returns, so every
 * check reads 'available' right after it, without waiting.
 *
 * With BLOCKDEV (a drive whose queue takes P2P memory, whose last MiBs
 * may be overwritten) it also checks that memory whose first access is an
 * O_DIRECT write, not the CPU, reaches the drive cleared.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define POLL_MS 50
#define SETTLE_MS 2000
#define MAP_PAGES 2
#define CYCLES 100
#define KILL_ROUNDS 10

static const char usage_str[] = "ALLOCATE_FILE [BLOCKDEV]";

static unsigned int nr_tests, nr_failed;
static char size_path[4096], avail_path[4096];
static uint64_t unit;

static uint64_t taken(uint64_t len)
{
	return (len + unit - 1) / unit * unit;
}

static __printf(2, 3) void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	nr_tests++;
	if (!ok)
		nr_failed++;
	printf("%sok %u - ", ok ? "" : "not ", nr_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *err_name(int err)
{
	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "EINVAL";
	case ENOMEM:
		return "ENOMEM";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ENODEV:
		return "ENODEV";
	case EFAULT:
		return "EFAULT";
	default:
		return strerror(err);
	}
}

static uint64_t sysfs_val(const char *path)
{
	uint64_t val;

	if (read_sysfs_u64(path, &val))
		die("read %s: %s", path, strerror(errno));
	return val;
}

/* mmap() that is expected to fail: returns its errno, 0 if it worked. */
static int try_map(int fd, size_t len, int flags, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/*
 * Wait up to SETTLE_MS for 'available' to reach want: memory pinned by
 * earlier users for I/O, or (on a kernel that returns freed pages late) a
 * failed check's pages, come back before the next check.  Returns the last
 * value read; *ms is set to the time waited.
 */
static uint64_t wait_available(uint64_t want, unsigned int *ms)
{
	uint64_t avail = sysfs_val(avail_path);

	for (*ms = 0; avail != want && *ms < SETTLE_MS; *ms += POLL_MS) {
		sleep_ms(POLL_MS);
		avail = sysfs_val(avail_path);
	}
	return avail;
}

static void check_bad_maps(int fd, long page, uint64_t size)
{
	int err;

	err = try_map(fd, page, MAP_PRIVATE, 0);
	tap(err == EINVAL, "MAP_PRIVATE mmap fails with EINVAL (got %s)",
	    err_name(err));

	err = try_map(fd, page, MAP_SHARED, page);
	tap(err == EINVAL, "mmap at offset %ld fails with EINVAL (got %s)",
	    page, err_name(err));

	err = try_map(fd, size + page, MAP_SHARED, 0);
	tap(err == EINVAL || err == ENOMEM,
	    "mmap of size + 1 page (%" PRIu64 " bytes) fails (got %s)",
	    size + page, err_name(err));
}

/* Write a pattern through the mapping with the CPU and read it back. */
static bool check_cpu_access(void *p, size_t len)
{
	const uint64_t seed = 0x9205;
	ssize_t bad;

	pattern_fill(p, len, 0, seed);
	bad = pattern_mismatch(p, len, 0, seed);
	if (bad >= 0)
		printf("# mismatch at byte %zd\n", bad);
	return bad < 0;
}

static void check_good_map(int fd, long page)
{
	size_t len = MAP_PAGES * page;
	uint64_t before, during, after;
	unsigned int ms;
	void *p;

	before = sysfs_val(avail_path);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap(p != MAP_FAILED, "%d-page MAP_SHARED mmap succeeds (got %s)",
	    MAP_PAGES, err_name(p == MAP_FAILED ? errno : 0));
	if (p == MAP_FAILED) {
		tap(true, "available drops by %d pages # SKIP no mapping",
		    MAP_PAGES);
		tap(true, "pattern reads back # SKIP no mapping");
		tap(true, "available restored # SKIP no mapping");
		return;
	}

	during = sysfs_val(avail_path);
	tap(before - during == taken(len),
	    "available drops by %d pages rounded up to the mmap unit while mapped (%" PRIu64
	    " -> %" PRIu64 ")",
	    MAP_PAGES, before, during);
	tap(check_cpu_access(p, len),
	    "pattern written through the mapping reads back");

	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
	after = sysfs_val(avail_path);
	tap(after == before,
	    "available is back to %" PRIu64 " when munmap returns (got %" PRIu64
	    ")",
	    before, after);
	wait_available(before, &ms);
}

/*
 * The kernel places a mapping of a unit or more at an address aligned to
 * the unit (up to the largest page-table entry), so that huge entries can
 * map it without any help from user space.
 */
static void check_placement(int fd, long page)
{
	uint64_t align = unit;
	char *p;

	if (unit <= (uint64_t)page) {
		tap(true,
		    "mappings are placed for huge entries # SKIP base pages");
		return;
	}
	if (align > (1 << 30))
		align = 1 << 30;
	p = mmap(NULL, 2 * unit, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		tap(false, "placement: mmap of 2 units (%s)", err_name(errno));
		return;
	}
	tap(!((uintptr_t)p % align),
	    "a mapping of 2 units is placed at a multiple of %" PRIu64 " (%p)",
	    align, p);
	if (munmap(p, 2 * unit))
		die("munmap: %s", strerror(errno));
}

/*
 * A new mapping must not show what an earlier user left in the BAR: map
 * again right after check_good_map() wrote its pattern and gave the pages
 * back (the allocator hands the same pages out first).
 */
static void check_fresh_map_is_zero(int fd, long page)
{
	size_t len = MAP_PAGES * page, i;
	const volatile uint64_t *w;
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		tap(false, "a new mapping reads as zeros (mmap: %s)",
		    err_name(errno));
		return;
	}
	w = p;
	for (i = 0; i < len / 8 && !w[i]; i++)
		;
	if (i < len / 8)
		printf("# first non-zero word at byte %zu\n", i * 8);
	tap(i == len / 8, "a new mapping reads as zeros");
	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
}

/*
 * Memory is cleared at the first fault on it, once: a later fault, after
 * MADV_DONTNEED or in a child, must find what was written there, and what
 * a child writes to memory it touched first is the parent's too.  Two
 * units, so that the child is the first to touch the second.
 */
static void check_refault_keeps_data(int fd)
{
	const uint64_t mine = 0x6d696e656d696e65, theirs = 0x6368696c64636869;
	size_t len = 2 * unit, last = len / 8 - 1;
	volatile uint64_t *w;
	int status;
	pid_t pid;
	bool ok;
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("# mmap: %s\n", err_name(errno));
		tap(false,
		    "a fault after MADV_DONTNEED finds the data, and zeros around it");
		tap(false,
		    "a child's writes, in the first unit and one it touched first, are the parent's");
		return;
	}
	w = p;
	w[0] = mine;
	if (madvise(p, len, MADV_DONTNEED))
		die("madvise: %s", strerror(errno));
	tap(w[0] == mine && !w[1],
	    "a fault after MADV_DONTNEED finds the data, and zeros around it");

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		w[1] = theirs;
		w[last] = theirs;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	ok = WIFEXITED(status) && w[0] == mine && w[1] == theirs &&
	     w[last] == theirs;
	tap(ok,
	    "a child's writes, in the first unit and one it touched first, are the parent's");
	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
}

/*
 * The first access to new memory may be a device's: an O_DIRECT write from
 * a mapping no CPU touched must put zeros on the drive, not what the last
 * user left in the BAR.  The last user is this check, through the CPU, of
 * the memory the pool hands out again first.
 */
static void check_first_touch_by_io(int fd, const char *blk)
{
	size_t len = unit, i, dirty = 0, first = 0;
	unsigned char *host;
	off_t end;
	void *p;
	int dev;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("# mmap: %s\n", err_name(errno));
		tap(false,
		    "an O_DIRECT write is the first access: the drive gets zeros");
		return;
	}
	memset(p, 0xa5, len);
	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap again: %s", strerror(errno));

	dev = open_direct(blk, O_RDWR);
	end = lseek(dev, 0, SEEK_END);
	if (end < (off_t)len)
		die("%s: smaller than %zu bytes", blk, len);
	end -= len;
	if (xfer_full(dev, p, len, end, true))
		io_die("write", blk, end);
	host = alloc_aligned(len);
	memset(host, 0x5a, len);
	if (xfer_full(dev, host, len, end, false))
		io_die("read", blk, end);
	for (i = len; i--;) {
		if (host[i]) {
			dirty++;
			first = i;
		}
	}
	if (dirty)
		printf("# %zu of %zu bytes not zero, the first at byte %zu\n",
		       dirty, len, first);
	tap(!dirty,
	    "an O_DIRECT write is the first access: the drive gets zeros");
	free(host);
	close(dev);
	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
}

/*
 * Two words of each page: the first and the last.  A new mapping must read
 * zeros where the previous user wrote them.
 */
static unsigned long count_dirty_pages(void *p, size_t len, long page)
{
	unsigned long dirty = 0;
	size_t off;

	for (off = 0; off < len; off += page) {
		const volatile uint64_t *w = (void *)((char *)p + off);

		if (w[0] || w[page / 8 - 1])
			dirty++;
	}
	return dirty;
}

static void touch_pages(void *p, size_t len, long page, uint64_t val)
{
	size_t off;

	for (off = 0; off < len; off += page) {
		volatile uint64_t *w = (void *)((char *)p + off);

		w[0] = val | 1;
		w[page / 8 - 1] = val | 1;
	}
}

/*
 * Map all that is available, touch every page, unmap, and map it all
 * again at once, CYCLES times: nothing may be missing right after munmap.
 */
static void check_whole_pool_cycles(int fd, long page, uint64_t whole,
				    uint64_t free)
{
	unsigned int i, map_failed = 0, lagged = 0, ms;
	unsigned long dirty = 0;
	double start, t, map_time = 0, map_max = 0;
	uint64_t avail;
	void *p;

	start = now_sec();
	for (i = 0; i < CYCLES; i++) {
		t = now_sec();
		p = mmap(NULL, whole, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
		t = now_sec() - t;
		if (p == MAP_FAILED) {
			int err = errno;

			if (!map_failed++)
				printf("# cycle %u: mmap of %" PRIu64
				       " bytes: %s (available %" PRIu64 ")\n",
				       i, whole, err_name(err),
				       sysfs_val(avail_path));
			/* Let the pages come back so the next cycle counts. */
			wait_available(free, &ms);
			continue;
		}
		map_time += t;
		if (t > map_max)
			map_max = t;
		dirty += count_dirty_pages(p, whole, page);
		touch_pages(p, whole, page, i);
		if (munmap(p, whole))
			die("munmap: %s", strerror(errno));
		/* No wait: the next cycle maps again at once. */
		avail = sysfs_val(avail_path);
		if (avail != free && !lagged++)
			printf("# cycle %u: available %" PRIu64
			       " when munmap returned, want %" PRIu64 "\n",
			       i, avail, free);
	}
	printf("# %u cycles of %" PRIu64
	       " bytes in %.2f s; mmap() %.1f ms on average, %.1f ms at most\n",
	       CYCLES, whole, now_sec() - start,
	       map_time * 1000 / (CYCLES - map_failed ?: 1), map_max * 1000);
	tap(!map_failed,
	    "the whole pool maps again right after munmap, %u times in a row (%u failed)",
	    CYCLES, map_failed);
	tap(!lagged,
	    "available is whole when munmap returns, every cycle (%u of %u short)",
	    lagged, CYCLES);
	tap(!dirty,
	    "every page of every new mapping reads as zeros (%lu pages did not)",
	    dirty);
	wait_available(free, &ms);
}

/* A process that exits with the pool mapped gives all of it back. */
static void check_child_exit(int fd, long page, uint64_t whole, uint64_t free)
{
	unsigned int ms;
	uint64_t avail;
	int status;
	pid_t pid;
	void *p;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		p = mmap(NULL, whole, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
		if (p == MAP_FAILED)
			_exit(1);
		touch_pages(p, whole, page, 0x5a5a);
		_exit(0); /* no munmap: exit takes the mapping down */
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	avail = sysfs_val(avail_path);
	tap(WIFEXITED(status) && !WEXITSTATUS(status),
	    "a child maps the whole pool, touches it and exits (status %#x)",
	    status);
	tap(avail == free,
	    "available is whole when wait() for the child returns (got %" PRIu64
	    ", want %" PRIu64 ")",
	    avail, free);
	p = mmap(NULL, whole, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tap(p != MAP_FAILED, "the parent then maps the whole pool (got %s)",
	    err_name(p == MAP_FAILED ? errno : 0));
	if (p != MAP_FAILED && munmap(p, whole))
		die("munmap: %s", strerror(errno));
	wait_available(free, &ms);
}

/*
 * SIGKILL a process that maps and unmaps the whole pool in a loop, at
 * various points: a mapping interrupted half way must leak nothing.  How
 * long the kill takes to reap is reported, not checked (TCG timing).
 */
static void check_killed_while_mapping(int fd, uint64_t whole, uint64_t free)
{
	unsigned int r, leaked = 0, ms;
	double t, reap_max = 0;
	uint64_t avail;
	pid_t pid;
	void *p;

	for (r = 0; r < KILL_ROUNDS; r++) {
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid) {
			for (;;) {
				p = mmap(NULL, whole, PROT_READ | PROT_WRITE,
					 MAP_SHARED, fd, 0);
				if (p != MAP_FAILED)
					munmap(p, whole);
			}
		}
		sleep_ms(30 + r * 47 % 250);
		t = now_sec();
		kill(pid, SIGKILL);
		if (waitpid(pid, NULL, 0) != pid)
			die("waitpid: %s", strerror(errno));
		t = now_sec() - t;
		if (t > reap_max)
			reap_max = t;
		avail = sysfs_val(avail_path);
		if (avail != free) {
			if (!leaked++)
				printf("# round %u: available %" PRIu64
				       " after the kill, want %" PRIu64 "\n",
				       r, avail, free);
			wait_available(free, &ms);
		}
	}
	printf("# SIGKILL to reaped: %.1f ms at most over %u rounds\n",
	       reap_max * 1000, KILL_ROUNDS);
	tap(!leaked,
	    "a process killed while mapping the whole pool leaves all of it available (%u of %u rounds short)",
	    leaked, KILL_ROUNDS);
}

/*
 * mremap() may not grow a mapping (there is no memory behind the new
 * part), in place or by moving, and a refused mremap() changes nothing.
 */
static void check_mremap_grow(int fd, long page)
{
	const uint64_t seed = 0x3e3a;
	size_t len = MAP_PAGES * page;
	uint64_t before, during;
	int err, flags[] = { 0, MREMAP_MAYMOVE };
	unsigned int i;
	void *p, *q;

	before = sysfs_val(avail_path);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		tap(false, "mremap: mmap of %d pages (%s)", MAP_PAGES,
		    err_name(errno));
		return;
	}
	pattern_fill(p, len, 0, seed);
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		q = mremap(p, len, len + page, flags[i]);
		err = q == MAP_FAILED ? errno : 0;
		tap(err == EFAULT,
		    "mremap growing a mapping by a page%s fails with EFAULT (got %s)",
		    flags[i] ? " with MREMAP_MAYMOVE" : " in place",
		    err_name(err));
		if (q != MAP_FAILED) {
			/* Wrongly grown: keep the old size, at q. */
			p = q;
			munmap((char *)p + len, page);
		}
	}
	during = sysfs_val(avail_path);
	tap(pattern_mismatch(p, len, 0, seed) < 0 &&
		    before - during == taken(len),
	    "after the refused mremap the mapping keeps its data and size (available %" PRIu64
	    ", want %" PRIu64 ")",
	    during, before - taken(len));
	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
}

/*
 * Splitting a mapping is allowed: each unit goes back when the last
 * mapping of any of its pages goes, and the rest stays mapped with its
 * data.
 */
static void check_partial_unmap(int fd)
{
	const uint64_t seed = 0x5911;
	size_t len = 4 * unit;
	uint64_t before, avail;
	unsigned int ms;
	char *p, *q;

	before = sysfs_val(avail_path);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		tap(false, "partial unmap: mmap of 4 units (%s)",
		    err_name(errno));
		return;
	}
	pattern_fill(p, len, 0, seed);

	if (munmap(p + unit, unit))
		die("munmap: %s", strerror(errno));
	avail = sysfs_val(avail_path);
	tap(avail == before - 3 * unit,
	    "munmap of the 2nd unit of 4 returns exactly that unit (available %" PRIu64
	    ", want %" PRIu64 ")",
	    avail, before - 3 * unit);

	q = mremap(p + 2 * unit, 2 * unit, unit, 0);
	avail = sysfs_val(avail_path);
	tap(q == p + 2 * unit && avail == before - 2 * unit,
	    "mremap shrinking the last 2 units to 1 returns exactly 1 unit (%s, available %" PRIu64
	    ", want %" PRIu64 ")",
	    q == MAP_FAILED ? err_name(errno) : "success", avail,
	    before - 2 * unit);

	tap(pattern_mismatch(p, unit, 0, seed) < 0 &&
		    pattern_mismatch(p + 2 * unit, unit, 2 * unit, seed) < 0,
	    "the units still mapped keep their data");

	if (munmap(p, unit) || munmap(p + 2 * unit, unit))
		die("munmap: %s", strerror(errno));
	avail = sysfs_val(avail_path);
	tap(avail == before,
	    "available is back to %" PRIu64
	    " once every piece is unmapped (got %" PRIu64 ")",
	    before, avail);
	wait_available(before, &ms);
}

/*
 * A unit stays taken while any page of it is mapped, here by a child that
 * inherited the mapping, and comes back with its last page.
 */
static void check_unit_kept_by_last_page(int fd, long page)
{
	uint64_t before, avail;
	int status, sync[2];
	unsigned int ms;
	char *p, c;
	pid_t pid;

	before = sysfs_val(avail_path);
	p = mmap(NULL, unit, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || pipe(sync)) {
		tap(false, "last page: mmap of a unit (%s)", err_name(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		/* Keep only the last page, and hold it until told. */
		munmap(p, unit - page);
		p[unit - 1] = 1;
		_exit(read(sync[0], &c, 1) == 1 ? 0 : 1);
	}
	if (munmap(p, unit))
		die("munmap: %s", strerror(errno));
	sleep_ms(POLL_MS);
	avail = sysfs_val(avail_path);
	tap(avail == before - unit,
	    "a unit whose last page a child still maps stays taken (available %" PRIu64
	    ", want %" PRIu64 ")",
	    avail, before - unit);
	if (write(sync[1], "x", 1) != 1 || waitpid(pid, &status, 0) != pid)
		die("child: %s", strerror(errno));
	avail = sysfs_val(avail_path);
	tap(WIFEXITED(status) && !WEXITSTATUS(status) && avail == before,
	    "and comes back when the child exits (available %" PRIu64
	    ", want %" PRIu64 ")",
	    avail, before);
	close(sync[0]);
	close(sync[1]);
	wait_available(before, &ms);
}

int main(int argc, char **argv)
{
	uint64_t size, avail;
	unsigned int ms;
	long page;
	int fd;

	prog_init(argv[0], usage_str);
	if (argc != 2 && argc != 3)
		usage(NULL);
	sibling_path(size_path, sizeof(size_path), argv[1], "size");
	sibling_path(avail_path, sizeof(avail_path), argv[1], "available");
	page = sysconf(_SC_PAGESIZE);
	unit = p2p_map_unit(argv[1]);

	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die("open %s: %s", argv[1], strerror(errno));
	size = sysfs_val(size_path);
	/* Let pages freed by earlier users come back first. */
	avail = wait_available(size, &ms);
	printf("# %s: size %" PRIu64 ", available %" PRIu64
	       ", mmap unit %" PRIu64 "\n",
	       argv[1], size, avail, unit);

	check_bad_maps(fd, page, size);
	check_good_map(fd, page);
	check_fresh_map_is_zero(fd, page);
	check_refault_keeps_data(fd);
	if (argc == 3)
		check_first_touch_by_io(fd, argv[2]);
	check_placement(fd, page);
	check_mremap_grow(fd, page);
	check_partial_unmap(fd);
	check_unit_kept_by_last_page(fd, page);
	/*
	 * The whole pool: what nvme keeps for its queues is not in it, nor
	 * is the rest of the unit its queues are in.
	 */
	check_whole_pool_cycles(fd, page, avail - avail % unit, avail);
	check_child_exit(fd, page, avail - avail % unit, avail);
	check_killed_while_mapping(fd, avail - avail % unit, avail);
	close(fd);

	printf("1..%u\n", nr_tests);
	if (nr_failed)
		fprintf(stderr, "%s: %u of %u checks failed\n", prog_name,
			nr_failed, nr_tests);
	return nr_failed ? EXIT_FAIL : EXIT_OK;
}
