/* mp.c - msgpack writing/reading helpers and stream framing; see mp.h.
 *
 * Note: msgpack-c's unpacker refuses objects nested deeper than 32 levels
 * (MSGPACK_EMBED_STACK_SIZE is compiled into the library), so trees
 * (AST nodes, types) are never encoded as nested maps: they are flat
 * tables referencing each other by index (see codec.c).
 */
#include "mp.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "tool.h"

/* ---- writing ---- */

/* Once a write failed, nothing more is written: -EIO from then on. */
static int out_write_all(struct mp_out *o, const char *p, size_t n)
{
	if (o->failed)
		return -EIO;
	int r = tool_write_all(o->fd, p, n);
	o->failed = r < 0;
	return r;
}

int mp_out_flush(struct mp_out *o)
{
	int r = out_write_all(o, o->buf, o->len);
	o->len = 0;
	return r;
}

static int out_cb(void *data, const char *p, size_t n)
{
	struct mp_out *o = data;
	o->packed += n;
	if (o->max_record && o->packed - o->record_from > o->max_record)
		o->too_large = o->failed = true;
	if (o->failed)
		return -1;
	if (o->len + n > sizeof o->buf) {
		if (mp_out_flush(o) < 0)
			return -1;
		if (n > sizeof o->buf)
			return out_write_all(o, p, n) < 0 ? -1 : 0;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

void mp_out_init(struct mp_out *o, int fd)
{
	o->fd = fd;
	o->failed = false;
	o->max_record = 0;
	o->packed = o->record_from = 0;
	o->too_large = false;
	o->len = 0;
	msgpack_packer_init(&o->pk, o, out_cb);
}

static void mp_put_strn(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void mp_put_str(msgpack_packer *pk, const char *s)
{
	if (!s)
		msgpack_pack_nil(pk);
	else
		mp_put_strn(pk, s, strlen(s));
}

void mp_put_bin(msgpack_packer *pk, const void *p, size_t n)
{
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, p, n);
}


void mp_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	mp_put_str(pk, k);
	mp_put_str(pk, v);
}

void mp_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
	mp_put_str(pk, k);
	msgpack_pack_int64(pk, v);
}

void mp_kv_uint(msgpack_packer *pk, const char *k, uint64_t v)
{
	mp_put_str(pk, k);
	msgpack_pack_uint64(pk, v);
}

