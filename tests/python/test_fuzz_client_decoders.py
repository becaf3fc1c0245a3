"""Seeded fuzz tests of every client function that reads what the broker sends.

The project rule is that every input has its fuzz target and its bad-input
test; the C++ decoders have libFuzzer targets, these are the Python
client's. Each test feeds thousands of deterministic inputs (random bytes,
valid messages with bytes flipped, cut or added, well-formed bodies with
hostile field values) into one decoder and checks what the client
documents (docs/protocol.md "Message format" and "Errors", docs/python.md
"Errors"):

* ``_frames.decode``: a Message or FrameError, nothing else;
* ``_payload.decode_result``: a value or ValueError (the wait set turns
  that into a ``bad_result`` RemoteError);
* SUBMITTED / WORKFLOW_SUBMITTED / RESULT / ERROR handling (``_submits.SubmitQueue``,
  ``_waits.WaitSet``, ``_connection.Connection._receive``): never an
  exception out of the I/O thread's loop; a future is either done (with a
  value, a RemoteError or the client's BrokerError) or still tracked by
  the connection, so that a later outcome, failure or close settles it;
  a failed client has failed every future;
* a real ``jobq.Client`` against a scripted ROUTER that mixes garbage into
  a conversation: it fails cleanly with BrokerError or carries on, and its
  I/O thread never dies of an exception;
* ``_curve``'s key-file parser: keys, or KeyFileError naming the file.

JOBQ_FUZZ_SEED picks another seed; every failure names the seed and case.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
import types
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable, Iterator

import jobq
import pytest
from fuzz_inputs import ENCODINGS, SEED, TEXT_ALPHABET, fuzz_case, random_bytes, varint
import zmq
from jobq import _connection, wire_pb2
from jobq._curve import KeyFileError, client_keys, load_key_pair, load_public_key
from jobq._frames import SIGNATURE, Command, FrameError, Message, decode, encode, job_id_bytes, job_id_text
from jobq._payload import CALL_TYPE, JSON_TYPE, decode_result
from jobq._submits import SENTINEL, WORKFLOW, SubmitQueue
from jobq._waits import STATE_NAMES, WaitSet
from jobq.errors import BrokerError, ClientClosed, RemoteError
from jobq.future import JobFuture
from jobq.workflow import PendingWorkflow, WorkflowFuture
from zmq.utils import z85

# protobuf's C++ parser stops at a stray end-group tag and keeps what it read, with
# this warning instead of a DecodeError: such a body is handled as far as it decoded.
pytestmark = pytest.mark.filterwarnings("ignore:Unexpected end-group tag:RuntimeWarning")

BROKER_TO_CLIENT = (Command.SUBMITTED, Command.WORKFLOW_SUBMITTED, Command.CLIENT_RESULT, Command.ERROR)


# == input generators ==========================================================

INTERESTING_BYTES = (
    b"",
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\xff" * 10 + b"\x01",  # a varint of 2^64 - 1, and one past it
    b"\x80" * 11,  # a varint that never ends
    b"\x0a\xff\xff\xff\xff\x0f",  # a length far past the end
    b"\x08\x01",
    b"\x12\x00",
    SIGNATURE,
    b"JQ\x02",
    b"\xef\xbb\xbf",  # a UTF-8 BOM
    b"\xed\xa0\x80",  # a UTF-8 encoded surrogate: not UTF-8
    b'"',
    b"[",
    b"{",
    b"\\",
)


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four byte-level mutations: flip, set, insert, delete, cut, extend, repeat."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        operation = rng.randrange(8)
        position = rng.randint(0, len(out))
        if operation == 0 and out:
            index = rng.randrange(len(out))
            out[index] ^= 1 << rng.randrange(8)
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
        number = rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 0, rng.randint(1, (1 << 29) - 1)))
        wire_type = rng.choice((0, 0, 1, 2, 2, 2, 5, rng.randrange(8)))
        out += varint(number << 3 | wire_type)
        if wire_type == 0:
            out += varint(rng.choice((0, 1, 2, 7, 99, rng.getrandbits(32), rng.getrandbits(64), (1 << 64) - 1)))
        elif wire_type == 1:
            out += rng.randbytes(8)
        elif wire_type == 2:
            if depth < 3 and rng.random() < 0.4:
                inner = random_protobuf(rng, depth + 1)
            else:
                inner = random_bytes(rng, 24)
            length = len(inner) if rng.random() < 0.9 else rng.randint(0, 64)
            out += varint(length) + inner
        elif wire_type == 5:
            out += rng.randbytes(4)
    return bytes(out)


def random_text(rng: random.Random, most: int = 24) -> str:
    if rng.random() < 0.1:
        return rng.choice(("", "x" * 5000, "exception", "bad_args", "queue_full", "unknown_job"))
    return "".join(rng.choice(TEXT_ALPHABET) for _ in range(rng.randint(0, most)))


def random_json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice((0, -1, 1 << 63, -(1 << 64), rng.getrandbits(200), rng.randint(-1000, 1000)))
    if kind == 3:
        return rng.choice((0.5, -0.0, 1e308, 5e-324, rng.random()))
    if kind in (4, 5):
        return random_text(rng)
    if kind in (6, 7):
        return [random_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_text(rng, 8): random_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def deep_json(rng: random.Random) -> str:
    """Arrays and objects nested up to 3,000 deep, with strings (some full of brackets) on the way."""
    depth = rng.choice((rng.randint(1, 600), rng.randint(400, 700), rng.randint(600, 3000)))
    out = []
    closers = []
    for _ in range(depth):
        if rng.random() < 0.3:
            out.append("{")
            if rng.random() < 0.1:
                out.append(json.dumps(random_text(rng, 6)) + ":" + json.dumps(random_text(rng, 6)) + ",")
            out.append('"k":')
            closers.append("}")
        else:
            out.append("[")
            if rng.random() < 0.1:
                out.append(json.dumps(random_text(rng, 6), ensure_ascii=rng.random() < 0.5) + ",")
            closers.append("]")
    out.append(json.dumps(random_json_value(rng)))
    if rng.random() < 0.05:
        out.append(',"' + "[" * rng.randint(1, 50))  # an unterminated string of brackets
    closers.reverse()
    out.extend(closers if rng.random() < 0.9 else closers[: rng.randrange(len(closers) + 1)])
    return "".join(out)


def random_json_bytes(rng: random.Random) -> bytes:
    """A result or payload: JSON, almost JSON, deep JSON, other encodings of JSON, or noise."""
    kind = rng.randrange(10)
    if kind <= 2:
        text = json.dumps(random_json_value(rng), ensure_ascii=rng.random() < 0.5)
    elif kind <= 4:
        text = deep_json(rng)
    elif kind == 5:
        text = rng.choice(("NaN", "-Infinity", "1" * rng.randint(4000, 5000), "null", "", " ", "[1,]", '"\\ud800"'))
    elif kind == 6:
        return random_bytes(rng, 64)
    else:
        text = json.dumps(random_json_value(rng))
        data = text.encode()
        return mutate(rng, data)
    if rng.random() < 0.15:
        return text.encode(rng.choice(ENCODINGS), "surrogatepass")
    return text.encode("utf-8", "surrogatepass")


def random_content_type(rng: random.Random) -> str:
    return rng.choice(("", JSON_TYPE, JSON_TYPE, JSON_TYPE, CALL_TYPE, "application/octet-stream", random_text(rng, 8)))


def random_id(rng: random.Random, known: list[bytes]) -> bytes:
    choice = rng.randrange(8)
    if known and choice < 4:
        return rng.choice(known)
    if choice < 6:
        return rng.randbytes(16)
    return rng.choice((b"", rng.randbytes(15), rng.randbytes(17), str(uuid.UUID(bytes=rng.randbytes(16))).encode()))


def random_uint(rng: random.Random, bits: int) -> int:
    return rng.choice((0, 1, 2, 3, rng.randint(0, 1000), rng.getrandbits(bits), (1 << bits) - 1))


def random_state(rng: random.Random) -> int:
    return rng.choice((*range(8), wire_pb2.JOB_STATE_SUCCEEDED, wire_pb2.JOB_STATE_SUCCEEDED, 8, 99, (1 << 31) - 1, -1))


def random_error_info(rng: random.Random) -> wire_pb2.ErrorInfo:
    return wire_pb2.ErrorInfo(
        type=random_text(rng, 12), message=random_text(rng), exception=random_text(rng, 8), detail=random_text(rng)
    )


def random_outcome(rng: random.Random, known: list[bytes]) -> wire_pb2.JobOutcome:
    outcome = wire_pb2.JobOutcome(
        id=random_id(rng, known),
        state=random_state(rng),
        attempts=random_uint(rng, 32),
        result=random_json_bytes(rng),
        content_type=random_content_type(rng),
    )
    if rng.random() < 0.5:
        outcome.error.CopyFrom(random_error_info(rng))
    return outcome


def random_results(rng: random.Random, known: list[bytes]) -> wire_pb2.ClientResults:
    return wire_pb2.ClientResults(outcomes=[random_outcome(rng, known) for _ in range(rng.randint(0, 5))])


def random_submitted(rng: random.Random, seqs: list[int], known: list[bytes]) -> wire_pb2.Submitted:
    acks = []
    for _ in range(rng.randint(0, 5)):
        seq = rng.choice(seqs) if seqs and rng.random() < 0.7 else random_uint(rng, 64)
        ack = wire_pb2.SubmitAck(client_seq=seq)
        if rng.random() < 0.6:
            ack.id = random_id(rng, known)
        if rng.random() < 0.4:
            ack.error.CopyFrom(random_error_info(rng))
        ack.duplicate = rng.random() < 0.2
        acks.append(ack)
    return wire_pb2.Submitted(acks=acks, sentinels=rng.choice((0, 0, 0, 1, 2, random_uint(rng, 32))))


def random_workflow_submitted(
    rng: random.Random, node_counts: dict[int, int], known: list[bytes]
) -> wire_pb2.WorkflowSubmitted:
    """An answer to one of the workflows (client_seq -> node count) or to none, well-formed or not."""
    seqs = list(node_counts)
    seq = rng.choice(seqs) if seqs and rng.random() < 0.8 else random_uint(rng, 64)
    answer = wire_pb2.WorkflowSubmitted(client_seq=seq)
    if rng.random() < 0.6:
        answer.id = random_id(rng, known)
    count = node_counts.get(seq, 0)
    if rng.random() < 0.3:
        count = rng.randint(0, count + 2)
    answer.node_ids.extend(random_id(rng, known) if rng.random() < 0.1 else rng.randbytes(16) for _ in range(count))
    if rng.random() < 0.4:
        answer.error.CopyFrom(random_error_info(rng))
    answer.duplicate = rng.random() < 0.3
    return answer


def pending_workflow(rng: random.Random, connection: Any = None) -> PendingWorkflow:
    """A workflow of 0 to 4 nodes as the I/O thread holds it (its body is not decoded here)."""
    futures = [JobFuture(connection) for _ in range(rng.randint(0, 4))]
    names = [f"n{index}" for index in range(len(futures))]
    return PendingWorkflow(b"\x12\x01w", futures, WorkflowFuture("w", names, futures), max(1, len(futures)))


def random_error(rng: random.Random, first_seqs: list[int]) -> wire_pb2.Error:
    return wire_pb2.Error(
        code=rng.choice((*range(8), 6, 6, 5, 4, 99, (1 << 31) - 1, -3)),
        text=random_text(rng),
        first_seq=rng.choice(first_seqs) if first_seqs and rng.random() < 0.6 else random_uint(rng, 64),
        batch_max=random_uint(rng, 32),
    )


def body_variant(rng: random.Random, message: Any) -> bytes:
    """A well-formed body, that body mutated, or protobuf-shaped noise."""
    body = message.SerializeToString()
    choice = rng.random()
    if choice < 0.6:
        return body
    if choice < 0.9:
        return mutate(rng, body)
    return random_protobuf(rng)


def random_frames(rng: random.Random) -> list[bytes]:
    """What a DEALER may receive: a jobq message, a damaged one, or any frames at all."""
    choice = rng.randrange(10)
    if choice < 3:
        return [random_bytes(rng, 8) for _ in range(rng.randint(0, 6))]
    command = rng.choice(list(Command)) if rng.random() < 0.8 else rng.randrange(256)
    frames = [b"", SIGNATURE, bytes([command]), random_protobuf(rng) if rng.random() < 0.5 else random_bytes(rng)]
    for _ in range(rng.randint(1, 2)):
        if not frames:
            break
        index = rng.randrange(len(frames))
        operation = rng.randrange(6)
        if operation == 0:
            frames[index] = mutate(rng, frames[index])
        elif operation == 1:
            del frames[index:]
        elif operation == 2:
            frames.append(random_bytes(rng, 8))  # frames after the body
        elif operation == 3:
            del frames[index]
        elif operation == 4:
            frames[index] = frames[index] + frames[index]
        # 5: left well-formed
    return frames


# == the frame decoder and the id helpers ======================================


def test_frame_decoder_raises_only_frame_error() -> None:
    rng = random.Random(SEED)
    accepted = 0
    for index in range(20_000):
        frames = random_frames(rng)
        with fuzz_case("_frames.decode", SEED, index, frames):
            try:
                message = decode(frames)
            except FrameError as error:
                assert str(error), "a FrameError says what is wrong"
                continue
            accepted += 1
            # Accepted only what the envelope allows (docs/protocol.md, "Message format").
            assert isinstance(message, Message)
            assert len(frames) in (3, 4) and frames[0] == b"" and frames[1] == SIGNATURE
            assert len(frames[2]) == 1 and message.command == frames[2][0]
            assert message.body == (frames[3] if len(frames) == 4 else b"")
            assert type(message.body) is bytes
            assert decode(encode(message.command, message.body)) == message
    print(f"_frames.decode: 20000 cases, {accepted} accepted")
    assert 1000 < accepted < 20_000  # both sides of the decoder were reached


def test_job_id_helpers_raise_only_value_error() -> None:
    rng = random.Random(SEED + 1)
    for index in range(10_000):
        raw = rng.choice((rng.randbytes(16), rng.randbytes(rng.randint(0, 40))))
        text = rng.choice((str(uuid.UUID(bytes=rng.randbytes(16))), random_text(rng, 40), raw.hex()))
        if rng.random() < 0.5:
            text = mutate(rng, text.encode()).decode("utf-8", "replace")
        with fuzz_case("_frames.job_id_text/job_id_bytes", SEED + 1, index, (raw, text)):
            try:
                assert len(job_id_text(raw)) == 36 and len(raw) == 16
            except ValueError:
                assert len(raw) != 16
            try:
                assert len(job_id_bytes(text)) == 16
            except ValueError:
                pass
            try:
                assert job_id_bytes(raw) == raw
            except ValueError:
                assert len(raw) != 16


# == result payloads ===========================================================


def test_result_decoder_gives_a_value_or_value_error() -> None:
    rng = random.Random(SEED + 2)
    kinds = {"value": 0, "ValueError": 0}
    for index in range(10_000):
        result = random_json_bytes(rng)
        content_type = random_content_type(rng)
        with fuzz_case("_payload.decode_result", SEED + 2, index, (result, content_type)):
            try:
                value = decode_result(result, content_type)
            except ValueError:
                kinds["ValueError"] += 1
                assert content_type in ("", JSON_TYPE)
                continue
            kinds["value"] += 1
            if content_type not in ("", JSON_TYPE):
                assert value == result  # another content type reaches the caller as bytes
    print(f"decode_result: 10000 cases, {kinds}")
    assert all(count > 1000 for count in kinds.values()), kinds


# == SUBMITTED and ERROR: the submit queue =====================================


def _sent_jobs(rng: random.Random, queue: SubmitQueue, count: int) -> tuple[list[JobFuture], list[tuple[Command, bytes]]]:
    """``count`` jobs through the queue's own send path, as the I/O thread sends them."""
    futures = [JobFuture() for _ in range(count)]
    for future in futures:
        queue.add_job(b"\x0a\x01t", future, rng.random() < 0.7)
    sent: list[tuple[Command, bytes]] = []

    def send(command: Command, body: bytes) -> bool:
        sent.append((command, body))
        return True

    assert queue.send(send, lambda: True)
    return futures, sent


