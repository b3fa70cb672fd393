#!/usr/bin/env bats
# load.bats - bt-load: loading, attaching every probe family, the event
# loop, map dumps, signals, -c/-p, and that nothing is left behind.
#
# Two kinds of input:
#  * hand-written BPF programs (tests/load/progs.bpf.c, clang) wrapped into
#    obj streams by tests/load/mkobj.c: they test bt-load alone;
#  * the real chain (bt-parse | bt-check | bt-codegen) for end-to-end
#    tests.
# Output is checked through bt-fmt (text), as a user sees it.

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	ensure_tracefs
	export LT="$BATS_FILE_TMPDIR"
}

setup() {
	require_root
	leak_mark
}

# mk NAME <<SPEC: build $LT/NAME.obj from a metadata spec (see mkobj.c);
# the standard printf formats of progs.bpf.c are appended.
mk() {
	{
		cat
		cat <<-'EOF'
		printf 8 begin\n
		printf 8 end\n
		printf 32 %d\s%s\n int64@24 string:16@8
		printf 8 tick\n
		printf 16 %s\n ksym@8
		printf 16 %d\n int64@8
		printf 56 %s string:48@8
		EOF
	} > "$LT/$1.spec"
	"$BT/tests/mkobj" "$BT/tests/progs.bpf.o" "$LT/$1.spec" > "$LT/$1.obj"
}

# Leak check: within 3 s every program loaded since the test began is gone
# (programs still held by a live process — another test running at the
# same time — do not count), and no uprobe is left registered in tracefs.
leak_mark() {
	PROG_MARK=$(bpftool prog list 2>/dev/null | awk -F: '/^[0-9]+:/ { id = $1 } END { print id + 0 }')
}

