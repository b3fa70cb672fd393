/* mountns_pivot_wrapper PROG: runs PROG (a program next to this one) as /PROG
 * in a new private mount namespace whose root has been pivoted to
 * /tmp/bpftrace-unshare-mountns-pivot-test.  That root holds a bind mount of
 * this program's directory, plus bind mounts of /lib*, /usr/lib* (and
 * /nix/store) so the dynamic loader and libc are found.  The new root is a
 * tmpfs, so nothing is created inside this program's directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NEW_ROOT "/tmp/bpftrace-unshare-mountns-pivot-test"

static void die(const char *what)
{
  perror(what);
  exit(1);
}

/* mkdir -p */
static void make_dirs(const char *path)
{
  char buf[PATH_MAX];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        die(buf);
      *p = '/';
    }
  }
  if (mkdir(buf, 0755) != 0 && errno != EEXIST)
    die(buf);
}

/* bind-mount directory SRC (symlinks followed) at the same path in NEW_ROOT */
static void bind_same_path(const char *src)
{
  struct stat st;
  if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode))
    return;
  char dst[PATH_MAX];
  snprintf(dst, sizeof(dst), "%s%s", NEW_ROOT, src);
  make_dirs(dst);
  if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0)
    die(dst);
}

static void bind_glob(const char *pattern)
{
  glob_t g;
  if (glob(pattern, 0, NULL, &g) != 0)
    return;
  for (size_t i = 0; i < g.gl_pathc; i++)
    bind_same_path(g.gl_pathv[i]);
  globfree(&g);
}

int main(int argc, char **argv)
{
  if (argc != 2 || strchr(argv[1], '/') != NULL) {
    fprintf(stderr, "usage: mountns_pivot_wrapper PROG\n");
    return 2;
  }

  char self[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len < 0)
    die("readlink /proc/self/exe");
  self[len] = '\0';
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s", dirname(self));

  char src_prog[2 * PATH_MAX];
  snprintf(src_prog, sizeof(src_prog), "%s/%s", dir, argv[1]);
  if (access(src_prog, X_OK) != 0)
    die(src_prog);

  if (unshare(CLONE_NEWNS) != 0)
    die("unshare");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    die("mount --make-rprivate /");

  make_dirs(NEW_ROOT);
  if (mount("tmpfs", NEW_ROOT, "tmpfs", 0, "mode=0755") != 0)
    die("mount tmpfs " NEW_ROOT);

  /* the program directory, and PROG itself at the top of the new root */
  char dst[PATH_MAX];
  snprintf(dst, sizeof(dst), "%s/testprogs", NEW_ROOT);
  make_dirs(dst);
  if (mount(dir, dst, NULL, MS_BIND, NULL) != 0)
    die(dst);
  snprintf(dst, sizeof(dst), "%s/%s", NEW_ROOT, argv[1]);
  FILE *f = fopen(dst, "w");
  if (f == NULL)
    die(dst);
  fclose(f);
  if (mount(src_prog, dst, NULL, MS_BIND, NULL) != 0)
    die(dst);

  /* what the dynamic loader needs */
  bind_glob("/lib*");
  bind_glob("/usr/lib*");
  bind_same_path("/nix/store");

  if (chdir(NEW_ROOT) != 0)
    die("chdir " NEW_ROOT);
  if (syscall(SYS_pivot_root, ".", ".") != 0)
    die("pivot_root");
  /* the old root is now stacked on "/"; detach it */
  if (umount2(".", MNT_DETACH) != 0)
    die("umount old root");
  if (chdir("/") != 0)
    die("chdir /");

  char prog[PATH_MAX];
  snprintf(prog, sizeof(prog), "/%s", argv[1]);
  char *args[] = { prog, NULL };
  execv(prog, args);
  perror(prog);
  return 127;
}
