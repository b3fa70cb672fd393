/* expr.c - typing of expressions: literals, identifiers, builtins, operators,
 * field/array access, casts, tuples, sizeof/offsetof (builtins:
 * builtins.c).  Rules and messages:
 * docs/bpftrace-compat.md "Builtins", "Types", "Checker errors and
 * warnings".  Calls are in calls.c, maps in maps.c.  Every expression gets a
 * type (none on error).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

const char *kind_str(const struct type *t)
{
	if (!t)
		return "none";
	return t->kind == TY_INT ? "integer" : type_kind_name(t->kind);
}

/* These two make the same types on every pass: childless ones are shared
 * (type_shared), others cloned. */
struct type *type_with_as(struct type *t, enum addrspace as)
{
	if (!t || t->as == as)
		return t;
	struct type c = *t;
	c.as = (uint8_t)as;
	return type_shared(&c);
}

static struct type *with_ctx(struct type *t, bool ctx)
{
	if (!t || t->ctx == ctx)
		return t;
	struct type c = *t;
	c.ctx = ctx;
	return type_shared(&c);
}

bool is_literal_int(const struct node *n, int64_t *v)
{
	if (n->kind != N_INT)
		return false;
	if (v)
		*v = n->num;
	return true;
}

struct type *string_type(struct check *c)
{
	return type_string((uint32_t)c->meta->cfg.max_strlen);
}

struct node *wrap_cast(struct node *e, struct type *to)
{
	struct node *n = node_new(N_CAST, e->loc);
	n->ty_arg = to;
	n->type = to;
	n->a = e;
	return n;
}

enum addrspace probe_as(struct check *c)
{
	if (!c->cur)
		return AS_KERNEL;
	switch (c->cur->type) {
	case PT_KPROBE: case PT_KRETPROBE: case PT_KFUNC: case PT_KRETFUNC:
	case PT_TRACEPOINT: case PT_ITER: case PT_RAWTRACEPOINT:
		return AS_KERNEL;
	case PT_UPROBE: case PT_URETPROBE: case PT_USDT:
		return AS_USER;
	default:
		return AS_NONE;
	}
}

/* ---- named types: script definitions first, then BTF ---- */

struct type *lookup_named_type(struct check *c, const char *name)
{
	struct type *t = cdefs_type(c, name);
	if (t)
		return t;
	struct sys *s = check_sys(c);
	return s ? sys_kernel_type(s, name) : NULL;
}

/* A record known by name only becomes the full definition (or NULL). */
struct type *resolve_record(struct check *c, struct type *t)
{
	if (!t || t->kind != TY_RECORD)
		return t;
	if (!t->incomplete || t->nfields)
		return t;
	struct type *full = t->name ? lookup_named_type(c, t->name) : NULL;
	if (!full || full->kind != TY_RECORD)
		return NULL;
	if (full->as != t->as || full->ctx != t->ctx) {
		full = type_clone(full);
		full->as = t->as;
		full->ctx = t->ctx;
	}
	return full;
}

/* ---- literals and names ---- */

static void visit_string(struct check *c, struct node *n)
{
	n->type = type_shared(&(struct type){ .kind = TY_STRING, .size = n->len + 1 });
	if (!c->in_print_arg0 && !c->compile_time_func &&
	    n->len > c->meta->cfg.max_strlen - 1)
		err(c, n->loc, "String is too long (over %llu bytes): %s",
		    (unsigned long long)c->meta->cfg.max_strlen, n->str);
}

static void visit_ident(struct check *c, struct node *n)
{
	int64_t v;
	if (cdefs_constant(c, n->str, &v)) {
		fold_int(c, n, v, type_int(64, false));
		return;
	}
	uint64_t u;
	struct sys *s = check_sys(c);
	const char *et = NULL;
	if (s && sys_kernel_enum_value(s, n->str, &u, &et)) {
		const char *name = n->str;
		fold_int(c, n, (int64_t)u, type_int(64, false));
		if (et) {
			/* bt-codegen relocates the value (ir.md "Folded"); a
			 * type of its own (type_int()'s are shared) */
			struct type *e = type_new(TY_INT, 8);
			e->bits = 64;
			e->name = et;
			e->btf = true;
			n->ty_arg = e;
			n->str = name;
		}
		return;
	}
	n->type = type_none();
	err(c, n->loc, "Unknown identifier: '%s'", n->str);
}

