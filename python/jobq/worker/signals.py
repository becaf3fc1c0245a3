"""SIGTERM and SIGINT: the first drains the worker, the next stops it now."""

from __future__ import annotations

import contextlib
import signal
from typing import Iterator, Protocol


class _Stoppable(Protocol):
    def request_drain(self) -> None: ...

    def request_stop(self) -> None: ...


@contextlib.contextmanager
def stop_signals(connection: _Stoppable) -> Iterator[None]:
    seen = 0

    def handle(signum: int, frame: object) -> None:
        nonlocal seen
        seen += 1
        if seen == 1:
            connection.request_drain()
        else:
            connection.request_stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
