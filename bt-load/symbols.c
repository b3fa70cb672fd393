/* symbols.c - resolve what depends on the live machine before a value is
 * written: ksym/usym -> `sym`, kstack/ustack -> `stack`, uid ->
 * `username`, cgroup id -> `cgroup` records (ir-spec/out.md).
 *
 * sym_prepare() walks a value by its type (tuples, records and arrays
 * included) and writes each record the first time it is needed (stacks
 * again when a stack id's frames changed), so a saved stream is
 * self-contained.  User addresses go through /proc/PID/maps (cached per
 * pid; the traced process's kept fresh, usym_watch) to the mapped ELF
 * file's symbols; when the process is gone and was never seen the
 * program's uprobe/usdt binaries are tried as non-PIE executables.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "load.h"

/* ---- "already written" sets: open addressing on 3 u64 words ---- */
struct seen {
	uint64_t (*k)[4];   /* a, b, c, extra (stack frame hash); k[3]!=0 marks used */
	size_t cap, n;
};

static uint64_t mix(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xff51afd7ed558ccdull ^ c;
	h ^= h >> 31;
	return h * 0xc4ceb9fe1a85ec53ull;
}

/* Returns the slot for (a,b,c), inserting if absent; *found says which. */
static uint64_t *seen_slot(struct seen *s, uint64_t a, uint64_t b, uint64_t c, bool *found)
{
	if ((s->n + 1) * 2 > s->cap) {
		struct seen old = *s;
		s->cap = old.cap ? old.cap * 2 : 256;
		s->k = calloc(s->cap, sizeof *s->k);
		s->n = 0;
		for (size_t i = 0; i < old.cap; i++) {
			if (old.k[i][3]) {
				bool f;
				uint64_t *slot = seen_slot(s, old.k[i][0], old.k[i][1], old.k[i][2], &f);
				slot[3] = old.k[i][3];
			}
		}
		free(old.k);
	}
	size_t i = mix(a, b, c) & (s->cap - 1);
	while (s->k[i][3]) {
		if (s->k[i][0] == a && s->k[i][1] == b && s->k[i][2] == c) {
			*found = true;
			return s->k[i];
		}
		i = (i + 1) & (s->cap - 1);
	}
	*found = false;
	s->k[i][0] = a;
	s->k[i][1] = b;
	s->k[i][2] = c;
	s->k[i][3] = 1;
	s->n++;
	return s->k[i];
}

static struct seen g_syms, g_stacks, g_users, g_cgroups;

/* ---- user address -> symbol ---- */
struct mapping {
	uint64_t start, end, off;
	const char *path;
};

struct pidmaps {
	pid_t pid;
	uint64_t read_ms;         /* when it was read (re-read at most 1/s) */
	struct mapping *m;
	size_t n;
	struct pidmaps *next;
};

static struct pidmaps *g_pidmaps;
static size_t g_npidmaps;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct pidmaps *read_maps(pid_t pid)
{
	char fn[64];
	snprintf(fn, sizeof fn, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(fn, "re");
	if (!f)
		return NULL;
	struct pidmaps *pm = calloc(1, sizeof *pm);
	pm->pid = pid;
	pm->read_ms = now_ms();
	size_t cap = 0;
	char line[4096 + 128];
	while (fgets(line, sizeof line, f)) {
		unsigned long long s, e, off;
		char perms[8];
		int pathpos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off, &pathpos) < 4 ||
		    !pathpos || line[pathpos] != '/')
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (pm->n == cap) {
			cap = cap ? cap * 2 : 32;
			pm->m = realloc(pm->m, cap * sizeof *pm->m);
		}
		const char *path = line + pathpos;
		/* reuse the previous mapping's string for the same file */
		if (pm->n && !strcmp(pm->m[pm->n - 1].path, path))
			path = pm->m[pm->n - 1].path;
		else
			path = strdup(path);
		pm->m[pm->n++] = (struct mapping){ s, e, off, path };
	}
	fclose(f);
	return pm;
}

static void free_maps(struct pidmaps *pm)
{
	for (size_t i = 0; i < pm->n; i++)
		if (i == 0 || pm->m[i].path != pm->m[i - 1].path)
			free((void *)pm->m[i].path);
	free(pm->m);
	free(pm);
}

