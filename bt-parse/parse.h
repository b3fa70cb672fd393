/* parse.h - state shared by the lexer (lexer.l), the grammar (parser.y)
 * and the driver (parse.c) of bt-parse.
 *
 * Locations follow bpftrace's lexer (docs/bpftrace-compat.md "Lexer and
 * locations"): the lexer keeps one running location; every matched token
 * moves its end, and only whitespace and newlines move its begin up to the
 * end.  So a token glued to the one before it "starts" where that one
 * started.  Bison's default location rule then spans rules from their first to
 * their last symbol, and an empty rule sits at the end of the symbol before
 * it.
 */
#ifndef BT_PARSE_H
#define BT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "node.h"

/* Bison's default location type; the lexer fills it. */
typedef struct YYLTYPE {
	int first_line, first_column, last_line, last_column;
} YYLTYPE;
#define YYLTYPE_IS_DECLARED 1
#define YYLTYPE_IS_TRIVIAL 1

/* A string with its length (string literals may hold NUL bytes). */
struct bstr {
	char *s;
	uint32_t len;
};

/* Pieces of the C definitions text, kept in source order. */
struct slist {
	const char *s;
	struct slist *next;
};

/* Statements of a block: the grammar is right-recursive (as bpftrace's),
 * so statements arrive last first and are consed on the front. */
struct nlist {
	struct node *n;
	struct nlist *next;
};

/* An attach point's text as the grammar glues it together. */
struct tokqueue;

struct macro {
	const char *name;
	const char *value;
};

struct pstate {
	const char *text;        /* whole program */
	size_t len;
	struct diags *diags;
	bool listing;            /* -l: probes are attach points only */
	struct node *root;       /* N_PROGRAM once parsed */
	struct astr ap_text;     /* the attach point being read (parser.y) */

	/* lexer */
	void *scanner;
	YYLTYPE loc;             /* running location (bpftrace's `loc`) */
	struct astr buf;         /* string literal / struct text being built */
	const char *struct_kw;   /* "struct", "union", "enum" */
	int brace_depth;         /* inside a struct definition */
	bool struct_body;        /* saw the '{' of a struct definition */
	VEC(struct macro) macros;
	/* #if/#ifdef/#ifndef nesting of the definitions: a #define counts
	 * only where every enclosing condition holds (as clang sees it) */
	int pp_depth;
	uint64_t pp_off;         /* bit d: the group at depth d+1 is off */
	uint64_t pp_taken;       /* bit d: a branch at depth d+1 was taken */
	struct tokqueue *queue;  /* tokens of expanded macros (lexer.l) */
	size_t expanding;        /* bytes of macro text being expanded */
	bool nested;             /* a scanner lexing a macro's value */
	YYLTYPE macro_at;        /* ... used at this location */
};

/* lexer.l */
int bt_lex_init(struct pstate *ps);
void bt_lex_destroy(struct pstate *ps);

/* parser.y: runs the grammar; errors go to ps->diags. */
int bt_parse(struct pstate *ps);

/* Helpers used by the grammar actions (parse_util.c). */
struct loc yyloc_to_loc(YYLTYPE l);
void ps_error(struct pstate *ps, YYLTYPE l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Integer literal conversion, docs/bpftrace-compat.md "Integer literals"
 * (libcommon/ap_parse.c). */
#include "ap_parse.h"

#endif
