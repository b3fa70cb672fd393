/* stream_helper.c - input generator for tests/robustness.bats: deterministic
 * garbage and corruptions, and well-formed streams whose tables stand for
 * absurd trees (regression tests of the decoder's bounds, codec.c).
 *
 *   stream_helper random SEED LEN            LEN pseudo-random bytes
 *   stream_helper corrupt SEED [TAIL] < in > out
 *                                            one byte changed (offset and new
 *                                            value from SEED; only in the last
 *                                            TAIL bytes if given)
 *   stream_helper dag-nodes N < ir > ir      the first binop becomes a DAG
 *                                            x = x + x, N levels (2^N leaves)
 *   stream_helper deep-nodes N < ir > ir     ... a chain (((x+1)+1)...), N deep
 *   stream_helper dag-types N < ir > ir      + a tuple of two copies of the
 *                                            previous one, N levels
 *   stream_helper deep-types N < ir > ir     + a pointer chain N long
 *   stream_helper nodes-first 0 < ir > ir    "nodes" written before "types"
 *   stream_helper no-t FORMAT                a FORMAT stream with a record
 *                                            that has "data" but no "t"
 *
 * The ir transforms read a stream with one program record (types, nodes,
 * root, meta) and write it back with libcommon's encoder, which shares
 * the DAG's repeated subtrees as back references.  Built by the bats
 * suite against build/libcommon.a. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "codec.h"
#include "meta.h"
#include "mp.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64: the same sequence for a seed on every machine */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int die(const char *msg)
{
	fprintf(stderr, "stream_helper: %s\n", msg);
	return 2;
}

