"""The client against a scripted broker (a ROUTER in the test): what it sends and
how it takes what it gets, case by case from docs/protocol.md."""

from __future__ import annotations

import time
import uuid
from typing import Iterator

import jobq
import pytest
import zmq
from jobq import wire_pb2
from jobq._frames import SIGNATURE, Command
from jobq_cluster import wait_until

JOB_ID = bytes(range(16))


class FakeBroker:
    def __init__(self) -> None:
        self.context = zmq.Context()
        self.router = self.context.socket(zmq.ROUTER)
        self.router.linger = 0
        port = self.router.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.peer = b""

    def receive(self, timeout: float = 10.0) -> tuple[Command, bytes]:
        if not self.router.poll(int(timeout * 1000)):
            raise AssertionError(f"the client sent nothing in {timeout} s")
        frames = self.router.recv_multipart()
        self.peer = frames[0]
        assert frames[1:3] == [b"", SIGNATURE], frames
        return Command(frames[3][0]), frames[4]

    def expect(self, command: Command, timeout: float = 10.0) -> bytes:
        got, body = self.receive(timeout)
        assert got == command, f"expected {command.name}, got {got.name}"
        return body

    def send(self, command: Command, message: object) -> None:
        self.router.send_multipart([self.peer, b"", SIGNATURE, bytes([command]), message.SerializeToString()])

    def close(self) -> None:
        self.router.close()
        self.context.term()


@pytest.fixture
def fake() -> Iterator[FakeBroker]:
    broker = FakeBroker()
    yield broker
    broker.close()


def ack(submit: wire_pb2.Submit, ids: list[bytes]) -> wire_pb2.Submitted:
    return wire_pb2.Submitted(
        acks=[wire_pb2.SubmitAck(client_seq=submit.first_seq + i, id=ids[i]) for i in range(len(submit.jobs))]
    )


def test_a_job_carries_a_token_and_a_duplicate_result_is_dropped(fake: FakeBroker) -> None:
    with jobq.Client(fake.endpoint) as client:
        future = client.submit("t", x=1)
        submit = wire_pb2.Submit.FromString(fake.expect(Command.SUBMIT))
        assert submit.notify and submit.first_seq >= 1 and len(submit.jobs) == 1
        job = submit.jobs[0]
        assert (job.task, job.payload) == ("t", b'{"x":1}')
        assert len(job.submit_token) == 16
        assert job.submit_token[8:] == submit.first_seq.to_bytes(8, "big")
        fake.send(Command.SUBMITTED, ack(submit, [JOB_ID]))
        outcome = wire_pb2.JobOutcome(id=JOB_ID, state=wire_pb2.JOB_STATE_SUCCEEDED, attempts=1, result=b'"ok"')
        fake.send(Command.CLIENT_RESULT, wire_pb2.ClientResults(outcomes=[outcome, outcome]))
        fake.send(Command.CLIENT_RESULT, wire_pb2.ClientResults(outcomes=[outcome]))
        assert future.result(10) == "ok"
        assert future.job_id == "00010203-0405-0607-0809-0a0b0c0d0e0f"
        # The client is still healthy after the duplicates.
        second = client.submit("t")
        submit = wire_pb2.Submit.FromString(fake.expect(Command.SUBMIT))
        assert submit.jobs[0].submit_token[:8] == job.submit_token[:8]
        fake.send(Command.SUBMITTED, ack(submit, [bytes(16)]))
        fake.send(
            Command.CLIENT_RESULT,
            wire_pb2.ClientResults(outcomes=[wire_pb2.JobOutcome(id=bytes(16), state=wire_pb2.JOB_STATE_CANCELLED)]),
        )
        with pytest.raises(jobq.RemoteError) as caught:
            second.result(10)
        assert caught.value.type == "cancelled" and caught.value.state == "cancelled"


