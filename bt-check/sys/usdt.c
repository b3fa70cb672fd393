/* usdt.c - USDT probes (docs/bpftrace-compat.md "USDT"): matching
 * path:provider:probe against the .note.stapsdt notes of the target binaries
 * (or of every file the -p process maps), the namespace rule, and one attach
 * point per probe location carrying its argument spec and semaphore.
 */
#include <stdlib.h>
#include <string.h>

#include "ap_parse.h"
#include "arena.h"
#include "sys_int.h"

/* "path:provider:probe" of every probe of the given binaries. */
static void usdt_candidates(struct sys *s, const strvec *paths, strvec *out)
{
	for (size_t i = 0; i < paths->n; i++) {
		struct elf_info *e = sys_elf(s, paths->v[i]);
		if (!e)
			continue;
		for (size_t k = 0; k < e->usdt.n; k++)
			VEC_PUSH(out, arena_printf("%s:%s:%s", e->path,
						   e->usdt.v[k].provider,
						   e->usdt.v[k].name));
	}
	sys_sort_unique(out);
}

/* One attach point per location of path:provider:name. */
static size_t push_locations(struct sys *s, const struct attach_point *ap,
			     const char *path, const char *provider,
			     const char *name, apvec *out)
{
	struct elf_info *e = sys_elf(s, path);
	size_t n = 0;
	for (size_t k = 0; e && k < e->usdt.n; k++) {
		const struct usdt_loc *u = &e->usdt.v[k];
		if (strcmp(u->provider, provider) || strcmp(u->name, name))
			continue;
		struct attach_point *c = sys_ap_copy(ap);
		c->target = e->path;
		c->ns = u->provider;
		c->func = u->name;
		c->usdt_offset = u->pc_off;
		c->usdt_sema = u->sema_off;
		c->usdt_args = u->args;
		c->usdt_loc = (int)n++;
		VEC_PUSH(out, c);
	}
	return n;
}

/* Split "path:provider:name" (path has no ':' after its last '/'). */
static bool split_match(const char *m, const char **path, const char **prov,
			const char **name)
{
	const char *last = strrchr(m, ':');
	if (!last || last == m)
		return false;
	const char *mid = last - 1;
	while (mid > m && *mid != ':')
		mid--;
	if (*mid != ':')
		return false;
	*path = arena_strndup(m, (size_t)(mid - m));
	*prov = arena_strndup(mid + 1, (size_t)(last - mid - 1));
	*name = last + 1;
	return true;
}

bool sys_expand_usdt(struct sys *s, const struct attach_point *ap,
		     apvec *out, struct diags *d, struct loc loc,
		     unsigned flags)
{
	bool listing = flags & SYS_X_LISTING;
	const char *func = ap->func && *ap->func ? ap->func : (listing ? "*" : "");
	const char *ns = ap->ns && *ap->ns ? ap->ns : NULL;
	const char *target = ap->target && *ap->target ? ap->target : NULL;
	strvec paths = { 0 };
	const char *tpat;
	if (s->pid) {
		/* every file the process maps, seen through its root */
		strvec mapped = { 0 };
		sys_mapped_paths(s, s->pid, &mapped);
		const char *root = arena_printf("/proc/%d/root", s->pid);
		size_t rl = strlen(root);
		for (size_t i = 0; i < mapped.n; i++)
			VEC_PUSH(&paths, strncmp(mapped.v[i], root, rl)
						 ? arena_printf("%s%s", root, mapped.v[i])
						 : mapped.v[i]);
		tpat = "*";
		if (target) {
			const char *t = sys_user_target(s, ap);
			char *abs = t[0] == '/' ? (char *)t : realpath(t, NULL);
			tpat = arena_printf("*%s", abs ? abs : t);
			if (abs && abs != t)
				free(abs);
		}
	} else {
		if (!target) {
			if (listing)
				return true;
			diag_error(d, loc,
				   "usdt probe must specify at least path or pid to probe. To target all paths/pids set the path to '*'.");
			return false;
		}
		if (!sys_user_targets(s, ap, "usdt", &paths, d, loc, flags))
			return false;
		tpat = ap_has_wildcard(target) ? target : paths.v[0];
	}

	bool underspecified = !ap_has_wildcard(target ? target : "") &&
			      !ap_has_wildcard(ns ? ns : "") &&
			      !ap_has_wildcard(func) && (!ns || s->pid);
	strvec cands = { 0 };
	usdt_candidates(s, &paths, &cands);
	const char *pattern = arena_printf("%s:%s:%s", tpat, ns ? ns : "*", func);
	strvec matches = { 0 };
	for (size_t i = 0; i < cands.n; i++)
		if (ap_glob_match(pattern, cands.v[i]))
			VEC_PUSH(&matches, cands.v[i]);
	if (underspecified && matches.n > 1 && !listing) {
		struct attach_point named = *ap;
		named.target = target ? sys_user_target(s, ap) : NULL;
		named.ns = NULL;
		diag_error(d, (struct loc){ 0 },
			   "namespace for %s not specified, matched %zu probes\n"
			   "INFO: please specify a unique namespace or use '*' to attach to all matched probes",
			   attach_point_name(&named, false), matches.n);
		return false;
	}
	for (size_t i = 0; i < matches.n; i++) {
		const char *path, *prov, *name;
		if (split_match(matches.v[i], &path, &prov, &name))
			push_locations(s, ap, path, prov, name, out);
	}
	return true;
}
