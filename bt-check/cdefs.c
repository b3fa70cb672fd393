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
 * Output (cdefs_types.c), asked for lazily by name: records with clang's
 * layout, typedefs, enum types; and the integer value of every identifier
 * of the program that is an enum constant or an object-like macro (each
 * such macro is evaluated by clang as the initializer of a variable
 * appended after the definitions, three lines per identifier; diagnostics
 * located there are not the script's and are dropped).
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

#include "cdefs_int.h"

#define WORKAROUNDS_HEADER "clang_workarounds.h"
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

/* ---- small helpers over libclang ---- */

const char *cx_str(const struct libclang *cx, CXString s)
{
	const char *p = cx->clang_getCString(s);
	char *copy = arena_strdup(p ? p : "");
	cx->clang_disposeString(s);
	return copy;
}

static const char *cx_file_of(const struct libclang *cx, CXSourceLocation loc,
			      unsigned *line)
{
	CXFile f;
	unsigned l = 0, col, off;
	cx->clang_getFileLocation(loc, &f, &l, &col, &off);
	if (line)
		*line = l;
	return f ? cx_str(cx, cx->clang_getFileName(f)) : "";
}

bool in_btf_header(struct cdefs *cd, CXCursor decl)
{
	return !strcmp(cx_file_of(cd->cx, cd->cx->clang_getCursorLocation(decl), NULL),
		       BTF_HEADER);
}

bool strvec_has(const strvec *v, const char *s)
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
	if (n->kind == N_IDENT && n->str && !strvec_has(out, n->str))
		VEC_PUSH(out, n->str);
	for (int k = 0; k < 3; k++)
		collect_idents(node_kid(n, k), out);
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < node_list(n, l)->n; i++)
			collect_idents(node_list(n, l)->v[i], out);
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
		const char *file = cx_file_of(cx, cx->clang_getDiagnosticLocation(d), &line);
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
		if (name && !strvec_has(&out->missing, name))
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

/* ---- the compile, with BTF filling the gaps ---- */

static bool btf_available(struct cdefs *cd)
{
	struct sys *s = check_sys(cd->c);
	return s && sys_has_btf(s);
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
			cdefs_collect(cd);
			conflict = cdefs_redefines_kernel_type(cd);
			cdefs_forget(cd);
		}
		const char *header = "";
		for (int round = 0; !ok && !conflict && round < MAX_BTF_ROUNDS; round++) {
			size_t before = cd->btf_types.n;
			for (size_t i = 0; i < r.missing.n; i++)
				if (!strvec_has(&cd->btf_types, r.missing.v[i]))
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
	cdefs_collect(cd);
	return true;
}
