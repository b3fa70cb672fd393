/* node.c - AST constructors and names; see node.h. */
#include "node.h"

#include <string.h>
#include <sys/mman.h>

static const char *kind_names[N__COUNT] = {
	[N_INT] = "int", [N_STR] = "string", [N_STACK_MODE] = "stack_mode",
	[N_IDENT] = "identifier", [N_BUILTIN] = "builtin", [N_PARAM] = "param",
	[N_PARAMCOUNT] = "paramcount", [N_CALL] = "call", [N_SIZEOF] = "sizeof",
	[N_OFFSETOF] = "offsetof", [N_MAP] = "map", [N_VAR] = "variable",
	[N_BINOP] = "binop", [N_UNOP] = "unop", [N_TERNARY] = "ternary",
	[N_FIELD] = "field", [N_INDEX] = "index", [N_CAST] = "cast",
	[N_TUPLE] = "tuple", [N_EXPR_STMT] = "expr_stmt",
	[N_ASSIGN_MAP] = "assign_map", [N_ASSIGN_VAR] = "assign_var",
	[N_ASSIGN_CONFIG] = "assign_config", [N_IF] = "if",
	[N_UNROLL] = "unroll", [N_WHILE] = "while", [N_JUMP] = "jump",
	[N_PREDICATE] = "predicate", [N_ATTACH_POINT] = "attach_point",
	[N_PROBE] = "probe", [N_CONFIG] = "config", [N_PROGRAM] = "program",
};

static const char *op_names[OP__COUNT] = {
	[OP_NONE] = "", [OP_EQ] = "==", [OP_NE] = "!=", [OP_LE] = "<=",
	[OP_GE] = ">=", [OP_LT] = "<", [OP_GT] = ">", [OP_LAND] = "&&",
	[OP_LOR] = "||", [OP_SHL] = "<<", [OP_SHR] = ">>", [OP_ADD] = "+",
	[OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/", [OP_MOD] = "%",
	[OP_BAND] = "&", [OP_BOR] = "|", [OP_BXOR] = "^", [OP_LNOT] = "!",
	[OP_BNOT] = "~", [OP_NEG] = "-", [OP_DEREF] = "dereference",
	[OP_INC] = "++", [OP_DEC] = "--", [JUMP_RETURN] = "return",
	[JUMP_BREAK] = "break", [JUMP_CONTINUE] = "continue",
};

/* The slots each kind has (node.h): the union of struct node relies on
 * no kind having two slots that share storage. */
const uint16_t node_slots[N__COUNT] = {
	[N_INT] = S_NUM | S_TYARG | S_STR,
	[N_STR] = S_STR,
	[N_STACK_MODE] = S_STR,
	[N_IDENT] = S_STR,
	[N_BUILTIN] = S_STR | S_NUM,
	[N_PARAM] = S_NUM,
	[N_PARAMCOUNT] = 0,
	[N_CALL] = S_STR | S_ARGS | S_NUM | S_ID2,
	[N_SIZEOF] = S_TYARG | S_A,
	[N_OFFSETOF] = S_TYARG | S_A | S_STR,
	[N_MAP] = S_STR | S_ARGS,
	[N_VAR] = S_STR,
	[N_BINOP] = S_A | S_B,
	[N_UNOP] = S_A,
	[N_TERNARY] = S_A | S_B | S_C,
	[N_FIELD] = S_A | S_STR | S_NUM | S_ID2,
	[N_INDEX] = S_A | S_B,
	[N_CAST] = S_A | S_TYARG,
	[N_TUPLE] = S_ARGS,
	[N_EXPR_STMT] = S_A,
	[N_ASSIGN_MAP] = S_A | S_B,
	[N_ASSIGN_VAR] = S_A | S_B,
	[N_ASSIGN_CONFIG] = S_STR | S_B,
	[N_IF] = S_C | S_BODY | S_ELSE,
	[N_UNROLL] = S_A | S_BODY | S_NUM,
	[N_WHILE] = S_C | S_BODY,
	[N_JUMP] = 0,
	[N_PREDICATE] = S_A,
	[N_ATTACH_POINT] = S_AP | S_STR,
	[N_PROBE] = S_ARGS | S_C | S_BODY | S_NUM,
	[N_CONFIG] = S_BODY,
	[N_PROGRAM] = S_STR | S_C | S_ARGS,
};

const nodevec node_no_list;

void node_clear_slots(struct node *n)
{
	struct node keep = *n;
	memset(n, 0, sizeof *n);
	n->kind = keep.kind;
	n->op = keep.op;
	n->flags = keep.flags;
	n->id = keep.id;
	n->loc = keep.loc;
	n->type = keep.type;
	n->len = keep.len;
	n->enc_index = keep.enc_index;
}

const char *node_kind_name(enum node_kind k)
{
	return (unsigned)k < N__COUNT ? kind_names[k] : "?";
}

const char *op_str(enum op op)
{
	return (unsigned)op < OP__COUNT ? op_names[op] : "?";
}

bool op_is_comparison(enum op op)
{
	return op >= OP_EQ && op <= OP_GT;
}

/* Nodes are carved from blocks mapped for them alone, not from the
 * arena, so that a tool done with its tree gives the memory back to the
 * system (node_free_all): a tree is most of what a huge program holds.
 * Fresh pages are zero and only the ones used become resident. */
#define NODES_PER_BLOCK ((size_t)(2u << 20) / sizeof(struct node))

struct node_block {
	struct node_block *next;
	struct node nodes[NODES_PER_BLOCK - 1];
};

static struct {
	struct node_block *head;
	size_t left;
	unsigned gen;
} blocks;

void node_free_all(void)
{
	while (blocks.head) {
		struct node_block *next = blocks.head->next;
		munmap(blocks.head, sizeof *blocks.head);
		blocks.head = next;
	}
	blocks.left = 0;
	blocks.gen = arena_generation();
}

struct node *node_alloc(void)
{
	/* arena_free_all drops every tree (the types nodes point to go) */
	if (blocks.gen != arena_generation())
		node_free_all();
	if (!blocks.left) {
		struct node_block *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b == MAP_FAILED)
			arena_out_of_memory(sizeof *b);
		b->next = blocks.head;
		blocks.head = b;
		blocks.left = NODES_PER_BLOCK - 1;
	}
	return &blocks.head->nodes[NODES_PER_BLOCK - 1 - blocks.left--];
}

