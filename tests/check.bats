#!/usr/bin/env bats
# bt-check: semantic analysis (types, names, probes, config) and its ir.
# Diagnostics are compared whole (message, location, source line, ~~~),
# as bpftrace v0.20 prints them (docs/bpftrace-compat.md "Checker errors
# and warnings", "Diagnostics").
load helpers
bats_require_minimum_version 1.5.0

setup() {
	TMP="$(mktemp -d)"
}

teardown() {
	rm -rf "$TMP"
}

# chk PROG [bt-check options...]: parse and check, ir to $TMP/out.ir
chk() {
	local prog="$1"
	shift
	bt-parse -e "$prog" > "$TMP/in.ast" || return 2
	bt-check "$@" "$TMP/in.ast" > "$TMP/out.ir"
}

# err_is PROG EXPECTED [options...]: bt-check fails with exactly EXPECTED on stderr
err_is() {
	local prog="$1" want="$2"
	shift 2
	bt-parse -e "$prog" > "$TMP/in.ast"
	run -1 bt-check "$@" "$TMP/in.ast"
	output=$(drop_kheaders_warning <<< "$output")   # helpers.bash
	if [ "$output" != "$want" ]; then
		printf 'got:\n%s\nwant:\n%s\n' "$output" "$want"
		return 1
	fi
}

# warn_is PROG EXPECTED [options...]: bt-check succeeds, stderr is EXPECTED
warn_is() {
	local prog="$1" want="$2"
	shift 2
	bt-parse -e "$prog" > "$TMP/in.ast"
	run --separate-stderr -0 bt-check "$@" "$TMP/in.ast"
	stderr=$(drop_kheaders_warning <<< "$stderr")
	if [ "$stderr" != "$want" ]; then
		printf 'got:\n%s\nwant:\n%s\n' "$stderr" "$want"
		return 1
	fi
}

# typed PROG: the "AST after: Semantic" dump of PROG
typed() {
	local prog="$1"
	shift
	bt-parse -e "$prog" | bt-check --dump "$@" |
		awk '/^AST after: Semantic/{f=1; getline; next} /^AST after: NodeCounter/{f=0} f && NF'
}

# ---- input handling ----

@test "usage: -h prints usage and exits 0" {
	run -0 bt-check -h
	[[ "$output" == USAGE:* ]]
}

@test "input: garbage is refused with one error line" {
	printf 'this is not msgpack at all' > "$TMP/g"
	run -1 bt-check "$TMP/g"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "bt-check: ERROR: "* ]]
}

@test "input: empty input is refused" {
	run -1 bt-check < /dev/null
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "bt-check: ERROR: empty input"* ]]
}

@test "input: a stream of another stage is refused" {
	chk 'BEGIN { exit(); }'
	run -1 bt-check "$TMP/out.ir"
	[ "$output" = "bt-check: ERROR: expected a 'ast' stream, got 'ir'" ]
}

@test "input: every truncation of an ast stream is refused" {
	bt-parse -e 'BEGIN { @x[1, "a"] = count(); printf("%d\n", pid); }' > "$TMP/a.ast"
	size=$(stat -c %s "$TMP/a.ast")
	for n in $(seq 0 7 $((size - 1))) $((size - 1)); do
		head -c "$n" "$TMP/a.ast" > "$TMP/t"
		run bt-check "$TMP/t"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "bt-check: ERROR: "* ]]
	done
}

@test "input: corrupted bytes never crash bt-check" {
	bt-parse -e 'BEGIN { @x[1, "a"] = count(); printf("%d %s\n", pid, comm); }' > "$TMP/a.ast"
	size=$(stat -c %s "$TMP/a.ast")
	for off in $(seq 20 11 $((size - 2))); do
		cp "$TMP/a.ast" "$TMP/c"
		printf '\xff' | dd of="$TMP/c" bs=1 seek="$off" conv=notrunc 2>/dev/null
		run bt-check "$TMP/c"
		[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	done
}

@test "output: the ir stream is read back by bt-codegen's reader (bt-fmt --dump)" {
	chk 'BEGIN { printf("%s %d\n", comm, pid); exit(); }'
	run -0 bt-fmt --dump "$TMP/out.ir"
	[[ "$output" == *'"fmt": b"%s %d\n"'* ]]
}

@test "performance: a program without kernel types checks in milliseconds" {
	bt-parse -e 'BEGIN { @x[pid] = count(); printf("%d\n", 1); exit(); }' > "$TMP/a.ast"
	# CPU time of 10 runs (wall time is noisy on a loaded machine)
	TIMEFORMAT='%3U %3S'
	t=$( { time for i in 1 2 3 4 5 6 7 8 9 10; do bt-check "$TMP/a.ast" > /dev/null; done; } 2>&1 )
	ms=$(echo "$t" | awk '{ printf "%d", ($1 + $2) * 1000 / 10 }')
	echo "cpu per run: $ms ms"
	[ "$ms" -lt 15 ]
}

@test "performance: BTF and tracefs are not touched without kernel types" {
	command -v strace > /dev/null || skip "no strace"
	bt-parse -e 'BEGIN { @x[pid] = count(); } interval:s:1 { exit(); }' > "$TMP/a.ast"
	run -0 strace -f -e trace=openat,open,stat,newfstatat bt-check "$TMP/a.ast" -o /dev/null
	[[ "$output" != */sys/kernel/btf* ]]
	[[ "$output" != */sys/kernel/tracing* ]]
	[[ "$output" != */sys/kernel/debug* ]]
}

# err_at PROG C1 C2 MSG [options...]: one error on line 1, columns C1-C2
err_at() {
	local prog="$1" c1="$2" c2="$3" msg="$4"
	shift 4
	local marker
	marker="$(printf '%*s' $((c1 - 1)) '')$(printf '%*s' $((c2 - c1)) '' | tr ' ' '~')"
	err_is "$prog" "stdin:1:$c1-$c2: ERROR: $msg
$prog
$marker" "$@"
}

# ---- builtins and identifiers ----

@test "error: Unknown identifier" {
	err_at 'BEGIN { $x = foo; }' 14 17 "Unknown identifier: 'foo'"
}

@test "error: Invalid timestamp mode" {
	err_at 'BEGIN { @ = nsecs(foo); }' 13 22 'Invalid timestamp mode: foo'
}

@test "error: argN outside kprobes/uprobes/usdt" {
	err_at 'BEGIN { @ = arg0; }' 13 17 "The arg0 builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes"
}

@test "error: sargN outside kprobes/uprobes" {
	err_at 'BEGIN { @ = sarg1; }' 13 18 "The sarg1 builtin can only be used with 'kprobes' and 'uprobes' probes"
}

@test "error: retval outside return probes (tracepoint hint)" {
	err_at 'tracepoint:syscalls:sys_exit_read { @ = retval; }' 41 47 "The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'kfunc' probes (try to use args.ret instead)"
	err_at 'BEGIN { @ = retval; }' 13 19 "The retval builtin can only be used with 'kretprobe' and 'uretprobe' and 'kfunc' probes"
}

@test "error: func in an unsupported probe" {
	err_at 'BEGIN { @ = func; }' 13 17 "The func builtin can not be used with 'BEGIN' probes"
}

@test "error: cpid without a child command" {
	err_at 'BEGIN { @ = cpid; }' 13 17 'cpid cannot be used without child command'
	chk 'BEGIN { @ = cpid; }' --child
}

@test "error: args outside tracepoint/kfunc/uprobe" {
	err_at 'BEGIN { @ = args; }' 13 17 'The args builtin can only be used with tracepoint/kfunc/uprobeprobes (special used here)'
}

@test "error: ctx in a tracepoint" {
	err_at 'tracepoint:syscalls:sys_enter_read { @ = ctx; }' 42 45 'Use args instead of ctx in tracepoint'
}

# bpftrace v0.20 gives BEGIN/END the raw-tracepoint program type when it
# checks ctx, and print() refuses values that point into the context
# (a kfunc/uprobe args record is copied, so it prints).
@test "error: ctx in BEGIN/END, print() of ctx or tracepoint args" {
	err_at 'BEGIN { print(ctx); }' 9 18 'invalid program type'
	err_at 'END { $c = ctx; }' 12 15 'invalid program type'
	err_at 'interval:s:1 { print(ctx); }' 16 26 '(ctx) struct bpf_perf_event_data * type passed to print() is not printable'
	err_at 'tracepoint:myfs:myfs_open { print(args); }' 29 40 \
		'struct _tracepoint_myfs_myfs_open type passed to print() is not printable' \
		--sysroot "$ROOT/tests/fixtures/snapshot-kernel"
}

@test "error: \$N used numerically with a string" {
	bt-parse -e 'BEGIN { @ = $1 + 1; }' -- hello > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "$output" = 'stdin:1:13-15: ERROR: $1 used numerically but given "hello". Try using str($1).
BEGIN { @ = $1 + 1; }
            ~~' ]
}

@test "error: str(\$#)" {
	err_at 'BEGIN { @ = str($#); }' 13 19 'use $#, not str($#)'
}

@test "error: String is too long" {
	local s
	s=$(printf 'a%.0s' $(seq 64))
	err_at "BEGIN { @ = \"$s\"; }" 13 79 "String is too long (over 64 bytes): $s"
}

# ---- calls, generic ----

@test "error: unsafe function in safe mode" {
	err_at 'BEGIN { system("ls"); }' 9 21 'system() is an unsafe function being used in safe mode'
	chk 'BEGIN { system("ls"); }' --unsafe
}

@test "error: function not available in a probe type" {
	err_at 'BEGIN { @ = reg("ax"); }' 13 22 'reg can not be used with "BEGIN" probes'
}

@test "error: map function not directly assigned to a map" {
	err_at 'BEGIN { @x = count() + 1; }' 14 21 'count() should be directly assigned to a map'
	err_at 'BEGIN { $x = hist(1); }' 14 21 'hist() should be directly assigned to a map'
}

@test "error: action used in an assignment" {
	err_at 'BEGIN { $x = printf("a"); }' 14 25 'printf() should not be used in an assignment or as a map key'
	err_at 'BEGIN { @[exit()] = 1; }' 9 17 'exit() should not be used in an assignment or as a map key'
}

@test "error: argument counts" {
	err_at 'BEGIN { @ = count(1); }' 13 21 'count() requires no arguments (1 provided)'
	err_at 'BEGIN { @ = sum(); }' 13 18 'sum() requires one argument (0 provided)'
	err_at 'BEGIN { @ = lhist(1, 2); }' 13 24 'lhist() requires 4 arguments (2 provided)'
	err_at 'BEGIN { @ = str(); }' 13 18 'str() requires at least one argument (0 provided)'
	err_at 'BEGIN { time("a", "b"); }' 9 23 'time() takes up to one argument (2 provided)'
	err_at 'BEGIN { @ = hist(1, 2, 3); }' 13 26 'hist() takes up to 2 arguments (3 provided)'
}

@test "error: literal expected" {
	err_at 'BEGIN { printf(1); }' 9 18 'printf() expects a string literal (integer provided)'
	err_at 'BEGIN { @ = hist(1, pid); }' 13 25 'hist() expects a integer literal (integer provided)'
}

@test "error: literal expected, with the str(\$N) hint" {
	bt-parse -e 'BEGIN { printf($1); }' -- '%d' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "$output" = 'stdin:1:9-19: ERROR: printf() expects a string literal (integer provided)
BEGIN { printf($1); }
        ~~~~~~~~~~
ERROR: Use str($1) to treat $1 as a string' ]
}

@test "error: argument of the wrong type" {
	err_at 'BEGIN { @ = sum("a"); }' 13 21 'sum() only supports integer arguments (string provided)'
	err_at 'BEGIN { @ = strerror("a"); }' 13 26 'strerror() only supports integer arguments (string provided)'
}

# ---- calls, specific ----

@test "error: hist bits" {
	err_at 'BEGIN { @ = hist(1, 6); }' 13 23 'hist: bits 6 must be 0..5'
}

@test "error: lhist arguments" {
	err_at 'BEGIN { @ = lhist(1, 0, 10, 0); }' 13 31 'lhist() step must be >= 1 (0 provided)'
	err_at 'BEGIN { @ = lhist(1, 0, 100000, 1); }' 13 35 'lhist() too many buckets, must be <= 1000 (would need 100000)'
	err_at 'BEGIN { @ = lhist(1, -10, 10, 1); }' 13 33 'lhist() min must be non-negative (provided min -10)'
	err_at 'BEGIN { @ = lhist(1, 10, 10, 1); }' 13 32 'lhist() step is too large for the given range (provided step 1 for range 0)'
	bt-parse -e 'BEGIN { @ = lhist(1, 10, 5, 1); }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:13-31: ERROR: lhist() min must be less than max (provided min 10 and max 5)' ]
	err_at 'BEGIN { @ = lhist(1, 0, 10, 20); }' 13 32 'lhist() step is too large for the given range (provided step 20 for range 10)'
}

