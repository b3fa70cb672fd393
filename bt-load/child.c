/* child.c - the -c child (spawned held, released after attaching) and the
 * -p process (the run ends when it does).
 *
 * The child is forked before the object is loaded (its pid is the
 * program's `cpid`) and blocks reading a pipe; child_release() writes one
 * byte and it execs the command.  If bt-load gives up before that, closing
 * the pipe makes the child exit without running anything.
 *
 * The child must not write into the out stream (our stdout): the driver
 * hands bt-load the user's stdin and stdout as fds 3 and 4, which become
 * the command's stdin and stdout.  Without them the command's stdout is
 * our stderr, and its stdin /dev/null when the obj stream came on stdin.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load.h"

/* bpftrace's argv has 256 slots and refuses a command of 255 words or
 * more, counting every word. */
#define MAX_CHILD_ARGS 255

/* Split on spaces (no shell, like bpftrace); *argc counts every word, the
 * vector holds at most MAX_CHILD_ARGS of them. */
static char **split_cmd(const char *cmd, int *argc)
{
	char **argv = arena_alloc(sizeof(char *) * (MAX_CHILD_ARGS + 1));
	char *s = arena_strdup(cmd);
	int n = 0;
	for (char *tok = strtok(s, " "); tok; tok = strtok(NULL, " ")) {
		if (n < MAX_CHILD_ARGS)
			argv[n] = tok;
		n++;
	}
	argv[n < MAX_CHILD_ARGS ? n : MAX_CHILD_ARGS] = NULL;
	*argc = n;
	return argv;
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* execvp's lookup, done here (the held child's /proc/PID/exe is still us):
 * NULL when the command is not an executable file. */
static const char *resolve_path(const char *cmd)
{
	if (strchr(cmd, '/'))
		return is_executable_file(cmd) ? cmd : NULL;
	const char *path = getenv("PATH");
	char buf[4096];
	for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
		size_t n = strcspn(p, ":");
		if (snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, cmd) < (int)sizeof buf &&
		    is_executable_file(buf))
			return arena_strdup(buf);
		p += n + (p[n] == ':');
	}
	/* bpftrace also takes the name relative to the working directory */
	return is_executable_file(cmd) ? cmd : NULL;
}

const char *target_binary(struct bt *bt, char *buf, size_t n)
{
	if (bt->child_path)
		return bt->child_path;
	if (bt->o.pid) {
		snprintf(buf, n, "/proc/%d/exe", (int)bt->o.pid);
		return buf;
	}
	return NULL;
}

int child_spawn(struct bt *bt)
{
	int argc;
	char **argv = split_cmd(bt->o.child_cmd, &argc);
	if (argc == 0) {
		bt_error("Failed to fork child: empty command");
		return -1;
	}
	/* Checked before anything is loaded, in bpftrace's order. */
	const char *path = resolve_path(argv[0]);
	if (!path) {
		bt_error("Failed to fork child: path '%s' does not exist or is not executable",
			 argv[0]);
		return -1;
	}
	if (argc >= MAX_CHILD_ARGS) {
		bt_error("Failed to fork child: Too many arguments for command (%d > %d)", argc,
			 MAX_CHILD_ARGS);
		return -1;
	}
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0) {
		bt_error("Failed to fork child: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		bt_error("Failed to fork child: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		return -1;
	}
	if (pid == 0) {
		/* The command dies with us, even when we are SIGKILLed (kept
		 * across its exec). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signals_child_defaults();
		close(go[1]);
		if (fcntl(3, F_GETFD) >= 0 && fcntl(4, F_GETFD) >= 0) {
			dup2(3, 0);
			dup2(4, 1);
			close(3);
			close(4);
		} else {
			dup2(2, 1);
			if (!strcmp(bt->o.input, "-")) {
				int nul = open("/dev/null", O_RDONLY);
				if (nul >= 0 && nul != 0) {
					dup2(nul, 0);
					close(nul);
				}
			}
		}
		char c;
		ssize_t r;
		do
			r = read(go[0], &c, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(0);
		close(go[0]);
		execv(path, argv);
		fprintf(stderr, "ERROR: failed to execute '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	bt->child_path = path;
	bt->child = pid;
	bt->child_go_fd = go[1];
	bt->target_pid = pid;
	return 0;
}

int child_release(struct bt *bt)
{
	if (bt->child_go_fd < 0)
		return 0;
	/* bt-fmt prints what came before ("Attaching N probes...", BEGIN's
	 * output) ahead of the command's own output */
	out_wait_reader(bt);
	ssize_t w = write(bt->child_go_fd, "g", 1);
	close(bt->child_go_fd);
	bt->child_go_fd = -1;
	if (w != 1) {
		bt_error("Failed to start child: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void child_reap(struct bt *bt)
{
	if (!bt->child || bt->child_exited)
		return;
	int st;
	pid_t r = waitpid(bt->child, &st, WNOHANG);
	if (r == bt->child) {
		bt->child_exited = true;
		bt->child_status = st;
	}
}

/* bpftrace terminates a still-running child when tracing ends. */
void child_kill(struct bt *bt)
{
	if (bt->child_go_fd >= 0) {
		close(bt->child_go_fd);    /* held child: exits by itself */
		bt->child_go_fd = -1;
	}
	if (!bt->child || bt->child_exited)
		return;
	child_reap(bt);
	if (bt->child_exited)
		return;
	/* SIGTERM, and SIGKILL if it is still there after a second */
	kill(bt->child, SIGTERM);
	for (int i = 0; i < 1000 && !bt->child_exited; i++) {
		usleep(1000);
		child_reap(bt);
	}
	if (!bt->child_exited) {
		kill(bt->child, SIGKILL);
		int st;
		pid_t r;
		do
			r = waitpid(bt->child, &st, 0);
		while (r < 0 && errno == EINTR);
		if (r == bt->child) {
			bt->child_exited = true;
			bt->child_status = st;
		}
	}
}

bool target_alive(struct bt *bt)
{
	static int pidfd = -2;
	if (!bt->o.pid)
		return true;
	if (pidfd == -2)
		pidfd = (int)syscall(SYS_pidfd_open, bt->o.pid, 0);
	if (pidfd < 0)
		return kill(bt->o.pid, 0) == 0 || errno == EPERM;
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	return poll(&p, 1, 0) == 0;
}

/* Its wait status.  Only the process named (the driver's bt-fmt, our child since the driver
 * became us): others we may have inherited, such as the reader of a
 * `> >(cat)` that waits for us, must not be waited for. */
int wait_reader(pid_t pid)
{
	int st = 0;
	if (pid <= 0)
		return 0;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return 0;
	}
	return st;
}
