"""The worker's side of docs/protocol.md, against a scripted broker.

A ROUTER socket in the test plays the broker, so each rule can be driven
on purpose: registrations and their numbers, stale DISPATCHes, credit as a
running total per registration, results kept across a lost broker, refusal
for want of room, CANCEL, SENTINEL, and garbage that must change nothing.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import zmq

from jobq import wire_pb2
from jobq._frames import Command, decode, encode
import jobq_cluster
from jobq_cluster import time_scale
from pyworker import PyWorker, start_py_worker

BROKER_ID = 0xB0B


class FakeBroker:
    """A ROUTER that records what the worker sends and sends what a test says."""

    def __init__(self) -> None:
        self.context = zmq.Context()
        self.router = self.context.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        port = self.router.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.peer: bytes | None = None

    def close(self) -> None:
        self.router.close(linger=0)
        self.context.term()

    def receive(self, timeout: float = 10.0) -> tuple[Command, bytes] | None:
        if not self.router.poll(int(timeout * time_scale() * 1000)):
            return None
        frames = self.router.recv_multipart()
        self.peer = frames[0]
        message = decode(frames[1:])
        return message.command, message.body

    def expect(self, command: Command, timeout: float = 10.0, skip: tuple[Command, ...] = (Command.WORKER_HEARTBEAT,)):
        """The body of the next ``command``, skipping heartbeats (and ``skip``)."""
        deadline = time.monotonic() + timeout * time_scale()
        while True:
            got = self.receive(max(0.0, deadline - time.monotonic()))
            if got is None:
                raise AssertionError(f"no {command.name} from the worker")
            if got[0] == command:
                return _parse(command, got[1])
            if got[0] not in skip:
                raise AssertionError(f"expected {command.name}, got {got[0].name}")

    def next(self, timeout: float = 10.0, skip: tuple[Command, ...] = (Command.WORKER_HEARTBEAT,)):
        """(command, body) of the next message not in ``skip``."""
        deadline = time.monotonic() + timeout * time_scale()
        while True:
            got = self.receive(max(0.0, deadline - time.monotonic()))
            if got is None:
                raise AssertionError("nothing from the worker")
            if got[0] not in skip:
                return got[0], _parse(got[0], got[1])

    def quiet_for(self, seconds: float, skip: tuple[Command, ...] = (Command.WORKER_HEARTBEAT,)) -> None:
        """Asserts nothing but ``skip`` arrives for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            got = self.receive(left)
            if got is not None and got[0] not in skip:
                raise AssertionError(f"unexpected {got[0].name}")

    def send(self, command: Command, body: bytes = b"") -> None:
        assert self.peer is not None, "the worker has not spoken yet"
        self.router.send_multipart([self.peer, *encode(command, body)])

    def send_raw(self, *frames: bytes) -> None:
        assert self.peer is not None
        self.router.send_multipart([self.peer, *frames])

    def welcome(self, registration: int, broker: int = BROKER_ID, heartbeat_ms: int = 100, misses: int = 50) -> None:
        body = wire_pb2.Welcome(
            heartbeat_interval_ms=heartbeat_ms,
            liveness_misses=misses,
            registration=registration,
            broker=broker,
        )
        self.send(Command.WELCOME, body.SerializeToString())

    def dispatch(self, registration: int, *jobs: wire_pb2.DispatchedJob, broker: int = BROKER_ID) -> None:
        body = wire_pb2.Dispatch(registration=registration, broker=broker, jobs=list(jobs))
        self.send(Command.DISPATCH, body.SerializeToString())


def _parse(command: Command, body: bytes):
    types = {
        Command.HELLO: wire_pb2.Hello,
        Command.CREDIT: wire_pb2.Credit,
        Command.WORKER_RESULT: wire_pb2.WorkerResults,
        Command.WORKER_HEARTBEAT: wire_pb2.Heartbeat,
        Command.BYE: wire_pb2.Empty,
    }
    return types[command].FromString(body)


