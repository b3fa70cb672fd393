/* module.c - the LLVM side of bt-codegen: target set-up, the module and
 * its debug info (what makes LLVM emit the .BTF libbpf and the kernel
 * need, docs/llvm-bpf.md), the license, optimisation with the new
 * pass manager and emission of the ELF object into memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/ErrorHandling.h>
#include <llvm-c/Support.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cg.h"
#include "tool.h"

#define BPF_TRIPLE "bpf-pc-linux"
#define BPF_DATALAYOUT "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
/* v3: ALU32 and JMP32 instructions, every kernel with BTF has them. */
#define BPF_CPU "v3"

void cg_fail(struct cg *cg, const char *fmt, ...)
{
	if (cg->failed)
		return;
	cg->failed = true;
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cg->cur && cg->cur->loc.line)
		snprintf(cg->errmsg, sizeof cg->errmsg, "%s:%d:%d: %s", cg->src->filename,
			 cg->cur->loc.line, cg->cur->loc.col, msg);
	else
		snprintf(cg->errmsg, sizeof cg->errmsg, "%s", msg);
}

/* Errors LLVM cannot report through the context end the process (the
 * BPF backend's "Branch target out of insn range" when a jump spans more
 * than 32,767 instructions, in a body of ~1,000 printf): one line and
 * status 1 instead of LLVM's abort.  Nothing is written yet: the output
 * is opened once an object is ready. */
static void fatal_error(const char *reason)
{
	fprintf(stderr, "%s: ERROR: LLVM: ", tool_name());
	for (const char *p = reason; *p; p++)
		fputc(*p == '\n' ? ' ' : *p, stderr);
	fputc('\n', stderr);
	exit(1);
}

static bool target_init(struct cg *cg)
{
	static bool done;
	if (!done) {
		LLVMInstallFatalErrorHandler(fatal_error);
		LLVMInitializeBPFTargetInfo();
		LLVMInitializeBPFTarget();
		LLVMInitializeBPFTargetMC();
		LLVMInitializeBPFAsmPrinter();
		done = true;
	}
	LLVMTargetRef target;
	char *err = NULL;
	if (LLVMGetTargetFromTriple(BPF_TRIPLE, &target, &err)) {
		cg_fail(cg, "no BPF target in LLVM: %s", err ? err : "?");
		LLVMDisposeMessage(err);
		return false;
	}
	cg->tm = LLVMCreateTargetMachine(target, BPF_TRIPLE, BPF_CPU, "",
					 LLVMCodeGenLevelDefault, LLVMRelocDefault,
					 LLVMCodeModelDefault);
	return cg->tm != NULL;
}

/* The debug info file.  LLVM's BTF writer reads the source file named
 * here to fill line info; a path under /dev/null can never be opened, so
 * the result never depends on the build host's files. */
static LLVMMetadataRef di_file(struct cg *cg)
{
	const char *name = cg->src->filename ? cg->src->filename : "stdin";
	const char *slash = strrchr(name, '/');
	if (slash)
		name = slash + 1;
	return LLVMDIBuilderCreateFile(cg->di, name, strlen(name), "/dev/null", 9);
}

static void di_init(struct cg *cg)
{
	cg->di = LLVMCreateDIBuilder(cg->mod);
	cg->di_file = di_file(cg);
	cg->di_cu = LLVMDIBuilderCreateCompileUnit(
		cg->di, LLVMDWARFSourceLanguageC, cg->di_file, "bpftrace", 8, 1, "", 0, 0,
		"", 0, LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0);
	LLVMAddModuleFlag(cg->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
			  LLVMValueAsMetadata(LLVMConstInt(cg->t_i32, LLVMDebugMetadataVersion(), 0)));
	LLVMAddModuleFlag(cg->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
			  LLVMValueAsMetadata(LLVMConstInt(cg->t_i32, 4, 0)));
	cg->di_int = LLVMDIBuilderCreateBasicType(cg->di, "int", 3, 32, 0x05 /* DW_ATE_signed */,
						  LLVMDIFlagZero);
	cg->di_ptr = LLVMDIBuilderCreatePointerType(cg->di, NULL, 64, 64, 0, NULL, 0);
	LLVMMetadataRef params[2] = { cg->di_int, cg->di_ptr };
	cg->di_func_ty = LLVMDIBuilderCreateSubroutineType(cg->di, cg->di_file, params, 2,
							   LLVMDIFlagZero);
	cg->dbg_kind = LLVMGetMDKindIDInContext(cg->ctx, "dbg", 3);
}

