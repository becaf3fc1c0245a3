"""The producer side of bench/python/run.sh. One subcommand per workload; each
prints its figures as ``key value`` lines on stdout, diagnostics on stderr.

    driver.py map --broker F --jobs N [--runs R] [--task T] [--profile FILE]
        Executor.map(T, N noop calls), first submit to last result, R runs
    driver.py latency --broker F --jobs N
        Executor.submit(noop).result(), one job at a time
    driver.py cli --cli JOBQ --broker F --line JSON --jobs N [--runs R]
        the C++ CLI as producer: `jobq submit --file FILE --wait` of N copies
        of the JSON line, from its start to its exit

``--pids name=PID,...`` (map and cli): the CPU time (user + system, from
/proc/PID/stat) each of those processes spent per job during the measured
runs, and the producer's own, printed as ``cpu_us_per_job_<name> X``: on 2
shared cores, what a figure is limited by is mostly whose CPU it is.

Each measured run comes after an unmeasured one of 1,000 jobs (connected,
warm); the figure printed is the median of the runs, each run's figure is
printed too.
"""

import argparse
import faulthandler
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import jobq
from jobq import Kwargs

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WARMUP = 1000


def log(*words):
    print("python driver:", *words, file=sys.stderr, flush=True)


def fail(message):
    sys.exit(f"python driver: {message}")


def out(key, value):
    print(f"{key} {value}", flush=True)


# --------------------------------------------------------------- CPU time


def parse_pids(text):
    pids = {}
    for item in filter(None, (text or "").split(",")):
        name, _, pid = item.partition("=")
        if not name or not pid.isdigit():
            fail(f"--pids takes name=PID,...; not {item!r}")
        pids[name] = int(pid)
    return pids


