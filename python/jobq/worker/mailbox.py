"""Mailbox: finished jobs on their way from the pools to the connection thread.

Pools post from their own threads; the connection polls ``fileno()`` next
to its socket and takes everything at once. The eventfd is written only
when the box goes from empty to non-empty, so a burst of thousands of
results costs one wake-up, not one system call each.
"""

from __future__ import annotations

import os
import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    def __init__(self) -> None:
        self._fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._lock = threading.Lock()
        self._items: list[T] = []

    def fileno(self) -> int:
        return self._fd

    def post(self, item: T) -> None:
        with self._lock:
            self._items.append(item)
            first = len(self._items) == 1
        if first:
            os.eventfd_write(self._fd, 1)

    def take_all(self) -> list[T]:
        with self._lock:
            items, self._items = self._items, []
            # Read under the lock: a post after it finds the list empty and
            # writes again, so no wake-up is lost.
            try:
                os.eventfd_read(self._fd)
            except BlockingIOError:
                pass
        return items
