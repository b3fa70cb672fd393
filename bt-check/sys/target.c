/* target.c - what a program is compiled against (meta.target,
 * ir-spec/obj.md "Target"): the kernel release, the identity of the
 * kernel BTF that typed it and the snapshot it came from, so that bt-load
 * can tell when it runs on another kernel.  With --snapshot the release
 * is recorded as the snapshot's `release`; with --sysroot it is read from
 * there (absent in older snapshots: unknown).
 */
#include <string.h>
#include <sys/utsname.h>

#include <bpf/btf.h>

#include "arena.h"
#include "meta.h"
#include "sys_int.h"

#define RELEASE_KEY "release"

/* 64-bit FNV-1a: a cheap identity of the BTF bytes, not a signature. */
static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static const char *release(struct sys *s)
{
	size_t n = 0;
	char *r = NULL;
	if (s->sysroot) {
		r = sys_snap_read(s, RELEASE_KEY, &n);
	} else {
		struct utsname u;
		if (uname(&u) == 0) {
			r = arena_printf("%s\n", u.release);
			n = strlen(r);
		}
	}
	if (!r)
		return NULL;
	if (s->snapdir)
		sys_src_note_full(s, RELEASE_KEY, r, n);
	return arena_strndup(r, strcspn(r, "\n"));
}

void sys_target(struct sys *s, struct meta_target *t)
{
	t->release = release(s);
	t->snapshot = s->sysroot ? s->sysroot : s->snapdir;
	if (s->btf && s->btf_path) {
		size_t n = 0;
		char *data = sys_read_file(s->btf_path, &n);
		if (data)
			t->btf = arena_printf("%zu:%016llx", n,
					      (unsigned long long)fnv1a64((unsigned char *)data, n));
	}
}
