/* builtins.c - builtin variables (docs/bpftrace-compat.md "Builtins"):
 * process and time helpers, comm, curtask, stacks, probe/func, arguments and
 * registers by probe type (x86_64 pt_regs layout), tracepoint and kfunc args.
 *
 * Program contexts: kprobe/uprobe/usdt get struct pt_regs; perf_event
 * programs get bpf_perf_event_data, whose first member is the pt_regs;
 * raw tracepoints and kfunc an array of u64 arguments; tracepoints the
 * event record.
 */
#include <linux/bpf.h>
#include <string.h>

#include "cg.h"

/* x86_64 struct pt_regs */
static const struct {
	const char *name;
	uint32_t off;
} regs[] = {
	{ "r15", 0 }, { "r14", 8 }, { "r13", 16 }, { "r12", 24 }, { "bp", 32 },
	{ "bx", 40 }, { "r11", 48 }, { "r10", 56 }, { "r9", 64 }, { "r8", 72 },
	{ "ax", 80 }, { "cx", 88 }, { "dx", 96 }, { "si", 104 }, { "di", 112 },
	{ "orig_ax", 120 }, { "ip", 128 }, { "cs", 136 }, { "flags", 144 },
	{ "sp", 152 }, { "ss", 160 },
};
static const uint32_t arg_regs[] = { 112, 104, 96, 88, 72, 64 }; /* di si dx cx r8 r9 */
#define REG_AX 80
#define REG_SP 152
#define REG_IP 128

int cg_reg_offset(const char *name)
{
	for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
		if (strcmp(regs[i].name, name) == 0)
			return (int)regs[i].off;
	return -1;
}

/* A u64 of the context at a fixed offset. */
static LLVMValueRef ctx_u64(struct cg *cg, uint32_t off)
{
	LLVMValueRef p = cg_gep(cg, cg->fn->ctx, off);
	LLVMValueRef v = LLVMBuildLoad2(cg->b, cg->t_i64, p, "");
	LLVMSetAlignment(v, 8);
	return v;
}

LLVMValueRef cg_reg(struct cg *cg, uint32_t offset)
{
	return ctx_u64(cg, offset);
}

static enum probe_type ptype(struct cg *cg)
{
	return cg->fn->probe->type;
}

LLVMValueRef cg_arg(struct cg *cg, int n, struct type *t)
{
	switch (ptype(cg)) {
	case PT_RAWTRACEPOINT:
	case PT_KFUNC:
	case PT_KRETFUNC:
		return ctx_u64(cg, 8u * (uint32_t)n);
	case PT_USDT:
		return cg_usdt_arg(cg, n);
	default:
		if (n < 0 || n >= 6) {
			cg_fail(cg, "arg%d is not available on x86_64", n);
			return cg_const(cg, 0);
		}
		return cg_reg(cg, arg_regs[n]);
	}
	(void)t;
}

/* Probe name id: a constant when the program serves one attach point,
 * else the attach cookie (bt-check puts the probe name id there). */
LLVMValueRef cg_probe_id(struct cg *cg)
{
	struct meta_probe *mp = cg->fn->probe;
	if (cg->fn->probe_id)
		return cg->fn->probe_id;
	if (mp->nattach == 1)
		return cg_iconst(cg, mp->attach[0].cookie);
	LLVMValueRef args[1] = { cg->fn->ctx };
	return cg_helper(cg, BPF_FUNC_get_attach_cookie, cg->t_i64, args, 1);
}

LLVMValueRef cg_stack_id(struct cg *cg, struct type *t)
{
	uint16_t limit = t->stack_limit ? t->stack_limit : 127;
	struct cg_map *m = cg_stack_map(cg, limit);
	uint64_t flags = t->kind == TY_USTACK ? BPF_F_USER_STACK : 0;
	LLVMValueRef args[3] = { cg->fn->ctx, cg_map_ref(cg, m), cg_const(cg, flags) };
	return cg_helper_checked(cg, BPF_FUNC_get_stackid, "get_stackid", 1, args, 3);
}

/* ustack: {u64 stack id; u32 pid; u32 probe id} */
static struct val ustack(struct cg *cg, struct type *t)
{
	LLVMValueRef p = cg_alloc_zero(cg, 16);
	cg_store_int(cg, p, cg_stack_id(cg, t), 8);
	LLVMValueRef pid = LLVMBuildLShr(cg->b, cg_pid_tgid(cg), cg_const(cg, 32), "");
	cg_store_int(cg, cg_gep(cg, p, 8), pid, 4);
	cg_store_int(cg, cg_gep(cg, p, 12), cg_probe_id(cg), 4);
	return val_mem(p, t);
}

