/* load.c - open the object with libbpf, configure it, load it; BEGIN/END.
 *
 * Configuration before load: ring buffer size (config.perf_rb_pages), the
 * `bt_cpid` constant (-c child pid), verifier log buffers (-v); after
 * load: the `cpid` and `elapsed` maps; debugfs is mounted for debugf(),
 * and tracefs for tracepoints, when they are not.  With --interpret the
 * object is opened the same way (libbpf reads the maps without creating
 * them) and loaded into the interpreter instead (interp.c).  libbpf's own messages are captured: shown with -vv, and searched for the program
 * that failed to load so the error names the probe like bpftrace does.
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "load.h"
#include "tracefs.h"

/* The end of libbpf's messages: a failed load explains itself there (the
 * end of the verifier log, which libbpf prints as one message, then which
 * program failed). */
static char g_libbpf_log[65536];
static size_t g_libbpf_len;
static int g_verbose;

static void keep_log(const char *s, size_t n)
{
	size_t cap = sizeof g_libbpf_log - 1;
	if (n > cap) {
		s += n - cap;
		n = cap;
	}
	if (g_libbpf_len + n > cap) {
		size_t drop = g_libbpf_len + n - cap;
		memmove(g_libbpf_log, g_libbpf_log + drop, g_libbpf_len - drop);
		g_libbpf_len -= drop;
	}
	memcpy(g_libbpf_log + g_libbpf_len, s, n);
	g_libbpf_len += n;
	g_libbpf_log[g_libbpf_len] = '\0';
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[4096], *line = small;
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof small) {
		line = malloc((size_t)n + 1);
		if (!line)
			return 0;
		vsnprintf(line, (size_t)n + 1, fmt, ap);
	}
	if (g_verbose >= 2 || (g_verbose && level == LIBBPF_WARN))
		fputs(line, stderr);
	if (level != LIBBPF_DEBUG)
		keep_log(line, (size_t)n);
	if (line != small)
		free(line);
	return 0;
}

/* The verifier refused a helper in this kind of probe: its log ends with
 * the call ("N: (85) call bpf_d_path#147") and "helper call is not
 * allowed in probe".  Report it as bpftrace does, at the program's first
 * call of that helper (meta.helper_locs).  False if log says otherwise. */
bool report_helper_refused(struct bt *bt, const char *log)
{
	const char *refused = log ? strstr(log, "helper call is not allowed in probe") : NULL;
	if (!refused)
		return false;
	const char *call = NULL;
	for (const char *p = log; (p = strstr(p, ") call ")) && p < refused; p++)
		call = p;
	if (!call)
		return false;
	const char *name = call + 7;
	size_t len = strcspn(name, "#\n");
	if (name[len] != '#')
		return false;
	unsigned long id = strtoul(name + len + 1, NULL, 10);
	struct diag dg = { .level = DIAG_ERROR,
			   .msg = arena_printf("helper %.*s not supported in probe", (int)len, name) };
	for (size_t i = 0; i < bt->meta.helper_locs.n; i++)
		if (bt->meta.helper_locs.v[i].id == id) {
			dg.loc = bt->meta.helper_locs.v[i].loc;
			break;
		}
	diag_render(stderr, &bt->src, &dg);
	return true;
}

struct bpf_program *prog_by_name(struct bt *bt, const char *name)
{
	return name ? strindex_get(&bt->progs, name) : NULL;
}

struct bpf_program *prog_of(struct bt *bt, uint32_t probe)
{
	return prog_by_name(bt, bt->meta.probes.v[probe].prog);
}

struct bpf_map *map_by_name(struct bt *bt, const char *name)
{
	return strindex_get(&bt->maps, name);
}

const char *prog_section(struct bt *bt, uint32_t probe)
{
	struct bpf_program *p = prog_of(bt, probe);
	return p ? bpf_program__section_name(p) : "";
}

/* Kernel map name of a user map: '@' -> "AT_". */
static const char *map_obj_name(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "AT_%s", name[0] == '@' ? name + 1 : name);
	return buf;
}

