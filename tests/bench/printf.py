#!/usr/bin/env python3
"""printf.py - printf events delivered per second, measured to the last line.

usage: printf.py [--reps N] [--events N] [--bpf-stats] TRACER [TRACER...]

A TRACER is a command line that runs a bpftrace program given with -e
(our build/bpftrace, or "env LD_LIBRARY_PATH=... .../bpftrace" for a
reference bpftrace).  Each tracer runs

  tracepoint:syscalls:sys_enter_getppid { printf("%d %s %d\\n", tid, comm, nsecs); }

with its output in a file while event_loop makes N getppid() calls (500,000
unless said).  The figures, medians of the reps taken turn about:

  events_per_s   lines of the loop's process delivered / (the moment the
                 last line was written - the loop's start); the moment is
                 the output file's modification time, so nothing polls the
                 file while the loop runs (a poller competes for the CPUs)
  delivered_pct  lines of the loop's process / N
  loop_ns        the traced loop's nanoseconds per call (the loop's own
                 clock; untraced it is printed once as "untraced")
  loop_cpu_ns    the traced loop's CPU time (user + system) per call: what
                 a call costs when other processes share the CPUs
  tracer_cpu_s   user + system CPU of the tracer's processes from the
                 loop's start to the last line (bt-load and bt-fmt here)
  bpf_ns         with --bpf-stats: the average run time of the tracer's
                 BPF programs during the loop (the kernel's statistics,
                 which make every run ~40 ns slower, so the other figures
                 are not comparable with those of a run without them)

The last tracer is the reference: the others get ratio lines.
"""
import os, shlex, signal, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tools import enable_bpf_stats, prog_ids_of, prog_stats   # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROG = 'tracepoint:syscalls:sys_enter_getppid { printf("%d %s %d\\n", tid, comm, nsecs); }'
TICK = os.sysconf("SC_CLK_TCK")


def session_pids(sid):
    out = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and int(pid) != sid and os.getsid(int(pid)) == sid:
                out.append(int(pid))
        except OSError:
            pass
    return out


def cpu_s(pids):
    """user + system seconds of the processes (exited ones count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total / TICK


def one_run(tracer, loop, n, tmp, bpf_stats=False):
    path = os.path.join(tmp, "printf.out")
    out = open(path, "wb")
    p = subprocess.Popen(["/usr/bin/env"] + tracer + ["-e", PROG], stdout=out,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        if prog_ids_of(session_pids(p.pid)):
            break
        time.sleep(0.01)
    time.sleep(0.5)   # attached: let the start-up settle
    pids = session_pids(p.pid) + [p.pid]
    cpu0 = cpu_s(pids)
    if bpf_stats:
        ids = prog_ids_of(pids)
        stats_fd = enable_bpf_stats()
        ns0, runs0 = prog_stats(ids)
    start_ns = time.time_ns()
    lp = subprocess.Popen([loop, "syscall", str(n)], stdout=subprocess.PIPE, text=True)
    loop_out = lp.stdout.read()
    _, _, ru = os.wait4(lp.pid, 0)
    lp.stdout.close()
    res = {}
    if bpf_stats:
        ns1, runs1 = prog_stats(ids)
        os.close(stats_fd)
        res["bpf_ns"] = (ns1 - ns0) / (runs1 - runs0) if runs1 > runs0 else float("nan")
    # wait until every line is out, or the output stops growing for 2 s
    last_size, last_change = -1, time.monotonic()
    got = 0
    while True:
        with open(path, "rb") as f:
            data = f.read()
        got = data.count(b" event_loop ")
        if got >= n or time.monotonic() - last_change > 2.0:
            break
        if len(data) != last_size:
            last_size, last_change = len(data), time.monotonic()
        time.sleep(0.1)
    end_ns = os.stat(path).st_mtime_ns
    cpu1 = cpu_s(pids)
    os.killpg(p.pid, signal.SIGINT)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    out.close()
    wall = (end_ns - start_ns) / 1e9
    try:
        loop_ns = float(loop_out.split()[0])
    except (ValueError, IndexError):
        loop_ns = float("nan")
    return res | {"events_per_s": got / wall if wall > 0 else float("nan"),
            "delivered_pct": 100.0 * got / n, "last_line_s": wall,
            "loop_ns": loop_ns, "loop_cpu_ns": (ru.ru_utime + ru.ru_stime) * 1e9 / n,
            "tracer_cpu_s": cpu1 - cpu0}


def main():
    args = sys.argv[1:]
    reps, n, stats = 3, 500000, False
    tracers = []
    while args:
        a = args.pop(0)
        if a == "--reps":
            reps = int(args.pop(0))
        elif a == "--events":
            n = int(args.pop(0))
        elif a == "--bpf-stats":
            stats = True
        else:
            tracers.append(shlex.split(a))
    if not tracers:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        loop = os.path.join(tmp, "event_loop")
        subprocess.run(["gcc", "-O2", "-static", "-o", loop, os.path.join(HERE, "event_loop.c")],
                       check=True)
        base = subprocess.run([loop, "syscall", str(n)], capture_output=True, text=True)
        print(f"untraced loop_ns {base.stdout.strip()}")
        res = [{} for _ in tracers]
        for _ in range(reps):
            for i, t in enumerate(tracers):
                for k, v in one_run(t, loop, n, tmp, stats).items():
                    res[i].setdefault(k, []).append(v)
        ref = res[-1]
        for i, t in enumerate(tracers):
            name = f"{i}:{os.path.basename(t[-1])}"
            for k, vs in res[i].items():
                med = statistics.median(vs)
                line = f"{name:10s} {k:14s} {med:12.3f}  [{min(vs):.3f} .. {max(vs):.3f}]"
                if i != len(tracers) - 1 and statistics.median(ref[k]):
                    line += f"  ratio {med / statistics.median(ref[k]):.2f}x"
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
