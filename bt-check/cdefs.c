/* cdefs.c - the script's C definitions (brief §1.7, §1.8): struct, union
 * and enum declarations, typedefs, and the preprocessor lines the script
 * wrote (#define, #if/#ifdef/#ifndef/#else/#endif with BPFTRACE_HAVE_BTF
 * defined; #include'd kernel headers are served by BTF through
 * lookup_named_type, so they need no parsing here, but the declarations
 * of the user's own headers are taken from the preprocessor's output).
 *
 * Produces records with C layout (natural alignment, SysV bitfields:
 * offset = the storage unit's byte offset, bit_offset within it, as
 * sys_btf.c does), enum constants and object-like macros.  Only parsed
 * when the script has definitions.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ---- tokens ---- */

enum tok_kind { T_EOF, T_IDENT, T_NUM, T_PUNCT };

struct tok {
	enum tok_kind kind;
	const char *s;    /* ident / punct text */
	int64_t num;
	int line, col;    /* in the definitions text, 1-based */
};

struct cparser {
	struct check *c;
	VEC(struct tok) toks;
	size_t pos;
	const char *error;
	/* macros seen (name -> value) for #if */
	VEC(const char *) defined;
	bool plain_char;  /* the last base type was plain `char` */
	int line;         /* line being tokenized */
	const char *line_start;
	bool conflict_checked, conflict;
};

static void add_tok(struct cparser *p, enum tok_kind k, const char *s, int64_t num,
		    const char *at)
{
	struct tok t = { k, s, num, p->line,
			 at && p->line_start ? (int)(at - p->line_start) + 1 : 0 };
	VEC_PUSH(&p->toks, t);
}

static const char *skip_ws(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
			continue;
		}
		return s;
	}
}

static bool is_defined(struct cparser *p, const char *name)
{
	if (strcmp(name, "BPFTRACE_HAVE_BTF") == 0)
		return true;
	for (size_t i = 0; i < p->defined.n; i++)
		if (strcmp(p->defined.v[i], name) == 0)
			return true;
	return false;
}

/* The value of a #if expression: 0/1 literals, defined(X), !, && and ||
 * over those; anything else counts as false. */
static bool pp_if(struct cparser *p, const char *e)
{
	bool result = false, have = false;
	int op = 0; /* 0 none, 1 &&, 2 || */
	while (*(e = skip_ws(e))) {
		bool neg = false;
		while (*e == '!') {
			neg = !neg;
			e = skip_ws(e + 1);
		}
		bool v = false;
		if (strncmp(e, "defined", 7) == 0) {
			e = skip_ws(e + 7);
			bool paren = *e == '(';
			if (paren)
				e = skip_ws(e + 1);
			const char *b = e;
			while (isalnum((unsigned char)*e) || *e == '_')
				e++;
			v = is_defined(p, arena_strndup(b, (size_t)(e - b)));
			e = skip_ws(e);
			if (paren && *e == ')')
				e++;
		} else if (isdigit((unsigned char)*e)) {
			v = strtoll(e, (char **)&e, 0) != 0;
		} else {
			while (*e && !isspace((unsigned char)*e) && *e != '&' && *e != '|')
				e++;
		}
		if (neg)
			v = !v;
		result = !have ? v : op == 1 ? (result && v) : (result || v);
		have = true;
		e = skip_ws(e);
		if (e[0] == '&' && e[1] == '&') {
			op = 1;
			e += 2;
		} else if (e[0] == '|' && e[1] == '|') {
			op = 2;
			e += 2;
		} else if (*e) {
			e++;
		}
	}
	return result;
}

/* #define NAME value: the value's tokens concatenated without separators. */
static void pp_define(struct cparser *p, const char *s)
{
	s = skip_ws(s);
	const char *b = s;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	if (s == b)
		return;
	const char *name = arena_strndup(b, (size_t)(s - b));
	VEC_PUSH(&p->defined, name);
	if (*s == '(')
		return; /* function-like: not usable */
	char *val = arena_alloc(strlen(s) + 1);
	size_t n = 0;
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			val[n++] = *s;
	val[n] = 0;
	VEC_PUSH(&p->c->macro_names, name);
	VEC_PUSH(&p->c->macro_values, val);
}

