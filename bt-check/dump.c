/* dump.c - --dump: prints the tree as bpftrace -d does after each pass
 * (docs/bpftrace-compat.md "The -d tree").  Folded nodes are shown in their
 * original form, as bpftrace folds them only in codegen.
 */
#include <stdio.h>

#include "ast_print.h"
#include "dump.h"

static void swap_one(struct check *c, size_t i)
{
	struct node tmp = *c->folded.v[i];
	*c->folded.v[i] = *c->folded_orig.v[i];
	*c->folded_orig.v[i] = tmp;
}

/* Show the original forms (forward), then restore (backward: a node
 * folded twice comes back to its last form). */
static void show_originals(struct check *c)
{
	for (size_t i = c->folded.n; i-- > 0;)
		swap_one(c, i);
}

static void show_folded(struct check *c)
{
	for (size_t i = 0; i < c->folded.n; i++)
		swap_one(c, i);
}

/* The program as bpftrace shows it: probes as written (a block cloned
 * per attach point shows as its first copy under the original attach
 * points). */
static struct node *as_written(struct check *c, struct node *program)
{
	if (!c->orig_probes.n)
		return program;
	struct node *p = ARENA_NEW(struct node);
	*p = *program;
	p->args = (nodevec){ 0 };
	/* c->progs holds each block's programs together, in source order
	 * (probes_expand), so one cursor walks them beside the blocks. */
	size_t j = 0;
	for (size_t i = 0; i < c->orig_probes.n; i++) {
		struct node *orig = c->orig_probes.v[i];
		struct node *shown = orig;
		for (; j < c->progs.n && c->progs.v[j]->orig == orig; j++) {
			if (shown == orig && c->progs.v[j]->probe != orig) {
				shown = ARENA_NEW(struct node);
				*shown = *c->progs.v[j]->probe;
				shown->args = orig->args;
			}
		}
		VEC_PUSH(&p->args, shown);
	}
	return p;
}

static void count_node(struct node *n, void *arg)
{
	if (!(n->flags & NF_CHECK_IMPLICIT))
		(*(uint64_t *)arg)++;
}

uint64_t count_nodes(struct check *c, struct node *program)
{
	uint64_t n = 0;
	show_originals(c);
	node_walk(as_written(c, program), count_node, &n);
	show_folded(c);
	return n;
}

void dump_pass(struct check *c, struct node *program, const char *pass)
{
	show_originals(c);
	ast_print_pass(stdout, pass, as_written(c, program), true);
	show_folded(c);
}
