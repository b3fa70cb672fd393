/* validate.c - refuse malformed ast trees (see validate.h) so that the
 * analysis can rely on node.h's slot table without checking every slot. */
#include "validate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"

#define MAX_DEPTH 2000
#define MAX_TYPE_DEPTH 64

/* Nodes already reached, one bit per entry of the decoded table (a node
 * knows its entry: n->enc_index - 1, see dec_next_record; every node of
 * the tree was decoded from the table). */
struct seen {
	const struct codec_dec *d;
	uint8_t *bits;
};

static bool seen_add(struct seen *s, const struct node *n)
{
	uint32_t i = n->enc_index - 1;
	if (!n->enc_index || i >= s->d->nnodes)
		return false;   /* not from the table: cannot happen */
	if (s->bits[i / 8] & (1u << (i % 8)))
		return false;
	s->bits[i / 8] |= (uint8_t)(1u << (i % 8));
	return true;
}

static bool is_expr(const struct node *n)
{
	return n && n->kind <= N_TUPLE;
}

static bool is_stmt(const struct node *n)
{
	return n && n->kind >= N_EXPR_STMT && n->kind <= N_JUMP;
}

static bool type_ok(const struct type *t, int depth)
{
	if (!t)
		return true;
	if (depth > MAX_TYPE_DEPTH || t->kind >= TY__COUNT)
		return false;
	if ((t->kind == TY_PTR || t->kind == TY_ARRAY) && !t->elem)
		return false;
	if (t->elem && !type_ok(t->elem, depth + 1))
		return false;
	for (uint32_t i = 0; i < t->nfields; i++)
		if (!t->fields[i].type || !type_ok(t->fields[i].type, depth + 1))
			return false;
	return true;
}

struct vstate {
	struct seen seen;
	const char *why;
};

static bool walk(struct vstate *v, struct node *n, int depth);

static bool list_of(struct vstate *v, const nodevec *l, bool (*pred)(const struct node *),
		    int depth, const char *what)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!pred(l->v[i])) {
			v->why = what;
			return false;
		}
		if (!walk(v, l->v[i], depth + 1))
			return false;
	}
	return true;
}

static bool is_probe(const struct node *n) { return n && n->kind == N_PROBE; }
static bool is_ap(const struct node *n) { return n && n->kind == N_ATTACH_POINT; }
static bool is_cfg_assign(const struct node *n) { return n && n->kind == N_ASSIGN_CONFIG; }

#define NEED(cond, msg) do { if (!(cond)) { v->why = (msg); return false; } } while (0)

static bool walk(struct vstate *v, struct node *n, int depth)
{
	NEED(depth < MAX_DEPTH, "tree nested too deeply");
	NEED(seen_add(&v->seen, n), "a node is referenced twice");
	NEED(!(node_slots[n->kind] & S_TYARG) || type_ok(n->ty_arg, 0), "malformed type operand");
	/* no pre-set types or ids in an ast */
	n->type = NULL;
	n->id = 0;
	if (node_slots[n->kind] & S_ID2)
		n->id2 = 0;
	const char *shape = node_shape_error(n);
	NEED(!shape, shape);
	switch (n->kind) {
	case N_INT: case N_PARAMCOUNT: case N_PARAM:
	case N_BINOP: case N_UNOP: case N_TERNARY: case N_INDEX:
	case N_EXPR_STMT: case N_ASSIGN_MAP: case N_ASSIGN_VAR:
	case N_IF: case N_WHILE: case N_JUMP: case N_PREDICATE:
		break;
	case N_STR:
		if (!n->str)
			n->str = "";
		break;
	case N_STACK_MODE: case N_IDENT: case N_BUILTIN: case N_CALL:
		NEED(n->str && n->str[0], "identifier without a name");
		break;
	case N_MAP:
		NEED(n->str && n->str[0] == '@', "map without a name");
		break;
	case N_VAR:
		NEED(n->str && n->str[0] == '$' && n->str[1], "variable without a name");
		break;
	case N_SIZEOF:
		NEED(n->ty_arg || is_expr(n->a), "sizeof without operand");
		break;
	case N_OFFSETOF:
		NEED((n->ty_arg || is_expr(n->a)) && n->str, "offsetof without operands");
		break;
	case N_FIELD:
		NEED(n->str || (n->flags & NF_TUPLE_INDEX), "malformed field access");
		break;
	case N_CAST:
		NEED(n->ty_arg, "malformed cast");
		break;
	case N_TUPLE:
		NEED(n->args.n >= 1, "empty tuple");
		break;
	case N_ASSIGN_CONFIG:
		NEED(n->str && is_expr(n->b), "malformed config assignment");
		break;
	case N_UNROLL:
		NEED(is_expr(n->a), "unroll count missing");
		break;
	case N_ATTACH_POINT:
		NEED(n->ap || n->str, "attach point without text");
		if (n->ap && !n->ap->raw) {   /* decoded ones are shared: a copy */
			struct attach_point *ap = arena_memdup(n->ap, sizeof *n->ap);
			ap->raw = n->str ? n->str : "";
			n->ap = ap;
		}
		break;
	case N_PROBE:
		NEED(n->args.n >= 1, "probe without attach points");
		NEED(!n->c || n->c->kind == N_PREDICATE, "malformed predicate");
		return list_of(v, &n->args, is_ap, depth, "malformed attach point") &&
		       (!n->c || walk(v, n->c, depth + 1)) &&
		       list_of(v, &n->body, is_stmt, depth, "malformed statement");
	case N_CONFIG:
		return list_of(v, &n->body, is_cfg_assign, depth, "malformed config block");
	case N_PROGRAM:
		NEED(depth == 0, "program node inside the tree");
		NEED(!n->c || n->c->kind == N_CONFIG, "malformed config block");
		return (!n->c || walk(v, n->c, depth + 1)) &&
		       list_of(v, &n->args, is_probe, depth, "malformed probe");
	default:
		NEED(false, "unknown node kind");
	}
	/* generic children: expressions in a/b/c and args; statements in bodies */
	for (int i = 0; i < 3; i++)
		if (node_kid(n, i) && !walk(v, node_kid(n, i), depth + 1))
			return false;
	return list_of(v, node_list(n, 0), is_expr, depth, "malformed argument") &&
	       list_of(v, node_list(n, 1), is_stmt, depth, "malformed statement") &&
	       list_of(v, node_list(n, 2), is_stmt, depth, "malformed statement");
}

const char *validate_tree(struct node *root, const struct codec_dec *d)
{
	struct vstate v = { .seen.d = d };
	if (root->kind != N_PROGRAM)
		return "root is not a program";
	v.seen.bits = calloc((size_t)d->nnodes / 8 + 1, 1);
	if (!v.seen.bits)
		return "out of memory";
	bool ok = walk(&v, root, 0);
	free(v.seen.bits);
	if (!ok)
		return v.why ? v.why : "malformed tree";
	if (root->args.n == 0)
		return "program without probes";
	return NULL;
}
