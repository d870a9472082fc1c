/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the P2PDMA user-space test programs.
 *
 * Exit codes of every program:
 *   0 success, 1 test failure (or setup error), 2 usage error,
 *   3 an I/O failed with EREMOTEIO (the pair cannot do P2P).
 */
#ifndef P2PDMA_TEST_COMMON_H
#define P2PDMA_TEST_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_EREMOTEIO 3

/* Alignment of host buffers, offsets and lengths used for O_DIRECT. */
#define DIO_ALIGN 4096

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __noreturn __attribute__((noreturn))

extern const char *prog_name;

void prog_init(const char *argv0, const char *usage_text);
__noreturn __printf(1, 2) void usage(const char *fmt, ...);
__noreturn __printf(1, 2) void die(const char *fmt, ...);

uint64_t parse_size(const char *arg, const char *opt);
void check_aligned(uint64_t val, const char *opt);

int open_direct(const char *path, int flags);
void *alloc_aligned(size_t len);
/*
 * Map a p2pmem/allocate file.  p2p_map() places the mapping at an address
 * aligned to the provider's mmap_unit, so that the kernel can map it with
 * huge entries, and dies on failure; p2p_map_at() aligns as asked and
 * returns MAP_FAILED with errno set.
 */
uint64_t p2p_map_unit(const char *path);
void *p2p_map_at(int fd, size_t len, uint64_t align);
void *p2p_map(int fd, const char *path, size_t len);
bool same_file(int fd1, int fd2);

int xfer_full(int fd, void *buf, size_t len, off_t off, bool write);
int report_io_error(const char *what, const char *path, uint64_t off, int err);
__noreturn void io_die(const char *what, const char *path, uint64_t off);

/*
 * Deterministic pattern: each 8-byte word is a hash of its absolute offset
 * (on the device) and the seed.  Buffers and offsets must be 8-byte aligned.
 * Accesses are word-sized and volatile, so the helpers are also safe on
 * BAR memory mapped from a p2pmem allocate file.
 */
uint64_t pattern_other_seed(uint64_t seed);
void pattern_fill(void *buf, size_t len, uint64_t off, uint64_t seed);
ssize_t pattern_mismatch(const void *buf, size_t len, uint64_t off,
			 uint64_t seed);
uint8_t pattern_byte(uint64_t off, uint64_t seed);

void fill_region(int fd, const char *path, uint64_t off, uint64_t len,
		 uint64_t seed);
int verify_region(int fd, const char *path, uint64_t off, uint64_t len,
		  uint64_t seed);

void sibling_path(char *buf, size_t size, const char *file, const char *name);
int read_sysfs_u64(const char *path, uint64_t *val);

double now_sec(void);
void sleep_ms(unsigned int ms);

#endif /* P2PDMA_TEST_COMMON_H */
