/* layout.c - printf/system/cat/debugf: format string checking
 * (docs/bpftrace-compat.md "printf formats") and the argument record layout
 * codegen and bt-fmt share (docs/bpftrace-compat.md "printf argument
 * records"): {u64 id; args...} as a C struct, integers widened to 8 bytes,
 * byte arrays and records aligned to 1, size rounded up to 8.
 */
#include <string.h>

#include "check.h"

/* Conversion specifiers, longest first so that %rx beats %r, %lld %ld. */
static const char *const specs[] = {
	"hhd", "hhu", "hho", "hhx", "hhX", "hhp", "lld", "llu", "llo", "llx", "llX",
	"llp", "rx", "rh", "hd", "hu", "ho", "hx", "hX", "hp", "ld", "lu", "lo", "lx",
	"lX", "lp", "jd", "ju", "jo", "jx", "jX", "jp", "zd", "zu", "zo", "zx", "zX",
	"zp", "td", "tu", "to", "tx", "tX", "tp", "s", "r", "c", "d", "u", "o", "x",
	"X", "p",
};

static const char *const debugf_specs[] = {
	"d", "u", "x", "ld", "lu", "lx", "lld", "llu", "llx", "p", "s",
};

/* Find the next conversion specifier at or after *pos; returns its
 * specifier text (without flags/width) or NULL at the end. */
static const char *next_spec(const char *fmt, size_t len, size_t *pos, size_t *end)
{
	for (size_t i = *pos; i < len; i++) {
		if (fmt[i] != '%')
			continue;
		size_t j = i + 1;
		if (j < len && fmt[j] == '-')
			j++;
		while (j < len && fmt[j] >= '0' && fmt[j] <= '9')
			j++;
		if (j + 1 < len && fmt[j] == '.' && fmt[j + 1] >= '0' && fmt[j + 1] <= '9') {
			j++;
			while (j < len && fmt[j] >= '0' && fmt[j] <= '9')
				j++;
		}
		for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
			size_t sl = strlen(specs[s]);
			if (j + sl <= len && memcmp(fmt + j, specs[s], sl) == 0) {
				*pos = i;
				*end = j + sl;
				return specs[s];
			}
		}
	}
	return NULL;
}

/* The kind a specifier wants: integer, string or buffer. */
static enum type_kind spec_kind(const char *spec)
{
	if (strcmp(spec, "s") == 0)
		return TY_STRING;
	if (spec[0] == 'r')
		return TY_BUFFER;
	return TY_INT;
}

/* What an argument counts as for the format check. */
static enum type_kind arg_kind(const struct type *t)
{
	switch (t->kind) {
	case TY_KSYM: case TY_USYM: case TY_PROBE: case TY_USERNAME: case TY_KSTACK:
	case TY_USTACK: case TY_INET: case TY_TIMESTAMP: case TY_MACADDR:
	case TY_CGROUP_PATH: case TY_STRERROR:
		return TY_STRING;
	case TY_PTR:
		return TY_INT;
	default:
		return t->kind;
	}
}

static const char *kname(enum type_kind k)
{
	return k == TY_INT ? "integer" : type_kind_name(k);
}

static struct type *printf_arg_type(struct type *t)
{
	if (t->kind == TY_INT && t->bits != 64)
		return type_int(64, t->is_signed);
	return t;
}

static uint32_t arg_align(const struct type *t)
{
	if (t->kind == TY_RECORD)
		return 1;
	return type_alignment(t);
}

static bool validate(struct check *c, struct node *call, const char *func,
		     int first_arg, const char *fmt, size_t len)
{
	size_t nargs = call->args.n - (size_t)first_arg;
	const char *toks[130];
	size_t ntok = 0, pos = 0, end;
	const char *sp;
	while ((sp = next_spec(fmt, len, &pos, &end))) {
		if (ntok < sizeof toks / sizeof toks[0])
			toks[ntok] = sp;
		ntok++;
		pos = end;
	}
	if (nargs < ntok) {
		err(c, call->loc, "%s: Not enough arguments for format string (%zu supplied, %zu expected)",
		    func, nargs, ntok);
		return false;
	}
	if (nargs > ntok) {
		err(c, call->loc, "%s: Too many arguments for format string (%zu supplied, %zu expected)",
		    func, nargs, ntok);
		return false;
	}
	bool debugf = strcmp(func, "debugf") == 0;
	if (debugf && nargs > 3) {
		err(c, call->loc, "%s: Cannot use more than 3 conversion specifiers", func);
		return false;
	}
	for (size_t i = 0; i < nargs; i++) {
		const char *tok = toks[i];
		if (debugf) {
			bool ok = false;
			for (size_t d = 0; d < sizeof debugf_specs / sizeof debugf_specs[0]; d++)
				ok |= strcmp(debugf_specs[d], tok) == 0;
			if (!ok) {
				err(c, call->loc, "%s: Unknown format string token: %%%s", func, tok);
				return false;
			}
		}
		enum type_kind want = spec_kind(tok);
		enum type_kind have = arg_kind(call->args.v[first_arg + i]->type);
		if (have != want) {
			err(c, call->loc, "%s: %%%s specifier expects a value of type %s (%s supplied)",
			    func, tok, kname(want), kname(have));
			return false;
		}
	}
	return true;
}

bool check_format(struct check *c, struct node *call, const char *func,
		  int first_arg, struct meta_fmt *out)
{
	struct node *f = call->args.v[0];
	if (c->final && !validate(c, call, func, first_arg, f->str, f->len))
		return false;
	uint32_t nargs = (uint32_t)(call->args.n - (size_t)first_arg);
	out->fmt = f->str;
	out->nargs = nargs;
	/* the tables are rebuilt on every pass; only the final one's stay */
	out->args = c->final ? ARENA_ARRAY(struct meta_arg, nargs + 1) : NULL;
	uint32_t off = 8, maxalign = 8;
	for (uint32_t i = 0; i < nargs; i++) {
		struct type *t = printf_arg_type(call->args.v[first_arg + i]->type);
		uint32_t a = arg_align(t);
		if (a > maxalign)
			maxalign = a;
		off = (off + a - 1) / a * a;
		if (out->args) {
			out->args[i].type = t;
			out->args[i].offset = off;
		}
		off += t->size;
	}
	out->size = (off + maxalign - 1) / maxalign * maxalign;
	return true;
}
