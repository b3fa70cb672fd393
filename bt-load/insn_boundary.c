/* insn_boundary.c - is a uprobe offset on an instruction boundary?
 *
 * bpftrace's safe mode refuses a uprobe at function+offset that lands in
 * the middle of an instruction (the breakpoint would corrupt it).  The
 * function's bytes are read from the binary and decoded with capstone
 * from the function's start up to the offset.
 */
#include <capstone/capstone.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "load.h"

enum insn_place insn_place(const char *path, uint64_t file_off, uint64_t offset)
{
#if defined(__x86_64__)
	if (offset == 0)
		return INSN_START;
	if (offset > (1u << 24))
		return INSN_UNKNOWN;
	size_t n = (size_t)offset + 16;   /* the instruction that holds it */
	uint8_t *code = malloc(n);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 && code ? pread(fd, code, n, (off_t)file_off) : -1;
	if (fd >= 0)
		close(fd);
	csh cs;
	enum insn_place r = INSN_UNKNOWN;
	if (got > 0 && cs_open(CS_ARCH_X86, CS_MODE_64, &cs) == CS_ERR_OK) {
		const uint8_t *p = code;
		size_t left = (size_t)got;
		uint64_t at = 0;
		cs_insn *insn = cs_malloc(cs);
		while (at < offset && cs_disasm_iter(cs, &p, &left, &at, insn))
			;
		r = at == offset ? INSN_START : at > offset ? INSN_MIDDLE : INSN_UNKNOWN;
		cs_free(insn, 1);
		cs_close(&cs);
	}
	free(code);
	return r;
#else
	(void)path;
	(void)file_off;
#if defined(__aarch64__)
	return offset % 4 ? INSN_MIDDLE : INSN_START;
#else
	return offset ? INSN_UNKNOWN : INSN_START;
#endif
#endif
}
