/* clone.c - deep copies of subtrees (a probe block cloned per attach point
 * when its types differ between attach points) and a generic walker.
 * Types and attach points are immutable and shared, nodes are copied.
 */
#include "check.h"
#include "clone.h"

static void clone_list(nodevec *dst, const nodevec *src)
{
	nodevec v = { 0 };
	for (size_t i = 0; i < src->n; i++)
		VEC_PUSH(&v, node_clone(src->v[i]));
	*dst = v;
}

struct node *node_clone(struct node *n)
{
	if (!n)
		return NULL;
	struct node *c = ARENA_NEW(struct node);
	*c = *n;
	c->a = node_clone(n->a);
	c->b = node_clone(n->b);
	c->c = node_clone(n->c);
	clone_list(&c->args, &n->args);
	clone_list(&c->body, &n->body);
	clone_list(&c->orelse, &n->orelse);
	return c;
}

static void walk_list(nodevec *v, node_fn fn, void *arg)
{
	for (size_t i = 0; i < v->n; i++)
		node_walk(v->v[i], fn, arg);
}

void node_walk(struct node *n, node_fn fn, void *arg)
{
	if (!n)
		return;
	fn(n, arg);
	node_walk(n->a, fn, arg);
	node_walk(n->b, fn, arg);
	node_walk(n->c, fn, arg);
	walk_list(&n->args, fn, arg);
	walk_list(&n->body, fn, arg);
	walk_list(&n->orelse, fn, arg);
}
