#!/usr/bin/env bats
# fleet.bats - bt-fleet, the Kubernetes fleet driver, end to end against a
# stand-in kubectl (tests/fleet/kubectl) that runs each pod as a local
# process: compiling once, the manifests, streaming each pod's output,
# stopping (after --duration, at Ctrl-C), cleaning up, merging.

load helpers

setup() {
	export FAKE_KUBE="$BATS_TEST_TMPDIR/kube"
	export FAKE_KUBE_NODES=n1,n2,n3
	export FAKE_KUBE_BT_LOAD="$BT/bt-load"
	export KUBECTL="$ROOT/tests/fleet/kubectl"
	command -v busybox >/dev/null || [ -x /bin/busybox ] || skip "busybox is not installed (busybox-static)"
}

# A test that failed half-way leaves no pod running: every pod's process
# group the stand-in cluster still knows of is killed.
teardown() {
	[ -f "$FAKE_KUBE/pods.json" ] || return 0
	local pid
	for pid in $(python3 -c 'import json, sys
for p in json.load(open(sys.argv[1])).values(): print(p["pid"])' "$FAKE_KUBE/pods.json"); do
		kill -KILL -- "-$pid" 2>/dev/null || true
	done
}

@test "fleet: the generated manifests are valid v1 objects: a ConfigMap with the object, a privileged pod per node" {
	run "$ROOT/bt-fleet" --manifests --nodes a,b -e 'BEGIN { @ = count(); }'
	[ "$status" -eq 0 ]
	echo "$output" > "$BATS_TEST_TMPDIR/m.json"
	run python3 "$ROOT/tests/fleet/validate_manifests.py" "$BATS_TEST_TMPDIR/m.json"
	echo "$output"
	[ "$output" = ok ]
	python3 -c '
import base64, json, sys
d = json.load(open(sys.argv[1]))
kinds = [o["kind"] for o in d["items"]]
assert kinds == ["ConfigMap", "Pod", "Pod"], kinds
obj = base64.b64decode(d["items"][0]["binaryData"]["prog.obj"])
assert obj[:1] in (b"\x80", b"\x81", b"\x82", b"\x83", b"\x84", b"\x85", b"\x86", b"\x87", b"\x88", b"\x89", b"\x8a", b"\x8b", b"\x8c", b"\x8d", b"\x8e", b"\x8f", b"\xde"), obj[:4]
pods = d["items"][1:]
assert [p["spec"]["nodeName"] for p in pods] == ["a", "b"]
for p in pods:
    s = p["spec"]
    assert s["hostPID"] and s["containers"][0]["securityContext"]["privileged"]
    assert s["restartPolicy"] == "Never"
' "$BATS_TEST_TMPDIR/m.json"
	# the validator does catch a broken manifest
	sed 's/"mountPath": "\/obj"/"mountPath": "obj"/' "$BATS_TEST_TMPDIR/m.json" > "$BATS_TEST_TMPDIR/bad.json"
	run python3 "$ROOT/tests/fleet/validate_manifests.py" "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 1 ]
	[[ "$output" == "invalid: "*"mountPath must be absolute" ]]
}

@test "fleet: three nodes traced for a second, streams merged into one answer, pods deleted" {
	require_root
	run "$ROOT/bt-fleet" --duration 1 --keep "$BATS_TEST_TMPDIR/keep" \
		-e 'BEGIN { @nodes = count(); @s = sum(5); } END { printf("end\n"); }'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"@nodes: 3"* ]]
	[[ "$output" == *"@s: 15"* ]]
	[ "$(grep -c '^end$' <<<"$output")" -eq 3 ]
	# every node's raw stream, each naming its node
	ls "$BATS_TEST_TMPDIR/keep"
	[ "$(ls "$BATS_TEST_TMPDIR/keep" | wc -l)" -eq 3 ]
	run bt-fmt --by-host "$BATS_TEST_TMPDIR"/keep/*.out
	[[ "$output" == *"@nodes[n2]: 1"* ]]
	# cleanup: every pod deleted, no bt-load left running
	[ "$(sort "$FAKE_KUBE/deleted" | wc -l)" -eq 3 ]
	grep -q '^delete -n default pod,configmap -l bt-fleet-run=bt-fleet-' "$FAKE_KUBE/calls"
	! pgrep -f "$FAKE_KUBE/pod-" >/dev/null
}

@test "fleet: Ctrl-C stops every node's trace (END runs), merges and cleans up" {
	require_root
	# (a background job of a script starts with SIGINT ignored: restore it,
	# as a terminal's Ctrl-C finds it)
	python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
		"$ROOT/bt-fleet" --nodes n1,n2 -f json \
		-e 'interval:ms:50 { @ticks = count(); } END { @ended = count(); }' \
		> "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	for i in $(seq 100); do grep -q Tracing "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
	sleep 1
	kill -INT "$pid"
	wait "$pid"
	cat "$BATS_TEST_TMPDIR/out"
	grep -q '{"type": "map", "data": {"@ended": 2}}' "$BATS_TEST_TMPDIR/out"
	grep -q '"@ticks": [1-9][0-9]*' "$BATS_TEST_TMPDIR/out"
	[ "$(wc -l < "$FAKE_KUBE/deleted")" -eq 2 ]
	! pgrep -f "$FAKE_KUBE/pod-" >/dev/null
}

@test "fleet: a program that does not compile creates nothing in the cluster" {
	run "$ROOT/bt-fleet" --nodes n1 -e 'BEGIN { @x = nosuchfunc(); }'
	[ "$status" -ne 0 ]
	[[ "$output" == *"ERROR"* ]]
	[ ! -e "$FAKE_KUBE/calls" ]
}
