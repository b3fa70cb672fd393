#!/usr/bin/env bats
# untrusted.bats - an object is untrusted input to root's bt-load.
#
# Crafted objects (tests/load/evil.bpf.c and progs.bpf.c, wrapped by
# tests/load/mkobj.c with metadata that tells the truth or lies): each
# unsafe capability with and without bt-load's own --unsafe, metadata that
# does not match the code, malformed and oversized records.  A refusal must
# come before anything reaches the kernel or a -c command starts: bt-load
# runs under strace, which must see no bpf(2) call at all, and bpftool must
# show no program of the object.
load helpers

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	export LT="$BATS_FILE_TMPDIR"
}

setup() {
	require_root
	command -v strace >/dev/null || skip "needs strace"
}

# mk NAME ELF <<SPEC: $LT/NAME.obj from ELF and a metadata spec (mkobj.c)
mk() {
	cat > "$LT/$1.spec"
	"$BT/tests/mkobj" "$2" "$LT/$1.spec" > "$LT/$1.obj"
}

# refused OBJ MESSAGE [bt-load options]: bt-load exits 1 with MESSAGE as
# its only output, makes no bpf(2) call and starts no -c command.
refused() {
	local obj=$1 msg=$2 mark
	shift 2
	rm -f "$LT/child-ran"
	mark=$(last_prog_id)
	run strace -f -qq -e trace=bpf -o "$LT/strace.txt" \
		"$BT/bt-load" "$@" -c "touch $LT/child-ran" "$LT/$obj.obj"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$msg" ]
	! grep -q 'bpf(' "$LT/strace.txt"
	[ ! -e "$LT/child-ran" ]
	# (other suites load programs meanwhile: only evil.bpf.c's are looked for)
	! bpftool prog list 2>/dev/null |
		awk -F: -v m="$mark" '/^[0-9]+: / && $1 > m' | grep -q ' name evil_'
}

last_prog_id() {
	bpftool prog list 2>/dev/null | awk -F: '/^[0-9]+: / { id = $1 } END { print id + 0 }'
}

# let_through OBJ [options]: obj_check passes it (what happens next is the
# kernel's business); its output is in $output.
let_through() {
	local obj=$1
	shift
	run timeout 20 "$BT/bt-load" "$@" "$LT/$obj.obj"
	echo "$output"
	[[ $output != *"unsafe function being used in safe mode"* ]]
	[[ $output != *"bt-load: ERROR: obj stream"* ]]
}

@test "unsafe helpers: signal, signal_thread, user memory writes need bt-load --unsafe" {
	local prog what
	for prog in evil_signal:"signal()" evil_sigthr:"signal()" evil_write:"bpf_probe_write_user()"; do
		what=${prog#*:}
		prog=${prog%%:*}
		mk "$prog" "$BT/tests/evil.bpf.o" <<-EOF
		config unsafe=1
		probe BEGIN $prog BEGIN
		EOF
		refused "$prog" "ERROR: $what is an unsafe function being used in safe mode"
		# then it is the kernel's to accept (this one refuses user
		# memory writes from a raw tracepoint program)
		let_through "$prog" --unsafe
	done
}

@test "override() needs bt-load --unsafe" {
	mk ovr "$BT/tests/evil.bpf.o" <<-'EOF'
	config unsafe=1
	probe kprobe evil_override kprobe:vfs_read func=vfs_read
	EOF
	refused ovr "ERROR: override() is an unsafe function being used in safe mode"
	# let through; this kernel may not attach it (no kprobes), which is
	# then the ordinary attach error
	let_through ovr --unsafe
}

@test "system() declared: refused without bt-load --unsafe, runs with it" {
	mk sys "$BT/tests/progs.bpf.o" <<-EOF
	config unsafe=1
	probe BEGIN actions BEGIN
	probe interval exit_1 interval:ms:50 target=ms freq=50
	map @s int64 int64
	system 16 touch\s$LT/pwned-%d int64@8
	cat 24 /etc/hostname
	time %H:%M\n
	EOF
	refused sys "ERROR: system() is an unsafe function being used in safe mode"
	[ ! -e "$LT/pwned-7" ]
	let_through sys --unsafe
	[ "$status" -eq 0 ]
	[ -e "$LT/pwned-7" ]
}

@test "cat() of a path chosen at run time needs bt-load --unsafe; a constant path does not" {
	mk catrt "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_catrec BEGIN
	cat 24 %s string:16@8
	EOF
	refused catrt "ERROR: cat() with a path chosen at run time is an unsafe function being used in safe mode"
	let_through catrt --unsafe
	[ "$status" -eq 0 ]
	run bash -c "'$BT/bt-load' --unsafe '$LT/catrt.obj' | '$BT/bt-fmt'"
	[[ $output == *"$(cat /etc/hostname)"* ]]
	# the file named in the metadata (bt-fmt --dump shows it)
	mk catk "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_catrec BEGIN
	cat 24 /etc/hostname
	EOF
	run bash -c "'$BT/bt-load' '$LT/catk.obj' | '$BT/bt-fmt'"
	[ "$status" -eq 0 ]
	[[ $output == *"$(cat /etc/hostname)"* ]]
}

@test "metadata that says 'compiled without --unsafe' about unsafe code is refused, even with --unsafe" {
	mk lie_sig "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_signal BEGIN
	EOF
	local m="bt-load: ERROR: obj stream: 'evil_signal' calls the unsafe helper 109 (signal()) but the metadata says it was compiled without --unsafe"
	refused lie_sig "$m"
	refused lie_sig "$m" --unsafe
	mk lie_sys "$BT/tests/progs.bpf.o" <<-EOF
	probe BEGIN actions BEGIN
	system 16 touch\s$LT/lie-%d int64@8
	EOF
	m="bt-load: ERROR: obj stream: system() is declared but the metadata says the program was compiled without --unsafe"
	refused lie_sys "$m"
	refused lie_sys "$m" --unsafe
	[ ! -e "$LT/lie-7" ]
}

@test "records the metadata does not declare stop the run: no command, no file" {
	# a system() record from an object that declares no system(): loads
	# (the record is data), and bt-load refuses to act on it
	mk undecl "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_sysrec BEGIN
	EOF
	run timeout 20 "$BT/bt-load" --unsafe "$LT/undecl.obj"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"ERROR: the program emitted a record its metadata does not declare (id 10000); stopping"* ]]
	mk badid "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_badid BEGIN
	EOF
	run timeout 20 "$BT/bt-load" "$LT/badid.obj"
	[ "$status" -eq 1 ]
	[[ $output == *"(id 31337)"* ]]
}

