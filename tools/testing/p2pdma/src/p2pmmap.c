// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmmap - edge and error cases of mmap() on a p2pmem/allocate file.
 *
 * Prints one TAP line per check and the plan at the end.  The sibling
 * 'size' and 'available' files give the provider's total and free bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define POLL_MS		50
#define SETTLE_MS	2000
#define MAP_PAGES	2

static const char usage_str[] = "ALLOCATE_FILE";

static unsigned int nr_tests, nr_failed;
static char size_path[4096], avail_path[4096];

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
	case 0: return "success";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENODEV: return "ENODEV";
	default: return strerror(err);
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
 * Wait up to SETTLE_MS for 'available' to reach want (freed P2P pages go
 * back after an RCU grace period and a workqueue run).  Returns the last
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
	tap(before - during == len,
	    "available drops by %d pages while mapped (%" PRIu64 " -> %"
	    PRIu64 ")", MAP_PAGES, before, during);
	tap(check_cpu_access(p, len),
	    "pattern written through the mapping reads back");

	if (munmap(p, len))
		die("munmap: %s", strerror(errno));
	after = wait_available(before, &ms);
	tap(after == before,
	    "available returns to %" PRIu64 " after munmap (got %" PRIu64
	    " after %u ms)", before, after, ms);
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

int main(int argc, char **argv)
{
	uint64_t size, avail;
	unsigned int ms;
	long page;
	int fd;

	prog_init(argv[0], usage_str);
	if (argc != 2)
		usage(NULL);
	sibling_path(size_path, sizeof(size_path), argv[1], "size");
	sibling_path(avail_path, sizeof(avail_path), argv[1], "available");
	page = sysconf(_SC_PAGESIZE);

	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die("open %s: %s", argv[1], strerror(errno));
	size = sysfs_val(size_path);
	/* Let pages freed by earlier users come back first. */
	avail = wait_available(size, &ms);
	printf("# %s: size %" PRIu64 ", available %" PRIu64 "\n",
	       argv[1], size, avail);

	check_bad_maps(fd, page, size);
	check_good_map(fd, page);
	check_fresh_map_is_zero(fd, page);
	close(fd);

	printf("1..%u\n", nr_tests);
	if (nr_failed)
		fprintf(stderr, "%s: %u of %u checks failed\n", prog_name,
			nr_failed, nr_tests);
	return nr_failed ? EXIT_FAIL : EXIT_OK;
}
