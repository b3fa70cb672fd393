/* stmt.c - statements and scratch variables: expression statements,
 * map and variable assignments, if/else, while with break/continue,
 * unroll (the body repeated), return.
 *
 * Variables ($x, one slot per id and probe): integers and other scalars
 * in an i64 alloca, their value kept in SSA within a block; strings, tuples,
 * buffers and arrays as bytes in a permanent frame/scratch slot; records
 * by reference (the address, as bpftrace stores them), or as bytes when
 * they come from a map value.  Every slot starts zeroed so that a path
 * that reads a variable its branch did not assign reads zero.
 */
#include <string.h>

#include "cg.h"

static bool scalar(const struct type *t)
{
	return t && !type_is_aggregate(t) && t->kind != TY_NONE;
}

void cg_vars_init(struct cg *cg)
{
	struct cg_fn *fn = cg->fn;
	for (uint32_t i = 0; i < fn->nvars; i++) {
		struct cg_var *v = &fn->vars[i];
		struct type *t = v->type;
		if (!t || t->kind == TY_NONE)
			continue;
		if (scalar(t) && cg->o->stack_level >= 2) {
			/* last resort against spills: scalars in scratch too */
			v->mode = VAR_INT;
			v->slot = cg_alloc_perm(cg, 8);
			cg_store_int(cg, v->slot, cg_const(cg, 0), 8);
		} else if (scalar(t)) {
			v->mode = VAR_INT;
			v->slot = cg_entry_alloca(cg, cg->t_i64, "var");
			LLVMBuildStore(fn->ab, cg_const(cg, 0), v->slot);
		} else if (t->kind != TY_RECORD) {
			v->mode = VAR_BYTES;
			v->slot = cg_alloc_perm(cg, t->size);
			cg_memset0_al(cg, v->slot, (t->size + 7) & ~7u, 8);
		}
	}
}

struct cg_var *cg_var(struct cg *cg, struct node *var)
{
	static struct cg_var none;
	if (var->id < 0 || (uint32_t)var->id >= cg->fn->nvars) {
		cg_fail(cg, "variable %s has no slot", var->str ? var->str : "?");
		return &none;
	}
	return &cg->fn->vars[var->id];
}

/* First assignment of a record variable decides how it is held. */
static void record_mode(struct cg *cg, struct cg_var *v, struct val x)
{
	struct cg_fn *fn = cg->fn;
	if (x.k == VK_EXT || x.k == VK_INT) {
		v->mode = VAR_EXTREF;
		v->as = x.as;
		v->slot = cg_entry_alloca(cg, cg->t_i64, "var_ref");
		LLVMBuildStore(fn->ab, cg_const(cg, 0), v->slot);
	} else if (x.k == VK_MEM && x.ctx) {
		v->mode = VAR_MEMREF;
		v->ctx = true;
		v->slot = cg_entry_alloca(cg, cg->t_ptr, "var_ref");
		LLVMBuildStore(fn->ab, fn->ctx, v->slot);
	} else {
		v->mode = VAR_BYTES;
		LLVMValueRef a = LLVMBuildAlloca(fn->ab, LLVMArrayType(cg->t_i8, v->type->size), "var");
		LLVMSetAlignment(a, 8);
		v->slot = a;
	}
}

/* Scalar variables (VAR_INT, VAR_EXTREF, VAR_MEMREF) are in their slot
 * between basic blocks only.  Within a block, a read after a read or a
 * write gets the SSA value itself, and the last write is stored once, at
 * the end of its block (before its terminator): the slot's address never
 * escapes, so nothing else can tell.  A long body then costs LLVM no
 * load and store per statement (mem2reg would remove them at O2, after
 * holding them all), and constants fold as the code is built:
 * `$x = 0; $x = $x + 3;` is one store of 3.  Not at stack level 2, whose
 * integers are in scratch so that LLVM has fewer values to spill. */
static bool in_ssa(struct cg *cg, const struct cg_var *v)
{
	return v->mode != VAR_INT || cg->o->stack_level < 2;
}

