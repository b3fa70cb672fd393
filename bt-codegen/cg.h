/* cg.h - bt-codegen's internal API: the lowering state shared by the files
 * of the stage, and what each family file provides.
 *
 * Input: the typed tree and metadata of an `ir` stream (ir-spec/ir.md).
 * Output: one LLVM module holding one BPF function per meta.probes entry,
 * the BTF-defined maps and the license (ir-spec/obj.md), emitted for
 * bpf-pc-linux into memory.  Nothing here touches the system.
 *
 * Values.  Every expression lowers to a struct val:
 *   VK_INT  an integer or pointer, always an LLVM i64 normalised to the
 *           type: sign-extended when the type is signed, zero-extended
 *           otherwise (so binops can use it directly);
 *   VK_MEM  the bytes of the value in memory the program may read
 *           directly: stack frame, scratch map value, map value, or the
 *           program context (ctx: constant offsets only);
 *   VK_EXT  the value lives at an i64 address of kernel or user memory
 *           (records and arrays reached through pointers): reads go
 *           through bpf_probe_read_{kernel,user}.
 *
 * Memory.  Buffers (strings, tuples, keys, event records) live in a
 * per-program frame on the BPF stack while they fit its budget, else in a
 * per-CPU scratch map (see memory.c), so programs that would exceed the
 * 512-byte stack still load.  Temporaries are released after each
 * statement; variable slots are permanent.
 *
 * Errors: cg_fail records the first error (with the node's location) and
 * lowering continues with placeholder values; main reports it.
 *
 * Files, in the order main.c uses them:
 *   main.c        read the ir stream, compile, write the obj stream
 *   validate.c    refuse an ir stream the lowering could not rely on
 *   module.c      LLVM target, module, debug info, optimisation, emission
 *                 (docs/llvm-bpf.md); maps_section.c names `.maps` after;
 *                 shapes.c compiles each block shape once for programs of
 *                 many blocks, link.c then writes their object
 *   probes.c      one BPF function per meta.probes entry, its context
 *   stmt.c        statements and variables
 *   expr.c        expressions, integer arithmetic, casts, tuples
 *   strings.c     string values; builtins.c builtin variables
 *   calls.c       function calls; agg.c aggregations; output.c events to
 *                 user space; helpers.c BPF helper calls and -k checks
 *   maps.c        BTF-defined maps and map operations
 *   memory.c      stack frame, scratch maps, reads of kernel/user memory
 *   usdt.c        USDT arguments; syscalls_x86_64.c syscall numbers
 */
#ifndef BT_CG_H
#define BT_CG_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "arena.h"
#include "diag.h"
#include "meta.h"
#include "names.h"
#include "node.h"
#include "strindex.h"
#include "type.h"

/* ---- options (main.c) ---- */
struct cg_opts {
	/* 0: buffers on the stack while they fit CG_FRAME_BUDGET; 1: every
	 * buffer in scratch; 2: scalar variables too (retries when LLVM
	 * reports the 512-byte stack exceeded) */
	int stack_level;
	const char *emit_llvm;   /* --emit-llvm FILE: FILE.original.ll, FILE.optimized.ll */
	const char *emit_elf;    /* --emit-elf FILE: the ELF alone */
	bool dump;               /* --dump: IR like bpftrace -d */
	bool dump_unopt;         /* --dump-unopt: also the unoptimised IR (-dd) */
	/* --share-from N: compile blocks of one shape once (shapes.c) when
	 * the program has at least N probe blocks; 0 never */
	uint32_t share_from;
	/* --object-maps N: the most maps one object of a shared-mode program
	 * holds (link.c); default CG_OBJECT_MAPS, at most OBJ_MAX_MAPS */
	uint32_t object_maps;
	/* optional: link.c hands each object of a shared-mode program here as
	 * soon as it is written (i of n, malloc'ed bytes freed after), instead
	 * of returning them all: a program of many objects is never held
	 * whole.  False stops the link. */
	bool (*part_sink)(void *arg, uint32_t i, uint32_t n, const uint8_t *elf, size_t len);
	void *part_sink_arg;
	/* free the tree (node_free_all) once LLVM has emitted a shared-mode
	 * program's shapes: linking needs only the shapes, instances and maps,
	 * and the tree is most of what a program of many blocks holds (main:
	 * unless --dump lowers the program again) */
	bool drop_tree;
};

