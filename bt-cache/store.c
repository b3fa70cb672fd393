/* store.c - bt-cache's directory of compiled objects; see store.h. */
#define _GNU_SOURCE
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char MAGIC[8] = "btcache1";
#define HDR_LEN (8 + STORE_KEY_LEN + 8 + 8 + SHA256_DIGEST_SIZE)
/* a temporary file older than this was left by a writer that died */
#define STALE_TMP_SECONDS 600

static void why_set(char *why, size_t whylen, const char *fmt, const char *arg)
{
	snprintf(why, whylen, fmt, arg);
}

/* mkdir -p with mode 0700, for the directories that are missing. */
static void make_dirs(const char *path)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", path);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		mkdir(p, 0700);
		*c = '/';
	}
	mkdir(p, 0700);
}

/* Someone else could have written into a file or directory with st. */
static const char *untrusted(const struct stat *st)
{
	if (st->st_uid != geteuid())
		return "not owned by the user running bpftrace";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by others";
	return NULL;
}

bool store_open(struct store *s, const char *path, uint64_t max_bytes, bool *insecure,
		char *why, size_t whylen)
{
	s->fd = -1;
	s->max_bytes = max_bytes;
	*insecure = false;
	if (path[0] != '/' || strlen(path) >= sizeof s->path) {
		why_set(why, whylen, "%s: not an absolute path", path);
		return false;
	}
	snprintf(s->path, sizeof s->path, "%s", path);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		make_dirs(path);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		/* O_NOFOLLOW on a symlink: ELOOP (or ENOTDIR with O_DIRECTORY) */
		struct stat l;
		if (lstat(path, &l) == 0 && S_ISLNK(l.st_mode)) {
			*insecure = true;
			snprintf(why, whylen, "%s: a symbolic link", path);
		} else {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
		}
		return false;
	}
	struct stat st;
	bool stat_ok = fstat(fd, &st) == 0;
	const char *bad = stat_ok ? untrusted(&st) : strerror(errno);
	if (bad) {
		*insecure = stat_ok;
		snprintf(why, whylen, "%s: %s", path, bad);
		close(fd);
		return false;
	}
	s->fd = fd;
	return true;
}

