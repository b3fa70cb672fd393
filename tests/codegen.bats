#!/usr/bin/env bats
# codegen.bats - bt-codegen: ir in, obj out.
#
# Unit level: hand-built ir streams (tests/codegen/mkir.c) compiled and
# loaded into the kernel's verifier without attaching
# (tests/codegen/loadobj.c).  Pipeline level: programs of the reference
# guide through bt-parse | bt-check | bt-codegen, loaded the same way, and
# BEGIN programs run through bt-load | bt-fmt to check computed values.

load helpers

T="$BT/tests"   # mkir, irmut, loadobj: tests/codegen/*.c, built by the Makefile

have_runtime() {
	require_root
}

# Run PROG through the whole pipeline; output of bt-fmt in $output.
run_prog() {
	local prog="$1"
	bt-parse -e "$prog" | bt-check --unsafe > "$BATS_TEST_TMPDIR/r.ir" &&
		bt-codegen "$BATS_TEST_TMPDIR/r.ir" > "$BATS_TEST_TMPDIR/r.obj" || return 1
	run bash -c "timeout 20 bt-load < '$BATS_TEST_TMPDIR/r.obj' | bt-fmt"
}

# Load every program of an ELF object (the verifier runs, nothing is
# attached); fentry/fexit programs are refused by this kernel (EPERM).
verify() {
	"$T/loadobj" "$1" --skip-type fentry --skip-type fexit
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

@test "printf: the ring is asked how much is pending only when the CPU's countdown (ringbuf_sent) runs out" {
	compile 'BEGIN { $i = 0; while ($i < 600) { printf("%d\n", $i); $i++; } exit(); }'
	run bpftool btf dump file "$BATS_TEST_TMPDIR/p.o"
	[[ "$output" == *"VAR 'ringbuf_sent'"* ]]
	require_root
	# 600 records in one run cross the 4 KiB countdown: none is lost
	run bash -c "timeout 20 bt-load '$BATS_TEST_TMPDIR/p.obj' | bt-fmt"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 601 ]
	[ "${lines[600]}" = "599" ]
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

@test "1,000 probes compile and load" {
	mk manyprobes 1000 > "$BATS_TEST_TMPDIR/many.ir"
	local start end
	start=$(date +%s%N)
	bt-codegen --emit-elf "$BATS_TEST_TMPDIR/many.o" "$BATS_TEST_TMPDIR/many.ir" > /dev/null
	end=$(date +%s%N)
	# reported, not asserted: make bench measures compile time
	echo "# 1,000 probes: $(( (end - start) / 1000000 )) ms" >&3
	run llvm-objdump-16 -h "$BATS_TEST_TMPDIR/many.o"
	[ "$(grep -c ' perf_event' <<< "$output")" -ge 1 ]
	if [ "$(id -u)" = 0 ]; then
		run verify "$BATS_TEST_TMPDIR/many.o"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 1000 ]
	fi
}

# ---- robustness ----

@test "mutated ir streams are refused with one line or compiled, never a crash" {
	codegen_survives_mutations
}

# What bt-check passes, bt-codegen compiles: calls without a value in
# every place a value is read are refused by the checker (one clean error),
# never by codegen.
@test "calls without a value: refused by bt-check or compiled, never a codegen error" {
	local call ctx prog n=0
	for call in 'exit()' 'delete(@a[1])' 'print(1)' 'clear(@a)' 'zero(@a)' 'time()' 'cat("/x")' 'printf("x")' 'join(0)'; do
		for ctx in 'if (X) { }' 'while (X) { }' '$v = X;' '@m = X;' '@m[X] = 1;' '$v = X ? 1 : 2;' \
			'$v = 1 ? X : 2;' '$v = X + 1;' '$v = 1 == X;' '$v = !X;' '$v = -X;' '$v = (uint8)X;' \
			'$v = str(X);' '$v = (X, 1);' 'printf("%d", X);' '@h = hist(X);' '$v = ksym(X);' \
			'$v = X && 1;' '$v = X[0];' '$v = X.a;' '$v = *X;' 'print(X);'; do
			prog="BEGIN { @a[1] = 1; ${ctx//X/$call} }"
			bt-parse -e "$prog" > "$BATS_TEST_TMPDIR/n.ast" || continue
			if bt-check --unsafe "$BATS_TEST_TMPDIR/n.ast" > "$BATS_TEST_TMPDIR/n.ir" 2>/dev/null; then
				run bt-codegen "$BATS_TEST_TMPDIR/n.ir"
				[ "$status" -eq 0 ] || { echo "codegen failed on: $prog"; echo "$output"; return 1; }
			fi
			n=$((n + 1))
		done
	done
	[ "$n" -gt 150 ]
}