/* Default of --share-from: below it, every block is its own function
 * with its constants folded as before. */
#ifndef CG_SHARE_FROM
#define CG_SHARE_FROM 32
#endif

/* ---- values ---- */
enum val_kind { VK_NONE, VK_INT, VK_MEM, VK_EXT };

struct val {
	enum val_kind k;
	LLVMValueRef v;      /* i64 (VK_INT, VK_EXT) or ptr (VK_MEM) */
	struct type *ty;
	uint8_t as;          /* VK_EXT: enum addrspace of the address */
	bool ctx;            /* VK_MEM inside the program context */
	LLVMValueRef core;   /* VK_EXT made by a CO-RE access (core.c): the
				same address as a ptr, so that a nested access
				continues the relocation chain */
};

/* ---- maps ---- */
/* One BPF object holds at most 65,535 maps (libbpf reads them from the
 * VARs of one BTF DATASEC, whose count is 16 bits) and its section indexes
 * stay below SHN_LORESERVE.  Without sharing, a program of more than
 * CG_MAX_USER_MAPS user maps is refused (their BTF would take LLVM
 * minutes anyway). */
#define OBJ_MAX_MAPS 65535u
#define CG_MAX_USER_MAPS 65519
/* A program compiled in shared mode (shapes.c) of more maps, programs or
 * program sections than these is written as several objects of at most
 * as many (link.c, ir-spec/obj.md).  Smaller than what an object can
 * hold: libbpf matches each relocation to its map and each program to its
 * BTF.ext records by linear scans of the object, so loading one object
 * costs the square of its size (18,000 maps: 2.3 s of CPU as one object,
 * 0.4 s as five). */
#define CG_OBJECT_MAPS 4096u
#define CG_OBJECT_PROGS 4096u
#define CG_OBJECT_SECTIONS 16384u

/* One BPF ELF object of the output (arena bytes). */
struct cg_elf {
	const uint8_t *p;
	size_t n;
};
struct cg_map {
	const char *name;        /* ELF symbol: AT_x, ringbuf, ... */
	LLVMValueRef g;          /* the .maps global */
	uint32_t type;           /* BPF_MAP_TYPE_* */
	uint32_t key_size, value_size, max_entries;
	bool declared;           /* debug info attached */
	uint32_t index;          /* in cg->all_maps */
};

/* ---- shared mode (shapes.c, link.c) ---- */
/* A per-instance difference of a block: a map, or an integer. */
struct cg_param {
	struct cg_map *map;      /* NULL: the integer value */
	uint64_t value;
};

/* A distinct block shape: the LLVM function compiled for it. */
struct cg_shape {
	const char *fn_name;
};

/* A BPF program: a copy of its shape's code with its parameters. */
struct cg_inst {
	const char *name, *section;
	uint32_t shape;
	uint32_t line;           /* of its block (BTF line info) */
	struct cg_param *params;
	uint32_t nparams;
};

/* Parameter K of a function is the external symbol __bt_pK. */
#define CG_PARAM_PREFIX "__bt_p"

/* ---- variables ---- */
enum var_mode {
	VAR_UNSET,
	VAR_INT,     /* own alloca of i64 (its value kept in SSA, stmt.c) */
	VAR_BYTES,   /* bytes in a frame/scratch slot */
	VAR_EXTREF,  /* i64 address of a record/array elsewhere */
	VAR_MEMREF,  /* pointer to a record in readable memory (ctx) */
};