static const char *const puncts[] = { "{", "}", ";", ",", "*", "[", "]", "(", ")",
				      ":", "=", "-", "+", "<<", ">>", "|", "&", "~" };

static void tokenize_line(struct cparser *p, const char *s)
{
	while (*(s = skip_ws(s))) {
		if (s[0] == '/' && s[1] == '/')
			return;
		if (isalpha((unsigned char)*s) || *s == '_') {
			const char *b = s;
			while (isalnum((unsigned char)*s) || *s == '_')
				s++;
			add_tok(p, T_IDENT, arena_strndup(b, (size_t)(s - b)), 0, b);
			continue;
		}
		if (isdigit((unsigned char)*s)) {
			char *end;
			const char *b = s;
			int64_t v = (int64_t)strtoull(s, &end, 0);
			s = end;
			while (isalpha((unsigned char)*s))
				s++; /* suffixes */
			add_tok(p, T_NUM, NULL, v, b);
			continue;
		}
		const char *found = NULL;
		for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++)
			if (strncmp(s, puncts[i], strlen(puncts[i])) == 0 &&
			    (!found || strlen(puncts[i]) > strlen(found)))
				found = puncts[i];
		if (found) {
			add_tok(p, T_PUNCT, found, 0, s);
			s += strlen(found);
		} else {
			s++; /* ignored character */
		}
	}
}

static void tokenize(struct cparser *p, const char *text)
{
	bool active[64] = { true };
	bool taken[64] = { true };
	int depth = 0;
	const char *line = text;
	bool in_comment = false;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *l = arena_strndup(line, len);
		line = end ? end + 1 : line + len;
		p->line++;
		p->line_start = l;
		if (in_comment) {
			char *e = strstr(l, "*/");
			if (!e)
				continue;
			in_comment = false;
			l = e + 2;
		}
		const char *s = skip_ws(l);
		if (*s == '#') {
			s = skip_ws(s + 1);
			bool on = active[depth];
			if (strncmp(s, "ifdef", 5) == 0 || strncmp(s, "ifndef", 6) == 0) {
				bool neg = s[2] == 'n';
				const char *n = skip_ws(s + (neg ? 6 : 5));
				const char *b = n;
				while (isalnum((unsigned char)*n) || *n == '_')
					n++;
				bool v = is_defined(p, arena_strndup(b, (size_t)(n - b)));
				if (depth < 63) {
					depth++;
					active[depth] = on && (neg ? !v : v);
					taken[depth] = neg ? !v : v;
				}
			} else if (strncmp(s, "if", 2) == 0) {
				bool v = pp_if(p, s + 2);
				if (depth < 63) {
					depth++;
					active[depth] = on && v;
					taken[depth] = v;
				}
			} else if (strncmp(s, "elif", 4) == 0 && depth) {
				bool v = !taken[depth] && pp_if(p, s + 4);
				active[depth] = active[depth - 1] && v;
				taken[depth] |= v;
			} else if (strncmp(s, "else", 4) == 0 && depth) {
				active[depth] = active[depth - 1] && !taken[depth];
				taken[depth] = true;
			} else if (strncmp(s, "endif", 5) == 0 && depth) {
				depth--;
			} else if (on && strncmp(s, "define", 6) == 0) {
				pp_define(p, s + 6);
			} else if (on && strncmp(s, "undef", 5) == 0) {
				const char *n = skip_ws(s + 5), *b = n;
				while (isalnum((unsigned char)*n) || *n == '_')
					n++;
				for (size_t i = 0; i < p->defined.n; i++)
					if (strlen(p->defined.v[i]) == (size_t)(n - b) &&
					    !strncmp(p->defined.v[i], b, (size_t)(n - b)))
						p->defined.v[i] = "";
			}
			continue;
		}
		if (!active[depth])
			continue;
		char *open = strstr(l, "/*");
		if (open && !strstr(open, "*/")) {
			*open = 0;
			in_comment = true;
		}
		tokenize_line(p, l);
	}
	add_tok(p, T_EOF, NULL, 0, NULL);
}

