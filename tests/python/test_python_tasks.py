"""The Executor with the Python worker: arguments as Python passes them, remote tracebacks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import jobq
import pytest
from jobq_cluster import Broker, Program, wait_until

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import producer_tasks  # noqa: E402  (the tasks the worker imports too)


@pytest.fixture
def py_worker(broker: Broker) -> Program:
    env = {"PYTHONPATH": os.pathsep.join([str(HERE), *os.environ.get("PYTHONPATH", "").split(os.pathsep)])}
    argv = ["/usr/bin/python3", "-m", "jobq.worker", "--broker", broker.backend, "--name", "py-producer-tests",
            "--tasks", "producer_tasks", "--io-threads", "4", "--cpu-procs", "0"]  # fmt: skip
    worker = Program(argv, broker.directory / "py-worker", env=env)
    wait_until(lambda: "py-producer-tests" in broker.worker_names() or not worker.running(), what="the Python worker")
    assert worker.running(), worker.stderr()
    return worker


def test_positional_and_keyword_arguments_arrive_as_given(broker: Broker, py_worker: Program) -> None:
    with jobq.Executor(broker.frontend) as executor:
        future = executor.submit(producer_tasks.describe, 1, "two", [3], four={"4": None})
        assert future.result(60) == {"args": [1, "two", [3]], "kwargs": {"four": {"4": None}}}
        assert executor.submit("describe", x=1).result(60) == {"args": [], "kwargs": {"x": 1}}
        assert list(executor.map(producer_tasks.describe, [1, 2], ["a", "b"])) == [
            {"args": [1, "a"], "kwargs": {}},
            {"args": [2, "b"], "kwargs": {}},
        ]


def test_an_exception_comes_back_with_its_class_and_traceback(broker: Broker, py_worker: Program) -> None:
    with jobq.Executor(broker.frontend) as executor:
        assert executor.submit(producer_tasks.parse_amount, "12.5").result(60) == 12.5
        with pytest.raises(jobq.RemoteError) as caught:
            executor.submit(producer_tasks.parse_amount, "twelve").result(60)
    error = caught.value
    assert error.type == "exception"
    assert error.exception == "ValueError"
    assert "twelve" in error.message
    assert "Traceback" in error.traceback and "parse_amount" in error.traceback
    assert "float(text)" in error.traceback
    assert "Remote traceback:" in str(error)
