// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmixed - O_DIRECT preadv()/pwritev() with an iovec that mixes host and
 * P2P buffers.
 *
 * SRC is filled with a pattern and DST with another one, using host
 * buffers.  One preadv() from SRC into the mixed iovec is followed by one
 * pwritev() of the same iovec to DST, and DST is then read back and
 * compared with the pattern.  SRC and DST may be one device at two
 * offsets: an NVMe controller may refuse a command whose data is partly in
 * its own CMB and partly in host memory, so the mixed list is best given
 * to a drive that is not the provider.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"

static const char usage_str[] =
	"-s SRC_BLOCKDEV -d DST_BLOCKDEV -m P2PMEM_ALLOCATE_FILE\n"
	"\t[-o OFFSET_BYTES (0, multiple of 4096)]\n"
	"\t[-O DST_OFFSET_BYTES (OFFSET_BYTES)] [-S SEED (1)]";

/* The iovec: where each segment lives and how long it is. */
static const struct segment {
	bool p2p;
	size_t len;
} layout[] = {
	{ false, 4096 },
	{ true, 8192 },
	{ false, 4096 },
	{ true, 4096 },
};

struct options {
	const char *src_path, *dst_path, *map_path;
	uint64_t off, dst_off, seed;
	bool dst_off_set;
};

static void parse_args(int argc, char **argv, struct options *o)
{
	int c;

	*o = (struct options){ .seed = 1 };
	while ((c = getopt(argc, argv, "s:d:m:o:O:S:h")) != -1) {
		switch (c) {
		case 's':
			o->src_path = optarg;
			break;
		case 'd':
			o->dst_path = optarg;
			break;
		case 'm':
			o->map_path = optarg;
			break;
		case 'o':
			o->off = parse_size(optarg, "-o");
			break;
		case 'O':
			o->dst_off = parse_size(optarg, "-O");
			o->dst_off_set = true;
			break;
		case 'S':
			o->seed = parse_size(optarg, "-S");
			break;
		default:
			usage(NULL);
		}
	}
	if (optind != argc)
		usage("unexpected argument '%s'", argv[optind]);
	if (!o->src_path || !o->dst_path || !o->map_path)
		usage("-s, -d and -m are required");
	check_aligned(o->off, "-o");
	if (!o->dst_off_set)
		o->dst_off = o->off;
	check_aligned(o->dst_off, "-O");
}

/* Carve the iovec out of one host buffer and one P2P mapping. */
static size_t build_iovec(struct iovec *iov, const char *map_path)
{
	size_t host_len = 0, p2p_len = 0, total;
	char *host, *p2p;
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(layout); i++)
		*(layout[i].p2p ? &p2p_len : &host_len) += layout[i].len;
	total = host_len + p2p_len;

	fd = open(map_path, O_RDWR);
	if (fd < 0)
		die("open %s: %s", map_path, strerror(errno));
	p2p = p2p_map(fd, map_path, p2p_len);
	close(fd);
	host = alloc_aligned(host_len);
	memset(host, 0, host_len);

	printf("iovec:");
	for (i = 0; i < ARRAY_SIZE(layout); i++) {
		if (layout[i].p2p) {
			iov[i].iov_base = p2p;
			p2p += layout[i].len;
		} else {
			iov[i].iov_base = host;
			host += layout[i].len;
		}
		iov[i].iov_len = layout[i].len;
		printf(" %s %zuK", layout[i].p2p ? "p2p" : "host",
		       layout[i].len / 1024);
	}
	printf(" (%zu bytes)\n", total);
	return total;
}

/* One vectored O_DIRECT transfer that must move all bytes at once. */
static void mixed_xfer(int fd, const char *path, const struct iovec *iov,
		       size_t total, uint64_t off, bool write)
{
	const char *what = write ? "pwritev" : "preadv";
	ssize_t n;

	if (write)
		n = pwritev(fd, iov, ARRAY_SIZE(layout), off);
	else
		n = preadv(fd, iov, ARRAY_SIZE(layout), off);
	if (n < 0)
		io_die(what, path, off);
	if ((size_t)n != total)
		die("%s %s: transferred %zd of %zu bytes", what, path, n,
		    total);
	printf("%s: %s, %zu bytes at offset %" PRIu64 "\n", what, path, total,
	       off);
}

/*
 * The pattern is a function of the device offset; SRC gets the words that
 * belong at DST's offset, so DST verifies wherever it is.
 */
static void fill_src(int fd, const char *path, uint64_t off, size_t len,
		     uint64_t dst_off, uint64_t seed)
{
	void *buf = alloc_aligned(len);

	pattern_fill(buf, len, dst_off, seed);
	if (xfer_full(fd, buf, len, off, true))
		io_die("write", path, off);
	if (fdatasync(fd))
		die("fdatasync %s: %s", path, strerror(errno));
	free(buf);
}

int main(int argc, char **argv)
{
	struct iovec iov[ARRAY_SIZE(layout)];
	struct options o;
	size_t total;
	int src, dst;

	prog_init(argv[0], usage_str);
	parse_args(argc, argv, &o);

	src = open_direct(o.src_path, O_RDWR);
	dst = open_direct(o.dst_path, O_RDWR);
	total = build_iovec(iov, o.map_path);
	if (same_file(src, dst) && o.off < o.dst_off + total &&
	    o.dst_off < o.off + total)
		usage("SRC and DST are one device: -o and -O must not overlap");

	printf("p2pmixed: %s at %" PRIu64 " -> %s at %" PRIu64
	       ", P2P memory from %s\n",
	       o.src_path, o.off, o.dst_path, o.dst_off, o.map_path);

	printf("fill: SRC with seed %" PRIu64
	       ", DST with a different pattern\n",
	       o.seed);
	fill_src(src, o.src_path, o.off, total, o.dst_off, o.seed);
	fill_region(dst, o.dst_path, o.dst_off, total,
		    pattern_other_seed(o.seed));

	mixed_xfer(src, o.src_path, iov, total, o.off, false);
	mixed_xfer(dst, o.dst_path, iov, total, o.dst_off, true);
	return verify_region(dst, o.dst_path, o.dst_off, total, o.seed);
}