/* ---- parsing ---- */

static struct tok *peek(struct cparser *p)
{
	return &p->toks.v[p->pos];
}

static bool take(struct cparser *p, const char *punct)
{
	struct tok *t = peek(p);
	if ((t->kind == T_PUNCT || t->kind == T_IDENT) && strcmp(t->s, punct) == 0) {
		p->pos++;
		return true;
	}
	return false;
}

static void fail(struct cparser *p, const char *why)
{
	if (!p->error)
		p->error = why;
	while (peek(p)->kind != T_EOF)
		p->pos++;
}

static struct type *find_record(struct check *c, const char *name)
{
	for (size_t i = 0; i < c->records.n; i++)
		if (strcmp(c->records.v[i]->name, name) == 0)
			return c->records.v[i];
	return NULL;
}

static struct type *find_typedef(struct check *c, const char *name)
{
	for (size_t i = 0; i < c->typedefs.n; i++)
		if (strcmp(c->typedef_names.v[i], name) == 0)
			return c->typedefs.v[i];
	return NULL;
}

static struct type *parse_record_body(struct cparser *p, struct type *r, bool is_union);
static int64_t parse_const(struct cparser *p);

/* Common C type names without a header. */
static struct type *builtin_typedef(const char *n)
{
	static const struct { const char *n; int bits; bool sgn; } t[] = {
		{ "uint8_t", 8, false }, { "uint16_t", 16, false }, { "uint32_t", 32, false },
		{ "uint64_t", 64, false }, { "int8_t", 8, true }, { "int16_t", 16, true },
		{ "int32_t", 32, true }, { "int64_t", 64, true }, { "u8", 8, false },
		{ "u16", 16, false }, { "u32", 32, false }, { "u64", 64, false },
		{ "s8", 8, true }, { "s16", 16, true }, { "s32", 32, true }, { "s64", 64, true },
		{ "__u8", 8, false }, { "__u16", 16, false }, { "__u32", 32, false },
		{ "__u64", 64, false }, { "__s8", 8, true }, { "__s16", 16, true },
		{ "__s32", 32, true }, { "__s64", 64, true }, { "size_t", 64, false },
		{ "ssize_t", 64, true }, { "pid_t", 32, true }, { "uid_t", 32, false },
		{ "gid_t", 32, false }, { "bool", 8, false }, { "_Bool", 8, false },
		{ "uintptr_t", 64, false }, { "intptr_t", 64, true }, { "off_t", 64, true },
		{ "loff_t", 64, true }, { "umode_t", 16, false }, { "dev_t", 32, false },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i].n, n) == 0)
			return type_int(t[i].bits, t[i].sgn);
	return NULL;
}

