/* codec.c - flat-table msgpack encoding of nodes and types; see codec.h. */
#include "codec.h"

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

/* ---- encoder ---- */
struct codec_enc {
	struct ptrmap type_idx;
	VEC(struct type *) types;
	VEC(struct node *) nodes;
	VEC(uint32_t) stub_of;  /* per type: stub record index for pointers, or ~0 */
};

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

static void enc_children(struct codec_enc *e, nodevec *v)
{
	for (size_t i = 0; i < v->n; i++)
		enc_node(e, v->v[i]);
}

/* A node remembers its index in n->enc_index (+1); the slot holding the
 * same node proves the index belongs to this encoder.  (A hash lookup per
 * reference was a third of bt-parse's time on big programs.) */
static bool node_known(const struct codec_enc *e, const struct node *n, uint32_t *idx)
{
	uint32_t i = n->enc_index - 1;
	if (n->enc_index && i < e->nodes.n && e->nodes.v[i] == n) {
		*idx = i;
		return true;
	}
	return false;
}

uint32_t enc_node(struct codec_enc *e, struct node *n)
{
	uint32_t idx;
	if (node_known(e, n, &idx))
		return idx;
	/* Children first (post-order).  Iterative for long statement lists
	 * is unnecessary: depth is bounded by the parser's nesting limit. */
	if (n->a) enc_node(e, n->a);
	if (n->b) enc_node(e, n->b);
	if (n->c) enc_node(e, n->c);
	enc_children(e, &n->args);
	enc_children(e, &n->body);
	enc_children(e, &n->orelse);
	if (n->type) enc_type(e, n->type);
	if (n->ty_arg) enc_type(e, n->ty_arg);
	idx = (uint32_t)e->nodes.n;
	VEC_PUSH(&e->nodes, n);
	n->enc_index = idx + 1;
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
		       nodevec *v)
{
	mp_key(pk, key);
	msgpack_pack_array(pk, v->n);
	for (size_t i = 0; i < v->n; i++)
		msgpack_pack_uint32(pk, enc_node(e, v->v[i]));
}

static void write_node(struct codec_enc *e, msgpack_packer *pk, struct node *n)
{
	int cnt = 2;
	cnt += n->op != OP_NONE;
	cnt += n->flags != 0;
	cnt += n->num != 0;
	cnt += n->str != NULL;
	cnt += (n->a != NULL) + (n->b != NULL) + (n->c != NULL);
	cnt += (n->args.n != 0) + (n->body.n != 0) + (n->orelse.n != 0);
	cnt += (n->type != NULL) + (n->ty_arg != NULL) + (n->ap != NULL);
	cnt += (n->id != 0) + (n->id2 != 0);
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
	if (n->num) mp_kv_int(pk, "num", n->num);
	if (n->str) mp_kv_bin(pk, "str", n->str, n->kind == N_STR ? n->len : strlen(n->str));
	if (n->a) mp_kv_uint(pk, "a", enc_node(e, n->a));
	if (n->b) mp_kv_uint(pk, "b", enc_node(e, n->b));
	if (n->c) mp_kv_uint(pk, "c", enc_node(e, n->c));
	if (n->args.n) write_refs(e, pk, "args", &n->args);
	if (n->body.n) write_refs(e, pk, "body", &n->body);
	if (n->orelse.n) write_refs(e, pk, "else", &n->orelse);
	if (n->type) mp_kv_uint(pk, "type", enc_type(e, n->type));
	if (n->ty_arg) mp_kv_uint(pk, "ty_arg", enc_type(e, n->ty_arg));
	if (n->ap) {
		mp_key(pk, "ap");
		enc_attach_point(pk, n->ap);
	}
	if (n->id) mp_kv_int(pk, "id", n->id);
	if (n->id2) mp_kv_int(pk, "id2", n->id2);
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
	msgpack_pack_array(pk, e->nodes.n);
	for (size_t i = 0; i < e->nodes.n; i++)
		write_node(e, pk, e->nodes.v[i]);
}

/* ---- decoder ---- */

static int lookup_name(const msgpack_object *o, const char *(*name)(int), int count)
{
	if (!o || o->type != MSGPACK_OBJECT_STR)
		return -1;
	for (int i = 0; i < count; i++)
		if (mp_key_is(o, name(i)))
			return i;
	return -1;
}

