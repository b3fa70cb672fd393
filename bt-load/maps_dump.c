/* maps_dump.c - read, clear and zero user maps; write `map` records.
 *
 * A `map` record carries the entries in kernel iteration order with
 * per-CPU values already combined (ir-spec/out.md): 8-byte sums for
 * count/sum/avg/stats/hist/lhist, the largest signed slot floored at 0
 * for min, the largest unsigned slot for max (brief §4.6).  Sorting,
 * top and div are bt-fmt's.  Transient buffers use malloc/free: maps are
 * printed again and again during long runs (the arena never shrinks).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load.h"

struct map_view {
	int fd;
	uint32_t ksz, vsz;        /* key size; value size of one CPU slot */
	uint32_t vstride;         /* per-CPU slot stride (8-aligned) */
	bool percpu, array;
	int nvals;                /* slots per lookup */
};

static bool view_of(struct bt *bt, uint32_t id, struct map_view *v)
{
	if (id >= bt->meta.maps.n || !bt->user_maps[id])
		return false;
	struct bpf_map *m = bt->user_maps[id];
	enum bpf_map_type t = bpf_map__type(m);
	v->fd = bpf_map__fd(m);
	v->ksz = bpf_map__key_size(m);
	v->vsz = bpf_map__value_size(m);
	v->percpu = t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	v->array = t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
	v->vstride = v->percpu ? (v->vsz + 7) & ~7u : v->vsz;
	v->nvals = v->percpu ? bt->ncpus : 1;
	return v->fd >= 0;
}

/* All keys, back to back; *n gets the count.  NULL on error or empty. */
static uint8_t *collect_keys(const struct map_view *v, size_t *n)
{
	size_t cap = 64, cnt = 0;
	uint8_t *keys = malloc(cap * v->ksz);
	if (!keys)
		return NULL;
	const void *prev = NULL;
	uint8_t *next = malloc(v->ksz);
	while (next && bpf_map_get_next_key(v->fd, prev, next) == 0) {
		if (cnt == cap) {
			uint8_t *nk = realloc(keys, cap * 2 * v->ksz);
			if (!nk)
				break;
			keys = nk;
			cap *= 2;
		}
		memcpy(keys + cnt * v->ksz, next, v->ksz);
		prev = keys + cnt * v->ksz;
		cnt++;
	}
	free(next);
	*n = cnt;
	return keys;
}

static int64_t slot_i64(const uint8_t *p) { int64_t x; memcpy(&x, p, 8); return x; }
static uint64_t slot_u64(const uint8_t *p) { uint64_t x; memcpy(&x, p, 8); return x; }

/* Combine per-CPU slots into out (vsz bytes). */
static void combine(const struct type *vt, const struct map_view *v, const uint8_t *vals,
		    uint8_t *out)
{
	if (!v->percpu) {
		memcpy(out, vals, v->vsz);
		return;
	}
	if (v->vsz != 8) {   /* not an aggregation slot: first CPU's bytes */
		memcpy(out, vals, v->vsz);
		return;
	}
	uint64_t r = 0;
	switch (vt->kind) {
	case TY_MIN: {
		int64_t best = 0;
		for (int c = 0; c < v->nvals; c++) {
			int64_t x = slot_i64(vals + (size_t)c * v->vstride);
			if (x > best)
				best = x;
		}
		r = (uint64_t)best;
		break;
	}
	case TY_MAX:
		for (int c = 0; c < v->nvals; c++) {
			uint64_t x = slot_u64(vals + (size_t)c * v->vstride);
			if (x > r)
				r = x;
		}
		break;
	default:
		for (int c = 0; c < v->nvals; c++)
			r += slot_u64(vals + (size_t)c * v->vstride);
		break;
	}
	memcpy(out, &r, 8);
}

/* Symbol records for the key components and the value of one entry. */
static void prepare_entry(struct bt *bt, const struct meta_map *mm, const uint8_t *key,
			  uint32_t ksz, const uint8_t *val, uint32_t vsz)
{
	uint32_t off = 0;
	for (uint32_t k = 0; k < mm->nkeys; k++) {
		const struct type *t = mm->keys[k];
		if (off + t->size > ksz)
			break;
		if (type_needs_syms(t))
			sym_prepare(bt, t, key + off, t->size);
		off += t->size;
	}
	if (!type_is_aggregation(mm->value) && type_needs_syms(mm->value))
		sym_prepare(bt, mm->value, val, vsz);
}

