/* mpread.h - a pull reader of msgpack bytes: one item at a time, from an fd
 * (refilled as it goes) or from memory.
 *
 * msgpack-c's unpacker turns a whole top-level object into an object tree
 * (24 bytes per value, 48 per map entry) before anything can look at it;
 * for a program record that tree is several times the record's bytes.
 * This reader hands out one item at a time instead (a scalar, a string's
 * bytes, or the element count of an array or map whose elements follow),
 * so a decoder builds its own structures straight from the bytes and the
 * buffer holds little more than the item being read.
 *
 * Hostile input: the buffer grows only with bytes actually read, never
 * from a count or a length in the data; an item cut short by the end of
 * the input is "truncated", a byte that starts no msgpack item "corrupt".
 * The first error is kept (r->errmsg) and every later call fails.
 */
#ifndef BT_MPREAD_H
#define BT_MPREAD_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mpv_type {
	MPV_NIL, MPV_BOOL, MPV_UINT, MPV_INT, MPV_FLOAT, MPV_STR, MPV_BIN,
	MPV_ARRAY, MPV_MAP, MPV_EXT,
};

/* One item.  MPV_INT is a negative integer; str/bin bytes point into the
 * reader's buffer and stay valid until the next call on the reader. */
struct mpv {
	enum mpv_type type;
	union {
		bool b;
		uint64_t u;
		int64_t i;
		double f;
		uint32_t count;   /* MPV_ARRAY elements, MPV_MAP pairs */
		struct {
			const char *p;
			uint32_t n;
		} s;              /* MPV_STR, MPV_BIN, MPV_EXT (payload) */
	};
};

struct mpr {
	int fd;               /* -1: reading memory only */
	uint8_t *buf;
	size_t cap, pos, end;
	bool owned;           /* buf is ours to grow and free */
	bool eof;
	bool failed;
	uint64_t base;        /* stream offset of buf[0] */
	/* optional: refuse to read on once more than limit bytes from stream
	 * offset limit_from are needed ("program too large") */
	size_t limit;
	uint64_t limit_from;
	const char *format;   /* stream name for messages ("ast", ...) */
	/* called before a read() that may block (see mp_in) */
	void (*before_block)(void *arg);
	void *before_block_arg;
	msgpack_zone zone;    /* objects made by mpr_object */
	bool zone_ready;
	msgpack_object obj;   /* the last one */
	char errmsg[512];
};

void mpr_init_fd(struct mpr *r, int fd, const char *format);
void mpr_init_mem(struct mpr *r, const void *p, size_t n, const char *format);
void mpr_close(struct mpr *r);

/* The next item; false (errmsg set) on error or at the end of the input. */
bool mpr_next(struct mpr *r, struct mpv *v);
/* Skip the next value, with everything inside it. */
bool mpr_skip(struct mpr *r);
/* True when the input ends here (no partial item). */
bool mpr_at_end(struct mpr *r);

/* The next value as a msgpack-c object tree (for small values: headers,
 * metadata).  It lives in r's zone until the next mpr_object call; with
 * copy false its strings point into r's buffer and stay valid only until
 * the next call on r. */
const msgpack_object *mpr_object(struct mpr *r, bool copy);
/* An object of the value p[0..n) held elsewhere (copied into r's zone). */
const msgpack_object *mpr_object_from(struct mpr *r, const void *p, size_t n);

/* The next value's bytes, appended to a growing malloc'd buffer. */
struct mpbytes {
	char *p;
	size_t n, cap;
};
bool mpr_copy_value(struct mpr *r, struct mpbytes *out);
bool mpbytes_add(struct mpbytes *b, const void *p, size_t n);
void mpbytes_free(struct mpbytes *b);

void mpr_fail(struct mpr *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
