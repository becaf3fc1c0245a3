"""The main function of a CPU-pool child process.

A child imports the worker's ``--tasks`` modules, says it is ready, then
runs one job at a time for as long as the pool keeps it: a job in, its
JobResult out, over a multiprocessing Connection. The pool kills a child to
end a job (timeout, cancel), so the child needs no cancellation of its own,
and a task that takes the child down (``os._exit``, a segfault) costs only
its own job.

Messages, each one ``send_bytes`` frame:
  pool -> child   ``<deadline: 8-byte float, 0 = none><DispatchedJob>``;
                  an empty frame asks the child to exit
  child -> pool   first ``R`` (ready) or ``F<why>`` (its modules did not
                  import), then per job any number of ``P<ProgressReport>``
                  and one serialized JobResult (which starts with the tag
                  of its field 1, never ``P``)
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import os
import signal
import struct
import traceback
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from typing import Any, Callable

from jobq import wire_pb2
from jobq.tasks import TaskDef, registry
from jobq.worker import errors, execute
from jobq.worker.cancel import CancelToken

READY = b"R"
FAILED = b"F"
PROGRESS = b"P"
DEADLINE = struct.Struct("<d")
_PR_SET_PDEATHSIG = 1


def encode_job(job: wire_pb2.DispatchedJob, deadline: float | None) -> bytes:
    return DEADLINE.pack(deadline or 0.0) + job.SerializeToString()


def main(connection: Connection, modules: list[str]) -> None:
    # The worker decides when children end: a SIGTERM or Ctrl-C sent to the
    # whole process group must drain the worker, not kill its jobs.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _release_forkserver()
    _die_with_parent()
    try:
        for module in modules:
            importlib.import_module(module)
    except BaseException:  # noqa: BLE001  reported to the pool, which logs it
        connection.send_bytes(FAILED + traceback.format_exc().encode("utf-8", "replace"))
        return
    tasks = registry()
    connection.send_bytes(READY)
    while True:
        try:
            message = connection.recv_bytes()
        except (EOFError, OSError):
            return  # the worker is gone
        if not message:
            return
        (deadline,) = DEADLINE.unpack_from(message)
        job = wire_pb2.DispatchedJob.FromString(message[DEADLINE.size :])
        result = _run(tasks, job, deadline or None, connection)
        connection.send_bytes(result.SerializeToString())


def _run(
    tasks: dict[str, TaskDef],
    job: wire_pb2.DispatchedJob,
    deadline: float | None,
    connection: Connection,
) -> wire_pb2.JobResult:
    definition = tasks.get(job.task)
    if definition is None:
        return execute.error_result(
            job, errors.UNKNOWN_TASK, f"unknown task {job.task!r} in the CPU child"
        )
    if definition.is_async:
        # An async task sent to the CPU pool (the job asked for kind cpu)
        # gets an event loop of its own here.
        definition = TaskDef(definition.name, _in_new_loop(definition.fn), "cpu", False)

    # Each report goes to the pool at once; the worker's connection
    # throttles what reaches the broker.
    def post(item: tuple[Any, wire_pb2.ProgressReport]) -> None:
        connection.send_bytes(PROGRESS + item[1].SerializeToString())

    return execute.run_sync(definition, job, CancelToken(), deadline, post)


def _in_new_loop(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(fn(*args, **kwargs))

    return run


def _release_forkserver() -> None:
    # multiprocessing hands every child the write end of the pipe whose
    # EOF tells the forkserver that the worker has exited. A child holding
    # it would keep the forkserver, and so itself, alive after a kill -9.
    server = forkserver._forkserver
    if server._forkserver_alive_fd is not None:
        try:
            os.close(server._forkserver_alive_fd)
        except OSError:
            pass
        server._forkserver_alive_fd = None


def _die_with_parent() -> None:
    # A child's parent is the forkserver, which exits with the worker: a
    # worker killed with -9 then takes its children (even a busy one) along.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os._exit(1)  # the parent died before prctl took effect