def job(task: str, payload: bytes = b"{}", attempt: int = 1, kind: int = wire_pb2.KIND_IO, timeout_ms: int = 0):
    return wire_pb2.DispatchedJob(
        id=uuid.uuid4().bytes,
        queue="default",
        task=task,
        payload=payload,
        content_type="application/json",
        kind=kind,
        attempt=attempt,
        timeout_ms=timeout_ms,
    )


@pytest.fixture
def fake() -> Iterator[FakeBroker]:
    broker = FakeBroker()
    yield broker
    # Workers first, while their BYE still has somewhere to go.
    jobq_cluster.stop_all()
    broker.close()


def _worker(fake: FakeBroker, tmp_path: Path, *args: str) -> PyWorker:
    return start_py_worker(
        None, "--broker", fake.endpoint, "--cpu-procs", "0", *args, directory=tmp_path
    )


def _register(fake: FakeBroker, registration: int = 1) -> wire_pb2.Hello:
    hello = fake.expect(Command.HELLO)
    assert hello.registration == registration
    fake.welcome(registration)
    return hello


def test_hello_welcome_dispatch_result_credit(fake: FakeBroker, tmp_path: Path) -> None:
    worker = _worker(fake, tmp_path, "--io-threads", "2", "--queues", "default,other")
    hello = fake.expect(Command.HELLO)
    assert hello.name == worker.name and hello.pid == worker.pid
    assert hello.instance != 0 and hello.registration == 1
    assert list(hello.queues) == ["default", "other"]
    assert [(p.kind, p.capacity) for p in hello.pools] == [(wire_pb2.KIND_IO, 2 + 1000)]
    tasks = {t.name: t.kind for t in hello.tasks}
    assert tasks["add"] == wire_pb2.KIND_IO and tasks["cpu_pid"] == wire_pb2.KIND_CPU
    assert not hello.in_flight
    fake.welcome(1)
    heartbeat = fake.expect(Command.WORKER_HEARTBEAT, skip=())
    assert heartbeat.pools[0].capacity == 1002 and not heartbeat.draining

    first = job("add", b'{"a": 1, "b": 2}')
    second = job("boom", b'{"message": "no"}')
    fake.dispatch(1, first, second)
    results = {}
    while len(results) < 2:
        batch = fake.expect(Command.WORKER_RESULT, skip=(Command.WORKER_HEARTBEAT, Command.CREDIT))
        for result in batch.results:
            results[result.id] = result
    assert results[first.id].ok and results[first.id].result == b"3"
    assert results[first.id].attempt == 1 and results[first.id].content_type == "application/json"
    assert results[second.id].error.type == "exception"
    credit = fake.expect(Command.CREDIT, skip=(Command.WORKER_HEARTBEAT, Command.WORKER_RESULT))
    while credit.freed_total < 2:
        credit = fake.expect(Command.CREDIT, skip=(Command.WORKER_HEARTBEAT, Command.WORKER_RESULT))
    assert (credit.kind, credit.freed_total, credit.registration) == (wire_pb2.KIND_IO, 2, 1)


def test_stale_and_foreign_dispatches_are_dropped(fake: FakeBroker, tmp_path: Path) -> None:
    _worker(fake, tmp_path)
    _register(fake)
    # Another broker process leasing under this registration: register anew.
    fake.dispatch(1, job("add", b'{"a": 1, "b": 1}'), broker=BROKER_ID + 1)
    hello = fake.expect(Command.HELLO)
    assert hello.registration == 2 and not hello.in_flight
    fake.welcome(2)
    # The old registration's jobs were taken back: never run.
    fake.dispatch(1, job("add", b'{"a": 1, "b": 1}'))
    fake.quiet_for(0.5)
    current = job("add", b'{"a": 2, "b": 2}')
    fake.dispatch(2, current)
    (result,) = fake.expect(Command.WORKER_RESULT).results
    assert result.id == current.id and result.result == b"4"


