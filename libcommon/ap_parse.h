/* ap_parse.h - bpftrace's AttachPointParser (docs/bpftrace-compat.md "Attach
 * points"): raw attach point text -> struct attach_point.  Shared by bt-parse
 * (probes) and bt-check (listing patterns, -l).
 */
#ifndef BT_AP_PARSE_H
#define BT_AP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "probe_types.h"

struct ap_parse_opts {
	const char *const *params;  /* positional parameters $1.. ($1 = params[0]) */
	int nparams;
	bool listing;               /* -l: allow listing-only forms */
	bool have_pid;              /* -p given: uprobe/usdt forms without a path */
};

typedef VEC(struct attach_point *) ap_list;

/* Parse raw text (e.g. "kprobe:vfs_read", "t:syscalls:sys_enter_*",
 * "*:/bin/sh:*").  A wildcarded provider may yield several attach points
 * (flagged ignore_invalid); an empty first part yields none.  On error
 * returns false and sets *err to bpftrace's message (several lines are
 * joined with "\n"). */
bool ap_parse(const char *raw, const struct ap_parse_opts *opts, ap_list *out,
	      const char **err);

/* bpftrace's glob (docs/bpftrace-compat.md "Wildcards"): only '*',
 * greedy-first. */
bool ap_glob_match(const char *pattern, const char *s);
bool ap_has_wildcard(const char *s);

/* bpftrace's integer conversion (docs/bpftrace-compat.md "Integer literals"):
 * '_' removed, 0x hex, c e N scientific (c <= 9, N <= 16), else strtoull base
 * 0 (leading 0 is octal), trailing text only u/l/ul/ll/ull.  On error returns
 * false and sets *err to bpftrace's message ("Found trailing non-numeric
 * characters", "stoull" for no digits / overflow, the scientific-literal
 * messages). */
bool ap_to_uint(const char *s, uint64_t *out, const char **err);

#endif