struct node *node_new(enum node_kind kind, struct loc loc)
{
	struct node *n = node_alloc();
	n->kind = kind;
	n->loc = loc;
	return n;
}

struct node *node_int(int64_t v, struct loc loc)
{
	struct node *n = node_new(N_INT, loc);
	n->num = v;
	return n;
}

struct node *node_str(const char *s, uint32_t len, struct loc loc)
{
	struct node *n = node_new(N_STR, loc);
	n->str = arena_strndup(s, len);
	n->len = len;
	return n;
}

struct node *node_binop(enum op op, struct node *a, struct node *b, struct loc loc)
{
	struct node *n = node_new(N_BINOP, loc);
	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

struct node *node_unop(enum op op, struct node *a, bool postfix, struct loc loc)
{
	struct node *n = node_new(N_UNOP, loc);
	n->op = op;
	n->a = a;
	if (postfix)
		n->flags |= NF_POSTFIX;
	return n;
}

static void clone_list(nodevec *dst, const nodevec *src)
{
	nodevec v = { 0 };
	for (size_t i = 0; i < src->n; i++)
		VEC_PUSH(&v, node_clone(src->v[i]));
	*dst = v;
}

struct node *node_clone(const struct node *n)
{
	if (!n)
		return NULL;
	struct node *c = node_alloc();
	*c = *n;
	unsigned s = node_slots[n->kind];
	if (s & S_A)
		c->a = node_clone(n->a);
	if (s & S_B)
		c->b = node_clone(n->b);
	if (s & S_C)
		c->c = node_clone(n->c);
	if (s & S_ARGS)
		clone_list(&c->args, &n->args);
	if (s & S_BODY)
		clone_list(&c->body, &n->body);
	if (s & S_ELSE)
		clone_list(&c->orelse, &n->orelse);
	return c;
}

const char *probe_name(const struct node *probe)
{
	if (probe->args.n == 1) {
		const struct node *ap = probe->args.v[0];
		return ap->ap ? attach_point_name(ap->ap, false) : ap->str;
	}
	size_t total = 1;
	const char **names = ARENA_ARRAY(const char *, probe->args.n + 1);
	for (size_t i = 0; i < probe->args.n; i++) {
		const struct node *ap = probe->args.v[i];
		names[i] = ap->ap ? attach_point_name(ap->ap, false) : ap->str;
		total += strlen(names[i]) + 1;
	}
	char *s = arena_alloc(total);
	for (size_t i = 0; i < probe->args.n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, names[i]);
	}
	return s;
}

static void walk(struct node *n, node_fn fn, void *arg, bool post)
{
	if (!n)
		return;
	if (!post)
		fn(n, arg);
	for (int i = 0; i < 3; i++)
		walk(node_kid(n, i), fn, arg, post);
	for (int i = 0; i < 3; i++) {
		const nodevec *l = node_list(n, i);
		for (size_t j = 0; j < l->n; j++)
			walk(l->v[j], fn, arg, post);
	}
	if (post)
		fn(n, arg);
}

void node_walk(struct node *n, node_fn fn, void *arg)
{
	walk(n, fn, arg, false);
}

void node_walk_post(struct node *n, node_fn fn, void *arg)
{
	walk(n, fn, arg, true);
}

static bool is_expr(const struct node *n)
{
	return n && n->kind <= N_TUPLE;
}

const char *node_shape_error(const struct node *n)
{
	switch (n->kind) {
	case N_BINOP:
		if (!is_expr(n->a) || !is_expr(n->b) || n->op < OP_EQ || n->op > OP_BXOR)
			return "malformed binary operation";
		break;
	case N_UNOP:
		if (!is_expr(n->a) || n->op < OP_LNOT || n->op > OP_DEC)
			return "malformed unary operation";
		break;
	case N_TERNARY:
		if (!is_expr(n->a) || !is_expr(n->b) || !is_expr(n->c))
			return "malformed ternary";
		break;
	case N_FIELD:
		if (!is_expr(n->a))
			return "malformed field access";
		break;
	case N_INDEX:
		if (!is_expr(n->a) || !is_expr(n->b))
			return "malformed index";
		break;
	case N_CAST:
		if (!is_expr(n->a))
			return "malformed cast";
		break;
	case N_EXPR_STMT:
		if (!is_expr(n->a))
			return "malformed expression statement";
		break;
	case N_PREDICATE:
		if (!is_expr(n->a))
			return "empty predicate";
		break;
	case N_ASSIGN_MAP:
		if (!n->a || n->a->kind != N_MAP || !is_expr(n->b))
			return "malformed map assignment";
		break;
	case N_ASSIGN_VAR:
		if (!n->a || n->a->kind != N_VAR || !is_expr(n->b))
			return "malformed variable assignment";
		break;
	case N_IF: case N_WHILE:
		if (!is_expr(n->c))
			return "condition missing";
		break;
	case N_JUMP:
		if (n->op < JUMP_RETURN || n->op > JUMP_CONTINUE)
			return "malformed jump";
		break;
	default:
		break;
	}
	return NULL;
}
