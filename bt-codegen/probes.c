/* probes.c - one BPF function per probe block (meta.probes[i], named
 * meta.probes[i].prog): its ELF section (the prefix tells libbpf the
 * program type, ir-spec/obj.md), debug info, the block layout
 *
 *   allocas   entry: scalar allocas and the frame buffer
 *   prologue  scratch-space set-up (only when the program needs it)
 *   body      predicate, then the statements
 *   exit      common return (restores the scratch nesting level)
 *
 * and the variable slots.
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"

LLVMBasicBlockRef cg_block(struct cg *cg, const char *name)
{
	return LLVMAppendBasicBlockInContext(cg->ctx, cg->fn->fn, name);
}

bool cg_terminated(struct cg *cg)
{
	LLVMBasicBlockRef bb = LLVMGetInsertBlock(cg->b);
	return bb && LLVMGetBasicBlockTerminator(bb) != NULL;
}

void cg_dead_block(struct cg *cg)
{
	LLVMPositionBuilderAtEnd(cg->b, cg_block(cg, "dead"));
}

void cg_return(struct cg *cg)
{
	LLVMBuildBr(cg->b, cg->fn->exit);
	cg_dead_block(cg);
}

/* Section name: libbpf derives the program type from the prefix. */
static const char *section_name(struct meta_probe *mp, int raw_syscall)
{
	if (raw_syscall)
		return raw_syscall == RAW_SYS_ENTER ? "raw_tp/sys_enter" : "raw_tp/sys_exit";
	const struct attach_point *ap = mp->nattach ? mp->attach[0].ap : NULL;
	/* the event / function / iterator name (func, else target) */
	const char *func = ap && ap->func ? ap->func : ap && ap->target ? ap->target : "";
	switch (mp->type) {
	case PT_BEGIN: return "raw_tp/BEGIN";
	case PT_END: return "raw_tp/END";
	case PT_TRACEPOINT:
		if (ap && ap->target)
			return arena_printf("tracepoint/%s/%s", ap->target, func);
		return "tracepoint";
	case PT_RAWTRACEPOINT: return arena_printf("raw_tp/%s", func);
	case PT_KPROBE: return arena_printf("kprobe/%s", func);
	case PT_KRETPROBE: return arena_printf("kretprobe/%s", func);
	case PT_UPROBE: return "uprobe";
	case PT_URETPROBE: return "uretprobe";
	case PT_USDT: return "usdt";
	case PT_PROFILE: case PT_INTERVAL: case PT_SOFTWARE: case PT_HARDWARE:
	case PT_WATCHPOINT: case PT_ASYNCWATCHPOINT:
		return "perf_event";
	case PT_KFUNC: return arena_printf("fentry/%s", func);
	case PT_KRETFUNC: return arena_printf("fexit/%s", func);
	case PT_ITER: return arena_printf("iter/%s", func);
	default: return "raw_tp";
	}
}

/* ---- syscall tracepoints as one raw tracepoint ---- */

static bool uses_builtin(struct node *n, enum builtin b)
{
	if (!n)
		return false;
	if (n->kind == N_BUILTIN && n->id == (int32_t)b)
		return true;
	for (int k = 0; k < 3; k++)
		if (uses_builtin(node_kid(n, k), b))
			return true;
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < node_list(n, l)->n; i++)
			if (uses_builtin(node_list(n, l)->v[i], b))
				return true;
	return false;
}

/* The syscall name of a syscalls:sys_enter_X / sys_exit_X attach point
 * and which of the two it is. */
static const char *syscall_of(const struct attach_point *ap, int *mode)
{
	if (!ap || !ap->target || strcmp(ap->target, "syscalls") || !ap->func)
		return NULL;
	if (strncmp(ap->func, "sys_enter_", 10) == 0) {
		*mode = RAW_SYS_ENTER;
		return ap->func + 10;
	}
	if (strncmp(ap->func, "sys_exit_", 9) == 0) {
		*mode = RAW_SYS_EXIT;
		return ap->func + 9;
	}
	return NULL;
}

/* A block on many syscalls:sys_enter_* (or sys_exit_*) tracepoints that
 * does not read `args` (whose layout differs per syscall) runs as one
 * raw_tp/sys_enter (sys_exit) program; bt-load attaches it once
 * (ir-spec/obj.md, "Attach by section"). */
