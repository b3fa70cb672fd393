#!/usr/bin/env bats
# pictures.bats - folded stacks (-f folded), flame graphs (--flamegraph) and
# histogram plots (--plot): checked against what the test computes itself
# from bt-fmt's JSON of the same stream, as valid XML, by geometry, and as a
# picture rendered by headless Chromium.  Streams come from
# tests/golden/mkstacks.py (no kernel needed) or from a real profile run.

load helpers

GOLD="$ROOT/tests/golden"

setup_file() {
	python3 "$GOLD/mkstacks.py" "$BATS_FILE_TMPDIR/s.out"
	python3 "$GOLD/mkstacks.py" "$BATS_FILE_TMPDIR/base.out" --seed 1 --shift 0.6
}

setup() {
	S="$BATS_FILE_TMPDIR/s.out"
	BASE="$BATS_FILE_TMPDIR/base.out"
}

# folded_from_json KEYS: the folded lines of each stack map, computed from
# `bt-fmt -f json` on stdin.  KEYS names the parts of each map's key, e.g.
# '@k=k @u=o,u @b=o,u,k' (k kernel stack, u user stack, o other); OFFSETS=1
# keeps +offset.
folded_from_json() {
	python3 -c '
import json, re, sys
kinds = dict(x.split("=") for x in sys.argv[1].split())
keep = sys.argv[2] == "1"
out = {}
for line in sys.stdin:
    # a key text can repeat (two stack ids, one text): keep every entry
    rec = json.loads(line, object_pairs_hook=lambda kv: kv) if line.strip() else None
    rec = dict(rec) if rec else None
    if not rec or rec["type"] != "map":
        continue
    for name, entries in rec["data"]:
        if name not in kinds:
            continue
        parts_kind = kinds[name].split(",")
        for key, count in entries:
            # parts are joined by ","; frames (C++ names) may hold ", " but
            # never a newline, and a stack part starts and ends with one
            parts = re.split(r",(?=\n)|(?<=\n),", key)
            if len(parts) < len(parts_kind) and parts[0].endswith(","):
                parts = [parts[0][:-1], ""] + parts[1:]   # an empty stack
            frames, kstack, ustack = [], [], []
            for kind, part in zip(parts_kind, parts):
                if kind == "o":
                    frames.append(part)
                    continue
                fs = [l.strip() for l in part.split("\n") if l.strip()]
                if not keep:
                    fs = [re.sub(r"\+[0-9]+$", "", f) for f in fs]
                (kstack if kind == "k" else ustack).extend(reversed(fs))
            frames += ustack + kstack
            line = ";".join(frames) if frames else "[empty]"
            out[line] = out.get(line, 0) + count
for line, n in out.items():
    print(line, n)
' "$1" "${OFFSETS:-0}" | sort
}

@test "folded: every stack map as root-first lines, equal to the folding of the JSON output" {
	run bt-fmt -f folded "$S"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -gt 60 ]
	diff -u <(bt-fmt -f json "$S" | folded_from_json '@k=k @u=o,u @b=o,u,k') \
		<(bt-fmt -f folded "$S" | sort)
}

@test "folded: --offsets keeps the symbol offsets" {
	bt-fmt -f folded --offsets "$S" > "$BATS_TEST_TMPDIR/o"
	grep -q '+[0-9]*;' "$BATS_TEST_TMPDIR/o"
	OFFSETS=1
	diff -u <(bt-fmt -f json "$S" | folded_from_json '@k=k @u=o,u @b=o,u,k') \
		<(bt-fmt -f folded --offsets "$S" | sort)
}

@test "folded: stacks that differ only in what is left out are one line" {
	[ -z "$(bt-fmt -f folded "$S" | awk '{ $NF = ""; print }' | sort | uniq -d)" ]
}

@test "folded: a stack map of other values than count() is refused" {
	PYTHONPATH="$GOLD" python3 -c '
from mkout import *
s = Stream("BEGIN { @[kstack] = sum(1); }")
ks = s.T.stack(False)
m = s.meta.map("@", s.T.simple("sum", 8, signed=True), [ks])
s.final()
s.map(m, [(u64(1), u64(5))])
open("'"$BATS_TEST_TMPDIR"'/sum.out", "wb").write(s.bytes())'
	run bt-fmt -f folded "$BATS_TEST_TMPDIR/sum.out"
	[ "$status" -eq 1 ]
	[ "$output" = "bt-fmt: ERROR: @: stacks can be folded only from count() values, not sum" ]
}

# svg_levels FILE: "depth sum-of-widths" per level, from the boxes' data
svg_levels() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
w = {}
for g in ET.parse(sys.argv[1]).iter(ns + "g"):
    if g.get("class") == "f":
        d = int(g.get("data-d"))
        w[d] = w.get(d, 0.0) + float(g.get("data-w"))
for d in sorted(w):
    print(d, "%.2f" % w[d])
' "$1"
}

