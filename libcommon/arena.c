/* arena.c - bump allocator over large chunks; see arena.h. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct chunk {
	struct chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

static struct chunk *head;
static unsigned generation;

unsigned arena_generation(void)
{
	return generation;
}

void arena_out_of_memory(size_t size)
{
	fprintf(stderr, "ERROR: out of memory (allocating %zu bytes)\n", size);
	exit(1);
}

void *arena_alloc(size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (!head || head->size - head->used < size) {
		size_t csize = size > (1u << 20) ? size : (1u << 20);
		struct chunk *c = malloc(sizeof(*c) + csize);
		if (!c)
			arena_out_of_memory(size);
		c->size = csize;
		c->used = 0;
		/* keep a partly used chunk at the head if the new one is a
		 * one-off big allocation, so small allocations keep packing */
		if (head && size > (1u << 19)) {
			c->next = head->next;
			head->next = c;
		} else {
			c->next = head;
			head = c;
		}
		c->used = size;
		memset(c->data, 0, size);
		return c->data;
	}
	void *p = head->data + head->used;
	head->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_strndup(const char *s, size_t n)
{
	char *p = arena_alloc(n + 1);
	if (n)      /* s may be NULL when n is 0 (msgpack's empty str/bin) */
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void **arena_set_find(struct arena_set *set, size_t hash, const void *key,
		      bool (*same)(const void *item, const void *key))
{
	if (set->gen != generation || !set->nslots) {
		free(set->slots);
		set->slots = NULL;
		set->nslots = set->n = 0;
		set->gen = generation;
	}
	if ((set->n + 1) * 2 > set->nslots) {
		size_t nslots = set->nslots ? set->nslots * 2 : 256;
		void **slots = calloc(nslots, sizeof *slots);
		if (!slots)
			arena_out_of_memory(nslots * sizeof *slots);
		for (size_t i = 0; i < set->nslots; i++) {
			if (!set->slots[i])
				continue;
			size_t j = set->hash(set->slots[i]) & (nslots - 1);
			while (slots[j])
				j = (j + 1) & (nslots - 1);
			slots[j] = set->slots[i];
		}
		free(set->slots);
		set->slots = slots;
		set->nslots = nslots;
	}
	size_t i = hash & (set->nslots - 1);
	while (set->slots[i] && !same(set->slots[i], key))
		i = (i + 1) & (set->nslots - 1);
	return &set->slots[i];
}

/* Interned short strings. */
struct counted {
	const char *p;
	size_t n;
};

static size_t intern_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
	return (size_t)h;
}

static size_t interned_hash(const void *item)
{
	return intern_hash(item, strlen(item));
}

static bool interned_same(const void *item, const void *key)
{
	const struct counted *k = key;
	return strncmp(item, k->p, k->n) == 0 && ((const char *)item)[k->n] == 0;
}

const char *arena_intern(const char *p, size_t n)
{
	static struct arena_set interned = { .hash = interned_hash };
	if (n > 64 || memchr(p, 0, n))
		return arena_strndup(p, n);
	struct counted key = { p, n };
	void **s = arena_set_find(&interned, intern_hash(p, n), &key, interned_same);
	if (!*s) {
		*s = arena_strndup(p, n);
		interned.n++;
	}
	return *s;
}

char *arena_strdup(const char *s)
{
	return s ? arena_strndup(s, strlen(s)) : NULL;
}

void *arena_memdup(const void *p, size_t n)
{
	void *q = arena_alloc(n ? n : 1);
	if (n)
		memcpy(q, p, n);
	return q;
}

char *arena_vprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	char *p = arena_alloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(fmt, ap);
	va_end(ap);
	return p;
}

void *mvec_grow(void *v, size_t *cap, size_t elem)
{
	size_t n = *cap ? *cap * 2 : 4;
	void *nv = realloc(v, n * elem);
	if (!nv)
		arena_out_of_memory(n * elem);
	*cap = n;
	return nv;
}

void arena_free_all(void)
{
	generation++;
	while (head) {
		struct chunk *n = head->next;
		free(head);
		head = n;
	}
}

void astr_add(struct astr *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *ns = arena_alloc(cap);
		if (b->len)
			memcpy(ns, b->s, b->len);
		b->s = ns;
		b->cap = cap;
	}
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void astr_addc(struct astr *b, char c)
{
	astr_add(b, &c, 1);
}

void astr_adds(struct astr *b, const char *s)
{
	astr_add(b, s, strlen(s));
}

const char *astr_str(const struct astr *b)
{
	return arena_strndup(b->s ? b->s : "", b->len);
}
