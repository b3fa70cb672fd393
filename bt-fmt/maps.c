/* maps.c - a `map` record: decode its entries, group and sort them the way
 * bpftrace prints maps (docs/bpftrace-compat.md "Printing maps"), apply
 * `top`, and hand the result to the output format.
 *
 * Entries arrive in kernel iteration order with per-CPU values already
 * combined by bt-load.  Sorting is stable on that order, which reproduces
 * upstream's std::sort for small maps (insertion sort) and otherwise picks
 * one of the orders it may produce for ties:
 *   count/sum/int/min/max   by value (signed when the type is signed; max
 *                           unsigned, min floored at 0 by bt-load)
 *   hist/lhist              keys grouped in raw byte order, by total count
 *   avg/stats               keys grouped in raw byte order, by average
 *   anything else           by key: integer components as unsigned, string
 *                           components with strncmp, others not compared
 */
#include "fmt.h"

#include <stdlib.h>

#define HIST_SLOTS 2080   /* 65 * 32 */
#define LHIST_SLOTS 1002

#define raw map_raw

/* qsort has no context argument: the comparators read these. */
static const struct meta_map *g_map;
static enum map_class g_cls;
static uint32_t g_prefix;

/* Merged streams: equal key bytes of two streams (or, with --by-host, two
 * hosts) are different keys. */
static int cmp_origin(const struct raw *x, const struct raw *y)
{
	uintptr_t a = (uintptr_t)x->tab, b = (uintptr_t)y->tab;
	if (a != b)
		return a < b ? -1 : 1;
	a = (uintptr_t)x->host, b = (uintptr_t)y->host;
	return a < b ? -1 : a > b;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;
	int c = memcmp(x->key, y->key, g_prefix);
	if (!c)
		c = cmp_origin(x, y);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }
static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

static bool value_signed(const struct type *t)
{
	switch (t->kind) {
	case TY_INT: case TY_SUM: case TY_MIN: case TY_MAX: return t->is_signed;
	case TY_AVG: case TY_STATS: return true;
	default: return false;
	}
}

/* Key comparison for maps sorted by key (docs/bpftrace-compat.md "Printing
 * maps"). */
static int cmp_keys(const uint8_t *a, const uint8_t *b)
{
	uint32_t off = 0;
	for (uint32_t i = 0; i < g_map->nkeys; i++) {
		const struct type *t = g_map->keys[i];
		int c = 0;
		if (t->kind == TY_INT) {
			if (t->size == 8)
				c = cmp_u64(read_u64(a + off), read_u64(b + off));
			else {
				struct type u = *t;
				u.is_signed = false;
				c = cmp_u64((uint64_t)read_int(&u, a + off),
					    (uint64_t)read_int(&u, b + off));
			}
		} else if (t->kind == TY_STRING) {
			c = strncmp((const char *)a + off, (const char *)b + off, t->size);
		}
		if (c)
			return c < 0 ? -1 : 1;
		off += t->size;
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;
	int c;
	if (g_cls == MC_PLAIN && g_map->value->kind != TY_COUNT &&
	    g_map->value->kind != TY_SUM && g_map->value->kind != TY_INT &&
	    g_map->value->kind != TY_MIN && g_map->value->kind != TY_MAX)
		c = cmp_keys(x->key, y->key);
	else if (g_cls == MC_STATS || (g_cls == MC_PLAIN && value_signed(g_map->value)))
		c = cmp_i64((int64_t)x->sortv, (int64_t)y->sortv);
	else
		c = cmp_u64(x->sortv, y->sortv);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool decode(struct fmt *f, const msgpack_object *rec, struct raw **out, uint32_t *nout)
{
	struct mp_err e = { 0 };
	const msgpack_object *items;
	uint32_t n = mp_array(&e, mp_get(rec, "entries"), "entries", &items);
	if (e.set) {
		fmt_fail(f, "bad map record: %s", e.msg);
		return false;
	}
	struct raw *r = calloc(n + 1, sizeof *r);
	if (!r) {
		fmt_fail(f, "out of memory");
		return false;
	}
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *kv;
		if (mp_array(&e, &items[i], "entry", &kv) != 2 ||
		    kv[0].type != MSGPACK_OBJECT_BIN || kv[1].type != MSGPACK_OBJECT_BIN) {
			fmt_fail(f, "bad map record: entry %u is not [key bin, value bin]", i);
			free(r);
			return false;
		}
		r[i].key = (const uint8_t *)kv[0].via.bin.ptr;
		r[i].klen = kv[0].via.bin.size;
		r[i].val = (const uint8_t *)kv[1].via.bin.ptr;
		r[i].vlen = kv[1].via.bin.size;
		r[i].idx = i;
	}
	*out = r;
	*nout = n;
	return true;
}

/* hist/lhist/avg/stats: one entry per key prefix, in raw byte order. */
static uint32_t group(struct fmt *f, struct raw *r, uint32_t n, struct map_entry *e,
		      uint64_t **pool)
{
	uint32_t slots = g_cls == MC_HIST ? HIST_SLOTS : g_cls == MC_LHIST ? LHIST_SLOTS : 0;
	qsort(r, n, sizeof *r, cmp_prefix);
	uint32_t ne = 0;
	*pool = slots && n ? calloc((size_t)n * slots, sizeof(uint64_t)) : NULL;
	if (slots && n && !*pool) {
		fmt_fail(f, "out of memory");
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (i == 0 || memcmp(r[i].key, r[i - 1].key, g_prefix) != 0 ||
		    cmp_origin(&r[i], &r[i - 1]) != 0) {
			struct map_entry *x = &e[ne];
			memset(x, 0, sizeof *x);
			x->key = r[i].key;
			x->idx = ne;
			x->tab = r[i].tab;
			x->host = r[i].host;
			if (slots)
				x->buckets = *pool + (size_t)ne * slots;
			ne++;
		}
		struct map_entry *x = &e[ne - 1];
		uint64_t v = read_u64(r[i].val);
		uint64_t bk = r[i].bucket;
		if (slots) {
			if (bk < slots) {
				x->buckets[bk] += v;
				if (bk + 1 > x->nbuckets)
					x->nbuckets = (uint32_t)bk + 1;
			}
			x->sortv += v;
		} else if (bk == 0) {
			x->count += (int64_t)v;
		} else if (bk == 1) {
			x->total += (int64_t)v;
		}
	}
	if (g_cls == MC_STATS)
		for (uint32_t i = 0; i < ne; i++)
			e[i].sortv = (uint64_t)(e[i].count ? e[i].total / e[i].count : 0);
	return ne;
}

void map_record(struct fmt *f, const msgpack_object *rec)
{
	struct mp_err err = { 0 };
	uint64_t id = mp_get_uint(&err, rec, "id");
	uint64_t top = mp_get_uint(&err, rec, "top");
	uint64_t div = mp_get_uint(&err, rec, "div");
	if (err.set) {
		fmt_fail(f, "bad map record: %s", err.msg);
		return;
	}
	if (id >= f->meta.maps.n) {
		fmt_fail(f, "map record: map id %llu out of range", (unsigned long long)id);
		return;
	}
	struct raw *r;
	uint32_t n;
	if (!decode(f, rec, &r, &n))
		return;
	map_show(f, &f->meta.maps.v[id], r, n, top, div);
	free(r);
}

bool map_entries_fit(struct fmt *f, const struct meta_map *m, struct map_raw *r, uint32_t n)
{
	/* keys are key_size bytes (+ a u64 bucket), values the value type's
	 * size (8 for aggregations) */
	bool bucketed = map_bucketed(m);
	uint32_t vsize = type_is_aggregation(m->value) ? 8 : m->value->size;
	uint64_t ksum = 0;
	for (uint32_t i = 0; i < m->nkeys; i++)
		ksum += m->keys[i]->size;
	if (ksum > (m->nkeys ? m->key_size : 8) || vsize > (1u << 24)) {
		fmt_fail(f, "bad map metadata for %s: key/value types do not fit the map", m->name);
		return false;
	}
	uint32_t ksize = (uint32_t)ksum;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t kmin = bucketed ? ksize + 8 : ksize;
		if (r[i].klen < kmin || r[i].vlen < vsize) {
			fmt_fail(f, "map record for %s: entry %u has %u/%u key/value bytes, expected %u/%u",
				 m->name, i, r[i].klen, r[i].vlen, kmin, vsize);
			return false;
		}
		if (bucketed)
			r[i].bucket = read_u64(r[i].key + r[i].klen - 8);
	}
	return true;
}

