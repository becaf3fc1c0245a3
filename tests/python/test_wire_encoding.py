"""The hand-framed JobSpecs and SUBMITs decode, with the generated wire_pb2, as the spec says."""

from __future__ import annotations

import json
import time

import pytest
from jobq import admin_pb2, wire_pb2
from jobq._jobspec import JobOptions, encode_job, encode_submit, task_field, varint, with_token
from jobq._payload import CALL_TYPE, Kwargs, decode_call, decode_result, encode_call


def decode_job(raw: bytes) -> wire_pb2.JobSpec:
    return wire_pb2.JobSpec.FromString(raw)


def test_a_job_with_every_option() -> None:
    options = JobOptions(
        queue="emails", priority=-3, timeout=1.5, retries=4, backoff=2, key="order-17", delay=60, kind="cpu", result_ttl=3600
    )
    payload, content_type = encode_call("send", ("a@b.c",), {"urgent": True})
    before = int(time.time() * 1000)
    spec = decode_job(with_token(encode_job(options, task_field("send"), payload, content_type), b"\x01" * 8, 258))
    assert (spec.queue, spec.task, spec.priority, spec.timeout_ms, spec.max_attempts, spec.backoff_ms) == (
        "emails", "send", -3, 1500, 5, 2000
    )
    assert (spec.idempotency_key, spec.kind, spec.result_ttl_ms) == ("order-17", wire_pb2.KIND_CPU, 3_600_000)
    assert before + 60_000 <= spec.not_before_ms <= int(time.time() * 1000) + 60_000
    assert spec.content_type == CALL_TYPE
    assert json.loads(spec.payload) == {"args": ["a@b.c"], "kwargs": {"urgent": True}}
    assert spec.submit_token == b"\x01" * 8 + (258).to_bytes(8, "big")
    assert len(spec.submit_token) == 16


def test_defaults_leave_the_fields_unset() -> None:
    payload, content_type = encode_call("sum_squares", (), {"n": 1000})
    spec = decode_job(encode_job(JobOptions(), task_field("sum_squares"), payload, content_type))
    assert spec == wire_pb2.JobSpec(task="sum_squares", payload=b'{"n":1000}')


def test_a_submit_numbers_its_jobs_from_first_seq() -> None:
    jobs = [encode_job(JobOptions(), task_field("t"), b"{}", "application/json") for _ in range(300)]
    submit = wire_pb2.Submit.FromString(encode_submit(2**40, jobs, True))
    assert submit.first_seq == 2**40 and submit.notify and len(submit.jobs) == 300
    assert not wire_pb2.Submit.FromString(encode_submit(1, jobs[:1], False)).notify


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**63 - 1])
def test_varint(value: int) -> None:
    assert wire_pb2.Submit.FromString(b"\x08" + varint(value)).first_seq == value


def test_call_payloads_round_trip() -> None:
    assert decode_call(*encode_call("t", (), {"n": 1})) == ([], {"n": 1})
    assert decode_call(*encode_call("t", (1, [2]), {"k": "v"})) == ([1, [2]], {"k": "v"})
    assert decode_call(*encode_call("t", (Kwargs(n=2),), {})) == ([], {"n": 2})
    assert encode_call("t", (), {}) == (b"{}", "application/json")
    # What the CLI sends a Python task.
    assert decode_call(b"[1,2]", "application/json") == ([1, 2], {})
    assert decode_call(b"7", "") == ([7], {})
    assert decode_call(b"", "") == ([], {})


def test_results() -> None:
    assert decode_result(b"null", "application/json") is None
    assert decode_result(b'{"a":[1,2.5,"\xc3\xa9"]}', "") == {"a": [1, 2.5, "é"]}
    assert decode_result(b"\x00\x01", "application/octet-stream") == b"\x00\x01"


def test_the_admin_module_imports_the_wire_module() -> None:
    # protoc -I proto: admin.proto's import of jobq/wire.proto is `from jobq import wire_pb2`.
    assert admin_pb2.JobInfo().error.DESCRIPTOR.full_name == "jobq.wire.ErrorInfo"
