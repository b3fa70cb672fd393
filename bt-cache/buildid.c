/* buildid.c - the GNU build id of an ELF executable: the linker's hash of
 * its contents, so two builds share an id only when they are the same
 * program (for bt-codegen, statically linked with LLVM, that includes the
 * LLVM it was built with).  Read from the PT_NOTE segments through the
 * program headers: a few reads, whatever the size of the file. */
#include "buildid.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define MAX_PHDRS 64
#define MAX_NOTES 4096

static bool pread_all(int fd, void *p, size_t n, off_t off)
{
	return pread(fd, p, n, off) == (ssize_t)n;
}

/* Find NT_GNU_BUILD_ID owned by "GNU" in a PT_NOTE segment's bytes (names
 * and descriptions padded to the segment's alignment, 4 or 8). */
static size_t note_build_id(const unsigned char *p, size_t n, size_t align, unsigned char *id,
			    size_t idmax)
{
	size_t off = 0;
	while (off + sizeof(Elf64_Nhdr) <= n) {
		Elf64_Nhdr h;
		memcpy(&h, p + off, sizeof h);
		off += sizeof h;
		size_t name = (h.n_namesz + align - 1) & ~(align - 1);
		size_t desc = (h.n_descsz + align - 1) & ~(align - 1);
		if (name > n - off || desc > n - off - name)
			return 0;
		if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 && !memcmp(p + off, "GNU", 4) &&
		    h.n_descsz > 0 && h.n_descsz <= idmax) {
			memcpy(id, p + off + name, h.n_descsz);
			return h.n_descsz;
		}
		off += name + desc;
	}
	return 0;
}

size_t build_id(const char *path, unsigned char *id, size_t idmax)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t len = 0;
	Elf64_Ehdr eh;
	if (pread_all(fd, &eh, sizeof eh, 0) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) &&
	    eh.e_phnum <= MAX_PHDRS) {
		Elf64_Phdr ph[MAX_PHDRS];
		if (pread_all(fd, ph, eh.e_phnum * sizeof *ph, (off_t)eh.e_phoff))
			for (int i = 0; i < eh.e_phnum && !len; i++) {
				unsigned char notes[MAX_NOTES];
				if (ph[i].p_type != PT_NOTE || ph[i].p_filesz > sizeof notes)
					continue;
				if (pread_all(fd, notes, ph[i].p_filesz, (off_t)ph[i].p_offset))
					len = note_build_id(notes, ph[i].p_filesz,
							    ph[i].p_align == 8 ? 8 : 4, id, idmax);
			}
	}
	close(fd);
	return len;
}
