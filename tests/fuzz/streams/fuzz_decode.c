/* fuzz_decode.c - libFuzzer targets for the table and metadata decoders
 * (libcommon/codec.c, meta.c).  The input is one msgpack object: a record
 * map as a stream carries it ("types", "nodes", "root", "meta").
 *
 *   fuzz_tables (default): dec_tables on types and nodes, plus the
 *                          metadata when present;
 *   fuzz_meta (-DFUZZ_META): types and metadata only (the obj/out path).
 *
 * Whatever decodes is walked (type helpers, node names, metadata tables)
 * and re-encoded; the re-encoding must decode again and encode to the same
 * bytes (the encoder and decoder agree).  Invariants: no crash, hang, leak
 * or sanitizer report; a refusal is one non-empty line. */
#include "fuzz_common.h"

/* Walk a decoded tree and metadata like a consumer would. */
static void touch_tables(const struct codec_dec *d)
{
	for (uint32_t i = 0; i < d->ntypes; i++)
		fuzz_touch_type(d->types[i]);
	for (uint32_t i = 0; i < d->nnodes; i++) {
		const struct node *n = d->nodes[i];
		fputs(node_kind_name(n->kind), fuzz_null);
		if (n->op != OP_NONE)
			fputs(op_str(n->op), fuzz_null);
		if (n->kind == N_ATTACH_POINT && n->ap)
			fputs(attach_point_name(n->ap, true), fuzz_null);
		if (n->kind == N_PROBE)
			fputs(probe_name(n), fuzz_null);
	}
}

static void touch_meta(struct meta *m)
{
	for (size_t i = 0; i < m->maps.n; i++) {
		if (meta_find_map(m, m->maps.v[i].name) == NULL)
			abort();
		fuzz_touch_type(m->maps.v[i].value);
		for (uint32_t k = 0; k < m->maps.v[i].nkeys; k++)
			fuzz_touch_type(m->maps.v[i].keys[k]);
	}
	for (size_t i = 0; i < m->probes.n; i++)
		for (uint32_t a = 0; a < m->probes.v[i].nattach; a++)
			if (m->probes.v[i].attach[a].ap)
				fputs(attach_point_name(m->probes.v[i].attach[a].ap, false), fuzz_null);
	for (size_t i = 0; i < m->printfs.n; i++)
		for (uint32_t a = 0; a < m->printfs.v[i].nargs; a++)
			fuzz_touch_type(m->printfs.v[i].args[a].type);
}

struct decoded {
	struct mp_err err;
	struct codec_dec d;
	struct meta meta;
	bool has_meta;
	bool has_root;
	uint32_t root;
};

/* Decode a record; false (with x->err set) if refused. */
static bool decode(const msgpack_object *rec, struct decoded *x)
{
	memset(x, 0, sizeof *x);
	x->d.err = &x->err;
#ifdef FUZZ_META
	/* types only: ignore the nodes, as bt-load and bt-fmt do */
	msgpack_object types_only = *rec;
	msgpack_object_kv kv[1];
	const msgpack_object *types = mp_get(rec, "types");
	if (types) {
		kv[0].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
			.via.str = { .size = 5, .ptr = "types" } };
		kv[0].val = *types;
		types_only.via.map.size = 1;
		types_only.via.map.ptr = kv;
	} else if (rec->type == MSGPACK_OBJECT_MAP) {
		types_only.via.map.size = 0;
	}
	if (!dec_tables(&x->d, &types_only))
		return false;
#else
	if (!dec_tables(&x->d, rec))
		return false;
	const msgpack_object *root = mp_get(rec, "root");
	if (root) {
		struct node *r = dec_node(&x->d, root);
		if (x->err.set)
			return false;
		if (r) {
			x->has_root = true;
			x->root = (uint32_t)mp_uint(&x->err, root, "root");
		}
	}
#endif
	const msgpack_object *meta = mp_get(rec, "meta");
	if (meta) {
		if (!meta_decode(&x->d, meta, &x->meta))
			return false;
		x->has_meta = true;
	}
	return true;
}

static void encode(struct decoded *x, msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	struct codec_enc *e = enc_new();
	/* every node in table order keeps the node indices (post-order) */
	for (uint32_t i = 0; i < x->d.nnodes; i++)
		if (enc_node(e, x->d.nodes[i]) != i)
			abort();
	if (x->has_meta)
		meta_register_types(e, &x->meta);
	msgpack_pack_map(&pk, 2 + x->has_root + x->has_meta);
	enc_write_tables(e, &pk);
	if (x->has_root)
		mp_kv_uint(&pk, "root", x->root);
	if (x->has_meta)
		meta_encode(e, &pk, &x->meta);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_null)
		fuzz_null = fopen("/dev/null", "w");
	msgpack_unpacked up;
	msgpack_unpacked_init(&up);
	size_t off = 0;
	if (msgpack_unpack_next(&up, (const char *)data, size, &off) != MSGPACK_UNPACK_SUCCESS)
		goto out;
	struct decoded x1, x2;
	if (!decode(&up.data, &x1)) {
		fuzz_check_errmsg(x1.err.msg);
		goto out;
	}
	touch_tables(&x1.d);
	if (x1.has_meta)
		touch_meta(&x1.meta);

	/* round trip: enc(dec(input)) decodes, and re-encodes identically */
	msgpack_sbuffer s1, s2;
	msgpack_sbuffer_init(&s1);
	msgpack_sbuffer_init(&s2);
	encode(&x1, &s1);
	msgpack_unpacked up2;
	msgpack_unpacked_init(&up2);
	off = 0;
	if (msgpack_unpack_next(&up2, s1.data, s1.size, &off) != MSGPACK_UNPACK_SUCCESS)
		abort();
	if (!decode(&up2.data, &x2)) {
		fprintf(stderr, "re-encoded record refused: %s\n", x2.err.msg);
		abort();
	}
	encode(&x2, &s2);
	if (s1.size != s2.size || memcmp(s1.data, s2.data, s1.size) != 0) {
		fprintf(stderr, "re-encoding differs (%zu vs %zu bytes)\n", s1.size, s2.size);
		abort();
	}
	msgpack_unpacked_destroy(&up2);
	msgpack_sbuffer_destroy(&s1);
	msgpack_sbuffer_destroy(&s2);
out:
	msgpack_unpacked_destroy(&up);
	arena_free_all();
	return 0;
}