/* `int (*)[n]`: how BTF-defined maps spell numbers (__uint(name, n)). */
LLVMMetadataRef cg_di_int_array_ptr(struct cg *cg, uint64_t n)
{
	LLVMMetadataRef sub = LLVMDIBuilderGetOrCreateSubrange(cg->di, 0, (int64_t)n);
	LLVMMetadataRef arr = LLVMDIBuilderCreateArrayType(cg->di, n * 32, 32, cg->di_int, &sub, 1);
	return LLVMDIBuilderCreatePointerType(cg->di, arr, 64, 64, 0, NULL, 0);
}

static void add_license(struct cg *cg)
{
	LLVMValueRef s = LLVMConstStringInContext(cg->ctx, "GPL", 3, 0);
	LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(s), "_license");
	LLVMSetInitializer(g, s);
	LLVMSetSection(g, "license");
	LLVMSetLinkage(g, LLVMExternalLinkage);
	LLVMSetAlignment(g, 1);
}

/* LLVM reports backend errors (e.g. a construct the BPF target cannot
 * select) through the context; by default it prints and exits.  Record
 * the first one instead. */
static void diag_handler(LLVMDiagnosticInfoRef di, void *opaque)
{
	struct cg *cg = opaque;
	if (LLVMGetDiagInfoSeverity(di) != LLVMDSError)
		return;
	char *msg = LLVMGetDiagInfoDescription(di);
	cg_fail(cg, "LLVM: %s", msg);
	LLVMDisposeMessage(msg);
}

bool cg_init(struct cg *cg, const struct cg_opts *o, struct meta *meta,
	     const struct source *src, struct node *root)
{
	memset(cg, 0, sizeof *cg);
	cg->o = o;
	cg->meta = meta;
	cg->src = src;
	cg->root = root;
	if (!target_init(cg))
		return false;
	cg->ctx = LLVMContextCreate();
	LLVMContextSetDiagnosticHandler(cg->ctx, diag_handler, cg);
	cg->mod = LLVMModuleCreateWithNameInContext("bpftrace", cg->ctx);
	LLVMSetTarget(cg->mod, BPF_TRIPLE);
	LLVMSetDataLayout(cg->mod, BPF_DATALAYOUT);
	cg->b = LLVMCreateBuilderInContext(cg->ctx);
	cg->t_i1 = LLVMInt1TypeInContext(cg->ctx);
	cg->t_i8 = LLVMInt8TypeInContext(cg->ctx);
	cg->t_i16 = LLVMInt16TypeInContext(cg->ctx);
	cg->t_i32 = LLVMInt32TypeInContext(cg->ctx);
	cg->t_i64 = LLVMInt64TypeInContext(cg->ctx);
	cg->t_ptr = LLVMPointerTypeInContext(cg->ctx, 0);
	cg->t_void = LLVMVoidTypeInContext(cg->ctx);
	cg->lowered = ARENA_ARRAY(bool, meta->probes.n + 1);
	cg->share = o->share_from && root && root->kind == N_PROGRAM &&
		    root->args.n >= o->share_from;
	di_init(cg);
	add_license(cg);
	cg_maps_declare(cg);
	return true;
}

/* The base object of a pointer: through GEPs (instructions or constant
 * expressions). */
static LLVMValueRef pointer_base(LLVMValueRef p)
{
	for (;;) {
		if (LLVMIsAGetElementPtrInst(p))
			p = LLVMGetOperand(p, 0);
		else if (LLVMIsAConstantExpr(p) && LLVMGetConstOpcode(p) == LLVMGetElementPtr)
			p = LLVMGetOperand(p, 0);
		else
			return p;
	}
}

