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
#include "validate.h"

static const char usage[] =
	"usage: bt-codegen [--emit-llvm FILE] [--emit-elf FILE] [--dump [--dump-unopt]]\n"
	"                  [-o FILE] [-h] [FILE|-]\n"
	"\n"
	"Compile an `ir` stream (from bt-check) into an `obj` stream: a BPF ELF\n"
	"object built with LLVM plus the program metadata, for bt-load.\n"
	"\n"
	"  FILE|-            input ir stream (default: standard input)\n"
	"  -o FILE           write the obj stream to FILE (default: standard output)\n"
	"  --emit-elf FILE   also write the BPF ELF object alone to FILE\n"
	"  --emit-llvm FILE  also write the LLVM IR to FILE.original.ll (before\n"
	"                    optimisation) and FILE.optimized.ll (after)\n"
	"  --dump            print the optimised LLVM IR to standard output (like\n"
	"                    bpftrace -d); the obj stream is then written only with -o\n"
	"  --dump-unopt      with --dump, print the IR before and after optimisation\n"
	"                    (like bpftrace -dd)\n"
	"  -h, --help        show this help\n";

/* One line, whatever the message holds (LLVM's are multi-line). */
static void die_msg(const char *msg)
{
	fputs("bt-codegen: ERROR: ", stderr);
	for (const char *p = msg; *p; p++)
		if (*p == '\n') {
			if (p[1])
				fputs("; ", stderr);
		} else {
			fputc(*p, stderr);
		}
	fputc('\n', stderr);
}

struct input {
	struct source src;
	struct node *root;
	struct meta meta;
};

static bool read_ir(int fd, struct input *in, char *err, size_t errlen)
{
	struct mp_in r;
	if (!mp_in_open(&r, fd, "ir", &in->src)) {
		snprintf(err, errlen, "%s", r.errmsg);
		mp_in_close(&r);
		return false;
	}
	const msgpack_object *rec = mp_in_next(&r);
	if (!rec) {
		snprintf(err, errlen, "%s", r.errmsg[0] ? r.errmsg : "ir stream has no program record");
		mp_in_close(&r);
		return false;
	}
	const msgpack_object *t = mp_get(rec, "t");
	if (!t || !mp_key_is(t, "program")) {
		snprintf(err, errlen, "corrupt ir stream (expected a program record)");
		mp_in_close(&r);
		return false;
	}
	struct mp_err me = { 0 };
	struct codec_dec d = { .err = &me };
	bool ok = dec_tables(&d, rec);
	if (ok) {
		in->root = dec_node(&d, mp_get(rec, "root"));
		ok = meta_decode(&d, mp_get(rec, "meta"), &in->meta);
	}
	if (!ok || me.set) {
		snprintf(err, errlen, "corrupt ir stream (%s)", me.set ? me.msg : "bad tables");
		mp_in_close(&r);
		return false;
	}
	if (!in->root || in->root->kind != N_PROGRAM) {
		snprintf(err, errlen, "corrupt ir stream (root is not a program)");
		mp_in_close(&r);
		return false;
	}
	if (!cg_validate(&d, &in->meta, in->root, err, errlen)) {
		mp_in_close(&r);
		return false;
	}
	if (mp_in_next(&r) || r.errmsg[0]) {
		snprintf(err, errlen, "%s",
			 r.errmsg[0] ? r.errmsg : "corrupt ir stream (more than one program record)");
		mp_in_close(&r);
		return false;
	}
	mp_in_close(&r);
	return true;
}

static bool write_obj(int fd, struct input *in, const void *elf, size_t len)
{
	struct mp_out *o = malloc(sizeof *o);
	if (!o)
		return false;
	mp_out_init(o, fd);
	mp_write_header(o, "obj", &in->src, 0);
	struct codec_enc *e = enc_new();
	meta_register_types(e, &in->meta);
	msgpack_pack_map(&o->pk, 5);
	mp_kv_str(&o->pk, "t", "object");
	mp_kv_bin(&o->pk, "elf", elf, len);
	enc_write_tables(e, &o->pk); /* "types" (and an empty "nodes") */
	meta_encode(e, &o->pk, &in->meta);
	mp_write_end(o);
	bool ok = mp_out_flush(o) == 0 && !o->failed;
	free(o);
	return ok;
}