@test "error: map expected" {
	err_at 'BEGIN { delete(1); }' 9 18 'delete() expects a map to be provided'
	err_at 'BEGIN { clear(1); }' 9 17 'clear() expects a map to be provided'
	err_at 'BEGIN { zero(1); }' 9 16 'zero() expects a map to be provided'
	err_at 'BEGIN { @ = len(1); }' 13 19 'len() expects a map to be provided'
}

@test "error: map indexed where a whole map is expected" {
	err_at 'BEGIN { @x[1] = 1; print(@x[1]); }' 20 32 'The map passed to print() should not be indexed by a key'
}

@test "error: str() of a string" {
	err_at 'BEGIN { @ = str("a"); }' 13 21 'str() expects an integer or a pointer type as first argument (string[2] provided)'
}

@test "error: str(\$N + k) out of range" {
	bt-parse -e 'BEGIN { @ = str($1 + 9); }' -- abc > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "$output" = 'stdin:1:20-23: ERROR: only addition of a single constant less or equal to the length of $1 (which is 3) is allowed inside str()
BEGIN { @ = str($1 + 9); }
                   ~~~' ]
}

@test "error: str() negative length" {
	err_at 'BEGIN { @ = str(1, -1); }' 13 23 'strcannot use negative length (-1)'
}

@test "error: buf() arguments" {
	err_at 'BEGIN { @ = buf(comm, -1); }' 13 26 'buf cannot use negative length (-1)'
	err_at 'BEGIN { @ = buf(1); }' 13 19 'buf() expects a length argument for non-array type integer'
	err_at 'BEGIN { @ = buf(curtask->comm, 2, 3); }' 13 37 'buf() takes up to 2 arguments (3 provided)'
}

@test "error: ksym()/usym() argument" {
	err_at 'BEGIN { @ = ksym("a"); }' 13 22 'ksym() expects an integer or pointer argument'
	err_at 'BEGIN { @ = usym("a"); }' 13 22 'usym() expects an integer or pointer argument'
}

@test "error: ntop() arguments" {
	err_at 'BEGIN { @ = ntop("abcdef"); }' 13 27 'ntop() argument must be 4 or 16 bytes in size'
	err_at 'BEGIN { @ = ntop(2, kstack); }' 13 28 'ntop() expects an integer or array argument, got kstack'
}

@test "error: cgroupid() of a path that is not a cgroup (bpftrace's wording)" {
	bt-parse -e 'BEGIN { @ = cgroupid("/nonexistent/cg"); }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "$output" = 'ERROR: Failed to compile: Failed to get `cgroupid` for path: "/nonexistent/cg": No such file or directory' ]
	local tmpfs
	tmpfs=$(findmnt -n -t tmpfs -o TARGET | head -1)
	[ -n "$tmpfs" ] || skip "no tmpfs mounted"
	bt-parse -e "BEGIN { @ = cgroupid(\"$tmpfs\"); }" > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "$output" = "ERROR: Failed to compile: Failed to get \`cgroupid\` for path: \"$tmpfs\": Value too large for defined data type" ]
}

@test "error: pton() arguments" {
	err_at 'BEGIN { @ = pton("abc"); }' 13 24 'pton() expects an string argument of an IPv4/IPv6 address, got abc'
	err_at 'BEGIN { @ = pton("1.2.3.400"); }' 13 30 'pton() expects a valid IPv4/IPv6 address, got 1.2.3.400'
	# the family is chosen by a '.' first: an IPv4-mapped IPv6 address is refused
	err_at 'BEGIN { $a = ntop(10, pton("::ffff:1.2.3.4")); }' 23 45 'pton() expects a valid IPv4/IPv6 address, got ::ffff:1.2.3.4'
}

@test "error: join() argument" {
	err_at 'BEGIN { join("a"); }' 9 18 '() only supports int or pointer arguments (string provided)'
}

@test "error: reg() name" {
	err_at 'interval:s:1 { @ = reg("foo"); }' 20 30 "'foo' is not a valid register on this architecture (x86_64)"
}

@test "error: uaddr() symbol" {
	err_at 'uprobe:/bin/sh:main { @ = uaddr("a b"); }' 27 39 'uaddr() expects a string that is a valid symbol (^[a-zA-Z0-9./_-]+$) as input ("a b" provided)'
	err_at 'uprobe:/bin/sh:main { @ = uaddr("no_such_symbol_xyz"); }' 27 54 'Could not resolve symbol: /bin/sh:no_such_symbol_xyz'
}

