/* libclang.h - libclang's C API, opened with dlopen on first use.
 *
 * Only programs with C definitions or #include need clang, and libclang
 * (with the LLVM it carries) is tens of megabytes: linked in, every run of
 * bt-check would map and relocate it.  So bt-check is not linked against
 * it; libclang_open() loads it once and fills a table of the entry points
 * cdefs.c uses, called as cx->clang_xxx(...) with the header's own types.
 */
#ifndef BT_CHECK_LIBCLANG_H
#define BT_CHECK_LIBCLANG_H

#include <clang-c/Index.h>

#define LIBCLANG_FUNCS(X)                                                  \
	X(clang_createIndex) X(clang_disposeIndex)                         \
	X(clang_parseTranslationUnit2) X(clang_disposeTranslationUnit)     \
	X(clang_getNumDiagnostics) X(clang_getDiagnostic)                  \
	X(clang_disposeDiagnostic) X(clang_getDiagnosticSeverity)          \
	X(clang_getDiagnosticSpelling) X(clang_getDiagnosticLocation)      \
	X(clang_formatDiagnostic) X(clang_defaultDiagnosticDisplayOptions) \
	X(clang_getCString) X(clang_disposeString)                         \
	X(clang_getTranslationUnitCursor) X(clang_visitChildren)           \
	X(clang_getCursorKind) X(clang_getCursorSpelling)                  \
	X(clang_getCursorType) X(clang_getCanonicalType)                   \
	X(clang_getTypeSpelling) X(clang_getTypeDeclaration)               \
	X(clang_getPointeeType) X(clang_getArrayElementType)               \
	X(clang_getNumElements) X(clang_Type_getSizeOf)                    \
	X(clang_Type_getAlignOf) X(clang_Type_getOffsetOf)                 \
	X(clang_Type_getNamedType) X(clang_getTypedefDeclUnderlyingType)   \
	X(clang_Cursor_isBitField) X(clang_getFieldDeclBitWidth)           \
	X(clang_Cursor_isAnonymousRecordDecl) X(clang_isCursorDefinition)  \
	X(clang_getEnumConstantDeclValue)                                  \
	X(clang_getEnumConstantDeclUnsignedValue) X(clang_getEnumDeclIntegerType) \
	X(clang_getCursorLocation) X(clang_getFileLocation)                \
	X(clang_getFileName) X(clang_Location_isFromMainFile)              \
	X(clang_Cursor_isMacroFunctionLike)                                \
	X(clang_Cursor_Evaluate) X(clang_EvalResult_getKind)               \
	X(clang_EvalResult_isUnsignedInt) X(clang_EvalResult_getAsUnsigned) \
	X(clang_EvalResult_getAsLongLong) X(clang_EvalResult_dispose)      \
	X(clang_getInclusions) X(clang_getChildDiagnostics) X(clang_isInvalidDeclaration)                \
	X(clang_getNumDiagnosticsInSet) X(clang_getDiagnosticInSet)

struct libclang {
#define LIBCLANG_FIELD(f) __typeof__(f) *f;
	LIBCLANG_FUNCS(LIBCLANG_FIELD)
#undef LIBCLANG_FIELD
};

/* The entry points, or NULL (and *why set) when libclang cannot be
 * loaded.  Tried once per process. */
const struct libclang *libclang_open(const char **why);

#endif
