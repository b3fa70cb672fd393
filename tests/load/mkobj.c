/* mkobj.c - test tool for tests/load.bats: wrap a BPF ELF (compiled from
 * C with clang) and a small line-based description of its metadata into
 * an `obj` stream, so bt-load can be exercised without the compiler
 * stages.  Usage: mkobj ELF SPEC > x.obj
 *
 * SPEC lines (fields separated by spaces; `#` comments):
 *   config KEY=VAL...                 perf_rb_pages, max_map_keys, unsafe, max_cat_bytes
 *   map NAME VALUE [KEY...]           types: int64 uint64 int32 string:N ksym usym
 *                                     kstack:N ustack:N username cgroup_path count
 *                                     sum min max avg stats hist lhist
 *   probe TYPE PROG NAME [AP...]      first attach point; AP = key=value with keys
 *   attach NAME [AP...]               target func ns freq address func_offset len
 *                                     mode arg_num pin cookie need_expansion
 *                                     usdt_offset usdt_sema
 *   printf|system|cat SIZE FMT [TYPE@OFF...]   FMT: \n and \s (space) escapes
 *   time FMT
 *   cgroup_filter FILTER
 *   skboutput PATH OFFSET             a skboutput() call's pcap file
 *   map_id N                          the last map's id (default: its index)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"
#include "meta.h"
#include "mp.h"

static struct type *parse_type(const char *s)
{
	const char *colon = strchr(s, ':');
	int n = colon ? atoi(colon + 1) : 0;
	size_t len = colon ? (size_t)(colon - s) : strlen(s);
#define IS(x) (len == strlen(x) && !strncmp(s, x, len))
	if (IS("int64")) return type_int(64, true);
	if (IS("uint64")) return type_int(64, false);
	if (IS("int32")) return type_int(32, true);
	if (IS("string")) return type_string((uint32_t)n);
	if (IS("ksym")) return type_new(TY_KSYM, 8);
	if (IS("usym")) return type_new(TY_USYM, 24);
	if (IS("kstack")) return type_stack(false, STACK_BPFTRACE, (uint16_t)n);
	if (IS("ustack")) return type_stack(true, STACK_BPFTRACE, (uint16_t)n);
	if (IS("username")) return type_new(TY_USERNAME, 8);
	if (IS("cgroup_path")) return type_new(TY_CGROUP_PATH, 16);
	static const struct { const char *n; enum type_kind k; } aggs[] = {
		{ "count", TY_COUNT }, { "sum", TY_SUM }, { "min", TY_MIN }, { "max", TY_MAX },
		{ "avg", TY_AVG }, { "stats", TY_STATS }, { "hist", TY_HIST }, { "lhist", TY_LHIST },
	};
	for (size_t i = 0; i < sizeof aggs / sizeof *aggs; i++)
		if (IS(aggs[i].n)) {
			struct type *t = type_new(aggs[i].k, 8);
			t->is_signed = true;
			return t;
		}
#undef IS
	fprintf(stderr, "mkobj: unknown type '%s'\n", s);
	exit(1);
}

static char *unescape(const char *s)
{
	char *r = arena_alloc(strlen(s) + 1), *o = r;
	for (; *s; s++) {
		if (*s == '\\' && s[1] == 'n') { *o++ = '\n'; s++; }
		else if (*s == '\\' && s[1] == 's') { *o++ = ' '; s++; }
		else *o++ = *s;
	}
	return r;
}

static void set_ap(struct attach_point *ap, uint64_t *cookie, char *kv)
{
	char *eq = strchr(kv, '=');
	if (!eq)
		return;
	*eq = '\0';
	const char *v = eq + 1;
	if (!strcmp(kv, "target")) ap->target = arena_strdup(v);
	else if (!strcmp(kv, "func")) ap->func = arena_strdup(v);
	else if (!strcmp(kv, "ns")) ap->ns = arena_strdup(v);
	else if (!strcmp(kv, "mode")) ap->mode = arena_strdup(v);
	else if (!strcmp(kv, "pin")) ap->pin = arena_strdup(v);
	else if (!strcmp(kv, "freq")) ap->freq = strtoull(v, NULL, 0);
	else if (!strcmp(kv, "address")) ap->address = strtoull(v, NULL, 0);
	else if (!strcmp(kv, "func_offset")) ap->func_offset = strtoull(v, NULL, 0);
	else if (!strcmp(kv, "usdt_offset")) ap->usdt_offset = strtoull(v, NULL, 0);
	else if (!strcmp(kv, "usdt_sema")) ap->usdt_sema = strtoull(v, NULL, 0);
	else if (!strcmp(kv, "len")) ap->len = strtoull(v, NULL, 0);
	else if (!strcmp(kv, "arg_num")) ap->arg_num = atoi(v);
	else if (!strcmp(kv, "cookie")) *cookie = strtoull(v, NULL, 0);
	else if (!strcmp(kv, "need_expansion")) ap->need_expansion = atoi(v);
	else { fprintf(stderr, "mkobj: unknown attach key '%s'\n", kv); exit(1); }
}

static void add_attach(struct meta_probe *p, const char *name, char **kv, int nkv)
{
	struct meta_attach *na = ARENA_ARRAY(struct meta_attach, p->nattach + 1);
	if (p->nattach)
		memcpy(na, p->attach, sizeof *na * p->nattach);
	struct attach_point *ap = ARENA_NEW(struct attach_point);
	ap->provider = p->type;
	ap->arg_num = -1;
	ap->raw = arena_strdup(name);
	na[p->nattach].ap = ap;
	na[p->nattach].name = arena_strdup(name);
	for (int i = 0; i < nkv; i++)
		set_ap(ap, &na[p->nattach].cookie, kv[i]);
	p->attach = na;
	p->nattach++;
}

static void add_fmt(void *vecp, char **w, int n)
{
	VEC(struct meta_fmt) *v = vecp;
	struct meta_fmt f = { 0 };
	f.size = (uint32_t)strtoul(w[1], NULL, 0);
	f.fmt = unescape(w[2]);
	f.nargs = (uint32_t)(n - 3);
	f.args = ARENA_ARRAY(struct meta_arg, f.nargs + 1);
	for (int i = 3; i < n; i++) {
		char *at = strchr(w[i], '@');
		if (!at) { fprintf(stderr, "mkobj: arg needs TYPE@OFF\n"); exit(1); }
		*at = '\0';
		f.args[i - 3].type = parse_type(w[i]);
		f.args[i - 3].offset = (uint32_t)atoi(at + 1);
	}
	VEC_PUSH(v, f);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fputs("usage: mkobj ELF SPEC > out.obj\n", stderr);
		return 1;
	}
	FILE *ef = fopen(argv[1], "rb");
	if (!ef) { perror(argv[1]); return 1; }
	static char elf[1 << 22];
	size_t elen = fread(elf, 1, sizeof elf, ef);
	fclose(ef);
	FILE *sf = fopen(argv[2], "r");
	if (!sf) { perror(argv[2]); return 1; }

	struct meta m = { 0 };
	meta_config_defaults(&m.cfg);
	char line[4096];
	while (fgets(line, sizeof line, sf)) {
		char *w[64];
		int n = 0;
		for (char *t = strtok(line, " \t\n"); t && n < 64; t = strtok(NULL, " \t\n"))
			w[n++] = t;
		if (n == 0 || w[0][0] == '#')
			continue;
		if (!strcmp(w[0], "config")) {
			for (int i = 1; i < n; i++) {
				char *eq = strchr(w[i], '=');
				if (!eq) continue;
				*eq = '\0';
				uint64_t v = strtoull(eq + 1, NULL, 0);
				if (!strcmp(w[i], "perf_rb_pages")) m.cfg.perf_rb_pages = v;
				else if (!strcmp(w[i], "max_map_keys")) m.cfg.max_map_keys = v;
				else if (!strcmp(w[i], "unsafe")) m.cfg.unsafe = v;
				else if (!strcmp(w[i], "max_cat_bytes")) m.cfg.max_cat_bytes = v;
				else if (!strcmp(w[i], "max_probes")) m.cfg.max_probes = v;
			}
		} else if (!strcmp(w[0], "map") && n >= 3) {
			struct meta_map mm = { 0 };
			mm.name = arena_strdup(w[1]);
			mm.id = (uint32_t)m.maps.n;
			mm.value = parse_type(w[2]);
			mm.nkeys = (uint32_t)(n - 3);
			mm.keys = ARENA_ARRAY(struct type *, mm.nkeys + 1);
			for (int i = 3; i < n; i++) {
				mm.keys[i - 3] = parse_type(w[i]);
				mm.key_size += mm.keys[i - 3]->size;
			}
			if (!mm.key_size)
				mm.key_size = 8;
			VEC_PUSH(&m.maps, mm);
		} else if (!strcmp(w[0], "probe") && n >= 4) {
			struct meta_probe p = { 0 };
			p.index = (uint32_t)m.probes.n;
			p.type = probe_type_lookup(w[1]);
			if (p.type == PT_INVALID) { fprintf(stderr, "mkobj: bad probe type %s\n", w[1]); return 1; }
			p.prog = arena_strdup(w[2]);
			p.name = arena_strdup(w[3]);
			add_attach(&p, w[3], w + 4, n - 4);
			VEC_PUSH(&m.probes, p);
		} else if (!strcmp(w[0], "attach") && n >= 2 && m.probes.n) {
			add_attach(&m.probes.v[m.probes.n - 1], w[1], w + 2, n - 2);
		} else if (!strcmp(w[0], "printf") && n >= 3) {
			add_fmt(&m.printfs, w, n);
		} else if (!strcmp(w[0], "system") && n >= 3) {
			add_fmt(&m.systems, w, n);
		} else if (!strcmp(w[0], "cat") && n >= 3) {
			add_fmt(&m.cats, w, n);
		} else if (!strcmp(w[0], "time") && n >= 2) {
			VEC_PUSH(&m.time_fmts, (const char *)unescape(w[1]));
		} else if (!strcmp(w[0], "map_id") && n >= 2 && m.maps.n) {
			m.maps.v[m.maps.n - 1].id = (uint32_t)strtoul(w[1], NULL, 0);
		} else if (!strcmp(w[0], "skboutput") && n >= 3) {
			struct meta_skboutput so = { arena_strdup(w[1]), strtoull(w[2], NULL, 0) };
			VEC_PUSH(&m.skboutputs, so);
		} else if (!strcmp(w[0], "cgroup_filter") && n >= 2) {
			VEC_PUSH(&m.cgroup_filters, (const char *)arena_strdup(w[1]));
		} else {
			fprintf(stderr, "mkobj: bad line: %s\n", w[0]);
			return 1;
		}
	}
	fclose(sf);

	struct mp_out o;
	mp_out_init(&o, 1);
	struct source src = { "stdin", "mkobj test program" };
	mp_write_header(&o, "obj", &src, 0);
	struct codec_enc *e = enc_new();
	meta_register_types(e, &m);
	msgpack_pack_map(&o.pk, 5);
	mp_kv_str(&o.pk, "t", "object");
	mp_kv_bin(&o.pk, "elf", elf, elen);
	enc_write_tables(e, &o.pk);
	meta_encode(e, &o.pk, &m);
	mp_write_end(&o);
	return mp_out_flush(&o) < 0;
}
