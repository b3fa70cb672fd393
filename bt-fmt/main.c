/* main.c - bt-fmt: format an `out` stream as bpftrace v0.20 prints it.
 *
 *   bt-fmt [-f text|json|folded] [-o FILE] [-q] [-B line|full|none] [--live] [--dump] [FILE|-]
 *   bt-fmt --flamegraph SVG [--icicle] [--offsets] [--diff BASE] [--plot SVG] FILE...
 *
 * Reads the stream (ir-spec/out.md) from FILE or stdin: the header carries
 * the program's metadata (maps, formats, config); records are printed in
 * order by the emitter of the chosen format (text.c, json.c).  Symbol,
 * stack, user and cgroup records only fill tables used by later records.
 * Never touches the live system.  --dump prints any stage's stream.
 * -f folded, --flamegraph and --plot draw the maps instead (folded.c,
 * picture.c); pictures may be made from several streams at once.
 *
 * Exit status: 0; 1 on usage errors and bad input (wrong stream, truncated,
 * corrupt, inconsistent records: one line `bt-fmt: ERROR: ...` on stderr,
 * after whatever was already formatted) or when the output cannot be written.
 */
#include "fmt.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arena.h"
#include "codec.h"

void fmt_fail(struct fmt *f, const char *fmt, ...)
{
	if (f->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->err, sizeof f->err, fmt, ap);
	va_end(ap);
}

const struct emitter *fmt_emitter(const struct fmt *f)
{
	switch (f->format) {
	case FMT_JSON: return &json_emitter;
	case FMT_FOLDED: return &folded_emitter;
	case FMT_PICTURE: return &picture_emitter;
	default: return &text_emitter;
	}
}

static void usage(FILE *o)
{
	fputs("usage: bt-fmt [-f text|json|folded] [-o FILE] [-q] [-B line|full|none] [--live] [--dump] [-h] [FILE|-]\n"
	      "       bt-fmt [-f text|json|folded] [--by-host] [--host NAME]... FILE...\n"
	      "       bt-fmt [--flamegraph SVG [--icicle] [--diff BASE]] [--plot SVG] [--offsets] FILE...\n"
	      "Format an 'out' stream (written by bt-load) exactly as bpftrace prints it.\n"
	      "Reads FILE, or stdin when FILE is '-' or absent.\n"
	      "\n"
	      "    -f FORMAT      output format: text (default), json, or folded (maps keyed\n"
	      "                   by kstack/ustack as 'frame;frame;frame count' lines)\n"
	      "    --offsets      keep +offset in folded and flame graph frame names\n"
	      "    --flamegraph SVG  draw the stack maps as an interactive flame graph\n"
	      "    --icicle       draw the flame graph top down\n"
	      "    --diff BASE    differential flame graph: colours show the change from\n"
	      "                   the run saved in BASE\n"
	      "    --plot SVG     draw the hist()/lhist() maps as bar charts\n"
	      "    FILE...        several streams of one program (the runs of a fleet):\n"
	      "                   printed as one trace, the exit dumps' maps combined\n"
	      "    --by-host      keep hosts apart: the host is the first part of map keys\n"
	      "    --host NAME    only the streams of host NAME (repeatable)\n"
	      "    -o FILE        write the output to FILE (the blank lines before the\n"
	      "                   final map dump still go to stdout, as in bpftrace)\n"
	      "    -q             quiet: omit \"Attaching N probes...\"\n"
	      "    -B MODE        output buffering: line, full or none (default: line on a\n"
	      "                   terminal, else full and flushed whenever input pauses)\n"
	      "    --live         formatting a running trace (used by bpftrace): ignore\n"
	      "                   SIGINT/SIGTERM, do not repeat errors bt-load printed\n"
	      "    --dump         print any stage's stream (ast, ir, obj, out) readably\n"
	      "    -h, --help     show this help\n", o);
}

static void before_block(void *arg)
{
	struct fmt *f = arg;
	output_batch_done(&f->out);
	if (f->std != &f->out)
		output_batch_done(f->std);
}

