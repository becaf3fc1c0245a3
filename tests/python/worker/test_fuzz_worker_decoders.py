"""Seeded fuzz tests of every Python worker function that reads what the broker sends.

The project rule is that every input has its fuzz target and its bad-input
test; the C++ worker's decoders have libFuzzer targets, these are the
Python worker's. Each test feeds thousands of deterministic inputs into one
decoder and checks what docs/protocol.md asks of a worker:

* job payloads (``application/json`` and ``application/vnd.jobq.call+json``,
  valid, damaged, nested past 512 levels, in other Unicode encodings) into
  ``codec.decode_arguments`` (and so ``jobq._payload.decode_call``) and
  ``execute.run_sync``: arguments, or a ``bad_args`` failure of that job
  alone ("DISPATCH": deeper than 512 levels is ``bad_args``); run_sync never
  raises (an exception there would kill the I/O thread running it);
* every broker -> worker message (DISPATCH, WELCOME, CANCEL, SENTINEL,
  HEARTBEAT, RECONNECT, ERROR; well-formed, mutated, protobuf-shaped noise,
  damaged envelopes, other directions' commands) into a real
  ``BrokerConnection`` with a scripted socket and a synchronous pool:
  never an exception out of its loop's steps; every job it starts is
  answered with one RESULT ("Errors": what a worker cannot decode it logs
  and drops);
* a real ``python3 -m jobq.worker`` against a scripted ROUTER: hundreds of
  fuzzed jobs on its I/O threads, event loop and CPU child, each answered
  (``bad_args`` for a payload that cannot be arguments), garbage of every
  kind in between, and afterwards the process is alive, has logged no
  traceback, and still runs a good job.

JOBQ_FUZZ_SEED picks another seed; every failure names the seed and case.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fuzz_inputs import ENCODINGS, SEED, TEXT_ALPHABET, fuzz_case, random_bytes, varint
import zmq

import jobq_cluster
from jobq import wire_pb2
from jobq._frames import SIGNATURE, Command, FrameError, decode, encode
from jobq._payload import CALL_TYPE, JSON_TYPE
from jobq.tasks import TaskDef
from jobq.worker import codec, connection as worker_connection, errors, execute
from jobq.worker.cancel import CancelToken
from jobq.worker.connection import BrokerConnection, ConnectionOptions, _Phase
from jobq.worker.errors import TaskError
from jobq.worker.mailbox import Mailbox
from jobq.worker.pools import KIND_CPU, KIND_IO, Pools
from pyworker import start_py_worker

# protobuf's C++ parser stops at a stray end-group tag and keeps what it read, with
# this warning instead of a DecodeError: such a body is handled as far as it decoded.
pytestmark = pytest.mark.filterwarnings("ignore:Unexpected end-group tag:RuntimeWarning")
BROKER_ID = 0xB0B

WORKER_BOUND = (
    Command.WELCOME,
    Command.DISPATCH,
    Command.WORKER_CANCEL,
    Command.WORKER_SENTINEL,
    Command.BROKER_HEARTBEAT,
    Command.RECONNECT,
    Command.ERROR,
)
# What a job may end with when its payload is fuzzed: its arguments do not fit
# (bad_args), the task raised on the values it got (exception), the task is
# not there (unknown_task), its result is not JSON or over a WELCOME's
# result_bytes_max; the CPU pool may refuse it for want of room.
JOB_ERROR_TYPES = {
    errors.BAD_ARGS,
    errors.EXCEPTION,
    errors.UNKNOWN_TASK,
    errors.BAD_RESULT,
    errors.RESULT_TOO_LARGE,
    errors.WORKER_OVERLOADED,
}


# == input generators ==========================================================

INTERESTING_BYTES = (
    b"",
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xff" * 10 + b"\x01",
    b"\x80" * 11,
    b"\x0a\xff\xff\xff\xff\x0f",
    SIGNATURE,
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
    b'"',
    b"[",
    b"{",
    b"\\",
    b"\x00[",
)


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four byte-level mutations: flip, set, insert, delete, cut, extend, repeat."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        operation = rng.randrange(8)
        position = rng.randint(0, len(out))
        if operation == 0 and out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        elif operation == 1 and out:
            out[rng.randrange(len(out))] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif operation == 2:
            out[position:position] = random_bytes(rng, 8)
        elif operation == 3 and out:
            del out[position : position + rng.randint(1, 8)]
        elif operation == 4:
            del out[position:]
        elif operation == 5:
            out += random_bytes(rng, 16)
        elif operation == 6 and out:
            start = rng.randrange(len(out))
            out[position:position] = out[start : start + rng.randint(1, 16)]
        else:
            out[position:position] = rng.choice(INTERESTING_BYTES)
    return bytes(out)


def random_protobuf(rng: random.Random, depth: int = 0) -> bytes:
    """Bytes shaped like protobuf: random fields of every wire type, some lengths wrong."""
    out = bytearray()
    for _ in range(rng.randint(0, 6)):
        number = rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 0, rng.randint(1, (1 << 29) - 1)))
        wire_type = rng.choice((0, 0, 1, 2, 2, 2, 5, rng.randrange(8)))
        out += varint(number << 3 | wire_type)
        if wire_type == 0:
            out += varint(rng.choice((0, 1, 2, 7, 99, rng.getrandbits(32), rng.getrandbits(64), (1 << 64) - 1)))
        elif wire_type == 1:
            out += rng.randbytes(8)
        elif wire_type == 2:
            inner = random_protobuf(rng, depth + 1) if depth < 3 and rng.random() < 0.4 else random_bytes(rng, 24)
            length = len(inner) if rng.random() < 0.9 else rng.randint(0, 64)
            out += varint(length) + inner
        elif wire_type == 5:
            out += rng.randbytes(4)
    return bytes(out)


def random_text(rng: random.Random, most: int = 24) -> str:
    if rng.random() < 0.1:
        return rng.choice(("", "x" * 3000, "default", "a", "b", "args", "kwargs"))
    return "".join(rng.choice(TEXT_ALPHABET) for _ in range(rng.randint(0, most)))


def random_wide_text(rng: random.Random, most: int = 12, ascii_pairs: bool = False) -> str:
    """Characters from all of Unicode, half of them ones whose UTF-16 code unit is two
    printable ASCII bytes ('≛' is '[' '"' in UTF-16-LE): a text in another encoding
    that is also valid UTF-8, where a quote or bracket byte means something else."""
    chars = []
    for _ in range(rng.randint(0, most)):
        if ascii_pairs or rng.random() < 0.5:
            code = rng.randint(0x20, 0x7E) << 8 | rng.choice((0x22, 0x5B, 0x7B, 0x5D, 0x5C, rng.randint(0x20, 0x7E)))
            if 0xD800 <= code < 0xE000:
                code = 0x225B
        else:
            code = rng.choice((rng.randint(0x20, 0xD7FF), rng.randint(0xE000, 0x10FFFF)))
        chars.append(chr(code))
    return "".join(chars)


def random_json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice((0, -1, 1 << 63, rng.getrandbits(100), rng.randint(-1000, 1000)))
    if kind == 3:
        return rng.choice((0.5, -0.0, 1e308, rng.random()))
    if kind in (4, 5):
        return random_text(rng) if rng.random() < 0.7 else random_wide_text(rng)
    if kind in (6, 7):
        return [random_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_text(rng, 8): random_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def deep_json(rng: random.Random, ascii_pairs: bool = False) -> str:
    """Arrays and objects nested around 512 levels and far past, with strings on the way.

    ``ascii_pairs``: strings only of characters whose UTF-16 code units are two ASCII
    bytes, so that the text in UTF-16 or UTF-32 is valid UTF-8 too, with other quotes.
    """
    if ascii_pairs:
        # Just past what Python's parser can recurse (about 1,000), with many strings.
        depth = rng.choice((rng.randint(1000, 1100), rng.randint(500, 3000)))
        strings = rng.choice((0.1, 0.3))
    else:
        depth = rng.choice((rng.randint(500, 530), rng.randint(1, 600), rng.randint(600, 3000)))
        strings = rng.choice((0.0, 0.02, 0.1, 0.3))
    out = []
    closers = []
    for _ in range(depth):
        if rng.random() < strings:
            # A string before the next level: in another encoding, its characters' bytes
            # may read as quotes to a scan that does not know that encoding.
            out.append("[" + json.dumps(random_wide_text(rng, 4, ascii_pairs), ensure_ascii=False) + ",")
            closers.append("]")
            continue
        if rng.random() < 0.3:
            out.append('{"k":')
            closers.append("}")
        else:
            out.append("[")
            closers.append("]")
    out.append(json.dumps(random_json_value(rng) if not ascii_pairs else random_wide_text(rng, 4, True), ensure_ascii=False))
    if rng.random() < 0.05:
        out.append(',"' + "[" * rng.randint(1, 50))  # an unterminated string of brackets
    closers.reverse()
    out.extend(closers if rng.random() < 0.9 else closers[: rng.randrange(len(closers) + 1)])
    return "".join(out)


def random_arguments_text(rng: random.Random, content_type: str) -> str:
    if content_type == CALL_TYPE:
        call: Any = {}
        if rng.random() < 0.9:
            call["args"] = [random_json_value(rng) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.9:
            names = ("a", "b", "x", random_text(rng, 6))
            call["kwargs"] = {rng.choice(names): random_json_value(rng) for _ in range(rng.randint(0, 3))}
        if rng.random() < 0.1:
            call[rng.choice(("args", "kwargs"))] = random_json_value(rng)  # not a list / not an object
        if rng.random() < 0.05:
            call = random_json_value(rng)  # not an object at all
        return json.dumps(call, ensure_ascii=rng.random() < 0.5)
    choice = rng.randrange(4)
    if choice == 0:
        return json.dumps({"a": rng.randint(-5, 5), "b": rng.randint(-5, 5)})
    if choice == 1:
        return json.dumps({random_text(rng, 6): random_json_value(rng) for _ in range(rng.randint(0, 3))})
    return json.dumps(random_json_value(rng), ensure_ascii=rng.random() < 0.5)


def random_payload(rng: random.Random) -> tuple[bytes, str]:
    """(payload, content type) of a job: arguments, almost arguments, deep, re-encoded, or noise."""
    content_type = rng.choice((JSON_TYPE, JSON_TYPE, "", CALL_TYPE, CALL_TYPE, "application/xml", random_text(rng, 6)))
    kind = rng.randrange(10)
    if kind <= 3:
        text = random_arguments_text(rng, content_type)
    elif kind <= 5:
        # Deep JSON, and now and then the same in UTF-16 or UTF-32 such that it is valid
        # UTF-8 too: the worker's depth bound and its parser must read the same text.
        dual = rng.random() < 0.25
        text = deep_json(rng, ascii_pairs=dual)
        if content_type == CALL_TYPE and rng.random() < 0.5:
            text = '{"args":[' + text + '],"kwargs":{}}'
        if dual:
            return text.encode(rng.choice(("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))), content_type
    elif kind == 6:
        text = rng.choice(("NaN", "-Infinity", "1" * rng.randint(4000, 5000), "null", "", "  ", "[1,]", '"\\ud800"', "{}"))
    elif kind == 7:
        return random_bytes(rng, 64), content_type
    else:
        return mutate(rng, random_arguments_text(rng, content_type).encode()), content_type
    if rng.random() < 0.2:
        return text.encode(rng.choice(ENCODINGS), "surrogatepass"), content_type
    return text.encode("utf-8", "surrogatepass"), content_type


# == tasks =====================================================================


def echo(**kwargs: Any) -> Any:
    return kwargs


def add(a: Any, b: Any) -> Any:
    return a + b


def takes_all(*args: Any, **kwargs: Any) -> Any:
    return [list(args), kwargs]


def noop() -> None:
    return None


REGISTRY = {
    "echo": TaskDef("echo", echo, "io", False),
    "add": TaskDef("add", add, "io", False),
    "takes_all": TaskDef("takes_all", takes_all, "io", False),
    "noop": TaskDef("noop", noop, "cpu", False),
}


def random_job(rng: random.Random, ids: list[bytes]) -> wire_pb2.DispatchedJob:
    payload, content_type = random_payload(rng)
    if ids and rng.random() < 0.2:
        job_id = rng.choice(ids)
    else:
        job_id = rng.choice((rng.randbytes(16), rng.randbytes(16), rng.randbytes(16), b"", rng.randbytes(5)))
    return wire_pb2.DispatchedJob(
        id=job_id,
        queue=rng.choice(("default", "", random_text(rng, 6))),
        task=rng.choice((*REGISTRY, *REGISTRY, "missing", random_text(rng, 6))),
        payload=payload,
        content_type=content_type,
        kind=rng.choice((KIND_IO, KIND_IO, KIND_CPU, 0, 99)),
        attempt=rng.choice((1, 1, 2, 0, (1 << 32) - 1)),
        timeout_ms=rng.choice((0, 0, 0, 60_000, -1, 1 << 62, (1 << 63) - 1, -(1 << 63))),
    )


# == payloads: the decoders a job's arguments go through =======================


def test_argument_decoder_gives_arguments_or_bad_args() -> None:
    rng = random.Random(SEED)
    seen = {"arguments": 0, "bad_args": 0}
    for index in range(15_000):
        payload, content_type = random_payload(rng)
        with fuzz_case("codec.decode_arguments", SEED, index, (payload, content_type)):
            try:
                args, kwargs = codec.decode_arguments("fuzzed", payload, content_type)
            except TaskError as error:
                assert error.type == errors.BAD_ARGS, error.type
                assert error.message.startswith("fuzzed"), "the message names the task"
                seen["bad_args"] += 1
                continue
            assert type(args) is list and type(kwargs) is dict
            assert all(type(key) is str for key in kwargs)
            # docs/protocol.md, DISPATCH: deeper than 512 levels is bad_args, never arguments.
            assert not codec.nests_deeper_than(json.dumps([args, kwargs]), codec.JSON_DEPTH_MAX + 1)
            seen["arguments"] += 1
    print(f"decode_arguments: 15000 cases, {seen}")
    assert all(count > 3000 for count in seen.values()), seen


def test_run_sync_fails_only_its_job() -> None:
    rng = random.Random(SEED + 1)
    seen: dict[str, int] = {}
    for index in range(8_000):
        job = random_job(rng, [])
        job.task = rng.choice(("echo", "add", "takes_all", "noop"))
        with fuzz_case("execute.run_sync", SEED + 1, index, job):
            result = execute.run_sync(REGISTRY[job.task], job, CancelToken(), None)
            assert isinstance(result, wire_pb2.JobResult)
            assert (result.id, result.attempt) == (job.id, job.attempt)
            try:
                codec.decode_arguments(job.task, job.payload, job.content_type)
                arguments_fit = True
            except TaskError:
                arguments_fit = False
            if result.ok:
                assert arguments_fit and result.content_type == JSON_TYPE
                json.loads(result.result)
                outcome = "ok"
            else:
                outcome = result.error.type
                assert outcome in JOB_ERROR_TYPES, f"error type {outcome!r}: {result.error.message}"
                assert result.error.message
                if not arguments_fit:
                    assert outcome == errors.BAD_ARGS, "arguments that do not decode are bad_args"
            seen[outcome] = seen.get(outcome, 0) + 1
    print(f"run_sync: 8000 cases, {seen}")
    assert seen.get("ok", 0) > 500 and seen.get(errors.BAD_ARGS, 0) > 2000, seen


# == the connection's message handling, on a scripted socket ===================


class _ScriptedSocket:
    """recv_multipart() hands out scripted messages; what is sent is kept."""

    def __init__(self) -> None:
        self.inbox: list[list[bytes]] = []
        self.sent: list[list[bytes]] = []

    def recv_multipart(self, flags: int = 0) -> list[bytes]:
        if not self.inbox:
            raise zmq.Again()
        return self.inbox.pop(0)

    def send_multipart(self, frames: list[bytes], flags: int = 0) -> None:
        self.sent.append(list(frames))


class _SyncRunner:
    """A pool that runs each job at once on the caller's thread, as an I/O thread would."""

    def __init__(self, post: Any) -> None:
        self.post = post
        self.failures: list[str] = []

    def submit(self, definition: TaskDef, job: wire_pb2.DispatchedJob, token: CancelToken, deadline: float | None) -> bool:
        try:
            result = execute.run_sync(definition, job, token, deadline)
        except BaseException as error:  # noqa: BLE001 - on an I/O thread this would end the thread
            self.failures.append(f"run_sync raised {type(error).__name__}: {error}")
            return True
        self.post(((job.id, job.attempt), result))
        return True