@test "error: format strings" {
	err_at 'BEGIN { printf("%d\n"); }' 9 23 'printf: Not enough arguments for format string (0 supplied, 1 expected)'
	err_at 'BEGIN { printf("a\n", 1); }' 9 25 'printf: Too many arguments for format string (1 supplied, 0 expected)'
	err_at 'BEGIN { printf("%d\n", "a"); }' 9 28 'printf: %d specifier expects a value of type integer (string supplied)'
	err_at 'BEGIN { printf("%s\n", 1); }' 9 26 'printf: %s specifier expects a value of type string (integer supplied)'
	err_at 'BEGIN { printf("%r\n", 1); }' 9 26 'printf: %r specifier expects a value of type buffer (integer supplied)'
	err_at 'BEGIN { cat("%d", "a"); }' 9 23 'cat: %d specifier expects a value of type integer (string supplied)'
	err_at 'BEGIN { system("%d"); }' 9 21 'system: Not enough arguments for format string (0 supplied, 1 expected)' --unsafe
}

@test "error: debugf() limits" {
	bt-parse -e 'BEGIN { debugf("%d %d %d %d", 1, 2, 3, 4); }' > "$TMP/in.ast"
	run -1 bt-check --no-warnings "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:9-42: ERROR: debugf: Cannot use more than 3 conversion specifiers' ]
	bt-parse -e 'BEGIN { debugf("%c", 1); }' > "$TMP/in.ast"
	run -1 bt-check --no-warnings "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:9-24: ERROR: debugf: Unknown format string token: %c' ]
}

@test "error: print() of several values / of a non-printable value" {
	err_at 'BEGIN { print(1, 2); }' 9 20 'Non-map print() only takes 1 argument, 2 found'
}

@test "error: strftime() of a monotonic timestamp" {
	err_at 'BEGIN { @ = strftime("%H", nsecs(monotonic)); }' 13 45 'strftime() can not take a monotonic timestamp'
}

@test "error: stack limits" {
	err_at 'BEGIN { @ = kstack(2000); }' 13 25 "kstack([int limit]): limit shouldn't exceed 1024, 2000 given"
	err_at 'BEGIN { @ = ustack(perf, 1025); }' 13 31 "ustack([int limit]): limit shouldn't exceed 1024, 1025 given"
}

@test "error: signal() arguments" {
	err_at 'profile:hz:1 { signal("FOO"); }' 16 29 'FOO is not a valid signal' --unsafe
	err_at 'profile:hz:1 { signal(100); }' 16 27 '100 is not a valid signal, allowed range: [1,64]' --unsafe
	err_at 'profile:hz:1 { signal(comm); }' 16 28 'signal only accepts string literals or integers' --unsafe
}

@test "error: path() outside kfunc/iter" {
	err_at 'BEGIN { @ = path(1); }' 13 20 "The path function can only be used with 'kfunc', 'kretfunc', 'iter' probes"
}

@test "error: strncmp() size" {
	err_at 'BEGIN { @ = strncmp("a", "b", -1); }' 13 34 'Builtin strncmp requires a non-negative size'
}

@test "error: override() outside kprobes" {
	err_at 'BEGIN { override(1); }' 9 20 'override can only be used with kprobes.' --unsafe
}

@test "error: kptr()/uptr() argument" {
	err_at 'BEGIN { @ = kptr("a"); }' 13 22 'kptr() only supports integer or pointer arguments (string[2] provided)'
	err_at 'BEGIN { @ = uptr("a"); }' 13 22 'uptr() only supports integer or pointer arguments (string[2] provided)'
}

@test "error: macaddr() arguments" {
	# a literal is string[7] (its NUL counts): both errors, as v0.20
	err_is 'BEGIN { @ = macaddr("abcdef"); }' 'stdin:1:13-30: ERROR: macaddr() argument must be 6 bytes in size
BEGIN { @ = macaddr("abcdef"); }
            ~~~~~~~~~~~~~~~~~
stdin:1:13-30: ERROR: macaddr() does not support literal string arguments
BEGIN { @ = macaddr("abcdef"); }
            ~~~~~~~~~~~~~~~~~'
	err_at 'BEGIN { @ = macaddr(kstack); }' 13 28 'macaddr() only supports array or pointer arguments (kstack provided)'
}

@test "error: macaddr() of a byte array that is not 6 bytes (char[16] member, buf(x, 6) with its length byte)" {
	err_at 'struct s { char a[16]; } BEGIN { @ = macaddr(((struct s *)0)->a); }' 38 65 'macaddr() argument must be 6 bytes in size'
	err_at 'BEGIN { @ = macaddr(buf("\x01\x02\x03\x04\x05\x06", 6)); }' 13 56 'macaddr() argument must be 6 bytes in size'
	err_at 'BEGIN { $s = str(0); @ = macaddr($s); }' 26 37 'macaddr() argument must be 6 bytes in size'
	chk 'struct s { char a[6]; } BEGIN { @ = macaddr(((struct s *)0)->a); }'
}

@test "error: bswap() argument" {
	err_at 'BEGIN { @ = bswap("a"); }' 13 23 'bswap() only supports integer arguments (string[2] provided)'
}

# ---- maps, variables, assignments ----

@test "error: context as a map key" {
	err_at 'interval:s:1 { @[ctx] = 1; }' 16 22 'context cannot be used as a map key'
}

@test "error: tuple as a map key" {
	# at the map (9-18), as bpftrace, not at the tuple (9-17)
	err_at 'BEGIN { @[(1,2)] = 1; }' 9 17 'tuple cannot be used as a map key. Try a multi-key associative array instead (eg `@map[$1, $2] = ...)`.'
	err_at 'BEGIN { @[(1, 2)] = 1; }' 9 18 'tuple cannot be used as a map key. Try a multi-key associative array instead (eg `@map[$1, $2] = ...)`.'
}

@test "error: Undefined map" {
	err_at 'BEGIN { print(@y); }' 9 17 'Undefined map: @y'
}

@test "error: Undefined or undeclared variable" {
	err_at 'BEGIN { @ = $x; }' 13 15 'Undefined or undeclared variable: $x'
	err_at 'BEGIN { $x++; }' 9 11 'Undefined or undeclared variable: $x'
}

@test "error: Argument mismatch for a map" {
	err_at 'BEGIN { @x[1] = 1; @x["a"] = 2; }' 20 27 'Argument mismatch for @x: trying to access with arguments: [string[2]] when map expects arguments: [unsigned int64]'
}

@test "error: Type mismatch for a map (sic: no closing quote)" {
	err_at 'BEGIN { @x = 1; @x = "a"; }' 17 19 "Type mismatch for @x: trying to assign value of type 'string[2]' when map already contains a value of type 'int64"
}

@test "error: Type mismatch for a variable" {
	err_at 'BEGIN { $x = 1; $x = "a"; }' 20 21 "Type mismatch for \$x: trying to assign value of type 'string[2]' when variable already contains a value of type 'int64'"
}

@test "error: Tuple type mismatch" {
	err_at 'BEGIN { @x = (1, "a"); @x = ("a", 1); }' 24 26 'Tuple type mismatch: (int64,string[2]) != (string[2],int64).'
}

@test "error: Storing tracepoint args in maps" {
	err_at 'tracepoint:syscalls:sys_enter_read { @ = args; }' 38 39 'Storing tracepoint args in maps is not supported'
}

# ---- expressions ----

@test "error: array index on a non-array" {
	err_at 'BEGIN { $x = 1; @ = $x[0]; }' 21 26 'The array index operator [] can only be used on arrays and pointers, found integer.'
}

@test "error: array index out of bounds / not literal" {
	bt-parse -e 'BEGIN { $a = (int8[8])1; @ = $a[8]; }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:30-35: ERROR: the index 8 is out of bounds for array of size 8' ]
	bt-parse -e 'BEGIN { $a = (int8[8])1; @ = $a[pid]; }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:30-37: ERROR: The array index operator [] only accepts literal integer indices.' ]
}

@test "error: operators on arrays" {
	err_at 'BEGIN { $a = (int8[8])1; $b = (int8[8])2; @ = $a < $b; }' 47 49 'The < operator cannot be used on arrays.'
}

@test "error: operator on incompatible types" {
	err_at 'BEGIN { @ = "a" < "b"; }' 17 18 'The < operator can not be used on expressions of types string[2], string[2]'
}

@test "error: Type mismatch for an operator" {
	err_at 'BEGIN { @ = 1 == "a"; }' 13 21 "Type mismatch for '==': comparing 'int64' with 'string[2]'"
	err_at 'BEGIN { @x = count(); @y = @x + 1; }' 28 34 "Type mismatch for '+': comparing 'count' with 'int64'"
}

@test "error: unary operator on a wrong type" {
	err_at 'BEGIN { @ = ~"a"; }' 13 14 "The ~ operator can not be used on expressions of type 'string[2]'"
}

@test "error: ternary" {
	err_at 'BEGIN { @ = pid ? 1 : "a"; }' 13 26 "Ternary operator must return the same type: have 'integer' and 'string'"
	err_at 'BEGIN { @ = "a" ? 1 : 2; }' 13 24 'Invalid condition in ternary: string'
}

