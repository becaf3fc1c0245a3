"""EventLoopPool: ``async def`` tasks on one asyncio event loop thread.

The reference's asyncio section: thousands of jobs that mostly await need
one thread, not thousands. Every async job becomes an asyncio Task on the
loop; a CANCEL or a timeout (the connection cancels the job's token)
cancels that Task, so the task sees CancelledError at its next await.

Jobs reach the loop in batches: one ``call_soon_threadsafe`` per burst of
submits, not one per job, because each costs a write to the loop's
self-pipe.

Thread-safety: submit() and stop() from the connection thread; everything
else runs on the loop's thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable

from jobq import wire_pb2
from jobq.tasks import TaskDef
from jobq.worker import codec, context, errors, execute
from jobq.worker.cancel import CancelToken, error_type

Post = Callable[[tuple[tuple[bytes, int], wire_pb2.JobResult]], None]
_Item = tuple[TaskDef, wire_pb2.DispatchedJob, CancelToken, "float | None"]


class EventLoopPool:
    def __init__(self, limit: int, post: Post) -> None:
        """``limit``: unfinished async jobs (also past their timeout) before submit() refuses."""
        self._limit = limit
        self._post = post
        self._loop = asyncio.new_event_loop()
        self._pending: list[_Item] = []
        self._pending_lock = threading.Lock()
        self._submitted = 0  # connection thread only
        self._done = 0  # loop thread only; a stale read only delays a refusal
        self._thread = threading.Thread(target=self._serve, name="jobq-asyncio", daemon=True)
        self._thread.start()

    def occupied(self) -> int:
        return self._submitted - self._done

    def submit(
        self,
        definition: TaskDef,
        job: wire_pb2.DispatchedJob,
        token: CancelToken,
        deadline: float | None,
    ) -> bool:
        if self._submitted - self._done >= self._limit:
            return False
        self._submitted += 1
        with self._pending_lock:
            self._pending.append((definition, job, token, deadline))
            first = len(self._pending) == 1
        if first:
            self._loop.call_soon_threadsafe(self._start_pending)
        return True

    def stop(self, wait: float) -> bool:
        """Stops the loop once the jobs on it are done, or after ``wait`` seconds.

        False when jobs were still running then: tasks that swallowed their
        cancellation, which stopping the loop abandons.
        """
        deadline = time.monotonic() + wait
        while self.occupied() > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        finished = self.occupied() == 0
        try:
            self._loop.call_soon_threadsafe(self._loop.stop)
        except RuntimeError:
            return finished  # the loop is closed already
        self._thread.join(max(0.0, deadline - time.monotonic()) + 1.0)
        return finished

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            for task in asyncio.all_tasks(self._loop):
                task.cancel()

    def _start_pending(self) -> None:
        with self._pending_lock:
            items, self._pending = self._pending, []
        for item in items:
            self._loop.create_task(self._run(*item))

    async def _run(
        self,
        definition: TaskDef,
        job: wire_pb2.DispatchedJob,
        token: CancelToken,
        deadline: float | None,
    ) -> None:
        result = execute.new_result(job)
        started = time.perf_counter_ns()
        try:
            await self._call(definition, job, token, deadline, result)
        finally:
            result.run_time_us = (time.perf_counter_ns() - started) // 1000
            self._done += 1
            self._post(((job.id, job.attempt), result))

    async def _call(
        self,
        definition: TaskDef,
        job: wire_pb2.DispatchedJob,
        token: CancelToken,
        deadline: float | None,
        result: wire_pb2.JobResult,
    ) -> None:
        try:
            args, kwargs = codec.decode_arguments(job.task, job.payload, job.content_type)
        except errors.TaskError as error:
            execute.fail(result, error.type, error.message)
            return
        task = asyncio.current_task()
        loop = self._loop

        def cancel_task(reason: str) -> None:
            # The token is cancelled on the connection thread; the Task may
            # only be touched on the loop's.
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass  # the loop has stopped: the task ends with it

        token.on_cancel(cancel_task)
        # This Task's own context.
        context.enter(execute.make_context(job, token, deadline, self._post))
        try:
            value = await definition.fn(*args, **kwargs)
        except asyncio.CancelledError as cancelled:
            if token.cancelled:
                execute.fail(
                    result,
                    error_type(token.reason),
                    f"task {job.task!r} was stopped ({token.reason}) at an await",
                )
            else:
                # Something the task awaited was cancelled, not the job.
                execute.fail_with_exception(result, job.task, cancelled, call_frames=1)
        except BaseException as exception:  # noqa: BLE001  a task's SystemExit must not stop the worker
            execute.fail_with_exception(result, job.task, exception, call_frames=1)
        else:
            execute.succeed(result, job.task, value)
