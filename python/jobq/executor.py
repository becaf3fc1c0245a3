"""jobq.Executor: concurrent.futures.Executor whose workers are on other machines.

``submit`` and ``map`` send jobs to the broker and return standard futures,
so code written for ThreadPoolExecutor or ProcessPoolExecutor, including
``concurrent.futures.wait`` and ``as_completed``, runs unchanged. Per-job
options go through ``options()``, which returns a *view*: an Executor with
other defaults on the same connection, so they can never collide with a
task's own keyword arguments.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ._jobspec import JobOptions
from .client import Client, encode
from .future import JobFuture

if TYPE_CHECKING:
    from .workflow import WorkflowFuture

# Jobs map() hands the I/O thread per request: one wake-up and one window
# check each, and a batch the I/O thread sends as one SUBMIT.
_MAP_CHUNK = 1000


class _Shared:
    """What an Executor and its views have in common."""

    def __init__(self, client: Client, owns_client: bool) -> None:
        self.client = client
        self.owns_client = owns_client
        self.shutdown = False
        self.lock = threading.Lock()


def _result_or_cancel(future: JobFuture, timeout: float | None = None) -> Any:
    try:
        return future.result(timeout)
    except BaseException:
        # As the standard library's map: an abandoned job is cancelled.
        future.cancel()
        raise


class Executor(concurrent.futures.Executor):
    """Runs tasks as jobq jobs.

    ``Executor(broker=None, *, client=None, connect_timeout=5.0, ...,
    **options)``: connection settings are Client's; ``options`` are default
    job options (queue, priority, timeout, retries, backoff, key, delay
    or at, kind, result_ttl). Pass ``client=`` to share a Client, which the
    Executor then does not close.
    """

    _shared: _Shared
    _options: JobOptions

    def __init__(
        self,
        broker: str | None = None,
        *,
        client: Client | None = None,
        connect_timeout: float = 5.0,
        reconnect_timeout: float = 30.0,
        window: int = 20_000,
        batch_max: int = 1000,
        broker_key: str | os.PathLike[str] | None = None,
        curve_key: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> None:
        if client is None:
            client = Client(
                broker,
                connect_timeout=connect_timeout,
                reconnect_timeout=reconnect_timeout,
                window=window,
                batch_max=batch_max,
                broker_key=broker_key,
                curve_key=curve_key,
            )
            owns_client = True
        else:
            if broker is not None:
                raise TypeError("give either broker or client, not both")
            owns_client = False
        self._shared = _Shared(client, owns_client)
        self._options = client.options.replace(**options)

    @property
    def client(self) -> Client:
        return self._shared.client

    @property
    def job_options(self) -> JobOptions:
        return self._options

    def options(self, **changes: Any) -> "Executor":
        """A view with other job options: the same connection, futures and lifetime.

        ``executor.options(queue="emails", priority=5, timeout=30, retries=3,
        backoff=2, key="order-17", delay=60)``; ``at=`` a time instead of
        ``delay`` (an aware datetime or unix seconds). Shutting down any
        view shuts down the executor.
        """
        view = object.__new__(type(self))
        view._shared = self._shared
        view._options = self._options.replace(**changes)
        return view

    def _check_open(self) -> None:
        if self._shared.shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")

    def submit(self, task: Any, /, *args: Any, **kwargs: Any) -> JobFuture:  # type: ignore[override]
        """Submits ``task(*args, **kwargs)`` as a job; its future, at once.

        ``task`` is a task name ("sum_squares") or an ``@jobq.task``
        function. Arguments must be JSON-serialisable (TypeError otherwise,
        and nothing is sent); docs/python.md says how they become the
        payload. The future's result is the job's result; a job that did not
        succeed raises ``jobq.RemoteError``.
        """
        self._check_open()
        job = encode(self._options, task, args, kwargs)
        connection = self._shared.client._connection
        future = JobFuture(connection)
        connection.submit_job(job, future, True)
        return future

    def submit_workflow(self, workflow: Any, *, name: str | None = None) -> "WorkflowFuture":
        """``Client.submit_workflow`` with this view's job options as the nodes' defaults."""
        self._check_open()
        from . import workflow as workflow_module  # it builds on jobq.client

        return workflow_module.submit(self._shared.client._connection, self._options, workflow, name)

    def map(  # type: ignore[override]
        self,
        task: Any,
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        """``task`` over the iterables' items as jobs; results in order.

        All jobs are submitted before the first result is yielded (as the
        standard library's map does), in batches of 1000 per request. A
        non-JSON argument raises TypeError before anything is sent.
        ``chunksize`` is accepted for compatibility: each call is its own
        job whatever it is, and submits are batched anyway. ``timeout``
        counts from the call; unfinished jobs are cancelled when it passes or
        the iterator is closed early.
        """
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        self._check_open()
        end_time = None if timeout is None else timeout + time.monotonic()
        options = self._options
        # Encoded whole first: one bad argument must not leave half a map running.
        jobs = [encode(options, task, args, {}) for args in zip(*iterables)]
        connection = self._shared.client._connection
        futures = [JobFuture(connection) for _ in jobs]
        for start in range(0, len(jobs), _MAP_CHUNK):
            connection.submit_jobs(jobs[start : start + _MAP_CHUNK], futures[start : start + _MAP_CHUNK], True)
        del jobs

        def result_iterator() -> Iterator[Any]:
            try:
                futures.reverse()
                while futures:
                    if end_time is None:
                        yield _result_or_cancel(futures.pop())
                    else:
                        yield _result_or_cancel(futures.pop(), end_time - time.monotonic())
            finally:
                for future in futures:
                    future.cancel()

        return result_iterator()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No more submits; with ``cancel_futures`` every unfinished job is cancelled
        on the broker (its future cancelled); with ``wait`` returns once every
        future is done. The connection closes then (at once if not ``wait``:
        once the last future is done)."""
        shared = self._shared
        with shared.lock:
            shared.shutdown = True
        connection = shared.client._connection
        if cancel_futures:
            connection.cancel_all()
        if wait:
            connection.drained().result()
            if shared.owns_client:
                shared.client.close()
        elif shared.owns_client:
            connection.close(when_drained=True)

