#!/usr/bin/env bats
# interp.bats - bt-load's userspace BPF interpreter (--interpret): its unit
# tests and a bounded fuzz run, then every program of tests/interp/programs
# run both in the kernel and interpreted as an unprivileged user (nobody),
# outputs compared byte for byte, text and JSON; what it refuses.
load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d)
	chmod 755 "$TMP"
	NOBODY=()
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
}

teardown() {
	rm -rf "$TMP"
}

# Run a command as nobody when we are root (the interpreter needs no
# privilege: prove it), else as ourselves.
as_nobody() {
	"${NOBODY[@]}" "$@"
}

compile() {   # compile PROGRAM OBJ
	"$BT/bt-parse" -e "$1" | "$BT/bt-check" - | "$BT/bt-codegen" - > "$2"
	chmod 644 "$2"
}

@test "interpreter unit tests: semantics, bounds, budget, decoding, maps, helpers" {
	run "$BT/unit/interp_test"
	echo "$output" | grep -v '^ok ' || true
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 failure(s)"* ]]
}

@test "fuzz: random instruction streams neither crash nor hang (bounded run)" {
	run "$BT/unit/interp_fuzz" 7 20000
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "20000 programs, "*" decoded, "* ]]
}

@test "every BEGIN/END/interval program of the fixture runs the same in the kernel and interpreted" {
	require_root
	local n=0 bad=0 p
	while IFS= read -r p; do
		case $p in '#'* | '') continue ;; esac
		n=$((n + 1))
		compile "$p" "$TMP/$n.obj"
		"$BT/bt-load" "$TMP/$n.obj" > "$TMP/$n.kernel" 2> "$TMP/$n.kerr"
		local kst=$?
		as_nobody "$BT/bt-load" --interpret "$TMP/$n.obj" > "$TMP/$n.interp" 2> "$TMP/$n.ierr"
		local ist=$?
		for f in text json; do
			"$BT/bt-fmt" -f $f "$TMP/$n.kernel" > "$TMP/$n.k.$f" 2>&1
			"$BT/bt-fmt" -f $f "$TMP/$n.interp" > "$TMP/$n.i.$f" 2>&1
			if ! cmp -s "$TMP/$n.k.$f" "$TMP/$n.i.$f" || [ $kst != $ist ]; then
				echo "differs ($f, status $kst/$ist): $p"
				diff "$TMP/$n.k.$f" "$TMP/$n.i.$f" | head -20
				cat "$TMP/$n.ierr"
				bad=$((bad + 1))
			fi
		done
	done < "$ROOT/tests/interp/programs"
	echo "$n programs, $bad differences"
	[ "$n" -ge 30 ]
	[ "$bad" -eq 0 ]
}

@test "a full ring buffer loses the same events in the kernel and interpreted" {
	require_root
	# 700 records into room for 512; exit() comes later, once read
	BPFTRACE_PERF_RB_PAGES=1 "$BT/bt-parse" \
		-e 'BEGIN { $i = 0; while ($i < 700) { printf("x\n"); $i++; } } interval:ms:50 { exit(); }' |
		BPFTRACE_PERF_RB_PAGES=1 "$BT/bt-check" - | "$BT/bt-codegen" - > "$TMP/l.obj"
	chmod 644 "$TMP/l.obj"
	"$BT/bt-load" "$TMP/l.obj" | "$BT/bt-fmt" - > "$TMP/k" 2>&1
	as_nobody "$BT/bt-load" --interpret "$TMP/l.obj" | "$BT/bt-fmt" - > "$TMP/i" 2>&1
	grep -q 'Lost' "$TMP/i"
	cmp "$TMP/k" "$TMP/i"
}

@test "interpreted as nobody: maps, printf and END without any privilege" {
	compile 'BEGIN { @x[1] = 2; printf("hi %d\n", 3); exit(); } END { printf("bye\n"); }' "$TMP/o"
	as_nobody "$BT/bt-load" --interpret "$TMP/o" > "$TMP/out"
	run "$BT/bt-fmt" "$TMP/out"
	[ "$output" = "$(printf 'Attaching 2 probes...\nhi 3\nbye\n\n\n@x[1]: 2')" ]
}