static uint64_t round_pow2(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

/* Write bt_cpid into the .rodata initial value of obj (before load). */
static void set_cpid(struct bt *bt, struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	if (!btf)
		return;
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);
		const char *dot = strrchr(name, '.');
		if (!bpf_map__is_internal(m) || !dot || strcmp(dot, ".rodata") != 0)
			continue;
		int id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
		if (id < 0)
			return;
		const struct btf_type *sec = btf__type_by_id(btf, (uint32_t)id);
		const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
		for (uint16_t i = 0; i < btf_vlen(sec); i++, vs++) {
			const struct btf_type *var = btf__type_by_id(btf, vs->type);
			if (strcmp(btf__name_by_offset(btf, var->name_off), "bt_cpid") != 0)
				continue;
			size_t size;
			uint8_t *data = (uint8_t *)bpf_map__initial_value(m, &size);
			if (!data || vs->offset + 8 > size || vs->size < 4)
				return;
			uint64_t v = (uint64_t)bt->child;
			memcpy(data + vs->offset, &v, vs->size >= 8 ? 8 : 4);
			return;
		}
	}
}

/* Internal maps are read into fixed-size variables: a corrupt object must
 * not make the kernel write past them (fuzz: crashes/bt-load-1.bin). */
static bool internal_maps_ok(struct bpf_object *obj)
{
	static const char *const names[] = { "ringbuf_loss", "elapsed", "cpid", "sw_tai" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, names[i]);
		if (!map)
			continue;
		uint32_t ks = bpf_map__key_size(map), vs = bpf_map__value_size(map);
		if ((ks != 4 && ks != 8) || vs != 8) {
			bt_error("corrupt obj stream (internal map '%s' has a %u/%u-byte key/value)",
				 names[i], ks, vs);
			return false;
		}
	}
	struct bpf_map *map;
	bpf_object__for_each_map(map, obj) {
		const char *n = bpf_map__name(map);
		if (strncmp(n, "stack_", 6) == 0 &&
		    (bpf_map__key_size(map) != 4 || bpf_map__value_size(map) > 8 * 1024)) {
			bt_error("corrupt obj stream (stack map '%s' has a bad layout)", n);
			return false;
		}
	}
	return true;
}

/* The programs and maps of every object by name.  A map of the same name
 * in several objects is one map: the first object's is created, the
 * others reuse it (load_object); libbpf's internal maps (.rodata, .bss)
 * stay each object's own. */
static bool index_objects(struct bt *bt)
{
	for (uint32_t i = 0; i < bt->nparts; i++) {
		struct bpf_object *obj = bt->parts[i].obj;
		struct bpf_program *prog;
		bpf_object__for_each_program(prog, obj) {
			const char *name = bpf_program__name(prog);
			if (strindex_get(&bt->progs, name)) {
				bt_error("corrupt obj stream (program '%s' is in two objects)", name);
				return false;
			}
			strindex_put(&bt->progs, name, prog);
		}
		struct bpf_map *map;
		bpf_object__for_each_map(map, obj) {
			if (bpf_map__is_internal(map))
				continue;
			const char *name = bpf_map__name(map);
			struct bpf_map *first = strindex_get(&bt->maps, name);
			if (!first) {
				strindex_put(&bt->maps, name, map);
			} else if (bpf_map__type(first) != bpf_map__type(map) ||
				   bpf_map__key_size(first) != bpf_map__key_size(map) ||
				   bpf_map__value_size(first) != bpf_map__value_size(map) ||
				   bpf_map__max_entries(first) != bpf_map__max_entries(map) ||
				   bpf_map__map_flags(first) != bpf_map__map_flags(map)) {
				bt_error("corrupt obj stream (map '%s' differs between objects)", name);
				return false;
			}
		}
	}
	return true;
}

