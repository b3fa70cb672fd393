/* meta.c - program metadata defaults and msgpack codec; see meta.h. */
#include "meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"

void meta_config_defaults(struct meta_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_strlen = 64;
	cfg->str_trunc_trailer = "..";
	cfg->stack_mode = STACK_BPFTRACE;
	cfg->cpp_demangle = true;
	cfg->perf_rb_pages = 64;
	cfg->max_cat_bytes = 10240;
	cfg->max_map_keys = 4096;
	cfg->max_probes = 512;
	cfg->max_bpf_progs = 512;
	cfg->log_size = 1000000;
	cfg->cache_user_symbols = "PER_PID";
}

struct meta_map *meta_find_map(struct meta *m, const char *name)
{
	for (size_t i = 0; i < m->maps.n; i++)
		if (strcmp(m->maps.v[i].name, name) == 0)
			return &m->maps.v[i];
	return NULL;
}

void meta_register_types(struct codec_enc *e, const struct meta *m)
{
	for (size_t i = 0; i < m->maps.n; i++) {
		enc_type(e, m->maps.v[i].value);
		for (uint32_t k = 0; k < m->maps.v[i].nkeys; k++)
			enc_type(e, m->maps.v[i].keys[k]);
	}
	const struct meta_fmt *lists[3] = { m->printfs.v, m->systems.v, m->cats.v };
	size_t counts[3] = { m->printfs.n, m->systems.n, m->cats.n };
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++)
			for (uint32_t a = 0; a < lists[l][i].nargs; a++)
				enc_type(e, lists[l][i].args[a].type);
	for (size_t i = 0; i < m->print_types.n; i++)
		enc_type(e, m->print_types.v[i]);
}

static void put_strings(msgpack_packer *pk, const char *key, const char **v, size_t n)
{
	mp_key(pk, key);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		mp_put_str(pk, v[i]);
}

static void put_fmts(struct codec_enc *e, msgpack_packer *pk, const char *key,
		     const struct meta_fmt *f, size_t n)
{
	mp_key(pk, key);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_map(pk, 3);
		mp_put_str(pk, "fmt");
		mp_put_bin(pk, f[i].fmt, strlen(f[i].fmt));
		mp_kv_uint(pk, "size", f[i].size);
		mp_key(pk, "args");
		msgpack_pack_array(pk, f[i].nargs);
		for (uint32_t a = 0; a < f[i].nargs; a++) {
			msgpack_pack_array(pk, 2);
			msgpack_pack_uint32(pk, enc_type(e, f[i].args[a].type));
			msgpack_pack_uint32(pk, f[i].args[a].offset);
		}
	}
}

static void put_config(msgpack_packer *pk, const struct meta_config *c)
{
	msgpack_pack_map(pk, 14);
	mp_kv_uint(pk, "max_strlen", c->max_strlen);
	mp_kv_str(pk, "str_trunc_trailer", c->str_trunc_trailer);
	mp_kv_uint(pk, "stack_mode", c->stack_mode);
	mp_kv_bool(pk, "cpp_demangle", c->cpp_demangle);
	mp_kv_uint(pk, "perf_rb_pages", c->perf_rb_pages);
	mp_kv_uint(pk, "max_cat_bytes", c->max_cat_bytes);
	mp_kv_uint(pk, "max_map_keys", c->max_map_keys);
	mp_kv_uint(pk, "max_probes", c->max_probes);
	mp_kv_uint(pk, "max_bpf_progs", c->max_bpf_progs);
	mp_kv_uint(pk, "log_size", c->log_size);
	mp_kv_str(pk, "cache_user_symbols", c->cache_user_symbols);
	mp_kv_bool(pk, "unsafe", c->unsafe);
	mp_kv_int(pk, "helper_check_level", c->helper_check_level);
	mp_kv_bool(pk, "no_warnings", c->no_warnings);
}

