/* ksyms.c - kernel symbols from /proc/kallsyms, loaded on first use.
 *
 * Only text symbols are kept, compactly, because bt-load stays alive while
 * tracing: one u64 per symbol (address − base in the high 32 bits — the
 * kernel and its modules span less than 4 GiB — and the name's offset in
 * one string buffer in the low 32) sorted by address, and each name once.
 * Kernels with function padding have a `__pfx_NAME` before every NAME:
 * those store no string of their own (bit 31 of the name offset marks
 * them; the name is "__pfx_" + the following NAME).  ~120k symbols take
 * ~2.5 MiB, and only programs that print ksym/kstack values pay for them.
 * Reading kallsyms takes the kernel ~250 ms, so such programs start the
 * load in a thread while tracing begins (ksyms_preload).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

#define PFX "__pfx_"
#define PFX_BIT 0x80000000u

static uint64_t *g_syms;
static size_t g_n;
static uint64_t g_base;
static char *g_names;
static bool g_loaded;
static bool g_loading;
static pthread_t g_loader;

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void ksyms_load(void)
{
	g_loaded = true;
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	/* large reads: each read of kallsyms costs a kernel iterator walk */
	static char iobuf[1 << 16];
	setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
	size_t cap = 1 << 16, ncap = 1 << 20, nlen = 0;
	g_syms = malloc(cap * sizeof *g_syms);
	g_names = malloc(ncap);
	uint32_t last_name = 0;     /* offset of the last stored name */
	size_t last_len = 0;
	char line[512];
	while (g_syms && g_names && fgets(line, sizeof line, f)) {
		char *end;
		uint64_t addr = strtoull(line, &end, 16);
		if (end[0] != ' ' || !strchr("tTwW", end[1]) || end[2] != ' ' || !addr)
			continue;
		if (!g_base)
			g_base = addr & ~0xffffffull;
		if (addr < g_base || addr - g_base > 0xffffffffull)
			continue;
		char *name = end + 3;
		size_t len = strcspn(name, " \t\n");
		bool pfx = len > strlen(PFX) && !strncmp(name, PFX, strlen(PFX));
		if (pfx) {
			name += strlen(PFX);
			len -= strlen(PFX);
		}
		uint32_t off;
		if (nlen && len == last_len && !memcmp(g_names + last_name, name, len)) {
			off = last_name;   /* NAME after its __pfx_NAME */
		} else {
			if (nlen + len + 1 > ncap) {
				char *nn = realloc(g_names, ncap * 2);
				if (!nn)
					break;
				g_names = nn;
				ncap *= 2;
			}
			memcpy(g_names + nlen, name, len);
			g_names[nlen + len] = '\0';
			off = (uint32_t)nlen;
			last_name = off;
			last_len = len;
			nlen += len + 1;
		}
		if (nlen >= PFX_BIT)
			break;
		if (g_n == cap) {
			uint64_t *ns = realloc(g_syms, cap * 2 * sizeof *g_syms);
			if (!ns)
				break;
			g_syms = ns;
			cap *= 2;
		}
		g_syms[g_n++] = (addr - g_base) << 32 | off | (pfx ? PFX_BIT : 0);
	}
	fclose(f);
	if (g_syms) {
		qsort(g_syms, g_n, sizeof *g_syms, u64_cmp);
		uint64_t *s = realloc(g_syms, (g_n ? g_n : 1) * sizeof *g_syms);
		if (s)
			g_syms = s;
	}
	if (g_names) {
		char *s = realloc(g_names, nlen ? nlen : 1);
		if (s)
			g_names = s;
	}
}

static void *loader(void *arg)
{
	(void)arg;
	ksyms_load();
	return NULL;
}

void ksyms_preload(void)
{
	if (g_loaded || g_loading)
		return;
	g_loading = pthread_create(&g_loader, NULL, loader, NULL) == 0;
}

const char *ksym_lookup(uint64_t addr, uint64_t *off)
{
	static char pfxbuf[512];
	if (g_loading) {
		pthread_join(g_loader, NULL);
		g_loading = false;
	}
	if (!g_loaded)
		ksyms_load();
	if (!g_n || addr < g_base || addr - g_base > 0xffffffffull)
		return NULL;
	uint64_t key = (addr - g_base) << 32 | 0xffffffffull;
	size_t lo = 0, hi = g_n;
	while (lo < hi) {   /* last entry <= key: the symbol at or before addr */
		size_t mid = (lo + hi) / 2;
		if (g_syms[mid] <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	uint64_t e = g_syms[lo - 1];
	*off = addr - (g_base + (e >> 32));
	uint32_t n = (uint32_t)e;
	const char *name = g_names + (n & ~PFX_BIT);
	if (!(n & PFX_BIT))
		return name;
	snprintf(pfxbuf, sizeof pfxbuf, PFX "%s", name);
	return pfxbuf;
}

/* The size of kernel function name as the kernel itself measures it for
 * kprobes: from its address to the next higher symbol's (kallsyms has no
 * sizes).  One pass over /proc/kallsyms, nothing kept: only a kprobe with
 * an offset asks.  False if name is no text symbol there. */
bool ksym_func_size(const char *name, uint64_t *size)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return false;
	static char iobuf[1 << 16];
	setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
	size_t cap = 1 << 16, n = 0, nlen = strlen(name);
	uint64_t *addrs = malloc(cap * sizeof *addrs), target = 0;
	char line[512];
	while (addrs && fgets(line, sizeof line, f)) {
		char *end;
		uint64_t addr = strtoull(line, &end, 16);
		if (end[0] != ' ' || !end[1] || end[2] != ' ' || !addr)
			continue;
		const char *sym = end + 3;
		if (!target && strchr("tTwW", end[1]) && !strncmp(sym, name, nlen) &&
		    strchr(" \t\n", sym[nlen]))
			target = addr;
		if (n == cap) {
			uint64_t *na = realloc(addrs, cap * 2 * sizeof *addrs);
			if (!na)
				break;
			addrs = na;
			cap *= 2;
		}
		addrs[n++] = addr;
	}
	fclose(f);
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; target && addrs && i < n; i++)
		if (addrs[i] > target && addrs[i] < next)
			next = addrs[i];
	free(addrs);
	if (!target || next == UINT64_MAX)
		return false;
	*size = next - target;
	return true;
}
