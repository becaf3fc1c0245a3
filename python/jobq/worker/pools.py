"""Pools: which runner takes a job, and what the broker is told of capacity.

The broker knows two pools (KIND_IO, KIND_CPU). Behind KIND_IO this worker
has two runners: threads for plain functions and the event loop for
``async def`` tasks. Their slots add up to the I/O capacity announced in
HELLO: one per thread, ``--async-slots`` for the event loop when some task
is async, plus ``--prefetch``. Each runner refuses work only beyond what it
can hold (its threads or slots plus the whole I/O capacity), so the broker's
credit, not the runner, is what normally bounds the jobs sent.
"""

from __future__ import annotations

from typing import Protocol

from jobq import wire_pb2
from jobq.tasks import TaskDef
from jobq.worker import log
from jobq.worker.async_pool import EventLoopPool
from jobq.worker.cancel import CancelToken
from jobq.worker.io_pool import Post, ThreadPool
from jobq.worker.process_pool import ProcessPool

# How long a drained worker waits at exit for tasks that ignored their
# timeout's cancellation (their jobs were reported as timed out already).
STRAGGLER_GRACE_S = 5.0

KIND_IO = wire_pb2.KIND_IO
KIND_CPU = wire_pb2.KIND_CPU
KIND_NAMES = {KIND_IO: "io", KIND_CPU: "cpu"}


class Runner(Protocol):
    def submit(
        self,
        definition: TaskDef,
        job: wire_pb2.DispatchedJob,
        token: CancelToken,
        deadline: float | None,
    ) -> bool: ...


class Pools:
    def __init__(
        self,
        registry: dict[str, TaskDef],
        *,
        io_threads: int,
        cpu_procs: int,
        prefetch: int,
        async_slots: int,
        max_jobs_per_child: int,
        task_modules: list[str],
        post: Post,
    ) -> None:
        has_async = any(definition.is_async for definition in registry.values())
        self.io_capacity = io_threads + prefetch + (async_slots if has_async else 0)
        self.threads = ThreadPool(io_threads, self.io_capacity + io_threads, post)
        self.event_loop = EventLoopPool(self.io_capacity + async_slots, post) if has_async else None
        self.cpu = (
            ProcessPool(cpu_procs, prefetch, max_jobs_per_child, task_modules, post)
            if cpu_procs > 0
            else None
        )

    def capacities(self) -> list[tuple[int, int]]:
        """(wire kind, capacity) of each pool, I/O first."""
        pools = [(KIND_IO, self.io_capacity)]
        if self.cpu is not None:
            pools.append((KIND_CPU, self.cpu.capacity))
        return pools

    def route(self, job: wire_pb2.DispatchedJob, definition: TaskDef | None) -> tuple[int, Runner]:
        """The pool (wire kind) whose slot the job takes, and the runner that runs it.

        The job's kind, else the task's registered kind; without a CPU pool
        CPU jobs run on the I/O side, as in the C++ worker.
        """
        kind = job.kind
        if kind not in KIND_NAMES:
            kind = KIND_CPU if definition is not None and definition.kind == "cpu" else KIND_IO
        if kind == KIND_CPU and self.cpu is not None:
            return KIND_CPU, self.cpu
        if definition is not None and definition.is_async and self.event_loop is not None:
            return KIND_IO, self.event_loop
        return KIND_IO, self.threads

    def child_pids(self) -> list[int]:
        return self.cpu.child_pids() if self.cpu is not None else []

    def stop(self, now: bool) -> None:
        """Ends every runner: after the jobs they hold, or (``now``) without waiting for them.

        Threads cannot be killed. A task still running after a drain was
        reported already (it ignored its timeout's cancellation): it gets
        STRAGGLER_GRACE_S, then the process exits under it (the I/O
        threads are daemons).
        """
        wait = 0.0 if now else STRAGGLER_GRACE_S
        if self.cpu is not None:
            self.cpu.stop(now)
        finished = self.event_loop.stop(wait) if self.event_loop is not None else True
        finished = self.threads.stop(wait) and finished
        if not finished and not now:
            log.warning("tasks_abandoned", why="still running past their timeout at exit")
