#!/usr/bin/env bats
# objects.bats - programs written as several BPF objects (ir-spec/obj.md):
# a shared-mode program of more maps than one object holds (bt-codegen
# --object-maps, default 4096; libbpf's own limit is 65,535) is split by
# bt-codegen/link.c into objects that each declare the maps their programs
# use; bt-load opens, loads and attaches them all, a map declared in
# several being one map.  Corrupt multi-object streams are refused in one
# line.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	# the interpreter itself, not a version manager's shell shim, run many
	# times below
	PY=$(python3 -c 'import sys; print(sys.executable)')
	export PY
}

setup() {
	export BPFTRACE_MAX_BPF_PROGS=100000 BPFTRACE_MAX_PROBES=100000
}

# gen_blocks N M: N interval blocks that each count once (guarded by the
# shared map @once) into M maps of their own and into @s, shared by all;
# then exit after 1.5 s.  Every @aI_J ends at 1, @s at N.
gen_blocks() {
	"$PY" - "$1" "$2" <<'EOF'
import sys
n, m = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    print(f"interval:ms:10 /@once[{i}] == 0/ {{ @once[{i}] = 1; @s = count(); "
          + " ".join(f"@a{i}_{j} = count();" for j in range(m)) + " }")
print("interval:ms:1500 { exit(); }")
EOF
}

# 40 blocks of two maps each and an exit: two objects at --object-maps 80
forty_two_map_blocks() {
	for i in $(seq 0 39); do
		echo "interval:ms:10 { @a$i = count(); @b$i = count(); }"
	done
	echo 'interval:ms:100 { exit(); }'
}

# compile NAME [bt-codegen option...]: NAME.obj and NAME.elf (+ .1, .2...)
# from $BATS_TEST_TMPDIR/NAME.bt
compile() {
	local out=$BATS_TEST_TMPDIR/$1
	shift
	bt-parse "$out.bt" | bt-check - > "$out.ir" || return 1
	bt-codegen "$@" --emit-elf "$out.elf" -o "$out.obj" "$out.ir"
}

# nmaps ELF: the maps it declares (symbols of section .maps)
nmaps() {
	local idx
	idx=$(readelf -SW "$1" | sed -n 's/^ *\[ *\([0-9]*\)\] \.maps .*/\1/p')
	readelf -sW "$1" | awk -v i="$idx" '$7 == i' | wc -l
}

# parts OBJ: how many ELF objects the stream holds
parts() {
	bt-fmt --dump "$1" | grep -c '^  elf: '
}

@test "a program of 4,502 maps is written as two objects; it loads, runs and prints every map, the shared ones once" {
	require_root
	gen_blocks 90 50 > "$BATS_TEST_TMPDIR/p.bt"
	compile p
	[ "$(parts "$BATS_TEST_TMPDIR/p.obj")" -eq 2 ]
	[ -f "$BATS_TEST_TMPDIR/p.elf.1" ] && [ ! -e "$BATS_TEST_TMPDIR/p.elf.2" ]
	# each object declares at most 4096 maps; @s and @once in both
	local a b
	a=$(nmaps "$BATS_TEST_TMPDIR/p.elf")
	b=$(nmaps "$BATS_TEST_TMPDIR/p.elf.1")
	[ "$a" -le 4096 ] && [ "$b" -le 4096 ] && [ $((a + b)) -gt 4502 ]
	for f in p.elf p.elf.1; do
		readelf -sW "$BATS_TEST_TMPDIR/$f" | grep -q ' AT_s$'
		readelf -sW "$BATS_TEST_TMPDIR/$f" | grep -q ' AT_once$'
	done
	run --separate-stderr bash -c "timeout 60 bt-load '$BATS_TEST_TMPDIR/p.obj' | bt-fmt"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	# maps of the first object, of the second, and shared
	grep -qx '@a0_0: 1' <<< "$output"
	grep -qx '@a89_49: 1' <<< "$output"
	[ "$(grep -c '^@a[0-9]*_[0-9]*: 1$' <<< "$output")" -eq 4500 ]
	[ "$(grep -c '^@a' <<< "$output")" -eq 4500 ]
	grep -qx '@s: 90' <<< "$output"
	[ "$(grep -c '^@once\[[0-9]*\]: 1$' <<< "$output")" -eq 90 ]
	[ "$(grep -c '^@s:' <<< "$output")" -eq 1 ]
}

