"""jobq.Client: submit_many, waits by id, result, cancel, sentinel."""

from __future__ import annotations

import uuid

import jobq
import pytest
from jobq_cluster import Broker, run_cli, start_cpp_worker


def test_submit_many_then_wait_by_id_from_another_client(broker: Broker, cpp_worker: object) -> None:
    with jobq.Client(broker.frontend) as producer:
        futures = producer.submit_many(
            [jobq.Job("echo", kwargs={"i": i}) for i in range(100)] + [jobq.Job("fail", kwargs={"message": "no"})],
            notify=False,
        )
        # Without notify a future resolves to the job id at its ack.
        ids = [f.result(30) for f in futures]
        assert all(len(i) == 36 for i in ids) and len(set(ids)) == 101
    with jobq.Client(broker.frontend) as watcher:
        outcomes = watcher.wait(ids, timeout=60)
    assert [o.result for o in outcomes[:100]] == [{"i": i} for i in range(100)]
    assert all(o.ok and o.state == "succeeded" and o.attempts == 1 for o in outcomes[:100])
    failed = outcomes[100]
    assert not failed.ok and failed.state == "failed"
    assert failed.error.type == "exception" and failed.error.message == "no"
    assert failed.job_id == ids[100]


def test_result_and_futures_of_jobs_the_cli_submitted(broker: Broker, cpp_worker: object) -> None:
    submitted = broker.run_cli("submit", "sum_squares", "--arg", "n=4")
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.split('"id":"')[1].split('"')[0]
    with jobq.Client(broker.frontend) as client:
        assert client.result(job_id, timeout=30) == {"n": 4, "sum": "14"}
        [future] = client.futures([uuid.UUID(job_id)])
        assert future.result(30) == {"n": 4, "sum": "14"}
        assert future.job_id == job_id and future.attempts == 1


def test_an_unknown_id_is_an_unknown_job(broker: Broker) -> None:
    with jobq.Client(broker.frontend) as client:
        with pytest.raises(jobq.RemoteError) as caught:
            client.result(str(uuid.uuid4()), timeout=30)
        assert caught.value.type == "unknown_job"
        with pytest.raises(ValueError, match="not a job id"):
            client.result("nonsense")


def test_wait_times_out_without_cancelling_the_job(broker: Broker) -> None:
    with jobq.Client(broker.frontend) as client:
        job_id = client.submit_many([jobq.Job("noop")], notify=False)[0].result(30)
        with pytest.raises(TimeoutError):
            client.wait([job_id], timeout=0.3)
        [job] = broker.all_jobs()
        assert job["state"] == "queued"


def test_cancel_by_id(broker: Broker) -> None:
    with jobq.Client(broker.frontend) as client:
        job_id = client.submit_many([jobq.Job("noop")], notify=False)[0].result(30)
        client.cancel([job_id])
        [outcome] = client.wait([job_id], timeout=30)
        assert outcome.state == "cancelled" and outcome.error.type == "cancelled"


def test_sentinel_stops_the_worker_after_the_jobs_before_it(broker: Broker) -> None:
    worker = start_cpp_worker(broker, "--io-threads", "2")
    broker.wait_for_workers(1)
    with jobq.Client(broker.frontend) as client:
        before = [client.submit("sleep", seconds=0.05) for _ in range(10)]
        client.sentinel("default", timeout=30)
        after = client.submit_many([jobq.Job("noop")], notify=False)[0].result(30)
        assert worker.wait_exit(60) == 0
        assert [f.result(30) for f in before] == [{"slept": 0.05}] * 10
        # Behind the barrier: waits for the next worker.
        assert {j["id"]: j["state"] for j in broker.all_jobs()}[after] == "queued"
        start_cpp_worker(broker)
        assert client.result(after, timeout=30) is None


def test_jobs_of_another_producer_are_seen_by_the_cli(broker: Broker, cpp_worker: object) -> None:
    with jobq.Executor(broker.frontend) as executor:
        future = executor.submit("echo", x=[1, "two", None, {"three": 3.5}])
        assert future.result(30) == {"x": [1, "two", None, {"three": 3.5}]}
    shown = run_cli("result", "--json", future.job_id, env=broker.cli_env())
    assert shown.returncode == 0, shown.stderr
    assert '"three":3.5' in shown.stdout


def test_waking_an_io_thread_that_has_ended_is_harmless() -> None:
    # The window of a race seen in CI: close() found the client open, the
    # I/O thread then ended (closing its eventfd), and close()'s wake-up
    # wrote to the closed descriptor (EBADF; worse, to one reused since).
    client = jobq.Client("tcp://127.0.0.1:9", connect_timeout=0.2)
    connection = client._connection  # noqa: SLF001 - the race is inside it
    connection.close(when_drained=True)
    connection._thread.join(timeout=30)  # noqa: SLF001
    assert not connection._thread.is_alive()  # noqa: SLF001
    connection._wake_pending = False  # noqa: SLF001 - as a caller that raced would find it
    connection._wake()  # noqa: SLF001 - raised OSError(EBADF) before the fix
    client.close()
