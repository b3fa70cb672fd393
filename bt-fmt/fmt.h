/* fmt.h - bt-fmt's internal API: the formatting session shared by its parts.
 *
 * bt-fmt reads an `out` stream (ir-spec/out.md) and prints what bpftrace
 * v0.20 prints (docs/bpftrace-compat.md "Text output"), as text or JSON.  It
 * never looks at the live system: symbols, stacks, user names and cgroup
 * paths come from records of the stream.  Parts:
 *   main.c     options, the record loop (output flushed before the reader
 *              blocks), exit status
 *   records.c  one handler per record kind; event decoding
 *   sbuf.c     growable byte buffers and the output writer (flush policy)
 *   tables.c   sym/stack/username/cgroup tables filled from records
 *   value.c    value and map-key text ("Text output"), JSON values, escaping
 *   printf.c   printf formats
 *   hist.c     hist/lhist text and JSON ("Text output", "JSON output")
 *   maps.c     map records: grouping, sorting, top/div ("Printing maps")
 *   text.c     text output of records ("Text output")
 *   json.c     JSON output of records ("JSON output")
 *   dump.c     --dump: any stream readably
 *   merge.c    several streams of one program (fleet runs) as one trace
 *   picture.c  --flamegraph/--plot: keep the last state of every map
 *   stacks.c   stack-keyed map entries as frame lists
 *   folded.c   -f folded
 *   flamegraph.c, plot.c  the SVG pictures
 *   strset.c   a set of byte strings with dense indexes
 * Errors while formatting are input errors: functions set f->err (first one
 * wins) and return; main() prints `bt-fmt: ERROR: ...` and exits 1.
 */
#ifndef BT_FMT_H
#define BT_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "meta.h"
#include "mp.h"

/* ---- sbuf.c: growable byte buffer (malloc'd, reused, never shrinks) ---- */
struct sbuf {
	char *p;
	size_t len, cap;
};

void sb_grow(struct sbuf *b, size_t extra);
static inline char *sb_reserve(struct sbuf *b, size_t n)
{
	if (b->cap - b->len < n)
		sb_grow(b, n);
	return b->p + b->len;
}
static inline void sb_put(struct sbuf *b, const void *s, size_t n)
{
	if (!n)
		return;
	memcpy(sb_reserve(b, n), s, n);
	b->len += n;
}
static inline void sb_putc(struct sbuf *b, char c)
{
	*sb_reserve(b, 1) = c;
	b->len++;
}
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_u64(struct sbuf *b, uint64_t v);  /* decimal */
void sb_i64(struct sbuf *b, int64_t v);
void sb_spaces(struct sbuf *b, int n);

/* The output: a large buffer written to fd with the -B policy. */
enum output_buffering { OUTPUT_DEFAULT, OUTPUT_LINE, OUTPUT_FULL, OUTPUT_NONE };

struct output {
	struct sbuf b;
	int fd;
	bool tty;
	enum output_buffering mode;
	bool failed;          /* a write failed (EPIPE...) */
	int error;            /* its errno */
};

void output_init(struct output *o, int fd, enum output_buffering mode);
int output_flush(struct output *o);        /* 0 or -errno */
void output_record_done(struct output *o); /* after each input record */
void output_batch_done(struct output *o);  /* before the reader blocks */
void output_maybe_flush(struct output *o); /* when the buffer is large */

/* ---- strset.c: byte strings, each with a dense index in the order added ---- */
struct strset {
	struct sbuf text;      /* the strings, back to back */
	size_t *at, *len;      /* by index */
	uint32_t n, cap;
	uint32_t *slots, nslots; /* open addressing: index + 1, 0 = empty */
};
/* The index of s (n bytes), added if new (*added says which, if asked). */
uint32_t strset_add(struct strset *set, const void *s, size_t n, bool *added);
static inline const char *strset_str(const struct strset *set, uint32_t i)
{
	return set->text.p + set->at[i];
}
void strset_clear(struct strset *set);   /* empty, keeping its memory */
void strset_free(struct strset *set);

/* ---- tables.c ---- */
struct frame {
	uint64_t addr, offset;
	const char *name;     /* NULL: unresolved */
	const char *module;   /* NULL: unknown */
};
struct stack {
	uint32_t n;
	struct frame *frames;
};

struct tables;
struct tables *tables_new(void);
void tab_add_sym(struct tables *t, bool user, uint64_t pid, uint64_t addr, const char *name);
void tab_add_stack(struct tables *t, bool user, uint64_t pid, uint64_t limit,
		   uint64_t id, struct stack *s);
