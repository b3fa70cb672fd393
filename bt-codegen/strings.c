/* strings.c - string values (docs/bpftrace-compat.md "Strings"): literals,
 * str(), comparisons (== and != compare up to the shorter size and stop at
 * the first NUL both share), strncmp (0 when equal, else 1), strcontains,
 * buf() and path().  Strings are NUL-padded byte buffers; reads zero the
 * buffer first so equal strings are equal bytes (map keys).
 */
#include <linux/bpf.h>
#include <string.h>

#include "cg.h"

/* ---- literals ---- */

static uint8_t lit_byte(struct node *n, uint32_t i)
{
	return i < n->len ? (uint8_t)n->str[i] : 0;
}

void cg_str_literal_into(struct cg *cg, struct node *n, LLVMValueRef dst, uint32_t size,
			 uint32_t align)
{
	if (align == 8) {
		for (uint32_t off = 0; off < size; off += 8) {
			uint64_t w = 0;
			uint32_t k = size - off < 8 ? size - off : 8;
			for (uint32_t i = 0; i < k; i++)
				w |= (uint64_t)lit_byte(n, off + i) << (8 * i);
			if (k == 8)
				cg_store_int(cg, cg_gep(cg, dst, off), cg_const(cg, w), 8);
			else
				for (uint32_t i = 0; i < k; i++)
					cg_store_int(cg, cg_gep(cg, dst, off + i),
						     cg_const(cg, lit_byte(n, off + i)), 1);
		}
		return;
	}
	uint32_t n_bytes = n->len < size ? n->len : size;
	for (uint32_t i = 0; i < n_bytes; i++)
		cg_store_int(cg, cg_gep(cg, dst, i), cg_const(cg, lit_byte(n, i)), 1);
	if (n_bytes < size)
		cg_memset0(cg, cg_gep(cg, dst, n_bytes), size - n_bytes);
}

struct val cg_str_literal(struct cg *cg, struct node *n)
{
	uint32_t size = n->type && n->type->size ? n->type->size : n->len + 1;
	LLVMValueRef p = cg_alloc(cg, size);
	cg_str_literal_into(cg, n, p, size, 8);
	return val_mem(p, n->type ? n->type : type_string(size));
}

/* ---- str() ---- */

static bool is_bytes(const struct type *t)
{
	return t && (type_is_byte_array(t) || t->kind == TY_ARRAY);
}

void cg_str_call_into(struct cg *cg, struct node *call, LLVMValueRef dst, uint32_t size,
		      bool zeroed)
{
	if (!call->args.n) {
		cg_fail(cg, "str() without an argument");
		return;
	}
	struct node *a = call->args.v[0];
	uint32_t max = call->type && call->type->size ? call->type->size : size;
	if (max > size)
		max = size;
	if (is_bytes(a->type)) {
		/* already a string (literal, comm, char array): copy it */
		struct type st = { .kind = TY_STRING, .size = size };
		struct val v = cg_expr(cg, a);
		if (v.ty && v.ty->kind == TY_ARRAY) {
			struct type vt = *v.ty;
			vt.kind = TY_STRING;
			v.ty = type_clone(&vt);
		}
		cg_store_val(cg, dst, &st, v);
		return;
	}
	LLVMValueRef addr = cg_int(cg, a);
	uint8_t as = a->type ? a->type->as : AS_NONE;
	LLVMValueRef len = cg_const(cg, max);
	if (call->args.n > 1) {
		/* min(n + 1, max), unsigned */
		LLVMValueRef n = LLVMBuildAdd(cg->b, cg_int(cg, call->args.v[1]), cg_const(cg, 1), "");
		LLVMValueRef small = LLVMBuildICmp(cg->b, LLVMIntULT, n, len, "");
		len = LLVMBuildSelect(cg->b, small, n, len, "");
	}
	if (!zeroed)
		cg_memset0(cg, dst, size);
	cg_probe_read_str(cg, dst, len, addr, as);
}

