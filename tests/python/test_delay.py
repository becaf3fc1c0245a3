"""Delayed jobs from Python: delay= and at= hold a job `scheduled` until its time.

"Not before its time" is checked on the broker's own clock: the
started_ms of `jobq job ID --json` against the due time, never against
how long the test waited.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timedelta, timezone

import jobq
import pytest
from jobq import wire_pb2
from jobq._jobspec import JobOptions, encode_job, task_field
from jobq_cluster import Broker, time_scale, wait_until

# Long enough to see the job scheduled, short enough for CI.
DELAY_S = 1.5


@pytest.fixture
def executor(broker: Broker, cpp_worker: object) -> jobq.Executor:
    with jobq.Executor(broker.frontend) as executor:
        yield executor


def job_info(broker: Broker, job_id: str) -> dict:
    done = broker.run_cli("job", job_id, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def ack_id(future: jobq.JobFuture) -> str:
    return wait_until(lambda: future.job_id, what="the job's ack")


def assert_held_then_run(broker: Broker, future: jobq.JobFuture, due_ms: int) -> None:
    """Scheduled (listed by --state scheduled), then run no earlier than due_ms."""
    job_id = ack_id(future)
    # The worker is idle: only the delay keeps the job from running.
    if time.time() * 1000 < due_ms - 500:
        assert job_info(broker, job_id)["state"] == "scheduled"
        assert job_id in [job["id"] for job in broker.all_jobs("scheduled")]
    assert future.result(30 * time_scale()) == {"i": 1}
    info = job_info(broker, job_id)
    assert info["state"] == "succeeded"
    assert info["started_ms"] >= due_ms, f"started {due_ms - info['started_ms']} ms early"


def test_delay_holds_the_job_until_its_time(broker: Broker, executor: jobq.Executor) -> None:
    # encode_job reads the clock after this: the real due time is no earlier.
    due_ms = int(time.time() * 1000) + int(DELAY_S * 1000)
    future = executor.options(delay=DELAY_S).submit("echo", i=1)
    assert_held_then_run(broker, future, due_ms)


def test_at_an_aware_datetime_in_any_zone(broker: Broker, executor: jobq.Executor) -> None:
    due = datetime.now(timezone(timedelta(hours=-5))) + timedelta(seconds=DELAY_S)
    due_ms = JobOptions(at=due).not_before_ms  # exact: test_at_is_encoded_exactly_and_rounded_up
    future = executor.options(at=due).submit("echo", i=1)
    assert_held_then_run(broker, future, due_ms)


def test_at_unix_seconds_from_the_client(broker: Broker, cpp_worker: object) -> None:
    due_s = time.time() + DELAY_S
    with jobq.Client(broker.frontend) as client:
        [future] = client.submit_many([jobq.Job("echo", kwargs={"i": 1}, options={"at": due_s})])
        assert_held_then_run(broker, future, math.ceil(due_s * 1000))


def test_at_in_the_past_runs_now(broker: Broker, executor: jobq.Executor) -> None:
    future = executor.options(at=datetime(2001, 1, 1, tzinfo=timezone.utc)).submit("echo", i=1)
    assert future.result(30 * time_scale()) == {"i": 1}
    info = job_info(broker, ack_id(future))
    assert info["state"] == "succeeded"
    assert info["started_ms"] >= info["submitted_ms"]


def test_at_is_encoded_exactly_and_rounded_up() -> None:
    at = datetime(2026, 12, 24, 19, 0, 0, 250_001, tzinfo=timezone(timedelta(hours=1)))
    spec = wire_pb2.JobSpec.FromString(encode_job(JobOptions(at=at), task_field("t"), b"{}", "application/json"))
    assert spec.not_before_ms == 1_798_135_200_251  # 2026-12-24T18:00:00.250001Z, rounded up
    assert JobOptions(at=1_798_135_200.25).not_before_ms == 1_798_135_200_250
    assert JobOptions(at=-5).not_before_ms == 0  # before 1970: as past as any, runs now
    assert JobOptions().not_before_ms == 0


def test_bad_times_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="time zone"):
        JobOptions(at=datetime(2026, 12, 24, 18))  # naive: local time or UTC?
    with pytest.raises(ValueError, match="either delay"):
        JobOptions(delay=5, at=time.time())
    with pytest.raises(TypeError, match="datetime or unix seconds"):
        JobOptions(at="2026-12-24T18:00:00Z")
    with pytest.raises(TypeError):
        JobOptions(at=True)
    with pytest.raises(ValueError, match="days ahead"):
        JobOptions(at=datetime.now(timezone.utc) + timedelta(days=3651))


def test_a_view_time_replaces_the_default_one() -> None:
    base = JobOptions(delay=60)
    assert base.replace(at=time.time()).delay is None
    assert JobOptions(at=time.time()).replace(delay=5).at is None
    with pytest.raises(ValueError, match="either delay"):
        base.replace(delay=1, at=time.time())