/* Base type (specifiers) of a declaration; NULL on error. */
static struct type *parse_base(struct cparser *p, bool *is_typedef)
{
	struct check *c = p->c;
	int longs = 0, sgn = 0; /* sgn: 1 signed, -1 unsigned */
	bool have_int = false, have_char = false, have_short = false, have_void = false;
	struct type *t = NULL;
	for (;;) {
		struct tok *k = peek(p);
		if (k->kind != T_IDENT)
			break;
		const char *s = k->s;
		if (!strcmp(s, "typedef") && is_typedef) {
			*is_typedef = true;
		} else if (!strcmp(s, "const") || !strcmp(s, "volatile") || !strcmp(s, "static") ||
			   !strcmp(s, "extern") || !strcmp(s, "register") || !strcmp(s, "inline") ||
			   !strcmp(s, "__restrict") || !strcmp(s, "restrict")) {
		} else if (!strcmp(s, "unsigned")) {
			sgn = -1;
		} else if (!strcmp(s, "signed")) {
			sgn = 1;
		} else if (!strcmp(s, "long")) {
			longs++;
		} else if (!strcmp(s, "short")) {
			have_short = true;
		} else if (!strcmp(s, "int")) {
			have_int = true;
		} else if (!strcmp(s, "char")) {
			have_char = true;
		} else if (!strcmp(s, "void") || !strcmp(s, "float") || !strcmp(s, "double")) {
			have_void = true;
		} else if (!strcmp(s, "struct") || !strcmp(s, "union") || !strcmp(s, "enum")) {
			if (t || have_int || have_char || longs || have_short)
				break;
			p->pos++;
			bool is_union = s[0] == 'u', is_enum = s[0] == 'e';
			const char *tag = NULL;
			if (peek(p)->kind == T_IDENT) {
				tag = peek(p)->s;
				p->pos++;
			}
			if (is_enum) {
				if (take(p, "{")) {
					int64_t v = 0;
					while (peek(p)->kind == T_IDENT) {
						const char *n = peek(p)->s;
						p->pos++;
						if (take(p, "="))
							v = parse_const(p);
						VEC_PUSH(&c->enum_names, n);
						VEC_PUSH(&c->enum_values, v);
						v++;
						if (!take(p, ","))
							break;
					}
					if (!take(p, "}"))
						fail(p, "bad enum");
				}
				t = type_int(32, false);
				continue;
			}
			const char *name = tag ? arena_printf("%s %s", is_union ? "union" : "struct", tag)
					       : arena_printf("%s (anonymous)", is_union ? "union" : "struct");
			if (peek(p)->kind == T_PUNCT && !strcmp(peek(p)->s, "{")) {
				p->pos++;
				struct type *r = tag ? find_record(c, name) : NULL;
				if (!r) {
					r = type_record(name);
					if (tag)
						VEC_PUSH(&c->records, r);
				}
				t = parse_record_body(p, r, is_union);
			} else {
				t = find_record(c, name);
				if (!t)
					t = type_record(name); /* resolved later (BTF) */
			}
			continue;
		} else if (!t && !have_int && !have_char && !longs && !have_short && !sgn &&
			   !have_void) {
			struct type *td = find_typedef(c, s);
			if (!td)
				td = builtin_typedef(s);
			if (!td) {
				/* a kernel typedef, known to BTF */
				struct sys *sy = check_sys(c);
				td = sy ? sys_kernel_type(sy, s) : NULL;
			}
			if (!td)
				break;
			t = td;
		} else {
			break;
		}
		p->pos++;
	}
	p->plain_char = !t && have_char && sgn == 0;
	if (t)
		return t;
	if (have_void)
		return type_none();
	if (have_char)
		return type_int(8, sgn != -1);
	if (have_short)
		return type_int(16, sgn != -1);
	if (longs)
		return type_int(64, sgn != -1);
	if (have_int || sgn)
		return type_int(32, sgn != -1);
	return NULL;
}

/* Constant expressions in array sizes / enum values / bitfields. */
static int64_t parse_const_unary(struct cparser *p)
{
	if (take(p, "-"))
		return -parse_const_unary(p);
	if (take(p, "~"))
		return ~parse_const_unary(p);
	if (take(p, "(")) {
		int64_t v = parse_const(p);
		take(p, ")");
		return v;
	}
	struct tok *t = peek(p);
	if (t->kind == T_NUM) {
		p->pos++;
		return t->num;
	}
	if (t->kind == T_IDENT) {
		p->pos++;
		for (size_t i = 0; i < p->c->enum_names.n; i++)
			if (!strcmp(p->c->enum_names.v[i], t->s))
				return p->c->enum_values.v[i];
		for (size_t i = 0; i < p->c->macro_names.n; i++)
			if (!strcmp(p->c->macro_names.v[i], t->s))
				return strtoll(p->c->macro_values.v[i], NULL, 0);
		return 0;
	}
	fail(p, "bad constant");
	return 0;
}

static int64_t parse_const(struct cparser *p)
{
	int64_t v = parse_const_unary(p);
	for (;;) {
		if (take(p, "+"))
			v += parse_const_unary(p);
		else if (take(p, "-"))
			v -= parse_const_unary(p);
		else if (take(p, "*"))
			v *= parse_const_unary(p);
		else if (take(p, "<<"))
			v <<= parse_const_unary(p);
		else if (take(p, ">>"))
			v >>= parse_const_unary(p);
		else if (take(p, "|"))
			v |= parse_const_unary(p);
		else if (take(p, "&"))
			v &= parse_const_unary(p);
		else
			return v;
	}
}

