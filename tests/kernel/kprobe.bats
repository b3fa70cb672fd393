#!/usr/bin/env bats
# kprobe.bats - kprobes and kretprobes on a stock kernel: wildcards (one
# kprobe_multi link where the kernel can attach one, else a kprobe per
# function), offsets, probe/func/comm/kstack/retval, override(), listing,
# -k warnings and nothing printed after exit().  Runs inside the 6.1 and
# 6.12 guests (make check-kernel).

load helpers
load ../exit_check
bats_require_minimum_version 1.5.0

B="$BT/bpftrace"

setup() {
	[ -e /sys/kernel/tracing/kprobe_events ] || skip "this kernel has no kprobes"
	cd "$BATS_TEST_TMPDIR"
}

# The size of kernel function $1 as kallsyms gives it (to the next symbol);
# its addresses are 16 hex digits, so they compare as strings.
kallsyms_size() {
	local a b
	a=$(awk -v f="$1" '$3 == f && $2 ~ /^[tT]$/ { print $1; exit }' /proc/kallsyms)
	b=$(awk -v a="$a" '$1 > a && (b == "" || $1 < b) { b = $1 } END { print b }' /proc/kallsyms)
	[ -n "$a" ] && [ -n "$b" ] && echo $((16#$b - 16#$a))
}

# The map lines (starting with @) of $output.
map_lines() {
	grep '^@' <<<"$output" || true
}

# ---- helper-filled buffers (issue 13 item 5) ----

@test "comm as a map key and compared: one key per command (6.1 leaves the helper's tail unset)" {
	run --separate-stderr "$B" -e 'kprobe:vfs_read /pid == cpid/ { @k[comm] = count(); }
		tracepoint:syscalls:sys_enter_read /pid == cpid/ { @t[comm] = count(); if (comm == "cat") { @eq = count(); } }' \
		-c 'cat /etc/os-release /etc/hostname /etc/passwd'
	echo "$stderr"
	[ "$status" -eq 0 ]
	map_lines
	[ "$(map_lines | grep -c '^@k\[')" = 1 ]
	[ "$(map_lines | grep -c '^@t\[')" = 1 ]
	local t eq
	t=$(map_lines | sed -n 's/^@t\[cat\]: //p')
	eq=$(map_lines | sed -n 's/^@eq: //p')
	[ -n "$t" ] && [ "$t" = "$eq" ]
}

# ---- func (item 6), kstack, retval ----

@test "func: the probed function in a kprobe and in a uprobe (bpf_get_func_ip gives 0 for uprobes on 6.1)" {
	run --separate-stderr "$B" -e 'kprobe:do_nanosleep { print(func); exit(); }' -c '/bin/sleep 0.1'
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "do_nanosleep" ]
	run --separate-stderr "$B" -e "uprobe:$TP/uprobe_test:uprobeFunction1 { print(func); exit(); }" -c "$TP/uprobe_test"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "uprobeFunction1" ]
}

@test "kstack in a kprobe: the probed function and its callers, symbolised" {
	run --separate-stderr "$B" -e 'kprobe:do_nanosleep { @[kstack] = count(); exit(); }' -c '/bin/sleep 0.1'
	[ "$status" -eq 0 ]
	echo "$output"
	grep -qE '^ +do_nanosleep\+[0-9]+$' <<<"$output"
	grep -qE '^ +hrtimer_nanosleep\+[0-9]+$' <<<"$output"
}

@test "kretprobe retval: vfs_read returns the bytes read" {
	head -c 12345 /dev/zero > data
	run --separate-stderr "$B" -e 'kretprobe:vfs_read /pid == cpid/ { @[retval] = count(); }' \
		-c 'dd if=data of=/dev/null bs=1M'
	[ "$status" -eq 0 ]
	map_lines
	[[ "$output" == *$'\n@[12345]: 1'* ]]
	[[ "$output" == *$'\n@[0]: '* ]]
}

# ---- wildcards: kprobe_multi or one kprobe per function (items 7, 8) ----

@test "kprobe_multi: a kprobe wildcard attaches one link, and so does a kretprobe wildcard" {
	require_kprobe_multi
	# (-c: something calls a ksys_ function; an idle guest may not)
	run --separate-stderr "$B" --unsafe -e 'kprobe:ksys_* { printf("link: "); system("bpftool link | grep -c kprobe_multi"); exit(); }' -c /bin/true
	echo "$output$stderr"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching 1 probe..." ]
	[ "${lines[1]}" = "link: 1" ]
	run --separate-stderr "$B" --unsafe -e 'kretprobe:ksys_* { printf("link: "); system("bpftool link | grep -c kprobe_multi"); exit(); }' -c /bin/true
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching 1 probe..." ]
	[ "${lines[1]}" = "link: 1" ]
}