struct cg_var {
	enum var_mode mode;
	struct type *type;       /* widest type of the variable in this probe */
	LLVMValueRef slot;
	uint8_t as;              /* VAR_EXTREF */
	bool ctx;                /* VAR_MEMREF */
	/* VAR_INT/EXTREF/MEMREF: the value last read or written in block bb,
	 * and whether it still has to be stored into slot (stmt.c) */
	LLVMValueRef val;
	LLVMBasicBlockRef bb;
	bool dirty;
};

struct cg_loop {
	LLVMBasicBlockRef brk, cont;
};

/* A place for bytes: stack frame or scratch (memory.c). */
struct cg_mark {
	uint32_t frame, scratch;
};

/* ---- per-program state ---- */
struct cg_fn {
	struct meta_probe *probe;
	struct node *node;
	LLVMValueRef fn, ctx;
	LLVMMetadataRef di_sp;
	const char *section;
	int line;
	LLVMBasicBlockRef allocas;   /* entry: allocas only */
	LLVMBasicBlockRef prologue;  /* scratch set-up, filled at the end */
	LLVMBasicBlockRef body;      /* first block of the probe body */
	LLVMBasicBlockRef exit;      /* common return */
	LLVMBuilderRef ab;           /* positioned at the end of allocas */
	int retval;                  /* 0, tracepoints 1 */

	/* stack frame for buffers */
	LLVMValueRef frame;          /* alloca [FRAME_BUDGET x i8] */
	uint32_t frame_used, frame_max;
	/* scratch map for what does not fit */
	uint32_t scratch_used, scratch_max;
	LLVMValueRef scratch_slot;   /* alloca ptr: scratch base (set in prologue) */
	LLVMValueRef depth_ptr_slot, depth_slot;

	struct cg_var *vars;
	uint32_t nvars;
	VEC(struct cg_loop) loops;
	/* a block on many syscall tracepoints run as one raw tracepoint
	 * (RAW_SYS_ENTER/EXIT); probe_id is then the dispatched probe id */
	int raw_syscall;
	LLVMValueRef probe_id;
	/* shared entry allocas: u32 keys 0 and 1 (ringbuf_loss's loss counter
	 * and exit flag) and the volatile loop counters of strcontains */
	LLVMValueRef key0, key1, loop_i, loop_j;
	/* shared mode: the parameters, in the order the code uses them */
	VEC(struct cg_param) params;
};

enum { RAW_SYS_NONE, RAW_SYS_ENTER, RAW_SYS_EXIT };
/* From this many syscall tracepoints on, a block becomes one raw
 * tracepoint (docs/llvm-bpf.md: detaching perf-event tracepoints costs ~70 ms
 * each; the raw tracepoint taxes every syscall by ~70 ns). */
#define CG_RAW_SYSCALL_MIN 4

struct cg {
	const struct cg_opts *o;
	struct meta *meta;
	const struct source *src;
	struct node *root;

	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMBuilderRef b;
	LLVMTargetMachineRef tm;
	LLVMDIBuilderRef di;
	LLVMMetadataRef di_cu, di_file, di_int, di_ptr, di_func_ty;
	unsigned dbg_kind;

	LLVMTypeRef t_i1, t_i8, t_i16, t_i32, t_i64, t_ptr, t_void;

	struct cg_map **user_maps;   /* by meta map id */
	struct cg_map *ringbuf, *ringbuf_loss, *ringbuf_sent, *elapsed, *cpid, *sw_tai;
	struct cg_map *scratch, *scratch_depth, *skb_output;
	VEC(struct cg_map *) stack_maps;
	VEC(struct cg_map *) all_maps;  /* in creation order */
	uint32_t scratch_value_size;

	/* shared mode (shapes.c) */
	bool share;
	LLVMTypeRef t_param;
	VEC(LLVMValueRef) param_syms;
	VEC(struct cg_shape) shapes;
	VEC(struct cg_inst) insts;    /* malloc'ed (MVEC_PUSH) */
	struct strindex shape_index;  /* IR text -> shape index + 1 */
	struct strindex outlines;     /* block outline -> its first block */
	bool *lowered;                /* by meta probe index */