def _check_done_future(future: Any) -> None:
    """A settled future holds a value, a RemoteError or one of the client's own errors."""
    if future.cancelled() or not future.done():
        return
    error = future.exception(0)
    if error is None:
        return
    assert isinstance(error, (RemoteError, BrokerError, ClientClosed)), f"{type(error).__name__}: {error}"
    assert str(error)
    if isinstance(error, RemoteError):
        assert isinstance(error.type, str) and error.type, "a RemoteError has a type"
        assert isinstance(error.message, str)


def test_submit_queue_takes_any_submitted_or_too_large() -> None:
    rng = random.Random(SEED + 3)
    for index in range(4_000):
        queue = SubmitQueue(rng.randint(1, 5), 4 << 20, b"\x00" * 8)
        futures, sent = _sent_jobs(rng, queue, rng.randint(1, 8))
        seqs = list(queue.pending)
        first_seqs = sorted({entry[3] for entry in queue.pending.values()})
        total = len(seqs)
        assert total + len(queue.unsent) == len(futures)
        accepted: list[tuple[bytes, JobFuture, bool]] = []
        answers = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.75:
                answers.append(("submitted", random_submitted(rng, seqs, [])))
            else:
                answers.append(("error", random_error(rng, first_seqs)))
        with fuzz_case("SubmitQueue.on_submitted/on_batch_refused", SEED + 3, index, answers):
            for kind, answer in answers:
                if kind == "submitted":
                    before = len(queue.pending)
                    left = queue.on_submitted(answer, lambda *args: accepted.append(args))
                    assert left == before - len(queue.pending)
                else:
                    assert queue.on_batch_refused(answer.first_seq, answer.batch_max) in (True, False)
                    assert queue.batch_jobs_max >= 1
                    # Re-sends name only jobs sent (acknowledged ones are skipped when sent).
                    assert set(queue.resend) <= set(seqs)
                # Every job sent is acknowledged or still awaits its ack: nothing leaks
                # out of the window (a leak would block submitters for ever).
                assert queue.finished + len(queue.pending) == total
            for raw_id, future, _ in accepted:
                assert len(raw_id) == 16 and future._jobq_id == raw_id and not future.done()
            accepted_futures = {id(future) for _, future, _ in accepted}
            pending_futures = {id(entry[1]) for entry in queue.pending.values()}
            pending_futures |= {id(entry[1]) for entry in queue.unsent}  # held back for a fuller batch
            for future in futures:
                _check_done_future(future)
                if future.done():
                    assert future.state == "rejected"
                    assert isinstance(future.exception(0), RemoteError)
                else:
                    assert id(future) in accepted_futures or id(future) in pending_futures, "a future nobody tracks"
            # What is left can still be sent again and then fails cleanly.
            queue.mark_all_for_resend()
            queue.send(lambda command, body: True, lambda: True)
            queue.fail_all(ClientClosed("closed"))
            assert all(f.done() or id(f) in accepted_futures for f in futures)


