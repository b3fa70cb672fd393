/* memory.c - where values live and how they are read: the per-program
 * stack frame and per-CPU scratch space for buffers, copies, the
 * probe_read variants by address space, and field / index / dereference
 * access on records, tuples, arrays and pointers.
 *
 * Frame and scratch: cg_alloc hands out 8-aligned pieces of one frame
 * alloca (sized at the end to what the program used, at most
 * CG_FRAME_BUDGET bytes), then of the program's scratch area: a value of
 * the per-CPU array `scratch`, one entry per nesting level (a program
 * interrupted on its CPU by another one gets the next level; the level
 * counter is `scratch_depth`), looked up once in the prologue.  Pieces
 * are released statement by statement (cg_mark/cg_release).
 */
#include <linux/bpf.h>
#include <string.h>

#include "cg.h"

/* memcpy/memset intrinsics are expanded inline by the BPF backend only up
 * to 128 stores; larger copies go in chunks (aligned) or by helper. */
#define INLINE_STORES 64

LLVMValueRef cg_entry_alloca(struct cg *cg, LLVMTypeRef t, const char *name)
{
	return LLVMBuildAlloca(cg->fn->ab, t, name);
}

LLVMValueRef cg_gep(struct cg *cg, LLVMValueRef p, uint64_t off)
{
	if (!off)
		return p;
	LLVMValueRef idx = cg_const(cg, off);
	return LLVMBuildGEP2(cg->b, cg->t_i8, p, &idx, 1, "");
}

LLVMValueRef cg_gep_dyn(struct cg *cg, LLVMValueRef p, LLVMValueRef off)
{
	return LLVMBuildGEP2(cg->b, cg->t_i8, p, &off, 1, "");
}

static uint32_t round8(uint32_t n)
{
	return (n + 7) & ~7u;
}

static LLVMValueRef frame_base(struct cg *cg)
{
	struct cg_fn *fn = cg->fn;
	if (!fn->frame) {
		/* placeholder; replaced by the real-sized alloca at the end */
		fn->frame = LLVMBuildAlloca(fn->ab, LLVMArrayType(cg->t_i8, 8), "frame");
		LLVMSetAlignment(fn->frame, 8);
	}
	return fn->frame;
}

static LLVMValueRef scratch_base(struct cg *cg)
{
	struct cg_fn *fn = cg->fn;
	if (!fn->scratch_slot)
		fn->scratch_slot = cg_entry_alloca(cg, cg->t_ptr, "scratch");
	return LLVMBuildLoad2(cg->b, cg->t_ptr, fn->scratch_slot, "scratch");
}

LLVMValueRef cg_alloc(struct cg *cg, uint32_t size)
{
	struct cg_fn *fn = cg->fn;
	uint32_t n = round8(size ? size : 1);
	uint32_t budget = cg->o->stack_level ? 0 : CG_FRAME_BUDGET;
	if (fn->frame_used + n <= budget) {
		/* inbounds, as InstCombine would make it: it rewrote every
		 * piece's address, and went through all the frame's users
		 * again each time (quadratic in a long body) */
		LLVMValueRef p = frame_base(cg);
		if (fn->frame_used) {
			LLVMValueRef idx = cg_const(cg, fn->frame_used);
			p = LLVMBuildInBoundsGEP2(cg->b, cg->t_i8, p, &idx, 1, "");
		}
		fn->frame_used += n;
		if (fn->frame_used > fn->frame_max)
			fn->frame_max = fn->frame_used;
		return p;
	}
	if (fn->scratch_used + n > CG_SCRATCH_MAX) {
		cg_fail(cg, "the program needs more than %d bytes of scratch space",
			CG_SCRATCH_MAX);
		fn->scratch_used = 0;
	}
	LLVMValueRef p = cg_gep(cg, scratch_base(cg), fn->scratch_used);
	fn->scratch_used += n;
	if (fn->scratch_used > fn->scratch_max)
		fn->scratch_max = fn->scratch_used;
	return p;
}

/* Permanent pieces come from the same pool: callers allocate them before
 * the first statement (variable slots), so no release ever reaches them. */
LLVMValueRef cg_alloc_perm(struct cg *cg, uint32_t size)
{
	return cg_alloc(cg, size);
}

