/* mpread.c - pull reader of msgpack bytes; see mpread.h. */
#include "mpread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIRST_BUF (1u << 16)

void mpr_init_fd(struct mpr *r, int fd, const char *format)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->owned = true;
	r->format = format ? format : "bt";
}

void mpr_init_mem(struct mpr *r, const void *p, size_t n, const char *format)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->buf = (uint8_t *)p;
	r->cap = r->end = n;
	r->eof = true;
	r->format = format ? format : "bt";
}

void mpr_close(struct mpr *r)
{
	if (r->owned)
		free(r->buf);
	r->buf = NULL;
	if (r->zone_ready)
		msgpack_zone_destroy(&r->zone);
	r->zone_ready = false;
}

void mpr_fail(struct mpr *r, const char *fmt, ...)
{
	if (r->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof r->errmsg, fmt, ap);
	va_end(ap);
	r->failed = true;
}

static bool truncated(struct mpr *r)
{
	mpr_fail(r, "truncated %s stream (input ended before the end record)", r->format);
	return false;
}

static bool corrupt(struct mpr *r)
{
	mpr_fail(r, "corrupt %s stream (invalid msgpack data)", r->format);
	return false;
}

/* Once a big item is read, the buffer it needed is halved at each refill
 * while a quarter of it holds what is left and what is wanted (a stream
 * header that carries the source would otherwise keep its size for the
 * whole read). */
static void shrink(struct mpr *r, size_t n)
{
	while (r->cap > FIRST_BUF && (r->end + n) <= r->cap / 4) {
		uint8_t *nb = realloc(r->buf, r->cap / 2);
		if (!nb)
			return;
		r->buf = nb;
		r->cap /= 2;
	}
}

/* Make n bytes from r->pos available; false at the end of the input
 * (nothing is set) or on a read error (errmsg set).  The buffer grows
 * by doubling as bytes arrive, never to a size taken from the data. */
static bool fill(struct mpr *r, size_t n)
{
	while (r->end - r->pos < n) {
		if (r->failed || r->eof || r->fd < 0)
			return false;
		if (r->end == r->cap) {
			if (r->pos > 0) {   /* drop what was read */
				memmove(r->buf, r->buf + r->pos, r->end - r->pos);
				r->end -= r->pos;
				r->base += r->pos;
				r->pos = 0;
				shrink(r, n);
			}
			if (r->end == r->cap) {
				size_t cap = r->cap ? r->cap * 2 : FIRST_BUF;
				uint8_t *nb = realloc(r->buf, cap);
				if (!nb) {
					mpr_fail(r, "out of memory reading %s stream", r->format);
					return false;
				}
				r->buf = nb;
				r->cap = cap;
			}
		}
		if (r->limit && r->base + r->end - r->limit_from > r->limit) {
			mpr_fail(r, "program too large: its %s stream holds a record of more than %zu MiB",
				 r->format, r->limit >> 20);
			return false;
		}
		if (r->before_block)
			r->before_block(r->before_block_arg);
		ssize_t got;
		do
			got = read(r->fd, r->buf + r->end, r->cap - r->end);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			mpr_fail(r, "read error: %s", strerror(errno));
			return false;
		}
		if (got == 0)
			r->eof = true;
		r->end += (size_t)got;
	}
	return true;
}

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

bool mpr_at_end(struct mpr *r)
{
	return !r->failed && !fill(r, 1) && !r->failed;
}

/* The layout of the item at r->pos + at: header bytes (its first byte,
 * a length or a fixed payload), body bytes, values inside.  1 known, 0
 * the input ends inside the header (or a read failed), -1 the byte
 * starts no msgpack item. */
struct shape {
	uint32_t hdr;     /* bytes before the body, length included */
	int lw;           /* width of the length after b (0: none) */
	uint64_t body;    /* body bytes (str/bin/ext), from b or the length */
	uint64_t kids;    /* values inside (arrays: n, maps: 2n) */
};