static const char *tk_name(int i) { return type_kind_name((enum type_kind)i); }
static const char *nk_name(int i) { return node_kind_name((enum node_kind)i); }
static const char *op_name(int i) { return i == OP_NONE ? "\x01" : op_str((enum op)i); }
static const char *pt_name(int i) { return probe_type_name((enum probe_type)i); }

static struct type *type_at(struct codec_dec *d, const msgpack_object *o,
			    uint32_t limit, const char *what)
{
	if (mp_is_nil(o))
		return NULL;
	uint64_t i = mp_uint(d->err, o, what);
	if (d->err->set)
		return NULL;
	if (i >= limit) {
		mp_fail(d->err, "bad %s reference %llu", what, (unsigned long long)i);
		return NULL;
	}
	return d->types[i];
}

static bool dec_type_entry(struct codec_dec *d, uint32_t idx, const msgpack_object *o)
{
	struct mp_err *err = d->err;
	int k = lookup_name(mp_get(o, "k"), tk_name, TY__COUNT);
	if (k < 0) {
		mp_fail(err, "unknown type kind in type %u", idx);
		return false;
	}
	struct type *t = type_new((enum type_kind)k, (uint32_t)mp_get_uint(err, o, "sz"));
	t->bits = (uint8_t)mp_get_uint(err, o, "bits");
	t->is_signed = mp_get_bool(err, o, "signed");
	t->as = (uint8_t)mp_get_uint(err, o, "as");
	t->ctx = mp_get_bool(err, o, "ctx");
	t->is_tparg = mp_get_bool(err, o, "tparg");
	t->is_funcarg = mp_get_bool(err, o, "funcarg");
	t->stack_mode = (uint8_t)mp_get_uint(err, o, "smode");
	t->stack_limit = (uint16_t)mp_get_uint(err, o, "slimit");
	t->ts_mode = (uint8_t)mp_get_uint(err, o, "tsmode");
	t->elem = type_at(d, mp_get(o, "elem"), idx, "type");
	t->count = (uint32_t)mp_get_uint(err, o, "count");
	t->name = mp_get_str(err, o, "name");
	t->align = (uint32_t)mp_get_uint(err, o, "align");
	t->incomplete = mp_get_bool(err, o, "incomplete");
	t->btf = mp_get_bool(err, o, "btf");
	const msgpack_object *fl;
	uint32_t nf = mp_array(err, mp_get(o, "fields"), "fields", &fl);
	t->nfields = nf;
	t->fields = nf ? ARENA_ARRAY(struct field, nf) : NULL;
	for (uint32_t i = 0; i < nf; i++) {
		const msgpack_object *f;
		if (mp_array(err, &fl[i], "field", &f) != 5) {
			mp_fail(err, "bad field in type %u", idx);
			return false;
		}
		t->fields[i].name = mp_str(err, &f[0], "field name", NULL);
		t->fields[i].offset = (uint32_t)mp_uint(err, &f[1], "field offset");
		t->fields[i].type = type_at(d, &f[2], idx, "type");
		t->fields[i].bit_offset = (uint16_t)mp_uint(err, &f[3], "bit offset");
		t->fields[i].bit_width = (uint16_t)mp_uint(err, &f[4], "bit width");
		if (!t->fields[i].type && !err->set)
			mp_fail(err, "field without type in type %u", idx);
	}
	if ((t->kind == TY_PTR || t->kind == TY_ARRAY) && !t->elem && !err->set)
		mp_fail(err, "type %u has no element type", idx);
	d->types[idx] = t;
	return !err->set;
}

static struct node *node_at(struct codec_dec *d, const msgpack_object *o, uint32_t limit)
{
	if (mp_is_nil(o))
		return NULL;
	uint64_t i = mp_uint(d->err, o, "node");
	if (d->err->set)
		return NULL;
	if (i >= limit) {
		mp_fail(d->err, "bad node reference %llu", (unsigned long long)i);
		return NULL;
	}
	return d->nodes[i];
}

static void dec_refs(struct codec_dec *d, nodevec *v, const msgpack_object *o,
		     uint32_t limit)
{
	const msgpack_object *items;
	uint32_t n = mp_array(d->err, o, "node list", &items);
	for (uint32_t i = 0; i < n && !d->err->set; i++) {
		struct node *c = node_at(d, &items[i], limit);
		if (c)
			VEC_PUSH(v, c);
	}
}

