#!/usr/bin/env bats
# Build once, run on other kernels (CO-RE) and what bt-load checks of the
# target (bt-load/target_check.c, ir-spec/obj.md "Target").
#
# The programs are compiled against a snapshot whose BTF is synthetic
# (tests/tools/mkbtf.c): task_struct with its members at other offsets
# than on any real kernel.  Run on this kernel, they print the right
# values only if every kernel-type read was relocated at load.
# Expected values come from elsewhere: the child's pid from bt-load's
# cpid, the parent from the shell, offsets from bpftool's dump of this
# kernel's BTF.
load helpers
bats_require_minimum_version 1.5.0

PROG='tracepoint:sched:sched_process_exec /pid == cpid/ {
  printf("pid=%d tgid=%d comm=%s ppid=%d execve=%u weight=%lu off=%d enum=%d\n",
    (int64)curtask->pid - (int64)cpid, (int64)curtask->tgid - (int64)cpid, curtask->comm,
    curtask->real_parent->pid, curtask->in_execve, curtask->se.load.weight,
    offsetof(struct task_struct, pid), PIDTYPE_TGID);
  exit();
}'

setup() {
	TMP="$BATS_TEST_TMPDIR"
}

# A snapshot of this machine for $1 (a program), with the synthetic BTF.
synthetic_snapshot() {
	printf '%s\n' "$1" > "$TMP/p.bt"
	bt-parse "$TMP/p.bt" > "$TMP/p.ast"
	bt-check --child --snapshot "$TMP/snap" -o /dev/null "$TMP/p.ast"
	"$BT/tests/mkbtf" "$TMP/snap/btf/vmlinux"
}

compile_offline() {
	bt-check --child --no-warnings --sysroot "$TMP/snap" "$TMP/p.ast" | bt-codegen > "$TMP/p.obj"
}

# offset in bytes of member $2 of struct $1 in this kernel's BTF
host_offset() {
	bpftool btf dump file /sys/kernel/btf/vmlinux | awk -v s="'$1'" -v m="'$2'" '
		$2 == "STRUCT" && $3 == s { in_s = 1; next }
		in_s && /^\[/ { exit }
		in_s && $1 == m { sub("bits_offset=", "", $3); print $3 / 8; exit }'
}

need_host() {
	require_root
	ensure_tracefs
	[ -r /sys/kernel/btf/vmlinux ] || skip "no /sys/kernel/btf/vmlinux"
	[ -d /sys/kernel/tracing/events/sched/sched_process_exec ] || skip "no sched_process_exec tracepoint"
	command -v bpftool >/dev/null || skip "no bpftool"
}

@test "core: compiled against another task_struct layout, the values are this kernel's" {
	need_host
	host_offset task_struct in_execve | grep -q . || skip "this kernel's task_struct has no in_execve"
	synthetic_snapshot "$PROG"
	# the snapshot's layout really differs from this kernel's
	bpftool btf dump file "$TMP/snap/btf/vmlinux" | grep -q "'pid' type_id=1 bits_offset=32"
	bpftool btf dump file "$TMP/snap/btf/vmlinux" | grep -q "'PIDTYPE_TGID' val=11"
	[ "$(host_offset task_struct pid)" != 4 ]
	compile_offline
	bash -c 'echo $$ > "$1/ppid"; bt-load -c /bin/true "$1/p.obj" > "$1/p.out"; true' _ "$TMP"
	run bt-fmt "$TMP/p.out"
	[ "$status" -eq 0 ]
	echo "$output"
	local off; off=$(host_offset task_struct pid)
	# bt-load is the child's parent; bash -c is bt-load's: read the pid it left
	local tgid_enum; tgid_enum=$(bpftool btf dump file /sys/kernel/btf/vmlinux format c |
		sed -n 's/^\tPIDTYPE_TGID = \([0-9]*\),$/\1/p')
	[[ "${lines[1]}" =~ ^pid=0\ tgid=0\ comm=true\ ppid=([0-9]+)\ execve=1\ weight=([0-9]+)\ off=$off\ enum=$tgid_enum$ ]]
	local ppid=${BASH_REMATCH[1]}
	[ "$ppid" -gt 1 ] && [ "$ppid" -ne "$(cat "$TMP/ppid")" ]
	# nice 0: load weight 1024 scaled by 2^10 on 64-bit kernels
	[ "$(nice)" != 0 ] || [ "${BASH_REMATCH[2]}" = 1048576 ]
}

@test "core: bt-load refuses a field this kernel lacks, at its source position" {
	need_host
	synthetic_snapshot 'BEGIN { printf("%d\n", curtask->pid); }'
	printf '%s\n' 'BEGIN { printf("%d\n", curtask->pid);
  printf("%d\n", curtask->no_such_field_on_any_kernel); exit(); }' > "$TMP/p.bt"
	bt-parse "$TMP/p.bt" > "$TMP/p.ast"
	compile_offline
	run bt-load "$TMP/p.obj"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "$TMP/p.bt:2:18-54: ERROR: Struct/union of type 'struct task_struct' does not contain a field named 'no_such_field_on_any_kernel' on this kernel (Linux $(uname -r))" ]]
	[ "${lines[1]}" = '  printf("%d\n", curtask->no_such_field_on_any_kernel); exit(); }' ]
	# nothing was loaded: no out stream at all
	run bash -c "bt-load '$TMP/p.obj' 2>/dev/null | wc -c"
	[ "$output" = 0 ]
	# an enum value this kernel lacks
	printf '%s\n' 'BEGIN { printf("%d\n", PIDTYPE_NO_SUCH_VALUE); exit(); }' > "$TMP/p.bt"
	bt-parse "$TMP/p.bt" > "$TMP/p.ast"
	compile_offline
	run bt-load "$TMP/p.obj"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "$TMP/p.bt:1:24-45: ERROR: enum pid_type has no value PIDTYPE_NO_SUCH_VALUE on this kernel (Linux $(uname -r))" ]
}

