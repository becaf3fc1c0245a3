"""jobq.Client: a producer's connection to the broker, below the Executor.

It submits jobs (one, or many in one call), waits for jobs by id (also
jobs other producers submitted), cancels them and sends sentinels. Every
method may be called from any thread; one I/O thread per Client owns the
socket (jobq._connection).
"""

from __future__ import annotations

import os
import uuid
import weakref
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ._connection import Connection
from ._curve import client_keys
from ._jobspec import JobOptions, encode_job, task_field
from ._payload import JSON_TYPE, encode_call
from .errors import RemoteError
from .future import JobFuture
from .tasks import task_name

if TYPE_CHECKING:
    from .workflow import WorkflowFuture

# Encoded task names by task name: a program submits few distinct tasks.
_TASK_FIELDS: dict[str, bytes] = {}
_TASK_FIELDS_MAX = 10_000


def encoded_task(task: Any) -> tuple[str, bytes]:
    """(name, encoded JobSpec.task field) of a task name or an @jobq.task function."""
    name = task if type(task) is str else task_name(task)
    field = _TASK_FIELDS.get(name)
    if field is None:
        if not name:
            raise ValueError("the task name is empty")
        field = task_field(name)
        if len(_TASK_FIELDS) < _TASK_FIELDS_MAX:
            _TASK_FIELDS[name] = field
    return name, field


def encode(
    options: JobOptions, task: Any, args: Sequence[Any], kwargs: Mapping[str, Any], has_parents: bool = False
) -> bytes:
    """One job's JobSpec; TypeError for arguments that are not JSON."""
    name, field = encoded_task(task)
    payload, content_type = encode_call(name, args, kwargs)
    if (has_parents or options.after) and content_type != JSON_TYPE:
        raise TypeError(
            f"task {name!r} has parents, so it takes keyword arguments only: its payload, a JSON "
            'object, gains "inputs" (their results)'
        )
    return encode_job(options, field, payload, content_type)


def as_options(options: JobOptions | Mapping[str, Any] | None, base: JobOptions) -> JobOptions:
    if options is None:
        return base
    if isinstance(options, JobOptions):
        return options
    return base.replace(**options)


def id_bytes(job_id: str | bytes | uuid.UUID) -> bytes:
    """A job id as its 16 bytes, from the text ``jobq submit`` prints, bytes or a UUID."""
    if isinstance(job_id, uuid.UUID):
        return job_id.bytes
    if isinstance(job_id, bytes):
        if len(job_id) != 16:
            raise ValueError(f"a job id has 16 bytes, not {len(job_id)}")
        return job_id
    try:
        return uuid.UUID(job_id).bytes
    except (ValueError, AttributeError, TypeError):
        raise ValueError(f"not a job id: {job_id!r} (expected the 36-character form jobq prints)") from None


@dataclass(frozen=True)
class Job:
    """One job for Client.submit_many: a task, its arguments, and its options."""

    task: Any
    args: Sequence[Any] = ()
    kwargs: Mapping[str, Any] | None = None
    options: JobOptions | Mapping[str, Any] | None = None

    def with_options(self, **changes: Any) -> "Job":
        """This job with other options (``retries=3``, ``on_parent_failure="run"``, ...)."""
        if isinstance(self.options, JobOptions):
            options: JobOptions | Mapping[str, Any] = self.options.replace(**changes)
        else:
            options = {**(self.options or {}), **changes}
        return Job(self.task, self.args, self.kwargs, options)


@dataclass(frozen=True)
class Outcome:
    """How a job ended: its state, attempts, and the result or the error."""

    job_id: str
    state: str  # succeeded, failed, dead, cancelled, rejected, unknown
    attempts: int
    result: Any = None
    error: RemoteError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def outcome_of(job_id: str, future: JobFuture) -> Outcome:
    error = future.exception()
    if error is not None and not isinstance(error, RemoteError):
        raise error  # the client's own failure (broker lost, closed), not the job's
    return Outcome(
        job_id=job_id,
        state=future.state,
        attempts=future.attempts,
        result=None if error is not None else future.result(),
        error=error,
    )


