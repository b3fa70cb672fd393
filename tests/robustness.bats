#!/usr/bin/env bats
# robustness.bats - bad input to every stage tool: empty input, random
# bytes, truncations and single-byte corruptions of real streams, streams
# of another stage, wrong options, absurd-but-well-formed tables, and the
# reproducers of bugs the fuzzers found (tests/fuzz/streams/crashes/).
#
# The rule (DESIGN.md): a clear error, a non-zero exit, and never a crash,
# a hang or a leaked kernel object.  Refusals of the stream itself are one
# line `bt-X: ERROR: ...` with status 1.  A corruption may also decode into
# another valid program: then any clean outcome is fine (status 0, or 1 with
# one error line; bt-check may print a bpftrace diagnostic, bt-load
# bpftrace's own `ERROR: ...` wording and status 255 for a program the
# kernel refuses).  Inputs are deterministic (seeded), so a failure
# message names the exact input to reproduce it with stream_helper.
load helpers

# The program whose streams are mutated: maps (one with a name we can spot
# in `bpftool map list`), an aggregation, printf, a tuple, print.
PROG='BEGIN { @robustness_leak[1, "k"] = count(); @h = hist(5); printf("%d %s\n", 1, "x"); $t = (1, "a"); print($t); exit(); }'

setup_file() {
	export RB="$BATS_FILE_TMPDIR"
	"$BT/bt-parse" -e "$PROG" > "$RB/s.ast"
	"$BT/bt-check" < "$RB/s.ast" > "$RB/s.ir"
	"$BT/bt-codegen" < "$RB/s.ir" > "$RB/s.obj"
	if [ "$(id -u)" = 0 ]; then
		timeout 10 "$BT/bt-load" < "$RB/s.obj" > "$RB/s.out"
	else
		rm -f "$RB/s.out"
	fi
	# ir of a program with a binop (not two literals, which bt-check folds),
	# for the table-bound regressions
	"$BT/bt-parse" -e 'BEGIN { @x = pid + 2; exit(); }' | "$BT/bt-check" > "$RB/add.ir"
}

# input stream of each tool; bt-fmt --dump reads any
stream_of() {
	case $1 in
	bt-check) echo "$RB/s.ast" ;;
	bt-codegen) echo "$RB/s.ir" ;;
	bt-load) echo "$RB/s.obj" ;;
	*) echo "$RB/s.out" ;;
	esac
}

needs() {
	case $1 in
	bt-load) require_root ;;
	esac
	local s
	s=$(stream_of "$1")
	[ -s "$s" ] || skip "no $(basename "$s") stream (needs root to record an out stream)"
}

FAILS=()

# An error message is acceptable: one `bt-X: ERROR:` line, or bpftrace's
# wording (`ERROR: ...`; bt-check: a diagnostic with source and marker
# lines; bpftrace's two-line limit messages).
message_ok() {
	local bin=$1 err=$2 n first
	n=$(grep -acv '^WARNING' "$err")
	first=$(grep -av '^WARNING' "$err" | head -n 1)
	if [ "$n" = 1 ] && { [[ $first == "$bin: ERROR: "* ]] || [[ $first == "ERROR: "* ]]; }; then
		return 0
	fi
	if [ "$bin" = bt-check ] &&
		[[ $first =~ ^[^\ ]+:-?[0-9]+(:-?[0-9]+)?(-+[0-9]+(:-?[0-9]+)?)?:\ ERROR:\  ]]; then
		return 0
	fi
	# bpftrace's own two-line limit messages
	[[ $first == "ERROR: Can't attach to "* ]] && return 0
	[[ $first == "ERROR: Your program is trying to generate more than "* ]] && return 0
	return 1
}

