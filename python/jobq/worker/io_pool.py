"""ThreadPool: plain-function I/O tasks on a fixed set of threads.

The reference's ThreadPoolExecutor, trimmed to what a worker needs: jobs go
through one SimpleQueue to ``threads`` daemon threads, and each finished
job is posted to the connection's mailbox. Not concurrent.futures' pool,
because (1) a Future per job is overhead a 20,000 jobs/s worker feels, (2)
its threads are joined at interpreter exit, so a task that ignores its
cancellation would keep a worker told to stop *now* from exiting, and (3)
the pool must know how many of its threads are still held by tasks that
are past their timeout, to refuse work it has no room for.

Timeouts are not enforced here: the connection reports the job as timed out
and cancels its token; the thread stays busy until the task returns, and
that occupancy counts against ``limit``.

Thread-safety: submit() and stop() from the connection thread.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Callable

from jobq import wire_pb2
from jobq.tasks import TaskDef
from jobq.worker import execute
from jobq.worker.cancel import CancelToken, error_type

Post = Callable[[tuple[tuple[bytes, int], wire_pb2.JobResult]], None]
_STOP = None


class ThreadPool:
    def __init__(self, threads: int, limit: int, post: Post) -> None:
        """``limit``: jobs queued or running (also past their timeout) before submit() refuses."""
        self._limit = limit
        self._post = post
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._submitted = 0  # connection thread only
        self._done = 0  # under _done_lock
        self._done_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._serve, name=f"jobq-io-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

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
        self._queue.put((definition, job, token, deadline))
        return True

    def stop(self, wait: float) -> bool:
        """One sentinel per thread behind the queued jobs; waits up to ``wait`` seconds.

        False when threads are still busy then: tasks that ignore their
        cancellation, which the process's exit ends.
        """
        for _ in self._threads:
            self._queue.put(_STOP)
        deadline = time.monotonic() + wait
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _serve(self) -> None:
        get = self._queue.get
        post = self._post
        while True:
            item = get()
            if item is _STOP:
                return
            definition, job, token, deadline = item
            try:
                if token.cancelled:
                    # Cancelled or timed out while it waited for a thread:
                    # not worth starting. (A timeout was reported already;
                    # the connection drops this second outcome.)
                    result = execute.error_result(
                        job,
                        error_type(token.reason),
                        f"task {job.task!r} was stopped ({token.reason}) before it started",
                    )
                else:
                    result = execute.run_sync(definition, job, token, deadline, post)
                post(((job.id, job.attempt), result))
            finally:
                with self._done_lock:
                    self._done += 1
