/* merge.c - several `out` streams of one program printed as one trace:
 * the runs of one object on the hosts of a fleet (or several runs on one
 * host), `bt-fmt a.out b.out ...`.
 *
 * Streams must come from the same object (equal source, types and
 * metadata); any other is refused.  Records are interleaved by the clock
 * records bt-load writes before each batch (ties: command line order), so
 * printf output of all hosts comes in time order.  Symbol and stack
 * records fill the tables of their own stream: a stack id or an address
 * means something only on its host, and each entry is formatted with its
 * own stream's tables.
 *
 * The exit dumps are merged: entries of the same map with the same key (as
 * printed: the same stack on two hosts is one key) are combined by the
 * aggregation's own rule: count, sum, hist and lhist buckets, avg and stats
 * (count and total) add, min and max keep the extreme; a plain value keeps
 * the one of the stream whose dump came last.  With --by-host the host is
 * the first part of every key, so nothing of two hosts is combined.  Maps
 * printed during the run (print(), SIGUSR1) are printed per stream as they
 * come (with --by-host, their keys name the host).  Memory: the exit dumps of all streams, plus one merged copy of a
 * map at a time.
 */
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arena.h"

struct snapshot {
	bool set;
	uint8_t *bytes;      /* the keys and values, copied out of the record */
	struct map_raw *e;
	uint32_t n;
	uint64_t top, div;
};

struct stream {
	const char *path;
	int fd;
	struct mp_in in;
	struct tables *tab;
	const char *host;          /* the header's host name, else the path */
	int64_t now;               /* last clock record, 0 before the first */
	int64_t final_at;          /* when its exit dump began */
	bool in_final;
	const msgpack_object *cur; /* the next record to print; NULL: ended */
	struct snapshot *final;    /* by map id */
};

static bool is_table_record(const msgpack_object *t)
{
	return mp_key_is(t, "sym") || mp_key_is(t, "stack") || mp_key_is(t, "username") ||
	       mp_key_is(t, "cgroup");
}

/* Move s->cur to its next record to print: clock records set its time,
 * table records fill its tables on the way. */
static void advance(struct fmt *f, struct stream *s)
{
	const msgpack_object *r;
	while (!f->err[0] && (r = mp_in_next(&s->in))) {
		const msgpack_object *t = mp_get(r, "t");
		if (t && t->type == MSGPACK_OBJECT_STR && mp_key_is(t, "clock")) {
			struct mp_err e = { 0 };
			int64_t ns = mp_get_int(&e, r, "ns");
			if (!e.set)
				s->now = ns;
			continue;
		}
		if (t && t->type == MSGPACK_OBJECT_STR && is_table_record(t)) {
			f->tab = s->tab;
			dispatch(f, r);
			continue;
		}
		s->cur = r;
		return;
	}
	if (!f->err[0] && s->in.errmsg[0])
		fmt_fail(f, "%s: %s", s->path, s->in.errmsg);
	s->cur = NULL;
}

static void *copy(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);
	if (!q)
		abort();
	memcpy(q, p, n);
	return q;
}

static void snapshot_free(struct snapshot *snap)
{
	free(snap->bytes);
	free(snap->e);
	memset(snap, 0, sizeof *snap);
}

/* A map record as a snapshot: its entries copied out of the stream's
 * buffer, each naming its stream's tables (and host, with --by-host).
 * Returns the map's id, or -1 (f->err set). */