static void var_flush(struct cg *cg, struct cg_var *v)
{
	if (!v->dirty)
		return;
	v->dirty = false;
	LLVMValueRef term = LLVMGetBasicBlockTerminator(v->bb);
	if (!term && v->bb == LLVMGetInsertBlock(cg->b)) {
		LLVMBuildStore(cg->b, v->val, v->slot);
		return;
	}
	LLVMBuilderRef b = LLVMCreateBuilderInContext(cg->ctx);
	if (term)
		LLVMPositionBuilderBefore(b, term);
	else
		LLVMPositionBuilderAtEnd(b, v->bb);
	LLVMBuildStore(b, v->val, v->slot);
	LLVMDisposeBuilder(b);
}

static LLVMValueRef scalar_get(struct cg *cg, struct cg_var *v, LLVMTypeRef t)
{
	LLVMBasicBlockRef bb = LLVMGetInsertBlock(cg->b);
	if (!in_ssa(cg, v))
		return LLVMBuildLoad2(cg->b, t, v->slot, "");
	if (v->val && v->bb == bb)
		return v->val;
	var_flush(cg, v);
	v->val = LLVMBuildLoad2(cg->b, t, v->slot, "");
	v->bb = bb;
	return v->val;
}

static void scalar_set(struct cg *cg, struct cg_var *v, LLVMValueRef x, LLVMTypeRef t)
{
	LLVMBasicBlockRef bb = LLVMGetInsertBlock(cg->b);
	if (v->bb != bb)
		var_flush(cg, v);
	if (!in_ssa(cg, v) || LLVMTypeOf(x) != t) {
		/* not the slot's type: stored as it is, read back by loads */
		v->dirty = false;
		v->val = NULL;
		LLVMBuildStore(cg->b, x, v->slot);
		return;
	}
	v->val = x;
	v->bb = bb;
	v->dirty = true;
}

void cg_vars_flush(struct cg *cg)
{
	for (uint32_t i = 0; i < cg->fn->nvars; i++)
		var_flush(cg, &cg->fn->vars[i]);
}

struct val cg_var_read(struct cg *cg, struct node *var)
{
	struct cg_var *v = cg_var(cg, var);
	struct type *t = v->type ? v->type : var->type;
	switch (v->mode) {
	case VAR_INT:
		return val_int(scalar_get(cg, v, cg->t_i64), var->type ? var->type : t);
	case VAR_BYTES:
		return val_mem(v->slot, t);
	case VAR_EXTREF:
		return (struct val){ .k = VK_EXT, .v = scalar_get(cg, v, cg->t_i64), .ty = t,
				     .as = v->as };
	case VAR_MEMREF: {
		struct val r = val_mem(scalar_get(cg, v, cg->t_ptr), t);
		r.ctx = v->ctx;
		return r;
	}
	default:
		cg_fail(cg, "variable %s used before it was assigned", var->str ? var->str : "?");
		return val_int(cg_const(cg, 0), var->type);
	}
}

void cg_var_write(struct cg *cg, struct node *var, struct val x)
{
	struct cg_var *v = cg_var(cg, var);
	if (v->mode == VAR_UNSET && v->type && v->type->kind == TY_RECORD)
		record_mode(cg, v, x);
	switch (v->mode) {
	case VAR_INT:
		if (x.k != VK_INT)
			x = val_int(cg_load_at(cg, x, 0, v->type).v, v->type);
		scalar_set(cg, v, x.v, cg->t_i64);
		break;
	case VAR_BYTES:
		cg_store_val(cg, v->slot, v->type, x);
		break;
	case VAR_EXTREF: {
		LLVMValueRef a = x.k == VK_MEM ? LLVMBuildPtrToInt(cg->b, x.v, cg->t_i64, "") : x.v;
		scalar_set(cg, v, a, cg->t_i64);
		break;
	}
	case VAR_MEMREF:
		if (x.k == VK_MEM)
			scalar_set(cg, v, x.v, cg->t_ptr);
		else
			cg_fail(cg, "variable %s holds a context record", var->str ? var->str : "?");
		break;
	default:
		break;
	}
}

static bool refs_var(struct node *n, int id)
{
	if (!n)
		return false;
	if (n->kind == N_VAR && n->id == id)
		return true;
	for (int k = 0; k < 3; k++)
		if (refs_var(node_kid(n, k), id))
			return true;
	for (size_t i = 0; i < node_list(n, 0)->n; i++)
		if (refs_var(node_list(n, 0)->v[i], id))
			return true;
	return false;
}

