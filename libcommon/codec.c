/* codec.c - flat-table msgpack encoding of nodes and types; see codec.h. */
#include "codec.h"
#include "meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pointer -> index map ---- */
struct ptrmap {
	const void **keys;
	uint32_t *vals;
	size_t cap, n;
};

static size_t ptr_hash(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

static void ptrmap_put(struct ptrmap *m, const void *k, uint32_t v);

static void ptrmap_grow(struct ptrmap *m)
{
	struct ptrmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 256;
	m->keys = ARENA_ARRAY(const void *, m->cap);
	m->vals = ARENA_ARRAY(uint32_t, m->cap);
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i])
			ptrmap_put(m, old.keys[i], old.vals[i]);
}

static void ptrmap_put(struct ptrmap *m, const void *k, uint32_t v)
{
	if ((m->n + 1) * 2 > m->cap)
		ptrmap_grow(m);
	size_t i = ptr_hash(k, m->cap);
	while (m->keys[i] && m->keys[i] != k)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = k;
	m->vals[i] = v;
}

static bool ptrmap_get(const struct ptrmap *m, const void *k, uint32_t *v)
{
	if (!m->cap)
		return false;
	size_t i = ptr_hash(k, m->cap);
	while (m->keys[i]) {
		if (m->keys[i] == k) {
			*v = m->vals[i];
			return true;
		}
		i = (i + 1) & (m->cap - 1);
	}
	return false;
}

/* ---- encoder ----
 *
 * Nodes are numbered in post-order by enc_node and written by
 * enc_write_tables in a second walk of the same roots in the same order
 * (a table of the nodes was 8 bytes a node, 16 MiB for 100,000 probe
 * blocks).  A node keeps its number in n->enc_index, as base + index + 1:
 * enc_floor is the largest enc_index given so far (by the decoder or an
 * encoder) to nodes that may still exist, and an encoder numbers its nodes
 * above it, so a number from before is never taken for one of its own.
 * Nodes live in the arena: enc_floor starts again with each generation. */
struct codec_enc {
	struct ptrmap type_idx;
	VEC(struct type *) types;
	uint32_t base, nnodes;         /* its nodes: enc_index in base + 1 .. base + nnodes */
	VEC(struct node *) roots;      /* enc_node's new nodes, in order */
};

static uint32_t enc_floor;
static unsigned enc_floor_generation;

static uint32_t *floor_now(void)
{
	if (enc_floor_generation != arena_generation()) {
		enc_floor = 0;
		enc_floor_generation = arena_generation();
	}
	return &enc_floor;
}

static void floor_raise(uint32_t to)
{
	uint32_t *f = floor_now();
	if (to > *f)
		*f = to;
}

struct codec_enc *enc_new(void)
{
	return ARENA_NEW(struct codec_enc);
}

static uint32_t enc_type_inner(struct codec_enc *e, struct type *t, bool stub);

static uint32_t add_type(struct codec_enc *e, struct type *t)
{
	uint32_t idx = (uint32_t)e->types.n;
	VEC_PUSH(&e->types, t);
	return idx;
}

static uint32_t enc_type_inner(struct codec_enc *e, struct type *t, bool stub)
{
	uint32_t idx;
	if (stub && t->kind == TY_RECORD) {
		/* name-only record, reached through a pointer */
		struct type *s = type_record(t->name ? t->name : "");
		s->size = t->size;
		s->incomplete = true;
		s->btf = t->btf;
		const void *key = (const char *)t + 1; /* distinct key for the stub */
		if (ptrmap_get(&e->type_idx, key, &idx))
			return idx;
		idx = add_type(e, s);
		ptrmap_put(&e->type_idx, key, idx);
		return idx;
	}
	if (ptrmap_get(&e->type_idx, t, &idx))
		return idx;
	if (t->elem)
		enc_type_inner(e, t->elem, t->kind == TY_PTR);
	for (uint32_t i = 0; i < t->nfields; i++)
		if (t->fields[i].type)
			enc_type_inner(e, t->fields[i].type, false);
	idx = add_type(e, t);
	ptrmap_put(&e->type_idx, t, idx);
	return idx;
}

uint32_t enc_type(struct codec_enc *e, struct type *t)
{
	if (!t)
		t = type_none();
	return enc_type_inner(e, t, false);
}

static bool node_known(const struct codec_enc *e, const struct node *n, uint32_t *idx)
{
	if (n->enc_index > e->base && n->enc_index - e->base <= e->nnodes) {
		*idx = n->enc_index - e->base - 1;
		return true;
	}
	return false;
}

static uint32_t enc_walk(struct codec_enc *e, struct node *n)
{
	uint32_t idx;
	if (node_known(e, n, &idx))
		return idx;
	/* Children first (post-order).  Iterative for long statement lists
	 * is unnecessary: depth is bounded by the parser's nesting limit. */
	for (int i = 0; i < 3; i++)
		if (node_kid(n, i))
			enc_walk(e, node_kid(n, i));
	for (int i = 0; i < 3; i++) {
		const nodevec *l = node_list(n, i);
		for (size_t j = 0; j < l->n; j++)
			enc_walk(e, l->v[j]);
	}
	if (n->type) enc_type(e, n->type);
	if ((node_slots[n->kind] & S_TYARG) && n->ty_arg) enc_type(e, n->ty_arg);
	uint32_t *floor = floor_now();
	if (!e->nnodes)
		e->base = *floor;
	if (*floor != e->base + e->nnodes || e->base + e->nnodes == UINT32_MAX) {
		fprintf(stderr, "ERROR: internal error: two trees encoded at once\n");
		exit(1);
	}
	idx = e->nnodes++;
	n->enc_index = ++*floor;
	return idx;
}

uint32_t enc_node(struct codec_enc *e, struct node *n)
{
	uint32_t idx;
	if (node_known(e, n, &idx))
		return idx;
	idx = enc_walk(e, n);
	VEC_PUSH(&e->roots, n);
	return idx;
}

static uint32_t type_ref(struct codec_enc *e, struct type *t, bool stub)
{
	return enc_type_inner(e, t, stub);
}