class _SyncPools:
    """Pools' routing rule in front of one synchronous runner."""

    route = Pools.route

    def __init__(self, runner: _SyncRunner) -> None:
        self.threads = runner
        self.cpu = None
        self.event_loop = None

    def capacities(self) -> list[tuple[int, int]]:
        return [(KIND_IO, 4)]

    def child_pids(self) -> list[int]:
        return []


def _worker_message(rng: random.Random, registration: int, ids: list[bytes]) -> list[bytes]:
    """Something a broker (or a peer posing as one) may send a worker."""
    choice = rng.random()
    if choice < 0.08:
        return [random_bytes(rng, 8) for _ in range(rng.randint(0, 6))]
    if choice < 0.14:
        command = rng.choice([c for c in Command if c not in WORKER_BOUND])
        return encode(command, random_protobuf(rng) if rng.random() < 0.5 else b"")
    if choice < 0.18:
        frames = [b"", SIGNATURE, bytes([rng.choice(WORKER_BOUND)])]
        if rng.random() < 0.3:
            frames[rng.randrange(3)] = mutate(rng, frames[0])  # a damaged envelope
        return frames if rng.random() < 0.5 else frames + [b"", random_bytes(rng, 4)]
    command = rng.choice((Command.DISPATCH, Command.DISPATCH, Command.DISPATCH, *WORKER_BOUND))
    registrations = (registration,) * 12 + (registration + 1, registration - 1, 0, rng.getrandbits(64))
    brokers = (BROKER_ID,) * 12 + (BROKER_ID + 1, 0)
    message: Any
    if command == Command.DISPATCH:
        message = wire_pb2.Dispatch(
            jobs=[random_job(rng, ids) for _ in range(rng.randint(0, 4))],
            registration=rng.choice(registrations),
            broker=rng.choice(brokers),
        )
    elif command == Command.WELCOME:
        message = wire_pb2.Welcome(
            heartbeat_interval_ms=rng.choice((0, 1, 10, 1000, 60_001, (1 << 32) - 1)),
            liveness_misses=rng.choice((0, 1, 3, 101, (1 << 32) - 1)),
            result_bytes_max=rng.choice((0, 1, 1 << 20, (1 << 64) - 1)),
            registration=rng.choice(registrations),
            broker=rng.choice(brokers),
        )
    elif command == Command.WORKER_CANCEL:
        message = wire_pb2.Cancel(
            ids=[rng.choice(ids) if ids and rng.random() < 0.5 else random_bytes(rng, 20) for _ in range(rng.randint(0, 4))]
        )
    elif command == Command.WORKER_SENTINEL:
        message = wire_pb2.Sentinel(queue=rng.choice(("a", "b", "default", "unserved", random_text(rng, 6))))
    elif command == Command.ERROR:
        message = wire_pb2.Error(
            code=rng.choice((*range(8), 99, -2)),
            text=random_text(rng),
            first_seq=rng.getrandbits(64),
            batch_max=rng.getrandbits(32),
        )
    elif command == Command.BROKER_HEARTBEAT:
        message = wire_pb2.Heartbeat()
        if rng.random() < 0.3:
            message = wire_pb2.Heartbeat(cpu_percent=rng.random(), holding=ids[:2])
    else:
        message = wire_pb2.Empty()
    body = message.SerializeToString()
    choice = rng.random()
    if choice < 0.3:
        body = mutate(rng, body)
    elif choice < 0.38:
        body = random_protobuf(rng)
    return encode(command, body)


