/* ast_print.c - bpftrace's `-d` tree printer (docs/bpftrace-compat.md "The -d
 * tree"); see ast_print.h.
 *
 * Like bpftrace's printer this keeps one running depth: each node prints
 * its line(s) at the current depth and moves the depth for its children.
 * A while loop raises it by two and never lowers it again (QUIRK kept).
 */
#include "ast_print.h"

#include <ctype.h>
#include <inttypes.h>

struct printer {
	FILE *out;
	int depth;
	bool types;
};

static void visit(struct printer *p, const struct node *n);

static void indent(struct printer *p, int depth)
{
	for (int i = 0; i < depth; i++)
		fputc(' ', p->out);
}

/* " :: type[int64, ctx: 0]" */
static void type_suffix(struct printer *p, const struct node *n)
{
	if (!p->types)
		return;
	const struct type *t = n->type;
	fprintf(p->out, " :: type[%s, ctx: %d", t ? type_str(t) : "none", t && t->ctx);
	if (t && t->as == AS_KERNEL)
		fputs(", AS(kernel)", p->out);
	else if (t && t->as == AS_USER)
		fputs(", AS(user)", p->out);
	fputc(']', p->out);
}

/* A line "<indent><text><type>". */
static void line(struct printer *p, const struct node *n, const char *text)
{
	indent(p, p->depth);
	fputs(text, p->out);
	if (n)
		type_suffix(p, n);
	fputc('\n', p->out);
}

static void visit_all(struct printer *p, const nodevec *v)
{
	for (size_t i = 0; i < v->n; i++)
		visit(p, v->v[i]);
}

static void children(struct printer *p, const struct node *first, const nodevec *rest)
{
	p->depth++;
	if (first)
		visit(p, first);
	if (rest)
		visit_all(p, rest);
	p->depth--;
}

static void print_string(struct printer *p, const struct node *n)
{
	indent(p, p->depth);
	fputs("string: ", p->out);
	for (uint32_t i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->str[i];
		switch (c) {
		case '\\': fputs("\\\\", p->out); break;
		case '"': fputs("\\\"", p->out); break;
		case '\n': fputs("\\n", p->out); break;
		case '\t': fputs("\\t", p->out); break;
		case '\r': fputs("\\r", p->out); break;
		default:
			if (c >= 0x20 && c < 0x7f)
				fputc(c, p->out);
			else
				fprintf(p->out, "\\x%02x", c);
		}
	}
	type_suffix(p, n);
	fputc('\n', p->out);
}

