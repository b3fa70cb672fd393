/* irmut.c - test helper for tests/codegen.bats: structure-aware fuzzing
 * of bt-codegen.  Reads a valid `ir` stream, applies random semantic
 * mutations to the decoded tree and metadata (wrong types, ids out of
 * range, missing children, swapped kinds, odd sizes) and writes the
 * result: still well-formed msgpack, so it reaches the lowering code,
 * which must refuse it with one error line or compile it, never crash.
 * Not part of bt-codegen.
 *
 *   irmut SEED [COUNT] < in.ir > out.ir
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "meta.h"
#include "mp.h"

static unsigned long long rng;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return n ? (unsigned)((rng >> 33) % n) : 0;
}

/* n becomes a node of another kind, keeping the slots both kinds have
 * (a slot the new kind lacks may share storage with one it has). */
static void swap_kind(struct node *n, enum node_kind kind)
{
	struct node old = *n;
	unsigned both = node_slots[old.kind] & node_slots[kind];
	node_clear_slots(n);
	n->kind = (uint8_t)kind;
	if (both & S_A) n->a = old.a;
	if (both & S_B) n->b = old.b;
	if (both & S_C) n->c = old.c;
	if (both & S_ARGS) n->args = old.args;
	if (both & S_BODY) n->body = old.body;
	if (both & S_ELSE) n->orelse = old.orelse;
	if (both & S_STR) n->str = old.str;
	if (both & S_NUM) n->num = old.num;
	if (both & S_TYARG) n->ty_arg = old.ty_arg;
	if (both & S_AP) n->ap = old.ap;
	if (both & S_ID2) n->id2 = old.id2;
}

static void mutate(struct codec_dec *d, struct meta *m)
{
	if (!d->nnodes)
		return;
	struct node *n = d->nodes[rnd(d->nnodes)];
	unsigned slots = node_slots[n->kind];
	struct type *t = d->ntypes ? d->types[rnd(d->ntypes)] : NULL;
	switch (rnd(14)) {
	case 0: n->type = t; break;
	case 1: n->type = NULL; break;
	case 2: n->id = (int32_t)rnd(8) - 2; break;
	case 3: if (slots & S_ID2) n->id2 = (int32_t)rnd(8) - 2; break;
	case 4: if (slots & S_NUM) n->num = (int64_t)rnd(40) - 5; break;
	case 5: if ((slots & S_A) && (slots & S_B)) n->a = n->b; break;
	case 6: if ((slots & S_ARGS) && n->args.n) n->args.n--; break;
	case 7: n->op = (enum op)rnd(OP__COUNT); break;
	case 8: if (t) { t->size = rnd(600); } break;
	case 9: if (t) { t->kind = (enum type_kind)rnd(TY__COUNT); } break;
	case 10: if (slots & S_TYARG) n->ty_arg = t; break;
	case 11:
		if (m->maps.n) {
			struct meta_map *mm = &m->maps.v[rnd((unsigned)m->maps.n)];
			mm->key_size = rnd(64);
			if (t && rnd(2))
				mm->value = t;
		}
		break;
	case 12:
		if (m->printfs.n) {
			struct meta_fmt *f = &m->printfs.v[rnd((unsigned)m->printfs.n)];
			if (f->nargs && t)
				f->args[rnd(f->nargs)].type = t;
		}
		break;
	default:
		if (n->kind != N_PROGRAM && n->kind != N_PROBE)
			swap_kind(n, (enum node_kind)rnd(N_PROBE));
	}
}

int main(int argc, char **argv)
{
	rng = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
	int count = argc > 2 ? atoi(argv[2]) : 3;
	struct source src;
	struct mp_in in;
	if (!mp_in_open(&in, 0, "ir", &src))
		return 2;
	const msgpack_object *rec = mp_in_next(&in);
	if (!rec)
		return 2;
	struct mp_err err = { 0 };
	struct codec_dec d = { .err = &err };
	struct meta m;
	if (!dec_tables(&d, rec))
		return 2;
	struct node *root = dec_node(&d, mp_get(rec, "root"));
	if (!root || !meta_decode(&d, mp_get(rec, "meta"), &m))
		return 2;
	for (int i = 0; i < count; i++)
		mutate(&d, &m);
	ir_write(1, &src, root, &m);
	return 0;
}
