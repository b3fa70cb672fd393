/* node.h - the AST (bt-parse output) and the typed IR tree (bt-check output).
 *
 * One tagged node type.  Slot meaning per kind is listed below; a slot not
 * listed is unused (zero).  bt-check fills `type` on every expression, `id`
 * on resolved names, and may rewrite subtrees (e.g. insert casts).
 * Serialised by codec.c as a flat table (ir-spec/ast.md).
 *
 * kind            syntax              slots
 * ----            ------              -----
 * N_INT           42                  num
 * N_STR           "abc"               str,len (bytes, may contain NUL)
 * N_STACK_MODE    perf                str
 * N_IDENT         foo                 str
 * N_BUILTIN       pid                 str; id = enum builtin (check)
 * N_PARAM         $3                  num (index)
 * N_PARAMCOUNT    $#
 * N_CALL          f(a, b)             str (name), args; id = enum func (check)
 * N_SIZEOF        sizeof(T|e)         ty_arg or a
 * N_OFFSETOF      offsetof(T|e, f)    ty_arg or a, str (field)
 * N_MAP           @m[k1, k2]          str (name incl @), args (keys); id = map id
 * N_VAR           $x                  str (name incl $); id = variable slot
 * N_BINOP         a op b              op, a, b
 * N_UNOP          op a / a op         op, a, flags NF_POSTFIX
 * N_TERNARY       c ? a : b           c, a, b
 * N_FIELD         a.f / a->f / a.N    a, str (field) or num (tuple index, NF_TUPLE_INDEX); num = offset after check
 * N_INDEX         a[b]                a, b
 * N_CAST          (T)a                ty_arg, a
 * N_TUPLE         (a, b, ...)         args
 * N_EXPR_STMT     e;                  a
 * N_ASSIGN_MAP    @m = e / @m op= e   a (N_MAP), b (value; for op= a N_BINOP), flags NF_COMPOUND
 * N_ASSIGN_VAR    $x = e              a (N_VAR), b, flags NF_COMPOUND
 * N_ASSIGN_CONFIG name = e            str, b
 * N_IF            if (c) {..} else    c, body, orelse
 * N_UNROLL        unroll(n) {..}      a (count expr), body; num = count (check)
 * N_WHILE         while (c) {..}      c, body
 * N_JUMP          return/break/...    op (JUMP_*)
 * N_PREDICATE     /e/                 a
 * N_ATTACH_POINT  kprobe:f            ap (parsed attach point), str (raw text)
 * N_PROBE         ap, ap /p/ {..}     args (attach points), c (predicate) , body; num = probe index
 * N_CONFIG        config = {..}       body (N_ASSIGN_CONFIG)
 * N_PROGRAM                           str (C definitions text), c (config), args (probes)
 */
#ifndef BT_NODE_H
#define BT_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "probe_types.h"
#include "type.h"

enum node_kind {
	N_INT, N_STR, N_STACK_MODE, N_IDENT, N_BUILTIN, N_PARAM, N_PARAMCOUNT,
	N_CALL, N_SIZEOF, N_OFFSETOF, N_MAP, N_VAR, N_BINOP, N_UNOP, N_TERNARY,
	N_FIELD, N_INDEX, N_CAST, N_TUPLE,
	N_EXPR_STMT, N_ASSIGN_MAP, N_ASSIGN_VAR, N_ASSIGN_CONFIG, N_IF,
	N_UNROLL, N_WHILE, N_JUMP,
	N_PREDICATE, N_ATTACH_POINT, N_PROBE, N_CONFIG, N_PROGRAM,
	N__COUNT
};

enum op {
	OP_NONE,
	/* binary */
	OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT, OP_LAND, OP_LOR,
	OP_SHL, OP_SHR, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
	OP_BAND, OP_BOR, OP_BXOR,
	/* unary */
	OP_LNOT, OP_BNOT, OP_NEG, OP_DEREF, OP_INC, OP_DEC,
	/* jumps */
	JUMP_RETURN, JUMP_BREAK, JUMP_CONTINUE,
	OP__COUNT
};

enum node_flags {
	NF_POSTFIX = 1 << 0,     /* x++ */
	NF_COMPOUND = 1 << 1,    /* @x += 1 */
	NF_TUPLE_INDEX = 1 << 2, /* $t.1 */
	NF_ARROW = 1 << 3,       /* a->f (a is the N_UNOP deref) */
	NF_IN_STR = 1 << 4,      /* positional param used inside str() */
};

struct node;
/* A list of children (VEC's layout with 32-bit counts: a node has three). */
typedef struct {
	struct node **v;
	uint32_t n, cap;
} nodevec;

/* Programs of 100,000 lines are ~700,000 nodes held whole in each stage:
 * the fields are ordered and sized to keep a node at 152 bytes. */
struct node {
	uint8_t kind;            /* enum node_kind */
	uint8_t op;              /* enum op */
	uint32_t flags;
	struct loc loc;
	int64_t num;
	const char *str;
	uint32_t len;            /* byte length of str (N_STR may hold NULs) */
	int32_t id;              /* resolved id (builtin/func/map/var/async id) */
	struct node *a, *b, *c;
	nodevec args, body, orelse;
	struct type *type;       /* expression type (bt-check) */
	struct type *ty_arg;     /* type operand of casts / sizeof / offsetof */
	struct attach_point *ap; /* N_ATTACH_POINT */
	int32_t id2;             /* second resolved id where needed */
	uint32_t enc_index;      /* codec scratch */
};

struct node *node_alloc(void);  /* zeroed, from the arena */
struct node *node_new(enum node_kind kind, struct loc loc);
struct node *node_int(int64_t v, struct loc loc);
struct node *node_str(const char *s, uint32_t len, struct loc loc);
struct node *node_binop(enum op op, struct node *a, struct node *b, struct loc loc);
struct node *node_unop(enum op op, struct node *a, bool postfix, struct loc loc);

/* Deep copy of a subtree: nodes are copied, types and attach points
 * (immutable) are shared. */
struct node *node_clone(const struct node *n);

const char *node_kind_name(enum node_kind k);

/* Pre-order visit of every node of a subtree. */
typedef void (*node_fn)(struct node *n, void *arg);
void node_walk(struct node *n, node_fn fn, void *arg);

/* The children a node of its kind must have (what bt-check's ast check
 * and bt-codegen's ir check both rely on): NULL if n has them, else what
 * is wrong ("malformed binary operation", ...).  Operators must be of the
 * node's family; statements' and probes' lists are not looked at. */
const char *node_shape_error(const struct node *n);
/* Operator spelling as bpftrace prints it ("==", "dereference", "return"). */
const char *op_str(enum op op);
bool op_is_comparison(enum op op);

/* Probe name: ",".join of its attach point names. */
const char *probe_name(const struct node *probe);

#endif
