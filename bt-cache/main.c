/* main.c - bt-cache: a cache of compiled objects in front of bt-codegen.
 *
 *   bt-cache [-v] [--dir DIR] [--max-size BYTES] --codegen PATH -- COMMAND...
 *
 * Reads an `ir` stream on stdin and writes what COMMAND (the command that
 * runs bt-codegen, PATH, on that stream) would write: its obj stream on
 * stdout, its messages on stderr, its exit status.  bt-codegen is a pure
 * function of its input (the same ir gives the same bytes, whatever the
 * time, directory or environment), so its result is kept in a directory
 * (store.h) under a key that names everything it depends on:
 *
 *   SHA-256 of  "bt-cache 1", PATH's build id (bt-codegen and the LLVM
 *               linked into it), bt-codegen's arguments (the words after
 *               PATH in COMMAND; all of COMMAND when PATH is not in it),
 *               the ir stream
 *
 * each field preceded by its length.  What runs bt-codegen (a privilege
 * switch, its own path) does not change its output, and is left out: the
 * driver started by another path, or as another user, finds the same
 * entries.  A run with the key of a kept result
 * prints it without running COMMAND.  Only successful runs are kept.
 * Without a build id, or a trusted directory, COMMAND simply runs.
 * Exit status: COMMAND's (128+N when a signal N ended it; 127 when it
 * cannot be run), 1 for a usage error or an unreadable input.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <nettle/sha2.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buildid.h"
#include "store.h"
#include "tool.h"

#define DEFAULT_MAX_BYTES (64u << 20)
#define MAX_BUILD_ID 64

static const char usage[] =
	"usage: bt-cache [-v] [--dir DIR] [--max-size BYTES] --codegen PATH -- COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND (which runs the bt-codegen at PATH) on the ir stream read from\n"
	"standard input, or print the result kept from an earlier run of the same\n"
	"bt-codegen build on the same stream.\n"
	"\n"
	"  --codegen PATH    the bt-codegen COMMAND runs: its build id keys the cache\n"
	"  --dir DIR         the cache directory (default: $BPFTRACE_CACHE_DIR, else\n"
	"                    $XDG_CACHE_HOME/bpftrace, else ~/.cache/bpftrace)\n"
	"  --max-size BYTES  the most the directory holds (default 64 MiB)\n"
	"  -v                say on stderr whether the object came from the cache\n"
	"  -h, --help        show this help\n";

static bool verbose;

static void info(const char *what, const char *detail)
{
	if (verbose)
		fprintf(stderr, "INFO: object cache: %s%s%s\n", what, detail[0] ? ": " : "",
			detail);
}

/* All of fd into a malloc'ed blob. */
static bool slurp(int fd, struct blob *b)
{
	size_t cap = 1 << 16;
	b->n = 0;
	b->p = malloc(cap);
	if (!b->p)
		return false;
	for (;;) {
		if (b->n == cap) {
			unsigned char *np = realloc(b->p, cap *= 2);
			if (!np)
				return false;
			b->p = np;
		}
		ssize_t r = read(fd, b->p + b->n, cap - b->n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return false;
		if (r == 0)
			return true;
		b->n += (size_t)r;
	}
}

static void sha_field(struct sha256_ctx *c, const void *p, size_t n)
{
	unsigned char len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (8 * i));
	sha256_update(c, sizeof len, len);
	sha256_update(c, n, p);
}

static void make_key(const unsigned char *id, size_t idlen, const char *codegen, char **cmd,
		     const struct blob *ir, unsigned char key[STORE_KEY_LEN])
{
	static const char version[] = "bt-cache 1";
	struct sha256_ctx c;
	sha256_init(&c);
	sha_field(&c, version, sizeof version - 1);
	sha_field(&c, id, idlen);
	char **args = cmd;
	for (char **w = cmd; *w; w++)
		if (!strcmp(*w, codegen)) {
			args = w + 1;
			break;
		}
	for (char **w = args; *w; w++)
		sha_field(&c, *w, strlen(*w));
	sha_field(&c, ir->p, ir->n);
	sha256_digest(&c, STORE_KEY_LEN, key);
}

/* $BPFTRACE_CACHE_DIR, $XDG_CACHE_HOME/bpftrace, ~/.cache/bpftrace. */
static bool default_dir(char *buf, size_t n)
{
	const char *d = getenv("BPFTRACE_CACHE_DIR");
	if (d && *d)
		return snprintf(buf, n, "%s", d) < (int)n;
	d = getenv("XDG_CACHE_HOME");
	if (d && d[0] == '/')
		return snprintf(buf, n, "%s/bpftrace", d) < (int)n;
	d = getenv("HOME");
	if (!d || d[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());
		d = pw ? pw->pw_dir : NULL;
	}
	if (!d || d[0] != '/')
		return false;
	return snprintf(buf, n, "%s/.cache/bpftrace", d) < (int)n;
}