def test_wait_is_sent_again_about_every_interval(fake: FakeBroker) -> None:
    with jobq.Client(fake.endpoint, wait_resend_interval=0.3) as client:
        [future] = client.futures([JOB_ID])
        first = wire_pb2.Wait.FromString(fake.expect(Command.WAIT))
        started = time.monotonic()
        again = wire_pb2.Wait.FromString(fake.expect(Command.WAIT))
        assert list(first.ids) == list(again.ids) == [JOB_ID]
        assert time.monotonic() - started >= 0.2
        fake.send(
            Command.CLIENT_RESULT,
            wire_pb2.ClientResults(outcomes=[wire_pb2.JobOutcome(id=JOB_ID, state=wire_pb2.JOB_STATE_SUCCEEDED)]),
        )
        assert future.result(10) is None


def test_too_large_makes_the_client_split_and_resend_the_same_jobs(fake: FakeBroker) -> None:
    with jobq.Client(fake.endpoint) as client:
        futures = client.submit_many([jobq.Job("t", kwargs={"i": i}) for i in range(5)])
        submit = wire_pb2.Submit.FromString(fake.expect(Command.SUBMIT))
        assert len(submit.jobs) == 5
        fake.send(
            Command.ERROR,
            wire_pb2.Error(code=wire_pb2.ERROR_CODE_TOO_LARGE, text="too many", first_seq=submit.first_seq, batch_max=2),
        )
        resent = [wire_pb2.Submit.FromString(fake.expect(Command.SUBMIT)) for _ in range(3)]
        assert [len(s.jobs) for s in resent] == [2, 2, 1]
        assert [s.first_seq for s in resent] == [submit.first_seq, submit.first_seq + 2, submit.first_seq + 4]
        assert [j.submit_token for s in resent for j in s.jobs] == [j.submit_token for j in submit.jobs]
        ids = [bytes([i]) * 16 for i in range(1, 6)]
        for s in resent:
            offset = s.first_seq - submit.first_seq
            fake.send(Command.SUBMITTED, ack(s, ids[offset : offset + len(s.jobs)]))
        wait_until(lambda: all(f.job_id for f in futures), what="every job acknowledged")
        assert [f.job_id for f in futures] == [str(uuid.UUID(bytes=i)) for i in ids]


def test_a_refused_job_fails_alone_and_other_errors_fail_the_client(fake: FakeBroker) -> None:
    with jobq.Client(fake.endpoint) as client:
        refused, taken = client.submit_many([jobq.Job("t"), jobq.Job("t")])
        submit = wire_pb2.Submit.FromString(fake.expect(Command.SUBMIT))
        fake.send(
            Command.SUBMITTED,
            wire_pb2.Submitted(
                acks=[
                    wire_pb2.SubmitAck(
                        client_seq=submit.first_seq,
                        error=wire_pb2.ErrorInfo(type="queue_full", message="--queue-max 10"),
                    ),
                    wire_pb2.SubmitAck(client_seq=submit.first_seq + 1, id=JOB_ID),
                ]
            ),
        )
        with pytest.raises(jobq.RemoteError) as caught:
            refused.result(10)
        assert (caught.value.type, caught.value.message, caught.value.state) == ("queue_full", "--queue-max 10", "rejected")
        fake.send(Command.ERROR, wire_pb2.Error(code=wire_pb2.ERROR_CODE_BAD_BODY, text="jobq.wire.Submit"))
        with pytest.raises(jobq.BrokerError, match=r"rejected a request \(ERROR_CODE_BAD_BODY\): jobq.wire.Submit"):
            taken.result(10)
        with pytest.raises(jobq.BrokerError):
            client.submit("t")


def test_a_peer_that_is_not_a_jobq_broker(fake: FakeBroker) -> None:
    with jobq.Client(fake.endpoint) as client:
        future = client.submit("t")
        fake.expect(Command.SUBMIT)
        fake.router.send_multipart([fake.peer, b"", b"HTTP/1.1", b"\x11", b""])
        with pytest.raises(jobq.BrokerError, match="malformed message"):
            future.result(10)


def test_connected_but_never_acknowledged_fails_in_the_connect_timeout(fake: FakeBroker) -> None:
    with jobq.Client(fake.endpoint, connect_timeout=0.5) as client:
        future = client.submit("t")
        fake.expect(Command.SUBMIT)
        with pytest.raises(jobq.BrokerUnavailable, match=r"no reply in 0.5 s.*1 submitted job was not acknowledged"):
            future.result(10)
