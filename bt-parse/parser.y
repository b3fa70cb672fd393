/* parser.y - the bpftrace v0.20 grammar (docs/bpftrace-compat.md "Grammar and
 * precedence") building the AST of libcommon/node.h.
 *
 * The nonterminal structure, the token order and the token display names
 * follow bpftrace's, because bison's verbose syntax errors ("unexpected <,
 * expecting }") are a function of exactly those; so are the node locations of
 * docs/bpftrace-compat.md "Node locations" (default bison locations: a rule
 * spans its first to last symbol, an empty rule sits at the end of the symbol
 * before it).  Attach point text is only glued together here; parse.c splits
 * it.
 */
%define api.pure full
%define parse.error verbose
%locations
%param {void *scanner}
%parse-param {struct pstate *ps}

%code requires {
#include "parse.h"
}

%code provides {
int bt_next_token(YYSTYPE *val, YYLTYPE *loc, void *scanner);
}

%{
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

/* The grammar is right-recursive in statement lists (as bpftrace's), so
 * the stack grows with the statements of one block; nesting depth is
 * bounded separately (parse.c). */
#define YYMAXDEPTH 1000000
#define yylex bt_next_token

static void yyerror(YYLTYPE *l, void *scanner, struct pstate *ps, const char *msg)
{
	(void)scanner;
	ps_error(ps, *l, "%s", msg);
}

#define L(x) yyloc_to_loc(x)
static const struct loc NOLOC = { 1, 1, 1, 1 };
static struct loc span(YYLTYPE a, YYLTYPE b)
{
	struct loc l = { a.first_line, a.first_column, b.last_line, b.last_column };
	return l;
}
static struct node *mkstr(enum node_kind k, const char *s, struct loc l)
{
	struct node *n = node_new(k, l);
	n->str = s;
	return n;
}
static struct nlist *cons(struct node *n, struct nlist *next)
{
	struct nlist *c = ARENA_NEW(struct nlist);
	c->n = n;
	c->next = next;
	return c;
}
static nodevec to_vec(struct nlist *l)
{
	nodevec v = { 0 };
	size_t n = 0;
	for (struct nlist *c = l; c; c = c->next)
		n++;
	VEC_RESERVE(&v, n);   /* a block's statements: often one or two */
	for (; l; l = l->next)
		VEC_PUSH(&v, l->n);
	return v;
}
static struct slist *scons(const char *s, struct slist *next)
{
	struct slist *c = ARENA_NEW(struct slist);
	c->s = s;
	c->next = next;
	return c;
}
static nodevec *vec1(struct node *n)
{
	nodevec *v = ARENA_NEW(nodevec);
	VEC_PUSH(v, n);
	return v;
}
static struct node *mkcall(const char *name, nodevec *args, struct loc l)
{
	struct node *n = mkstr(N_CALL, name, l);
	if (args)
		n->args = *args;
	return n;
}
static struct node *assign(enum node_kind k, struct node *lhs, enum op op,
			   struct node *rhs, YYLTYPE opl, YYLTYPE all)
{
	struct node *n;
	if (op == OP_NONE) {
		n = node_new(k, L(opl));
		n->b = rhs;
	} else {
		n = node_new(k, L(all));
		n->b = node_binop(op, node_clone(lhs), rhs, L(opl));
		n->flags |= NF_COMPOUND;
	}
	n->a = lhs;
	return n;
}
static struct type *int_type(const char *name);
static struct type *builtin_type(const char *name);
static struct type *sized_type(const char *name, int64_t n);
static struct type *typedef_type(const char *name, int ptrs);
%}

%union {
	struct node *node;
	char *str;
	struct bstr bs;
	int64_t num;
	enum op op;
	struct slist *sl;
	struct nlist *nl;
	nodevec *vec;
	struct type *type;
	struct astr *sb;
}

