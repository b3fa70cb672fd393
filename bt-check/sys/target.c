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
#include "kernel_id.h"
#include "meta.h"
#include "sys_int.h"

#define RELEASE_KEY "release"

/* 64-bit FNV-1a: a cheap identity of the BTF bytes, not a signature. */
static uint64_t fnv1a64(const void *data, size_t n)
{
	const unsigned char *p = data;
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

/* The build ids of the binaries uprobes and USDT probes attach to: their
 * offsets and argument specs are this build's. */
static void binaries(struct sys *s, const struct meta *m, struct meta_target *t)
{
	for (size_t p = 0; p < m->probes.n; p++) {
		const struct meta_probe *mp = &m->probes.v[p];
		if (mp->type != PT_UPROBE && mp->type != PT_URETPROBE && mp->type != PT_USDT)
			continue;
		for (uint32_t a = 0; a < mp->nattach; a++) {
			const struct attach_point *ap = mp->attach[a].ap;
			if (!ap || !ap->target || !*ap->target)
				continue;
			bool seen = false;
			for (size_t i = 0; i < t->binaries.n && !seen; i++)
				seen = !strcmp(t->binaries.v[i].path, ap->target);
			const struct elf_info *e = seen ? NULL : sys_elf(s, ap->target);
			if (e && e->build_id) {
				struct meta_binary b = { .path = ap->target, .build_id = e->build_id };
				VEC_PUSH(&t->binaries, b);
			}
		}
	}
}

void sys_target(struct sys *s, struct meta *m)
{
	struct meta_target *t = &m->target;
	binaries(s, m, t);
	t->release = release(s);
	t->snapshot = s->sysroot ? s->sysroot : s->snapdir;
	if (s->btf && s->btf_path) {
		/* the bytes libbpf parsed: reading the file again would hold a
		 * second copy (5 MiB) to the end of the run */
		uint32_t n = 0;
		const void *data = btf__raw_data(s->btf, &n);
		if (data)
			t->btf = arena_printf("%u:%016llx", n,
					      (unsigned long long)fnv1a64(data, n));
		/* this very build's BTF typed every kernel type: bt-load can
		 * skip relocating them when it runs on the same build (not
		 * when recording a snapshot: an object compiled from it later,
		 * whose BTF may have been replaced, must be the same) */
		if (!s->sysroot && !s->snapdir && !strcmp(s->btf_path, LIVE_BTF) &&
		    !s->btf_mods.n)
			t->kernel_build_id = kernel_build_id();
	}
}