struct cg_mark cg_mark(struct cg *cg)
{
	return (struct cg_mark){ cg->fn->frame_used, cg->fn->scratch_used };
}

void cg_release(struct cg *cg, struct cg_mark m)
{
	cg->fn->frame_used = m.frame;
	cg->fn->scratch_used = m.scratch;
}

/* ---- bulk copies ---- */

static LLVMValueRef intrinsic(struct cg *cg, const char *name, LLVMTypeRef *ov, size_t nov,
			      LLVMTypeRef *fty)
{
	unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
	LLVMValueRef f = LLVMGetIntrinsicDeclaration(cg->mod, id, ov, nov);
	*fty = LLVMIntrinsicGetType(cg->ctx, id, ov, nov);
	return f;
}

void cg_memset0_al(struct cg *cg, LLVMValueRef p, uint32_t size, uint32_t align)
{
	LLVMTypeRef ov[2] = { cg->t_ptr, cg->t_i64 }, fty;
	LLVMValueRef f = intrinsic(cg, "llvm.memset", ov, 2, &fty);
	if (align != 8)
		align = 1;
	uint32_t chunk = INLINE_STORES * align;
	for (uint32_t off = 0; off < size; off += chunk) {
		uint32_t n = size - off < chunk ? size - off : chunk;
		/* volatile: LLVM would merge adjacent memsets into one the BPF
		 * backend cannot expand ("memset is not supported") */
		LLVMValueRef args[4] = { cg_gep(cg, p, off), LLVMConstInt(cg->t_i8, 0, 0),
					 cg_const(cg, n), LLVMConstInt(cg->t_i1, 1, 0) };
		LLVMValueRef call = LLVMBuildCall2(cg->b, fty, f, args, 4, "");
		LLVMSetInstrParamAlignment(call, 1, align);
	}
}

void cg_memset0(struct cg *cg, LLVMValueRef p, uint32_t size)
{
	cg_memset0_al(cg, p, size, 1);
}

LLVMValueRef cg_alloc_zero(struct cg *cg, uint32_t size)
{
	LLVMValueRef p = cg_alloc(cg, size);
	cg_memset0_al(cg, p, (size + 7) & ~7u, 8);
	return p;
}

/* Large copies that cannot be inlined use bpf_probe_read_kernel: stack,
 * map values and context are kernel memory. */
static void cg_memcpy_al(struct cg *cg, LLVMValueRef dst, LLVMValueRef src, uint32_t size,
			 uint32_t align)
{
	if (!size)
		return;
	if (align != 8)
		align = 1;
	if (size <= INLINE_STORES * align) {
		LLVMTypeRef ov[3] = { cg->t_ptr, cg->t_ptr, cg->t_i64 }, fty;
		LLVMValueRef f = intrinsic(cg, "llvm.memcpy", ov, 3, &fty);
		LLVMValueRef args[4] = { dst, src, cg_const(cg, size), LLVMConstInt(cg->t_i1, 0, 0) };
		LLVMValueRef call = LLVMBuildCall2(cg->b, fty, f, args, 4, "");
		LLVMSetInstrParamAlignment(call, 1, align);
		LLVMSetInstrParamAlignment(call, 2, align);
		return;
	}
	LLVMValueRef args[3] = { dst, cg_const32(cg, size), src };
	cg_helper(cg, BPF_FUNC_probe_read_kernel, cg->t_i64, args, 3);
}

void cg_memcpy(struct cg *cg, LLVMValueRef dst, LLVMValueRef src, uint32_t size)
{
	cg_memcpy_al(cg, dst, src, size, 1);
}

/* ---- scalars ---- */

static LLVMTypeRef int_type(struct cg *cg, uint32_t size)
{
	switch (size) {
	case 1: return cg->t_i8;
	case 2: return cg->t_i16;
	case 4: return cg->t_i32;
	default: return cg->t_i64;
	}
}

/* Loads and stores of integers assume natural alignment (our buffers and
 * layouts are C-aligned); packed places (map keys) use the _al variants.
 * The BPF backend splits under-aligned accesses into byte accesses. */
LLVMValueRef cg_load_n(struct cg *cg, LLVMValueRef p, uint32_t size, bool is_signed)
{
	return cg_load_n_al(cg, p, size, is_signed, size);
}