struct attach_point *dec_attach_point(struct mp_err *err, const msgpack_object *o)
{
	if (!o || o->type != MSGPACK_OBJECT_MAP) {
		mp_fail(err, "bad attach point");
		return NULL;
	}
	struct attach_point *ap = ARENA_NEW(struct attach_point);
	int p = lookup_name(mp_get(o, "provider"), pt_name, PT__COUNT);
	ap->provider = p < 0 ? PT_INVALID : (enum probe_type)p;
	ap->raw = mp_get_str(err, o, "raw");
	ap->target = mp_get_str(err, o, "target");
	ap->lang = mp_get_str(err, o, "lang");
	ap->ns = mp_get_str(err, o, "ns");
	ap->func = mp_get_str(err, o, "func");
	ap->pin = mp_get_str(err, o, "pin");
	ap->mode = mp_get_str(err, o, "mode");
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
	ap->usdt_args = mp_get_str(err, o, "usdt_args");
	ap->usdt_loc = (int)mp_get_int(err, o, "usdt_loc");
	return ap;
}

static bool dec_node_entry(struct codec_dec *d, uint32_t idx, const msgpack_object *o)
{
	struct mp_err *err = d->err;
	int k = lookup_name(mp_get(o, "k"), nk_name, N__COUNT);
	if (k < 0) {
		mp_fail(err, "unknown node kind in node %u", idx);
		return false;
	}
	struct node *n = ARENA_NEW(struct node);
	n->kind = (enum node_kind)k;
	const msgpack_object *loc;
	uint32_t nl = mp_array(err, mp_get(o, "loc"), "loc", &loc);
	if (nl == 4) {
		n->loc.line = (int)mp_int(err, &loc[0], "loc");
		n->loc.col = (int)mp_int(err, &loc[1], "loc");
		n->loc.end_line = (int)mp_int(err, &loc[2], "loc");
		n->loc.end_col = (int)mp_int(err, &loc[3], "loc");
	}
	const msgpack_object *op = mp_get(o, "op");
	if (op) {
		int v = lookup_name(op, op_name, OP__COUNT);
		/* "-" is both OP_SUB and OP_NEG: the node kind decides */
		if (v == OP_SUB && n->kind == N_UNOP)
			v = OP_NEG;
		if (v < 0)
			mp_fail(err, "unknown operator in node %u", idx);
		else
			n->op = (enum op)v;
	}
	n->flags = (uint32_t)mp_get_uint(err, o, "flags");
	n->num = mp_get_int(err, o, "num");
	n->str = mp_str(err, mp_get(o, "str"), "str", &n->len);
	n->a = node_at(d, mp_get(o, "a"), idx);
	n->b = node_at(d, mp_get(o, "b"), idx);
	n->c = node_at(d, mp_get(o, "c"), idx);
	dec_refs(d, &n->args, mp_get(o, "args"), idx);
	dec_refs(d, &n->body, mp_get(o, "body"), idx);
	dec_refs(d, &n->orelse, mp_get(o, "else"), idx);
	n->type = type_at(d, mp_get(o, "type"), d->ntypes, "type");
	n->ty_arg = type_at(d, mp_get(o, "ty_arg"), d->ntypes, "type");
	if (mp_get(o, "ap"))
		n->ap = dec_attach_point(err, mp_get(o, "ap"));
	n->id = (int32_t)mp_get_int(err, o, "id");
	n->id2 = (int32_t)mp_get_int(err, o, "id2");
	d->nodes[idx] = n;
	return !err->set;
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
		return all_of(&n->body, is_stmt) && all_of(&n->orelse, is_stmt) &&
		       (!n->c || is_expr(n->c)) && (!n->a || is_expr(n->a));
	case N_ASSIGN_MAP:
		return n->a->kind == N_MAP && is_expr(n->b);
	case N_ASSIGN_VAR:
		return n->a->kind == N_VAR && is_expr(n->b);
	case N_EXPR_STMT: case N_PREDICATE:
		return is_expr(n->a);
	case N_CALL: case N_MAP: case N_TUPLE:
		return all_of(&n->args, is_expr);
	default:
		if (is_expr(n))
			return (!n->a || is_expr(n->a)) && (!n->b || is_expr(n->b)) &&
			       (!n->c || is_expr(n->c));
		return true;
	}
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