static int configure(struct bt *bt)
{
	struct meta *m = &bt->meta;
	for (uint32_t i = 0; i < bt->nparts; i++)
		if (!internal_maps_ok(bt->parts[i].obj))
			return -1;
	if (!index_objects(bt))
		return -1;
	bt->user_maps = arena_alloc(sizeof(struct bpf_map *) * (m->maps.n + 1));
	for (size_t i = 0; i < m->maps.n; i++) {
		char buf[512];
		bt->user_maps[i] = map_by_name(bt, map_obj_name(m->maps.v[i].name, buf, sizeof buf));
	}
	bt->ringbuf_map = map_by_name(bt, "ringbuf");
	bt->loss_map = map_by_name(bt, "ringbuf_loss");
	bt->elapsed_map = map_by_name(bt, "elapsed");
	if (bt->ringbuf_map) {
		/* perf_rb_pages is "pages per CPU" (bpftrace -h): the one ring
		 * buffer gets that many for every CPU */
		uint64_t pages = m->cfg.perf_rb_pages ? m->cfg.perf_rb_pages : 64;
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		uint64_t size = round_pow2(pages * (uint64_t)(cpus > 0 ? cpus : 1) *
					   (uint64_t)sysconf(_SC_PAGESIZE));
		if (size > (1u << 30))
			size = 1u << 30;
		bpf_map__set_max_entries(bt->ringbuf_map, (uint32_t)size);
	}
	for (uint32_t i = 0; i < bt->nparts; i++)
		set_cpid(bt, bt->parts[i].obj);
	uprobe_multi_prepare(bt);
	/* what the metadata does not declare was not checked: never loaded */
	for (uint32_t i = 0; i < bt->nparts; i++) {
		struct bpf_program *prog;
		bpf_object__for_each_program(prog, bt->parts[i].obj)
			if (!obj_prog_declared(bt, bpf_program__name(prog)))
				bpf_program__set_autoload(prog, false);
	}
	kprobe_multi_prepare(bt);
	if (bt->o.verbose) {
		size_t logsz = m->cfg.log_size ? m->cfg.log_size : 1000000;
		for (uint32_t i = 0; i < bt->nparts; i++) {
			struct bpf_program *p;
			bpf_object__for_each_program(p, bt->parts[i].obj) {
				bpf_program__set_log_level(p, 1);
				bpf_program__set_log_buf(p, arena_alloc(logsz), logsz);
			}
		}
	}
	/* Programs of probes this kernel cannot run are loaded anyway: the
	 * attach step reports them with bpftrace's words. */
	return 0;
}

/* The meta probe whose program is named prog, or -1. */
static int probe_by_prog(struct bt *bt, const char *prog, size_t n)
{
	for (size_t i = 0; i < bt->meta.probes.n; i++) {
		const char *p = bt->meta.probes.v[i].prog;
		if (p && strlen(p) == n && memcmp(p, prog, n) == 0)
			return (int)i;
	}
	return -1;
}

/* Name the probe whose program libbpf failed to load. */
static void report_load_error(struct bt *bt, int err)
{
	const char *s = strstr(g_libbpf_log, "prog '");
	const char *failed = NULL;
	while (s) {
		const char *q = strchr(s + 6, '\'');
		if (q && strncmp(q, "': failed to load", 17) == 0) {
			failed = s;
			break;
		}
		s = q ? strstr(q, "prog '") : NULL;
	}
	if (failed) {
		const char *name = failed + 6;
		size_t n = strcspn(name, "'");
		int p = probe_by_prog(bt, name, n);
		const char *pname = p >= 0 ? bt->meta.probes.v[p].name : NULL;
		if (p >= 0 && bt->meta.probes.v[p].nattach == 1)
			pname = bt->meta.probes.v[p].attach[0].name;
		/* our log buffer (configure(), -v) has it, else libbpf's */
		struct bpf_program *prog = p >= 0 ? prog_of(bt, (uint32_t)p) : NULL;
		size_t len = 0;
		const char *own = prog ? bpf_program__log_buf(prog, &len) : NULL;
		if (report_helper_refused(bt, own && *own ? own : g_libbpf_log))
			return;
		if (bt->o.verbose) {
			const char *b = strstr(g_libbpf_log, "-- BEGIN PROG LOAD LOG --");
			const char *e = b ? strstr(b, "-- END PROG LOAD LOG --") : NULL;
			if (own && *own) {
				fprintf(stderr, "\nThe verifier log:\n%s\n", own);
			} else if (b && e) {
				b += strlen("-- BEGIN PROG LOAD LOG --\n");
				fprintf(stderr, "\nError log: \n%.*s\n", (int)(e - b), b);
			}
		}
		if (pname) {
			bt_error("Error loading program: %s%s", pname,
				 bt->o.verbose ? "" : " (try -v)");
			return;
		}
	}
	bt_error("Error loading program: %s%s", strerror(-err), bt->o.verbose ? "" : " (try -v)");
}

/* -v: each program's id and verifier log, on stdout after "Attaching N
 * probes..." as bpftrace prints them (message records of the out stream). */