static void write_type(struct codec_enc *e, msgpack_packer *pk, struct type *t)
{
	int n = 2;
	n += t->bits != 0;
	n += t->is_signed;
	n += t->as != 0;
	n += t->ctx;
	n += t->is_tparg;
	n += t->is_funcarg;
	n += (t->kind == TY_KSTACK || t->kind == TY_USTACK) ? 2 : 0;
	n += t->ts_mode != 0;
	n += t->elem != NULL;
	n += t->count != 0;
	n += t->name != NULL;
	n += t->nfields != 0;
	n += t->align != 0;
	n += t->incomplete;
	n += t->btf;
	msgpack_pack_map(pk, (size_t)n);
	mp_kv_str(pk, "k", type_kind_name(t->kind));
	mp_kv_uint(pk, "sz", t->size);
	if (t->bits) mp_kv_uint(pk, "bits", t->bits);
	if (t->is_signed) mp_kv_bool(pk, "signed", true);
	if (t->as) mp_kv_uint(pk, "as", t->as);
	if (t->ctx) mp_kv_bool(pk, "ctx", true);
	if (t->is_tparg) mp_kv_bool(pk, "tparg", true);
	if (t->is_funcarg) mp_kv_bool(pk, "funcarg", true);
	if (t->kind == TY_KSTACK || t->kind == TY_USTACK) {
		mp_kv_uint(pk, "smode", t->stack_mode);
		mp_kv_uint(pk, "slimit", t->stack_limit);
	}
	if (t->ts_mode) mp_kv_uint(pk, "tsmode", t->ts_mode);
	if (t->elem) mp_kv_uint(pk, "elem", type_ref(e, t->elem, t->kind == TY_PTR));
	if (t->count) mp_kv_uint(pk, "count", t->count);
	if (t->name) mp_kv_str(pk, "name", t->name);
	if (t->nfields) {
		mp_key(pk, "fields");
		msgpack_pack_array(pk, t->nfields);
		for (uint32_t i = 0; i < t->nfields; i++) {
			struct field *f = &t->fields[i];
			msgpack_pack_array(pk, 5);
			mp_put_str(pk, f->name);
			msgpack_pack_uint32(pk, f->offset);
			msgpack_pack_uint32(pk, type_ref(e, f->type ? f->type : type_none(), false));
			msgpack_pack_uint16(pk, f->bit_offset);
			msgpack_pack_uint16(pk, f->bit_width);
		}
	}
	if (t->align) mp_kv_uint(pk, "align", t->align);
	if (t->incomplete) mp_kv_bool(pk, "incomplete", true);
	if (t->btf) mp_kv_bool(pk, "btf", true);
}

void enc_attach_point(msgpack_packer *pk, const struct attach_point *ap)
{
	bool usdt = ap->usdt_args != NULL || ap->usdt_offset;
	msgpack_pack_map(pk, usdt ? 20 : 16);
	mp_kv_str(pk, "provider", probe_type_name(ap->provider));
	mp_kv_str(pk, "raw", ap->raw);
	mp_kv_str(pk, "target", ap->target);
	mp_kv_str(pk, "lang", ap->lang);
	mp_kv_str(pk, "ns", ap->ns);
	mp_kv_str(pk, "func", ap->func);
	mp_kv_str(pk, "pin", ap->pin);
	mp_kv_str(pk, "mode", ap->mode);
	mp_kv_uint(pk, "freq", ap->freq);
	mp_kv_uint(pk, "len", ap->len);
	mp_kv_uint(pk, "address", ap->address);
	mp_kv_uint(pk, "func_offset", ap->func_offset);
	mp_kv_int(pk, "arg_num", ap->arg_num);
	mp_kv_bool(pk, "need_expansion", ap->need_expansion);
	mp_kv_bool(pk, "ignore_invalid", ap->ignore_invalid);
	mp_kv_bool(pk, "async", ap->async);
	if (usdt) {
		mp_kv_uint(pk, "usdt_offset", ap->usdt_offset);
		mp_kv_uint(pk, "usdt_sema", ap->usdt_sema);
		mp_kv_str(pk, "usdt_args", ap->usdt_args);
		mp_kv_int(pk, "usdt_loc", ap->usdt_loc);
	}
}

static void write_refs(struct codec_enc *e, msgpack_packer *pk, const char *key,
		       const nodevec *v)
{
	mp_key(pk, key);
	msgpack_pack_array(pk, v->n);
	for (size_t i = 0; i < v->n; i++)
		msgpack_pack_uint32(pk, enc_node(e, v->v[i]));
}

static void write_node(struct codec_enc *e, msgpack_packer *pk, struct node *n)
{
	unsigned slots = node_slots[n->kind];
	int64_t num = slots & S_NUM ? n->num : 0;
	const char *str = slots & S_STR ? n->str : NULL;
	struct node *a = node_kid(n, 0), *b = node_kid(n, 1), *c = node_kid(n, 2);
	const nodevec *args = node_list(n, 0), *body = node_list(n, 1), *orelse = node_list(n, 2);
	struct type *ty_arg = slots & S_TYARG ? n->ty_arg : NULL;
	struct attach_point *ap = slots & S_AP ? n->ap : NULL;
	int32_t id2 = slots & S_ID2 ? n->id2 : 0;
	int cnt = 2;
	cnt += n->op != OP_NONE;
	cnt += n->flags != 0;
	cnt += num != 0;
	cnt += str != NULL;
	cnt += (a != NULL) + (b != NULL) + (c != NULL);
	cnt += (args->n != 0) + (body->n != 0) + (orelse->n != 0);
	cnt += (n->type != NULL) + (ty_arg != NULL) + (ap != NULL);
	cnt += (n->id != 0) + (id2 != 0);
	msgpack_pack_map(pk, (size_t)cnt);
	mp_kv_str(pk, "k", node_kind_name(n->kind));
	mp_key(pk, "loc");
	msgpack_pack_array(pk, 4);
	msgpack_pack_int(pk, n->loc.line);
	msgpack_pack_int(pk, n->loc.col);
	msgpack_pack_int(pk, n->loc.end_line);
	msgpack_pack_int(pk, n->loc.end_col);
	if (n->op != OP_NONE) mp_kv_str(pk, "op", op_str(n->op));
	if (n->flags) mp_kv_uint(pk, "flags", n->flags);
	if (num) mp_kv_int(pk, "num", num);
	if (str) mp_kv_bin(pk, "str", str, n->kind == N_STR ? n->len : strlen(str));
	if (a) mp_kv_uint(pk, "a", enc_node(e, a));
	if (b) mp_kv_uint(pk, "b", enc_node(e, b));
	if (c) mp_kv_uint(pk, "c", enc_node(e, c));
	if (args->n) write_refs(e, pk, "args", args);
	if (body->n) write_refs(e, pk, "body", body);
	if (orelse->n) write_refs(e, pk, "else", orelse);
	if (n->type) mp_kv_uint(pk, "type", enc_type(e, n->type));
	if (ty_arg) mp_kv_uint(pk, "ty_arg", enc_type(e, ty_arg));
	if (ap) {
		mp_key(pk, "ap");
		enc_attach_point(pk, ap);
	}
	if (n->id) mp_kv_int(pk, "id", n->id);
	if (id2) mp_kv_int(pk, "id2", id2);
}