/* Declarator: pointers, name, array dimensions; function pointers. */
static struct type *parse_declarator(struct cparser *p, struct type *base, const char **name)
{
	struct type *t = base;
	bool plain_char = p->plain_char; /* only `char` arrays are strings */
	*name = NULL;
	while (take(p, "*")) {
		t = type_ptr(t, AS_KERNEL);
		while (peek(p)->kind == T_IDENT && (!strcmp(peek(p)->s, "const") ||
						      !strcmp(peek(p)->s, "volatile")))
			p->pos++;
	}
	if (take(p, "(")) {
		/* function pointer: (*name)(params) */
		while (take(p, "*"))
			;
		if (peek(p)->kind == T_IDENT) {
			*name = peek(p)->s;
			p->pos++;
		}
		take(p, ")");
		if (take(p, "(")) {
			int depth = 1;
			while (depth && peek(p)->kind != T_EOF) {
				if (take(p, "("))
					depth++;
				else if (take(p, ")"))
					depth--;
				else
					p->pos++;
			}
		}
		return type_ptr(type_none(), AS_KERNEL);
	}
	if (peek(p)->kind == T_IDENT) {
		*name = peek(p)->s;
		p->pos++;
	}
	/* dimensions, innermost last: int a[2][3] is array 2 of array 3 */
	int64_t dims[8];
	int nd = 0;
	while (take(p, "[")) {
		int64_t n = peek(p)->kind == T_PUNCT && !strcmp(peek(p)->s, "]") ? 0 : parse_const(p);
		if (!take(p, "]"))
			fail(p, "bad array");
		if (nd < 8)
			dims[nd++] = n < 0 ? 0 : n;
	}
	for (int i = nd - 1; i >= 0; i--) {
		if (i == nd - 1 && t == base && plain_char)
			t = type_string((uint32_t)dims[i]);
		else
			t = type_array(t, (uint32_t)dims[i]);
	}
	return t;
}

static uint32_t align_of(struct type *t)
{
	if (t->kind == TY_STRING)
		return 1;
	if (t->kind == TY_ARRAY)
		return align_of(t->elem);
	if (t->kind == TY_RECORD)
		return t->align ? t->align : 1;
	return t->size ? (t->size > 8 ? 8 : t->size) : 1;
}

struct layout {
	VEC(struct field) fields;
	uint64_t bits;      /* next free bit (structs) */
	uint32_t size, align;
	bool is_union;
};

static void place(struct layout *l, const char *name, struct type *t, int width)
{
	uint32_t a = align_of(t);
	if (a > l->align)
		l->align = a;
	struct field f = { .name = name, .type = t };
	if (l->is_union) {
		f.offset = 0;
		if (width >= 0)
			f.bit_width = (uint16_t)width;
		if (t->size > l->size)
			l->size = t->size;
		VEC_PUSH(&l->fields, f);
		return;
	}
	if (width >= 0) {
		uint32_t unit = t->size ? t->size * 8 : 8;
		if (width == 0) {
			l->bits = (l->bits + unit - 1) / unit * unit;
			return;
		}
		if (l->bits % unit + (uint64_t)width > unit)
			l->bits = (l->bits + unit - 1) / unit * unit;
		uint64_t start = l->bits / unit * unit;
		f.offset = (uint32_t)(start / 8);
		f.bit_offset = (uint16_t)(l->bits - start);
		f.bit_width = (uint16_t)width;
		l->bits += (uint64_t)width;
	} else {
		uint64_t abits = (uint64_t)a * 8;
		l->bits = (l->bits + abits - 1) / abits * abits;
		f.offset = (uint32_t)(l->bits / 8);
		l->bits += (uint64_t)t->size * 8;
	}
	if (name)
		VEC_PUSH(&l->fields, f);
}

