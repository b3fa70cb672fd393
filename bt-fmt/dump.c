/* dump.c - `bt-fmt --dump`: any stage's stream (ast, ir, obj, out) as
 * readable text.
 *
 * Layout: a "# <format> stream" line, the program source, the rest of the
 * header, then every record.  Inside records, type and node tables are
 * listed one entry per line with their index (types also in bpftrace's
 * spelling), an `elf` blob is summarised by its section headers (parsed
 * here from the Elf64 bytes), `event` data is shown with its decoded
 * event id and in hex, metadata one entry per line, and a tree (ast, ir)
 * is also printed the way `bpftrace -d` shows it.  Everything else goes
 * through libcommon's mp_dump.
 */
#include "fmt.h"

#include <elf.h>
#include <stdio.h>

#include "ast_print.h"
#include "codec.h"

/* One-line JSON-like form of an object (for table entries). */
static void dump_inline(FILE *o, const msgpack_object *x)
{
	switch (x->type) {
	case MSGPACK_OBJECT_ARRAY:
		fputc('[', o);
		for (uint32_t i = 0; i < x->via.array.size; i++) {
			if (i)
				fputs(", ", o);
			dump_inline(o, &x->via.array.ptr[i]);
		}
		fputc(']', o);
		break;
	case MSGPACK_OBJECT_MAP:
		fputc('{', o);
		for (uint32_t i = 0; i < x->via.map.size; i++) {
			if (i)
				fputs(", ", o);
			dump_inline(o, &x->via.map.ptr[i].key);
			fputs(": ", o);
			dump_inline(o, &x->via.map.ptr[i].val);
		}
		fputc('}', o);
		break;
	default:
		mp_dump(o, x, 0);
	}
}

static void dump_table(FILE *o, const char *key, const msgpack_object *v,
		       const struct codec_dec *d)
{
	fprintf(o, "  %s: %u entries\n", key,
		v->type == MSGPACK_OBJECT_ARRAY ? v->via.array.size : 0);
	if (v->type != MSGPACK_OBJECT_ARRAY)
		return;
	for (uint32_t i = 0; i < v->via.array.size; i++) {
		fprintf(o, "    [%u] ", i);
		if (d && i < d->ntypes && d->types[i])
			fprintf(o, "%s  ", type_str(d->types[i]));
		dump_inline(o, &v->via.array.ptr[i]);
		fputc('\n', o);
	}
}

static const char *shtype_name(uint32_t t)
{
	switch (t) {
	case SHT_NULL: return "NULL";
	case SHT_PROGBITS: return "PROGBITS";
	case SHT_SYMTAB: return "SYMTAB";
	case SHT_STRTAB: return "STRTAB";
	case SHT_RELA: return "RELA";
	case SHT_NOBITS: return "NOBITS";
	case SHT_REL: return "REL";
	case 0x6fff4c03: return "LLVM_ADDRSIG";
	default: return "?";
	}
}

/* Section headers of an Elf64 little-endian object, bounds-checked. */
static void dump_elf(FILE *o, const uint8_t *p, size_t n)
{
	fprintf(o, "  elf: %zu bytes\n", n);
	Elf64_Ehdr eh;
	if (n < sizeof eh || memcmp(p, ELFMAG, SELFMAG) != 0 || p[EI_CLASS] != ELFCLASS64) {
		fprintf(o, "    (not an Elf64 object)\n");
		return;
	}
	memcpy(&eh, p, sizeof eh);
	fprintf(o, "    machine %u (%s), type %u, %u sections\n", eh.e_machine,
		eh.e_machine == EM_BPF ? "BPF" : "not BPF", eh.e_type, eh.e_shnum);
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > n ||
	    (size_t)eh.e_shnum * sizeof(Elf64_Shdr) > n - eh.e_shoff) {
		fprintf(o, "    (bad section header table)\n");
		return;
	}
	Elf64_Shdr str = { 0 };
	if (eh.e_shstrndx < eh.e_shnum)
		memcpy(&str, p + eh.e_shoff + eh.e_shstrndx * sizeof str, sizeof str);
	if (str.sh_offset > n || str.sh_size > n - str.sh_offset)
		str.sh_size = 0;
	for (uint32_t i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		memcpy(&sh, p + eh.e_shoff + i * sizeof sh, sizeof sh);
		const char *name = "";
		int nl = 0;
		if (sh.sh_name < str.sh_size) {
			name = (const char *)p + str.sh_offset + sh.sh_name;
			nl = (int)strnlen(name, str.sh_size - sh.sh_name);
		}
		fprintf(o, "    [%2u] %-24.*s %-12s %8llu bytes\n", i, nl, name,
			shtype_name(sh.sh_type), (unsigned long long)sh.sh_size);
	}
}

static const char *event_kind(uint64_t id)
{
	static const char *const fixed[] = {
		"exit", "print", "clear", "zero", "time", "join", "helper_error",
		"print_non_map", "strftime", "watchpoint_attach", "watchpoint_detach",
		"skboutput",
	};
	if (id < ASYNC_SYSTEM_BASE)
		return "printf";
	if (id < ASYNC_CAT_BASE)
		return "system";
	if (id < ASYNC_EXIT)
		return "cat";
	if (id - ASYNC_EXIT < sizeof fixed / sizeof fixed[0])
		return fixed[id - ASYNC_EXIT];
	return "unknown";
}

