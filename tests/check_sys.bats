#!/usr/bin/env bats
# bt-check's system knowledge (bt-check/sys/*.c): probe expansion against
# tracefs / ELF / USDT notes / kallsyms / BTF, the tracepoint args record,
# listings, and offline snapshots (ir-spec/snapshot.md).
#
# Most checks go through `bt-check --list` and through sys_query
# (tests/tools/sys_query.c, built by the Makefile), a small driver of
# bt-check/sys/sys.h.  Expected values are computed independently (readelf, the
# tracefs files, the fixture's contents), never copied from our output.
load helpers

FIX="$ROOT/tests/fixtures/snapshot-kernel"

setup_file() {
	ensure_tracefs
}

setup() {
	Q="$BT/tests/sys_query"
	TMP="$(mktemp -d)"
	TRACEFS=/sys/kernel/tracing
	[ -d "$TRACEFS/events" ] || TRACEFS=/sys/kernel/debug/tracing
}

teardown() {
	[ -n "${BG_PID:-}" ] && kill "$BG_PID" 2>/dev/null
	rm -rf "$TMP"
}

need_tracefs() {
	[ -r "$TRACEFS/available_events" ] || skip "no tracefs"
}

# A program with USDT probes: a:p1 at two sites, b:p1, and a:sem with a
# semaphore.
build_usdt_prog() {
	printf '#include <sys/sdt.h>\n' > "$TMP/t.c" 2>/dev/null
	echo '#include <sys/sdt.h>' | gcc -E -x c - >/dev/null 2>&1 || skip "no <sys/sdt.h>"
	cat > "$TMP/usdt.c" <<'EOF'
#include <sys/sdt.h>
void f4(void);
__attribute__((noinline)) void f1(long x) { DTRACE_PROBE1(a, p1, x); }
__attribute__((noinline)) void f2(long x) { DTRACE_PROBE2(a, p1, x, x + 1); }
__attribute__((noinline)) void f3(int x) { DTRACE_PROBE1(b, p1, x); }
int main(int argc, char **argv) { (void)argv; f1(argc); f2(argc); f3(argc); f4(); return 0; }
EOF
	cat > "$TMP/usdt_sem.c" <<'EOF'
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
unsigned short a_sem_semaphore __attribute__((section(".probes")));
void f4(void) { if (a_sem_semaphore) DTRACE_PROBE(a, sem); }
EOF
	gcc -O1 -o "$TMP/usdt_prog" "$TMP/usdt.c" "$TMP/usdt_sem.c"
}

# ---- tracepoints ----

@test "tracepoint:syscalls:sys_enter_* expands to every sys_enter event, sorted" {
	need_tracefs
	grep '^syscalls:sys_enter_' "$TRACEFS/available_events" | LC_ALL=C sort -u |
		sed 's/^/tracepoint:/' > "$TMP/expected"
	[ -s "$TMP/expected" ]
	bt-check --list 'tracepoint:syscalls:sys_enter_*' > "$TMP/got"
	diff "$TMP/expected" "$TMP/got"
	run "$Q" expand 'tracepoint:syscalls:sys_enter_*'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "$(wc -l < "$TMP/expected")" ]
}

@test "tracepoint: a missing event is an error alone, a warning next to others" {
	need_tracefs
	run "$Q" expand 'tracepoint:syscall:sys_enter_nope'
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "ERROR: tracepoint not found: syscall:sys_enter_nope" ]
	[ "${lines[1]}" = "WARNING: Did you mean syscalls:sys_enter_nope?" ]
	run "$Q" --multi expand 'tracepoint:sched:nope_nope'
	[ "$status" -eq 0 ]
	[ "$output" = "WARNING: tracepoint not found: sched:nope_nope" ]
	run "$Q" expand 'tracepoint:sched:nope_*'
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: tracepoints not found: sched:nope_*" ]
}