static void place_anonymous(struct layout *l, struct type *rec)
{
	uint32_t a = rec->align ? rec->align : 1;
	if (a > l->align)
		l->align = a;
	uint32_t base = 0;
	if (!l->is_union) {
		uint64_t abits = (uint64_t)a * 8;
		l->bits = (l->bits + abits - 1) / abits * abits;
		base = (uint32_t)(l->bits / 8);
		l->bits += (uint64_t)rec->size * 8;
	} else if (rec->size > l->size) {
		l->size = rec->size;
	}
	for (uint32_t i = 0; i < rec->nfields; i++) {
		struct field f = rec->fields[i];
		f.offset += base;
		VEC_PUSH(&l->fields, f);
	}
}

/* Types from BTF are not mixed with script types that redefine a kernel
 * type (bpftrace: "redefinition conflict"). */
static bool btf_conflict(struct cparser *p)
{
	if (p->conflict_checked)
		return p->conflict;
	p->conflict_checked = true;
	struct sys *s = check_sys(p->c);
	for (size_t i = 0; s && i < p->c->records.n; i++)
		if (sys_kernel_type(s, p->c->records.v[i]->name)) {
			p->conflict = true;
			diag_add(p->c->d, DIAG_WARNING, (struct loc){ 0 },
				 "Cannot take type definitions from BTF since there is a "
				 "redefinition conflict with user-defined types.");
			break;
		}
	return p->conflict;
}

/* A struct member held by value whose type the script does not define. */
static struct type *member_record(struct cparser *p, struct type *t, struct tok *at)
{
	struct type *full = find_record(p->c, t->name);
	if (full && !full->incomplete)
		return full;
	if (!btf_conflict(p)) {
		full = resolve_record(p->c, t);
		if (full)
			return full;
	}
	p->c->raw_stderr = arena_printf("definitions.h:%d:%d: error: field has incomplete type '%s'",
					at->line, at->col, t->name);
	fail(p, NULL);
	return NULL;
}

static struct type *parse_record_body(struct cparser *p, struct type *r, bool is_union)
{
	struct layout l = { .align = 1, .is_union = is_union };
	while (!take(p, "}")) {
		if (peek(p)->kind == T_EOF) {
			fail(p, "unterminated struct");
			return r;
		}
		if (take(p, ";"))
			continue;
		struct type *base = parse_base(p, NULL);
		if (!base) {
			fail(p, "unknown type");
			return r;
		}
		if (take(p, ";")) {
			if (base->kind == TY_RECORD && base->name && strstr(base->name, "(anonymous)"))
				place_anonymous(&l, base);
			continue;
		}
		do {
			const char *name;
			struct tok *at = peek(p);
			struct type *t = parse_declarator(p, base, &name);
			if (t->kind == TY_RECORD && t->incomplete && !t->nfields) {
				t = member_record(p, t, at);
				if (!t)
					return r;
			}
			int width = -1;
			if (take(p, ":"))
				width = (int)parse_const(p);
			place(&l, name, t, width);
		} while (take(p, ","));
		/* clang accepts a missing ';' before '}' (with a warning) */
		if (!take(p, ";") && !(peek(p)->kind == T_PUNCT && !strcmp(peek(p)->s, "}"))) {
			fail(p, "expected ;");
			return r;
		}
	}
	if (!is_union)
		l.size = (uint32_t)((l.bits + 7) / 8);
	r->size = (l.size + l.align - 1) / l.align * l.align;
	r->align = l.align;
	r->fields = l.fields.v;
	r->nfields = (uint32_t)l.fields.n;
	r->incomplete = false;
	return r;
}

static void parse_top(struct cparser *p)
{
	while (peek(p)->kind != T_EOF) {
		if (take(p, ";"))
			continue;
		bool is_typedef = false;
		struct type *base = parse_base(p, &is_typedef);
		if (!base) {
			fail(p, "unsupported declaration");
			return;
		}
		while (!take(p, ";")) {
			const char *name;
			struct type *t = parse_declarator(p, base, &name);
			if (is_typedef && name) {
				VEC_PUSH(&p->c->typedef_names, name);
				VEC_PUSH(&p->c->typedefs, t);
			}
			if (!take(p, ",") && peek(p)->kind != T_PUNCT) {
				fail(p, "expected ;");
				return;
			}
			if (peek(p)->kind == T_EOF)
				return;
			if (peek(p)->kind == T_PUNCT && strcmp(peek(p)->s, ";") && strcmp(peek(p)->s, ",") &&
			    strcmp(peek(p)->s, "*")) {
				fail(p, "expected ;");
				return;
			}
		}
	}
}