void meta_encode(struct codec_enc *e, msgpack_packer *pk, const struct meta *m)
{
	mp_key(pk, "meta");
	msgpack_pack_map(pk, 16);

	mp_key(pk, "maps");
	msgpack_pack_array(pk, m->maps.n);
	for (size_t i = 0; i < m->maps.n; i++) {
		const struct meta_map *mm = &m->maps.v[i];
		msgpack_pack_map(pk, 9);
		mp_kv_str(pk, "name", mm->name);
		mp_kv_uint(pk, "id", mm->id);
		mp_kv_uint(pk, "value", enc_type(e, mm->value));
		mp_key(pk, "keys");
		msgpack_pack_array(pk, mm->nkeys);
		for (uint32_t k = 0; k < mm->nkeys; k++)
			msgpack_pack_uint32(pk, enc_type(e, mm->keys[k]));
		mp_kv_uint(pk, "key_size", mm->key_size);
		mp_kv_int(pk, "hist_bits", mm->hist_bits);
		mp_kv_int(pk, "lh_min", mm->lh_min);
		mp_kv_int(pk, "lh_max", mm->lh_max);
		mp_kv_int(pk, "lh_step", mm->lh_step);
	}

	mp_key(pk, "probes");
	msgpack_pack_array(pk, m->probes.n);
	for (size_t i = 0; i < m->probes.n; i++) {
		const struct meta_probe *p = &m->probes.v[i];
		msgpack_pack_map(pk, 5 + p->expand);
		mp_kv_uint(pk, "index", p->index);
		mp_kv_str(pk, "type", probe_type_name(p->type));
		mp_kv_str(pk, "name", p->name);
		mp_kv_str(pk, "prog", p->prog);
		if (p->expand)
			mp_kv_bool(pk, "expand", true);
		mp_key(pk, "attach");
		msgpack_pack_array(pk, p->nattach);
		for (uint32_t a = 0; a < p->nattach; a++) {
			msgpack_pack_map(pk, 3);
			mp_kv_str(pk, "name", p->attach[a].name);
			mp_kv_uint(pk, "cookie", p->attach[a].cookie);
			mp_key(pk, "ap");
			enc_attach_point(pk, p->attach[a].ap);
		}
	}

	put_fmts(e, pk, "printfs", m->printfs.v, m->printfs.n);
	put_fmts(e, pk, "systems", m->systems.v, m->systems.n);
	put_fmts(e, pk, "cats", m->cats.v, m->cats.n);
	put_strings(pk, "time_fmts", m->time_fmts.v, m->time_fmts.n);
	put_strings(pk, "join_delims", m->join_delims.v, m->join_delims.n);
	put_strings(pk, "strftime_fmts", m->strftime_fmts.v, m->strftime_fmts.n);
	put_strings(pk, "cgroup_filters", m->cgroup_filters.v, m->cgroup_filters.n);
	put_strings(pk, "probe_names", m->probe_names.v, m->probe_names.n);

	mp_key(pk, "print_types");
	msgpack_pack_array(pk, m->print_types.n);
	for (size_t i = 0; i < m->print_types.n; i++)
		msgpack_pack_uint32(pk, enc_type(e, m->print_types.v[i]));

	mp_key(pk, "helper_errors");
	msgpack_pack_array(pk, m->helper_errors.n);
	for (size_t i = 0; i < m->helper_errors.n; i++) {
		const struct meta_helper_error *h = &m->helper_errors.v[i];
		msgpack_pack_array(pk, 5);
		mp_put_str(pk, h->func);
		mp_put_loc(pk, h->loc);
	}
	mp_key(pk, "skboutputs");
	msgpack_pack_array(pk, m->skboutputs.n);
	for (size_t i = 0; i < m->skboutputs.n; i++) {
		msgpack_pack_array(pk, 2);
		mp_put_str(pk, m->skboutputs.v[i].path);
		msgpack_pack_uint64(pk, m->skboutputs.v[i].offset);
	}
	mp_key(pk, "helper_locs");
	msgpack_pack_array(pk, m->helper_locs.n);
	for (size_t i = 0; i < m->helper_locs.n; i++) {
		const struct meta_helper_loc *h = &m->helper_locs.v[i];
		msgpack_pack_array(pk, 5);
		msgpack_pack_uint32(pk, h->id);
		mp_put_loc(pk, h->loc);
	}
	/* 15th pair */
	mp_key(pk, "config");
	put_config(pk, &m->cfg);
	/* 16th */
	meta_target_encode(pk, &m->target);
}