/* Tell LLVM which values can never be undef or poison: what a helper
 * returns (a register) and what is loaded from memory outside the stack
 * (map values, the context, the scratch buffers: a helper's result, the
 * program's argument or a pointer read from memory): that memory holds
 * bytes the program cannot leave undefined.  Without it, LLVM asks "may this
 * be poison?" of such values again and again (a `freeze` per printf after
 * jump threading), and each question walks up the dominator tree: in a
 * body of n statements with branches that is n^2 (10,000 printf lines:
 * ~100 s).  The stack (allocas, globals) keeps LLVM's own reasoning. */
static void mark_defined(struct cg *cg)
{
	unsigned noundef_md = LLVMGetMDKindIDInContext(cg->ctx, "noundef", 7);
	LLVMValueRef empty = LLVMMetadataAsValue(cg->ctx, LLVMMDNodeInContext2(cg->ctx, NULL, 0));
	LLVMAttributeRef noundef =
		LLVMCreateEnumAttribute(cg->ctx, LLVMGetEnumAttributeKindForName("noundef", 7), 0);
	for (LLVMValueRef f = LLVMGetFirstFunction(cg->mod); f; f = LLVMGetNextFunction(f))
		for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb;
		     bb = LLVMGetNextBasicBlock(bb))
			for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
			     i = LLVMGetNextInstruction(i)) {
				if (LLVMIsACallInst(i)) {
					if (!LLVMIsAFunction(LLVMGetCalledValue(i)) &&
					    LLVMGetTypeKind(LLVMTypeOf(i)) != LLVMVoidTypeKind)
						LLVMAddCallSiteAttribute(i, LLVMAttributeReturnIndex,
									 noundef);
					continue;
				}
				if (!LLVMIsALoadInst(i))
					continue;
				LLVMValueRef base = pointer_base(LLVMGetOperand(i, 0));
				if (LLVMIsACallInst(base) || LLVMIsAArgument(base) ||
				    LLVMIsALoadInst(base))
					LLVMSetMetadata(i, noundef_md, empty);
			}
}

bool cg_lower(struct cg *cg)
{
	struct node *root = cg->root;
	if (!root || root->kind != N_PROGRAM) {
		cg_fail(cg, "the ir tree has no program node");
		return false;
	}
	for (size_t i = 0; i < root->args.n && !cg->failed; i++)
		cg_probe(cg, root->args.v[i]);
	if (cg->failed)
		return false;
	for (size_t i = 0; i < cg->meta->probes.n; i++)
		if (!cg->lowered[i]) {
			cg_fail(cg, "probe %zu (%s) has no block in the tree", i,
				cg->meta->probes.v[i].name);
			return false;
		}
	cg_maps_finish(cg);
	cg_core_finish(cg);
	mark_defined(cg);
	LLVMDIBuilderFinalize(cg->di);
	return !cg->failed;
}

static void print_ir(struct cg *cg, FILE *out)
{
	char *s = LLVMPrintModuleToString(cg->mod);
	fputs(s, out);
	LLVMDisposeMessage(s);
}

/* --emit-llvm FILE writes FILE.original.ll and FILE.optimized.ll, as
 * bpftrace does. */
static bool write_ir_file(struct cg *cg, const char *base, const char *suffix)
{
	char *path = arena_printf("%s%s", base, suffix);
	FILE *f = fopen(path, "w");
	if (!f) {
		cg_fail(cg, "cannot write %s", path);
		return false;
	}
	print_ir(cg, f);
	if (fclose(f) != 0) {
		cg_fail(cg, "cannot write %s", path);
		return false;
	}
	return true;
}

/* A BPF jump spans at most 32,767 instructions and the backend cannot
 * relax a longer one.  Block placement moves cold blocks (a printf's
 * "ring behind" path) to the end of the function, so in a body of ~700
 * printf or more their jumps no longer reach: for such functions the
 * blocks stay in the order we built them, each next to its statement.
 * A process-wide LLVM option, set once; decided by the program alone. */
#define CG_PLACEMENT_MAX_INSNS 8000

