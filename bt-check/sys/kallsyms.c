/* kallsyms.c - kernel functions and symbols: the traceable function
 * list (available_filter_functions, less the kprobe blacklist, as bpftrace
 * v0.20 takes it: without that file there is none, whatever kallsyms
 * holds), kprobe/kretprobe expansion, the module of a function for kfunc,
 * and kaddr() addresses (/proc/kallsyms).
 *
 * Both sources are big; they are read only when a program uses a kprobe,
 * kfunc or kaddr(), and only the lines that answered are recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "ap_parse.h"
#include "arena.h"
#include "sys_int.h"

#define AFF_KEY "tracefs/available_filter_functions"
#define KALLSYMS_KEY "kallsyms"
#define BLACKLIST_KEY "debugfs/kprobes/blacklist"

struct kfunc_line {
	const char *name, *module; /* module NULL: vmlinux */
	const char *line;          /* the source line (recorded when used) */
};

struct kallsyms {
	/* traceable functions, in source order */
	VEC(struct kfunc_line) funcs;
	bool funcs_loaded;
	/* all of /proc/kallsyms (lines) for kaddr */
	strvec all;
	bool all_loaded;
};

static struct kallsyms *ks(struct sys *s)
{
	if (!s->ksyms)
		s->ksyms = ARENA_NEW(struct kallsyms);
	return s->ksyms;
}

/* Split text into lines in place (text is modified). */
static void lines_in_place(char *text, strvec *out)
{
	for (char *p = text; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (*p)
			VEC_PUSH(out, p);
		p = nl ? nl + 1 : NULL;
	}
}

/* One line "name [module]" of available_filter_functions, parsed into
 * w, a writable copy of the line: name and module point into w. */
static bool parse_func_line(char *w, struct kfunc_line *f)
{
	char *p = w;
	f->name = p;
	char *end = strpbrk(p, " \t");
	f->module = NULL;
	if (end) {
		*end = 0;
		char *lb = strchr(end + 1, '['), *rb = lb ? strchr(lb, ']') : NULL;
		if (lb && rb) {
			*rb = 0;
			f->module = lb + 1;
		}
	}
	return *f->name != 0;
}

/* Names of the kprobe blacklist ("START-END NAME [MODULE]" lines of
 * debugfs's kprobes/blacklist), sorted; none where it cannot be read. */
static void load_blacklist(struct sys *s, strvec *out)
{
	char *text = NULL;
	if (s->sysroot)
		text = sys_snap_read(s, BLACKLIST_KEY, NULL);
	else if (!getenv("BPFTRACE_AVAILABLE_FUNCTIONS_TEST"))
		text = sys_read_file("/sys/kernel/debug/kprobes/blacklist", NULL);
	strvec lines = { 0 };
	lines_in_place(text, &lines);
	for (size_t i = 0; i < lines.n; i++) {
		char *name = strpbrk((char *)lines.v[i], " \t");
		if (!name)
			continue;
		name += strspn(name, " \t");
		name[strcspn(name, " \t")] = 0;
		if (*name)
			VEC_PUSH(out, name);
	}
	sys_sort_unique(out);
}

static void load_funcs(struct sys *s)
{
	struct kallsyms *k = ks(s);
	if (k->funcs_loaded)
		return;
	k->funcs_loaded = true;
	char *text = NULL;
	size_t len = 0;
	if (s->sysroot) {
		text = sys_snap_read(s, AFF_KEY, &len);
	} else {
		const char *test = getenv("BPFTRACE_AVAILABLE_FUNCTIONS_TEST");
		const char *root = test ? NULL : sys_tracefs(s);
		const char *aff = test ? test
			: root ? arena_printf("%s/available_filter_functions", root)
			       : NULL;
		text = aff ? sys_read_file(aff, &len) : NULL;
	}
	if (!text)
		return;
	strvec blacklist = { 0 };
	load_blacklist(s, &blacklist);
	/* two copies: pristine lines (recorded as read) and parsed fields */
	char *work = arena_memdup(text, len + 1);
	strvec lines = { 0 }, wlines = { 0 };
	lines_in_place(text, &lines);
	lines_in_place(work, &wlines);
	for (size_t i = 0; i < lines.n && i < wlines.n; i++) {
		struct kfunc_line f = { .line = lines.v[i] };
		if (parse_func_line((char *)wlines.v[i], &f) &&
		    !sys_sorted_has(&blacklist, f.name))
			VEC_PUSH(&k->funcs, f);
	}
}

