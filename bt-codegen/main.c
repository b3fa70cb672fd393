/* main.c - bt-codegen: ir stream in, obj stream out.
 *
 * Reads an `ir` stream (ir-spec/ir.md): the typed tree of bt-check and its
 * metadata.  Lowers every probe block to one BPF function through LLVM
 * (cg.h), optimises with "default<O2>" and emits a BPF ELF object in
 * memory, then writes an `obj` stream (ir-spec/obj.md): the ELF, the
 * metadata copied through with helper_errors filled for -k/-kk.
 * A pure function of its input: it never asks the system anything, and
 * the same input gives the same bytes.
 *
 * Exit status: 0 success, 1 bad input or a program it cannot lower
 * (one line `bt-codegen: ERROR: ...` on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg.h"
#include "codec.h"
#include "meta.h"
#include "mp.h"
#include "tool.h"
#include "validate.h"

static const char usage[] =
	"usage: bt-codegen [--emit-llvm FILE] [--emit-elf FILE] [--dump [--dump-unopt]]\n"
	"                  [--share-from N] [--object-maps N] [-o FILE] [-h] [FILE|-]\n"
	"\n"
	"Compile an `ir` stream (from bt-check) into an `obj` stream: a BPF ELF\n"
	"object built with LLVM plus the program metadata, for bt-load.\n"
	"\n"
	"  FILE|-            input ir stream (default: standard input)\n"
	"  -o FILE           write the obj stream to FILE (default: standard output)\n"
	"  --emit-elf FILE   also write the BPF ELF object alone to FILE (a program\n"
	"                    written as several objects: the others to FILE.1, ...)\n"
	"  --emit-llvm FILE  also write the LLVM IR to FILE.original.ll (before\n"
	"                    optimisation) and FILE.optimized.ll (after)\n"
	"  --dump            print the optimised LLVM IR to standard output (like\n"
	"                    bpftrace -d); the obj stream is then written only with -o\n"
	"  --dump-unopt      with --dump, print the IR before and after optimisation\n"
	"                    (like bpftrace -dd)\n"
	"  --share-from N    from N probe blocks on (default 32; 0: never), compile\n"
	"                    the blocks of one shape (same code but for maps,\n"
	"                    integers and attach points) once and copy the code\n"
	"  --object-maps N   a shared program of more than N maps (default 4096, at\n"
	"                    most 65535: what one BPF object holds) is written as\n"
	"                    several BPF objects of at most N maps each\n"
	"  -h, --help        show this help\n";

/* One line, whatever the message holds (LLVM's are multi-line). */
static int die_msg(const char *msg)
{
	fprintf(stderr, "%s: ERROR: ", tool_name());
	for (const char *p = msg; *p; p++)
		if (*p == '\n') {
			if (p[1])
				fputs("; ", stderr);
		} else {
			fputc(*p, stderr);
		}
	fputc('\n', stderr);
	return 1;
}

struct input {
	struct source src;
	struct node *root;
	struct meta meta;
};

/* The program record at r, decoded into in and validated.  The node list
 * (8 bytes a node) is dropped once validated: the tree is all we keep. */
static bool read_program(struct mp_in *r, struct input *in, char *err, size_t errlen)
{
	struct mp_err me = { 0 };
	struct codec_dec d = { .err = &me, .meta = &in->meta, .drops_node_list = true };
	const msgpack_object *rec = dec_next_record(r, &d);
	const msgpack_object *t = rec ? mp_get(rec, "t") : NULL;
	bool ok = false;
	if (!rec && !me.set) {
		snprintf(err, errlen, "%s", r->errmsg[0] ? r->errmsg : "ir stream has no program record");
	} else if (rec && (!t || !mp_key_is(t, "program"))) {
		snprintf(err, errlen, "corrupt ir stream (expected a program record)");
	} else {
		if (rec) {
			in->root = dec_node(&d, mp_get(rec, "root"));
			if (!d.meta_seen)
				mp_fail(&me, "missing program metadata");
		}
		if (!rec || me.set)
			snprintf(err, errlen, "corrupt ir stream (%s)", me.set ? me.msg : "bad tables");
		else if (!in->root || in->root->kind != N_PROGRAM)
			snprintf(err, errlen, "corrupt ir stream (root is not a program)");
		else
			ok = cg_validate(&d, &in->meta, in->root, err, errlen);
	}
	dec_free_node_list(&d);
	return ok;
}

