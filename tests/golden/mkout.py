#!/usr/bin/env python3
"""mkout.py - write saved `out` streams (ir-spec/out.md) for bt-fmt's tests.

Usage: mkout.py DIR [CASE...]   writes DIR/<case>.out for every case (or the
                                named ones) defined in cases.py
       mkout.py --list          prints the case names
       mkout.py --printf-bench N FILE   N printf events (throughput benchmark)

Only the standard library: msgpack is encoded by hand below.  The streams
model what bt-load writes for a program; the expected outputs next to them
(fmt/<case>.txt, fmt/<case>.json) are written from bpftrace's documented
behaviour, not produced by bt-fmt.
"""
import os
import struct
import sys


class Bin(bytes):
    """A msgpack bin (plain str is a msgpack str)."""


def pack(o):
    if o is None:
        return b"\xc0"
    if o is True:
        return b"\xc3"
    if o is False:
        return b"\xc2"
    if isinstance(o, int):
        if 0 <= o < 128:
            return bytes([o])
        if -32 <= o < 0:
            return struct.pack("b", o)
        if o >= 0:
            return b"\xcf" + struct.pack(">Q", o)
        return b"\xd3" + struct.pack(">q", o)
    if isinstance(o, Bin):
        n = len(o)
        if n < 256:
            return b"\xc4" + bytes([n]) + o
        if n < 65536:
            return b"\xc5" + struct.pack(">H", n) + o
        return b"\xc6" + struct.pack(">I", n) + o
    if isinstance(o, (bytes, bytearray)):
        return pack(Bin(o))
    if isinstance(o, str):
        b = o.encode()
        n = len(b)
        if n < 32:
            return bytes([0xA0 | n]) + b
        if n < 256:
            return b"\xd9" + bytes([n]) + b
        if n < 65536:
            return b"\xda" + struct.pack(">H", n) + b
        return b"\xdb" + struct.pack(">I", n) + b
    if isinstance(o, (list, tuple)):
        n = len(o)
        head = bytes([0x90 | n]) if n < 16 else (
            b"\xdc" + struct.pack(">H", n) if n < 65536 else b"\xdd" + struct.pack(">I", n))
        return head + b"".join(pack(x) for x in o)
    if isinstance(o, dict):
        n = len(o)
        head = bytes([0x80 | n]) if n < 16 else (
            b"\xde" + struct.pack(">H", n) if n < 65536 else b"\xdf" + struct.pack(">I", n))
        return head + b"".join(pack(k) + pack(v) for k, v in o.items())
    raise TypeError(type(o))


# ---- types (ir-spec/ir.md "Types"): a table, entries referenced by index ----