held_by_process() {
	grep -qsE "^prog_id:[[:space:]]+$1\$" /proc/[0-9]*/fdinfo/* 2>/dev/null
}

# Programs loaded since leak_mark (of any name: the chain's too).
our_new_progs() {
	bpftool prog list 2>/dev/null | grep -E '^[0-9]+: ' |
		awk -F: -v m="${PROG_MARK:-0}" '$1 > m { print $1 }'
}

no_leak() {
	local i id left
	for i in $(seq 30); do
		left=""
		for id in $(our_new_progs); do
			held_by_process "$id" || left="$left $id"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || { echo "leaked programs:$left"; bpftool prog list; return 1; }
	if [ -r /sys/kernel/tracing/uprobe_events ]; then
		[ -z "$(grep -E 'testprogs|libc' /sys/kernel/tracing/uprobe_events)" ]
	fi
}

fmt() { "$BT/bt-fmt" "$@"; }

# ---- command line and bad input ----

@test "bt-load -h prints usage" {
	run "$BT/bt-load" -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"USAGE: bt-load"* ]]
}

@test "bt-load refuses garbage, wrong streams and truncated objects" {
	run bash -c "printf 'hello' | $BT/bt-load"
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-load: ERROR: "* ]]
	mk ok <<-'EOF'
	probe BEGIN BEGIN_1 BEGIN
	EOF
	head -c 200 "$LT/ok.obj" > "$LT/trunc.obj"
	run "$BT/bt-load" "$LT/trunc.obj"
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-load: ERROR: truncated obj stream"* ]]
	# an out stream is not an obj stream (BEGIN exits: the run ends)
	mk okexit <<-'EOF'
	probe BEGIN exit_rtp BEGIN
	EOF
	timeout 20 "$BT/bt-load" "$LT/okexit.obj" > "$LT/ok.out"
	run "$BT/bt-load" "$LT/ok.out"
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-load: ERROR: expected a 'obj' stream, got 'out'" ]]
	run "$BT/bt-load" -B sometimes "$LT/ok.obj"
	[ "$status" -eq 1 ]
	# a version 1 object (no meta.target: its kernel reads were at fixed
	# offsets) is refused before anything is loaded
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); k = b"\xa7version\x02"; assert k in d; open(sys.argv[2], "wb").write(d.replace(k, b"\xa7version\x01", 1))' \
		"$LT/ok.obj" "$LT/v1.obj"
	run "$BT/bt-load" "$LT/v1.obj"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-load: ERROR: unsupported obj stream version 1 (this tool reads version 2)" ]
}

# ---- BEGIN / END, probes, output ----

@test "BEGIN runs before probes fire, END after, then the maps" {
	mk order <<-'EOF'
	probe BEGIN BEGIN_1 BEGIN
	probe END END_1 END
	probe interval tick interval:ms:50 target=ms freq=50
	probe interval exit_1 interval:ms:180 target=ms freq=180
	map @c count
	EOF
	run bash -c "$BT/bt-load $LT/order.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching 4 probes..." ]
	[ "${lines[1]}" = "begin" ]
	[ "${lines[2]}" = "tick" ]
	# END output follows every tick, and the map dump follows END
	last_tick=$(grep -n '^tick$' <<<"$output" | tail -1 | cut -d: -f1)
	end=$(grep -n '^end$' <<<"$output" | cut -d: -f1)
	[ "$end" -gt "$last_tick" ]
	[ "$(grep -c '^end$' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^begin$' <<<"$output")" -eq 1 ]
	# "end", "\n\n", then the (empty) map: an empty line
	"$BT/bt-load" "$LT/order.obj" | "$BT/bt-fmt" > "$LT/order.txt"
	[ "$(tail -c 7 "$LT/order.txt" | od -An -tx1 | tr -d ' \n')" = 656e640a0a0a0a ]
	no_leak
}

@test "exit() in BEGIN stops before anything else is attached" {
	mk bexit <<-'EOF'
	probe BEGIN exit_rtp BEGIN
	probe END END_1 END
	probe profile tick profile:hz:999 target=hz freq=999
	EOF
	run bash -c "$BT/bt-load $LT/bexit.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" != *tick* ]]
	[[ "$output" == *end* ]]
}

@test "no probes: exit 1 and 'No probes to attach'" {
	mk none <<-'EOF'
	map @c count
	EOF
	run bash -c "$BT/bt-load $LT/none.obj > $LT/none.out"
	[ "$status" -eq 1 ]
	run fmt "$LT/none.out"
	[ "$output" = "No probes to attach" ]
}

@test "metadata without its 'probes' key is refused, not run as a program with none" {
	bt-parse -e 'BEGIN { exit(); }' | bt-check | bt-codegen > "$LT/keyed.obj"
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
assert d.count(b"\xa6probes") == 1
open(sys.argv[2], "wb").write(d.replace(b"\xa6probes", b"\xa6probez"))' "$LT/keyed.obj" "$LT/unkeyed.obj"
	run bt-load "$LT/unkeyed.obj"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-load: ERROR: obj stream: program metadata without 'probes'" ]
	run bt-codegen -o /dev/null <(bt-parse -e 'BEGIN { exit(); }' | bt-check |
		python3 -c '
import sys
d = sys.stdin.buffer.read()
sys.stdout.buffer.write(d.replace(b"\xa6probes", b"\xa6probez"))')
	[ "$status" -eq 1 ]
	[ "$output" = "bt-codegen: ERROR: corrupt ir stream (program metadata without 'probes')" ]
}

@test "too many probes is refused before attaching" {
	mk toomany <<-'EOF'
	config max_probes=1
	probe interval tick interval:ms:50 target=ms freq=50
	probe interval exit_1 interval:ms:100 target=ms freq=100
	EOF
	run "$BT/bt-load" "$LT/toomany.obj"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Can't attach to 2 probes because it exceeds the current limit of 1 probes."* ]]
}

@test "tracepoint and rawtracepoint probes count events" {
	mk tp <<-'EOF'
	probe tracepoint count_tp tracepoint:syscalls:sys_enter_nanosleep target=syscalls func=sys_enter_nanosleep
	probe interval exit_1 interval:ms:500 target=ms freq=500
	map @c count
	EOF
	(for i in $(seq 100); do "$TP/syscall" nanosleep 1 >/dev/null; sleep 0.01; done) &
	bg=$!
	run bash -c "$BT/bt-load $LT/tp.obj | $BT/bt-fmt"
	wait "$bg" || true
	[ "$status" -eq 0 ]
	[[ "$output" =~ @c:\ [1-9] ]]
	mk rtp <<-'EOF'
	probe rawtracepoint count_rtp rawtracepoint:sched_switch func=sched_switch
	probe interval exit_1 interval:ms:200 target=ms freq=200
	map @c count
	EOF
	run bash -c "$BT/bt-load $LT/rtp.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" =~ @c:\ [1-9] ]]
	no_leak
}

@test "profile, interval and software events fire" {
	mk perf <<-'EOF'
	probe profile count_pe profile:hz:997 target=hz freq=997
	probe software tick software:cpu-clock:10000000 target=cpu-clock freq=10000000
	probe interval exit_1 interval:ms:300 target=ms freq=300
	map @c count
	EOF
	(timeout 1 sh -c 'while :; do :; done') &
	bg=$!
	run bash -c "$BT/bt-load $LT/perf.obj | $BT/bt-fmt"
	wait "$bg" || true
	[ "$status" -eq 0 ]
	[[ "$output" =~ @c:\ [1-9] ]]
	[[ "$output" == *tick* ]]
	no_leak
}

@test "hardware events: refused on this machine with an error" {
	if [ -e /sys/bus/event_source/devices/cpu/events ]; then
		skip "this machine has hardware events"
	fi
	mk hw <<-'EOF'
	probe hardware tick hardware:cycles:1000000 target=cycles freq=1000000
	EOF
	run "$BT/bt-load" "$LT/hw.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Error attaching probe: hardware:cycles:1000000"* ]]
	no_leak
}

@test "kprobes and kfuncs: refused on this machine with an error" {
	[ ! -e /sys/kernel/tracing/kprobe_events ] || skip "this machine has kprobes"
	mk kp <<-'EOF'
	probe kprobe kp_tick kprobe:vfs_read func=vfs_read
	EOF
	run "$BT/bt-load" "$LT/kp.obj"
	[ "$status" -eq 255 ]
	# bpftrace quotes an explicit kprobe that fails
	[[ "$output" == *"ERROR: Error attaching probe: 'kprobe:vfs_read'"* ]]
	no_leak
}

@test "kprobe offset past the function's size (kallsyms): refused before attaching" {
	local a b size=
	# kallsyms addresses are 16 hex digits: strings compare as numbers
	a=$(awk '$3 == "vfs_read" && $2 ~ /^[tT]$/ { print $1; exit }' /proc/kallsyms)
	b=$(awk -v a="$a" '$1 > a && (b == "" || $1 < b) { b = $1 } END { print b }' /proc/kallsyms)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != 0000000000000000 ] && size=$((16#$b - 16#$a))
	[ -n "$size" ] || skip "vfs_read's address is not readable in kallsyms"
	mk kpo <<-'EOF'
	probe kprobe kp_tick kprobe:vfs_read+1000000 func=vfs_read func_offset=1000000
	EOF
	run "$BT/bt-load" "$LT/kpo.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Offset outside the function bounds ('vfs_read' size is $size)"* ]]
	no_leak
}

@test "uprobe on a function, function+offset, address; uretprobe" {
	local addr
	addr=$(nm "$TP/uprobe_test" | awk '$3 == "uprobeFunction1" { print "0x" $1 }')
	mk up <<-EOF
	probe uprobe upr uprobe:$TP/uprobe_test:uprobeFunction1 target=$TP/uprobe_test func=uprobeFunction1
	probe uprobe upr uprobe:$TP/uprobe_test:uprobeFunction1+4 target=$TP/uprobe_test func=uprobeFunction1 func_offset=4
	probe uprobe upr uprobe:$TP/uprobe_test:$addr target=$TP/uprobe_test address=$addr
	probe uretprobe upr uretprobe:$TP/uprobe_test:uprobeFunction2 target=$TP/uprobe_test func=uprobeFunction2
	map @c count
	EOF
	run bash -c "$BT/bt-load -c $TP/uprobe_test $LT/up.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[ "$(grep -c ' uprobe_test$' <<<"$output")" -eq 4 ]
	[[ "$output" == *"@c: 4"* ]]
	no_leak
}

@test "uprobe on a library function (libc malloc)" {
	local libc
	libc=$(ldd "$TP/uprobe_library" | awk '/libc.so/ { print $3 }')
	mk lib <<-EOF
	probe uprobe upr uprobe:$libc:malloc target=$libc func=malloc
	map @c count
	EOF
	run bash -c "$BT/bt-load -c $TP/uprobe_library $LT/lib.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" == *" uprobe_library"* ]]
	[[ "$output" =~ @c:\ [1-9] ]]
	no_leak
}

# usdt_site BINARY PROVIDER PROBE: "usdt_offset=N usdt_sema=N" of the
# probe's first site, as bt-check finds them (tests/tools/sys_query.c)
usdt_site() {
	"$BT/tests/sys_query" expand "usdt:$1:$2:$3" | head -1 |
		sed -E 's/.* offset=([0-9]+) sema=([0-9]+) .*/usdt_offset=\1 usdt_sema=\2/'
}

