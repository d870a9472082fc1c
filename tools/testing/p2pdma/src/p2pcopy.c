// SPDX-License-Identifier: GPL-2.0
/*
 * p2pcopy - copy a region between two block devices through P2P memory.
 *
 * SRC and DST are first filled with two different patterns using host
 * buffers.  Then SRC is copied to DST with O_DIRECT reads into, and writes
 * from, a P2P buffer mapped from a p2pmem/allocate file (one buffer per
 * thread), so the data only moves by DMA.  DST is then read back with host
 * buffers and compared.  -H uses host buffers for the copy instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define MAX_THREADS 64

static const char usage_str[] =
	"-s SRC_BLOCKDEV -d DST_BLOCKDEV -m P2PMEM_ALLOCATE_FILE\n"
	"\t[-n TOTAL_BYTES (4M)] [-b CHUNK (128K)] [-t THREADS (1)]\n"
	"\t[-o OFFSET_BYTES (0)] [-S SEED (1)] [-H]\n"
	"Sizes take K/M/G suffixes and must be multiples of 4096.\n"
	"-H copies through a host buffer instead of P2P memory (-m optional).";

struct options {
	const char *src_path, *dst_path, *map_path;
	uint64_t len, chunk, off, seed;
	unsigned int threads;
	bool host;
};

struct worker {
	pthread_t tid;
	const struct options *opt;
	int src, dst;
	unsigned int idx;
	void *buf;
	/* First failure, if any. */
	int err;
	const char *what, *path;
	uint64_t fail_off;
};

static void parse_args(int argc, char **argv, struct options *o)
{
	uint64_t threads = 1;
	int c;

	*o = (struct options){ .len = 4 << 20, .chunk = 128 << 10, .seed = 1 };
	while ((c = getopt(argc, argv, "s:d:m:n:b:t:o:S:Hh")) != -1) {
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
		case 'n':
			o->len = parse_size(optarg, "-n");
			break;
		case 'b':
			o->chunk = parse_size(optarg, "-b");
			break;
		case 'o':
			o->off = parse_size(optarg, "-o");
			break;
		case 'S':
			o->seed = parse_size(optarg, "-S");
			break;
		case 't':
			threads = parse_size(optarg, "-t");
			break;
		case 'H':
			o->host = true;
			break;
		default:
			usage(NULL);
		}
	}
	if (optind != argc)
		usage("unexpected argument '%s'", argv[optind]);
	if (!o->src_path || !o->dst_path || (!o->map_path && !o->host))
		usage("-s, -d and -m are required");
	if (!o->len || !o->chunk)
		usage("-n and -b must not be zero");
	check_aligned(o->len, "-n");
	check_aligned(o->chunk, "-b");
	check_aligned(o->off, "-o");
	if (threads < 1 || threads > MAX_THREADS)
		usage("-t must be between 1 and %d", MAX_THREADS);
	o->threads = threads;
}

static void *copy_thread(void *arg)
{
	struct worker *w = arg;
	const struct options *o = w->opt;
	uint64_t nchunks = (o->len + o->chunk - 1) / o->chunk;
	uint64_t c, pos, n;

	for (c = w->idx; c < nchunks; c += o->threads) {
		pos = o->off + c * o->chunk;
		n = o->off + o->len - pos;
		if (n > o->chunk)
			n = o->chunk;
		if (xfer_full(w->src, w->buf, n, pos, false)) {
			w->what = "read";
			w->path = o->src_path;
			goto fail;
		}
		if (xfer_full(w->dst, w->buf, n, pos, true)) {
			w->what = "write";
			w->path = o->dst_path;
			goto fail;
		}
	}
	return NULL;
fail:
	w->err = errno;
	w->fail_off = pos;
	return NULL;
}

/* Get one copy buffer per thread: P2P memory, or host memory with -H. */
static void setup_buffers(struct worker *w, const struct options *o)
{
	unsigned int i;
	int fd = -1;

	if (!o->host) {
		fd = open(o->map_path, O_RDWR);
		if (fd < 0)
			die("open %s: %s", o->map_path, strerror(errno));
	}
	for (i = 0; i < o->threads; i++)
		w[i].buf = o->host ? alloc_aligned(o->chunk) :
				     p2p_map(fd, o->map_path, o->chunk);
	if (fd >= 0)
		close(fd);
}

static int run_copy(struct worker *w, const struct options *o)
{
	double t0, t;
	unsigned int i;
	int ret;

	t0 = now_sec();
	for (i = 0; i < o->threads; i++) {
		ret = pthread_create(&w[i].tid, NULL, copy_thread, &w[i]);
		if (ret)
			die("pthread_create: %s", strerror(ret));
	}
	for (i = 0; i < o->threads; i++)
		pthread_join(w[i].tid, NULL);
	t = now_sec() - t0;

	for (i = 0; i < o->threads; i++)
		if (w[i].err)
			return report_io_error(w[i].what, w[i].path,
					       w[i].fail_off, w[i].err);
	printf("copy: %" PRIu64 " bytes in %.6f s, %.1f MB/s\n", o->len, t,
	       t > 0 ? o->len / t / 1e6 : 0.0);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS] = {};
	struct options o;
	uint64_t nchunks;
	unsigned int i;
	int src, dst, ret;

	prog_init(argv[0], usage_str);
	parse_args(argc, argv, &o);
	if (o.chunk > o.len)
		o.chunk = o.len;
	nchunks = (o.len + o.chunk - 1) / o.chunk;
	if (o.threads > nchunks) {
		printf("only %" PRIu64 " chunk(s): using %" PRIu64
		       " thread(s)\n",
		       nchunks, nchunks);
		o.threads = nchunks;
	}

	src = open_direct(o.src_path, O_RDWR);
	dst = open_direct(o.dst_path, O_RDWR);
	if (same_file(src, dst))
		usage("SRC and DST must be different devices");

	printf("p2pcopy: %s -> %s, offset %" PRIu64 ", %" PRIu64
	       " bytes, chunk %" PRIu64 ", %u thread(s), %s buffer%s%s\n",
	       o.src_path, o.dst_path, o.off, o.len, o.chunk, o.threads,
	       o.host ? "host" : "P2P", o.host ? "" : " from ",
	       o.host ? "" : o.map_path);

	setup_buffers(w, &o);
	printf("fill: SRC with seed %" PRIu64
	       ", DST with a different pattern\n",
	       o.seed);
	fill_region(src, o.src_path, o.off, o.len, o.seed);
	fill_region(dst, o.dst_path, o.off, o.len, pattern_other_seed(o.seed));

	for (i = 0; i < o.threads; i++) {
		w[i].opt = &o;
		w[i].idx = i;
		w[i].src = src;
		w[i].dst = dst;
	}
	ret = run_copy(w, &o);
	if (ret)
		return ret;
	return verify_region(dst, o.dst_path, o.off, o.len, o.seed);
}
