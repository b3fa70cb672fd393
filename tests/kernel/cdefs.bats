#!/usr/bin/env bats
# cdefs.bats - C definitions compiled against the running kernel's own
# headers (Debian's linux-headers for this 6.1 kernel, unpacked into
# build/test-kheaders by tests/cdefs.bats on the host): the layouts clang
# computes from them must be the kernel's.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	KH="$BT/test-kheaders"
	[ -f "$KH/ready" ] || skip "no unpacked headers (run tests/cdefs.bats on the host first)"
	local n
	n=$(cat "$KH/ready")
	[ "$(uname -r)" = "6.1.0-$n-amd64" ] || skip "the unpacked headers are 6.1.0-$n's, this is $(uname -r)"
	export BPFTRACE_KERNEL_SOURCE="$KH/root/usr/src/linux-headers-6.1.0-$n-common"
	export BPFTRACE_KERNEL_BUILD="$KH/root/usr/src/linux-headers-6.1.0-$n-amd64"
}

@test "kernel headers: task_struct fields read through <linux/sched.h> agree with the builtins" {
	run --separate-stderr timeout 600 bpftrace -e '#include <linux/sched.h>
kprobe:do_nanosleep /comm == "sleep"/ {
	$t = (struct task_struct *)curtask;
	printf("%d %d %d %d %s %s\n", $t->tgid, pid, $t->pid, tid, $t->comm, comm);
	exit();
}' -c 'sleep 0.2'
	[ "$status" -eq 0 ]
	read -r tgid p tpid t tcomm c <<< "${lines[1]}"
	[ "$tgid" = "$p" ] && [ "$tpid" = "$t" ] && [ "$tcomm" = "$c" ] && [ "$c" = sleep ]
}
