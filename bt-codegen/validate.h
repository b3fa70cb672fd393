/* validate.h - input checks of bt-codegen (validate.c). */
#ifndef BT_CG_VALIDATE_H
#define BT_CG_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "codec.h"
#include "meta.h"

/* false with err set ("corrupt ir stream (...)") when the tree or the
 * metadata break what lowering relies on. */
bool cg_validate(const struct codec_dec *d, const struct meta *m, struct node *root, char *err,
		 size_t errlen);

#endif