# ---- whole pipeline: the reference guide and the tutorial ----

@test "every guide and tutorial program compiles the same twice and passes the verifier, except the listed refusals" {
	local dir="$ROOT/tests/fixtures/guide_programs"
	run "$ROOT/tests/codegen/guide.sh" "$dir" "$BT" "$T/loadobj" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/results"
	# every program not listed in REFUSED is ok; each listed one is refused
	# with its message ('kernel' ones may compile on another kernel)
	awk -F'\t' '
		FNR == NR { if ($0 !~ /^#/ && NF >= 3) { cls[$1] = $2; msg[$1] = $3 } next }
		{
			f = $1; line = $0; sub(/^[^ ]* /, "", line)
			if (line == "ok") {
				if (cls[f] == "guide") { print f ": compiled, but REFUSED lists it as refused everywhere"; bad++ }
			} else if (!(f in msg)) {
				print f ": " line " (not listed in REFUSED)"; bad++
			} else if (index(line, msg[f]) == 0 || line ~ /^FAIL/) {
				print f ": " line " (REFUSED expects: " msg[f] ")"; bad++
			}
			seen[f] = 1
		}
		END {
			for (f in cls) if (!(f in seen)) { print f ": listed in REFUSED but not in MANIFEST"; bad++ }
			exit bad > 0
		}' "$dir/REFUSED" FS=' ' "$BATS_TEST_TMPDIR/results"
	[ "$(grep -c ' ok$' "$BATS_TEST_TMPDIR/results")" -ge 120 ]
}

@test "maps: the maps of 200 probes are VARs of one .maps DATASEC (no placeholder left)" {
	# 200 probes with a map each: every map a VAR of the .maps DATASEC
	prog=$(for i in $(seq 200); do printf 'interval:ms:%d { @m%d[pid] = count(); }\n' "$i" "$i"; done)
	BPFTRACE_MAX_BPF_PROGS=1000 BPFTRACE_MAX_PROBES=1000 compile "$prog"
	run llvm-readelf-16 -S "$BATS_TEST_TMPDIR/p.o"
	[[ "$output" == *" .maps "* ]]
	[[ "$output" != *"#maps"* ]]
	run bpftool btf dump file "$BATS_TEST_TMPDIR/p.o"
	[ "$status" -eq 0 ]
	[ "$(grep -c "DATASEC '.maps'" <<< "$output")" -eq 1 ]
	[ "$(grep -c "^\[[0-9]*\] VAR 'AT_m" <<< "$output")" -eq 200 ]
	[[ "$output" != *"#maps"* ]]
}

@test "syscalls:sys_enter_* with @[probe] compiles to one raw tracepoint program" {
	compile 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); }'
	run llvm-objdump-16 -h "$BATS_TEST_TMPDIR/p.o"
	[ "$(grep -c ' raw_tp/sys_enter ' <<< "$output")" -eq 1 ]
	[ "$(grep -c ' tracepoint/' <<< "$output")" -eq 0 ]
	if [ "$(id -u)" = 0 ]; then
		run verify "$BATS_TEST_TMPDIR/p.o"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 1 ]
	fi
}

@test "a block that reads args on one syscall stays a tracepoint program" {
	compile 'tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args.filename)); }'
	run llvm-objdump-16 -h "$BATS_TEST_TMPDIR/p.o"
	[[ "$output" == *"tracepoint/syscalls/sys_enter_openat"* ]]
}

