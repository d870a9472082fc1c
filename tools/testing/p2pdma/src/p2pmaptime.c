// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmaptime - how long mmap() and munmap() of a p2pmem/allocate file take
 * for the whole pool.
 *
 *   p2pmaptime ALLOCATE_FILE
 *
 * Maps every byte the sibling 'available' file reports, reads the first
 * and last byte, unmaps, and prints
 *
 *   <bytes> <mmap ns> <munmap ns> <minor faults>
 *
 * Under QEMU -icount shift=0,sleep=off the nanoseconds are guest
 * instructions (make bench).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char usage_str[] = "ALLOCATE_FILE";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

int main(int argc, char **argv)
{
	uint64_t avail, t0, t1, t2;
	char avail_path[4096];
	volatile unsigned char *p;
	long faults;
	size_t len;
	int fd;

	prog_init(argv[0], usage_str);
	if (argc != 2)
		usage(NULL);
	sibling_path(avail_path, sizeof(avail_path), argv[1], "available");
	if (read_sysfs_u64(avail_path, &avail))
		return 1;
	len = avail & ~(uint64_t)(getpagesize() - 1);
	if (!len)
		die("%s: no P2P memory available", argv[1]);
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die("%s: %s", argv[1], strerror(errno));

	faults = minor_faults();
	t0 = now_ns();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	t1 = now_ns();
	if (p == MAP_FAILED)
		die("mmap of %zu bytes: %s", len, strerror(errno));
	/* Touch both ends; what they hold is not this tool's business. */
	(void)p[0];
	(void)p[len - 1];
	faults = minor_faults() - faults;
	t2 = now_ns();
	munmap((void *)p, len);
	printf("%zu %" PRIu64 " %" PRIu64 " %ld\n", len, t1 - t0, now_ns() - t2,
	       faults);
	return 0;
}