struct val cg_str_call(struct cg *cg, struct node *call)
{
	uint32_t size = call->type && call->type->size ? call->type->size
			: (uint32_t)cg->meta->cfg.max_strlen;
	LLVMValueRef p = cg_alloc_zero(cg, size);
	cg_str_call_into(cg, call, p, size, true);
	return val_mem(p, call->type);
}

/* ---- comparisons ---- */

/* Bytes of an operand: a constant for literals, else a pointer. */
struct operand {
	struct node *lit;
	LLVMValueRef p;
	uint32_t size;
};

static struct operand operand(struct cg *cg, struct node *n)
{
	struct operand o = { 0 };
	if (n->kind == N_STR) {
		o.lit = n;
		o.size = n->type && n->type->size ? n->type->size : n->len + 1;
		return o;
	}
	struct val v = cg_expr(cg, n);
	o.p = cg_val_ptr(cg, v);
	o.size = v.ty ? v.ty->size : (n->type ? n->type->size : 0);
	return o;
}

static LLVMValueRef byte_at(struct cg *cg, struct operand *o, uint32_t i)
{
	if (o->lit)
		return cg_const(cg, lit_byte(o->lit, i));
	return cg_load_n(cg, cg_gep(cg, o->p, i), 1, false);
}

/* Join the open blocks `yes` and `no` at `done`: 1 from yes, 0 from no,
 * of type ty. */
static LLVMValueRef yes_no_result(struct cg *cg, LLVMTypeRef ty, LLVMBasicBlockRef yes,
				  LLVMBasicBlockRef no, LLVMBasicBlockRef done)
{
	LLVMPositionBuilderAtEnd(cg->b, yes);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, no);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	LLVMValueRef phi = LLVMBuildPhi(cg->b, ty, "");
	LLVMValueRef vals[2] = { LLVMConstInt(ty, 1, 0), LLVMConstInt(ty, 0, 0) };
	LLVMBasicBlockRef bbs[2] = { yes, no };
	LLVMAddIncoming(phi, vals, bbs, 2);
	return phi;
}

/* 1 (i1) when the first n bytes are equal, stopping at a shared NUL
 * (stop_nul) or comparing every byte (arrays). */
static LLVMValueRef bytes_equal(struct cg *cg, struct operand *l, struct operand *r, uint32_t n,
				bool stop_nul)
{
	LLVMBasicBlockRef eq = cg_block(cg, "streq_yes"), ne = cg_block(cg, "streq_no"),
			  done = cg_block(cg, "streq_done");
	for (uint32_t i = 0; i < n; i++) {
		LLVMValueRef a = byte_at(cg, l, i), b = byte_at(cg, r, i);
		LLVMBasicBlockRef next = cg_block(cg, "streq_next");
		LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, a, b, ""), ne, next);
		LLVMPositionBuilderAtEnd(cg->b, next);
		if (stop_nul) {
			if (r->lit && lit_byte(r->lit, i) == 0) {
				LLVMBuildBr(cg->b, eq);
				break;
			}
			if (l->lit && lit_byte(l->lit, i) == 0) {
				LLVMBuildBr(cg->b, eq);
				break;
			}
			LLVMBasicBlockRef cont = cg_block(cg, "streq_cont");
			LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, a, cg_const(cg, 0), ""),
					eq, cont);
			LLVMPositionBuilderAtEnd(cg->b, cont);
		}
	}
	if (!cg_terminated(cg))
		LLVMBuildBr(cg->b, eq);
	return yes_no_result(cg, cg->t_i1, eq, ne, done);
}

LLVMValueRef cg_str_cmp(struct cg *cg, struct node *l, struct node *r, bool eq)
{
	struct operand a = operand(cg, l), b = operand(cg, r);
	uint32_t n = a.size < b.size ? a.size : b.size;
	bool strings = !(l->type && l->type->kind == TY_ARRAY);
	LLVMValueRef e = bytes_equal(cg, &a, &b, n, strings);
	if (!eq)
		e = LLVMBuildNot(cg->b, e, "");
	return LLVMBuildZExt(cg->b, e, cg->t_i64, "");
}