void tab_add_user(struct tables *t, uint64_t uid, const char *name);
void tab_add_cgroup(struct tables *t, uint64_t id, uint64_t filter, const char *path);
/* NULL when unknown */
const char *tab_sym(struct tables *t, bool user, uint64_t pid, uint64_t addr);
const struct stack *tab_stack(struct tables *t, bool user, uint64_t pid,
			      uint64_t limit, uint64_t id);
const char *tab_user(struct tables *t, uint64_t uid);
const char *tab_cgroup(struct tables *t, uint64_t id, uint64_t filter);

/* what -f folded, --flamegraph and --plot were asked for */
struct picture_opts {
	const char *flamegraph;   /* SVG path, or NULL */
	const char *plot;         /* SVG path of the histogram plot, or NULL */
	bool icicle;              /* flame graph drawn top-down */
	bool offsets;             /* keep +offset in frame names */
	const char *diff_base;    /* differential: the earlier run's stream */
};

/* ---- the session ---- */
enum out_format { FMT_TEXT, FMT_JSON, FMT_FOLDED, FMT_PICTURE };

struct pf;  /* prepared printf format (printf.c) */

struct fmt {
	struct meta meta;
	struct source src;
	enum out_format format;
	bool quiet, live;
	int64_t realtime_offset;  /* ns: CLOCK_REALTIME - CLOCK_BOOTTIME */
	int64_t monotonic_offset; /* ns: CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct output out;        /* stdout or -o FILE */
	struct output *std;       /* stdout, for the "\n\n" before the final dump */
	struct tables *tab;
	struct pf **printfs;      /* prepared lazily, by printf id */
	struct sbuf tmp, tmp2;    /* scratch (escaping, strings) */
	char err[256];            /* first input error; empty if none */
	struct picture_opts pic;  /* -f folded, --flamegraph, --plot */
	bool in_base;             /* reading the --diff base stream */
	char title[160];          /* program and host, for pictures */
	const char *key_host;     /* --by-host: the host part of the key being printed */
	bool by_host;             /* merging: keys and records name their host */
};