/* Smallest size a value of kind k must have (what value.c reads). */
static uint32_t min_size(enum type_kind k)
{
	switch (k) {
	case TY_USYM: case TY_INET: return 24;
	case TY_USTACK: case TY_TIMESTAMP: case TY_CGROUP_PATH: return 16;
	case TY_PTR: case TY_KSTACK: case TY_KSYM: case TY_PROBE: case TY_USERNAME:
	case TY_STRERROR: case TY_COUNT: case TY_SUM: case TY_MIN: case TY_MAX:
	case TY_AVG: case TY_STATS: case TY_HIST: case TY_LHIST: return 8;
	case TY_MACADDR: return 6;
	case TY_BUFFER: return 1;
	default: return 0;
	}
}

/* Every value is read within its type's size: check the layouts once so
 * that a corrupt header cannot make a formatter read out of bounds. */
static bool check_types(struct fmt *f, const struct codec_dec *d)
{
	for (uint32_t i = 0; i < d->ntypes; i++) {
		const struct type *t = d->types[i];
		bool ok = t->size >= min_size(t->kind);
		if (t->kind == TY_INT)
			ok = t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
		if (t->kind == TY_ARRAY)
			ok = t->elem && (uint64_t)t->count * t->elem->size <= t->size;
		for (uint32_t j = 0; ok && j < t->nfields; j++) {
			const struct field *fd = &t->fields[j];
			ok = (uint64_t)fd->offset + fd->type->size <= t->size;
		}
		if (!ok) {
			fmt_fail(f, "bad out stream header: type %u (%s) has an impossible layout",
				 i, type_kind_name(t->kind));
			return false;
		}
	}
	for (size_t i = 0; i < f->meta.maps.n; i++) {
		const struct meta_map *m = &f->meta.maps.v[i];
		bool ok = true;
		if (m->value->kind == TY_HIST)
			ok = m->hist_bits >= 0 && m->hist_bits <= 5;
		if (m->value->kind == TY_LHIST)
			ok = m->lh_step > 0 && m->lh_min >= 0 && m->lh_min < m->lh_max &&
			     (m->lh_max - m->lh_min) / m->lh_step <= 1000;
		if (!ok) {
			fmt_fail(f, "bad out stream header: histogram parameters of %s", m->name);
			return false;
		}
	}
	return true;
}

/* Pictures are titled with the program (its file, or the first line of
 * -e) and the host that ran it. */
static void make_title(struct fmt *f, const msgpack_object *host)
{
	const char *prog = f->src.filename ? f->src.filename : "";
	int plen = (int)strlen(prog);
	if (strcmp(prog, "stdin") == 0 && f->src.text) {
		prog = f->src.text;
		plen = (int)strcspn(prog, "\n");
		if (plen > 70)
			plen = 70;
	}
	const msgpack_object *name = host ? mp_get(host, "name") : NULL;
	if (name && name->type == MSGPACK_OBJECT_STR && name->via.str.size)
		snprintf(f->title, sizeof f->title, "%.*s on %.*s", plen, prog,
			 (int)(name->via.str.size > 64 ? 64 : name->via.str.size), name->via.str.ptr);
	else
		snprintf(f->title, sizeof f->title, "%.*s", plen, prog);
}

/* Decode the header's types and metadata. */
bool read_header(struct fmt *f, const msgpack_object *h)
{
	struct mp_err e = { 0 };
	struct codec_dec d = { .err = &e };
	if (dec_tables(&d, h) && meta_decode(&d, mp_get(h, "meta"), &f->meta)) {
		f->realtime_offset = mp_get_int(&e, h, "realtime_offset");
		const msgpack_object *clk = mp_get(h, "clock");
		f->monotonic_offset = clk && mp_get(clk, "monotonic")
					      ? mp_get_int(&e, clk, "monotonic") : f->realtime_offset;
	}
	if (e.set) {
		fmt_fail(f, "bad out stream header: %s", e.msg);
		return false;
	}
	if (!check_types(f, &d))
		return false;
	if (!f->title[0])
		make_title(f, mp_get(h, "host"));
	f->printfs = ARENA_ARRAY(struct pf *, f->meta.printfs.n + 1);
	return true;
}

