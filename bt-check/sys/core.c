/* core.c - sys_open/sys_close, the per-provider dispatch of
 * sys_expand, and the small system queries (cgroup ids).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "sys_int.h"

struct sys *sys_open(const char *sysroot, const char *snapshot_dir, int pid)
{
	struct sys *s = ARENA_NEW(struct sys);
	s->sysroot = arena_strdup(sysroot);
	s->snapdir = arena_strdup(snapshot_dir);
	s->pid = pid;
	return s;
}

void sys_set_child_exe(struct sys *s, const char *path)
{
	s->child_exe = arena_strdup(path);
}

int sys_close(struct sys *s)
{
	if (!s)
		return 0;
	return sys_snap_write(s);
}

struct attach_point *sys_ap_copy(const struct attach_point *ap)
{
	struct attach_point *c = ARENA_NEW(struct attach_point);
	*c = *ap;
	c->need_expansion = false;
	return c;
}

bool sys_sorted_has(const strvec *v, const char *name)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v->v[mid], name);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool expand_as_is(struct sys *s, const struct attach_point *ap,
			 apvec *out, struct diags *d, struct loc loc,
			 unsigned flags)
{
	VEC_PUSH(out, sys_ap_copy(ap));
	return true;
}

static sys_expand_fn *const expanders[PT__COUNT] = {
	[PT_KPROBE] = sys_expand_kprobe,
	[PT_KRETPROBE] = sys_expand_kprobe,
	[PT_UPROBE] = sys_expand_uprobe,
	[PT_URETPROBE] = sys_expand_uprobe,
	[PT_USDT] = sys_expand_usdt,
	[PT_BEGIN] = expand_as_is,
	[PT_END] = expand_as_is,
	[PT_TRACEPOINT] = sys_expand_tracepoint,
	[PT_PROFILE] = sys_expand_perf,
	[PT_INTERVAL] = sys_expand_perf,
	[PT_SOFTWARE] = sys_expand_perf,
	[PT_HARDWARE] = sys_expand_perf,
	[PT_WATCHPOINT] = sys_expand_watchpoint,
	[PT_ASYNCWATCHPOINT] = sys_expand_watchpoint,
	[PT_KFUNC] = sys_expand_kfunc,
	[PT_KRETFUNC] = sys_expand_kfunc,
	[PT_ITER] = sys_expand_iter,
	[PT_RAWTRACEPOINT] = sys_expand_rawtracepoint,
};

bool sys_expand(struct sys *s, const struct attach_point *ap, apvec *out,
		struct diags *d, struct loc loc, unsigned flags)
{
	if ((unsigned)ap->provider >= PT__COUNT || !expanders[ap->provider]) {
		diag_error(d, loc, "Invalid provider: '%s'",
			   probe_type_name(ap->provider));
		return false;
	}
	return expanders[ap->provider](s, ap, out, d, loc, flags);
}

/* cgroupid("path"): the cgroup id is the kernfs file handle of the cgroup
 * directory, 8 bytes.  As bpftrace, the handle is asked for with room for
 * exactly 8 bytes, so any other file system fails (EOVERFLOW). */
int sys_cgroup_id(struct sys *s, const char *path, uint64_t *id)
{
	const char *key = "cgroups";
	if (s->sysroot) {
		strvec lines = { 0 };
		size_t plen = strlen(path);
		sys_split_lines(sys_snap_read(s, key, NULL), &lines);
		for (size_t i = 0; i < lines.n; i++) {
			const char *tab = strrchr(lines.v[i], '\t');
			if (tab && (size_t)(tab - lines.v[i]) == plen &&
			    strncmp(lines.v[i], path, plen) == 0) {
				*id = strtoull(tab + 1, NULL, 10);
				return 0;
			}
		}
		return ENOENT;
	}
	struct {
		struct file_handle fh;
		uint64_t cgid;
	} h;
	int mount_id;
	h.fh.handle_bytes = sizeof h.cgid;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
		return errno;
	*id = h.cgid;
	sys_src_note_line(s, key,
			  arena_printf("%s\t%llu", path,
				       (unsigned long long)*id));
	return 0;
}
