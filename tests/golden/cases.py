"""cases.py - the saved `out` streams of bt-fmt's golden tests.

Each case_NAME() returns a Stream (mkout.py) modelling what bt-load writes
for a program; tests/golden/fmt/NAME.txt and NAME.json hold what bpftrace
v0.20 prints for it (docs/bpftrace-compat.md "Text output", "JSON output").  Map ids
are positions in name order, as bt-check assigns them.
"""
from mkout import Stream, u64, i64, u32, cstr


def hist_index(v, k=0):
    """docs/bpftrace-compat.md "Histogram buckets" (what BPF computes)"""
    if v < 0:
        return 0
    mask = (1 << k) - 1
    if v <= mask:
        return v + 1
    l = v.bit_length() - 1
    s = l - k
    x = (v >> s) & mask
    return ((s + 1) << k) + x + 1


def lhist_index(v, lo, hi, step):
    """docs/bpftrace-compat.md "Histogram buckets" (lhist)"""
    if v < lo:
        return 0
    if v > hi:
        return 1 + (hi - lo) // step
    return 1 + (v - lo) // step


def hist_entries(prefix, values, k=0, fn=None):
    counts = {}
    for v in values:
        i = fn(v) if fn else hist_index(v, k)
        counts[i] = counts.get(i, 0) + 1
    # kernel order is arbitrary: write them in reverse to make the point
    return [(prefix + u64(i), u64(c)) for i, c in sorted(counts.items(), reverse=True)]


def case_printf_basic():
    s = Stream('BEGIN { printf("hi %d\\n", 5); exit(); }')
    T = s.T
    p, _, _ = s.meta.printf("hi %d\n", T.int(64, True))
    s.attached(1)
    s.printf(p, i64(5))
    s.final()
    return s


def case_printf_ints():
    s = Stream("BEGIN { ... }")
    T = s.T
    si, ui = T.int(64, True), T.int(64, False)
    p0, _, _ = s.meta.printf("%d|%u|%x|%X|%o\n", si, si, ui, ui, ui)
    p1, _, _ = s.meta.printf("%ld %lu %lld %llu %lx\n", si, si, si, ui, ui)
    p2, _, _ = s.meta.printf("%hhd %hhu %hd %hu\n", si, si, si, si)
    p3, _, _ = s.meta.printf("[%5d] [%-5d] [%05d] [%.3d]\n", si, si, si, si)
    p4, _, _ = s.meta.printf("%c%c%c\n", si, si, si)
    pt = T.ptr(T.int(8, True))
    p5, _, _ = s.meta.printf("%p %p\n", pt, pt)
    p6, _, _ = s.meta.printf("%zu %jd %td\n", ui, si, si)
    p7, _, _ = s.meta.printf("%d items\n", ui)
    p8, _, _ = s.meta.printf("%x %d\n", T.int(32, False), T.int(8, True))
    s.attached(1)
    s.printf(p0, i64(0x100000005), i64(-1), u64(255), u64(255), u64(8))
    s.printf(p1, i64(-1), i64(-1), i64(-5), u64(5), u64(0xdeadbeefcafe))
    s.printf(p2, i64(300), i64(300), i64(70000), i64(-1))
    s.printf(p3, i64(42), i64(42), i64(42), i64(42))
    s.printf(p4, i64(97), i64(98), i64(0x163))
    s.printf(p5, u64(0), u64(0x1234))
    s.printf(p6, u64(7), i64(-7), i64(8))
    s.printf(p7, u64(4294967296 + 3))
    s.printf(p8, u32(0xdeadbeef) + b"\0" * 4, bytes([0xfe]))
    return s


def case_printf_percent():
    s = Stream("BEGIN { ... }")
    T = s.T
    si = T.int(64, True)
    p0, _, _ = s.meta.printf("100%%\n")
    p1, _, _ = s.meta.printf("%d%%\n", si)
    p2, _, _ = s.meta.printf("%%%d\n", si)
    p3, _, _ = s.meta.printf("%%d %d\n", si, si)
    p4, _, _ = s.meta.printf("50%% done: %s\n", T.string(64))
    p5, _, _ = s.meta.printf("no newline")
    s.printf(p0)
    s.printf(p1, i64(5))
    s.printf(p2, i64(5))
    s.printf(p3, i64(3), i64(7))
    s.printf(p4, cstr("x", 64))
    s.printf(p5)
    return s


