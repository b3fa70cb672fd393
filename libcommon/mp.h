/* mp.h - msgpack helpers and the stream framing every tool shares.
 *
 * A stream (ir-spec/README.md) is a sequence of msgpack maps:
 *   1. header  {"format": NAME, "version": N, "filename": F, "source": S, ...}
 *   2. records {"t": KIND, ...}            (stage-specific)
 *   3. end     {"t": "end"}
 * Readers ignore unknown keys.  A missing end record means truncation.
 *
 * Writing: struct mp_out wraps a buffered fd; write with msgpack_pack_*
 * on out->pk or the mp_put_* helpers.  Reading: struct mp_in pulls one
 * top-level object at a time from an fd.  Decoding helpers record the
 * first error in a caller's struct mp_err (sticky) and return zero values,
 * so decoders can run to the end and check once.
 */
#ifndef BT_MP_H
#define BT_MP_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "mpread.h"

/* ---- writing ---- */
struct mp_out {
	int fd;
	bool failed;          /* a write failed (EPIPE, ENOSPC...) */
	/* optional: once more than max_record bytes were packed since
	 * packed was record_from, too_large and failed are set and nothing
	 * more is written */
	size_t max_record;
	uint64_t packed, record_from;
	bool too_large;
	size_t len;
	char buf[1 << 16];
	msgpack_packer pk;
};

void mp_out_init(struct mp_out *o, int fd);
int mp_out_flush(struct mp_out *o);  /* 0 or -errno */

void mp_put_str(msgpack_packer *pk, const char *s);           /* NULL -> nil */
void mp_put_bin(msgpack_packer *pk, const void *p, size_t n);
/* key + value pairs inside a map */
void mp_kv_str(msgpack_packer *pk, const char *k, const char *v);
void mp_kv_int(msgpack_packer *pk, const char *k, int64_t v);
void mp_kv_uint(msgpack_packer *pk, const char *k, uint64_t v);
void mp_kv_bool(msgpack_packer *pk, const char *k, bool v);
void mp_kv_bin(msgpack_packer *pk, const char *k, const void *p, size_t n);
#define mp_key(pk, k) mp_put_str((pk), (k))

/* The version of each stream format (ast, ir, obj, out: ir-spec/), in
 * every header; a reader refuses any other.  Bump a format's version in
 * mp.c's table with a change of its meaning and say what changed in
 * ir-spec/.  1 for any other name. */
int stream_version(const char *format);

/* Header: a map with format/version/filename/source plus `extra`
 * more key/value pairs the caller writes right after this call. */
void mp_write_header(struct mp_out *o, const char *format,
		     const struct source *src, int extra);
void mp_write_end(struct mp_out *o);

/* ---- reading ---- */
struct mp_err {
	char msg[256];
	bool set;
};
void mp_fail(struct mp_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct mp_in {
	int fd;
	bool eof;
	struct mpr r;
	const char *format;   /* expected format name */
	/* optional, set after mp_in_open: called before a read() that may
	 * block (bt-fmt flushes its output there, so live output is prompt
	 * without a flush per record) */
	void (*before_block)(void *arg);
	void *before_block_arg;
	/* optional, set after mp_in_open: refuse a record of more bytes */
	size_t max_record;
	char errmsg[512];
};

/* Open a stream on fd and read its header.  Returns the header object, or
 * NULL with in->errmsg set ("expected an 'ast' stream, got 'ir'", a
 * version other than stream_version(format), ...); a NULL format accepts any
 * stream of any version (bt-fmt --dump).  src receives filename/source
 * (arena copies). */
const msgpack_object *mp_in_open(struct mp_in *in, int fd, const char *format,
				 struct source *src);
/* Next record: the object, or NULL at the end record (in->errmsg empty) or
 * on error/truncation (in->errmsg set).  The object stays valid until the
 * next call. */
const msgpack_object *mp_in_next(struct mp_in *in);
/* The same, but the values of the keys `take` claims are read straight
 * from the stream by it (take returns 1 when it read the value, 0 to
 * leave the pair in the returned map, -1 after an error of its own, or
 * when the reader failed); the returned map holds the other pairs.  For
 * records too big to hold as an object tree (codec.c: "types", "nodes"). */
typedef int (*mp_take_fn)(void *arg, struct mpr *r, const char *key, uint32_t klen);
const msgpack_object *mp_in_next_taking(struct mp_in *in, mp_take_fn take, void *arg);
void mp_in_close(struct mp_in *in);

/* Accessors on decoded objects (sticky errors in e). */
const msgpack_object *mp_get(const msgpack_object *map, const char *key);
bool mp_is_nil(const msgpack_object *o);
int64_t mp_int(struct mp_err *e, const msgpack_object *o, const char *what);
/* A source location is four integers, line, col, end_line, end_col, in
 * an array the caller has opened (or reads, from v[0]). */
void mp_put_loc(msgpack_packer *pk, struct loc l);
struct loc mp_loc_at(struct mp_err *e, const msgpack_object *v);
uint64_t mp_uint(struct mp_err *e, const msgpack_object *o, const char *what);
bool mp_bool(struct mp_err *e, const msgpack_object *o, const char *what);
/* NUL-terminated arena copy; *len (optional) gets the byte length.
 * Accepts str or bin; nil gives NULL. */
char *mp_str(struct mp_err *e, const msgpack_object *o, const char *what, uint32_t *len);
/* Array elements; returns count (0 for nil), sets *items. */
uint32_t mp_array(struct mp_err *e, const msgpack_object *o, const char *what,
		  const msgpack_object **items);
bool mp_key_is(const msgpack_object *o, const char *key);  /* NULL o: false */
/* Convenience: field of a map */
#define mp_get_int(e, m, k) mp_int((e), mp_get((m), (k)), (k))
#define mp_get_uint(e, m, k) mp_uint((e), mp_get((m), (k)), (k))
#define mp_get_str(e, m, k) mp_str((e), mp_get((m), (k)), (k), NULL)
#define mp_get_bool(e, m, k) mp_bool((e), mp_get((m), (k)), (k))

/* Print any object as JSON-like readable text (used by --dump). */
void mp_dump(FILE *out, const msgpack_object *o, int indent);

#endif
