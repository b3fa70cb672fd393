/* folded.c - `-f folded`: every map keyed by a stack as the folded lines
 * flame graph tools read (FlameGraph's flamegraph.pl, speedscope, ...):
 *   frame;frame;frame count
 * root first, one line per distinct stack (stacks.c makes the frames),
 * ordered by count as bpftrace orders a count map.  Maps without a
 * stack in their key, printf output and the attach line are not stacks and
 * are left out; lost events and helper errors still go to stderr.
 */
#include "fmt.h"

#include <stdio.h>
#include <stdlib.h>

static void fo_attached(struct fmt *f, uint64_t n) {}

static void fo_lost(struct fmt *f, uint64_t n)
{
	fprintf(stderr, "Lost %llu events\n", (unsigned long long)n);
}

static void fo_message(struct fmt *f, enum msg_kind k, const char *s, size_t n) {}

static void fo_value(struct fmt *f, const struct type *t, const uint8_t *p) {}

static void fo_helper_error(struct fmt *f, const struct meta_helper_error *h,
			    const char *msg, int32_t retcode)
{
	fprintf(stderr, "WARNING: %s (helper %s, retcode %d)\n", msg, h->func ? h->func : "",
		retcode);
}

/* The lines of one map record, merged: stacks that differ only in what is
 * left out (offsets) or in their stack ids become one line. */
struct line {
	size_t off, len;     /* in lines.text */
	uint64_t count;
};
static struct {
	struct sbuf text;
	struct line *v;
	uint32_t n, cap;
	uint32_t *slots;     /* index + 1, 0 = empty */
	uint32_t nslots;
} lines;

static uint64_t line_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return h;
}

static void rehash(void)
{
	free(lines.slots);
	lines.nslots = lines.nslots ? 2 * lines.nslots : 1024;
	lines.slots = calloc(lines.nslots, sizeof *lines.slots);
	if (!lines.slots)
		abort();
	for (uint32_t i = 0; i < lines.n; i++) {
		uint32_t j = (uint32_t)line_hash(lines.text.p + lines.v[i].off, lines.v[i].len);
		while (lines.slots[j & (lines.nslots - 1)])
			j++;
		lines.slots[j & (lines.nslots - 1)] = i + 1;
	}
}

static void add_line(void *ctx, const struct stack_frames *s, uint64_t count)
{
	size_t start = lines.text.len;
	for (uint32_t i = 0; i < s->n; i++) {
		if (i)
			sb_putc(&lines.text, ';');
		sb_put(&lines.text, s->text.p + s->f[i].off, s->f[i].len);
	}
	size_t len = lines.text.len - start;
	if ((uint64_t)(lines.n + 1) * 2 > lines.nslots)
		rehash();
	uint32_t j = (uint32_t)line_hash(lines.text.p + start, len);
	for (;; j++) {
		uint32_t k = lines.slots[j & (lines.nslots - 1)];
		if (!k)
			break;
		struct line *l = &lines.v[k - 1];
		if (l->len == len && memcmp(lines.text.p + l->off, lines.text.p + start, len) == 0) {
			l->count += count;
			lines.text.len = start;
			return;
		}
	}
	if (lines.n == lines.cap) {
		lines.cap = lines.cap ? 2 * lines.cap : 256;
		lines.v = realloc(lines.v, lines.cap * sizeof *lines.v);
		if (!lines.v)
			abort();
	}
	lines.v[lines.n] = (struct line){ start, len, count };
	lines.slots[j & (lines.nslots - 1)] = ++lines.n;
}

/* As bpftrace sorts a count map: by count, then (ties) by text. */
static int cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(lines.text.p + x->off, lines.text.p + y->off, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void fo_map(struct fmt *f, const struct map_view *v)
{
	if (!map_has_stack(v->m))
		return;
	lines.text.len = 0;
	lines.n = 0;
	if (lines.nslots)
		memset(lines.slots, 0, lines.nslots * sizeof *lines.slots);
	if (!map_stacks(f, v, f->pic.offsets, add_line, NULL))
		return;
	qsort(lines.v, lines.n, sizeof *lines.v, cmp_line);
	struct sbuf *b = &f->out.b;
	for (uint32_t i = 0; i < lines.n; i++) {
		sb_put(b, lines.text.p + lines.v[i].off, lines.v[i].len);
		sb_putc(b, ' ');
		sb_u64(b, lines.v[i].count);
		sb_putc(b, '\n');
		out_maybe_flush(&f->out);
	}
}

const struct emitter folded_emitter = {
	.attached = fo_attached,
	.lost = fo_lost,
	.message = fo_message,
	.value = fo_value,
	.map = fo_map,
	.helper_error = fo_helper_error,
};
