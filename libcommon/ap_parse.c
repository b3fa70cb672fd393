/* ap_parse.c - bpftrace's AttachPointParser (docs/bpftrace-compat.md "Attach
 * points"): split raw attach point text on unquoted ':', substitute
 * positional parameters, resolve provider aliases and wildcarded providers,
 * and check each provider's parts.  Purely textual: whatever needs the system
 * (binary paths, kfunc modules, wildcard matches) is left to bt-check.  Also
 * the integer conversion of literals ("Integer literals") and the '*' glob
 * ("Wildcards").
 */
#include "ap_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- integers (docs/bpftrace-compat.md "Integer literals") ---- */

static bool suffix_ok(const char *s)
{
	char t[4] = { 0 };
	size_t n = strlen(s);
	if (n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)s[i]);
	return !*t || !strcmp(t, "u") || !strcmp(t, "l") || !strcmp(t, "ll") ||
	       !strcmp(t, "ul") || !strcmp(t, "ull");
}

/* strtoull with std::stoull's failures ("stoull" for no digits/overflow). */
static bool stoull_(const char *s, int base, uint64_t *v, const char **end,
		    const char **err)
{
	char *e;
	errno = 0;
	*v = strtoull(s, &e, base);
	if (e == s || errno == ERANGE) {
		*err = "stoull";
		return false;
	}
	*end = e;
	return true;
}

bool ap_to_uint(const char *s, uint64_t *out, const char **err)
{
	size_t n = strlen(s);
	char small[64];
	char *buf = n < sizeof small ? small : arena_alloc(n + 1), *p = buf;
	for (const char *q = s; *q; q++)
		if (*q != '_')
			*p++ = *q;
	*p = 0;
	const char *end;
	uint64_t v;
	bool hex = buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X');
	char *e = hex ? NULL : strpbrk(buf, "eE");
	if (e) {
		*e = 0;
		uint64_t c, x;
		if (!stoull_(buf, 10, &c, &end, err) || !stoull_(e + 1, 10, &x, &end, err))
			return false;
		if (c > 9) {
			*err = arena_printf("Coefficient part of scientific literal must be in range (0,9), got: %llu",
					    (unsigned long long)c);
			return false;
		}
		if (x > 16) {
			*err = arena_printf("Exponent will overflow integer range: %llu",
					    (unsigned long long)x);
			return false;
		}
		v = c;
		while (x--)
			v *= 10;
	} else if (!stoull_(buf, hex ? 16 : 0, &v, &end, err)) {
		return false;
	}
	if (!suffix_ok(end)) {
		*err = "Found trailing non-numeric characters";
		return false;
	}
	*out = v;
	return true;
}

/* ---- glob (docs/bpftrace-compat.md "Wildcards") ---- */

bool ap_has_wildcard(const char *s)
{
	return s && (strchr(s, '*') || (strchr(s, '[') && strchr(s, ']')));
}

bool ap_glob_match(const char *pattern, const char *s)
{
	size_t slen = strlen(s), pos = 0;
	const char *p = pattern;
	bool first = true;
	while (*p) {
		if (*p == '*') {
			p++;
			first = false;
			continue;
		}
		size_t tl = strcspn(p, "*");
		if (first) {
			if (strncmp(s, p, tl) != 0)
				return false;
			pos = tl;
		} else {
			const char *hit = NULL;
			for (size_t i = pos; i + tl <= slen; i++)
				if (strncmp(s + i, p, tl) == 0) {
					hit = s + i;
					break;
				}
			if (!hit)
				return false;
			pos = (size_t)(hit - s) + tl;
		}
		first = false;
		p += tl;
	}
	size_t plen = strlen(pattern);
	if (plen && pattern[plen - 1] == '*')
		return true;
	return pos == slen;
}

/* ---- splitting ---- */

typedef VEC(char *) strvec;

struct buf {
	char *s;
	size_t n, cap;
};

