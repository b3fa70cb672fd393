#!/usr/bin/env bats
# fmt.bats - bt-fmt on saved `out` streams: golden text and JSON for every
# output kind, bpftrace's documented examples verbatim, options, bad input.
# No kernel needed: the streams are written by tests/golden/mkout.py from
# the cases in tests/golden/cases.py.

load helpers

GOLD="$ROOT/tests/golden"

setup_file() {
	export FIX="$BATS_FILE_TMPDIR/out"
	mkdir -p "$FIX"
	python3 "$ROOT/tests/golden/mkout.py" "$FIX"
}

setup() {
	export TZ=UTC
	FIX="$BATS_FILE_TMPDIR/out"
}

# python3 snippet with mkout's encoder available
py() {
	PYTHONPATH="$GOLD" python3 -c "from mkout import *
$1"
}

# Compare bt-fmt's text and JSON output for a case with the golden files.
check_case() {
	local c=$1
	run bt-fmt "$FIX/$c.out"
	[ "$status" -eq 0 ]
	diff -u "$GOLD/fmt/$c.txt" <(bt-fmt "$FIX/$c.out")
	diff -u "$GOLD/fmt/$c.json" <(bt-fmt -f json "$FIX/$c.out")
}

@test "bt-fmt -h prints usage" {
	run bt-fmt -h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: bt-fmt [-f text|json|folded] [-o FILE] [-q] [-B line|full|none] [--live] [--dump] [-h] [FILE|-]" ]]
}

@test "golden: printf basics and attach count" { check_case printf_basic; }
@test "golden: printf integer conversions (32-bit %d, length modifiers, flags)" { check_case printf_ints; }
@test "golden: printf %% handling" { check_case printf_percent; }
@test "golden: printf strings, truncation trailer, %r %rx %rh" { check_case printf_strings; }
@test "golden: printf %s of ksym usym username probe inet macaddr strerror cgroup_path" { check_case printf_types; }
@test "golden: printf JSON escaping" { check_case printf_escape; }
@test "golden: stacks (bpftrace/perf/raw modes, 8 vs 4 space indent)" { check_case stacks; }
@test "golden: count/sum/min/max/int/string maps and sort orders" { check_case maps_plain; }
@test "golden: print(@m, top, div)" { check_case print_top_div; }
@test "golden: avg and stats maps" { check_case stats; }
@test "golden: hist maps" { check_case hist; }
@test "golden: hist with 3 bits" { check_case hist_bits; }
@test "golden: lhist maps" { check_case lhist; }
@test "golden: tuples, records, arrays, buffers as values and keys; print(value)" { check_case values; }
@test "golden: time/system/cat/join/lost messages" { check_case messages; }
@test "golden: helper errors" { check_case helper_error; }
@test "golden: username, cgroup_path, strftime, probe and inet values" { check_case misc_types; }
@test "golden: several maps at exit" { check_case exit_maps; }
@test "golden: iterator output and other raw text" { check_case raw_text; }
@test "golden: no probes to attach" { check_case no_probes; }

@test "bpftrace docs: hist_2_values text is verbatim" {
	expected='@: 
[2, 4)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[4, 8)                 0 |                                                    |
[8, 16)                0 |                                                    |
[16, 32)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
'
	out=$(bt-fmt "$FIX/hist.out"; echo x)
	[[ "$out" == *$'\n\n'"$expected"$'\n@hist: '* ]]
}