static int64_t snapshot_of(struct fmt *f, struct stream *s, const msgpack_object *rec,
			   struct snapshot *snap)
{
	struct mp_err e = { 0 };
	uint64_t id = mp_get_uint(&e, rec, "id");
	const msgpack_object *items;
	uint32_t n = mp_array(&e, mp_get(rec, "entries"), "entries", &items);
	snap->top = mp_get_uint(&e, rec, "top");
	snap->div = mp_get_uint(&e, rec, "div");
	if (e.set || id >= f->meta.maps.n) {
		fmt_fail(f, "%s: bad map record: %s", s->path, e.set ? e.msg : "map id out of range");
		return -1;
	}
	snap->set = true;
	snap->e = calloc(n + 1, sizeof *snap->e);
	if (!snap->e)
		abort();
	size_t total = 0;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *kv;
		if (mp_array(&e, &items[i], "entry", &kv) != 2 || kv[0].type != MSGPACK_OBJECT_BIN ||
		    kv[1].type != MSGPACK_OBJECT_BIN) {
			fmt_fail(f, "%s: bad map record: entry %u is not [key bin, value bin]", s->path, i);
			return -1;
		}
		total += (size_t)kv[0].via.bin.size + kv[1].via.bin.size;
	}
	uint8_t *at = snap->bytes = malloc(total + 1);
	if (!at)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *kv = items[i].via.array.ptr;
		struct map_raw *x = &snap->e[snap->n++];
		x->klen = kv[0].via.bin.size;
		x->vlen = kv[1].via.bin.size;
		memcpy(at, kv[0].via.bin.ptr, x->klen);
		x->key = at;
		at += x->klen;
		memcpy(at, kv[1].via.bin.ptr, x->vlen);
		x->val = at;
		at += x->vlen;
		x->tab = s->tab;
		x->host = f->by_host ? s->host : NULL;
	}
	if (!map_entries_fit(f, &f->meta.maps.v[id], snap->e, snap->n))
		return -1;
	return (int64_t)id;
}

/* A map printed during the run: this stream's own, printed now. */
static void print_snapshot(struct fmt *f, struct stream *s, const msgpack_object *rec)
{
	struct snapshot snap = { 0 };
	int64_t id = snapshot_of(f, s, rec, &snap);
	if (id >= 0)
		map_show(f, &f->meta.maps.v[id], snap.e, snap.n, snap.top, snap.div);
	snapshot_free(&snap);
}

/* A map of the exit dump: kept until every stream's dump is in. */
static void keep_final(struct fmt *f, struct stream *s, const msgpack_object *rec)
{
	struct snapshot snap = { 0 };
	int64_t id = snapshot_of(f, s, rec, &snap);
	if (id < 0) {
		snapshot_free(&snap);
		return;
	}
	snapshot_free(&s->final[id]);   /* a map dumped twice: the later one */
	s->final[id] = snap;
}

/* ---- combining entries with the same printed key ---- */

/* Bucketed maps (hist, lhist, avg, stats) hold one entry per bucket of a
 * key: every bucket of one printed key takes the key bytes and tables of
 * the first entry of that key, so that maps.c groups them as one key. */
struct canon {
	const uint8_t *key;
	struct tables *tab;
};

struct merged {
	struct strset keys;         /* printed key texts: index = canon's */
	struct canon *canon;
	uint32_t capcanon;
	struct strset idents;       /* key text (+ bucket) of each entry: index = e's */
	struct sbuf ident;          /* the identity being built */
	struct map_raw *e;
	int64_t *when;              /* plain values: time of the dump they come from */
	uint32_t cap;
};

static bool less(const struct type *t, uint64_t a, uint64_t b)
{
	return t->is_signed ? (int64_t)a < (int64_t)b : a < b;
}

/* dst's value and src's, by the rule of the map's value kind */
static void combine(const struct type *vt, struct map_raw *dst, const struct map_raw *src,
		    int64_t *dst_when, int64_t src_when)
{
	uint64_t a = read_u64(dst->val), b = read_u64(src->val), r;
	switch (vt->kind) {
	case TY_COUNT: case TY_SUM: case TY_HIST: case TY_LHIST: case TY_AVG: case TY_STATS:
		r = a + b;
		break;
	case TY_MIN:
		r = less(vt, b, a) ? b : a;
		break;
	case TY_MAX:
		r = less(vt, a, b) ? b : a;
		break;
	default:   /* a plain value: the later dump's */
		if (src_when >= *dst_when) {
			free((void *)dst->val);
			dst->val = copy(src->val, src->vlen);
			dst->vlen = src->vlen;
			free((void *)dst->key);
			dst->key = copy(src->key, src->klen);
			dst->tab = src->tab;
			*dst_when = src_when;
		}
		return;
	}
	memcpy((uint8_t *)dst->val, &r, sizeof r);
}

