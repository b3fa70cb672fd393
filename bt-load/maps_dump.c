/* maps_dump.c - read, clear and zero user maps; write `map` records.
 *
 * A `map` record carries the entries in kernel iteration order with
 * per-CPU values already combined (ir-spec/out.md): 8-byte sums for
 * count/sum/avg/stats/hist/lhist, the least/greatest of the slots a CPU
 * set for min/max.  Sorting, top and div are bt-fmt's.
 *
 * Programs print, clear and zero maps every millisecond if they like, so
 * a map is read with the kernel's batch operations (one syscall for many
 * entries) and only falls back to key-by-key iteration where those are
 * refused.  Transient buffers use malloc/free: the arena never shrinks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load.h"

struct map_view {
	struct bt *bt;
	struct bpf_map *map;
	int fd;
	uint32_t ksz, vsz;        /* key size; value size of one CPU slot */
	uint32_t vstride;         /* per-CPU slot stride (8-aligned) */
	bool percpu, array;
	int nvals;                /* slots per lookup */
	size_t vbytes;            /* bytes of one looked-up value (all CPUs) */
};

/* A snapshot: n keys and their (per-CPU) values, back to back. */
struct snap {
	uint8_t *keys, *vals;
	size_t n, cap;
};

static bool view_of(struct bt *bt, uint32_t id, struct map_view *v)
{
	if (id >= bt->meta.maps.n || !bt->user_maps[id])
		return false;
	struct bpf_map *m = bt->user_maps[id];
	enum bpf_map_type t = bpf_map__type(m);
	v->bt = bt;
	v->map = m;
	v->fd = bt->vm ? 0 : bpf_map__fd(m);
	v->ksz = bpf_map__key_size(m);
	v->vsz = bpf_map__value_size(m);
	v->percpu = t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	v->array = t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
	v->vstride = v->percpu ? (v->vsz + 7) & ~7u : v->vsz;
	v->nvals = v->percpu ? bt->ncpus : 1;
	v->vbytes = (size_t)v->vstride * (size_t)v->nvals;
	return v->fd >= 0 && v->ksz > 0;
}

static bool snap_reserve(struct snap *s, const struct map_view *v, size_t want)
{
	if (want <= s->cap)
		return true;
	size_t cap = s->cap ? s->cap : 64;
	while (cap < want)
		cap *= 2;
	uint8_t *k = realloc(s->keys, cap * v->ksz);
	if (!k)
		return false;
	s->keys = k;
	uint8_t *vv = realloc(s->vals, cap * v->vbytes + 8);
	if (!vv)
		return false;
	s->vals = vv;
	s->cap = cap;
	return true;
}

static void snap_free(struct snap *s)
{
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof *s);
}

/* Key-by-key: get_next_key from the start, then a lookup per key (keys
 * deleted in between are skipped). */
static void read_slow(const struct map_view *v, struct snap *s, bool values)
{
	size_t nkeys = 0;
	uint8_t *prev = NULL;
	uint8_t *next = malloc(v->ksz);
	while (next && snap_reserve(s, v, nkeys + 1) &&
	       mapio_next_key(v->bt, v->map, prev, next) == 0) {
		memcpy(s->keys + nkeys * v->ksz, next, v->ksz);
		prev = s->keys + nkeys * v->ksz;
		nkeys++;
	}
	free(next);
	s->n = 0;
	for (size_t i = 0; i < nkeys; i++) {
		const uint8_t *key = s->keys + i * v->ksz;
		if (values && mapio_lookup(v->bt, v->map, key, s->vals + s->n * v->vbytes) != 0)
			continue;
		if (s->n != i)
			memmove(s->keys + s->n * v->ksz, key, v->ksz);
		s->n++;
	}
}

/* Every entry (values only when asked); del: also delete them (hash maps).
 * Batch operations when the kernel allows them on this map. */
static void read_all(const struct map_view *v, struct snap *s, bool values, bool del)
{
	s->n = 0;
	if (v->bt->vm) {   /* the interpreter's maps: no batches to ask for */
		read_slow(v, s, values);
		for (size_t i = 0; del && i < s->n; i++)
			mapio_delete(v->bt, v->map, s->keys + i * v->ksz);
		return;
	}
	uint64_t token[8];   /* opaque batch position (a bucket index for hashes) */
	bool first = true;
	for (;;) {
		if (!snap_reserve(s, v, s->n + 256))
			break;
		uint32_t count = (uint32_t)(s->cap - s->n);
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		int r = (del ? bpf_map_lookup_and_delete_batch : bpf_map_lookup_batch)(
			v->fd, first ? NULL : token, token, s->keys + s->n * v->ksz,
			s->vals + s->n * v->vbytes, &count, &o);
		int err = r < 0 ? errno : 0;
		if (r < 0 && err != ENOENT) {
			if (err == ENOSPC && count == 0 && snap_reserve(s, v, s->cap * 2))
				continue;   /* a bucket bigger than our room: grow */
			if (first && s->n == 0) {   /* no batch ops here */
				read_slow(v, s, values);
				if (del)
					for (size_t i = 0; i < s->n; i++)
						mapio_delete(v->bt, v->map, s->keys + i * v->ksz);
			}
			return;
		}
		s->n += count;
		first = false;
		if (err == ENOENT)
			return;
	}
}

