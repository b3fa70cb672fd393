/* text.c - text output of each record kind (docs/bpftrace-compat.md "Text
 * output", "Helper errors"). */
#include "fmt.h"

#include <stdio.h>
#include <stdlib.h>

static void t_attached(struct fmt *f, uint64_t n)
{
	sb_printf(&f->out.b, "Attaching %llu probe%s...\n", (unsigned long long)n,
		  n == 1 ? "" : "s");
}

static void t_lost(struct fmt *f, uint64_t n)
{
	sb_printf(&f->out.b, "Lost %llu events\n", (unsigned long long)n);
}

static void t_message(struct fmt *f, enum msg_kind k, const char *s, size_t n)
{
	sb_put(&f->out.b, s, n);
	if (k == MSG_JOIN)
		sb_putc(&f->out.b, '\n');
}

static void t_value(struct fmt *f, const struct type *t, const uint8_t *p)
{
	val_fmt(f, &f->out.b, t, p, 1, V_TEXT);
	sb_putc(&f->out.b, '\n');
}

/* Plain map values: entries joined by "\n", but stacks, symbols and inet
 * addresses are glued together (upstream quirk, docs/bpftrace-compat.md "Text
 * output"). */
static const char *plain_delim(const struct type *t)
{
	switch (t->kind) {
	case TY_KSTACK: case TY_USTACK: case TY_KSYM: case TY_USYM: case TY_INET:
		return "";
	default:
		return "\n";
	}
}

static void t_map(struct fmt *f, const struct map_view *v)
{
	struct sbuf *b = &f->out.b;
	const struct meta_map *m = v->m;
	const char *delim = v->cls == MC_PLAIN ? plain_delim(m->value) : "\n";
	for (uint32_t i = 0; i < v->n; i++) {
		const struct map_entry *e = &v->e[i];
		map_entry_use(f, e);
		if (i)
			sb_puts(b, delim);
		key_fmt(f, b, m, e->key, false);
		sb_puts(b, ": ");
		switch (v->cls) {
		case MC_PLAIN:
			val_fmt(f, b, m->value, e->val, v->div, V_TEXT);
			break;
		case MC_HIST:
			sb_putc(b, '\n');
			hist_text(b, e->buckets, e->nbuckets, v->div, m->hist_bits);
			break;
		case MC_LHIST:
			sb_putc(b, '\n');
			lhist_text(b, e->buckets, e->nbuckets, m->lh_min, m->lh_max, m->lh_step);
			break;
		case MC_STATS: {
			int64_t avg = e->count ? e->total / e->count : 0;
			if (m->value->kind == TY_STATS)
				sb_printf(b, "count %lld, average %lld, total %lld",
					  (long long)e->count, (long long)avg, (long long)e->total);
			else
				sb_i64(b, avg / (int64_t)v->div);
			break;
		}
		}
		output_maybe_flush(&f->out);
	}
	sb_puts(b, v->cls == MC_STATS ? "\n\n" : "\n");
}

/* Rendered like a diagnostic, to the output stream (not stderr). */
static void t_helper_error(struct fmt *f, const struct meta_helper_error *h,
			   const char *msg, int32_t retcode)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return;
	static struct sbuf msgb;
	msgb.len = 0;
	sb_printf(&msgb, "%s\nAdditional Info - helper: %s, retcode: %d", msg,
		  h->func ? h->func : "", retcode);
	sb_putc(&msgb, '\0');
	struct diag d = { DIAG_WARNING, h->loc, msgb.p };
	diag_render(m, &f->src, &d);
	fclose(m);
	sb_put(&f->out.b, text, len);
	free(text);
}

const struct emitter text_emitter = {
	.attached = t_attached,
	.lost = t_lost,
	.message = t_message,
	.value = t_value,
	.map = t_map,
	.helper_error = t_helper_error,
};
