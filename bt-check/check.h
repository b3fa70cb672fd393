/* check.h - bt-check's semantic analysis: shared state and the pass API.
 *
 * Pass order (check_program in analyse.c):
 *   1. config   config block + BPFTRACE_* env -> meta.cfg (max_strlen is
 *               needed by every string type below, so it runs first)
 *   2. cdefs    C definitions of the script and the headers they include,
 *               compiled by libclang (only when there are any)
 *   3. probes   attach point checks, expansion through sys.h, one program
 *               per probe block (cloned per attach point only when types
 *               differ between attach points, e.g. tracepoint args)
 *   4. types    semantic passes until no type changes (a real fixpoint:
 *               maps can be used before their definition in source order),
 *               then one final pass that reports errors and rewrites
 *   5. count    the nodes, as bpftrace's NodeCounter after its semantic
 *               pass (-v prints it; BPFTRACE_MAX_AST_NODES limits it)
 *   6. meta     maps sorted by name, ids, formats, probe table
 * Errors of a step stop the pipeline before the next one.
 */
#ifndef BT_CHECK_H
#define BT_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "meta.h"
#include "names.h"
#include "node.h"
#include "sys.h"
#include "strindex.h"
#include "type.h"

struct check_opts {
	bool unsafe;
	int helper_check;         /* -k: 1, -kk: 2 */
	int pid;                  /* --pid */
	bool child;               /* --child: a -c command exists */
	const char *child_exe;    /* --child-exe: its program (implies child) */
	bool no_warnings;
	const char *sysroot, *snapshot;
	bool listing, verbose;
	bool dump;
	VEC(const char *) include_dirs;   /* -I DIR */
	VEC(const char *) include_files;  /* --include FILE */
};

/* A scratch variable of one probe. */
struct var {
	const char *name;
	struct type *type;        /* NULL until assigned */
	int slot;
};

/* A map as the analysis sees it (before ids exist). */
struct mapinfo {
	const char *name;
	struct type *value;       /* NULL until known */
	bool keys_known;
	uint32_t nkeys;
	struct type **keys;       /* as recorded (ints -> uint64) */
	struct loc loc;           /* first use */
	bool assigned;            /* some statement writes it */
	int hist_bits;            /* -1 unknown */
	bool lhist_set;
	int64_t lh_min, lh_max, lh_step;
	int id;
	VEC(struct node *) nodes; /* every N_MAP naming it (for ids) */
};

/* One BPF program: a probe block or a clone of it. */
struct prog {
	struct node *probe;        /* N_PROBE (a clone owns its copy) */
	struct node *orig;         /* the probe as written (clones: the original) */
	enum probe_type type;      /* provider of the first attach point */
	VEC(struct attach_point *) aps; /* concrete attach points */
	VEC(struct var) vars;
	struct type *args;         /* tracepoint/kfunc/uprobe args record */
	int index;
};

struct check {
	const struct check_opts *o;
	struct diags *d;
	const struct source *src;
	struct sys *sys;           /* opened on first use (check_sys) */
	struct meta *meta;
	struct node *prog_node;
	const char *const *params;
	int nparams;

	struct cdefs *cdefs;       /* C definitions (cdefs.c); NULL if none */

	VEC(struct prog *) progs;
	nodevec orig_probes;       /* program->args as written (for --dump) */
	VEC(struct mapinfo *) maps;
	struct strindex map_index; /* maps by name */
	bool has_begin, has_end;

	/* pass state */
	int pass;
	bool final;                /* the reporting/rewriting pass */
	bool changed;              /* a type changed in this pass */
	struct prog *cur;          /* program being analysed */
	int loop_depth;
	int in_str;                /* inside str(): $N is a string */
	bool in_print_arg0;        /* printf-like format: long literal allowed */
	bool compile_time_func;    /* cgroupid etc: long literal allowed */
	bool skip_key_check;       /* map argument of print/clear/zero/len/delete */
	int undefined_errors;      /* "Undefined map" errors reported so far */
	uint64_t max_ast_nodes;    /* BPFTRACE_MAX_AST_NODES (0: no limit) */


	const char *raw_stderr;    /* printed as is before error diagnostics
				    * (clang's own diagnostics) */

	/* originals of folded nodes, restored for --dump */
	VEC(struct node *) folded, folded_orig;
};

/* ---- analyse.c ---- */
bool check_program(struct check *c, struct node *program);
struct sys *check_sys(struct check *c);
struct var *var_lookup(struct check *c, const char *name);
void mark_changed(struct check *c);
/* Errors so far that stop bpftrace before its last pass.  An undefined
 * map is reported only in that pass, with the statement's other errors
 * (Undefined variable, Invalid expression for assignment), so it is not
 * counted: compare before and after an expression to know whether to
 * report those. */
