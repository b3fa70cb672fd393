/* tracefs.c - finding (and, with privileges, mounting) tracefs and debugfs.
 * See tracefs.h. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracefs.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS "/sys/kernel/debug"

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tracefs_root(bool may_mount)
{
	if (is_dir(TRACEFS "/events"))
		return TRACEFS;
	if (is_dir(DEBUGFS "/tracing/events"))
		return DEBUGFS "/tracing";
	if (may_mount && mount("nodev", TRACEFS, "tracefs", 0, NULL) == 0 &&
	    is_dir(TRACEFS "/events"))
		return TRACEFS;
	return NULL;
}

bool debugfs_ensure(void)
{
	if (is_dir(DEBUGFS "/tracing"))
		return true;
	mount("none", DEBUGFS, "debugfs", 0, NULL);
	return is_dir(DEBUGFS "/tracing");
}
