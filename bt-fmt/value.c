/* value.c - the text of one value (docs/bpftrace-compat.md "Text output"):
 * map values, print(x), tuple/record/array elements, map key components, and
 * their JSON forms.
 *
 * Three modes: V_TEXT (values), V_KEY (map key components: stacks indented
 * by 4, records without spaces, integers signed by width, buffers over
 * their whole size) and V_JSON (quoted+escaped strings; tuples as arrays,
 * records as objects).  Project decision: pointer, mac_address and
 * timestamp values are quoted in JSON so that it stays valid.
 */
#include "fmt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

uint64_t read_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t read_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

int64_t read_int(const struct type *t, const uint8_t *p)
{
	switch (t->size) {
	case 1: return t->is_signed ? (int64_t)(int8_t)p[0] : (int64_t)p[0];
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return t->is_signed ? (int64_t)(int16_t)v : (int64_t)v;
	}
	case 4: {
		uint32_t v = read_u32(p);
		return t->is_signed ? (int64_t)(int32_t)v : (int64_t)v;
	}
	case 0: return 0;
	default: return (int64_t)read_u64(p);
	}
}

void json_escape(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *o = sb_reserve(b, n * 6);
	char *start = o;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		default:
			/* control bytes as bpftrace; bytes >= 0x80 as \u00XX (valid
			 * JSON; upstream writes \uffffffXX) */
			if (c <= 0x1f || c >= 0x80) {
				memcpy(o, "\\u00", 4);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 15];
				o += 6;
			} else {
				*o++ = (char)c;
			}
		}
	}
	b->len += (size_t)(o - start);
}

void json_str(struct sbuf *b, const char *s, size_t n)
{
	sb_putc(b, '"');
	json_escape(b, s, n);
	sb_putc(b, '"');
}

/* An address the way C++ prints a void*: 0x1234, and 0 for null. */
static void put_ptr(struct sbuf *b, uint64_t a)
{
	if (a)
		sb_printf(b, "0x%llx", (unsigned long long)a);
	else
		sb_putc(b, '0');
}

void fmt_buffer(struct sbuf *b, const uint8_t *p, size_t n, bool keep_ascii, bool escape)
{
	static const char hex[] = "0123456789abcdef";
	char *o = sb_reserve(b, n * 4);
	char *start = o;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (keep_ascii && c >= 32 && c <= 126) {
			*o++ = (char)c;
		} else if (escape) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
			if (i + 1 < n)
				*o++ = ' ';
		}
	}
	b->len += (size_t)(o - start);
}

static void put_frame_sym(struct sbuf *b, const struct frame *fr, bool user, bool perf)
{
	if (fr->name) {
		sb_puts(b, fr->name);
		sb_putc(b, '+');
		sb_u64(b, fr->offset);
		if (user && perf) {
			sb_puts(b, " (");
			sb_puts(b, fr->module ? fr->module : "[unknown]");
			sb_putc(b, ')');
		}
	} else {
		put_ptr(b, fr->addr);
		if (user && perf)
			sb_puts(b, " ([unknown])");
	}
}

static void fmt_stack(struct fmt *f, struct sbuf *b, const struct type *t, const uint8_t *p, int indent)
{
	bool user = t->kind == TY_USTACK;
	if (t->size < (user ? 16u : 8u))
		return;
	uint64_t id = read_u64(p);
	uint64_t pid = user ? read_u32(p + 8) : 0;
	const struct stack *s = tab_stack(f->tab, user, pid, t->stack_limit, id);
	if (!s || !s->n)
		return;   /* failed lookup: empty text (bt-load reported it) */
	sb_putc(b, '\n');
	for (uint32_t i = 0; i < s->n; i++) {
		const struct frame *fr = &s->frames[i];
		switch (t->stack_mode) {
		case STACK_RAW:
			sb_printf(b, "%llx\n", (unsigned long long)fr->addr);
			break;
		case STACK_PERF:
			sb_printf(b, "\t%llx ", (unsigned long long)fr->addr);
			put_frame_sym(b, fr, user, true);
			sb_putc(b, '\n');
			break;
		default:
			sb_spaces(b, indent);
			put_frame_sym(b, fr, user, false);
			sb_putc(b, '\n');
		}
	}
}

