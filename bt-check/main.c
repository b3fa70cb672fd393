/* main.c - bt-check: reads an `ast` stream (ir-spec/ast.md) from FILE or
 * stdin, resolves and types the program against the target system (or an
 * offline snapshot, --sysroot) and writes an `ir` stream (ir-spec/ir.md).
 * Diagnostics are rendered bpftrace-style on stderr; any error exits 1.
 * --list implements bpftrace -l / -lv; --dump prints bpftrace -d's AST
 * dumps of the passes after the parser.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ap_parse.h"
#include "check.h"
#include "codec.h"
#include "dump.h"
#include "mp.h"
#include "tool.h"
#include "validate.h"

extern char **environ;

static void usage(FILE *out)
{
	fputs("USAGE: bt-check [OPTIONS] [FILE]\n"
	      "Reads an ast stream (FILE or stdin), writes a typed ir stream.\n\n"
	      "OPTIONS:\n"
	      "    -o FILE          write the ir stream to FILE (default stdout)\n"
	      "    --unsafe         allow unsafe builtins (system, signal, override)\n"
	      "    -k, -kk          helper error checking level\n"
	      "    -I DIR           include directory for #include\n"
	      "    --include FILE   include FILE before the definitions\n"
	      "    --pid PID        target process (-p)\n"
	      "    --child          a -c command will run (cpid allowed)\n"
	      "    --child-exe PATH the -c command's program (implies --child): the\n"
	      "                     binary of watchpoints without one\n"
	      "    --no-warnings    do not print warnings\n"
	      "    --sysroot DIR    use an offline snapshot instead of this system\n"
	      "    --snapshot DIR   record what the program used into DIR\n"
	      "    --list [PATTERN] list probes (bpftrace -l); with -v also their arguments\n"
	      "    -v               verbose: the node count; with --list, the arguments\n"
	      "    --dump           print the AST after each pass (bpftrace -d), no ir\n"
	      "    -h, --help       this help\n", out);
}

/* Positional parameters ($1...) travel in the program record. */
static void read_params(struct mp_err *e, const msgpack_object *rec,
			const char ***params, int *nparams)
{
	const msgpack_object *items;
	uint32_t n = mp_array(e, mp_get(rec, "params"), "params", &items);
	*params = ARENA_ARRAY(const char *, n + 1);
	for (uint32_t i = 0; i < n; i++) {
		const char *s = mp_str(e, &items[i], "params", NULL);
		(*params)[i] = s ? s : "";
	}
	*nparams = (int)n;
}

/* Read the ast stream: header, one program record, end. */
static struct node *read_ast(int fd, struct source *src, const char ***params,
			     int *nparams)
{
	struct mp_in in;
	const msgpack_object *h = mp_in_open(&in, fd, "ast", src);
	if (!h) {
		tool_fail("%s", in.errmsg);
		return NULL;
	}
	struct mp_err e = { 0 };
	struct node *root = NULL;
	*params = NULL;
	*nparams = 0;
	const msgpack_object *rec;
	struct codec_dec d = { .err = &e, .drops_node_list = true }, prog = d;
	while ((rec = dec_next_record(&in, &d))) {
		const msgpack_object *t = mp_get(rec, "t");
		if (!t || !mp_key_is(t, "program"))
			continue; /* unknown records are ignored */
		if (root) {
			mp_fail(&e, "more than one program record");
			break;
		}
		root = dec_node(&d, mp_get(rec, "root"));
		prog = d;   /* d is reset by the next record */
		if (!root && !e.set)
			mp_fail(&e, "program record without root");
		read_params(&e, rec, params, nparams);
	}
	if (in.errmsg[0]) {
		tool_fail("%s", in.errmsg);
		mp_in_close(&in);
		return NULL;
	}
	mp_in_close(&in);
	if (e.set) {
		tool_fail("bad ast stream: %s", e.msg);
		return NULL;
	}
	if (!root) {
		tool_fail("ast stream has no program record");
		return NULL;
	}
	const char *why = validate_tree(root, &prog);
	dec_free_node_list(&prog);   /* the tree is all we keep */
	if (why) {
		tool_fail("bad ast stream: %s", why);
		return NULL;
	}
	return root;
}

/* bpftrace prints warnings as they happen and a pass's errors at its
 * end: warnings first, then errors, each in discovery order. */
static void render_diags(const struct source *src, struct diags *d, const char *raw)
{
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && raw)
			fprintf(stderr, "%s\n", raw);
		for (size_t i = 0; i < d->list.n; i++) {
			const struct diag *dg = &d->list.v[i];
			bool warn = dg->level == DIAG_WARNING;
			if (warn != (pass == 0) || (warn && d->no_warnings))
				continue;
			diag_render(stderr, src, dg);
		}
	}
	if (d->dropped)
		fprintf(stderr, "ERROR: %zu more diagnostics not shown\n", d->dropped);
}

/* --list: PATTERN parsed as attach points in listing mode. */
static int do_list(struct check_opts *o, const char *pattern, struct diags *d)
{
	struct sys *s = sys_open(o->sysroot, o->snapshot, o->pid);
	if (!s)
		return tool_fail("cannot open the system description");
	int rc = sys_list(s, pattern ? pattern : "", o->verbose, stdout, d);
	struct source src = { "stdin", pattern ? pattern : "" };
	diag_render_all(stderr, &src, d);
	sys_close(s);
	if (fflush(stdout) != 0)
		return tool_fail("cannot write the listing");
	return rc != 0 || d->errors ? 1 : 0;
}

