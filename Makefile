# One top-level, non-recursive Makefile for every tool, test and benchmark.
#   make            build all tools into build/
#   make check      install missing packages, build, run every test suite
#   make check-asan  the same suites on tools built with ASan + UBSan
#                   (into build/asan); any sanitizer report fails it
#   make check-kernel  the kernel-only suites (tests/kernel/) under Debian's
#                   stock 6.1 and 6.12 kernels, booted in QEMU
#   make run        build and trace syscalls by process for a second
#   make bench      benchmarks (side by side with bpftrace 0.17 and the
#                   libbpf-tools; results in RESULTS.md)
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX ?= /usr/local
DESTDIR ?=
B := build
CC := gcc
LLVM_CONFIG ?= llvm-config-16
WARN := -Wall -Wextra -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu17 $(WARN) $(CFLAGS) -Ilibcommon -I$(B)/gen -MMD -MP
LDFLAGS ?=

DEB_PACKAGES := llvm-16-dev clang-16 libbpf-dev libelf-dev libdw-dev \
	libmsgpack-dev nettle-dev bison flex bats systemtap-sdt-dev zlib1g-dev \
	libzstd-dev libncurses-dev libxml2-dev libedit-dev libffi-dev bpftool \
	strace procps libcapstone-dev libxml2-utils chromium busybox-static libclang-16-dev python3 \
	lld
# libc's separate debug file, for the tests of symbols that live only
# there (they skip without it)
DEB_PACKAGES += libc6-dbg

TOOLS := bt-parse bt-check bt-codegen bt-cache bt-drop bt-load bt-fmt
BINS := $(addprefix $(B)/,$(TOOLS))

.PHONY: all static core-objs check check-asan check-kernel run bench install clean deps fuzz hot-functions fuzz-parse conformance testprogs
all: $(BINS) $(B)/bpftrace testprogs

