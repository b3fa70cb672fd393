/* dump.h - --dump: bpftrace -d's "AST after: <pass>" dumps
 * (docs/bpftrace-compat.md "The -d tree"). */
#ifndef BT_CHECK_DUMP_H
#define BT_CHECK_DUMP_H

#include "check.h"

void dump_pass(struct check *c, struct node *program, const char *pass);

/* The nodes bpftrace's NodeCounter counts after its semantic pass: the
 * tree dump_pass shows, without the conversions only bt-check adds. */
uint64_t count_nodes(struct check *c, struct node *program);

#endif