@test "bpftrace docs: JSON lines of the documented examples" {
	bt-fmt -f json "$FIX/hist.out" > "$BATS_TEST_TMPDIR/h.json"
	grep -qxF '{"type": "hist", "data": {"@hist": [{"min": 2, "max": 3, "count": 1}, {"min": 4, "max": 7, "count": 0}, {"min": 8, "max": 15, "count": 0}, {"min": 16, "max": 31, "count": 0}, {"min": 32, "max": 63, "count": 0}, {"min": 64, "max": 127, "count": 0}, {"min": 128, "max": 255, "count": 0}, {"min": 256, "max": 511, "count": 0}, {"min": 512, "max": 1023, "count": 0}, {"min": 1024, "max": 2047, "count": 1}]}}' "$BATS_TEST_TMPDIR/h.json"
	grep -qF '"@t": [{"min": 8589934592, "max": 17179869183, "count": 1}]' "$BATS_TEST_TMPDIR/h.json"
	grep -qF '"@z": []' "$BATS_TEST_TMPDIR/h.json"
	grep -qF '"curl": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 1}, {"min": 1, "max": 1, "count": 0}, {"min": 2, "max": 3, "count": 0}' "$BATS_TEST_TMPDIR/h.json"
	grep -qF '{"min": 256, "max": 511, "count": 1}, {"min": 512, "max": 1023, "count": 0}, {"min": 1024, "max": 2047, "count": 2}]' "$BATS_TEST_TMPDIR/h.json"
	bt-fmt -f json "$FIX/lhist.out" | grep -qF '{"min": 90, "max": 99, "count": 0}, {"min": 100, "count": 1}]'
	bt-fmt -f json "$FIX/lhist.out" | grep -qF '{"@lm": {"curl": [{"min": 50, "max": 59, "count": 1}], "bpftrace": ['
	bt-fmt -f json "$FIX/stats.out" | grep -qxF '{"type": "stats", "data": {"@stats": {"curl": {"count": 1, "average": 2, "total": 2}, "zsh": {"count": 1, "average": 10, "total": 10}}}}'
	bt-fmt -f json "$FIX/print_top_div.out" | grep -qxF '{"type": "stats", "data": {"@": {"c": 3, "d": 4}}}'
	bt-fmt -f json "$FIX/printf_escape.out" | grep -qxF '{"type": "printf", "data": "test \r \n \t \\ \" bar\n"}'
	bt-fmt -f json "$FIX/values.out" | grep -qxF '{"type": "value", "data": "Argument list too long"}'
	bt-fmt -f json "$FIX/values.out" | grep -qxF '{"type": "value", "data": { "y": { "m": [2] }, "a": { "n": 3 } }}'
	bt-fmt -f json "$FIX/values.out" | grep -qxF '{"type": "map", "data": {"@": [1,2,"string",[4,5]]}}'
	bt-fmt -f json "$FIX/messages.out" | grep -qxF '{"type": "join", "data": "/bin/echo,'"'A'"'"}'
	bt-fmt -f json "$FIX/messages.out" | grep -qxF '{"type": "lost_events", "data": {"events": 5}}'
	bt-fmt -f json "$FIX/helper_error.out" | grep -qF '"helper": "probe_read", "retcode": -14, "line": 1, "col": 9}'
}

@test "bpftrace docs: documented text examples" {
	bt-fmt "$FIX/stats.out" | grep -qxF '@s: count 3, average -3, total -10'
	bt-fmt "$FIX/stats.out" | grep -qxF '@a: -20'
	bt-fmt "$FIX/values.out" | grep -qxF '@: (1, 2, string, (4, 5))'
	bt-fmt "$FIX/values.out" | grep -qxF '@t: (1, { .m = 2, .n = 3 })'
	bt-fmt "$FIX/values.out" | grep -qxF '@x[[1,2,3,4], 42]: 0'
	bt-fmt "$FIX/values.out" | grep -qxF '@s: { .y = { .m = [2] }, .a = { .n = 3 } }'
	bt-fmt "$FIX/values.out" | grep -qxF '@b: [[5,6],[7,8]]'
	bt-fmt "$FIX/values.out" | grep -qxF '@bk[ok_key\x00\x00]: 1'
	bt-fmt "$FIX/values.out" | grep -qxF '@n: (-100, 10, 50)'
	bt-fmt "$FIX/misc_types.out" | grep -qxF '@[tracepoint:syscalls:sys_enter_read]: 13369'
	bt-fmt "$FIX/stacks.out" | grep -qxF '@k[1]: do_nanosleep@k[2]: vfs_read'
	[ "$(bt-fmt "$FIX/printf_percent.out" | head -3)" = $'100%%\n5%%\n%5' ]
	[ "$(bt-fmt "$FIX/exit_maps.out")" = $'Attaching 1 probe...\n\n\n@a: 0\n@b: 0\n@c: 0' ]
	bt-fmt "$FIX/stacks.out" | grep -qzF $'@[\n    ip_output+1\n    tcp_transmit_skb+1308\n    tcp_write_xmit+482\n]: 22186\n'
}