LLVMValueRef cg_strncmp(struct cg *cg, struct node *call)
{
	if (call->args.n < 3) {
		cg_fail(cg, "strncmp() needs three arguments");
		return cg_const(cg, 1);
	}
	struct operand a = operand(cg, call->args.v[0]), b = operand(cg, call->args.v[1]);
	uint64_t n = call->args.v[2]->kind == N_INT ? (uint64_t)call->args.v[2]->num : 0;
	if (n > a.size)
		n = a.size;
	if (n > b.size)
		n = b.size;
	LLVMValueRef e = bytes_equal(cg, &a, &b, (uint32_t)n, true);
	return LLVMBuildZExt(cg->b, LLVMBuildNot(cg->b, e, ""), cg->t_i64, "");
}

/* strcontains(haystack, needle) for a literal needle: unrolled match at
 * every start position before the haystack's NUL. */
static LLVMValueRef contains_literal(struct cg *cg, struct operand *h, struct node *lit)
{
	uint32_t nlen = (uint32_t)strnlen(lit->str, lit->len);
	if (!nlen)
		return cg_const(cg, 1);
	LLVMBasicBlockRef yes = cg_block(cg, "contains_yes"), no = cg_block(cg, "contains_no"),
			  done = cg_block(cg, "contains_done");
	for (uint32_t i = 0; i + nlen <= h->size; i++) {
		LLVMBasicBlockRef next = cg_block(cg, "contains_next");
		for (uint32_t j = 0; j < nlen; j++) {
			LLVMValueRef c = byte_at(cg, h, i + j);
			LLVMBasicBlockRef cont = cg_block(cg, "contains_cmp");
			LLVMBuildCondBr(cg->b,
					LLVMBuildICmp(cg->b, LLVMIntEQ, c,
						      cg_const(cg, (uint8_t)lit->str[j]), ""),
					cont, next);
			LLVMPositionBuilderAtEnd(cg->b, cont);
		}
		LLVMBuildBr(cg->b, yes);
		LLVMPositionBuilderAtEnd(cg->b, next);
		/* the haystack ends at its NUL */
		LLVMBasicBlockRef go = cg_block(cg, "contains_go");
		LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, byte_at(cg, h, i), cg_const(cg, 0), ""),
				no, go);
		LLVMPositionBuilderAtEnd(cg->b, go);
	}
	LLVMBuildBr(cg->b, no);
	return yes_no_result(cg, cg->t_i64, yes, no, done);
}

/* A loop counter kept in a volatile stack slot, so LLVM leaves it a plain
 * bounded index the verifier can follow.  One pair per program: these
 * loops never nest. */
static LLVMValueRef counter(struct cg *cg, LLVMValueRef *slot, const char *name)
{
	if (!*slot)
		*slot = cg_entry_alloca(cg, cg->t_i64, name);
	return *slot;
}

static LLVMValueRef vload(struct cg *cg, LLVMValueRef p)
{
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->t_i64, p, "");
	LLVMSetVolatile(v, 1);
	return v;
}

static void vstore(struct cg *cg, LLVMValueRef p, LLVMValueRef v)
{
	LLVMSetVolatile(LLVMBuildStore(cg->b, v, p), 1);
}

