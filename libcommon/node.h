/* node.h - the AST (bt-parse output) and the typed IR tree (bt-check output).
 *
 * One tagged node type.  Slot meaning per kind is listed below (node.c's
 * node_slots is the same table as data); a kind has no other slots, and
 * their storage may be another slot's (struct node).  bt-check fills
 * `type` on every expression, `id` on resolved names, and may rewrite
 * subtrees (e.g. insert casts).
 * Serialised by codec.c as a flat table (ir-spec/ast.md).
 *
 * kind            syntax              slots
 * ----            ------              -----
 * N_INT           42                  num; folded sizeof/offsetof/enum: ty_arg, str (check)
 * N_STR           "abc"               str,len (bytes, may contain NUL)
 * N_STACK_MODE    perf                str
 * N_IDENT         foo                 str
 * N_BUILTIN       pid                 str; id = enum builtin, num (check)
 * N_PARAM         $3                  num (index)
 * N_PARAMCOUNT    $#
 * N_CALL          f(a, b)             str (name), args; id = enum func, id2, num (check)
 * N_SIZEOF        sizeof(T|e)         ty_arg or a
 * N_OFFSETOF      offsetof(T|e, f)    ty_arg or a, str (field)
 * N_MAP           @m[k1, k2]          str (name incl @), args (keys); id = map id
 * N_VAR           $x                  str (name incl $); id = variable slot
 * N_BINOP         a op b              op, a, b
 * N_UNOP          op a / a op         op, a, flags NF_POSTFIX
 * N_TERNARY       c ? a : b           c, a, b
 * N_FIELD         a.f / a->f / a.N    a, str (field) or num (tuple index, NF_TUPLE_INDEX); num = offset, id2 after check
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
	NF__STREAM = (1 << 5) - 1, /* the flags a stream may carry */
};

struct node;
/* A list of children (VEC's layout with 32-bit counts). */
typedef struct {
	struct node **v;
	uint32_t n, cap;
} nodevec;

/* The slots of struct node.  node_slots[kind] says which ones a kind has
 * (see the table in node.c); a slot a kind lacks may share its storage
 * with one the kind has, so code that handles any kind of node (walks,
 * the codec, copies) looks at node_slots first: node_kid, node_list. */
enum node_slot {
	S_A = 1 << 0, S_B = 1 << 1, S_C = 1 << 2, S_ARGS = 1 << 3, S_BODY = 1 << 4,
	S_ELSE = 1 << 5, S_STR = 1 << 6, S_NUM = 1 << 7, S_TYARG = 1 << 8,
	S_AP = 1 << 9, S_ID2 = 1 << 10,
};
extern const uint16_t node_slots[N__COUNT];
_Static_assert(S_B == S_A << 1 && S_C == S_A << 2 && S_BODY == S_ARGS << 1 &&
	       S_ELSE == S_ARGS << 2, "node_kid and node_list shift the slot bits");

/* Programs of 100,000 lines are ~700,000 nodes held whole in each stage,
 * so a node is 88 bytes: slots no kind uses together share storage
 * (anonymous unions: the code names every slot as before).  kind, op,
 * flags, id, loc, type, len and enc_index are every kind's. */
struct node {
	uint8_t kind;            /* enum node_kind */
	uint8_t op;              /* enum op */
	uint16_t flags;          /* enum node_flags (+ bt-check's own) */
	int32_t id;              /* resolved id (builtin/func/map/var/async id) */
	struct loc loc;
	struct type *type;       /* expression type (bt-check) */
	uint32_t len;            /* byte length of str (N_STR may hold NULs) */
	uint32_t enc_index;      /* codec scratch */
	union {
		struct {
			struct node *a;
			union {
				struct node *b;
				struct type *ty_arg;      /* casts, sizeof, offsetof, int */
				struct attach_point *ap;  /* N_ATTACH_POINT */
			};
		};
		nodevec args;        /* call, map, tuple, probe, program */
		nodevec orelse;      /* if */
	};
	struct node *c;
	union {
		struct {
			const char *str;
			int32_t id2;     /* second resolved id (call, field) */
		};
		nodevec body;        /* if, unroll, while, probe, config */
	};
	int64_t num;
};
_Static_assert(sizeof(struct node) == 88, "struct node grew: see node_slots");

/* Node-valued slots and lists for code that handles any kind: slot i of
 * (a, b, c) or list i of (args, body, orelse); NULL / an empty list when
 * n's kind has no such slot. */
static inline struct node *node_kid(const struct node *n, int i)
{
	if (!(node_slots[n->kind] & (S_A << i)))
		return NULL;
	return i == 0 ? n->a : i == 1 ? n->b : n->c;
}

extern const nodevec node_no_list;
static inline const nodevec *node_list(const struct node *n, int i)
{
	if (!(node_slots[n->kind] & (S_ARGS << i)))
		return &node_no_list;
	return i == 0 ? &n->args : i == 1 ? &n->body : &n->orelse;
}
/* Zero every slot but the common ones (kind, op, flags, id, loc, type,
 * len, enc_index): before a node changes kind in place. */
void node_clear_slots(struct node *n);

struct node *node_alloc(void);  /* zeroed */
/* Every node made so far is gone (bt-codegen, done with a huge tree). */
void node_free_all(void);
struct node *node_new(enum node_kind kind, struct loc loc);
struct node *node_int(int64_t v, struct loc loc);
struct node *node_str(const char *s, uint32_t len, struct loc loc);
struct node *node_binop(enum op op, struct node *a, struct node *b, struct loc loc);
struct node *node_unop(enum op op, struct node *a, bool postfix, struct loc loc);

/* Deep copy of a subtree: nodes are copied, types and attach points
 * (immutable) are shared. */
struct node *node_clone(const struct node *n);

const char *node_kind_name(enum node_kind k);

/* Pre-order visit of every node of a subtree; post-order (children
 * first) with node_walk_post. */
typedef void (*node_fn)(struct node *n, void *arg);
void node_walk(struct node *n, node_fn fn, void *arg);
void node_walk_post(struct node *n, node_fn fn, void *arg);

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