def _sent_results(socket: _ScriptedSocket) -> list[wire_pb2.JobResult]:
    """The results in what the connection sent; every message it sent is well-formed."""
    results = []
    for frames in socket.sent:
        message = decode(frames)
        if message.command == Command.WORKER_RESULT:
            results.extend(wire_pb2.WorkerResults.FromString(message.body).results)
        elif message.command == Command.HELLO:
            wire_pb2.Hello.FromString(message.body)
        elif message.command == Command.CREDIT:
            wire_pb2.Credit.FromString(message.body)
        elif message.command == Command.WORKER_HEARTBEAT:
            wire_pb2.Heartbeat.FromString(message.body)
        else:
            assert message.command == Command.BYE, message.command
    socket.sent.clear()
    return results


def _connection() -> tuple[BrokerConnection, _ScriptedSocket, _SyncRunner, list[tuple[bytes, int]]]:
    mailbox: Mailbox = Mailbox()
    runner = _SyncRunner(mailbox.post)
    options = ConnectionOptions(
        broker="tcp://127.0.0.1:9", name="fuzz", host="fuzz-host", pid=1, queues=["default", "a", "b"], instance=7
    )
    connection = BrokerConnection(None, options, REGISTRY, _SyncPools(runner), mailbox)  # type: ignore[arg-type]
    socket = _ScriptedSocket()
    connection._socket = socket  # type: ignore[assignment]
    started: list[tuple[bytes, int]] = []
    start_job = connection._start_job

    def recording_start(job: wire_pb2.DispatchedJob) -> None:
        started.append((job.id, job.attempt))
        start_job(job)

    connection._start_job = recording_start  # type: ignore[method-assign]
    return connection, socket, runner, started