/* One declaration of a user header, kept when it parses. */
static void parse_header_decl(struct check *c, const char *text)
{
	size_t nrec = c->records.n, ntd = c->typedefs.n, nen = c->enum_names.n;
	const char *raw = c->raw_stderr;
	struct cparser p = { .c = c };
	tokenize(&p, text);
	parse_top(&p);
	if (p.error || c->raw_stderr != raw) {
		c->records.n = nrec;
		c->typedefs.n = c->typedef_names.n = ntd;
		c->enum_names.n = c->enum_values.n = nen;
		c->raw_stderr = raw;
	}
}

/* The struct/union/enum/typedef declarations of the user's headers count,
 * each on its own: what this parser does not know (prototypes, inline
 * functions, ...) is left out, as clang would not let it matter. */
static void parse_header_decls(struct check *c, const char *text)
{
	const char *start = text;
	int depth = 0;
	bool paren_before_brace = false;
	for (const char *s = text; *s; s++) {
		bool end = false;
		if (*s == '(' && depth == 0)
			paren_before_brace = true;
		else if (*s == '{')
			depth++;
		else if (*s == '}' && depth > 0)
			end = --depth == 0 && paren_before_brace;  /* a function body */
		else if (*s == ';' && depth == 0)
			end = true;
		if (!end)
			continue;
		const char *b = start;
		while (isspace((unsigned char)*b))
			b++;
		size_t n = (size_t)(s + 1 - b);
		if (!paren_before_brace || strncmp(b, "typedef", 7) == 0) {
			static const char *const kw[] = { "struct", "union", "enum", "typedef" };
			for (size_t k = 0; k < 4; k++)
				if (strncmp(b, kw[k], strlen(kw[k])) == 0 &&
				    !isalnum((unsigned char)b[strlen(kw[k])]) && b[strlen(kw[k])] != '_') {
					parse_header_decl(c, arena_strndup(b, n));
					break;
				}
		}
		start = s + 1;
		paren_before_brace = false;
	}
}

bool cdefs_parse(struct check *c, const char *text)
{
	struct cparser p = { .c = c };
	if (strstr(text, "#include") || c->o->include_files.n) {
		if (!cpp_macros(c, text))
			return false;
		parse_header_decls(c, cpp_user_decls(c, text));
	}
	tokenize(&p, text);
	parse_top(&p);
	if (c->raw_stderr)
		return false;
	if (p.error) {
		diag_add(c->d, DIAG_ERROR, (struct loc){ 0 },
			 "definitions.h: cannot parse the C definitions (%s)", p.error);
		return false;
	}
	return true;
}

/* ---- macro values as constant expressions ---- */

struct mexpr {
	struct check *c;
	const char *s;
	int depth;
	bool ok;
};

static int64_t m_cond(struct mexpr *m);

static void m_ws(struct mexpr *m)
{
	while (isspace((unsigned char)*m->s))
		m->s++;
}

static bool m_take(struct mexpr *m, const char *op)
{
	m_ws(m);
	size_t n = strlen(op);
	if (strncmp(m->s, op, n) != 0)
		return false;
	/* "<" must not eat "<<", "&" not "&&", ... */
	if (n == 1 && (op[0] == '<' || op[0] == '>' || op[0] == '&' || op[0] == '|') &&
	    m->s[1] == op[0])
		return false;
	m->s += n;
	return true;
}

static bool is_type_word(const char *w, size_t n)
{
	static const char *const words[] = { "unsigned", "signed", "int", "long", "short",
					     "char", "u8", "u16", "u32", "u64", "s8", "s16",
					     "s32", "s64", "__u8", "__u16", "__u32", "__u64",
					     "size_t", "uint32_t", "uint64_t", "int32_t",
					     "int64_t", "__s32", "__s64" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i]) == n && strncmp(words[i], w, n) == 0)
			return true;
	return false;
}

