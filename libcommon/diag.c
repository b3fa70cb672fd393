/* diag.c - collecting and rendering diagnostics; see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_add(struct diags *d, enum diag_level lvl, struct loc loc,
	      const char *fmt, ...)
{
	if (lvl == DIAG_ERROR)
		d->errors++;
	if (d->list.n >= DIAG_MAX) {
		d->dropped++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(fmt, ap);
	va_end(ap);
	struct diag dg = { lvl, loc, msg };
	VEC_PUSH(&d->list, dg);
}

struct loc loc_span(struct loc a, struct loc b)
{
	struct loc l = { a.line, a.col, b.end_line, b.end_col };
	return l;
}

/* Find line number `line` (1-based) in text; every \n or \r ends a line,
 * as bpftrace's lexer counts them. */
static const char *find_line(const char *text, int line, size_t *len)
{
	const char *p = text;
	for (int l = 1; l < line && *p; p++)
		if (*p == '\n' || *p == '\r')
			l++;
	if (!*p && line > 1 && (p == text || (p[-1] != '\n' && p[-1] != '\r')))
		return NULL;
	*len = strcspn(p, "\r\n");
	return p;
}

static void diag_render_to(FILE *out, const struct source *src, const struct diag *dg);

/* Render into memory first: stderr is unbuffered, and a long source line
 * would otherwise cost one write(2) per byte. */
void diag_render(FILE *out, const struct source *src, const struct diag *dg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem) {
		diag_render_to(out, src, dg);
		return;
	}
	diag_render_to(mem, src, dg);
	fclose(mem);
	fwrite(buf, 1, len, out);
	fflush(out);
	free(buf);
}

static void diag_render_to(FILE *out, const struct source *src, const struct diag *dg)
{
	const char *lvl = dg->level == DIAG_ERROR ? "ERROR" :
			  dg->level == DIAG_WARNING ? "WARNING" : "INFO";
	const char *fname = src && src->filename ? src->filename : "stdin";
	const struct loc *l = &dg->loc;
	size_t mlen = strlen(dg->msg);
	int strip = mlen && dg->msg[mlen - 1] == '\n';

	if (l->line <= 0) {
		fprintf(out, "%s: %.*s\n", lvl, (int)(mlen - strip), dg->msg);
		return;
	}
	if (l->end_line > l->line) {
		fprintf(out, "%s:%d-%d: %s: %.*s\n", fname, l->line, l->end_line,
			lvl, (int)(mlen - strip), dg->msg);
		return;
	}
	fprintf(out, "%s:%d:%d-%d: %s: %.*s\n", fname, l->line, l->col,
		l->end_col, lvl, (int)(mlen - strip), dg->msg);
	size_t len = 0;
	const char *line = src && src->text ? find_line(src->text, l->line, &len) : NULL;
	if (!line || len == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\t')
			fputs("    ", out);
		else
			fputc(line[i], out);
	}
	fputc('\n', out);
	for (size_t x = 0; x < len && (long)x < l->end_col - 1; x++) {
		char c = (long)x >= l->col - 1 ? '~' : ' ';
		for (int k = line[x] == '\t' ? 4 : 1; k > 0; k--)
			fputc(c, out);
	}
	fputc('\n', out);
}

void diag_render_all(FILE *out, const struct source *src, struct diags *d)
{
	for (size_t i = 0; i < d->list.n; i++) {
		if (d->list.v[i].level == DIAG_WARNING && d->no_warnings)
			continue;
		diag_render(out, src, &d->list.v[i]);
	}
	if (d->dropped)
		fprintf(out, "ERROR: %zu more diagnostics not shown\n", d->dropped);
}
