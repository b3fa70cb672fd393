/* main.c - bt-load: run a compiled program and record what it produces.
 *
 * Reads an `obj` stream (ir-spec/obj.md), loads its BPF object, runs BEGIN,
 * attaches every probe, polls the ring buffer and writes an `out` stream
 * (ir-spec/out.md) on stdout until exit(), SIGINT/SIGTERM, the -c child's or
 * -p process's end, or stdout going away; then detaches everything, runs END,
 * prints the maps and exits.  It is the only stage that talks to the BPF
 * syscall.  With --interpret the same run happens in a userspace
 * interpreter of the programs (interp.c), without privileges.  Exit status
 * (docs/bpftrace-compat.md "Command line"): 0 success, 1 bad input/usage,
 * no probes, too many probes; 255 load/attach/BEGIN/END failure.
 *
 * The run order lives in run() below; the reasons for it:
 *   child before load     the child's pid is compiled in (bt_cpid)
 *   BEGIN before attach   BEGIN runs before any other probe can fire
 *   detach before END     END runs after every other probe is gone
 *   drain before final    END's output precedes the map dump
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <msgpack.h>

#include "arena.h"
#include "codec.h"
#include "load.h"
#include "tool.h"
#include "tracefs.h"

static struct mp_out g_out;
static msgpack_sbuffer g_hdr_types, g_hdr_meta;

void bt_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tool_vline("ERROR: ", fmt, ap);
	va_end(ap);
}

void bt_warn(struct bt *bt, const char *fmt, ...)
{
	if (bt && bt->o.no_warnings)
		return;
	va_list ap;
	va_start(ap, fmt);
	tool_vline("WARNING: ", fmt, ap);
	va_end(ap);
}

static void usage(FILE *f)
{
	fputs("USAGE: bt-load [options] [FILE|-]\n"
	      "Load, attach and run a compiled bpftrace program (an 'obj' stream,\n"
	      "default stdin) and write its output as an 'out' stream on stdout.\n"
	      "\n"
	      "OPTIONS:\n"
	      "    -c CMD         run CMD (split on spaces) as the traced child; its\n"
	      "                   stdin/stdout are fds 3/4 if open, else stdin/stderr\n"
	      "    -p PID         trace process PID (uprobes, watchpoints; exit with it)\n"
	      "    -v             verbose: verifier logs, attach messages\n"
	      "    -B MODE        output flushing: line (default), full, none\n"
	      "    -q             accepted and ignored (bt-fmt's option)\n"
	      "    --usdt-file-activation  accepted: the kernel's uprobe reference\n"
	      "                   counters activate USDT semaphores of every process\n"
	      "                   mapping the binary already\n"
	      "    --no-warnings  do not print warnings\n"
	      "    --unsafe       allow unsafe actions (system, signal, override, user\n"
	      "                   memory writes, cat of a path chosen at run time)\n"
	      "    --host-name NAME  name this machine NAME in the out stream (a\n"
	      "                   fleet node's name; default: its hostname)\n"
	      "    --no-feature LIST  do not use these kernel features even where\n"
	      "                   supported: kprobe_multi, uprobe_multi (comma-separated)\n"
	      "    --interpret    run the programs in bt-load's userspace interpreter\n"
	      "                   instead of the kernel: no privileges needed; BEGIN,\n"
	      "                   END and interval probes only\n"
	      "    --info         print system and feature information (stderr)\n"
	      "    --mount-tracefs  mount tracefs when it is not mounted, then exit\n"
	      "                   (the driver, before compiling unprivileged)\n"
	      "    --reader-pid PID  wait for PID, our child reading our output\n"
	      "                   (the driver's bt-fmt), before exiting\n"
	      "    -h, --help     this help\n", f);
}

/* --no-feature kprobe_multi,uprobe_multi */
static int no_features(struct opts *o, const char *list)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 12 && !strncmp(p, "kprobe_multi", n))
			o->no_kprobe_multi = true;
		else if (n == 12 && !strncmp(p, "uprobe_multi", n))
			o->no_uprobe_multi = true;
		else if (n) {
			tool_fail("--no-feature can only have values 'kprobe_multi,uprobe_multi'.");
			return -1;
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

/* An ELF of an object or part record: 0, or -1 after one line. */
static int take_elf(struct bt *bt, const msgpack_object *r, const char *what)
{
	const msgpack_object *elf = mp_get(r, "elf");
	if (!elf || elf->type != MSGPACK_OBJECT_BIN || elf->via.bin.size < 64) {
		tool_fail("obj stream: %s record has no ELF", what);
		return -1;
	}
	if (bt->nparts % 16 == 0) {
		struct part *np = arena_alloc(sizeof *np * (bt->nparts + 16));
		if (bt->nparts)
			memcpy(np, bt->parts, sizeof *np * bt->nparts);
		bt->parts = np;
	}
	bt->parts[bt->nparts++] = (struct part){
		.elf = arena_memdup(elf->via.bin.ptr, elf->via.bin.size),
		.size = elf->via.bin.size,
	};
	return 0;
}

/* Read the obj stream: the object record, a part record for each further
 * ELF object it announces, then the end record. */
static int read_obj(struct bt *bt, int fd)
{
	struct mp_in in;
	const msgpack_object *h = mp_in_open(&in, fd, "obj", &bt->src);
	if (!h) {
		tool_fail("%s", in.errmsg);
		return -1;
	}
	const msgpack_object *r = mp_in_next(&in);
	if (!r) {
		tool_fail("%s", in.errmsg[0] ? in.errmsg : "obj stream has no object record");
		return -1;
	}
	const msgpack_object *t = mp_get(r, "t");
	if (!t || !mp_key_is(t, "object")) {
		tool_fail("obj stream: expected an 'object' record");
		return -1;
	}
	struct mp_err err = { 0 };
	if (take_elf(bt, r, "object") < 0)
		return -1;
	uint64_t nparts = 1;
	const msgpack_object *np = mp_get(r, "parts");
	if (np && (np->type != MSGPACK_OBJECT_POSITIVE_INTEGER || np->via.u64 < 1)) {
		tool_fail("obj stream: the object's 'parts' is not a count of ELF objects");
		return -1;
	}
	if (np)
		nparts = np->via.u64;

	struct codec_dec d = { .err = &err };
	if (!dec_tables(&d, r) || !meta_decode(&d, mp_get(r, "meta"), &bt->meta)) {
		tool_fail("obj stream: %s", err.msg);
		return -1;
	}
	/* Keep the encoded types/meta for the out header, byte for byte. */
	msgpack_packer pk;
	msgpack_sbuffer_init(&g_hdr_types);
	msgpack_packer_init(&pk, &g_hdr_types, msgpack_sbuffer_write);
	const msgpack_object *types = mp_get(r, "types");
	if (types)
		msgpack_pack_object(&pk, *types);
	else
		msgpack_pack_array(&pk, 0);
	msgpack_sbuffer_init(&g_hdr_meta);
	msgpack_packer_init(&pk, &g_hdr_meta, msgpack_sbuffer_write);
	msgpack_pack_object(&pk, *mp_get(r, "meta"));

	while ((r = mp_in_next(&in)) && bt->nparts < nparts) {
		t = mp_get(r, "t");
		if (!t || !mp_key_is(t, "part")) {
			tool_fail("obj stream: expected a 'part' record (%u of %llu ELF objects read)",
				  bt->nparts, (unsigned long long)nparts);
			return -1;
		}
		if (take_elf(bt, r, "part") < 0)
			return -1;
	}
	if (r || in.errmsg[0]) {
		tool_fail("%s", r ? "obj stream: unexpected record after the object" : in.errmsg);
		return -1;
	}
	if (bt->nparts < nparts) {
		tool_fail("obj stream: the object announces %llu ELF objects, the stream holds %u",
			  (unsigned long long)nparts, bt->nparts);
		return -1;
	}
	mp_in_close(&in);
	return 0;
}

/* Raw header pieces for out.c. */
const void *hdr_types_buf(size_t *n) { *n = g_hdr_types.size; return g_hdr_types.data; }
const void *hdr_meta_buf(size_t *n) { *n = g_hdr_meta.size; return g_hdr_meta.data; }

static void notify_attached(void)
{
	if (getenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED")) {
		fputs("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n", stderr);
		fflush(stderr);
	}
}

/* Stop tracing and print what is left: detach, END, drain, maps. */
static void finish(struct bt *bt, bool run_end)
{
	bool stopped = bt->finalize || sig_stop;
	detach_all(bt);
	if (stopped)
		events_discard(bt);
	if (run_end && run_special(bt, PT_END) < 0)
		bt->exit_code = 255;
	events_drain(bt);
	if (!bt->out_broken) {
		out_simple(bt, "final");
		maps_print_all(bt);
		if (bt->o.verbose && bt->child && bt->child_exited)
			out_child(bt);
	}
}

static int run(struct bt *bt)
{
	if (target_check(bt) < 0)
		return 1;
	if (bt->o.child_cmd && child_spawn(bt) < 0)
		return 255;
	if (open_object(bt) < 0) {
		child_kill(bt);
		return 255;
	}
	uint32_t n = count_probes(bt);
	if (n > bt->meta.cfg.max_probes) {
		bt_error("Can't attach to %u probes because it exceeds the current limit of "
			 "%llu probes.\nYou can increase the limit through the "
			 "BPFTRACE_MAX_PROBES environment variable, but BE CAREFUL since a high "
			 "number of probes attached can cause your system to crash.",
			 n, (unsigned long long)bt->meta.cfg.max_probes);
		child_kill(bt);
		return 1;
	}
	out_begin(bt);
	out_attached(bt, n);
	if (n == 0) {
		out_end(bt);
		child_kill(bt);
		return 1;
	}
	if (load_object(bt) < 0 || events_open(bt) < 0) {
		out_end(bt);
		child_kill(bt);
		return 255;
	}
	/* BEGIN runs before anything else is attached; what it prints
	 * comes out after the attach notification, as with bpftrace. */
	out_hold(bt);
	if (run_special(bt, PT_BEGIN) < 0) {
		out_end(bt);
		child_kill(bt);
		return 255;
	}
	/* exit() in BEGIN: skip attaching (nothing may fire after it anyway). */
	events_poll(bt, 0);
	/* bt-fmt is started next to us (the driver's process substitution):
	 * let it be running (its exec seen by no probe) and have printed
	 * "Attaching N probes..." */
	out_wait_reader(bt);
	if (!bt->finalize && !sig_stop && attach_all(bt) < 0) {
		detach_all(bt);
		child_kill(bt);
		out_end(bt);
		return 255;
	}
	notify_attached();
	out_release(bt);
	if (bt->child && child_release(bt) < 0) {
		finish(bt, false);
		out_end(bt);
		return 255;
	}
	bt->uses_usyms = meta_uses_usyms(&bt->meta);
	if (meta_uses_ksyms(&bt->meta))
		ksyms_preload();
	if (!bt->finalize)
		run_iters(bt);
	event_loop(bt);
	finish(bt, true);
	out_end(bt);
	return bt->exit_code;
}

static bool parse_pid(const char *arg, pid_t *pid)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end || v < 1 || v > 4194304) {
		tool_fail("bad pid '%s'", arg);
		return false;
	}
	*pid = (pid_t)v;
	return true;
}