def case_printf_strings():
    s = Stream("BEGIN { ... }")
    T = s.T
    st, comm, buf = T.string(64), T.string(16), T.buffer(8)
    p0, _, _ = s.meta.printf("[%s] [%10s] [%-6s] [%.2s]\n", st, st, st, st)
    p1, _, _ = s.meta.printf("%s|\n", st)
    p2, _, _ = s.meta.printf("%s: %s\n", comm, st)
    p3, _, _ = s.meta.printf("%r|%rx|%rh\n", buf, buf, buf)
    p4, _, _ = s.meta.printf("[%-12r]\n", buf)
    s.printf(p0, *[cstr("abc", 64)] * 4)
    s.printf(p1, cstr("a" * 63, 64))        # max_strlen - 1 chars: trailer
    s.printf(p1, cstr("b" * 62, 64))
    s.printf(p2, cstr("bash", 16), cstr("", 64))
    b = bytes([6]) + b"He\x01lo\xff" + b"\0\0"
    s.printf(p3, b, b, b)
    s.printf(p4, bytes([3]) + b"ab\n" + b"\0" * 5)
    return s


def case_printf_types():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    ksym, usym = T.simple("ksym", 8), T.simple("usym", 24)
    user, probe = T.simple("username", 8), T.simple("probe", 8)
    inet, mac = T.simple("inet", 24), T.simple("mac_address", 6)
    serr, cg = T.simple("strerror", 8), T.simple("cgroup_path", 16)
    M.add("probe_names", "tracepoint:syscalls:sys_enter_read")
    M.add("cgroup_filters", "*")
    p0, _, _ = M.printf("%s %s %s|%s\n", ksym, ksym, usym, usym)
    p1, _, _ = M.printf("[%s] [%s] %s\n", user, user, probe)
    p2, _, _ = M.printf("%s %s %s\n", inet, inet, mac)
    p3, _, _ = M.printf("%s; %s; [%s]\n", serr, cg, cg)
    s.sym(False, 0, 0xffffffff81000010, "do_nanosleep")
    s.sym(True, 1234, 0x401136, "main")
    s.sym(True, 1234, 0x401200, None)
    s.rec("username", uid=0, name="root")
    s.rec("cgroup", id=42, filter=0, path="unified:/user.slice")
    s.printf(p0, u64(0xffffffff81000010), u64(0xffffffff81abcdef),
             u64(0x401136) + u64(1234) + u64(0), u64(0x401200) + u64(1234) + u64(0))
    s.printf(p1, u64(0), u64(1000), u64(0))
    s.printf(p2, u64(2) + bytes([127, 0, 0, 1]) + b"\0" * 12,
             u64(10) + b"\0" * 15 + b"\1", bytes([1, 2, 10, 11, 255, 0]))
    s.printf(p3, u64(7), u64(0) + u64(42), u64(0) + u64(43))
    return s


def case_printf_escape():
    s = Stream("BEGIN { ... }")
    st = s.T.string(64)
    p0, _, _ = s.meta.printf('test \r \n \t \\ \" bar\n')
    p1, _, _ = s.meta.printf("%s\n", st)
    s.printf(p0)
    s.printf(p1, cstr(b"caf\xe9 \x01\x1f\x7f", 64))
    return s


def case_stacks():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    ks = T.stack(False, 0, 127)
    kperf = T.stack(False, 1, 127)
    kraw = T.stack(False, 2, 127)
    us_perf = T.stack(True, 1, 127)
    cnt = T.simple("count", 8)
    ksym = T.simple("ksym", 8)
    i64t = T.int(64, True)
    kid = M.map("@", cnt, [ks])
    kk = M.map("@k", ksym, [i64t])
    sv = M.map("@s", ks, [i64t])
    p0, _, _ = M.printf("%s|\n", ks)
    p1, _, _ = M.printf("%s|%s|%s|\n", kperf, kraw, us_perf)
    frames = [(0xffffffff81000001, "ip_output", 1, None),
              (0xffffffff81000002, "tcp_transmit_skb", 1308, None),
              (0xffffffff81000003, "tcp_write_xmit", 482, None)]
    s.stack(False, 0, 7, frames)
    s.stack(False, 0, 8, [(0xffffffff81000010, "do_nanosleep", 0, None),
                          (0xffffffff81abcdef, None, 0, None)])
    s.stack(True, 99, 3, [(0x401010, "main", 16, "/usr/bin/prog"),
                          (0x7f0000001234, None, 0, None)])
    s.sym(False, 0, 0xffffffff81000010, "do_nanosleep")
    s.sym(False, 0, 0xffffffff81000020, "vfs_read")
    s.attached(1)
    s.printf(p0, u64(8))
    s.printf(p0, u64(12345))           # no stack record: empty text
    s.printf(p1, u64(7), u64(7), u64(3) + u32(99) + u32(0))
    s.final()
    s.map(kid, [(u64(7), u64(22186))])
    s.map(kk, [(i64(2), u64(0xffffffff81000020)), (i64(1), u64(0xffffffff81000010))])
    s.map(sv, [(i64(2), u64(8)), (i64(1), u64(7))])
    return s