@test "JSON output is valid JSON, one record per line" {
	for f in "$FIX"/*.out; do
		case $f in */raw_text.out|*/no_probes.out) continue;; esac   # raw by design
		bt-fmt -f json "$f" | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        json.loads(line)
'
	done
}

@test "project deviations: pointer, mac_address, timestamp quoted; bytes >= 0x80 as \\u00XX" {
	bt-fmt -f json "$FIX/values.out" | grep -qxF '{"type": "map", "data": {"@p": "0x1234"}}'
	bt-fmt -f json "$FIX/values.out" | grep -qxF '{"type": "map", "data": {"@mac": "00:1B:21:AA:BB:0C"}}'
	bt-fmt -f json "$FIX/misc_types.out" | grep -qxF '{"type": "value", "data": "22:13"}'
	bt-fmt -f json "$FIX/printf_escape.out" | grep -qF '"caf\u00e9 \u0001\u001f'
}

@test "-q suppresses the attach line" {
	run bt-fmt -q "$FIX/one_probe_quiet.out"
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	run bt-fmt -q -f json "$FIX/printf_basic.out"
	[[ "$output" != *attached_probes* ]]
	[[ "$output" == *'"hi 5\n"'* ]]
}

@test "-o FILE: output to the file, the blank lines before the exit dump to stdout" {
	run bt-fmt -o "$BATS_TEST_TMPDIR/o.txt" "$FIX/exit_maps.out"
	[ "$status" -eq 0 ]
	[ "$(bt-fmt -o "$BATS_TEST_TMPDIR/o.txt" "$FIX/exit_maps.out" | od -An -c | tr -d ' ')" = '\n\n' ]
	[ "$(cat "$BATS_TEST_TMPDIR/o.txt")" = $'Attaching 1 probe...\n@a: 0\n@b: 0\n@c: 0' ]
	bt-fmt -f json -o "$BATS_TEST_TMPDIR/o.json" "$FIX/exit_maps.out" > "$BATS_TEST_TMPDIR/stdout"
	[ "$(wc -c < "$BATS_TEST_TMPDIR/stdout")" -eq 2 ]
	grep -qxF '{"type": "map", "data": {"@a": 0}}' "$BATS_TEST_TMPDIR/o.json"
}

@test "reads stdin with - or no argument" {
	diff <(bt-fmt - < "$FIX/stats.out") "$GOLD/fmt/stats.txt"
	diff <(bt-fmt < "$FIX/stats.out") "$GOLD/fmt/stats.txt"
}

@test "bad input: garbage, empty, truncated, wrong stream, wrong version -> one error line, exit 1" {
	check_bad() {
		run bt-fmt "$1"
		[ "$status" -eq 1 ]
		local n
		n=$(bt-fmt "$1" 2>&1 >/dev/null | wc -l)
		[ "$n" -eq 1 ]
		bt-fmt "$1" 2>&1 >/dev/null | grep -q "^bt-fmt: ERROR: $2"
	}
	T=$BATS_TEST_TMPDIR
	head -c 300 /dev/urandom > "$T/garbage"; printf '\xc1' | cat - "$T/garbage" > "$T/garbage2"
	check_bad "$T/garbage2" ''
	: > "$T/empty"
	check_bad "$T/empty" 'empty input'
	sz=$(wc -c < "$FIX/hist.out")
	head -c $((sz - 1)) "$FIX/hist.out" > "$T/trunc1"
	check_bad "$T/trunc1" 'truncated out stream'
	head -c $((sz / 2)) "$FIX/hist.out" > "$T/trunc2"
	check_bad "$T/trunc2" ''
	py 'import sys; sys.stdout.buffer.write(pack({"format": "ast", "version": 1, "filename": "stdin", "source": Bin(b"")}) + pack({"t": "end"}))' > "$T/ast"
	check_bad "$T/ast" "expected a 'out' stream, got 'ast'"
	py 'import sys; sys.stdout.buffer.write(pack({"format": "out", "version": 7, "filename": "stdin", "source": Bin(b"")}) + pack({"t": "end"}))' > "$T/v7"
	check_bad "$T/v7" 'unsupported out stream version 7'
	py 'import sys; sys.stdout.buffer.write(pack([1, 2, 3]))' > "$T/notmap"
	check_bad "$T/notmap" ''
	check_bad /nonexistent/file "cannot open"
}

