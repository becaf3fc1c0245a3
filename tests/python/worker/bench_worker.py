"""Throughput of the Python worker, the C++ CLI as producer (issue 16, item 6).

    PYTHONPATH=build/python:tests/python python3 tests/python/worker/bench_worker.py [--jobs N]

Starts a broker (memory store) on loopback and one Python worker, then:

* noop: N noop jobs through `jobq submit --file - --wait`, first submit to
  last outcome, the worker registered before the clock starts (as
  bench/run's e2e); worker --prefetch 1000 --cpu-procs 0, default threads;
* async_sleep: 10,000 jobs of `await asyncio.sleep(1)` at once on one
  worker (--async-slots 10000), first submit to last outcome.

Prints one line of JSON per run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jobq_cluster  # noqa: E402
from pyworker import start_py_worker, wait_registered  # noqa: E402


def _timed_batch(broker: jobq_cluster.Broker, lines: str, count: int) -> float:
    started = time.monotonic()
    done = subprocess.run(
        [jobq_cluster.cli_binary(), "--connect-timeout", "600", "submit", "--file", "-", "--wait"],
        input=lines,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **broker.cli_env()},
        check=False,
    )
    elapsed = time.monotonic() - started
    succeeded = sum('"state":"succeeded"' in line for line in done.stdout.splitlines())
    if done.returncode != 0 or succeeded != count:
        raise SystemExit(f"jobq submit failed ({done.returncode}, {succeeded}/{count}): {done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sleepers", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        broker = jobq_cluster.Broker.start(Path(directory))
        try:
            worker = start_py_worker(broker, "--prefetch", "1000", "--cpu-procs", "0")
            wait_registered(broker, worker.name)
            noop = '{"task":"noop"}\n' * args.jobs
            for run in range(args.runs):
                elapsed = _timed_batch(broker, noop, args.jobs)
                print(json.dumps({"figure": "python_worker_noop_e2e", "run": run + 1, "jobs": args.jobs,
                                  "seconds": round(elapsed, 3), "jobs_per_s": round(args.jobs / elapsed)}),
                      flush=True)  # fmt: skip
            worker.stop()
            sleeper = start_py_worker(broker, "--async-slots", str(args.sleepers), "--cpu-procs", "0")
            wait_registered(broker, sleeper.name)
            lines = '{"task":"asleep","args":{"seconds":1}}\n' * args.sleepers
            for run in range(args.runs):
                elapsed = _timed_batch(broker, lines, args.sleepers)
                print(json.dumps({"figure": "python_worker_async_sleep_1s", "run": run + 1,
                                  "jobs": args.sleepers, "seconds": round(elapsed, 3)}), flush=True)  # fmt: skip
        finally:
            jobq_cluster.stop_all()


if __name__ == "__main__":
    main()