@test "a kprobe wildcard without kprobe_multi (--no-feature, or a kernel without fprobe): one kprobe per function" {
	local n
	n=$("$B" -l 'kprobe:ksys_*' | wc -l)
	[ "$n" -gt 1 ]
	run --separate-stderr "$B" --no-feature kprobe_multi --unsafe \
		-e 'kprobe:ksys_* { printf("link: "); system("bpftool link | grep -c kprobe_multi"); exit(); }' -c /bin/true
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Attaching $n probes..." ]
	[ "${lines[1]}" = "link: 0" ]
	if [ "$(kernel_config CONFIG_FPROBE)" != y ]; then
		# 6.1 loads kprobe_multi programs but cannot attach them
		run --separate-stderr "$B" -e 'kprobe:ksys_* { exit(); }' -c /bin/true
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "Attaching $n probes..." ]
	fi
}

# probe_names NOFEATURE: @[probe] of kprobe:ksys_* and kretprobe:ksys_*
# while cat reads a file and writes it.
probe_names() {
	run --separate-stderr "$B" $1 -e 'kprobe:ksys_* /pid == cpid/ { @[probe] = count(); }
		kretprobe:ksys_* /pid == cpid/ { @r[probe] = count(); }' -c 'cat /etc/hostname'
	echo "$output$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *"@[kprobe:ksys_read]: "* ]]
	[[ "$output" == *"@[kprobe:ksys_write]: 1"* ]]
	[[ "$output" == *"@r[kretprobe:ksys_read]: "* ]]
	[[ "$output" == *"@r[kretprobe:ksys_write]: 1"* ]]
	# every key names a function of the wildcard, each once
	[ -z "$(map_lines | grep -v -E '^@(r)?\[k(ret)?probe:ksys_[a-z0-9_]+\]: [0-9]+$')" ]
	[ "$(map_lines | cut -d: -f1-2 | sort | uniq -d)" = "" ]
}

@test "probe in a kprobe wildcard names each function" {
	probe_names ""
	# a block that reads probe is one kprobe per function, as bpftrace
	# expands it (no kprobe_multi link)
	local n
	n=$("$B" -l 'kprobe:ksys_*' | wc -l)
	run --separate-stderr "$B" -e 'kprobe:ksys_* { @[probe] = count(); exit(); }' -c /bin/true
	[ "${lines[0]}" = "Attaching $n probes..." ]
}

@test "probe in a kprobe wildcard names each function (one kprobe per function)" {
	probe_names "--no-feature kprobe_multi"
}

# ---- offsets (items 9, 13) ----

@test "kprobe offset 0 attaches and fires" {
	run --separate-stderr "$B" -e 'kprobe:vfs_read+0 { printf("hit\n"); exit(); }' -c 'dd if=/etc/hostname of=/dev/null'
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "hit" ]
}

@test "kprobe offset outside the function is refused with its size" {
	local size
	size=$(kallsyms_size vfs_read)
	[ -n "$size" ] || skip "kallsyms addresses not readable"
	run --separate-stderr "$B" -e 'kprobe:vfs_read+1000000 { exit(); }'
	[ "$status" -ne 0 ]
	[ "$stderr" = "ERROR: Offset outside the function bounds ('vfs_read' size is $size)" ]
}

