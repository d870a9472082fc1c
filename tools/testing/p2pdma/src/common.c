// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the P2PDMA user-space test programs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* Host bounce buffer size used to fill and verify regions. */
#define HOST_CHUNK (1024 * 1024)

const char *prog_name = "p2pdma-test";
static const char *usage_text = "";

void prog_init(const char *argv0, const char *text)
{
	const char *slash = strrchr(argv0, '/');

	prog_name = slash ? slash + 1 : argv0;
	usage_text = text;
	/* Keep stdout and stderr in order when both go to one console. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

void usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", prog_name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: %s %s\n", prog_name, usage_text);
	exit(EXIT_USAGE);
}

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAIL);
}

/* Parse a byte count: decimal or 0x hex, optional K/M/G suffix (binary). */
uint64_t parse_size(const char *arg, const char *opt)
{
	unsigned long long val;
	char *end;

	errno = 0;
	val = strtoull(arg, &end, 0);
	if (errno || end == arg || arg[0] == '-')
		usage("%s: invalid size '%s'", opt, arg);
	switch (*end) {
	case 'k':
	case 'K':
		val <<= 10, end++;
		break;
	case 'm':
	case 'M':
		val <<= 20, end++;
		break;
	case 'g':
	case 'G':
		val <<= 30, end++;
		break;
	}
	if (*end)
		usage("%s: invalid size '%s'", opt, arg);
	return val;
}

void check_aligned(uint64_t val, const char *opt)
{
	if (val % DIO_ALIGN)
		usage("%s must be a multiple of %d", opt, DIO_ALIGN);
}

int open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT);

	if (fd < 0)
		die("open %s with O_DIRECT: %s", path, strerror(errno));
	return fd;
}

void *alloc_aligned(size_t len)
{
	void *buf;
	int ret = posix_memalign(&buf, DIO_ALIGN, len);

	if (ret)
		die("posix_memalign(%zu): %s", len, strerror(ret));
	return buf;
}

/* Map len bytes of P2P memory from an opened p2pmem/allocate file. */
uint64_t p2p_map_unit(const char *path)
{
	char unit_path[4096];
	uint64_t unit;

	sibling_path(unit_path, sizeof(unit_path), path, "mmap_unit");
	if (read_sysfs_u64(unit_path, &unit) || unit & (unit - 1))
		return getpagesize();
	return unit;
}

void *p2p_map_at(int fd, size_t len, uint64_t align)
{
	char *resv, *p;
	size_t head;

	if (align <= (uint64_t)getpagesize())
		return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			    0);
	/* Room for an aligned start, then the mapping on top of it. */
	resv = mmap(NULL, len + align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		return MAP_FAILED;
	head = -(uintptr_t)resv & (align - 1);
	p = mmap(resv + head, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(resv, len + align);
		errno = err;
		return MAP_FAILED;
	}
	if (head)
		munmap(resv, head);
	munmap(p + len, align - head);
	return p;
}

void *p2p_map(int fd, const char *path, size_t len)
{
	void *p = p2p_map_at(fd, len, p2p_map_unit(path));

	if (p == MAP_FAILED)
		die("mmap %zu bytes of %s: %s", len, path, strerror(errno));
	return p;
}