%token
  END 0      "end of file"
  COLON      ":"
  SEMI       ";"
  LBRACE     "{"
  RBRACE     "}"
  LBRACKET   "["
  RBRACKET   "]"
  LPAREN     "("
  RPAREN     ")"
  QUES       "?"
  ENDPRED    "end predicate"
  COMMA      ","
  PARAMCOUNT "$#"
  ASSIGN     "="
  EQ         "=="
  NE         "!="
  LE         "<="
  GE         ">="
  LEFT       "<<"
  RIGHT      ">>"
  LT         "<"
  GT         ">"
  LAND       "&&"
  LOR        "||"
  PLUS       "+"
  INCREMENT  "++"
  LEFTASSIGN  "<<="
  RIGHTASSIGN ">>="
  PLUSASSIGN  "+="
  MINUSASSIGN "-="
  MULASSIGN   "*="
  DIVASSIGN   "/="
  MODASSIGN   "%="
  BANDASSIGN  "&="
  BORASSIGN   "|="
  BXORASSIGN  "^="
  MINUS      "-"
  DECREMENT  "--"
  MUL        "*"
  DIV        "/"
  MOD        "%"
  BAND       "&"
  BOR        "|"
  BXOR       "^"
  LNOT       "!"
  BNOT       "~"
  DOT        "."
  PTR        "->"
  IF         "if"
  ELSE       "else"
  UNROLL     "unroll"
  STRUCT     "struct"
  WHILE      "while"
  FOR        "for"
  RETURN     "return"
  CONTINUE   "continue"
  BREAK      "break"
  SIZEOF     "sizeof"
  OFFSETOF   "offsetof"
  CONFIG     "config"
;

%token <str> BUILTIN "builtin"
%token <str> INT_TYPE "integer type"
%token <str> BUILTIN_TYPE "builtin type"
%token <str> SIZED_TYPE "sized type"
%token <str> CALL "call"
%token <str> CALL_BUILTIN "call_builtin"
%token <str> IDENT "identifier"
%token <str> PATH "path"
%token <str> CPREPROC "preprocessor directive"
%token <str> STRUCT_DEFN "struct definition"
%token <bs>  STRING "string"
%token <str> MAP "map"
%token <str> VAR "variable"
%token <str> PARAM "positional parameter"
%token <num> INT "integer"
%token <str> STACK_MODE "stack_mode"

%type <op> unary_op compound_op
%type <str> ident
%type <sl> c_definitions
%type <sb> attach_point_def
%type <node> attach_point call sizeof_expr offsetof_expr
%type <node> and_expr addi_expr primary_expr cast_expr conditional_expr equality_expr expr logical_and_expr muli_expr
%type <node> logical_or_expr map_or_var or_expr postfix_expr relational_expr shift_expr tuple_access_expr unary_expr xor_expr
%type <node> int map param pred probe config var
%type <node> assign_stmt block_stmt expr_stmt if_stmt jump_stmt loop_stmt config_assign_stmt
%type <vec> vargs attach_points probes
%type <nl> block block_or_if stmt_list config_block config_assign_stmt_list
%type <type> type int_type pointer_type struct_type

/* bpftrace declares operator precedences too, but the stratified grammar
 * never needs them (bison calls them useless): the tables are the same.
 * The 5 conflicts, all resolved by shifting as bpftrace's are: end of
 * input after the probes; "-" INT is a literal; "@m" "[" takes keys;
 * "(" IDENT ")" and "(" IDENT "*" start typedef casts. */
%expect 5

%start program

%%

program:
		c_definitions config probes END {
			struct astr b = { 0 };
			for (struct slist *s = $1; s; s = s->next)
				astr_adds(&b, s->s);
			struct node *p = node_new(N_PROGRAM, NOLOC);
			p->str = b.len ? astr_str(&b) : NULL;
			p->c = $2;
			p->args = *$3;
			ps->root = p;
		}
		;

c_definitions:
		CPREPROC c_definitions           { $$ = scons(arena_printf("%s\n", $1), $2); }
	|	STRUCT STRUCT_DEFN c_definitions { $$ = scons(arena_printf("%s;\n", $2), $3); }
	|	%empty                           { $$ = NULL; }
		;

type:
		int_type                 { $$ = $1; }
	|	BUILTIN_TYPE             { $$ = builtin_type($1); }
	|	SIZED_TYPE "[" INT "]"   { $$ = sized_type($1, $3); }
	|	int_type "[" INT "]"     { $$ = type_array($1, (uint32_t)$3); }
	|	int_type "[" "]"         { $$ = type_array($1, 0); }
	|	pointer_type             { $$ = $1; }
	|	struct_type              { $$ = $1; }
		;