# check KIND WHAT INPUT TOOL [ARGS...]
#   KIND strict: must be refused (status 1, one `TOOL: ERROR:` line)
#   KIND lenient: any clean outcome
# Problems are collected in FAILS (reported by report_fails).
check() {
	local kind=$1 what=$2 input=$3 bin=$4 st why=
	shift 4
	st=0
	timeout -k 5 10 "$BT/$bin" "$@" < "$input" > /dev/null 2> "$RB/err" || st=$?
	if [ $st = 124 ] || [ $st = 137 ]; then
		why="hang (killed after 10 s)"
	elif [ $st -gt 128 ] && [ $st -le 192 ]; then
		why="crash (signal $((st - 128)))"
	elif [ "$kind" = strict ]; then
		if [ $st != 1 ]; then
			why="status $st, expected 1"
		elif [ "$(wc -l < "$RB/err")" != 1 ] || ! grep -aq "^$bin: ERROR: " "$RB/err"; then
			why="not one '$bin: ERROR:' line"
		fi
	else
		case $st in
		0 | 1) ;;
		255) [ "$bin" = bt-load ] || why="status 255" ;;
		*) why="status $st" ;;
		esac
		if [ -z "$why" ] && [ $st != 0 ] && ! message_ok "$bin" "$RB/err"; then
			why="status $st without a one-line error"
		fi
	fi
	if [ -n "$why" ]; then
		FAILS+=("$bin $* < $what: $why: $(head -c 400 "$RB/err" | tr '\n' '|')")
	fi
}