/* Maps of pid, cached (at most 64 pids kept), read again when the cached
 * copy is older than max_age_ms.  When the process is gone (or a zombie,
 * which has no maps) the copy read last stays: a process that exits right
 * after its event still has its addresses resolved. */
static struct pidmaps *maps_of(pid_t pid, uint64_t max_age_ms)
{
	struct pidmaps **pp = &g_pidmaps;
	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->next;
	struct pidmaps *old = *pp;
	if (old && now_ms() - old->read_ms < max_age_ms)
		return old;
	struct pidmaps *pm = read_maps(pid);
	if (pm && !pm->n) {
		free_maps(pm);
		pm = NULL;
	}
	if (!pm)
		return old;
	if (old) {
		*pp = old->next;
		free_maps(old);
		g_npidmaps--;
	}
	if (g_npidmaps >= 64) {   /* drop the oldest (last) */
		struct pidmaps **last = &g_pidmaps;
		while ((*last)->next)
			last = &(*last)->next;
		free_maps(*last);
		*last = NULL;
		g_npidmaps--;
	}
	pm->next = g_pidmaps;
	g_pidmaps = pm;
	g_npidmaps++;
	return pm;
}

static bool same_file(const char *a, const char *b)
{
	struct stat x, y;
	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

/* The traced process (-p, or the -c command) may exit right after the
 * event that needs its symbols, before bt-load reads the event (bpftrace
 * races the same way).  So while it runs, its maps are kept at most
 * 100 ms old, when the program prints user symbols at all; not while the
 * -c child is still our forked image, before its exec. */
void usym_watch(struct bt *bt)
{
	if (bt->target_pid <= 0 || !bt->uses_usyms)
		return;
	char exe[64];
	snprintf(exe, sizeof exe, "/proc/%d/exe", (int)bt->target_pid);
	if (!same_file(exe, "/proc/self/exe"))
		maps_of(bt->target_pid, 100);
}

static const char *demangle(struct bt *bt, const char *name)
{
	static char *(*cxa)(const char *, char *, size_t *, int *);
	static bool tried;
	if (!bt->meta.cfg.cpp_demangle || strncmp(name, "_Z", 2) != 0)
		return name;
	if (!tried) {
		tried = true;
		void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
		if (h)
			*(void **)&cxa = dlsym(h, "__cxa_demangle");
	}
	if (!cxa)
		return name;
	int st = 0;
	char *d = cxa(name, NULL, NULL, &st);
	if (!d || st != 0)
		return name;
	/* interned so callers can keep the pointer */
	const char *r = arena_strdup(d);
	free(d);
	return r;
}

static const char *lookup_in_maps(struct pidmaps *pm, pid_t pid, uint64_t addr,
				  uint64_t *off, const char **module)
{
	for (size_t i = 0; pm && i < pm->n; i++) {
		const struct mapping *m = &pm->m[i];
		if (addr < m->start || addr >= m->end)
			continue;
		*module = m->path;
		char root[4200];
		snprintf(root, sizeof root, "/proc/%d/root%s", (int)pid, m->path);
		struct elfsyms *es = elfsyms_get(root);
		if (!es)
			es = elfsyms_get(m->path);
		uint64_t vaddr = elfsyms_vaddr_of_offset(es, addr - m->start + m->off);
		if (vaddr == (uint64_t)-1)
			return NULL;
		return elfsyms_addr(es, vaddr, off);
	}
	return NULL;
}

const char *usym_lookup(struct bt *bt, pid_t pid, uint64_t addr, uint64_t *off,
			const char **module)
{
	*module = NULL;
	*off = 0;
	const char *name = NULL;
	struct pidmaps *pm = maps_of(pid, UINT64_MAX);
	if (pm) {
		name = lookup_in_maps(pm, pid, addr, off, module);
		if (!name && !*module) {   /* new mapping (dlopen)? at most once a second */
			pm = maps_of(pid, 1000);
			name = lookup_in_maps(pm, pid, addr, off, module);
		}
	}
	if (!name && !*module) {
		/* process gone: the program's uprobe/usdt binaries, as non-PIE */
		for (size_t i = 0; i < bt->meta.probes.n && !name; i++) {
			const struct meta_probe *p = &bt->meta.probes.v[i];
			for (uint32_t a = 0; a < p->nattach && !name; a++) {
				const struct attach_point *ap = p->attach[a].ap;
				if (!ap || !ap->target || !*ap->target)
					continue;
				if (p->type != PT_UPROBE && p->type != PT_URETPROBE && p->type != PT_USDT)
					continue;
				struct elfsyms *es = elfsyms_get(ap->target);
				if (es && !elfsyms_is_pie(es) && (name = elfsyms_addr(es, addr, off)))
					*module = ap->target;
			}
		}
	}
	return name ? demangle(bt, name) : NULL;
}

/* ---- records ---- */
static void write_sym(struct bt *bt, bool user, uint64_t pid, uint64_t addr)
{
	bool found;
	seen_slot(&g_syms, user ? 1 : 0, pid, addr, &found);
	if (found)
		return;
	uint64_t off = 0;
	const char *module = NULL;
	const char *name = user ? usym_lookup(bt, (pid_t)pid, addr, &off, &module)
				: ksym_lookup(addr, &off);
	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 7);
	mp_kv_str(pk, "t", "sym");
	mp_kv_bool(pk, "user", user);
	mp_kv_uint(pk, "pid", pid);
	mp_kv_uint(pk, "addr", addr);
	mp_kv_str(pk, "name", name);
	mp_kv_uint(pk, "off", name ? off : 0);
	mp_kv_str(pk, "module", module);
	out_record_done(bt);
}