static unsigned char *read_all(size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	ssize_t r;
	while (buf && (r = read(0, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	*len = n;
	return buf;
}

static int cmd_random(uint64_t seed, size_t len)
{
	rng_state = seed;
	for (size_t i = 0; i < len; i++)
		putchar((int)(rng() & 0xff));
	return 0;
}

static int cmd_corrupt(uint64_t seed, size_t tail)
{
	size_t n;
	unsigned char *buf = read_all(&n);
	if (!buf || !n)
		return die("empty input");
	rng_state = seed;
	if (!tail || tail > n)
		tail = n;
	size_t off = n - tail + rng() % tail;
	unsigned char v = (unsigned char)rng();
	/* half of the time a value that matters to msgpack framing */
	static const unsigned char framing[] = { 0x00, 0xff, 0xc0, 0xc1, 0xc3, 0xcf,
						 0xd3, 0xdd, 0xdf, 0xdb, 0xc6, 0x7f,
						 0x80, 0x90, 0xa0, 0xbf };
	if (rng() & 1)
		v = framing[rng() % sizeof framing];
	if (v == buf[off])
		v ^= 0x01;
	buf[off] = v;
	fwrite(buf, 1, n, stdout);
	return 0;
}

/* ---- table transforms ---- */

struct prog {
	struct source src;
	struct codec_dec d;
	struct mp_err err;
	struct meta meta;
	struct node *root;
};

static const char *load_ir(struct prog *p)
{
	static struct mp_in in;
	memset(p, 0, sizeof *p);
	p->d.err = &p->err;
	if (!mp_in_open(&in, 0, "ir", &p->src))
		return in.errmsg;
	const msgpack_object *r = mp_in_next(&in);
	if (!r)
		return "no program record";
	if (!dec_tables(&p->d, r))
		return p->err.msg;
	p->root = dec_node(&p->d, mp_get(r, "root"));
	if (!p->root || !meta_decode(&p->d, mp_get(r, "meta"), &p->meta))
		return "bad program record";
	return NULL;
}

/* The two tables' key/value pairs, swapped: "nodes" then "types". */
static void write_tables_swapped(struct codec_enc *e, msgpack_packer *pk)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer tp;
	msgpack_packer_init(&tp, &sb, msgpack_sbuffer_write);
	enc_write_tables(e, &tp);
	struct mpr r;
	mpr_init_mem(&r, sb.data, sb.size, "ir");
	mpr_skip(&r);      /* "types" */
	mpr_skip(&r);      /* its table */
	size_t half = r.pos;
	msgpack_pack_str_body(pk, sb.data + half, sb.size - half);
	msgpack_pack_str_body(pk, sb.data, half);
	msgpack_sbuffer_destroy(&sb);
}

static void write_ir(struct prog *p, struct type *extra, bool nodes_first)
{
	struct mp_out *o = ARENA_NEW(struct mp_out);
	mp_out_init(o, 1);
	mp_write_header(o, "ir", &p->src, 0);
	struct codec_enc *e = enc_new();
	uint32_t root = enc_node(e, p->root);
	if (extra)
		enc_type(e, extra);
	meta_register_types(e, &p->meta);
	msgpack_pack_map(&o->pk, 5);
	mp_kv_str(&o->pk, "t", "program");
	if (nodes_first)
		write_tables_swapped(e, &o->pk);
	else
		enc_write_tables(e, &o->pk);
	mp_kv_uint(&o->pk, "root", root);
	meta_encode(e, &o->pk, &p->meta);
	mp_write_end(o);
	mp_out_flush(o);
}

/* The first binop reached from n (pre-order), and the slot holding it. */
static struct node **find_binop(struct node **slot)
{
	struct node *n = *slot;
	if (!n)
		return NULL;
	if (n->kind == N_BINOP)
		return slot;
	struct node **kids[3] = { &n->a, &n->b, &n->c };
	static const uint16_t kid_slot[3] = { S_A, S_B, S_C };
	for (int k = 0; k < 3; k++) {
		struct node **s = node_slots[n->kind] & kid_slot[k] ? find_binop(kids[k]) : NULL;
		if (s)
			return s;
	}
	nodevec *lists[3] = { &n->args, &n->body, &n->orelse };
	static const uint16_t list_slot[3] = { S_ARGS, S_BODY, S_ELSE };
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; (node_slots[n->kind] & list_slot[l]) && i < lists[l]->n; i++) {
			struct node **s = find_binop(&lists[l]->v[i]);
			if (s)
				return s;
		}
	return NULL;
}

static int cmd_transform(const char *what, long n)
{
	struct prog p;
	const char *err = load_ir(&p);
	if (err)
		return die(err);
	struct type *extra = NULL;
	if (!strcmp(what, "dag-nodes") || !strcmp(what, "deep-nodes")) {
		struct node **slot = find_binop(&p.root);
		if (!slot)
			return die("no binop in the program");
		struct node *x = *slot;
		for (long i = 0; i < n; i++) {
			struct node *rhs = x;
			if (!strcmp(what, "deep-nodes")) {
				rhs = node_int(1, x->loc);
				rhs->type = x->type;
			}
			struct node *b = node_binop(OP_ADD, x, rhs, x->loc);
			b->type = x->type;
			x = b;
		}
		*slot = x;
	} else if (!strcmp(what, "dag-types")) {
		struct type *t = type_int(64, true);
		for (long i = 0; i < n; i++) {
			struct type *two[2] = { t, t };
			t = type_tuple(two, 2);
		}
		extra = t;
	} else if (!strcmp(what, "deep-types")) {
		struct type *t = type_int(64, true);
		for (long i = 0; i < n; i++)
			t = type_ptr(t, AS_KERNEL);
		extra = t;
	} else if (strcmp(what, "nodes-first")) {
		return die("unknown command");
	}
	write_ir(&p, extra, !strcmp(what, "nodes-first"));
	return 0;
}

static int cmd_no_t(const char *format)
{
	struct mp_out *o = ARENA_NEW(struct mp_out);
	struct source src = { "stdin", "BEGIN { }" };
	mp_out_init(o, 1);
	mp_write_header(o, format, &src, 0);
	msgpack_pack_map(&o->pk, 1);
	mp_kv_bin(&o->pk, "data", "\x01\x02", 2);
	mp_write_end(o);
	mp_out_flush(o);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "random"))
		return cmd_random(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "corrupt"))
		return cmd_corrupt(strtoull(argv[2], NULL, 0),
				   argc == 4 ? strtoull(argv[3], NULL, 0) : 0);
	if (argc == 3 && !strcmp(argv[1], "no-t"))
		return cmd_no_t(argv[2]);
	if (argc == 3)
		return cmd_transform(argv[1], strtol(argv[2], NULL, 0));
	fprintf(stderr, "usage: stream_helper random SEED LEN | corrupt SEED [TAIL] | "
		"{dag,deep}-{nodes,types} N | no-t FORMAT\n");
	return 2;
}