static bool read_ir(int fd, struct input *in, char *err, size_t errlen)
{
	struct mp_in r;
	bool ok = mp_in_open(&r, fd, "ir", &in->src);
	if (!ok) {
		snprintf(err, errlen, "%s", r.errmsg);
	} else {
		r.max_record = IR_MAX_PROGRAM_RECORD;
		ok = read_program(&r, in, err, errlen);
		if (ok && (mp_in_next(&r) || r.errmsg[0])) {
			snprintf(err, errlen, "%s",
				 r.errmsg[0] ? r.errmsg : "corrupt ir stream (more than one program record)");
			ok = false;
		}
	}
	mp_in_close(&r);
	return ok;
}

/* The obj stream, written as the objects come: the object record holds
 * the first (and the metadata), a program split into several objects has
 * a `part` record for each of the others (ir-spec/obj.md).  The output is
 * opened with the first object, so a program that fails to compile
 * leaves none. */
struct writer {
	struct input *in;
	const char *out_path;    /* NULL: standard output */
	const char *emit_elf;    /* --emit-elf FILE */
	int fd;                  /* -1 until the first object */
	struct mp_out *o;
	bool dump_only;          /* --dump without -o: no obj stream */
	bool failed;
};

static bool write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

static bool put_object(void *arg, uint32_t i, uint32_t n, const uint8_t *elf, size_t len)
{
	struct writer *w = arg;
	if (w->emit_elf) {
		const char *path = i ? arena_printf("%s.%u", w->emit_elf, i) : w->emit_elf;
		if (!write_file(path, elf, len)) {
			tool_fail("cannot write %s", path);
			return !(w->failed = true);
		}
	}
	if (w->out_path == NULL && w->dump_only)
		return true;
	if (i == 0) {
		w->fd = tool_open_output(w->out_path);
		w->o = malloc(sizeof *w->o);
		if (w->fd < 0 || !w->o)
			return !(w->failed = true);
		mp_out_init(w->o, w->fd);
		mp_write_header(w->o, "obj", &w->in->src, 0);
		struct codec_enc *e = enc_new();
		meta_register_types(e, &w->in->meta);
		msgpack_pack_map(&w->o->pk, n > 1 ? 6 : 5);
		mp_kv_str(&w->o->pk, "t", "object");
		mp_kv_bin(&w->o->pk, "elf", elf, len);
		if (n > 1)
			mp_kv_uint(&w->o->pk, "parts", n);
		enc_write_tables(e, &w->o->pk); /* "types" (and an empty "nodes") */
		meta_encode(e, &w->o->pk, &w->in->meta);
	} else {
		msgpack_pack_map(&w->o->pk, 2);
		mp_kv_str(&w->o->pk, "t", "part");
		mp_kv_bin(&w->o->pk, "elf", elf, len);
	}
	if (w->o->failed) {
		tool_fail("cannot write the obj stream");
		return !(w->failed = true);
	}
	return true;
}

/* The end record, once every object is out: exit status. */
static int finish_obj(struct writer *w)
{
	mp_write_end(w->o);
	bool ok = mp_out_flush(w->o) == 0 && !w->o->failed;
	free(w->o);
	if (!ok)
		return tool_fail("cannot write the obj stream");
	return tool_close_output(w->fd);
}

/* Lower and emit in.  When LLVM finds a program over the 512-byte stack
 * (its own spills on top of our buffers), compile again with fewer things
 * on the stack; the result is still a function of the input alone.  Dumps
 * come from the attempt that succeeds. */