def _release(connection: BrokerConnection) -> None:
    for fd in (connection._wake.fileno(), connection._mailbox.fileno()):
        with contextlib.suppress(OSError):
            os.close(fd)


def test_connection_handles_any_broker_message(capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED + 2)
    fed = 0
    totals = {"jobs started": 0, "results": 0, "re-registrations": 0}
    for index in range(1_500):
        connection, socket, runner, started = _connection()
        now_ms = 1_000_000
        connection._send_hello(now_ms, new_registration=True)
        if rng.random() < 0.9:
            welcome = wire_pb2.Welcome(heartbeat_interval_ms=1000, liveness_misses=3, registration=1, broker=BROKER_ID)
            socket.inbox.append(encode(Command.WELCOME, welcome.SerializeToString()))
        ids = [rng.randbytes(16) for _ in range(3)]
        script: list[list[bytes]] = []  # made as it goes: DISPATCHes mostly name the current registration
        results: list[wire_pb2.JobResult] = []
        with fuzz_case("BrokerConnection message handling", SEED + 2, index, script):
            for step in range(rng.randint(2, 11)):
                if step:
                    if connection._phase == _Phase.HELLO_SENT and rng.random() < 0.5:
                        # As a broker would: a WELCOME for the worker's latest HELLO.
                        welcome = wire_pb2.Welcome(registration=connection._registration, broker=BROKER_ID)
                        script.append(encode(Command.WELCOME, welcome.SerializeToString()))
                    else:
                        script.append(_worker_message(rng, connection._registration, ids))
                    socket.inbox.append(script[-1])
                    fed += 1
                now_ms += rng.choice((0, 1, 500))
                registration = connection._registration
                connection._receive_all(now_ms)
                connection._collect_results()
                connection._flush_results()
                if rng.random() < 0.2:
                    connection._send_heartbeat()
                assert not socket.inbox, "a message was left unread"
                assert not runner.failures, runner.failures[0]
                results += _sent_results(socket)
                # The synchronous pool finished every job it took: nothing is left held.
                assert len(connection._in_flight) == 0
                assert worker_connection.HEARTBEAT_MS_MIN <= connection._heartbeat_ms <= worker_connection.HEARTBEAT_MS_MAX
                assert 1 <= connection._liveness_misses <= worker_connection.LIVENESS_MISSES_MAX
                assert connection._registration in (registration, registration + 1)
                totals["re-registrations"] += connection._registration - registration
                if connection._phase == _Phase.REGISTERED:
                    assert not connection._unsent, "a registered worker holds results back"
            # Every job started was answered once (sent, or kept for the next WELCOME).
            answered = [(result.id, result.attempt) for result in results]
            answered += [(result.id, result.attempt) for result, _ in connection._unsent]
            assert sorted(set(answered)) == sorted(set(started))
            assert len(answered) <= len(started)
            for result in results + [result for result, _ in connection._unsent]:
                if not result.ok:
                    assert result.error.type in JOB_ERROR_TYPES, (result.error.type, result.error.message)
            totals["jobs started"] += len(started)
            totals["results"] += len(answered)
        _release(connection)
        capsys.readouterr()  # the connection logs on stderr: one line per dropped message
    print(f"BrokerConnection: 1500 connections, {fed} messages, {totals}")
    assert fed > 7000 and totals["jobs started"] > 1500 and totals["re-registrations"] > 100, (fed, totals)


