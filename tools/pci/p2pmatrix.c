// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmatrix - which PCI devices can do peer-to-peer DMA with which provider
 *
 * Reads the kernel's P2PDMA matrix (debugfs pci_p2pdma/matrix) and prints
 * it as a table: one row per client, one column per P2P provider, each cell
 * the map type and the distance.  -v adds the kernel's reason per pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MATRIX_PATH "/sys/kernel/debug/pci_p2pdma/matrix"
#define MAX_DEVS 256
#define NAME_LEN 32

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct pair {
	char provider[NAME_LEN];
	char client[NAME_LEN];
	char map[8];
	int distance;
	char *reason;
};

static struct pair pairs[MAX_DEVS * 8];
static int nr_pairs;

static int index_of(char names[][NAME_LEN], int *nr, const char *name)
{
	int i;

	for (i = 0; i < *nr; i++)
		if (!strcmp(names[i], name))
			return i;
	if (*nr == MAX_DEVS)
		return -1;
	snprintf(names[*nr], NAME_LEN, "%s", name);
	return (*nr)++;
}

static int read_matrix(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		fprintf(stderr,
			"p2pmatrix: needs root, debugfs mounted and CONFIG_PCI_P2PDMA\n");
		return -1;
	}
	while (nr_pairs < (int)ARRAY_SIZE(pairs) &&
	       fgets(line, sizeof(line), f)) {
		struct pair *p = &pairs[nr_pairs];
		int used = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%31s %31s %7s %d %n", p->provider, p->client,
			   p->map, &p->distance, &used) < 4)
			continue;
		p->reason = strdup(line + used);
		nr_pairs++;
	}
	fclose(f);
	return 0;
}

static const struct pair *find_pair(const char *provider, const char *client)
{
	int i;

	for (i = 0; i < nr_pairs; i++)
		if (!strcmp(pairs[i].provider, provider) &&
		    !strcmp(pairs[i].client, client))
			return &pairs[i];
	return NULL;
}

static void print_table(void)
{
	static char providers[MAX_DEVS][NAME_LEN], clients[MAX_DEVS][NAME_LEN];
	int nr_prov = 0, nr_cli = 0, i, j;

	for (i = 0; i < nr_pairs; i++) {
		index_of(providers, &nr_prov, pairs[i].provider);
		index_of(clients, &nr_cli, pairs[i].client);
	}
	if (!nr_prov) {
		printf("no published P2P providers\n");
		return;
	}
	printf("%-14s", "client \\ prov");
	for (j = 0; j < nr_prov; j++)
		printf(" %-13s", providers[j]);
	printf("\n");
	for (i = 0; i < nr_cli; i++) {
		printf("%-14s", clients[i]);
		for (j = 0; j < nr_prov; j++) {
			const struct pair *p =
				find_pair(providers[j], clients[i]);
			char cell[24];

			if (!p)
				snprintf(cell, sizeof(cell), "-");
			else if (p->distance < 0)
				snprintf(cell, sizeof(cell), "%s", p->map);
			else
				snprintf(cell, sizeof(cell), "%s %d", p->map,
					 p->distance);
			printf(" %-13s", cell);
		}
		printf("\n");
	}
	printf("\nLegend: BUS = by PCI bus address below a common switch,\n"
	       "HB = through the host bridge (mapped like host memory),\n"
	       "NO = cannot do P2P; the number is the distance (links crossed).\n"
	       "-v prints the kernel's reason per pair.\n");
}

int main(int argc, char **argv)
{
	const char *path = MATRIX_PATH;
	int verbose = 0, opt, i;

	while ((opt = getopt(argc, argv, "vf:h")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 'f':
			path = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-f matrix-file]\n",
				argv[0]);
			return 2;
		}
	}
	if (read_matrix(path))
		return 1;
	print_table();
	if (verbose) {
		printf("\nReasons:\n");
		for (i = 0; i < nr_pairs; i++)
			printf("  %s\n", pairs[i].reason);
	}
	return 0;
}
