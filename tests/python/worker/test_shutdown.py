"""Leaving and losing: sentinel and SIGTERM drains, stop now, kill -9, a
broker restart. Jobs held are finished or handed back, never lost."""

from __future__ import annotations

import signal
from pathlib import Path

from jobq_cluster import Broker, wait_until
from pyworker import (
    cli,
    job_info,
    pid_alive,
    start_py_worker,
    submit,
    wait_outcome,
    wait_registered,
    worker_states,
)


def _running(broker: Broker, job_id: str) -> bool:
    return job_info(broker, job_id)["state"] == "running"


def test_sentinel_drains_the_worker(broker: Broker, tmp_path: Path) -> None:
    worker = start_py_worker(broker, "--io-threads", "2", "--cpu-procs", "1")
    wait_registered(broker, worker.name)
    marker = tmp_path / "started"
    before = submit(broker, "whoami", marker=str(marker), seconds=0.5)
    wait_until(marker.exists, what="the job ahead of the sentinel to start")
    done = cli(broker, "sentinel")
    assert done.returncode == 0, done.stderr
    after = submit(broker, "whoami")
    # The worker finishes what it holds, says BYE and exits 0.
    assert worker.wait_exit(timeout=30) == 0
    assert wait_outcome(broker, before)["result"]["pid"] == worker.pid
    assert "drained" in worker.stderr()
    # The job behind the barrier waits for the next worker.
    assert job_info(broker, after)["state"] == "queued"
    second = start_py_worker(broker)
    assert wait_outcome(broker, after)["result"]["pid"] == second.pid


def test_sigterm_finishes_held_jobs_then_exits(broker: Broker, tmp_path: Path) -> None:
    worker = start_py_worker(broker, "--io-threads", "2", "--cpu-procs", "1")
    wait_registered(broker, worker.name)
    marker, cpu_marker = tmp_path / "started", tmp_path / "cpu-started"
    io_job = submit(broker, "whoami", marker=str(marker), seconds=1.0)
    cpu_job = submit(broker, "spin", seconds=1.0, marker=str(cpu_marker))
    wait_until(lambda: marker.exists() and cpu_marker.exists(), what="both jobs to start")
    worker.signal(signal.SIGTERM)
    # Draining: the broker sends it nothing more.
    wait_until(lambda: _worker_state(broker, worker.name) in ("draining", None), what="draining")
    later = submit(broker, "whoami")
    assert worker.wait_exit(timeout=30) == 0
    assert wait_outcome(broker, io_job)["state"] == "succeeded"
    assert wait_outcome(broker, cpu_job)["result"] == "spun"
    assert job_info(broker, later)["state"] == "queued"
    assert "draining" in worker.stderr() and "drained" in worker.stderr()


def test_second_sigterm_hands_jobs_back(broker: Broker, tmp_path: Path) -> None:
    worker = start_py_worker(broker, "--io-threads", "2", "--cpu-procs", "0")
    wait_registered(broker, worker.name)
    marker = tmp_path / "started"
    job_id = submit(broker, "whoami", marker=str(marker), seconds=60, only_first=True)
    wait_until(marker.exists, what="the job to start")
    worker.signal(signal.SIGTERM)
    wait_until(lambda: "draining" in worker.stderr(), what="the drain to begin")
    worker.signal(signal.SIGTERM)
    # Within the wait, not the job's 60 s: the second SIGTERM did not drain.
    assert worker.wait_exit(timeout=20) == 0
    # BYE gave the job back at once; another worker finishes it.
    other = start_py_worker(broker, "--cpu-procs", "0")
    outcome = wait_outcome(broker, job_id, timeout=90)
    assert outcome["state"] == "succeeded"
    assert outcome["result"]["pid"] == other.pid


def test_drain_grace_bounds_a_drain(broker: Broker, tmp_path: Path) -> None:
    worker = start_py_worker(broker, "--cpu-procs", "0", "--drain-grace", "0.5")
    wait_registered(broker, worker.name)
    marker = tmp_path / "started"
    submit(broker, "whoami", marker=str(marker), seconds=60)
    wait_until(marker.exists, what="the job to start")
    worker.signal(signal.SIGTERM)
    assert worker.wait_exit(timeout=20) == 0
    assert "drain_timed_out" in worker.stderr()