@test "error: predicate type" {
	err_at 'BEGIN /"a"/ { }' 7 12 'Invalid type for predicate: string'
}

@test "error: unroll bounds" {
	err_at 'BEGIN { unroll(101) { } }' 9 20 'unroll maximum value is 100'
	err_at 'BEGIN { unroll(0) { } }' 9 18 'unroll minimum value is 1'
}

@test "error: break/continue outside a loop" {
	err_at 'BEGIN { break; }' 9 14 'break used outside of a loop'
	err_at 'BEGIN { unroll(2) { continue; } }' 21 29 'continue used outside of a loop'
}

@test "error: field access on a pointer / non-record" {
	err_at 'BEGIN { @ = curtask.pid; }' 13 21 "Can not access field 'pid' on type 'struct task_struct *'. Try dereferencing it first, or using '->'"
	err_at 'BEGIN { $x = 1; @ = $x.foo; }' 21 24 "Can not access field 'foo' on expression of type 'int64'"
}

@test "error: tuple index out of range" {
	err_at 'BEGIN { $t = (1, "a"); @ = $t.5; }' 28 32 'Invalid tuple index: 5. Found 2 elements in tuple.'
}

@test "error: missing struct field" {
	err_at 'BEGIN { @ = curtask->no_such_field; }' 13 35 "Struct/union of type 'struct task_struct' does not contain a field named 'no_such_field'"
}

@test "error: common tracepoint fields" {
	err_at 'tracepoint:syscalls:sys_enter_read { @ = args.common_pid; }' 42 47 'BPF does not support accessing common tracepoint fields'
}

@test "error: dereferencing a record" {
	err_at 'BEGIN { @ = *(*curtask); }' 13 14 "Can not dereference struct/union of type 'struct task_struct'. It is not a pointer."
}

@test "error: casts" {
	err_at 'BEGIN { @ = (int8[])"abcdefg"; }' 13 21 'Cannot cast from "string[8]" to "int8[8]"'
	err_at 'BEGIN { @ = (bool[2])1; }' 13 22 'Bit arrays are not supported'
}

@test "error: a cast to an unknown struct (or a pointer to one) cannot resolve its type" {
	err_at 'BEGIN { (struct faketype *)0 }' 9 28 'Cannot resolve unknown type "struct faketype"'
	err_is 'BEGIN { (faketype)0 }' 'stdin:1:9-19: ERROR: Cannot resolve unknown type "faketype"
BEGIN { (faketype)0 }
        ~~~~~~~~~~
stdin:1:9-19: ERROR: Cannot cast to "faketype"
BEGIN { (faketype)0 }
        ~~~~~~~~~~'
	chk 'struct Foo { int a; } BEGIN { $p = (struct Foo **)0; $t = (struct task_struct *)0; }'
}

# ---- attach points ----

@test "error: attach point checks" {
	err_at 'BEGIN { } BEGIN { }' 10 16 'More than one BEGIN probe defined'
	err_at 'END { } END { }' 8 12 'More than one END probe defined'
	err_at 'interval:s:0 { }' 1 13 'interval frequency should be a positive integer'
	err_at 'profile:hz:0 { }' 1 13 'profile frequency should be a positive integer'
	err_at 'watchpoint:0x1000:3:w { }' 1 22 'watchpoint length must be one of (1,2,4,8)'
	err_at 'watchpoint:0x1000:8:rx { }' 1 23 'invalid watchpoint mode: rx'
	err_at 'watchpoint:0x1000:8:ww { }' 1 23 'watchpoint modes may not be duplicated'
	err_at 'watchpoint:0:8:w { }' 1 17 'watchpoint must be attached to a non-zero address'
	err_at 'asyncwatchpoint:0x1000:8:w { }' 1 27 'asyncwatchpoint requires a function name'
	err_at 'watchpoint:func+arg1:8:w { }' 1 25 '-p PID or -c CMD required for watchpoint'
	err_at 'software:faults*:1 { }' 1 19 'wildcards are not allowed for hardware probe type'
}

@test "error: usdt without path or pid, or without a probe name" {
	err_at 'usdt::probe { }' 1 12 "usdt probe must specify at least path or pid to probe. To target all paths/pids set the path to '*'."
	err_at 'usdt:/bin/sh: { }' 1 14 'usdt probe must have a target function or wildcard'
}

# ---- config ----

@test "config: Unrecognized config variable" {
	err_at 'config = { BAD_CONFIG=1 } BEGIN { }' 12 23 'Unrecognized config variable: BAD_CONFIG'
}

@test "config: Invalid type" {
	err_at 'config = { BPFTRACE_MAX_PROBES="hello" } BEGIN { }' 12 32 'Invalid type for BPFTRACE_MAX_PROBES. Type: string. Expected Type: integer'
}

@test "config: environment-only keys" {
	err_at 'config = { max_ast_nodes=1 } BEGIN { }' 12 26 'max_ast_nodes can only be set as an environment variable'
}

@test "config: bool values" {
	bt-parse -e 'config = { cpp_demangle = 2 } BEGIN { }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "$output" = 'ERROR: Invalid value for cpp_demangle. Needs to be 0 or 1. Value: 2' ]
}

@test "config: values reach meta.config, the environment wins" {
	bt-parse -e 'config = { max_strlen = 16; stack_mode = perf } BEGIN { @ = str(0); }' > "$TMP/in.ast"
	run -0 bt-check --dump "$TMP/in.ast"
	[[ "$output" == *'call: str :: type[string[16], ctx: 0, AS(kernel)]'* ]]
	BPFTRACE_MAX_STRLEN=32 run -0 bt-check --dump "$TMP/in.ast"
	[[ "$output" == *'call: str :: type[string[32], ctx: 0, AS(kernel)]'* ]]
}

@test "config: bad environment values" {
	bt-parse -e 'BEGIN { }' > "$TMP/in.ast"
	BPFTRACE_MAX_STRLEN=abc run -1 bt-check "$TMP/in.ast"
	[ "$output" = "ERROR: Env var 'BPFTRACE_MAX_STRLEN' did not contain a valid uint64_t, or was zero-valued." ]
	BPFTRACE_CPP_DEMANGLE=yes run -1 bt-check "$TMP/in.ast"
	[ "$output" = "ERROR: Env var 'BPFTRACE_CPP_DEMANGLE' did not contain a valid value (0 or 1)." ]
	BPFTRACE_MAX_STRLEN=201 run -1 bt-check "$TMP/in.ast"
	[ "${lines[0]}" = "ERROR: 'BPFTRACE_MAX_STRLEN' 201 exceeds the current maximum of 200 bytes." ]
	BPFTRACE_STACK_MODE=foo run -1 bt-check "$TMP/in.ast"
	[ "$output" = "ERROR: foo is not a valid StackMode" ]
}

@test "config: deprecated environment names warn" {
	bt-parse -e 'BEGIN { @ = str(0); }' > "$TMP/in.ast"
	BPFTRACE_STRLEN=20 run --separate-stderr -0 bt-check --dump "$TMP/in.ast"
	[ "$stderr" = 'WARNING: BPFTRACE_STRLEN is deprecated. Use BPFTRACE_MAX_STRLEN instead.' ]
	[[ "$output" == *'string[20]'* ]]
}

@test "config: node count limit" {
	bt-parse -e 'BEGIN { @ = 1 + 2; }' > "$TMP/in.ast"
	BPFTRACE_MAX_AST_NODES=3 run -1 bt-check "$TMP/in.ast"
	[ "$output" = 'ERROR: node count (8) exceeds the limit (3)' ]
	# counted after the semantic pass, as bpftrace; the limit is reached at
	# the count itself
	BPFTRACE_MAX_AST_NODES=8 run -1 bt-check -o /dev/null "$TMP/in.ast"
	BPFTRACE_MAX_AST_NODES=9 run -0 bt-check -o /dev/null "$TMP/in.ast"
}

# -v: bpftrace's NodeCounter after its semantic pass counts every node it
# visits: program, probes, attach points, predicate, config block,
# statements and expressions, the map-key cast and hist()'s default bits
# argument it adds (a map used twice by += counts twice); not the
# conversions only bt-check adds.  Counts worked out by hand.
@test "-v: INFO: node count as bpftrace's NodeCounter" {
	local prog want
	while IFS='|' read -r want prog; do
		bt-parse -e "$prog" -- abc > "$TMP/in.ast"
		run --separate-stderr -0 bt-check -v -o /dev/null "$TMP/in.ast"
		[ "$stderr" = "INFO: node count: $want" ] || { echo "$prog: $stderr"; return 1; }
	done <<'EOF'
8|BEGIN { printf("hi\n"); exit(); }
33|BEGIN { $x = 1; $x = (uint8)2; @y[(int8)1] = (int16)3; @z = hist(1); if (pid > 1) { @a += 1; } exit(); }
15|config = { max_strlen = 10 } BEGIN /pid/ { @[str($1)] = count(); exit() }
EOF
	run --separate-stderr -0 bt-check -o /dev/null "$TMP/in.ast"
	[ -z "$stderr" ]
}