static void print_verifier_log(struct bt *bt, struct bpf_program *p)
{
	static const char head[] = "\nThe verifier log: \n";
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof info;
	size_t n;
	const char *log = bpf_program__log_buf(p, &n);
	if (bpf_program__fd(p) < 0)
		return;
	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0) {
		char id[40];
		int k = snprintf(id, sizeof id, "\nProgram ID: %u\n", info.id);
		out_text(bt, "message", id, (size_t)k);
	}
	size_t loglen = log ? strlen(log) : 0;
	char *msg = arena_alloc(sizeof head + loglen + 1);
	memcpy(msg, head, sizeof head - 1);
	memcpy(msg + sizeof head - 1, log ? log : "", loglen);
	msg[sizeof head - 1 + loglen] = '\n';
	out_text(bt, "message", msg, sizeof head + loglen);
}

static void print_verifier_logs(struct bt *bt)
{
	for (uint32_t i = 0; i < bt->nparts; i++) {
		struct bpf_program *p;
		bpf_object__for_each_program(p, bt->parts[i].obj)
			print_verifier_log(bt, p);
	}
}

/* A program split into several objects (ir-spec/obj.md) and made of many
 * probes holds a descriptor per map, program and attachment: raise the
 * open-file limit to what it needs (root may raise the hard limit too,
 * up to fs.nr_open).  The -c child is started before (keeps its limit). */
static void raise_nofile(struct bt *bt)
{
	uint64_t need = 64 + bt->nparts;
	for (uint32_t i = 0; i < bt->nparts; i++) {
		struct bpf_map *m;
		struct bpf_program *p;
		bpf_object__for_each_map(m, bt->parts[i].obj)
			need++;
		bpf_object__for_each_program(p, bt->parts[i].obj)
			need++;
	}
	for (size_t i = 0; i < bt->meta.probes.n; i++)
		need += 2 * (uint64_t)bt->meta.probes.v[i].nattach;
	bt->nofile_need = need;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max >= need) {
		rl.rlim_cur = need;
		setrlimit(RLIMIT_NOFILE, &rl);
		return;
	}
	struct rlimit more = { need, need };
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");
	unsigned long long nr_open = 0;
	if (f) {
		if (fscanf(f, "%llu", &nr_open) == 1 && nr_open && nr_open < need)
			more.rlim_cur = more.rlim_max = nr_open;
		fclose(f);
	}
	if (setrlimit(RLIMIT_NOFILE, &more) != 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Before obj is loaded: its maps that an earlier object declared (and
 * created) are that map.  0 or -errno. */
static int reuse_maps(struct bt *bt, struct bpf_object *obj)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		struct bpf_map *first = map_by_name(bt, bpf_map__name(m));
		if (!first || first == m)
			continue;
		int err = bpf_map__reuse_fd(m, bpf_map__fd(first));
		if (err)
			return err;
	}
	return 0;
}

int open_object(struct bt *bt)
{
	g_verbose = bt->o.verbose;
	libbpf_set_print(libbpf_print);
	/* per-CPU map values come in one slot per possible CPU: a guess
	 * would read the wrong slots and print wrong counts (a root without
	 * /sys, such as an empty container, cannot tell) */
	bt->ncpus = libbpf_num_possible_cpus();
	if (bt->ncpus <= 0) {
		if (!bt->o.interpret) {
			bt_error("cannot read the number of possible CPUs "
				 "(/sys/devices/system/cpu/possible): is /sys mounted?");
			return -1;
		}
		bt->ncpus = 1;   /* the interpreter is one CPU */
	}
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "bpftrace");
	for (uint32_t i = 0; i < bt->nparts; i++) {
		struct part *pt = &bt->parts[i];
		char why[160];
		if (!btf_check(pt->elf, pt->size, why, sizeof why)) {
			bt_error("corrupt obj stream (BTF: %s)", why);
			return -1;
		}
		pt->obj = bpf_object__open_mem(pt->elf, pt->size, &oo);
		if (!pt->obj) {
			int err = -errno;
			bt_error("failed to open the BPF object: %s", strerror(-err));
			return -1;
		}
	}
	if (configure(bt) < 0)
		return -1;
	if (!bt->o.interpret)
		raise_nofile(bt);
	return 0;
}

/* debugf() writes to the kernel's trace buffer, read at
 * /sys/kernel/debug/tracing/trace(_pipe): mount debugfs there when a
 * program calls bpf_trace_printk and it is not mounted (we are root). */
