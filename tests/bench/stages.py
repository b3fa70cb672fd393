#!/usr/bin/env python3
"""stages.py - compile-stage timings and tracing-time memory (make bench).

usage: stages.py BUILD_DIR [REFERENCE_BPFTRACE]

Times bt-parse, bt-check and bt-codegen separately (best of 5; one run for
the 10,000- and 100,000-block scripts, stopped after 300 s; BENCH_100K=0
leaves out the 100,000 blocks) with their peak memory, on generated
scripts and (best of 3) on every program of the reference guide and the
tutorial (tests/fixtures/guide_programs: median, slowest), and measures
the resident memory of bt-load + bt-fmt during a trace.  (bpftrace 0.17
has no dry run to time its compile stages alone, so these have no ratio.)
"""
import os, subprocess, sys, tempfile, time, signal


def best(cmd, stdin_path=None, n=5, timeout=None):
    """Best wall time of n runs (s) and the largest peak RSS (MiB)."""
    times, peak = [], 0.0
    for _ in range(n):
        with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as f:
            t0 = time.perf_counter()
            try:
                r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdin=f,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   timeout=timeout)
            except subprocess.TimeoutExpired:
                return float("inf"), [f"over {timeout} s, stopped"], float("nan")
            times.append(time.perf_counter() - t0)
        lines = r.stderr.decode(errors="replace").strip().splitlines()
        if r.returncode != 0:
            return float("nan"), lines[:1], float("nan")
        try:
            peak = max(peak, int(lines[-1]) / 1024.0)
        except (ValueError, IndexError):
            pass
    return min(times), None, peak


def stage_times(b, name, prog, tmp, n=5, timeout=None):
    """Per stage: best wall time (ms) and peak RSS (MiB); and the sum."""
    src = os.path.join(tmp, name + ".bt")
    with open(src, "w") as f:
        f.write(prog)
    ast, ir = src + ".ast", src + ".ir"
    subprocess.run([f"{b}/bt-parse", "-o", ast, src])
    subprocess.run([f"{b}/bt-check", "-o", ir, ast])
    rows, total = [], 0.0
    for stage, cmd in (("parse", [f"{b}/bt-parse", src]), ("check", [f"{b}/bt-check", ast]),
                       ("codegen", [f"{b}/bt-codegen", ir])):
        t, err, peak = best(cmd, None, n, timeout)
        total += t
        rows.append((f"{name}.{stage}_ms", t * 1000, err))
        rows.append((f"{name}.{stage}_peak_mib", peak, None))
    rows.append((f"{name}.compile_s", total, None))
    return rows


def guide_times(b, tmp):
    """Per-stage median and slowest time over the guide's programs."""
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "guide_programs")
    per = {"parse": [], "check": [], "codegen": []}
    failed = 0
    for name in sorted(os.listdir(d)):
        src = os.path.join(d, name)
        ast, ir = os.path.join(tmp, "g.ast"), os.path.join(tmp, "g.ir")
        if (subprocess.run([f"{b}/bt-parse", "-o", ast, src], stderr=subprocess.DEVNULL).returncode or
                subprocess.run([f"{b}/bt-check", "-o", ir, ast], stderr=subprocess.DEVNULL).returncode):
            failed += 1   # needs what this machine lacks (kprobe names, headers...)
            continue
        for stage, cmd in (("parse", [f"{b}/bt-parse", src]), ("check", [f"{b}/bt-check", ast]),
                           ("codegen", [f"{b}/bt-codegen", ir])):
            t, err, _ = best(cmd, n=3)
            if err is None:
                per[stage].append((t, name))
    rows = []
    for stage, ts in per.items():
        ts.sort()
        if ts:
            rows.append((f"guide.{stage}_median_ms", ts[len(ts) // 2][0] * 1000, None))
            rows.append((f"guide.{stage}_max_ms", ts[-1][0] * 1000, [ts[-1][1]]))
    rows.append((f"guide.programs_timed", len(per["codegen"]), [f"{failed} not checkable here"]))
    return rows


def gen_probes(n):
    return "".join(f'interval:ms:{i + 1} {{ @c{i}[pid] = count(); if (pid > {i}) {{ printf("%d %s\\n", tid, comm); }} }}\n'
                   for i in range(n))


def gen_lines(n):
    body = "".join(f"  $x = $x + {i} * 3;\n" for i in range(n - 2))
    return "BEGIN {\n  $x = 0;\n" + body + "}\n"


CORE_PROG = "tracepoint:raw_syscalls:sys_enter { @[curtask->comm, curtask->real_parent->pid] = count(); }"


def tracing_rss(b, prog="tracepoint:raw_syscalls:sys_enter { @[tid] = count(); }", static=False):
    """RSS (MiB) of bt-load + bt-fmt while a trace runs (static: the
    `make static` runtime on an object compiled beforehand)."""
    if static:
        obj = os.path.join(tempfile.mkdtemp(), "p.obj")
        subprocess.run(f"{b}/bt-parse -e '{prog}' | {b}/bt-check | {b}/bt-codegen > {obj}",
                       shell=True, check=True)
        cmd = ["sh", "-c", f"{b}/static/bt-load {obj} | {b}/static/bt-fmt"]
    else:
        cmd = [f"{b}/bpftrace", "-e", prog]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    time.sleep(3)
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read().split()
            if int(st[4]) != os.getpgid(p.pid) or st[1] == "(sh)":
                continue
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, ProcessLookupError, IndexError, ValueError):
            pass
    os.killpg(p.pid, signal.SIGINT)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
    return total / 1024.0


def main():
    b = sys.argv[1]
    # 1,000 and more probe blocks are as many BPF programs: above bpftrace's default cap
    os.environ["BPFTRACE_MAX_BPF_PROGS"] = "1000000"
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        rows += stage_times(b, "probes1000", gen_probes(1000), tmp)
        rows += stage_times(b, "probes10000", gen_probes(10000), tmp, n=1, timeout=300)
        if os.environ.get("BENCH_100K", "1") != "0":
            rows += stage_times(b, "probes100000", gen_probes(100000), tmp, n=1, timeout=300)
        rows += stage_times(b, "lines10000", gen_lines(10000), tmp)
        rows += stage_times(b, "lines100000", gen_lines(100000), tmp, n=1)
        rows += stage_times(b, "hello", 'BEGIN { printf("hello\\n"); exit(); }', tmp)
        rows += guide_times(b, tmp)
        for name, v, err in rows:
            print(f"{name:28s} {v:10.2f}" + (f"  ({err[0]})" if err else ""))
        if os.geteuid() == 0:
            print(f"{'tracing_rss_mib':28s} {tracing_rss(b):10.2f}  (bt-load + bt-fmt, target <= 5)")
            print(f"{'tracing_rss_core_mib':28s} {tracing_rss(b, CORE_PROG):10.2f}  (CO-RE reads of curtask, target <= 8)")
            if os.path.exists(f"{b}/static/bt-load"):
                print(f"{'tracing_rss_static_mib':28s} {tracing_rss(b, CORE_PROG, True):10.2f}  (make static runtime, same program)")


if __name__ == "__main__":
    main()
