"""Per-job options and the wire encoding of jobs and SUBMITs.

A JobSpec is encoded once, when it is submitted, and kept as bytes until
its ack: a re-send after a reconnect or a TOO_LARGE refusal sends the same
bytes again, and a SUBMIT is only its jobs' bytes framed together. The
options shared by many jobs (queue, priority, ...) are encoded once per
JobOptions, through the generated ``wire_pb2``; per job only the task
name, the payload and the submit token are appended. Protobuf allows the
fields of a message in any order, so the concatenation is a valid JobSpec.
"""

from __future__ import annotations

import dataclasses
import math
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from . import wire_pb2
from ._payload import JSON_TYPE
from .future import JobFuture

# docs/protocol.md, "SUBMIT": the ranges the broker accepts.
TIMEOUT_MAX_S = 365 * 86400
LONG_DURATION_MAX_S = 3650 * 86400
RETRIES_MAX = 999_999
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

# Field tags of JobSpec (wire type 2: length-delimited, 0: varint) and Submit.
_TAG_TASK = b"\x12"  # 2
_TAG_PAYLOAD = b"\x1a"  # 3
_TAG_CONTENT_TYPE = b'"'  # 4
_TAG_NOT_BEFORE = b"8"  # 7
_TAG_IDEMPOTENCY_KEY = b"R"  # 10
_TAG_TOKEN_16 = b"j\x10"  # 13, 16 bytes
_TAG_SUBMIT_FIRST_SEQ = b"\x08"  # Submit.first_seq = 1
_TAG_SUBMIT_JOB = b"\x12"  # Submit.jobs = 2
_SUBMIT_NOTIFY = b"\x18\x01"  # Submit.notify = 3, true

TOKEN_PREFIX_BYTES = 8
# What a token adds to a job's encoding, counted into a batch's size.
TOKEN_FIELD_BYTES = len(_TAG_TOKEN_16) + 16