@test "usdt with a semaphore: the semaphore is raised while attached" {
	mk usdt <<-EOF
	probe usdt usdt_msg usdt:$TP/usdt_semaphore_test:tracetest:testprobe target=$TP/usdt_semaphore_test ns=tracetest func=testprobe $(usdt_site "$TP/usdt_semaphore_test" tracetest testprobe)
	probe interval exit_1 interval:ms:200 target=ms freq=200
	EOF
	run bash -c "$BT/bt-load -c $TP/usdt_semaphore_test $LT/usdt.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" == *"tracetest_testprobe_semaphore: 1"* ]]
	[[ "$output" != *"semaphore: 0"* ]]
	no_leak
}

@test "usdt: the site is the attach point's offset; one outside the binary's segments is refused" {
	mk usdtbad <<-EOF
	probe usdt usdt_msg usdt:$TP/usdt_semaphore_test:tracetest:testprobe target=$TP/usdt_semaphore_test ns=tracetest func=testprobe usdt_offset=99999999
	probe interval exit_1 interval:ms:200 target=ms freq=200
	EOF
	run bash -c "set -o pipefail; $BT/bt-load -c $TP/usdt_semaphore_test $LT/usdtbad.obj | $BT/bt-fmt"
	[ "$status" -ne 0 ]
	[[ "$output" == *"ERROR: Could not find USDT probe $TP/usdt_semaphore_test:tracetest:testprobe"* ]]
	no_leak
}