int errors_before_last_pass(const struct check *c);
/* Errors always reported / only in the final pass; warnings final only. */
void err(struct check *c, struct loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void err_final(struct check *c, struct loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void warn_final(struct check *c, struct loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fold_record(struct check *c, struct node *n);

/* Node flag private to bt-check: a literal produced by folding keeps the
 * type folding gave it.  Cleared before the ir is written. */
#define NF_CHECK_FOLDED (1u << 15)

/* Node flag private to bt-check: a conversion bpftrace's tree does not
 * have (bpftrace's NodeCounter does not count it).  Cleared likewise. */
#define NF_CHECK_IMPLICIT (1u << 14)

/* The probe's attach points as written (bpftrace checks builtins and
 * functions against these, not against the expanded ones). */
#define ORIG_NAP(p) ((p)->orig->args.n)
#define ORIG_AP(p, i) ((p)->orig->args.v[i]->ap)

/* ---- expr.c ---- */
void visit_expr(struct check *c, struct node *n);
const char *kind_str(const struct type *t);   /* bpftrace typestr: "integer" */
struct type *type_with_as(struct type *t, enum addrspace as);
bool is_literal_int(const struct node *n, int64_t *v);
struct node *wrap_cast(struct node *e, struct type *to);
struct type *resolve_record(struct check *c, struct type *t);
struct type *lookup_named_type(struct check *c, const char *name);
enum addrspace probe_as(struct check *c);   /* the probe's memory: kernel or user */
/* A context field whose place CO-RE cannot relocate (a tracepoint format
 * field, a kfunc argument slot): recorded in meta.target for bt-load. */
void note_ctx_field(struct check *c, const struct field *f, bool data_loc);

/* ---- builtins.c ---- */
void visit_builtin(struct check *c, struct node *n);
struct type *string_type(struct check *c);   /* string[max_strlen] */
struct type *tuple_merge(struct check *c, struct type *have, struct type *got,
			 struct loc loc);

/* ---- calls.c ---- */
/* Where a call appears: decides "should be directly assigned to a map"
 * and friends.  map: the assigned map for CALL_MAP_RHS. */
enum call_ctx { CALL_STMT, CALL_EXPR, CALL_MAP_RHS, CALL_VAR_RHS, CALL_MAP_KEY };
void visit_call(struct check *c, struct node *n, enum call_ctx ctx,
		struct node *map);

/* ---- maps.c ---- */
struct mapinfo *map_get(struct check *c, const char *name);
void visit_map(struct check *c, struct node *n);
void visit_assign_map(struct check *c, struct node *n);
void maps_build_meta(struct check *c);

/* ---- layout.c ---- */
/* Validate a printf-like call; fills a meta_fmt (args from index first;
 * before the final pass without the args array: NULL). */
bool check_format(struct check *c, struct node *call, const char *func,
		  int first_arg, struct meta_fmt *out);

/* ---- probes.c ---- */
bool probes_expand(struct check *c, struct node *program);
void probes_build_meta(struct check *c);

/* ---- config.c ---- */
bool config_apply(struct check *c, struct node *program, const char **envp);
/* Types of the config block's values (typed with the program). */
void config_type_values(struct node *program);

/* ---- cdefs.c ---- */
/* Compile the script's C definitions (and headers) with libclang; false
 * with clang's messages in raw_stderr (or a diagnostic) on error. */
bool cdefs_parse(struct check *c, const char *text);
/* A record ("struct foo"), enum type or typedef the definitions or their
 * headers define; NULL if none. */
struct type *cdefs_type(struct check *c, const char *name);
/* An identifier of the program that is an enum constant or an object-like
 * macro with an integer value. */
bool cdefs_constant(struct check *c, const char *name, int64_t *v);

/* ---- kheaders.c ---- */
typedef VEC(const char *) strvec;
/* The kernel's header directories (sys_kernel_headers); bpftrace's
 * warning and false when there are none. */
bool kheaders_find(struct check *c, const char **src, const char **build,
		   const char **machine);
/* clang flags that compile the kernel's headers found there, for the
 * target's `uname -m` machine. */
void kheaders_cflags(const char *src, const char *build, const char *machine,
		     strvec *args);

/* ---- fold.c ---- */
bool param_value(struct check *c, int idx, const char **s);
void fold_param(struct check *c, struct node *n);
void fold_int(struct check *c, struct node *n, int64_t v, struct type *t);
void fold_str(struct check *c, struct node *n, const char *s, uint32_t len);
/* After every check, dump and count (they see the program as written):
 * integer + - * of two 64-bit literals become one literal, so bt-codegen
 * decodes and LLVM holds one constant where there were three. */
void fold_arith(struct node *root);

#endif