def case_maps_plain():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    cnt, comm = T.simple("count", 8), T.string(16)
    ssum = T.simple("sum", 8, signed=True)
    mx, mn = T.simple("max", 8, signed=True), T.simple("min", 8, signed=True)
    si, st = T.int(64, True), T.string(64)
    a = M.map("@a", cnt, [comm])
    b = M.map("@b", ssum)
    c = M.map("@c", mx)
    d = M.map("@d", mn)
    e = M.map("@e", si, [si])
    f = M.map("@f", st, [si])
    g = M.map("@g", cnt, [st, si])
    h = M.map("@h", cnt, [si])
    s.attached(1)
    s.final()
    s.map(a, [(cstr("curl", 16), u64(5)), (cstr("bash", 16), u64(2)),
              (cstr("zsh", 16), u64(10))])
    s.map(b, [(u64(0), i64(-10))])
    s.map(c, [(u64(0), i64(-5))])      # signed max prints signed (man: DIFFERENCES)
    s.map(d, [(u64(0), u64(0))])
    s.map(e, [(i64(-1), i64(3)), (i64(5), i64(1)), (i64(2), i64(2))])
    s.map(f, [(i64(2), cstr("b", 64)), (i64(-1), cstr("z", 64)), (i64(1), cstr("a", 64))])
    s.map(g, [(cstr("hi", 64) + i64(1), u64(1))])
    s.map(h, [])
    return s


def case_print_top_div():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    k = T.string(2)
    cnt, avg = T.simple("count", 8), T.simple("avg", 8, signed=True)
    a = M.map("@", avg, [k])
    x = M.map("@x", cnt, [k])
    p0, _, _ = M.printf("BEGIN\n")
    p1, _, _ = M.printf("END\n")
    s.printf(p0)
    ents = []
    for key, v in (("b", 20), ("d", 40), ("a", 10), ("c", 30)):
        ents += [(cstr(key, 2) + u64(0), u64(1)), (cstr(key, 2) + u64(1), u64(v))]
    s.map(a, ents, top=2, div=10)
    s.map(x, [(cstr("c", 2), u64(300)), (cstr("a", 2), u64(100)),
              (cstr("b", 2), u64(200))], top=2, div=100)
    s.printf(p1)
    return s


def case_stats():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    avg, st = T.simple("avg", 8, signed=True), T.simple("stats", 8, signed=True)
    k = T.string(8)
    a = M.map("@a", avg)
    ss = M.map("@s", st)
    sk = M.map("@stats", st, [k])
    e = M.map("@z", st, [k])
    s.final()
    s.map(a, [(u64(0) + u64(1), i64(-40)), (u64(0) + u64(0), u64(2))])
    s.map(ss, [(u64(0) + u64(0), u64(3)), (u64(0) + u64(1), i64(-10))])
    s.map(sk, [(cstr("zsh", 8) + u64(0), u64(1)), (cstr("zsh", 8) + u64(1), u64(10)),
               (cstr("curl", 8) + u64(1), u64(2)), (cstr("curl", 8) + u64(0), u64(1))])
    s.map(e, [])
    return s


def case_hist():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    h, st = T.simple("hist", 8), T.string(16)
    m0 = M.map("@", h)
    m1 = M.map("@hist", h)
    m2 = M.map("@m", h, [st])
    m3 = M.map("@t", h)
    m4 = M.map("@z", h)
    m5 = M.map("@zz", h)
    s.final()
    s.map(m0, hist_entries(u64(0), [3, 20]))
    s.map(m1, hist_entries(u64(0), [2, 1025]))
    s.map(m2, hist_entries(cstr("curl", 16), [-1, 0, 511, 1024, 1025]) +
          hist_entries(cstr("bpftrace", 16), [2]))
    s.map(m3, hist_entries(u64(0), [10 * 1024 * 1024 * 1024]))
    s.map(m4, [(u64(0) + u64(3), u64(0))])
    s.map(m5, [])
    return s