/* ---- operators ---- */

static bool nonneg_literal(const struct node *n)
{
	int64_t v;
	return is_literal_int(n, &v) && v >= 0;
}

static void binop_int(struct check *c, struct node *n)
{
	struct node *l = n->a, *r = n->b;
	bool ls = l->type->is_signed, rs = r->type->is_signed;
	if (ls != rs) {
		if (ls && !rs && nonneg_literal(l)) {
			ls = false;
		} else if (!ls && rs && nonneg_literal(r)) {
			rs = false;
		} else if (op_is_comparison(n->op)) {
			warn_final(c, n->loc,
				   "comparison of integers of different signs: '%s' and '%s' "
				   "can lead to undefined behavior",
				   type_str(l->type), type_str(r->type));
		} else if (n->op >= OP_ADD && n->op <= OP_MOD) {
			warn_final(c, n->loc,
				   "arithmetic on integers of different signs: '%s' and '%s' "
				   "can lead to undefined behavior",
				   type_str(l->type), type_str(r->type));
		}
	}
	if (n->op == OP_DIV || n->op == OP_MOD) {
		if (ls && nonneg_literal(l))
			ls = false;
		if (rs && nonneg_literal(r))
			rs = false;
		if (ls || rs)
			warn_final(c, n->loc,
				   "signed operands for '%s' can lead to undefined behavior "
				   "(cast to unsigned to silence warning)", op_str(n->op));
	}
}

/* The address space an integer result inherits: the left operand's,
 * else the right one's; two different ones give none (and a warning). */
static enum addrspace binop_as(struct check *c, struct node *n)
{
	enum addrspace l = (enum addrspace)n->a->type->as, r = (enum addrspace)n->b->type->as;
	if (l != r && l != AS_NONE && r != AS_NONE) {
		warn_final(c, n->loc, "Addrspace mismatch");
		return AS_NONE;
	}
	return l != AS_NONE ? l : r;
}

static void binop_array(struct check *c, struct node *n)
{
	struct type *l = n->a->type, *r = n->b->type;
	if (n->op != OP_EQ && n->op != OP_NE)
		err_final(c, n->a->loc, "The %s operator cannot be used on arrays.",
			  op_str(n->op));
	if (l->count != r->count)
		err_final(c, n->a->loc, "Only arrays of same size support comparison operators.");
	if (l->elem->kind != TY_INT || !type_equal(l, r))
		err_final(c, n->a->loc,
			  "Only arrays of same sized integer support comparison operators.");
	n->type = type_int(64, false);
}

static void binop_ptr(struct check *c, struct node *n)
{
	struct type *lt = n->a->type, *rt = n->b->type;
	bool left_ptr = lt->kind == TY_PTR;
	struct type *ptr = left_ptr ? lt : rt, *other = left_ptr ? rt : lt;
	bool compare = op_is_comparison(n->op);
	bool logical = n->op == OP_LAND || n->op == OP_LOR;
	bool bad = false;
	n->type = type_none();
	if (other->kind == TY_PTR) {
		if (compare) {
			n->type = type_int(64, false);
			if (!type_equal(lt->elem, rt->elem))
				warn_final(c, loc_span(n->a->loc, n->b->loc),
					   "comparison of distinct pointer types ('%s, '%s')",
					   type_str(lt->elem), type_str(rt->elem));
		} else if (logical) {
			n->type = type_int(64, false);
		} else {
			bad = true;
		}
	} else if (other->kind == TY_INT) {
		if (n->op == OP_SUB && !left_ptr)
			bad = true;
		else if (n->op == OP_ADD || n->op == OP_SUB)
			n->type = ptr;
		else if (compare || logical)
			n->type = type_int(64, false);
		else
			bad = true;
	} else if (other->kind == TY_NONE) {
		bad = c->final;
	} else {
		bad = true;
	}
	if (bad)
		err(c, n->loc, "The %s operator can not be used on expressions of types %s, %s",
		    op_str(n->op), type_str(lt), type_str(rt));
}

