/* names.c - builtin and function name tables; see names.h. */
#include "names.h"

#include <stdio.h>
#include <string.h>

static const char *builtins[B__COUNT] = {
	[B_PID] = "pid", [B_TID] = "tid", [B_UID] = "uid", [B_GID] = "gid",
	[B_USERNAME] = "username", [B_NSECS] = "nsecs", [B_ELAPSED] = "elapsed",
	[B_JIFFIES] = "jiffies", [B_CPU] = "cpu", [B_NUMAID] = "numaid",
	[B_RAND] = "rand", [B_CGROUP] = "cgroup", [B_COMM] = "comm",
	[B_CURTASK] = "curtask", [B_CPID] = "cpid", [B_KSTACK] = "kstack",
	[B_USTACK] = "ustack", [B_PROBE] = "probe", [B_FUNC] = "func",
	[B_RETVAL] = "retval", [B_ARGS] = "args", [B_CTX] = "ctx",
	[B_ARG0] = "arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6",
	"arg7", "arg8", "arg9",
	[B_SARG0] = "sarg0", "sarg1", "sarg2", "sarg3", "sarg4", "sarg5",
	"sarg6", "sarg7", "sarg8", "sarg9",
};

/* Every function's name and how many arguments it takes (bpftrace's
 * counts; printf-like functions take up to MAX_CALL_ARGS). */
static const struct {
	const char *name;
	unsigned char min_args, max_args;
} funcs[F__COUNT] = {
	[F_AVG] = { "avg", 1, 1 },
	[F_BUF] = { "buf", 1, 2 },
	[F_CAT] = { "cat", 1, MAX_CALL_ARGS },
	[F_CGROUPID] = { "cgroupid", 1, 1 },
	[F_CLEAR] = { "clear", 1, 1 },
	[F_COUNT] = { "count", 0, 0 },
	[F_DELETE] = { "delete", 1, 1 },
	[F_EXIT] = { "exit", 0, 0 },
	[F_HIST] = { "hist", 1, 2 },
	[F_JOIN] = { "join", 1, 2 },
	[F_KADDR] = { "kaddr", 1, 1 },
	[F_KPTR] = { "kptr", 1, 1 },
	[F_KSYM] = { "ksym", 1, 1 },
	[F_LEN] = { "len", 1, 1 },
	[F_LHIST] = { "lhist", 4, 4 },
	[F_MACADDR] = { "macaddr", 1, 1 },
	[F_MAX] = { "max", 1, 1 },
	[F_MIN] = { "min", 1, 1 },
	[F_NTOP] = { "ntop", 1, 2 },
	[F_OVERRIDE] = { "override", 1, 1 },
	[F_PRINT] = { "print", 1, 3 },
	[F_PRINTF] = { "printf", 1, MAX_CALL_ARGS },
	[F_CGROUP_PATH] = { "cgroup_path", 1, 2 },
	[F_REG] = { "reg", 1, 1 },
	[F_SIGNAL] = { "signal", 1, 1 },
	[F_STATS] = { "stats", 1, 1 },
	[F_STR] = { "str", 1, 2 },
	[F_STRERROR] = { "strerror", 1, 1 },
	[F_STRFTIME] = { "strftime", 2, 2 },
	[F_STRNCMP] = { "strncmp", 3, 3 },
	[F_STRCONTAINS] = { "strcontains", 2, 2 },
	[F_SUM] = { "sum", 1, 1 },
	[F_SYSTEM] = { "system", 1, MAX_CALL_ARGS },
	[F_TIME] = { "time", 0, 1 },
	[F_UADDR] = { "uaddr", 1, 1 },
	[F_UPTR] = { "uptr", 1, 1 },
	[F_USYM] = { "usym", 1, 1 },
	[F_ZERO] = { "zero", 1, 1 },
	[F_PATH] = { "path", 1, 1 },
	[F_UNWATCH] = { "unwatch", 1, 1 },
	[F_BSWAP] = { "bswap", 1, 1 },
	[F_SKBOUTPUT] = { "skboutput", 4, 4 },
	[F_PTON] = { "pton", 1, 1 },
	[F_DEBUGF] = { "debugf", 1, MAX_CALL_ARGS },
	[F_KSTACK] = { "kstack", 0, 2 },
	[F_USTACK] = { "ustack", 0, 2 },
	[F_NSECS] = { "nsecs", 0, 1 },
};


enum builtin builtin_lookup(const char *name)
{
	for (int i = 1; i < B__COUNT; i++)
		if (builtins[i] && strcmp(builtins[i], name) == 0)
			return (enum builtin)i;
	return B_NONE;
}

const char *builtin_name(enum builtin b)
{
	return (unsigned)b < B__COUNT && builtins[b] ? builtins[b] : "?";
}

enum func func_lookup(const char *name)
{
	for (int i = 1; i < F__COUNT; i++)
		if (funcs[i].name && strcmp(funcs[i].name, name) == 0)
			return (enum func)i;
	return F_NONE;
}

const char *func_name(enum func f)
{
	return (unsigned)f < F__COUNT && funcs[f].name ? funcs[f].name : "?";
}

unsigned func_min_args(enum func f)
{
	return (unsigned)f < F__COUNT ? funcs[f].min_args : 0;
}

unsigned func_max_args(enum func f)
{
	return (unsigned)f < F__COUNT ? funcs[f].max_args : 0;
}