static void debugfs_for_trace_printk(struct bt *bt)
{
	for (uint32_t k = 0; k < bt->nparts; k++) {
		struct bpf_program *p;
		bpf_object__for_each_program(p, bt->parts[k].obj) {
			const struct bpf_insn *in = bpf_program__insns(p);
			size_t n = bpf_program__insn_cnt(p);
			for (size_t i = 0; i < n; i++)
				if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == 0 &&
				    in[i].imm == BPF_FUNC_trace_printk) {
					debugfs_ensure();
					return;
				}
		}
	}
}

/* Tracepoints are attached by their tracefs id: mount tracefs when a
 * program has one and it is not mounted (bt-load run alone on a fresh
 * machine; the driver has mounted it before compiling). */
static void tracefs_for_tracepoints(struct bt *bt)
{
	for (uint32_t i = 0; i < bt->meta.probes.n; i++)
		if (bt->meta.probes.v[i].type == PT_TRACEPOINT) {
			tracefs_root(true);
			return;
		}
}

/* Into the kernel, or (--interpret) into the interpreter. */
int load_object(struct bt *bt)
{
	if (bt->o.interpret) {
		if (interp_load(bt) < 0)
			return -1;
	} else {
		debugfs_for_trace_printk(bt);
		tracefs_for_tracepoints(bt);
		for (uint32_t i = 0; i < bt->nparts; i++) {
			int err = reuse_maps(bt, bt->parts[i].obj);
			if (!err)
				err = bpf_object__load(bt->parts[i].obj);
			if (err == -EMFILE) {
				struct rlimit rl = { 0 };
				getrlimit(RLIMIT_NOFILE, &rl);
				bt_error("Error loading program: too many open files: it needs about "
					 "%llu, the limit is %llu (RLIMIT_NOFILE; raising it past the "
					 "hard limit needs CAP_SYS_RESOURCE)",
					 (unsigned long long)bt->nofile_need,
					 (unsigned long long)rl.rlim_cur);
				return -1;
			}
			if (err) {
				report_load_error(bt, err);
				return -1;
			}
		}
		if (bt->o.verbose)
			print_verifier_logs(bt);
		/* libbpf parsed the kernel's BTF for CO-RE relocations (about 9 MiB
		 * here) and freed it once loaded; give those pages back instead of
		 * keeping them in the heap for the whole trace. */
		malloc_trim(0);
	}
	struct bpf_map *cpid = map_by_name(bt, "cpid");
	if (cpid && bt->child) {
		uint32_t zero = 0;
		uint64_t v = (uint64_t)bt->child;
		mapio_update(bt, cpid, &zero, &v, BPF_ANY);
	}
	if (bt->elapsed_map) {
		struct timespec ts;
		clock_gettime(CLOCK_BOOTTIME, &ts);
		uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		uint64_t zero = 0;   /* the key: array (u32) or hash (u64) */
		mapio_update(bt, bt->elapsed_map, &zero, &ns, BPF_ANY);
	}
	return 0;
}

/* Run BEGIN or END once with BPF_PROG_TEST_RUN, or in the interpreter
 * (no probe: nothing to do). */
int run_special(struct bt *bt, enum probe_type which)
{
	if (bt->vm)
		return interp_run_special(bt, which);
	for (size_t i = 0; i < bt->meta.probes.n; i++) {
		if (bt->meta.probes.v[i].type != which)
			continue;
		struct bpf_program *p = prog_of(bt, (uint32_t)i);
		if (!p) {
			bt_error("Code not generated for probe: %s", bt->meta.probes.v[i].name);
			return -1;
		}
		uint64_t args[6] = { 0 };
		LIBBPF_OPTS(bpf_test_run_opts, to, .ctx_in = args, .ctx_size_in = sizeof args);
		int err = bpf_prog_test_run_opts(bpf_program__fd(p), &to);
		if (err) {
			bt_error("%s: could not run the program: %s",
				 which == PT_BEGIN ? "BEGIN" : "END", strerror(errno));
			return -1;
		}
	}
	return 0;
}

void load_close(struct bt *bt)
{
	if (bt->vm)
		interp_close(bt);
	for (uint32_t i = bt->nparts; i-- > 0;) {
		bpf_object__close(bt->parts[i].obj);
		bt->parts[i].obj = NULL;
	}
}