/* Inside str(): $N + k / k + $N skips k characters of the parameter. */
static bool visit_str_param_binop(struct check *c, struct node *n)
{
	struct node *pos = n->a->kind == N_PARAM ? n->a : n->b->kind == N_PARAM ? n->b : NULL;
	if (!pos || !c->in_str)
		return false;
	struct node *other = pos == n->a ? n->b : n->a;
	const char *s;
	param_value(c, (int)pos->num, &s);
	int64_t k;
	visit_expr(c, other);
	size_t len = strlen(s);
	if (n->op != OP_ADD || !is_literal_int(other, &k) || k < 0 || (uint64_t)k > len) {
		err(c, loc_span(n->loc, n->b->loc),
		    "only addition of a single constant less or equal to the length of "
		    "$%lld (which is %zu) is allowed inside str()",
		    (long long)pos->num, len);
		n->type = type_none();
		return true;
	}
	fold_str(c, n, s + k, (uint32_t)(len - (size_t)k));
	return true;
}

static void visit_binop(struct check *c, struct node *n)
{
	if (visit_str_param_binop(c, n))
		return;
	visit_expr(c, n->a);
	visit_expr(c, n->b);
	struct type *lt = n->a->type, *rt = n->b->type;
	bool ls = lt->is_signed && lt->kind == TY_INT;
	bool rs = rt->is_signed && rt->kind == TY_INT;
	bool is_signed = (n->op == OP_SHL || n->op == OP_SHR) ? ls : ls && rs;
	n->type = type_int(64, is_signed);
	if (lt->kind == TY_NONE || rt->kind == TY_NONE) {
		/* unknown yet (a map typed later): no type, no map defined */
		if (!c->final) {
			n->type = type_none();
			return;
		}
		if (lt->kind == TY_PTR || rt->kind == TY_PTR) {
			n->type = type_none();
			binop_ptr(c, n);
			return;
		}
		/* still none (exit(), an undefined map): bpftrace's mismatch
		 * error; the result stays an integer, as in bpftrace */
		if (lt->kind != rt->kind)
			err(c, loc_span(n->a->loc, n->b->loc),
			    "Type mismatch for '%s': comparing '%s' with '%s'",
			    op_str(n->op), type_str(lt), type_str(rt));
		else
			err(c, n->loc, "The %s operator can not be used on expressions of types %s, %s",
			    op_str(n->op), type_str(lt), type_str(rt));
		return;
	}
	if (lt->kind == TY_INT && rt->kind == TY_INT) {
		binop_int(c, n);
		n->type = type_with_as(n->type, binop_as(c, n));
	} else if (lt->kind == TY_ARRAY && rt->kind == TY_ARRAY) {
		binop_array(c, n);
	} else if (lt->kind == TY_PTR || rt->kind == TY_PTR) {
		binop_ptr(c, n);
	} else if (lt->kind != rt->kind) {
		err(c, loc_span(n->a->loc, n->b->loc),
		    "Type mismatch for '%s': comparing '%s' with '%s'",
		    op_str(n->op), type_str(lt), type_str(rt));
	} else if (n->op != OP_EQ && n->op != OP_NE) {
		err(c, n->loc, "The %s operator can not be used on expressions of types %s, %s",
		    op_str(n->op), type_str(lt), type_str(rt));
	} else if (lt->kind == TY_STRING) {
		struct node *lit = n->a->kind == N_STR ? n->a : n->b->kind == N_STR ? n->b : NULL;
		struct node *other = lit == n->a ? n->b : n->a;
		if (lit && other->kind != N_STR && lit->len + 1 > other->type->size)
			warn_final(c, loc_span(n->a->loc, n->b->loc),
				   "The literal is longer than the variable string (size=%u), "
				   "condition will always be false", other->type->size);
		n->type = type_int(64, false);
	} else if (!type_equal(lt, rt) && lt->kind == TY_TUPLE) {
		err(c, loc_span(n->a->loc, n->b->loc),
		    "Type mismatch for '%s': comparing '%s' with '%s'",
		    op_str(n->op), type_str(lt), type_str(rt));
	}
}

