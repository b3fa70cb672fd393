# exit_check.bash - what a run whose probe prints "event" on each hit, then
# "exit" and calls exit() once, and whose END prints "end", may print (e2e
# and kernel suites: `load exit_check`, `load ../exit_check`).
#
# `exit` once and `end` once after it; between them at most what another
# CPU wrote in the instant between exit's printf and exit() itself
# (bt-fmt's own read, say), as bpftrace prints too; the flood of events
# after exit() is dropped.  Usage: events_stop_at_exit "$output"
events_stop_at_exit() {
	local after
	[ "$(grep -c '^exit$' <<<"$1")" = 1 ] || return 1
	[ "$(sed -n '/^exit$/,$p' <<<"$1" | grep -c '^end$')" = 1 ] || return 1
	after=$(sed -n '/^exit$/,$p' <<<"$1" | grep -c '^event$' || true)
	[ "$after" -le 2 ]
}
