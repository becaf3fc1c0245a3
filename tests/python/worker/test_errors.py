"""How Python tasks fail: the spec's error types, the class name, the traceback."""

from __future__ import annotations

from jobq_cluster import Broker
from pyworker import PyWorker, run, start_py_worker, wait_registered


def test_exception_carries_class_and_traceback(broker: Broker, py_worker: PyWorker) -> None:
    outcome = run(broker, "boom", message="it broke")
    assert outcome["state"] == "failed"
    error = outcome["error"]
    assert error["type"] == "exception"
    assert error["exception"] == "ValueError"
    assert error["message"] == "it broke"
    # The task's frames, not the worker's.
    assert error["detail"].startswith("Traceback (most recent call last):")
    assert "pyworker_tasks.py" in error["detail"]
    assert "raise ValueError(message)" in error["detail"]
    assert "execute.py" not in error["detail"]
    assert error["detail"].rstrip().endswith("ValueError: it broke")


def test_exception_class_of_a_module_is_qualified(broker: Broker, py_worker: PyWorker) -> None:
    error = run(broker, "nested_boom")["error"]
    assert error["type"] == "exception"
    assert error["exception"] == "pyworker_tasks.CustomFailure"
    assert "in inner" in error["detail"]


def test_task_error_picks_the_type(broker: Broker, py_worker: PyWorker) -> None:
    error = run(broker, "task_error", type="not_found", message="no such order")["error"]
    assert error == {"type": "not_found", "message": "no such order", "detail": "more to say"}


def test_async_and_cpu_tasks_fail_alike(broker: Broker, py_worker: PyWorker) -> None:
    error = run(broker, "async_boom")["error"]
    assert (error["type"], error["exception"]) == ("exception", "KeyError")
    assert "raise KeyError" in error["detail"]
    error = run(broker, "cpu_boom")["error"]
    assert (error["type"], error["exception"], error["message"]) == (
        "exception",
        "RuntimeError",
        "raised in a child",
    )
    assert 'raise RuntimeError("raised in a child")' in error["detail"]


def test_arguments_that_do_not_bind_are_bad_args_and_not_retried(broker: Broker, py_worker: PyWorker) -> None:
    outcome = run(broker, "add", "--retries", "3", a=1, c=2)
    assert outcome["state"] == "failed"
    assert outcome["attempts"] == 1
    assert outcome["error"]["type"] == "bad_args"
    assert "unexpected keyword argument 'c'" in outcome["error"]["message"]


def test_unknown_task_lists_what_the_worker_runs(broker: Broker, py_worker: PyWorker) -> None:
    outcome = run(broker, "no_such_task", "--retries", "2")
    assert (outcome["state"], outcome["attempts"]) == ("failed", 1)
    assert outcome["error"]["type"] == "unknown_task"
    assert "add" in outcome["error"]["message"] and "boom" in outcome["error"]["message"]


def test_a_result_that_is_not_json_is_bad_result(broker: Broker, py_worker: PyWorker) -> None:
    outcome = run(broker, "returns_set", "--retries", "2")
    assert (outcome["state"], outcome["attempts"]) == ("failed", 1)
    assert outcome["error"]["type"] == "bad_result"
    assert "not JSON-serialisable" in outcome["error"]["message"]
    assert "set" in outcome["error"]["message"]


def test_results_nested_deeper_than_512_are_bad_result(broker: Broker, py_worker: PyWorker) -> None:
    assert run(broker, "returns_deep", levels=512)["state"] == "succeeded"
    error = run(broker, "returns_deep", levels=513)["error"]
    assert error["type"] == "bad_result"
    assert "deeper than 512" in error["message"]


def test_results_over_the_brokers_limit_fail_as_too_large(start_broker) -> None:
    broker = start_broker("--result-max", "1KiB")
    worker = start_py_worker(broker, "--cpu-procs", "0")
    wait_registered(broker, worker.name)
    assert run(broker, "returns_bytes", size=1000)["state"] == "succeeded"
    outcome = run(broker, "returns_bytes", "--retries", "2", size=2000)
    assert (outcome["state"], outcome["attempts"]) == ("failed", 1)
    assert outcome["error"]["type"] == "result_too_large"
    assert "1024" in outcome["error"]["message"]