@test "bad records: unknown printf id, short event, bad map id -> error after earlier output" {
	T=$BATS_TEST_TMPDIR
	py '
import sys
s = Stream("x")
p, _, _ = s.meta.printf("ok %d\n", s.T.int(64, True))
s.printf(p, i64(1))
s.event(u64(7) + u64(0))
sys.stdout.buffer.write(s.bytes())' > "$T/badid"
	run bt-fmt "$T/badid"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "ok 1" ]
	[ "${lines[1]}" = "bt-fmt: ERROR: printf id 7 out of range" ]
	py '
import sys
s = Stream("x")
p, _, _ = s.meta.printf("%d %d\n", s.T.int(64, True), s.T.int(64, True))
s.event(u64(p) + u64(1))
sys.stdout.buffer.write(s.bytes())' > "$T/short"
	run bt-fmt "$T/short"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bt-fmt: ERROR: printf event 0 too short"* ]]
	py '
import sys
s = Stream("x")
s.map(3, [])
sys.stdout.buffer.write(s.bytes())' > "$T/badmap"
	run bt-fmt "$T/badmap"
	[ "$status" -eq 1 ]
	[[ "$output" == *"map id 3 out of range"* ]]
}

@test "unknown record kinds are ignored; sym tables fill from records" {
	py '
import sys
s = Stream("x")
s.rec("future_kind", x=1)
p, _, _ = s.meta.printf("%s\n", s.T.simple("ksym", 8))
s.printf(p, u64(0x1000))
s.sym(False, 0, 0x1000, "first")
s.printf(p, u64(0x1000))
s.printf(p, u64(0))
sys.stdout.buffer.write(s.bytes())' > "$BATS_TEST_TMPDIR/u"
	run bt-fmt "$BATS_TEST_TMPDIR/u"
	[ "$status" -eq 0 ]
	[ "$output" = $'0x1000\nfirst\n0' ]
}

@test "error and child records: stderr for saved streams, errors not repeated with --live" {
	py '
import sys
s = Stream("x")
s.rec("error", msg="ERROR: failed to look up stack id 5")
s.final()
s.rec("child", how="exit", code=3)
s.rec("child", how="signal", code=9)
sys.stdout.buffer.write(s.bytes())' > "$BATS_TEST_TMPDIR/e"
	run bt-fmt "$BATS_TEST_TMPDIR/e"
	[ "$status" -eq 0 ]
	[ "$(bt-fmt "$BATS_TEST_TMPDIR/e" 2>&1 >/dev/null)" = $'ERROR: failed to look up stack id 5\nChild exited with code: 3\nChild terminated by signal: 9' ]
	[ "$(bt-fmt --live "$BATS_TEST_TMPDIR/e" 2>&1 >/dev/null)" = $'Child exited with code: 3\nChild terminated by signal: 9' ]
}

@test "bad options" {
	run bt-fmt -f xml "$FIX/stats.out"
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-fmt: ERROR: unknown output format 'xml' (text, json or folded)" ]]
	run bt-fmt -B sometimes "$FIX/stats.out"
	[ "$status" -eq 1 ]
	run bt-fmt --bogus
	[ "$status" -eq 1 ]
	for m in line full none; do
		diff <(bt-fmt -B $m "$FIX/stats.out") "$GOLD/fmt/stats.txt"
	done
}