@test "core: the compile stages read nothing of this kernel when given a snapshot" {
	need_host
	command -v unshare >/dev/null || skip "no unshare"
	synthetic_snapshot "$PROG"
	# /sys and /proc/kallsyms hidden: with the snapshot the compile works
	# and gives the same object; without it, it cannot see kernel types
	cat > "$TMP/hidden.sh" <<'EOF'
set -e
mount -t tmpfs none /sys
mount --bind /dev/null /proc/kallsyms
[ ! -e /sys/kernel/btf/vmlinux ]
bt-check --child --no-warnings --sysroot "$1/snap" "$1/p.ast" | bt-codegen > "$1/hidden.obj"
if bt-check --child "$1/p.ast" > /dev/null 2> "$1/live.err"; then exit 3; fi
EOF
	unshare --mount --propagation private bash "$TMP/hidden.sh" "$TMP" || skip "cannot mount in a new mount namespace"
	compile_offline
	cmp "$TMP/hidden.obj" "$TMP/p.obj"
	grep -q "ERROR" "$TMP/live.err"
	bt-load -c /bin/true "$TMP/hidden.obj" > "$TMP/p.out"
	run bt-fmt "$TMP/p.out"
	[[ "${lines[1]}" == "pid=0 tgid=0 comm=true ppid="* ]]
}

@test "core: the object records what it was compiled against" {
	need_host
	synthetic_snapshot "$PROG"
	compile_offline
	run bt-fmt --dump "$TMP/p.obj"
	local t; t=$(echo "$output" | grep '"target":')
	[[ "$t" == *"\"release\": \"$(uname -r)\""* ]]
	[[ "$t" == *"\"snapshot\": \"$TMP/snap\""* ]]
	local size; size=$(stat -c %s "$TMP/snap/btf/vmlinux")
	[[ "$t" == *"\"btf\": \"$size:"* ]]
	[[ "$t" == *'["struct task_struct", "pid", 4, '* ]]
	[[ "$t" == *'["struct task_struct", "in_execve", 0, '* ]]
	# compiled live, the BTF is this kernel's
	bt-parse -e 'BEGIN { printf("%d\n", curtask->pid); }' | bt-check | bt-codegen > "$TMP/live.obj"
	run bt-fmt --dump "$TMP/live.obj"
	[[ "$output" == *"\"btf\": \"$(stat -c %s /sys/kernel/btf/vmlinux):"* ]]
	[[ "$output" == *'"snapshot": null'* ]]
}

# /sys/kernel/notes' GNU build id, in hex (empty if the kernel has none)
kernel_build_id_here() {
	python3 -c '
import struct
d = open("/sys/kernel/notes", "rb").read(); o = 0
while o + 12 <= len(d):
    nn, dn, t = struct.unpack_from("<III", d, o); n = o + 12; v = n + (nn + 3) // 4 * 4
    if t == 3 and d[n:n + nn] == b"GNU\0":
        print(d[v:v + dn].hex()); break
    o = v + (dn + 3) // 4 * 4'
}

