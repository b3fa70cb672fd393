/* btf_check.c - refuse an object whose BTF would crash libbpf.
 *
 * libbpf 1.1 trusts the type ids inside .BTF (a member pointing past the
 * last type makes bpf_object__open_mem dereference garbage: fuzz
 * crashes/bt-load-2.bin).  Before handing an object to libbpf, walk every
 * BTF type record once and check that it fits the section and that every
 * type id it names exists.  Linear in the size of the section.
 */
#include <linux/btf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "load.h"

static bool id_ok(uint32_t id, uint32_t ntypes) { return id <= ntypes; }

/* Walk the type records; count them on the first pass, check ids on the
 * second. */
static bool walk(const uint8_t *p, uint32_t len, uint32_t *ntypes, bool check, char *why,
		 size_t whylen)
{
	uint32_t off = 0, n = 0;
	while (off < len) {
		if (len - off < sizeof(struct btf_type)) {
			snprintf(why, whylen, "truncated type record");
			return false;
		}
		struct btf_type t;
		memcpy(&t, p + off, sizeof t);
		off += sizeof t;
		n++;
		uint32_t kind = BTF_INFO_KIND(t.info), vlen = BTF_INFO_VLEN(t.info);
		uint32_t extra = 0, nrefs = 0, stride = 0, ref_at = 0;
		bool self_ref = false;
		switch (kind) {
		case BTF_KIND_INT: extra = 4; break;
		case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC:
		case BTF_KIND_TYPE_TAG:
			self_ref = true;
			break;
		case BTF_KIND_ARRAY: extra = sizeof(struct btf_array); nrefs = 2; stride = 4; break;
		case BTF_KIND_STRUCT: case BTF_KIND_UNION:
			extra = vlen * (uint32_t)sizeof(struct btf_member);
			nrefs = vlen; stride = sizeof(struct btf_member); ref_at = 4;
			break;
		case BTF_KIND_ENUM: extra = vlen * 8; break;
		case BTF_KIND_ENUM64: extra = vlen * 12; break;
		case BTF_KIND_FWD: case BTF_KIND_FLOAT: break;
		case BTF_KIND_FUNC_PROTO:
			self_ref = true;
			extra = vlen * (uint32_t)sizeof(struct btf_param);
			nrefs = vlen; stride = sizeof(struct btf_param); ref_at = 4;
			break;
		case BTF_KIND_VAR: self_ref = true; extra = 4; break;
		case BTF_KIND_DATASEC:
			extra = vlen * (uint32_t)sizeof(struct btf_var_secinfo);
			nrefs = vlen; stride = sizeof(struct btf_var_secinfo);
			break;
		case BTF_KIND_DECL_TAG: self_ref = true; extra = 4; break;
		default:
			snprintf(why, whylen, "unknown type kind %u", kind);
			return false;
		}
		if (extra > len - off) {
			snprintf(why, whylen, "truncated type record");
			return false;
		}
		if (check) {
			if (self_ref && !id_ok(t.type, *ntypes)) {
				snprintf(why, whylen, "type %u refers to missing type %u", n, t.type);
				return false;
			}
			for (uint32_t i = 0; i < nrefs; i++) {
				uint32_t id;
				memcpy(&id, p + off + i * stride + ref_at, 4);
				if (!id_ok(id, *ntypes)) {
					snprintf(why, whylen, "type %u refers to missing type %u", n, id);
					return false;
				}
			}
		}
		off += extra;
	}
	*ntypes = n;
	return true;
}

struct btf_verdict {
	char *why;
	size_t whylen;
	bool ok;
};

static bool check_section(uint8_t *data, size_t len, void *arg)
{
	struct btf_verdict *v = arg;
	struct btf_header h;
	if (len < sizeof h) {
		snprintf(v->why, v->whylen, "truncated .BTF section");
		return v->ok = false;
	}
	memcpy(&h, data, sizeof h);
	uint64_t tend = (uint64_t)h.hdr_len + h.type_off + h.type_len;
	uint64_t send = (uint64_t)h.hdr_len + h.str_off + h.str_len;
	if (h.magic != BTF_MAGIC || h.hdr_len < sizeof h || tend > len || send > len) {
		snprintf(v->why, v->whylen, "bad .BTF header");
		return v->ok = false;
	}
	const uint8_t *types = data + h.hdr_len + h.type_off;
	uint32_t n = 0;
	v->ok = walk(types, h.type_len, &n, false, v->why, v->whylen) &&
		walk(types, h.type_len, &n, true, v->why, v->whylen);
	return v->ok;
}

bool btf_check(void *elf, size_t size, char *why, size_t whylen)
{
	struct btf_verdict v = { why, whylen, true };
	if (elf_image_sections(elf, size, ".BTF", check_section, &v) < 0) {
		snprintf(why, whylen, "bad ELF section table");
		return false;
	}
	return v.ok;
}
