/* printf.c - bpftrace's printf (docs/bpftrace-compat.md "printf formats").
 *
 * A format is split after each recognised specifier (bpftrace's regex:
 * %[-][0-9]*(.[0-9]+)?(s|rx|rh|r|c|(hh|h|ll|l|j|z|t)?[duoxXp])); part i is
 * the literal text before specifier i plus the specifier, and the text after
 * the last one is appended verbatim (so a trailing "%%" stays "%%").
 * Upstream hands each part to C snprintf with one argument converted to the
 * C type of the length modifier (no modifier: int, so %d prints 32 bits).
 * We do the same, with one safety change: the literal text of a part is
 * written by us (a "%%" pair becomes "%", as snprintf would do) and only
 * the specifier goes through snprintf, so stray "%" sequences in the
 * literal can never read a missing argument.  Formats are prepared once per
 * printf id; the common plain specifiers are formatted without snprintf.
 */
#include "fmt.h"

#include <ctype.h>
#include <stdio.h>

#include "arena.h"

enum conv { CV_INT, CV_STR, CV_BUF };
enum lenmod { LM_INT, LM_CHAR, LM_SHORT, LM_LONG };

struct pf_part {
	const char *lit;      /* literal output before the specifier */
	size_t litlen;
	const char *spec;     /* the specifier for snprintf (%r.. as %s); NULL: none */
	enum conv conv;
	char cv;              /* conversion character: d u o x X p c s r */
	enum lenmod lm;
	int bufmode;          /* %r 0, %rx 1, %rh 2 */
	bool plain;           /* no flags, width or precision */
};

struct pf {
	uint32_t n;
	struct pf_part *parts;
	const char *tail;     /* verbatim text after the last used specifier */
	size_t taillen;
	const struct meta_fmt *mf;
};

/* Length of a recognised specifier at s (s[0] == '%'), 0 if none. */
static size_t match_spec(const char *s, struct pf_part *p)
{
	size_t j = 1;
	p->plain = true;
	if (s[j] == '-') {
		j++;
		p->plain = false;
	}
	while (isdigit((unsigned char)s[j])) {
		j++;
		p->plain = false;
	}
	if (s[j] == '.' && isdigit((unsigned char)s[j + 1])) {
		j++;
		while (isdigit((unsigned char)s[j]))
			j++;
		p->plain = false;
	}
	p->lm = LM_INT;
	p->bufmode = 0;
	if (s[j] == 'r') {
		p->conv = CV_BUF;
		p->cv = 'r';
		if (s[j + 1] == 'x' || s[j + 1] == 'h') {
			p->bufmode = s[j + 1] == 'x' ? 1 : 2;
			return j + 2;
		}
		return j + 1;
	}
	if (s[j] == 's' || s[j] == 'c') {
		p->conv = s[j] == 's' ? CV_STR : CV_INT;
		p->cv = s[j];
		p->lm = LM_CHAR;
		return j + 1;
	}
	size_t k = j;
	if (s[k] == 'h' && s[k + 1] == 'h') {
		p->lm = LM_CHAR;
		k += 2;
	} else if (s[k] == 'l' && s[k + 1] == 'l') {
		p->lm = LM_LONG;
		k += 2;
	} else if (s[k] == 'h') {
		p->lm = LM_SHORT;
		k++;
	} else if (s[k] && strchr("ljzt", s[k])) {
		p->lm = LM_LONG;
		k++;
	}
	if (s[k] && strchr("duoxXp", s[k])) {
		p->conv = CV_INT;
		p->cv = s[k];
		return k + 1;
	}
	return 0;
}

/* Literal text as snprintf prints it: "%%" pairs become "%". */
static const char *reduce(const char *s, size_t n, size_t *outlen)
{
	char *o = arena_alloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		o[k++] = s[i];
		if (s[i] == '%' && i + 1 < n && s[i + 1] == '%')
			i++;
	}
	*outlen = k;
	return o;
}

static struct pf *prepare(const struct meta_fmt *mf)
{
	struct pf *pf = ARENA_NEW(struct pf);
	pf->mf = mf;
	pf->parts = ARENA_ARRAY(struct pf_part, mf->nargs + 1);
	const char *s = mf->fmt;
	size_t len = strlen(s), start = 0, i = 0;
	while (i < len && pf->n < mf->nargs) {
		struct pf_part p;
		size_t m = s[i] == '%' ? match_spec(s + i, &p) : 0;
		if (!m) {
			i++;
			continue;
		}
		/* Does the specifier survive snprintf's pairing of "%%" in the
		 * literal?  ("%%d" is a literal "%d" to snprintf.) */
		bool live = true;
		for (size_t k = start; k < i; k++)
			if (s[k] == '%') {
				if (k + 1 == i)
					live = false;  /* "%" + "%d": the pair eats our '%' */
				else if (s[k + 1] == '%')
					k++;
			}
		size_t litend = live ? i : i + m;
		p.lit = reduce(s + start, litend - start, &p.litlen);
		if (live) {
			char *spec = arena_strndup(s + i, m);
			if (p.conv == CV_BUF) {       /* %-8rx -> %-8s */
				size_t sl = m - (p.bufmode ? 2 : 1);
				spec[sl] = 's';
				spec[sl + 1] = '\0';
			}
			p.spec = spec;
		} else {
			p.spec = NULL;
		}
		pf->parts[pf->n++] = p;
		start = i = i + m;
	}
	pf->tail = s + start;
	pf->taillen = len - start;
	return pf;
}

