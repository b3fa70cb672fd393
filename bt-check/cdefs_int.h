/* cdefs_int.h - what cdefs.c (the compile) and cdefs_types.c (what the
 * compiled definitions define, as struct type) share.
 */
#ifndef BT_CHECK_CDEFS_INT_H
#define BT_CHECK_CDEFS_INT_H

#include "check.h"
#include "libclang.h"

#define MAIN_FILE "definitions.h"
#define VIRTUAL_DIR "/bpftrace/include"
#define BTF_HEADER VIRTUAL_DIR "/__btf_generated_header.h"
#define MACRO_VAR_PREFIX "__bt_macro_"

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

/* libclang strings and locations as arena strings. */
const char *cx_str(const struct libclang *cx, CXString s);
/* Declared in the generated header: a type BTF defines. */
bool in_btf_header(struct cdefs *cd, CXCursor decl);
bool strvec_has(const strvec *v, const char *s);

/* ---- cdefs_types.c ---- */
/* Record the named types the translation unit defines and the values of
 * the program's identifiers that are enum constants or macros. */
void cdefs_collect(struct cdefs *cd);
/* Forget what cdefs_collect recorded (before another compile). */
void cdefs_forget(struct cdefs *cd);
/* The script itself (definitions.h) defines a record BTF also has. */
bool cdefs_redefines_kernel_type(struct cdefs *cd);

#endif