static void write_header(struct bt *bt, uint32_t id, uint32_t top, uint32_t div, size_t n)
{
	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 5);
	mp_kv_str(pk, "t", "map");
	mp_kv_uint(pk, "id", id);
	mp_kv_uint(pk, "top", top);
	mp_kv_uint(pk, "div", div);
	mp_key(pk, "entries");
	msgpack_pack_array(pk, n);
}

int map_print(struct bt *bt, uint32_t id, uint32_t top, uint32_t div)
{
	struct map_view v;
	if (!view_of(bt, id, &v)) {
		/* a map the program never touches may be left out of the object:
		 * it prints as an empty map */
		if (id < bt->meta.maps.n) {
			write_header(bt, id, top, div, 0);
			out_record_done(bt);
		}
		return -1;
	}
	const struct meta_map *mm = &bt->meta.maps.v[id];
	size_t n = 0;
	uint8_t *keys = collect_keys(&v, &n);
	uint8_t *vals = malloc((size_t)v.vstride * (size_t)v.nvals + 8);
	uint8_t *cvals = malloc((n ? n : 1) * (size_t)v.vsz);
	bool *ok = calloc(n ? n : 1, sizeof(bool));
	size_t good = 0;
	bool syms = type_needs_syms(mm->value);
	for (uint32_t k = 0; k < mm->nkeys; k++)
		syms |= type_needs_syms(mm->keys[k]);
	for (size_t i = 0; keys && vals && cvals && ok && i < n; i++) {
		const uint8_t *key = keys + i * v.ksz;
		if (bpf_map_lookup_elem(v.fd, key, vals) != 0)
			continue;   /* removed meanwhile */
		combine(mm->value, &v, vals, cvals + i * v.vsz);
		ok[i] = true;
		good++;
		if (syms)
			prepare_entry(bt, mm, key, v.ksz, cvals + i * v.vsz, v.vsz);
	}
	write_header(bt, id, top, div, good);
	msgpack_packer *pk = &bt->out->pk;
	for (size_t i = 0; i < n && ok; i++) {
		if (!ok[i])
			continue;
		msgpack_pack_array(pk, 2);
		mp_put_bin(pk, keys + i * v.ksz, v.ksz);
		mp_put_bin(pk, cvals + i * v.vsz, v.vsz);
	}
	out_record_done(bt);
	free(keys);
	free(vals);
	free(cvals);
	free(ok);
	return 0;
}

int map_clear(struct bt *bt, uint32_t id)
{
	struct map_view v;
	if (!view_of(bt, id, &v))
		return -1;
	size_t n = 0;
	uint8_t *keys = collect_keys(&v, &n);
	uint8_t *zero = v.array ? calloc((size_t)v.vstride * (size_t)v.nvals + 8, 1) : NULL;
	for (size_t i = 0; keys && i < n; i++) {
		if (v.array) {
			if (zero)
				bpf_map_update_elem(v.fd, keys + i * v.ksz, zero, BPF_ANY);
		} else {
			bpf_map_delete_elem(v.fd, keys + i * v.ksz);
		}
	}
	free(zero);
	free(keys);
	return 0;
}

int map_zero(struct bt *bt, uint32_t id)
{
	struct map_view v;
	if (!view_of(bt, id, &v))
		return -1;
	size_t n = 0;
	uint8_t *keys = collect_keys(&v, &n);
	uint8_t *zero = calloc((size_t)v.vstride * (size_t)v.nvals + 8, 1);
	for (size_t i = 0; keys && zero && i < n; i++)
		bpf_map_update_elem(v.fd, keys + i * v.ksz, zero, v.array ? BPF_ANY : BPF_EXIST);
	free(zero);
	free(keys);
	return 0;
}

int maps_print_all(struct bt *bt)
{
	for (uint32_t i = 0; i < bt->meta.maps.n; i++)
		map_print(bt, i, 0, 0);
	return 0;
}
