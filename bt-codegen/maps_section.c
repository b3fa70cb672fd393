/* maps_section.c - name the maps' section `.maps` after LLVM has emitted it.
 *
 * Why not name it `.maps` in the module: LLVM 16's BTF writer collects
 * the globals of `.maps` at the first function and then, at the start of
 * every function, re-completes every BTF type collected so far; a VAR's
 * completion looks its name up in a linearly scanned string table.  With
 * one VAR per map that is functions x maps scans (1,000 probes with a map
 * each: 1,002,000 scans, 5.8 s).  Globals of any other section are
 * collected once, at the end of the module, with the same BTF for our map
 * structs (members are pointers to int arrays, no struct pointees).  So
 * the maps go to a placeholder section of the same name length and this
 * file renames it, and its BTF DATASEC, in the emitted object.
 */
#include <elf.h>
#include <linux/btf.h>
#include <string.h>

#include "cg.h"

static bool in_bounds(size_t off, size_t n, size_t len)
{
	return off <= len && n <= len - off;
}

/* The section header table, or NULL if it does not fit in the object. */
static Elf64_Shdr *sections(uint8_t *elf, size_t len, const Elf64_Ehdr *eh)
{
	if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_bounds(eh->e_shoff, (size_t)eh->e_shnum * sizeof(Elf64_Shdr), len) ||
	    eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	return (Elf64_Shdr *)(elf + eh->e_shoff);
}

/* Rename section MAPS_PLACEHOLDER to ".maps": its name string must be
 * its own (no other section name ends inside it but its .rel one). */
static bool rename_section(uint8_t *elf, size_t len, const Elf64_Ehdr *eh, Elf64_Shdr *sh)
{
	const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
	if (!in_bounds(strs->sh_offset, strs->sh_size, len) || strs->sh_size == 0)
		return false;
	char *names = (char *)elf + strs->sh_offset;
	names[strs->sh_size - 1] = '\0';
	size_t plen = strlen(MAPS_PLACEHOLDER);
	size_t at = 0;
	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_name < strs->sh_size && strcmp(names + sh[i].sh_name, MAPS_PLACEHOLDER) == 0)
			at = sh[i].sh_name;
	if (at == 0)
		return true;   /* no maps */
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		size_t start = sh[i].sh_name;
		if (start >= strs->sh_size || start == at)
			continue;
		size_t end = start + strlen(names + start);
		bool rel = strncmp(names + start, ".rel", 4) == 0 && start + 4 == at;
		if (start <= at && at < end && !rel)
			return false;
	}
	memcpy(names + at, ".maps", plen);
	return true;
}

/* Rename the DATASEC (the only BTF string MAPS_PLACEHOLDER: the BTF
 * string table is deduplicated, not tail-merged). */
static bool rename_datasec(uint8_t *elf, size_t len, const Elf64_Ehdr *eh, const Elf64_Shdr *sh)
{
	const Elf64_Shdr *strs = &sh[eh->e_shstrndx];
	const char *names = (const char *)elf + strs->sh_offset;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size || strcmp(names + sh[i].sh_name, ".BTF") != 0)
			continue;
		if (!in_bounds(sh[i].sh_offset, sh[i].sh_size, len) ||
		    sh[i].sh_size < sizeof(struct btf_header))
			return false;
		uint8_t *btf = elf + sh[i].sh_offset;
		struct btf_header h;
		memcpy(&h, btf, sizeof h);
		if (h.magic != BTF_MAGIC || !in_bounds(h.hdr_len, 0, sh[i].sh_size) ||
		    !in_bounds((size_t)h.hdr_len + h.str_off, h.str_len, sh[i].sh_size))
			return false;
		char *s = (char *)btf + h.hdr_len + h.str_off;
		size_t plen = strlen(MAPS_PLACEHOLDER);
		for (size_t k = 0; k + plen < h.str_len; k++)
			if ((k == 0 || s[k - 1] == '\0') && memcmp(s + k, MAPS_PLACEHOLDER, plen + 1) == 0)
				memcpy(s + k, ".maps", plen);
		return true;
	}
	return true;   /* no BTF: nothing to rename */
}

bool cg_name_maps_section(uint8_t *elf, size_t len)
{
	if (len < sizeof(Elf64_Ehdr))
		return false;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return false;
	Elf64_Shdr *sh = sections(elf, len, eh);
	return sh && rename_section(elf, len, eh, sh) && rename_datasec(elf, len, eh, sh);
}