static bool visit_incdec(struct check *c, struct node *n)
{
	struct node *e = n->a;
	if (e->kind == N_MAP) {
		struct mapinfo *m = map_get(c, e->str);
		if (!m->value) {
			m->value = type_int(64, true);
			m->assigned = true;
			mark_changed(c);
		}
		m->assigned = true;
	} else if (e->kind == N_VAR) {
		struct var *v = var_lookup(c, e->str);
		if (!v) {
			err(c, e->loc, "Undefined or undeclared variable: %s", e->str);
			return false;
		}
	} else {
		err(c, n->loc, "The %s operator must be applied to a map or variable",
		    op_str(n->op));
	}
	return true;
}

static void visit_unop(struct check *c, struct node *n)
{
	bool incdec = n->op == OP_INC || n->op == OP_DEC;
	if (incdec && !visit_incdec(c, n)) {
		n->type = type_none();
		return;
	}
	visit_expr(c, n->a);
	struct type *t = n->a->type;
	bool ptr_ok = incdec || n->op == OP_DEREF;
	if (t->kind == TY_NONE) {
		n->type = type_none();
		if (c->final) {
			err(c, n->loc, "The %s operator can not be used on expressions of type '%s'",
			    op_str(n->op), type_str(t));
			if (n->op != OP_DEREF)
				n->type = type_int(64, false);
		}
		return;
	}
	bool deref_record = n->op == OP_DEREF && t->kind == TY_RECORD;
	if (t->kind != TY_INT && !((t->kind == TY_PTR || t->ctx) && ptr_ok) && !deref_record) {
		if (c->final)
			err(c, n->loc, "The %s operator can not be used on expressions of type '%s'",
			    op_str(n->op), type_str(t));
		n->type = type_none();
		return;
	}
	if (n->op == OP_DEREF) {
		if (t->kind == TY_PTR) {
			struct type *e = t->elem;
			if (e->kind == TY_RECORD) {
				struct type *full = resolve_record(c, e);
				if (!full) {
					err_final(c, n->loc, "Unknown struct/union: '%s'", e->name);
					n->type = type_none();
					return;
				}
				e = full;
			}
			e = with_ctx(type_with_as(e, (enum addrspace)t->as), t->ctx);
			n->type = e;
		} else if (t->kind == TY_RECORD) {
			if (t->ctx)
				n->type = t;
			else
				err(c, n->loc,
				    "Can not dereference struct/union of type '%s'. It is not a pointer.",
				    t->name);
		} else {
			n->type = type_int(64, false);
		}
	} else if (n->op == OP_LNOT) {
		uint32_t sz = t->size;
		if (sz != 1 && sz != 2 && sz != 4 && sz != 8)
			err(c, n->loc, "The %s operator can not be used on expressions of type '%s'",
			    op_str(n->op), type_str(t));
		n->type = type_int(sz ? (int)sz * 8 : 8, false);
	} else if (t->kind == TY_PTR && ptr_ok) {
		n->type = t;
	} else {
		n->type = type_int(64, t->is_signed);
	}
	if (!n->type)
		n->type = type_none();
}

