#!/usr/bin/env bats
# faults.bats - runs that must end cleanly whatever happens around them:
# signals and SIGKILL at any moment, a full disk, a killed or vanished
# reader, inherited descriptors, garbage input, a bad -c command.  Each
# test reproduces a fault that once hung, leaked or lied (issue 18).
load helpers
bats_require_minimum_version 1.5.0

DRV="$BT/bpftrace"

setup() {
	require_root
	W=$(mktemp -d /tmp/bt-faults.XXXXXX)
}

teardown() {
	rm -rf "$W"
}

# wait_gone PID...: every one has exited (or is a zombie), within 5 s
wait_gone() {
	local p i left
	for i in $(seq 50); do
		left=
		for p; do
			st=$(ps -o stat= -p "$p" 2>/dev/null) || continue
			[[ $st == Z* ]] || left="$left $p"
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "still running:$left"
	return 1
}

@test "a reader inherited from the shell (> >(cat)) does not hang the run" {
	run timeout 30 bash -c "'$DRV' -e 'BEGIN { printf(\"hi\n\"); exit(); }' > >(cat); echo done"
	[ "$status" -eq 0 ]
	# (bash does not wait for the > >(cat): "done" may come first)
	[[ $output == *hi* && $output == *done* ]]
}

@test "the -c command dies with bt-load, even when bt-load is SIGKILLed" {
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "$DRV" -e 'interval:s:100 { exit(); }' \
		-c "sleep 300" > "$W/out" 2> "$W/err" 3>&- &
	local pid=$! child i
	for i in $(seq 100); do
		grep -q __BPFTRACE_NOTIFY_PROBES_ATTACHED "$W/err" && break
		sleep 0.1
	done
	child=$(pgrep -P "$pid" -x sleep)
	[ -n "$child" ]
	kill -KILL "$pid"
	wait_gone "$child"
}

@test "SIGINT or SIGTERM during the compile stops everything at once; SIGKILL leaves no stage or file" {
	# a compile of some seconds: 2,000 probe blocks, each its own shape
	# (distinct string literals: bt-codegen cannot share their code)
	local sig pid stages i st
	for i in $(seq 2000); do echo "interval:s:$i { @[$i, \"s$i\"] = count(); }"; done > "$W/big.bt"
	for sig in INT TERM KILL; do
		# (a background job inherits SIGINT ignored: give it back)
		# (bt-codegen runs under bt-cache, whose cache is empty)
		BPFTRACE_MAX_PROBES=5000 BPFTRACE_MAX_BPF_PROGS=5000 BPFTRACE_CACHE_DIR="$W/cache" \
			env --default-signal=INT "$DRV" "$W/big.bt" \
			> "$W/out" 2> "$W/err" 3>&- &
		pid=$!
		stages=
		for i in $(seq 100); do
			cache=$(pgrep -P "$pid" -x bt-cache || true)
			[ -n "$cache" ] && stages=$(pgrep -P "$cache" -x bt-codegen || true)
			[ -n "$stages" ] && break
			sleep 0.05
		done
		[ -n "$stages" ]
		stages="$stages $cache $(pgrep -P "$pid" -x bt-check || true) $(pgrep -P "$pid" -x bt-parse || true)"
		kill -"$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		[ "$st" -ne 0 ]
		wait_gone $pid $stages
		! ls /dev/shm/bpftrace."$pid".* /tmp/bpftrace."$pid".* 2>/dev/null
		! grep -q 'Attaching' "$W/out"
	done
}

@test "garbage input gives a bounded error, not one per byte" {
	head -c 100000 /dev/zero | tr '\0' '\1' > "$W/x01.bt"
	run --separate-stderr "$DRV" "$W/x01.bt"
	[ "$status" -eq 1 ]
	[[ $stderr == *"invalid character"* ]]
	[ "${#stderr}" -lt 1000000 ]
	# many errors: the first 50, then a count
	for i in $(seq 200); do echo "BEGIN { @x = \$y$i; }"; done > "$W/many.bt"
	run --separate-stderr "$DRV" "$W/many.bt"
	[ "$status" -eq 1 ]
	[[ $stderr == *"ERROR: 149 more diagnostics not shown" ]]
	[ "$(grep -c 'ERROR: More than one BEGIN probe defined' <<<"$stderr")" -eq 50 ]
}

