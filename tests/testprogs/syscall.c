/* syscall: makes one named system call (as the raw syscall, never a libc
 * substitute such as clock_nanosleep for nanosleep) so that conformance cases
 * have something predictable to trace.
 *
 *   syscall read                  read(2) of length 0 on a fresh temp file
 *   syscall nanosleep [N]         nanosleep(2) of N ns (default 100, may be 1e8)
 *   syscall open | openat         open(2) / openat(2) with O_CREAT of a temp file
 *   syscall execve PATH [ARGS]    execve(2) PATH with ARGS and an empty environment
 *   syscall connect HOST PORT     TCP connect(2) to HOST:PORT
 *
 * Temp files live in $TMPDIR (or /tmp) and are removed again.  Exit status is 0
 * on success. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
  fprintf(stderr,
          "usage: syscall read | nanosleep [NS] | open | openat |\n"
          "               execve PATH [ARGS...] | connect HOST PORT\n");
  exit(2);
}

static void temp_path(char *buf, size_t len, const char *what)
{
  const char *dir = getenv("TMPDIR");
  if (dir == NULL || dir[0] == '\0')
    dir = "/tmp";
  snprintf(buf, len, "%s/bpftrace_runtime_test_syscall_gen_%s_temp", dir, what);
}

static int do_read(void)
{
  char path[4096];
  char buf[1];
  temp_path(path, sizeof(path), "read");
  int fd = open(path, O_CREAT | O_RDONLY, 0644);
  if (fd < 0) {
    perror(path);
    return 1;
  }
  long r = syscall(SYS_read, fd, buf, 0);
  int err = errno;
  close(fd);
  unlink(path);
  if (r < 0) {
    errno = err;
    perror("read");
    return 1;
  }
  return 0;
}

static int do_nanosleep(const char *arg)
{
  double ns = 100;
  if (arg != NULL) {
    char *end;
    errno = 0;
    ns = strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || ns < 0) {
      fprintf(stderr, "syscall: bad duration '%s'\n", arg);
      return 2;
    }
  }
  /* round up: anything below one nanosecond becomes one */
  unsigned long long whole = (unsigned long long)ns;
  if ((double)whole < ns)
    whole++;
  if (whole < 1)
    whole = 1;
  struct timespec req = {
    .tv_sec = (time_t)(whole / 1000000000ULL),
    .tv_nsec = (long)(whole % 1000000000ULL),
  };
  if (syscall(SYS_nanosleep, &req, NULL) != 0) {
    perror("nanosleep");
    return 1;
  }
  return 0;
}

static int do_open(int use_openat)
{
  char path[4096];
  long fd;
  temp_path(path, sizeof(path), "open");
  if (use_openat) {
    fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT, 0644);
  } else {
#ifdef SYS_open
    fd = syscall(SYS_open, path, O_CREAT, 0644);
#else
    /* architectures without open(2) (e.g. aarch64) only have openat */
    fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT, 0644);
#endif
  }
  if (fd < 0) {
    perror(path);
    return 1;
  }
  close((int)fd);
  unlink(path);
  return 0;
}

static int do_execve(char **argv)
{
  /* argv[0] is PATH, followed by its arguments and the terminating NULL */
  char *envp[] = { NULL };
  syscall(SYS_execve, argv[0], argv, envp);
  perror(argv[0]);
  return 1;
}

static int do_connect(const char *host, const char *port)
{
  struct addrinfo hints, *res, *ai;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "syscall: %s:%s: %s\n", host, port, gai_strerror(rc));
    return 1;
  }
  int ok = 0;
  for (ai = res; ai != NULL && !ok; ai = ai->ai_next) {
    long fd = syscall(SYS_socket, ai->ai_family, ai->ai_socktype,
                      ai->ai_protocol);
    if (fd < 0)
      continue;
    if (syscall(SYS_connect, fd, ai->ai_addr, ai->ai_addrlen) == 0)
      ok = 1;
    else
      perror("connect");
    close((int)fd);
  }
  freeaddrinfo(res);
  return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    usage();
  const char *cmd = argv[1];
  if (strcmp(cmd, "read") == 0)
    return do_read();
  if (strcmp(cmd, "nanosleep") == 0)
    return do_nanosleep(argc > 2 ? argv[2] : NULL);
  if (strcmp(cmd, "open") == 0)
    return do_open(0);
  if (strcmp(cmd, "openat") == 0)
    return do_open(1);
  if (strcmp(cmd, "execve") == 0) {
    if (argc < 3)
      usage();
    return do_execve(argv + 2);
  }
  if (strcmp(cmd, "connect") == 0) {
    if (argc < 4)
      usage();
    return do_connect(argv[2], argv[3]);
  }
  usage();
  return 2;
}