@test "tracepoint args: fields, offsets, padding and types from the format file" {
	need_tracefs
	fmt="$TRACEFS/events/syscalls/sys_enter_openat/format"
	[ -r "$fmt" ] || skip "no sys_enter_openat"
	run "$Q" tpargs syscalls sys_enter_openat
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "record struct _tracepoint_syscalls_sys_enter_openat size="*" as=2 tparg" ]]
	# every field of the format file, at its offset
	grep -o 'field:[^;]*;[[:space:]]*offset:[0-9]*' "$fmt" |
		sed -E 's/field:.*[ \t]\**([A-Za-z_0-9]+)(\[[0-9]*\])?;[[:space:]]*offset:([0-9]+)/\1 @\3/' > "$TMP/want"
	for f in $(awk '{print $1 "@" $2}' "$TMP/want"); do
		name=${f%%@*}; off=${f##*@}
		echo "$output" | grep -q "^  $name: .* @$off\$"
	done
	# bpftrace's rules: int in an 8-byte slot is s64, umode_t is u16,
	# const char * is a pointer to int8, the gap after __syscall_nr is padded
	echo "$output" | grep -qx '  dfd: int64 @16'
	echo "$output" | grep -qx '  filename: int8 \* @24'
	echo "$output" | grep -qx '  mode: unsigned int16 @40'
	echo "$output" | grep -qx '  __pad_12: int8 @12'
	run "$Q" tpargs sched sched_switch
	echo "$output" | grep -qx '  prev_comm: string\[16\] @8'
	[[ "${lines[0]}" == *" as=1 tparg" ]]
	run "$Q" tpargs nope nope
	[ "$status" -eq 1 ]
}

@test "tracepoint args: only plain char arrays are strings, __u8[16] is an array" {
	need_tracefs
	fmt="$TRACEFS/events/tcp/tcp_retransmit_skb/format"
	[ -r "$fmt" ] || skip "no tcp:tcp_retransmit_skb"
	grep -q 'field:__u8 daddr_v6\[16\];' "$fmt" || skip "no __u8 daddr_v6[16] field"
	run "$Q" tpargs tcp tcp_retransmit_skb
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '^  daddr_v6: unsigned int8\[16\] @'
	# the reference guide's example: index an address array, ntop it
	bt-parse -e 'tracepoint:tcp:tcp_retransmit_skb { if (args.daddr_v6[0] == pton("::1")[0]) { printf("%s\n", ntop(args.daddr_v6)); } }' > "$TMP/a.ast"
	run bt-check -o "$TMP/a.ir" "$TMP/a.ast"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "tracepoint args: __data_loc fields are int64 and flagged" {
	need_tracefs
	[ -r "$TRACEFS/events/sched/sched_process_exec/format" ] || skip "no sched_process_exec"
	run "$Q" tpargs sched sched_process_exec
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "data_loc filename" ]
	echo "$output" | grep -qx '  filename: int64 @8'
}

@test "rawtracepoint: wildcards over events without syscalls:sys_*, exact names kept" {
	need_tracefs
	sed -n 's/^sched:\(sched_.*\)$/rawtracepoint:\1/p' "$TRACEFS/available_events" |
		LC_ALL=C sort -u > "$TMP/expected"
	bt-check --list 'rawtracepoint:sched_*' > "$TMP/got"
	diff "$TMP/expected" "$TMP/got"
	run bt-check --list 'rawtracepoint:sys_enter*'
	[ "$output" = "rawtracepoint:sys_enter" ]
	run "$Q" expand 'rawtracepoint:some_bare_tp'
	[ "$output" = "rawtracepoint:some_bare_tp" ]
}

# ---- uprobes ----

@test "uprobe:/bin/bash:read* matches bash's defined function symbols" {
	[ -x /bin/bash ] || skip "no /bin/bash"
	readelf -sW --dyn-syms /bin/bash 2>/dev/null |
		awk '($4 == "FUNC" || $4 == "IFUNC") && $7 != "UND" && $8 ~ /^read/ {
			sub(/@.*/, "", $8); print "uprobe:/bin/bash:" $8 }' |
		LC_ALL=C sort -u > "$TMP/expected"
	[ -s "$TMP/expected" ]
	bt-check --list 'uprobe:/bin/bash:read*' > "$TMP/got"
	diff "$TMP/expected" "$TMP/got"
	run "$Q" expand 'uretprobe:/bin/bash:read*'
	[ "${#lines[@]}" -eq "$(wc -l < "$TMP/expected")" ]
	[ "${lines[0]}" = "$(head -1 "$TMP/expected" | sed 's/^uprobe/uretprobe/')" ]
}