/* enc_walk again: each node is written when its number comes up. */
static void write_walk(struct codec_enc *e, msgpack_packer *pk, struct node *n,
		       uint32_t *next)
{
	uint32_t idx;
	if (!node_known(e, n, &idx) || idx < *next)
		return;
	for (int i = 0; i < 3; i++)
		if (node_kid(n, i))
			write_walk(e, pk, node_kid(n, i), next);
	for (int i = 0; i < 3; i++) {
		const nodevec *l = node_list(n, i);
		for (size_t j = 0; j < l->n; j++)
			write_walk(e, pk, l->v[j], next);
	}
	write_node(e, pk, n);
	(*next)++;
}

void enc_write_tables(struct codec_enc *e, msgpack_packer *pk)
{
	/* All types are known once the nodes were added; write them first. */
	mp_key(pk, "types");
	msgpack_pack_array(pk, e->types.n);
	size_t ntypes = e->types.n;
	for (size_t i = 0; i < ntypes; i++)
		write_type(e, pk, e->types.v[i]);
	mp_key(pk, "nodes");
	msgpack_pack_array(pk, e->nnodes);
	uint32_t next = 0;
	for (size_t i = 0; i < e->roots.n; i++)
		write_walk(e, pk, e->roots.v[i], &next);
	e->roots.n = 0;
}

/* ---- decoder ----
 *
 * The tables are read straight from the stream's bytes (mpread.h), one
 * entry at a time: no object tree of the record is ever built.  Each
 * entry's references are checked as they are read (an index smaller than
 * the entry's own), and so is the size of the tree it stands for. */

static const char *tk_name(int i) { return type_kind_name((enum type_kind)i); }
static const char *nk_name(int i) { return node_kind_name((enum node_kind)i); }
static const char *op_name(int i) { return i == OP_NONE ? "\x01" : op_str((enum op)i); }
static const char *pt_name(int i) { return probe_type_name((enum probe_type)i); }

/* Whether the NUL-terminated s is the n bytes at p: the first byte first
 * (most names differ there; strlen of every candidate of every key and
 * kind was a tenth of decoding). */
static bool name_is(const char *s, const char *p, uint32_t n)
{
	if (!n)
		return !s[0];
	return s[0] == p[0] && strlen(s) == n && memcmp(s, p, n) == 0;
}

static int name_index(const char *p, uint32_t n, const char *(*name)(int), int count)
{
	for (int i = 0; i < count; i++)
		if (name_is(name(i), p, n))
			return i;
	return -1;
}

static int lookup_name(const msgpack_object *o, const char *(*name)(int), int count)
{
	if (!o || o->type != MSGPACK_OBJECT_STR)
		return -1;
	return name_index(o->via.str.ptr, o->via.str.size, name, count);
}

/* Entries may share earlier entries, so a small table can stand for a
 * huge (exponential) or very deep tree; every consumer walks trees
 * recursively (type_str, type_equal, code generation, printing), so
 * decoding bounds what a table expands to.  Real programs stay far below:
 * the parser limits nesting to 2000 and records reached by pointer are
 * name-only stubs. */
#define MAX_TYPE_DEPTH 1024
#define MAX_TYPE_EXPANDED (1u << 20)
#define MAX_NODE_DEPTH 4096
#define MAX_NODE_EXPANDED (1u << 22)

struct extent {
	uint32_t depth;   /* longest chain of references below, plus one */
	uint32_t size;    /* entries in the fully expanded tree (saturated) */
};

static void extent_add(struct extent *x, const struct extent *child, uint32_t cap)
{
	if (child->depth + 1 > x->depth)
		x->depth = child->depth + 1;
	uint64_t s = (uint64_t)x->size + child->size;
	x->size = s > cap ? cap + 1 : (uint32_t)s;
}

/* One table being read: its entries so far (malloc'd, grown as entries
 * arrive: the count in the data is not trusted) and their extents. */
struct table {
	void **v;
	struct extent *ext;
	uint32_t n, cap;
};

static bool table_push(struct table *t, void *entry, struct extent x)
{
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 256;
		void **v = realloc(t->v, cap * sizeof *v);
		struct extent *e = v ? realloc(t->ext, cap * sizeof *e) : NULL;
		if (!v || !e) {
			free(v ? v : t->v);
			fprintf(stderr, "ERROR: out of memory decoding a table\n");
			exit(1);
		}
		t->v = v;
		t->ext = e;
		t->cap = cap;
	}
	t->v[t->n] = entry;
	t->ext[t->n++] = x;
	return true;
}

static void table_free(struct table *t)
{
	free(t->v);
	free(t->ext);
	*t = (struct table){ 0 };
}

/* The decoding state of one record. */
struct rd {
	struct codec_dec *d;
	struct mpr *r;
	struct mp_err *err;
	struct table types, nodes;
	VEC(struct node *) scratch;   /* a node list being read */
	struct ptrmap leaf_types;     /* interned childless types, by hash */
};