static int memfd(const char *name)
{
	return memfd_create(name, MFD_CLOEXEC);
}

static bool memfd_read(int fd, struct blob *b)
{
	return lseek(fd, 0, SEEK_SET) == 0 && slurp(fd, b);
}

/* Run cmd with the ir on stdin; its stdout and stderr into out and err.
 * Returns its exit status as a shell reports it. */
static int run(char **cmd, const struct blob *ir, struct blob *out, struct blob *err)
{
	int in = memfd("ir"), o = memfd("out"), e = memfd("err");
	if (in < 0 || o < 0 || e < 0 || tool_write_all(in, ir->p, ir->n) != 0 ||
	    lseek(in, 0, SEEK_SET) != 0) {
		tool_fail("cannot hold the compiler's input: %s", strerror(errno));
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		tool_fail("cannot run %s: %s", cmd[0], strerror(errno));
		return 1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(in, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		execvp(cmd[0], cmd);
		fprintf(stderr, "bt-cache: ERROR: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(in);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			st = 127 << 8;
			break;
		}
	if (!memfd_read(o, out) || !memfd_read(e, err)) {
		tool_fail("cannot read the compiler's output: %s", strerror(errno));
		return 1;
	}
	close(o);
	close(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	tool_init("bt-cache");
	/* started by the driver directly: end with it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	const char *codegen = NULL, *dir = NULL;
	uint64_t max_bytes = DEFAULT_MAX_BYTES;
	static const struct option longopts[] = {
		{ "codegen", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': codegen = optarg; break;
		case 'd': dir = optarg; break;
		case 'm': {
			char *end;
			errno = 0;
			max_bytes = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end)
				return tool_fail("--max-size: not a number of bytes: '%s'", optarg);
			break;
		}
		case 'v': verbose = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			tool_fail("bad option '%s'", argv[optind - 1]);
			fputs(usage, stderr);
			return 1;
		}
	}
	if (!codegen || optind >= argc) {
		tool_fail("%s", !codegen ? "--codegen PATH is required" : "no COMMAND to run");
		fputs(usage, stderr);
		return 1;
	}
	char **cmd = argv + optind;

	struct blob ir, out = { 0 }, err = { 0 };
	if (!slurp(0, &ir))
		return tool_fail("cannot read the ir stream: %s", strerror(errno));

	unsigned char id[MAX_BUILD_ID], key[STORE_KEY_LEN];
	size_t idlen = build_id(codegen, id, sizeof id);
	struct store s = { .fd = -1 };
	char why[4200], dirbuf[4096];
	if (!idlen) {
		info("not used", "the compiler has no build id");
	} else if (!dir && !default_dir(dirbuf, sizeof dirbuf)) {
		info("not used", "no home directory");
	} else {
		bool insecure;
		if (!store_open(&s, dir ? dir : dirbuf, max_bytes, &insecure, why, sizeof why)) {
			if (insecure)
				fprintf(stderr, "WARNING: object cache not used: %s\n", why);
			else
				info("not used", why);
		}
		make_key(id, idlen, codegen, cmd, &ir, key);
	}

	if (s.fd >= 0) {
		char name[2 * STORE_KEY_LEN + 1];
		store_key_name(key, name);
		if (store_get(&s, key, &err, &out, why, sizeof why)) {
			info("hit", name);
			if (tool_write_all(2, err.p, err.n) != 0 || tool_write_all(1, out.p, out.n) != 0)
				return tool_fail("cannot write the obj stream: %s", strerror(errno));
			return 0;
		}
		info(why[0] ? "entry not used" : "miss", why[0] ? why : name);
	}

	int status = run(cmd, &ir, &out, &err);
	/* kept only when the compiler did not change while it ran */
	unsigned char id2[MAX_BUILD_ID];
	if (status == 0 && s.fd >= 0 && build_id(codegen, id2, sizeof id2) == idlen &&
	    !memcmp(id, id2, idlen)) {
		if (store_put(&s, key, &err, &out, why, sizeof why))
			info("stored", "");
		else
			info("not stored", why);
	}
	store_close(&s);
	if (tool_write_all(2, err.p, err.n) != 0 || tool_write_all(1, out.p, out.n) != 0)
		return status ? status : tool_fail("cannot write the obj stream: %s", strerror(errno));
	return status;
}
