/* maps.c - the interpreter's maps: hash, LRU hash, array, their per-CPU
 * forms (one CPU: the interpreter is CPU 0), one-entry data maps
 * (.rodata, .data, .bss) and the ring buffer.
 *
 * Results are the kernel's: lookups of absent keys give NULL, updates
 * honour BPF_ANY/BPF_NOEXIST/BPF_EXIST, a full hash refuses new keys with
 * -E2BIG while an LRU hash evicts its least recently used entry, array
 * slots always exist (delete is -EINVAL).  Every value is a region of its
 * own (mem.c).  Iteration follows insertion order (the kernel's follows
 * its hash buckets: the order of equal values in a printed map may
 * differ).  The ring buffer counts records as the kernel does (an 8-byte
 * header, rounded up to 8 bytes) against its size less one byte, and
 * refuses what does not fit with -EAGAIN until the reader takes them.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

struct entry {
	struct entry *hnext;              /* bucket chain */
	struct entry *prev, *next;        /* order: insertion (LRU: use) */
	uint32_t region;                  /* of the value */
	uint8_t key[];
};

struct vm_map {
	char *name;
	uint32_t type, ksz, vsz, max;
	bool array, lru, ring, readonly;
	uint32_t handle;                  /* region of the map itself */
	/* array */
	uint8_t *data;
	uint32_t *elem;                   /* region per slot */
	/* hash */
	struct entry **buckets;
	uint32_t nbuckets, count;
	struct entry *head, *tail;
	/* ring buffer: records [u32 len][len bytes] back to back */
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint64_t rused;                   /* bytes as the kernel counts them */
};

static uint64_t hash_key(const uint8_t *k, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

int vm_add_map(struct vm *vm, const struct vm_map_def *d)
{
	struct vm_map *m = calloc(1, sizeof *m);
	if (!m)
		return -1;
	m->name = strdup(d->name);
	m->type = d->type;
	m->ksz = d->key_size;
	m->vsz = d->value_size;
	m->max = d->max_entries;
	m->readonly = d->readonly;
	switch (d->type) {
	case BPF_MAP_TYPE_ARRAY: case BPF_MAP_TYPE_PERCPU_ARRAY:
		m->array = true;
		break;
	case BPF_MAP_TYPE_LRU_HASH: case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		m->lru = true;
		break;
	case BPF_MAP_TYPE_HASH: case BPF_MAP_TYPE_PERCPU_HASH:
		break;
	case BPF_MAP_TYPE_RINGBUF:
		m->ring = true;
		break;
	default:
		snprintf(vm->err, sizeof vm->err, "map %s: its type (%u) cannot be interpreted",
			 d->name, d->type);
		goto bad;
	}
	if (!m->ring && (m->ksz == 0 || m->vsz == 0 || m->max == 0 || m->ksz > 4096 ||
			 m->vsz > (1u << 20) || (m->array && m->ksz != 4) ||
			 (m->array && (uint64_t)m->vsz * m->max > (1u << 28)) ||
			 m->max > (1u << 24))) {
		snprintf(vm->err, sizeof vm->err,
			 "map %s: sizes (key %u, value %u, %u entries) cannot be interpreted",
			 d->name, m->ksz, m->vsz, m->max);
		goto bad;
	}
	if (m->array) {
		m->data = calloc(m->max, m->vsz);
		m->elem = calloc(m->max, sizeof *m->elem);
		if (!m->data || !m->elem)
			goto bad;
		if (d->init && m->max == 1)
			memcpy(m->data, d->init, d->init_size < m->vsz ? d->init_size : m->vsz);
		for (uint32_t i = 0; i < m->max; i++)
			m->elem[i] = region_new(vm, m->data + (size_t)i * m->vsz, m->vsz,
						!m->readonly);
	} else if (!m->ring) {
		m->nbuckets = 16;
		while (m->nbuckets < m->max && m->nbuckets < (1u << 20))
			m->nbuckets *= 2;
		m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
		if (!m->buckets)
			goto bad;
	}
	m->handle = region_new(vm, NULL, 0, false);
	vm->regions[m->handle].map = m;
	struct vm_map **nm = realloc(vm->maps, (vm->nmaps + 1) * sizeof *nm);
	if (!nm)
		goto bad;
	vm->maps = nm;
	nm[vm->nmaps] = m;
	return (int)vm->nmaps++;
bad:
	if (!vm->err[0])
		snprintf(vm->err, sizeof vm->err, "out of memory");
	free(m->name);
	free(m->data);
	free(m->elem);
	free(m->buckets);
	free(m);
	return -1;
}

void vm_map_free_all(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nmaps; i++) {
		struct vm_map *m = vm->maps[i];
		for (struct entry *e = m->head, *n; e; e = n) {
			n = e->next;
			free(vm->regions[e->region].base);
			free(e);
		}
		free(m->buckets);
		free(m->data);
		free(m->elem);
		free(m->rbuf);
		free(m->name);
		free(m);
	}
	free(vm->maps);
	vm->maps = NULL;
	vm->nmaps = 0;
}

