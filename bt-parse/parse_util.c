/* parse_util.c - small helpers shared by the lexer and the grammar:
 * locations, growable byte buffers, error recording, node copies. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

struct loc yyloc_to_loc(YYLTYPE l)
{
	struct loc r = { l.first_line, l.first_column, l.last_line, l.last_column };
	return r;
}

void ps_error(struct pstate *ps, YYLTYPE l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = arena_alloc((size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	if (ps->nested)
		l = ps->macro_at; /* inside a macro's text: blame its use */
	diag_error(ps->diags, yyloc_to_loc(l), "%s", msg);
}

