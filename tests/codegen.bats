#!/usr/bin/env bats
# codegen.bats - bt-codegen: ir in, obj out.
#
# Unit level: hand-built ir streams (bt-codegen/test/mkir.c) compiled and
# loaded into the kernel's verifier without attaching
# (bt-codegen/test/loadobj.c).  Pipeline level: programs of the reference
# guide through bt-parse | bt-check | bt-codegen, loaded the same way, and
# BEGIN programs run through bt-load | bt-fmt to check computed values.

load helpers

T="$BT/codegen-test"

setup_file() {
	mkdir -p "$T"
	local src="$ROOT/bt-codegen/test"
	if [ ! -x "$T/mkir" ] || [ "$src/mkir.c" -nt "$T/mkir" ] || [ "$BT/libcommon.a" -nt "$T/mkir" ]; then
		gcc -O1 -Wall -I"$ROOT/libcommon" -o "$T/mkir" "$src/mkir.c" "$BT/libcommon.a" -lmsgpackc
	fi
	if [ ! -x "$T/loadobj" ] || [ "$src/loadobj.c" -nt "$T/loadobj" ]; then
		gcc -O1 -Wall -o "$T/loadobj" "$src/loadobj.c" -lbpf -lelf -lz
	fi
}

# Load every program of an ELF object; fentry/fexit/kprobe programs cannot
# be loaded on this kernel (no kprobes, tracing programs refused).
verify() {
	"$T/loadobj" "$1" --skip-type fentry --skip-type fexit --skip-type kprobe --skip-type kretprobe
}

mk() {
	"$T/mkir" "$@"
}

# Whole pipeline up to an ELF: compile PROG into $BATS_TEST_TMPDIR/p.o
compile() {
	local prog="$1"; shift
	bt-parse -e "$prog" | bt-check "$@" > "$BATS_TEST_TMPDIR/p.ir" || return 1
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/p.o" "$BATS_TEST_TMPDIR/p.ir" > "$BATS_TEST_TMPDIR/p.obj"
}

# ---- command line and bad input ----

@test "-h prints usage and exits 0" {
	run bt-codegen -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: bt-codegen"* ]]
	[[ "$output" == *"--emit-elf"* ]]
}

@test "bad option: one error line and usage, exit 1" {
	run bt-codegen --bogus
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "bt-codegen: ERROR: bad option"* ]]
}

@test "wrong stream format is refused" {
	bt-parse -e 'BEGIN { }' > "$BATS_TEST_TMPDIR/x.ast"
	run bt-codegen "$BATS_TEST_TMPDIR/x.ast"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-codegen: ERROR: expected a 'ir' stream, got 'ast'" ]
}

@test "truncated, garbage and empty input are refused without crashing" {
	mk printf > "$BATS_TEST_TMPDIR/p.ir"
	head -c 100 "$BATS_TEST_TMPDIR/p.ir" > "$BATS_TEST_TMPDIR/t.ir"
	run bt-codegen "$BATS_TEST_TMPDIR/t.ir"
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-codegen: ERROR: "* ]]
	[ "${#lines[@]}" -eq 1 ]
	head -c 2000 /dev/urandom > "$BATS_TEST_TMPDIR/g.ir"
	run bt-codegen "$BATS_TEST_TMPDIR/g.ir"
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-codegen: ERROR: "* ]]
	run bt-codegen < /dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-codegen: ERROR: "* ]]
}

@test "every truncation of a valid stream is refused cleanly" {
	mk maps > "$BATS_TEST_TMPDIR/m.ir"
	local size
	size=$(stat -c %s "$BATS_TEST_TMPDIR/m.ir")
	for n in 1 7 30 200 $((size / 2)) $((size - 1)); do
		head -c "$n" "$BATS_TEST_TMPDIR/m.ir" > "$BATS_TEST_TMPDIR/t.ir"
		run bt-codegen "$BATS_TEST_TMPDIR/t.ir"
		[ "$status" -eq 1 ]
		[[ "$output" == "bt-codegen: ERROR: "* ]]
	done
}

# ---- the object ----

