"""What future.result() raises when a job does not succeed: jobq.RemoteError."""

from __future__ import annotations

import pickle

import jobq
import pytest
from jobq_cluster import Broker


@pytest.fixture
def executor(broker: Broker, cpp_worker: object) -> jobq.Executor:
    with jobq.Executor(broker.frontend) as executor:
        yield executor


def remote_error(future: jobq.JobFuture) -> jobq.RemoteError:
    with pytest.raises(jobq.RemoteError) as caught:
        future.result(60)
    return caught.value


def test_unknown_task(executor: jobq.Executor) -> None:
    future = executor.submit("no_such_task", x=1)
    error = remote_error(future)
    assert error.type == "unknown_task"
    assert "no_such_task" in error.message
    assert error.job_id == future.job_id and len(error.job_id) == 36
    assert error.attempts == 1
    assert error.state == "failed" and future.state == "failed"
    assert isinstance(future.exception(), jobq.RemoteError)


def test_an_exception_in_the_task_names_its_class(executor: jobq.Executor) -> None:
    error = remote_error(executor.submit("fail", message="it broke"))
    assert error.type == "exception"
    assert error.message == "it broke"
    assert error.exception == "std::runtime_error"
    assert "std::runtime_error: it broke" in str(error)


def test_a_task_error_type_and_retries(executor: jobq.Executor) -> None:
    error = remote_error(executor.options(retries=2, backoff=0.01).submit("fail", type="over_quota", message="no"))
    assert error.type == "over_quota"
    assert error.attempts == 3
    assert error.state == "dead"


def test_timeout(executor: jobq.Executor) -> None:
    error = remote_error(executor.options(timeout=0.2).submit("sleep", seconds=30))
    assert error.type == "timeout"


def test_bad_arguments_to_a_cpp_task(executor: jobq.Executor) -> None:
    error = remote_error(executor.submit("sum_squares", n="many"))
    assert error.type == "bad_args"
    assert '"n"' in error.message


def test_a_refused_job_fails_alone(start_broker) -> None:
    broker = start_broker("--payload-max", "1024")
    with jobq.Executor(broker.frontend) as executor:
        big = executor.options(queue="q").submit("echo", text="x" * 5000)
        small = executor.options(queue="q").submit("echo", text="x")
        error = remote_error(big)
        assert error.type == "bad_request" and "--payload-max" in error.message
        assert error.state == "rejected" and error.job_id is None
        assert big.job_id is None
        executor.shutdown(cancel_futures=True)
    assert small.cancelled()


def test_remote_errors_pickle_with_their_fields() -> None:
    error = jobq.RemoteError(
        "exception", "boom", job_id="x", attempts=2, exception="ValueError", traceback="Traceback...", state="dead"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.type, copy.message, copy.job_id, copy.attempts, copy.exception, copy.traceback, copy.state) == (
        "exception", "boom", "x", 2, "ValueError", "Traceback...", "dead"
    )
    assert "Remote traceback:\nTraceback..." in str(copy)