@test "flamegraph: valid XML; the root spans the width and each level sums to its frames' counts" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	run bt-fmt --flamegraph "$BATS_TEST_TMPDIR/f.svg" "$S"
	[ "$status" -eq 0 ]
	xmllint --noout "$BATS_TEST_TMPDIR/f.svg"
	# expected per level: the counts of the folded stacks at least that deep
	bt-fmt -f folded "$S" | python3 -c '
import sys
total, deep = 0, {}
for line in sys.stdin:
    stack, n = line.rsplit(" ", 1)
    n = int(n)
    total += n
    depth = len(stack.split(";")) + 1   # + the map name level (3 maps)
    for d in range(1, depth + 1):
        deep[d] = deep.get(d, 0) + n
print(0, "%.2f" % 1180)
for d in sorted(deep):
    print(d, "%.2f" % (deep[d] * 1180 / total))
' > "$BATS_TEST_TMPDIR/expect"
	svg_levels "$BATS_TEST_TMPDIR/f.svg" > "$BATS_TEST_TMPDIR/got"
	# (no frame here is narrower than the merge threshold; each box's width
	# is rounded to 0.01 px)
	paste "$BATS_TEST_TMPDIR/expect" "$BATS_TEST_TMPDIR/got" | awk '
		$1 != $3 { print "depth", $1, "vs", $3; bad = 1 }
		{ d = $2 - $4; if (d < 0) d = -d }
		d > 1 { print "level", $1, "expected", $2, "drawn", $4; bad = 1 }
		END { exit bad }'
	grep -q 'Flame graph: profile:hz:99 .* on testhost' "$BATS_TEST_TMPDIR/f.svg"
	grep -q '<title>vfs_read (kernel, [0-9]* samples, [0-9.]*%)</title>' "$BATS_TEST_TMPDIR/f.svg"
}

@test "flamegraph: the same stream gives the same bytes" {
	bt-fmt --flamegraph "$BATS_TEST_TMPDIR/a.svg" "$S"
	bt-fmt --flamegraph "$BATS_TEST_TMPDIR/b.svg" "$S"
	cmp "$BATS_TEST_TMPDIR/a.svg" "$BATS_TEST_TMPDIR/b.svg"
}

@test "flamegraph: its script zooms on a click, shows details on hover, highlights a search" {
	command -v node >/dev/null || skip "node is not installed"
	bt-fmt --flamegraph "$BATS_TEST_TMPDIR/f.svg" "$S" >/dev/null
	run node "$GOLD/svg_script.js" "$BATS_TEST_TMPDIR/f.svg"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "flamegraph: icicle mode draws the root on top" {
	bt-fmt --flamegraph "$BATS_TEST_TMPDIR/i.svg" --icicle "$S"
	grep -q 'Icicle graph' "$BATS_TEST_TMPDIR/i.svg"
	# the root box is the topmost one
	python3 -c '
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
ys = {}
for g in ET.parse(sys.argv[1]).iter(ns + "g"):
    if g.get("class") == "f":
        ys.setdefault(int(g.get("data-d")), float(g.find(ns + "rect").get("y")))
assert ys[0] < ys[1] < ys[2], ys
' "$BATS_TEST_TMPDIR/i.svg"
}

@test "flamegraph: --diff colours growth red and shrinkage blue" {
	bt-fmt --flamegraph "$BATS_TEST_TMPDIR/d.svg" --diff "$BASE" "$S"
	grep -q 'Differential flame graph' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'change +[0-9.]*%' "$BATS_TEST_TMPDIR/d.svg"
	grep -q 'change -[0-9.]*%' "$BATS_TEST_TMPDIR/d.svg"
	# every box that grew is drawn red, every one that shrank blue
	python3 -c '
import re, sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
for g in ET.parse(sys.argv[1]).iter(ns + "g"):
    if g.get("class") != "f":
        continue
    m = re.search(r"change ([-+][0-9.]+)%", g.find(ns + "title").text)
    fill = g.find(ns + "rect").get("fill")
    change = float(m.group(1))
    if change > 0.5:
        assert fill.startswith("rgb(255,"), (g.get("data-n"), change, fill)
    if change < -0.5:
        assert fill.endswith(",255)"), (g.get("data-n"), change, fill)
' "$BATS_TEST_TMPDIR/d.svg"
}

@test "flamegraph: several streams add up" {
	bt-fmt --flamegraph "$BATS_TEST_TMPDIR/one.svg" "$S"
	bt-fmt --flamegraph "$BATS_TEST_TMPDIR/two.svg" "$S" "$S"
	one=$(grep -o '<title>all ([0-9]* samples' "$BATS_TEST_TMPDIR/one.svg" | grep -o '[0-9]*')
	two=$(grep -o '<title>all ([0-9]* samples' "$BATS_TEST_TMPDIR/two.svg" | grep -o '[0-9]*')
	[ "$two" -eq $((2 * one)) ]
}

@test "flamegraph: 100,000 distinct stacks stay a small file with narrow frames merged" {
	python3 "$GOLD/mkstacks.py" "$BATS_TEST_TMPDIR/big.out" --stacks 34000
	run bt-fmt --flamegraph "$BATS_TEST_TMPDIR/big.svg" "$BATS_TEST_TMPDIR/big.out"
	[ "$status" -eq 0 ]
	size=$(stat -c %s "$BATS_TEST_TMPDIR/big.svg")
	echo "SVG of 102,000 stacks: $size bytes"
	[ "$size" -lt 3000000 ]
	grep -q 'merged frames\]' "$BATS_TEST_TMPDIR/big.svg"
}

@test "flamegraph: no stack map is a clear error" {
	run bt-fmt --flamegraph "$BATS_TEST_TMPDIR/x.svg" "$BATS_FILE_TMPDIR/base.out" --icicle
	[ "$status" -eq 0 ]
	PYTHONPATH="$GOLD" python3 -c '
from mkout import *
s = Stream("BEGIN { @ = count(); }")
m = s.meta.map("@", s.T.simple("count", 8))
s.final()
s.map(m, [(u64(0), u64(5))])
open("'"$BATS_TEST_TMPDIR"'/nostack.out", "wb").write(s.bytes())'
	run bt-fmt --flamegraph "$BATS_TEST_TMPDIR/x.svg" "$BATS_TEST_TMPDIR/nostack.out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bt-fmt: ERROR: no stacks to draw: the run printed no map keyed by kstack or ustack with count() values" ]]
}