static int stack_map_fd(struct bt *bt, unsigned limit)
{
	static int fds[1025];
	static bool tried[1025];
	if (limit > 1024)
		return -1;
	if (tried[limit])
		return fds[limit];
	tried[limit] = true;
	fds[limit] = -1;
	const char *fmts[] = { "stack_%u", "stack_bpftrace_%u", "stack_perf_%u", "stack_raw_%u" };
	for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
		char name[64];
		snprintf(name, sizeof name, fmts[i], limit);
		struct bpf_map *m = map_by_name(bt, name);
		if (m) {
			fds[limit] = bpf_map__fd(m);
			break;
		}
	}
	return fds[limit];
}

static void write_stack(struct bt *bt, bool user, uint64_t pid, int64_t id,
			const struct type *t)
{
	unsigned limit = t->stack_limit ? t->stack_limit : 127;
	uint64_t frames[1024];
	unsigned n = 0;
	int fd = stack_map_fd(bt, limit);
	uint32_t key = (uint32_t)id;
	if (id >= 0 && fd >= 0 && limit <= 1024 &&
	    bpf_map_lookup_elem(fd, &key, frames) == 0) {
		while (n < limit && frames[n])
			n++;
	}
	uint64_t h = 1469598103934665603ull;
	for (unsigned i = 0; i < n; i++)
		h = (h ^ frames[i]) * 1099511628211ull;
	h |= 1;   /* non-zero: marks the slot used */
	bool found;
	uint64_t *slot = seen_slot(&g_stacks, user ? 1 : 0, pid, (uint64_t)id, &found);
	if (found && slot[3] == h)
		return;
	slot[3] = h;

	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 7);
	mp_kv_str(pk, "t", "stack");
	mp_kv_bool(pk, "user", user);
	mp_kv_uint(pk, "pid", pid);
	mp_kv_int(pk, "id", id);
	mp_kv_uint(pk, "mode", t->stack_mode);
	mp_kv_uint(pk, "limit", limit);
	mp_key(pk, "frames");
	msgpack_pack_array(pk, n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = 0;
		const char *module = NULL;
		const char *name = user ? usym_lookup(bt, (pid_t)pid, frames[i], &off, &module)
					: ksym_lookup(frames[i], &off);
		msgpack_pack_array(pk, 4);
		msgpack_pack_uint64(pk, frames[i]);
		mp_put_str(pk, name);
		msgpack_pack_uint64(pk, name ? off : 0);
		mp_put_str(pk, module);
	}
	out_record_done(bt);
}

