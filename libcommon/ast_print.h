/* ast_print.h - the tree as bpftrace's `-d` prints it
 * (docs/bpftrace-compat.md "The -d tree").
 *
 *   ast_print_pass(stdout, "parser", program, true);
 * prints "\nAST after: parser\n-------------------\n", the tree, and an
 * empty line.  With types, expression lines end in
 * " :: type[<type>, ctx: 0|1]" (plus ", AS(kernel|user)").  The printer
 * reproduces bpftrace's quirks (e.g. the depth after a while loop is never
 * restored).
 */
#ifndef BT_AST_PRINT_H
#define BT_AST_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "node.h"

/* The C definitions (if any) followed by an empty line, then the tree. */
void ast_print(FILE *out, const struct node *program, bool with_types);
/* One "AST after: <pass>" section. */
void ast_print_pass(FILE *out, const char *pass, const struct node *program,
		    bool with_types);

#endif