static uint64_t slot_u64(const uint8_t *p) { uint64_t x; memcpy(&x, p, 8); return x; }

static bool less(const struct type *t, uint64_t a, uint64_t b)
{
	return t->is_signed ? (int64_t)a < (int64_t)b : a < b;
}

/* min/max over the slots that were set (16-byte {value, set flag} slots;
 * objects from before the flag have 8-byte slots, all of which count),
 * compared signed or not as the map's value; 0 when none was set. */
static uint64_t combine_minmax(const struct type *vt, const struct map_view *v,
			       const uint8_t *vals)
{
	bool is_min = vt->kind == TY_MIN, any = false;
	uint64_t r = 0;
	for (int c = 0; c < v->nvals; c++) {
		const uint8_t *slot = vals + (size_t)c * v->vstride;
		if (v->vsz >= 16 && slot_u64(slot + 8) == 0)
			continue;
		uint64_t x = slot_u64(slot);
		if (!any || (is_min ? less(vt, x, r) : less(vt, r, x)))
			r = x;
		any = true;
	}
	return r;
}

/* Bytes of one combined value: 8 for per-CPU aggregation slots (8 bytes,
 * min/max 16), else the value as it is. */
static uint32_t combined_size(const struct type *vt, const struct map_view *v)
{
	bool minmax = vt->kind == TY_MIN || vt->kind == TY_MAX;
	return v->percpu && (v->vsz == 8 || (minmax && v->vsz == 16)) ? 8 : v->vsz;
}

/* Combine per-CPU slots into out (combined_size bytes). */
static void combine(const struct type *vt, const struct map_view *v, const uint8_t *vals,
		    uint8_t *out)
{
	if (combined_size(vt, v) != 8 || !v->percpu) {
		memcpy(out, vals, v->vsz);   /* not an aggregation slot: as is */
		return;
	}
	uint64_t r = 0;
	if (vt->kind == TY_MIN || vt->kind == TY_MAX)
		r = combine_minmax(vt, v, vals);
	else
		for (int c = 0; c < v->nvals; c++)
			r += slot_u64(vals + (size_t)c * v->vstride);
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
	out_stamp(bt);
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
	out_clock_mark(bt);
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
	struct snap s = { 0 };
	read_all(&v, &s, true, false);
	bool syms = type_needs_syms(mm->value);
	for (uint32_t k = 0; k < mm->nkeys; k++)
		syms |= type_needs_syms(mm->keys[k]);
	/* combine in place: entry i's value moves to i * osz */
	uint32_t osz = combined_size(mm->value, &v);
	uint8_t *tmp = malloc(v.vsz + 8);
	for (size_t i = 0; tmp && i < s.n; i++) {
		combine(mm->value, &v, s.vals + i * v.vbytes, tmp);
		memcpy(s.vals + i * osz, tmp, osz);
		if (syms)
			prepare_entry(bt, mm, s.keys + i * v.ksz, v.ksz, s.vals + i * osz, osz);
	}
	free(tmp);
	write_header(bt, id, top, div, s.n);
	msgpack_packer *pk = &bt->out->pk;
	for (size_t i = 0; i < s.n; i++) {
		msgpack_pack_array(pk, 2);
		mp_put_bin(pk, s.keys + i * v.ksz, v.ksz);
		mp_put_bin(pk, s.vals + i * osz, osz);
	}
	out_record_done(bt);
	snap_free(&s);
	return 0;
}

int map_clear(struct bt *bt, uint32_t id)
{
	struct map_view v;
	if (!view_of(bt, id, &v))
		return -1;
	struct snap s = { 0 };
	if (!v.array) {
		read_all(&v, &s, false, true);
	} else {   /* array slots cannot go: they are zeroed */
		read_all(&v, &s, false, false);
		uint8_t *zero = calloc(v.vbytes + 8, 1);
		for (size_t i = 0; zero && i < s.n; i++)
			mapio_update(bt, v.map, s.keys + i * v.ksz, zero, BPF_ANY);
		free(zero);
	}
	snap_free(&s);
	return 0;
}

int map_zero(struct bt *bt, uint32_t id)
{
	struct map_view v;
	if (!view_of(bt, id, &v))
		return -1;
	struct snap s = { 0 };
	read_all(&v, &s, false, false);
	if (s.n) {
		memset(s.vals, 0, s.n * v.vbytes);
		uint32_t count = (uint32_t)s.n;
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		/* arrays in one go; hash keys one by one with BPF_EXIST (batch
		 * updates take no such flag), so a key deleted meanwhile stays
		 * deleted */
		if (!v.array || bt->vm || bpf_map_update_batch(v.fd, s.keys, s.vals, &count, &o) < 0)
			for (size_t i = 0; i < s.n; i++)
				mapio_update(bt, v.map, s.keys + i * v.ksz, s.vals,
					     v.array ? BPF_ANY : BPF_EXIST);
	}
	snap_free(&s);
	return 0;
}

int maps_print_all(struct bt *bt)
{
	for (uint32_t i = 0; i < bt->meta.maps.n; i++)
		map_print(bt, i, 0, 0);
	return 0;
}
