/* calls.c - function calls (docs/bpftrace-compat.md "Function calls"):
 * dispatch by enum func to the family files, and the small value-producing
 * functions: ksym/usym, reg, kptr/uptr, signal, override, ntop, macaddr,
 * cgroup_path, bswap, strerror, strftime, kstack/ustack, nsecs(mode),
 * len.  Folded by bt-check (never seen here): sizeof offsetof kaddr cgroupid
 * pton and, when resolvable, uaddr.
 */
#include <linux/bpf.h>
#include <string.h>

#include "cg.h"

static struct node *arg(struct node *call, size_t i)
{
	return i < call->args.n ? call->args.v[i] : NULL;
}

/* Signal names of x86_64 Linux, for signal("SIGKILL"). */
static int signal_number(const char *s)
{
	static const char *names[] = {
		NULL, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
		"SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP",
		"TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
	};
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < (int)(sizeof names / sizeof names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static struct val signal_call(struct cg *cg, struct node *call)
{
	struct node *a = arg(call, 0);
	LLVMValueRef sig;
	if (a && a->kind == N_STR) {
		int n = signal_number(a->str);
		if (n < 0) {
			cg_fail(cg, "%s is not a valid signal", a->str);
			return val_none();
		}
		sig = cg_const32(cg, (uint32_t)n);
	} else {
		sig = LLVMBuildTrunc(cg->b, cg_int(cg, a), cg->t_i32, "");
	}
	LLVMValueRef args[1] = { sig };
	cg_helper_checked(cg, BPF_FUNC_send_signal, "send_signal", 1, args, 1);
	return val_none();
}

static struct val override_call(struct cg *cg, struct node *call)
{
	LLVMValueRef args[2] = { cg->fn->ctx, cg_int(cg, arg(call, 0)) };
	cg_helper_checked(cg, BPF_FUNC_override_return, "override_return", 1, args, 2);
	return val_none();
}

/* ntop([af,] addr): {u64 af; u8 addr[16]} */
static struct val ntop_call(struct cg *cg, struct node *call)
{
	LLVMValueRef p = cg_alloc_zero(cg, 24);
	struct node *a = call->args.n > 1 ? arg(call, 1) : arg(call, 0);
	struct type *at = a->type;
	LLVMValueRef af;
	bool v4 = at && (at->kind == TY_INT || at->size == 4);
	if (call->args.n > 1)
		af = cg_int(cg, arg(call, 0));
	else
		af = cg_const(cg, v4 ? 2 : 10);
	cg_store_int(cg, p, af, 8);
	if (at && at->kind == TY_INT) {
		cg_store_int(cg, cg_gep(cg, p, 8), cg_int(cg, a), 4);
	} else {
		struct val v = cg_expr(cg, a);
		uint32_t n = v.ty && v.ty->size < 16 ? v.ty->size : 16;
		struct type bt = { .kind = TY_ARRAY, .size = n };
		if (v.ty && v.ty->kind == TY_PTR) {
			cg_probe_read(cg, cg_gep(cg, p, 8), cg_const32(cg, 16), v.v, v.ty->as);
		} else {
			v.ty = type_clone(&bt);
			cg_store_val(cg, cg_gep(cg, p, 8), type_clone(&bt), v);
		}
	}
	return val_mem(p, call->type);
}

/* macaddr(x): 6 bytes copied or read */
static struct val macaddr_call(struct cg *cg, struct node *call)
{
	LLVMValueRef p = cg_alloc_zero(cg, 8);
	struct node *a = arg(call, 0);
	if (a->type && a->type->kind == TY_PTR) {
		cg_probe_read(cg, p, cg_const32(cg, 6), cg_int(cg, a), a->type->as);
	} else {
		struct val v = cg_expr(cg, a);
		struct type bt = { .kind = TY_MACADDR, .size = 6 };
		cg_store_val(cg, p, &bt, v);
	}
	return val_mem(p, call->type);
}

static struct val bswap_call(struct cg *cg, struct node *call)
{
	struct node *a = arg(call, 0);
	uint32_t bits = a->type && a->type->bits > 8 ? a->type->bits : 8;
	LLVMValueRef v = cg_int(cg, a);
	if (bits == 8)
		return val_int(LLVMBuildAnd(cg->b, v, cg_const(cg, 0xff), ""), call->type);
	LLVMTypeRef it = LLVMIntTypeInContext(cg->ctx, bits);
	unsigned id = LLVMLookupIntrinsicID("llvm.bswap", 10);
	LLVMValueRef f = LLVMGetIntrinsicDeclaration(cg->mod, id, &it, 1);
	LLVMTypeRef fty = LLVMIntrinsicGetType(cg->ctx, id, &it, 1);
	LLVMValueRef x = LLVMBuildTrunc(cg->b, v, it, "");
	LLVMValueRef r = LLVMBuildCall2(cg->b, fty, f, &x, 1, "");
	return val_int(LLVMBuildZExt(cg->b, r, cg->t_i64, ""), call->type);
}

/* strftime(fmt, ns): {u32 format id; u32 mode; u64 ns} */
static struct val strftime_call(struct cg *cg, struct node *call)
{
	LLVMValueRef p = cg_alloc_zero(cg, 16);
	struct node *ns = arg(call, 1);
	cg_store_int(cg, p, cg_const(cg, (uint64_t)call->id2), 4);
	uint32_t mode = call->type ? call->type->ts_mode : 0;
	cg_store_int(cg, cg_gep(cg, p, 4), cg_const(cg, mode), 4);
	cg_store_int(cg, cg_gep(cg, p, 8), ns ? cg_int(cg, ns) : cg_const(cg, 0), 8);
	return val_mem(p, call->type);
}

/* cgroup_path(id [, filter]): {u64 call id; u64 cgroup id} */
static struct val cgroup_path_call(struct cg *cg, struct node *call)
{
	LLVMValueRef p = cg_alloc_zero(cg, 16);
	cg_store_int(cg, p, cg_const(cg, (uint64_t)call->id2), 8);
	cg_store_int(cg, cg_gep(cg, p, 8), cg_int(cg, arg(call, 0)), 8);
	return val_mem(p, call->type);
}

static int ts_mode_of(struct node *call)
{
	struct node *a = arg(call, 0);
	if (!a)
		return TS_BOOT;
	if (a->type && a->type->kind == TY_TS_MODE)
		return a->type->ts_mode;
	if (a->str) {
		if (strcmp(a->str, "monotonic") == 0)
			return TS_MONOTONIC;
		if (strcmp(a->str, "tai") == 0)
			return TS_TAI;
		if (strcmp(a->str, "sw_tai") == 0)
			return TS_SW_TAI;
	}
	return TS_BOOT;
}

static LLVMValueRef nsecs_call(struct cg *cg, struct node *call)
{
	int mode = ts_mode_of(call);
	LLVMValueRef v = cg_ktime(cg, mode);
	if (mode == TS_SW_TAI) {
		/* boot time + (TAI - boot) measured by bt-load at start */
		struct cg_map **slot = &cg->sw_tai;
		if (!*slot)
			*slot = cg_map_new(cg, "sw_tai", BPF_MAP_TYPE_ARRAY, 4, 8, 1);
		LLVMValueRef key = cg_alloc(cg, 8);
		cg_store_int(cg, key, cg_const(cg, 0), 4);
		v = LLVMBuildAdd(cg->b, v, cg_map_read_u64(cg, *slot, key), "");
	}
	return v;
}

static struct val stack_call(struct cg *cg, struct node *call)
{
	struct type *t = call->type;
	if (t->kind == TY_KSTACK)
		return val_int(cg_stack_id(cg, t), t);
	LLVMValueRef p = cg_alloc_zero(cg, 16);
	cg_store_int(cg, p, cg_stack_id(cg, t), 8);
	cg_store_int(cg, cg_gep(cg, p, 8), LLVMBuildLShr(cg->b, cg_pid_tgid(cg), cg_const(cg, 32), ""), 4);
	cg_store_int(cg, cg_gep(cg, p, 12), cg_probe_id(cg), 4);
	return val_mem(p, t);
}

static struct val reg_call(struct cg *cg, struct node *call)
{
	/* bt-check resolves the name to the pt_regs slot (num) */
	struct node *a = arg(call, 0);
	int off = a && a->kind == N_STR ? cg_reg_offset(a->str) : -1;
	if (off < 0 && call->num >= 0 && call->num <= 20)
		off = (int)call->num * 8;
	if (off < 0) {
		cg_fail(cg, "'%s' is not a valid register on this architecture (x86_64)",
			a && a->str ? a->str : "?");
		return val_int(cg_const(cg, 0), call->type);
	}
	return val_int(cg_reg(cg, (uint32_t)off), call->type);
}

/* skboutput(path, skb, len, offset): {u64 30011; u64 call id; u64 boot
 * ns} followed by len packet bytes, through bpf_skb_output on the
 * PERF_EVENT_ARRAY `skb_output` (libbpf sizes it to the CPU count).  The
 * call id indexes meta.skboutputs (file, offset: literals, bt-check). */
static struct val skboutput_call(struct cg *cg, struct node *call)
{
	if (!cg->skb_output)
		cg->skb_output = cg_map_new(cg, "skb_output", BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0);
	struct node *file = arg(call, 0), *offset = arg(call, 3);
	struct meta_skboutput so = {
		.path = file && file->kind == N_STR ? file->str : "",
		.offset = offset && offset->kind == N_INT ? (uint64_t)offset->num : 0,
	};
	VEC_PUSH(&cg->meta->skboutputs, so);
	LLVMValueRef rec = cg_alloc_zero(cg, 24);
	cg_store_int(cg, rec, cg_const(cg, ASYNC_SKBOUTPUT), 8);
	cg_store_int(cg, cg_gep(cg, rec, 8), cg_const(cg, cg->meta->skboutputs.n - 1), 8);
	cg_store_int(cg, cg_gep(cg, rec, 16), cg_ktime(cg, TS_BOOT), 8);
	LLVMValueRef skb = cg_int(cg, arg(call, 1));
	LLVMValueRef len = cg_int(cg, arg(call, 2));
	LLVMValueRef flags = LLVMBuildOr(cg->b, LLVMBuildShl(cg->b, len, cg_const(cg, 32), ""),
					 cg_const(cg, BPF_F_CURRENT_CPU), "");
	LLVMValueRef args[5] = { LLVMBuildIntToPtr(cg->b, skb, cg->t_ptr, ""), cg_map_ref(cg, cg->skb_output),
				 flags, rec, cg_const(cg, 24) };
	LLVMValueRef r = cg_helper_checked(cg, BPF_FUNC_skb_output, "skb_output", 1, args, 5);
	return val_int(LLVMBuildAnd(cg->b, r, cg_const(cg, 0xffffffff), ""), call->type);
}

struct val cg_call(struct cg *cg, struct node *n)
{
	struct type *t = n->type;
	switch (n->id) {
	case F_PRINTF: case F_SYSTEM: case F_CAT: case F_EXIT: case F_PRINT: case F_CLEAR:
	case F_ZERO: case F_TIME: case F_JOIN: case F_UNWATCH: case F_DEBUGF:
		return cg_call_output(cg, n);
	case F_STR: return cg_str_call(cg, n);
	case F_BUF: return cg_buf_call(cg, n);
	case F_PATH: return cg_path_call(cg, n);
	case F_STRNCMP: return val_int(cg_strncmp(cg, n), t);
	case F_STRCONTAINS: return val_int(cg_strcontains(cg, n), t);
	case F_DELETE: cg_map_delete_call(cg, n); return val_none();
	case F_LEN: return val_int(cg_map_len(cg, arg(n, 0)), t);
	case F_KSYM: case F_STRERROR:
		return val_int(cg_int(cg, arg(n, 0)), t);
	case F_USYM: return cg_usym(cg, cg_int(cg, arg(n, 0)), t);
	case F_KPTR: case F_UPTR: {
		struct val v = cg_expr(cg, arg(n, 0));
		if (v.k == VK_EXT && t)
			v.as = t->kind == TY_PTR || !t->elem ? (n->id == F_UPTR ? AS_USER : AS_KERNEL) : v.as;
		v.ty = t ? t : v.ty;
		return v;
	}
	case F_REG: return reg_call(cg, n);
	case F_SIGNAL: return signal_call(cg, n);
	case F_OVERRIDE: return override_call(cg, n);
	case F_NTOP: return ntop_call(cg, n);
	case F_MACADDR: return macaddr_call(cg, n);
	case F_BSWAP: return bswap_call(cg, n);
	case F_STRFTIME: return strftime_call(cg, n);
	case F_CGROUP_PATH: return cgroup_path_call(cg, n);
	case F_KSTACK: case F_USTACK: return stack_call(cg, n);
	case F_NSECS: return val_int(nsecs_call(cg, n), t);
	case F_SKBOUTPUT: return skboutput_call(cg, n);
	case F_COUNT: case F_SUM: case F_MIN: case F_MAX: case F_AVG: case F_STATS:
	case F_HIST: case F_LHIST:
		cg_fail(cg, "%s() should be directly assigned to a map", func_name((enum func)n->id));
		return val_none();
	default:
		cg_fail(cg, "cannot lower %s() (not folded or not supported)",
			n->str ? n->str : func_name((enum func)n->id));
		return val_int(cg_const(cg, 0), t);
	}
}