def test_submit_queue_takes_any_workflow_submitted() -> None:
    rng = random.Random(SEED + 8)
    kinds = {"accepted": 0, "refused": 0, "malformed": 0}
    for index in range(4_000):
        queue = SubmitQueue(rng.randint(1, 5), 4 << 20, b"\x00" * 8)
        workflows = [pending_workflow(rng) for _ in range(rng.randint(1, 3))]
        for workflow in workflows:
            queue.add_workflow(workflow)
        sent: list[tuple[Command, bytes]] = []
        assert queue.send(lambda command, body: sent.append((command, body)) or True, lambda: True)
        # Each went alone, with its client_seq and a token of its own.
        bodies = [wire_pb2.SubmitWorkflow.FromString(body) for command, body in sent]
        assert [command for command, _ in sent] == [Command.WORKFLOW] * len(workflows)
        assert [body.client_seq for body in bodies] == [workflow.seq for workflow in workflows]
        assert len({body.submit_token for body in bodies}) == len(workflows)
        assert all(len(body.submit_token) == 16 for body in bodies)
        total = sum(workflow.cost for workflow in workflows)
        counts = {workflow.seq: len(workflow.futures) for workflow in workflows}
        answers = [random_workflow_submitted(rng, counts, []) for _ in range(rng.randint(1, 4))]
        accepted: list[tuple[bytes, JobFuture, bool]] = []
        with fuzz_case("SubmitQueue.on_workflow_submitted", SEED + 8, index, answers):
            for answer in answers:
                before = len(queue.workflows)
                freed = queue.on_workflow_submitted(answer, lambda *args: accepted.append(args))
                assert freed >= 0 and len(queue.workflows) in (before, before - 1)
                # Nothing leaks out of the window: answered workflows gave their tickets back.
                assert queue.finished + sum(w.cost for w in queue.workflows.values()) == total
            accepted_futures = {id(future) for _, future, _ in accepted}
            for workflow in workflows:
                future = workflow.future
                _check_done_future(future)
                for node in workflow.futures:
                    _check_done_future(node)
                if workflow.seq in queue.workflows:
                    # Unanswered: everything pending, the workflow still awaited and re-sendable.
                    assert not future.done() and future.id is None
                    assert not any(node.done() for node in workflow.futures)
                    continue
                if future.id is not None:
                    kinds["accepted"] += 1
                    assert len(future.id) == 36 and len(workflow.futures) == len(counts[workflow.seq] * [0])
                    for node in workflow.futures:
                        assert len(node._jobq_id) == 16 and id(node) in accepted_futures and not node.done()
                    if not workflow.futures:
                        assert future.result(0) == {}
                    continue
                # Refused, or a malformed answer: every future failed with a RemoteError.
                error = future.exception(0)
                assert isinstance(error, RemoteError) and error.state == "rejected", repr(error)
                kinds["malformed" if error.type == "bad_response" else "refused"] += 1
                with pytest.raises(RemoteError):
                    future.accepted(0)
                for node in workflow.futures:
                    assert node.exception(0) is error and node.state == "rejected" and node._jobq_id is None
            queue.mark_all_for_resend()
            assert list(queue.resend_workflows) == list(queue.workflows)
            resent: list[bytes] = []
            queue.send(lambda command, body: resent.append(body) or True, lambda: True)
            # A re-send is the same bytes: same client_seq, same token.
            assert sorted(resent) == sorted(body for (_, body), w in zip(sent, workflows) if w.seq in queue.workflows)
            queue.fail_all(ClientClosed("closed"))
            for workflow in workflows:
                assert workflow.future.done() or workflow.future.id is not None
    print(f"on_workflow_submitted: 4000 cases, {kinds}")
    assert all(count > 100 for count in kinds.values()), kinds


