/* json.c - JSON output of each record kind (docs/bpftrace-compat.md "JSON
 * output"): one line per record.  Deviation by project decision: the output is
 * always valid JSON (see value.c for quoting, json_escape for bytes >= 0x80).
 */
#include "fmt.h"

static void j_attached(struct fmt *f, uint64_t n)
{
	sb_printf(&f->out.b, "{\"type\": \"attached_probes\", \"data\": {\"probes\": %llu}}\n",
		  (unsigned long long)n);
}

static void j_lost(struct fmt *f, uint64_t n)
{
	sb_printf(&f->out.b, "{\"type\": \"lost_events\", \"data\": {\"events\": %llu}}\n",
		  (unsigned long long)n);
}

static const char *const msg_type[] = {
	[MSG_PRINTF] = "printf", [MSG_TIME] = "time", [MSG_CAT] = "cat",
	[MSG_SYSCALL] = "syscall", [MSG_JOIN] = "join", [MSG_ITER] = NULL,
	[MSG_LOST] = "lost_events",
};

static void j_message(struct fmt *f, enum msg_kind k, const char *s, size_t n)
{
	struct sbuf *b = &f->out.b;
	if (!msg_type[k]) {          /* iterator output is raw */
		sb_put(b, s, n);
		return;
	}
	if (k == MSG_LOST && n && s[n - 1] == '\n')
		n--;                 /* a text line; the JSON data has no newline */
	sb_puts(b, "{\"type\": \"");
	sb_puts(b, msg_type[k]);
	sb_puts(b, "\", \"data\": \"");
	json_escape(b, s, n);
	sb_puts(b, "\"}\n");
}

static void j_value(struct fmt *f, const struct type *t, const uint8_t *p)
{
	struct sbuf *b = &f->out.b;
	sb_puts(b, "{\"type\": \"value\", \"data\": ");
	val_fmt(f, b, t, p, 1, V_JSON);
	sb_puts(b, "}\n");
}

static void j_map(struct fmt *f, const struct map_view *v)
{
	if (!v->n)
		return;   /* empty maps print nothing in JSON */
	struct sbuf *b = &f->out.b;
	const struct meta_map *m = v->m;
	const char *type = v->cls == MC_PLAIN ? "map" : v->cls == MC_STATS ? "stats" : "hist";
	sb_printf(b, "{\"type\": \"%s\", \"data\": {", type);
	json_str(b, m->name, strlen(m->name));
	sb_puts(b, ": ");
	bool keyed = m->nkeys || f->by_host;
	if (keyed)
		sb_putc(b, '{');
	for (uint32_t i = 0; i < v->n; i++) {
		const struct map_entry *e = &v->e[i];
		map_entry_use(f, e);
		if (i)
			sb_puts(b, ", ");
		if (keyed) {
			struct sbuf *k = &f->tmp;
			k->len = 0;
			key_fmt(f, k, m, e->key, true);
			json_str(b, k->p, k->len);
			sb_puts(b, ": ");
		}
		switch (v->cls) {
		case MC_PLAIN:
			val_fmt(f, b, m->value, e->val, v->div, V_JSON);
			break;
		case MC_HIST:
			hist_json(b, e->buckets, e->nbuckets, v->div, m->hist_bits);
			break;
		case MC_LHIST:
			lhist_json(b, e->buckets, e->nbuckets, m->lh_min, m->lh_max, m->lh_step);
			break;
		case MC_STATS: {
			int64_t avg = e->count ? e->total / e->count : 0;
			if (m->value->kind == TY_STATS)
				sb_printf(b, "{\"count\": %lld, \"average\": %lld, \"total\": %lld}",
					  (long long)e->count, (long long)avg, (long long)e->total);
			else
				sb_i64(b, avg / (int64_t)v->div);
			break;
		}
		}
		output_maybe_flush(&f->out);
	}
	if (keyed)
		sb_putc(b, '}');
	sb_puts(b, "}}\n");
}

/* msg is not escaped (as upstream; it is a fixed text or strerror()). */
static void j_helper_error(struct fmt *f, const struct meta_helper_error *h,
			   const char *msg, int32_t retcode)
{
	sb_printf(&f->out.b,
		  "{\"type\": \"helper_error\", \"msg\": \"%s\", \"helper\": \"%s\", "
		  "\"retcode\": %d, \"line\": %d, \"col\": %d}\n",
		  msg, h->func ? h->func : "", retcode, h->loc.line, h->loc.col);
}

const struct emitter json_emitter = {
	.attached = j_attached,
	.lost = j_lost,
	.message = j_message,
	.value = j_value,
	.map = j_map,
	.helper_error = j_helper_error,
};
