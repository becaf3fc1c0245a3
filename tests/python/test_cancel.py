"""Cancelling: future.cancel() and shutdown(cancel_futures=True) reach the broker."""

from __future__ import annotations

import concurrent.futures

import jobq
from jobq_cluster import Broker, wait_until


def states(broker: Broker) -> dict[str, int]:
    counts: dict[str, int] = {}
    for job in broker.all_jobs():
        counts[job["state"]] = counts.get(job["state"], 0) + 1
    return counts


def test_shutdown_with_cancel_futures_cancels_queued_jobs_on_the_broker(broker: Broker) -> None:
    # No worker: every job stays queued until cancelled.
    executor = jobq.Executor(broker.frontend)
    futures = [executor.submit("noop") for _ in range(300)]
    wait_until(lambda: all(f.job_id for f in futures), what="every ack")
    executor.shutdown(wait=True, cancel_futures=True)
    assert all(f.cancelled() for f in futures)
    done, not_done = concurrent.futures.wait(futures, timeout=5)
    assert len(done) == 300 and not not_done
    wait_until(lambda: states(broker) == {"cancelled": 300}, what="300 cancelled jobs")


def test_shutdown_cancels_jobs_not_yet_acknowledged_too(broker: Broker) -> None:
    executor = jobq.Executor(broker.frontend)
    futures = [executor.submit("noop") for _ in range(5000)]
    executor.shutdown(cancel_futures=True)
    assert all(f.cancelled() for f in futures)
    # Some were never sent, the rest were cancelled once acknowledged: none is left to run.
    wait_until(lambda: set(states(broker)) <= {"cancelled"}, what="only cancelled jobs")


def test_cancelling_a_future_cancels_its_running_job(broker: Broker, cpp_worker: object) -> None:
    with jobq.Executor(broker.frontend) as executor:
        future = executor.submit("sleep", seconds=60)
        wait_until(lambda: states(broker) == {"running": 1}, what="the job running")
        assert future.cancel()
        assert future.cancelled()
        wait_until(lambda: states(broker) == {"cancelled": 1}, what="the job cancelled on the broker")
        # The worker is free again.
        assert executor.submit("noop").result(30) is None


def test_shutdown_without_cancel_waits_for_every_result(broker: Broker, cpp_worker: object) -> None:
    executor = jobq.Executor(broker.frontend)
    futures = [executor.submit("sleep", seconds=0.2) for _ in range(8)]
    executor.shutdown(wait=True)
    assert all(f.done() and not f.cancelled() for f in futures)
    assert [f.result() for f in futures] == [{"slept": 0.2}] * 8


def test_shutdown_without_wait_still_completes_futures(broker: Broker, cpp_worker: object) -> None:
    executor = jobq.Executor(broker.frontend)
    futures = [executor.submit("sleep", seconds=0.1) for _ in range(4)]
    executor.shutdown(wait=False)
    assert [f.result(30) for f in futures] == [{"slept": 0.1}] * 4
