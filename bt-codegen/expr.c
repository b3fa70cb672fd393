/* expr.c - expression dispatch and the integer family: literals,
 * arithmetic, comparisons, logic with short-circuit, unary operators,
 * ternaries of every type, tuples and casts.
 *
 * Integer rules (docs/bpftrace-compat.md "Integer arithmetic"): operands are
 * i64 normalised by their own signedness; <, <=, >, >= compare signed only
 * when both operands are signed; / and % are unsigned; >> is logical; the
 * result is normalised to the node's type.  Casts truncate, then extend by the
 * destination's signedness.
 */
#include <string.h>

#include "cg.h"

LLVMValueRef cg_const(struct cg *cg, uint64_t v)
{
	return LLVMConstInt(cg->t_i64, v, 0);
}

LLVMValueRef cg_const32(struct cg *cg, uint32_t v)
{
	return LLVMConstInt(cg->t_i32, v, 0);
}

struct val val_int(LLVMValueRef v, struct type *t)
{
	return (struct val){ .k = VK_INT, .v = v, .ty = t };
}

struct val val_mem(LLVMValueRef p, struct type *t)
{
	return (struct val){ .k = VK_MEM, .v = p, .ty = t };
}

struct val val_none(void)
{
	return (struct val){ .k = VK_NONE };
}

LLVMValueRef cg_normalize(struct cg *cg, LLVMValueRef v, const struct type *t)
{
	if (LLVMTypeOf(v) != cg->t_i64)
		v = LLVMBuildZExt(cg->b, v, cg->t_i64, "");
	if (!t || t->kind != TY_INT)
		return v;
	if (t->bits == 1)
		return LLVMBuildZExt(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, v, cg_const(cg, 0), ""),
				     cg->t_i64, "");
	if (t->bits == 0 || t->bits >= 64)
		return v;
	LLVMTypeRef nt = LLVMIntTypeInContext(cg->ctx, t->bits);
	LLVMValueRef x = LLVMBuildTrunc(cg->b, v, nt, "");
	return t->is_signed ? LLVMBuildSExt(cg->b, x, cg->t_i64, "")
			    : LLVMBuildZExt(cg->b, x, cg->t_i64, "");
}

LLVMValueRef cg_int(struct cg *cg, struct node *n)
{
	struct val v = cg_expr(cg, n);
	if (v.k == VK_INT)
		return v.v;
	if ((v.k == VK_MEM || v.k == VK_EXT) && v.ty && v.ty->size <= 8 && v.ty->size) {
		/* small byte arrays used as integers (e.g. casts) */
		struct type t = { .kind = TY_INT, .size = v.ty->size, .bits = (uint8_t)(v.ty->size * 8) };
		return cg_load_at(cg, v, 0, &t).v;
	}
	if (v.k == VK_MEM)
		return LLVMBuildPtrToInt(cg->b, v.v, cg->t_i64, "");
	if (v.k == VK_EXT)
		return v.v;
	cg_fail(cg, "expression of type %s used as an integer", type_str(n->type));
	return cg_const(cg, 0);
}

LLVMValueRef cg_cond(struct cg *cg, struct node *n)
{
	LLVMValueRef v = cg_int(cg, n);
	return LLVMBuildICmp(cg->b, LLVMIntNE, v, cg_const(cg, 0), "");
}

/* ---- binary operators ---- */

static uint32_t pointee_size(const struct type *t)
{
	if (!t || t->kind != TY_PTR || !t->elem || !t->elem->size)
		return 1;
	return t->elem->size;
}