static void extent_add(struct extent *x, const struct ptrmap *idx,
		       const struct extent *ext, const void *child, uint32_t cap)
{
	uint32_t j;
	if (!child || !ptrmap_get(idx, child, &j))
		return;
	if (ext[j].depth + 1 > x->depth)
		x->depth = ext[j].depth + 1;
	uint64_t s = (uint64_t)x->size + ext[j].size;
	x->size = s > cap ? cap + 1 : (uint32_t)s;
}

static bool type_extent_ok(struct codec_dec *d, struct ptrmap *idx, struct extent *ext,
			   uint32_t i)
{
	const struct type *t = d->types[i];
	struct extent x = { 1, 1 };
	extent_add(&x, idx, ext, t->elem, MAX_TYPE_EXPANDED);
	for (uint32_t f = 0; f < t->nfields; f++)
		extent_add(&x, idx, ext, t->fields[f].type, MAX_TYPE_EXPANDED);
	ext[i] = x;
	ptrmap_put(idx, t, i);
	if (x.depth > MAX_TYPE_DEPTH) {
		mp_fail(d->err, "type %u is nested too deeply (more than %u levels)", i,
			MAX_TYPE_DEPTH);
		return false;
	}
	if (x.size > MAX_TYPE_EXPANDED) {
		mp_fail(d->err, "type %u is too large (more than %u parts once expanded)", i,
			MAX_TYPE_EXPANDED);
		return false;
	}
	return true;
}

static bool node_extent_ok(struct codec_dec *d, struct ptrmap *idx, struct extent *ext,
			   uint32_t i)
{
	const struct node *n = d->nodes[i];
	struct extent x = { 1, 1 };
	extent_add(&x, idx, ext, n->a, MAX_NODE_EXPANDED);
	extent_add(&x, idx, ext, n->b, MAX_NODE_EXPANDED);
	extent_add(&x, idx, ext, n->c, MAX_NODE_EXPANDED);
	const nodevec *lists[3] = { &n->args, &n->body, &n->orelse };
	for (int l = 0; l < 3; l++)
		for (size_t k = 0; k < lists[l]->n; k++)
			extent_add(&x, idx, ext, lists[l]->v[k], MAX_NODE_EXPANDED);
	ext[i] = x;
	ptrmap_put(idx, n, i);
	if (x.depth > MAX_NODE_DEPTH) {
		mp_fail(d->err, "tree nested too deeply (node %u: more than %u levels)", i,
			MAX_NODE_DEPTH);
		return false;
	}
	if (x.size > MAX_NODE_EXPANDED) {
		mp_fail(d->err, "tree too large (node %u: more than %u nodes once expanded)", i,
			MAX_NODE_EXPANDED);
		return false;
	}
	return true;
}

bool dec_tables(struct codec_dec *d, const msgpack_object *record)
{
	const msgpack_object *items;
	struct ptrmap idx = { 0 };
	uint32_t n = mp_array(d->err, mp_get(record, "types"), "types", &items);
	d->ntypes = n;
	d->types = ARENA_ARRAY(struct type *, n + 1);
	struct extent *ext = ARENA_ARRAY(struct extent, n + 1);
	for (uint32_t i = 0; i < n; i++)
		if (!dec_type_entry(d, i, &items[i]) || !type_extent_ok(d, &idx, ext, i))
			return false;
	n = mp_array(d->err, mp_get(record, "nodes"), "nodes", &items);
	d->nnodes = n;
	d->nodes = ARENA_ARRAY(struct node *, n + 1);
	ext = ARENA_ARRAY(struct extent, n + 1);
	idx = (struct ptrmap){ 0 };
	for (uint32_t i = 0; i < n; i++) {
		if (!dec_node_entry(d, i, &items[i]))
			return false;
		if (!shape_ok(d->nodes[i])) {
			mp_fail(d->err, "malformed %s node (index %u)",
				node_kind_name(d->nodes[i]->kind), i);
			return false;
		}
		if (!node_extent_ok(d, &idx, ext, i))
			return false;
	}
	return !d->err->set;
}

struct type *dec_type(struct codec_dec *d, const msgpack_object *o)
{
	return type_at(d, o, d->ntypes, "type");
}

struct node *dec_node(struct codec_dec *d, const msgpack_object *o)
{
	return node_at(d, o, d->nnodes);
}
