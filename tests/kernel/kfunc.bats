#!/usr/bin/env bats
# kfunc.bats - kfunc/kretfunc (fentry/fexit) probes, module BTF, path() and
# skboutput() under a stock kernel.  Expectations are bpftrace v0.20's.

load helpers

setup() {
	[ -r /sys/kernel/btf/vmlinux ] || skip "this kernel has no BTF"
	[ "$(kernel_config CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)" = y ] ||
		skip "this kernel has no fentry/fexit (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"
}

# BPF programs of type tracing loaded right now.
tracing_progs() {
	bpftool prog show 2>/dev/null | grep -c ': tracing ' || true
}

# ---- retval ----

@test "kretfunc: retval is the return value, read after the arguments" {
	# __sys_bpf(int cmd, bpfptr_t uattr (16 bytes), unsigned int size):
	# the return value is in the fifth u64 slot; the probe fires on E2BIG
	run bpftrace -e 'kretfunc:__sys_bpf /args.cmd == 1111/ {
		printf("cmd %d size %d ret %d\n", args.cmd, args.size, (int64)retval); exit(); }' \
		-c "$TP/kfunc_args 1111 2222"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cmd 1111 size 2222 ret -7"* ]]
}

@test "kretfunc: retval of vfs_read tells data from end of file" {
	# cat reads the file's bytes (> 0) then hits its end (0)
	run bpftrace -e 'kretfunc:vfs_read /pid == cpid/ { @[retval > 0] = count(); }' \
		-c 'cat /etc/hostname'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"@[0]: "* ]]
	[[ "$output" == *"@[1]: "* ]]
}

@test "kfunc: retval is refused where there is none, as v0.20" {
	run bpftrace -e 'kfunc:vfs_read { @ = retval; }'
	[ "$status" -ne 0 ]
	[[ "$output" == *"ERROR: Can't find a field \$retval"* ]]
}

# ---- one block, several targets ----

@test "kfunc: one block on two functions fires on both, probe and func per target" {
	run bpftrace -e 'kfunc:vfs_read, kfunc:vfs_open /pid == cpid/ { @[probe, func] = count(); }' \
		-c 'cat /etc/hostname'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Attaching 2 probes..."* ]]
	[[ "$output" == *"@[kfunc:vmlinux:vfs_open, vfs_open]: "* ]]
	[[ "$output" == *"@[kfunc:vmlinux:vfs_read, vfs_read]: "* ]]
}

@test "kretfunc: a wildcard attaches every match and leaves no program behind" {
	local before
	before=$(tracing_progs)
	run bpftrace -e 'kretfunc:vfs_read* /pid == cpid/ { @[probe] = count(); }' -c 'cat /etc/hostname'
	echo "$output"
	[ "$status" -eq 0 ]
	local n
	n=$(bpftrace -l 'kretfunc:vmlinux:vfs_read*' | wc -l)
	[ "$n" -ge 2 ]
	[[ "$output" == *"Attaching $n probes..."* ]]
	[[ "$output" == *"@[kretfunc:vmlinux:vfs_read]: "* ]]
	[[ "$output" != *ERROR* ]]
	[ "$(tracing_progs)" -eq "$before" ]
}

@test "kfunc: blocks sharing targets each run (v0.20's multiple-attach-point case)" {
	run bpftrace -e 'BEGIN { @a = 2; @b = 1; @c = 1 } i:s:1 { exit() }
		kfunc:vfs_read, kfunc:vfs_open /@a != 0/ { @a -= 1 }
		kfunc:vfs_read /@b == 1/ { @b = 0 }
		kfunc:vfs_open /@c == 1/ { @c = 0 }' -c "$TP/syscall open"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"@a: 0
@b: 0
@c: 0"* ]]
}

# ---- args as a value ----

@test "kfunc: args stored in a map, printed, and as a map key" {
	run bpftrace -e 'kfunc:vfs_open /pid == cpid/ { @ = args; exit(); }' -c "$TP/syscall open"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "@: { .path = 0x"[0-9a-f]+", .file = 0x"[0-9a-f]+" }" ]]
	run bpftrace -e 'kfunc:vfs_open /pid == cpid/ { print(args); exit(); }' -c "$TP/syscall open"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "{ .path = 0x"[0-9a-f]+", .file = 0x"[0-9a-f]+" }" ]]
	run bpftrace -e 'kfunc:vfs_open /pid == cpid/ { @[args] = 1; exit(); }' -c "$TP/syscall open"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "@[{.path=0x"[0-9a-f]+",.file=0x"[0-9a-f]+"}]: 1" ]]
}

@test "kretfunc: args printed with the return value" {
	run bpftrace -e 'kretfunc:vfs_read /pid == cpid/ { print(args); exit(); }' -c 'cat /etc/hostname'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "{ .file = 0x"[0-9a-f]+", .buf = 0x"[0-9a-f]+", .count = "[0-9]+", .pos = 0x"[0-9a-f]+", .\$retval = "[0-9]+" }" ]]
}

