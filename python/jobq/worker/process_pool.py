"""ProcessPool: CPU tasks, one job at a time in each of N child processes.

The reference's ProcessPoolExecutor, with what a worker needs on top:
a job past its timeout or cancelled is ended by killing its child (SIGKILL)
and a fresh child takes the slot; a child that dies under its job (a
segfault, ``os._exit``) fails that job alone as ``crashed`` and is
replaced; ``max_jobs_per_child`` recycles children. concurrent.futures'
pool can do none of these: one dead child breaks the whole pool.

Children come from multiprocessing's "forkserver": a clean single-threaded
server process, started once, forks them. The worker itself has threads,
and forking a threaded process copies locks other threads held.

One supervisor thread owns the children. It waits on their connections,
their process sentinels and a wake-up pipe, hands queued jobs to idle
children, enforces deadlines (a job's timeout starts when its child gets
it, as in the C++ worker), and posts every outcome to the mailbox.

Thread-safety: submit() and stop() from the connection thread; token
callbacks from any thread; the rest on the supervisor thread.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable

from jobq import wire_pb2
from jobq.tasks import TaskDef
from jobq.worker import child, errors, execute, log
from jobq.worker.cancel import TIMEOUT, CancelToken, error_type

Post = Callable[[tuple[tuple[bytes, int], wire_pb2.JobResult]], None]
Key = tuple[bytes, int]

# How long a child asked to exit (recycled, or at stop) may take before it
# is killed.
STOP_GRACE_S = 5.0
# Restarts of children that die before they are ready back off up to this.
START_BACKOFF_MAX_S = 5.0


@dataclass
class _Job:
    key: Key
    job: wire_pb2.DispatchedJob
    token: CancelToken
    started: float = 0.0  # monotonic, when a child got it
    deadline: float | None = None  # monotonic
    wall_deadline: float | None = None  # time.time(), for current_job()


@dataclass
class _Child:
    process: Any  # multiprocessing.Process from the forkserver context
    connection: Connection
    ready: bool = False
    jobs_done: int = 0
    job: _Job | None = None


@dataclass
class _Exiting:
    process: Any
    connection: Connection
    kill_at: float


@dataclass
class _Slot:
    child: _Child | None = None
    start_at: float = 0.0
    failed_starts: int = 0


@dataclass
class _Shared:
    """What the connection thread and token callbacks hand the supervisor."""

    queue: collections.deque = field(default_factory=collections.deque)
    cancels: list = field(default_factory=list)
    stopping: str | None = None  # "drain" (finish the queue) or "now"


class ProcessPool:
    def __init__(
        self,
        children: int,
        prefetch: int,
        max_jobs_per_child: int,
        task_modules: list[str],
        post: Post,
    ) -> None:
        self.children = children
        self.capacity = children + prefetch
        self._queue_max = 2 * children + prefetch
        self._max_jobs_per_child = max_jobs_per_child
        self._modules = list(task_modules)
        self._post = post
        _hide_launcher_script()
        self._context = multiprocessing.get_context("forkserver")
        # Imported once in the server, so each child starts from a fork
        # that has them: a child replaced after a crash is ready in
        # milliseconds, not after a fresh interpreter's imports.
        self._context.set_forkserver_preload(
            ["jobq.worker._forkserver_preload", "jobq.worker.child", *self._modules]
        )
        self._lock = threading.Lock()
        self._shared = _Shared()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._slots = [_Slot() for _ in range(children)]
        self._exiting: list[_Exiting] = []
        self._pids: list[int] = []
        self._thread = threading.Thread(target=self._supervise, name="jobq-cpu", daemon=True)
        self._thread.start()

    # ---- connection thread -------------------------------------------------

    def submit(
        self,
        definition: TaskDef,
        job: wire_pb2.DispatchedJob,
        token: CancelToken,
        deadline: float | None,
    ) -> bool:
        del definition, deadline  # the child looks the task up; the timeout starts there
        key = (job.id, job.attempt)
        with self._lock:
            if self._shared.stopping or len(self._shared.queue) >= self._queue_max:
                return False
            self._shared.queue.append(_Job(key, job, token))
        token.on_cancel(lambda reason: self._request_cancel(key, reason))
        self._wake()
        return True

    def child_pids(self) -> list[int]:
        with self._lock:
            return list(self._pids)

    def stop(self, now: bool) -> None:
        """Ends the children: at once (``now``), or once the queued jobs ran. Joins."""
        with self._lock:
            self._shared.stopping = "now" if now else "drain"
        self._wake()
        self._thread.join()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # ---- any thread --------------------------------------------------------

    def _request_cancel(self, key: Key, reason: str) -> None:
        with self._lock:
            self._shared.cancels.append((key, reason))
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass  # a wake-up is pending already, or the pool has stopped

    # ---- supervisor thread -------------------------------------------------

    def _supervise(self) -> None:
        try:
            while True:
                now = time.monotonic()
                stopping = self._take_cancels(now)
                if stopping == "now":
                    self._kill_all()
                    return
                self._start_children(now)
                self._hand_out(now)
                self._check_deadlines(now)
                self._reap(now)
                if stopping == "drain" and self._drained():
                    self._retire_all(now)
                    self._finish_exiting()
                    return
                self._wait(now)
        except BaseException as error:  # noqa: BLE001  the pool's own failure, not a task's
            log.error("cpu_pool_failed", error=repr(error))
            self._fail_everything(f"the worker's CPU pool failed: {error!r}")

    def _take_cancels(self, now: float) -> str | None:
        with self._lock:
            cancels, self._shared.cancels = self._shared.cancels, []
            stopping = self._shared.stopping
            queued = self._shared.queue
            for key, reason in cancels:
                for job in list(queued):
                    if job.key == key:
                        queued.remove(job)
                        self._fail(job, error_type(reason), f"job was {reason} before it started")
        for key, reason in cancels:
            for slot in self._slots:
                running = slot.child.job if slot.child else None
                if running is not None and running.key == key:
                    self._end_child(slot, now)
                    self._fail(
                        running,
                        error_type(reason),
                        f"job was {reason}; its CPU child was killed",
                    )
        return stopping

    def _start_children(self, now: float) -> None:
        for slot in self._slots:
            if slot.child is None and now >= slot.start_at:
                slot.child = self._spawn()
                if slot.child is None:
                    self._back_off(slot, now)
        self._publish_pids()

    def _spawn(self) -> _Child | None:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=child.main, args=(theirs, self._modules), name="jobq-cpu-child"
        )
        try:
            process.start()
        except Exception as error:  # noqa: BLE001  a dead forkserver, no memory: retried with backoff
            log.error("cpu_child_start_failed", error=repr(error))
            ours.close()
            return None
        finally:
            theirs.close()  # the child has its own copy; ours would hide its EOF
        return _Child(process, ours)

    def _back_off(self, slot: _Slot, now: float) -> None:
        slot.failed_starts += 1
        slot.start_at = now + min(START_BACKOFF_MAX_S, 0.1 * 2 ** (slot.failed_starts - 1))

    def _hand_out(self, now: float) -> None:
        for slot in self._slots:
            child_ = slot.child
            if child_ is None or not child_.ready or child_.job is not None:
                continue
            with self._lock:
                if not self._shared.queue:
                    return
                job = self._shared.queue.popleft()
            timeout_s = execute.clamp_timeout_ms(job.job.timeout_ms) / 1000.0
            job.started = now
            if timeout_s > 0:
                job.deadline = now + timeout_s
                job.wall_deadline = time.time() + timeout_s
            try:
                child_.connection.send_bytes(child.encode_job(job.job, job.wall_deadline))
            except OSError:
                child_.job = job
                self._child_broke(slot, now)
                continue
            child_.job = job

    def _check_deadlines(self, now: float) -> None:
        for slot in self._slots:
            running = slot.child.job if slot.child else None
            if running is not None and running.deadline is not None and now >= running.deadline:
                running.token.cancel(TIMEOUT)  # a task's context shows it, as on the other pools
                self._end_child(slot, now)
                self._fail(
                    running,
                    errors.TIMEOUT,
                    f"task {running.job.task!r} ran past its timeout of "
                    f"{running.job.timeout_ms} ms; its CPU child was killed",
                )
                log.warning(
                    "cpu_job_timed_out", task=running.job.task, timeout_ms=running.job.timeout_ms
                )

    def _drained(self) -> bool:
        with self._lock:
            if self._shared.queue:
                return False
        return all(slot.child is None or slot.child.job is None for slot in self._slots)

    def _wait(self, now: float) -> None:
        waitables: list[Any] = [self._wake_r]
        deadline = None
        for slot in self._slots:
            if slot.child is not None:
                waitables.append(slot.child.connection)
                waitables.append(slot.child.process.sentinel)
                job = slot.child.job
                if job is not None and job.deadline is not None:
                    deadline = job.deadline if deadline is None else min(deadline, job.deadline)
            elif deadline is None or slot.start_at < deadline:
                deadline = slot.start_at
        for exiting in self._exiting:
            waitables.append(exiting.process.sentinel)
            deadline = exiting.kill_at if deadline is None else min(deadline, exiting.kill_at)
        timeout = None if deadline is None else max(0.0, deadline - now)
        ready = wait(waitables, timeout)
        if self._wake_r in ready:
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
        now = time.monotonic()
        for slot in self._slots:
            child_ = slot.child
            if child_ is None:
                continue
            if any(item is child_.connection for item in ready):
                self._read(slot, now)
            elif child_.process.sentinel in ready:
                self._child_broke(slot, now)

    def _read(self, slot: _Slot, now: float) -> None:
        child_ = slot.child
        assert child_ is not None
        try:
            message = child_.connection.recv_bytes()
        except (EOFError, OSError):
            self._child_broke(slot, now)
            return
        if not child_.ready:
            if message == child.READY:
                child_.ready = True
                slot.failed_starts = 0
                return
            why = message[1:].decode("utf-8", "replace") if message[:1] == child.FAILED else "?"
            log.error("cpu_child_cannot_load_tasks", why=why)
            self._child_broke(slot, now)
            return
        job = child_.job
        if job is None:
            return  # nothing asked: ignored
        if message[:1] == child.PROGRESS:
            try:
                report = wire_pb2.ProgressReport.FromString(message[1:])
            except Exception:  # noqa: BLE001  a garbled report is a broken child
                self._child_broke(slot, now)
                return
            if (report.id, report.attempt) == job.key:
                self._post((job.key, report))
            return
        try:
            result = wire_pb2.JobResult.FromString(message)
        except Exception:  # noqa: BLE001  a garbled reply is a broken child
            self._child_broke(slot, now)
            return
        child_.job = None
        child_.jobs_done += 1
        self._post((job.key, result))
        if self._max_jobs_per_child and child_.jobs_done >= self._max_jobs_per_child:
            self._retire(slot, now)

    def _child_broke(self, slot: _Slot, now: float) -> None:
        """The child ended or its channel broke: its job fails as crashed, a new child follows."""
        child_ = slot.child
        assert child_ is not None
        slot.child = None
        child_.process.join(0.5)
        if child_.process.exitcode is None:
            child_.process.kill()
            child_.process.join()
        code = child_.process.exitcode
        child_.connection.close()
        child_.process.close()
        if not child_.ready:
            self._back_off(slot, now)
        if child_.job is not None:
            how = _exit_text(code)
            log.warning("cpu_child_crashed", task=child_.job.job.task, how=how)
            self._fail(
                child_.job,
                errors.CRASHED,
                f"the CPU child running task {child_.job.job.task!r} {how}",
            )

    def _end_child(self, slot: _Slot, now: float) -> None:
        """Kills the slot's child now; it is reaped later, and the slot refilled."""
        child_ = slot.child
        assert child_ is not None
        slot.child = None
        try:
            child_.process.kill()
        except (OSError, ValueError):
            pass
        self._exiting.append(_Exiting(child_.process, child_.connection, now))

    def _retire(self, slot: _Slot, now: float) -> None:
        """Asks the slot's child to exit after its last job; the slot gets a new one."""
        child_ = slot.child
        assert child_ is not None
        slot.child = None
        try:
            child_.connection.send_bytes(b"")
        except OSError:
            pass
        self._exiting.append(_Exiting(child_.process, child_.connection, now + STOP_GRACE_S))

    def _retire_all(self, now: float) -> None:
        for slot in self._slots:
            if slot.child is not None:
                self._retire(slot, now)

    def _reap(self, now: float) -> None:
        still: list[_Exiting] = []
        for exiting in self._exiting:
            if exiting.process.exitcode is None and not _reaped(exiting.process):
                if now >= exiting.kill_at:
                    exiting.process.kill()
                still.append(exiting)
                continue
            exiting.connection.close()
            exiting.process.close()
        self._exiting = still

    def _finish_exiting(self) -> None:
        while self._exiting:
            now = time.monotonic()
            self._reap(now)
            if self._exiting:
                wait(
                    [e.process.sentinel for e in self._exiting],
                    max(0.0, min(e.kill_at for e in self._exiting) - now) + 0.01,
                )
        self._publish_pids()

    def _kill_all(self) -> None:
        now = time.monotonic()
        for slot in self._slots:
            if slot.child is not None:
                self._end_child(slot, now)
        self._finish_exiting()

    def _fail_everything(self, message: str) -> None:
        """Reports every job held as crashed and refuses new ones, so none is stranded."""
        with self._lock:
            self._shared.stopping = "now"
            queued, self._shared.queue = list(self._shared.queue), collections.deque()
        running = [slot.child.job for slot in self._slots if slot.child and slot.child.job]
        for job in queued + running:
            self._fail(job, errors.CRASHED, message)
        try:
            self._kill_all()
        except Exception as error:  # noqa: BLE001  nothing more to do than say so
            log.error("cpu_pool_cleanup_failed", error=repr(error))

    def _fail(self, job: _Job, type: str, message: str) -> None:
        result = execute.error_result(job.job, type, message)
        if job.started:
            result.run_time_us = int((time.monotonic() - job.started) * 1_000_000)
        self._post((job.key, result))

    def _publish_pids(self) -> None:
        pids = [slot.child.process.pid for slot in self._slots if slot.child is not None]
        pids += [exiting.process.pid for exiting in self._exiting]
        with self._lock:
            self._pids = [pid for pid in pids if pid is not None]


def _hide_launcher_script() -> None:
    """Keeps the CPU children from running the worker's launcher script again.

    multiprocessing rebuilds ``__main__`` in each child by running the
    parent's main script again when that is a file rather than a module run
    with ``-m`` (``-m jobq.worker`` is skipped, being a ``__main__``). A
    launcher like ``jobq-py-worker`` would then start a second worker inside
    every child. The children need only the --tasks modules, so the script
    is not named to them.
    """
    main = sys.modules.get("__main__")
    if main is not None and getattr(getattr(main, "__spec__", None), "name", None) is None:
        main.__dict__.pop("__file__", None)


def _reaped(process: Any) -> bool:
    # is_alive() reaps a child that has ended (waitpid WNOHANG).
    return not process.is_alive()


def _exit_text(code: int | None) -> str:
    if code is None:
        return "ended"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with status {code}"
