#!/usr/bin/env bats
# shapes.bats - bt-codegen's shared mode (bt-codegen/shapes.c, link.c):
# from --share-from N probe blocks on, blocks of one shape are compiled
# once and copied, each copy with its own maps and integers; the objects
# load and behave as those compiled block by block.  And the size limit
# of the ir record bt-codegen reads.

load helpers
bats_require_minimum_version 1.5.0

T="$BT/tests"   # loadobj, mkir, irmut

setup() {
	export BPFTRACE_MAX_BPF_PROGS=100000 BPFTRACE_MAX_PROBES=100000
}

# N blocks of one shape, as tests/bench/stages.py's gen_probes; $2
# replaces pid in the condition (an interval probe on an idle CPU sees
# pid 0, so `pid > i` may never hold).
gen_probes() {
	local i
	for ((i = 0; i < $1; i++)); do
		printf 'interval:ms:%d { @c%d[pid] = count(); if (%s > %d) { printf("%%d %%s\\n", tid, comm); } }\n' \
			$((i + 1)) $i "${2:-pid}" $i
	done
}

# compile PROG NAME [bt-codegen option...]: NAME.o (ELF), NAME.optimized.ll
compile() {
	local prog=$1 out=$BATS_TEST_TMPDIR/$2
	shift 2
	bt-parse -e "$prog" | bt-check - > "$out.ir" || return 1
	bt-codegen "$@" --emit-elf "$out.o" --emit-llvm "$out" "$out.ir" > "$out.obj"
}