# == a real worker process against a scripted broker ===========================

TASKS_MODULE = """
import jobq


@jobq.task
def echo(**kwargs):
    return kwargs


@jobq.task
def add(a, b):
    return a + b


@jobq.task
def takes_all(*args, **kwargs):
    return [list(args), kwargs]


@jobq.task
async def aecho(**kwargs):
    return kwargs


@jobq.task(kind="cpu")
def cpu_echo(**kwargs):
    return kwargs
"""
PROCESS_TASKS = ("echo", "add", "takes_all", "aecho", "cpu_echo", "missing")


class ScriptedBroker:
    """A ROUTER that plays the broker: answers HELLO with WELCOME, collects RESULTs."""

    def __init__(self) -> None:
        self.context = zmq.Context()
        self.router = self.context.socket(zmq.ROUTER)
        self.router.linger = 0
        port = self.router.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.peer = b""
        self.registration = 0
        self.results: dict[bytes, wire_pb2.JobResult] = {}
        self.hellos = 0
        self.heartbeat_at = 0.0

    def close(self) -> None:
        self.router.close()
        self.context.term()

    def send(self, frames: list[bytes]) -> None:
        self.router.send_multipart([self.peer, *frames])

    def welcome(self) -> None:
        body = wire_pb2.Welcome(
            heartbeat_interval_ms=1000, liveness_misses=10, registration=self.registration, broker=BROKER_ID
        )
        self.send(encode(Command.WELCOME, body.SerializeToString()))

    def pump(self, seconds: float) -> None:
        """Reads what the worker sends for ``seconds``: WELCOMEs its HELLOs, keeps its results."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.peer and time.monotonic() >= self.heartbeat_at:
                # A sign of life, so that the worker keeps this broker while results come.
                self.send(encode(Command.BROKER_HEARTBEAT))
                self.heartbeat_at = time.monotonic() + 0.5
            if not self.router.poll(max(1, int(min(left, 0.5) * 1000))):
                continue
            frames = self.router.recv_multipart()
            self.peer = frames[0]
            message = decode(frames[1:])
            if message.command == Command.HELLO:
                self.hellos += 1
                self.registration = wire_pb2.Hello.FromString(message.body).registration
                self.welcome()
            elif message.command == Command.WORKER_RESULT:
                for result in wire_pb2.WorkerResults.FromString(message.body).results:
                    self.results[result.id] = result

    def dispatch(self, *jobs: wire_pb2.DispatchedJob) -> None:
        body = wire_pb2.Dispatch(registration=self.registration, broker=BROKER_ID, jobs=list(jobs))
        self.send(encode(Command.DISPATCH, body.SerializeToString()))


def _quiet_garbage(rng: random.Random, registration: int) -> list[bytes]:
    """Garbage that must change nothing: damaged messages, other directions' commands,
    bodies that do not decode, ERROR, HEARTBEAT, stale WELCOMEs and DISPATCHes, CANCEL of
    unknown ids, SENTINEL of queues not served."""
    while True:
        frames = _worker_message(rng, registration, [])
        try:
            message = decode(frames)
        except FrameError:
            return frames
        command = message.command
        if command not in WORKER_BOUND or command in (Command.ERROR, Command.BROKER_HEARTBEAT, Command.WORKER_CANCEL):
            return frames
        try:
            body = {
                Command.WELCOME: wire_pb2.Welcome,
                Command.DISPATCH: wire_pb2.Dispatch,
                Command.WORKER_SENTINEL: wire_pb2.Sentinel,
                Command.RECONNECT: wire_pb2.Empty,
            }[command].FromString(message.body)
        except Exception:  # noqa: BLE001 - DecodeError: dropped by the worker
            if command != Command.RECONNECT:  # a RECONNECT's body is not read
                return frames
            continue
        if command == Command.WORKER_SENTINEL and body.queue not in ("default", "extra"):
            return frames
        if command in (Command.WELCOME, Command.DISPATCH) and body.registration != registration:
            if command == Command.WELCOME:
                # Timing of a WELCOME is taken even from a stale one (as the C++ worker
                # does); keep it sane so that the worker's liveness window stays long.
                body.heartbeat_interval_ms, body.liveness_misses = 1000, 10
            return encode(command, body.SerializeToString())


def _any_garbage(rng: random.Random, registration: int, ids: list[bytes]) -> list[bytes]:
    """Anything, but a SENTINEL of the queue "default": that one ends the worker, as it should."""
    while True:
        frames = _worker_message(rng, registration, ids)
        with contextlib.suppress(Exception):
            message = decode(frames)
            if message.command == Command.WORKER_SENTINEL and wire_pb2.Sentinel.FromString(message.body).queue == "default":
                continue
        return frames


def _process_job(rng: random.Random) -> wire_pb2.DispatchedJob:
    payload, content_type = random_payload(rng)
    task = rng.choice(PROCESS_TASKS)
    return wire_pb2.DispatchedJob(
        id=rng.randbytes(16),
        queue="default",
        task=task,
        payload=payload,
        content_type=content_type,
        kind=KIND_CPU if task == "cpu_echo" else KIND_IO,
        attempt=1,
        timeout_ms=rng.choice((0, 0, 60_000)),
    )


def test_a_real_worker_survives_garbage_and_fails_only_bad_jobs(tmp_path: Path) -> None:
    rng = random.Random(SEED + 3)
    module = tmp_path / "fuzz_tasks.py"
    module.write_text(TASKS_MODULE)
    broker = ScriptedBroker()
    worker = start_py_worker(
        None, "--broker", broker.endpoint, "--io-threads", "2", "--cpu-procs", "1", "--prefetch", "64",
        "--queues", "default,extra", tasks=str(module), directory=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while broker.registration == 0 and time.monotonic() < deadline:
            broker.pump(0.1)
        assert broker.registration == 1, "no HELLO from the worker"
        # 1. Fuzzed jobs in batches, garbage that must change nothing in between.
        jobs: dict[bytes, wire_pb2.DispatchedJob] = {}
        garbage_sent = 0
        for batch in range(120):
            batch_jobs = [_process_job(rng) for _ in range(rng.randint(1, 4))]
            cpu_jobs = sum(job.task == "cpu_echo" for job in jobs.values() if job.id not in broker.results)
            batch_jobs = [job for job in batch_jobs if job.task != "cpu_echo" or cpu_jobs < 32]
            jobs.update((job.id, job) for job in batch_jobs)
            broker.dispatch(*batch_jobs)
            for _ in range(rng.randint(0, 3)):
                broker.send(_quiet_garbage(rng, broker.registration))
                garbage_sent += 1
            broker.pump(0.002)
        deadline = time.monotonic() + 30
        while len(set(jobs) & set(broker.results)) < len(jobs) and time.monotonic() < deadline:
            broker.pump(0.1)
        assert worker.running(), f"the worker exited ({worker.process.returncode}):\n{worker.stderr()[-3000:]}"
        assert broker.registration == 1, "garbage that must change nothing made the worker register again"
        unanswered = [job for job_id, job in jobs.items() if job_id not in broker.results]
        if unanswered:
            raise AssertionError(
                f"seed {SEED + 3:#x} (JOBQ_FUZZ_SEED): {len(unanswered)} of {len(jobs)} jobs never answered, "
                f"the first: {unanswered[0]!r}\nworker stderr:\n{worker.stderr()[-3000:]}"
            )
        seen: dict[str, int] = {}
        for job_id, job in jobs.items():
            result = broker.results[job_id]
            with fuzz_case("a worker's answer to a fuzzed job", SEED + 3, list(jobs).index(job_id), job):
                if result.ok:
                    json.loads(result.result)
                    outcome = "ok"
                else:
                    outcome = result.error.type
                    assert outcome in JOB_ERROR_TYPES, f"error type {outcome!r}: {result.error.message}"
                    arguments_fit = True
                    try:
                        codec.decode_arguments(job.task, job.payload, job.content_type)
                    except TaskError:
                        arguments_fit = False
                    if not arguments_fit and job.task != "missing":
                        assert outcome in (errors.BAD_ARGS, errors.WORKER_OVERLOADED), outcome
                seen[outcome] = seen.get(outcome, 0) + 1
        print(f"real worker: {len(jobs)} fuzzed jobs, {seen}")
        assert seen.get("ok", 0) > 20 and seen.get(errors.BAD_ARGS, 0) > 50, seen

        # 2. Any garbage at all, registrations included: the worker registers again as told.
        for _ in range(300):
            broker.send(_any_garbage(rng, broker.registration, list(jobs)[:3]))
            garbage_sent += 1
            if rng.random() < 0.1:
                broker.pump(0.01)
        broker.pump(1.0)

        # 3. Alive, no traceback, and a good job still runs.
        assert worker.running(), f"the worker exited ({worker.process.returncode}):\n{worker.stderr()[-3000:]}"
        good = wire_pb2.DispatchedJob(
            id=uuid.uuid4().bytes, queue="default", task="add", payload=b'{"a": 2, "b": 3}',
            content_type=JSON_TYPE, kind=KIND_IO, attempt=1,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while good.id not in broker.results and time.monotonic() < deadline:
            registration = broker.registration
            broker.dispatch(good)
            broker.pump(1.0)
            if broker.registration != registration:
                good.attempt += 1  # dropped under a replaced registration: sent again
        assert good.id in broker.results, f"the good job was never answered:\n{worker.stderr()[-3000:]}"
        assert broker.results[good.id].ok and broker.results[good.id].result == b"5"
        assert worker.running()
        assert "Traceback" not in worker.stderr(), worker.stderr()[-3000:]
        print(f"real worker: {garbage_sent} garbage messages, {broker.hellos} HELLOs")
        assert garbage_sent > 400
    finally:
        jobq_cluster.stop_all()
        broker.close()