# ---- warnings ----

@test "warning: integers from two address spaces mix into one without" {
	# syscall args are user memory, curtask's fields kernel memory
	warn_is 'tracepoint:syscalls:sys_enter_openat { @ = args.flags + curtask->pid; }' "stdin:1:55-56: WARNING: Addrspace mismatch
tracepoint:syscalls:sys_enter_openat { @ = args.flags + curtask->pid; }
                                                      ~"
	warn_is 'tracepoint:syscalls:sys_enter_openat { @ = args.mode + args.mode; }' ''
	# the sum keeps the one address space, or has none after a mismatch
	run -0 typed 'tracepoint:syscalls:sys_enter_openat { $p = (int8 *)(args.flags + args.mode); @ = *$p; }'
	[[ "$output" == *'+ :: type[unsigned int64, ctx: 0, AS(user)]'* ]]
	[[ "$output" == *'variable: $p :: type[int8 *, ctx: 0, AS(user)]'* ]]
	run -0 typed 'tracepoint:syscalls:sys_enter_openat { $p = (int8 *)(args.flags + curtask->pid); @ = *$p; }'
	[[ "$output" == *'+ :: type[int64, ctx: 0]'* ]]
}

@test "warning: sign mismatches and signed division" {
	warn_is 'BEGIN { $a = (uint32)1; $b = (int32)-1; @ = $a < $b; }' "stdin:1:48-49: WARNING: comparison of integers of different signs: 'unsigned int32' and 'int32' can lead to undefined behavior
BEGIN { \$a = (uint32)1; \$b = (int32)-1; @ = \$a < \$b; }
                                               ~"
	warn_is 'BEGIN { $a = -1; @ = $a / 2; }' "stdin:1:25-26: WARNING: signed operands for '/' can lead to undefined behavior (cast to unsigned to silence warning)
BEGIN { \$a = -1; @ = \$a / 2; }
                        ~"
	warn_is 'BEGIN { @ = pid < 10; }' ''
}

@test "warning: --no-warnings silences warnings" {
	warn_is 'BEGIN { $a = -1; @ = $a / 2; }' '' --no-warnings
}

@test "warning: literal longer than the string" {
	warn_is 'BEGIN { if (comm == "aaaaaaaaaaaaaaaaaaaa") { } }' 'stdin:1:12-43: WARNING: The literal is longer than the variable string (size=16), condition will always be false
BEGIN { if (comm == "aaaaaaaaaaaaaaaaaaaa") { } }
           ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~'
}

@test "warning: buf() too long" {
	warn_is 'BEGIN { @ = buf(comm, 100); }' 'stdin:1:13-27: WARNING: buf() length is too long and will be shortened to 64 bytes (see BPFTRACE_MAX_STRLEN)
BEGIN { @ = buf(comm, 100); }
            ~~~~~~~~~~~~~~'
}

@test "warning: print() in a loop" {
	warn_is 'BEGIN { @x = 1; $i = 0; while ($i < 2) { print(@x); $i++; } }' "stdin:1:42-51: WARNING: Due to it's asynchronous nature using 'print()' in a loop can lead to unexpected behavior. The map will likely be updated before the runtime can 'print' it.
BEGIN { @x = 1; \$i = 0; while (\$i < 2) { print(@x); \$i++; } }
                                         ~~~~~~~~~"
}

# ---- typed trees (--dump prints bpftrace -d's "AST after: Semantic") ----

