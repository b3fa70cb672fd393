/* helpers.c - calls of BPF helper functions, and the -k/-kk helper error
 * checks (docs/bpftrace-compat.md "Helper errors"): a failing helper emits a
 * helper_error event {u64 30006; u64 error id; i32 retcode} whose id indexes
 * meta.helper_errors (helper name + source location of the call).  Where each
 * helper is first called: meta.helper_locs.
 */
#include <linux/bpf.h>
#include <string.h>

#include "cg.h"

/* The first call of each helper with a source location goes into
 * meta.helper_locs: bt-load names that call when the kernel refuses the
 * helper in a probe (as bpftrace reports it). */
static void note_helper_loc(struct cg *cg, int id)
{
	if (!cg->cur || cg->cur->loc.line <= 0)
		return;
	for (size_t i = 0; i < cg->meta->helper_locs.n; i++)
		if (cg->meta->helper_locs.v[i].id == (uint32_t)id)
			return;
	struct meta_helper_loc hl = { .id = (uint32_t)id, .loc = cg->cur->loc };
	VEC_PUSH(&cg->meta->helper_locs, hl);
}

/* Helpers are called through their number, as `call imm` wants.  bt-load
 * refuses objects calling a helper missing from its list
 * (bt-load/obj_check.c): a helper new here goes there too. */
LLVMValueRef cg_helper(struct cg *cg, int id, LLVMTypeRef ret, LLVMValueRef *args, unsigned n)
{
	note_helper_loc(cg, id);
	LLVMTypeRef at[8];
	for (unsigned i = 0; i < n && i < 8; i++)
		at[i] = LLVMTypeOf(args[i]);
	LLVMTypeRef fty = LLVMFunctionType(ret, at, n, 0);
	LLVMValueRef callee = LLVMConstIntToPtr(cg_const(cg, (uint64_t)id), cg->t_ptr);
	return LLVMBuildCall2(cg->b, fty, callee, args, n, "");
}

static int add_helper_error(struct cg *cg, const char *name)
{
	struct meta_helper_error he = { .func = name };
	if (cg->cur)
		he.loc = cg->cur->loc;
	VEC_PUSH(&cg->meta->helper_errors, he);
	return (int)cg->meta->helper_errors.n - 1;
}

/* ret: i64 return value (or i32 / pointer).  Emits the event when it is
 * negative (pointers: null, retcode 0). */
void cg_helper_error(struct cg *cg, const char *name, LLVMValueRef ret)
{
	int id = add_helper_error(cg, name);
	LLVMValueRef bad, code;
	if (LLVMGetTypeKind(LLVMTypeOf(ret)) == LLVMPointerTypeKind) {
		bad = LLVMBuildIsNull(cg->b, ret, "");
		code = LLVMConstInt(cg->t_i32, 0, 0);
	} else {
		/* Judged on the low 32 bits, as bpftrace does: before Linux 6.4
		 * the map operations behind map_lookup/update/delete_elem
		 * returned int, so on 6.1 -ENOENT arrives as 0x00000000fffffffe. */
		code = LLVMTypeOf(ret) == cg->t_i32 ? ret : LLVMBuildTrunc(cg->b, ret, cg->t_i32, "");
		bad = LLVMBuildICmp(cg->b, LLVMIntSLT, code, LLVMConstInt(cg->t_i32, 0, 0), "");
	}
	LLVMBasicBlockRef err = cg_block(cg, "helper_err"), ok = cg_block(cg, "helper_ok");
	LLVMBuildCondBr(cg->b, bad, err, ok);
	LLVMPositionBuilderAtEnd(cg->b, err);
	struct cg_mark m = cg_mark(cg);
	LLVMValueRef rec = cg_alloc(cg, 24);
	cg_store_int(cg, rec, cg_const(cg, ASYNC_HELPER_ERROR), 8);
	cg_store_int(cg, cg_gep(cg, rec, 8), cg_const(cg, (uint64_t)id), 8);
	LLVMSetAlignment(LLVMBuildStore(cg->b, code, cg_gep(cg, rec, 16)), 4);
	cg_output(cg, rec, 20);
	cg_release(cg, m);
	LLVMBuildBr(cg->b, ok);
	LLVMPositionBuilderAtEnd(cg->b, ok);
}

LLVMValueRef cg_helper_checked(struct cg *cg, int id, const char *name, int level,
			       LLVMValueRef *args, unsigned n)
{
	LLVMValueRef r = cg_helper(cg, id, cg->t_i64, args, n);
	if (cg->meta->cfg.helper_check_level >= level)
		cg_helper_error(cg, name, r);
	return r;
}

LLVMValueRef cg_pid_tgid(struct cg *cg)
{
	return cg_helper(cg, BPF_FUNC_get_current_pid_tgid, cg->t_i64, NULL, 0);
}

LLVMValueRef cg_uid_gid(struct cg *cg)
{
	return cg_helper(cg, BPF_FUNC_get_current_uid_gid, cg->t_i64, NULL, 0);
}

/* nsecs by timestamp mode; sw_tai reads boot time (bt-fmt adds the
 * offset it measures, as bpftrace does). */
LLVMValueRef cg_ktime(struct cg *cg, int ts_mode)
{
	int id = BPF_FUNC_ktime_get_boot_ns;
	if (ts_mode == TS_MONOTONIC)
		id = BPF_FUNC_ktime_get_ns;
	else if (ts_mode == TS_TAI)
		id = BPF_FUNC_ktime_get_tai_ns;
	return cg_helper(cg, id, cg->t_i64, NULL, 0);
}
