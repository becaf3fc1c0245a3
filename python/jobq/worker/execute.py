"""Runs one job's task and turns every way it can end into a JobResult.

Shared by the I/O threads, the event loop and the CPU children, so that a
task fails the same way whichever pool ran it:

* it returned: ``ok`` with the JSON of the value, or ``bad_result``;
* it raised TaskError: that error's type, message and detail;
* it raised anything else: type ``exception``, the Python class in
  ``ErrorInfo.exception``, the traceback of the task's frames in ``detail``;
* its arguments did not fit (not JSON, or a call that does not bind to the
  function's signature): ``bad_args``, which no retry can fix.
"""

from __future__ import annotations

import time
import traceback
from typing import Any, Callable

from jobq import wire_pb2
from jobq._frames import job_id_text
from jobq.tasks import TaskDef
from jobq.worker import codec, context, errors
from jobq.worker.cancel import CancelToken

# ErrorInfo.detail is for people; the end of a huge traceback (a deep
# recursion) says what matters and keeps the RESULT small.
DETAIL_MAX = 64 * 1024
MESSAGE_MAX = 4 * 1024
# docs/protocol.md: a worker treats a timeout above 365 days as 365 days,
# so that no sum with a clock overflows anywhere.
TIMEOUT_MS_MAX = 365 * 24 * 3600 * 1000


def clamp_timeout_ms(timeout_ms: int) -> int:
    return 0 if timeout_ms <= 0 else min(timeout_ms, TIMEOUT_MS_MAX)


def new_result(job: wire_pb2.DispatchedJob) -> wire_pb2.JobResult:
    return wire_pb2.JobResult(id=job.id, attempt=job.attempt)


def fail(
    result: wire_pb2.JobResult,
    type: str,
    message: str,
    detail: str = "",
    exception: str = "",
) -> wire_pb2.JobResult:
    result.ok = False
    result.ClearField("result")
    result.ClearField("content_type")
    error = result.error
    error.type = _utf8(type)
    error.message = _utf8(_cap_head(message, MESSAGE_MAX))
    error.detail = _utf8(_cap_tail(detail, DETAIL_MAX))
    error.exception = _utf8(exception)
    return result


def _utf8(text: str) -> str:
    """``text`` with lone surrogates escaped: protobuf strings are UTF-8, and an error
    quoting an argument decoded from JSON's "\\ud800" would otherwise make this
    assignment raise, leaving the job unanswered and its pool thread dead."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def error_result(job: wire_pb2.DispatchedJob, type: str, message: str) -> wire_pb2.JobResult:
    return fail(new_result(job), type, message)


def make_context(
    job: wire_pb2.DispatchedJob,
    token: CancelToken,
    deadline: float | None,
    post: Callable[[Any], None] | None = None,
) -> context.JobContext:
    """The task's context; with ``post`` (the pools' mailbox), its progress
    reports go there as ``((id, attempt), ProgressReport)``."""
    report = None
    if post is not None:
        key = (job.id, job.attempt)

        def report(done: int, total: int, message: str) -> None:
            post(
                (
                    key,
                    wire_pb2.ProgressReport(
                        id=job.id, attempt=job.attempt, done=done, total=total, message=message
                    ),
                )
            )

    return context.JobContext(
        job_id_text(job.id) if len(job.id) == 16 else job.id.hex(),
        job.task,
        job.queue,
        job.attempt,
        deadline,
        token,
        report,
    )


def class_name(exception: BaseException) -> str:
    """``ValueError`` for builtins, ``package.module.Class`` otherwise."""
    cls = type(exception)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def fail_with_exception(
    result: wire_pb2.JobResult, task: str, exception: BaseException, call_frames: int
) -> wire_pb2.JobResult:
    """Fills ``result`` from what a task raised.

    ``call_frames`` is how many frames of the worker's own sit above the
    task's in the traceback; they are left out of ``detail``.
    """
    if isinstance(exception, errors.TaskError):
        return fail(result, exception.type, exception.message, exception.detail)
    tb = exception.__traceback__
    for _ in range(call_frames):
        if tb is not None:
            tb = tb.tb_next
    if isinstance(exception, TypeError) and tb is None:
        # Raised by the call itself, before any line of the task ran: the
        # arguments do not bind to its parameters.
        return fail(result, errors.BAD_ARGS, f"{task}: {exception}")
    name = class_name(exception)
    try:
        text = str(exception)
    except Exception:  # noqa: BLE001  an exception whose __str__ fails still fails its job
        text = f"<{name} whose str() failed>"
    detail = "".join(traceback.format_exception(type(exception), exception, tb))
    return fail(result, errors.EXCEPTION, text or name, detail, name)


def succeed(result: wire_pb2.JobResult, task: str, value: Any) -> wire_pb2.JobResult:
    try:
        encoded = codec.encode_result(task, value)
    except errors.TaskError as error:
        return fail(result, error.type, error.message)
    result.ok = True
    result.result = encoded
    result.content_type = codec.JSON_CONTENT_TYPE
    return result


def run_sync(
    definition: TaskDef,
    job: wire_pb2.DispatchedJob,
    token: CancelToken,
    deadline: float | None,
    post: Callable[[Any], None] | None = None,
) -> wire_pb2.JobResult:
    """Calls a plain function task on this thread; never raises. Progress
    reports go to ``post`` (see make_context)."""
    result = new_result(job)
    started = time.perf_counter_ns()
    try:
        args, kwargs = codec.decode_arguments(job.task, job.payload, job.content_type)
    except errors.TaskError as error:
        return fail(result, error.type, error.message)
    entered = context.enter(make_context(job, token, deadline, post))
    try:
        value = definition.fn(*args, **kwargs)
    except BaseException as exception:  # noqa: BLE001  a task's SystemExit must not stop the worker
        fail_with_exception(result, job.task, exception, call_frames=1)
    else:
        succeed(result, job.task, value)
    finally:
        context.leave(entered)
    result.run_time_us = (time.perf_counter_ns() - started) // 1000
    return result


def _cap_head(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cap_tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "...\n" + text[-(limit - 4) :]