def test_garbage_changes_nothing(fake: FakeBroker, tmp_path: Path) -> None:
    _worker(fake, tmp_path)
    _register(fake)
    fake.send_raw(b"", b"XX\x01", bytes([Command.DISPATCH]), b"")  # wrong header
    fake.send_raw(b"", b"JQ\x01", b"\x99", b"")  # unknown command
    fake.send_raw(b"", b"JQ\x01")  # too few frames
    fake.send(Command.DISPATCH, b"\xff\xff\xff")  # a body that does not decode
    fake.send(Command.SUBMIT, b"")  # a client's command
    fake.send(Command.ERROR, wire_pb2.Error(code=3, text="bad body").SerializeToString())
    duplicated = job("add", b'{"a": 5, "b": 5}')
    fake.dispatch(1, duplicated, duplicated)  # the same (id, attempt) twice: run once
    (result,) = fake.expect(Command.WORKER_RESULT).results
    assert result.result == b"10"
    fake.quiet_for(0.5, skip=(Command.WORKER_HEARTBEAT, Command.CREDIT))


def test_reconnect_lists_held_jobs_and_restarts_credit(fake: FakeBroker, tmp_path: Path) -> None:
    _worker(fake, tmp_path)
    _register(fake)
    slow = job("sleep", b'{"seconds": 1.0}')
    fake.dispatch(1, slow)
    heartbeat = fake.expect(Command.WORKER_HEARTBEAT, skip=())
    assert list(heartbeat.holding) == [slow.id]
    fake.send(Command.RECONNECT)
    hello = fake.expect(Command.HELLO)
    assert hello.registration == 2
    assert [(h.id, h.attempt, h.kind) for h in hello.in_flight] == [(slow.id, 1, wire_pb2.KIND_IO)]
    # A RECONNECT while that HELLO waits for its WELCOME registers nothing new.
    fake.send(Command.RECONNECT)
    fake.welcome(2)
    (result,) = fake.expect(Command.WORKER_RESULT, timeout=20).results
    assert result.id == slow.id and result.ok
    credit = fake.expect(Command.CREDIT)
    assert (credit.freed_total, credit.registration) == (1, 2)


def test_results_finished_while_the_broker_is_away_wait_for_welcome(fake: FakeBroker, tmp_path: Path) -> None:
    _worker(fake, tmp_path)
    hello = fake.expect(Command.HELLO)
    # A short liveness window, then silence: the worker gives the broker up.
    fake.welcome(1, heartbeat_ms=100, misses=3)
    quick = job("sleep", b'{"seconds": 1.0}')
    fake.dispatch(1, quick)
    finished_by = time.monotonic() + 1.3
    # Silent past the job's end: every HELLO meanwhile (a new registration
    # each liveness window) goes unanswered, and each lists the job.
    while True:
        hello = fake.expect(Command.HELLO, timeout=20)
        if hello.registration >= 2:
            assert [h.id for h in hello.in_flight] == [quick.id]
            if time.monotonic() > finished_by:
                break
    # Welcomed, it sends the result it kept. (A slow test may answer after
    # the worker gave up again: then its next HELLO is answered.)
    fake.welcome(hello.registration)
    while True:
        command, got = fake.next()
        if command == Command.WORKER_RESULT:
            break
        assert command == Command.HELLO, command
        fake.welcome(got.registration)
    (result,) = got.results
    assert result.id == quick.id and result.ok
    credit = fake.expect(Command.CREDIT)
    assert credit.freed_total == 1


def test_a_full_pool_refuses_with_worker_overloaded(fake: FakeBroker, tmp_path: Path) -> None:
    # One thread, no async task module: the I/O side holds 1 job + 1 of slack.
    module = tmp_path / "only_sync.py"
    module.write_text(
        "import jobq\nfrom jobq.worker import current_job\n\n"
        "@jobq.task\ndef nap(seconds):\n    current_job().sleep(seconds)\n"
    )
    start_py_worker(
        None, "--broker", fake.endpoint, "--cpu-procs", "0", "--io-threads", "1",
        tasks=str(module), directory=tmp_path,
    )  # fmt: skip
    hello = fake.expect(Command.HELLO)
    assert hello.pools[0].capacity == 1
    fake.welcome(1, heartbeat_ms=200)
    jobs = [job("nap", b'{"seconds": 1}') for _ in range(3)]
    fake.dispatch(1, *jobs)
    (refused,) = fake.expect(Command.WORKER_RESULT).results
    assert refused.id == jobs[2].id
    assert refused.error.type == "worker_overloaded"
    # Its slot comes back with a heartbeat, not at once.
    credit = fake.expect(Command.CREDIT, skip=(Command.WORKER_HEARTBEAT, Command.WORKER_RESULT))
    assert credit.freed_total >= 1


