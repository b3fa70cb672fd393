/* clone.h - subtree traversal (clone.c); copies: node_clone (node.h). */
#ifndef BT_CHECK_CLONE_H
#define BT_CHECK_CLONE_H

#include "node.h"

/* Pre-order visit of every node of a subtree. */
typedef void (*node_fn)(struct node *n, void *arg);
void node_walk(struct node *n, node_fn fn, void *arg);

#endif