@test "--object-maps splits a small program; map operations and async records reach maps of every object" {
	require_root
	{
		for i in $(seq 0 39); do
			echo "interval:ms:10 /@once[$i] == 0/ { @once[$i] = 1; @s = count(); @k$i[$i] = $i; @v$i = $i + 100; }"
		done
		echo 'interval:ms:600 { print(@k0); print(@k39); delete(@k1[1]); clear(@k38); printf("n=%d\n", @v39); exit(); }'
		# maps of the first object, read by a program of the last
		echo 'END { printf("end %d %d\n", @v0, @v1); }'
	} > "$BATS_TEST_TMPDIR/q.bt"
	compile q --object-maps 80
	[ "$(parts "$BATS_TEST_TMPDIR/q.obj")" -ge 2 ]
	run --separate-stderr bash -c "timeout 60 bt-load '$BATS_TEST_TMPDIR/q.obj' | bt-fmt"
	[ "$status" -eq 0 ]
	grep -qx '@k0\[0\]: 0' <<< "$output"
	grep -qx '@k39\[39\]: 39' <<< "$output"
	grep -qx 'n=139' <<< "$output"
	grep -qx 'end 100 101' <<< "$output"
	grep -qx '@v20: 120' <<< "$output"
	grep -qx '@s: 40' <<< "$output"
	! grep -q '^@k1\[' <<< "$output"
	! grep -q '^@k38\[' <<< "$output"
	grep -qx '@k37\[37\]: 37' <<< "$output"
}

@test "a program of more maps than one BPF object holds (70,001) compiles into objects within libbpf's limits" {
	gen_blocks 1400 50 > "$BATS_TEST_TMPDIR/big.bt"
	compile big
	local n f total=0
	n=$(parts "$BATS_TEST_TMPDIR/big.obj")
	[ "$n" -ge 18 ]
	for f in "$BATS_TEST_TMPDIR"/big.elf*; do
		m=$(nmaps "$f")
		[ "$m" -le 4096 ]
		total=$((total + m))
	done
	[ "$total" -gt 70001 ]
	# a BPF object's maps are the VARs of one DATASEC: libbpf opens each part
	run bt-codegen --object-maps 65535 -o "$BATS_TEST_TMPDIR/big2.obj" "$BATS_TEST_TMPDIR/big.ir"
	[ "$status" -eq 0 ]
	[ "$(parts "$BATS_TEST_TMPDIR/big2.obj")" -eq 2 ]
}

@test "a program of more maps than one BPF object holds loads and prints every map" {
	require_root
	# 70,001 maps, 1,401 programs and their attachments are as many open files
	if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 80000 ] &&
	   ! (ulimit -Hn 80000) 2>/dev/null; then
		skip "needs 80,000 open files: the hard RLIMIT_NOFILE is $(ulimit -Hn) and cannot be raised here (no CAP_SYS_RESOURCE)"
	fi
	gen_blocks 1400 50 > "$BATS_TEST_TMPDIR/big.bt"
	compile big --object-maps 65535
	run --separate-stderr bash -c "timeout 110 bt-load '$BATS_TEST_TMPDIR/big.obj' | bt-fmt"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^@a[0-9]*_[0-9]*: 1$' <<< "$output")" -eq 70000 ]
	grep -qx '@s: 1400' <<< "$output"
}