# == RESULT: the wait set ======================================================


def test_wait_set_settles_any_result_cleanly() -> None:
    rng = random.Random(SEED + 4)
    for index in range(5_000):
        waits = WaitSet(2.0)
        ids = [rng.randbytes(16) for _ in range(rng.randint(1, 5))]
        futures = {raw_id: [JobFuture() for _ in range(rng.randint(1, 2))] for raw_id in ids}
        for raw_id, watchers in futures.items():
            for future in watchers:
                future._jobq_id = raw_id
            waits.register([raw_id] * len(watchers), watchers)
        results = [random_results(rng, ids) for _ in range(rng.randint(1, 3))]
        with fuzz_case("WaitSet.complete", SEED + 4, index, results):
            named: set[bytes] = set()
            for result in results:
                waits.complete(result)
                named.update(outcome.id for outcome in result.outcomes)
            for raw_id, watchers in futures.items():
                for future in watchers:
                    _check_done_future(future)
                    if raw_id in named:
                        assert future.done(), "an outcome for its id leaves it pending"
                        assert future.state in STATE_NAMES.values()
                    else:
                        assert not future.done() and future.state == "pending"
                        assert waits.waiting.get(raw_id) is future or future in waits.extra.get(raw_id, [])
            for raw_id in named & set(ids):
                assert raw_id not in waits.waiting and raw_id not in waits.extra


