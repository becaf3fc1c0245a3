"""End-to-end noop throughput of jobq.Executor.map with the C++ worker.

    PYTHONPATH=build/python:tests/python python3 tests/python/bench_executor.py \
        [--jobs N] [--runs R] [-- WORKER_FLAGS...]

Starts a broker (memory store) and one `jobq-worker --io-threads 8
WORKER_FLAGS` on loopback, then times Executor.map over N noop jobs, from
the first submit to the last result, as bench/run's e2e does (bench/run's
worker has `--prefetch 1000 --cpu-procs 0`). Prints one line of JSON with
the rate of each run and the CPU seconds each process used.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import jobq
import jobq_cluster


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("worker_flags", nargs="*", help="further jobq-worker flags, after --")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        broker = jobq_cluster.Broker.start(Path(directory))
        try:
            worker = jobq_cluster.start_cpp_worker(broker, "--io-threads", "8", *args.worker_flags)
            broker.wait_for_workers(1)
            runs = []
            with jobq.Executor(broker.frontend) as executor:
                list(executor.map("noop", [None] * 1000))  # connected and warm
                for _ in range(args.runs):
                    pids = {"producer": os.getpid(), "broker": broker.pid, "worker": worker.pid}
                    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                    start = time.perf_counter()
                    results = list(executor.map("noop", [None] * args.jobs))
                    elapsed = time.perf_counter() - start
                    assert len(results) == args.jobs
                    cpu = {name: round(cpu_seconds(pid) - before[name], 2) for name, pid in pids.items()}
                    runs.append({"jobs_per_s": round(args.jobs / elapsed), "cpu_s": cpu})
            print(json.dumps({"jobs": args.jobs, "worker_flags": args.worker_flags, "runs": runs}))
        finally:
            jobq_cluster.stop_all()


if __name__ == "__main__":
    main()