LLVMValueRef cg_binop_int(struct cg *cg, enum op op, LLVMValueRef l, LLVMValueRef r,
			  bool is_signed, struct type *lt, struct type *rt)
{
	LLVMBuilderRef b = cg->b;
	LLVMIntPredicate p;
	switch (op) {
	case OP_EQ: p = LLVMIntEQ; goto cmp;
	case OP_NE: p = LLVMIntNE; goto cmp;
	case OP_LT: p = is_signed ? LLVMIntSLT : LLVMIntULT; goto cmp;
	case OP_LE: p = is_signed ? LLVMIntSLE : LLVMIntULE; goto cmp;
	case OP_GT: p = is_signed ? LLVMIntSGT : LLVMIntUGT; goto cmp;
	case OP_GE: p = is_signed ? LLVMIntSGE : LLVMIntUGE; goto cmp;
	case OP_ADD:
		if (lt && lt->kind == TY_PTR && !(rt && rt->kind == TY_PTR))
			r = LLVMBuildMul(b, r, cg_const(cg, pointee_size(lt)), "");
		else if (rt && rt->kind == TY_PTR && !(lt && lt->kind == TY_PTR))
			l = LLVMBuildMul(b, l, cg_const(cg, pointee_size(rt)), "");
		return LLVMBuildAdd(b, l, r, "");
	case OP_SUB:
		if (lt && lt->kind == TY_PTR && !(rt && rt->kind == TY_PTR))
			r = LLVMBuildMul(b, r, cg_const(cg, pointee_size(lt)), "");
		return LLVMBuildSub(b, l, r, "");
	case OP_MUL: return LLVMBuildMul(b, l, r, "");
	case OP_DIV:
	case OP_MOD:
		/* BPF defines x/0 = 0 and x%0 = x; LLVM calls it undefined, so
		 * keep a constant zero divisor away from it */
		if (LLVMIsAConstantInt(r) && LLVMConstIntGetZExtValue(r) == 0)
			return op == OP_DIV ? cg_const(cg, 0) : l;
		return op == OP_DIV ? LLVMBuildUDiv(b, l, r, "") : LLVMBuildURem(b, l, r, "");
	case OP_SHL:
	case OP_SHR:
		/* BPF masks the shift amount; LLVM would make >= 64 poison */
		r = LLVMBuildAnd(b, r, cg_const(cg, 63), "");
		return op == OP_SHL ? LLVMBuildShl(b, l, r, "") : LLVMBuildLShr(b, l, r, "");
	case OP_BAND: return LLVMBuildAnd(b, l, r, "");
	case OP_BOR: return LLVMBuildOr(b, l, r, "");
	case OP_BXOR: return LLVMBuildXor(b, l, r, "");
	default:
		cg_fail(cg, "internal error: operator %s on integers", op_str(op));
		return cg_const(cg, 0);
	}
cmp:
	return LLVMBuildZExt(b, LLVMBuildICmp(b, p, l, r, ""), cg->t_i64, "");
}

static LLVMValueRef logic(struct cg *cg, struct node *n)
{
	bool is_and = n->op == OP_LAND;
	LLVMValueRef l = cg_cond(cg, n->a);
	LLVMBasicBlockRef from = LLVMGetInsertBlock(cg->b);
	LLVMBasicBlockRef rhs = cg_block(cg, is_and ? "and_rhs" : "or_rhs");
	LLVMBasicBlockRef done = cg_block(cg, is_and ? "and_done" : "or_done");
	if (is_and)
		LLVMBuildCondBr(cg->b, l, rhs, done);
	else
		LLVMBuildCondBr(cg->b, l, done, rhs);
	LLVMPositionBuilderAtEnd(cg->b, rhs);
	LLVMValueRef r = cg_cond(cg, n->b);
	LLVMBasicBlockRef rhs_end = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->t_i1, "");
	LLVMValueRef vals[2] = { LLVMConstInt(cg->t_i1, is_and ? 0 : 1, 0), r };
	LLVMBasicBlockRef bbs[2] = { from, rhs_end };
	LLVMAddIncoming(phi, vals, bbs, 2);
	return LLVMBuildZExt(cg->b, phi, cg->t_i64, "");
}

static bool is_bytes_type(const struct type *t)
{
	return t && (type_is_byte_array(t) || t->kind == TY_ARRAY);
}