# == the connection's receive path, without its thread =========================


class _InertThread:
    """Stands in for the I/O thread, so that the test drives the connection itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def start(self) -> None:
        pass

    def is_alive(self) -> bool:
        return False

    def join(self, timeout: float | None = None) -> None:
        pass


class _ScriptedDealer:
    """recv_multipart() hands out scripted messages, then zmq.Again."""

    def __init__(self) -> None:
        self.inbox: list[list[bytes]] = []

    def recv_multipart(self, flags: int = 0) -> list[bytes]:
        if not self.inbox:
            raise zmq.Again()
        return self.inbox.pop(0)


@pytest.fixture
def threadless(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], _connection.Connection]]:
    """Makes real Connections whose I/O thread never starts; each is shut afterwards."""
    shim = types.SimpleNamespace(
        Thread=_InertThread,
        Condition=threading.Condition,
        Lock=threading.Lock,
        current_thread=threading.current_thread,
    )
    monkeypatch.setattr(_connection, "threading", shim)
    made: list[tuple[_connection.Connection, Any]] = []

    def make() -> _connection.Connection:
        # Nothing listens there: the test is the broker.
        connection = _connection.Connection("tcp://127.0.0.1:9", connect_timeout=5.0)
        made.append((connection, connection._dealer))
        return connection

    yield make
    for connection, dealer in made:
        if not connection._context.closed:
            connection._dealer = dealer
            connection._shut()


def _client_message(
    rng: random.Random,
    seqs: list[int],
    first_seqs: list[int],
    ids: list[bytes],
    workflow_counts: dict[int, int] | None = None,
) -> list[bytes]:
    choice = rng.random()
    if choice < 0.08:
        return random_frames(rng)
    if choice < 0.14:
        # A command of another direction or socket, a well-formed one: dropped.
        command = rng.choice([c for c in Command if c not in BROKER_TO_CLIENT])
        return encode(command, random_protobuf(rng) if rng.random() < 0.5 else b"")
    if choice < 0.18:
        command = rng.choice(BROKER_TO_CLIENT)
        frames = [b"", SIGNATURE, bytes([command])]  # no body frame: an empty body
        return frames if rng.random() < 0.5 else frames + [b"", random_bytes(rng, 4)]
    command = rng.choice(
        (Command.SUBMITTED, Command.SUBMITTED, Command.CLIENT_RESULT, Command.CLIENT_RESULT, Command.ERROR)
        + ((Command.WORKFLOW_SUBMITTED,) * 2 if workflow_counts else (Command.WORKFLOW_SUBMITTED,))
    )
    if command == Command.WORKFLOW_SUBMITTED:
        message = random_workflow_submitted(rng, workflow_counts or {}, ids)
    elif command == Command.SUBMITTED:
        message = random_submitted(rng, seqs, ids)
    elif command == Command.CLIENT_RESULT:
        message = random_results(rng, ids)
    else:
        message = random_error(rng, first_seqs)
    return encode(command, body_variant(rng, message))


def test_connection_receive_takes_any_message(threadless: Callable[[], _connection.Connection]) -> None:
    rng = random.Random(SEED + 5)
    outcomes = {"failed": 0, "alive": 0}
    messages_fed = 0
    for index in range(2_000):
        connection = threadless()
        dealer = _ScriptedDealer()
        real_dealer, connection._dealer = connection._dealer, dealer
        submits = connection._submits
        # Jobs with and without notify, a sentinel, and jobs waited for by id.
        jobs = [JobFuture(connection) for _ in range(rng.randint(1, 6))]
        for future in jobs:
            submits.add_job(b"\x0a\x01t", future, rng.random() < 0.7)
        sentinels = []
        for _ in range(rng.randint(0, 2)):
            sentinel: Future[None] = Future()
            submits.add_sentinel("q", sentinel)
            sentinels.append(sentinel)
        workflows = [pending_workflow(rng, connection) for _ in range(rng.choice((0, 0, 1, 2)))]
        for workflow in workflows:
            submits.add_workflow(workflow)
        submits.send(lambda command, body: True, lambda: True)
        waited_ids = [rng.randbytes(16) for _ in range(rng.randint(0, 3))]
        waited = [JobFuture(connection) for _ in waited_ids]
        for raw_id, future in zip(waited_ids, waited):
            future._jobq_id = raw_id
        connection._waits.register(waited_ids, waited)
        seqs = list(submits.pending)
        first_seqs = sorted({entry[3] for entry in submits.pending.values()})
        workflow_counts = {workflow.seq: len(workflow.futures) for workflow in workflows}
        total = len(seqs) + sum(workflow.cost for workflow in workflows)
        ids = waited_ids + [rng.randbytes(16) for _ in range(2)]
        script = []
        for _ in range(rng.randint(1, 8)):
            frames = _client_message(rng, seqs, first_seqs, ids, workflow_counts)
            # Acks name ids later RESULTs may use.
            with contextlib.suppress(Exception):
                message = decode(frames)
                if message.command == Command.SUBMITTED:
                    ids += [ack.id for ack in wire_pb2.Submitted.FromString(message.body).acks if len(ack.id) == 16]
                elif message.command == Command.WORKFLOW_SUBMITTED:
                    ids += [i for i in wire_pb2.WorkflowSubmitted.FromString(message.body).node_ids if len(i) == 16]
            script.append(frames)
        all_futures = jobs + waited + sentinels
        all_futures += [workflow.future for workflow in workflows] + [f for w in workflows for f in w.futures]
        with fuzz_case("Connection._receive", SEED + 5, index, script):
            for frames in script:
                dealer.inbox.append(frames)
                connection._receive(time.monotonic())
                messages_fed += 1
                assert not dealer.inbox
                for future in all_futures:
                    _check_done_future(future)
                if connection.failure is not None:
                    # docs/python.md: a client failure is sticky and fails every future.
                    assert isinstance(connection.failure, BrokerError), repr(connection.failure)
                    assert connection.broker in str(connection.failure)
                    assert all(future.done() for future in all_futures), "a failed client left a future pending"
                    continue
                in_flight = len(submits.pending) + sum(w.cost for w in submits.workflows.values())
                assert submits.finished + in_flight == total, "the window leaks"
                tracked = {id(entry[1]) for entry in submits.pending.values()}
                for workflow in submits.workflows.values():
                    tracked |= {id(workflow.future)} | {id(future) for future in workflow.futures}
                for workflow in workflows:
                    # Accepted: done once its nodes are, which the wait set tracks.
                    if workflow.future.id is not None and not all(f.done() for f in workflow.futures):
                        tracked.add(id(workflow.future))
                tracked |= {id(future) for future in connection._waits.waiting.values()}
                tracked |= {id(f) for others in connection._waits.extra.values() for f in others}
                tracked |= {id(future) for _, future in submits.sentinels}
                tracked |= {id(entry[2] if entry[0] is SENTINEL else entry[1]) for entry in submits.unsent if entry[0] is not WORKFLOW}
                for future in all_futures:
                    assert future.done() or id(future) in tracked, "a pending future nobody will settle"
            outcomes["failed" if connection.failure is not None else "alive"] += 1
            connection._dealer = real_dealer
            connection._shut()
            assert all(future.done() for future in all_futures), "close left a future pending"
    print(f"Connection._receive: 2000 connections, {messages_fed} messages, {outcomes}")
    assert messages_fed > 8000
    assert all(count > 100 for count in outcomes.values()), outcomes


# == a real client against a scripted broker ===================================


class ScriptedBroker:
    """A ROUTER playing the broker, as in test_protocol.py."""

    def __init__(self) -> None:
        self.context = zmq.Context()
        self.router = self.context.socket(zmq.ROUTER)
        self.router.linger = 0
        port = self.router.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.peer = b""

    def expect_submit(self, future: JobFuture, index: int, timeout: float = 10.0) -> wire_pb2.Submit | None:
        """The SUBMIT of case ``index`` (payload ``{"i": index}``), or None when ``future``
        failed before it was sent. Others are skipped: a client closed after an earlier case
        may still have one on its way, and answering it would leave this case's job waiting."""
        deadline = time.monotonic() + timeout
        while True:
            if future.done():
                return None
            if not self.router.poll(20):
                if time.monotonic() > deadline:
                    raise AssertionError(f"the client sent no SUBMIT in {timeout} s, and the job is pending")
                continue
            frames = self.router.recv_multipart()
            if frames[3] != bytes([Command.SUBMIT]):
                continue
            submit = wire_pb2.Submit.FromString(frames[4])
            if any(json.loads(job.payload) == {"i": index} for job in submit.jobs):
                self.peer = frames[0]
                return submit

    def send(self, frames: list[bytes]) -> None:
        self.router.send_multipart([self.peer, *frames])

    def close(self) -> None:
        self.router.close()
        self.context.term()