@test "usdt with -p on a running process" {
	"$TP/usdt_semaphore_test" > /dev/null &
	local pid=$!
	sleep 0.2
	mk usdtp <<-EOF
	probe usdt usdt_msg usdt:$TP/usdt_semaphore_test:tracetest:testprobe target=$TP/usdt_semaphore_test ns=tracetest func=testprobe $(usdt_site "$TP/usdt_semaphore_test" tracetest testprobe)
	probe interval exit_1 interval:ms:200 target=ms freq=200
	EOF
	run bash -c "$BT/bt-load -p $pid $LT/usdtp.obj | $BT/bt-fmt"
	kill $pid
	[ "$status" -eq 0 ]
	[[ "$output" == *"tracetest_testprobe_semaphore: 1"* ]]
	no_leak
}

@test "watchpoint on an address of the -c child" {
	mk wp <<-'EOF'
	probe watchpoint tick watchpoint:0x10000000:1:w address=0x10000000 len=1 mode=w
	EOF
	run bash -c "timeout 20 $BT/bt-load -c $TP/watchpoint $LT/wp.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	if [[ "$output" == *"out of watchpoint registers"* ]]; then
		skip "the kernel has no free debug registers"
	fi
	[ "$(grep -c '^tick$' <<<"$output")" -eq 10 ]
	no_leak
}

@test "watchpoint on func+argN (SIGSTOP/SIGCONT dance)" {
	mk wpf <<-EOF
	probe watchpoint wtick watchpoint:increment+arg1:4:w target=$TP/watchpoint_func func=increment arg_num=1 len=4 mode=w
	probe interval exit_1 interval:ms:300 target=ms freq=300
	EOF
	run bash -c "timeout 20 $BT/bt-load -c $TP/watchpoint_func $LT/wpf.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	if [[ "$output" == *"out of watchpoint registers"* ]]; then
		skip "the kernel has no free debug registers"
	fi
	[ "$(grep -c '^tick$' <<<"$output")" -gt 10 ]
	no_leak
}

@test "iter:task and iter:task_file print one line per task / file" {
	mk it <<-'EOF'
	probe iter iter_task iter:task target=task
	EOF
	run bash -c "$BT/bt-load $LT/it.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching 1 probe..." ]
	[[ "$output" == *"task $$"$'\n'* ]]
	[ "$(grep -c '^task ' <<<"$output")" -gt 10 ]
	mk itf <<-'EOF'
	probe iter iter_task_file iter:task_file target=task_file
	EOF
	run bash -c "$BT/bt-load $LT/itf.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" == *"file $$ 0"* ]]
	no_leak
}

# ---- actions, maps, symbols ----

@test "system(), cat() and time() run while tracing" {
	mk act <<-'EOF'
	config unsafe=1
	probe BEGIN actions BEGIN
	probe interval exit_1 interval:ms:50 target=ms freq=50
	map @s int64 int64
	system 16 echo\shello\s%d int64@8
	cat 24 %s string:16@8
	time %H:%M\n
	EOF
	run bash -c "$BT/bt-load --unsafe $LT/act.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "hello 7" ]
	[ "${lines[2]}" = "$(cat /etc/hostname)" ]
	[[ "${lines[3]}" =~ ^[0-9][0-9]:[0-9][0-9]$ ]]
	[[ "$output" =~ @s\[[0-9]+\]:\ 42 ]]
}

@test "system() without bt-load --unsafe is refused before anything is loaded" {
	mk unsafe <<-'EOF'
	config unsafe=1
	probe BEGIN actions BEGIN
	probe interval exit_1 interval:ms:50 target=ms freq=50
	system 16 echo\shello\s%d int64@8
	cat 24 %s string:16@8
	time %H:%M\n
	EOF
	run "$BT/bt-load" "$LT/unsafe.obj"
	[ "$status" -eq 1 ]
	[ "$output" = "ERROR: system() is an unsafe function being used in safe mode" ]
	no_leak
}

@test "print() of a map while tracing" {
	mk print <<-'EOF'
	probe profile count_pe profile:hz:997 target=hz freq=997
	probe interval print_c interval:ms:100 target=ms freq=100
	probe interval exit_1 interval:ms:350 target=ms freq=350
	map @c count
	EOF
	(timeout 1 sh -c 'while :; do :; done') &
	bg=$!
	run bash -c "$BT/bt-load $LT/print.obj | $BT/bt-fmt"
	wait "$bg" || true
	[ "$status" -eq 0 ]
	[ "$(grep -c '^@c: ' <<<"$output")" -ge 3 ]
}

