#!/usr/bin/env python3
"""mkstacks.py - saved `out` streams of profiles, for the folded output and
flame graph tests (tests/pictures.bats).

Usage: mkstacks.py OUT [--stacks N] [--seed S] [--shift F]

Writes a stream like `profile:hz:99 { @k[kstack] = count();
@u[pid, ustack] = count(); @b[comm, ustack, kstack] = count(); @h[comm] =
hist(...) }` would: random call trees over a fixed vocabulary of function
names (a few unresolved addresses among them), N distinct stacks per map
(default 40), counts from the seed.  --shift F moves F of the weight of
the first root function to the others (a "later run" for differential
graphs).  Only the standard library and mkout's encoder.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkout import Stream, u64, u32, cstr  # noqa: E402
from cases import hist_entries  # noqa: E402

KFUNCS = ["entry_SYSCALL_64", "do_syscall_64", "ksys_read", "vfs_read", "ext4_file_read_iter",
          "filemap_read", "copy_page_to_iter", "schedule", "__schedule", "pick_next_task",
          "asm_exc_page_fault", "exc_page_fault", "handle_mm_fault", "clear_page_erms",
          "tcp_sendmsg", "tcp_write_xmit", "ip_output"]
UFUNCS = ["_start", "__libc_start_main", "main", "run_loop", "parse_input", "hash_lookup",
          "memcpy", "malloc", "free", "render", "compress_block", "write_out"]


def chain(rng, vocab, base, depth):
    """leaf-first frames: (addr, name, offset, module); some unresolved"""
    names = [rng.choice(vocab[:3])] + [rng.choice(vocab) for _ in range(depth - 1)]
    frames = []
    for i, n in enumerate(names):
        if rng.random() < 0.05:
            frames.append((base + 0x100000 + rng.randrange(1 << 20), None, 0, None))
        else:
            frames.append((base + 0x1000 * vocab.index(n) + 16 * i, n, 16 * i,
                           "/usr/bin/prog" if base < (1 << 63) else None))
    return list(reversed(frames))


def build(n, seed, shift):
    rng = random.Random(seed)
    s = Stream("profile:hz:99 { @k[kstack] = count(); @u[pid, ustack] = count(); "
               "@b[comm, ustack, kstack] = count(); @h[comm] = hist(arg0); }")
    s.header_extra["host"] = {"name": "testhost", "release": "6.1.0", "boot_id": "x"}
    T, M = s.T, s.meta
    ks, us = T.stack(False, 0, 127), T.stack(True, 0, 127)
    cnt, pidt, comm = T.simple("count", 8), T.int(32, False), T.string(16)
    hist = T.simple("hist", 8)
    mb = M.map("@b", cnt, [comm, us, ks])
    mh = M.map("@h", hist, [comm])
    mk = M.map("@k", cnt, [ks])
    mu = M.map("@u", cnt, [pidt, us])
    kbase, ubase = 0xffffffff81000000, 0x400000
    s.attached(2)
    entries = {mb: [], mk: [], mu: []}
    sid = 0
    for m in (mk, mu, mb):
        for i in range(n):
            sid += 1
            key = b""
            if m == mb:
                key += cstr(rng.choice(["bash", "sshd", "postgres"]), 16)
            if m == mu:
                key += u32(1000 + rng.randrange(3))
            if m in (mu, mb):
                pid = 1000 + i % 3
                s.stack(True, pid, sid, chain(rng, UFUNCS, ubase, rng.randrange(1, 8)))
                key += u64(sid) + u32(pid) + u32(0)
                sid += 1
            if m in (mk, mb):
                depth = rng.randrange(0, 9) if m == mb else rng.randrange(1, 9)
                if depth:
                    s.stack(False, 0, sid, chain(rng, KFUNCS, kbase, depth))
                key += u64(sid)
            count = rng.randrange(1, 50)
            if i % 2 == 0:
                count = max(1, int(count * (1 - shift))) if i % 4 == 0 else int(count * (1 + shift))
            entries[m].append((key, u64(count)))
    s.final()
    s.map(mb, entries[mb])
    s.map(mh, hist_entries(cstr("bash", 16), [1, 2, 3, 100, 1000, 1000]) +
          hist_entries(cstr("sshd", 16), [5, 7, 4096]))
    s.map(mk, entries[mk])
    s.map(mu, entries[mu])
    return s


def main(argv):
    out, n, seed, shift = argv[1], 40, 1, 0.0
    args = argv[2:]
    while args:
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--stacks":
            n = int(val)
        elif opt == "--seed":
            seed = int(val)
        elif opt == "--shift":
            shift = float(val)
        else:
            print(__doc__, file=sys.stderr)
            return 1
    with open(out, "wb") as fp:
        fp.write(build(n, seed, shift).bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