@test "plot: one panel per hist key, one bar per bucket from the first to the last non-empty one" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	bt-fmt --plot "$BATS_TEST_TMPDIR/h.svg" "$S"
	xmllint --noout "$BATS_TEST_TMPDIR/h.svg"
	grep -q '>@h\[bash\]</text>' "$BATS_TEST_TMPDIR/h.svg"
	grep -q '>@h\[sshd\]</text>' "$BATS_TEST_TMPDIR/h.svg"
	# the bars are the text histogram's lines
	[ "$(grep -c '<rect x="150"' "$BATS_TEST_TMPDIR/h.svg")" -eq "$(bt-fmt "$S" | grep -c '^\[.*|')" ]
}

# not_blank PNG: the picture has many colours and few background pixels
not_blank() {
	python3 -c '
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, colours = zlib.decompress(idat), w * bpp, None, set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        p = a + b - c
        pr = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c
        line[i] = (line[i] + (0, a, b, (a + b) // 2, pr)[f]) & 255
    prev = line
    if y % 4 == 0:
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 4))
print(len(colours), "colours")
assert len(colours) > 20, len(colours)
' "$1"
}

@test "flamegraph: renders in headless Chromium as a picture, not a blank page" {
	command -v chromium >/dev/null || skip "chromium is not installed"
	bt-fmt --flamegraph "$BATS_TEST_TMPDIR/f.svg" "$S"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$BATS_TEST_TMPDIR/chrome" \
		--window-size=1200,400 --screenshot="$BATS_TEST_TMPDIR/f.png" \
		"file://$BATS_TEST_TMPDIR/f.svg" 2>/dev/null
	not_blank "$BATS_TEST_TMPDIR/f.png"
}

@test "real: profile with kstack and ustack, saved and folded, matches its JSON; the driver draws it live" {
	require_root
	ensure_tracefs
	bt-parse -e 'profile:hz:997 { @k[kstack] = count(); @u[pid, ustack] = count(); } interval:ms:700 { exit(); }' > "$BATS_TEST_TMPDIR/p.ast"
	bt-check "$BATS_TEST_TMPDIR/p.ast" | bt-codegen > "$BATS_TEST_TMPDIR/p.obj"
	(for i in $(seq 3000); do :; done) &
	bt-load "$BATS_TEST_TMPDIR/p.obj" < /dev/null > "$BATS_TEST_TMPDIR/p.out"
	wait $!
	[ "$(bt-fmt -f folded "$BATS_TEST_TMPDIR/p.out" | wc -l)" -gt 0 ]
	diff -u <(bt-fmt -f json "$BATS_TEST_TMPDIR/p.out" | folded_from_json '@k=k @u=o,u') \
		<(bt-fmt -f folded "$BATS_TEST_TMPDIR/p.out" | sort)
	run bpftrace --flamegraph "$BATS_TEST_TMPDIR/live.svg" \
		-e 'profile:hz:997 { @[kstack] = count(); @n = count(); } interval:ms:500 { printf("done\n"); exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" == *"done"* ]]
	[[ "$output" == *"@n: "* ]]
	[[ "$output" != *"@["* ]]
	grep -q '<title>all ([1-9][0-9]* samples' "$BATS_TEST_TMPDIR/live.svg"
	run bpftrace -f folded -e 'profile:hz:997 { @[comm, kstack] = count(); } interval:ms:300 { exit(); }'
	[ "$status" -eq 0 ]
	[[ "$output" != *"Attaching"* ]]
	[[ "${lines[0]}" =~ \ [0-9]+$ ]]
}
