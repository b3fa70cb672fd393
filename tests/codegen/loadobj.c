/* loadobj.c - test helper for tests/codegen.bats: open a BPF ELF object
 * with libbpf and load every program into the kernel (the verifier runs)
 * without attaching anything.  Not part of bt-codegen.
 *
 *   loadobj FILE.o [--skip-type TYPE]...   exit 0 when every program loads
 *
 * Programs whose section starts with a skipped prefix (e.g. "fentry" on
 * kernels that refuse tracing programs) are not loaded.  Prints one line
 * per program: "ok SECTION NAME INSNS" or the libbpf error and verifier
 * log.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: loadobj FILE.o [--skip-type PREFIX]...\n");
		return 2;
	}
	const char *skip[16];
	int nskip = 0;
	for (int i = 2; i + 1 < argc && nskip < 16; i += 2)
		if (strcmp(argv[i], "--skip-type") == 0)
			skip[nskip++] = argv[i + 1];
	libbpf_set_print(print_fn);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "loadobj: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct bpf_program *p;
	int n = 0;
	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p);
		for (int i = 0; i < nskip; i++)
			if (strncmp(sec, skip[i], strlen(skip[i])) == 0)
				bpf_program__set_autoload(p, false);
		n++;
	}
	int err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "loadobj: load failed: %s\n", strerror(-err));
		bpf_object__close(obj);
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		if (!bpf_program__autoload(p))
			continue;
		printf("ok %s %s %zu\n", bpf_program__section_name(p), bpf_program__name(p),
		       bpf_program__insn_cnt(p));
	}
	bpf_object__close(obj);
	return 0;
}