static int run(struct fmt *f, int fd)
{
	struct mp_in in;
	const msgpack_object *h = mp_in_open(&in, fd, "out", &f->src);
	if (!h) {
		/* live: bt-load wrote nothing because it failed, and said why;
		 * only the first failing stage speaks */
		bool empty = in.eof && !strncmp(in.errmsg, "empty input", 11);
		if (!(f->live && empty))
			fmt_fail(f, "%s", in.errmsg);
		mp_in_close(&in);
		return 1;
	}
	if (!read_header(f, h)) {
		mp_in_close(&in);
		return 1;
	}
	const msgpack_object *r;
	in.before_block = before_block;
	in.before_block_arg = f;
	/* a failed write (a full disk under -o FILE) ends the run at once:
	 * main reports it, and bt-load stops when we are gone */
	while (!f->err[0] && !f->out.failed && !f->std->failed && (r = mp_in_next(&in))) {
		dispatch(f, r);
		output_record_done(&f->out);
	}
	if (!f->err[0] && in.errmsg[0])
		fmt_fail(f, "%s", in.errmsg);
	if (!f->err[0] && f->format == FMT_PICTURE)
		picture_file_done(f);
	mp_in_close(&in);
	return f->err[0] ? 1 : 0;
}

/* The trace goes to -o FILE (messages that bpftrace always prints on
 * stdout still go there) or to stdout; 1 after an error. */
static int open_outputs(struct fmt *f, const char *outfile, enum output_buffering bmode)
{
	static struct output std_out;
	int ofd = tool_open_output(outfile);
	if (ofd < 0)
		return 1;
	output_init(&f->out, ofd, bmode);
	f->std = &f->out;
	if (ofd != 1) {
		output_init(&std_out, 1, bmode);
		f->std = &std_out;
	}
	return 0;
}

/* Flush the outputs; the exit status, after the first error if any. */
static int close_outputs(struct fmt *f, int rc)
{
	int w1 = output_flush(&f->out);
	int w2 = f->std != &f->out ? output_flush(f->std) : 0;
	if (f->err[0])
		return tool_fail("%s", f->err);
	if (w1 < 0 || w2 < 0)
		return tool_fail("writing output: %s", strerror(-(w1 < 0 ? w1 : w2)));
	return rc;
}

/* One stream of a picture: its own header, tables and formats. */
static int run_picture_input(struct fmt *f, const char *path)
{
	int fd = tool_open_input(path);
	if (fd < 0)
		return 1;
	memset(&f->meta, 0, sizeof f->meta);
	f->tab = tables_new();
	int rc = run(f, fd);
	if (fd)
		close(fd);
	if (rc)
		tool_fail("%s: %s", path, f->err);
	return rc;
}

