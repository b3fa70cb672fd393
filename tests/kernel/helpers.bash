# helpers.bash - setup shared by the suites that run inside a stock kernel
# (make check-kernel boots each kernel and runs `bats tests/kernel/` there).
ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")/../.." && pwd)"
BT="$ROOT/build"
export PATH="$BT:$PATH"
TP="$BT/testprogs"

# The guest kernel's build configuration, from the unpacked kernel package
# (the guest's /boot is the host's).
kernel_config() {
	local f="${BT_KERNEL_TREE:-}/boot/config-$(uname -r)"
	[ -r "$f" ] || f=/boot/config-$(uname -r)
	[ -r "$f" ] && grep -E "^$1=" "$f" | cut -d= -f2
}

# Skip unless the kernel was built with CONFIG option $1 (reason: $2).
require_config() {
	[ "$(kernel_config "$1")" = y ] || skip "${2:-this kernel has no $1}"
}

# kprobe_multi links need fprobe (6.1 loads such programs but cannot attach).
require_kprobe_multi() {
	require_config CONFIG_FPROBE "no kprobe_multi links on this kernel (CONFIG_FPROBE unset)"
}
