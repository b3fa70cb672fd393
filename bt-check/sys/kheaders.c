/* kheaders.c - where the kernel's headers are (bpftrace v0.20's
 * search), and their copy in a snapshot.
 *
 * Live: BPFTRACE_KERNEL_SOURCE set is the source directory, and
 * BPFTRACE_KERNEL_BUILD (default: the same) the build directory.  Else
 * /lib/modules/$(uname -r)/source and .../build (Debian keeps the pristine
 * headers in the first, the generated ones in the second); when only one
 * exists it serves as both.
 *
 * Snapshot: every header clang read from those directories is recorded
 * under kheaders/source/ and kheaders/build/ (relative paths kept), with
 * the target's `uname -m` in kheaders/machine; with --sysroot those copies
 * are the kernel headers and nothing of the live system is looked at.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "arena.h"
#include "sys_int.h"

#define KH_MACHINE "kheaders/machine"
#define KH_SOURCE "kheaders/source"
#define KH_BUILD "kheaders/build"

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool live_dirs(const char **src, const char **build)
{
	const char *env = getenv("BPFTRACE_KERNEL_SOURCE");
	if (env) {
		const char *benv = getenv("BPFTRACE_KERNEL_BUILD");
		*src = env;
		*build = benv ? benv : env;
		return true;
	}
	struct utsname u;
	uname(&u);
	const char *s = arena_printf("/lib/modules/%s/source", u.release);
	const char *b = arena_printf("/lib/modules/%s/build", u.release);
	bool have_s = is_dir(s), have_b = is_dir(b);
	if (!have_s && !have_b)
		return false;
	*src = have_s ? s : b;
	*build = have_b ? b : s;
	return true;
}

bool sys_kernel_headers(struct sys *s, const char **src, const char **build,
			const char **machine)
{
	if (s->sysroot) {
		char *m = sys_snap_read(s, KH_MACHINE, NULL);
		if (!m)
			return false;
		m[strcspn(m, "\n")] = 0;
		*machine = m;
		*src = sys_snap_path(s, KH_SOURCE);
		*build = is_dir(sys_snap_path(s, KH_BUILD)) ? sys_snap_path(s, KH_BUILD) : *src;
		return true;
	}
	if (!live_dirs(src, build))
		return false;
	struct utsname u;
	uname(&u);
	*machine = arena_strdup(u.machine);
	s->kh_src = *src;
	s->kh_build = *build;
	if (s->snapdir) {
		const char *line = arena_printf("%s\n", *machine);
		sys_src_note_full(s, KH_MACHINE, line, strlen(line));
	}
	return true;
}

/* path relative to dir, or NULL when it is not inside it. */
static const char *inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && path[n] == '/' ? path + n + 1 : NULL;
}

void sys_note_kernel_header(struct sys *s, const char *path)
{
	if (!s->snapdir || !s->kh_src)
		return;
	const char *rel, *key;
	if ((rel = inside(path, s->kh_src)))
		key = arena_printf(KH_SOURCE "/%s", rel);
	else if ((rel = inside(path, s->kh_build)))
		key = arena_printf(KH_BUILD "/%s", rel);
	else
		return;
	if (strstr(rel, "../"))
		return; /* outside the tree after all */
	size_t len;
	char *data = sys_read_file(path, &len);
	if (data)
		sys_src_note_full(s, key, data, len);
}
