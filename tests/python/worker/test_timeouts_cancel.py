"""Timeouts and CANCEL in each pool: threads (cooperative), event loop (the
asyncio task is cancelled), CPU children (the child is killed and replaced)."""

from __future__ import annotations

from pathlib import Path

from jobq_cluster import Broker, wait_until
from pyworker import PyWorker, cli, pid_alive, run, submit, wait_outcome


def _cancel(broker: Broker, job_id: str) -> None:
    done = cli(broker, "cancel", job_id)
    assert done.returncode == 0, done.stderr


def test_io_timeout_reports_and_tells_the_task(broker: Broker, py_worker: PyWorker, tmp_path: Path) -> None:
    marker, seen = tmp_path / "started", tmp_path / "seen"
    outcome = run(
        broker, "watch_cancel", "--timeout", "0.3", seconds=30, marker=str(marker), seen=str(seen)
    )
    assert outcome["state"] == "failed"
    assert outcome["error"]["type"] == "timeout"
    assert "300 ms" in outcome["error"]["message"]
    # The task saw current_job().cancelled and stopped.
    wait_until(seen.exists, what="the task noticing its timeout")


def test_io_cancel_reaches_the_running_task(broker: Broker, py_worker: PyWorker, tmp_path: Path) -> None:
    marker, seen = tmp_path / "started", tmp_path / "seen"
    job_id = submit(broker, "watch_cancel", seconds=30, marker=str(marker), seen=str(seen))
    wait_until(marker.exists, what="the job to start")
    _cancel(broker, job_id)
    outcome = wait_outcome(broker, job_id)
    assert outcome["state"] == "cancelled"
    wait_until(seen.exists, what="the task noticing the cancel")


def test_sleep_task_stops_on_cancel(broker: Broker, py_worker: PyWorker) -> None:
    job_id = submit(broker, "whoami", seconds=30)
    wait_until(lambda: _state(broker, job_id) == "running", what="the job to run")
    _cancel(broker, job_id)
    assert wait_outcome(broker, job_id, timeout=10)["state"] == "cancelled"


def test_async_timeout_cancels_the_asyncio_task(broker: Broker, py_worker: PyWorker, tmp_path: Path) -> None:
    marker, seen = tmp_path / "started", tmp_path / "seen"
    outcome = run(
        broker, "asleep_watched", "--timeout", "0.3", seconds=30, marker=str(marker), seen=str(seen)
    )
    assert outcome["error"]["type"] == "timeout"
    # CancelledError reached the coroutine, which saw the job cancelled.
    wait_until(seen.exists, what="the coroutine to be cancelled")
    assert seen.read_text() == "True"
    # The loop is free for more.
    assert run(broker, "asleep", seconds=0.01)["result"] == 0.01


def test_async_cancel(broker: Broker, py_worker: PyWorker, tmp_path: Path) -> None:
    marker, seen = tmp_path / "started", tmp_path / "seen"
    job_id = submit(broker, "asleep_watched", seconds=30, marker=str(marker), seen=str(seen))
    wait_until(marker.exists, what="the job to start")
    _cancel(broker, job_id)
    assert wait_outcome(broker, job_id)["state"] == "cancelled"
    wait_until(seen.exists, what="the coroutine to be cancelled")


def test_cpu_timeout_kills_and_replaces_the_child(broker: Broker, py_worker: PyWorker, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    outcome = run(broker, "spin", "--timeout", "0.5", seconds=60, marker=str(marker))
    assert outcome["error"]["type"] == "timeout"
    assert "child was killed" in outcome["error"]["message"]
    child = int(marker.read_text())
    wait_until(lambda: not pid_alive(child), what="the timed-out child to be gone")
    # Replaced: the CPU pool still runs jobs.
    assert run(broker, "square_sum", n=10)["result"] == 285


def test_cpu_cancel_kills_the_child(broker: Broker, py_worker: PyWorker, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    job_id = submit(broker, "spin", seconds=60, marker=str(marker))
    wait_until(marker.exists, what="the job to start")
    child = int(marker.read_text())
    _cancel(broker, job_id)
    outcome = wait_outcome(broker, job_id)
    assert outcome["state"] == "cancelled"
    wait_until(lambda: not pid_alive(child), what="the cancelled child to be gone")
    assert run(broker, "cpu_pid")["state"] == "succeeded"


def _state(broker: Broker, job_id: str) -> str:
    done = cli(broker, "job", job_id, "--json")
    if done.returncode != 0:
        return ""
    import json

    return json.loads(done.stdout).get("state", "")