# Output must appear while the writer is still running (a live trace).
@test "default buffering flushes when the input pauses" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/fifo"
	sz=$(wc -c < "$FIX/printf_basic.out")
	bt-fmt "$T/fifo" > "$T/got" &
	pid=$!
	{
		head -c $((sz - 4)) "$FIX/printf_basic.out"   # everything but final+end
		for i in $(seq 50); do
			grep -q 'hi 5' "$T/got" 2>/dev/null && break
			sleep 0.1
		done
		grep -q 'hi 5' "$T/got" && echo seen > "$T/flag"
		tail -c 4 "$FIX/printf_basic.out"
	} > "$T/fifo"
	wait $pid
	[ -f "$T/flag" ]
	diff "$T/got" "$GOLD/fmt/printf_basic.txt"
}

@test "--live ignores SIGINT and SIGTERM and exits at end of input" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/fifo"
	bt-fmt --live "$T/fifo" > "$T/got" &
	pid=$!
	exec 5> "$T/fifo"
	head -c 100 "$FIX/exit_maps.out" >&5
	sleep 0.2
	kill -INT $pid
	kill -TERM $pid
	sleep 0.2
	kill -0 $pid
	tail -c +101 "$FIX/exit_maps.out" >&5
	exec 5>&-
	wait $pid
	diff "$T/got" "$GOLD/fmt/exit_maps.txt"
}

@test "--dump shows any stream: header, records, decoded events" {
	run bt-fmt --dump "$FIX/printf_basic.out"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "# out stream, version 1 ($FIX/printf_basic.out)" ]
	[[ "$output" == *'    | BEGIN { printf("hi %d\n", 5); exit(); }'* ]]
	[[ "$output" == *"record 1 (event):"* ]]
	[[ "$output" == *"data: 16 bytes, id 0 (printf)"* ]]
	[[ "$output" == *"[0] int64"* ]]
	[ "${lines[-1]}" = "end" ]
	# an obj-like stream with an ELF blob: section summary
	py '
import sys
elf = open("/bin/true", "rb").read()
sys.stdout.buffer.write(pack({"format": "obj", "version": 1, "filename": "stdin", "source": Bin(b"BEGIN {}")}) +
    pack({"t": "object", "elf": Bin(elf), "types": [], "meta": {}}) + pack({"t": "end"}))' > "$BATS_TEST_TMPDIR/obj"
	run bt-fmt --dump "$BATS_TEST_TMPDIR/obj"
	[ "$status" -eq 0 ]
	[[ "$output" == *"# obj stream"* ]]
	[[ "$output" == *".text"*"PROGBITS"* ]]
	run bt-fmt --dump "$BATS_TEST_TMPDIR/../nonexistent"
	[ "$status" -eq 1 ]
	head -c 50 "$FIX/printf_basic.out" > "$BATS_TEST_TMPDIR/t"
	run bt-fmt --dump "$BATS_TEST_TMPDIR/t"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bt-fmt: ERROR:"* ]]
}

@test "dump of other stages' streams" {
	bt-parse -e 'BEGIN { @x = 1 }' > "$BATS_TEST_TMPDIR/p.ast"
	run bt-fmt --dump "$BATS_TEST_TMPDIR/p.ast"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "# ast stream, version 1"* ]]
	[[ "$output" == *'"assign_map"'* ]]
}

# ---- end to end: the live output equals the re-formatted saved stream ----

# compile OBJ PROG: the object of PROG (a failing stage fails the test)
compile() {
	local obj=$1 prog=$2
	bt-parse -e "$prog" > "$obj.ast"
	bt-check "$obj.ast" > "$obj.ir"
	bt-codegen "$obj.ir" > "$obj"
}