struct vm_map *vm_map_at(struct vm *vm, uint32_t i) { return i < vm->nmaps ? vm->maps[i] : NULL; }
const char *vm_map_name(const struct vm_map *m) { return m->name; }
uint32_t vm_map_key_size(const struct vm_map *m) { return m->ksz; }
uint32_t vm_map_value_size(const struct vm_map *m) { return m->vsz; }
uint32_t vm_map_region(const struct vm_map *m) { return m->handle; }
bool vm_map_is_array(const struct vm_map *m) { return m->array; }

static struct entry **slot_of(struct vm_map *m, const void *key)
{
	struct entry **pp = &m->buckets[hash_key(key, m->ksz) & (m->nbuckets - 1)];
	while (*pp && memcmp((*pp)->key, key, m->ksz) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static void order_unlink(struct vm_map *m, struct entry *e)
{
	*(e->prev ? &e->prev->next : &m->head) = e->next;
	*(e->next ? &e->next->prev : &m->tail) = e->prev;
	e->prev = e->next = NULL;
}

static void order_append(struct vm_map *m, struct entry *e)
{
	e->prev = m->tail;
	e->next = NULL;
	*(m->tail ? &m->tail->next : &m->head) = e;
	m->tail = e;
}

static void touch(struct vm_map *m, struct entry *e)
{
	if (m->lru && m->tail != e) {
		order_unlink(m, e);
		order_append(m, e);
	}
}

static struct entry *find(struct vm_map *m, const void *key)
{
	return m->ring || m->array ? NULL : *slot_of(m, key);
}

static uint32_t value_region(struct vm_map *m, const void *key)
{
	if (m->array) {
		uint32_t i;
		memcpy(&i, key, 4);
		return i < m->max ? m->elem[i] : 0;
	}
	struct entry *e = find(m, key);
	if (!e)
		return 0;
	touch(m, e);
	return e->region;
}

uint8_t *vm_map_lookup(struct vm *vm, struct vm_map *m, const void *key)
{
	if (m->ring)
		return NULL;
	uint32_t r = value_region(m, key);
	return r ? vm->regions[r].base : NULL;
}

uint64_t vm_map_lookup_addr(struct vm *vm, struct vm_map *m, const void *key)
{
	if (m->ring)
		return 0;
	uint32_t r = value_region(m, key);
	return r ? region_addr(r, 0) : 0;
}

static void remove_entry(struct vm *vm, struct vm_map *m, struct entry **pp)
{
	struct entry *e = *pp;
	*pp = e->hnext;
	order_unlink(m, e);
	region_retire(vm, e->region);
	free(e);
	m->count--;
}

int vm_map_update(struct vm *vm, struct vm_map *m, const void *key, const void *val,
		  uint64_t flags)
{
	if (m->ring)
		return -EINVAL;
	if (flags > BPF_EXIST)
		return -EINVAL;
	if (m->array) {
		uint32_t i;
		memcpy(&i, key, 4);
		if (i >= m->max)
			return -E2BIG;
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		memcpy(m->data + (size_t)i * m->vsz, val, m->vsz);
		return 0;
	}
	struct entry **pp = slot_of(m, key);
	if (*pp) {
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		memcpy(vm->regions[(*pp)->region].base, val, m->vsz);
		touch(m, *pp);
		return 0;
	}
	if (flags == BPF_EXIST)
		return -ENOENT;
	if (m->count >= m->max) {
		if (!m->lru)
			return -E2BIG;
		remove_entry(vm, m, slot_of(m, m->head->key));
		pp = slot_of(m, key);
	}
	struct entry *e = malloc(sizeof *e + m->ksz);
	uint8_t *v = malloc(m->vsz);
	if (!e || !v) {
		free(e);
		free(v);
		return -ENOMEM;
	}
	memcpy(e->key, key, m->ksz);
	memcpy(v, val, m->vsz);
	e->region = region_new(vm, v, m->vsz, true);
	e->hnext = NULL;
	*pp = e;
	order_append(m, e);
	m->count++;
	return 0;
}

int vm_map_delete(struct vm *vm, struct vm_map *m, const void *key)
{
	if (m->array || m->ring)
		return -EINVAL;
	struct entry **pp = slot_of(m, key);
	if (!*pp)
		return -ENOENT;
	remove_entry(vm, m, pp);
	return 0;
}

int vm_map_next_key(struct vm *vm, struct vm_map *m, const void *prev, void *next)
{
	(void)vm;
	if (m->ring)
		return -EINVAL;
	if (m->array) {
		uint32_t i = 0;
		if (prev) {
			memcpy(&i, prev, 4);
			i = i >= m->max ? 0 : i + 1;
		}
		if (i >= m->max)
			return -ENOENT;
		memcpy(next, &i, 4);
		return 0;
	}
	struct entry *e = prev ? *slot_of(m, prev) : NULL;
	e = e ? e->next : m->head;
	if (!e)
		return -ENOENT;
	memcpy(next, e->key, m->ksz);
	return 0;
}

long vm_map_each(struct vm *vm, struct vm_map *m,
		 int (*fn)(void *ctx, const void *key, uint64_t value_addr), void *ctx)
{
	long n = 0;
	if (m->array) {
		for (uint32_t i = 0; i < m->max; i++) {
			n++;
			if (fn(ctx, &i, region_addr(m->elem[i], 0)))
				break;
		}
		return n;
	}
	if (m->ring)
		return 0;
	/* the callback may delete the entry it is given */
	for (struct entry *e = m->head, *nx; e; e = nx) {
		nx = e->next;
		n++;
		if (fn(ctx, e->key, region_addr(e->region, 0)))
			break;
	}
	return n;
}

/* ---- ring buffer ---- */

int vm_ring_output(struct vm_map *m, const void *data, uint64_t n)
{
	uint64_t cost = (n + 8 + 7) & ~7ull;
	/* the kernel never fills the ring to the last byte (positions differ
	 * by at most size - 1) */
	if (!m->ring || n > UINT32_MAX || m->rused + cost >= m->max)
		return m->ring ? -EAGAIN : -EINVAL;
	size_t need = m->rlen + 4 + (size_t)n;
	if (need > m->rcap) {
		size_t c = m->rcap ? m->rcap : 4096;
		while (c < need)
			c *= 2;
		uint8_t *nb = realloc(m->rbuf, c);
		if (!nb)
			return -ENOMEM;
		m->rbuf = nb;
		m->rcap = c;
	}
	uint32_t len = (uint32_t)n;
	memcpy(m->rbuf + m->rlen, &len, 4);
	memcpy(m->rbuf + m->rlen + 4, data, n);
	m->rlen = need;
	m->rused += cost;
	return 0;
}

uint64_t vm_ring_query(struct vm_map *m, uint64_t flags)
{
	switch (flags) {
	case BPF_RB_AVAIL_DATA: return m->rused;
	case BPF_RB_RING_SIZE: return m->max;
	default: return 0;
	}
}

long vm_ring_consume(struct vm_map *m, int (*fn)(void *ctx, void *data, size_t n), void *ctx)
{
	long k = 0;
	size_t at = 0;
	while (at < m->rlen) {
		uint32_t len;
		memcpy(&len, m->rbuf + at, 4);
		uint8_t *rec = m->rbuf + at + 4;
		at += 4 + len;
		m->rused -= (len + 8 + 7) & ~7ull;
		k++;
		if (fn(ctx, rec, len) < 0)
			break;
	}
	if (at) {
		memmove(m->rbuf, m->rbuf + at, m->rlen - at);
		m->rlen -= at;
	}
	return k;
}