/* The first entry of printed key text (text, len). */
static const struct canon *canon_of(struct merged *mg, const struct map_raw *x,
				    const char *text, size_t len)
{
	bool added;
	uint32_t i = strset_add(&mg->keys, text, len, &added);
	if (added) {
		if (i == mg->capcanon) {
			mg->capcanon = mg->capcanon ? 2 * mg->capcanon : 256;
			mg->canon = realloc(mg->canon, mg->capcanon * sizeof *mg->canon);
			if (!mg->canon)
				abort();
		}
		mg->canon[i] = (struct canon){ x->key, x->tab };
	}
	return &mg->canon[i];
}

static void add_entry(struct fmt *f, struct merged *mg, const struct meta_map *m,
		      const struct map_raw *x, int64_t when)
{
	mg->ident.len = 0;
	f->tab = x->tab;
	f->key_host = x->host;
	key_fmt(f, &mg->ident, m, x->key, false);
	f->key_host = NULL;
	const struct canon *c = NULL;
	if (map_bucketed(m)) {
		c = canon_of(mg, x, mg->ident.p, mg->ident.len);
		sb_put(&mg->ident, x->key + x->klen - 8, 8);
	}
	bool added;
	uint32_t n = strset_add(&mg->idents, mg->ident.p, mg->ident.len, &added);
	if (!added) {
		combine(m->value, &mg->e[n], x, &mg->when[n], when);
		return;
	}
	if (n == mg->cap) {
		mg->cap = mg->cap ? 2 * mg->cap : 256;
		mg->e = realloc(mg->e, mg->cap * sizeof *mg->e);
		mg->when = realloc(mg->when, mg->cap * sizeof *mg->when);
		if (!mg->e || !mg->when)
			abort();
	}
	struct map_raw *y = &mg->e[n];
	*y = *x;
	/* the merged value is written to: a copy of its own */
	y->val = copy(x->val, x->vlen);
	y->key = copy(x->key, x->klen);
	if (c) {   /* the key's first entry's bytes and tables, this bucket */
		memcpy((uint8_t *)y->key, c->key, x->klen - 8);
		y->tab = c->tab;
	}
	y->idx = n;
	mg->when[n] = when;
}

static void print_merged_map(struct fmt *f, struct stream *ss, int ns, uint32_t id)
{
	const struct meta_map *m = &f->meta.maps.v[id];
	struct merged mg = { 0 };
	uint64_t top = 0, div = 0;
	bool any = false;
	for (int i = 0; i < ns && !f->err[0]; i++) {
		struct snapshot *snap = &ss[i].final[id];
		if (!snap->set)
			continue;
		any = true;
		top = snap->top;
		div = snap->div;
		for (uint32_t k = 0; k < snap->n; k++)
			add_entry(f, &mg, m, &snap->e[k], ss[i].final_at);
	}
	if (any && !f->err[0])
		map_show(f, m, mg.e, mg.idents.n, top, div);
	for (uint32_t i = 0; i < mg.idents.n; i++) {
		free((void *)mg.e[i].val);
		free((void *)mg.e[i].key);
	}
	free(mg.canon);
	strset_free(&mg.keys);
	free(mg.e);
	free(mg.when);
	strset_free(&mg.idents);
	free(mg.ident.p);
}

/* ---- the streams ---- */

static const char *host_of(const msgpack_object *h, const char *path)
{
	const msgpack_object *host = mp_get(h, "host");
	const msgpack_object *name = host ? mp_get(host, "name") : NULL;
	if (!name || name->type != MSGPACK_OBJECT_STR || !name->via.str.size)
		return path;
	char *s = ARENA_ARRAY(char, name->via.str.size + 1);
	memcpy(s, name->via.str.ptr, name->via.str.size);
	return s;
}

