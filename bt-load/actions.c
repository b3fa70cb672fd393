/* actions.c - system(), cat() and time(): things that must happen while
 * tracing, on the live machine; their results go into `text` records.
 *
 * system/cat records carry a printf-style format and arguments
 * (docs/bpftrace-compat.md "printf argument records"); fmt_args() renders the
 * command / file name.  Argument kinds that can appear: integers, strings,
 * pointers, and the few symbolic kinds resolved here (ksym, usym, username,
 * probe); anything else prints as hex like an integer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

static uint64_t rd_u(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;
	memcpy(&v, p, size > 8 ? 8 : size);
	return v;
}

static int64_t rd_s(const uint8_t *p, uint32_t size)
{
	uint64_t v = rd_u(p, size);
	if (size < 8 && size > 0) {
		unsigned sh = 64 - size * 8;
		return (int64_t)(v << sh) >> sh;
	}
	return (int64_t)v;
}

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap * 2 : 256;
		while (c < b->n + n + 1)
			c *= 2;
		char *np = realloc(b->p, c);
		if (!np)
			return;
		b->p = np;
		b->cap = c;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* Text of a symbolic or string argument; NULL for numeric ones. */
static const char *arg_text(struct bt *bt, const struct type *t, const uint8_t *p,
			    char *tmp, size_t tmpn)
{
	switch (t->kind) {
	case TY_STRING: {
		size_t len = strnlen((const char *)p, t->size);
		snprintf(tmp, tmpn, "%.*s", (int)len, (const char *)p);
		return tmp;
	}
	case TY_KSYM: {
		uint64_t off;
		const char *s = ksym_lookup(rd_u(p, 8), &off);
		if (s)
			return s;
		snprintf(tmp, tmpn, "0x%llx", (unsigned long long)rd_u(p, 8));
		return tmp;
	}
	case TY_USYM: {
		uint64_t off;
		const char *mod;
		const char *s = usym_lookup(bt, (pid_t)rd_u(p + 8, 8), rd_u(p, 8), &off, &mod);
		if (s)
			return s;
		snprintf(tmp, tmpn, "0x%llx", (unsigned long long)rd_u(p, 8));
		return tmp;
	}
	case TY_USERNAME: {
		struct passwd *pw = getpwuid((uid_t)rd_u(p, 8));
		if (pw)
			return pw->pw_name;
		snprintf(tmp, tmpn, "%llu", (unsigned long long)rd_u(p, 8));
		return tmp;
	}
	case TY_PROBE: {
		uint64_t id = rd_u(p, 8);
		return id < bt->meta.probe_names.n ? bt->meta.probe_names.v[id] : "";
	}
	case TY_STRERROR:
		return strerror((int)rd_u(p, 8));
	default:
		return NULL;
	}
}