def _close_in_time(client: jobq.Client, timeout: float = 10.0) -> None:
    closer = threading.Thread(target=client.close, daemon=True)
    closer.start()
    closer.join(timeout)
    assert not closer.is_alive(), "Client.close() hangs"


def _case_script(rng: random.Random, seq: int) -> tuple[list[list[bytes]], list[list[bytes]]]:
    """(garbage, answers) for the job of SUBMIT ``seq``: 0-3 messages of garbage, then its
    ack and a RESULT with a hostile result payload (and RESULTs for ids garbage acks gave it)."""
    job_id = rng.randbytes(16)
    garbage = [_client_message(rng, [seq], [seq], [job_id]) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
    outcome = wire_pb2.JobOutcome(id=job_id, state=rng.choice((wire_pb2.JOB_STATE_SUCCEEDED, random_state(rng))))
    outcome.result = random_json_bytes(rng)
    outcome.content_type = rng.choice((JSON_TYPE, random_content_type(rng)))
    answers = [
        encode(
            Command.SUBMITTED,
            wire_pb2.Submitted(acks=[wire_pb2.SubmitAck(client_seq=seq, id=job_id)]).SerializeToString(),
        ),
        encode(Command.CLIENT_RESULT, wire_pb2.ClientResults(outcomes=[outcome]).SerializeToString()),
    ]
    # A garbage ack of this job may name another id: its RESULT comes too.
    for frames in garbage:
        with contextlib.suppress(Exception):
            message = decode(frames)
            if message.command == Command.SUBMITTED:
                for ack in wire_pb2.Submitted.FromString(message.body).acks:
                    if ack.client_seq == seq and len(ack.id) == 16 and ack.id != job_id:
                        other = wire_pb2.JobOutcome(id=ack.id, state=wire_pb2.JOB_STATE_SUCCEEDED, result=b"1")
                        body = wire_pb2.ClientResults(outcomes=[other]).SerializeToString()
                        answers.append(encode(Command.CLIENT_RESULT, body))
    return garbage, answers


def test_a_real_client_fails_cleanly_or_carries_on(caplog: pytest.LogCaptureFixture) -> None:
    """Garbage and hostile results for a real Client: it fails with BrokerError or carries on.

    Each case has its own generator (seeded from the seed and the case), so a
    case replays alone whatever the timing of the ones before it.
    """
    caplog.set_level(logging.ERROR, logger="jobq")
    broker = ScriptedBroker()
    client: jobq.Client | None = None
    seen = {"value": 0, "RemoteError": 0, "BrokerError": 0, "failed before sending": 0}
    try:
        for index in range(400):
            rng = random.Random((SEED + 6) * 1_000_003 + index)
            future = None
            if client is not None:
                try:
                    future = client.submit("t", i=index)
                except BrokerError as error:
                    # Failed by what came after the last case's answer.
                    assert broker.endpoint in str(error)
                    _close_in_time(client)
                    client = None
            if client is None:
                client = jobq.Client(broker.endpoint, connect_timeout=10.0)
                future = client.submit("t", i=index)
            submit = broker.expect_submit(future, index)
            if submit is None:
                # Failed by what came after the last case's answer, before this SUBMIT went.
                with pytest.raises(BrokerError, match=broker.endpoint):
                    future.result(0)
                seen["failed before sending"] += 1
                _close_in_time(client)
                client = None
                continue
            seq = submit.first_seq
            garbage, answers = _case_script(rng, seq)
            with fuzz_case("jobq.Client against a scripted broker", SEED + 6, index, garbage + answers):
                assert len(submit.jobs) == 1
                for frames in garbage + answers:
                    broker.send(frames)
                try:
                    future.result(10)
                    seen["value"] += 1
                except RemoteError as error:
                    assert error.type and isinstance(error.message, str)
                    seen["RemoteError"] += 1
                except BrokerError as error:
                    assert broker.endpoint in str(error)
                    seen["BrokerError"] += 1
                    with pytest.raises(BrokerError):
                        client.submit("t")  # sticky
                    _close_in_time(client)
                    client = None
                except TimeoutError:
                    connection = client._connection
                    raise AssertionError(
                        f"the future is still pending 10 s after its answers (the client awaits acks of "
                        f"{list(connection._submits.pending)} and outcomes of "
                        f"{[i.hex() for i in connection._waits.waiting]}; failure {connection.failure!r})"
                    ) from None
                crashes = [r for r in caplog.records if "I/O thread failed" in r.getMessage()]
                assert not crashes, f"the I/O thread died of an exception: {crashes[0].exc_text}"
    finally:
        if client is not None:
            _close_in_time(client)
        broker.close()
    print(f"jobq.Client vs scripted broker: 400 cases, {seen}")
    assert all(count > 10 for key, count in seen.items() if key != "failed before sending"), seen


# == key files =================================================================

KEY_ALPHABET = (
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
    ' "=#\t\r\n\x0b\x0c\x1c\x85\u2028é\x00'
)


def _key_file_bytes(rng: random.Random, public: str, secret: str) -> bytes:
    choice = rng.randrange(10)
    if choice == 0:
        return random_bytes(rng, 200)
    if choice == 1:
        # Lines made of the format's own pieces, in any order.
        pieces = ["public-key", "secret-key", "=", '"', public, secret, "#", " ", "\n", "key", "#" * 40, "~" * 40]
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))).encode()
    text = rng.choice(
        (
            f'# jobq keygen\npublic-key = "{public}"\nsecret-key = "{secret}"\n',
            f'public-key = "{public}"\n',
            f"{public}\n",
            f'secret-key = "{secret}"\n',
        )
    )
    chars = list(text)
    for _ in range(rng.randint(0, 4)):
        operation = rng.randrange(4)
        position = rng.randrange(len(chars) + 1)
        if operation == 0 and chars:
            chars[min(position, len(chars) - 1)] = rng.choice(KEY_ALPHABET)
        elif operation == 1:
            chars.insert(position, rng.choice(KEY_ALPHABET))
        elif operation == 2 and chars:
            del chars[min(position, len(chars) - 1)]
        else:
            chars[position:position] = list(rng.choice(("\n", '\nsecret-key = "' + secret + '"\n', public, "#")))
    data = "".join(chars).encode("utf-8", "surrogatepass")
    return mutate(rng, data) if rng.random() < 0.15 else data