class Types:
    def __init__(self):
        self.table = []

    def add(self, **kw):
        d = {k: v for k, v in kw.items() if v is not None}
        self.table.append(d)
        return len(self.table) - 1

    def int(self, bits=64, signed=False):
        return self.add(k="int", sz=max(bits // 8, 1), bits=bits, signed=signed or None)

    def string(self, n):
        return self.add(k="string", sz=n)

    def buffer(self, n):                 # n data bytes (+1 length byte)
        return self.add(k="buffer", sz=n + 1)

    def simple(self, kind, size, **kw):
        return self.add(k=kind, sz=size, **kw)

    def ptr(self, elem):
        return self.add(k="pointer", sz=8, elem=elem)

    def array(self, elem, count):
        return self.add(k="array", sz=self.size(elem) * count, elem=elem, count=count)

    def size(self, t):
        return self.table[t]["sz"]

    def align(self, t):
        d = self.table[t]
        if d["k"] in ("string", "buffer", "usym", "ustack", "inet", "timestamp",
                      "mac_address", "cgroup_path"):
            return 1
        if d["k"] in ("tuple", "record"):
            return d.get("align", 1)
        if d["k"] == "array":
            return self.align(d["elem"])
        s = d["sz"]
        return s if s <= 2 else (4 if s <= 4 else 8)

    def tuple(self, *elems):
        off, fields, mx = 0, [], 1
        for e in elems:
            a = self.align(e)
            mx = max(mx, a)
            off = (off + a - 1) // a * a
            fields.append([None, off, e, 0, 0])
            off += self.size(e)
        size = (off + mx - 1) // mx * mx
        return self.add(k="tuple", sz=size, fields=fields, align=mx)

    def record(self, name, *fields):     # fields: (name, type); C layout
        off, fl, mx = 0, [], 1
        for fname, e in fields:
            a = self.align(e)
            mx = max(mx, a)
            off = (off + a - 1) // a * a
            fl.append([fname, off, e, 0, 0])
            off += self.size(e)
        size = (off + mx - 1) // mx * mx
        return self.add(k="record", sz=size, name=name, fields=fl, align=mx)

    def stack(self, user, mode=0, limit=127):
        return self.add(k="ustack" if user else "kstack", sz=16 if user else 8,
                        smode=mode, slimit=limit)


# ---- the program metadata (ir-spec/ir.md "Metadata") ----

class Meta:
    def __init__(self, types, **config):
        self.T = types
        self.maps, self.printfs, self.print_types = [], [], []
        self.helper_errors = []
        self.lists = {k: [] for k in ("time_fmts", "join_delims", "strftime_fmts",
                                      "cgroup_filters", "probe_names")}
        self.config = dict(max_strlen=64, str_trunc_trailer="..", stack_mode=0,
                           cpp_demangle=True, perf_rb_pages=64, max_cat_bytes=10240,
                           max_map_keys=4096, max_probes=512, max_bpf_progs=512,
                           log_size=1000000, cache_user_symbols="PER_PID",
                           unsafe=False, helper_check_level=0)
        self.config.update(config)

    def map(self, name, value, keys=(), hist_bits=0, lh=(0, 0, 0)):
        """Add a map (call in name order: ids are positions); returns its id."""
        key_size = sum(self.T.size(k) for k in keys) or 8
        self.maps.append(dict(name=name, id=len(self.maps), value=value, keys=list(keys),
                              key_size=key_size, hist_bits=hist_bits, lh_min=lh[0],
                              lh_max=lh[1], lh_step=lh[2]))
        return len(self.maps) - 1

    def printf(self, fmt, *args):
        """args: types; laid out as a {u64 id; args...} struct
        (docs/bpftrace-compat.md "printf argument records").
        Returns (id, [offsets])."""
        off, offs = 8, []
        for t in args:
            a = self.T.align(t)
            off = (off + a - 1) // a * a
            offs.append(off)
            off += self.T.size(t)
        size = (off + 7) // 8 * 8
        self.printfs.append(dict(fmt=Bin(fmt.encode() if isinstance(fmt, str) else fmt),
                                 size=size, args=[[t, o] for t, o in zip(args, offs)]))
        return len(self.printfs) - 1, offs, size

    def add(self, listname, s):
        self.lists[listname].append(s)
        return len(self.lists[listname]) - 1

    def print_type(self, t):
        self.print_types.append(t)
        return len(self.print_types) - 1

    def helper_error(self, func, line, col, end_line, end_col):
        self.helper_errors.append([func, line, col, end_line, end_col])
        return len(self.helper_errors) - 1

    def encode(self):
        d = dict(maps=self.maps, probes=[], printfs=self.printfs, systems=[], cats=[])
        d.update(self.lists)
        d.update(print_types=self.print_types, helper_errors=self.helper_errors,
                 config=self.config)
        return d


# ---- event payloads ----

def u64(v):
    return struct.pack("<Q", v & (2**64 - 1))


def i64(v):
    return struct.pack("<q", v)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def cstr(s, n):
    b = s.encode() if isinstance(s, str) else s
    return (b + b"\0" * n)[:n]


def printf_event(meta, pid, values):
    """values: bytes for each argument, placed at the format's offsets."""
    f = meta.printfs[pid]
    buf = bytearray(f["size"])
    buf[0:8] = u64(pid)
    for (t, off), v in zip(f["args"], values):
        buf[off:off + len(v)] = v
    return bytes(buf)


# ---- the stream ----

class Stream:
    def __init__(self, source="", filename="stdin", **config):
        self.T = Types()
        self.meta = Meta(self.T, **config)
        self.source, self.filename = source, filename
        self.records = []
        self.header_extra = {}

    def rec(self, t, **kw):
        d = {"t": t}
        d.update(kw)
        self.records.append(d)

    def attached(self, n):
        self.rec("attached", n=n)

    def event(self, data):
        self.rec("event", data=Bin(data))

    def printf(self, pid, *values):
        self.event(printf_event(self.meta, pid, values))

    def text(self, kind, data):
        self.rec("text", kind=kind, data=Bin(data.encode() if isinstance(data, str) else data))

    def lost(self, n):
        self.rec("lost", n=n)

    def map(self, mid, entries, top=0, div=0):
        self.rec("map", id=mid, top=top, div=div,
                 entries=[[Bin(k), Bin(v)] for k, v in entries])

    def final(self):
        self.rec("final")

    def sym(self, user, pid, addr, name):
        self.rec("sym", user=user, pid=pid, addr=addr, name=name)

    def stack(self, user, pid, sid, frames, limit=127, mode=0):
        self.rec("stack", user=user, pid=pid, id=sid, limit=limit, mode=mode,
                 frames=[list(fr) for fr in frames])

    def bytes(self):
        hdr = {"format": "out", "version": 1, "filename": self.filename,
               "source": Bin(self.source.encode()), "types": self.T.table,
               "meta": self.meta.encode()}
        hdr.update(self.header_extra)
        return b"".join([pack(hdr)] + [pack(r) for r in self.records] + [pack({"t": "end"})])


def bench_stream(n):
    """n printf events like `printf("%s %d %llu\\n", comm, pid, nsecs)`:
    bt-fmt's throughput benchmark."""
    s = Stream('tracepoint:raw_syscalls:sys_enter { printf("%s %d %llu\\n", comm, pid, nsecs); }')
    T = s.T
    p, _, _ = s.meta.printf("%s %d %llu\n", T.string(16), T.int(64, False), T.int(64, False))
    s.attached(1)
    head = s.bytes()[:-len(pack({"t": "end"}))]
    recs = []
    for i in range(1000):
        ev = printf_event(s.meta, p, [cstr("proc%d" % (i % 37), 16), u64(1000 + i % 500),
                                      u64(123456789000 + i * 977)])
        recs.append(pack({"t": "event", "data": Bin(ev)}))
    body = b"".join(recs)
    return head + body * (n // 1000) + b"".join(recs[:n % 1000]) + pack({"t": "end"})


def main(argv):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if argv[1:2] == ["--printf-bench"]:
        with open(argv[3], "wb") as fp:
            fp.write(bench_stream(int(argv[2])))
        return 0
    import cases
    names = [n for n in dir(cases) if n.startswith("case_")]
    if argv[1:2] == ["--list"]:
        print("\n".join(n[5:] for n in names))
        return 0
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    outdir, want = argv[1], argv[2:]
    for n in names:
        if want and n[5:] not in want:
            continue
        s = getattr(cases, n)()
        with open(os.path.join(outdir, n[5:] + ".out"), "wb") as fp:
            fp.write(s.bytes() if hasattr(s, "records") else s)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