bool map_bucketed(const struct meta_map *m)
{
	switch (m->value->kind) {
	case TY_HIST: case TY_LHIST: case TY_AVG: case TY_STATS: return true;
	default: return false;
	}
}

void map_show(struct fmt *f, const struct meta_map *m, struct map_raw *r, uint32_t n,
	      uint64_t top, uint64_t div)
{
	struct map_view v = { .m = m, .div = div ? div : 1 };
	switch (m->value->kind) {
	case TY_HIST: v.cls = MC_HIST; break;
	case TY_LHIST: v.cls = MC_LHIST; break;
	case TY_AVG: case TY_STATS: v.cls = MC_STATS; break;
	default: v.cls = MC_PLAIN; break;
	}
	if (!map_entries_fit(f, m, r, n))
		return;
	bool bucketed = v.cls != MC_PLAIN;

	g_map = m;
	g_cls = v.cls;
	struct map_entry *e = calloc(n + 1, sizeof *e);
	uint64_t *pool = NULL;
	if (!e) {
		fmt_fail(f, "out of memory");
		return;
	}
	if (bucketed) {
		/* the prefix is everything but the bucket (all keys are the same length) */
		g_prefix = r && n ? r[0].klen - 8 : 0;
		for (uint32_t i = 0; i < n; i++)
			if (r[i].klen != r[0].klen) {
				fmt_fail(f, "map record for %s: keys of different sizes", m->name);
				goto out;
			}
		n = group(f, r, n, e, &pool);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			e[i].key = r[i].key;
			e[i].val = r[i].val;
			e[i].idx = i;
			e[i].tab = r[i].tab;
			e[i].host = r[i].host;
			const struct type *t = m->value;
			e[i].sortv = t->kind == TY_INT ? (uint64_t)read_int(t, r[i].val)
						       : t->size >= 8 ? read_u64(r[i].val) : 0;
		}
	}
	qsort(e, n, sizeof *e, cmp_entry);

	v.e = e;
	v.n = n;
	bool top_applies = v.cls != MC_STATS || m->value->kind == TY_AVG;
	if (top && top_applies && n > top) {
		v.e = e + (n - top);
		v.n = (uint32_t)top;
	}
	struct tables *tab = f->tab;
	if (!f->err[0])
		fmt_emitter(f)->map(f, &v);
	f->tab = tab;          /* entries of merged streams switch it */
	f->key_host = NULL;
out:
	free(pool);
	free(e);
}
