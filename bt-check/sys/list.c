/* list.c - `bpftrace -l [PATTERN]` and `-lv` (docs/bpftrace-compat.md
 * "Listing"): the search is parsed as listing attach points, each expanded
 * with SYS_X_LISTING, and the matches printed sorted per attach point, with
 * parameters in verbose mode.  `struct`/`union`/`enum` searches list BTF
 * types.
 */
#include <stdlib.h>
#include <string.h>

#include "ap_parse.h"
#include "arena.h"
#include "sys_int.h"

/* The printed line of one expanded attach point. */
static const char *list_line(const struct attach_point *a)
{
	const char *p = probe_type_name(a->provider);
	const char *t = a->target ? a->target : "";
	const char *f = a->func ? a->func : "";
	switch (a->provider) {
	case PT_KPROBE: case PT_KRETPROBE: case PT_RAWTRACEPOINT:
		return arena_printf("%s:%s", p, f);
	case PT_TRACEPOINT: case PT_KFUNC: case PT_KRETFUNC:
		return arena_printf("%s:%s:%s", p, t, f);
	case PT_UPROBE: case PT_URETPROBE: case PT_WATCHPOINT:
	case PT_ASYNCWATCHPOINT:
		if (a->lang && !strcmp(a->lang, "cpp")) {
			const char *dm = sys_demangle(f);
			return arena_printf("%s:%s:cpp:%s", p, t,
					    dm ? arena_printf("\"%s\"", dm) : f);
		}
		return arena_printf("%s:%s:%s", p, t, f);
	case PT_USDT:
		return arena_printf("%s:%s:%s:%s", p, t, a->ns ? a->ns : "", f);
	case PT_SOFTWARE: case PT_HARDWARE: case PT_PROFILE: case PT_INTERVAL:
		return arena_printf("%s:%s:", p, t);
	case PT_ITER:
		return arena_printf("%s:%s", p, t);
	default:
		return NULL;
	}
}

struct list_item {
	const char *line;
	const char *key;  /* bpftrace sorts C++ matches by mangled name */
	const struct attach_point *ap;
};

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct list_item *)a)->key,
		      ((const struct list_item *)b)->key);
}

static void list_verbose(struct sys *s, const struct attach_point *a,
			 FILE *out, strvec *warned, struct diags *d)
{
	switch (a->provider) {
	case PT_TRACEPOINT:
		sys_tp_list_fields(s, a->target, a->func, out);
		break;
	case PT_KFUNC: case PT_KRETFUNC:
		sys_btf_list_kfunc(s, a->target, a->func, out);
		break;
	case PT_ITER:
		sys_btf_list_iter(s, a->target, out);
		break;
	case PT_UPROBE:
		if (!sys_dwarf_list_params(s, a->target, a->func, out)) {
			for (size_t i = 0; i < warned->n; i++)
				if (!strcmp(warned->v[i], a->target))
					return;
			VEC_PUSH(warned, a->target);
			diag_warn(d, (struct loc){ 0 },
				  "No DWARF found for \"%s\", cannot show parameter info",
				  a->target);
		}
		break;
	default:
		break;
	}
}

static bool list_ap(struct sys *s, const struct attach_point *ap, bool verbose,
		    FILE *out, strvec *warned, struct diags *d)
{
	if (ap->ignore_invalid &&
	    (ap->provider == PT_KFUNC || ap->provider == PT_KRETFUNC) &&
	    !sys_kfunc_supported(s))
		return true;
	apvec exp = { 0 };
	struct diags tmp = { 0 };
	if (!sys_expand(s, ap, &exp, ap->ignore_invalid ? &tmp : d,
			(struct loc){ 0 }, SYS_X_LISTING))
		return ap->ignore_invalid;
	VEC(struct list_item) items = { 0 };
	for (size_t i = 0; i < exp.n; i++) {
		const char *l = list_line(exp.v[i]);
		if (l) {
			const struct attach_point *a = exp.v[i];
			bool cpp = a->lang && !strcmp(a->lang, "cpp");
			struct list_item it = {
				l, cpp ? arena_printf("%s:%s", a->target, a->func) : l,
				a
			};
			VEC_PUSH(&items, it);
		}
	}
	if (items.n > 1)
		qsort(items.v, items.n, sizeof items.v[0], cmp_item);
	for (size_t i = 0; i < items.n; i++) {
		if (i && !strcmp(items.v[i].line, items.v[i - 1].line))
			continue;
		fprintf(out, "%s\n", items.v[i].line);
		if (verbose)
			list_verbose(s, items.v[i].ap, out, warned, d);
	}
	return true;
}

/* bpftrace lexes the search like a program: a byte no token can start
 * with is "invalid character '<c>'" (quoted text aside).  The driver has
 * bt-parse --listing report such errors first, exactly; this is the
 * standalone tool's approximation. */
static bool check_chars(const char *search, struct diags *d)
{
	bool quoted = false;
	for (const unsigned char *p = (const unsigned char *)search; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		if (quoted)
			continue;
		if (*p == '\\' || *p == '`' || *p == '\'' || *p >= 0x7f ||
		    (*p < 0x20 && *p != '\t' && *p != '\n')) {
			int col = (int)((const char *)p - search) + 1;
			diag_error(d, ((struct loc){ 1, col, 1, col + 1 }),
				   "invalid character '%c'", *p);
			return false;
		}
	}
	return true;
}

int sys_list(struct sys *s, const char *pattern, bool verbose, FILE *out,
	     struct diags *d)
{
	const char *search = pattern && *pattern ? pattern : "*:*";
	if (!check_chars(search, d))
		return -1;
	if (!strchr(search, ':') &&
	    (!strncmp(search, "struct", 6) || !strncmp(search, "union", 5) ||
	     !strncmp(search, "enum", 4))) {
		if (sys_btf_list_types(s, search, verbose, out) < 0) {
			diag_error(d, (struct loc){ 0 },
				   "BTF is not available: cannot list types");
			return -1;
		}
		return 0;
	}
	if (!strchr(search, ':'))
		search = arena_printf("*:%s", search);
	struct ap_parse_opts opts = { .listing = true, .have_pid = s->pid > 0 };
	strvec warned = { 0 };
	int rc = 0;
	/* comma-separated attach points, each listed in order */
	char *all = arena_strdup(search);
	for (char *part = all, *next; part; part = next) {
		next = strchr(part, ',');
		if (next)
			*next++ = 0;
		if (!*part)
			continue;
		ap_list aps = { 0 };
		const char *err = NULL;
		if (!ap_parse(part, &opts, &aps, &err)) {
			diag_error(d, (struct loc){ 0 }, "%s",
				   err ? err : "invalid attach point");
			rc = -1;
			continue;
		}
		for (size_t i = 0; i < aps.n; i++)
			if (!list_ap(s, aps.v[i], verbose, out, &warned, d))
				rc = -1;
	}
	return rc;
}
