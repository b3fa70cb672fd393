# helpers.bash - shared setup for the bats suites (load with `load helpers`).
ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")/.." && pwd)"
# make check-asan runs the suite on tools built with sanitizers elsewhere:
# BT_BUILD names that build, BT_SAN_FLAGS the flags that helpers compiled
# here against its libcommon.a need too.
BT="${BT_BUILD:-$ROOT/build}"
# the test programs are not sanitized: one build of them, in build/
TP="$ROOT/build/testprogs"
SAN_FLAGS="${BT_SAN_FLAGS:-}"
export PATH="$BT:$PATH"

# Skip unless running as root with BPF available.
require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# Mount tracefs if it is not there yet.
ensure_tracefs() {
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
}

# Wait (up to 15 s) until FILE, the stderr of a run started with
# __BPFTRACE_NOTIFY_PROBES_ATTACHED=1, says its probes are attached (bt-load
# writes it after attaching; "Attaching N probes..." comes before); fails
# sooner if PID, when given, ends first.
wait_attached() {
	local i
	for i in $(seq 150); do
		grep -q '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$' "$1" 2>/dev/null && return 0
		[ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Count BPF programs currently loaded (for leak checks).
bpf_prog_count() {
	bpftool prog list 2>/dev/null | grep -c '^[0-9]*:' || true
}

# Standard input without bpftrace's warning about missing kernel headers,
# which bt-check prints for programs with C definitions on machines that
# have none under /lib/modules (as bpftrace does).
drop_kheaders_warning() {
	grep -v '^WARNING: Could not find kernel headers in ' || true
}

# The test programs are part of `make all`: one missing is a build failure.
fail_missing_testprogs() {
	echo "the test programs are not built in $TP (make testprogs)" >&2
	return 1
}

# Mutations of mkir's streams (tests/codegen/irmut.c): bt-codegen, given
# ARGS, compiles each or refuses it with one "bt-codegen: ERROR:" line,
# never a crash; more than 100 mutants must have run.
codegen_survives_mutations() {
	local n=0 c seed
	for c in printf maps strings tuples bigprintf; do
		"$BT/tests/mkir" "$c" > "$BATS_TEST_TMPDIR/$c.ir"
		for seed in $(seq 1 25); do
			"$BT/tests/irmut" "$seed" 3 < "$BATS_TEST_TMPDIR/$c.ir" > "$BATS_TEST_TMPDIR/m.ir" || continue
			run bt-codegen "$@" "$BATS_TEST_TMPDIR/m.ir"
			[ "$status" -le 1 ]
			if [ "$status" -eq 1 ]; then
				[ "${#lines[@]}" -eq 1 ]
				[[ "${lines[0]}" == "bt-codegen: ERROR: "* ]]
			fi
			n=$((n + 1))
		done
	done
	[ "$n" -gt 100 ]
}