@test "kstack, ksym and username values: saved output is self-contained" {
	mk stk <<-'EOF'
	probe profile stacks profile:hz:997 target=hz freq=997
	probe profile ksym_pe profile:hz:997 target=hz freq=997
	probe interval exit_1 interval:ms:300 target=ms freq=300
	map @k count kstack:127
	map @u count username
	EOF
	(timeout 1 sh -c 'while :; do :; done') &
	bg=$!
	"$BT/bt-load" "$LT/stk.obj" > "$LT/stk.out"
	wait "$bg" || true
	run "$BT/bt-fmt" --dump "$LT/stk.out"
	[[ "$output" == *'(stack)'* || "$output" == *'t: "stack"'* ]]
	[[ "$output" == *'t: "username"'* ]]
	run fmt "$LT/stk.out"
	[ "$status" -eq 0 ]
	[[ "$output" == *"@u[root]: "* ]]
	[[ "$output" =~ @k\[$'\n'\ \ \ \ [a-z_] ]]
	# ksym printf lines are kernel symbol names, not addresses
	[ "$(grep -Ec '^[a-z_][a-zA-Z0-9_.]*$' <<<"$output")" -gt 0 ]
}

@test "lost events are counted with a tiny ring buffer" {
	mk lost <<-'EOF'
	config perf_rb_pages=1
	probe profile flood profile:hz:997 target=hz freq=997
	probe interval exit_1 interval:ms:300 target=ms freq=300
	EOF
	run bash -c "$BT/bt-load $LT/lost.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" =~ Lost\ [0-9]+\ events ]]
}

# ---- -c, -p, signals ----

@test "-c: the child's pid is cpid; the run ends when the child exits" {
	mk cpid <<-'EOF'
	probe BEGIN show_cpid BEGIN
	EOF
	run bash -c "$BT/bt-load -v -c '$TP/syscall nanosleep 1e8' $LT/cpid.obj 2>/dev/null | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	# (-v also prints each program's verifier log first)
	local cpid
	cpid=$(grep -m1 -E '^[0-9]+$' <<< "$output")
	[ "$cpid" -gt 1 ]
	[[ "$output" == *"Child exited with code: 0"* ]]
}

@test "-c: the command's output stays out of the out stream" {
	mk cout <<-'EOF'
	probe BEGIN BEGIN_1 BEGIN
	EOF
	# without fds 3/4 (the driver's user stdin/stdout) it goes to stderr
	"$BT/bt-load" -c 'echo child-output' "$LT/cout.obj" > "$LT/cout.out" 2> "$LT/cout.err" 3>&- 4>&-
	run fmt "$LT/cout.out"
	[ "$status" -eq 0 ]
	[[ "$output" != *child-output* ]]
	grep -q '^child-output$' "$LT/cout.err"
	# with them, it goes to fd 4
	"$BT/bt-load" -c 'echo child-output' "$LT/cout.obj" > "$LT/cout.out" 4> "$LT/cout.4" 3</dev/null
	run fmt "$LT/cout.out"
	[ "$status" -eq 0 ]
	[ "$(cat "$LT/cout.4")" = child-output ]
}

@test "-c: a child that dies by a signal ends the run cleanly" {
	mk cdie <<-'EOF'
	probe profile count_pe profile:hz:99 target=hz freq=99
	map @c count
	EOF
	run bash -c "$BT/bt-load -v -c 'sh -c kill\$IFS-9\$IFS\$\$' $LT/cdie.obj 2>/dev/null | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Child terminated by signal: 9"* ]]
	no_leak
}

@test "-p: the run ends when the process exits" {
	sleep 60 &
	local pid=$!
	mk pid <<-'EOF'
	probe profile count_pe profile:hz:99 target=hz freq=99
	map @c count
	EOF
	# the process ends once the run has attached, however long that took
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 timeout 20 bash -c \
		"$BT/bt-load -p $pid $LT/pid.obj | $BT/bt-fmt" > "$LT/pid.out" 2> "$LT/pid.err" &
	local run=$! st=0
	wait_attached "$LT/pid.err" $run
	sleep 0.3
	local t0=$SECONDS
	kill $pid
	wait $run || st=$?
	[ "$st" -eq 0 ]
	[ $((SECONDS - t0)) -lt 5 ]
	[[ "$(cat "$LT/pid.out")" == *"@c: "* ]]
	no_leak
}

@test "the tracing process is named bpftrace; SIGUSR1 prints maps, SIGINT ends" {
	mk sig <<-'EOF'
	probe BEGIN BEGIN_1 BEGIN
	probe END END_1 END
	probe profile count_pe profile:hz:99 target=hz freq=99
	map @c count
	EOF
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "$BT/bt-load" "$LT/sig.obj" > "$LT/sig.out" 2> "$LT/sig.err" &
	local pid=$!
	for i in $(seq 50); do grep -q NOTIFY "$LT/sig.err" && break; sleep 0.1; done
	[ "$(cat /proc/$pid/comm)" = bpftrace ]
	kill -USR1 $pid
	sleep 0.3
	kill -INT $pid
	wait $pid
	run fmt "$LT/sig.out"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^@c: ' <<<"$output")" -eq 2 ]
	[[ "$output" == *$'end\n\n\n@c: '* ]]
	[ "$(cat "$LT/sig.err")" = "__BPFTRACE_NOTIFY_PROBES_ATTACHED" ]
	no_leak
}

@test "SIGTERM to the whole process group: END runs, maps print, exit 0" {
	mk term <<-'EOF'
	probe END END_1 END
	probe profile count_pe profile:hz:99 target=hz freq=99
	map @c count
	EOF
	run timeout 10 setsid bash -c "
		exec 3>&1
		(sleep 0.5; kill -TERM 0) &
		exec -a bpftrace $BT/bt-load $LT/term.obj > >(trap '' TERM; exec $BT/bt-fmt --live >&3)"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'end\n\n\n@c: '* ]]
	no_leak
}