static int raw_syscall_mode(struct meta_probe *mp, struct node *probe)
{
	if (mp->type != PT_TRACEPOINT || mp->nattach < CG_RAW_SYSCALL_MIN)
		return RAW_SYS_NONE;
	int mode = RAW_SYS_NONE;
	char seen[1024] = { 0 };
	for (uint32_t i = 0; i < mp->nattach; i++) {
		int m = RAW_SYS_NONE;
		const char *name = syscall_of(mp->attach[i].ap, &m);
		int nr = name ? cg_syscall_nr(name) : -1;
		if (nr < 0 || nr >= (int)sizeof seen || seen[nr] || (mode && m != mode))
			return RAW_SYS_NONE;
		seen[nr] = 1;
		mode = m;
	}
	if (uses_builtin(probe, B_ARGS))
		return RAW_SYS_NONE;
	return mode;
}

/* Raw sys_enter/sys_exit context: u64 args[] = { struct pt_regs *regs,
 * syscall id (enter) / return value (exit) }.  Keep the syscalls of the
 * block, as their probe ids, and 64-bit ones only (the syscall
 * tracepoints skip ia32 syscalls: user code segment 0x23, not 0x33). */
#define PT_REGS_ORIG_AX 120
#define PT_REGS_CS 136
#define USER64_CS 0x33

static LLVMValueRef regs_u64(struct cg *cg, uint32_t off)
{
	LLVMValueRef regs = LLVMBuildLoad2(cg->b, cg->t_i64, cg->fn->ctx, "regs");
	LLVMValueRef tmp = cg_alloc(cg, 8);
	cg_store_int(cg, tmp, cg_const(cg, 0), 8);
	LLVMValueRef addr = LLVMBuildAdd(cg->b, regs, cg_const(cg, off), "");
	LLVMValueRef args[3] = { tmp, cg_const32(cg, 8), LLVMBuildIntToPtr(cg->b, addr, cg->t_ptr, "") };
	cg_helper(cg, BPF_FUNC_probe_read_kernel, cg->t_i64, args, 3);
	return LLVMBuildLoad2(cg->b, cg->t_i64, tmp, "");
}

static void raw_syscall_dispatch(struct cg *cg)
{
	struct cg_fn *fn = cg->fn;
	struct meta_probe *mp = fn->probe;
	struct cg_mark m = cg_mark(cg);
	LLVMValueRef nr;
	if (fn->raw_syscall == RAW_SYS_ENTER) {
		LLVMValueRef p = cg_gep(cg, fn->ctx, 8);
		nr = LLVMBuildLoad2(cg->b, cg->t_i64, p, "nr");
	} else {
		nr = regs_u64(cg, PT_REGS_ORIG_AX);
	}
	LLVMBasicBlockRef matched = cg_block(cg, "sys_matched");
	LLVMValueRef sw = LLVMBuildSwitch(cg->b, nr, fn->exit, mp->nattach);
	LLVMPositionBuilderAtEnd(cg->b, matched);
	LLVMValueRef phi = LLVMBuildPhi(cg->b, cg->t_i64, "probe_id");
	for (uint32_t i = 0; i < mp->nattach; i++) {
		int mode;
		int n = cg_syscall_nr(syscall_of(mp->attach[i].ap, &mode));
		LLVMBasicBlockRef bb = cg_block(cg, "sys_case");
		LLVMAddCase(sw, cg_const(cg, (uint64_t)n), bb);
		LLVMPositionBuilderAtEnd(cg->b, bb);
		LLVMBuildBr(cg->b, matched);
		LLVMValueRef v = cg_const(cg, mp->attach[i].cookie);
		LLVMAddIncoming(phi, &v, &bb, 1);
	}
	LLVMPositionBuilderAtEnd(cg->b, matched);
	LLVMValueRef cs = regs_u64(cg, PT_REGS_CS);
	LLVMBasicBlockRef go = cg_block(cg, "sys_go");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntEQ, cs, cg_const(cg, USER64_CS), ""),
			go, fn->exit);
	LLVMPositionBuilderAtEnd(cg->b, go);
	fn->probe_id = phi;
	cg_release(cg, m);
}

/* An iterator program is called once more after the last element with a
 * NULL object (the second context field) so it can print an epilogue;
 * bpftrace programs print per element only. */
static void iter_skip_end(struct cg *cg)
{
	LLVMValueRef p = cg_gep(cg, cg->fn->ctx, 8);
	LLVMValueRef obj = LLVMBuildLoad2(cg->b, cg->t_ptr, p, "iter_obj");
	LLVMBasicBlockRef go = cg_block(cg, "iter_elem");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, obj, ""), cg->fn->exit, go);
	LLVMPositionBuilderAtEnd(cg->b, go);
}

