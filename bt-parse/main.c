/* main.c - bt-parse: bpftrace program text -> `ast` stream (ir-spec/ast.md).
 *
 * Reads the program from -e, a file or stdin, parses it with bpftrace
 * v0.20's grammar and diagnostics (parse.c), and writes one `program`
 * record (tree, C definitions, positional parameters) between the stream
 * header and end record.  --dump prints the tree as `bpftrace -d` does
 * on stdout, and the stream only goes to -o FILE when one is given.  Errors: bpftrace-style diagnostics on stderr, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast_print.h"
#include "bt_parse.h"
#include "codec.h"
#include "mp.h"

static const char usage[] =
	"usage: bt-parse [options] (-e PROGRAM | FILE | -) [--] [PARAM...]\n"
	"\n"
	"Parses a bpftrace program and writes its `ast` stream (ir-spec/ast.md).\n"
	"PARAMs are the positional parameters $1, $2, ... ($# is their count).\n"
	"\n"
	"  -e PROGRAM     the program text (file name \"stdin\" in messages)\n"
	"  -o FILE        write the stream to FILE instead of stdout\n"
	"  --dump         print the AST as `bpftrace -d` does (with types) on\n"
	"                 stdout; the stream is written only with -o FILE\n"
	"  --dump-plain   print the AST without types\n"
	"  --listing      parse a `bpftrace -l` search: attach points only\n"
	"  -p PID         a PID will be traced (uprobe/usdt without a path)\n"
	"  -h, --help     this help\n";

struct opts {
	const char *prog;      /* -e */
	const char *file;      /* FILE or "-" */
	const char *out;       /* -o */
	int dump;              /* 0 stream, 1 with types, 2 plain */
	bool listing, have_pid;
	VEC(const char *) params;
};

static int fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "bt-parse: ERROR: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

/* 0 ok, 1 error, 2 help printed */
static int parse_args(int argc, char **argv, struct opts *o)
{
	bool only_params = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool is_opt = !only_params && a[0] == '-' && a[1];
		if (!is_opt) {
			if (!o->prog && !o->file)
				o->file = a;
			else
				VEC_PUSH(&o->params, a);
			continue;
		}
		if (!strcmp(a, "--")) {
			only_params = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 2;
		} else if (!strcmp(a, "-e") || !strcmp(a, "-o") || !strcmp(a, "-p")) {
			if (i + 1 >= argc)
				return fail("option %s needs an argument", a);
			const char *v = argv[++i];
			if (a[1] == 'e') {
				if (o->file) /* "bt-parse FILE -e ..." */
					return fail("give either -e PROGRAM or a file, not both%s", "");
				o->prog = v;
			} else if (a[1] == 'o') {
				o->out = v;
			} else {
				o->have_pid = true;
			}
		} else if (!strcmp(a, "--dump")) {
			o->dump = 1;
		} else if (!strcmp(a, "--dump-plain")) {
			o->dump = 2;
		} else if (!strcmp(a, "--listing")) {
			o->listing = true;
		} else {
			return fail("unknown option '%s' (see bt-parse -h)", a);
		}
	}
	if (!o->prog && !o->file)
		return fail("no program: give -e PROGRAM, a FILE or - (see bt-parse -h)%s", "");
	return 0;
}

/* Whole file (or stdin) into an arena buffer; NULL with errno set. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	char *text = arena_strndup(buf, n);
	free(buf);
	*len = n;
	return text;
}

static int write_stream(int fd, const struct source *src, struct node *root,
			const struct opts *o)
{
	struct mp_out *out = ARENA_NEW(struct mp_out);
	mp_out_init(out, fd);
	mp_write_header(out, "ast", src, 0);
	struct codec_enc *e = enc_new();
	uint32_t idx = enc_node(e, root);
	msgpack_pack_map(&out->pk, 5 + (o->listing ? 1 : 0));
	mp_kv_str(&out->pk, "t", "program");
	enc_write_tables(e, &out->pk);
	mp_kv_uint(&out->pk, "root", idx);
	mp_key(&out->pk, "params");
	msgpack_pack_array(&out->pk, o->params.n);
	for (size_t i = 0; i < o->params.n; i++)
		mp_put_str(&out->pk, o->params.v[i]);
	if (o->listing)
		mp_kv_bool(&out->pk, "listing", true);
	mp_write_end(out);
	int rc = mp_out_flush(out);
	if (rc < 0)
		return fail("cannot write the output: %s", strerror(-rc));
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 2 ? 0 : 1;

	struct source src = { "stdin", o.prog };
	size_t len = o.prog ? strlen(o.prog) : 0;
	if (!o.prog) {
		int fd = 0;
		if (strcmp(o.file, "-") != 0) {
			src.filename = o.file;
			fd = open(o.file, O_RDONLY);
			if (fd < 0)
				return fprintf(stderr, "bt-parse: ERROR: failed to open file '%s': %s\n",
					       o.file, strerror(errno)), 1;
		}
		src.text = read_all(fd, &len);
		if (!src.text)
			return fprintf(stderr, "bt-parse: ERROR: cannot read '%s': %s\n",
				       fd ? o.file : "stdin", strerror(errno)), 1;
		if (fd)
			close(fd);
		/* bpftrace hands the text to its lexer as a C string: the
		 * program ends at the first NUL byte, whatever follows */
		len = strnlen(src.text, len);
	}

	struct parse_opts po = {
		.params = o.params.v, .nparams = (int)o.params.n,
		.listing = o.listing, .have_pid = o.have_pid,
	};
	struct diags d = { 0 };
	struct node *root = parse_program(src.text, len, &po, &d);
	if (!root) {
		/* stderr is unbuffered: diag_render writes byte by byte */
		static char ebuf[1 << 16];
		setvbuf(stderr, ebuf, _IOFBF, sizeof ebuf);
		diag_render_all(stderr, &src, &d);
		fflush(stderr);
		return 1;
	}

	/* --dump: the tree on stdout; the stream too only with -o FILE
	 * (as bt-check and bt-codegen do). */
	if (o.dump) {
		ast_print_pass(stdout, "parser", root, o.dump == 1);
		if (fflush(stdout) != 0 || ferror(stdout))
			return fail("cannot write the output: %s", strerror(errno));
		if (!o.out)
			return 0;
	}
	int fd = 1;
	if (o.out) {
		fd = open(o.out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return fprintf(stderr, "bt-parse: ERROR: cannot open '%s': %s\n",
				       o.out, strerror(errno)), 1;
	}
	rc = write_stream(fd, &src, root, &o);
	if (fd != 1 && close(fd) != 0 && !rc)
		rc = fail("cannot write the output: %s", strerror(errno));
	return rc;
}