/* strftime() values (docs/bpftrace-compat.md "time and strftime"): every %f
 * becomes the microseconds. */
static void fmt_timestamp(struct fmt *f, struct sbuf *b, const uint8_t *p)
{
	uint32_t id = read_u32(p), mode = read_u32(p + 4);
	uint64_t ns = read_u64(p + 8);
	if (id >= f->meta.strftime_fmts.n) {
		fmt_fail(f, "strftime id %u out of range", id);
		return;
	}
	const char *fmt = f->meta.strftime_fmts.v[id];
	int64_t off = mode == TS_TAI || mode == TS_SW_TAI ? 0
		    : mode == TS_MONOTONIC ? f->monotonic_offset : f->realtime_offset;
	int64_t bsec = off / 1000000000, bnsec = off % 1000000000;
	if (bnsec < 0) {
		bnsec += 1000000000;
		bsec--;
	}
	uint64_t tot = (uint64_t)bnsec + ns;
	time_t sec = (time_t)(bsec + (int64_t)(tot / 1000000000));
	unsigned us = (unsigned)((tot % 1000000000) / 1000);

	static struct sbuf fbuf;   /* own scratch: callers may be using f->tmp */
	struct sbuf *fb = &fbuf;
	fb->len = 0;
	for (const char *s = fmt; *s; s++) {
		if (s[0] == '%' && s[1] == 'f') {
			sb_printf(fb, "%06u", us);
			s++;
		} else {
			sb_putc(fb, *s);
		}
	}
	sb_putc(fb, '\0');
	struct tm tm;
	size_t max = f->meta.cfg.max_strlen ? f->meta.cfg.max_strlen : 64;
	if (!localtime_r(&sec, &tm)) {
		fprintf(stderr, "ERROR: localtime_r: %s\n", strerror(errno));
		sb_puts(b, "(?)");
		return;
	}
	char *o = sb_reserve(b, max);
	size_t n = strftime(o, max, fb->p, &tm);
	if (n == 0) {
		fprintf(stderr, "ERROR: strftime returned 0\n");
		sb_puts(b, "(?)");
		return;
	}
	b->len += n;
}

static void fmt_inet(struct sbuf *b, const uint8_t *p)
{
	char s[INET6_ADDRSTRLEN];
	uint64_t af = read_u64(p);
	if (af == AF_INET) {
		if (inet_ntop(AF_INET, p + 8, s, sizeof s))
			sb_puts(b, s);
	} else if (af == AF_INET6) {
		if (inet_ntop(AF_INET6, p + 8, s, sizeof s))
			sb_puts(b, s);
	}
}

/* Integer value text: signed/unsigned at its width, divided ("Text output").
 */
static void fmt_int_value(struct sbuf *b, const struct type *t, const uint8_t *p, uint64_t div)
{
	int64_t v = read_int(t, p);
	if (t->size == 1 && t->bits == 1) {
		sb_u64(b, (uint8_t)v / div);
		return;
	}
	if (!t->is_signed) {
		sb_u64(b, (uint64_t)v / div);
		return;
	}
	/* the divisor is converted to the value's C type, as upstream does */
	int64_t d;
	switch (t->size) {
	case 1: d = (int8_t)div; break;
	case 2: d = (int16_t)div; break;
	case 4: d = (int32_t)div; break;
	default: d = (int64_t)div; break;
	}
	if (d == 0 || (d == -1 && v == INT64_MIN))
		d = 1;
	sb_i64(b, v / d);
}

