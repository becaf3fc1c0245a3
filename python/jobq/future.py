"""JobFuture: a concurrent.futures.Future for one job on the broker.

A subclass, so the standard library's ``wait`` and ``as_completed`` take it
unchanged; it adds what a remote job has (its id, attempts, state) and
makes ``cancel()`` reach the broker.

One difference inside: a Future makes a threading.Condition of its own,
which costs more than everything else a submitted job costs the producer
together (about 5 µs of the ~10 µs). JobFutures share a small pool of
conditions instead, so ``result()`` and ``exception()`` wait in a loop
(a notify may be for another future of the same condition); everything
else is Future's own code.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from concurrent.futures import CancelledError, Future
from concurrent.futures import _base  # the state names Future's own methods use
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._connection import Connection

_FINISHED = _base.FINISHED
_CANCELLED_STATES = (_base.CANCELLED, _base.CANCELLED_AND_NOTIFIED)

# Few enough to make cheaply, enough that threads waiting on different
# futures rarely wake one another.
_CONDITIONS = tuple(threading.Condition() for _ in range(64))
_next_condition = itertools.count().__next__


class JobFuture(Future):  # type: ignore[type-arg]
    """The future of one job; resolves to the job's result or raises ``jobq.RemoteError``.

    ``cancel()`` works as long as the future is not done (a remote job
    never reports "running"): it cancels the future at once and asks the
    broker to cancel the job, which ends a queued job and signals a
    running one (docs/protocol.md, CANCEL); a result the worker still
    sends is dropped.
    """

    # Defaults on the class, so a new future only sets what Future needs.
    # The client's I/O thread sets the 16-byte id once the broker accepted
    # the job, and the state and attempts of its outcome.
    _jobq_id: bytes | None = None
    _jobq_state = "pending"
    _jobq_attempts = 0
    # Read by the I/O thread without a lock: a job cancelled before it was
    # sent is never sent, one cancelled before its ack is cancelled on the
    # broker once the ack names it.
    _jobq_cancel_requested = False
    # Set while a thread waits for the id (_wait_for_id): the I/O thread then
    # notifies the future's condition when the ack names it.
    _jobq_id_wanted = False

    def __init__(self, connection: "Connection | None" = None) -> None:
        # Future.__init__'s fields, with a shared condition (see the module doc).
        # Futures made one after the other share one: the outcomes of one
        # RESULT then mostly take one lock and one notify (settle_many).
        self._condition = _CONDITIONS[(_next_condition() >> 5) & 63]
        self._state = _base.PENDING
        self._result = None
        self._exception = None
        self._waiters: list[Any] = []
        self._done_callbacks: list[Any] = []
        self._jobq_connection = connection

    @property
    def job_id(self) -> str | None:
        """The job's id (36-character text) once the broker accepted it; None before."""
        raw = self._jobq_id
        return None if raw is None else str(uuid.UUID(bytes=raw))

    @property
    def state(self) -> str:
        """"pending" until done; then the job's final state ("succeeded", "failed",
        "dead", "cancelled"), "rejected" if the broker refused it, "unknown"
        for an id it does not know, or "accepted" (a submit without notify)."""
        return self._jobq_state

    @property
    def attempts(self) -> int:
        """Attempts the job took, once done (0 before, or if it never ran)."""
        return self._jobq_attempts

    def cancel(self) -> bool:
        if self._state in _CANCELLED_STATES:
            return True  # cancelled before: the broker was asked then
        if not self.cancel_locally():
            return False
        connection = self._jobq_connection
        if connection is not None:
            connection.cancel_future(self)
        return True

    def cancel_locally(self) -> bool:
        """Cancels the future only; the client's I/O thread then deals with the job."""
        if self._state in _CANCELLED_STATES:
            return True  # as Future.cancel; notifying twice would raise
        if not Future.cancel(self):
            return False
        self._jobq_cancel_requested = True
        # What an executor's worker does on taking a cancelled item: until
        # then wait() and as_completed() do not count the future as done.
        self.set_running_or_notify_cancel()
        return True

    def _wait_for_id(self, what: str) -> bytes:
        """The job's id, waiting for the broker's acknowledgement; ValueError
        if the job was refused, cancelled first, or the client failed.

        No timeout of its own: the client's connect and reconnect timeouts
        end every wait for an acknowledgement.
        """
        connection = self._jobq_connection
        if self._jobq_id is None and connection is not None and threading.current_thread() is connection._thread:
            raise ValueError(f"{what}: its job is not acknowledged yet, and a done-callback cannot wait for that")
        with self._condition:
            self._jobq_id_wanted = True
            while self._jobq_id is None and self._state == _base.PENDING:
                self._condition.wait()
        raw = self._jobq_id
        if raw is not None:
            return raw
        if self._state in _CANCELLED_STATES:
            raise ValueError(f"{what}: its future was cancelled before the broker accepted the job")
        raise ValueError(f"{what}: the job was not accepted ({self._exception})")

    def _wait_done(self, timeout: float | None) -> None:
        """Waits, under the condition, until finished or cancelled; TimeoutError after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._state != _FINISHED and self._state not in _CANCELLED_STATES:
            if deadline is None:
                self._condition.wait()
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError()
            self._condition.wait(remaining)

    def result(self, timeout: float | None = None) -> Any:
        try:
            with self._condition:
                self._wait_done(timeout)
                if self._state in _CANCELLED_STATES:
                    raise CancelledError()
                if self._exception is not None:
                    raise self._exception
                return self._result
        finally:
            # As Future.result: no reference cycle through a raised exception.
            self = None  # type: ignore[assignment]

    def exception(self, timeout: float | None = None) -> BaseException | None:
        with self._condition:
            self._wait_done(timeout)
            if self._state in _CANCELLED_STATES:
                raise CancelledError()
            return self._exception


def id_known(future: JobFuture) -> None:
    """Wakes a thread in _wait_for_id once the I/O thread has set the future's id."""
    if future._jobq_id_wanted:
        with future._condition:
            future._condition.notify_all()


def settle_many(outcomes: list[tuple[JobFuture, Any, BaseException | None]]) -> None:
    """Completes many futures as set_result / set_exception would, skipping done ones.

    Each condition is taken once and notified once for the lot, so a RESULT
    of many outcomes wakes a thread waiting on them once, not once per job
    (each wake-up also costs the I/O thread the GIL back).
    """
    groups: dict[Any, list[tuple[JobFuture, Any, BaseException | None]]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome[0]._condition, []).append(outcome)
    with_callbacks = []
    for condition, group in groups.items():
        with condition:
            for future, value, error in group:
                if future._state != _base.PENDING:
                    continue  # cancelled by its caller meanwhile
                if error is None:
                    future._result = value
                else:
                    future._exception = error
                future._state = _FINISHED
                for waiter in future._waiters:
                    if error is None:
                        waiter.add_result(future)
                    else:
                        waiter.add_exception(future)
                if future._done_callbacks:
                    with_callbacks.append(future)
            condition.notify_all()
    for future in with_callbacks:
        future._invoke_callbacks()
