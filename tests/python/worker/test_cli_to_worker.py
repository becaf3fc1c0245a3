"""The C++ CLI submits, the Python worker runs: arguments, results, pools."""

from __future__ import annotations

import json

import pytest

from jobq_cluster import Broker, start_cpp_worker, wait_until
from pyworker import PyWorker, cli, run, start_py_worker, submit, wait_outcome, wait_registered, worker_states


def test_results_come_back_as_json(broker: Broker, py_worker: PyWorker) -> None:
    assert run(broker, "noop")["result"] is None
    outcome = run(broker, "add", a=2, b=40)
    assert outcome["state"] == "succeeded"
    assert outcome["attempts"] == 1
    assert outcome["result"] == 42
    assert run(broker, "echo", text="héllo", items=[1, {"k": None}])["result"] == {
        "text": "héllo",
        "items": [1, {"k": None}],
    }


def test_submit_then_wait_and_result_by_id(broker: Broker, py_worker: PyWorker) -> None:
    job_id = submit(broker, "add", a=1, b=2)
    assert wait_outcome(broker, job_id)["result"] == 3
    done = cli(broker, "result", job_id)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == 3


def test_python_executor_calls_with_positional_arguments(broker: Broker, py_worker: PyWorker) -> None:
    # The Python producer sends positional arguments as the call envelope
    # (application/vnd.jobq.call+json); the worker unpacks fn(*args, **kwargs).
    import jobq
    import pyworker_tasks

    with jobq.Executor(broker.frontend) as executor:
        assert executor.submit("add", 2, b=3).result(timeout=30) == 5
        assert list(executor.map(pyworker_tasks.add, [1, 2, 3], [10, 20, 30], timeout=30)) == [11, 22, 33]
        assert executor.submit(pyworker_tasks.asleep, 0.01).result(timeout=30) == 0.01
        failed = executor.submit(pyworker_tasks.boom, "from python")
        with pytest.raises(jobq.RemoteError) as raised:
            failed.result(timeout=30)
    assert raised.value.type == "exception"
    assert raised.value.exception == "ValueError"
    assert raised.value.message == "from python"
    assert 'raise ValueError(message)' in raised.value.traceback


def test_many_jobs_through_all_three_pools(broker: Broker, py_worker: PyWorker) -> None:
    lines = []
    for i in range(300):
        lines.append(json.dumps({"task": "add", "args": {"a": i, "b": 1}}))
        lines.append(json.dumps({"task": "asleep", "args": {"seconds": 0.01}}))
        lines.append(json.dumps({"task": "square_sum", "args": {"n": i}}))
    done = cli(broker, "submit", "--file", "-", "--wait", input="\n".join(lines) + "\n", timeout=120)
    assert done.returncode == 0, done.stderr
    outcomes = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(outcomes) == 900
    assert all(outcome["state"] == "succeeded" for outcome in outcomes)
    results = sorted(json.dumps(outcome["result"]) for outcome in outcomes)
    expected = sorted(
        [json.dumps(i + 1) for i in range(300)]
        + [json.dumps(0.01)] * 300
        + [json.dumps(sum(k * k for k in range(i))) for i in range(300)]
    )
    assert results == expected


def test_async_jobs_share_one_thread(broker: Broker) -> None:
    worker = start_py_worker(broker, "--io-threads", "2", "--cpu-procs", "0", "--async-slots", "500")
    wait_registered(broker, worker.name)
    baseline = run(broker, "threads_now")["result"]
    lines = "".join(json.dumps({"task": "async_threads_now"}) + "\n" for _ in range(400))
    done = cli(broker, "submit", "--file", "-", "--wait", input=lines, timeout=60)
    assert done.returncode == 0, done.stderr
    outcomes = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(outcomes) == 400
    # 400 jobs awaiting at once (each sleeps 0.5 s) ran on the event loop:
    # no thread per job.
    assert max(outcome["result"] for outcome in outcomes) <= baseline + 1
    states = worker_states(broker)
    assert states[worker.name]["pools"][0]["capacity"] == 2 + 500


def test_python_and_cpp_workers_share_a_queue(broker: Broker) -> None:
    cpp = start_cpp_worker(broker, "--io-threads", "2", "--cpu-procs", "0", name="cpp-mixed")
    py = start_py_worker(broker, "--io-threads", "2", "--cpu-procs", "0", name="py-mixed")
    wait_registered(broker, cpp.name, py.name)
    lines = "".join(json.dumps({"task": "sleep", "args": {"seconds": 0.05}}) + "\n" for _ in range(40))
    done = cli(broker, "submit", "--file", "-", "--wait", input=lines)
    assert done.returncode == 0, done.stderr
    outcomes = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    # Both workers' sleep answers alike, so a producer cannot tell them apart.
    assert [outcome["result"] for outcome in outcomes] == [{"slept": 0.05}] * 40

    def both_worked() -> bool:
        states = worker_states(broker)
        return all(int(states[name]["jobs_done"]) > 0 for name in (cpp.name, py.name))

    wait_until(both_worked, what="both workers reporting jobs done")


def test_worker_reports_its_pools_and_tasks(broker: Broker) -> None:
    worker = start_py_worker(broker, "--io-threads", "3", "--cpu-procs", "2", "--prefetch", "5")
    wait_registered(broker, worker.name)
    state = worker_states(broker)[worker.name]
    pools = {pool["kind"]: pool["capacity"] for pool in state["pools"]}
    # I/O: threads + the event loop's slots (pyworker_tasks has async
    # tasks) + prefetch; CPU: children + prefetch.
    assert pools == {"io": 3 + 1000 + 5, "cpu": 2 + 5}
    assert state["pid"] == worker.pid
