"""The exceptions of the jobq client.

``RemoteError`` is what ``future.result()`` raises for a job that did not
succeed, as ``concurrent.futures`` re-raises a task's exception; the others
say why the client itself could not do what was asked.
"""

from __future__ import annotations

from typing import Any


class JobqError(Exception):
    """Base class of every jobq exception."""


class RemoteError(JobqError):
    """A job failed, was refused or cancelled: the error as its worker or the broker gave it.

    ``type`` is the language-neutral word of docs/protocol.md ("exception",
    "timeout", "cancelled", "unknown_task", "bad_args", "queue_full", ...),
    for programs to branch on; ``message`` is one line for people;
    ``exception`` the class name of what a task raised ("ValueError",
    "std::runtime_error"), when it raised; ``traceback`` the remote traceback
    or other detail text the worker sent (empty when none).
    """

    def __init__(
        self,
        type: str,
        message: str,
        *,
        job_id: str | None = None,
        attempts: int = 0,
        exception: str = "",
        traceback: str = "",
        state: str = "",
    ) -> None:
        super().__init__(type, message)
        self.type = type
        self.message = message
        self.job_id = job_id
        self.attempts = attempts
        self.exception = exception
        self.traceback = traceback
        self.state = state

    @property
    def detail(self) -> str:
        """The name docs/protocol.md gives ``traceback`` (ErrorInfo.detail)."""
        return self.traceback

    def __str__(self) -> str:
        what = f"{self.exception}: " if self.exception else ""
        where = f" (job {self.job_id}" if self.job_id else ""
        if where and self.attempts:
            where += f", {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        where += ")" if where else ""
        text = f"[{self.type}] {what}{self.message}{where}"
        if self.traceback:
            text += "\n\nRemote traceback:\n" + self.traceback.rstrip()
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields survive pickling (a result passed to another process).
        return (
            _rebuild_remote_error,
            (self.type, self.message, self.job_id, self.attempts, self.exception, self.traceback, self.state),
        )


def _rebuild_remote_error(
    type: str, message: str, job_id: str | None, attempts: int, exception: str, traceback: str, state: str
) -> RemoteError:
    return RemoteError(
        type, message, job_id=job_id, attempts=attempts, exception=exception, traceback=traceback, state=state
    )


class WorkflowError(RemoteError):
    """A workflow ended with nodes that did not succeed: the first one's error, named.

    ``node`` is the node that failed first in submit order among those
    that failed on their own (a node cancelled with ``upstream_failed``
    only follows a parent; it is named when nothing else failed);
    ``type``, ``message``, ``exception``, ``traceback``, ``job_id``,
    ``attempts`` and ``state`` are its. ``failed`` lists every node that
    did not succeed, in submit order; ``workflow_id`` is the workflow's.
    """

    def __init__(
        self,
        node: str,
        cause: RemoteError,
        failed: tuple[str, ...] = (),
        workflow_id: str | None = None,
    ) -> None:
        super().__init__(
            cause.type,
            f"node {node!r} of the workflow: {cause.message}",
            job_id=cause.job_id,
            attempts=cause.attempts,
            exception=cause.exception,
            traceback=cause.traceback,
            state=cause.state,
        )
        self.node = node
        self.cause = cause
        self.failed = failed or (node,)
        self.workflow_id = workflow_id

    @classmethod
    def of(cls, workflow_id: str | None, failed: list[tuple[str, RemoteError]]) -> "WorkflowError":
        """The error of a workflow whose nodes ``failed`` ((name, error) in submit order)."""
        node, cause = next(((n, e) for n, e in failed if e.type != "upstream_failed"), failed[0])
        return cls(node, cause, tuple(name for name, _ in failed), workflow_id)

    def __str__(self) -> str:
        text = super().__str__()
        others = [name for name in self.failed if name != self.node]
        if others:
            shown = ", ".join(others[:10]) + (", ..." if len(others) > 10 else "")
            text += f"\n({len(others)} other node{'s' if len(others) != 1 else ''} did not succeed: {shown})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (WorkflowError, (self.node, self.cause, self.failed, self.workflow_id))


class BrokerUnavailable(JobqError, ConnectionError):
    """The broker could not be reached, stopped answering, or was lost for too long.

    Jobs not acknowledged by then may or may not have been accepted; the
    message says how many.
    """


class AuthenticationError(JobqError, PermissionError):
    """The CURVE handshake failed: a key the broker refuses, or keys on one side only."""


class BrokerError(JobqError):
    """The broker answered ERROR to a request (a protocol mismatch or its own failure)."""


class ClientClosed(JobqError, RuntimeError):
    """The client was closed (or the executor shut down) before the job's outcome arrived."""