LLVMValueRef cg_load_n_al(struct cg *cg, LLVMValueRef p, uint32_t size, bool is_signed,
			  uint32_t align)
{
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		/* odd sizes (3, 5..7 byte arrays read as ints): assemble bytes */
		LLVMValueRef acc = cg_const(cg, 0);
		for (uint32_t i = 0; i < size && i < 8; i++) {
			LLVMValueRef b = LLVMBuildLoad2(cg->b, cg->t_i8, cg_gep(cg, p, i), "");
			LLVMSetAlignment(b, 1);
			b = LLVMBuildZExt(cg->b, b, cg->t_i64, "");
			b = LLVMBuildShl(cg->b, b, cg_const(cg, 8 * i), "");
			acc = LLVMBuildOr(cg->b, acc, b, "");
		}
		return acc;
	}
	LLVMTypeRef t = int_type(cg, size);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, t, p, "");
	LLVMSetAlignment(v, align);
	if (size == 8)
		return v;
	return is_signed ? LLVMBuildSExt(cg->b, v, cg->t_i64, "")
			 : LLVMBuildZExt(cg->b, v, cg->t_i64, "");
}

LLVMValueRef cg_load_int(struct cg *cg, LLVMValueRef p, const struct type *t)
{
	uint32_t size = t->size ? t->size : 8;
	if (size > 8)
		size = 8;
	LLVMValueRef v = cg_load_n(cg, p, size, t->is_signed);
	if (t->kind == TY_INT && t->bits == 1)
		v = LLVMBuildZExt(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, v, cg_const(cg, 0), ""),
				  cg->t_i64, "");
	return v;
}

void cg_store_int(struct cg *cg, LLVMValueRef p, LLVMValueRef v, uint32_t size)
{
	cg_store_int_al(cg, p, v, size, size);
}

void cg_store_int_al(struct cg *cg, LLVMValueRef p, LLVMValueRef v, uint32_t size,
		     uint32_t align)
{
	if (LLVMTypeOf(v) != cg->t_i64)
		v = LLVMBuildZExt(cg->b, v, cg->t_i64, "");
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		for (uint32_t i = 0; i < size; i++) {
			LLVMValueRef b = LLVMBuildLShr(cg->b, v, cg_const(cg, i < 8 ? 8 * i : 0), "");
			b = LLVMBuildTrunc(cg->b, b, cg->t_i8, "");
			if (i >= 8)
				b = LLVMConstInt(cg->t_i8, 0, 0);
			LLVMSetAlignment(LLVMBuildStore(cg->b, b, cg_gep(cg, p, i)), 1);
		}
		return;
	}
	LLVMTypeRef t = int_type(cg, size);
	if (t != cg->t_i64)
		v = LLVMBuildTrunc(cg->b, v, t, "");
	LLVMSetAlignment(LLVMBuildStore(cg->b, v, p), align);
}

/* ---- reads from kernel / user memory ---- */

/* A read from an address of no known address space uses the legacy helpers,
 * which bpftrace points out once (docs/bpftrace-compat.md "Builtins"). */
static void warn_no_addrspace(struct cg *cg, uint8_t as)
{
	static bool warned;
	if (as != AS_NONE || warned || cg->meta->cfg.no_warnings)
		return;
	warned = true;
	fputs("WARNING: Addrspace is not set\n", stderr);
}

/* The read helper by address space (none, kernel, user) and kind. */
static const struct {
	int id;
	const char *name;
} read_helpers[2][3] = {
	{ { BPF_FUNC_probe_read, "probe_read" },
	  { BPF_FUNC_probe_read_kernel, "probe_read_kernel" },
	  { BPF_FUNC_probe_read_user, "probe_read_user" } },
	{ { BPF_FUNC_probe_read_str, "probe_read_str" },
	  { BPF_FUNC_probe_read_kernel_str, "probe_read_kernel_str" },
	  { BPF_FUNC_probe_read_user_str, "probe_read_user_str" } },
};

static LLVMValueRef probe_read(struct cg *cg, LLVMValueRef dst, LLVMValueRef size,
			       LLVMValueRef addr, uint8_t as, bool str)
{
	warn_no_addrspace(cg, as);
	unsigned a = as == AS_USER ? 2 : as == AS_KERNEL ? 1 : 0;
	if (LLVMTypeOf(size) != cg->t_i32)
		size = LLVMBuildTrunc(cg->b, size, cg->t_i32, "");
	if (LLVMTypeOf(addr) != cg->t_ptr)
		addr = LLVMBuildIntToPtr(cg->b, addr, cg->t_ptr, "");
	LLVMValueRef args[3] = { dst, size, addr };
	return cg_helper_checked(cg, read_helpers[str][a].id, read_helpers[str][a].name, 2,
				 args, 3);
}