int_type:
		INT_TYPE                 { $$ = int_type($1); }
		;

pointer_type:
		type "*"                 { $$ = type_ptr($1, AS_NONE); }
		;

struct_type:
		STRUCT IDENT             { $$ = type_record($2); }
		;

config:
		CONFIG ASSIGN config_block {
			$$ = node_new(N_CONFIG, NOLOC);
			$$->body = to_vec($3);
		}
	|	%empty                   { $$ = NULL; }
		;

config_block:
		"{" config_assign_stmt_list "}"  { $$ = $2; }
		;

config_assign_stmt_list:
		config_assign_stmt ";" config_assign_stmt_list { $$ = cons($1, $3); }
	|	config_assign_stmt                             { $$ = cons($1, NULL); }
		;

config_assign_stmt:
		IDENT ASSIGN expr {
			$$ = mkstr(N_ASSIGN_CONFIG, $1, L(@2));
			$$->b = $3;
		}
		;

probes:
		probes probe             { $$ = $1; VEC_PUSH($$, $2); }
	|	probe                    { $$ = vec1($1); }
		;

probe:
		attach_points pred block {
			if (ps->listing) {
				ps_error(ps, @$, "unexpected listing query format");
				YYERROR;
			}
			$$ = node_new(N_PROBE, NOLOC);
			$$->args = *$1;
			$$->c = $2;
			$$->body = to_vec($3);
		}
	|	attach_points END {
			if (!ps->listing) {
				ps_error(ps, @$, "unexpected end of file, expected {");
				YYERROR;
			}
			$$ = node_new(N_PROBE, NOLOC);
			$$->args = *$1;
		}
		;

attach_points:
		attach_points "," attach_point { $$ = $1; VEC_PUSH($$, $3); }
	|	attach_point                   { $$ = vec1($1); }
		;

attach_point:
		attach_point_def         { $$ = mkstr(N_ATTACH_POINT, astr_str($1), L(@$)); }
		;

attach_point_def:
		attach_point_def ident    { $$ = $1; astr_adds($$, $2); }
	|	attach_point_def STRING   {
			/* re-quoted for the attach point splitter */
			$$ = $1;
			astr_addc($$, '"');
			for (uint32_t i = 0; i < $2.len; i++) {
				if ($2.s[i] == '"')
					astr_addc($$, '\\');
				astr_addc($$, $2.s[i]);
			}
			astr_addc($$, '"');
		}
	|	attach_point_def PATH     { $$ = $1; astr_adds($$, $2); }
	|	attach_point_def INT      {
			char num[24];
			$$ = $1;
			astr_add($$, num, (size_t)snprintf(num, sizeof num, "%" PRId64, $2));
		}
	|	attach_point_def COLON    { $$ = $1; astr_addc($$, ':'); }
	|	attach_point_def DOT      { $$ = $1; astr_addc($$, '.'); }
	|	attach_point_def PLUS     { $$ = $1; astr_addc($$, '+'); }
	|	attach_point_def MUL      { $$ = $1; astr_addc($$, '*'); }
	|	attach_point_def LBRACKET { $$ = $1; astr_addc($$, '['); }
	|	attach_point_def RBRACKET { $$ = $1; astr_addc($$, ']'); }
	|	attach_point_def param {
			if ($2->kind != N_PARAM) {
				ps_error(ps, @$, "Not a positional parameter");
				YYERROR;
			}
			$$ = $1;
			astr_adds($$, arena_printf("$%" PRId64, $2->num));
		}
	|	%empty {
			/* one buffer for every attach point: each is copied
			 * out (attach_point) before the next one starts */
			$$ = &ps->ap_text;
			$$->len = 0;
			if ($$->s)
				$$->s[0] = 0;
		}
		;

pred:
		DIV expr ENDPRED         { $$ = node_new(N_PREDICATE, L(@$)); $$->a = $2; }
	|	%empty                   { $$ = NULL; }
		;

param:
		PARAM {
			errno = 0;
			char *end;
			long long v = strtoll($1 + 1, &end, 10);
			if (errno || v <= 0 || *end) {
				ps_error(ps, @1, "param %s is out of integer range [1, 9223372036854775807]", $1);
				YYERROR;
			}
			$$ = node_new(N_PARAM, L(@$));
			$$->num = v;
		}
	|	PARAMCOUNT               { $$ = node_new(N_PARAMCOUNT, L(@$)); }
		;