static void collect_vars(struct node *n, struct cg_var *vars, uint32_t nvars)
{
	if (!n)
		return;
	if (n->kind == N_VAR && n->id >= 0 && (uint32_t)n->id < nvars && n->type) {
		struct cg_var *v = &vars[n->id];
		if (!v->type || n->type->size > v->type->size)
			v->type = n->type;
	}
	for (int k = 0; k < 3; k++)
		collect_vars(node_kid(n, k), vars, nvars);
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < node_list(n, l)->n; i++)
			collect_vars(node_list(n, l)->v[i], vars, nvars);
}

static int max_var_id(struct node *n)
{
	if (!n)
		return -1;
	int m = n->kind == N_VAR ? n->id : -1, x;
#define MAXOF(e) do { x = (e); if (x > m) m = x; } while (0)
	for (int k = 0; k < 3; k++)
		MAXOF(max_var_id(node_kid(n, k)));
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < node_list(n, l)->n; i++)
			MAXOF(max_var_id(node_list(n, l)->v[i]));
#undef MAXOF
	return m;
}

static void add_debug_info(struct cg *cg, struct cg_fn *fn, const char *name, int line)
{
	fn->di_sp = LLVMDIBuilderCreateFunction(cg->di, cg->di_file, name, strlen(name), name,
						strlen(name), cg->di_file, (unsigned)line,
						cg->di_func_ty, 0, 1, (unsigned)line,
						LLVMDIFlagPrototyped, 1);
	LLVMSetSubprogram(fn->fn, fn->di_sp);
	/* a named ctx parameter: the kernel rejects BTF with unnamed ones */
	LLVMDIBuilderCreateParameterVariable(cg->di, fn->di_sp, "ctx", 3, 1, cg->di_file,
					     (unsigned)line, cg->di_ptr, 1, LLVMDIFlagZero);
}

static void add_fn_attrs(struct cg *cg, LLVMValueRef f)
{
	const char *names[] = { "nounwind" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		unsigned k = LLVMGetEnumAttributeKindForName(names[i], strlen(names[i]));
		LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
					LLVMCreateEnumAttribute(cg->ctx, k, 0));
	}
}

/* The scratch prologue: take the next nesting level of this CPU, look its
 * scratch value up, remember both for the exit block. */
static void build_prologue(struct cg *cg, LLVMBasicBlockRef early)
{
	struct cg_fn *fn = cg->fn;
	LLVMPositionBuilderAtEnd(cg->b, fn->prologue);
	if (!fn->scratch_max) {
		LLVMBuildBr(cg->b, fn->body);
		return;
	}
	if (!cg->scratch_depth)
		cg->scratch_depth = cg_map_new(cg, "scratch_depth", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1);
	if (!cg->scratch)
		cg->scratch = cg_map_new(cg, "scratch", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8,
					 CG_SCRATCH_DEPTH);
	uint32_t need = (fn->scratch_max + 7) & ~7u;
	if (need > cg->scratch_value_size)
		cg->scratch_value_size = need;

	LLVMValueRef key = cg_entry_alloca(cg, cg->t_i32, "zero");
	LLVMBuildStore(cg->b, cg_const32(cg, 0), key);
	LLVMValueRef dptr = cg_map_lookup(cg, cg->scratch_depth, key);
	LLVMBasicBlockRef got = cg_block(cg, "depth_ok");
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, dptr, ""), early, got);
	LLVMPositionBuilderAtEnd(cg->b, got);
	LLVMValueRef d = LLVMBuildLoad2(cg->b, cg->t_i64, dptr, "depth");
	LLVMBasicBlockRef take = cg_block(cg, "depth_take");
	LLVMBuildCondBr(cg->b, LLVMBuildICmp(cg->b, LLVMIntUGE, d, cg_const(cg, CG_SCRATCH_DEPTH), ""),
			early, take);
	LLVMPositionBuilderAtEnd(cg->b, take);
	LLVMBuildStore(cg->b, LLVMBuildAdd(cg->b, d, cg_const(cg, 1), ""), dptr);
	LLVMBuildStore(cg->b, dptr, fn->depth_ptr_slot);
	LLVMBuildStore(cg->b, d, fn->depth_slot);
	LLVMValueRef lkey = cg_entry_alloca(cg, cg->t_i32, "level");
	LLVMBuildStore(cg->b, LLVMBuildTrunc(cg->b, d, cg->t_i32, ""), lkey);
	LLVMValueRef base = cg_map_lookup(cg, cg->scratch, lkey);
	LLVMBuildStore(cg->b, base, fn->scratch_slot);
	LLVMBuildCondBr(cg->b, LLVMBuildIsNull(cg->b, base, ""), fn->exit, fn->body);
}