/* Skip what follows an item already read (the elements of a container). */
static bool skip_inside(struct mpr *r, const struct mpv *v)
{
	uint64_t n = v->type == MPV_ARRAY ? v->count
		   : v->type == MPV_MAP ? 2 * (uint64_t)v->count : 0;
	for (uint64_t i = 0; i < n; i++)
		if (!mpr_skip(r))
			return false;
	return true;
}

static bool rd_ok(struct rd *x)
{
	return !x->r->failed && !x->err->set;
}

/* Value readers with mp.h's accessors' rules (nil is zero/false/NULL). */
static int64_t rd_int(struct rd *x, const char *what)
{
	struct mpv v;
	if (!mpr_next(x->r, &v))
		return 0;
	if (v.type == MPV_UINT)
		return (int64_t)v.u;
	if (v.type == MPV_INT)
		return v.i;
	if (v.type != MPV_NIL) {
		skip_inside(x->r, &v);
		mp_fail(x->err, "field '%s' is not an integer", what);
	}
	return 0;
}

static bool rd_bool(struct rd *x, const char *what)
{
	struct mpv v;
	if (!mpr_next(x->r, &v))
		return false;
	if (v.type == MPV_BOOL)
		return v.b;
	if (v.type == MPV_UINT)
		return v.u != 0;
	if (v.type != MPV_NIL) {
		skip_inside(x->r, &v);
		mp_fail(x->err, "field '%s' is not a boolean", what);
	}
	return false;
}

static char *rd_str(struct rd *x, const char *what, uint32_t *len)
{
	struct mpv v;
	if (len)
		*len = 0;
	if (!mpr_next(x->r, &v))
		return NULL;
	if (v.type == MPV_STR || v.type == MPV_BIN) {
		if (len)
			*len = v.s.n;
		return (char *)arena_intern(v.s.p, v.s.n);   /* names repeat */
	}
	if (v.type != MPV_NIL) {
		skip_inside(x->r, &v);
		mp_fail(x->err, "field '%s' is not a string", what);
	}
	return NULL;
}

/* A kind/operator/provider name: its index, -1 unknown, -2 absent (nil). */
static int rd_name(struct rd *x, const char *(*name)(int), int count)
{
	struct mpv v;
	if (!mpr_next(x->r, &v))
		return -1;
	if (v.type == MPV_STR)
		return name_index(v.s.p, v.s.n, name, count);
	skip_inside(x->r, &v);
	return v.type == MPV_NIL ? -2 : -1;
}

/* An array header (nil: 0 elements); false (and skipped) otherwise. */
static bool rd_array(struct rd *x, const char *what, uint32_t *n)
{
	struct mpv v;
	*n = 0;
	if (!mpr_next(x->r, &v))
		return false;
	if (v.type == MPV_ARRAY) {
		*n = v.count;
		return true;
	}
	if (v.type == MPV_NIL)
		return true;
	skip_inside(x->r, &v);
	mp_fail(x->err, "field '%s' is not an array", what);
	return false;
}

/* A reference to an earlier entry: its index, or -1 for nil / an error
 * (set).  limit: the entries it may refer to. */
static int64_t rd_ref(struct rd *x, uint32_t limit, const char *what)
{
	struct mpv v;
	if (!mpr_next(x->r, &v))
		return -1;
	if (v.type == MPV_NIL)
		return -1;
	if (v.type != MPV_UINT && v.type != MPV_INT) {
		skip_inside(x->r, &v);
		mp_fail(x->err, "field '%s' is not an integer", what);
		return -1;
	}
	uint64_t i = v.type == MPV_UINT ? v.u : (uint64_t)v.i;
	if (i >= limit) {
		mp_fail(x->err, "bad %s reference %llu", what, (unsigned long long)i);
		return -1;
	}
	return (int64_t)i;
}

/* A map key, read and compared at once (its bytes do not outlive the
 * next read): the index in keys, -1 for any other key (skipped whole). */
static int rd_key(struct rd *x, const char *const *keys, int nkeys)
{
	struct mpv v;
	if (!mpr_next(x->r, &v))
		return -1;
	if (v.type == MPV_STR)
		for (int i = 0; i < nkeys; i++)
			if (name_is(keys[i], v.s.p, v.s.n))
				return i;
	skip_inside(x->r, &v);
	return -1;
}

static struct type *type_ref_at(struct rd *x, int64_t i, struct extent *ext)
{
	if (i < 0)
		return NULL;
	extent_add(ext, &x->types.ext[i], MAX_TYPE_EXPANDED);
	return x->types.v[i];
}

/* Childless types are shared: bt-check writes one type per expression
 * and most are the same int64.  Types are immutable once decoded. */
static struct type *shared_type(struct rd *x, const struct type *t)
{
	bool leaf = !t->elem && !t->nfields && !t->name;
	if (!leaf) {
		struct type *n = ARENA_NEW(struct type);
		*n = *t;
		return n;
	}
	/* open addressing over the hash; the pointer map holds hash -> type */
	uint64_t h = type_leaf_hash(t) | 1;
	for (uint64_t k = h;; k += 2) {
		uint32_t at;
		if (!ptrmap_get(&x->leaf_types, (const void *)(uintptr_t)k, &at))
			break;
		struct type *c = x->types.v[at];
		if (type_leaf_equal(c, t))
			return c;
	}
	struct type *n = ARENA_NEW(struct type);
	*n = *t;
	for (uint64_t k = h;; k += 2) {
		uint32_t at;
		if (!ptrmap_get(&x->leaf_types, (const void *)(uintptr_t)k, &at)) {
			ptrmap_put(&x->leaf_types, (const void *)(uintptr_t)k, x->types.n);
			break;
		}
	}
	return n;
}

enum { TK_K, TK_SZ, TK_BITS, TK_SIGNED, TK_AS, TK_CTX, TK_TPARG, TK_FUNCARG,
       TK_SMODE, TK_SLIMIT, TK_TSMODE, TK_ELEM, TK_COUNT, TK_NAME, TK_FIELDS,
       TK_ALIGN, TK_INCOMPLETE, TK_BTF, TK__N };
static const char *const type_keys[TK__N] = {
	"k", "sz", "bits", "signed", "as", "ctx", "tparg", "funcarg", "smode",
	"slimit", "tsmode", "elem", "count", "name", "fields", "align", "incomplete",
	"btf",
};