block:
		"{" stmt_list "}"        { $$ = $2; }
		;

stmt_list:
		expr_stmt ";" stmt_list  { $$ = cons($1, $3); }
	|	expr_stmt                { $$ = cons($1, NULL); }
	|	block_stmt stmt_list     { $$ = cons($1, $2); }
	|	%empty                   { $$ = NULL; }
		;

block_stmt:
		loop_stmt                { $$ = $1; }
	|	if_stmt                  { $$ = $1; }
		;

expr_stmt:
		expr                     { $$ = node_new(N_EXPR_STMT, L(@1)); $$->a = $1; }
	|	jump_stmt                { $$ = $1; }
	|	assign_stmt              { $$ = $1; }
		;

jump_stmt:
		BREAK                    { $$ = node_new(N_JUMP, L(@$)); $$->op = JUMP_BREAK; }
	|	CONTINUE                 { $$ = node_new(N_JUMP, L(@$)); $$->op = JUMP_CONTINUE; }
	|	RETURN                   { $$ = node_new(N_JUMP, L(@$)); $$->op = JUMP_RETURN; }
		;

loop_stmt:
		UNROLL "(" int ")" block {
			$$ = node_new(N_UNROLL, span(@1, @4));
			$$->a = $3;
			$$->body = to_vec($5);
		}
	|	UNROLL "(" param ")" block {
			$$ = node_new(N_UNROLL, span(@1, @4));
			$$->a = $3;
			$$->body = to_vec($5);
		}
	|	WHILE "(" expr ")" block {
			$$ = node_new(N_WHILE, L(@1));
			$$->c = $3;
			$$->body = to_vec($5);
		}
		;

if_stmt:
		IF "(" expr ")" block {
			$$ = node_new(N_IF, NOLOC);
			$$->c = $3;
			$$->body = to_vec($5);
		}
	|	IF "(" expr ")" block ELSE block_or_if {
			$$ = node_new(N_IF, NOLOC);
			$$->c = $3;
			$$->body = to_vec($5);
			$$->orelse = to_vec($7);
		}
		;

block_or_if:
		block                    { $$ = $1; }
	|	if_stmt                  { $$ = cons($1, NULL); }
		;

assign_stmt:
		tuple_access_expr ASSIGN expr {
			YYLTYPE l = @1;
			l.last_line = @3.last_line;
			l.last_column = @3.last_column;
			ps_error(ps, l, "Tuples are immutable once created. Consider creating a new tuple and assigning it instead.");
			YYERROR;
		}
	|	map ASSIGN expr          { $$ = assign(N_ASSIGN_MAP, $1, OP_NONE, $3, @2, @$); }
	|	var ASSIGN expr          { $$ = assign(N_ASSIGN_VAR, $1, OP_NONE, $3, @2, @$); }
	|	map compound_op expr     { $$ = assign(N_ASSIGN_MAP, $1, $2, $3, @2, @$); }
	|	var compound_op expr     { $$ = assign(N_ASSIGN_VAR, $1, $2, $3, @2, @$); }
		;

primary_expr:
		IDENT                    { $$ = mkstr(N_IDENT, $1, L(@$)); }
	|	int                      { $$ = $1; }
	|	STRING                   { $$ = node_str($1.s, $1.len, L(@$)); }
	|	STACK_MODE               { $$ = mkstr(N_STACK_MODE, $1, L(@$)); }
	|	BUILTIN                  { $$ = mkstr(N_BUILTIN, $1, L(@$)); }
	|	CALL_BUILTIN             { $$ = mkstr(N_BUILTIN, $1, L(@$)); }
	|	LPAREN expr RPAREN       { $$ = $2; }
	|	param                    { $$ = $1; }
	|	map_or_var               { $$ = $1; }
	|	"(" expr "," vargs ")" {
			$$ = node_new(N_TUPLE, L(@$));
			VEC_PUSH(&$$->args, $2);
			for (size_t i = 0; i < $4->n; i++)
				VEC_PUSH(&$$->args, $4->v[i]);
		}
		;

