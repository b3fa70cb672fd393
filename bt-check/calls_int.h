/* calls_int.h - what bt-check's call files share: the call being checked
 * and the argument checks (calls.c), and the handlers of the functions
 * that compute values (calls_values.c). */
#ifndef BT_CHECK_CALLS_INT_H
#define BT_CHECK_CALLS_INT_H

#include "check.h"

struct call {
	struct check *c;
	struct node *n;
	enum call_ctx ctx;
	struct node *map;      /* CALL_MAP_RHS */
	size_t nargs;
	struct node **args;
};

typedef void (*call_fn)(struct call *k);

/* Argument i has the kind want (and is a literal if literal is set);
 * bpftrace's messages otherwise. */
bool check_arg(struct call *k, enum type_kind want, size_t i, bool literal);
/* A string literal argument i, or dflt when the call has no argument i;
 * NULL (error reported) when it is not a string literal. */
const char *opt_literal(struct call *k, size_t i, const char *dflt);
/* The value of integer literal argument i. */
int64_t lit(struct call *k, size_t i);

/* Append s to the metadata table tab; the call refers to it by index
 * (id2). */
#define META_TABLE_ADD(k, tab, s)                                            \
	do {                                                                 \
		(k)->n->id2 = (int32_t)(tab).n;                              \
		VEC_PUSH(&(tab), (s));                                       \
	} while (0)

/* calls_values.c: strings and buffers, symbols and addresses, networking,
 * time, stacks. */
void fn_str(struct call *k);
void fn_buf(struct call *k);
void fn_strncmp(struct call *k);
void fn_strcontains(struct call *k);
void fn_strerror(struct call *k);
void fn_path(struct call *k);
void fn_sym(struct call *k);
void fn_kptr(struct call *k);
void fn_kaddr(struct call *k);
void fn_uaddr(struct call *k);
void fn_cgroupid(struct call *k);
void fn_reg(struct call *k);
void fn_ntop(struct call *k);
void fn_pton(struct call *k);
void fn_macaddr(struct call *k);
void fn_bswap(struct call *k);
void fn_cgroup_path(struct call *k);
void fn_strftime(struct call *k);
void fn_nsecs(struct call *k);
void fn_stack(struct call *k);

#endif