static struct val binop(struct cg *cg, struct node *n)
{
	if (n->op == OP_LAND || n->op == OP_LOR)
		return val_int(logic(cg, n), n->type);
	struct type *lt = n->a->type, *rt = n->b->type;
	if ((n->op == OP_EQ || n->op == OP_NE) && (is_bytes_type(lt) || is_bytes_type(rt)))
		return val_int(cg_str_cmp(cg, n->a, n->b, n->op == OP_EQ), n->type);
	LLVMValueRef l = cg_int(cg, n->a);
	LLVMValueRef r = cg_int(cg, n->b);
	bool is_signed = lt && rt && lt->kind == TY_INT && rt->kind == TY_INT && lt->is_signed &&
			 rt->is_signed;
	LLVMValueRef v = cg_binop_int(cg, n->op, l, r, is_signed, lt, rt);
	return val_int(cg_normalize(cg, v, n->type), n->type);
}

/* ---- unary operators ---- */

static struct val incdec(struct cg *cg, struct node *n)
{
	struct node *t = n->a;
	bool post = n->flags & NF_POSTFIX;
	if (t->kind == N_MAP)
		return cg_map_incdec(cg, n);
	if (t->kind != N_VAR) {
		cg_fail(cg, "%s on something that is neither a map nor a variable", op_str(n->op));
		return val_int(cg_const(cg, 0), n->type);
	}
	struct val old = cg_var_read(cg, t);
	/* pointers step by their pointee's size */
	LLVMValueRef one = cg_const(cg, pointee_size(t->type));
	LLVMValueRef nv = n->op == OP_INC ? LLVMBuildAdd(cg->b, old.v, one, "")
					  : LLVMBuildSub(cg->b, old.v, one, "");
	nv = cg_normalize(cg, nv, t->type);
	cg_var_write(cg, t, val_int(nv, t->type));
	return val_int(post ? old.v : nv, n->type ? n->type : t->type);
}

static struct val unop(struct cg *cg, struct node *n)
{
	switch (n->op) {
	case OP_LNOT: {
		LLVMValueRef v = cg_int(cg, n->a);
		LLVMValueRef z = LLVMBuildICmp(cg->b, LLVMIntEQ, v, cg_const(cg, 0), "");
		return val_int(LLVMBuildZExt(cg->b, z, cg->t_i64, ""), n->type);
	}
	case OP_BNOT:
		return val_int(cg_normalize(cg, LLVMBuildNot(cg->b, cg_int(cg, n->a), ""), n->type),
			       n->type);
	case OP_NEG:
		return val_int(cg_normalize(cg, LLVMBuildNeg(cg->b, cg_int(cg, n->a), ""), n->type),
			       n->type);
	case OP_DEREF:
		return cg_deref(cg, n);
	case OP_INC:
	case OP_DEC:
		return incdec(cg, n);
	default:
		cg_fail(cg, "internal error: unary operator %s", op_str(n->op));
		return val_int(cg_const(cg, 0), n->type);
	}
}

/* ---- ternary ---- */

static bool scalar_kind(const struct type *t)
{
	return t && !type_is_aggregate(t) && t->kind != TY_NONE;
}

/* Both arms as i64 (scalars, or addresses of records held by reference). */
static LLVMValueRef phi2(struct cg *cg, LLVMValueRef a, LLVMBasicBlockRef ab, LLVMValueRef b,
			 LLVMBasicBlockRef bb)
{
	LLVMValueRef phi = LLVMBuildPhi(cg->b, LLVMTypeOf(a), "");
	LLVMValueRef vals[2] = { a, b };
	LLVMBasicBlockRef bbs[2] = { ab, bb };
	LLVMAddIncoming(phi, vals, bbs, 2);
	return phi;
}

