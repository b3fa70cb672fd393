/* names.h - builtin variables and functions of the language, by id, with
 * each function's argument counts.
 *
 * bt-check resolves N_BUILTIN/N_CALL names to these ids (node->id) so later
 * stages never compare strings.
 *
 * Adding a builtin: its B_ value and name here (names.c); bt-parse/lexer.l
 * if the lexer must know the word; its type in bt-check/builtins.c
 * (visit_builtin); its value in bt-codegen/builtins.c.
 * Adding a function: its F_ value here, its name and argument counts in
 * names.c; the lexer's call list in bt-parse/lexer.l; its row and checks in
 * bt-check/calls.c (funcs[]); its lowering in bt-codegen/calls.c (cg_call);
 * an ir example and the man page entry if it has one (man/bpftrace.8).
 */
#ifndef BT_NAMES_H
#define BT_NAMES_H

enum builtin {
	B_NONE,
	B_PID, B_TID, B_UID, B_GID, B_USERNAME, B_NSECS, B_ELAPSED, B_JIFFIES,
	B_CPU, B_NUMAID, B_RAND, B_CGROUP, B_COMM, B_CURTASK, B_CPID,
	B_KSTACK, B_USTACK, B_PROBE, B_FUNC, B_RETVAL, B_ARGS, B_CTX,
	B_ARG0, B_ARG9 = B_ARG0 + 9,
	B_SARG0, B_SARG9 = B_SARG0 + 9,
	B__COUNT
};

enum func {
	F_NONE,
	F_AVG, F_BUF, F_CAT, F_CGROUPID, F_CLEAR, F_COUNT, F_DELETE, F_EXIT,
	F_HIST, F_JOIN, F_KADDR, F_KPTR, F_KSYM, F_LEN, F_LHIST, F_MACADDR,
	F_MAX, F_MIN, F_NTOP, F_OVERRIDE, F_PRINT, F_PRINTF, F_CGROUP_PATH,
	F_REG, F_SIGNAL, F_STATS, F_STR, F_STRERROR, F_STRFTIME, F_STRNCMP,
	F_STRCONTAINS, F_SUM, F_SYSTEM, F_TIME, F_UADDR, F_UPTR, F_USYM,
	F_ZERO, F_PATH, F_UNWATCH, F_BSWAP, F_SKBOUTPUT, F_PTON, F_DEBUGF,
	F_KSTACK, F_USTACK, F_NSECS,
	F__COUNT
};

/* Name -> id (B_NONE / F_NONE when unknown); id -> name. */
enum builtin builtin_lookup(const char *name);
const char *builtin_name(enum builtin b);
enum func func_lookup(const char *name);
const char *func_name(enum func f);

/* The most arguments a printf-like function takes (format included). */
#define MAX_CALL_ARGS 128
/* How many arguments f takes: at least func_min_args, at most
 * func_max_args. */
unsigned func_min_args(enum func f);
unsigned func_max_args(enum func f);

#endif
