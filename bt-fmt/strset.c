/* strset.c - a set of byte strings, each given a dense index in the order
 * added: how folded.c merges lines, merge.c keys, flamegraph.c frames and
 * tree nodes.  Open addressing over one text buffer; see fmt.h. */
#include "fmt.h"

#include <stdlib.h>

static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static void grow_slots(struct strset *set)
{
	free(set->slots);
	set->nslots = set->nslots ? 2 * set->nslots : 1024;
	set->slots = calloc(set->nslots, sizeof *set->slots);
	if (!set->slots)
		abort();
	for (uint32_t i = 0; i < set->n; i++) {
		uint64_t j = fnv1a(strset_str(set, i), set->len[i]);
		while (set->slots[j & (set->nslots - 1)])
			j++;
		set->slots[j & (set->nslots - 1)] = i + 1;
	}
}

uint32_t strset_add(struct strset *set, const void *s, size_t n, bool *added)
{
	if ((uint64_t)(set->n + 1) * 2 > set->nslots)
		grow_slots(set);
	uint64_t j = fnv1a(s, n);
	for (;; j++) {
		uint32_t k = set->slots[j & (set->nslots - 1)];
		if (!k)
			break;
		if (set->len[k - 1] == n && memcmp(strset_str(set, k - 1), s, n) == 0) {
			if (added)
				*added = false;
			return k - 1;
		}
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 256;
		set->at = realloc(set->at, set->cap * sizeof *set->at);
		set->len = realloc(set->len, set->cap * sizeof *set->len);
		if (!set->at || !set->len)
			abort();
	}
	set->at[set->n] = set->text.len;
	set->len[set->n] = n;
	sb_put(&set->text, s, n);
	set->slots[j & (set->nslots - 1)] = set->n + 1;
	if (added)
		*added = true;
	return set->n++;
}

void strset_clear(struct strset *set)
{
	set->n = 0;
	set->text.len = 0;
	if (set->slots)
		memset(set->slots, 0, set->nslots * sizeof *set->slots);
}

void strset_free(struct strset *set)
{
	free(set->text.p);
	free(set->at);
	free(set->len);
	free(set->slots);
	memset(set, 0, sizeof *set);
}