static bool rd_fields(struct rd *x, uint32_t idx, struct type *t, struct extent *ext)
{
	uint32_t nf;
	if (!rd_array(x, "fields", &nf))
		return false;
	VEC(struct field) fl = { 0 };
	for (uint32_t i = 0; i < nf && rd_ok(x); i++) {
		struct mpv a;
		if (!mpr_next(x->r, &a))
			return false;
		if (a.type != MPV_ARRAY || a.count != 5) {
			skip_inside(x->r, &a);
			mp_fail(x->err, "bad field in type %u", idx);
			return false;
		}
		struct field f = { 0 };
		f.name = rd_str(x, "field name", NULL);
		f.offset = (uint32_t)rd_int(x, "field offset");
		f.type = type_ref_at(x, rd_ref(x, idx, "type"), ext);
		f.bit_offset = (uint16_t)rd_int(x, "bit offset");
		f.bit_width = (uint16_t)rd_int(x, "bit width");
		if (!f.type && rd_ok(x))
			mp_fail(x->err, "field without type in type %u", idx);
		VEC_PUSH(&fl, f);
	}
	t->nfields = (uint32_t)fl.n;
	t->fields = fl.n ? fl.v : NULL;
	return rd_ok(x);
}

static bool rd_type_entry(struct rd *x, uint32_t idx)
{
	struct type t = { 0 };
	struct extent ext = { 1, 1 };
	struct mpv v;
	int kind = -1;
	if (!mpr_next(x->r, &v))
		return false;
	uint32_t npairs = v.type == MPV_MAP ? v.count : 0;
	if (v.type != MPV_MAP)
		skip_inside(x->r, &v);
	for (uint32_t i = 0; i < npairs && rd_ok(x); i++) {
		switch (rd_key(x, type_keys, TK__N)) {
		case TK_K: kind = rd_name(x, tk_name, TY__COUNT); break;
		case TK_SZ: t.size = (uint32_t)rd_int(x, "sz"); break;
		case TK_BITS: t.bits = (uint8_t)rd_int(x, "bits"); break;
		case TK_SIGNED: t.is_signed = rd_bool(x, "signed"); break;
		case TK_AS: t.as = (uint8_t)rd_int(x, "as"); break;
		case TK_CTX: t.ctx = rd_bool(x, "ctx"); break;
		case TK_TPARG: t.is_tparg = rd_bool(x, "tparg"); break;
		case TK_FUNCARG: t.is_funcarg = rd_bool(x, "funcarg"); break;
		case TK_SMODE: t.stack_mode = (uint8_t)rd_int(x, "smode"); break;
		case TK_SLIMIT: t.stack_limit = (uint16_t)rd_int(x, "slimit"); break;
		case TK_TSMODE: t.ts_mode = (uint8_t)rd_int(x, "tsmode"); break;
		case TK_ELEM: t.elem = type_ref_at(x, rd_ref(x, idx, "type"), &ext); break;
		case TK_COUNT: t.count = (uint32_t)rd_int(x, "count"); break;
		case TK_NAME: t.name = rd_str(x, "name", NULL); break;
		case TK_FIELDS: rd_fields(x, idx, &t, &ext); break;
		case TK_ALIGN: t.align = (uint32_t)rd_int(x, "align"); break;
		case TK_INCOMPLETE: t.incomplete = rd_bool(x, "incomplete"); break;
		case TK_BTF: t.btf = rd_bool(x, "btf"); break;
		default: mpr_skip(x->r); break;
		}
	}
	if (!rd_ok(x))
		return false;
	if (kind < 0) {
		mp_fail(x->err, "unknown type kind in type %u", idx);
		return false;
	}
	t.kind = (enum type_kind)kind;
	if ((t.kind == TY_PTR || t.kind == TY_ARRAY) && !t.elem) {
		mp_fail(x->err, "type %u has no element type", idx);
		return false;
	}
	if (ext.depth > MAX_TYPE_DEPTH) {
		mp_fail(x->err, "type %u is nested too deeply (more than %u levels)", idx,
			MAX_TYPE_DEPTH);
		return false;
	}
	if (ext.size > MAX_TYPE_EXPANDED) {
		mp_fail(x->err, "type %u is too large (more than %u parts once expanded)", idx,
			MAX_TYPE_EXPANDED);
		return false;
	}
	return table_push(&x->types, shared_type(x, &t), ext);
}

/* An attach point's string: shared when short (arena_intern), as the
 * same names and the node's raw text come back in every block. */
static const char *ap_str(struct mp_err *err, const msgpack_object *map, const char *key)
{
	const msgpack_object *o = mp_get(map, key);
	if (o && o->type == MSGPACK_OBJECT_STR)
		return arena_intern(o->via.str.ptr, o->via.str.size);
	return mp_str(err, o, key, NULL);
}

/* Decoded attach points are shared by content: a program names each of
 * its attach points twice (the probe's metadata and the attach_point
 * node), 144 bytes each. */
static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return (h ^ (s ? 0xff : 0)) * 0x100000001b3ULL;
}

static size_t ap_hash(const void *item)
{
	const struct attach_point *a = item;
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)a->provider;
	const char *strs[] = { a->raw, a->target, a->lang, a->ns, a->func, a->pin, a->mode,
			       a->usdt_args };
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		h = hash_str(h, strs[i]);
	uint64_t nums[] = { a->freq, a->len, a->address, a->func_offset, a->usdt_offset,
			    a->usdt_sema, (uint64_t)a->arg_num, (uint64_t)a->usdt_loc };
	for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
		h = (h ^ nums[i]) * 0x100000001b3ULL;
	return (size_t)h;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool ap_same(const void *item, const void *key)
{
	const struct attach_point *a = item, *b = key;
	return a->provider == b->provider && str_same(a->raw, b->raw) &&
	       str_same(a->target, b->target) && str_same(a->lang, b->lang) &&
	       str_same(a->ns, b->ns) && str_same(a->func, b->func) && str_same(a->pin, b->pin) &&
	       str_same(a->mode, b->mode) && str_same(a->usdt_args, b->usdt_args) &&
	       a->freq == b->freq && a->len == b->len && a->address == b->address &&
	       a->func_offset == b->func_offset && a->arg_num == b->arg_num &&
	       a->usdt_offset == b->usdt_offset && a->usdt_sema == b->usdt_sema &&
	       a->usdt_loc == b->usdt_loc && a->need_expansion == b->need_expansion &&
	       a->ignore_invalid == b->ignore_invalid && a->async == b->async;
}

