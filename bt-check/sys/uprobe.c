/* uprobe.c - user-space targets (docs/bpftrace-compat.md "uprobes"):
 * library names through the loader cache, $PATH search, globs, -p PID
 * executables and mappings; uprobe/uretprobe and watchpoint expansion over
 * ELF function symbols (C++ names demangled on demand); uaddr() symbols.
 *
 * Every resolution answer is recorded as a line "<kind> <query>\t<r1>\t<r2>.."
 * of the snapshot source "resolve" so --sysroot gives the same paths.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ap_parse.h"
#include "arena.h"
#include "sys_int.h"

#define RESOLVE_KEY "resolve"

/* ---- recorded resolutions ---- */

/* In sysroot mode: the recorded answer of kind/query (false if none). */
static bool resolve_lookup(struct sys *s, const char *kind, const char *query,
			   strvec *out)
{
	if (!s->resolve_loaded) {
		s->resolve_loaded = true;
		sys_split_lines(sys_snap_read(s, RESOLVE_KEY, NULL),
				&s->resolve_lines);
	}
	const strvec lines = s->resolve_lines;
	const char *prefix = arena_printf("%s %s\t", kind, query);
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < lines.n; i++) {
		if (strncmp(lines.v[i], prefix, pl) != 0)
			continue;
		const char *p = lines.v[i] + pl;
		while (*p) {
			const char *tab = strchr(p, '\t');
			size_t n = tab ? (size_t)(tab - p) : strlen(p);
			if (n)
				VEC_PUSH(out, arena_strndup(p, n));
			p = tab ? tab + 1 : p + n;
		}
		return true;
	}
	return false;
}

static void resolve_record(struct sys *s, const char *kind, const char *query,
			   const strvec *res)
{
	if (!s->snapdir)
		return;
	size_t len = strlen(kind) + strlen(query) + 4;
	for (size_t i = 0; i < res->n; i++)
		len += strlen(res->v[i]) + 1;
	char *line = arena_alloc(len);
	strcpy(line, kind);
	strcat(line, " ");
	strcat(line, query);
	strcat(line, "\t");
	for (size_t i = 0; i < res->n; i++) {
		if (i)
			strcat(line, "\t");
		strcat(line, res->v[i]);
	}
	sys_src_note_line(s, RESOLVE_KEY, line);
}

/* ---- library names: /etc/ld.so.cache ---- */

/* The new-format cache ("glibc-ld.so.cache1.1"): a 48-byte header with
 * the entry count at +20, then 24-byte entries {i32 flags; u32 key;
 * u32 value; u32 osversion; u64 hwcap}; key/value are file offsets of the
 * soname and the path.  0x0303 = libc6 ELF, x86-64. */
static const char *ldcache_find(const char *soname_prefix)
{
	size_t len;
	char *c = sys_read_file("/etc/ld.so.cache", &len);
	if (!c)
		return NULL;
	static const char magic[] = "glibc-ld.so.cache1.1";
	char *base = memmem(c, len, magic, sizeof magic - 1);
	if (!base || (size_t)(base - c) + 48 > len)
		return NULL;
	size_t rest = len - (size_t)(base - c);
	uint32_t nlibs;
	memcpy(&nlibs, base + 20, 4);
	size_t pl = strlen(soname_prefix);
	for (uint32_t i = 0; i < nlibs; i++) {
		size_t eo = 48 + (size_t)i * 24;
		if (eo + 24 > rest)
			break;
		int32_t flags;
		uint32_t key, value;
		memcpy(&flags, base + eo, 4);
		memcpy(&key, base + eo + 4, 4);
		memcpy(&value, base + eo + 8, 4);
#if defined(__x86_64__)
		if (flags != 0x0303)
			continue;
#endif
		if (key >= rest || value >= rest)
			continue;
		const char *name = base + key;
		if (!memchr(name, 0, rest - key) || !memchr(base + value, 0, rest - value))
			continue;
		if (strncmp(name, soname_prefix, pl) == 0)
			return arena_strdup(base + value);
	}
	return NULL;
}

/* "libc" -> "/lib/x86_64-linux-gnu/libc.so.6" (NULL if unknown). */
static const char *which_so(struct sys *s, const char *lib)
{
	strvec res = { 0 };
	if (s->sysroot) {
		resolve_lookup(s, "lib", lib, &res);
		return res.n ? res.v[0] : NULL;
	}
	const char *path = ldcache_find(arena_printf("%s.so", lib));
	if (path)
		VEC_PUSH(&res, path);
	resolve_record(s, "lib", lib, &res);
	return path;
}

