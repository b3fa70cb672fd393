/* sbuf.c - growable byte buffers and the buffered output writer.
 *
 * Output policy (-B): none and line flush after every input record (every
 * record's output ends a line); full flushes only when the buffer is large;
 * the default is line on a terminal, else full plus a flush whenever the
 * input reader is about to block, so a live trace shows output promptly
 * while a fast one is written in large chunks.
 */
#include "fmt.h"
#include "tool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define OUT_FLUSH_AT (256u << 10)

void sb_grow(struct sbuf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;
	/* a corrupt stream can ask for absurd sizes: refuse instead of
	 * doubling cap until it wraps to 0 */
	if (extra > ((size_t)1 << 40) || b->len > ((size_t)1 << 40))
		cap = 0;
	else
		while (cap - b->len < extra)
			cap *= 2;
	char *p = cap ? realloc(b->p, cap) : NULL;
	if (!p) {
		/* like arena_alloc: the one place that exits outside main */
		fprintf(stderr, "bt-fmt: ERROR: out of memory\n");
		exit(1);
	}
	b->p = p;
	b->cap = cap;
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		sb_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sb_u64(struct sbuf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_put(b, tmp + i, sizeof tmp - (size_t)i);
}

void sb_i64(struct sbuf *b, int64_t v)
{
	if (v < 0) {
		sb_putc(b, '-');
		sb_u64(b, -(uint64_t)v);
	} else {
		sb_u64(b, (uint64_t)v);
	}
}

void sb_spaces(struct sbuf *b, int n)
{
	if (n <= 0)
		return;
	memset(sb_reserve(b, (size_t)n), ' ', (size_t)n);
	b->len += (size_t)n;
}

/* ---- output ---- */

void output_init(struct output *o, int fd, enum output_buffering mode)
{
	o->fd = fd;
	o->mode = mode;
	o->tty = isatty(fd);
	o->failed = false;
	sb_reserve(&o->b, OUT_FLUSH_AT + 4096);
}

int output_flush(struct output *o)
{
	const char *p = o->b.p;
	size_t n = o->b.len;
	o->b.len = 0;
	if (!o->failed) {
		int r = tool_write_all(o->fd, p, n);
		o->failed = r < 0;
		o->error = -r;
	}
	return o->failed ? -o->error : 0;
}

static bool line_mode(const struct output *o)
{
	return o->mode == OUTPUT_LINE || o->mode == OUTPUT_NONE ||
	       (o->mode == OUTPUT_DEFAULT && o->tty);
}

void output_record_done(struct output *o)
{
	if (o->b.len && line_mode(o))
		output_flush(o);
	else if (o->b.len >= OUT_FLUSH_AT)
		output_flush(o);
}

void output_batch_done(struct output *o)
{
	if (o->b.len && o->mode != OUTPUT_FULL)
		output_flush(o);
}

void output_maybe_flush(struct output *o)
{
	if (o->b.len >= OUT_FLUSH_AT)
		output_flush(o);
}