def case_hist_bits():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    m = M.map("@", T.simple("hist", 8), hist_bits=3)
    s.final()
    s.map(m, hist_entries(u64(0), range(1024), k=3))
    return s


def case_lhist():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    lh, st = T.simple("lhist", 8), T.string(16)
    l0 = M.map("@l", lh, lh=(0, 100, 10))
    l1 = M.map("@lk", lh, lh=(0, 4096, 1024))
    l2 = M.map("@lm", lh, [st], lh=(0, 100, 10))
    l3 = M.map("@lz", lh, lh=(0, 100, 10))
    s.final()

    def ent(prefix, vals, lo, hi, step):
        return hist_entries(prefix, vals, fn=lambda v: lhist_index(v, lo, hi, step))
    s.map(l0, ent(u64(0), [2, 50, 1000], 0, 100, 10))
    s.map(l1, ent(u64(0), [1500, 5000, 1100], 0, 4096, 1024))
    s.map(l2, ent(cstr("bpftrace", 16), [2, 50, 51], 0, 100, 10) +
          ent(cstr("curl", 16), [55], 0, 100, 10))
    s.map(l3, [(u64(0) + u64(2), u64(0))])
    return s


def case_values():
    src = 'BEGIN { ... }'
    s = Stream(src)
    T, M = s.T, s.meta
    i32, i64t, st8 = T.int(32, True), T.int(64, True), T.string(8)
    tup = T.tuple(i64t, i64t, st8, T.tuple(i64t, i64t))
    a4 = T.array(i32, 4)
    a22 = T.array(T.array(i32, 2), 2)
    mn = T.record("struct MN", ("m", i32), ("n", i32))
    inner_m = T.record("struct M", ("m", T.array(i32, 1)))
    inner_n = T.record("struct N", ("n", i32))
    ya = T.record("struct YA", ("y", inner_m), ("a", inner_n))
    t1 = T.tuple(i64t, mn)
    neg = T.tuple(i64t, i32, T.int(8, True))
    cnt = T.simple("count", 8)
    buf = T.buffer(8)
    ptr = T.ptr(i32)
    mac = T.simple("mac_address", 6)
    serr = T.simple("strerror", 8)
    maps = {}
    for name, val, keys in (("@", tup, []), ("@a", a4, []), ("@b", a22, []),
                            ("@bk", cnt, [buf]), ("@bv", buf, []), ("@mac", mac, []),
                            ("@n", neg, []), ("@p", ptr, []), ("@r", cnt, [mn]),
                            ("@s", ya, []), ("@t", t1, []), ("@x", cnt, [a4, i64t])):
        maps[name] = M.map(name, val, keys)
    pv = [M.print_type(t) for t in (i64t, st8, tup, serr, ya, t1)]
    vals = [i64(5), cstr("bpftrace", 8),
            i64(1) + i64(2) + cstr("string", 8) + i64(4) + i64(5),
            u64(7),
            u32(2) + u32(3),               # struct YA { M y {m[1]=2}; N a {n=3} }
            i64(0) + u32(2) + u32(3)]      # (0, {.m=2,.n=3})
    for pid, v in zip(pv, vals):
        s.event(u64(30007) + u64(pid) + v)
    s.final()
    s.map(maps["@"], [(u64(0), i64(1) + i64(2) + cstr("string", 8) + i64(4) + i64(5))])
    s.map(maps["@a"], [(u64(0), b"".join(u32(x) for x in (1, 2, 3, 4)))])
    s.map(maps["@b"], [(u64(0), b"".join(u32(x) for x in (5, 6, 7, 8)))])
    s.map(maps["@bk"], [(bytes([6]) + cstr("ok_key", 8), u64(1))])
    s.map(maps["@bv"], [(u64(0), bytes([8]) + cstr("ok_value", 8))])
    s.map(maps["@mac"], [(u64(0), bytes([0, 0x1b, 0x21, 0xaa, 0xbb, 0x0c]))])
    s.map(maps["@n"], [(u64(0), i64(-100) + u32(10) + bytes([50]) + b"\0" * 3)])
    s.map(maps["@p"], [(u64(0), u64(0x1234))])
    s.map(maps["@r"], [(u32(2) + u32(3), u64(0))])
    s.map(maps["@s"], [(u64(0), u32(2) + u32(3))])
    s.map(maps["@t"], [(u64(0), i64(1) + u32(2) + u32(3))])
    s.map(maps["@x"], [(b"".join(u32(x) for x in (1, 2, 3, 4)) + i64(42), u64(0))])
    return s