postfix_expr:
		primary_expr             { $$ = $1; }
	|	postfix_expr DOT ident {
			$$ = mkstr(N_FIELD, $3, L(@2));
			$$->a = $1;
		}
	|	postfix_expr PTR ident {
			$$ = mkstr(N_FIELD, $3, L(@$));
			$$->a = node_unop(OP_DEREF, $1, false, L(@2));
			$$->flags |= NF_ARROW;
		}
	|	tuple_access_expr        { $$ = $1; }
	|	postfix_expr "[" expr "]" {
			$$ = node_new(N_INDEX, span(@2, @4));
			$$->a = $1;
			$$->b = $3;
		}
	|	call                     { $$ = $1; }
	|	sizeof_expr              { $$ = $1; }
	|	offsetof_expr            { $$ = $1; }
	|	map_or_var INCREMENT     { $$ = node_unop(OP_INC, $1, true, L(@2)); }
	|	map_or_var DECREMENT     { $$ = node_unop(OP_DEC, $1, true, L(@2)); }
	|	INCREMENT ident {
			ps_error(ps, @1, "The ++ operator must be applied to a map or variable");
			YYERROR;
		}
	|	DECREMENT ident {
			ps_error(ps, @1, "The -- operator must be applied to a map or variable");
			YYERROR;
		}
		;

tuple_access_expr:
		postfix_expr DOT INT {
			$$ = node_new(N_FIELD, L(@3));
			$$->a = $1;
			$$->num = $3;
			$$->flags |= NF_TUPLE_INDEX;
		}
		;

unary_expr:
		unary_op cast_expr       { $$ = node_unop($1, $2, false, L(@1)); }
	|	postfix_expr             { $$ = $1; }
	|	INCREMENT map_or_var     { $$ = node_unop(OP_INC, $2, false, L(@1)); }
	|	DECREMENT map_or_var     { $$ = node_unop(OP_DEC, $2, false, L(@1)); }
	|	ident DECREMENT {
			ps_error(ps, @1, "The -- operator must be applied to a map or variable");
			YYERROR;
		}
	|	ident INCREMENT {
			ps_error(ps, @1, "The ++ operator must be applied to a map or variable");
			YYERROR;
		}
		;

unary_op:
		MUL                      { $$ = OP_DEREF; }
	|	BNOT                     { $$ = OP_BNOT; }
	|	LNOT                     { $$ = OP_LNOT; }
	|	MINUS                    { $$ = OP_NEG; }
		;

expr:
		conditional_expr         { $$ = $1; }
		;

conditional_expr:
		logical_or_expr          { $$ = $1; }
	|	logical_or_expr QUES expr COLON conditional_expr {
			$$ = node_new(N_TERNARY, L(@$));
			$$->c = $1;
			$$->a = $3;
			$$->b = $5;
		}
		;

logical_or_expr:
		logical_and_expr         { $$ = $1; }
	|	logical_or_expr LOR logical_and_expr { $$ = node_binop(OP_LOR, $1, $3, L(@2)); }
		;

logical_and_expr:
		or_expr                  { $$ = $1; }
	|	logical_and_expr LAND or_expr { $$ = node_binop(OP_LAND, $1, $3, L(@2)); }
		;

or_expr:
		xor_expr                 { $$ = $1; }
	|	or_expr BOR xor_expr     { $$ = node_binop(OP_BOR, $1, $3, L(@2)); }
		;

xor_expr:
		and_expr                 { $$ = $1; }
	|	xor_expr BXOR and_expr   { $$ = node_binop(OP_BXOR, $1, $3, L(@2)); }
		;

and_expr:
		equality_expr            { $$ = $1; }
	|	and_expr BAND equality_expr { $$ = node_binop(OP_BAND, $1, $3, L(@2)); }
		;

equality_expr:
		relational_expr          { $$ = $1; }
	|	equality_expr EQ relational_expr { $$ = node_binop(OP_EQ, $1, $3, L(@2)); }
	|	equality_expr NE relational_expr { $$ = node_binop(OP_NE, $1, $3, L(@2)); }
		;

