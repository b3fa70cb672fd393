/* cdefs.c - the script's C definitions and the headers it includes,
 * compiled by libclang the way bpftrace v0.20 compiles them.
 *
 * Input: the definitions text bt-parse collected (struct/union/enum
 * definitions and preprocessor lines, in source order).  It becomes a
 * virtual file "definitions.h" whose first line is
 * `#include <__btf_generated_header.h>` (so the script's line N is the
 * file's line N+1, as clang reports it), compiled with bpftrace's flags:
 * `-isystem /bpftrace/include` (our virtual headers), clang's builtin and
 * the system include directories, the kernel's flags when its headers are
 * found (kheaders.c), `-include clang_workarounds.h`, each `-I DIR` and
 * `--include FILE`, and with BTF `-D_LINUX_TYPES_H -D__CLANG_WORKAROUNDS_H
 * -DBPFTRACE_HAVE_BTF`.
 *
 * With BTF, names the compile misses (`unknown type name`, `use of
 * undeclared identifier`, `field has incomplete type`) are looked up in
 * BTF and their definitions (libbpf's btf_dump, an enumerator bringing its
 * enum) written into the generated header; the compile is repeated until
 * no new name turns up.  When BTF's definitions clash with the script's or
 * its headers' (a `redefinition` diagnostic), or the script itself defines
 * a kernel type, BTF is left out and the BTF flags are dropped for the
 * final compile (bpftrace's "redefinition conflict"); without BTF the
 * virtual clang_workarounds.h brings <linux/types.h>.
 *
 * Output, asked for lazily by name: records with clang's layout (sizes,
 * offsets, bit-fields, packed/aligned attributes, anonymous members
 * flattened), typedefs, enum types; and the integer value of every
 * identifier of the program that is an enum constant or an object-like
 * macro (each such macro is evaluated by clang as the initializer of a
 * variable appended after the definitions; diagnostics located there are
 * not the script's and are dropped).  Record members whose type came from
 * the generated header are BTF's own types.
 *
 * Errors: when the compile has errors, all its diagnostics (warnings and
 * notes too), formatted as libclang prints them for bpftrace
 * (`definitions.h:2:21: error: unknown type name 'unknown_t'`), then
 * bpftrace's extra line: a redefinition warning or the hint to include
 * headers or install BTF.  A compile without errors prints nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "check.h"
#include "libclang.h"

#define MAIN_FILE "definitions.h"
#define VIRTUAL_DIR "/bpftrace/include"
#define BTF_HEADER VIRTUAL_DIR "/__btf_generated_header.h"
#define WORKAROUNDS_HEADER "clang_workarounds.h"
#define MACRO_VAR_PREFIX "__bt_macro_"
#define MAX_BTF_ROUNDS 32

/* Included first when there is no BTF: kernel types then start from
 * <linux/types.h>.  Two kernel macros expand to asm forms clang does not
 * parse; they are given forms it does (nothing is ever run). */
static const char workarounds_text[] =
	"#ifndef __CLANG_WORKAROUNDS_H\n"
	"#define __CLANG_WORKAROUNDS_H\n"
	"#include <linux/types.h>\n"
	"#ifdef asm_volatile_goto\n"
	"#undef asm_volatile_goto\n"
	"#define asm_volatile_goto(x...) asm volatile(\"asm goto is not parsed\")\n"
	"#endif\n"
	"#ifdef asm_inline\n"
	"#undef asm_inline\n"
	"#define asm_inline asm\n"
	"#endif\n"
	"#endif\n";

struct named_decl {
	const char *name;    /* "struct foo", "enum e", typedef name */
	CXCursor cursor;
	struct type *type;   /* converted on first lookup */
};

struct cdefs {
	const struct libclang *cx;
	struct check *c;
	CXIndex index;
	CXTranslationUnit tu;
	strvec idents;                   /* identifiers the program uses */
	bool *ident_unusable;            /* by idents index: its probe failed */
	strvec btf_types;                /* declared in the generated header */
	VEC(struct named_decl) decls;
	VEC(const char *) const_names;   /* enum constants and macros */
	VEC(int64_t) const_values;
	VEC(struct type *) records;      /* converted records, by name */
};

