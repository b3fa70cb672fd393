#!/usr/bin/env python3
"""tools.py - our programs side by side with the libbpf-tools (make bench).

usage: tools.py BUILD_DIR [--reps N] [--only NAME,...]

Debian's libbpf-tools are hand-written C + CO-RE BPF tools: what a tool
costs when nothing is compiled at run time.  For each tool below, a
bpftrace program printing the same information is run the same way, and
the two are measured turn about (theirs, ours, theirs, ours ...) so that
a ratio holds while the machine's speed drifts:

  start_exit_s   start to exit of a one-second run (the tool's own
                 duration option, or SIGINT one second after its header;
                 ours ends with interval:s:1 { exit(); })
  peak_mib       the largest resident size of any process of the run
                 (the kernel's maxrss of the process and what it reaped);
                 ours from the object cache (bt-cache), as every run of a
                 program after its first
  first_peak_mib the same for a run that compiles (BPFTRACE_CACHE_OBJECTS=0:
                 the first run of a program; theirs: peak_mib again)
  tracing_mib    resident memory of every process of the run while it
                 traces (ours: bt-load + bt-fmt; the compilers have exited)
  event_ns       nanoseconds added to one event by the tracer: the same
                 loop making the same number of events (event_loop.c),
                 untraced and traced, best of 3 each (the disk loop writes
                 to a loop device on /dev/shm: the VM's disk latency
                 varies by more than the tracing costs)
  event_cpu_ns   the same in CPU time of the loop's own processes (the
                 kernel's exact run time of the loop and the children it
                 reaped), which waits on pipes, the scheduler and the disk
                 do not blur; it counts the probes that run in the loop's
                 context (syscalls, exec, sched_switch/wakeup, block
                 issue), not block completions (a kworker's)
  bpf_ns         the average run time of the tracer's BPF programs while
                 the loop runs (the kernel's statistics, BPF_ENABLE_STATS)

Prints one line per tool and measure: theirs, ours, ours/theirs.
"""
import ctypes, json, os, resource, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
EXIT_AFTER_1S = "interval:s:1 { exit(); }\n"