relational_expr:
		shift_expr               { $$ = $1; }
	|	relational_expr LE shift_expr { $$ = node_binop(OP_LE, $1, $3, L(@2)); }
	|	relational_expr GE shift_expr { $$ = node_binop(OP_GE, $1, $3, L(@2)); }
	|	relational_expr LT shift_expr { $$ = node_binop(OP_LT, $1, $3, L(@2)); }
	|	relational_expr GT shift_expr { $$ = node_binop(OP_GT, $1, $3, L(@2)); }
		;

shift_expr:
		addi_expr                { $$ = $1; }
	|	shift_expr LEFT addi_expr  { $$ = node_binop(OP_SHL, $1, $3, L(@2)); }
	|	shift_expr RIGHT addi_expr { $$ = node_binop(OP_SHR, $1, $3, L(@2)); }
		;

muli_expr:
		cast_expr                { $$ = $1; }
	|	muli_expr MUL cast_expr  { $$ = node_binop(OP_MUL, $1, $3, L(@2)); }
	|	muli_expr DIV cast_expr  { $$ = node_binop(OP_DIV, $1, $3, L(@2)); }
	|	muli_expr MOD cast_expr  { $$ = node_binop(OP_MOD, $1, $3, L(@2)); }
		;

addi_expr:
		muli_expr                { $$ = $1; }
	|	addi_expr PLUS muli_expr  { $$ = node_binop(OP_ADD, $1, $3, L(@2)); }
	|	addi_expr MINUS muli_expr { $$ = node_binop(OP_SUB, $1, $3, L(@2)); }
		;

cast_expr:
		unary_expr               { $$ = $1; }
	|	LPAREN type RPAREN cast_expr {
			$$ = node_new(N_CAST, span(@1, @3));
			$$->ty_arg = $2;
			$$->a = $4;
		}
	|	LPAREN IDENT RPAREN cast_expr {
			$$ = node_new(N_CAST, span(@1, @3));
			$$->ty_arg = typedef_type($2, 0);
			$$->a = $4;
		}
	|	LPAREN IDENT "*" RPAREN cast_expr {
			$$ = node_new(N_CAST, span(@1, @4));
			$$->ty_arg = typedef_type($2, 1);
			$$->a = $5;
		}
	|	LPAREN IDENT "*" "*" RPAREN cast_expr {
			$$ = node_new(N_CAST, span(@1, @5));
			$$->ty_arg = typedef_type($2, 2);
			$$->a = $6;
		}
		;

sizeof_expr:
		SIZEOF "(" type ")"      { $$ = node_new(N_SIZEOF, L(@$)); $$->ty_arg = $3; }
	|	SIZEOF "(" expr ")"      { $$ = node_new(N_SIZEOF, L(@$)); $$->a = $3; }
		;

offsetof_expr:
		OFFSETOF "(" struct_type "," ident ")" {
			$$ = mkstr(N_OFFSETOF, $5, L(@$));
			$$->ty_arg = $3;
		}
	|	OFFSETOF "(" expr "," ident ")" {
			$$ = mkstr(N_OFFSETOF, $5, L(@$));
			$$->a = $3;
		}
		;

int:
		MINUS INT                { $$ = node_int((int64_t)(0 - (uint64_t)$2), L(@$)); }
	|	INT                      { $$ = node_int($1, L(@$)); }
		;

ident:
		IDENT                    { $$ = $1; }
	|	BUILTIN                  { $$ = $1; }
	|	CALL                     { $$ = $1; }
	|	CALL_BUILTIN             { $$ = $1; }
	|	STACK_MODE               { $$ = $1; }
		;

call:
		CALL "(" ")"                 { $$ = mkcall($1, NULL, L(@$)); }
	|	CALL "(" vargs ")"           { $$ = mkcall($1, $3, L(@$)); }
	|	CALL_BUILTIN "(" ")"         { $$ = mkcall($1, NULL, L(@$)); }
	|	CALL_BUILTIN "(" vargs ")"   { $$ = mkcall($1, $3, L(@$)); }
	|	IDENT "(" ")"                { ps_error(ps, @1, "Unknown function: %s", $1); YYERROR; }
	|	IDENT "(" vargs ")"          { ps_error(ps, @1, "Unknown function: %s", $1); YYERROR; }
	|	BUILTIN "(" ")"              { ps_error(ps, @1, "Unknown function: %s", $1); YYERROR; }
	|	BUILTIN "(" vargs ")"        { ps_error(ps, @1, "Unknown function: %s", $1); YYERROR; }
	|	STACK_MODE "(" ")"           { ps_error(ps, @1, "Unknown function: %s", $1); YYERROR; }
	|	STACK_MODE "(" vargs ")"     { ps_error(ps, @1, "Unknown function: %s", $1); YYERROR; }
		;

