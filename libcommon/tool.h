/* tool.h - what the five stage programs' main()s share: their name in
 * messages, one-line errors ("bt-check: ERROR: ..."), and opening the
 * input and output a stage reads and writes (FILE or "-" for stdin, -o
 * FILE or stdout).  Each main() is then its options and its passes.
 */
#ifndef BT_TOOL_H
#define BT_TOOL_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

/* The program's name in messages ("bt-check"); call first in main(). */
void tool_init(const char *name);
const char *tool_name(void);

/* One message line on stderr, "<prefix><message>\n", written at once:
 * the stages share the terminal and bt-fmt's output, and a line written in
 * pieces can be split by another process's output. */
void tool_vline(const char *prefix, const char *fmt, va_list ap);

/* Print "NAME: ERROR: <message>" and a newline on stderr; returns 1 (the
 * exit status of a bad input or usage) so that `return tool_fail(...)`
 * ends main(). */
int tool_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The input: path NULL or "-" is stdin (fd 0), else the file opened
 * read-only; -1 after "cannot open 'PATH': reason". */
int tool_open_input(const char *path);

/* The output: path NULL is stdout (fd 1), else the file created or
 * truncated; -1 after "cannot open 'PATH': reason". */
int tool_open_output(const char *path);

/* Write all n bytes of p to fd (again after EINTR): 0, or -errno of the
 * write that failed. */
int tool_write_all(int fd, const void *p, size_t n);

/* Close an output tool_open_output opened (stdout is left open); 1 after
 * "cannot write the output: reason", else 0. */
int tool_close_output(int fd);

#endif