def varint(value: int) -> bytes:
    """The protobuf varint of a non-negative integer."""
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _seconds(name: str, value: Any, maximum: float, allow_zero: bool) -> int:
    """Seconds as milliseconds, checked against the range the broker takes."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError(f"{name} is a number of seconds, not {value!r}")
    if value < 0 or (value == 0 and not allow_zero) or value > maximum:
        low = "0" if allow_zero else "more than 0"
        raise ValueError(f"{name}={value!r}: must be {low} and at most {maximum:,.0f} seconds")
    milliseconds = round(value * 1000)
    # A positive duration below a millisecond must not become 0, which
    # means "none" or "the default" on the wire.
    return max(milliseconds, 1) if value > 0 else 0


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _unix_ms(at: Any) -> int:
    """``at`` (an aware datetime, or unix seconds) as unix ms, rounded up: never earlier."""
    if isinstance(at, datetime):
        # A naive datetime could be local time or UTC; the CLI's --at wants an offset too.
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"at={at!r}: give the datetime a time zone (tzinfo), e.g. timezone.utc")
        # Exact integer arithmetic: a float timestamp could round to a millisecond before it.
        since = at - _EPOCH
        return (since.days * 86_400 + since.seconds) * 1000 + -(-since.microseconds // 1000)
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at):
        raise TypeError(f"at is a datetime or unix seconds, not {at!r}")
    return math.ceil(at * 1000)


PARENT_FAILURE = {"cancel": wire_pb2.PARENT_FAILURE_CANCEL, "run": wire_pb2.PARENT_FAILURE_RUN}


def _parent(item: Any) -> bytes | JobFuture:
    """One entry of ``after``: 16 id bytes, or a JobFuture whose id comes once it is accepted."""
    if isinstance(item, JobFuture):
        return item if item._jobq_id is None else item._jobq_id
    if isinstance(item, uuid.UUID):
        return item.bytes
    if isinstance(item, bytes):
        if len(item) != 16:
            raise ValueError(f"after: a job id has 16 bytes, not {len(item)}")
        return item
    if isinstance(item, str):
        try:
            return uuid.UUID(item).bytes
        except ValueError:
            raise ValueError(f"after: not a job id: {item!r} (expected the 36-character form jobq prints)") from None
    raise TypeError(f"after takes job ids (text, bytes, uuid.UUID) or JobFutures, not {item!r}")


def _parent_id(parent: bytes | JobFuture) -> bytes:
    if isinstance(parent, bytes):
        return parent
    return parent._wait_for_id("a parent in after")


@dataclass(frozen=True)
class JobOptions:
    """How a job runs; None (or the default) leaves it to the broker's defaults.

    Durations are seconds (float). ``retries`` is the number of retries
    after the first attempt (max_attempts = retries + 1); ``key`` an
    idempotency key; ``delay`` a wait before the job may run, counted from
    each submit, or ``at`` the time it may run from (an aware datetime or
    unix seconds; a past time runs now), not both; ``kind`` overrides the
    task's pool ("io" or "cpu"). ``after``: parent jobs (ids, or JobFutures
    of this or another client) the job waits for; it then runs with their
    results in its keyword argument ``inputs``. ``on_parent_failure``:
    "cancel" (the default: a parent that does not succeed cancels the job,
    error type ``upstream_failed``) or "run" (it runs once every parent has
    finished, the failures in ``upstream_errors``).
    """

    queue: str = ""
    priority: int = 0
    timeout: float | None = None
    retries: int | None = None
    backoff: float | None = None
    key: str | None = None
    delay: float | None = None
    kind: str | None = None
    result_ttl: float | None = None
    at: datetime | float | None = None
    after: tuple[Any, ...] = ()
    on_parent_failure: str = "cancel"

    def __post_init__(self) -> None:
        # Checked now, so a bad option fails options(), not a job on the broker.
        if not isinstance(self.queue, str):
            raise TypeError(f"queue is a str, not {self.queue!r}")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise TypeError(f"priority is an int, not {self.priority!r}")
        if not INT32_MIN <= self.priority <= INT32_MAX:
            raise ValueError(f"priority={self.priority}: must fit in 32 bits")
        if self.retries is not None:
            if isinstance(self.retries, bool) or not isinstance(self.retries, int):
                raise TypeError(f"retries is an int, not {self.retries!r}")
            if not 0 <= self.retries <= RETRIES_MAX:
                raise ValueError(f"retries={self.retries}: must be 0 to {RETRIES_MAX:,}")
        if self.key is not None and (not isinstance(self.key, str) or not self.key):
            raise ValueError(f"key is a non-empty str, not {self.key!r}")
        if self.kind not in (None, "io", "cpu"):
            raise ValueError(f'kind={self.kind!r}: "io" or "cpu"')
        if self.delay is not None and self.at is not None:
            raise ValueError("give either delay (seconds from now) or at (a time), not both")
        after = self.after
        if isinstance(after, (str, bytes, uuid.UUID, JobFuture)):
            after = (after,)  # one parent
        try:
            parents = tuple(_parent(item) for item in after)
        except TypeError as error:
            if "after takes" in str(error):
                raise
            raise TypeError(f"after is a list of job ids or JobFutures, not {self.after!r}") from None
        object.__setattr__(self, "after", parents)
        if self.on_parent_failure not in PARENT_FAILURE:
            raise ValueError(f'on_parent_failure={self.on_parent_failure!r}: "cancel" or "run"')
        self._durations()
        self._at_ms()

    def _durations(self) -> dict[str, int]:
        durations = {}
        if self.timeout is not None:
            durations["timeout_ms"] = _seconds("timeout", self.timeout, TIMEOUT_MAX_S, allow_zero=True)
        if self.backoff is not None:
            durations["backoff_ms"] = _seconds("backoff", self.backoff, LONG_DURATION_MAX_S, allow_zero=False)
        if self.result_ttl is not None:
            durations["result_ttl_ms"] = _seconds(
                "result_ttl", self.result_ttl, LONG_DURATION_MAX_S, allow_zero=False
            )
        if self.delay is not None:
            durations["delay_ms"] = _seconds("delay", self.delay, LONG_DURATION_MAX_S, allow_zero=True)
        return durations

    def replace(self, **changes: Any) -> "JobOptions":
        unknown = set(changes) - {field.name for field in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"unknown job option(s): {', '.join(sorted(unknown))}")
        # A view's time replaces its base's: options(at=...) on an executor
        # with a default delay means that time, not an error.
        if changes.get("at") is not None and "delay" not in changes:
            changes["delay"] = None
        if changes.get("delay") is not None and "at" not in changes:
            changes["at"] = None
        return dataclasses.replace(self, **changes)

    @cached_property
    def template(self) -> bytes:
        """The encoded fields these options set, shared by every job that uses them."""
        durations = self._durations()
        spec = wire_pb2.JobSpec(
            queue=self.queue,
            priority=self.priority,
            timeout_ms=durations.get("timeout_ms", 0),
            max_attempts=0 if self.retries is None else self.retries + 1,
            backoff_ms=durations.get("backoff_ms", 0),
            result_ttl_ms=durations.get("result_ttl_ms", 0),
            kind={None: wire_pb2.KIND_UNSPECIFIED, "io": wire_pb2.KIND_IO, "cpu": wire_pb2.KIND_CPU}[self.kind],
        )
        if self.key is not None:
            spec.idempotency_key = self.key
        # A fixed time is the same for every job; a delay is added per job.
        spec.not_before_ms = self.not_before_ms
        # A JobFuture's id is waited for here, once per options: a job is
        # encoded when it is submitted, so a parent submitted just before
        # needs only its acknowledgement.
        spec.after.extend(_parent_id(parent) for parent in self.after)
        spec.on_parent_failure = PARENT_FAILURE[self.on_parent_failure]
        return spec.SerializeToString()

    @cached_property
    def delay_ms(self) -> int:
        return self._durations().get("delay_ms", 0)

    @cached_property
    def not_before_ms(self) -> int:
        return self._at_ms()

    def _at_ms(self) -> int:
        """``at`` as unix ms (0 without it), checked against the broker's range."""
        if self.at is None:
            return 0
        milliseconds = _unix_ms(self.at)
        if milliseconds > time.time() * 1000 + LONG_DURATION_MAX_S * 1000:
            raise ValueError(f"at={self.at!r}: more than {LONG_DURATION_MAX_S // 86400:,} days ahead")
        # Before 1970 is as past as any past time (runs now); the wire has no negative times.
        return max(milliseconds, 0)