@test "kprobe offset in the middle of an instruction: bpftrace's hint, then the quoted probe" {
	run --separate-stderr "$B" -e 'kprobe:do_nanosleep+1 { exit(); }'
	[ "$status" -ne 0 ]
	[ "$stderr" = "ERROR: Possible attachment attempt in the middle of an instruction, try a different offset.
ERROR: Error attaching probe: 'kprobe:do_nanosleep+1'" ]
	# without IBT a function starts with the 5-byte ftrace call: +4 is inside it
	[ "$(kernel_config CONFIG_X86_KERNEL_IBT)" != y ] || return 0
	run --separate-stderr "$B" -e 'kprobe:do_nanosleep+4 { exit(); }'
	[ "$status" -ne 0 ]
	[ "$stderr" = "ERROR: Possible attachment attempt in the middle of an instruction, try a different offset.
ERROR: Error attaching probe: 'kprobe:do_nanosleep+4'" ]
}

@test "a kprobe on no traceable function: the warning first, then the quoted probe (issue 15 item 19)" {
	run --separate-stderr "$B" -e 'kprobe:no_such_function_xyz {}'
	[ "$status" -ne 0 ]
	[ "$stderr" = 'stdin:1:1-28: WARNING: no_such_function_xyz is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail
kprobe:no_such_function_xyz {}
~~~~~~~~~~~~~~~~~~~~~~~~~~~
ERROR: Error attaching probe: '"'kprobe:no_such_function_xyz'" ]
}

# ---- -k, exit() (item 11) ----

@test "-k: deleting a missing key warns (6.1's map ops return a 32-bit -ENOENT)" {
	run --separate-stderr "$B" -k -e 'kprobe:do_nanosleep { @[1] = 1; delete(@[2]); exit(); }' -c '/bin/sleep 0.1'
	[ "$status" -eq 0 ]
	[[ "$output" == *"WARNING: Can't delete map element because it does not exist."* ]]
	run --separate-stderr "$B" -k -e 'i:ms:100 { @[1] = 1; delete(@[2]); exit(); }'
	[[ "$output" == *"WARNING: Can't delete map element because it does not exist."* ]]
}

@test "nothing a kprobe writes after exit() is printed" {
	# A loop of 300 short dd runs keeps vfs_read firing long after exit().
	# One dd of 5,000 one-byte reads hung Debian's 6.1 guest (QEMU's
	# emulation) within 2-4 runs, and 200,000 once panicked 6.12's (a call
	# through a NULL pointer in interrupt context while the probes were
	# detached): kernel faults, not results; at this pace 8 runs in a row
	# passed on 6.1.  The case stays skipped on 6.12.
	case "$(uname -r)" in 6.12.*) skip "Debian's 6.12 kernel panicked under this load (kprobe detach while vfs_read fires)" ;; esac
	printf 'for i in $(seq 300); do dd if=/dev/zero of=/dev/null bs=1 count=5 status=none; done\n' \
		> "$BATS_TEST_TMPDIR/reads.sh"
	local i
	for i in 1 2; do
		run --separate-stderr "$B" -e 'kprobe:vfs_read { printf("event\n"); if (@c++ == 20) { printf("exit\n"); exit(); } } END { clear(@c); printf("end\n"); }' \
			-c "sh $BATS_TEST_TMPDIR/reads.sh"
		[ "$status" -eq 0 ]
		events_stop_at_exit "$output"
	done
}

# ---- override() ----

@test "override() with --unsafe changes an error-injectable function's return" {
	require_config CONFIG_BPF_KPROBE_OVERRIDE "this kernel cannot override (CONFIG_BPF_KPROBE_OVERRIDE unset)"
	grep -q '^__x64_sys_getppid' /sys/kernel/debug/error_injection/list ||
		skip "__x64_sys_getppid is not error-injectable here"
	printf '#!/bin/sh\necho "ppid $PPID"\n' > ppid.sh
	chmod +x ppid.sh
	run --separate-stderr "$B" --unsafe -e 'kprobe:__x64_sys_getppid /pid == cpid/ { override(4242); }' -c "/bin/sh ./ppid.sh"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ppid 4242"* ]]
}

@test "override() needs --unsafe" {
	run --separate-stderr "$B" -e 'kprobe:__x64_sys_getppid { override(1); }'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"override() is an unsafe function being used in safe mode"* ]]
}

# ---- listing (item 12, issue 15 item 7) ----

@test "-l kprobes: available_filter_functions less the blacklist and .part. clones" {
	local aff=/sys/kernel/tracing/available_filter_functions
	awk '{ print $1 }' "$aff" | grep -v '\.part\.' | sort -u > funcs
	if [ -r /sys/kernel/debug/kprobes/blacklist ]; then
		awk '{ print $2 }' /sys/kernel/debug/kprobes/blacklist | sort -u > black
		comm -23 funcs black > want
	else
		cp funcs want
	fi
	"$B" -l 'kprobe:*' | sed 's/^kprobe://' | sort > got
	[ -s got ]
	cmp want got
	run --separate-stderr "$B" -l 'kretprobe:*nanosleep*'
	[[ "$output" == *"kretprobe:do_nanosleep"* ]]
	[ -z "$(grep -v '^kretprobe:.*nanosleep' <<<"$output")" ]
	run --separate-stderr "$B" -l '*nanosleep*'
	[[ "$output" == *"kprobe:do_nanosleep"* ]]
	[[ "$output" == *"tracepoint:syscalls:sys_enter_nanosleep"* ]]
}

@test "-lv kprobe: the name only (kprobes have no typed arguments)" {
	run --separate-stderr "$B" -lv 'kprobe:do_nanosleep'
	[ "$status" -eq 0 ]
	[ "$output" = "kprobe:do_nanosleep" ]
}

@test "-l kfuncs: only what can be attached (BTF functions, no .isra/.constprop clones)" {
	[ -r /sys/kernel/btf/vmlinux ] || skip "no BTF"
	run --separate-stderr "$B" -l 'kfunc:*'
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nkfunc:vmlinux:vfs_read\n'* ]]
	[ -z "$(grep -E ':[^:]*\.' <<<"$output" | head -5)" ]
	# every clone in available_filter_functions stays out
	grep -qE '\.(isra|constprop)\.' /sys/kernel/tracing/available_filter_functions ||
		skip "no compiler clones here"
	local clone
	clone=$(grep -m1 -E '^[a-z_0-9]+\.(isra|constprop)\.[0-9]+$' /sys/kernel/tracing/available_filter_functions)
	[[ "$output" != *":$clone"* ]]
}