@test "uprobe: library names through the loader cache, \$PATH search, errors" {
	want=$(ldconfig -p | awk '$1 == "libc.so.6" && /x86-64/ {print $NF; exit}')
	[ -n "$want" ] || skip "no x86-64 libc in ld.so.cache"
	run "$Q" expand 'uprobe:libc:malloc'
	[ "$status" -eq 0 ]
	[ "$output" = "uprobe:$want:malloc" ]
	run "$Q" expand 'uprobe:bash:readline'
	[ "$status" -eq 0 ]
	first=$(IFS=:; for d in $PATH; do [ -x "$d/bash" ] && { echo "$d/bash"; break; }; done)
	[ "${lines[0]}" = "uprobe:$first:readline" ]
	run "$Q" expand 'uprobe:/nonexistent/prog:main'
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: uprobe target file '/nonexistent/prog' does not exist or is not executable" ]
	# an exact function is taken as written (as bpftrace v0.20): whether
	# it exists is bt-load's question when it attaches
	run "$Q" expand 'uprobe:/bin/bash:no_such_function_here'
	[ "$status" -eq 0 ]
	[ "$output" = "uprobe:/bin/bash:no_such_function_here" ]
}

@test "uprobe: -p PID finds the process's executable" {
	bash -c 'read -t 30 x' < /dev/zero > /dev/null &
	BG_PID=$!
	sleep 0.2
	exe=$(readlink "/proc/$BG_PID/exe")
	run "$Q" --pid "$BG_PID" expand 'uprobe:readline'
	[ "$status" -eq 0 ]
	[ "$output" = "uprobe:$exe:readline" ]
}

@test "uaddr and uprobe args from the ELF symbol table and DWARF" {
	prog="$TP/uprobe_test"
	[ -x "$prog" ] || fail_missing_testprogs
	set -- $(readelf -sW "$prog" | awk '$8 == "GLOBAL_A" {print $2, $3}')
	want=$(printf '0x%x %d' "$((16#$1))" "$2")
	run "$Q" usym "$prog" GLOBAL_A
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	run "$Q" uargs "$prog" uprobeFunction1
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "  n: int32 * @0" ]
	[ "${lines[2]}" = "  c: int8 @8" ]
	run bt-check --list -v "uprobe:$prog:uprobeFunction2"
	[ "${lines[1]}" = "    struct Foo* foo1" ]
	[ "${lines[2]}" = "    struct Foo* foo2" ]
	# struct Foo behind the pointer comes from the binary's DWARF
	[ -x "$BT/bt-parse" ] || return 0
	bt-parse -e "uprobe:$prog:uprobeFunction2 { @[args.foo1->b] = sum(args.foo2->c[1]); }" > "$TMP/p.ast" || return 0
	bt-check --snapshot "$TMP/snap" -o /dev/null "$TMP/p.ast"
	enc=$(cat "$TMP/snap/dwarf$prog/types/struct Foo")
	[ "$enc" = "R28;4;3;struct Foo;a;0;0;0;i32;b;4;0;0;s10;c;16;0;0;a3;i32;" ]
}

# ---- USDT ----

@test "usdt: probes from .note.stapsdt, namespace rule, one attach point per location" {
	build_usdt_prog
	p="$TMP/usdt_prog"
	run bt-check --list "usdt:$p:*"
	[ "$status" -eq 0 ]
	[ "$output" = "usdt:$p:a:p1
usdt:$p:a:sem
usdt:$p:b:p1" ]
	run "$Q" expand "usdt:$p:p1"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "ERROR: namespace for usdt:$p:p1 not specified, matched 2 probes" ]
	[ "${lines[1]}" = "INFO: please specify a unique namespace or use '*' to attach to all matched probes" ]
	run "$Q" expand "usdt:$p:a:p1"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	# argument specs as in the notes, locations numbered in note order
	readelf -n "$p" | awk '/Name: p1/ {n=1} n && /Arguments:/ {sub(/.*Arguments: /, ""); print; n=0}' > "$TMP/args"
	[[ "${lines[0]}" == "usdt:$p:a:p1 loc=0 offset="*" sema=0 args=$(sed -n 1p "$TMP/args")" ]]
	[[ "${lines[1]}" == "usdt:$p:a:p1 loc=1 offset="*" sema=0 args=$(sed -n 2p "$TMP/args")" ]]
	o0=$(echo "${lines[0]}" | sed 's/.*offset=\([0-9]*\).*/\1/')
	o1=$(echo "${lines[1]}" | sed 's/.*offset=\([0-9]*\).*/\1/')
	[ "$o0" -gt 0 ]
	[ "$o1" -gt 0 ]
	[ "$o0" != "$o1" ]
	# the location maps to the probe site's bytes: a nop in the file
	[ "$(dd if="$p" bs=1 skip="$o0" count=1 2>/dev/null | od -An -tx1 | tr -d ' ')" = "90" ]
	run "$Q" expand "usdt:$p:sem"
	[ "$status" -eq 0 ]
	sema=$(echo "$output" | sed 's/.*sema=\([0-9]*\).*/\1/')
	[ "$sema" -gt 0 ]
	run "$Q" expand "usdt:$p:*:p1"
	[ "${#lines[@]}" -eq 3 ]
	run "$Q" expand "usdt:/nonexistent:p1"
	[ "$output" = "ERROR: usdt target file '/nonexistent' does not exist or is not executable" ]
}

