/* insn_boundary.c - is a uprobe offset on an instruction boundary?
 *
 * bpftrace's safe mode refuses a uprobe at function+offset that lands in
 * the middle of an instruction (the breakpoint would corrupt it).  The
 * function's bytes are read from the binary and decoded with capstone
 * from the function's start up to the offset.  capstone is opened only
 * when a check is needed: linked in, its relocated tables alone would add
 * 3 MiB to bt-load's resident memory for every trace.
 */
#include <capstone/capstone.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "load.h"

#if defined(__x86_64__)
struct capstone {
	cs_err (*open)(cs_arch, cs_mode, csh *);
	cs_insn *(*malloc)(csh);
	bool (*disasm_iter)(csh, const uint8_t **, size_t *, uint64_t *, cs_insn *);
	void (*free)(cs_insn *, size_t);
	cs_err (*close)(csh *);
};

static bool load_capstone(struct capstone *c)
{
	static void *lib;
	if (!lib)
		lib = dlopen("libcapstone.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		lib = dlopen("libcapstone.so", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return false;
	*(void **)&c->open = dlsym(lib, "cs_open");
	*(void **)&c->malloc = dlsym(lib, "cs_malloc");
	*(void **)&c->disasm_iter = dlsym(lib, "cs_disasm_iter");
	*(void **)&c->free = dlsym(lib, "cs_free");
	*(void **)&c->close = dlsym(lib, "cs_close");
	return c->open && c->malloc && c->disasm_iter && c->free && c->close;
}

/* Decode from the function start; where does offset fall? */
static enum insn_place decode_to(const uint8_t *code, size_t n, uint64_t offset)
{
	struct capstone c;
	csh cs;
	if (!load_capstone(&c) || c.open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return INSN_UNKNOWN;
	uint64_t at = 0;
	cs_insn *insn = c.malloc(cs);
	while (insn && at < offset && c.disasm_iter(cs, &code, &n, &at, insn))
		;
	if (insn)
		c.free(insn, 1);
	c.close(&cs);
	return at == offset ? INSN_START : at > offset ? INSN_MIDDLE : INSN_UNKNOWN;
}
#endif

enum insn_place insn_place(const char *path, uint64_t file_off, uint64_t offset)
{
	if (offset == 0)
		return INSN_START;
#if defined(__x86_64__)
	if (offset > (1u << 24))
		return INSN_UNKNOWN;
	size_t n = (size_t)offset + 16;   /* the instruction that holds it */
	uint8_t *code = malloc(n);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 && code ? pread(fd, code, n, (off_t)file_off) : -1;
	if (fd >= 0)
		close(fd);
	enum insn_place r = got > 0 ? decode_to(code, (size_t)got, offset) : INSN_UNKNOWN;
	free(code);
	return r;
#elif defined(__aarch64__)
	(void)path;
	(void)file_off;
	return offset % 4 ? INSN_MIDDLE : INSN_START;
#else
	(void)path;
	(void)file_off;
	return INSN_UNKNOWN;
#endif
}