enum { OPT_UNSAFE = 256, OPT_PID, OPT_CHILD, OPT_NOWARN, OPT_SYSROOT,
       OPT_SNAPSHOT, OPT_LIST, OPT_DUMP, OPT_INCLUDE, OPT_CHILD_EXE };

/* Options into o and *out_file: -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct check_opts *o, const char **out_file)
{
	static const struct option longopts[] = {
		{ "unsafe", no_argument, 0, OPT_UNSAFE },
		{ "pid", required_argument, 0, OPT_PID },
		{ "child", no_argument, 0, OPT_CHILD },
		{ "child-exe", required_argument, 0, OPT_CHILD_EXE },
		{ "no-warnings", no_argument, 0, OPT_NOWARN },
		{ "sysroot", required_argument, 0, OPT_SYSROOT },
		{ "snapshot", required_argument, 0, OPT_SNAPSHOT },
		{ "list", no_argument, 0, OPT_LIST },
		{ "dump", no_argument, 0, OPT_DUMP },
		{ "include", required_argument, 0, OPT_INCLUDE },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hI:ko:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'k':
			o->helper_check++;
			break;
		case 'o':
			*out_file = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'I':
			VEC_PUSH(&o->include_dirs, optarg);
			break;
		case OPT_INCLUDE:
			VEC_PUSH(&o->include_files, optarg);
			break;
		case OPT_UNSAFE: o->unsafe = true; break;
		case OPT_PID: {
			char *end;
			long p = strtol(optarg, &end, 10);
			if (*optarg == 0 || *end || p <= 0 || p > 4194304)
				return tool_fail("invalid --pid value '%s'", optarg);
			o->pid = (int)p;
			break;
		}
		case OPT_CHILD: o->child = true; break;
		case OPT_CHILD_EXE:
			o->child = true;
			o->child_exe = optarg;
			break;
		case OPT_NOWARN: o->no_warnings = true; break;
		case OPT_SYSROOT: o->sysroot = optarg; break;
		case OPT_SNAPSHOT: o->snapshot = optarg; break;
		case OPT_LIST: o->listing = true; break;
		case OPT_DUMP: o->dump = true; break;
		default:
			tool_fail("unknown or incomplete option '%s'", argv[optind - 1]);
			usage(stderr);
			return 1;
		}
	}
	if (o->helper_check > 2)
		return tool_fail("-k may be given at most twice");
	if (o->sysroot) {
		struct stat st;
		if (stat(o->sysroot, &st) != 0)
			return tool_fail("--sysroot '%s': %s", o->sysroot, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return tool_fail("--sysroot '%s' is not a directory", o->sysroot);
	}
	return -1;
}

int main(int argc, char **argv)
{
	tool_init("bt-check");
	struct check_opts o = { 0 };
	const char *out_file = NULL;
	int rc = parse_args(argc, argv, &o, &out_file);
	if (rc >= 0)
		return rc;

	struct diags d = { .no_warnings = o.no_warnings };
	if (o.listing) {
		if (argc - optind > 1)
			return tool_fail("--list takes at most one pattern");
		return do_list(&o, optind < argc ? argv[optind] : NULL, &d);
	}
	if (argc - optind > 1)
		return tool_fail("unexpected argument '%s'", argv[optind + 1]);

	int fd = tool_open_input(optind < argc ? argv[optind] : NULL);
	if (fd < 0)
		return 1;
	struct source src = { 0 };
	const char **params;
	int nparams;
	struct node *root = read_ast(fd, &src, &params, &nparams);
	if (!root)
		return 1;

	struct meta meta = { 0 };
	meta_config_defaults(&meta.cfg);
	meta.cfg.unsafe = o.unsafe;
	meta.cfg.helper_check_level = o.helper_check;
	meta.cfg.no_warnings = o.no_warnings;
	struct check chk = {
		.o = &o, .d = &d, .src = &src, .meta = &meta,
		.params = params, .nparams = nparams,
	};
	bool ok = config_apply(&chk, root, (const char **)environ);
	if (ok && o.dump)
		dump_pass(&chk, root, "ConfigAnalyser");
	if (ok)
		ok = check_program(&chk, root);
	if (ok && !o.dump && check_sys(&chk))
		sys_target(chk.sys, &meta);
	render_diags(&src, &d, chk.raw_stderr);
	if (chk.sys && sys_close(chk.sys) < 0 && ok) {
		tool_fail("cannot write the snapshot");
		ok = false;
	}
	if (!ok || d.errors)
		return 1;
	if (o.dump) {
		dump_pass(&chk, root, "Semantic");
		dump_pass(&chk, root, "NodeCounter");
		dump_pass(&chk, root, "ResourceAnalyser");
		if (fflush(stdout) != 0)
			return tool_fail("cannot write to stdout");
		if (!out_file)
			return 0;
	}

	fold_arith(root);
	int ofd = tool_open_output(out_file);
	if (ofd < 0)
		return 1;
	rc = ir_write(ofd, &src, root, &meta);
	if (rc == -EFBIG)   /* the words of bt-codegen's refusal */
		return tool_fail("program too large: its ir stream holds a record of more "
				 "than %u MiB", IR_MAX_PROGRAM_RECORD >> 20);
	if (rc < 0)
		return tool_fail("cannot write the ir stream: %s", strerror(-rc));
	return tool_close_output(ofd);
}