/* Render fmt with the record's arguments (C printf conversions). */
static char *fmt_args(struct bt *bt, const struct meta_fmt *f, const uint8_t *d, size_t n)
{
	struct sbuf b = { 0 };
	sb_add(&b, "", 0);
	const char *s = f->fmt;
	uint32_t ai = 0;
	char tmp[4096], spec[64], piece[8192];
	while (*s) {
		if (*s != '%') {
			size_t k = strcspn(s, "%");
			sb_add(&b, s, k);
			s += k;
			continue;
		}
		if (s[1] == '%') {
			sb_add(&b, "%", 1);
			s += 2;
			continue;
		}
		/* %[flags][width][.prec][length]conv */
		const char *st = s++;
		s += strspn(s, "-+ #0");
		s += strspn(s, "0123456789");
		if (*s == '.') {
			s++;
			s += strspn(s, "0123456789");
		}
		size_t flen = (size_t)(s - st);
		s += strspn(s, "hlLqjzt");
		char conv = *s ? *s++ : 'd';
		/* spec gets the flags/width/precision and at most 4 more
		 * bytes ("#llx") and a NUL */
		if (flen + 5 > sizeof spec || ai >= f->nargs) {
			sb_add(&b, st, (size_t)(s - st));
			continue;
		}
		const struct meta_arg *a = &f->args[ai++];
		const uint8_t *p = d + a->offset;
		if (a->offset + a->type->size > n)
			continue;
		memcpy(spec, st, flen);
		const char *txt = arg_text(bt, a->type, p, tmp, sizeof tmp);
		int w;
		if (conv == 's' || (txt && conv != 'c')) {
			spec[flen] = 's';
			spec[flen + 1] = '\0';
			w = snprintf(piece, sizeof piece, spec, txt ? txt : "");
		} else {
			bool sgn = a->type->kind == TY_INT && a->type->is_signed;
			uint32_t sz = a->type->size > 8 ? 8 : a->type->size;
			if (conv == 'c') {
				spec[flen] = 'c';
				spec[flen + 1] = '\0';
				w = snprintf(piece, sizeof piece, spec, (int)rd_u(p, sz));
			} else {
				if (conv == 'p') {
					spec[flen] = '#';
					spec[flen + 1] = 'l';
					spec[flen + 2] = 'l';
					spec[flen + 3] = 'x';
					spec[flen + 4] = '\0';
				} else {
					spec[flen] = 'l';
					spec[flen + 1] = 'l';
					spec[flen + 2] = strchr("diuxXo", conv) ? conv : 'd';
					spec[flen + 3] = '\0';
				}
				if (sgn && (conv == 'd' || conv == 'i'))
					w = snprintf(piece, sizeof piece, spec, (long long)rd_s(p, sz));
				else
					w = snprintf(piece, sizeof piece, spec,
						     (unsigned long long)rd_u(p, sz));
			}
		}
		if (w > 0)
			sb_add(&b, piece, (size_t)w < sizeof piece ? (size_t)w : sizeof piece - 1);
	}
	return b.p;
}

void action_system(struct bt *bt, const struct meta_fmt *f, const uint8_t *d, size_t n)
{
	/* obj_check refused such an object already: this guards the
	 * records themselves (the operator's --unsafe, not the object's) */
	if (!bt->o.unsafe) {
		bt_error("syscall() not allowed in safe mode");
		bt->finalize = true;
		return;
	}
	char *cmd = fmt_args(bt, f, d, n);
	if (!cmd)
		return;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(cmd);
		return;
	}
	out_flush(bt);
	/* posix_spawn (a vfork in glibc): the command's execve reads its
	 * arguments from our memory, where probes on it can read them too
	 * (a forked child's untouched pages would fail bpf_probe_read_user) */
	char sh_path[] = "/bin/sh", sh[] = "sh", dash_c[] = "-c";
	char *argv[] = { sh, dash_c, cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	/* our stdin is the obj stream: the command reads nothing */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_init(&at);
	sigset_t defaults, none;
	signals_child_set(&defaults);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &defaults);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	if (posix_spawn(&pid, sh_path, &fa, &at, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	char buf[65536];
	ssize_t r;
	while (pid > 0 && ((r = read(p[0], buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			out_text(bt, "system", buf, (size_t)r);
	close(p[0]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	free(cmd);
}

void action_cat(struct bt *bt, const struct meta_fmt *f, const uint8_t *d, size_t n)
{
	if (f->nargs && !bt->o.unsafe) {
		bt_error("cat() with a path chosen at run time is an unsafe function being "
			 "used in safe mode");
		bt->finalize = true;
		return;
	}
	char *path = fmt_args(bt, f, d, n);
	if (!path)
		return;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		char msg[4200];
		snprintf(msg, sizeof msg, "failed to open file '%s': %s", path, strerror(errno));
		bt_error("%s", msg);
		out_error(bt, msg);
		free(path);
		return;
	}
	uint64_t max = bt->meta.cfg.max_cat_bytes ? bt->meta.cfg.max_cat_bytes : 10240;
	char *buf = malloc(max);
	size_t got = 0;
	while (buf && got < max) {
		ssize_t r = read(fd, buf + got, max - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (buf)
		out_text(bt, "cat", buf, got);
	free(buf);
	free(path);
}

void action_time(struct bt *bt, uint32_t id)
{
	const char *fmt = id < bt->meta.time_fmts.n ? bt->meta.time_fmts.v[id] : "%H:%M:%S\n";
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	char buf[64];
	size_t n = strftime(buf, sizeof buf, fmt, &tm);
	if (n == 0 && *fmt) {
		bt_error("strftime returned 0");
		return;
	}
	out_text(bt, "time", buf, n);
}