/* General case: nested bounded loops over both strings. */
static LLVMValueRef contains_loop(struct cg *cg, struct operand *h, struct operand *nd)
{
	LLVMValueRef ic = counter(cg, &cg->fn->loop_i, "ci"), jc = counter(cg, &cg->fn->loop_j, "cj");
	LLVMBasicBlockRef outer = cg_block(cg, "cont_outer"), inner = cg_block(cg, "cont_inner"),
			  step = cg_block(cg, "cont_step"), nexti = cg_block(cg, "cont_nexti"),
			  yes = cg_block(cg, "cont_yes"), no = cg_block(cg, "cont_no"),
			  done = cg_block(cg, "cont_done");
	vstore(cg, ic, cg_const(cg, 0));
	LLVMBuildBr(cg->b, outer);

	LLVMPositionBuilderAtEnd(cg->b, outer);
	LLVMValueRef i = vload(cg, ic);
	LLVMBasicBlockRef o2 = cg_block(cg, "cont_outer2");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGE, i, cg_const(cg, h->size), ""), no, o2);
	LLVMPositionBuilderAtEnd(cg->b, o2);
	vstore(cg, jc, cg_const(cg, 0));
	LLVMBuildBr(cg->b, inner);

	LLVMPositionBuilderAtEnd(cg->b, inner);
	LLVMValueRef j = vload(cg, jc);
	LLVMBasicBlockRef i2 = cg_block(cg, "cont_inner2"), i3 = cg_block(cg, "cont_inner3"),
			  i4 = cg_block(cg, "cont_inner4");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGE, j, cg_const(cg, nd->size), ""), yes, i2);
	LLVMPositionBuilderAtEnd(cg->b, i2);
	LLVMValueRef nb = cg_load_n(cg, cg_gep_dyn(cg, nd->p, j), 1, false);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, nb, cg_const(cg, 0), ""), yes, i3);
	LLVMPositionBuilderAtEnd(cg->b, i3);
	LLVMValueRef ij = LLVMBuildAdd(cg->b, vload(cg, ic), j, "");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGE, ij, cg_const(cg, h->size), ""), no, i4);
	LLVMPositionBuilderAtEnd(cg->b, i4);
	LLVMValueRef hb = cg_load_n(cg, cg_gep_dyn(cg, h->p, ij), 1, false);
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, hb, nb, ""), step, nexti);

	LLVMPositionBuilderAtEnd(cg->b, step);
	vstore(cg, jc, LLVMBuildAdd(cg->b, vload(cg, jc), cg_const(cg, 1), ""));
	LLVMBuildBr(cg->b, inner);

	LLVMPositionBuilderAtEnd(cg->b, nexti);
	LLVMValueRef i5 = vload(cg, ic);
	LLVMValueRef hi = cg_load_n(cg, cg_gep_dyn(cg, h->p, i5), 1, false);
	LLVMBasicBlockRef n2 = cg_block(cg, "cont_nexti2");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, hi, cg_const(cg, 0), ""), no, n2);
	LLVMPositionBuilderAtEnd(cg->b, n2);
	vstore(cg, ic, LLVMBuildAdd(cg->b, i5, cg_const(cg, 1), ""));
	LLVMBuildBr(cg->b, outer);

	return yes_no_result(cg, cg->t_i64, yes, no, done);
}

LLVMValueRef cg_strcontains(struct cg *cg, struct node *call)
{
	if (call->args.n < 2) {
		cg_fail(cg, "strcontains() needs two arguments");
		return cg_const(cg, 0);
	}
	struct operand h = operand(cg, call->args.v[0]);
	struct node *nn = call->args.v[1];
	if (nn->kind == N_STR)
		return contains_literal(cg, &h, nn);
	struct operand nd = operand(cg, nn);
	return contains_loop(cg, &h, &nd);
}

/* ---- buf() ---- */

/* {u8 len; u8 data[size - 1]} */
struct val cg_buf_call(struct cg *cg, struct node *call)
{
	struct type *t = call->type;
	uint32_t cap = t && t->size > 1 ? t->size - 1 : 0;
	LLVMValueRef p = cg_alloc_zero(cg, cap + 1);
	struct node *a = call->args.v[0];
	LLVMValueRef len = cg_const(cg, cap);
	if (call->args.n > 1) {
		LLVMValueRef n = cg_int(cg, call->args.v[1]);
		len = LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntULT, n, len, ""), n, len, "");
	}
	LLVMValueRef data = cg_gep(cg, p, 1);
	if (is_bytes(a->type)) {
		struct val v = cg_expr(cg, a);
		uint32_t n = v.ty && v.ty->size < cap ? v.ty->size : cap;
		if (v.k == VK_EXT)
			cg_probe_read(cg, data, cg_const32(cg, n), v.v, v.as);
		else
			cg_memcpy(cg, data, cg_val_ptr(cg, v), n);
		if (call->args.n <= 1)
			len = cg_const(cg, n);
	} else {
		LLVMValueRef addr = cg_int(cg, a);
		cg_probe_read(cg, data, len, addr, a->type ? a->type->as : AS_NONE);
	}
	cg_store_int(cg, p, len, 1);
	return val_mem(p, t);
}

