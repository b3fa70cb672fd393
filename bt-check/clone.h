/* clone.h - subtree copies and traversal (clone.c). */
#ifndef BT_CHECK_CLONE_H
#define BT_CHECK_CLONE_H

#include "node.h"

/* Deep copy of a subtree (types/attach points shared). */
struct node *node_clone(struct node *n);

/* Pre-order visit of every node of a subtree. */
typedef void (*node_fn)(struct node *n, void *arg);
void node_walk(struct node *n, node_fn fn, void *arg);

#endif