static void buf_putc(struct buf *b, char c)
{
	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char *s = arena_alloc(cap);
		if (b->n)
			memcpy(s, b->s, b->n);
		b->s = s;
		b->cap = cap;
	}
	b->s[b->n++] = c;
	b->s[b->n] = 0;
}

static char *buf_take(struct buf *b)
{
	char *s = arena_strndup(b->s ? b->s : "", b->n);
	b->n = 0;
	return s;
}

#define MAX_SUBSTITUTIONS 1000

/* Split on unquoted ':'; '"' toggles quoting and is dropped; inside quotes
 * a backslash escapes the next character; outside quotes $N is replaced by
 * the parameter text, which is then scanned like the rest. */
static bool split(const char *raw, const struct ap_parse_opts *o, strvec *parts,
		  const char **substituted, const char **err)
{
	struct buf cur = { 0 };
	const char *text = raw;
	size_t i = 0;
	int subs = 0;
	bool quoted = false;
	while (text[i]) {
		char c = text[i];
		if (c == '"') {
			quoted = !quoted;
			i++;
		} else if (quoted) {
			if (c == '\\' && text[i + 1])
				c = text[++i];
			buf_putc(&cur, c);
			i++;
		} else if (c == ':') {
			VEC_PUSH(parts, buf_take(&cur));
			i++;
		} else if (c == '$' && isdigit((unsigned char)text[i + 1]) &&
			   subs < MAX_SUBSTITUTIONS) {
			size_t j = i + 1;
			while (isdigit((unsigned char)text[j]))
				j++;
			size_t k = j;
			while (text[k] && text[k] != ':' && text[k] != '"')
				k++;
			if (k > j) {
				*err = arena_printf("Found trailing text '%.*s' in positional parameter index. Try quoting the trailing text.",
						    (int)(k - j), text + j);
				return false;
			}
			long long n = strtoll(text + i + 1, NULL, 10);
			const char *param = n >= 1 && n <= o->nparams ? o->params[n - 1] : "";
			text = arena_printf("%.*s%s%s", (int)i, text, param, text + j);
			subs++;
		} else {
			buf_putc(&cur, c);
			i++;
		}
	}
	VEC_PUSH(parts, buf_take(&cur));
	*substituted = text;
	return true;
}

/* ---- per provider ---- */

enum res { AP_OK, AP_INVALID, AP_SKIP };

struct ctx {
	const struct ap_parse_opts *o;
	struct attach_point *ap;
	char **parts;
	int args;               /* parts after the provider */
	bool ignore_invalid;
	const char *err;
};

static enum res bad_count(struct ctx *c, const char *want)
{
	if (c->ignore_invalid)
		return AP_SKIP;
	c->err = arena_printf("%s probe type requires %s arguments, found %d",
			      probe_type_name(c->ap->provider), want, c->args);
	return AP_INVALID;
}

static enum res fail(struct ctx *c, const char *msg)
{
	c->err = msg;
	return AP_INVALID;
}

/* "name+off" -> func and func_offset. */
static enum res func_offset(struct ctx *c, const char *s, bool allowed)
{
	const char *plus = strchr(s, '+');
	if (!plus) {
		c->ap->func = s;
		return AP_OK;
	}
	if (!allowed)
		return fail(c, "Offset not allowed");
	if (strchr(plus + 1, '+'))
		return fail(c, "Cannot take more than one offset");
	char *end;
	errno = 0;
	unsigned long long off = strtoull(plus + 1, &end, 0);
	if (plus[1] == 0 || *end || errno)
		return fail(c, "Invalid offset");
	c->ap->func = arena_strndup(s, (size_t)(plus - s));
	c->ap->func_offset = off;
	return AP_OK;
}

static enum res p_begin_end(struct ctx *c)
{
	if (c->args == 0 || (c->args == 1 && strcmp(c->parts[1], "*") == 0))
		return AP_OK;
	return bad_count(c, "0");
}