@test "obj stream: header, ELF with BTF maps, programs and license" {
	mk maps > "$BATS_TEST_TMPDIR/m.ir"
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/m.o" "$BATS_TEST_TMPDIR/m.ir" > "$BATS_TEST_TMPDIR/m.obj"
	run bt-fmt --dump "$BATS_TEST_TMPDIR/m.obj"
	[[ "$output" == *'format: "obj"'* ]]
	run bpftool btf dump file "$BATS_TEST_TMPDIR/m.o"
	[ "$status" -eq 0 ]
	[[ "$output" == *"VAR 'AT_c'"* ]]
	[[ "$output" == *"VAR 'ringbuf'"* ]]
	[[ "$output" == *"VAR 'ringbuf_loss'"* ]]
	[[ "$output" == *"DATASEC '.maps'"* ]]
	[[ "$output" == *"FUNC 'prog_0'"* ]]
	run llvm-objdump-16 -h "$BATS_TEST_TMPDIR/m.o"
	[[ "$output" == *"license"* ]]
	[[ "$output" == *"perf_event"* ]]
	[[ "$output" == *".BTF.ext"* ]]
	run llvm-objdump-16 -d "$BATS_TEST_TMPDIR/m.o"
	[ "$status" -eq 0 ]
	[[ "$output" == *"<prog_0>:"* ]]
}

@test "map kinds follow obj.md: per-CPU hash for aggregations, bucket suffix" {
	require_root
	mk maps > "$BATS_TEST_TMPDIR/m.ir"
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/m.o" "$BATS_TEST_TMPDIR/m.ir" > /dev/null
	run bpftool btf dump file "$BATS_TEST_TMPDIR/m.o" format raw
	[ "$status" -eq 0 ]
	# libbpf's view: open and print map definitions
	run "$T/loadobj" "$BATS_TEST_TMPDIR/m.o"
	[ "$status" -eq 0 ]
	run bpftool map list
	[ "$status" -eq 0 ]
}

@test "metadata is copied through, helper_errors filled for -kk" {
	MKIR_K=2 mk maps > "$BATS_TEST_TMPDIR/k.ir"
	bt-codegen "$BATS_TEST_TMPDIR/k.ir" > "$BATS_TEST_TMPDIR/k.obj"
	run bt-fmt --dump "$BATS_TEST_TMPDIR/k.obj"
	[[ "$output" == *'"name": "@c"'* ]]
	[[ "$output" == *'"helper_errors": '*' entries'*'"map_update_elem"'* ]]
	mk maps > "$BATS_TEST_TMPDIR/n.ir"
	bt-codegen "$BATS_TEST_TMPDIR/n.ir" > "$BATS_TEST_TMPDIR/n.obj"
	run bt-fmt --dump "$BATS_TEST_TMPDIR/n.obj"
	[[ "$output" == *'"helper_errors": []'* ]] || [[ "$output" == *'"helper_errors": 0 entries'* ]]
}

@test "output is byte-identical across runs" {
	for c in printf maps bigprintf strings tuples; do
		mk "$c" > "$BATS_TEST_TMPDIR/$c.ir"
		bt-codegen "$BATS_TEST_TMPDIR/$c.ir" > "$BATS_TEST_TMPDIR/a.obj"
		bt-codegen "$BATS_TEST_TMPDIR/$c.ir" > "$BATS_TEST_TMPDIR/b.obj"
		cmp "$BATS_TEST_TMPDIR/a.obj" "$BATS_TEST_TMPDIR/b.obj"
	done
}

@test "--dump prints the optimised IR; --dump-unopt frames both" {
	mk printf > "$BATS_TEST_TMPDIR/p.ir"
	run bt-codegen --dump "$BATS_TEST_TMPDIR/p.ir"
	[ "$status" -eq 0 ]
	[[ "$output" == *"define i32 @prog_0(ptr"* ]]
	[[ "$output" != *"Before optimization"* ]]
	run bt-codegen --dump --dump-unopt "$BATS_TEST_TMPDIR/p.ir"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Before optimization" ]
	[ "${lines[1]}" = "-------------------" ]
	[[ "$output" == *"After optimization"$'\n'"------------------"* ]]
}

