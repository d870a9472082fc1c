// SPDX-License-Identifier: GPL-2.0
/*
 * p2phold - hold a P2P memory mapping across a hot-unbind of the provider.
 *
 * Maps one page of a p2pmem/allocate file, writes to it, creates READY_FILE
 * and waits until READY_FILE is deleted (the script unbinds the provider's
 * driver meanwhile).  Then it reads the mapping, which must raise SIGBUS
 * because the kernel tore the user mappings down.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define POLL_MS 50
#define TIMEOUT_MS 60000

static const char usage_str[] = "ALLOCATE_FILE READY_FILE";

static sigjmp_buf sigbus_jmp;

static void sigbus_handler(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

static void install_sigbus_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigbus_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL))
		die("sigaction: %s", strerror(errno));
}

static void create_ready(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	close(fd);
	printf("created %s, waiting for it to be deleted\n", path);
}

static void wait_deleted(const char *path)
{
	unsigned int waited;

	for (waited = 0; waited < TIMEOUT_MS; waited += POLL_MS) {
		if (access(path, F_OK) && errno == ENOENT)
			return;
		sleep_ms(POLL_MS);
	}
	die("%s still exists after %d s", path, TIMEOUT_MS / 1000);
}

int main(int argc, char **argv)
{
	volatile unsigned char *p; /* BAR memory: every access must happen */
	unsigned char val;
	long page;
	int fd;

	prog_init(argv[0], usage_str);
	if (argc != 3)
		usage(NULL);

	page = sysconf(_SC_PAGESIZE);
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die("open %s: %s", argv[1], strerror(errno));
	p = p2p_map(fd, argv[1], page);
	close(fd);
	p[0] = 0x5a;
	printf("mapped 1 page of %s, wrote 0x%02x\n", argv[1], p[0]);

	install_sigbus_handler();
	create_ready(argv[2]);
	wait_deleted(argv[2]);

	printf("%s deleted, reading the mapping\n", argv[2]);
	if (sigsetjmp(sigbus_jmp, 1)) {
		printf("SIGBUS\n");
		return EXIT_OK;
	}
	val = p[0];
	printf("no SIGBUS\n");
	fprintf(stderr, "%s: reading the mapping returned 0x%02x, no SIGBUS\n",
		prog_name, val);
	return EXIT_FAIL;
}
