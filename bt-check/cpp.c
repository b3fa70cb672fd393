/* cpp.c - scripts with #include: macro values through the C preprocessor
 * (`cpp -dM`), run only when the definitions include headers.  Kernel
 * types come from BTF, so only macros are taken from the headers (brief
 * §1.8: BPFTRACE_HAVE_BTF is defined; -I dirs and --include files as
 * given).  A missing header is reported the way clang reports it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Run argv with `in` on stdin; collect stdout and stderr. Exit status or -1. */
static int run(char *const argv[], const char *in, struct astr *out, struct astr *errb)
{
	int pin[2], pout[2], perr[2];
	if (pipe(pin) < 0 || pipe(pout) < 0 || pipe(perr) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	size_t inlen = strlen(in), done = 0;
	struct pollfd fds[3] = { { pin[1], POLLOUT, 0 }, { pout[0], POLLIN, 0 },
				 { perr[0], POLLIN, 0 } };
	int open_fds = 3;
	if (!inlen) {
		close(pin[1]);
		fds[0].fd = -1;
		open_fds--;
	}
	char tmp[65536];
	while (open_fds > 0) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].fd >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(pin[1], in + done, inlen - done);
			if (w > 0)
				done += (size_t)w;
			if (w <= 0 || done == inlen) {
				close(pin[1]);
				fds[0].fd = -1;
				open_fds--;
			}
		}
		for (int i = 1; i < 3; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(fds[i].fd, tmp, sizeof tmp);
			if (r > 0) {
				astr_add(i == 1 ? out : errb, tmp, (size_t)r);
			} else {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	signal(SIGPIPE, old);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* cpp: "<stdin>:1:10: fatal error: foo.h: No such file or directory"
 * clang: "definitions.h:1:10: fatal error: 'foo.h' file not found" */
static const char *clang_style(const char *line)
{
	const char *p = strstr(line, "fatal error: ");
	const char *q = p ? strstr(p, ": No such file or directory") : NULL;
	const char *loc = strncmp(line, "<stdin>:", 8) == 0 ? line + 8 : NULL;
	if (!p || !q || !loc)
		return NULL;
	const char *file = p + 13;
	return arena_printf("definitions.h:%.*sfatal error: '%.*s' file not found",
			    (int)(p - loc), loc, (int)(q - file), file);
}

/* cpp [-dM] -E -DBPFTRACE_HAVE_BTF -I.. -include.. - */
static int cpp_argv(struct check *c, const char **argv, bool macros)
{
	int n = 0;
	argv[n++] = "cpp";
	if (macros)
		argv[n++] = "-dM";
	argv[n++] = "-E";
	argv[n++] = "-DBPFTRACE_HAVE_BTF";
	for (size_t i = 0; i < c->o->include_dirs.n && n < 56; i++) {
		argv[n++] = "-I";
		argv[n++] = c->o->include_dirs.v[i];
	}
	for (size_t i = 0; i < c->o->include_files.n && n < 60; i++) {
		argv[n++] = "-include";
		argv[n++] = c->o->include_files.v[i];
	}
	argv[n++] = "-";
	argv[n] = NULL;
	return n;
}

/* The text the preprocessor took from the user's own headers (quoted
 * includes, -I directories, --include files; not system headers, not the
 * script itself): their struct, union, enum and typedef declarations are
 * the script's too, as with clang.  Empty when there are none or cpp fails
 * (cpp_macros reports that). */
const char *cpp_user_decls(struct check *c, const char *text)
{
	const char *argv[64];
	cpp_argv(c, argv, false);
	struct astr out = { 0 }, errb = { 0 }, keep = { 0 };
	if (run((char *const *)argv, text, &out, &errb) != 0 || !out.s)
		return "";
	bool take = false;
	for (char *line = out.s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (line[0] == '#' && line[1] == ' ' && isdigit((unsigned char)line[2])) {
			/* # LINE "FILE" FLAGS: flag 3 marks a system header */
			char *f = strchr(line, '"');
			char *e = f ? strrchr(f + 1, '"') : NULL;
			take = f && e && f[1] != '<' && strncmp(f + 1, "<stdin>", 7) &&
			       !strstr(e, " 3");
		} else if (take) {
			astr_adds(&keep, line);
			astr_addc(&keep, '\n');
		}
		line = nl ? nl + 1 : NULL;
	}
	return keep.s ? keep.s : "";
}

bool cpp_macros(struct check *c, const char *text)
{
	const char *argv[64];
	cpp_argv(c, argv, true);
	struct astr out = { 0 }, errb = { 0 };
	int rc = run((char *const *)argv, text, &out, &errb);
	if (rc != 0) {
		const char *msg = NULL;
		if (errb.s) {
			char *nl = strchr(errb.s, '\n');
			if (nl)
				*nl = 0;
			msg = clang_style(errb.s);
			if (!msg)
				msg = errb.s;
		}
		c->raw_stderr = msg ? msg : "definitions.h: the C preprocessor failed";
		return false;
	}
	for (char *line = out.s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (strncmp(line, "#define ", 8) == 0) {
			char *name = line + 8, *e = name;
			while (isalnum((unsigned char)*e) || *e == '_')
				e++;
			if (*e == ' ' && e > name) {
				char *val = arena_strdup(e + 1);
				size_t k = 0;
				for (char *s = val; *s; s++)
					if (!isspace((unsigned char)*s))
						val[k++] = *s;
				val[k] = 0;
				VEC_PUSH(&c->macro_names, arena_strndup(name, (size_t)(e - name)));
				VEC_PUSH(&c->macro_values, val);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return true;
}