@test "bt-fmt going away (SIGPIPE) stops the run and cleans up" {
	mk pipe <<-'EOF'
	probe profile count_pe profile:hz:99 target=hz freq=99
	probe interval tick interval:ms:10 target=ms freq=10
	map @c count
	EOF
	local t0=$SECONDS
	run timeout 10 bash -c "$BT/bt-load $LT/pipe.obj | head -c 1 >/dev/null"
	[ "$status" -eq 0 ]
	[ $((SECONDS - t0)) -lt 5 ]
	# no output read at all: the reader's exit alone ends the run
	run timeout 10 bash -c "$BT/bt-load $LT/pipe.obj | true"
	[ "$status" -eq 0 ]
	no_leak
}

@test "attach failure halfway: error, exit 255, nothing left attached" {
	mk half <<-'EOF'
	probe profile count_pe profile:hz:99 target=hz freq=99
	probe tracepoint count_tp tracepoint:syscalls:sys_enter_getppid target=syscalls func=sys_enter_getppid
	probe tracepoint count_tp tracepoint:nosuch:event target=nosuch func=event
	map @c count
	EOF
	run "$BT/bt-load" "$LT/half.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Error attaching probe: tracepoint:nosuch:event"* ]]
	no_leak
}

@test "-v prints each program's id and verifier log" {
	mk verbose <<-'EOF'
	probe BEGIN exit_rtp BEGIN
	probe interval tick interval:ms:50 target=ms freq=50
	EOF
	# the logs are message records, printed after "Attaching N probes...":
	# each loaded program's id, then its log
	bash -c "$BT/bt-load -v $LT/verbose.obj | $BT/bt-fmt" > "$LT/v.out" 2> "$LT/v.err"
	[ "$(head -1 "$LT/v.out")" = "Attaching 2 probes..." ]
	local ids logs
	ids=$(grep -c '^Program ID: [0-9][0-9]*$' "$LT/v.out")
	logs=$(grep -c '^The verifier log: $' "$LT/v.out")
	[ "$ids" -ge 2 ]
	[ "$ids" -eq "$logs" ]
	grep -q "^processed .* insns" "$LT/v.out"
}

@test "attach-many: 361 syscall tracepoints attach as one raw tracepoint and count" {
	{
		echo "probe interval exit_1 interval:ms:100 target=ms freq=100"
		local first=1 ev
		for ev in $(ls /sys/kernel/tracing/events/syscalls | grep '^sys_enter_'); do
			if [ $first = 1 ]; then
				echo "probe tracepoint count_sys tracepoint:syscalls:$ev target=syscalls func=$ev need_expansion=1"
				first=0
			else
				echo "attach tracepoint:syscalls:$ev target=syscalls func=$ev need_expansion=1"
			fi
		done
		echo "map @c count"
		echo "config max_probes=1000"
	} | mk many
	local t0 t1
	t0=$(date +%s%N)
	run bash -c "$BT/bt-load $LT/many.obj | $BT/bt-fmt"
	t1=$(date +%s%N)
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^Attaching\ [0-9]{3}\ probes\.\.\.$ ]]
	# the time is reported, not asserted: make bench measures it
	echo "# attach-many: $(( (t1 - t0) / 1000000 )) ms" >&3
	no_leak
}

# ---- through the real compiler stages ----

# chain NAME PROGRAM [bt-check options]: compile to $LT/NAME.obj (a
# failing stage fails the test)
chain() {
	local name=$1 prog=$2
	shift 2
	"$BT/bt-parse" -e "$prog" > "$LT/$name.ast"
	"$BT/bt-check" "$@" "$LT/$name.ast" > "$LT/$name.ir"
	"$BT/bt-codegen" "$LT/$name.ir" > "$LT/$name.obj"
}

@test "chain: attach-many tracepoint:syscalls:sys_enter_* runs start to exit" {
	chain many 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); } interval:ms:100 { exit(); }'
	local t0 t1
	t0=$(date +%s%N)
	run bash -c "$BT/bt-load $LT/many.obj | $BT/bt-fmt"
	t1=$(date +%s%N)
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^Attaching\ [0-9]{3}\ probes\.\.\.$ ]]
	[[ "$output" == *"@[tracepoint:syscalls:sys_enter_"* ]]
	echo "# chain attach-many: $(( (t1 - t0) / 1000000 )) ms (make bench measures it)" >&3
}