LLVMValueRef cg_probe_read(struct cg *cg, LLVMValueRef dst, LLVMValueRef size,
			   LLVMValueRef addr, uint8_t as)
{
	return probe_read(cg, dst, size, addr, as, false);
}

LLVMValueRef cg_probe_read_str(struct cg *cg, LLVMValueRef dst, LLVMValueRef size,
			       LLVMValueRef addr, uint8_t as)
{
	return probe_read(cg, dst, size, addr, as, true);
}

static bool is_scalar(const struct type *t)
{
	switch (t ? t->kind : TY_NONE) {
	case TY_INT: case TY_PTR: case TY_KSTACK: case TY_KSYM: case TY_PROBE:
	case TY_USERNAME: case TY_STRERROR: case TY_COUNT: case TY_SUM:
	case TY_MIN: case TY_MAX: case TY_AVG: case TY_STATS: case TY_HIST:
	case TY_LHIST:
		return true;
	default:
		return false;
	}
}

/* ---- values in memory ---- */

/* Bytes of a tracepoint context are read with a helper: the verifier
 * allows only aligned loads at offsets >= 8 there (the common fields are
 * off limits), so a whole `args` record cannot be copied with loads. */
static bool tp_ctx_bytes(struct cg *cg, struct val v)
{
	return v.k == VK_MEM && v.ctx && cg->fn && cg->fn->probe &&
	       cg->fn->probe->type == PT_TRACEPOINT;
}

LLVMValueRef cg_val_ptr(struct cg *cg, struct val v)
{
	uint32_t size = v.ty ? v.ty->size : 8;
	if (tp_ctx_bytes(cg, v)) {
		LLVMValueRef p = cg_alloc(cg, size);
		cg_probe_read(cg, p, cg_const32(cg, size), v.v, AS_KERNEL);
		return p;
	}
	switch (v.k) {
	case VK_MEM:
		return v.v;
	case VK_EXT: {
		LLVMValueRef p = cg_alloc(cg, size);
		cg_probe_read(cg, p, cg_const32(cg, size), v.v, v.as);
		return p;
	}
	case VK_INT: {
		LLVMValueRef p = cg_alloc(cg, 8);
		cg_store_int(cg, p, v.v, size && size < 8 ? size : 8);
		return p;
	}
	default: {
		LLVMValueRef p = cg_alloc(cg, size ? size : 8);
		cg_memset0(cg, p, size ? size : 8);
		return p;
	}
	}
}

static bool same_layout(const struct type *a, const struct type *b)
{
	if (a->size != b->size || a->kind != b->kind)
		return false;
	if (a->kind != TY_TUPLE)
		return true;
	if (a->nfields != b->nfields)
		return false;
	for (uint32_t i = 0; i < a->nfields; i++)
		if (a->fields[i].offset != b->fields[i].offset ||
		    !same_layout(a->fields[i].type, b->fields[i].type))
			return false;
	return true;
}

