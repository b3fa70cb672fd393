/* dump.h - --dump: bpftrace -d's "AST after: <pass>" dumps (brief §2.2). */
#ifndef BT_CHECK_DUMP_H
#define BT_CHECK_DUMP_H

#include "check.h"

void dump_pass(struct check *c, struct node *program, const char *pass);

#endif