void mp_kv_bool(msgpack_packer *pk, const char *k, bool v)
{
	mp_put_str(pk, k);
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

void mp_kv_bin(msgpack_packer *pk, const char *k, const void *p, size_t n)
{
	mp_put_str(pk, k);
	mp_put_bin(pk, p, n);
}

/* obj 2: objects carry meta.target (what they were compiled against
 * and which reads are relocated); bt-load cannot tell a version 1 object's
 * compile-time offsets from relocated ones, so it refuses it. */
static const struct {
	const char *format;
	int version;
} stream_versions[] = { { "ast", 1 }, { "ir", 1 }, { "obj", 2 }, { "out", 1 } };

int stream_version(const char *format)
{
	for (size_t i = 0; i < sizeof stream_versions / sizeof stream_versions[0]; i++)
		if (!strcmp(stream_versions[i].format, format))
			return stream_versions[i].version;
	return 1; /* no format of ours: the test tools' crafted streams */
}

void mp_write_header(struct mp_out *o, const char *format,
		     const struct source *src, int extra)
{
	msgpack_packer *pk = &o->pk;
	msgpack_pack_map(pk, 4 + (size_t)extra);
	mp_kv_str(pk, "format", format);
	mp_kv_int(pk, "version", stream_version(format));
	mp_kv_str(pk, "filename", src && src->filename ? src->filename : "stdin");
	mp_put_str(pk, "source");
	if (src && src->text)
		mp_put_bin(pk, src->text, strlen(src->text));
	else
		mp_put_bin(pk, "", 0);
}

void mp_write_end(struct mp_out *o)
{
	msgpack_pack_map(&o->pk, 1);
	mp_kv_str(&o->pk, "t", "end");
}

/* ---- decoding accessors ---- */

void mp_fail(struct mp_err *e, const char *fmt, ...)
{
	if (e->set)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->set = true;
}

bool mp_key_is(const msgpack_object *o, const char *key)
{
	size_t n = strlen(key);
	return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	       memcmp(o->via.str.ptr, key, n) == 0;
}

const msgpack_object *mp_get(const msgpack_object *map, const char *key)
{
	if (!map || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++)
		if (mp_key_is(&map->via.map.ptr[i].key, key))
			return &map->via.map.ptr[i].val;
	return NULL;
}

bool mp_is_nil(const msgpack_object *o)
{
	return !o || o->type == MSGPACK_OBJECT_NIL;
}

int64_t mp_int(struct mp_err *e, const msgpack_object *o, const char *what)
{
	if (mp_is_nil(o))
		return 0;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (int64_t)o->via.u64;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return o->via.i64;
	mp_fail(e, "field '%s' is not an integer", what);
	return 0;
}

uint64_t mp_uint(struct mp_err *e, const msgpack_object *o, const char *what)
{
	return (uint64_t)mp_int(e, o, what);
}

bool mp_bool(struct mp_err *e, const msgpack_object *o, const char *what)
{
	if (mp_is_nil(o))
		return false;
	if (o->type == MSGPACK_OBJECT_BOOLEAN)
		return o->via.boolean;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return o->via.u64 != 0;
	mp_fail(e, "field '%s' is not a boolean", what);
	return false;
}

char *mp_str(struct mp_err *e, const msgpack_object *o, const char *what, uint32_t *len)
{
	if (len)
		*len = 0;
	if (mp_is_nil(o))
		return NULL;
	if (o->type == MSGPACK_OBJECT_STR) {
		if (len)
			*len = o->via.str.size;
		return arena_strndup(o->via.str.ptr, o->via.str.size);
	}
	if (o->type == MSGPACK_OBJECT_BIN) {
		if (len)
			*len = o->via.bin.size;
		return arena_strndup(o->via.bin.ptr, o->via.bin.size);
	}
	mp_fail(e, "field '%s' is not a string", what);
	return NULL;
}

uint32_t mp_array(struct mp_err *e, const msgpack_object *o, const char *what,
		  const msgpack_object **items)
{
	*items = NULL;
	if (mp_is_nil(o))
		return 0;
	if (o->type != MSGPACK_OBJECT_ARRAY) {
		mp_fail(e, "field '%s' is not an array", what);
		return 0;
	}
	*items = o->via.array.ptr;
	return o->via.array.size;
}

/* ---- reading streams ---- */

/* The next top-level object of the stream, whole (mpread.c bounds what
 * msgpack-c allocates by the bytes actually read). */
static const msgpack_object *next_object(struct mp_in *in)
{
	in->r.before_block = in->before_block;
	in->r.before_block_arg = in->before_block_arg;
	in->r.limit = in->max_record;
	in->r.limit_from = in->r.base + in->r.pos;
	const msgpack_object *o = mpr_object(&in->r, false);
	if (!o) {
		snprintf(in->errmsg, sizeof in->errmsg, "%s", in->r.errmsg);
		in->eof = in->r.eof;
	}
	return o;
}

/* A format name from the input, made safe for a one-line message: at most
 * 40 bytes, control and non-ASCII bytes shown as '?'. */
static char *printable_name(const char *p, uint32_t n)
{
	if (n > 40)
		n = 40;
	char *s = arena_strndup(p, n);
	for (uint32_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
	return s;
}

const msgpack_object *mp_in_open(struct mp_in *in, int fd, const char *format,
				 struct source *src)
{
	memset(in, 0, sizeof *in);
	in->fd = fd;
	in->format = format ? format : "bt";
	mpr_init_fd(&in->r, fd, in->format);
	if (mpr_at_end(&in->r)) {
		in->eof = true;
		snprintf(in->errmsg, sizeof in->errmsg,
			 "empty input (expected a %s stream)", in->format);
		return NULL;
	}
	const msgpack_object *h = next_object(in);
	if (!h)
		return NULL;
	const msgpack_object *f = mp_get(h, "format");
	if (!f || f->type != MSGPACK_OBJECT_STR) {
		snprintf(in->errmsg, sizeof in->errmsg,
			 "input is not a %s stream (no stream header)", in->format);
		return NULL;
	}
	const char *name = printable_name(f->via.str.ptr, f->via.str.size);
	if (format && !mp_key_is(f, format)) {
		snprintf(in->errmsg, sizeof in->errmsg,
			 "expected a '%s' stream, got '%s'", format, name);
		return NULL;
	}
	if (!format)
		in->format = in->r.format = name;
	struct mp_err e = { 0 };
	int64_t v = mp_get_int(&e, h, "version");
	if (format && (e.set || v != stream_version(format))) {
		snprintf(in->errmsg, sizeof in->errmsg,
			 "unsupported %s stream version %lld (this tool reads version %d)",
			 format, (long long)v, stream_version(format));
		return NULL;
	}
	if (src) {
		src->filename = mp_get_str(&e, h, "filename");
		src->text = mp_get_str(&e, h, "source");
		if (!src->filename)
			src->filename = "stdin";
		if (!src->text)
			src->text = "";
	}
	if (e.set) {
		snprintf(in->errmsg, sizeof in->errmsg, "bad %s stream header: %s",
			 in->format, e.msg);
		return NULL;
	}
	return h;
}

const msgpack_object *mp_in_next(struct mp_in *in)
{
	const msgpack_object *o = next_object(in);
	if (!o)
		return NULL;
	if (o->type != MSGPACK_OBJECT_MAP) {
		snprintf(in->errmsg, sizeof in->errmsg,
			 "corrupt %s stream (record is not a map)", in->format);
		return NULL;
	}
	const msgpack_object *t = mp_get(o, "t");
	if (t && mp_key_is(t, "end"))
		return NULL;
	return o;
}

/* The record's map, one key at a time: keys `take` claims are read by
 * it; the other pairs are copied and made into one map object. */
const msgpack_object *mp_in_next_taking(struct mp_in *in, mp_take_fn take, void *arg)
{
	struct mpr *r = &in->r;
	r->before_block = in->before_block;
	r->before_block_arg = in->before_block_arg;
	r->limit = in->max_record;
	r->limit_from = r->base + r->pos;
	struct mpv v;
	struct mpbytes rest = { 0 }, key = { 0 };
	const msgpack_object *o = NULL;
	if (!mpr_next(r, &v))
		goto out;
	if (v.type != MPV_MAP) {
		snprintf(in->errmsg, sizeof in->errmsg,
			 "corrupt %s stream (record is not a map)", in->format);
		goto out;
	}
	uint32_t kept = 0;
	for (uint32_t i = 0; i < v.count; i++) {
		key.n = 0;
		if (!mpr_copy_value(r, &key))
			goto out;
		struct mpr kr;
		struct mpv k;
		mpr_init_mem(&kr, key.p, key.n, in->format);
		int took = 0;
		if (mpr_next(&kr, &k) && k.type == MPV_STR)
			took = take(arg, r, k.s.p, k.s.n);
		if (took < 0 || r->failed)
			goto out;
		if (took)
			continue;
		if (!mpbytes_add(&rest, key.p, key.n) || !mpr_copy_value(r, &rest))
			goto out;
		kept++;
	}
	/* the kept pairs behind a map header of their count */
	uint8_t hdr[5] = { 0xdf, (uint8_t)(kept >> 24), (uint8_t)(kept >> 16),
			   (uint8_t)(kept >> 8), (uint8_t)kept };
	struct mpbytes rec = { 0 };
	if (!mpbytes_add(&rec, hdr, sizeof hdr) || !mpbytes_add(&rec, rest.p, rest.n)) {
		mpbytes_free(&rec);
		goto out;
	}
	o = mpr_object_from(r, rec.p, rec.n);
	mpbytes_free(&rec);
	if (o && mp_key_is(mp_get(o, "t"), "end"))
		o = NULL;
out:
	if (!o && !in->errmsg[0] && r->failed)
		snprintf(in->errmsg, sizeof in->errmsg, "%s", r->errmsg);
	mpbytes_free(&rest);
	mpbytes_free(&key);
	return o;
}

void mp_in_close(struct mp_in *in)
{
	mpr_close(&in->r);
}

/* ---- readable dump ---- */

static void dump_str(FILE *out, const char *p, uint32_t n)
{
	fputc('"', out);
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 32 || c >= 127)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void mp_dump(FILE *out, const msgpack_object *o, int indent)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: fputs("null", out); break;
	case MSGPACK_OBJECT_BOOLEAN: fputs(o->via.boolean ? "true" : "false", out); break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER: fprintf(out, "%llu", (unsigned long long)o->via.u64); break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: fprintf(out, "%lld", (long long)o->via.i64); break;
	case MSGPACK_OBJECT_FLOAT32: case MSGPACK_OBJECT_FLOAT64: fprintf(out, "%g", o->via.f64); break;
	case MSGPACK_OBJECT_STR: dump_str(out, o->via.str.ptr, o->via.str.size); break;
	case MSGPACK_OBJECT_BIN:
		if (o->via.bin.size > 256) {
			fprintf(out, "<%u bytes>", o->via.bin.size);
		} else {
			fputs("b", out);
			dump_str(out, o->via.bin.ptr, o->via.bin.size);
		}
		break;
	case MSGPACK_OBJECT_EXT: fprintf(out, "<ext %u bytes>", o->via.ext.size); break;
	case MSGPACK_OBJECT_ARRAY: {
		bool simple = true;
		for (uint32_t i = 0; i < o->via.array.size; i++)
			if (o->via.array.ptr[i].type == MSGPACK_OBJECT_MAP ||
			    o->via.array.ptr[i].type == MSGPACK_OBJECT_ARRAY)
				simple = false;
		fputc('[', out);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i)
				fputs(simple ? ", " : ",", out);
			if (!simple)
				fprintf(out, "\n%*s", indent + 2, "");
			mp_dump(out, &o->via.array.ptr[i], indent + 2);
		}
		if (!simple && o->via.array.size)
			fprintf(out, "\n%*s", indent, "");
		fputc(']', out);
		break;
	}
	case MSGPACK_OBJECT_MAP:
		fputc('{', out);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			fprintf(out, "%s\n%*s", i ? "," : "", indent + 2, "");
			mp_dump(out, &o->via.map.ptr[i].key, indent + 2);
			fputs(": ", out);
			mp_dump(out, &o->via.map.ptr[i].val, indent + 2);
		}
		if (o->via.map.size)
			fprintf(out, "\n%*s", indent, "");
		fputc('}', out);
		break;
	}
}

void mp_put_loc(msgpack_packer *pk, struct loc l)
{
	msgpack_pack_int(pk, l.line);
	msgpack_pack_int(pk, l.col);
	msgpack_pack_int(pk, l.end_line);
	msgpack_pack_int(pk, l.end_col);
}

struct loc mp_loc_at(struct mp_err *e, const msgpack_object *v)
{
	struct loc l;
	l.line = (int)mp_int(e, &v[0], "line");
	l.col = (int)mp_int(e, &v[1], "col");
	l.end_line = (int)mp_int(e, &v[2], "line");
	l.end_col = (int)mp_int(e, &v[3], "col");
	return l;
}
