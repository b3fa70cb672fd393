/* validate.c - what bt-codegen relies on in its input, checked before
 * lowering so that a corrupt (yet well-formed msgpack) ir stream is
 * refused with one error line instead of crashing the lowering code:
 * expression nodes carry types, nodes have the children their kind needs,
 * calls have their arguments, ids index what they name, types have sane
 * sizes, the tree is not absurdly deep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "validate.h"

#define MAX_DEPTH 2100  /* above bt-parse's nesting limit of 2000 */
#define MAX_TYPE_SIZE (1u << 20)
#define MAX_STRING_SIZE (1u << 13)
#define MAX_VARS 65536

struct vstate {
	const struct meta *meta;
	char *err;
	size_t errlen;
	bool failed;
};

static void bad(struct vstate *v, const struct node *n, const char *what)
{
	if (v->failed)
		return;
	v->failed = true;
	snprintf(v->err, v->errlen, "corrupt ir stream (%s node at %d:%d: %s)",
		 node_kind_name(n->kind), n->loc.line, n->loc.col, what);
}

static bool is_expr(enum node_kind k)
{
	return k >= N_INT && k <= N_TUPLE && k != N_STACK_MODE && k != N_IDENT;
}

/* Byte strings are built in BPF memory, and LLVM's DAG combiner takes
 * minutes on absurd ones (fuzz: crashes/bt-codegen-3.bin): a value over
 * MAX_STRING_SIZE is refused.  A format string (the first argument of
 * printf, system, cat, debugf) is not a value: it only goes into the
 * metadata, whatever its length (ir-spec/ir.md, "Limits"). */
static bool big_string(const struct type *t, int depth)
{
	if (!t || depth > 16)
		return false;
	if ((t->kind == TY_STRING || t->kind == TY_BUFFER) && t->size > MAX_STRING_SIZE)
		return true;
	if (t->kind == TY_TUPLE || t->kind == TY_ARRAY)
		for (uint32_t i = 0; i < t->nfields; i++)
			if (big_string(t->fields[i].type, depth + 1))
				return true;
	return t->kind == TY_ARRAY && big_string(t->elem, depth + 1);
}

static bool is_format_call(const struct node *n)
{
	return n->kind == N_CALL && n->args.n &&
	       (n->id == F_PRINTF || n->id == F_SYSTEM || n->id == F_CAT || n->id == F_DEBUGF);
}

/* One type on its own; its element and field types are entries of the
 * same table, checked in their turn. */
static bool type_ok(const struct type *t)
{
	if (!t)
		return true;
	if ((unsigned)t->kind >= TY__COUNT || t->size > MAX_TYPE_SIZE)
		return false;
	if (t->kind == TY_INT && t->bits != 1 && t->bits != 8 && t->bits != 16 && t->bits != 32 &&
	    t->bits != 64)
		return false;
	/* tuples are ours: fields inside; records come from the kernel (a
	 * tracepoint's __data_loc field is typed int64 over 4 bytes) */
	if ((t->kind == TY_TUPLE || t->kind == TY_RECORD) && !t->incomplete)
		for (uint32_t i = 0; i < t->nfields; i++) {
			const struct field *f = &t->fields[i];
			if (!f->type)
				return false;
			uint64_t end = (uint64_t)f->offset + (t->kind == TY_TUPLE ? f->type->size : 0);
			if (end > t->size || f->bit_offset + f->bit_width > 64)
				return false;
		}
	if ((t->kind == TY_ARRAY || t->kind == TY_PTR) && !t->elem)
		return false;
	return true;
}