static void get_strings(struct mp_err *err, const msgpack_object *o, const char *key,
			void *vecp)
{
	VEC(const char *) *v = vecp;
	const msgpack_object *items;
	uint32_t n = mp_array(err, mp_get(o, key), key, &items);
	for (uint32_t i = 0; i < n; i++) {
		const char *s = mp_str(err, &items[i], key, NULL);
		VEC_PUSH(v, s ? s : "");
	}
}

typedef VEC(struct meta_fmt) fmtvec;

/* One entry of printfs/systems/cats. */
static void get_fmt(struct codec_dec *d, const msgpack_object *item, fmtvec *v)
{
	struct meta_fmt f = { 0 };
	f.fmt = mp_get_str(d->err, item, "fmt");
	if (!f.fmt)
		f.fmt = "";
	f.size = (uint32_t)mp_get_uint(d->err, item, "size");
	const msgpack_object *args;
	f.nargs = mp_array(d->err, mp_get(item, "args"), "args", &args);
	f.args = ARENA_ARRAY(struct meta_arg, f.nargs + 1);
	for (uint32_t a = 0; a < f.nargs; a++) {
		const msgpack_object *p;
		if (mp_array(d->err, &args[a], "arg", &p) != 2) {
			mp_fail(d->err, "bad format argument");
			return;
		}
		f.args[a].type = dec_type(d, &p[0]);
		f.args[a].offset = (uint32_t)mp_uint(d->err, &p[1], "offset");
		if (!f.args[a].type || (uint64_t)f.args[a].offset + f.args[a].type->size > f.size)
			mp_fail(d->err, "bad format argument layout");
	}
	VEC_PUSH(v, f);
}

static void get_fmts(struct codec_dec *d, const msgpack_object *o, const char *key,
		     void *vecp)
{
	const msgpack_object *items;
	uint32_t n = mp_array(d->err, mp_get(o, key), key, &items);
	for (uint32_t i = 0; i < n && !d->err->set; i++)
		get_fmt(d, &items[i], vecp);
}

typedef VEC(struct meta_map) mapvec;
typedef VEC(struct meta_probe) probevec;

/* One entry of maps. */
static void get_map(struct codec_dec *d, const msgpack_object *item, mapvec *v)
{
	struct mp_err *err = d->err;
	struct meta_map mm = { 0 };
	mm.name = mp_get_str(err, item, "name");
	mm.id = (uint32_t)mp_get_uint(err, item, "id");
	mm.value = dec_type(d, mp_get(item, "value"));
	const msgpack_object *keys;
	mm.nkeys = mp_array(err, mp_get(item, "keys"), "keys", &keys);
	mm.keys = ARENA_ARRAY(struct type *, mm.nkeys + 1);
	for (uint32_t k = 0; k < mm.nkeys; k++)
		if (!(mm.keys[k] = dec_type(d, &keys[k])))
			mp_fail(err, "map key without type");
	mm.key_size = (uint32_t)mp_get_uint(err, item, "key_size");
	mm.hist_bits = (int)mp_get_int(err, item, "hist_bits");
	mm.lh_min = mp_get_int(err, item, "lh_min");
	mm.lh_max = mp_get_int(err, item, "lh_max");
	mm.lh_step = mp_get_int(err, item, "lh_step");
	if (!mm.name || !mm.value)
		mp_fail(err, "bad map metadata");
	VEC_PUSH(v, mm);
}