@test "programs the metadata lies about: missing, of another kind, unknown helpers" {
	mk missing "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN no_such_prog BEGIN
	EOF
	refused missing "bt-load: ERROR: obj stream: probe 'BEGIN': its program 'no_such_prog' is not in the BPF object"
	mk kind "$BT/tests/evil.bpf.o" <<-'EOF'
	probe profile evil_none profile:hz:99 target=hz freq=99
	EOF
	refused kind "bt-load: ERROR: obj stream: program 'evil_none' of a profile probe is in section 'raw_tp/BEGIN'"
	mk tail "$BT/tests/evil.bpf.o" <<-'EOF'
	config unsafe=1
	probe BEGIN evil_tail BEGIN
	EOF
	refused tail "bt-load: ERROR: obj stream: 'evil_tail' calls BPF helper 12, which bt-codegen never emits"
	refused tail "bt-load: ERROR: obj stream: 'evil_tail' calls BPF helper 12, which bt-codegen never emits" --unsafe
	# programs the metadata does not name are never loaded
	mk honest "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_none BEGIN
	EOF
	let_through honest
	[ "$status" -eq 0 ]
}

@test "malformed metadata and ELF: bad ids, truncated and oversized records" {
	mk mapid "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_none BEGIN
	map @a int64
	map_id 7
	EOF
	refused mapid "bt-load: ERROR: obj stream: map '@a' has id 7 at index 0"
	mk big "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_none BEGIN
	printf 4294967295 %d int64@8
	EOF
	refused big "bt-load: ERROR: obj stream: printf format 0: record size 4294967295 out of range"
	mk small "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_none BEGIN
	printf 4 hello
	EOF
	refused small "bt-load: ERROR: obj stream: printf format 0: record size 4 out of range"
	mk argout "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_none BEGIN
	printf 16 %d int64@12
	EOF
	refused argout "bt-load: ERROR: obj stream: bad format argument layout"
	mk arghdr "$BT/tests/evil.bpf.o" <<-'EOF'
	probe BEGIN evil_none BEGIN
	printf 16 %d int64@0
	EOF
	refused arghdr "bt-load: ERROR: obj stream: printf format 0: argument 0 outside the record"
	# the ELF cut short, and an ELF that is not BPF
	head -c 2000 "$BT/tests/evil.bpf.o" > "$LT/cut.o"
	mk cut "$LT/cut.o" <<-'EOF'
	probe BEGIN evil_none BEGIN
	EOF
	refused cut "bt-load: ERROR: obj stream: the BPF object has no symbol table"
	mk x86 /bin/true <<-'EOF'
	probe BEGIN evil_none BEGIN
	EOF
	refused x86 "bt-load: ERROR: obj stream: the object is not a 64-bit BPF ELF"
}

@test "the compiler's own unsafe objects need --unsafe at bt-load too" {
	"$BT/bt-parse" -e 'BEGIN { system("true"); exit(); }' |
		"$BT/bt-check" --unsafe | "$BT/bt-codegen" > "$LT/chainsys.obj"
	refused chainsys "ERROR: system() is an unsafe function being used in safe mode"
	let_through chainsys --unsafe
	[ "$status" -eq 0 ]
	"$BT/bt-parse" -e 'BEGIN { exit(); } profile:hz:1 { signal("USR1"); }' |
		"$BT/bt-check" --unsafe | "$BT/bt-codegen" > "$LT/chainsig.obj"
	refused chainsig "ERROR: signal() is an unsafe function being used in safe mode"
	let_through chainsig --unsafe
	[ "$status" -eq 0 ]
	"$BT/bt-parse" -e 'BEGIN { cat("/proc/%d/comm", pid); exit(); }' |
		"$BT/bt-check" --unsafe | "$BT/bt-codegen" > "$LT/chaincat.obj"
	refused chaincat "ERROR: cat() with a path chosen at run time is an unsafe function being used in safe mode"
	# the driver passes --unsafe through
	run "$BT/bpftrace" --unsafe -e 'BEGIN { cat("/proc/%d/comm", pid); exit(); }'
	[ "$status" -eq 0 ]
	[[ $output == *bpftrace* ]]
	run "$BT/bpftrace" -e 'BEGIN { cat("/proc/%d/comm", pid); exit(); }'
	[ "$status" -eq 1 ]
	[[ $output == *"cat() with a path chosen at run time is an unsafe function being used in safe mode"* ]]
	# literal pieces are folded into one constant path: no --unsafe needed
	run "$BT/bpftrace" -e 'BEGIN { cat("/%s/%s", "etc", "hostname"); exit(); }'
	[ "$status" -eq 0 ]
	[[ $output == *"$(cat /etc/hostname)"* ]]
}
