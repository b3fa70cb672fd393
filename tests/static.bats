#!/usr/bin/env bats
# static.bats - `make static`: bt-load and bt-fmt with every library linked
# in, the runtime copied to machines that have none of our packages (the
# image of bt-fleet, Containerfile.runtime).  They must run from a root
# that holds nothing but themselves, the object and /sys.

load helpers

setup_file() {
	# the normal build's objects (never the sanitizer build's: ASan cannot
	# link statically)
	make -C "$ROOT" -s static >/dev/null 2>&1
}

@test "make static: bt-load and bt-fmt are static executables" {
	for t in bt-load bt-fmt; do
		[ -x "$ROOT/build/static/$t" ]
		run ldd "$ROOT/build/static/$t"
		[[ "$output" == *"not a dynamic executable"* ]]
	done
}

@test "make static: the runtime alone in an empty root runs an object, output as from the dynamic tools" {
	require_root
	# (all from build/, the build the static runtime is linked from)
	local r="$BATS_TEST_TMPDIR/root"
	mkdir -p "$r"
	cp "$ROOT/build/static/bt-load" "$ROOT/build/static/bt-fmt" "$r/"
	"$ROOT/build/bt-parse" -e 'BEGIN { @[1] = count(); @h = hist(1000); printf("hello %d\n", 6 * 7); exit(); }' |
		"$ROOT/build/bt-check" | "$ROOT/build/bt-codegen" > "$r/p.obj"
	# without /sys the per-CPU slots cannot be counted: refused, never a guess
	run bash -c "chroot '$r' /bt-load /p.obj > '$r/p.out'"
	[ "$status" -eq 255 ]
	[ "$output" = "ERROR: cannot read the number of possible CPUs (/sys/devices/system/cpu/possible): is /sys mounted?" ]
	# with the host's /sys, as bt-fleet's pods have it
	mkdir "$r/sys"
	run unshare --mount --propagation private bash -c \
		"mount --rbind /sys '$r/sys' && chroot '$r' /bt-load /p.obj > '$r/p.out'"
	[ "$status" -eq 0 ]
	run chroot "$r" /bt-fmt /p.out
	[ "$status" -eq 0 ]
	local alone="$output"
	run bash -c "'$ROOT/build/bt-load' '$r/p.obj' | '$ROOT/build/bt-fmt'"
	[ "$status" -eq 0 ]
	diff <(echo "$alone") <(echo "$output")
	[[ "$alone" == *"hello 42"* ]]
	[[ "$alone" == *"[512, 1K)"* ]]
}