static void note_func(struct sys *s, const struct kfunc_line *f)
{
	sys_src_note_line(s, AFF_KEY, f->line);
}

/* Traceable kernel function names matching glob (sorted). */
static void sys_kernel_funcs(struct sys *s, const char *glob, strvec *out)
{
	load_funcs(s);
	struct kallsyms *k = ks(s);
	for (size_t i = 0; i < k->funcs.n; i++) {
		const struct kfunc_line *f = &k->funcs.v[i];
		if (strstr(f->name, ".part."))
			continue;
		if (!ap_glob_match(glob, f->name))
			continue;
		note_func(s, f);
		VEC_PUSH(out, f->name);
	}
	sys_sort_unique(out);
}

static const struct kfunc_line *find_func(struct kallsyms *k, const char *func)
{
	for (size_t i = 0; i < k->funcs.n; i++)
		if (strcmp(k->funcs.v[i].name, func) == 0)
			return &k->funcs.v[i];
	return NULL;
}

void sys_kernel_func_modules(struct sys *s, const char *func, strvec *out)
{
	load_funcs(s);
	struct kallsyms *k = ks(s);
	for (size_t i = 0; i < k->funcs.n; i++) {
		const struct kfunc_line *f = &k->funcs.v[i];
		if (strcmp(f->name, func) != 0)
			continue;
		note_func(s, f);
		VEC_PUSH(out, f->module ? f->module : "vmlinux");
	}
	sys_sort_unique(out);
}

/* "module:func" of every traceable function matching "modglob:funcglob". */
void sys_kernel_mod_funcs(struct sys *s, const char *pattern, strvec *out)
{
	load_funcs(s);
	struct kallsyms *k = ks(s);
	char buf[512];
	for (size_t i = 0; i < k->funcs.n; i++) {
		const struct kfunc_line *f = &k->funcs.v[i];
		int n = snprintf(buf, sizeof buf, "%s:%s",
				 f->module ? f->module : "vmlinux", f->name);
		if (n < 0 || (size_t)n >= sizeof buf || !ap_glob_match(pattern, buf))
			continue;
		const char *mf = arena_strdup(buf);
		note_func(s, f);
		VEC_PUSH(out, mf);
	}
	sys_sort_unique(out);
}

bool sys_expand_kprobe(struct sys *s, const struct attach_point *ap,
		       apvec *out, struct diags *d, struct loc loc,
		       unsigned flags)
{
	const char *func = ap->func ? ap->func : "";
	if (!ap_has_wildcard(func)) {
		if (!(flags & SYS_X_LISTING)) {
			load_funcs(s);
			const struct kfunc_line *f = find_func(ks(s), func);
			if (f)
				note_func(s, f);
			else
				diag_warn(d, loc,
					  "%s is not traceable (either non-existing, inlined, or marked as \"notrace\"); attaching to it will likely fail",
					  func);
			VEC_PUSH(out, sys_ap_copy(ap));
			return true;
		}
		/* listing an exact name: list it if it exists */
		load_funcs(s);
		const struct kfunc_line *f = find_func(ks(s), func);
		if (f) {
			note_func(s, f);
			VEC_PUSH(out, sys_ap_copy(ap));
		}
		return true;
	}
	strvec names = { 0 };
	sys_kernel_funcs(s, func, &names);
	for (size_t i = 0; i < names.n; i++) {
		struct attach_point *c = sys_ap_copy(ap);
		c->func = names.v[i];
		VEC_PUSH(out, c);
	}
	return true;
}

/* kaddr(): any symbol of /proc/kallsyms (first one of that name). */
bool sys_kernel_symbol(struct sys *s, const char *name, uint64_t *addr)
{
	struct kallsyms *k = ks(s);
	if (!k->all_loaded) {
		k->all_loaded = true;
		char *text = s->sysroot ? sys_snap_read(s, KALLSYMS_KEY, NULL)
					: sys_read_file("/proc/kallsyms", NULL);
		lines_in_place(text, &k->all);
	}
	size_t nl = strlen(name);
	for (size_t i = 0; i < k->all.n; i++) {
		const char *l = k->all.v[i];
		const char *sp = strchr(l, ' ');
		if (!sp || !sp[1] || sp[2] != ' ')
			continue;
		const char *n = sp + 3;
		if (strncmp(n, name, nl) != 0 || (n[nl] && n[nl] != ' ' &&
						  n[nl] != '\t'))
			continue;
		*addr = strtoull(l, NULL, 16);
		sys_src_note_line(s, KALLSYMS_KEY, l);
		return true;
	}
	return false;
}