@test "chain: a few perf-event tracepoints, detached from threads of their own, leave nothing" {
	chain sched 'tracepoint:sched:sched_switch, tracepoint:sched:sched_wakeup { @n[probe] = count(); }
		tracepoint:sched:sched_wakeup_new { @n[probe] = count(); }
		interval:ms:200 { exit(); }
		END { printf("end\n"); }'
	leak_mark
	(for i in $(seq 50); do sleep 0.01; done) &
	local bg=$!
	run bash -c "$BT/bt-load $LT/sched.obj | $BT/bt-fmt"
	wait "$bg" || true
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching 5 probes..." ]
	[ "${lines[1]}" = "end" ]
	[[ "$output" =~ @n\[tracepoint:sched:sched_switch\]:\ [1-9] ]]
	[[ "$output" =~ @n\[tracepoint:sched:sched_wakeup\]:\ [1-9] ]]
	no_leak
}

@test "chain: BEGIN printf exit, output and exit status" {
	chain hello 'BEGIN { printf("hello %d\n", 42); exit(); } END { printf("bye\n"); }'
	run bash -c "$BT/bt-load $LT/hello.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching 2 probes..." ]
	[ "${lines[1]}" = "hello 42" ]
	[ "${lines[2]}" = "bye" ]
}

@test "chain: kstack/ustack/usym map keys are resolved into the saved stream" {
	chain stk 'profile:hz:997 { @k[kstack] = count(); @u[ustack] = count(); @s[usym(reg("ip"))] = count(); } interval:ms:300 { exit(); }'
	(timeout 1 sh -c 'while :; do :; done') &
	bg=$!
	"$BT/bt-load" "$LT/stk.obj" > "$LT/stk.out"
	wait "$bg" || true
	# formatted later, elsewhere: bt-fmt only has the saved stream
	run fmt "$LT/stk.out"
	[ "$status" -eq 0 ]
	[[ "$output" =~ @k\[$'\n'\ \ \ \ [a-z_]+\+[0-9]+ ]]
	[[ "$output" == *"@u["* ]]
}

@test "chain: uprobe with -c on a test program, func and retval" {
	chain upc "uprobe:$TP/uprobe_test:uprobeFunction1 { printf(\"%s\\n\", func); } uretprobe:$TP/uprobe_test:uprobeFunction1 { printf(\"ret %d\\n\", retval); }" --child
	run bash -c "$BT/bt-load -c $TP/uprobe_test $LT/upc.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uprobeFunction1"$'\n'"ret 13"* ]]
	no_leak
}

@test "chain: uprobe wildcard uses one uprobe_multi link per binary (per function when the block reads probe, as bpftrace)" {
	chain multi "uprobe:$TP/uprobe_test:uprobeFunction* { @ = count(); }"
	run bash -c "$BT/bt-load -c $TP/uprobe_test $LT/multi.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	if [ "${lines[0]}" = "Attaching 2 probes..." ]; then
		skip "this kernel has no uprobe_multi links"
	fi
	[ "${lines[0]}" = "Attaching 1 probe..." ]
	[ "${lines[-1]}" = "@: 2" ]
	chain multip "uprobe:$TP/uprobe_test:uprobeFunction* { @[probe] = count(); }"
	run bash -c "$BT/bt-load -c $TP/uprobe_test $LT/multip.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching 2 probes..." ]
	[[ "$output" == *"@[uprobe:$TP/uprobe_test:uprobeFunction1]: 1"* ]]
	[[ "$output" == *"@[uprobe:$TP/uprobe_test:uprobeFunction2]: 1"* ]]
}

@test "chain: iter:task lists this shell" {
	chain itask 'iter:task { printf("%d %s\n", ctx->task->pid, ctx->task->comm); }'
	run bash -c "$BT/bt-load $LT/itask.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\n'"$$ "* ]]
}

@test "chain: uprobe safety checks refuse bad placements" {
	chain offs 'uprobe:/bin/bash:echo_builtin+1000000 { exit(); }'
	run "$BT/bt-load" "$LT/offs.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Offset outside the function bounds ('echo_builtin' size is "* ]]
	chain addr 'uprobe:/bin/bash:10 { exit(); }'
	run "$BT/bt-load" "$LT/addr.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Could not resolve address: /bin/bash:0xa"* ]]
	chain nosym 'uprobe:/bin/bash:no_such_function_here { exit(); }'
	run "$BT/bt-load" "$LT/nosym.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Could not resolve symbol: /bin/bash:no_such_function_here"* ]]
	# the first instruction's length from objdump: +1 is inside it (when it
	# is longer than a byte), +len is the next instruction
	local start len
	start=$(nm -D /bin/bash | awk '$3 == "echo_builtin" { print $1 }')
	len=$(objdump -d --start-address=0x$start /bin/bash | awk -F'\t' '/^ *[0-9a-f]+:\t/ { print (NF > 2 ? split($2, b, " ") : 0); exit }')
	[ "$len" -gt 1 ] || skip "echo_builtin starts with a 1-byte instruction"
	chain mid "uprobe:/bin/bash:echo_builtin+1 { exit(); } interval:ms:50 { exit(); }"
	run "$BT/bt-load" "$LT/mid.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Could not add uprobe into middle of instruction: /bin/bash:echo_builtin+1"* ]]
	chain next "uprobe:/bin/bash:echo_builtin+$len { exit(); } interval:ms:50 { exit(); }"
	run "$BT/bt-load" "$LT/next.obj"
	[ "$status" -eq 0 ]
	chain unsafe "uprobe:/bin/bash:echo_builtin+1 { exit(); } interval:ms:50 { exit(); }" --unsafe
	# the object's --unsafe alone does not lift the checks: bt-load's does
	run "$BT/bt-load" "$LT/unsafe.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Could not add uprobe into middle of instruction: /bin/bash:echo_builtin+1"* ]]
	run "$BT/bt-load" --unsafe "$LT/unsafe.obj"
	[ "$status" -eq 0 ]
	[[ "$output" == *"WARNING: Unsafe uprobe in the middle of the instruction: /bin/bash:echo_builtin+1"* ]]
	chain unsafe_out 'uprobe:/bin/bash:echo_builtin+1000000 { exit(); }' --unsafe
	run "$BT/bt-load" --unsafe "$LT/unsafe_out.obj"
	[ "$status" -eq 255 ]
	[[ "$output" == *"ERROR: Offset outside the function bounds ('echo_builtin' size is "* ]]
	no_leak
}