void cg_store_val(struct cg *cg, LLVMValueRef dst, struct type *dt, struct val v)
{
	if (!dt || dt->kind == TY_NONE || v.k == VK_NONE)
		return;
	if (is_scalar(dt) || (v.k == VK_INT && dt->size <= 8)) {
		LLVMValueRef x = v.k == VK_INT ? v.v : cg_load_at(cg, v, 0, v.ty).v;
		cg_store_int(cg, dst, x, dt->size ? dt->size : 8);
		return;
	}
	if (dt->kind == TY_TUPLE && v.ty && v.ty->kind == TY_TUPLE && !same_layout(dt, v.ty) &&
	    dt->nfields == v.ty->nfields) {
		cg_memset0(cg, dst, dt->size);
		for (uint32_t i = 0; i < dt->nfields; i++) {
			struct val f = cg_load_at(cg, v, v.ty->fields[i].offset, v.ty->fields[i].type);
			cg_store_val(cg, cg_gep(cg, dst, dt->fields[i].offset), dt->fields[i].type, f);
		}
		return;
	}
	uint32_t n = v.ty ? v.ty->size : dt->size;
	if (n > dt->size)
		n = dt->size;
	if (v.k == VK_EXT) {
		/* the bytes of a kernel record (or an array of them), laid out
		 * by the kernel it runs on but read later by the compile
		 * kernel's offsets */
		const struct type *et = v.ty && v.ty->kind == TY_ARRAY ? v.ty->elem : v.ty;
		if (cg_core_record(et))
			cg_core_fixed_layout(cg);
		cg_probe_read(cg, dst, cg_const32(cg, n), v.v, v.as);
	} else if (tp_ctx_bytes(cg, v)) {
		cg_probe_read(cg, dst, cg_const32(cg, n), v.v, AS_KERNEL);
	} else if (v.k == VK_MEM && v.ctx && n % 8 == 0) {
		/* contexts want aligned word loads (kfunc: u64 argument slots) */
		for (uint32_t off = 0; off < n; off += 8) {
			LLVMValueRef x = LLVMBuildLoad2(cg->b, cg->t_i64, cg_gep(cg, v.v, off), "");
			LLVMSetAlignment(x, 8);
			cg_store_int_al(cg, cg_gep(cg, dst, off), x, 8, 1);
		}
	} else {
		LLVMValueRef src = cg_val_ptr(cg, v);
		cg_memcpy(cg, dst, src, n);
	}
	if (n < dt->size)
		cg_memset0(cg, cg_gep(cg, dst, n), dt->size - n);
}

/* Iterator programs get maybe-null BTF pointers from their context, on
 * which the verifier forbids arithmetic (field addresses); read them as
 * plain numbers instead.  (kfunc arguments stay BTF pointers: helpers
 * like skb_output want them typed.) */
static bool btf_ctx_pointer(struct cg *cg, struct val base, const struct type *t)
{
	if (!base.ctx || !t || t->kind != TY_PTR || !cg->fn)
		return false;
	return cg->fn->probe->type == PT_ITER;
}

struct val cg_load_at(struct cg *cg, struct val base, uint64_t off, struct type *t)
{
	if (base.k == VK_MEM && btf_ctx_pointer(cg, base, t)) {
		LLVMValueRef tmp = cg_alloc(cg, 8);
		cg_store_int(cg, tmp, cg_const(cg, 0), 8);
		LLVMValueRef args[3] = { tmp, cg_const32(cg, 8), cg_gep(cg, base.v, off) };
		cg_helper(cg, BPF_FUNC_probe_read_kernel, cg->t_i64, args, 3);
		return val_int(LLVMBuildLoad2(cg->b, cg->t_i64, tmp, ""), t);
	}
	if (base.k == VK_MEM) {
		LLVMValueRef p = cg_gep(cg, base.v, off);
		if (is_scalar(t)) {
			uint32_t size = t->size && t->size < 8 ? t->size : 8;
			uint32_t al = size;
			while (al > 1 && off % al)
				al /= 2;
			LLVMValueRef v = cg_load_n_al(cg, p, size, t->is_signed, al);
			if (t->kind == TY_INT && t->bits == 1)
				v = LLVMBuildZExt(cg->b, LLVMBuildICmp(cg->b, LLVMIntNE, v,
								       cg_const(cg, 0), ""),
						  cg->t_i64, "");
			return val_int(v, t);
		}
		struct val r = val_mem(p, t);
		r.ctx = base.ctx;
		return r;
	}
	if (base.k == VK_EXT) {
		LLVMValueRef addr = LLVMBuildAdd(cg->b, base.v, cg_const(cg, off), "");
		if (is_scalar(t)) {
			LLVMValueRef tmp = cg_alloc(cg, 8);
			cg_store_int(cg, tmp, cg_const(cg, 0), 8);
			cg_probe_read(cg, tmp, cg_const32(cg, t->size ? t->size : 8), addr, base.as);
			return val_int(cg_load_int(cg, tmp, t), t);
		}
		struct val r = { .k = VK_EXT, .v = addr, .ty = t, .as = base.as };
		return r;
	}
	if (base.k == VK_INT && off == 0)
		return val_int(base.v, t);
	cg_fail(cg, "internal error: field access on a value without memory");
	return val_int(cg_const(cg, 0), t);
}