static struct attach_point *ap_share(const struct attach_point *ap)
{
	static struct arena_set shared = { .hash = ap_hash };
	void **slot = arena_set_find(&shared, ap_hash(ap), ap, ap_same);
	if (!*slot) {
		*slot = arena_memdup(ap, sizeof *ap);
		shared.n++;
	}
	return *slot;
}

struct attach_point *dec_attach_point(struct mp_err *err, const msgpack_object *o)
{
	if (!o || o->type != MSGPACK_OBJECT_MAP) {
		mp_fail(err, "bad attach point");
		return NULL;
	}
	struct attach_point decoded = { 0 }, *ap = &decoded;
	int p = lookup_name(mp_get(o, "provider"), pt_name, PT__COUNT);
	ap->provider = p < 0 ? PT_INVALID : (enum probe_type)p;
	ap->raw = ap_str(err, o, "raw");
	ap->target = ap_str(err, o, "target");
	ap->lang = ap_str(err, o, "lang");
	ap->ns = ap_str(err, o, "ns");
	ap->func = ap_str(err, o, "func");
	ap->pin = ap_str(err, o, "pin");
	ap->mode = ap_str(err, o, "mode");
	ap->freq = mp_get_uint(err, o, "freq");
	ap->len = mp_get_uint(err, o, "len");
	ap->address = mp_get_uint(err, o, "address");
	ap->func_offset = mp_get_uint(err, o, "func_offset");
	ap->arg_num = (int)mp_get_int(err, o, "arg_num");
	ap->need_expansion = mp_get_bool(err, o, "need_expansion");
	ap->ignore_invalid = mp_get_bool(err, o, "ignore_invalid");
	ap->async = mp_get_bool(err, o, "async");
	ap->usdt_offset = mp_get_uint(err, o, "usdt_offset");
	ap->usdt_sema = mp_get_uint(err, o, "usdt_sema");
	ap->usdt_args = ap_str(err, o, "usdt_args");
	ap->usdt_loc = (int)mp_get_int(err, o, "usdt_loc");
	return ap_share(ap);
}

/* Shape rules, so that every consumer can trust a decoded tree: which
 * slots each kind must have. */
enum { R_A = 1, R_B = 2, R_C = 4, R_STR = 8, R_AP = 16, R_TYARG = 32 };
static const unsigned char required[N__COUNT] = {
	[N_STR] = R_STR, [N_STACK_MODE] = R_STR, [N_IDENT] = R_STR,
	[N_BUILTIN] = R_STR, [N_CALL] = R_STR, [N_MAP] = R_STR, [N_VAR] = R_STR,
	[N_BINOP] = R_A | R_B, [N_UNOP] = R_A, [N_TERNARY] = R_A | R_B | R_C,
	[N_FIELD] = R_A, [N_INDEX] = R_A | R_B, [N_CAST] = R_A | R_TYARG,
	[N_EXPR_STMT] = R_A, [N_ASSIGN_MAP] = R_A | R_B, [N_ASSIGN_VAR] = R_A | R_B,
	[N_ASSIGN_CONFIG] = R_B | R_STR, [N_IF] = R_C, [N_UNROLL] = R_A,
	[N_WHILE] = R_C, [N_PREDICATE] = R_A, [N_ATTACH_POINT] = R_AP,
	[N_OFFSETOF] = R_STR,
};

static bool is_expr(const struct node *n)
{
	return n->kind <= N_TUPLE;
}

static bool is_stmt(const struct node *n)
{
	return n->kind >= N_EXPR_STMT && n->kind <= N_JUMP;
}

static bool all_of(const nodevec *v, bool (*pred)(const struct node *))
{
	for (size_t i = 0; i < v->n; i++)
		if (!pred(v->v[i]))
			return false;
	return true;
}

static bool is_ap(const struct node *n) { return n->kind == N_ATTACH_POINT; }
static bool is_probe(const struct node *n) { return n->kind == N_PROBE; }

static bool shape_ok(const struct node *n)
{
	unsigned r = required[n->kind];
	if (((r & R_A) && !n->a) || ((r & R_B) && !n->b) || ((r & R_C) && !n->c) ||
	    ((r & R_STR) && !n->str) || ((r & R_AP) && !n->ap) ||
	    ((r & R_TYARG) && !n->ty_arg))
		return false;
	switch (n->kind) {
	case N_PROGRAM:
		return all_of(&n->args, is_probe) && (!n->c || n->c->kind == N_CONFIG);
	case N_PROBE:
		return all_of(&n->args, is_ap) && all_of(&n->body, is_stmt) &&
		       (!n->c || n->c->kind == N_PREDICATE);
	case N_IF: case N_WHILE: case N_UNROLL: case N_CONFIG:
		return all_of(node_list(n, 1), is_stmt) && all_of(node_list(n, 2), is_stmt) &&
		       (!node_kid(n, 2) || is_expr(n->c)) && (!node_kid(n, 0) || is_expr(n->a));
	case N_ASSIGN_MAP:
		return n->a->kind == N_MAP && is_expr(n->b);
	case N_ASSIGN_VAR:
		return n->a->kind == N_VAR && is_expr(n->b);
	case N_EXPR_STMT: case N_PREDICATE:
		return is_expr(n->a);
	case N_CALL: case N_MAP: case N_TUPLE:
		return all_of(&n->args, is_expr);
	default:
		for (int i = 0; i < 3 && is_expr(n); i++)
			if (node_kid(n, i) && !is_expr(node_kid(n, i)))
				return false;
		return true;
	}
}

enum { NK_K, NK_LOC, NK_OP, NK_FLAGS, NK_NUM, NK_STR, NK_A, NK_B, NK_C,
       NK_ARGS, NK_BODY, NK_ELSE, NK_TYPE, NK_TYARG, NK_AP, NK_ID, NK_ID2, NK__N };