@test "corrupt streams of several objects are refused in one line" {
	require_root
	forty_two_map_blocks > "$BATS_TEST_TMPDIR/c.bt"
	compile c --object-maps 80
	[ "$(parts "$BATS_TEST_TMPDIR/c.obj")" -eq 2 ]
	local edit expect
	while IFS='|' read -r edit expect; do
		"$PY" "$ROOT/tests/load/objparts.py" "$BATS_TEST_TMPDIR/c.obj" "$BATS_TEST_TMPDIR/bad.obj" $edit
		run --separate-stderr bt-load "$BATS_TEST_TMPDIR/bad.obj"
		echo "$edit: $status $stderr"
		[ "$status" -ne 0 ]
		[ "$stderr" = "$expect" ]
		[ "$output" = "" ]
	done <<'EOF'
drop-last|bt-load: ERROR: obj stream: the object announces 2 ELF objects, the stream holds 1
parts=7|bt-load: ERROR: obj stream: the object announces 7 ELF objects, the stream holds 2
parts=0|bt-load: ERROR: obj stream: the object's 'parts' is not a count of ELF objects
parts=two|bt-load: ERROR: obj stream: the object's 'parts' is not a count of ELF objects
parts=1|bt-load: ERROR: obj stream: unexpected record after the object
extra-part|bt-load: ERROR: obj stream: unexpected record after the object
no-elf|bt-load: ERROR: obj stream: part record has no ELF
garbage-part|bt-load: ERROR: obj stream: the object is not a 64-bit BPF ELF
kind=object|bt-load: ERROR: obj stream: expected a 'part' record (1 of 2 ELF objects read)
EOF
	# the same part twice: its programs are in two objects
	"$PY" "$ROOT/tests/load/objparts.py" "$BATS_TEST_TMPDIR/c.obj" "$BATS_TEST_TMPDIR/bad.obj" dup-part
	run --separate-stderr bt-load "$BATS_TEST_TMPDIR/bad.obj"
	[ "$status" -eq 255 ]
	[[ "$stderr" =~ ^"ERROR: corrupt obj stream (program '".*"' is in two objects)"$ ]]
	# a program in no object
	"$PY" "$ROOT/tests/load/objparts.py" "$BATS_TEST_TMPDIR/c.obj" "$BATS_TEST_TMPDIR/bad.obj" drop-last parts=1
	run --separate-stderr bt-load "$BATS_TEST_TMPDIR/bad.obj"
	[ "$status" -eq 1 ]
	[[ "$stderr" =~ ^"bt-load: ERROR: obj stream: probe 'interval:ms:10': its program '".*"' is not in the BPF object"$ ]]
}

@test "the interpreter refuses a program of several objects in one line" {
	forty_two_map_blocks > "$BATS_TEST_TMPDIR/i.bt"
	compile i --object-maps 80
	run --separate-stderr bt-load --interpret "$BATS_TEST_TMPDIR/i.obj"
	[ "$status" -ne 0 ]
	[ "$stderr" = "ERROR: a program written as 2 BPF objects (more maps or sections than one object holds) cannot be interpreted" ]
}

@test "bt-load raises its open-file limit to what the objects need, or says what they need" {
	require_root
	gen_blocks 90 50 > "$BATS_TEST_TMPDIR/f.bt"
	compile f
	# a soft limit below the need: raised up to the hard one
	run --separate-stderr bash -c "ulimit -Sn 300 && timeout 60 bt-load '$BATS_TEST_TMPDIR/f.obj' | bt-fmt"
	[ "$status" -eq 0 ]
	grep -qx '@s: 90' <<< "$output"
	# a hard limit below it: one line with the need and the limit
	run --separate-stderr bash -c "ulimit -n 300 && bt-load '$BATS_TEST_TMPDIR/f.obj'"
	[ "$status" -eq 255 ]
	[[ "$stderr" =~ ^"ERROR: Error loading program: too many open files: it needs about "[0-9]+", the limit is 300 (RLIMIT_NOFILE; raising it past the hard limit needs CAP_SYS_RESOURCE)"$ ]]
}
