"""The CPU pool: jobs in child processes, a crash costs only its own job."""

from __future__ import annotations

import json
from pathlib import Path

from jobq_cluster import Broker
from pyworker import PyWorker, cli, run, start_py_worker, wait_registered, worker_states


def test_cpu_jobs_run_in_children(broker: Broker, py_worker: PyWorker) -> None:
    pid = run(broker, "cpu_pid")["result"]
    assert pid != py_worker.pid
    assert run(broker, "square_sum", n=1000)["result"] == sum(i * i for i in range(1000))


def test_a_child_that_exits_fails_only_its_job(broker: Broker, py_worker: PyWorker) -> None:
    outcome = run(broker, "cpu_exit", "--retries", "0", code=3)
    assert outcome["state"] == "failed"
    assert outcome["error"]["type"] == "crashed"
    assert "exited with status 3" in outcome["error"]["message"]
    # The worker is still there and its pool still runs jobs.
    assert run(broker, "square_sum", n=10)["result"] == 285
    assert worker_states(broker)[py_worker.name]["state"] == "active"
    assert py_worker.running()


def test_a_segfault_fails_only_its_job(broker: Broker, py_worker: PyWorker) -> None:
    outcome = run(broker, "cpu_segfault")
    assert outcome["error"]["type"] == "crashed"
    assert "SIGSEGV" in outcome["error"]["message"]
    assert run(broker, "cpu_pid")["state"] == "succeeded"


def test_crashes_among_good_jobs(broker: Broker, py_worker: PyWorker) -> None:
    lines = []
    for i in range(30):
        lines.append(json.dumps({"task": "square_sum", "args": {"n": i}}))
        if i % 5 == 0:
            lines.append(json.dumps({"task": "cpu_exit", "args": {"code": 7}}))
    done = cli(broker, "submit", "--file", "-", "--wait", input="\n".join(lines) + "\n", timeout=120)
    outcomes = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(outcomes) == 36
    crashed = [o for o in outcomes if o["state"] == "failed"]
    assert len(crashed) == 6
    assert all(o["error"]["type"] == "crashed" for o in crashed)
    good = sorted(o["result"] for o in outcomes if o["state"] == "succeeded")
    assert good == sorted(sum(k * k for k in range(i)) for i in range(30))


def test_max_jobs_per_child_replaces_children(broker: Broker) -> None:
    worker = start_py_worker(broker, "--cpu-procs", "1", "--max-jobs-per-child", "2")
    wait_registered(broker, worker.name)
    pids = [run(broker, "cpu_pid")["result"] for _ in range(6)]
    # One child at a time, each retired after two jobs.
    assert pids[0] == pids[1] and pids[2] == pids[3] and pids[4] == pids[5]
    assert len(set(pids)) == 3


def test_without_cpu_children_cpu_tasks_run_on_threads(broker: Broker) -> None:
    worker = start_py_worker(broker, "--cpu-procs", "0")
    wait_registered(broker, worker.name)
    assert run(broker, "cpu_pid")["result"] == worker.pid
    pools = worker_states(broker)[worker.name]["pools"]
    assert [pool["kind"] for pool in pools] == ["io"]


def test_a_launcher_script_is_not_run_again_in_the_children(broker: Broker, tmp_path: Path) -> None:
    # As the jobq-py-worker script the build installs: no __main__ guard.
    launcher = tmp_path / "jobq-py-worker"
    launcher.write_text("import sys\n\nfrom jobq.worker.__main__ import main\n\nsys.exit(main())\n")
    worker = start_py_worker(broker, "--cpu-procs", "1", launcher=launcher)
    wait_registered(broker, worker.name)
    assert run(broker, "cpu_pid")["result"] != worker.pid
    assert worker.stderr().count(" started ") == 1
    assert list(worker_states(broker)) == [worker.name]