/* --flamegraph / --plot: every stream's maps, then the pictures. */
static int run_pictures(struct fmt *f, char **inputs, int n, enum output_buffering bmode)
{
	static char *stdin_only[] = { "-" };
	if (!n) {
		inputs = stdin_only;
		n = 1;
	}
	f->format = FMT_PICTURE;
	if (f->live) {
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	output_init(&f->out, 1, bmode);
	f->std = &f->out;
	if (f->pic.diff_base) {
		f->in_base = true;
		if (run_picture_input(f, f->pic.diff_base))
			return 1;
		f->in_base = false;
		f->title[0] = '\0';
	}
	for (int i = 0; i < n; i++)
		if (run_picture_input(f, inputs[i]))
			return 1;
	char err[512] = "";
	int w = output_flush(&f->out);
	if (w < 0)
		return tool_fail("writing output: %s", strerror(-w));
	if (picture_write(f, err, sizeof err))
		return tool_fail("%s", err);
	return 0;
}

/* Several streams (or --by-host/--host): one trace (merge.c). */
static int run_merge(struct fmt *f, char **inputs, int n, const char *outfile,
		     enum output_buffering bmode, const char *const *hosts, int nhosts)
{
	static char *stdin_only[] = { "-" };
	if (!n) {
		inputs = stdin_only;
		n = 1;
	}
	if (open_outputs(f, outfile, bmode))
		return 1;
	f->tab = tables_new();
	int rc = merge_streams(f, inputs, n, hosts, nhosts);
	return close_outputs(f, rc);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "live", no_argument, NULL, 'L' },
		{ "dump", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "flamegraph", required_argument, NULL, 'G' },
		{ "plot", required_argument, NULL, 'P' },
		{ "icicle", no_argument, NULL, 'I' },
		{ "offsets", no_argument, NULL, 'O' },
		{ "diff", required_argument, NULL, 'd' },
		{ "by-host", no_argument, NULL, 'H' },
		{ "host", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	tool_init("bt-fmt");
	static struct fmt f;
	const char *outfile = NULL;
	enum output_buffering bmode = OUTPUT_DEFAULT;
	bool dump = false;
	enum { MAX_HOSTS = 256 };
	static const char *hosts[MAX_HOSTS];
	int nhosts = 0;
	int c;
	while ((c = getopt_long(argc, argv, "f:o:qB:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") == 0)
				f.format = FMT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				f.format = FMT_JSON;
			else if (strcmp(optarg, "folded") == 0)
				f.format = FMT_FOLDED;
			else
				return tool_fail("unknown output format '%s' (text, json or folded)", optarg);
			break;
		case 'o': outfile = optarg; break;
		case 'q': f.quiet = true; break;
		case 'B':
			if (strcmp(optarg, "line") == 0)
				bmode = OUTPUT_LINE;
			else if (strcmp(optarg, "full") == 0)
				bmode = OUTPUT_FULL;
			else if (strcmp(optarg, "none") == 0)
				bmode = OUTPUT_NONE;
			else
				return tool_fail("unknown buffering mode '%s' (line, full or none)", optarg);
			break;
		case 'L': f.live = true; break;
		case 'G': f.pic.flamegraph = optarg; break;
		case 'P': f.pic.plot = optarg; break;
		case 'I': f.pic.icicle = true; break;
		case 'O': f.pic.offsets = true; break;
		case 'd': f.pic.diff_base = optarg; break;
		case 'H': f.by_host = true; break;
		case 'N':
			if (nhosts == MAX_HOSTS)
				return tool_fail("at most %d --host options", MAX_HOSTS);
			hosts[nhosts++] = optarg;
			break;
		case 'D': dump = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	bool picture = f.pic.flamegraph || f.pic.plot;
	if ((f.pic.icicle || f.pic.diff_base) && !f.pic.flamegraph)
		return tool_fail("--icicle and --diff go with --flamegraph");
	if (picture && (dump || f.format != FMT_TEXT || outfile))
		return tool_fail("--flamegraph and --plot cannot be combined with -f, -o or --dump");
	if (picture)
		return run_pictures(&f, argv + optind, argc - optind, bmode);
	if (argc - optind > 1 || f.by_host || nhosts) {
		if (dump || f.live)
			return tool_fail("several streams cannot be merged with --dump or --live");
		return run_merge(&f, argv + optind, argc - optind, outfile, bmode, hosts, nhosts);
	}
	const char *input = optind < argc ? argv[optind] : "-";
	int fd = tool_open_input(input);
	if (fd < 0)
		return 1;
	if (dump) {
		char err[512] = "";
		int rc = dump_stream(fd, input, err, sizeof err);
		return rc ? tool_fail("%s", err) : 0;
	}
	if (f.live) {
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	if (open_outputs(&f, outfile, bmode))
		return 1;
	f.tab = tables_new();
	return close_outputs(&f, run(&f, fd));
}
