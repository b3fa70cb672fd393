/* kheaders.c - the clang flags that compile the kernel's headers, as
 * bpftrace v0.20 passes them, and its warning when there are none (where
 * the headers are is sys.h's question: sys_kernel_headers).
 *
 * The flags are Linux's own include order ($(LINUXINCLUDE) and
 * $(USERINCLUDE) of its Makefile: arch, generated, include, uapi), the
 * kconfig.h every kernel file starts with, and the macros a kernel build
 * defines (__KERNEL__, ...), so that headers see the configuration they
 * were generated for.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"

bool kheaders_find(struct check *c, const char **src, const char **build,
		   const char **machine)
{
	struct sys *s = check_sys(c);
	if (s && sys_kernel_headers(s, src, build, machine))
		return true;
	/* bpftrace clears both paths before printing them, so its message
	 * names two empty directories; kept as it is. */
	diag_warn(c->d, (struct loc){ 0 },
		  "Could not find kernel headers in  or . To specify a particular "
		  "path to kernel headers, set the env variables "
		  "BPFTRACE_KERNEL_SOURCE and, optionally, BPFTRACE_KERNEL_BUILD if "
		  "the kernel was built in a different directory than its source. "
		  "To create kernel headers run 'modprobe kheaders', which will "
		  "create a tar file at /sys/kernel/kheaders.tar.xz");
	return false;
}

/* The kernel's name for the architecture uname reports. */
static const char *kernel_arch(const char *machine)
{
	static const struct { const char *prefix, *arch; } map[] = {
		{ "x86_64", "x86" }, { "arm64", "arm64" }, { "aarch64", "arm64" },
		{ "arm", "arm" }, { "sa110", "arm" }, { "s390x", "s390" },
		{ "parisc64", "parisc" }, { "ppc", "powerpc" }, { "mips", "mips" },
		{ "sh", "sh" }, { "loongarch", "loongarch" },
	};
	if (machine[0] == 'i' && machine[1] && !strncmp(machine + 2, "86", 2))
		return "x86";
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strncmp(machine, map[i].prefix, strlen(map[i].prefix)))
			return map[i].arch;
	return machine;
}

void kheaders_cflags(const char *src, const char *build, const char *machine,
		     strvec *args)
{
	const char *archenv = getenv("ARCH");
	const char *arch = archenv ? archenv : kernel_arch(machine);
	/* the kernel brings its own headers: no libc ones (clang's builtin
	 * headers stay: the caller lists them with -isystem) */
	VEC_PUSH(args, "-nostdinc");
	const char *dirs[][2] = {
		{ src, "/arch/%s/include" }, { build, "/arch/%s/include/generated" },
		{ src, "/include" }, { build, "/include" },
		{ src, "/arch/%s/include/uapi" }, { build, "/arch/%s/include/generated/uapi" },
		{ src, "/include/uapi" }, { build, "/include/generated/uapi" },
	};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		const char *tail = arena_printf(dirs[i][1], arch);
		VEC_PUSH(args, arena_printf("-I%s%s", dirs[i][0], tail));
	}
	VEC_PUSH(args, "-include");
	VEC_PUSH(args, arena_printf("%s/include/linux/kconfig.h", src));
	static const char *const defines[] = {
		"-D__KERNEL__", "-D__BPF_TRACING__", "-D__HAVE_BUILTIN_BSWAP16__",
		"-D__HAVE_BUILTIN_BSWAP32__", "-D__HAVE_BUILTIN_BSWAP64__",
		"-DKBUILD_MODNAME=\"bpftrace\"",
	};
	for (size_t i = 0; i < sizeof defines / sizeof defines[0]; i++)
		VEC_PUSH(args, defines[i]);
	if (archenv)
		VEC_PUSH(args, arena_printf("-D__TARGET_ARCH_%s", arch));
	if (!strcmp(arch, "arm"))
		VEC_PUSH(args, "-D__LINUX_ARM_ARCH__=7"); /* arch/arm headers need it */
}
