/* sys_query.c - test helper for tests/check_sys.bats: asks bt-check's
 * system readers (bt-check/sys/sys.h) one question and prints the answer.
 *
 *   sys_query [--sysroot DIR] [--snapshot DIR] [--pid PID] [--multi]
 *             [--listing] COMMAND ARGS...
 *
 * COMMAND: expand ATTACH_POINT, tpargs CATEGORY EVENT, ktype NAME,
 * kfargs|kretfargs MODULE FUNC, uargs PATH FUNC, ksym NAME, usym PATH
 * NAME, enumval NAME, cgroupid PATH.  Exit 1 when the answer is "not
 * found", 2 on bad usage, 3 when closing the snapshot fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ap_parse.h"
#include "arena.h"
#include "sys.h"

static void print_type(const struct type *t)
{
	printf("%s %s size=%u as=%u%s%s\n", type_kind_name(t->kind), type_str(t),
	       t->size, t->as, t->is_tparg ? " tparg" : "",
	       t->is_funcarg ? " funcarg" : "");
	for (uint32_t i = 0; i < t->nfields; i++) {
		const struct field *f = &t->fields[i];
		printf("  %s: %s @%u", f->name, type_str(f->type), f->offset);
		if (f->bit_width)
			printf(" bits %u:%u", f->bit_offset, f->bit_width);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	const char *sysroot = NULL, *snap = NULL;
	int pid = 0, a = 1, rc = 0;
	unsigned flags = 0;
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--sysroot") && a + 1 < argc)
			sysroot = argv[++a];
		else if (!strcmp(argv[a], "--snapshot") && a + 1 < argc)
			snap = argv[++a];
		else if (!strcmp(argv[a], "--pid") && a + 1 < argc)
			pid = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--multi"))
			flags |= SYS_X_MULTI;
		else if (!strcmp(argv[a], "--listing"))
			flags |= SYS_X_LISTING;
	}
	if (a + 1 >= argc)
		return 2;
	struct sys *s = sys_open(sysroot, snap, pid);
	struct diags d = { 0 };
	const char *cmd = argv[a++];
	struct type *t = NULL;
	bool typed = false;
	if (!strcmp(cmd, "expand")) {
		struct ap_parse_opts o = { .have_pid = pid > 0,
					   .listing = flags & SYS_X_LISTING };
		ap_list aps = { 0 };
		const char *err = NULL;
		if (!ap_parse(argv[a], &o, &aps, &err)) {
			printf("PARSE ERROR: %s\n", err);
			return 1;
		}
		for (size_t i = 0; i < aps.n; i++) {
			apvec out = { 0 };
			if (!sys_expand(s, aps.v[i], &out, &d,
					(struct loc){ 1, 1, 1, 2 }, flags))
				rc = 1;
			for (size_t k = 0; k < out.n; k++) {
				struct attach_point *p = out.v[k];
				printf("%s", attach_point_name(p, true));
				if (p->usdt_args)
					printf(" loc=%d offset=%llu sema=%llu args=%s",
					       p->usdt_loc,
					       (unsigned long long)p->usdt_offset,
					       (unsigned long long)p->usdt_sema,
					       p->usdt_args);
				printf("\n");
			}
		}
	} else if (!strcmp(cmd, "tpargs") && a + 1 < argc) {
		typed = true;
		t = sys_tracepoint_args(s, argv[a], argv[a + 1]);
		for (uint32_t i = 0; t && i < t->nfields; i++)
			if (sys_tracepoint_data_loc(s, type_clone(t), t->fields[i].name))
				printf("data_loc %s\n", t->fields[i].name);
	} else if (!strcmp(cmd, "ktype")) {
		typed = true;
		t = sys_kernel_type(s, argv[a]);
	} else if ((!strcmp(cmd, "kfargs") || !strcmp(cmd, "kretfargs")) && a + 1 < argc) {
		typed = true;
		t = sys_kfunc_args(s, argv[a], argv[a + 1], !strcmp(cmd, "kretfargs"));
	} else if (!strcmp(cmd, "uargs") && a + 1 < argc) {
		typed = true;
		t = sys_uprobe_args(s, argv[a], argv[a + 1]);
	} else if (!strcmp(cmd, "ksym")) {
		uint64_t addr;
		if (sys_kernel_symbol(s, argv[a], &addr))
			printf("0x%llx\n", (unsigned long long)addr);
		else
			rc = 1;
	} else if (!strcmp(cmd, "usym") && a + 1 < argc) {
		uint64_t addr, size;
		if (sys_user_symbol(s, argv[a], argv[a + 1], &addr, &size))
			printf("0x%llx %llu\n", (unsigned long long)addr,
			       (unsigned long long)size);
		else
			rc = 1;
	} else if (!strcmp(cmd, "enumval")) {
		uint64_t v;
		if (sys_kernel_enum_value(s, argv[a], &v, NULL))
			printf("%llu\n", (unsigned long long)v);
		else
			rc = 1;
	} else if (!strcmp(cmd, "cgroupid")) {
		uint64_t id;
		int e = sys_cgroup_id(s, argv[a], &id);
		if (!e)
			printf("%llu\n", (unsigned long long)id);
		else
			printf("%s\n", strerror(e)), rc = 1;
	} else {
		return 2;
	}
	if (typed) {
		if (t)
			print_type(t);
		else {
			printf("not found\n");
			rc = 1;
		}
	}
	for (size_t i = 0; i < d.list.n; i++)
		printf("%s: %s\n", d.list.v[i].level == DIAG_ERROR ? "ERROR" : "WARNING",
		       d.list.v[i].msg);
	if (sys_close(s) < 0)
		rc = 3;
	return rc;
}