void fmt_fail(struct fmt *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- value.c ---- */
enum vmode {
	V_TEXT,   /* value text ("Text output") */
	V_KEY,    /* map key component text ("Text output", keys) */
	V_JSON,   /* JSON value */
};
/* Append the text of a value of type t at p (t->size bytes). */
void val_fmt(struct fmt *f, struct sbuf *b, const struct type *t, const uint8_t *p,
	     uint64_t div, enum vmode mode);
/* Key text of a map: "@m", "@m[a, b]" (text) or "a,b" (JSON, unescaped). */
void key_fmt(struct fmt *f, struct sbuf *b, const struct meta_map *m,
	     const uint8_t *key, bool json);
void json_escape(struct sbuf *b, const char *s, size_t n);
void json_str(struct sbuf *b, const char *s, size_t n); /* quoted + escaped */
int64_t read_int(const struct type *t, const uint8_t *p); /* sign/zero extended */
uint64_t read_u64(const uint8_t *p);
/* Shared with printf.c */
void fmt_buffer(struct sbuf *b, const uint8_t *p, size_t n, bool keep_ascii, bool escape);

/* ---- printf.c ---- */
/* Format printf event data (id at offset 0) with format fm into b. */
void printf_fmt(struct fmt *f, struct sbuf *b, uint32_t id, const uint8_t *data, size_t n);

/* ---- hist.c ---- */
void hist_text(struct sbuf *b, const uint64_t *v, uint32_t n, uint64_t div, int k);
void hist_json(struct sbuf *b, const uint64_t *v, uint32_t n, uint64_t div, int k);
void lhist_text(struct sbuf *b, const uint64_t *v, uint32_t n, int64_t min, int64_t max, int64_t step);
void lhist_json(struct sbuf *b, const uint64_t *v, uint32_t n, int64_t min, int64_t max, int64_t step);

/* ---- maps.c: one map record, grouped and sorted ---- */
enum map_class { MC_PLAIN, MC_HIST, MC_LHIST, MC_STATS };

struct map_entry {
	struct tables *tab;    /* merged streams: the tables of its stream (else NULL) */
	const char *host;      /* --by-host: its host, the first key part (else NULL) */
	const uint8_t *key;    /* key_size bytes (without the bucket suffix) */
	const uint8_t *val;    /* plain maps: the value bytes */
	uint64_t *buckets;     /* hist/lhist: counts by bucket index */
	uint32_t nbuckets;
	int64_t count, total;  /* avg/stats */
	uint64_t sortv;        /* sort key (see maps.c) */
	uint32_t idx;          /* position in the record (stable tie-break) */
};

struct map_view {
	const struct meta_map *m;
	enum map_class cls;
	uint64_t div;          /* >= 1 */
	struct map_entry *e;   /* sorted, `top` already applied */
	uint32_t n;
};

/* Handle a `map` record: decode, sort, print with the current format. */
void map_record(struct fmt *f, const msgpack_object *rec);
/* One entry of a map record as it arrived (maps.c decodes, merge.c merges). */
struct map_raw {
	const uint8_t *key, *val;
	uint32_t klen, vlen;
	uint32_t idx;
	uint64_t bucket;       /* hist/lhist/avg/stats: the key's u64 suffix */
	struct tables *tab;    /* merged streams: whose tables name its symbols */
	const char *host;
};
bool map_bucketed(const struct meta_map *m);
/* Sizes checked (and buckets read) once, before anything reads them. */
bool map_entries_fit(struct fmt *f, const struct meta_map *m, struct map_raw *r, uint32_t n);
/* Group, sort and print entries (r is reordered). */
void map_show(struct fmt *f, const struct meta_map *m, struct map_raw *r, uint32_t n,
	      uint64_t top, uint64_t div);
/* Before formatting an entry: its stream's tables, its host. */
static inline void map_entry_use(struct fmt *f, const struct map_entry *e)
{
	if (e->tab)
		f->tab = e->tab;
	f->key_host = e->host;
}

/* ---- text.c / json.c: one emitter per output format ---- */
/* MSG_ITER: raw bytes in both formats; MSG_LOST: the watchpoint registers
 * message line (JSON type lost_events, as upstream) */
enum msg_kind { MSG_PRINTF, MSG_TIME, MSG_CAT, MSG_SYSCALL, MSG_JOIN, MSG_ITER, MSG_LOST };

struct emitter {
	void (*attached)(struct fmt *f, uint64_t n);
	void (*lost)(struct fmt *f, uint64_t n);
	void (*message)(struct fmt *f, enum msg_kind k, const char *s, size_t n);
	void (*value)(struct fmt *f, const struct type *t, const uint8_t *p);
	void (*map)(struct fmt *f, const struct map_view *v);
	void (*helper_error)(struct fmt *f, const struct meta_helper_error *h,
			     const char *msg, int32_t retcode);
};
extern const struct emitter text_emitter, json_emitter;
const struct emitter *fmt_emitter(const struct fmt *f);

/* ---- stacks.c: maps keyed by stacks, as frame lists root first ---- */
enum frame_kind { FRAME_KEY, FRAME_USER, FRAME_KERNEL, FRAME_UNKNOWN, FRAME_MERGED, FRAME_ROOT };
struct stack_frame {
	size_t off, len;       /* the name, in stack_frames.text */
	enum frame_kind kind;
};
struct stack_frames {
	struct sbuf text;
	struct stack_frame *f;
	uint32_t n, cap;
};
bool map_has_stack(const struct meta_map *m);
/* fn(ctx, frames, count) for every entry of a count() map keyed by a stack;
 * false (and f->err set) for other values. */
bool map_stacks(struct fmt *f, const struct map_view *v, bool offsets,
		void (*fn)(void *ctx, const struct stack_frames *s, uint64_t count), void *ctx);

/* ---- folded.c, flamegraph.c, plot.c: pictures and their raw material ---- */
extern const struct emitter folded_emitter, picture_emitter;
/* Between input files: maps keep their last printed state per file. */
void picture_file_done(struct fmt *f);
int picture_write(struct fmt *f, char *err, size_t errlen);
void flamegraph_add(const struct stack_frames *s, uint64_t count, bool base);
int flamegraph_write(const char *path, const char *title, bool icicle, bool diff,
		     char *err, size_t errlen);
struct plot_panel;
void plot_add(const char *map, const char *key, const uint64_t *buckets, uint32_t n,
	      const struct meta_map *m, uint64_t div);
int plot_write(const char *path, const char *title, char *err, size_t errlen);
/* bucket i's range as hist/lhist text prints it: "[4, 8)" */
int hist_bucket_label(char *buf, size_t sz, uint32_t i, int k);
int lhist_bucket_label(char *buf, size_t sz, uint32_t i, int64_t min, int64_t max, int64_t step);

/* ---- records.c ---- */
void dispatch(struct fmt *f, const msgpack_object *rec);
void final_separator(struct fmt *f);   /* the "\n\n" before the exit dump */

/* ---- main.c, merge.c: streams ---- */
bool read_header(struct fmt *f, const msgpack_object *h);
/* Several streams of one program as one trace (merge.c); hosts: only the
 * streams of these hosts (none: all). */
int merge_streams(struct fmt *f, char **paths, int n, const char *const *hosts, int nhosts);

/* ---- dump.c ---- */
int dump_stream(int fd, const char *name, char *err, size_t errlen);

#endif