void store_close(struct store *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void store_key_name(const unsigned char key[STORE_KEY_LEN], char name[2 * STORE_KEY_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < STORE_KEY_LEN; i++) {
		name[2 * i] = hex[key[i] >> 4];
		name[2 * i + 1] = hex[key[i] & 15];
	}
	name[2 * STORE_KEY_LEN] = 0;
}

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void payload_digest(const struct blob *err, const struct blob *out,
			   unsigned char d[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, err->n, err->p);
	sha256_update(&c, out->n, out->p);
	sha256_digest(&c, SHA256_DIGEST_SIZE, d);
}

static bool read_all(int fd, unsigned char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* Check a whole entry file in buf (n bytes) against key; on success point
 * err and out into buf. */
static const char *entry_check(const unsigned char *buf, size_t n,
			       const unsigned char key[STORE_KEY_LEN], struct blob *err,
			       struct blob *out)
{
	if (n < HDR_LEN || memcmp(buf, MAGIC, sizeof MAGIC) != 0)
		return "not a cache entry";
	if (memcmp(buf + 8, key, STORE_KEY_LEN) != 0)
		return "the entry of another key";
	uint64_t elen = get_le64(buf + 8 + STORE_KEY_LEN);
	uint64_t olen = get_le64(buf + 16 + STORE_KEY_LEN);
	if (elen > n - HDR_LEN || olen != n - HDR_LEN - elen)
		return "truncated or corrupt (lengths)";
	err->p = (unsigned char *)buf + HDR_LEN;
	err->n = elen;
	out->p = err->p + elen;
	out->n = olen;
	unsigned char d[SHA256_DIGEST_SIZE];
	payload_digest(err, out, d);
	if (memcmp(d, buf + 24 + STORE_KEY_LEN, sizeof d) != 0)
		return "corrupt (digest)";
	return NULL;
}

bool store_get(struct store *s, const unsigned char key[STORE_KEY_LEN], struct blob *err,
	       struct blob *out, char *why, size_t whylen)
{
	char name[2 * STORE_KEY_LEN + 1];
	store_key_name(key, name);
	why[0] = 0;
	int fd = openat(s->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			snprintf(why, whylen, "%s: %s", name, strerror(errno));
		return false;
	}
	struct stat st;
	const char *bad = NULL;
	if (fstat(fd, &st) != 0)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		bad = "not a regular file";
	else if (!(bad = untrusted(&st)) && (uint64_t)st.st_size > s->max_bytes)
		bad = "larger than the cache";
	unsigned char *buf = NULL;
	if (!bad) {
		buf = malloc(st.st_size ? (size_t)st.st_size : 1);
		if (!buf || !read_all(fd, buf, (size_t)st.st_size))
			bad = "cannot read it";
	}
	struct blob e, o;
	if (!bad)
		bad = entry_check(buf, (size_t)st.st_size, key, &e, &o);
	if (bad) {
		snprintf(why, whylen, "%s: %s", name, bad);
		free(buf);
		close(fd);
		return false;
	}
	/* used now: the last to be evicted */
	futimens(fd, NULL);
	close(fd);
	err->p = malloc(e.n ? e.n : 1);
	out->p = malloc(o.n ? o.n : 1);
	if (!err->p || !out->p) {
		free(err->p);
		free(out->p);
		free(buf);
		why_set(why, whylen, "%s: out of memory", name);
		return false;
	}
	memcpy(err->p, e.p, e.n);
	memcpy(out->p, o.p, o.n);
	err->n = e.n;
	out->n = o.n;
	free(buf);
	return true;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

struct entry_info {
	char name[2 * STORE_KEY_LEN + 1];
	uint64_t size;
	struct timespec used;
};

static int by_oldest(const void *a, const void *b)
{
	const struct timespec *x = &((const struct entry_info *)a)->used;
	const struct timespec *y = &((const struct entry_info *)b)->used;
	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return (x->tv_nsec > y->tv_nsec) - (x->tv_nsec < y->tv_nsec);
}

static bool is_entry_name(const char *n)
{
	if (strlen(n) != 2 * STORE_KEY_LEN)
		return false;
	for (; *n; n++)
		if (!((*n >= '0' && *n <= '9') || (*n >= 'a' && *n <= 'f')))
			return false;
	return true;
}

/* Remove stale temporary files, then the least recently used entries
 * until the directory holds at most max_bytes. */
static void evict(struct store *s)
{
	int dfd = openat(s->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	struct entry_info *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		bool entry = is_entry_name(de->d_name);
		if (!entry && strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		if (fstatat(s->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!entry) {
			if (now - st.st_mtime > STALE_TMP_SECONDS)
				unlinkat(s->fd, de->d_name, 0);
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct entry_info *nv = realloc(v, ncap * sizeof *v);
			if (!nv)
				break;
			v = nv;
			cap = ncap;
		}
		memcpy(v[n].name, de->d_name, sizeof v[n].name);
		v[n].size = (uint64_t)st.st_size;
		v[n].used = st.st_mtim;
		total += v[n].size;
		n++;
	}
	closedir(d);
	if (total > s->max_bytes) {
		qsort(v, n, sizeof *v, by_oldest);
		for (size_t i = 0; i < n && total > s->max_bytes; i++)
			if (unlinkat(s->fd, v[i].name, 0) == 0)
				total -= v[i].size;
	}
	free(v);
}

bool store_put(struct store *s, const unsigned char key[STORE_KEY_LEN], const struct blob *err,
	       const struct blob *out, char *why, size_t whylen)
{
	char name[2 * STORE_KEY_LEN + 1];
	store_key_name(key, name);
	if (HDR_LEN + err->n + out->n > s->max_bytes) {
		why_set(why, whylen, "%s: larger than the cache", name);
		return false;
	}
	unsigned char hdr[HDR_LEN];
	memcpy(hdr, MAGIC, sizeof MAGIC);
	memcpy(hdr + 8, key, STORE_KEY_LEN);
	put_le64(hdr + 8 + STORE_KEY_LEN, err->n);
	put_le64(hdr + 16 + STORE_KEY_LEN, out->n);
	payload_digest(err, out, hdr + 24 + STORE_KEY_LEN);

	char tmp[64];
	int fd = -1;
	for (int i = 0; i < 8 && fd < 0; i++) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		snprintf(tmp, sizeof tmp, ".tmp-%d-%lx", (int)getpid(),
			 (unsigned long)(t.tv_nsec ^ (long)i << 20));
		fd = openat(s->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		snprintf(why, whylen, "cannot create an entry in %s: %s", s->path, strerror(errno));
		return false;
	}
	bool ok = write_all(fd, hdr, sizeof hdr) && write_all(fd, err->p, err->n) &&
		  write_all(fd, out->p, out->n);
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(s->fd, tmp, s->fd, name) != 0) {
		snprintf(why, whylen, "cannot write an entry in %s: %s", s->path, strerror(errno));
		unlinkat(s->fd, tmp, 0);
		return false;
	}
	evict(s);
	return true;
}