/* ---- path() ---- */

/* bpf_d_path wants a BTF pointer to a struct path, which only direct
 * loads from the context (iter, kfunc) and from other BTF pointers
 * produce; probe_read'd addresses are plain numbers to the verifier.  So
 * path()'s argument chain is lowered here with direct loads, each pointer
 * null-checked (to `skip`) before its fields are addressed. */
static LLVMValueRef btf_pointer(struct cg *cg, struct node *n, LLVMBasicBlockRef skip);

static LLVMValueRef nonnull(struct cg *cg, LLVMValueRef p, LLVMBasicBlockRef skip)
{
	LLVMBasicBlockRef ok = cg_block(cg, "btf_ptr_ok");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, p, ""), skip, ok);
	LLVMPositionBuilderAtEnd(cg->b, ok);
	return p;
}

static uint32_t field_offset(struct node *n)
{
	struct type *rt = n->a->type;
	if (rt && n->id >= 0 && (uint32_t)n->id < rt->nfields)
		return rt->fields[n->id].offset;
	return (uint32_t)n->num;
}

/* Address of the record an N_FIELD reads from, as a BTF pointer. */
static LLVMValueRef btf_record(struct cg *cg, struct node *rec, LLVMBasicBlockRef skip)
{
	if (rec->kind == N_UNOP && rec->op == OP_DEREF) {
		if (rec->a->type && rec->a->type->kind == TY_RECORD)
			return btf_record(cg, rec->a, skip);
		return btf_pointer(cg, rec->a, skip);
	}
	if (rec->kind == N_BUILTIN && rec->id == B_ARGS)
		return cg->fn->ctx;
	if (rec->kind == N_FIELD && rec->type && rec->type->kind == TY_RECORD) {
		LLVMValueRef base = btf_record(cg, rec->a, skip);
		return base ? cg_gep(cg, base, field_offset(rec)) : NULL;
	}
	return NULL;
}

static LLVMValueRef btf_pointer(struct cg *cg, struct node *n, LLVMBasicBlockRef skip)
{
	if (n->kind == N_BUILTIN && n->id == B_CTX)
		return cg->fn->ctx;
	if (n->kind != N_FIELD || !n->type || n->type->kind != TY_PTR)
		return NULL;
	LLVMValueRef base = btf_record(cg, n->a, skip);
	if (!base)
		return NULL;
	LLVMValueRef p = LLVMBuildLoad2(cg->b, cg->t_ptr, cg_gep(cg, base, field_offset(n)), "");
	LLVMSetAlignment(p, 8);
	return nonnull(cg, p, skip);
}

struct val cg_path_call(struct cg *cg, struct node *call)
{
	uint32_t size = call->type && call->type->size ? call->type->size
			: (uint32_t)cg->meta->cfg.max_strlen;
	LLVMValueRef p = cg_alloc_zero(cg, size);
	struct node *a = call->args.v[0];
	LLVMBasicBlockRef skip = cg_block(cg, "path_skip");
	LLVMValueRef path = a->type && a->type->kind == TY_PTR ? btf_pointer(cg, a, skip)
							      : btf_record(cg, a, skip);
	if (!path)
		path = LLVMBuildIntToPtr(cg->b, cg_int(cg, a), cg->t_ptr, "");
	LLVMValueRef args[3] = { path, p, cg_const32(cg, size) };
	cg_helper_checked(cg, BPF_FUNC_d_path, "d_path", 1, args, 3);
	LLVMBuildBr(cg->b, skip);
	LLVMPositionBuilderAtEnd(cg->b, skip);
	return val_mem(p, call->type);
}
