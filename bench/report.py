#!/usr/bin/python3
"""The tables and plots of bench/run, from the raw files of one run.

    bench/report.py --out DIR [--quick]

DIR holds what bench/run left there: runs.tsv (driver, status, seconds),
run.env (the run's parameters) and <driver>.stdout with the drivers'
`FIGURE <system> <key> <value>` and `NOTE <system> <text>` lines. Prints the
tables on stdout and writes DIR/table.md (Markdown, for docs/benchmarks.md),
DIR/table.txt (what was printed) and, when gnuplot is there, the plots
DIR/throughput_vs_depth.png and DIR/throughput_vs_workers.png. Can be run
again on an old DIR. Standard library only (Debian's python3).
"""

import argparse
import math
import os
import shutil
import subprocess
import sys

PEERS = ["beanstalkd", "gearman", "celery", "rq"]
JOBQ = ["jobq-memory", "jobq-sqlite"]
# jobq's Python package (bench/python/run.sh), beside the Python peers.
JOBQ_PY = ["jobq-py-memory", "jobq-py-sqlite"]
PYTHON_PEERS = ["celery", "rq"]
# jobq's PostgreSQL store (bench/jobq/postgres_e2e.sh) and the
# PostgreSQL-native queues beside it (bench/peers/<name>/run.sh).
POSTGRES = "postgres-e2e"
POSTGRES_PEERS = ["pgq"]
# Which driver prints which system's figures.
DRIVER_OF = {"jobq-memory": "jobq", "jobq-sqlite": "jobq", "relay": "relay",
             "jobq-py-memory": "python", "jobq-py-sqlite": "python", POSTGRES: "postgres"}
DRIVER_OF.update({p: p for p in PEERS + POSTGRES_PEERS})

HIGHER, LOWER = "higher", "lower"
# (label, key, unit, which way is better)
COMMON_ROWS = [
    ("e2e noop, 1 worker", "e2e_1w_jobs_per_s", "jobs/s", HIGHER),
    ("e2e noop, 2 workers", "e2e_2w_jobs_per_s", "jobs/s", HIGHER),
    ("acknowledged enqueue", "enqueue_jobs_per_s", "jobs/s", HIGHER),
    ("latency p50", "lat_p50_us", "µs", LOWER),
    ("latency p99", "lat_p99_us", "µs", LOWER),
    ("RSS with 1M queued", "rss_1m_mb", "MB", LOWER),
]


# ---------------------------------------------------------------- reading


class Run:
    def __init__(self, out):
        self.out = out
        self.status = {}  # driver -> (status, seconds)
        self.order = []
        self.figures = {}  # system -> key -> value (float, or str if not a number)
        self.notes = []  # (system, text)
        self.params = {}
        self._read()

    def _read(self):
        path = os.path.join(self.out, "runs.tsv")
        if not os.path.exists(path):
            sys.exit(f"report: {path} is missing; was {self.out} written by bench/run?")
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 2 or not parts[0]:
                    continue
                secs = parts[2] if len(parts) > 2 else "?"
                self.status[parts[0]] = (parts[1], secs)
                self.order.append(parts[0])
        env = os.path.join(self.out, "run.env")
        if os.path.exists(env):
            with open(env, encoding="utf-8") as f:
                for line in f:
                    k, _, v = line.rstrip("\n").partition("=")
                    if k:
                        self.params[k] = v
        for driver in self.order:
            path = os.path.join(self.out, f"{driver}.stdout")
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    words = line.split()
                    if len(words) >= 4 and words[0] == "FIGURE":
                        system, key, value = words[1], words[2], words[3]
                        try:
                            number = float(value)
                            value = number if math.isfinite(number) else value
                        except ValueError:
                            pass
                        self.figures.setdefault(system, {})[key] = value
                    elif len(words) >= 3 and words[0] == "NOTE":
                        self.notes.append((words[1], line.split(None, 2)[2].strip()))

    def ran(self, system):
        return DRIVER_OF.get(system, system) in self.status

    def ok(self, system):
        return self.status.get(DRIVER_OF.get(system, system), ("",))[0] == "ok"

    def get(self, system, key):
        """The figure as a float, or None."""
        value = self.figures.get(system, {}).get(key)
        return value if isinstance(value, float) else None

    def cell(self, system, key, unit=""):
        """The figure formatted, or why there is none."""
        value = self.figures.get(system, {}).get(key)
        if isinstance(value, float):
            return fmt(value)
        if value is not None:
            return str(value)
        if not self.ok(system):
            return f"failed (see {DRIVER_OF.get(system, system)}.stderr)"
        return "—"