@test "types: builtins, literals, operators" {
	run -0 typed 'BEGIN { @x = pid + 1; $s = comm; @c[cpu] = count(); @t = nsecs > 1 && !0; }'
	[ "$output" = 'Program
 BEGIN
  =
   map: @x :: type[unsigned int64, ctx: 0]
   + :: type[unsigned int64, ctx: 0]
    builtin: pid :: type[unsigned int64, ctx: 0]
    int: 1 :: type[int64, ctx: 0]
  =
   variable: $s :: type[string[16], ctx: 0, AS(kernel)]
   builtin: comm :: type[string[16], ctx: 0, AS(kernel)]
  =
   map: @c :: type[count, ctx: 0]
    builtin: cpu :: type[unsigned int64, ctx: 0]
   call: count :: type[count, ctx: 0]
  =
   map: @t :: type[unsigned int64, ctx: 0]
   && :: type[unsigned int64, ctx: 0]
    > :: type[unsigned int64, ctx: 0]
     builtin: nsecs :: type[unsigned int64, ctx: 0]
     int: 1 :: type[int64, ctx: 0]
    !
     int: 0 :: type[int64, ctx: 0]' ]
}

@test "types: small integer map keys are cast to 64 bits, hist gets its bits" {
	run -0 typed 'BEGIN { @[(int8)1] = hist(2); }'
	[ "$output" = 'Program
 BEGIN
  =
   map: @ :: type[hist, ctx: 0]
    (int64)
     (int8)
      int: 1 :: type[int64, ctx: 0]
   call: hist :: type[hist, ctx: 0]
    int: 2 :: type[int64, ctx: 0]
    int: 0 :: type[int64, ctx: 0]' ]
}

@test "types: tracepoint args, str(), tuples" {
	run -0 typed 'tracepoint:syscalls:sys_enter_openat { $t = (1, str(args.filename)); @[$t.1] = sum(args.flags); }'
	[[ "$output" == *'builtin: args :: type[struct _tracepoint_syscalls_sys_enter_openat, ctx: 1, AS(user)]'* ]]
	[[ "$output" == *'variable: $t :: type[(int64,string[64]), ctx: 0]'* ]]
	[[ "$output" == *'map: @ :: type[sum, ctx: 0]'* ]]
}

@test "types: a pointer cast takes the probe's address space; none in BEGIN/interval" {
	# bpftrace reads through such pointers with the legacy probe_read when
	# the probe has no address space (json-output.helper_error expects it)
	run -0 typed 'struct foo { int a; } BEGIN { $p = (struct foo *)0; $a = $p->a; }'
	[[ "$output" == *'variable: $p :: type[struct foo *, ctx: 0]'* ]]
	[[ "$output" != *'AS(kernel)'* ]]
	run -0 typed 'struct foo { int a; } interval:s:1 { $p = (struct foo *)0; }'
	[[ "$output" == *'variable: $p :: type[struct foo *, ctx: 0]'* ]]
	run -0 typed 'struct foo { int a; } tracepoint:sched:sched_switch { $p = (struct foo *)0; }'
	[[ "$output" == *'variable: $p :: type[struct foo *, ctx: 0, AS(kernel)]'* ]]
	run -0 typed 'BEGIN { $t = (struct task_struct *)curtask; }'
	[[ "$output" == *'variable: $t :: type[struct task_struct *, ctx: 0, AS(kernel)]'* ]]
}

@test "types: a map used before its assignment in source order (fixpoint)" {
	run -0 typed 'BEGIN { @y = @x + 1; $s = str(@p); } END { @x = 5; @p = 0; }'
	[[ "$output" == *'map: @y :: type[int64, ctx: 0]'* ]]
	[[ "$output" == *'variable: $s :: type[string[64]'* ]]
}

@test "types: strings stored in a map take the largest size" {
	run -0 typed 'BEGIN { @s = "a"; @s = "abcdef"; $v = "xy"; $v = "xyz"; }'
	[[ "$output" == *'map: @s :: type[string[7], ctx: 0]
   string: a :: type[string[2], ctx: 0]'* ]]
	[[ "$output" == *'variable: $v :: type[string[4], ctx: 0]
   string: xy :: type[string[3], ctx: 0]'* ]]
}

@test "types: positional parameters fold, \$# counts them" {
	bt-parse -e 'BEGIN { @a = $1 + $#; @b = str($2); @c = str($2 + 2); @d = $3; }' -- 0x10 hello > "$TMP/in.ast"
	run -0 bt-check --dump "$TMP/in.ast"
	[[ "$output" == *'param: $1 :: type[int64, ctx: 0]'* ]]
	bt-check "$TMP/in.ast" > "$TMP/out.ir"
	run -0 bt-fmt --dump "$TMP/out.ir"
	# 16 + 2 parameters: then folded as literal arithmetic, at the `+`
	[[ "$output" == *'"k": "int", "loc": [1, 17, 1, 18], "num": 18'* ]]
	[[ "$output" == *'"str": b"hello"'* ]]
	[[ "$output" == *'"str": b"llo"'* ]]
}

@test "types: + - * of 64-bit literals reach the ir as one literal; checks and -d see them as written" {
	local prog='BEGIN { @a = 2 * 3 + 1; @b = 9223372036854775807 + 1; @c = 5 - 7 * 2; @d = 8 / 2; @e = (int32)2 * 3; }'
	chk "$prog"
	run -0 irdump
	echo "$output"
	# @a, @b, @c fold (wrapping as the generated code would); / is left
	# to bt-codegen, and so is an int32 operand
	[[ "$output" == *'"k": "int", "loc": [1, 20, 1, 21], "num": 7,'* ]]
	[[ "$output" == *'"num": -9223372036854775808,'* ]]
	[[ "$output" == *'"num": -9,'* ]]
	[ "$(grep -c '"k": "binop"' <<< "$output")" -eq 2 ]
	[[ "$output" == *'"op": "/"'* ]]
	# bpftrace -d's dump is the program as written
	run -0 typed 'BEGIN { @a = 2 * 3 + 1; }'
	[[ "$output" == *'   + :: type[int64, ctx: 0]
    * :: type[int64, ctx: 0]
     int: 2 :: type[int64, ctx: 0]
     int: 3 :: type[int64, ctx: 0]
    int: 1 :: type[int64, ctx: 0]'* ]]
	# sizeof and offsetof of kernel records stay relocatable
	if [ -r /sys/kernel/btf/vmlinux ]; then
		chk 'BEGIN { @s = sizeof(struct task_struct) * 2; @o = offsetof(struct task_struct, pid) + 1; }'
		run -0 irdump
		[ "$(grep -c '"k": "binop"' <<< "$output")" -eq 2 ]
	else
		echo "# no kernel BTF here: the relocatable-literal case is not run" >&3
	fi
	# a literal argument must be written as one
	err_is 'BEGIN { @ = hist(1, 2 * 3); }' 'stdin:1:13-27: ERROR: hist() expects a integer literal (integer provided)
BEGIN { @ = hist(1, 2 * 3); }
            ~~~~~~~~~~~~~~'
}

# ---- metadata (ir.md "Metadata") ----

irdump() {
	bt-fmt --dump "$TMP/out.ir"
}

@test "meta: maps sorted by name bytewise with key and value types" {
	chk 'BEGIN { @b[1, "x"] = count(); @a = 1; @_z = "s"; @ = sum(2); @B = hist(3, 2); @l = lhist(5, 0, 100, 10); }'
	run -0 irdump
	names=$(echo "$output" | grep -o '"name": "@[A-Za-z_]*"' | tr '\n' ' ')
	[ "$names" = '"name": "@" "name": "@B" "name": "@_z" "name": "@a" "name": "@b" "name": "@l" ' ]
	[[ "$output" == *'"name": "@b", "id": 4,'* ]]
	[[ "$output" == *'"key_size": 10'* ]]
	[[ "$output" == *'"hist_bits": 2'* ]]
	[[ "$output" == *'"lh_max": 100'* ]]
}

@test "meta: printf argument layout" {
	chk 'BEGIN { printf("%s %d %s %x\n", comm, pid, "ab", (uint8)3); }'
	run -0 irdump
	offsets=$(echo "$output" | grep -o '"size": 48, "args": \[.*\]' | grep -o ', [0-9]*\]' | tr -d ',] \n')
	[ "$offsets" = "8243240" ]
}

@test "meta: one program per probe block; cookies name attach points" {
	chk 'tracepoint:syscalls:sys_enter_read,tracepoint:syscalls:sys_enter_write { @[probe] = count(); } interval:ms:100 { exit(); }'
	run -0 irdump
	[[ "$output" == *'[0] "tracepoint:syscalls:sys_enter_read"'* ]]
	[[ "$output" == *'[1] "tracepoint:syscalls:sys_enter_write"'* ]]
	[[ "$output" == *'[2] "interval:ms:100"'* ]]
	[ "$(echo "$output" | grep -c '"prog": ')" -eq 2 ]
	[[ "$output" == *'"k": "builtin", "loc": [1, 74, 1, 81], "num": -1, "str": b"probe"'* ]]
}

@test "meta: watchpoints on the -c program: wildcards expand, names carry length and mode" {
	local prog="$TP/watchpoint_func_wildcard"
	[ -x "$prog" ] || fail_missing_testprogs
	# the functions the program defines, by its own symbol table
	want=$(nm "$prog" | awk '$2 ~ /[Tt]/ && $3 ~ /^increment_/ {print $3}' | sort)
	[ -n "$want" ]
	chk 'watchpoint:increment_*+arg0:4:w { printf("%s\n", probe); }' --child-exe "$prog"
	run -0 irdump
	got=$(echo "$output" | grep -o "\"watchpoint:$prog:increment_[0-9]*:4:w\"" |
		sed 's/.*:\(increment_[0-9]*\):4:w"/\1/' | sort -u)
	[ "$got" = "$want" ]
	# --child-exe allows what --child allows
	chk 'BEGIN { @ = cpid; }' --child-exe "$prog"
	# without a binary the wildcard stays for bt-load to refuse
	chk 'watchpoint:increment_*+arg0:4:w { }' --child
	run -0 irdump
	[[ "$output" != *"increment_0"* ]]
}

@test "meta: a block is cloned per tracepoint when it uses args" {
	chk 'tracepoint:syscalls:sys_enter_read,tracepoint:syscalls:sys_enter_write { @[args.count] = count(); }'
	run -0 irdump
	[ "$(echo "$output" | grep -c '"prog": ')" -eq 2 ]
	[[ "$output" == *'"name": "tracepoint:syscalls:sys_enter_read"'* ]]
	[[ "$output" == *'"name": "tracepoint:syscalls:sys_enter_write"'* ]]
}

@test "meta: config and options reach meta.config" {
	bt-parse -e 'config = { max_map_keys = 100; str_trunc_trailer = "~" } BEGIN { }' > "$TMP/in.ast"
	bt-check --unsafe -kk "$TMP/in.ast" > "$TMP/out.ir"
	run -0 irdump
	[[ "$output" == *'"max_map_keys": 100'* ]]
	[[ "$output" == *'"str_trunc_trailer": "~"'* ]]
	[[ "$output" == *'"unsafe": true'* ]]
	[[ "$output" == *'"helper_check_level": 2'* ]]
}

@test "listing: --list prints matching probes" {
	ensure_tracefs
	run -0 bt-check --list 'tracepoint:syscalls:sys_enter_openat'
	[ "$output" = 'tracepoint:syscalls:sys_enter_openat' ]
}

# ---- more messages ----

@test "error: argN beyond the architecture's registers" {
	err_at 'rawtracepoint:sys_enter { @ = arg6; }' 31 35 "x86_64 doesn't support arg6"
}

@test "error: perf event names and units" {
	err_at 'software:nope:1 { }' 1 16 'nope is not a software probe'
	err_at 'hardware:nope:1 { }' 1 16 'nope is not a hardware probe'
	err_at 'software: { }' 1 10 'software probe must have a software event name'
	err_at 'hardware: { }' 1 10 'hardware probe must have a hardware event name'
	err_at 'interval:x:1 { }' 1 13 'x is not an accepted unit of time'
}

@test "error: uprobe/usdt targets and languages" {
	err_at 'uprobe:/bin/sh:cpp2:main { }' 1 25 'unsupported language type: cpp2'
	err_at 'uprobe:/nonexist:main { }' 1 22 "uprobe target file '/nonexist' does not exist or is not executable"
	err_at 'usdt:/nonexist:p { }' 1 17 "usdt target file '/nonexist' does not exist or is not executable"
}

@test "error: attach points without a function" {
	err_at 'rawtracepoint: { }' 1 15 'rawtracepoint should be attached to a function'
	err_at 'kprobe: { }' 1 8 'kprobes should be attached to a function'
	# (the fixture snapshot's kernel has kfunc; this one may not)
	err_at 'kfunc: { }' 1 7 'kfunc should specify a function' \
		--sysroot "$ROOT/tests/fixtures/snapshot-kernel"
	err_at 'watchpoint:0x1000:8:q { }' 1 22 'watchpoint mode must be combination of (r,w,x)'
}

@test "error: only one iter attach point" {
	err_at 'iter:task,iter:task_file { }' 11 25 'Only single iter attach point is allowed.'
}

@test "error: array casts" {
	bt-parse -e 'BEGIN { $x = (int64[])(int8)1; }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:14-23: ERROR: Cannot determine array size: the element size is incompatible with the cast integer size' ]
	err_at 'BEGIN { $x = (int8)curtask->comm; }' 14 20 'Cannot cast from "string[16]" to "int8"'
	bt-parse -e 'BEGIN { $x = (int8)*curtask; }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:14-20: ERROR: Cannot cast from struct type "struct task_struct"' ]
}

@test "error: hist bits and lhist bounds must agree per map" {
	err_at 'BEGIN { @x = hist(1, 1); } END { @x = hist(2, 2); }' 39 49 'Different bits in a single hist, had 1 now 2'
	err_at 'BEGIN { @x = lhist(1, 0, 10, 1); } END { @x = lhist(2, 0, 20, 1); }' 47 65 'Different lhist bounds in a single map unsupported'
}

@test "error: arrays compared" {
	bt-parse -e 'BEGIN { $a = (int8[8])1; $b = (int16[4])1; @ = $a == $b }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:48-50: ERROR: Only arrays of same size support comparison operators.' ]
	[ "${lines[3]}" = 'stdin:1:48-50: ERROR: Only arrays of same sized integer support comparison operators.' ]
}

@test "error: ternary of tuples" {
	err_at 'BEGIN { @ = pid ? (1, 2) : (3, 4) }' 13 34 'Ternary return type unsupported tuple'
}

@test "error: if() condition (location of an if is 1:1-1)" {
	err_is 'BEGIN { if ("a") { } }' 'stdin:1:1-1: ERROR: Invalid condition in if(): string
BEGIN { if ("a") { } }'
	# and an empty marker line
	[ "$(bt-check "$TMP/in.ast" 2>&1 >/dev/null | wc -l)" -eq 3 ]
}

# A call without a value (exit(), delete(), print(), ...) used as a
# condition is refused by the checker, with bpftrace's wording, never
# left to fail in bt-codegen.
@test "error: a call without a value as an if() condition" {
	local call prog
	for call in 'exit()' 'delete(@a[1])' 'print(1)' 'clear(@a)' 'zero(@a)' 'time()' 'cat("/x")'; do
		prog="BEGIN { @a[1] = 1; if ($call) { } }"
		err_is "$prog" "stdin:1:1-1: ERROR: Invalid condition in if(): none
$prog"
	done
}

@test "error: a call without a value as an operand or predicate" {
	err_at 'BEGIN { if (exit() == 1) { } }' 12 24 "Type mismatch for '==': comparing 'none' with 'int64'"
	err_at 'BEGIN { $x = !exit(); }' 14 15 "The ! operator can not be used on expressions of type 'none'"
	err_at 'BEGIN { $x = str(exit()); }' 14 25 'str() expects an integer or a pointer type as first argument (none provided)'
	err_at 'BEGIN /exit()/ { }' 7 15 'Invalid type for predicate: none'
}

# bpftrace reports every error of its last pass, not only the first.
@test "error: an undefined map read into a variable reports all three errors" {
	err_is 'BEGIN { $x = @y[1]; }' 'stdin:1:14-19: ERROR: Undefined map: @y
BEGIN { $x = @y[1]; }
             ~~~~~
stdin:1:12-13: ERROR: Undefined variable: $x
BEGIN { $x = @y[1]; }
           ~
stdin:1:14-19: ERROR: Invalid expression for assignment: none
BEGIN { $x = @y[1]; }
             ~~~~~'
}

@test "error: index of a void pointer" {
	err_at 'BEGIN { $x = (void *)0; @ = $x[1]; }' 29 34 'The array index operator [] cannot be used on a pointer to an unsized type (void *).'
}

@test "error: offsetof() of a non-record" {
	err_at 'BEGIN { @ = offsetof(1, a); }' 13 27 'offsetof() 1st argument is not of a record type.'
}

@test "error: context assigned to a map" {
	err_at 'interval:s:1 { @ = ctx; }' 18 19 'context cannot be assigned to a map'
}

@test "error: ctx across program types / in a raw tracepoint" {
	bt-parse -e 'interval:s:1,tracepoint:syscalls:sys_enter_read { $c = ctx; }' > "$TMP/in.ast"
	run -1 bt-check "$TMP/in.ast"
	[ "${lines[0]}" = 'stdin:1:56-59: ERROR: ctx cannot be used in different BPF program types: BPF_PROG_TYPE_PERF_EVENT and BPF_PROG_TYPE_TRACEPOINT' ]
	err_at 'rawtracepoint:sys_enter { $c = ctx; }' 32 35 'invalid program type'
}

@test "error: index access on a non-tuple" {
	err_at 'BEGIN { $x = 1; @ = $x.1; }' 21 25 "Can not access index 1 on expression of type 'int64'"
}

@test "error: str() of a positional parameter expression" {
	err_at 'BEGIN { @ = str(-$1) }' 13 21 'str() only accepts positional parameters directly or with a single constant offset added'
}

@test "error: skboutput() must be assigned to a variable" {
	err_at 'BEGIN { @ = skboutput("a", 1, 2, 3); }' 13 36 'skboutput() should be assigned to a variable'
}

@test "error: print() of a non-printable value" {
	err_at 'BEGIN { print(exit()); }' 9 22 'none type passed to print() is not printable'
	chk 'BEGIN { print(kstack(perf)); $t = (1, 2); print($t); print(comm); }'
}

@test "error: Assignemnt must be literal (sic)" {
	err_at 'config = { max_strlen = 1 + 1 } BEGIN { }' 23 24 'Assignemnt for max_strlen must be literal.'
}

@test "error: Cannot read function parameters without DWARF" {
	err_at 'uprobe:/bin/sh:main { @ = args; }' 27 31 'Cannot read function parameters'
}

# ---- C definitions of the script ----

# cdef_prog PROG: the ast of a program with C definitions, in $TMP/in.ast
cdef_prog() {
	bt-parse -e "$1" > "$TMP/in.ast"
}

@test "cdefs: struct layout, bitfields, enums and macros" {
	cdef_prog 'struct Foo { int x; char name[8]; struct Foo *next; unsigned a:3, b:5; long l; unsigned char raw[4]; };
#define FOO (1 << 4)
enum E { A, B = 5, C };
BEGIN { $f = (struct Foo *)0; @s = sizeof(struct Foo); @o = offsetof(struct Foo, l); @m = FOO; @e = C; @n = $f->name; @r = $f->raw; @b = $f->b; }'
	run -0 bt-check --dump "$TMP/in.ast"
	[[ "$output" == *'map: @n :: type[string[8], ctx: 0'* ]]
	[[ "$output" == *'map: @r :: type[unsigned int8[4], ctx: 0'* ]]
	bt-check "$TMP/in.ast" > "$TMP/out.ir"
	run -0 irdump
	[[ "$output" == *'"fields": [["x", 0, '*'["name", 4, '*'["next", 16, '*'["a", 24, '*', 0, 3], ["b", 24, '*', 3, 5], ["l", 32, '*'["raw", 40, '*']], "align": 8'* ]]
	[[ "$output" == *'"num": 48'* ]]
	[[ "$output" == *'"num": 32'* ]]
	[[ "$output" == *'"num": 6'* ]]
}

@test "cdefs: #include takes macros from the header, BPFTRACE_HAVE_BTF is defined" {
	cdef_prog '#include <errno.h>
#ifdef BPFTRACE_HAVE_BTF
#define HAVE 1
#else
#define HAVE 0
#endif
BEGIN { @e = EPERM; @h = HAVE; }'
	bt-check "$TMP/in.ast" > "$TMP/out.ir"
	run -0 irdump
	[[ "$output" == *'"k": "int", "loc": [7, 14, 7, 19], "num": 1'* ]]
}

@test "cdefs: the user's own headers (-I, quoted, --include) declare structs, enums, typedefs" {
	mkdir -p "$TMP/inc"
	cat > "$TMP/inc/mine.h" <<'EOF'
#include <stdint.h>
#define MINE 42
int a_prototype(int a, char *b);
typedef unsigned long myulong;
struct mine { uint32_t a; myulong b; char c[8]; };
enum mine_e { M1 = 3, M2 };
EOF
	cdef_prog '#include <mine.h>
BEGIN { @s = sizeof(struct mine); @o = offsetof(struct mine, c); @e = M2; @m = MINE; @t = sizeof(myulong); }'
	bt-check -I "$TMP/inc" "$TMP/in.ast" > "$TMP/out.ir"
	run -0 irdump
	[[ "$output" == *'"num": 24'* ]]
	[[ "$output" == *'"num": 16'* ]]
	[[ "$output" == *'"num": 4'* ]]
	[[ "$output" == *'"num": 42'* ]]
	# the same through --include
	cdef_prog 'BEGIN { @s = sizeof(struct mine); @e = M1; }'
	bt-check --include "$TMP/inc/mine.h" "$TMP/in.ast" > "$TMP/out.ir"
	run -0 irdump
	[[ "$output" == *'"num": 24'* ]]
	[[ "$output" == *'"num": 3'* ]]
}

@test "cdefs: a missing header is reported like clang" {
	cdef_prog '#include <no_such_header_xyz.h>
BEGIN { }'
	run -1 bt-check "$TMP/in.ast"
	# line 2: definitions.h starts with the generated BTF header's #include
	[ "$(grep -v '^WARNING: Could not find kernel headers' <<< "$output")" = "definitions.h:2:10: fatal error: 'no_such_header_xyz.h' file not found" ]
}

@test "cdefs: a member without ';' before '}' is accepted (as clang does)" {
	cdef_prog 'struct x { unsigned long x }; interval:ms:1 { @ = ((struct x *)ctx)->x; }'
	run -0 bt-check "$TMP/in.ast" -o /dev/null
}

@test "cdefs: a redefined kernel type does not take members from BTF" {
	cdef_prog 'struct task_struct { struct thread_info x; } BEGIN { @ = curtask->x.status; }'
	run -1 bt-check "$TMP/in.ast"
	# bpftrace warns about the conflict only when clang's own errors are
	# redefinitions (cdefs.bats); here clang's error alone is printed
	[ "$(grep -v '^WARNING: Could not find kernel headers' <<< "$output")" = "definitions.h:2:41: error: field has incomplete type 'struct thread_info'
definitions.h:2:29: note: forward declaration of 'struct thread_info'" ]
}

@test "cdefs: kernel types held by value come from BTF" {
	cdef_prog 'struct foo { struct list_head l; int x; } BEGIN { @ = sizeof(struct foo); @o = offsetof(struct foo, x); }'
	bt-check "$TMP/in.ast" > "$TMP/out.ir"
	run -0 irdump
	[[ "$output" == *'"num": 24'* ]]
	[[ "$output" == *'"num": 16'* ]]
}

@test "warning: unreachable code after a jump" {
	warn_is 'BEGIN { $i = 0; while ($i < 2) { $i++; continue; @x = 1; } }' 'stdin:1:40-48: WARNING: All code after a '"'"'continue'"'"' is unreachable.
BEGIN { $i = 0; while ($i < 2) { $i++; continue; @x = 1; } }
                                       ~~~~~~~~'
}

@test "warning: distinct pointer types, arithmetic on different signs" {
	warn_is 'BEGIN { $p = (int8 *)0; $q = (int16 *)0; @ = $p == $q; }' "stdin:1:46-54: WARNING: comparison of distinct pointer types ('int8, 'int16')
BEGIN { \$p = (int8 *)0; \$q = (int16 *)0; @ = \$p == \$q; }
                                             ~~~~~~~~"
	warn_is 'BEGIN { $a = (uint32)1; $b = (int32)-1; @ = $a + $b; }' "stdin:1:48-49: WARNING: arithmetic on integers of different signs: 'unsigned int32' and 'int32' can lead to undefined behavior
BEGIN { \$a = (uint32)1; \$b = (int32)-1; @ = \$a + \$b; }
                                               ~"
}

@test "warning: print() top/div on stats, debugf()" {
	warn_is 'BEGIN { @s = stats(1); print(@s, 2); }' "stdin:1:24-36: WARNING: print()'s top and div arguments are ignored when used on stats() maps.
BEGIN { @s = stats(1); print(@s, 2); }
                       ~~~~~~~~~~~~"
	warn_is 'BEGIN { debugf("x"); }' 'stdin:1:9-20: WARNING: The debugf() builtin is not recommended for production use. For more information see bpf_trace_printk in bpf-helpers(7).
BEGIN { debugf("x"); }
        ~~~~~~~~~~~'
}

@test "btf: enum constants of the kernel are integers" {
	chk 'BEGIN { @s = sizeof(BTF_VAR_STATIC); @v = BTF_VAR_STATIC; }'
	run -0 typed 'BEGIN { @v = BTF_VAR_STATIC; }'
	[[ "$output" == *'map: @v :: type[unsigned int64, ctx: 0]'* ]]
}

@test "programs: a block over several providers is one program per provider" {
	chk 'BEGIN, END, interval:s:1 { @[probe] = count(); }'
	run -0 irdump
	[ "$(echo "$output" | grep -c '"prog": ')" -eq 3 ]
}

@test "ir: every expression node has a type" {
	for prog in 'config = { max_strlen = 32; stack_mode = perf } BEGIN { @x[1, comm] = count(); $t = (1, "a"); printf("%d %s\n", $t.0, $t.1); @h = hist(pid); @s = kstack(); }' \
		'tracepoint:syscalls:sys_enter_openat /args.flags & 1/ { @[str(args.filename)] = sum(args.mode); $i = 0; while ($i < 3) { $i++; } unroll(2) { @u = nsecs(boot); } }' \
		'interval:ms:10 { @a = -(int8)1; @b = !pid; @c = pid ? 1 : 2; @d = sizeof(int32); @e = ~cpu; print(@a); time(); exit(); }'; do
		chk "$prog"
			run -0 irdump
		untyped=$(echo "$output" | grep -E '"k": "(int|string|stack_mode|identifier|builtin|param|paramcount|call|sizeof|offsetof|map|variable|binop|unop|ternary|field|index|cast|tuple)", "loc"' | grep -v '"type": ' || true)
		[ -z "$untyped" ] || { echo "$untyped"; false; }
	done
}

@test "programs: bpftrace's BPF program limit (BPFTRACE_MAX_BPF_PROGS)" {
	ensure_tracefs
	bt-parse -e 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); }' > "$TMP/in.ast"
	run -0 bt-check "$TMP/in.ast" -o /dev/null
	BPFTRACE_MAX_BPF_PROGS=10 run -1 bt-check "$TMP/in.ast"
	[ "$output" = 'ERROR: Your program is trying to generate more than 10 BPF programs, which exceeds the current limit of 10.
You can increase the limit through the BPFTRACE_MAX_BPF_PROGS environment variable.' ]
	# without `probe` a wildcard block is one program
	bt-parse -e 'tracepoint:syscalls:sys_enter_* { @ = count(); }' > "$TMP/in.ast"
	BPFTRACE_MAX_BPF_PROGS=10 run -0 bt-check "$TMP/in.ast" -o /dev/null
}

@test "scale: kprobe:* expands to tens of thousands of attach points" {
	# this kernel has no kprobes: the text symbols of kallsyms stand in
	# for available_filter_functions
	awk '$2 ~ /^[tT]$/ && $3 !~ /^__(pfx|cfi)_/ { print $3 ($4 ? " " $4 : "") }' /proc/kallsyms > "$TMP/aff"
	export BPFTRACE_AVAILABLE_FUNCTIONS_TEST="$TMP/aff"
	bt-parse -e 'kprobe:* { @ = count(); }' > "$TMP/in.ast"
	# the time is reported (make bench measures the stages), not asserted
	TIMEFORMAT='%3U %3S'
	t=$( { time bt-check --no-warnings -o "$TMP/out.ir" "$TMP/in.ast"; } 2>&1 )
	echo "# bt-check kprobe:* cpu: $t s" >&3
	n=$(bt-check --list 'kprobe:*' | wc -l)
	[ "$n" -gt 10000 ]
	[ -s "$TMP/out.ir" ]
}

@test "check: 3,000 probe blocks with a map each: every map and program in the ir, the blocks dumped as written" {
	python3 -c "
for i in range(3000):
    print('interval:ms:%d { @m%d[pid] = count(); }' % (i + 1, i))
print('BEGIN,interval:s:1 { @m7[pid] = count(); }')" > "$TMP/many.bt"
	export BPFTRACE_MAX_BPF_PROGS=4000
	bt-parse "$TMP/many.bt" > "$TMP/many.ast"
	run -0 bt-check -o "$TMP/many.ir" "$TMP/many.ast"
	bt-fmt --dump "$TMP/many.ir" > "$TMP/many.dump"
	grep -q '^    "maps": 3000 entries$' "$TMP/many.dump"
	grep -q '^    "probes": 3002 entries$' "$TMP/many.dump"
	[ "$(grep -c '"name": "@m' "$TMP/many.dump")" -eq 3000 ]
	bt-check --dump "$TMP/many.ast" | awk '/^AST after/ { on = /Semantic/ } on' > "$TMP/sem"
	[ "$(grep -c '^ interval:' "$TMP/sem")" -eq 3001 ]
	[ "$(tail -8 "$TMP/sem" | head -2)" = "$(printf ' BEGIN\n interval:s:1')" ]
}

@test "check: a program whose ir record would pass 256 MiB is refused in one line, as bt-codegen refuses it" {
	# an ast whose printf format is 130 MiB: the ir holds it twice (the
	# string node and the printf metadata)
	bt-parse -e 'BEGIN { printf("X"); }' > "$TMP/small.ast"
	python3 - "$TMP/small.ast" "$TMP/big.ast" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
old = b"\xa3str\xc4\x01X"
assert d.count(old) == 1
n = 130 << 20
open(sys.argv[2], "wb").write(d.replace(old, b"\xa3str\xc6" + struct.pack(">I", n) + b"x" * n))
PY
	rm "$TMP/small.ast"
	run --separate-stderr bt-check -o /dev/null "$TMP/big.ast"
	[ "$status" -eq 1 ]
	[ "$stderr" = "bt-check: ERROR: program too large: its ir stream holds a record of more than 256 MiB" ]
}