static void check_node(struct vstate *v, const struct node *n)
{
	if (is_expr(n->kind) && !n->type) {
		bad(v, n, "no type");
		return;
	}
	const char *shape = node_shape_error(n);
	if (shape) {
		bad(v, n, shape);
		return;
	}
	switch (n->kind) {
	case N_FIELD:
		if (!n->a->type)
			bad(v, n, "record");
		break;
	case N_INDEX:
		if (!n->a->type || !n->b->type)
			bad(v, n, "operands");
		break;
	case N_UNROLL:
		if (n->num < 0 || n->num > 1000)
			bad(v, n, "count");
		break;
	case N_CALL:
		if (n->id <= F_NONE || n->id >= F__COUNT)
			bad(v, n, "unknown function");
		else if (n->args.n < func_min_args((enum func)n->id))
			bad(v, n, "too few arguments");
		break;
	case N_BUILTIN:
		if (n->id <= B_NONE || n->id >= B__COUNT)
			bad(v, n, "unknown builtin");
		break;
	case N_MAP:
		if (n->id < 0 || (size_t)n->id >= v->meta->maps.n)
			bad(v, n, "map id");
		break;
	case N_VAR:
		if (n->id < 0 || n->id >= MAX_VARS)
			bad(v, n, "variable slot");
		break;
	case N_PROBE:
		if (n->num < 0 || (size_t)n->num >= v->meta->probes.n)
			bad(v, n, "probe index");
		break;
	default:
		break;
	}
}

/* Children before parents in d->nodes: depth in one pass, no recursion. */
bool cg_validate(const struct codec_dec *d, const struct meta *m, struct node *root, char *err,
		 size_t errlen)
{
	struct vstate v = { .meta = m, .err = err, .errlen = errlen };
	for (uint32_t i = 0; i < d->ntypes; i++)
		if (!type_ok(d->types[i])) {
			snprintf(err, errlen, "corrupt ir stream (type %u)", i);
			return false;
		}
	/* malloc'ed: freed for LLVM to use (3 bytes a node) */
	uint16_t *depth = calloc(d->nnodes + 1, sizeof *depth);
	bool *format = calloc(d->nnodes + 1, sizeof *format);
	if (!depth || !format) {
		free(depth);
		free(format);
		snprintf(err, errlen, "out of memory");
		return false;
	}
	for (uint32_t i = 0; i < d->nnodes; i++)
		d->nodes[i]->enc_index = i;
	for (uint32_t i = 0; i < d->nnodes; i++)
		if (is_format_call(d->nodes[i]))
			format[d->nodes[i]->args.v[0]->enc_index] = true;
	for (uint32_t i = 0; i < d->nnodes && !v.failed; i++) {
		struct node *n = d->nodes[i];
		unsigned dp = 0;
		for (int k = 0; k < 3; k++)
			if (node_kid(n, k) && depth[node_kid(n, k)->enc_index] > dp)
				dp = depth[node_kid(n, k)->enc_index];
		const nodevec *lists[3] = { node_list(n, 0), node_list(n, 1), node_list(n, 2) };
		for (int l = 0; l < 3; l++)
			for (size_t k = 0; k < lists[l]->n; k++)
				if (depth[lists[l]->v[k]->enc_index] > dp)
					dp = depth[lists[l]->v[k]->enc_index];
		if (dp + 1 > MAX_DEPTH) {
			bad(&v, n, "tree too deep");
			break;
		}
		depth[i] = (uint16_t)(dp + 1);
		check_node(&v, n);
		if (!v.failed && !format[i] && big_string(n->type, 0))
			bad(&v, n, "string value over the size limit");
	}
	free(depth);
	free(format);
	for (size_t i = 0; i < m->maps.n && !v.failed; i++) {
		const struct meta_map *mm = &m->maps.v[i];
		uint64_t ks = 0;
		for (uint32_t k = 0; k < mm->nkeys; k++)
			ks += mm->keys[k]->size;
		bool big = big_string(mm->value, 0);
		for (uint32_t k = 0; k < mm->nkeys; k++)
			big = big || big_string(mm->keys[k], 0);
		if (mm->key_size > MAX_TYPE_SIZE || ks > mm->key_size || big) {
			v.failed = true;
			snprintf(err, errlen, "corrupt ir stream (map %s metadata)", mm->name);
		}
	}
	for (size_t i = 0; i < m->printfs.n && !v.failed; i++)
		if (m->printfs.v[i].size > MAX_TYPE_SIZE) {
			v.failed = true;
			snprintf(err, errlen, "corrupt ir stream (printf %zu metadata)", i);
		}
	(void)root;
	return !v.failed;
}
