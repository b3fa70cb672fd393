/* fold.c - compile-time values: positional parameters ($N, $#) and the
 * in-place folding of nodes into literals (docs/bpftrace-compat.md
 * "Positional parameters"; ir.md "Folded").  A folded node keeps its address
 * (parents need no update); its original form is recorded for --dump.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Integer with base 0 (42, 0x10, 010, -5), the whole string. */
static bool parse_int_base0(const char *s, int64_t *v)
{
	if (!s || !*s)
		return false;
	const char *p = s;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (*p < '0' || *p > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long u = strtoull(p, &end, 0);
	if (*end || errno)
		return false;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

/* Text of $idx; missing parameters read as "" (false). */
bool param_value(struct check *c, int idx, const char **s)
{
	if (idx >= 1 && idx <= c->nparams) {
		*s = c->params[idx - 1];
		return true;
	}
	*s = "";
	return false;
}

static void strip_children(struct node *n)
{
	node_clear_slots(n);
	n->op = OP_NONE;
}

/* n becomes the int literal v (of the type n has). */
static void make_int(struct node *n, int64_t v)
{
	strip_children(n);
	n->kind = N_INT;
	n->num = v;
	n->len = 0;
	n->id = 0;
}

void fold_int(struct check *c, struct node *n, int64_t v, struct type *t)
{
	n->type = t;
	fold_record(c, n);
	make_int(n, v);
	n->flags = NF_CHECK_FOLDED;
}

void fold_str(struct check *c, struct node *n, const char *s, uint32_t len)
{
	struct type *t = type_string(len + 1);
	n->type = t;
	fold_record(c, n);
	strip_children(n);
	n->kind = N_STR;
	n->str = arena_strndup(s, len);
	n->len = len;
	n->id = 0;
	n->flags = NF_CHECK_FOLDED;
}

void fold_param(struct check *c, struct node *n)
{
	if (n->kind == N_PARAMCOUNT) {
		if (c->in_str) {
			err_final(c, n->loc, "use $#, not str($#)");
			n->type = type_int(64, true);
			return;
		}
		fold_int(c, n, c->nparams, type_int(64, true));
		return;
	}
	n->type = type_int(64, true);
	if (n->num <= 0) {
		err(c, n->loc, "$%lld is not a valid parameter", (long long)n->num);
		return;
	}
	if (c->in_str)
		return; /* str() folds the text itself */
	const char *s;
	if (!param_value(c, (int)n->num, &s)) {
		fold_int(c, n, 0, type_int(64, true));
		return;
	}
	int64_t v;
	if (parse_int_base0(s, &v)) {
		fold_int(c, n, v, type_int(64, true));
		return;
	}
	err_final(c, n->loc, "$%lld used numerically but given \"%s\". Try using str($%lld).",
		  (long long)n->num, s, (long long)n->num);
}

/* ---- integer arithmetic on literals, after everything else ---- */

static bool is_int64(const struct type *t)
{
	return t && t->kind == TY_INT && t->bits == 64;
}

/* A 64-bit int literal whose value is known now: not one bt-codegen
 * relocates for the kernel it loads on (sizeof, offsetof of a kernel
 * record, a kernel enum constant: ty_arg / str set). */
static bool int64_literal(const struct node *n)
{
	return n && n->kind == N_INT && !n->ty_arg && !n->str && is_int64(n->type);
}

/* + - * of two 64-bit literals become one literal: what bt-codegen would
 * compute (two's complement wraps alike for both signednesses). */
static void fold_literal_arith(struct node *n, void *arg)
{
	(void)arg;
	if (n->kind != N_BINOP || !int64_literal(n->a) || !int64_literal(n->b) ||
	    !is_int64(n->type))
		return;
	uint64_t a = (uint64_t)n->a->num, b = (uint64_t)n->b->num, v;
	switch (n->op) {
	case OP_ADD: v = a + b; break;
	case OP_SUB: v = a - b; break;
	case OP_MUL: v = a * b; break;
	default: return;
	}
	make_int(n, (int64_t)v);
	n->flags = 0;   /* bt-check's own flags are cleared already */
}

void fold_arith(struct node *root)
{
	node_walk_post(root, fold_literal_arith, NULL);
}
