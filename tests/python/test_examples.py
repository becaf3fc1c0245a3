"""The reference's examples, ported to jobq (examples/python), run as a
user runs them: a broker, a Python worker with their tasks, each script a
process of its own. They stay true to the API because this runs them.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

import jobq_cluster
from jobq_cluster import Broker, Program, wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def _python_path() -> str:
    entries = [str(EXAMPLES)] + [
        str(Path(entry).resolve()) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry
    ]
    return os.pathsep.join(entries)


@pytest.fixture
def http_page() -> Iterator[str]:
    """A local page to fetch: the examples need no network."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            body = b"x" * 1000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/page"
    server.shutdown()
    thread.join()


@pytest.fixture
def py_worker(broker: Broker) -> Program:
    worker = Program(
        [sys.executable, "-m", "jobq.worker", "--broker", broker.backend, "--name", "examples",
         "--queues", "py", "--io-threads", "4", "--cpu-procs", "2", "--tasks", "tasks"],
        broker.directory / "examples-worker",
        env={"PYTHONPATH": _python_path()},
    )  # fmt: skip
    wait_until(lambda: "examples" in broker.worker_names(), what="the examples' worker")
    return worker


def run_example(broker: Broker, script: str, *args: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120 * jobq_cluster.time_scale(),
        env={**os.environ, "PYTHONPATH": _python_path(), "JOBQ_BROKER": broker.frontend, **env},
    )
    assert done.returncode == 0, f"{script} exited {done.returncode}: {done.stderr}"
    return done.stdout


def test_fetch_urls_on_the_thread_pools(broker: Broker, py_worker: Program, http_page: str) -> None:
    out = run_example(broker, "fetch_urls.py", http_page)
    assert out.count(f"{http_page}: 1000 bytes") == 10, out
    assert "10 fetches in" in out


def test_cpu_bound_work_on_the_process_pools(broker: Broker, py_worker: Program) -> None:
    out = run_example(broker, "cpu_sum_squares.py", JOBQ_EXAMPLE_N="200000")
    assert "one after another" in out and "speed-up" in out, out
    # 1000! has 2,568 digits; the script checks the parallel sums itself.
    assert "[2568, 2571, 2574, 2577, 2580] digits" in out, out


def test_asyncio_gather_on_the_event_loop(broker: Broker, py_worker: Program) -> None:
    out = run_example(broker, "async_gather.py", JOBQ_EXAMPLE_COUNT="300")
    assert "300 concurrent asyncio.sleep(1) tasks" in out and "300 succeeded" in out, out


def test_as_completed_with_one_try_per_future(broker: Broker, py_worker: Program) -> None:
    out = run_example(broker, "as_completed_errors.py")
    assert "Task 3 generated an exception: ValueError: Task 3 failed" in out, out
    assert sum(f"Task {i} completed" in out for i in (0, 1, 2, 4)) == 4, out


def test_producer_consumer_stops_at_the_sentinel(broker: Broker, py_worker: Program) -> None:
    out = run_example(broker, "producer_consumer.py")
    assert [line.strip() for line in out.splitlines()[:5]] == [f"consumed item_{i}" for i in range(5)], out
    # The sentinel behind the items drains the worker, which then exits 0.
    assert py_worker.wait_exit() == 0, py_worker.stderr()