# ---- whole pipeline: values computed in BPF ----

@test "runtime: integer semantics (unsigned / and %, logical >>, casts)" {
	have_runtime
	run_prog 'BEGIN { printf("%d %d %d %d\n", 5 / 2, 7 % 3, -1 >> 60, (uint64)-1 > 1); printf("%d %d %d %d\n", (uint8)300, (int8)255, (int64)(uint8)255, (uint64)(int8)-1); exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 1 15 1"* ]]
	[[ "$output" == *"44 -1 -1 255"* ]]
}

@test "runtime: while/break/continue, unroll, ternary, short-circuit" {
	have_runtime
	run_prog 'BEGIN { $x = 0; $i = 0; while ($i < 10) { $i++; if ($i == 3) { continue; } if ($i == 8) { break; } $x += $i; } unroll(3) { $x = $x * 2; } $y = (0 && @z++) || (1 || @w++); printf("%d %d %s %d\n", $x, $i, $x > 100 ? "big" : "small", $y); exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"200 8 big 1"* ]]
	[[ "$output" != *"@z"* ]]
	[[ "$output" != *"@w"* ]]
}

@test "variables: a block's reads and writes stay in SSA, one store at its end" {
	bt-parse -e 'BEGIN { $x = 1; $x = $x + 2; $x = $x * 3; printf("%d\n", $x); }' |
		bt-check > "$BATS_TEST_TMPDIR/v.ir"
	bt-codegen --dump --dump-unopt "$BATS_TEST_TMPDIR/v.ir" |
		sed '/^After optimization/q' > "$BATS_TEST_TMPDIR/v.ll"
	! grep -q 'load i64, ptr %var' "$BATS_TEST_TMPDIR/v.ll"
	[ "$(grep -c 'store i64 [0-9]*, ptr %var' "$BATS_TEST_TMPDIR/v.ll")" -eq 2 ] # 0 at entry, 9
	grep -q 'store i64 9, ptr %var' "$BATS_TEST_TMPDIR/v.ll"
}

@test "helper results and loads from map values are never undef: no freeze for LLVM to question" {
	local p='BEGIN { $x = 0;' i
	for i in 1 2 3 4 5; do p="$p printf(\"%d\\n\", \$x);"; done
	bt-parse -e "$p }" | bt-check > "$BATS_TEST_TMPDIR/f.ir"
	bt-codegen --dump --dump-unopt "$BATS_TEST_TMPDIR/f.ir" > "$BATS_TEST_TMPDIR/f.ll"
	sed '/^After optimization/q' "$BATS_TEST_TMPDIR/f.ll" > "$BATS_TEST_TMPDIR/before.ll"
	grep -q 'call noundef ptr inttoptr (i64 1 to ptr)(ptr @ringbuf_loss' "$BATS_TEST_TMPDIR/before.ll"
	grep -q 'load i64, ptr %[0-9]*, align 8, !noundef' "$BATS_TEST_TMPDIR/before.ll"
	# the stack keeps LLVM's own reasoning
	! grep -q 'ptr %frame[0-9]*, align [0-9]*, !noundef' "$BATS_TEST_TMPDIR/before.ll"
	! grep -q freeze "$BATS_TEST_TMPDIR/f.ll"
}

@test "the frame's pieces are addressed inbounds already (InstCombine rewrote each, rescanning the frame)" {
	bt-parse -e 'BEGIN { printf("%d %s\n", 1, "a"); @[1, 2] = count(); }' | bt-check > "$BATS_TEST_TMPDIR/g.ir"
	bt-codegen --dump --dump-unopt "$BATS_TEST_TMPDIR/g.ir" | sed '/^After optimization/q' > "$BATS_TEST_TMPDIR/g.ll"
	grep -q 'getelementptr inbounds i8, ptr %frame[0-9]*, i64 [1-9]' "$BATS_TEST_TMPDIR/g.ll"
}