/* One entry of probes. */
static void get_probe(struct codec_dec *d, const msgpack_object *item, probevec *v)
{
	struct mp_err *err = d->err;
	struct meta_probe p = { 0 };
	p.index = (uint32_t)mp_get_uint(err, item, "index");
	const char *t = mp_get_str(err, item, "type");
	p.type = t ? probe_type_lookup(t) : PT_INVALID;
	p.name = mp_get_str(err, item, "name");
	p.prog = mp_get_str(err, item, "prog");
	const msgpack_object *ex = mp_get(item, "expand");
	p.expand = ex && ex->type == MSGPACK_OBJECT_BOOLEAN && ex->via.boolean;
	const msgpack_object *at;
	p.nattach = mp_array(err, mp_get(item, "attach"), "attach", &at);
	p.attach = ARENA_ARRAY(struct meta_attach, p.nattach + 1);
	for (uint32_t a = 0; a < p.nattach && !err->set; a++) {
		p.attach[a].name = mp_get_str(err, &at[a], "name");
		p.attach[a].cookie = mp_get_uint(err, &at[a], "cookie");
		p.attach[a].ap = dec_attach_point(err, mp_get(&at[a], "ap"));
	}
	if (p.type == PT_INVALID || !p.name || !p.prog)
		mp_fail(err, "bad probe metadata");
	VEC_PUSH(v, p);
}

/* Every writer writes "probes" (an empty list when no probe is left, as
 * with -p and a USDT probe absent from the process): without it the
 * metadata is damaged, not a program with no probe. */
#define PROBES_MISSING "program metadata without 'probes'"

static bool decode(struct codec_dec *d, const msgpack_object *o, struct meta *m);

bool meta_decode(struct codec_dec *d, const msgpack_object *o, struct meta *m)
{
	if (o && o->type == MSGPACK_OBJECT_MAP && !mp_get(o, "probes")) {
		mp_fail(d->err, PROBES_MISSING);
		return false;
	}
	return decode(d, o, m);
}

