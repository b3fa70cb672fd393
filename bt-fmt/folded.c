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
static struct strset lines;
static uint64_t *counts;
static uint32_t *order;
static uint32_t capcounts;
static struct sbuf line;

static void add_line(void *ctx, const struct stack_frames *s, uint64_t count)
{
	line.len = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		if (i)
			sb_putc(&line, ';');
		sb_put(&line, s->text.p + s->f[i].off, s->f[i].len);
	}
	bool added;
	uint32_t i = strset_add(&lines, line.p, line.len, &added);
	if (i >= capcounts) {
		capcounts = capcounts ? 2 * capcounts : 256;
		counts = realloc(counts, capcounts * sizeof *counts);
		order = realloc(order, capcounts * sizeof *order);
		if (!counts || !order)
			abort();
	}
	counts[i] = (added ? 0 : counts[i]) + count;
}

/* As bpftrace sorts a count map: by count, then (ties) by text. */
static int cmp_line(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	if (counts[x] != counts[y])
		return counts[x] < counts[y] ? -1 : 1;
	size_t n = lines.len[x] < lines.len[y] ? lines.len[x] : lines.len[y];
	int c = memcmp(strset_str(&lines, x), strset_str(&lines, y), n);
	return c ? c : (lines.len[x] > lines.len[y]) - (lines.len[x] < lines.len[y]);
}

static void fo_map(struct fmt *f, const struct map_view *v)
{
	if (!map_has_stack(v->m))
		return;
	strset_clear(&lines);
	if (!map_stacks(f, v, f->pic.offsets, add_line, NULL))
		return;
	for (uint32_t i = 0; i < lines.n; i++)
		order[i] = i;
	qsort(order, lines.n, sizeof *order, cmp_line);
	struct sbuf *b = &f->out.b;
	for (uint32_t i = 0; i < lines.n; i++) {
		sb_put(b, strset_str(&lines, order[i]), lines.len[order[i]]);
		sb_putc(b, ' ');
		sb_u64(b, counts[order[i]]);
		sb_putc(b, '\n');
		output_maybe_flush(&f->out);
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
