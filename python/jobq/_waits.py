"""The jobs a client waits on, and their outcomes (docs/protocol.md, "WAIT").

Owned by the client's I/O thread, never locked. Accepted jobs submitted
with ``notify`` are watched from their ack on; jobs named by id (Client.wait,
Client.futures) get a WAIT. Every ``resend_interval`` seconds all watched
ids go out in WAIT again, so a restarted broker learns who waits; a
duplicate RESULT finds no future and is dropped.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from . import wire_pb2
from ._frames import Command
from ._payload import decode_result
from ._submits import settle
from .errors import RemoteError
from .future import JobFuture, settle_many

# WAIT and CANCEL bodies carry at most this many ids, so one message never
# holds up the broker's loop for long.
IDS_PER_MESSAGE = 10_000

STATE_NAMES = {
    wire_pb2.JOB_STATE_UNSPECIFIED: "unknown",
    wire_pb2.JOB_STATE_SCHEDULED: "scheduled",
    wire_pb2.JOB_STATE_QUEUED: "queued",
    wire_pb2.JOB_STATE_RUNNING: "running",
    wire_pb2.JOB_STATE_SUCCEEDED: "succeeded",
    wire_pb2.JOB_STATE_FAILED: "failed",
    wire_pb2.JOB_STATE_DEAD: "dead",
    wire_pb2.JOB_STATE_CANCELLED: "cancelled",
    wire_pb2.JOB_STATE_BLOCKED: "blocked",
}
_SUCCEEDED = wire_pb2.JOB_STATE_SUCCEEDED


def send_ids(send: Callable[[Command, bytes], bool], command: Command, ids: list[bytes]) -> bool:
    """WAIT or CANCEL for ``ids``, in messages of at most IDS_PER_MESSAGE ids."""
    message = wire_pb2.Wait if command == Command.WAIT else wire_pb2.Cancel
    for start in range(0, len(ids), IDS_PER_MESSAGE):
        if not send(command, message(ids=ids[start : start + IDS_PER_MESSAGE]).SerializeToString()):
            return False
    return True


def outcome_error(outcome: Any) -> RemoteError:
    """The RemoteError of an outcome other than success."""
    error = outcome.error
    state = STATE_NAMES.get(outcome.state, "unknown")
    kind = error.type or ("unknown_job" if state == "unknown" else state)
    message = error.message or f"the job ended {state}"
    return RemoteError(
        kind,
        message,
        job_id=str(uuid.UUID(bytes=outcome.id)) if len(outcome.id) == 16 else None,
        attempts=outcome.attempts,
        exception=error.exception,
        traceback=error.detail,
        state=state,
    )


class WaitSet:
    def __init__(self, resend_interval: float) -> None:
        self.resend_interval = resend_interval
        self.waiting: dict[bytes, JobFuture] = {}
        # Further futures for an id already in `waiting` (two waits on one job,
        # or a duplicate submit acknowledged with the first job's id).
        self.extra: dict[bytes, list[JobFuture]] = {}
        # Ids to send in the next WAIT (registered by id, or all after a reconnect).
        self.unsent: list[bytes] = []
        self.next_resend_at: float | None = None

    def __len__(self) -> int:
        return len(self.waiting)

    def watch(self, raw_id: bytes, future: JobFuture) -> None:
        """Waits for ``raw_id``'s outcome; the broker pushes it (a notify submit)."""
        if raw_id in self.waiting:
            self.extra.setdefault(raw_id, []).append(future)
        else:
            self.waiting[raw_id] = future

    def register(self, ids: list[bytes], futures: list[JobFuture]) -> None:
        """Waits for jobs named by id: they need a WAIT."""
        for raw_id, future in zip(ids, futures):
            self.watch(raw_id, future)
        self.unsent.extend(ids)

    def forget(self, future: JobFuture) -> bool:
        """Stops waiting for a cancelled future; whether it was waited for."""
        raw_id = future._jobq_id
        if raw_id is None:
            return False
        if self.waiting.get(raw_id) is future:
            others = self.extra.pop(raw_id, None)
            if others:
                self.waiting[raw_id] = others.pop(0)
                if others:
                    self.extra[raw_id] = others
            else:
                del self.waiting[raw_id]
            return True
        others = self.extra.get(raw_id)
        if others and future in others:
            others.remove(future)
            return True
        return False

    def resend_all(self) -> None:
        """After a reconnect: every watched id goes out in a WAIT at once."""
        self.unsent = list(self.waiting)

    def send(self, send: Callable[[Command, bytes], bool], now: float) -> bool:
        if self.next_resend_at is None or not self.waiting:
            self.next_resend_at = now + self.resend_interval
        elif now >= self.next_resend_at:
            self.unsent = list(self.waiting)
            self.next_resend_at = now + self.resend_interval
        if not self.unsent:
            return True
        ids, self.unsent = self.unsent, []
        return send_ids(send, Command.WAIT, ids)

    def complete(self, results: Any) -> None:
        waiting = self.waiting
        extra = self.extra
        settled: list[tuple[JobFuture, Any, BaseException | None]] = []
        for outcome in results.outcomes:
            future = waiting.pop(outcome.id, None)
            if future is None:
                continue  # a duplicate RESULT (a re-sent WAIT crossed it), or a cancelled future
            others = extra.pop(outcome.id, None) if extra else None
            state = outcome.state
            value = None
            error: BaseException | None = None
            if state == _SUCCEEDED:
                try:
                    value = decode_result(outcome.result, outcome.content_type)
                except ValueError as problem:
                    error = RemoteError(
                        "bad_result", f"the job's result is not valid JSON: {problem}", state="succeeded"
                    )
            else:
                error = outcome_error(outcome)
            state_name = STATE_NAMES.get(state, "unknown")
            attempts = outcome.attempts
            for done in (future,) if others is None else (future, *others):
                done._jobq_state = state_name
                done._jobq_attempts = attempts
                settled.append((done, value, error))
        settle_many(settled)

    def fail_all(self, error: BaseException) -> None:
        for future in self.waiting.values():
            settle(future, error=error)
        for others in self.extra.values():
            for future in others:
                settle(future, error=error)
        self.waiting.clear()
        self.extra.clear()
        self.unsent.clear()