static void write_username(struct bt *bt, uint64_t uid)
{
	bool found;
	seen_slot(&g_users, uid, 0, 0, &found);
	if (found)
		return;
	struct passwd *pw = getpwuid((uid_t)uid);
	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 3);
	mp_kv_str(pk, "t", "username");
	mp_kv_uint(pk, "uid", uid);
	mp_kv_str(pk, "name", pw ? pw->pw_name : NULL);
	out_record_done(bt);
}

/* ---- cgroup paths (bpftrace: every cgroup mount, "unified" first) ---- */
static bool find_ino(const char *dir, uint64_t ino, char *out, size_t outn, int depth)
{
	if (depth > 64)
		return false;
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *e;
	bool ok = false;
	while (!ok && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4096];
		if (snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) >= (int)sizeof sub)
			continue;
		if (e->d_ino == ino) {
			snprintf(out, outn, "%s", sub);
			ok = true;
		} else {
			ok = find_ino(sub, ino, out, outn, depth + 1);
		}
	}
	closedir(d);
	return ok;
}

struct cg_root {
	char name[256];
	char path[1024];
};

static int cg_root_cmp(const void *a, const void *b)
{
	const struct cg_root *x = a, *y = b;
	bool ux = !strcmp(x->name, "unified"), uy = !strcmp(y->name, "unified");
	if (ux != uy)
		return ux ? -1 : 1;
	return strcmp(x->name, y->name);
}

static char *cgroup_text(uint64_t cgid, const char *filter)
{
	struct cg_root roots[64];
	int n = 0;
	FILE *f = fopen("/proc/mounts", "re");
	char line[4096];
	while (f && n < 64 && fgets(line, sizeof line, f)) {
		char dev[1024], mnt[1024], fstype[64];
		if (sscanf(line, "%1023s %1023s %63s", dev, mnt, fstype) != 3)
			continue;
		if (!strcmp(fstype, "cgroup2"))
			snprintf(roots[n].name, sizeof roots[n].name, "unified");
		else if (!strcmp(fstype, "cgroup"))
			snprintf(roots[n].name, sizeof roots[n].name, "%.255s",
				 strrchr(mnt, '/') ? strrchr(mnt, '/') + 1 : mnt);
		else
			continue;
		if (fnmatch(filter && *filter ? filter : "*", roots[n].name, 0) != 0)
			continue;
		snprintf(roots[n].path, sizeof roots[n].path, "%s", mnt);
		n++;
	}
	if (f)
		fclose(f);
	qsort(roots, (size_t)n, sizeof *roots, cg_root_cmp);
	size_t cap = 256, len = 0;
	char *out = calloc(1, cap);
	for (int i = 0; i < n && out; i++) {
		char found[4096] = "";
		const char *rel = "";
		struct stat st;
		if (stat(roots[i].path, &st) == 0 && st.st_ino == cgid)
			rel = "/";
		else if (find_ino(roots[i].path, cgid, found, sizeof found, 0))
			rel = found + strlen(roots[i].path);
		size_t need = strlen(roots[i].name) + strlen(rel) + 3;
		if (len + need >= cap) {
			cap = (len + need) * 2;
			out = realloc(out, cap);
			if (!out)
				break;
		}
		len += (size_t)sprintf(out + len, "%s%s:%s", i ? "," : "", roots[i].name, rel);
	}
	return out;
}

static void write_cgroup(struct bt *bt, uint64_t fid, uint64_t cgid)
{
	bool found;
	seen_slot(&g_cgroups, fid, cgid, 0, &found);
	if (found)
		return;
	const char *filter = fid < bt->meta.cgroup_filters.n ? bt->meta.cgroup_filters.v[fid] : "*";
	char *path = cgroup_text(cgid, filter);
	msgpack_packer *pk = &bt->out->pk;
	msgpack_pack_map(pk, 4);
	mp_kv_str(pk, "t", "cgroup");
	mp_kv_uint(pk, "id", cgid);
	mp_kv_uint(pk, "filter", fid);
	mp_kv_str(pk, "path", path ? path : "");
	out_record_done(bt);
	free(path);
}

/* ---- type walk ---- */
static bool type_has_syms(const struct type *t, bool user)
{
	if (!t)
		return false;
	if (t->kind == (user ? TY_USYM : TY_KSYM) || t->kind == (user ? TY_USTACK : TY_KSTACK))
		return true;
	if (t->kind == TY_ARRAY)
		return type_has_syms(t->elem, user);
	for (uint32_t i = 0; (t->kind == TY_TUPLE || t->kind == TY_RECORD) && i < t->nfields; i++)
		if (type_has_syms(t->fields[i].type, user))
			return true;
	return false;
}