@test "-o FILE on a full file system: the error when it happens, exit non-zero" {
	command -v unshare >/dev/null || skip "needs unshare"
	run timeout 60 unshare --mount --propagation private bash -c '
		mount -t tmpfs -o size=64k tmpfs "$1" || exit 99
		"$2" -o "$1/out" -e "profile:hz:997 { printf(\"%s\n\", \"0123456789012345678901234567890123456789\"); }"
		echo "rc=$?"' _ "$W" "$DRV"
	echo "$output"
	[[ $output == *"bt-fmt: ERROR: writing output: No space left on device"* ]]
	[[ $output == *rc=[1-9]* ]]
}

@test "a killed bt-fmt ends the run with an error and a non-zero status" {
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "$DRV" -e 'profile:hz:99 { @ = count(); }' \
		> "$W/out" 2> "$W/err" 3>&- &
	local pid=$! fmt i
	for i in $(seq 100); do
		grep -q __BPFTRACE_NOTIFY_PROBES_ATTACHED "$W/err" && break
		sleep 0.1
	done
	fmt=$(pgrep -P "$pid" -x bt-fmt)
	[ -n "$fmt" ]
	kill -KILL "$fmt"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -ne 0 ]
	grep -q "ERROR: the output formatter (bt-fmt) was killed by signal 9" "$W/err"
}

@test "| head: bpftrace dies of SIGPIPE (141) like bpftrace, after cleaning up" {
	run bash -c "'$DRV' -e 'profile:hz:99 { printf(\"x\n\"); }' | head -2; echo \"rc=\${PIPESTATUS[0]}\""
	[ "${lines[0]}" = "Attaching 1 probe..." ]
	[ "${lines[1]}" = "x" ]
	[ "${lines[2]}" = "rc=141" ]
}

@test "printf and system formats of 8,191 bytes and more" {
	local s
	s=$(head -c 9000 /dev/zero | tr '\0' a)
	run "$DRV" -e "BEGIN { printf(\"$s\\n\"); exit(); }"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "$s" ]
	run "$DRV" --unsafe -e "BEGIN { system(\"echo $s\"); exit(); }"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "$s" ]
}

@test "only the first failing stage speaks (too many probes, -c with too many arguments)" {
	run --separate-stderr env BPFTRACE_MAX_PROBES=1 "$DRV" -e 'BEGIN {} interval:s:1 { exit(); }'
	[ "$status" -eq 1 ]
	[[ $stderr != *bt-fmt* ]]
	[[ $stderr == "ERROR: Can't attach to 2 probes because it exceeds the current limit of 1 probes."* ]]
	run --separate-stderr "$DRV" -e 'interval:ms:500 { exit(); }' -c "true $(seq 300 | tr '\n' ' ')"
	[ "$status" -eq 255 ]
	[ "$stderr" = "ERROR: Failed to fork child: Too many arguments for command (301 > 255)" ]
	[ "$output" = "" ]
}

@test "-c with a command that does not exist or is not executable: nothing attached, exit 255" {
	local c
	for c in nonexistentcmd /etc/passwd; do
		run --separate-stderr "$DRV" -e 'interval:ms:500 { exit(); }' -c "$c"
		[ "$status" -eq 255 ]
		[ "$stderr" = "ERROR: Failed to fork child: path '$c' does not exist or is not executable" ]
		[ "$output" = "" ]
	done
}

@test "system() commands get /dev/null as stdin" {
	run "$DRV" --unsafe -e 'BEGIN { system("readlink /proc/self/fd/0"); exit(); }'
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "/dev/null" ]
}

@test "a long cat() format spec cannot overflow bt-load's buffer" {
	local z
	z=$(printf '%059d' 0)
	run "$DRV" --unsafe -e "BEGIN { cat(\"/tmp/%${z}1p\", 1); exit(); }"
	[ "$status" -eq 0 ]
	[[ $output == *"failed to open file '/tmp/%${z}1p'"* ]]
}