static void build_exit(struct cg *cg, LLVMBasicBlockRef early)
{
	struct cg_fn *fn = cg->fn;
	LLVMPositionBuilderAtEnd(cg->b, fn->exit);
	if (fn->scratch_max) {
		LLVMValueRef dptr = LLVMBuildLoad2(cg->b, cg->t_ptr, fn->depth_ptr_slot, "");
		LLVMValueRef d = LLVMBuildLoad2(cg->b, cg->t_i64, fn->depth_slot, "");
		LLVMBuildStore(cg->b, d, dptr);
	}
	LLVMBuildRet(cg->b, cg_const32(cg, (uint32_t)fn->retval));
	LLVMPositionBuilderAtEnd(cg->b, early);
	LLVMBuildRet(cg->b, cg_const32(cg, (uint32_t)fn->retval));
}

/* Replace the placeholder frame by an alloca of the size used. */
static void size_frame(struct cg *cg)
{
	struct cg_fn *fn = cg->fn;
	if (!fn->frame)
		return;
	LLVMValueRef real = LLVMBuildAlloca(fn->ab, LLVMArrayType(cg->t_i8, fn->frame_max ? fn->frame_max : 8),
					    "frame");
	LLVMSetAlignment(real, 8);
	LLVMReplaceAllUsesWith(fn->frame, real);
	LLVMInstructionEraseFromParent(fn->frame);
	fn->frame = real;
}

/* Give every block left open (dead code after exit/return) a way out. */
static void close_blocks(struct cg *cg)
{
	for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(cg->fn->fn); bb;
	     bb = LLVMGetNextBasicBlock(bb)) {
		if (LLVMGetBasicBlockTerminator(bb))
			continue;
		LLVMPositionBuilderAtEnd(cg->b, bb);
		LLVMBuildBr(cg->b, cg->fn->exit);
	}
}

/* Start a BPF function: blocks, builder for allocas, debug info.
 * Returns the early-exit block (for fn_end). */
static LLVMBasicBlockRef fn_begin(struct cg *cg, struct meta_probe *mp, const char *name,
				  const char *section, int line)
{
	/* malloc'ed, freed by fn_end (its variables and parameters too):
	 * 100,000 blocks would keep 45 MB of them */
	struct cg_fn *fn = calloc(1, sizeof *fn);
	if (!fn)
		arena_out_of_memory(sizeof *fn);
	cg->fn = fn;
	fn->probe = mp;
	fn->retval = 0;
	LLVMTypeRef params[1] = { cg->t_ptr };
	LLVMTypeRef fty = LLVMFunctionType(cg->t_i32, params, 1, 0);
	fn->fn = LLVMAddFunction(cg->mod, name, fty);
	fn->ctx = LLVMGetParam(fn->fn, 0);
	LLVMSetValueName2(fn->ctx, "ctx", 3);
	LLVMSetSection(fn->fn, section);
	add_fn_attrs(cg, fn->fn);
	fn->section = section;
	fn->line = line > 0 ? line : 1;
	/* shared mode: only the function of a new shape gets debug info,
	 * after its text is compared (fn_end) */
	if (!cg->share)
		add_debug_info(cg, fn, name, fn->line);

	fn->allocas = cg_block(cg, "entry");
	fn->prologue = cg_block(cg, "prologue");
	fn->body = cg_block(cg, "body");
	fn->exit = cg_block(cg, "exit");
	LLVMBasicBlockRef early = cg_block(cg, "exit_early");
	fn->ab = LLVMCreateBuilderInContext(cg->ctx);
	LLVMPositionBuilderAtEnd(fn->ab, fn->allocas);
	fn->depth_ptr_slot = cg_entry_alloca(cg, cg->t_ptr, "depth_ptr");
	fn->depth_slot = cg_entry_alloca(cg, cg->t_i64, "depth");
	fn->scratch_slot = cg_entry_alloca(cg, cg->t_ptr, "scratch");
	LLVMPositionBuilderAtEnd(cg->b, fn->body);
	return early;
}

static void fn_end(struct cg *cg, LLVMBasicBlockRef early)
{
	struct cg_fn *fn = cg->fn;
	cg_vars_flush(cg);
	if (!cg_terminated(cg))
		LLVMBuildBr(cg->b, fn->exit);
	size_frame(cg);
	build_prologue(cg, early);
	build_exit(cg, early);
	LLVMPositionBuilderAtEnd(fn->ab, fn->allocas);
	LLVMBuildBr(fn->ab, fn->prologue);
	close_blocks(cg);
	LLVMDisposeBuilder(fn->ab);
	if (cg->share) {
		size_t len;
		const char *name = arena_strdup(LLVMGetValueName2(fn->fn, &len));
		if (cg_shape_add(cg, name, fn->section))
			add_debug_info(cg, fn, name, fn->line);
	}
	if (fn->di_sp)
		LLVMDIBuilderFinalizeSubprogram(cg->di, fn->di_sp);
	cg->fn = NULL;
	free(fn->vars);
	free(fn->params.v);
	free(fn);
}