@test "pid, comm and uid are bt-load's own; the CPU is 0" {
	compile 'BEGIN { printf("%d %s %d %d %d\n", pid, comm, uid, cpu, pid == tid); exit(); }' "$TMP/o"
	"${NOBODY[@]}" "$BT/bt-load" --interpret "$TMP/o" > "$TMP/out" &
	local pid=$!
	wait $pid
	run "$BT/bt-fmt" "$TMP/out"
	local uid=$(id -u)
	[ ${#NOBODY[@]} = 0 ] || uid=65534
	[ "${lines[1]}" = "$pid bpftrace $uid 0 1" ]
}

@test "a builtin that needs the kernel refuses the object up front, naming it" {
	compile 'BEGIN { @[kstack] = count(); exit(); }' "$TMP/o"
	run as_nobody "$BT/bt-load" --interpret "$TMP/o"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: kstack/ustack needs the kernel (helper 27): it cannot be interpreted" ]
}

@test "a probe other than BEGIN, END or interval refuses the object, naming it" {
	require_root
	ensure_tracefs
	compile 'tracepoint:syscalls:sys_enter_read { @ = count(); }' "$TMP/o"
	run as_nobody "$BT/bt-load" --interpret "$TMP/o"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: tracepoint:syscalls:sys_enter_read cannot be interpreted: only BEGIN, END and interval probes run without the kernel" ]
}

@test "SIGINT stops an interpreted interval program: END runs, maps are printed" {
	compile 'BEGIN { @n = 1; } interval:s:100 { exit(); } END { printf("end\n"); }' "$TMP/o"
	"${NOBODY[@]}" "$BT/bt-load" --interpret "$TMP/o" > "$TMP/out" &
	local pid=$!
	# the out stream's header is written once signals are handled
	for i in $(seq 200); do
		[ -s "$TMP/out" ] && break
		sleep 0.05
	done
	kill -INT $pid
	wait $pid
	run "$BT/bt-fmt" "$TMP/out"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Attaching 3 probes...\nend\n\n\n@n: 1')" ]
}

# ---- the driver -------------------------------------------------------------

@test "driver: not root, a BEGIN/END/interval program runs interpreted, as root in the kernel" {
	require_root
	[ ${#NOBODY[@]} -gt 0 ] || skip "no setpriv"
	cd "$TMP"
	prog='BEGIN { @a[1] = 2; @h = hist(100); printf("%s %d\n", "x", 3); } interval:ms:20 { exit(); } END { print(@a); }'
	for f in text json; do
		"$BT/bpftrace" -f $f -e "$prog" > "$TMP/root.$f" 2>&1
		"${NOBODY[@]}" --inh-caps=-all --bounding-set=-all "$BT/bpftrace" -f $f -e "$prog" \
			> "$TMP/nobody.$f" 2>&1
		"$BT/bpftrace" --interpret -f $f -e "$prog" > "$TMP/interp.$f" 2>&1
		cmp "$TMP/root.$f" "$TMP/nobody.$f"
		cmp "$TMP/root.$f" "$TMP/interp.$f"
	done
	grep -q '^@h:' "$TMP/root.text"
}

@test "driver: not root, a program from stdin runs; a syntax error is reported" {
	[ ${#NOBODY[@]} -gt 0 ] || skip "no setpriv"
	cd "$TMP"
	run bash -c "echo 'BEGIN { printf(\"in\\n\"); exit(); }' | ${NOBODY[*]} '$BT/bpftrace' -"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching 1 probe..." ]
	[ "${lines[1]}" = "in" ]
	run --separate-stderr "${NOBODY[@]}" "$BT/bpftrace" -e 'BEGIN { exit() '
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"ERROR: syntax error"* ]]
}

@test "driver: not root, a builtin that needs the kernel is refused in one line" {
	[ ${#NOBODY[@]} -gt 0 ] || skip "no setpriv"
	cd "$TMP"
	run --separate-stderr "${NOBODY[@]}" "$BT/bpftrace" -e 'BEGIN { @[kstack] = count(); exit(); }'
	[ "$status" -eq 1 ]
	[ "$stderr" = "ERROR: kstack/ustack needs the kernel (helper 27): it cannot be interpreted" ]
}

@test "debugf text goes to stderr when the trace buffer is not ours to write" {
	[ ${#NOBODY[@]} -gt 0 ] || skip "no setpriv"
	compile 'BEGIN { debugf("x %d %s", 3, "y"); exit(); }' "$TMP/o" 2>/dev/null
	run --separate-stderr "${NOBODY[@]}" "$BT/bt-load" --interpret "$TMP/o"
	[ "$status" -eq 0 ]
	[ "$stderr" = "bpf_trace_printk: x 3 y" ]
}