static void assign_var(struct cg *cg, struct node *n)
{
	struct node *var = n->a;
	struct cg_var *v = cg_var(cg, var);
	/* bytes are built in place unless the value reads the variable */
	if (v->mode == VAR_BYTES && !refs_var(n->b, var->id)) {
		cg_expr_into(cg, n->b, v->slot, v->type);
		return;
	}
	struct val x = cg_expr(cg, n->b);
	if (v->mode == VAR_INT && x.k == VK_INT)
		x.v = cg_normalize(cg, x.v, n->b->type);
	cg_var_write(cg, var, x);
}

/* ---- control flow ---- */

static void if_stmt(struct cg *cg, struct node *n)
{
	LLVMValueRef c = cg_cond(cg, n->c);
	LLVMBasicBlockRef tb = cg_block(cg, "if_then");
	LLVMBasicBlockRef eb = n->orelse.n ? cg_block(cg, "if_else") : NULL;
	LLVMBasicBlockRef done = cg_block(cg, "if_end");
	LLVMBuildCondBr(cg->b, c, tb, eb ? eb : done);
	LLVMPositionBuilderAtEnd(cg->b, tb);
	cg_stmts(cg, &n->body);
	if (!cg_terminated(cg))
		LLVMBuildBr(cg->b, done);
	if (eb) {
		LLVMPositionBuilderAtEnd(cg->b, eb);
		cg_stmts(cg, &n->orelse);
		if (!cg_terminated(cg))
			LLVMBuildBr(cg->b, done);
	}
	LLVMPositionBuilderAtEnd(cg->b, done);
}

static void while_stmt(struct cg *cg, struct node *n)
{
	LLVMBasicBlockRef cb = cg_block(cg, "while_cond"), bb = cg_block(cg, "while_body"),
			  done = cg_block(cg, "while_end");
	LLVMBuildBr(cg->b, cb);
	LLVMPositionBuilderAtEnd(cg->b, cb);
	struct cg_mark m = cg_mark(cg);
	LLVMValueRef c = cg_cond(cg, n->c);
	cg_release(cg, m);
	LLVMBuildCondBr(cg->b, c, bb, done);
	LLVMPositionBuilderAtEnd(cg->b, bb);
	struct cg_loop loop = { .brk = done, .cont = cb };
	VEC_PUSH(&cg->fn->loops, loop);
	cg_stmts(cg, &n->body);
	cg->fn->loops.n--;
	if (!cg_terminated(cg))
		LLVMBuildBr(cg->b, cb);
	LLVMPositionBuilderAtEnd(cg->b, done);
}

static void jump(struct cg *cg, struct node *n)
{
	if (n->op == JUMP_RETURN) {
		cg_return(cg);
		return;
	}
	if (!cg->fn->loops.n) {
		cg_fail(cg, "%s outside of a loop", op_str(n->op));
		return;
	}
	struct cg_loop *l = &cg->fn->loops.v[cg->fn->loops.n - 1];
	LLVMBuildBr(cg->b, n->op == JUMP_BREAK ? l->brk : l->cont);
	cg_dead_block(cg);
}

static void cg_stmt(struct cg *cg, struct node *n)
{
	struct cg_mark m = cg_mark(cg);
	struct node *saved = cg->cur;
	cg->cur = n;
	switch (n->kind) {
	case N_EXPR_STMT:
		cg_expr(cg, n->a);
		break;
	case N_ASSIGN_MAP:
		cg_map_assign(cg, n);
		break;
	case N_ASSIGN_VAR:
		assign_var(cg, n);
		break;
	case N_IF:
		if_stmt(cg, n);
		break;
	case N_WHILE:
		while_stmt(cg, n);
		break;
	case N_UNROLL: {
		int64_t count = n->num ? n->num : n->a && n->a->kind == N_INT ? n->a->num : 0;
		for (int64_t i = 0; i < count && !cg->failed; i++)
			cg_stmts(cg, &n->body);
		break;
	}
	case N_JUMP:
		jump(cg, n);
		break;
	case N_CONFIG:
	case N_ASSIGN_CONFIG:
		break;
	default:
		cg_expr(cg, n);
	}
	cg->cur = saved;
	cg_release(cg, m);
}

void cg_stmts(struct cg *cg, nodevec *stmts)
{
	for (size_t i = 0; i < stmts->n && !cg->failed; i++)
		cg_stmt(cg, stmts->v[i]);
}