@test "skboutput() files: created, or a pcap of an earlier run replaced; another file or a link is refused without --unsafe" {
	mk skb <<-EOF
	probe BEGIN exit_rtp BEGIN
	skboutput $LT/new.pcap 14
	EOF
	rm -f "$LT/new.pcap"
	run --separate-stderr timeout 20 "$BT/bt-load" "$LT/skb.obj"
	[ "$status" -eq 0 ]
	# the pcap 2.4 file header, raw IP link type (101), no packet
	[ "$(od -A n -t x1 "$LT/new.pcap" | tr -s ' \n' ' ')" = " d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 65 00 00 00 " ]
	# a capture of an earlier run is replaced
	head -c 100 /dev/zero >> "$LT/new.pcap"
	run --separate-stderr timeout 20 "$BT/bt-load" "$LT/skb.obj"
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$LT/new.pcap")" = 24 ]
	# any other file is left alone (a load failure: 255, as an attach error)
	rm "$LT/new.pcap"
	echo "precious" > "$LT/new.pcap"
	run --separate-stderr timeout 20 "$BT/bt-load" "$LT/skb.obj"
	[ "$status" -eq 255 ]
	[ "$stderr" = "ERROR: Failed to create pcap file '$LT/new.pcap': it exists and is not a pcap file (bt-load --unsafe replaces it)" ]
	[ "$(cat "$LT/new.pcap")" = precious ]
	# so is the target of a symbolic link
	rm "$LT/new.pcap"
	echo "precious" > "$LT/target"
	ln -s "$LT/target" "$LT/new.pcap"
	run --separate-stderr timeout 20 "$BT/bt-load" "$LT/skb.obj"
	[ "$status" -eq 255 ]
	[ "$stderr" = "ERROR: Failed to create pcap file '$LT/new.pcap': it is a symbolic link (bt-load --unsafe follows it)" ]
	[ "$(cat "$LT/target")" = precious ]
	# --unsafe: the operator's choice
	run --separate-stderr timeout 20 "$BT/bt-load" --unsafe "$LT/skb.obj"
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$LT/target")" = 24 ]
	no_leak
}

@test "chain: join() reads the array up to its null pointer and sends only those slots" {
	chain join 'tracepoint:syscalls:sys_enter_execve /comm == "lt_joiner"/ { join(args.argv); exit(); }'
	cp /bin/sh "$LT/lt_joiner"
	# the "attached" record means "Attaching N probes...": it comes before
	# the attach; the notification on stderr comes after it
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 timeout 20 "$BT/bt-load" "$LT/join.obj" \
		> "$LT/join.out" 2> "$LT/join.err" &
	local pid=$!
	wait_attached "$LT/join.err" $pid
	"$LT/lt_joiner" -c 'exec /bin/true a bb ccc'
	wait "$pid"
	run fmt "$LT/join.out"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "/bin/true a bb ccc" ]
	# {id, join id} + 4 slots of 1024 bytes (16 slots: 16400)
	run fmt --dump "$LT/join.out"
	[[ "$output" == *"data: 4112 bytes, id 30005 (join)"* ]]
	no_leak
}

@test "chain: after a poll round that handled records the next wait is 1 ms, idle waits 20 ms" {
	command -v strace >/dev/null || skip "no strace"
	chain poll 'interval:ms:30 { printf("tick\n"); } interval:ms:300 { exit(); }'
	run bash -c "strace -qq -e trace=epoll_wait -o $LT/poll.strace $BT/bt-load $LT/poll.obj | $BT/bt-fmt"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "tick" ]
	# the tail of a burst does not wait for the 20 ms timer (bulk records
	# do not wake bt-load: bt-codegen/output.c)
	grep -qE '^epoll_wait\(.*, 16, 1\) ' "$LT/poll.strace"
	grep -qE '^epoll_wait\(.*, 16, 20\) ' "$LT/poll.strace"
	no_leak
}