/* ---- -p PID ---- */

static const char *pid_root_prefix(int pid)
{
	char a[128], b[128];
	ssize_t na = readlink(arena_printf("/proc/%d/ns/mnt", pid), a, sizeof a);
	ssize_t nb = readlink("/proc/self/ns/mnt", b, sizeof b);
	if (na > 0 && nb > 0 && (na != nb || memcmp(a, b, (size_t)na) != 0))
		return arena_printf("/proc/%d/root", pid);
	return "";
}

/* The executable of the -p process, as a path usable from here. */
static const char *sys_pid_exe(struct sys *s, int pid)
{
	strvec res = { 0 };
	const char *q = arena_printf("%d", pid);
	if (s->sysroot) {
		resolve_lookup(s, "pidexe", q, &res);
		return res.n ? res.v[0] : NULL;
	}
	char buf[PATH_MAX];
	ssize_t n = readlink(arena_printf("/proc/%d/exe", pid), buf,
			     sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	const char *exe = arena_printf("%s%s", pid_root_prefix(pid), buf);
	VEC_PUSH(&res, exe);
	resolve_record(s, "pidexe", q, &res);
	return exe;
}

/* Files mapped by pid; prefix: "/proc/PID/root" to reach them from here
 * when the process lives in another mount namespace. */
static void maps_paths(int pid, const char *prefix, strvec *out)
{
	char *maps = sys_read_file(arena_printf("/proc/%d/maps", pid), NULL);
	strvec lines = { 0 };
	sys_split_lines(maps, &lines);
	for (size_t i = 0; i < lines.n; i++) {
		const char *p = strchr(lines.v[i], '/');
		if (p && !strstr(p, " (deleted)"))
			VEC_PUSH(out, *prefix ? arena_printf("%s%s", prefix, p) : p);
	}
}

/* Files mapped by the -p process, or by every running process. */
void sys_mapped_paths(struct sys *s, int pid, strvec *out)
{
	const char *q = pid ? arena_printf("%d", pid) : "*";
	if (s->sysroot) {
		resolve_lookup(s, "maps", q, out);
		return;
	}
	strvec res = { 0 };
	if (pid) {
		maps_paths(pid, pid_root_prefix(pid), &res);
	} else {
		DIR *dir = opendir("/proc");
		struct dirent *de;
		while (dir && (de = readdir(dir))) {
			int p = atoi(de->d_name);
			if (p > 0)
				maps_paths(p, "", &res);
		}
		if (dir)
			closedir(dir);
	}
	sys_sort_unique(&res);
	for (size_t i = 0; i < res.n; i++)
		VEC_PUSH(out, res.v[i]);
	resolve_record(s, "maps", q, &res);
}

/* PATH of a process (in another mount namespace). */
static const char *pid_env_path(int pid)
{
	size_t len;
	char *env = sys_read_file(arena_printf("/proc/%d/environ", pid), &len);
	for (size_t i = 0; env && i < len; i += strlen(env + i) + 1)
		if (!strncmp(env + i, "PATH=", 5))
			return env + i + 5;
	return NULL;
}

/* ---- path resolution ---- */

static bool usable_elf(struct sys *s, const char *path)
{
	struct elf_info *e = sys_elf(s, path);
	/* executables we may run, or shared objects */
	return e && ((e->etype == 2 /* ET_EXEC */ && e->exec) ||
		     e->etype == 3 /* ET_DYN */);
}

/* bpftrace's resolve_binary_path: the name itself plus, without '/',
 * every $PATH entry; globs expanded; keep ELF executables and shared
 * objects. */
static void resolve_binary(struct sys *s, const char *name, strvec *out)
{
	const char *q = arena_printf("%d %s", s->pid, name);
	if (s->sysroot) {
		if (!resolve_lookup(s, "path", q, out) && name[0] == '/' &&
		    usable_elf(s, name))
			VEC_PUSH(out, name);
		return;
	}
	strvec cands = { 0 };
	VEC_PUSH(&cands, name);
	if (!strchr(name, '/')) {
		const char *path = getenv("PATH");
		if (s->pid && *pid_root_prefix(s->pid))
			path = pid_env_path(s->pid);
		char *dirs = arena_strdup(path ? path : "/usr/bin:/bin");
		for (char *tok = strtok(dirs, ":"); tok; tok = strtok(NULL, ":"))
			VEC_PUSH(&cands, arena_printf("%s/%s", tok, name));
	}
	const char *prefix = s->pid ? pid_root_prefix(s->pid) : "";
	strvec res = { 0 };
	for (size_t i = 0; i < cands.n; i++) {
		glob_t g;
		if (glob(arena_printf("%s%s", prefix, cands.v[i]), 0, NULL, &g))
			continue;
		for (size_t j = 0; j < g.gl_pathc; j++)
			if (usable_elf(s, g.gl_pathv[j]))
				VEC_PUSH(&res, arena_strdup(g.gl_pathv[j]));
		globfree(&g);
	}
	for (size_t i = 0; i < res.n; i++)
		VEC_PUSH(out, res.v[i]);
	resolve_record(s, "path", q, &res);
}

/* Resolve a uprobe/usdt target to ELF paths ($PATH, globs, "*" = mapped
 * files).  false with *err = the message tail if an exact target matches
 * nothing; *err = the match count (as text) if it matched several. */
static bool sys_resolve_targets(struct sys *s, const char *target, strvec *out,
				const char **err)
{
	if (strcmp(target, "*") == 0) {
		sys_mapped_paths(s, s->pid, out);
		return true;
	}
	if (ap_has_wildcard(target)) {
		resolve_binary(s, target, out);
		return true;
	}
	strvec paths = { 0 };
	resolve_binary(s, target, &paths);
	if (!paths.n) {
		*err = "does not exist or is not executable";
		return false;
	}
	VEC_PUSH(out, paths.v[0]);
	if (paths.n > 1)
		*err = arena_printf("%zu", paths.n);
	return true;
}

/* The target a user-space attach point names: -p executable when omitted,
 * library shorthand through the loader cache. */
const char *sys_user_target(struct sys *s, const struct attach_point *ap)
{
	const char *t = ap->target;
	if ((!t || !*t) && s->pid)
		t = sys_pid_exe(s, s->pid);
	if (!t)
		return "";
	if (!strncmp(t, "lib", 3) && !strchr(t, '/') && !ap_has_wildcard(t)) {
		const char *so = which_so(s, t);
		if (so)
			return so;
	}
	return t;
}

/* Resolve an attach point's target for provider `what` ("uprobe",
 * "usdt"); false (error reported) if nothing usable. */
bool sys_user_targets(struct sys *s, const struct attach_point *ap,
		      const char *what, strvec *out, struct diags *d,
		      struct loc loc, unsigned flags)
{
	const char *target = sys_user_target(s, ap);
	const char *err = NULL;
	if (!sys_resolve_targets(s, target, out, &err)) {
		diag_error(d, loc, "%s target file '%s' %s", what, target, err);
		return false;
	}
	if (err && !(flags & SYS_X_LISTING))
		diag_warn(d, loc,
			  "attaching to %s target file '%s' but matched %s binaries",
			  what, out->v[0], err);
	return true;
}

/* ---- C++ demangling (libstdc++'s __cxa_demangle, loaded on demand) ---- */

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

const char *sys_demangle(const char *sym)
{
	static demangle_fn fn;
	static bool tried;
	if (strncmp(sym, "_Z", 2) != 0)
		return NULL;
	if (!tried) {
		tried = true;
		void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
		if (h)
			fn = (demangle_fn)dlsym(h, "__cxa_demangle");
	}
	if (!fn)
		return NULL;
	int status = 0;
	char *r = fn(sym, NULL, NULL, &status);
	if (!r || status)
		return NULL;
	char *out = arena_strdup(r);
	free(r);
	return out;
}

/* Does "path:sym" match pattern?  For C++ also try the demangled name
 * (without the parameter list unless the pattern has '('). */
static bool sym_matches(const char *pattern, const char *path, const char *sym,
			bool cpp)
{
	if (ap_glob_match(pattern, arena_printf("%s:%s", path, sym)))
		return true;
	if (!cpp)
		return false;
	const char *dm = sys_demangle(sym);
	if (!dm)
		return false;
	if (!strchr(pattern, '(')) {
		const char *paren = strrchr(dm, '(');
		if (paren)
			dm = arena_strndup(dm, (size_t)(paren - dm));
	}
	return ap_glob_match(pattern, arena_printf("%s:%s", path, dm));
}

/* Function symbols of the targets matching "pattern" -> attach points. */
static void match_functions(struct sys *s, const struct attach_point *ap,
			    const strvec *targets, const char *pattern,
			    apvec *out)
{
	bool cpp = ap->lang && strcmp(ap->lang, "cpp") == 0;
	strvec matches = { 0 };
	for (size_t t = 0; t < targets->n; t++) {
		struct elf_info *e = sys_elf(s, targets->v[t]);
		if (!e)
			continue;
		for (size_t i = 0; i < e->syms.n; i++) {
			const struct elf_sym *y = &e->syms.v[i];
			if (y->kind != 'F' && y->kind != 'I')
				continue;
			if (sym_matches(pattern, e->path, y->name, cpp))
				VEC_PUSH(&matches, arena_printf("%s:%s", e->path,
								y->name));
		}
	}
	sys_sort_unique(&matches);
	for (size_t i = 0; i < matches.n; i++) {
		/* split at the last ':' before the symbol: paths have none
		 * after the target part we built */
		const char *m = matches.v[i];
		size_t tl = 0;
		for (size_t t = 0; t < targets->n; t++) {
			size_t l = strlen(targets->v[t]);
			if (!strncmp(m, targets->v[t], l) && m[l] == ':' && l > tl)
				tl = l;
		}
		struct attach_point *c = sys_ap_copy(ap);
		c->target = arena_strndup(m, tl);
		c->func = m + tl + 1;
		VEC_PUSH(out, c);
	}
}

bool sys_expand_uprobe(struct sys *s, const struct attach_point *ap,
		       apvec *out, struct diags *d, struct loc loc,
		       unsigned flags)
{
	strvec targets = { 0 };
	if (!sys_user_targets(s, ap, "uprobe", &targets, d, loc, flags))
		return false;
	if (!(flags & SYS_X_LISTING))
		for (size_t i = 0; i < targets.n; i++)
			sys_dwarf_note_binary(s, targets.v[i]);
	const char *target = sys_user_target(s, ap);
	const char *func = ap->func;
	bool cpp = ap->lang && strcmp(ap->lang, "cpp") == 0;
	bool address_form = !func || !*func;
	if (address_form && (flags & SYS_X_LISTING) && !ap->address)
		func = "*";
	else if (address_form) {
		if (ap_has_wildcard(target)) {
			diag_error(d, loc, "Cannot use wildcards with absolute address");
			return false;
		}
		for (size_t i = 0; i < targets.n; i++) {
			struct attach_point *c = sys_ap_copy(ap);
			c->target = targets.v[i];
			VEC_PUSH(out, c);
		}
		return true;
	}
	if (!ap_has_wildcard(func) && !ap_has_wildcard(target) && !cpp) {
		/* taken as written, as bpftrace v0.20 does: a missing symbol is
		 * bt-load's "Could not resolve symbol" when it attaches */
		struct attach_point *c = sys_ap_copy(ap);
		c->target = targets.v[0];
		VEC_PUSH(out, c);
		return true;
	}
	const char *tpat = ap_has_wildcard(target) ? target : targets.v[0];
	match_functions(s, ap, &targets, arena_printf("%s:%s", tpat, func),
			out);
	return true;
}

bool sys_expand_watchpoint(struct sys *s, const struct attach_point *ap,
			   apvec *out, struct diags *d, struct loc loc,
			   unsigned flags)
{
	struct attach_point *c = sys_ap_copy(ap);
	if (!c->target || !*c->target)
		c->target = s->pid ? sys_pid_exe(s, s->pid) : s->child_exe;
	if (!ap->func || !ap_has_wildcard(ap->func) || !c->target) {
		VEC_PUSH(out, c);
		return true;
	}
	strvec targets = { 0 };
	VEC_PUSH(&targets, c->target);
	match_functions(s, c, &targets,
			arena_printf("%s:%s", c->target, ap->func), out);
	return true;
}

bool sys_user_symbol(struct sys *s, const char *path, const char *name,
		     uint64_t *addr, uint64_t *size)
{
	struct elf_info *e = sys_elf(s, path);
	if (!e)
		return false;
	const struct elf_sym *y = sys_elf_find(e, name);
	if (!y)
		return false;
	*addr = y->addr;
	if (size)
		*size = y->size;
	return true;
}