/* ---- field, index, dereference ---- */

static LLVMValueRef bitfield(struct cg *cg, LLVMValueRef v, const struct field *f)
{
	if (!f || !f->bit_width)
		return v;
	v = LLVMBuildLShr(cg->b, v, cg_const(cg, f->bit_offset), "");
	uint64_t mask = f->bit_width >= 64 ? ~0ULL : ((1ULL << f->bit_width) - 1);
	return LLVMBuildAnd(cg->b, v, cg_const(cg, mask), "");
}

/* Field f of kernel record rt at external address base, relocated. */
static struct val core_field(struct cg *cg, struct val base, const struct type *rt,
			     const struct field *f, struct type *nt)
{
	LLVMValueRef bp = base.core ? base.core : LLVMBuildIntToPtr(cg->b, base.v, cg->t_ptr, "");
	LLVMValueRef acc = cg_core_access(cg, bp, rt, (uint32_t)(f - rt->fields));
	if (f->bit_width)
		return val_int(cg_normalize(cg, cg_core_bitfield(cg, acc, base.as), nt), nt);
	struct type *ft = f->type ? f->type : nt;
	struct val fb = { .k = VK_EXT, .v = LLVMBuildPtrToInt(cg->b, acc, cg->t_i64, ""),
			  .ty = ft, .as = base.as };
	struct val r = cg_load_at(cg, fb, 0, ft);
	if (r.k == VK_EXT)
		r.core = acc;
	r.ty = nt;
	if (r.k == VK_INT)
		r.v = cg_normalize(cg, r.v, nt);
	return r;
}

struct val cg_field(struct cg *cg, struct node *n)
{
	struct node *a = n->a;
	/* args->f on a record (older syntax): the record itself */
	if (a->kind == N_UNOP && a->op == OP_DEREF && a->a->type && a->a->type->kind == TY_RECORD)
		a = a->a;
	struct type *rt = a->type;
	/* id = index of the field (ir.md); the name as a cross-check */
	const struct field *f = NULL;
	if (rt && n->id >= 0 && (uint32_t)n->id < rt->nfields)
		f = &rt->fields[n->id];
	if (rt && n->str && !(n->flags & NF_TUPLE_INDEX) &&
	    (!f || !f->name || strcmp(f->name, n->str) != 0))
		f = type_field(rt, n->str);
	uint64_t off = f ? f->offset : (uint64_t)n->num;
	struct type *ft = f && f->type ? f->type : n->type;

	/* tracepoint __data_loc field (bt-check sets id2): the value is the
	 * address ctx + (u32 field & 0xffff) */
	if (n->id2 == 1 && rt && rt->is_tparg) {
		struct val base = cg_expr(cg, a);
		if (base.k != VK_MEM)
			return val_int(cg_const(cg, 0), n->type);
		LLVMValueRef v = cg_load_n(cg, cg_gep(cg, base.v, off), 4, false);
		v = LLVMBuildAnd(cg->b, v, cg_const(cg, 0xffff), "");
		LLVMValueRef ctx = LLVMBuildPtrToInt(cg->b, base.v, cg->t_i64, "");
		return val_int(LLVMBuildAdd(cg->b, ctx, v, ""), n->type);
	}

	/* uprobe DWARF args: parameters live in argument registers */
	if (a->kind == N_BUILTIN && a->id == B_ARGS && rt && rt->is_funcarg &&
	    (cg->fn->probe->type == PT_UPROBE || cg->fn->probe->type == PT_URETPROBE)) {
		LLVMValueRef v = cg_arg(cg, (int)(off / 8), n->type);
		return val_int(cg_normalize(cg, v, n->type), n->type);
	}
	struct val base = cg_expr(cg, a);
	if (base.k == VK_NONE)
		return val_int(cg_const(cg, 0), n->type);
	if (f && cg_core_record(rt)) {
		if (base.k == VK_EXT && (base.core || cg_core_root(rt)) &&
		    (!f->bit_width || cg_core_bitfield_ok(rt, f)))
			return core_field(cg, base, rt, f, n->type);
		/* a kernel record copied by value: its layout is the compile
		 * kernel's.  (A BTF context, e.g. an iterator's, is checked
		 * by the verifier against the kernel's own types.) */
		if (!base.ctx)
			cg_core_fixed_layout(cg);
	}
	struct val r = cg_load_at(cg, base, off, ft);
	if (r.k == VK_INT && f && f->bit_width)
		r.v = cg_normalize(cg, bitfield(cg, r.v, f), n->type);
	r.ty = n->type;
	if (r.k == VK_INT)
		r.v = cg_normalize(cg, r.v, n->type);
	return r;
}

