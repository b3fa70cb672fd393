/* parse_util.c - small helpers shared by the lexer and the grammar:
 * locations, growable byte buffers, error recording, node copies. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

struct loc yyloc_to_loc(YYLTYPE l)
{
	struct loc r = { l.first_line, l.first_column, l.last_line, l.last_column };
	return r;
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *ns = arena_alloc(cap);
		if (b->len)
			memcpy(ns, b->s, b->len);
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void sbuf_addc(struct sbuf *b, char c)
{
	sbuf_add(b, &c, 1);
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

const char *sbuf_str(struct sbuf *b)
{
	return arena_strndup(b->s ? b->s : "", b->len);
}

void ps_error(struct pstate *ps, YYLTYPE l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = arena_alloc((size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	if (ps->nested)
		l = ps->macro_at; /* inside a macro's text: blame its use */
	diag_error(ps->diags, yyloc_to_loc(l), "%s", msg);
}

/* Deep copy of an expression (the left operand of a compound assignment
 * is a map or variable with its keys). */
struct node *node_clone(const struct node *n)
{
	if (!n)
		return NULL;
	struct node *c = ARENA_NEW(struct node);
	*c = *n;
	c->a = node_clone(n->a);
	c->b = node_clone(n->b);
	c->c = node_clone(n->c);
	nodevec *vs[3] = { &c->args, &c->body, &c->orelse };
	const nodevec *os[3] = { &n->args, &n->body, &n->orelse };
	for (int k = 0; k < 3; k++) {
		memset(vs[k], 0, sizeof *vs[k]);
		for (size_t i = 0; i < os[k]->n; i++)
			VEC_PUSH(vs[k], node_clone(os[k]->v[i]));
	}
	return c;
}
