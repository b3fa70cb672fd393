#!/usr/bin/env bats
# bt-cache: bt-codegen's results kept and reused (the driver's object
# cache).  A second run of a program takes its object from the cache
# without running bt-codegen; an entry that is corrupt, not ours or
# writable by others, or a directory others could write, is not used;
# BPFTRACE_CACHE_OBJECTS=0 and the debugging options bypass it.
load helpers
bats_require_minimum_version 1.5.0

PROG='BEGIN { printf("hello %d\n", 42); exit(); }'

setup() {
	C="$BATS_TEST_TMPDIR/cache"
	export BPFTRACE_CACHE_DIR="$C"
	LOG="$BATS_TEST_TMPDIR/ran"
	# the fake compiler's input (a text: it copies it to its output)
	IR="$BATS_TEST_TMPDIR/input"
	echo "program one" > "$IR"
}

# bt-cache in front of a compiler that logs each run, writes a message on
# stderr and copies its input (keyed by bt-codegen's build id).
fake() {
	"$BT/bt-cache" -v --codegen "$BT/bt-codegen" "$@" -- \
		sh -c 'echo ran >> "$0"; echo "WARNING: from the compiler" >&2; cat' "$LOG"
}

runs() { # how many times the compiler ran
	[ -f "$LOG" ] && wc -l < "$LOG" || echo 0
}

