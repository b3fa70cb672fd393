/* elf_image.c - the sections of a BPF object held in memory (bt-load
 * reads its objects from the obj stream, never from a file): btf_check.c
 * checks each .BTF before libbpf reads it, core_local.c edits .BTF.ext. */
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "load.h"

int elf_image_sections(void *elf, size_t size, const char *name,
		       bool (*fn)(uint8_t *data, size_t len, void *arg), void *arg)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_memory(elf, size);
	size_t shstrndx;
	if (!e || elf_getshdrstrndx(e, &shstrndx) != 0) {
		elf_end(e);
		return -1;
	}
	int n = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		const char *s;
		if (!gelf_getshdr(scn, &sh) || !(s = elf_strptr(e, shstrndx, sh.sh_name)) ||
		    strcmp(s, name) != 0)
			continue;
		/* no bytes in the image (NOBITS) or past its end: malformed */
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > size ||
		    sh.sh_size > size - sh.sh_offset) {
			n = -1;
			break;
		}
		n++;
		if (!fn((uint8_t *)elf + sh.sh_offset, sh.sh_size, arg))
			break;
	}
	elf_end(e);
	return n;
}
