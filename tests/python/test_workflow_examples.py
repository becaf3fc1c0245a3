"""examples/workflows/python, run as a user runs it: a broker, a Python worker
with its tasks, the script a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jobq_cluster
from jobq_cluster import Broker, Program, wait_until
from test_examples import http_page  # noqa: F401  (a fixture: a local page to fetch)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workflows" / "python"


def test_the_chain_and_the_chord_run(broker: Broker, http_page: str, tmp_path: Path) -> None:  # noqa: F811
    path = os.pathsep.join([str(EXAMPLE), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)])
    worker = Program(
        [sys.executable, "-m", "jobq.worker", "--broker", broker.backend, "--name", "pipeline",
         "--queues", "py", "--io-threads", "4", "--cpu-procs", "2", "--tasks", "pipeline_tasks"],
        broker.directory / "pipeline-worker",
        env={"PYTHONPATH": path},
    )  # fmt: skip
    wait_until(lambda: "pipeline" in broker.worker_names() or not worker.running(), what="the example's worker")
    assert worker.running(), worker.stderr()
    stored = tmp_path / "stored"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "pipeline.py"), http_page, str(stored)],
        capture_output=True,
        text=True,
        timeout=120 * jobq_cluster.time_scale(),
        env={**os.environ, "PYTHONPATH": path, "JOBQ_BROKER": broker.frontend, "JOBQ_EXAMPLE_CHUNK": "20000"},
    )
    assert done.returncode == 0, f"pipeline.py exited {done.returncode}: {done.stderr}"
    out = done.stdout
    assert f"{http_page} -> 1000 bytes" in out, out
    n = 100 * 20_000
    assert f"100 chunks, sum of squares below {n:,} = {(n - 1) * n * (2 * n - 1) // 6} (exact)" in out, out
    (written,) = stored.iterdir()
    assert written.read_text().endswith(f" 1000 {http_page}\n")