static void visit_ternary(struct check *c, struct node *n)
{
	visit_expr(c, n->c);
	visit_expr(c, n->a);
	visit_expr(c, n->b);
	struct type *ct = n->c->type, *lt = n->a->type, *rt = n->b->type;
	if (c->final) {
		if (lt->kind != rt->kind)
			err(c, n->loc,
			    "Ternary operator must return the same type: have '%s' and '%s'",
			    kind_str(lt), kind_str(rt));
		if (ct->kind != TY_INT)
			err(c, n->loc, "Invalid condition in ternary: %s", kind_str(ct));
	}
	if (lt->kind == TY_STRING)
		n->type = string_type(c);
	else if (lt->kind == TY_INT)
		n->type = type_int(64, lt->is_signed);
	else if (lt->kind == TY_NONE)
		n->type = type_none();
	else {
		err(c, n->loc, "Ternary return type unsupported %s", kind_str(lt));
		n->type = type_none();
	}
}

/* ---- field / index access ---- */

/* A context field the program reads whose place CO-RE cannot relocate:
 * a tracepoint format field (a __data_loc field is its 4-byte
 * descriptor) or a kfunc argument slot.  Recorded per attach point so
 * that bt-load can check the target (meta.target). */
void note_ctx_field(struct check *c, const struct field *f, bool data_loc)
{
	if (!c->cur)
		return;
	uint32_t size = data_loc ? 4 : (f->type ? f->type->size : 0);
	for (size_t i = 0; i < c->cur->aps.n; i++) {
		const struct attach_point *ap = c->cur->aps.v[i];
		const char *name = arena_printf("%s:%s", ap->target ? ap->target : "vmlinux",
						ap->func);
		if (ap->provider == PT_TRACEPOINT)
			meta_target_add_field(&c->meta->target.tracepoints, name, f->name,
					      f->offset, size);
		else if (ap->provider == PT_KFUNC || ap->provider == PT_KRETFUNC)
			meta_target_add_field(&c->meta->target.kfuncs, name, f->name,
					      f->offset, size);
	}
}

static void visit_field(struct check *c, struct node *n)
{
	visit_expr(c, n->a);
	struct type *t = n->a->type;
	n->type = type_none();
	bool tuple_idx = n->flags & NF_TUPLE_INDEX;
	if (t->kind == TY_PTR) {
		err(c, n->loc,
		    "Can not access field '%s' on type '%s'. Try dereferencing it first, or using '->'",
		    tuple_idx ? arena_printf("%lld", (long long)n->num) : n->str, type_str(t));
		return;
	}
	if (t->kind != TY_RECORD && t->kind != TY_TUPLE) {
		if (c->final && t->kind != TY_NONE) {
			if (tuple_idx)
				err(c, n->loc, "Can not access index %lld on expression of type '%s'",
				    (long long)n->num, type_str(t));
			else
				err(c, n->loc, "Can not access field '%s' on expression of type '%s'",
				    n->str, type_str(t));
		} else if (c->final && n->a->kind != N_MAP && n->a->kind != N_VAR) {
			/* error already reported for the operand */
		}
		return;
	}
	if (t->kind == TY_TUPLE) {
		if (!tuple_idx) {
			err(c, n->loc, "Can not access field '%s' on expression of type '%s'",
			    n->str, type_str(t));
			return;
		}
		if (n->num < 0 || (uint64_t)n->num >= t->nfields) {
			err(c, n->loc, "Invalid tuple index: %lld. Found %u elements in tuple.",
			    (long long)n->num, t->nfields);
			return;
		}
		n->type = t->fields[n->num].type;
		if (c->final) {
			/* ir: num = offset, id = element index */
			fold_record(c, n);
			n->id = (int32_t)n->num;
			n->num = t->fields[n->id].offset;
		}
		return;
	}
	if (tuple_idx) {
		err(c, n->loc, "Can not access index %lld on expression of type '%s'",
		    (long long)n->num, type_str(t));
		return;
	}
	struct type *rec = resolve_record(c, t);
	if (!rec) {
		err(c, n->loc, "Unknown struct/union: '%s'", t->name);
		return;
	}
	if (t->is_funcarg) {
		const struct field *f = type_field(rec, n->str);
		if (!f) {
			err(c, n->loc, "Can't find function parameter %s", n->str);
			return;
		}
		n->type = type_with_as(f->type, (enum addrspace)t->as);
		n->num = f->offset;
		n->id = (int32_t)(f - rec->fields);
		if (c->final)
			note_ctx_field(c, f, false);
		return;
	}
	const struct field *f = type_field(rec, n->str);
	if (!f) {
		err(c, n->loc, "Struct/union of type '%s' does not contain a field named '%s'",
		    rec->name, n->str);
		return;
	}
	struct type *ft = f->type;
	if (t->ctx && (ft->kind == TY_ARRAY || ft->kind == TY_RECORD))
		ft = with_ctx(ft, true);
	ft = type_with_as(ft, (enum addrspace)t->as);
	n->type = ft;
	n->num = f->offset;
	n->id = (int32_t)(f - rec->fields);
	if (t->is_tparg) {
		if (f->offset < 8)
			err(c, n->loc, "BPF does not support accessing common tracepoint fields");
		if (c->sys && sys_tracepoint_data_loc(c->sys, rec, n->str))
			n->id2 = 1;
		if (c->final)
			note_ctx_field(c, f, n->id2 == 1);
	}
}

