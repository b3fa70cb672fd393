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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast_print.h"
#include "bt_parse.h"
#include "codec.h"
#include "mp.h"
#include "tool.h"

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

enum { OPT_DUMP = 256, OPT_DUMP_PLAIN, OPT_LISTING };

/* 0 ok, 1 error, 2 help printed.  Options may come anywhere before "--";
 * the arguments left are FILE (unless -e) and the parameters. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "dump", no_argument, 0, OPT_DUMP },
		{ "dump-plain", no_argument, 0, OPT_DUMP_PLAIN },
		{ "listing", no_argument, 0, OPT_LISTING },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:o:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 2;
		case 'e': o->prog = optarg; break;
		case 'o': o->out = optarg; break;
		case 'p': o->have_pid = true; break;
		case OPT_DUMP: o->dump = 1; break;
		case OPT_DUMP_PLAIN: o->dump = 2; break;
		case OPT_LISTING: o->listing = true; break;
		case ':':
			return tool_fail("option %s needs an argument", argv[optind - 1]);
		default:
			return tool_fail("unknown option '%s' (see bt-parse -h)", argv[optind - 1]);
		}
	}
	int i = optind;
	if (!o->prog && i < argc)
		o->file = argv[i++];
	for (; i < argc; i++)
		VEC_PUSH(&o->params, argv[i]);
	if (!o->prog && !o->file)
		return tool_fail("no program: give -e PROGRAM, a FILE or - (see bt-parse -h)");
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
		return tool_fail("cannot write the output: %s", strerror(-rc));
	return 0;
}

int main(int argc, char **argv)
{
	tool_init("bt-parse");
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
			if (fd < 0)   /* bpftrace's wording */
				return tool_fail("failed to open file '%s': %s", o.file,
						 strerror(errno));
		}
		src.text = read_all(fd, &len);
		if (!src.text)
			return tool_fail("cannot read '%s': %s", fd ? o.file : "stdin",
					 strerror(errno));
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
			return tool_fail("cannot write the output: %s", strerror(errno));
		if (!o.out)
			return 0;
	}
	int fd = tool_open_output(o.out);
	if (fd < 0)
		return 1;
	rc = write_stream(fd, &src, root, &o);
	int crc = tool_close_output(fd);
	return rc ? rc : crc;
}