@test "a body of 1,000 printf compiles and loads: its cold blocks stay next to their statements" {
	local p='BEGIN { $x = 1;' i
	for i in $(seq 1 1000); do p="$p printf(\"%d\\n\", \$x);"; done
	bt-parse -e "$p }" | bt-check > "$BATS_TEST_TMPDIR/b.ir"
	run bt-codegen --emit-elf "$BATS_TEST_TMPDIR/b.o" -o "$BATS_TEST_TMPDIR/b.obj" "$BATS_TEST_TMPDIR/b.ir"
	[ "$status" -eq 0 ]
	if [ "$(id -u)" = 0 ]; then
		run verify "$BATS_TEST_TMPDIR/b.o"
		[ "$status" -eq 0 ]
	fi
}

@test "a jump longer than BPF can encode is one error line and status 1, not LLVM's abort" {
	local p='BEGIN { $x = 1; if (nsecs > 0) {' i
	for i in $(seq 1 1200); do p="$p printf(\"%d\\n\", \$x);"; done
	bt-parse -e "$p } }" | bt-check > "$BATS_TEST_TMPDIR/j.ir"
	run bt-codegen -o "$BATS_TEST_TMPDIR/j.obj" "$BATS_TEST_TMPDIR/j.ir"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "bt-codegen: ERROR: LLVM: Branch target out of insn range" ]
	[ ! -e "$BATS_TEST_TMPDIR/j.obj" ]
}

@test "runtime: variables written in one block and read in another" {
	have_runtime
	run_prog 'BEGIN { $x = 1; $y = 0; if ($x == 1) { $x = $x + 10; } else { $x = 5; $y = 1; } $z = $x; while ($z < 20) { $z = $z + 1; $x = $x + $z; } @m = 1; $w = $x; @m = @m + 1; printf("%d %d %d %d\n", $x, $y, $z, $w + @m); exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"155 0 20 157"* ]]
}

@test "runtime: strings, strncmp, strcontains, tuples" {
	have_runtime
	run_prog 'BEGIN { $s = "hello world"; $t = (1, "abc", (int8)-2); printf("%d %d %d %d %d %d|%d %s %d\n", $s == "hello world", $s != "hello", strncmp($s, "help", 3), strncmp($s, "help", 4), strcontains($s, "lo w"), strcontains($s, "xyz"), $t.0, $t.1, $t.2); exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 1 0 1 1 0|1 abc -2"* ]]
}

@test "runtime: aggregations and map functions" {
	have_runtime
	run_prog 'BEGIN { @c = count(); @c = count(); @s = sum(5); @s = sum(-10); @mn = min(4); @mn = min(2); @mx = max(3); @mx = max(9); @a = avg(10); @a = avg(20); @x++; @x++; @k[1] = 1; @k[2] = 2; printf("len %d\n", len(@k)); delete(@k[1]); exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"len 2"* ]]
	[[ "$output" == *"@a: 15"* ]]
	[[ "$output" == *"@c: 2"* ]]
	[[ "$output" == *"@k[2]: 2"* ]]
	[[ "$output" != *"@k[1]"* ]]
	[[ "$output" == *"@mn: 2"* ]]
	[[ "$output" == *"@mx: 9"* ]]
	[[ "$output" == *"@s: -5"* ]]
	[[ "$output" == *"@x: 2"* ]]
}

@test "runtime: hist and lhist buckets" {
	have_runtime
	run_prog 'BEGIN { @h = hist(0); @h = hist(1); @h = hist(1000); @h = hist(-5); @l = lhist(5, 0, 10, 2); @l = lhist(10, 0, 10, 2); exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"(..., 0)"*"1 |"* ]]
	[[ "$output" == *"[512, 1K)"*"1 |"* ]]
	[[ "$output" == *"[4, 6)"*"1 |"* ]]
	[[ "$output" == *"[10, ...)"*"1 |"* ]]
}