static bool same_program(const msgpack_object *a, const msgpack_object *b)
{
	static const char *const keys[] = { "source", "types", "meta" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const msgpack_object *x = mp_get(a, keys[i]), *y = mp_get(b, keys[i]);
		if (!x || !y || !msgpack_object_equal(*x, *y))
			return false;
	}
	return true;
}

static bool wanted(const char *host, const char *const *hosts, int nhosts)
{
	for (int i = 0; i < nhosts; i++)
		if (strcmp(hosts[i], host) == 0)
			return true;
	return nhosts == 0;
}

int merge_streams(struct fmt *f, char **paths, int n, const char *const *hosts, int nhosts)
{
	struct stream *ss = calloc((size_t)n, sizeof *ss);
	const msgpack_object *first = NULL;
	int ns = 0, rc = 1;
	if (!ss)
		abort();
	for (int i = 0; i < n; i++) {
		struct stream *s = &ss[ns];
		s->path = paths[i];
		s->fd = strcmp(paths[i], "-") == 0 ? 0 : open(paths[i], O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			fmt_fail(f, "cannot open '%s': %s", paths[i], strerror(errno));
			goto out;
		}
		const msgpack_object *h = mp_in_open(&s->in, s->fd, "out", ns ? NULL : &f->src);
		if (!h) {
			fmt_fail(f, "%s: %s", paths[i], s->in.errmsg);
			mp_in_close(&s->in);
			goto out;
		}
		s->host = host_of(h, paths[i]);
		if (!wanted(s->host, hosts, nhosts)) {
			mp_in_close(&s->in);
			if (s->fd)
				close(s->fd);
			continue;
		}
		if (!first) {
			if (!read_header(f, h))
				goto out;
			first = h;
		} else if (!same_program(first, h)) {
			fmt_fail(f, "%s: not a run of the same program as %s (only streams of one "
				 "object can be merged)", paths[i], ss[0].path);
			ns++;
			goto out;
		}
		s->tab = tables_new();
		s->final = calloc(f->meta.maps.n + 1, sizeof *s->final);
		if (!s->final)
			abort();
		ns++;
	}
	if (!ns) {
		fmt_fail(f, "no stream from the host%s asked for", nhosts > 1 ? "s" : "");
		goto out;
	}
	for (int i = 0; i < ns; i++)
		advance(f, &ss[i]);

	bool attached = false, final = false;
	struct tables *tab = f->tab;
	while (!f->err[0]) {
		struct stream *s = NULL;
		for (int i = 0; i < ns; i++)
			if (ss[i].cur && (!s || ss[i].now < s->now))
				s = &ss[i];
		if (!s)
			break;
		const msgpack_object *r = s->cur, *t = mp_get(r, "t");
		f->tab = s->tab;
		if (t && mp_key_is(t, "attached")) {
			if (!attached)
				dispatch(f, r);   /* one program: announced once */
			attached = true;
		} else if (t && mp_key_is(t, "final")) {
			s->in_final = true;
			s->final_at = s->now;
			final = true;
		} else if (t && mp_key_is(t, "map") && s->in_final) {
			keep_final(f, s, r);
		} else if (t && mp_key_is(t, "map") && f->by_host) {
			print_snapshot(f, s, r);
		} else {
			dispatch(f, r);
		}
		output_record_done(&f->out);
		advance(f, s);
	}
	if (!f->err[0] && final) {
		final_separator(f);
		for (uint32_t id = 0; id < f->meta.maps.n && !f->err[0]; id++)
			print_merged_map(f, ss, ns, id);
	}
	f->tab = tab;
	rc = f->err[0] ? 1 : 0;
out:
	for (int i = 0; i < ns; i++) {
		mp_in_close(&ss[i].in);
		if (ss[i].fd > 0)
			close(ss[i].fd);
		for (uint32_t k = 0; ss[i].final && k < f->meta.maps.n; k++)
			snapshot_free(&ss[i].final[k]);
		free(ss[i].final);
	}
	free(ss);
	return f->err[0] ? 1 : rc;
}