/* Watchpoints on func+argN: a uprobe on func reports argN to bt-load,
 * which then sets the breakpoint (ir-spec/obj.md): {u64 30009; u64 idx =
 * attach cookie; u64 addr}; the synchronous variant stops the task until
 * the watchpoint is in place. */
static void watchpoint_setup(struct cg *cg, struct meta_probe *mp, int line)
{
	const struct attach_point *ap = mp->attach[0].ap;
	const char *name = arena_printf("%s_wp_setup", mp->prog);
	LLVMBasicBlockRef early = fn_begin(cg, mp, name, "uprobe", line);
	LLVMValueRef rec = cg_alloc_zero(cg, 24);
	cg_store_int(cg, rec, cg_const(cg, ASYNC_WATCHPOINT_ATTACH), 8);
	LLVMValueRef args[1] = { cg->fn->ctx };
	cg_store_int(cg, cg_gep(cg, rec, 8),
		     cg_helper(cg, BPF_FUNC_get_attach_cookie, cg->t_i64, args, 1), 8);
	cg_store_int(cg, cg_gep(cg, rec, 16), cg_arg(cg, ap->arg_num, NULL), 8);
	/* Stop first, report second: bt-load answers the report with SIGCONT,
	 * and a SIGSTOP sent after that answer would stop the task for good. */
	if (!ap->async && mp->type != PT_ASYNCWATCHPOINT) {
		LLVMValueRef sig[1] = { cg_const32(cg, 19 /* SIGSTOP */) };
		cg_helper(cg, BPF_FUNC_send_signal, cg->t_i64, sig, 1);
	}
	cg_output_ex(cg, rec, 24, false);
	fn_end(cg, early);
}

bool cg_probe(struct cg *cg, struct node *probe)
{
	cg->cur = probe;
	if (probe->kind != N_PROBE || probe->num < 0 ||
	    (uint64_t)probe->num >= cg->meta->probes.n) {
		cg_fail(cg, "probe node without a matching meta.probes entry");
		return false;
	}
	struct meta_probe *mp = &cg->meta->probes.v[probe->num];
	if (cg->lowered[probe->num]) {
		cg_fail(cg, "two probe blocks for program %s", mp->prog);
		return false;
	}
	cg->lowered[probe->num] = true;
	int raw = raw_syscall_mode(mp, probe);
	LLVMBasicBlockRef early = fn_begin(cg, mp, mp->prog, section_name(mp, raw), probe->loc.line);
	struct cg_fn *fn = cg->fn;
	fn->node = probe;
	fn->raw_syscall = raw;

	int maxid = max_var_id(probe);
	fn->nvars = (uint32_t)(maxid + 1);
	fn->vars = calloc(fn->nvars + 1, sizeof *fn->vars);   /* freed by fn_end */
	if (!fn->vars)
		arena_out_of_memory((fn->nvars + 1) * sizeof *fn->vars);
	for (size_t i = 0; i < probe->body.n; i++)
		collect_vars(probe->body.v[i], fn->vars, fn->nvars);
	if (probe->c)
		collect_vars(probe->c, fn->vars, fn->nvars);

	if (fn->raw_syscall)
		raw_syscall_dispatch(cg);
	if (mp->type == PT_ITER)
		iter_skip_end(cg);
	/* variable slots before any statement, so releases never reach them */
	cg_vars_init(cg);
	if (probe->c) {
		struct node *pred = probe->c->kind == N_PREDICATE ? probe->c->a : probe->c;
		struct cg_mark m = cg_mark(cg);
		cg->cur = pred;
		LLVMValueRef c = cg_cond(cg, pred);
		cg_release(cg, m);
		LLVMBasicBlockRef go = cg_block(cg, "pred_true");
		LLVMBuildCondBr(cg->b, c, go, fn->exit);
		LLVMPositionBuilderAtEnd(cg->b, go);
	}
	cg_stmts(cg, &probe->body);
	fn_end(cg, early);

	if ((mp->type == PT_WATCHPOINT || mp->type == PT_ASYNCWATCHPOINT) && mp->nattach &&
	    mp->attach[0].ap->arg_num >= 0)
		watchpoint_setup(cg, mp, probe->loc.line);
	return !cg->failed;
}
