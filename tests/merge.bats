#!/usr/bin/env bats
# merge.bats - several `out` streams of one object printed as one trace
# (bt-fmt a.out b.out ...): the runs of a fleet are simulated by runs of one
# object on parts of a range of events (build/testprogs/merge_feed), each
# named as another host (bt-load --host-name); merged, they must print what
# one run over the whole range prints.

load helpers

GOLD="$ROOT/tests/golden"

# every aggregation, a plain value, a stack-free symbol key, printf
PROG='uprobe:'"$ROOT"'/build/testprogs/merge_feed:feed {
	@c[arg0 % 3] = count(); @s = sum((int64)arg0); @mn = min((int64)arg0); @mx = max((int64)arg0);
	@a[arg0 % 2] = avg((int64)arg0); @st = stats((int64)arg0); @h = hist(arg0 + 1000);
	@l = lhist(arg0 + 1000, 0, 2000, 100); @f[func] = count(); @n = (int64)arg0;
	printf("%d\n", (int64)arg0); }'

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	bt-parse -e "$PROG" > "$BATS_FILE_TMPDIR/m.ast"
	bt-check "$BATS_FILE_TMPDIR/m.ast" | bt-codegen > "$BATS_FILE_TMPDIR/m.obj"
}

# run HOST FROM TO [SEED]: one run of the object as host HOST
run_as() {
	bt-load --host-name "$1" -c "$ROOT/build/testprogs/merge_feed $2 $3 ${4:-}" \
		"$BATS_FILE_TMPDIR/m.obj" < /dev/null > "$BATS_TEST_TMPDIR/$1.out"
}

# the exit dump only (printf lines of several hosts come in time order,
# which a single run does not reproduce line for line), its lines sorted:
# keys with equal values may come in either order, in bpftrace too
dump() { sed -n '/^$/,$p' | sort; }

# JSON records with their keys sorted, printf records left out
canon_json() {
	python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        rec = json.loads(line)
        if rec["type"] != "printf":
            print(json.dumps(rec, sort_keys=True))
'
}

@test "merge: three hosts' runs print what one run over all their events prints (text and JSON)" {
	require_root
	run_as h1 0 10
	run_as h2 10 25
	run_as h3 25 40
	run_as all 0 40
	cd "$BATS_TEST_TMPDIR"
	diff -u <(bt-fmt all.out | dump) <(bt-fmt h1.out h2.out h3.out | dump)
	diff -u <(bt-fmt -f json all.out | canon_json) <(bt-fmt -f json h1.out h2.out h3.out | canon_json)
	# printf output: every event once, and in time order host by host
	diff <(bt-fmt all.out | grep -E '^-?[0-9]+$') <(bt-fmt h1.out h2.out h3.out | grep -E '^-?[0-9]+$')
}

@test "merge: random values split at random points, merged equal the whole run (property test)" {
	require_root
	for round in 1 2 3; do
		seed=$((RANDOM + 1))
		total=$((200 + RANDOM % 300))
		cuts=$(python3 -c "import random; r = random.Random($seed); print(' '.join(map(str, sorted(r.sample(range(1, $total), r.randint(1, 4))))))")
		files=() from=0 i=0
		for to in $cuts $total; do
			run_as "p$i" "$from" "$to" "$seed"
			files+=("$BATS_TEST_TMPDIR/p$i.out")
			from=$to i=$((i + 1))
		done
		run_as whole 0 "$total" "$seed"
		echo "round $round: seed $seed, $total events, cut at $cuts"
		diff -u <(bt-fmt "$BATS_TEST_TMPDIR/whole.out" | dump) <(bt-fmt "${files[@]}" | dump)
		diff -u <(bt-fmt -f json "$BATS_TEST_TMPDIR/whole.out" | canon_json) \
			<(bt-fmt -f json "${files[@]}" | canon_json)
	done
}