bool same_file(int fd1, int fd2)
{
	struct stat a, b;

	if (fstat(fd1, &a) || fstat(fd2, &b))
		die("fstat: %s", strerror(errno));
	if (S_ISBLK(a.st_mode) && S_ISBLK(b.st_mode))
		return a.st_rdev == b.st_rdev;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Transfer exactly len bytes at off.  Returns 0, or -1 with errno set;
 * hitting the end of the device is reported as ENXIO.
 */
int xfer_full(int fd, void *buf, size_t len, off_t off, bool write)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = write ? pwrite(fd, p, len, off) : pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENXIO;
			return -1;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Print an I/O error and return the exit code it maps to. */
int report_io_error(const char *what, const char *path, uint64_t off, int err)
{
	fprintf(stderr, "%s: %s %s at offset %" PRIu64 ": %s\n", prog_name,
		what, path, off, strerror(err));
	if (err == EREMOTEIO) {
		fprintf(stderr, "EREMOTEIO\n");
		return EXIT_EREMOTEIO;
	}
	return EXIT_FAIL;
}

void io_die(const char *what, const char *path, uint64_t off)
{
	exit(report_io_error(what, path, off, errno));
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t pattern_word(uint64_t word, uint64_t seed_mix)
{
	return mix64(word ^ seed_mix);
}

uint64_t pattern_other_seed(uint64_t seed)
{
	return seed ^ 0xa5a5a5a5a5a5a5a5ULL;
}

void pattern_fill(void *buf, size_t len, uint64_t off, uint64_t seed)
{
	volatile uint64_t *w = buf;
	uint64_t smix = mix64(seed + 0x9e3779b97f4a7c15ULL);
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pattern_word(off / 8 + i, smix);
}

uint8_t pattern_byte(uint64_t off, uint64_t seed)
{
	uint64_t smix = mix64(seed + 0x9e3779b97f4a7c15ULL);
	uint64_t w = pattern_word(off / 8, smix);

	/* Words are stored in native (little-endian) byte order. */
	return w >> (8 * (off % 8));
}

/* Return the index of the first byte that differs, or -1. */
ssize_t pattern_mismatch(const void *buf, size_t len, uint64_t off,
			 uint64_t seed)
{
	const volatile uint64_t *w = buf;
	const uint8_t *b = buf;
	uint64_t smix = mix64(seed + 0x9e3779b97f4a7c15ULL);
	size_t i, j;

	for (i = 0; i < len / 8; i++) {
		if (w[i] == pattern_word(off / 8 + i, smix))
			continue;
		for (j = i * 8; j < i * 8 + 8; j++)
			if (b[j] != pattern_byte(off + j, seed))
				return j;
	}
	return -1;
}

/* Write the pattern to [off, off + len) with host buffers. */
void fill_region(int fd, const char *path, uint64_t off, uint64_t len,
		 uint64_t seed)
{
	void *buf = alloc_aligned(HOST_CHUNK);
	uint64_t pos, n;

	for (pos = off; pos < off + len; pos += n) {
		n = off + len - pos < HOST_CHUNK ? off + len - pos : HOST_CHUNK;
		pattern_fill(buf, n, pos, seed);
		if (xfer_full(fd, buf, n, pos, true))
			io_die("write", path, pos);
	}
	if (fdatasync(fd))
		die("fdatasync %s: %s", path, strerror(errno));
	free(buf);
}

/* Read [off, off + len) back with host buffers and compare. */
int verify_region(int fd, const char *path, uint64_t off, uint64_t len,
		  uint64_t seed)
{
	void *buf = alloc_aligned(HOST_CHUNK);
	uint64_t pos, n;
	ssize_t bad;

	for (pos = off; pos < off + len; pos += n) {
		n = off + len - pos < HOST_CHUNK ? off + len - pos : HOST_CHUNK;
		if (xfer_full(fd, buf, n, pos, false))
			io_die("read back", path, pos);
		bad = pattern_mismatch(buf, n, pos, seed);
		if (bad >= 0) {
			printf("verify: mismatch at offset %" PRIu64
			       " (expected 0x%02x, got 0x%02x)\n",
			       pos + bad, pattern_byte(pos + bad, seed),
			       ((uint8_t *)buf)[bad]);
			fprintf(stderr,
				"%s: %s: data mismatch at offset %" PRIu64 "\n",
				prog_name, path, pos + bad);
			free(buf);
			return EXIT_FAIL;
		}
	}
	printf("verify: verified %" PRIu64 " bytes\n", len);
	free(buf);
	return EXIT_OK;
}

/* Path of file 'name' in the same directory as 'file'. */
void sibling_path(char *buf, size_t size, const char *file, const char *name)
{
	const char *slash = strrchr(file, '/');
	int dirlen = slash ? (int)(slash - file) : 1;
	const char *dir = slash ? file : ".";

	if (snprintf(buf, size, "%.*s/%s", dirlen, dir, name) >= (int)size)
		die("path too long: %s", file);
}

int read_sysfs_u64(const char *path, uint64_t *val)
{
	char line[64], *end;
	FILE *f = fopen(path, "r");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		errno = 0;
		*val = strtoull(line, &end, 0);
		if (errno == 0 && end != line && (*end == '\n' || !*end))
			ret = 0;
		else
			errno = EINVAL;
	} else {
		errno = EIO;
	}
	fclose(f);
	return ret;
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}