static struct cg_map *runtime_map(struct cg *cg, struct cg_map **slot, const char *name)
{
	if (!*slot)
		*slot = cg_map_new(cg, name, BPF_MAP_TYPE_ARRAY, 4, 8, 1);
	return *slot;
}

/* The u64 at index 0 of an array map bt-load fills (0 when absent). */
static LLVMValueRef runtime_value(struct cg *cg, struct cg_map *m)
{
	LLVMValueRef key = cg_alloc(cg, 8);
	cg_store_int(cg, key, cg_const(cg, 0), 4);
	return cg_map_read_u64(cg, m, key);
}

/* func: uprobes read the instruction pointer from the saved registers
 * (as bpftrace v0.20 does): bpf_get_func_ip serves uprobes only from
 * Linux 6.4, and at a uprobe's entry the two agree (a uretprobe's ip is
 * the return address, in the caller).  Kernel probes use the helper,
 * which gives the probed function's address also in a kretprobe. */
static LLVMValueRef func_ip(struct cg *cg)
{
	if (ptype(cg) == PT_UPROBE || ptype(cg) == PT_URETPROBE)
		return cg_reg(cg, REG_IP);
	LLVMValueRef args[1] = { cg->fn->ctx };
	return cg_helper(cg, BPF_FUNC_get_func_ip, cg->t_i64, args, 1);
}

/* usym: {u64 addr; u64 pid; u64 probe id} */
static struct val usym(struct cg *cg, LLVMValueRef addr, struct type *t)
{
	LLVMValueRef p = cg_alloc_zero(cg, 24);
	cg_store_int(cg, p, addr, 8);
	cg_store_int(cg, cg_gep(cg, p, 8),
		     LLVMBuildLShr(cg->b, cg_pid_tgid(cg), cg_const(cg, 32), ""), 8);
	cg_store_int(cg, cg_gep(cg, p, 16), cg_probe_id(cg), 8);
	return val_mem(p, t);
}

struct val cg_usym(struct cg *cg, LLVMValueRef addr, struct type *t)
{
	return usym(cg, addr, t);
}

static LLVMValueRef sarg(struct cg *cg, int n, struct type *t)
{
	LLVMValueRef sp = cg_reg(cg, REG_SP);
	LLVMValueRef addr = LLVMBuildAdd(cg->b, sp, cg_const(cg, 8ULL * (uint64_t)(n + 1)), "");
	LLVMValueRef tmp = cg_alloc(cg, 8);
	cg_store_int(cg, tmp, cg_const(cg, 0), 8);
	uint8_t as = ptype(cg) == PT_UPROBE || ptype(cg) == PT_URETPROBE ? AS_USER : AS_KERNEL;
	cg_probe_read(cg, tmp, cg_const32(cg, 8), addr, as);
	(void)t;
	return LLVMBuildLoad2(cg->b, cg->t_i64, tmp, "");
}

void cg_builtin_into(struct cg *cg, struct node *n, LLVMValueRef dst, struct type *dt)
{
	if (n->id == B_COMM) {
		/* Zeroed first: before 6.2-ish kernels (Debian's 6.1) the helper
		 * copies up to the NUL and leaves the rest of the buffer as it
		 * was, and a comm is compared and used as a map key whole. */
		LLVMValueRef buf = dt->size >= 16 ? dst : cg_alloc(cg, 16);
		cg_memset0(cg, buf, buf == dst ? dt->size : 16);
		LLVMValueRef args[2] = { buf, cg_const32(cg, 16) };
		cg_helper_checked(cg, BPF_FUNC_get_current_comm, "get_current_comm", 1, args, 2);
		if (buf != dst)
			cg_memcpy(cg, dst, buf, dt->size);
		return;
	}
	cg_store_val(cg, dst, dt, cg_builtin(cg, n));
}