# ---- shared library ----
LIBCOMMON_SRC := $(wildcard libcommon/*.c)
LIBCOMMON_OBJ := $(LIBCOMMON_SRC:%.c=$(B)/obj/%.o)
$(B)/libcommon.a: $(LIBCOMMON_OBJ)
	ar rcs $@ $^

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

COMMON_LIBS := $(B)/libcommon.a -lmsgpackc
# The stages that start on every run link their libraries in (glibc stays
# shared: bt-check and bt-load dlopen libclang and capstone): the dynamic
# loader's relocations of six shared libraries were a fifth of bt-check's
# start.
STATIC_BEGIN := -Wl,-Bstatic
STATIC_END := -Wl,-Bdynamic

# ---- bt-parse (bison + flex) ----
$(B)/gen/parser.c $(B)/gen/parser.h: bt-parse/parser.y
	@mkdir -p $(B)/gen
	bison -Wall -Wno-counterexamples -Wno-other --defines=$(B)/gen/parser.h -o $(B)/gen/parser.c $<
$(B)/gen/lexer.c: bt-parse/lexer.l $(B)/gen/parser.h
	@mkdir -p $(B)/gen
	flex -o $@ $<
PARSE_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-parse/*.c)) \
	$(B)/obj/gen/parser.o $(B)/obj/gen/lexer.o
$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ibt-parse -Wno-sign-compare -Wno-unused-function -c -o $@ $<
$(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-parse/*.c)): $(B)/gen/parser.h
$(B)/bt-parse: $(PARSE_OBJ) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@.tmp $(PARSE_OBJ) $(B)/libcommon.a \
		$(STATIC_BEGIN) -lmsgpackc $(STATIC_END) && mv $@.tmp $@

# ---- bt-check: the checker's passes (bt-check/) and, as a library of
# its own behind bt-check/sys/sys.h, what it reads of the target system ----
SYS_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-check/sys/*.c))
$(SYS_OBJ): ALL_CFLAGS += -Ibt-check/sys
$(B)/libbtsys.a: $(SYS_OBJ)
	ar rcs $@ $^
SYS_LIBS := $(B)/libbtsys.a -lbpf -ldw -lelf -lz
CHECK_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-check/*.c))
$(CHECK_OBJ): ALL_CFLAGS += -Ibt-check/sys
# libclang is opened with dlopen (bt-check/libclang.h): only its headers
# are needed here, and clang's builtin headers directory for -isystem.
CLANG_RESOURCE_INCLUDE := $(shell $(LLVM_CONFIG) --libdir 2>/dev/null)/clang/$(shell $(LLVM_CONFIG) --version 2>/dev/null | cut -d. -f1)/include
$(B)/obj/bt-check/cdefs.o $(B)/obj/bt-check/cdefs_types.o $(B)/obj/bt-check/libclang.o: ALL_CFLAGS += \
	-I$(shell $(LLVM_CONFIG) --includedir 2>/dev/null) \
	-DCLANG_RESOURCE_INCLUDE='"$(CLANG_RESOURCE_INCLUDE)"'
$(B)/bt-check: $(CHECK_OBJ) $(B)/libbtsys.a $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@.tmp $(CHECK_OBJ) $(B)/libbtsys.a $(B)/libcommon.a \
		$(STATIC_BEGIN) -lbpf -ldw -lelf -lz -llzma -lbz2 -lzstd -lmsgpackc $(STATIC_END) \
		-ldl && mv $@.tmp $@

# ---- bt-codegen (LLVM, statically linked: see docs/llvm-bpf.md) ----
LLVM_CFLAGS := $(shell $(LLVM_CONFIG) --cflags 2>/dev/null | sed 's/-std=[^ ]*//')
# lld lays out first, together, the functions compiles run (hot_functions.txt,
# `make hot-functions`): a compile then maps ~5 MiB of LLVM's code instead of
# nearly all of its 24 MiB (the kernel maps 64 KiB around every page
# touched).  Without lld, gold (no such ordering); either folds identical
# functions.
# libstdc++ linked in too: only what LLVM calls, ordered with the rest, and
# no run-time binding of its thousands of symbols (1 MiB less resident);
# not under the sanitizers, whose run time replaces operator new.
CODEGEN_STATIC := $(if $(findstring sanitize,$(LDFLAGS)),,-static-libstdc++ -static-libgcc)
CODEGEN_LD := $(shell if command -v ld.lld >/dev/null 2>&1; then \
	echo -fuse-ld=lld -Wl,--icf=all -Wl,--symbol-ordering-file=bt-codegen/hot_functions.txt \
	  -Wl,--no-warn-symbol-ordering; \
	elif command -v ld.gold >/dev/null 2>&1; then echo -fuse-ld=gold -Wl,--icf=all; fi)
LLVM_LIBS := $(shell $(LLVM_CONFIG) --link-static --libs bpfcodegen bpfdesc bpfinfo passes target core analysis 2>/dev/null) \
	$(shell $(LLVM_CONFIG) --link-static --system-libs 2>/dev/null) \
	-Wl,--gc-sections $(CODEGEN_LD)
LLVM_LDFLAGS := $(shell $(LLVM_CONFIG) --ldflags 2>/dev/null)
CODEGEN_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-codegen/*.c))
$(CODEGEN_OBJ): ALL_CFLAGS += $(LLVM_CFLAGS)
$(B)/bt-codegen: $(CODEGEN_OBJ) $(B)/libcommon.a bt-codegen/hot_functions.txt
	g++ $(LDFLAGS) $(LLVM_LDFLAGS) $(CODEGEN_STATIC) -o $@.tmp $(CODEGEN_OBJ) $(COMMON_LIBS) $(LLVM_LIBS) \
		&& mv $@.tmp $@

# ---- bt-cache (the object cache in front of bt-codegen; nettle's SHA-256
# linked in: one library less to load at every start) ----
CACHE_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-cache/*.c))
$(B)/bt-cache: $(CACHE_OBJ) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@.tmp $(CACHE_OBJ) $(B)/libcommon.a -l:libnettle.a && mv $@.tmp $@

# ---- bt-drop (the compile stages' and bt-fmt's switch to user nobody;
# static: it starts before every stage) ----
$(B)/bt-drop: $(B)/obj/bt-drop/main.o
	$(CC) $(LDFLAGS) $(FMT_STATIC) -o $@.tmp $< && mv $@.tmp $@

# ---- bt-load ----
LOAD_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-load/*.c bt-load/interp/*.c))
$(B)/bt-load: $(LOAD_OBJ) $(B)/libcommon.a
	$(CC) $(LDFLAGS) -o $@.tmp $(LOAD_OBJ) $(B)/libcommon.a \
		$(STATIC_BEGIN) -lbpf -lelf -lz -lzstd -lmsgpackc $(STATIC_END) -ldl && mv $@.tmp $@

# the interpreter's core alone: its unit tests, fuzzer and benchmark
INTERP_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-load/interp/*.c))
INTERP_TESTS := $(B)/unit/interp_test $(B)/unit/interp_fuzz $(B)/unit/interp_bench
$(B)/unit/interp_test: tests/interp/vm_test.c $(INTERP_OBJ)
$(B)/unit/interp_fuzz: tests/fuzz/fuzz_interp.c $(INTERP_OBJ)
$(B)/unit/interp_bench: tests/interp/bench.c $(INTERP_OBJ)
$(INTERP_TESTS):
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -Ibt-load/interp -Itests/interp -o $@ $< $(INTERP_OBJ) -lelf
all: $(INTERP_TESTS)

# ---- bt-fmt ----
FMT_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard bt-fmt/*.c))
# bt-fmt stays alive while tracing: linked statically it maps only the
# parts of libc it uses (1.7 -> 1.0 MiB resident).  Sanitizers need the
# dynamic link.
FMT_STATIC := $(if $(findstring sanitize,$(LDFLAGS)),,-static)
$(B)/bt-fmt: $(FMT_OBJ) $(B)/libcommon.a
	$(CC) $(LDFLAGS) $(FMT_STATIC) -o $@.tmp $(FMT_OBJ) $(COMMON_LIBS) -lm && mv $@.tmp $@

# ---- objects compiled on this host for tests/kernel/core.bats (the
# guests run them: built before they boot) ----
core-objs: $(BINS) $(B)/tests/mkbtf
	rm -rf $(B)/core-objs
	B=$(B) tests/kernel/core-objs.sh $(B)/core-objs

# ---- driver ----
$(B)/bpftrace: bpftrace
	@mkdir -p $(B)
	cp $< $@ && chmod +x $@

# ---- make static: bt-load and bt-fmt with every library linked in, to
# copy onto a machine that has none of our packages (the runtime of
# bt-fleet's image, Containerfile.runtime).  glibc warns that getpwuid and
# dlopen want its shared parts at run time: without them username() prints
# uids and uprobe placement checks are skipped. ----
static: $(B)/static/bt-load $(B)/static/bt-fmt
$(B)/static/bt-load: $(LOAD_OBJ) $(B)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) -static -s $(LDFLAGS) -o $@.tmp $(LOAD_OBJ) $(COMMON_LIBS) -lbpf -lelf -lz -lzstd -ldl && mv $@.tmp $@
$(B)/static/bt-fmt: $(FMT_OBJ) $(B)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) -static -s $(LDFLAGS) -o $@.tmp $(FMT_OBJ) $(COMMON_LIBS) -lm && mv $@.tmp $@

# ---- test programs (conformance and end-to-end tests) ----
-include tests/testprogs/build.mk

# ---- packages ----
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null || \
	  { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; }; \
	fi

# a test that hangs fails after 2 minutes instead of stalling the run
check: deps
	$(MAKE) all
	BATS_TEST_TIMEOUT=120 bats tests/

# Every suite again, on every tool built with AddressSanitizer and UBSan
# into build/asan (build/ is left alone).  Reports go to files, one per
# process, that are listed at the end: the run fails on any report as well
# as on any failed test.  Leak detection is off: each tool frees its arena
# at exit, and LSan cannot run under the tests' strace.
ASAN_B := build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
check-asan: deps
	$(MAKE) B=$(ASAN_B) CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" all
	rm -rf $(ASAN_B)/reports && mkdir -p $(ASAN_B)/reports && chmod 1777 $(ASAN_B)/reports
	@r=$(CURDIR)/$(ASAN_B)/reports; \
	BT_BUILD=$(CURDIR)/$(ASAN_B) BT_SAN_FLAGS="$(SAN_FLAGS)" \
	ASAN_OPTIONS=detect_leaks=0:log_path=$$r/asan \
	UBSAN_OPTIONS=print_stacktrace=1:log_path=$$r/ubsan \
	BATS_TEST_TIMEOUT=300 bats tests/; st=$$?; \
	n=$$(ls $$r | wc -l); echo "check-asan: $$n sanitizer report(s) in $(ASAN_B)/reports"; \
	for f in $$r/*; do [ -e "$$f" ] && head -30 "$$f"; done; \
	[ $$st = 0 ] && [ $$n = 0 ]

# kprobe, kfunc, kprobe_multi, module BTF: features the host kernel may lack,
# tested under each of KERNELS (tests/kernel/vm: prepare once, boot per run)
KERNELS ?= 6.1 6.12
check-kernel: deps
	$(MAKE) all static core-objs
	@failed=""; for k in $(KERNELS); do \
	  echo "== tests/kernel under Debian's $$k kernel"; \
	  tests/kernel/vm/prepare $$k && \
	  tests/kernel/vm/boot $$k env BATS_TEST_TIMEOUT=120 bats tests/kernel/ || failed="$$failed $$k"; \
	done; [ -z "$$failed" ] || { echo "check-kernel failed under:$$failed"; exit 1; }

run: deps
	$(MAKE) all
	$(B)/bpftrace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); } interval:s:1 { exit(); }'

# what only `make bench` needs: the libbpf-tools to compare with, GNU time
# for the peak memory of a whole process tree
BENCH_PACKAGES := libbpf-tools time
bench: deps
	$(MAKE) deps DEB_PACKAGES="$(BENCH_PACKAGES)"
	$(MAKE) all static
	tests/bench/run-bench

# Regenerate bt-codegen/hot_functions.txt (callgrind over the guide's
# programs; a few minutes), then relink bt-codegen with it.
hot-functions: all
	$(MAKE) deps DEB_PACKAGES=valgrind
	tests/bench/hot_functions.py $(B)
	$(MAKE) $(B)/bt-codegen

fuzz: all
	tests/fuzz/run-fuzz
	tests/fuzz/streams/run-fuzz
	tests/fuzz/streams/run-fuzz-tools

fuzz-parse:
	tests/fuzz/run-fuzz-parse

# Optional, for developers: bpftrace's own runtime test cases run against
# our driver.  The runner is not part of this repository (make check never
# uses it); point CONFORMANCE_RUN at it.
CONFORMANCE_RUN ?= ../shared/conformance/run
conformance: all
	@[ -x "$(CONFORMANCE_RUN)" ] || { echo "make conformance: needs bpftrace's conformance runner at CONFORMANCE_RUN=$(CONFORMANCE_RUN) (not part of this repository; make check does not use it)" >&2; exit 2; }
	$(CONFORMANCE_RUN) --bpftrace $(B)/bpftrace --testprogs $(B)/testprogs --testlibs $(B)/testlibs

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 bpftrace $(DESTDIR)$(PREFIX)/bin/bpftrace
	install -m 755 bt-fleet $(DESTDIR)$(PREFIX)/bin/bt-fleet
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(wildcard man/*.8) $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 completion/bpftrace.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/bpftrace

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# ---- unit test binaries (run by the bats suites) ----
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(wildcard tests/unit/*.c))
$(B)/unit/%: tests/unit/%.c $(B)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(COMMON_LIBS)
all: $(UNIT_BINS)

# ---- test helpers written in C (run by the bats suites, built with the
# tools so that make check-asan builds them with the sanitizers too) ----
TEST_TOOLS := mkir irmut loadobj mkobj stream_helper sys_query mkmodbtf mkbtf fentry_loads
TEST_TOOL_BINS := $(addprefix $(B)/tests/,$(TEST_TOOLS)) \
	$(B)/tests/progs.bpf.o $(B)/tests/evil.bpf.o
$(B)/tests/mkir: tests/codegen/mkir.c $(B)/libcommon.a
$(B)/tests/irmut: tests/codegen/irmut.c $(B)/libcommon.a
$(B)/tests/mkobj: tests/load/mkobj.c $(B)/libcommon.a
$(B)/tests/stream_helper: tests/fuzz/streams/stream_helper.c $(B)/libcommon.a
$(B)/tests/mkir $(B)/tests/irmut $(B)/tests/mkobj $(B)/tests/stream_helper:
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(COMMON_LIBS)
$(B)/tests/loadobj: tests/codegen/loadobj.c
$(B)/tests/mkmodbtf: tests/tools/mkmodbtf.c
$(B)/tests/mkbtf: tests/tools/mkbtf.c
$(B)/tests/fentry_loads: tests/tools/fentry_loads.c
$(B)/tests/loadobj $(B)/tests/mkmodbtf $(B)/tests/mkbtf $(B)/tests/fentry_loads:
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< -lbpf -lelf -lz
$(B)/tests/sys_query: tests/tools/sys_query.c $(B)/libbtsys.a $(B)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ibt-check/sys $(LDFLAGS) -o $@ $< $(SYS_LIBS) $(COMMON_LIBS)
# BPF programs written by hand (bt-load's tests), compiled by clang
$(B)/tests/%.bpf.o: tests/load/%.bpf.c
	@mkdir -p $(dir $@)
	clang-16 -target bpf -g -O2 -I/usr/include/x86_64-linux-gnu -c $< -o $@
all: $(TEST_TOOL_BINS)