# ---------------------------------------------------------------- formatting


def fmt(value):
    if value is None:
        return "—"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_times(x):
    if x is None:
        return "—"
    return f"{x:.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def fmt_pct(x):
    return "—" if x is None else f"{100 * x:.0f} %"


def div(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def met(ok):
    return "n/a" if ok is None else ("yes" if ok else "NO")


def render_text(header, rows, title=None):
    widths = [len(h) for h in header]
    for row in rows:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def line(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]))
        return "  ".join(out).rstrip()

    lines = []
    if title:
        lines += [title, "=" * len(title)]
    lines.append(line(header))
    lines.append("  ".join("-" * w for w in widths))
    lines += [line(r) for r in rows]
    return "\n".join(lines)


def render_md(header, rows, title=None):
    def esc(c):
        return c.replace("|", "\\|")

    lines = []
    if title:
        lines += [f"### {title}", ""]
    lines.append("| " + " | ".join(esc(h) for h in header) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


class Doc:
    """Text for the terminal and Markdown for table.md, built side by side."""

    def __init__(self):
        self.text, self.md = [], []

    def para(self, text, md=None):
        self.text.append(text)
        self.md.append(text if md is None else md)

    def table(self, title, header, rows, notes=()):
        self.text.append(render_text(header, rows, title))
        self.md.append(render_md(header, rows, title))
        for n in notes:
            self.para(n)


# ---------------------------------------------------------------- tables


def peers_table(run, doc):
    peers = [p for p in PEERS if run.ran(p)]
    jobqs = [s for s in JOBQ]
    header = ["figure"] + jobqs
    for p in peers:
        header += [p, "× (m / s)"]
    rows = []
    for label, key, unit, better in COMMON_ROWS:
        label = rss_label(run) if key == "rss_1m_mb" else label
        arrow = "↑" if better == HIGHER else "↓"
        row = [f"{label} ({unit} {arrow})"] + [run.cell(s, key) for s in jobqs]
        for p in peers:
            row.append(run.cell(p, key))
            ratios = []
            for s in jobqs:
                j, q = run.get(s, key), run.get(p, key)
                ratios.append(div(j, q) if better == HIGHER else div(q, j))
            row.append(" / ".join(fmt_times(r) for r in ratios))
        rows.append(row)
    notes = [
        "↑ higher is better, ↓ lower is better. × (m / s) = how many times better jobq is than the peer "
        "to its left, with the memory store / the SQLite store: jobq/peer for throughput, peer/jobq for "
        "latency and RSS; above 1× jobq is better, below 1× the peer is.",
    ]
    if not peers:
        notes.append("No peer of this table was run (--quick runs none unless --peers is given)"
                     + ("; pgq is in the PostgreSQL table." if any(run.ran(p) for p in POSTGRES_PEERS) else "."))
    doc.table("jobq against its peers", header, rows, notes)


def ceiling_table(run, doc):
    relay_tp = run.get("relay", "throughput_msgs_per_s")
    header = ["figure", "relay", "jobq-memory", "memory vs relay", "jobq-sqlite",
              "sqlite vs relay", "target", "met (mem / sqlite)"]
    rows = []
    r = [run.cell("relay", "throughput_msgs_per_s"), run.cell("jobq-memory", "e2e_1w_jobs_per_s"),
         fmt_pct(div(run.get("jobq-memory", "e2e_1w_jobs_per_s"), relay_tp)),
         run.cell("jobq-sqlite", "e2e_1w_jobs_per_s"),
         fmt_pct(div(run.get("jobq-sqlite", "e2e_1w_jobs_per_s"), relay_tp)), "—", "—"]
    rows.append(["e2e throughput, 1 worker (msgs or jobs/s; fraction of relay)"] + r)
    for label, key, limit, strict in (("latency p50 (µs; multiple of relay)", "lat_p50_us", 1.5, False),
                                      ("latency p99 (µs; multiple of relay)", "lat_p99_us", 3.0, True)):
        base = run.get("relay", key)
        mult = [div(run.get(s, key), base) for s in JOBQ]
        oks = [None if m is None else (m < limit if strict else m <= limit) for m in mult]
        rows.append([label, run.cell("relay", key),
                     run.cell("jobq-memory", key), fmt_times(mult[0]),
                     run.cell("jobq-sqlite", key), fmt_times(mult[1]),
                     f"{'<' if strict else '≤'} {limit:g}×", " / ".join(met(o) for o in oks)])
    notes = ["The relay is a bare ZeroMQ ROUTER-ROUTER broker that forwards messages between one "
             "client and one worker (no protobuf, no store, no queue logic): the ceiling for jobq on "
             "this machine. The latency targets are jobq's (memory store); SQLite's are shown for reference."]
    doc.table("jobq against the ceiling (relay)", header, rows, notes)


def rss_label(run):
    n = run.params.get("BENCH_RSS_JOBS", "")
    return f"RSS with {int(n):,} queued" if n.isdigit() else "RSS with 1M queued"


def sized_keys(figures, prefix, suffix):
    """{N: value} for keys prefix<N>suffix."""
    found = {}
    for key, value in figures.items():
        if key.startswith(prefix) and key.endswith(suffix) and isinstance(value, float):
            middle = key[len(prefix):len(key) - len(suffix)]
            if middle.isdigit():
                found[int(middle)] = value
    return dict(sorted(found.items()))


def pick_n(found, want=1000):
    """(N, value) for N = want if printed, else the largest N printed; (want, None) if none."""
    if want in found:
        return want, found[want]
    if found:
        n = max(found)
        return n, found[n]
    return want, None


def targets_table(run, doc):
    mem = run.figures.get("jobq-memory", {})
    rows = []

    def row(label, value_cell, target, ok):
        rows.append([label, value_cell, target, met(ok)])

    def check(system, key, op, limit):
        v = run.get(system, key)
        if v is None:
            return None
        return v >= limit if op == ">=" else v < limit

    row("e2e noop, 1 worker, memory (jobs/s)", run.cell("jobq-memory", "e2e_1w_jobs_per_s"),
        "≥ 200,000", check("jobq-memory", "e2e_1w_jobs_per_s", ">=", 200000))
    row("e2e noop, 1 worker, SQLite, durable (jobs/s)", run.cell("jobq-sqlite", "e2e_1w_jobs_per_s"),
        "≥ 100,000", check("jobq-sqlite", "e2e_1w_jobs_per_s", ">=", 100000))
    row(f"{rss_label(run)}, memory (MB)", run.cell("jobq-memory", "rss_1m_mb"),
        "< 400", check("jobq-memory", "rss_1m_mb", "<", 400))
    row(f"{rss_label(run)}, SQLite (MB)", run.cell("jobq-sqlite", "rss_1m_mb"),
        "< 400", check("jobq-sqlite", "rss_1m_mb", "<", 400))

    depth = sized_keys(mem, "depth_", "_jobs_per_s")
    for n in (depth or {1000: None, 1000000: None}):
        row(f"throughput with {n:,} queued (jobs/s)",
            fmt(depth[n]) if n in depth else run.cell("jobq-memory", f"depth_{n}_jobs_per_s"), "", None)
        rows[-1][3] = ""
    if len(depth) >= 2:
        lo, hi = min(depth), max(depth)
        frac = div(depth[hi], depth[lo])
        row(f"depth {hi:,} / depth {lo:,}", fmt_pct(frac), "≥ 80 %", None if frac is None else frac >= 0.8)
    else:
        row("depth 1,000,000 / depth 1,000", "—", "≥ 80 %", None)

    workers = sized_keys(mem, "workers_", "_jobs_per_s")
    for w in (workers or {1: None}):
        row(f"e2e with {w} worker process{'es' if w != 1 else ''} (jobs/s)",
            fmt(workers[w]) if w in workers else run.cell("jobq-memory", f"workers_{w}_jobs_per_s"), "", None)
        rows[-1][3] = ""

    # Quick runs use fewer idle workers and sleeps than 1000: take the N printed.
    idle_n, idle = pick_n(sized_keys(mem, "idle_", "_workers_cpu_pct"))
    row(f"{idle_n:,} idle workers, broker CPU (% of a core)",
        fmt(idle) if idle is not None else run.cell("jobq-memory", "idle_1000_workers_cpu_pct"),
        "< 5 %", None if idle is None else idle < 5)
    sp = run.get("jobq-memory", "cpu_pool_speedup")
    row("CPU pool speed-up", fmt_times(sp) if sp is not None else run.cell("jobq-memory", "cpu_pool_speedup"),
        "≥ 1.85×", None if sp is None else sp >= 1.85)
    io_n, io = pick_n(sized_keys(mem, "io_pool_", "_sleep_s"))
    row(f"{io_n:,} × sleep 1 s, --io-threads {io_n} (s)",
        fmt(io) if io is not None else run.cell("jobq-memory", "io_pool_1000_sleep_s"),
        "< 1.5", None if io is None else io < 1.5)

    # The latency targets are in the ceiling table; count them here too.
    lat_oks = []
    for key, limit, strict in (("lat_p50_us", 1.5, False), ("lat_p99_us", 3.0, True)):
        m = div(run.get("jobq-memory", key), run.get("relay", key))
        lat_oks.append(None if m is None else (m < limit if strict else m <= limit))
    verdicts = [r[3] for r in rows if r[3]] + [met(o) for o in lat_oks]
    summary = (f"Targets met: {verdicts.count('yes')} of {len(verdicts)}"
               f" ({verdicts.count('NO')} missed, {verdicts.count('n/a')} not measured), "
               "latency targets of the ceiling table included.")
    doc.table("jobq figures and targets (memory store unless said)", ["figure", "value", "target", "met"],
              rows, [summary])


# (label, jobq-py key, the peers' key to compare with, unit, better, target (op, limit) or None)
PYTHON_ROWS = [
    ("e2e noop, 1 worker: Executor.map → C++ worker", "executor_cpp_jobs_per_s", "e2e_1w_jobs_per_s",
     "jobs/s", HIGHER, (">=", 50000)),
    ("e2e noop, 1 worker: C++ CLI → Python worker", "cli_pyworker_jobs_per_s", "e2e_1w_jobs_per_s",
     "jobs/s", HIGHER, (">=", 20000)),
    ("e2e noop, 1 worker: Executor.map → Python worker", "executor_pyworker_jobs_per_s", "e2e_1w_jobs_per_s",
     "jobs/s", HIGHER, None),
    ("latency p50: Executor → Python worker", "lat_p50_us", "lat_p50_us", "µs", LOWER, None),
    ("latency p99: Executor → Python worker", "lat_p99_us", "lat_p99_us", "µs", LOWER, None),
]
PYTHON_WORKLOADS = [("Executor.map → C++ worker", "executor_cpp"),
                    ("C++ CLI → Python worker", "cli_pyworker"),
                    ("Executor.map → Python worker", "executor_pyworker")]


def python_table(run, doc):
    """jobq.Executor and the Python worker (bench/python/run.sh) beside Celery and RQ."""
    if not run.ran("jobq-py-memory"):
        return
    peers = [p for p in PYTHON_PEERS if run.ran(p)]
    header = ["figure"] + JOBQ_PY
    for p in peers:
        header += [p, "× (m / s)"]
    header += ["target", "met (m / s)"]
    rows = []
    verdicts = []

    def check(value, target):
        if target is None or value is None:
            return None
        op, limit = target
        return value >= limit if op == ">=" else value < limit

    def target_cells(key, target):
        if target is None:
            return ["—", "—"]
        op, limit = target
        oks = [check(run.get(s, key), target) for s in JOBQ_PY]
        verdicts.extend(oks)
        shown = fmt(limit) if limit >= 1000 else f"{limit:g}"
        return [f"{'≥' if op == '>=' else '<'} {shown}", " / ".join(met(o) for o in oks)]

    for label, key, peer_key, unit, better, target in PYTHON_ROWS:
        arrow = "↑" if better == HIGHER else "↓"
        row = [f"{label} ({unit} {arrow})"] + [run.cell(s, key) for s in JOBQ_PY]
        for p in peers:
            row.append(run.cell(p, peer_key))
            ratios = []
            for s in JOBQ_PY:
                j, q = run.get(s, key), run.get(p, peer_key)
                ratios.append(div(j, q) if better == HIGHER else div(q, j))
            row.append(" / ".join(fmt_times(r) for r in ratios))
        rows.append(row + target_cells(key, target))
    # Quick runs sleep fewer than 10,000: take the N printed.
    sleeps = {s: pick_n(sized_keys(run.figures.get(s, {}), "async_sleep_", "_s"), 10000) for s in JOBQ_PY}
    n = sleeps["jobq-py-memory"][0]
    key = f"async_sleep_{n}_s"
    row = [f"{n:,} × asyncio.sleep(1) on 1 Python worker (s ↓)"] + [run.cell(s, key) for s in JOBQ_PY]
    for _ in peers:
        row += ["—", "—"]
    rows.append(row + target_cells(key, ("<", 2)))

    notes = [
        "Celery and RQ columns: their own e2e noop with 1 worker and latency (a Python producer and a "
        "Python worker on Redis), the figures of the peers table, from the same run. × (m / s) = how many "
        "times better jobq is, with the memory store / the SQLite store. Targets (issue 16): Executor.map "
        "≥ 50,000 jobs/s (100 × Celery's ~500), the Python worker ≥ 20,000 jobs/s, 10,000 concurrent "
        "asyncio.sleep(1) under 2 s.",
        f"Python targets met: {verdicts.count(True)} of {len(verdicts)} (memory and SQLite counted apart; "
        f"{verdicts.count(False)} missed, {verdicts.count(None)} not measured).",
    ]
    doc.table("Python: jobq.Executor and the Python worker beside Celery and RQ", header, rows, notes)

    cpu_rows = []
    for label, workload in PYTHON_WORKLOADS:
        row = [label]
        for process in ("broker", "worker", "producer"):
            row.append(" / ".join(fmt(run.get(s, f"{workload}_cpu_us_{process}")) for s in JOBQ_PY))
        cpu_rows.append(row)
    doc.table("CPU per job of the Python rows (µs, memory / SQLite)", ["workload", "broker", "worker", "producer"],
              cpu_rows, ["User + system CPU of each process over the measured runs, divided by the jobs: on "
                         "2 cores shared by all three, what a figure is limited by."])


def postgres_table(run, doc):
    """jobq's PostgreSQL store beside its SQLite store and the PostgreSQL-native queues (issue 20)."""
    peers = [p for p in POSTGRES_PEERS if run.ran(p)]
    if not run.ran(POSTGRES) and not peers:
        return
    pg = run.figures.get(POSTGRES, {})

    def jobq_value(key, failed):
        """The figure of postgres_e2e.sh as (float or None, cell)."""
        if not run.ran(POSTGRES):
            return None, "not run"
        if failed in pg:
            return None, f"failed (see {DRIVER_OF[POSTGRES]}.stderr)"
        return run.get(POSTGRES, key), run.cell(POSTGRES, key)

    def peer_cell(p, key):
        return run.cell(p, key) if key else "n/a"

    takeover_jobs = run.get(POSTGRES, "takeover_jobs")
    if takeover_jobs is None:
        n = run.params.get("BENCH_TAKEOVER_JOBS", "")
        takeover_jobs = float(n) if n.isdigit() else 1e6
    # (label, jobq PostgreSQL key, its failure key, SQLite key, the peers' key, better, target)
    rows_def = [
        ("e2e noop, 1 worker, durable", "jobs/s", "postgres_noop_jobs_per_s", "postgres_failed",
         "sqlite_noop_jobs_per_s", "e2e_1w_jobs_per_s", HIGHER, (">=", 50000)),
        ("acknowledged enqueue, no worker", "jobs/s", "postgres_acked_enqueues_per_s", "postgres_failed",
         None, "enqueue_jobs_per_s", HIGHER, None),
        (f"takeover with {takeover_jobs:,.0f} jobs stored, kill -9 to serving", "s", "takeover_s",
         "takeover_failed", None, None, LOWER, ("<=", 5)),
    ]
    header = ["figure", "jobq PostgreSQL", "jobq SQLite"]
    for p in peers:
        header += [p, "× (jobq PostgreSQL / peer)"]
    header += ["target", "met"]
    rows = []
    verdicts = []
    for label, unit, key, failed, sqlite_key, peer_key, better, target in rows_def:
        arrow = "↑" if better == HIGHER else "↓"
        value, cell = jobq_value(key, failed)
        if sqlite_key is None:
            sqlite_cell = "—"
        else:
            sqlite_cell = jobq_value(sqlite_key, "sqlite_failed")[1]
        row = [f"{label} ({unit} {arrow})", cell, sqlite_cell]
        for p in peers:
            row.append(peer_cell(p, peer_key))
            q = run.get(p, peer_key) if peer_key else None
            row.append(fmt_times(div(value, q) if better == HIGHER else div(q, value)))
        if target is None:
            row += ["—", "—"]
        else:
            op, limit = target
            ok = None if value is None else (value >= limit if op == ">=" else value <= limit)
            verdicts.append(ok)
            row += [f"{'≥' if op == '>=' else '≤'} {fmt(limit) if limit >= 1000 else f'{limit:g}'}", met(ok)]
        rows.append(row)
    notes = [
        "jobq PostgreSQL and SQLite: bench/jobq/postgres_e2e.sh, on a PostgreSQL 15 server of its own "
        "(fsync and synchronous_commit on): noop jobs submitted and waited for with `jobq submit --file "
        "--wait`, a fresh broker and one worker on each store; acknowledged enqueue = the same jobs with "
        "no worker until every one is acknowledged (committed); takeover = a standby beside the leader, "
        "the leader killed with -9, seconds until the standby has loaded every job and listens."
        + (" The peers: the same server configuration, their own server; what they measure and what "
           "differs is in their notes below. × = jobq PostgreSQL / peer for throughput: above 1× jobq "
           "is better." if peers else ""),
        f"PostgreSQL targets (issue 20) met: {verdicts.count(True)} of {len(verdicts)} "
        f"({verdicts.count(False)} missed, {verdicts.count(None)} not measured): ≥ 50,000 jobs/s end to "
        "end, 5 × what PostgreSQL-native queues report (Que ~10,000/s); serving within 5 s of the "
        "leader's death with 1,000,000 jobs stored.",
    ]
    if run.ran(POSTGRES) and takeover_jobs != 1e6:
        notes.append(f"The takeover here had {takeover_jobs:,.0f} jobs stored, not the target's 1,000,000 "
                     "(BENCH_TAKEOVER_JOBS): its verdict is for that count.")
    doc.table("The PostgreSQL store beside SQLite and the PostgreSQL-native queues", header, rows, notes)


def status_lines(run, doc):
    lines = []
    for d in run.order:
        status, secs = run.status[d]
        extra = "" if status == "ok" else f" — see {d}.stderr"
        lines.append(f"{d}: {status} ({secs} s){extra}")
    doc.para("Drivers:\n" + "\n".join("  " + l for l in lines),
             "Drivers: " + "; ".join(lines) + ".")


def notes_section(run, doc):
    if not run.notes:
        return
    text = ["Notes from the drivers:"] + [f"  {s}: {t}" for s, t in run.notes]
    md = ["Notes from the drivers:", ""] + [f"* **{s}**: {t}" for s, t in run.notes]
    doc.para("\n".join(text), "\n".join(md))


# ---------------------------------------------------------------- plots


def plot(run, quick):
    mem = run.figures.get("jobq-memory", {})
    series = {
        "throughput_vs_depth": sized_keys(mem, "depth_", "_jobs_per_s"),
        "throughput_vs_workers": sized_keys(mem, "workers_", "_jobs_per_s"),
    }
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print(f"report: gnuplot not found: no plots{' (fine with --quick)' if quick else ''}",
              file=sys.stderr)
        return quick  # a failure only where plots are wanted
    plot_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot")
    subtitle = ", ".join(x for x in (run.params.get("machine", ""), run.params.get("started", ""),
                                     "quick run (small counts)" if quick else "") if x)
    failed = False
    for name, points in series.items():
        if not points:
            print(f"report: no figures for {name}.png", file=sys.stderr)
            continue
        dat = os.path.join(run.out, name.replace("throughput_vs_", "") + ".dat")
        with open(dat, "w", encoding="utf-8") as f:
            for x, y in points.items():
                f.write(f'{x} {y} "{fmt(y)}"\n')
        png = os.path.join(run.out, f"{name}.png")

        def q(s):
            return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"

        expr = (f"dir={q(plot_dir + '/')}; datafile={q(dat)}; outfile={q(png)}; "
                f"subtitle={q(subtitle)}")
        proc = subprocess.run([gnuplot, "-e", expr, os.path.join(plot_dir, f"{name}.gp")],
                              capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(png):
            print(f"report: gnuplot failed for {name}.png:\n{proc.stderr}", file=sys.stderr)
            failed = True
    return not failed


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="the run's output directory")
    parser.add_argument("--quick", action="store_true", help="a --quick run (plots optional)")
    args = parser.parse_args()
    run = Run(args.out)
    quick = args.quick or run.params.get("quick") == "1"

    doc = Doc()
    counts = [f"{k}={v}" for k, v in run.params.items() if k.startswith("BENCH_")]
    kind = "quick run (BENCH_QUICK=1: the drivers' small counts; not comparable to the targets)" if quick \
        else "full run"
    doc.para(f"jobq benchmark, {run.params.get('started', '?')}, {kind}"
             + (f"; {', '.join(counts)}" if counts else "")
             + f"; relay {run.params.get('relay', '?')}. Machine: see machine.md.")
    peers_table(run, doc)
    ceiling_table(run, doc)
    targets_table(run, doc)
    python_table(run, doc)
    postgres_table(run, doc)
    status_lines(run, doc)
    notes_section(run, doc)

    text = "\n\n".join(doc.text) + "\n"
    md = "\n\n".join(doc.md) + "\n"
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(text)
    with open(os.path.join(args.out, "table.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(args.out, "table.md"), "w", encoding="utf-8") as f:
        f.write(md)
    return 0 if plot(run, quick) else 1


if __name__ == "__main__":
    sys.exit(main())