@test "core: on the kernel build that typed it, an object loads without relocation" {
	need_host
	local id; id=$(kernel_build_id_here)
	[ -n "$id" ] || skip "this kernel has no build id in /sys/kernel/notes"
	printf '%s\n' "$PROG" > "$TMP/p.bt"
	bt-parse "$TMP/p.bt" | bt-check --child | bt-codegen > "$TMP/live.obj"
	run bt-fmt --dump "$TMP/live.obj"
	[[ "$output" == *"\"kernel_build_id\": \"$id\""* ]]
	bash -c 'bt-load -v -v -c /bin/true "$1/live.obj" > "$1/p.out" 2> "$1/p.err"' _ "$TMP"
	grep -a -q "compiled against this kernel build ($id): no CO-RE relocation" "$TMP/p.err"
	# libbpf did not read the kernel's BTF, and the values are still right
	! grep -a -q "CO-RE relocating" "$TMP/p.err"
	local off; off=$(host_offset task_struct pid)
	run bash -c 'bt-fmt "$1" 2>/dev/null | grep -a "^pid="' _ "$TMP/p.out"
	[[ "$output" =~ ^pid=0\ tgid=0\ comm=true\ ppid=[0-9]+\ execve=1\ weight=[0-9]+\ off=$off\ enum=[0-9]+$ ]]
	# typed against another BTF than the running kernel's (a copy, a
	# snapshot): no build id, the reads are relocated as usual
	cp /sys/kernel/btf/vmlinux "$TMP/vmlinux.btf"
	bt-parse "$TMP/p.bt" | BPFTRACE_BTF="$TMP/vmlinux.btf" bt-check --child | bt-codegen > "$TMP/copy.obj"
	run bt-fmt --dump "$TMP/copy.obj"
	[[ "$output" == *'"kernel_build_id": null'* ]]
	bash -c 'bt-load -v -v -c /bin/true "$1/copy.obj" > "$1/p.out" 2> "$1/p.err"' _ "$TMP"
	! grep -a -q "no CO-RE relocation" "$TMP/p.err"
	grep -a -q "CO-RE relocating" "$TMP/p.err"
	run bash -c 'bt-fmt "$1" 2>/dev/null | grep -a "^pid="' _ "$TMP/p.out"
	[[ "$output" =~ ^pid=0\ tgid=0\ comm=true\ ppid=[0-9]+\ execve=1\ weight=[0-9]+\ off=$off\ enum=[0-9]+$ ]]
}

@test "core: a tracepoint format that differs from the target's is refused" {
	need_host
	[ -d /sys/kernel/tracing/events/syscalls/sys_enter_openat ] || skip "no syscall tracepoints"
	printf '%s\n' 'tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args.filename)); exit(); }' > "$TMP/p.bt"
	bt-parse "$TMP/p.bt" > "$TMP/p.ast"
	bt-check --snapshot "$TMP/snap" -o /dev/null "$TMP/p.ast"
	local f="$TMP/snap/tracefs/events/syscalls/sys_enter_openat/format"
	local off; off=$(sed -n 's/.*const char \* filename;\toffset:\([0-9]*\);.*/\1/p' "$f")
	[ -n "$off" ]
	# the same kernel in the snapshot: it loads (checked, the same)
	echo "other-kernel" > "$TMP/snap/release"
	bt-check --no-warnings --sysroot "$TMP/snap" "$TMP/p.ast" | bt-codegen > "$TMP/ok.obj"
	run bt-fmt --dump "$TMP/ok.obj"
	[[ "$output" == *"[\"syscalls:sys_enter_openat\", [[\"filename\", $off, 8]]]"* ]]
	# a kernel whose format has filename 8 bytes further
	sed -i "s/filename;\toffset:$off;/filename;\toffset:$((off + 8));/" "$f"
	bt-check --no-warnings --sysroot "$TMP/snap" "$TMP/p.ast" | bt-codegen > "$TMP/p.obj"
	run bt-load "$TMP/p.obj"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "ERROR: tracepoint:syscalls:sys_enter_openat: field 'filename' is at offset $off, size 8 on this kernel; the object was compiled for offset $((off + 8)), size 8" ]
}

@test "core: what the probes need is checked before loading, in one line" {
	require_root
	local fix="$ROOT/tests/fixtures/snapshot-kernel"
	bt-parse -e 'kfunc:vfs_read { exit(); }' > "$TMP/f.ast"
	bt-check --sysroot "$fix" "$TMP/f.ast" | bt-codegen > "$TMP/f.obj"
	# where this kernel refuses fentry programs, bt-check says so live, and
	# bt-load says so of an object compiled elsewhere
	bt-check -o /dev/null "$TMP/f.ast" 2>/dev/null && skip "this kernel has fentry"
	run bt-load "$TMP/f.obj"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: kfunc:vmlinux:vfs_read: this kernel has no fentry support" ]
}

