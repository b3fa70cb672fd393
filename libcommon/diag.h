/* diag.h - bpftrace-style diagnostics, collected as data, rendered once.
 *
 * Rendered form (docs/bpftrace-compat.md "Diagnostics"):
 *   FILE:LINE:COL-COL: ERROR: message
 *   <source line, tabs shown as 4 spaces>
 *   <~~~ marker line>
 * A location spanning several lines prints only FILE:L1-L2: ERROR: message.
 * A zero location (line 0) prints "ERROR: message" alone.
 * Levels: ERROR, WARNING (not with no_warnings), INFO (-v messages).
 */
#ifndef BT_DIAG_H
#define BT_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"

/* 1-based; end_col is exclusive (one past the last byte). */
struct loc {
	int line, col, end_line, end_col;
};

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_INFO };

struct diag {
	enum diag_level level;
	struct loc loc;
	const char *msg;
};

/* The program text every stream carries, so any stage can render. */
struct source {
	const char *filename; /* "stdin" for -e and stdin */
	const char *text;
};

/* At most DIAG_MAX diagnostics are kept (the rest are counted in
 * dropped): garbage input cannot make a stage print without bound. */
#define DIAG_MAX 50

struct diags {
	VEC(struct diag) list;
	int errors;               /* all of them, kept or not */
	bool no_warnings;
	size_t dropped;
};

void diag_add(struct diags *d, enum diag_level lvl, struct loc loc,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define diag_error(d, loc, ...) diag_add((d), DIAG_ERROR, (loc), __VA_ARGS__)
#define diag_warn(d, loc, ...) diag_add((d), DIAG_WARNING, (loc), __VA_ARGS__)

/* Render one diagnostic / all of them (in order) to out. */
void diag_render(FILE *out, const struct source *src, const struct diag *dg);
void diag_render_all(FILE *out, const struct source *src, struct diags *d);

/* Span from the start of a to the end of b. */
struct loc loc_span(struct loc a, struct loc b);

#endif
