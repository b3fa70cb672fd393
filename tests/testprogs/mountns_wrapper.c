/* mountns_wrapper PROG: runs PROG (a program next to this one) inside a new,
 * private mount namespace in which this program's directory is bind-mounted
 * on /tmp/bpftrace-unshare-mountns-test; PROG is executed from there, so its
 * path is only valid inside that namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOUNT_POINT "/tmp/bpftrace-unshare-mountns-test"

int main(int argc, char **argv)
{
  if (argc != 2 || strchr(argv[1], '/') != NULL) {
    fprintf(stderr, "usage: mountns_wrapper PROG\n");
    return 2;
  }

  char self[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len < 0) {
    perror("readlink /proc/self/exe");
    return 1;
  }
  self[len] = '\0';
  const char *dir = dirname(self);

  if (unshare(CLONE_NEWNS) != 0) {
    perror("unshare");
    return 1;
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    perror("mount --make-rprivate /");
    return 1;
  }
  if (mkdir(MOUNT_POINT, 0755) != 0 && errno != EEXIST) {
    perror("mkdir " MOUNT_POINT);
    return 1;
  }
  if (mount(dir, MOUNT_POINT, NULL, MS_BIND, NULL) != 0) {
    perror("bind mount");
    return 1;
  }
  if (chdir(MOUNT_POINT) != 0) {
    perror("chdir");
    return 1;
  }

  char prog[PATH_MAX];
  snprintf(prog, sizeof(prog), "%s/%s", MOUNT_POINT, argv[1]);
  char *args[] = { prog, NULL };
  execv(prog, args);
  perror(prog);
  return 127;
}
