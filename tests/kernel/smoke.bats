#!/usr/bin/env bats
# smoke.bats - the guest is what the other kernel suites assume: a stock
# kernel with kprobes, fentry and BTF, and our tools reachable.

load helpers

@test "the guest kernel has kprobes, fentry and BTF" {
	[ -e /sys/kernel/tracing/kprobe_events ]
	[ -r /sys/kernel/btf/vmlinux ]
	[ "$(kernel_config CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)" = y ]
	[ -x "$BT/bt-load" ]
}

@test "kprobe: a probe fires on a function the command calls" {
	run bpftrace -e 'kprobe:do_nanosleep { printf("hit %s\n", comm); exit(); }' -c '/bin/sleep 0.1'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hit sleep"* ]]
}