# ---- kernel module BTF ----

# Load module $1 (skip when this kernel cannot).
need_module() {
	modprobe "$1" 2>/dev/null
	lsmod | grep -q "^$1 " || skip "module $1 cannot be loaded here"
}

@test "module BTF: kfunc args of a module function use the module's types" {
	need_module nf_tables
	command -v nft >/dev/null || skip "no nft command (apt-get install nftables)"
	run bpftrace -e 'kfunc:nft_trans_alloc_gfp { printf("portid: %d\n", args.ctx->portid); exit(); }' \
		-c 'nft add table bt_kfunc_test'
	nft delete table bt_kfunc_test 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "portid: "[0-9]+ ]]
}

@test "module BTF: one block on a vmlinux and a module function attaches both" {
	need_module nf_tables
	command -v nft >/dev/null || skip "no nft command (apt-get install nftables)"
	# the second function's program is loaded against the module's BTF
	run bpftrace -e 'kfunc:vfs_read, kfunc:nf_tables:nft_trans_alloc_gfp /pid == cpid/ { @[probe] = count(); }' \
		-c 'nft add table bt_kfunc_test'
	nft delete table bt_kfunc_test 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Attaching 2 probes..."* ]]
	[[ "$output" == *"@[kfunc:nf_tables:nft_trans_alloc_gfp]: "* ]]
	[[ "$output" == *"@[kfunc:vmlinux:vfs_read]: "* ]]
}

@test "module BTF: casts to a module's struct, and sizeof" {
	need_module nf_tables
	command -v nft >/dev/null || skip "no nft command (apt-get install nftables)"
	run bpftrace -e 'kfunc:nf_tables:nft_trans_alloc_gfp { $c = (struct nft_ctx *)args.ctx;
		printf("family %d size %d\n", $c->family, sizeof(struct nft_ctx)); exit(); }' \
		-c 'nft add table bt_kfunc_test'
	nft delete table bt_kfunc_test 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	# nft's default table family is ip (NFPROTO_IPV4 = 2)
	[[ "$output" =~ "family 2 size "[1-9][0-9]* ]]
}

@test "module BTF: a struct only declared in vmlinux is taken from the module" {
	# struct x86_emulate_ctxt is a forward declaration in vmlinux's BTF
	need_module kvm
	run bpftrace -e 'kfunc:kvm:x86_emulate_insn { printf("%d\n", args.ctxt->mode); exit(); }
		interval:ms:100 { exit(); }'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Attaching 2 probes..."* ]]
}

@test "-lv: kfunc parameters, of vmlinux and of a module function" {
	need_module nf_tables
	run bpftrace -lv 'kfunc:vfs_read'
	[ "$status" -eq 0 ]
	[ "$output" = "kfunc:vmlinux:vfs_read
    struct file * file
    char * buf
    size_t count
    loff_t * pos
    ssize_t retval" ]
	run bpftrace -lv 'kfunc:nf_tables:nft_trans_alloc_gfp'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "kfunc:nf_tables:nft_trans_alloc_gfp" ]
	[ "${lines[1]}" = "    const struct nft_ctx * ctx" ]
}

# ---- path() and skboutput() ----

@test "path(): gives the path in a function that may call bpf_d_path" {
	run bpftrace -e 'kfunc:security_file_open /pid == cpid/ { printf("open %s\n", path(args.file->f_path)); }' \
		-c 'cat /etc/hostname'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"open /etc/hostname"* ]]
}

@test "path(): in a kfunc that may not call bpf_d_path, the error is at the call" {
	run bpftrace -e 'kfunc:vfs_read { print(path(args.file->f_path)); }' -c "$TP/syscall read"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"stdin:1:18-47: ERROR: helper bpf_d_path not supported in probe
kfunc:vfs_read { print(path(args.file->f_path)); }
                 ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"* ]]
	[[ "$output" != *"Error loading program"* ]]
}

@test "skboutput(): returns 0 and writes the packets to a pcap file" {
	cd "$BATS_TEST_TMPDIR"
	run bpftrace -e 'kfunc:__dev_queue_xmit { $ret = skboutput("skb.pcap", args.skb, args.skb->len, 14);
		if ($ret == 0) { printf("OK\n"); exit(); } }' -c "$TP/syscall connect 127.0.0.1 80"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *OK* ]]
	# pcap 2.4, snapshot length 65535, raw IP (101); the first packet
	# (its 14-byte Ethernet header left out) is IPv4 from 127.0.0.1
	run od -A n -t x1 -N 56 skb.pcap
	echo "$output"
	local b=($output)
	[ "${b[*]:0:8}" = "d4 c3 b2 a1 02 00 04 00" ]
	[ "${b[*]:16:8}" = "ff ff 00 00 65 00 00 00" ]
	[ "${b[40]}" = 45 ]
	[ "${b[*]:52:4}" = "7f 00 00 01" ]
}