static bool json_quoted(enum type_kind k)
{
	switch (k) {
	case TY_BUFFER: case TY_CGROUP_PATH: case TY_INET: case TY_KSTACK:
	case TY_KSYM: case TY_PROBE: case TY_STRERROR: case TY_STRING:
	case TY_USERNAME: case TY_USTACK: case TY_USYM:
	case TY_PTR: case TY_MACADDR: case TY_TIMESTAMP:   /* project decision */
		return true;
	default:
		return false;
	}
}

static void fmt_aggregate(struct fmt *f, struct sbuf *b, const struct type *t,
			  const uint8_t *p, uint64_t div, enum vmode mode);

void val_fmt(struct fmt *f, struct sbuf *b, const struct type *t, const uint8_t *p,
	     uint64_t div, enum vmode mode)
{
	if (!div)
		div = 1;
	if (mode == V_JSON && json_quoted(t->kind)) {
		/* text first, then quote it (leaves never use tmp2) */
		size_t start = b->len;
		val_fmt(f, b, t, p, div, V_TEXT);
		struct sbuf *q = &f->tmp2;
		q->len = 0;
		sb_put(q, b->p + start, b->len - start);
		b->len = start;
		json_str(b, q->p, q->len);
		return;
	}
	switch (t->kind) {
	case TY_INT:
		if (mode == V_KEY) {
			struct type st = *t;
			st.is_signed = true;
			fmt_int_value(b, &st, p, 1);
		} else {
			fmt_int_value(b, t, p, div);
		}
		break;
	case TY_COUNT:
		sb_u64(b, read_u64(p) / div);
		break;
	case TY_SUM:
	case TY_MIN:
	case TY_MAX:
		if (t->is_signed)
			sb_i64(b, (int64_t)read_u64(p) / (int64_t)div);
		else
			sb_u64(b, read_u64(p) / div);
		break;
	case TY_AVG:
		sb_i64(b, (int64_t)read_u64(p) / (int64_t)div);
		break;
	case TY_STRING:
		sb_put(b, p, strnlen((const char *)p, t->size));
		break;
	case TY_BUFFER:
		if (!t->size)
			break;
		if (mode == V_KEY) {
			fmt_buffer(b, p + 1, t->size - 1, true, true);
		} else {
			size_t n = p[0];
			if (n > t->size - 1)
				n = t->size - 1;
			fmt_buffer(b, p + 1, n, true, true);
		}
		break;
	case TY_PTR:
		sb_printf(b, "0x%llx", (unsigned long long)read_u64(p));
		break;
	case TY_KSTACK:
	case TY_USTACK:
		fmt_stack(f, b, t, p, mode == V_KEY ? 4 : 8);
		break;
	case TY_KSYM: {
		uint64_t a = read_u64(p);
		const char *s = tab_sym(f->tab, false, 0, a);
		if (s)
			sb_puts(b, s);
		else
			put_ptr(b, a);
		break;
	}
	case TY_USYM: {
		uint64_t a = read_u64(p);
		const char *s = tab_sym(f->tab, true, read_u64(p + 8), a);
		if (s)
			sb_puts(b, s);
		else
			put_ptr(b, a);
		break;
	}
	case TY_PROBE: {
		uint64_t id = read_u64(p);
		if (id < f->meta.probe_names.n)
			sb_puts(b, f->meta.probe_names.v[id]);
		break;
	}
	case TY_USERNAME: {
		const char *s = tab_user(f->tab, read_u64(p));
		if (s)
			sb_puts(b, s);
		break;
	}
	case TY_INET:
		fmt_inet(b, p);
		break;
	case TY_TIMESTAMP:
		fmt_timestamp(f, b, p);
		break;
	case TY_MACADDR:
		sb_printf(b, "%02X:%02X:%02X:%02X:%02X:%02X", p[0], p[1], p[2], p[3], p[4], p[5]);
		break;
	case TY_CGROUP_PATH: {
		const char *s = tab_cgroup(f->tab, read_u64(p + 8), read_u64(p));
		if (s)
			sb_puts(b, s);
		break;
	}
	case TY_STRERROR:
		sb_puts(b, strerror((int)read_u64(p)));
		break;
	case TY_ARRAY:
	case TY_TUPLE:
	case TY_RECORD:
		fmt_aggregate(f, b, t, p, div, mode);
		break;
	default:
		break;   /* none, hist/lhist/stats (printed by maps.c), modes */
	}
}