struct val cg_index(struct cg *cg, struct node *n)
{
	struct type *at = n->a->type;
	struct type *et = n->type;
	uint32_t esize = at && at->elem ? at->elem->size : et->size;
	if (!esize)
		esize = 1;
	if (at && at->kind == TY_PTR) {
		LLVMValueRef p = cg_int(cg, n->a);
		LLVMValueRef i = cg_int(cg, n->b);
		LLVMValueRef addr = LLVMBuildAdd(cg->b, p,
						 LLVMBuildMul(cg->b, i, cg_const(cg, esize), ""), "");
		struct val base = { .k = VK_EXT, .v = addr, .ty = et, .as = at->as };
		return cg_load_at(cg, base, 0, et);
	}
	struct val base = cg_expr(cg, n->a);
	if (n->b->kind == N_INT) {
		uint64_t i = (uint64_t)n->b->num;
		return cg_load_at(cg, base, i * esize, et);
	}
	/* run-time index: bounds-checked (the verifier needs it for memory
	 * we own; for external memory it keeps reads inside the array) */
	LLVMValueRef i = cg_int(cg, n->b);
	uint32_t count = at ? at->count : 0;
	if (base.k == VK_EXT) {
		LLVMValueRef addr = LLVMBuildAdd(cg->b, base.v,
						 LLVMBuildMul(cg->b, i, cg_const(cg, esize), ""), "");
		struct val b2 = { .k = VK_EXT, .v = addr, .ty = et, .as = base.as };
		return cg_load_at(cg, b2, 0, et);
	}
	LLVMValueRef res = cg_alloc(cg, et->size ? et->size : 8);
	cg_memset0(cg, res, et->size ? et->size : 8);
	LLVMBasicBlockRef in = cg_block(cg, "idx_in"), done = cg_block(cg, "idx_done");
	LLVMValueRef ok = LLVMBuildICmp(cg->b, LLVMIntULT, i, cg_const(cg, count), "");
	LLVMBuildCondBr(cg->b, ok, in, done);
	LLVMPositionBuilderAtEnd(cg->b, in);
	LLVMValueRef off = LLVMBuildMul(cg->b, i, cg_const(cg, esize), "");
	LLVMValueRef src = cg_gep_dyn(cg, cg_val_ptr(cg, base), off);
	cg_memcpy(cg, res, src, et->size);
	LLVMBuildBr(cg->b, done);
	LLVMPositionBuilderAtEnd(cg->b, done);
	return cg_load_at(cg, val_mem(res, et), 0, et);
}

struct val cg_deref(struct cg *cg, struct node *n)
{
	struct type *pt = n->a->type;
	struct type *rt = n->type;
	if (pt && pt->kind == TY_RECORD)
		return cg_expr(cg, n->a); /* *args: the record itself */
	LLVMValueRef addr = cg_int(cg, n->a);
	if (pt && pt->kind == TY_PTR) {
		struct type *et = pt->elem ? pt->elem : rt;
		if (pt->ctx) {
			LLVMValueRef p = LLVMBuildIntToPtr(cg->b, addr, cg->t_ptr, "");
			struct val base = val_mem(p, et);
			base.ctx = true;
			return cg_load_at(cg, base, 0, rt);
		}
		struct val base = { .k = VK_EXT, .v = addr, .ty = et, .as = pt->as };
		return cg_load_at(cg, base, 0, rt);
	}
	/* *x on an integer: sizeof(x) bytes at address x, as uint64
	 * (sign-extended when x is signed) */
	uint32_t size = pt && pt->size ? pt->size : 8;
	LLVMValueRef tmp = cg_alloc(cg, 8);
	cg_store_int(cg, tmp, cg_const(cg, 0), 8);
	cg_probe_read(cg, tmp, cg_const32(cg, size), addr, pt ? pt->as : AS_NONE);
	return val_int(cg_load_n(cg, tmp, size, pt && pt->is_signed), rt);
}
