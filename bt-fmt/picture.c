/* picture.c - the output format of `--flamegraph` and `--plot`: instead of
 * printing records, keep the last printed state of every map (a map record
 * is a snapshot: the exit dump, or the latest print()), and when an input
 * stream ends hand the stack maps to flamegraph.c and the hist/lhist maps to
 * plot.c.  Everything else is printed as text.  Several input streams add up (the same program run on several
 * hosts, or several runs); with --diff the base stream's stacks are kept
 * apart for the differential flame graph.
 */
#include "fmt.h"

#include <stdio.h>
#include <stdlib.h>

/* The latest snapshot of one map: the entries it printed, flattened. */
struct snapshot {
	bool set;
	struct sbuf stacks;  /* records: u64 count, u32 nframes, {u8 kind, u32 len, name}... */
	struct sbuf hists;   /* records: u32 keylen, key text, u32 nbuckets, u64 buckets... */
	uint64_t div;
};

static struct snapshot *snaps;
static size_t nsnaps;

static struct snapshot *snapshot_of(const struct meta_map *m)
{
	if (m->id >= nsnaps) {
		size_t n = m->id + 1;
		snaps = realloc(snaps, n * sizeof *snaps);
		if (!snaps)
			abort();
		memset(snaps + nsnaps, 0, (n - nsnaps) * sizeof *snaps);
		nsnaps = n;
	}
	return &snaps[m->id];
}

static void put32(struct sbuf *b, uint32_t v) { sb_put(b, &v, sizeof v); }
static void put64(struct sbuf *b, uint64_t v) { sb_put(b, &v, sizeof v); }
static uint32_t get32(const char **p) { uint32_t v; memcpy(&v, *p, 4); *p += 4; return v; }
static uint64_t get64(const char **p) { uint64_t v; memcpy(&v, *p, 8); *p += 8; return v; }

static void keep_stack(void *ctx, const struct stack_frames *s, uint64_t count)
{
	struct sbuf *b = ctx;
	put64(b, count);
	put32(b, s->n);
	for (uint32_t i = 0; i < s->n; i++) {
		sb_putc(b, (char)s->f[i].kind);
		put32(b, (uint32_t)s->f[i].len);
		sb_put(b, s->text.p + s->f[i].off, s->f[i].len);
	}
}

static void pi_map(struct fmt *f, const struct map_view *v)
{
	const struct meta_map *m = v->m;
	bool hist = m->value->kind == TY_HIST || m->value->kind == TY_LHIST;
	bool stacks = map_has_stack(m);
	if ((!stacks || !f->pic.flamegraph) && (!hist || !f->pic.plot)) {
		text_emitter.map(f, v);
		return;
	}
	struct snapshot *s = snapshot_of(m);
	s->set = true;
	s->stacks.len = s->hists.len = 0;
	s->div = v->div;
	if (stacks && f->pic.flamegraph) {
		map_stacks(f, v, f->pic.offsets, keep_stack, &s->stacks);
		return;
	}
	for (uint32_t i = 0; i < v->n; i++) {
		size_t at = s->hists.len;
		put32(&s->hists, 0);
		size_t start = s->hists.len;
		key_fmt(f, &s->hists, m, v->e[i].key, false);
		uint32_t klen = (uint32_t)(s->hists.len - start);
		memcpy(s->hists.p + at, &klen, 4);
		put32(&s->hists, v->e[i].nbuckets);
		sb_put(&s->hists, v->e[i].buckets, v->e[i].nbuckets * sizeof(uint64_t));
	}
}

/* Replays one map's stacks into the flame graph, under a frame naming the
 * map when the program has more than one stack map. */
static void replay_stacks(const struct meta_map *m, const struct sbuf *b, bool named, bool base)
{
	static struct stack_frames s;
	const char *p = b->p, *end = b->p + b->len;
	while (p < end) {
		uint64_t count = get64(&p);
		uint32_t n = get32(&p);
		s.n = 0;
		s.text.len = 0;
		struct stack_frames *fs = &s;
		uint32_t need = n + 1;
		if (fs->cap < need) {
			fs->cap = need * 2;
			fs->f = realloc(fs->f, fs->cap * sizeof *fs->f);
			if (!fs->f)
				abort();
		}
		if (named) {
			fs->f[fs->n++] = (struct stack_frame){ 0, strlen(m->name), FRAME_KEY };
			sb_puts(&fs->text, m->name);
		}
		for (uint32_t i = 0; i < n; i++) {
			enum frame_kind kind = (enum frame_kind)*p++;
			uint32_t len = get32(&p);
			fs->f[fs->n++] = (struct stack_frame){ fs->text.len, len, kind };
			sb_put(&fs->text, p, len);
			p += len;
		}
		flamegraph_add(fs, count, base);
	}
}

static void replay_hists(struct fmt *f, const struct meta_map *m, const struct snapshot *s)
{
	const char *p = s->hists.p, *end = s->hists.p + s->hists.len;
	static struct sbuf key;
	while (p < end) {
		uint32_t klen = get32(&p);
		key.len = 0;
		sb_put(&key, p, klen);
		sb_putc(&key, '\0');
		p += klen;
		uint32_t n = get32(&p);
		uint64_t *buckets = malloc(((size_t)n + 1) * sizeof *buckets);
		if (!buckets)
			abort();
		memcpy(buckets, p, n * sizeof *buckets);
		p += n * sizeof *buckets;
		plot_add(m->name, key.p, buckets, n, m, s->div);
		free(buckets);
	}
}

void picture_file_done(struct fmt *f)
{
	uint32_t nstack = 0;
	for (size_t i = 0; i < nsnaps && i < f->meta.maps.n; i++)
		nstack += snaps[i].set && snaps[i].stacks.len;
	for (size_t i = 0; i < nsnaps && i < f->meta.maps.n; i++) {
		struct snapshot *s = &snaps[i];
		if (!s->set)
			continue;
		const struct meta_map *m = &f->meta.maps.v[i];
		if (s->stacks.len)
			replay_stacks(m, &s->stacks, nstack > 1, f->in_base);
		if (s->hists.len && !f->in_base)
			replay_hists(f, m, s);
		s->set = false;
		s->stacks.len = s->hists.len = 0;
	}
}

int picture_write(struct fmt *f, char *err, size_t errlen)
{
	if (f->pic.flamegraph &&
	    flamegraph_write(f->pic.flamegraph, f->title, f->pic.icicle, f->pic.diff_base != NULL,
			     err, errlen))
		return 1;
	if (f->pic.plot && plot_write(f->pic.plot, f->title, err, errlen))
		return 1;
	return 0;
}

/* Everything but the drawn maps prints as text, so a live run still shows
 * its printf output and its other maps. */
static void pi_attached(struct fmt *f, uint64_t n) { text_emitter.attached(f, n); }
static void pi_lost(struct fmt *f, uint64_t n) { text_emitter.lost(f, n); }
static void pi_message(struct fmt *f, enum msg_kind k, const char *s, size_t n)
{
	text_emitter.message(f, k, s, n);
}
static void pi_value(struct fmt *f, const struct type *t, const uint8_t *p)
{
	text_emitter.value(f, t, p);
}
static void pi_helper_error(struct fmt *f, const struct meta_helper_error *h,
			    const char *msg, int32_t retcode)
{
	text_emitter.helper_error(f, h, msg, retcode);
}

const struct emitter picture_emitter = {
	.attached = pi_attached,
	.lost = pi_lost,
	.message = pi_message,
	.value = pi_value,
	.map = pi_map,
	.helper_error = pi_helper_error,
};