struct val cg_builtin(struct cg *cg, struct node *n)
{
	struct type *t = n->type;
	LLVMBuilderRef b = cg->b;
	switch (n->id) {
	case B_PID:
		return val_int(LLVMBuildLShr(b, cg_pid_tgid(cg), cg_const(cg, 32), ""), t);
	case B_TID:
		return val_int(LLVMBuildAnd(b, cg_pid_tgid(cg), cg_const(cg, 0xffffffff), ""), t);
	case B_UID:
	case B_USERNAME:
		return val_int(LLVMBuildAnd(b, cg_uid_gid(cg), cg_const(cg, 0xffffffff), ""), t);
	case B_GID:
		return val_int(LLVMBuildLShr(b, cg_uid_gid(cg), cg_const(cg, 32), ""), t);
	case B_NSECS:
		return val_int(cg_ktime(cg, TS_BOOT), t);
	case B_ELAPSED: {
		LLVMValueRef start = runtime_value(cg, runtime_map(cg, &cg->elapsed, "elapsed"));
		return val_int(LLVMBuildSub(b, cg_ktime(cg, TS_BOOT), start, ""), t);
	}
	case B_JIFFIES:
		return val_int(cg_helper(cg, BPF_FUNC_jiffies64, cg->t_i64, NULL, 0), t);
	case B_CPU:
		return val_int(LLVMBuildZExt(b, cg_helper(cg, BPF_FUNC_get_smp_processor_id, cg->t_i32,
							    NULL, 0), cg->t_i64, ""), t);
	case B_NUMAID:
		return val_int(LLVMBuildZExt(b, cg_helper(cg, BPF_FUNC_get_numa_node_id, cg->t_i32,
							    NULL, 0), cg->t_i64, ""), t);
	case B_RAND:
		return val_int(LLVMBuildZExt(b, cg_helper(cg, BPF_FUNC_get_prandom_u32, cg->t_i32,
							    NULL, 0), cg->t_i64, ""), t);
	case B_CGROUP:
		return val_int(cg_helper(cg, BPF_FUNC_get_current_cgroup_id, cg->t_i64, NULL, 0), t);
	case B_COMM: {
		struct type *st = t && t->kind == TY_STRING && t->size >= 16 ? t : type_string(16);
		LLVMValueRef p = cg_alloc(cg, st->size);
		cg_builtin_into(cg, n, p, st);
		return val_mem(p, st);
	}
	case B_CURTASK:
		return val_int(cg_helper(cg, BPF_FUNC_get_current_task, cg->t_i64, NULL, 0), t);
	case B_CPID:
		return val_int(runtime_value(cg, runtime_map(cg, &cg->cpid, "cpid")), t);
	case B_KSTACK:
		return val_int(cg_stack_id(cg, t), t);
	case B_USTACK:
		return ustack(cg, t);
	case B_PROBE:
		return val_int(cg_probe_id(cg), t);
	case B_FUNC:
		if (t && t->kind == TY_USYM)
			return usym(cg, func_ip(cg), t);
		return val_int(func_ip(cg), t);
	case B_RETVAL:
		if (ptype(cg) == PT_KRETFUNC || ptype(cg) == PT_KFUNC) {
			/* the context is the u64 argument array; retval follows
			 * the arguments (bt-check puts its offset in num) */
			struct val base = val_mem(cg->fn->ctx, t);
			base.ctx = true;
			return cg_load_at(cg, base, (uint64_t)n->num, t);
		}
		return val_int(cg_normalize(cg, cg_reg(cg, REG_AX), t), t);
	case B_ARGS: {
		if (t && t->is_funcarg && (ptype(cg) == PT_UPROBE || ptype(cg) == PT_URETPROBE)) {
			/* uprobe parameters live in registers: gather the record */
			LLVMValueRef p = cg_alloc_zero(cg, t->size);
			for (uint32_t i = 0; i < t->nfields; i++) {
				const struct field *f = &t->fields[i];
				LLVMValueRef v = cg_arg(cg, (int)(f->offset / 8), f->type);
				cg_store_int(cg, cg_gep(cg, p, f->offset), v,
					     f->type && f->type->size && f->type->size < 8 ? f->type->size : 8);
			}
			return val_mem(p, t);
		}
		struct val v = val_mem(cg->fn->ctx, t);
		v.ctx = true;
		return v;
	}
	case B_CTX:
		return val_int(LLVMBuildPtrToInt(b, cg->fn->ctx, cg->t_i64, ""), t);
	default:
		if (n->id >= B_ARG0 && n->id <= B_ARG9)
			return val_int(cg_normalize(cg, cg_arg(cg, n->id - B_ARG0, t), t), t);
		if (n->id >= B_SARG0 && n->id <= B_SARG9)
			return val_int(sarg(cg, n->id - B_SARG0, t), t);
		cg_fail(cg, "unknown builtin %s", n->str ? n->str : "?");
		return val_int(cg_const(cg, 0), t);
	}
}