static void keep_block_order_if_huge(struct cg *cg)
{
	static bool set;
	if (set)
		return;
	for (LLVMValueRef f = LLVMGetFirstFunction(cg->mod); f; f = LLVMGetNextFunction(f)) {
		size_t n = 0;
		for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb;
		     bb = LLVMGetNextBasicBlock(bb))
			for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i;
			     i = LLVMGetNextInstruction(i))
				n++;
		if (n > CG_PLACEMENT_MAX_INSNS) {
			const char *argv[] = { "bt-codegen", "-disable-block-placement" };
			LLVMParseCommandLineOptions(2, argv, NULL);
			set = true;
			return;
		}
	}
}

bool cg_emit(struct cg *cg, FILE *dump_out, struct cg_elf **elfs, uint32_t *nelfs)
{
	char *msg = NULL;
	if (LLVMVerifyModule(cg->mod, LLVMReturnStatusAction, &msg)) {
		cg_fail(cg, "internal error: invalid LLVM IR: %s", msg ? msg : "?");
		LLVMDisposeMessage(msg);
		return false;
	}
	LLVMDisposeMessage(msg);
	if (cg->o->emit_llvm && !write_ir_file(cg, cg->o->emit_llvm, ".original.ll"))
		return false;
	if (cg->o->dump && cg->o->dump_unopt && dump_out) {
		fputs("Before optimization\n-------------------\n\n", dump_out);
		print_ir(cg, dump_out);
	}

	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	/* `while` loops must stay loops (bpftrace marks them unroll.disable);
	 * `unroll` is expanded by us. */
	LLVMPassBuilderOptionsSetLoopUnrolling(po, 0);
	LLVMErrorRef e = LLVMRunPasses(cg->mod, "default<O2>", cg->tm, po);
	LLVMDisposePassBuilderOptions(po);
	if (e) {
		char *m = LLVMGetErrorMessage(e);
		cg_fail(cg, "optimisation failed: %s", m);
		LLVMDisposeErrorMessage(m);
		return false;
	}
	if (cg->o->dump && dump_out) {
		if (cg->o->dump_unopt)
			fputs("\nAfter optimization\n------------------\n\n", dump_out);
		print_ir(cg, dump_out);
	}
	if (cg->o->emit_llvm && !write_ir_file(cg, cg->o->emit_llvm, ".optimized.ll"))
		return false;

	keep_block_order_if_huge(cg);
	LLVMMemoryBufferRef buf = NULL;
	if (LLVMTargetMachineEmitToMemoryBuffer(cg->tm, cg->mod, LLVMObjectFile, &msg, &buf)) {
		cg_fail(cg, "BPF code emission failed: %s", msg ? msg : "?");
		LLVMDisposeMessage(msg);
		return false;
	}
	if (cg->failed) {
		LLVMDisposeMemoryBuffer(buf);
		return false;
	}
	size_t len = LLVMGetBufferSize(buf);
	if (cg->share) {
		if (cg->o->drop_tree) {
			node_free_all();
			cg->root = NULL;
			cg->cur = NULL;
		}
		char err[512];
		bool ok = cg_link(cg, (const uint8_t *)LLVMGetBufferStart(buf), len, elfs, nelfs,
				  err, sizeof err);
		LLVMDisposeMemoryBuffer(buf);
		if (!ok) {
			cg_fail(cg, "internal error: %s", err);
			return false;
		}
		return true;
	}
	uint8_t *obj = arena_memdup(LLVMGetBufferStart(buf), len);
	LLVMDisposeMemoryBuffer(buf);
	if (!cg_name_maps_section(obj, len)) {
		cg_fail(cg, "BPF code emission failed: cannot name the maps section .maps");
		return false;
	}
	*elfs = ARENA_NEW(struct cg_elf);
	**elfs = (struct cg_elf){ obj, len };
	*nelfs = 1;
	return true;
}

void cg_dispose(struct cg *cg)
{
	free(cg->insts.v);
	if (cg->di)
		LLVMDisposeDIBuilder(cg->di);
	if (cg->b)
		LLVMDisposeBuilder(cg->b);
	if (cg->mod)
		LLVMDisposeModule(cg->mod);
	if (cg->ctx)
		LLVMContextDispose(cg->ctx);
	if (cg->tm)
		LLVMDisposeTargetMachine(cg->tm);
}