static void visit(struct printer *p, const struct node *n)
{
	int d = p->depth;
	switch (n->kind) {
	case N_INT:
		line(p, n, arena_printf("int: %" PRId64, n->num));
		break;
	case N_STR:
		print_string(p, n);
		break;
	case N_STACK_MODE:
		line(p, n, arena_printf("stack_mode: %s", n->str));
		break;
	case N_IDENT:
		line(p, n, arena_printf("identifier: %s", n->str));
		break;
	case N_BUILTIN:
		line(p, n, arena_printf("builtin: %s", n->str));
		break;
	case N_PARAM:
		line(p, n, arena_printf("param: $%" PRId64, n->num));
		break;
	case N_PARAMCOUNT:
		line(p, n, "param: $#");
		break;
	case N_CALL:
		line(p, n, arena_printf("call: %s", n->str));
		children(p, NULL, &n->args);
		break;
	case N_SIZEOF:
		line(p, n, "sizeof: ");
		children(p, n->a, NULL);
		break;
	case N_OFFSETOF:
		line(p, n, "offsetof: ");
		children(p, n->a, NULL);
		break;
	case N_MAP:
		line(p, n, arena_printf("map: %s", n->str));
		children(p, NULL, &n->args);
		break;
	case N_VAR:
		line(p, n, arena_printf("variable: %s", n->str));
		break;
	case N_BINOP:
		line(p, n, op_str(n->op));
		p->depth++;
		visit(p, n->a);
		visit(p, n->b);
		p->depth--;
		break;
	case N_UNOP:
		if (n->flags & NF_POSTFIX) {
			visit(p, n->a);
			indent(p, d + 1);
			fprintf(p->out, "%s\n", op_str(n->op));
		} else {
			line(p, NULL, op_str(n->op));
			children(p, n->a, NULL);
		}
		break;
	case N_TERNARY:
		line(p, NULL, "?:");
		p->depth++;
		visit(p, n->c);
		visit(p, n->a);
		visit(p, n->b);
		p->depth--;
		break;
	case N_FIELD:
		line(p, NULL, ".");
		children(p, n->a, NULL);
		indent(p, d);
		if (n->flags & NF_TUPLE_INDEX)
			fprintf(p->out, " %" PRId64 "\n", n->num);
		else
			fprintf(p->out, " %s\n", n->str);
		break;
	case N_INDEX:
		line(p, NULL, "[]");
		p->depth++;
		visit(p, n->a);
		visit(p, n->b);
		p->depth--;
		break;
	case N_CAST:
		line(p, NULL, arena_printf("(%s)", type_str(n->ty_arg)));
		children(p, n->a, NULL);
		break;
	case N_TUPLE:
		line(p, NULL, "tuple:");
		children(p, NULL, &n->args);
		break;
	case N_EXPR_STMT:
		visit(p, n->a);
		break;
	case N_ASSIGN_MAP:
	case N_ASSIGN_VAR:
		line(p, NULL, "=");
		p->depth++;
		visit(p, n->a);
		visit(p, n->b);
		p->depth--;
		break;
	case N_ASSIGN_CONFIG:
		line(p, NULL, "=");
		p->depth++;
		indent(p, d);
		fprintf(p->out, " config var: %s\n", n->str);
		visit(p, n->b);
		p->depth--;
		break;
	case N_IF:
		line(p, NULL, "if");
		p->depth++;
		visit(p, n->c);
		p->depth++;
		indent(p, d);
		fputs(" then\n", p->out);
		visit_all(p, &n->body);
		if (n->orelse.n) {
			indent(p, d);
			fputs(" else\n", p->out);
			visit_all(p, &n->orelse);
		}
		p->depth -= 2;
		break;
	case N_UNROLL:
		line(p, NULL, "unroll");
		p->depth++;
		visit(p, n->a);
		p->depth++;
		indent(p, d);
		fputs(" block\n", p->out);
		visit_all(p, &n->body);
		p->depth -= 2;
		break;
	case N_WHILE:
		line(p, NULL, "while(");
		p->depth++;
		visit(p, n->c);
		p->depth++;
		indent(p, d);
		fputs(" )\n", p->out);
		visit_all(p, &n->body);
		break; /* QUIRK: depth not restored */
	case N_JUMP:
		line(p, NULL, op_str(n->op));
		break;
	case N_PREDICATE:
		line(p, NULL, "pred");
		children(p, n->a, NULL);
		break;
	case N_ATTACH_POINT:
		line(p, NULL, n->ap ? attach_point_name(n->ap, true) : n->str);
		break;
	case N_PROBE:
		visit_all(p, &n->args);
		p->depth++;
		if (n->c)
			visit(p, n->c);
		visit_all(p, &n->body);
		p->depth--;
		break;
	case N_CONFIG:
		line(p, NULL, "config");
		children(p, NULL, &n->body);
		break;
	case N_PROGRAM:
		line(p, NULL, "Program");
		p->depth++;
		if (n->c)
			visit(p, n->c);
		visit_all(p, &n->args);
		p->depth--;
		break;
	default:
		line(p, NULL, node_kind_name(n->kind));
		break;
	}
}

void ast_print(FILE *out, const struct node *program, bool with_types)
{
	struct printer p = { out, 0, with_types };
	if (program->kind == N_PROGRAM && program->str && *program->str)
		fprintf(out, "%s\n", program->str);
	visit(&p, program);
}

void ast_print_pass(FILE *out, const char *pass, const struct node *program,
		    bool with_types)
{
	fprintf(out, "\nAST after: %s\n-------------------\n", pass);
	ast_print(out, program, with_types);
	fputc('\n', out);
}