static struct val ternary(struct cg *cg, struct node *n)
{
	struct type *t = n->type;
	bool none = !t || t->kind == TY_NONE;
	bool by_addr = t && t->kind == TY_RECORD;
	LLVMValueRef c = cg_cond(cg, n->c);
	/* aggregates: both arms write one buffer of the result type */
	LLVMValueRef res = NULL;
	if (!none && !by_addr && !scalar_kind(t))
		res = cg_alloc(cg, t->size);
	LLVMBasicBlockRef tb = cg_block(cg, "tern_true"), fb = cg_block(cg, "tern_false"),
			  done = cg_block(cg, "tern_done");
	LLVMBuildCondBr(cg->b, c, tb, fb);
	LLVMValueRef av = NULL, bv = NULL;
	LLVMPositionBuilderAtEnd(cg->b, tb);
	if (none)
		cg_expr(cg, n->a);
	else if (res)
		cg_expr_into(cg, n->a, res, t);
	else
		av = by_addr ? cg_int(cg, n->a) : cg_normalize(cg, cg_int(cg, n->a), t);
	LLVMBasicBlockRef ta = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, fb);
	if (none)
		cg_expr(cg, n->b);
	else if (res)
		cg_expr_into(cg, n->b, res, t);
	else
		bv = by_addr ? cg_int(cg, n->b) : cg_normalize(cg, cg_int(cg, n->b), t);
	LLVMBasicBlockRef fa = LLVMGetInsertBlock(cg->b);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	if (none)
		return val_none();
	if (res)
		return val_mem(res, t);
	LLVMValueRef v = phi2(cg, av, ta, bv, fa);
	if (by_addr)
		return (struct val){ .k = VK_EXT, .v = v, .ty = t, .as = t->as };
	return val_int(v, t);
}

/* ---- tuples ---- */

static void tuple_into(struct cg *cg, struct node *n, LLVMValueRef dst, struct type *dt)
{
	cg_memset0(cg, dst, dt->size);
	for (size_t i = 0; i < n->args.n && i < dt->nfields; i++)
		cg_expr_into(cg, n->args.v[i], cg_gep(cg, dst, dt->fields[i].offset),
			     dt->fields[i].type);
}

static struct val tuple(struct cg *cg, struct node *n)
{
	LLVMValueRef p = cg_alloc(cg, n->type->size);
	tuple_into(cg, n, p, n->type);
	return val_mem(p, n->type);
}

/* ---- casts ---- */

static struct val cast(struct cg *cg, struct node *n)
{
	struct type *to = n->type ? n->type : n->ty_arg;
	struct type *from = n->a->type;
	if (!to)
		return cg_expr(cg, n->a);
	if (to->kind == TY_INT || to->kind == TY_PTR) {
		if (from && (from->kind == TY_ARRAY || type_is_byte_array(from))) {
			struct val v = cg_expr(cg, n->a);
			struct type it = { .kind = TY_INT, .size = to->size, .bits = to->bits,
					   .is_signed = to->is_signed };
			struct val r = cg_load_at(cg, v, 0, &it);
			return val_int(cg_normalize(cg, r.v, to), to);
		}
		LLVMValueRef v = cg_int(cg, n->a);
		if (to->kind == TY_INT && from && from->kind == TY_INT && from->bits &&
		    from->bits < to->bits && from->bits != 1) {
			/* widening extends by the destination's signedness */
			LLVMTypeRef nt = LLVMIntTypeInContext(cg->ctx, from->bits);
			LLVMValueRef x = LLVMBuildTrunc(cg->b, v, nt, "");
			v = to->is_signed ? LLVMBuildSExt(cg->b, x, cg->t_i64, "")
					  : LLVMBuildZExt(cg->b, x, cg->t_i64, "");
		}
		return val_int(cg_normalize(cg, v, to), to);
	}
	if (to->kind == TY_ARRAY) {
		if (from && (from->kind == TY_INT || from->kind == TY_PTR)) {
			LLVMValueRef p = cg_alloc(cg, to->size);
			cg_memset0(cg, p, to->size);
			cg_store_int(cg, p, cg_int(cg, n->a), from->size < to->size ? from->size : to->size);
			return val_mem(p, to);
		}
		struct val v = cg_expr(cg, n->a);
		v.ty = to;
		return v;
	}
	struct val v = cg_expr(cg, n->a);
	v.ty = to;
	if (v.k == VK_EXT && to->as)
		v.as = to->as;
	return v;
}