static const char *const node_keys[NK__N] = {
	"k", "loc", "op", "flags", "num", "str", "a", "b", "c", "args", "body",
	"else", "type", "ty_arg", "ap", "id", "id2",
};

static struct node *node_ref_at(struct rd *x, int64_t i, struct extent *ext)
{
	if (i < 0)
		return NULL;
	extent_add(ext, &x->nodes.ext[i], MAX_NODE_EXPANDED);
	return x->nodes.v[i];
}

static void rd_refs(struct rd *x, nodevec *out, uint32_t idx, struct extent *ext)
{
	uint32_t n;
	if (!rd_array(x, "node list", &n))
		return;
	x->scratch.n = 0;
	for (uint32_t i = 0; i < n && rd_ok(x); i++) {
		struct node *c = node_ref_at(x, rd_ref(x, idx, "node"), ext);
		if (c) {
			if (x->scratch.n == x->scratch.cap) {
				size_t cap = x->scratch.cap ? x->scratch.cap * 2 : 64;
				struct node **v = realloc(x->scratch.v, cap * sizeof *v);
				if (!v) {
					fprintf(stderr, "ERROR: out of memory decoding a table\n");
					exit(1);
				}
				x->scratch.v = v;
				x->scratch.cap = cap;
			}
			x->scratch.v[x->scratch.n++] = c;
		}
	}
	out->n = out->cap = x->scratch.n;
	out->v = x->scratch.n ? arena_memdup(x->scratch.v, x->scratch.n * sizeof *out->v) : NULL;
}

static void rd_loc(struct rd *x, struct loc *loc)
{
	uint32_t n;
	if (!rd_array(x, "loc", &n))
		return;
	int v[4] = { 0 };
	for (uint32_t i = 0; i < n && rd_ok(x); i++) {
		int64_t e = rd_int(x, "loc");
		if (i < 4)
			v[i] = (int)e;
	}
	if (n == 4)
		*loc = (struct loc){ v[0], v[1], v[2], v[3] };
}

/* A node entry as read: every slot apart, since the kind that says which
 * slots the node has may come last. */
struct entry {
	int64_t flags, num, id, id2;
	const char *str;
	uint32_t len;
	struct loc loc;
	struct node *kid[3];
	nodevec list[3];
	struct type *type, *ty_arg;
	struct attach_point *ap;
};

static unsigned entry_slots(const struct entry *w)
{
	static const uint16_t kid[3] = { S_A, S_B, S_C }, list[3] = { S_ARGS, S_BODY, S_ELSE };
	unsigned s = 0;
	for (int i = 0; i < 3; i++)
		s |= (w->kid[i] ? kid[i] : 0) | (w->list[i].n ? list[i] : 0);
	s |= w->str ? S_STR : 0;
	s |= w->num ? S_NUM : 0;
	s |= w->ty_arg ? S_TYARG : 0;
	s |= w->ap ? S_AP : 0;
	s |= w->id2 ? S_ID2 : 0;
	return s;
}

static bool rd_node_entry(struct rd *x, uint32_t idx)
{
	struct entry w = { 0 };
	struct extent ext = { 1, 1 };
	struct mpv v;
	int kind = -1, op = -2;
	if (!mpr_next(x->r, &v))
		return false;
	uint32_t npairs = v.type == MPV_MAP ? v.count : 0;
	if (v.type != MPV_MAP)
		skip_inside(x->r, &v);
	uint32_t ntypes = x->d->ntypes;
	for (uint32_t i = 0; i < npairs && rd_ok(x); i++) {
		int key = rd_key(x, node_keys, NK__N);
		switch (key) {
		case NK_K: kind = rd_name(x, nk_name, N__COUNT); break;
		case NK_LOC: rd_loc(x, &w.loc); break;
		case NK_OP: op = rd_name(x, op_name, OP__COUNT); break;
		case NK_FLAGS: w.flags = rd_int(x, "flags"); break;
		case NK_NUM: w.num = rd_int(x, "num"); break;
		case NK_STR: w.str = rd_str(x, "str", &w.len); break;
		case NK_A: case NK_B: case NK_C:
			w.kid[key - NK_A] = node_ref_at(x, rd_ref(x, idx, "node"), &ext);
			break;
		case NK_ARGS: case NK_BODY: case NK_ELSE:
			rd_refs(x, &w.list[key - NK_ARGS], idx, &ext);
			break;
		case NK_TYPE: {
			int64_t t = rd_ref(x, ntypes, "type");
			w.type = t < 0 ? NULL : x->types.v[t];
			break;
		}
		case NK_TYARG: {
			int64_t t = rd_ref(x, ntypes, "type");
			w.ty_arg = t < 0 ? NULL : x->types.v[t];
			break;
		}
		case NK_AP: {
			const msgpack_object *o = mpr_object(x->r, false);
			if (o)
				w.ap = dec_attach_point(x->err, o);
			break;
		}
		case NK_ID: w.id = (int32_t)rd_int(x, "id"); break;
		case NK_ID2: w.id2 = (int32_t)rd_int(x, "id2"); break;
		default: mpr_skip(x->r); break;
		}
	}
	if (!rd_ok(x))
		return false;
	if (kind < 0) {
		mp_fail(x->err, "unknown node kind in node %u", idx);
		return false;
	}
	/* "-" is both OP_SUB and OP_NEG: the node kind decides */
	if (op == OP_SUB && kind == N_UNOP)
		op = OP_NEG;
	if (op == -1) {
		mp_fail(x->err, "unknown operator in node %u", idx);
		return false;
	}
	/* a slot its kind has not, or a flag no stream carries: the node
	 * could not hold it */
	if ((entry_slots(&w) & ~node_slots[kind]) || (w.flags & ~(int64_t)NF__STREAM)) {
		mp_fail(x->err, "malformed %s node (index %u)", node_kind_name((enum node_kind)kind),
			idx);
		return false;
	}
	struct node *n = node_alloc();
	n->kind = (uint8_t)kind;
	if (op >= 0)
		n->op = (uint8_t)op;
	n->flags = (uint16_t)w.flags;
	n->id = (int32_t)w.id;
	n->loc = w.loc;
	n->type = w.type;
	n->len = w.len;
	unsigned slots = node_slots[kind];
	if (slots & S_A) n->a = w.kid[0];
	if (slots & S_B) n->b = w.kid[1];
	if (slots & S_C) n->c = w.kid[2];
	if (slots & S_ARGS) n->args = w.list[0];
	if (slots & S_BODY) n->body = w.list[1];
	if (slots & S_ELSE) n->orelse = w.list[2];
	if (slots & S_STR) n->str = w.str;
	if (slots & S_NUM) n->num = w.num;
	if (slots & S_TYARG) n->ty_arg = w.ty_arg;
	if (slots & S_AP) n->ap = w.ap;
	if (slots & S_ID2) n->id2 = (int32_t)w.id2;
	if (!shape_ok(n)) {
		mp_fail(x->err, "malformed %s node (index %u)", node_kind_name(n->kind), idx);
		return false;
	}
	if (ext.depth > MAX_NODE_DEPTH) {
		mp_fail(x->err, "tree nested too deeply (node %u: more than %u levels)", idx,
			MAX_NODE_DEPTH);
		return false;
	}
	if (ext.size > MAX_NODE_EXPANDED) {
		mp_fail(x->err, "tree too large (node %u: more than %u nodes once expanded)",
			idx, MAX_NODE_EXPANDED);
		return false;
	}
	n->enc_index = idx + 1;   /* its entry (bt-check's validate.c) */
	floor_raise(idx + 1);
	return table_push(&x->nodes, n, ext);
}