@test "merge: --by-host keeps hosts apart, --host picks streams" {
	require_root
	run_as h1 0 10
	run_as h2 10 25
	cd "$BATS_TEST_TMPDIR"
	run bt-fmt --by-host h1.out h2.out
	[ "$status" -eq 0 ]
	[[ "$output" == *"@st[h1]: count 10, average 4, total 45"* ]]
	[[ "$output" == *"@st[h2]: count 15, average 17, total 255"* ]]
	[[ "$output" == *"@c[h2, 0]: 5"* ]]
	bt-fmt -f json --by-host h1.out h2.out | grep -q '"@s": {"h1": 45, "h2": 255}'
	diff <(bt-fmt h2.out) <(bt-fmt --host h2 h1.out h2.out)
	run bt-fmt --host nosuch h1.out h2.out
	[ "$status" -eq 1 ]
	[ "$output" = "bt-fmt: ERROR: no stream from the host asked for" ]
}

@test "merge: streams of different programs are refused" {
	require_root
	run_as h1 0 10
	bt-parse -e 'BEGIN { @x = count(); exit(); }' | bt-check | bt-codegen > "$BATS_TEST_TMPDIR/o.obj"
	bt-load "$BATS_TEST_TMPDIR/o.obj" < /dev/null > "$BATS_TEST_TMPDIR/o.out"
	run bt-fmt "$BATS_TEST_TMPDIR/h1.out" "$BATS_TEST_TMPDIR/o.out"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-fmt: ERROR: $BATS_TEST_TMPDIR/o.out: not a run of the same program as $BATS_TEST_TMPDIR/h1.out (only streams of one object can be merged)" ]
}

# streams written by mkout: interleaving by clock records, and size
@test "merge: records of several streams come in the order of their clock records" {
	PYTHONPATH="$GOLD" python3 -c '
from mkout import *
import sys
for name, times in (("a", (1, 4, 5)), ("b", (2, 3, 6))):
    s = Stream("BEGIN { printf(...) }")
    s.header_extra["host"] = {"name": name, "release": "x", "boot_id": "y"}
    p, _, _ = s.meta.printf("%s %d\n", s.T.string(8), s.T.int(64))
    s.attached(1)
    for t in times:
        s.rec("clock", ns=t * 1000)
        s.printf(p, cstr(name, 8), u64(t))
    open(sys.argv[1] + "/" + name + ".out", "wb").write(s.bytes())
' "$BATS_TEST_TMPDIR"
	run bt-fmt "$BATS_TEST_TMPDIR/a.out" "$BATS_TEST_TMPDIR/b.out"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Attaching 1 probe...\na 1\nb 2\nb 3\na 4\na 5\nb 6')" ]
}

@test "merge: 100 streams of 10,000 keys each" {
	PYTHONPATH="$GOLD" python3 -c '
from mkout import *
import sys
for h in range(100):
    s = Stream("kprobe:vfs_read { @[pid] = count(); }")
    s.header_extra["host"] = {"name": "node%d" % h, "release": "x", "boot_id": "y"}
    m = s.meta.map("@", s.T.simple("count", 8), [s.T.int(32)])
    s.final()
    s.map(m, [(u32(k), u64(h + 1)) for k in range(10000)])
    open("%s/n%d.out" % (sys.argv[1], h), "wb").write(s.bytes())
' "$BATS_TEST_TMPDIR"
	/usr/bin/time -f '%e s, %M KiB' -o "$BATS_TEST_TMPDIR/cost" \
		bt-fmt "$BATS_TEST_TMPDIR"/n*.out > "$BATS_TEST_TMPDIR/merged"
	echo "100 x 10,000 keys merged in $(cat "$BATS_TEST_TMPDIR/cost")"
	# every key once, with the sum of 1..100
	[ "$(grep -c '^@\[' "$BATS_TEST_TMPDIR/merged")" -eq 10000 ]
	[ "$(grep -c ']: 5050$' "$BATS_TEST_TMPDIR/merged")" -eq 10000 ]
}