# name: (their command for a 1 s run, their command until SIGINT,
#        our program (STOP marks where the 1 s exit goes), event loop)
TOOLS = {
    "syscount": (["syscount", "-d", "1"], ["syscount"], """
tracepoint:raw_syscalls:sys_enter { @[args.id] = count(); }
STOP""", ["syscall", "1000000"]),
    "opensnoop": (["opensnoop", "-d", "1"], ["opensnoop"], """
tracepoint:syscalls:sys_enter_open, tracepoint:syscalls:sys_enter_openat { @filename[tid] = args.filename; }
tracepoint:syscalls:sys_exit_open, tracepoint:syscalls:sys_exit_openat /@filename[tid]/ {
	$ret = args.ret;
	printf("%-6d %-16s %3d %3d %s\\n", pid, comm, $ret >= 0 ? $ret : -1, $ret >= 0 ? 0 : -$ret,
	       str(@filename[tid]));
	delete(@filename[tid]);
}
STOP
END { clear(@filename); }""", ["open", "200000"]),
    "execsnoop": (None, ["execsnoop"], """
tracepoint:syscalls:sys_enter_execve {
	printf("%-16s %-6d %-6d ", comm, pid, curtask->real_parent->tgid);
	join(args.argv);
}
STOP""", ["exec", "2000"]),
    # runqlat and biolatency look the start time up once and delete it
    # only when found, as the tools' handlers do (runqlat.bt and
    # biolatency.bt of bpftrace's tools look it up twice, delete always:
    # one or two hash lookups more per event).  runqlat does not enqueue
    # pid 0 (the idle task, switched out while running on every
    # idle->task switch), as the tool's trace_enqueue() does not: its
    # latencies are not in the tool's histogram, and storing them cost a
    # clock read and a hash update on half of the loop's switches.
    "runqlat": (["runqlat", "1", "1"], ["runqlat"], """
tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { @qtime[args.pid] = nsecs; }
tracepoint:sched:sched_switch {
	if (args.prev_state == 0 && args.prev_pid) { @qtime[args.prev_pid] = nsecs; }
	$ns = @qtime[args.next_pid];
	if ($ns) { @usecs = hist((nsecs - $ns) / 1000); delete(@qtime[args.next_pid]); }
}
STOP
END { clear(@qtime); }""", ["switch", "50000"]),
    "biolatency": (["biolatency", "1", "1"], ["biolatency"], """
tracepoint:block:block_rq_issue { @start[args.dev, args.sector] = nsecs; }
tracepoint:block:block_rq_complete {
	$t = @start[args.dev, args.sector];
	if ($t) { @usecs = hist((nsecs - $t) / 1000); delete(@start[args.dev, args.sector]); }
}
STOP
END { clear(@start); }""", ["disk", "2000"]),
    # The same two on the hooks the libbpf-tools use themselves (their
    # runqlat and biolatency attach tp_btf/raw_tp programs): raw
    # tracepoints, whose arguments are the kernel's own (the tasks, the
    # request) cast to their types, as a bpftrace user writes for
    # rawtracepoint probes (biolatency.bt keys by the request pointer too).
    # A perf-event tracepoint costs its detach a kernel grace period
    # (tracepoint_synchronize_unregister under event_mutex, one after the
    # other: ~50-100 ms each here); a raw tracepoint's is ~0.1 ms.
    "runqlat-raw": (["runqlat", "1", "1"], ["runqlat"], """
rawtracepoint:sched_wakeup, rawtracepoint:sched_wakeup_new { @qtime[((struct task_struct *)arg0)->pid] = nsecs; }
rawtracepoint:sched_switch {
	$prev = (struct task_struct *)arg1;
	$next = (struct task_struct *)arg2;
	if ($prev->__state == 0 && $prev->pid) { @qtime[$prev->pid] = nsecs; }
	$pid = $next->pid;
	$ns = @qtime[$pid];
	if ($ns) { @usecs = hist((nsecs - $ns) / 1000); delete(@qtime[$pid]); }
}
STOP
END { clear(@qtime); }""", ["switch", "50000"]),
    "biolatency-raw": (["biolatency", "1", "1"], ["biolatency"], """
rawtracepoint:block_rq_issue { @start[arg0] = nsecs; }
rawtracepoint:block_rq_complete {
	$t = @start[arg0];
	if ($t) { @usecs = hist((nsecs - $t) / 1000); delete(@start[arg0]); }
}
STOP
END { clear(@start); }""", ["disk", "2000"]),
}