@test "runtime: struct fields through pointers, array casts, ntop, bswap" {
	have_runtime
	run_prog 'BEGIN { $a = (int8[8])12345; printf("%x %x %d|%d|%s|%x\n", $a[0], $a[1], (uint64)$a, curtask->pid == pid, ntop(0x0100007f), bswap((uint16)0x1234)); exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"39 30 12345|1|127.0.0.1|3412"* ]]
}

@test "runtime: a tracepoint block on every syscall counts per probe" {
	have_runtime
	ensure_tracefs
	run_prog 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); } interval:ms:300 { exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"@[tracepoint:syscalls:sys_enter_"*"]: "* ]]
}

@test "runtime: iter printf goes through seq_printf" {
	have_runtime
	run_prog 'iter:task { printf("%s:%d\n", ctx->task->comm, ctx->task->pid); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"kthreadd:2"* ]]
	[[ "$output" != *$'\n:0'* ]]
}

@test "a program whose spills overflow the stack is recompiled with buffers in scratch" {
	local p='kprobe:vfs_read { $s1 = str(arg0); $s2 = str(arg1); $s3 = comm;' i
	for i in $(seq 1 70); do p="$p \$v$i = nsecs;"; done
	p="$p printf(\"%s %s %s\\n\", \$s1, \$s2, \$s3);"
	for i in $(seq 1 70); do p="$p @[\$v$i] = count();"; done
	p="$p }"
	compile "$p" 2>/dev/null
	run bpftool btf dump file "$BATS_TEST_TMPDIR/p.o"
	[[ "$output" == *"VAR 'scratch'"* ]]
	if [ "$(id -u)" = 0 ]; then
		run verify "$BATS_TEST_TMPDIR/p.o"
		[ "$status" -eq 0 ]
	fi
}

