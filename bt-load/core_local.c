/* core_local.c - an object typed against this very kernel build needs no
 * CO-RE relocation.
 *
 * bt-codegen writes each relocated kernel-type read with the offset,
 * size or value the compile kernel's BTF gave it, and a CO-RE record for
 * libbpf to correct it on another kernel.  To apply the records libbpf
 * parses the whole kernel BTF (5 MiB here, two copies at the peak, ~10
 * ms).  When the object's meta.target names the running kernel's own
 * build (kernel_id.h), every record would leave its instruction as it
 * is: bt-load then empties the record section of .BTF.ext (its length in
 * the section header) before libbpf opens the object, and libbpf leaves
 * the kernel BTF alone.  Line and function info are kept.
 */
#include <stdint.h>
#include <string.h>

#include "load.h"

/* struct btf_ext_header (libbpf's .BTF.ext): magic, version, flags,
 * hdr_len, then (offset, length) of func_info, line_info and, in headers
 * of 32 bytes or more, of the CO-RE records. */
#define BTF_EXT_MAGIC 0xeB9F
#define EXT_HDR_LEN_AT 4
#define EXT_CORE_LEN_AT 28
#define EXT_HDR_WITH_CORE 32

static bool drop_in(uint8_t *h, size_t len, void *dropped)
{
	uint16_t magic;
	uint32_t hdr_len, core_len;
	if (len < EXT_HDR_WITH_CORE)
		return true;
	memcpy(&magic, h, sizeof magic);
	memcpy(&hdr_len, h + EXT_HDR_LEN_AT, sizeof hdr_len);
	memcpy(&core_len, h + EXT_CORE_LEN_AT, sizeof core_len);
	if (magic != BTF_EXT_MAGIC || hdr_len < EXT_HDR_WITH_CORE || core_len == 0)
		return true;
	core_len = 0;
	memcpy(h + EXT_CORE_LEN_AT, &core_len, sizeof core_len);
	*(bool *)dropped = true;
	return true;   /* every one: libbpf reads the last of several */
}

bool core_drop_relocations(void *elf, size_t size)
{
	bool dropped = false;
	elf_image_sections(elf, size, ".BTF.ext", drop_in, &dropped);
	return dropped;
}
