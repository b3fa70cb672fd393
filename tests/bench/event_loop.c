/* event_loop.c - makes N events of one kind as fast as it can and prints
 * the nanoseconds per event, for tests/bench/tools.py: the same loop runs
 * untraced, under a libbpf-tools tool and under our equivalent program.
 *
 *   event_loop syscall N    getppid()                 (syscount)
 *   event_loop open N       open("/dev/null") + close  (opensnoop)
 *   event_loop exec N       execve of itself, N times  (execsnoop)
 *   event_loop switch N     a pipe ping-pong with a child: 2 wakeups and
 *                           2 context switches a round (runqlat)
 *   event_loop disk N FILE  4 KiB O_DIRECT writes, a block request each
 *                           (biolatency)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void report(long long start, long n)
{
	printf("%.1f\n", (double)(now_ns() - start) / (double)n);
	fflush(stdout);
}

static int loop_exec(char **argv, long n)
{
	/* argv: event_loop exec N [left start] */
	long left = argv[3] && argv[4] ? atol(argv[3]) : n;
	long long start = argv[3] && argv[4] ? atoll(argv[4]) : now_ns();
	if (left <= 0) {
		report(start, n);
		return 0;
	}
	char sleft[32], sstart[32];
	snprintf(sleft, sizeof sleft, "%ld", left - 1);
	snprintf(sstart, sizeof sstart, "%lld", start);
	char *args[] = { argv[0], "exec", argv[2], sleft, sstart, NULL };
	execv("/proc/self/exe", args);
	perror("execv");
	return 1;
}

static int loop_switch(long n)
{
	int ping[2], pong[2];
	char c = 0;
	if (pipe(ping) || pipe(pong))
		return 1;
	pid_t child = fork();
	if (child == 0) {
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1 && write(pong[1], &c, 1) == 1)
			;
		_exit(0);
	}
	long long start = now_ns();
	for (long i = 0; i < n; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	report(start, n);
	close(ping[1]);
	waitpid(child, NULL, 0);
	return 0;
}

static int loop_disk(long n, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_DIRECT, 0600);
	void *buf;
	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		return 1;
	memset(buf, 'x', 4096);
	long long start = now_ns();
	for (long i = 0; i < n; i++)
		if (pwrite(fd, buf, 4096, (i % 256) * 4096) != 4096)
			return 1;
	report(start, n);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: event_loop syscall|open|exec|switch|disk N [FILE]\n");
		return 2;
	}
	long n = atol(argv[2]);
	const char *mode = argv[1];
	if (strcmp(mode, "exec") == 0)
		return loop_exec(argv, n);
	if (strcmp(mode, "switch") == 0)
		return loop_switch(n);
	if (strcmp(mode, "disk") == 0)
		return argc > 3 ? loop_disk(n, argv[3]) : 2;
	long long start = now_ns();
	if (strcmp(mode, "syscall") == 0) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
	} else if (strcmp(mode, "open") == 0) {
		for (long i = 0; i < n; i++)
			close(open("/dev/null", O_RDONLY));
	} else {
		return 2;
	}
	report(start, n);
	return 0;
}