static void visit_index(struct check *c, struct node *n)
{
	visit_expr(c, n->a);
	visit_expr(c, n->b);
	struct type *t = n->a->type, *it = n->b->type;
	n->type = type_none();
	if (c->final) {
		if (t->kind != TY_ARRAY && t->kind != TY_PTR) {
			err(c, n->loc,
			    "The array index operator [] can only be used on arrays and pointers, found %s.",
			    kind_str(t));
			return;
		}
		if (t->kind == TY_PTR) {
			struct type *e = t->elem;
			if (e->kind == TY_RECORD)
				e = resolve_record(c, e);
			if (!e || e->size == 0)
				err(c, n->loc,
				    "The array index operator [] cannot be used on a pointer to an unsized type (void *).");
		}
		int64_t idx;
		if (it->kind == TY_INT && is_literal_int(n->b, &idx)) {
			if (t->kind == TY_ARRAY && t->count && (uint64_t)idx >= t->count)
				err(c, n->loc, "the index %lld is out of bounds for array of size %u",
				    (long long)idx, t->count);
		} else if (t->kind == TY_ARRAY) {
			err(c, n->loc, "The array index operator [] only accepts literal integer indices.");
		}
	}
	struct type *e = NULL;
	if (t->kind == TY_ARRAY || t->kind == TY_PTR)
		e = t->elem;
	if (!e)
		return;
	if (e->kind == TY_RECORD && t->kind == TY_PTR) {
		struct type *full = resolve_record(c, e);
		if (full)
			e = full;
	}
	e = type_with_as(e, (enum addrspace)t->as);
	if (t->ctx)
		e = with_ctx(e, true);
	n->type = e;
}

/* ---- casts ---- */

static bool castable_map_type(const struct type *t)
{
	return t->kind == TY_COUNT || t->kind == TY_SUM || t->kind == TY_MIN ||
	       t->kind == TY_MAX || t->kind == TY_AVG;
}

/* A pointer type whose (innermost) record pointee is the full definition,
 * not the name-only stub a cast names: p + n scales by its size. */
static struct type *with_resolved_pointee(struct check *c, struct type *to)
{
	if (to->kind != TY_PTR || !to->elem)
		return to;
	struct type *elem = to->elem;
	struct type *full = elem->kind == TY_PTR ? with_resolved_pointee(c, elem)
						  : resolve_record(c, elem);
	if (!full || full == elem)
		return to;
	struct type *t = type_clone(to);
	t->elem = full;
	return t;
}