def test_key_file_parser_gives_keys_or_key_file_error(tmp_path: Path) -> None:
    rng = random.Random(SEED + 7)
    # A pair from the seed, so that the mutations (of the keys too) replay.
    secret = z85.encode(rng.randbytes(32)).decode()
    public = zmq.curve_public(secret.encode()).decode()
    pub_path, key_path = tmp_path / "fuzz.pub", tmp_path / "fuzz.key"
    good_key = tmp_path / "good.key"
    good_key.write_text(f'public-key = "{public}"\nsecret-key = "{secret}"\n')
    good_pub = tmp_path / "good.pub"
    good_pub.write_text(f'public-key = "{public}"\n')
    loaded = refused = 0
    for index in range(5_000):
        data = _key_file_bytes(rng, public, secret)
        with fuzz_case("_curve key files", SEED + 7, index, data):
            pub_path.write_bytes(data)
            key_path.write_bytes(data)
            try:
                key = load_public_key(pub_path)
            except KeyFileError as error:
                assert str(pub_path) in str(error), "the error names the file"
                refused += 1
            else:
                assert isinstance(key, str) and len(key) == 40 and len(z85.decode(key)) == 32
                loaded += 1
            try:
                pair = load_key_pair(key_path)
            except KeyFileError as error:
                assert str(key_path) in str(error), "the error names the file"
            else:
                assert pair[0] == zmq.curve_public(pair[1].encode()).decode()
            try:
                keys = client_keys(rng.choice((pub_path, good_pub)), rng.choice((key_path, good_key)))
            except KeyFileError as error:
                assert str(error)
            else:
                assert keys is not None and len(keys.server_public) == len(keys.public) == len(keys.secret) == 40
    print(f"key files: 5000 cases, {loaded} public keys loaded, {refused} refused")
    assert loaded > 200 and refused > 1000, (loaded, refused)
