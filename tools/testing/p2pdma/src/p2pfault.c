// SPDX-License-Identifier: GPL-2.0
/*
 * p2pfault - mmap() of a p2pmem/allocate file with each of its allocations
 * failed in turn.
 *
 *   p2pfault ALLOCATE_FILE LENGTH
 *
 * For N = 1, 2, ... it writes N to /proc/thread-self/fail-nth (the kernel's
 * fault injection then fails the Nth allocation this thread makes), maps
 * LENGTH bytes of the file, disarms, and checks what came back: a mapping
 * that reads as zeros, or a clean error (ENOMEM, EAGAIN).  After
 * every round the sibling 'available' file must show the whole pool again.
 * It stops at the first N the mapping no longer reaches, which must map.
 *
 * Needs CONFIG_FAULT_INJECTION_DEBUG_FS and, for allocations that may
 * sleep, N in failslab/ignore-gfp-wait and fail_page_alloc/ignore-gfp-wait.
 * Prints one line per round that failed, and a summary; exits 1 if a check
 * failed or no failure was injected at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define MAX_NTH 5000

static const char usage_str[] = "ALLOCATE_FILE LENGTH";

static int nth_fd;

static void arm(unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	if (pwrite(nth_fd, buf, len, 0) != len)
		die("write fail-nth: %s", strerror(errno));
}

/* Disarm; return whether the armed failure was injected. */
static bool fired(void)
{
	char buf[16] = "";
	bool injected;

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) < 0)
		die("read fail-nth: %s", strerror(errno));
	injected = atoi(buf) == 0;
	arm(0);
	return injected;
}

static bool all_zero(const volatile unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int main(int argc, char **argv)
{
	unsigned int nth, injected = 0, failed_maps = 0, bad = 0;
	char avail_path[4096];
	uint64_t avail0, avail;
	size_t len;
	void *p;
	int fd, err;

	prog_init(argv[0], usage_str);
	if (argc != 3)
		usage(NULL);
	len = parse_size(argv[2], "LENGTH");
	check_aligned(len, "LENGTH");
	sibling_path(avail_path, sizeof(avail_path), argv[1], "available");
	if (read_sysfs_u64(avail_path, &avail0))
		return 1;
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die("%s: %s", argv[1], strerror(errno));
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		die("/proc/thread-self/fail-nth: %s (CONFIG_FAULT_INJECTION_DEBUG_FS?)",
		    strerror(errno));

	for (nth = 1; nth <= MAX_NTH; nth++) {
		arm(nth);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		err = errno;
		if (!fired()) {
			if (p == MAP_FAILED) {
				printf("mmap with no failure injected: %s\n",
				       strerror(err));
				bad++;
			}
			break;
		}
		injected++;
		if (p == MAP_FAILED) {
			failed_maps++;
			if (err != ENOMEM && err != EAGAIN) {
				printf("allocation %u failed: mmap: %s\n", nth,
				       strerror(err));
				bad++;
			}
		} else {
			if (!all_zero(p, len)) {
				printf("allocation %u failed: the mapping does not read as zeros\n",
				       nth);
				bad++;
			}
			/* The next round must not see this. */
			memset(p, 0xa5, len);
			munmap(p, len);
		}
		if (read_sysfs_u64(avail_path, &avail))
			return 1;
		if (avail != avail0) {
			printf("allocation %u failed: %" PRIu64
			       " bytes available after, %" PRIu64 " before\n",
			       nth, avail, avail0);
			bad++;
		}
	}
	if (p != MAP_FAILED && nth <= MAX_NTH)
		munmap(p, len);
	if (nth > MAX_NTH) {
		printf("mmap still made an allocation after %u\n", MAX_NTH);
		bad++;
	}
	printf("%u failures injected, %u mmaps failed cleanly, %u bad\n",
	       injected, failed_maps, bad);
	return bad || !injected;
}