class Run:
    """A tracer writing into a file, in its own session."""

    def __init__(self, cmd, out_path):
        self.out_path = out_path
        self.peak_path = out_path + ".peak"
        self.f = open(out_path, "wb")
        self.t0 = time.monotonic()
        # GNU time reports the maxrss of the process tree from wait4; a
        # child forked from python would count python's own pages.
        self.p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", self.peak_path] + cmd,
                                  stdout=self.f, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)

    def pids(self):
        """The processes of the run, GNU time itself left out."""
        out = []
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and int(pid) != self.p.pid and os.getsid(int(pid)) == self.p.pid:
                    out.append(pid)
            except OSError:
                pass
        return out

    def prog_ids(self):
        """Ids of the BPF programs the run holds (through links or prog fds)."""
        return prog_ids_of(self.pids())

    def running(self):
        """Whether the tracer has not exited, without reaping it (finish()
        reaps it, for its resource usage; Popen.poll() would take it)."""
        return os.waitid(os.P_PID, self.p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    def wait_ready(self, timeout=30):
        """Until the tracer holds BPF programs (the libbpf-tools attach
        right after loading; their header is buffered), then a moment."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running():
            if self.prog_ids():
                time.sleep(0.3)
                return True
            time.sleep(0.01)
        return False

    def rss_mib(self):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except (OSError, ValueError):
                pass
        return total / 1024.0

    def interrupt(self):
        try:
            os.killpg(self.p.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def finish(self, timeout=60):
        """Waits for the exit; returns (wall s, peak MiB)."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(self.p.pid, signal.SIGKILL)
                pid, status, ru = os.wait4(self.p.pid, 0)
                self.p.returncode = -9
                self.f.close()
                return float("nan"), float("nan")
            time.sleep(0.002)
        wall = time.monotonic() - self.t0
        self.p.returncode = os.waitstatus_to_exitcode(status)
        self.f.close()
        try:
            with open(self.peak_path) as f:
                peak = int(f.read().split()[-1]) / 1024.0
        except (OSError, ValueError, IndexError):
            peak = float("nan")
        return wall, peak


DISK = {}   # the block device (or file) the disk loop writes to


def ram_disk(tmp):
    """A loop device on a file in /dev/shm: its requests go through the
    block layer (block_rq_issue/complete fire) and complete in tens of
    microseconds, every time; the VM's own disk varies by more than the
    tracers cost.  A file on /var/tmp where losetup is not possible."""
    img = os.path.join("/dev/shm", f"bt-bench-{os.getpid()}.img")
    try:
        with open(img, "wb") as f:
            f.truncate(16 << 20)
        r = subprocess.run(["losetup", "--find", "--show", img], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.strip(), img
    except OSError:
        pass
    if os.path.exists(img):
        os.unlink(img)
    return os.path.join(tmp, "disk.dat"), None


def loop_ns(loop, args, tmp):
    """Best of 3 runs of the event loop: wall ns per event (as the loop
    prints it) and CPU ns per event of the loop's own processes (the
    kernel's precise run time of the loop and the children it reaped)."""
    extra = [DISK["path"]] if args[0] == "disk" else []
    best, best_cpu = float("inf"), float("inf")
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run([loop] + args + extra, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        try:
            best = min(best, float(r.stdout.split()[0]))
        except (ValueError, IndexError):
            return float("nan"), float("nan")
        best_cpu = min(best_cpu, cpu_s * 1e9 / int(args[1]))
    return best, best_cpu


def one_second_run(cmd, tmp):
    """start_exit_s and peak_mib of a run that stops after one second."""
    r = Run(cmd, os.path.join(tmp, "run.out"))
    if cmd[0] == "execsnoop":   # no duration option: SIGINT 1 s after its header
        r.wait_ready()
        time.sleep(1.0)
        r.interrupt()
    wall, peak = r.finish()
    if r.p.returncode != 0:   # a failed run is no figure (a refused program exits at once)
        with open(r.out_path, errors="replace") as f:
            tail = f.read()[-300:]
        print(f"{' '.join(cmd)[:60]}: exit status {r.p.returncode}: {tail!r}", file=sys.stderr)
        return float("nan"), float("nan")
    return wall, peak


def prog_ids_of(pids):
    """Ids of the BPF programs processes PIDS hold (through links or prog fds)."""
    ids = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fdinfo")
        except OSError:
            continue
        for fd in fds:
            try:
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    for line in f:
                        if line.startswith("prog_id:"):
                            ids.add(int(line.split()[1]))
            except (OSError, ValueError):
                pass
    return ids


def enable_bpf_stats():
    """The kernel counts BPF run time while the returned fd is open."""
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(16)   # union bpf_attr: enable_stats.type = 0 (run time)
    return libc.syscall(321, 32, attr, 16)   # SYS_bpf, BPF_ENABLE_STATS (x86-64)


def prog_stats(ids):
    """Total (run time ns, runs) of the programs."""
    ns = runs = 0
    for i in ids:
        r = subprocess.run(["bpftool", "-j", "prog", "show", "id", str(i)],
                           capture_output=True, text=True)
        try:
            info = json.loads(r.stdout)
            ns += info.get("run_time_ns", 0)
            runs += info.get("run_cnt", 0)
        except ValueError:
            pass
    return ns, runs


def traced_run(cmd, loop, loop_args, tmp):
    """tracing_mib, event_ns, event_cpu_ns and bpf_ns of a run until SIGINT."""
    base, base_cpu = loop_ns(loop, loop_args, tmp)
    r = Run(cmd, os.path.join(tmp, "trace.out"))
    if not r.wait_ready():
        r.interrupt()
        r.finish()
        return float("nan"), float("nan"), float("nan"), float("nan")
    time.sleep(0.2)
    rss = r.rss_mib()
    ids = r.prog_ids()
    stats_fd = enable_bpf_stats()
    ns0, runs0 = prog_stats(ids)
    ns, cpu = loop_ns(loop, loop_args, tmp)
    ns1, runs1 = prog_stats(ids)
    if stats_fd >= 0:
        os.close(stats_fd)
    r.interrupt()
    r.finish()
    bpf = (ns1 - ns0) / (runs1 - runs0) if runs1 > runs0 else float("nan")
    return rss, ns - base, cpu - base_cpu, bpf


def main():
    args = sys.argv[1:]
    reps, only = 3, None
    build = None
    while args:
        a = args.pop(0)
        if a == "--reps":
            reps = int(args.pop(0))
        elif a == "--only":
            only = args.pop(0).split(",")
        else:
            build = a
    if not build:
        print(__doc__)
        return 2
    ours = os.path.join(build, "bpftrace")
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        loop = os.path.join(tmp, "event_loop")
        subprocess.run(["gcc", "-O2", "-static", "-o", loop, os.path.join(HERE, "event_loop.c")],
                       check=True)
        DISK["path"], img = ram_disk(tmp)
        try:
            run_tools(ours, tmp, loop, reps, only)
        finally:
            if img:
                subprocess.run(["losetup", "-d", DISK["path"]])
                os.unlink(img)
    return 0


def run_tools(ours, tmp, loop, reps, only):
    print(f"{'tool':14s} {'measure':14s} {'libbpf-tools':>12s} {'ours':>10s} {'ratio':>7s}")
    for name, (their_1s, their_long, prog, loop_args) in TOOLS.items():
        if only and name not in only:
            continue
        short = os.path.join(tmp, name + ".bt")
        long_ = os.path.join(tmp, name + "-long.bt")
        with open(short, "w") as f:
            f.write(prog.replace("STOP", EXIT_AFTER_1S))
        with open(long_, "w") as f:
            f.write(prog.replace("STOP", ""))
        res = {"theirs": {}, "ours": {}}
        for _ in range(reps):
            for side, one, lng in (("theirs", their_1s or their_long, their_long),
                                   ("ours", [ours, short], [ours, long_])):
                wall, peak = one_second_run(one, tmp)
                first_peak = peak if side == "theirs" else \
                    one_second_run(["env", "BPFTRACE_CACHE_OBJECTS=0", ours, short], tmp)[1]
                rss, ns, cpu, bpf = traced_run(lng, loop, loop_args, tmp)
                for k, v in (("start_exit_s", wall), ("peak_mib", peak),
                             ("first_peak_mib", first_peak),
                             ("tracing_mib", rss), ("event_ns", ns), ("event_cpu_ns", cpu),
                             ("bpf_ns", bpf)):
                    res[side].setdefault(k, []).append(v)
        for k in ("start_exit_s", "peak_mib", "first_peak_mib", "tracing_mib", "event_ns",
                  "event_cpu_ns", "bpf_ns"):
            t = statistics.median(res["theirs"][k])
            o = statistics.median(res["ours"][k])
            ratio = o / t if t > 0 else float("nan")
            print(f"{name:14s} {k:14s} {t:12.3f} {o:10.3f} {ratio:6.2f}x")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
