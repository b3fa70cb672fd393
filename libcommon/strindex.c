/* strindex.c - open addressing over (name, value) slots, doubled when half
 * full; see strindex.h. */
#include "strindex.h"

#include <stdint.h>
#include <string.h>

#include "arena.h"

struct strindex_slot {
	const char *name;
	void *value;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

static struct strindex_slot *find_slot(struct strindex_slot *slots, size_t nslots,
				       const char *name)
{
	size_t i = name_hash(name) & (nslots - 1);
	while (slots[i].name && strcmp(slots[i].name, name) != 0)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

void *strindex_get(const struct strindex *ix, const char *name)
{
	if (!ix->n)
		return NULL;
	return find_slot(ix->slots, ix->nslots, name)->value;
}

void strindex_put(struct strindex *ix, const char *name, void *value)
{
	if ((ix->n + 1) * 2 > ix->nslots) {
		size_t nslots = ix->nslots ? ix->nslots * 2 : 64;
		struct strindex_slot *slots = ARENA_ARRAY(struct strindex_slot, nslots);
		for (size_t i = 0; i < ix->nslots; i++)
			if (ix->slots[i].name)
				*find_slot(slots, nslots, ix->slots[i].name) = ix->slots[i];
		ix->slots = slots;
		ix->nslots = nslots;
	}
	struct strindex_slot *s = find_slot(ix->slots, ix->nslots, name);
	if (!s->name)
		ix->n++;
	s->name = name;
	s->value = value;
}