static int64_t m_unary(struct mexpr *m)
{
	m_ws(m);
	if (m_take(m, "-"))
		return -m_unary(m);
	if (m_take(m, "+"))
		return m_unary(m);
	if (m_take(m, "~"))
		return ~m_unary(m);
	if (m_take(m, "!"))
		return !m_unary(m);
	if (*m->s == '(') {
		/* a cast "(unsigned long)" is skipped */
		const char *save = ++m->s;
		bool cast = true, any = false;
		for (;;) {
			m_ws(m);
			const char *w = m->s;
			while (isalnum((unsigned char)*m->s) || *m->s == '_')
				m->s++;
			if (m->s == w)
				break;
			any = true;
			if (!is_type_word(w, (size_t)(m->s - w)))
				cast = false;
		}
		m_ws(m);
		if (cast && any && *m->s == ')') {
			m->s++;
			return m_unary(m);
		}
		m->s = save;
		int64_t v = m_cond(m);
		if (!m_take(m, ")"))
			m->ok = false;
		return v;
	}
	if (isdigit((unsigned char)*m->s)) {
		char *end;
		int64_t v = (int64_t)strtoull(m->s, &end, 0);
		m->s = end;
		while (*m->s == 'u' || *m->s == 'U' || *m->s == 'l' || *m->s == 'L')
			m->s++;
		return v;
	}
	if (isalpha((unsigned char)*m->s) || *m->s == '_') {
		const char *w = m->s;
		while (isalnum((unsigned char)*m->s) || *m->s == '_')
			m->s++;
		const char *name = arena_strndup(w, (size_t)(m->s - w));
		int64_t v;
		if (m->depth < 16 && macro_int(m->c, name, &v, m->depth + 1))
			return v;
		m->ok = false;
		return 0;
	}
	m->ok = false;
	return 0;
}

static int64_t m_mul(struct mexpr *m)
{
	int64_t v = m_unary(m);
	for (;;) {
		if (m_take(m, "*")) {
			v *= m_unary(m);
		} else if (m_take(m, "/")) {
			int64_t d = m_unary(m);
			v = d ? v / d : (m->ok = false, 0);
		} else if (m_take(m, "%")) {
			int64_t d = m_unary(m);
			v = d ? v % d : (m->ok = false, 0);
		} else {
			return v;
		}
	}
}

static int64_t m_add(struct mexpr *m)
{
	int64_t v = m_mul(m);
	for (;;) {
		if (m_take(m, "+"))
			v += m_mul(m);
		else if (m_take(m, "-"))
			v -= m_mul(m);
		else
			return v;
	}
}

static int64_t m_shift(struct mexpr *m)
{
	int64_t v = m_add(m);
	for (;;) {
		if (m_take(m, "<<"))
			v = (int64_t)((uint64_t)v << (m_add(m) & 63));
		else if (m_take(m, ">>"))
			v >>= m_add(m) & 63;
		else
			return v;
	}
}

static int64_t m_bits(struct mexpr *m)
{
	int64_t v = m_shift(m);
	for (;;) {
		if (m_take(m, "&"))
			v &= m_shift(m);
		else if (m_take(m, "^"))
			v ^= m_shift(m);
		else if (m_take(m, "|"))
			v |= m_shift(m);
		else
			return v;
	}
}

static int64_t m_cond(struct mexpr *m)
{
	int64_t v = m_bits(m);
	if (m_take(m, "?")) {
		int64_t a = m_cond(m);
		if (!m_take(m, ":"))
			m->ok = false;
		int64_t b = m_cond(m);
		return v ? a : b;
	}
	return v;
}

bool macro_int(struct check *c, const char *name, int64_t *v, int depth)
{
	for (size_t i = 0; i < c->enum_names.n; i++)
		if (strcmp(c->enum_names.v[i], name) == 0) {
			*v = c->enum_values.v[i];
			return true;
		}
	for (size_t i = c->macro_names.n; i-- > 0;) {
		if (strcmp(c->macro_names.v[i], name) != 0)
			continue;
		struct mexpr m = { c, c->macro_values.v[i], depth, true };
		if (!*m.s)
			return false;
		*v = m_cond(&m);
		m_ws(&m);
		return m.ok && !*m.s;
	}
	return false;
}