/* Descriptors we inherited and do not use are closed: one may be the write
 * end of a pipe whose reader waits for it (`bpftrace ... > >(cat)`).  With
 * -c, 3 and 4 are the command's stdin and stdout. */
static void close_inherited(bool child_fds)
{
	close_range(child_fds ? 5 : 3, ~0U, 0);
}

/* The run's status once the reader (bt-fmt) is gone.  It failed (a full
 * disk under -o FILE: it said so): the run failed.  It was killed: say so.
 * It died of SIGPIPE (`bpftrace ... | head`): everything is cleaned up by
 * now, and we die of SIGPIPE too, as bpftrace and any producer in a shell
 * pipeline do (status 141). */
static int reader_outcome(int st, int rc)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		return rc ? rc : 1;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	if (WIFSIGNALED(st)) {
		bt_error("the output formatter (bt-fmt) was killed by signal %d (%s)",
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
		return rc ? rc : 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	enum { O_INFO = 256, O_USDT_FA, O_NO_WARN, O_MOUNT_TRACEFS, O_READER_PID, O_UNSAFE,
	       O_HOST_NAME, O_NO_FEATURE, O_INTERPRET };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "info", no_argument, NULL, O_INFO },
		{ "usdt-file-activation", no_argument, NULL, O_USDT_FA },
		{ "no-warnings", no_argument, NULL, O_NO_WARN },
		{ "mount-tracefs", no_argument, NULL, O_MOUNT_TRACEFS },
		{ "reader-pid", required_argument, NULL, O_READER_PID },
		{ "unsafe", no_argument, NULL, O_UNSAFE },
		{ "host-name", required_argument, NULL, O_HOST_NAME },
		{ "no-feature", required_argument, NULL, O_NO_FEATURE },
		{ "interpret", no_argument, NULL, O_INTERPRET },
		{ NULL, 0, NULL, 0 },
	};
	tool_init("bt-load");
	static struct bt bt;
	bt.o.bufmode = BUF_LINE;
	bt.child_go_fd = -1;
	int c;
	while ((c = getopt_long(argc, argv, "c:p:vB:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': bt.o.child_cmd = optarg; break;
		case 'p':
			if (!parse_pid(optarg, &bt.o.pid))
				return 1;
			break;
		case O_READER_PID:
			if (!parse_pid(optarg, &bt.o.reader_pid))
				return 1;
			break;
		case 'v': bt.o.verbose++; break;
		case 'B':
			if (!strcmp(optarg, "line")) bt.o.bufmode = BUF_LINE;
			else if (!strcmp(optarg, "full")) bt.o.bufmode = BUF_FULL;
			else if (!strcmp(optarg, "none")) bt.o.bufmode = BUF_NONE;
			else
				return tool_fail("-B must be 'line', 'full' or 'none'");
			break;
		case 'q': break;
		case 'h': usage(stdout); return 0;
		case O_INFO: return print_info();
		case O_MOUNT_TRACEFS: return tracefs_root(true) ? 0 : 1;
		case O_USDT_FA: bt.o.usdt_file_activation = true; break;
		case O_NO_WARN: bt.o.no_warnings = true; break;
		case O_UNSAFE: bt.o.unsafe = true; break;
		case O_HOST_NAME: bt.o.host_name = optarg; break;
		case O_INTERPRET: bt.o.interpret = true; break;
		case O_NO_FEATURE:
			if (no_features(&bt.o, optarg) < 0)
				return 1;
			break;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc - 1) {
		usage(stderr);
		return 1;
	}
	if (bt.o.child_cmd && bt.o.pid)
		return tool_fail("Cannot use both -c and -p.");
	close_inherited(bt.o.child_cmd != NULL);
	bt.o.input = optind < argc ? argv[optind] : "-";
	int fd = tool_open_input(bt.o.input);
	if (fd < 0)
		return 1;
	if (read_obj(&bt, fd) < 0 || obj_check(&bt) < 0 ||
	    (bt.o.interpret && interp_check(&bt) < 0))
		return 1;
	if (fd != 0)
		close(fd);

	prctl(PR_SET_NAME, "bpftrace", 0, 0, 0);
	signals_init();
	/* A bigger pipe to bt-fmt absorbs its scheduling hiccups, so a burst
	 * of events does not stall us while the ring buffer fills. */
	fcntl(1, F_SETPIPE_SZ, 1 << 20);
	mp_out_init(&g_out, 1);
	bt.out = &g_out;
	bt.target_pid = bt.o.pid;
	int rc = run(&bt);
	out_flush(&bt);
	close(1);
	child_kill(&bt);
	load_close(&bt);
	return reader_outcome(wait_reader(bt.o.reader_pid), rc);
}