static void dump_event(FILE *o, const msgpack_object *v)
{
	if (v->type != MSGPACK_OBJECT_BIN) {
		fputs("  data: ", o);
		mp_dump(o, v, 2);
		fputc('\n', o);
		return;
	}
	const uint8_t *p = (const uint8_t *)v->via.bin.ptr;
	size_t n = v->via.bin.size;
	fprintf(o, "  data: %zu bytes", n);
	if (n >= 8) {
		uint64_t id = read_u64(p);
		fprintf(o, ", id %llu (%s)", (unsigned long long)id, event_kind(id));
	}
	fputc('\n', o);
	size_t show = n > 256 ? 256 : n;
	for (size_t i = 0; i < show; i += 16) {
		fprintf(o, "    %04zx:", i);
		for (size_t j = i; j < i + 16 && j < show; j++)
			fprintf(o, "%s%02x", j % 8 ? " " : "  ", p[j]);
		fputc('\n', o);
	}
	if (show < n)
		fprintf(o, "    ... (%zu more bytes)\n", n - show);
}

static void dump_meta(FILE *o, const msgpack_object *m)
{
	if (m->type != MSGPACK_OBJECT_MAP) {
		fputs("  meta: ", o);
		dump_inline(o, m);
		fputc('\n', o);
		return;
	}
	fputs("  meta:\n", o);
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;
		const msgpack_object *v = &m->via.map.ptr[i].val;
		fputs("    ", o);
		dump_inline(o, k);
		if (v->type == MSGPACK_OBJECT_ARRAY) {
			fprintf(o, ": %u entries\n", v->via.array.size);
			for (uint32_t j = 0; j < v->via.array.size; j++) {
				fprintf(o, "      [%u] ", j);
				dump_inline(o, &v->via.array.ptr[j]);
				fputc('\n', o);
			}
		} else {
			fputs(": ", o);
			dump_inline(o, v);
			fputc('\n', o);
		}
	}
}

/* A header or record: known bulky keys get their own layout. */
static void dump_object(FILE *o, const msgpack_object *r, const char *format)
{
	struct mp_err e = { 0 };
	struct codec_dec d = { .err = &e };
	bool have_types = mp_get(r, "types") && dec_tables(&d, r);
	for (uint32_t i = 0; i < r->via.map.size; i++) {
		const msgpack_object *k = &r->via.map.ptr[i].key;
		const msgpack_object *v = &r->via.map.ptr[i].val;
		if (k->type != MSGPACK_OBJECT_STR) {
			fputs("  ", o);
			dump_inline(o, k);
			fputs(": ", o);
			dump_inline(o, v);
			fputc('\n', o);
			continue;
		}
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(k->via.str.size < 63 ? k->via.str.size : 63),
			 k->via.str.ptr);
		if (strcmp(key, "source") == 0 && (v->type == MSGPACK_OBJECT_BIN ||
						   v->type == MSGPACK_OBJECT_STR)) {
			fputs("  source:\n", o);
			const char *s = v->via.bin.ptr, *end = s + v->via.bin.size;
			while (s < end) {
				const char *nl = memchr(s, '\n', (size_t)(end - s));
				size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
				fprintf(o, "    | %.*s\n", (int)len, s);
				s += len + (nl != NULL);
			}
		} else if (strcmp(key, "types") == 0) {
			dump_table(o, key, v, have_types ? &d : NULL);
		} else if (strcmp(key, "nodes") == 0) {
			dump_table(o, key, v, NULL);
		} else if (strcmp(key, "meta") == 0) {
			dump_meta(o, v);
		} else if (strcmp(key, "elf") == 0 && v->type == MSGPACK_OBJECT_BIN) {
			dump_elf(o, (const uint8_t *)v->via.bin.ptr, v->via.bin.size);
		} else if (strcmp(key, "data") == 0 && strcmp(format, "out") == 0 &&
			   mp_key_is(mp_get(r, "t"), "event")) {
			dump_event(o, v);
		} else {
			fprintf(o, "  %s: ", key);
			mp_dump(o, v, 2);
			fputc('\n', o);
		}
	}
	const msgpack_object *root = mp_get(r, "root");
	if (have_types && root && mp_get(r, "nodes")) {
		struct node *prog = dec_node(&d, root);
		if (prog && prog->kind == N_PROGRAM) {
			fputs("  tree:\n", o);
			ast_print(o, prog, strcmp(format, "ir") == 0);
		}
	}
}

int dump_stream(int fd, const char *name, char *err, size_t errlen)
{
	struct mp_in in;
	struct source src;
	const msgpack_object *h = mp_in_open(&in, fd, NULL, &src);
	if (!h) {
		snprintf(err, errlen, "%s", in.errmsg);
		mp_in_close(&in);
		return 1;
	}
	FILE *o = stdout;
	const char *format = in.format;
	struct mp_err e = { 0 };
	fprintf(o, "# %s stream, version %lld (%s)\n", format,
		(long long)mp_get_int(&e, h, "version"), strcmp(name, "-") ? name : "stdin");
	fputs("header:\n", o);
	dump_object(o, h, format);
	const msgpack_object *r;
	uint32_t n = 0;
	while ((r = mp_in_next(&in))) {
		const msgpack_object *t = mp_get(r, "t");
		fputs("record ", o);
		fprintf(o, "%u", n++);
		if (t && t->type == MSGPACK_OBJECT_STR)
			fprintf(o, " (%.*s)", (int)t->via.str.size, t->via.str.ptr);
		fputs(":\n", o);
		dump_object(o, r, format);
	}
	int rc = 0;
	if (in.errmsg[0]) {
		snprintf(err, errlen, "%s", in.errmsg);
		rc = 1;
	} else {
		fputs("end\n", o);
	}
	mp_in_close(&in);
	if (fflush(o) != 0 && !rc) {
		snprintf(err, errlen, "writing output failed");
		rc = 1;
	}
	return rc;
}
