"""CancelToken: how the worker asks a running task to stop early.

Cancellation is cooperative for I/O tasks (the task reads
``jobq.current_job().cancelled`` or sleeps with ``current_job().sleep()``);
pools that can stop a task themselves (the event loop cancels the asyncio
task, the CPU pool kills the child) register a callback instead.

Thread-safe. Most tokens are never cancelled and never slept on, so a token
costs one object until then: the event and the callbacks are made on first
use, under one lock shared by all tokens (those paths are rare).
"""

from __future__ import annotations

import threading
from typing import Callable

_shared_lock = threading.Lock()

# Why a token was cancelled; a pool reports each differently.
CANCELLED = "cancelled"  # the broker's CANCEL
TIMEOUT = "timeout"  # the job's timeout_ms passed
STOPPING = "stopping"  # the worker stops now (second SIGTERM)


class CancelToken:
    __slots__ = ("reason", "_event", "_callbacks")

    def __init__(self) -> None:
        self.reason: str | None = None
        self._event: threading.Event | None = None
        self._callbacks: list[Callable[[str], None]] | None = None

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def cancel(self, reason: str = CANCELLED) -> None:
        """Marks the token, wakes sleepers and runs the callbacks once. Idempotent."""
        with _shared_lock:
            if self.reason is not None:
                return
            self.reason = reason
            event = self._event
            callbacks = self._callbacks or []
            self._callbacks = None
        if event is not None:
            event.set()
        for callback in callbacks:
            callback(reason)

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        """Calls ``callback(reason)`` when cancelled; at once if it already is."""
        with _shared_lock:
            if self.reason is None:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(callback)
                return
            reason = self.reason
        callback(reason)

    def sleep(self, seconds: float) -> bool:
        """Waits ``seconds`` unless cancelled first; True when the whole time passed."""
        with _shared_lock:
            if self.reason is not None:
                return False
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        return not event.wait(max(0.0, seconds))


def error_type(reason: str | None) -> str:
    """The error type of a job that ended because its token was cancelled for ``reason``."""
    return "timeout" if reason == TIMEOUT else "cancelled"