static enum res p_kprobe(struct ctx *c)
{
	if (c->args != 1)
		return bad_count(c, "1");
	enum res r = func_offset(c, c->parts[1], c->ap->provider == PT_KPROBE);
	if (r == AP_OK && ap_has_wildcard(c->ap->func))
		c->ap->need_expansion = true;
	return r;
}

static enum res p_uprobe(struct ctx *c)
{
	struct attach_point *ap = c->ap;
	char **p = c->parts;
	if (c->o->have_pid && (c->args == 1 || (c->args == 2 && strcmp(p[1], "cpp") == 0))) {
		/* uprobe:func / uprobe:cpp:func with -p: the PID's binary */
		ap->target = "";
		if (c->args == 2)
			ap->lang = p[1];
	} else if (c->args == 2 || c->args == 3) {
		ap->target = p[1];
		if (c->args == 3)
			ap->lang = p[2];
	} else {
		return bad_count(c, "2 or 3");
	}
	const char *fn = p[c->args];
	if (strchr(fn, '+')) {
		enum res r = func_offset(c, fn, ap->provider == PT_UPROBE);
		if (r != AP_OK)
			return r;
	} else {
		uint64_t addr;
		const char *err;
		if (*fn && isdigit((unsigned char)*fn) && ap_to_uint(fn, &addr, &err)) {
			if (ap_has_wildcard(ap->target))
				return fail(c, "Cannot use wildcards with absolute address");
			ap->address = addr;
		} else {
			ap->func = fn;
		}
	}
	if (ap_has_wildcard(ap->target) || ap_has_wildcard(ap->func) || c->o->have_pid)
		ap->need_expansion = true;
	return AP_OK;
}

static enum res p_usdt(struct ctx *c)
{
	struct attach_point *ap = c->ap;
	if (c->o->have_pid && c->args == 1) {
		ap->target = "";
		ap->func = c->parts[1];
	} else if (c->args == 2) {
		ap->target = c->parts[1];
		ap->func = c->parts[2];
	} else if (c->args == 3) {
		ap->target = c->parts[1];
		ap->ns = c->parts[2];
		ap->func = c->parts[3];
	} else {
		return bad_count(c, "2 or 3");
	}
	if (!ap->ns || ap_has_wildcard(ap->target) || ap_has_wildcard(ap->ns) ||
	    ap_has_wildcard(ap->func) || c->o->have_pid)
		ap->need_expansion = true;
	return AP_OK;
}

static enum res p_tracepoint(struct ctx *c)
{
	struct attach_point *ap = c->ap;
	if (c->args == 1 && ap_has_wildcard(c->parts[1])) {
		ap->target = "*";
		ap->func = c->parts[1];
	} else if (c->args == 2) {
		ap->target = c->parts[1];
		ap->func = c->parts[2];
	} else {
		return bad_count(c, "2");
	}
	if (ap_has_wildcard(ap->target) || ap_has_wildcard(ap->func))
		ap->need_expansion = true;
	return AP_OK;
}

static enum res p_rawtracepoint(struct ctx *c)
{
	if (c->args != 1)
		return bad_count(c, "1");
	c->ap->func = c->parts[1];
	if (ap_has_wildcard(c->ap->func))
		c->ap->need_expansion = true;
	return AP_OK;
}

static enum res p_rate(struct ctx *c)
{
	struct attach_point *ap = c->ap;
	if (c->args == 1 && ap_has_wildcard(c->parts[1])) {
		ap->target = c->parts[1];
		ap->need_expansion = true;
		return AP_OK;
	}
	if (c->args != 2)
		return bad_count(c, "2");
	ap->target = c->parts[1];
	const char *err;
	if (!ap_to_uint(c->parts[2], &ap->freq, &err))
		return fail(c, arena_printf("%s\nInvalid rate of %s probe", err,
					    probe_type_name(ap->provider)));
	return AP_OK;
}