static bool compile(struct cg_opts *opts, struct input *in, struct cg_elf **elfs,
		    uint32_t *nelfs, char *err, size_t errlen)
{
	size_t nerrors = in->meta.helper_errors.n;
	size_t nskb = in->meta.skboutputs.n, nlocs = in->meta.helper_locs.n;
	bool ok = false;
	for (opts->stack_level = 0; opts->stack_level <= 2 && !ok; opts->stack_level++) {
		struct cg cg;
		in->meta.helper_errors.n = nerrors;
		in->meta.skboutputs.n = nskb;
		in->meta.helper_locs.n = nlocs;
		ok = cg_init(&cg, opts, &in->meta, &in->src, in->root) && cg_lower(&cg) &&
		     cg_emit(&cg, NULL, elfs, nelfs);
		if (ok && opts->dump) {
			cg_dispose(&cg);
			in->meta.helper_errors.n = nerrors;
			in->meta.skboutputs.n = nskb;
			in->meta.helper_locs.n = nlocs;
			ok = cg_init(&cg, opts, &in->meta, &in->src, in->root) && cg_lower(&cg) &&
			     cg_emit(&cg, stdout, elfs, nelfs);
		}
		if (!ok)
			snprintf(err, errlen, "%s", cg.errmsg[0] ? cg.errmsg : "code generation failed");
		if (!cg.root)
			in->root = NULL;   /* dropped (cg_opts.drop_tree) */
		cg_dispose(&cg);
		if (!ok && (!in->root || !strstr(err, "stack limit")))
			break;
	}
	return ok;
}

int main(int argc, char **argv)
{
	tool_init("bt-codegen");
	struct cg_opts opts = { .share_from = CG_SHARE_FROM, .object_maps = CG_OBJECT_MAPS };
	const char *out_path = NULL;
	static const struct option longopts[] = {
		{ "emit-llvm", required_argument, NULL, 'L' },
		{ "emit-elf", required_argument, NULL, 'E' },
		{ "dump", no_argument, NULL, 'd' },
		{ "dump-unopt", no_argument, NULL, 'D' },
		{ "share-from", required_argument, NULL, 'S' },
		{ "object-maps", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'L': opts.emit_llvm = optarg; break;
		case 'E': opts.emit_elf = optarg; break;
		case 'd': opts.dump = true; break;
		case 'D': opts.dump_unopt = true; break;
		case 'S': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n > UINT32_MAX)
				return tool_fail("--share-from wants a number of probe blocks");
			opts.share_from = (uint32_t)n;
			break;
		}
		case 'M': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > OBJ_MAX_MAPS)
				return tool_fail("--object-maps wants a number of maps from 1 to %u",
						 OBJ_MAX_MAPS);
			opts.object_maps = (uint32_t)n;
			break;
		}
		case 'o': out_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2) != 0)
				tool_fail("bad option '-%c'", optopt);
			else
				tool_fail("bad option '%s'", argv[optind - 1]);
			fputs(usage, stderr);
			return 1;
		}
	}
	if (opts.dump_unopt)
		opts.dump = true;
	if (argc - optind > 1)
		return tool_fail("too many input files");

	int fd = tool_open_input(optind < argc ? argv[optind] : NULL);
	if (fd < 0)
		return 1;
	struct input in = { 0 };
	char err[1024];
	if (!read_ir(fd, &in, err, sizeof err))
		return die_msg(err);
	if (fd)
		close(fd);

	/* --emit-elf FILE: the first object; FILE.1, FILE.2...: the others.
	 * Without --dump the objects go out as link.c writes them. */
	struct writer w = { .in = &in, .out_path = out_path, .emit_elf = opts.emit_elf, .fd = -1,
			    .dump_only = opts.dump && !out_path };
	if (!opts.dump) {
		opts.drop_tree = true;
		opts.part_sink = put_object;
		opts.part_sink_arg = &w;
	}
	struct cg_elf *elfs = NULL;
	uint32_t nelfs = 0;
	if (!compile(&opts, &in, &elfs, &nelfs, err, sizeof err))
		return w.failed ? 1 : die_msg(err);
	if (opts.dump && fflush(stdout) != 0)
		return tool_fail("cannot write the IR dump");
	/* the objects not written yet (--dump, or one object without link.c) */
	for (uint32_t i = 0; elfs && i < nelfs; i++)
		if (!put_object(&w, i, nelfs, elfs[i].p, elfs[i].n))
			return 1;
	if (w.dump_only)
		return 0;
	return finish_obj(&w);
}
