/* validate.h - structural checks of a decoded ast tree before analysis:
 * every slot a kind needs is there and of the right category (expression,
 * statement, ...), no node is shared, depth is bounded.  Returns NULL when
 * the tree is sound, else what is wrong. */
#ifndef BT_CHECK_VALIDATE_H
#define BT_CHECK_VALIDATE_H

#include "codec.h"
#include "node.h"

/* root and its nodes as dec_next_record decoded them into d. */
const char *validate_tree(struct node *root, const struct codec_dec *d);

#endif