/* ---- dispatch ---- */

struct val cg_expr(struct cg *cg, struct node *n)
{
	struct node *saved = cg->cur;
	cg->cur = n;
	struct val v;
	switch (n->kind) {
	case N_INT:
		/* offsetof/sizeof of a kernel record: relocated (core.c) */
		if (cg_core_record(n->ty_arg))
			v = val_int(n->str ? cg_core_offsetof(cg, n->ty_arg, n->str)
					   : cg_core_sizeof(cg, n->ty_arg), n->type);
		else if (n->str && cg_core_enum(n->ty_arg))
			v = val_int(cg_normalize(cg, cg_core_enum_value(cg, n->ty_arg, n->str,
									n->num), n->type),
				    n->type);
		else
			v = val_int(cg_normalize(cg, cg_iconst(cg, (uint64_t)n->num), n->type),
				    n->type);
		break;
	case N_STR: v = cg_str_literal(cg, n); break;
	case N_BUILTIN: v = cg_builtin(cg, n); break;
	case N_CALL: v = cg_call(cg, n); break;
	case N_MAP: v = cg_map_read(cg, n); break;
	case N_VAR: v = cg_var_read(cg, n); break;
	case N_BINOP: v = binop(cg, n); break;
	case N_UNOP: v = unop(cg, n); break;
	case N_TERNARY: v = ternary(cg, n); break;
	case N_FIELD: v = cg_field(cg, n); break;
	case N_INDEX: v = cg_index(cg, n); break;
	case N_CAST: v = cast(cg, n); break;
	case N_TUPLE: v = tuple(cg, n); break;
	case N_SIZEOF:
		v = val_int(cg_const(cg, n->ty_arg ? n->ty_arg->size
					   : n->a && n->a->type ? n->a->type->size : 0), n->type);
		break;
	case N_OFFSETOF: {
		/* normally folded by bt-check */
		const struct type *rt = n->ty_arg ? n->ty_arg : n->a ? n->a->type : NULL;
		const struct field *f = rt && n->str ? type_field(rt, n->str) : NULL;
		v = val_int(cg_const(cg, f ? f->offset : 0), n->type);
		break;
	}
	case N_STACK_MODE:
	case N_IDENT:
		v = val_none();
		break;
	default:
		cg_fail(cg, "cannot lower a %s node (not resolved by bt-check?)",
			node_kind_name(n->kind));
		v = val_int(cg_const(cg, 0), n->type);
	}
	cg->cur = saved;
	return v;
}

void cg_expr_into(struct cg *cg, struct node *n, LLVMValueRef dst, struct type *dt)
{
	cg_expr_into_z(cg, n, dst, dt, false);
}

void cg_expr_into_z(struct cg *cg, struct node *n, LLVMValueRef dst, struct type *dt,
		    bool zeroed)
{
	struct node *saved = cg->cur;
	cg->cur = n;
	if (n->kind == N_STR && dt->kind == TY_STRING) {
		cg_str_literal_into(cg, n, dst, dt->size, 1);
	} else if (n->kind == N_CALL && n->id == F_STR && dt->kind == TY_STRING) {
		cg_str_call_into(cg, n, dst, dt->size, zeroed);
	} else if (n->kind == N_TUPLE && dt->kind == TY_TUPLE && dt->nfields == n->args.n) {
		tuple_into(cg, n, dst, dt);
	} else if (n->kind == N_BUILTIN && n->id == B_COMM && dt->kind == TY_STRING) {
		cg_builtin_into(cg, n, dst, dt);
	} else {
		struct val v = cg_expr(cg, n);
		cg_store_val(cg, dst, dt, v);
	}
	cg->cur = saved;
}