def test_drain_does_not_wait_for_tasks_past_their_timeout(broker: Broker) -> None:
    worker = start_py_worker(broker, "--cpu-procs", "0")
    wait_registered(broker, worker.name)
    # Reported as timed out at once, though its thread stays busy.
    outcome = wait_outcome(broker, submit(broker, "stubborn", "--timeout", "0.2", seconds=120))
    assert outcome["error"]["type"] == "timeout"
    assert cli(broker, "sentinel").returncode == 0
    # Within the wait, not the stubborn task's 120 s.
    assert worker.wait_exit(timeout=30) == 0
    assert "tasks_abandoned" in worker.stderr()


def test_killed_worker_job_finishes_elsewhere(start_broker, tmp_path: Path) -> None:
    # A short liveness window (1 s) so the broker notices the dead worker soon.
    broker = start_broker("--heartbeat-ms", "100", "--liveness-misses", "10", "--lease-grace", "200ms")
    victim = start_py_worker(broker, "--cpu-procs", "0")
    wait_registered(broker, victim.name)
    marker = tmp_path / "started"
    job_id = submit(broker, "whoami", marker=str(marker), seconds=30, only_first=True)
    wait_until(marker.exists, what="the job to start on the first worker")
    victim.kill()
    rescuer = start_py_worker(broker, "--cpu-procs", "0")
    outcome = wait_outcome(broker, job_id, timeout=60)
    assert outcome["state"] == "succeeded"
    assert outcome["result"]["pid"] == rescuer.pid
    assert outcome["result"]["attempt"] >= 2


def test_killed_worker_takes_its_cpu_children_along(start_broker, tmp_path: Path) -> None:
    broker = start_broker("--heartbeat-ms", "100", "--liveness-misses", "10", "--lease-grace", "200ms")
    victim = start_py_worker(broker, "--cpu-procs", "1")
    wait_registered(broker, victim.name)
    marker = tmp_path / "started"
    job_id = submit(broker, "spin", seconds=30, marker=str(marker), only_first=True)
    wait_until(marker.exists, what="the CPU job to start")
    child = int(marker.read_text())
    victim.kill()
    wait_until(lambda: not pid_alive(child), timeout=10, what="the orphaned CPU child to die")
    start_py_worker(broker, "--cpu-procs", "1")
    assert wait_outcome(broker, job_id, timeout=60)["result"] == "spun"


def test_worker_reconnects_with_the_jobs_it_holds(start_broker, tmp_path: Path) -> None:
    broker = start_broker("--heartbeat-ms", "200", store="sqlite")
    worker = start_py_worker(broker, "--cpu-procs", "0")
    wait_registered(broker, worker.name)
    marker = tmp_path / "started"
    job_id = submit(broker, "whoami", marker=str(marker), seconds=2)
    wait_until(marker.exists, what="the job to start")
    # The broker acknowledges a SUBMIT only once everything changed before
    # it is committed: after this ack the store records the job as running.
    submit(broker, "noop", "--queue", "nobody-serves-this")
    broker.kill()
    restarted = broker.restart()
    # The worker notices (RECONNECT, or silence), registers again listing
    # the job it runs, and its result is taken: the job ran once, on the
    # first attempt, and was not dispatched again. (The restored broker
    # counts one attempt more: it skips an attempt number on restart.)
    outcome = wait_outcome(restarted, job_id, timeout=60)
    assert outcome["state"] == "succeeded", outcome
    assert outcome["result"]["pid"] == worker.pid
    assert outcome["result"]["attempt"] == 1
    assert worker.running()
    assert "held=1" in worker.stderr()
    assert int(_worker(restarted, worker.name)["jobs_done"]) == 1


def _worker(broker: Broker, name: str) -> dict:
    return worker_states(broker).get(name, {})


def _worker_state(broker: Broker, name: str) -> str | None:
    return _worker(broker, name).get("state")