map:
		MAP                      { $$ = mkstr(N_MAP, $1, L(@$)); }
	|	MAP "[" vargs "]"        { $$ = mkstr(N_MAP, $1, L(@$)); $$->args = *$3; }
		;

var:
		VAR                      { $$ = mkstr(N_VAR, $1, L(@$)); }
		;

map_or_var:
		var                      { $$ = $1; }
	|	map                      { $$ = $1; }
		;

vargs:
		vargs "," expr           { $$ = $1; VEC_PUSH($$, $3); }
	|	expr                     { $$ = vec1($1); }
		;

compound_op:
		LEFTASSIGN               { $$ = OP_SHL; }
	|	BANDASSIGN               { $$ = OP_BAND; }
	|	BORASSIGN                { $$ = OP_BOR; }
	|	BXORASSIGN               { $$ = OP_BXOR; }
	|	DIVASSIGN                { $$ = OP_DIV; }
	|	MINUSASSIGN              { $$ = OP_SUB; }
	|	MODASSIGN                { $$ = OP_MOD; }
	|	MULASSIGN                { $$ = OP_MUL; }
	|	PLUSASSIGN               { $$ = OP_ADD; }
	|	RIGHTASSIGN              { $$ = OP_SHR; }
		;

%%

static struct type *int_type(const char *name)
{
	if (strcmp(name, "bool") == 0)
		return type_bool();
	bool is_signed = name[0] != 'u';
	return type_int(atoi(name + (is_signed ? 3 : 4)), is_signed);
}

/* The builtin type names of docs/bpftrace-compat.md "Lexer and locations" and
 * the types they stand for. */
static struct type *builtin_type(const char *name)
{
	static const struct { const char *name; enum type_kind kind; uint32_t size; } tab[] = {
		{ "min_t", TY_MIN, 8 }, { "max_t", TY_MAX, 8 }, { "sum_t", TY_SUM, 8 },
		{ "count_t", TY_COUNT, 8 }, { "avg_t", TY_AVG, 8 }, { "stats_t", TY_STATS, 8 },
		{ "probe_t", TY_PROBE, 8 }, { "username_t", TY_USERNAME, 8 },
		{ "lhist_t", TY_LHIST, 8 }, { "hist_t", TY_HIST, 8 },
		{ "usym_t", TY_USYM, 24 }, { "ksym_t", TY_KSYM, 8 },
		{ "timestamp_t", TY_TIMESTAMP, 16 }, { "macaddr_t", TY_MACADDR, 6 },
		{ "cgroup_path_t", TY_CGROUP_PATH, 16 }, { "strerror_t", TY_STRERROR, 8 },
	};
	bool is_unsigned = name[0] == 'u' && strcmp(name, "username_t") != 0 &&
			   strcmp(name, "usym_t") != 0;
	const char *base = is_unsigned ? name + 1 : name;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(tab[i].name, base) == 0) {
			struct type *t = type_new(tab[i].kind, tab[i].size);
			t->is_signed = !is_unsigned && type_is_aggregation(t);
			return t;
		}
	return type_none();
}

static struct type *sized_type(const char *name, int64_t n)
{
	uint32_t size = (uint32_t)n;
	if (strcmp(name, "str_t") == 0)
		return type_string(size);
	if (strcmp(name, "buf_t") == 0)
		return type_buffer(size);
	return type_new(TY_INET, size);
}

/* (name)x, (name *)x: a typedef or record known by name (bt-check
 * resolves it). */
static struct type *typedef_type(const char *name, int ptrs)
{
	struct type *t = type_record(name);
	while (ptrs-- > 0)
		t = type_ptr(t, AS_NONE);
	return t;
}

int bt_parse(struct pstate *ps)
{
	return yyparse(ps->scanner, ps);
}