/* ---- small helpers over libclang ---- */

static const char *cx_str(const struct libclang *cx, CXString s)
{
	const char *p = cx->clang_getCString(s);
	char *copy = arena_strdup(p ? p : "");
	cx->clang_disposeString(s);
	return copy;
}

static const char *file_of(const struct libclang *cx, CXSourceLocation loc,
			   unsigned *line)
{
	CXFile f;
	unsigned l = 0, col, off;
	cx->clang_getFileLocation(loc, &f, &l, &col, &off);
	if (line)
		*line = l;
	return f ? cx_str(cx, cx->clang_getFileName(f)) : "";
}

static bool in_btf_header(struct cdefs *cd, CXCursor decl)
{
	return !strcmp(file_of(cd->cx, cd->cx->clang_getCursorLocation(decl), NULL),
		       BTF_HEADER);
}

static bool has(const strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

/* ---- the program's identifiers (macro and enum candidates) ---- */

static void collect_idents(struct node *n, strvec *out)
{
	if (!n)
		return;
	if (n->kind == N_IDENT && n->str && !has(out, n->str))
		VEC_PUSH(out, n->str);
	collect_idents(n->a, out);
	collect_idents(n->b, out);
	collect_idents(n->c, out);
	nodevec *lists[] = { &n->args, &n->body, &n->orelse };
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			collect_idents(lists[l]->v[i], out);
}

/* ---- the generated header: BTF's definitions of what clang missed ---- */

static const char *btf_header_text(struct cdefs *cd)
{
	struct sys *s = check_sys(cd->c);
	return s ? sys_btf_c_defs(s, cd->btf_types.v, cd->btf_types.n) : "";
}

/* ---- one compile ---- */

struct compile {
	bool failed;              /* an error or fatal error in the script's part */
	struct astr text;         /* the diagnostics, clang's format */
	strvec missing;           /* type names BTF may know */
	bool redefinition, unknown_type;
};

/* "...'NAME'..." after prefix: NAME, or the aka'd type when present. */
static const char *quoted_after(const char *msg, const char *prefix)
{
	const char *p = strstr(msg, prefix);
	if (!p)
		return NULL;
	p += strlen(prefix);
	const char *e = strchr(p, '\'');
	if (!e)
		return NULL;
	const char *aka = strstr(e, "(aka '");
	if (aka) {
		p = aka + 6;
		e = strchr(p, '\'');
		if (!e)
			return NULL;
	}
	return arena_strndup(p, (size_t)(e - p));
}

/* A diagnostic and its notes, one line each, as libclang prints them to
 * stderr for bpftrace: the include stack and macro expansions, which
 * libclang also offers as notes, are not among them. */
static void add_formatted(const struct libclang *cx, CXDiagnostic d, struct astr *text)
{
	astr_adds(text, cx_str(cx, cx->clang_formatDiagnostic(
		d, cx->clang_defaultDiagnosticDisplayOptions())));
	astr_addc(text, '\n');
	CXDiagnosticSet notes = cx->clang_getChildDiagnostics(d);
	unsigned n = notes ? cx->clang_getNumDiagnosticsInSet(notes) : 0;
	for (unsigned i = 0; i < n; i++) {
		CXDiagnostic note = cx->clang_getDiagnosticInSet(notes, i);
		const char *msg = cx_str(cx, cx->clang_getDiagnosticSpelling(note));
		if (strncmp(msg, "in file included from", 21) &&
		    strncmp(msg, "expanded from macro", 19))
			add_formatted(cx, note, text);
	}
}

static void read_diagnostics(struct cdefs *cd, unsigned script_lines, struct compile *out)
{
	const struct libclang *cx = cd->cx;
	unsigned n = cx->clang_getNumDiagnostics(cd->tu);
	for (unsigned i = 0; i < n; i++) {
		CXDiagnostic d = cx->clang_getDiagnostic(cd->tu, i);
		unsigned line;
		const char *file = file_of(cx, cx->clang_getDiagnosticLocation(d), &line);
		if (!strcmp(file, MAIN_FILE) && line > script_lines) {
			/* a macro probe (3 lines each): that macro has no value */
			size_t probe = (line - script_lines - 1) / 3;
			if (probe < cd->idents.n)
				cd->ident_unusable[probe] = true;
			cx->clang_disposeDiagnostic(d);
			continue;
		}
		enum CXDiagnosticSeverity sev = cx->clang_getDiagnosticSeverity(d);
		const char *msg = cx_str(cx, cx->clang_getDiagnosticSpelling(d));
		add_formatted(cx, d, &out->text);
		if (sev >= CXDiagnostic_Error)
			out->failed = true;
		if (strstr(msg, "redefinition"))
			out->redefinition = true;
		const char *name = NULL;
		if (!strncmp(msg, "unknown type name '", 19) ||
		    !strncmp(msg, "use of undeclared identifier '", 30)) {
			out->unknown_type = true;
			name = quoted_after(msg, "'");
		} else {
			name = quoted_after(msg, "has incomplete type '");
		}
		if (name && !has(&out->missing, name))
			VEC_PUSH(&out->missing, name);
		cx->clang_disposeDiagnostic(d);
	}
}

/* One parse of input (btf: the generated header's text). */
static bool compile(struct cdefs *cd, const char *input, unsigned script_lines,
		    strvec *args, const char *btf, struct compile *out)
{
	const struct libclang *cx = cd->cx;
	struct CXUnsavedFile files[] = {
		{ MAIN_FILE, input, strlen(input) },
		{ BTF_HEADER, btf, strlen(btf) },
		{ VIRTUAL_DIR "/" WORKAROUNDS_HEADER, workarounds_text,
		  sizeof workarounds_text - 1 },
	};
	if (cd->tu)
		cx->clang_disposeTranslationUnit(cd->tu);
	cd->tu = NULL;
	*out = (struct compile){ 0 };
	memset(cd->ident_unusable, 0, cd->idents.n * sizeof *cd->ident_unusable);
	enum CXErrorCode rc = cx->clang_parseTranslationUnit2(
		cd->index, MAIN_FILE, args->v, (int)args->n, files,
		sizeof files / sizeof files[0], CXTranslationUnit_None, &cd->tu);
	if (rc != CXError_Success || !cd->tu) {
		astr_adds(&out->text, "definitions.h: clang could not parse the C definitions\n");
		out->failed = true;
		return false;
	}
	read_diagnostics(cd, script_lines, out);
	return !out->failed;
}

/* ---- what the translation unit defines ---- */

/* A later definition of the same name (only possible through typedef
 * redeclarations) is never found: lookups take the first. */
static void add_decl(struct cdefs *cd, const char *name, CXCursor cur)
{
	struct named_decl d = { name, cur, NULL };
	VEC_PUSH(&cd->decls, d);
}

static void add_const(struct cdefs *cd, const char *name, int64_t v)
{
	VEC_PUSH(&cd->const_names, name);
	VEC_PUSH(&cd->const_values, v);
}

static enum CXChildVisitResult visit_decl(CXCursor cur, CXCursor parent, CXClientData data)
{
	struct cdefs *cd = data;
	const struct libclang *cx = cd->cx;
	enum CXCursorKind k = cx->clang_getCursorKind(cur);
	switch (k) {
	case CXCursor_StructDecl: case CXCursor_UnionDecl: case CXCursor_EnumDecl:
		if (cx->clang_isCursorDefinition(cur) && !in_btf_header(cd, cur))
			add_decl(cd, cx_str(cx, cx->clang_getTypeSpelling(cx->clang_getCursorType(cur))),
				 cur);
		return CXChildVisit_Recurse; /* nested definitions, enum constants */
	case CXCursor_TypedefDecl:
		if (!in_btf_header(cd, cur))
			add_decl(cd, cx_str(cx, cx->clang_getCursorSpelling(cur)), cur);
		return CXChildVisit_Continue;
	case CXCursor_EnumConstantDecl: {
		const char *name = cx_str(cx, cx->clang_getCursorSpelling(cur));
		if (has(&cd->idents, name))
			add_const(cd, name, cx->clang_getEnumConstantDeclValue(cur));
		return CXChildVisit_Continue;
	}
	case CXCursor_VarDecl: {
		const char *name = cx_str(cx, cx->clang_getCursorSpelling(cur));
		if (strncmp(name, MACRO_VAR_PREFIX, strlen(MACRO_VAR_PREFIX)) ||
		    cx->clang_isInvalidDeclaration(cur))
			return CXChildVisit_Continue;
		name += strlen(MACRO_VAR_PREFIX);
		for (size_t i = 0; i < cd->idents.n; i++)
			if (!strcmp(cd->idents.v[i], name) && cd->ident_unusable[i])
				return CXChildVisit_Continue; /* not an expression */
		CXEvalResult r = cx->clang_Cursor_Evaluate(cur);
		if (r && cx->clang_EvalResult_getKind(r) == CXEval_Int)
			add_const(cd, name,
				  cx->clang_EvalResult_isUnsignedInt(r)
					  ? (int64_t)cx->clang_EvalResult_getAsUnsigned(r)
					  : cx->clang_EvalResult_getAsLongLong(r));
		if (r)
			cx->clang_EvalResult_dispose(r);
		return CXChildVisit_Continue;
	}
	default:
		(void)parent;
		return CXChildVisit_Continue; /* function bodies are not ours */
	}
}

/* ---- clang types -> struct type (bpftrace's mapping) ---- */

static struct type *conv(struct cdefs *cd, CXType t, bool by_value);

/* Records reached only by name: resolved later through lookup_named_type. */
static struct type *record_by_name(const char *name, long long size)
{
	struct type *r = type_record(name);
	r->size = size > 0 ? (uint32_t)size : 0;
	return r;
}

struct fields_ctx {
	struct cdefs *cd;
	CXType outer;                 /* the named record: offsets are in it */
	VEC(struct field) fields;
};

static enum CXChildVisitResult visit_field(CXCursor cur, CXCursor parent, CXClientData data)
{
	struct fields_ctx *fc = data;
	const struct libclang *cx = fc->cd->cx;
	enum CXCursorKind k = cx->clang_getCursorKind(cur);
	(void)parent;
	if ((k == CXCursor_StructDecl || k == CXCursor_UnionDecl) &&
	    cx->clang_Cursor_isAnonymousRecordDecl(cur)) {
		cx->clang_visitChildren(cur, visit_field, fc); /* members are the outer's */
		return CXChildVisit_Continue;
	}
	if (k != CXCursor_FieldDecl)
		return CXChildVisit_Continue;
	const char *name = cx_str(cx, cx->clang_getCursorSpelling(cur));
	if (!*name)
		return CXChildVisit_Continue; /* unnamed bit-field: padding */
	long long bits = cx->clang_Type_getOffsetOf(fc->outer, name);
	struct field f = { .name = name };
	f.type = conv(fc->cd, cx->clang_getCursorType(cur), true);
	if (bits < 0)
		bits = 0;
	if (cx->clang_Cursor_isBitField(cur)) {
		/* the storage unit holding it, as BTF records are read; a
		 * packed field that straddles units is read from its byte */
		uint32_t width = (uint32_t)cx->clang_getFieldDeclBitWidth(cur);
		uint32_t unit = f.type->size ? f.type->size * 8 : 8;
		uint64_t start = (uint64_t)bits / unit * unit;
		if ((uint64_t)bits - start + width > unit)
			start = (uint64_t)bits / 8 * 8;
		f.offset = (uint32_t)(start / 8);
		f.bit_offset = (uint16_t)((uint64_t)bits - start);
		f.bit_width = (uint16_t)width;
	} else {
		f.offset = (uint32_t)(bits / 8);
	}
	VEC_PUSH(&fc->fields, f);
	return CXChildVisit_Continue;
}

static struct type *convert_record(struct cdefs *cd, CXType t)
{
	const struct libclang *cx = cd->cx;
	CXCursor decl = cx->clang_getTypeDeclaration(t);
	const char *name = cx_str(cx, cx->clang_getTypeSpelling(cx->clang_getCursorType(decl)));
	for (size_t i = 0; i < cd->records.n; i++)
		if (!strcmp(cd->records.v[i]->name, name))
			return cd->records.v[i];
	long long size = cx->clang_Type_getSizeOf(t);
	struct type *r = record_by_name(name, size);
	if (size < 0)
		return r; /* declared, never defined */
	VEC_PUSH(&cd->records, r);
	long long align = cx->clang_Type_getAlignOf(t);
	r->align = align > 0 ? (uint32_t)align : 1;
	struct fields_ctx fc = { .cd = cd, .outer = t };
	cx->clang_visitChildren(decl, visit_field, &fc);
	r->fields = fc.fields.v;
	r->nfields = (uint32_t)fc.fields.n;
	r->incomplete = false;
	return r;
}

/* A type the generated header declared stands for BTF's own. */
static struct type *btf_type(struct cdefs *cd, const char *name, long long size, bool by_value)
{
	if (!by_value)
		return record_by_name(name, size);
	struct sys *s = check_sys(cd->c);
	struct type *t = s ? sys_kernel_type(s, name) : NULL;
	return t ? t : type_none();
}

static struct type *conv(struct cdefs *cd, CXType t, bool by_value)
{
	const struct libclang *cx = cd->cx;
	/* typedef sugar first: one from the generated header is BTF's */
	for (int depth = 0; depth < 64; depth++) {
		if (t.kind == CXType_Elaborated) {
			t = cx->clang_Type_getNamedType(t);
		} else if (t.kind == CXType_Typedef) {
			CXCursor td = cx->clang_getTypeDeclaration(t);
			if (in_btf_header(cd, td))
				return btf_type(cd, cx_str(cx, cx->clang_getCursorSpelling(td)),
						cx->clang_Type_getSizeOf(t), by_value);
			t = cx->clang_getTypedefDeclUnderlyingType(td);
		} else {
			break;
		}
	}
	t = cx->clang_getCanonicalType(t);
	long long size = cx->clang_Type_getSizeOf(t);
	int bits = size > 0 ? (int)(size * 8) : 0;
	switch (t.kind) {
	case CXType_Bool: case CXType_Char_U: case CXType_UChar: case CXType_UShort:
	case CXType_UInt: case CXType_ULong: case CXType_ULongLong: case CXType_Enum:
		return type_int(bits, false);
	case CXType_Char_S: case CXType_SChar: case CXType_Short: case CXType_Int:
	case CXType_Long: case CXType_LongLong:
		return type_int(bits, true);
	case CXType_Pointer:
		return type_ptr(conv(cd, cx->clang_getPointeeType(t), false), AS_KERNEL);
	case CXType_ConstantArray: {
		CXType elem = cx->clang_getCanonicalType(cx->clang_getArrayElementType(t));
		long long n = cx->clang_getNumElements(t);
		uint32_t count = n > 0 ? (uint32_t)n : 0;
		if (elem.kind == CXType_Char_S || elem.kind == CXType_Char_U)
			return type_string(count);
		return type_array(conv(cd, cx->clang_getArrayElementType(t), by_value), count);
	}
	case CXType_Record: {
		CXCursor decl = cx->clang_getTypeDeclaration(t);
		const char *name = cx_str(cx, cx->clang_getTypeSpelling(cx->clang_getCursorType(decl)));
		if (in_btf_header(cd, decl))
			return btf_type(cd, name, size, by_value);
		return by_value ? convert_record(cd, t) : record_by_name(name, size);
	}
	default:
		/* float, double, long double, __int128, functions, flexible
		 * arrays: no bpftrace type (their size still counts in the
		 * layout clang computed) */
		return type_none();
	}
}

/* ---- the compile, with BTF filling the gaps ---- */

static bool btf_available(struct cdefs *cd)
{
	struct sys *s = check_sys(cd->c);
	return s && sys_has_btf(s);
}

/* The script redefines a kernel type: BTF is not mixed in. */
static bool btf_conflict(struct cdefs *cd)
{
	struct sys *s = check_sys(cd->c);
	const struct libclang *cx = cd->cx;
	for (size_t i = 0; s && i < cd->decls.n; i++) {
		CXCursor d = cd->decls.v[i].cursor;
		enum CXCursorKind k = cx->clang_getCursorKind(d);
		if ((k == CXCursor_StructDecl || k == CXCursor_UnionDecl) &&
		    cx->clang_Location_isFromMainFile(cx->clang_getCursorLocation(d)) &&
		    sys_kernel_type(s, cd->decls.v[i].name))
			return true;
	}
	return false;
}

/* Each header clang read, for the snapshot's copy of the kernel's. */
static void note_header(CXFile file, CXSourceLocation *stack, unsigned depth, CXClientData data)
{
	struct cdefs *cd = data;
	(void)stack;
	(void)depth;
	sys_note_kernel_header(check_sys(cd->c), cx_str(cd->cx, cd->cx->clang_getFileName(file)));
}

static void system_include_args(strvec *args)
{
	struct utsname u;
	uname(&u);
	const char *arch_dir = arena_printf("/usr/include/%s-linux-gnu", u.machine);
	const char *dirs[] = { VIRTUAL_DIR, CLANG_RESOURCE_INCLUDE, "/usr/local/include",
			       arch_dir, "/usr/include", arch_dir };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		VEC_PUSH(args, "-isystem");
		VEC_PUSH(args, dirs[i]);
	}
}