def task_field(name: str) -> bytes:
    """The encoded task name; callers cache it per task."""
    raw = name.encode()
    return _TAG_TASK + varint(len(raw)) + raw


def encode_job(options: JobOptions, task: bytes, payload: bytes, content_type: str) -> bytes:
    """One JobSpec without its submit token (the I/O thread adds it when it numbers the job)."""
    job = options.template + task + _TAG_PAYLOAD + varint(len(payload)) + payload
    if content_type != JSON_TYPE:
        raw = content_type.encode()
        job += _TAG_CONTENT_TYPE + varint(len(raw)) + raw
    if options.delay_ms:
        # The broker's clock decides; a past time means now.
        job += _TAG_NOT_BEFORE + varint(int(time.time() * 1000) + options.delay_ms)
    return job


def with_token(job: bytes, prefix: bytes, seq: int) -> bytes:
    """The job with its submit_token: the client's random prefix, then its client_seq."""
    return job + _TAG_TOKEN_16 + prefix + seq.to_bytes(8, "big")


def encode_submit(first_seq: int, jobs: list[bytes], notify: bool) -> bytes:
    """A Submit body from encoded JobSpecs (with their tokens)."""
    parts = [_TAG_SUBMIT_FIRST_SEQ, varint(first_seq)]
    for job in jobs:
        parts.append(_TAG_SUBMIT_JOB)
        parts.append(varint(len(job)))
        parts.append(job)
    if notify:
        parts.append(_SUBMIT_NOTIFY)
    return b"".join(parts)


_TAG_WORKFLOW_SEQ = b"\x08"  # SubmitWorkflow.client_seq = 1
_TAG_WORKFLOW_TOKEN_16 = b"*\x10"  # SubmitWorkflow.submit_token = 5, 16 bytes


def with_seq_and_token(workflow: bytes, seq: int, prefix: bytes) -> bytes:
    """A SubmitWorkflow body (jobq.workflow.encode_workflow) as sent: with its client_seq
    and its submit token, made as a job's is (the client's prefix, then the sequence)."""
    return _TAG_WORKFLOW_SEQ + varint(seq) + workflow + _TAG_WORKFLOW_TOKEN_16 + prefix + seq.to_bytes(8, "big")
