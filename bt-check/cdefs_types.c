/* cdefs_types.c - what the compiled C definitions define, as bt-check's
 * types: named records, enum types and typedefs (converted on first
 * lookup), and the integer values of the program's identifiers that are
 * enum constants or object-like macros.
 *
 * bpftrace's mapping: signed C integers are signed, unsigned ones, _Bool
 * and enums unsigned, of their size; char arrays (plain char) are strings;
 * other arrays, pointers and records keep their shape; float, double, long
 * double, __int128, functions and flexible arrays have no type (their room
 * in a record still counts: offsets and sizes are clang's).  Anonymous
 * struct/union members are flattened into the named record around them.
 * Bit-fields are placed as BTF records are: the byte offset of the storage
 * unit holding them and the bit offset within it (a packed field straddling
 * units: its first byte).  A type declared in the generated header is
 * BTF's own (sys_kernel_type), as are records reached through pointers
 * that the definitions do not define.
 */
#include <string.h>

#include "cdefs_int.h"

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
		if (strvec_has(&cd->idents, name))
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

void cdefs_collect(struct cdefs *cd)
{
	const struct libclang *cx = cd->cx;
	cx->clang_visitChildren(cx->clang_getTranslationUnitCursor(cd->tu), visit_decl, cd);
}

void cdefs_forget(struct cdefs *cd)
{
	cd->decls.n = cd->const_names.n = cd->const_values.n = 0;
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

/* The script redefines a kernel type: BTF is not mixed in. */
bool cdefs_redefines_kernel_type(struct cdefs *cd)
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