static bool decode(struct codec_dec *d, const msgpack_object *o, struct meta *m)
{
	struct mp_err *err = d->err;
	memset(m, 0, sizeof *m);
	meta_config_defaults(&m->cfg);
	if (!o || o->type != MSGPACK_OBJECT_MAP) {
		mp_fail(err, "missing program metadata");
		return false;
	}
	const msgpack_object *items;
	uint32_t n = mp_array(err, mp_get(o, "maps"), "maps", &items);
	for (uint32_t i = 0; i < n && !err->set; i++)
		get_map(d, &items[i], (mapvec *)&m->maps);
	n = mp_array(err, mp_get(o, "probes"), "probes", &items);
	for (uint32_t i = 0; i < n && !err->set; i++)
		get_probe(d, &items[i], (probevec *)&m->probes);
	get_fmts(d, o, "printfs", &m->printfs);
	get_fmts(d, o, "systems", &m->systems);
	get_fmts(d, o, "cats", &m->cats);
	get_strings(err, o, "time_fmts", &m->time_fmts);
	get_strings(err, o, "join_delims", &m->join_delims);
	get_strings(err, o, "strftime_fmts", &m->strftime_fmts);
	get_strings(err, o, "cgroup_filters", &m->cgroup_filters);
	get_strings(err, o, "probe_names", &m->probe_names);
	n = mp_array(err, mp_get(o, "print_types"), "print_types", &items);
	for (uint32_t i = 0; i < n; i++) {
		struct type *t = dec_type(d, &items[i]);
		if (!t)
			mp_fail(err, "print type missing");
		VEC_PUSH(&m->print_types, t);
	}
	n = mp_array(err, mp_get(o, "helper_errors"), "helper_errors", &items);
	for (uint32_t i = 0; i < n && !err->set; i++) {
		const msgpack_object *h;
		if (mp_array(err, &items[i], "helper_error", &h) != 5) {
			mp_fail(err, "bad helper_error entry");
			break;
		}
		struct meta_helper_error he;
		he.func = mp_str(err, &h[0], "func", NULL);
		he.loc = mp_loc_at(err, &h[1]);
		VEC_PUSH(&m->helper_errors, he);
	}
	n = mp_array(err, mp_get(o, "skboutputs"), "skboutputs", &items);
	for (uint32_t i = 0; i < n && !err->set; i++) {
		const msgpack_object *s;
		if (mp_array(err, &items[i], "skboutput", &s) != 2) {
			mp_fail(err, "bad skboutput entry");
			break;
		}
		struct meta_skboutput so;
		so.path = mp_str(err, &s[0], "path", NULL);
		so.offset = (uint64_t)mp_int(err, &s[1], "offset");
		if (!so.path)
			mp_fail(err, "bad skboutput entry");
		VEC_PUSH(&m->skboutputs, so);
	}
	n = mp_array(err, mp_get(o, "helper_locs"), "helper_locs", &items);
	for (uint32_t i = 0; i < n && !err->set; i++) {
		const msgpack_object *h;
		if (mp_array(err, &items[i], "helper_loc", &h) != 5) {
			mp_fail(err, "bad helper_loc entry");
			break;
		}
		struct meta_helper_loc hl;
		hl.id = (uint32_t)mp_int(err, &h[0], "id");
		hl.loc = mp_loc_at(err, &h[1]);
		VEC_PUSH(&m->helper_locs, hl);
	}
	const msgpack_object *c = mp_get(o, "config");
	if (c) {
		struct meta_config *cfg = &m->cfg;
		cfg->max_strlen = mp_get_uint(err, c, "max_strlen");
		cfg->str_trunc_trailer = mp_get_str(err, c, "str_trunc_trailer");
		if (!cfg->str_trunc_trailer)
			cfg->str_trunc_trailer = "..";
		cfg->stack_mode = (uint8_t)mp_get_uint(err, c, "stack_mode");
		cfg->cpp_demangle = mp_get_bool(err, c, "cpp_demangle");
		cfg->perf_rb_pages = mp_get_uint(err, c, "perf_rb_pages");
		cfg->max_cat_bytes = mp_get_uint(err, c, "max_cat_bytes");
		cfg->max_map_keys = mp_get_uint(err, c, "max_map_keys");
		cfg->max_probes = mp_get_uint(err, c, "max_probes");
		cfg->max_bpf_progs = mp_get_uint(err, c, "max_bpf_progs");
		cfg->log_size = mp_get_uint(err, c, "log_size");
		cfg->cache_user_symbols = mp_get_str(err, c, "cache_user_symbols");
		cfg->unsafe = mp_get_bool(err, c, "unsafe");
		cfg->helper_check_level = (int)mp_get_int(err, c, "helper_check_level");
		cfg->no_warnings = mp_get_bool(err, c, "no_warnings");
	}
	meta_target_decode(err, mp_get(o, "target"), &m->target);
	return !err->set;
}

/* The big tables of the metadata, decoded an entry at a time. */
enum { BIG_MAPS, BIG_PROBES, BIG_PRINTFS, BIG_SYSTEMS, BIG_CATS, BIG_N };
static const char *const big_keys[BIG_N] = { "maps", "probes", "printfs", "systems", "cats" };

static void put_str_key(struct mpbytes *b, const char *p, uint32_t n)
{
	uint8_t h[5] = { 0xdb, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
			 (uint8_t)n };
	mpbytes_add(b, h, sizeof h);
	mpbytes_add(b, p, n);
}