class Client:
    """A connection to a jobq broker.

    ``broker``: the frontend endpoint (default JOBQ_BROKER, else
    tcp://127.0.0.1:5555). ``connect_timeout``: seconds the broker has to
    first answer, and while connected to acknowledge what was sent;
    ``reconnect_timeout``: how long a lost broker may take to come back
    while requests are pending. ``window``: unacknowledged jobs at most
    (submit blocks beyond). ``batch_max``: jobs per SUBMIT. ``broker_key`` /
    ``curve_key``: CURVE key files (the broker's .pub and this producer's
    .key from ``jobq keygen``; default JOBQ_BROKER_KEY / JOBQ_CURVE_KEY).
    Other keyword arguments are default job options (see JobOptions).
    """

    def __init__(
        self,
        broker: str | None = None,
        *,
        connect_timeout: float = 5.0,
        reconnect_timeout: float = 30.0,
        window: int = 20_000,
        batch_max: int = 1000,
        broker_key: str | os.PathLike[str] | None = None,
        curve_key: str | os.PathLike[str] | None = None,
        wait_resend_interval: float = 2.0,
        **options: Any,
    ) -> None:
        self.options = JobOptions().replace(**options)
        self._connection = Connection(
            broker,
            connect_timeout=connect_timeout,
            reconnect_timeout=reconnect_timeout,
            window=window,
            batch_jobs_max=batch_max,
            wait_resend_interval=wait_resend_interval,
            keys=client_keys(broker_key, curve_key),
        )
        # A Client dropped without close() still finishes what it started.
        self._finalizer = weakref.finalize(self, self._connection.close, True)

    @property
    def broker(self) -> str:
        return self._connection.broker

    # -- submitting ------------------------------------------------------------

    def submit(self, task: Any, /, *args: Any, **kwargs: Any) -> JobFuture:
        """Submits ``task(*args, **kwargs)`` with the client's default options."""
        future = JobFuture(self._connection)
        self._connection.submit_job(encode(self.options, task, args, kwargs), future, True)
        return future

    def submit_many(self, jobs: Iterable[Job], *, notify: bool = True) -> list[JobFuture]:
        """Submits many jobs in one request; their futures, in order.

        Every job is encoded before any is sent, so one bad argument raises
        TypeError and submits nothing. With ``notify=False`` the broker does
        not push outcomes: each future resolves to the job id once the
        broker accepted the job (``wait(ids)`` gets the outcomes later).
        """
        encoded = [
            encode(as_options(job.options, self.options), job.task, job.args, job.kwargs or {}) for job in jobs
        ]
        futures = [JobFuture(self._connection) for _ in encoded]
        if encoded:
            self._connection.submit_jobs(encoded, futures, notify)
        return futures

    def submit_workflow(self, workflow: Any, *, name: str | None = None) -> "WorkflowFuture":
        """Submits a workflow, accepted whole or not at all; its future, at once.

        ``workflow`` is a ``jobq.Workflow`` or a canvas piece (``chain``,
        ``group``, ``chord``, a Job). Nodes without options of their own
        take the client's. Every node is encoded first: a bad argument
        raises TypeError naming the node and nothing is sent. The broker's
        refusal (a cycle, an unknown parent, a duplicate name, a full
        queue) fails the future with RemoteError, its message naming the
        node. ``name`` labels it in ``jobq workflow list``.
        """
        from . import workflow as workflow_module  # it builds on this module

        return workflow_module.submit(self._connection, self.options, workflow, name)

    # -- waiting ---------------------------------------------------------------

    def futures(self, ids: Iterable[str | bytes | uuid.UUID]) -> list[JobFuture]:
        """Futures of jobs submitted earlier, by anyone; they resolve as submit()'s do.

        An id the broker does not know fails its future with RemoteError
        type "unknown_job". Cancelling one of these futures cancels the job.
        """
        raw = [id_bytes(job_id) for job_id in ids]
        futures = [JobFuture(self._connection) for _ in raw]
        for future, raw_id in zip(futures, raw):
            future._jobq_id = raw_id
        if raw:
            self._connection.wait_ids(raw, futures)
        return futures

    def wait(self, ids: Iterable[str | bytes | uuid.UUID], timeout: float | None = None) -> list[Outcome]:
        """Blocks until every job has finished; their outcomes in order.

        A failed job is an Outcome with ``error`` set, not an exception;
        TimeoutError when ``timeout`` seconds pass first.
        """
        texts = [str(uuid.UUID(bytes=id_bytes(job_id))) for job_id in ids]
        futures = self.futures(texts)
        _, not_done = wait_futures(futures, timeout)
        if not_done:
            for future in not_done:
                self._connection.forget_future(future)
            raise TimeoutError(f"{len(not_done)} of {len(futures)} jobs had not finished in {timeout} s")
        return [outcome_of(text, future) for text, future in zip(texts, futures)]

    def result(self, job_id: str | bytes | uuid.UUID, timeout: float | None = None) -> Any:
        """The job's result, waiting for it; RemoteError if it did not succeed."""
        future = self.futures([job_id])[0]
        try:
            return future.result(timeout)
        except TimeoutError:
            self._connection.forget_future(future)
            raise

    # -- controlling -----------------------------------------------------------

    def cancel(self, ids: Iterable[str | bytes | uuid.UUID]) -> None:
        """Asks the broker to cancel jobs (docs/protocol.md, CANCEL); returns at once.

        Queued jobs end cancelled; running ones are signalled and end
        cancelled unless their success was already on its way.
        """
        raw = [id_bytes(job_id) for job_id in ids]
        if raw:
            self._connection.cancel_ids(raw)

    def sentinel(self, queue: str = "default", timeout: float | None = None) -> None:
        """Puts a sentinel into ``queue`` behind every job this client submitted
        before; returns once the broker acknowledged it (it is then durable).

        Workers serving the queue finish what they hold and stop when dispatch
        reaches it (docs/protocol.md, "Sentinels").
        """
        self._connection.sentinel("" if queue == "default" else queue).result(timeout)

    # -- lifetime --------------------------------------------------------------

    def close(self) -> None:
        """Closes the connection at once; unfinished futures fail with ClientClosed."""
        self._finalizer.detach()
        self._connection.close()

    def drain(self, timeout: float | None = None) -> None:
        """Blocks until every job, sentinel and wait of this client is finished."""
        self._connection.drained().result(timeout)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
