/* tool.c - the stage programs' shared main() chores; see tool.h. */
#define _GNU_SOURCE /* vasprintf */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *g_name = "bt";

void tool_init(const char *name)
{
	g_name = name;
}

const char *tool_name(void)
{
	return g_name;
}

void tool_vline(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	/* one fprintf on the unbuffered stderr is one write */
	fprintf(stderr, "%s%s\n", prefix, msg ? msg : "(out of memory)");
	free(msg);
}

int tool_fail(const char *fmt, ...)
{
	char prefix[64];
	snprintf(prefix, sizeof prefix, "%s: ERROR: ", g_name);
	va_list ap;
	va_start(ap, fmt);
	tool_vline(prefix, fmt, ap);
	va_end(ap);
	return 1;
}

int tool_open_input(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		tool_fail("cannot open '%s': %s", path, strerror(errno));
	return fd;
}

int tool_open_output(const char *path)
{
	if (!path)
		return 1;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		tool_fail("cannot open '%s': %s", path, strerror(errno));
	return fd;
}

int tool_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int tool_close_output(int fd)
{
	if (fd == 1)
		return 0;
	if (close(fd) != 0)
		return tool_fail("cannot write the output: %s", strerror(errno));
	return 0;
}