static void visit_cast(struct check *c, struct node *n)
{
	visit_expr(c, n->a);
	struct type *rhs = n->a->type;
	struct type *to = n->ty_arg;
	n->type = type_none();
	if (rhs->kind == TY_RECORD)
		err(c, n->loc, "Cannot cast from struct type \"%s\"", type_str(rhs));
	else if (rhs->kind == TY_NONE) {
		if (c->final)
			err(c, n->loc, "Cannot cast from \"%s\" type", type_str(rhs));
		return;
	}
	/* the target (or what it points to) must be a known type, first */
	const struct type *inner = to;
	while (inner->kind == TY_PTR && inner->elem)
		inner = inner->elem;
	if (inner->kind == TY_RECORD && !(inner->name && !strcmp(inner->name, "void")) &&
	    !resolve_record(c, (struct type *)inner))
		err(c, n->loc, "Cannot resolve unknown type \"%s\"", inner->name);
	bool int_array = to->kind == TY_ARRAY && to->elem->kind == TY_INT;
	if (to->kind != TY_INT && to->kind != TY_PTR && !int_array) {
		err(c, n->loc, "Cannot cast to \"%s\"", type_str(to));
		return;
	}
	if (to->kind == TY_ARRAY) {
		if (to->elem->bits == 1) {
			err(c, n->loc, "Bit arrays are not supported");
			return;
		}
		if (to->count == 0) {
			if (to->elem->size == 0) {
				err(c, n->loc, "Could not determine size of the array");
				return;
			}
			if (rhs->size % to->elem->size != 0)
				err(c, n->loc,
				    "Cannot determine array size: the element size is incompatible "
				    "with the cast integer size");
			to = type_array(to->elem, rhs->size / to->elem->size);
			n->ty_arg = to;
		}
	}
	if ((to->kind == TY_INT && rhs->kind != TY_INT && rhs->kind != TY_PTR &&
	     !rhs->ctx && rhs->kind != TY_ARRAY && !castable_map_type(rhs)) ||
	    (to->kind == TY_ARRAY && (rhs->kind != TY_INT || to->size != rhs->size)) ||
	    (rhs->kind == TY_ARRAY && (to->kind != TY_INT || to->size != rhs->size))) {
		err(c, n->loc, "Cannot cast from \"%s\" to \"%s\"", type_str(rhs), type_str(to));
		return;
	}
	struct type *t = type_clone(with_resolved_pointee(c, to));
	if (rhs->ctx && to->kind != TY_INT)
		t->ctx = true;
	enum addrspace as = (enum addrspace)rhs->as;
	if (as == AS_NONE && to->kind == TY_PTR)
		as = probe_as(c);
	t->as = (uint8_t)as;
	n->type = t;
}

/* ---- tuples, sizeof, offsetof ---- */

static void visit_tuple(struct check *c, struct node *n)
{
	struct type **elems = ARENA_ARRAY(struct type *, n->args.n);
	n->type = type_none();
	bool ok = true;
	for (size_t i = 0; i < n->args.n; i++) {
		struct node *e = n->args.v[i];
		visit_expr(c, e);
		elems[i] = e->type;
		if (e->type->kind == TY_NONE)
			ok = false;
	}
	if (ok)
		n->type = type_tuple(elems, (uint32_t)n->args.n);
}

/* The type an identifier names in sizeof()/offsetof(). */
static struct type *ident_type(struct check *c, const char *name)
{
	static const struct { const char *name; int bits; bool sgn; } ints[] = {
		{ "bool", 1, false }, { "int8", 8, true }, { "int16", 16, true },
		{ "int32", 32, true }, { "int64", 64, true }, { "uint8", 8, false },
		{ "uint16", 16, false }, { "uint32", 32, false }, { "uint64", 64, false },
	};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		if (strcmp(ints[i].name, name) == 0)
			return type_int(ints[i].bits, ints[i].sgn);
	return lookup_named_type(c, name);
}