	struct cg_fn *fn;            /* program being lowered */
	struct node *cur;            /* node being lowered (error locations) */

	struct cg_core *core;        /* CO-RE debug-info records (core.c) */

	bool failed;
	char errmsg[1024];
};

/* Frame budget (bytes of the 512-byte BPF stack our buffers may use; the
 * rest stays for LLVM's spills and helper arguments) and scratch limits. */
#define CG_FRAME_BUDGET 256
#define CG_SCRATCH_MAX 32768   /* per-CPU array value limit (PCPU_MIN_UNIT_SIZE) */
#define CG_SCRATCH_DEPTH 4     /* task, softirq, hardirq, NMI */

/* ---- main.c / module.c ---- */
void cg_fail(struct cg *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cg_init(struct cg *cg, const struct cg_opts *o, struct meta *meta,
	     const struct source *src, struct node *root);
/* Lower every probe; false on error (cg->errmsg). */
bool cg_lower(struct cg *cg);
/* Optimise and emit; elfs receives the object, or in shared mode the
 * objects of a program one object cannot hold (link.c), nelfs their
 * number (with cg_opts.part_sink: elfs is NULL, the sink had them).
 * Dumps (--dump, --emit-llvm) happen here. */
bool cg_emit(struct cg *cg, FILE *dump_out, struct cg_elf **elfs, uint32_t *nelfs);

/* maps_section.c: the maps are emitted in MAPS_PLACEHOLDER (same length
 * as ".maps"), renamed in the object afterwards */
#define MAPS_PLACEHOLDER "#maps"
bool cg_name_maps_section(uint8_t *elf, size_t len);
void cg_dispose(struct cg *cg);
LLVMMetadataRef cg_di_int_array_ptr(struct cg *cg, uint64_t n);

/* ---- core.c: CO-RE relocated reads of kernel (BTF) records ---- */
/* t is a complete record from the kernel's BTF: its reads are relocated. */
bool cg_core_record(const struct type *t);
/* ... and named, so a relocation can start at it (anonymous ones only
 * inside a chain). */
bool cg_core_root(const struct type *t);
/* Address (ptr) of field fi of record rt at base (ptr), relocated. */
LLVMValueRef cg_core_access(struct cg *cg, LLVMValueRef base, const struct type *rt, uint32_t fi);
bool cg_core_bitfield_ok(const struct type *rt, const struct field *f);
/* Value of the bit-field at access (from cg_core_access), zero-extended,
 * its byte size and shifts relocated too. */
LLVMValueRef cg_core_bitfield(struct cg *cg, LLVMValueRef access, uint8_t as);
/* offsetof(rt, field) / sizeof(rt) as relocated i64 values. */
LLVMValueRef cg_core_offsetof(struct cg *cg, const struct type *rt, const char *field);
LLVMValueRef cg_core_sizeof(struct cg *cg, const struct type *rt);
/* A named kernel enum's constant (the ty_arg of a folded N_INT) and its
 * value relocated. */
bool cg_core_enum(const struct type *t);
LLVMValueRef cg_core_enum_value(struct cg *cg, const struct type *et, const char *name,
				int64_t value);
/* The program keeps the bytes of a kernel record, to be read by the
 * compile kernel's layout (meta.target.fixed_layout, at cg->cur). */
void cg_core_fixed_layout(struct cg *cg);
/* Complete the debug-info records (before LLVMDIBuilderFinalize). */
void cg_core_finish(struct cg *cg);

/* ---- shapes.c ---- */
/* An integer that differs between blocks of one shape (literals, ids):
 * a parameter in shared mode, else the constant. */
LLVMValueRef cg_iconst(struct cg *cg, uint64_t v);
/* The map's address in the current program (a parameter in shared mode). */
LLVMValueRef cg_map_ref(struct cg *cg, struct cg_map *m);
/* Shared mode, after lowering cg->fn: a new shape (true: keep the
 * function) or an instance of an earlier one (the function is deleted).
 * name and section stay valid (arena strings or literals). */
bool cg_shape_add(struct cg *cg, const char *name, const char *section);

/* ---- link.c ---- */
/* The object of a shared-mode module: LLVM's object (elf, len) with each
 * instance's program, the maps and their BTF.  Arena result; false with
 * a message in err. */
bool cg_link(struct cg *cg, const uint8_t *elf, size_t len, struct cg_elf **out,
	     uint32_t *nout, char *err, size_t errlen);

/* ---- probes.c ---- */
bool cg_probe(struct cg *cg, struct node *probe);
/* branch to the program's common exit (return) */
void cg_return(struct cg *cg);
/* New basic block in the current function. */
LLVMBasicBlockRef cg_block(struct cg *cg, const char *name);
/* Has the current block been terminated (after return/break)? */
bool cg_terminated(struct cg *cg);
/* Continue lowering in a fresh unreachable block after a terminator. */
void cg_dead_block(struct cg *cg);

/* ---- stmt.c ---- */
/* Slots of the current program's variables (before its first statement). */
void cg_vars_init(struct cg *cg);
void cg_stmts(struct cg *cg, nodevec *stmts);
struct cg_var *cg_var(struct cg *cg, struct node *var);
struct val cg_var_read(struct cg *cg, struct node *var);
void cg_var_write(struct cg *cg, struct node *var, struct val v);
/* Store every variable value still held in SSA (before the program's
 * blocks are closed). */
void cg_vars_flush(struct cg *cg);

/* ---- expr.c ---- */
struct val cg_expr(struct cg *cg, struct node *n);
/* Lower n and store it into dst as type dt (zero-padded / converted).
 * _z: dst is known to be zero-filled already (event records). */
void cg_expr_into(struct cg *cg, struct node *n, LLVMValueRef dst, struct type *dt);
void cg_expr_into_z(struct cg *cg, struct node *n, LLVMValueRef dst, struct type *dt,
		    bool zeroed);
/* Integer value of n (VK_INT; pointers too). */
LLVMValueRef cg_int(struct cg *cg, struct node *n);
LLVMValueRef cg_const(struct cg *cg, uint64_t v);
LLVMValueRef cg_const32(struct cg *cg, uint32_t v);
struct val val_int(LLVMValueRef v, struct type *t);
struct val val_mem(LLVMValueRef p, struct type *t);
struct val val_none(void);
/* Normalise an i64 to type t (truncate to its width, extend by its sign). */
LLVMValueRef cg_normalize(struct cg *cg, LLVMValueRef v, const struct type *t);
/* Truth value (i1) of an integer or pointer expression. */
LLVMValueRef cg_cond(struct cg *cg, struct node *n);
LLVMValueRef cg_binop_int(struct cg *cg, enum op op, LLVMValueRef l, LLVMValueRef r,
			  bool is_signed, struct type *lt, struct type *rt);

/* ---- memory.c ---- */
/* Buffer of size bytes (8-aligned) in the frame, else scratch. */
LLVMValueRef cg_alloc(struct cg *cg, uint32_t size);
/* A permanent buffer (variable slot): never released. */
LLVMValueRef cg_alloc_perm(struct cg *cg, uint32_t size);
struct cg_mark cg_mark(struct cg *cg);
void cg_release(struct cg *cg, struct cg_mark m);
/* An alloca in the entry block (scalars). */
LLVMValueRef cg_entry_alloca(struct cg *cg, LLVMTypeRef t, const char *name);
LLVMValueRef cg_gep(struct cg *cg, LLVMValueRef p, uint64_t off);
LLVMValueRef cg_gep_dyn(struct cg *cg, LLVMValueRef p, LLVMValueRef off);
/* Zero / copy size bytes; _al variants know both pointers are 8-aligned
 * (align 8) which lets larger blocks be inlined. */
void cg_memset0(struct cg *cg, LLVMValueRef p, uint32_t size);
void cg_memset0_al(struct cg *cg, LLVMValueRef p, uint32_t size, uint32_t align);
void cg_memcpy(struct cg *cg, LLVMValueRef dst, LLVMValueRef src, uint32_t size);
/* cg_alloc + zero fill */
LLVMValueRef cg_alloc_zero(struct cg *cg, uint32_t size);
/* Load an integer of t's size from p (normalised i64); store the low
 * size bytes of v at p. */
LLVMValueRef cg_load_int(struct cg *cg, LLVMValueRef p, const struct type *t);
LLVMValueRef cg_load_n(struct cg *cg, LLVMValueRef p, uint32_t size, bool is_signed);
void cg_store_int(struct cg *cg, LLVMValueRef p, LLVMValueRef v, uint32_t size);
/* the same with an explicit alignment (packed layouts) */
LLVMValueRef cg_load_n_al(struct cg *cg, LLVMValueRef p, uint32_t size, bool is_signed,
			  uint32_t align);
void cg_store_int_al(struct cg *cg, LLVMValueRef p, LLVMValueRef v, uint32_t size,
		     uint32_t align);
/* probe_read of size bytes from addr (kernel/user/legacy by as). */
LLVMValueRef cg_probe_read(struct cg *cg, LLVMValueRef dst, LLVMValueRef size,
			   LLVMValueRef addr, uint8_t as);
LLVMValueRef cg_probe_read_str(struct cg *cg, LLVMValueRef dst, LLVMValueRef size,
			       LLVMValueRef addr, uint8_t as);
/* The bytes of v in readable memory (copied/read if needed). */
LLVMValueRef cg_val_ptr(struct cg *cg, struct val v);
/* Store v (of v.ty) into dst as type dt: ints by size, aggregates copied
 * with zero padding, tuples converted element by element. */
void cg_store_val(struct cg *cg, LLVMValueRef dst, struct type *dt, struct val v);
/* Read a value of type t at address (VK_EXT) or pointer (VK_MEM). */
struct val cg_load_at(struct cg *cg, struct val base, uint64_t off, struct type *t);
struct val cg_field(struct cg *cg, struct node *n);
struct val cg_index(struct cg *cg, struct node *n);
struct val cg_deref(struct cg *cg, struct node *n);

/* ---- helpers.c ---- */
LLVMValueRef cg_helper(struct cg *cg, int id, LLVMTypeRef ret, LLVMValueRef *args,
		       unsigned n);
/* Helper call followed by the -k/-kk error check (level 1 or 2). */
LLVMValueRef cg_helper_checked(struct cg *cg, int id, const char *name, int level,
			       LLVMValueRef *args, unsigned n);
/* Emit a helper_error event for a failing call (ret: i64). */
void cg_helper_error(struct cg *cg, const char *name, LLVMValueRef ret);
LLVMValueRef cg_pid_tgid(struct cg *cg);
LLVMValueRef cg_uid_gid(struct cg *cg);
LLVMValueRef cg_ktime(struct cg *cg, int ts_mode);

/* ---- maps.c ---- */
void cg_maps_declare(struct cg *cg);
void cg_maps_finish(struct cg *cg);
struct cg_map *cg_map_new(struct cg *cg, const char *name, uint32_t type,
			  uint32_t key_size, uint32_t value_size, uint32_t max_entries);
struct cg_map *cg_stack_map(struct cg *cg, uint16_t limit);
/* Lookup; returns the value pointer (may be null, check it). */
LLVMValueRef cg_map_lookup(struct cg *cg, struct cg_map *m, LLVMValueRef key);
/* The u64 value at key, 0 when the key is absent. */
LLVMValueRef cg_map_read_u64(struct cg *cg, struct cg_map *m, LLVMValueRef key);
LLVMValueRef cg_map_update(struct cg *cg, struct cg_map *m, LLVMValueRef key,
			   LLVMValueRef val, uint64_t flags);
LLVMValueRef cg_map_delete(struct cg *cg, struct cg_map *m, LLVMValueRef key);
/* Key buffer of a user map access (N_MAP node); with_bucket reserves the
 * u64 bucket suffix at key_size (filled by the caller). */
LLVMValueRef cg_map_key(struct cg *cg, struct node *map, bool with_bucket);
struct meta_map *cg_meta_map(struct cg *cg, struct node *map);
struct val cg_map_read(struct cg *cg, struct node *map);
void cg_map_assign(struct cg *cg, struct node *assign);
struct val cg_map_incdec(struct cg *cg, struct node *unop);
LLVMValueRef cg_map_len(struct cg *cg, struct node *map);
void cg_map_delete_call(struct cg *cg, struct node *call);
/* Atomic/percpu add of v into the u64 at p. */
void cg_add_u64(struct cg *cg, LLVMValueRef p, LLVMValueRef v, bool atomic);

/* ---- agg.c ---- */
void cg_aggregate(struct cg *cg, struct node *map, struct node *call);
struct val cg_agg_read(struct cg *cg, struct node *map);

/* ---- output.c ---- */
/* A u32 0 key in the entry block (shared per program). */
LLVMValueRef cg_key0(struct cg *cg);
/* Send size bytes at p to the ring buffer (losses counted). */
void cg_output(struct cg *cg, LLVMValueRef p, uint32_t size);
/* bulk = false: a control record that must wake bt-load at once. */
void cg_output_ex(struct cg *cg, LLVMValueRef p, uint32_t size, bool bulk);
struct val cg_call_output(struct cg *cg, struct node *call);

/* ---- builtins.c ---- */
struct val cg_builtin(struct cg *cg, struct node *n);
void cg_builtin_into(struct cg *cg, struct node *n, LLVMValueRef dst, struct type *dt);
/* Value of the `probe` builtin (probe name id) in the current program. */
LLVMValueRef cg_probe_id(struct cg *cg);
LLVMValueRef cg_arg(struct cg *cg, int n, struct type *t);
LLVMValueRef cg_reg(struct cg *cg, uint32_t offset);
int cg_reg_offset(const char *name);
LLVMValueRef cg_stack_id(struct cg *cg, struct type *t);
/* usym value {addr, pid, probe id} */
struct val cg_usym(struct cg *cg, LLVMValueRef addr, struct type *t);

/* ---- usdt.c ---- */
/* argN of a usdt probe from its location's argument spec. */
LLVMValueRef cg_usdt_arg(struct cg *cg, int n);

/* ---- syscalls_x86_64.c ---- */
/* Syscall number of a syscalls:sys_enter_NAME tracepoint's NAME, or -1. */
int cg_syscall_nr(const char *name);

/* ---- strings.c ---- */
struct val cg_str_literal(struct cg *cg, struct node *n);
/* align: 8 when dst is 8-aligned, else 1 */
void cg_str_literal_into(struct cg *cg, struct node *n, LLVMValueRef dst, uint32_t size,
			 uint32_t align);
void cg_str_call_into(struct cg *cg, struct node *call, LLVMValueRef dst, uint32_t size,
		      bool zeroed);
struct val cg_str_call(struct cg *cg, struct node *call);
LLVMValueRef cg_str_cmp(struct cg *cg, struct node *l, struct node *r, bool eq);
LLVMValueRef cg_strncmp(struct cg *cg, struct node *call);
LLVMValueRef cg_strcontains(struct cg *cg, struct node *call);
struct val cg_buf_call(struct cg *cg, struct node *call);
struct val cg_path_call(struct cg *cg, struct node *call);

/* ---- calls.c ---- */
struct val cg_call(struct cg *cg, struct node *n);

#endif
