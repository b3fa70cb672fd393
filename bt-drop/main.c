/* main.c - bt-drop: run a stage as user nobody with only the capabilities
 * it needs, and make it die with the driver.
 *
 *   bt-drop [--remove FILE]... [--nobody [--keep CAP[,CAP...]]] -- PROGRAM [ARG...]
 *
 * What `setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs
 * --inh-caps=-all,+CAPS --ambient-caps=-all,+CAPS --bounding-set=-all,+CAPS
 * --pdeathsig KILL -- PROGRAM` does, for the driver's compile stages and
 * bt-fmt, in a small static program: setpriv loads libcap-ng and a locale
 * on every run, most of the cost of starting a stage.  Without --nobody only
 * the parent-death signal is set.  CAPs are the capability names the driver
 * uses (dac_read_search, syslog, sys_ptrace, bpf, perfmon).  --remove
 * unlinks FILE first, with the caller's rights, ignoring errors as rm -f
 * does: the driver's temporary files, already open, go without a process
 * of their own.
 *
 * Exit status: PROGRAM's; 127 when the switch fails (as setpriv), 126/127
 * when PROGRAM cannot be run (as a shell).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOBODY 65534
#define SWITCH_FAILED 127

static const struct {
	const char *name;
	int cap;
} cap_names[] = {
	{ "dac_read_search", CAP_DAC_READ_SEARCH },
	{ "sys_ptrace", CAP_SYS_PTRACE },
	{ "syslog", CAP_SYSLOG },
	{ "perfmon", CAP_PERFMON },
	{ "bpf", CAP_BPF },
};

static int fail(const char *what)
{
	fprintf(stderr, "bt-drop: ERROR: %s: %s\n", what, strerror(errno));
	return SWITCH_FAILED;
}

/* "a,b,c" into a capability mask; false on an unknown name. */
static bool parse_caps(const char *list, uint64_t *mask)
{
	char buf[256];
	if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
		return false;
	for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < sizeof cap_names / sizeof *cap_names && strcmp(w, cap_names[i].name))
			i++;
		if (i == sizeof cap_names / sizeof *cap_names)
			return false;
		*mask |= 1ull << cap_names[i].cap;
	}
	return true;
}

/* User nobody, no groups, only the capabilities in keep (also across
 * exec: inheritable and ambient), none that could ever come back (bounding
 * set, no_new_privs). */
static int become_nobody(uint64_t keep)
{
	/* the bounding set first: dropping needs CAP_SETPCAP, gone after */
	for (int c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (!(keep >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
			return fail("cannot drop from the bounding set");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return fail("cannot keep capabilities");
	if (setgroups(0, NULL) != 0)
		return fail("cannot clear the groups");
	if (setresgid(NOBODY, NOBODY, NOBODY) != 0)
		return fail("cannot switch group");
	if (setresuid(NOBODY, NOBODY, NOBODY) != 0)
		return fail("cannot switch user");
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(keep >> (32 * i));
		d[i] = (struct __user_cap_data_struct){ m, m, m };
	}
	if (syscall(SYS_capset, &h, d) != 0)
		return fail("cannot set the capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		return fail("cannot clear the ambient capabilities");
	for (int c = 0; c < 64; c++)
		if ((keep >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0)
			return fail("cannot keep a capability across exec");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail("cannot set no_new_privs");
	return 0;
}

int main(int argc, char **argv)
{
	pid_t parent = getppid();
	bool nobody = false;
	uint64_t keep = 0;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--nobody")) {
			nobody = true;
		} else if (!strcmp(argv[i], "--remove") && i + 1 < argc) {
			unlink(argv[++i]);
		} else if (!strcmp(argv[i], "--keep") && i + 1 < argc) {
			if (!parse_caps(argv[++i], &keep)) {
				fprintf(stderr, "bt-drop: ERROR: unknown capability in '%s'\n", argv[i]);
				return SWITCH_FAILED;
			}
		} else {
			fprintf(stderr, "usage: bt-drop [--remove FILE]... [--nobody [--keep CAP[,CAP...]]] -- PROGRAM [ARG...]\n");
			return SWITCH_FAILED;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: bt-drop [--remove FILE]... [--nobody [--keep CAP[,CAP...]]] -- PROGRAM [ARG...]\n");
		return SWITCH_FAILED;
	}
	if (nobody) {
		int r = become_nobody(keep);
		if (r)
			return r;
	}
	/* after the switch: a change of user clears the parent-death signal;
	 * and the driver may be gone already */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		return fail("cannot set the parent-death signal");
	if (getppid() != parent)
		return SWITCH_FAILED;
	execvp(argv[i + 1], argv + i + 1);
	int e = errno;
	fprintf(stderr, "bt-drop: ERROR: cannot run %s: %s\n", argv[i + 1], strerror(e));
	return e == ENOENT ? 127 : 126;
}
