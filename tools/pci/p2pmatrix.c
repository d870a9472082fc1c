// SPDX-License-Identifier: GPL-2.0
/*
 * p2pmatrix - which PCI devices can do peer-to-peer DMA with which provider
 *
 * Reads p2pmem/peers of every P2P provider in sysfs (readable by every
 * user; format in Documentation/ABI/testing/sysfs-bus-pci-p2pmem) and
 * prints a table: one row per client, one column per provider, each cell
 * how the client reads and writes the provider's memory and the distance.
 * -v adds the kernel's reason per pair, --json prints a JSON array instead.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICES_PATH "/sys/bus/pci/devices"

struct pair {
	char *provider;
	char *client;
	char read[8];
	char write[8];
	int distance;
	char *reason;
};

static struct pair *pairs;
static size_t nr_pairs, max_pairs;

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		perror("p2pmatrix");
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *copy = strdup(s);

	if (!copy) {
		perror("p2pmatrix");
		exit(1);
	}
	return copy;
}

static struct pair *new_pair(void)
{
	if (nr_pairs == max_pairs) {
		max_pairs = max_pairs ? 2 * max_pairs : 64;
		pairs = xrealloc(pairs, max_pairs * sizeof(*pairs));
	}
	return &pairs[nr_pairs++];
}

/* One line: "<client> <read> <write> <distance> <explanation>". */
static int parse_line(const char *provider, char *line)
{
	char client[64];
	struct pair p = { 0 };
	int used = 0;

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%63s %7s %7s %d %n", client, p.read, p.write,
		   &p.distance, &used) < 4 ||
	    !used)
		return -1;
	p.provider = xstrdup(provider);
	p.client = xstrdup(client);
	p.reason = xstrdup(line + used);
	*new_pair() = p;
	return 0;
}

static int read_peers(const char *dir, const char *provider)
{
	size_t len = strlen(dir) + strlen(provider) + 32, size = 0;
	char *path = xrealloc(NULL, len), *line = NULL;
	int ret = 0;
	FILE *f;

	snprintf(path, len, "%s/%s/p2pmem/peers", dir, provider);
	f = fopen(path, "r");
	if (!f) {
		/* Not a provider (or it went away meanwhile). */
		ret = errno == ENOENT ? 0 : -1;
		if (ret)
			perror(path);
		free(path);
		return ret;
	}
	while (getline(&line, &size, f) > 0)
		if (parse_line(provider, line))
			fprintf(stderr,
				"p2pmatrix: %s: malformed line skipped\n",
				path);
	if (ferror(f)) {
		perror(path);
		ret = -1;
	}
	fclose(f);
	free(line);
	free(path);
	return ret;
}

static int read_all(const char *dir)
{
	struct dirent **names;
	int n, i, ret = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    read_peers(dir, names[i]->d_name))
			ret = -1;
		free(names[i]);
	}
	free(names);
	return ret;
}

/* Index of @name in @names, added at the end if absent. */
static size_t index_of(char ***names, size_t *nr, const char *name)
{
	size_t i;

	for (i = 0; i < *nr; i++)
		if (!strcmp((*names)[i], name))
			return i;
	*names = xrealloc(*names, (*nr + 1) * sizeof(**names));
	(*names)[*nr] = (char *)name;
	return (*nr)++;
}

static const struct pair *find_pair(const char *provider, const char *client)
{
	size_t i;

	for (i = 0; i < nr_pairs; i++)
		if (!strcmp(pairs[i].provider, provider) &&
		    !strcmp(pairs[i].client, client))
			return &pairs[i];
	return NULL;
}

static void print_table(void)
{
	char **providers = NULL, **clients = NULL;
	size_t nr_prov = 0, nr_cli = 0, i, j;

	for (i = 0; i < nr_pairs; i++) {
		index_of(&providers, &nr_prov, pairs[i].provider);
		index_of(&clients, &nr_cli, pairs[i].client);
	}
	if (!nr_prov) {
		printf("no P2P providers\n");
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
			char cell[32];

			if (!p)
				snprintf(cell, sizeof(cell), "-");
			else if (p->distance < 0)
				snprintf(cell, sizeof(cell), "%s", p->read);
			else
				snprintf(cell, sizeof(cell), "%s/%s %d",
					 p->read, p->write, p->distance);
			printf(" %-13s", cell);
		}
		printf("\n");
	}
	printf("\nLegend: READ/WRITE DISTANCE: how the client reads the provider's\n"
	       "memory and how it writes into it.  BUS = by PCI bus address below\n"
	       "a common switch, HB = through the host bridge (mapped like host\n"
	       "memory), NO = cannot do P2P; the number is the distance (links\n"
	       "crossed).  -v prints the kernel's reason per pair.\n");
	free(providers);
	free(clients);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json(void)
{
	size_t i;

	printf("[");
	for (i = 0; i < nr_pairs; i++) {
		const struct pair *p = &pairs[i];

		printf("%s\n  {\"provider\": ", i ? "," : "");
		json_string(p->provider);
		printf(", \"client\": ");
		json_string(p->client);
		printf(", \"read\": ");
		json_string(p->read);
		printf(", \"write\": ");
		json_string(p->write);
		printf(", \"distance\": %d, \"reason\": ", p->distance);
		json_string(p->reason);
		printf("}");
	}
	printf("%s]\n", nr_pairs ? "\n" : "");
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-v] [--json] [-d devices-dir]\n"
		"  -v, --verbose  add the kernel's reason for each pair\n"
		"  --json         print a JSON array of {provider, client, read,\n"
		"                 write, distance, reason}\n"
		"  -d DIR         read DIR/*/p2pmem/peers (default %s)\n",
		prog, DEVICES_PATH);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = DEVICES_PATH;
	int verbose = 0, json = 0, opt, ret;
	size_t i;

	while ((opt = getopt_long(argc, argv, "vd:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		usage(argv[0]);
		return 2;
	}
	ret = read_all(dir) ? 1 : 0;
	if (json) {
		print_json();
		return ret;
	}
	print_table();
	if (verbose) {
		printf("\nReasons:\n");
		for (i = 0; i < nr_pairs; i++)
			printf("  %s\n", pairs[i].reason);
	}
	return ret;
}