static int shape_of(struct mpr *r, size_t at, struct shape *s)
{
	uint8_t b = r->buf[r->pos + at];
	*s = (struct shape){ .hdr = 1 };
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 1;
	if (b <= 0x8f) {
		s->kids = 2 * (uint64_t)(b & 0x0f);
	} else if (b <= 0x9f) {
		s->kids = b & 0x0f;
	} else if (b <= 0xbf) {
		s->body = b & 0x1f;
	} else if (b == 0xc1) {
		return -1;
	} else if (b >= 0xc4 && b <= 0xc6) {   /* bin 8/16/32 */
		s->lw = 1 << (b - 0xc4);
	} else if (b >= 0xc7 && b <= 0xc9) {   /* ext 8/16/32, then the type */
		s->lw = 1 << (b - 0xc7);
		s->hdr = 2;
	} else if (b == 0xca || b == 0xcb) {   /* float 32/64 */
		s->hdr = b == 0xca ? 5 : 9;
	} else if (b >= 0xcc && b <= 0xd3) {   /* (u)int 8..64 */
		s->hdr = 1 + (1u << ((b - 0xcc) & 3));
	} else if (b >= 0xd4 && b <= 0xd8) {   /* fixext 1..16: type, data */
		s->hdr = 2;
		s->body = 1u << (b - 0xd4);
	} else if (b >= 0xd9 && b <= 0xdb) {   /* str 8/16/32 */
		s->lw = 1 << (b - 0xd9);
	} else {                               /* array/map 16/32 */
		s->lw = b == 0xdc || b == 0xde ? 2 : 4;
	}
	if (s->lw) {
		if (!fill(r, at + 1 + (size_t)s->lw))
			return 0;
		uint64_t v = be(r->buf + r->pos + at + 1, s->lw);
		s->hdr += (uint32_t)s->lw;
		if (b == 0xdc || b == 0xdd)
			s->kids = v;
		else if (b >= 0xde)
			s->kids = 2 * v;
		else
			s->body = v;
	}
	return 1;
}

/* Byte length of the value at r->pos, all of it made available. */
static bool value_len(struct mpr *r, size_t *len)
{
	size_t at = 0;
	uint64_t pending = 1;
	while (pending) {
		if (!fill(r, at + 1))
			return truncated(r);
		struct shape s;
		int k = shape_of(r, at, &s);
		if (k <= 0)
			return k < 0 ? corrupt(r) : truncated(r);
		if (!fill(r, at + s.hdr) || s.body > SIZE_MAX / 2 ||
		    !fill(r, at + s.hdr + (size_t)s.body))
			return truncated(r);
		at += s.hdr + (size_t)s.body;
		pending = pending - 1 + s.kids;
	}
	*len = at;
	return true;
}

bool mpr_next(struct mpr *r, struct mpv *v)
{
	if (r->failed)
		return false;
	if (!fill(r, 1))
		return truncated(r);
	struct shape s;
	uint8_t b = r->buf[r->pos];
	int k = shape_of(r, 0, &s);
	if (k <= 0)
		return k < 0 ? corrupt(r) : truncated(r);
	if (!fill(r, s.hdr) || s.body > SIZE_MAX / 2 || !fill(r, s.hdr + (size_t)s.body))
		return truncated(r);
	const uint8_t *p = r->buf + r->pos;
	if (b <= 0x7f) {
		*v = (struct mpv){ .type = MPV_UINT, .u = b };
	} else if (b >= 0xe0) {
		*v = (struct mpv){ .type = MPV_INT, .i = (int8_t)b };
	} else if (b <= 0x8f) {
		*v = (struct mpv){ .type = MPV_MAP, .count = b & 0x0f };
	} else if (b <= 0x9f) {
		*v = (struct mpv){ .type = MPV_ARRAY, .count = b & 0x0f };
	} else if (b <= 0xbf || (b >= 0xd9 && b <= 0xdb)) {
		*v = (struct mpv){ .type = MPV_STR };
		v->s.p = (const char *)p + s.hdr;
		v->s.n = (uint32_t)s.body;
	} else if (b == 0xc0) {
		*v = (struct mpv){ .type = MPV_NIL };
	} else if (b == 0xc2 || b == 0xc3) {
		*v = (struct mpv){ .type = MPV_BOOL, .b = b == 0xc3 };
	} else if (b >= 0xc4 && b <= 0xc6) {
		*v = (struct mpv){ .type = MPV_BIN };
		v->s.p = (const char *)p + s.hdr;
		v->s.n = (uint32_t)s.body;
	} else if ((b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8)) {
		*v = (struct mpv){ .type = MPV_EXT };
		v->s.p = (const char *)p + s.hdr;
		v->s.n = (uint32_t)s.body;
	} else if (b == 0xca) {
		uint32_t u = (uint32_t)be(p + 1, 4);
		float f;
		memcpy(&f, &u, 4);
		*v = (struct mpv){ .type = MPV_FLOAT, .f = f };
	} else if (b == 0xcb) {
		uint64_t u = be(p + 1, 8);
		*v = (struct mpv){ .type = MPV_FLOAT };
		memcpy(&v->f, &u, 8);
	} else if (b >= 0xcc && b <= 0xcf) {
		*v = (struct mpv){ .type = MPV_UINT, .u = be(p + 1, (int)s.hdr - 1) };
	} else if (b >= 0xd0 && b <= 0xd3) {
		int w = (int)s.hdr - 1;
		uint64_t u = be(p + 1, w);
		int64_t i = w == 8 ? (int64_t)u
			  : (int64_t)(u << (64 - 8 * w)) >> (64 - 8 * w);
		*v = i < 0 ? (struct mpv){ .type = MPV_INT, .i = i }
			   : (struct mpv){ .type = MPV_UINT, .u = (uint64_t)i };
	} else if (b == 0xdc || b == 0xdd) {
		*v = (struct mpv){ .type = MPV_ARRAY, .count = (uint32_t)s.kids };
	} else {
		*v = (struct mpv){ .type = MPV_MAP, .count = (uint32_t)(s.kids / 2) };
	}
	r->pos += s.hdr + (size_t)s.body;
	return true;
}