/* A record field that is a bitfield: extract it as an unsigned value. */
static void fmt_bitfield(struct sbuf *b, const struct field *fd, const uint8_t *p)
{
	uint64_t v = 0;
	uint32_t n = fd->type->size < 8 ? fd->type->size : 8;
	memcpy(&v, p, n);
	v = fd->bit_offset < 64 ? v >> fd->bit_offset : 0;
	if (fd->bit_width < 64)
		v &= (1ULL << fd->bit_width) - 1;
	sb_u64(b, v);
}

static void fmt_aggregate(struct fmt *f, struct sbuf *b, const struct type *t,
			  const uint8_t *p, uint64_t div, enum vmode mode)
{
	if (t->kind == TY_ARRAY) {
		sb_putc(b, '[');
		uint32_t esz = t->elem ? t->elem->size : 0;
		for (uint32_t i = 0; i < t->count && t->elem; i++) {
			if (i)
				sb_putc(b, ',');
			val_fmt(f, b, t->elem, p + (size_t)i * esz, div, mode);
		}
		sb_putc(b, ']');
		return;
	}
	if (t->kind == TY_TUPLE) {
		sb_puts(b, mode == V_JSON ? "[" : "(");
		for (uint32_t i = 0; i < t->nfields; i++) {
			if (i)
				sb_puts(b, mode == V_JSON ? "," : ", ");
			const struct type *et = t->fields[i].type;
			/* bpftrace v0.20 prints a usym inside a tuple as its
			 * address (conformance: tuples "bytearray in tuple") */
			if (et->kind == TY_USYM && mode != V_JSON)
				put_ptr(b, read_u64(p + t->fields[i].offset));
			else
				val_fmt(f, b, et, p + t->fields[i].offset, div, mode);
		}
		sb_puts(b, mode == V_JSON ? "]" : ")");
		return;
	}
	/* record */
	sb_puts(b, mode == V_KEY ? "{" : "{ ");
	for (uint32_t i = 0; i < t->nfields; i++) {
		const struct field *fd = &t->fields[i];
		if (i)
			sb_puts(b, mode == V_KEY ? "," : ", ");
		const char *name = fd->name ? fd->name : "";
		if (mode == V_JSON) {
			sb_putc(b, '"');
			sb_puts(b, name);
			sb_puts(b, "\": ");
		} else {
			sb_putc(b, '.');
			sb_puts(b, name);
			sb_puts(b, mode == V_KEY ? "=" : " = ");
		}
		if (fd->bit_width && fd->type->kind == TY_INT)
			fmt_bitfield(b, fd, p + fd->offset);
		else
			val_fmt(f, b, fd->type, p + fd->offset, div, mode);
	}
	sb_puts(b, mode == V_KEY ? "}" : " }");
}

void key_fmt(struct fmt *f, struct sbuf *b, const struct meta_map *m,
	     const uint8_t *key, bool json)
{
	if (!json)
		sb_puts(b, m->name);
	if (!m->nkeys && !f->key_host)
		return;
	if (!json)
		sb_putc(b, '[');
	if (f->key_host) {   /* merged --by-host: the host is the first part */
		sb_puts(b, f->key_host);
		if (m->nkeys)
			sb_puts(b, json ? "," : ", ");
	}
	uint32_t off = 0;
	for (uint32_t i = 0; i < m->nkeys; i++) {
		if (i)
			sb_puts(b, json ? "," : ", ");
		val_fmt(f, b, m->keys[i], key + off, 1, V_KEY);
		off += m->keys[i]->size;
	}
	if (!json)
		sb_putc(b, ']');
}
