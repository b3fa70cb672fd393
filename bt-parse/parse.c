/* parse.c - from program text to a checked AST, in bpftrace's order:
 *   1. lex + parse (lexer.l, parser.y); lexer errors do not stop the
 *      parse, but any error fails it;
 *   2. bound the tree's nesting (every later stage walks it recursively);
 *   3. split every attach point (libcommon/ap_parse.c), replacing it by
 *      zero (trailing comma), one or several (wildcarded provider) parsed
 *      attach points; each bad attach point is its own error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt_parse.h"
#include "parse.h"

#define MAX_NESTING 2000

/* Depth of the tree, without recursion; reports the first node deeper
 * than MAX_NESTING. */
static bool check_depth(struct node *root, struct diags *d)
{
	struct item {
		struct node *n;
		int depth;
	};
	/* malloc'd: a block of 100,000 statements puts them all on it, and
	 * the arena would keep every outgrown copy */
	struct item *stack = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;
#define PUSH(node, dp) do {                                                    \
		if (n == cap) {                                                \
			cap = cap ? cap * 2 : 256;                             \
			struct item *ns_ = realloc(stack, cap * sizeof *stack); \
			if (!ns_) {                                            \
				fprintf(stderr, "ERROR: out of memory\n");     \
				exit(1);                                       \
			}                                                      \
			stack = ns_;                                           \
		}                                                              \
		stack[n++] = (struct item){ (node), (dp) };                    \
	} while (0)
	PUSH(root, 1);
	while (n) {
		struct item it = stack[--n];
		if (it.depth > MAX_NESTING) {
			diag_error(d, it.n->loc, "the program is nested too deeply (more than %d levels)",
				   MAX_NESTING);
			ok = false;
			break;
		}
		for (int k = 0; k < 3; k++)
			if (node_kid(it.n, k))
				PUSH(node_kid(it.n, k), it.depth + 1);
		for (int k = 0; k < 3; k++)
			for (size_t i = 0; i < node_list(it.n, k)->n; i++)
				PUSH(node_list(it.n, k)->v[i], it.depth + 1);
	}
#undef PUSH
	free(stack);
	return ok;
}

static void parse_attach_points(struct node *root, const struct parse_opts *o,
				struct diags *d)
{
	struct ap_parse_opts ao = {
		.params = o->params, .nparams = o->nparams,
		.listing = o->listing, .have_pid = o->have_pid,
	};
	for (size_t p = 0; p < root->args.n; p++) {
		struct node *probe = root->args.v[p];
		nodevec aps = { 0 };
		VEC_RESERVE(&aps, probe->args.n);
		for (size_t i = 0; i < probe->args.n; i++) {
			struct node *apn = probe->args.v[i];
			ap_list list = { 0 };
			const char *err;
			if (!ap_parse(apn->str, &ao, &list, &err)) {
				diag_error(d, apn->loc, "%s", err);
				/* bpftrace keeps an attach point its provider
				 * rejected, but drops one it could not even
				 * split or whose wildcarded provider matched
				 * nothing (then "No attach points" follows). */
				if (strncmp(err, "Found trailing text", 19) != 0 &&
				    strncmp(err, "No probe type matched", 21) != 0)
					VEC_PUSH(&aps, apn);
				continue;
			}
			for (size_t k = 0; k < list.n; k++) {
				/* one attach point (no wildcard provider): its node */
				struct node *n = list.n == 1 ? apn : node_new(N_ATTACH_POINT, apn->loc);
				n->str = list.v[k]->raw;
				n->ap = list.v[k];
				VEC_PUSH(&aps, n);
			}
		}
		probe->args = aps;
		if (!aps.n)
			diag_error(d, probe->loc, "No attach points for probe");
	}
}

struct node *parse_program(const char *text, size_t len, const struct parse_opts *o,
			   struct diags *d)
{
	struct pstate ps = { 0 };
	ps.text = text;
	ps.len = len;
	ps.diags = d;
	ps.listing = o->listing;
	if (bt_lex_init(&ps) != 0) {
		diag_error(d, (struct loc){ 0 }, "cannot start the lexer");
		return NULL;
	}
	int rc = bt_parse(&ps);
	bt_lex_destroy(&ps);
	if (rc != 0 || d->errors || !ps.root)
		return NULL;
	if (!check_depth(ps.root, d))
		return NULL;
	parse_attach_points(ps.root, o, d);
	return d->errors ? NULL : ps.root;
}
