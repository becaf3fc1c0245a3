"""Tasks the Python worker tests run (``--tasks pyworker_tasks``).

Tasks that tests must catch in the act write a marker file when they
start (``marker``), so a test can poll for "running" instead of sleeping.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import threading
import time
from pathlib import Path

import jobq
from jobq.worker import TaskError, current_job


def _mark(marker: str | None, text: str = "") -> None:
    if marker:
        # Whole or not at all: a test polls for the file, then reads it, and
        # once read it empty between the creation and the write.
        partial = Path(marker + ".partial")
        partial.write_text(text or str(os.getpid()))
        partial.rename(marker)


@jobq.task
def noop() -> None:
    return None


@jobq.task
def echo(**kwargs: object) -> dict:
    """As the C++ worker's echo: the arguments back."""
    return kwargs


@jobq.task
def add(a: int, b: int) -> int:
    return a + b


@jobq.task
def sleep(seconds: float) -> dict:
    """As the C++ worker's sleep: cooperative, fails as cancelled when stopped."""
    if not current_job().sleep(seconds):
        current_job().raise_if_cancelled()
    return {"slept": seconds}


@jobq.task
def whoami(marker: str | None = None, seconds: float = 0.0, only_first: bool = False) -> dict:
    """Which worker process ran the job, after an optional cooperative sleep
    (``only_first``: on the first attempt only)."""
    _mark(marker)
    job = current_job()
    if seconds and not (only_first and job.attempt > 1) and not job.sleep(seconds):
        job.raise_if_cancelled()
    return {"pid": os.getpid(), "attempt": job.attempt, "id": job.id}


@jobq.task
def watch_cancel(seconds: float, marker: str, seen: str) -> str:
    """Sleeps in small steps; writes ``seen`` once it sees itself cancelled, then stops."""
    _mark(marker)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if current_job().cancelled:
            Path(seen).write_text("cancelled")
            current_job().raise_if_cancelled()
        time.sleep(0.01)
    return "slept"


@jobq.task
def stubborn(seconds: float) -> str:
    """Ignores its cancellation: only the end of the process stops it."""
    time.sleep(seconds)
    return "done"


@jobq.task
def boom(message: str = "boom") -> None:
    raise ValueError(message)


class CustomFailure(Exception):
    pass


@jobq.task
def nested_boom() -> None:
    def inner() -> None:
        raise CustomFailure("deep inside")

    inner()


@jobq.task
def task_error(type: str, message: str) -> None:
    raise TaskError(type, message, detail="more to say")


@jobq.task
def returns_set() -> set:
    return {1, 2}


@jobq.task
def returns_deep(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


@jobq.task
def returns_bytes(size: int) -> str:
    return "x" * size


@jobq.task
def threads_now() -> int:
    return threading.active_count()


@jobq.task
async def asleep(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


@jobq.task
async def asleep_watched(seconds: float, marker: str, seen: str) -> float:
    _mark(marker)
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        Path(seen).write_text(str(current_job().cancelled))
        raise
    return seconds


@jobq.task
async def async_threads_now() -> int:
    await asyncio.sleep(0.5)
    return threading.active_count()


@jobq.task
async def async_boom() -> None:
    await asyncio.sleep(0)
    raise KeyError("missing")


@jobq.task(kind="cpu")
def cpu_pid() -> int:
    return os.getpid()


@jobq.task(kind="cpu")
def square_sum(n: int) -> int:
    return sum(i * i for i in range(n))


@jobq.task(kind="cpu")
def spin(seconds: float, marker: str | None = None, only_first: bool = False) -> str:
    """Busy for ``seconds`` (``only_first``: on the first attempt only), ignoring
    cancellation: only killing the child stops it."""
    _mark(marker)
    if only_first and current_job().attempt > 1:
        return "spun"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass
    return "spun"


@jobq.task(kind="cpu")
def cpu_exit(code: int) -> None:
    os._exit(code)


@jobq.task(kind="cpu")
def cpu_segfault() -> None:
    ctypes.string_at(0)


@jobq.task(kind="cpu")
def cpu_boom() -> None:
    raise RuntimeError("raised in a child")


@jobq.task
def chatty(seconds: float) -> int:
    """Reports progress as fast as it can; returns how many reports it made."""
    job = jobq.current_job()
    deadline = time.monotonic() + seconds
    reports = 0
    while time.monotonic() < deadline:
        reports += 1
        job.progress(reports, 0, f"report {reports}")
    return reports


@jobq.task(kind="cpu")
def cpu_counted(steps: int) -> int:
    """Reports each step from a CPU child."""
    job = jobq.current_job()
    for step in range(1, steps + 1):
        job.progress(step, steps, f"step {step} of {steps}")
    return steps


@jobq.task
async def async_counted(steps: int) -> int:
    job = jobq.current_job()
    for step in range(1, steps + 1):
        job.progress(step, steps)
    return steps


@jobq.task
def bad_progress(done: int, total: int) -> None:
    jobq.current_job().progress(done, total)
