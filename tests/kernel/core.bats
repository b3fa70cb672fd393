#!/usr/bin/env bats
# core.bats - build once, run on other kernels: the objects of
# tests/kernel/core/*.bt were compiled on the build host before this
# guest booted (`make core-objs` -> build/core-objs, no snapshot of this
# kernel), and must print what the same program compiled here prints.
# Also: an object that needs a field this kernel lacks is refused, and
# the static runtime (`make static`) runs an object from a folder of its
# own.

load helpers

OBJS="$BT/core-objs"
SRC="$ROOT/tests/kernel/core"

setup() {
	TMP="$BATS_TEST_TMPDIR"
	[ -f "$OBJS/curtask.obj" ] ||
		{ echo "build/core-objs missing: run 'make core-objs' on the host first" >&2; return 1; }
}

# run_obj OBJ CMD: bt-load OBJ with -c CMD; its formatted output with
# bt-load's pid (the child's parent) replaced by BTLOAD
run_obj() {
	local obj=$1 cmd=$2 load=${3:-bt-load} fmt=${4:-bt-fmt}
	"$load" -c "$cmd" "$obj" > "$TMP/out" 2> "$TMP/err" &
	local p=$!
	wait $p || { cat "$TMP/err" >&2; return 1; }
	"$fmt" "$TMP/out" | sed "s/ppid=$p /ppid=BTLOAD /"
}

# same_as_guest NAME CMD: host object and guest compile print the same
same_as_guest() {
	local name=$1 cmd=$2
	run_obj "$OBJS/$name.obj" "$cmd" > "$TMP/host.txt"
	bt-parse "$SRC/$name.bt" | bt-check --child | bt-codegen > "$TMP/guest.obj"
	run_obj "$TMP/guest.obj" "$cmd" > "$TMP/guest.txt"
	echo "host-compiled:  $(tail -n +2 "$TMP/host.txt" | head -1)"
	echo "guest-compiled: $(tail -n +2 "$TMP/guest.txt" | head -1)"
	[ -s "$TMP/guest.txt" ]
	diff "$TMP/host.txt" "$TMP/guest.txt"
}

@test "core: curtask pid, tgid, comm, real_parent->pid, nested and bit-field members" {
	same_as_guest curtask /bin/true
	grep -q "^pid=0 tgid=0 comm=true ppid=BTLOAD in_execve=1 weight=[1-9]" "$TMP/host.txt"
}

@test "core: offsetof and sizeof of kernel structs are this kernel's" {
	same_as_guest offsetof /bin/true
}

@test "core: a tracepoint's args" {
	same_as_guest tracepoint "/bin/cat /etc/hostname"
	grep -q "^filename=/" "$TMP/host.txt"
}

@test "core: kfunc args and the structs behind them" {
	same_as_guest kfunc "/bin/cat /etc/hostname"
	grep -q "^count=[1-9][0-9]* name=hostname mode=[0-7]" "$TMP/host.txt"
}

@test "core: an object that needs a field this kernel lacks is refused" {
	bpftool btf dump file /sys/kernel/btf/vmlinux format c |
		awk '/^struct task_struct \{/,/^\};/' | grep -q ' in_nf_duplicate:' &&
		skip "this kernel has task_struct.in_nf_duplicate"
	run bt-load "$OBJS/missing.obj"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"/missing.bt:4:17-41: ERROR: Struct/union of type 'struct task_struct' does not contain a field named 'in_nf_duplicate' on this kernel (Linux $(uname -r))" ]]
	[[ "${lines[1]}" == *'printf("%d\n", curtask->in_nf_duplicate);' ]]
}

@test "core: the static runtime runs an object from a folder of its own" {
	[ -x "$BT/static/bt-load" ] ||
		{ echo "build/static missing: run 'make static' on the host first" >&2; return 1; }
	mkdir "$TMP/alone"
	cp "$BT/static/bt-load" "$BT/static/bt-fmt" "$OBJS/curtask.obj" "$TMP/alone/"
	run ldd "$TMP/alone/bt-load"
	[[ "$output" == *"not a dynamic executable"* ]]
	run ldd "$TMP/alone/bt-fmt"
	[[ "$output" == *"not a dynamic executable"* ]]
	cd "$TMP/alone"
	run_obj ./curtask.obj /bin/true ./bt-load ./bt-fmt > static.txt
	run_obj ./curtask.obj /bin/true > dynamic.txt
	cat static.txt
	diff static.txt dynamic.txt
}

@test "core: kfunc arguments that moved on this kernel are refused" {
	run bt-load "$OBJS/syn-kfunc-args.obj"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: kfunc:vmlinux:vfs_read: 'count' is argument 2 of vfs_read on this kernel, 0 where the object was compiled" ]
}
