/* bt_parse.h - bt-parse's front end as a function: program text in, AST
 * (libcommon/node.h) out, diagnostics in bpftrace's wording collected.
 *
 * Files: main.c (options, input, the ast stream), parse.c (the passes
 * after the grammar), lexer.l and parser.y (tokens and grammar, sharing
 * parse.h), parse_util.c (their small helpers). */
#ifndef BT_BT_PARSE_H
#define BT_BT_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "node.h"

struct parse_opts {
	const char *const *params;  /* $1.. */
	int nparams;
	bool listing;               /* -l: attach points only, no blocks */
	bool have_pid;              /* -p given: uprobe/usdt forms without path */
};

/* The N_PROGRAM node, or NULL when d has errors. */
struct node *parse_program(const char *text, size_t len, const struct parse_opts *o,
			   struct diags *d);

#endif