/* libclang shows a compile's diagnostics (warnings too) only when it had
 * errors; bpftrace then adds its line. */
static void finish_messages(struct cdefs *cd, const struct compile *r)
{
	if (!r->failed)
		return;
	struct astr out = r->text;
	if (r->failed && r->redefinition) {
		if (!cd->c->o->no_warnings)
			astr_adds(&out, "WARNING: Cannot take type definitions from BTF since there "
					"is a redefinition conflict with user-defined types.\n");
	} else if (r->failed && r->unknown_type) {
		astr_adds(&out, "ERROR: Include headers with missing type definitions or install "
				"BTF information to your system.\n");
	}
	if (out.len && out.s[out.len - 1] == '\n')
		out.s[--out.len] = 0;
	if (out.len)
		cd->c->raw_stderr = out.s;
}

bool cdefs_parse(struct check *c, const char *text)
{
	const char *why = NULL;
	const struct libclang *cx = libclang_open(&why);
	if (!cx) {
		diag_error(c->d, (struct loc){ 0 }, "%s", why);
		return false;
	}
	struct cdefs *cd = ARENA_NEW(struct cdefs);
	cd->cx = cx;
	cd->c = c;
	c->cdefs = cd;
	collect_idents(c->prog_node, &cd->idents);
	cd->ident_unusable = ARENA_ARRAY(bool, cd->idents.n + 1);

	struct astr in = { 0 };
	astr_adds(&in, "#include <__btf_generated_header.h>\n");
	astr_adds(&in, text);
	if (!in.len || in.s[in.len - 1] != '\n')
		astr_addc(&in, '\n');
	unsigned script_lines = 0;
	for (size_t i = 0; i < in.len; i++)
		script_lines += in.s[i] == '\n';
	for (size_t i = 0; i < cd->idents.n; i++)
		astr_adds(&in, arena_printf("#ifdef %s\nstatic const __auto_type " MACRO_VAR_PREFIX
					    "%s = (%s);\n#endif\n",
					    cd->idents.v[i], cd->idents.v[i], cd->idents.v[i]));

	strvec args = { 0 };
	system_include_args(&args);
	const char *ksrc, *kbuild, *machine;
	bool kheaders = kheaders_find(c, &ksrc, &kbuild, &machine);
	if (kheaders)
		kheaders_cflags(ksrc, kbuild, machine, &args);
	VEC_PUSH(&args, "-include");
	VEC_PUSH(&args, WORKAROUNDS_HEADER);
	for (size_t i = 0; i < c->o->include_dirs.n; i++) {
		VEC_PUSH(&args, "-I");
		VEC_PUSH(&args, c->o->include_dirs.v[i]);
	}
	for (size_t i = 0; i < c->o->include_files.n; i++) {
		VEC_PUSH(&args, "-include");
		VEC_PUSH(&args, c->o->include_files.v[i]);
	}
	bool btf = btf_available(cd);
	if (btf) {
		VEC_PUSH(&args, "-D_LINUX_TYPES_H");
		VEC_PUSH(&args, "-D__CLANG_WORKAROUNDS_H");
		VEC_PUSH(&args, "-DBPFTRACE_HAVE_BTF");
	}

	cd->index = cx->clang_createIndex(0, 0);
	struct compile r;
	bool ok = compile(cd, astr_str(&in), script_lines, &args, "", &r);
	if (!ok && btf) {
		bool conflict = r.redefinition;
		if (!conflict) {
			cx->clang_visitChildren(cx->clang_getTranslationUnitCursor(cd->tu),
						visit_decl, cd);
			conflict = btf_conflict(cd);
			cd->decls.n = cd->const_names.n = cd->const_values.n = 0;
		}
		const char *header = "";
		for (int round = 0; !ok && !conflict && round < MAX_BTF_ROUNDS; round++) {
			size_t before = cd->btf_types.n;
			for (size_t i = 0; i < r.missing.n; i++)
				if (!has(&cd->btf_types, r.missing.v[i]))
					VEC_PUSH(&cd->btf_types, r.missing.v[i]);
			const char *next = btf_header_text(cd);
			if (cd->btf_types.n == before || !strcmp(next, header))
				break;
			header = next;
			ok = compile(cd, astr_str(&in), script_lines, &args, header, &r);
			conflict = r.redefinition;
		}
		args.n -= 3; /* the BTF flags, pushed last */
		cd->btf_types.n = 0;
		if (conflict) {
			ok = compile(cd, astr_str(&in), script_lines, &args, "", &r);
		} else if (!ok) {
			/* Headers that need what -D_LINUX_TYPES_H hides (macros
			 * BTF cannot give, such as DECLARE_BITMAP) may still
			 * compile alone; else the BTF attempt's errors stand. */
			struct compile alone;
			if (compile(cd, astr_str(&in), script_lines, &args, "", &alone)) {
				ok = true;
				r = alone;
			}
		}
	}
	finish_messages(cd, &r);
	if (kheaders && cd->tu)
		cx->clang_getInclusions(cd->tu, note_header, cd);
	if (!ok)
		return false;
	cx->clang_visitChildren(cx->clang_getTranslationUnitCursor(cd->tu), visit_decl, cd);
	return true;
}

struct type *cdefs_type(struct check *c, const char *name)
{
	struct cdefs *cd = c->cdefs;
	if (!cd)
		return NULL;
	const struct libclang *cx = cd->cx;
	for (size_t i = 0; i < cd->decls.n; i++) {
		struct named_decl *d = &cd->decls.v[i];
		if (strcmp(d->name, name))
			continue;
		if (!d->type) {
			CXType t = cx->clang_getCursorType(d->cursor);
			if (cx->clang_getCursorKind(d->cursor) == CXCursor_TypedefDecl)
				t = cx->clang_getTypedefDeclUnderlyingType(d->cursor);
			d->type = conv(cd, t, true);
		}
		return d->type;
	}
	return NULL;
}

bool cdefs_constant(struct check *c, const char *name, int64_t *v)
{
	struct cdefs *cd = c->cdefs;
	for (size_t i = 0; cd && i < cd->const_names.n; i++)
		if (!strcmp(cd->const_names.v[i], name)) {
			*v = cd->const_values.v[i];
			return true;
		}
	return false;
}