@test "core: a uprobe target that is another build than the compiled one is refused" {
	require_root
	local tp="$TP/uprobe_test"
	[ -x "$tp" ] || { echo "build/testprogs/uprobe_test missing" >&2; return 1; }
	readelf -n "$tp" | grep -q "Build ID" || skip "the test program has no build id"
	cp "$tp" "$TMP/prog"
	bt-parse -e "uprobe:$TMP/prog:uprobeFunction1 { exit(); }" | bt-check | bt-codegen > "$TMP/u.obj"
	local id; id=$(readelf -n "$tp" | awk '/Build ID/ { print $3 }')
	run bt-fmt --dump "$TMP/u.obj"
	[[ "$output" == *"\"binaries\": [[\"$TMP/prog\", \"$id\"]]"* ]]
	# another build at the same path (any other binary will do)
	cp /bin/true "$TMP/prog"
	local other; other=$(readelf -n /bin/true | awk '/Build ID/ { print $3 }')
	[ -n "$other" ] && [ "$other" != "$id" ]
	run bt-load "$TMP/u.obj"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: $TMP/prog is not the build the program was compiled for (build id $other, compiled for $id): its probe offsets and USDT arguments would be wrong" ]
}

@test "core: a kernel record kept by value runs only on its own kernel" {
	need_host
	synthetic_snapshot 'BEGIN { @t = *curtask; exit(); }'
	compile_offline
	run bt-load "$TMP/p.obj"
	[ "$status" -eq 1 ]
	local btf; btf="$(stat -c %s "$TMP/snap/btf/vmlinux"):"
	[[ "${lines[0]}" == "$TMP/p.bt:1:14-15: ERROR: a kernel record kept by value cannot be relocated: this object runs only on the kernel it was compiled for (Linux $(uname -r), BTF $btf"*"), not on this one (Linux $(uname -r)); compile it here" ]]
	# compiled here, for this kernel, it runs
	bt-check --no-warnings "$TMP/p.ast" | bt-codegen > "$TMP/live.obj"
	bt-load "$TMP/live.obj" > /dev/null
}

@test "core: a kernel field of enum type is relocated (an int in the mirror would match no field)" {
	need_host
	# i_write_hint is an enum rw_hint: libbpf relocates a field only to a
	# field of a compatible kind, so the object's own copy of the record
	# must call it an enum; WRITE_LIFE_NOT_SET (0) for a fresh binary
	run --separate-stderr bpftrace -e 'tracepoint:sched:sched_process_exec /pid == cpid/ {
		printf("hint=%d\n", curtask->mm->exe_file->f_inode->i_write_hint); exit(); }' -c /bin/true
	[ "$status" -eq 0 ]
	[ "$output" = "Attaching 1 probe...
hint=0" ]
}

@test "core: an int field of a record that also has enum fields stays an int (its relocation resolves)" {
	need_host
	# task_struct has enum fields; its unsigned int __state must still be
	# mirrored as an int, or libbpf finds no compatible field to relocate
	# to ("failed to resolve CO-RE relocation ... task_struct.__state")
	run --separate-stderr bpftrace -e 'rawtracepoint:sched_switch {
		$prev = (struct task_struct *)arg1;
		@running[$prev->__state == 0] = count(); }
		interval:ms:200 { exit(); }'
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[[ $output == *"@running["* ]]
}

@test "core: constants of two kernel enums in one program keep their own enum" {
	need_host
	# each folded constant is relocated against its own enum (a shared type
	# named after the last one relocated PIDTYPE_TGID in rw_hint: no such value)
	run --separate-stderr bpftrace -e 'BEGIN { printf("%d %d\n", PIDTYPE_TGID, WRITE_LIFE_NOT_SET); exit(); }'
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "${lines[1]}" = "1 0" ]
}

@test "core: the kernel accepts the program's BTF when fields are read out of offset order" {
	need_host
	# real_parent lies after pid in task_struct: the mirror's members
	# must still be in offset order, or the kernel refuses the BTF
	# ("Invalid member bits_offset") and libbpf drops it
	run bpftrace -v -e 'tracepoint:sched:sched_process_exec /pid == cpid/ {
		printf("ppid=%d pid=%d\n", curtask->real_parent->pid, (int64)curtask->pid - (int64)cpid); exit(); }' -c /bin/true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"BTF loading error"* ]]
	[[ "$output" == *"pid=0"* ]]
}
