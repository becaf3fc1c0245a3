"""Bad input fails at once and clearly, and sends nothing; an absent broker fails in time."""

from __future__ import annotations

import datetime
import socket
import time

import jobq
import pytest
from jobq_cluster import Broker, wait_until


def free_port() -> int:
    # Bound, read and closed: nothing listens there afterwards.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "kwargs", "culprit"),
    [
        ((object(),), {}, "positional argument 0 (object)"),
        ((), {"when": datetime.date(2024, 1, 1)}, "keyword argument 'when' (date)"),
        ((1, {2: {3, 4}}), {}, "positional argument 1 (dict)"),
        ((), {"x": float("nan")}, "keyword argument 'x' (float)"),
        ((b"bytes",), {}, "positional argument 0 (bytes)"),
    ],
)
def test_arguments_that_are_not_json_raise_type_error_and_send_nothing(
    broker: Broker, args: tuple, kwargs: dict, culprit: str
) -> None:
    with jobq.Executor(broker.frontend) as executor:
        with pytest.raises(TypeError, match="JSON-serialisable") as caught:
            executor.submit("echo", *args, **kwargs)
        assert culprit in str(caught.value)
        with pytest.raises(TypeError, match="JSON-serialisable"):
            executor.map("echo", [jobq.Kwargs(i=1), jobq.Kwargs(i=object())])
        with pytest.raises(TypeError, match="JSON-serialisable"):
            executor.client.submit_many([jobq.Job("echo", kwargs={"i": 1}), jobq.Job("echo", args=(object(),))])
        # Something that is sent, to know the ones before were not.
        marker = executor.options(queue="marker").submit("noop")
        assert len(wait_for_ack(marker)) == 36
        assert [job["queue"] for job in broker.all_jobs()] == ["marker"]
        executor.shutdown(cancel_futures=True)


def wait_for_ack(future: jobq.JobFuture) -> str:
    return wait_until(lambda: future.job_id, what="the job's ack")


def test_a_task_that_is_neither_a_name_nor_a_task_is_refused(broker: Broker) -> None:
    def undecorated() -> None:
        pass

    with jobq.Executor(broker.frontend) as executor:
        with pytest.raises(TypeError, match="@jobq.task"):
            executor.submit(undecorated)
        with pytest.raises(ValueError, match="empty"):
            executor.submit("")


def test_an_unreachable_broker_fails_within_the_connect_timeout() -> None:
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with jobq.Executor(endpoint, connect_timeout=1.0) as executor:
        future = executor.submit("noop")
        with pytest.raises(jobq.BrokerUnavailable) as caught:
            future.result(30)
    elapsed = time.monotonic() - started
    assert elapsed >= 0.9  # not before the timeout; result(30) bounds the other side
    message = str(caught.value)
    assert f"cannot reach the broker at {endpoint}" in message
    assert "is jobq-broker running?" in message
    assert "1 submitted job was not acknowledged" in message
    # The failure is sticky: later submits raise it at once.
    with pytest.raises((jobq.BrokerUnavailable, RuntimeError)):
        executor.submit("noop")


def test_a_client_keeps_failing_after_the_broker_was_unreachable() -> None:
    client = jobq.Client(f"tcp://127.0.0.1:{free_port()}", connect_timeout=0.5)
    with pytest.raises(jobq.BrokerUnavailable):
        client.submit("noop").result(30)
    with pytest.raises(jobq.BrokerUnavailable):
        client.submit("noop")
    client.close()


def test_a_malformed_endpoint_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="bad broker endpoint 'nonsense'"):
        jobq.Executor("nonsense")


def test_a_broker_that_stops_answering_fails_the_waiting_futures(broker: Broker) -> None:
    with jobq.Executor(broker.frontend, connect_timeout=1.0, reconnect_timeout=1.0) as executor:
        parked = executor.options(queue="nobody").submit("noop")
        wait_for_ack(parked)
        broker.kill()
        waiting = executor.submit("noop")
        with pytest.raises(jobq.BrokerUnavailable, match="could not reconnect within 1 s"):
            waiting.result(30)
        with pytest.raises(jobq.BrokerUnavailable):
            parked.result(30)
        executor.shutdown(wait=False)
