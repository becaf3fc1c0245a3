"""``jobq.current_job()``: what a running task can learn about its job.

A task is a plain function of its arguments; the job around it (id,
attempt, deadline, cancellation) is reached through ``current_job()``,
which reads a context variable the worker sets around each call. Context
variables are per thread and per asyncio task, so this is right in the I/O
pool's threads, on the event loop and in CPU children alike.
"""

from __future__ import annotations

import contextvars
import time
from typing import Callable

from jobq.worker import progress
from jobq.worker.cancel import CancelToken
from jobq.worker.errors import CANCELLED, TaskError


class JobContext:
    """The job a task runs for. Read-only, except through its token."""

    __slots__ = ("id", "task", "queue", "attempt", "deadline", "_token", "_report")

    def __init__(
        self,
        id: str,
        task: str,
        queue: str,
        attempt: int,
        deadline: float | None,
        token: CancelToken,
        report: Callable[[int, int, str], None] | None = None,
    ) -> None:
        self.id = id  # canonical 36-character text
        self.task = task
        self.queue = queue
        self.attempt = attempt  # 1 on the first run
        self.deadline = deadline  # time.time() by which the job must finish; None: no timeout
        self._token = token
        self._report = report

    @property
    def cancelled(self) -> bool:
        """True once the job was cancelled or timed out: stop and return (or raise)."""
        return self._token.cancelled

    def sleep(self, seconds: float) -> bool:
        """Sleeps unless cancelled first; True when the whole time passed."""
        return self._token.sleep(seconds)

    def raise_if_cancelled(self) -> None:
        """Raises TaskError("cancelled") when the job was cancelled or timed out."""
        if self._token.cancelled:
            raise TaskError(CANCELLED, f"task {self.task!r} stopped: job {self._token.reason}")

    def progress(self, done: int, total: int = 0, message: str = "") -> None:
        """Reports how far the job has got: ``done`` of ``total`` (0: not known),
        with a line for people. Cheap to call often: the worker sends at most
        10 reports a second per job, always the latest, and the last one before
        the job's result. ``message`` is cut to 256 bytes of UTF-8. Raises
        ValueError for a negative count or ``done`` above a non-zero ``total``.
        """
        progress.check(done, total)
        if self._report is not None:
            self._report(done, total, progress.bounded_message(str(message)))

    def remaining(self) -> float | None:
        """Seconds left before the job's timeout; None without one."""
        return None if self.deadline is None else max(0.0, self.deadline - time.time())

    def __repr__(self) -> str:
        return f"JobContext(id={self.id!r}, task={self.task!r}, attempt={self.attempt})"


_current: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar(
    "jobq_current_job", default=None
)


def current_job() -> JobContext:
    """The job the calling task runs for; RuntimeError outside a jobq task."""
    context = _current.get()
    if context is None:
        raise RuntimeError("jobq.current_job() is only available inside a task a jobq worker runs")
    return context


def enter(context: JobContext) -> contextvars.Token:
    return _current.set(context)


def leave(token: contextvars.Token) -> None:
    _current.reset(token)
