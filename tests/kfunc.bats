#!/usr/bin/env bats
# kfunc.bats - kfunc/kretfunc compiled against the hand-made snapshot
# tests/fixtures/snapshot-kernel (a kernel with fentry and BTF): where
# retval and args are read from, what an object for several targets looks
# like.  This machine refuses fentry programs, so running them is
# tests/kernel/kfunc.bats' part (under stock kernels).

load helpers

FIX="$ROOT/tests/fixtures/snapshot-kernel"
MODFIX="$BATS_FILE_TMPDIR/snapshot-mod"

# The fixture plus a module BTF for its module ext4 (split BTF on top of
# the fixture's vmlinux, as /sys/kernel/btf/<module> is), made with
# libbpf: ext4_file_read_iter(struct kiocb *iocb, struct file *filp),
# struct kiocb defined only in the module, struct file declared (FWD) in
# vmlinux and defined in the module (tests/tools/mkmodbtf.c).
setup_file() {
	cp -r "$FIX" "$MODFIX"
	"$BT/tests/mkmodbtf" "$FIX/btf/vmlinux" "$MODFIX/btf/ext4"
}

# Compile PROG against the fixture (or the snapshot SNAP): ir, obj and ELF in $BATS_TEST_TMPDIR.
compile() {
	bt-parse -e "$1" | bt-check --sysroot "${2:-$FIX}" > "$BATS_TEST_TMPDIR/p.ir" &&
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

# ---- kernel module BTF ----

@test "module BTF: kfunc args of a module function, types defined only there" {
	compile 'kfunc:ext4_file_read_iter { @ = args.iocb->ki_ioprio; }' "$MODFIX"
	run ctx_loads
	[ "$output" = "0" ]
	# a type the module defines and vmlinux only declares
	compile 'kfunc:ext4:ext4_file_read_iter { @ = args.filp->f_flags; }' "$MODFIX"
	# casts and sizeof find module types too
	compile 'kfunc:ext4_file_read_iter { @ = ((struct kiocb *)args.filp)->ki_ioprio + sizeof(struct kiocb); }' "$MODFIX"
	# -lv lists the module function's parameters
	run bt-check --sysroot "$MODFIX" --list -v 'kfunc:ext4:ext4_file_read_iter'
	[ "$output" = "kfunc:ext4:ext4_file_read_iter
    struct kiocb * iocb
    struct file * filp
    int retval" ]
}

@test "module BTF: only the program's modules are searched, as v0.20" {
	# a kprobe does not bring in module BTF (v0.20 loads it for kfunc
	# modules and tracepoint categories only)
	run bash -c "bt-parse -e 'kprobe:vfs_read { @ = ((struct kiocb *)arg0)->ki_flags; }' | bt-check --sysroot '$MODFIX'"
	[ "$status" -ne 0 ]
	[[ "$output" == *'Cannot resolve unknown type "struct kiocb"'* ]]
}

# ---- what bt-load needs for skboutput() and refused helpers ----

@test "object metadata: skboutput files and offsets by call, first call of each helper" {
	compile 'kfunc:tcp_sendmsg { $r = skboutput("a.pcap", args.sk, 10, 14);
$s = skboutput("b.pcap", args.sk, 20, 0); }'
	run bt-fmt --dump "$BATS_TEST_TMPDIR/p.obj"
	[[ "$output" == *'"skboutputs": 2 entries
      [0] ["a.pcap", 14]
      [1] ["b.pcap", 0]'* ]]
	# bpf_skb_output (111): the first of its two calls
	[[ "$output" == *'[111, 1, 26, 1, 62]'* ]]
	[[ "$output" != *'[111, 2,'* ]]
}
