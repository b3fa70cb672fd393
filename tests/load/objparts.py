#!/usr/bin/env python3
"""objparts.py - rewrite the records of an obj stream, for tests of
streams holding several BPF objects (ir-spec/obj.md): a minimal msgpack
walker (no msgpack module needed) that splits a stream into its records.

usage: objparts.py IN OUT EDIT...
  drop-last      remove the last record before `end` (a part)
  dup-part       repeat the first part record (and count it in `parts`)
  parts=V        set the object's `parts` to V: an integer or a string
  no-elf         the first part record loses its `elf`
  garbage-part   the first part's ELF becomes bytes that are no ELF
  kind=NAME      the first part record's `t` becomes NAME
  extra-part     a part record in a stream that announces none
"""
import struct, sys


def skip(b, i):
    """Offset after the msgpack value at i."""
    c = b[i]
    if c <= 0x7f or c >= 0xe0 or c in (0xc0, 0xc2, 0xc3):
        return i + 1
    if 0x80 <= c <= 0x8f:
        return items(b, i + 1, 2 * (c & 0x0f))
    if 0x90 <= c <= 0x9f:
        return items(b, i + 1, c & 0x0f)
    if 0xa0 <= c <= 0xbf:
        return i + 1 + (c & 0x1f)
    fixed = {0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8,
             0xca: 4, 0xcb: 8}
    if c in fixed:
        return i + 1 + fixed[c]
    lens = {0xc4: 1, 0xc5: 2, 0xc6: 4, 0xd9: 1, 0xda: 2, 0xdb: 4}
    if c in lens:
        n = int.from_bytes(b[i + 1:i + 1 + lens[c]], "big")
        return i + 1 + lens[c] + n
    if c in (0xdc, 0xdd):
        w = 2 if c == 0xdc else 4
        return items(b, i + 1 + w, int.from_bytes(b[i + 1:i + 1 + w], "big"))
    if c in (0xde, 0xdf):
        w = 2 if c == 0xde else 4
        return items(b, i + 1 + w, 2 * int.from_bytes(b[i + 1:i + 1 + w], "big"))
    raise ValueError("unhandled msgpack byte %#x" % c)


def items(b, i, n):
    for _ in range(n):
        i = skip(b, i)
    return i


def pairs(rec):
    """A record (a map) as [(key bytes, value bytes)]."""
    c = rec[0]
    if 0x80 <= c <= 0x8f:
        n, i = c & 0x0f, 1
    elif c == 0xde:
        n, i = int.from_bytes(rec[1:3], "big"), 3
    else:
        n, i = int.from_bytes(rec[1:5], "big"), 5
    out = []
    for _ in range(n):
        k = skip(rec, i)
        v = skip(rec, k)
        out.append((rec[i:k], rec[k:v]))
        i = v
    return out


def s(x):
    x = x.encode()
    return bytes([0xa0 | len(x)]) + x


def bin_(x):
    return b"\xc6" + struct.pack(">I", len(x)) + x


def record(ps):
    return b"\xdf" + struct.pack(">I", len(ps)) + b"".join(k + v for k, v in ps)


def setkey(rec, key, val):
    ps = [(k, v) for k, v in pairs(rec) if k != s(key)]
    if val is not None:
        ps.append((s(key), val))
    return record(ps)


def main():
    data = open(sys.argv[1], "rb").read()
    recs, i = [], 0
    while i < len(data):
        j = skip(data, i)
        recs.append(data[i:j])
        i = j
    hdr, obj, parts, end = recs[0], recs[1], recs[2:-1], recs[-1]
    for e in sys.argv[3:]:
        if e == "drop-last":
            parts = parts[:-1]
        elif e == "dup-part":
            parts = parts[:1] + parts
            obj = setkey(obj, "parts", bytes([len(parts) + 1]))
        elif e.startswith("parts="):
            v = e[6:]
            obj = setkey(obj, "parts", bytes([int(v)]) if v.isdigit() else s(v))
        elif e == "no-elf":
            parts[0] = setkey(parts[0], "elf", None)
        elif e == "garbage-part":
            parts[0] = setkey(parts[0], "elf", bin_(b"\x7fELF" + b"\x01" * 200))
        elif e.startswith("kind="):
            parts[0] = setkey(parts[0], "t", s(e[5:]))
        elif e == "extra-part":
            elf = dict(pairs(obj))[s("elf")]
            parts.append(record([(s("t"), s("part")), (s("elf"), elf)]))
        else:
            sys.exit("objparts.py: unknown edit " + e)
    open(sys.argv[2], "wb").write(hdr + obj + b"".join(parts) + end)


main()