entry() { # the one entry's path
	local e=("$C"/*)
	[ ${#e[@]} = 1 ] && [ -f "${e[0]}" ] || { ls -la "$C" >&2; return 1; }
	echo "${e[0]}"
}

# What makes caching right: bt-codegen's output is a function of its input
# alone, whatever the directory, time zone, locale, environment or user.
@test "bt-codegen: the same ir gives the same bytes in any directory, environment or user" {
	local n=0 f
	for f in "$ROOT"/tests/fixtures/guide_programs/*; do
		"$BT/bt-parse" "$f" 2>/dev/null | "$BT/bt-check" > "$BATS_TEST_TMPDIR/g.ir" 2>/dev/null ||
			continue
		"$BT/bt-codegen" < "$BATS_TEST_TMPDIR/g.ir" > "$BATS_TEST_TMPDIR/a" 2> "$BATS_TEST_TMPDIR/ae" ||
			continue
		(cd / && env -i PATH=/usr/bin TZ=Asia/Tokyo LC_ALL=C.UTF-8 HOME=/nonexistent \
			"$BT/bt-codegen" < "$BATS_TEST_TMPDIR/g.ir" > "$BATS_TEST_TMPDIR/b" 2> "$BATS_TEST_TMPDIR/be")
		cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
		cmp "$BATS_TEST_TMPDIR/ae" "$BATS_TEST_TMPDIR/be"
		# (as nobody too, where nobody may run the build's tools)
		if [ "$(id -u)" = 0 ] && "$BT/bt-drop" --nobody -- test -x "$BT/bt-codegen"; then
			"$BT/bt-drop" --nobody -- "$BT/bt-codegen" < "$BATS_TEST_TMPDIR/g.ir" > "$BATS_TEST_TMPDIR/c"
			cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/c"
		fi
		n=$((n + 1))
		[ $n -lt 25 ] || break
	done
	[ $n -ge 20 ]
}

@test "bt-cache: the second run of the same input comes from the cache, with its messages" {
	run -0 --separate-stderr fake < "$IR"
	[ "$output" = "program one" ]
	[[ $stderr == *"WARNING: from the compiler"* ]]
	[[ $stderr == *"object cache: stored"* ]]
	[ "$(runs)" = 1 ]
	run -0 --separate-stderr fake < "$IR"
	[ "$output" = "program one" ]
	[[ $stderr == *"WARNING: from the compiler"* ]]
	[[ $stderr == *"object cache: hit"* ]]
	[ "$(runs)" = 1 ]
	# the directory and its entry are the user's alone
	[ "$(stat -c %a "$C")" = 700 ]
	[ "$(stat -c %a "$(entry)")" = 600 ]
}

@test "bt-cache: a different input, command or compiler build is another entry" {
	fake < "$IR" > /dev/null 2>&1
	echo other | fake > /dev/null 2>&1
	[ "$(runs)" = 2 ]
	"$BT/bt-cache" --codegen "$BT/bt-codegen" -- sh -c 'echo ran >> "$0"; cat' "$LOG" \
		< "$IR" > /dev/null
	[ "$(runs)" = 3 ]
	# a compiler without a build id is never cached
	printf '#!/bin/sh\n' > "$BATS_TEST_TMPDIR/noid"
	for i in 1 2; do
		"$BT/bt-cache" -v --codegen "$BATS_TEST_TMPDIR/noid" -- \
			sh -c 'echo ran >> "$0"; cat' "$LOG" < "$IR" > /dev/null 2>"$BATS_TEST_TMPDIR/err"
	done
	[ "$(runs)" = 5 ]
	grep -q 'no build id' "$BATS_TEST_TMPDIR/err"
}

@test "bt-cache: what runs bt-codegen is not part of the key, its arguments are" {
	"$BT/bt-parse" -e "$PROG" | "$BT/bt-check" > "$BATS_TEST_TMPDIR/p.ir"
	logged() { # COMMAND...: run it, logging the run
		"$BT/bt-cache" --codegen "$BT/bt-codegen" -- \
			sh -c 'echo ran >> "$0"; shift; exec "$@"' "$LOG" sh "$@" \
			< "$BATS_TEST_TMPDIR/p.ir"
	}
	logged "$BT/bt-codegen" > "$BATS_TEST_TMPDIR/o1"
	[ "$(runs)" = 1 ]
	# the same compiler and arguments, reached another way: the same entry
	logged env "$BT/bt-codegen" > "$BATS_TEST_TMPDIR/o2"
	"$BT/bt-cache" --codegen "$BT/bt-codegen" -- "$BT/bt-codegen" \
		< "$BATS_TEST_TMPDIR/p.ir" > "$BATS_TEST_TMPDIR/o3"
	[ "$(runs)" = 1 ]
	cmp "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o2"
	cmp "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o3"
	# other arguments: another entry
	logged "$BT/bt-codegen" - > "$BATS_TEST_TMPDIR/o4"
	[ "$(runs)" = 2 ]
	cmp "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o4"
}

@test "bt-cache: a failing compile is not kept; its status and messages pass through" {
	run -3 --separate-stderr "$BT/bt-cache" --codegen "$BT/bt-codegen" -- \
		sh -c 'echo "bt-codegen: ERROR: no" >&2; exit 3' < "$IR"
	[ "$stderr" = "bt-codegen: ERROR: no" ]
	[ -z "$(ls -A "$C")" ]
	run -127 --separate-stderr "$BT/bt-cache" --codegen "$BT/bt-codegen" -- \
		"$BATS_TEST_TMPDIR/missing" < "$IR"
	[[ $stderr == *"cannot run"* ]]
}

@test "bt-cache: a corrupt or truncated entry is not used, and is replaced" {
	fake < "$IR" > /dev/null 2>&1
	E=$(entry)
	# one byte of the kept output changed
	size=$(stat -c %s "$E")
	printf 'X' | dd of="$E" bs=1 seek=$((size - 2)) conv=notrunc status=none
	run -0 --separate-stderr fake < "$IR"
	[ "$output" = "program one" ]
	[[ $stderr == *"entry not used"*"corrupt"* ]]
	[ "$(runs)" = 2 ]
	run -0 --separate-stderr fake < "$IR"
	[[ $stderr == *"hit"* ]]
	[ "$(runs)" = 2 ]
	truncate -s 20 "$E"
	run -0 --separate-stderr fake < "$IR"
	[ "$output" = "program one" ]
	[[ $stderr == *"entry not used"* ]]
	[ "$(runs)" = 3 ]
}

@test "bt-cache: an entry under another key's name is not used" {
	fake < "$IR" > /dev/null 2>&1
	A=$(entry)
	echo other | fake > /dev/null 2>&1
	B=$(ls "$C"/* | grep -v "$A")
	cp "$A" "$B"
	run -0 --separate-stderr fake <<<other
	[ "$output" = other ]
	[[ $stderr == *"entry of another key"* ]]
}

@test "bt-cache: an entry of another user, or writable by others, or a symlink, is not used" {
	require_root
	fake < "$IR" > /dev/null 2>&1
	E=$(entry)
	chown 65534 "$E"
	run -0 --separate-stderr fake < "$IR"
	[[ $stderr == *"not owned by the user"* ]]
	[ "$(runs)" = 2 ]
	chmod 666 "$E"
	run -0 --separate-stderr fake < "$IR"
	[[ $stderr == *"writable by others"* ]]
	[ "$(runs)" = 3 ]
	# an entry planted as a symlink to a good one
	mv "$E" "$C/good"
	ln -s good "$E"
	run -0 --separate-stderr fake < "$IR"
	[[ $stderr == *"entry not used"* ]]
	[ "$(runs)" = 4 ]
}

@test "bt-cache: a directory of another user, writable by others or a symlink is not used (a warning)" {
	require_root
	mkdir -m 700 "$C"
	chown 65534 "$C"
	run -0 --separate-stderr fake < "$IR"
	[[ $stderr == *"WARNING: object cache not used: $C: not owned by the user"* ]]
	[ "$(runs)" = 1 ]
	[ -z "$(ls -A "$C")" ]
	chown 0 "$C"
	chmod 777 "$C"
	run -0 --separate-stderr fake < "$IR"
	[[ $stderr == *"WARNING: object cache not used: $C: writable by others"* ]]
	[ -z "$(ls -A "$C")" ]
	mv "$C" "$C.real"
	chmod 700 "$C.real"
	ln -s "$C.real" "$C"
	run -0 --separate-stderr fake < "$IR"
	[[ $stderr == *"WARNING: object cache not used: $C: a symbolic link"* ]]
	[ -z "$(ls -A "$C.real")" ]
	[ "$(runs)" = 3 ]
}

@test "bt-cache: the directory is kept under its size, the least recently used go first" {
	fake --max-size 300 <<<aaaa > /dev/null 2>&1
	A=$(entry)
	size=$(stat -c %s "$A")
	max=$((size * 2 + size / 2))
	fake --max-size $max <<<bbbb > /dev/null 2>&1
	touch -d '1 hour ago' "$A"
	# using bbbb's entry keeps it; aaaa's is the oldest when cccc comes
	fake --max-size $max <<<bbbb > /dev/null 2>&1
	fake --max-size $max <<<cccc > /dev/null 2>&1
	[ "$(ls "$C" | wc -l)" = 2 ]
	[ ! -e "$A" ]
	[ "$(runs)" = 3 ]
	# larger than the whole cache: not kept
	run -0 --separate-stderr fake --max-size 10 <<<dddd
	[[ $stderr == *"not stored"*"larger than the cache"* ]]
}

# ---- the driver ------------------------------------------------------------

@test "bpftrace: a repeated program takes its object from the cache (-vv says so)" {
	run --separate-stderr "$BT/bpftrace" -vv -e "$PROG"
	[ "$status" = 0 ] || { echo "status $status: $stderr"; false; }
	[[ $output == *"hello 42"* ]]
	[[ $stderr == *"object cache: stored"* ]]
	run -0 --separate-stderr "$BT/bpftrace" -vv -e "$PROG"
	[[ $output == *"hello 42"* ]]
	[[ $stderr == *"object cache: hit"* ]]
	[ "$(ls "$C" | wc -l)" = 1 ]
	# -v's messages are bpftrace's
	run -0 --separate-stderr "$BT/bpftrace" -v -e "$PROG"
	[[ $output == *"hello 42"* ]]
	[[ $stderr != *cache* ]]
}

@test "bpftrace: BPFTRACE_CACHE_OBJECTS=0 disables the cache, other values are refused" {
	BPFTRACE_CACHE_OBJECTS=0 run -0 --separate-stderr "$BT/bpftrace" -vv -e "$PROG"
	[[ $output == *"hello 42"* ]]
	[[ $stderr != *"object cache"* ]]
	[ ! -e "$C" ]
	BPFTRACE_CACHE_OBJECTS=yes run -1 --separate-stderr "$BT/bpftrace" -e "$PROG"
	[ "$stderr" = "ERROR: Env var 'BPFTRACE_CACHE_OBJECTS' did not contain a valid value (0 or 1)." ]
}

@test "bpftrace: -d and --emit-elf still run bt-codegen on a cached program" {
	"$BT/bpftrace" -e "$PROG" > /dev/null
	[ "$(ls "$C" | wc -l)" = 1 ]
	run -0 "$BT/bpftrace" -d -e "$PROG"
	[[ $output == *"define"* ]]
	run -0 "$BT/bpftrace" --emit-elf "$BATS_TEST_TMPDIR/p.elf" -e "$PROG"
	[ -s "$BATS_TEST_TMPDIR/p.elf" ]
	[ "$(ls "$C" | wc -l)" = 1 ]
}
