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

static const char *funcs[F__COUNT] = {
	[F_AVG] = "avg", [F_BUF] = "buf", [F_CAT] = "cat",
	[F_CGROUPID] = "cgroupid", [F_CLEAR] = "clear", [F_COUNT] = "count",
	[F_DELETE] = "delete", [F_EXIT] = "exit", [F_HIST] = "hist",
	[F_JOIN] = "join", [F_KADDR] = "kaddr", [F_KPTR] = "kptr",
	[F_KSYM] = "ksym", [F_LEN] = "len", [F_LHIST] = "lhist",
	[F_MACADDR] = "macaddr", [F_MAX] = "max", [F_MIN] = "min",
	[F_NTOP] = "ntop", [F_OVERRIDE] = "override", [F_PRINT] = "print",
	[F_PRINTF] = "printf", [F_CGROUP_PATH] = "cgroup_path", [F_REG] = "reg",
	[F_SIGNAL] = "signal", [F_STATS] = "stats", [F_STR] = "str",
	[F_STRERROR] = "strerror", [F_STRFTIME] = "strftime",
	[F_STRNCMP] = "strncmp", [F_STRCONTAINS] = "strcontains",
	[F_SUM] = "sum", [F_SYSTEM] = "system", [F_TIME] = "time",
	[F_UADDR] = "uaddr", [F_UPTR] = "uptr", [F_USYM] = "usym",
	[F_ZERO] = "zero", [F_PATH] = "path", [F_UNWATCH] = "unwatch",
	[F_BSWAP] = "bswap", [F_SKBOUTPUT] = "skboutput", [F_PTON] = "pton",
	[F_DEBUGF] = "debugf", [F_KSTACK] = "kstack", [F_USTACK] = "ustack",
	[F_NSECS] = "nsecs",
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
		if (funcs[i] && strcmp(funcs[i], name) == 0)
			return (enum func)i;
	return F_NONE;
}

const char *func_name(enum func f)
{
	return (unsigned)f < F__COUNT && funcs[f] ? funcs[f] : "?";
}