bool meta_decode_stream(struct codec_dec *d, struct mpr *r, struct meta *m)
{
	struct mp_err *err = d->err;
	struct mpv v;
	if (!mpr_next(r, &v))
		return false;
	if (v.type != MPV_MAP) {
		mp_fail(err, "missing program metadata");
		return false;
	}
	mapvec maps = { 0 };
	probevec probes = { 0 };
	fmtvec fmts[3] = { { 0 } };
	struct mpbytes rest = { 0 };
	uint32_t kept = 0;
	bool seen[BIG_N] = { 0 };
	for (uint32_t i = 0; i < v.count && !err->set && !r->failed; i++) {
		struct mpv k;
		if (!mpr_next(r, &k))
			break;
		int big = -1;
		for (int b = 0; b < BIG_N && k.type == MPV_STR; b++)
			if (k.s.n == strlen(big_keys[b]) && !memcmp(k.s.p, big_keys[b], k.s.n))
				big = b;
		if (big >= 0 && seen[big])
			big = -2;   /* a repeated key: its first value counts (mp_get) */
		if (big < 0) {
			if (k.type != MPV_STR || big == -2) {
				mpr_skip(r);
				continue;
			}
			put_str_key(&rest, k.s.p, k.s.n);
			if (!mpr_copy_value(r, &rest))
				break;
			kept++;
			continue;
		}
		seen[big] = true;
		struct mpv a;
		if (!mpr_next(r, &a))
			break;
		if (a.type == MPV_NIL)
			continue;
		if (a.type != MPV_ARRAY) {
			mp_fail(err, "field '%s' is not an array", big_keys[big]);
			break;
		}
		for (uint32_t e = 0; e < a.count && !err->set; e++) {
			const msgpack_object *item = mpr_object(r, false);
			if (!item)
				break;
			if (big == BIG_MAPS)
				get_map(d, item, &maps);
			else if (big == BIG_PROBES)
				get_probe(d, item, &probes);
			else
				get_fmt(d, item, &fmts[big - BIG_PRINTFS]);
		}
	}
	bool ok = !err->set && !r->failed;
	if (ok && !seen[BIG_PROBES]) {
		mp_fail(err, PROBES_MISSING);
		ok = false;
	}
	if (ok) {
		/* the other keys, small: one map for meta_decode */
		uint8_t h[5] = { 0xdf, (uint8_t)(kept >> 24), (uint8_t)(kept >> 16),
				 (uint8_t)(kept >> 8), (uint8_t)kept };
		struct mpbytes rec = { 0 };
		mpbytes_add(&rec, h, sizeof h);
		mpbytes_add(&rec, rest.p, rest.n);
		const msgpack_object *o = mpr_object_from(r, rec.p, rec.n);
		ok = o && decode(d, o, m);
		mpbytes_free(&rec);
	}
	mpbytes_free(&rest);
	if (!ok) {
		if (r->failed && !err->set)
			mp_fail(err, "%s", r->errmsg);
		return false;
	}
	m->maps.v = maps.v, m->maps.n = maps.n, m->maps.cap = maps.cap;
	m->probes.v = probes.v, m->probes.n = probes.n, m->probes.cap = probes.cap;
	m->printfs.v = fmts[0].v, m->printfs.n = fmts[0].n, m->printfs.cap = fmts[0].cap;
	m->systems.v = fmts[1].v, m->systems.n = fmts[1].n, m->systems.cap = fmts[1].cap;
	m->cats.v = fmts[2].v, m->cats.n = fmts[2].n, m->cats.cap = fmts[2].cap;
	return true;
}

int ir_write(int fd, const struct source *src, struct node *root, const struct meta *m)
{
	struct mp_out *o = malloc(sizeof *o);
	if (!o)
		return -ENOMEM;
	mp_out_init(o, fd);
	mp_write_header(o, "ir", src, 0);
	o->record_from = o->packed;
	o->max_record = IR_MAX_PROGRAM_RECORD;
	struct codec_enc *e = enc_new();
	uint32_t r = enc_node(e, root);
	meta_register_types(e, m);
	msgpack_pack_map(&o->pk, 5);
	mp_kv_str(&o->pk, "t", "program");
	enc_write_tables(e, &o->pk);
	mp_kv_uint(&o->pk, "root", r);
	meta_encode(e, &o->pk, m);
	mp_write_end(o);
	int rc = mp_out_flush(o);
	if (!rc && o->failed)
		rc = -EIO;
	if (o->too_large)
		rc = -EFBIG;
	free(o);
	return rc;
}