static void visit_sizeof(struct check *c, struct node *n)
{
	struct type *t = n->ty_arg;
	if (!t && n->a->kind == N_IDENT && (t = ident_type(c, n->a->str))) {
		n->a->type = t;
	} else if (!t) {
		visit_expr(c, n->a);
		t = n->a->type;
	}
	if (t->kind == TY_RECORD) {
		struct type *full = resolve_record(c, t);
		if (!full) {
			err(c, n->loc, "Cannot resolve unknown type \"%s\"", t->name);
			n->type = type_none();
			return;
		}
		t = full;
	}
	n->type = type_int(64, false);
	if (c->final) {
		fold_int(c, n, t->size, type_int(64, false));
		if (t->kind == TY_RECORD && t->btf)
			n->ty_arg = t; /* bt-codegen relocates it (ir.md) */
	}
}

static void visit_offsetof(struct check *c, struct node *n)
{
	struct type *t = n->ty_arg;
	if (!t && n->a->kind == N_IDENT) {
		t = lookup_named_type(c, n->a->str);
		if (!t) {
			err(c, n->loc, "'%s' does not exist.", n->a->str);
			n->type = type_none();
			return;
		}
	} else if (!t) {
		visit_expr(c, n->a);
		t = n->a->type;
	}
	n->type = type_none();
	if (t->kind != TY_RECORD) {
		err(c, n->loc, "offsetof() 1st argument is not of a record type.");
		return;
	}
	struct type *full = resolve_record(c, t);
	if (!full) {
		err(c, n->loc, "'%s' does not exist.", t->name);
		return;
	}
	const struct field *f = type_field(full, n->str);
	if (!f) {
		err(c, n->loc, "'%s' has no field named '%s'", full->name, n->str);
		return;
	}
	n->type = type_int(64, false);
	if (c->final) {
		fold_int(c, n, f->offset, type_int(64, false));
		if (full->btf) { /* bt-codegen relocates it (ir.md) */
			n->ty_arg = full;
			n->str = f->name;
		}
	}
}

/* ---- dispatch ---- */

void visit_expr(struct check *c, struct node *n)
{
	if (n->flags & NF_CHECK_FOLDED)
		return;
	n->type = NULL;
	switch (n->kind) {
	case N_INT:
		n->type = type_int(64, true);
		break;
	case N_STR:
		visit_string(c, n);
		break;
	case N_STACK_MODE:
		n->type = type_new(TY_STACK_MODE, 0);
		if (strcmp(n->str, "bpftrace") && strcmp(n->str, "perf") && strcmp(n->str, "raw"))
			err(c, n->loc, "Unknown stack mode: '%s'", n->str);
		break;
	case N_IDENT:
		visit_ident(c, n);
		break;
	case N_BUILTIN:
		visit_builtin(c, n);
		break;
	case N_PARAM: case N_PARAMCOUNT:
		fold_param(c, n);
		break;
	case N_CALL:
		visit_call(c, n, CALL_EXPR, NULL);
		break;
	case N_SIZEOF:
		visit_sizeof(c, n);
		break;
	case N_OFFSETOF:
		visit_offsetof(c, n);
		break;
	case N_MAP:
		visit_map(c, n);
		break;
	case N_VAR: {
		struct var *v = var_lookup(c, n->str);
		if (!v) {
			err(c, n->loc, "Undefined or undeclared variable: %s", n->str);
			n->type = type_none();
		} else {
			/* declared; its type may still be unknown in early passes */
			n->type = v->type ? v->type : type_none();
			n->id = v->slot;
		}
		break;
	}
	case N_BINOP:
		visit_binop(c, n);
		break;
	case N_UNOP:
		visit_unop(c, n);
		break;
	case N_TERNARY:
		visit_ternary(c, n);
		break;
	case N_FIELD:
		visit_field(c, n);
		break;
	case N_INDEX:
		visit_index(c, n);
		break;
	case N_CAST:
		visit_cast(c, n);
		break;
	case N_TUPLE:
		visit_tuple(c, n);
		break;
	default:
		n->type = type_none();
	}
	if (!n->type)
		n->type = type_none();
}