def test_cancel_and_timeout(fake: FakeBroker, tmp_path: Path) -> None:
    _worker(fake, tmp_path)
    _register(fake)
    cancelled = job("sleep", b'{"seconds": 30}')
    timed_out = job("asleep", b'{"seconds": 30}', timeout_ms=200)
    fake.dispatch(1, cancelled, timed_out)
    fake.send(Command.WORKER_CANCEL, wire_pb2.Cancel(ids=[cancelled.id, uuid.uuid4().bytes]).SerializeToString())
    errors = {}
    while len(errors) < 2:
        for result in fake.expect(Command.WORKER_RESULT, skip=(Command.WORKER_HEARTBEAT, Command.CREDIT)).results:
            errors[result.id] = result.error.type
    assert errors == {cancelled.id: "cancelled", timed_out.id: "timeout"}


def test_sentinel_then_bye(fake: FakeBroker, tmp_path: Path) -> None:
    worker = _worker(fake, tmp_path, "--queues", "a,b")
    _register(fake)
    running = job("sleep", b'{"seconds": 0.5}')
    fake.dispatch(1, running)
    fake.send(Command.WORKER_SENTINEL, wire_pb2.Sentinel(queue="a").SerializeToString())
    fake.send(Command.WORKER_SENTINEL, wire_pb2.Sentinel(queue="b").SerializeToString())
    (result,) = fake.expect(Command.WORKER_RESULT).results
    assert result.id == running.id and result.ok
    # No queue left: no CREDIT, only BYE.
    fake.expect(Command.BYE)
    assert worker.wait_exit() == 0


def test_sigterm_says_draining_then_bye(fake: FakeBroker, tmp_path: Path) -> None:
    import signal

    worker = _worker(fake, tmp_path)
    _register(fake)
    running = job("sleep", b'{"seconds": 0.5}')
    fake.dispatch(1, running)
    fake.expect(Command.WORKER_HEARTBEAT, skip=())
    worker.signal(signal.SIGTERM)
    heartbeat = fake.expect(Command.WORKER_HEARTBEAT, skip=())
    while not heartbeat.draining:
        heartbeat = fake.expect(Command.WORKER_HEARTBEAT, skip=())
    (result,) = fake.expect(Command.WORKER_RESULT).results
    assert result.ok
    fake.expect(Command.BYE)
    assert worker.wait_exit() == 0


def test_payloads_that_cannot_be_arguments_are_bad_args(fake: FakeBroker, tmp_path: Path) -> None:
    _worker(fake, tmp_path)
    _register(fake)
    deep = job("echo", b"[" * 513 + b"]" * 513)
    fine = job("echo", b'{"x": ' + b"[" * 511 + b"]" * 511 + b"}")
    garbled = job("echo", b'{"x": ')
    foreign = job("echo", b"<x/>")
    foreign.content_type = "application/xml"
    call = job("add", b'{"args": [1], "kwargs": {"b": 2}}')
    call.content_type = "application/vnd.jobq.call+json"
    fake.dispatch(1, deep, fine, garbled, foreign, call)
    results = {}
    while len(results) < 5:
        batch = fake.expect(Command.WORKER_RESULT, skip=(Command.WORKER_HEARTBEAT, Command.CREDIT))
        for result in batch.results:
            results[result.id] = result
    assert results[deep.id].error.type == "bad_args"
    assert "nested deeper than 512 levels" in results[deep.id].error.message
    assert results[fine.id].ok
    assert results[garbled.id].error.type == "bad_args"
    assert "not valid JSON" in results[garbled.id].error.message
    assert results[foreign.id].error.type == "bad_args"
    assert "application/xml" in results[foreign.id].error.message
    assert results[call.id].ok and results[call.id].result == b"3"