static enum res p_event(struct ctx *c)
{
	struct attach_point *ap = c->ap;
	if (c->args != 1 && c->args != 2)
		return bad_count(c, "1 or 2");
	ap->target = c->parts[1];
	if (c->args == 2 && *c->parts[2]) {
		const char *cnt = c->parts[2], *err;
		if (strcmp(cnt, "*") == 0)
			ap->need_expansion = true;
		else if (!ap_to_uint(cnt, &ap->freq, &err))
			return fail(c, arena_printf("%s\nInvalid count for %s probe", err,
						    probe_type_name(ap->provider)));
	}
	if (ap_has_wildcard(ap->target))
		ap->need_expansion = true;
	return AP_OK;
}

static enum res p_watchpoint(struct ctx *c)
{
	struct attach_point *ap = c->ap;
	if (c->args != 3)
		return bad_count(c, "3");
	const char *where = c->parts[1], *plus = strchr(where, '+'), *err;
	if (!plus) {
		if (!ap_to_uint(where, &ap->address, &err))
			return fail(c, arena_printf("%s\nInvalid function/address argument", err));
	} else {
		/* FUNC+argN: split on '+' without empty pieces, exactly two */
		const char *piece[3];
		size_t len[3], np = 0;
		for (const char *p = where; *p; ) {
			size_t n = strcspn(p, "+");
			if (n && np < 3) {
				piece[np] = p;
				len[np++] = n;
			}
			p += n + (p[n] == '+');
		}
		if (np != 2)
			return fail(c, "Invalid function/address argument");
		const char *arg = arena_strndup(piece[1], len[1]);
		char *end;
		if (strncmp(arg, "arg", 3) != 0 || !isdigit((unsigned char)arg[3]))
			return fail(c, "Invalid function argument");
		long n = strtol(arg + 3, &end, 10);
		if (*end || n < 0)
			return fail(c, "Invalid function argument");
		ap->func = arena_strndup(piece[0], len[0]);
		ap->arg_num = (int)n;
		if (ap_has_wildcard(ap->func))
			ap->need_expansion = true;
	}
	if (!ap_to_uint(c->parts[2], &ap->len, &err))
		return fail(c, arena_printf("%s\nInvalid length argument", err));
	ap->mode = c->parts[3];
	ap->async = ap->provider == PT_ASYNCWATCHPOINT;
	return AP_OK;
}

static enum res p_kfunc(struct ctx *c)
{
	struct attach_point *ap = c->ap;
	if (c->args == 1) {
		ap->func = c->parts[1];
		if (ap_has_wildcard(ap->func))
			ap->target = "*";
	} else if (c->args == 2) {
		ap->target = c->parts[1];
		ap->func = c->parts[2];
	} else {
		return bad_count(c, "1 or 2");
	}
	if (ap_has_wildcard(ap->target) || ap_has_wildcard(ap->func))
		ap->need_expansion = true;
	return AP_OK;
}

static enum res p_iter(struct ctx *c)
{
	struct attach_point *ap = c->ap;
	if (c->args != 1 && c->args != 2) {
		if (c->ignore_invalid)
			return AP_SKIP;
		return fail(c, "iter probe type takes 2 arguments (1 optional)");
	}
	ap->target = c->parts[1];
	if (c->args == 2)
		ap->pin = c->parts[2];
	if (ap_has_wildcard(ap->target)) {
		if (!c->o->listing)
			return fail(c, "iter probe type does not support wildcards");
		ap->need_expansion = true;
	}
	return AP_OK;
}

static enum res (*const parsers[PT__COUNT])(struct ctx *) = {
	[PT_BEGIN] = p_begin_end, [PT_END] = p_begin_end,
	[PT_KPROBE] = p_kprobe, [PT_KRETPROBE] = p_kprobe,
	[PT_UPROBE] = p_uprobe, [PT_URETPROBE] = p_uprobe,
	[PT_USDT] = p_usdt,
	[PT_TRACEPOINT] = p_tracepoint, [PT_RAWTRACEPOINT] = p_rawtracepoint,
	[PT_PROFILE] = p_rate, [PT_INTERVAL] = p_rate,
	[PT_SOFTWARE] = p_event, [PT_HARDWARE] = p_event,
	[PT_WATCHPOINT] = p_watchpoint, [PT_ASYNCWATCHPOINT] = p_watchpoint,
	[PT_KFUNC] = p_kfunc, [PT_KRETFUNC] = p_kfunc,
	[PT_ITER] = p_iter,
};

