/* analyse.c - the semantic pass driver (the order is in check.h) and the
 * statement visitors: assignments, variables and their scoping, control
 * flow.  Expressions are in expr.c, calls in calls.c, maps in maps.c.
 *
 * Type inference is a fixpoint: all programs are visited repeatedly, each
 * visit refining variable and map types, until a pass changes nothing.
 * Then one final pass reports what is still wrong, assigns per-kind ids
 * in program order and rewrites the tree (casts, folded literals).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dump.h"

static void visit_stmts(struct check *c, nodevec *stmts);

#define MAX_PASSES 100

static void vdiag(struct check *c, enum diag_level lvl, struct loc loc,
		  const char *fmt, va_list ap)
{
	char buf[4096];
	vsnprintf(buf, sizeof buf, fmt, ap);
	diag_add(c->d, lvl, loc, "%s", buf);
}

void err(struct check *c, struct loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdiag(c, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
}

void err_final(struct check *c, struct loc loc, const char *fmt, ...)
{
	if (!c->final)
		return;
	va_list ap;
	va_start(ap, fmt);
	vdiag(c, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
}

void warn_final(struct check *c, struct loc loc, const char *fmt, ...)
{
	if (!c->final)
		return;
	va_list ap;
	va_start(ap, fmt);
	vdiag(c, DIAG_WARNING, loc, fmt, ap);
	va_end(ap);
}

void mark_changed(struct check *c)
{
	c->changed = true;
}

int errors_before_last_pass(const struct check *c)
{
	return c->d->errors - c->undefined_errors;
}

struct sys *check_sys(struct check *c)
{
	if (!c->sys) {
		c->sys = sys_open(c->o->sysroot, c->o->snapshot, c->o->pid);
		if (c->o->child_exe)
			sys_set_child_exe(c->sys, c->o->child_exe);
	}
	return c->sys;
}

/* Remember n's original form so --dump can show the tree bpftrace shows
 * (it folds these in codegen, we fold them here). */
void fold_record(struct check *c, struct node *n)
{
	/* Only --dump, the node count (-v, max_ast_nodes) and was_param
	 * (calls.c) look back: a copy of every folded node was a tenth of
	 * a big program's memory. */
	if (!c->o->dump && !c->o->verbose && !c->max_ast_nodes && n->kind != N_PARAM)
		return;
	struct node *orig = node_alloc();
	*orig = *n;
	VEC_PUSH(&c->folded, n);
	VEC_PUSH(&c->folded_orig, orig);
}

/* ---- variables ---- */

struct var *var_lookup(struct check *c, const char *name)
{
	for (size_t i = 0; i < c->cur->vars.n; i++)
		if (strcmp(c->cur->vars.v[i].name, name) == 0)
			return &c->cur->vars.v[i];
	return NULL;
}

static struct var *var_define(struct check *c, const char *name)
{
	struct var *v = var_lookup(c, name);
	if (v)
		return v;
	struct var nv = { name, NULL, (int)c->cur->vars.n };
	VEC_PUSH(&c->cur->vars, nv);
	return &c->cur->vars.v[c->cur->vars.n - 1];
}

/* Integers of another width/sign stored into a typed slot are converted
 * explicitly, so codegen never guesses. */
static void coerce_int(struct check *c, struct node **slot, struct type *to)
{
	struct type *t = (*slot)->type;
	if (!c->final || !type_is_int(t) || !type_is_int(to))
		return;
	if (t->bits == to->bits && t->is_signed == to->is_signed)
		return;
	*slot = wrap_cast(*slot, to);
	(*slot)->flags |= NF_CHECK_IMPLICIT;
}

static void visit_assign_var(struct check *c, struct node *n)
{
	struct node *var = n->a;
	struct var *v = var_lookup(c, var->str);
	if ((n->flags & NF_COMPOUND) && !v) {
		err(c, var->loc, "Undefined or undeclared variable: %s", var->str);
		return;
	}
	int before = errors_before_last_pass(c);
	if (n->b->kind == N_CALL)
		visit_call(c, n->b, CALL_VAR_RHS, NULL);
	else
		visit_expr(c, n->b);
	struct type *t = n->b->type;
	v = var_define(c, var->str);
	var->id = v->slot;
	var->type = v->type ? v->type : type_none();
	if (t->kind == TY_NONE) {
		if (c->final && errors_before_last_pass(c) == before) {
			if (!v->type)
				err(c, n->loc, "Undefined variable: %s", var->str);
			else
				err(c, n->loc,
				    "Type mismatch for %s: trying to assign value of type 'none' "
				    "when variable already contains a value of type '%s'",
				    var->str, type_str(v->type));
			err(c, n->b->loc, "Invalid expression for assignment: %s", type_str(t));
		}
		return;
	}
	if (type_is_aggregation(t)) {
		/* reported by the call check */
		return;
	}
	if (!v->type) {
		struct type *vt = type_clone(t);
		if (vt->kind == TY_INT && (n->b->kind == N_INT))
			vt = type_int(64, t->is_signed);
		v->type = vt;
		mark_changed(c);
	} else if (v->type->kind != t->kind ||
		   (t->kind == TY_RECORD && !type_equal(v->type, t))) {
		const char *have = type_str(v->type), *got = type_str(t);
		err(c, n->loc,
		    "Type mismatch for %s: trying to assign value of type '%s' when "
		    "variable already contains a value of type '%s'",
		    var->str, got, have);
		return;
	} else if ((t->kind == TY_STRING || t->kind == TY_BUFFER) &&
		   t->size > v->type->size) {
		struct type *g = type_clone(v->type);
		g->size = t->size;
		v->type = g;
		mark_changed(c);
	} else if (t->kind == TY_TUPLE) {
		struct type *m = tuple_merge(c, v->type, t, n->loc);
		if (m && m != v->type) {
			v->type = m;
			mark_changed(c);
		}
	} else if (t->kind == TY_ARRAY && !type_equal(v->type, t)) {
		err(c, n->loc, "Array type mismatch: %s != %s.", type_str(v->type),
		    type_str(t));
	}
	var->type = v->type;
	var->id = v->slot;
	coerce_int(c, &n->b, v->type);
}