/* Read a "types" or "nodes" table into d. */
static bool rd_table(struct rd *x, bool nodes)
{
	uint32_t n;
	if (!rd_array(x, nodes ? "nodes" : "types", &n))
		return false;
	struct table *t = nodes ? &x->nodes : &x->types;
	t->n = 0;
	x->leaf_types = (struct ptrmap){ 0 };
	for (uint32_t i = 0; i < n; i++)
		if (!(nodes ? rd_node_entry(x, i) : rd_type_entry(x, i)))
			return false;
	void **v;
	if (nodes && x->d->drops_node_list) {
		v = realloc(t->v, (t->n + 1) * sizeof *v);   /* ours now */
		if (!v)
			v = t->v;
		t->v = NULL;
	} else {
		v = ARENA_ARRAY(void *, t->n + 1);
		if (t->n)
			memcpy(v, t->v, t->n * sizeof *v);
	}
	if (nodes) {
		x->d->nodes = (struct node **)v;
		x->d->nnodes = t->n;
	} else {
		x->d->types = (struct type **)v;
		x->d->ntypes = t->n;
	}
	return rd_ok(x);
}

static void rd_init(struct rd *x, struct codec_dec *d, struct mpr *r)
{
	*x = (struct rd){ .d = d, .r = r, .err = d->err };
	d->types = ARENA_ARRAY(struct type *, 1);
	d->nodes = d->drops_node_list ? NULL : ARENA_ARRAY(struct node *, 1);
	d->ntypes = d->nnodes = 0;
}

static void rd_done(struct rd *x)
{
	table_free(&x->types);
	table_free(&x->nodes);
	free(x->scratch.v);
}

static int take_tables(void *arg, struct mpr *r, const char *key, uint32_t klen)
{
	struct rd *x = arg;
	if (x->d->meta && klen == 4 && memcmp(key, "meta", 4) == 0) {
		if (x->d->meta_seen)
			return 0;   /* a repeated key: the first counts */
		x->d->meta_seen = true;
		return meta_decode_stream(x->d, r, x->d->meta) ? 1 : -1;
	}
	bool types = klen == 5 && memcmp(key, "types", 5) == 0;
	bool nodes = klen == 5 && memcmp(key, "nodes", 5) == 0;
	if (!types && !nodes)
		return 0;
	return rd_table(x, nodes) ? 1 : -1;
}

const msgpack_object *dec_next_record(struct mp_in *in, struct codec_dec *d)
{
	struct rd x;
	rd_init(&x, d, &in->r);
	const msgpack_object *o = mp_in_next_taking(in, take_tables, &x);
	rd_done(&x);
	return d->err->set ? NULL : o;
}

bool dec_tables(struct codec_dec *d, const msgpack_object *record)
{
	/* The tables of a record already decoded (small ones: obj, out):
	 * written back to bytes and read as a stream. */
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	const msgpack_object *parts[2] = { mp_get(record, "types"), mp_get(record, "nodes") };
	for (int i = 0; i < 2; i++)
		if (parts[i])
			msgpack_pack_object(&pk, *parts[i]);
		else
			msgpack_pack_nil(&pk);
	struct mpr r;
	mpr_init_mem(&r, sb.data, sb.size, "bt");
	struct rd x;
	rd_init(&x, d, &r);
	if (rd_table(&x, false))
		rd_table(&x, true);
	if (r.failed)
		mp_fail(d->err, "%s", r.errmsg);
	rd_done(&x);
	mpr_close(&r);
	msgpack_sbuffer_destroy(&sb);
	return !d->err->set;
}

void dec_free_node_list(struct codec_dec *d)
{
	if (d->drops_node_list)
		free(d->nodes);
	d->nodes = NULL;
}

struct type *dec_type(struct codec_dec *d, const msgpack_object *o)
{
	if (mp_is_nil(o))
		return NULL;
	uint64_t i = mp_uint(d->err, o, "type");
	if (d->err->set)
		return NULL;
	if (i >= d->ntypes) {
		mp_fail(d->err, "bad type reference %llu", (unsigned long long)i);
		return NULL;
	}
	return d->types[i];
}

struct node *dec_node(struct codec_dec *d, const msgpack_object *o)
{
	if (mp_is_nil(o))
		return NULL;
	uint64_t i = mp_uint(d->err, o, "node");
	if (d->err->set)
		return NULL;
	if (i >= d->nnodes) {
		mp_fail(d->err, "bad node reference %llu", (unsigned long long)i);
		return NULL;
	}
	return d->nodes[i];
}