def case_messages():
    s = Stream("BEGIN { ... }")
    M = s.meta
    M.add("join_delims", ",")
    M.add("join_delims", " ")
    s.attached(3)
    s.text("time", "12:34:56\n")
    s.text("system", "a b c\n")
    s.text("cat", 'file "contents"\n')
    s.event(u64(30005) + u64(0) + cstr("/bin/echo", 1024) + cstr("'A'", 1024) +
            b"\0" * 1024 * 14)
    s.event(u64(30005) + u64(1) + cstr("a", 1024) + cstr("b", 1024))   # short event
    s.lost(5)
    s.text("message", "Failed to attach watchpoint probe. You are out of watchpoint registers.\n")
    s.event(u64(30000))          # exit: handled by bt-load, ignored here
    s.final()
    return s


def case_one_probe_quiet():
    s = Stream("BEGIN { }")
    s.attached(1)
    s.final()
    return s


def case_helper_error():
    src = "BEGIN { @x[1] = 1; delete(@x[2]); }"
    s = Stream(src)
    M = s.meta
    e0 = M.helper_error("map_delete_elem", 1, 20, 1, 33)
    e1 = M.helper_error("probe_read", 1, 9, 1, 14)
    e2 = M.helper_error("map_update_elem", 1, 9, 1, 18)
    e3 = M.helper_error("map_lookup_elem", 1, 27, 1, 32)
    for eid, ret in ((e0, -2), (e1, -14), (e2, -7), (e3, 0)):
        s.event(u64(30006) + u64(eid) + u32(ret))
    return s


def case_misc_types():
    s = Stream("BEGIN { ... }")
    T, M = s.T, s.meta
    M.add("probe_names", "tracepoint:syscalls:sys_enter_read")
    M.add("cgroup_filters", "*")
    M.add("strftime_fmts", "%Y-%m-%d %H:%M:%S.%f")
    M.add("strftime_fmts", "%H:%M")
    cnt = T.simple("count", 8)
    probe, user = T.simple("probe", 8), T.simple("username", 8)
    inet, cg = T.simple("inet", 24), T.simple("cgroup_path", 16)
    ts, usym = T.simple("timestamp", 16), T.simple("usym", 24)
    m0 = M.map("@", cnt, [probe])
    m1 = M.map("@i", inet, [T.int(64, True)])
    m2 = M.map("@u", cnt, [user, usym])
    pv = [M.print_type(t) for t in (user, user, cg, ts, ts, ts)]
    p0, _, _ = M.printf("%s|%s\n", ts, ts)
    s.header_extra["realtime_offset"] = 1700000000 * 10**9 + 500000000
    s.rec("username", uid=0, name="root")
    s.rec("username", uid=1001, name=None)
    s.rec("cgroup", id=42, filter=0, path="unified:/user.slice")
    s.sym(True, 77, 0x401136, "main")
    for pid, v in zip(pv, [u64(0), u64(1001), u64(0) + u64(42),
                           u32(0) + u32(0) + u64(1750000000),
                           u32(0) + u32(2) + u64(1700000000 * 10**9),
                           u32(1) + u32(0) + u64(0)]):
        s.event(u64(30007) + u64(pid) + v)
    s.printf(p0, u32(1) + u32(0) + u64(3600 * 10**9), u32(0) + u32(0) + u64(999999))
    s.final()
    s.map(m0, [(u64(0), u64(13369))])
    s.map(m1, [(i64(2), u64(10) + b"\0" * 15 + b"\1"),
               (i64(1), u64(2) + bytes([10, 0, 0, 1]) + b"\0" * 12)])
    s.map(m2, [(u64(0) + u64(0x401136) + u64(77) + u64(0), u64(3))])
    return s


def case_exit_maps():
    s = Stream("BEGIN { @a = 0; @b = 0; @c = 0; exit(); }")
    T, M = s.T, s.meta
    i = T.int(64, True)
    ids = [M.map(n, i) for n in ("@a", "@b", "@c")]
    s.attached(1)
    s.final()
    for m in ids:
        s.map(m, [(u64(0), i64(0))])
    return s


def case_raw_text():
    """iterator output and the pin message are raw text, also in JSON"""
    s = Stream("iter:task { ... }")
    s.text("message", "Program pinned to /sys/fs/bpf/it\n")
    s.text("iter", "raw iterator ")
    s.text("iter", "output\n")
    s.text("future-kind", "unknown kinds are printed too\n")
    return s


def case_no_probes():
    s = Stream("kprobe:nonexistent* { }")
    s.attached(0)
    return s