bool mpr_skip(struct mpr *r)
{
	uint64_t pending = 1;
	while (pending) {
		struct mpv v;
		if (!mpr_next(r, &v))
			return false;
		pending--;
		if (v.type == MPV_ARRAY)
			pending += v.count;
		else if (v.type == MPV_MAP)
			pending += 2 * (uint64_t)v.count;
	}
	return true;
}

/* Unpack the whole value data[0..len) into r's zone (cleared first). */
static const msgpack_object *unpack(struct mpr *r, const char *data, size_t len, bool copy)
{
	if (!r->zone_ready) {
		if (!msgpack_zone_init(&r->zone, MSGPACK_ZONE_CHUNK_SIZE)) {
			mpr_fail(r, "out of memory reading %s stream", r->format);
			return NULL;
		}
		r->zone_ready = true;
	}
	msgpack_zone_clear(&r->zone);
	if (copy) {
		char *c = msgpack_zone_malloc(&r->zone, len ? len : 1);
		if (!c) {
			mpr_fail(r, "out of memory reading %s stream", r->format);
			return NULL;
		}
		memcpy(c, data, len);
		data = c;
	}
	size_t off = 0;
	/* The value is whole, so every count in it is backed by bytes that
	 * were read; msgpack-c refuses nesting deeper than 32. */
	msgpack_unpack_return ret = msgpack_unpack(data, len, &off, &r->zone, &r->obj);
	if (ret != MSGPACK_UNPACK_SUCCESS || off != len) {
		corrupt(r);
		return NULL;
	}
	return &r->obj;
}

const msgpack_object *mpr_object(struct mpr *r, bool copy)
{
	size_t len;
	if (r->failed || !value_len(r, &len))
		return NULL;
	const msgpack_object *o = unpack(r, (const char *)r->buf + r->pos, len, copy);
	if (o)
		r->pos += len;
	return o;
}

const msgpack_object *mpr_object_from(struct mpr *r, const void *p, size_t n)
{
	struct mpr m;
	size_t len;
	mpr_init_mem(&m, p, n, r->format);
	if (!value_len(&m, &len) || len != n) {
		mpr_fail(r, "%s", m.failed ? m.errmsg : "corrupt stream");
		return NULL;
	}
	return unpack(r, p, n, true);
}

bool mpbytes_add(struct mpbytes *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->n + n)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return false;
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	return true;
}

void mpbytes_free(struct mpbytes *b)
{
	free(b->p);
	*b = (struct mpbytes){ 0 };
}

bool mpr_copy_value(struct mpr *r, struct mpbytes *out)
{
	size_t len;
	if (r->failed || !value_len(r, &len))
		return false;
	if (!mpbytes_add(out, r->buf + r->pos, len)) {
		mpr_fail(r, "out of memory reading %s stream", r->format);
		return false;
	}
	r->pos += len;
	return true;
}