static void fmt_uint_fast(struct sbuf *b, uint64_t v, char cv)
{
	if (cv == 'x') {
		sb_printf(b, "%llx", (unsigned long long)v);
		return;
	}
	sb_u64(b, v);
}

static void put_int(struct sbuf *b, const struct pf_part *p, int64_t v)
{
	if (p->cv == 'p') {
		sb_printf(b, p->spec, (void *)(uintptr_t)v);
		return;
	}
	if (p->cv == 'c') {
		sb_printf(b, p->spec, (int)(char)v);
		return;
	}
	if (p->plain && (p->cv == 'd' || p->cv == 'u' || p->cv == 'x')) {
		bool sgn = p->cv == 'd';
		switch (p->lm) {
		case LM_INT:
			if (sgn)
				sb_i64(b, (int32_t)v);
			else
				fmt_uint_fast(b, (uint32_t)v, p->cv);
			return;
		case LM_CHAR:
			if (sgn)
				sb_i64(b, (int8_t)v);
			else
				fmt_uint_fast(b, (uint8_t)v, p->cv);
			return;
		case LM_SHORT:
			if (sgn)
				sb_i64(b, (int16_t)v);
			else
				fmt_uint_fast(b, (uint16_t)v, p->cv);
			return;
		case LM_LONG:
			if (sgn)
				sb_i64(b, v);
			else
				fmt_uint_fast(b, (uint64_t)v, p->cv);
			return;
		}
	}
	switch (p->lm) {
	case LM_INT: sb_printf(b, p->spec, (int)v); break;
	case LM_CHAR: sb_printf(b, p->spec, (int)(signed char)v); break;
	case LM_SHORT: sb_printf(b, p->spec, (int)(short)v); break;
	case LM_LONG: sb_printf(b, p->spec, (long long)v); break;
	}
}

/* The integer an argument holds (pointers and other 8-byte ids as u64). */
static int64_t arg_int(const struct type *t, const uint8_t *p)
{
	if (t->kind == TY_INT)
		return read_int(t, p);
	if (t->size >= 8)
		return (int64_t)read_u64(p);
	struct type u = *t;
	u.is_signed = false;
	return read_int(&u, p);
}

/* Text of a %s argument into s (not NUL-terminated). */
static void arg_text(struct fmt *f, struct sbuf *s, const struct type *t, const uint8_t *p)
{
	if (t->kind == TY_STRING) {
		size_t n = strnlen((const char *)p, t->size);
		sb_put(s, p, n);
		if (n + 1 == f->meta.cfg.max_strlen)
			sb_puts(s, f->meta.cfg.str_trunc_trailer);
	} else if (t->kind == TY_INT) {
		sb_i64(s, read_int(t, p));
	} else {
		val_fmt(f, s, t, p, 1, V_TEXT);
	}
}

void printf_fmt(struct fmt *f, struct sbuf *b, uint32_t id, const uint8_t *data, size_t n)
{
	if (id >= f->meta.printfs.n) {
		fmt_fail(f, "printf id %u out of range", id);
		return;
	}
	if (!f->printfs[id])
		f->printfs[id] = prepare(&f->meta.printfs.v[id]);
	const struct pf *pf = f->printfs[id];
	if (n < pf->mf->size) {
		fmt_fail(f, "printf event %u too short (%zu bytes, expected %u)", id, n,
			 pf->mf->size);
		return;
	}
	static struct sbuf s;   /* argument text; reused */
	for (uint32_t i = 0; i < pf->n; i++) {
		const struct pf_part *p = &pf->parts[i];
		const struct meta_arg *a = &pf->mf->args[i];
		const uint8_t *ap = data + a->offset;
		sb_put(b, p->lit, p->litlen);
		if (!p->spec)
			continue;
		switch (p->conv) {
		case CV_INT:
			put_int(b, p, arg_int(a->type, ap));
			break;
		case CV_STR:
			s.len = 0;
			if (p->plain) {
				arg_text(f, b, a->type, ap);
				break;
			}
			arg_text(f, &s, a->type, ap);
			sb_putc(&s, '\0');
			sb_printf(b, p->spec, s.p);
			break;
		case CV_BUF: {
			s.len = 0;
			if (a->type->kind == TY_BUFFER && a->type->size) {
				size_t len = ap[0] < a->type->size - 1 ? ap[0] : a->type->size - 1;
				fmt_buffer(&s, ap + 1, len, p->bufmode == 0, p->bufmode != 2);
			} else {
				arg_text(f, &s, a->type, ap);
			}
			sb_putc(&s, '\0');
			sb_printf(b, p->spec, s.p);
			break;
		}
		}
	}
	sb_put(b, pf->tail, pf->taillen);
}
