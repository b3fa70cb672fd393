/* clone.c - a generic pre-order walker over subtrees (the deep copy a
 * probe block cloned per attach point needs is libcommon's node_clone).
 */
#include "check.h"
#include "clone.h"

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