# Run obj live through bt-load | tee | bt-fmt --live, then re-format the saved
# stream; both outputs (text and JSON) must be identical.
live_equals_saved() {
	local obj=$1 T=$BATS_TEST_TMPDIR
	for f in text json; do
		timeout 60 bt-load < "$obj" | tee "$T/saved.$f.out" |
			bt-fmt --live -f $f > "$T/live.$f" 2> "$T/live.$f.err"
		[ -s "$T/saved.$f.out" ]
		bt-fmt -f $f "$T/saved.$f.out" > "$T/again.$f"
		diff -u "$T/live.$f" "$T/again.$f"
		[ -s "$T/live.$f" ]
	done
}

@test "e2e: BEGIN program with printf, maps, hist, stats, tuples: live == saved" {
	require_root
	compile "$BATS_TEST_TMPDIR/p.obj" 'BEGIN {
		printf("hello %s %d %5d|%-4s|\n", "x", 5, -3, "ab");
		@c = count(); @h = hist(10); @h = hist(1000); @l = lhist(5, 0, 10, 2);
		@s = stats(3); @a = avg(7); @t = (1, "a"); @[1, "k"] = 2; @m = max(-5);
		print(@c); print((1, 2)); exit(); }'
	live_equals_saved "$BATS_TEST_TMPDIR/p.obj"
	grep -qx 'hello x 5    -3|ab  |' "$BATS_TEST_TMPDIR/live.text"
}

@test "e2e: tracepoint program with symbols and stacks: live == saved" {
	require_root
	ensure_tracefs
	compile "$BATS_TEST_TMPDIR/p.obj" 'tracepoint:syscalls:sys_enter_openat {
		@[comm, kstack, ustack] = count(); @u[username] = count();
		printf("%s %s\n", comm, strftime("%H:%M:%S.%f", nsecs)); exit(); }'
	( for i in $(seq 200); do cat /dev/null; sleep 0.05; done ) &
	live_equals_saved "$BATS_TEST_TMPDIR/p.obj"
	kill $! 2> /dev/null || true
}

@test "corrupt headers are refused, not read out of bounds (fuzz regressions)" {
	T=$BATS_TEST_TMPDIR
	# a printf argument whose offset + size wraps around 32 bits
	py '
import sys
s = Stream("x")
st = s.T.string(64)
s.meta.printfs.append(dict(fmt=Bin(b"%s\n"), size=16, args=[[st, 0xfffffff8]]))
s.event(u64(0) + u64(0))
sys.stdout.buffer.write(s.bytes())' > "$T/wrap"
	run bt-fmt "$T/wrap"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-fmt: ERROR: bad out stream header: bad format argument layout" ]
	# a tuple whose field lies outside it
	py '
import sys
s = Stream("x")
i = s.T.int(64)
t = s.T.add(k="tuple", sz=8, fields=[[None, 4096, i, 0, 0]], align=8)
s.meta.print_type(t)
s.event(u64(30007) + u64(0) + u64(1))
sys.stdout.buffer.write(s.bytes())' > "$T/tuple"
	run bt-fmt "$T/tuple"
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-fmt: ERROR: bad out stream header: type 1 (tuple) has an impossible layout" ]]
	# impossible histogram parameters
	py '
import sys
s = Stream("x")
s.meta.map("@h", s.T.simple("hist", 8), hist_bits=40)
sys.stdout.buffer.write(s.bytes())' > "$T/hbits"
	run bt-fmt "$T/hbits"
	[ "$status" -eq 1 ]
	[[ "$output" == *"histogram parameters of @h"* ]]
}

@test "output errors: full disk, unwritable -o file" {
	run bash -c 'bt-fmt "$1" > /dev/full' _ "$FIX/stats.out"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-fmt: ERROR: writing output: No space left on device" ]
	run bt-fmt -o /nonexistent/dir/out.txt "$FIX/stats.out"
	[ "$status" -eq 1 ]
	[[ "$output" == "bt-fmt: ERROR: cannot open '/nonexistent/dir/out.txt': "* ]]
}
