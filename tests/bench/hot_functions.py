#!/usr/bin/env python3
"""hot_functions.py - write bt-codegen/hot_functions.txt (make hot-functions).

usage: hot_functions.py BUILD_DIR [OUT]

bt-codegen is ~24 MiB of code, nearly all of it LLVM, and a compile runs
only a few MiB of it; but the functions it runs are scattered over the
whole binary and the kernel maps 64 KiB around each page a process
touches (fault-around), so a compile of a one-liner had nearly all of it
resident (24 MiB peak, of which 1.8 MiB is data).  The linker (lld's
--symbol-ordering-file) lays the functions listed in hot_functions.txt
out first and together, most used first.

The list is made by running bt-codegen under callgrind (which names every
function that runs) on every program of tests/fixtures/guide_programs and
of tests/bench/tools.py that compiles here, and keeping the names the
binary defines, ordered by how many programs ran them.  Regenerate it when
LLVM's version or bt-codegen changes much: a stale list costs memory only
(names the binary lacks are ignored), never correctness.
"""
import collections, concurrent.futures, os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import tools  # noqa: E402  (the libbpf-tools equivalents)

NAME = re.compile(r"^c?fn=\(\d+\) (.+)$")


def programs():
    d = os.path.join(ROOT, "tests", "fixtures", "guide_programs")
    for f in sorted(os.listdir(d)):
        with open(os.path.join(d, f)) as fh:
            yield f, fh.read()
    for name, (_, _, prog, _) in sorted(tools.TOOLS.items()):
        yield name, prog.replace("STOP", tools.EXIT_AFTER_1S)


def functions_run(build, name, prog, tmp):
    """The function names callgrind saw while bt-codegen compiled prog, or
    None when the program does not compile here (a probe type this kernel
    lacks)."""
    ir = os.path.join(tmp, name + ".ir")
    with open(ir, "wb") as out:
        r = subprocess.run(f"{build}/bt-parse -e \"$P\" | {build}/bt-check", shell=True,
                           env=dict(os.environ, P=prog), stdout=out, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        return None
    cg = os.path.join(tmp, name + ".cg")
    with open(ir, "rb") as f:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no",
                            f"--callgrind-out-file={cg}", f"{build}/bt-codegen"],
                           stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        return None
    names = set()
    with open(cg, errors="replace") as f:
        for line in f:
            m = NAME.match(line.rstrip("\n"))
            if m:
                names.add(m.group(1).split("'")[0])   # 'N: callgrind's recursion mark
    return names


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "bt-codegen", "hot_functions.txt")
    defined = set()
    nm = subprocess.run(["nm", "--defined-only", f"{build}/bt-codegen"],
                        capture_output=True, text=True, check=True).stdout
    for line in nm.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tTwW":
            defined.add(p[2])
    uses = collections.Counter()
    compiled = 0
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        jobs = [pool.submit(functions_run, build, n, p, tmp) for n, p in programs()]
        for j in jobs:
            names = j.result()
            if names is not None:
                compiled += 1
                uses.update(names & defined)
    if not compiled:
        sys.exit("hot_functions.py: no program compiled")
    order = sorted(uses, key=lambda n: (-uses[n], n))
    with open(out, "w") as f:
        f.write("# bt-codegen's functions that compiles run, most used first: the\n"
                "# linker lays them out together (Makefile, lld --symbol-ordering-file).\n"
                f"# Made by tests/bench/hot_functions.py from {compiled} programs; do not edit.\n")
        f.write("".join(n + "\n" for n in order))
    print(f"{out}: {len(order)} functions from {compiled} programs")


if __name__ == "__main__":
    main()
