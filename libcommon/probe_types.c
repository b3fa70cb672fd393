/* probe_types.c - provider names and aliases (docs/bpftrace-compat.md "Attach
 * points" PROBE_LIST order). */
#include "probe_types.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"

struct probe_type_info {
	enum probe_type type;
	const char *name;        /* full name: "kprobe" */
	const char *aliases[3];  /* "k", ... */
};

static const struct probe_type_info infos[] = {
	{ PT_KPROBE, "kprobe", { "k" } },
	{ PT_KRETPROBE, "kretprobe", { "kr" } },
	{ PT_UPROBE, "uprobe", { "u" } },
	{ PT_URETPROBE, "uretprobe", { "ur" } },
	{ PT_USDT, "usdt", { "U" } },
	{ PT_BEGIN, "BEGIN", { 0 } },
	{ PT_END, "END", { 0 } },
	{ PT_TRACEPOINT, "tracepoint", { "t" } },
	{ PT_PROFILE, "profile", { "p" } },
	{ PT_INTERVAL, "interval", { "i" } },
	{ PT_SOFTWARE, "software", { "s" } },
	{ PT_HARDWARE, "hardware", { "h" } },
	{ PT_WATCHPOINT, "watchpoint", { "w" } },
	{ PT_ASYNCWATCHPOINT, "asyncwatchpoint", { "aw" } },
	{ PT_KFUNC, "kfunc", { "f", "fentry" } },
	{ PT_KRETFUNC, "kretfunc", { "fr", "fexit" } },
	{ PT_ITER, "iter", { "it" } },
	{ PT_RAWTRACEPOINT, "rawtracepoint", { "rt" } },
};

static const struct probe_type_info *probe_type_info(enum probe_type t)
{
	for (size_t i = 0; i < sizeof infos / sizeof infos[0]; i++)
		if (infos[i].type == t)
			return &infos[i];
	return NULL;
}

enum probe_type probe_type_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof infos / sizeof infos[0]; i++) {
		if (strcmp(infos[i].name, name) == 0)
			return infos[i].type;
		for (int a = 0; a < 3 && infos[i].aliases[a]; a++)
			if (strcmp(infos[i].aliases[a], name) == 0)
				return infos[i].type;
	}
	return PT_INVALID;
}

const char *probe_type_name(enum probe_type t)
{
	const struct probe_type_info *i = probe_type_info(t);
	return i ? i->name : "invalid";
}

const char *attach_point_name(const struct attach_point *ap, bool with_extra)
{
	char buf[4096];
	size_t n = 0;
#define ADD(...) n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, __VA_ARGS__)
	ADD("%s", probe_type_name(ap->provider));
	if (ap->target && *ap->target)
		ADD(":%s", ap->target);
	if (with_extra && ap->lang && *ap->lang)
		ADD(":%s", ap->lang);
	if (ap->ns && *ap->ns)
		ADD(":%s", ap->ns);
	if (ap->func && *ap->func) {
		ADD(":%s", ap->func);
		if (ap->func_offset)
			ADD("+%" PRIu64, ap->func_offset);
	}
	if (ap->address)
		ADD(":%" PRIu64, ap->address);
	if (ap->freq)
		ADD(":%" PRIu64, ap->freq);
	if (with_extra && ap->len)
		ADD(":%" PRIu64, ap->len);
	if (with_extra && ap->mode && *ap->mode)
		ADD(":%s", ap->mode);
#undef ADD
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	return arena_intern(buf, n);   /* the same names are asked for again */
}