@test "--emit-llvm writes the IR before and after optimisation" {
	mk printf > "$BATS_TEST_TMPDIR/p.ir"
	bt-codegen --emit-llvm "$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/p.ir" > /dev/null
	grep -q 'define i32 @prog_0' "$BATS_TEST_TMPDIR/x.original.ll"
	grep -q 'define i32 @prog_0' "$BATS_TEST_TMPDIR/x.optimized.ll"
}

# ---- the verifier accepts what we emit ----

@test "verifier: printf event into the ring buffer" {
	require_root
	mk printf > "$BATS_TEST_TMPDIR/p.ir"
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/p.o" "$BATS_TEST_TMPDIR/p.ir" > /dev/null
	run verify "$BATS_TEST_TMPDIR/p.o"
	[ "$status" -eq 0 ]
	[[ "$output" == "ok raw_tp/BEGIN prog_0 "* ]]
}

@test "verifier: every aggregation and map kind" {
	require_root
	mk maps > "$BATS_TEST_TMPDIR/m.ir"
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/m.o" "$BATS_TEST_TMPDIR/m.ir" > /dev/null
	run verify "$BATS_TEST_TMPDIR/m.o"
	[ "$status" -eq 0 ]
	MKIR_K=2 mk maps > "$BATS_TEST_TMPDIR/k.ir"
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/k.o" "$BATS_TEST_TMPDIR/k.ir" > /dev/null
	run verify "$BATS_TEST_TMPDIR/k.o"
	[ "$status" -eq 0 ]
}

@test "verifier: a printf of 10 strings of 200 bytes loads (scratch map)" {
	require_root
	mk bigprintf > "$BATS_TEST_TMPDIR/b.ir"
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/b.o" "$BATS_TEST_TMPDIR/b.ir" > /dev/null
	run bpftool btf dump file "$BATS_TEST_TMPDIR/b.o"
	[[ "$output" == *"VAR 'scratch'"* ]]
	run verify "$BATS_TEST_TMPDIR/b.o"
	[ "$status" -eq 0 ]
}

@test "verifier: string comparison, strncmp, strcontains" {
	require_root
	mk strings > "$BATS_TEST_TMPDIR/s.ir"
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/s.o" "$BATS_TEST_TMPDIR/s.ir" > /dev/null
	run verify "$BATS_TEST_TMPDIR/s.o"
	[ "$status" -eq 0 ]
}

@test "verifier: tuples as map values" {
	require_root
	mk tuples > "$BATS_TEST_TMPDIR/t.ir"
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/t.o" "$BATS_TEST_TMPDIR/t.ir" > /dev/null
	run verify "$BATS_TEST_TMPDIR/t.o"
	[ "$status" -eq 0 ]
}

# ---- scale ----

@test "1,000 probes compile in a few seconds and load" {
	mk manyprobes 1000 > "$BATS_TEST_TMPDIR/many.ir"
	local start end
	start=$(date +%s%N)
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/many.o" "$BATS_TEST_TMPDIR/many.ir" > /dev/null
	end=$(date +%s%N)
	[ $(( (end - start) / 1000000 )) -lt 8000 ]
	run llvm-objdump-16 -h "$BATS_TEST_TMPDIR/many.o"
	[ "$(grep -c ' perf_event' <<< "$output")" -ge 1 ]
	if [ "$(id -u)" = 0 ]; then
		run verify "$BATS_TEST_TMPDIR/many.o"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 1000 ]
	fi
}

@test "compile time grows linearly with the number of probes" {
	mk manyprobes 100 > "$BATS_TEST_TMPDIR/a.ir"
	mk manyprobes 800 > "$BATS_TEST_TMPDIR/b.ir"
	local t0 t1 t2
	t0=$(date +%s%N)
	bt-codegen "$BATS_TEST_TMPDIR/a.ir" > /dev/null
	t1=$(date +%s%N)
	bt-codegen "$BATS_TEST_TMPDIR/b.ir" > /dev/null
	t2=$(date +%s%N)
	# 8x the probes: well under 8x * 2 the time (fixed costs included)
	[ $(( (t2 - t1) )) -lt $(( (t1 - t0) * 16 + 500000000 )) ]
}