/* ---- statements ---- */


/* if/while conditions: integers only (a call without a value, such as
 * exit() or delete(), is refused here, never left to codegen).  bpftrace
 * gives an if statement no location of its own: 1:1-1. */
static void visit_cond(struct check *c, struct node *stmt, struct node *cond,
		       const char *what)
{
	visit_expr(c, cond);
	struct type *t = cond->type;
	if (c->final && t->kind != TY_INT)
		err(c, stmt->loc, "Invalid condition in %s: %s", what, kind_str(t));
}

/* Predicates: integers or pointers. */
static void visit_pred(struct check *c, struct node *pred)
{
	visit_expr(c, pred->a);
	struct type *t = pred->a->type;
	if (c->final && t->kind != TY_INT && t->kind != TY_PTR)
		err(c, pred->loc, "Invalid type for predicate: %s", kind_str(t));
}

static void visit_stmt(struct check *c, struct node *s)
{
	switch (s->kind) {
	case N_EXPR_STMT:
		if (s->a->kind == N_CALL)
			visit_call(c, s->a, CALL_STMT, NULL);
		else
			visit_expr(c, s->a);
		break;
	case N_ASSIGN_MAP:
		visit_assign_map(c, s);
		break;
	case N_ASSIGN_VAR:
		visit_assign_var(c, s);
		break;
	case N_IF:
		visit_cond(c, s, s->c, "if()");
		visit_stmts(c, &s->body);
		visit_stmts(c, &s->orelse);
		break;
	case N_WHILE:
		visit_cond(c, s, s->c, "while()");
		c->loop_depth++;
		visit_stmts(c, &s->body);
		c->loop_depth--;
		break;
	case N_UNROLL: {
		visit_expr(c, s->a);
		int64_t v;
		if (!is_literal_int(s->a, &v)) {
			err(c, s->a->loc, "invalid unroll value");
		} else if (v > 100) {
			err(c, s->loc, "unroll maximum value is 100");
		} else if (v < 1) {
			err(c, s->loc, "unroll minimum value is 1");
		} else {
			s->num = v;
		}
		visit_stmts(c, &s->body);
		break;
	}
	case N_JUMP:
		if (s->op != JUMP_RETURN && c->loop_depth == 0)
			err(c, s->loc, "%s used outside of a loop", op_str(s->op));
		break;
	default:
		break;
	}
}

static void visit_stmts(struct check *c, nodevec *stmts)
{
	for (size_t i = 0; i < stmts->n; i++) {
		struct node *s = stmts->v[i];
		visit_stmt(c, s);
		if (s->kind == N_JUMP && i + 1 < stmts->n)
			warn_final(c, s->loc, "All code after a '%s' is unreachable.",
				   op_str(s->op));
	}
}

static void visit_prog(struct check *c, struct prog *p)
{
	c->cur = p;
	c->loop_depth = 0;
	struct node *probe = p->probe;
	if (probe->c)
		visit_pred(c, probe->c);
	visit_stmts(c, &probe->body);
	c->cur = NULL;
}

static void reset_ids(struct check *c)
{
	c->meta->printfs.n = c->meta->systems.n = c->meta->cats.n = 0;
	c->meta->time_fmts.n = c->meta->join_delims.n = 0;
	c->meta->strftime_fmts.n = c->meta->cgroup_filters.n = 0;
	c->meta->print_types.n = 0;
}

/* One pass over every program; returns true when it reported no error. */
static bool run_pass(struct check *c)
{
	int before = c->d->errors;
	c->changed = false;
	reset_ids(c);
	for (size_t i = 0; i < c->progs.n; i++)
		visit_prog(c, c->progs.v[i]);
	return c->d->errors == before;
}

bool check_program(struct check *c, struct node *program)
{
	c->prog_node = program;
	config_type_values(program);
	const char *defs = program->str ? program->str : "";
	/* --include alone still needs a compile; bpftrace then compiles a
	 * placeholder definition */
	if (!defs[0] && c->o->include_files.n)
		defs = "#define __BPFTRACE_DUMMY__\n";
	if (defs[0] && !cdefs_parse(c, defs))
		return false;
	if (!probes_expand(c, program))
		return false;
	for (c->pass = 1; c->pass <= MAX_PASSES; c->pass++) {
		if (!run_pass(c))
			return false;
		if (!c->changed)
			break;
	}
	if (c->pass > MAX_PASSES) {
		diag_add(c->d, DIAG_ERROR, (struct loc){ 0 },
			 "type inference did not converge after %d passes (bt-check bug)",
			 MAX_PASSES);
		return false;
	}
	c->final = true;
	if (!run_pass(c))
		return false;
	uint64_t nodes = c->o->verbose || c->max_ast_nodes ? count_nodes(c, program) : 0;
	if (c->o->verbose)
		diag_add(c->d, DIAG_INFO, (struct loc){ 0 }, "node count: %llu",
			 (unsigned long long)nodes);
	if (c->max_ast_nodes && nodes >= c->max_ast_nodes) {
		diag_add(c->d, DIAG_ERROR, (struct loc){ 0 },
			 "node count (%llu) exceeds the limit (%llu)",
			 (unsigned long long)nodes, (unsigned long long)c->max_ast_nodes);
		return false;
	}
	maps_build_meta(c);
	probes_build_meta(c);
	return c->d->errors == 0;
}