# Each call of bpf_get_current_comm (helper 16) in the optimised IR: was
# its buffer set to zero first?  Prints "zeroed BUF" or "NOT zeroed BUF".
comm_buffers_zeroed() {
	awk '
	/call void @llvm.memset/ && /i8 0, i64/ {
		match($0, /ptr nonnull( align [0-9]+)? %[A-Za-z0-9_.]+/)
		p = substr($0, RSTART, RLENGTH); sub(/.*%/, "", p); zero[p] = 1
	}
	/inttoptr \(i64 16 to ptr\)/ {
		match($0, /\(ptr nonnull %[A-Za-z0-9_.]+/)
		p = substr($0, RSTART, RLENGTH); sub(/.*%/, "", p)
		print (zero[p] ? "zeroed " : "NOT zeroed ") p
	}'
}

@test "comm: its buffer is zeroed before bpf_get_current_comm (6.1 leaves the tail)" {
	ensure_tracefs
	local p
	for p in 'tracepoint:syscalls:sys_enter_getpid { @[comm] = count(); }' \
		'tracepoint:syscalls:sys_enter_getpid /comm == "bash"/ { @x = count(); }' \
		'tracepoint:syscalls:sys_enter_getpid { @[comm, pid] = count(); $c = comm; @s[$c] = 1; }'; do
		bt-parse -e "$p" | bt-check | bt-codegen --dump > "$BATS_TEST_TMPDIR/c.ll"
		run comm_buffers_zeroed < "$BATS_TEST_TMPDIR/c.ll"
		echo "$p: $output"
		[[ "$output" == *"zeroed "* ]]
		[[ "$output" != *"NOT zeroed"* ]]
	done
}

@test "func in a uprobe reads the saved ip (bpf_get_func_ip gives 0 there before 6.4)" {
	local prog="$TP/uprobe_test"
	[ -x "$prog" ] || fail_missing_testprogs
	bt-parse -e "uprobe:$prog:function1 { @[func] = count(); } uretprobe:$prog:function1 { print(func); }" |
		bt-check | bt-codegen --dump > "$BATS_TEST_TMPDIR/u.ll"
	grep -q 'define i32 @uprobe' "$BATS_TEST_TMPDIR/u.ll"
	run grep -c 'inttoptr (i64 173 to ptr)' "$BATS_TEST_TMPDIR/u.ll"
	[ "$output" = 0 ]
	# kprobes keep the helper (the function's address, also in a kretprobe)
	bt-parse -e 'kprobe:vfs_read { @[func] = count(); }' | bt-check --no-warnings |
		bt-codegen --dump > "$BATS_TEST_TMPDIR/k.ll"
	grep -q 'inttoptr (i64 173 to ptr)' "$BATS_TEST_TMPDIR/k.ll"
}

@test "-k: a helper's error is judged on its low 32 bits (6.1's map ops return int: -ENOENT is 0xfffffffe)" {
	bt-parse -e 'BEGIN { @[1] = 1; delete(@[2]); exit(); }' | bt-check -k | bt-codegen --dump > "$BATS_TEST_TMPDIR/k.ll"
	run grep -A2 'call noundef i64 inttoptr (i64 3 to ptr)' "$BATS_TEST_TMPDIR/k.ll"
	echo "$output"
	[[ "${lines[1]}" =~ trunc\ i64\ %([0-9]+)\ to\ i32 ]]
	[[ "${lines[2]}" == *"icmp slt i32 %"* ]]
	if [ "$(id -u)" = 0 ]; then
		run "$ROOT/bpftrace" -k -e 'BEGIN { @[1] = 1; delete(@[2]); exit(); }'
		[[ "$output" == *"WARNING: Can't delete map element because it does not exist."* ]]
	fi
}

# Makefile: lld lays out the functions of bt-codegen/hot_functions.txt
# first and together, so a compile maps a few MiB of LLVM's code, not all
# of it.  A list gone stale (LLVM or bt-codegen changed) fails here:
# `make hot-functions` makes it again.
@test "bt-codegen's hot functions are laid out together at the start of its code" {
	command -v ld.lld >/dev/null || skip "no ld.lld: bt-codegen is linked without the ordering"
	run python3 - "$ROOT/bt-codegen/hot_functions.txt" "$BT/bt-codegen" <<-'PY'
	import subprocess, sys
	listed = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
	syms, text = {}, None
	for line in subprocess.run(["nm", "-S", "--defined-only", sys.argv[2]],
	                           capture_output=True, text=True, check=True).stdout.splitlines():
	    p = line.split()
	    if len(p) == 4 and p[2] in "tTwW":
	        syms[p[3]] = (int(p[0], 16), int(p[1], 16))
	for line in subprocess.run(["readelf", "-SW", sys.argv[2]], capture_output=True,
	                           text=True, check=True).stdout.splitlines():
	    p = line.replace("[ ", "[").split()
	    if len(p) > 4 and p[1] == ".text":
	        text = int(p[3], 16)
	found = [syms[n] for n in listed if n in syms]
	size = sum(s for _, s in found)
	end = max(a + s for a, s in found)
	print(f"{len(found)} of {len(listed)} listed defined, {size >> 10} KiB, "
	      f"they end {(end - text) >> 10} KiB into .text")
	assert len(found) >= 0.95 * len(listed), "the list names functions bt-codegen lacks"
	assert end - text <= 1.25 * size + (256 << 10), "the listed functions are not together"
	PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a stream ends at its end record: what follows it is not read (ir-spec/README.md)" {
	bt-parse -e 'BEGIN { @a = 1; }' | bt-check > "$BATS_TEST_TMPDIR/a.ir"
	bt-parse -e 'BEGIN { @b = 2; } END { @c = 3; }' | bt-check > "$BATS_TEST_TMPDIR/b.ir"
	bt-codegen "$BATS_TEST_TMPDIR/a.ir" > "$BATS_TEST_TMPDIR/a.obj"
	cat "$BATS_TEST_TMPDIR/a.ir" "$BATS_TEST_TMPDIR/b.ir" | bt-codegen > "$BATS_TEST_TMPDIR/ab.obj"
	cmp "$BATS_TEST_TMPDIR/a.obj" "$BATS_TEST_TMPDIR/ab.obj"
}