report_fails() {
	[ ${#FAILS[@]} = 0 ] && return 0
	printf '%s\n' "${FAILS[@]}"
	return 1
}

# ---- per tool ----

empty_input() {
	needs "$1"
	check strict "empty input" /dev/null "$@"
	printf '\n' > "$RB/nl"
	check strict "a newline" "$RB/nl" "$@"
}

random_bytes() {
	needs "$1"
	local seed len
	for seed in $(seq 1 20); do
		len=$(( (seed * 7919) % 3000 + 1 ))
		"$BT/tests/stream_helper" random "$seed" "$len" > "$RB/in"
		check strict "stream_helper random $seed $len" "$RB/in" "$@"
	done
}

truncations() {   # truncations STREAM SPREAD TAIL TOOL [ARGS...]
	local s=$1 spread=$2 tail=$3 size n
	shift 3
	size=$(stat -c %s "$s")
	# SPREAD cuts across the stream, then each of the last TAIL bytes (the
	# records and the end record)
	for n in $(seq 1 $((size / spread + 1)) "$((size - 1))") \
		$(seq "$((size > tail ? size - tail : 1))" "$((size - 1))"); do
		head -c "$n" "$s" > "$RB/in"
		check strict "head -c $n $(basename "$s")" "$RB/in" "$@"
	done
}

corruptions() {
	needs "$1"
	local s seed
	s=$(stream_of "$1")
	for seed in $(seq 1 40); do
		"$BT/tests/stream_helper" corrupt "$seed" < "$s" > "$RB/in"
		check lenient "stream_helper corrupt $seed < $(basename "$s")" "$RB/in" "$@"
	done
	# the records after the header (out: events and maps; others: the end)
	for seed in $(seq 41 60); do
		"$BT/tests/stream_helper" corrupt "$seed" 200 < "$s" > "$RB/in"
		check lenient "stream_helper corrupt $seed 200 < $(basename "$s")" "$RB/in" "$@"
	done
}

other_stages() {
	needs "$1"
	local bin=$1 want other
	want=$(basename "$(stream_of "$bin")")
	want=${want#s.}
	for other in ast ir obj out; do
		[ "$other" = "$want" ] && continue
		[ -s "$RB/s.$other" ] || continue
		check strict "s.$other" "$RB/s.$other" "$@"
		grep -q "expected a '$want' stream, got '$other'" "$RB/err" ||
			FAILS+=("$bin < s.$other: message does not name both formats: $(cat "$RB/err")")
	done
}

# ---- bt-check ----
@test "bt-check: valid ast stream is accepted (control)" {
	run "$BT/bt-check" < "$RB/s.ast"
	[ "$status" -eq 0 ]
}
@test "bt-check: empty input is refused with one error line" { empty_input bt-check; report_fails; }
@test "bt-check: random bytes are refused with one error line" { random_bytes bt-check; report_fails; }
@test "bt-check: truncations at many offsets are refused with one error line" { needs bt-check; truncations "$(stream_of bt-check)" 25 15 bt-check; report_fails; }
@test "bt-check: single-byte corruptions never crash or hang" { corruptions bt-check; report_fails; }
@test "bt-check: streams of the other stages are refused" { other_stages bt-check; report_fails; }

# ---- bt-codegen ----
@test "bt-codegen: valid ir stream is accepted (control)" {
	run "$BT/bt-codegen" -o /dev/null < "$RB/s.ir"
	[ "$status" -eq 0 ]
}
@test "bt-codegen: empty input is refused with one error line" { empty_input bt-codegen; report_fails; }
@test "bt-codegen: random bytes are refused with one error line" { random_bytes bt-codegen; report_fails; }
@test "bt-codegen: truncations at many offsets are refused with one error line" { needs bt-codegen; truncations "$(stream_of bt-codegen)" 25 15 bt-codegen; report_fails; }
@test "bt-codegen: single-byte corruptions never crash or hang" { corruptions bt-codegen; report_fails; }
@test "bt-codegen: streams of the other stages are refused" { other_stages bt-codegen; report_fails; }

# ---- bt-load (root) ----

# Our maps (AT_robustness_leak, truncated by the kernel to 15 chars) still
# in the kernel: a leak.  Objects are freed shortly after the fd closes.
leaked_maps() {
	local i
	for i in $(seq 1 30); do
		bpftool map list 2>/dev/null | grep -q 'name AT_robustness' || return 1
		sleep 0.1
	done
	bpftool map list | grep 'name AT_robustness'
	return 0
}

@test "bt-load: valid obj stream runs (control)" {
	require_root
	run "$BT/bt-load" < "$RB/s.obj"
	[ "$status" -eq 0 ]
}
@test "bt-load: empty input is refused with one error line" { empty_input bt-load; report_fails; }
@test "bt-load: random bytes are refused with one error line" { random_bytes bt-load; report_fails; }
@test "bt-load: truncations at many offsets are refused with one error line" { needs bt-load; truncations "$(stream_of bt-load)" 25 15 bt-load; report_fails; }
@test "bt-load: single-byte corruptions never crash or hang, and leak nothing" {
	corruptions bt-load
	if leaked_maps; then
		FAILS+=("bt-load left maps of the corrupted programs in the kernel")
	fi
	report_fails
}
@test "bt-load: streams of the other stages are refused" { other_stages bt-load; report_fails; }
@test "bt-load: no map of ours is left in the kernel after all of the above" {
	require_root
	run leaked_maps
	[ "$status" -eq 1 ]
}

# ---- bt-fmt ----
@test "bt-fmt: valid out stream is accepted (control)" {
	needs bt-fmt
	run "$BT/bt-fmt" < "$RB/s.out"
	[ "$status" -eq 0 ]
	[[ "$output" == *"@robustness_leak[1, k]: 1"* ]]
}
@test "bt-fmt: empty input is refused with one error line" { empty_input bt-fmt; report_fails; }
@test "bt-fmt: random bytes are refused with one error line" { random_bytes bt-fmt; report_fails; }
@test "bt-fmt: truncations at many offsets are refused with one error line" { needs bt-fmt; truncations "$(stream_of bt-fmt)" 25 15 bt-fmt; report_fails; }
@test "bt-fmt: single-byte corruptions never crash or hang" { corruptions bt-fmt; report_fails; }
@test "bt-fmt -f json: single-byte corruptions never crash or hang" { corruptions bt-fmt -f json; report_fails; }
@test "bt-fmt: streams of the other stages are refused" { other_stages bt-fmt; report_fails; }

# ---- bt-fmt --dump (any stream) ----
@test "bt-fmt --dump: every stage's stream is dumped (control)" {
	local f
	for f in "$RB"/s.ast "$RB"/s.ir "$RB"/s.obj "$RB"/s.out; do
		[ -s "$f" ] || continue
		run "$BT/bt-fmt" --dump "$f"
		[ "$status" -eq 0 ]
		local v=1
		[ "$f" = "$RB/s.obj" ] && v=2
		[[ "$output" == *"stream, version $v"* ]]
	done
}
@test "bt-fmt --dump: empty input is refused with one error line" { empty_input bt-fmt --dump; report_fails; }
@test "bt-fmt --dump: random bytes are refused with one error line" { random_bytes bt-fmt --dump; report_fails; }
@test "bt-fmt --dump: truncations of every stage's stream are refused" {
	needs bt-fmt
	local f
	for f in ast ir obj out; do
		truncations "$RB/s.$f" 10 4 bt-fmt --dump
	done
	report_fails
}
@test "bt-fmt --dump: single-byte corruptions never crash or hang" {
	needs bt-fmt
	local f seed
	for f in ast ir obj out; do
		for seed in $(seq 1 15); do
			"$BT/tests/stream_helper" corrupt "$seed" < "$RB/s.$f" > "$RB/in"
			check lenient "stream_helper corrupt $seed < s.$f" "$RB/in" bt-fmt --dump
		done
	done
	report_fails
}

# ---- wrong options ----

# Each tool gets a valid stream on stdin, so ignoring a bad option would
# show as success.  Accepted: status 1 with one `bt-X: ERROR:` line or a
# usage text.
bad_options() {
	local bin=$1 input=$2 a
	shift 2
	for a in "$@"; do
		# shellcheck disable=SC2086
		local st=0
		timeout -k 5 10 "$BT/$bin" $a < "$input" > /dev/null 2> "$RB/err" || st=$?
		if [ $st != 1 ]; then
			FAILS+=("$bin $a: status $st, expected 1: $(head -c 300 "$RB/err" | tr '\n' '|')")
		elif ! { [ "$(wc -l < "$RB/err")" = 1 ] && grep -q "^$bin: ERROR: " "$RB/err"; } &&
			! grep -qi '^usage:' "$RB/err"; then
			FAILS+=("$bin $a: neither one error line nor usage: $(head -c 300 "$RB/err" | tr '\n' '|')")
		fi
	done
	report_fails
}

@test "bt-check: wrong options give one error line or usage, status 1" {
	bad_options bt-check "$RB/s.ast" --bogus -Z -o --sysroot --pid "--pid abc" \
		/nonexistent/file "- extra" "--sysroot /nonexistent/dir"
}
@test "bt-codegen: wrong options give one error line or usage, status 1" {
	bad_options bt-codegen "$RB/s.ir" --bogus -Z -o --emit-elf --emit-llvm \
		/nonexistent/file "- extra" "-o /nonexistent/dir/x"
}
@test "bt-load: wrong options give one error line or usage, status 1" {
	require_root
	bad_options bt-load "$RB/s.obj" --bogus -Z -B -p -c "-B bogus" "-p abc" \
		"-p 99999999" /nonexistent/file "- extra"
}
@test "bt-fmt: wrong options give one error line or usage, status 1" {
	needs bt-fmt
	bad_options bt-fmt "$RB/s.out" --bogus -Z -B -f -o "-f xml" "-B bogus" \
		/nonexistent/file "- extra" "-o /nonexistent/dir/x" "--dump - extra"
}

# ---- decoder bounds (libcommon/codec.c) ----
# Tables may share earlier entries, so a few hundred bytes can stand for a
# tree of 2^40 nodes or a chain thousands deep; before the bound, bt-codegen
# and bt-fmt --dump walked them for ever (or overflowed the stack).

bounded() {   # bounded TRANSFORM N MESSAGE
	"$BT/tests/stream_helper" "$1" "$2" < "$RB/add.ir" > "$RB/in"
	check strict "stream_helper $1 $2 < add.ir" "$RB/in" bt-codegen -o /dev/null
	grep -q "$3" "$RB/err" || FAILS+=("bt-codegen on $1 $2: no '$3' in: $(cat "$RB/err")")
	check lenient "stream_helper $1 $2 < add.ir" "$RB/in" bt-fmt --dump
	report_fails
}

@test "decoder: a small DAG of shared nodes (2^40 when expanded) is refused at once" {
	bounded dag-nodes 40 "tree too large"
}
@test "decoder: a node chain 5000 deep is refused" {
	bounded deep-nodes 5000 "nested too deeply"
}
@test "decoder: a type DAG (tuple of tuples, 2^40 parts) is refused at once" {
	bounded dag-types 40 "too large"
}
@test "decoder: a pointer type chain 2000 deep is refused" {
	bounded deep-types 2000 "nested too deeply"
}
@test "decoder: a program record with its nodes before its types is refused with one line" {
	# readers decode the tables straight from the stream, types first
	# (ir-spec/ast.md): a node's type must already have been read
	bounded nodes-first 0 "bad type reference"
}
# A node holds only its kind's slots (libcommon/node.h: slots no kind uses
# together share storage), so a stream naming another kind's slot, or a
# flag no stream carries, cannot be represented: it is refused, where the
# slot was kept (and bt-check's private flag bits honoured) before.
foreign() {   # foreign STAGE INPUT FROM TO MESSAGE: replace bytes FROM by TO once
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); f = bytes.fromhex(sys.argv[2]); assert f in d; open(sys.argv[3], "wb").write(d.replace(f, bytes.fromhex(sys.argv[4]), 1))' \
		"$2" "$3" "$RB/in" "$4"
	check strict "$2 with $3 as $4" "$RB/in" "$1" -o /dev/null
	grep -q "$5" "$RB/err" || FAILS+=("$1: no '$5' in: $(cat "$RB/err")")
}
@test "decoder: a node with a slot of another kind, or a flag no stream has, is refused with one line" {
	"$BT/bt-parse" -e 'BEGIN { $x = 1; $x++; }' > "$RB/slots.ast"
	"$BT/bt-check" < "$RB/slots.ast" > "$RB/slots.ir"
	# "num" of the first int becomes "id2" (an int has no id2)
	foreign bt-check "$RB/slots.ast" a36e756d a3696432 "malformed int node"
	foreign bt-codegen "$RB/slots.ir" a36e756d a3696432 "malformed int node"
	# the postfix flag 1 becomes 1 << 30
	foreign bt-check "$RB/slots.ast" a5666c61677301 a5666c616773ce40000000 "malformed unop node"
	foreign bt-codegen "$RB/slots.ir" a5666c61677301 a5666c616773ce40000000 "malformed unop node"
	report_fails
}
@test "decoder: legitimate sharing and depth still decode" {
	"$BT/tests/stream_helper" dag-nodes 3 < "$RB/add.ir" > "$RB/in"
	run "$BT/bt-codegen" -o /dev/null < "$RB/in"
	[ "$status" -eq 0 ]
	"$BT/tests/stream_helper" deep-types 50 < "$RB/add.ir" > "$RB/in"
	run "$BT/bt-codegen" -o /dev/null < "$RB/in"
	[ "$status" -eq 0 ]
}
@test "reader: a format name with control bytes still gives one error line" {
	"$BT/tests/stream_helper" no-t "$(printf 'o\nut\r')" > "$RB/in"
	local bin
	for bin in bt-check bt-codegen bt-load bt-fmt; do
		[ $bin = bt-load ] && [ "$(id -u)" != 0 ] && continue
		check strict "stream_helper no-t 'o\\nut\\r'" "$RB/in" $bin
	done
	# --dump reads any format: it just must not break its output
	check lenient "stream_helper no-t 'o\\nut\\r'" "$RB/in" bt-fmt --dump
	"$BT/bt-fmt" --dump "$RB/in" | head -n 1 | grep -qx '# o?ut? stream, version 1 (.*)' ||
		FAILS+=("bt-fmt --dump: format name not sanitised: $("$BT/bt-fmt" --dump "$RB/in" | head -n 2)")
	report_fails
}
@test "bt-fmt --dump: a record with data but no \"t\" does not crash" {
	"$BT/tests/stream_helper" no-t out > "$RB/in"
	check lenient "stream_helper no-t out" "$RB/in" bt-fmt --dump
	report_fails
}

# ---- reproducers found by the fuzzers (tests/fuzz/streams/crashes/) ----
# NAME-N.bin runs with the tool its name says: bt-check, bt-codegen,
# bt-load, bt-fmt, bt-fmt-json (-f json), bt-fmt-dump (--dump).

reproducers() {
	local tool=$1 f found=0
	shift
	for f in "$ROOT"/tests/fuzz/streams/crashes/"$tool"-[0-9]*.bin; do
		[ -e "$f" ] || continue
		found=1
		check lenient "$(basename "$f")" "$f" "$@"
	done
	[ $found = 1 ] || skip "no reproducers for $tool"
	report_fails
}

@test "reproducers: bt-check" { reproducers bt-check bt-check; }
@test "reproducers: bt-codegen" { reproducers bt-codegen bt-codegen -o /dev/null; }
@test "reproducers: bt-load" { require_root; reproducers bt-load bt-load; }
@test "reproducers: bt-fmt" { reproducers bt-fmt bt-fmt; }
@test "reproducers: bt-fmt -f json" { reproducers bt-fmt-json bt-fmt -f json; }
@test "reproducers: bt-fmt --dump" { reproducers bt-fmt-dump bt-fmt --dump; }
