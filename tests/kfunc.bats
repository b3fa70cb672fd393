#!/usr/bin/env bats
# kfunc.bats - kfunc/kretfunc compiled against the hand-made snapshot
# tests/fixtures/snapshot-kernel (a kernel with fentry and BTF): where
# retval and args are read from, what an object for several targets looks
# like.  This machine refuses fentry programs, so running them is
# tests/kernel/kfunc.bats' part (under stock kernels).

load helpers

FIX="$ROOT/tests/fixtures/snapshot-kernel"

# Compile PROG against the fixture: ir, obj and ELF in $BATS_TEST_TMPDIR.
compile() {
	bt-parse -e "$1" | bt-check --sysroot "$FIX" > "$BATS_TEST_TMPDIR/p.ir" &&
		bt-codegen --emit-elf "$BATS_TEST_TMPDIR/p.o" "$BATS_TEST_TMPDIR/p.ir" > "$BATS_TEST_TMPDIR/p.obj"
}

# Context loads of the program: the offsets of `rX = *(uNN *)(r1 + N)`
# before r1 is reused, one per line.
ctx_loads() {
	local off
	for off in $(llvm-objdump-16 -d "$BATS_TEST_TMPDIR/p.o" |
		sed -n 's/.*= \*(u[0-9]* \*)(r1 + \(0x[0-9a-f]*\))$/\1/p'); do
		echo $((off))
	done
}

@test "kretfunc: retval is read from the slot after the arguments" {
	# vfs_read has four u64 arguments: the return value is at byte 32
	compile 'kretfunc:vfs_read { @ = retval; }'
	run ctx_loads
	[ "$output" = "32" ]
	compile 'kretfunc:tcp_sendmsg { @ = retval; }'
	run ctx_loads
	[ "$output" = "24" ]
}

@test "kfunc: the args record ends with the arguments; retval is kretfunc's only" {
	# storing args copies the argument slots 0..24, never slot 32 (an
	# fentry program may not read past the arguments)
	compile 'kfunc:vfs_read { @ = args; }'
	run ctx_loads
	[ "$output" = "0
8
16
24" ]
	run bt-fmt --dump "$BATS_TEST_TMPDIR/p.ir"
	[[ "$output" == *'"name": "struct kfunc:vmlinux:vfs_read_args"'* ]]
	[[ "$output" != *'retval'* ]]
	run bash -c "bt-parse -e 'kfunc:vfs_read { @ = retval; }' | bt-check --sysroot '$FIX'"
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = "stdin:1:22-28: ERROR: Can't find a field \$retval" ]
	# kretfunc args carry it, under a name no field access can spell
	compile 'kretfunc:vfs_read { @ = args; }'
	run ctx_loads
	[ "$output" = "0
8
16
24
32" ]
	run bash -c "bt-parse -e 'kretfunc:vfs_read { @ = args.retval; }' | bt-check --sysroot '$FIX'"
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = "stdin:1:25-30: ERROR: Can't find function parameter retval" ]
}

@test "kfunc on several functions: one program, an attach point (and cookie) per function" {
	# bt-load loads the program once per function (the kernel binds an
	# fentry program to one), so the object keeps one copy of the code
	compile 'kfunc:vfs_read, kfunc:vfs_readv { @[probe, func] = count(); }'
	run llvm-objdump-16 -h "$BATS_TEST_TMPDIR/p.o"
	[ "$(grep -c ' fentry/' <<< "$output")" -eq 1 ]
	[[ "$output" == *" fentry/vfs_read "* ]]
	run bt-fmt --dump "$BATS_TEST_TMPDIR/p.obj"
	[[ "$output" == *'"name": "kfunc:vmlinux:vfs_read", "cookie": 0'* ]]
	[[ "$output" == *'"name": "kfunc:vmlinux:vfs_readv", "cookie": 1'* ]]
	# the probe builtin reads the link's cookie: bpf_get_attach_cookie (174)
	run llvm-objdump-16 -d "$BATS_TEST_TMPDIR/p.o"
	[[ "$output" == *"call 0xae"* ]]
}