/* Providers a wildcarded provider may stand for, in name order. */
static const enum probe_type kernel_list[] = {
	PT_HARDWARE, PT_ITER, PT_KFUNC, PT_KPROBE, PT_RAWTRACEPOINT,
	PT_SOFTWARE, PT_TRACEPOINT,
};
static const enum probe_type user_list[] = { PT_UPROBE, PT_USDT };

static bool parse_one(const char *raw, const struct ap_parse_opts *o,
		      bool ignore_invalid, ap_list *out, const char **err);

/* Text after the first unquoted ':' (the whole text if there is none). */
static const char *after_provider(const char *raw)
{
	bool quoted = false;
	for (const char *p = raw; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (quoted && *p == '\\' && p[1])
			p++;
		else if (!quoted && *p == ':')
			return p + 1;
	}
	return raw;
}

static bool expand_provider(const char *raw, strvec *parts,
			    const struct ap_parse_opts *o, ap_list *out,
			    const char **err)
{
	const char *prov = parts->v[0];
	bool user = o->have_pid || (parts->n > 1 && strchr(parts->v[1], '/'));
	const enum probe_type *cands = user ? user_list : kernel_list;
	size_t ncands = user ? sizeof user_list / sizeof user_list[0]
			     : sizeof kernel_list / sizeof kernel_list[0];
	const char *query = parts->n == 1 ? "*" : prov;
	const char *rest = parts->n == 1 ? raw : after_provider(raw);
	enum probe_type matches[8];
	size_t nm = 0;
	for (size_t i = 0; i < ncands; i++)
		if (ap_glob_match(query, probe_type_name(cands[i])))
			matches[nm++] = cands[i];
	if (nm == 0) {
		*err = arena_printf("No probe type matched for %s", prov);
		return false;
	}
	for (size_t i = 0; i < nm; i++) {
		const char *nraw = arena_printf("%s:%s", probe_type_name(matches[i]), rest);
		if (!parse_one(nraw, o, nm > 1, out, err))
			return false;
	}
	return true;
}

static bool parse_one(const char *raw, const struct ap_parse_opts *o,
		      bool ignore_invalid, ap_list *out, const char **err)
{
	strvec parts = { 0 };
	const char *text;
	if (!split(raw, o, &parts, &text, err))
		return false;
	if (!*parts.v[0])
		return true; /* empty: dropped (trailing comma) */
	if (strchr(parts.v[0], '*') || (strchr(parts.v[0], '[') && strchr(parts.v[0], ']')))
		return expand_provider(raw, &parts, o, out, err);
	enum probe_type pt = probe_type_lookup(parts.v[0]);
	if (pt == PT_INVALID) {
		*err = arena_printf("Invalid probe type: %s", parts.v[0]);
		return false;
	}
	struct attach_point *ap = ARENA_NEW(struct attach_point);
	ap->provider = pt;
	ap->raw = text;
	ap->arg_num = -1;
	ap->ignore_invalid = ignore_invalid;
	struct ctx c = { o, ap, parts.v, (int)parts.n - 1, ignore_invalid, NULL };
	switch (parsers[pt](&c)) {
	case AP_OK:
		VEC_PUSH(out, ap);
		return true;
	case AP_SKIP:
		return true;
	case AP_INVALID:
		break;
	}
	*err = c.err;
	return false;
}

bool ap_parse(const char *raw, const struct ap_parse_opts *opts, ap_list *out,
	      const char **err)
{
	static const struct ap_parse_opts none = { 0 };
	*err = NULL;
	return parse_one(raw ? raw : "", opts ? opts : &none, false, out, err);
}