@test "40 blocks of one shape: LLVM compiles 2 functions, the object holds 40 programs and 40 maps" {
	compile "$(gen_probes 40)" p
	# block 0 differs: its constants are 0, which stay literals
	[ "$(grep -c '^define' "$BATS_TEST_TMPDIR/p.optimized.ll")" -eq 2 ]
	run readelf -sW "$BATS_TEST_TMPDIR/p.o"
	[ "$(grep -c ' FUNC  *GLOBAL .* interval_ms_' <<< "$output")" -eq 40 ]
	[ "$(grep -c ' OBJECT  *GLOBAL .* AT_c' <<< "$output")" -eq 40 ]
	[[ "$output" != *__bt_p* ]]
	run bpftool btf dump file "$BATS_TEST_TMPDIR/p.o"
	[ "$status" -eq 0 ]
	[ "$(grep -c "^\[[0-9]*\] FUNC 'interval_ms_" <<< "$output")" -eq 40 ]
	[ "$(grep -c "^\[[0-9]*\] VAR 'AT_c" <<< "$output")" -eq 40 ]
	[ "$(grep -c "DATASEC '.maps'" <<< "$output")" -eq 1 ]
	if [ "$(id -u)" = 0 ]; then
		run "$T/loadobj" "$BATS_TEST_TMPDIR/p.o"
		[ "$status" -eq 0 ]
	fi
}

@test "below --share-from every block is its own function, as before" {
	compile "$(gen_probes 3)" a
	[ "$(grep -c '^define' "$BATS_TEST_TMPDIR/a.optimized.ll")" -eq 3 ]
	compile "$(gen_probes 3)" b --share-from 0
	cmp "$BATS_TEST_TMPDIR/a.obj" "$BATS_TEST_TMPDIR/b.obj"
	compile "$(gen_probes 3)" c --share-from 3
	[ "$(grep -c '^define' "$BATS_TEST_TMPDIR/c.optimized.ll")" -eq 2 ]
}

@test "each copy has its own integers and maps in its instructions" {
	compile "$(gen_probes 40)" p
	run llvm-objdump-16 -dr --no-show-raw-insn "$BATS_TEST_TMPDIR/p.o"
	[ "$status" -eq 0 ]
	# the copy of block 17: `pid > 17` and printf id 17, map @c17
	local f
	f=$(awk '/^[0-9a-f]+ <interval_ms_18_/ {p = 1; next} /^[0-9a-f]+ </ {p = 0} p' <<< "$output")
	[ "$(grep -c 'r1 = 0x11 ll' <<< "$f")" -ge 2 ]
	[[ "$f" == *"R_BPF_64_64"*"AT_c17"* ]]
	[[ "$f" != *"AT_c16"* ]]
}

@test "shared and block-by-block objects print the same (interpreted)" {
	local prog i
	prog=$(for ((i = 0; i < 40; i++)); do
		printf 'interval:ms:%d { @m%d[%d] = %d; if (@s%d == 0) { printf("b%%d %%d\\n", %d, %d + 100); @s%d = 1; } }\n' \
			$((i + 1)) $i $i $((i * 7)) $i $i $i $i
	done; echo 'interval:ms:100 { exit(); }')
	compile "$prog" s
	compile "$prog" n --share-from 0
	bt-load --interpret "$BATS_TEST_TMPDIR/s.obj" | bt-fmt | sort > "$BATS_TEST_TMPDIR/s.out"
	bt-load --interpret "$BATS_TEST_TMPDIR/n.obj" | bt-fmt | sort > "$BATS_TEST_TMPDIR/n.out"
	cmp "$BATS_TEST_TMPDIR/s.out" "$BATS_TEST_TMPDIR/n.out"
	grep -qx 'b17 117' "$BATS_TEST_TMPDIR/s.out"
	grep -qx '@m17\[17\]: 119' "$BATS_TEST_TMPDIR/s.out"
	grep -qx '@m0\[0\]: 0' "$BATS_TEST_TMPDIR/s.out"
}

@test "every program of tests/interp/programs prints the same compiled shared (--share-from 1)" {
	# (a program whose output depends on timing is run again: up to 3 times)
	local n=0 bad=0 p s try
	while IFS= read -r p; do
		case $p in '#'* | '') continue ;; esac
		n=$((n + 1))
		for s in 0 1; do
			{ bt-parse -e "$p" | bt-check - | bt-codegen --share-from $s - \
				> "$BATS_TEST_TMPDIR/$s.obj"; } 2>/dev/null || true
		done
		for try in 1 2 3; do
			for s in 0 1; do
				{ timeout 20 bt-load --interpret "$BATS_TEST_TMPDIR/$s.obj" 2>&1 | bt-fmt \
					> "$BATS_TEST_TMPDIR/$s.out" 2>&1; } || true
			done
			cmp -s "$BATS_TEST_TMPDIR/0.out" "$BATS_TEST_TMPDIR/1.out" && break
		done
		if ! cmp -s "$BATS_TEST_TMPDIR/0.out" "$BATS_TEST_TMPDIR/1.out"; then
			echo "differs: $p"
			diff "$BATS_TEST_TMPDIR/0.out" "$BATS_TEST_TMPDIR/1.out" | head -5 || true
			bad=$((bad + 1))
		fi
	done < "$ROOT/tests/interp/programs"
	[ "$n" -ge 60 ]
	[ "$bad" -eq 0 ]
}

@test "every guide program compiled shared passes the verifier as compiled block by block" {
	local dir="$ROOT/tests/fixtures/guide_programs"
	mkdir -p "$BATS_TEST_TMPDIR/n" "$BATS_TEST_TMPDIR/s"
	"$ROOT/tests/codegen/guide.sh" "$dir" "$BT" "$T/loadobj" "$BATS_TEST_TMPDIR/n" > "$BATS_TEST_TMPDIR/n.res"
	"$ROOT/tests/codegen/guide.sh" "$dir" "$BT" "$T/loadobj" "$BATS_TEST_TMPDIR/s" --share-from 1 \
		> "$BATS_TEST_TMPDIR/s.res"
	diff "$BATS_TEST_TMPDIR/n.res" "$BATS_TEST_TMPDIR/s.res"
	[ "$(grep -c ' ok$' "$BATS_TEST_TMPDIR/s.res")" -ge 120 ]
}

@test "runtime: 40 blocks of one shape count into their own maps and print" {
	require_root
	compile "$(gen_probes 40 nsecs; echo 'interval:ms:300 { exit(); }')" p
	run bash -c "timeout 60 bt-load '$BATS_TEST_TMPDIR/p.obj' | bt-fmt"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^@c[0-9]*\[' <<< "$output")" -ge 40 ]
	[ "$(grep -c '^@c39\[' <<< "$output")" -ge 1 ]
	grep -q '^[0-9]* [^ ]' <<< "$output"
}

@test "mutated ir streams compiled shared are refused with one line or compiled, never a crash" {
	codegen_survives_mutations --share-from 1
}

@test "a program of more maps than a BPF object holds is refused in one line" {
	python3 -c "print('BEGIN {' + ' '.join(f'@a{i} = 1;' for i in range(65600)) + ' }')" \
		> "$BATS_TEST_TMPDIR/maps.bt"
	bt-parse "$BATS_TEST_TMPDIR/maps.bt" | bt-check - > "$BATS_TEST_TMPDIR/maps.ir"
	run --separate-stderr bt-codegen -o /dev/null "$BATS_TEST_TMPDIR/maps.ir"
	[ "$status" -eq 1 ]
	[ "$stderr" = "bt-codegen: ERROR: too many maps: 65600 (a BPF object holds at most 65519, bt-codegen's own included)" ]
}

@test "an ir record over 256 MiB is refused at once in one line" {
	# a stream header, then a record that announces 300 MiB and holds 257
	python3 - "$BATS_TEST_TMPDIR/big.ir" <<'EOF'
import struct, sys
def s(x):
    return bytes([0xa0 | len(x)]) + x.encode()
hdr = bytes([0x84]) + s("format") + s("ir") + s("version") + b"\x01" + \
      s("filename") + s("x") + s("source") + b"\xc4\x00"
with open(sys.argv[1], "wb") as f:
    f.write(hdr + bytes([0x81]) + s("t") + b"\xc6" + struct.pack(">I", 300 << 20))
    f.write(bytes(257 << 20))
EOF
	run --separate-stderr bt-codegen -o /dev/null "$BATS_TEST_TMPDIR/big.ir"
	[ "$status" -eq 1 ]
	[ "$stderr" = "bt-codegen: ERROR: program too large: its ir stream holds a record of more than 256 MiB" ]
}
