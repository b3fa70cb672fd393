/* snapshot.c - where system facts come from: the live machine or an
 * offline snapshot directory (--sysroot), and the recording of every
 * answer into a snapshot directory (--snapshot).  Format: ir-spec/snapshot.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "sys_int.h"

#define SNAPSHOT_MAGIC "bt-check snapshot 1\n"

char *sys_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	char *out = arena_alloc(n + 1);
	memcpy(out, buf, n);
	out[n] = 0;
	free(buf);
	if (len)
		*len = n;
	return out;
}

void sys_split_lines(const char *text, strvec *out)
{
	const char *p = text;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n)
			VEC_PUSH(out, arena_strndup(p, n));
		p = nl ? nl + 1 : NULL;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void sys_sort_unique(strvec *v)
{
	if (v->n < 2)
		return;
	qsort(v->v, v->n, sizeof *v->v, cmp_str);
	size_t w = 1;
	for (size_t i = 1; i < v->n; i++)
		if (strcmp(v->v[i], v->v[w - 1]) != 0)
			v->v[w++] = v->v[i];
	v->n = w;
}

const char *sys_snap_path(struct sys *s, const char *key)
{
	return arena_printf("%s/%s", s->sysroot, key);
}

char *sys_snap_read(struct sys *s, const char *key, size_t *len)
{
	if (!s->sysroot)
		return NULL;
	return sys_read_file(sys_snap_path(s, key), len);
}

static struct snap_entry *snap_entry(struct sys *s, const char *key)
{
	for (size_t i = 0; i < s->snap.n; i++)
		if (strcmp(s->snap.v[i]->key, key) == 0)
			return s->snap.v[i];
	struct snap_entry *e = ARENA_NEW(struct snap_entry);
	e->key = arena_strdup(key);
	VEC_PUSH(&s->snap, e);
	return e;
}

void sys_src_note_line(struct sys *s, const char *key, const char *line)
{
	if (!s->snapdir)
		return;
	struct snap_entry *e = snap_entry(s, key);
	VEC_PUSH(&e->lines, arena_strdup(line));
}

void sys_src_note_full(struct sys *s, const char *key, const char *data,
		       size_t len)
{
	if (!s->snapdir)
		return;
	struct snap_entry *e = snap_entry(s, key);
	e->full = true;
	e->data = data;
	e->len = len;
}

char *sys_src_read(struct sys *s, const char *key, const char *live_path,
		   size_t *len)
{
	size_t n = 0;
	char *data = s->sysroot ? sys_snap_read(s, key, &n)
				: (live_path ? sys_read_file(live_path, &n) : NULL);
	if (data)
		sys_src_note_full(s, key, data, n);
	if (len)
		*len = n;
	return data;
}

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path)
{
	char *p = arena_strdup(path);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*q = '/';
	}
	return 0;
}

static int write_file(const char *path, const void *data, size_t len)
{
	int err = make_parents(path);
	if (err)
		return err;
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	if (len && fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

/* Merge recorded lines with whatever the snapshot file already holds, so
 * several programs can be recorded into one directory. */
static int write_lines(const char *path, struct snap_entry *e)
{
	strvec all = { 0 };
	char *old = sys_read_file(path, NULL);
	if (old)
		sys_split_lines(old, &all);
	for (size_t i = 0; i < e->lines.n; i++)
		VEC_PUSH(&all, e->lines.v[i]);
	sys_sort_unique(&all);
	size_t len = 0;
	for (size_t i = 0; i < all.n; i++)
		len += strlen(all.v[i]) + 1;
	char *buf = arena_alloc(len + 1), *p = buf;
	for (size_t i = 0; i < all.n; i++) {
		size_t n = strlen(all.v[i]);
		memcpy(p, all.v[i], n);
		p[n] = '\n';
		p += n + 1;
	}
	return write_file(path, buf, len);
}

int sys_snap_write(struct sys *s)
{
	if (!s->snapdir)
		return 0;
	int err = write_file(arena_printf("%s/SNAPSHOT", s->snapdir),
			     SNAPSHOT_MAGIC, strlen(SNAPSHOT_MAGIC));
	for (size_t i = 0; i < s->snap.n && !err; i++) {
		struct snap_entry *e = s->snap.v[i];
		const char *path = arena_printf("%s/%s", s->snapdir, e->key);
		if (e->full)
			err = write_file(path, e->data, e->len);
		else
			err = write_lines(path, e);
	}
	return err;
}