/* Whether any value the program prints holds kernel (user) symbols. */
static bool meta_uses_syms(const struct meta *m, bool user)
{
	for (size_t i = 0; i < m->maps.n; i++) {
		if (type_has_syms(m->maps.v[i].value, user))
			return true;
		for (uint32_t k = 0; k < m->maps.v[i].nkeys; k++)
			if (type_has_syms(m->maps.v[i].keys[k], user))
				return true;
	}
	const struct meta_fmt *lists[3] = { m->printfs.v, m->systems.v, m->cats.v };
	size_t counts[3] = { m->printfs.n, m->systems.n, m->cats.n };
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++)
			for (uint32_t a = 0; a < lists[l][i].nargs; a++)
				if (type_has_syms(lists[l][i].args[a].type, user))
					return true;
	for (size_t i = 0; i < m->print_types.n; i++)
		if (type_has_syms(m->print_types.v[i], user))
			return true;
	return false;
}

bool meta_uses_ksyms(const struct meta *m)
{
	return meta_uses_syms(m, false);
}

bool meta_uses_usyms(const struct meta *m)
{
	return meta_uses_syms(m, true);
}

bool type_needs_syms(const struct type *t)
{
	if (!t)
		return false;
	switch (t->kind) {
	case TY_KSYM: case TY_USYM: case TY_KSTACK: case TY_USTACK:
	case TY_USERNAME: case TY_CGROUP_PATH:
		return true;
	case TY_ARRAY:
		return type_needs_syms(t->elem);
	case TY_TUPLE: case TY_RECORD:
		for (uint32_t i = 0; i < t->nfields; i++)
			if (type_needs_syms(t->fields[i].type))
				return true;
		return false;
	default:
		return false;
	}
}

static uint64_t rd(const uint8_t *p, size_t off, size_t n, size_t size)
{
	uint64_t v = 0;
	if (off + size <= n)
		memcpy(&v, p + off, size);
	return v;
}

void sym_prepare(struct bt *bt, const struct type *t, const uint8_t *p, size_t n)
{
	if (!t)
		return;
	switch (t->kind) {
	case TY_KSYM:
		write_sym(bt, false, 0, rd(p, 0, n, 8));
		break;
	case TY_USYM:
		write_sym(bt, true, rd(p, 8, n, 8), rd(p, 0, n, 8));
		break;
	case TY_KSTACK:
		write_stack(bt, false, 0, (int32_t)rd(p, 0, n, 8), t);
		break;
	case TY_USTACK:
		write_stack(bt, true, rd(p, 8, n, 4), (int32_t)rd(p, 0, n, 8), t);
		break;
	case TY_USERNAME:
		write_username(bt, rd(p, 0, n, 8));
		break;
	case TY_CGROUP_PATH:
		write_cgroup(bt, rd(p, 0, n, 8), rd(p, 8, n, 8));
		break;
	case TY_ARRAY:
		if (t->elem && t->elem->size && type_needs_syms(t->elem))
			for (uint32_t i = 0; i < t->count && (size_t)(i + 1) * t->elem->size <= n; i++)
				sym_prepare(bt, t->elem, p + (size_t)i * t->elem->size,
					    n - (size_t)i * t->elem->size);
		break;
	case TY_TUPLE: case TY_RECORD:
		for (uint32_t i = 0; i < t->nfields; i++) {
			const struct field *f = &t->fields[i];
			if (f->offset < n && type_needs_syms(f->type))
				sym_prepare(bt, f->type, p + f->offset, n - f->offset);
		}
		break;
	default:
		break;
	}
}

void sym_prepare_fmt(struct bt *bt, const struct meta_fmt *f, const uint8_t *d, size_t n)
{
	for (uint32_t i = 0; i < f->nargs; i++) {
		const struct meta_arg *a = &f->args[i];
		if (a->offset < n && type_needs_syms(a->type))
			sym_prepare(bt, a->type, d + a->offset, n - a->offset);
	}
}
