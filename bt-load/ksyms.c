/* ksyms.c - kernel symbols from /proc/kallsyms, loaded on first use.
 *
 * Only text symbols are kept, in two compact sorted arrays (address,
 * name offset) and one name buffer: ~120k symbols take ~4 MiB, and only
 * programs that print ksym/kstack values ever pay for them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

struct ksym {
	uint64_t addr;
	uint32_t name;
};

static struct ksym *g_syms;
static size_t g_n;
static char *g_names;
static bool g_loaded;

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void ksyms_load(void)
{
	g_loaded = true;
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	size_t cap = 1 << 17, ncap = 1 << 22, nlen = 0;
	g_syms = malloc(cap * sizeof *g_syms);
	g_names = malloc(ncap);
	char line[512];
	while (g_syms && g_names && fgets(line, sizeof line, f)) {
		char *end;
		uint64_t addr = strtoull(line, &end, 16);
		if (end[0] != ' ' || !strchr("tTwW", end[1]) || end[2] != ' ' || !addr)
			continue;
		char *name = end + 3;
		size_t len = strcspn(name, " \t\n");
		if (g_n == cap) {
			struct ksym *ns = realloc(g_syms, cap * 2 * sizeof *g_syms);
			if (!ns)
				break;
			g_syms = ns;
			cap *= 2;
		}
		if (nlen + len + 1 > ncap) {
			char *nn = realloc(g_names, ncap * 2);
			if (!nn)
				break;
			g_names = nn;
			ncap *= 2;
		}
		memcpy(g_names + nlen, name, len);
		g_names[nlen + len] = '\0';
		g_syms[g_n].addr = addr;
		g_syms[g_n].name = (uint32_t)nlen;
		g_n++;
		nlen += len + 1;
	}
	fclose(f);
	if (g_syms)
		qsort(g_syms, g_n, sizeof *g_syms, ksym_cmp);
}

const char *ksym_lookup(uint64_t addr, uint64_t *off)
{
	if (!g_loaded)
		ksyms_load();
	size_t lo = 0, hi = g_n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (g_syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	*off = addr - g_syms[lo - 1].addr;
	return g_names + g_syms[lo - 1].name;
}