@test "usdt: the project's test program" {
	prog="$TP/usdt_test"
	[ -x "$prog" ] || fail_missing_testprogs
	readelf -n "$prog" | grep -q stapsdt
	run bt-check --list "usdt:$prog:*"
	[ "$output" = "usdt:$prog:tracetest2:testprobe2
usdt:$prog:tracetest:testprobe
usdt:$prog:tracetest:testprobe2" ]
}

# ---- kernel functions, symbols, BTF ----

@test "kprobe: wildcards over the traceable functions; unknown exact names warn" {
	printf 'vfs_read\nvfs_readv\nvfs_write\nvfs_read.part.0\nnft_x [nf_tables]\n' > "$BATS_TEST_TMPDIR/aff"
	export BPFTRACE_AVAILABLE_FUNCTIONS_TEST="$BATS_TEST_TMPDIR/aff"
	run "$Q" expand 'kprobe:vfs_read'
	[ "$status" -eq 0 ]
	[ "$output" = "kprobe:vfs_read" ]
	run "$Q" expand 'kprobe:no_such_kernel_fn'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "kprobe:no_such_kernel_fn" ]
	[ "${lines[1]}" = 'WARNING: no_such_kernel_fn is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail' ]
	run "$Q" expand 'kretprobe:vfs_rea*'
	[ "$output" = "kretprobe:vfs_read
kretprobe:vfs_readv" ]
	run bt-check --list 'kprobe:*'
	[ "$output" = "kprobe:nft_x
kprobe:vfs_read
kprobe:vfs_readv
kprobe:vfs_write" ]
}

@test "kprobe: no available_filter_functions, no kprobes (kallsyms is not a substitute)" {
	[ -r /proc/kallsyms ] || skip "no kallsyms"
	grep -q ' [tT] do_nanosleep$' /proc/kallsyms || skip "no do_nanosleep in kallsyms"
	export BPFTRACE_AVAILABLE_FUNCTIONS_TEST="$BATS_TEST_TMPDIR/none"
	run bt-check --list 'kprobe:*'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run bt-check --list 'kretprobe:*sleep*'
	[ -z "$output" ]
	run "$Q" expand 'kprobe:do_nanosleep'
	[ "${lines[1]}" = 'WARNING: do_nanosleep is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail' ]
}

@test "kprobe: functions of the kprobe blacklist are not traceable" {
	cp -r "$FIX" "$BATS_TEST_TMPDIR/fix"
	mkdir -p "$BATS_TEST_TMPDIR/fix/debugfs/kprobes"
	printf '0xffffffff81000000-0xffffffff81000040\tvfs_readv\n0xffffffffc0000000-0xffffffffc0000010\tdup_func [mod_a]\n' \
		> "$BATS_TEST_TMPDIR/fix/debugfs/kprobes/blacklist"
	run bt-check --sysroot "$BATS_TEST_TMPDIR/fix" --list 'kprobe:vfs_*'
	[ "$output" = "kprobe:vfs_read
kprobe:vfs_read.isra.0
kprobe:vfs_write" ]
	run "$Q" --sysroot "$BATS_TEST_TMPDIR/fix" expand 'kprobe:vfs_readv'
	[[ "${lines[1]}" == "WARNING: vfs_readv is not traceable"* ]]
}

@test "kaddr and cgroupid" {
	want=$(awk '$3 == "vfs_read" {print "0x" $1; exit}' /proc/kallsyms | sed 's/^0x0*/0x/')
	[ -n "$want" ] || skip "no vfs_read in kallsyms"
	run "$Q" ksym vfs_read
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	run "$Q" ksym no_such_symbol_xyz
	[ "$status" -eq 1 ]
	run "$Q" cgroupid /nonexistent/cgroup
	[ "$status" -eq 1 ]
	[ "$output" = "No such file or directory" ]
	# only a cgroup file system has 8-byte file handles (bpftrace asks for
	# exactly that): a tmpfs directory is refused, not given its inode
	local tmpfs cg
	tmpfs=$(findmnt -n -t tmpfs -o TARGET | head -1)
	if [ -n "$tmpfs" ]; then
		run "$Q" cgroupid "$tmpfs"
		[ "$status" -eq 1 ]
		[ "$output" = "Value too large for defined data type" ]
	fi
	cg=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	[ -n "$cg" ] || skip "no cgroup2 mounted"
	run "$Q" cgroupid "$cg"
	[ "$status" -eq 0 ]
	[ "$output" = "$(stat -c %i "$cg")" ]
}

@test "kernel types from BTF: records, flattened anonymous members, bitfields" {
	[ -r /sys/kernel/btf/vmlinux ] || skip "no BTF"
	run "$Q" ktype 'struct task_struct'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "record struct task_struct size="* ]]
	echo "$output" | grep -q '^  pid: int32 @'
	echo "$output" | grep -q '^  comm: string\[16\] @'
	echo "$output" | grep -q '^  parent: struct task_struct \* @'
	run "$Q" --sysroot "$FIX" ktype 'struct task_struct'
	[ "$output" = "record struct task_struct size=40 as=0
  pid: int32 @0
  tgid: int32 @4
  comm: string[16] @8
  parent: struct task_struct * @24
  anon_a: int32 @32
  anon_b: unsigned int32 @32
  flags: struct (anonymous 30) @36" ]
	run "$Q" --sysroot "$FIX" ktype pid_t
	[ "${lines[0]}" = "int int32 size=4 as=0" ]
	run "$Q" --sysroot "$FIX" ktype 'struct nope'
	[ "$status" -eq 1 ]
}

@test "iter: names from BTF, -lv shows the context fields" {
	[ -r /sys/kernel/btf/vmlinux ] || skip "no BTF"
	run bt-check --list 'iter:task*'
	echo "$output" | grep -qx 'iter:task'
	echo "$output" | grep -qx 'iter:task_file'
	run "$Q" expand 'iter:no_such_iter'
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: iter no_such_iter not available for your kernel version." ]
	run bt-check --sysroot "$FIX" --list -v 'iter:*'
	[ "$output" = "iter:task
    struct task_struct * task" ]
}

# ---- listing ----

@test "listing: software/hardware/interval lines, sorted, aliases included" {
	run bt-check --list 'software:*'
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx 'software:cs:'
	echo "$output" | grep -qx 'software:context-switches:'
	echo "$output" | grep -qx 'software:cpu-clock:'
	[ "${#lines[@]}" -eq 14 ]
	echo "$output" | LC_ALL=C sort -c
	run bt-check --list 'hardware:*cycles*'
	[ "$output" = "hardware:bus-cycles:
hardware:cpu-cycles:
hardware:cycles:
hardware:ref-cycles:" ]
	run bt-check --list 'interval:*'
	[ "$output" = "interval:hz:
interval:ms:
interval:s:
interval:us:" ]
	run "$Q" expand 'software:nope'
	[ "$output" = "ERROR: nope is not a software probe" ]
}

@test "listing: tracepoint -lv prints the event's own fields" {
	need_tracefs
	fmt="$TRACEFS/events/syscalls/sys_enter_openat/format"
	[ -r "$fmt" ] || skip "no sys_enter_openat"
	{ echo "tracepoint:syscalls:sys_enter_openat"
	  awk 'f && /^\tfield:/ {sub(/^\tfield:/, ""); sub(/;.*/, ""); print "    " $0} /^$/ {f=1}' "$fmt"; } > "$TMP/expected"
	bt-check --list -v 'tracepoint:syscalls:sys_enter_openat' > "$TMP/got"
	diff "$TMP/expected" "$TMP/got"
}

@test "listing: a character no token starts with is an invalid character, exit 1" {
	run bt-check --list '\n'
	[ "$status" -eq 1 ]
	[ "$output" = "stdin:1:1-2: ERROR: invalid character '\\'
\\n
~" ]
	run bt-check --list 'tracepoint:sched:"x\y"'
	[[ "$output" != *"invalid character"* ]]
}

@test "listing: same as the system bpftrace where v0.17 and v0.20 agree" {
	need_tracefs
	[ -x /usr/bin/bpftrace ] || skip "no system bpftrace"
	for pat in 'tracepoint:syscalls:*open*' 'uprobe:/bin/bash:read*' 't:sched:sched_switch'; do
		timeout 60 /usr/bin/bpftrace -l "$pat" > "$TMP/theirs" 2>/dev/null || skip "bpftrace -l failed"
		bt-check --list "$pat" > "$TMP/ours"
		diff "$TMP/theirs" "$TMP/ours"
	done
	timeout 60 /usr/bin/bpftrace -lv 'tracepoint:syscalls:sys_enter_openat' > "$TMP/theirs" 2>/dev/null
	bt-check --list -v 'tracepoint:syscalls:sys_enter_openat' > "$TMP/ours"
	diff "$TMP/theirs" "$TMP/ours"
}

@test "listing: struct names and definitions from BTF" {
	[ -r /sys/kernel/btf/vmlinux ] || skip "no BTF"
	run bt-check --list 'struct task_struct'
	[ "$output" = "struct task_struct" ]
	run bt-check --sysroot "$FIX" --list 'struct *'
	[ "$output" = "struct bpf_iter__task
struct bpf_iter_meta
struct sock
struct task_struct" ]
	run bt-check --sysroot "$FIX" --list -v 'struct sock'
	[ "$output" = "struct sock {
	int sk_state;
	unsigned short sk_type;
};" ]
	# as bpftrace, a blank line after each definition
	bt-check --sysroot "$FIX" --list -v 'struct sock' > "$BATS_TEST_TMPDIR/l"
	printf 'struct sock {\n\tint sk_state;\n\tunsigned short sk_type;\n};\n\n' |
		cmp - "$BATS_TEST_TMPDIR/l"
	[ "$(bt-check --sysroot "$FIX" --list -v 'struct *' | grep -c '^};$')" -eq \
	  "$(bt-check --sysroot "$FIX" --list -v 'struct *' | grep -c '^$')" ]
}

# ---- the hand-made snapshot of a kernel with kprobes and kfunc ----

@test "fixture snapshot: kprobe and kfunc names, modules, args, symbols" {
	run bt-check --sysroot "$FIX" --list 'kprobe:vfs_*'
	[ "$output" = "kprobe:vfs_read
kprobe:vfs_read.isra.0
kprobe:vfs_readv
kprobe:vfs_write" ]
	# kfuncs: only traceable functions with BTF (no clone such as
	# vfs_read.isra.0, no vfs_readv, no module without its BTF), as v0.20
	run bt-check --sysroot "$FIX" --list 'kfunc:*read*'
	[ "$output" = "kfunc:vmlinux:vfs_read" ]
	run "$Q" --sysroot "$FIX" expand 'kfunc:ext4_file_read_iter'
	[ "$output" = "kfunc:ext4:ext4_file_read_iter" ]
	run "$Q" --sysroot "$FIX" expand 'kfunc:dup_func'
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: ambiguous attach point, please specify module containing the function 'dup_func'" ]
	run "$Q" --sysroot "$FIX" expand 'kprobe:nope'
	[ "${lines[1]}" = 'WARNING: nope is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail' ]
	run "$Q" --sysroot "$FIX" kfargs vmlinux vfs_read
	[ "$output" = "record struct kfunc:vmlinux:vfs_read_args size=32 as=1 funcarg
  file: struct file * @0
  buf: int8 * @8
  count: unsigned int64 @16
  pos: int64 * @24" ]
	# kretfunc: the return value's slot follows the arguments
	run "$Q" --sysroot "$FIX" kretfargs vmlinux vfs_read
	[ "$output" = "record struct kretfunc:vmlinux:vfs_read_args size=40 as=1 funcarg
  file: struct file * @0
  buf: int8 * @8
  count: unsigned int64 @16
  pos: int64 * @24
  \$retval: int64 @32" ]
	run bt-check --sysroot "$FIX" --list -v 'kfunc:vmlinux:tcp_sendmsg'
	[ "$output" = "kfunc:vmlinux:tcp_sendmsg
    struct sock * sk
    void * msg
    size_t size
    int retval" ]
	run "$Q" --sysroot "$FIX" ksym jiffies
	[ "$output" = "0xffffffff82a05000" ]
	run "$Q" --sysroot "$FIX" enumval MYFS_WRITE
	[ "$output" = "2" ]
	run "$Q" --sysroot "$FIX" enumval MYFS_ODD
	[ "$output" = "4294967295" ] # clang encodes this enum unsigned
	run "$Q" --sysroot "$FIX" enumval NO_SUCH_VALUE
	[ "$status" -eq 1 ]
}

@test "fixture snapshot: a made-up tracepoint's args record" {
	run "$Q" --sysroot "$FIX" tpargs myfs myfs_open
	[ "$status" -eq 0 ]
	[ "$output" = "data_loc name
record struct _tracepoint_myfs_myfs_open size=72 as=1 tparg
  common_type: unsigned int16 @0
  common_flags: unsigned int8 @2
  common_preempt_count: unsigned int8 @3
  common_pid: int32 @4
  name: int64 @8
  mode: int32 @12
  ino: unsigned int64 @16
  comm: string[16] @24
  ids: unsigned int32[3] @40
  __pad_52: int8 @52
  __pad_53: int8 @53
  __pad_54: int8 @54
  __pad_55: int8 @55
  file: struct file * @56
  handle: int16 @64" ]
	run "$Q" --sysroot "$FIX" expand 'tracepoint:myfs:*'
	[ "$output" = "tracepoint:myfs:myfs_close
tracepoint:myfs:myfs_open" ]
	run "$Q" --sysroot "$FIX" expand 'tracepoint:myfs:myfs_close'
	[ "$output" = "ERROR: tracepoint not found: myfs:myfs_close" ]
}

@test "fixture snapshot: whole programs check against it" {
	bt-parse -e 'kprobe:vfs_read { @ = count(); }' > "$TMP/a.ast"
	run bt-check --sysroot "$FIX" -o "$TMP/a.ir" "$TMP/a.ast"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	bt-parse -e 'tracepoint:myfs:myfs_open { @[args.comm] = sum(args.ino); }' > "$TMP/b.ast"
	run bt-check --sysroot "$FIX" -o "$TMP/b.ir" "$TMP/b.ast"
	[ "$status" -eq 0 ]
	bt-parse -e 'tracepoint:myfs:myfs_close { @ = count(); }' > "$TMP/c.ast"
	run bt-check --sysroot "$FIX" -o "$TMP/c.ir" "$TMP/c.ast"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ERROR: tracepoint not found: myfs:myfs_close"* ]]
}

# ---- kfunc support ----

# Does this kernel load an fentry program?  Asked with our own small
# loader (tests/tools/fentry_loads.c), independently of bt-check.
fentry_loads() {
	"$BT/tests/fentry_loads"
}

@test "kfunc: accepted iff this kernel loads fentry programs; snapshots keep the answer" {
	[ -r /sys/kernel/btf/vmlinux ] || skip "no kernel BTF"
	[ "$(id -u)" = 0 ] || skip "needs root to load BPF"
	bt-parse -e 'kfunc:vfs_read { @ = count(); }' > "$TMP/k.ast"
	run bt-check --snapshot "$TMP/snap" -o /dev/null "$TMP/k.ast"
	if fentry_loads; then
		[ "$status" -eq 0 ]
		[ "$(cat "$TMP/snap/features")" = "kfunc 1" ]
	else
		[ "$status" -eq 1 ]
		[ "$output" = "stdin:1:1-15: ERROR: kfunc/kretfunc not available for your kernel version.
kfunc:vfs_read { @ = count(); }
~~~~~~~~~~~~~~" ]
		[ "$(cat "$TMP/snap/features")" = "kfunc 0" ]
		# kretfunc and the fentry/fexit aliases too
		bt-parse -e 'BEGIN {} fexit:vfs_read { }' > "$TMP/r.ast"
		run bt-check -o /dev/null "$TMP/r.ast"
		[ "$status" -eq 1 ]
		[ "${lines[0]}" = "stdin:1:9-24: ERROR: kfunc/kretfunc not available for your kernel version." ]
	fi
	# offline: the recorded answer, whatever this kernel says
	local want=1
	fentry_loads && want=0
	run bt-check --sysroot "$TMP/snap" -o /dev/null "$TMP/k.ast"
	[ "$status" -eq "$want" ]
	# the fixture's kernel has kfunc; the same fixture saying "kfunc 0" has not
	run bt-check --sysroot "$FIX" -o /dev/null "$TMP/k.ast"
	[ "$status" -eq 0 ]
	cp -r "$FIX" "$TMP/fix0"
	echo "kfunc 0" > "$TMP/fix0/features"
	run bt-check --sysroot "$TMP/fix0" -o /dev/null "$TMP/k.ast"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "stdin:1:1-15: ERROR: kfunc/kretfunc not available for your kernel version." ]
}

# ---- snapshots ----

snapshot_roundtrip() {
	bt-parse -e "$1" > "$TMP/p.ast" || return 1
	rm -rf "$TMP/snap"
	bt-check --snapshot "$TMP/snap" -o "$TMP/live.ir" "$TMP/p.ast" 2> "$TMP/live.err" || return 1
	bt-check --sysroot "$TMP/snap" -o "$TMP/off.ir" "$TMP/p.ast" 2> "$TMP/off.err" || return 1
	cmp "$TMP/live.ir" "$TMP/off.ir" && cmp "$TMP/live.err" "$TMP/off.err"
}

@test "snapshot: ir from --sysroot is byte-identical to the live run that recorded it" {
	need_tracefs
	bt-parse -e 'BEGIN {}' > /dev/null
	snapshot_roundtrip 'tracepoint:syscalls:sys_enter_openat { @[str(args.filename)] = count(); }'
	[ "$(cat "$TMP/snap/tracefs/available_events")" = "syscalls:sys_enter_openat" ]
	[ -f "$TMP/snap/tracefs/events/syscalls/sys_enter_openat/format" ]
	snapshot_roundtrip 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); }'
	snapshot_roundtrip 'tracepoint:sched:sched_switch { @[args.prev_comm] = count(); }'
	snapshot_roundtrip 'uprobe:/bin/bash:read* { @[probe] = count(); }'
	snapshot_roundtrip 'uprobe:libc:malloc { @ = hist(arg0); }'
	snapshot_roundtrip 'rawtracepoint:sched_switch { @ = count(); }'
	snapshot_roundtrip 'kprobe:vfs_re* { @[probe] = count(); }'
	snapshot_roundtrip 'software:cs { @ = count(); }'
	if [ -x "$TP/uprobe_test" ]; then
		snapshot_roundtrip "uprobe:$TP/uprobe_test:uprobeFunction2 { @[args.foo1->b] = sum(args.foo2->a); }"
	fi
	if [ -r /sys/kernel/btf/vmlinux ] && fentry_loads; then
		snapshot_roundtrip 'kfunc:vfs_read { @ = args.count; }'
	fi
	if [ -x "$TP/usdt_test" ]; then
		snapshot_roundtrip "usdt:$TP/usdt_test:tracetest:* { @[probe] = count(); }"
	fi
	# the snapshot is all there is: a moved copy still works, an empty one fails
	mv "$TMP/snap" "$TMP/moved"
	bt-check --sysroot "$TMP/moved" -o "$TMP/moved.ir" "$TMP/p.ast"
	mkdir "$TMP/empty"
	bt-parse -e 'tracepoint:syscalls:sys_enter_openat { @ = count(); }' > "$TMP/q.ast"
	run bt-check --sysroot "$TMP/empty" -o /dev/null "$TMP/q.ast"
	[ "$status" -eq 1 ]
	[[ "$output" == *"tracepoint not found: syscalls:sys_enter_openat"* ]]
}

@test "snapshot: a --sysroot that is not a directory is refused at once" {
	bt-parse -e 'BEGIN { exit(); }' > "$TMP/p.ast"
	run bt-check --sysroot "$TMP/nope" -o /dev/null "$TMP/p.ast"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-check: ERROR: --sysroot '$TMP/nope': No such file or directory" ]
	touch "$TMP/file"
	run bt-check --sysroot "$TMP/file" -o /dev/null "$TMP/p.ast"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-check: ERROR: --sysroot '$TMP/file' is not a directory" ]
	run bt-check --sysroot "$TMP/nope" --list 'software:*'
	[ "$status" -eq 1 ]
}

@test "speed: a program without kernel types never reads BTF" {
	need_tracefs
	bt-parse -e 'tracepoint:syscalls:sys_enter_openat { @[comm, str(args.filename)] = count(); }' > "$TMP/p.ast"
	bt-check --snapshot "$TMP/snap" -o /dev/null "$TMP/p.ast"
	[ ! -e "$TMP/snap/btf" ]
	if command -v strace > /dev/null; then
		strace -f -e trace=open,openat -o "$TMP/trace" bt-check -o /dev/null "$TMP/p.ast"
		[ "$(grep -c -e '/sys/kernel/btf' -e 'kallsyms' "$TMP/trace")" = 0 ]
	fi
	# and one that casts to a kernel struct does
	[ -r /sys/kernel/btf/vmlinux ] || return 0
	bt-parse -e 'kprobe:vfs_read { @ = ((struct task_struct *)curtask)->pid; }' > "$TMP/k.ast"
	bt-check --snapshot "$TMP/snap2" -o /dev/null "$TMP/k.ast"
	[ -f "$TMP/snap2/btf/vmlinux" ]
}
