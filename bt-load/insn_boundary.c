/* insn_boundary.c - is a uprobe offset on an instruction boundary?
 *
 * bpftrace's safe mode refuses a uprobe at function+offset that lands in
 * the middle of an instruction (the breakpoint would corrupt it).  The
 * function's bytes (read by the caller) are decoded with capstone from
 * the function's start up to the offset.  capstone is opened only when a
 * check is needed, once: linked in, its relocated tables alone would add
 * 3 MiB to bt-load's resident memory for every trace.
 */
#include <capstone/capstone.h>
#include <dlfcn.h>

#include "load.h"

#if defined(__x86_64__)
struct capstone {
	cs_err (*open)(cs_arch, cs_mode, csh *);
	cs_insn *(*malloc)(csh);
	bool (*disasm_iter)(csh, const uint8_t **, size_t *, uint64_t *, cs_insn *);
	void (*free)(cs_insn *, size_t);
	cs_err (*close)(csh *);
};

/* capstone's entry points, or NULL when it cannot be loaded. */
static const struct capstone *capstone(void)
{
	static struct capstone c;
	static int state;        /* 0 not tried, 1 loaded, -1 unavailable */
	if (state)
		return state > 0 ? &c : NULL;
	state = -1;
	void *lib = dlopen("libcapstone.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		lib = dlopen("libcapstone.so", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return NULL;
	*(void **)&c.open = dlsym(lib, "cs_open");
	*(void **)&c.malloc = dlsym(lib, "cs_malloc");
	*(void **)&c.disasm_iter = dlsym(lib, "cs_disasm_iter");
	*(void **)&c.free = dlsym(lib, "cs_free");
	*(void **)&c.close = dlsym(lib, "cs_close");
	if (!c.open || !c.malloc || !c.disasm_iter || !c.free || !c.close)
		return NULL;
	state = 1;
	return &c;
}
#endif

enum insn_place insn_place(const uint8_t *code, size_t n, uint64_t offset)
{
	if (offset == 0)
		return INSN_START;
#if defined(__x86_64__)
	const struct capstone *c = capstone();
	csh cs;
	if (!c || c->open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return INSN_UNKNOWN;
	uint64_t at = 0;
	cs_insn *insn = c->malloc(cs);
	while (insn && at < offset && c->disasm_iter(cs, &code, &n, &at, insn))
		;
	if (insn)
		c->free(insn, 1);
	c->close(&cs);
	return at == offset ? INSN_START : at > offset ? INSN_MIDDLE : INSN_UNKNOWN;
#elif defined(__aarch64__)
	(void)code;
	(void)n;
	return offset % 4 ? INSN_MIDDLE : INSN_START;
#else
	(void)code;
	(void)n;
	return INSN_UNKNOWN;
#endif
}