def process_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        # The command name, in parentheses, may hold spaces: split after it.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def own_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds of the named processes (and of this one, or of its children
    when the producer is a child) over the measured runs only."""

    def __init__(self, pids, producer):
        self.pids = pids
        self.producer = producer  # "self" or "children"
        self.total = {name: 0.0 for name in list(pids) + ["producer"]}
        self.jobs = 0

    def _read(self):
        now = {name: process_seconds(pid) for name, pid in self.pids.items()}
        now["producer"] = own_seconds() if self.producer == "self" else children_seconds()
        return now

    def __enter__(self):
        self.before = self._read()
        return self

    def add_jobs(self, jobs):
        self.jobs += jobs

    def __exit__(self, *exc):
        if exc[0] is None:
            after = self._read()
            for name in self.total:
                self.total[name] += after[name] - self.before[name]

    def print(self):
        if not self.jobs:
            return
        for name, seconds in self.total.items():
            out(f"cpu_us_per_job_{name}", f"{1e6 * seconds / self.jobs:.2f}")


# --------------------------------------------------------------- workloads


def run_map(args):
    pids = parse_pids(args.pids)
    # noop with no arguments: the payload is "{}", what the C++ rows send, and
    # a C++ built-in (which reads only JSON objects) accepts it.
    items = [Kwargs()] * args.jobs
    rates = []
    meter = CpuMeter(pids, "self")
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    with jobq.Executor(args.broker, connect_timeout=30) as executor:
        warm = list(executor.map(args.task, [Kwargs()] * WARMUP))
        if len(warm) != WARMUP:
            fail(f"warm-up: {len(warm)} results of {WARMUP}")
        for run in range(args.runs):
            with meter:
                if profiler:
                    profiler.enable()
                start = time.perf_counter()
                results = list(executor.map(args.task, items))
                elapsed = time.perf_counter() - start
                if profiler:
                    profiler.disable()
            meter.add_jobs(args.jobs)
            if len(results) != args.jobs or any(r is not None for r in results):
                fail(f"run {run + 1}: {len(results)} results of {args.jobs}, or not all None")
            rates.append(args.jobs / elapsed)
            log(f"map run {run + 1}: {args.jobs} jobs in {elapsed:.3f} s, {rates[-1]:,.0f} jobs/s")
            out(f"run{run + 1}_jobs_per_s", f"{rates[-1]:.1f}")
    out("e2e_jobs_per_s", f"{statistics.median(rates):.1f}")
    meter.print()
    if profiler:
        import pstats

        profiler.dump_stats(args.profile)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)


def run_latency(args):
    times = []
    with jobq.Executor(args.broker, connect_timeout=30) as executor:
        for i in range(100 + args.jobs):
            start = time.perf_counter()
            value = executor.submit(args.task).result(timeout=30)
            elapsed = time.perf_counter() - start
            if value is not None:
                fail(f"job {i}: result {value!r}, not None")
            if i >= 100:  # the first 100: connection and caches warming up
                times.append(elapsed)
    times.sort()

    def pct(p):
        return times[min(len(times) - 1, int(p / 100 * len(times)))] * 1e6

    out("lat_p50_us", f"{pct(50):.0f}")
    out("lat_p99_us", f"{pct(99):.0f}")
    out("lat_mean_us", f"{statistics.fmean(times) * 1e6:.0f}")


def cli_batch(args, path, count):
    """`jobq submit --file PATH --wait`: its wall seconds; fails unless every job succeeded."""
    argv = [args.cli, "--broker", args.broker, "--connect-timeout", "600", "submit", "--file", path, "--wait"]
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          check=False)
    elapsed = time.perf_counter() - start
    succeeded = done.stdout.count(b'"state":"succeeded"')
    if done.returncode != 0 or succeeded != count:
        fail(f"jobq submit --file --wait: exit {done.returncode}, {succeeded} of {count} succeeded: "
             f"{done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def run_cli(args):
    pids = parse_pids(args.pids)
    line = args.line.strip() + "\n"
    meter = CpuMeter(pids, "children")
    seconds = []
    with tempfile.TemporaryDirectory(dir=args.work) as directory:
        warm_path = os.path.join(directory, "warm.jsonl")
        path = os.path.join(directory, "jobs.jsonl")
        with open(warm_path, "w", encoding="utf-8") as f:
            f.write(line * min(WARMUP, args.jobs))
        with open(path, "w", encoding="utf-8") as f:
            f.write(line * args.jobs)
        if not args.no_warmup:
            cli_batch(args, warm_path, min(WARMUP, args.jobs))
        for run in range(args.runs):
            with meter:
                seconds.append(cli_batch(args, path, args.jobs))
            meter.add_jobs(args.jobs)
            log(f"cli run {run + 1}: {args.jobs} jobs in {seconds[-1]:.3f} s, "
                f"{args.jobs / seconds[-1]:,.0f} jobs/s")
            out(f"run{run + 1}_seconds", f"{seconds[-1]:.3f}")
    median = statistics.median(seconds)
    out("seconds", f"{median:.3f}")
    out("e2e_jobs_per_s", f"{args.jobs / median:.1f}")
    meter.print()


def main():
    # run.sh's `timeout` sends SIGTERM to a stuck run: say where every thread was.
    faulthandler.register(signal.SIGTERM, all_threads=True, chain=True)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("map", "latency", "cli"):
        p = sub.add_parser(name)
        p.add_argument("--broker", required=True, help="the broker's frontend")
        p.add_argument("--jobs", type=int, required=True)
        if name != "latency":
            p.add_argument("--runs", type=int, default=3)
            p.add_argument("--pids", default="", help="name=PID,... whose CPU per job to print")
        if name != "cli":
            p.add_argument("--task", default="noop")
    sub.choices["map"].add_argument("--profile", help="cProfile the measured runs into FILE")
    cli = sub.choices["cli"]
    cli.add_argument("--cli", required=True, help="the jobq CLI")
    cli.add_argument("--line", required=True, help="one job as a JSON line")
    cli.add_argument("--work", default=None, help="where the job files go")
    cli.add_argument("--no-warmup", action="store_true",
                     help="no unmeasured batch first (a batch of sleeps would only add its second)")
    args = parser.parse_args()
    if args.jobs < 1 or getattr(args, "runs", 1) < 1:
        fail("--jobs and --runs must be at least 1")
    {"map": run_map, "latency": run_latency, "cli": run_cli}[args.command](args)


if __name__ == "__main__":
    main()