static bool write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

int main(int argc, char **argv)
{
	struct cg_opts opts = { 0 };
	const char *out_path = NULL;
	static const struct option longopts[] = {
		{ "emit-llvm", required_argument, NULL, 'L' },
		{ "emit-elf", required_argument, NULL, 'E' },
		{ "dump", no_argument, NULL, 'd' },
		{ "dump-unopt", no_argument, NULL, 'D' },
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
		case 'o': out_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2) != 0)
				fprintf(stderr, "bt-codegen: ERROR: bad option '-%c'\n", optopt);
			else
				fprintf(stderr, "bt-codegen: ERROR: bad option '%s'\n", argv[optind - 1]);
			fputs(usage, stderr);
			return 1;
		}
	}
	if (opts.dump_unopt)
		opts.dump = true;
	if (argc - optind > 1) {
		die_msg("too many input files");
		return 1;
	}
	const char *in_path = optind < argc ? argv[optind] : "-";
	int fd = 0;
	if (strcmp(in_path, "-") != 0) {
		fd = open(in_path, O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "bt-codegen: ERROR: cannot open %s: %s\n", in_path,
				strerror(errno));
			return 1;
		}
	}

	struct input in = { 0 };
	char err[600];
	if (!read_ir(fd, &in, err, sizeof err)) {
		die_msg(err);
		return 1;
	}
	if (fd)
		close(fd);

	/* When LLVM finds a program over the 512-byte stack (its own spills
	 * on top of our buffers), compile again with fewer things on the
	 * stack; the result is still a function of the input alone.  Dumps
	 * come from the attempt that succeeds. */
	const void *elf = NULL;
	size_t len = 0;
	size_t nerrors = in.meta.helper_errors.n;
	size_t nskb = in.meta.skboutputs.n, nlocs = in.meta.helper_locs.n;
	char err2[1024] = "";
	bool ok = false;
	for (opts.stack_level = 0; opts.stack_level <= 2 && !ok; opts.stack_level++) {
		struct cg cg;
		in.meta.helper_errors.n = nerrors;
		in.meta.skboutputs.n = nskb;
		in.meta.helper_locs.n = nlocs;
		ok = cg_init(&cg, &opts, &in.meta, &in.src, in.root) && cg_lower(&cg) &&
		     cg_emit(&cg, NULL, &elf, &len);
		if (ok && opts.dump) {
			cg_dispose(&cg);
			in.meta.helper_errors.n = nerrors;
			in.meta.skboutputs.n = nskb;
			in.meta.helper_locs.n = nlocs;
			ok = cg_init(&cg, &opts, &in.meta, &in.src, in.root) && cg_lower(&cg) &&
			     cg_emit(&cg, stdout, &elf, &len);
		}
		if (!ok)
			snprintf(err2, sizeof err2, "%s", cg.errmsg[0] ? cg.errmsg : "code generation failed");
		cg_dispose(&cg);
		if (!ok && !strstr(err2, "stack limit"))
			break;
	}
	if (!ok) {
		die_msg(err2);
		return 1;
	}

	if (opts.emit_elf && !write_file(opts.emit_elf, elf, len)) {
		fprintf(stderr, "bt-codegen: ERROR: cannot write %s\n", opts.emit_elf);
		return 1;
	}
	if (opts.dump && fflush(stdout) != 0) {
		die_msg("cannot write the IR dump");
		return 1;
	}
	if (!opts.dump || out_path) {
		int ofd = 1;
		if (out_path) {
			ofd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (ofd < 0) {
				fprintf(stderr, "bt-codegen: ERROR: cannot write %s: %s\n", out_path,
					strerror(errno));
				return 1;
			}
		}
		if (!write_obj(ofd, &in, elf, len) || (out_path && close(ofd) != 0)) {
			die_msg("cannot write the obj stream");
			return 1;
		}
	}
	return 0;
}
